// Shared LoRA flags; see lora_flags.h.
#include "lora_flags.h"

#include "adapter_arg.h"
#include "loralab/error.h"

namespace loralab::cli {
namespace {

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t at = text.find(sep, start);
    parts.push_back(text.substr(start, at == std::string::npos ? std::string::npos : at - start));
    if (at == std::string::npos) return parts;
    start = at + 1;
  }
}

// "q_proj=4,layers.1.mlp.down_proj=6" → {key: value}
template <typename T, typename Parse>
std::map<std::string, T> parse_pattern(const std::string& text, const std::string& flag, Parse parse) {
  std::map<std::string, T> out;
  for (const auto& item : split(text, ',')) {
    auto eq = item.rfind('=');
    if (eq == std::string::npos || eq == 0)
      throw Error(flag + ": expected KEY=VALUE items separated by commas, got '" + item + "'");
    out[item.substr(0, eq)] = parse(item.substr(eq + 1), flag);
  }
  return out;
}

}  // namespace

const std::set<std::string>& lora_flag_names() {
  static const std::set<std::string> names = {
      "rank", "alpha", "alpha-equals-rank", "targets", "target-regex", "layers", "rank-pattern",
      "alpha-pattern", "dropout", "init", "rslora", "seed"};
  return names;
}

LoraSpec lora_spec_from_args(const Args& args) {
  LoraSpec spec;
  spec.rank = args.get_int("rank", spec.rank);
  spec.alpha = args.has("alpha-equals-rank") ? static_cast<double>(spec.rank)
                                             : args.get_double("alpha", static_cast<double>(spec.rank));
  if (auto targets = args.get("targets")) spec.target_modules = expand_targets(split(*targets, ','));
  spec.target_regex = args.get_or("target-regex", "");
  if (auto layers = args.get("layers"))
    for (long long layer : parse_int_list(*layers, "--layers")) spec.layers_to_transform.push_back(layer);
  if (auto p = args.get("rank-pattern"))
    spec.rank_pattern = parse_pattern<int64_t>(*p, "--rank-pattern",
                                               [](const std::string& v, const std::string& f) {
                                                 return static_cast<int64_t>(parse_int(v, f));
                                               });
  if (auto p = args.get("alpha-pattern"))
    spec.alpha_pattern = parse_pattern<double>(*p, "--alpha-pattern", parse_double);
  spec.dropout = args.get_double("dropout", spec.dropout);
  spec.init = args.get_or("init", spec.init);
  spec.rslora = args.has("rslora");
  const long long seed = args.get_int("seed", 0);
  if (seed < 0) throw Error("--seed: expected a non-negative integer");
  spec.seed = static_cast<uint64_t>(seed);
  try {
    spec.validate();
  } catch (const Error& e) {
    throw Error(as_flag_message(e.what()));  // validate() names the field
  }
  return spec;
}

size_t load_adapter_flags(Model& model, const Args& args) {
  const auto adapters = args.all("adapter");
  for (size_t i = 0; i < adapters.size(); ++i) {
    AdapterArg parsed = parse_adapter_arg(adapters[i]);
    auto info = load_adapter(model, parsed.dir, "adapter" + std::to_string(i));
    set_adapter_weight(model, info.name, parsed.weight);
  }
  return adapters.size();
}

}  // namespace loralab::cli
