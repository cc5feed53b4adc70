// SwiGLU, RMSNorm and cross-entropy kernels; see fused_kernels.h.
#include "model/fused_kernels.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "model/simd_avx2.h"

namespace loralab::model {
namespace {

constexpr int64_t kElementGrain = 1 << 14;
constexpr int64_t kRowGrain = 16;

// ---- SwiGLU: s = sigmoid(g), silu = g·s; out = silu·u; d u = grad·silu,
// d g = grad·u·(s + silu·(1 − s)) ----

template <typename T>
void swiglu_forward_scalar(const T* g, const T* u, T* out, int64_t begin, int64_t end) {
  for (int64_t i = begin; i < end; ++i) out[i] = g[i] / (T(1) + std::exp(-g[i])) * u[i];
}

template <typename T>
void swiglu_backward_scalar(const T* grad, const T* g, const T* u, T* dg, T* du, int64_t begin,
                            int64_t end) {
  // Every input is read before either output is written: dg and du may be g's and u's buffers.
  for (int64_t i = begin; i < end; ++i) {
    const T s = T(1) / (T(1) + std::exp(-g[i])), silu = g[i] * s, gu = grad[i] * u[i];
    if (du) du[i] = grad[i] * silu;
    if (dg) dg[i] = gu * (s + silu * (T(1) - s));
  }
}

#ifdef LORALAB_X86
__attribute__((target("avx2,fma"))) inline __m256 sigmoid8(__m256 x) {
  const __m256 one = _mm256_set1_ps(1.0f);
  return _mm256_div_ps(one, _mm256_add_ps(one, exp8(_mm256_sub_ps(_mm256_setzero_ps(), x))));
}

__attribute__((target("avx2,fma"))) void swiglu_forward_avx2(const float* g, const float* u, float* out,
                                                             int64_t begin, int64_t end) {
  int64_t i = begin;
  for (; i + 8 <= end; i += 8) {
    const __m256 x = _mm256_loadu_ps(g + i);
    _mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_mul_ps(x, sigmoid8(x)), _mm256_loadu_ps(u + i)));
  }
  swiglu_forward_scalar(g, u, out, i, end);
}

__attribute__((target("avx2,fma"))) void swiglu_backward_avx2(const float* grad, const float* g,
                                                              const float* u, float* dg, float* du,
                                                              int64_t begin, int64_t end) {
  const __m256 one = _mm256_set1_ps(1.0f);
  int64_t i = begin;
  for (; i + 8 <= end; i += 8) {
    const __m256 x = _mm256_loadu_ps(g + i), up = _mm256_loadu_ps(u + i), gr = _mm256_loadu_ps(grad + i);
    const __m256 s = sigmoid8(x), silu = _mm256_mul_ps(x, s);
    if (du) _mm256_storeu_ps(du + i, _mm256_mul_ps(gr, silu));
    if (dg) {
      const __m256 slope = _mm256_fmadd_ps(silu, _mm256_sub_ps(one, s), s);
      _mm256_storeu_ps(dg + i, _mm256_mul_ps(_mm256_mul_ps(gr, up), slope));
    }
  }
  swiglu_backward_scalar(grad, g, u, dg, du, i, end);
}

#endif

void swiglu_forward_range(const float* g, const float* u, float* out, int64_t begin, int64_t end) {
#ifdef LORALAB_X86
  if (has_avx2()) return swiglu_forward_avx2(g, u, out, begin, end);
#endif
  swiglu_forward_scalar(g, u, out, begin, end);
}
void swiglu_forward_range(const double* g, const double* u, double* out, int64_t begin, int64_t end) {
  swiglu_forward_scalar(g, u, out, begin, end);
}
void swiglu_backward_range(const float* grad, const float* g, const float* u, float* dg, float* du,
                           int64_t begin, int64_t end) {
#ifdef LORALAB_X86
  if (has_avx2()) return swiglu_backward_avx2(grad, g, u, dg, du, begin, end);
#endif
  swiglu_backward_scalar(grad, g, u, dg, du, begin, end);
}
void swiglu_backward_range(const double* grad, const double* g, const double* u, double* dg,
                           double* du, int64_t begin, int64_t end) {
  swiglu_backward_scalar(grad, g, u, dg, du, begin, end);
}

// ---- RMSNorm rows ----

