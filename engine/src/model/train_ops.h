// Training-time autograd nodes for the decoder's glue: the same values as the composed LibTorch
// operations they replace, but each keeps only what its backward cannot make again cheaply.
// Composed, rotary embedding keeps its input and the half-swapped copy, SwiGLU keeps silu(gate)
// beside gate and up, attention keeps every block's softmax probabilities, and the loss keeps
// the vocabulary-wide logits and their log-softmax: together about half of a LoRA step's
// activations. LibTorch-internal; include only from engine .cpp files.
#pragma once

#include <torch/torch.h>

namespace loralab::model {

// x · cos + rotate_half(x) · sin with the sign of rotate_half folded into `signed_sin` (see
// RotaryTable): x (B, heads, T, hd), tables (T, hd). Keeps nothing but the tables: the rotation's
// gradient is the inverse rotation of the incoming gradient.
torch::Tensor rotary_node(const torch::Tensor& x, const torch::Tensor& cos,
                          const torch::Tensor& signed_sin);

// silu(gate) · up, keeping gate and up; silu(gate) is made again in backward. One pass each way
// (fused_kernels.h) for contiguous float32/float64 inputs, the LibTorch operations otherwise.
torch::Tensor swiglu_node(const torch::Tensor& gate, const torch::Tensor& up);

// RMSNorm as transformers computes it, x · rsqrt(mean(x²) + eps) · weight over the last
// dimension, in one pass each way (fused_kernels.h), keeping x and one 1/rms per row; the weight
// gets its gradient when it trains. x and weight float32 or float64, one dtype
// (rms_norm_node_supports).
bool rms_norm_node_supports(const torch::Tensor& x, const torch::Tensor& weight);
torch::Tensor rms_norm_node(const torch::Tensor& x, const torch::Tensor& weight, double eps);

// Causal softmax attention for training (no cache: query t sees keys 0..t) of q (B, nh, T, hd),
// already scaled by 1/sqrt(hd), over k, v (B, nkv, T, hd), with nh a multiple of nkv. Returns
// (B, T, nh · hd), the layout o_proj reads. Queries run in blocks of `query_block` rows; backward
// computes each block's scores and softmax again from q and k instead of keeping them. Inputs
// must pass attention_kernel_supports (float32 or float64, unit stride along hd; bf16 compute
// keeps the composed path and its float32 softmax).
torch::Tensor causal_attention_node(const torch::Tensor& q, const torch::Tensor& k,
                                    const torch::Tensor& v, int64_t query_block);

// Σ_rows mask · cross-entropy(hidden · weightᵀ, target) for hidden (N, H), weight (V, H), targets
// (N) int64, mask (N): the training loss without its (N, V) logits. Rows run in chunks of
// `chunk_rows`, and each chunk's share of the input gradients is computed with its logits: the
// node keeps gradients of the inputs' size, not the logits. float32 and float64.
torch::Tensor masked_cross_entropy_sum_node(const torch::Tensor& hidden,
                                            const torch::Tensor& weight,
                                            const torch::Tensor& targets, const torch::Tensor& mask,
                                            int64_t chunk_rows);

}  // namespace loralab::model
