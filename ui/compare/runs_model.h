// RunsTableModel: the experiment store's runs as a table (one row per run, one column per field),
// kept in step with the store by set_runs() snapshots: rows are matched by run id, so a refresh
// updates changed cells, appends new runs and removes deleted ones without disturbing the
// selection or the sort. Tags and notes are editable in place; an edit updates the row at once
// and is handed to the owner (edit_committed) to be written to the store.
//
// RunsFilterProxy: sorting by the raw value (numbers as numbers, unset values last) and a text
// filter: every word must match. A word like "rank>=8", "alpha=16" or "status=done" compares that
// column (numerically when both sides are numbers); any other word must appear in the run's
// name, status, targets, tags or notes (case-insensitive).
#pragma once
#include <QAbstractTableModel>
#include <QSortFilterProxyModel>
#include <QStringList>
#include <unordered_map>
#include <vector>

#include "loralab/store.h"

namespace loralab::ui {

class RunsTableModel : public QAbstractTableModel {
  Q_OBJECT
 public:
  enum Column {
    kId, kName, kStatus, kSweep, kRank, kAlpha, kTargets, kLr, kDropout, kSeed, kPrecision,
    kSteps, kTrainableParams, kBestValLoss, kBestValStep, kFinalTrainLoss, kTokensPerSecond,
    kDuration, kCreated, kTags, kNotes, kColumnCount
  };
  static constexpr int kSortRole = Qt::UserRole + 1;    // raw value for sorting / filtering
  static constexpr int kRunIdRole = Qt::UserRole + 2;   // qint64 of the row's run
  // Columns hidden until the person shows them (the column chooser).
  static QList<int> default_hidden_columns();
  // A short lowercase key per column for filter words ("rank", "best_val_loss", "tags").
  static QString column_key(int column);

  explicit RunsTableModel(QObject* parent = nullptr);

  void set_runs(std::vector<RunRecord> runs);
  const RunRecord* run_at(int row) const;
  const RunRecord* run_by_id(int64_t id) const;
  int row_of(int64_t id) const;  // -1 when absent

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role) const override;
  Qt::ItemFlags flags(const QModelIndex& index) const override;
  bool setData(const QModelIndex& index, const QVariant& value, int role = Qt::EditRole) override;

  // "a, b ,,c" → {"a", "b", "c"}: tags as a person types them.
  static QStringList parse_tags(const QString& text);

 signals:
  void tags_edited(qint64 run_id, const QStringList& tags);
  void notes_edited(qint64 run_id, const QString& notes);

 private:
  QVariant display(const RunRecord& run, int column) const;
  QVariant sort_value(const RunRecord& run, int column) const;
  void reindex();

  std::vector<RunRecord> runs_;
  std::unordered_map<int64_t, int> row_by_id_;
};

class RunsFilterProxy : public QSortFilterProxyModel {
  Q_OBJECT
 public:
  explicit RunsFilterProxy(QObject* parent = nullptr);
  void set_filter_text(const QString& text);
  QString filter_text() const { return filter_text_; }
  // The text's problems ("unknown column 'rnak'"), empty when every word is understood.
  QString filter_error() const { return filter_error_; }

 protected:
  bool filterAcceptsRow(int source_row, const QModelIndex& source_parent) const override;
  bool lessThan(const QModelIndex& left, const QModelIndex& right) const override;

 private:
  struct Condition {
    int column = -1;  // -1: free text
    QString op;
    QString value;
  };
  QString filter_text_, filter_error_;
  std::vector<Condition> conditions_;
};

}  // namespace loralab::ui
