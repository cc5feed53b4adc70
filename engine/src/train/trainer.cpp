// The training loop: step, schedule, clip, AdamW, evaluate, early-stop, checkpoint, report.
// A step is `accum` micro-batches of `batch` rows (B, T); the loss is the mean over every counted
// target token of the step, so accumulation gives the same gradient as one large batch.
#include <ATen/autocast_mode.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "loralab/error.h"
#include "loralab/hash.h"
#include "loralab/runtime.h"
#include "train/adamw.h"
#include "lora/targeting.h"
#include "train/checkpoint.h"
#include "train/stages.h"
#include "train/train_internal.h"
#include "util/generator_state.h"

namespace fs = std::filesystem;

namespace loralab {

int64_t peak_rss_bytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stoll(line.substr(6)) * 1024;
  return 0;
}

namespace training {

constexpr const char* kAdapterName = "train";

double learning_rate(const TrainSpec& spec, int64_t step, int64_t total_steps) {
  if (spec.warmup > 0 && step < spec.warmup) return spec.lr * double(step + 1) / double(spec.warmup);
  if (spec.schedule == "constant") return spec.lr;
  const double span = std::max<int64_t>(1, total_steps - spec.warmup);
  const double progress = std::clamp(double(step - spec.warmup) / span, 0.0, 1.0);
  const double floor = spec.lr * spec.min_lr_ratio;
  if (spec.schedule == "linear") return floor + (spec.lr - floor) * (1.0 - progress);
  return floor + (spec.lr - floor) * 0.5 * (1.0 + std::cos(M_PI * progress));
}

double flops_per_token(const ModelConfig& c, int64_t seq_len, int64_t lora_parameters, bool full) {
  const double q = double(c.num_attention_heads * c.head_dim);
  const double kv = double(c.num_key_value_heads * c.head_dim);
  const double h = double(c.hidden_size), inter = double(c.intermediate_size);
  const double per_layer = h * q + 2 * h * kv + q * h + 3 * h * inter;
  const double matmul_params = double(c.num_hidden_layers) * per_layer + double(c.vocab_size) * h;
  // Forward 2·P, input gradients 2·P, weight gradients 2·P only when the weights train.
  double flops = (full ? 6.0 : 4.0) * matmul_params + 6.0 * double(lora_parameters);
  // Scores and weighted values: 2 matmuls of 2·T·q per token forward, twice that backward.
  flops += 3.0 * 4.0 * double(seq_len) * q * double(c.num_hidden_layers);
  return flops;
}

namespace {

using Clock = std::chrono::steady_clock;

std::string short_number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

struct Trainable {
  std::vector<std::pair<std::string, torch::Tensor>> params;
  std::vector<lora::Adapter*> adapters;  // for the alpha ramp and stage growth
  std::vector<std::string> module_paths;
  std::vector<AdapterTensorNames> names;  // each adapter's A and B; they sit in params at 2i, 2i+1
  std::vector<double> target_alphas;
  int64_t count = 0;
};

// `lora` is the first stage's adapter spec (the spec's own without stages).
Trainable make_trainable(Model& model, const TrainSpec& spec, const LoraSpec& lora) {
  Trainable t;
  auto& net = model.impl().net;
  if (spec.full) {
    for (auto& item : net->named_parameters()) {
      item.value().set_requires_grad(true);
      t.params.emplace_back(item.key(), item.value());
      t.count += item.value().numel();
    }
    return t;
  }
  for (auto& item : net->named_parameters()) item.value().set_requires_grad(false);
  add_adapter(model, kAdapterName, lora);
  for (auto& [path, layer] : net->projections()) {
    auto* adapter = layer->find_adapter(kAdapterName);
    if (!adapter) continue;
    adapter->a.set_requires_grad(true);
    adapter->b.set_requires_grad(true);
    t.params.emplace_back(path + ".lora_A", adapter->a);
    t.params.emplace_back(path + ".lora_B", adapter->b);
    t.adapters.push_back(adapter);
    t.module_paths.push_back(path);
    t.names.push_back({path + ".lora_A", path + ".lora_B"});
    t.target_alphas.push_back(adapter->alpha);
    t.count += adapter->a.numel() + adapter->b.numel();
  }
  return t;
}

// The ramp runs from alpha_start to the first stage's alpha; it is applied as a ratio to every
// module's target alpha, so it carries across a stage that changes alpha.
void apply_alpha_ramp(const TrainSpec& spec, const LoraSpec& first, const LoraSpec& current,
                      Trainable& t, int64_t step, double& alpha_now) {
  alpha_now = spec.full ? 0.0 : current.alpha;
  if (spec.full || !spec.alpha_start) return;
  const double progress =
      spec.alpha_ramp_steps > 0 ? std::min(1.0, double(step) / double(spec.alpha_ramp_steps)) : 1.0;
  const double ramped = *spec.alpha_start + (first.alpha - *spec.alpha_start) * progress;
  const double ratio = first.alpha != 0 ? ramped / first.alpha : 0.0;
  alpha_now = current.alpha == first.alpha ? ramped : current.alpha * ratio;
  for (size_t i = 0; i < t.adapters.size(); ++i) t.adapters[i]->alpha = t.target_alphas[i] * ratio;
}

struct Counters {
  int64_t step = 0;
  BatchPosition position;
  double best_val = INFINITY;
  int64_t best_step = 0;
  int64_t bad_evals = 0;
  double ema = 0;
  int64_t ema_steps = 0;
  int64_t tokens_seen = 0;
  double elapsed = 0;
  std::optional<double> reference_before;
  int64_t stage = 0;  // index of the stage whose adapter shapes the trainable tensors have
};

CheckpointData snapshot(const Trainable& t, const AdamW& optimizer, const Counters& c,
                        const TrainSpec& spec, const std::string& run_hash) {
  CheckpointData data;
  for (const auto& [name, p] : t.params) data.tensors["param." + name] = p.detach();
  for (const auto& [key, value] : optimizer.state()) data.tensors["opt." + key] = value;
  data.tensors["rng"] = cpu_generator_state();
  data.state = {{"format", "loralab-checkpoint/1"}, {"step", c.step},
                {"epoch", c.position.epoch}, {"index", c.position.index},
                {"best_val", std::isfinite(c.best_val) ? nlohmann::json(c.best_val) : nlohmann::json()},
                {"best_step", c.best_step}, {"bad_evals", c.bad_evals}, {"ema", c.ema},
                {"ema_steps", c.ema_steps}, {"tokens_seen", c.tokens_seen}, {"elapsed", c.elapsed},
                {"run_hash", run_hash}, {"stage", c.stage},
                {"spec", nlohmann::json::parse(spec.to_json())}};
  if (c.reference_before) data.state["reference_before"] = *c.reference_before;
  return data;
}

CheckpointData read_own_checkpoint(const std::string& dir, const std::string& run_hash,
                                   size_t stage_count) {
  auto data = read_checkpoint(dir);
  if (data.state.value("run_hash", std::string()) != run_hash)
    throw Error("checkpoint " + dir + " belongs to another run (its run hash differs: the model, "
                "data, configuration or seed changed)");
  const auto stage = data.state.value("stage", int64_t(0));
  if (stage < 0 || stage >= int64_t(stage_count))
    throw Error("checkpoint " + dir + ": stage " + std::to_string(stage) + " is outside the run's " +
                std::to_string(stage_count) + " stage(s)");
  return data;
}

// The trainable tensors must already have the checkpoint's stage shapes.
void restore(const std::string& dir, const CheckpointData& data, Trainable& t, AdamW& optimizer,
             Counters& c, BatchIterator& iterator) {
  const auto& s = data.state;
  torch::NoGradGuard no_grad;
  for (auto& [name, p] : t.params) {
    auto it = data.tensors.find("param." + name);
    if (it == data.tensors.end() || it->second.sizes() != p.sizes())
      throw Error("checkpoint " + dir + ": tensor param." + name + " is missing or has another shape");
    p.copy_(it->second);
  }
  std::map<std::string, torch::Tensor> opt;
  for (const auto& [name, tensor] : data.tensors)
    if (name.rfind("opt.", 0) == 0) opt[name.substr(4)] = tensor;
  optimizer.load_state(opt, dir);
  set_cpu_generator_state(data.tensors.at("rng"));
  c.step = s.at("step").get<int64_t>();
  c.position = {s.at("epoch").get<int64_t>(), s.at("index").get<int64_t>()};
  iterator.restore(c.position);
  c.best_val = s.at("best_val").is_null() ? INFINITY : s.at("best_val").get<double>();
  c.best_step = s.at("best_step").get<int64_t>();
  c.bad_evals = s.at("bad_evals").get<int64_t>();
  c.ema = s.at("ema").get<double>();
  c.ema_steps = s.at("ema_steps").get<int64_t>();
  c.tokens_seen = s.at("tokens_seen").get<int64_t>();
  c.elapsed = s.at("elapsed").get<double>();
  if (s.contains("reference_before")) c.reference_before = s["reference_before"].get<double>();
}

int64_t total_steps_of(const TrainSpec& spec, const BatchIterator& iterator) {
  if (!spec.stages.empty()) return staged_total_steps(spec);
  if (spec.steps > 0) return spec.steps;
  const double micro = double(iterator.batches_per_epoch()) * spec.epochs;
  return std::max<int64_t>(1, int64_t(std::ceil(micro / double(spec.accum))));
}

}  // namespace

TrainResult run_training(Model& model, const TrainSpec& spec, PreparedData& data,
                         TrainObserver* observer, TrainControl* control,
                         const std::string& resume_checkpoint, const std::string& run_hash) {
  auto& impl = model.impl();
  auto& net = *impl.net;
  const bool bf16 = spec.precision == Precision::BF16;
  struct RecomputeScope {
    model::LlamaImpl& net;
    ~RecomputeScope() { net.recompute_layers = false; }
  } recompute_scope{net};
  net.recompute_layers = spec.recompute;
  BatchIterator iterator(data.train.rows(), spec.batch, spec.seed);
  const int64_t total_steps = total_steps_of(spec, iterator);
  const auto stages = resolve_stages(spec, total_steps);
  Trainable trainable = make_trainable(model, spec, stages.front().lora);
  const AdamWOptions adam_options{spec.beta1, spec.beta2, spec.adam_eps, spec.weight_decay};
  // Replaced when a stage grows the adapters (its tensors change shape).
  auto optimizer = std::make_unique<AdamW>(trainable.params, adam_options);
  const std::string checkpoint_dir = (fs::path(spec.out_dir) / "checkpoint").string();
  double step_flops_per_token =
      flops_per_token(impl.config, spec.seq_len, spec.full ? 0 : trainable.count, spec.full);

  auto say = [&](const std::string& text) {
    if (observer) observer->on_message(text);
  };
  TrainPlan plan{total_steps,           data.train.rows(), data.validation.rows(),
                 data.train.target_tokens, trainable.count,   model.parameter_count(),
                 data.fingerprint,      run_hash,          data.rehearsal_rows,
                 data.rehearsal_opening_rows};
  Counters c;
  auto advance_stage = [&] {
    const auto& from = stages[c.stage].lora;
    const auto& to = stages[c.stage + 1].lora;
    ++c.stage;
    std::string change = "lr " + short_number(stages[c.stage].lr);
    if (!spec.full) {
      auto state = optimizer->state();
      for (size_t i = 0; i < trainable.adapters.size(); ++i) {
        grow_adapter(*trainable.adapters[i], trainable.module_paths[i], from, to, c.stage,
                     trainable.names[i], state);
        trainable.target_alphas[i] = lora::alpha_for(to, trainable.module_paths[i]);
        trainable.params[2 * i].second = trainable.adapters[i]->a;
        trainable.params[2 * i + 1].second = trainable.adapters[i]->b;
      }
      trainable.count = 0;
      for (const auto& [_, p] : trainable.params) trainable.count += p.numel();
      optimizer = std::make_unique<AdamW>(trainable.params, adam_options);
      optimizer->load_state(state, "stage " + std::to_string(c.stage) + " growth");
      // What save_adapter writes: the final stage's rank and alpha.
      for (auto& info : impl.adapters) {
        if (info.name != kAdapterName) continue;
        const auto base = info.spec.base_model_name_or_path;
        info.spec = to;
        info.spec.base_model_name_or_path = base;
        info.parameters = trainable.count;
      }
      step_flops_per_token = flops_per_token(impl.config, spec.seq_len, trainable.count, false);
      change = "rank " + std::to_string(from.rank) + " → " + std::to_string(to.rank) + ", alpha " +
               short_number(from.alpha) + " → " + short_number(to.alpha) + ", " + change;
    }
    say("stage " + std::to_string(c.stage + 1) + " of " + std::to_string(stages.size()) +
        " from step " + std::to_string(stages[c.stage].start) + ": " + change);
  };
  if (!resume_checkpoint.empty()) {
    const auto saved = read_own_checkpoint(resume_checkpoint, run_hash, stages.size());
    // Grow to the checkpoint's stage first so that its tensors fit; the values are then replaced.
    const auto saved_stage = saved.state.value("stage", int64_t(0));
    while (c.stage < saved_stage) advance_stage();
    restore(resume_checkpoint, saved, trainable, *optimizer, c, iterator);
    say("resumed from " + resume_checkpoint + " at step " + std::to_string(c.step));
  } else {
    // Some sources (a merged base, a different init) need not start from a fixed RNG state.
    torch::manual_seed(spec.seed);
  }
  if (observer) observer->on_plan(plan);
  if (data.reference && !c.reference_before && resume_checkpoint.empty())
    c.reference_before = mean_loss(net, *data.reference, spec.batch, 64, spec.precision);

  TrainResult result;
  result.run_hash = run_hash;
  result.out_dir = spec.out_dir;
  result.train_rows = data.train.rows();
  result.rehearsal_rows = data.rehearsal_rows;
  auto finish = [&](const std::string& status, const std::string& message) {
    result.status = status;
    result.message = message;
    result.steps_done = c.step;
    result.final_train_loss = c.ema_steps ? c.ema : 0.0;
    if (std::isfinite(c.best_val)) result.best_val_loss = c.best_val;
    result.best_step = c.best_step;
    result.tokens_per_s = c.elapsed > 0 ? double(c.tokens_seen) / c.elapsed : 0.0;
    result.peak_rss_bytes = peak_rss_bytes();
    result.reference_loss_before = c.reference_before;
    if (data.reference) result.reference_loss_after = mean_loss(net, *data.reference, spec.batch, 64, spec.precision);
    return result;
  };
  auto checkpoint = [&] {
    write_checkpoint(checkpoint_dir, snapshot(trainable, *optimizer, c, spec, run_hash));
    result.checkpoint_dir = checkpoint_dir;
  };
  auto evaluate = [&]() -> bool {  // true = stop early
    if (data.validation.rows() == 0) return false;
    EvalMetrics m;
    m.step = c.step;
    m.val_loss = mean_loss(net, data.validation, spec.batch, spec.eval_batches * spec.batch, spec.precision);
    m.perplexity = std::exp(m.val_loss);
    if (m.val_loss < c.best_val - spec.min_delta) {
      c.best_val = m.val_loss;
      c.best_step = c.step;
      c.bad_evals = 0;
      m.best = true;
    } else {
      ++c.bad_evals;
    }
    m.best_val_loss = c.best_val;
    m.best_step = c.best_step;
    if (observer) observer->on_eval(m);
    return spec.patience > 0 && c.bad_evals >= spec.patience;
  };

  net.train();
  double step_time_ema = 0;
  while (c.step < total_steps) {
    if (control && control->pause.load()) {
      if (observer) observer->on_paused(true);
      while (control->pause.load() && !control->stop.load())
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      if (observer) observer->on_paused(false);
    }
    if (control && control->stop.load()) {
      checkpoint();
      return finish("stopped", "stopped at step " + std::to_string(c.step) + "; resumable from " + checkpoint_dir);
    }
    while (c.stage + 1 < int64_t(stages.size()) && c.step >= stages[c.stage + 1].start) advance_stage();
    const auto& stage = stages[c.stage];
    const auto started = Clock::now();
    const double lr = stage_learning_rate(stage, c.step);
    double alpha_now = 0;
    apply_alpha_ramp(spec, stages.front().lora, stage.lora, trainable, c.step, alpha_now);

    // Gather the step's micro-batches first: the loss is normalised by all their counted tokens.
    std::vector<BatchTensors> micro;
    int64_t counted = 0, step_tokens = 0;
    const auto position_before = iterator.position();
    for (int64_t m = 0; m < spec.accum; ++m) {
      micro.push_back(batch_tensors(data.train, iterator.next().rows));
      counted += micro.back().counted;
      step_tokens += micro.back().inputs.numel();
    }
    optimizer->zero_grad();
    double loss_sum = 0;
    {
      AutocastScope autocast(bf16);
      for (auto& batch : micro) {
        auto [sum, n] = masked_loss_sum(net, batch.inputs, batch.targets, batch.mask);
        auto loss = sum / double(std::max<int64_t>(1, counted));
        loss.backward();
        loss_sum += sum.item<double>();
      }
    }
    const double train_loss = loss_sum / double(std::max<int64_t>(1, counted));
    const double grad_norm = optimizer->clip_grad_norm(spec.clip);
    if (!std::isfinite(train_loss) || !std::isfinite(grad_norm)) {
      // The weights are still those of the last good step: keep them as the checkpoint.
      iterator.restore(position_before);
      optimizer->zero_grad();
      checkpoint();
      return finish("failed", std::string(!std::isfinite(train_loss) ? "loss" : "gradient norm") +
                                  " became " + (std::isnan(train_loss + grad_norm) ? "NaN" : "infinite") +
                                  " at step " + std::to_string(c.step + 1) +
                                  "; the last good state is in " + checkpoint_dir +
                                  " (try a lower --lr or a smaller --clip)");
    }
    optimizer->step(lr);
    ++c.step;
    c.position = iterator.position();
    c.tokens_seen += step_tokens;
    c.ema = c.ema_steps == 0 ? train_loss : spec.ema_decay * c.ema + (1 - spec.ema_decay) * train_loss;
    ++c.ema_steps;
    const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    c.elapsed += seconds;
    step_time_ema = step_time_ema == 0 ? seconds : 0.9 * step_time_ema + 0.1 * seconds;

    if (observer) {
      StepMetrics m;
      m.step = c.step;
      m.total_steps = total_steps;
      m.epoch = double(c.position.epoch) + double(c.position.index) / double(std::max<int64_t>(1, iterator.rows()));
      m.train_loss = train_loss;
      m.smoothed_loss = c.ema;
      m.lr = lr;
      m.alpha = alpha_now;
      m.grad_norm = grad_norm;
      m.tokens_per_s = double(step_tokens) / seconds;
      m.gflops = m.tokens_per_s * step_flops_per_token / 1e9;
      m.tokens_seen = c.tokens_seen;
      m.elapsed_s = c.elapsed;
      m.eta_s = step_time_ema * double(total_steps - c.step);
      m.peak_rss_bytes = peak_rss_bytes();
      m.stage = c.stage;
      m.rank = spec.full ? 0 : stage.lora.rank;
      observer->on_step(m);
    }
    const bool last = c.step == total_steps;
    bool stop_early = false;
    if ((spec.eval_every > 0 && c.step % spec.eval_every == 0) || last) stop_early = evaluate();
    if (spec.checkpoint_every > 0 && c.step % spec.checkpoint_every == 0 && !last) checkpoint();
    if (stop_early) {
      checkpoint();
      return finish("early_stopped", "validation loss did not improve for " +
                                         std::to_string(spec.patience) + " evaluations; best " +
                                         std::to_string(c.best_val) + " at step " +
                                         std::to_string(c.best_step));
    }
  }
  checkpoint();
  return finish("done", "trained " + std::to_string(c.step) + " steps");
}

}  // namespace training
}  // namespace loralab
