// From a sweep spec to queued runs: each sweep point's overrides are applied to a base TrainSpec,
// every resulting spec is validated before anything is written, and the sweep with all its runs
// is queued in the store. Torch-free; used by `loralab-cli sweep` and the GUI's sweep dialog.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "loralab/store.h"
#include "loralab/sweep_grid.h"
#include "loralab/train.h"

namespace loralab {

// The spec with the point's overrides (sweep key names as in sweep_keys(): rank, alpha,
// alpha_equals_rank, targets, lr, dropout, seed, precision, steps, batch, seq, accum, warmup,
// weight_decay, clip, schedule, init, rslora, eval_every). alpha_equals_rank=true sets alpha to the
// resulting rank; targets "q_proj+v_proj" become target_modules {q_proj, v_proj}; a preset is
// expanded as the trainer expands it. Throws naming the key for a key or value the trainer lacks.
TrainSpec apply_sweep_point(const TrainSpec& base, const SweepPoint& point);

struct SweepRequest {
  std::string name = "sweep";
  std::string grid;                       // the spec text (sweep_grid.h)
  std::optional<int64_t> random_samples;  // random search with this many points; else the grid
  uint64_t random_seed = 0;
  SweepLimits limits;              // > limits.max_runs throws SweepTooLarge unless allow_large
  TrainSpec base;                  // every field a point does not override
  bool alpha_equals_rank = false;  // alpha follows each point's rank unless the point sets alpha
  std::string base_model_path;
  std::string out_root;  // run i trains into <out_root>/<sweep id>-<i+1, 3 digits>-<label slug>
};

struct SweepPlan {
  SweepSpec spec;
  std::vector<SweepPoint> points;
  std::vector<TrainSpec> specs;  // one per point, validated; out_dir filled by enqueue
};

// Parses and expands the request and validates every point's TrainSpec. Throws loralab::Error
// naming the point (its label) and the field for the first spec the trainer would refuse.
SweepPlan plan_sweep(const SweepRequest& request);

struct QueuedSweep {
  int64_t sweep_id = 0;
  std::vector<int64_t> run_ids;  // in point order, queued at the tail of the queue
};

// Creates the sweep and queues one run per point (names "<sweep> <label>", each with its own
// out_dir under request.out_root) in one transaction.
QueuedSweep enqueue_sweep_plan(ExperimentStore& store, const SweepRequest& request,
                               const SweepPlan& plan);

}  // namespace loralab
