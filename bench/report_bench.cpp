// Report rendering time as a sweep grows: a store of N finished runs with M metric rows each
// (synthetic, written through the store API), then each stage of a report timed separately —
// reading the store, drawing the figures, laying out the A4 pages, writing the PDF, HTML and CSV —
// and what the Reports page's preview spends on the GUI thread (screen-resolution figures). Prints
// one JSON object per size. Usage: report_bench [RUNS=8,32,96] [STEPS=2000]
#include <QApplication>
#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <cmath>
#include <cstdio>

#include "loralab/store.h"
#include "loralab/train.h"
#include "ui/report/report_content.h"
#include "ui/report/report_document.h"
#include "ui/report/report_writers.h"

namespace {

void fill_store(loralab::ExperimentStore& store, int runs, int steps) {
  loralab::SweepRecord sweep;
  sweep.name = "bench";
  sweep.grid = "rank=2,4,8,16;alpha=...";
  const int64_t sweep_id = store.create_sweep(sweep);
  for (int i = 0; i < runs; ++i) {
    const int64_t rank = int64_t(2) << (i % 4);
    const double alpha = double(rank) * (1 + (i / 4) % 4);
    loralab::TrainSpec spec;
    spec.name = "bench run " + std::to_string(i);
    spec.data.path = "/data/train.jsonl";
    spec.out_dir = "/out/" + std::to_string(i);
    spec.steps = steps;
    spec.lora.rank = rank;
    spec.lora.alpha = alpha;
    loralab::RunRecord run;
    run.name = spec.name;
    run.status = loralab::RunStatus::Running;
    run.base_model_path = "/models/base";
    run.config_json = spec.to_json();
    run.config.rank = rank;
    run.config.alpha = alpha;
    run.config.targets = i % 8 < 4 ? "q_proj+v_proj" : "all-linear";
    run.sweep_id = sweep_id;
    const int64_t id = store.create_run(run);
    std::vector<loralab::MetricRow> rows;
    for (int step = 1; step <= steps; ++step) {
      loralab::MetricRow row;
      row.step = step;
      row.tokens_seen = int64_t(step) * 2048;
      row.train_loss = 3 * std::exp(-step / (200.0 + 10 * i)) + 1 + 0.05 * std::sin(step * 0.7);
      if (step % 50 == 0) row.val_loss = *row.train_loss + 0.1;
      rows.push_back(row);
    }
    store.insert_metrics(id, rows);
    loralab::RunResults results;
    results.trainable_params = 1024 * rank;
    results.total_params = 4'000'000;
    store.update_results(id, results);
    store.finish_run(id, loralab::RunStatus::Done);
  }
}

double ms(QElapsedTimer& timer) {
  const double elapsed = double(timer.nsecsElapsed()) / 1e6;
  timer.restart();
  return elapsed;
}

}  // namespace

int main(int argc, char** argv) {
  if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM") && qEnvironmentVariableIsEmpty("DISPLAY"))
    qputenv("QT_QPA_PLATFORM", "offscreen");
  QApplication app(argc, argv);
  QList<int> sizes = {8, 32, 96};
  if (argc > 1) {
    sizes.clear();
    for (const QString& n : QString(argv[1]).split(',')) sizes << n.toInt();
  }
  const int steps = argc > 2 ? std::atoi(argv[2]) : 2000;
  for (int runs : sizes) {
    QTemporaryDir dir;
    const std::string path = dir.filePath("bench.sqlite").toStdString();
    {
      loralab::ExperimentStore store(path);
      fill_store(store, runs, steps);
    }
    QElapsedTimer timer;
    timer.start();
    loralab::ExperimentStore store(path);
    loralab::ui::ReportSelection selection;
    selection.sweep_id = 1;
    selection.metric_rows = false;  // as the preview reads it
    const auto content = loralab::ui::load_report_content(store, selection);
    const double read_ms = ms(timer);
    const auto screen =
        loralab::ui::build_report_document(content, loralab::ui::FigureResolution::Screen);
    const double screen_figures_ms = ms(timer);
    const auto doc = loralab::ui::build_report_document(content);
    const double figures_ms = ms(timer);
    loralab::ui::ReportPages pages(doc);
    const double layout_ms = ms(timer);
    const QImage first = pages.page_image(0, 640);
    const double preview_page_ms = ms(timer);
    const QByteArray pdf = pages.pdf(doc.title);
    const double pdf_ms = ms(timer);
    const QByteArray html = loralab::ui::report_html(doc);
    const double html_ms = ms(timer);
    selection.metric_rows = true;
    const auto full = loralab::ui::load_report_content(store, selection);
    const double read_rows_ms = ms(timer);
    const QByteArray csv = loralab::ui::metrics_csv(full);
    const double csv_ms = ms(timer);
    const QJsonObject out{
        {"runs", runs},
        {"steps_per_run", steps},
        {"pages", pages.page_count()},
        {"figures", doc.image_count()},
        {"read_store_ms", read_ms},
        {"draw_figures_ms", figures_ms},
        {"draw_figures_screen_ms", screen_figures_ms},
        {"layout_ms", layout_ms},
        {"preview_page_ms", preview_page_ms},
        {"pdf_ms", pdf_ms},
        {"pdf_bytes", qint64(pdf.size())},
        {"html_ms", html_ms},
        {"html_bytes", qint64(html.size())},
        {"read_all_metric_rows_ms", read_rows_ms},
        {"metrics_csv_ms", csv_ms},
        {"metrics_csv_bytes", qint64(csv.size())},
        // What the Reports page spends on the GUI thread for a preview (screen figures).
        {"preview_gui_thread_ms",
         screen_figures_ms + layout_ms + preview_page_ms * pages.page_count()}};
    std::printf("%s\n", QJsonDocument(out).toJson(QJsonDocument::Compact).constData());
    std::fflush(stdout);
  }
  return 0;
}
