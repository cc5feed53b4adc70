// TrainingWorker: lives on its own QThread, loads the model, trains through the engine and re-emits
// every observer callback as a queued signal carrying a value struct. Pause and stop are the
// engine's atomic TrainControl flags, set from any thread. While the trainer is paused the worker
// lends out its model so a sample can be drawn from the adapter as it stands.
#pragma once
#include <QObject>
#include <QString>
#include <atomic>
#include <memory>
#include <mutex>

#include "loralab/model.h"
#include "loralab/tokenizer.h"
#include "loralab/train.h"
#include "ui/train/train_types.h"

namespace loralab::ui {

class TrainingWorker : public QObject {
  Q_OBJECT
 public:
  explicit TrainingWorker(QObject* parent = nullptr);

  TrainControl& control() { return control_; }
  // Clears pause/stop before a new run; call before queueing run().
  void reset_control();

  // The model and tokenizer of the current run while the trainer is blocked in its pause, else
  // null. The trainer stays blocked as long as control().pause is set.
  struct PausedModel {
    std::shared_ptr<Model> model;
    std::shared_ptr<const Tokenizer> tokenizer;
  };
  PausedModel paused_model() const;

  // Runs one training to its end on the calling (worker) thread. Never throws: engine errors
  // arrive as failed().
  void run(const TrainRequest& request);

 signals:
  void started(const QString& model_dir);
  void planned(const loralab::TrainPlan& plan);
  void stepped(const loralab::StepMetrics& metrics);
  void evaluated(const loralab::EvalMetrics& metrics);
  void message(const QString& text);
  void paused_changed(bool paused);
  void recorded(qint64 run_id);
  void finished(const loralab::TrainResult& result, qint64 run_id);
  void failed(const QString& error);

 private:
  class Bridge;
  TrainControl control_;
  std::atomic<bool> paused_{false};
  mutable std::mutex model_mutex_;
  std::shared_ptr<Model> model_;
  std::shared_ptr<const Tokenizer> tokenizer_;
};

}  // namespace loralab::ui
