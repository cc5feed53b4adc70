// Counter-based dropout masks: splitmix64 over (seed, element index), computed in parallel.
#include "lora/dropout_mask.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>

#include <cmath>
#include <mutex>

#include "loralab/random.h"

namespace loralab::lora {
namespace {

uint64_t draw_seed() {
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  return at::check_generator<at::CPUGeneratorImpl>(gen)->random64();
}

// Calls keep(i, kept) for every element i < n, kept with probability 1 − threshold / 2^32: two
// 32-bit uniforms per 64-bit hash of (seed, pair index), so the mask does not depend on threads.
template <typename F>
void for_each_kept(int64_t n, uint64_t seed, uint32_t threshold, const F& keep) {
  constexpr int64_t kGrain = 1 << 15;
  at::parallel_for(0, (n + 1) / 2, kGrain, [&](int64_t begin, int64_t end) {
    for (int64_t pair = begin; pair < end; ++pair) {
      const uint64_t bits = mix64(seed + static_cast<uint64_t>(pair));
      const int64_t i = 2 * pair;
      keep(i, static_cast<uint32_t>(bits) >= threshold);
      if (i + 1 < n) keep(i + 1, static_cast<uint32_t>(bits >> 32) >= threshold);
    }
  });
}

uint32_t threshold_of(double p) {
  return static_cast<uint32_t>(std::min(4294967295.0, std::round(p * 4294967296.0)));
}

template <typename T>
void fill_mask(T* out, int64_t n, uint64_t seed, uint32_t threshold, T keep) {
  for_each_kept(n, seed, threshold, [&](int64_t i, bool kept) { out[i] = kept ? keep : T(0); });
}

template <typename T>
void fill_dropped(const T* x, T* out, int64_t n, uint64_t seed, uint32_t threshold, T keep) {
  for_each_kept(n, seed, threshold, [&](int64_t i, bool kept) { out[i] = kept ? x[i] * keep : T(0); });
}

template <typename T>
void add_masked(T* target, const T* values, int64_t n, uint64_t seed, uint32_t threshold, T keep) {
  for_each_kept(n, seed, threshold, [&](int64_t i, bool kept) {
    if (kept) target[i] += values[i] * keep;
  });
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
  const int64_t n = mask.numel();
  const auto threshold = threshold_of(p);
  const double keep = 1.0 / (1.0 - p);
  switch (mask.scalar_type()) {
    case torch::kFloat32:
      fill_mask(mask.data_ptr<float>(), n, seed, threshold, static_cast<float>(keep));
      break;
    case torch::kFloat64:
      fill_mask(mask.data_ptr<double>(), n, seed, threshold, keep);
      break;
    default: {
      // bf16 activations: build the mask in float32 and convert once.
      auto wide = torch::empty(like.sizes(), like.options().dtype(torch::kFloat32).requires_grad(false));
      fill_mask(wide.data_ptr<float>(), n, seed, threshold, static_cast<float>(keep));
      mask = wide.to(like.scalar_type());
    }
  }
  return mask;
}

torch::Tensor dropped_from_seed(const torch::Tensor& x, double p, uint64_t seed) {
  if (!fusable(x)) return x * dropout_mask_from_seed(x, p, seed);
  auto out = torch::empty(x.sizes(), x.options().requires_grad(false));
  const double keep = 1.0 / (1.0 - p);
  if (x.scalar_type() == torch::kFloat32)
    fill_dropped(x.data_ptr<float>(), out.data_ptr<float>(), x.numel(), seed, threshold_of(p),
                 static_cast<float>(keep));
  else
    fill_dropped(x.data_ptr<double>(), out.data_ptr<double>(), x.numel(), seed, threshold_of(p), keep);
  return out;
}

void add_masked_from_seed(torch::Tensor& target, const torch::Tensor& values, double p,
                          uint64_t seed) {
  if (!fusable(target) || !values.is_contiguous() || values.scalar_type() != target.scalar_type() ||
      values.sizes() != target.sizes()) {
    target.addcmul_(values, dropout_mask_from_seed(values, p, seed));
    return;
  }
  const double keep = 1.0 / (1.0 - p);
  if (target.scalar_type() == torch::kFloat32)
    add_masked(target.data_ptr<float>(), values.data_ptr<float>(), target.numel(), seed,
               threshold_of(p), static_cast<float>(keep));
  else
    add_masked(target.data_ptr<double>(), values.data_ptr<double>(), target.numel(), seed,
               threshold_of(p), keep);
}

}  // namespace loralab::lora
