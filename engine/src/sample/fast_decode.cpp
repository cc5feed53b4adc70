// One-token decoding over raw float32 arrays; see fast_decode.h. Shapes: H hidden, nh/nkv query
// and key-value heads, hd head_dim, g = nh / nkv, I intermediate, V vocabulary, S cached positions.
#include "sample/fast_decode.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "sample/decode_kernels.h"

namespace loralab::sample {

bool fast_decode_enabled() {
  const char* mode = std::getenv("LORALAB_DECODE");
  return !mode || std::string_view(mode) != "torch";
}

namespace {

bool plain_f32(const torch::Tensor& t) {
  return t.defined() && t.scalar_type() == torch::kFloat32 && t.is_contiguous() && t.device().is_cpu();
}

bool usable(const lora::LoraLinearImpl& layer) {
  if (!plain_f32(layer.weight) || (layer.bias.defined() && !plain_f32(layer.bias))) return false;
  if (layer.merged()) return true;
  for (const auto& adapter : layer.adapters())
    if (adapter.live() && (!plain_f32(adapter.a) || !plain_f32(adapter.b)))
      return false;
  return true;
}

const float* f32(const torch::Tensor& t) { return t.data_ptr<float>(); }

}  // namespace

bool FastDecoder::supports(const model::LlamaImpl& net) {
  if (net.is_training() || !plain_f32(net.embed_tokens) || !plain_f32(net.norm->weight)) return false;
  if (net.lm_head && !usable(*net.lm_head)) return false;
  for (const auto& layer : net.layers) {
    const auto& attn = layer->self_attn;
    const auto& mlp = layer->mlp;
    for (const auto* proj : {attn->q_proj.get(), attn->k_proj.get(), attn->v_proj.get(),
                             attn->o_proj.get(), mlp->gate_proj.get(), mlp->up_proj.get(),
                             mlp->down_proj.get()})
      if (!usable(*proj)) return false;
    if (!plain_f32(layer->input_layernorm->weight) || !plain_f32(layer->post_attention_layernorm->weight))
      return false;
  }
  return true;
}

const FastDecoder::Stack& FastDecoder::stack_for(const lora::LoraLinearImpl& layer) {
  Stack& stack = stacks_[&layer];
  const auto& sources = stack.sources;
  // Current when the live adapters are, in order, exactly what the stack was built from.
  bool current = true;
  size_t matched = 0;
  for (const auto& adapter : layer.adapters()) {
    if (!adapter.live()) continue;
    current = matched < sources.size() && sources[matched].built_from(adapter);
    if (!current) break;
    ++matched;
  }
  if (current && matched == sources.size()) return stack;

  const int64_t rows = layer.out_features(), cols = layer.in_features();
  stack = Stack{};
  for (const auto& adapter : layer.adapters())
    if (adapter.live()) {
      stack.sources.push_back({adapter.a, adapter.b, adapter.a._version(), adapter.b._version(),
                               adapter.weight * adapter.scaling()});
      stack.rank += adapter.rank();
    }
  stack.a.resize(stack.rank * cols);
  stack.bt.resize(stack.rank * rows);
  int64_t offset = 0;  // first stacked rank row of the current adapter
  for (const auto& source : stack.sources) {
    const int64_t rank = source.a.size(0);
    std::memcpy(stack.a.data() + offset * cols, f32(source.a), rank * cols * sizeof(float));
    const float* b = f32(source.b);  // (rows, rank)
    const auto factor = static_cast<float>(source.factor);
    for (int64_t j = 0; j < rank; ++j)
      for (int64_t r = 0; r < rows; ++r) stack.bt[(offset + j) * rows + r] = factor * b[r * rank + j];
    offset += rank;
  }
  return stack;
}

bool FastDecoder::Stack::Source::built_from(const lora::Adapter& adapter) const {
  return a.is_same(adapter.a) && b.is_same(adapter.b) && a_version == adapter.a._version() &&
         b_version == adapter.b._version() && factor == adapter.weight * adapter.scaling();
}

// out = W x + b + Σ live adapters λ s B (A x), or out += that when `accumulate` (the residual
// stream): the stacked A x first (total rank), then the stacked, scaled B added in.
void FastDecoder::project(const lora::LoraLinearImpl& layer, const float* in, float* out,
                          bool accumulate) {
  const int64_t rows = layer.out_features(), cols = layer.in_features();
  if (accumulate)
    kernels::matvec_add(f32(layer.weight), in, out, rows, cols, 1.0f);
  else
    kernels::matvec(f32(layer.weight), in, out, rows, cols);
  if (layer.bias.defined()) kernels::add(out, f32(layer.bias), rows);
  if (layer.merged() || layer.adapters().empty()) return;
  const Stack& stack = stack_for(layer);
  if (stack.rank == 0) return;
  if (static_cast<int64_t>(low_rank_.size()) < stack.rank) low_rank_.resize(stack.rank);
  kernels::matvec(stack.a.data(), in, low_rank_.data(), stack.rank, cols);
  kernels::add_transposed(stack.bt.data(), low_rank_.data(), out, rows, stack.rank);
}

void reserve_cache(const model::LlamaImpl& net, model::KVCache& cache, int64_t positions) {
  const auto& config = net.config();
  const size_t layers = net.layers.size();
  cache.keys.resize(layers);
  cache.values.resize(layers);
  for (size_t i = 0; i < layers; ++i)
    for (auto* store : {&cache.keys[i], &cache.values[i]}) {
      if (store->defined() && store->scalar_type() == net.dtype() && store->is_contiguous() &&
          store->size(2) >= positions)
        continue;
      int64_t capacity = std::max<int64_t>(positions, 64);
      if (store->defined()) capacity = std::max(capacity, 2 * store->size(2));
      auto grown = torch::empty({1, config.num_key_value_heads, capacity, config.head_dim},
                                torch::TensorOptions(net.dtype()));
      if (store->defined() && cache.length > 0)
        grown.narrow(2, 0, cache.length).copy_(store->narrow(2, 0, cache.length));
      *store = grown;
    }
}

bool FastDecoder::step(model::LlamaImpl& net, model::KVCache& cache, int64_t token, float* logits) {
  if (!supports(net)) return false;
  const auto& config = net.config();
  const int64_t hidden = config.hidden_size, heads = config.num_attention_heads;
  const int64_t kv_heads = config.num_key_value_heads, head_dim = config.head_dim;
  const int64_t group = heads / kv_heads, inter = config.intermediate_size;
  const int64_t position = cache.length;
  reserve_cache(net, cache, position + 1);  // float32: supports() checked the weights
  x_.resize(hidden);
  normed_.resize(std::max(hidden, heads * head_dim));
  q_.resize(heads * head_dim);
  k_.resize(kv_heads * head_dim);
  v_.resize(kv_heads * head_dim);
  attended_.resize(heads * head_dim);
  gate_.resize(inter);
  up_.resize(inter);
  scores_.resize(position + 1);

  std::memcpy(x_.data(), f32(net.embed_tokens) + token * hidden, hidden * sizeof(float));
  const auto [cos, sin] = net.rotary().rows(position);
  const float score_scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(head_dim)));
  for (size_t i = 0; i < net.layers.size(); ++i) {
    auto& layer = *net.layers[i];
    auto& attn = *layer.self_attn;
    kernels::rms_norm(x_.data(), f32(layer.input_layernorm->weight), normed_.data(), hidden,
                      layer.input_layernorm->eps);
    project(*attn.q_proj, normed_.data(), q_.data());
    project(*attn.k_proj, normed_.data(), k_.data());
    project(*attn.v_proj, normed_.data(), v_.data());
    kernels::rotary(q_.data(), heads, head_dim, cos, sin, score_scale);
    kernels::rotary(k_.data(), kv_heads, head_dim, cos, sin, 1.0f);

    const int64_t capacity = cache.keys[i].size(2);
    float* keys = cache.keys[i].data_ptr<float>();      // (nkv, capacity, hd)
    float* values = cache.values[i].data_ptr<float>();
    for (int64_t g = 0; g < kv_heads; ++g) {
      std::memcpy(keys + (g * capacity + position) * head_dim, k_.data() + g * head_dim,
                  head_dim * sizeof(float));
      std::memcpy(values + (g * capacity + position) * head_dim, v_.data() + g * head_dim,
                  head_dim * sizeof(float));
    }
    for (int64_t h = 0; h < heads; ++h) {
      const int64_t g = h / group;  // query heads of one group share a key-value head
      kernels::attend(q_.data() + h * head_dim, keys + g * capacity * head_dim,
                      values + g * capacity * head_dim, position + 1, head_dim, scores_.data(),
                      attended_.data() + h * head_dim);
    }
    project(*attn.o_proj, attended_.data(), x_.data(), /*accumulate=*/true);

    auto& mlp = *layer.mlp;
    kernels::rms_norm(x_.data(), f32(layer.post_attention_layernorm->weight), normed_.data(),
                      hidden, layer.post_attention_layernorm->eps);
    project(*mlp.gate_proj, normed_.data(), gate_.data());
    project(*mlp.up_proj, normed_.data(), up_.data());
    kernels::silu_mul(gate_.data(), up_.data(), inter);
    project(*mlp.down_proj, gate_.data(), x_.data(), /*accumulate=*/true);
  }
  kernels::rms_norm(x_.data(), f32(net.norm->weight), normed_.data(), hidden, net.norm->eps);
  if (net.lm_head)
    project(*net.lm_head, normed_.data(), logits);
  else
    kernels::matvec(f32(net.embed_tokens), normed_.data(), logits, config.vocab_size, hidden);
  cache.length = position + 1;
  return true;
}

}  // namespace loralab::sample
