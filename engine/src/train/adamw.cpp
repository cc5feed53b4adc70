// AdamW; see adamw.h. The update matches torch.optim.AdamW (decay applied to the weight before the
// Adam step, bias-corrected moments).
#include "train/adamw.h"

#include <ATen/Parallel.h>

#include <cmath>
#include <vector>

#include "loralab/error.h"

namespace loralab::training {
namespace {

// Elements per task of the one-pass loops below: big enough to amortise a task, and the unit of
// the norm's partial sums, so the sum's order does not depend on the number of threads.
constexpr int64_t kChunk = 1 << 15;

bool one_pass(const torch::Tensor& t) { return t.scalar_type() == torch::kFloat32 && t.is_contiguous(); }

// Σ g² in float64, in fixed chunks summed in order.
double sum_of_squares(const torch::Tensor& grad) {
  if (!one_pass(grad)) return grad.to(torch::kFloat64).pow(2).sum().item<double>();
  const float* g = grad.data_ptr<float>();
  const int64_t n = grad.numel(), chunks = (n + kChunk - 1) / kChunk;
  std::vector<double> partial(static_cast<size_t>(chunks));
  at::parallel_for(0, chunks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t c = begin; c < end; ++c) {
      double sum = 0;
      const int64_t last = std::min(n, (c + 1) * kChunk);
#pragma omp simd reduction(+ : sum)
      for (int64_t i = c * kChunk; i < last; ++i) sum += double(g[i]) * double(g[i]);
      partial[static_cast<size_t>(c)] = sum;
    }
  });
  double total = 0;
  for (double x : partial) total += x;
  return total;
}

// The whole update of one float32 tensor in one pass instead of nine LibTorch operations (each a
// pass over the weight, the gradient or a moment): p ← p·keep; m ← β1 m + (1−β1) g;
// v ← β2 v + (1−β2) g²; p ← p − step · m / (√v / √c2 + eps).
void update_one_pass(torch::Tensor& p, const torch::Tensor& grad, torch::Tensor& m, torch::Tensor& v,
                     float keep, float beta1, float beta2, float step_size, float inv_sqrt_c2,
                     float eps) {
  float* pp = p.data_ptr<float>();
  const float* gp = grad.data_ptr<float>();
  float* mp = m.data_ptr<float>();
  float* vp = v.data_ptr<float>();
  at::parallel_for(0, p.numel(), kChunk, [&](int64_t begin, int64_t end) {
#pragma omp simd
    for (int64_t i = begin; i < end; ++i) {
      const float g = gp[i];
      const float mi = mp[i] * beta1 + (1.0f - beta1) * g;
      const float vi = vp[i] * beta2 + (1.0f - beta2) * g * g;
      mp[i] = mi;
      vp[i] = vi;
      pp[i] = pp[i] * keep - step_size * mi / (std::sqrt(vi) * inv_sqrt_c2 + eps);
    }
  });
}

}  // namespace

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
    if (p.grad().defined()) sum_sq += sum_of_squares(p.grad());
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
    const bool decay = options_.weight_decay != 0 && p.dim() >= 2;
    if (one_pass(p) && one_pass(grad) && one_pass(exp_avg_[i]) && one_pass(exp_avg_sq_[i])) {
      update_one_pass(p, grad, exp_avg_[i], exp_avg_sq_[i],
                      static_cast<float>(decay ? 1.0 - lr * options_.weight_decay : 1.0),
                      static_cast<float>(options_.beta1), static_cast<float>(options_.beta2),
                      static_cast<float>(step_size), static_cast<float>(1.0 / std::sqrt(correction2)),
                      static_cast<float>(options_.eps));
      continue;
    }
    if (decay) p.mul_(1.0 - lr * options_.weight_decay);
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
