// Multi-stage runs; see stages.h. Growing the rank keeps the function because the new columns of
// B are zero (B'A' = BA + 0·A_new) and the old columns absorb any change of the scaling alpha/r.
#include "train/stages.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>

#include "lora/targeting.h"
#include "loralab/error.h"
#include "train/train_internal.h"

namespace loralab::training {
namespace {

// How alpha must change with the rank for alpha/r (alpha/√r with rsLoRA) to stay the same.
double alpha_factor(const LoraSpec& spec, int64_t from_rank, int64_t to_rank) {
  const double ratio = double(to_rank) / double(from_rank);
  return spec.rslora ? std::sqrt(ratio) : ratio;
}

double scaling_of(double alpha, int64_t rank, bool rslora) {
  return rslora ? alpha / std::sqrt(double(rank)) : alpha / double(rank);
}

uint64_t fnv1a(const std::string& text) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) hash = (hash ^ c) * 0x100000001b3ULL;
  return hash;
}

// `count` new rows of A (in features wide), drawn like the init draws a rank-`rank` A.
torch::Tensor new_rows(const LoraSpec& spec, int64_t count, int64_t in, int64_t rank, uint64_t seed) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  if (spec.init == "gaussian") return torch::empty({count, in}).normal_(0.0, 1.0 / double(rank), gen);
  // kaiming_uniform_(a = √5), as the default init: bound 1 / √in.
  const double bound = 1.0 / std::sqrt(double(in));
  return torch::empty({count, in}).uniform_(-bound, bound, gen);
}

torch::Tensor& state_tensor(std::map<std::string, torch::Tensor>& state, const std::string& key) {
  auto it = state.find(key);
  if (it == state.end()) throw Error("stage growth: optimizer tensor " + key + " is missing");
  return it->second;
}

}  // namespace

int64_t staged_total_steps(const TrainSpec& spec) {
  int64_t total = 0;
  for (const auto& stage : spec.stages) total += stage.steps;
  return total;
}

std::vector<ResolvedStage> resolve_stages(const TrainSpec& spec, int64_t total_steps) {
  if (spec.stages.empty())
    return {{0, total_steps, spec.lr, spec.schedule, spec.warmup, spec.min_lr_ratio, spec.lora}};
  std::vector<ResolvedStage> out;
  LoraSpec previous = spec.lora;
  int64_t start = 0;
  for (const auto& stage : spec.stages) {
    ResolvedStage r{start, stage.steps, stage.lr.value_or(spec.lr), stage.schedule.value_or(spec.schedule),
                    stage.warmup.value_or(spec.warmup), spec.min_lr_ratio, previous};
    if (!spec.full) {
      if (stage.rank) r.lora.rank = *stage.rank;
      if (stage.alpha) {
        r.lora.alpha = *stage.alpha;
      } else if (r.lora.rank != previous.rank) {
        const double factor = alpha_factor(previous, previous.rank, r.lora.rank);
        r.lora.alpha *= factor;
        for (auto& [_, alpha] : r.lora.alpha_pattern) alpha *= factor;
      }
    }
    previous = r.lora;
    start += stage.steps;
    out.push_back(std::move(r));
  }
  return out;
}

double stage_learning_rate(const ResolvedStage& stage, int64_t step) {
  TrainSpec schedule;
  schedule.lr = stage.lr;
  schedule.schedule = stage.schedule;
  schedule.warmup = stage.warmup;
  schedule.min_lr_ratio = stage.min_lr_ratio;
  return learning_rate(schedule, step - stage.start, stage.steps);
}

void grow_adapter(lora::Adapter& adapter, const std::string& module_path, const LoraSpec& from,
                  const LoraSpec& to, int64_t stage_index, const AdapterTensorNames& names,
                  std::map<std::string, torch::Tensor>& optimizer_state) {
  torch::NoGradGuard no_grad;
  const int64_t rank = adapter.rank();
  const int64_t new_rank = lora::rank_for(to, module_path);
  if (new_rank < rank)
    throw Error("stage " + std::to_string(stage_index) + ": " + module_path + " would shrink from rank " +
                std::to_string(rank) + " to " + std::to_string(new_rank));
  const double old_target = lora::alpha_for(from, module_path);
  const double ramp = old_target != 0 ? adapter.alpha / old_target : 1.0;
  const double new_alpha = lora::alpha_for(to, module_path) * ramp;
  const double old_scaling = adapter.scaling();
  const double new_scaling = scaling_of(new_alpha, new_rank, adapter.rslora);
  if (new_rank == rank && new_scaling == old_scaling) {
    adapter.alpha = new_alpha;
    return;
  }
  if (new_scaling == 0)
    throw Error("stage " + std::to_string(stage_index) + ": " + module_path +
                " would get scaling 0 (alpha 0), which cannot keep the function");
  // s_new · (k·B) · A = s_old · B · A with k = s_old / s_new.
  const double b_factor = old_scaling / new_scaling;
  const int64_t added = new_rank - rank;
  const int64_t in = adapter.a.size(1), out = adapter.b.size(0);
  const uint64_t seed = to.seed * 0x9E3779B97F4A7C15ULL + fnv1a(module_path) +
                        uint64_t(stage_index) * 0xBF58476D1CE4E5B9ULL;
  auto old_a = adapter.a.detach(), old_b = adapter.b.detach();
  auto scaled_b = b_factor == 1.0 ? old_b : old_b * b_factor;
  auto a = torch::cat({old_a, new_rows(to, added, in, new_rank, seed).to(old_a.options())}, 0);
  auto b = torch::cat({scaled_b, torch::zeros({out, added}, old_b.options())}, 1);
  adapter.a = a.contiguous().set_requires_grad(true);
  adapter.b = b.contiguous().set_requires_grad(true);
  adapter.alpha = new_alpha;

  // B's gradient scales by 1/k after the rescale (A's does not): first moments by 1/k, second by 1/k².
  for (const auto* kind : {"exp_avg.", "exp_avg_sq."}) {
    auto& m_a = state_tensor(optimizer_state, kind + names.a);
    m_a = torch::cat({m_a, torch::zeros({added, in}, m_a.options())}, 0).contiguous();
    auto& m_b = state_tensor(optimizer_state, kind + names.b);
    const double unit = std::string(kind) == "exp_avg." ? 1.0 / b_factor : 1.0 / (b_factor * b_factor);
    auto converted = b_factor == 1.0 ? m_b : m_b * unit;
    m_b = torch::cat({converted, torch::zeros({out, added}, m_b.options())}, 1).contiguous();
  }
}

}  // namespace loralab::training
