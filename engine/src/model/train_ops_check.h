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

// The vector instruction sets this CPU offers the float32 kernels, lowest first, of "scalar",
// "avx2" and "avx512"; and a switch that makes the kernels use one of them (and nothing higher)
// from now on, so that a test can check every path on one machine. Returns false, changing
// nothing, for a name this CPU does not offer.
std::vector<std::string> kernel_simd_levels();
bool use_kernel_simd_level(const std::string& name);

}  // namespace loralab::model
