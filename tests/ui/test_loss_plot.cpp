// The live loss plot: one point per step in each step series, validation points and the best
// marker, the x unit switch, log scale, the ~30 Hz replot timer, and that 100,000 points stay
// cheap to append and replot.
#include <QtTest>

#include <QElapsedTimer>
#include <algorithm>
#include <cmath>
#include <qcustomplot.h>

#include "ui/train/loss_plot.h"

using loralab::ui::LossPlot;

namespace {

loralab::StepMetrics step(int64_t i) {
  loralab::StepMetrics m;
  m.step = i;
  m.total_steps = 100000;
  m.train_loss = 3.0 * std::exp(-double(i) / 20000.0) + 0.1 * std::sin(double(i));
  m.smoothed_loss = 3.0 * std::exp(-double(i) / 20000.0);
  m.lr = 3e-4;
  m.tokens_per_s = 1000 + double(i % 17);
  m.tokens_seen = i * 256;
  return m;
}

}  // namespace

class TestLossPlot : public QObject {
  Q_OBJECT
 private slots:
  void one_point_per_step() {
    LossPlot plot;
    for (int i = 1; i <= 50; ++i) plot.append_step(step(i));
    plot.flush();
    QCOMPARE(plot.step_points(), 50);
    QCOMPARE(plot.smoothed_points(), 50);
    QCOMPARE(plot.lr_points(), 50);
    for (int i = 51; i <= 60; ++i) plot.append_step(step(i));
    // The timer moves pending points in at ~30 Hz without an explicit flush.
    QTRY_COMPARE_WITH_TIMEOUT(plot.step_points(), 60, 1000);
    auto* raw = plot.plot()->graph(0);
    QCOMPARE(raw->data()->at(59)->key, 60.0);
    QCOMPARE(raw->data()->at(59)->value, step(60).train_loss);
  }

  void validation_points_and_best_marker() {
    LossPlot plot;
    for (int i = 1; i <= 30; ++i) plot.append_step(step(i));
    loralab::EvalMetrics a{10, 2.0, std::exp(2.0), true, 2.0, 10};
    loralab::EvalMetrics b{20, 1.5, std::exp(1.5), true, 1.5, 20};
    loralab::EvalMetrics c{30, 1.7, std::exp(1.7), false, 1.5, 20};
    for (const auto& e : {a, b, c}) plot.append_eval(e);
    plot.flush();
    QCOMPARE(plot.eval_points(), 3);
    auto* best = plot.plot()->graph(3);
    QCOMPARE(best->dataCount(), 1);
    QCOMPARE(best->data()->at(0)->key, 20.0);
    QCOMPARE(best->data()->at(0)->value, 1.5);
    QVERIFY(plot.readout_at(20.2).contains("validation 1.5000"));
    QVERIFY(plot.readout_at(20.2).contains("step 20"));

    // By tokens: the same points, keyed by tokens seen.
    plot.set_x_by_tokens(true);
    QCOMPARE(plot.step_points(), 30);
    QCOMPARE(plot.eval_points(), 3);
    QCOMPARE(plot.plot()->graph(0)->data()->at(0)->key, 256.0);
    QCOMPARE(best->data()->at(0)->key, 20.0 * 256);
    plot.set_x_by_tokens(false);
    QCOMPARE(plot.plot()->graph(0)->data()->at(0)->key, 1.0);
  }

  void log_scale_toggles() {
    LossPlot plot;
    for (int i = 1; i <= 10; ++i) plot.append_step(step(i));
    plot.flush();
    QSignalSpy changed(&plot, &LossPlot::log_scale_changed);
    plot.set_log_scale(true);
    QVERIFY(plot.log_scale());
    QCOMPARE(plot.plot()->yAxis->scaleType(), QCPAxis::stLogarithmic);
    QVERIFY(plot.plot()->yAxis->range().lower > 0);
    plot.set_log_scale(false);
    QCOMPARE(plot.plot()->yAxis->scaleType(), QCPAxis::stLinear);
    QCOMPARE(changed.count(), 2);
  }

  // 100,000 steps: appending a frame's worth of points and replotting stays far below a frame.
  void hundred_thousand_points_stay_smooth() {
    LossPlot plot;
    plot.resize(1100, 600);
    plot.show();
    QElapsedTimer clock;
    clock.start();
    for (int i = 1; i <= 100000; ++i) plot.append_step(step(i));
    plot.flush();
    const double bulk_ms = double(clock.nsecsElapsed()) / 1e6;
    QCOMPARE(plot.step_points(), 100000);
    std::vector<double> frames;
    for (int frame = 0; frame < 10; ++frame) {
      for (int i = 0; i < 30; ++i) plot.append_step(step(100001 + frame * 30 + i));
      clock.restart();
      plot.flush();
      plot.plot()->replot(QCustomPlot::rpImmediateRefresh);
      frames.push_back(double(clock.nsecsElapsed()) / 1e6);
    }
    std::sort(frames.begin(), frames.end());
    const double median = frames[frames.size() / 2];
    qInfo("100k points: bulk append + first plot %.1f ms; per-frame append + replot median %.1f ms, max %.1f ms",
          bulk_ms, median, frames.back());
    QCOMPARE(plot.step_points(), 100300);
    QVERIFY2(median < 50, qPrintable(QString::number(median)));
  }
};

QTEST_MAIN(TestLossPlot)
#include "test_loss_plot.moc"
