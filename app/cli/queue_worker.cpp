// The queue loop shared by `sweep` and `queue`; see queue_worker.h.
#include "queue_worker.h"

#include <iostream>

#include "loralab/error.h"
#include "loralab/run_recorder.h"
#include "train_progress.h"

namespace loralab::cli {

QueueOutcome work_queue(ExperimentStore& store, bool json, std::optional<int64_t> max_runs) {
  QueueOutcome outcome;
  nlohmann::json worked = nlohmann::json::array();
  TrainControl control;
  StopOnSignal stop_on_signal(control);
  int64_t count = 0;
  while (!max_runs || count < *max_runs) {
    if (control.stop.load()) break;
    auto claimed = store.claim_next_queued();
    if (!claimed) break;
    ++count;
    const int64_t id = claimed->id;
    const size_t left = store.queued_runs().size();
    if (!json)
      std::cerr << "run " << id << " (" << left << " more queued): " << claimed->name << "\n";
    CliProgress progress(json);
    nlohmann::json entry = {{"run_id", id}, {"name", claimed->name}};
    try {
      TrainResult result = train_stored_run(store, id, &progress, &control);
      progress.end_line();
      entry["status"] = result.status;
      entry["message"] = result.message;
      entry["steps"] = result.steps_done;
      entry["out"] = result.out_dir;
      entry["best_val_loss"] =
          result.best_val_loss ? nlohmann::json(*result.best_val_loss) : nlohmann::json();
      if (result.status == "failed") outcome.any_failed = true;
      if (result.status == "stopped" && stop_on_signal.signalled()) {
        // Stopped by Ctrl-C, not by choice: it goes first when the queue is worked again.
        store.requeue_run(id);
        store.move_in_queue(id, 0);
        entry["status"] = "queued";
        entry["message"] = result.message + "; queued again at the head";
      }
    } catch (const Error& e) {
      progress.end_line();
      entry["status"] = "failed";
      entry["message"] = e.what();
      outcome.any_failed = true;
    }
    if (!json)
      std::cerr << "run " << id << ": " << entry["status"].get<std::string>() << " ("
                << entry["message"].get<std::string>() << ")\n";
    else {
      nlohmann::json line = {{"event", "run_result"}};
      line.update(entry);
      std::cout << line.dump() << std::endl;
    }
    worked.push_back(entry);
  }
  outcome.summary = {{"worked", worked},
                     {"queued_left", static_cast<int64_t>(store.queued_runs().size())},
                     {"stopped_by_signal", stop_on_signal.signalled()}};
  return outcome;
}

}  // namespace loralab::cli
