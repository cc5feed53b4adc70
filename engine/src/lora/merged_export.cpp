// Export of a merged model: W0 + Σ λ_i s_i B_i A_i written as a new Hugging Face folder.
#include <filesystem>

#include "io/tensor_convert.h"
#include "loralab/atomic_file.h"
#include "loralab/error.h"
#include "loralab/lora.h"
#include "loralab/safetensors.h"
#include "model/model_impl.h"

namespace fs = std::filesystem;

namespace loralab {
namespace {

torch::ScalarType export_dtype(const Model& model, const std::string& dtype) {
  std::string chosen = dtype;
  if (chosen.empty() && model.folder().weights_path.empty()) chosen = "f32";
  if (chosen.empty()) {
    // The base's stored dtype: read it from its weights' header.
    auto files = st::ShardedFiles::open(model.folder().weights_path);
    auto view = files.tensor("model.embed_tokens.weight");
    chosen = st::dtype_name(view.info->dtype);
  }
  for (auto& c : chosen) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (chosen == "f32" || chosen == "fp32" || chosen == "float32") return torch::kFloat32;
  if (chosen == "bf16" || chosen == "bfloat16") return torch::kBFloat16;
  if (chosen == "f16" || chosen == "fp16" || chosen == "float16") return torch::kFloat16;
  throw Error("--dtype: expected f32, bf16 or f16, got '" + dtype + "'");
}

std::string torch_dtype_name(torch::ScalarType type) {
  if (type == torch::kBFloat16) return "bfloat16";
  if (type == torch::kFloat16) return "float16";
  return "float32";
}

// Parameter names of the LibTorch module → Hugging Face tensor names.
std::string hf_name(const std::string& name) {
  if (name == "embed_tokens") return "model.embed_tokens.weight";
  if (name.rfind("lm_head.", 0) == 0) return name;
  return "model." + name;
}

}  // namespace

void export_merged_model(Model& model, const std::string& out_dir, const std::string& dtype) {
  if (out_dir.empty()) throw Error("--out: no output folder given");
  if (fs::exists(out_dir) && !(fs::is_directory(out_dir) && fs::is_empty(out_dir)))
    throw Error(out_dir + " already exists and is not empty; choose another output folder");
  const auto stored = export_dtype(model, dtype);
  auto& impl = model.impl();

  // Build the complete folder beside the target, then rename it into place.
  fs::path target = fs::absolute(out_dir).lexically_normal();
  fs::path staging = target.parent_path() / ("." + target.filename().string() + ".partial");
  std::error_code ec;
  fs::remove_all(staging, ec);
  if (!fs::create_directories(staging, ec) && ec)
    throw Error("cannot create " + staging.string() + ": " + ec.message());
  try {
    torch::NoGradGuard no_grad;
    std::map<std::string, torch::Tensor> deltas;
    for (const auto& [path, layer] : impl.net->projections())
      if (!layer->merged() && !layer->adapters().empty()) deltas[path + ".weight"] = layer->delta_weight();
    io::TensorWriteSet tensors;
    for (const auto& item : impl.net->named_parameters()) {
      const std::string name = hf_name(item.key());
      auto value = item.value().detach();
      if (auto it = deltas.find(name); it != deltas.end())
        value = value.to(torch::kFloat32) + it->second;
      tensors.add(name, value, stored);
    }
    st::write((staging / "model.safetensors").string(), tensors.entries(),
              {{"loralab_merged_from", impl.folder.dir}});
    ModelConfig config = impl.config;
    config.torch_dtype = torch_dtype_name(stored);
    std::string config_text = config.to_json();
    write_text_file_atomic((staging / "config.json").string(), config_text);
    for (const char* extra : {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                              "vocab.json", "merges.txt", "generation_config.json"}) {
      fs::path from = fs::path(impl.folder.dir) / extra;
      if (fs::exists(from)) fs::copy_file(from, staging / extra);
    }
    if (fs::exists(target)) fs::remove(target);  // an empty folder, checked above
    fs::rename(staging, target);
  } catch (const fs::filesystem_error& e) {
    fs::remove_all(staging, ec);
    throw Error("cannot write merged model to " + out_dir + ": " + e.what());
  } catch (...) {
    fs::remove_all(staging, ec);
    throw;
  }
}

}  // namespace loralab
