// G1 sampling benchmark (shared/design/PERFORMANCE.md): random model, 3-token prompt, batch 1,
// temperature 0.8, top-k 40, KV cache; N random adapters blended live or merged. Adapters are
// created through the public LoRA API and then given non-zero B through the layer internals, so
// the live path does real work.
#include <algorithm>
#include <chrono>
#include <ctime>
#include <string>

#include "lora/lora_linear.h"
#include "loralab/bench.h"
#include "loralab/error.h"
#include "loralab/lora.h"
#include "loralab/runtime.h"
#include "loralab/sampler.h"
#include "model/model_impl.h"
#include "sample/decode_kernels.h"
#include "sample/fast_decode.h"

namespace loralab {

void BenchModelShape::validate(const std::string& what) const {
  auto positive = [&](int64_t value, const char* field) {
    if (value <= 0)
      throw Error(what + "." + field + ": expected > 0, got " + std::to_string(value));
  };
  positive(hidden, "hidden");
  positive(layers, "layers");
  positive(heads, "heads");
  positive(kv_heads, "kv_heads");
  positive(intermediate, "intermediate");
  positive(vocab, "vocab");
  if (hidden % heads != 0)
    throw Error(what + ".hidden (" + std::to_string(hidden) + ") must be divisible by heads (" +
                std::to_string(heads) + ")");
  if (heads % kv_heads != 0)
    throw Error(what + ".heads (" + std::to_string(heads) + ") must be a multiple of kv_heads (" +
                std::to_string(kv_heads) + ")");
  if ((hidden / heads) % 2 != 0)
    throw Error(what + ": hidden / heads must be even (RoPE), got " + std::to_string(hidden / heads));
}

ModelConfig BenchModelShape::config(int64_t positions) const {
  ModelConfig config;
  config.hidden_size = hidden;
  config.intermediate_size = intermediate;
  config.num_hidden_layers = layers;
  config.num_attention_heads = heads;
  config.num_key_value_heads = kv_heads;
  config.vocab_size = vocab;
  config.tie_word_embeddings = true;
  config.max_position_embeddings = positions;
  return config;
}

void SampleBenchSpec::validate() const {
  BenchModelShape{hidden, layers, heads, kv_heads, intermediate, vocab}.validate("SampleBenchSpec");
  auto positive = [](int64_t value, const char* field) {
    if (value <= 0)
      throw Error(std::string("SampleBenchSpec.") + field + ": expected > 0, got " +
                  std::to_string(value));
  };
  positive(new_tokens, "new_tokens");
  positive(prompt_tokens, "prompt_tokens");
  positive(rank, "rank");
  positive(threads, "threads");
  positive(repeats, "repeats");
  if (adapters < 0) throw Error("SampleBenchSpec.adapters: expected ≥ 0, got " + std::to_string(adapters));
  if (decode_threads < 0)
    throw Error("SampleBenchSpec.decode_threads: expected ≥ 0 (0 = automatic), got " +
                std::to_string(decode_threads));
  if (warmup < 0) throw Error("SampleBenchSpec.warmup: expected ≥ 0, got " + std::to_string(warmup));
}

namespace {

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

// Fresh LoRA inits have B = 0; give every adapter a random B so its product is not trivially zero.
void randomise_b(Model& model, const std::string& name, uint64_t seed) {
  torch::NoGradGuard no_grad;
  auto generator = at::detail::createCPUGenerator(seed);
  for (auto& [path, layer] : model.impl().net->projections())
    if (auto* adapter = layer->find_adapter(name)) adapter->b.normal_(0.0, 0.02, generator);
}

}  // namespace

SampleBenchResult run_sample_bench(const SampleBenchSpec& spec) {
  spec.validate();
  set_compute_threads(spec.threads);

  const BenchModelShape shape{spec.hidden, spec.layers, spec.heads, spec.kv_heads,
                              spec.intermediate, spec.vocab};
  const auto config = shape.config(std::max<int64_t>(2048, spec.prompt_tokens + spec.new_tokens));
  ModelLoadOptions options;
  options.precision = spec.precision;
  auto model = Model::random(config, spec.seed, options);

  SampleBenchResult result;
  result.base_parameters = model->parameter_count();
  for (int i = 0; i < spec.adapters; ++i) {
    LoraSpec lora;
    lora.rank = spec.rank;
    lora.alpha = static_cast<double>(spec.rank);
    lora.target_modules = {"q_proj", "k_proj", "v_proj", "o_proj"};
    lora.init = "gaussian";
    lora.seed = spec.seed + 1 + static_cast<uint64_t>(i);
    const std::string name = "bench" + std::to_string(i);
    auto info = add_adapter(*model, name, lora);
    result.adapter_parameters += info.parameters;
    randomise_b(*model, name, spec.seed + 1000 + static_cast<uint64_t>(i));
    set_adapter_weight(*model, name, spec.adapter_weight);
  }
  if (spec.merged && spec.adapters > 0) merge_adapters(*model);

  std::vector<int32_t> prompt;
  for (int i = 0; i < spec.prompt_tokens; ++i)
    prompt.push_back(static_cast<int32_t>((7 + 31 * i) % spec.vocab));
  SampleSpec sample;
  sample.max_new_tokens = spec.new_tokens;
  sample.temperature = 0.8;
  sample.top_k = 40;
  sample.stop_at_eos = false;

  Sampler sampler(model);
  sampler.set_threads(spec.decode_threads);
  for (int i = 0; i < spec.warmup; ++i) {
    sample.seed = spec.seed + static_cast<uint64_t>(i);
    sampler.generate(prompt, sample);
  }
  std::vector<double> first_ms, step_ms, cpu_rates;
  for (int i = 0; i < spec.repeats; ++i) {
    sample.seed = spec.seed + 100 + static_cast<uint64_t>(i);
    const std::clock_t cpu_start = std::clock();
    auto run = sampler.generate(prompt, sample);
    const double cpu_s = double(std::clock() - cpu_start) / CLOCKS_PER_SEC;
    const auto produced = static_cast<int>(run.tokens.size());
    if (produced != spec.new_tokens)
      throw Error("bench sample: generated " + std::to_string(produced) + " tokens instead of " +
                  std::to_string(spec.new_tokens));
    result.runs_tokens_per_s.push_back(produced / (run.total_ms / 1000.0));
    cpu_rates.push_back(cpu_s > 0 ? produced / cpu_s : 0.0);
    first_ms.push_back(run.first_token_ms);
    step_ms.push_back(produced > 1 ? (run.total_ms - run.first_token_ms) / (produced - 1) : 0.0);
  }
  result.tokens_per_s = median(result.runs_tokens_per_s);
  result.first_token_ms = median(first_ms);
  result.step_ms = median(step_ms);
  result.cpu_tokens_per_s = median(cpu_rates);
  result.generated_tokens = spec.new_tokens;
  result.threads = compute_threads();
  result.decode_threads = sampler.generation_threads();
  if (!sample::fast_decode_enabled() || !sample::FastDecoder::supports(*model->impl().net))
    result.decode_path = "libtorch";
  else
    result.decode_path = sample::kernels::using_avx2() ? "kernels-avx2" : "kernels";
  return result;
}

}  // namespace loralab
