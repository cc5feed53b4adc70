// PEFT LoRA adapter folders (adapter_config.json + adapter_model.safetensors), read and written
// without a model (engine-internal: uses LibTorch). The format is in shared/design/FORMATS.md.
//
// The reader checks everything a folder can say about itself: the config keys, that every
// lora_A has its lora_B, that shapes agree with the per-module rank, that no foreign tensor is
// present. It cannot know in/out features; whoever attaches the adapter to a model checks those.
#pragma once
#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

#include "loralab/lora.h"

namespace loralab::lora {

struct PeftModuleWeights {
  std::string module;  // path without "base_model.model.", e.g. "model.layers.0.self_attn.q_proj"
  torch::Tensor a;     // (r, in), float32
  torch::Tensor b;     // (out, r), float32
};

struct PeftAdapter {
  LoraSpec spec;
  std::vector<PeftModuleWeights> modules;      // sorted by module path
  std::map<std::string, std::string> metadata;  // safetensors __metadata__ without "format"
};

inline constexpr const char* kPeftConfigFile = "adapter_config.json";
inline constexpr const char* kPeftWeightsFile = "adapter_model.safetensors";
inline constexpr const char* kPeftKeyPrefix = "base_model.model.";

// Throws loralab::Error naming the file, the key or tensor, and what was expected vs found.
// Refuses what LoRA Lab cannot reproduce faithfully: DoRA, LoRA biases, fan_in_fan_out,
// modules_to_save, layer_replication, and inits that change the base (olora, loftq, ...).
PeftAdapter read_peft_adapter(const std::string& dir);

// Writes the config (PEFT's keys, sorted, indent 2) and the float32 tensors with PEFT's key
// names. Both files are produced completely in a temp folder first and then renamed into `dir`
// one by one, so a failure leaves the previous adapter (if any) untouched; other files in `dir`
// are left alone. Throws when a module's shapes disagree with rank_for(spec, module).
void write_peft_adapter(const std::string& dir, const PeftAdapter& adapter);

}  // namespace loralab::lora
