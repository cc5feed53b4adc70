// Plot builders shared by the Sweeps & compare page and the report renderer: each fills a given
// QCustomPlot from plain data (no store access, no widgets around it), so the app and a report
// rendered offscreen at print resolution look the same.
//
//   draw_curves()             overlaid loss curves of several runs: legend with run names, colour
//                             by a hyperparameter, EMA smoothing, x by step / tokens / wall time,
//                             validation points on or off.
//   draw_rank_alpha_heatmap() best validation loss over rank × alpha (QCPColorMap, value labels,
//                             colour scale).
//   draw_pareto()             trainable parameters against best validation loss, front highlighted;
//                             pareto_run_at() maps a click to a run.
//
// Each builder clears the plot it is given (graphs, items, extra layout elements) and leaves it
// ready to replot; call plot->replot() or savePng()/toPixmap() afterwards. Every graph / point a
// builder draws for a run carries the Qt property "run_id" (qint64).
#pragma once
#include <QColor>
#include <QString>
#include <QVector>
#include <cstdint>
#include <optional>
#include <vector>

class QCustomPlot;
class QCPColorMap;
class QCPGraph;
class QPointF;

namespace loralab::ui::plots {

// ---- shared look --------------------------------------------------------------------------------

// Removes graphs, plottables, items, colour scales and legend placement a builder added, resets
// axes to linear with default tickers, and applies the light or dark look.
void reset_plot(QCustomPlot* plot, bool dark);
void apply_theme(QCustomPlot* plot, bool dark);
// A qualitative colour per index (10 distinct hues, then repeats with a darker shade).
QColor category_color(int index);
// A sequential colour for t in [0, 1] (dark blue → teal → yellow, readable on white and dark).
QColor sequential_color(double t);

// ---- overlaid curves ----------------------------------------------------------------------------

enum class CurveXAxis { Step, Tokens, WallTime };

struct CurveRun {
  int64_t run_id = 0;
  QString name;         // legend text
  QString color_value;  // the colour-by hyperparameter's value as text ("8", "all-linear"); may be empty
  QVector<double> train_x, train_y;  // train loss against the chosen x unit, x ascending
  QVector<double> val_x, val_y;      // validation loss, same x unit
};

struct CurveOptions {
  CurveXAxis x_axis = CurveXAxis::Step;
  // EMA weight in [0, 1): 0 draws the raw loss; 0.9 averages over ~10 points (bias-corrected so the
  // start of a curve is not pulled to zero).
  double smoothing = 0;
  bool show_train = true;
  bool show_validation = true;
  QString color_by;  // hyperparameter name ("rank"); empty: one colour per run
  bool log_y = false;
  bool dark = false;
  int max_legend_runs = 16;  // more runs: the legend lists colour groups instead of run names
  int legend_columns = 3;    // the legend sits below the plot, this many entries a row
};

// What draw_curves() drew, for callers that want to know (tests, hover read-outs).
struct CurveDrawing {
  QVector<QCPGraph*> train_graphs;  // one per run with train points, in input order
  QVector<QCPGraph*> val_graphs;    // one per run with validation points, in input order
  QVector<QPair<QString, QColor>> color_groups;  // colour-by value → colour, in legend order
};

CurveDrawing draw_curves(QCustomPlot* plot, const std::vector<CurveRun>& runs,
                         const CurveOptions& options);
// Bias-corrected exponential moving average (TensorBoard-style); `weight` in [0, 1).
QVector<double> smooth_ema(const QVector<double>& values, double weight);
QString curve_axis_label(CurveXAxis axis);
// Colour-by values in display order: numerically when every value is a number, else as text.
QStringList ordered_color_values(const std::vector<CurveRun>& runs);

// ---- rank × alpha heatmap ------------------------------------------------------------------------

struct HeatmapCell {
  int64_t rank = 0;
  double alpha = 0;
  double value = 0;  // best validation loss
  int64_t run_id = 0;
  int64_t runs = 0;  // runs that fell into the cell
};

struct HeatmapOptions {
  QString title;                             // e.g. "targets: q_proj+v_proj"; empty: none
  QString value_label = "best val loss";     // colour scale label
  bool value_labels = true;                  // print each cell's value in it
  bool dark = false;
};

// Ranks on x and alphas on y as evenly spaced categories (index i sits at coordinate i), each
// with its value as tick label; cells without a run stay transparent.
struct HeatmapDrawing {
  QCPColorMap* map = nullptr;  // nullptr when there were no cells
  QVector<int64_t> ranks;      // x categories, ascending
  QVector<double> alphas;      // y categories, ascending
  // The value drawn at (rank index, alpha index); NaN for an empty cell.
  double value_at(int rank_index, int alpha_index) const;
};

HeatmapDrawing draw_rank_alpha_heatmap(QCustomPlot* plot, const std::vector<HeatmapCell>& cells,
                                       const HeatmapOptions& options);

// ---- Pareto plot ----------------------------------------------------------------------------------

struct ParetoRun {
  int64_t run_id = 0;
  QString name;
  double trainable_params = 0;
  double best_val_loss = 0;
  bool on_front = false;
};

struct ParetoOptions {
  bool log_x = true;                       // parameters span orders of magnitude
  std::optional<int64_t> selected_run;     // drawn with a ring
  bool label_front = true;                 // names next to the front's points
  bool dark = false;
};

struct ParetoDrawing {
  QCPGraph* others = nullptr;  // runs off the front
  QCPGraph* front = nullptr;   // the front, joined by a step line
  int points = 0;
};

ParetoDrawing draw_pareto(QCustomPlot* plot, const std::vector<ParetoRun>& runs,
                          const ParetoOptions& options);
// Sets on_front for the runs not beaten on both params and loss (fewer-or-equal params and
// strictly lower loss, or strictly fewer params and lower-or-equal loss). For callers without a
// store query at hand; the store's pareto_front() gives the same set.
void mark_pareto_front(std::vector<ParetoRun>& runs);
// The run whose point lies nearest to `pixel` within `max_distance_px`, from a plot that
// draw_pareto() filled; empty when none is that close.
std::optional<int64_t> pareto_run_at(const QCustomPlot* plot, const std::vector<ParetoRun>& runs,
                                     const QPointF& pixel, double max_distance_px = 10);

}  // namespace loralab::ui::plots
