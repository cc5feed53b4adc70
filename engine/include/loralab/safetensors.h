// safetensors files: strict, memory-mapped reading and atomic writing (shared/design/FORMATS.md).
// Plain C++ on purpose: tests, the CLI and the UI can inspect files without LibTorch; the engine
// turns a TensorView into a torch::Tensor in src/io/tensor_convert.h.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace loralab::st {

enum class DType {
  BOOL, U8, I8, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64, C64,
  F8_E4M3, F8_E5M2, F8_E8M0, F6_E2M3, F6_E3M2, F4
};

// "F32" → DType::F32; nullopt for a string the format does not define.
std::optional<DType> dtype_from_string(std::string_view name);
const char* dtype_name(DType dtype);
// Size of one element in bits (F4 is 4, F6 variants 6, BOOL 8).
int dtype_bits(DType dtype);

struct TensorInfo {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  uint64_t begin = 0;  // offsets relative to the data buffer; end exclusive
  uint64_t end = 0;
  int64_t numel() const;
};

struct Header {
  std::vector<TensorInfo> tensors;             // in file order of data offsets
  std::map<std::string, std::string> metadata;  // "__metadata__", all values strings
  uint64_t data_start = 0;                     // 8 + header length
};

// Parses and validates a whole file image (the 8-byte length, the JSON header and the data buffer
// size). `source` names the file in error messages. Throws loralab::Error on every rejection the
// reference reader makes, plus duplicate keys.
Header parse(std::span<const std::byte> file_bytes, const std::string& source);

struct TensorView {
  const TensorInfo* info = nullptr;
  std::span<const std::byte> bytes;  // little-endian, row-major
};

// A memory-mapped, validated safetensors file. Movable, not copyable; unmaps on destruction.
class File {
 public:
  static File open(const std::string& path);
  File(File&&) noexcept;
  File& operator=(File&&) noexcept;
  ~File();

  const std::string& path() const;
  const Header& header() const;
  bool contains(const std::string& name) const;
  // Throws loralab::Error naming the file and the tensor when it is absent.
  TensorView tensor(const std::string& name) const;
  std::vector<std::string> names() const;  // sorted by name

 private:
  File();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct TensorData {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::span<const std::byte> bytes;  // must hold exactly numel × element size
};

// Writes tensors (sorted by name, packed without gaps) with the header padded by spaces to a
// multiple of 8 and "__metadata__" = {"format": "pt"} plus `metadata`. Writes a temp file in the
// same folder and renames it over `path`, so a crash never leaves a half-written file.
void write(const std::string& path, const std::vector<TensorData>& tensors,
           const std::map<std::string, std::string>& metadata = {});

// A sharded model: model.safetensors.index.json maps tensor names to shard files.
class ShardedFiles {
 public:
  // `path` is a .safetensors file, a .index.json file, or a folder holding model.safetensors or
  // model.safetensors.index.json.
  // Throws loralab::Error when the index is not JSON, a shard is missing, a weight_map entry names
  // a tensor its shard lacks, or one tensor sits in two shards. Tensors a shard holds beyond the
  // weight_map are available too.
  static ShardedFiles open(const std::string& path);
  bool contains(const std::string& name) const;
  TensorView tensor(const std::string& name) const;  // throws naming file and tensor when absent
  std::vector<std::string> names() const;            // sorted by name
  // Which file holds a tensor (for error messages).
  const std::string& file_of(const std::string& name) const;
  // The path given to open() (file, index or folder), for messages.
  const std::string& source() const { return source_; }

 private:
  std::string source_;
  std::vector<std::shared_ptr<File>> files_;
  std::map<std::string, size_t> index_;  // tensor name → position in files_
};

}  // namespace loralab::st
