// The Sweeps & compare page; see compare_page.h.
#include "ui/compare/compare_page.h"

#include <QAction>
#include <QComboBox>
#include <QDir>
#include <QGroupBox>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QShowEvent>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QTime>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

#include "loralab/store.h"
#include "ui/compare/compare_plots.h"
#include "ui/compare/config_diff.h"
#include "ui/compare/queue_view.h"
#include "ui/compare/runs_model.h"
#include "ui/settings.h"
#include "ui/train/train_page.h"

namespace loralab::ui {
namespace {

// The Train page's request as the base of a sweep.
std::optional<SweepBase> base_from_train_page(TrainPage* page, QString* why) {
  if (!page) {
    *why = QObject::tr("No Train page to take the base settings from");
    return std::nullopt;
  }
  auto request = page->build_request();
  if (!request) {
    *why = QObject::tr("The Train page's settings are refused (see the message there); the sweep "
                       "starts from them.");
    return std::nullopt;
  }
  SweepBase base;
  base.spec = request->spec;
  base.model_dir = request->model_dir;
  const TrainSpec& s = base.spec;
  base.summary = QObject::tr("%1 · %2 · %3 × batch %4 × %5 tokens · lr %6")
                     .arg(QFileInfo(base.model_dir).fileName(),
                          QFileInfo(QString::fromStdString(s.data.path)).fileName(),
                          s.steps > 0 ? QObject::tr("%1 steps").arg(s.steps)
                                      : QObject::tr("%1 epochs").arg(s.epochs))
                     .arg(s.batch)
                     .arg(s.seq_len)
                     .arg(s.lr, 0, 'g', 3);
  return base;
}

}  // namespace

ComparePage::ComparePage(Settings& settings, TrainPage* train_page, QWidget* parent)
    : QWidget(parent), settings_(settings), train_page_(train_page) {
  setObjectName("compare_page");
  controller_ = new CompareController(this);

  builder_ = new SweepBuilder;
  builder_->set_base_provider([this](QString* why) { return base_from_train_page(train_page_, why); });
  builder_->set_form_state(settings_.compare_sweep_form());
  queue_ = new QueueView;
  // Left: the sweep form above the queue it feeds.
  auto* scroll = new QScrollArea;
  scroll->setWidget(builder_);
  scroll->setWidgetResizable(true);
  scroll->setFrameShape(QFrame::NoFrame);
  // The form scrolls up and down, never sideways: the column is as wide as the form needs.
  scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  scroll->setMinimumWidth(builder_->minimumSizeHint().width() +
                          scroll->verticalScrollBar()->sizeHint().width());
  auto* sweep_box = new QGroupBox(tr("New sweep"));
  (new QVBoxLayout(sweep_box))->addWidget(scroll);
  auto* queue_box = new QGroupBox(tr("Queue"));
  (new QVBoxLayout(queue_box))->addWidget(queue_);
  for (auto* box : {sweep_box, queue_box}) box->layout()->setContentsMargins(4, 4, 4, 4);
  left_ = new QSplitter(Qt::Vertical);
  left_->setObjectName("compare_left");
  left_->addWidget(sweep_box);
  left_->addWidget(queue_box);
  left_->setStretchFactor(0, 3);
  left_->setStretchFactor(1, 2);

  auto* split = new QSplitter(Qt::Horizontal, this);
  split->addWidget(left_);
  split->addWidget(build_runs_area());
  split->setStretchFactor(0, 0);
  split->setStretchFactor(1, 1);
  split->setSizes({360, 900});
  auto* layout = new QHBoxLayout(this);
  layout->setContentsMargins(6, 6, 6, 6);
  layout->addWidget(split);

  refresh_timer_ = new QTimer(this);
  refresh_timer_->setInterval(kRefreshMs);
  connect(refresh_timer_, &QTimer::timeout, this, [this] {
    if (isVisible() || controller_->queue_working()) refresh();
  });
  refresh_timer_->start();
  connect_controller();
  update_dark();
  apply_settings();
  // The queue was being worked when the app last closed (or crashed): go on with it.
  if (settings_.compare_queue_working()) controller_->start_queue(settings_.compare_queue_run());
}

ComparePage::~ComparePage() {
  settings_.set_compare_sweep_form(builder_->form_state());
}

QWidget* ComparePage::build_runs_area() {
  auto* area = new QWidget;
  auto* layout = new QVBoxLayout(area);
  layout->setContentsMargins(0, 0, 0, 0);
  auto* bar = new QHBoxLayout;
  bar->addWidget(new QLabel(tr("Show"), area));
  sweep_ = new QComboBox(area);
  sweep_->setObjectName("sweep_scope");
  sweep_->addItem(tr("All runs"), QVariant());
  sweep_->setSizeAdjustPolicy(QComboBox::AdjustToContents);
  bar->addWidget(sweep_);
  filter_ = new QLineEdit(area);
  filter_->setObjectName("runs_filter");
  filter_->setPlaceholderText(tr("Filter: words, or rank>=8 alpha=16 status=done tags=keep"));
  filter_->setClearButtonEnabled(true);
  bar->addWidget(filter_, 1);
  columns_ = new QToolButton(area);
  columns_->setText(tr("Columns"));
  columns_->setPopupMode(QToolButton::InstantPopup);
  bar->addWidget(columns_);
  compare_ = new QPushButton(tr("Compare configs"), area);
  compare_->setObjectName("compare_configs");
  compare_->setToolTip(tr("Select two runs to see how their training configurations differ"));
  compare_->setEnabled(false);
  bar->addWidget(compare_);
  layout->addLayout(bar);

  model_ = new RunsTableModel(this);
  proxy_ = new RunsFilterProxy(this);
  proxy_->setSourceModel(model_);
  table_ = new QTableView(area);
  table_->setObjectName("runs_table");
  table_->setModel(proxy_);
  table_->setSortingEnabled(true);
  table_->sortByColumn(RunsTableModel::kId, Qt::AscendingOrder);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->setSelectionMode(QAbstractItemView::ExtendedSelection);
  table_->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed |
                          QAbstractItemView::SelectedClicked);
  table_->setAlternatingRowColors(true);
  table_->verticalHeader()->setVisible(false);
  table_->verticalHeader()->setDefaultSectionSize(table_->fontMetrics().height() + 8);
  table_->horizontalHeader()->setSectionsMovable(true);
  table_->horizontalHeader()->setStretchLastSection(true);
  table_->horizontalHeader()->setContextMenuPolicy(Qt::CustomContextMenu);
  table_->setColumnWidth(RunsTableModel::kId, 44);
  table_->setColumnWidth(RunsTableModel::kName, 230);
  table_->setColumnWidth(RunsTableModel::kStatus, 70);
  for (int column : {RunsTableModel::kRank, RunsTableModel::kAlpha, RunsTableModel::kLr})
    table_->setColumnWidth(column, 52);
  table_->setColumnWidth(RunsTableModel::kTargets, 110);
  build_columns_menu();

