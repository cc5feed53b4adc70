// Counter-based dropout masks: splitmix64 over (seed, element pair index), computed in parallel.
#include "lora/dropout_mask.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>

#include <cmath>
#include <mutex>
#include <type_traits>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "loralab/random.h"

namespace loralab::lora {
namespace {

uint64_t draw_seed() {
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  return at::check_generator<at::CPUGeneratorImpl>(gen)->random64();
}

// What a pass does with element i and its mask bit: write the mask (keep or 0), write x ⊙ mask,
// or add values ⊙ mask to the target; the last two also with the bits read from a kept bit mask
// (bit i % 16 of word i / 16) instead of hashing.
enum class MaskOp { kFill, kDrop, kAdd, kDropBits, kAddBits };

bool from_bits(MaskOp op) { return op == MaskOp::kDropBits || op == MaskOp::kAddBits; }

// Element i is kept when its 32-bit uniform is ≥ threshold (probability 1 − threshold / 2^32).
// The uniforms of elements 2j and 2j + 1 are the low and high halves of splitmix64 of seed + j,
// so the mask depends on neither the number of threads nor the instruction set. `bits`, when not
// null, receives the mask of a hashing pass (zeroed beforehand: bits are or-ed in) or gives it to
// a kDropBits / kAddBits pass.
template <typename T>
void mask_pairs_scalar(MaskOp op, T* out, const T* in, int64_t first_pair, int64_t end_pair,
                       int64_t n, uint64_t seed, uint32_t threshold, T keep, uint16_t* bits) {
  for (int64_t pair = first_pair; pair < end_pair; ++pair) {
    const uint64_t hash = from_bits(op) ? 0 : mix64(seed + static_cast<uint64_t>(pair));
    for (int half = 0; half < 2; ++half) {
      const int64_t i = 2 * pair + half;
      if (i >= n) break;
      const bool kept = from_bits(op) ? (bits[i / 16] >> (i % 16)) & 1u
                                      : static_cast<uint32_t>(hash >> (32 * half)) >= threshold;
      if (bits && kept && !from_bits(op)) bits[i / 16] |= static_cast<uint16_t>(1u << (i % 16));
      switch (op) {
        case MaskOp::kFill: out[i] = kept ? keep : T(0); break;
        case MaskOp::kDrop:
        case MaskOp::kDropBits: out[i] = kept ? in[i] * keep : T(0); break;
        case MaskOp::kAdd:
        case MaskOp::kAddBits:
          if (kept) out[i] += in[i] * keep;
          break;
      }
    }
  }
}

#if defined(__x86_64__)
// The same for float32 with AVX-512: eight splitmix64 hashes per vector are sixteen 32-bit
// uniforms in element order, one 16-bit word of the bit mask. Products and sums round as in the
// scalar loop (no fused multiply-add).
// z >> bits per 64-bit lane, through the masked form with every lane set (the plain
// _mm512_srli_epi64 trips GCC 12's -Wmaybe-uninitialized inside its own header).
__attribute__((target("avx512f"))) inline __m512i shift_right(__m512i z, unsigned bits) {
  return _mm512_mask_srli_epi64(z, __mmask8(0xFF), z, bits);
}

__attribute__((target("avx512f,avx512dq"))) void mask_pairs_avx512(
    MaskOp op, float* out, const float* in, int64_t first_pair, int64_t end_pair, int64_t n,
    uint64_t seed, uint32_t threshold, float keep, uint16_t* bits) {
  const __m512i lanes = _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7);
  const __m512i golden = _mm512_set1_epi64(static_cast<long long>(0x9E3779B97F4A7C15ULL));
  const __m512i c1 = _mm512_set1_epi64(static_cast<long long>(0xBF58476D1CE4E5B9ULL));
  const __m512i c2 = _mm512_set1_epi64(static_cast<long long>(0x94D049BB133111EBULL));
  const __m512i limit = _mm512_set1_epi32(static_cast<int>(threshold));
  const __m512 scale = _mm512_set1_ps(keep);
  int64_t pair = first_pair;
  for (; pair + 8 <= end_pair && 2 * (pair + 8) <= n; pair += 8) {
    __mmask16 kept;
    if (from_bits(op)) {
      kept = static_cast<__mmask16>(bits[pair / 8]);
    } else {
      __m512i z = _mm512_add_epi64(
          _mm512_add_epi64(_mm512_set1_epi64(static_cast<long long>(seed + static_cast<uint64_t>(pair))), lanes),
          golden);
      z = _mm512_mullo_epi64(_mm512_xor_si512(z, shift_right(z, 30)), c1);
      z = _mm512_mullo_epi64(_mm512_xor_si512(z, shift_right(z, 27)), c2);
      z = _mm512_xor_si512(z, shift_right(z, 31));
      kept = _mm512_cmp_epu32_mask(z, limit, _MM_CMPINT_NLT);
      if (bits) bits[pair / 8] = static_cast<uint16_t>(kept);
    }
    float* o = out + 2 * pair;
    const float* x = in + 2 * pair;
    switch (op) {
      case MaskOp::kFill: _mm512_storeu_ps(o, _mm512_maskz_mov_ps(kept, scale)); break;
      case MaskOp::kDrop:
      case MaskOp::kDropBits: _mm512_storeu_ps(o, _mm512_maskz_mul_ps(kept, _mm512_loadu_ps(x), scale)); break;
      case MaskOp::kAdd:
      case MaskOp::kAddBits: {
        const __m512 t = _mm512_loadu_ps(o);
        _mm512_storeu_ps(o, _mm512_mask_add_ps(t, kept, t, _mm512_mul_ps(_mm512_loadu_ps(x), scale)));
        break;
      }
    }
  }
  mask_pairs_scalar(op, out, in, pair, end_pair, n, seed, threshold, keep, bits);
}

bool has_avx512dq() {
  static const bool yes = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
  return yes;
}
#endif

template <typename T>
void apply_mask(MaskOp op, T* out, const T* in, int64_t n, uint64_t seed, uint32_t threshold, T keep,
                uint16_t* bits) {
  // Tasks start at multiples of kGrain pairs, so that no word of the bit mask is shared.
  constexpr int64_t kGrain = 1 << 15;
  at::parallel_for(0, (n + 1) / 2, kGrain, [&](int64_t begin, int64_t end) {
#if defined(__x86_64__)
    if constexpr (std::is_same_v<T, float>)
      if (has_avx512dq()) return mask_pairs_avx512(op, out, in, begin, end, n, seed, threshold, keep, bits);
#endif
    mask_pairs_scalar(op, out, in, begin, end, n, seed, threshold, keep, bits);
  });
}

uint32_t threshold_of(double p) {
  return static_cast<uint32_t>(std::min(4294967295.0, std::round(p * 4294967296.0)));
}

// One pass of `op` over `out` (and `in`, shaped like it), float32 or float64, for dropout p;
// `bits` as for mask_pairs_scalar.
void run_mask(MaskOp op, torch::Tensor& out, const torch::Tensor* in, double p, uint64_t seed,
              uint16_t* bits = nullptr) {
  const double keep = 1.0 / (1.0 - p);
  if (out.scalar_type() == torch::kFloat32)
    apply_mask<float>(op, out.data_ptr<float>(), in ? in->data_ptr<float>() : nullptr, out.numel(),
                      seed, threshold_of(p), static_cast<float>(keep), bits);
  else
    apply_mask<double>(op, out.data_ptr<double>(), in ? in->data_ptr<double>() : nullptr, out.numel(),
                       seed, threshold_of(p), keep, bits);
}

uint16_t* words(const torch::Tensor& bits) {
  return reinterpret_cast<uint16_t*>(bits.data_ptr<int16_t>());
}

bool fits_bits(const torch::Tensor& x, const torch::Tensor& bits) {
  return bits.scalar_type() == torch::kInt16 && bits.is_contiguous() &&
         bits.numel() == (x.numel() + 15) / 16;
}

bool fusable(const torch::Tensor& x) {
  return x.is_contiguous() && (x.scalar_type() == torch::kFloat32 || x.scalar_type() == torch::kFloat64);
}

}  // namespace

