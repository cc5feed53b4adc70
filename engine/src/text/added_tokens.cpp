// Added-token matching; see added_tokens.h.
#include "text/added_tokens.h"

#include <algorithm>

#include "text/regex.h"
#include "text/utf8.h"

namespace loralab::text {

namespace {

uint32_t decode_at(std::string_view text, size_t pos, size_t length) {
  const auto byte = [&](size_t i) { return static_cast<uint32_t>(static_cast<uint8_t>(text[i])); };
  switch (length) {
    case 1: return byte(pos);
    case 2: return ((byte(pos) & 0x1F) << 6) | (byte(pos + 1) & 0x3F);
    case 3: return ((byte(pos) & 0x0F) << 12) | ((byte(pos + 1) & 0x3F) << 6) | (byte(pos + 2) & 0x3F);
    default:
      return ((byte(pos) & 0x07) << 18) | ((byte(pos + 1) & 0x3F) << 12) |
             ((byte(pos + 2) & 0x3F) << 6) | (byte(pos + 3) & 0x3F);
  }
}

// Unicode White_Space (Rust's char::is_whitespace, which Hugging Face uses for lstrip/rstrip).
bool is_white_space(uint32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
         c == 0x205F || c == 0x3000;
}

// Start of the character that ends just before `pos` (text is valid UTF-8).
size_t previous_char_start(std::string_view text, size_t pos) {
  size_t start = pos - 1;
  while (start > 0 && (static_cast<uint8_t>(text[start]) & 0xC0) == 0x80) --start;
  return start;
}

bool is_word_char(std::string_view character) {
  static const Regex word(R"([\p{L}\p{N}_])", false, "added token word check");
  bool found = false;
  word.for_each_match(character, [&](size_t, size_t) { found = true; });
  return found;
}

}  // namespace

AddedTokenMatcher::AddedTokenMatcher(const std::vector<AddedToken>& tokens) : tokens_(tokens) {
  for (size_t i = 0; i < tokens_.size(); ++i)
    if (!tokens_[i].content.empty())
      by_first_byte_[static_cast<uint8_t>(tokens_[i].content[0])].push_back(i);
  for (auto& bucket : by_first_byte_)
    std::stable_sort(bucket.begin(), bucket.end(), [&](size_t a, size_t b) {
      return tokens_[a].content.size() > tokens_[b].content.size();
    });
}

bool AddedTokenMatcher::accepts(const AddedToken& token, std::string_view text, size_t begin,
                                size_t end) const {
  if (!token.single_word) return true;
  if (begin > 0) {
    const size_t start = previous_char_start(text, begin);
    if (is_word_char(text.substr(start, begin - start))) return false;
  }
  if (end < text.size()) {
    const size_t length = utf8_sequence_length(text, end);
    if (is_word_char(text.substr(end, length))) return false;
  }
  return true;
}

std::vector<AddedTokenMatcher::Piece> AddedTokenMatcher::split(std::string_view text) const {
  std::vector<Piece> pieces;
  size_t text_start = 0;  // start of the text not yet assigned to a piece
  size_t pos = 0;
  while (pos < text.size()) {
    const AddedToken* found = nullptr;
    for (size_t index : by_first_byte_[static_cast<uint8_t>(text[pos])]) {
      const AddedToken& token = tokens_[index];
      if (text.compare(pos, token.content.size(), token.content) == 0 &&
          accepts(token, text, pos, pos + token.content.size())) {
        found = &token;
        break;
      }
    }
    if (!found) {
      ++pos;
      continue;
    }
    size_t begin = pos, end = pos + found->content.size();
    if (found->lstrip)
      while (begin > text_start) {
        const size_t start = previous_char_start(text, begin);
        if (!is_white_space(decode_at(text, start, begin - start))) break;
        begin = start;
      }
    if (found->rstrip)
      while (end < text.size()) {
        const size_t length = utf8_sequence_length(text, end);
        if (!is_white_space(decode_at(text, end, length))) break;
        end += length;
      }
    if (begin > text_start) pieces.push_back({text_start, begin, -1});
    pieces.push_back({begin, end, found->id});
    text_start = pos = end;
  }
  if (text_start < text.size()) pieces.push_back({text_start, text.size(), -1});
  return pieces;
}

}  // namespace loralab::text
