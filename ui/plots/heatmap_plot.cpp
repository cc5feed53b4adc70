// Best validation loss over rank × alpha as a colour map with value labels; see run_plots.h.
#include <algorithm>
#include <cmath>
#include <limits>
#include <qcustomplot.h>

#include "ui/plots/run_plots.h"

namespace loralab::ui::plots {
namespace {

QString alpha_text(double alpha) { return QString::number(alpha, 'g', 6); }

QCPColorGradient loss_gradient() {
  // Low loss (good) bright, high loss dark: the eye goes to the best cells first.
  QCPColorGradient gradient;
  gradient.clearColorStops();
  for (int i = 0; i <= 4; ++i) gradient.setColorStopAt(i / 4.0, sequential_color(1.0 - i / 4.0));
  gradient.setNanHandling(QCPColorGradient::nhTransparent);
  return gradient;
}

// A category axis: index i at coordinate i, labelled with its value.
void set_category_ticks(QCPAxis* axis, const QStringList& labels) {
  auto ticker = QSharedPointer<QCPAxisTickerText>::create();
  for (int i = 0; i < labels.size(); ++i) ticker->addTick(i, labels[i]);
  axis->setTicker(ticker);
  axis->setSubTicks(false);
  axis->setRange(-0.5, labels.size() - 0.5);
  axis->grid()->setVisible(false);
}

}  // namespace

double HeatmapDrawing::value_at(int rank_index, int alpha_index) const {
  if (!map || rank_index < 0 || alpha_index < 0 || rank_index >= ranks.size() ||
      alpha_index >= alphas.size())
    return std::numeric_limits<double>::quiet_NaN();
  // A single category is stored twice (see below); its first cell holds the value.
  return map->data()->cell(ranks.size() == 1 ? 0 : rank_index,
                           alphas.size() == 1 ? 0 : alpha_index);
}

HeatmapDrawing draw_rank_alpha_heatmap(QCustomPlot* plot, const std::vector<HeatmapCell>& cells,
                                       const HeatmapOptions& options) {
  reset_plot(plot, options.dark);
  HeatmapDrawing drawing;
  plot->xAxis->setLabel(QObject::tr("rank"));
  plot->yAxis->setLabel(QObject::tr("alpha"));
  if (!options.title.isEmpty()) {
    plot->plotLayout()->insertRow(0);
    auto* title = new QCPTextElement(plot, options.title, QFont(plot->font().family(), -1, QFont::Bold));
    title->setTextColor(options.dark ? QColor(220, 220, 220) : QColor(30, 30, 30));
    plot->plotLayout()->addElement(0, 0, title);
  }
  for (const HeatmapCell& cell : cells) {
    if (!drawing.ranks.contains(cell.rank)) drawing.ranks.push_back(cell.rank);
    if (!drawing.alphas.contains(cell.alpha)) drawing.alphas.push_back(cell.alpha);
  }
  std::sort(drawing.ranks.begin(), drawing.ranks.end());
  std::sort(drawing.alphas.begin(), drawing.alphas.end());
  if (cells.empty()) {
    auto* empty = new QCPItemText(plot);
    empty->position->setType(QCPItemPosition::ptAxisRectRatio);
    empty->position->setCoords(0.5, 0.5);
    empty->setText(QObject::tr("No finished runs with a validation loss for this target set"));
    empty->setColor(options.dark ? QColor(200, 200, 200) : QColor(90, 90, 90));
    return drawing;
  }
  const int nx = int(drawing.ranks.size());
  const int ny = int(drawing.alphas.size());

  drawing.map = new QCPColorMap(plot->xAxis, plot->yAxis);
  drawing.map->setName(options.value_label);
  // QCustomPlot draws a map of one cell per dimension with no width: a single category is stored
  // as two half-width cells that together cover [-0.5, 0.5].
  const int kx = nx == 1 ? 2 : nx;
  const int ky = ny == 1 ? 2 : ny;
  drawing.map->data()->setSize(kx, ky);
  drawing.map->data()->setRange(nx == 1 ? QCPRange(-0.25, 0.25) : QCPRange(0, nx - 1),
                                ny == 1 ? QCPRange(-0.25, 0.25) : QCPRange(0, ny - 1));
  drawing.map->data()->fill(std::numeric_limits<double>::quiet_NaN());
  double low = std::numeric_limits<double>::infinity();
  double high = -low;
  for (const HeatmapCell& cell : cells) {
    const int x = int(drawing.ranks.indexOf(cell.rank));
    const int y = int(drawing.alphas.indexOf(cell.alpha));
    for (int dx = 0; dx < (nx == 1 ? 2 : 1); ++dx)
      for (int dy = 0; dy < (ny == 1 ? 2 : 1); ++dy)
        drawing.map->data()->setCell(x + dx, y + dy, cell.value);
    low = std::min(low, cell.value);
    high = std::max(high, cell.value);
  }
  if (!(high > low)) high = low + 1e-6;
  drawing.map->setInterpolate(false);
  drawing.map->setTightBoundary(false);
  drawing.map->setGradient(loss_gradient());
  drawing.map->setDataRange(QCPRange(low, high));

  auto* scale = new QCPColorScale(plot);
  const int map_row = options.title.isEmpty() ? 0 : 1;
  plot->plotLayout()->addElement(map_row, 1, scale);
  scale->setType(QCPAxis::atRight);
  scale->setGradient(loss_gradient());
  scale->setDataRange(QCPRange(low, high));
  scale->axis()->setLabel(options.value_label);
  scale->setBarWidth(14);
  drawing.map->setColorScale(scale);
  auto* margins = new QCPMarginGroup(plot);
  plot->axisRect(0)->setMarginGroup(QCP::msBottom | QCP::msTop, margins);
  scale->setMarginGroup(QCP::msBottom | QCP::msTop, margins);
  apply_theme(plot, options.dark);  // the scale's axis too

  QStringList rank_labels, alpha_labels;
  for (int64_t rank : drawing.ranks) rank_labels << QString::number(rank);
  for (double alpha : drawing.alphas) alpha_labels << alpha_text(alpha);
  set_category_ticks(plot->xAxis, rank_labels);
  set_category_ticks(plot->yAxis, alpha_labels);

  if (options.value_labels) {
    QFont font = plot->font();
    font.setPointSizeF(std::max(7.0, font.pointSizeF() * (nx * ny > 36 ? 0.8 : 1.0)));
    for (const HeatmapCell& cell : cells) {
      const int x = int(drawing.ranks.indexOf(cell.rank));
      const int y = int(drawing.alphas.indexOf(cell.alpha));
      auto* label = new QCPItemText(plot);
      label->position->setCoords(x, y);
      QString text = QString::number(cell.value, 'f', 3);
      if (cell.runs > 1) text += QObject::tr("\n(%1 runs)").arg(cell.runs);
      label->setText(text);
      label->setFont(font);
      label->setClipToAxisRect(true);
      // Bright cells (low loss) get dark text, dark cells light text.
      const QColor cell_color(drawing.map->gradient().color(cell.value, QCPRange(low, high)));
      const double luminance =
          0.299 * cell_color.red() + 0.587 * cell_color.green() + 0.114 * cell_color.blue();
      label->setColor(luminance > 128 ? QColor(20, 20, 20) : QColor(250, 250, 250));
      label->setProperty("run_id", qint64(cell.run_id));
    }
  }
  return drawing;
}

}  // namespace loralab::ui::plots
