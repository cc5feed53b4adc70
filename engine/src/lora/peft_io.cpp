// Reading and writing PEFT LoRA adapter folders; see peft_io.h.
#include "lora/peft_io.h"

#include <unistd.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "io/json_strict.h"
#include "io/tensor_convert.h"
#include "lora/targeting.h"
#include "loralab/atomic_file.h"
#include "loralab/error.h"
#include "loralab/safetensors.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace loralab::lora {
namespace {

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + "]";
}

// `value` as a short string for "got ..." messages.
std::string found(const json& value) {
  std::string text = value.dump();
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return io::json_type_name(value) + " " + text;
}

// Config fields with the file and key in every error.
class ConfigReader {
 public:
  ConfigReader(const json& config, std::string file) : config_(config), file_(std::move(file)) {}

  [[noreturn]] void fail(const std::string& key, const std::string& what) const {
    throw Error(file_ + ": " + key + ": " + what);
  }
  // Absent and null read the same: PEFT writes null for "not set".
  const json* get(const std::string& key) const {
    auto it = config_.find(key);
    return it == config_.end() || it->is_null() ? nullptr : &*it;
  }
  int64_t integer(const std::string& key, const json& value) const {
    if (value.is_number_integer()) return value.get<int64_t>();
    if (value.is_number_float()) {
      double d = value.get<double>();
      if (std::isfinite(d) && d == std::floor(d) && std::abs(d) < 9e15) return int64_t(d);
    }
    fail(key, "expected an integer, got " + found(value));
  }
  double number(const std::string& key, const json& value) const {
    if (!value.is_number()) fail(key, "expected a number, got " + found(value));
    return value.get<double>();
  }
  bool boolean(const std::string& key, bool fallback) const {
    const json* v = get(key);
    if (!v) return fallback;
    if (!v->is_boolean()) fail(key, "expected true or false, got " + found(*v));
    return v->get<bool>();
  }
  std::string string(const std::string& key, const std::string& fallback) const {
    const json* v = get(key);
    if (!v) return fallback;
    if (!v->is_string()) fail(key, "expected a string, got " + found(*v));
    return v->get<std::string>();
  }

 private:
  const json& config_;
  std::string file_;
};

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open the file");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw Error(path + ": read error");
  return text.str();
}

