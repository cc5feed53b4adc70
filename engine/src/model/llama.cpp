// LLaMA-family decoder; see llama.h. Shapes: B batch, T new positions, S all positions (cache
// included), H hidden, nh/nkv query/key-value heads, hd head_dim, g = nh / nkv.
#include "model/llama.h"

#include <ATen/autocast_mode.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "loralab/error.h"
#include "model/attention_kernel.h"
#include "model/train_ops.h"
#include "util/generator_state.h"

namespace loralab::model {

namespace F = torch::nn::functional;

namespace {
bool use_training_op(const char* node);
}  // namespace

RMSNormImpl::RMSNormImpl(torch::Tensor w, double eps_value) : eps(eps_value) {
  weight = register_parameter("weight", std::move(w), /*requires_grad=*/false);
}

torch::Tensor RMSNormImpl::forward(const torch::Tensor& x) {
  // As transformers: normalise in float32, cast back, then scale by the weight.
  // (float64 models, used for gradient checks, stay in float64.)
  if (uses_kernel(x)) return rms_norm_node(x, weight, eps);
  auto x32 = x.scalar_type() == torch::kFloat64 ? x : x.to(torch::kFloat32);
  auto normed = x32 * torch::rsqrt(x32.pow(2).mean(-1, /*keepdim=*/true) + eps);
  return weight * normed.to(x.scalar_type());
}

bool RMSNormImpl::uses_kernel(const torch::Tensor& x) const {
  return use_training_op("norm") && rms_norm_node_supports(x, weight);
}

RotaryTable::RotaryTable(const ModelConfig& config) {
  const int64_t dim = config.head_dim;
  auto exponents = torch::arange(0, dim, 2, torch::kFloat64) / static_cast<double>(dim);
  auto inv_freq = 1.0 / torch::pow(config.rope_theta, exponents);
  const auto& scaling = config.rope_scaling;
  if (scaling.type == "llama3") {
    // Llama 3.1 frequency-dependent scaling: long wavelengths slowed by `factor`, short ones kept,
    // the band between blended smoothly.
    const double old_context = static_cast<double>(scaling.original_max_position_embeddings);
    const double low_wavelen = old_context / scaling.low_freq_factor;
    const double high_wavelen = old_context / scaling.high_freq_factor;
    auto wavelen = 2.0 * M_PI / inv_freq;
    auto scaled = torch::where(wavelen > low_wavelen, inv_freq / scaling.factor, inv_freq);
    auto smooth = (old_context / wavelen - scaling.low_freq_factor) /
                  (scaling.high_freq_factor - scaling.low_freq_factor);
    auto smoothed = (1.0 - smooth) * scaled / scaling.factor + smooth * scaled;
    auto medium = (wavelen >= high_wavelen).logical_and(wavelen <= low_wavelen);
    inv_freq = torch::where(medium, smoothed, scaled);
  }
  inv_freq_ = inv_freq.to(torch::kFloat32);
}

void RotaryTable::grow(int64_t positions) {
  int64_t have = cos_.defined() ? cos_.size(0) : 0;
  if (positions <= have) return;
  int64_t size = std::max<int64_t>(positions, std::max<int64_t>(2 * have, 256));
  auto freqs = torch::outer(torch::arange(size, torch::kFloat32), inv_freq_);  // (n, hd/2)
  auto emb = torch::cat({freqs, freqs}, -1);                                  // (n, hd)
  cos_ = emb.cos();
  // rotate_half(x) · sin == cat(x2, x1) · cat(-sin1, sin2): the sign lives in the table, which
  // saves a negation pass over q and k (and its backward) on every forward.
  auto sin = emb.sin();
  const int64_t half = sin.size(-1) / 2;
  sin_ = torch::cat({-sin.narrow(-1, 0, half), sin.narrow(-1, half, half)}, -1);
}

std::pair<torch::Tensor, torch::Tensor> RotaryTable::cos_sin(int64_t start, int64_t length,
                                                             torch::ScalarType dtype) {
  grow(start + length);
  return {cos_.narrow(0, start, length).to(dtype), sin_.narrow(0, start, length).to(dtype)};
}

std::pair<const float*, const float*> RotaryTable::rows(int64_t position) {
  grow(position + 1);
  const int64_t dim = cos_.size(1);
  return {cos_.data_ptr<float>() + position * dim, sin_.data_ptr<float>() + position * dim};
}

namespace {

// x (B, heads, T, hd); split-halves rotation as transformers' rotate_half, with the sign already
// in `signed_sin` (see RotaryTable::grow).
torch::Tensor apply_rotary(const torch::Tensor& x, const torch::Tensor& cos,
                           const torch::Tensor& signed_sin) {
  const int64_t half = x.size(-1) / 2;
  auto swapped = torch::cat({x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
  return x * cos + swapped * signed_sin;
}

// Appends (B, nkv, T, hd) to a layer's cache and returns all positions (B, nkv, S, hd).
torch::Tensor append_to_cache(torch::Tensor& store, const torch::Tensor& fresh, int64_t length) {
  const int64_t needed = length + fresh.size(2);
  if (!store.defined() || store.size(2) < needed) {
    int64_t capacity = std::max<int64_t>(needed, store.defined() ? 2 * store.size(2) : 64);
    auto grown = torch::empty({fresh.size(0), fresh.size(1), capacity, fresh.size(3)},
                              fresh.options());
    if (store.defined() && length > 0) grown.narrow(2, 0, length).copy_(store.narrow(2, 0, length));
    store = grown;
  }
  store.narrow(2, length, fresh.size(2)).copy_(fresh);
  return store.narrow(2, 0, needed);
}

// The training nodes of train_ops.h replace the composed operations whenever autograd records.
// For A/B measurements LORALAB_TRAIN_OPS=composed keeps all the composed ones, and a comma list
// of node names (rotary, swiglu, attention, loss, norm) keeps just those.
bool use_training_op(const char* node) {
  static const std::string composed = [] {
    const char* env = std::getenv("LORALAB_TRAIN_OPS");
    const std::string list = env ? env : "";
    // A misspelt name would silently measure the wrong thing: say so once.
    for (size_t at = 0; at <= list.size() && !list.empty();) {
      const size_t end = std::min(list.find(',', at), list.size());
      const std::string name = list.substr(at, end - at);
      if (name != "composed" && name != "rotary" && name != "swiglu" && name != "attention" &&
          name != "loss" && name != "norm")
        std::fprintf(stderr,
                     "LORALAB_TRAIN_OPS: unknown node \"%s\" ignored (expected composed, or a "
                     "comma list of rotary, swiglu, attention, loss, norm)\n",
                     name.c_str());
      at = end + 1;
    }
    return "," + list + ",";
  }();
  if (!torch::GradMode::is_enabled() || composed == ",composed,") return false;
  return composed.find("," + std::string(node) + ",") == std::string::npos;
}

// Query rows per block of causal attention. Blocks of 64 skip 3/8 of the score work at T = 256
// (block i only reads keys up to its own last position) while the matmuls stay large enough to
// run at full speed.
constexpr int64_t kQueryBlock = 64;
// The training kernel's blocks: its products have no per-call overhead, so smaller blocks that
// skip more of the masked half win (R1, per step, on BLAS: 32 rows 45 ms of attention backward, 16
// rows 54, 64 rows 56, 128 rows 67; on the row kernel, since: 32 rows 17.4 ms, 24 rows 17.0, 48
// rows 17.5 — within the noise, so 32 stays).
constexpr int64_t kKernelQueryBlock = 32;

// One block of causal scores: queries start..start+length of q (B, nh, T, hd) against keys
// 0..past+start+length of k (B, nkv, S, hd), GQA groups folded into rows: (B, nkv, group·length,
// keys), future positions set to −∞ in place.
torch::Tensor causal_block_scores(const torch::Tensor& q, const torch::Tensor& k, int64_t past,
                                  int64_t start, int64_t length, int64_t group) {
  const int64_t batch = q.size(0), head_dim = q.size(3), kv_heads = k.size(1);
  const int64_t keys = past + start + length;
  auto rows = q.narrow(2, start, length).reshape({batch, kv_heads, group * length, head_dim});
  auto scores = torch::matmul(rows, k.narrow(2, 0, keys).transpose(-1, -2));  // (B, nkv, g*L, keys)
  if (length > 1) {
    // Row r of the block sees keys up to past + start + r: only the last `length` columns can be
    // in its future.
    auto future = torch::ones({length, length}, torch::kBool).triu(1);
    scores.view({batch, kv_heads, group, length, keys})
        .narrow(-1, past + start, length)
        .masked_fill_(future, -std::numeric_limits<float>::infinity());
  }
  return scores;
}

// Softmax attention of q (B, nh, T, hd), already scaled by 1/sqrt(hd), over k, v (B, nkv, S, hd),
// where query t sits at absolute position past + t and sees keys 0..past + t. GQA without copying
// k/v: each group's query heads are folded into the row dimension. Queries run in blocks; only
// the diagonal block of each needs a mask, set in place on the scores.
torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor& k,
                               const torch::Tensor& v, int64_t past, int64_t group) {
  const int64_t batch = q.size(0), heads = q.size(1), steps = q.size(2), head_dim = q.size(3);
  const bool full_precision = q.scalar_type() == torch::kFloat32 || q.scalar_type() == torch::kFloat64;
  auto block_attention = [&](int64_t start, int64_t length) {
    const int64_t keys = past + start + length;
    auto scores = causal_block_scores(q, k, past, start, length, group);
    auto probs = full_precision ? torch::softmax(scores, -1)
                                : torch::softmax(scores, -1, torch::kFloat32).to(scores.scalar_type());
    return torch::matmul(probs, v.narrow(2, 0, keys)).view({batch, heads, length, head_dim});
  };
  if (steps <= kQueryBlock) return block_attention(0, steps);
  std::vector<torch::Tensor> blocks;
  for (int64_t start = 0; start < steps; start += kQueryBlock)
    blocks.push_back(block_attention(start, std::min(kQueryBlock, steps - start)));
  return torch::cat(blocks, 2);
}

}  // namespace

AttentionImpl::AttentionImpl(const ModelConfig& config, lora::LoraLinear q, lora::LoraLinear k,
                             lora::LoraLinear v, lora::LoraLinear o)
    : q_proj(register_module("q_proj", q)),
      k_proj(register_module("k_proj", k)),
      v_proj(register_module("v_proj", v)),
      o_proj(register_module("o_proj", o)),
      heads_(config.num_attention_heads),
      kv_heads_(config.num_key_value_heads),
      head_dim_(config.head_dim) {}

torch::Tensor AttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& cos,
                                     const torch::Tensor& sin, KVCache* cache, size_t layer_index,
                                     const lora::NormedInput* normed) {
  const int64_t batch = x.size(0), steps = x.size(1);
  const int64_t group = heads_ / kv_heads_;
  const auto qkv = lora::forward_shared_input(x, {q_proj.get(), k_proj.get(), v_proj.get()}, normed);
  auto q = qkv[0].view({batch, steps, heads_, head_dim_}).transpose(1, 2);
  auto k = qkv[1].view({batch, steps, kv_heads_, head_dim_}).transpose(1, 2);
  auto v = qkv[2].view({batch, steps, kv_heads_, head_dim_}).transpose(1, 2);
  // The 1/sqrt(hd) score scale rides on the (T, hd) tables instead of a pass over q.
  const double scale = 1.0 / std::sqrt(static_cast<double>(head_dim_));
  if (use_training_op("rotary")) {
    q = rotary_node(q, cos * scale, sin * scale);
    k = rotary_node(k, cos, sin);
  } else {
    q = apply_rotary(q, cos * scale, sin * scale);
    k = apply_rotary(k, cos, sin);
  }
  if (!cache && use_training_op("attention") && attention_kernel_supports(q, k, v) &&
      !at::autocast::is_cpu_enabled())
    return o_proj(causal_attention_node(q, k, v, kKernelQueryBlock));

  int64_t past = 0;
  if (cache) {
    past = cache->length;
    if (cache->keys.size() <= layer_index) {
      cache->keys.resize(layer_index + 1);
      cache->values.resize(layer_index + 1);
    }
    k = append_to_cache(cache->keys[layer_index], k, past);
    v = append_to_cache(cache->values[layer_index], v, past);
  }

  auto out = causal_attention(q, k, v, past, group);  // (B, nh, T, hd)
  out = out.transpose(1, 2).reshape({batch, steps, heads_ * head_dim_});
  return o_proj(out);
}

MlpImpl::MlpImpl(lora::LoraLinear gate, lora::LoraLinear up, lora::LoraLinear down)
    : gate_proj(register_module("gate_proj", gate)),
      up_proj(register_module("up_proj", up)),
      down_proj(register_module("down_proj", down)) {}

torch::Tensor MlpImpl::forward(const torch::Tensor& x) {
  const auto gate_up = lora::forward_shared_input(x, {gate_proj.get(), up_proj.get()});
  if (use_training_op("swiglu")) return down_proj(swiglu_node(gate_up[0], gate_up[1]));
  return down_proj(F::silu(gate_up[0]) * gate_up[1]);
}

DecoderLayerImpl::DecoderLayerImpl(RMSNorm input_norm, Attention attention, RMSNorm post_norm,
                                   Mlp mlp_module)
    : input_layernorm(register_module("input_layernorm", input_norm)),
      post_attention_layernorm(register_module("post_attention_layernorm", post_norm)),
      self_attn(register_module("self_attn", attention)),
      mlp(register_module("mlp", mlp_module)) {}

torch::Tensor DecoderLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& cos,
                                        const torch::Tensor& sin, KVCache* cache,
                                        size_t layer_index) {
  // The attention input is kept by the norm node already (as x); LoRA training on q/k/v
  // normalises it again in backward rather than keep the normed copy too.
  const lora::NormedInput normed{x, input_layernorm->weight, input_layernorm->eps};
  auto h = x + self_attn(input_layernorm(x), cos, sin, cache, layer_index,
                         input_layernorm->uses_kernel(x) ? &normed : nullptr);
  return h + mlp(post_attention_layernorm(h));
}

