// Trainable parameters against best validation loss, the Pareto front highlighted; see
// run_plots.h.
#include <algorithm>
#include <cmath>
#include <limits>
#include <qcustomplot.h>

#include "ui/plots/run_plots.h"

namespace loralab::ui::plots {
namespace {

const QColor kFront(214, 39, 40);
const QColor kSelected(31, 119, 180);

}  // namespace

void mark_pareto_front(std::vector<ParetoRun>& runs) {
  for (ParetoRun& run : runs) {
    run.on_front = std::none_of(runs.begin(), runs.end(), [&](const ParetoRun& other) {
      return (other.trainable_params <= run.trainable_params &&
              other.best_val_loss < run.best_val_loss) ||
             (other.trainable_params < run.trainable_params &&
              other.best_val_loss <= run.best_val_loss);
    });
  }
}

ParetoDrawing draw_pareto(QCustomPlot* plot, const std::vector<ParetoRun>& runs,
                          const ParetoOptions& options) {
  reset_plot(plot, options.dark);
  ParetoDrawing drawing;
  const QColor fg = options.dark ? QColor(200, 200, 200) : QColor(90, 90, 90);
  plot->xAxis->setLabel(QObject::tr("trainable parameters"));
  plot->yAxis->setLabel(QObject::tr("best validation loss"));
  const bool log_x = options.log_x && std::all_of(runs.begin(), runs.end(), [](const ParetoRun& r) {
                       return r.trainable_params > 0;
                     });
  if (log_x) {
    plot->xAxis->setScaleType(QCPAxis::stLogarithmic);
    auto ticker = QSharedPointer<QCPAxisTickerLog>::create();
    plot->xAxis->setTicker(ticker);
    plot->xAxis->setNumberFormat("eb");
    plot->xAxis->setNumberPrecision(0);
  }

  drawing.others = plot->addGraph(plot->xAxis, plot->yAxis);
  drawing.others->setName(QObject::tr("runs"));
  drawing.others->setLineStyle(QCPGraph::lsNone);
  drawing.others->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, fg,
                                                  QColor(fg.red(), fg.green(), fg.blue(), 60), 8));
  drawing.front = plot->addGraph(plot->xAxis, plot->yAxis);
  drawing.front->setName(QObject::tr("Pareto front"));
  drawing.front->setLineStyle(QCPGraph::lsStepLeft);
  drawing.front->setPen(QPen(kFront, 1.5));
  drawing.front->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, kFront, kFront, 10));

  std::vector<const ParetoRun*> front;
  for (const ParetoRun& run : runs) {
    if (run.on_front) front.push_back(&run);
    else drawing.others->addData(run.trainable_params, run.best_val_loss);
  }
  std::sort(front.begin(), front.end(), [](const ParetoRun* a, const ParetoRun* b) {
    return a->trainable_params < b->trainable_params;
  });
  for (const ParetoRun* run : front) drawing.front->addData(run->trainable_params, run->best_val_loss);
  drawing.points = int(runs.size());

  if (options.label_front) {
    for (const ParetoRun* run : front) {
      auto* label = new QCPItemText(plot);
      label->position->setCoords(run->trainable_params, run->best_val_loss);
      label->setPositionAlignment(Qt::AlignLeft | Qt::AlignBottom);
      label->setPadding(QMargins(6, 0, 0, 4));
      label->setText(run->name);
      label->setColor(options.dark ? QColor(240, 150, 150) : kFront.darker(130));
      label->setClipToAxisRect(true);
      label->setProperty("run_id", qint64(run->run_id));
    }
  }
  if (options.selected_run) {
    for (const ParetoRun& run : runs) {
      if (run.run_id != *options.selected_run) continue;
      QCPGraph* ring = plot->addGraph(plot->xAxis, plot->yAxis);
      ring->setName(QObject::tr("selected: %1").arg(run.name));
      ring->setLineStyle(QCPGraph::lsNone);
      ring->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(kSelected, 2.5),
                                            Qt::NoBrush, 18));
      ring->addData(run.trainable_params, run.best_val_loss);
      ring->setProperty("run_id", qint64(run.run_id));
    }
  }

  if (!runs.empty()) {
    double x_low = std::numeric_limits<double>::infinity(), x_high = -x_low;
    double y_low = x_low, y_high = -x_low;
    for (const ParetoRun& run : runs) {
      x_low = std::min(x_low, run.trainable_params);
      x_high = std::max(x_high, run.trainable_params);
      y_low = std::min(y_low, run.best_val_loss);
      y_high = std::max(y_high, run.best_val_loss);
    }
    if (log_x) plot->xAxis->setRange(x_low / 1.6, x_high * 2.2);  // room for the front's names
    else {
      const double pad = std::max(1.0, (x_high - x_low) * 0.08);
      plot->xAxis->setRange(x_low - pad, x_high + pad * 2.5);
    }
    const double y_pad = std::max(1e-4, (y_high - y_low) * 0.12);
    plot->yAxis->setRange(y_low - y_pad, y_high + y_pad);
  }
  plot->legend->setVisible(!runs.empty());
  plot->legend->setFont(plot->font());
  // The empty corner of the plot: few params with a high loss never sits on the front.
  plot->axisRect(0)->insetLayout()->setInsetAlignment(0, Qt::AlignLeft | Qt::AlignTop);
  if (drawing.others->dataCount() == 0) drawing.others->removeFromLegend();
  return drawing;
}

std::optional<int64_t> pareto_run_at(const QCustomPlot* plot, const std::vector<ParetoRun>& runs,
                                     const QPointF& pixel, double max_distance_px) {
  std::optional<int64_t> best;
  double best_distance = max_distance_px;
  for (const ParetoRun& run : runs) {
    const double px = plot->xAxis->coordToPixel(run.trainable_params);
    const double py = plot->yAxis->coordToPixel(run.best_val_loss);
    const double distance = std::hypot(px - pixel.x(), py - pixel.y());
    if (distance <= best_distance) {
      best_distance = distance;
      best = run.run_id;
    }
  }
  return best;
}

}  // namespace loralab::ui::plots
