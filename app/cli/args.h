// Command-line arguments for loralab-cli subcommands: `--flag value`, `--flag=value`, repeatable
// flags, boolean switches and positionals. Every unknown or malformed flag becomes a loralab::Error
// that names the flag and what was expected.
#pragma once
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace loralab::cli {

class Args {
 public:
  // `switches` are flags without a value (e.g. "json", "merged"); every other flag takes one.
  Args(std::vector<std::string> argv, std::set<std::string> switches = {});

  bool has(const std::string& flag) const;
  std::optional<std::string> get(const std::string& flag) const;
  std::string required(const std::string& flag) const;
  std::vector<std::string> all(const std::string& flag) const;  // repeatable flags, in order
  std::string get_or(const std::string& flag, const std::string& fallback) const;
  long long get_int(const std::string& flag, long long fallback) const;
  double get_double(const std::string& flag, double fallback) const;

  const std::vector<std::string>& positionals() const { return positionals_; }
  std::string positional(size_t index, const std::string& what) const;

  // Throws naming the first flag not in `known` (call after reading what the command accepts).
  void reject_unknown(const std::set<std::string>& known) const;

 private:
  std::map<std::string, std::vector<std::string>> values_;
  std::set<std::string> switches_seen_;
  std::vector<std::string> positionals_;
};

// Parses a whole decimal integer or throws naming `what` ("--tokens", "--steps").
long long parse_int(const std::string& text, const std::string& what);
double parse_double(const std::string& text, const std::string& what);
// "1,2,3" → {1,2,3}; throws naming `what` on an empty item or a non-integer.
std::vector<long long> parse_int_list(const std::string& text, const std::string& what);

// A spec's validation message ("weight_decay: expected ...") as the flag that sets the field
// ("--weight-decay: expected ..."): underscores become hyphens, and fields whose flag has another
// name (validation_ratio, target_modules) take that name.
std::string as_flag_message(const std::string& message);

}  // namespace loralab::cli
