// The Train page end to end on a tiny real model: inline validation with the engine's messages,
// live accounting, a training started from the page that reaches the worker and streams step
// signals back, pause / sample / resume / stop, that sampling while paused leaves the run exactly
// as it would have been, readable engine errors, and a rendering of the page to PNG.
#include <QtTest>

#include <QCheckBox>
#include <QLineEdit>
#include <QPushButton>
#include <QTableWidget>

#include "loralab/lora.h"
#include "loralab/model_config.h"
#include "loralab/store.h"
#include "ui/app_paths.h"
#include "ui/stall_probe.h"
#include "ui/train/accounting_view.h"
#include "ui/train/dataset_panel.h"
#include "ui/train/field_set.h"
#include "ui/train/general_form.h"
#include "ui/train/lora_form.h"
#include "ui/train/loss_plot.h"
#include "ui/train/model_panel.h"
#include "ui/train/train_controller.h"
#include "ui/train/train_page.h"
#include "ui/train/training_form.h"
#include "ui/train/training_worker.h"
#include "ui_fixture.h"

using loralab::TrainSpec;
using loralab::ui::TrainController;
using loralab::ui::TrainPage;

namespace {

QLineEdit* lora_edit(TrainPage& page, const QString& key) {
  return qobject_cast<QLineEdit*>(page.lora_form()->fields()->input(key));
}

void set_training(TrainPage& page, const QString& key, const QString& value) {
  auto* edit = page.training_form()->edit(key);
  QVERIFY2(edit, qPrintable(key));
  edit->setText(value);
}

// Points the page at the fixture and a run of `steps` tiny steps.
void configure(TrainPage& page, const ui_test::Fixture& f, int steps, bool record = true) {
  page.model_panel()->set_model_dir(f.model_dir);
  QVERIFY2(page.model_panel()->error().isEmpty(), qPrintable(page.model_panel()->error()));
  page.dataset_panel()->set_dataset_path(f.data);
  QTRY_VERIFY_WITH_TIMEOUT(!page.dataset_panel()->preview_pending() &&
                               page.dataset_panel()->preview().path == page.dataset_panel()->dataset_path(),
                           10000);
  set_training(page, "lr", "0.01");
  set_training(page, "steps", QString::number(steps));
  set_training(page, "batch", "4");
  set_training(page, "seq", "32");
  set_training(page, "warmup", "2");
  set_training(page, "eval_every", "4");
  set_training(page, "threads", "1");
  set_training(page, "seed", "3");
  page.prompt_edit()->setText("once upon a time");  // the fixture's tokenizer knows lowercase only
  page.set_output_root(f.out_root);
  page.set_store_path(record ? f.store : QString());
}

}  // namespace

class TestTrainPage : public QObject {
  Q_OBJECT
  // Trains 10 steps; with `sample`, pauses after step 2, draws two stories and resumes.
  void run_losses(bool sample, std::vector<double>& losses, int& samples) {
    ui_test::Fixture f;
    TrainPage page;
    configure(page, f, 10, /*record=*/false);
    QSignalSpy steps(page.controller(), &TrainController::stepped);
    QSignalSpy finished(page.controller(), &TrainController::finished);
    QSignalSpy sampled(page.controller(), &TrainController::sample_finished);
    // The tiny run outpaces any click: pause from the training thread right after step 2.
    auto* worker = page.controller()->worker();
    if (sample)
      connect(worker, &loralab::ui::TrainingWorker::stepped, worker, [worker](const loralab::StepMetrics& m) {
        if (m.step == 2) worker->control().pause = true;
      }, Qt::DirectConnection);
    page.start_button()->click();
    if (sample) {
      QTRY_COMPARE_WITH_TIMEOUT(page.controller()->state(), TrainController::State::Paused, 30000);
      for (int i = 0; i < 2; ++i) {  // two stories, two seeds
        page.sample_button()->click();
        QVERIFY(sampled.wait(60000));
        QVERIFY2(sampled.last().at(0).toString().isEmpty(), qPrintable(sampled.last().at(0).toString()));
        QVERIFY(page.sample_text().size() > page.prompt_edit()->text().size());
      }
      QCOMPARE(steps.count(), 2);
      page.resume_button()->click();
    }
    QVERIFY(finished.count() == 1 || finished.wait(120000));
    for (const auto& args : steps) losses.push_back(args.at(0).value<loralab::StepMetrics>().train_loss);
    samples = int(sampled.count());
  }

