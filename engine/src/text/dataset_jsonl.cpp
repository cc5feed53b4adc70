// JSONL readers: one JSON object per line, either a named text field or prompt + completion.
// Every message names the file and the 1-based line.
#include <fstream>
#include <nlohmann/json.hpp>

#include "dataset_internal.h"
#include "loralab/error.h"

namespace loralab::dataset_detail {
namespace {

using nlohmann::json;

std::string location(const std::string& path, size_t line) {
  return path + ":" + std::to_string(line);
}

std::string describe_keys(const json& object) {
  if (object.empty()) return "the object is empty";
  std::string keys;
  size_t shown = 0;
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (shown == 12) {
      keys += ", ...";
      break;
    }
    keys += (shown++ ? ", \"" : "\"") + it.key() + "\"";
  }
  return "fields present: " + keys;
}

json parse_object_line(std::string_view line, const std::string& path, size_t line_number) {
  json value;
  try {
    value = json::parse(line);
  } catch (const json::parse_error& e) {
    // nlohmann's text starts with "[json.exception.parse_error.101] "; keep only the reason.
    std::string reason = e.what();
    if (const size_t cut = reason.find("] "); cut != std::string::npos) reason.erase(0, cut + 2);
    throw Error(location(path, line_number) + ": not valid JSON (" + reason + ")");
  }
  if (!value.is_object()) {
    throw Error(location(path, line_number) + ": expected a JSON object, found " +
                std::string(value.type_name()));
  }
  return value;
}

std::string string_field(const json& object, const std::string& field, const std::string& path,
                         size_t line_number) {
  const auto it = object.find(field);
  if (it == object.end()) {
    throw Error(location(path, line_number) + ": no field \"" + field + "\" (" +
                describe_keys(object) + ")");
  }
  if (!it->is_string()) {
    throw Error(location(path, line_number) + ": field \"" + field + "\" is " +
                std::string(it->type_name()) + ", expected a string");
  }
  return it->get<std::string>();
}

// Calls fn(line_text, line_number) for every non-blank line; a trailing CR is dropped.
template <typename Fn>
void for_each_line(std::string_view text, Fn&& fn) {
  size_t line_number = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    if (line.ends_with('\r')) line.remove_suffix(1);
    ++line_number;
    if (!is_blank(line)) fn(line, line_number);
    pos = end + 1;
  }
}

}  // namespace

std::vector<Example> parse_jsonl(std::string_view text, const std::string& path,
                                 const std::string& field) {
  std::vector<Example> examples;
  for_each_line(text, [&](std::string_view line, size_t line_number) {
    std::string value = string_field(parse_object_line(line, path, line_number), field, path, line_number);
    if (!is_blank(value)) examples.push_back({std::move(value), "", location(path, line_number)});
  });
  return examples;
}

std::vector<Example> parse_prompt_completion(std::string_view text, const std::string& path,
                                             const std::string& prompt_field,
                                             const std::string& completion_field) {
  std::vector<Example> examples;
  for_each_line(text, [&](std::string_view line, size_t line_number) {
    const json object = parse_object_line(line, path, line_number);
    std::string prompt = string_field(object, prompt_field, path, line_number);
    std::string completion = string_field(object, completion_field, path, line_number);
    if (!is_blank(completion)) {
      examples.push_back({std::move(completion), std::move(prompt), location(path, line_number)});
    }
  });
  return examples;
}

bool jsonl_starts_with_prompt_completion(const std::string& path, const std::string& prompt_field,
                                         const std::string& completion_field) {
  std::ifstream in(path, std::ios::binary);
  std::string line;
  for (bool first = true; std::getline(in, line); first = false) {
    if (first && line.starts_with("\xEF\xBB\xBF")) line.erase(0, 3);
    if (is_blank(line)) continue;
    // An unparsable first line is left to the JSONL reader, which reports it with its line.
    const json value = json::parse(line, nullptr, /*allow_exceptions=*/false);
    return value.is_object() && value.contains(prompt_field) && value.contains(completion_field);
  }
  return false;
}

}  // namespace loralab::dataset_detail
