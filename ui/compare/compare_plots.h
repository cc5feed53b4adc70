// The Sweeps & compare page's three plots, each a QCustomPlot with its controls, filled by the
// shared builders in ui/plots from data the page passes in (no store access here):
//   CurvesPanel  — overlaid loss curves of the selected runs: colour by a hyperparameter,
//                  smoothing slider, x by step / tokens / wall time, validation on or off.
//   HeatmapPanel — best validation loss over rank × alpha for a chosen target set.
//   ParetoPanel  — trainable parameters against best validation loss; a click selects a run.
#pragma once
#include <QWidget>
#include <optional>
#include <vector>

#include "loralab/store.h"
#include "ui/plots/run_plots.h"

class QCheckBox;
class QComboBox;
class QCustomPlot;
class QLabel;
class QSlider;

namespace loralab::ui {

class CurvesPanel : public QWidget {
  Q_OBJECT
 public:
  explicit CurvesPanel(QWidget* parent = nullptr);
  // The runs to draw (in legend order) and their curves as the store gave them.
  void set_curves(const std::vector<RunRecord>& runs, const std::vector<CurveSeries>& train,
                  const std::vector<CurveSeries>& validation);
  CurveAxis axis() const;
  void set_dark(bool dark);
  void redraw();

  QCustomPlot* plot() const { return plot_; }
  QComboBox* color_by_combo() const { return color_by_; }
  QComboBox* x_axis_combo() const { return x_axis_; }
  QSlider* smoothing_slider() const { return smoothing_; }
  QCheckBox* validation_box() const { return validation_; }
  const plots::CurveDrawing& drawing() const { return drawing_; }
  // Run ids of the train curves drawn, in legend order.
  std::vector<int64_t> drawn_runs() const;

 signals:
  void axis_changed();  // the page fetches the curves again in the new unit

 private:
  QCustomPlot* plot_ = nullptr;
  QComboBox *color_by_ = nullptr, *x_axis_ = nullptr;
  QSlider* smoothing_ = nullptr;
  QLabel* smoothing_value_ = nullptr;
  QCheckBox *validation_ = nullptr, *log_y_ = nullptr;
  QLabel* hint_ = nullptr;
  std::vector<RunRecord> runs_;
  std::vector<CurveSeries> train_, validation_series_;
  plots::CurveDrawing drawing_;
  bool dark_ = false;
};

class HeatmapPanel : public QWidget {
  Q_OBJECT
 public:
  explicit HeatmapPanel(QWidget* parent = nullptr);
  // Target sets to offer and the one `cells` belong to.
  void set_data(const std::vector<std::string>& target_sets, const std::string& targets,
                const std::vector<RankAlphaCell>& cells);
  QString chosen_targets() const;  // "" until the person picks one
  void set_dark(bool dark);
  QCustomPlot* plot() const { return plot_; }
  QComboBox* targets_combo() const { return targets_; }
  const plots::HeatmapDrawing& drawing() const { return drawing_; }

 signals:
  void targets_chosen(const QString& targets);

 private:
  void redraw();
  QCustomPlot* plot_ = nullptr;
  QComboBox* targets_ = nullptr;
  std::string targets_shown_;
  std::vector<RankAlphaCell> cells_;
  plots::HeatmapDrawing drawing_;
  bool dark_ = false;
};

class ParetoPanel : public QWidget {
  Q_OBJECT
 public:
  explicit ParetoPanel(QWidget* parent = nullptr);
  void set_data(const std::vector<RunRecord>& runs, const std::vector<ParetoPoint>& front);
  void set_selected(std::optional<int64_t> run_id);
  void set_dark(bool dark);
  QCustomPlot* plot() const { return plot_; }
  const std::vector<plots::ParetoRun>& points() const { return points_; }
  // What a click at `pixel` (plot coordinates) selects; emits run_clicked when it hits a point.
  std::optional<int64_t> click_at(const QPointF& pixel);

 signals:
  void run_clicked(qint64 run_id);

 private:
  void redraw();
  QCustomPlot* plot_ = nullptr;
  QLabel* hint_ = nullptr;
  std::vector<plots::ParetoRun> points_;
  std::optional<int64_t> selected_;
  bool dark_ = false;
};

}  // namespace loralab::ui
