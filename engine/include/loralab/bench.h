// Engine benchmarks behind `loralab-cli bench MODE` (shared/design/PERFORMANCE.md). Each runs a
// reference configuration on a random model and reports medians over timed repetitions.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "loralab/model.h"
#include "loralab/model_config.h"

namespace loralab {

// The random LLaMA model every benchmark runs on (R1's shape by default). `what` names the spec in
// error messages; throws for non-positive sizes, heads not dividing hidden, odd head dims.
struct BenchModelShape {
  int64_t hidden = 256;
  int64_t layers = 4;
  int64_t heads = 8;
  int64_t kv_heads = 4;
  int64_t intermediate = 688;
  int64_t vocab = 4096;

  void validate(const std::string& what) const;
  ModelConfig config(int64_t positions) const;  // tied embeddings
};

// G1 — batch-1 sampling with a KV cache from a short prompt, optionally with random LoRA adapters
// (rank r on q, k, v, o) blended live at `adapter_weight` each, or merged into the weights first.
struct SampleBenchSpec {
  int64_t hidden = 256;
  int64_t layers = 4;
  int64_t heads = 8;
  int64_t kv_heads = 4;
  int64_t intermediate = 688;
  int64_t vocab = 4096;
  int new_tokens = 256;
  int prompt_tokens = 3;
  int adapters = 0;
  int64_t rank = 16;
  double adapter_weight = 0.5;
  bool merged = false;
  int threads = 2;         // process-wide intra-op threads (the budget both peers get)
  int decode_threads = 0;  // Sampler::set_threads: 0 = the sampler's automatic choice
  Precision precision = Precision::F32;
  uint64_t seed = 0;
  int warmup = 2;   // untimed generations first
  int repeats = 7;  // timed generations; medians are reported

  void validate() const;  // throws naming the field
};

struct SampleBenchResult {
  double tokens_per_s = 0;    // median of new_tokens / generation wall time (prefill included)
  double first_token_ms = 0;  // median time to the first sampled token
  double step_ms = 0;         // median mean time per token after the first
  // new_tokens / process CPU seconds (all threads): on a machine shared with other work, where
  // wall time mostly measures waiting, this shows the work the engine itself does.
  double cpu_tokens_per_s = 0;
  std::vector<double> runs_tokens_per_s;  // every timed repetition, in order
  int64_t base_parameters = 0;
  int64_t adapter_parameters = 0;  // Σ over adapters of (in + out) · r
  int generated_tokens = 0;        // per repetition
  int threads = 0;                 // process-wide intra-op threads
  int decode_threads = 0;          // intra-op threads the sampler generated with
  // How single tokens were decoded: "kernels-avx2" / "kernels" (the engine's float32 decoding
  // kernels, with or without AVX2+FMA) or "libtorch" (LibTorch operations: other dtypes, or
  // LORALAB_DECODE=torch).
  std::string decode_path;
};

// Sets the process-wide compute threads to spec.threads.
SampleBenchResult run_sample_bench(const SampleBenchSpec& spec);

// R1 / R1-full — training steps of the real trainer (AdamW, clipping, dropout, the same step loop
// `train` runs) on random tokens: LoRA on `targets`, or every weight with `full`.
struct TrainBenchSpec {
  BenchModelShape shape;
  int64_t seq = 256;
  int64_t batch = 8;
  int64_t rank = 16;
  double alpha = 16;
  double dropout = 0.05;
  std::vector<std::string> targets = {"q_proj", "k_proj", "v_proj", "o_proj"};
  bool full = false;
  bool recompute = false;  // TrainSpec::recompute
  double lr = 3e-4;
  double weight_decay = 0.01;
  int threads = 2;
  Precision precision = Precision::F32;
  uint64_t seed = 0;
  int warmup = 3;  // untimed steps first
  int steps = 20;  // timed steps
  std::string profile_path;  // when set: a chrome://tracing trace of the timed steps' operators

  void validate() const;  // throws naming the field
};

struct TrainBenchResult {
  double tokens_per_s = 0;      // timed tokens / timed wall seconds
  double cpu_tokens_per_s = 0;  // timed tokens / process CPU seconds (all threads)
  double step_ms = 0;           // median step time
  std::vector<double> steps_ms; // every timed step, in order
  double gflops = 0;            // achieved, from the trainer's matmul FLOP count
  int64_t trainable_parameters = 0;
  int64_t total_parameters = 0;
  int64_t peak_rss_bytes = 0;   // of the whole process (run one variant per process)
  double first_loss = 0, last_loss = 0;
  int threads = 0;
};

TrainBenchResult run_train_bench(const TrainBenchSpec& spec);

}  // namespace loralab
