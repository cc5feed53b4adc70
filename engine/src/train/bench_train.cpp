// R1 / R1-full training benchmark (shared/design/PERFORMANCE.md): the trainer's own step loop on a
// random model and random tokens, so the figure is what `loralab-cli train` achieves, not a
// stripped-down kernel. Warm-up steps run first and are not timed.
#include <algorithm>
#include <ctime>
#include <filesystem>
#include <memory>
#include <random>

#include <torch/csrc/autograd/profiler_legacy.h>

#include "loralab/bench.h"
#include "loralab/dataset.h"
#include "loralab/error.h"
#include "loralab/runtime.h"
#include "train/train_internal.h"

namespace fs = std::filesystem;

namespace loralab {

void TrainBenchSpec::validate() const {
  shape.validate("TrainBenchSpec");
  auto positive = [](int64_t value, const char* field) {
    if (value <= 0)
      throw Error(std::string("TrainBenchSpec.") + field + ": expected > 0, got " +
                  std::to_string(value));
  };
  positive(seq, "seq");
  positive(batch, "batch");
  positive(threads, "threads");
  positive(steps, "steps");
  if (!full) positive(rank, "rank");
  if (warmup < 0) throw Error("TrainBenchSpec.warmup: expected ≥ 0, got " + std::to_string(warmup));
  if (!(lr > 0)) throw Error("TrainBenchSpec.lr: expected > 0, got " + std::to_string(lr));
  if (!full && targets.empty()) throw Error("TrainBenchSpec.targets: expected at least one module");
}

namespace {

// Step times and losses as the trainer reports them.
class StepClock : public TrainObserver {
 public:
  void on_step(const StepMetrics& m) override {
    seconds.push_back(m.elapsed_s - last_elapsed_);
    last_elapsed_ = m.elapsed_s;
    losses.push_back(m.train_loss);
    gflops.push_back(m.gflops);
    if (m.step == warmup_steps) {
      cpu_at_warmup = std::clock();
      if (!profile_path.empty())
        profile = std::make_unique<torch::autograd::profiler::RecordProfile>(profile_path);
    }
  }
  int64_t warmup_steps = 0;
  std::string profile_path;
  std::unique_ptr<torch::autograd::profiler::RecordProfile> profile;
  std::clock_t cpu_at_warmup = 0;
  std::vector<double> seconds, losses, gflops;

 private:
  double last_elapsed_ = 0;
};

// Enough random rows for every step without repeating a batch.
training::PreparedData random_rows(const TrainBenchSpec& spec) {
  training::PreparedData data;
  auto& set = data.train;
  set.seq_len = spec.seq;
  const int64_t rows = spec.batch * (spec.warmup + spec.steps);
  const auto n = static_cast<size_t>(rows * spec.seq);
  SeededRng rng(spec.seed + 7);
  set.inputs.resize(n);
  set.targets.resize(n);
  set.target_mask.assign(n, 1);
  for (size_t i = 0; i < n; ++i) {
    set.inputs[i] = static_cast<int32_t>(rng.below(static_cast<uint64_t>(spec.shape.vocab)));
    set.targets[i] = static_cast<int32_t>(rng.below(static_cast<uint64_t>(spec.shape.vocab)));
  }
  set.stream_tokens = set.target_tokens = static_cast<int64_t>(n);
  data.fingerprint = "bench";
  return data;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

}  // namespace

TrainBenchResult run_train_bench(const TrainBenchSpec& spec) {
  spec.validate();
  set_compute_threads(spec.threads);
  ModelLoadOptions options;
  options.precision = Precision::F32;  // master weights; bf16 runs through autocast
  auto model = Model::random(spec.shape.config(std::max<int64_t>(2048, spec.seq)), spec.seed, options);

  TrainSpec train;
  train.name = "bench";
  train.full = spec.full;
  train.recompute = spec.recompute;
  train.lora.rank = spec.rank;
  train.lora.alpha = spec.alpha;
  train.lora.dropout = spec.dropout;
  train.lora.target_modules = spec.targets;
  train.lora.seed = spec.seed;
  train.seq_len = spec.seq;
  train.batch = spec.batch;
  train.steps = spec.warmup + spec.steps;
  train.lr = spec.lr;
  train.schedule = "constant";
  train.weight_decay = spec.weight_decay;
  train.eval_every = 0;
  train.seed = spec.seed;
  train.precision = spec.precision;
  train.threads = spec.threads;

  // The trainer leaves a checkpoint in out_dir at the end; keep it out of the user's folders.
  const fs::path scratch = fs::temp_directory_path() /
                           ("loralab-bench-train-" + std::to_string(std::random_device{}()));
  fs::create_directories(scratch);
  train.out_dir = scratch.string();
  struct Cleanup {
    fs::path dir;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } cleanup{scratch};

  auto data = random_rows(spec);
  StepClock clock;
  clock.warmup_steps = spec.warmup;
  clock.profile_path = spec.profile_path;
  const std::clock_t cpu_start = std::clock();
  if (spec.warmup == 0) clock.cpu_at_warmup = cpu_start;
  const auto run = training::run_training(*model, train, data, &clock, nullptr, "", "bench");
  const std::clock_t cpu_end = std::clock();
  clock.profile.reset();  // writes the trace
  if (run.status != "done") throw Error("bench train: the run ended " + run.status + ": " + run.message);

  // The final checkpoint write happens after the last step and is not part of any step's time.
  TrainBenchResult result;
  result.steps_ms.assign(clock.seconds.begin() + spec.warmup, clock.seconds.end());
  double timed_s = 0;
  for (auto& s : result.steps_ms) {
    timed_s += s;
    s *= 1000.0;
  }
  const double timed_tokens = double(spec.steps * spec.batch * spec.seq);
  result.tokens_per_s = timed_s > 0 ? timed_tokens / timed_s : 0;
  const double cpu_s = double(cpu_end - clock.cpu_at_warmup) / CLOCKS_PER_SEC;
  result.cpu_tokens_per_s = cpu_s > 0 ? timed_tokens / cpu_s : 0;
  result.step_ms = median(result.steps_ms);
  result.gflops = median({clock.gflops.begin() + spec.warmup, clock.gflops.end()});
  result.total_parameters = model->parameter_count();
  result.trainable_parameters = spec.full ? result.total_parameters
                                          : account_parameters(model->config(), train.lora).trainable;
  result.peak_rss_bytes = peak_rss_bytes();
  result.first_loss = clock.losses.front();
  result.last_loss = clock.losses.back();
  result.threads = compute_threads();
  return result;
}

}  // namespace loralab