std::vector<torch::Tensor> DecoderLayerImpl::trainable_tensors() const {
  std::vector<torch::Tensor> out;
  for (const auto& p : parameters())
    if (p.requires_grad()) out.push_back(p);
  for (const auto* linear : {&self_attn->q_proj, &self_attn->k_proj, &self_attn->v_proj,
                             &self_attn->o_proj, &mlp->gate_proj, &mlp->up_proj, &mlp->down_proj})
    for (const auto& adapter : (*linear)->adapters()) {
      if (!adapter.live()) continue;
      if (adapter.a.requires_grad()) out.push_back(adapter.a);
      if (adapter.b.requires_grad()) out.push_back(adapter.b);
    }
  return out;
}

namespace {

// Autocast as it was when the layer first ran, for the time of its second run.
class AutocastAs {
 public:
  AutocastAs(bool enabled, at::ScalarType dtype)
      : enabled_(at::autocast::is_cpu_enabled()), dtype_(at::autocast::get_autocast_cpu_dtype()) {
    at::autocast::set_cpu_enabled(enabled);
    at::autocast::set_autocast_cpu_dtype(dtype);
  }
  ~AutocastAs() {
    at::autocast::set_cpu_enabled(enabled_);
    at::autocast::set_autocast_cpu_dtype(dtype_);
  }

