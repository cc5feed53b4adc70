// Preferences round trip through Settings (typed accessors over an INI file), and the main window
// saving its layout and the Train page's form on close and restoring them on the next start.
#include <QtTest>

#include <QCheckBox>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QStatusBar>

#include "ui/app_paths.h"
#include "ui/main_window.h"
#include "ui/settings.h"
#include "ui/theme.h"
#include "ui/train/dataset_panel.h"
#include "ui/train/field_set.h"
#include "ui/train/lora_form.h"
#include "ui/train/loss_plot.h"
#include "ui/train/model_panel.h"
#include "ui/train/train_page.h"
#include "ui/train/general_form.h"
#include "ui/train/training_form.h"
#include "ui_fixture.h"

using loralab::ui::MainWindow;
using loralab::ui::Settings;

class TestUiSettings : public QObject {
  Q_OBJECT
 private slots:
  void preferences_round_trip() {
    ui_test::Fixture f;
    {
      Settings s(f.settings_ini);
      QCOMPARE(s.theme(), Settings::Theme::System);  // defaults
      QCOMPARE(s.compute_threads(), 0);
      QVERIFY(s.record_runs());
      QVERIFY(!s.output_root().isEmpty());
      s.set_theme(Settings::Theme::Dark);
      s.set_compute_threads(3);
      s.set_output_root("/tmp/somewhere");
      s.set_store_path("/tmp/store.sqlite");
      s.set_record_runs(false);
      s.set_model_dir("/models/x");
      s.set_dataset_path("/data/y.jsonl");
      s.set_train_spec_json("{\"lr\": 0.1}");
      s.set_sample_prompt("the dragon");
      s.set_plot_by_tokens(true);
      s.set_plot_log_scale(true);
      s.set_current_page(2);
      s.set_window_geometry(QByteArray("geometry\0bytes", 14));
      s.sync();
    }
    Settings s(f.settings_ini);
    QCOMPARE(s.theme(), Settings::Theme::Dark);
    QCOMPARE(s.compute_threads(), 3);
    QCOMPARE(s.output_root(), QString("/tmp/somewhere"));
    QCOMPARE(s.store_path(), QString("/tmp/store.sqlite"));
    QCOMPARE(s.record_runs(), false);
    QCOMPARE(s.model_dir(), QString("/models/x"));
    QCOMPARE(s.dataset_path(), QString("/data/y.jsonl"));
    QCOMPARE(s.train_spec_json(), QString("{\"lr\": 0.1}"));
    QCOMPARE(s.sample_prompt(), QString("the dragon"));
    QVERIFY(s.plot_by_tokens());
    QVERIFY(s.plot_log_scale());
    QCOMPARE(s.current_page(), 2);
    QCOMPARE(s.window_geometry(), QByteArray("geometry\0bytes", 14));
    QCOMPARE(Settings::parse_theme("nonsense"), Settings::Theme::System);
    QCOMPARE(Settings::parse_theme(Settings::theme_name(Settings::Theme::Light)), Settings::Theme::Light);
  }

  void window_and_form_survive_a_restart() {
    ui_test::Fixture f;
    {
      Settings settings(f.settings_ini);
      settings.set_record_runs(false);
      MainWindow window(settings);
      window.show();
      window.resize(1111, 777);
      QVERIFY(QTest::qWaitForWindowExposed(&window));
      auto* page = window.train_page();
      page->model_panel()->set_model_dir(f.model_dir);
      page->dataset_panel()->set_dataset_path(f.data);
      page->training_form()->edit("lr")->setText("0.002");
      page->training_form()->edit("seq")->setText("48");
      qobject_cast<QLineEdit*>(page->lora_form()->fields()->input("rank"))->setText("4");
      page->lora_form()->findChild<QCheckBox*>("target_o_proj")->setChecked(true);
      page->lora_form()->set_layer_rank(1, "o_proj", "12");
      page->plot()->set_log_scale(true);
      page->general_form()->set_general_path(f.data);  // the fixture model suggests none
      page->general_form()->set_share_text("0.3");
      page->general_form()->set_openings_text("0.1");
      page->training_form()->set_packed(false);
      QVERIFY(window.close());
    }
    Settings settings(f.settings_ini);
    QVERIFY(!settings.window_geometry().isEmpty());
    MainWindow window(settings);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QCOMPARE(window.size(), QSize(1111, 777));
    auto* page = window.train_page();
    QCOMPARE(page->model_panel()->model_dir(), QDir::cleanPath(f.model_dir));
    QCOMPARE(page->dataset_panel()->dataset_path(), QDir::cleanPath(f.data));
    QCOMPARE(page->training_form()->edit("lr")->text(), QString("0.002"));
    QCOMPARE(page->training_form()->edit("seq")->text(), QString("48"));
    QCOMPARE(qobject_cast<QLineEdit*>(page->lora_form()->fields()->input("rank"))->text(), QString("4"));
    QVERIFY(page->lora_form()->findChild<QCheckBox*>("target_o_proj")->isChecked());
    QVERIFY(page->plot()->log_scale());
    QCOMPARE(page->general_form()->general_path(), QDir::cleanPath(f.data));
    QCOMPARE(page->general_form()->share_text(), QString("0.3"));
    QCOMPARE(page->general_form()->openings_text(), QString("0.1"));
    QVERIFY(!page->training_form()->packed());
    loralab::TrainSpec spec = loralab::ui::FieldSet::probe_base();
    QVERIFY(page->lora_form()->apply(spec));
    QCOMPARE(spec.lora.rank_pattern.at("model.layers.1.self_attn.o_proj"), int64_t(12));
    // Opens on the Train page, with the navigation ready for more pages.
    QCOMPARE(window.current_page(), 0);
    QCOMPARE(window.findChild<QListWidget*>("navigation")->item(0)->text(), QString("Train"));
  }

