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

// The same in two halves, for code that makes a mask again in backward instead of keeping it:
// next_dropout_seed() draws what dropout_mask would draw, and dropout_mask_from_seed(like, p,
// seed) gives, for that seed, the mask dropout_mask would have returned.
uint64_t next_dropout_seed();
torch::Tensor dropout_mask_from_seed(const torch::Tensor& like, double p, uint64_t seed);

// The mask's uses in one pass each, without a mask tensor (the same values as the composed
// operations with dropout_mask_from_seed(like, p, seed)): x ⊙ mask, and target += values ⊙ mask
// in place (values shaped like target).
torch::Tensor dropped_from_seed(const torch::Tensor& x, double p, uint64_t seed);
void drop_from_seed_(torch::Tensor& x, double p, uint64_t seed);  // x ⊙ mask, in place
void add_masked_from_seed(torch::Tensor& target, const torch::Tensor& values, double p,
                          uint64_t seed);

// The mask kept as bits (bit i % 16 of int16 word i / 16: n / 8 bytes, where the mask itself
// would take n floats), for code that uses the mask again in backward without hashing it again:
// x ⊙ mask and its bits in one pass, then x ⊙ mask (new or in place) and target += values ⊙ mask
// from the bits. Contiguous float32 or float64 tensors; the values match the *_from_seed functions'.
struct DroppedWithBits {
  torch::Tensor dropped, bits;
};
DroppedWithBits dropped_keeping_bits(const torch::Tensor& x, double p, uint64_t seed);
torch::Tensor dropped_with_bits(const torch::Tensor& x, double p, const torch::Tensor& bits);
void drop_with_bits_(torch::Tensor& x, double p, const torch::Tensor& bits);
void add_masked_with_bits(torch::Tensor& target, const torch::Tensor& values, double p,
                          const torch::Tensor& bits);

}  // namespace loralab::lora
