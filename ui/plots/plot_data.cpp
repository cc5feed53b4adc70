// Store records → plot data; see plot_data.h.
#include "ui/plots/plot_data.h"

#include <QObject>
#include <algorithm>
#include <unordered_map>

namespace loralab::ui::plots {
namespace {

QString number_text(const std::optional<double>& value) {
  return value ? QString::number(*value, 'g', 6) : QString();
}
QString number_text(const std::optional<int64_t>& value) {
  return value ? QString::number(*value) : QString();
}

void fill(const CurveSeries& series, QVector<double>& xs, QVector<double>& ys) {
  xs.reserve(qsizetype(series.points.size()));
  ys.reserve(qsizetype(series.points.size()));
  for (const CurvePoint& point : series.points) {
    xs.push_back(point.x);
    ys.push_back(point.y);
  }
}

}  // namespace

const QStringList& color_by_keys() {
  static const QStringList keys = {"rank",      "alpha", "targets", "lr",   "dropout",
                                   "seed",      "precision", "steps", "sweep"};
  return keys;
}

QString hyperparameter_text(const RunRecord& run, const QString& key) {
  const RunConfigColumns& c = run.config;
  if (key == "rank") return number_text(c.rank);
  if (key == "alpha") return number_text(c.alpha);
  if (key == "targets") return QString::fromStdString(c.targets);
  if (key == "lr") return number_text(c.lr);
  if (key == "dropout") return number_text(c.dropout);
  if (key == "seed") return number_text(c.seed);
  if (key == "precision") return QString::fromStdString(c.precision);
  if (key == "steps") return number_text(c.steps);
  if (key == "sweep") return number_text(run.sweep_id);
  return {};
}

QStringList compact_run_names(const QStringList& names) {
  if (names.size() < 2) return names;
  std::vector<QStringList> words;
  for (const QString& name : names) words.push_back(name.split(' ', Qt::SkipEmptyParts));
  QStringList shared = words.front();
  for (const QStringList& w : words)
    shared.erase(std::remove_if(shared.begin(), shared.end(),
                                [&](const QString& word) { return !w.contains(word); }),
                 shared.end());
  if (shared.isEmpty()) return names;
  QStringList out;
  for (size_t i = 0; i < words.size(); ++i) {
    QStringList kept;
    for (const QString& word : words[i])
      if (!shared.contains(word)) kept << word;
    if (kept.isEmpty()) return names;  // two runs of the same name: keep them whole
    out << kept.join(' ');
  }
  return out;
}

CurveXAxis curve_x_axis(CurveAxis axis) {
  switch (axis) {
    case CurveAxis::Step: return CurveXAxis::Step;
    case CurveAxis::TokensSeen: return CurveXAxis::Tokens;
    case CurveAxis::WallTime: return CurveXAxis::WallTime;
  }
  return CurveXAxis::Step;
}

CurveAxis store_curve_axis(CurveXAxis axis) {
  switch (axis) {
    case CurveXAxis::Step: return CurveAxis::Step;
    case CurveXAxis::Tokens: return CurveAxis::TokensSeen;
    case CurveXAxis::WallTime: return CurveAxis::WallTime;
  }
  return CurveAxis::Step;
}

std::vector<CurveRun> curve_runs(const std::vector<RunRecord>& runs,
                                 const std::vector<CurveSeries>& train,
                                 const std::vector<CurveSeries>& validation,
                                 const QString& color_by) {
  std::unordered_map<int64_t, const CurveSeries*> train_by_id, val_by_id;
  for (const CurveSeries& series : train) train_by_id[series.run_id] = &series;
  for (const CurveSeries& series : validation) val_by_id[series.run_id] = &series;
  std::vector<CurveRun> out;
  out.reserve(runs.size());
  for (const RunRecord& run : runs) {
    CurveRun curve;
    curve.run_id = run.id;
    curve.name = QString::fromStdString(run.name);
    if (curve.name.isEmpty()) curve.name = QObject::tr("run %1").arg(run.id);
    curve.color_value = hyperparameter_text(run, color_by);
    if (auto it = train_by_id.find(run.id); it != train_by_id.end())
      fill(*it->second, curve.train_x, curve.train_y);
    if (auto it = val_by_id.find(run.id); it != val_by_id.end())
      fill(*it->second, curve.val_x, curve.val_y);
    out.push_back(std::move(curve));
  }
  QStringList names;
  for (const CurveRun& curve : out) names << curve.name;
  names = compact_run_names(names);
  for (size_t i = 0; i < out.size(); ++i) out[i].name = names[qsizetype(i)];
  return out;
}

std::vector<HeatmapCell> heatmap_cells(const std::vector<RankAlphaCell>& grid) {
  std::vector<HeatmapCell> cells;
  cells.reserve(grid.size());
  for (const RankAlphaCell& cell : grid)
    cells.push_back({cell.rank, cell.alpha, cell.best_val_loss, cell.best_run_id, cell.runs});
  return cells;
}

std::vector<ParetoRun> pareto_runs(const std::vector<RunRecord>& runs,
                                   const std::vector<ParetoPoint>& front) {
  std::vector<ParetoRun> out;
  for (const RunRecord& run : runs) {
    if (!run.trainable_params || !run.best_val_loss) continue;
    ParetoRun point;
    point.run_id = run.id;
    point.name = QString::fromStdString(run.name);
    point.trainable_params = double(*run.trainable_params);
    point.best_val_loss = *run.best_val_loss;
    point.on_front = std::any_of(front.begin(), front.end(),
                                 [&](const ParetoPoint& p) { return p.run_id == run.id; });
    out.push_back(point);
  }
  QStringList names;
  for (const ParetoRun& point : out) names << point.name;
  names = compact_run_names(names);
  for (size_t i = 0; i < out.size(); ++i) out[i].name = names[qsizetype(i)];
  return out;
}

}  // namespace loralab::ui::plots
