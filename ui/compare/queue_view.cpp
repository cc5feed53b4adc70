// The run queue view; see queue_view.h.
#include "ui/compare/queue_view.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>
#include <climits>

#include "ui/compare/sweep_builder.h"

namespace loralab::ui {
namespace {

constexpr int kRunIdRole = Qt::UserRole + 1;
constexpr int kSectionRole = Qt::UserRole + 2;

}  // namespace

QueueView::QueueView(QWidget* parent) : QWidget(parent) {
  setObjectName("queue_view");
  auto* layout = new QVBoxLayout(this);
  auto* top = new QHBoxLayout;
  start_ = new QPushButton(tr("Start queue"), this);
  start_->setObjectName("queue_start");
  summary_ = new QLabel(this);
  summary_->setObjectName("queue_summary");
  summary_->setWordWrap(true);
  top->addWidget(start_);
  top->addWidget(summary_, 1);
  layout->addLayout(top);

  table_ = new QTableWidget(0, kColumnCount, this);
  table_->setHorizontalHeaderLabels({tr("#"), tr("Run"), tr("Name"), tr("Status"), tr("Progress")});
  table_->verticalHeader()->setVisible(false);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->setSelectionMode(QAbstractItemView::ExtendedSelection);
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table_->horizontalHeader()->setSectionResizeMode(kName, QHeaderView::Stretch);
  table_->horizontalHeader()->setSectionResizeMode(kPosition, QHeaderView::ResizeToContents);
  table_->horizontalHeader()->setSectionResizeMode(kRun, QHeaderView::ResizeToContents);
  table_->horizontalHeader()->setSectionResizeMode(kStatus, QHeaderView::ResizeToContents);
  table_->setColumnWidth(kProgress, 130);
  layout->addWidget(table_, 1);

  auto* buttons = new QHBoxLayout;
  cancel_ = new QPushButton(tr("Cancel"), this);
  cancel_->setToolTip(tr("Queued runs never start; the run being trained stops with a checkpoint "
                         "and is not continued"));
  up_ = new QPushButton(QStringLiteral("▲"), this);
  up_->setToolTip(tr("Move the selected queued run up"));
  down_ = new QPushButton(QStringLiteral("▼"), this);
  down_->setToolTip(tr("Move the selected queued run down"));
  top_ = new QPushButton(tr("To top"), this);
  top_->setToolTip(tr("Make the selected queued run the next one"));
  for (auto* button : {up_, down_}) button->setMaximumWidth(36);
  retry_ = new QPushButton(tr("Retry"), this);
  retry_->setToolTip(tr("Queue the selected failed, interrupted or stopped runs again; they go on "
                        "from their checkpoint"));
  for (auto* button : {cancel_, up_, down_, top_, retry_}) buttons->addWidget(button);
  buttons->addStretch();
  layout->addLayout(buttons);

  connect(start_, &QPushButton::clicked, this, [this] {
    if (working_) emit stop_requested();
    else emit start_requested();
  });
  connect(cancel_, &QPushButton::clicked, this, [this] {
    std::vector<int64_t> ids;
    const auto selected = selected_runs();
    for (const auto& [id, section] : rows())
      if (section != "attention" && std::count(selected.begin(), selected.end(), id))
        ids.push_back(id);
    if (!ids.empty()) emit cancel_requested(ids);
  });
  connect(up_, &QPushButton::clicked, this, [this] { move_selected(-1); });
  connect(down_, &QPushButton::clicked, this, [this] { move_selected(1); });
  connect(top_, &QPushButton::clicked, this, [this] { move_selected(INT_MIN); });
  connect(retry_, &QPushButton::clicked, this, [this] {
    std::vector<int64_t> ids;
    const auto selected = selected_runs();
    for (const RunRecord& run : attention_)
      if (std::count(selected.begin(), selected.end(), run.id)) ids.push_back(run.id);
    if (!ids.empty()) emit retry_requested(ids);
  });
  connect(table_, &QTableWidget::itemSelectionChanged, this, &QueueView::update_buttons);
  set_working(false);
}

void QueueView::set_runs(const std::vector<RunRecord>& active, const std::vector<RunRecord>& queued,
                         const std::vector<RunRecord>& attention) {
  active_ = active;
  queued_ = queued;
  attention_ = attention;
  rebuild();
}

void QueueView::set_working(bool working) {
  working_ = working;
  start_->setText(working ? tr("Stop queue") : tr("Start queue"));
  start_->setToolTip(working ? tr("Stop the run being trained with a checkpoint; it goes first "
                                  "when the queue starts again")
                             : tr("Train the queued runs one after another"));
  update_buttons();
}

void QueueView::set_progress(int64_t run_id, int64_t step, int64_t total, double loss, double eta) {
  progress_[run_id] = {step, total, loss, eta};
  for (int row = 0; row < table_->rowCount(); ++row) {
    if (table_->item(row, kRun)->data(kRunIdRole).toLongLong() != run_id) continue;
    if (auto* bar = qobject_cast<QProgressBar*>(table_->cellWidget(row, kProgress))) {
      bar->setRange(0, int(std::max<int64_t>(1, total)));
      bar->setValue(int(step));
      bar->setFormat(QString("%1/%2").arg(step).arg(total));
      bar->setToolTip(tr("loss %1 · %2 left").arg(loss, 0, 'f', 4).arg(format_duration(eta)));
    }
  }
}

void QueueView::clear_progress(int64_t run_id) { progress_.remove(run_id); }

QString QueueView::progress_text(int64_t run_id, const RunRecord& run) const {
  Q_UNUSED(run_id);
  if (run.status == RunStatus::Running || run.status == RunStatus::Paused)
    return tr("in process %1 on %2").arg(run.owner_pid.value_or(0)).arg(QString::fromStdString(run.owner_host));
  if (!run.error_message.empty()) return QString::fromStdString(run.error_message);
  return {};
}

void QueueView::rebuild() {
  const std::vector<int64_t> selected = selected_runs();
  table_->setUpdatesEnabled(false);
  table_->clearContents();
  table_->setRowCount(0);
  auto add = [&](const RunRecord& run, const QString& section, const QString& position) {
    const int row = table_->rowCount();
    table_->insertRow(row);
    auto* pos = new QTableWidgetItem(position);
    auto* id = new QTableWidgetItem(QString::number(run.id));
    id->setData(kRunIdRole, qint64(run.id));
    id->setData(kSectionRole, section);
    auto* name = new QTableWidgetItem(QString::fromStdString(run.name));
    name->setToolTip(QString::fromStdString(run.name));
    auto* status = new QTableWidgetItem(QString::fromUtf8(run_status_name(run.status)));
    if (section == "attention") status->setForeground(QColor(200, 60, 40));
    if (section == "active") {
      QFont font = name->font();
      font.setBold(true);
      name->setFont(font);
    }
    table_->setItem(row, kPosition, pos);
    table_->setItem(row, kRun, id);
    table_->setItem(row, kName, name);
    table_->setItem(row, kStatus, status);
    if (section == "active" && progress_.contains(run.id)) {
      auto* bar = new QProgressBar(table_);
      bar->setTextVisible(true);
      table_->setCellWidget(row, kProgress, bar);
      const Progress& p = progress_[run.id];
      bar->setRange(0, int(std::max<int64_t>(1, p.total)));
      bar->setValue(int(p.step));
      bar->setFormat(QString("%1/%2").arg(p.step).arg(p.total));
    } else {
      auto* text = new QTableWidgetItem(progress_text(run.id, run));
      text->setToolTip(text->text());
      table_->setItem(row, kProgress, text);
    }
  };
  for (const RunRecord& run : active_) add(run, "active", QStringLiteral("▶"));
  for (size_t i = 0; i < queued_.size(); ++i) add(queued_[i], "queued", QString::number(i + 1));
  for (const RunRecord& run : attention_) add(run, "attention", QStringLiteral("!"));
  select_runs(selected);
  table_->setUpdatesEnabled(true);
  summary_->setText(tr("%1 training · %2 queued · %3 to retry")
                        .arg(active_.size())
                        .arg(queued_.size())
                        .arg(attention_.size()));
  update_buttons();
}

std::vector<int64_t> QueueView::selected_runs() const {
  std::vector<int64_t> ids;
  for (const QModelIndex& index : table_->selectionModel()->selectedRows(kRun))
    ids.push_back(index.data(kRunIdRole).toLongLong());
  return ids;
}

void QueueView::select_runs(const std::vector<int64_t>& ids) {
  table_->clearSelection();
  for (int row = 0; row < table_->rowCount(); ++row) {
    const int64_t id = table_->item(row, kRun)->data(kRunIdRole).toLongLong();
    if (std::count(ids.begin(), ids.end(), id))
      table_->selectionModel()->select(table_->model()->index(row, 0),
                                       QItemSelectionModel::Select | QItemSelectionModel::Rows);
  }
}

std::vector<std::pair<int64_t, QString>> QueueView::rows() const {
  std::vector<std::pair<int64_t, QString>> out;
  for (int row = 0; row < table_->rowCount(); ++row) {
    const QTableWidgetItem* item = table_->item(row, kRun);
    out.emplace_back(item->data(kRunIdRole).toLongLong(), item->data(kSectionRole).toString());
  }
  return out;
}

void QueueView::move_selected(int delta) {
  const auto selected = selected_runs();
  if (selected.size() != 1) return;
  for (size_t i = 0; i < queued_.size(); ++i) {
    if (queued_[i].id != selected.front()) continue;
    const int64_t target = delta == INT_MIN ? 0 : std::max<int64_t>(0, int64_t(i) + delta);
    if (target != int64_t(i)) emit move_requested(queued_[i].id, target);
    return;
  }
}

void QueueView::update_buttons() {
  const auto selected = selected_runs();
  bool any_queued = false, any_active = false, any_attention = false;
  for (const auto& [id, section] : rows()) {
    if (!std::count(selected.begin(), selected.end(), id)) continue;
    any_queued |= section == "queued";
    any_active |= section == "active";
    any_attention |= section == "attention";
  }
  cancel_->setEnabled(any_queued || any_active);
  const bool one_queued = selected.size() == 1 && any_queued;
  up_->setEnabled(one_queued);
  down_->setEnabled(one_queued);
  top_->setEnabled(one_queued);
  retry_->setEnabled(any_attention);
  start_->setEnabled(working_ || !queued_.empty());
}

}  // namespace loralab::ui
