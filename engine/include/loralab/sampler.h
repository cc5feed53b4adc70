// Text generation from a Model: temperature, top-k, top-p, repetition penalty, a seeded draw,
// streaming callbacks, a cancel flag, stop strings and EOS; plus the per-token log-likelihood the
// blend playground uses for style affinity. Torch-free API.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "loralab/model.h"

namespace loralab {

class Tokenizer;

struct SampleSpec {
  int max_new_tokens = 200;
  double temperature = 0.8;        // 0 = greedy (argmax after the repetition penalty)
  int top_k = 40;                  // 0 = off
  double top_p = 1.0;              // nucleus mass kept, in (0, 1]
  double repetition_penalty = 1.0; // > 0; 1 = off
  uint64_t seed = 0;
  std::vector<std::string> stop_strings;  // matched on the decoded text (generate_text only)
  bool stop_at_eos = true;

  // Throws loralab::Error naming the field ("SampleSpec.top_p") and the value found.
  void validate() const;
};

enum class StopReason { MaxTokens, Eos, StopString, Callback, Cancelled };
const char* stop_reason_name(StopReason reason);  // "max_tokens", "eos", "stop_string", ...

struct SampleResult {
  // Generated ids, prompt excluded. An EOS that ends generation is not included (nor passed to
  // the callback); the token that completed a stop string is.
  std::vector<int32_t> tokens;
  std::string text;  // generate_text: everything streamed (a matched stop string excluded)
  StopReason stop_reason = StopReason::MaxTokens;
  int64_t prompt_tokens = 0;
  double first_token_ms = 0;  // from the call to the first sampled token (prefill included)
  double total_ms = 0;
};

// Return false to stop generating after this token.
using TokenCallback = std::function<bool(int32_t id)>;
// Receives decoded text pieces; never splits a UTF-8 character, never emits any part of a stop
// string that ends generation. Return false to stop.
using TextCallback = std::function<bool(std::string_view piece)>;

// Generates with a KV cache (the prompt prefilled in one forward, then one token per forward).
// The same seed and settings give the same tokens on every run and thread count. A λ changed (or
// an adapter enabled, disabled, added or removed) during generation applies from the next token
// on: the text so far is re-read under the new blend, so the continuation is what that blend
// would produce. One Sampler is used by one thread at a time; forwards on the shared Model are
// serialised.
class Sampler {
 public:
  explicit Sampler(std::shared_ptr<Model> model);
  ~Sampler();
  Sampler(const Sampler&) = delete;
  Sampler& operator=(const Sampler&) = delete;

  // `cancel` is polled before every forward. spec.stop_strings must be empty here (they need a
  // tokenizer: use generate_text). Stops at the model config's eos_token_ids.
  SampleResult generate(const std::vector<int32_t>& prompt, const SampleSpec& spec,
                        const TokenCallback& on_token = {},
                        const std::atomic<bool>* cancel = nullptr);

  // Encodes `prompt` (BOS prepended when the tokenizer or the model config has one), generates
  // and streams decoded text. EOS ids: the model config's and the tokenizer's.
  SampleResult generate_text(const Tokenizer& tokenizer, const std::string& prompt,
                             const SampleSpec& spec, const TextCallback& on_text = {},
                             const std::atomic<bool>* cancel = nullptr);
  // Same from prompt ids (used as given).
  SampleResult generate_text(const Tokenizer& tokenizer, const std::vector<int32_t>& prompt,
                             const SampleSpec& spec, const TextCallback& on_text = {},
                             const std::atomic<bool>* cancel = nullptr);

  // Intra-op threads while generating, set on the calling thread only (a training on another
  // thread keeps its own). 0, the default, picks one thread for models under 32M parameters —
  // batch-1 decoding of a small model is a chain of tiny matrix-vector products that a second
  // thread only slows down, several-fold when the cores are busy — and the caller's setting for
  // larger ones. threads < 0 throws.
  void set_threads(int threads);
  int generation_threads() const;  // what the next generation will use

  Model& model();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The distribution the sampler draws the next token from, given the raw logits and every token
// seen so far (prompt + output): repetition penalty (positive logits divided, negative ones
// multiplied, each distinct seen token once, as transformers does), temperature, top-k, then
// top-p. Probabilities of filtered tokens are 0; temperature 0 gives a one-hot argmax.
std::vector<double> next_token_probabilities(std::span<const float> logits,
                                             std::span<const int32_t> seen,
                                             const SampleSpec& spec);

// Mean log-probability per token of tokens[score_from..] given the tokens before each, under the
// model with its current adapters and λ (natural log). Needs score_from ≥ 1 and at least one
// scored token. Style affinity of an adapter = this value with it enabled minus with it disabled.
double mean_log_likelihood(Model& model, const std::vector<int32_t>& tokens,
                           size_t score_from = 1);

}  // namespace loralab