  status_ = new QLabel(area);
  status_->setObjectName("compare_status");
  status_->setWordWrap(true);

  curves_ = new CurvesPanel;
  heatmap_ = new HeatmapPanel;
  pareto_ = new ParetoPanel;
  plot_tabs_ = new QTabWidget;
  plot_tabs_->addTab(heatmap_, tr("Rank × alpha"));
  plot_tabs_->addTab(pareto_, tr("Params vs loss"));
  auto* plots = new QSplitter(Qt::Horizontal);
  plots->addWidget(curves_);
  plots->addWidget(plot_tabs_);
  plots->setSizes({520, 420});
  auto* vertical = new QSplitter(Qt::Vertical);
  auto* table_box = new QWidget;
  auto* table_layout = new QVBoxLayout(table_box);
  table_layout->setContentsMargins(0, 0, 0, 0);
  table_layout->addWidget(table_, 1);
  table_layout->addWidget(status_);
  vertical->addWidget(table_box);
  vertical->addWidget(plots);
  vertical->setStretchFactor(0, 2);
  vertical->setStretchFactor(1, 3);
  layout->addWidget(vertical, 1);

  connect(filter_, &QLineEdit::textChanged, this, [this](const QString& text) {
    proxy_->set_filter_text(text);
    filter_->setToolTip(proxy_->filter_error());
    filter_->setStyleSheet(proxy_->filter_error().isEmpty() ? QString() : "color: #c03030;");
  });
  connect(sweep_, &QComboBox::activated, this, [this] { refresh(); });
  connect(table_->selectionModel(), &QItemSelectionModel::selectionChanged, this,
          &ComparePage::selection_changed);
  connect(compare_, &QPushButton::clicked, this, &ComparePage::compare_configs);
  connect(model_, &RunsTableModel::tags_edited, controller_,
          [this](qint64 id, const QStringList& tags) { controller_->set_tags(id, tags); });
  connect(model_, &RunsTableModel::notes_edited, controller_,
          [this](qint64 id, const QString& notes) { controller_->set_notes(id, notes); });
  connect(curves_, &CurvesPanel::axis_changed, this, &ComparePage::request_curves);
  connect(heatmap_, &HeatmapPanel::targets_chosen, this, [this](const QString& targets) {
    heatmap_targets_ = targets.toStdString();
    refresh();
  });
  connect(pareto_, &ParetoPanel::run_clicked, this, [this](qint64 id) { select_runs({id}); });
  return area;
}

