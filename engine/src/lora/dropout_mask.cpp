// Counter-based dropout masks: splitmix64 over (seed, element index), computed in parallel.
#include "lora/dropout_mask.h"

#include "lora/dropout_check.h"

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

// f(i, keep_i) for every element: keep_i is true when element i survives; the pairs and bits are
// those of fill_mask, so the same seed drops the same elements.
template <typename F>
void for_each_kept(int64_t n, uint64_t seed, uint32_t threshold, F f) {
  constexpr int64_t kGrain = 1 << 15;
  at::parallel_for(0, (n + 1) / 2, kGrain, [&](int64_t begin, int64_t end) {
    for (int64_t pair = begin; pair < end; ++pair) {
      const uint64_t bits = mix64(seed + static_cast<uint64_t>(pair));
      const int64_t i = 2 * pair;
      f(i, static_cast<uint32_t>(bits) >= threshold);
      if (i + 1 < n) f(i + 1, static_cast<uint32_t>(bits >> 32) >= threshold);
    }
  });
}

uint32_t threshold_for(double p) {
  return static_cast<uint32_t>(std::min(4294967295.0, std::round(p * 4294967296.0)));
}

bool fusable(const torch::Tensor& t) {
  return t.is_contiguous() && (t.scalar_type() == torch::kFloat32 || t.scalar_type() == torch::kFloat64);
}

}  // namespace

uint64_t next_dropout_seed() { return mix64(draw_seed()); }

torch::Tensor dropout_mask(const torch::Tensor& like, double p) {
  return dropout_mask_from_seed(like, p, next_dropout_seed());
}

torch::Tensor dropout_mask_from_seed(const torch::Tensor& like, double p, uint64_t seed) {
  auto mask = torch::empty(like.sizes(), like.options().requires_grad(false));
  const int64_t n = mask.numel();
  const auto threshold = threshold_for(p);
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

torch::Tensor dropout_apply(const torch::Tensor& x, double p, uint64_t seed) {
  if (!fusable(x)) return x * dropout_mask_from_seed(x, p, seed);
  auto out = torch::empty_like(x, x.options().requires_grad(false));
  const double keep = 1.0 / (1.0 - p);
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "dropout_apply", [&] {
    const auto* in = x.data_ptr<scalar_t>();
    auto* o = out.data_ptr<scalar_t>();
    const auto k = static_cast<scalar_t>(keep);
    for_each_kept(x.numel(), seed, threshold_for(p),
                  [&](int64_t i, bool kept) { o[i] = kept ? in[i] * k : scalar_t(0); });
  });
  return out;
}

void dropout_accumulate(torch::Tensor& acc, const torch::Tensor& t, double p, uint64_t seed) {
  if (!fusable(acc) || !fusable(t) || acc.scalar_type() != t.scalar_type() ||
      acc.sizes() != t.sizes()) {
    acc.addcmul_(t, dropout_mask_from_seed(t, p, seed));
    return;
  }
  const double keep = 1.0 / (1.0 - p);
  AT_DISPATCH_FLOATING_TYPES(t.scalar_type(), "dropout_accumulate", [&] {
    auto* a = acc.data_ptr<scalar_t>();
    const auto* in = t.data_ptr<scalar_t>();
    const auto k = static_cast<scalar_t>(keep);
    for_each_kept(t.numel(), seed, threshold_for(p), [&](int64_t i, bool kept) {
      if (kept) a[i] += in[i] * k;
    });
  });
}

}  // namespace loralab::lora

namespace loralab::lora {

DropoutCheck check_dropout_fusion(double p, uint64_t seed) {
  DropoutCheck out;
  auto worst = [](const torch::Tensor& a, const torch::Tensor& b) {
    return (a - b).abs().max().item<double>();
  };
  torch::manual_seed(static_cast<int64_t>(seed));
  for (auto dtype : {torch::kFloat32, torch::kFloat64}) {
    // An odd element count, so that the last pair is half used.
    auto x = torch::randn({301, 67}, dtype);
    auto t = torch::randn({301, 67}, dtype);
    auto acc = torch::randn({301, 67}, dtype);
    const auto mask = dropout_mask_from_seed(x, p, seed);
    out.apply_max_abs = std::max(out.apply_max_abs, worst(dropout_apply(x, p, seed), x * mask));
    auto fused = acc.clone();
    dropout_accumulate(fused, t, p, seed);
    out.accumulate_max_abs = std::max(out.accumulate_max_abs, worst(fused, acc + t * mask));
    auto strided = x.t();  // not contiguous
    out.fallback_max_abs =
        std::max(out.fallback_max_abs,
                 worst(dropout_apply(strided, p, seed), strided * dropout_mask_from_seed(strided, p, seed)));
    out.kept_share = mask.ne(0).to(torch::kFloat64).mean().item<double>();
  }
  return out;
}

}  // namespace loralab::lora
