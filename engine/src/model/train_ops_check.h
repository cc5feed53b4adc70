// Self-check of the training nodes in train_ops.h, torch-free so that tests can call it: each node
// against the composed LibTorch operations it replaces, in float64 on seeded random inputs with
// awkward shapes (odd lengths, several query blocks, GQA), values and gradients for a random
// upstream gradient.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace loralab::model {

struct TrainOpCheck {
  std::string node;            // "rotary", "swiglu", "attention", "cross_entropy"
  double forward_max_abs = 0;  // |node − composed| over the outputs
  double grad_max_abs = 0;     // the same over every input gradient
  double grad_scale = 0;       // max |composed gradient|, for relative figures
};

std::vector<TrainOpCheck> check_training_ops(uint64_t seed);

}  // namespace loralab::model
