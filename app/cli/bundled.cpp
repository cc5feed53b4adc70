// Bundled resource lookup for loralab-cli; see bundled.h.
#include "bundled.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "loralab/error.h"

namespace fs = std::filesystem;

namespace loralab::cli {
namespace {

constexpr const char* kBundledWord = "bundled";
constexpr const char* kBundledPrefix = "bundled:";

fs::path executable_dir() {
  std::error_code error;
  const fs::path exe = fs::read_symlink("/proc/self/exe", error);
  return error ? fs::path() : exe.parent_path();
}

bool has_resources(const fs::path& root) {
  std::error_code error;
  return fs::is_regular_file(root / "models" / "base" / "config.json", error) ||
         fs::is_directory(root / "datasets", error);
}

// The style folders under datasets/ (or the files in a style folder), for messages.
std::string list_entries(const fs::path& folder, bool folders) {
  std::vector<std::string> names;
  std::error_code error;
  for (fs::directory_iterator it(folder, error), end; !error && it != end; it.increment(error))
    if (it->is_directory() == folders) names.push_back(it->path().filename().string());
  std::sort(names.begin(), names.end());
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
  return out.empty() ? "none" : out;
}

std::string looked_in() {
  std::string out;
  for (const auto& root : resource_candidates()) out += (out.empty() ? "" : ", ") + root;
  return out;
}

}  // namespace

std::vector<std::string> resource_candidates() {
  std::vector<std::string> roots;
  if (const char* env = std::getenv("LORALAB_RESOURCES"); env && *env) roots.emplace_back(env);
  if (const fs::path dir = executable_dir(); !dir.empty()) {
    roots.push_back((dir.parent_path() / "share" / "loralab").string());
    roots.push_back((dir / "resources").string());
  }
#ifdef LORALAB_SOURCE_RESOURCES
  roots.emplace_back(LORALAB_SOURCE_RESOURCES);
#endif
  return roots;
}

std::string resources_dir() {
  for (const auto& root : resource_candidates())
    if (has_resources(root)) return fs::path(root).lexically_normal().string();
  return {};
}

std::string bundled_model_dir() {
  // The first root that has the model wins, so a partial install does not hide a complete one.
  std::error_code error;
  for (const auto& root : resource_candidates()) {
    const fs::path dir = fs::path(root) / "models" / "base";
    if (fs::is_regular_file(dir / "config.json", error)) return dir.lexically_normal().string();
  }
  throw Error("the bundled model (models/base/config.json) is not installed; looked in " + looked_in() +
              " (set LORALAB_RESOURCES to the folder holding models/ and datasets/)");
}

std::string resolve_bundled_data(const std::string& flag, const std::string& value) {
  if (value.rfind(kBundledPrefix, 0) != 0) return value;
  const std::string name = value.substr(std::string(kBundledPrefix).size());
  const std::string root = resources_dir();
  if (root.empty())
    throw Error("--" + flag + " " + value + ": the bundled datasets are not installed; looked in " +
                looked_in() + " (set LORALAB_RESOURCES)");
  const fs::path datasets = fs::path(root) / "datasets";
  const fs::path rel = fs::path(name).lexically_normal();
  if (name.empty() || rel.is_absolute() || (!rel.empty() && *rel.begin() == ".."))
    throw Error("--" + flag + " " + value + ": expected bundled:STYLE or bundled:STYLE/FILE with STYLE one of " +
                list_entries(datasets, true));
  std::error_code error;
  fs::path path = datasets / rel;
  if (fs::is_directory(path, error)) {
    // A style folder: the file this flag means.
    const char* file = flag == "val" ? "validation.jsonl" : flag == "reference" ? "reference.jsonl" : "train.jsonl";
    path /= file;
    if (!fs::is_regular_file(path, error))
      throw Error("--" + flag + " " + value + ": the bundled set " + rel.string() + " has no " + file +
                  "; its files: " + list_entries(path.parent_path(), false) + " (give one as bundled:" +
                  rel.string() + "/FILE)");
    return path.string();
  }
  if (fs::is_regular_file(path, error)) return path.string();
  throw Error("--" + flag + " " + value + ": no bundled dataset " + rel.string() + " in " + datasets.string() +
              "; styles: " + list_entries(datasets, true));
}

namespace {

// The flags whose value may be a bundled:... dataset or the bundled model.
bool takes_bundled(const std::string& flag) {
  return flag == "model" || flag == "data" || flag == "val" || flag == "reference" ||
         flag == "rehearsal";
}

}  // namespace

void expand_bundled_args(const std::string& command, std::vector<std::string>& args) {
  auto resolve = [](const std::string& flag, const std::string& value) {
    if (flag == "model") return value == kBundledWord ? bundled_model_dir() : value;
    return resolve_bundled_data(flag, value);
  };
  for (size_t i = 0; i < args.size(); ++i) {
    std::string& token = args[i];
    if (token == "--") break;
    if (token.rfind("--", 0) != 0) {
      // `loralab-cli info bundled`: the model folder is info's positional.
      if (command == "info" && token == kBundledWord) token = bundled_model_dir();
      continue;
    }
    std::string flag = token.substr(2);
    if (const auto eq = flag.find('='); eq != std::string::npos) {
      const std::string name = flag.substr(0, eq);
      if (takes_bundled(name))
        token = "--" + name + "=" + resolve(name, flag.substr(eq + 1));
      continue;
    }
    if (takes_bundled(flag) && i + 1 < args.size()) {
      args[i + 1] = resolve(flag, args[i + 1]);
      ++i;
    }
  }
}

}  // namespace loralab::cli
