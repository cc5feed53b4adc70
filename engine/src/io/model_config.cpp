// Hugging Face config.json for LLaMA-family models: strict reading with the defaults transformers
// applies (LlamaConfig, MistralConfig, Qwen2Config) and writing back in the same style.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include <nlohmann/json.hpp>

#include "loralab/error.h"
#include "loralab/model_config.h"

namespace loralab {

using nlohmann::json;

const char* architecture_name(Architecture arch) {
  switch (arch) {
    case Architecture::Llama: return "LlamaForCausalLM";
    case Architecture::Mistral: return "MistralForCausalLM";
    case Architecture::Qwen2: return "Qwen2ForCausalLM";
  }
  return "unknown";
}

namespace {

constexpr Architecture kArchitectures[] = {Architecture::Llama, Architecture::Mistral,
                                           Architecture::Qwen2};
constexpr const char* kSupportedRopeTypes = "default (no scaling), llama3";

const char* model_type(Architecture arch) {
  switch (arch) {
    case Architecture::Llama: return "llama";
    case Architecture::Mistral: return "mistral";
    case Architecture::Qwen2: return "qwen2";
  }
  return "unknown";
}

// "a string \"64\"": what was found, for error messages (values clipped so a huge array stays short).
std::string describe(const json& value) {
  std::string text = value.dump();
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  const char* kind = "a value";
  switch (value.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: kind = "a boolean"; break;
    case json::value_t::string: kind = "a string"; break;
    case json::value_t::array: kind = "an array"; break;
    case json::value_t::object: kind = "an object"; break;
    case json::value_t::number_float: kind = "a floating-point number"; break;
    default: kind = "a number"; break;
  }
  return std::string(kind) + " " + text;
}

// Typed access to one JSON object with errors that name the file and the (dotted) key.
class Fields {
 public:
  Fields(const json& object, std::string source, std::string prefix = "")
      : object_(object), source_(std::move(source)), prefix_(std::move(prefix)) {}

  // The value of `key`, or nullptr when absent or null (transformers treats both as "use the
  // default" for the optional keys read through here).
  const json* find(const std::string& key) const {
    auto it = object_.find(key);
    if (it == object_.end() || it->is_null()) return nullptr;
    return &*it;
  }
  bool present(const std::string& key) const { return object_.contains(key); }

  [[noreturn]] void fail(const std::string& key, const std::string& message) const {
    throw Error(source_ + ": key '" + prefix_ + key + "' " + message);
  }
  const json& required(const std::string& key, const char* expected) const {
    auto it = object_.find(key);
    if (it == object_.end()) fail(key, std::string("is missing (expected ") + expected + ")");
    return *it;
  }

  int64_t as_int(const std::string& key, const json& value, const char* expected) const {
    if (value.is_number_unsigned() &&
        value.get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max()))
      fail(key, std::string("must be ") + expected + ", found " + value.dump() + " (too large)");
    if (!value.is_number_integer())
      fail(key, std::string("must be ") + expected + ", found " + describe(value));
    return value.get<int64_t>();
  }
  int64_t positive_int(const std::string& key, const json& value) const {
    int64_t n = as_int(key, value, "a positive integer");
    if (n <= 0) fail(key, "must be a positive integer, found " + std::to_string(n));
    return n;
  }
  int64_t required_positive_int(const std::string& key) const {
    return positive_int(key, required(key, "a positive integer"));
  }
  int64_t positive_int_or(const std::string& key, int64_t fallback) const {
    const json* value = find(key);
    return value ? positive_int(key, *value) : fallback;
  }

  double positive_number(const std::string& key, const json& value) const {
    if (!value.is_number()) fail(key, "must be a positive number, found " + describe(value));
    double x = value.get<double>();
    if (!(x > 0) || !std::isfinite(x))
      fail(key, "must be a positive number, found " + value.dump());
    return x;
  }
  double positive_number_or(const std::string& key, double fallback) const {
    const json* value = find(key);
    return value ? positive_number(key, *value) : fallback;
  }

