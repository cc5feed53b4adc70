// Added tokens (special or not) are found in the raw text before pre-tokenization: leftmost
// match first, longest among those starting at the same byte, with single_word, lstrip and rstrip
// as in Hugging Face tokenizers.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace loralab::text {

struct AddedToken {
  int32_t id = 0;
  std::string content;
  bool single_word = false;  // only when not inside a word (no letter, digit or _ around it)
  bool lstrip = false;       // swallows the whitespace before it
  bool rstrip = false;       // swallows the whitespace after it
  bool normalized = false;   // kept for to_json (there is no normalizer)
  bool special = false;      // skipped by decode(skip_special_tokens)
};

class AddedTokenMatcher {
 public:
  explicit AddedTokenMatcher(const std::vector<AddedToken>& tokens);

  struct Piece {
    size_t begin = 0, end = 0;
    int32_t id = -1;  // the added token; -1 for text that goes to the pre-tokenizer
  };
  // Cuts valid UTF-8 text into added-token matches and the text between them.
  std::vector<Piece> split(std::string_view text) const;

 private:
  bool accepts(const AddedToken& token, std::string_view text, size_t begin, size_t end) const;

  std::vector<AddedToken> tokens_;
  std::array<std::vector<size_t>, 256> by_first_byte_;  // indices into tokens_, longest first
};

}  // namespace loralab::text
