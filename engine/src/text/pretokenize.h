// Pre-tokenizers of a byte-level BPE tokenizer.json: Split (regex or literal, each behaviour
// except invert), Digits and ByteLevel (optional prefix space, optional GPT-2 regex split), alone
// or in a Sequence. They cut raw text into words; the BPE model then encodes each word's bytes.
#pragma once
#include <deque>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "text/regex.h"

namespace loralab::text {

// GPT-2's split pattern (also ByteLevel's when use_regex is true).
extern const char* const kGpt2SplitPattern;

enum class SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };

struct PreTokenizerStep {
  enum class Kind { Split, Digits, ByteLevel };
  Kind kind = Kind::ByteLevel;
  // Split (Digits is a Split on \p{N}: Isolated when individual_digits, else Contiguous)
  std::shared_ptr<const Regex> regex;
  SplitBehavior behavior = SplitBehavior::Isolated;
  bool individual_digits = false;
  // ByteLevel
  bool add_prefix_space = false;
  bool trim_offsets = true;  // offsets only; kept so to_json writes it back
  bool use_regex = true;
};

class PreTokenizer {
 public:
  // `node` is tokenizer.json's "pre_tokenizer"; `where` names the file for errors. Byte-level BPE
  // needs exactly one ByteLevel step and it must come last (the splits before it see raw text).
  static PreTokenizer from_json(const nlohmann::json& node, const std::string& where);
  // GPT-2: ByteLevel with add_prefix_space false and the GPT-2 regex.
  static PreTokenizer gpt2();

  nlohmann::ordered_json to_json() const;

  // Cuts one stretch of raw text (between added tokens) into words, in order, none empty. Words
  // are views into `text` or into strings appended to `storage` (prefix spaces).
  void split(std::string_view text, std::deque<std::string>& storage,
             std::vector<std::string_view>& words) const;

  const std::vector<PreTokenizerStep>& steps() const { return steps_; }

 private:
  std::vector<PreTokenizerStep> steps_;
};

}  // namespace loralab::text
