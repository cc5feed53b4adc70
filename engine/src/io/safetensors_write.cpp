// safetensors writing in the layout transformers and the reference library produce: tensors
// sorted by name and packed, header padded with spaces to a multiple of 8, "format": "pt".
#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "io/utf8.h"
#include "loralab/atomic_file.h"
#include "loralab/error.h"
#include "loralab/safetensors.h"

namespace loralab::st {
namespace {

// Byte size of `shape` in `dtype`, or a message saying why it has none.
uint64_t checked_byte_size(const TensorData& tensor, const std::string& prefix) {
  uint64_t numel = 1;
  for (int64_t dim : tensor.shape) {
    if (dim < 0) throw Error(prefix + "shape has negative dimension " + std::to_string(dim));
    const auto d = static_cast<uint64_t>(dim);
    if (d != 0 && numel > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) / d) {
      throw Error(prefix + "shape has too many elements (overflow)");
    }
    numel *= d;
  }
  const auto bits = static_cast<uint64_t>(dtype_bits(tensor.dtype));
  if (numel > std::numeric_limits<uint64_t>::max() / bits) {
    throw Error(prefix + "byte size overflows");
  }
  if ((numel * bits) % 8 != 0) {
    throw Error(prefix + std::to_string(numel) + " elements of " + dtype_name(tensor.dtype) +
                " are not a whole number of bytes");
  }
  return numel * bits / 8;
}

void require_utf8(const std::string& text, const std::string& what) {
  if (io::first_invalid_utf8(text) != std::string_view::npos) {
    throw Error(what + " is not valid UTF-8");
  }
}

}  // namespace

void write(const std::string& path, const std::vector<TensorData>& tensors,
           const std::map<std::string, std::string>& metadata) {
  std::vector<const TensorData*> sorted;
  sorted.reserve(tensors.size());
  for (const auto& tensor : tensors) sorted.push_back(&tensor);
  std::sort(sorted.begin(), sorted.end(),
            [](const TensorData* a, const TensorData* b) { return a->name < b->name; });

  nlohmann::json header = nlohmann::json::object();
  nlohmann::json meta = {{"format", "pt"}};
  for (const auto& [key, value] : metadata) {
    require_utf8(key, path + ": metadata key \"" + key + "\"");
    require_utf8(value, path + ": metadata value of key \"" + key + "\"");
    // transformers refuses any other format, so callers may add keys but not change this one.
    if (key == "format" && value != "pt") {
      throw Error(path + ": metadata key \"format\" must stay \"pt\", got \"" + value + "\"");
    }
    meta[key] = value;
  }
  header["__metadata__"] = std::move(meta);

  uint64_t offset = 0;
  for (size_t i = 0; i < sorted.size(); ++i) {
    const TensorData& tensor = *sorted[i];
    const std::string prefix = path + ": cannot write tensor \"" + tensor.name + "\": ";
    if (tensor.name.empty()) throw Error(path + ": cannot write a tensor with an empty name");
    if (tensor.name == "__metadata__") throw Error(prefix + "the name is reserved");
    require_utf8(tensor.name, path + ": tensor name \"" + tensor.name + "\"");
    if (i > 0 && sorted[i - 1]->name == tensor.name) {
      throw Error(prefix + "the name appears more than once");
    }
    const uint64_t size = checked_byte_size(tensor, prefix);
    if (size != tensor.bytes.size()) {
      throw Error(prefix + "shape and dtype " + dtype_name(tensor.dtype) + " need " +
                  std::to_string(size) + " bytes, got " + std::to_string(tensor.bytes.size()));
    }
    header[tensor.name] = {{"dtype", dtype_name(tensor.dtype)},
                           {"shape", tensor.shape},
                           {"data_offsets", {offset, offset + size}}};
    offset += size;
  }

  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  write_file_atomic(path, [&](AtomicSink& sink) {
    unsigned char length[8];
    uint64_t value = text.size();
    for (auto& byte : length) {
      byte = static_cast<unsigned char>(value & 0xFF);
      value >>= 8;
    }
    sink.write(length, sizeof(length));
    sink.write(text);
    for (const TensorData* tensor : sorted) sink.write(tensor->bytes);
  });
}

}  // namespace loralab::st
