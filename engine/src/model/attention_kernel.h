// Causal training attention as one kernel per (sequence, key/value head): the scores, the
// softmax and the products of a query block stay in a per-thread buffer that fits in cache, and
// the matrix products run single-threaded inside the parallel loop over heads: float32 on the
// row kernel (row_gemm.h) with the unit's k and v transposed once where the CPU has AVX-512, else
// straight to BLAS.
// Composed LibTorch operations would make one batched call per product (each a serial loop of
// small multithreaded GEMMs) and pass over the scores in memory for the mask, the softmax and its
// backward. LibTorch-internal; include only from engine .cpp files.
#pragma once

#include <torch/torch.h>

namespace loralab::model {

// Whether the kernel takes these inputs: float32 or float64 CPU tensors of one dtype, q (B, nh,
// T, hd), k and v (B, nkv, T, hd), each with unit stride along hd, nh a multiple of nkv, and a
// BLAS at hand.
bool attention_kernel_supports(const torch::Tensor& q, const torch::Tensor& k,
                               const torch::Tensor& v);

// softmax(q kᵀ + causal mask) v for q already scaled by 1/sqrt(hd), query t seeing keys 0..t,
// queries in blocks of `query_block` rows. Returns (B, T, nh · hd).
torch::Tensor attention_kernel_forward(const torch::Tensor& q, const torch::Tensor& k,
                                       const torch::Tensor& v, int64_t query_block);

struct AttentionGrads {
  torch::Tensor q, k, v;  // shaped like the inputs
};

// The input gradients for the upstream gradient `grad_out` (B, T, nh · hd); each block's scores
// and softmax are computed again from q and k.
AttentionGrads attention_kernel_backward(const torch::Tensor& q, const torch::Tensor& k,
                                         const torch::Tensor& v, const torch::Tensor& grad_out,
                                         int64_t query_block);

}  // namespace loralab::model
