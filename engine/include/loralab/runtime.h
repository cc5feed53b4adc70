// Process-wide compute settings: LibTorch intra-op threads, a BLAS sanity check and the tensor
// memory policy.
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

// Tensor memory. With glibc's malloc every large tensor (activations, logits and their
// gradients) is mapped from the kernel when it is made and unmapped when it dies, so each training
// step pays a page fault and a page clear per 4 KiB of each: a fifth of an fp32 step here and more
// of a bf16 one. keep_freed_memory_for_reuse() installs a caching CPU allocator for LibTorch:
// blocks of 64 KiB and more are rounded up to one of eight size classes per power of two (at most
// 12.5% slack) and, when a tensor dies, kept for the next tensor of that class, so a training step
// reuses the pages the previous one touched. The cache is capped (a quarter of physical memory);
// release_free_memory() empties it and trims malloc's heap (the trainer calls it when a run ends).
// Call keep_freed_memory_for_reuse() first thing in main(); a second call does nothing.
void keep_freed_memory_for_reuse();
void release_free_memory();

struct TensorMemoryStats {
  bool caching = false;        // keep_freed_memory_for_reuse() was called
  int64_t fresh_blocks = 0;    // pooled-size blocks taken from the system
  int64_t reused_blocks = 0;   // pooled-size blocks served from the cache
  int64_t cached_bytes = 0;    // held in the cache now, free for reuse
  int64_t in_use_bytes = 0;    // pooled-size blocks held by live tensors now
};
TensorMemoryStats tensor_memory_stats();

std::string libtorch_version();
std::string engine_version();

}  // namespace loralab
