// loralab::Sampler: the generation loop over the decoder's KV cache; see loralab/sampler.h.
// Per step it runs one forward of a single token under the model's forward mutex (so λ changes
// from another thread land between tokens; a changed blend re-reads the text so far), copies the
// logits row out and picks the next token on the CPU with sample::TokenChooser.
#include "loralab/sampler.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <unordered_set>

#include "loralab/error.h"
#include "loralab/tokenizer.h"
#include "model/model_impl.h"
#include "sample/decode_threads.h"
#include "sample/fast_decode.h"
#include "sample/sampling.h"
#include "sample/text_stream.h"

namespace loralab {

const char* stop_reason_name(StopReason reason) {
  switch (reason) {
    case StopReason::MaxTokens: return "max_tokens";
    case StopReason::Eos: return "eos";
    case StopReason::StopString: return "stop_string";
    case StopReason::Callback: return "callback";
    case StopReason::Cancelled: return "cancelled";
  }
  return "unknown";
}

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// Called with each kept token; returns a reason to stop, or nothing to go on.
using StepHook = std::function<std::optional<StopReason>(int32_t id)>;

}  // namespace

struct Sampler::Impl {
  std::shared_ptr<Model> model;
  int threads = 0;             // 0: automatic (see Sampler::set_threads)
  int64_t parameters = 0;
  model::KVCache cache;        // buffers kept between generations; length reset each time
  sample::FastDecoder decoder; // one-token steps after the prefill (float32 models)
  std::vector<float> logits;   // the current logits row
  std::vector<int32_t> sequence;  // prompt + generated so far
  // The adapter blend the cache was computed with: (name, λ if enabled else 0), merged flag.
  std::vector<std::pair<std::string, double>> cached_blend;
  bool cached_merged = false;

  static double effective_weight(const AdapterInfo& a) { return a.enabled ? a.weight : 0.0; }

  bool blend_unchanged() const {
    const auto& impl = model->impl();
    if (impl.merged != cached_merged || impl.adapters.size() != cached_blend.size()) return false;
    for (size_t i = 0; i < cached_blend.size(); ++i)
      if (impl.adapters[i].name != cached_blend[i].first ||
          effective_weight(impl.adapters[i]) != cached_blend[i].second)
        return false;
    return true;
  }

  void record_blend() {
    const auto& impl = model->impl();
    cached_merged = impl.merged;
    cached_blend.clear();
    for (const auto& a : impl.adapters) cached_blend.emplace_back(a.name, effective_weight(a));
  }

  // Makes sure every layer's cache can hold `positions` without growing mid-generation.
  void reserve_cache(int64_t positions) {
    cache.length = 0;
    sample::reserve_cache(*model->impl().net, cache, positions);
  }

  // Runs the newest token of `sequence` (`step_ids`, (1, 1)) through the cache, or the whole
  // sequence when the cache is empty or was computed under another adapter blend: a λ moved during
  // generation then applies from the next token on as if the text so far had been read with it.
  // Leaves the last position's logits in `logits`. Single steps of a float32 model go through
  // sample::FastDecoder; prefills, other dtypes and LORALAB_DECODE=torch use LibTorch.
  void forward(const torch::Tensor& step_ids) {
    auto& impl = model->impl();
    std::lock_guard lock(impl.forward_mutex);
    if (cache.length > 0 && blend_unchanged() && sample::fast_decode_enabled()) {
      logits.resize(static_cast<size_t>(impl.config.vocab_size));
      if (decoder.step(*impl.net, cache, sequence.back(), logits.data())) return;
    }
    torch::Tensor ids = step_ids;
    if (cache.length == 0 || !blend_unchanged()) {
      cache.length = 0;
      ids = impl.token_tensor(sequence);
      record_blend();
    }
    auto hidden = impl.net->hidden_states(ids, &cache);
    auto row = head(hidden.select(1, hidden.size(1) - 1).reshape({-1})).contiguous();
    const float* data = row.data_ptr<float>();
    logits.assign(data, data + row.numel());
  }

