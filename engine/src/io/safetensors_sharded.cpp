// Sharded models: model.safetensors.index.json's weight_map says which shard holds each tensor.
// Every shard is opened (and validated) up front so a broken download fails at load, not mid-run.
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "io/json_strict.h"
#include "io/mapped_file.h"
#include "loralab/error.h"
#include "loralab/safetensors.h"

namespace loralab::st {
namespace {

namespace fs = std::filesystem;

constexpr const char* kSingleName = "model.safetensors";
constexpr const char* kIndexName = "model.safetensors.index.json";

bool ends_with(const std::string& text, std::string_view suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Shard names are file names next to the index; anything escaping the folder is refused.
void check_shard_name(const std::string& index_path, const std::string& tensor,
                      const std::string& shard) {
  const fs::path shard_path(shard);
  bool escapes = shard.empty() || shard_path.is_absolute();
  for (const auto& part : shard_path) escapes = escapes || part == "..";
  if (escapes) {
    throw Error(index_path + ": weight_map entry for tensor \"" + tensor + "\" names shard \"" +
                shard + "\"; expected a file name relative to the index's folder");
  }
}

// Reads the weight_map as tensor → shard file name.
std::map<std::string, std::string> read_weight_map(const std::string& index_path) {
  const io::MappedFile map = io::MappedFile::open(index_path);
  const auto bytes = map.bytes();
  const nlohmann::json root = io::parse_json_strict(
      std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), index_path);
  if (!root.is_object()) {
    throw Error(index_path + ": expected a JSON object with \"weight_map\", found " +
                io::json_type_name(root));
  }
  if (auto meta = root.find("metadata"); meta != root.end() && !meta->is_object() &&
                                         !meta->is_null()) {
    throw Error(index_path + ": \"metadata\" must be a JSON object, found " +
                io::json_type_name(*meta));
  }
  auto weight_map = root.find("weight_map");
  if (weight_map == root.end()) throw Error(index_path + ": missing \"weight_map\"");
  if (!weight_map->is_object()) {
    throw Error(index_path + ": \"weight_map\" must be a JSON object of tensor → shard file, "
                "found " + io::json_type_name(*weight_map));
  }
  if (weight_map->empty()) throw Error(index_path + ": \"weight_map\" is empty");
  std::map<std::string, std::string> result;
  for (const auto& [tensor, shard] : weight_map->items()) {
    if (!shard.is_string()) {
      throw Error(index_path + ": weight_map entry for tensor \"" + tensor +
                  "\" must be a shard file name (string), found " + io::json_type_name(shard));
    }
    check_shard_name(index_path, tensor, shard.get<std::string>());
    result[tensor] = shard.get<std::string>();
  }
  return result;
}

}  // namespace

ShardedFiles ShardedFiles::open(const std::string& path) {
  ShardedFiles model;
  model.source_ = path;
  std::error_code error;
  std::string file_path = path;
  if (fs::is_directory(path, error)) {
    const fs::path folder(path);
    // transformers prefers the single file when a folder has both.
    if (fs::exists(folder / kSingleName, error)) {
      file_path = (folder / kSingleName).string();
    } else if (fs::exists(folder / kIndexName, error)) {
      file_path = (folder / kIndexName).string();
    } else {
      throw Error(path + ": folder has neither " + kSingleName + " nor " + kIndexName);
    }
  }

  if (!ends_with(file_path, ".json")) {
    model.files_.push_back(std::make_shared<File>(File::open(file_path)));
    for (const auto& name : model.files_[0]->names()) model.index_[name] = 0;
    return model;
  }

  const auto weight_map = read_weight_map(file_path);
  const fs::path folder = fs::path(file_path).parent_path();
  std::map<std::string, size_t> shard_position;  // shard file name → position in files_
  for (const auto& [tensor, shard] : weight_map) {
    if (shard_position.count(shard) > 0) continue;
    const std::string shard_path = (folder / shard).string();
    if (!fs::is_regular_file(shard_path, error)) {
      throw Error(file_path + ": shard \"" + shard + "\" (holding tensor \"" + tensor +
                  "\") not found at " + shard_path);
    }
    shard_position[shard] = model.files_.size();
    model.files_.push_back(std::make_shared<File>(File::open(shard_path)));
  }
  for (size_t i = 0; i < model.files_.size(); ++i) {
    for (const auto& name : model.files_[i]->names()) {
      auto [it, inserted] = model.index_.emplace(name, i);
      if (!inserted) {
        throw Error(file_path + ": tensor \"" + name + "\" is in two shards: " +
                    model.files_[it->second]->path() + " and " + model.files_[i]->path());
      }
    }
  }
  for (const auto& [tensor, shard] : weight_map) {
    const File& file = *model.files_[shard_position.at(shard)];
    if (!file.contains(tensor)) {
      throw Error(file_path + ": weight_map puts tensor \"" + tensor + "\" in shard \"" + shard +
                  "\", but " + file.path() + " has no such tensor");
    }
  }
  return model;
}

bool ShardedFiles::contains(const std::string& name) const { return index_.count(name) > 0; }

TensorView ShardedFiles::tensor(const std::string& name) const {
  auto it = index_.find(name);
  if (it == index_.end()) {
    throw Error(source_ + ": no tensor named \"" + name + "\" (the model holds " +
                std::to_string(index_.size()) + " tensors)");
  }
  return files_[it->second]->tensor(name);
}

std::vector<std::string> ShardedFiles::names() const {
  std::vector<std::string> names;
  names.reserve(index_.size());
  for (const auto& [name, position] : index_) names.push_back(name);
  return names;
}

const std::string& ShardedFiles::file_of(const std::string& name) const {
  auto it = index_.find(name);
  if (it == index_.end()) throw Error(source_ + ": no tensor named \"" + name + "\"");
  return files_[it->second]->path();
}

}  // namespace loralab::st
