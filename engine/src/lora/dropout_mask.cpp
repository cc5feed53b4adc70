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

template <typename T>
void fill_mask(T* out, int64_t n, uint64_t seed, uint32_t threshold, T keep) {
  // Two 32-bit uniforms per 64-bit hash; an element is kept when its uniform ≥ p · 2^32.
  constexpr int64_t kGrain = 1 << 15;
  at::parallel_for(0, (n + 1) / 2, kGrain, [&](int64_t begin, int64_t end) {
    for (int64_t pair = begin; pair < end; ++pair) {
      const uint64_t bits = mix64(seed + static_cast<uint64_t>(pair));
      const int64_t i = 2 * pair;
      out[i] = static_cast<uint32_t>(bits) >= threshold ? keep : T(0);
      if (i + 1 < n) out[i + 1] = static_cast<uint32_t>(bits >> 32) >= threshold ? keep : T(0);
    }
  });
}

}  // namespace

uint64_t next_dropout_seed() { return mix64(draw_seed()); }

torch::Tensor dropout_mask(const torch::Tensor& like, double p) {
  return dropout_mask_from_seed(like, p, next_dropout_seed());
}

torch::Tensor dropout_mask_from_seed(const torch::Tensor& like, double p, uint64_t seed) {
  auto mask = torch::empty(like.sizes(), like.options().requires_grad(false));
  const int64_t n = mask.numel();
  const auto threshold = static_cast<uint32_t>(std::min(4294967295.0, std::round(p * 4294967296.0)));
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

}  // namespace loralab::lora
