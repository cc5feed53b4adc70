// Byte-level alphabet tables; see byte_level.h.
#include "text/byte_level.h"

#include <array>

#include "text/utf8.h"

namespace loralab::text {

namespace {

struct Alphabet {
  std::array<uint32_t, 256> code_point{};
  std::array<std::string, 256> spelling;  // UTF-8 of code_point[b]
  std::array<int16_t, 324> byte_of{};     // code point (< 256 + 68) → byte, -1 outside

  Alphabet() {
    byte_of.fill(-1);
    uint32_t next_shifted = 256;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
      code_point[b] = printable ? static_cast<uint32_t>(b) : next_shifted++;
      append_utf8(spelling[b], code_point[b]);
      byte_of[code_point[b]] = static_cast<int16_t>(b);
    }
  }
};

const Alphabet& alphabet() {
  static const Alphabet table;
  return table;
}

}  // namespace

uint32_t byte_to_code_point(uint8_t byte) { return alphabet().code_point[byte]; }

std::string bytes_to_token_text(std::string_view raw) {
  const Alphabet& table = alphabet();
  std::string out;
  out.reserve(raw.size() * 2);
  for (char c : raw) out += table.spelling[static_cast<uint8_t>(c)];
  return out;
}

std::optional<std::string> token_text_to_bytes(std::string_view token) {
  const Alphabet& table = alphabet();
  std::string out;
  out.reserve(token.size());
  size_t pos = 0;
  while (pos < token.size()) {
    const size_t length = utf8_sequence_length(token, pos);
    if (length == 0 || length > 2) return std::nullopt;  // the alphabet ends below U+0800
    uint32_t cp = static_cast<uint8_t>(token[pos]);
    if (length == 2) cp = ((cp & 0x1F) << 6) | (static_cast<uint8_t>(token[pos + 1]) & 0x3F);
    if (cp >= table.byte_of.size() || table.byte_of[cp] < 0) return std::nullopt;
    out += static_cast<char>(table.byte_of[cp]);
    pos += length;
  }
  return out;
}

}  // namespace loralab::text