 private:
  bool enabled_;
  at::ScalarType dtype_;
};

// One decoder layer under activation checkpointing. forward runs the layer with autograd
// recording on a detached x, as an unchecked layer runs (the same training nodes, the same
// dropout seeds), keeps its output and drops its graph: what stays is x, the generator state the
// layer started from and the autocast setting. backward sets the generator back, runs the layer
// again, differentiates that run and puts the generator where it was. The trainable tensors are
// inputs, so that their gradients flow to them through this node.
struct LayerCheckpoint : torch::autograd::Function<LayerCheckpoint> {
  static torch::Tensor run(DecoderLayerImpl* layer, const torch::Tensor& x, const torch::Tensor& cos,
                           const torch::Tensor& sin, int64_t index) {
    return layer->forward(x, cos, sin, nullptr, static_cast<size_t>(index));
  }

  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                               const torch::Tensor& cos, const torch::Tensor& sin,
                               DecoderLayerImpl* layer, int64_t index, torch::TensorList trainable) {
    ctx->saved_data["generator"] = cpu_generator_state();
    ctx->saved_data["autocast"] = at::autocast::is_cpu_enabled();
    ctx->saved_data["autocast_dtype"] = static_cast<int64_t>(at::autocast::get_autocast_cpu_dtype());
    ctx->saved_data["layer"] = reinterpret_cast<int64_t>(layer);  // the model outlives its graphs
    ctx->saved_data["index"] = index;
    ctx->saved_data["trainable"] = static_cast<int64_t>(trainable.size());
    ctx->save_for_backward({x, cos, sin});
    torch::AutoGradMode recording(true);
    return run(layer, x.detach().requires_grad_(x.requires_grad()), cos, sin, index).detach();
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_out) {
    const auto saved = ctx->get_saved_variables();
    const auto& x = saved[0];
    auto* layer = reinterpret_cast<DecoderLayerImpl*>(ctx->saved_data["layer"].toInt());
    const int64_t index = ctx->saved_data["index"].toInt();
    const auto trainable = layer->trainable_tensors();
    TORCH_CHECK(int64_t(trainable.size()) == ctx->saved_data["trainable"].toInt(),
                "layer ", index, ": its trainable tensors changed between forward and backward");

    const auto now = cpu_generator_state();
    set_cpu_generator_state(ctx->saved_data["generator"].toTensor());
    torch::Tensor out, input;
    {
      AutocastAs autocast(ctx->saved_data["autocast"].toBool(),
                          static_cast<at::ScalarType>(ctx->saved_data["autocast_dtype"].toInt()));
      torch::AutoGradMode recording(true);
      input = x.detach().requires_grad_(x.requires_grad());
      out = run(layer, input, saved[1], saved[2], index);
    }
    set_cpu_generator_state(now);

    std::vector<torch::Tensor> wrt;
    if (input.requires_grad()) wrt.push_back(input);
    wrt.insert(wrt.end(), trainable.begin(), trainable.end());
    auto grads = wrt.empty() ? torch::autograd::variable_list()
                             : torch::autograd::grad({out}, wrt, {grad_out[0]},
                                                     /*retain_graph=*/false,
                                                     /*create_graph=*/false, /*allow_unused=*/true);
    // One gradient per argument of forward: x, cos, sin, layer, index, then each trainable tensor.
    torch::autograd::variable_list result(5 + trainable.size());
    size_t next = 0;
    if (input.requires_grad()) result[0] = grads[next++];
    for (size_t i = 0; i < trainable.size(); ++i) result[5 + i] = grads[next++];
    return result;
  }
};

