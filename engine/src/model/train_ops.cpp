// Training-time autograd nodes; see train_ops.h.
#include "model/train_ops.h"

#include <cmath>
#include <functional>
#include <limits>

#include "model/attention_kernel.h"
#include "model/fused_kernels.h"
#include "model/row_gemm.h"
#include "model/simd_avx2.h"
#include "model/train_ops_check.h"

namespace loralab::model {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

namespace {

// The two halves of the last dimension exchanged.
torch::Tensor swap_halves(const torch::Tensor& x) {
  const int64_t half = x.size(-1) / 2;
  return torch::cat({x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
}

struct RotaryNode : torch::autograd::Function<RotaryNode> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x,
                               const torch::Tensor& cos, const torch::Tensor& signed_sin) {
    ctx->save_for_backward({cos, signed_sin});
    ctx->saved_data["dtype"] = static_cast<int64_t>(x.scalar_type());
    if (rotary_supports(x, cos, signed_sin)) return rotary(x, cos, signed_sin, false);
    return x * cos + swap_halves(x) * signed_sin;
  }
  // y = x·c + P(x)·s with P the half swap (its own inverse and transpose): dx = g·c + P(g·s).
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto& g = grads[0];
    if (rotary_supports(g, saved[0], saved[1]))
      return {rotary(g, saved[0], saved[1], true), torch::Tensor(), torch::Tensor()};
    auto grad_x = g * saved[0];
    grad_x += swap_halves(g * saved[1]);
    // Under bf16 autocast x is bf16 and the float32 tables promote y: the gradient goes back in
    // x's type.
    const auto dtype = static_cast<torch::ScalarType>(ctx->saved_data["dtype"].toInt());
    return {grad_x.to(dtype), torch::Tensor(), torch::Tensor()};
  }
};

struct SwigluNode : torch::autograd::Function<SwigluNode> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& gate,
                               const torch::Tensor& up) {
    ctx->save_for_backward({gate, up});
    if (fused_kernels_support({&gate, &up})) return swiglu_forward(gate, up);
    return torch::silu(gate) * up;
  }
  // With s = sigmoid(gate) and silu = gate·s: d up = g·silu, d gate = g·up·silu', where
  // silu' = s·(1 + gate·(1 − s)) = s − silu·s + silu. Two buffers the size of gate in all (the
  // composed form makes four), which lowers the peak of a LoRA step, whose MLP keeps no inputs.
  // When nothing but this node holds gate and up (the node's saved copy and the one unpacked
  // here), the gradients go into their buffers instead: the top layer's MLP backward is where a
  // LoRA step's memory peaks, and this takes two MLP-wide buffers off it. Their values are then
  // gone, so a second backward through the node (retain_graph) is refused.
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    if (ctx->saved_data.count("spent"))
      throw std::runtime_error("SwiGLU training node: backward ran twice, but the first one wrote its gradients over the saved gate and up (retain_graph is not supported)");
    const auto saved = ctx->get_saved_variables();
    const auto &gate = saved[0], &up = saved[1];
    const auto& grad = grads[0];
    if (fused_kernels_support({&gate, &up})) {
      const bool overwrite = gate.use_count() <= 2 && up.use_count() <= 2;
      if (overwrite) ctx->saved_data["spent"] = true;
      auto [grad_gate, grad_up] = swiglu_backward(grad, gate, up, ctx->needs_input_grad(0),
                                                  ctx->needs_input_grad(1), overwrite);
      return {grad_gate, grad_up};
    }
    auto derivative = torch::sigmoid(gate);
    auto silu = gate * derivative;
    torch::Tensor grad_gate, grad_up;
    if (ctx->needs_input_grad(0)) {
      derivative.addcmul_(derivative, silu, -1).add_(silu);
      grad_gate = derivative.mul_(grad).mul_(up);
    }
    if (ctx->needs_input_grad(1)) grad_up = silu.mul_(grad);
    return {grad_gate, grad_up};
  }
};

