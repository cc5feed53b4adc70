// LoRA linear layer; see lora_linear.h.
#include "lora/lora_linear.h"

#include <ATen/autocast_mode.h>

#include <algorithm>
#include <cmath>

#include "lora/dropout_mask.h"
#include "model/row_gemm.h"
#include "model/fused_kernels.h"
#include "loralab/error.h"

namespace loralab::lora {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Training LoRA adapters on n frozen layers that read the same input x, as one autograd node:
//   y_i = x W_iᵀ (+ b_i) + s_i · (dropout(x) A_iᵀ) B_iᵀ
// with one dropout mask of x for all of them (a dropout of the shared input, as if it sat before
// the layers; each A_i still sees dropped inputs with probability p). Per layer the composed
// operations would keep the mask and the dropped input (two activations the size of x) and make
// five nodes; apart, each layer would draw, apply and (in backward) remake its own mask and add
// its own input gradient. This node keeps x, the stacked A and the r-wide x Aᵀ, and the mask's
// seed: the mask is made again in backward, and the n input gradients go into one buffer.
// The frozen weights get no gradient.
struct FrozenLoraLinears : torch::autograd::Function<FrozenLoraLinears> {
  // x (rows, in); per layer: weight (out_i, in), bias (out_i) when `biases` is not empty, a
  // (r_i, in), b (out_i, r_i); scales s_i.
  static variable_list forward(AutogradContext* ctx, const torch::Tensor& x,
                               torch::TensorList weights, torch::TensorList biases,
                               torch::TensorList as, torch::TensorList bs, double p,
                               std::vector<double> scales, const c10::optional<torch::Tensor>& norm_input,
                               const c10::optional<torch::Tensor>& norm_weight, double norm_eps) {
    const size_t n = weights.size();
    const int64_t seed = p > 0 ? static_cast<int64_t>(next_dropout_seed()) : 0;
    auto a_all = n == 1 ? as[0] : torch::cat(as, 0);  // (R, in)
    // Every product goes through model::row_gemm (model/row_gemm.h): x W_iᵀ, the r-wide
    // down = dropout(x) Aᵀ, (rows, R), and each layer's s_i · down_i B_iᵀ added into its output.
    auto down = torch::empty({x.size(0), a_all.size(0)}, x.options());
    // The mask is kept as bits (n / 8 bytes) for backward's two uses where x allows; without them
    // backward hashes it again from the seed.
    torch::Tensor bits;
    if (p > 0 && x.is_contiguous() &&
        (x.scalar_type() == torch::kFloat32 || x.scalar_type() == torch::kFloat64)) {
      auto dropped = dropped_keeping_bits(x, p, uint64_t(seed));
      bits = dropped.bits;
      model::row_gemm(down, dropped.dropped, a_all.t(), 1.0, 0.0);
    } else {
      model::row_gemm(down, p > 0 ? dropped_from_seed(x, p, uint64_t(seed)) : x, a_all.t(), 1.0, 0.0);
    }
    ctx->saved_data["mask_bits"] = bits;
    variable_list outputs;
    // x itself, or the norm's input to make x again from.
    const bool remake = norm_input.has_value() && norm_input->defined();
    variable_list saved{remake ? *norm_input : x, a_all, down};
    int64_t offset = 0;
    for (size_t i = 0; i < n; ++i) {
      auto y = biases.empty() ? model::row_mm(x, weights[i].t()) : torch::addmm(biases[i], x, weights[i].t());
      const int64_t r = bs[i].size(1);
      model::row_gemm(y, down.narrow(1, offset, r), bs[i].t(), scales[i], 1.0);
      offset += r;
      outputs.push_back(y);
      saved.push_back(weights[i]);
      saved.push_back(bs[i]);
    }
    if (remake) saved.push_back(*norm_weight);
    ctx->save_for_backward(saved);
    ctx->saved_data["norm_eps"] = remake ? norm_eps : -1.0;
    ctx->saved_data["p"] = p;
    ctx->saved_data["scales"] = scales;
    ctx->saved_data["seed"] = seed;
    ctx->saved_data["biases"] = static_cast<int64_t>(biases.size());
    return outputs;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto &a_all = saved[1], &down = saved[2];
    const double norm_eps = ctx->saved_data["norm_eps"].toDouble();
    const size_t n = (saved.size() - 3 - (norm_eps >= 0 ? 1 : 0)) / 2;
    const double p = ctx->saved_data["p"].toDouble();
    const auto scales = ctx->saved_data["scales"].toDoubleVector();
    const auto seed = static_cast<uint64_t>(ctx->saved_data["seed"].toInt());
    const auto bits = ctx->saved_data["mask_bits"].toTensor();
    const auto n_biases = static_cast<size_t>(ctx->saved_data["biases"].toInt());
    // needs_input_grad counts the flattened tensor arguments: x, weights, biases, as, bs.
    const size_t first_a = 1 + n + n_biases, first_b = first_a + n;
    bool any_a = false;
    for (size_t i = 0; i < n; ++i) any_a = any_a || ctx->needs_input_grad(first_a + i);

    // d(x Aᵀ) for every layer, stacked like down: (rows, R). An unused output has no gradient.
    auto grad_down = torch::empty(down.sizes(), down.options());
    variable_list result(first_b + n + 5);
    torch::Tensor grad_x;
    int64_t offset = 0;
    for (size_t i = 0; i < n; ++i) {
      const auto &weight = saved[3 + 2 * i], &b = saved[4 + 2 * i];
      const int64_t r = b.size(1);
      const auto& grad = grads[i];  // (rows, out_i)
      if (!grad.defined()) {
        grad_down.narrow(1, offset, r).zero_();
        offset += r;
        continue;
      }
      model::row_gemm(grad_down.narrow(1, offset, r), grad, b, scales[i], 0.0);
      if (ctx->needs_input_grad(0)) {
        if (grad_x.defined())
          model::row_gemm(grad_x, grad, weight, 1.0, 1.0);
        else
          grad_x = model::row_mm(grad, weight);
      }
      // (out, r), made as (r, out): r rows of a long product over the rows, read from down's
      // columns where they lie; a product of r columns would run one vector wide.
      if (ctx->needs_input_grad(first_b + i)) {
        auto grad_b = torch::empty({r, grad.size(1)}, grad.options());
        model::row_gemm(grad_b, down.narrow(1, offset, r).t(), grad, scales[i], 0.0);
        result[first_b + i] = grad_b.t().contiguous();
      }
      offset += r;
    }
    if (ctx->needs_input_grad(0) && grad_x.defined()) {
      if (p > 0) {
        auto lora = torch::empty(grad_x.sizes(), grad_x.options());
        model::row_gemm(lora, grad_down, a_all, 1.0, 0.0);  // (rows, in)
        if (bits.defined())
          add_masked_with_bits(grad_x, lora, p, bits);
        else
          add_masked_from_seed(grad_x, lora, p, seed);
      } else {
        model::row_gemm(grad_x, grad_down, a_all, 1.0, 1.0);
      }
    }
    result[0] = grad_x;
    if (any_a) {
      // The (dropped) input: made again from the norm's input when that is what forward kept,
      // and then dropped in place, so that backward holds one copy of it, not two.
      torch::Tensor x;
      if (norm_eps >= 0) {
        x = model::rms_norm_forward(saved[0], saved.back(), norm_eps).first.view({-1, a_all.size(1)});
        if (p > 0 && bits.defined())
          drop_with_bits_(x, p, bits);
        else if (p > 0)
          drop_from_seed_(x, p, seed);
      } else if (p > 0) {
        x = bits.defined() ? dropped_with_bits(saved[0], p, bits) : dropped_from_seed(saved[0], p, seed);
      } else {
        x = saved[0];
      }
      auto grad_a = model::row_mm(grad_down.t(), x);  // (R, in)
      offset = 0;
      for (size_t i = 0; i < n; ++i) {
        const int64_t r = saved[4 + 2 * i].size(1);
        if (ctx->needs_input_grad(first_a + i)) result[first_a + i] = grad_a.narrow(0, offset, r);
        offset += r;
      }
    }
    return result;  // per flattened forward argument; p, scales and the norm's inputs get none
  }
};

// A linear layer y = x Wᵀ (+ b) on rows, its forward and input gradient through row_gemm
// (model/row_gemm.h), the weight's gradient gᵀ x through LibTorch (a long product over the rows,
// where OpenBLAS is at its best). It keeps x only when the weight trains and W only when x needs
// a gradient, as LibTorch's own nodes do.
struct RowLinear : torch::autograd::Function<RowLinear> {
  // bias: empty or one (out) tensor.
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& weight,
                               torch::TensorList bias) {
    auto y = model::row_mm(x, weight.t());
    if (!bias.empty()) y.add_(bias[0]);
    ctx->saved_data["bias"] = !bias.empty();
    ctx->save_for_backward({weight.requires_grad() ? x : torch::Tensor(),
                            x.requires_grad() ? weight : torch::Tensor()});
    return y;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto grad = grads[0].contiguous();
    variable_list result(3);
    if (ctx->needs_input_grad(0)) result[0] = model::row_mm(grad, saved[1]);
    if (ctx->needs_input_grad(1)) result[1] = torch::mm(grad.t(), saved[0]);
    if (ctx->saved_data["bias"].toBool() && ctx->needs_input_grad(2)) result[2] = grad.sum(0);
    return result;
  }
};