template <typename T>
T sum_of_products_scalar(const T* a, const T* b, int64_t n) {
  T sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += a[i] * b[i];
  return sum;
}


float sum_of_products(const float* a, const float* b, int64_t n) {
#ifdef LORALAB_X86
  if (has_avx2()) return dot_avx2(a, b, n);
#endif
  return sum_of_products_scalar(a, b, n);
}
double sum_of_products(const double* a, const double* b, int64_t n) {
  return sum_of_products_scalar(a, b, n);
}

template <typename T>
void rms_norm_rows(const T* x, const T* w, T* y, T* rstd, int64_t width, double eps, int64_t begin,
                   int64_t end) {
  for (int64_t r = begin; r < end; ++r) {
    const T* row = x + r * width;
    const T scale = T(1) / std::sqrt(sum_of_products(row, row, width) / T(width) + T(eps));
    rstd[r] = scale;
    T* out = y + r * width;
    for (int64_t i = 0; i < width; ++i) out[i] = row[i] * scale * w[i];
  }
}

// dx for rows begin..end; `scratch` holds one row of g·w.
template <typename T>
void rms_norm_backward_rows(const T* grad, const T* x, const T* w, const T* rstd, T* dx,
                            int64_t width, int64_t begin, int64_t end) {
  std::vector<T> gw(static_cast<size_t>(width));
  for (int64_t r = begin; r < end; ++r) {
    const T* g = grad + r * width;
    const T* row = x + r * width;
    for (int64_t i = 0; i < width; ++i) gw[i] = g[i] * w[i];
    const T scale = rstd[r];
    const T k = scale * scale * sum_of_products(gw.data(), row, width) / T(width);
    T* out = dx + r * width;
    for (int64_t i = 0; i < width; ++i) out[i] = scale * (gw[i] - row[i] * k);
  }
}

// ---- Rotary embedding: per row of hd (one position of one head), with P the half swap,
// y = x·c + P(x)·s, or for the gradient (`transpose`) y = x·c + P(x·s) ----

template <typename T>
void rotate_row(const T* __restrict x, const T* __restrict c, const T* __restrict s, T* __restrict y,
                int64_t half, bool transpose) {
  const T* s_low = transpose ? s + half : s;  // the s multiplying x[i + half] into y[i]
  const T* s_high = transpose ? s : s + half;  // the s multiplying x[i] into y[i + half]
#pragma omp simd
  for (int64_t i = 0; i < half; ++i) {
    y[i] = x[i] * c[i] + x[i + half] * s_low[i];
    y[i + half] = x[i + half] * c[i + half] + x[i] * s_high[i];
  }
}

template <typename T>
torch::Tensor rotary_t(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                       bool transpose) {
  auto y = torch::empty_like(x);  // x's layout (a transposed view of the projection's rows)
  const int64_t heads = x.size(1), steps = x.size(2), dim = x.size(3);
  const T* px = x.data_ptr<T>();
  const T* pc = cos.data_ptr<T>();
  const T* ps = sin.data_ptr<T>();
  T* py = y.data_ptr<T>();
  const int64_t xs0 = x.stride(0), xs1 = x.stride(1), xs2 = x.stride(2);
  const int64_t ys0 = y.stride(0), ys1 = y.stride(1), ys2 = y.stride(2);
  // Tasks are (batch, position) pairs, each over all heads (the projections' memory order).
  at::parallel_for(0, x.size(0) * steps, 8, [&](int64_t begin, int64_t end) {
    for (int64_t pair = begin; pair < end; ++pair) {
      const int64_t b = pair / steps, t = pair % steps;
      for (int64_t h = 0; h < heads; ++h)
        rotate_row(px + b * xs0 + h * xs1 + t * xs2, pc + t * dim, ps + t * dim,
                   py + b * ys0 + h * ys1 + t * ys2, dim / 2, transpose);
    }
  });
  return y;
}

// ---- Cross-entropy rows: loss = m · (log Σ exp(x − max) + max − x_t); the gradient
// m · (softmax − onehot(t)) written over the logits ----

template <typename T>
T row_max_scalar(const T* x, int64_t n) {
  T m = x[0];
  for (int64_t i = 1; i < n; ++i) m = std::max(m, x[i]);
  return m;
}