  // The vocabulary head on one hidden vector (H) → (V) float32. The head is the largest matrix
  // of a small model; as a matrix-vector product it skips the GEMM path's packing of the whole
  // weight on every token (~25% of a G1 step). Same result as LlamaImpl::logits up to summation
  // order; a head carrying live adapters goes through the layer itself.
  torch::Tensor head(const torch::Tensor& hidden) {
    auto& net = model->impl().net;
    torch::Tensor out;
    if (!net->lm_head)
      out = torch::mv(net->embed_tokens, hidden);
    else if (net->lm_head->adapters().empty() || net->lm_head->merged())
      out = net->lm_head->bias.defined() ? torch::addmv(net->lm_head->bias, net->lm_head->weight, hidden)
                                         : torch::mv(net->lm_head->weight, hidden);
    else
      return net->logits(hidden.unsqueeze(0)).squeeze(0);
    return out.scalar_type() == torch::kFloat32 ? out : out.to(torch::kFloat32);
  }

  int generation_threads() const {
    if (threads > 0) return threads;
    return parameters < sample::kSingleThreadDecodeParameters ? 1 : sample::calling_thread_threads();
  }

  SampleResult run(const std::vector<int32_t>& prompt, const SampleSpec& spec,
                   const std::unordered_set<int32_t>& eos, const StepHook& hook,
                   const std::atomic<bool>* cancel);
};

SampleResult Sampler::Impl::run(const std::vector<int32_t>& prompt, const SampleSpec& spec,
                                const std::unordered_set<int32_t>& eos, const StepHook& hook,
                                const std::atomic<bool>* cancel) {
  const auto start = Clock::now();
  spec.validate();
  if (prompt.empty()) throw Error("sampler: the prompt has no tokens (give at least one, e.g. BOS)");
  auto& impl = model->impl();
  const int64_t vocab = impl.config.vocab_size;
  SampleResult result;
  result.prompt_tokens = static_cast<int64_t>(prompt.size());
  c10::InferenceMode inference;
  impl.token_tensor(prompt);  // checks the ids against the vocabulary before anything runs
  auto cancelled = [&] { return cancel && cancel->load(std::memory_order_relaxed); };

  if (spec.max_new_tokens == 0 || cancelled()) {
    result.stop_reason = spec.max_new_tokens == 0 ? StopReason::MaxTokens : StopReason::Cancelled;
    result.total_ms = ms_since(start);
    return result;
  }
  sample::ScopedCallingThreadThreads thread_scope(generation_threads());
  // Past a few thousand tokens the decoder's own doubling takes over.
  reserve_cache(result.prompt_tokens + std::min(spec.max_new_tokens, 4096));
  sample::TokenChooser chooser(vocab, spec);
  for (int32_t id : prompt) chooser.observe(id);
  sample::Rng rng(spec.seed);
  auto step_ids = torch::empty({1, 1}, torch::kInt64);
  int64_t* step_slot = step_ids.data_ptr<int64_t>();
  sequence.assign(prompt.begin(), prompt.end());
  forward(step_ids);  // the cache is empty: prefills the prompt
  result.tokens.reserve(static_cast<size_t>(spec.max_new_tokens));
  for (int step = 0;; ++step) {
    const int32_t id = chooser.choose(logits.data(), rng);
    if (step == 0) result.first_token_ms = ms_since(start);
    if (spec.stop_at_eos && eos.count(id)) {
      result.stop_reason = StopReason::Eos;
      break;
    }
    result.tokens.push_back(id);
    chooser.observe(id);
    if (hook) {
      if (auto reason = hook(id)) {
        result.stop_reason = *reason;
        break;
      }
    }
    if (step + 1 >= spec.max_new_tokens) {
      result.stop_reason = StopReason::MaxTokens;
      break;
    }
    if (cancelled()) {
      result.stop_reason = StopReason::Cancelled;
      break;
    }
    *step_slot = id;
    sequence.push_back(id);
    forward(step_ids);
  }
  result.total_ms = ms_since(start);
  return result;
}

