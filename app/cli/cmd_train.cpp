// `loralab-cli train`: trains a LoRA adapter (or the whole model with --full) on a dataset,
// showing a progress line on a terminal or one JSON object per step with --json.
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "lora_flags.h"
#include "loralab/error.h"
#include "loralab/train.h"

namespace loralab::cli {
namespace {

TrainControl* g_control = nullptr;
extern "C" void on_interrupt(int) {
  if (g_control) g_control->stop.store(true);
}

std::string format_duration(double seconds) {
  const long s = static_cast<long>(seconds);
  char text[32];
  std::snprintf(text, sizeof text, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  return text;
}

class CliObserver : public TrainObserver {
 public:
  CliObserver(bool json, bool tty) : json_(json), tty_(tty) {}
  void on_plan(const TrainPlan& p) override {
    emit({{"event", "plan"}, {"total_steps", p.total_steps}, {"train_rows", p.train_rows},
          {"validation_rows", p.validation_rows}, {"trainable_parameters", p.trainable_parameters},
          {"total_parameters", p.total_parameters}, {"run_hash", p.run_hash},
          {"dataset_fingerprint", p.dataset_fingerprint}});
  }
  void on_step(const StepMetrics& m) override {
    if (json_) {
      emit({{"event", "step"}, {"step", m.step}, {"epoch", m.epoch}, {"loss", m.train_loss},
            {"smoothed_loss", m.smoothed_loss}, {"lr", m.lr}, {"grad_norm", m.grad_norm},
            {"tokens_per_s", m.tokens_per_s}, {"gflops", m.gflops}, {"tokens_seen", m.tokens_seen},
            {"elapsed_s", m.elapsed_s}, {"eta_s", m.eta_s}, {"peak_rss_bytes", m.peak_rss_bytes}});
      return;
    }
    const int width = 28;
    const int filled = static_cast<int>(width * double(m.step) / double(std::max<int64_t>(1, m.total_steps)));
    std::fprintf(stderr, "%s[%s%s] %lld/%lld loss %.4f  %.0f tok/s  ETA %s   ", tty_ ? "\r" : "",
                 std::string(filled, '#').c_str(), std::string(width - filled, '.').c_str(),
                 static_cast<long long>(m.step), static_cast<long long>(m.total_steps),
                 m.smoothed_loss, m.tokens_per_s, format_duration(m.eta_s).c_str());
    if (!tty_) std::fprintf(stderr, "\n");
  }
  void on_eval(const EvalMetrics& m) override {
    if (json_) {
      emit({{"event", "eval"}, {"step", m.step}, {"val_loss", m.val_loss}, {"perplexity", m.perplexity},
            {"best", m.best}, {"best_val_loss", m.best_val_loss}, {"best_step", m.best_step}});
    } else {
      std::fprintf(stderr, "%sstep %lld: validation loss %.4f (perplexity %.2f)%s\n", tty_ ? "\n" : "",
                   static_cast<long long>(m.step), m.val_loss, m.perplexity, m.best ? " best" : "");
    }
  }
  void on_message(const std::string& text) override {
    if (json_) emit({{"event", "message"}, {"text", text}});
    else std::fprintf(stderr, "%s\n", text.c_str());
  }

 private:
  void emit(const nlohmann::json& j) {
    if (json_) std::cout << j.dump() << std::endl;
  }
  bool json_, tty_;
};

DatasetSpec dataset_arg(const std::string& path, const Args& args) {
  DatasetSpec d;
  d.path = path;
  d.format = args.get_or("format", "auto");
  d.field = args.get_or("field", "text");
  return d;
}

int run_train(const std::vector<std::string>& argv) {
  Args args(argv, {"json", "full", "rslora", "alpha-equals-rank", "no-pack"});
  auto known = lora_flag_names();
  known.insert({"model", "data", "out", "val", "val-ratio", "reference", "format", "field", "lr",
                "schedule", "warmup", "min-lr-ratio", "steps", "epochs", "batch", "seq", "accum",
                "weight-decay", "clip", "eval-every", "eval-batches", "patience", "precision",
                "threads", "full", "name", "db", "resume", "json", "alpha-start", "alpha-ramp-steps",
                "checkpoint-every", "no-pack"});
  args.reject_unknown(known);

  TrainSpec spec;
  spec.full = args.has("full");
  if (!spec.full) spec.lora = lora_spec_from_args(args);
  spec.data = dataset_arg(args.required("data"), args);
  if (auto val = args.get("val")) spec.validation = dataset_arg(*val, args);
  if (auto ref = args.get("reference")) spec.reference = dataset_arg(*ref, args);
  spec.validation_ratio = args.get_double("val-ratio", spec.validation_ratio);
  spec.out_dir = args.required("out");
  spec.name = args.get_or("name", spec.name);
  spec.pack = !args.has("no-pack");
  spec.lr = args.get_double("lr", spec.lr);
  spec.schedule = args.get_or("schedule", spec.schedule);
  spec.warmup = args.get_int("warmup", spec.warmup);
  spec.min_lr_ratio = args.get_double("min-lr-ratio", spec.min_lr_ratio);
  spec.steps = args.get_int("steps", args.has("epochs") ? 0 : 200);
  spec.epochs = args.get_double("epochs", spec.epochs);
  spec.batch = args.get_int("batch", spec.batch);
  spec.seq_len = args.get_int("seq", spec.seq_len);
  spec.accum = args.get_int("accum", spec.accum);
  spec.weight_decay = args.get_double("weight-decay", spec.weight_decay);
  spec.clip = args.get_double("clip", spec.clip);
  spec.eval_every = args.get_int("eval-every", spec.eval_every);
  spec.eval_batches = args.get_int("eval-batches", spec.eval_batches);
  spec.patience = args.get_int("patience", spec.patience);
  spec.seed = static_cast<uint64_t>(args.get_int("seed", 0));
  spec.lora.seed = spec.seed;
  spec.precision = parse_precision(args.get_or("precision", "fp32"), "--precision");
  spec.threads = static_cast<int>(args.get_int("threads", 0));
  spec.checkpoint_every = args.get_int("checkpoint-every", spec.checkpoint_every);
  if (args.has("alpha-start")) spec.alpha_start = args.get_double("alpha-start", 0);
  spec.alpha_ramp_steps = args.get_int("alpha-ramp-steps", spec.alpha_ramp_steps);
  try {
    spec.validate();
  } catch (const Error& e) {
    throw Error("--" + std::string(e.what()));
  }
  if (args.has("db"))
    std::cerr << "loralab-cli train: note: --db is not recorded yet (the experiment store "
                 "integration lands with the sweeps work)\n";

  auto model = Model::load(args.required("model"));
  TrainControl control;
  g_control = &control;
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
  CliObserver observer(args.has("json"), isatty(STDERR_FILENO));
  auto result = train(*model, spec, &observer, &control, args.get_or("resume", ""));
  g_control = nullptr;
  if (!args.has("json")) std::fprintf(stderr, "\n");
  nlohmann::json out = {{"event", "result"}, {"status", result.status}, {"message", result.message},
                        {"steps", result.steps_done}, {"final_train_loss", result.final_train_loss},
                        {"best_step", result.best_step}, {"tokens_per_s", result.tokens_per_s},
                        {"peak_rss_bytes", result.peak_rss_bytes}, {"out", result.out_dir},
                        {"checkpoint", result.checkpoint_dir}, {"run_hash", result.run_hash}};
  out["best_val_loss"] = result.best_val_loss ? nlohmann::json(*result.best_val_loss) : nlohmann::json();
  if (result.reference_loss_before) {
    out["reference_loss_before"] = *result.reference_loss_before;
    out["reference_loss_after"] = *result.reference_loss_after;
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
     "  LoRA:     [--rank 8] [--alpha A | --alpha-equals-rank] [--targets q_proj,v_proj|attention-qkvo|\n"
     "            all-linear] [--dropout 0.05] [--init default|gaussian|pissa] [--rslora]\n"
     "            [--layers 0,3] [--rank-pattern KEY=R,..] [--alpha-pattern KEY=A,..]\n"
     "            [--alpha-start A0 --alpha-ramp-steps N]\n"
     "  training: [--lr 3e-4] [--schedule constant|linear|cosine] [--warmup N] [--steps 200 | --epochs E]\n"
     "            [--batch 8] [--seq 256] [--accum 1] [--weight-decay 0.01] [--clip 1.0]\n"
     "            [--eval-every 50] [--eval-batches N] [--patience N] [--seed 0] [--precision fp32|bf16]\n"
     "            [--threads N] [--full] [--name NAME] [--checkpoint-every N] [--resume CHECKPOINT]\n"
     "  data:     [--format auto|txt|folder|jsonl|csv|prompt-completion] [--field text] [--val-ratio 0.05]\n"
     "            [--no-pack]\n"
     "  output:   [--json] one JSON object per step; else a progress line on stderr.\n"
     "Writes the PEFT adapter to --out (with --full, the model to --out/model) and a resumable\n"
     "checkpoint to --out/checkpoint. Ctrl-C stops with a checkpoint.",
     run_train});

}  // namespace
}  // namespace loralab::cli
