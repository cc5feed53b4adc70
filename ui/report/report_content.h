// What an experiment report says, gathered from the store once: the selection (a sweep, chosen
// runs, blend samples), the environment the report was made on, base models and datasets with their
// hashes, the runs with configuration and results, curves, the rank × alpha grid, the Pareto front,
// parameter accounting, samples and blend strips, and each run's exact rerun command. Plain data:
// the writers (HTML, PDF, Markdown, CSV, JSON) and the plots read it, nothing here draws.
#pragma once
#include <QDateTime>
#include <QString>
#include <QStringList>
#include <QVector>
#include <cstdint>
#include <optional>
#include <vector>

#include "loralab/store.h"

namespace loralab::ui {

struct ReportSelection {
  std::optional<int64_t> sweep_id;  // every run of this sweep
  std::vector<int64_t> run_ids;     // or these runs (in this order)
  bool blend_samples = true;        // add the blend samples that use any selected run
  bool metric_rows = true;          // every stored metric row (for the CSV and JSON exports)
  QString title;                    // "" = derived from the sweep or the runs
};

struct ReportEnvironment {
  QString cpu;  // model name from /proc/cpuinfo
  int cores = 0;
  int threads = 0;  // LibTorch intra-op threads
  QString libtorch, qt, blas, engine, os, host;
};

struct ReportModel {
  QString path, hash;
  QVector<int64_t> run_ids;
};

struct ReportDataset {
  QString role;  // "train", "validation", "reference"
  QString path, fingerprint;
  QVector<int64_t> run_ids;
};

// One run's rerun command, and what the CLI cannot express (fields off their defaults that no flag
// sets); an empty command means the run's config is not a training spec.
struct RerunCommand {
  QString command;        // one line, shell-quoted
  QStringList arguments;  // the same, unquoted, after "loralab-cli"
  QStringList caveats;
};

struct ReportRun {
  RunRecord record;
  QString adapter_file;  // adapter_model.safetensors when it exists
  std::optional<int64_t> adapter_bytes;
  std::vector<SampleRecord> samples;
  std::vector<MetricRow> metrics;  // when ReportSelection::metric_rows
  RerunCommand rerun;
};

// One blend sample, its adapters resolved to run names where the store knows them.
struct BlendAdapter {
  std::optional<int64_t> run_id;
  QString label;  // run name, or the folder it was loaded from
  double weight = 0;
};
struct BlendSample {
  SampleRecord record;
  std::vector<BlendAdapter> adapters;
};
// Samples with the same prompt, seed and adapters, drawn at several weights: the blend strip.
struct BlendStrip {
  QString prompt;
  std::optional<int64_t> seed;
  QStringList adapter_labels;
  std::vector<BlendSample> samples;  // by the first adapter's weight
};

struct ReportContent {
  QString title;
  QString subtitle;  // "Sweep 3 · rank=2,4;alpha=2,8 · 4 runs" or "5 chosen runs"
  QDateTime generated_at;
  QString store_path;
  std::optional<SweepRecord> sweep;
  ReportEnvironment environment;
  std::vector<ReportModel> models;
  std::vector<ReportDataset> datasets;
  std::vector<ReportRun> runs;
  std::vector<CurveSeries> train_curves, val_curves;
  // The best run per (rank, alpha) for each target set among the selected runs.
  struct Grid {
    QString targets;
    std::vector<RankAlphaCell> cells;
  };
  std::vector<Grid> grids;
  std::vector<ParetoPoint> points;    // every selected run with params and a validation loss
  std::vector<int64_t> pareto_front;  // ids of the runs not beaten on both, by ascending params
  std::vector<BlendStrip> blend_strips;

  const ReportRun* find_run(int64_t id) const;
  QString run_label(int64_t id) const;  // "#3 name"
  int sample_count() const;
};

// Reads the selection from the store. Throws loralab::Error naming an unknown sweep or run id, an
// empty selection, or a sweep without runs.
ReportContent load_report_content(const ExperimentStore& store, const ReportSelection& selection);

ReportEnvironment current_environment();

// The runs not beaten on both trainable params and best val loss, by ascending params.
std::vector<int64_t> pareto_front_of(const std::vector<ParetoPoint>& points);

}  // namespace loralab::ui
