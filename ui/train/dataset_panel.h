// DatasetPanel: picks the training data (the bundled story sets, or a file or folder) and previews
// it: the first examples with their token counts under the chosen model's tokenizer, and totals.
// Reading and tokenizing run on a pool thread; a newer request makes older results stale.
#pragma once
#include <QFutureWatcher>
#include <QString>
#include <QVector>
#include <QWidget>

class QComboBox;
class QLabel;
class QTableWidget;

namespace loralab::ui {

struct DatasetPreview {
  QString path;
  QString format;
  QString error;
  int examples = 0;
  qint64 tokens = -1;  // -1: no tokenizer to count with
  qint64 characters = 0;
  struct Row {
    QString text;
    qint64 tokens = -1;
  };
  QVector<Row> rows;
};

// Selects the item of `picker` whose data is `path` (a cleaned absolute path, or "" for a "none"
// item), adding one named after the file (its full path as tooltip) when there is none.
void select_path_item(QComboBox* picker, const QString& path);

// Reads the dataset and tokenizes every example (without special tokens). Never throws: problems
// land in `error`.
DatasetPreview preview_dataset(const QString& path, const QString& tokenizer_path, int rows);

class DatasetPanel : public QWidget {
  Q_OBJECT
 public:
  static constexpr int kPreviewRows = 6;
  explicit DatasetPanel(QWidget* parent = nullptr);

  void set_dataset_path(const QString& path);
  QString dataset_path() const { return path_; }
  void set_tokenizer_path(const QString& tokenizer_path);
  const DatasetPreview& preview() const { return preview_; }
  bool preview_pending() const { return watcher_.isRunning(); }

 signals:
  void dataset_changed();
  void preview_ready();

 private:
  void refresh();
  void show_preview(const DatasetPreview& preview);

  QComboBox* picker_ = nullptr;
  QLabel* summary_ = nullptr;
  QLabel* error_label_ = nullptr;
  QTableWidget* table_ = nullptr;
  QString path_, tokenizer_path_;
  DatasetPreview preview_;
  QFutureWatcher<DatasetPreview> watcher_;
};

}  // namespace loralab::ui
