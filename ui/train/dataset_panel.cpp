// Dataset picker and preview; see dataset_panel.h.
#include "ui/train/dataset_panel.h"

#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include "loralab/dataset.h"
#include "loralab/tokenizer.h"
#include "ui/app_paths.h"
#include "ui/train/field_set.h"

namespace loralab::ui {

DatasetPreview preview_dataset(const QString& path, const QString& tokenizer_path, int rows) {
  DatasetPreview out;
  out.path = path;
  try {
    DatasetSpec spec;
    spec.path = path.toStdString();
    out.format = QString::fromStdString(resolve_dataset_format(spec));
    const auto examples = read_dataset(spec);
    std::optional<Tokenizer> tokenizer;
    if (!tokenizer_path.isEmpty()) tokenizer = Tokenizer::load(tokenizer_path.toStdString());
    out.examples = int(examples.size());
    out.tokens = tokenizer ? 0 : -1;
    for (size_t i = 0; i < examples.size(); ++i) {
      const std::string text = examples[i].prompt + examples[i].text;
      out.characters += qint64(text.size());
      qint64 count = -1;
      if (tokenizer) {
        count = qint64(tokenizer->encode(text).size());
        out.tokens += count;
      }
      if (int(i) < rows) out.rows.push_back({QString::fromStdString(text), count});
    }
  } catch (const std::exception& e) {
    out.error = QString::fromUtf8(e.what());
  }
  return out;
}

void select_path_item(QComboBox* picker, const QString& path) {
  int index = picker->findData(path);
  if (index < 0) {
    picker->addItem(dataset_display_name(path), path);
    index = picker->count() - 1;
    picker->setItemData(index, path, Qt::ToolTipRole);
  }
  picker->setCurrentIndex(index);
}

DatasetPanel::DatasetPanel(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  auto* row = new QHBoxLayout;
  picker_ = new QComboBox(this);
  picker_->setObjectName("dataset_picker");
  picker_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
  picker_->setMinimumContentsLength(14);
  for (const QString& path : bundled_datasets())
    picker_->addItem(tr("%1 (bundled)").arg(dataset_display_name(path)), path);
  auto* open_file = new QPushButton(tr("File…"), this);
  open_file->setToolTip(tr("A .txt, .jsonl or .csv file"));
  auto* open_folder = new QPushButton(tr("Folder…"), this);
  open_folder->setToolTip(tr("A folder of .txt files, one story per file"));
  row->addWidget(picker_, 1);
  row->addWidget(open_file);
  row->addWidget(open_folder);
  layout->addLayout(row);
  summary_ = new QLabel(this);
  summary_->setObjectName("dataset_summary");
  summary_->setWordWrap(true);
  layout->addWidget(summary_);
  error_label_ = make_error_label(this);
  layout->addWidget(error_label_);
  table_ = new QTableWidget(0, 2, this);
  table_->setObjectName("dataset_preview");
  table_->setHorizontalHeaderLabels({tr("tokens"), tr("example")});
  table_->horizontalHeader()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
  table_->horizontalHeader()->setSectionResizeMode(1, QHeaderView::Stretch);
  table_->verticalHeader()->setVisible(false);
  table_->verticalHeader()->setDefaultSectionSize(20);
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table_->setWordWrap(false);
  table_->setTextElideMode(Qt::ElideRight);
  table_->setMaximumHeight(150);
  layout->addWidget(table_);
  if (picker_->count() == 0) {
    summary_->setText(tr("No bundled story sets were found; pick a file or a folder."));
  }

  connect(picker_, &QComboBox::currentIndexChanged, this, [this](int index) {
    path_ = index < 0 ? QString() : picker_->itemData(index).toString();
    refresh();
    emit dataset_changed();
  });
  connect(open_file, &QPushButton::clicked, this, [this] {
    const QString file = QFileDialog::getOpenFileName(
        this, tr("Open a dataset"), QFileInfo(path_).absolutePath(),
        tr("Datasets (*.txt *.jsonl *.ndjson *.csv);;All files (*)"));
    if (!file.isEmpty()) set_dataset_path(file);
  });
  connect(open_folder, &QPushButton::clicked, this, [this] {
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Open a folder of stories"),
                                                          QFileInfo(path_).absolutePath());
    if (!dir.isEmpty()) set_dataset_path(dir);
  });
  connect(&watcher_, &QFutureWatcher<DatasetPreview>::finished, this, [this] {
    const DatasetPreview result = watcher_.result();
    if (result.path == path_) show_preview(result);
  });
  if (picker_->count() > 0) {
    path_ = picker_->itemData(0).toString();
    refresh();
  }
}

void DatasetPanel::set_dataset_path(const QString& path) {
  if (path.isEmpty()) return;
  const QString clean = QDir::cleanPath(QFileInfo(path).absoluteFilePath());
  if (picker_->currentData().toString() == clean) {
    path_ = clean;
    refresh();
    emit dataset_changed();
  } else {
    select_path_item(picker_, clean);
  }
}

void DatasetPanel::set_tokenizer_path(const QString& tokenizer_path) {
  if (tokenizer_path == tokenizer_path_) return;
  tokenizer_path_ = tokenizer_path;
  refresh();
}

void DatasetPanel::refresh() {
  if (path_.isEmpty()) return;
  summary_->setText(tr("Reading %1…").arg(QFileInfo(path_).fileName()));
  // Results for an older path are dropped when they arrive (see the watcher connection).
  watcher_.setFuture(QtConcurrent::run(preview_dataset, path_, tokenizer_path_, int(kPreviewRows)));
}

void DatasetPanel::show_preview(const DatasetPreview& p) {
  preview_ = p;
  error_label_->setText(p.error);
  error_label_->setVisible(!p.error.isEmpty());
  table_->setRowCount(0);
  if (!p.error.isEmpty()) {
    summary_->clear();
    emit preview_ready();
    return;
  }
  const QLocale locale;
  QString summary = tr("%1 examples · %2 format").arg(locale.toString(p.examples), p.format);
  if (p.tokens >= 0)
    summary += tr(" · %1 tokens (%2 per example on average)")
                   .arg(locale.toString(p.tokens))
                   .arg(p.examples ? double(p.tokens) / p.examples : 0.0, 0, 'f', 0);
  else
    summary += tr(" · %1 characters (choose a model with a tokenizer to count tokens)")
                   .arg(locale.toString(p.characters));
  const QString validation = sibling_validation(p.path);
  summary += validation.isEmpty() ? tr(" · validation: 5% of it")
                                  : tr(" · validation: %1").arg(QFileInfo(validation).fileName());
  summary_->setText(summary);
  table_->setRowCount(int(p.rows.size()));
  for (int i = 0; i < p.rows.size(); ++i) {
    const auto& row = p.rows[i];
    auto* count = new QTableWidgetItem(row.tokens >= 0 ? QString::number(row.tokens) : QString("–"));
    count->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    table_->setItem(i, 0, count);
    QString oneline = row.text.simplified();
    auto* text = new QTableWidgetItem(oneline.left(400));
    text->setToolTip(row.text.left(2000));
    table_->setItem(i, 1, text);
  }
  emit preview_ready();
}

}  // namespace loralab::ui
