// safetensors reading: dtype table, strict header validation (every rejection of the reference
// reader in huggingface/safetensors, plus duplicate keys) and the memory-mapped File.
// Plain C++ on purpose (no LibTorch): the fuzzer compiles this file on its own.
#include "loralab/safetensors.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "io/json_strict.h"
#include "io/mapped_file.h"
#include "io/utf8.h"
#include "loralab/error.h"

namespace loralab::st {
namespace {

// The reference reader's limit: a header this large is an attack, not a model.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;

struct DTypeEntry {
  DType dtype;
  const char* name;
  int bits;
};

constexpr DTypeEntry kDTypes[] = {
    {DType::BOOL, "BOOL", 8},       {DType::U8, "U8", 8},
    {DType::I8, "I8", 8},           {DType::I16, "I16", 16},
    {DType::U16, "U16", 16},        {DType::F16, "F16", 16},
    {DType::BF16, "BF16", 16},      {DType::I32, "I32", 32},
    {DType::U32, "U32", 32},        {DType::F32, "F32", 32},
    {DType::F64, "F64", 64},        {DType::I64, "I64", 64},
    {DType::U64, "U64", 64},        {DType::C64, "C64", 64},
    {DType::F8_E4M3, "F8_E4M3", 8}, {DType::F8_E5M2, "F8_E5M2", 8},
    {DType::F8_E8M0, "F8_E8M0", 8}, {DType::F6_E2M3, "F6_E2M3", 6},
    {DType::F6_E3M2, "F6_E3M2", 6}, {DType::F4, "F4", 4},
};

const DTypeEntry& entry_of(DType dtype) {
  for (const auto& entry : kDTypes) {
    if (entry.dtype == dtype) return entry;
  }
  throw Error("safetensors: dtype enum value " + std::to_string(static_cast<int>(dtype)) +
              " is not a known dtype");
}

uint64_t read_u64_le(const std::byte* p) {
  uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = (value << 8) | static_cast<uint64_t>(p[i]);
  return value;
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) text += ",";
    text += std::to_string(shape[i]);
  }
  return text + "]";
}

bool is_non_negative_integer(const nlohmann::json& value) {
  return value.is_number_unsigned() || (value.is_number_integer() && value.get<int64_t>() >= 0);
}

std::string tensor_prefix(const std::string& source, const std::string& name) {
  return source + ": header: tensor \"" + name + "\": ";
}

void parse_metadata(const nlohmann::json& value, const std::string& source, Header& header) {
  if (!value.is_object()) {
    throw Error(source + ": header: \"__metadata__\" must be a JSON object of string values, found " +
                io::json_type_name(value));
  }
  for (const auto& [key, item] : value.items()) {
    if (!item.is_string()) {
      throw Error(source + ": header: \"__metadata__\" value of key \"" + key +
                  "\" must be a string, found " + io::json_type_name(item));
    }
    header.metadata[key] = item.get<std::string>();
  }
}

const nlohmann::json& required_field(const nlohmann::json& entry, const char* field,
                                     const std::string& prefix) {
  auto it = entry.find(field);
  if (it == entry.end()) throw Error(prefix + "missing \"" + std::string(field) + "\"");
  return *it;
}

