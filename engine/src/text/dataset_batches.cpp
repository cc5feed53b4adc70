// SeededRng's unbiased bounded draw (loralab/random.h) and the resumable, seeded walk over packed
// rows.
#include <algorithm>
#include <numeric>

#include "dataset_internal.h"
#include "loralab/error.h"

namespace loralab {
namespace {

constexpr uint64_t kGolden = 0x9e3779b97f4a7c15ULL;  // 2^64 / golden ratio, splitmix64's increment
constexpr uint64_t kEpochStream = 0x65706f6368ULL;    // "epoch": separates epoch orders from others

}  // namespace

uint64_t SeededRng::below(uint64_t bound) {
  if (bound == 0) throw Error("SeededRng::below: bound must be positive");
  // Reject the lowest (2^64 mod bound) values so every residue is equally likely.
  const uint64_t threshold = (0 - bound) % bound;
  while (true) {
    const uint64_t r = next();
    if (r >= threshold) return r % bound;
  }
}

uint64_t derive_seed(uint64_t seed, uint64_t stream) {
  uint64_t state = seed;
  const uint64_t mixed_seed = splitmix64(state);
  state = mixed_seed ^ (stream * kGolden);
  return splitmix64(state);
}

BatchIterator::BatchIterator(int64_t rows, int64_t batch_size, uint64_t seed, bool shuffle,
                             bool drop_last)
    : rows_(rows), batch_size_(batch_size), seed_(seed), shuffle_(shuffle), drop_last_(drop_last) {
  if (rows <= 0) throw Error("batch iterator: the dataset has no rows");
  if (batch_size <= 0) {
    throw Error("batch iterator: batch size must be positive, got " + std::to_string(batch_size));
  }
  if (drop_last && batch_size > rows) {
    throw Error("batch iterator: batch size " + std::to_string(batch_size) + " is larger than the " +
                std::to_string(rows) + " rows of the dataset, and drop_last leaves no batch");
  }
  begin_epoch(0);
}

std::vector<int64_t> BatchIterator::epoch_order(int64_t epoch) const {
  std::vector<int64_t> order(static_cast<size_t>(rows_));
  std::iota(order.begin(), order.end(), int64_t(0));
  if (shuffle_) SeededRng(derive_seed(derive_seed(seed_, kEpochStream), uint64_t(epoch))).shuffle(order);
  return order;
}

int64_t BatchIterator::batches_per_epoch() const {
  return drop_last_ ? rows_ / batch_size_ : (rows_ + batch_size_ - 1) / batch_size_;
}

void BatchIterator::begin_epoch(int64_t epoch) {
  position_ = {epoch, 0};
  order_ = epoch_order(epoch);
}

Batch BatchIterator::next() {
  Batch batch;
  batch.epoch = position_.epoch;
  const int64_t end = std::min(rows_, position_.index + batch_size_);
  batch.rows.assign(order_.begin() + position_.index, order_.begin() + end);
  position_.index = end;
  // The position always points at a batch that will be handed out.
  const int64_t remaining = rows_ - position_.index;
  if (remaining == 0 || (drop_last_ && remaining < batch_size_)) {
    batch.last_in_epoch = true;
    begin_epoch(position_.epoch + 1);
  }
  return batch;
}

void BatchIterator::restore(const BatchPosition& position) {
  const int64_t last_start = drop_last_ ? rows_ - batch_size_ : rows_ - 1;
  if (position.epoch < 0 || position.index < 0 || position.index > last_start) {
    throw Error("batch iterator: cannot restore position (epoch " + std::to_string(position.epoch) +
                ", index " + std::to_string(position.index) + "): expected epoch >= 0 and index in [0, " +
                std::to_string(last_start) + "] for " + std::to_string(rows_) +
                " rows in batches of " + std::to_string(batch_size_) +
                " (was the dataset or the batch size changed?)");
  }
  begin_epoch(position.epoch);
  position_.index = position.index;
}

}  // namespace loralab
