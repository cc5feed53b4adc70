// QueueRunner: works the experiment store's run queue on its own QThread, one run after another,
// as `loralab-cli queue` does: claim the head, train it through train_stored_run (recorded in the
// store, resumed from its checkpoint when it has one), repeat until the queue is empty or it is
// told to stop. Progress is re-emitted as queued signals at most ~10 times a second per run.
//
// Stopping the queue stops the current run with a checkpoint and puts it back at the head, so the
// next start (or the next app start) continues it; cancelling the current run stops it for good
// and the queue goes on with the next one.
#pragma once
#include <QObject>
#include <QString>
#include <atomic>
#include <cstdint>

#include "loralab/train.h"

namespace loralab::ui {

class QueueRunner : public QObject {
  Q_OBJECT
 public:
  explicit QueueRunner(QObject* parent = nullptr);

  // Thread-safe: read and set from the GUI thread while work() runs.
  void request_stop();                  // stop after putting the current run back at the head
  void request_cancel_current();        // stop the current run for good, go on with the next
  int64_t current_run() const { return current_run_.load(); }
  bool working() const { return working_.load(); }

  // Runs on the worker thread until the queue is empty or a stop is requested. `resume_run`, when
  // set, is a run this app was training when it last closed or crashed: if it was left
  // interrupted it goes back to the head of the queue first.
  void work(const QString& store_path, qint64 resume_run);

 signals:
  void started_working();
  void run_started(qint64 run_id, const QString& name);
  void run_progress(qint64 run_id, qint64 step, qint64 total_steps, double train_loss,
                    double tokens_per_second, double eta_seconds);
  void run_evaluated(qint64 run_id, qint64 step, double val_loss);
  void run_finished(qint64 run_id, const QString& status, const QString& message);
  // left: runs still queued; stopped: a stop was requested (else the queue ran dry or failed).
  void stopped_working(qint64 left, bool stopped, const QString& error);

 private:
  class Progress;
  TrainControl control_;
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> cancel_current_{false};
  std::atomic<int64_t> current_run_{0};
  std::atomic<bool> working_{false};
};

}  // namespace loralab::ui
