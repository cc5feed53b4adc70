// Streaming text release; see text_stream.h. Decoding uses the tokenizer's lossy repair, so the
// released pieces concatenate to exactly what Tokenizer::decode gives for the same tokens (a split
// is only made before a lead byte, where no ill-formed subsequence can straddle it).
#include "sample/text_stream.h"

#include <algorithm>

#include "text/utf8.h"

namespace loralab::sample {

namespace {

bool continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// Valid range of the second byte after a lead byte (Unicode Table 3-7).
bool valid_second(unsigned char lead, unsigned char c) {
  switch (lead) {
    case 0xE0: return c >= 0xA0 && c <= 0xBF;
    case 0xED: return c >= 0x80 && c <= 0x9F;
    case 0xF0: return c >= 0x90 && c <= 0xBF;
    case 0xF4: return c >= 0x80 && c <= 0x8F;
    default: return continuation(c);
  }
}

}  // namespace

size_t complete_utf8_prefix(std::string_view bytes) {
  const size_t n = bytes.size();
  for (size_t back = 1; back <= std::min<size_t>(3, n); ++back) {
    const size_t start = n - back;
    const auto lead = static_cast<unsigned char>(bytes[start]);
    if (lead < 0x80) return n;
    if (continuation(lead)) continue;
    if (lead < 0xC2 || lead > 0xF4) return n;  // can never start a sequence
    const size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
    if (back >= need) return n;
    for (size_t j = 1; j < back; ++j) {
      const auto c = static_cast<unsigned char>(bytes[start + j]);
      if (j == 1 ? !valid_second(lead, c) : !continuation(c)) return n;
    }
    return start;
  }
  return n;
}

TextStream::TextStream(std::vector<std::string> stop_strings)
    : stop_strings_(std::move(stop_strings)) {}

TextStream::Piece TextStream::push(std::string_view bytes) {
  pending_bytes_.append(bytes);
  const size_t ready = complete_utf8_prefix(pending_bytes_);
  if (ready > 0) {
    held_text_ += text::utf8_repair(std::string_view(pending_bytes_).substr(0, ready));
    pending_bytes_.erase(0, ready);
  }
  return release(false);
}

TextStream::Piece TextStream::flush() {
  if (!pending_bytes_.empty()) {
    held_text_ += text::utf8_repair(pending_bytes_);
    pending_bytes_.clear();
  }
  return release(true);
}

TextStream::Piece TextStream::release(bool final) {
  Piece piece;
  // Released text never ends with the start of a stop string, so the earliest match (if any)
  // begins inside the held text.
  size_t match = std::string::npos;
  for (const auto& stop : stop_strings_) match = std::min(match, held_text_.find(stop));
  if (match != std::string::npos) {
    piece.text = held_text_.substr(0, match);
    piece.stopped = true;
    held_text_.clear();
    return piece;
  }
  size_t keep = 0;
  if (!final)
    for (const auto& stop : stop_strings_)
      for (size_t len = std::min(stop.size() - 1, held_text_.size()); len > keep; --len)
        if (held_text_.compare(held_text_.size() - len, len, stop, 0, len) == 0) {
          keep = len;
          break;
        }
  piece.text = held_text_.substr(0, held_text_.size() - keep);
  held_text_.erase(0, held_text_.size() - keep);
  return piece;
}

}  // namespace loralab::sample