  bool boolean_or(const std::string& key, bool fallback) const {
    const json* value = find(key);
    if (!value) return fallback;
    if (!value->is_boolean()) fail(key, "must be true or false, found " + describe(*value));
    return value->get<bool>();
  }
  std::string string_or(const std::string& key, const std::string& fallback) const {
    const json* value = find(key);
    if (!value) return fallback;
    if (!value->is_string()) fail(key, "must be a string, found " + describe(*value));
    return value->get<std::string>();
  }

  // bos_token_id / eos_token_id: absent → `fallback`; null → none; an id or a list of ids.
  std::vector<int64_t> token_ids(const std::string& key, std::vector<int64_t> fallback) const {
    if (!present(key)) return fallback;
    const json& value = object_.at(key);
    if (value.is_null()) return {};
    const char* expected = "a token id (integer >= 0), a list of token ids or null";
    std::vector<int64_t> ids;
    auto add = [&](const json& item) {
      int64_t id = as_int(key, item, expected);
      if (id < 0) fail(key, std::string("must be ") + expected + ", found " + std::to_string(id));
      ids.push_back(id);
    };
    if (value.is_array())
      for (const auto& item : value) add(item);
    else
      add(value);
    return ids;
  }

  const std::string& source() const { return source_; }
  const std::string& prefix() const { return prefix_; }

 private:
  const json& object_;
  std::string source_;
  std::string prefix_;
};

Architecture parse_architecture(const Fields& fields) {
  const json& list = fields.required("architectures", "a list such as [\"LlamaForCausalLM\"]");
  if (!list.is_array() || list.empty() || !list[0].is_string())
    fields.fail("architectures",
                "must be a non-empty list of names such as [\"LlamaForCausalLM\"], found " +
                    describe(list));
  const std::string name = list[0].get<std::string>();
  for (Architecture arch : kArchitectures)
    if (name == architecture_name(arch)) return arch;
  std::string supported;
  for (Architecture arch : kArchitectures)
    supported += std::string(supported.empty() ? "" : ", ") + architecture_name(arch);
  fields.fail("architectures", "names the unsupported architecture '" + name +
                                   "'; supported: " + supported);
}

// One rope scaling dict (legacy `rope_scaling` or the newer `rope_parameters`).
RopeScaling parse_rope_scaling(const Fields& outer, const std::string& key, const json& value) {
  if (!value.is_object())
    outer.fail(key, "must be an object such as {\"rope_type\": \"llama3\", ...} or null, found " +
                        describe(value));
  Fields fields(value, outer.source(), outer.prefix() + key + ".");
  // transformers' old name for the key is "type"; a dict without either means the default RoPE.
  std::string type_key = fields.present("rope_type") ? "rope_type" : "type";
  std::string type = fields.string_or(type_key, "default");
  RopeScaling scaling;
  if (type == "default") return scaling;
  if (type != "llama3")
    fields.fail(type_key, "names the unsupported RoPE scaling '" + type +
                              "'; supported: " + kSupportedRopeTypes);
  scaling.type = "llama3";
  scaling.factor = fields.positive_number("factor", fields.required("factor", "a number"));
  scaling.low_freq_factor =
      fields.positive_number("low_freq_factor", fields.required("low_freq_factor", "a number"));
  scaling.high_freq_factor =
      fields.positive_number("high_freq_factor", fields.required("high_freq_factor", "a number"));
  scaling.original_max_position_embeddings =
      fields.required_positive_int("original_max_position_embeddings");
  // The smoothing between the two bands divides by (high - low).
  if (scaling.high_freq_factor <= scaling.low_freq_factor)
    fields.fail("high_freq_factor", "must be greater than low_freq_factor (" +
                                        json(scaling.low_freq_factor).dump() + "), found " +
                                        json(scaling.high_freq_factor).dump());
  return scaling;
}

void parse_rope(const Fields& fields, ModelConfig& config) {
  config.rope_theta = fields.positive_number_or("rope_theta", 10000.0);
  if (const json* parameters = fields.find("rope_parameters")) {
    // transformers >= 5 writes {"rope_type", "rope_theta", ...} here instead of the two keys.
    if (parameters->is_object())
      for (const auto& [name, item] : parameters->items())
        if (item.is_object())
          fields.fail("rope_parameters." + name,
                      "is a per-layer-type RoPE setting, which LLaMA-family models do not use");
    config.rope_scaling = parse_rope_scaling(fields, "rope_parameters", *parameters);
    Fields inner(*parameters, fields.source(), "rope_parameters.");
    config.rope_theta = inner.positive_number_or("rope_theta", config.rope_theta);
    return;
  }
  if (const json* scaling = fields.find("rope_scaling"))
    config.rope_scaling = parse_rope_scaling(fields, "rope_scaling", *scaling);
}

// Keys whose defaults differ per architecture (transformers' config class signatures).
struct ArchDefaults {
  std::optional<int64_t> kv_heads;  // nullopt: equal to num_attention_heads
  int64_t max_position_embeddings;
  std::vector<int64_t> bos, eos;
};

ArchDefaults defaults_for(Architecture arch) {
  switch (arch) {
    case Architecture::Mistral: return {8, 4096 * 32, {1}, {2}};
    case Architecture::Qwen2: return {32, 32768, {}, {}};
    case Architecture::Llama: break;
  }
  return {std::nullopt, 2048, {1}, {2}};
}

// Mistral/Qwen2 `sliding_window`: absent → 4096 (both classes' default), null → no window.
std::optional<int64_t> parse_sliding_window(const Fields& fields) {
  if (!fields.present("sliding_window")) return 4096;
  if (!fields.find("sliding_window")) return std::nullopt;
  return fields.positive_int_or("sliding_window", 0);
}

}  // namespace

