// One-pass kernels for the decoder's elementwise training nodes (train_ops.cpp): SwiGLU, RMSNorm
// and rotary embedding, forward and backward, and the loss's softmax rows, each a single parallel pass over its rows instead of the five to
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
// d gate and d up for the upstream gradient `grad` (undefined where not wanted). With
// `overwrite` they are written over gate and up themselves (each element is read before it is
// written) and returned as those tensors.
std::pair<torch::Tensor, torch::Tensor> swiglu_backward(const torch::Tensor& grad,
                                                        const torch::Tensor& gate,
                                                        const torch::Tensor& up, bool want_gate,
                                                        bool want_up, bool overwrite = false);

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

// Rotary embedding of x (B, heads, T, hd), hd even, with tables (T, hd) of x's dtype: with P the
// swap of each row's halves, x · cos + P(x) · sin, or with `transpose` the gradient's map
// x · cos + P(x · sin). One pass; the result has x's strides (rotary_supports requires x's
// layout to be dense without overlaps, which empty_like keeps, as the transposed projections
// are).
bool rotary_supports(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin);
torch::Tensor rotary(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                     bool transpose);

// Cross-entropy over the rows of `logits` (rows, V) for `targets` (rows, int64) weighted by
// `mask` (rows): returns Σ_r mask_r · (logsumexp(row r) − row r [target_r]), summed in double in
// row order. With `gradient`, the logits are overwritten by the loss's gradient with respect to
// them, mask_r · (softmax(row r) − onehot(target_r)); otherwise they are left as they are. One
// pass to find each row's maximum, one for the exponentials (float32 with AVX2), one to scale.
double cross_entropy_rows(torch::Tensor& logits, const torch::Tensor& targets,
                          const torch::Tensor& mask, bool gradient);

}  // namespace loralab::model