TensorInfo parse_entry(const std::string& name, const nlohmann::json& entry,
                       const std::string& source) {
  const std::string prefix = tensor_prefix(source, name);
  if (!entry.is_object()) {
    throw Error(prefix + "entry must be a JSON object with dtype, shape and data_offsets, found " +
                io::json_type_name(entry));
  }
  TensorInfo info;
  info.name = name;

  const auto& dtype = required_field(entry, "dtype", prefix);
  if (!dtype.is_string()) {
    throw Error(prefix + "\"dtype\" must be a string, found " + io::json_type_name(dtype));
  }
  const auto dtype_text = dtype.get<std::string>();
  auto parsed_dtype = dtype_from_string(dtype_text);
  if (!parsed_dtype) throw Error(prefix + "unknown dtype \"" + dtype_text + "\"");
  info.dtype = *parsed_dtype;

  const auto& shape = required_field(entry, "shape", prefix);
  if (!shape.is_array()) {
    throw Error(prefix + "\"shape\" must be an array of non-negative integers, found " +
                io::json_type_name(shape));
  }
  for (size_t i = 0; i < shape.size(); ++i) {
    const auto& dim = shape[i];
    if (!is_non_negative_integer(dim)) {
      throw Error(prefix + "\"shape\" dimension " + std::to_string(i) + " is " + dim.dump() +
                  ", expected a non-negative integer");
    }
    const uint64_t value = dim.get<uint64_t>();
    if (value > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      throw Error(prefix + "\"shape\" dimension " + std::to_string(i) + " is " + dim.dump() +
                  ", too large");
    }
    info.shape.push_back(static_cast<int64_t>(value));
  }

  const auto& offsets = required_field(entry, "data_offsets", prefix);
  if (!offsets.is_array() || offsets.size() != 2 || !is_non_negative_integer(offsets[0]) ||
      !is_non_negative_integer(offsets[1])) {
    throw Error(prefix + "\"data_offsets\" must be [begin, end] with two non-negative integers, "
                "found " + offsets.dump());
  }
  info.begin = offsets[0].get<uint64_t>();
  info.end = offsets[1].get<uint64_t>();
  if (info.begin > info.end) {
    throw Error(prefix + "\"data_offsets\" begin " + std::to_string(info.begin) +
                " is after end " + std::to_string(info.end));
  }

  // Element count and byte size with overflow checks, in the reference reader's order.
  const int bits = dtype_bits(info.dtype);
  uint64_t numel = 1;
  for (int64_t dim : info.shape) {
    const auto d = static_cast<uint64_t>(dim);
    if (d != 0 && numel > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) / d) {
      throw Error(prefix + "shape " + shape_text(info.shape) + " has too many elements (overflow)");
    }
    numel *= d;
  }
  if (numel > std::numeric_limits<uint64_t>::max() / static_cast<uint64_t>(bits)) {
    throw Error(prefix + "shape " + shape_text(info.shape) + " x " + dtype_text +
                " overflows the byte size");
  }
  const uint64_t total_bits = numel * static_cast<uint64_t>(bits);
  if (total_bits % 8 != 0) {
    throw Error(prefix + "shape " + shape_text(info.shape) + " x " + dtype_text + " is " +
                std::to_string(total_bits) + " bits, not a whole number of bytes");
  }
  if (total_bits / 8 != info.end - info.begin) {
    throw Error(prefix + "shape " + shape_text(info.shape) + " x " + dtype_text + " needs " +
                std::to_string(total_bits / 8) + " bytes but data_offsets [" +
                std::to_string(info.begin) + ", " + std::to_string(info.end) + "] span " +
                std::to_string(info.end - info.begin));
  }
  return info;
}

// After sorting by offset, the tensors must tile the data buffer exactly: first at 0, no gap, no
// overlap, and the last one ending where the file ends.
void check_layout(const Header& header, uint64_t buffer_size, const std::string& source) {
  uint64_t cursor = 0;
  const TensorInfo* previous = nullptr;
  for (const auto& info : header.tensors) {
    if (info.begin != cursor) {
      const std::string range =
          "[" + std::to_string(info.begin) + ", " + std::to_string(info.end) + "]";
      if (previous == nullptr) {
        throw Error(tensor_prefix(source, info.name) + "first tensor by data offset starts at " +
                    std::to_string(info.begin) + ", expected 0");
      }
      if (info.begin > cursor) {
        throw Error(tensor_prefix(source, info.name) + "gap of " +
                    std::to_string(info.begin - cursor) + " bytes before its data_offsets " +
                    range + ": previous tensor \"" + previous->name + "\" ends at " +
                    std::to_string(cursor));
      }
      throw Error(tensor_prefix(source, info.name) + "data_offsets " + range +
                  " overlap tensor \"" + previous->name + "\", which ends at " +
                  std::to_string(cursor));
    }
    cursor = info.end;
    previous = &info;
  }
  if (buffer_size > cursor) {
    throw Error(source + ": " + std::to_string(buffer_size - cursor) +
                " bytes after the last tensor (data buffer is " + std::to_string(buffer_size) +
                " bytes, tensors end at " + std::to_string(cursor) + ")");
  }
  if (buffer_size < cursor) {
    throw Error(source + ": data buffer is " + std::to_string(buffer_size) +
                " bytes, shorter than the end of tensor \"" + previous->name + "\" at " +
                std::to_string(cursor) + " (file truncated?)");
  }
}

}  // namespace