 private slots:
  void form_validation_shows_engine_messages() {
    ui_test::Fixture f;
    TrainPage page;
    configure(page, f, 10);
    auto* form = page.training_form()->fields();
    auto* lora = page.lora_form()->fields();
    TrainSpec spec;

    set_training(page, "lr", "abc");
    QVERIFY(!page.training_form()->apply(spec));
    QVERIFY2(form->error("lr").contains("lr: expected a number, got 'abc'"), qPrintable(form->error("lr")));
    set_training(page, "lr", "-1");
    QVERIFY(form->error("lr").contains("lr: expected a learning rate > 0"));
    set_training(page, "lr", "0.001");
    QVERIFY(form->error("lr").isEmpty());

    set_training(page, "seq", "1000");  // the fixture model has 256 positions
    QVERIFY2(form->error("seq").contains("longer than the model's 256 positions"), qPrintable(form->error("seq")));
    set_training(page, "seq", "32");
    set_training(page, "batch", "0");
    QVERIFY(form->error("batch").contains("batch: expected a batch size > 0, got 0"));
    set_training(page, "batch", "4");
    set_training(page, "steps", "0");
    QVERIFY(form->error("steps").contains("steps:"));
    set_training(page, "steps", "10");

    lora_edit(page, "rank")->setText("0");
    QVERIFY2(lora->error("rank").contains("rank: expected an integer > 0, got 0"), qPrintable(lora->error("rank")));
    QVERIFY(page.accounting()->text().contains("Fix the LoRA settings"));
    lora_edit(page, "rank")->setText("8");
    lora_edit(page, "dropout")->setText("1.5");
    QVERIFY(lora->error("dropout").contains("dropout: expected a value in [0, 1)"));
    lora_edit(page, "dropout")->setText("0");
    for (auto* box : page.lora_form()->findChildren<QCheckBox*>())
      if (box->objectName().startsWith("target_")) box->setChecked(false);
    QVERIFY(lora->error("targets").contains("targets: expected at least one module"));
    page.lora_form()->findChild<QCheckBox*>("target_q_proj")->setChecked(true);
    QVERIFY(lora->error("targets").isEmpty());
    page.lora_form()->set_layer_rank(1, "q_proj", "-2");
    QVERIFY2(lora->error("rank_pattern").contains("expected a rank > 0"), qPrintable(lora->error("rank_pattern")));
    page.lora_form()->set_layer_rank(1, "q_proj", "");

    // The memory switch reaches the spec, and a loaded spec sets it.
    auto* recompute = qobject_cast<QCheckBox*>(form->input("recompute"));
    QVERIFY(recompute && !recompute->isChecked());
    recompute->setChecked(true);
    TrainSpec applied;
    QVERIFY(page.training_form()->apply(applied));
    QVERIFY(applied.recompute);
    applied.recompute = false;
    page.training_form()->load(applied);
    QVERIFY(!recompute->isChecked());

    // A refused form does not start: the banner says why and the controller stays idle.
    set_training(page, "clip", "-1");
    QVERIFY(form->error("clip").contains("clip: expected a max gradient norm"));
    page.start_button()->click();
    QVERIFY(page.banner_text().contains("refused"));
    QCOMPARE(page.controller()->state(), TrainController::State::Idle);
  }

