// Main window shell; see main_window.h.
#include "ui/main_window.h"

#include <QApplication>
#include <QLabel>
#include <QMenuBar>
#include <QStatusBar>

#include "loralab/runtime.h"

namespace loralab::ui {

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
  setWindowTitle(tr("LoRA Lab"));
  resize(1200, 800);
  auto* file_menu = menuBar()->addMenu(tr("&File"));
  file_menu->addAction(tr("&Quit"), QKeySequence::Quit, qApp, &QApplication::quit);
  auto* placeholder = new QLabel(tr("LoRA Lab — training, sweeps and blending land here."), this);
  placeholder->setAlignment(Qt::AlignCenter);
  setCentralWidget(placeholder);
  build_status_bar();
}

void MainWindow::build_status_bar() {
  engine_status_ = new QLabel(this);
  engine_status_->setText(tr("Engine %1 · LibTorch %2 · %3 threads")
                              .arg(QString::fromStdString(engine_version()),
                                   QString::fromStdString(libtorch_version()))
                              .arg(compute_threads()));
  statusBar()->addPermanentWidget(engine_status_);
}

}  // namespace loralab::ui
