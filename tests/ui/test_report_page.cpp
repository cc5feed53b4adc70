// The Reports page offscreen on a real store file: it lists the store's sweeps and runs, previews
// the chosen report as A4 pages (the same pages the PDF gets), exports HTML / PDF / Markdown with
// CSV, replaces an existing file only when the person agrees, and remembers the export folder. The
// main window has the page. LORALAB_REPORT_SCREENSHOT=DIR saves the page and a preview page there.
#include <QtTest>

#include <QComboBox>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>

#include "loralab/store.h"
#include "loralab/train.h"
#include "ui/main_window.h"
#include "ui/report/report_page.h"
#include "ui/report/report_writers.h"
#include "ui/settings.h"

using loralab::ExperimentStore;
using loralab::RunRecord;
using loralab::RunStatus;
using loralab::ui::ReportPage;

namespace {

// A finished run with a plausible loss curve: loss falls faster with a higher rank.
int64_t add_run(ExperimentStore& store, const QString& name, int64_t rank, double alpha,
                std::optional<int64_t> sweep) {
  loralab::TrainSpec spec;
  spec.name = name.toStdString();
  spec.data.path = "/data/stories.jsonl";
  spec.out_dir = "/out/" + std::to_string(rank);
  spec.steps = 40;
  spec.lora.rank = rank;
  spec.lora.alpha = alpha;
  RunRecord run;
  run.name = spec.name;
  run.status = RunStatus::Running;
  run.base_model_path = "/models/base";
  run.base_model_hash = "ab12cd34";
  run.dataset_path = spec.data.path;
  run.dataset_fingerprint = "feedbeef";
  run.config_json = spec.to_json();
  run.config.rank = rank;
  run.config.alpha = alpha;
  run.config.targets = "q_proj+v_proj";
  run.config.lr = spec.lr;
  run.config.steps = spec.steps;
  run.sweep_id = sweep;
  const int64_t id = store.create_run(run);
  std::vector<loralab::MetricRow> rows;
  for (int step = 1; step <= 40; ++step) {
    loralab::MetricRow row;
    row.step = step;
    row.tokens_seen = step * 512;
    row.train_loss =
        3.0 * std::exp(-0.02 * step * std::sqrt(double(rank))) + 1.0 + 0.01 * (step % 3);
    if (step % 10 == 0) row.val_loss = *row.train_loss + 0.05 - 0.001 * alpha;
    rows.push_back(row);
  }
  store.insert_metrics(id, rows);
  loralab::RunResults results;
  results.trainable_params = 1024 * rank;
  results.total_params = 4'000'000;
  results.final_train_loss = rows.back().train_loss;
  store.update_results(id, results);
  store.finish_run(id, RunStatus::Done);
  return id;
}

}  // namespace

