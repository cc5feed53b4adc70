// Process-wide compute settings: LibTorch intra-op threads and a BLAS sanity check.
#pragma once
#include <string>

namespace loralab {

// Sets LibTorch's intra-op thread count; 0 means "one per core" (Debian's LibTorch starts at 1).
void set_compute_threads(int threads);
int compute_threads();
int hardware_cores();

struct BlasCheck {
  double matmul_gflops = 0;  // measured float32 matmul throughput
  bool looks_optimized = false;  // false when matmuls run on reference BLAS (~40x slower)
  std::string summary;
};
// Times a small float32 matmul; takes ~50 ms.
BlasCheck check_blas();

std::string libtorch_version();
std::string engine_version();

}  // namespace loralab
