// The BPE model of a byte-level tokenizer: vocabulary, ranked merges and the merge loop over one
// pre-tokenized word. Results are cached per word; the cache is shared between threads.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace loralab::text {

struct BpeOptions {
  std::optional<std::string> unk_token;  // used for bytes missing from the vocabulary
  bool fuse_unk = false;                 // consecutive unknowns become one unk
  bool ignore_merges = false;            // a word that is itself a token is emitted whole
};

class BpeModel {
 public:
  // `vocab` maps the vocabulary's spelling to ids; `merges` are in rank order. `where` names the
  // file and key ("tokenizer.json: model"), `merge_where(rank)` one merge ("tokenizer.json:
  // model.merges[7]"). Throws when a merge names a token missing from the vocabulary, a merged
  // token is missing, or unk_token is not in the vocabulary.
  BpeModel(std::unordered_map<std::string, int32_t> vocab,
           std::vector<std::pair<std::string, std::string>> merges, BpeOptions options,
           const std::string& where, const std::function<std::string(size_t)>& merge_where);
  BpeModel(const BpeModel&) = delete;
  BpeModel& operator=(const BpeModel&) = delete;

  // Appends the ids of one word given as raw bytes.
  void encode_word(std::string_view raw, std::vector<int32_t>& out) const;

  const std::unordered_map<std::string, int32_t>& vocab() const { return vocab_; }
  const std::vector<std::pair<std::string, std::string>>& merges() const { return merges_; }
  const BpeOptions& options() const { return options_; }

 private:
  struct Merge {
    int32_t rank;
    int32_t new_id;
  };
  static uint64_t pair_key(int32_t left, int32_t right) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
  }
  void merge_word(std::string_view raw, std::vector<int32_t>& out) const;

  std::string where_;
  std::unordered_map<std::string, int32_t> vocab_;
  std::vector<std::pair<std::string, std::string>> merges_;
  BpeOptions options_;
  std::optional<int32_t> unk_id_;
  int32_t byte_ids_[256];                               // single-byte token per byte, -1 if none
  std::unordered_map<std::string, int32_t> raw_vocab_;  // raw bytes → id (for ignore_merges)
  std::unordered_map<uint64_t, Merge> merge_ranks_;     // (left id, right id) → rank, result

  mutable std::shared_mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::vector<int32_t>> cache_;
};

}  // namespace loralab::text
