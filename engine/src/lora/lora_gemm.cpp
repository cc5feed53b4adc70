// Small-side matrix products for the LoRA node; see lora_gemm.h.
#include "lora/lora_gemm.h"

#include <algorithm>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace loralab::lora {
namespace {

// Which operand shapes the kernel is for: one of k, n small enough that the whole of b (k × n) is
// a cache-resident panel reused by every block of rows.
constexpr int64_t kSmallSide = 128;

#if defined(__x86_64__)
bool has_avx512() {
  static const bool yes = __builtin_cpu_supports("avx512f");
  return yes;
}

// A tile of MR rows × NV vectors of 16 columns: MR·NV accumulators, one broadcast of a per row
// and one load of b per vector for each k. `last` masks the last vector's columns.
template <int MR, int NV>
__attribute__((target("avx512f"))) void tile(int64_t k, float alpha, float beta, const float* a,
                                             int64_t lda, const float* b, int64_t ldb, float* c,
                                             int64_t ldc, __mmask16 last) {
  // The loops over i and j unroll completely, so that the accumulators live in registers.
  __m512 acc[MR][NV];
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int j = 0; j < NV; ++j) acc[i][j] = _mm512_setzero_ps();
  for (int64_t kk = 0; kk < k; ++kk) {
    const float* brow = b + kk * ldb;
    __m512 bv[NV];
#pragma GCC unroll 4
    for (int j = 0; j < NV; ++j)
      bv[j] = j + 1 < NV ? _mm512_loadu_ps(brow + 16 * j) : _mm512_maskz_loadu_ps(last, brow + 16 * j);
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      const __m512 av = _mm512_set1_ps(a[i * lda + kk]);
#pragma GCC unroll 4
      for (int j = 0; j < NV; ++j) acc[i][j] = _mm512_fmadd_ps(av, bv[j], acc[i][j]);
    }
  }
  const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int j = 0; j < NV; ++j) {
      float* out = c + i * ldc + 16 * j;
      const __mmask16 m = j + 1 < NV ? __mmask16(0xFFFF) : last;
      __m512 r = _mm512_mul_ps(va, acc[i][j]);
      if (beta != 0.0f) r = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m, out), r);
      _mm512_mask_storeu_ps(out, m, r);
    }
}

// One row tile (MR rows) over all n columns, in chunks of up to four vectors.
template <int MR>
__attribute__((target("avx512f"))) void row_tile(int64_t n, int64_t k, float alpha, float beta,
                                                 const float* a, int64_t lda, const float* b,
                                                 int64_t ldb, float* c, int64_t ldc) {
  for (int64_t col = 0; col < n; col += 64) {
    const int64_t width = std::min<int64_t>(64, n - col);
    const int vectors = static_cast<int>((width + 15) / 16);
    const int tail = static_cast<int>(width - 16 * (vectors - 1));
    const auto last = static_cast<__mmask16>((1u << tail) - 1u);
    const float* bc = b + col;
    float* cc = c + col;
    switch (vectors) {
      case 1: tile<MR, 1>(k, alpha, beta, a, lda, bc, ldb, cc, ldc, last); break;
      case 2: tile<MR, 2>(k, alpha, beta, a, lda, bc, ldb, cc, ldc, last); break;
      case 3: tile<MR, 3>(k, alpha, beta, a, lda, bc, ldb, cc, ldc, last); break;
      default: tile<MR, 4>(k, alpha, beta, a, lda, bc, ldb, cc, ldc, last); break;
    }
  }
}

// Rows [begin, end) in tiles of six (24 accumulators and 4 b vectors fit the 32 registers).
__attribute__((target("avx512f"))) void rows_avx512(int64_t begin, int64_t end, int64_t n,
                                                    int64_t k, float alpha, float beta,
                                                    const float* a, int64_t lda, const float* b,
                                                    int64_t ldb, float* c, int64_t ldc) {
  constexpr int64_t kRows = 6;
  int64_t row = begin;
  for (; row + kRows <= end; row += kRows)
    row_tile<kRows>(n, k, alpha, beta, a + row * lda, lda, b, ldb, c + row * ldc, ldc);
  const float* ar = a + row * lda;
  float* cr = c + row * ldc;
  switch (end - row) {
    case 5: row_tile<5>(n, k, alpha, beta, ar, lda, b, ldb, cr, ldc); break;
    case 4: row_tile<4>(n, k, alpha, beta, ar, lda, b, ldb, cr, ldc); break;
    case 3: row_tile<3>(n, k, alpha, beta, ar, lda, b, ldb, cr, ldc); break;
    case 2: row_tile<2>(n, k, alpha, beta, ar, lda, b, ldb, cr, ldc); break;
    case 1: row_tile<1>(n, k, alpha, beta, ar, lda, b, ldb, cr, ldc); break;
    default: break;
  }
}
#endif

bool row_major(const torch::Tensor& t) { return t.dim() == 2 && (t.size(1) <= 1 || t.stride(1) == 1); }

}  // namespace

bool lora_gemm_uses_kernel(const torch::Tensor& out, const torch::Tensor& a, const torch::Tensor& b) {
#if defined(__x86_64__)
  if (!has_avx512()) return false;
  for (const auto* t : {&out, &a, &b})
    if (t->scalar_type() != torch::kFloat32 || !t->device().is_cpu() || t->dim() != 2) return false;
  return row_major(out) && std::min(b.size(0), b.size(1)) <= kSmallSide;
#else
  (void)out, (void)a, (void)b;
  return false;
#endif
}

void lora_gemm(torch::Tensor out, const torch::Tensor& a, const torch::Tensor& b, double alpha,
               double beta) {
  if (a.dim() != 2 || b.dim() != 2 || out.dim() != 2 || a.size(1) != b.size(0) ||
      out.size(0) != a.size(0) || out.size(1) != b.size(1))
    throw std::invalid_argument("lora_gemm: expected out (m, n) = a (m, k) · b (k, n)");
  if (!lora_gemm_uses_kernel(out, a, b)) {
    out.addmm_(a, b, beta, alpha);
    return;
  }
#if defined(__x86_64__)
  // The operands the kernel reads go row-major (b is the small one, a usually is already).
  const auto ra = row_major(a) ? a : a.contiguous();
  const auto rb = row_major(b) ? b : b.contiguous();
  const int64_t m = out.size(0), n = out.size(1), k = a.size(1);
  if (m == 0 || n == 0) return;
  const float* pa = ra.data_ptr<float>();
  const float* pb = rb.data_ptr<float>();
  float* pc = out.data_ptr<float>();
  const int64_t lda = ra.stride(0), ldb = rb.stride(0), ldc = out.stride(0);
  // Blocks of rows per task: about 32k multiply-adds each, in whole tiles.
  const int64_t grain = std::max<int64_t>(6, (32768 / std::max<int64_t>(1, n * k)) / 6 * 6);
  at::parallel_for(0, m, grain, [&](int64_t begin, int64_t end) {
    rows_avx512(begin, end, n, k, static_cast<float>(alpha), static_cast<float>(beta), pa, lda, pb,
                ldb, pc, ldc);
  });
#endif
}

}  // namespace loralab::lora
