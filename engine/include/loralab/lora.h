// LoRA adapters on a loaded Model: specs, targeting, initialisation, PEFT folders, live weights λ,
// merge / unmerge, blend export, merged-model export and parameter accounting. Torch-free API.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "loralab/model.h"

namespace loralab {

// What an adapter adapts and how (PEFT's LoraConfig vocabulary).
struct LoraSpec {
  int64_t rank = 8;
  double alpha = 8;
  double dropout = 0.0;
  // Module names ("q_proj", "v_proj", ...) or presets (attention-qv, attention-qkvo, all-linear);
  // ignored when target_regex is set.
  std::vector<std::string> target_modules = {"q_proj", "v_proj"};
  std::string target_regex;                   // full match against the module path, as PEFT
  std::vector<int64_t> layers_to_transform;   // empty: every layer
  std::map<std::string, int64_t> rank_pattern;  // key matched as (.*\.)?(KEY)$
  std::map<std::string, double> alpha_pattern;
  bool rslora = false;                        // scale alpha / sqrt(r) instead of alpha / r
  std::string init = "default";               // default (kaiming-uniform A, B = 0) | gaussian | pissa
  uint64_t seed = 0;
  std::string base_model_name_or_path;        // written to adapter_config.json

  // Throws naming the field: rank ≤ 0, non-finite alpha, dropout outside [0, 1), unknown init.
  void validate() const;
};

// "attention-qv" → {q_proj, v_proj}; "attention-qkvo"; "all-linear" (every projection but the
// head). A plain module name is returned as itself. Unknown preset-like names throw.
std::vector<std::string> expand_targets(const std::vector<std::string>& names);
std::vector<std::string> linear_module_names();  // q_proj k_proj v_proj o_proj gate_proj up_proj down_proj

struct AdapterInfo {
  std::string name;
  std::string source;  // folder it was loaded from, or "" for a fresh adapter
  LoraSpec spec;
  double weight = 1.0;
  bool enabled = true;
  std::vector<std::string> modules;  // adapted module paths
  int64_t parameters = 0;            // Σ (in + out) · r
};

// Adds a freshly initialised adapter (seeded). Throws when no module matches (listing the module
// names that exist) or the name is taken. PiSSA moves the top-r part of W0 into A, B and leaves
// the residual in the base weights.
AdapterInfo add_adapter(Model& model, const std::string& name, const LoraSpec& spec);
// Loads a PEFT folder (adapter_config.json + adapter_model.safetensors). Errors name the file, the
// tensor, the expected and the found shape. An empty name uses the folder's name.
AdapterInfo load_adapter(Model& model, const std::string& dir, const std::string& name = "");
// Writes the adapter as a PEFT folder, atomically; metadata goes into __metadata__.
void save_adapter(const Model& model, const std::string& name, const std::string& dir,
                  const std::map<std::string, std::string>& metadata = {});
void remove_adapter(Model& model, const std::string& name);
void set_adapter_weight(Model& model, const std::string& name, double weight);
void set_adapter_enabled(Model& model, const std::string& name, bool enabled);
std::vector<AdapterInfo> list_adapters(const Model& model);

// Folds every enabled adapter (at its λ) into the base weights; unmerge restores them exactly.
void merge_adapters(Model& model);
void unmerge_adapters(Model& model);
bool adapters_merged(const Model& model);

// Writes W0 + Σ λ_i s_i B_i A_i as a new Hugging Face folder (config, weights, tokenizer files
// copied). dtype "f32" | "bf16" | "f16" | "" (the base's stored dtype).
void export_merged_model(Model& model, const std::string& out_dir, const std::string& dtype = "");

// Diagnostic: one forward/backward of the next-token loss on `tokens` with every adapter trainable;
// returns the names of the tensors that received a non-zero gradient (base weights by their
// Hugging Face names, adapters as MODULE.lora_A.NAME / MODULE.lora_B.NAME). Leaves no gradients.
std::vector<std::string> parameters_with_gradient(Model& model, const std::vector<int32_t>& tokens);

// Diagnostic: compares autograd gradients of the next-token loss with respect to `samples` random
// entries of every adapter's A and B against central finite differences (step eps). Meaningful on
// a model loaded with Precision::F64.
struct GradientCheck {
  int checked = 0;
  double max_abs_error = 0;
  double max_relative_error = 0;  // |analytic - numeric| / max(|numeric|, 1e-6)
};
// With dropout > 0 every adapter trains with that dropout for the check (training mode), and the
// masks are held fixed by seeding LibTorch's generator before every forward; the adapters' own
// dropout is restored afterwards.
GradientCheck check_adapter_gradients(Model& model, const std::vector<int32_t>& tokens, int samples,
                                      double eps, uint64_t seed, double dropout = 0.0);

// Parameter accounting for a spec on a config, per module and in total.
struct ModuleAccount {
  std::string module;  // path
  int64_t in_features = 0, out_features = 0, rank = 0;
  int64_t lora_parameters = 0;  // (in + out) · r
  int64_t full_parameters = 0;  // in · out
};
struct ParameterAccount {
  std::vector<ModuleAccount> modules;
  int64_t trainable = 0;
  int64_t base_total = 0;
  double share_of_base = 0;      // trainable / base_total
  int64_t adapted_full = 0;      // Σ in·out over adapted modules (what full training of them costs)
  // Bytes for trainable weights, their gradients and AdamW's two moments.
  int64_t weight_bytes_fp32 = 0, gradient_bytes_fp32 = 0, adam_bytes_fp32 = 0;
  int64_t weight_bytes_bf16 = 0, gradient_bytes_bf16 = 0;
  int64_t base_weight_bytes_fp32 = 0, base_weight_bytes_bf16 = 0;
};
ParameterAccount account_parameters(const ModelConfig& config, const LoraSpec& spec);

// Blends PEFT adapter folders into one. cat: ranks concatenated (exact); svd: ΔW truncated to rank
// k per module (reports the relative Frobenius error); linear: same-rank weighted sums of A and of
// B (not exact, said in the result).
struct BlendInput {
  std::string dir;
  double weight = 1.0;
};
struct BlendResult {
  std::string method;
  int64_t rank = 0;                  // rank of the written adapter (max over modules for cat)
  double max_relative_error = 0;     // svd: worst per-module ||ΔW - ΔW_k||_F / ||ΔW||_F
  bool exact = false;
  std::string note;
};
BlendResult blend_adapters(const std::vector<BlendInput>& inputs, const std::string& method,
                           int64_t rank, const std::string& out_dir);

}  // namespace loralab
