// Turns a stream of token bytes into text pieces that are safe to show: an incomplete UTF-8
// character at the end is held back until its last byte arrives, and text that could be the start
// of a stop string is held back until it is clearly not one. Engine-internal, no LibTorch.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace loralab::sample {

// Bytes at the end of `bytes` that start a well-formed UTF-8 sequence still missing its last
// byte(s): the offset where they begin, or bytes.size() when nothing needs to wait.
size_t complete_utf8_prefix(std::string_view bytes);

class TextStream {
 public:
  explicit TextStream(std::vector<std::string> stop_strings);

  struct Piece {
    std::string text;      // may be empty
    bool stopped = false;  // a stop string was completed; `text` ends right before it
  };
  // Adds one token's bytes.
  Piece push(std::string_view bytes);
  // Everything still held back (incomplete characters become U+FFFD), at the end of generation.
  Piece flush();

 private:
  Piece release(bool final);

  std::vector<std::string> stop_strings_;
  std::string pending_bytes_;  // not yet decoded: an incomplete UTF-8 tail
  std::string held_text_;      // decoded, not yet released: a possible stop-string start
};

}  // namespace loralab::sample
