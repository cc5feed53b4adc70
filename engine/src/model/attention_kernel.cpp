// Causal training attention kernel; see attention_kernel.h.
#include "model/attention_kernel.h"

#include <ATen/Parallel.h>
#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "model/row_gemm.h"
#include "model/simd_avx2.h"

namespace loralab::model {
namespace {

// ---- BLAS, row-major ----

// float32 products with b row-major go to the row kernel (model/row_gemm.h) where the CPU has
// AVX-512: at head dimension 32 and blocks of 32 queries it beats OpenBLAS's small-matrix paths.
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
          int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  if (!trans_b && row_gemm_serial(m, n, k, alpha, a, lda, trans_a, b, ldb, beta, c, ldc)) return;
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans,
              int(m), int(n), int(k), alpha, a, int(lda), b, int(ldb), beta, c, int(ldc));
}

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha,
          const double* a, int64_t lda, const double* b, int64_t ldb, double beta, double* c,
          int64_t ldc) {
  cblas_dgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans,
              int(m), int(n), int(k), alpha, a, int(lda), b, int(ldb), beta, c, int(ldc));
}

// ---- row softmax and its backward ----
// A row holds `valid` scores followed by masked positions up to `width`: the softmax runs over the
// valid ones and the rest become 0. Backward: d = p ⊙ (g − Σ p g), written over g; masked
// positions have p = 0 and so d = 0.

template <typename T>
void softmax_row_scalar(T* row, int64_t valid, int64_t width) {
  T top = row[0];
  for (int64_t i = 1; i < valid; ++i) top = std::max(top, row[i]);
  T sum = 0;
  for (int64_t i = 0; i < valid; ++i) sum += (row[i] = std::exp(row[i] - top));
  const T inv = T(1) / sum;
  for (int64_t i = 0; i < valid; ++i) row[i] *= inv;
  std::fill(row + valid, row + width, T(0));
}

template <typename T>
void softmax_backward_row_scalar(const T* p, T* g, int64_t width) {
  T dot = 0;
  for (int64_t i = 0; i < width; ++i) dot += p[i] * g[i];
  for (int64_t i = 0; i < width; ++i) g[i] = p[i] * (g[i] - dot);
}

#ifdef LORALAB_X86
// Lanes i < count of a vector load from p, the others `fill`.
__attribute__((target("avx2,fma"))) inline __m256 load_partial(const float* p, int64_t count, float fill) {
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i keep = _mm256_cmpgt_epi32(_mm256_set1_epi32(int(count)), lanes);
  return _mm256_blendv_ps(_mm256_set1_ps(fill), _mm256_maskload_ps(p, keep), _mm256_castsi256_ps(keep));
}

__attribute__((target("avx2,fma"))) void softmax_row_avx2(float* row, int64_t valid, int64_t width) {
  const float lowest = -std::numeric_limits<float>::infinity();
  __m256 top8 = _mm256_set1_ps(lowest);
  int64_t i = 0;
  for (; i + 8 <= valid; i += 8) top8 = _mm256_max_ps(top8, _mm256_loadu_ps(row + i));
  if (i < valid) top8 = _mm256_max_ps(top8, load_partial(row + i, valid - i, lowest));
  const __m256 top = _mm256_set1_ps(max8(top8));
  __m256 sum8v = _mm256_setzero_ps();
  for (i = 0; i + 8 <= valid; i += 8) {
    const __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(row + i), top));
    _mm256_storeu_ps(row + i, e);
    sum8v = _mm256_add_ps(sum8v, e);
  }
  // The last partial vector: masked lanes hold −∞ − top → e^−87 clamps, so zero them explicitly.
  if (i < valid) {
    const int64_t count = valid - i;
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256 keep = _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32(int(count)), lanes));
    const __m256 e = _mm256_and_ps(exp8(_mm256_sub_ps(load_partial(row + i, count, 0.0f), top)), keep);
    _mm256_maskstore_ps(row + i, _mm256_castps_si256(keep), e);
    sum8v = _mm256_add_ps(sum8v, e);
  }
  const __m256 inv = _mm256_set1_ps(1.0f / sum8(sum8v));
  for (i = 0; i + 8 <= valid; i += 8) _mm256_storeu_ps(row + i, _mm256_mul_ps(_mm256_loadu_ps(row + i), inv));
  const float inv1 = _mm256_cvtss_f32(inv);
  for (; i < valid; ++i) row[i] *= inv1;
  std::fill(row + valid, row + width, 0.0f);
}

