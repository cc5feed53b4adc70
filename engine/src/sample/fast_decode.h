// One-token decoding step of a float32 LLaMA decoder without LibTorch operations: the same
// computation as LlamaImpl::forward on a single new position with a KV cache (RMSNorm, q/k/v with
// every live LoRA adapter, RoPE, grouped-query attention over the cache, o, SwiGLU, the head),
// written over raw arrays with sample::kernels. It reads the modules' tensors and appends to the
// same KVCache layout the LibTorch path uses, so the two can take turns on one cache (the
// sampler prefills a prompt with LibTorch, then decodes here). Engine-internal.
#pragma once
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "model/llama.h"

namespace loralab::sample {

// False when LORALAB_DECODE=torch is set in the environment (read on every call): then the
// sampler and Model::logits_incremental use LibTorch operations only, for comparisons.
bool fast_decode_enabled();

// Makes every layer's (1, nkv, capacity, hd) key and value buffers hold at least `positions`, in
// the decoder's dtype, keeping the cache.length positions already there. Both decoding paths
// share this layout.
void reserve_cache(const model::LlamaImpl& net, model::KVCache& cache, int64_t positions);

class FastDecoder {
 public:
  // Whether this path can run `net` as it is now: float32 weights, biases and live adapters,
  // contiguous, in evaluation mode (training mode would apply adapter dropout).
  static bool supports(const model::LlamaImpl& net);

  // Runs `token` at position cache.length, appends its keys and values to the cache (growing it,
  // contents kept, when full), advances cache.length and writes vocab_size float logits. Returns
  // false without touching the cache when supports(net) is false.
  bool step(model::LlamaImpl& net, model::KVCache& cache, int64_t token, float* logits);

 private:
  // One module's live adapters stacked for the current blend: every live adapter's A rows one
  // after another (rank × in) and their λ·s·B transposed (rank × out), so that a token costs one
  // matvec and one add_transposed however many adapters are live. `sources` keeps the A and B
  // tensors it was built from (alive, so their identity cannot be reused), with their version
  // counters and λ·s: a blend change, a new or removed adapter or an in-place update to A or B
  // (a training step) rebuilds it on the next token.
  struct Stack {
    struct Source {
      torch::Tensor a, b;
      int64_t a_version = 0, b_version = 0;
      double factor = 0;
      bool built_from(const lora::Adapter& adapter) const;  // same tensors, versions and λ·s
    };
    std::vector<Source> sources;
    int64_t rank = 0;
    std::vector<float> a, bt;
  };

  void project(const lora::LoraLinearImpl& layer, const float* in, float* out,
               bool accumulate = false);
  const Stack& stack_for(const lora::LoraLinearImpl& layer);

  std::unordered_map<const lora::LoraLinearImpl*, Stack> stacks_;
  std::vector<float> x_, normed_, q_, k_, v_, attended_, gate_, up_, scores_, low_rank_;
};

}  // namespace loralab::sample
