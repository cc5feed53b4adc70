// The Train page's controller; see train_controller.h.
#include "ui/train/train_controller.h"

#include "loralab/tokenizer.h"
#include "ui/train/training_worker.h"

namespace loralab::ui {

TrainController::TrainController(QObject* parent) : QObject(parent) {
  register_train_metatypes();
  worker_ = new TrainingWorker;
  worker_->moveToThread(&thread_);
  connect(&thread_, &QThread::finished, worker_, &QObject::deleteLater);
  // Queued: the worker emits on its own thread, the controller lives on the GUI thread.
  connect(worker_, &TrainingWorker::planned, this, &TrainController::planned, Qt::QueuedConnection);
  connect(worker_, &TrainingWorker::stepped, this, &TrainController::stepped, Qt::QueuedConnection);
  connect(worker_, &TrainingWorker::evaluated, this, &TrainController::evaluated, Qt::QueuedConnection);
  connect(worker_, &TrainingWorker::message, this, &TrainController::message, Qt::QueuedConnection);
  connect(worker_, &TrainingWorker::paused_changed, this, &TrainController::on_paused_changed,
          Qt::QueuedConnection);
  connect(
      worker_, &TrainingWorker::finished, this,
      [this](const TrainResult& result, qint64 run_id) {
        on_run_ended();
        emit finished(result, run_id);
      },
      Qt::QueuedConnection);
  connect(
      worker_, &TrainingWorker::failed, this,
      [this](const QString& error) {
        on_run_ended();
        emit failed(error);
      },
      Qt::QueuedConnection);
  thread_.setObjectName("training");
  thread_.start();
}

TrainController::~TrainController() {
  sample_cancel_ = true;
  if (sample_thread_) sample_thread_->wait();
  worker_->control().stop = true;
  worker_->control().pause = false;
  thread_.quit();
  thread_.wait();
}

void TrainController::set_state(State state) {
  if (state_ == state) return;
  state_ = state;
  emit state_changed(state);
}

void TrainController::start(const TrainRequest& request) {
  if (state_ != State::Idle) return;
  worker_->reset_control();
  set_state(State::Running);
  TrainingWorker* worker = worker_;
  QMetaObject::invokeMethod(worker, [worker, request] { worker->run(request); }, Qt::QueuedConnection);
}

void TrainController::pause() {
  if (state_ != State::Running) return;
  worker_->control().pause = true;
  set_state(State::Pausing);  // the trainer finishes its step first
}

void TrainController::resume() {
  if (state_ != State::Paused && state_ != State::Pausing) return;
  if (sampling()) {
    after_sample_ = AfterSample::Resume;
    cancel_sample();
    return;
  }
  worker_->control().pause = false;
  set_state(State::Running);
}

void TrainController::stop() {
  if (state_ == State::Idle || state_ == State::Stopping) return;
  if (sampling()) {
    after_sample_ = AfterSample::Stop;
    cancel_sample();
    return;
  }
  worker_->control().stop = true;
  worker_->control().pause = false;
  set_state(State::Stopping);
}

void TrainController::on_paused_changed(bool paused) {
  // Running too: the trainer pauses only on the control flag, which may have been set directly.
  if (paused && (state_ == State::Pausing || state_ == State::Running)) set_state(State::Paused);
}

void TrainController::on_run_ended() {
  sample_cancel_ = true;
  set_state(State::Idle);
}

void TrainController::sample_now(const QString& prompt, const SampleSpec& spec) {
  if (state_ != State::Paused || sampling()) return;
  auto lent = worker_->paused_model();
  if (!lent.model || !lent.tokenizer) {
    emit sample_finished(lent.model ? tr("The model folder has no tokenizer, so no text can be sampled.")
                                    : tr("The trainer is not paused yet."));
    return;
  }
  sample_cancel_ = false;
  sample_error_.clear();
  const std::string prompt_text = prompt.toStdString();
  sample_thread_ = QThread::create([this, lent, prompt_text, spec] {
    try {
      Sampler sampler(lent.model);
      sampler.generate_text(
          *lent.tokenizer, prompt_text, spec,
          [this](std::string_view piece) {
            const QString text = QString::fromUtf8(piece.data(), qsizetype(piece.size()));
            QMetaObject::invokeMethod(this, [this, text] { emit sample_text(text); },
                                      Qt::QueuedConnection);
            return !sample_cancel_.load();
          },
          &sample_cancel_);
    } catch (const std::exception& e) {
      const QString error = QString::fromUtf8(e.what());
      QMetaObject::invokeMethod(this, [this, error] { sample_error_ = error; }, Qt::QueuedConnection);
    }
  });
  sample_thread_->setObjectName("sample");
  connect(sample_thread_, &QThread::finished, this, &TrainController::on_sample_thread_done);
  emit sample_started();
  sample_thread_->start();
}

void TrainController::cancel_sample() { sample_cancel_ = true; }

void TrainController::on_sample_thread_done() {
  // Queued text pieces and the error were posted before the thread ended, so they arrive first.
  QMetaObject::invokeMethod(
      this,
      [this] {
        if (!sample_thread_) return;
        sample_thread_->wait();
        sample_thread_->deleteLater();
        sample_thread_ = nullptr;
        emit sample_finished(sample_error_);
        const AfterSample next = after_sample_;
        after_sample_ = AfterSample::Nothing;
        if (next == AfterSample::Resume) resume();
        if (next == AfterSample::Stop) stop();
      },
      Qt::QueuedConnection);
}

}  // namespace loralab::ui
