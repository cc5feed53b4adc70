// LoRA linear layer; see lora_linear.h.
#include "lora/lora_linear.h"

#include <ATen/autocast_mode.h>

#include <algorithm>
#include <cmath>

#include "lora/dropout_mask.h"
#include "loralab/error.h"

namespace loralab::lora {
namespace {

// Training a LoRA adapter on a frozen layer, as one autograd node:
//   y = x W^T (+ bias) + s · (dropout(x) A^T) B^T
// The composed operations would keep, per adapted module, the dropout mask and the dropped input
// (two activations the size of x) for backward, and make five nodes. This node keeps x (which the
// sibling projections reading the same x share), the r-wide A x and the mask's seed: the mask is
// made again in backward from its seed. The frozen weight gets no gradient.
struct FrozenLoraLinear : torch::autograd::Function<FrozenLoraLinear> {
  // x (rows, in); weight (out, in) frozen; bias (out) frozen, if any (an undefined tensor cannot
  // pass through apply); a (r, in); b (out, r).
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                               const torch::Tensor& weight,
                               const c10::optional<torch::Tensor>& bias, const torch::Tensor& a,
                               const torch::Tensor& b, double p, double scale) {
    auto y = bias ? torch::addmm(*bias, x, weight.t()) : torch::mm(x, weight.t());
    const int64_t seed = p > 0 ? static_cast<int64_t>(next_dropout_seed()) : 0;
    // The r-wide products run as (r, rows) results: OpenBLAS splits a product with r = 16
    // columns badly over threads, one with 16 rows well (half the time at R1, 2 threads).
    auto down_t = torch::mm(a, (p > 0 ? x * dropout_mask_from_seed(x, p, uint64_t(seed)) : x).t());
    y.addmm_(down_t.t(), b.t(), 1.0, scale);
    ctx->save_for_backward({x, weight, a, b, down_t});
    ctx->saved_data["p"] = p;
    ctx->saved_data["scale"] = scale;
    ctx->saved_data["seed"] = seed;
    return y;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto &x = saved[0], &weight = saved[1], &a = saved[2], &b = saved[3], &down_t = saved[4];
    const double p = ctx->saved_data["p"].toDouble();
    const double scale = ctx->saved_data["scale"].toDouble();
    const auto seed = static_cast<uint64_t>(ctx->saved_data["seed"].toInt());
    const auto& grad = grads[0];  // (rows, out)
    torch::Tensor mask;
    if (p > 0) mask = dropout_mask_from_seed(x, p, seed);
    auto grad_down_t = torch::mm(b.t(), grad.t()).mul_(scale);  // (r, rows)
    torch::Tensor grad_x, grad_a, grad_b;
    if (ctx->needs_input_grad(0)) {
      grad_x = torch::mm(grad, weight);
      if (p > 0)
        grad_x.addcmul_(torch::mm(grad_down_t.t(), a), mask);
      else
        grad_x.addmm_(grad_down_t.t(), a);
    }
    // needs_input_grad counts tensor arguments only: x 0, weight 1, a 2, b 3.
    if (ctx->needs_input_grad(2)) grad_a = torch::mm(grad_down_t, p > 0 ? x * mask : x);
    if (ctx->needs_input_grad(3))
      grad_b = torch::mm(down_t, grad).mul_(scale).t().contiguous();  // (out, r)
    return {grad_x, torch::Tensor(), torch::Tensor(), grad_a,
            grad_b, torch::Tensor(), torch::Tensor()};  // per forward argument
  }
};

}  // namespace

double Adapter::scaling() const {
  double r = static_cast<double>(rank());
  return rslora ? alpha / std::sqrt(r) : alpha / r;
}

LoraLinearImpl::LoraLinearImpl(torch::Tensor w, torch::Tensor b) {
  weight = register_parameter("weight", std::move(w), /*requires_grad=*/false);
  if (b.defined()) bias = register_parameter("bias", std::move(b), /*requires_grad=*/false);
}

bool LoraLinearImpl::plain() const {
  return merged() || std::none_of(adapters_.begin(), adapters_.end(),
                                  [](const Adapter& a) { return a.live(); });
}

const Adapter* LoraLinearImpl::single_trainable_adapter(const torch::Tensor& x) const {
  // The fused node covers the common case: one live adapter on a frozen layer, one dtype
  // throughout, no autocast (bf16 runs keep the composed operations, which autocast casts).
  if (merged() || !torch::GradMode::is_enabled() || weight.requires_grad() ||
      (bias.defined() && bias.requires_grad()) || at::autocast::is_cpu_enabled())
    return nullptr;
  const Adapter* live = nullptr;
  for (const auto& adapter : adapters_) {
    if (!adapter.live()) continue;
    if (live) return nullptr;
    live = &adapter;
  }
  if (!live || !(live->a.requires_grad() || live->b.requires_grad())) return nullptr;
  const auto dtype = x.scalar_type();
  if (weight.scalar_type() != dtype || live->a.scalar_type() != dtype ||
      live->b.scalar_type() != dtype)
    return nullptr;
  return live;
}

