// BPE merge loop; see bpe_model.h. Merges apply lowest rank first, leftmost first among equal
// ranks, as in Hugging Face tokenizers; a heap keeps long words at O(n log n).
#include "text/bpe_model.h"

#include <cstdio>
#include <mutex>
#include <queue>

#include "loralab/error.h"
#include "text/byte_level.h"

namespace loralab::text {

namespace {

constexpr size_t kCacheCapacity = 100000;  // words; later words are encoded but not remembered
constexpr size_t kMaxCachedWordBytes = 256;

std::string in_quotes(const std::string& token) { return "'" + token + "'"; }

}  // namespace

BpeModel::BpeModel(std::unordered_map<std::string, int32_t> vocab,
                   std::vector<std::pair<std::string, std::string>> merges, BpeOptions options,
                   const std::string& where,
                   const std::function<std::string(size_t)>& merge_where)
    : where_(where), vocab_(std::move(vocab)), merges_(std::move(merges)),
      options_(std::move(options)) {
  for (int b = 0; b < 256; ++b) {
    auto it = vocab_.find(bytes_to_token_text(std::string(1, static_cast<char>(b))));
    byte_ids_[b] = it == vocab_.end() ? -1 : it->second;
  }
  for (const auto& [token, id] : vocab_)
    if (auto raw = token_text_to_bytes(token)) raw_vocab_.emplace(std::move(*raw), id);
  if (options_.unk_token) {
    auto it = vocab_.find(*options_.unk_token);
    if (it == vocab_.end())
      throw Error(where_ + ".unk_token: " + in_quotes(*options_.unk_token) +
                  " is not in the vocabulary");
    unk_id_ = it->second;
  }
  merge_ranks_.reserve(merges_.size());
  for (size_t rank = 0; rank < merges_.size(); ++rank) {
    const auto& [left, right] = merges_[rank];
    const auto at = [&] { return merge_where(rank); };  // built only for an error
    auto left_it = vocab_.find(left);
    if (left_it == vocab_.end())
      throw Error(at() + ": token " + in_quotes(left) + " is not in the vocabulary");
    auto right_it = vocab_.find(right);
    if (right_it == vocab_.end())
      throw Error(at() + ": token " + in_quotes(right) + " is not in the vocabulary");
    auto merged_it = vocab_.find(left + right);
    if (merged_it == vocab_.end())
      throw Error(at() + ": merged token " + in_quotes(left + right) + " is not in the vocabulary");
    // A repeated pair keeps its first (best) rank.
    merge_ranks_.try_emplace(pair_key(left_it->second, right_it->second),
                             Merge{static_cast<int32_t>(rank), merged_it->second});
  }
}

void BpeModel::encode_word(std::string_view raw, std::vector<int32_t>& out) const {
  if (raw.empty()) return;
  if (options_.ignore_merges) {
    auto it = raw_vocab_.find(std::string(raw));
    if (it != raw_vocab_.end()) {
      out.push_back(it->second);
      return;
    }
  }
  if (raw.size() == 1 && byte_ids_[static_cast<uint8_t>(raw[0])] >= 0) {
    out.push_back(byte_ids_[static_cast<uint8_t>(raw[0])]);
    return;
  }
  const bool cacheable = raw.size() <= kMaxCachedWordBytes;
  if (cacheable) {
    std::shared_lock lock(cache_mutex_);
    auto it = cache_.find(std::string(raw));
    if (it != cache_.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  std::vector<int32_t> ids;
  merge_word(raw, ids);
  out.insert(out.end(), ids.begin(), ids.end());
  if (cacheable) {
    std::unique_lock lock(cache_mutex_);
    if (cache_.size() < kCacheCapacity) cache_.emplace(std::string(raw), std::move(ids));
  }
}

void BpeModel::merge_word(std::string_view raw, std::vector<int32_t>& out) const {
  struct Symbol {
    int32_t id;
    int32_t prev;
    int32_t next;
  };
  std::vector<Symbol> symbols;
  symbols.reserve(raw.size());
  for (char c : raw) {
    const uint8_t byte = static_cast<uint8_t>(c);
    int32_t id = byte_ids_[byte];
    if (id < 0) {
      if (!unk_id_) {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02X", byte);
        throw Error(where_ + ": byte " + hex + " has no token in the vocabulary and unk_token "
                    "is not set");
      }
      if (options_.fuse_unk && !symbols.empty() && symbols.back().id == *unk_id_) continue;
      id = *unk_id_;
    }
    const auto index = static_cast<int32_t>(symbols.size());
    symbols.push_back({id, index - 1, -1});
    if (index > 0) symbols[index - 1].next = index;
  }

  struct Candidate {
    int32_t rank, pos, left_id, right_id, new_id;
    bool operator>(const Candidate& other) const {
      return rank != other.rank ? rank > other.rank : pos > other.pos;
    }
  };
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> queue;
  auto push_pair = [&](int32_t pos) {
    if (pos < 0) return;
    const int32_t next = symbols[pos].next;
    if (next < 0) return;
    auto it = merge_ranks_.find(pair_key(symbols[pos].id, symbols[next].id));
    if (it != merge_ranks_.end())
      queue.push({it->second.rank, pos, symbols[pos].id, symbols[next].id, it->second.new_id});
  };
  for (int32_t pos = 0; pos + 1 < static_cast<int32_t>(symbols.size()); ++pos) push_pair(pos);

  while (!queue.empty()) {
    const Candidate top = queue.top();
    queue.pop();
    // Stale entries: either side was merged since the pair was queued (a merged symbol's id
    // names a longer token, so it can never equal the queued id again).
    Symbol& left = symbols[top.pos];
    if (left.id != top.left_id || left.next < 0) continue;
    Symbol& right = symbols[left.next];
    if (right.id != top.right_id) continue;
    left.id = top.new_id;
    left.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = top.pos;
    right.id = -1;
    push_pair(left.prev);
    push_pair(top.pos);
  }
  for (int32_t pos = symbols.empty() ? -1 : 0; pos >= 0; pos = symbols[pos].next)
    out.push_back(symbols[pos].id);
}

}  // namespace loralab::text