void ComparePage::build_columns_menu() {
  columns_menu_ = new QMenu(this);
  const QStringList hidden = settings_.has_compare_hidden_columns()
                                 ? settings_.compare_hidden_columns()
                                 : [] {
                                     QStringList keys;
                                     for (int c : RunsTableModel::default_hidden_columns())
                                       keys << RunsTableModel::column_key(c);
                                     return keys;
                                   }();
  for (int column = 0; column < RunsTableModel::kColumnCount; ++column) {
    auto* action = columns_menu_->addAction(
        model_->headerData(column, Qt::Horizontal, Qt::DisplayRole).toString());
    action->setCheckable(true);
    action->setData(column);
    const bool is_hidden = hidden.contains(RunsTableModel::column_key(column));
    action->setChecked(!is_hidden);
    table_->setColumnHidden(column, is_hidden);
    connect(action, &QAction::toggled, this, [this, column](bool shown) {
      set_column_hidden(column, !shown);
    });
  }
  columns_->setMenu(columns_menu_);
  connect(table_->horizontalHeader(), &QWidget::customContextMenuRequested, this,
          [this](const QPoint& pos) { columns_menu_->popup(table_->horizontalHeader()->mapToGlobal(pos)); });
}

void ComparePage::set_column_hidden(int column, bool hidden) {
  // Keep at least one column: a table with none cannot be brought back by its header menu.
  int shown = 0;
  for (int c = 0; c < RunsTableModel::kColumnCount; ++c) shown += table_->isColumnHidden(c) ? 0 : 1;
  if (hidden && shown <= 1) {
    for (QAction* action : columns_menu_->actions())
      if (action->data().toInt() == column) {
        const QSignalBlocker block(action);
        action->setChecked(true);
      }
    return;
  }
  table_->setColumnHidden(column, hidden);
  QStringList keys;
  for (int c = 0; c < RunsTableModel::kColumnCount; ++c)
    if (table_->isColumnHidden(c)) keys << RunsTableModel::column_key(c);
  settings_.set_compare_hidden_columns(keys);
}

void ComparePage::connect_controller() {
  connect(controller_, &CompareController::snapshot_ready, this, &ComparePage::apply_snapshot);
  connect(controller_, &CompareController::curves_ready, this, &ComparePage::apply_curves);
  connect(controller_, &CompareController::changed, this, &ComparePage::refresh);
  connect(controller_, &CompareController::write_failed, this, [this](const QString& message) {
    status_->setText(message);
    status_->setStyleSheet("color: #c03030;");
    refresh();  // show the store's values again instead of the refused edit
  });
  connect(controller_, &CompareController::sweep_queued, this, [this](qint64 sweep_id, int runs) {
    status_->setStyleSheet(QString());
    status_->setText(tr("Sweep %1 queued: %2 runs").arg(sweep_id).arg(runs));
    // Show the new sweep's runs in the table once the combo knows it.
    sweep_->setProperty("pending_sweep", sweep_id);
    if (start_when_queued_) {
      start_when_queued_ = false;
      // A runner that is just running dry may miss the new runs: start it again when it stops.
      if (controller_->queue_working()) restart_when_stopped_ = true;
      start_queue();
    }
  });
  connect(builder_, &SweepBuilder::queue_requested, this,
          [this](const SweepRequest& request, const SweepPlan& plan, bool start_now) {
            // The queue starts once the store has the runs (sweep_queued), not before.
            start_when_queued_ = start_now;
            controller_->enqueue_sweep(request, plan);
          });
  connect(builder_, &SweepBuilder::edited, this,
          [this] { settings_.set_compare_sweep_form(builder_->form_state()); });

  connect(queue_, &QueueView::start_requested, this, &ComparePage::start_queue);
  connect(queue_, &QueueView::stop_requested, this, [this] {
    restart_when_stopped_ = false;
    settings_.set_compare_queue_working(false);
    controller_->stop_queue();
  });
  connect(queue_, &QueueView::cancel_requested, this, [this](const std::vector<int64_t>& ids) {
    for (int64_t id : ids) controller_->cancel_run(id);
  });
  connect(queue_, &QueueView::move_requested, controller_, &CompareController::move_in_queue);
  connect(queue_, &QueueView::retry_requested, controller_, &CompareController::requeue);
  connect(controller_, &CompareController::queue_working_changed, this, [this](bool working) {
    queue_->set_working(working);
    refresh();
  });
  connect(controller_, &CompareController::run_started, this, [this](qint64 id, const QString&) {
    settings_.set_compare_queue_run(id);
    refresh();
  });
  connect(controller_, &CompareController::run_progress, this,
          [this](qint64 id, qint64 step, qint64 total, double loss, double, double eta) {
            queue_->set_progress(id, step, total, loss, eta);
          });
  connect(controller_, &CompareController::run_evaluated, this, [this] { refresh(); });
  connect(controller_, &CompareController::run_finished, this,
          [this](qint64 id, const QString& status, const QString& message) {
            queue_->clear_progress(id);
            settings_.set_compare_queue_run(0);
            if (status == "failed") {
              status_->setStyleSheet("color: #c03030;");
              status_->setText(tr("Run %1 failed: %2").arg(id).arg(message));
            }
            refresh();
          });
  connect(controller_, &CompareController::queue_stopped, this,
          [this](qint64 left, bool by_request, const QString& error) {
            if (restart_when_stopped_ && !by_request && error.isEmpty()) {
              restart_when_stopped_ = false;
              start_queue();
              return;
            }
            if (!by_request) settings_.set_compare_queue_working(false);
            if (!error.isEmpty()) {
              status_->setStyleSheet("color: #c03030;");
              status_->setText(tr("The queue stopped: %1").arg(error));
            } else if (left == 0 && !by_request) {
              status_->setStyleSheet(QString());
              status_->setText(tr("The queue is done."));
            }
            refresh();
          });
}

