// Checkpoint folders; see checkpoint.h.
#include "train/checkpoint.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "io/tensor_convert.h"
#include "loralab/atomic_file.h"
#include "loralab/error.h"
#include "loralab/safetensors.h"

namespace fs = std::filesystem;

namespace loralab::training {

void write_checkpoint(const std::string& dir, const CheckpointData& data) {
  const fs::path target = fs::absolute(dir).lexically_normal();
  const fs::path staging = target.parent_path() / (target.filename().string() + ".partial");
  const fs::path previous = target.parent_path() / (target.filename().string() + ".old");
  std::error_code ec;
  fs::remove_all(staging, ec);
  fs::create_directories(staging, ec);
  if (ec) throw Error("cannot create checkpoint folder " + staging.string() + ": " + ec.message());
  io::TensorWriteSet tensors;
  for (const auto& [name, tensor] : data.tensors) tensors.add(name, tensor);
  st::write((staging / "state.safetensors").string(), tensors.entries());
  write_text_file_atomic((staging / "trainer_state.json").string(), data.state.dump(2));
  // Swap folders so that a crash leaves either the old or the new checkpoint complete.
  fs::remove_all(previous, ec);
  if (fs::exists(target)) fs::rename(target, previous);
  fs::rename(staging, target);
  fs::remove_all(previous, ec);
}

CheckpointData read_checkpoint(const std::string& dir) {
  fs::path folder(dir);
  if (!fs::is_directory(folder)) {
    // A crash between the two renames leaves only the .old folder.
    fs::path previous = folder.string() + ".old";
    if (fs::is_directory(previous)) folder = previous;
    else throw Error("checkpoint folder " + dir + " does not exist");
  }
  const auto state_path = (folder / "trainer_state.json").string();
  std::ifstream in(state_path);
  if (!in) throw Error(state_path + ": cannot read the trainer state");
  std::stringstream text;
  text << in.rdbuf();
  CheckpointData data;
  try {
    data.state = nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::exception& e) {
    throw Error(state_path + ": not valid JSON: " + e.what());
  }
  const auto tensors_path = (folder / "state.safetensors").string();
  auto file = st::File::open(tensors_path);
  for (const auto& name : file.names()) {
    auto view = file.tensor(name);
    data.tensors[name] = io::to_tensor(view, io::scalar_type_of(view.info->dtype), tensors_path);
  }
  return data;
}

}  // namespace loralab::training