// One layer's part in the fused node: its adapter, scale and dropout.
struct FusedPart {
  LoraLinearImpl* layer;
  const Adapter* adapter;
};

std::vector<torch::Tensor> run_fused(const torch::Tensor& x, const std::vector<FusedPart>& parts,
                                     double p, const NormedInput* normed = nullptr) {
  const int64_t in = parts.front().layer->in_features();
  std::vector<torch::Tensor> weights, biases, as, bs;
  std::vector<double> scales;
  for (const auto& part : parts) {
    weights.push_back(part.layer->weight);
    if (part.layer->bias.defined()) biases.push_back(part.layer->bias);
    as.push_back(part.adapter->a);
    bs.push_back(part.adapter->b);
    scales.push_back(part.adapter->weight * part.adapter->scaling());
  }
  auto rows = FrozenLoraLinears::apply(x.reshape({-1, in}).contiguous(), torch::TensorList(weights),
                                       torch::TensorList(biases), torch::TensorList(as),
                                       torch::TensorList(bs), p, scales,
                                       normed ? c10::optional<torch::Tensor>(normed->input.contiguous())
                                              : c10::nullopt,
                                       normed ? c10::optional<torch::Tensor>(normed->weight) : c10::nullopt,
                                       normed ? normed->eps : 0.0);
  std::vector<torch::Tensor> out;
  for (size_t i = 0; i < parts.size(); ++i) {
    auto shape = x.sizes().vec();
    shape.back() = parts[i].layer->out_features();
    out.push_back(rows[i].view(shape));
  }
  return out;
}

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

