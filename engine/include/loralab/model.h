// A loaded LLaMA-family model (Hugging Face folder) behind a torch-free interface.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "loralab/model_config.h"

namespace loralab {

enum class Precision { F32, BF16, F64 };  // F64: for gradient checks
const char* precision_name(Precision precision);          // "fp32", "bf16", "fp64"
Precision parse_precision(const std::string& text, const std::string& what);  // fp32|f32|bf16

struct ModelLoadOptions {
  Precision precision = Precision::F32;  // compute dtype the weights are loaded into
};

class Model {
 public:
  // Loads config.json and the safetensors weights of a Hugging Face folder. Throws loralab::Error
  // naming the file, the tensor or key, the expected and the found shape.
  static std::shared_ptr<Model> load(const std::string& dir, const ModelLoadOptions& options = {});
  // A model with seeded random weights (std 0.02, norms 1) for benchmarks and tests; no folder.
  static std::shared_ptr<Model> random(const ModelConfig& config, uint64_t seed,
                                       const ModelLoadOptions& options = {});
  ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  const ModelConfig& config() const;
  const ModelFolder& folder() const;
  Precision precision() const;
  int64_t parameter_count() const;  // base weights, tied embeddings counted once

  // Logits of one sequence at every position: tokens.size() × vocab_size floats, row-major.
  std::vector<float> logits(const std::vector<int32_t>& tokens) const;
  // Logits at the last position only (vocab_size floats).
  std::vector<float> last_logits(const std::vector<int32_t>& tokens) const;
  // Same as logits(), computed one token at a time through the KV cache with the sampler's
  // decoding step (LibTorch operations instead when LORALAB_DECODE=torch is set).
  std::vector<float> logits_incremental(const std::vector<int32_t>& tokens) const;

  // Engine-internal access (the definition lives in engine/src/model/model_impl.h).
  struct Impl;
  Impl& impl() { return *impl_; }
  const Impl& impl() const { return *impl_; }

 private:
  Model();
  std::unique_ptr<Impl> impl_;
};

}  // namespace loralab
