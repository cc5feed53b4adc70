// Next-token choice; see sampling.h. Also SampleSpec validation and next_token_probabilities,
// which expose the same pipeline to callers and tests.
#include "sample/sampling.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include "loralab/error.h"

namespace loralab {

void SampleSpec::validate() const {
  auto fail = [](const std::string& field, const std::string& expected, const std::string& found) {
    throw Error("SampleSpec." + field + ": expected " + expected + ", got " + found);
  };
  if (max_new_tokens < 0) fail("max_new_tokens", "≥ 0", std::to_string(max_new_tokens));
  if (!(temperature >= 0) || !std::isfinite(temperature))
    fail("temperature", "a finite number ≥ 0 (0 = greedy)", std::to_string(temperature));
  if (top_k < 0) fail("top_k", "≥ 0 (0 = off)", std::to_string(top_k));
  if (!(top_p > 0 && top_p <= 1)) fail("top_p", "a number in (0, 1]", std::to_string(top_p));
  if (!(repetition_penalty > 0) || !std::isfinite(repetition_penalty))
    fail("repetition_penalty", "a finite number > 0 (1 = off)",
         std::to_string(repetition_penalty));
  for (size_t i = 0; i < stop_strings.size(); ++i)
    if (stop_strings[i].empty())
      fail("stop_strings[" + std::to_string(i) + "]", "a non-empty string", "\"\"");
}

std::vector<double> next_token_probabilities(std::span<const float> logits,
                                             std::span<const int32_t> seen,
                                             const SampleSpec& spec) {
  spec.validate();
  if (logits.empty()) throw Error("next_token_probabilities: no logits given");
  const auto vocab = static_cast<int64_t>(logits.size());
  sample::TokenChooser chooser(vocab, spec);
  for (int32_t id : seen) {
    if (id < 0 || id >= vocab)
      throw Error("next_token_probabilities: seen token " + std::to_string(id) +
                  " is outside the vocabulary [0, " + std::to_string(vocab) + ")");
    chooser.observe(id);
  }
  std::vector<double> probs;
  chooser.distribution(logits.data(), probs);
  return probs;
}

namespace sample {

TokenChooser::TokenChooser(int64_t vocab_size, const SampleSpec& spec)
    : vocab_(vocab_size), spec_(spec), seen_mask_(static_cast<size_t>(vocab_size), 0) {
  work_.resize(static_cast<size_t>(vocab_));
  order_.resize(static_cast<size_t>(vocab_));
}

void TokenChooser::observe(int32_t id) {
  if (seen_mask_[static_cast<size_t>(id)]) return;
  seen_mask_[static_cast<size_t>(id)] = 1;
  seen_ids_.push_back(id);
}

void TokenChooser::prepare(const float* logits) {
  std::copy(logits, logits + vocab_, work_.begin());
  const float penalty = static_cast<float>(spec_.repetition_penalty);
  if (penalty != 1.0f)
    for (int32_t id : seen_ids_) {
      float& v = work_[static_cast<size_t>(id)];
      v = v > 0 ? v / penalty : v * penalty;
    }
  candidates_.clear();
  weights_.clear();

  // A strict total order (higher logit first, lower id on ties) keeps the result independent of
  // how nth_element and sort happen to be implemented. NaN counts as the lowest value.
  auto key = [&](int32_t id) {
    float v = work_[static_cast<size_t>(id)];
    return std::isnan(v) ? -std::numeric_limits<float>::infinity() : v;
  };
  auto better = [&](int32_t a, int32_t b) {
    float va = key(a), vb = key(b);
    return va > vb || (va == vb && a < b);
  };

  if (spec_.temperature == 0) {
    int32_t best = 0;
    for (int32_t id = 1; id < vocab_; ++id)
      if (better(id, best)) best = id;
    candidates_.push_back(best);
    weights_.push_back(1.0);
    return;
  }

  const int64_t k = spec_.top_k > 0 && spec_.top_k < vocab_ ? spec_.top_k : vocab_;
  const bool nucleus = spec_.top_p < 1.0;
  std::iota(order_.begin(), order_.end(), 0);
  if (k < vocab_) {
    std::nth_element(order_.begin(), order_.begin() + (k - 1), order_.end(), better);
    std::sort(order_.begin(), order_.begin() + k, better);
  } else if (nucleus) {
    std::sort(order_.begin(), order_.end(), better);
  }
  candidates_.assign(order_.begin(), order_.begin() + k);

  float top = -std::numeric_limits<float>::infinity();
  for (int32_t id : candidates_) top = std::max(top, key(id));
  if (!std::isfinite(top))
    throw Error("sampler: the model produced no finite logit (weights contain NaN or infinity?)");
  const double inv_t = 1.0 / spec_.temperature;
  double total = 0;
  weights_.resize(candidates_.size());
  for (size_t i = 0; i < candidates_.size(); ++i) {
    weights_[i] = std::exp((static_cast<double>(key(candidates_[i])) - top) * inv_t);
    total += weights_[i];
  }
  if (nucleus) {
    // Keep the most probable tokens until their mass reaches top_p (at least one), as
    // transformers' TopPLogitsWarper does.
    const double threshold = spec_.top_p * total;
    double before = 0;
    size_t keep = 0;
    while (keep < weights_.size() && (keep == 0 || before < threshold)) before += weights_[keep++];
    candidates_.resize(keep);
    weights_.resize(keep);
    total = before;
  }
  for (double& w : weights_) w /= total;
}

int32_t TokenChooser::choose(const float* logits, Rng& rng) {
  prepare(logits);
  if (spec_.temperature == 0) return candidates_[0];
  // One draw per step, even with a single candidate, so the stream position depends only on the
  // step number.
  double u = rng.uniform();
  for (size_t i = 0; i < candidates_.size(); ++i) {
    if (u < weights_[i]) return candidates_[i];
    u -= weights_[i];
  }
  // Rounding left u just above the summed mass: take the last token that has any.
  for (size_t i = candidates_.size(); i-- > 0;)
    if (weights_[i] > 0) return candidates_[i];
  return candidates_[0];
}

void TokenChooser::distribution(const float* logits, std::vector<double>& probs) {
  prepare(logits);
  probs.assign(static_cast<size_t>(vocab_), 0.0);
  for (size_t i = 0; i < candidates_.size(); ++i)
    probs[static_cast<size_t>(candidates_[i])] = weights_[i];
}

}  // namespace sample
}  // namespace loralab