  void accounting_follows_the_form() {
    ui_test::Fixture f;
    TrainPage page;
    configure(page, f, 10);
    const auto config = loralab::ModelConfig::load((f.model_dir + "/config.json").toStdString());
    auto expect = [&](int64_t rank, std::vector<std::string> targets, std::map<std::string, int64_t> pattern) {
      loralab::LoraSpec spec;
      spec.rank = rank;
      spec.target_modules = std::move(targets);
      spec.rank_pattern = std::move(pattern);
      return QLocale().toString(qlonglong(loralab::account_parameters(config, spec).trainable));
    };
    lora_edit(page, "rank")->setText("8");
    QVERIFY2(page.accounting()->text().contains("<b>" + expect(8, {"q_proj", "v_proj"}, {}) + "</b>"),
             qPrintable(page.accounting()->text()));
    lora_edit(page, "rank")->setText("4");
    QVERIFY(page.accounting()->text().contains("<b>" + expect(4, {"q_proj", "v_proj"}, {}) + "</b>"));
    page.lora_form()->findChild<QCheckBox*>("target_down_proj")->setChecked(true);
    QVERIFY(page.accounting()->text().contains("<b>" + expect(4, {"q_proj", "v_proj", "down_proj"}, {}) + "</b>"));
    page.lora_form()->set_layer_rank(0, "down_proj", "16");
    QVERIFY(page.accounting()->text().contains(
        "<b>" + expect(4, {"q_proj", "v_proj", "down_proj"}, {{"model.layers.0.mlp.down_proj", 16}}) + "</b>"));
    // The grid follows the model: one row per layer.
    QCOMPARE(page.lora_form()->rank_grid()->rowCount(), int(config.num_hidden_layers));
  }

  void training_from_the_page_streams_steps_back() {
    ui_test::Fixture f;
    TrainPage page;
    page.resize(1300, 850);
    page.show();
    configure(page, f, 12);
    QSignalSpy worker_started(page.controller()->worker(), &loralab::ui::TrainingWorker::started);
    QSignalSpy steps(page.controller(), &TrainController::stepped);
    QSignalSpy evals(page.controller(), &TrainController::evaluated);
    QSignalSpy finished(page.controller(), &TrainController::finished);
    page.start_button()->click();
    QCOMPARE(page.controller()->state(), TrainController::State::Running);
    QVERIFY(!page.start_button()->isEnabled());
    QVERIFY(finished.wait(120000));
    QCOMPARE(worker_started.count(), 1);
    QCOMPARE(worker_started.at(0).at(0).toString(), QDir::cleanPath(f.model_dir));
    QCOMPARE(steps.count(), 12);
    double first_loss = 0, last_loss = 0;
    for (int i = 0; i < steps.count(); ++i) {
      const auto m = steps.at(i).at(0).value<loralab::StepMetrics>();
      QCOMPARE(m.step, int64_t(i + 1));
      QCOMPARE(m.total_steps, int64_t(12));
      QVERIFY(m.tokens_per_s > 0);
      if (i == 0) first_loss = m.train_loss;
      last_loss = m.train_loss;
    }
    QVERIFY2(last_loss < first_loss, qPrintable(QString("%1 -> %2").arg(first_loss).arg(last_loss)));
    QCOMPARE(evals.count(), 3);  // steps 4, 8, 12

    // One plot point per step, in every step series; one per evaluation.
    page.plot()->flush();
    QCOMPARE(page.plot()->step_points(), 12);
    QCOMPARE(page.plot()->smoothed_points(), 12);
    QCOMPARE(page.plot()->lr_points(), 12);
    QCOMPARE(page.plot()->eval_points(), 3);

    const auto result = finished.at(0).at(0).value<loralab::TrainResult>();
    const qint64 run_id = finished.at(0).at(1).toLongLong();
    QCOMPARE(result.status, std::string("done"));
    QVERIFY(QFile::exists(QString::fromStdString(result.out_dir) + "/adapter_config.json"));
    QVERIFY(QFile::exists(QString::fromStdString(result.out_dir) + "/adapter_model.safetensors"));
    QVERIFY(QString::fromStdString(result.out_dir).startsWith(f.out_root));
    QVERIFY(run_id > 0);
    // The run is in the store, done, with its adapter and its curve.
    {
      loralab::ExperimentStore store(f.store.toStdString());
      const auto record = store.run(run_id);
      QCOMPARE(record.status, loralab::RunStatus::Done);
      QCOMPARE(QString::fromStdString(record.adapter_path), QString::fromStdString(result.out_dir));
      QCOMPARE(QString::fromStdString(record.base_model_path), QDir::cleanPath(f.model_dir));
      QVERIFY(record.best_val_loss.has_value());
    }
    QVERIFY2(page.banner_text().contains("Done: 12 steps"), qPrintable(page.banner_text()));
    QVERIFY(page.banner_text().contains(QString("run #%1").arg(run_id)));
    QTRY_COMPARE(page.controller()->state(), TrainController::State::Idle);
    QVERIFY(page.start_button()->isEnabled());
    qInfo("longest GUI stall during the run: %.1f ms, longest replot %.1f ms", page.max_stall_ms(),
          page.plot()->max_replot_ms());
    // Training runs on its own thread: the GUI never waits for a step.
    QVERIFY2(page.max_stall_ms() < 250, qPrintable(QString::number(page.max_stall_ms())));
  }

