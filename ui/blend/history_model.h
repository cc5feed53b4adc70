// The playground's sample history as a table model: when, blend, seed, prompt and the start of the
// text, newest first, over the store's blend samples (or the session's, when there is no store).
#pragma once
#include <QAbstractTableModel>
#include <QVector>

#include "loralab/store.h"

namespace loralab::ui {

class HistoryModel : public QAbstractTableModel {
  Q_OBJECT
 public:
  enum Column { When, BlendColumn, Seed, Prompt, Text, ColumnCount };
  using QAbstractTableModel::QAbstractTableModel;

  void set_samples(QVector<SampleRecord> samples);  // newest first
  void prepend(const SampleRecord& sample);
  const SampleRecord& sample(int row) const { return samples_.at(row); }

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

 private:
  QVector<SampleRecord> samples_;
};

}  // namespace loralab::ui
