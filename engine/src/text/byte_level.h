// GPT-2's byte-to-unicode alphabet: every byte gets a printable code point so that BPE tokens are
// text (space is "Ġ" U+0120, newline "Ċ" U+010A). Printable Latin-1 bytes keep their own code
// point; the other 68 bytes map, in ascending order, to U+0100 and up.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace loralab::text {

uint32_t byte_to_code_point(uint8_t byte);

// Raw bytes → the vocabulary's spelling ("\n the" → "ĊĠthe").
std::string bytes_to_token_text(std::string_view raw);

// The vocabulary's spelling → raw bytes; nullopt when a character is outside the 256-character
// alphabet (such a token cannot come out of byte-level pre-tokenization).
std::optional<std::string> token_text_to_bytes(std::string_view token);

}  // namespace loralab::text
