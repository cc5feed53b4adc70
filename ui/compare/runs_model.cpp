// Runs table model and its sort/filter proxy; see runs_model.h.
#include "ui/compare/runs_model.h"

#include <QBrush>
#include <QColor>
#include <QDateTime>
#include <QFont>
#include <QLocale>
#include <QRegularExpression>
#include <cmath>

namespace loralab::ui {
namespace {

QVariant opt(const std::optional<int64_t>& value) {
  return value ? QVariant(qint64(*value)) : QVariant();
}
QVariant opt(const std::optional<double>& value) { return value ? QVariant(*value) : QVariant(); }

QString text_of(const std::optional<double>& value, char format, int precision) {
  return value ? QString::number(*value, format, precision) : QString();
}

std::optional<double> duration_of(const RunRecord& run) {
  if (!run.started_at) return std::nullopt;
  const double end =
      run.finished_at ? *run.finished_at
                      : (run.status == RunStatus::Running ? run.heartbeat_at.value_or(*run.started_at)
                                                          : *run.started_at);
  return std::max(0.0, end - *run.started_at);
}

QString duration_text(double seconds) {
  const qint64 s = qint64(std::lround(seconds));
  if (s < 60) return QString("%1 s").arg(s);
  if (s < 3600) return QString("%1:%2").arg(s / 60).arg(s % 60, 2, 10, QChar('0'));
  return QString("%1:%2:%3").arg(s / 3600).arg((s / 60) % 60, 2, 10, QChar('0')).arg(s % 60, 2, 10, QChar('0'));
}

QColor status_color(RunStatus status) {
  switch (status) {
    case RunStatus::Done: return QColor(40, 140, 60);
    case RunStatus::Running: return QColor(30, 110, 200);
    case RunStatus::Paused: return QColor(180, 130, 0);
    case RunStatus::Failed: return QColor(200, 40, 40);
    case RunStatus::Interrupted: return QColor(200, 100, 0);
    default: return QColor();
  }
}

bool same_row(const RunRecord& a, const RunRecord& b) {
  // The fields a refresh can change; everything else is fixed when the run is created.
  return a.status == b.status && a.best_val_loss == b.best_val_loss &&
         a.best_val_step == b.best_val_step && a.final_train_loss == b.final_train_loss &&
         a.tokens_per_second == b.tokens_per_second && a.trainable_params == b.trainable_params &&
         a.finished_at == b.finished_at && a.started_at == b.started_at &&
         a.heartbeat_at == b.heartbeat_at && a.tags == b.tags && a.notes == b.notes &&
         a.name == b.name && a.queue_position == b.queue_position;
}

}  // namespace

QList<int> RunsTableModel::default_hidden_columns() {
  return {kSweep, kDropout, kSeed, kPrecision, kSteps, kBestValStep, kCreated};
}

QString RunsTableModel::column_key(int column) {
  static const QStringList keys = {
      "id",   "name",          "status",        "sweep",           "rank",          "alpha",
      "targets", "lr",         "dropout",       "seed",            "precision",     "steps",
      "params", "best_val_loss", "best_step",   "train_loss",      "tokens_per_s",  "duration",
      "created", "tags",       "notes"};
  return column >= 0 && column < keys.size() ? keys[column] : QString();
}

RunsTableModel::RunsTableModel(QObject* parent) : QAbstractTableModel(parent) {}

void RunsTableModel::reindex() {
  row_by_id_.clear();
  for (int i = 0; i < int(runs_.size()); ++i) row_by_id_[runs_[size_t(i)].id] = i;
}

void RunsTableModel::set_runs(std::vector<RunRecord> runs) {
  std::unordered_map<int64_t, size_t> incoming;
  for (size_t i = 0; i < runs.size(); ++i) incoming[runs[i].id] = i;
  // Removed runs, from the bottom up so row numbers stay valid.
  for (int row = int(runs_.size()) - 1; row >= 0; --row) {
    if (incoming.count(runs_[size_t(row)].id)) continue;
    beginRemoveRows({}, row, row);
    runs_.erase(runs_.begin() + row);
    endRemoveRows();
  }
  reindex();
  std::vector<RunRecord> added;
  for (RunRecord& run : runs) {
    auto it = row_by_id_.find(run.id);
    if (it == row_by_id_.end()) {
      added.push_back(std::move(run));
      continue;
    }
    RunRecord& mine = runs_[size_t(it->second)];
    if (same_row(mine, run)) continue;
    mine = std::move(run);
    emit dataChanged(index(it->second, 0), index(it->second, kColumnCount - 1));
  }
  if (!added.empty()) {
    const int first = int(runs_.size());
    beginInsertRows({}, first, first + int(added.size()) - 1);
    for (RunRecord& run : added) runs_.push_back(std::move(run));
    reindex();
    endInsertRows();
  }
}

const RunRecord* RunsTableModel::run_at(int row) const {
  return row >= 0 && row < int(runs_.size()) ? &runs_[size_t(row)] : nullptr;
}

const RunRecord* RunsTableModel::run_by_id(int64_t id) const { return run_at(row_of(id)); }

int RunsTableModel::row_of(int64_t id) const {
  auto it = row_by_id_.find(id);
  return it == row_by_id_.end() ? -1 : it->second;
}

int RunsTableModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : int(runs_.size());
}

