// The blend playground on a tiny real model with three adapters trained here and one made for a
// different model: the adapter list (store runs and folders, rank / alpha / targets, the reason an
// adapter is incompatible and that it cannot be enabled), a slider change that reaches the
// sampler's λ, the same seed and blend giving the same text (and a history entry regenerating it),
// a slider released mid-story restarting it, compare and strip agreeing with plain generation,
// style-affinity bars, Save blend as adapter and Export merged model, and a rendering with three
// adapters to PNG (LORALAB_BLEND_SHOT / _MODEL / _ADAPTERS point it at other files).
#include <QtTest>

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSlider>
#include <QSpinBox>
#include <QTableView>
#include <atomic>
#include <thread>
#include <QToolButton>

#include "loralab/blend_history.h"
#include "loralab/lora.h"
#include "loralab/model.h"
#include "loralab/model_config.h"
#include "loralab/store.h"
#include "loralab/train.h"
#include "ui/blend/adapter_panel.h"
#include "ui/blend/blend_controller.h"
#include "ui/blend/blend_page.h"
#include "ui/blend/history_model.h"
#include "ui/main_window.h"
#include "ui/settings.h"
#include "ui_fixture.h"

using loralab::ui::AdapterRow;
using loralab::ui::BlendPage;
using loralab::ui::SampleOutcome;

namespace {

// Trains a small adapter on the fixture's stories; `seed` and `rank` make the three differ.
void train_adapter(const ui_test::Fixture& f, const QString& out, uint64_t seed, int64_t rank,
                   std::vector<std::string> targets) {
  auto model = loralab::Model::load(f.model_dir.toStdString());
  loralab::TrainSpec spec;
  spec.data.path = f.data.toStdString();
  spec.out_dir = out.toStdString();
  spec.seq_len = 32;
  spec.batch = 4;
  spec.steps = 12;
  spec.lr = 2e-2;
  spec.warmup = 1;
  spec.seed = seed;
  spec.lora.rank = rank;
  spec.lora.alpha = double(rank) * 2;
  spec.lora.target_modules = std::move(targets);
  spec.threads = 1;
  loralab::train(*model, spec);
}

}  // namespace

class TestBlendPage : public QObject {
  Q_OBJECT

  ui_test::Fixture f_;
  QString fairy_, scifi_, mystery_, wrong_;
  qint64 fairy_run_ = 0;

  // A page on the fixture with the store run (fairy) and three folders, every row checked.
  std::unique_ptr<BlendPage> make_page(loralab::ui::Settings& settings) {
    auto page = std::make_unique<BlendPage>(settings);
    page->resize(1300, 850);
    QSignalSpy base(page.get(), &BlendPage::base_changed);
    page->set_model_dir(f_.model_dir);
    page->set_store_path(f_.store);
    page->add_adapter_folder(scifi_);
    page->add_adapter_folder(mystery_);
    page->add_adapter_folder(wrong_);
    [&] { QTRY_VERIFY_WITH_TIMEOUT(page->base_ready(), 20000); }();
    [&] {
      QTRY_VERIFY_WITH_TIMEOUT(
          !page->adapters()->rows().isEmpty() &&
              [&] {
                for (auto* row : page->adapters()->rows())
                  if (row->checking()) return false;
                return true;
              }(),
          20000);
    }();
    page->prompt_edit()->setText("the cat");  // the fixture's tokenizer knows lowercase only
    page->max_tokens_box()->setValue(40);
    return page;
  }

  static SampleOutcome wait_story(BlendPage& page) {
    QSignalSpy done(&page, &BlendPage::story_finished);
    if (!done.wait(30000)) return {};
    return done.last().at(0).value<SampleOutcome>();
  }

  static bool wait_idle(BlendPage& page) {
    return QTest::qWaitFor([&] { return !page.controller()->busy(); }, 60000);
  }

