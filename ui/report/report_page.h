// ReportPage: choose what to report (a sweep, or runs ticked in a list, with or without blend
// samples), see the A4 pages exactly as the PDF will have them, and Export to HTML, PDF, Markdown
// or JSON (optionally with CSV files). The store is read on a worker thread; the figures and pages
// are drawn on the GUI thread when the data arrives (QCustomPlot is a widget). The last export
// folder is remembered; an existing file is replaced only after the person agrees.
#pragma once
#include <QFutureWatcher>
#include <QWidget>
#include <functional>
#include <memory>

#include "ui/report/report_content.h"
#include "ui/report/report_document.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QPushButton;
class QRadioButton;
class QScrollArea;
class QVBoxLayout;

namespace loralab::ui {

class ReportPages;
class Settings;

class ReportPage : public QWidget {
  Q_OBJECT
 public:
  explicit ReportPage(Settings& settings, QWidget* parent = nullptr);
  ~ReportPage() override;

  // Reads the sweeps and runs of the store (settings' store path, or the engine's default).
  void reload_store();
  // Uses `path` from now on instead of the preferences' store (tests, a store opened by hand).
  void set_store_path(const QString& path);
  QString store_path() const { return store_path_; }

  // The selection the form describes; the preview follows it.
  ReportSelection selection() const;
  void select_sweep(int64_t sweep_id);
  void select_runs(const std::vector<int64_t>& run_ids);
  void refresh_preview();

  // Writes the current report to `path` (format by extension). Existing files are replaced only
  // when the confirmation (a dialog, or the hook below) says so. Returns false on refusal or error;
  // the reason is in status_text().
  bool export_to(const QString& path, bool with_csv = false);
  // Replaces the "replace these files?" dialog (tests).
  void set_replace_confirmation(std::function<bool(const QStringList&)> confirm) {
    confirm_replace_ = std::move(confirm);
  }

  int preview_pages() const;
  QString status_text() const;
  const ReportContent* content() const { return content_.get(); }
  const ReportDocument* document() const { return document_.get(); }
  QListWidget* run_list() const { return runs_; }
  QComboBox* sweep_combo() const { return sweeps_; }
  QPushButton* export_button() const { return export_; }

 protected:
  // Re-reads the store (new runs, a store chosen in the preferences) each time the page shows.
  void showEvent(QShowEvent* event) override;

 signals:
  void preview_ready(int pages);
  void preview_failed(const QString& message);
  void exported(const QString& path);

 private:
  void build_ui();
  void schedule_preview();
  void show_loaded();
  void show_pages();
  void open_export_dialog();
  void set_status(const QString& text, bool error = false);

  Settings& settings_;
  QString store_path_;
  QLabel* store_label_ = nullptr;
  QRadioButton *by_sweep_ = nullptr, *by_runs_ = nullptr;
  QComboBox* sweeps_ = nullptr;
  QListWidget* runs_ = nullptr;
  QCheckBox *blends_ = nullptr, *csv_ = nullptr;
  QLineEdit* title_ = nullptr;
  QPushButton *export_ = nullptr, *reload_ = nullptr;
  QLabel* status_ = nullptr;
  QScrollArea* preview_scroll_ = nullptr;
  QWidget* preview_host_ = nullptr;
  QVBoxLayout* preview_layout_ = nullptr;
  class QTimer* debounce_ = nullptr;

  struct Loaded {
    std::shared_ptr<ReportContent> content;
    QString error;
  };
  QFutureWatcher<Loaded> watcher_;
  int request_ = 0;  // a newer request makes an older answer stale
  bool pending_ = false;
  bool explicit_store_ = false;
  QString loaded_signature_;  // the sweeps and runs last listed
  std::shared_ptr<ReportContent> content_;
  std::unique_ptr<ReportDocument> document_;
  std::unique_ptr<ReportPages> pages_;
  std::function<bool(const QStringList&)> confirm_replace_;
};

}  // namespace loralab::ui
