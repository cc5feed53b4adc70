// libFuzzer harness for loralab::st::parse. Only loralab::Error is an acceptable outcome for bad
// bytes; any other exception, a sanitizer report or a broken invariant on accepted input crashes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "loralab/error.h"
#include "loralab/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  try {
    const loralab::st::Header header = loralab::st::parse(bytes, "fuzz-input");
    // What the reader promises on success: tensors tile the data buffer, in offset order.
    uint64_t cursor = 0;
    for (const auto& info : header.tensors) {
      if (info.begin != cursor || info.end < info.begin) std::abort();
      if (info.numel() < 0) std::abort();
      cursor = info.end;
    }
    if (header.data_start + cursor != size) std::abort();
  } catch (const loralab::Error&) {
  }
  return 0;
}
