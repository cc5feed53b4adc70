// Self-check of the LoRA training node's float32 kernels (model/row_gemm.h and the node in
// lora_linear.cpp), torch-free so that tests can call it: each against LibTorch in float64 on
// seeded random inputs with awkward shapes (row and column tails, column slices, strided
// operands). The node's float64 path itself is checked against finite differences (test_train).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace loralab::lora {

struct LoraKernelCheck {
  std::string what;
  bool kernel = false;  // whether the float32 side ran row_gemm's kernel (false: no AVX-512)
  double max_abs = 0;   // |float32 − float64| over every compared value
  double scale = 0;     // max |float64 value|, for relative figures
};

std::vector<LoraKernelCheck> check_lora_kernels(uint64_t seed);

}  // namespace loralab::lora
