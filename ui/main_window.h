// The main window: navigation between the app's pages and the status bar. Pages own their logic;
// this class only hosts them.
#pragma once
#include <QMainWindow>

class QLabel;

namespace loralab::ui {

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  explicit MainWindow(QWidget* parent = nullptr);

 private:
  void build_status_bar();
  QLabel* engine_status_ = nullptr;
};

}  // namespace loralab::ui
