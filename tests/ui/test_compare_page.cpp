// The Sweeps & compare page end to end on a real store and a tiny real model: a 3 × 3 rank × alpha
// sweep is built in the form, queued and trained by the page's queue runner; the heatmap shows
// exactly the store's rank × alpha query, selecting runs in the table draws exactly their curves,
// a Pareto click selects its run, tags typed in the table reach the store, the queue can be
// reordered, cancelled and retried, a sweep over 1,000 runs asks first, and a queue left running
// goes on when the page is created again (an app restart). Writes compare_page.png into the build
// folder: the page with the finished sweep.
#include <QCheckBox>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTableView>
#include <QtTest>
#include <qcustomplot.h>

#include "loralab/store.h"
#include "ui/compare/compare_page.h"
#include "ui/compare/compare_plots.h"
#include "ui/compare/queue_view.h"
#include "ui/compare/runs_model.h"
#include "ui/settings.h"
#include "ui_fixture.h"

using namespace loralab;
using namespace loralab::ui;

namespace {

// The fixture's tiny model with a few quick steps, as the Train page would hand it over.
SweepBase tiny_base(const ui_test::Fixture& f, int steps, int eval_every) {
  SweepBase base;
  base.model_dir = f.model_dir;
  TrainSpec& spec = base.spec;
  spec.name = "tiny";
  spec.data.path = f.data.toStdString();
  spec.steps = steps;
  spec.batch = 2;
  spec.seq_len = 32;
  spec.lr = 0.01;
  spec.warmup = 1;
  spec.eval_every = eval_every;
  spec.eval_batches = 2;
  spec.threads = 1;
  spec.seed = 3;
  spec.lora.rank = 4;
  spec.lora.alpha = 8;
  spec.out_dir = (f.out_root + "/unused").toStdString();
  base.summary = "tiny model";
  return base;
}

void set_form(SweepBuilder* b, const QString& ranks, const QString& alphas) {
  b->rank_edit()->setText(ranks);
  b->alpha_edit()->setText(alphas);
  b->alpha_equals_rank_box()->setChecked(false);
  for (const char* preset : {"attention-qkv", "attention-qkvo", "mlp", "all-linear"})
    b->target_box(preset)->setChecked(false);
  b->target_box("attention-qv")->setChecked(true);
  b->custom_targets_edit()->clear();
  b->lr_edit()->clear();
  b->dropout_edit()->clear();
  b->seed_edit()->clear();
  b->extra_edit()->clear();
  b->random_samples()->setValue(0);
  b->update_estimate();
}

int count_status(const std::string& store_path, RunStatus status) {
  ExperimentStore store(store_path);
  RunQuery query;
  query.statuses = {status};
  return int(store.list_runs(query).size());
}

}  // namespace

class TestComparePage : public QObject {
  Q_OBJECT
  ui_test::Fixture f_;
  std::unique_ptr<Settings> settings_;

  std::unique_ptr<ComparePage> make_page(int steps = 6, int eval_every = 2) {
    auto page = std::make_unique<ComparePage>(*settings_, nullptr);
    page->set_base_provider(
        [this, steps, eval_every](QString*) { return tiny_base(f_, steps, eval_every); });
    page->resize(1500, 950);
    page->show();
    return page;
  }

 private slots:
  void initTestCase() {
    QVERIFY(f_.dir.isValid());
    settings_ = std::make_unique<Settings>(f_.settings_ini);
    settings_->set_store_path(f_.store);
    settings_->set_output_root(f_.out_root);
  }

