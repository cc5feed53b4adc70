// A Hugging Face LLaMA-family config.json (LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM)
// with transformers' defaults applied, and discovery of the files in a model folder.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace loralab {

enum class Architecture { Llama, Mistral, Qwen2 };
const char* architecture_name(Architecture arch);  // "LlamaForCausalLM", ...

struct RopeScaling {
  std::string type;  // "" (none) or "llama3"; others are refused when parsing
  double factor = 1.0;
  double low_freq_factor = 1.0;
  double high_freq_factor = 4.0;
  int64_t original_max_position_embeddings = 8192;

  bool operator==(const RopeScaling&) const = default;
};

struct ModelConfig {
  Architecture architecture = Architecture::Llama;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_hidden_layers = 0;
  int64_t num_attention_heads = 0;
  int64_t num_key_value_heads = 0;  // = num_attention_heads when absent
  int64_t head_dim = 0;             // = hidden_size / num_attention_heads when absent
  double rms_norm_eps = 1e-6;
  double rope_theta = 10000.0;
  RopeScaling rope_scaling;
  int64_t max_position_embeddings = 2048;
  int64_t vocab_size = 0;
  bool tie_word_embeddings = false;  // LLaMA/Mistral default false; Qwen2 default false too
  bool attention_bias = false;       // q/k/v biases (Qwen2: always true)
  bool mlp_bias = false;
  std::optional<int64_t> sliding_window;  // Mistral/Qwen2; ignored for sequences shorter than it
  std::string torch_dtype = "float32";     // "float32", "bfloat16", "float16"
  std::vector<int64_t> bos_token_ids;
  std::vector<int64_t> eos_token_ids;

  // Parses config.json text; `source` names the file in errors. Throws loralab::Error naming the
  // key and what was expected (missing key, wrong type, heads not dividing hidden, unknown
  // architecture, unsupported rope_scaling type).
  static ModelConfig parse(const std::string& json_text, const std::string& source);
  static ModelConfig load(const std::string& config_path);
  std::string to_json() const;  // HF-style config.json text (for merged-model export)

  bool operator==(const ModelConfig&) const = default;
};

// The files of a Hugging Face model folder.
struct ModelFolder {
  std::string dir;
  std::string config_path;   // dir/config.json
  std::string weights_path;  // model.safetensors or model.safetensors.index.json
  std::optional<std::string> tokenizer_path;  // tokenizer.json, or the folder when vocab.json+merges.txt
  std::optional<std::string> generation_config_path;

  // Throws naming the folder and what is missing (refuses pickle-only folders: pytorch_model.bin).
  static ModelFolder discover(const std::string& dir);
};

}  // namespace loralab
