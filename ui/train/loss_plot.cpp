// Live training curves; see loss_plot.h.
#include "ui/train/loss_plot.h"

#include "ui/plots/run_plots.h"

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QToolTip>
#include <QVBoxLayout>
#include <algorithm>
#include <qcustomplot.h>

namespace loralab::ui {
namespace {

const QColor kRaw(120, 160, 220);
const QColor kEma(25, 90, 200);
const QColor kVal(220, 120, 20);
const QColor kBest(200, 30, 30);
const QColor kLr(60, 160, 90);
const QColor kSpeed(130, 90, 180);

}  // namespace

LossPlot::LossPlot(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  auto* bar = new QHBoxLayout;
  bar->addWidget(new QLabel(tr("x axis:"), this));
  x_unit_ = new QComboBox(this);
  x_unit_->addItems({tr("Steps"), tr("Tokens seen")});
  x_unit_->setObjectName("x_unit");
  bar->addWidget(x_unit_);
  log_box_ = new QCheckBox(tr("Log scale"), this);
  log_box_->setObjectName("log_scale");
  bar->addWidget(log_box_);
  follow_box_ = new QCheckBox(tr("Follow"), this);
  follow_box_->setToolTip(tr("Keep the whole run in view; zooming or panning turns this off"));
  follow_box_->setChecked(true);
  bar->addWidget(follow_box_);
  auto* reset = new QPushButton(tr("Reset view"), this);
  bar->addWidget(reset);
  bar->addStretch();
  layout->addLayout(bar);
  plot_ = new QCustomPlot(this);
  plot_->setToolTip(QString());
  plot_->setWhatsThis(tr("Drag to pan, turn the wheel to zoom, double-click to see the whole run."));
  reset->setToolTip(tr("Drag to pan · wheel to zoom · double-click or Reset view to see the whole run"));
  plot_->setMinimumHeight(260);
  plot_->setMinimumWidth(380);
  layout->addWidget(plot_, 1);
  build_plot();

  connect(x_unit_, &QComboBox::currentIndexChanged, this,
          [this](int index) { set_x_by_tokens(index == 1); });
  connect(log_box_, &QCheckBox::toggled, this, &LossPlot::set_log_scale);
  connect(follow_box_, &QCheckBox::toggled, this, [this](bool on) {
    if (on) follow_data();
  });
  connect(reset, &QPushButton::clicked, this, [this] { follow_box_->setChecked(true); });
  connect(plot_, &QCustomPlot::mouseDoubleClick, this, [this] { follow_box_->setChecked(true); });
  // A user who zooms or pans wants to look at something: stop following the data.
  connect(plot_, &QCustomPlot::mousePress, this, [this] { follow_box_->setChecked(false); });
  connect(plot_, &QCustomPlot::mouseWheel, this, [this] { follow_box_->setChecked(false); });
  connect(plot_, &QCustomPlot::mouseMove, this, &LossPlot::on_mouse_move);

  connect(plot_, &QCustomPlot::beforeReplot, this, [this] { replot_clock_.start(); });
  connect(plot_, &QCustomPlot::afterReplot, this, [this] {
    if (replot_clock_.isValid())
      max_replot_ms_ = std::max(max_replot_ms_, double(replot_clock_.nsecsElapsed()) / 1e6);
  });
  replot_timer_.setInterval(kReplotIntervalMs);
  connect(&replot_timer_, &QTimer::timeout, this, [this] {
    if (dirty_) flush();
  });
  replot_timer_.start();
}

void LossPlot::build_plot() {
  plot_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
  plot_->setNoAntialiasingOnDrag(true);
  auto* main = plot_->axisRect();
  main->setRangeDrag(Qt::Horizontal | Qt::Vertical);
  main->setRangeZoom(Qt::Horizontal | Qt::Vertical);
  plot_->xAxis->setLabel(tr("step"));
  plot_->yAxis->setLabel(tr("loss"));
  plot_->yAxis2->setVisible(true);
  plot_->yAxis2->setLabel(tr("learning rate"));
  plot_->yAxis2->setTickLabels(true);

  raw_ = plot_->addGraph(plot_->xAxis, plot_->yAxis);
  raw_->setName(tr("loss"));
  raw_->setPen(QPen(kRaw, 1));
  ema_ = plot_->addGraph(plot_->xAxis, plot_->yAxis);
  ema_->setName(tr("loss EMA"));
  ema_->setPen(QPen(kEma, 2));
  val_ = plot_->addGraph(plot_->xAxis, plot_->yAxis);
  val_->setName(tr("validation"));
  val_->setPen(QPen(kVal, 1.5));
  val_->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, kVal, Qt::white, 7));
  best_ = plot_->addGraph(plot_->xAxis, plot_->yAxis);
  best_->setName(tr("best"));
  best_->setLineStyle(QCPGraph::lsNone);
  best_->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssStar, QPen(kBest, 2), kBest, 14));
  lr_ = plot_->addGraph(plot_->xAxis, plot_->yAxis2);
  lr_->setName(tr("lr"));
  lr_->setPen(QPen(kLr, 1.2, Qt::DashLine));
  for (auto* graph : {raw_, ema_, lr_}) graph->setAdaptiveSampling(true);


  speed_rect_ = new QCPAxisRect(plot_);
  plot_->plotLayout()->addElement(1, 0, speed_rect_);
  speed_rect_->setRangeDrag(Qt::Horizontal);
  speed_rect_->setRangeZoom(Qt::Horizontal);
  speed_rect_->axis(QCPAxis::atLeft)->setLabel(tr("tokens/s"));
  speed_rect_->axis(QCPAxis::atRight)->setVisible(true);
  speed_rect_->axis(QCPAxis::atRight)->setTickLabels(false);
  speed_rect_->axis(QCPAxis::atRight)->setTicks(false);
  auto* margins = new QCPMarginGroup(plot_);
  main->setMarginGroup(QCP::msLeft | QCP::msRight, margins);
  speed_rect_->setMarginGroup(QCP::msLeft | QCP::msRight, margins);
  speed_ = plot_->addGraph(speed_rect_->axis(QCPAxis::atBottom), speed_rect_->axis(QCPAxis::atLeft));
  speed_->setName(tr("tokens/s"));
  speed_->setPen(QPen(kSpeed, 1));
  speed_->setAdaptiveSampling(true);
  speed_->removeFromLegend();
  // The legend gets a row of its own above the curves, so it never hides the end of a run.
  plot_->legend->setVisible(true);
  plot_->legend->setFont(font());
  plot_->legend->setFillOrder(QCPLegend::foColumnsFirst);
  plot_->legend->setBorderPen(Qt::NoPen);
  plot_->axisRect()->insetLayout()->take(plot_->legend);
  plot_->plotLayout()->insertRow(0);
  plot_->plotLayout()->addElement(0, 0, plot_->legend);
  plot_->plotLayout()->setRowStretchFactor(0, 0.001);
  plot_->plotLayout()->setRowStretchFactor(1, 3);
  plot_->plotLayout()->setRowStretchFactor(2, 1);
  plot_->legend->setMargins(QMargins(4, 2, 4, 0));
  connect(plot_->xAxis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged),
          speed_rect_->axis(QCPAxis::atBottom), qOverload<const QCPRange&>(&QCPAxis::setRange));
  connect(speed_rect_->axis(QCPAxis::atBottom), qOverload<const QCPRange&>(&QCPAxis::rangeChanged),
          plot_->xAxis, qOverload<const QCPRange&>(&QCPAxis::setRange));

  // The tracer gets its graph only while shown: an empty graph makes QCustomPlot log on every replot.
  tracer_ = new QCPItemTracer(plot_);
  tracer_->setStyle(QCPItemTracer::tsCircle);
  tracer_->setSize(8);
  tracer_->setVisible(false);
  plot_->xAxis->setRange(0, 10);
  plot_->yAxis->setRange(0, 1);
}

