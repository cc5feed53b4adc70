// CompareController: owns the Sweeps & compare page's two worker threads — the store worker
// (reads for the views, small writes: tags, notes, queue moves, enqueueing a sweep) and the queue
// runner (trains queued runs) — and turns their answers into signals on the GUI thread. Refreshes
// are coalesced: while one snapshot is being read, further requests collapse into one. Quits and
// waits for both threads when destroyed (a run being trained is stopped with a checkpoint and
// put back at the head of the queue first).
#pragma once
#include <QObject>
#include <QString>
#include <QStringList>
#include <QThread>
#include <optional>
#include <vector>

#include "loralab/sweep_runs.h"
#include "ui/compare/compare_types.h"

namespace loralab::ui {

class QueueRunner;
class StoreWorker;

class CompareController : public QObject {
  Q_OBJECT
 public:
  explicit CompareController(QObject* parent = nullptr);
  ~CompareController() override;

  void set_store_path(const QString& path);
  QString store_path() const { return store_path_; }

  // -- reads (answers arrive as signals)
  void request_snapshot(const SnapshotRequest& request);
  void request_curves(const std::vector<int64_t>& run_ids, CurveAxis axis, int64_t max_points = 800);
  bool snapshot_in_flight() const { return snapshot_in_flight_; }

  // -- writes (errors arrive as write_failed; each success triggers changed())
  void set_tags(int64_t run_id, const QStringList& tags);
  void set_notes(int64_t run_id, const QString& notes);
  void cancel_queued(const std::vector<int64_t>& run_ids);
  void move_in_queue(int64_t run_id, int64_t index);
  void requeue(const std::vector<int64_t>& run_ids);
  // Validated plan → one sweep with its queued runs (then sweep_queued).
  void enqueue_sweep(const SweepRequest& request, const SweepPlan& plan);

  // -- the queue runner
  // Starts working the queue (no-op while working). `resume_run`: see QueueRunner::work.
  void start_queue(qint64 resume_run = 0);
  void stop_queue();
  // Stops `run_id` for good if it is the run being trained now; else cancels it in the queue.
  void cancel_run(int64_t run_id);
  bool queue_working() const;
  int64_t current_run() const;
  // Waits (processing events) until the queue runner is idle; for tests and shutdown.
  bool wait_queue_idle(int timeout_ms);

 signals:
  void snapshot_ready(const loralab::ui::CompareSnapshot& snapshot);
  void curves_ready(const loralab::ui::CurvesAnswer& curves);
  void changed();  // a write went through: refresh
  void write_failed(const QString& message);
  void sweep_queued(qint64 sweep_id, int runs);
  void queue_working_changed(bool working);
  void run_started(qint64 run_id, const QString& name);
  void run_progress(qint64 run_id, qint64 step, qint64 total_steps, double train_loss,
                    double tokens_per_second, double eta_seconds);
  void run_evaluated(qint64 run_id, qint64 step, double val_loss);
  void run_finished(qint64 run_id, const QString& status, const QString& message);
  void queue_stopped(qint64 left, bool by_request, const QString& error);

 private:
  void post_write(const QString& what, std::function<void(ExperimentStore&)> job);
  void send_snapshot_request();

  QString store_path_;
  QThread store_thread_, queue_thread_;
  StoreWorker* store_ = nullptr;
  QueueRunner* runner_ = nullptr;
  bool snapshot_in_flight_ = false;
  std::optional<SnapshotRequest> pending_snapshot_;
  uint64_t snapshot_token_ = 0, curves_token_ = 0;
  bool runner_busy_ = false;  // work() queued or running (set on the GUI thread)
};

}  // namespace loralab::ui
