// AdamW; see adamw.h. The update matches torch.optim.AdamW (decay applied to the weight before the
// Adam step, bias-corrected moments).
#include "train/adamw.h"

#include <cmath>

#include "loralab/error.h"

namespace loralab::training {

AdamW::AdamW(std::vector<std::pair<std::string, torch::Tensor>> params, AdamWOptions options)
    : params_(std::move(params)), options_(options) {
  for (const auto& [_, p] : params_) {
    exp_avg_.push_back(torch::zeros_like(p, torch::kFloat32));
    exp_avg_sq_.push_back(torch::zeros_like(p, torch::kFloat32));
  }
}

void AdamW::zero_grad() {
  for (auto& [_, p] : params_) p.mutable_grad() = torch::Tensor();
}

double AdamW::clip_grad_norm(double max_norm) {
  torch::NoGradGuard no_grad;
  double sum_sq = 0;
  for (const auto& [_, p] : params_)
    if (p.grad().defined()) sum_sq += p.grad().to(torch::kFloat64).pow(2).sum().item<double>();
  const double norm = std::sqrt(sum_sq);
  if (max_norm > 0 && norm > max_norm && std::isfinite(norm)) {
    const double scale = max_norm / (norm + 1e-6);
    for (auto& [_, p] : params_)
      if (p.grad().defined()) p.mutable_grad().mul_(scale);
  }
  return norm;
}

void AdamW::step(double lr) {
  torch::NoGradGuard no_grad;
  ++step_;
  const double correction1 = 1.0 - std::pow(options_.beta1, double(step_));
  const double correction2 = 1.0 - std::pow(options_.beta2, double(step_));
  const double step_size = lr / correction1;
  for (size_t i = 0; i < params_.size(); ++i) {
    auto& p = params_[i].second;
    if (!p.grad().defined()) continue;
    auto grad = p.grad().to(torch::kFloat32);
    // Like Hugging Face's Trainer: no decay on norms and biases (1-D tensors).
    if (options_.weight_decay != 0 && p.dim() >= 2) p.mul_(1.0 - lr * options_.weight_decay);
    exp_avg_[i].mul_(options_.beta1).add_(grad, 1.0 - options_.beta1);
    exp_avg_sq_[i].mul_(options_.beta2).addcmul_(grad, grad, 1.0 - options_.beta2);
    auto denom = (exp_avg_sq_[i].sqrt() / std::sqrt(correction2)).add_(options_.eps);
    if (p.scalar_type() == torch::kFloat32) {
      p.addcdiv_(exp_avg_[i], denom, -step_size);
    } else {
      p.copy_((p.to(torch::kFloat32) - step_size * exp_avg_[i] / denom).to(p.scalar_type()));
    }
  }
}

std::map<std::string, torch::Tensor> AdamW::state() const {
  std::map<std::string, torch::Tensor> out;
  for (size_t i = 0; i < params_.size(); ++i) {
    out["exp_avg." + params_[i].first] = exp_avg_[i];
    out["exp_avg_sq." + params_[i].first] = exp_avg_sq_[i];
  }
  out["step"] = torch::tensor(step_, torch::kInt64);
  return out;
}

void AdamW::load_state(const std::map<std::string, torch::Tensor>& state, const std::string& source) {
  auto fetch = [&](const std::string& key, const torch::Tensor& like) {
    auto it = state.find(key);
    if (it == state.end()) throw Error(source + ": optimizer tensor " + key + " is missing");
    if (it->second.sizes() != like.sizes())
      throw Error(source + ": optimizer tensor " + key + " has shape " + c10::str(it->second.sizes()) +
                  ", expected " + c10::str(like.sizes()));
    return it->second.to(torch::kFloat32).clone();
  };
  for (size_t i = 0; i < params_.size(); ++i) {
    exp_avg_[i] = fetch("exp_avg." + params_[i].first, exp_avg_[i]);
    exp_avg_sq_[i] = fetch("exp_avg_sq." + params_[i].first, exp_avg_sq_[i]);
  }
  auto it = state.find("step");
  if (it == state.end()) throw Error(source + ": optimizer step count is missing");
  step_ = it->second.item<int64_t>();
}

}  // namespace loralab::training
