// AdamW on plain vectors; see adamw_check.h.
#include "train/adamw_check.h"

#include <stdexcept>

#include "train/adamw.h"

namespace loralab::training {
namespace {

torch::Tensor tensor_of(const std::vector<float>& values, const std::vector<int64_t>& shape,
                        const std::string& what) {
  int64_t count = 1;
  for (int64_t d : shape) count *= d;
  if (count != static_cast<int64_t>(values.size()))
    throw std::invalid_argument(what + ": " + std::to_string(values.size()) + " values for a shape of " +
                                std::to_string(count));
  return torch::tensor(values, torch::kFloat32).view(shape).clone();
}

std::vector<float> values_of(const torch::Tensor& t) {
  auto flat = t.detach().to(torch::kFloat32).contiguous().view({-1});
  return {flat.data_ptr<float>(), flat.data_ptr<float>() + flat.numel()};
}

}  // namespace

AdamWCheckResult run_adamw_check(const AdamWCheckInput& input) {
  std::vector<std::pair<std::string, torch::Tensor>> params;
  for (const auto& [name, shape] : input.shapes) {
    auto it = input.initial.find(name);
    if (it == input.initial.end()) throw std::invalid_argument("no initial values for " + name);
    params.emplace_back(name, tensor_of(it->second, shape, name));
  }
  AdamWOptions options;
  options.beta1 = input.beta1;
  options.beta2 = input.beta2;
  options.eps = input.eps;
  options.weight_decay = input.weight_decay;
  AdamW optimizer(params, options);
  AdamWCheckResult result;
  for (const auto& step : input.steps) {
    for (auto& [name, p] : params) {
      auto it = step.grads.find(name);
      if (it == step.grads.end()) throw std::invalid_argument("no gradient for " + name);
      p.mutable_grad() = tensor_of(it->second, input.shapes.at(name), "gradient of " + name);
    }
    result.grad_norms.push_back(optimizer.clip_grad_norm(input.max_norm));
    optimizer.step(step.lr);
  }
  const auto state = optimizer.state();
  for (const auto& [name, p] : params) {
    result.params[name] = values_of(p);
    result.exp_avg[name] = values_of(state.at("exp_avg." + name));
    result.exp_avg_sq[name] = values_of(state.at("exp_avg_sq." + name));
  }
  return result;
}

}  // namespace loralab::training
