// PCRE2 regex for pre-tokenizer splits, compiled once with UTF + UCP (so \p{L}, \p{N} and \s are
// Unicode-aware) and JIT-compiled when the platform allows. Callers pass text already checked to
// be valid UTF-8; matching skips PCRE2's own check.
#pragma once
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace loralab::text {

class Regex {
 public:
  // `literal` treats the pattern as plain text (Split's {"String": ...}); `where` names the file
  // and key in compile errors.
  Regex(const std::string& pattern, bool literal, const std::string& where);
  Regex(Regex&&) noexcept;
  Regex& operator=(Regex&&) noexcept;
  ~Regex();

  // Calls on_match(begin, end) for each non-empty match, left to right. Empty matches are
  // skipped (the search moves on by one character), as Hugging Face's splitter ignores them.
  void for_each_match(std::string_view text,
                      const std::function<void(size_t, size_t)>& on_match) const;

  const std::string& pattern() const { return pattern_; }
  bool literal() const { return literal_; }

 private:
  struct Code;
  std::string pattern_;
  bool literal_ = false;
  std::unique_ptr<Code> code_;
};

}  // namespace loralab::text