std::string dims(std::initializer_list<const char*> keys) {
  std::string out;
  for (const char* key : keys) out += (out.empty() ? "" : ", ") + std::string(key);
  return out;
}

}  // namespace

LlamaImpl::LlamaImpl(const ModelConfig& config, WeightSource& weights, torch::ScalarType dtype)
    : config_(config), dtype_(dtype), rotary_(config) {
  const int64_t hidden = config.hidden_size, inter = config.intermediate_size;
  const int64_t q_out = config.num_attention_heads * config.head_dim;
  const int64_t kv_out = config.num_key_value_heads * config.head_dim;
  const int64_t vocab = config.vocab_size;
  const std::string hv = dims({"vocab_size", "hidden_size"});

  embed_tokens = register_parameter(
      "embed_tokens", weights.get("model.embed_tokens.weight", {vocab, hidden}, hv, dtype),
      /*requires_grad=*/false);

  auto linear = [&](const std::string& path, int64_t out, int64_t in, const std::string& why,
                    bool with_bias) {
    auto w = weights.get(path + ".weight", {out, in}, why, dtype);
    torch::Tensor b;
    if (with_bias) b = weights.get(path + ".bias", {out}, why, dtype);
    return lora::LoraLinear(w, b);
  };
  auto norm_weight = [&](const std::string& name) {
    return weights.get(name, {hidden}, "hidden_size", dtype);
  };

  auto layer_list = register_module("layers", torch::nn::ModuleList());
  const bool qkv_bias = config.attention_bias;
  for (int64_t i = 0; i < config.num_hidden_layers; ++i) {
    const std::string p = "model.layers." + std::to_string(i);
    const std::string attn_q = dims({"num_attention_heads × head_dim", "hidden_size"});
    const std::string attn_kv = dims({"num_key_value_heads × head_dim", "hidden_size"});
    // Locals, not call arguments, so weights load (and errors name them) in file order.
    auto q = linear(p + ".self_attn.q_proj", q_out, hidden, attn_q, qkv_bias);
    auto k = linear(p + ".self_attn.k_proj", kv_out, hidden, attn_kv, qkv_bias);
    auto v = linear(p + ".self_attn.v_proj", kv_out, hidden, attn_kv, qkv_bias);
    auto o = linear(p + ".self_attn.o_proj", hidden, q_out,
                    dims({"hidden_size", "num_attention_heads × head_dim"}), false);
    const std::string mlp_in = dims({"intermediate_size", "hidden_size"});
    auto gate = linear(p + ".mlp.gate_proj", inter, hidden, mlp_in, config.mlp_bias);
    auto up = linear(p + ".mlp.up_proj", inter, hidden, mlp_in, config.mlp_bias);
    auto down = linear(p + ".mlp.down_proj", hidden, inter, dims({"hidden_size", "intermediate_size"}),
                       config.mlp_bias);
    auto input_norm = RMSNorm(norm_weight(p + ".input_layernorm.weight"), config.rms_norm_eps);
    auto post_norm = RMSNorm(norm_weight(p + ".post_attention_layernorm.weight"), config.rms_norm_eps);
    DecoderLayer layer(input_norm, Attention(config, q, k, v, o), post_norm, Mlp(gate, up, down));
    layer_list->push_back(layer);
    layers.push_back(layer);
  }
  norm = register_module("norm", RMSNorm(norm_weight("model.norm.weight"), config.rms_norm_eps));
  if (!config.tie_word_embeddings) {
    if (!weights.contains("lm_head.weight"))
      throw Error("lm_head.weight is missing and config.json sets tie_word_embeddings false");
    lm_head = register_module("lm_head", linear("lm_head", vocab, hidden, hv, false));
  }
}

