// Bridge from safetensors bytes to LibTorch tensors and back (engine-internal: uses LibTorch).
#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

#include "loralab/safetensors.h"

namespace loralab::io {

// Copies a stored tensor into a new tensor of `target` dtype (F32/F16/BF16/F64 and the integer
// dtypes convert; F8/F6/F4, C64 and BOOL into a float target are refused naming the tensor).
torch::Tensor to_tensor(const st::TensorView& view, torch::ScalarType target,
                        const std::string& source);

st::DType dtype_of(torch::ScalarType type);  // throws for a scalar type safetensors cannot hold
torch::ScalarType scalar_type_of(st::DType dtype);  // throws for F8/F6/F4 and the like

// Holds contiguous CPU copies so the st::TensorData spans stay valid while writing.
class TensorWriteSet {
 public:
  void add(const std::string& name, const torch::Tensor& tensor);
  void add(const std::string& name, const torch::Tensor& tensor, torch::ScalarType stored_as);
  const std::vector<st::TensorData>& entries() const { return entries_; }

 private:
  std::vector<torch::Tensor> keep_alive_;
  std::vector<st::TensorData> entries_;
};

}  // namespace loralab::io
