// Training a byte-level BPE tokenizer (GPT-2 style) on raw text, written as a Hugging Face
// tokenizer.json that both loralab::Tokenizer and Hugging Face tokenizers load. Plain C++: no
// LibTorch, no Qt.
//
// Vocabulary layout of the result: the special tokens first (ids 0, 1, 2 by default:
// <|begin_of_text|>, <|end_of_text|>, <|pad|>, the Llama-3 spellings, so BOS/EOS/PAD are found by
// name), then the 256 single bytes in byte order, then one token per learned merge, in merge order.
// Words come from GPT-2's pre-tokenizer split; a merge never crosses a word boundary.
// Deterministic: the most frequent adjacent pair is merged next; among pairs of equal count the
// one with the smaller left token id wins, then the smaller right token id.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace loralab {

struct BpeTrainOptions {
  int32_t vocab_size = 4096;  // special tokens + 256 bytes + merges
  std::string bos_token = "<|begin_of_text|>";
  std::string eos_token = "<|end_of_text|>";
  std::string pad_token = "<|pad|>";
  // A pair seen fewer times than this is never merged; the vocabulary then stays smaller than
  // vocab_size (the result says how large it is).
  int64_t min_frequency = 2;

  // Throws loralab::Error naming the field: vocab_size below 256 + the special tokens, empty or
  // duplicate special tokens, min_frequency < 1.
  void validate() const;
  int32_t special_count() const { return 3; }
};

struct BpeTrainResult {
  std::string tokenizer_json;  // complete tokenizer.json text
  int32_t vocab_size = 0;      // what was reached (≤ options.vocab_size)
  int64_t merges = 0;
  int32_t bos_id = 0, eos_id = 1, pad_id = 2;
  int64_t texts = 0;         // texts added
  int64_t bytes = 0;         // their total size
  int64_t words = 0;         // pre-tokenized words, counted with repetition
  int64_t unique_words = 0;
  double seconds = 0;        // time spent in train()
};

class BpeTrainer {
 public:
  explicit BpeTrainer(BpeTrainOptions options = {});  // validates the options
  ~BpeTrainer();
  BpeTrainer(const BpeTrainer&) = delete;
  BpeTrainer& operator=(const BpeTrainer&) = delete;

  // Counts the words of one text (a story, a line, a file). `source` names it in the error thrown
  // for invalid UTF-8 (with the byte offset).
  void add_text(std::string_view utf8, const std::string& source = "text");
  int64_t texts() const;

  // Learns the merges. Throws loralab::Error when no text (or only empty text) was added.
  BpeTrainResult train() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Convenience: a trainer fed with `texts` in order.
BpeTrainResult train_bpe(const std::vector<std::string>& texts, const BpeTrainOptions& options = {});

}  // namespace loralab