  // The general text: a bundled story set trains one story per row, other data packs; the
  // bundled base model suggests its own everyday stories; a share mixes the general set into the
  // training rows and the result carries the forgetting figure, also in the banner.
  void general_text_and_rows() {
    ui_test::Fixture f;
    TrainPage page;
    configure(page, f, 6, /*record=*/false);
    auto* general = page.general_form();
    QVERIFY(general->general_path().isEmpty());  // the fixture model is not the bundled one
    QVERIFY(page.training_form()->packed());     // nor is its data a bundled story set
    const QString bundled_set = loralab::ui::default_dataset();
    QVERIFY2(!bundled_set.isEmpty(), "the bundled story sets (resources/datasets) are missing");
    {
      page.dataset_panel()->set_dataset_path(bundled_set);
      QVERIFY(!page.training_form()->packed());
      TrainSpec probe = loralab::ui::FieldSet::probe_base();
      QVERIFY(page.training_form()->apply(probe));
      QVERIFY(!probe.pack);
      page.dataset_panel()->set_dataset_path(f.data);
      QVERIFY(page.training_form()->packed());
    }
    QVERIFY2(!loralab::ui::bundled_model_dir().isEmpty() && !general->bundled_general_set().isEmpty(),
             "the bundled model or everyday set is missing");
    {
      page.model_panel()->set_model_dir(loralab::ui::bundled_model_dir());
      QCOMPARE(general->general_path(), general->bundled_general_set());
      QVERIFY(general->reference_path().endsWith("everyday/validation.jsonl"));
      TrainSpec probe = loralab::ui::FieldSet::probe_base();
      QVERIFY(general->apply(probe));
      QVERIFY(probe.rehearsal && probe.reference);
      QCOMPARE(probe.rehearsal_share, 0.45);
      QCOMPARE(*probe.rehearsal_opening_share, 0.155);
      QCOMPARE(probe.rehearsal_unscored_opening, int64_t(8));
      page.model_panel()->set_model_dir(f.model_dir);
      QVERIFY(general->general_path().isEmpty());
    }

    // The fixture's own sentences serve as the general text; refused shares name the field.
    const QString general_file = f.dir.path() + "/general.txt";
    ui_test::Fixture::write(general_file, "we like the sea.\n\nthe dog is warm.\n\na cat ran.\n\n");
    general->set_general_path(general_file);
    QCOMPARE(general->reference_path(), QDir::cleanPath(general_file));
    auto* share = general->findChild<QLineEdit*>("rehearsal_share");
    QVERIFY(share);
    TrainSpec spec = loralab::ui::FieldSet::probe_base();
    share->setText("-0.1");
    QVERIFY(!general->apply(spec));
    QVERIFY2(general->fields()->error("rehearsal_share").contains("expected 0 (measure only)"),
             qPrintable(general->fields()->error("rehearsal_share")));
    share->setText("0.95");
    QVERIFY(!general->apply(spec));
    QVERIFY2(general->fields()->error("rehearsal_share").contains("(0, 0.9]"),
             qPrintable(general->fields()->error("rehearsal_share")));
    share->setText("0.5");
    QVERIFY(general->apply(spec));
    QVERIFY(general->fields()->error("rehearsal_share").isEmpty());
    QVERIFY(!spec.rehearsal_opening_share);  // empty: every general row's opening is scored
    QCOMPARE(spec.rehearsal_unscored_opening, int64_t(0));
    // The openings share: up to the mix share; the other general rows leave an opening unscored.
    auto* openings = general->findChild<QLineEdit*>("rehearsal_opening_share");
    QVERIFY(openings);
    openings->setText("0.6");
    QVERIFY(!general->apply(spec));
    QVERIFY2(general->fields()->error("rehearsal_opening_share").contains("from 0 to the mix share 0.5"),
             qPrintable(general->fields()->error("rehearsal_opening_share")));
    openings->setText("0.25");
    QVERIFY(general->apply(spec));
    QCOMPARE(*spec.rehearsal_opening_share, 0.25);
    QCOMPARE(spec.rehearsal_unscored_opening, loralab::ui::GeneralForm::kUnscoredOpening);

    QSignalSpy plans(page.controller(), &TrainController::planned);
    QSignalSpy finished(page.controller(), &TrainController::finished);
    page.start_button()->click();
    QVERIFY(finished.wait(120000));
    const auto plan = plans.at(0).at(0).value<loralab::TrainPlan>();
    QVERIFY2(plan.rehearsal_rows > 0 && plan.rehearsal_rows < plan.train_rows,
             qPrintable(QString("%1 of %2").arg(plan.rehearsal_rows).arg(plan.train_rows)));
    QCOMPARE(plan.rehearsal_opening_rows, std::llround(plan.rehearsal_rows * 0.25 / 0.5));
    const auto result = finished.at(0).at(0).value<loralab::TrainResult>();
    QCOMPARE(result.status, std::string("done"));
    QVERIFY(result.reference_loss_before && result.reference_loss_after);
    QVERIFY(*result.reference_loss_before > 0);
    QVERIFY2(page.banner_text().contains(QString("Forgetting: general-text loss %1")
                                             .arg(*result.reference_loss_before, 0, 'f', 4)),
             qPrintable(page.banner_text()));
  }