__attribute__((target("avx2,fma"))) void softmax_backward_row_avx2(const float* p, float* g, int64_t width) {
  const float dot = dot_avx2(p, g, width);
  const __m256 d = _mm256_set1_ps(dot);
  int64_t i = 0;
  for (; i + 8 <= width; i += 8)
    _mm256_storeu_ps(g + i, _mm256_mul_ps(_mm256_loadu_ps(p + i), _mm256_sub_ps(_mm256_loadu_ps(g + i), d)));
  for (; i < width; ++i) g[i] = p[i] * (g[i] - dot);
}

__attribute__((target("avx512f"))) void softmax_row_avx512(float* row, int64_t valid, int64_t width) {
  const int64_t whole = valid / 16 * 16;
  const __mmask16 tail = first_lanes(valid - whole);
  const __m512 lowest = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
  __m512 top16 = lowest;
  for (int64_t i = 0; i < whole; i += 16) top16 = vmax16(top16, _mm512_loadu_ps(row + i));
  top16 = vmax16(top16, _mm512_mask_loadu_ps(lowest, tail, row + whole));
  const __m512 top = _mm512_set1_ps(max16(top16));
  __m512 sum = _mm512_setzero_ps();
  for (int64_t i = 0; i < whole; i += 16) {
    const __m512 e = exp16(_mm512_sub_ps(_mm512_loadu_ps(row + i), top));
    _mm512_storeu_ps(row + i, e);
    sum = _mm512_add_ps(sum, e);
  }
  const __m512 e = _mm512_maskz_mov_ps(tail, exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(tail, row + whole), top)));
  _mm512_mask_storeu_ps(row + whole, tail, e);
  sum = _mm512_add_ps(sum, e);
  const __m512 inv = _mm512_set1_ps(1.0f / sum16(sum));
  for (int64_t i = 0; i < whole; i += 16) _mm512_storeu_ps(row + i, _mm512_mul_ps(_mm512_loadu_ps(row + i), inv));
  _mm512_mask_storeu_ps(row + whole, tail, _mm512_mul_ps(_mm512_maskz_loadu_ps(tail, row + whole), inv));
  std::fill(row + valid, row + width, 0.0f);
}
#endif

void softmax_row(float* row, int64_t valid, int64_t width) {
#ifdef LORALAB_X86
  if (has_avx512()) return softmax_row_avx512(row, valid, width);
  if (has_avx2()) return softmax_row_avx2(row, valid, width);
#endif
  softmax_row_scalar(row, valid, width);
}
void softmax_row(double* row, int64_t valid, int64_t width) { softmax_row_scalar(row, valid, width); }

void softmax_backward_row(const float* p, float* g, int64_t width) {
#ifdef LORALAB_X86
  if (has_avx2()) return softmax_backward_row_avx2(p, g, width);
#endif
  softmax_backward_row_scalar(p, g, width);
}
void softmax_backward_row(const double* p, double* g, int64_t width) {
  softmax_backward_row_scalar(p, g, width);
}

// ---- the kernel ----

// A (B, H, T, hd) tensor seen through its strides: element (b, h, t, 0) and the row step along t.
template <typename T>
struct Heads {
  T* data;
  int64_t sb, sh, st;
  explicit Heads(const torch::Tensor& x)
      : data(x.data_ptr<T>()), sb(x.stride(0)), sh(x.stride(1)), st(x.stride(2)) {}
  T* at(int64_t b, int64_t h, int64_t t) const { return data + b * sb + h * sh + t * st; }
};

struct Shape {
  int64_t batch, heads, kv_heads, group, steps, head_dim, block;
};

Shape shape_of(const torch::Tensor& q, const torch::Tensor& k, int64_t query_block) {
  Shape s{q.size(0), q.size(1), k.size(1), q.size(1) / k.size(1), q.size(2), q.size(3), query_block};
  return s;
}

