// Works the experiment store's run queue one run after another (`loralab-cli sweep` and
// `loralab-cli queue`): each claimed run trains through train_stored_run, so it is recorded, and
// Ctrl-C stops the current run with a checkpoint and puts it back at the head of the queue.
#pragma once
#include <cstdint>
#include <optional>

#include <nlohmann/json.hpp>

#include "loralab/store.h"

namespace loralab::cli {

struct QueueOutcome {
  nlohmann::json summary;  // {"worked": [...], "queued_left": N, "stopped_by_signal": bool}
  bool any_failed = false;
};

// Trains queued runs until the queue is empty, `max_runs` runs were worked, or a stop signal.
// With `json`, training events and one {"event":"run_result",...} per run go to stdout.
QueueOutcome work_queue(ExperimentStore& store, bool json, std::optional<int64_t> max_runs);

}  // namespace loralab::cli
