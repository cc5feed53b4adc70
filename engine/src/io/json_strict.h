// JSON parsing that refuses what nlohmann::json quietly accepts: duplicate object keys (it keeps
// one of them) and absurd nesting. Used for safetensors headers and index files.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace loralab::io {

// Same limit as serde_json, the parser of the reference safetensors reader.
constexpr int kMaxJsonDepth = 128;

// Parses `text`; throws loralab::Error starting with `source` for invalid JSON (with nlohmann's
// line/column), a duplicate key (naming the key and where it is) or nesting deeper than
// kMaxJsonDepth.
nlohmann::json parse_json_strict(std::string_view text, const std::string& source);

// "object", "array", "string", "number", ... for messages that say what was found.
std::string json_type_name(const nlohmann::json& value);

}  // namespace loralab::io