// A (sequence, key/value head) unit's k or v transposed, (hd, T) row-major, for products with
// kᵀ or vᵀ as their right operand: the row kernel reads that operand row by row. Empty where the
// kernel does not run (float64, or no AVX-512): BLAS then reads k or v transposed itself.
template <typename T>
void transpose_rows(const Shape& s, const Heads<T>& x, int64_t b, int64_t kvh, std::vector<T>& out) {
  out.clear();
  if constexpr (std::is_same_v<T, float>) {
#ifdef LORALAB_X86
    if (!has_avx512()) return;
    out.resize(static_cast<size_t>(s.head_dim * s.steps));
    for (int64_t t = 0; t < s.steps; ++t) {
      const T* row = x.at(b, kvh, t);
      for (int64_t d = 0; d < s.head_dim; ++d) out[d * s.steps + t] = row[d];
    }
#endif
  }
}

// rows (length × hd, row step ld) times x (keys, hd)ᵀ of unit (b, kvh) into out (length × keys):
// through the transposed copy when there is one.
template <typename T>
void times_keys_t(const Shape& s, int64_t length, int64_t keys, const T* rows, int64_t ld,
                  const Heads<T>& x, int64_t b, int64_t kvh, const std::vector<T>& xt, T* out) {
  if (!xt.empty())
    gemm(false, false, length, keys, s.head_dim, T(1), rows, ld, xt.data(), s.steps, T(0), out, keys);
  else
    gemm(false, true, length, keys, s.head_dim, T(1), rows, ld, x.at(b, kvh, 0), x.st, T(0), out, keys);
}

// Scores of query rows start..start+length of head (b, h) against keys 0..start+length, then
// their causal softmax, into `probs` (length rows of `ld` = keys).
template <typename T>
void block_probs(const Shape& s, const Heads<T>& q, const Heads<T>& k, const std::vector<T>& kt,
                 int64_t b, int64_t h, int64_t start, int64_t length, T* probs) {
  const int64_t keys = start + length, kvh = h / s.group;
  times_keys_t(s, length, keys, q.at(b, h, start), q.st, k, b, kvh, kt, probs);
  for (int64_t r = 0; r < length; ++r) softmax_row(probs + r * keys, start + r + 1, keys);
}

// Calls enter(kt, vt, b, kvh) for every (sequence, key/value head) unit, then visit(scratch, kt,
// vt, b, kvh, h, start, length, keys) for every query block of each of its heads, in parallel
// over units so that a unit's heads, which share k and v and their gradients, stay on one thread.
// `scratch` holds `buffers` per-thread blocks of scores; kt and vt are per-thread buffers for the
// unit's transposed k and v (transpose_rows).
template <typename T, typename Enter, typename Visit>
void for_each_block(const Shape& s, int buffers, const Enter& enter, const Visit& visit) {
  at::parallel_for(0, s.batch * s.kv_heads, 1, [&](int64_t begin, int64_t end) {
    std::vector<T> scratch(static_cast<size_t>(buffers * s.block * s.steps)), kt, vt;
    for (int64_t unit = begin; unit < end; ++unit) {
      const int64_t b = unit / s.kv_heads, kvh = unit % s.kv_heads;
      enter(kt, vt, b, kvh);
      for (int64_t h = kvh * s.group; h < (kvh + 1) * s.group; ++h)
        for (int64_t start = 0; start < s.steps; start += s.block) {
          const int64_t length = std::min(s.block, s.steps - start);
          visit(scratch.data(), kt, vt, b, kvh, h, start, length, start + length);
        }
    }
  });
}

template <typename T>
torch::Tensor forward_impl(const torch::Tensor& q_in, const torch::Tensor& k_in,
                           const torch::Tensor& v_in, int64_t query_block) {
  const Shape s = shape_of(q_in, k_in, query_block);
  auto out = torch::empty({s.batch, s.steps, s.heads, s.head_dim}, q_in.options());
  const Heads<T> q(q_in), k(k_in), v(v_in), o(out.transpose(1, 2));
  auto enter = [&](std::vector<T>& kt, std::vector<T>&, int64_t b, int64_t kvh) {
    transpose_rows(s, k, b, kvh, kt);
  };
  for_each_block<T>(s, 1, enter, [&](T* probs, const std::vector<T>& kt, const std::vector<T>&,
                                     int64_t b, int64_t kvh, int64_t h, int64_t start,
                                     int64_t length, int64_t keys) {
    block_probs(s, q, k, kt, b, h, start, length, probs);
    gemm(false, false, length, s.head_dim, keys, T(1), probs, keys, v.at(b, kvh, 0), v.st, T(0),
         o.at(b, h, start), o.st);
  });
  return out.view({s.batch, s.steps, s.heads * s.head_dim});
}

