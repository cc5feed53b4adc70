// A check of the one-pass dropout operations against the mask they stand for, without LibTorch
// headers, for tests (tests/unit/test_train_ops.cpp).
#pragma once
#include <cstdint>

namespace loralab::lora {

struct DropoutCheck {
  double apply_max_abs = 0;       // |dropout_apply(x) - x ⊙ mask|, float32 and float64
  double accumulate_max_abs = 0;  // |acc + t ⊙ mask (one pass) - the same composed|
  double fallback_max_abs = 0;    // the same for a non-contiguous x, which takes the mask path
  double kept_share = 0;          // the share of elements the mask keeps
};

DropoutCheck check_dropout_fusion(double p, uint64_t seed);

}  // namespace loralab::lora
