// Training flags → TrainSpec; see train_flags.h.
#include "train_flags.h"

#include "lora_flags.h"
#include "loralab/error.h"

namespace loralab::cli {
namespace {

DatasetSpec dataset_arg(const std::string& path, const Args& args) {
  DatasetSpec d;
  d.path = path;
  d.format = args.get_or("format", "auto");
  d.field = args.get_or("field", "text");
  return d;
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  size_t begin = 0;
  while (true) {
    const size_t end = text.find(separator, begin);
    parts.push_back(text.substr(begin, end == std::string::npos ? std::string::npos : end - begin));
    if (end == std::string::npos) return parts;
    begin = end + 1;
  }
}

std::string trimmed(const std::string& text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

}  // namespace

std::vector<TrainStage> parse_stages(const std::string& text) {
  std::vector<TrainStage> stages;
  const auto items = split(text, ';');
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string where = "--stages[" + std::to_string(i) + "]";
    if (trimmed(items[i]).empty())
      throw Error(where + ": empty (expected KEY=VALUE pairs such as steps=100,lr=2e-4,rank=8)");
    TrainStage stage;
    std::set<std::string> seen;
    for (const auto& field : split(items[i], ',')) {
      const auto equals = field.find('=');
      const std::string key = trimmed(field.substr(0, equals));
      if (equals == std::string::npos)
        throw Error(where + ": '" + trimmed(field) + "' is not KEY=VALUE");
      const std::string value = trimmed(field.substr(equals + 1));
      const std::string what = where + "." + key;
      if (!seen.insert(key).second) throw Error(where + ": " + key + " is given twice");
      if (key == "steps")
        stage.steps = parse_int(value, what);
      else if (key == "lr")
        stage.lr = parse_double(value, what);
      else if (key == "rank")
        stage.rank = parse_int(value, what);
      else if (key == "alpha")
        stage.alpha = parse_double(value, what);
      else if (key == "schedule")
        stage.schedule = value;
      else if (key == "warmup")
        stage.warmup = parse_int(value, what);
      else
        throw Error(where + ": unknown key '" + key +
                    "' (expected steps, lr, rank, alpha, schedule, warmup)");
    }
    if (!seen.count("steps")) throw Error(where + ": steps=N is required");
    stages.push_back(stage);
  }
  return stages;
}

std::set<std::string> train_switch_names() {
  return {"full", "rslora", "alpha-equals-rank", "no-pack", "recompute"};
}

std::set<std::string> train_flag_names() {
  auto known = lora_flag_names();
  known.insert({"model",
                "data",
                "out",
                "val",
                "val-ratio",
                "reference",
                "rehearsal",
                "rehearsal-share",
                "rehearsal-unscored-opening",
                "rehearsal-opening-share",
                "format",
                "field",
                "lr",
                "schedule",
                "warmup",
                "min-lr-ratio",
                "steps",
                "epochs",
                "batch",
                "seq",
                "accum",
                "weight-decay",
                "clip",
                "eval-every",
                "eval-batches",
                "patience",
                "precision",
                "threads",
                "full",
                "name",
                "alpha-start",
                "alpha-ramp-steps",
                "checkpoint-every",
                "no-pack",
                "recompute",
                "stages"});
  return known;
}

TrainSpec train_spec_from_args(const Args& args) {
  TrainSpec spec;
  spec.full = args.has("full");
  if (!spec.full) spec.lora = lora_spec_from_args(args);
  spec.data = dataset_arg(args.required("data"), args);
  if (auto val = args.get("val")) spec.validation = dataset_arg(*val, args);
  if (auto ref = args.get("reference")) spec.reference = dataset_arg(*ref, args);
  if (auto general = args.get("rehearsal")) spec.rehearsal = dataset_arg(*general, args);
  for (const char* flag :
       {"rehearsal-share", "rehearsal-unscored-opening", "rehearsal-opening-share"})
    if (args.has(flag) && !spec.rehearsal)
      throw Error(std::string("--") + flag + ": needs --rehearsal PATH, the general set to mix in");
  spec.rehearsal_share = args.get_double("rehearsal-share", spec.rehearsal_share);
  spec.rehearsal_unscored_opening =
      args.get_int("rehearsal-unscored-opening", spec.rehearsal_unscored_opening);
  if (args.has("rehearsal-opening-share"))
    spec.rehearsal_opening_share = args.get_double("rehearsal-opening-share", 0.0);
  spec.validation_ratio = args.get_double("val-ratio", spec.validation_ratio);
  spec.out_dir = args.required("out");
  spec.name = args.get_or("name", spec.name);
  spec.pack = !args.has("no-pack");
  spec.lr = args.get_double("lr", spec.lr);
  spec.schedule = args.get_or("schedule", spec.schedule);
  spec.warmup = args.get_int("warmup", spec.warmup);
  spec.min_lr_ratio = args.get_double("min-lr-ratio", spec.min_lr_ratio);
  spec.steps = args.get_int("steps", args.has("epochs") ? 0 : 200);
  spec.epochs = args.get_double("epochs", spec.epochs);
  spec.batch = args.get_int("batch", spec.batch);
  spec.seq_len = args.get_int("seq", spec.seq_len);
  spec.accum = args.get_int("accum", spec.accum);
  spec.weight_decay = args.get_double("weight-decay", spec.weight_decay);
  spec.clip = args.get_double("clip", spec.clip);
  spec.eval_every = args.get_int("eval-every", spec.eval_every);
  spec.eval_batches = args.get_int("eval-batches", spec.eval_batches);
  spec.patience = args.get_int("patience", spec.patience);
  spec.seed = static_cast<uint64_t>(args.get_int("seed", 0));
  spec.lora.seed = spec.seed;
  spec.precision = parse_precision(args.get_or("precision", "fp32"), "--precision");
  spec.threads = static_cast<int>(args.get_int("threads", 0));
  spec.recompute = args.has("recompute");
  spec.checkpoint_every = args.get_int("checkpoint-every", spec.checkpoint_every);
  if (args.has("alpha-start")) spec.alpha_start = args.get_double("alpha-start", 0);
  spec.alpha_ramp_steps = args.get_int("alpha-ramp-steps", spec.alpha_ramp_steps);
  if (auto stages = args.get("stages")) {
    if (args.has("epochs")) throw Error("--stages: the stages give the step counts; drop --epochs");
    spec.stages = parse_stages(*stages);
    spec.steps = args.get_int("steps", 0);  // 0: the stages' total
  }
  try {
    spec.validate();
  } catch (const Error& e) {
    throw Error(as_flag_message(e.what()));
  }
  return spec;
}

}  // namespace loralab::cli