struct RmsNormNode : torch::autograd::Function<RmsNormNode> {
  // x (..., H), weight (H): keeps x and the per-row 1/rms; one pass each way (fused_kernels.h).
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x,
                               const torch::Tensor& weight, double eps) {
    auto rows = x.reshape({-1, x.size(-1)}).contiguous();
    auto [y, rstd] = rms_norm_forward(rows, weight, eps);
    ctx->save_for_backward({rows, weight, rstd});
    ctx->saved_data["shape"] = x.sizes().vec();
    return y.view(x.sizes());
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto shape = ctx->saved_data["shape"].toIntVector();
    auto [grad_x, grad_weight] =
        rms_norm_backward(grads[0].reshape({-1, saved[0].size(1)}), saved[0], saved[1], saved[2],
                          ctx->needs_input_grad(0), ctx->needs_input_grad(1));
    return {grad_x.defined() ? grad_x.view(shape) : grad_x, grad_weight, torch::Tensor()};
  }
};

struct CausalAttentionNode : torch::autograd::Function<CausalAttentionNode> {
  // The kernel (attention_kernel.h) does the work; the node keeps q, k and v, and backward makes
  // each block's probabilities again from them.
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& q, const torch::Tensor& k,
                               const torch::Tensor& v, int64_t query_block) {
    ctx->save_for_backward({q, k, v});
    ctx->saved_data["block"] = query_block;
    return attention_kernel_forward(q, k, v, query_block);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    auto g = attention_kernel_backward(saved[0], saved[1], saved[2], grads[0],
                                       ctx->saved_data["block"].toInt());
    return {g.q, g.k, g.v, torch::Tensor()};
  }
};

struct MaskedCrossEntropyNode : torch::autograd::Function<MaskedCrossEntropyNode> {
  // The loss ends the graph, so its upstream gradient is one scalar g: the input gradients are g
  // times what each chunk can compute while its logits are at hand, mask · (softmax − onehot)
  // through the head. Forward does that (the same products composed backward would do later)
  // and keeps the (N, H) and, when the head trains, (V, H) results instead of the logits.
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& hidden,
                               const torch::Tensor& weight, const torch::Tensor& targets,
                               const torch::Tensor& mask, int64_t chunk) {
    const int64_t rows = hidden.size(0);
    auto total = torch::zeros({}, hidden.options());
    torch::Tensor grad_hidden, grad_weight;
    if (hidden.requires_grad()) grad_hidden = torch::empty(hidden.sizes(), hidden.options());
    if (weight.requires_grad()) grad_weight = torch::zeros(weight.sizes(), weight.options());
    for (int64_t start = 0; start < rows; start += chunk) {
      const int64_t n = std::min(chunk, rows - start);
      auto h = hidden.narrow(0, start, n);
      auto logits = torch::mm(h, weight.t());  // (n, V)
      const bool gradient = grad_hidden.defined() || grad_weight.defined();
      // The loss and, in the logits' place, its gradient mask · (softmax − onehot).
      total.add_(cross_entropy_rows(logits, targets.narrow(0, start, n), mask.narrow(0, start, n),
                                    gradient));
      if (!gradient) continue;
      if (grad_hidden.defined()) {
        auto rows_out = grad_hidden.narrow(0, start, n);
        row_gemm(rows_out, logits, weight, 1.0, 0.0);  // a long product over the vocabulary
      }
      if (grad_weight.defined()) grad_weight.addmm_(logits.t(), h);
    }
    ctx->save_for_backward({grad_hidden, grad_weight});
    return total;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto& g = grads[0];
    return {saved[0].defined() ? saved[0] * g : torch::Tensor(),
            saved[1].defined() ? saved[1] * g : torch::Tensor(), torch::Tensor(), torch::Tensor(),
            torch::Tensor()};
  }
};

}  // namespace

torch::Tensor rotary_node(const torch::Tensor& x, const torch::Tensor& cos,
                          const torch::Tensor& signed_sin) {
  return RotaryNode::apply(x, cos, signed_sin);
}

torch::Tensor swiglu_node(const torch::Tensor& gate, const torch::Tensor& up) {
  return SwigluNode::apply(gate, up);
}