LoraSpec parse_config(const json& config, const std::string& file) {
  if (!config.is_object()) throw Error(file + ": expected a JSON object, got " + found(config));
  ConfigReader c(config, file);
  LoraSpec spec;

  const json* peft_type = c.get("peft_type");
  if (!peft_type) c.fail("peft_type", "missing, expected \"LORA\"");
  if (!peft_type->is_string() || peft_type->get<std::string>() != "LORA")
    c.fail("peft_type", "only \"LORA\" adapters are supported, got " + found(*peft_type));

  if (const json* r = c.get("r")) {
    spec.rank = c.integer("r", *r);
    if (spec.rank <= 0) c.fail("r", "expected an integer > 0, got " + std::to_string(spec.rank));
  }
  if (const json* alpha = c.get("lora_alpha")) {
    spec.alpha = c.number("lora_alpha", *alpha);
    if (!std::isfinite(spec.alpha)) c.fail("lora_alpha", "expected a finite number");
  }
  if (const json* dropout = c.get("lora_dropout")) spec.dropout = c.number("lora_dropout", *dropout);

  if (const json* targets = c.get("target_modules")) {
    if (targets->is_string()) {
      // PEFT reads a string as a regex matched against the whole path, except this one preset.
      std::string text = targets->get<std::string>();
      if (text == "all-linear") spec.target_modules = {"all-linear"};
      else spec.target_regex = text;
    } else if (targets->is_array()) {
      spec.target_modules.clear();
      for (const auto& item : *targets) {
        if (!item.is_string() || item.get<std::string>().empty())
          c.fail("target_modules", "expected module names (strings), got " + found(item));
        spec.target_modules.push_back(item.get<std::string>());
      }
      if (spec.target_modules.empty()) c.fail("target_modules", "the list is empty");
    } else {
      c.fail("target_modules", "expected a list of module names or a regex string, got " + found(*targets));
    }
  }

  if (const json* layers = c.get("layers_to_transform")) {
    auto add = [&](const json& item) {
      int64_t layer = c.integer("layers_to_transform", item);
      if (layer < 0) c.fail("layers_to_transform", "expected layer indices ≥ 0, got " + std::to_string(layer));
      spec.layers_to_transform.push_back(layer);
    };
    if (layers->is_array()) {
      for (const auto& item : *layers) add(item);
    } else {
      add(*layers);
    }
  }
  // Layer indices are found after "layers." in the module path; other patterns would need
  // architecture knowledge this reader does not have.
  if (const json* pattern = c.get("layers_pattern")) {
    bool ok = (pattern->is_string() && pattern->get<std::string>() == "layers") ||
              (pattern->is_array() && pattern->size() == 1 && (*pattern)[0] == "layers") ||
              (pattern->is_array() && pattern->empty());
    if (!ok) c.fail("layers_pattern", "only \"layers\" is supported, got " + found(*pattern));
  }

  if (const json* ranks = c.get("rank_pattern")) {
    if (!ranks->is_object()) c.fail("rank_pattern", "expected an object {pattern: rank}, got " + found(*ranks));
    for (const auto& [key, value] : ranks->items()) {
      int64_t r = c.integer("rank_pattern[\"" + key + "\"]", value);
      if (r <= 0) c.fail("rank_pattern[\"" + key + "\"]", "expected a rank > 0, got " + std::to_string(r));
      spec.rank_pattern[key] = r;
    }
  }
  if (const json* alphas = c.get("alpha_pattern")) {
    if (!alphas->is_object()) c.fail("alpha_pattern", "expected an object {pattern: alpha}, got " + found(*alphas));
    for (const auto& [key, value] : alphas->items())
      spec.alpha_pattern[key] = c.number("alpha_pattern[\"" + key + "\"]", value);
  }
  spec.rslora = c.boolean("use_rslora", false);

  // What would change the math beyond W0 + s·B·A is refused rather than silently dropped.
  if (c.boolean("use_dora", false))
    c.fail("use_dora", "DoRA adapters are not supported (only plain LoRA; expected false)");
  if (std::string bias = c.string("bias", "none"); bias != "none")
    c.fail("bias", "only \"none\" is supported, got \"" + bias + "\" (the adapter trains biases)");
  if (c.boolean("fan_in_fan_out", false))
    c.fail("fan_in_fan_out", "true (Conv1D-style transposed weights) is not supported");
  if (c.boolean("lora_bias", false)) c.fail("lora_bias", "LoRA biases are not supported (expected false)");
  if (const json* save = c.get("modules_to_save"); save && !(save->is_array() && save->empty()))
    c.fail("modules_to_save", "fully trained extra modules are not supported, got " + found(*save));
  if (const json* replication = c.get("layer_replication"))
    c.fail("layer_replication", "is not supported, got " + found(*replication));

  if (const json* init = c.get("init_lora_weights")) {
    if (init->is_boolean()) {
      spec.init = "default";  // false (random B) matters only for training from scratch
    } else if (init->is_string()) {
      std::string name = init->get<std::string>();
      if (name == "gaussian") spec.init = "gaussian";
      else if (name == "pissa" || name.rfind("pissa_niter_", 0) == 0) spec.init = "pissa";
      else c.fail("init_lora_weights", "expected true, false, \"gaussian\" or \"pissa\", got \"" + name + "\"");
    } else {
      c.fail("init_lora_weights", "expected true, false or a method name, got " + found(*init));
    }
  }
  spec.base_model_name_or_path = c.string("base_model_name_or_path", "");

  try {
    spec.validate();
  } catch (const Error& e) {
    throw Error(file + ": " + e.what());
  }
  return spec;
}

torch::Tensor load_float(const st::TensorView& view, const std::string& file) {
  const st::DType dtype = view.info->dtype;
  if (dtype != st::DType::F32 && dtype != st::DType::F16 && dtype != st::DType::BF16 &&
      dtype != st::DType::F64)
    throw Error(file + ": tensor " + view.info->name + " has dtype " + st::dtype_name(dtype) +
                ", expected F32, F16 or BF16");
  auto tensor = io::to_tensor(view, torch::kFloat32, file);
  if (!torch::isfinite(tensor).all().item<bool>())
    throw Error(file + ": tensor " + view.info->name + " holds NaN or infinite values");
  return tensor;
}

}  // namespace

