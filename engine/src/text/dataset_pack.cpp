// From examples to training rows: train/validation split, tokenized examples with loss masks, and
// packing into next-token-prediction rows (inputs, targets shifted by one, target mask).
#include <cmath>
#include <algorithm>
#include <numeric>

#include "dataset_internal.h"
#include "loralab/error.h"

namespace loralab {
namespace {

constexpr uint64_t kSplitStream = 0x73706c6974ULL;    // "split"
constexpr uint64_t kPackStream = 0x7061636bULL;       // "pack"

// One example as a token stream with, per token, whether it counts when it is a target.
struct Stream {
  std::vector<int32_t> ids;
  std::vector<uint8_t> mask;
};

void check_id(int32_t id, int64_t vocab_size, const std::string& what) {
  if (id < 0 || (vocab_size > 0 && id >= vocab_size)) {
    throw Error("packing: " + what + " is " + std::to_string(id) + ", expected an id in [0, " +
                (vocab_size > 0 ? std::to_string(vocab_size) : std::string("2^31")) + ")");
  }
}

Stream make_stream(const TokenizedExample& example, size_t index, const PackOptions& options) {
  const std::string name = "example " + std::to_string(index);
  if (!example.loss_mask.empty() && example.loss_mask.size() != example.ids.size()) {
    throw Error("packing: " + name + " has " + std::to_string(example.ids.size()) + " ids but " +
                std::to_string(example.loss_mask.size()) + " loss-mask entries, expected the same");
  }
  Stream stream;
  stream.ids.reserve(example.ids.size() + 2);
  stream.mask.reserve(example.ids.size() + 2);
  if (options.bos) {
    stream.ids.push_back(*options.bos);
    stream.mask.push_back(0);
  }
  for (size_t t = 0; t < example.ids.size(); ++t) {
    check_id(example.ids[t], options.vocab_size, name + " token " + std::to_string(t));
    stream.ids.push_back(example.ids[t]);
    stream.mask.push_back(example.loss_mask.empty() ? 1 : (example.loss_mask[t] ? 1 : 0));
  }
  if (options.eos) {
    stream.ids.push_back(*options.eos);
    stream.mask.push_back(1);
  }
  // The first token has nothing of its own document before it: never a target.
  if (!stream.mask.empty()) stream.mask[0] = 0;
  return stream;
}

// Appends one row made of stream[begin, end) (at most seq_len + 1 tokens), padded to seq_len.
// Returns false (appending nothing) when no target of the row counts.
bool append_row(PackedBatchSet& set, const std::vector<int32_t>& ids,
                const std::vector<uint8_t>& mask, size_t begin, size_t end, int32_t pad) {
  const size_t length = end - begin;  // tokens; the row has length - 1 targets
  const size_t seq_len = size_t(set.seq_len);
  bool any_target = false;
  for (size_t t = begin + 1; t < end; ++t) any_target = any_target || mask[t];
  if (!any_target) return false;
  for (size_t t = 0; t < seq_len; ++t) {
    const bool real = t + 1 < length;
    set.inputs.push_back(t < length - 1 ? ids[begin + t] : pad);
    set.targets.push_back(real ? ids[begin + t + 1] : pad);
    set.target_mask.push_back(real ? mask[begin + t + 1] : 0);
  }
  return true;
}

}  // namespace

std::span<const int32_t> PackedBatchSet::input_row(int64_t row) const {
  return {inputs.data() + row * seq_len, size_t(seq_len)};
}
std::span<const int32_t> PackedBatchSet::target_row(int64_t row) const {
  return {targets.data() + row * seq_len, size_t(seq_len)};
}
std::span<const uint8_t> PackedBatchSet::mask_row(int64_t row) const {
  return {target_mask.data() + row * seq_len, size_t(seq_len)};
}

TokenizedExample tokenize_example(
    const Example& example, const std::function<std::vector<int32_t>(const std::string&)>& encode) {
  TokenizedExample out;
  if (!example.prompt.empty()) {
    out.ids = encode(example.prompt);
    out.loss_mask.assign(out.ids.size(), 0);
  }
  const std::vector<int32_t> text_ids = encode(example.text);
  out.ids.insert(out.ids.end(), text_ids.begin(), text_ids.end());
  out.loss_mask.resize(out.ids.size(), 1);
  return out;
}

PackedBatchSet pack_examples(const std::vector<TokenizedExample>& examples,
                             const PackOptions& options) {
  if (options.seq_len <= 0) {
    throw Error("packing: seq_len must be positive, got " + std::to_string(options.seq_len));
  }
  if (examples.empty()) throw Error("packing: no examples to pack");
  if (options.bos) check_id(*options.bos, options.vocab_size, "bos");
  if (options.eos) check_id(*options.eos, options.vocab_size, "eos");
  if (options.pad) check_id(*options.pad, options.vocab_size, "pad");
  const int32_t pad = options.pad.value_or(options.eos.value_or(0));

  std::vector<size_t> order(examples.size());
  std::iota(order.begin(), order.end(), size_t(0));
  if (options.shuffle) SeededRng(derive_seed(options.seed, kPackStream)).shuffle(order);

  PackedBatchSet set;
  set.seq_len = options.seq_len;
  const size_t row_tokens = size_t(options.seq_len) + 1;  // inputs and targets overlap by one

  if (options.pack) {
    Stream all;
    for (size_t index : order) {
      Stream s = make_stream(examples[index], index, options);
      all.ids.insert(all.ids.end(), s.ids.begin(), s.ids.end());
      all.mask.insert(all.mask.end(), s.mask.begin(), s.mask.end());
    }
    set.stream_tokens = int64_t(all.ids.size());
    if (all.ids.size() < row_tokens) {
      throw Error("packing: the dataset has " + std::to_string(all.ids.size()) +
                  " tokens (with bos/eos), one sequence of seq_len " +
                  std::to_string(options.seq_len) + " needs " + std::to_string(row_tokens) +
                  "; use a shorter seq_len or more data");
    }
    const size_t full_rows = (all.ids.size() - 1) / size_t(options.seq_len);
    for (size_t r = 0; r < full_rows; ++r) {
      const size_t begin = r * size_t(options.seq_len);
      append_row(set, all.ids, all.mask, begin, begin + row_tokens, pad);
    }
    const size_t tail_begin = full_rows * size_t(options.seq_len);
    if (tail_begin + 1 < all.ids.size()) {
      if (options.pad) {
        append_row(set, all.ids, all.mask, tail_begin, all.ids.size(), pad);
      } else {
        set.dropped_tokens = int64_t(all.ids.size() - tail_begin - 1);
      }
    }
  } else {
    for (size_t index : order) {
      const Stream s = make_stream(examples[index], index, options);
      set.stream_tokens += int64_t(s.ids.size());
      // A long example continues in further rows, each starting on the previous row's last token.
      for (size_t begin = 0; begin + 1 < s.ids.size(); begin += size_t(options.seq_len)) {
        append_row(set, s.ids, s.mask, begin, std::min(begin + row_tokens, s.ids.size()), pad);
      }
    }
  }
  if (set.rows() == 0) {
    throw Error("packing: no row has a target that counts in the loss (every example is shorter "
                "than 2 tokens or fully masked)");
  }
  for (uint8_t m : set.target_mask) set.target_tokens += m;
  return set;
}

DatasetSplit split_dataset(const std::vector<Example>& examples, double validation_ratio,
                           uint64_t seed) {
  if (!std::isfinite(validation_ratio) || validation_ratio < 0 || validation_ratio >= 1) {
    throw Error("validation ratio must be in [0, 1), got " + std::to_string(validation_ratio));
  }
  DatasetSplit split;
  if (validation_ratio == 0) {
    split.train = examples;
    return split;
  }
  const size_t n = examples.size();
  if (n < 2) {
    throw Error("cannot split " + std::to_string(n) + " example(s) into train and validation "
                "(validation ratio " + std::to_string(validation_ratio) +
                "): need at least 2, or give a separate validation dataset");
  }
  const size_t wanted = size_t(std::llround(double(n) * validation_ratio));
  const size_t validation_count = std::clamp<size_t>(wanted, 1, n - 1);
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t(0));
  SeededRng(derive_seed(seed, kSplitStream)).shuffle(order);
  std::vector<uint8_t> in_validation(n, 0);
  for (size_t k = 0; k < validation_count; ++k) in_validation[order[k]] = 1;
  for (size_t i = 0; i < n; ++i) {
    (in_validation[i] ? split.validation : split.train).push_back(examples[i]);
  }
  return split;
}

DatasetSplit load_train_validation(const DatasetSpec& train,
                                   const std::optional<DatasetSpec>& validation,
                                   double validation_ratio, uint64_t seed) {
  if (validation) return {read_dataset(train), read_dataset(*validation)};
  return split_dataset(read_dataset(train), validation_ratio, seed);
}

}  // namespace loralab
