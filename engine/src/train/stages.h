// Multi-stage runs (engine-internal): every stage's settings resolved from the TrainSpec, and the
// rank growth at a stage boundary that leaves the adapted model's function unchanged.
#pragma once
#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

#include "lora/lora_linear.h"
#include "loralab/train.h"

namespace loralab::training {

struct ResolvedStage {
  int64_t start = 0;  // optimizer steps done before the stage begins
  int64_t steps = 0;
  double lr = 0;
  std::string schedule;
  int64_t warmup = 0;
  double min_lr_ratio = 0;
  LoraSpec lora;  // the adapter during the stage: rank, alpha, alpha_pattern
};

// Without stages: one stage over `total_steps` with the spec's own settings (so single-stage runs
// follow exactly the schedule they always had).
std::vector<ResolvedStage> resolve_stages(const TrainSpec& spec, int64_t total_steps);

// Σ stage steps, or 0 when the spec has no stages.
int64_t staged_total_steps(const TrainSpec& spec);

// The learning rate of run step `step` (counted from the start of the run) inside `stage`.
double stage_learning_rate(const ResolvedStage& stage, int64_t step);

// Names of one adapter's two tensors in the trainer's parameter list and in AdamW's state.
struct AdapterTensorNames {
  std::string a, b;
};

// Moves one adapter from stage `from` to stage `to` (rank and target alpha as those specs give
// them for `module_path`): A gains rows drawn as the init draws them (seeded by the spec seed,
// the module and `stage_index`), B gains zero columns and is rescaled by s_old / s_new, so that
// s_new·B'A' equals s_old·BA. The alpha ramp's current ratio (adapter.alpha over its old target)
// is kept. `optimizer_state` (AdamW::state() form) is grown to match: the old slices keep their
// moments (B's converted to the rescaled units), the new slices start at zero.
void grow_adapter(lora::Adapter& adapter, const std::string& module_path, const LoraSpec& from,
                  const LoraSpec& to, int64_t stage_index, const AdapterTensorNames& names,
                  std::map<std::string, torch::Tensor>& optimizer_state);

}  // namespace loralab::training