// Σ exp(x_i − shift), with exp(x_i − shift) stored over x_i when `store`.
template <typename T>
double exp_shift_scalar(T* x, int64_t n, T shift, bool store) {
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    const T e = std::exp(x[i] - shift);
    if (store) x[i] = e;
    sum += e;
  }
  return sum;
}

#ifdef LORALAB_X86
__attribute__((target("avx2,fma"))) float row_max_avx2(const float* x, int64_t n) {
  if (n < 8) return row_max_scalar(x, n);
  __m256 m = _mm256_loadu_ps(x);
  int64_t i = 8;
  for (; i + 8 <= n; i += 8) m = _mm256_max_ps(m, _mm256_loadu_ps(x + i));
  float best = max8(m);
  for (; i < n; ++i) best = std::max(best, x[i]);
  return best;
}

__attribute__((target("avx2,fma"))) double exp_shift_avx2(float* x, int64_t n, float shift, bool store) {
  const __m256 s = _mm256_set1_ps(shift);
  __m256 acc = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), s));
    if (store) _mm256_storeu_ps(x + i, e);
    acc = _mm256_add_ps(acc, e);
  }
  return double(sum8(acc)) + exp_shift_scalar(x + i, n - i, shift, store);
}

__attribute__((target("avx512f"))) float row_max_avx512(const float* x, int64_t n) {
  const int64_t whole = n / 16 * 16;
  __m512 m = _mm512_mask_loadu_ps(_mm512_set1_ps(-std::numeric_limits<float>::infinity()),
                                  first_lanes(n - whole), x + whole);
  for (int64_t i = 0; i < whole; i += 16) m = vmax16(m, _mm512_loadu_ps(x + i));
  return max16(m);
}

__attribute__((target("avx512f"))) double exp_shift_avx512(float* x, int64_t n, float shift, bool store) {
  const int64_t whole = n / 16 * 16;
  const __mmask16 tail = first_lanes(n - whole);
  const __m512 s = _mm512_set1_ps(shift);
  __m512 acc = _mm512_setzero_ps();
  for (int64_t i = 0; i < whole; i += 16) {
    const __m512 e = exp16(_mm512_sub_ps(_mm512_loadu_ps(x + i), s));
    if (store) _mm512_storeu_ps(x + i, e);
    acc = _mm512_add_ps(acc, e);
  }
  const __m512 e = _mm512_maskz_mov_ps(tail, exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(tail, x + whole), s)));
  if (store) _mm512_mask_storeu_ps(x + whole, tail, e);
  return double(sum16(_mm512_add_ps(acc, e)));
}
#endif

template <typename T>
T row_max(const T* x, int64_t n) {
#ifdef LORALAB_X86
  if constexpr (std::is_same_v<T, float>) {
    if (has_avx512()) return row_max_avx512(x, n);
    if (has_avx2()) return row_max_avx2(x, n);
  }
#endif
  return row_max_scalar(x, n);
}

template <typename T>
double exp_shift(T* x, int64_t n, T shift, bool store) {
#ifdef LORALAB_X86
  if constexpr (std::is_same_v<T, float>) {
    if (has_avx512()) return exp_shift_avx512(x, n, shift, store);
    if (has_avx2()) return exp_shift_avx2(x, n, shift, store);
  }
#endif
  return exp_shift_scalar(x, n, shift, store);
}

template <typename T>
double cross_entropy_rows_t(torch::Tensor& logits, const torch::Tensor& targets,
                            const torch::Tensor& mask, bool gradient) {
  const int64_t rows = logits.size(0), width = logits.size(1);
  T* x = logits.data_ptr<T>();
  const int64_t* t = targets.data_ptr<int64_t>();
  const T* m = mask.data_ptr<T>();
  std::vector<double> loss(static_cast<size_t>(rows));
  at::parallel_for(0, rows, 4, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      T* row = x + r * width;
      const T top = row_max(row, width), picked = row[t[r]];
      const double sum = exp_shift(row, width, top, gradient);
      loss[r] = double(m[r]) * (std::log(sum) + double(top) - double(picked));
      if (!gradient) continue;
      const T scale = T(double(m[r]) / sum);
      for (int64_t i = 0; i < width; ++i) row[i] *= scale;
      row[t[r]] -= m[r];
    }
  });
  double total = 0;  // in row order, whatever the threads
  for (double l : loss) total += l;
  return total;
}

