// SHA-256 (FIPS 180-4) for provenance: dataset fingerprints, config and base-model hashes that go
// into adapter metadata and the experiment store.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace loralab {

// Incremental hasher. digest()/hex_digest() finish a copy of the state, so they may be called at
// any point and updating may continue afterwards.
class Sha256 {
 public:
  using Digest = std::array<uint8_t, 32>;

  Sha256();
  Sha256& update(const void* data, size_t size);
  Sha256& update(std::string_view bytes);
  Digest digest() const;
  std::string hex_digest() const;  // 64 lowercase hex characters
  void reset();

 private:
  void compress(const uint8_t* block);

  std::array<uint32_t, 8> state_;
  std::array<uint8_t, 64> buffer_;
  size_t buffered_ = 0;       // bytes waiting in buffer_
  uint64_t total_bytes_ = 0;  // message length so far
};

std::string sha256_hex(std::string_view bytes);
// Streams the file in chunks; throws loralab::Error naming the file when it cannot be read.
std::string sha256_file(const std::string& path);

}  // namespace loralab