  void sweep_trains_and_the_views_follow_the_store() {
    auto page = make_page();
    // The page shares the main window with the others: it must not force the window wide.
    QVERIFY2(page->minimumSizeHint().width() <= 920,
             qPrintable(QString::number(page->minimumSizeHint().width())));
    SweepBuilder* b = page->builder();
    set_form(b, "2, 4, 8", "4,8,16");
    QCOMPARE(b->spec_text(), QString("rank=2,4,8;alpha=4,8,16;targets=attention-qv"));
    QCOMPARE(b->estimate().runs, int64_t(9));
    QCOMPARE(b->count_label()->text(), QString("9 runs"));
    QVERIFY2(b->estimate().error.isEmpty(), qPrintable(b->estimate().error));
    QCOMPARE(b->estimate().tokens, int64_t(9 * 6 * 2 * 32));
    QVERIFY(b->queue_button()->isEnabled());

    QSignalSpy queued(page->controller(), &CompareController::sweep_queued);
    QSignalSpy finished(page->controller(), &CompareController::run_finished);
    b->start_now_box()->setChecked(true);
    b->queue_button()->click();
    QTRY_COMPARE_WITH_TIMEOUT(queued.count(), 1, 10000);
    QCOMPARE(queued.at(0).at(1).toInt(), 9);
    QVERIFY(settings_->compare_queue_working());
    // While it trains the queue view lists the runs and the table fills in.
    QTRY_VERIFY_WITH_TIMEOUT(page->runs_model()->rowCount() == 9, 20000);
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 9, 300000);
    QVERIFY(page->controller()->wait_queue_idle(20000));
    for (const auto& args : finished)
      QVERIFY2(args.at(1).toString() == "done", qPrintable(args.at(2).toString()));
    QVERIFY(!settings_->compare_queue_working());  // it ran dry: nothing to continue
    QCOMPARE(count_status(f_.store.toStdString(), RunStatus::Done), 9);

