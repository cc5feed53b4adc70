// LLaMA-family decoder (LLaMA, Mistral, Qwen2) in LibTorch, as Hugging Face transformers computes
// it: RMSNorm, RoPE in the split-halves layout, grouped-query attention, SwiGLU MLP, tied or untied
// head, optional q/k/v biases, and a KV cache for incremental decoding. Engine-internal.
#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

#include "lora/lora_linear.h"
#include "loralab/model_config.h"

namespace loralab::model {

// Keys and values of every layer for incremental decoding; capacity grows by doubling.
struct KVCache {
  std::vector<torch::Tensor> keys;    // per layer (B, kv_heads, capacity, head_dim)
  std::vector<torch::Tensor> values;  // same
  int64_t length = 0;                 // positions filled
  void clear() {
    keys.clear();
    values.clear();
    length = 0;
  }
};

class RMSNormImpl : public torch::nn::Module {
 public:
  RMSNormImpl(torch::Tensor weight, double eps);
  torch::Tensor forward(const torch::Tensor& x);
  // Whether forward(x) runs the one-pass kernel (train_ops.h), whose output
  // rms_norm_forward(x, weight, eps) can make again bit for bit.
  bool uses_kernel(const torch::Tensor& x) const;
  torch::Tensor weight;
  double eps;
};
TORCH_MODULE(RMSNorm);

// cos/sin tables for positions [0, n), grown on demand; float32, (n, head_dim). The sin table
// carries rotate_half's sign: its first half is negated.
class RotaryTable {
 public:
  RotaryTable(const ModelConfig& config);
  std::pair<torch::Tensor, torch::Tensor> cos_sin(int64_t start, int64_t length,
                                                  torch::ScalarType dtype);
  const torch::Tensor& inv_freq() const { return inv_freq_; }
  // The float32 table rows of one position (head_dim floats each: cos, signed sin), grown as
  // needed; valid until the next call that grows the tables.
  std::pair<const float*, const float*> rows(int64_t position);

 private:
  void grow(int64_t positions);
  torch::Tensor inv_freq_;  // (head_dim / 2), float32
  torch::Tensor cos_, sin_;
};

class AttentionImpl : public torch::nn::Module {
 public:
  AttentionImpl(const ModelConfig& config, lora::LoraLinear q, lora::LoraLinear k,
                lora::LoraLinear v, lora::LoraLinear o);
  // x (B, T, H); cos/sin (T, head_dim); cache entries are updated in place when given. `normed`,
  // when given, says x is the RMSNorm kernel's output for its input, so that LoRA training can
  // normalise again in backward instead of keeping x (lora_linear.h).
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                        KVCache* cache, size_t layer_index,
                        const lora::NormedInput* normed = nullptr);
  lora::LoraLinear q_proj, k_proj, v_proj, o_proj;

 private:
  int64_t heads_, kv_heads_, head_dim_;
};
TORCH_MODULE(Attention);

class MlpImpl : public torch::nn::Module {
 public:
  MlpImpl(lora::LoraLinear gate, lora::LoraLinear up, lora::LoraLinear down);
  torch::Tensor forward(const torch::Tensor& x);
  lora::LoraLinear gate_proj, up_proj, down_proj;
};
TORCH_MODULE(Mlp);

class DecoderLayerImpl : public torch::nn::Module {
 public:
  DecoderLayerImpl(RMSNorm input_norm, Attention attention, RMSNorm post_norm, Mlp mlp);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                        KVCache* cache, size_t layer_index);
  // The layer's tensors that train: weights and norms in full fine-tuning, the A and B of
  // trainable adapters otherwise.
  std::vector<torch::Tensor> trainable_tensors() const;
  RMSNorm input_layernorm, post_attention_layernorm;
  Attention self_attn;
  Mlp mlp;
};
TORCH_MODULE(DecoderLayer);

// Looks up weights by their Hugging Face names and checks their shapes.
class WeightSource {
 public:
  virtual ~WeightSource() = default;
  // Returns the tensor converted to `dtype`; throws naming the file and tensor when it is missing
  // or its shape differs from `expected` (with `why` saying which config keys set that shape).
  virtual torch::Tensor get(const std::string& name, const std::vector<int64_t>& expected,
                            const std::string& why, torch::ScalarType dtype) = 0;
  virtual bool contains(const std::string& name) const = 0;
};

class LlamaImpl : public torch::nn::Module {
 public:
  LlamaImpl(const ModelConfig& config, WeightSource& weights, torch::ScalarType dtype);

  // ids (B, T) int64 → final normed hidden states (B, T, H). With a cache, positions continue
  // from cache->length and the cache is extended.
  torch::Tensor hidden_states(const torch::Tensor& ids, KVCache* cache = nullptr);
  // hidden (…, H) → logits (…, V) in float32.
  torch::Tensor logits(const torch::Tensor& hidden);
  torch::Tensor forward(const torch::Tensor& ids, KVCache* cache = nullptr) {
    return logits(hidden_states(ids, cache));
  }
  // Σ mask · next-token cross-entropy for ids, targets (B, T) int64 and mask (B, T), the training
  // loss. While autograd records on a float32/float64 model with a plain head (tied, or untied
  // without live adapters or bias) and without autocast, the chunked loss node of train_ops.h
  // computes it without keeping (B·T, V) logits; otherwise logits() and LibTorch's cross-entropy.
  torch::Tensor masked_loss_sum(const torch::Tensor& ids, const torch::Tensor& targets,
                                const torch::Tensor& mask);

  // Every projection by its Hugging Face module path ("model.layers.0.self_attn.q_proj").
  std::vector<std::pair<std::string, lora::LoraLinear>> projections() const;
  const ModelConfig& config() const { return config_; }
  torch::ScalarType dtype() const { return dtype_; }
  RotaryTable& rotary() { return rotary_; }

  torch::Tensor embed_tokens;  // (V, H)
  std::vector<DecoderLayer> layers;
  // Activation checkpointing: while autograd records, each decoder layer keeps only its input and
  // is computed again in backward. Gradients are the same to the bit; a training step costs one
  // more forward pass and keeps a layer's activations instead of all of them.
  bool recompute_layers = false;
  RMSNorm norm{nullptr};
  lora::LoraLinear lm_head{nullptr};  // null when tied to embed_tokens

 private:
  ModelConfig config_;
  torch::ScalarType dtype_;
  RotaryTable rotary_;
};
TORCH_MODULE(Llama);

}  // namespace loralab::model
