// Works the run queue on a worker thread; see queue_runner.h.
#include "ui/compare/queue_runner.h"

#include <chrono>

#include "loralab/error.h"
#include "loralab/run_recorder.h"
#include "loralab/store.h"

namespace loralab::ui {

// Forwards the trainer's callbacks as signals, throttled: a fast trainer steps hundreds of times a
// second and the queue view only needs to move smoothly.
class QueueRunner::Progress : public TrainObserver {
 public:
  Progress(QueueRunner& runner, int64_t run_id) : runner_(runner), run_id_(run_id) {}

  void on_step(const StepMetrics& m) override {
    const auto now = std::chrono::steady_clock::now();
    if (m.step < m.total_steps && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    emit runner_.run_progress(run_id_, m.step, m.total_steps, m.train_loss, m.tokens_per_s, m.eta_s);
  }
  void on_eval(const EvalMetrics& m) override {
    emit runner_.run_evaluated(run_id_, m.step, m.val_loss);
  }

 private:
  QueueRunner& runner_;
  int64_t run_id_;
  std::chrono::steady_clock::time_point last_{};
};

QueueRunner::QueueRunner(QObject* parent) : QObject(parent) {}

void QueueRunner::request_stop() {
  stop_requested_ = true;
  control_.stop = true;
}

void QueueRunner::request_cancel_current() {
  cancel_current_ = true;
  control_.stop = true;
}

void QueueRunner::work(const QString& store_path, qint64 resume_run) {
  working_ = true;
  stop_requested_ = false;
  emit started_working();
  QString error;
  int64_t left = 0;
  try {
    ExperimentStore store(store_path.toStdString());
    if (resume_run > 0) {
      // Opening the store marked it interrupted if its process died; this app owned it.
      auto run = store.find_run(resume_run);
      if (run && run->status == RunStatus::Interrupted) {
        store.requeue_run(resume_run);
        store.move_in_queue(resume_run, 0);
      }
    }
    while (true) {
      // Cleared before the stop request is read, so a request that comes now is never lost.
      control_.stop = false;
      control_.pause = false;
      cancel_current_ = false;
      if (stop_requested_.load()) break;
      auto claimed = store.claim_next_queued();
      if (!claimed) break;
      const int64_t id = claimed->id;
      current_run_ = id;
      emit run_started(id, QString::fromStdString(claimed->name));
      Progress progress(*this, id);
      QString status, message;
      try {
        const TrainResult result = train_stored_run(store, id, &progress, &control_);
        status = QString::fromStdString(result.status);
        message = QString::fromStdString(result.message);
        if (result.status == "stopped" && stop_requested_.load() && !cancel_current_.load()) {
          // Stopped because the queue was stopped, not by choice: it goes first next time.
          store.requeue_run(id);
          store.move_in_queue(id, 0);
          status = "queued";
          message = tr("stopped with a checkpoint; first in the queue again");
        }
      } catch (const std::exception& e) {
        status = "failed";
        message = QString::fromStdString(e.what());
      }
      current_run_ = 0;
      emit run_finished(id, status, message);
    }
    left = int64_t(store.queued_runs().size());
  } catch (const std::exception& e) {
    error = QString::fromStdString(e.what());
  }
  current_run_ = 0;
  working_ = false;
  emit stopped_working(left, stop_requested_.load(), error);
}

}  // namespace loralab::ui
