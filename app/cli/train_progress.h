// How loralab-cli shows training: a progress line on stderr (a terminal redraws it in place), or
// with --json one JSON object per event on stdout; and Ctrl-C / SIGTERM as a resumable stop.
#pragma once
#include <nlohmann/json.hpp>

#include "loralab/train.h"

namespace loralab::cli {

class CliProgress : public TrainObserver {
 public:
  explicit CliProgress(bool json);
  void on_plan(const TrainPlan& plan) override;
  void on_step(const StepMetrics& m) override;
  void on_eval(const EvalMetrics& m) override;
  void on_message(const std::string& text) override;
  // Ends the progress line (call after training, before printing the result).
  void end_line();

 private:
  void emit(const nlohmann::json& j);
  bool json_, tty_;
  bool line_open_ = false;
};

// SIGINT / SIGTERM set control.stop while the guard lives; the trainer then stops with a
// checkpoint. One guard at a time.
class StopOnSignal {
 public:
  explicit StopOnSignal(TrainControl& control);
  ~StopOnSignal();
  StopOnSignal(const StopOnSignal&) = delete;
  StopOnSignal& operator=(const StopOnSignal&) = delete;
  bool signalled() const;  // a signal arrived while the guard lived
};

// The result line every training command prints (train, resume, each run of a sweep).
nlohmann::json result_json(const TrainResult& result);

}  // namespace loralab::cli