uint64_t next_dropout_seed() { return mix64(draw_seed()); }

torch::Tensor dropout_mask(const torch::Tensor& like, double p) {
  return dropout_mask_from_seed(like, p, next_dropout_seed());
}

torch::Tensor dropout_mask_from_seed(const torch::Tensor& like, double p, uint64_t seed) {
  auto mask = torch::empty(like.sizes(), like.options().requires_grad(false));
  if (fusable(mask)) {
    run_mask(MaskOp::kFill, mask, nullptr, p, seed);
    return mask;
  }
  // bf16 activations: build the mask in float32 and convert once.
  auto wide = torch::empty(like.sizes(), like.options().dtype(torch::kFloat32).requires_grad(false));
  run_mask(MaskOp::kFill, wide, nullptr, p, seed);
  return wide.to(like.scalar_type());
}

torch::Tensor dropped_from_seed(const torch::Tensor& x, double p, uint64_t seed) {
  if (!fusable(x)) return x * dropout_mask_from_seed(x, p, seed);
  auto out = torch::empty(x.sizes(), x.options().requires_grad(false));
  run_mask(MaskOp::kDrop, out, &x, p, seed);
  return out;
}

void drop_from_seed_(torch::Tensor& x, double p, uint64_t seed) {
  if (!fusable(x)) {
    x.mul_(dropout_mask_from_seed(x, p, seed));
    return;
  }
  run_mask(MaskOp::kDrop, x, &x, p, seed);
}

