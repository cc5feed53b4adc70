// `loralab-cli sweep`: expands a grid (or a random search) over training fields, validates every
// run's TrainSpec, queues the sweep in the experiment store and then works the queue one run after
// another. Queued runs live in the store: after a crash or Ctrl-C, `loralab-cli queue` goes on.
#include <filesystem>
#include <iostream>

#include <nlohmann/json.hpp>

#include "args.h"
#include "commands.h"
#include "loralab/error.h"
#include "loralab/run_recorder.h"
#include "loralab/store.h"
#include "loralab/sweep_runs.h"
#include "queue_worker.h"
#include "train_flags.h"

namespace loralab::cli {
namespace {

namespace fs = std::filesystem;

int run_sweep(const std::vector<std::string>& argv) {
  auto switches = train_switch_names();
  switches.insert({"json", "yes", "enqueue-only"});
  Args args(argv, switches);
  auto known = train_flag_names();
  known.insert({"db", "grid", "random", "random-seed", "json", "yes", "enqueue-only"});
  known.erase("full");  // a sweep varies LoRA settings
  args.reject_unknown(known);

  SweepRequest request;
  request.grid = args.required("grid");
  request.base = train_spec_from_args(args);
  make_paths_absolute(request.base);
  request.out_root = request.base.out_dir;
  request.base_model_path = fs::absolute(args.required("model")).lexically_normal().string();
  request.name = args.get_or("name", "sweep");
  // As in `train`, alpha is the rank unless --alpha says otherwise.
  request.alpha_equals_rank = args.has("alpha-equals-rank") || !args.has("alpha");
  if (args.has("random")) {
    long long samples = args.get_int("random", 0);
    if (samples < 1)
      throw Error("--random: expected a number of samples >= 1, got " + std::to_string(samples));
    request.random_samples = samples;
    long long seed = args.get_int("random-seed", 0);
    if (seed < 0) throw Error("--random-seed: expected an integer >= 0");
    request.random_seed = static_cast<uint64_t>(seed);
  }
  request.limits.allow_large = args.has("yes");

  SweepPlan plan;
  try {
    plan = plan_sweep(request);
  } catch (const Error& e) {
    throw Error(std::string("--grid: ") + e.what());
  }
  // The store opens only once the grid is known to be good: a typo leaves no empty sweep behind.
  ExperimentStore store(args.required("db"));
  QueuedSweep queued = enqueue_sweep_plan(store, request, plan);
  if (!args.has("json"))
    std::cerr << "sweep " << queued.sweep_id << ": queued " << queued.run_ids.size() << " runs in "
              << store.path() << "\n";

  nlohmann::json out = {{"event", "sweep"},
                        {"sweep_id", queued.sweep_id},
                        {"runs", queued.run_ids},
                        {"db", store.path()}};
  int code = 0;
  if (!args.has("enqueue-only")) {
    QueueOutcome outcome = work_queue(store, args.has("json"), std::nullopt);
    out.update(outcome.summary);
    code = outcome.any_failed ? 1 : 0;
  } else {
    out["queued_left"] = static_cast<int64_t>(store.queued_runs().size());
  }
  std::cout << out.dump() << std::endl;
  return code;
}

const CommandRegistrar kRegistrar(
    "sweep",
    {"queue and train a grid or random search of runs in an experiment store",
     "usage: loralab-cli sweep --model DIR --data PATH --db FILE --out DIR --grid SPEC\n"
     "                         [--random N [--random-seed S]] [--name NAME] [--yes] "
     "[--enqueue-only]\n"
     "                         [--json] [training and LoRA flags of `loralab-cli train`]\n"
     "SPEC: KEY=V1,V2;KEY=... e.g. \"rank=4,8,16;alpha=8,16;targets=q_proj+v_proj,all-linear\".\n"
     "Keys: rank, alpha (a number or `rank`), alpha_equals_rank, targets (attention-qv,\n"
     "attention-qkv, attention-qkvo, mlp, all-linear, or modules joined by +), lr, dropout, seed,\n"
     "precision (fp32|bf16), steps, batch, seq, accum, warmup, weight_decay, clip, schedule,\n"
     "init (default|gaussian|pissa), rslora, eval_every, rehearsal_share (0 to 0.9, 0 = none;\n"
     "needs --rehearsal PATH), pack (false: one example per row). With --random N, each run draws every\n"
     "key at random; numeric keys may then be ranges LOW..HIGH[:log].\n"
     "Every run is checked before anything is queued; more than 1000 runs need --yes. Each run\n"
     "trains into --out/<sweep>-<n>-<label>. The queue is worked one run after another (runs\n"
     "queued earlier go first); --enqueue-only only queues. Ctrl-C stops the current run with a\n"
     "checkpoint and puts it back at the head of the queue; `loralab-cli queue --db FILE` goes "
     "on.\n"
     "The last line on stdout is a JSON summary (sweep id, run ids, each worked run's status).",
     run_sweep});

}  // namespace
}  // namespace loralab::cli
