// Runs the trainer's AdamW (adamw.h) with its gradient clipping on plain float32 vectors, so that
// a torch-free test can hold it against torch.optim.AdamW (tests/golden/make_adamw_fixture.py).
// One-dimensional parameters (norms, biases) get no weight decay, as in the trainer.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace loralab::training {

struct AdamWCheckInput {
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0.01, max_norm = 0;
  std::map<std::string, std::vector<int64_t>> shapes;
  std::map<std::string, std::vector<float>> initial;
  struct Step {
    double lr = 0;
    std::map<std::string, std::vector<float>> grads;
  };
  std::vector<Step> steps;
};

struct AdamWCheckResult {
  std::vector<double> grad_norms;  // before clipping, per step
  std::map<std::string, std::vector<float>> params, exp_avg, exp_avg_sq;
};

// Throws std::invalid_argument when a size does not match its shape.
AdamWCheckResult run_adamw_check(const AdamWCheckInput& input);

}  // namespace loralab::training