  void pause_sample_resume_stop() {
    ui_test::Fixture f;
    TrainPage page;
    configure(page, f, 100000, /*record=*/false);
    QSignalSpy steps(page.controller(), &TrainController::stepped);
    QSignalSpy finished(page.controller(), &TrainController::finished);
    QSignalSpy sampled(page.controller(), &TrainController::sample_finished);
    page.start_button()->click();
    QTRY_VERIFY_WITH_TIMEOUT(steps.count() >= 3, 60000);
    QVERIFY(!page.sample_button()->isEnabled());
    page.pause_button()->click();
    QTRY_COMPARE_WITH_TIMEOUT(page.controller()->state(), TrainController::State::Paused, 30000);
    QVERIFY(page.resume_button()->isEnabled());
    QVERIFY(!page.pause_button()->isEnabled());
    const int paused_at = steps.count();
    QTest::qWait(400);
    QCOMPARE(steps.count(), paused_at);  // blocked between steps

    QVERIFY(page.sample_button()->isEnabled());
    page.sample_button()->click();
    QVERIFY(sampled.wait(60000));
    QVERIFY2(sampled.at(0).at(0).toString().isEmpty(), qPrintable(sampled.at(0).at(0).toString()));
    QVERIFY2(page.sample_text().size() > QString("once upon a time").size(), qPrintable(page.sample_text()));
    QCOMPARE(page.controller()->state(), TrainController::State::Paused);
    QCOMPARE(steps.count(), paused_at);
    qInfo("sample while paused: %s", qPrintable(page.sample_text().left(200)));

    page.resume_button()->click();
    QCOMPARE(page.controller()->state(), TrainController::State::Running);
    QTRY_VERIFY_WITH_TIMEOUT(steps.count() >= paused_at + 3, 60000);
    page.stop_button()->click();
    QVERIFY(finished.wait(60000));
    const auto result = finished.at(0).at(0).value<loralab::TrainResult>();
    QCOMPARE(result.status, std::string("stopped"));
    QVERIFY(QFileInfo(QString::fromStdString(result.checkpoint_dir)).isDir());
    QVERIFY(QFile::exists(QString::fromStdString(result.out_dir) + "/adapter_model.safetensors"));
    QVERIFY(page.banner_text().contains("Stopped"));
    QTRY_COMPARE(page.controller()->state(), TrainController::State::Idle);
  }