const Adapter* LoraLinearImpl::fused_adapter(const torch::Tensor& x) const {
  // The fused node covers the common case: one live adapter on a frozen layer, one dtype
  // throughout, no autocast (bf16 runs keep the composed operations, which autocast casts). It
  // serves every training-mode forward, with gradients or without (a gradient check's loss
  // evaluations must draw the same dropout masks as its backward pass), and forwards that need
  // gradients; inference keeps the in-place path.
  if (merged() || !(torch::GradMode::is_enabled() || is_training()) || weight.requires_grad() ||
      (bias.defined() && bias.requires_grad()) || at::autocast::is_cpu_enabled())
    return nullptr;
  const Adapter* live = nullptr;
  for (const auto& adapter : adapters_) {
    if (!adapter.live()) continue;
    if (live) return nullptr;
    live = &adapter;
  }
  if (!live) return nullptr;
  const auto dtype = x.scalar_type();
  if (weight.scalar_type() != dtype || live->a.scalar_type() != dtype ||
      live->b.scalar_type() != dtype)
    return nullptr;
  return live;
}

torch::Tensor LoraLinearImpl::linear(const torch::Tensor& x) const {
  // Through RowLinear where a gradient is wanted of float32 rows enough to fill the kernel's
  // tiles; inference (decoding feeds one row) and autocast keep LibTorch's linear.
  const bool wanted = torch::GradMode::is_enabled() &&
                      (x.requires_grad() || weight.requires_grad() ||
                       (bias.defined() && bias.requires_grad()));
  if (!wanted || at::autocast::is_cpu_enabled() || x.dim() < 2 || x.numel() < 64 * in_features() ||
      x.scalar_type() != weight.scalar_type() ||
      (bias.defined() && bias.scalar_type() != weight.scalar_type()))
    return torch::nn::functional::linear(x, weight, bias);
  auto rows = x.reshape({-1, in_features()}).contiguous();
  if (!model::row_gemm_uses_kernel(rows, rows, weight)) return torch::nn::functional::linear(x, weight, bias);
  auto shape = x.sizes().vec();
  shape.back() = out_features();
  std::vector<torch::Tensor> biases;
  if (bias.defined()) biases.push_back(bias);
  return RowLinear::apply(rows, weight, torch::TensorList(biases)).view(shape);
}

torch::Tensor LoraLinearImpl::forward(const torch::Tensor& x) {
  if (const Adapter* only = fused_adapter(x))
    return run_fused(x, {{this, only}}, is_training() ? only->dropout : 0.0).front();
  auto y = linear(x);
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

std::vector<torch::Tensor> forward_shared_input(const torch::Tensor& x,
                                                const std::vector<LoraLinearImpl*>& layers,
                                                const NormedInput* normed) {
  std::vector<torch::Tensor> out(layers.size());
  // The layers whose adapter fits the fused node, with the first one's dropout and bias use.
  std::vector<FusedPart> parts;
  std::vector<size_t> slots;
  double p = 0;
  for (size_t i = 0; i < layers.size(); ++i) {
    const Adapter* adapter = layers[i]->fused_adapter(x);
    if (!adapter) continue;
    const double dropout = layers[i]->is_training() ? adapter->dropout : 0.0;
    if (!parts.empty() && (dropout != p || layers[i]->bias.defined() != parts[0].layer->bias.defined()))
      continue;
    if (parts.empty()) p = dropout;
    parts.push_back({layers[i], adapter});
    slots.push_back(i);
  }
  if (!parts.empty()) {
    auto fused = run_fused(x, parts, p, normed);
    for (size_t j = 0; j < slots.size(); ++j) out[slots[j]] = fused[j];
  }
  for (size_t i = 0; i < layers.size(); ++i)
    if (!out[i].defined()) out[i] = layers[i]->forward(x);
  return out;
}

}  // namespace loralab::lora
