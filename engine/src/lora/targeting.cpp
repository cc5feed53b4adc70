// Target matching and per-module rank / alpha; see targeting.h.
#include "lora/targeting.h"

#include <cmath>
#include <regex>
#include <set>

#include "loralab/error.h"

namespace loralab {

std::vector<std::string> linear_module_names() {
  return {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"};
}

std::vector<std::string> expand_targets(const std::vector<std::string>& names) {
  std::vector<std::string> out;
  auto add = [&](const std::string& name) {
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  };
  for (const auto& name : names) {
    if (name == "attention-qv") {
      add("q_proj"), add("v_proj");
    } else if (name == "attention-qkv") {
      for (const char* m : {"q_proj", "k_proj", "v_proj"}) add(m);
    } else if (name == "attention-qkvo") {
      for (const char* m : {"q_proj", "k_proj", "v_proj", "o_proj"}) add(m);
    } else if (name == "all-linear" || name == "mlp") {
      for (const auto& m : linear_module_names())
        if (name == "all-linear" || m == "gate_proj" || m == "up_proj" || m == "down_proj") add(m);
    } else if (name.empty()) {
      throw Error("targets: empty module name");
    } else if (name.find('-') != std::string::npos) {
      throw Error("targets: unknown preset '" + name +
                  "' (presets: attention-qv, attention-qkv, attention-qkvo, mlp, all-linear)");
    } else {
      add(name);
    }
  }
  return out;
}

void LoraSpec::validate() const {
  if (rank <= 0) throw Error("rank: expected an integer > 0, got " + std::to_string(rank));
  if (!std::isfinite(alpha)) throw Error("alpha: expected a finite number");
  if (!(dropout >= 0.0 && dropout < 1.0))
    throw Error("dropout: expected a value in [0, 1), got " + std::to_string(dropout));
  if (init != "default" && init != "gaussian" && init != "pissa")
    throw Error("init: expected default, gaussian or pissa, got '" + init + "'");
  for (const auto& [key, r] : rank_pattern)
    if (r <= 0) throw Error("rank_pattern[" + key + "]: expected a rank > 0, got " + std::to_string(r));
  for (const auto& [key, a] : alpha_pattern)
    if (!std::isfinite(a)) throw Error("alpha_pattern[" + key + "]: expected a finite number");
  if (!target_regex.empty()) {
    try {
      std::regex check(target_regex);
    } catch (const std::regex_error& e) {
      throw Error("target_modules: invalid regular expression '" + target_regex + "': " + e.what());
    }
  } else if (target_modules.empty()) {
    throw Error("target_modules: no module names given");
  }
}

namespace lora {

std::optional<int64_t> layer_index_of(const std::string& module_path) {
  static const std::regex kLayer(R"((^|\.)layers\.(\d+)\.)");
  std::smatch match;
  if (!std::regex_search(module_path, match, kLayer)) return std::nullopt;
  return std::stoll(match[2].str());
}

bool module_targeted(const LoraSpec& spec, const std::string& module_path) {
  bool hit = false;
  if (!spec.target_regex.empty()) {
    hit = std::regex_match(module_path, std::regex(spec.target_regex));
  } else {
    for (const auto& entry : expand_targets(spec.target_modules)) {
      if (module_path == entry ||
          (module_path.size() > entry.size() &&
           module_path.compare(module_path.size() - entry.size(), entry.size(), entry) == 0 &&
           module_path[module_path.size() - entry.size() - 1] == '.')) {
        hit = true;
        break;
      }
    }
  }
  if (!hit || spec.layers_to_transform.empty()) return hit;
  auto layer = layer_index_of(module_path);
  return layer && std::find(spec.layers_to_transform.begin(), spec.layers_to_transform.end(),
                            *layer) != spec.layers_to_transform.end();
}

bool pattern_key_matches(const std::string& key, const std::string& module_path) {
  try {
    return std::regex_match(module_path, std::regex("(.*\\.)?(" + key + ")$"));
  } catch (const std::regex_error& e) {
    throw Error("pattern key '" + key + "' is not a valid regular expression: " + e.what());
  }
}

int64_t rank_for(const LoraSpec& spec, const std::string& module_path) {
  for (const auto& [key, rank] : spec.rank_pattern)
    if (pattern_key_matches(key, module_path)) return rank;
  return spec.rank;
}

double alpha_for(const LoraSpec& spec, const std::string& module_path) {
  for (const auto& [key, alpha] : spec.alpha_pattern)
    if (pattern_key_matches(key, module_path)) return alpha;
  return spec.alpha;
}

}  // namespace lora
}  // namespace loralab
