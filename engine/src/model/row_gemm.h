// Row-major float32 matrix products in a register-blocked AVX-512 kernel, for the training
// products that read activations row by row: a linear layer's forward x Wᵀ and input gradient
// g W, and the LoRA node's r-wide products (lora_linear.cpp). On the R1 shapes (2048 rows, 128 to
// 4096 columns) it runs 10–15% ahead of OpenBLAS's sgemm, whose packing of both operands and
// separate pass zeroing the output (beta = 0) cost more than this kernel's unpacked loads; with
// one side of 16–64 (the LoRA products) OpenBLAS runs at a third of its speed while the kernel
// keeps its pace. LibTorch-internal; include only from engine .cpp files.
#pragma once

#include <torch/torch.h>

namespace loralab::model {

// out = beta · out + alpha · a · b for 2-D CPU tensors a (m, k), b (k, n), out (m, n), all of one
// dtype; out may be a column slice (any row stride, unit column stride). beta = 0 ignores out's
// old values (NaN included). float32 runs the AVX-512 kernel where the CPU has it (and the SIMD
// level is not lowered, simd_avx2.h); everything else goes to LibTorch's addmm_. a is read where it
// lies when row-major or a transposed view (gradᵀ x needs no copy); any other a, and a b that is
// not row-major (b = Wᵀ as a transposed view, say), is copied row-major first. Each element sums
// its k products in order within blocks of 512 and the blocks in order, so results do not depend
// on the number of threads.
void row_gemm(torch::Tensor out, const torch::Tensor& a, const torch::Tensor& b, double alpha,
              double beta);

// Whether row_gemm takes the kernel for these operands (for tests and benchmarks).
bool row_gemm_uses_kernel(const torch::Tensor& out, const torch::Tensor& a, const torch::Tensor& b);

// The kernel on raw float32 rows, on the calling thread (for kernels that run their own parallel
// loops, such as attention's per-head products): c (m × n, row step ldc) = beta · c + alpha · a b,
// a (m × k) with row step lda, or with `a_transposed` aᵀ's rows (a's columns) at step lda; b
// (k × n) with row step ldb, unit column step. Returns false, touching nothing, when the CPU (or
// the lowered SIMD level) has no AVX-512: the caller then runs its own product.
bool row_gemm_serial(int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
                     bool a_transposed, const float* b, int64_t ldb, float beta, float* c,
                     int64_t ldc);

// a · b into a new (m, n) tensor through row_gemm.
torch::Tensor row_mm(const torch::Tensor& a, const torch::Tensor& b);

}  // namespace loralab::model
