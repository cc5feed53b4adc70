// Matrix products with one small side, for the LoRA training node (lora_linear.cpp): the r-wide
// products x Aᵀ, (x A) Bᵀ added into a layer's output, the gradient g B, and (g B) A added into the
// input gradient. OpenBLAS runs these shapes (one dimension 16–64) at a third of its speed on
// square ones, mostly in packing and thread hand-offs; a register-blocked AVX-512 loop over rows
// needs neither. LibTorch-internal; include only from engine .cpp files.
#pragma once

#include <torch/torch.h>

namespace loralab::lora {

// out = beta · out + alpha · a · b for 2-D CPU tensors a (m, k), b (k, n), out (m, n), all of one
// dtype; out may be a column slice (any row stride, unit column stride). beta = 0 ignores out's
// old values (NaN included). float32 runs the AVX-512 kernel where the CPU has it and k or n is
// at most 128; everything else goes to LibTorch's addmm_. Each element sums its k products in
// order, so results do not depend on the number of threads.
void lora_gemm(torch::Tensor out, const torch::Tensor& a, const torch::Tensor& b, double alpha,
               double beta);

// Whether lora_gemm takes the kernel for these operands (for tests and benchmarks).
bool lora_gemm_uses_kernel(const torch::Tensor& out, const torch::Tensor& a, const torch::Tensor& b);

}  // namespace loralab::lora
