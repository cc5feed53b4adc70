// The page's store connection on its own thread; see store_worker.h.
#include "ui/compare/store_worker.h"

#include <algorithm>
#include <map>

namespace loralab::ui {

StoreWorker::StoreWorker(QObject* parent) : QObject(parent) {}
StoreWorker::~StoreWorker() = default;

void StoreWorker::open(const QString& path) {
  store_.reset();
  open_error_.clear();
  path_ = path;
  if (path.isEmpty()) return;
  try {
    store_ = std::make_unique<ExperimentStore>(path.toStdString());
  } catch (const std::exception& e) {
    open_error_ = QString::fromStdString(e.what());
  }
}

void StoreWorker::run(const std::function<void(ExperimentStore&)>& job,
                      const std::function<void(const QString&)>& on_error) {
  if (!store_) {
    // A store that could not be opened may have been fixed since (folder created, file restored).
    if (!path_.isEmpty()) open(path_);
    if (!store_) {
      on_error(path_.isEmpty() ? tr("No experiment store is set (Preferences → Experiment store)")
                               : open_error_);
      return;
    }
  }
  try {
    job(*store_);
  } catch (const std::exception& e) {
    on_error(QString::fromStdString(e.what()));
  }
}

CompareSnapshot take_snapshot(ExperimentStore& store, const SnapshotRequest& request) {
  CompareSnapshot snapshot;
  RunQuery scope;
  scope.sweep_id = request.sweep_id;
  snapshot.sweep_id = request.sweep_id;
  snapshot.runs = store.list_runs(scope);
  RunQuery active;
  active.statuses = {RunStatus::Running, RunStatus::Paused};
  snapshot.active = store.list_runs(active);
  snapshot.queued = store.queued_runs();
  RunQuery attention;
  attention.statuses = {RunStatus::Failed, RunStatus::Interrupted, RunStatus::Stopped};
  attention.sort_by = "id";
  attention.descending = true;
  attention.limit = 200;
  snapshot.attention = store.list_runs(attention);
  snapshot.sweeps = store.sweeps();

  // The heatmap's target set: the one asked for while it has data, else the most common one.
  std::map<std::string, int> counts;
  std::vector<double> speeds;
  for (const RunRecord& run : snapshot.runs) {
    if (run.best_val_loss && run.config.rank && run.config.alpha) ++counts[run.config.targets];
    if (run.status == RunStatus::Done && run.tokens_per_second && *run.tokens_per_second > 0)
      speeds.push_back(*run.tokens_per_second);
  }
  for (const auto& [targets, count] : counts) snapshot.target_sets.push_back(targets);
  if (counts.count(request.heatmap_targets)) {
    snapshot.heatmap_targets = request.heatmap_targets;
  } else if (!counts.empty()) {
    snapshot.heatmap_targets =
        std::max_element(counts.begin(), counts.end(), [](const auto& a, const auto& b) {
          return a.second < b.second;
        })->first;
  }
  if (!counts.empty()) snapshot.heatmap = store.rank_alpha_grid(snapshot.heatmap_targets, scope);
  snapshot.front = store.pareto_front(scope);
  if (!speeds.empty()) {
    std::nth_element(speeds.begin(), speeds.begin() + long(speeds.size() / 2), speeds.end());
    snapshot.median_tokens_per_second = speeds[speeds.size() / 2];
  }
  return snapshot;
}

CurvesAnswer read_curves(ExperimentStore& store, const std::vector<int64_t>& run_ids,
                         CurveAxis axis, int64_t max_points) {
  CurvesAnswer answer;
  answer.run_ids = run_ids;
  answer.axis = axis;
  if (run_ids.empty()) return answer;
  answer.train = store.curves(run_ids, CurveMetric::TrainLoss, max_points, axis);
  answer.validation = store.curves(run_ids, CurveMetric::ValLoss, max_points, axis);
  return answer;
}

}  // namespace loralab::ui
