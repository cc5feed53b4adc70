// The training worker; see training_worker.h.
#include "ui/train/training_worker.h"

#include <optional>

#include "loralab/error.h"
#include "loralab/run_recorder.h"
#include "loralab/store.h"

namespace loralab::ui {

void register_train_metatypes() {
  qRegisterMetaType<loralab::StepMetrics>();
  qRegisterMetaType<loralab::EvalMetrics>();
  qRegisterMetaType<loralab::TrainPlan>();
  qRegisterMetaType<loralab::TrainResult>();
}

// Turns engine callbacks (on the training thread) into signals; the connections to GUI objects
// are queued because the receivers live on the GUI thread.
class TrainingWorker::Bridge : public TrainObserver {
 public:
  explicit Bridge(TrainingWorker& worker) : worker_(worker) {}
  void on_plan(const TrainPlan& plan) override { emit worker_.planned(plan); }
  void on_step(const StepMetrics& metrics) override { emit worker_.stepped(metrics); }
  void on_eval(const EvalMetrics& metrics) override { emit worker_.evaluated(metrics); }
  void on_message(const std::string& text) override {
    emit worker_.message(QString::fromStdString(text));
  }
  void on_paused(bool paused) override {
    // Set before the signal so a receiver that asks for the model finds it lent out.
    worker_.paused_ = paused;
    emit worker_.paused_changed(paused);
  }

 private:
  TrainingWorker& worker_;
};

TrainingWorker::TrainingWorker(QObject* parent) : QObject(parent) { register_train_metatypes(); }

void TrainingWorker::reset_control() {
  control_.pause = false;
  control_.stop = false;
}

TrainingWorker::PausedModel TrainingWorker::paused_model() const {
  std::lock_guard lock(model_mutex_);
  if (!paused_ || !control_.pause.load()) return {};
  return {model_, tokenizer_};
}

void TrainingWorker::run(const TrainRequest& request) {
  Bridge bridge(*this);
  std::optional<ExperimentStore> store;
  std::optional<RunRecorder> recorder;
  paused_ = false;
  try {
    const std::string model_dir = request.model_dir.toStdString();
    emit started(request.model_dir);
    emit message(tr("Loading %1").arg(request.model_dir));
    auto model = Model::load(model_dir);
    std::shared_ptr<const Tokenizer> tokenizer;
    if (model->folder().tokenizer_path)
      tokenizer = std::make_shared<Tokenizer>(Tokenizer::load(*model->folder().tokenizer_path));
    {
      std::lock_guard lock(model_mutex_);
      model_ = model;
      tokenizer_ = tokenizer;
    }
    TrainObserver* observer = &bridge;
    if (!request.store_path.isEmpty()) {
      // A store that cannot be opened must not cost the user the run: train, and say so.
      try {
        store.emplace(request.store_path.toStdString());
        recorder.emplace(*store, request.spec, model_dir, std::nullopt, &bridge);
        observer = &*recorder;
        emit recorded(recorder->run_id());
      } catch (const std::exception& e) {
        recorder.reset();
        store.reset();
        emit message(tr("This run is not recorded in the experiment store: %1")
                         .arg(QString::fromUtf8(e.what())));
      }
    }
    TrainResult result;
    try {
      result = train(*model, request.spec, observer, &control_);
    } catch (const std::exception& e) {
      if (recorder) recorder->fail(e.what());
      throw;
    }
    const qint64 run_id = recorder ? recorder->run_id() : 0;
    if (recorder) recorder->finish(result);
    {
      std::lock_guard lock(model_mutex_);
      model_.reset();
      tokenizer_.reset();
    }
    paused_ = false;
    emit finished(result, run_id);
  } catch (const std::exception& e) {
    {
      std::lock_guard lock(model_mutex_);
      model_.reset();
      tokenizer_.reset();
    }
    paused_ = false;
    emit failed(QString::fromUtf8(e.what()));
  }
}

}  // namespace loralab::ui