torch::Tensor LlamaImpl::hidden_states(const torch::Tensor& ids, KVCache* cache) {
  const int64_t steps = ids.size(1);
  const int64_t past = cache ? cache->length : 0;
  auto [cos, sin] = rotary_.cos_sin(past, steps, dtype_);
  auto x = torch::embedding(embed_tokens, ids);  // (B, T, H)
  const bool recompute = recompute_layers && !cache && torch::GradMode::is_enabled();
  for (size_t i = 0; i < layers.size(); ++i) {
    auto trainable = recompute ? layers[i]->trainable_tensors() : std::vector<torch::Tensor>();
    if (recompute && (x.requires_grad() || !trainable.empty()))
      x = LayerCheckpoint::apply(x, cos, sin, layers[i].get(), static_cast<int64_t>(i),
                                 torch::TensorList(trainable));
    else
      x = layers[i]->forward(x, cos, sin, cache, i);
  }
  if (cache) cache->length = past + steps;
  return norm(x);
}

torch::Tensor LlamaImpl::logits(const torch::Tensor& hidden) {
  auto out = lm_head ? lm_head(hidden) : F::linear(hidden, embed_tokens);
  return out.scalar_type() == torch::kFloat64 ? out : out.to(torch::kFloat32);
}

torch::Tensor LlamaImpl::masked_loss_sum(const torch::Tensor& ids, const torch::Tensor& targets,
                                         const torch::Tensor& mask) {
  auto hidden = hidden_states(ids);
  const auto dtype = hidden.scalar_type();
  torch::Tensor head = embed_tokens;
  if (lm_head)
    head = lm_head->plain() && !lm_head->bias.defined() ? lm_head->weight : torch::Tensor();
  if (use_training_op("loss") && head.defined() && head.scalar_type() == dtype &&
      (dtype == torch::kFloat32 || dtype == torch::kFloat64) && !at::autocast::is_cpu_enabled()) {
    // About 4 MiB of float32 logits per chunk, and at least 64 rows for large vocabularies.
    const int64_t chunk = std::max<int64_t>(64, (int64_t(1) << 20) / head.size(0));
    return masked_cross_entropy_sum_node(hidden.reshape({-1, hidden.size(-1)}), head,
                                         targets.reshape({-1}), mask.reshape({-1}), chunk);
  }
  auto all_logits = logits(hidden);
  auto losses = F::cross_entropy(all_logits.view({-1, all_logits.size(-1)}), targets.view({-1}),
                                 F::CrossEntropyFuncOptions().reduction(torch::kNone));
  return (losses * mask.view({-1})).sum();
}

std::vector<std::pair<std::string, lora::LoraLinear>> LlamaImpl::projections() const {
  std::vector<std::pair<std::string, lora::LoraLinear>> out;
  for (size_t i = 0; i < layers.size(); ++i) {
    const std::string p = "model.layers." + std::to_string(i);
    const auto& attn = layers[i]->self_attn;
    const auto& mlp = layers[i]->mlp;
    out.emplace_back(p + ".self_attn.q_proj", attn->q_proj);
    out.emplace_back(p + ".self_attn.k_proj", attn->k_proj);
    out.emplace_back(p + ".self_attn.v_proj", attn->v_proj);
    out.emplace_back(p + ".self_attn.o_proj", attn->o_proj);
    out.emplace_back(p + ".mlp.gate_proj", mlp->gate_proj);
    out.emplace_back(p + ".mlp.up_proj", mlp->up_proj);
    out.emplace_back(p + ".mlp.down_proj", mlp->down_proj);
  }
  return out;
}

}  // namespace loralab::model
