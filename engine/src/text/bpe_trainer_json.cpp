// tokenizer.json for a trained byte-level BPE: built as JSON, loaded back through the project's
// own tokenizer (which checks every merge and token) and written out by it, so a trained file and
// an exported one look the same.
#include <nlohmann/json.hpp>

#include "loralab/tokenizer.h"
#include "text/bpe_trainer_internal.h"
#include "text/byte_level.h"

namespace loralab::text {

std::string learned_bpe_json(const BpeTrainOptions& options, const LearnedBpe& learned) {
  using ordered = nlohmann::ordered_json;
  const int32_t specials = options.special_count();

  ordered added = ordered::array();
  for (int32_t id = 0; id < specials; ++id)
    added.push_back({{"id", id},
                     {"content", learned.token_raw[id]},
                     {"single_word", false},
                     {"lstrip", false},
                     {"rstrip", false},
                     {"normalized", false},
                     {"special", true}});

  // Specials are in the model vocabulary too (as Hugging Face's trainer does), so ids stay dense.
  ordered vocab = ordered::object();
  for (int32_t id = 0; id < static_cast<int32_t>(learned.token_raw.size()); ++id)
    vocab[id < specials ? learned.token_raw[id] : bytes_to_token_text(learned.token_raw[id])] = id;

  ordered merges = ordered::array();
  for (const auto& [left, right] : learned.merges)
    merges.push_back(bytes_to_token_text(learned.token_raw[left]) + " " +
                     bytes_to_token_text(learned.token_raw[right]));

  const std::string& bos = options.bos_token;
  const ordered bos_item = {{"SpecialToken", {{"id", bos}, {"type_id", 0}}}};
  ordered post_processor = {
      {"type", "TemplateProcessing"},
      {"single", {bos_item, {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}}},
      {"pair",
       {bos_item,
        {{"Sequence", {{"id", "A"}, {"type_id", 0}}}},
        {{"SpecialToken", {{"id", bos}, {"type_id", 1}}}},
        {{"Sequence", {{"id", "B"}, {"type_id", 1}}}}}},
      {"special_tokens", {{bos, {{"id", bos}, {"ids", {0}}, {"tokens", {bos}}}}}}};

  const ordered byte_level = {{"type", "ByteLevel"},
                              {"add_prefix_space", false},
                              {"trim_offsets", true},
                              {"use_regex", true}};
  ordered root = {
      {"version", "1.0"},
      {"truncation", nullptr},
      {"padding", nullptr},
      {"added_tokens", added},
      {"normalizer", nullptr},
      {"pre_tokenizer", byte_level},
      {"post_processor", post_processor},
      {"decoder", byte_level},
      {"model",
       {{"type", "BPE"},
        {"dropout", nullptr},
        {"unk_token", nullptr},
        {"continuing_subword_prefix", nullptr},
        {"end_of_word_suffix", nullptr},
        {"fuse_unk", false},
        {"byte_fallback", false},
        {"ignore_merges", false},
        {"vocab", vocab},
        {"merges", merges}}}};
  return Tokenizer::from_json(root.dump(), "trained tokenizer.json").to_json();
}

}  // namespace loralab::text
