// Private state of loralab::Tokenizer. The loaded tables (Core) are immutable and shared between
// copies; only the special ids a model config may override live per object.
#pragma once
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "loralab/tokenizer.h"
#include "text/added_tokens.h"
#include "text/bpe_model.h"
#include "text/pretokenize.h"

namespace loralab::text {

// What add_special_tokens puts around the encoded text.
struct SpecialTemplate {
  bool present = false;  // a TemplateProcessing / Roberta / Bert post_processor was found
  std::vector<int32_t> prefix;
  std::vector<int32_t> suffix;
};

struct TokenizerCore {
  std::string source;
  std::unique_ptr<BpeModel> model;
  PreTokenizer pre_tokenizer;
  std::vector<AddedToken> added_tokens;
  std::unique_ptr<AddedTokenMatcher> added_matcher;
  SpecialTemplate special_template;

  // Indexed by id; an id that no token uses has known[id] == false.
  std::vector<std::string> token_text;  // vocabulary spelling or added content
  std::vector<std::string> token_raw;   // the bytes the token stands for
  std::vector<bool> known;
  std::vector<bool> special;
  std::unordered_map<std::string, int32_t> added_by_content;

  std::optional<int32_t> default_bos, default_eos, default_pad;

  // Sections written back as they were read (null when absent).
  nlohmann::ordered_json post_processor_json;
  nlohmann::ordered_json decoder_json;
  nlohmann::ordered_json padding_json;

  std::optional<int32_t> find(const std::string& token) const;
  // Builds the id tables, the matcher and the default special ids once everything is parsed.
  void finish();
};

// tokenizer.json text → core (tokenizer_json.cpp).
std::shared_ptr<const TokenizerCore> parse_tokenizer_json(const std::string& text,
                                                          const std::string& source);
std::shared_ptr<const TokenizerCore> parse_vocab_merges(const std::string& vocab_text,
                                                        const std::string& merges_text,
                                                        const std::string& source);
std::string write_tokenizer_json(const TokenizerCore& core);

}  // namespace loralab::text

namespace loralab {

struct Tokenizer::Impl {
  std::shared_ptr<const text::TokenizerCore> core;
  std::optional<int32_t> bos, eos, pad;
};

}  // namespace loralab
