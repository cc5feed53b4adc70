// Training LoRA adapters (or, as the baseline, every weight) on a loaded model: AdamW with
// decoupled weight decay, warmup + constant/linear/cosine schedules, clipping, accumulation,
// evaluation with early stopping, an alpha ramp, NaN/Inf detection, pause/resume/stop, and
// checkpoints that resume bit-exactly. Torch-free API; the engine reports through an observer.
#pragma once
#include <atomic>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "loralab/dataset.h"
#include "loralab/lora.h"
#include "loralab/model.h"

namespace loralab {

// One stage of a multi-stage run (stage 2 may raise the rank and the learning rate). Unset fields
// carry over: lr, schedule and warmup from the TrainSpec; rank from the previous stage (stage 0:
// lora.rank); alpha so that the previous stage's alpha / r (alpha / √r with rsLoRA) is kept. A
// stage that raises the rank grows every adapter so that the function is unchanged: new rows of A
// drawn as the init draws them, new columns of B zero, B rescaled when the scaling changes. Each
// stage runs its own warmup and schedule over its own steps.
struct TrainStage {
  int64_t steps = 0;
  std::optional<double> lr;
  std::optional<int64_t> rank;
  std::optional<double> alpha;
  std::optional<std::string> schedule;
  std::optional<int64_t> warmup;
};

struct TrainSpec {
  std::string name = "run";
  LoraSpec lora;
  bool full = false;  // full fine-tuning: every base weight trains, no adapter

  DatasetSpec data;
  std::optional<DatasetSpec> validation;  // separate validation set; else a split of `data`
  double validation_ratio = 0.05;
  std::optional<DatasetSpec> reference;   // a general set for the forgetting figure
  // Rehearsal against forgetting: rows of a general set (the kind of text the base was trained
  // on) mixed into the training rows, rehearsal_share of them in all; a set too small for its
  // share is repeated. The mix is fixed by the seed and shuffled with the training rows.
  std::optional<DatasetSpec> rehearsal;
  double rehearsal_share = 0.15;
  // The first tokens of each rehearsal example carry no loss: the adapter keeps how the general
  // set goes on but not how it begins, so that text the adapter starts itself keeps its style.
  int64_t rehearsal_unscored_opening = 0;
  // The share of all training rows that are rehearsal rows with their opening scored, in
  // [0, rehearsal_share]; the other rehearsal rows leave their first rehearsal_unscored_opening
  // tokens unscored. Under maximum likelihood the adapter then begins a general text about
  // opening / (opening + task share) of the time, while every rehearsal row keeps the rest of
  // the general text in place. Unset: all openings scored, or none when
  // rehearsal_unscored_opening > 0.
  std::optional<double> rehearsal_opening_share;
  double effective_rehearsal_opening_share() const;
  bool pack = true;

  int64_t seq_len = 256;
  int64_t batch = 8;
  int64_t accum = 1;       // micro-batches per optimizer step
  int64_t steps = 0;       // optimizer steps; 0 = derive from epochs
  double epochs = 1.0;     // used when steps == 0

  double lr = 3e-4;
  std::string schedule = "cosine";  // constant | linear | cosine (after warmup)
  int64_t warmup = 0;               // steps of linear warmup from 0
  double min_lr_ratio = 0.0;        // floor of linear/cosine decay, as a share of lr
  double weight_decay = 0.01;
  double beta1 = 0.9, beta2 = 0.999, adam_eps = 1e-8;
  double clip = 1.0;                // max global gradient norm; 0 = off

  int64_t eval_every = 50;          // 0 = only at the end
  int64_t eval_batches = 0;         // 0 = the whole validation set
  int64_t patience = 0;             // evaluations without improvement before stopping; 0 = off
  double min_delta = 0.0;

  // alpha ramps linearly from alpha_start to lora.alpha (to the first stage's alpha when stages
  // set it) over alpha_ramp_steps; later stages scale the ramp with their alpha.
  std::optional<double> alpha_start;
  int64_t alpha_ramp_steps = 0;

  // Empty: one stage. Else the run is these stages back to back; `steps` must then be 0 or their
  // total, and `epochs` is not used.
  std::vector<TrainStage> stages;

