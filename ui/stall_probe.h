// StallProbe: measures how long the GUI event loop goes without running, using a fast timer. A
// timer that should fire every few milliseconds but fires late tells how long the thread was busy
// (a replot, a layout, a blocking call). The longest gap since start() is the figure we keep
// under 50 ms during training.
#pragma once
#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

namespace loralab::ui {

class StallProbe : public QObject {
  Q_OBJECT
 public:
  static constexpr int kIntervalMs = 5;
  explicit StallProbe(QObject* parent = nullptr);

  void start();  // resets the maximum
  void stop();
  bool running() const { return timer_.isActive(); }
  double max_stall_ms() const { return max_stall_ms_; }
  double last_stall_ms() const { return last_stall_ms_; }

 signals:
  void max_stall_changed(double ms);

 private:
  void tick();
  QTimer timer_;
  QElapsedTimer clock_;
  double max_stall_ms_ = 0;
  double last_stall_ms_ = 0;
};

}  // namespace loralab::ui
