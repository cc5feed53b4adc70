// Records a training run in the experiment store while it trains: RunRecorder is a TrainObserver
// that writes the run row, batched metrics, evaluations, pause/resume and the final result, and
// forwards every callback to the caller's own observer (CLI progress line, GUI worker).
// train_stored_run() trains a run that already lives in the store (a queued sweep point, or an
// interrupted / stopped run continued from its checkpoint). Torch-free; used by the CLI and GUI.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "loralab/store.h"
#include "loralab/train.h"

namespace loralab {

struct RunRecorderOptions {
  MetricWriterOptions metrics;    // batch size / delay of metric commits
  std::vector<std::string> tags;  // set on a new run
  std::string notes;              // set on a new run
};

// Lifecycle:
//   RunRecorder recorder(store, spec, model_dir);          // run row created, status running
//   auto result = train(*model, spec, &recorder, &control);
//   recorder.finish(result);                               // done / stopped / failed
// If train() throws, call recorder.fail(e.what()); a recorder destroyed without finish() or
// fail() marks the run failed ("ended without a result"). A process that dies leaves the run
// running; the next open of the store marks it interrupted (see ExperimentStore).
//
// Continuing a run (`continue_run`): the run must be queued, interrupted, stopped, failed or
// already claimed by this process; it becomes running again under this process. Metric rows from
// the step the trainer restarts at onward are deleted at its first step, so a run resumed from a
// checkpoint at step k keeps rows ≤ k and appends the rest (a restart from scratch drops them all).
//
// The store must outlive the recorder, and every callback must come on the thread that owns the
// store's connection (the training thread: give that thread its own ExperimentStore).
class RunRecorder : public TrainObserver {
 public:
  RunRecorder(ExperimentStore& store, const TrainSpec& spec, const std::string& base_model_path,
              std::optional<int64_t> continue_run = std::nullopt, TrainObserver* next = nullptr,
              const RunRecorderOptions& options = {});
  ~RunRecorder() override;
  RunRecorder(const RunRecorder&) = delete;
  RunRecorder& operator=(const RunRecorder&) = delete;

  int64_t run_id() const { return run_id_; }

  void on_plan(const TrainPlan& plan) override;
  void on_step(const StepMetrics& metrics) override;
  void on_eval(const EvalMetrics& metrics) override;
  void on_message(const std::string& text) override;
  void on_paused(bool paused) override;

  // Flushes metrics and writes the end state: done and early_stopped → done (early_stopped also
  // tags the run "early-stopped"), stopped → stopped, failed → failed with the result's message.
  // Writes results (tokens/s, peak RSS; params and the last step's train loss are already in),
  // the adapter path and artifact (not for failed runs) and the checkpoint artifact, which
  // `resume` continues from.
  void finish(const TrainResult& result);
  // Ends the run as failed with `message` (train() threw, the model did not load, ...).
  void fail(const std::string& message);
  bool finished() const { return finished_; }

 private:
  void report(const Error& error);  // once, through next_; training goes on

  ExperimentStore& store_;
  TrainObserver* next_;
  int64_t run_id_ = 0;
  std::optional<MetricWriter> writer_;
  bool first_step_seen_ = false;
  bool finished_ = false;
  bool store_error_reported_ = false;
};

// sha256 over the model's config (as the trainer re-serializes it) and its weights file: the same
// base model hash the trainer folds into the run hash. Throws naming the folder.
std::string base_model_hash(const std::string& model_dir);

// The filterable columns (rank, alpha, targets joined by '+', lr, ...) of a spec.
RunConfigColumns run_columns(const TrainSpec& spec);

// A run row for a spec, ready for create_run / enqueue_runs: name, config JSON, columns, base model
// path, dataset path; status as given. Hashes and the fingerprint are filled in when it trains.
RunRecord run_record_for(const TrainSpec& spec, const std::string& base_model_path,
                         RunStatus status = RunStatus::Queued);

// Makes the spec's dataset and output paths absolute (against the current folder), so a stored
// run can be resumed or worked from the queue by a process started elsewhere.
void make_paths_absolute(TrainSpec& spec);

// The checkpoint folder a stored run resumes from: its latest "checkpoint" artifact that still
// exists on disk, else <out_dir>/checkpoint when it exists, else empty (start from scratch).
std::string resumable_checkpoint(const ExperimentStore& store, int64_t run_id);

// Trains a run that is already in the store: rebuilds its TrainSpec from config_json, loads its
// base model, continues from resumable_checkpoint() when there is one, records it through a
// RunRecorder and finishes it. Refuses a run that is done, or running / paused in a live process.
// Errors before the first step (bad model folder, bad data) mark the run failed and are rethrown.
TrainResult train_stored_run(ExperimentStore& store, int64_t run_id, TrainObserver* next = nullptr,
                             TrainControl* control = nullptr,
                             const RunRecorderOptions& options = {});

}  // namespace loralab