  // Sampling from the paused model must not change the run: the losses of a run that paused and
  // sampled equal those of a run that did not, bit for bit.
  void sampling_while_paused_keeps_training_state() {
    std::vector<double> plain, sampled;
    int no_samples = -1, samples = -1;
    run_losses(false, plain, no_samples);
    if (QTest::currentTestFailed()) return;
    run_losses(true, sampled, samples);
    if (QTest::currentTestFailed()) return;
    QCOMPARE(no_samples, 0);
    QCOMPARE(samples, 2);
    QCOMPARE(plain.size(), size_t(10));
    QCOMPARE(sampled.size(), plain.size());
    for (size_t i = 0; i < plain.size(); ++i) QCOMPARE(sampled[i], plain[i]);
  }

  void engine_errors_are_shown_in_the_page() {
    ui_test::Fixture f;
    // A model whose weights file is cut short: the folder looks fine until the weights load.
    QFile weights(f.model_dir + "/model.safetensors");
    QVERIFY(weights.open(QIODevice::ReadWrite));
    QVERIFY(weights.resize(100));
    weights.close();
    TrainPage page;
    configure(page, f, 5, /*record=*/false);
    QSignalSpy failed(page.controller(), &TrainController::failed);
    page.start_button()->click();
    QVERIFY(failed.wait(60000));
    QVERIFY2(failed.at(0).at(0).toString().contains("model.safetensors"), qPrintable(failed.at(0).at(0).toString()));
    QVERIFY(page.banner_text().startsWith("Training failed: "));
    QTRY_COMPARE(page.controller()->state(), TrainController::State::Idle);
    QVERIFY(page.start_button()->isEnabled());
  }

  void missing_model_is_explained() {
    TrainPage page;
    page.model_panel()->set_model_dir(QDir::tempPath() + "/no-such-model-folder");
    QVERIFY(!page.model_panel()->error().isEmpty());
    QVERIFY(!page.model_panel()->config());
    page.start_button()->click();
    QVERIFY(!page.banner_text().isEmpty());
    QCOMPARE(page.controller()->state(), TrainController::State::Idle);
  }

  // The probe sees a blocked event loop, and reports what an idle loop gets on this machine (the
  // floor under the figure measured during training: scheduling on busy cores).
  void stall_probe_measures_a_blocked_loop() {
    loralab::ui::StallProbe probe;
    probe.start();
    QTest::qWait(1000);
    const double idle = probe.max_stall_ms();
    qInfo("idle event loop: longest stall %.1f ms in 1 s", idle);
    QElapsedTimer busy;
    busy.start();
    while (busy.elapsed() < 120) {
    }
    QTest::qWait(50);
    QVERIFY2(probe.max_stall_ms() >= 100, qPrintable(QString::number(probe.max_stall_ms())));
    QVERIFY(probe.max_stall_ms() < 1000);
    probe.stop();
  }

  void renders_to_png() {
    ui_test::Fixture f;
    TrainPage page;
    page.resize(1360, 860);
    configure(page, f, 6, /*record=*/false);
    QSignalSpy finished(page.controller(), &TrainController::finished);
    page.show();
    page.start_button()->click();
    QVERIFY(finished.wait(120000));
    page.plot()->flush();
    QTest::qWait(100);
    const QImage image = page.grab().toImage();
    QVERIFY(!image.isNull());
    QCOMPARE(image.size(), QSize(1360, 860) * image.devicePixelRatio());
    QSet<QRgb> colours;
    for (int y = 0; y < image.height(); y += 7)
      for (int x = 0; x < image.width(); x += 7) colours.insert(image.pixel(x, y));
    QVERIFY2(colours.size() > 20, qPrintable(QString::number(colours.size())));
    const QString out = QString(LORALAB_BUILD_DIR) + "/ui-screens";
    QDir().mkpath(out);
    QVERIFY(image.save(out + "/train_page.png"));
    // The optimisation settings sit below the fold of the left column: their own picture.
    QVERIFY(page.training_form()->grab().toImage().save(out + "/train_form.png"));
  }
};

QTEST_MAIN(TestTrainPage)
#include "test_train_page.moc"
