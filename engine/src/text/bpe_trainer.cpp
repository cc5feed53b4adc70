// BPE trainer: word-frequency table from GPT-2's pre-tokenizer, then the merge loop with
// incremental pair counts and a lazily updated max-heap, so each merge touches only the words that
// hold the merged pair (a few MB of text train a 4096 vocabulary in seconds).
#include "loralab/bpe_trainer.h"

#include <algorithm>
#include <chrono>
#include <deque>
#include <queue>
#include <set>
#include <unordered_map>

#include "loralab/error.h"
#include "text/bpe_trainer_internal.h"
#include "text/pretokenize.h"
#include "text/utf8.h"

namespace loralab {

void BpeTrainOptions::validate() const {
  const std::string tokens[] = {bos_token, eos_token, pad_token};
  const char* names[] = {"bos_token", "eos_token", "pad_token"};
  for (int i = 0; i < 3; ++i) {
    if (tokens[i].empty()) throw Error(std::string("BPE trainer: ") + names[i] + " is empty");
    if (text::find_invalid_utf8(tokens[i]))
      throw Error(std::string("BPE trainer: ") + names[i] + " is not valid UTF-8");
    for (int j = 0; j < i; ++j)
      if (tokens[i] == tokens[j])
        throw Error(std::string("BPE trainer: ") + names[i] + " and " + names[j] +
                    " are the same token '" + tokens[i] + "'");
  }
  const int64_t minimum = 256 + special_count();
  if (vocab_size < minimum)
    throw Error("BPE trainer: vocab_size must be at least " + std::to_string(minimum) +
                " (256 bytes + " + std::to_string(special_count()) + " special tokens), got " +
                std::to_string(vocab_size));
  if (min_frequency < 1)
    throw Error("BPE trainer: min_frequency must be at least 1, got " +
                std::to_string(min_frequency));
}

struct BpeTrainer::Impl {
  BpeTrainOptions options;
  text::PreTokenizer pre_tokenizer = text::PreTokenizer::gpt2();
  std::unordered_map<std::string, int64_t> word_counts;
  int64_t texts = 0, bytes = 0, words = 0;
};

namespace {

uint64_t pair_key(int32_t left, int32_t right) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
}
int32_t key_left(uint64_t key) { return static_cast<int32_t>(key >> 32); }
int32_t key_right(uint64_t key) { return static_cast<int32_t>(key & 0xFFFFFFFFu); }

struct Word {
  std::vector<int32_t> symbols;
  int64_t count;
};

// Heap entry: a pair and the count it had when pushed (may be stale: counts only fall for pairs
// already in the heap, so a popped entry whose count still matches is the true maximum).
struct Candidate {
  int64_t count;
  uint64_t key;
};
struct CandidateBelow {  // the top is the largest count, then the smallest left id, then right id
  bool operator()(const Candidate& a, const Candidate& b) const {
    if (a.count != b.count) return a.count < b.count;
    return a.key > b.key;  // key orders by (left, right)
  }
};

class MergeLoop {
 public:
  MergeLoop(const std::unordered_map<std::string, int64_t>& word_counts, int32_t first_byte_id) {
    std::vector<const std::pair<const std::string, int64_t>*> sorted;
    sorted.reserve(word_counts.size());
    for (const auto& item : word_counts) sorted.push_back(&item);
    // A fixed word order keeps the work (not only the result) identical from run to run.
    std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->first < b->first; });
    words_.reserve(sorted.size());
    for (const auto* item : sorted) {
      Word word{{}, item->second};
      word.symbols.reserve(item->first.size());
      for (char c : item->first) word.symbols.push_back(first_byte_id + static_cast<uint8_t>(c));
      words_.push_back(std::move(word));
    }
    for (int32_t w = 0; w < static_cast<int32_t>(words_.size()); ++w) {
      const auto& s = words_[w].symbols;
      for (size_t i = 0; i + 1 < s.size(); ++i) {
        const uint64_t key = pair_key(s[i], s[i + 1]);
        pair_counts_[key] += words_[w].count;
        pair_words_[key].push_back(w);
      }
    }
    for (const auto& [key, count] : pair_counts_) heap_.push({count, key});
  }

  // The next pair to merge, or false when none occurs min_frequency times.
  bool next(int64_t min_frequency, uint64_t& key, int64_t& count) {
    while (!heap_.empty()) {
      const Candidate top = heap_.top();
      heap_.pop();
      const auto it = pair_counts_.find(top.key);
      const int64_t actual = it == pair_counts_.end() ? 0 : it->second;
      if (actual != top.count) {
        if (actual > 0) heap_.push({actual, top.key});
        continue;
      }
      if (actual < min_frequency) return false;
      key = top.key;
      count = actual;
      return true;
    }
    return false;
  }

  // Replaces every occurrence of the pair (left to right, non-overlapping) by `new_id` and updates
  // the pair counts of the words touched.
  void apply(uint64_t key, int32_t new_id) {
    const int32_t left = key_left(key), right = key_right(key);
    std::vector<int32_t> touched = std::move(pair_words_[key]);
    pair_words_.erase(key);
    std::sort(touched.begin(), touched.end());
    touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
    std::set<uint64_t> created;
    std::vector<int32_t> merged;
    for (int32_t w : touched) {
      Word& word = words_[w];
      auto& s = word.symbols;
      merged.clear();
      bool found = false;
      for (size_t i = 0; i < s.size(); ++i) {
        if (i + 1 < s.size() && s[i] == left && s[i + 1] == right) {
          merged.push_back(new_id);
          ++i;
          found = true;
        } else {
          merged.push_back(s[i]);
        }
      }
      if (!found) continue;  // a stale entry: an earlier merge consumed the pair here
      for (size_t i = 0; i + 1 < s.size(); ++i) {
        auto it = pair_counts_.find(pair_key(s[i], s[i + 1]));
        if ((it->second -= word.count) == 0) pair_counts_.erase(it);
      }
      for (size_t i = 0; i + 1 < merged.size(); ++i) {
        const uint64_t k = pair_key(merged[i], merged[i + 1]);
        pair_counts_[k] += word.count;
        // Pairs without the new token were in the old word too, so the word is listed already.
        if (merged[i] == new_id || merged[i + 1] == new_id) {
          pair_words_[k].push_back(w);
          created.insert(k);
        }
      }
      s.swap(merged);
    }
    pair_counts_.erase(key);
    for (uint64_t k : created)
      if (auto it = pair_counts_.find(k); it != pair_counts_.end()) heap_.push({it->second, k});
  }

 private:
  std::vector<Word> words_;
  std::unordered_map<uint64_t, int64_t> pair_counts_;
  std::unordered_map<uint64_t, std::vector<int32_t>> pair_words_;
  std::priority_queue<Candidate, std::vector<Candidate>, CandidateBelow> heap_;
};

}  // namespace