 private slots:
  void initTestCase() {
    const QString root = f_.dir.path() + "/adapters/";
    fairy_ = root + "fairy";
    scifi_ = root + "scifi";
    mystery_ = root + "mystery";
    wrong_ = root + "wrong";
    train_adapter(f_, fairy_, 1, 8, {"q_proj", "v_proj"});
    train_adapter(f_, scifi_, 2, 4, {"all-linear"});
    train_adapter(f_, mystery_, 3, 8, {"q_proj", "k_proj", "v_proj", "o_proj"});
    // An adapter for a model twice as wide: its shapes do not fit the fixture's.
    QFile config(f_.model_dir + "/config.json");
    QVERIFY(config.open(QIODevice::ReadOnly));
    QByteArray json = config.readAll().replace("\"hidden_size\": 32", "\"hidden_size\": 64");
    auto other = loralab::Model::random(loralab::ModelConfig::parse(json.toStdString(), "wide"), 5);
    loralab::add_adapter(*other, "wrong", loralab::LoraSpec{});
    loralab::save_adapter(*other, "wrong", wrong_.toStdString());
    // The store knows the fairy adapter as a finished run.
    loralab::ExperimentStore store(f_.store.toStdString());
    loralab::RunRecord run;
    run.name = "fairy tales";
    run.status = loralab::RunStatus::Running;
    run.adapter_path = fairy_.toStdString();
    run.base_model_path = f_.model_dir.toStdString();
    fairy_run_ = store.create_run(run);
    store.finish_run(fairy_run_, loralab::RunStatus::Done);
  }

  void lists_adapters_with_facts_and_refuses_incompatible() {
    loralab::ui::Settings settings(f_.settings_ini);
    auto page = make_page(settings);
    QCOMPARE(page->adapters()->rows().size(), 4);
    AdapterRow* fairy = page->adapters()->row("fairy_tales");
    QVERIFY(fairy);
    QVERIFY(fairy->compatible());
    QCOMPARE(fairy->facts().run_id.value_or(0), fairy_run_);
    QCOMPARE(fairy->facts().rank, 8);
    QCOMPARE(fairy->facts().alpha, 16.0);
    QVERIFY2(fairy->info_label()->text().contains("q_proj") &&
                 fairy->info_label()->text().contains(QString("run #%1").arg(fairy_run_)),
             qPrintable(fairy->info_label()->text()));
    AdapterRow* scifi = page->adapters()->row("scifi");
    QVERIFY(scifi && scifi->compatible());
    QCOMPARE(scifi->facts().rank, 4);

    AdapterRow* wrong = page->adapters()->row("wrong");
    QVERIFY(wrong);
    QVERIFY(!wrong->compatible());
    QVERIFY2(!wrong->facts().reason.isEmpty(), "no reason given");
    QVERIFY2(wrong->info_label()->text().contains("Incompatible"),
             qPrintable(wrong->info_label()->text()));
    QVERIFY(!wrong->enable_box()->isEnabled());
    QVERIFY(!wrong->slider()->isEnabled());
    wrong->set_enabled(true);
    QVERIFY(!wrong->enabled());
    wrong->enable_box()->setChecked(true);  // even when forced, the box springs back
    QVERIFY(!wrong->enabled());
    const auto blend = page->current_blend();
    QVERIFY(std::none_of(blend.begin(), blend.end(), [](auto& e) { return e.name == "wrong"; }));
    QVERIFY(!page->controller()->worker()->applied("wrong"));  // never loaded on the model

    // A folder without adapter_config.json says so, naming the file.
    const QString empty = f_.dir.path() + "/not_an_adapter";
    QDir().mkpath(empty);
    const QString name = page->add_adapter_folder(empty);
    QTRY_VERIFY_WITH_TIMEOUT(!page->adapters()->row(name)->checking(), 10000);
    QVERIFY(page->adapters()->row(name)->facts().reason.contains("adapter_config.json"));
  }

  void slider_change_reaches_sampler_lambda() {
    loralab::ui::Settings settings(f_.settings_ini);
    auto page = make_page(settings);
    page->seed_lock()->setChecked(false);  // no regeneration on release: only λ is tested here
    AdapterRow* scifi = page->adapters()->row("scifi");
    scifi->enable_box()->setChecked(true);
    scifi->slider()->setSliderDown(true);
    scifi->slider()->setValue(70);
    QCOMPARE(scifi->spin_box()->value(), 0.70);
    auto* worker = page->controller()->worker();
    QTRY_VERIFY_WITH_TIMEOUT(worker->applied("scifi") && worker->applied("scifi")->enabled &&
                                 std::abs(worker->applied("scifi")->weight - 0.70) < 1e-12,
                             5000);
    scifi->slider()->setSliderDown(false);
    scifi->spin_box()->setValue(-0.35);
    QCOMPARE(scifi->slider()->value(), -35);
    QTRY_VERIFY_WITH_TIMEOUT(std::abs(worker->applied("scifi")->weight + 0.35) < 1e-12, 5000);
    // The range is [−1, 2] in steps of 0.01.
    scifi->spin_box()->setValue(5);
    QCOMPARE(scifi->spin_box()->value(), 2.0);
    QCOMPARE(scifi->slider()->minimum(), -100);
    QCOMPARE(scifi->slider()->maximum(), 200);
    QVERIFY(wait_idle(*page));
  }