template <typename T>
torch::Tensor swiglu_forward_t(const torch::Tensor& gate, const torch::Tensor& up) {
  auto out = torch::empty_like(gate);
  const T *g = gate.data_ptr<T>(), *u = up.data_ptr<T>();
  T* o = out.data_ptr<T>();
  at::parallel_for(0, gate.numel(), kElementGrain,
                   [&](int64_t begin, int64_t end) { swiglu_forward_range(g, u, o, begin, end); });
  return out;
}

template <typename T>
std::pair<torch::Tensor, torch::Tensor> swiglu_backward_t(const torch::Tensor& grad_in,
                                                          const torch::Tensor& gate,
                                                          const torch::Tensor& up, bool want_gate,
                                                          bool want_up, bool overwrite) {
  auto grad = grad_in.contiguous();
  torch::Tensor dg = want_gate ? (overwrite ? gate : torch::empty_like(gate)) : torch::Tensor();
  torch::Tensor du = want_up ? (overwrite ? up : torch::empty_like(up)) : torch::Tensor();
  const T *gr = grad.data_ptr<T>(), *g = gate.data_ptr<T>(), *u = up.data_ptr<T>();
  T* dgp = want_gate ? dg.data_ptr<T>() : nullptr;
  T* dup = want_up ? du.data_ptr<T>() : nullptr;
  at::parallel_for(0, gate.numel(), kElementGrain, [&](int64_t begin, int64_t end) {
    swiglu_backward_range(gr, g, u, dgp, dup, begin, end);
  });
  return {dg, du};
}

template <typename T>
std::pair<torch::Tensor, torch::Tensor> rms_norm_forward_t(const torch::Tensor& x,
                                                           const torch::Tensor& weight, double eps) {
  const int64_t width = x.size(-1), rows = x.numel() / width;
  auto y = torch::empty_like(x);
  auto rstd = torch::empty({rows}, x.options());
  const T *xp = x.data_ptr<T>(), *w = weight.data_ptr<T>();
  T *yp = y.data_ptr<T>(), *rp = rstd.data_ptr<T>();
  at::parallel_for(0, rows, kRowGrain, [&](int64_t begin, int64_t end) {
    rms_norm_rows(xp, w, yp, rp, width, eps, begin, end);
  });
  return {y, rstd};
}

template <typename T>
std::pair<torch::Tensor, torch::Tensor> rms_norm_backward_t(const torch::Tensor& grad_in,
                                                            const torch::Tensor& x,
                                                            const torch::Tensor& weight,
                                                            const torch::Tensor& rstd, bool want_x,
                                                            bool want_weight) {
  auto grad = grad_in.contiguous();
  const int64_t width = x.size(-1), rows = x.numel() / width;
  const T *g = grad.data_ptr<T>(), *xp = x.data_ptr<T>(), *w = weight.data_ptr<T>(),
          *rp = rstd.data_ptr<T>();
  torch::Tensor dx, dw;
  if (want_x) {
    dx = torch::empty_like(x);
    T* dxp = dx.data_ptr<T>();
    at::parallel_for(0, rows, kRowGrain, [&](int64_t begin, int64_t end) {
      rms_norm_backward_rows(g, xp, w, rp, dxp, width, begin, end);
    });
  }
  if (want_weight) {
    // Σ_rows g · x · rstd over fixed chunks of rows, each summed on its own and the chunks added
    // in order: the same bits whatever the number of threads.
    constexpr int64_t kChunk = 64;
    const int64_t chunks = (rows + kChunk - 1) / kChunk;
    std::vector<T> partial(static_cast<size_t>(chunks * width), T(0));
    at::parallel_for(0, chunks, 1, [&](int64_t begin, int64_t end) {
      for (int64_t c = begin; c < end; ++c) {
        T* acc = partial.data() + c * width;
        for (int64_t r = c * kChunk; r < std::min(rows, (c + 1) * kChunk); ++r) {
          const T* gr = g + r * width;
          const T* row = xp + r * width;
          for (int64_t i = 0; i < width; ++i) acc[i] += gr[i] * row[i] * rp[r];
        }
      }
    });
    dw = torch::zeros_like(weight);
    T* dwp = dw.data_ptr<T>();
    for (int64_t c = 0; c < chunks; ++c)
      for (int64_t i = 0; i < width; ++i) dwp[i] += partial[static_cast<size_t>(c * width + i)];
  }
  return {dx, dw};
}

}  // namespace

