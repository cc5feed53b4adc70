// Value types the Sweeps & compare page's workers hand to the GUI thread: a snapshot of the store
// for the table, queue, heatmap and Pareto plot, and the curves of the selected runs.
#pragma once
#include <QMetaType>
#include <QString>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "loralab/store.h"

namespace loralab::ui {

// What the page asks the store for on each refresh.
struct SnapshotRequest {
  std::optional<int64_t> sweep_id;  // runs of this sweep only; empty: every run
  std::string heatmap_targets;      // target set of the heatmap; empty: the most common one
};

struct CompareSnapshot {
  uint64_t token = 0;  // the request this answers; older answers are dropped
  std::optional<int64_t> sweep_id;     // the request's scope
  std::vector<RunRecord> runs;         // list_runs (newest last), scoped by the request's sweep
  std::vector<RunRecord> active;       // running and paused runs
  std::vector<RunRecord> queued;       // queue order
  std::vector<RunRecord> attention;    // failed / interrupted / stopped runs that can be retried
  std::vector<SweepRecord> sweeps;
  std::vector<std::string> target_sets;  // distinct target sets of runs with a validation loss
  std::string heatmap_targets;           // the set the heatmap below was made for
  std::vector<RankAlphaCell> heatmap;
  std::vector<ParetoPoint> front;
  double median_tokens_per_second = 0;  // of finished runs, 0 = none measured yet
  QString error;                        // the store could not be read (the rest is empty)
};

struct CurvesAnswer {
  uint64_t token = 0;
  std::vector<int64_t> run_ids;
  CurveAxis axis = CurveAxis::Step;
  std::vector<CurveSeries> train, validation;
  QString error;
};

}  // namespace loralab::ui

Q_DECLARE_METATYPE(loralab::ui::CompareSnapshot)
Q_DECLARE_METATYPE(loralab::ui::CurvesAnswer)
