// Duplicate-key and depth checks ride on nlohmann's parser callback, which reports every key as
// it is read; a stack of open containers remembers the keys seen so far in each object.
#include "io/json_strict.h"

#include <set>
#include <string>
#include <vector>

#include "loralab/error.h"

namespace loralab::io {
namespace {

struct OpenContainer {
  bool is_object = false;
  std::string location;          // JSON-pointer-like path of this container, "" for the root
  std::set<std::string> keys;    // objects: keys seen so far
  size_t next_index = 0;         // arrays: index of the next element
  std::string pending_key;       // objects: key whose value is being read
};

std::string child_location(const OpenContainer& parent) {
  if (parent.is_object) return parent.location + "/" + parent.pending_key;
  return parent.location + "/" + std::to_string(parent.next_index);
}

// Called once a value (scalar or container) is complete inside `parent`.
void value_done(std::vector<OpenContainer>& stack) {
  if (!stack.empty() && !stack.back().is_object) ++stack.back().next_index;
}

}  // namespace

std::string json_type_name(const nlohmann::json& value) {
  if (value.is_number_integer()) return "integer";
  if (value.is_number_float()) return "non-integer number";
  return value.type_name();
}

nlohmann::json parse_json_strict(std::string_view text, const std::string& source) {
  using Event = nlohmann::json::parse_event_t;
  std::vector<OpenContainer> stack;
  auto callback = [&](int /*depth*/, Event event, nlohmann::json& parsed) -> bool {
    switch (event) {
      case Event::object_start:
      case Event::array_start: {
        if (static_cast<int>(stack.size()) >= kMaxJsonDepth) {
          throw Error(source + ": JSON nested deeper than " + std::to_string(kMaxJsonDepth) +
                      " levels");
        }
        OpenContainer open;
        open.is_object = event == Event::object_start;
        open.location = stack.empty() ? std::string() : child_location(stack.back());
        stack.push_back(std::move(open));
        break;
      }
      case Event::key: {
        OpenContainer& object = stack.back();
        std::string key = parsed.get<std::string>();
        if (!object.keys.insert(key).second) {
          throw Error(source + ": duplicate key \"" + key + "\" in JSON object" +
                      (object.location.empty() ? std::string(" at the top level")
                                               : " at " + object.location));
        }
        object.pending_key = std::move(key);
        break;
      }
      case Event::object_end:
      case Event::array_end:
        stack.pop_back();
        value_done(stack);
        break;
      case Event::value:
        value_done(stack);
        break;
    }
    return true;
  };
  try {
    return nlohmann::json::parse(text.begin(), text.end(), callback, /*allow_exceptions=*/true,
                                 /*ignore_comments=*/false);
  } catch (const nlohmann::json::exception& e) {
    std::string detail = e.what();
    // Drop nlohmann's "[json.exception.parse_error.101] " tag; keep line/column and the reason.
    if (auto close = detail.find("] "); detail.rfind("[json.exception", 0) == 0 &&
                                        close != std::string::npos) {
      detail.erase(0, close + 2);
    }
    throw Error(source + ": not valid JSON: " + detail);
  }
}

}  // namespace loralab::io