BpeTrainer::BpeTrainer(BpeTrainOptions options) : impl_(std::make_unique<Impl>()) {
  options.validate();
  impl_->options = std::move(options);
}

BpeTrainer::~BpeTrainer() = default;

void BpeTrainer::add_text(std::string_view utf8, const std::string& source) {
  if (auto bad = text::find_invalid_utf8(utf8))
    throw Error(source + ": invalid UTF-8 at byte offset " + std::to_string(*bad));
  std::deque<std::string> storage;
  std::vector<std::string_view> words;
  impl_->pre_tokenizer.split(utf8, storage, words);
  for (std::string_view word : words) ++impl_->word_counts[std::string(word)];
  ++impl_->texts;
  impl_->bytes += static_cast<int64_t>(utf8.size());
  impl_->words += static_cast<int64_t>(words.size());
}

int64_t BpeTrainer::texts() const { return impl_->texts; }

BpeTrainResult BpeTrainer::train() const {
  const auto start = std::chrono::steady_clock::now();
  const BpeTrainOptions& options = impl_->options;
  if (impl_->word_counts.empty())
    throw Error(impl_->texts == 0 ? "BPE trainer: the corpus is empty (no text was given)"
                                  : "BPE trainer: the corpus is empty (" +
                                        std::to_string(impl_->texts) +
                                        " texts, all of them empty)");

  text::LearnedBpe learned;
  learned.token_raw = {options.bos_token, options.eos_token, options.pad_token};
  const int32_t first_byte_id = static_cast<int32_t>(learned.token_raw.size());
  std::unordered_map<std::string, int32_t> id_of_raw;
  for (int b = 0; b < 256; ++b) {
    learned.token_raw.emplace_back(1, static_cast<char>(b));
    id_of_raw.emplace(learned.token_raw.back(), first_byte_id + b);
  }

  MergeLoop loop(impl_->word_counts, first_byte_id);
  uint64_t key = 0;
  int64_t count = 0;
  while (static_cast<int32_t>(learned.token_raw.size()) < options.vocab_size &&
         loop.next(options.min_frequency, key, count)) {
    const int32_t left = key_left(key), right = key_right(key);
    std::string raw = learned.token_raw[left] + learned.token_raw[right];
    // Two different splits can spell the same bytes; like Hugging Face's trainer, such a merge
    // reuses the existing token.
    auto [it, inserted] = id_of_raw.emplace(raw, static_cast<int32_t>(learned.token_raw.size()));
    if (inserted) learned.token_raw.push_back(std::move(raw));
    learned.merges.emplace_back(left, right);
    loop.apply(key, it->second);
  }

  BpeTrainResult result;
  result.tokenizer_json = text::learned_bpe_json(options, learned);
  result.vocab_size = static_cast<int32_t>(learned.token_raw.size());
  result.merges = static_cast<int64_t>(learned.merges.size());
  result.bos_id = 0;
  result.eos_id = 1;
  result.pad_id = 2;
  result.texts = impl_->texts;
  result.bytes = impl_->bytes;
  result.words = impl_->words;
  result.unique_words = static_cast<int64_t>(impl_->word_counts.size());
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

BpeTrainResult train_bpe(const std::vector<std::string>& texts, const BpeTrainOptions& options) {
  BpeTrainer trainer(options);
  for (size_t i = 0; i < texts.size(); ++i) trainer.add_text(texts[i], "text " + std::to_string(i));
  return trainer.train();
}

}  // namespace loralab
