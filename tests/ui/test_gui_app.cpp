// The real `loralab` binary, offscreen: started on a model and a dataset with --train, it trains,
// saves the adapter, records the run, writes a screenshot of its window, saves its preferences
// on the way out and exits 0. A bad --settings file or a missing model does not crash it.
#include <QtTest>

#include <QImage>
#include <QProcess>
#include <QSettings>

#include "ui_fixture.h"

class TestGuiApp : public QObject {
  Q_OBJECT

  static QProcessEnvironment offscreen() {
    auto env = QProcessEnvironment::systemEnvironment();
    env.insert("QT_QPA_PLATFORM", "offscreen");
    return env;
  }

 private slots:
  void trains_and_screenshots() {
    ui_test::Fixture f;
    {
      QSettings ini(f.settings_ini, QSettings::IniFormat);
      ini.setValue("train/output_root", f.out_root);
      ini.setValue("store/path", f.store);
      ini.setValue("train/spec_json",
                   R"({"name": "app-run", "data": {"path": "x"}, "steps": 8, "batch": 4,
                       "seq_len": 32, "eval_every": 4, "threads": 1, "lr": 0.01})");
    }
    const QString shot = f.dir.path() + "/window.png";
    QProcess app;
    app.setProcessEnvironment(offscreen());
    app.start(LORALAB_GUI, {"--settings", f.settings_ini, "--model", f.model_dir, "--data", f.data,
                            "--train", "--screenshot", shot, "--screenshot-delay", "1500"});
    QVERIFY2(app.waitForFinished(180000), "the app did not exit");
    QVERIFY2(app.exitStatus() == QProcess::NormalExit && app.exitCode() == 0,
             app.readAllStandardError().constData());
    const QImage image(shot);
    QVERIFY(!image.isNull());
    QVERIFY(image.width() >= 1000 && image.height() >= 600);
    const auto runs = QDir(f.out_root).entryList({"app-run-*"}, QDir::Dirs);
    QCOMPARE(runs.size(), 1);
    QVERIFY(QFile::exists(f.out_root + "/" + runs[0] + "/adapter_model.safetensors"));
    QVERIFY(QFile::exists(f.store));
    QSettings ini(f.settings_ini, QSettings::IniFormat);
    QVERIFY(!ini.value("window/geometry").toByteArray().isEmpty());
    QCOMPARE(ini.value("train/model_dir").toString(), QDir::cleanPath(f.model_dir));
  }

  void survives_a_missing_model_and_odd_settings() {
    ui_test::Fixture f;
    ui_test::Fixture::write(f.settings_ini, "[train]\nspec_json=\"{not json\"\n[engine]\nthreads=-4\n");
    QProcess app;
    app.setProcessEnvironment(offscreen());
    app.start(LORALAB_GUI, {"--settings", f.settings_ini, "--model", f.dir.path() + "/nothing-here",
                            "--screenshot", f.dir.path() + "/w.png", "--screenshot-delay", "500"});
    QVERIFY(app.waitForFinished(60000));
    QCOMPARE(app.exitStatus(), QProcess::NormalExit);
    QCOMPARE(app.exitCode(), 0);
    QVERIFY(QFile::exists(f.dir.path() + "/w.png"));
  }
};

QTEST_MAIN(TestGuiApp)
#include "test_gui_app.moc"
