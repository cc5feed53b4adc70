// LoRA kernel self-check; see lora_check.h.
#include "lora/lora_check.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "lora/dropout_mask.h"
#include "lora/lora_linear.h"
#include "model/row_gemm.h"

namespace loralab::lora {
namespace {

void compare(LoraKernelCheck& check, const torch::Tensor& got, const torch::Tensor& want) {
  check.max_abs = std::max(check.max_abs, (got.to(torch::kFloat64) - want).abs().max().item<double>());
  check.scale = std::max(check.scale, want.abs().max().item<double>());
}

// out = beta · out + alpha · a · b through row_gemm in float32, against float64 addmm. `slice`
// makes out a column slice of a wider matrix; `b_transposed` / `a_transposed` pass b / a as
// transposed views.
LoraKernelCheck gemm_case(const std::string& what, int64_t m, int64_t k, int64_t n, double alpha,
                          double beta, bool slice, bool b_transposed, bool a_transposed = false) {
  const auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
  auto a = a_transposed ? torch::randn({k, m}, f64).t() : torch::randn({m, k}, f64);
  auto b = b_transposed ? torch::randn({n, k}, f64).t() : torch::randn({k, n}, f64);
  auto wide = torch::randn({m, n + (slice ? 7 : 0)}, f64);
  if (beta == 0) wide.fill_(std::numeric_limits<double>::quiet_NaN());  // must be ignored
  auto want = wide.clone();
  want.narrow(1, slice ? 3 : 0, n).copy_(torch::addmm(beta == 0 ? torch::zeros({m, n}, f64)
                                                                  : wide.narrow(1, slice ? 3 : 0, n),
                                                      a, b, beta, alpha));
  auto wide32 = wide.to(torch::kFloat32);
  auto out32 = wide32.narrow(1, slice ? 3 : 0, n);
  const auto a32 = a_transposed ? a.t().to(torch::kFloat32).t() : a.to(torch::kFloat32);
  const auto b32 = b_transposed ? b.t().to(torch::kFloat32).t() : b.to(torch::kFloat32);
  LoraKernelCheck check;
  check.what = what;
  check.kernel = model::row_gemm_uses_kernel(out32, a32, b32);
  model::row_gemm(out32, a32, b32, alpha, beta);
  if (slice) {  // the columns beside the slice are untouched
    compare(check, wide32.narrow(1, 0, 3), want.narrow(1, 0, 3));
    compare(check, wide32.narrow(1, n + 3, 4), want.narrow(1, n + 3, 4));
  }
  compare(check, out32, want.narrow(1, slice ? 3 : 0, n));
  return check;
}

// Three layers reading one input (as q/k/v) with adapters of ranks 3, 5 and 2 and dropout 0.2,
// through forward_shared_input in float32 and in float64 (the same masks: one seed): outputs and
// the gradients of x, every A and every B for one random upstream gradient.
LoraKernelCheck node_case(uint64_t seed) {
  const auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
  const int64_t rows = 29, in = 24;
  const std::vector<int64_t> outs{20, 12, 12}, ranks{3, 5, 2};
  std::vector<torch::Tensor> weights, as, bs, upstream;
  for (size_t i = 0; i < outs.size(); ++i) {
    weights.push_back(torch::randn({outs[i], in}, f64) * 0.2);
    as.push_back(torch::randn({ranks[i], in}, f64) * 0.3);
    bs.push_back(torch::randn({outs[i], ranks[i]}, f64) * 0.3);
    upstream.push_back(torch::randn({2, rows, outs[i]}, f64));
  }
  auto x = torch::randn({2, rows, in}, f64);
  struct Run {
    std::vector<torch::Tensor> values;  // outputs, then the gradients
  };
  auto run = [&](torch::ScalarType dtype) {
    std::vector<LoraLinear> layers;
    std::vector<LoraLinearImpl*> raw;
    for (size_t i = 0; i < outs.size(); ++i) {
      layers.emplace_back(weights[i].to(dtype), torch::Tensor());
      Adapter adapter;
      adapter.name = "check";
      adapter.a = as[i].to(dtype);
      adapter.b = bs[i].to(dtype);
      adapter.alpha = 2.0 + double(i);
      adapter.dropout = 0.2;
      auto& added = layers.back()->add_adapter(adapter);
      added.a = added.a.detach().clone().set_requires_grad(true);
      added.b = added.b.detach().clone().set_requires_grad(true);
      layers.back()->train();
      raw.push_back(layers.back().get());
    }
    auto input = x.to(dtype).detach().clone().set_requires_grad(true);
    torch::manual_seed(seed);
    auto outputs = forward_shared_input(input, raw);
    std::vector<torch::Tensor> ups;
    for (size_t i = 0; i < outs.size(); ++i) ups.push_back(upstream[i].to(dtype));
    torch::autograd::backward(outputs, ups);
    Run result;
    for (auto& y : outputs) result.values.push_back(y.detach());
    result.values.push_back(input.grad());
    for (auto* layer : raw) {
      result.values.push_back(layer->adapters()[0].a.grad());
      result.values.push_back(layer->adapters()[0].b.grad());
    }
    return result;
  };
  const auto want = run(torch::kFloat64), got = run(torch::kFloat32);
  LoraKernelCheck check;
  check.what = "node: q/k/v-like layers, ranks 3/5/2, dropout 0.2";
  check.kernel = model::row_gemm_uses_kernel(torch::empty({rows, 10}), torch::empty({rows, in}),
                                       torch::empty({in, 10}));
  for (size_t i = 0; i < want.values.size(); ++i) compare(check, got.values[i], want.values[i]);
  return check;
}

// A trainable linear layer with bias (full fine-tuning) on 3 × 40 rows: float32 takes the
// row_gemm node (LoraLinearImpl::linear), float64 LibTorch's linear. Output and the gradients of
// x, the weight and the bias for one random upstream gradient.
LoraKernelCheck linear_case() {
  const auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
  const int64_t in = 37, out = 70;
  auto weight = torch::randn({out, in}, f64) * 0.3, bias = torch::randn({out}, f64);
  auto x = torch::randn({3, 40, in}, f64), upstream = torch::randn({3, 40, out}, f64);
  const bool kernel = model::row_gemm_uses_kernel(torch::empty({120, out}), torch::empty({120, in}),
                                                  torch::empty({in, out}));
  auto run = [&](torch::ScalarType dtype) {
    LoraLinear layer(weight.to(dtype).detach().clone(), bias.to(dtype).detach().clone());
    layer->weight.set_requires_grad(true);
    layer->bias.set_requires_grad(true);
    auto input = x.to(dtype).detach().clone().set_requires_grad(true);
    auto y = layer->forward(input);
    // float32 with the kernel must have gone through the RowLinear node (behind y's view).
    if (dtype == torch::kFloat32 && kernel) {
      const auto& node = y.grad_fn()->next_edge(0).function;
      if (!node || node->name().find("RowLinear") == std::string::npos)
        throw std::runtime_error("linear check: float32 did not take the RowLinear node");
    }
    y.backward(upstream.to(dtype));
    return std::vector<torch::Tensor>{y.detach(), input.grad(), layer->weight.grad(), layer->bias.grad()};
  };
  const auto want = run(torch::kFloat64), got = run(torch::kFloat32);
  LoraKernelCheck check;
  check.what = "trainable linear with bias: y, grad x, grad W, grad b";
  check.kernel = kernel;
  for (size_t i = 0; i < want.size(); ++i) {
    if (!got[i].defined() || !want[i].defined())
      throw std::runtime_error("linear check: value " + std::to_string(i) + " is missing");
    compare(check, got[i], want[i]);
  }
  return check;
}

// The dropout mask kept as bits against the mask hashed again from its seed, float32 and
// float64, over 2^17 + 37 elements (several tasks and a tail that is not a whole word): x ⊙ mask
// (new and in place) and target += values ⊙ mask must agree exactly.
LoraKernelCheck mask_bits_case(uint64_t seed) {
  LoraKernelCheck check;
  check.what = "dropout mask bits against the seed's mask (exact)";
#if defined(__x86_64__)
  check.kernel = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
#endif
  const int64_t n = (int64_t(1) << 17) + 37;
  const double p = 0.3;
  for (auto dtype : {torch::kFloat32, torch::kFloat64}) {
    auto x = torch::randn({n}, torch::TensorOptions().dtype(dtype));
    auto values = torch::randn({n}, x.options()), target = torch::randn({n}, x.options());
    const auto kept = dropped_keeping_bits(x, p, seed);
    const auto want = dropped_from_seed(x, p, seed);
    compare(check, kept.dropped, want.to(torch::kFloat64));
    compare(check, dropped_with_bits(x, p, kept.bits), want.to(torch::kFloat64));
    auto in_place = x.clone();
    drop_with_bits_(in_place, p, kept.bits);
    compare(check, in_place, want.to(torch::kFloat64));
    auto sum_bits = target.clone(), sum_seed = target.clone();
    add_masked_with_bits(sum_bits, values, p, kept.bits);
    add_masked_from_seed(sum_seed, values, p, seed);
    compare(check, sum_bits, sum_seed.to(torch::kFloat64));
    // About p of the elements dropped: a mask of all zeros or all ones would agree trivially.
    const double dropped = (want == 0).to(torch::kFloat64).mean().item<double>();
    if (std::abs(dropped - p) > 0.01) check.max_abs = std::max(check.max_abs, 1e9);
  }
  return check;
}

}  // namespace

std::vector<LoraKernelCheck> check_lora_kernels(uint64_t seed) {
  torch::manual_seed(seed);
  std::vector<LoraKernelCheck> checks;
  // x Aᵀ: A passed transposed, 45 inputs, 19 columns (a one-vector tail), 37 rows (a row tail).
  checks.push_back(gemm_case("down = x A^T", 37, 45, 19, 1.0, 0.0, false, true));
  // s · down_i B_iᵀ added into a layer's output: k = 5, 70 columns (64 + a tail of 6), scaled.
  checks.push_back(gemm_case("y += s down B^T", 41, 5, 70, 0.7, 1.0, false, true));
  // g B into a column slice of the stacked gradient, beta 0 over NaN.
  checks.push_back(gemm_case("grad_down slice = s g B", 23, 150, 33, 1.3, 0.0, true, false));
  // The rank update into the input gradient, 13 rows (two tiles and a row tail of 1).
  checks.push_back(gemm_case("grad_x += grad_down A", 13, 48, 131, 1.0, 1.0, false, false));
  // grad_a = grad_downᵀ x: a read through its transposed view, few rows (tasks split columns),
  // k = 600 (two blocks of depth).
  checks.push_back(gemm_case("grad_a = grad_down^T x", 21, 600, 70, 0.9, 0.0, false, false, true));
  // A linear layer's x Wᵀ: many rows (tasks take whole tiles), 300 columns (two panels), k = 530.
  checks.push_back(gemm_case("y = x W^T", 70, 530, 300, 1.0, 0.0, false, true));
  checks.push_back(node_case(seed));
  checks.push_back(linear_case());
  checks.push_back(mask_bits_case(seed));
  return checks;
}

}  // namespace loralab::lora
