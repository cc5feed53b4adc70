// A frozen linear layer that carries any number of named LoRA adapters (engine-internal).
//
//   y = W0 x + b + Σ_i λ_i s_i B_i (A_i dropout_i(x)),   s_i = alpha_i / r_i  (or alpha_i / √r_i)
//
// A x is computed first (O(r(d+k)) instead of O(dk)). Enabling, disabling or re-weighting an
// adapter only changes the numbers read on the next forward; no weight is touched. Merging folds
// the enabled adapters into W and keeps a copy of W0, so unmerging restores it bit for bit.
#pragma once
#include <torch/torch.h>

#include <optional>
#include <string>
#include <vector>

namespace loralab::lora {

struct Adapter {
  std::string name;
  torch::Tensor a;  // (r, in)
  torch::Tensor b;  // (out, r)
  double alpha = 8;
  bool rslora = false;
  double dropout = 0.0;
  double weight = 1.0;  // λ: any real number
  bool enabled = true;
  // PiSSA only: the initial factors, whose product was moved out of W0 (saving converts the
  // adapter to a standard LoRA against the original W0 with them).
  torch::Tensor init_a, init_b;

  int64_t rank() const { return a.size(0); }
  double scaling() const;
  // Contributes to the layer's output: enabled with a nonzero λ.
  bool live() const { return enabled && weight != 0.0; }
};

class LoraLinearImpl : public torch::nn::Module {
 public:
  // `bias` may be undefined. The weight is registered frozen (requires_grad false).
  LoraLinearImpl(torch::Tensor weight, torch::Tensor bias);

  torch::Tensor forward(const torch::Tensor& x);  // x (..., in) → (..., out)

  int64_t in_features() const { return weight.size(1); }
  int64_t out_features() const { return weight.size(0); }

  // Adds an adapter; A/B shapes are checked against the layer. Throws if the name exists.
  Adapter& add_adapter(Adapter adapter);
  void remove_adapter(const std::string& name);
  Adapter* find_adapter(const std::string& name);
  std::vector<Adapter>& adapters() { return adapters_; }
  const std::vector<Adapter>& adapters() const { return adapters_; }

  // Folds every enabled adapter (with its current λ) into the weight; they stop contributing to
  // forward until unmerge. Merging twice without unmerge is refused.
  void merge();
  void unmerge();  // restores W0 exactly
  bool merged() const { return original_weight_.defined(); }
  // forward is x Wᵀ (+ bias) alone: merged, or no live adapter.
  bool plain() const;
  // x Wᵀ (+ bias) alone, whatever the adapters: for training through the row_gemm node (see
  // lora_linear.cpp), else LibTorch's linear.
  torch::Tensor linear(const torch::Tensor& x) const;
  // ΔW = Σ enabled λ s B A in float32, shape (out, in).
  torch::Tensor delta_weight() const;

  // The adapter the fused training node (lora_linear.cpp) applies to, or nullptr: one live
  // adapter on a frozen layer, one dtype throughout, no autocast, in training mode or with
  // gradients on.
  const Adapter* fused_adapter(const torch::Tensor& x) const;

  torch::Tensor weight;  // (out, in), frozen unless full fine-tuning
  torch::Tensor bias;    // (out) or undefined

 private:
  torch::Tensor add_adapters_inplace(const torch::Tensor& x, torch::Tensor& y);
  std::vector<Adapter> adapters_;
  torch::Tensor original_weight_;  // defined while merged
};
TORCH_MODULE(LoraLinear);

// The outputs of `layers` for one input x they all read (q/k/v, or gate/up), as their forward
// would give them. The layers whose one adapter fits the fused node (fused_adapter) and that share
// a dropout probability and bias use run as one node with one dropout mask of x: the adapters see
// the same dropped input (as behind one dropout on the shared input), which saves drawing,
// applying and remaking a mask per layer and sums the input gradients in one buffer.
//
// With `normed`, x is the RMSNorm kernel's output for normed->input (model/fused_kernels.h,
// rms_norm_forward): the fused node then keeps normed->input, which the norm keeps anyway,
// instead of x, and normalises it again in backward (one pass, bit for bit the same x).
struct NormedInput {
  torch::Tensor input, weight;
  double eps = 0;
};
std::vector<torch::Tensor> forward_shared_input(const torch::Tensor& x,
                                                const std::vector<LoraLinearImpl*>& layers,
                                                const NormedInput* normed = nullptr);

}  // namespace loralab::lora