PeftAdapter read_peft_adapter(const std::string& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) throw Error("adapter folder " + dir + " does not exist");
  if (!fs::is_directory(dir, ec)) throw Error(dir + ": expected an adapter folder, found a file");
  const std::string config_file = (fs::path(dir) / kPeftConfigFile).string();
  const std::string weights_file = (fs::path(dir) / kPeftWeightsFile).string();
  if (!fs::exists(config_file, ec))
    throw Error(config_file + ": file not found (a PEFT adapter folder holds " + kPeftConfigFile +
                " and " + kPeftWeightsFile + ")");
  if (!fs::exists(weights_file, ec)) {
    if (fs::exists(fs::path(dir) / "adapter_model.bin", ec))
      throw Error(weights_file + ": file not found; only safetensors adapters are read, not " +
                  "adapter_model.bin (convert it with PEFT's save_pretrained(safe_serialization=True))");
    throw Error(weights_file + ": file not found");
  }

  PeftAdapter adapter;
  adapter.spec = parse_config(io::parse_json_strict(read_text(config_file), config_file), config_file);

  auto file = st::File::open(weights_file);
  for (const auto& [key, value] : file.header().metadata)
    if (key != "format") adapter.metadata[key] = value;

  // base_model.model.<module>.lora_A.weight; older in-memory state dicts carry the adapter's
  // name before ".weight", accepted when it is the same everywhere.
  static const std::regex kKey(R"(^base_model\.model\.(.+)\.lora_(A|B)(?:\.([A-Za-z0-9_\-]+))?\.weight$)");
  std::map<std::string, std::pair<std::string, std::string>> pairs;  // module → (A name, B name)
  std::optional<std::string> adapter_name;
  for (const auto& name : file.names()) {
    std::smatch match;
    if (!std::regex_match(name, match, kKey))
      throw Error(weights_file + ": unexpected tensor " + name + " (a LoRA adapter holds only " +
                  kPeftKeyPrefix + "<module>.lora_A.weight and .lora_B.weight)");
    std::string suffix = match[3].matched ? match[3].str() : "";
    if (adapter_name && *adapter_name != suffix)
      throw Error(weights_file + ": tensor " + name + " mixes adapter names ('" + suffix + "' and '" +
                  *adapter_name + "')");
    adapter_name = suffix;
    auto& slot = pairs[match[1].str()];
    (match[2] == "A" ? slot.first : slot.second) = name;
  }
  if (pairs.empty()) throw Error(weights_file + ": the adapter holds no LoRA tensors");

  for (const auto& [module, names] : pairs) {
    const std::string key = kPeftKeyPrefix + module;
    if (names.second.empty())
      throw Error(weights_file + ": " + names.first + " has no matching lora_B tensor for module " + module);
    if (names.first.empty())
      throw Error(weights_file + ": " + names.second + " has no matching lora_A tensor for module " + module);
    if (!module_targeted(adapter.spec, module))
      throw Error(weights_file + ": tensor " + names.first + " adapts " + module + ", which " +
                  kPeftConfigFile + " does not target (target_modules / layers_to_transform)");
    const int64_t rank = rank_for(adapter.spec, module);
    auto a_view = file.tensor(names.first);
    auto b_view = file.tensor(names.second);
    const auto& a_shape = a_view.info->shape;
    const auto& b_shape = b_view.info->shape;
    const std::string rank_note = " (r = " + std::to_string(rank) + " for " + module + ")";
    if (a_shape.size() != 2 || a_shape[0] != rank || a_shape[1] <= 0)
      throw Error(weights_file + ": tensor " + names.first + " has shape " + shape_text(a_shape) +
                  ", expected [" + std::to_string(rank) + ", in_features]" + rank_note);
    if (b_shape.size() != 2 || b_shape[1] != rank || b_shape[0] <= 0)
      throw Error(weights_file + ": tensor " + names.second + " has shape " + shape_text(b_shape) +
                  ", expected [out_features, " + std::to_string(rank) + "]" + rank_note);
    adapter.modules.push_back({module, load_float(a_view, weights_file), load_float(b_view, weights_file)});
  }
  return adapter;
}

