// Progress output and stop signals for training commands; see train_progress.h.
#include "train_progress.h"

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <iostream>

namespace loralab::cli {
namespace {

std::atomic<TrainControl*> g_control{nullptr};
std::atomic<bool> g_signalled{false};

extern "C" void on_stop_signal(int) {
  g_signalled.store(true);
  if (TrainControl* control = g_control.load()) control->stop.store(true);
}

std::string format_duration(double seconds) {
  const long s = static_cast<long>(seconds);
  char text[32];
  std::snprintf(text, sizeof text, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  return text;
}

}  // namespace

CliProgress::CliProgress(bool json) : json_(json), tty_(isatty(STDERR_FILENO)) {}

void CliProgress::on_plan(const TrainPlan& p) {
  emit({{"event", "plan"},
        {"total_steps", p.total_steps},
        {"train_rows", p.train_rows},
        {"validation_rows", p.validation_rows},
        {"rehearsal_rows", p.rehearsal_rows},
        {"rehearsal_opening_rows", p.rehearsal_opening_rows},
        {"trainable_parameters", p.trainable_parameters},
        {"total_parameters", p.total_parameters},
        {"run_hash", p.run_hash},
        {"dataset_fingerprint", p.dataset_fingerprint}});
}

void CliProgress::on_step(const StepMetrics& m) {
  if (json_) {
    emit({{"event", "step"},
          {"step", m.step},
          {"epoch", m.epoch},
          {"loss", m.train_loss},
          {"smoothed_loss", m.smoothed_loss},
          {"lr", m.lr},
          {"grad_norm", m.grad_norm},
          {"tokens_per_s", m.tokens_per_s},
          {"gflops", m.gflops},
          {"tokens_seen", m.tokens_seen},
          {"elapsed_s", m.elapsed_s},
          {"eta_s", m.eta_s},
          {"peak_rss_bytes", m.peak_rss_bytes}});
    return;
  }
  const int width = 28;
  const int filled =
      static_cast<int>(width * double(m.step) / double(std::max<int64_t>(1, m.total_steps)));
  std::fprintf(stderr, "%s[%s%s] %lld/%lld loss %.4f  %.0f tok/s  ETA %s   ", tty_ ? "\r" : "",
               std::string(filled, '#').c_str(), std::string(width - filled, '.').c_str(),
               static_cast<long long>(m.step), static_cast<long long>(m.total_steps),
               m.smoothed_loss, m.tokens_per_s, format_duration(m.eta_s).c_str());
  if (tty_)
    line_open_ = true;
  else
    std::fprintf(stderr, "\n");
}

void CliProgress::on_eval(const EvalMetrics& m) {
  if (json_) {
    emit({{"event", "eval"},
          {"step", m.step},
          {"val_loss", m.val_loss},
          {"perplexity", m.perplexity},
          {"best", m.best},
          {"best_val_loss", m.best_val_loss},
          {"best_step", m.best_step}});
    return;
  }
  end_line();
  std::fprintf(stderr, "step %lld: validation loss %.4f (perplexity %.2f)%s\n",
               static_cast<long long>(m.step), m.val_loss, m.perplexity, m.best ? " best" : "");
}

void CliProgress::on_message(const std::string& text) {
  if (json_) {
    emit({{"event", "message"}, {"text", text}});
    return;
  }
  end_line();
  std::fprintf(stderr, "%s\n", text.c_str());
}

void CliProgress::end_line() {
  if (!line_open_) return;
  std::fprintf(stderr, "\n");
  line_open_ = false;
}

void CliProgress::emit(const nlohmann::json& j) {
  if (json_) std::cout << j.dump() << std::endl;
}

StopOnSignal::StopOnSignal(TrainControl& control) {
  g_signalled.store(false);
  g_control.store(&control);
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
}

StopOnSignal::~StopOnSignal() {
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  g_control.store(nullptr);
}

bool StopOnSignal::signalled() const { return g_signalled.load(); }

nlohmann::json result_json(const TrainResult& result) {
  nlohmann::json out = {{"event", "result"},
                        {"status", result.status},
                        {"message", result.message},
                        {"steps", result.steps_done},
                        {"final_train_loss", result.final_train_loss},
                        {"best_step", result.best_step},
                        {"tokens_per_s", result.tokens_per_s},
                        {"peak_rss_bytes", result.peak_rss_bytes},
                        {"out", result.out_dir},
                        {"checkpoint", result.checkpoint_dir},
                        {"run_hash", result.run_hash},
                        {"train_rows", result.train_rows},
                        {"rehearsal_rows", result.rehearsal_rows}};
  out["best_val_loss"] =
      result.best_val_loss ? nlohmann::json(*result.best_val_loss) : nlohmann::json();
  if (result.reference_loss_before && result.reference_loss_after) {
    out["reference_loss_before"] = *result.reference_loss_before;
    out["reference_loss_after"] = *result.reference_loss_after;
  }
  return out;
}

}  // namespace loralab::cli
