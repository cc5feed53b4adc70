// Process-wide compute settings and the BLAS check the status bar and CLI report.
#include "loralab/runtime.h"

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
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

std::string blas_core_name() {
  using CoreNameFn = char* (*)();
  auto fn = reinterpret_cast<CoreNameFn>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
  if (fn == nullptr) return {};
  const char* name = fn();
  return name == nullptr ? std::string() : std::string(name);
}

namespace {

bool is_generic_core(std::string core) {
  std::transform(core.begin(), core.end(), core.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return core == "prescott" || core == "core2" || core == "nehalem" || core == "katmai" ||
         core == "unknown";
}

// The best OpenBLAS kernel family this CPU can run, or nullptr when we cannot do better.
const char* best_core_for_cpu() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
    return "SKYLAKEX";
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "HASWELL";
#endif
  return nullptr;
}

}  // namespace

void reexec_with_fast_blas_kernels(char** argv) {
  constexpr const char* kGuard = "LORALAB_BLAS_REEXEC";
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr || std::getenv(kGuard) != nullptr) return;
  if (!is_generic_core(blas_core_name())) return;
  const char* best = best_core_for_cpu();
  if (best == nullptr) return;
  setenv("OPENBLAS_CORETYPE", best, 1);
  setenv(kGuard, "1", 1);
  execv("/proc/self/exe", argv);
  // exec failed (no /proc): carry on with the slow kernels rather than fail.
  unsetenv("OPENBLAS_CORETYPE");
}

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
  result.core = blas_core_name();
  result.generic_kernels = !result.core.empty() && is_generic_core(result.core);
  if (!result.looks_optimized)
    result.summary = "matmuls run on reference BLAS (~40x slower): install libopenblas0-openmp";
  else if (result.generic_kernels)
    result.summary = "OpenBLAS uses its generic " + result.core +
                     " kernels on this CPU (~9x slower matmuls): start LoRA Lab with "
                     "OPENBLAS_CORETYPE=SKYLAKEX (or HASWELL)";
  else
    result.summary = result.core.empty() ? "optimized BLAS" : "OpenBLAS (" + result.core + ")";
  return result;
}

std::string libtorch_version() { return TORCH_VERSION; }

std::string engine_version() { return LORALAB_VERSION; }

}  // namespace loralab
