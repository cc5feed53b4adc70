// Process-wide compute settings and the BLAS check the status bar and CLI report.
#include "loralab/runtime.h"

#include <chrono>
#include <thread>

#include <torch/torch.h>

namespace loralab {

int hardware_cores() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

void set_compute_threads(int threads) {
  torch::set_num_threads(threads > 0 ? threads : hardware_cores());
}

int compute_threads() { return torch::get_num_threads(); }

BlasCheck check_blas() {
  torch::NoGradGuard no_grad;
  constexpr int64_t kSize = 256;
  auto a = torch::rand({kSize, kSize});
  auto b = torch::rand({kSize, kSize});
  auto c = torch::mm(a, b);  // warm-up
  constexpr int kRepeats = 8;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kRepeats; ++i) c = torch::mm(a, b);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  BlasCheck result;
  result.matmul_gflops = 2.0 * kSize * kSize * kSize * kRepeats / seconds / 1e9;
  // Reference BLAS reaches ~6 GFLOP/s here, OpenBLAS ~100+ even on one core.
  result.looks_optimized = result.matmul_gflops > 20.0;
  result.summary = result.looks_optimized
                       ? "optimized BLAS"
                       : "matmuls run on reference BLAS (~40x slower): install libopenblas0-openmp";
  return result;
}

std::string libtorch_version() { return TORCH_VERSION; }

std::string engine_version() { return LORALAB_VERSION; }

}  // namespace loralab