int RunsTableModel::columnCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : kColumnCount;
}

QVariant RunsTableModel::display(const RunRecord& run, int column) const {
  const RunConfigColumns& c = run.config;
  switch (column) {
    case kId: return qint64(run.id);
    case kName: return QString::fromStdString(run.name);
    case kStatus: return QString::fromUtf8(run_status_name(run.status));
    case kSweep: return opt(run.sweep_id);
    case kRank: return opt(c.rank);
    case kAlpha: return text_of(c.alpha, 'g', 6);
    case kTargets: return QString::fromStdString(c.targets);
    case kLr: return text_of(c.lr, 'g', 3);
    case kDropout: return text_of(c.dropout, 'g', 3);
    case kSeed: return opt(c.seed);
    case kPrecision: return QString::fromStdString(c.precision);
    case kSteps: return opt(c.steps);
    case kTrainableParams:
      return run.trainable_params ? QLocale().toString(qint64(*run.trainable_params)) : QString();
    case kBestValLoss: return text_of(run.best_val_loss, 'f', 4);
    case kBestValStep: return opt(run.best_val_step);
    case kFinalTrainLoss: return text_of(run.final_train_loss, 'f', 4);
    case kTokensPerSecond: return text_of(run.tokens_per_second, 'f', 0);
    case kDuration: {
      auto d = duration_of(run);
      return d ? duration_text(*d) : QString();
    }
    case kCreated:
      return QDateTime::fromMSecsSinceEpoch(qint64(run.created_at * 1000)).toString("yyyy-MM-dd hh:mm");
    case kTags: {
      QStringList tags;
      for (const auto& tag : run.tags) tags << QString::fromStdString(tag);
      return tags.join(", ");
    }
    case kNotes: return QString::fromStdString(run.notes);
  }
  return {};
}

QVariant RunsTableModel::sort_value(const RunRecord& run, int column) const {
  const RunConfigColumns& c = run.config;
  switch (column) {
    case kSweep: return opt(run.sweep_id);
    case kRank: return opt(c.rank);
    case kAlpha: return opt(c.alpha);
    case kLr: return opt(c.lr);
    case kDropout: return opt(c.dropout);
    case kSeed: return opt(c.seed);
    case kSteps: return opt(c.steps);
    case kTrainableParams: return opt(run.trainable_params);
    case kBestValLoss: return opt(run.best_val_loss);
    case kBestValStep: return opt(run.best_val_step);
    case kFinalTrainLoss: return opt(run.final_train_loss);
    case kTokensPerSecond: return opt(run.tokens_per_second);
    case kDuration: return opt(duration_of(run));
    case kCreated: return run.created_at;
    default: return display(run, column);
  }
}

