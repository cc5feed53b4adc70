// Overlaid loss curves of several runs; see run_plots.h.
#include <QMap>
#include <algorithm>
#include <cmath>
#include <qcustomplot.h>

#include "ui/plots/run_plots.h"

namespace loralab::ui::plots {
namespace {

// True when every non-empty text parses as a number (then values order numerically).
bool all_numeric(const QStringList& values) {
  for (const QString& value : values) {
    bool ok = false;
    value.toDouble(&ok);
    if (!ok) return false;
  }
  return !values.isEmpty();
}

void fit_y(QCustomPlot* plot, const CurveOptions& options) {
  bool found = false;
  QCPRange range;
  bool any = false;
  for (int i = 0; i < plot->graphCount(); ++i) {
    const QCPRange r = plot->graph(i)->data()->valueRange(
        found, QCP::sdBoth);
    if (!found) continue;
    if (!any) range = r; else range.expand(r);
    any = true;
  }
  if (!any) {
    plot->yAxis->setRange(0, 1);
    return;
  }
  if (options.log_y) {
    range.lower = std::max(range.lower, 1e-4);
    range.upper = std::max(range.upper, range.lower * 1.01);
    plot->yAxis->setRange(range.lower * 0.92, range.upper * 1.08);
  } else {
    const double pad = std::max(1e-6, (range.upper - range.lower) * 0.05);
    plot->yAxis->setRange(std::max(0.0, range.lower - pad), range.upper + pad);
  }
}

}  // namespace

QVector<double> smooth_ema(const QVector<double>& values, double weight) {
  weight = std::clamp(weight, 0.0, 0.999);
  if (weight <= 0) return values;
  QVector<double> out;
  out.reserve(values.size());
  double average = 0;
  double correction = 0;  // 1 - weight^n: removes the pull towards the zero start
  for (double value : values) {
    average = weight * average + (1 - weight) * value;
    correction = weight * correction + (1 - weight);
    out.push_back(average / correction);
  }
  return out;
}

QString curve_axis_label(CurveXAxis axis) {
  switch (axis) {
    case CurveXAxis::Step: return QObject::tr("step");
    case CurveXAxis::Tokens: return QObject::tr("tokens seen");
    case CurveXAxis::WallTime: return QObject::tr("wall time (s)");
  }
  return {};
}

QStringList ordered_color_values(const std::vector<CurveRun>& runs) {
  QStringList values;
  for (const CurveRun& run : runs)
    if (!values.contains(run.color_value)) values.push_back(run.color_value);
  QStringList known;
  bool has_empty = false;
  for (const QString& value : values) {
    if (value.isEmpty()) has_empty = true; else known.push_back(value);
  }
  if (all_numeric(known))
    std::sort(known.begin(), known.end(),
              [](const QString& a, const QString& b) { return a.toDouble() < b.toDouble(); });
  else
    std::sort(known.begin(), known.end());
  if (has_empty) known.push_back(QString());  // "not set" goes last
  return known;
}

CurveDrawing draw_curves(QCustomPlot* plot, const std::vector<CurveRun>& runs,
                         const CurveOptions& options) {
  reset_plot(plot, options.dark);
  CurveDrawing drawing;

  // Colour: by the chosen hyperparameter's value (sequential when numeric, categories otherwise),
  // else one colour per run.
  const bool by_value = !options.color_by.isEmpty();
  QMap<QString, QColor> value_colors;
  if (by_value) {
    const QStringList values = ordered_color_values(runs);
    QStringList known = values;
    known.removeAll(QString());
    const bool numeric = all_numeric(known) && known.size() > 1;
    for (int i = 0; i < values.size(); ++i) {
      QColor color;
      if (values[i].isEmpty()) color = QColor(150, 150, 150);
      // The ramp's bright yellow end vanishes on white: light mode stops short of it.
      else if (numeric)
        color = sequential_color((options.dark ? 1.0 : 0.82) *
                                 (known.size() > 1 ? double(i) / (known.size() - 1) : 0.0));
      else color = category_color(i);
      value_colors.insert(values[i], color);
      const QString label = options.color_by + "=" +
                            (values[i].isEmpty() ? QObject::tr("not set") : values[i]);
      drawing.color_groups.push_back({label, color});
    }
  }
  const bool legend_by_run = int(runs.size()) <= options.max_legend_runs || !by_value;

  for (size_t i = 0; i < runs.size(); ++i) {
    const CurveRun& run = runs[i];
    const QColor color = by_value ? value_colors.value(run.color_value) : category_color(int(i));
    QCPGraph* train = nullptr;
    if (options.show_train && !run.train_x.isEmpty()) {
      train = plot->addGraph(plot->xAxis, plot->yAxis);
      train->setName(run.name);
      train->setPen(QPen(color, 1.6));
      train->setData(run.train_x, smooth_ema(run.train_y, options.smoothing), true);
      train->setAdaptiveSampling(true);
      train->setProperty("run_id", qint64(run.run_id));
      if (!legend_by_run) train->removeFromLegend();
      drawing.train_graphs.push_back(train);
    }
    if (options.show_validation && !run.val_x.isEmpty()) {
      QCPGraph* val = plot->addGraph(plot->xAxis, plot->yAxis);
      val->setName(train ? run.name + QObject::tr(" (val)") : run.name);
      val->setPen(QPen(color, 1.3, Qt::DashLine));
      val->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, color,
                                           options.dark ? QColor(37, 37, 38) : QColor(Qt::white), 6));
      val->setData(run.val_x, run.val_y, true);
      val->setProperty("run_id", qint64(run.run_id));
      val->setProperty("validation", true);
      // The run's name is already in the legend when its train curve is drawn.
      if (train || !legend_by_run) val->removeFromLegend();
      drawing.val_graphs.push_back(val);
    }
  }
  if (!legend_by_run) {
    // Too many runs to name: one legend entry per colour group, drawn by an empty graph.
    for (const auto& group : drawing.color_groups) {
      QCPGraph* key = plot->addGraph(plot->xAxis, plot->yAxis);
      key->setName(group.first);
      key->setPen(QPen(group.second, 2.5));
      key->setProperty("legend_only", true);
    }
  }

  plot->xAxis->setLabel(curve_axis_label(options.x_axis));
  plot->yAxis->setLabel(options.show_train ? QObject::tr("loss") : QObject::tr("validation loss"));
  if (options.log_y) {
    plot->yAxis->setScaleType(QCPAxis::stLogarithmic);
    plot->yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
  }
  bool found = false;
  QCPRange x_range;
  bool any_x = false;
  for (int i = 0; i < plot->graphCount(); ++i) {
    const QCPRange r = plot->graph(i)->data()->keyRange(found);
    if (!found) continue;
    if (!any_x) x_range = r; else x_range.expand(r);
    any_x = true;
  }
  if (any_x) plot->xAxis->setRange(x_range.lower, std::max(x_range.upper, x_range.lower + 1) * 1.01);
  else plot->xAxis->setRange(0, 10);
  fit_y(plot, options);

  // The legend gets a row of its own below the curves, filled across in columns, so it never
  // hides the ends of curves and leaves the plot its full width.
  const int entries = plot->legend->itemCount();
  plot->legend->setVisible(entries > 0);
  if (entries > 0) {
    plot->axisRect(0)->insetLayout()->take(plot->legend);
    plot->plotLayout()->addElement(1, 0, plot->legend);
    plot->plotLayout()->setRowStretchFactor(0, 1);
    plot->plotLayout()->setRowStretchFactor(1, 0.001);
    // The wrap must be set before the fill order rearranges the entries already there.
    plot->legend->setWrap(std::max(1, std::min(options.legend_columns, entries)));
    plot->legend->setFillOrder(QCPLegend::foColumnsFirst, true);
    plot->legend->setMargins(QMargins(6, 2, 6, 2));
    plot->legend->setRowSpacing(0);
    plot->legend->setColumnSpacing(10);
    plot->legend->setIconSize(18, 10);
  }
  return drawing;
}

}  // namespace loralab::ui::plots
