// Dropout masks for LoRA inputs, made without torch's bernoulli_ (which draws one Mersenne
// Twister number per element on one thread and costs ~7% of a LoRA training step here).
#pragma once
#include <torch/torch.h>

namespace loralab::lora {

// A tensor shaped like `like` holding 0 with probability p and 1 / (1 - p) otherwise. One 64-bit
// seed is drawn from torch's default CPU generator, so seeding torch and saving/restoring its
// state (as checkpoints do) reproduces the masks exactly. The elements come from counter-based
// streams in fixed-size chunks, so the result does not depend on the number of threads.
torch::Tensor dropout_mask(const torch::Tensor& like, double p);

}  // namespace loralab::lora
