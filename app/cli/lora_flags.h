// Shared LoRA flags of loralab-cli (--rank --alpha --targets ...) and --adapter DIR[:WEIGHT]
// loading, so every command reads them the same way.
#pragma once
#include <memory>
#include <set>
#include <string>

#include "args.h"
#include "loralab/lora.h"
#include "loralab/model.h"

namespace loralab::cli {

// Flag names read by lora_spec_from_args (for reject_unknown).
const std::set<std::string>& lora_flag_names();
// --rank --alpha --alpha-equals-rank --targets a,b|preset --target-regex --layers 0,3
// --rank-pattern key=r,... --alpha-pattern key=a,... --dropout --init --rslora --seed
LoraSpec lora_spec_from_args(const Args& args);

// Loads every --adapter DIR[:WEIGHT] into the model with its weight; returns how many.
size_t load_adapter_flags(Model& model, const Args& args);

}  // namespace loralab::cli