void add_masked_from_seed(torch::Tensor& target, const torch::Tensor& values, double p,
                          uint64_t seed) {
  if (!fusable(target) || !values.is_contiguous() || values.scalar_type() != target.scalar_type() ||
      values.sizes() != target.sizes()) {
    target.addcmul_(values, dropout_mask_from_seed(values, p, seed));
    return;
  }
  run_mask(MaskOp::kAdd, target, &values, p, seed);
}

DroppedWithBits dropped_keeping_bits(const torch::Tensor& x, double p, uint64_t seed) {
  if (!fusable(x)) throw std::invalid_argument("dropped_keeping_bits: expected contiguous float32 or float64 x");
  DroppedWithBits result;
  result.bits = torch::zeros({(x.numel() + 15) / 16}, torch::TensorOptions().dtype(torch::kInt16));
  result.dropped = torch::empty(x.sizes(), x.options().requires_grad(false));
  run_mask(MaskOp::kDrop, result.dropped, &x, p, seed, words(result.bits));
  return result;
}

torch::Tensor dropped_with_bits(const torch::Tensor& x, double p, const torch::Tensor& bits) {
  if (!fusable(x) || !fits_bits(x, bits))
    throw std::invalid_argument("dropped_with_bits: expected contiguous float32 or float64 x and its bit mask");
  auto out = torch::empty(x.sizes(), x.options().requires_grad(false));
  run_mask(MaskOp::kDropBits, out, &x, p, 0, words(bits));
  return out;
}

void drop_with_bits_(torch::Tensor& x, double p, const torch::Tensor& bits) {
  if (!fusable(x) || !fits_bits(x, bits))
    throw std::invalid_argument("drop_with_bits_: expected contiguous float32 or float64 x and its bit mask");
  run_mask(MaskOp::kDropBits, x, &x, p, 0, words(bits));
}

void add_masked_with_bits(torch::Tensor& target, const torch::Tensor& values, double p,
                          const torch::Tensor& bits) {
  if (!fusable(target) || !values.is_contiguous() || values.scalar_type() != target.scalar_type() ||
      values.sizes() != target.sizes() || !fits_bits(target, bits))
    throw std::invalid_argument("add_masked_with_bits: expected contiguous target and values of one shape and dtype, and their bit mask");
  run_mask(MaskOp::kAddBits, target, &values, p, 0, words(bits));
}

}  // namespace loralab::lora
