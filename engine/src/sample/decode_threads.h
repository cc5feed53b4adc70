// Intra-op threads for one generation, set for the calling thread only. LibTorch's CPU kernels and
// OpenBLAS run on OpenMP, whose team size is a per-thread setting; changing it on the sampler's
// thread leaves a training on another thread alone (torch::set_num_threads would also change
// process-wide state). Engine-internal; the header is free of LibTorch.
#pragma once

namespace loralab::sample {

// Batch-1 decoding of a small model is a chain of tiny matrix-vector products: a second thread
// mostly adds a barrier per operation, and when the cores are busy (a training next to the
// playground) OpenMP's spinning turns that into a several-fold slowdown. Below this many
// parameters the sampler decodes on one thread unless told otherwise.
constexpr long long kSingleThreadDecodeParameters = 32'000'000;

// The number of threads the calling thread's parallel regions use now.
int calling_thread_threads();

// Sets the calling thread's team size for its lifetime and restores it after. threads ≤ 0 or an
// OpenMP runtime that cannot be found leaves everything as it is.
class ScopedCallingThreadThreads {
 public:
  explicit ScopedCallingThreadThreads(int threads);
  ~ScopedCallingThreadThreads();
  ScopedCallingThreadThreads(const ScopedCallingThreadThreads&) = delete;
  ScopedCallingThreadThreads& operator=(const ScopedCallingThreadThreads&) = delete;

 private:
  int previous_ = 0;
};

}  // namespace loralab::sample