  void same_seed_and_blend_give_same_text_and_history_reproduces() {
    loralab::ui::Settings settings(f_.settings_ini);
    auto page = make_page(settings);
    page->seed_lock()->setChecked(false);  // setting the blend up must not start anything yet
    page->seed_box()->setValue(1234);
    page->adapters()->row("fairy_tales")->set_weight(0.7);
    page->adapters()->row("scifi")->set_weight(0.5);
    page->adapters()->row("fairy_tales")->set_enabled(true);
    page->adapters()->row("scifi")->set_enabled(true);
    QVERIFY(wait_idle(*page));
    page->seed_lock()->setChecked(true);
    const int history_before = page->history()->rowCount();

    page->generate();
    const SampleOutcome first = wait_story(*page);
    QVERIFY2(first.error.isEmpty(), qPrintable(first.error));
    QVERIFY(!first.cancelled);
    QVERIFY(first.tokens > 0);
    QCOMPARE(page->story_text(), first.text);
    QVERIFY(wait_idle(*page));
    page->generate();
    const SampleOutcome second = wait_story(*page);
    QCOMPARE(second.text, first.text);
    QCOMPARE(second.tokens, first.tokens);
    QVERIFY(wait_idle(*page));

    // Both are in the store with their full blend spec.
    QCOMPARE(page->history()->rowCount(), history_before + 2);
    const auto stored = loralab::blend_samples(f_.store.toStdString());
    QVERIFY(!stored.empty());
    QCOMPARE(QString::fromStdString(stored.front().text), first.text);
    QCOMPARE(stored.front().seed.value_or(-1), 1234);
    const auto blend =
        loralab::ui::blend_from_json(QString::fromStdString(stored.front().blend_json));
    const auto fairy =
        std::find_if(blend.begin(), blend.end(), [](auto& e) { return e.name == "fairy_tales"; });
    QVERIFY(fairy != blend.end() && fairy->enabled && std::abs(fairy->weight - 0.7) < 1e-9);
    QCOMPARE(fairy->run_id.value_or(0), fairy_run_);
    QVERIFY(QString::fromStdString(stored.front().settings_json).contains("\"top_k\":40"));

    // Another blend, then regenerate the stored sample from its spec alone.
    page->seed_lock()->setChecked(false);
    page->adapters()->row("fairy_tales")->set_enabled(false);
    page->adapters()->row("scifi")->set_weight(-0.4);
    page->seed_box()->setValue(99);
    QVERIFY(wait_idle(*page));
    QSignalSpy reproduced(page.get(), &BlendPage::reproduced);
    page->regenerate(0);
    QVERIFY(reproduced.wait(30000));
    QCOMPARE(reproduced.last().at(0).toBool(), true);
    QCOMPARE(page->regenerated_text(), first.text);
    // Regenerate restored the blend, the seed and the lock.
    QCOMPARE(page->adapters()->row("fairy_tales")->enabled(), true);
    QCOMPARE(page->adapters()->row("scifi")->weight(), 0.5);
    QCOMPARE(page->seed_box()->value(), 1234);
    QVERIFY(page->seed_lock()->isChecked());
    QVERIFY(wait_idle(*page));

    // A fresh page (restarted app) lists the history from the store.
    auto again = make_page(settings);
    QVERIFY(again->history()->rowCount() >= 2);
    QCOMPARE(QString::fromStdString(again->history()->sample(0).text), first.text);
  }

