// Crash-safe file writes: the content goes to a temp file in the target's folder, is fsync'ed and
// then renamed over the target, so readers see either the old file or the complete new one.
// Plain C++ (no LibTorch, no Qt): the engine, the CLI and the UI all write through this.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

namespace loralab {

// Where a writer callback puts its bytes; every call appends to the temp file.
// Throws loralab::Error (naming the target file) when the disk refuses the write.
class AtomicSink {
 public:
  void write(std::span<const std::byte> bytes);
  void write(std::string_view text);
  void write(const void* data, size_t size);
  uint64_t bytes_written() const { return written_; }

  AtomicSink(const AtomicSink&) = delete;
  AtomicSink& operator=(const AtomicSink&) = delete;

 private:
  friend void write_file_atomic(const std::string&, const std::function<void(AtomicSink&)>&);
  AtomicSink(int fd, const std::string& target) : fd_(fd), target_(target) {}
  int fd_;
  const std::string& target_;
  uint64_t written_ = 0;
};

// Streams the content through `fill` (large files need not fit in memory). If `fill` throws, the
// temp file is removed, the target is left untouched and the exception propagates.
void write_file_atomic(const std::string& path, const std::function<void(AtomicSink&)>& fill);
void write_file_atomic(const std::string& path, std::span<const std::byte> bytes);
void write_text_file_atomic(const std::string& path, std::string_view text);

}  // namespace loralab