    // The page shows the finished store: all nine done, the heatmap 3 × 3.
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
          for (int row = 0; row < page->runs_model()->rowCount(); ++row)
            if (page->runs_model()->run_at(row)->status != RunStatus::Done ||
                !page->runs_model()->run_at(row)->best_val_loss)
              return false;
          return page->heatmap()->drawing().ranks.size() == 3 &&
                 page->heatmap()->drawing().alphas.size() == 3;
        }(),
        10000);
    // The new sweep is the table's scope.
    QVERIFY(page->sweep_combo()->currentData().isValid());

    // Heatmap values are the store's rank × alpha query, cell by cell.
    {
      ExperimentStore store(f_.store.toStdString());
      const auto grid = store.rank_alpha_grid("q_proj+v_proj");
      QCOMPARE(grid.size(), size_t(9));
      const auto& drawing = page->heatmap()->drawing();
      QCOMPARE(drawing.ranks, QVector<int64_t>({2, 4, 8}));
      QCOMPARE(drawing.alphas, QVector<double>({4, 8, 16}));
      for (const RankAlphaCell& cell : grid) {
        const int x = int(drawing.ranks.indexOf(cell.rank));
        const int y = int(drawing.alphas.indexOf(cell.alpha));
        QCOMPARE(drawing.value_at(x, y), cell.best_val_loss);
      }
      QCOMPARE(page->heatmap()->targets_combo()->currentText(), QString("q_proj+v_proj"));
    }

    // Selecting runs draws exactly their curves, in table order, with the store's points.
    page->runs_view()->sortByColumn(RunsTableModel::kId, Qt::AscendingOrder);
    std::vector<int64_t> all_ids;
    for (int row = 0; row < page->runs_proxy()->rowCount(); ++row)
      all_ids.push_back(page->runs_proxy()->index(row, 0).data(RunsTableModel::kRunIdRole).toLongLong());
    const std::vector<int64_t> chosen = {all_ids[1], all_ids[4], all_ids[8]};
    QSignalSpy curves(page.get(), &ComparePage::curves_applied);
    page->select_runs(chosen);
    QCOMPARE(page->selected_runs(), chosen);
    QTRY_VERIFY_WITH_TIMEOUT(page->curves()->drawn_runs() == chosen, 10000);
    QCOMPARE(page->curves()->drawing().val_graphs.size(), 3);
    {
      ExperimentStore store(f_.store.toStdString());
      const auto train = store.curves(chosen, CurveMetric::TrainLoss, 800);
      for (size_t i = 0; i < chosen.size(); ++i)
        QCOMPARE(page->curves()->drawing().train_graphs[int(i)]->dataCount(), int(train[i].points.size()));
      // The legend names what tells the runs apart: "sweep … targets=attention-qv" is shared.
      QCOMPARE(page->curves()->drawing().train_graphs[0]->name(),
               QString::fromStdString(store.run(chosen[0]).name)
                   .remove("sweep ")
                   .remove(" targets=attention-qv"));
    }
    // Colour by rank: three ranks, three colours in the legend.
    page->curves()->color_by_combo()->setCurrentIndex(page->curves()->color_by_combo()->findData("rank"));
    QCOMPARE(page->curves()->drawing().color_groups.size(), 3);
    page->curves()->validation_box()->setChecked(false);
    QCOMPARE(page->curves()->drawing().val_graphs.size(), 0);
    page->curves()->validation_box()->setChecked(true);
    // A different selection replaces the curves.
    page->select_runs({all_ids[0]});
    QTRY_VERIFY_WITH_TIMEOUT(page->curves()->drawn_runs() == std::vector<int64_t>({all_ids[0]}), 10000);
    // Wall time on x: fetched again in seconds.
    page->curves()->x_axis_combo()->setCurrentIndex(2);
    QTRY_VERIFY_WITH_TIMEOUT(page->curves()->plot()->xAxis->label() == "wall time (s)", 10000);
    page->curves()->x_axis_combo()->setCurrentIndex(0);

    // Compare configs needs exactly two runs.
    page->select_runs({all_ids[0], all_ids[4]});
    QVERIFY(page->compare_button()->isEnabled());
    page->select_runs({all_ids[0]});
    QVERIFY(!page->compare_button()->isEnabled());

    // A click on a Pareto point selects its run in the table.
    page->plot_tabs()->setCurrentWidget(page->pareto());
    QTRY_VERIFY_WITH_TIMEOUT(!page->pareto()->points().empty(), 5000);
    page->pareto()->plot()->replot();
    const auto& point = page->pareto()->points().back();
    const QPointF pixel(page->pareto()->plot()->xAxis->coordToPixel(point.trainable_params),
                        page->pareto()->plot()->yAxis->coordToPixel(point.best_val_loss));
    QTest::mouseClick(page->pareto()->plot(), Qt::LeftButton, {}, pixel.toPoint());
    QTRY_COMPARE_WITH_TIMEOUT(page->selected_runs(), std::vector<int64_t>({point.run_id}), 5000);
    {
      ExperimentStore store(f_.store.toStdString());
      const auto front = store.pareto_front(RunQuery{});
      int on_front = 0;
      for (const auto& p : page->pareto()->points()) on_front += p.on_front ? 1 : 0;
      QCOMPARE(on_front, int(front.size()));
    }

    // Tags typed into the table reach the store.
    const int row = page->runs_model()->row_of(all_ids[2]);
    QVERIFY(page->runs_model()->setData(page->runs_model()->index(row, RunsTableModel::kTags), "keep, best"));
    QTRY_VERIFY_WITH_TIMEOUT(
        ExperimentStore(f_.store.toStdString()).run(all_ids[2]).tags == std::vector<std::string>({"keep", "best"}),
        10000);
    page->filter_edit()->setText("tags=keep");
    QCOMPARE(page->runs_proxy()->rowCount(), 1);
    page->filter_edit()->setText("rank>=4 alpha=16");
    QCOMPARE(page->runs_proxy()->rowCount(), 2);
    page->filter_edit()->clear();

    // The screenshot: the finished 3 × 3 sweep, all runs selected, curves coloured by rank.
    page->plot_tabs()->setCurrentWidget(page->heatmap());
    page->select_runs(all_ids);
    QTRY_VERIFY_WITH_TIMEOUT(page->curves()->drawn_runs() == all_ids, 10000);
    QTest::qWait(200);
    const QString shot = QString(LORALAB_BUILD_DIR) + "/compare_page.png";
    QVERIFY(page->grab().save(shot));
    qInfo("screenshot: %s", qPrintable(shot));
    page->plot_tabs()->setCurrentWidget(page->pareto());
    page->select_runs({all_ids[4]});
    QTest::qWait(200);
    QVERIFY(page->grab().save(QString(LORALAB_BUILD_DIR) + "/compare_page_pareto.png"));
  }

  void queue_reorder_cancel_retry() {
    auto page = make_page();
    SweepBuilder* b = page->builder();
    set_form(b, "2,4", "4");
    b->name_edit()->setText("manual");
    b->start_now_box()->setChecked(false);
    QSignalSpy queued(page->controller(), &CompareController::sweep_queued);
    b->queue_button()->click();
    QTRY_COMPARE_WITH_TIMEOUT(queued.count(), 1, 10000);
    QVERIFY(!page->controller()->queue_working());
    QueueView* q = page->queue_view();
    QTRY_COMPARE_WITH_TIMEOUT(int(ExperimentStore(f_.store.toStdString()).queued_runs().size()), 2, 5000);
    QTRY_VERIFY_WITH_TIMEOUT(q->rows().size() >= 2 && q->rows()[1].second == "queued", 5000);
    auto queue = ExperimentStore(f_.store.toStdString()).queued_runs();
    const int64_t first = queue[0].id, second = queue[1].id;

    // Move the second run to the top.
    q->select_runs({second});
    QVERIFY(q->top_button()->isEnabled());
    q->top_button()->click();
    QTRY_VERIFY_WITH_TIMEOUT(ExperimentStore(f_.store.toStdString()).queued_runs().front().id == second, 5000);
    QTRY_VERIFY_WITH_TIMEOUT(q->rows()[0].first == second, 5000);
    // Cancel it: stopped, never started; then retry it: queued again at the tail.
    q->select_runs({second});
    q->cancel_button()->click();
    QTRY_COMPARE_WITH_TIMEOUT(ExperimentStore(f_.store.toStdString()).run(second).status, RunStatus::Stopped, 5000);
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
          for (const auto& [id, section] : q->rows())
            if (id == second) return section == QString("attention");
          return false;
        }(),
        5000);
    q->select_runs({second});
    QVERIFY(q->retry_button()->isEnabled());
    q->retry_button()->click();
    QTRY_COMPARE_WITH_TIMEOUT(ExperimentStore(f_.store.toStdString()).run(second).status, RunStatus::Queued, 5000);
    queue = ExperimentStore(f_.store.toStdString()).queued_runs();
    QCOMPARE(queue.size(), size_t(2));
    QCOMPARE(queue[0].id, first);
    QCOMPARE(queue[1].id, second);

    // "Restart": the queue was being worked when the page went away; a new page goes on with it.
    settings_->set_compare_queue_working(true);
    page.reset();
    QSignalSpy* done = nullptr;
    auto again = std::make_unique<ComparePage>(*settings_, nullptr);
    done = new QSignalSpy(again->controller(), &CompareController::run_finished);
    QTRY_COMPARE_WITH_TIMEOUT(done->count(), 2, 120000);
    QVERIFY(again->controller()->wait_queue_idle(20000));
    QCOMPARE(ExperimentStore(f_.store.toStdString()).run(first).status, RunStatus::Done);
    QCOMPARE(ExperimentStore(f_.store.toStdString()).run(second).status, RunStatus::Done);
    delete done;
  }

  void stopping_the_queue_keeps_the_run_first() {
    auto page = make_page(20000, 0);  // long enough to be stopped mid-run
    SweepBuilder* b = page->builder();
    set_form(b, "2,4", "4");
    b->name_edit()->setText("stop");
    b->start_now_box()->setChecked(true);
    QSignalSpy started(page->controller(), &CompareController::run_started);
    QSignalSpy progress(page->controller(), &CompareController::run_progress);
    b->queue_button()->click();
    QTRY_COMPARE_WITH_TIMEOUT(started.count(), 1, 20000);
    QTRY_VERIFY_WITH_TIMEOUT(progress.count() >= 1, 20000);
    const qint64 id = started.at(0).at(0).toLongLong();
    QTRY_VERIFY_WITH_TIMEOUT(page->queue_view()->start_button()->text() == "Stop queue", 5000);
    page->queue_view()->start_button()->click();
    QVERIFY(page->controller()->wait_queue_idle(60000));
    const auto queue = ExperimentStore(f_.store.toStdString()).queued_runs();
    QVERIFY(!queue.empty());
    QCOMPARE(queue.front().id, id);  // first again, with its checkpoint
    QVERIFY(!settings_->compare_queue_working());
    // Leave the store's queue empty for the next test.
    std::vector<int64_t> ids;
    for (const auto& run : queue) ids.push_back(run.id);
    page->controller()->cancel_queued(ids);
    QTRY_VERIFY_WITH_TIMEOUT(ExperimentStore(f_.store.toStdString()).queued_runs().empty(), 5000);
  }

  void more_than_a_thousand_runs_ask_first() {
    auto page = make_page();
    SweepBuilder* b = page->builder();
    set_form(b, "1,2,3,4,5,6,7,8,9,10,11", "1,2,3,4,5,6,7,8,9,10");
    b->lr_edit()->setText("1e-3,2e-3,3e-3,4e-3,5e-3,6e-3,7e-3,8e-3,9e-3,1e-2");
    b->start_now_box()->setChecked(false);
    b->update_estimate();
    QCOMPARE(b->estimate().runs, int64_t(1100));
    QVERIFY(b->estimate_label()->text().contains("asks first"));
    int64_t asked = 0;
    b->set_confirm_large([&](int64_t runs) {
      asked = runs;
      return false;
    });
    QSignalSpy queued(page->controller(), &CompareController::sweep_queued);
    const size_t sweeps_before = ExperimentStore(f_.store.toStdString()).sweeps().size();
    b->queue_button()->click();
    QCOMPARE(asked, int64_t(1100));
    QTest::qWait(300);
    QCOMPARE(queued.count(), 0);
    QCOMPARE(ExperimentStore(f_.store.toStdString()).sweeps().size(), sweeps_before);
    b->set_confirm_large([](int64_t) { return true; });
    b->queue_button()->click();
    QTRY_COMPARE_WITH_TIMEOUT(queued.count(), 1, 30000);
    QCOMPARE(queued.at(0).at(1).toInt(), 1100);
    QCOMPARE(ExperimentStore(f_.store.toStdString()).queued_runs().size(), size_t(1100));
  }

  void bad_values_name_the_field() {
    auto page = make_page();
    SweepBuilder* b = page->builder();
    set_form(b, "2,zero", "4");
    QVERIFY(!b->estimate().error.isEmpty());
    QVERIFY2(b->estimate().error.contains("rank"), qPrintable(b->estimate().error));
    QVERIFY(!b->queue_button()->isEnabled());
    set_form(b, "2", "4");
    b->extra_edit()->setText("bogus=1");
    b->update_estimate();
    QVERIFY2(b->estimate().error.contains("bogus"), qPrintable(b->estimate().error));
    b->extra_edit()->setText("batch=0");
    b->update_estimate();
    QVERIFY2(b->estimate().error.contains("batch"), qPrintable(b->estimate().error));
    // An unreadable store is reported on the page, not thrown.
    QFile junk(f_.dir.path() + "/junk.sqlite");
    QVERIFY(junk.open(QIODevice::WriteOnly));
    junk.write("this is not sqlite at all, not even close.................................");
    junk.close();
    settings_->set_store_path(junk.fileName());
    page->apply_settings();
    QTRY_VERIFY_WITH_TIMEOUT(page->status_label()->text().contains("junk.sqlite"), 10000);
    settings_->set_store_path(f_.store);
  }
};

QTEST_MAIN(TestComparePage)
#include "test_compare_page.moc"
