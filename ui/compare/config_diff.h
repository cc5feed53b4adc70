// "Compare configs": the training configurations of two runs side by side, field by field (nested
// JSON objects flattened to dotted keys: "lora.rank", "data.path"), differences first.
#pragma once
#include <QDialog>
#include <QString>
#include <vector>

#include "loralab/store.h"

class QCheckBox;
class QTableWidget;

namespace loralab::ui {

struct ConfigDiffRow {
  QString key;
  QString left, right;  // the value as JSON text; "—" when the key is absent on that side
  bool differs = false;
};

// Every key of either config, differing keys first, each group in key order. A config that is not
// a JSON object is shown as one row "(config)" holding its text.
std::vector<ConfigDiffRow> diff_configs(const std::string& left_json, const std::string& right_json);

class ConfigDiffDialog : public QDialog {
  Q_OBJECT
 public:
  ConfigDiffDialog(const RunRecord& left, const RunRecord& right, QWidget* parent = nullptr);
  QTableWidget* table() const { return table_; }
  int difference_count() const { return differences_; }

 private:
  void fill();
  std::vector<ConfigDiffRow> rows_;
  QTableWidget* table_ = nullptr;
  QCheckBox* show_equal_ = nullptr;
  int differences_ = 0;
};

}  // namespace loralab::ui