bool rms_norm_node_supports(const torch::Tensor& x, const torch::Tensor& weight) {
  return fused_kernels_support({&weight}) && x.scalar_type() == weight.scalar_type() &&
         x.device().is_cpu() && weight.dim() == 1 && x.size(-1) == weight.size(0);
}

torch::Tensor rms_norm_node(const torch::Tensor& x, const torch::Tensor& weight, double eps) {
  if (!rms_norm_node_supports(x, weight))
    throw std::invalid_argument("rms_norm_node: expected float32 or float64 x (..., H) and weight (H) of one dtype");
  return RmsNormNode::apply(x, weight, eps);
}

torch::Tensor causal_attention_node(const torch::Tensor& q, const torch::Tensor& k,
                                    const torch::Tensor& v, int64_t query_block) {
  if (!attention_kernel_supports(q, k, v))
    throw std::invalid_argument("causal_attention_node: expected float32 or float64 q (B, nh, T, hd) and k, v (B, nkv, T, hd) with unit stride along hd");
  return CausalAttentionNode::apply(q, k, v, query_block);
}

torch::Tensor masked_cross_entropy_sum_node(const torch::Tensor& hidden,
                                            const torch::Tensor& weight,
                                            const torch::Tensor& targets, const torch::Tensor& mask,
                                            int64_t chunk_rows) {
  return MaskedCrossEntropyNode::apply(hidden, weight, targets.to(torch::kInt64).contiguous(),
                                       mask.to(hidden.scalar_type()).contiguous(), chunk_rows);
}

}  // namespace loralab::model

// ---- self-check (train_ops_check.h) ----

