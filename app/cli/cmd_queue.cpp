// `loralab-cli queue`: the experiment store's run queue. Without an action it works the queue
// (after a restart, the runs a sweep left queued go on); --list, --cancel, --move and --requeue
// manage it.
#include <iostream>

#include <nlohmann/json.hpp>

#include "args.h"
#include "commands.h"
#include "loralab/error.h"
#include "loralab/store.h"
#include "queue_worker.h"

namespace loralab::cli {
namespace {

nlohmann::json queue_json(const ExperimentStore& store) {
  nlohmann::json runs = nlohmann::json::array();
  for (const auto& run : store.queued_runs())
    runs.push_back({{"run_id", run.id},
                    {"name", run.name},
                    {"position", run.queue_position.value_or(0)},
                    {"sweep_id", run.sweep_id ? nlohmann::json(*run.sweep_id) : nlohmann::json()}});
  return runs;
}

int run_queue(const std::vector<std::string>& argv) {
  Args args(argv, {"json", "list"});
  args.reject_unknown({"db", "json", "list", "cancel", "move", "to", "requeue", "max-runs"});
  int actions = args.has("list") + args.has("cancel") + args.has("move") + args.has("requeue");
  if (actions > 1) throw Error("give one of --list, --cancel, --move, --requeue");
  if (args.has("to") && !args.has("move")) throw Error("--to: only with --move ID");
  StoreOptions options;
  options.create_if_missing = false;
  ExperimentStore store(args.required("db"), options);

  if (args.has("cancel")) {
    store.cancel_queued(parse_int(*args.get("cancel"), "--cancel"));
  } else if (args.has("move")) {
    long long to = parse_int(args.required("to"), "--to");
    if (to < 0)
      throw Error("--to: expected a queue index >= 0 (0 = next), got " + std::to_string(to));
    store.move_in_queue(parse_int(*args.get("move"), "--move"), to);
  } else if (args.has("requeue")) {
    store.requeue_run(parse_int(*args.get("requeue"), "--requeue"));
  }
  if (actions == 1) {
    std::cout << nlohmann::json({{"queue", queue_json(store)}}).dump() << std::endl;
    return 0;
  }
  std::optional<int64_t> max_runs;
  if (args.has("max-runs")) {
    long long n = args.get_int("max-runs", 0);
    if (n < 1) throw Error("--max-runs: expected a count >= 1, got " + std::to_string(n));
    max_runs = n;
  }
  QueueOutcome outcome = work_queue(store, args.has("json"), max_runs);
  outcome.summary["event"] = "queue";
  outcome.summary["db"] = store.path();
  std::cout << outcome.summary.dump() << std::endl;
  return outcome.any_failed ? 1 : 0;
}

const CommandRegistrar kRegistrar(
    "queue",
    {"work or manage the run queue of an experiment store",
     "usage: loralab-cli queue --db FILE [--max-runs N] [--json]\n"
     "       loralab-cli queue --db FILE --list | --cancel ID | --move ID --to INDEX | --requeue "
     "ID\n"
     "Without an action, trains the queued runs one after another (those a sweep queued, those\n"
     "left after a crash or Ctrl-C) and prints a JSON summary. --list prints the queue; --cancel\n"
     "stops a queued run before it starts; --move puts it at INDEX (0 = next); --requeue queues "
     "an\n"
     "interrupted, stopped or failed run again at the tail (it continues from its checkpoint).",
     run_queue});

}  // namespace
}  // namespace loralab::cli
