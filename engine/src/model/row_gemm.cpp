// Row-major float32 matrix products; see row_gemm.h.
#include "model/row_gemm.h"

#include <ATen/Parallel.h>

#include <algorithm>

#include "model/simd_avx2.h"

namespace loralab::model {
namespace {

// Blocking: b is read in panels of kPanel columns × kDepth rows (512 KiB, held in L2 while every
// row of the thread's share passes over it); out's rows go in tiles of six.
constexpr int64_t kPanel = 256, kDepth = 512, kRows = 6;

#ifdef LORALAB_X86

// Element (i, kk) of a: row-major with row step lda, or, with TA, a transposed view (column step
// lda): aᵀ's rows are then read where they lie, a long product over k needs no copy.
template <bool TA>
inline float a_at(const float* a, int64_t lda, int i, int64_t kk) {
  return TA ? a[kk * lda + i] : a[i * lda + kk];
}

// A tile of MR rows × NV vectors of 16 columns: MR·NV accumulators, one broadcast of a per row
// and one load of b per vector for each k. `last` masks the last vector's columns.
template <bool TA, int MR, int NV>
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
      const __m512 av = _mm512_set1_ps(a_at<TA>(a, lda, i, kk));
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
template <bool TA, int MR>
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
      case 1: tile<TA, MR, 1>(k, alpha, beta, a, lda, bc, ldb, cc, ldc, last); break;
      case 2: tile<TA, MR, 2>(k, alpha, beta, a, lda, bc, ldb, cc, ldc, last); break;
      case 3: tile<TA, MR, 3>(k, alpha, beta, a, lda, bc, ldb, cc, ldc, last); break;
      default: tile<TA, MR, 4>(k, alpha, beta, a, lda, bc, ldb, cc, ldc, last); break;
    }
  }
}

// Rows [begin, end) in tiles of six (24 accumulators and 4 b vectors fit the 32 registers).
template <bool TA>
__attribute__((target("avx512f"))) void rows_avx512(int64_t begin, int64_t end, int64_t n,
                                                    int64_t k, float alpha, float beta,
                                                    const float* a, int64_t lda, const float* b,
                                                    int64_t ldb, float* c, int64_t ldc) {
  int64_t row = begin;
  for (; row + kRows <= end; row += kRows)
    row_tile<TA, kRows>(n, k, alpha, beta, a + row * (TA ? 1 : lda), lda, b, ldb, c + row * ldc, ldc);
  const float* ar = a + row * (TA ? 1 : lda);
  float* cr = c + row * ldc;
  switch (end - row) {
    case 5: row_tile<TA, 5>(n, k, alpha, beta, ar, lda, b, ldb, cr, ldc); break;
    case 4: row_tile<TA, 4>(n, k, alpha, beta, ar, lda, b, ldb, cr, ldc); break;
    case 3: row_tile<TA, 3>(n, k, alpha, beta, ar, lda, b, ldb, cr, ldc); break;
    case 2: row_tile<TA, 2>(n, k, alpha, beta, ar, lda, b, ldb, cr, ldc); break;
    case 1: row_tile<TA, 1>(n, k, alpha, beta, ar, lda, b, ldb, cr, ldc); break;
    default: break;
  }
}

// Rows [begin, end) × columns [col, col + width) of c = beta · c + alpha · a b, block of depth by
// block (the first block applies beta, the later ones add). Pointers at row 0 and column 0; a is
// read through its transposed view when `ta`.
__attribute__((target("avx512f"))) void run_blocks(int64_t begin, int64_t end, int64_t col,
                                                   int64_t width, int64_t k, float alpha, float beta,
                                                   const float* a, int64_t lda, bool ta,
                                                   const float* b, int64_t ldb, float* c, int64_t ldc) {
  if (k == 0) {
    for (int64_t i = begin; i < end; ++i)
      for (int64_t j = col; j < col + width; ++j) c[i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[i * ldc + j];
    return;
  }
  for (int64_t depth = 0; depth < k; depth += kDepth) {
    const int64_t step = std::min(kDepth, k - depth);
    const float* ad = a + depth * (ta ? lda : 1);
    const float* bd = b + depth * ldb + col;
    const float fb = depth == 0 ? beta : 1.0f;
    if (ta)
      rows_avx512<true>(begin, end, width, step, alpha, fb, ad, lda, bd, ldb, c + col, ldc);
    else
      rows_avx512<false>(begin, end, width, step, alpha, fb, ad, lda, bd, ldb, c + col, ldc);
  }
}
#endif

bool row_major(const torch::Tensor& t) { return t.dim() == 2 && (t.size(1) <= 1 || t.stride(1) == 1); }

}  // namespace

