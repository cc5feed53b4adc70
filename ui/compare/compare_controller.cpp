// Worker threads of the Sweeps & compare page; see compare_controller.h.
#include "ui/compare/compare_controller.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QMetaObject>
#include <QPointer>

#include "ui/compare/queue_runner.h"
#include "ui/compare/store_worker.h"

namespace loralab::ui {

CompareController::CompareController(QObject* parent) : QObject(parent) {
  qRegisterMetaType<CompareSnapshot>();
  qRegisterMetaType<CurvesAnswer>();
  store_ = new StoreWorker;
  store_->moveToThread(&store_thread_);
  connect(&store_thread_, &QThread::finished, store_, &QObject::deleteLater);
  store_thread_.setObjectName("compare-store");
  store_thread_.start();

  runner_ = new QueueRunner;
  runner_->moveToThread(&queue_thread_);
  connect(&queue_thread_, &QThread::finished, runner_, &QObject::deleteLater);
  queue_thread_.setObjectName("compare-queue");
  queue_thread_.start();
  connect(runner_, &QueueRunner::started_working, this, [this] { emit queue_working_changed(true); });
  connect(runner_, &QueueRunner::run_started, this, &CompareController::run_started);
  connect(runner_, &QueueRunner::run_progress, this, &CompareController::run_progress);
  connect(runner_, &QueueRunner::run_evaluated, this, &CompareController::run_evaluated);
  connect(runner_, &QueueRunner::run_finished, this, &CompareController::run_finished);
  connect(runner_, &QueueRunner::stopped_working, this,
          [this](qint64 left, bool stopped, const QString& error) {
            runner_busy_ = false;
            emit queue_working_changed(false);
            emit queue_stopped(left, stopped, error);
          });
}

CompareController::~CompareController() {
  if (runner_busy_) runner_->request_stop();
  queue_thread_.quit();
  store_thread_.quit();
  queue_thread_.wait();
  store_thread_.wait();
}

void CompareController::set_store_path(const QString& path) {
  if (path == store_path_) return;
  store_path_ = path;
  QMetaObject::invokeMethod(store_, [worker = store_, path] { worker->open(path); },
                            Qt::QueuedConnection);
}

void CompareController::request_snapshot(const SnapshotRequest& request) {
  pending_snapshot_ = request;
  if (!snapshot_in_flight_) send_snapshot_request();
}

void CompareController::send_snapshot_request() {
  if (!pending_snapshot_) return;
  const SnapshotRequest request = *pending_snapshot_;
  pending_snapshot_.reset();
  snapshot_in_flight_ = true;
  const uint64_t token = ++snapshot_token_;
  QPointer<CompareController> self(this);
  auto deliver = [self](CompareSnapshot snapshot) {
    QMetaObject::invokeMethod(self.data(), [self, snapshot = std::move(snapshot)] {
      if (!self) return;
      self->snapshot_in_flight_ = false;
      if (snapshot.token == self->snapshot_token_) emit self->snapshot_ready(snapshot);
      self->send_snapshot_request();
    }, Qt::QueuedConnection);
  };
  QMetaObject::invokeMethod(store_, [worker = store_, request, token, deliver] {
    worker->run(
        [&](ExperimentStore& store) {
          CompareSnapshot snapshot = take_snapshot(store, request);
          snapshot.token = token;
          deliver(std::move(snapshot));
        },
        [&](const QString& error) {
          CompareSnapshot snapshot;
          snapshot.token = token;
          snapshot.error = error;
          deliver(std::move(snapshot));
        });
  }, Qt::QueuedConnection);
}

void CompareController::request_curves(const std::vector<int64_t>& run_ids, CurveAxis axis,
                                       int64_t max_points) {
  const uint64_t token = ++curves_token_;
  QPointer<CompareController> self(this);
  auto deliver = [self](CurvesAnswer answer) {
    QMetaObject::invokeMethod(self.data(), [self, answer = std::move(answer)] {
      // Only the newest request's answer is drawn: a quick change of selection drops the rest.
      if (self && answer.token == self->curves_token_) emit self->curves_ready(answer);
    }, Qt::QueuedConnection);
  };
  QMetaObject::invokeMethod(store_, [worker = store_, run_ids, axis, max_points, token, deliver] {
    worker->run(
        [&](ExperimentStore& store) {
          CurvesAnswer answer = read_curves(store, run_ids, axis, max_points);
          answer.token = token;
          deliver(std::move(answer));
        },
        [&](const QString& error) {
          CurvesAnswer answer;
          answer.token = token;
          answer.run_ids = run_ids;
          answer.axis = axis;
          answer.error = error;
          deliver(std::move(answer));
        });
  }, Qt::QueuedConnection);
}

void CompareController::post_write(const QString& what, std::function<void(ExperimentStore&)> job) {
  QPointer<CompareController> self(this);
  QMetaObject::invokeMethod(store_, [worker = store_, self, what, job = std::move(job)] {
    worker->run(
        [&](ExperimentStore& store) {
          job(store);
          QMetaObject::invokeMethod(self.data(), [self] {
            if (self) emit self->changed();
          }, Qt::QueuedConnection);
        },
        [&](const QString& error) {
          QMetaObject::invokeMethod(self.data(), [self, what, error] {
            if (self) emit self->write_failed(what + ": " + error);
          }, Qt::QueuedConnection);
        });
  }, Qt::QueuedConnection);
}

void CompareController::set_tags(int64_t run_id, const QStringList& tags) {
  std::vector<std::string> values;
  for (const QString& tag : tags) values.push_back(tag.toStdString());
  post_write(tr("Saving the tags of run %1").arg(run_id),
             [run_id, values](ExperimentStore& store) { store.set_tags(run_id, values); });
}

void CompareController::set_notes(int64_t run_id, const QString& notes) {
  post_write(tr("Saving the notes of run %1").arg(run_id),
             [run_id, text = notes.toStdString()](ExperimentStore& store) {
               store.set_notes(run_id, text);
             });
}

void CompareController::cancel_queued(const std::vector<int64_t>& run_ids) {
  post_write(tr("Cancelling queued runs"), [run_ids](ExperimentStore& store) {
    for (int64_t id : run_ids) store.cancel_queued(id);
  });
}

void CompareController::move_in_queue(int64_t run_id, int64_t index) {
  post_write(tr("Moving run %1 in the queue").arg(run_id),
             [run_id, index](ExperimentStore& store) { store.move_in_queue(run_id, index); });
}

void CompareController::requeue(const std::vector<int64_t>& run_ids) {
  post_write(tr("Queueing runs again"), [run_ids](ExperimentStore& store) {
    for (int64_t id : run_ids) store.requeue_run(id);
  });
}

void CompareController::enqueue_sweep(const SweepRequest& request, const SweepPlan& plan) {
  QPointer<CompareController> self(this);
  post_write(tr("Queueing the sweep"), [self, request, plan](ExperimentStore& store) {
    const QueuedSweep queued = enqueue_sweep_plan(store, request, plan);
    QMetaObject::invokeMethod(self.data(), [self, queued] {
      if (self) emit self->sweep_queued(queued.sweep_id, int(queued.run_ids.size()));
    }, Qt::QueuedConnection);
  });
}

void CompareController::start_queue(qint64 resume_run) {
  if (runner_busy_ || store_path_.isEmpty()) return;
  runner_busy_ = true;
  QMetaObject::invokeMethod(runner_, [runner = runner_, path = store_path_, resume_run] {
    runner->work(path, resume_run);
  }, Qt::QueuedConnection);
}

void CompareController::stop_queue() {
  if (runner_busy_) runner_->request_stop();
}

void CompareController::cancel_run(int64_t run_id) {
  if (runner_busy_ && runner_->current_run() == run_id) {
    runner_->request_cancel_current();
    return;
  }
  cancel_queued({run_id});
}

bool CompareController::queue_working() const { return runner_busy_; }
int64_t CompareController::current_run() const { return runner_->current_run(); }

bool CompareController::wait_queue_idle(int timeout_ms) {
  QDeadlineTimer deadline(timeout_ms);
  while (runner_busy_ && !deadline.hasExpired())
    QCoreApplication::processEvents(QEventLoop::AllEvents, 50);
  return !runner_busy_;
}

}  // namespace loralab::ui
