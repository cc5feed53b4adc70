// RunRecorder and train_stored_run (see loralab/run_recorder.h): the glue between the trainer's
// observer callbacks and the experiment store. A store error during training does not end the
// training: it is reported once through the next observer and the rows wait for the next commit.
#include "loralab/run_recorder.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "loralab/hash.h"
#include "loralab/lora.h"
#include "loralab/model.h"
#include "loralab/model_config.h"

namespace loralab {

namespace {

namespace fs = std::filesystem;

std::string absolute_path(const std::string& path) {
  if (path.empty()) return path;
  std::error_code ec;
  fs::path absolute = fs::absolute(path, ec);
  return ec ? path : absolute.lexically_normal().string();
}

// The target set as one text: "all-linear" when every projection is adapted, else the modules in
// block order joined by '+' ("q_proj+v_proj"), so train and sweep runs filter alike.
std::string targets_text(const LoraSpec& lora) {
  if (!lora.target_regex.empty()) return "regex:" + lora.target_regex;
  std::vector<std::string> modules;
  try {
    modules = expand_targets(lora.target_modules);
  } catch (const Error&) {
    modules = lora.target_modules;
  }
  const std::vector<std::string> order = linear_module_names();
  std::vector<std::string> known, other;
  for (const auto& name : order)
    if (std::find(modules.begin(), modules.end(), name) != modules.end()) known.push_back(name);
  for (const auto& name : modules)
    if (std::find(order.begin(), order.end(), name) == order.end()) other.push_back(name);
  if (known.size() == order.size() && other.empty()) return "all-linear";
  std::string text;
  for (const auto& list : {known, other})
    for (const auto& name : list) text += (text.empty() ? "" : "+") + name;
  return text;
}

bool has_artifact(const ExperimentStore& store, int64_t run_id, const std::string& kind,
                  const std::string& path) {
  for (const auto& artifact : store.artifacts_for_run(run_id))
    if (artifact.kind == kind && artifact.path == path) return true;
  return false;
}

}  // namespace

std::string base_model_hash(const std::string& model_dir) {
  ModelFolder folder = ModelFolder::discover(model_dir);
  Sha256 hasher;
  hasher.update(ModelConfig::load(folder.config_path).to_json());
  if (!folder.weights_path.empty() && fs::is_regular_file(folder.weights_path))
    hasher.update(sha256_file(folder.weights_path));
  return hasher.hex_digest();
}

RunConfigColumns run_columns(const TrainSpec& spec) {
  RunConfigColumns columns;
  if (spec.full) {
    columns.targets = "full";
  } else {
    columns.rank = spec.lora.rank;
    columns.alpha = spec.lora.alpha;
    columns.targets = targets_text(spec.lora);
    columns.dropout = spec.lora.dropout;
  }
  columns.lr = spec.lr;
  columns.seed = static_cast<int64_t>(spec.seed);
  columns.precision = precision_name(spec.precision);
  if (spec.steps > 0) columns.steps = spec.steps;
  return columns;
}

RunRecord run_record_for(const TrainSpec& spec, const std::string& base_model_path,
                         RunStatus status) {
  RunRecord run;
  run.name = spec.name;
  run.status = status;
  run.base_model_path = base_model_path;
  run.dataset_path = spec.data.path;
  run.config_json = nlohmann::json::parse(spec.to_json()).dump();
  run.config = run_columns(spec);
  return run;
}

void make_paths_absolute(TrainSpec& spec) {
  spec.data.path = absolute_path(spec.data.path);
  if (spec.validation) spec.validation->path = absolute_path(spec.validation->path);
  if (spec.reference) spec.reference->path = absolute_path(spec.reference->path);
  spec.out_dir = absolute_path(spec.out_dir);
}

std::string resumable_checkpoint(const ExperimentStore& store, int64_t run_id) {
  // The trainer swaps checkpoint folders through CHECKPOINT.old; a crash between its two renames
  // leaves only that one, which the trainer's reader takes in its place.
  auto usable = [](const fs::path& dir) {
    std::error_code ec;
    return fs::is_directory(dir, ec) || fs::is_directory(dir.string() + ".old", ec);
  };
  auto artifacts = store.artifacts_for_run(run_id);
  for (auto it = artifacts.rbegin(); it != artifacts.rend(); ++it)
    if (it->kind == "checkpoint" && usable(it->path)) return it->path;
  auto config = nlohmann::json::parse(store.run(run_id).config_json, nullptr, false);
  if (config.is_object() && config.contains("out_dir") && config["out_dir"].is_string()) {
    std::string out = config["out_dir"].get<std::string>();
    if (!out.empty() && usable(fs::path(out) / "checkpoint"))
      return (fs::path(out) / "checkpoint").string();
  }
  return {};
}

// ---- RunRecorder ----------------------------------------------------------------------------

RunRecorder::RunRecorder(ExperimentStore& store, const TrainSpec& spec,
                         const std::string& base_model_path, std::optional<int64_t> continue_run,
                         TrainObserver* next, const RunRecorderOptions& options)
    : store_(store), next_(next) {
  // A folder that is not a model is reported by the loader with a better message; the run is
  // recorded regardless, so its failure is on file too.
  std::string base_hash;
  try {
    base_hash = base_model_hash(base_model_path);
  } catch (const Error&) {
  }
  if (continue_run) {
    store_.start_run(*continue_run);
    run_id_ = *continue_run;
    RunResults results;
    if (!base_hash.empty()) results.base_model_hash = base_hash;
    store_.update_results(run_id_, results);
  } else {
    RunRecord run = run_record_for(spec, base_model_path, RunStatus::Running);
    run.base_model_hash = base_hash;
    run.tags = options.tags;
    run.notes = options.notes;
    run_id_ = store_.create_run(run);
  }
  writer_.emplace(store_, run_id_, options.metrics);
}

RunRecorder::~RunRecorder() {
  if (finished_) return;
  try {
    fail("training ended without a result");
  } catch (const std::exception&) {
    // Nothing left to tell; the next open of the store marks the run interrupted.
  }
}

void RunRecorder::report(const Error& error) {
  if (store_error_reported_) return;
  store_error_reported_ = true;
  if (next_)
    next_->on_message("experiment store: " + std::string(error.what()) +
                      " (training goes on; the metrics are written when the store answers)");
}

void RunRecorder::on_plan(const TrainPlan& plan) {
  try {
    RunResults results;
    results.trainable_params = plan.trainable_parameters;
    results.total_params = plan.total_parameters;
    if (!plan.dataset_fingerprint.empty()) results.dataset_fingerprint = plan.dataset_fingerprint;
    store_.update_results(run_id_, results);
  } catch (const Error& e) {
    report(e);
  }
  if (next_) next_->on_plan(plan);
}

void RunRecorder::on_step(const StepMetrics& m) {
  try {
    if (!first_step_seen_) {
      // Rows from an earlier attempt beyond the step training restarts from are not this run's.
      store_.delete_metrics_after(run_id_, m.step - 1);
      first_step_seen_ = true;
    }
    MetricRow row;
    row.step = m.step;
    row.tokens_seen = m.tokens_seen;
    row.wall_time = m.elapsed_s;
    row.train_loss = m.train_loss;
    row.lr = m.lr;
    row.grad_norm = m.grad_norm;
    row.tokens_per_second = m.tokens_per_s;
    writer_->add(row);
  } catch (const Error& e) {
    report(e);
  }
  if (next_) next_->on_step(m);
}

void RunRecorder::on_eval(const EvalMetrics& m) {
  try {
    MetricRow row;
    row.step = m.step;
    row.val_loss = m.val_loss;
    writer_->add(row);
  } catch (const Error& e) {
    report(e);
  }
  if (next_) next_->on_eval(m);
}

void RunRecorder::on_message(const std::string& text) {
  if (next_) next_->on_message(text);
}

void RunRecorder::on_paused(bool paused) {
  try {
    writer_->flush();
    if (paused) {
      store_.set_paused(run_id_, true);
    } else {
      // Taken for dead while paused (another host, a stale heartbeat)? The heartbeat takes it back.
      store_.heartbeat(run_id_);
      if (store_.run(run_id_).status == RunStatus::Paused) store_.set_paused(run_id_, false);
    }
  } catch (const Error& e) {
    report(e);
  }
  if (next_) next_->on_paused(paused);
}

void RunRecorder::finish(const TrainResult& result) {
  writer_->flush();
  const bool failed = result.status == "failed";
  RunResults results;
  // final_train_loss stays the last step's loss, written with the metrics: the result's figure is
  // the smoothed loss, which lags far behind on short runs.
  if (result.tokens_per_s > 0) results.tokens_per_second = result.tokens_per_s;
  if (result.peak_rss_bytes > 0) results.peak_rss_bytes = result.peak_rss_bytes;
  std::string adapter;
  if (!failed && !result.out_dir.empty()) {
    bool full = false;
    auto config = nlohmann::json::parse(store_.run(run_id_).config_json, nullptr, false);
    if (config.is_object()) full = config.value("full", false);
    adapter = full ? (fs::path(result.out_dir) / "model").string() : result.out_dir;
    results.adapter_path = adapter;
  }
  store_.update_results(run_id_, results);
  if (!adapter.empty() && !has_artifact(store_, run_id_, "adapter", adapter))
    store_.add_artifact({0, run_id_, std::nullopt, "adapter", adapter, 0});
  if (!result.checkpoint_dir.empty() &&
      !has_artifact(store_, run_id_, "checkpoint", result.checkpoint_dir))
    store_.add_artifact({0, run_id_, std::nullopt, "checkpoint", result.checkpoint_dir, 0});

  if (result.status == "done" || result.status == "early_stopped") {
    if (result.status == "early_stopped") {
      auto tags = store_.run(run_id_).tags;
      if (std::find(tags.begin(), tags.end(), "early-stopped") == tags.end()) {
        tags.push_back("early-stopped");
        store_.set_tags(run_id_, tags);
      }
    }
    store_.finish_run(run_id_, RunStatus::Done);
  } else if (result.status == "stopped") {
    store_.finish_run(run_id_, RunStatus::Stopped, result.message);
  } else {
    store_.finish_run(run_id_, RunStatus::Failed,
                      result.message.empty() ? "training failed" : result.message);
  }
  finished_ = true;
}

void RunRecorder::fail(const std::string& message) {
  finished_ = true;  // even if the store cannot take it: never try twice
  try {
    writer_->flush();
  } catch (const Error&) {
    // The error below matters more than the last rows.
  }
  store_.finish_run(run_id_, RunStatus::Failed, message.empty() ? "training failed" : message);
}

// ---- train_stored_run -----------------------------------------------------------------------

TrainResult train_stored_run(ExperimentStore& store, int64_t run_id, TrainObserver* next,
                             TrainControl* control, const RunRecorderOptions& options) {
  RunRecord run = store.run(run_id);
  if (run.status == RunStatus::Done)
    throw Error(store.path() + ": run " + std::to_string(run_id) +
                " is done; there is nothing to resume");
  TrainSpec spec;
  std::string checkpoint;
  try {
    spec = TrainSpec::from_json(run.config_json,
                                store.path() + ": run " + std::to_string(run_id) + " config_json");
    if (run.base_model_path.empty())
      throw Error(store.path() + ": run " + std::to_string(run_id) +
                  " has no base model path; it cannot be trained from the store");
    checkpoint = resumable_checkpoint(store, run_id);
  } catch (const Error& e) {
    // A run this process claimed from the queue must not stay `running` with nobody training it.
    if (run.status == RunStatus::Running && run.owner_pid == static_cast<int64_t>(::getpid()))
      store.finish_run(run_id, RunStatus::Failed, e.what());
    throw;
  }
  RunRecorder recorder(store, spec, run.base_model_path, run_id, next, options);
  try {
    if (next)
      next->on_message(checkpoint.empty()
                           ? "run " + std::to_string(run_id) + ": starting from step 0"
                           : "run " + std::to_string(run_id) + ": continuing from " + checkpoint);
    auto model = Model::load(run.base_model_path);
    TrainResult result = train(*model, spec, &recorder, control, checkpoint);
    recorder.finish(result);
    return result;
  } catch (const std::exception& e) {
    if (!recorder.finished()) recorder.fail(e.what());
    throw;
  }
}

}  // namespace loralab