void LossPlot::clear() {
  for (auto* vec : {&steps_, &tokens_, &raw_loss_, &ema_loss_, &lr_values_, &speed_values_,
                    &eval_steps_, &eval_tokens_, &eval_loss_})
    vec->clear();
  for (auto* graph : {raw_, ema_, val_, best_, lr_, speed_}) graph->data()->clear();
  flushed_steps_ = flushed_evals_ = 0;
  has_best_ = false;
  total_steps_ = 0;
  max_replot_ms_ = 0;
  tracer_->setGraph(nullptr);
  tracer_->setVisible(false);
  follow_box_->setChecked(true);
  dirty_ = true;
}

void LossPlot::set_total_steps(int64_t steps) {
  total_steps_ = steps;
  dirty_ = true;
}

void LossPlot::append_step(const StepMetrics& m) {
  steps_.push_back(double(m.step));
  tokens_.push_back(double(m.tokens_seen));
  raw_loss_.push_back(m.train_loss);
  ema_loss_.push_back(m.smoothed_loss);
  lr_values_.push_back(m.lr);
  speed_values_.push_back(m.tokens_per_s);
  dirty_ = true;
}

void LossPlot::append_eval(const EvalMetrics& m) {
  double tokens = 0;
  auto it = std::lower_bound(steps_.begin(), steps_.end(), double(m.step));
  if (it != steps_.end()) tokens = tokens_[it - steps_.begin()];
  else if (!tokens_.isEmpty()) tokens = tokens_.back();
  eval_steps_.push_back(double(m.step));
  eval_tokens_.push_back(tokens);
  eval_loss_.push_back(m.val_loss);
  if (m.best) {
    has_best_ = true;
    best_x_step_ = double(m.step);
    best_x_tokens_ = tokens;
    best_loss_ = m.val_loss;
  }
  dirty_ = true;
}

