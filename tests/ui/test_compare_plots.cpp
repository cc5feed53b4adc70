// The shared plot builders (ui/plots): curves drawn per run with the right colours, smoothing and
// legend; the heatmap holds exactly the cells given; the Pareto front and click mapping; a builder
// called twice leaves no trace of the first drawing.
#include <QtTest>
#include <cmath>
#include <qcustomplot.h>

#include "ui/plots/plot_data.h"
#include "ui/plots/run_plots.h"

using namespace loralab;
using namespace loralab::ui::plots;

namespace {

CurveRun make_run(int64_t id, const QString& color_value, double offset) {
  CurveRun run;
  run.run_id = id;
  run.name = QString("run %1").arg(id);
  run.color_value = color_value;
  for (int step = 1; step <= 20; ++step) {
    run.train_x.push_back(step);
    run.train_y.push_back(offset + 3.0 / step);
    if (step % 5 == 0) {
      run.val_x.push_back(step);
      run.val_y.push_back(offset + 3.2 / step);
    }
  }
  return run;
}

}  // namespace

class TestComparePlots : public QObject {
  Q_OBJECT
 private slots:
  void smooth_ema_is_bias_corrected() {
    const QVector<double> flat(10, 2.0);
    for (double v : smooth_ema(flat, 0.9)) QCOMPARE(v, 2.0);  // no pull towards zero
    QCOMPARE(smooth_ema({1, 3}, 0.0), QVector<double>({1, 3}));
    const QVector<double> s = smooth_ema({0, 10}, 0.5);
    // average = 0.5*(0.5*0+0.5*0)+0.5*10 = 5, correction = 0.75
    QVERIFY(std::abs(s[1] - 5.0 / 0.75) < 1e-12);
  }

  void curves_one_graph_per_run_with_run_ids() {
    QCustomPlot plot;
    std::vector<CurveRun> runs = {make_run(7, "16", 1.0), make_run(3, "4", 1.5),
                                  make_run(9, "8", 2.0)};
    CurveOptions options;
    options.color_by = "rank";
    CurveDrawing drawing = draw_curves(&plot, runs, options);
    QCOMPARE(drawing.train_graphs.size(), 3);
    QCOMPARE(drawing.val_graphs.size(), 3);
    QCOMPARE(drawing.train_graphs[0]->property("run_id").toLongLong(), 7);
    QCOMPARE(drawing.train_graphs[2]->property("run_id").toLongLong(), 9);
    QCOMPARE(drawing.train_graphs[1]->name(), QString("run 3"));
    QCOMPARE(drawing.train_graphs[0]->dataCount(), 20);
    QCOMPARE(drawing.val_graphs[0]->dataCount(), 4);
    // Numeric colour values order numerically: 4 < 8 < 16, each its own colour.
    QCOMPARE(drawing.color_groups.size(), 3);
    QCOMPARE(drawing.color_groups[0].first, QString("rank=4"));
    QCOMPARE(drawing.color_groups[2].first, QString("rank=16"));
    QCOMPARE(drawing.train_graphs[1]->pen().color(), drawing.color_groups[0].second);
    QCOMPARE(drawing.train_graphs[0]->pen().color(), drawing.color_groups[2].second);
    QVERIFY(drawing.color_groups[0].second != drawing.color_groups[2].second);
    // Legend: one entry per run (validation curves share their run's entry).
    QCOMPARE(plot.legend->itemCount(), 3);
    QVERIFY(plot.legend->visible());
  }

  void curves_options_validation_off_and_smoothing() {
    QCustomPlot plot;
    std::vector<CurveRun> runs = {make_run(1, "", 1.0)};
    CurveOptions options;
    options.show_validation = false;
    options.smoothing = 0.8;
    options.x_axis = CurveXAxis::WallTime;
    CurveDrawing drawing = draw_curves(&plot, runs, options);
    QCOMPARE(drawing.val_graphs.size(), 0);
    QCOMPARE(plot.graphCount(), 1);
    const QVector<double> smoothed = smooth_ema(runs[0].train_y, 0.8);
    QCOMPARE(drawing.train_graphs[0]->data()->at(10)->value, smoothed[10]);
    QVERIFY(smoothed[10] != runs[0].train_y[10]);
    QCOMPARE(plot.xAxis->label(), QString("wall time (s)"));
  }

  void many_runs_legend_lists_groups() {
    QCustomPlot plot;
    std::vector<CurveRun> runs;
    for (int i = 0; i < 20; ++i) runs.push_back(make_run(i + 1, i % 2 ? "all-linear" : "q_proj+v_proj", i * 0.1));
    CurveOptions options;
    options.color_by = "targets";
    options.max_legend_runs = 10;
    CurveDrawing drawing = draw_curves(&plot, runs, options);
    QCOMPARE(drawing.train_graphs.size(), 20);
    QCOMPARE(plot.legend->itemCount(), 2);
    QCOMPARE(drawing.color_groups[0].first, QString("targets=all-linear"));
  }

