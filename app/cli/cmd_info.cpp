// `loralab-cli info MODEL_DIR`: what a Hugging Face model folder holds — the architecture and sizes
// from config.json, the parameter count and stored dtype from the safetensors headers — without
// loading any weights.
#include <iostream>
#include <map>

#include <nlohmann/json.hpp>

#include "args.h"
#include "commands.h"
#include "loralab/error.h"
#include "loralab/model_config.h"
#include "loralab/safetensors.h"

namespace loralab::cli {
namespace {

std::string model_dir(const Args& args) {
  const auto& positionals = args.positionals();
  if (args.has("model")) {
    if (!positionals.empty())
      throw Error("give the model folder once: either MODEL_DIR or --model, not both");
    return args.required("model");
  }
  if (positionals.size() > 1)
    throw Error("expected one MODEL_DIR, got " + std::to_string(positionals.size()) +
                " arguments (" + positionals[0] + ", " + positionals[1] + ", ...)");
  return args.positional(0, "MODEL_DIR");
}

int run_info(const std::vector<std::string>& argv) {
  Args args(argv);
  args.reject_unknown({"model"});
  const ModelFolder folder = ModelFolder::discover(model_dir(args));
  const ModelConfig config = ModelConfig::load(folder.config_path);
  const st::ShardedFiles weights = st::ShardedFiles::open(folder.weights_path);

  // Element counts per stored dtype; real checkpoints may keep a few tensors (norms) wider.
  int64_t params = 0;
  std::map<std::string, int64_t> per_dtype;
  for (const auto& name : weights.names()) {
    const st::TensorInfo& info = *weights.tensor(name).info;
    params += info.numel();
    per_dtype[st::dtype_name(info.dtype)] += info.numel();
  }
  nlohmann::json dtype = nullptr;  // the dtype holding most elements; null for an empty file
  int64_t most = -1;
  for (const auto& [name, count] : per_dtype)
    if (count > most) most = count, dtype = name;

  nlohmann::json out = {
      {"architecture", architecture_name(config.architecture)},
      {"layers", config.num_hidden_layers},
      {"hidden", config.hidden_size},
      {"heads", config.num_attention_heads},
      {"kv_heads", config.num_key_value_heads},
      {"head_dim", config.head_dim},
      {"intermediate", config.intermediate_size},
      {"vocab", config.vocab_size},
      {"params", params},
      {"dtype", dtype},
      {"dtypes", per_dtype},
      {"tie_word_embeddings", config.tie_word_embeddings},
      {"attention_bias", config.attention_bias},
      {"max_position_embeddings", config.max_position_embeddings},
      {"rope_theta", config.rope_theta},
      {"rope_scaling", config.rope_scaling.type.empty() ? nlohmann::json(nullptr)
                                                        : nlohmann::json(config.rope_scaling.type)},
      {"weights", folder.weights_path},
      {"tokenizer", folder.tokenizer_path ? nlohmann::json(*folder.tokenizer_path)
                                          : nlohmann::json(nullptr)},
  };
  std::cout << out.dump() << "\n";
  return 0;
}

const CommandRegistrar kRegistrar(
    "info",
    {"architecture, sizes, parameter count and dtype of a model folder (JSON)",
     "usage: loralab-cli info MODEL_DIR   (or --model MODEL_DIR)\n"
     "Reads config.json and the safetensors headers of a Hugging Face model folder and prints\n"
     "{architecture, layers, hidden, heads, kv_heads, head_dim, intermediate, vocab, params,\n"
     " dtype, dtypes, tie_word_embeddings, attention_bias, max_position_embeddings, rope_theta,\n"
     " rope_scaling, weights, tokenizer}. No weights are loaded.",
     run_info});

}  // namespace
}  // namespace loralab::cli
