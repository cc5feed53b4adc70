// Parsing of `--adapter DIR[:WEIGHT]`; see adapter_arg.h.
#include "adapter_arg.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <optional>

#include "loralab/error.h"

namespace loralab::cli {
namespace {

// The whole text as a number, or nullopt. strtod's "nan"/"inf" spellings count as numbers here
// so that they are refused as non-finite rather than taken for part of a folder name.
std::optional<double> as_number(const std::string& text) {
  if (text.empty() || std::isspace(static_cast<unsigned char>(text.front()))) return std::nullopt;
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size()) return std::nullopt;
  return value;
}

bool is_folder(const std::string& path) {
  std::error_code ec;
  return !path.empty() && std::filesystem::is_directory(path, ec);
}

}  // namespace

AdapterArg parse_adapter_arg(const std::string& text) {
  if (text.empty()) throw Error("--adapter: expected DIR or DIR:WEIGHT, got an empty value");
  const auto colon = text.rfind(':');
  if (colon == std::string::npos) return {text, 1.0};
  const std::string dir = text.substr(0, colon);
  const std::string suffix = text.substr(colon + 1);
  auto weight = as_number(suffix);
  // A folder literally named "runs:3" beats the reading "runs" at weight 3 only if "runs" is no
  // folder; a non-numeric suffix is only acceptable as part of an existing folder's name.
  if (is_folder(text) && (!weight || !is_folder(dir))) return {text, 1.0};
  if (!weight)
    throw Error("--adapter: weight '" + suffix + "' is not a number (expected DIR or DIR:WEIGHT, e.g. " +
                (dir.empty() ? std::string("adapters/a") : dir) + ":0.5)");
  if (!std::isfinite(*weight))  // also an overflow: strtod returns ±HUGE_VAL
    throw Error("--adapter: weight '" + suffix + "' is not a finite number");
  if (dir.empty()) throw Error("--adapter: no folder before ':" + suffix + "'");
  return {dir, *weight};
}

}  // namespace loralab::cli