  void slider_release_regenerates_and_restarts_cleanly() {
    loralab::ui::Settings settings(f_.settings_ini);
    auto page = make_page(settings);
    page->seed_lock()->setChecked(false);
    page->seed_box()->setValue(77);
    AdapterRow* mystery = page->adapters()->row("mystery");
    mystery->set_enabled(true);
    mystery->set_weight(0.3);
    QVERIFY(wait_idle(*page));
    page->seed_lock()->setChecked(true);
    page->max_tokens_box()->setValue(400);

    // Idle, seed locked: a release regenerates at once.
    QSignalSpy finished(page.get(), &BlendPage::story_finished);
    mystery->slider()->setSliderDown(true);
    mystery->slider()->setValue(90);
    QVERIFY(!page->controller()->busy());
    mystery->slider()->setSliderDown(false);  // emits sliderReleased
    QVERIFY(page->controller()->busy());
    QCOMPARE(page->mode(), BlendPage::Mode::Story);

    // Mid-story: moving and releasing restarts it under the new λ; the old one never finishes.
    const qint64 batch = page->controller()->current_batch();
    mystery->slider()->setSliderDown(true);
    mystery->slider()->setValue(150);
    mystery->slider()->setSliderDown(false);
    QVERIFY(page->controller()->current_batch() > batch);
    QVERIFY(finished.wait(60000));
    QCOMPARE(finished.size(), 1);
    const auto restarted = finished.last().at(0).value<SampleOutcome>();
    QVERIFY(!restarted.cancelled);
    QVERIFY(wait_idle(*page));
    QCOMPARE(page->story_text(), restarted.text);

    // It is exactly what that blend and seed give from scratch.
    page->generate();
    const SampleOutcome fresh = wait_story(*page);
    QCOMPARE(fresh.text, restarted.text);
    QVERIFY(wait_idle(*page));

    // Stop ends a story as cancelled, and it is not put in the history.
    const int rows = page->history()->rowCount();
    page->generate();
    QTRY_VERIFY_WITH_TIMEOUT(!page->story_text().isEmpty() || !page->controller()->busy(), 20000);
    page->stop();
    QVERIFY(wait_idle(*page));
    QVERIFY(page->history()->rowCount() <= rows + 1);
  }

  void compare_and_strip_match_plain_generation() {
    loralab::ui::Settings settings(f_.settings_ini);
    auto page = make_page(settings);
    page->seed_lock()->setChecked(false);
    page->seed_box()->setValue(5);
    page->adapters()->row("fairy_tales")->set_enabled(true);
    page->adapters()->row("fairy_tales")->set_weight(1.0);
    QVERIFY(wait_idle(*page));
    page->seed_lock()->setChecked(true);
    page->generate();
    const SampleOutcome fairy_only = wait_story(*page);
    QVERIFY(wait_idle(*page));
    QVERIFY(!fairy_only.text.isEmpty());

    page->set_compare_blend(0, page->current_blend());
    page->seed_lock()->setChecked(false);
    page->adapters()->row("fairy_tales")->set_enabled(false);
    page->adapters()->row("scifi")->set_enabled(true);
    page->adapters()->row("scifi")->set_weight(1.0);
    QVERIFY(wait_idle(*page));
    page->seed_lock()->setChecked(true);
    page->set_compare_blend(1, page->current_blend());
    QSignalSpy batches(page.get(), &BlendPage::batch_finished);
    page->run_compare();
    QVERIFY(batches.wait(30000));
    QCOMPARE(page->compare_text(0), fairy_only.text);
    QVERIFY(!page->compare_text(1).isEmpty());

    page->strip_x()->setCurrentText("fairy_tales");
    page->strip_y()->setCurrentText("scifi");
    page->run_strip();
    QVERIFY(batches.wait(60000));
    QCOMPARE(batches.last().at(0).value<BlendPage::Mode>(), BlendPage::Mode::Strip);
    // λ = 0 is the first adapter alone (the second at weight 0 adds exactly nothing); λ = 1 the
    // second alone, as Compare's B.
    QCOMPARE(page->strip_text(0), fairy_only.text);
    QCOMPARE(page->strip_text(BlendPage::kStripCells - 1), page->compare_text(1));
    for (int cell = 0; cell < BlendPage::kStripCells; ++cell)
      QVERIFY2(!page->strip_text(cell).isEmpty(), qPrintable(QString::number(cell)));
  }

