// AdamW with decoupled weight decay (Loshchilov & Hutter) over named tensors, with its state
// exposed as plain tensors so checkpoints can store it in safetensors (no pickles).
#pragma once
#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

namespace loralab::training {

struct AdamWOptions {
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0.01;
};

class AdamW {
 public:
  AdamW(std::vector<std::pair<std::string, torch::Tensor>> params, AdamWOptions options);

  // One update with learning rate `lr`; parameters without a gradient are skipped.
  void step(double lr);
  void zero_grad();
  // √(Σ ‖g‖²) over every gradient; scales them down to `max_norm` when above it (0 = no clip).
  double clip_grad_norm(double max_norm);

  int64_t steps_done() const { return step_; }
  const std::vector<std::pair<std::string, torch::Tensor>>& params() const { return params_; }
  // "exp_avg.NAME" / "exp_avg_sq.NAME" tensors plus "step" (I64 scalar).
  std::map<std::string, torch::Tensor> state() const;
  void load_state(const std::map<std::string, torch::Tensor>& state, const std::string& source);

 private:
  std::vector<std::pair<std::string, torch::Tensor>> params_;
  std::vector<torch::Tensor> exp_avg_, exp_avg_sq_;
  AdamWOptions options_;
  int64_t step_ = 0;
};

}  // namespace loralab::training
