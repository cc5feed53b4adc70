// loralab: the desktop application's entry point. Besides starting the app it takes a few flags
// for demos and checks: --settings INI (use a separate settings file), --model DIR and --data PATH
// (preselect them; `bundled` and bundled:STYLE name the bundled files), --train (press Train once
// the window is up), --pause-at N (with --train: pause at step N and draw a sample) and
// --screenshot PNG (grab the window after --screenshot-delay ms, when the run ends with --train,
// or when the sample is in with --pause-at, then quit).
#include <QApplication>
#include <QCommandLineParser>
#include <QFileInfo>
#include <QIcon>
#include <QPushButton>
#include <QTimer>
#include <memory>

#include "loralab/runtime.h"
#include "ui/app_paths.h"
#include "ui/main_window.h"
#include "ui/settings.h"
#include "ui/theme.h"
#include "ui/train/dataset_panel.h"
#include "ui/train/model_panel.h"
#include "ui/train/train_controller.h"
#include "ui/train/train_page.h"

namespace {

// The words loralab-cli takes for the bundled files: `bundled` (the model) and bundled:STYLE (its
// train.jsonl) or bundled:STYLE/FILE. Anything else is a path and comes back unchanged; a word
// that names nothing becomes the path it was looked for at, which the panel then reports missing.
QString bundled_arg(const QString& value) {
  if (value == "bundled") {
    const QString dir = loralab::ui::bundled_model_dir();
    return dir.isEmpty() ? loralab::ui::bundled_model_expected() : dir;
  }
  if (!value.startsWith("bundled:")) return value;
  const QString path = loralab::ui::resources_dir() + "/datasets/" + value.mid(8);
  return QFileInfo(path).isDir() ? path + "/train.jsonl" : path;
}

}  // namespace

int main(int argc, char** argv) {
  loralab::reexec_with_fast_blas_kernels(argv);
  loralab::keep_freed_memory_for_reuse();
  QApplication app(argc, argv);
  QApplication::setApplicationName("LoRA Lab");
  QApplication::setOrganizationName("LoRA Lab");
  QApplication::setApplicationVersion(QString::fromStdString(loralab::engine_version()));
  // The installed desktop file and icon (installer/packaging.cmake); the source tree's SVG when
  // running from a build folder.
  QGuiApplication::setDesktopFileName("io.github.loralab.LoraLab");
  QApplication::setWindowIcon(
      QIcon::fromTheme("loralab", QIcon(loralab::ui::resources_dir() + "/desktop/loralab.svg")));

  QCommandLineParser parser;
  parser.setApplicationDescription("Train, compare and blend LoRA adapters on story models.");
  parser.addHelpOption();
  parser.addVersionOption();
  const QCommandLineOption settings_opt("settings", "Use this INI file for settings.", "ini");
  const QCommandLineOption model_opt("model", "Preselect this model folder (bundled: the bundled one).", "dir");
  const QCommandLineOption data_opt("data", "Preselect this dataset (bundled:STYLE: a bundled one).", "path");
  const QCommandLineOption train_opt("train", "Start training when the window is up.");
  const QCommandLineOption shot_opt("screenshot", "Save a picture of the window and quit.", "png");
  const QCommandLineOption pause_opt("pause-at", "With --train: pause at this step and sample.", "step");
  const QCommandLineOption delay_opt("screenshot-delay", "Milliseconds before the screenshot.", "ms", "1500");
  parser.addOptions({settings_opt, model_opt, data_opt, train_opt, pause_opt, shot_opt, delay_opt});
  parser.process(app);

  loralab::ui::capture_system_theme();
  loralab::set_compute_threads(0);
  auto settings = parser.isSet(settings_opt)
                      ? std::make_unique<loralab::ui::Settings>(parser.value(settings_opt))
                      : std::make_unique<loralab::ui::Settings>();
  loralab::ui::MainWindow window(*settings);
  auto* page = window.train_page();
  if (parser.isSet(model_opt)) page->model_panel()->set_model_dir(bundled_arg(parser.value(model_opt)));
  if (parser.isSet(data_opt)) page->dataset_panel()->set_dataset_path(bundled_arg(parser.value(data_opt)));
  window.show();

  if (parser.isSet(shot_opt)) {
    const QString path = parser.value(shot_opt);
    auto grab = [&window, page, path] {
      window.grab().save(path);
      // Quitting closes the window, which asks before abandoning a run: stop it first.
      auto* controller = page->controller();
      if (controller->state() == loralab::ui::TrainController::State::Idle) {
        QApplication::quit();
        return;
      }
      QObject::connect(controller, &loralab::ui::TrainController::state_changed, &window,
                       [](loralab::ui::TrainController::State state) {
                         if (state == loralab::ui::TrainController::State::Idle) QApplication::quit();
                       });
      controller->stop();
    };
    if (parser.isSet(train_opt) && parser.isSet(pause_opt)) {
      QObject::connect(page->controller(), &loralab::ui::TrainController::sample_finished, &window,
                       [grab] { QTimer::singleShot(500, grab); });
    } else if (parser.isSet(train_opt)) {
      // Grab a moment after the run ends, so the last replot is on screen.
      QObject::connect(page->controller(), &loralab::ui::TrainController::state_changed, &window,
                       [grab](loralab::ui::TrainController::State state) {
                         if (state == loralab::ui::TrainController::State::Idle) QTimer::singleShot(500, grab);
                       });
    } else {
      QTimer::singleShot(parser.value(delay_opt).toInt(), grab);
    }
  }
  if (parser.isSet(train_opt) && parser.isSet(pause_opt)) {
    using State = loralab::ui::TrainController::State;
    const int64_t pause_at = parser.value(pause_opt).toLongLong();
    auto* controller = page->controller();
    QObject::connect(controller, &loralab::ui::TrainController::stepped, page,
                     [controller, pause_at](const loralab::StepMetrics& m) {
                       if (m.step >= pause_at) controller->pause();
                     });
    QObject::connect(controller, &loralab::ui::TrainController::state_changed, page, [page](State state) {
      if (state == State::Paused) page->sample_button()->click();
    });
  }
  if (parser.isSet(train_opt)) {
    // The dataset preview is read on a pool thread; press Train once it is in.
    QTimer::singleShot(parser.value(delay_opt).toInt(), page, [page] { page->start_button()->click(); });
  }
  return QApplication::exec();
}