QVariant RunsTableModel::data(const QModelIndex& index, int role) const {
  const RunRecord* run = index.isValid() ? run_at(index.row()) : nullptr;
  if (!run) return {};
  const int column = index.column();
  switch (role) {
    case Qt::DisplayRole: return display(*run, column);
    case Qt::EditRole:
      if (column == kTags || column == kNotes) return display(*run, column);
      return {};
    case kSortRole: return sort_value(*run, column);
    case kRunIdRole: return qint64(run->id);
    case Qt::ForegroundRole:
      if (column == kStatus) {
        const QColor color = status_color(run->status);
        if (color.isValid()) return QBrush(color);
      }
      return {};
    case Qt::TextAlignmentRole:
      if (column == kName || column == kStatus || column == kTargets || column == kTags ||
          column == kNotes || column == kPrecision)
        return int(Qt::AlignLeft | Qt::AlignVCenter);
      return int(Qt::AlignRight | Qt::AlignVCenter);
    case Qt::ToolTipRole:
      if (column == kStatus && !run->error_message.empty())
        return QString::fromStdString(run->error_message);
      if (column == kName) return QString::fromStdString(run->adapter_path);
      if (column == kNotes && !run->notes.empty()) return QString::fromStdString(run->notes);
      if (column == kTags) return tr("Comma-separated; double-click to edit");
      return {};
  }
  return {};
}

QVariant RunsTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal) return {};
  static const QStringList titles = {
      tr("Id"),     tr("Name"),     tr("Status"),        tr("Sweep"),     tr("Rank"),
      tr("Alpha"),  tr("Targets"),  tr("LR"),            tr("Dropout"),   tr("Seed"),
      tr("Precision"), tr("Steps"), tr("Trainable params"), tr("Best val loss"),
      tr("Best step"), tr("Train loss"), tr("Tokens/s"), tr("Duration"),  tr("Created"),
      tr("Tags"),   tr("Notes")};
  if (role == Qt::DisplayRole && section >= 0 && section < titles.size()) return titles[section];
  if (role == Qt::ToolTipRole && section >= 0 && section < kColumnCount)
    return tr("Filter with %1=…, %1>… or %1<…").arg(column_key(section));
  return {};
}

Qt::ItemFlags RunsTableModel::flags(const QModelIndex& index) const {
  Qt::ItemFlags flags = QAbstractTableModel::flags(index);
  if (index.isValid() && (index.column() == kTags || index.column() == kNotes))
    flags |= Qt::ItemIsEditable;
  return flags;
}

QStringList RunsTableModel::parse_tags(const QString& text) {
  QStringList tags;
  for (const QString& part : text.split(',', Qt::SkipEmptyParts)) {
    const QString tag = part.trimmed();
    if (!tag.isEmpty() && !tags.contains(tag)) tags << tag;
  }
  return tags;
}

bool RunsTableModel::setData(const QModelIndex& index, const QVariant& value, int role) {
  if (role != Qt::EditRole || !index.isValid() || index.row() >= int(runs_.size())) return false;
  RunRecord& run = runs_[size_t(index.row())];
  if (index.column() == kTags) {
    const QStringList tags = parse_tags(value.toString());
    std::vector<std::string> stored;
    for (const QString& tag : tags) stored.push_back(tag.toStdString());
    if (stored == run.tags) return true;
    run.tags = stored;
    emit dataChanged(index, index);
    emit tags_edited(run.id, tags);
    return true;
  }
  if (index.column() == kNotes) {
    const std::string notes = value.toString().trimmed().toStdString();
    if (notes == run.notes) return true;
    run.notes = notes;
    emit dataChanged(index, index);
    emit notes_edited(run.id, QString::fromStdString(notes));
    return true;
  }
  return false;
}

// ---- proxy ----------------------------------------------------------------------------------

RunsFilterProxy::RunsFilterProxy(QObject* parent) : QSortFilterProxyModel(parent) {
  setSortRole(RunsTableModel::kSortRole);
  setDynamicSortFilter(true);
}

