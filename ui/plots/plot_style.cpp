// The look shared by every plot builder: reset between drawings, light/dark theme, colours.
#include <QFont>
#include <algorithm>
#include <array>
#include <cmath>
#include <qcustomplot.h>

#include "ui/plots/run_plots.h"

namespace loralab::ui::plots {

void reset_plot(QCustomPlot* plot, bool dark) {
  plot->clearItems();
  plot->clearPlottables();
  QCPAxisRect* main = plot->axisRect(0);
  // A builder may have moved the legend into the outer layout; it lives in the main rect's inset.
  if (plot->legend->layout() != main->insetLayout()) {
    if (plot->legend->layout()) plot->legend->layout()->take(plot->legend);
    main->insetLayout()->addElement(plot->legend, Qt::AlignRight | Qt::AlignTop);
  }
  const int legend_index = int(main->insetLayout()->elements(false).indexOf(plot->legend));
  if (legend_index >= 0)
    main->insetLayout()->setInsetAlignment(legend_index, Qt::AlignRight | Qt::AlignTop);
  plot->legend->setVisible(false);
  plot->legend->clearItems();
  // A builder's margin group (heatmap: map and colour scale aligned) goes with the drawing.
  if (QCPMarginGroup* group = main->marginGroup(QCP::msBottom)) delete group;
  else if (QCPMarginGroup* top = main->marginGroup(QCP::msTop)) delete top;
  main->setMarginGroup(QCP::msAll, nullptr);
  auto* layout = plot->plotLayout();
  for (int i = layout->elementCount() - 1; i >= 0; --i) {
    QCPLayoutElement* element = layout->elementAt(i);
    if (element && element != main) layout->remove(element);
  }
  layout->simplify();
  for (QCPAxis* axis : main->axes()) {
    axis->setScaleType(QCPAxis::stLinear);
    axis->setTicker(QSharedPointer<QCPAxisTicker>::create());
    axis->setLabel(QString());
    axis->setRange(0, 1);
  }
  plot->xAxis2->setVisible(false);
  plot->yAxis2->setVisible(false);
  plot->xAxis->grid()->setVisible(true);
  plot->yAxis->grid()->setVisible(true);
  plot->setInteractions(QCP::Interactions());
  apply_theme(plot, dark);
}

void apply_theme(QCustomPlot* plot, bool dark) {
  const QColor fg = dark ? QColor(220, 220, 220) : QColor(30, 30, 30);
  const QColor grid = dark ? QColor(70, 70, 70) : QColor(220, 220, 220);
  plot->setBackground(dark ? QColor(37, 37, 38) : QColor(Qt::white));
  for (QCPAxisRect* rect : plot->axisRects()) {
    for (QCPAxis* axis : rect->axes()) {
      axis->setBasePen(QPen(fg));
      axis->setTickPen(QPen(fg));
      axis->setSubTickPen(QPen(fg));
      axis->setTickLabelColor(fg);
      axis->setLabelColor(fg);
      axis->grid()->setPen(QPen(grid, 1, Qt::DotLine));
      axis->grid()->setZeroLinePen(Qt::NoPen);
    }
  }
  plot->legend->setBrush(dark ? QColor(37, 37, 38, 220) : QColor(255, 255, 255, 220));
  plot->legend->setTextColor(fg);
  plot->legend->setBorderPen(Qt::NoPen);
}

QColor category_color(int index) {
  // Tableau 10: distinct hues that stay apart for the colour-blind as far as ten allow.
  static const std::array<QColor, 10> kColors = {
      QColor(31, 119, 180), QColor(255, 127, 14), QColor(44, 160, 44),  QColor(214, 39, 40),
      QColor(148, 103, 189), QColor(140, 86, 75), QColor(227, 119, 194), QColor(127, 127, 127),
      QColor(188, 189, 34), QColor(23, 190, 207)};
  const int n = int(kColors.size());
  const int i = ((index % n) + n) % n;
  QColor color = kColors[size_t(i)];
  return (index / n) % 2 == 1 ? color.darker(140) : color;
}

QColor sequential_color(double t) {
  // Stops of a viridis-like ramp: perceptually ordered, readable in grey print.
  static const std::array<QColor, 5> kStops = {QColor(68, 1, 84), QColor(59, 82, 139),
                                               QColor(33, 145, 140), QColor(94, 201, 98),
                                               QColor(253, 231, 37)};
  if (!std::isfinite(t)) t = 0;
  t = std::clamp(t, 0.0, 1.0) * double(kStops.size() - 1);
  const size_t i = std::min(size_t(t), kStops.size() - 2);
  const double f = t - double(i);
  const QColor& a = kStops[i];
  const QColor& b = kStops[i + 1];
  return QColor(int(std::lround(a.red() + (b.red() - a.red()) * f)),
                int(std::lround(a.green() + (b.green() - a.green()) * f)),
                int(std::lround(a.blue() + (b.blue() - a.blue()) * f)));
}

}  // namespace loralab::ui::plots