void ComparePage::apply_settings() {
  const QString store = settings_.store_path().isEmpty()
                            ? QString::fromStdString(default_store_path())
                            : settings_.store_path();
  controller_->set_store_path(store);
  builder_->set_out_root(QDir(settings_.output_root()).filePath("sweeps"));
  refresh();
}

void ComparePage::start_queue() {
  settings_.set_compare_queue_working(true);
  controller_->start_queue();
}

void ComparePage::set_base_provider(std::function<std::optional<SweepBase>(QString*)> provider) {
  builder_->set_base_provider(std::move(provider));
}

SnapshotRequest ComparePage::snapshot_request() const {
  SnapshotRequest request;
  const QVariant sweep = sweep_->currentData();
  if (sweep.isValid()) request.sweep_id = sweep.toLongLong();
  request.heatmap_targets = heatmap_targets_;
  return request;
}

void ComparePage::refresh() { controller_->request_snapshot(snapshot_request()); }

void ComparePage::apply_snapshot(const CompareSnapshot& snapshot) {
  ++snapshots_;
  if (!snapshot.error.isEmpty()) {
    status_->setStyleSheet("color: #c03030;");
    status_->setText(tr("Cannot read the experiment store %1: %2")
                         .arg(controller_->store_path(), snapshot.error));
    emit snapshot_applied();
    return;
  }
  // Sweeps for the scope combo (newest first), keeping the choice.
  const QVariant chosen = sweep_->property("pending_sweep").isValid()
                              ? sweep_->property("pending_sweep")
                              : sweep_->currentData();
  sweep_->setProperty("pending_sweep", QVariant());
  {
    const QSignalBlocker block(sweep_);
    while (sweep_->count() > 1) sweep_->removeItem(1);
    for (auto it = snapshot.sweeps.rbegin(); it != snapshot.sweeps.rend(); ++it)
      sweep_->addItem(tr("Sweep %1: %2").arg(it->id).arg(QString::fromStdString(it->name)),
                      qint64(it->id));
    const int index = chosen.isValid() ? sweep_->findData(chosen) : 0;
    sweep_->setCurrentIndex(std::max(0, index));
  }
  // A new sweep was chosen (or queued) after this snapshot was asked for: ask again.
  if (snapshot_request().sweep_id != snapshot.sweep_id) refresh();
  model_->set_runs(snapshot.runs);
  if (!columns_sized_ && model_->rowCount() > 0) {
    // Fit the columns to the first runs shown; a long name should not push the figures away.
    table_->resizeColumnsToContents();
    table_->setColumnWidth(RunsTableModel::kName, std::min(table_->columnWidth(RunsTableModel::kName), 280));
    columns_sized_ = true;
  }
  queue_->set_runs(snapshot.active, snapshot.queued, snapshot.attention);
  heatmap_->set_data(snapshot.target_sets, snapshot.heatmap_targets, snapshot.heatmap);
  pareto_->set_data(snapshot.runs, snapshot.front);
  int measured = 0;
  for (const RunRecord& run : snapshot.runs)
    measured += run.status == RunStatus::Done && run.tokens_per_second ? 1 : 0;
  builder_->set_measured_tokens_per_second(snapshot.median_tokens_per_second, measured);

  // Curves of selected runs that are still training move on: fetch them again.
  std::vector<int64_t> active;
  for (const RunRecord& run : snapshot.active) active.push_back(run.id);
  bool selected_active = false;
  for (int64_t id : selected_runs())
    if (std::count(active.begin(), active.end(), id) || std::count(active_ids_.begin(), active_ids_.end(), id))
      selected_active = true;
  active_ids_ = active;
  if (selected_active) request_curves();

  if (status_->styleSheet().isEmpty() || snapshots_ % 20 == 0) {
    status_->setStyleSheet(QString());
    int done = 0;
    for (const RunRecord& run : snapshot.runs) done += run.status == RunStatus::Done ? 1 : 0;
    status_->setText(tr("%1 runs (%2 done, %3 shown) · %4 queued · %5 · updated %6")
                         .arg(snapshot.runs.size())
                         .arg(done)
                         .arg(proxy_->rowCount())
                         .arg(snapshot.queued.size())
                         .arg(QDir::toNativeSeparators(controller_->store_path()))
                         .arg(QTime::currentTime().toString("hh:mm:ss")));
  }
  emit snapshot_applied();
}