  // The bundled resources: style folders with train.jsonl become training sets (with their
  // validation.jsonl), the fairy-tale set is the default, and a missing model is reported as such.
  void bundled_resources_are_found() {
    QTemporaryDir root;
    for (const char* style : {"everyday", "fairy_tale"}) {
      QDir(root.path()).mkpath(QString("datasets/") + style);
      ui_test::Fixture::write(root.path() + "/datasets/" + style + "/train.jsonl", "{\"text\": \"a\"}\n");
    }
    ui_test::Fixture::write(root.path() + "/datasets/fairy_tale/validation.jsonl", "{\"text\": \"b\"}\n");
    QDir(root.path()).mkpath("datasets/general");  // no train.jsonl: not a training set
    ui_test::Fixture::write(root.path() + "/datasets/general/reference.jsonl", "{\"text\": \"c\"}\n");
    qputenv("LORALAB_RESOURCES", root.path().toUtf8());
    const QStringList sets = loralab::ui::bundled_datasets();
    QCOMPARE(sets, QStringList({root.path() + "/datasets/everyday/train.jsonl",
                                root.path() + "/datasets/fairy_tale/train.jsonl"}));
    QCOMPARE(loralab::ui::default_dataset(), sets[1]);
    QCOMPARE(loralab::ui::dataset_display_name(sets[1]), QString("Fairy tale"));
    QCOMPARE(loralab::ui::sibling_validation(sets[1]), root.path() + "/datasets/fairy_tale/validation.jsonl");
    QCOMPARE(loralab::ui::sibling_validation(sets[0]), QString());
    QCOMPARE(loralab::ui::resources_dir(), root.path());
    QVERIFY(loralab::ui::bundled_model_expected().startsWith(root.path()));
    QDir(root.path()).mkpath("models/base");
    ui_test::Fixture::write(root.path() + "/models/base/config.json", "{}");
    QCOMPARE(loralab::ui::bundled_model_dir(), root.path() + "/models/base");
    qunsetenv("LORALAB_RESOURCES");
  }

  void themes_switch_and_return_to_the_system() {
    loralab::ui::capture_system_theme();
    const QPalette system = QApplication::palette();
    loralab::ui::apply_theme(Settings::Theme::Dark);
    QVERIFY(loralab::ui::is_dark_palette(QApplication::palette()));
    loralab::ui::apply_theme(Settings::Theme::Light);
    QVERIFY(!loralab::ui::is_dark_palette(QApplication::palette()));
    loralab::ui::apply_theme(Settings::Theme::System);
    QCOMPARE(QApplication::palette().color(QPalette::Window), system.color(QPalette::Window));
  }

  void status_bar_reports_engine_and_blas() {
    ui_test::Fixture f;
    Settings settings(f.settings_ini);
    MainWindow window(settings);
    QVERIFY(window.findChild<QLabel*>("engine_status")->text().contains("threads"));
    // The BLAS check runs on a pool thread and reports in the status bar.
    QTRY_VERIFY_WITH_TIMEOUT(!window.blas_status().contains("checking"), 40000);
    QVERIFY2(window.blas_status().contains("GFLOP/s"), qPrintable(window.blas_status()));
  }
};

QTEST_MAIN(TestUiSettings)
#include "test_ui_settings.moc"
