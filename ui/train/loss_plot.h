// LossPlot: the live training curves. Train loss raw and EMA-smoothed, validation points with the
// best one marked, the learning rate on a second axis, and tokens/s in a strip below; x by step or
// by tokens seen; zoom, pan, hover read-out and a log scale. Points are appended per step signal
// into plain vectors and moved into QCustomPlot by a ~30 Hz timer, so a fast trainer never makes
// the GUI replot per step.
#pragma once
#include <QVector>
#include <QWidget>
#include <QElapsedTimer>
#include <QTimer>

#include "loralab/train.h"

class QCustomPlot;
class QCPGraph;
class QCPAxisRect;
class QCPItemTracer;
class QCheckBox;
class QComboBox;
class QMouseEvent;

namespace loralab::ui {

class LossPlot : public QWidget {
  Q_OBJECT
 public:
  static constexpr int kReplotIntervalMs = 33;
  explicit LossPlot(QWidget* parent = nullptr);

  void clear();
  void set_total_steps(int64_t steps);  // x range of the whole planned run
  void append_step(const StepMetrics& metrics);
  void append_eval(const EvalMetrics& metrics);

  void set_x_by_tokens(bool by_tokens);
  bool x_by_tokens() const { return by_tokens_; }
  void set_log_scale(bool log_scale);
  bool log_scale() const;
  void set_dark(bool dark);

  // Moves pending points into the graphs now and replots (the timer does this at ~30 Hz).
  void flush();
  int step_points() const;  // points in the raw train-loss graph
  int smoothed_points() const;
  int eval_points() const;
  int lr_points() const;
  QCustomPlot* plot() const { return plot_; }
  // The read-out the hover shows for the step nearest to `x` (in the current x unit).
  QString readout_at(double x) const;
  // Longest single replot since clear(), in milliseconds (it runs on the GUI thread).
  double max_replot_ms() const { return max_replot_ms_; }

 signals:
  void x_by_tokens_changed(bool by_tokens);
  void log_scale_changed(bool log_scale);

 private:
  void build_plot();
  void rebuild_graphs();  // after the x unit changes
  void add_pending();
  void follow_data();
  void on_mouse_move(QMouseEvent* event);
  double x_of(size_t step_index) const;
  size_t nearest_step(double x) const;

  QCustomPlot* plot_ = nullptr;
  QCPAxisRect* speed_rect_ = nullptr;
  QCPGraph *raw_ = nullptr, *ema_ = nullptr, *val_ = nullptr, *best_ = nullptr, *lr_ = nullptr,
           *speed_ = nullptr;
  QCPItemTracer* tracer_ = nullptr;
  QComboBox* x_unit_ = nullptr;
  QCheckBox *log_box_ = nullptr, *follow_box_ = nullptr;
  QTimer replot_timer_;

  // Everything received, in step order; graphs hold [0, flushed_) of it.
  QVector<double> steps_, tokens_, raw_loss_, ema_loss_, lr_values_, speed_values_;
  QVector<double> eval_steps_, eval_tokens_, eval_loss_;
  int flushed_steps_ = 0, flushed_evals_ = 0;
  double best_x_step_ = 0, best_x_tokens_ = 0, best_loss_ = 0;
  bool has_best_ = false;
  int64_t total_steps_ = 0;
  bool by_tokens_ = false;
  bool dirty_ = false;
  QElapsedTimer replot_clock_;
  double max_replot_ms_ = 0;
};

}  // namespace loralab::ui
