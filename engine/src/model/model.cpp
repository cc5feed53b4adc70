// loralab::Model: loads a Hugging Face LLaMA-family folder into the LibTorch decoder.
#include "model/model_impl.h"

#include "io/tensor_convert.h"
#include "loralab/error.h"
#include "loralab/safetensors.h"
#include "sample/fast_decode.h"

namespace loralab {

const char* precision_name(Precision precision) {
  switch (precision) {
    case Precision::BF16: return "bf16";
    case Precision::F64: return "fp64";
    default: return "fp32";
  }
}

Precision parse_precision(const std::string& text, const std::string& what) {
  if (text == "fp32" || text == "f32" || text == "float32") return Precision::F32;
  if (text == "bf16" || text == "bfloat16") return Precision::BF16;
  if (text == "fp64" || text == "f64" || text == "float64") return Precision::F64;
  throw Error(what + ": expected fp32 or bf16, got '" + text + "'");
}

namespace {

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) out += (i ? "," : "") + std::to_string(shape[i]);
  return out + "]";
}

class SafetensorsWeights : public model::WeightSource {
 public:
  SafetensorsWeights(st::ShardedFiles files, std::string config_path)
      : files_(std::move(files)), config_path_(std::move(config_path)) {}

  torch::Tensor get(const std::string& name, const std::vector<int64_t>& expected,
                    const std::string& why, torch::ScalarType dtype) override {
    if (!files_.contains(name))
      throw Error("model weights: tensor " + name + " is missing (expected shape " +
                  shape_string(expected) + ")");
    auto view = files_.tensor(name);
    const auto& file = files_.file_of(name);
    if (view.info->shape != expected)
      throw Error(file + ": tensor " + name + " has shape " + shape_string(view.info->shape) +
                  ", " + config_path_ + " expects " + shape_string(expected) + " (" + why + ")");
    return io::to_tensor(view, dtype, file);
  }
  bool contains(const std::string& name) const override { return files_.contains(name); }

 private:
  st::ShardedFiles files_;
  std::string config_path_;
};

}  // namespace

torch::Tensor Model::Impl::token_tensor(const std::vector<int32_t>& tokens) const {
  if (tokens.empty()) throw Error("no tokens given");
  for (size_t i = 0; i < tokens.size(); ++i)
    if (tokens[i] < 0 || tokens[i] >= config.vocab_size)
      throw Error("token " + std::to_string(tokens[i]) + " at position " + std::to_string(i) +
                  " is outside the vocabulary [0, " + std::to_string(config.vocab_size) + ")");
  std::vector<int64_t> ids(tokens.begin(), tokens.end());
  return torch::tensor(ids, torch::kInt64).unsqueeze(0);
}

Model::Model() : impl_(std::make_unique<Impl>()) {}
Model::~Model() = default;

std::shared_ptr<Model> Model::load(const std::string& dir, const ModelLoadOptions& options) {
  std::shared_ptr<Model> model(new Model());
  auto& impl = *model->impl_;
  impl.folder = ModelFolder::discover(dir);
  impl.config = ModelConfig::load(impl.folder.config_path);
  impl.precision = options.precision;
  SafetensorsWeights weights(st::ShardedFiles::open(impl.folder.weights_path),
                             impl.folder.config_path);
  torch::NoGradGuard no_grad;
  impl.net = model::Llama(impl.config, weights, impl.dtype());
  impl.net->eval();
  return model;
}

const ModelConfig& Model::config() const { return impl_->config; }
const ModelFolder& Model::folder() const { return impl_->folder; }
Precision Model::precision() const { return impl_->precision; }

int64_t Model::parameter_count() const {
  int64_t total = 0;
  for (const auto& p : impl_->net->named_parameters()) total += p.value().numel();
  return total;
}

namespace {

std::vector<float> to_vector(const torch::Tensor& t) {
  auto flat = t.to(torch::kFloat32).contiguous();
  return std::vector<float>(flat.data_ptr<float>(), flat.data_ptr<float>() + flat.numel());
}

}  // namespace

std::vector<float> Model::logits(const std::vector<int32_t>& tokens) const {
  std::lock_guard lock(impl_->forward_mutex);
  torch::NoGradGuard no_grad;
  return to_vector(impl_->net->forward(impl_->token_tensor(tokens)));
}

std::vector<float> Model::last_logits(const std::vector<int32_t>& tokens) const {
  std::lock_guard lock(impl_->forward_mutex);
  torch::NoGradGuard no_grad;
  auto hidden = impl_->net->hidden_states(impl_->token_tensor(tokens));
  return to_vector(impl_->net->logits(hidden.select(1, hidden.size(1) - 1)));
}

std::vector<float> Model::logits_incremental(const std::vector<int32_t>& tokens) const {
  std::lock_guard lock(impl_->forward_mutex);
  torch::NoGradGuard no_grad;
  auto ids = impl_->token_tensor(tokens);
  const size_t vocab = static_cast<size_t>(impl_->config.vocab_size);
  // The sampler's decoding step where it applies (float32), else LibTorch with the same cache.
  model::KVCache cache;
  sample::FastDecoder decoder;
  const bool fast = sample::fast_decode_enabled();
  std::vector<float> out(tokens.size() * vocab);
  for (int64_t t = 0; t < ids.size(1); ++t) {
    float* row = out.data() + t * vocab;
    if (fast && decoder.step(*impl_->net, cache, tokens[t], row)) continue;
    auto logits = to_vector(impl_->net->forward(ids.narrow(1, t, 1), &cache));
    std::copy(logits.begin(), logits.end(), row);
  }
  return out;
}

}  // namespace loralab