ModelConfig ModelConfig::parse(const std::string& json_text, const std::string& source) {
  json root;
  try {
    root = json::parse(json_text);
  } catch (const json::parse_error& error) {
    std::string what = error.what();
    auto bracket = what.find("] ");  // drop nlohmann's "[json.exception.parse_error.101] "
    throw Error(source + ": not valid JSON: " +
                (bracket == std::string::npos ? what : what.substr(bracket + 2)));
  }
  if (!root.is_object())
    throw Error(source + ": expected a JSON object with the model's settings, found " +
                describe(root));
  Fields fields(root, source);

  ModelConfig config;
  config.architecture = parse_architecture(fields);
  const ArchDefaults defaults = defaults_for(config.architecture);

  config.hidden_size = fields.required_positive_int("hidden_size");
  config.intermediate_size = fields.required_positive_int("intermediate_size");
  config.num_hidden_layers = fields.required_positive_int("num_hidden_layers");
  config.num_attention_heads = fields.required_positive_int("num_attention_heads");
  config.vocab_size = fields.required_positive_int("vocab_size");

  // Absent and null differ for Mistral/Qwen2: absent takes the class default (8 / 32), null
  // means "as many as the query heads" in every class.
  if (!fields.present("num_key_value_heads") && defaults.kv_heads)
    config.num_key_value_heads = *defaults.kv_heads;
  else
    config.num_key_value_heads =
        fields.positive_int_or("num_key_value_heads", config.num_attention_heads);
  if (config.num_attention_heads % config.num_key_value_heads != 0)
    fields.fail("num_key_value_heads",
                "(" + std::to_string(config.num_key_value_heads) +
                    (fields.present("num_key_value_heads") ? "" : ", the default for " +
                         std::string(architecture_name(config.architecture))) +
                    ") must divide num_attention_heads (" +
                    std::to_string(config.num_attention_heads) + ")");

  if (fields.find("head_dim")) {
    config.head_dim = fields.positive_int_or("head_dim", 0);
  } else {
    if (config.hidden_size % config.num_attention_heads != 0)
      fields.fail("num_attention_heads",
                  "(" + std::to_string(config.num_attention_heads) + ") must divide hidden_size (" +
                      std::to_string(config.hidden_size) + ") when head_dim is not given");
    config.head_dim = config.hidden_size / config.num_attention_heads;
  }

  config.rms_norm_eps = fields.positive_number_or("rms_norm_eps", 1e-6);
  parse_rope(fields, config);
  config.max_position_embeddings =
      fields.positive_int_or("max_position_embeddings", defaults.max_position_embeddings);
  config.tie_word_embeddings = fields.boolean_or("tie_word_embeddings", false);

  switch (config.architecture) {
    case Architecture::Llama:
      config.attention_bias = fields.boolean_or("attention_bias", false);
      config.mlp_bias = fields.boolean_or("mlp_bias", false);
      break;
    case Architecture::Mistral:
      // MistralConfig has no bias keys; its layers never have biases.
      config.sliding_window = parse_sliding_window(fields);
      break;
    case Architecture::Qwen2:
      config.attention_bias = true;  // Qwen2's q/k/v projections always carry a bias
      if (fields.boolean_or("use_sliding_window", false))
        config.sliding_window = parse_sliding_window(fields);
      break;
  }

  // transformers >= 5 writes "dtype", older versions "torch_dtype".
  config.torch_dtype =
      fields.string_or("torch_dtype", fields.string_or("dtype", config.torch_dtype));
  config.bos_token_ids = fields.token_ids("bos_token_id", defaults.bos);
  config.eos_token_ids = fields.token_ids("eos_token_id", defaults.eos);
  return config;
}

