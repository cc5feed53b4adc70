// Per-thread OpenMP team size; see decode_threads.h. The OpenMP runtime is the one LibTorch loaded
// (libgomp for Debian's build); its entry points are looked up at run time so the engine needs no
// OpenMP link flags of its own and still works with a LibTorch built without OpenMP (then the
// thread count is simply left alone).
#include "sample/decode_threads.h"

#include <ATen/Parallel.h>
#include <dlfcn.h>

namespace loralab::sample {

namespace {

using SetThreads = void (*)(int);
using GetThreads = int (*)();

struct OpenMp {
  SetThreads set = nullptr;
  GetThreads get = nullptr;
};

const OpenMp& openmp() {
  static const OpenMp runtime = [] {
    OpenMp r;
    r.set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "omp_set_num_threads"));
    r.get = reinterpret_cast<GetThreads>(dlsym(RTLD_DEFAULT, "omp_get_max_threads"));
    if (!r.set || !r.get) r = {};
    return r;
  }();
  return runtime;
}

}  // namespace

int calling_thread_threads() { return at::get_num_threads(); }

ScopedCallingThreadThreads::ScopedCallingThreadThreads(int threads) {
  if (threads <= 0 || !openmp().set) return;
  // LibTorch sets a thread's team size on its first parallel operation; let that happen now so
  // it cannot overwrite ours later.
  at::get_num_threads();
  previous_ = openmp().get();
  if (previous_ != threads) openmp().set(threads);
  else previous_ = 0;
}

ScopedCallingThreadThreads::~ScopedCallingThreadThreads() {
  if (previous_ > 0) openmp().set(previous_);
}

}  // namespace loralab::sample
