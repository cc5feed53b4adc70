// The playground's sample history model; see history_model.h.
#include "ui/blend/history_model.h"

#include <QDateTime>

#include "ui/blend/blend_types.h"

namespace loralab::ui {

void HistoryModel::set_samples(QVector<SampleRecord> samples) {
  beginResetModel();
  samples_ = std::move(samples);
  endResetModel();
}

void HistoryModel::prepend(const SampleRecord& sample) {
  beginInsertRows({}, 0, 0);
  samples_.prepend(sample);
  endInsertRows();
}

int HistoryModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : int(samples_.size());
}

int HistoryModel::columnCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : ColumnCount;
}

QVariant HistoryModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= samples_.size()) return {};
  const SampleRecord& sample = samples_.at(index.row());
  if (role == Qt::ToolTipRole && index.column() == Text) return QString::fromStdString(sample.text);
  if (role == Qt::ToolTipRole && index.column() == BlendColumn)
    return data(index, Qt::DisplayRole);  // the column is often narrower than a three-adapter blend
  if (role != Qt::DisplayRole) return {};
  switch (index.column()) {
    case When:
      return QDateTime::fromMSecsSinceEpoch(qint64(sample.created_at * 1000))
          .toString("yyyy-MM-dd hh:mm:ss");
    case BlendColumn:
      try {
        return blend_summary(blend_from_json(QString::fromStdString(sample.blend_json)));
      } catch (const std::exception&) {
        return tr("(unreadable blend)");
      }
    case Seed:
      return sample.seed ? QVariant(qlonglong(*sample.seed)) : QVariant();
    case Prompt:
      return QString::fromStdString(sample.prompt);
    case Text: {
      QString text = QString::fromStdString(sample.text).simplified();
      if (text.size() > 90) text = text.left(90) + QStringLiteral("…");
      return text;
    }
  }
  return {};
}

QVariant HistoryModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
  switch (section) {
    case When:
      return tr("When");
    case BlendColumn:
      return tr("Blend");
    case Seed:
      return tr("Seed");
    case Prompt:
      return tr("Prompt");
    case Text:
      return tr("Text");
  }
  return {};
}

}  // namespace loralab::ui
