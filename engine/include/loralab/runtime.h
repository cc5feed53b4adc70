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
  std::string core;          // OpenBLAS kernel family in use ("SkylakeX", "Prescott"...), if any
  bool generic_kernels = false;  // OpenBLAS fell back to its oldest x86-64 kernels
  std::string summary;
};
// Times a small float32 matmul; takes ~50 ms.
BlasCheck check_blas();

// The OpenBLAS kernel family loaded in this process ("" when BLAS is not OpenBLAS).
std::string blas_core_name();

// OpenBLAS 0.3.21 (Debian 12) does not recognise recent Xeons and falls back to its Prescott
// kernels, which makes float32 matmuls ~9x slower. OpenBLAS picks its kernels when it is loaded,
// so the only fix from inside is to re-execute the program with OPENBLAS_CORETYPE set to the best
// family the CPU supports. Call first thing in main(), before any thread starts. Does nothing when
// the user set OPENBLAS_CORETYPE, when OpenBLAS chose well, or on a second pass; returns normally
// when the re-exec is impossible.
void reexec_with_fast_blas_kernels(char** argv);

std::string libtorch_version();
std::string engine_version();

}  // namespace loralab