namespace {

// Integral values print as integers, as Python writes lora_alpha = 16.
json number_json(double value) {
  if (value == std::floor(value) && std::abs(value) < 9e15) return json(int64_t(value));
  return json(value);
}

json config_json(const LoraSpec& spec) {
  json config = json::object();
  config["alpha_pattern"] = json::object();
  for (const auto& [key, alpha] : spec.alpha_pattern) config["alpha_pattern"][key] = number_json(alpha);
  config["auto_mapping"] = nullptr;
  config["base_model_name_or_path"] =
      spec.base_model_name_or_path.empty() ? json(nullptr) : json(spec.base_model_name_or_path);
  config["bias"] = "none";
  config["fan_in_fan_out"] = false;
  config["inference_mode"] = true;
  config["init_lora_weights"] = spec.init == "default" ? json(true) : json(spec.init);
  config["layers_pattern"] = nullptr;
  config["layers_to_transform"] =
      spec.layers_to_transform.empty() ? json(nullptr) : json(spec.layers_to_transform);
  config["loftq_config"] = json::object();
  config["lora_alpha"] = number_json(spec.alpha);
  config["lora_dropout"] = spec.dropout;
  config["megatron_config"] = nullptr;
  config["megatron_core"] = "megatron.core";
  config["modules_to_save"] = nullptr;
  config["peft_type"] = "LORA";
  config["r"] = spec.rank;
  config["rank_pattern"] = json::object();
  for (const auto& [key, rank] : spec.rank_pattern) config["rank_pattern"][key] = rank;
  config["revision"] = nullptr;
  if (!spec.target_regex.empty()) {
    config["target_modules"] = spec.target_regex;
  } else if (spec.target_modules == std::vector<std::string>{"all-linear"}) {
    config["target_modules"] = "all-linear";  // PEFT's own preset, only valid as the whole value
  } else {
    // LoRA Lab's presets (attention-qv, ...) mean nothing to PEFT: write the module names.
    auto names = expand_targets(spec.target_modules);
    std::sort(names.begin(), names.end());
    config["target_modules"] = names;
  }
  config["task_type"] = "CAUSAL_LM";
  config["use_dora"] = false;
  config["use_rslora"] = spec.rslora;
  return config;  // nlohmann::json keeps object keys sorted, as PEFT's sort_keys=True does
}

// A unique hidden name inside `folder`; same file system as the target, so rename() is atomic.
fs::path temp_path(const fs::path& folder, const std::string& stem) {
  static std::atomic<int> counter{0};
  return folder / ("." + stem + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
}

}  // namespace

void write_peft_adapter(const std::string& dir, const PeftAdapter& adapter) {
  try {
    adapter.spec.validate();
  } catch (const Error& e) {
    throw Error(dir + ": cannot write the adapter: " + e.what());
  }
  if (adapter.modules.empty()) throw Error(dir + ": cannot write an adapter without modules");
  const std::string weights_name = std::string(kPeftKeyPrefix);
  io::TensorWriteSet tensors;
  std::set<std::string> seen;
  for (const auto& m : adapter.modules) {
    if (!seen.insert(m.module).second) throw Error(dir + ": module " + m.module + " is given twice");
    const int64_t rank = rank_for(adapter.spec, m.module);
    if (!module_targeted(adapter.spec, m.module))
      throw Error(dir + ": module " + m.module + " is not selected by the adapter's targets");
    if (m.a.dim() != 2 || m.b.dim() != 2 || m.a.size(0) != rank || m.b.size(1) != rank)
      throw Error(dir + ": module " + m.module + ": lora_A " + shape_text(m.a.sizes().vec()) +
                  " / lora_B " + shape_text(m.b.sizes().vec()) + " do not fit rank " + std::to_string(rank));
    tensors.add(weights_name + m.module + ".lora_A.weight", m.a, torch::kFloat32);
    tensors.add(weights_name + m.module + ".lora_B.weight", m.b, torch::kFloat32);
  }
  std::map<std::string, std::string> metadata = adapter.metadata;
  metadata.erase("format");  // the safetensors writer owns it
  const std::string config_text = config_json(adapter.spec).dump(2);

  fs::path target = fs::path(dir).lexically_normal();
  if (target.filename().empty()) target = target.parent_path();  // "out/" → "out"
  std::error_code ec;
  if (fs::exists(target, ec) && !fs::is_directory(target, ec))
    throw Error(dir + ": exists and is not a folder");
  const bool fresh = !fs::exists(target, ec);
  if (fresh && !target.parent_path().empty()) fs::create_directories(target.parent_path(), ec);
  // Both files are complete before anything is renamed into the target.
  const fs::path temp = fresh ? temp_path(target.parent_path(), target.filename().string())
                              : temp_path(target, "adapter");
  if (!fs::create_directory(temp, ec)) throw Error(temp.string() + ": cannot create a folder: " + ec.message());
  try {
    st::write((temp / kPeftWeightsFile).string(), tensors.entries(), metadata);
    write_text_file_atomic((temp / kPeftConfigFile).string(), config_text);
    if (fresh) {
      fs::rename(temp, target);  // the whole folder appears at once
      return;
    }
    // Two renames, not one atomic step; but each file is whole at every moment.
    fs::rename(temp / kPeftWeightsFile, target / kPeftWeightsFile);
    fs::rename(temp / kPeftConfigFile, target / kPeftConfigFile);
    fs::remove(temp, ec);
  } catch (const fs::filesystem_error& e) {
    fs::remove_all(temp, ec);
    throw Error(dir + ": cannot write the adapter: " + e.what());
  } catch (...) {
    fs::remove_all(temp, ec);
    throw;
  }
}

}  // namespace loralab::lora
