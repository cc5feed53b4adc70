// Argument parsing for loralab-cli; see args.h.
#include "args.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "loralab/error.h"

namespace loralab::cli {

Args::Args(std::vector<std::string> argv, std::set<std::string> switches) {
  bool only_positionals = false;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& token = argv[i];
    if (only_positionals || token.size() < 3 || token.rfind("--", 0) != 0) {
      if (token == "--") {
        only_positionals = true;
        continue;
      }
      if (!only_positionals && token.size() >= 2 && token[0] == '-' && token != "-" &&
          !(token.size() > 1 && (std::isdigit(static_cast<unsigned char>(token[1])) || token[1] == '.'))) {
        throw Error("unknown option '" + token + "' (options are written --name)");
      }
      positionals_.push_back(token);
      continue;
    }
    std::string name = token.substr(2);
    std::optional<std::string> value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (switches.count(name)) {
      if (value) throw Error("option --" + name + " takes no value");
      switches_seen_.insert(name);
      continue;
    }
    if (!value) {
      if (i + 1 >= argv.size()) throw Error("option --" + name + " needs a value");
      value = argv[++i];
    }
    values_[name].push_back(*value);
  }
}

bool Args::has(const std::string& flag) const {
  return switches_seen_.count(flag) > 0 || values_.count(flag) > 0;
}

std::optional<std::string> Args::get(const std::string& flag) const {
  auto it = values_.find(flag);
  if (it == values_.end()) return std::nullopt;
  if (it->second.size() > 1) throw Error("option --" + flag + " given more than once");
  return it->second.front();
}

std::string Args::required(const std::string& flag) const {
  auto value = get(flag);
  if (!value) throw Error("missing required option --" + flag);
  return *value;
}

std::vector<std::string> Args::all(const std::string& flag) const {
  auto it = values_.find(flag);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

std::string Args::get_or(const std::string& flag, const std::string& fallback) const {
  return get(flag).value_or(fallback);
}

long long Args::get_int(const std::string& flag, long long fallback) const {
  auto value = get(flag);
  return value ? parse_int(*value, "--" + flag) : fallback;
}

double Args::get_double(const std::string& flag, double fallback) const {
  auto value = get(flag);
  return value ? parse_double(*value, "--" + flag) : fallback;
}

std::string Args::positional(size_t index, const std::string& what) const {
  if (index >= positionals_.size()) throw Error("missing argument " + what);
  return positionals_[index];
}

void Args::reject_unknown(const std::set<std::string>& known) const {
  for (const auto& [name, _] : values_)
    if (!known.count(name)) throw Error("unknown option --" + name);
  for (const auto& name : switches_seen_)
    if (!known.count(name)) throw Error("unknown option --" + name);
}

long long parse_int(const std::string& text, const std::string& what) {
  errno = 0;
  char* end = nullptr;
  long long value = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || end != text.c_str() + text.size() || errno == ERANGE)
    throw Error(what + ": expected an integer, got '" + text + "'");
  return value;
}

double parse_double(const std::string& text, const std::string& what) {
  errno = 0;
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || errno == ERANGE || !std::isfinite(value))
    throw Error(what + ": expected a number, got '" + text + "'");
  return value;
}

std::vector<long long> parse_int_list(const std::string& text, const std::string& what) {
  std::vector<long long> values;
  size_t start = 0;
  while (true) {
    size_t comma = text.find(',', start);
    std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (item.empty()) throw Error(what + ": empty item in list '" + text + "'");
    values.push_back(parse_int(item, what));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return values;
}

std::string as_flag_message(const std::string& message) {
  const auto colon = message.find(':');
  std::string field = message.substr(0, colon);
  if (field == "validation_ratio")
    field = "val-ratio";
  else if (field == "target_modules")
    field = "targets";
  else
    std::replace(field.begin(), field.end(), '_', '-');
  return "--" + field + (colon == std::string::npos ? "" : message.substr(colon));
}

}  // namespace loralab::cli