  uint64_t seed = 0;
  Precision precision = Precision::F32;  // bf16: bf16 matmuls, fp32 master weights and loss
  int threads = 0;                       // 0 = one per core
  // Activation checkpointing: keep each decoder layer's input only and compute the layer again
  // in backward. The same numbers, less memory, about one more forward pass per step.
  bool recompute = false;

  std::string out_dir;                // the PEFT adapter (or the full model) is written here
  int64_t checkpoint_every = 0;       // 0 = only when stopping or finishing
  double ema_decay = 0.98;            // smoothing of the displayed train loss

  // Throws naming the field and the expected value (batch 0, lr <= 0, seq beyond the model, ...).
  void validate() const;
  std::string to_json() const;
  static TrainSpec from_json(const std::string& json_text, const std::string& source);
};

struct StepMetrics {
  int64_t step = 0;  // optimizer steps done
  int64_t total_steps = 0;
  double epoch = 0;  // fractional
  double train_loss = 0;
  double smoothed_loss = 0;
  double lr = 0;
  double alpha = 0;
  double grad_norm = 0;
  double tokens_per_s = 0;
  double gflops = 0;  // achieved, from the matmul FLOP count
  int64_t tokens_seen = 0;
  double elapsed_s = 0;
  double eta_s = 0;
  int64_t peak_rss_bytes = 0;
  int64_t stage = 0;  // index into TrainSpec::stages (0 without stages)
  int64_t rank = 0;   // the adapter's rank in this stage (0 for full fine-tuning)
};

struct EvalMetrics {
  int64_t step = 0;
  double val_loss = 0;
  double perplexity = 0;
  bool best = false;
  double best_val_loss = 0;
  int64_t best_step = 0;
};

struct TrainPlan {
  int64_t total_steps = 0;
  int64_t train_rows = 0, validation_rows = 0;
  int64_t train_tokens = 0;
  int64_t trainable_parameters = 0, total_parameters = 0;
  std::string dataset_fingerprint;
  std::string run_hash;
  int64_t rehearsal_rows = 0;  // of train_rows, drawn from TrainSpec::rehearsal
  int64_t rehearsal_opening_rows = 0;  // of rehearsal_rows, with their openings scored
};

struct TrainResult {
  std::string status;  // done | stopped | early_stopped | failed
  std::string message;
  int64_t steps_done = 0;
  double final_train_loss = 0;
  std::optional<double> best_val_loss;
  int64_t best_step = 0;
  std::optional<double> reference_loss_before, reference_loss_after;  // forgetting figure
  double tokens_per_s = 0;
  int64_t peak_rss_bytes = 0;
  std::string out_dir;
  std::string checkpoint_dir;  // resumable checkpoint (when stopped or on NaN: the last good one)
  std::string run_hash;
  int64_t train_rows = 0, rehearsal_rows = 0;  // as in the plan
};

// Receives progress on the training thread. Keep handlers short; the GUI re-emits them as queued
// signals.
class TrainObserver {
 public:
  virtual ~TrainObserver() = default;
  virtual void on_plan(const TrainPlan&) {}
  virtual void on_step(const StepMetrics&) {}
  virtual void on_eval(const EvalMetrics&) {}
  virtual void on_message(const std::string&) {}
  virtual void on_paused(bool /*paused*/) {}
};

// Polled every step: pause blocks between steps (the observer hears on_paused), stop ends the run
// with a resumable checkpoint.
struct TrainControl {
  std::atomic<bool> pause{false};
  std::atomic<bool> stop{false};
};

// Trains on `model` (adapters are added to it). `checkpoint` resumes from a checkpoint folder
// written by an earlier run of the same spec. Bad input is refused with loralab::Error before the
// first step; a NaN/Inf loss ends the run with status "failed" and keeps the last good checkpoint.
TrainResult train(Model& model, const TrainSpec& spec, TrainObserver* observer = nullptr,
                  TrainControl* control = nullptr, const std::string& resume_checkpoint = "");

// Mean next-token loss of the model (with its current adapters) over a dataset's rows: packed as
// training packs them, or (pack = false) one example per row from position 0, as `--no-pack` trains.
double evaluate_loss(Model& model, const DatasetSpec& data, int64_t seq_len, int64_t max_rows = 0,
                     bool pack = true);

// Peak resident memory of this process (VmHWM), in bytes.
int64_t peak_rss_bytes();

}  // namespace loralab
