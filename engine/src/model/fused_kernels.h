// One-pass kernels for the decoder's elementwise training nodes (train_ops.cpp): SwiGLU and
// RMSNorm, forward and backward, each a single parallel pass over its rows instead of the five to
// ten LibTorch operations (and as many passes over memory) the composed forms make. float32 and
// float64, contiguous inputs; float32 uses AVX2 where the CPU has it. LibTorch-internal; include
// only from engine .cpp files.
#pragma once

#include <torch/torch.h>

namespace loralab::model {

// Whether the kernels take these tensors: one dtype, float32 or float64, contiguous, CPU.
bool fused_kernels_support(std::initializer_list<const torch::Tensor*> tensors);

// silu(gate) · up.
torch::Tensor swiglu_forward(const torch::Tensor& gate, const torch::Tensor& up);
// d gate and d up for the upstream gradient `grad` (undefined where not wanted).
std::pair<torch::Tensor, torch::Tensor> swiglu_backward(const torch::Tensor& grad,
                                                        const torch::Tensor& gate,
                                                        const torch::Tensor& up, bool want_gate,
                                                        bool want_up);

// RMSNorm of x (rows, H) with weight w (H): y = x · rstd · w with rstd = 1/sqrt(mean(x²) + eps)
// per row. Returns y and rstd (rows), which backward reuses.
std::pair<torch::Tensor, torch::Tensor> rms_norm_forward(const torch::Tensor& x,
                                                         const torch::Tensor& weight, double eps);
// dx = rstd · (g·w − x · rstd² · mean(g·w·x)), dw = Σ_rows g · x · rstd (undefined where not
// wanted).
std::pair<torch::Tensor, torch::Tensor> rms_norm_backward(const torch::Tensor& grad,
                                                          const torch::Tensor& x,
                                                          const torch::Tensor& weight,
                                                          const torch::Tensor& rstd, bool want_x,
                                                          bool want_weight);

}  // namespace loralab::model
