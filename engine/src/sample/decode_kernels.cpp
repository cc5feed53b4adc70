// Batch-1 decoding kernels; see decode_kernels.h. Each kernel body is written once over GCC's
// 8-float vector type and compiled twice: for the baseline x86-64 (two SSE halves per vector) and
// for AVX2+FMA, chosen once at run time. Sums run in 8 lanes, so results differ from LibTorch's
// BLAS in the last bits only (a different summation order).
#include "sample/decode_kernels.h"

#include <algorithm>
#include <cmath>
#include <cstring>

// The 32-byte vector type only lives inside always-inlined helpers; the note about its calling
// convention without AVX does not apply.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace loralab::sample::kernels {

namespace {

using v8 = float __attribute__((vector_size(32)));
#define LORALAB_INLINE inline __attribute__((always_inline))

LORALAB_INLINE v8 load8(const float* p) {
  v8 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

LORALAB_INLINE void store8(float* p, v8 v) { std::memcpy(p, &v, sizeof v); }

LORALAB_INLINE float sum8(v8 v) {
  return ((v[0] + v[4]) + (v[1] + v[5])) + ((v[2] + v[6]) + (v[3] + v[7]));
}

LORALAB_INLINE float dot(const float* a, const float* b, int64_t n) {
  const int64_t vec_end = n - n % 8;
  v8 acc = {};
  for (int64_t i = 0; i < vec_end; i += 8) acc += load8(a + i) * load8(b + i);
  float sum = sum8(acc);
  for (int64_t i = vec_end; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

// Four rows share each load of x; eight lanes per row keep four independent FMA chains going.
template <bool Accumulate>
LORALAB_INLINE void matvec_body(const float* w, const float* x, float* y, int64_t rows,
                                int64_t cols, float scale) {
  const int64_t vec_end = cols - cols % 8;
  int64_t r = 0;
  for (; r + 4 <= rows; r += 4) {
    const float* w0 = w + r * cols;
    const float* w1 = w0 + cols;
    const float* w2 = w1 + cols;
    const float* w3 = w2 + cols;
    v8 a0 = {}, a1 = {}, a2 = {}, a3 = {};
    for (int64_t c = 0; c < vec_end; c += 8) {
      const v8 xv = load8(x + c);
      a0 += load8(w0 + c) * xv;
      a1 += load8(w1 + c) * xv;
      a2 += load8(w2 + c) * xv;
      a3 += load8(w3 + c) * xv;
    }
    float s[4] = {sum8(a0), sum8(a1), sum8(a2), sum8(a3)};
    for (int64_t c = vec_end; c < cols; ++c) {
      s[0] += w0[c] * x[c];
      s[1] += w1[c] * x[c];
      s[2] += w2[c] * x[c];
      s[3] += w3[c] * x[c];
    }
    for (int k = 0; k < 4; ++k) {
      if constexpr (Accumulate)
        y[r + k] += scale * s[k];
      else
        y[r + k] = s[k];
    }
  }
  for (; r < rows; ++r) {
    const float s = dot(w + r * cols, x, cols);
    if constexpr (Accumulate)
      y[r] += scale * s;
    else
      y[r] = s;
  }
}

// 32 outputs at a time stay in four registers while every column of z is folded in.
LORALAB_INLINE void add_transposed_body(const float* bt, const float* z, float* y, int64_t rows,
                                        int64_t n) {
  int64_t r = 0;
  for (; r + 32 <= rows; r += 32) {
    v8 a0 = load8(y + r), a1 = load8(y + r + 8), a2 = load8(y + r + 16), a3 = load8(y + r + 24);
    for (int64_t j = 0; j < n; ++j) {
      const float* row = bt + j * rows + r;
      const float zj = z[j];
      a0 += zj * load8(row);
      a1 += zj * load8(row + 8);
      a2 += zj * load8(row + 16);
      a3 += zj * load8(row + 24);
    }
    store8(y + r, a0);
    store8(y + r + 8, a1);
    store8(y + r + 16, a2);
    store8(y + r + 24, a3);
  }
  for (; r + 8 <= rows; r += 8) {
    v8 acc = load8(y + r);
    for (int64_t j = 0; j < n; ++j) acc += z[j] * load8(bt + j * rows + r);
    store8(y + r, acc);
  }
  for (; r < rows; ++r) {
    float acc = y[r];
    for (int64_t j = 0; j < n; ++j) acc += z[j] * bt[j * rows + r];
    y[r] = acc;
  }
}

LORALAB_INLINE void attend_body(const float* q, const float* keys, const float* values,
                                int64_t positions, int64_t head_dim, float* scores, float* out) {
  float top = -INFINITY;
  for (int64_t s = 0; s < positions; ++s) {
    scores[s] = dot(q, keys + s * head_dim, head_dim);
    top = std::max(top, scores[s]);
  }
  float total = 0;
  for (int64_t s = 0; s < positions; ++s) {
    scores[s] = std::exp(scores[s] - top);
    total += scores[s];
  }
  const float inv_total = 1.0f / total;
  const int64_t vec_end = head_dim - head_dim % 8;
  for (int64_t i = 0; i < head_dim; ++i) out[i] = 0;
  for (int64_t s = 0; s < positions; ++s) {
    const float p = scores[s] * inv_total;
    const float* v = values + s * head_dim;
    for (int64_t i = 0; i < vec_end; i += 8) store8(out + i, load8(out + i) + p * load8(v + i));
    for (int64_t i = vec_end; i < head_dim; ++i) out[i] += p * v[i];
  }
}

using MatvecFn = void (*)(const float*, const float*, float*, int64_t, int64_t, float);
using AttendFn = void (*)(const float*, const float*, const float*, int64_t, int64_t, float*,
                          float*);
using AddTransposedFn = void (*)(const float*, const float*, float*, int64_t, int64_t);

void matvec_generic(const float* w, const float* x, float* y, int64_t rows, int64_t cols, float) {
  matvec_body<false>(w, x, y, rows, cols, 1.0f);
}
void matvec_add_generic(const float* w, const float* x, float* y, int64_t rows, int64_t cols,
                        float scale) {
  matvec_body<true>(w, x, y, rows, cols, scale);
}
void add_transposed_generic(const float* bt, const float* z, float* y, int64_t rows, int64_t n) {
  add_transposed_body(bt, z, y, rows, n);
}
void attend_generic(const float* q, const float* k, const float* v, int64_t positions,
                    int64_t head_dim, float* scores, float* out) {
  attend_body(q, k, v, positions, head_dim, scores, out);
}

#if defined(__x86_64__) && defined(__GNUC__)
#define LORALAB_HAVE_AVX2_BUILD 1
__attribute__((target("avx2,fma"))) void matvec_avx2(const float* w, const float* x, float* y,
                                                     int64_t rows, int64_t cols, float) {
  matvec_body<false>(w, x, y, rows, cols, 1.0f);
}
__attribute__((target("avx2,fma"))) void matvec_add_avx2(const float* w, const float* x, float* y,
                                                         int64_t rows, int64_t cols, float scale) {
  matvec_body<true>(w, x, y, rows, cols, scale);
}
__attribute__((target("avx2,fma"))) void add_transposed_avx2(const float* bt, const float* z,
                                                             float* y, int64_t rows, int64_t n) {
  add_transposed_body(bt, z, y, rows, n);
}
__attribute__((target("avx2,fma"))) void attend_avx2(const float* q, const float* k,
                                                     const float* v, int64_t positions,
                                                     int64_t head_dim, float* scores, float* out) {
  attend_body(q, k, v, positions, head_dim, scores, out);
}
#endif

struct Dispatch {
  MatvecFn matvec = matvec_generic;
  MatvecFn matvec_add = matvec_add_generic;
  AttendFn attend = attend_generic;
  AddTransposedFn add_transposed = add_transposed_generic;
  bool avx2 = false;
};

const Dispatch& dispatch() {
  static const Dispatch table = [] {
    Dispatch d;
#ifdef LORALAB_HAVE_AVX2_BUILD
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
      d = {matvec_avx2, matvec_add_avx2, attend_avx2, add_transposed_avx2, true};
#endif
    return d;
  }();
  return table;
}

}  // namespace

void matvec(const float* w, const float* x, float* y, int64_t rows, int64_t cols) {
  dispatch().matvec(w, x, y, rows, cols, 1.0f);
}

void matvec_add(const float* w, const float* x, float* y, int64_t rows, int64_t cols,
                float scale) {
  dispatch().matvec_add(w, x, y, rows, cols, scale);
}

void attend(const float* q, const float* keys, const float* values, int64_t positions,
            int64_t head_dim, float* scores, float* out) {
  dispatch().attend(q, keys, values, positions, head_dim, scores, out);
}

void add_transposed(const float* bt, const float* z, float* y, int64_t rows, int64_t n) {
  dispatch().add_transposed(bt, z, y, rows, n);
}

bool using_avx2() { return dispatch().avx2; }

void rms_norm(const float* x, const float* weight, float* out, int64_t n, double eps) {
  const float mean_square = dot(x, x, n) / static_cast<float>(n);
  const float inv = 1.0f / std::sqrt(mean_square + static_cast<float>(eps));
  for (int64_t i = 0; i < n; ++i) out[i] = weight[i] * (x[i] * inv);
}

void rotary(float* v, int64_t heads, int64_t head_dim, const float* cos, const float* signed_sin,
            float scale) {
  const int64_t half = head_dim / 2;
  for (int64_t h = 0; h < heads; ++h) {
    float* x = v + h * head_dim;
    for (int64_t i = 0; i < half; ++i) {
      const float lo = x[i], hi = x[i + half];
      x[i] = (lo * cos[i] + hi * signed_sin[i]) * scale;
      x[i + half] = (hi * cos[i + half] + lo * signed_sin[i + half]) * scale;
    }
  }
}

void silu_mul(float* gate, const float* up, int64_t n) {
  for (int64_t i = 0; i < n; ++i) gate[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

void add(float* y, const float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += x[i];
}

}  // namespace loralab::sample::kernels