  void heatmap_cells_land_where_given() {
    QCustomPlot plot;
    std::vector<HeatmapCell> cells = {{4, 8, 2.5, 1, 1},  {4, 16, 2.4, 2, 1}, {8, 8, 2.3, 3, 1},
                                      {16, 32, 2.1, 4, 2}, {8, 16, 2.2, 5, 1}};
    HeatmapDrawing drawing = draw_rank_alpha_heatmap(&plot, cells, {});
    QVERIFY(drawing.map);
    QCOMPARE(drawing.ranks, QVector<int64_t>({4, 8, 16}));
    QCOMPARE(drawing.alphas, QVector<double>({8, 16, 32}));
    QCOMPARE(drawing.value_at(0, 1), 2.4);
    QCOMPARE(drawing.value_at(2, 2), 2.1);
    QCOMPARE(drawing.value_at(1, 0), 2.3);
    QVERIFY(std::isnan(drawing.value_at(0, 2)));  // no run with rank 4, alpha 32
    QVERIFY(std::isnan(drawing.value_at(3, 0)));  // out of range
    // One label per cell, carrying its run; a colour scale beside the map.
    QCOMPARE(plot.itemCount(), 5);
    int scales = 0;
    for (int i = 0; i < plot.plotLayout()->elementCount(); ++i)
      if (qobject_cast<QCPColorScale*>(plot.plotLayout()->elementAt(i))) ++scales;
    QCOMPARE(scales, 1);
    bool found_two_runs = false;
    for (int i = 0; i < plot.itemCount(); ++i) {
      auto* text = qobject_cast<QCPItemText*>(plot.item(i));
      QVERIFY(text);
      if (text->property("run_id").toLongLong() == 4) {
        QVERIFY(text->text().startsWith("2.100"));
        found_two_runs = text->text().contains("2 runs");
      }
    }
    QVERIFY(found_two_runs);
    // Drawing again replaces everything: no second scale, no stale labels.
    draw_rank_alpha_heatmap(&plot, {{8, 16, 1.0, 9, 1}}, {});
    QCOMPARE(plot.itemCount(), 1);
    QCOMPARE(plot.plottableCount(), 1);
    scales = 0;
    for (int i = 0; i < plot.plotLayout()->elementCount(); ++i)
      if (qobject_cast<QCPColorScale*>(plot.plotLayout()->elementAt(i))) ++scales;
    QCOMPARE(scales, 1);
  }

  void heatmap_single_cell_and_empty() {
    QCustomPlot plot;
    HeatmapDrawing one = draw_rank_alpha_heatmap(&plot, {{8, 16, 1.75, 1, 1}}, {});
    QCOMPARE(one.value_at(0, 0), 1.75);
    plot.resize(400, 300);
    QVERIFY(!plot.toPixmap(400, 300).isNull());
    HeatmapDrawing none = draw_rank_alpha_heatmap(&plot, {}, {});
    QVERIFY(!none.map);
    QCOMPARE(plot.plottableCount(), 0);
  }

  void pareto_front_and_clicks() {
    std::vector<ParetoRun> runs = {{1, "a", 1000, 2.0, false},
                                   {2, "b", 2000, 1.8, false},
                                   {3, "c", 2000, 2.5, false},  // beaten by b
                                   {4, "d", 4000, 1.9, false},  // beaten by b
                                   {5, "e", 8000, 1.5, false}};
    mark_pareto_front(runs);
    QVector<int64_t> front;
    for (const auto& r : runs)
      if (r.on_front) front.push_back(r.run_id);
    QCOMPARE(front, QVector<int64_t>({1, 2, 5}));

    QCustomPlot plot;
    plot.resize(600, 400);
    ParetoOptions options;
    options.selected_run = 4;
    ParetoDrawing drawing = draw_pareto(&plot, runs, options);
    QCOMPARE(drawing.front->dataCount(), 3);
    QCOMPARE(drawing.others->dataCount(), 2);
    plot.replot();  // lays out the axes so coordinates map to pixels
    const QPointF at_d(plot.xAxis->coordToPixel(4000), plot.yAxis->coordToPixel(1.9));
    QCOMPARE(pareto_run_at(&plot, runs, at_d + QPointF(3, -2)).value_or(-1), 4);
    QVERIFY(!pareto_run_at(&plot, runs, at_d + QPointF(60, 60)).has_value());
  }

  void store_records_to_plot_data() {
    RunRecord a;
    a.id = 5;
    a.name = "s rank=4";
    a.config.rank = 4;
    a.config.alpha = 8;
    a.config.targets = "q_proj+v_proj";
    a.trainable_params = 1024;
    a.best_val_loss = 2.0;
    RunRecord b = a;
    b.id = 6;
    b.name = "";
    b.config.rank = 8;
    b.best_val_loss.reset();
    QCOMPARE(hyperparameter_text(a, "alpha"), QString("8"));
    QCOMPARE(hyperparameter_text(a, "targets"), QString("q_proj+v_proj"));
    QCOMPARE(hyperparameter_text(a, "dropout"), QString());
    CurveSeries train{6, {{1, 3.0}, {2, 2.5}}};
    std::vector<CurveRun> curves = curve_runs({a, b}, {train}, {}, "rank");
    QCOMPARE(curves.size(), size_t(2));
    QCOMPARE(curves[0].train_x.size(), 0);
    QCOMPARE(curves[1].train_y, QVector<double>({3.0, 2.5}));
    QCOMPARE(curves[1].name, QString("run 6"));
    QCOMPARE(curves[1].color_value, QString("8"));
    std::vector<ParetoRun> points = pareto_runs({a, b}, {ParetoPoint{5, "s", 1024, 2.0}});
    QCOMPARE(points.size(), size_t(1));  // b has no validation loss
    QVERIFY(points[0].on_front);

    QCOMPARE(compact_run_names({"s rank=4 alpha=8 t=qv", "s rank=8 alpha=8 t=qv"}),
             QStringList({"rank=4", "rank=8"}));
    QCOMPARE(compact_run_names({"same", "same"}), QStringList({"same", "same"}));
    QCOMPARE(compact_run_names({"one name"}), QStringList({"one name"}));
  }
};

QTEST_MAIN(TestComparePlots)
#include "test_compare_plots.moc"
