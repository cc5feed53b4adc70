// Byte-level BPE tokenizer (GPT-2, Llama-3, Qwen2 style) read from a Hugging Face tokenizer.json or
// a vocab.json + merges.txt pair (shared/design/FORMATS.md). Plain C++: no LibTorch, no Qt, so the
// CLI, the UI and the tests can tokenize without the model code.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace loralab {

class Tokenizer {
 public:
  // PATH is a tokenizer.json file, a folder holding one, or a folder with vocab.json + merges.txt
  // (a tokenizer.json in the folder wins). Throws loralab::Error naming the file and the key.
  static Tokenizer load(const std::string& path);
  // Parses tokenizer.json text; `source` names it in error messages. Refuses, by name, every
  // component it does not implement (a model other than BPE, a normalizer, a pre-tokenizer other
  // than ByteLevel/Split/Digits/Sequence, a decoder other than ByteLevel, byte_fallback, ...).
  static Tokenizer from_json(const std::string& json_text, const std::string& source);
  // vocab.json text ({token: id}) + merges.txt text ("a b" per line, optional "#version" first
  // line). The result behaves like GPT-2: ByteLevel split with the GPT-2 regex, no added tokens.
  static Tokenizer from_vocab_merges(const std::string& vocab_json_text,
                                     const std::string& merges_text, const std::string& source);

  Tokenizer(const Tokenizer& other);
  Tokenizer& operator=(const Tokenizer& other);
  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  ~Tokenizer();

  // Added tokens are matched in the raw text first (special ones too); the rest is pre-tokenized
  // and BPE-encoded. With add_special_tokens: a TemplateProcessing / Roberta / Bert post_processor
  // in tokenizer.json decides (its "single" template); without one, bos_id() is prepended and
  // eos_id() appended, each only when known. Throws loralab::Error on invalid UTF-8, naming the
  // byte offset. Safe to call from several threads at once.
  std::vector<int32_t> encode(std::string_view utf8, bool add_special_tokens = false) const;
  // Concatenated token bytes; incomplete or invalid UTF-8 sequences become U+FFFD (as Hugging
  // Face's ByteLevel decoder does). skip_special_tokens drops added tokens marked special.
  // Throws on an id outside the vocabulary.
  std::string decode(std::span<const int32_t> ids, bool skip_special_tokens = false) const;
  // The raw bytes one token stands for (may be part of a UTF-8 sequence), so a streaming sampler
  // can hold back incomplete characters. Throws on an unknown id.
  std::string token_bytes(int32_t id) const;

  // 1 + the largest id of the model vocabulary and the added tokens.
  int32_t vocab_size() const;
  // Token strings are in the vocabulary's own spelling ("Ġthe" for " the"); added tokens by their
  // content ("<|endoftext|>").
  std::optional<int32_t> token_to_id(std::string_view token) const;
  std::string id_to_token(int32_t id) const;  // throws on an unknown id
  bool is_special(int32_t id) const;          // an added token marked special

  // Found by name among the added tokens and the vocabulary (<|begin_of_text|>, <s>,
  // <|endoftext|>, ... for BOS; <|end_of_text|>, </s>, <|endoftext|>, ... for EOS; <pad>, <|pad|>,
  // [PAD] or padding.pad_id for PAD), or set from a model config.
  std::optional<int32_t> bos_id() const;
  std::optional<int32_t> eos_id() const;
  std::optional<int32_t> pad_id() const;
  // A given id replaces the current one (it must be a known id); nullopt keeps the current one.
  void set_special_ids(std::optional<int32_t> bos, std::optional<int32_t> eos,
                       std::optional<int32_t> pad = std::nullopt);

  // tokenizer.json text that Hugging Face tokenizers loads and that encodes like this object.
  std::string to_json() const;

  struct Impl;

 private:
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace loralab
