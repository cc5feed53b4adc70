// Main window shell; see main_window.h.
#include "ui/main_window.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QLabel>
#include <QListWidget>
#include <QMenuBar>
#include <QMessageBox>
#include <QProgressBar>
#include <QHBoxLayout>
#include <QStackedWidget>
#include <QStatusBar>
#include <QStyle>
#include <QTimer>
#include <QtConcurrent/QtConcurrentRun>

#include "loralab/store.h"
#include "ui/preferences_dialog.h"
#include "ui/compare/compare_page.h"
#include "ui/settings.h"
#include "ui/theme.h"
#include "ui/train/train_page.h"
#include "ui/report/report_page.h"
#include "ui/blend/blend_page.h"

namespace loralab::ui {

MainWindow::MainWindow(Settings& settings, QWidget* parent) : QMainWindow(parent), settings_(settings) {
  setWindowTitle(tr("LoRA Lab"));
  setObjectName("main_window");
  auto* central = new QWidget(this);
  auto* row = new QHBoxLayout(central);
  row->setContentsMargins(0, 0, 0, 0);
  row->setSpacing(0);
  nav_ = new QListWidget(central);
  nav_->setObjectName("navigation");
  nav_->setIconSize(QSize(22, 22));
  nav_->setFixedWidth(170);
  nav_->setFrameShape(QFrame::NoFrame);
  nav_->setSpacing(2);
  pages_ = new QStackedWidget(central);
  row->addWidget(nav_);
  row->addWidget(pages_, 1);
  setCentralWidget(central);
  connect(nav_, &QListWidget::currentRowChanged, pages_, &QStackedWidget::setCurrentIndex);

  build_menus();
  train_page_ = new TrainPage(this);
  add_page(tr("Train"), style()->standardIcon(QStyle::SP_MediaPlay), train_page_);
  add_page(tr("Sweeps & compare"), style()->standardIcon(QStyle::SP_FileDialogContentsView),
           new ComparePage(settings_, train_page_, this));
  add_page(tr("Blend"), style()->standardIcon(QStyle::SP_MediaVolume), new BlendPage(settings_, this));
  add_page(tr("Reports"), style()->standardIcon(QStyle::SP_FileDialogDetailedView),
           new ReportPage(settings_, this));
  build_status_bar();

  resize(1360, 860);
  restoreGeometry(settings_.window_geometry());
  restoreState(settings_.window_state());
  apply_preferences();
  train_page_->restore(settings_);
  show_page(settings_.current_page());
  start_blas_check();
}

MainWindow::~MainWindow() { blas_watcher_.waitForFinished(); }

int MainWindow::add_page(const QString& title, const QIcon& icon, QWidget* page) {
  const int index = pages_->addWidget(page);
  new QListWidgetItem(icon, title, nav_);
  if (index < 9) {
    auto* action = view_menu_->addAction(title, this, [this, index] { show_page(index); });
    action->setShortcut(QKeySequence(Qt::CTRL | Qt::Key(Qt::Key_1 + index)));
  }
  if (nav_->currentRow() < 0) nav_->setCurrentRow(0);
  return index;
}

void MainWindow::show_page(int index) {
  if (index >= 0 && index < pages_->count()) nav_->setCurrentRow(index);
}

int MainWindow::current_page() const { return pages_->currentIndex(); }

void MainWindow::build_menus() {
  auto* file = menuBar()->addMenu(tr("&File"));
  auto* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
  quit->setShortcut(QKeySequence::Quit);
  quit->setMenuRole(QAction::QuitRole);

  auto* edit = menuBar()->addMenu(tr("&Edit"));
  auto* prefs = edit->addAction(tr("&Preferences…"), this, &MainWindow::open_preferences);
  // Linux desktops have no standard Preferences key; Ctrl+, is the common convention there.
  QList<QKeySequence> keys = QKeySequence::keyBindings(QKeySequence::Preferences);
  if (keys.isEmpty()) keys << QKeySequence(Qt::CTRL | Qt::Key_Comma);
  prefs->setShortcuts(keys);
  prefs->setMenuRole(QAction::PreferencesRole);

  view_menu_ = menuBar()->addMenu(tr("&View"));

  auto* help = menuBar()->addMenu(tr("&Help"));
  auto* about_action = help->addAction(tr("&About LoRA Lab…"), this, &MainWindow::about);
  about_action->setMenuRole(QAction::AboutRole);
  help->addAction(tr("About &Qt…"), qApp, &QApplication::aboutQt)->setMenuRole(QAction::AboutQtRole);
}

void MainWindow::build_status_bar() {
  run_status_ = new QLabel(tr("No run"), this);
  run_status_->setObjectName("run_status");
  run_progress_ = new QProgressBar(this);
  run_progress_->setMaximumWidth(160);
  run_progress_->setMaximumHeight(16);
  run_progress_->setTextVisible(false);
  run_progress_->setVisible(false);
  statusBar()->addWidget(run_status_, 1);
  statusBar()->addWidget(run_progress_);
  stall_status_ = new QLabel(this);
  stall_status_->setObjectName("stall_status");
  stall_status_->setToolTip(tr("Longest time the window could not react during the current or "
                               "last run (measured with a 5 ms timer); the goal is ≤ 50 ms"));
  blas_status_ = new QLabel(tr("BLAS: checking…"), this);
  blas_status_->setObjectName("blas_status");
  engine_status_ = new QLabel(this);
  engine_status_->setObjectName("engine_status");
  for (auto* label : {stall_status_, blas_status_, engine_status_}) statusBar()->addPermanentWidget(label);

  connect(train_page_, &TrainPage::progress_changed, this, [this](int step, int total, const QString& text) {
    run_progress_->setRange(0, std::max(1, total));
    run_progress_->setValue(step);
    run_status_->setText(text);
  });
  connect(train_page_, &TrainPage::run_active_changed, this, [this](bool active) {
    run_progress_->setVisible(active);
    if (active) run_status_->setText(tr("Training…"));
  });
  connect(train_page_, &TrainPage::stall_measured, this, [this](double ms) {
    stall_status_->setText(tr("UI stall max %1 ms").arg(ms, 0, 'f', 0));
    stall_status_->setStyleSheet(ms > 50 ? "color: #c05000;" : QString());
  });
}

void MainWindow::start_blas_check() {
  connect(&blas_watcher_, &QFutureWatcher<BlasCheck>::finished, this, [this] {
    const BlasCheck check = blas_watcher_.result();
    ++blas_checks_;
    if (blas_checks_ == 1 || check.matmul_gflops > best_blas_.matmul_gflops) best_blas_ = check;
    const QString summary = QString::fromStdString(best_blas_.summary);
    blas_status_->setToolTip(summary);
    if (best_blas_.looks_optimized) {
      blas_status_->setText(tr("BLAS %1 GFLOP/s").arg(best_blas_.matmul_gflops, 0, 'f', 0));
      blas_status_->setStyleSheet(QString());
      return;
    }
    // Busy cores also make a fast BLAS look slow, and contention only ever lowers the figure:
    // measure twice more, a few seconds apart, before crying wolf.
    if (blas_checks_ < 3) {
      blas_status_->setText(tr("BLAS: checking…"));
      recheck_blas_later();
      return;
    }
    blas_status_->setText(tr("⚠ Slow BLAS: %1 GFLOP/s").arg(best_blas_.matmul_gflops, 0, 'f', 1));
    blas_status_->setStyleSheet("color: white; background: #c03030; padding: 0 4px;");
    statusBar()->showMessage(tr("Matrix products run slowly; training will be far slower than it "
                                "should. %1").arg(summary), 20000);
  });
  blas_watcher_.setFuture(QtConcurrent::run([] { return check_blas(); }));
}

void MainWindow::recheck_blas_later() {
  QTimer::singleShot(4000, this, [this] {
    // A training run keeps the cores busy and would only confirm the low figure: wait for its end.
    if (train_page_->controller()->state() != TrainController::State::Idle) {
      recheck_blas_later();
      return;
    }
    blas_watcher_.setFuture(QtConcurrent::run([] { return check_blas(); }));
  });
}

void MainWindow::apply_preferences() {
  apply_theme(settings_.theme());
  set_compute_threads(settings_.compute_threads());
  engine_status_->setText(tr("Engine %1 · LibTorch %2 · %3 threads")
                              .arg(QString::fromStdString(engine_version()),
                                   QString::fromStdString(libtorch_version()))
                              .arg(compute_threads()));
  train_page_->set_output_root(settings_.output_root());
  train_page_->set_store_path(!settings_.record_runs() ? QString()
                              : settings_.store_path().isEmpty()
                                  ? QString::fromStdString(default_store_path())
                                  : settings_.store_path());
}

void MainWindow::open_preferences() {
  PreferencesDialog dialog(settings_, this);
  if (dialog.exec() == QDialog::Accepted) apply_preferences();
}

void MainWindow::about() {
  QMessageBox::about(this, tr("About LoRA Lab"),
                     tr("<h3>LoRA Lab %1</h3><p>Train, compare and blend LoRA adapters on small "
                        "story-telling language models.</p><p>LibTorch %2 · Qt %3</p>")
                         .arg(QString::fromStdString(engine_version()),
                              QString::fromStdString(libtorch_version()), qVersion()));
}

QString MainWindow::blas_status() const { return blas_status_->text(); }
QString MainWindow::stall_status() const { return stall_status_->text(); }

void MainWindow::closeEvent(QCloseEvent* event) {
  if (train_page_->controller()->state() != TrainController::State::Idle) {
    const auto answer = QMessageBox::question(
        this, tr("A run is in progress"),
        tr("Stop the run and quit? What it has trained so far is saved with a checkpoint."));
    if (answer != QMessageBox::Yes) {
      event->ignore();
      return;
    }
  }
  settings_.set_window_geometry(saveGeometry());
  settings_.set_window_state(saveState());
  settings_.set_current_page(current_page());
  train_page_->save(settings_);
  settings_.sync();
  event->accept();
}

}  // namespace loralab::ui
