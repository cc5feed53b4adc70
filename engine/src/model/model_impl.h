// Engine-internal definition of loralab::Model::Impl: the LibTorch decoder and its provenance.
#pragma once
#include <torch/torch.h>

#include <mutex>

#include "loralab/lora.h"
#include "loralab/model.h"
#include "model/llama.h"

namespace loralab {

struct Model::Impl {
  ModelFolder folder;
  ModelConfig config;
  Precision precision = Precision::F32;
  model::Llama net{nullptr};
  // Forward passes on one model instance are serialised (LoRA weights λ may change between them).
  mutable std::mutex forward_mutex;
  // Adapters attached to the projections, in load order (their tensors live in the layers).
  std::vector<AdapterInfo> adapters;
  bool merged = false;

  torch::ScalarType dtype() const {
    if (precision == Precision::BF16) return torch::kBFloat16;
    return precision == Precision::F64 ? torch::kFloat64 : torch::kFloat32;
  }
  // Checks token ids against the vocabulary and returns them as a (1, T) int64 tensor.
  torch::Tensor token_tensor(const std::vector<int32_t>& tokens) const;
};

}  // namespace loralab