double LossPlot::x_of(size_t i) const { return by_tokens_ ? tokens_[qsizetype(i)] : steps_[qsizetype(i)]; }

void LossPlot::add_pending() {
  const int n = int(steps_.size());
  if (n > flushed_steps_) {
    const auto& xs = by_tokens_ ? tokens_ : steps_;
    const QVector<double> keys = xs.mid(flushed_steps_);
    raw_->addData(keys, raw_loss_.mid(flushed_steps_), true);
    ema_->addData(keys, ema_loss_.mid(flushed_steps_), true);
    lr_->addData(keys, lr_values_.mid(flushed_steps_), true);
    speed_->addData(keys, speed_values_.mid(flushed_steps_), true);
    flushed_steps_ = n;
  }
  const int e = int(eval_steps_.size());
  if (e > flushed_evals_) {
    const auto& xs = by_tokens_ ? eval_tokens_ : eval_steps_;
    val_->addData(xs.mid(flushed_evals_), eval_loss_.mid(flushed_evals_), true);
    flushed_evals_ = e;
  }
  best_->data()->clear();
  if (has_best_) best_->addData(by_tokens_ ? best_x_tokens_ : best_x_step_, best_loss_);
}

void LossPlot::rebuild_graphs() {
  for (auto* graph : {raw_, ema_, val_, best_, lr_, speed_}) graph->data()->clear();
  flushed_steps_ = flushed_evals_ = 0;
  plot_->xAxis->setLabel(by_tokens_ ? tr("tokens seen") : tr("step"));
  dirty_ = true;
}

void LossPlot::follow_data() {
  if (steps_.isEmpty()) {
    plot_->xAxis->setRange(0, total_steps_ > 0 && !by_tokens_ ? double(total_steps_) : 10.0);
    return;
  }
  // The planned run's length is known in steps; in tokens, extrapolate from the rate so far.
  double x_max = by_tokens_ ? tokens_.back() : steps_.back();
  if (total_steps_ > 0 && steps_.back() > 0) x_max *= std::max(1.0, double(total_steps_) / steps_.back());
  // A little room on the right keeps the last point and the best-validation star whole.
  plot_->xAxis->setRange(0, std::max(1.0, x_max * 1.02));
  bool found = false;
  QCPRange loss = raw_->data()->valueRange(found);
  if (found) {
    QCPRange with_val = val_->data()->valueRange(found);
    if (found) loss.expand(with_val);
    if (log_scale()) {
      loss.lower = std::max(loss.lower, 1e-4);
      plot_->yAxis->setRange(loss.lower * 0.9, loss.upper * 1.1);
    } else {
      const double pad = std::max(1e-6, (loss.upper - loss.lower) * 0.05);
      plot_->yAxis->setRange(std::max(0.0, loss.lower - pad), loss.upper + pad);
    }
  }
  lr_->rescaleValueAxis(false, true);
  const QCPRange lr_range = plot_->yAxis2->range();
  plot_->yAxis2->setRange(0, std::max(lr_range.upper * 1.05, 1e-12));
  speed_->rescaleValueAxis(false, true);
  auto* speed_axis = speed_rect_->axis(QCPAxis::atLeft);
  speed_axis->setRange(0, std::max(1.0, speed_axis->range().upper * 1.1));
}