void RunsFilterProxy::set_filter_text(const QString& text) {
  filter_text_ = text;
  conditions_.clear();
  QStringList problems;
  static const QRegularExpression kCondition(R"(^([A-Za-z_/]+)(>=|<=|!=|=|<|>)(.*)$)");
  for (const QString& word : text.split(QRegularExpression("\\s+"), Qt::SkipEmptyParts)) {
    const auto match = kCondition.match(word);
    if (!match.hasMatch()) {
      conditions_.push_back({-1, {}, word});
      continue;
    }
    const QString key = match.captured(1).toLower();
    int column = -1;
    for (int c = 0; c < RunsTableModel::kColumnCount; ++c)
      if (RunsTableModel::column_key(c) == key) column = c;
    if (column < 0) {
      QStringList keys;
      for (int c = 0; c < RunsTableModel::kColumnCount; ++c) keys << RunsTableModel::column_key(c);
      problems << tr("unknown column '%1' (known: %2)").arg(key, keys.join(", "));
      continue;
    }
    conditions_.push_back({column, match.captured(2), match.captured(3)});
  }
  filter_error_ = problems.join("; ");
  invalidateFilter();
}

bool RunsFilterProxy::filterAcceptsRow(int source_row, const QModelIndex& parent) const {
  const QAbstractItemModel* model = sourceModel();
  for (const Condition& condition : conditions_) {
    if (condition.column < 0) {
      bool found = false;
      for (int column : {int(RunsTableModel::kName), int(RunsTableModel::kStatus),
                         int(RunsTableModel::kTargets), int(RunsTableModel::kTags),
                         int(RunsTableModel::kNotes), int(RunsTableModel::kId)}) {
        const QString text = model->index(source_row, column, parent).data().toString();
        if (text.contains(condition.value, Qt::CaseInsensitive)) {
          found = true;
          break;
        }
      }
      if (!found) return false;
      continue;
    }
    const QModelIndex cell = model->index(source_row, condition.column, parent);
    const QVariant raw = cell.data(RunsTableModel::kSortRole);
    if (!raw.isValid() || raw.isNull()) return false;  // an unset value matches no comparison
    bool value_is_number = false, wanted_is_number = false;
    const double value = raw.toDouble(&value_is_number);
    const double wanted = condition.value.toDouble(&wanted_is_number);
    int order = 0;
    const bool numeric = value_is_number && wanted_is_number &&
                         raw.typeId() != QMetaType::QString;
    if (numeric) {
      // Display precision: "lr=0.0003" should match 3e-4 stored as 0.00030000000000000003.
      const double tolerance = 1e-9 * std::max(1.0, std::abs(wanted));
      order = std::abs(value - wanted) <= tolerance ? 0 : (value < wanted ? -1 : 1);
    } else {
      const QString text = cell.data().toString();
      if (condition.op == "=" || condition.op == "!=") {
        // Text equality: whole value, or one of a list (tags "a, b": tags=a matches).
        const bool hit = text.compare(condition.value, Qt::CaseInsensitive) == 0 ||
                         RunsTableModel::parse_tags(text).contains(condition.value, Qt::CaseInsensitive);
        if ((condition.op == "=") != hit) return false;
        continue;
      }
      order = QString::compare(text, condition.value, Qt::CaseInsensitive);
      order = order < 0 ? -1 : (order > 0 ? 1 : 0);
    }
    const QString& op = condition.op;
    const bool ok = (op == "=" && order == 0) || (op == "!=" && order != 0) ||
                    (op == "<" && order < 0) || (op == "<=" && order <= 0) ||
                    (op == ">" && order > 0) || (op == ">=" && order >= 0);
    if (!ok) return false;
  }
  return true;
}

bool RunsFilterProxy::lessThan(const QModelIndex& left, const QModelIndex& right) const {
  const QVariant a = left.data(RunsTableModel::kSortRole);
  const QVariant b = right.data(RunsTableModel::kSortRole);
  // Unset values sort after set ones whichever way the column is sorted... as far as a proxy can:
  // in ascending order they go last.
  const bool a_null = !a.isValid() || a.isNull();
  const bool b_null = !b.isValid() || b.isNull();
  if (a_null || b_null) return !a_null && b_null;
  if (a.typeId() == QMetaType::QString || b.typeId() == QMetaType::QString)
    return QString::compare(a.toString(), b.toString(), Qt::CaseInsensitive) < 0;
  return a.toDouble() < b.toDouble();
}

}  // namespace loralab::ui