  void style_affinity_bar_per_adapter() {
    loralab::ui::Settings settings(f_.settings_ini);
    auto page = make_page(settings);
    page->seed_lock()->setChecked(false);
    page->adapters()->row("scifi")->set_enabled(true);
    page->max_tokens_box()->setValue(60);
    page->seed_box()->setValue(7);
    page->seed_lock()->setChecked(true);  // one fixed draw: the test is the same on every run
    page->generate();
    const SampleOutcome outcome = wait_story(*page);
    QVERIFY(wait_idle(*page));
    QCOMPARE(outcome.affinity.size(), 3);  // the compatible adapters, enabled or not
    for (const auto& score : outcome.affinity) {
      QVERIFY(std::isfinite(score.delta));
      AdapterRow* row = page->adapters()->row(score.name);
      QVERIFY(row && row->affinity_bar()->value());
      QCOMPARE(*row->affinity_bar()->value(), score.delta);
    }
    QVERIFY(!page->adapters()->row("wrong")->affinity_bar()->value());
    // The text was sampled under the sci-fi adapter, so in expectation it scores it above the base
    // by KL(base+scifi || base) >= 0, and above the two adapters that did not write it. (Whether
    // those two beat the bare base depends on the draw: one seed in about thirty gave fairy_tales a
    // negative score, so that is not asserted.)
    const auto best = std::max_element(outcome.affinity.begin(), outcome.affinity.end(),
                                       [](const auto& a, const auto& b) { return a.delta < b.delta; });
    QCOMPARE(best->name, QString("scifi"));
    QVERIFY(best->delta > 0);
    QVERIFY(page->stats_text().contains("tokens/s"));
  }

  void save_blend_and_export_merged_model() {
    loralab::ui::Settings settings(f_.settings_ini);
    auto page = make_page(settings);
    page->seed_lock()->setChecked(false);
    page->adapters()->row("fairy_tales")->set_enabled(true);
    page->adapters()->row("fairy_tales")->set_weight(0.6);
    page->adapters()->row("mystery")->set_enabled(true);
    page->adapters()->row("mystery")->set_weight(0.4);
    QVERIFY(wait_idle(*page));
    QSignalSpy written(page.get(), &BlendPage::file_written);

    const QString svd = f_.dir.path() + "/saved/svd";
    page->save_blend_as_adapter("svd", 4, svd);
    QVERIFY(written.wait(30000));
    QVERIFY2(written.last().at(1).toString().isEmpty(),
             qPrintable(written.last().at(1).toString()));
    QVERIFY(QFile::exists(svd + "/adapter_config.json"));
    QVERIFY(QFile::exists(svd + "/adapter_model.safetensors"));
    QVERIFY2(page->status_text().contains("relative error"), qPrintable(page->status_text()));
    // The saved adapter joins the list and loads on the base.
    QTRY_VERIFY_WITH_TIMEOUT(
        page->adapters()->row("svd") && !page->adapters()->row("svd")->checking(), 10000);
    QVERIFY(page->adapters()->row("svd")->compatible());
    QCOMPARE(page->adapters()->row("svd")->facts().rank, 4);

    const QString cat = f_.dir.path() + "/saved/cat";
    page->save_blend_as_adapter("cat", 0, cat);
    QVERIFY(written.wait(30000));
    QVERIFY(written.last().at(1).toString().isEmpty());
    QVERIFY(page->status_text().contains("exact"));

    // An unknown method is refused with the engine's message, nothing crashes.
    page->save_blend_as_adapter("average", 0, f_.dir.path() + "/saved/bad");
    QVERIFY(written.wait(30000));
    QVERIFY(!written.last().at(1).toString().isEmpty());
    QVERIFY(page->status_text().contains("average"));

    const QString merged = f_.dir.path() + "/merged";
    page->export_merged(merged, "f32");
    QVERIFY(written.wait(30000));
    QVERIFY2(written.last().at(1).toString().isEmpty(),
             qPrintable(written.last().at(1).toString()));
    auto model = loralab::Model::load(merged.toStdString());
    QCOMPARE(model->config().hidden_size, 32);
  }

