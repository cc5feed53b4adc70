// Sweep points → TrainSpecs → queued runs (see loralab/sweep_runs.h). Every spec is validated
// before the store is touched, so a sweep is queued whole or not at all.
#include "loralab/sweep_runs.h"

#include <filesystem>

#include "loralab/lora.h"
#include "loralab/model_config.h"
#include "loralab/run_recorder.h"

namespace loralab {

namespace {

namespace fs = std::filesystem;

[[noreturn]] void wrong_type(const std::string& key, const SweepValue& value) {
  throw Error("sweep grid: " + key + "=" + sweep_value_text(value) +
              ": the value has the wrong type for this key");
}

int64_t as_int(const std::string& key, const SweepValue& value) {
  if (auto* i = std::get_if<int64_t>(&value)) return *i;
  wrong_type(key, value);
}

double as_real(const std::string& key, const SweepValue& value) {
  if (auto* d = std::get_if<double>(&value)) return *d;
  if (auto* i = std::get_if<int64_t>(&value)) return static_cast<double>(*i);
  wrong_type(key, value);
}

bool as_bool(const std::string& key, const SweepValue& value) {
  if (auto* b = std::get_if<bool>(&value)) return *b;
  wrong_type(key, value);
}

const std::string& as_text(const std::string& key, const SweepValue& value) {
  if (auto* s = std::get_if<std::string>(&value)) return *s;
  wrong_type(key, value);
}

std::vector<std::string> split_plus(const std::string& text) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t at = text.find('+', start);
    parts.push_back(text.substr(start, at == std::string::npos ? std::string::npos : at - start));
    if (at == std::string::npos) return parts;
    start = at + 1;
  }
}

// "rank=8 alpha=16 targets=q_proj+v_proj" → "rank-8_alpha-16_targets-q_proj+v_proj"
std::string slug(const std::string& label) {
  std::string out;
  for (char c : label) {
    if (c == ' ')
      out += '_';
    else if (c == '=')
      out += '-';
    else if (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '+' || c == '-' ||
             c == '_')
      out += c;
    else
      out += '_';
  }
  if (out.size() > 80) out.resize(80);
  return out;
}

std::string run_folder(int64_t sweep_id, size_t index, const SweepPoint& point) {
  char number[32];
  std::snprintf(number, sizeof number, "%lld-%03zu", static_cast<long long>(sweep_id), index + 1);
  std::string name = number;
  std::string label = slug(point.label());
  if (!label.empty()) name += "-" + label;
  return name;
}

}  // namespace

TrainSpec apply_sweep_point(const TrainSpec& base, const SweepPoint& point) {
  TrainSpec spec = base;
  bool tie_alpha = false;
  for (const auto& [key, value] : point.overrides) {
    if (key == "rank") {
      spec.lora.rank = as_int(key, value);
    } else if (key == "alpha") {
      spec.lora.alpha = as_real(key, value);
    } else if (key == "alpha_equals_rank") {
      tie_alpha = as_bool(key, value);
    } else if (key == "targets") {
      spec.lora.target_modules = expand_targets(split_plus(as_text(key, value)));
      spec.lora.target_regex.clear();
    } else if (key == "lr") {
      spec.lr = as_real(key, value);
    } else if (key == "dropout") {
      spec.lora.dropout = as_real(key, value);
    } else if (key == "seed") {
      int64_t seed = as_int(key, value);
      spec.seed = static_cast<uint64_t>(seed);
      spec.lora.seed = static_cast<uint64_t>(seed);  // as `loralab-cli train --seed` does
    } else if (key == "precision") {
      spec.precision = parse_precision(as_text(key, value), "sweep grid: precision");
    } else if (key == "steps") {
      spec.steps = as_int(key, value);
    } else if (key == "batch") {
      spec.batch = as_int(key, value);
    } else if (key == "seq") {
      spec.seq_len = as_int(key, value);
    } else if (key == "accum") {
      spec.accum = as_int(key, value);
    } else if (key == "warmup") {
      spec.warmup = as_int(key, value);
    } else if (key == "weight_decay") {
      spec.weight_decay = as_real(key, value);
    } else if (key == "clip") {
      spec.clip = as_real(key, value);
    } else if (key == "schedule") {
      spec.schedule = as_text(key, value);
    } else if (key == "init") {
      spec.lora.init = as_text(key, value);
    } else if (key == "rslora") {
      spec.lora.rslora = as_bool(key, value);
    } else if (key == "eval_every") {
      spec.eval_every = as_int(key, value);
    } else if (key == "rehearsal_share") {
      const double share = as_real(key, value);
      if (!base.rehearsal)
        throw Error("sweep grid: rehearsal_share needs a general set to mix in; give the sweep "
                    "--rehearsal PATH");
      if (share == 0)
        spec.rehearsal.reset();  // the run without rehearsal, to compare against
      else
        spec.rehearsal_share = share;
    } else if (key == "rehearsal_opening_share") {
      if (!base.rehearsal)
        throw Error("sweep grid: rehearsal_opening_share needs a general set to mix in; give the "
                    "sweep --rehearsal PATH");
      spec.rehearsal_opening_share = as_real(key, value);
    } else if (key == "pack") {
      spec.pack = as_bool(key, value);
    } else {
      throw Error("sweep grid: key '" + key + "' has no training field to set");
    }
  }
  if (tie_alpha) spec.lora.alpha = static_cast<double>(spec.lora.rank);
  return spec;
}