bool fused_kernels_support(std::initializer_list<const torch::Tensor*> tensors) {
  const auto dtype = (*tensors.begin())->scalar_type();
  if (dtype != torch::kFloat32 && dtype != torch::kFloat64) return false;
  for (const auto* t : tensors)
    if (t->scalar_type() != dtype || !t->is_contiguous() || !t->device().is_cpu()) return false;
  return true;
}

torch::Tensor swiglu_forward(const torch::Tensor& gate, const torch::Tensor& up) {
  return gate.scalar_type() == torch::kFloat32 ? swiglu_forward_t<float>(gate, up)
                                               : swiglu_forward_t<double>(gate, up);
}

std::pair<torch::Tensor, torch::Tensor> swiglu_backward(const torch::Tensor& grad,
                                                        const torch::Tensor& gate,
                                                        const torch::Tensor& up, bool want_gate,
                                                        bool want_up, bool overwrite) {
  return gate.scalar_type() == torch::kFloat32
             ? swiglu_backward_t<float>(grad, gate, up, want_gate, want_up, overwrite)
             : swiglu_backward_t<double>(grad, gate, up, want_gate, want_up, overwrite);
}

std::pair<torch::Tensor, torch::Tensor> rms_norm_forward(const torch::Tensor& x,
                                                         const torch::Tensor& weight, double eps) {
  return x.scalar_type() == torch::kFloat32 ? rms_norm_forward_t<float>(x, weight, eps)
                                            : rms_norm_forward_t<double>(x, weight, eps);
}

std::pair<torch::Tensor, torch::Tensor> rms_norm_backward(const torch::Tensor& grad,
                                                          const torch::Tensor& x,
                                                          const torch::Tensor& weight,
                                                          const torch::Tensor& rstd, bool want_x,
                                                          bool want_weight) {
  return x.scalar_type() == torch::kFloat32
             ? rms_norm_backward_t<float>(grad, x, weight, rstd, want_x, want_weight)
             : rms_norm_backward_t<double>(grad, x, weight, rstd, want_x, want_weight);
}

double cross_entropy_rows(torch::Tensor& logits, const torch::Tensor& targets,
                          const torch::Tensor& mask, bool gradient) {
  const int64_t rows = logits.size(0), width = logits.size(1);
  if (logits.dim() != 2 || width == 0 || !fused_kernels_support({&logits, &mask}) ||
      targets.scalar_type() != torch::kInt64 || !targets.is_contiguous() ||
      targets.numel() != rows || mask.numel() != rows)
    throw std::invalid_argument("cross_entropy_rows: expected contiguous logits (rows, V), int64 targets (rows) and a mask (rows) of the logits' dtype");
  if (rows > 0) {
    const auto [low, high] = std::minmax_element(targets.data_ptr<int64_t>(), targets.data_ptr<int64_t>() + rows);
    if (*low < 0 || *high >= width)
      throw std::invalid_argument("cross_entropy_rows: target " + std::to_string(*low < 0 ? *low : *high) +
                                  " outside the vocabulary of " + std::to_string(width));
  }
  return logits.scalar_type() == torch::kFloat32
             ? cross_entropy_rows_t<float>(logits, targets, mask, gradient)
             : cross_entropy_rows_t<double>(logits, targets, mask, gradient);
}

bool rotary_supports(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin) {
  return fused_kernels_support({&cos, &sin}) && x.scalar_type() == cos.scalar_type() &&
         x.device().is_cpu() && x.dim() == 4 && x.stride(3) == 1 && x.size(3) % 2 == 0 &&
         cos.dim() == 2 && cos.size(0) == x.size(2) && cos.size(1) == x.size(3) &&
         sin.sizes() == cos.sizes() && x.is_non_overlapping_and_dense();
}

torch::Tensor rotary(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                     bool transpose) {
  if (!rotary_supports(x, cos, sin))
    throw std::invalid_argument("rotary: expected x (B, heads, T, hd) with unit stride along hd and tables (T, hd) of its dtype");
  return x.scalar_type() == torch::kFloat32 ? rotary_t<float>(x, cos, sin, transpose)
                                            : rotary_t<double>(x, cos, sin, transpose);
}

}  // namespace loralab::model
