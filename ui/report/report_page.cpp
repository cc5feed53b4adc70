// Reports page; see report_page.h.
#include "ui/report/report_page.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMessageBox>
#include <QPushButton>
#include <QRadioButton>
#include <QScrollArea>
#include <QSplitter>
#include <QTimer>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include "loralab/error.h"
#include "loralab/store.h"
#include "ui/report/report_export.h"
#include "ui/report/report_writers.h"
#include "ui/settings.h"

namespace loralab::ui {
namespace {

constexpr int kPreviewWidth = 640;  // px per page in the preview
constexpr int kRunIdRole = Qt::UserRole;

QString q(const std::string& text) { return QString::fromStdString(text); }

QString file_stem(const QString& title) {
  QString stem = title.toLower();
  stem.replace(QRegularExpression("[^a-z0-9]+"), "-");
  stem = stem.mid(0, 60);
  while (stem.startsWith('-')) stem.remove(0, 1);
  while (stem.endsWith('-')) stem.chop(1);
  return stem.isEmpty() ? QString("report") : stem;
}

}  // namespace

ReportPage::ReportPage(Settings& settings, QWidget* parent) : QWidget(parent), settings_(settings) {
  setObjectName("report_page");
  build_ui();
  debounce_ = new QTimer(this);
  debounce_->setSingleShot(true);
  debounce_->setInterval(300);
  connect(debounce_, &QTimer::timeout, this, &ReportPage::refresh_preview);
  connect(&watcher_, &QFutureWatcher<Loaded>::finished, this, &ReportPage::show_loaded);
  store_path_ = settings_.store_path().isEmpty() ? q(default_store_path()) : settings_.store_path();
  QTimer::singleShot(0, this, &ReportPage::reload_store);
}

ReportPage::~ReportPage() { watcher_.waitForFinished(); }

void ReportPage::build_ui() {
  auto* splitter = new QSplitter(Qt::Horizontal, this);
  auto* outer = new QHBoxLayout(this);
  outer->setContentsMargins(8, 8, 8, 8);
  outer->addWidget(splitter);

  auto* form = new QWidget(splitter);
  auto* column = new QVBoxLayout(form);
  column->setContentsMargins(0, 0, 6, 0);
  auto* store_row = new QHBoxLayout;
  store_label_ = new QLabel(form);
  store_label_->setWordWrap(true);
  store_label_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  reload_ = new QPushButton(tr("Reload"), form);
  reload_->setToolTip(tr("Read the experiment store again (new runs, sweeps and samples)"));
  store_row->addWidget(store_label_, 1);
  store_row->addWidget(reload_);
  column->addLayout(store_row);

  auto* what = new QGroupBox(tr("What to report"), form);
  auto* what_layout = new QVBoxLayout(what);
  by_sweep_ = new QRadioButton(tr("A sweep"), what);
  by_runs_ = new QRadioButton(tr("Chosen runs"), what);
  by_sweep_->setChecked(true);
  sweeps_ = new QComboBox(what);
  sweeps_->setObjectName("report_sweep");
  runs_ = new QListWidget(what);
  runs_->setObjectName("report_runs");
  runs_->setMinimumHeight(180);
  what_layout->addWidget(by_sweep_);
  what_layout->addWidget(sweeps_);
  what_layout->addWidget(by_runs_);
  what_layout->addWidget(runs_, 1);
  blends_ = new QCheckBox(tr("Include blend samples of these runs"), what);
  blends_->setChecked(true);
  what_layout->addWidget(blends_);
  column->addWidget(what, 1);

  auto* out = new QGroupBox(tr("Export"), form);
  auto* out_layout = new QFormLayout(out);
  title_ = new QLineEdit(out);
  title_->setPlaceholderText(tr("Derived from the sweep or the runs"));
  out_layout->addRow(tr("Title:"), title_);
  csv_ = new QCheckBox(tr("Also write runs.csv, metrics.csv and report.json"), out);
  csv_->setToolTip(tr("Into a folder named after the report, next to it"));
  out_layout->addRow(csv_);
  export_ = new QPushButton(tr("Export…"), out);
  export_->setObjectName("report_export");
  export_->setToolTip(tr("HTML (one self-contained file), PDF (A4), Markdown with PNGs, or JSON"));
  export_->setEnabled(false);
  out_layout->addRow(export_);
  column->addWidget(out);
  status_ = new QLabel(form);
  status_->setObjectName("report_status");
  status_->setWordWrap(true);
  column->addWidget(status_);

  preview_scroll_ = new QScrollArea(splitter);
  preview_scroll_->setObjectName("report_preview");
  preview_scroll_->setWidgetResizable(true);
  preview_scroll_->setBackgroundRole(QPalette::Dark);
  preview_host_ = new QWidget;
  preview_layout_ = new QVBoxLayout(preview_host_);
  preview_layout_->setAlignment(Qt::AlignHCenter | Qt::AlignTop);
  preview_layout_->setSpacing(14);
  preview_scroll_->setWidget(preview_host_);
  splitter->addWidget(form);
  splitter->addWidget(preview_scroll_);
  splitter->setStretchFactor(0, 0);
  splitter->setStretchFactor(1, 1);
  splitter->setSizes({360, 900});

  connect(reload_, &QPushButton::clicked, this, &ReportPage::reload_store);
  connect(by_sweep_, &QRadioButton::toggled, this, [this](bool on) {
    sweeps_->setEnabled(on);
    schedule_preview();
  });
  connect(sweeps_, &QComboBox::currentIndexChanged, this, &ReportPage::schedule_preview);
  connect(runs_, &QListWidget::itemChanged, this, [this] {
    if (!by_runs_->isChecked()) by_runs_->setChecked(true);
    schedule_preview();
  });
  connect(blends_, &QCheckBox::toggled, this, &ReportPage::schedule_preview);
  connect(title_, &QLineEdit::editingFinished, this, &ReportPage::schedule_preview);
  connect(export_, &QPushButton::clicked, this, &ReportPage::open_export_dialog);
}

void ReportPage::set_store_path(const QString& path) {
  store_path_ = path;
  explicit_store_ = true;
  reload_store();
}

void ReportPage::reload_store() {
  store_label_->setText(tr("Store: %1").arg(store_path_));
  if (!QFileInfo::exists(store_path_)) {
    sweeps_->clear();
    runs_->clear();
    set_status(tr("No experiment store at %1 yet: train with recording on, or run a sweep.")
                   .arg(store_path_));
    return;
  }
  // Read first; the lists change only once the store answered, so a store that is busy or
  // unreadable for a moment leaves the lists (and the ticks in them) as they were.
  std::vector<SweepRecord> sweeps;
  std::vector<RunRecord> runs;
  try {
    StoreOptions options;
    options.create_if_missing = false;
    options.mark_interrupted = false;
    ExperimentStore store(store_path_.toStdString(), options);
    sweeps = store.sweeps();
    RunQuery query;
    query.descending = true;
    runs = store.list_runs(query);
  } catch (const Error& error) {
    set_status(q(error.what()), true);
    return;
  }
  const QSignalBlocker block_sweeps(sweeps_), block_runs(runs_);
  const QVariant old_sweep = sweeps_->currentData();
  std::vector<int64_t> checked;
  for (int i = 0; i < runs_->count(); ++i)
    if (runs_->item(i)->checkState() == Qt::Checked)
      checked.push_back(runs_->item(i)->data(kRunIdRole).toLongLong());
  const bool first_load = loaded_signature_.isEmpty();
  sweeps_->clear();
  runs_->clear();
  QString signature = store_path_;
  for (const SweepRecord& sweep : sweeps) {
    sweeps_->addItem(QString("#%1 %2 (%3)").arg(sweep.id).arg(q(sweep.name), q(sweep.grid)),
                     QVariant::fromValue<qlonglong>(sweep.id));
    signature += '\n' + sweeps_->itemText(sweeps_->count() - 1);
  }
  for (const RunRecord& run : runs) {
    QString text = QString("#%1 %2 · %3").arg(run.id).arg(q(run.name), run_status_name(run.status));
    if (run.best_val_loss) text += QString(" · val %1").arg(*run.best_val_loss, 0, 'f', 4);
    auto* item = new QListWidgetItem(text, runs_);
    item->setData(kRunIdRole, QVariant::fromValue<qlonglong>(run.id));
    item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
    const bool was_checked = std::find(checked.begin(), checked.end(), run.id) != checked.end();
    item->setCheckState(was_checked ? Qt::Checked : Qt::Unchecked);
    signature += QString("\n%1 %2 %3")
                     .arg(text)
                     .arg(run.final_train_loss.value_or(-1))
                     .arg(run.heartbeat_at.value_or(0), 0, 'f', 3);
  }
  const int old_index = sweeps_->findData(old_sweep);
  if (old_index >= 0) sweeps_->setCurrentIndex(old_index);
  if (sweeps_->count() == 0) by_runs_->setChecked(true);
  sweeps_->setEnabled(by_sweep_->isChecked());
  if (runs_->count() == 0) {
    set_status(tr("The store has no runs yet."));
    return;
  }
  // With no sweep, start from the newest run so the preview shows something at once.
  if (first_load && sweeps_->count() == 0 && runs_->count() > 0)
    runs_->item(0)->setCheckState(Qt::Checked);
  // Coming back to the page re-reads the store; the preview is redrawn only when it changed.
  if (signature != loaded_signature_ || !content_) schedule_preview();
  loaded_signature_ = signature;
}

void ReportPage::showEvent(QShowEvent* event) {
  QWidget::showEvent(event);
  const QString configured =
      settings_.store_path().isEmpty() ? q(default_store_path()) : settings_.store_path();
  if (!explicit_store_ && configured != store_path_) store_path_ = configured;
  if (!loaded_signature_.isEmpty()) reload_store();
}

ReportSelection ReportPage::selection() const {
  ReportSelection selection;
  if (by_sweep_->isChecked() && sweeps_->currentIndex() >= 0) {
    selection.sweep_id = sweeps_->currentData().toLongLong();
  } else {
    for (int i = 0; i < runs_->count(); ++i)
      if (runs_->item(i)->checkState() == Qt::Checked)
        selection.run_ids.push_back(runs_->item(i)->data(kRunIdRole).toLongLong());
    std::sort(selection.run_ids.begin(), selection.run_ids.end());
  }
  selection.blend_samples = blends_->isChecked();
  selection.title = title_->text().trimmed();
  return selection;
}

void ReportPage::select_sweep(int64_t sweep_id) {
  const int index = sweeps_->findData(QVariant::fromValue<qlonglong>(sweep_id));
  if (index < 0) return;
  by_sweep_->setChecked(true);
  sweeps_->setCurrentIndex(index);
  schedule_preview();
}

void ReportPage::select_runs(const std::vector<int64_t>& run_ids) {
  {
    const QSignalBlocker block(runs_);
    for (int i = 0; i < runs_->count(); ++i) {
      const int64_t id = runs_->item(i)->data(kRunIdRole).toLongLong();
      const bool chosen = std::find(run_ids.begin(), run_ids.end(), id) != run_ids.end();
      runs_->item(i)->setCheckState(chosen ? Qt::Checked : Qt::Unchecked);
    }
  }
  by_runs_->setChecked(true);
  schedule_preview();
}

void ReportPage::schedule_preview() { debounce_->start(); }

void ReportPage::refresh_preview() {
  debounce_->stop();
  const ReportSelection chosen = selection();
  if (!chosen.sweep_id && chosen.run_ids.empty()) {
    set_status(tr("Choose a sweep or tick runs to report on."));
    export_->setEnabled(false);
    return;
  }
  if (watcher_.isRunning()) {  // the answer to the newer selection follows this one
    pending_ = true;
    ++request_;
    return;
  }
  set_status(tr("Reading the store…"));
  const QString path = store_path_;
  const int request = ++request_;
  watcher_.setProperty("request", request);
  watcher_.setFuture(QtConcurrent::run([path, chosen]() -> Loaded {
    Loaded loaded;
    try {
      StoreOptions options;
      options.create_if_missing = false;
      options.mark_interrupted = false;
      ExperimentStore store(path.toStdString(), options);
      loaded.content = std::make_shared<ReportContent>(load_report_content(store, chosen));
    } catch (const std::exception& error) {
      loaded.error = q(error.what());
    }
    return loaded;
  }));
}

void ReportPage::show_loaded() {
  const Loaded loaded = watcher_.result();
  const bool stale = watcher_.property("request").toInt() != request_;
  if (pending_ || stale) {
    pending_ = false;
    refresh_preview();
    return;
  }
  if (!loaded.error.isEmpty()) {
    set_status(loaded.error, true);
    export_->setEnabled(false);
    emit preview_failed(loaded.error);
    return;
  }
  content_ = loaded.content;
  // Screen-resolution figures keep the GUI thread's share short; Export draws them for print.
  document_ =
      std::make_unique<ReportDocument>(build_report_document(*content_, FigureResolution::Screen));
  pages_ = std::make_unique<ReportPages>(*document_);
  show_pages();
  export_->setEnabled(true);
  set_status(tr("%1 · %2 runs · %3 figures · %4 A4 pages")
                 .arg(content_->title)
                 .arg(content_->runs.size())
                 .arg(document_->image_count())
                 .arg(pages_->page_count()));
  emit preview_ready(pages_->page_count());
}

void ReportPage::show_pages() {
  while (QLayoutItem* item = preview_layout_->takeAt(0)) {
    delete item->widget();
    delete item;
  }
  const qreal ratio = devicePixelRatioF();
  for (int i = 0; i < pages_->page_count(); ++i) {
    QImage image = pages_->page_image(i, int(kPreviewWidth * ratio));
    image.setDevicePixelRatio(ratio);
    auto* label = new QLabel(preview_host_);
    label->setPixmap(QPixmap::fromImage(image));
    label->setFrameShape(QFrame::Box);
    label->setToolTip(tr("Page %1 of %2").arg(i + 1).arg(pages_->page_count()));
    preview_layout_->addWidget(label, 0, Qt::AlignHCenter);
    label->show();  // the scroll area's host was shown by setWidget(): new children need it too
  }
}

int ReportPage::preview_pages() const { return pages_ ? pages_->page_count() : 0; }

QString ReportPage::status_text() const { return status_->text(); }

void ReportPage::set_status(const QString& text, bool error) {
  status_->setText(text);
  status_->setStyleSheet(error ? "color: #b00020;" : QString());
}

void ReportPage::open_export_dialog() {
  if (!content_) return;
  QString folder = settings_.report_folder();
  if (folder.isEmpty() || !QFileInfo(folder).isDir()) folder = QDir::homePath();
  QFileDialog dialog(this, tr("Export report"),
                     QDir(folder).filePath(file_stem(content_->title) + ".html"));
  dialog.setAcceptMode(QFileDialog::AcceptSave);
  // We ask ourselves: the Markdown's image folder and the CSV files may exist too.
  dialog.setOption(QFileDialog::DontConfirmOverwrite, true);
  const QStringList filters = {tr("HTML, self-contained (*.html)"), tr("PDF, A4 (*.pdf)"),
                               tr("Markdown with PNGs (*.md)"), tr("JSON data (*.json)")};
  const QStringList suffixes = {"html", "pdf", "md", "json"};
  dialog.setNameFilters(filters);
  connect(&dialog, &QFileDialog::filterSelected, &dialog, [&](const QString& filter) {
    dialog.setDefaultSuffix(suffixes.value(int(filters.indexOf(filter)), "html"));
  });
  dialog.setDefaultSuffix("html");
  if (dialog.exec() != QDialog::Accepted || dialog.selectedFiles().isEmpty()) return;
  export_to(dialog.selectedFiles().first(), csv_->isChecked());
}

bool ReportPage::export_to(const QString& path, bool with_csv) {
  if (!content_ || !document_) {
    set_status(tr("Nothing to export yet."), true);
    return false;
  }
  ExportOptions options;
  if (with_csv) {
    const QFileInfo info(path);
    options.csv_dir = info.absoluteDir().filePath(info.completeBaseName() + "_data");
  }
  const QStringList existing = existing_outputs(path, options);
  if (!existing.isEmpty()) {
    const bool replace =
        confirm_replace_
            ? confirm_replace_(existing)
            : QMessageBox::question(
                  this, tr("Replace files?"),
                  tr("These exist already and would be replaced:\n\n%1").arg(existing.join('\n')),
                  QMessageBox::Yes | QMessageBox::Cancel, QMessageBox::Cancel) == QMessageBox::Yes;
    if (!replace) {
      set_status(tr("Not exported: %1 exists and was kept.").arg(existing.first()));
      return false;
    }
    options.replace = true;
  }
  try {
    const ReportDocument print = build_report_document(*content_, FigureResolution::Print);
    const ExportResult result = export_report(*content_, print, path, options);
    try {
      ExperimentStore store(store_path_.toStdString());
      record_report_artifacts(store, *content_, result);
    } catch (const Error&) {
      // The report is written; a store that cannot take the artifact row must not undo that.
    }
    settings_.set_report_folder(QFileInfo(path).absolutePath());
    QString done = tr("Wrote %1 (%2").arg(path, report_format_name(result.format));
    if (result.format == ReportFormat::Pdf) done += tr(", %1 pages").arg(result.pages);
    done += tr(", %1 images").arg(result.images);
    if (result.files.size() > 1) done += tr(", %1 files in all").arg(result.files.size());
    set_status(done + ")");
    emit exported(path);
    return true;
  } catch (const Error& error) {
    set_status(q(error.what()), true);
    if (!confirm_replace_) QMessageBox::warning(this, tr("Export failed"), q(error.what()));
    return false;
  }
}

}  // namespace loralab::ui