bool row_gemm_uses_kernel(const torch::Tensor& out, const torch::Tensor& a, const torch::Tensor& b) {
#ifdef LORALAB_X86
  if (!has_avx512()) return false;
  for (const auto* t : {&out, &a, &b})
    if (t->scalar_type() != torch::kFloat32 || !t->device().is_cpu() || t->dim() != 2) return false;
  return row_major(out);
#else
  (void)out, (void)a, (void)b;
  return false;
#endif
}

void row_gemm(torch::Tensor out, const torch::Tensor& a, const torch::Tensor& b, double alpha,
              double beta) {
  if (a.dim() != 2 || b.dim() != 2 || out.dim() != 2 || a.size(1) != b.size(0) ||
      out.size(0) != a.size(0) || out.size(1) != b.size(1))
    throw std::invalid_argument("row_gemm: expected out (m, n) = a (m, k) · b (k, n)");
  if (!row_gemm_uses_kernel(out, a, b)) {
    out.addmm_(a, b, beta, alpha);
    return;
  }
#ifdef LORALAB_X86
  const int64_t m = out.size(0), n = out.size(1), k = a.size(1);
  if (m == 0 || n == 0) return;
  // a is read where it lies when row-major or a transposed view (its own rows then hold a's
  // columns: a long product such as gradᵀ x needs no copy); b must be row-major.
  const bool ta = !row_major(a) && (a.size(0) <= 1 || a.stride(0) == 1);
  const auto ra = row_major(a) || ta ? a : a.contiguous();
  const auto rb = row_major(b) ? b : b.contiguous();
  const float* pa = ra.data_ptr<float>();
  const float* pb = rb.data_ptr<float>();
  float* pc = out.data_ptr<float>();
  const int64_t lda = ta ? ra.stride(1) : ra.stride(0), ldb = rb.stride(0), ldc = out.stride(0);
  const auto fa = static_cast<float>(alpha), fb = static_cast<float>(beta);
  auto run = [&](int64_t begin, int64_t end, int64_t col, int64_t width) {
    run_blocks(begin, end, col, width, k, fa, fb, pa, lda, ta, pb, ldb, pc, ldc);
  };
  const int64_t tiles = (m + kRows - 1) / kRows;
  // About 32k multiply-adds per task at least: small products stay on one thread.
  const int64_t work = std::max<int64_t>(1, kRows * n * k);
  if (tiles >= 4 * at::get_num_threads()) {
    // Many rows: each thread takes whole tiles, panel by panel.
    at::parallel_for(0, tiles, std::max<int64_t>(1, 32768 / work), [&](int64_t first, int64_t last) {
      for (int64_t col = 0; col < n; col += kPanel)
        run(first * kRows, std::min(m, last * kRows), col, std::min(kPanel, n - col));
    });
  } else {
    // Few rows (a rank's worth, over a long k): tasks are chunks of 64 columns, each over all
    // rows block of depth by block, so that a block of b (512 × 64) stays in L2 while every row
    // tile passes over it.
    const int64_t chunks = (n + 63) / 64;
    const int64_t chunk_work = std::max<int64_t>(1, m * std::min<int64_t>(64, n) * k);
    at::parallel_for(0, chunks, std::max<int64_t>(1, 32768 / chunk_work), [&](int64_t first, int64_t last) {
      for (int64_t c = first; c < last; ++c)
        run(0, m, c * 64, std::min<int64_t>(64, n - c * 64));
    });
  }
#endif
}

bool row_gemm_serial(int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
                     bool a_transposed, const float* b, int64_t ldb, float beta, float* c,
                     int64_t ldc) {
#ifdef LORALAB_X86
  if (!has_avx512()) return false;
  if (m <= 0 || n <= 0) return true;
  for (int64_t col = 0; col < n; col += kPanel)
    run_blocks(0, m, col, std::min(kPanel, n - col), k, alpha, beta, a, lda, a_transposed, b, ldb, c, ldc);
  return true;
#else
  (void)m, (void)n, (void)k, (void)alpha, (void)a, (void)lda, (void)a_transposed, (void)b, (void)ldb,
      (void)beta, (void)c, (void)ldc;
  return false;
#endif
}

torch::Tensor row_mm(const torch::Tensor& a, const torch::Tensor& b) {
  auto out = torch::empty({a.size(0), b.size(1)}, a.options());
  row_gemm(out, a, b, 1.0, 0.0);
  return out;
}

}  // namespace loralab::model
