// mean_log_likelihood: how well the model (with its current adapters and λ) explains a text, as
// the blend playground's style affinity needs it. One forward over the whole text; the vocabulary
// log-softmax is taken in chunks of positions so long texts on large vocabularies stay small.
#include <string>

#include "loralab/error.h"
#include "loralab/sampler.h"
#include "model/model_impl.h"

namespace loralab {

double mean_log_likelihood(Model& model, const std::vector<int32_t>& tokens,
                           size_t score_from) {
  if (score_from < 1)
    throw Error("mean_log_likelihood: score_from must be ≥ 1 (the first token has no context)");
  if (tokens.size() <= score_from)
    throw Error("mean_log_likelihood: " + std::to_string(tokens.size()) +
                " tokens leave nothing to score from position " + std::to_string(score_from));
  auto& impl = model.impl();
  std::lock_guard lock(impl.forward_mutex);
  c10::InferenceMode inference;
  auto ids = impl.token_tensor(tokens);
  auto hidden = impl.net->hidden_states(ids);  // (1, T, H)
  const int64_t total = static_cast<int64_t>(tokens.size());
  const int64_t first = static_cast<int64_t>(score_from);
  constexpr int64_t kChunk = 64;
  double sum = 0;
  // Position t - 1 predicts token t.
  for (int64_t begin = first; begin < total; begin += kChunk) {
    const int64_t count = std::min(kChunk, total - begin);
    auto logits = impl.net->logits(hidden.narrow(1, begin - 1, count));  // (1, n, V) float32
    auto log_probs = torch::log_softmax(logits, -1);
    auto targets = ids.narrow(1, begin, count).unsqueeze(-1);
    sum += log_probs.gather(-1, targets).to(torch::kFloat64).sum().item<double>();
  }
  return sum / static_cast<double>(total - first);
}

}  // namespace loralab
