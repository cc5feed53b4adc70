// The blend playground's controller; see blend_controller.h.
#include "ui/blend/blend_controller.h"

namespace loralab::ui {

BlendController::BlendController(QObject* parent) : QObject(parent) {
  register_blend_metatypes();
  worker_ = new BlendWorker;
  worker_->moveToThread(&thread_);
  connect(&thread_, &QThread::finished, worker_, &QObject::deleteLater);
  // Queued: the worker emits on its own thread, the controller lives on the GUI thread.
  connect(worker_, &BlendWorker::base_loaded, this, &BlendController::base_loaded,
          Qt::QueuedConnection);
  connect(worker_, &BlendWorker::base_failed, this, &BlendController::base_failed,
          Qt::QueuedConnection);
  connect(worker_, &BlendWorker::adapter_checked, this, &BlendController::adapter_checked,
          Qt::QueuedConnection);
  connect(worker_, &BlendWorker::file_written, this, &BlendController::file_written,
          Qt::QueuedConnection);
  connect(
      worker_, &BlendWorker::piece, this,
      [this](qint64 batch, int index, const QString& text) {
        if (batch == current_) emit piece(index, text);
      },
      Qt::QueuedConnection);
  connect(
      worker_, &BlendWorker::job_done, this,
      [this](qint64 batch, int index, const SampleOutcome& outcome) {
        if (batch == current_) emit job_done(index, outcome);
      },
      Qt::QueuedConnection);
  connect(
      worker_, &BlendWorker::batch_done, this,
      [this](qint64 batch) {
        running_.remove(batch);
        if (batch == current_) emit batch_finished(batch);
        if (running_.isEmpty()) emit busy_changed(false);
      },
      Qt::QueuedConnection);
  thread_.setObjectName("blend-sampler");
  thread_.start();
}

BlendController::~BlendController() {
  worker_->want_batch(0);
  thread_.quit();
  thread_.wait();
}

void BlendController::load_base(const QString& dir) {
  stop();
  BlendWorker* worker = worker_;
  QMetaObject::invokeMethod(
      worker, [worker, dir] { worker->load_base(dir); }, Qt::QueuedConnection);
}

void BlendController::check_adapters(const QVector<AdapterFacts>& candidates) {
  BlendWorker* worker = worker_;
  QMetaObject::invokeMethod(
      worker, [worker, candidates] { worker->check_adapters(candidates); }, Qt::QueuedConnection);
}

void BlendController::remove_adapter(const QString& name) {
  BlendWorker* worker = worker_;
  QMetaObject::invokeMethod(
      worker, [worker, name] { worker->remove_adapter(name); }, Qt::QueuedConnection);
}

void BlendController::set_live(const QString& name, double weight, bool enabled) {
  worker_->set_live(name, weight, enabled);
}

qint64 BlendController::start(const QVector<SampleJob>& jobs) {
  const qint64 batch = ++next_batch_;
  current_ = batch;
  worker_->want_batch(batch);
  const bool was_busy = busy();
  running_.insert(batch);
  BlendWorker* worker = worker_;
  QMetaObject::invokeMethod(
      worker, [worker, batch, jobs] { worker->run_batch(batch, jobs); }, Qt::QueuedConnection);
  if (!was_busy) emit busy_changed(true);
  return batch;
}

void BlendController::stop() {
  worker_->want_batch(0);
  // The stopped batch's last result still arrives (as cancelled); nothing after it.
}

void BlendController::export_merged(const Blend& blend, const QString& out_dir,
                                    const QString& dtype) {
  BlendWorker* worker = worker_;
  QMetaObject::invokeMethod(
      worker, [worker, blend, out_dir, dtype] { worker->export_merged(blend, out_dir, dtype); },
      Qt::QueuedConnection);
}

void BlendController::save_blend(const QVector<BlendInput>& inputs, const QString& method,
                                 qint64 rank, const QString& out_dir) {
  BlendWorker* worker = worker_;
  QMetaObject::invokeMethod(
      worker,
      [worker, inputs, method, rank, out_dir] {
        worker->save_blend(inputs, method, rank, out_dir);
      },
      Qt::QueuedConnection);
}

}  // namespace loralab::ui
