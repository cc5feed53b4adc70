// The caching CPU allocator behind keep_freed_memory_for_reuse() (runtime.h).
//
// Every block carries a 64-byte header in front of the tensor's data with the size class it was
// made for (0: a small block, straight from malloc), so the deleter, which gets only the pointer,
// knows where the block goes. Tensors may die on any thread: the cache takes a mutex.
#include <c10/core/Allocator.h>
#include <c10/core/CPUAllocator.h>
#include <unistd.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

#include "loralab/runtime.h"

namespace loralab {
namespace {

constexpr size_t kHeader = 64;               // keeps the data 64-byte aligned, as c10's allocator
constexpr size_t kPooledFrom = size_t(64) << 10;

// Rounds up to one of eight classes per power of two: n in [2^k, 2^(k+1)) goes to a multiple of
// 2^(k-3).
size_t size_class(size_t n) {
  const int top = 63 - __builtin_clzll(static_cast<unsigned long long>(n));
  const size_t step = size_t(1) << (top - 3);
  return (n + step - 1) / step * step;
}

size_t physical_memory() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0 ? size_t(pages) * size_t(page) : size_t(8) << 30;
}

class Cache {
 public:
  void* take(size_t size_class_bytes) {
    {
      std::lock_guard lock(mutex_);
      auto it = free_.find(size_class_bytes);
      if (it != free_.end() && !it->second.empty()) {
        void* raw = it->second.back();
        it->second.pop_back();
        cached_ -= size_class_bytes;
        in_use_ += size_class_bytes;
        ++reused_;
        return raw;
      }
    }
    void* raw = allocate_raw(size_class_bytes);
    std::lock_guard lock(mutex_);
    in_use_ += size_class_bytes;
    ++fresh_;
    return raw;
  }

  void give_back(void* raw, size_t size_class_bytes) {
    {
      std::lock_guard lock(mutex_);
      in_use_ -= size_class_bytes;
      if (cached_ + size_class_bytes <= cap_) {
        free_[size_class_bytes].push_back(raw);
        cached_ += size_class_bytes;
        return;
      }
    }
    std::free(raw);
  }

  void clear() {
    std::vector<void*> blocks;
    {
      std::lock_guard lock(mutex_);
      for (auto& [_, list] : free_) blocks.insert(blocks.end(), list.begin(), list.end());
      free_.clear();
      cached_ = 0;
    }
    for (void* raw : blocks) std::free(raw);
  }

  TensorMemoryStats stats() {
    std::lock_guard lock(mutex_);
    TensorMemoryStats s;
    s.fresh_blocks = fresh_;
    s.reused_blocks = reused_;
    s.cached_bytes = int64_t(cached_);
    s.in_use_bytes = int64_t(in_use_);
    return s;
  }

  static void* allocate_raw(size_t bytes) {
    void* raw = nullptr;
    if (posix_memalign(&raw, kHeader, bytes + kHeader) != 0) throw std::bad_alloc();
    return raw;
  }

 private:
  std::mutex mutex_;
  std::unordered_map<size_t, std::vector<void*>> free_;
  size_t cached_ = 0, in_use_ = 0;
  int64_t fresh_ = 0, reused_ = 0;
  const size_t cap_ = physical_memory() / 4;
};

Cache& cache() {
  static Cache* instance = new Cache();  // never destroyed: tensors may die during exit
  return *instance;
}

void delete_block(void* data) {
  if (data == nullptr) return;
  void* raw = static_cast<char*>(data) - kHeader;
  const size_t size_class_bytes = *static_cast<size_t*>(raw);
  if (size_class_bytes == 0)
    std::free(raw);
  else
    cache().give_back(raw, size_class_bytes);
}

class CachingCpuAllocator final : public c10::Allocator {
 public:
  c10::DataPtr allocate(size_t bytes) const override {
    const c10::Device cpu(c10::DeviceType::CPU);
    if (bytes == 0) return {nullptr, nullptr, &delete_block, cpu};
    const size_t klass = bytes >= kPooledFrom ? size_class(bytes) : 0;
    void* raw = klass ? cache().take(klass) : Cache::allocate_raw(bytes);
    *static_cast<size_t*>(raw) = klass;
    void* data = static_cast<char*>(raw) + kHeader;
    return {data, data, &delete_block, cpu};
  }
  c10::DeleterFnPtr raw_deleter() const override { return &delete_block; }
};

std::once_flag installed;
bool caching = false;

}  // namespace

void keep_freed_memory_for_reuse() {
  std::call_once(installed, [] {
    static CachingCpuAllocator allocator;
    // Priority 1 outranks c10's own CPU allocator (registered at 0); tensors made before keep
    // their own deleter.
    c10::SetCPUAllocator(&allocator, 1);
    caching = true;
  });
}

void release_free_memory() {
  cache().clear();
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

TensorMemoryStats tensor_memory_stats() {
  auto s = cache().stats();
  s.caching = caching;
  return s;
}

}  // namespace loralab