std::optional<DType> dtype_from_string(std::string_view name) {
  for (const auto& entry : kDTypes) {
    if (name == entry.name) return entry.dtype;
  }
  return std::nullopt;
}

const char* dtype_name(DType dtype) { return entry_of(dtype).name; }

int dtype_bits(DType dtype) { return entry_of(dtype).bits; }

int64_t TensorInfo::numel() const {
  int64_t count = 1;
  for (int64_t dim : shape) count *= dim;
  return count;
}

Header parse(std::span<const std::byte> file_bytes, const std::string& source) {
  if (file_bytes.size() < 8) {
    throw Error(source + ": file is " + std::to_string(file_bytes.size()) +
                " bytes, too short for the 8-byte header length of a safetensors file");
  }
  const uint64_t header_size = read_u64_le(file_bytes.data());
  if (header_size > kMaxHeaderBytes) {
    throw Error(source + ": header length " + std::to_string(header_size) +
                " exceeds the limit of " + std::to_string(kMaxHeaderBytes) + " bytes");
  }
  if (header_size > file_bytes.size() - 8) {
    throw Error(source + ": header length " + std::to_string(header_size) +
                " runs past the end of the file (" + std::to_string(file_bytes.size()) +
                " bytes, header needs " + std::to_string(8 + header_size) + ")");
  }
  const std::string_view text(reinterpret_cast<const char*>(file_bytes.data()) + 8,
                              static_cast<size_t>(header_size));
  if (const size_t bad = io::first_invalid_utf8(text); bad != std::string_view::npos) {
    throw Error(source + ": header is not valid UTF-8 (invalid byte at header offset " +
                std::to_string(bad) + ")");
  }
  const nlohmann::json root = io::parse_json_strict(text, source + ": header");
  if (!root.is_object()) {
    throw Error(source + ": header must be a JSON object, found " + io::json_type_name(root));
  }

  Header header;
  header.data_start = 8 + header_size;
  for (const auto& [key, value] : root.items()) {
    if (key == "__metadata__") {
      parse_metadata(value, source, header);
    } else {
      header.tensors.push_back(parse_entry(key, value, source));
    }
  }
  std::sort(header.tensors.begin(), header.tensors.end(),
            [](const TensorInfo& a, const TensorInfo& b) {
              return std::tie(a.begin, a.end, a.name) < std::tie(b.begin, b.end, b.name);
            });
  check_layout(header, file_bytes.size() - header.data_start, source);
  return header;
}

// ---- File ----------------------------------------------------------------------------------

struct File::Impl {
  io::MappedFile map;
  Header header;
  std::unordered_map<std::string, size_t> by_name;  // tensor name → position in header.tensors
};

File::File() = default;
File::File(File&&) noexcept = default;
File& File::operator=(File&&) noexcept = default;
File::~File() = default;

File File::open(const std::string& path) {
  File file;
  file.impl_ = std::make_unique<Impl>(Impl{io::MappedFile::open(path), {}, {}});
  file.impl_->header = parse(file.impl_->map.bytes(), path);
  const auto& tensors = file.impl_->header.tensors;
  for (size_t i = 0; i < tensors.size(); ++i) file.impl_->by_name.emplace(tensors[i].name, i);
  return file;
}

const std::string& File::path() const { return impl_->map.path(); }

const Header& File::header() const { return impl_->header; }

bool File::contains(const std::string& name) const { return impl_->by_name.count(name) > 0; }

TensorView File::tensor(const std::string& name) const {
  auto it = impl_->by_name.find(name);
  if (it == impl_->by_name.end()) {
    throw Error(path() + ": no tensor named \"" + name + "\" (the file holds " +
                std::to_string(impl_->header.tensors.size()) + " tensors)");
  }
  const TensorInfo& info = impl_->header.tensors[it->second];
  const auto bytes = impl_->map.bytes().subspan(impl_->header.data_start + info.begin,
                                                info.end - info.begin);
  return TensorView{&info, bytes};
}

std::vector<std::string> File::names() const {
  std::vector<std::string> names;
  names.reserve(impl_->header.tensors.size());
  for (const auto& info : impl_->header.tensors) names.push_back(info.name);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace loralab::st
