// `loralab-cli train`: trains a LoRA adapter (or the whole model with --full) on a dataset,
// showing a progress line on a terminal or one JSON object per step with --json; with --db the run
// is recorded in the experiment store (config, metrics, results) and can be resumed from there.
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "loralab/error.h"
#include "loralab/run_recorder.h"
#include "loralab/store.h"
#include "loralab/train.h"
#include "train_flags.h"
#include "train_progress.h"

namespace loralab::cli {
namespace {

int run_train(const std::vector<std::string>& argv) {
  auto switches = train_switch_names();
  switches.insert("json");
  Args args(argv, switches);
  auto known = train_flag_names();
  known.insert({"db", "resume", "json", "tag"});
  args.reject_unknown(known);

  TrainSpec spec = train_spec_from_args(args);
  std::string model_dir = args.required("model");
  std::unique_ptr<ExperimentStore> store;
  if (auto db = args.get("db")) {
    // Stored runs are resumed and compared later, from any folder: record absolute paths.
    make_paths_absolute(spec);
    model_dir = std::filesystem::absolute(model_dir).lexically_normal().string();
    store =
        std::make_unique<ExperimentStore>(*db);  // a bad store path fails before the model loads
  }

  auto model = Model::load(model_dir);
  CliProgress progress(args.has("json"));
  std::optional<RunRecorder> recorder;
  if (store) {
    RunRecorderOptions options;
    options.tags = args.all("tag");
    recorder.emplace(*store, spec, model_dir, std::nullopt, &progress, options);
  }
  TrainObserver* observer = recorder ? static_cast<TrainObserver*>(&*recorder) : &progress;

  TrainControl control;
  TrainResult result;
  {
    StopOnSignal stop_on_signal(control);
    try {
      result = train(*model, spec, observer, &control, args.get_or("resume", ""));
    } catch (const std::exception& e) {
      if (recorder) recorder->fail(e.what());
      throw;
    }
  }
  if (recorder) recorder->finish(result);
  progress.end_line();
  nlohmann::json out = result_json(result);
  if (recorder) {
    out["run_id"] = recorder->run_id();
    out["db"] = store->path();
  }
  std::cout << out.dump() << std::endl;
  if (result.status == "failed") {
    std::cerr << "loralab-cli train: " << result.message << "\n";
    return 1;
  }
  return 0;
}

const CommandRegistrar kRegistrar(
    "train",
    {"train a LoRA adapter (or the whole model with --full)",
     "usage: loralab-cli train --model DIR --data PATH --out DIR [--val PATH] [--reference PATH]\n"
     "  LoRA:     [--rank 8] [--alpha A | --alpha-equals-rank] [--targets "
     "q_proj,v_proj|attention-qkvo|\n"
     "            all-linear] [--dropout 0.05] [--init default|gaussian|pissa] [--rslora]\n"
     "            [--layers 0,3] [--rank-pattern KEY=R,..] [--alpha-pattern KEY=A,..]\n"
     "            [--alpha-start A0 --alpha-ramp-steps N]\n"
     "  training: [--lr 3e-4] [--schedule constant|linear|cosine] [--warmup N] [--steps 200 | "
     "--epochs E]\n"
     "            [--batch 8] [--seq 256] [--accum 1] [--weight-decay 0.01] [--clip 1.0]\n"
     "            [--eval-every 50] [--eval-batches N] [--patience N] [--seed 0] [--precision "
     "fp32|bf16]\n"
     "            [--threads N] [--full] [--name NAME] [--checkpoint-every N] [--resume "
     "CHECKPOINT]\n"
     "            [--recompute] keeps only each layer's input and computes the layer again in\n"
     "            backward: the same result with a fraction of the activation memory, for about\n"
     "            one more forward pass per step\n"
     "  forgetting: [--rehearsal PATH [--rehearsal-share 0.15]] mixes rows of a general set (the\n"
     "            kind of text the base knows, e.g. bundled:everyday) into the training rows\n"
     "            [--rehearsal-unscored-opening N]: the first N tokens of each of its texts carry\n"
     "            no loss, so texts the adapter begins keep its style\n"
     "            [--rehearsal-opening-share P]: only rehearsal rows making up P of all rows (0 ≤ P\n"
     "            ≤ the share) keep their openings scored; the adapter then begins a general text\n"
     "            about P / (P + task share) of the time, and every rehearsal row still keeps the\n"
     "            body of general texts in place\n"
     "  stages:   [--stages \"steps=100,lr=2e-4,rank=8;steps=100,lr=4e-4,rank=16\"] run back to "
     "back\n"
     "            (keys steps, lr, rank, alpha, schedule, warmup; unset ones carry over). A stage "
     "may\n"
     "            raise the rank: the adapters grow with the function unchanged (alpha keeps "
     "alpha/r\n"
     "            unless given). The steps are the stages' total.\n"
     "  data:     [--format auto|txt|folder|jsonl|csv|prompt-completion] [--field text] "
     "[--val-ratio 0.05]\n"
     "            [--no-pack]\n"
     "  store:    [--db FILE] records the run (config, per-step metrics, results, adapter and\n"
     "            checkpoint paths) in an experiment store; [--tag TAG]... tags it.\n"
     "            `loralab-cli resume --db FILE --run ID` continues it after a crash or Ctrl-C.\n"
     "  output:   [--json] one JSON object per step; else a progress line on stderr.\n"
     "Writes the PEFT adapter to --out (with --full, the model to --out/model) and a resumable\n"
     "checkpoint to --out/checkpoint (also every --checkpoint-every steps). Ctrl-C stops with a\n"
     "checkpoint. The last line on stdout is the result as JSON (with run_id when --db is given).",
     run_train});

}  // namespace
}  // namespace loralab::cli