  void samples_while_a_training_runs() {
    // A training on another thread (its own model, as the Train page's worker has) neither stops
    // the playground nor changes its text.
    loralab::ui::Settings settings(f_.settings_ini);
    auto page = make_page(settings);
    page->seed_lock()->setChecked(false);
    page->seed_box()->setValue(21);
    page->adapters()->row("scifi")->set_enabled(true);
    QVERIFY(wait_idle(*page));
    page->seed_lock()->setChecked(true);
    page->generate();
    const SampleOutcome quiet = wait_story(*page);
    QVERIFY(wait_idle(*page));

    std::atomic<bool> training{true};
    std::atomic<int> steps{0};
    loralab::TrainControl control;
    std::string train_error;
    std::thread trainer([&] {
      struct Count : loralab::TrainObserver {
        std::atomic<int>* steps;
        void on_step(const loralab::StepMetrics&) override { ++*steps; }
      } count;
      count.steps = &steps;
      try {
        auto model = loralab::Model::load(f_.model_dir.toStdString());
        loralab::TrainSpec spec;
        spec.data.path = f_.data.toStdString();
        spec.out_dir = (f_.dir.path() + "/adapters/while").toStdString();
        spec.seq_len = 32;
        spec.batch = 4;
        spec.steps = 100000;  // stopped below
        spec.threads = 1;
        loralab::train(*model, spec, &count, &control);
      } catch (const std::exception& e) {
        train_error = e.what();
      }
      training = false;
    });
    QTRY_VERIFY_WITH_TIMEOUT(steps.load() > 0 || !training.load(), 30000);
    page->generate();
    const SampleOutcome busy = wait_story(*page);
    const int steps_during = steps.load();
    const bool still_training = training.load();
    control.stop = true;
    trainer.join();
    QVERIFY2(train_error.empty(), train_error.c_str());
    QVERIFY(still_training);
    QVERIFY(steps_during > 0);
    QCOMPARE(busy.text, quiet.text);
    QVERIFY(wait_idle(*page));
  }

  void added_folders_and_prompt_survive_a_restart() {
    const QString ini = f_.dir.path() + "/restart.ini";
    {
      loralab::ui::Settings settings(ini);
      settings.set_model_dir(f_.model_dir);
      settings.set_store_path(f_.dir.path() + "/restart.sqlite");
      BlendPage page(settings);
      page.show();
      QTRY_VERIFY_WITH_TIMEOUT(page.base_ready(), 20000);
      page.add_adapter_folder(scifi_);
      page.add_adapter_folder(mystery_);
      page.prompt_edit()->setText("a dog");
      emit page.prompt_edit()->editingFinished();
      const QString name = page.add_adapter_folder(wrong_);
      page.adapters()->row(name)->findChild<QToolButton*>()->click();  // removed again
      settings.sync();
    }
    loralab::ui::Settings settings(ini);
    QCOMPARE(settings.blend_adapter_dirs().size(), 2);
    BlendPage page(settings);
    page.show();
    QVERIFY(page.adapters()->row("scifi") && page.adapters()->row("mystery"));
    QVERIFY(!page.adapters()->row("wrong"));
    QCOMPARE(page.prompt_edit()->text(), QString("a dog"));
    QTRY_VERIFY_WITH_TIMEOUT(page.adapters()->row("scifi")->compatible(), 20000);
  }

  void a_bad_base_model_is_reported_not_fatal() {
    loralab::ui::Settings settings(f_.settings_ini);
    BlendPage page(settings);
    QSignalSpy base(&page, &BlendPage::base_changed);
    const QString missing = f_.dir.path() + "/no_such_model";
    page.set_model_dir(missing);
    const QString name = page.add_adapter_folder(scifi_);
    QVERIFY(base.wait(20000));
    QCOMPARE(base.last().at(0).toBool(), false);
    QVERIFY2(page.status_text().contains("no_such_model"), qPrintable(page.status_text()));
    QVERIFY(!page.generate_button()->isEnabled());
    QVERIFY(!page.adapters()->row(name)->checking());
    QVERIFY(!page.adapters()->row(name)->enable_box()->isEnabled());
    page.generate();  // refused with a message, no crash
    QVERIFY(page.status_text().contains("not loaded"));
    // A good base afterwards checks the adapter again.
    page.set_model_dir(f_.model_dir);
    QTRY_VERIFY_WITH_TIMEOUT(page.base_ready(), 20000);
    QTRY_VERIFY_WITH_TIMEOUT(page.adapters()->row(name)->compatible(), 20000);
  }

  void page_fits_a_laptop_screen() {
    // The main window's minimum size is its widest page's: the playground must not force it.
    loralab::ui::Settings settings(f_.settings_ini);
    auto page = make_page(settings);
    page->show();
    const QSize minimum = page->minimumSizeHint();
    QVERIFY2(minimum.width() <= 1000 && minimum.height() <= 700,
             qPrintable(QString("%1x%2").arg(minimum.width()).arg(minimum.height())));
  }