class TestReportPage : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  QString store_path_;
  int64_t sweep_id_ = 0, loose_run_ = 0;

  QString path(const QString& name) const { return dir_.filePath(name); }

  bool wait_preview(ReportPage& page) {
    QSignalSpy ready(&page, &ReportPage::preview_ready);
    page.refresh_preview();
    return ready.wait(20000);
  }

 private slots:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    store_path_ = path("experiments.sqlite");
    ExperimentStore store(store_path_.toStdString());
    loralab::SweepRecord sweep;
    sweep.name = "grid";
    sweep.grid = "rank=2,8;alpha=4,16";
    sweep_id_ = store.create_sweep(sweep);
    for (int64_t rank : {2, 8})
      for (double alpha : {4.0, 16.0})
        add_run(store, QString("grid rank=%1 alpha=%2").arg(rank).arg(alpha), rank, alpha,
                sweep_id_);
    loose_run_ = add_run(store, "<script>alert(1)</script>", 4, 8, std::nullopt);
    loralab::SampleRecord sample;
    sample.run_id = loose_run_;
    sample.prompt = "once";
    sample.text = "once upon a time there was a report.";
    store.add_sample(sample);
  }

  void lists_the_store_and_previews_a_sweep() {
    loralab::ui::Settings settings(path("settings.ini"));
    ReportPage page(settings);
    page.resize(1300, 850);
    page.set_store_path(store_path_);
    QCOMPARE(page.sweep_combo()->count(), 1);
    QCOMPARE(page.run_list()->count(), 5);
    page.select_sweep(sweep_id_);
    QVERIFY(wait_preview(page));
    QVERIFY(page.preview_pages() >= 3);
    QCOMPARE(page.content()->runs.size(), size_t(4));
    QVERIFY(page.export_button()->isEnabled());
    QVERIFY2(page.status_text().contains("A4 pages"), qPrintable(page.status_text()));
    page.show();
    int shown_pages = 0;
    for (auto* label : page.findChildren<QLabel*>())
      if (!label->pixmap().isNull() && label->isVisible()) ++shown_pages;
    QCOMPARE(shown_pages, page.preview_pages());
    if (const QByteArray dir = qgetenv("LORALAB_REPORT_SCREENSHOT"); !dir.isEmpty()) {
      page.show();
      QTest::qWait(200);
      page.grab().save(QString(dir) + "/report_page.png");

      loralab::ui::ReportPages pages(*page.document());
      for (int i = 0; i < pages.page_count(); ++i)
        pages.page_image(i, 1000).save(QString(dir) + QString("/report_preview_%1.png").arg(i + 1));
    }
  }

  void exports_and_replaces_only_on_request() {
    loralab::ui::Settings settings(path("settings.ini"));
    ReportPage page(settings);
    page.set_store_path(store_path_);
    page.select_runs({loose_run_, 1});
    QVERIFY(wait_preview(page));
    QCOMPARE(page.content()->runs.size(), size_t(2));

    QDir().mkpath(path("out"));
    const QString html = path("out/chosen.html");
    QStringList asked;
    bool agree = false;
    page.set_replace_confirmation([&](const QStringList& files) {
      asked = files;
      return agree;
    });
    QVERIFY2(page.export_to(html, /*with_csv=*/true), qPrintable(page.status_text()));
    QVERIFY(asked.isEmpty());  // nothing existed: no question
    QVERIFY(QFileInfo::exists(path("out/chosen_data/runs.csv")));
    QCOMPARE(settings.report_folder(), QFileInfo(html).absolutePath());
    QFile file(html);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray first = file.readAll();
    file.close();
    QVERIFY(first.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    QVERIFY(!first.contains("<script"));

    // It exists now: a refusal keeps it byte for byte.
    QFile::resize(html, 10);
    QVERIFY(!page.export_to(html, true));
    QVERIFY(asked.contains(html));
    QVERIFY(asked.contains(path("out/chosen_data/runs.csv")));
    QCOMPARE(QFileInfo(html).size(), 10);
    QVERIFY(page.status_text().contains("kept"));
    agree = true;
    QVERIFY(page.export_to(html, true));
    QCOMPARE(QFileInfo(html).size(), first.size());

    const QString pdf = path("out/chosen.pdf");
    QVERIFY(page.export_to(pdf));
    QFile pdf_file(pdf);
    QVERIFY(pdf_file.open(QIODevice::ReadOnly));
    QVERIFY(pdf_file.read(5) == "%PDF-");
    QVERIFY(page.export_to(path("out/chosen.md")));
    const QStringList pngs = QDir(path("out/chosen_files")).entryList({"*.png"});
    QVERIFY(pngs.size() >= 3);
    // The preview draws its figures for the screen; the export draws them for print.
    QVERIFY(page.document()->figures.front().image.width() < 1000);
    for (const QString& png : pngs)
      QVERIFY(QImage(path("out/chosen_files/") + png).width() >= 2000);
    QVERIFY(!page.export_to(path("out/chosen.txt")));
    QVERIFY(page.status_text().contains("unknown report format"));

    ExperimentStore store(store_path_.toStdString());
    int reports = 0;
    for (const auto& a : store.artifacts_for_run(loose_run_)) reports += a.kind == "report";
    // Two HTML exports with their three data files each, one PDF, one Markdown (its PNGs travel
    // with it); the refused export recorded nothing.
    QCOMPARE(reports, 10);
  }

  void showing_the_page_rereads_the_store() {
    loralab::ui::Settings settings(path("settings.ini"));
    ReportPage page(settings);
    page.set_store_path(store_path_);
    page.select_runs({loose_run_});
    QVERIFY(wait_preview(page));
    size_t runs_now = 0;
    {
      ExperimentStore store(store_path_.toStdString());
      add_run(store, "trained while the page was hidden", 2, 2, std::nullopt);
      runs_now = store.list_runs().size();
    }
    QSignalSpy ready(&page, &ReportPage::preview_ready);
    page.show();  // showEvent re-reads the store
    QCOMPARE(size_t(page.run_list()->count()), runs_now);
    const auto chosen = page.selection().run_ids;
    QCOMPARE(chosen, std::vector<int64_t>{loose_run_});  // the ticks survive the reload
    // Nothing in the selection changed, but the list did: the preview is redrawn once.
    QVERIFY(ready.wait(20000));
  }

  void the_main_window_has_the_page() {
    loralab::ui::Settings settings(path("settings-window.ini"));
    settings.set_store_path(store_path_);
    loralab::ui::MainWindow window(settings);
    QVERIFY(window.findChild<ReportPage*>("report_page") != nullptr);
  }
};

QTEST_MAIN(TestReportPage)
#include "test_report_page.moc"
