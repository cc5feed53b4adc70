// Typed access to tokenizer.json nodes whose errors name the file and the key path
// ("tokenizer.json: model.ignore_merges: expected true or false, found string").
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "loralab/error.h"

namespace loralab::text {

// A JSON node and the path that reaches it, for messages.
struct JsonAt {
  const nlohmann::json& node;
  std::string source;  // the file
  std::string path;    // "model.vocab", "" for the document

  std::string where() const { return path.empty() ? source : source + ": " + path; }
  std::string describe_found() const { return std::string(node.type_name()); }

  [[noreturn]] void fail(const std::string& expected) const {
    throw Error(where() + ": expected " + expected + ", found " + describe_found());
  }
  JsonAt child(const std::string& key, const nlohmann::json& value) const {
    return {value, source, path.empty() ? key : path + "." + key};
  }
  JsonAt element(size_t index) const {
    return {node[index], source, path + "[" + std::to_string(index) + "]"};
  }
  bool has(const char* key) const {
    return node.is_object() && node.contains(key) && !node.at(key).is_null();
  }
  // The member `key`; throws naming it when missing or null.
  JsonAt at(const char* key) const {
    if (!node.is_object()) fail("an object");
    auto it = node.find(key);
    if (it == node.end() || it->is_null())
      throw Error(where() + (path.empty() ? ": " : ".") + key + ": missing");
    return child(key, *it);
  }
  std::string string() const {
    if (!node.is_string()) fail("a string");
    return node.get<std::string>();
  }
  bool boolean() const {
    if (!node.is_boolean()) fail("true or false");
    return node.get<bool>();
  }
  int64_t integer() const {
    if (!node.is_number_integer()) fail("an integer");
    return node.get<int64_t>();
  }
  bool boolean_or(const char* key, bool fallback) const {
    return has(key) ? at(key).boolean() : fallback;
  }
  std::optional<std::string> optional_string(const char* key) const {
    if (!has(key)) return std::nullopt;
    return at(key).string();
  }
};

}  // namespace loralab::text
