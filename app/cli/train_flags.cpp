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

}  // namespace

std::set<std::string> train_switch_names() {
  return {"full", "rslora", "alpha-equals-rank", "no-pack"};
}

std::set<std::string> train_flag_names() {
  auto known = lora_flag_names();
  known.insert({"model", "data", "out", "val", "val-ratio", "reference", "format", "field", "lr",
                "schedule", "warmup", "min-lr-ratio", "steps", "epochs", "batch", "seq", "accum",
                "weight-decay", "clip", "eval-every", "eval-batches", "patience", "precision",
                "threads", "full", "name", "alpha-start", "alpha-ramp-steps", "checkpoint-every",
                "no-pack"});
  return known;
}

TrainSpec train_spec_from_args(const Args& args) {
  TrainSpec spec;
  spec.full = args.has("full");
  if (!spec.full) spec.lora = lora_spec_from_args(args);
  spec.data = dataset_arg(args.required("data"), args);
  if (auto val = args.get("val")) spec.validation = dataset_arg(*val, args);
  if (auto ref = args.get("reference")) spec.reference = dataset_arg(*ref, args);
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
  spec.checkpoint_every = args.get_int("checkpoint-every", spec.checkpoint_every);
  if (args.has("alpha-start")) spec.alpha_start = args.get_double("alpha-start", 0);
  spec.alpha_ramp_steps = args.get_int("alpha-ramp-steps", spec.alpha_ramp_steps);
  try {
    spec.validate();
  } catch (const Error& e) {
    throw Error("--" + std::string(e.what()));
  }
  return spec;
}

}  // namespace loralab::cli
