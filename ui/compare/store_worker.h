// StoreWorker: the Sweeps & compare page's connection to the experiment store, on a QThread of
// its own, so a slow query or a write that waits for a training process's lock never stalls the
// GUI. Jobs are queued closures that run against the open store; their answers come back to the
// GUI thread as queued calls on a receiver (dropped if the receiver is gone).
#pragma once
#include <QObject>
#include <QString>
#include <functional>
#include <memory>

#include "loralab/store.h"
#include "ui/compare/compare_types.h"

namespace loralab::ui {

class StoreWorker : public QObject {
  Q_OBJECT
 public:
  explicit StoreWorker(QObject* parent = nullptr);
  ~StoreWorker() override;

  // Both run on the worker's thread (queue them with QMetaObject::invokeMethod).
  // Opens `path` (closing the previous store); "" closes. Errors arrive on the next job.
  void open(const QString& path);
  // Runs `job` with the open store; an exception becomes `on_error(message)`, which like the job's
  // own answers should reach the GUI through a queued call.
  void run(const std::function<void(ExperimentStore&)>& job,
           const std::function<void(const QString&)>& on_error);

 private:
  QString path_;
  QString open_error_;
  std::unique_ptr<ExperimentStore> store_;
};

// The page's reads, done on the worker's thread.
CompareSnapshot take_snapshot(ExperimentStore& store, const SnapshotRequest& request);
CurvesAnswer read_curves(ExperimentStore& store, const std::vector<int64_t>& run_ids,
                         CurveAxis axis, int64_t max_points);

}  // namespace loralab::ui
