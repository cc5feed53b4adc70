// Event-loop stall measurement; see stall_probe.h.
#include "ui/stall_probe.h"

namespace loralab::ui {

StallProbe::StallProbe(QObject* parent) : QObject(parent) {
  timer_.setInterval(kIntervalMs);
  timer_.setTimerType(Qt::PreciseTimer);
  connect(&timer_, &QTimer::timeout, this, &StallProbe::tick);
}

void StallProbe::start() {
  max_stall_ms_ = 0;
  last_stall_ms_ = 0;
  clock_.start();
  timer_.start();
  emit max_stall_changed(0);
}

void StallProbe::stop() { timer_.stop(); }

void StallProbe::tick() {
  const double elapsed_ms = double(clock_.nsecsElapsed()) / 1e6;
  clock_.restart();
  // The part beyond the interval is time the loop could not get to the timer.
  last_stall_ms_ = std::max(0.0, elapsed_ms - kIntervalMs);
  if (last_stall_ms_ > max_stall_ms_) {
    max_stall_ms_ = last_stall_ms_;
    emit max_stall_changed(max_stall_ms_);
  }
}

}  // namespace loralab::ui
