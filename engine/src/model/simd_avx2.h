// AVX2 and AVX-512 helpers for the training kernels (attention_kernel.cpp, fused_kernels.cpp):
// each function is compiled for its instruction set whatever the build's baseline, so callers
// check has_avx512() / has_avx2() first and keep a scalar path. LibTorch-free; include only from
// engine .cpp files.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>

#if defined(__x86_64__)
#include <immintrin.h>
#define LORALAB_X86 1
#endif

namespace loralab::model {

// The vector instruction sets the float32 kernels may use: what the CPU has, unless lowered (the
// kernel self-checks lower it to run every path on one machine).
enum class Simd : int { kScalar = 0, kAvx2 = 1, kAvx512 = 2 };

inline Simd simd_detected() {
#ifdef __x86_64__
  static const Simd level = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2") &&
                                    __builtin_cpu_supports("fma")
                                ? Simd::kAvx512
                            : __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")
                                ? Simd::kAvx2
                                : Simd::kScalar;
  return level;
#else
  return Simd::kScalar;
#endif
}

inline std::atomic<int>& simd_limit() {
  static std::atomic<int> limit{static_cast<int>(simd_detected())};
  return limit;
}

inline Simd simd_level() { return static_cast<Simd>(simd_limit().load(std::memory_order_relaxed)); }

// Lowers (or restores) the level; never above what the CPU has. Returns the previous level.
inline Simd set_simd_level(Simd level) {
  const int wanted = std::min(static_cast<int>(level), static_cast<int>(simd_detected()));
  return static_cast<Simd>(simd_limit().exchange(wanted));
}

#ifdef LORALAB_X86
inline bool has_avx2() { return simd_level() >= Simd::kAvx2; }
inline bool has_avx512() { return simd_level() >= Simd::kAvx512; }

// e^x = 2^n · e^r with n = round(x·log2 e) and r = x − n·ln 2 (ln 2 in two parts, so that r is
// exact), e^r = 1 + r + r²·series(r), with the series of Cephes' expf, highest power first: for
// exp8 and exp16.
inline constexpr float kLog2e = 1.44269504088896341f, kLn2High = 0.693359375f,
                       kLn2Low = -2.12194440e-4f;
inline constexpr float kExpSeries[6] = {1.9875691500e-4f, 1.3981999507e-3f, 8.3334519073e-3f,
                                        4.1665795894e-2f, 1.6666665459e-1f, 5.0000001201e-1f};

// e^x for 8 floats: x = n ln2 + r with |r| ≤ ln2/2, e^r from its degree-7 series in Horner form
// (kExpSeries), 2^n put into the exponent bits. Relative error ~2 ulp for
// x ∈ [−87, 88]; the input is clamped there (softmax arguments are ≤ 0, so only the low end
// matters and gives ~0 as it should).
__attribute__((target("avx2,fma"))) inline __m256 exp8(__m256 x) {
  x = _mm256_max_ps(_mm256_min_ps(x, _mm256_set1_ps(88.0f)), _mm256_set1_ps(-87.0f));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(kLog2e)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(kLn2High), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(kLn2Low), r);
  __m256 p = _mm256_set1_ps(kExpSeries[0]);
  for (int i = 1; i < 6; ++i) p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kExpSeries[i]));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
}

__attribute__((target("avx2,fma"))) inline float sum8(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

__attribute__((target("avx2,fma"))) inline float max8(__m256 v) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// Σ a_i b_i over n floats, two vector accumulators, the tail in scalar.
__attribute__((target("avx2,fma"))) inline float dot_avx2(const float* a, const float* b, int64_t n) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
  }
  float sum = sum8(_mm256_add_ps(acc0, acc1));
  for (; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

// Lane-wise max and min by compare and blend (GCC 12's _mm512_max_ps / _mm512_min_ps trip
// -Wuninitialized inside its own header when inlined into target("avx512f") functions). A NaN
// in `a` is kept.
__attribute__((target("avx512f"))) inline __m512 vmax16(__m512 a, __m512 b) {
  return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, b, _CMP_LT_OQ), a, b);
}
__attribute__((target("avx512f"))) inline __m512 vmin16(__m512 a, __m512 b) {
  return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(b, a, _CMP_LT_OQ), a, b);
}

// exp8's reduction and series on 16 floats, 2^n applied with scalef (same accuracy and range).
__attribute__((target("avx512f"))) inline __m512 exp16(__m512 x) {
  x = vmax16(vmin16(x, _mm512_set1_ps(88.0f)), _mm512_set1_ps(-87.0f));
  // (The masked forms with every lane set: the unmasked ones trip the same GCC 12 warning.)
  const __m512 scaled = _mm512_mul_ps(x, _mm512_set1_ps(kLog2e));
  const __m512 n = _mm512_mask_roundscale_ps(scaled, __mmask16(0xFFFF), scaled,
                                             _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  const __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(kLn2Low),
                                    _mm512_fnmadd_ps(n, _mm512_set1_ps(kLn2High), x));
  __m512 series = _mm512_set1_ps(kExpSeries[0]);
  for (int i = 1; i < 6; ++i) series = _mm512_fmadd_ps(series, r, _mm512_set1_ps(kExpSeries[i]));
  const __m512 er = _mm512_fmadd_ps(series, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
  return _mm512_mask_scalef_ps(er, __mmask16(0xFFFF), er, n);
}

// Horizontal max and sum of 16 floats (through memory: GCC 12's _mm512_reduce_* warn about an
// uninitialised operand in their own headers).
__attribute__((target("avx512f"))) inline float max16(__m512 v) {
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, v);
  float best = lanes[0];
  for (int i = 1; i < 16; ++i) best = best > lanes[i] ? best : lanes[i];
  return best;
}
__attribute__((target("avx512f"))) inline float sum16(__m512 v) {
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, v);
  float sum = 0;
  for (int i = 0; i < 16; ++i) sum += lanes[i];
  return sum;
}

// The mask of the first `count` (0..16) lanes.
inline __mmask16 first_lanes(int64_t count) {
  return static_cast<__mmask16>((1u << static_cast<unsigned>(count)) - 1u);
}
#else
inline bool has_avx2() { return false; }
inline bool has_avx512() { return false; }
#endif

}  // namespace loralab::model