Sampler::Sampler(std::shared_ptr<Model> model) : impl_(std::make_unique<Impl>()) {
  if (!model) throw Error("Sampler: no model given");
  impl_->model = std::move(model);
  impl_->parameters = impl_->model->parameter_count();
}

void Sampler::set_threads(int threads) {
  if (threads < 0)
    throw Error("Sampler::set_threads: expected 0 (automatic) or a count > 0, got " +
                std::to_string(threads));
  impl_->threads = threads;
}

int Sampler::generation_threads() const { return impl_->generation_threads(); }

Sampler::~Sampler() = default;

Model& Sampler::model() { return *impl_->model; }

namespace {

std::unordered_set<int32_t> config_eos(const ModelConfig& config) {
  std::unordered_set<int32_t> eos;
  for (int64_t id : config.eos_token_ids)
    if (id >= 0 && id < config.vocab_size) eos.insert(static_cast<int32_t>(id));
  return eos;
}

}  // namespace

SampleResult Sampler::generate(const std::vector<int32_t>& prompt, const SampleSpec& spec,
                               const TokenCallback& on_token, const std::atomic<bool>* cancel) {
  if (!spec.stop_strings.empty())
    throw Error("SampleSpec.stop_strings: stop strings are matched on text and need a tokenizer; "
                "use Sampler::generate_text");
  StepHook hook;
  if (on_token)
    hook = [&](int32_t id) -> std::optional<StopReason> {
      if (!on_token(id)) return StopReason::Callback;
      return std::nullopt;
    };
  return impl_->run(prompt, spec, config_eos(impl_->model->config()), hook, cancel);
}

SampleResult Sampler::generate_text(const Tokenizer& tokenizer, const std::string& prompt,
                                    const SampleSpec& spec, const TextCallback& on_text,
                                    const std::atomic<bool>* cancel) {
  std::vector<int32_t> ids;
  if (auto bos = tokenizer.bos_id())
    ids.push_back(*bos);
  else if (!impl_->model->config().bos_token_ids.empty())
    ids.push_back(static_cast<int32_t>(impl_->model->config().bos_token_ids.front()));
  auto body = tokenizer.encode(prompt, /*add_special_tokens=*/false);
  ids.insert(ids.end(), body.begin(), body.end());
  if (ids.empty())
    throw Error("sampler: the prompt is empty and neither the tokenizer nor the model config has "
                "a BOS token to start from");
  return generate_text(tokenizer, ids, spec, on_text, cancel);
}

SampleResult Sampler::generate_text(const Tokenizer& tokenizer, const std::vector<int32_t>& prompt,
                                    const SampleSpec& spec, const TextCallback& on_text,
                                    const std::atomic<bool>* cancel) {
  auto eos = config_eos(impl_->model->config());
  if (auto id = tokenizer.eos_id()) eos.insert(*id);
  const int32_t known = tokenizer.vocab_size();
  sample::TextStream stream(spec.stop_strings);
  std::string text;
  bool listening = true;  // false once on_text asked to stop
  auto emit = [&](const std::string& piece) {
    if (piece.empty()) return;
    text += piece;
    if (listening && on_text && !on_text(piece)) listening = false;
  };
  StepHook hook = [&](int32_t id) -> std::optional<StopReason> {
    // Ids the model has but the tokenizer lacks (padded vocabularies) decode to nothing.
    std::string bytes;
    if (id < known) {
      try {
        bytes = tokenizer.token_bytes(id);
      } catch (const Error&) {
      }
    }
    auto piece = stream.push(bytes);
    emit(piece.text);
    if (piece.stopped) return StopReason::StopString;
    if (!listening) return StopReason::Callback;
    return std::nullopt;
  };
  auto result = impl_->run(prompt, spec, eos, hook, cancel);
  if (result.stop_reason != StopReason::StopString) {
    auto rest = stream.flush();
    emit(rest.text);
    if (rest.stopped) result.stop_reason = StopReason::StopString;
  }
  result.text = std::move(text);
  return result;
}

}  // namespace loralab