void LossPlot::flush() {
  add_pending();
  if (follow_box_->isChecked()) follow_data();
  plot_->replot(QCustomPlot::rpQueuedReplot);
  dirty_ = false;
}

int LossPlot::step_points() const { return raw_->dataCount(); }
int LossPlot::smoothed_points() const { return ema_->dataCount(); }
int LossPlot::eval_points() const { return val_->dataCount(); }
int LossPlot::lr_points() const { return lr_->dataCount(); }

void LossPlot::set_x_by_tokens(bool by_tokens) {
  if (x_unit_->currentIndex() != (by_tokens ? 1 : 0)) x_unit_->setCurrentIndex(by_tokens ? 1 : 0);
  if (by_tokens_ == by_tokens) return;
  by_tokens_ = by_tokens;
  rebuild_graphs();
  flush();
  emit x_by_tokens_changed(by_tokens);
}

bool LossPlot::log_scale() const { return plot_->yAxis->scaleType() == QCPAxis::stLogarithmic; }

void LossPlot::set_log_scale(bool log_scale) {
  if (log_box_->isChecked() != log_scale) log_box_->setChecked(log_scale);
  if (this->log_scale() == log_scale) return;
  plot_->yAxis->setScaleType(log_scale ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
  if (log_scale)
    plot_->yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
  else
    plot_->yAxis->setTicker(QSharedPointer<QCPAxisTicker>::create());
  follow_data();
  plot_->replot(QCustomPlot::rpQueuedReplot);
  emit log_scale_changed(log_scale);
}

void LossPlot::set_dark(bool dark) {
  plots::apply_theme(plot_, dark);  // every axis rect of the plot, the tokens/s one included
  plot_->legend->setBrush(Qt::NoBrush);  // the legend sits in its own row above the curves
  val_->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, kVal,
                                        dark ? QColor(37, 37, 38) : QColor(Qt::white), 7));
  plot_->replot(QCustomPlot::rpQueuedReplot);
}

size_t LossPlot::nearest_step(double x) const {
  const auto& xs = by_tokens_ ? tokens_ : steps_;
  auto it = std::lower_bound(xs.begin(), xs.end(), x);
  size_t i = size_t(it - xs.begin());
  if (i >= size_t(xs.size())) return size_t(xs.size()) - 1;
  if (i > 0 && std::abs(xs[qsizetype(i) - 1] - x) < std::abs(xs[qsizetype(i)] - x)) --i;
  return i;
}

QString LossPlot::readout_at(double x) const {
  if (steps_.isEmpty()) return {};
  const qsizetype i = qsizetype(nearest_step(x));
  QString text = tr("step %1 · %2 tokens\nloss %3 · EMA %4\nlr %5 · %6 tokens/s")
                     .arg(qint64(steps_[i]))
                     .arg(qint64(tokens_[i]))
                     .arg(raw_loss_[i], 0, 'f', 4)
                     .arg(ema_loss_[i], 0, 'f', 4)
                     .arg(lr_values_[i], 0, 'g', 3)
                     .arg(speed_values_[i], 0, 'f', 0);
  auto it = std::find(eval_steps_.begin(), eval_steps_.end(), steps_[i]);
  if (it != eval_steps_.end())
    text += tr("\nvalidation %1").arg(eval_loss_[it - eval_steps_.begin()], 0, 'f', 4);
  return text;
}

void LossPlot::on_mouse_move(QMouseEvent* event) {
  if (steps_.isEmpty() || event->buttons() != Qt::NoButton ||
      !plot_->axisRect()->rect().contains(event->pos())) {
    if (tracer_->visible()) {
      tracer_->setGraph(nullptr);
      tracer_->setVisible(false);
      plot_->replot(QCustomPlot::rpQueuedReplot);
    }
    return;
  }
  const double x = plot_->xAxis->pixelToCoord(event->pos().x());
  const size_t i = nearest_step(x);
  tracer_->setGraph(ema_);
  tracer_->setGraphKey(x_of(i));
  tracer_->setVisible(true);
  QToolTip::showText(event->globalPosition().toPoint(), readout_at(x), plot_);
  plot_->replot(QCustomPlot::rpQueuedReplot);
}

}  // namespace loralab::ui