SweepPlan plan_sweep(const SweepRequest& request) {
  SweepPlan plan;
  plan.spec = parse_sweep_spec(request.grid);
  if (request.random_samples)
    plan.points =
        sample_random(plan.spec, *request.random_samples, request.random_seed, request.limits);
  else
    plan.points = expand_grid(plan.spec, request.limits);
  if (request.base.full)
    throw Error("sweep: full fine-tuning has no LoRA settings to sweep; drop --full");
  // What the trainer checks against the model (positions, targets that match nothing) is checked
  // here too, from config.json alone, so no run of the sweep can be refused later.
  std::optional<ModelConfig> model_config;
  if (!request.base_model_path.empty())
    model_config = ModelConfig::load(ModelFolder::discover(request.base_model_path).config_path);
  plan.specs.reserve(plan.points.size());
  for (const auto& point : plan.points) {
    TrainSpec spec = apply_sweep_point(request.base, point);
    if (request.alpha_equals_rank && !point.find("alpha"))
      spec.lora.alpha = static_cast<double>(spec.lora.rank);
    try {
      spec.validate();
      if (model_config) {
        if (spec.seq_len > model_config->max_position_embeddings)
          throw Error("seq: " + std::to_string(spec.seq_len) + " is longer than the model's " +
                      std::to_string(model_config->max_position_embeddings) +
                      " positions (max_position_embeddings)");
        account_parameters(*model_config, spec.lora);  // throws when the targets match nothing
      }
    } catch (const Error& e) {
      throw Error("sweep: the run '" + point.label() +
                  "' would be refused by the trainer: " + e.what());
    }
    plan.specs.push_back(std::move(spec));
  }
  return plan;
}

QueuedSweep enqueue_sweep_plan(ExperimentStore& store, const SweepRequest& request,
                               const SweepPlan& plan) {
  if (request.out_root.empty()) throw Error("sweep: an output folder (--out) is needed");
  SweepRecord sweep;
  sweep.name = request.name.empty() ? "sweep" : request.name;
  sweep.grid = request.grid;
  if (request.random_samples) {
    sweep.search = "random";
    sweep.samples = *request.random_samples;
    sweep.seed = static_cast<int64_t>(request.random_seed);
  }
  auto [sweep_id, run_ids] = store.create_sweep_with_runs(sweep, [&](int64_t id) {
    std::vector<RunRecord> runs;
    for (size_t i = 0; i < plan.points.size(); ++i) {
      TrainSpec spec = plan.specs[i];
      spec.name = sweep.name + " " + plan.points[i].label();
      spec.out_dir = (fs::path(request.out_root) / run_folder(id, i, plan.points[i])).string();
      runs.push_back(run_record_for(spec, request.base_model_path, RunStatus::Queued));
    }
    return runs;
  });
  return {sweep_id, run_ids};
}

}  // namespace loralab
