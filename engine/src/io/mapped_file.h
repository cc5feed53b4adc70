// A read-only memory map of a whole file (RAII): safetensors data is read in place, never copied.
#pragma once
#include <cstddef>
#include <span>
#include <string>

namespace loralab::io {

class MappedFile {
 public:
  // Throws loralab::Error naming the path when it cannot be opened, is not a regular file or
  // cannot be mapped. An empty file maps to an empty span.
  static MappedFile open(const std::string& path);

  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  std::span<const std::byte> bytes() const { return {data_, size_}; }
  const std::string& path() const { return path_; }

 private:
  MappedFile() = default;
  void release();

  std::string path_;
  const std::byte* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace loralab::io