ModelConfig ModelConfig::load(const std::string& config_path) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(config_path, error))
    throw Error(config_path + ": no such file (expected a Hugging Face config.json)");
  std::ifstream in(config_path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in && !in.eof()) throw Error(config_path + ": cannot be read");
  return parse(text.str(), config_path);
}

std::string ModelConfig::to_json() const {
  auto ids = [](const std::vector<int64_t>& list) -> json {
    if (list.empty()) return nullptr;
    if (list.size() == 1) return list[0];
    return list;
  };
  json out = {
      {"architectures", {architecture_name(architecture)}},
      {"model_type", model_type(architecture)},
      {"hidden_act", "silu"},
      {"hidden_size", hidden_size},
      {"intermediate_size", intermediate_size},
      {"num_hidden_layers", num_hidden_layers},
      {"num_attention_heads", num_attention_heads},
      {"num_key_value_heads", num_key_value_heads},
      {"head_dim", head_dim},
      {"rms_norm_eps", rms_norm_eps},
      {"rope_theta", rope_theta},
      {"rope_scaling", nullptr},
      {"max_position_embeddings", max_position_embeddings},
      {"vocab_size", vocab_size},
      {"tie_word_embeddings", tie_word_embeddings},
      {"torch_dtype", torch_dtype},
      {"bos_token_id", ids(bos_token_ids)},
      {"eos_token_id", ids(eos_token_ids)},
      {"use_cache", true},
  };
  if (!rope_scaling.type.empty())
    out["rope_scaling"] = {
        {"rope_type", rope_scaling.type},
        {"factor", rope_scaling.factor},
        {"low_freq_factor", rope_scaling.low_freq_factor},
        {"high_freq_factor", rope_scaling.high_freq_factor},
        {"original_max_position_embeddings", rope_scaling.original_max_position_embeddings}};
  switch (architecture) {
    case Architecture::Llama:
      out["attention_bias"] = attention_bias;
      out["mlp_bias"] = mlp_bias;
      break;
    case Architecture::Mistral:
      out["sliding_window"] = sliding_window ? json(*sliding_window) : json(nullptr);
      break;
    case Architecture::Qwen2:
      out["use_sliding_window"] = sliding_window.has_value();
      out["sliding_window"] = sliding_window ? json(*sliding_window) : json(nullptr);
      break;
  }
  return out.dump(2) + "\n";  // sorted keys, indent 2: how transformers writes it
}

}  // namespace loralab
