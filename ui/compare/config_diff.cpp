// Two runs' configs side by side; see config_diff.h.
#include "ui/compare/config_diff.h"

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QHeaderView>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QTableWidget>
#include <QVBoxLayout>
#include <algorithm>
#include <map>

namespace loralab::ui {
namespace {

QString value_text(const QJsonValue& value) {
  switch (value.type()) {
    case QJsonValue::String: return value.toString();
    case QJsonValue::Double: return QString::number(value.toDouble(), 'g', 10);
    case QJsonValue::Bool: return value.toBool() ? "true" : "false";
    case QJsonValue::Null: return "null";
    case QJsonValue::Array:
      return QString::fromUtf8(QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact));
    case QJsonValue::Object:
      return QString::fromUtf8(QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact));
    default: return {};
  }
}

void flatten(const QJsonObject& object, const QString& prefix, std::map<QString, QString>& out) {
  for (auto it = object.begin(); it != object.end(); ++it) {
    const QString key = prefix.isEmpty() ? it.key() : prefix + "." + it.key();
    if (it.value().isObject() && !it.value().toObject().isEmpty())
      flatten(it.value().toObject(), key, out);
    else
      out[key] = value_text(it.value());
  }
}

std::map<QString, QString> flat_config(const std::string& json) {
  std::map<QString, QString> out;
  const QJsonDocument doc = QJsonDocument::fromJson(QByteArray::fromStdString(json));
  if (doc.isObject()) flatten(doc.object(), {}, out);
  else out["(config)"] = QString::fromStdString(json);
  return out;
}

}  // namespace

std::vector<ConfigDiffRow> diff_configs(const std::string& left_json, const std::string& right_json) {
  const auto left = flat_config(left_json);
  const auto right = flat_config(right_json);
  std::map<QString, ConfigDiffRow> rows;
  const QString absent = QStringLiteral("—");
  for (const auto& [key, value] : left) rows[key] = {key, value, absent, true};
  for (const auto& [key, value] : right) {
    auto it = rows.find(key);
    if (it == rows.end()) rows[key] = {key, absent, value, true};
    else {
      it->second.right = value;
      it->second.differs = it->second.left != value;
    }
  }
  std::vector<ConfigDiffRow> out;
  for (auto& [key, row] : rows) out.push_back(row);
  std::stable_sort(out.begin(), out.end(),
                   [](const ConfigDiffRow& a, const ConfigDiffRow& b) { return a.differs && !b.differs; });
  return out;
}

ConfigDiffDialog::ConfigDiffDialog(const RunRecord& left, const RunRecord& right, QWidget* parent)
    : QDialog(parent) {
  setWindowTitle(tr("Compare configs: run %1 and run %2").arg(left.id).arg(right.id));
  setObjectName("config_diff");
  rows_ = diff_configs(left.config_json, right.config_json);
  differences_ = int(std::count_if(rows_.begin(), rows_.end(), [](const auto& r) { return r.differs; }));
  auto* layout = new QVBoxLayout(this);
  auto* summary = new QLabel(
      differences_ == 0 ? tr("The two configurations are identical.")
                        : tr("%n field(s) differ.", nullptr, differences_),
      this);
  layout->addWidget(summary);
  table_ = new QTableWidget(this);
  table_->setColumnCount(3);
  table_->setHorizontalHeaderLabels(
      {tr("Field"), QString::fromStdString(left.name.empty() ? "run " + std::to_string(left.id) : left.name),
       QString::fromStdString(right.name.empty() ? "run " + std::to_string(right.id) : right.name)});
  table_->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
  table_->horizontalHeader()->setStretchLastSection(true);
  table_->verticalHeader()->setVisible(false);
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table_->setAlternatingRowColors(true);
  layout->addWidget(table_, 1);
  show_equal_ = new QCheckBox(tr("Show identical fields too"), this);
  layout->addWidget(show_equal_);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
  layout->addWidget(buttons);
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
  connect(show_equal_, &QCheckBox::toggled, this, &ConfigDiffDialog::fill);
  fill();
  resize(760, 520);
}

void ConfigDiffDialog::fill() {
  const bool all = show_equal_->isChecked() || differences_ == 0;
  table_->setRowCount(0);
  for (const ConfigDiffRow& row : rows_) {
    if (!row.differs && !all) continue;
    const int r = table_->rowCount();
    table_->insertRow(r);
    const QStringList cells = {row.key, row.left, row.right};
    for (int c = 0; c < 3; ++c) {
      auto* item = new QTableWidgetItem(cells[c]);
      item->setToolTip(cells[c]);
      if (row.differs) {
        QFont font = item->font();
        font.setBold(true);
        item->setFont(font);
      } else {
        item->setForeground(palette().color(QPalette::Disabled, QPalette::Text));
      }
      table_->setItem(r, c, item);
    }
  }
  table_->resizeColumnToContents(0);
  table_->setColumnWidth(1, std::max(180, (table_->viewport()->width() - table_->columnWidth(0)) / 2));
}

}  // namespace loralab::ui
