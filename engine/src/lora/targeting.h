// Which modules an adapter adapts, and each module's rank and alpha — PEFT's matching rules
// (shared/design/FORMATS.md): list entries match a module path exactly or as its last
// dot-separated suffix; a regex must match the whole path; rank_pattern / alpha_pattern keys match
// as (.*\.)?(KEY)$; layers_to_transform filters by the index after "layers.".
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "loralab/lora.h"

namespace loralab::lora {

bool module_targeted(const LoraSpec& spec, const std::string& module_path);
std::optional<int64_t> layer_index_of(const std::string& module_path);
int64_t rank_for(const LoraSpec& spec, const std::string& module_path);
double alpha_for(const LoraSpec& spec, const std::string& module_path);
// True when `key` matches the module as PEFT's rank/alpha pattern rule does.
bool pattern_key_matches(const std::string& key, const std::string& module_path);

}  // namespace loralab::lora
