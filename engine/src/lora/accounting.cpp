// Parameter and memory accounting for a LoRA spec on a model config: (d + k)·r trainable numbers
// per adapted module against d·k for training the module in full.
#include "loralab/error.h"
#include "loralab/lora.h"
#include "lora/targeting.h"

namespace loralab {

ParameterAccount account_parameters(const ModelConfig& config, const LoraSpec& spec) {
  spec.validate();
  const int64_t hidden = config.hidden_size, inter = config.intermediate_size;
  const int64_t q_out = config.num_attention_heads * config.head_dim;
  const int64_t kv_out = config.num_key_value_heads * config.head_dim;
  struct Shape {
    const char* name;
    int64_t in, out;
    bool bias;
  };
  const Shape shapes[] = {
      {"self_attn.q_proj", hidden, q_out, config.attention_bias},
      {"self_attn.k_proj", hidden, kv_out, config.attention_bias},
      {"self_attn.v_proj", hidden, kv_out, config.attention_bias},
      {"self_attn.o_proj", q_out, hidden, false},
      {"mlp.gate_proj", hidden, inter, config.mlp_bias},
      {"mlp.up_proj", hidden, inter, config.mlp_bias},
      {"mlp.down_proj", inter, hidden, config.mlp_bias},
  };
  ParameterAccount account;
  int64_t base = config.vocab_size * hidden + hidden;  // embeddings + final norm
  if (!config.tie_word_embeddings) base += config.vocab_size * hidden;
  for (int64_t layer = 0; layer < config.num_hidden_layers; ++layer) {
    base += 2 * hidden;  // the two RMSNorms
    for (const auto& shape : shapes) {
      base += shape.in * shape.out + (shape.bias ? shape.out : 0);
      const std::string path = "model.layers." + std::to_string(layer) + "." + shape.name;
      if (!lora::module_targeted(spec, path)) continue;
      ModuleAccount m;
      m.module = path;
      m.in_features = shape.in;
      m.out_features = shape.out;
      m.rank = lora::rank_for(spec, path);
      m.lora_parameters = (shape.in + shape.out) * m.rank;
      m.full_parameters = shape.in * shape.out;
      account.trainable += m.lora_parameters;
      account.adapted_full += m.full_parameters;
      account.modules.push_back(m);
    }
  }
  if (account.modules.empty())
    throw Error("targets match no module; linear modules are q_proj, k_proj, v_proj, o_proj, "
                "gate_proj, up_proj, down_proj");
  account.base_total = base;
  account.share_of_base = static_cast<double>(account.trainable) / static_cast<double>(base);
  account.weight_bytes_fp32 = account.trainable * 4;
  account.gradient_bytes_fp32 = account.trainable * 4;
  account.adam_bytes_fp32 = account.trainable * 8;  // first and second moments
  account.weight_bytes_bf16 = account.trainable * 2;
  account.gradient_bytes_bf16 = account.trainable * 2;
  account.base_weight_bytes_fp32 = base * 4;
  account.base_weight_bytes_bf16 = base * 2;
  return account;
}

}  // namespace loralab
