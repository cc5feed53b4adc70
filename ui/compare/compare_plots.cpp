// The page's curves, heatmap and Pareto panels; see compare_plots.h.
#include "ui/compare/compare_plots.h"

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QMouseEvent>
#include <QSlider>
#include <QToolTip>
#include <QVBoxLayout>
#include <qcustomplot.h>

#include "ui/plots/plot_data.h"

namespace loralab::ui {
namespace {

QCustomPlot* make_plot(QWidget* parent) {
  auto* plot = new QCustomPlot(parent);
  plot->setMinimumSize(240, 200);
  plot->setNoAntialiasingOnDrag(true);
  return plot;
}

// A hint drawn in the middle of an empty plot.
void show_hint(QCustomPlot* plot, const QString& text, bool dark) {
  auto* hint = new QCPItemText(plot);
  hint->position->setType(QCPItemPosition::ptAxisRectRatio);
  hint->position->setCoords(0.5, 0.5);
  hint->setText(text);
  hint->setColor(dark ? QColor(190, 190, 190) : QColor(110, 110, 110));
}

}  // namespace

// ---- curves ---------------------------------------------------------------------------------

CurvesPanel::CurvesPanel(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  // Two rows of controls: the panel shares the page's width with the table's other plots.
  auto* bar = new QHBoxLayout;
  auto* bar2 = new QHBoxLayout;
  bar->addWidget(new QLabel(tr("Colour by"), this));
  color_by_ = new QComboBox(this);
  color_by_->setObjectName("color_by");
  color_by_->addItem(tr("run"), QString());
  for (const QString& key : plots::color_by_keys()) color_by_->addItem(key, key);
  bar->addWidget(color_by_);
  bar->addWidget(new QLabel(tr("x"), this));
  x_axis_ = new QComboBox(this);
  x_axis_->setObjectName("curve_x_axis");
  x_axis_->addItem(tr("step"), int(CurveAxis::Step));
  x_axis_->addItem(tr("tokens"), int(CurveAxis::TokensSeen));
  x_axis_->addItem(tr("wall time"), int(CurveAxis::WallTime));
  bar->addWidget(x_axis_);
  bar->addStretch();
  bar2->addWidget(new QLabel(tr("Smoothing"), this));
  smoothing_ = new QSlider(Qt::Horizontal, this);
  smoothing_->setObjectName("smoothing");
  smoothing_->setRange(0, 99);
  smoothing_->setValue(60);
  smoothing_->setMaximumWidth(120);
  smoothing_->setToolTip(tr("Exponential moving average of the train loss (0 = raw)"));
  bar2->addWidget(smoothing_);
  smoothing_value_ = new QLabel(this);
  smoothing_value_->setMinimumWidth(28);
  bar2->addWidget(smoothing_value_);
  validation_ = new QCheckBox(tr("Validation"), this);
  validation_->setObjectName("show_validation");
  validation_->setChecked(true);
  bar2->addWidget(validation_);
  log_y_ = new QCheckBox(tr("Log"), this);
  bar2->addWidget(log_y_);
  bar2->addStretch();
  layout->addLayout(bar);
  layout->addLayout(bar2);
  plot_ = make_plot(this);
  plot_->setObjectName("curves_plot");
  plot_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
  layout->addWidget(plot_, 1);

  auto redraw_later = [this] { redraw(); };
  connect(color_by_, &QComboBox::currentIndexChanged, this, redraw_later);
  connect(validation_, &QCheckBox::toggled, this, redraw_later);
  connect(log_y_, &QCheckBox::toggled, this, redraw_later);
  connect(smoothing_, &QSlider::valueChanged, this, [this](int value) {
    smoothing_value_->setText(QString::number(value / 100.0, 'f', 2));
    redraw();
  });
  connect(x_axis_, &QComboBox::currentIndexChanged, this, [this] { emit axis_changed(); });
  connect(plot_, &QCustomPlot::mouseDoubleClick, this, [this] { redraw(); });
  smoothing_value_->setText(QString::number(smoothing_->value() / 100.0, 'f', 2));
  redraw();
}

CurveAxis CurvesPanel::axis() const { return CurveAxis(x_axis_->currentData().toInt()); }

void CurvesPanel::set_curves(const std::vector<RunRecord>& runs,
                             const std::vector<CurveSeries>& train,
                             const std::vector<CurveSeries>& validation) {
  runs_ = runs;
  train_ = train;
  validation_series_ = validation;
  redraw();
}

void CurvesPanel::set_dark(bool dark) {
  dark_ = dark;
  redraw();
}

void CurvesPanel::redraw() {
  plots::CurveOptions options;
  options.x_axis = plots::curve_x_axis(axis());
  options.smoothing = smoothing_->value() / 100.0;
  options.show_validation = validation_->isChecked();
  options.color_by = color_by_->currentData().toString();
  options.log_y = log_y_->isChecked();
  options.dark = dark_;
  drawing_ = plots::draw_curves(
      plot_, plots::curve_runs(runs_, train_, validation_series_, options.color_by), options);
  if (runs_.empty())
    show_hint(plot_, tr("Select runs in the table to overlay their loss curves"), dark_);
  else if (drawing_.train_graphs.isEmpty() && drawing_.val_graphs.isEmpty())
    show_hint(plot_, tr("The selected runs have no metrics yet"), dark_);
  plot_->replot(QCustomPlot::rpQueuedReplot);
}

std::vector<int64_t> CurvesPanel::drawn_runs() const {
  std::vector<int64_t> ids;
  for (QCPGraph* graph : drawing_.train_graphs) ids.push_back(graph->property("run_id").toLongLong());
  return ids;
}

// ---- heatmap --------------------------------------------------------------------------------

HeatmapPanel::HeatmapPanel(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  auto* bar = new QHBoxLayout;
  bar->addWidget(new QLabel(tr("Target set"), this));
  targets_ = new QComboBox(this);
  targets_->setObjectName("heatmap_targets");
  targets_->setMinimumContentsLength(14);
  targets_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
  bar->addWidget(targets_);
  targets_->setToolTip(tr("The best validation loss per rank × alpha among runs on this target "
                          "set; lower is better"));
  bar->addStretch();
  layout->addLayout(bar);
  plot_ = make_plot(this);
  plot_->setObjectName("heatmap_plot");
  layout->addWidget(plot_, 1);
  connect(targets_, &QComboBox::activated, this, [this] {
    emit targets_chosen(targets_->currentText());
  });
  redraw();
}

QString HeatmapPanel::chosen_targets() const { return targets_->currentText(); }

void HeatmapPanel::set_data(const std::vector<std::string>& target_sets, const std::string& targets,
                            const std::vector<RankAlphaCell>& cells) {
  QStringList items;
  for (const auto& set : target_sets) items << QString::fromStdString(set);
  QStringList current;
  for (int i = 0; i < targets_->count(); ++i) current << targets_->itemText(i);
  if (items != current) {
    const QSignalBlocker block(targets_);
    targets_->clear();
    targets_->addItems(items);
  }
  {
    const QSignalBlocker block(targets_);
    targets_->setCurrentText(QString::fromStdString(targets));
  }
  const bool same = targets == targets_shown_ && cells.size() == cells_.size() &&
                    std::equal(cells.begin(), cells.end(), cells_.begin(), [](const auto& a, const auto& b) {
                      return a.rank == b.rank && a.alpha == b.alpha && a.best_val_loss == b.best_val_loss &&
                             a.runs == b.runs && a.best_run_id == b.best_run_id;
                    });
  targets_shown_ = targets;
  cells_ = cells;
  if (!same || !drawing_.map) redraw();
}

void HeatmapPanel::set_dark(bool dark) {
  dark_ = dark;
  redraw();
}

void HeatmapPanel::redraw() {
  plots::HeatmapOptions options;
  options.dark = dark_;
  drawing_ = plots::draw_rank_alpha_heatmap(plot_, plots::heatmap_cells(cells_), options);
  plot_->replot(QCustomPlot::rpQueuedReplot);
}

// ---- Pareto ---------------------------------------------------------------------------------

ParetoPanel::ParetoPanel(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  hint_ = new QLabel(tr("Fewer trainable parameters and lower loss is better; the front joins the "
                        "runs nothing beats on both. Click a point to select its run."),
                     this);
  hint_->setWordWrap(true);
  hint_->setEnabled(false);
  layout->addWidget(hint_);
  plot_ = make_plot(this);
  plot_->setObjectName("pareto_plot");
  layout->addWidget(plot_, 1);
  connect(plot_, &QCustomPlot::mousePress, this, [this](QMouseEvent* event) {
    click_at(event->position());
  });
  connect(plot_, &QCustomPlot::mouseMove, this, [this](QMouseEvent* event) {
    const auto hit = plots::pareto_run_at(plot_, points_, event->position());
    plot_->setCursor(hit ? Qt::PointingHandCursor : Qt::ArrowCursor);
    if (!hit) return;
    for (const auto& point : points_)
      if (point.run_id == *hit)
        QToolTip::showText(event->globalPosition().toPoint(),
                           tr("%1\n%2 trainable params · best val loss %3")
                               .arg(point.name)
                               .arg(QLocale().toString(qint64(point.trainable_params)))
                               .arg(point.best_val_loss, 0, 'f', 4),
                           plot_);
  });
  redraw();
}

void ParetoPanel::set_data(const std::vector<RunRecord>& runs, const std::vector<ParetoPoint>& front) {
  auto points = plots::pareto_runs(runs, front);
  const bool same = points.size() == points_.size() &&
                    std::equal(points.begin(), points.end(), points_.begin(), [](const auto& a, const auto& b) {
                      return a.run_id == b.run_id && a.best_val_loss == b.best_val_loss &&
                             a.trainable_params == b.trainable_params && a.on_front == b.on_front;
                    });
  points_ = std::move(points);
  if (!same) redraw();
}

void ParetoPanel::set_selected(std::optional<int64_t> run_id) {
  if (run_id == selected_) return;
  selected_ = run_id;
  redraw();
}

void ParetoPanel::set_dark(bool dark) {
  dark_ = dark;
  redraw();
}

std::optional<int64_t> ParetoPanel::click_at(const QPointF& pixel) {
  const auto hit = plots::pareto_run_at(plot_, points_, pixel);
  if (hit) emit run_clicked(*hit);
  return hit;
}

void ParetoPanel::redraw() {
  plots::ParetoOptions options;
  options.dark = dark_;
  options.selected_run = selected_;
  options.label_front = points_.size() <= 60;
  plots::draw_pareto(plot_, points_, options);
  if (points_.empty())
    show_hint(plot_, tr("No finished runs with a validation loss yet"), dark_);
  plot_->replot(QCustomPlot::rpQueuedReplot);
}

}  // namespace loralab::ui
