// Model::random: a LLaMA-family decoder with seeded random weights, for benchmarks and tests that
// need a model of a given shape without a folder on disk.
#include "loralab/error.h"
#include "loralab/random.h"
#include "model/model_impl.h"

namespace loralab {

namespace {

uint64_t hash_name(const std::string& name) { return fnv1a(name.data(), name.size()); }

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Each tensor gets its own generator seeded from (seed, name), so a weight does not depend on the
// order in which the decoder asks for them.
class RandomWeights : public model::WeightSource {
 public:
  explicit RandomWeights(uint64_t seed) : seed_(seed) {}

  torch::Tensor get(const std::string& name, const std::vector<int64_t>& expected,
                    const std::string&, torch::ScalarType dtype) override {
    if (ends_with(name, "norm.weight")) return torch::ones(expected, torch::kFloat32).to(dtype);
    auto generator = at::detail::createCPUGenerator(mix64(seed_ ^ hash_name(name)));
    auto w = at::normal(0.0, 0.02, expected, generator, torch::TensorOptions(torch::kFloat32));
    return w.to(dtype);
  }
  bool contains(const std::string& name) const override { return true; }

 private:
  uint64_t seed_;
};

void require_positive(int64_t value, const char* field) {
  if (value <= 0)
    throw Error(std::string("Model::random: ModelConfig.") + field + " must be > 0, got " +
                std::to_string(value));
}

ModelConfig complete_config(ModelConfig config) {
  require_positive(config.hidden_size, "hidden_size");
  require_positive(config.intermediate_size, "intermediate_size");
  require_positive(config.num_hidden_layers, "num_hidden_layers");
  require_positive(config.num_attention_heads, "num_attention_heads");
  require_positive(config.vocab_size, "vocab_size");
  if (config.num_key_value_heads == 0) config.num_key_value_heads = config.num_attention_heads;
  require_positive(config.num_key_value_heads, "num_key_value_heads");
  if (config.num_attention_heads % config.num_key_value_heads != 0)
    throw Error("Model::random: ModelConfig.num_attention_heads (" +
                std::to_string(config.num_attention_heads) +
                ") must be a multiple of num_key_value_heads (" +
                std::to_string(config.num_key_value_heads) + ")");
  if (config.head_dim == 0) {
    if (config.hidden_size % config.num_attention_heads != 0)
      throw Error("Model::random: ModelConfig.hidden_size (" + std::to_string(config.hidden_size) +
                  ") must be divisible by num_attention_heads (" +
                  std::to_string(config.num_attention_heads) + ") when head_dim is 0");
    config.head_dim = config.hidden_size / config.num_attention_heads;
  }
  require_positive(config.head_dim, "head_dim");
  if (config.head_dim % 2 != 0)
    throw Error("Model::random: ModelConfig.head_dim must be even for RoPE, got " +
                std::to_string(config.head_dim));
  return config;
}

}  // namespace

std::shared_ptr<Model> Model::random(const ModelConfig& config, uint64_t seed,
                                     const ModelLoadOptions& options) {
  std::shared_ptr<Model> model(new Model());
  auto& impl = *model->impl_;
  impl.config = complete_config(config);
  impl.precision = options.precision;
  impl.config.torch_dtype = options.precision == Precision::BF16   ? "bfloat16"
                            : options.precision == Precision::F64 ? "float64"
                                                                  : "float32";
  RandomWeights weights(seed);
  torch::NoGradGuard no_grad;
  impl.net = model::Llama(impl.config, weights, impl.dtype());
  impl.net->eval();
  return model;
}

}  // namespace loralab
