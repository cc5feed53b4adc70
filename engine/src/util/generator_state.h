// The state of LibTorch's default CPU generator, which draws the dropout seeds: saved in training
// checkpoints, and set back by a checkpointed layer to draw the same masks again in backward.
// Engine-internal (LibTorch headers).
#pragma once
#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <mutex>

namespace loralab {

inline torch::Tensor cpu_generator_state() {
  auto generator = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(generator.mutex());
  return generator.get_state();
}

inline void set_cpu_generator_state(const torch::Tensor& state) {
  auto generator = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(generator.mutex());
  generator.set_state(state);
}

}  // namespace loralab