torch::Tensor LoraLinearImpl::forward(const torch::Tensor& x) {
  if (const Adapter* only = single_trainable_adapter(x)) {
    const c10::optional<torch::Tensor> frozen_bias =
        bias.defined() ? c10::optional<torch::Tensor>(bias) : c10::nullopt;
    auto rows = FrozenLoraLinear::apply(x.reshape({-1, in_features()}), weight, frozen_bias,
                                        only->a, only->b, is_training() ? only->dropout : 0.0,
                                        only->weight * only->scaling());
    auto shape = x.sizes().vec();
    shape.back() = out_features();
    return rows.view(shape);
  }
  auto y = torch::nn::functional::linear(x, weight, bias);
  if (merged()) return y;
  if (!torch::GradMode::is_enabled() && !is_training()) return add_adapters_inplace(x, y);
  for (auto& adapter : adapters_) {
    if (!adapter.live()) continue;
    auto input = x;
    if (adapter.dropout > 0.0 && is_training())
      input = input * dropout_mask(input, adapter.dropout);
    auto a = adapter.a.scalar_type() == x.scalar_type() ? adapter.a : adapter.a.to(x.scalar_type());
    auto b = adapter.b.scalar_type() == x.scalar_type() ? adapter.b : adapter.b.to(x.scalar_type());
    // addmm folds the scale and the sum into the GEMM (forward and backward).
    auto down = torch::matmul(input, a.t()).reshape({-1, a.size(0)});  // (rows, r)
    y = torch::addmm(y.reshape({-1, out_features()}), down, b.t(), 1.0,
                     adapter.weight * adapter.scaling())
            .view(y.sizes());
  }
  return y;
}

// Inference only: accumulates every live adapter into `y` in place (addmv/addmm), which saves the
// temporaries and the separate scale and add of the autograd path. Decoding feeds one row at a
// time, where matrix-vector kernels beat a 1-row matmul.
torch::Tensor LoraLinearImpl::add_adapters_inplace(const torch::Tensor& x, torch::Tensor& y) {
  if (!y.is_contiguous()) y = y.contiguous();
  // Under CPU autocast `y` is bf16 while x and the adapters may be float32: the in-place kernels
  // need one dtype, so everything follows y's.
  const auto dtype = y.scalar_type();
  auto rows = x.reshape({-1, in_features()}).to(dtype);
  auto out = y.view({-1, out_features()});
  const bool one_row = rows.size(0) == 1;
  for (auto& adapter : adapters_) {
    if (!adapter.live()) continue;
    auto a = adapter.a.scalar_type() == dtype ? adapter.a : adapter.a.to(dtype);
    auto b = adapter.b.scalar_type() == dtype ? adapter.b : adapter.b.to(dtype);
    const double scale = adapter.weight * adapter.scaling();
    if (one_row) {
      auto row = out.select(0, 0);
      row.addmv_(b, torch::mv(a, rows.select(0, 0)), 1.0, scale);
    } else {
      out.addmm_(torch::mm(rows, a.t()), b.t(), 1.0, scale);
    }
  }
  return y;
}

Adapter& LoraLinearImpl::add_adapter(Adapter adapter) {
  if (find_adapter(adapter.name)) throw Error("adapter '" + adapter.name + "' is already loaded");
  if (adapter.a.dim() != 2 || adapter.b.dim() != 2 || adapter.a.size(1) != in_features() ||
      adapter.b.size(0) != out_features() || adapter.b.size(1) != adapter.a.size(0))
    throw Error("adapter '" + adapter.name + "': lora_A " + c10::str(adapter.a.sizes()) +
                " and lora_B " + c10::str(adapter.b.sizes()) + " do not fit a layer with in " +
                std::to_string(in_features()) + " and out " + std::to_string(out_features()));
  if (adapter.a.size(0) <= 0) throw Error("adapter '" + adapter.name + "': rank must be > 0");
  adapters_.push_back(std::move(adapter));
  return adapters_.back();
}

void LoraLinearImpl::remove_adapter(const std::string& name) {
  if (merged()) throw Error("cannot remove adapter '" + name + "' while adapters are merged");
  std::erase_if(adapters_, [&](const Adapter& a) { return a.name == name; });
}

Adapter* LoraLinearImpl::find_adapter(const std::string& name) {
  for (auto& adapter : adapters_)
    if (adapter.name == name) return &adapter;
  return nullptr;
}

torch::Tensor LoraLinearImpl::delta_weight() const {
  torch::NoGradGuard no_grad;
  auto delta = torch::zeros({out_features(), in_features()}, torch::kFloat32);
  for (const auto& adapter : adapters_) {
    if (!adapter.live()) continue;
    delta.add_(torch::matmul(adapter.b.to(torch::kFloat32), adapter.a.to(torch::kFloat32)),
               adapter.weight * adapter.scaling());
  }
  return delta;
}

void LoraLinearImpl::merge() {
  if (merged()) throw Error("adapters are already merged; unmerge first");
  torch::NoGradGuard no_grad;
  original_weight_ = weight.detach().clone();
  auto merged_weight = weight.detach().to(torch::kFloat32) + delta_weight();
  weight.copy_(merged_weight.to(weight.scalar_type()));
}

void LoraLinearImpl::unmerge() {
  if (!merged()) return;
  torch::NoGradGuard no_grad;
  weight.copy_(original_weight_);
  original_weight_ = torch::Tensor();
}

}  // namespace loralab::lora
