// loralab: the desktop application's entry point.
#include <QApplication>

#include "loralab/runtime.h"
#include "ui/main_window.h"

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  QApplication::setApplicationName("LoRA Lab");
  QApplication::setOrganizationName("LoRA Lab");
  loralab::set_compute_threads(0);
  loralab::ui::MainWindow window;
  window.show();
  return QApplication::exec();
}
