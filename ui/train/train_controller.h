// TrainController: owns the training worker and its QThread, turns the Train page's buttons into
// TrainControl flags, and draws "Sample now" stories from the paused model on a short-lived thread
// of its own. Resume and Stop wait for a running sample to end (it is cancelled first), so the
// trainer never changes weights that a sample is reading. Quits and waits for its threads when
// destroyed.
#pragma once
#include <QObject>
#include <QString>
#include <QThread>
#include <atomic>

#include "loralab/sampler.h"
#include "ui/train/train_types.h"

namespace loralab::ui {

class TrainingWorker;

class TrainController : public QObject {
  Q_OBJECT
 public:
  enum class State { Idle, Running, Pausing, Paused, Stopping };
  Q_ENUM(State)

  explicit TrainController(QObject* parent = nullptr);
  ~TrainController() override;

  State state() const { return state_; }
  bool sampling() const { return sample_thread_ != nullptr; }
  TrainingWorker* worker() const { return worker_; }

 public slots:
  // Ignored unless idle.
  void start(const loralab::ui::TrainRequest& request);
  void pause();
  void resume();
  void stop();
  // Only while paused; the result streams in through sample_text().
  void sample_now(const QString& prompt, const loralab::SampleSpec& spec);
  void cancel_sample();

 signals:
  void state_changed(loralab::ui::TrainController::State state);
  void planned(const loralab::TrainPlan& plan);
  void stepped(const loralab::StepMetrics& metrics);
  void evaluated(const loralab::EvalMetrics& metrics);
  void message(const QString& text);
  void finished(const loralab::TrainResult& result, qint64 run_id);
  void failed(const QString& error);
  void sample_started();
  void sample_text(const QString& piece);
  void sample_finished(const QString& error);  // "" when it ended normally or was cancelled

 private:
  void set_state(State state);
  void on_paused_changed(bool paused);
  void on_sample_thread_done();
  void on_run_ended();

  QThread thread_;
  TrainingWorker* worker_ = nullptr;
  State state_ = State::Idle;
  QThread* sample_thread_ = nullptr;
  std::atomic<bool> sample_cancel_{false};
  QString sample_error_;
  enum class AfterSample { Nothing, Resume, Stop } after_sample_ = AfterSample::Nothing;
};

}  // namespace loralab::ui