std::vector<int64_t> ComparePage::selected_runs() const {
  std::vector<std::pair<int, int64_t>> rows;
  for (const QModelIndex& index : table_->selectionModel()->selectedRows())
    rows.emplace_back(index.row(), index.data(RunsTableModel::kRunIdRole).toLongLong());
  std::sort(rows.begin(), rows.end());
  std::vector<int64_t> ids;
  for (const auto& [row, id] : rows) ids.push_back(id);
  return ids;
}

void ComparePage::select_runs(const std::vector<int64_t>& run_ids) {
  QItemSelection selection;
  for (int64_t id : run_ids) {
    const int source_row = model_->row_of(id);
    if (source_row < 0) continue;
    const QModelIndex index = proxy_->mapFromSource(model_->index(source_row, 0));
    if (!index.isValid()) continue;  // filtered out
    selection.select(index, index.siblingAtColumn(RunsTableModel::kColumnCount - 1));
  }
  table_->selectionModel()->select(selection, QItemSelectionModel::ClearAndSelect |
                                                  QItemSelectionModel::Rows);
  if (!selection.isEmpty()) table_->scrollTo(selection.indexes().first());
}

void ComparePage::selection_changed() {
  const auto ids = selected_runs();
  compare_->setEnabled(ids.size() == 2);
  pareto_->set_selected(ids.size() == 1 ? std::optional<int64_t>(ids.front()) : std::nullopt);
  request_curves();
}

void ComparePage::request_curves() { controller_->request_curves(selected_runs(), curves_->axis()); }

void ComparePage::apply_curves(const CurvesAnswer& answer) {
  ++curves_answers_;
  if (!answer.error.isEmpty()) {
    status_->setStyleSheet("color: #c03030;");
    status_->setText(tr("Cannot read the curves: %1").arg(answer.error));
  }
  std::vector<RunRecord> runs;
  for (int64_t id : answer.run_ids)
    if (const RunRecord* run = model_->run_by_id(id)) runs.push_back(*run);
  curves_->set_curves(runs, answer.train, answer.validation);
  emit curves_applied();
}

void ComparePage::compare_configs() {
  const auto ids = selected_runs();
  if (ids.size() != 2) return;
  const RunRecord* left = model_->run_by_id(ids[0]);
  const RunRecord* right = model_->run_by_id(ids[1]);
  if (!left || !right) return;
  auto* dialog = new ConfigDiffDialog(*left, *right, this);
  dialog->setAttribute(Qt::WA_DeleteOnClose);
  dialog->show();
}

void ComparePage::showEvent(QShowEvent* event) {
  QWidget::showEvent(event);
  apply_settings();  // Preferences may have pointed the store elsewhere meanwhile
  builder_->update_estimate();
}

void ComparePage::hideEvent(QHideEvent* event) {
  QWidget::hideEvent(event);
  settings_.set_compare_sweep_form(builder_->form_state());
}

void ComparePage::changeEvent(QEvent* event) {
  QWidget::changeEvent(event);
  if (event->type() == QEvent::PaletteChange) update_dark();
}

void ComparePage::update_dark() {
  const bool dark = palette().color(QPalette::Window).lightness() < 128;
  if (dark == dark_ && curves_) return;
  dark_ = dark;
  curves_->set_dark(dark);
  heatmap_->set_dark(dark);
  pareto_->set_dark(dark);
}

}  // namespace loralab::ui
