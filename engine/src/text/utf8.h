// UTF-8 checks for the tokenizer: strict validation that reports the first bad byte offset (the
// regex engine is run without its own check), lossy repair for decoded text, and code point
// encoding for the byte-to-unicode alphabet.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace loralab::text {

// Offset of the first byte that does not start a well-formed UTF-8 sequence (overlong forms,
// surrogates and code points above U+10FFFF are ill-formed); nullopt when the text is valid.
std::optional<size_t> find_invalid_utf8(std::string_view bytes);

// Length of the well-formed sequence starting at bytes[pos], or 0 when none starts there.
size_t utf8_sequence_length(std::string_view bytes, size_t pos);

// Replaces each maximal ill-formed subsequence with U+FFFD, as Rust's from_utf8_lossy does.
std::string utf8_repair(std::string_view bytes);

void append_utf8(std::string& out, uint32_t code_point);

}  // namespace loralab::text
