// The main window: navigation between the app's pages, menus, and the status bar (engine threads,
// BLAS check, the current run's progress, the GUI stall probe). Pages own their logic and their
// controllers; this class only hosts them, so further pages (Sweeps & compare, Blend playground,
// Reports) slot in with add_page().
#pragma once
#include <QFutureWatcher>
#include <QMainWindow>

#include "loralab/runtime.h"

class QLabel;
class QListWidget;
class QProgressBar;
class QStackedWidget;

namespace loralab::ui {

class Settings;
class TrainPage;

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  // `settings` must outlive the window.
  explicit MainWindow(Settings& settings, QWidget* parent = nullptr);
  ~MainWindow() override;

  // Adds a page to the navigation; returns its index. Ctrl+<n> switches to the n-th page.
  int add_page(const QString& title, const QIcon& icon, QWidget* page);
  void show_page(int index);
  int current_page() const;
  TrainPage* train_page() const { return train_page_; }
  QString blas_status() const;
  QString stall_status() const;

 protected:
  void closeEvent(QCloseEvent* event) override;

 private:
  void build_menus();
  void build_status_bar();
  void start_blas_check();
  void recheck_blas_later();
  void apply_preferences();
  void open_preferences();
  void about();

  Settings& settings_;
  QListWidget* nav_ = nullptr;
  QStackedWidget* pages_ = nullptr;
  class QMenu* view_menu_ = nullptr;
  TrainPage* train_page_ = nullptr;
  QLabel *engine_status_ = nullptr, *blas_status_ = nullptr, *run_status_ = nullptr,
         *stall_status_ = nullptr;
  QProgressBar* run_progress_ = nullptr;
  QFutureWatcher<BlasCheck> blas_watcher_;
  BlasCheck best_blas_;
  int blas_checks_ = 0;
};

}  // namespace loralab::ui
