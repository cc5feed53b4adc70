// `loralab-cli resume`: continues a stored run (interrupted by a crash, stopped by Ctrl-C, or
// failed) from its checkpoint, appending to its metrics, until it ends.
#include <iostream>

#include <nlohmann/json.hpp>

#include "args.h"
#include "commands.h"
#include "loralab/error.h"
#include "loralab/run_recorder.h"
#include "loralab/store.h"
#include "train_progress.h"

namespace loralab::cli {
namespace {

int run_resume(const std::vector<std::string>& argv) {
  Args args(argv, {"json"});
  args.reject_unknown({"db", "run", "json"});
  StoreOptions options;
  options.create_if_missing = false;
  ExperimentStore store(args.required("db"), options);  // marks runs of dead processes interrupted
  const int64_t id = parse_int(args.required("run"), "--run");
  if (!store.find_run(id))
    throw Error("--run " + std::to_string(id) + ": " + store.path() + " has no run with this id");

  CliProgress progress(args.has("json"));
  TrainControl control;
  TrainResult result;
  {
    StopOnSignal stop_on_signal(control);
    result = train_stored_run(store, id, &progress, &control);
  }
  progress.end_line();
  nlohmann::json out = result_json(result);
  out["run_id"] = id;
  out["db"] = store.path();
  out["run_status"] = run_status_name(store.run(id).status);
  std::cout << out.dump() << std::endl;
  if (result.status == "failed") {
    std::cerr << "loralab-cli resume: " << result.message << "\n";
    return 1;
  }
  return 0;
}

const CommandRegistrar kRegistrar(
    "resume",
    {"continue a stored run from its checkpoint",
     "usage: loralab-cli resume --db FILE --run ID [--json]\n"
     "Continues run ID of the experiment store (interrupted, stopped, failed or queued) with its\n"
     "stored configuration and base model: from its latest checkpoint when there is one (metric\n"
     "rows after the checkpoint's step are replaced), else from step 0. A run that is done, or\n"
     "still running in a live process, is refused. Ctrl-C stops it again with a checkpoint.\n"
     "The last line on stdout is the result as JSON.",
     run_resume});

}  // namespace
}  // namespace loralab::cli
