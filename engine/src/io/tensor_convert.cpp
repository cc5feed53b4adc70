// safetensors bytes ↔ torch::Tensor; see tensor_convert.h.
#include "io/tensor_convert.h"

#include <cstring>

#include "loralab/error.h"

namespace loralab::io {

torch::ScalarType scalar_type_of(st::DType dtype) {
  switch (dtype) {
    case st::DType::BOOL: return torch::kBool;
    case st::DType::U8: return torch::kUInt8;
    case st::DType::I8: return torch::kInt8;
    case st::DType::I16: return torch::kInt16;
    case st::DType::I32: return torch::kInt32;
    case st::DType::I64: return torch::kInt64;
    case st::DType::F16: return torch::kFloat16;
    case st::DType::BF16: return torch::kBFloat16;
    case st::DType::F32: return torch::kFloat32;
    case st::DType::F64: return torch::kFloat64;
    case st::DType::C64: return torch::kComplexFloat;
    default:
      throw Error(std::string("dtype ") + st::dtype_name(dtype) +
                  " cannot be converted (supported: F32, F16, BF16, F64 and the integer types)");
  }
}

st::DType dtype_of(torch::ScalarType type) {
  switch (type) {
    case torch::kBool: return st::DType::BOOL;
    case torch::kUInt8: return st::DType::U8;
    case torch::kInt8: return st::DType::I8;
    case torch::kInt16: return st::DType::I16;
    case torch::kInt32: return st::DType::I32;
    case torch::kInt64: return st::DType::I64;
    case torch::kFloat16: return st::DType::F16;
    case torch::kBFloat16: return st::DType::BF16;
    case torch::kFloat32: return st::DType::F32;
    case torch::kFloat64: return st::DType::F64;
    case torch::kComplexFloat: return st::DType::C64;
    default: throw Error(std::string("tensor dtype ") + c10::toString(type) +
                         " cannot be stored in safetensors");
  }
}

torch::Tensor to_tensor(const st::TensorView& view, torch::ScalarType target,
                        const std::string& source) {
  torch::ScalarType stored;
  try {
    stored = scalar_type_of(view.info->dtype);
  } catch (const Error& e) {
    throw Error(source + ": tensor " + view.info->name + ": " + e.what());
  }
  bool stored_float = at::isFloatingType(stored);
  bool target_float = at::isFloatingType(target);
  if (stored_float != target_float || stored == torch::kComplexFloat || stored == torch::kBool)
    if (stored != target)
      throw Error(source + ": tensor " + view.info->name + " has dtype " +
                  st::dtype_name(view.info->dtype) + ", expected a " +
                  (target_float ? "floating-point" : "integer") + " tensor");
  // Copy first: mmapped data need not be aligned for the element type.
  auto tensor = torch::empty(view.info->shape, torch::TensorOptions().dtype(stored));
  if (!view.bytes.empty()) std::memcpy(tensor.data_ptr(), view.bytes.data(), view.bytes.size());
  return stored == target ? tensor : tensor.to(target);
}

void TensorWriteSet::add(const std::string& name, const torch::Tensor& tensor) {
  add(name, tensor, tensor.scalar_type());
}

void TensorWriteSet::add(const std::string& name, const torch::Tensor& tensor,
                         torch::ScalarType stored_as) {
  auto stored = tensor.detach().to(torch::kCPU, stored_as).contiguous();
  keep_alive_.push_back(stored);
  st::TensorData entry;
  entry.name = name;
  entry.dtype = dtype_of(stored_as);
  entry.shape.assign(stored.sizes().begin(), stored.sizes().end());
  entry.bytes = std::span<const std::byte>(static_cast<const std::byte*>(stored.data_ptr()),
                                           stored.numel() * stored.element_size());
  entries_.push_back(std::move(entry));
}

}  // namespace loralab::io
