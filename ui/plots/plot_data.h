// From experiment-store records to the plain data the plot builders draw (run_plots.h). No store
// access here: callers query the store (on whatever thread suits them) and pass the records in.
#pragma once
#include <QString>
#include <QStringList>
#include <vector>

#include "loralab/store.h"
#include "ui/plots/run_plots.h"

namespace loralab::ui::plots {

// Hyperparameters a curve can be coloured by (run columns): rank, alpha, targets, lr, dropout,
// seed, precision, steps, sweep.
const QStringList& color_by_keys();
// The run's value of `key` as text ("8", "0.0001", "all-linear"); empty when not set. Throws
// nothing: an unknown key gives an empty text.
QString hyperparameter_text(const RunRecord& run, const QString& key);

// Names without the words every one of them shares ("sweep rank=4 alpha=8 targets=attention-qv"
// and "sweep rank=8 alpha=8 targets=attention-qv" → "rank=4", "rank=8"), so a legend shows what
// tells the runs apart. Fewer than two names, or a name left empty: unchanged.
QStringList compact_run_names(const QStringList& names);

CurveXAxis curve_x_axis(CurveAxis axis);
CurveAxis store_curve_axis(CurveXAxis axis);

// One CurveRun per run, in `runs` order, with its train and validation series picked by run id
// from the store's curves() answers (either list may miss a run: that curve is then empty). Names
// are compacted (compact_run_names).
std::vector<CurveRun> curve_runs(const std::vector<RunRecord>& runs,
                                 const std::vector<CurveSeries>& train,
                                 const std::vector<CurveSeries>& validation,
                                 const QString& color_by);

std::vector<HeatmapCell> heatmap_cells(const std::vector<RankAlphaCell>& grid);

// Every run with both trainable params and a best validation loss; on_front for those whose id is
// in `front` (the store's pareto_front() over the same runs). Names are compacted.
std::vector<ParetoRun> pareto_runs(const std::vector<RunRecord>& runs,
                                   const std::vector<ParetoPoint>& front);

}  // namespace loralab::ui::plots