template <typename T>
AttentionGrads backward_impl(const torch::Tensor& q_in, const torch::Tensor& k_in,
                             const torch::Tensor& v_in, const torch::Tensor& grad_out_in,
                             int64_t query_block) {
  const Shape s = shape_of(q_in, k_in, query_block);
  auto grad_out = grad_out_in.contiguous().view({s.batch, s.steps, s.heads, s.head_dim});
  // The gradients in the layout the projections produced (B, T, heads, hd), seen as (B, H, T, hd).
  auto grad_q = torch::empty({s.batch, s.steps, s.heads, s.head_dim}, q_in.options()).transpose(1, 2);
  auto grad_k = torch::zeros({s.batch, s.steps, s.kv_heads, s.head_dim}, k_in.options()).transpose(1, 2);
  auto grad_v = torch::zeros({s.batch, s.steps, s.kv_heads, s.head_dim}, v_in.options()).transpose(1, 2);
  const Heads<T> q(q_in), k(k_in), v(v_in), go(grad_out.transpose(1, 2)), gq(grad_q), gk(grad_k),
      gv(grad_v);
  auto enter = [&](std::vector<T>& kt, std::vector<T>& vt, int64_t b, int64_t kvh) {
    transpose_rows(s, k, b, kvh, kt);
    transpose_rows(s, v, b, kvh, vt);
  };
  for_each_block<T>(s, 2, enter, [&](T* scratch, const std::vector<T>& kt, const std::vector<T>& vt,
                                     int64_t b, int64_t kvh, int64_t h, int64_t start,
                                     int64_t length, int64_t keys) {
    T* p = scratch;
    T* d = scratch + s.block * s.steps;
    block_probs(s, q, k, kt, b, h, start, length, p);
    // dV += Pᵀ dO; dP = dO Vᵀ; dS = softmax'(P, dP); dQ = dS K; dK += dSᵀ Q.
    gemm(true, false, keys, s.head_dim, length, T(1), p, keys, go.at(b, h, start), go.st, T(1),
         gv.at(b, kvh, 0), gv.st);
    times_keys_t(s, length, keys, go.at(b, h, start), go.st, v, b, kvh, vt, d);
    for (int64_t r = 0; r < length; ++r) softmax_backward_row(p + r * keys, d + r * keys, keys);
    gemm(false, false, length, s.head_dim, keys, T(1), d, keys, k.at(b, kvh, 0), k.st, T(0),
         gq.at(b, h, start), gq.st);
    gemm(true, false, keys, s.head_dim, length, T(1), d, keys, q.at(b, h, start), q.st, T(1),
         gk.at(b, kvh, 0), gk.st);
  });
  return {grad_q, grad_k, grad_v};
}

}  // namespace

bool attention_kernel_supports(const torch::Tensor& q, const torch::Tensor& k,
                               const torch::Tensor& v) {
  const auto dtype = q.scalar_type();
  if (dtype != torch::kFloat32 && dtype != torch::kFloat64) return false;
  if (k.scalar_type() != dtype || v.scalar_type() != dtype) return false;
  for (const auto* x : {&q, &k, &v})
    if (!x->device().is_cpu() || x->dim() != 4 || x->stride(3) != 1) return false;
  return k.size(1) > 0 && q.size(1) % k.size(1) == 0 && k.sizes() == v.sizes() &&
         q.size(0) == k.size(0) && q.size(2) == k.size(2) && q.size(3) == k.size(3);
}

torch::Tensor attention_kernel_forward(const torch::Tensor& q, const torch::Tensor& k,
                                       const torch::Tensor& v, int64_t query_block) {
  return q.scalar_type() == torch::kFloat32 ? forward_impl<float>(q, k, v, query_block)
                                            : forward_impl<double>(q, k, v, query_block);
}

AttentionGrads attention_kernel_backward(const torch::Tensor& q, const torch::Tensor& k,
                                         const torch::Tensor& v, const torch::Tensor& grad_out,
                                         int64_t query_block) {
  return q.scalar_type() == torch::kFloat32
             ? backward_impl<float>(q, k, v, grad_out, query_block)
             : backward_impl<double>(q, k, v, grad_out, query_block);
}

}  // namespace loralab::model
