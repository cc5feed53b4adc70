// ComparePage ("Sweeps & compare"): build a sweep and queue it, watch and steer the run queue,
// and compare runs — a sortable, filterable runs table (tags and notes editable, a column chooser,
// a config diff of two runs), the selected runs' curves overlaid, a rank × alpha heatmap of best
// validation loss and a parameters-vs-loss Pareto plot. Everything is read from the experiment
// store by the page's controller on worker threads and refreshed on a timer while the page is
// shown or the queue runs, so it follows a sweep live, including one run by `loralab-cli`.
#pragma once
#include <QWidget>
#include <functional>
#include <optional>

#include "ui/compare/compare_controller.h"
#include "ui/compare/sweep_builder.h"

class QComboBox;
class QLabel;
class QLineEdit;
class QMenu;
class QPushButton;
class QSplitter;
class QTableView;
class QTabWidget;
class QTimer;
class QToolButton;

namespace loralab::ui {

class CurvesPanel;
class HeatmapPanel;
class ParetoPanel;
class QueueView;
class RunsFilterProxy;
class RunsTableModel;
class Settings;
class TrainPage;

class ComparePage : public QWidget {
  Q_OBJECT
 public:
  static constexpr int kRefreshMs = 1500;
  // `settings` must outlive the page; `train_page` (may be null) gives the sweep's base settings.
  ComparePage(Settings& settings, TrainPage* train_page, QWidget* parent = nullptr);
  ~ComparePage() override;

  // Reads the store path and output folder from the settings again (after Preferences).
  void apply_settings();
  void refresh();  // asks for a new snapshot now
  void start_queue();  // and remember to go on with it after a restart
  // Selects these runs in the table (and so draws their curves).
  void select_runs(const std::vector<int64_t>& run_ids);
  std::vector<int64_t> selected_runs() const;  // in table order
  // Replaces where the sweep builder's base comes from (tests).
  void set_base_provider(std::function<std::optional<SweepBase>(QString*)> provider);

  CompareController* controller() const { return controller_; }
  RunsTableModel* runs_model() const { return model_; }
  RunsFilterProxy* runs_proxy() const { return proxy_; }
  QTableView* runs_view() const { return table_; }
  QLineEdit* filter_edit() const { return filter_; }
  QComboBox* sweep_combo() const { return sweep_; }
  QPushButton* compare_button() const { return compare_; }
  QMenu* columns_menu() const { return columns_menu_; }
  SweepBuilder* builder() const { return builder_; }
  QueueView* queue_view() const { return queue_; }
  CurvesPanel* curves() const { return curves_; }
  HeatmapPanel* heatmap() const { return heatmap_; }
  ParetoPanel* pareto() const { return pareto_; }
  QSplitter* left_panel() const { return left_; }
  QTabWidget* plot_tabs() const { return plot_tabs_; }
  QLabel* status_label() const { return status_; }
  int snapshots_received() const { return snapshots_; }
  int curves_received() const { return curves_answers_; }

 signals:
  void snapshot_applied();
  void curves_applied();

 protected:
  void showEvent(QShowEvent* event) override;
  void hideEvent(QHideEvent* event) override;
  void changeEvent(QEvent* event) override;

 private:
  QWidget* build_runs_area();
  void build_columns_menu();
  void set_column_hidden(int column, bool hidden);
  void connect_controller();
  void apply_snapshot(const CompareSnapshot& snapshot);
  void apply_curves(const CurvesAnswer& answer);
  void selection_changed();
  void request_curves();
  void compare_configs();
  void update_dark();
  SnapshotRequest snapshot_request() const;

  Settings& settings_;
  TrainPage* train_page_ = nullptr;
  CompareController* controller_ = nullptr;
  RunsTableModel* model_ = nullptr;
  RunsFilterProxy* proxy_ = nullptr;
  QTableView* table_ = nullptr;
  QLineEdit* filter_ = nullptr;
  QComboBox* sweep_ = nullptr;
  QToolButton* columns_ = nullptr;
  QMenu* columns_menu_ = nullptr;
  QPushButton* compare_ = nullptr;
  QLabel* status_ = nullptr;
  SweepBuilder* builder_ = nullptr;
  QueueView* queue_ = nullptr;
  CurvesPanel* curves_ = nullptr;
  HeatmapPanel* heatmap_ = nullptr;
  ParetoPanel* pareto_ = nullptr;
  QSplitter* left_ = nullptr;
  QTabWidget* plot_tabs_ = nullptr;
  QTimer* refresh_timer_ = nullptr;
  std::string heatmap_targets_;
  std::vector<int64_t> active_ids_;
  int snapshots_ = 0, curves_answers_ = 0;
  bool dark_ = false;
  bool start_when_queued_ = false, restart_when_stopped_ = false;
  bool columns_sized_ = false;
};

}  // namespace loralab::ui
