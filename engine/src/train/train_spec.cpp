// TrainSpec validation and its JSON form (stored in checkpoints, the experiment store and the
// run hash, so every field that changes the result is in it).
#include <cmath>

#include <nlohmann/json.hpp>

#include "loralab/error.h"
#include "loralab/train.h"

namespace loralab {

using nlohmann::json;

namespace {

json dataset_json(const DatasetSpec& d) {
  return {{"path", d.path}, {"format", d.format}, {"field", d.field},
          {"prompt_field", d.prompt_field}, {"completion_field", d.completion_field},
          {"recursive", d.recursive}, {"one_example_per_file", d.one_example_per_file}};
}

DatasetSpec dataset_from(const json& j) {
  DatasetSpec d;
  d.path = j.at("path").get<std::string>();
  d.format = j.value("format", d.format);
  d.field = j.value("field", d.field);
  d.prompt_field = j.value("prompt_field", d.prompt_field);
  d.completion_field = j.value("completion_field", d.completion_field);
  d.recursive = j.value("recursive", d.recursive);
  d.one_example_per_file = j.value("one_example_per_file", d.one_example_per_file);
  return d;
}

json lora_json(const LoraSpec& l) {
  return {{"rank", l.rank}, {"alpha", l.alpha}, {"dropout", l.dropout},
          {"target_modules", l.target_modules}, {"target_regex", l.target_regex},
          {"layers_to_transform", l.layers_to_transform}, {"rank_pattern", l.rank_pattern},
          {"alpha_pattern", l.alpha_pattern}, {"rslora", l.rslora}, {"init", l.init},
          {"seed", l.seed}};
}

LoraSpec lora_from(const json& j) {
  LoraSpec l;
  l.rank = j.value("rank", l.rank);
  l.alpha = j.value("alpha", l.alpha);
  l.dropout = j.value("dropout", l.dropout);
  l.target_modules = j.value("target_modules", l.target_modules);
  l.target_regex = j.value("target_regex", l.target_regex);
  l.layers_to_transform = j.value("layers_to_transform", l.layers_to_transform);
  l.rank_pattern = j.value("rank_pattern", l.rank_pattern);
  l.alpha_pattern = j.value("alpha_pattern", l.alpha_pattern);
  l.rslora = j.value("rslora", l.rslora);
  l.init = j.value("init", l.init);
  l.seed = j.value("seed", l.seed);
  return l;
}

void require(bool ok, const std::string& field, const std::string& expected) {
  if (!ok) throw Error(field + ": expected " + expected);
}

bool known_schedule(const std::string& name) {
  return name == "constant" || name == "linear" || name == "cosine";
}

void validate_stages(const TrainSpec& spec) {
  if (spec.stages.empty()) return;
  int64_t total = 0;
  int64_t rank = spec.lora.rank;
  for (size_t i = 0; i < spec.stages.size(); ++i) {
    const auto& stage = spec.stages[i];
    const std::string field = "stages[" + std::to_string(i) + "].";
    require(stage.steps > 0, field + "steps", "a step count > 0, got " + std::to_string(stage.steps));
    total += stage.steps;
    require(!stage.lr || (std::isfinite(*stage.lr) && *stage.lr > 0), field + "lr", "a learning rate > 0");
    require(!stage.schedule || known_schedule(*stage.schedule), field + "schedule",
            "constant, linear or cosine, got '" + stage.schedule.value_or("") + "'");
    require(!stage.warmup || *stage.warmup >= 0, field + "warmup", "warmup steps ≥ 0");
    if (spec.full) {
      require(!stage.rank, field + "rank", "no rank: full fine-tuning trains no adapter");
      require(!stage.alpha, field + "alpha", "no alpha: full fine-tuning trains no adapter");
      continue;
    }
    require(!stage.alpha || (std::isfinite(*stage.alpha) && *stage.alpha > 0), field + "alpha",
            "an alpha > 0 (a zero scaling cannot keep the function unchanged)");
    if (!stage.rank) continue;
    require(*stage.rank > 0, field + "rank", "a rank > 0, got " + std::to_string(*stage.rank));
    if (i > 0) {
      require(*stage.rank >= rank, field + "rank",
              "a rank ≥ " + std::to_string(rank) + " (stage " + std::to_string(i - 1) +
                  "'s): a stage may raise the rank, not lower it; got " + std::to_string(*stage.rank));
      if (*stage.rank > rank) {
        require(spec.lora.rank_pattern.empty(), field + "rank",
                "no rank change together with lora.rank_pattern (the per-module ranks would not "
                "follow it)");
        require(spec.lora.init != "pissa", field + "rank",
                "no rank change with init pissa (its factors come from the base weights' SVD)");
      }
    }
    rank = *stage.rank;
  }
  require(spec.steps == 0 || spec.steps == total, "steps",
          "0 or the stages' total " + std::to_string(total) + " when stages are set, got " +
              std::to_string(spec.steps));
}

json stage_json(const TrainStage& stage) {
  json j = {{"steps", stage.steps}};
  if (stage.lr) j["lr"] = *stage.lr;
  if (stage.rank) j["rank"] = *stage.rank;
  if (stage.alpha) j["alpha"] = *stage.alpha;
  if (stage.schedule) j["schedule"] = *stage.schedule;
  if (stage.warmup) j["warmup"] = *stage.warmup;
  return j;
}

TrainStage stage_from(const json& j, size_t index, const std::string& source) {
  const std::string where = source + ": stages[" + std::to_string(index) + "]";
  if (!j.is_object()) throw Error(where + ": expected an object, found " + std::string(j.type_name()));
  for (const auto& [key, _] : j.items())
    if (key != "steps" && key != "lr" && key != "rank" && key != "alpha" && key != "schedule" &&
        key != "warmup")
      throw Error(where + ": unknown key '" + key + "' (expected steps, lr, rank, alpha, schedule, warmup)");
  TrainStage stage;
  stage.steps = j.at("steps").get<int64_t>();
  if (j.contains("lr")) stage.lr = j["lr"].get<double>();
  if (j.contains("rank")) stage.rank = j["rank"].get<int64_t>();
  if (j.contains("alpha")) stage.alpha = j["alpha"].get<double>();
  if (j.contains("schedule")) stage.schedule = j["schedule"].get<std::string>();
  if (j.contains("warmup")) stage.warmup = j["warmup"].get<int64_t>();
  return stage;
}

}  // namespace

double TrainSpec::effective_rehearsal_opening_share() const {
  if (rehearsal_opening_share) return *rehearsal_opening_share;
  return rehearsal_unscored_opening > 0 ? 0.0 : rehearsal_share;
}

void TrainSpec::validate() const {
  if (!full) lora.validate();
  require(!data.path.empty(), "data", "a dataset path");
  require(validation_ratio >= 0 && validation_ratio < 1, "validation_ratio", "a value in [0, 1)");
  require(seq_len > 0, "seq", "a sequence length > 0, got " + std::to_string(seq_len));
  require(batch > 0, "batch", "a batch size > 0, got " + std::to_string(batch));
  require(accum > 0, "accum", "accumulation steps > 0, got " + std::to_string(accum));
  require(steps >= 0, "steps", "a step count ≥ 0");
  require(steps > 0 || (std::isfinite(epochs) && epochs > 0), "epochs", "epochs > 0 when steps is 0");
  require(std::isfinite(lr) && lr > 0, "lr", "a learning rate > 0");
  require(known_schedule(schedule), "schedule",
          "constant, linear or cosine, got '" + schedule + "'");
  require(warmup >= 0, "warmup", "warmup steps ≥ 0");
  require(min_lr_ratio >= 0 && min_lr_ratio <= 1, "min_lr_ratio", "a value in [0, 1]");
  require(weight_decay >= 0 && std::isfinite(weight_decay), "weight_decay", "a value ≥ 0");
  require(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1, "betas", "values in [0, 1)");
  require(adam_eps > 0, "adam_eps", "a value > 0");
  require(clip >= 0 && std::isfinite(clip), "clip", "a max gradient norm ≥ 0 (0 = off)");
  require(eval_every >= 0, "eval_every", "a step count ≥ 0");
  require(eval_batches >= 0, "eval_batches", "a count ≥ 0");
  require(patience >= 0, "patience", "a count ≥ 0");
  require(!alpha_start || std::isfinite(*alpha_start), "alpha_start", "a finite number");
  require(alpha_ramp_steps >= 0, "alpha_ramp_steps", "a step count ≥ 0");
  require(threads >= 0, "threads", "a thread count ≥ 0");
  require(checkpoint_every >= 0, "checkpoint_every", "a step count ≥ 0");
  require(ema_decay >= 0 && ema_decay < 1, "ema_decay", "a value in [0, 1)");
  require(!out_dir.empty(), "out", "an output folder");
  require(!rehearsal || !rehearsal->path.empty(), "rehearsal", "a dataset path");
  require(!rehearsal || (rehearsal_share > 0 && rehearsal_share <= 0.9), "rehearsal_share",
          "a share of the training rows in (0, 0.9], got " + std::to_string(rehearsal_share));
  require(rehearsal_unscored_opening >= 0, "rehearsal_unscored_opening", "a token count ≥ 0");
  if (rehearsal_opening_share) {
    const double o = *rehearsal_opening_share;
    require(!rehearsal || (o >= 0 && o <= rehearsal_share), "rehearsal_opening_share",
            "a share of the training rows in [0, rehearsal_share = " +
                std::to_string(rehearsal_share) + "], got " + std::to_string(o));
    require(!rehearsal || o >= rehearsal_share || rehearsal_unscored_opening > 0,
            "rehearsal_opening_share",
            "rehearsal_unscored_opening > 0 when below rehearsal_share: the other rehearsal rows "
            "need an opening that goes unscored");
  }
  validate_stages(*this);
}

std::string TrainSpec::to_json() const {
  json j = {{"name", name}, {"full", full}, {"data", dataset_json(data)},
            {"validation_ratio", validation_ratio}, {"pack", pack}, {"seq_len", seq_len},
            {"batch", batch}, {"accum", accum}, {"steps", steps}, {"epochs", epochs}, {"lr", lr},
            {"schedule", schedule}, {"warmup", warmup}, {"min_lr_ratio", min_lr_ratio},
            {"weight_decay", weight_decay}, {"beta1", beta1}, {"beta2", beta2},
            {"adam_eps", adam_eps}, {"clip", clip}, {"eval_every", eval_every},
            {"eval_batches", eval_batches}, {"patience", patience}, {"min_delta", min_delta},
            {"alpha_ramp_steps", alpha_ramp_steps}, {"seed", seed},
            {"precision", precision_name(precision)}, {"threads", threads},
            {"out_dir", out_dir}, {"checkpoint_every", checkpoint_every}, {"ema_decay", ema_decay}};
  if (!full) j["lora"] = lora_json(lora);
  j["validation"] = validation ? dataset_json(*validation) : json(nullptr);
  j["reference"] = reference ? dataset_json(*reference) : json(nullptr);
  j["alpha_start"] = alpha_start ? json(*alpha_start) : json(nullptr);
  if (recompute) j["recompute"] = true;
  if (rehearsal) {  // only when set, as recompute
    j["rehearsal"] = dataset_json(*rehearsal);
    j["rehearsal_share"] = rehearsal_share;
    if (rehearsal_unscored_opening > 0) j["rehearsal_unscored_opening"] = rehearsal_unscored_opening;
    if (rehearsal_opening_share) j["rehearsal_opening_share"] = *rehearsal_opening_share;
  }  // only when set: earlier run hashes stay as they were
  // Only when set, so that single-stage specs (and their run hashes) stay as they were.
  if (!stages.empty()) {
    j["stages"] = json::array();
    for (const auto& stage : stages) j["stages"].push_back(stage_json(stage));
  }
  return j.dump(2);
}

TrainSpec TrainSpec::from_json(const std::string& text, const std::string& source) {
  TrainSpec s;
  try {
    auto j = json::parse(text);
    s.name = j.value("name", s.name);
    s.full = j.value("full", s.full);
    if (j.contains("lora")) s.lora = lora_from(j["lora"]);
    s.data = dataset_from(j.at("data"));
    if (j.contains("validation") && !j["validation"].is_null()) s.validation = dataset_from(j["validation"]);
    if (j.contains("reference") && !j["reference"].is_null()) s.reference = dataset_from(j["reference"]);
    if (j.contains("rehearsal") && !j["rehearsal"].is_null()) s.rehearsal = dataset_from(j["rehearsal"]);
    s.rehearsal_share = j.value("rehearsal_share", s.rehearsal_share);
    s.rehearsal_unscored_opening = j.value("rehearsal_unscored_opening", s.rehearsal_unscored_opening);
    if (j.contains("rehearsal_opening_share") && !j["rehearsal_opening_share"].is_null())
      s.rehearsal_opening_share = j["rehearsal_opening_share"].get<double>();
    s.validation_ratio = j.value("validation_ratio", s.validation_ratio);
    s.pack = j.value("pack", s.pack);
    s.seq_len = j.value("seq_len", s.seq_len);
    s.batch = j.value("batch", s.batch);
    s.accum = j.value("accum", s.accum);
    s.steps = j.value("steps", s.steps);
    s.epochs = j.value("epochs", s.epochs);
    s.lr = j.value("lr", s.lr);
    s.schedule = j.value("schedule", s.schedule);
    s.warmup = j.value("warmup", s.warmup);
    s.min_lr_ratio = j.value("min_lr_ratio", s.min_lr_ratio);
    s.weight_decay = j.value("weight_decay", s.weight_decay);
    s.beta1 = j.value("beta1", s.beta1);
    s.beta2 = j.value("beta2", s.beta2);
    s.adam_eps = j.value("adam_eps", s.adam_eps);
    s.clip = j.value("clip", s.clip);
    s.eval_every = j.value("eval_every", s.eval_every);
    s.eval_batches = j.value("eval_batches", s.eval_batches);
    s.patience = j.value("patience", s.patience);
    s.min_delta = j.value("min_delta", s.min_delta);
    if (j.contains("alpha_start") && !j["alpha_start"].is_null()) s.alpha_start = j["alpha_start"].get<double>();
    s.alpha_ramp_steps = j.value("alpha_ramp_steps", s.alpha_ramp_steps);
    s.seed = j.value("seed", s.seed);
    s.precision = parse_precision(j.value("precision", std::string("fp32")), "precision");
    s.threads = j.value("threads", s.threads);
    s.recompute = j.value("recompute", s.recompute);
    s.out_dir = j.value("out_dir", s.out_dir);
    s.checkpoint_every = j.value("checkpoint_every", s.checkpoint_every);
    s.ema_decay = j.value("ema_decay", s.ema_decay);
    if (j.contains("stages") && !j["stages"].is_null()) {
      if (!j["stages"].is_array()) throw Error(source + ": stages: expected an array");
      for (size_t i = 0; i < j["stages"].size(); ++i) s.stages.push_back(stage_from(j["stages"][i], i, source));
    }
  } catch (const json::exception& e) {
    throw Error(source + ": not a valid training spec: " + e.what());
  }
  return s;
}

}  // namespace loralab