  void screenshot_with_three_adapters() {
    // Defaults: the fixture; the screenshot script points it at the bundled model and adapters
    // trained with loralab-cli, under Xvfb.
    const QString shot = qEnvironmentVariable("LORALAB_BLEND_SHOT", f_.dir.path() + "/blend.png");
    const QString model_dir = qEnvironmentVariable("LORALAB_BLEND_MODEL", f_.model_dir);
    QStringList dirs =
        qEnvironmentVariable("LORALAB_BLEND_ADAPTERS").split(':', Qt::SkipEmptyParts);
    const bool fixture = dirs.isEmpty();
    if (fixture) dirs = {fairy_, scifi_, mystery_};
    {
      QSettings ini(f_.dir.path() + "/shot.ini", QSettings::IniFormat);
      ini.setValue("train/model_dir", model_dir);
      ini.setValue("store/path", f_.dir.path() + "/shot.sqlite");
    }
    loralab::ui::Settings settings(f_.dir.path() + "/shot.ini");
    loralab::ui::MainWindow window(settings);
    window.resize(1500, 940);
    window.show();
    auto* page = window.findChild<BlendPage*>();
    QVERIFY(page);
    for (int index = 0; index < 12 && !page->isVisible(); ++index) window.show_page(index);
    QVERIFY(page->isVisible());
    QTRY_VERIFY2_WITH_TIMEOUT(page->base_ready(),
                              qPrintable(page->model_dir() + ": " + page->status_text()), 30000);
    QStringList names;
    for (const auto& dir : dirs) names << page->add_adapter_folder(dir);
    QTRY_VERIFY_WITH_TIMEOUT(
        std::all_of(names.begin(), names.end(),
                    [&](const QString& n) { return !page->adapters()->row(n)->checking(); }),
        30000);
    const double weights[] = {0.7, 0.5, -0.2};
    page->seed_lock()->setChecked(false);
    for (int i = 0; i < names.size() && i < 3; ++i) {
      AdapterRow* row = page->adapters()->row(names[i]);
      QVERIFY2(row->compatible(), qPrintable(row->facts().reason));
      row->set_weight(weights[i]);
      row->set_enabled(i < 2);
    }
    page->seed_lock()->setChecked(true);
    if (fixture) page->prompt_edit()->setText("the cat");
    page->max_tokens_box()->setValue(120);
    page->generate();
    QSignalSpy done(page, &BlendPage::story_finished);
    QVERIFY(done.wait(30000));
    QTRY_VERIFY_WITH_TIMEOUT(!page->controller()->busy(), 30000);
    QTest::qWait(200);
    const QImage image = window.grab().toImage();
    QVERIFY(image.save(shot));
    QVERIFY(image.width() >= 1400);
    qInfo("blend playground screenshot: %s", qPrintable(shot));

    // The other tabs too (SHOT-strip.png, SHOT-compare.png, SHOT-history.png), filled.
    const QString stem = shot.left(shot.size() - 4);
    QSignalSpy batches(page, &BlendPage::batch_finished);
    page->max_tokens_box()->setValue(60);
    page->strip_x()->setCurrentText(names[0]);
    page->strip_y()->setCurrentText(names[1]);
    page->run_strip();
    QVERIFY(batches.wait(60000));
    QVERIFY(window.grab().save(stem + "-strip.png"));
    page->set_compare_blend(0, page->current_blend());
    page->adapters()->row(names[2])->set_enabled(true);
    page->set_compare_blend(1, page->current_blend());
    page->run_compare();
    QVERIFY(batches.wait(60000));
    QVERIFY(window.grab().save(stem + "-compare.png"));
    page->tabs()->setCurrentIndex(3);
    page->history_view()->selectRow(0);
    QSignalSpy reproduced(page, &BlendPage::reproduced);
    page->regenerate(0);
    QVERIFY(reproduced.wait(60000));
    QVERIFY(reproduced.last().at(0).toBool());
    QTest::qWait(100);
    QVERIFY(window.grab().save(stem + "-history.png"));
  }
};

QTEST_MAIN(TestBlendPage)
#include "test_blend_page.moc"