namespace loralab::model {
namespace {

using Op = std::function<torch::Tensor(const std::vector<torch::Tensor>&)>;

// Output and input gradients of `op` on fresh leaf copies of `inputs` (strides kept), for the
// upstream gradient `upstream` (drawn here, like the output, when undefined).
std::pair<torch::Tensor, std::vector<torch::Tensor>> run(const Op& op,
                                                         const std::vector<torch::Tensor>& inputs,
                                                         torch::Tensor& upstream) {
  std::vector<torch::Tensor> leaves;
  for (const auto& t : inputs) leaves.push_back(t.detach().clone().set_requires_grad(true));
  torch::AutoGradMode grad_mode(true);
  auto out = op(leaves);
  if (!upstream.defined()) upstream = torch::randn_like(out);
  return {out.detach(), torch::autograd::grad({out}, leaves, {upstream})};
}

TrainOpCheck compare(const std::string& node, const Op& fused, const Op& composed,
                     const std::vector<torch::Tensor>& inputs) {
  torch::Tensor upstream;
  auto [want, want_grads] = run(composed, inputs, upstream);
  auto [got, got_grads] = run(fused, inputs, upstream);
  TrainOpCheck check;
  check.node = node;
  check.forward_max_abs = (got - want).abs().max().item<double>();
  for (size_t i = 0; i < inputs.size(); ++i) {
    check.grad_max_abs =
        std::max(check.grad_max_abs, (got_grads[i] - want_grads[i]).abs().max().item<double>());
    check.grad_scale = std::max(check.grad_scale, want_grads[i].abs().max().item<double>());
  }
  return check;
}

}  // namespace

std::vector<TrainOpCheck> check_training_ops(uint64_t seed) {
  torch::manual_seed(seed);
  const auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
  const int64_t batch = 2, kv_heads = 2, group = 3, heads = kv_heads * group, steps = 11, dim = 8;
  std::vector<TrainOpCheck> checks;

  // As in the model: q is a (B, T, nh, hd) projection seen as (B, nh, T, hd).
  auto q = torch::randn({batch, steps, heads, dim}, f64).transpose(1, 2);
  auto cos = torch::randn({steps, dim}, f64), sin = torch::randn({steps, dim}, f64);
  checks.push_back(compare(
      "rotary", [&](const auto& in) { return rotary_node(in[0], cos, sin); },
      [&](const auto& in) {
        const int64_t half = dim / 2;
        auto x = in[0];
        return x * cos + torch::cat({x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1) * sin;
      },
      {q}));

  // The float32 kernel against the same composed form in float64, on 45 positions of hd 16.
  auto q_wide = torch::randn({batch, 45, heads, 16}, f64).transpose(1, 2);
  auto cos_wide = torch::randn({45, 16}, f64), sin_wide = torch::randn({45, 16}, f64);
  checks.push_back(compare(
      "rotary float32",
      [&](const auto& in) {
        const auto f32 = torch::kFloat32;
        return rotary_node(in[0].to(f32), cos_wide.to(f32), sin_wide.to(f32)).to(torch::kFloat64);
      },
      [&](const auto& in) {
        auto x = in[0];
        return x * cos_wide + torch::cat({x.narrow(-1, 8, 8), x.narrow(-1, 0, 8)}, -1) * sin_wide;
      },
      {q_wide}));

  auto gate = torch::randn({batch, steps, 13}, f64) * 3, up = torch::randn({batch, steps, 13}, f64);
  checks.push_back(compare(
      "swiglu", [](const auto& in) { return swiglu_node(in[0], in[1]); },
      [](const auto& in) { return torch::silu(in[0]) * in[1]; }, {gate, up}));

  // Attention against one unblocked softmax over GQA-repeated keys and an explicit causal mask;
  // blocks of 4 rows give three blocks, the last one short.
  auto k = torch::randn({batch, steps, kv_heads, dim}, f64).transpose(1, 2);
  auto v = torch::randn({batch, steps, kv_heads, dim}, f64).transpose(1, 2);
  const Op reference_attention = [group](const auto& in) {
    const int64_t b = in[0].size(0), h = in[0].size(1), t = in[0].size(2), d = in[0].size(3);
    auto keys = in[1].repeat_interleave(group, 1), values = in[2].repeat_interleave(group, 1);
    auto scores = torch::matmul(in[0], keys.transpose(-1, -2));
    auto future = torch::ones({t, t}, torch::kBool).triu(1);
    auto probs = torch::softmax(scores.masked_fill(future, -INFINITY), -1);
    return torch::matmul(probs, values).transpose(1, 2).reshape({b, t, h * d});
  };
  checks.push_back(compare(
      "attention",
      [&](const auto& in) { return causal_attention_node(in[0], in[1], in[2], 4); },
      reference_attention, {q, k, v}));

  // The float32 kernel (its vectorised softmax and exp) against the same reference in float64,
  // on 45 steps in blocks of 32: rows of every length from 1 to 45 keys, so every vector tail.
  const int64_t long_steps = 45;
  auto q_long = torch::randn({batch, long_steps, heads, dim}, f64).transpose(1, 2);
  auto k_long = torch::randn({batch, long_steps, kv_heads, dim}, f64).transpose(1, 2) * 2;
  auto v_long = torch::randn({batch, long_steps, kv_heads, dim}, f64).transpose(1, 2);
  checks.push_back(compare(
      "attention float32",
      [&](const auto& in) {
        const auto f32 = torch::kFloat32;
        return causal_attention_node(in[0].to(f32), in[1].to(f32), in[2].to(f32), 32).to(torch::kFloat64);
      },
      reference_attention, {q_long, k_long, v_long}));

  // SwiGLU's float32 kernel (vectorised sigmoid) against float64, gates out to ±12.
  auto gate_long = torch::randn({batch, long_steps, 29}, f64) * 4;
  auto up_long = torch::randn({batch, long_steps, 29}, f64);
  checks.push_back(compare(
      "swiglu float32",
      [](const auto& in) {
        return swiglu_node(in[0].to(torch::kFloat32), in[1].to(torch::kFloat32)).to(torch::kFloat64);
      },
      [](const auto& in) { return torch::silu(in[0]) * in[1]; }, {gate_long, up_long}));

  // The same with gate and up made inside the op, so that only the node holds them and its
  // backward writes the gradients over them (what a training step does).
  checks.push_back(compare(
      "swiglu over its inputs", [](const auto& in) { return swiglu_node(in[0] * 1.0, in[1] * 1.0); },
      [](const auto& in) { return torch::silu(in[0]) * in[1]; }, {gate, up}));
  checks.push_back(compare(
      "swiglu over its inputs float32",
      [](const auto& in) {
        return swiglu_node(in[0].to(torch::kFloat32), in[1].to(torch::kFloat32)).to(torch::kFloat64);
      },
      [](const auto& in) { return torch::silu(in[0]) * in[1]; }, {gate_long, up_long}));

  // RMSNorm with a trainable weight (full fine-tuning), as transformers computes it; rows of 37
  // (a vector tail), in float64 and through the float32 kernel.
  const double eps = 1e-5;
  auto norm_reference = [eps](const auto& in) {
    return in[1] * (in[0] * torch::rsqrt(in[0].pow(2).mean(-1, true) + eps));
  };
  auto norm_x = torch::randn({batch, long_steps, 37}, f64) * 3;
  auto norm_w = torch::randn({37}, f64);
  checks.push_back(compare(
      "rms_norm", [eps](const auto& in) { return rms_norm_node(in[0], in[1], eps); }, norm_reference,
      {norm_x, norm_w}));
  checks.push_back(compare(
      "rms_norm float32",
      [eps](const auto& in) {
        return rms_norm_node(in[0].to(torch::kFloat32), in[1].to(torch::kFloat32), eps).to(torch::kFloat64);
      },
      norm_reference, {norm_x, norm_w}));

  // The loss over a 37-token vocabulary, rows in chunks of 3 (the last one short), some masked;
  // the head weight gets its gradient too (full fine-tuning, tied embeddings).
  const int64_t rows = 11, vocab = 37;
  auto targets = torch::randint(vocab, {rows}, torch::kInt64);
  auto mask = (torch::rand({rows}, f64) > 0.3).to(torch::kFloat64);
  checks.push_back(compare(
      "cross_entropy",
      [&](const auto& in) { return masked_cross_entropy_sum_node(in[0], in[1], targets, mask, 3); },
      [&](const auto& in) {
        auto logits = torch::mm(in[0], in[1].t());
        namespace F = torch::nn::functional;
        auto losses =
            F::cross_entropy(logits, targets, F::CrossEntropyFuncOptions().reduction(torch::kNone));
        return (losses * mask).sum();
      },
      {torch::randn({rows, dim}, f64), torch::randn({vocab, dim}, f64)}));
  // The float32 kernel (vectorised max and exp, rows of 45 logits: a vector tail) against the
  // same reference in float64, logits of a few units (the loss sum stays near 30, so float32
  // rounding of it stays well inside 2e-5).
  const int64_t wide_vocab = 45;
  auto wide_targets = torch::randint(wide_vocab, {rows}, torch::kInt64);
  checks.push_back(compare(
      "cross_entropy float32",
      [&](const auto& in) {
        const auto f32 = torch::kFloat32;
        return masked_cross_entropy_sum_node(in[0].to(f32), in[1].to(f32), wide_targets, mask, 4)
            .to(torch::kFloat64);
      },
      [&](const auto& in) {
        namespace F = torch::nn::functional;
        auto losses = F::cross_entropy(torch::mm(in[0], in[1].t()), wide_targets,
                                       F::CrossEntropyFuncOptions().reduction(torch::kNone));
        return (losses * mask).sum();
      },
      {torch::randn({rows, dim}, f64), torch::randn({wide_vocab, dim}, f64) * 1.5}));
  return checks;
}

namespace {
constexpr const char* kSimdNames[] = {"scalar", "avx2", "avx512"};
}  // namespace

std::vector<std::string> kernel_simd_levels() {
  std::vector<std::string> out;
  for (int level = 0; level <= static_cast<int>(simd_detected()); ++level) out.emplace_back(kSimdNames[level]);
  return out;
}

bool use_kernel_simd_level(const std::string& name) {
  for (int level = 0; level <= static_cast<int>(simd_detected()); ++level)
    if (name == kSimdNames[level]) {
      set_simd_level(static_cast<Simd>(level));
      return true;
    }
  return false;
}

}  // namespace loralab::model
