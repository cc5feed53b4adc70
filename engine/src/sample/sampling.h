// Choosing the next token from a row of logits (engine-internal, no LibTorch): a seeded PRNG whose
// stream is the same on every platform and thread count, and the logit pipeline repetition
// penalty → temperature → top-k → top-p → draw, with buffers reused across steps.
#pragma once
#include <cstdint>
#include <vector>

#include "loralab/random.h"
#include "loralab/sampler.h"

namespace loralab::sample {

// The draw uses the engine's seeded xoshiro256** stream (same on every platform and thread count).
using Rng = SeededRng;

class TokenChooser {
 public:
  // spec must be valid (SampleSpec::validate).
  TokenChooser(int64_t vocab_size, const SampleSpec& spec);

  // Marks a token as seen (prompt or output) for the repetition penalty.
  void observe(int32_t id);
  // Picks the next token from raw logits (vocab_size floats).
  int32_t choose(const float* logits, Rng& rng);
  // The distribution choose() draws from, written densely into `probs` (vocab_size entries).
  void distribution(const float* logits, std::vector<double>& probs);

 private:
  // Fills candidates_ / weights_ (normalised, descending by logit unless nothing needs order).
  void prepare(const float* logits);

  int64_t vocab_;
  SampleSpec spec_;
  std::vector<float> work_;
  std::vector<int32_t> order_;
  std::vector<int32_t> candidates_;
  std::vector<double> weights_;
  std::vector<uint8_t> seen_mask_;
  std::vector<int32_t> seen_ids_;
};

}  // namespace loralab::sample
