// Discovery of the files in a Hugging Face model folder: config, safetensors weights (single or
// sharded), tokenizer and generation config. Pickle checkpoints are refused, never opened.
#include <algorithm>
#include <filesystem>

#include "loralab/error.h"
#include "loralab/model_config.h"

namespace loralab {

namespace fs = std::filesystem;

namespace {

bool is_file(const fs::path& path) {
  std::error_code error;
  return fs::is_regular_file(path, error);
}

// The *.safetensors files of a folder, sorted, for the "no weights" message.
std::vector<std::string> safetensors_files(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code error;
  for (fs::directory_iterator it(dir, error), end; !error && it != end; it.increment(error))
    if (it->path().extension() == ".safetensors") names.push_back(it->path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

ModelFolder ModelFolder::discover(const std::string& dir) {
  std::error_code error;
  const fs::path root(dir);
  if (!fs::exists(root, error)) throw Error("model folder " + dir + " does not exist");
  if (!fs::is_directory(root, error))
    throw Error(dir + " is not a folder (expected a Hugging Face model folder with config.json "
                      "and model.safetensors)");

  ModelFolder folder;
  folder.dir = dir;
  const fs::path config = root / "config.json";
  if (!is_file(config))
    throw Error("model folder " + dir + " has no config.json (a Hugging Face model folder holds "
                "config.json and model.safetensors)");
  folder.config_path = config.string();

  // transformers looks for the single file first, then the sharded index.
  if (is_file(root / "model.safetensors")) {
    folder.weights_path = (root / "model.safetensors").string();
  } else if (is_file(root / "model.safetensors.index.json")) {
    folder.weights_path = (root / "model.safetensors.index.json").string();
  } else {
    std::string message =
        "model folder " + dir + " has no model.safetensors nor model.safetensors.index.json";
    if (is_file(root / "pytorch_model.bin") || is_file(root / "pytorch_model.bin.index.json")) {
      message += "; it holds pytorch_model.bin, a pickle file, and pickle .bin files are refused "
                 "(loading one can run arbitrary code): convert the model to safetensors first";
    } else if (auto others = safetensors_files(root); !others.empty()) {
      message += "; found";
      for (const auto& name : others) message += " " + name;
      message += ", but a model's weights must be named model.safetensors (or be listed in "
                 "model.safetensors.index.json)";
    }
    throw Error(message);
  }

  // Tokenizer: the fast-tokenizer file, else the GPT-2 style pair (the folder stands for both).
  if (is_file(root / "tokenizer.json"))
    folder.tokenizer_path = (root / "tokenizer.json").string();
  else if (is_file(root / "vocab.json") && is_file(root / "merges.txt"))
    folder.tokenizer_path = root.string();
  if (is_file(root / "generation_config.json"))
    folder.generation_config_path = (root / "generation_config.json").string();
  return folder;
}

}  // namespace loralab
