// Experiment store comparison queries against hand-computed answers: filters and sorting, curve
// downsampling, the rank × alpha table, the Pareto front; and samples and artifacts.
#include <QTemporaryDir>
#include <QtTest>

#include "loralab/store.h"
#include "store_test_support.h"

using loralab::ExperimentStore;
using loralab::RunQuery;
using loralab::RunRecord;
using loralab::RunStatus;
using store_test::error_of;

namespace {

struct Spec {
  const char* name;
  RunStatus status;
  int64_t rank;
  double alpha;
  const char* targets;
  std::optional<double> best;
  int64_t params;
  std::vector<std::string> tags;
  bool in_sweep;
};

// Pareto by hand: a, b, g, e are on the front; c is beaten by b, d by g, h by a (same params).
const Spec kRuns[] = {
    {"a", RunStatus::Done, 4, 8, "q_proj+v_proj", 2.0, 100, {"x"}, true},
    {"b", RunStatus::Done, 4, 8, "q_proj+v_proj", 1.5, 200, {}, true},
    {"c", RunStatus::Failed, 4, 16, "q_proj+v_proj", 1.8, 250, {"x", "y"}, false},
    {"d", RunStatus::Done, 8, 8, "q_proj+v_proj", 1.3, 500, {}, false},
    {"e", RunStatus::Done, 8, 8, "all-linear", 0.9, 800, {}, false},
    {"f", RunStatus::Queued, 8, 16, "q_proj+v_proj", std::nullopt, 300, {}, false},
    {"g", RunStatus::Done, 16, 32, "q_proj+v_proj", 1.25, 300, {}, false},
    {"h", RunStatus::Done, 16, 16, "all-linear", 2.2, 100, {}, false},
};

std::vector<std::string> names(const std::vector<RunRecord>& runs) {
  std::vector<std::string> out;
  for (const auto& run : runs) out.push_back(run.name);
  return out;
}

using Names = std::vector<std::string>;

RunQuery with_status(std::vector<RunStatus> statuses) {
  RunQuery query;
  query.statuses = std::move(statuses);
  return query;
}

loralab::MetricRow row(int64_t step, std::optional<double> train, std::optional<double> val = {}) {
  loralab::MetricRow r;
  r.step = step;
  r.tokens_seen = step * 100;
  r.train_loss = train;
  r.val_loss = val;
  return r;
}

}  // namespace

class TestStoreQueries : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  std::unique_ptr<ExperimentStore> store_;
  std::map<std::string, int64_t> ids_;
  int64_t sweep_ = 0;

 private slots:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    store_ = std::make_unique<ExperimentStore>(dir_.filePath("q.sqlite").toStdString());
    sweep_ = store_->create_sweep({0, "s1", "rank=4;alpha=8", "grid", {}, {}, 0});
    for (const Spec& spec : kRuns) {
      RunRecord run;
      run.name = spec.name;
      run.status = spec.status;
      run.config.rank = spec.rank;
      run.config.alpha = spec.alpha;
      run.config.targets = spec.targets;
      run.best_val_loss = spec.best;
      run.trainable_params = spec.params;
      run.tags = spec.tags;
      if (spec.in_sweep) run.sweep_id = sweep_;
      ids_[spec.name] = store_->create_run(run);
    }
  }

  void filters_by_status_sweep_tag_and_column() {
    QCOMPARE(names(store_->list_runs(with_status({RunStatus::Failed}))), Names{"c"});
    QCOMPARE(store_->list_runs(with_status({RunStatus::Done, RunStatus::Queued})).size(),
             size_t(7));
    RunQuery in_sweep;
    in_sweep.sweep_id = sweep_;
    QCOMPARE(names(store_->list_runs(in_sweep)), (Names{"a", "b"}));
    RunQuery tagged;
    tagged.tag = "x";
    QCOMPARE(names(store_->list_runs(tagged)), (Names{"a", "c"}));
    RunQuery big;
    big.where = {loralab::parse_column_condition("rank>=8")};
    QCOMPARE(names(store_->list_runs(big)), (Names{"d", "e", "f", "g", "h"}));
    big.where.push_back(loralab::parse_column_condition("targets=all-linear"));
    QCOMPARE(names(store_->list_runs(big)), (Names{"e", "h"}));
    RunQuery combined;
    combined.statuses = {RunStatus::Done};
    combined.where = {loralab::parse_column_condition("best_val_loss<1.5"),
                      loralab::parse_column_condition("status!=failed")};
    QCOMPARE(names(store_->list_runs(combined)), (Names{"d", "e", "g"}));
  }

  void sorts_by_any_column_with_missing_values_last() {
    RunQuery query;
    query.sort_by = "best_val_loss";
    QCOMPARE(names(store_->list_runs(query)), (Names{"e", "g", "d", "b", "c", "a", "h", "f"}));
    query.descending = true;
    QCOMPARE(names(store_->list_runs(query)), (Names{"h", "a", "c", "b", "d", "g", "e", "f"}));
    query.limit = 3;
    QCOMPARE(names(store_->list_runs(query)), (Names{"h", "a", "c"}));
    RunQuery by_params;
    by_params.sort_by = "trainable_params";  // ties broken by id
    QCOMPARE(names(store_->list_runs(by_params)), (Names{"a", "h", "b", "c", "f", "g", "d", "e"}));
  }

  void query_errors_name_the_column() {
    RunQuery query;
    query.sort_by = "password";
    QString message = error_of([&] { store_->list_runs(query); });
    QVERIFY2(message.contains("password") && message.contains("best_val_loss"),
             qPrintable(message));
    message = error_of([] { loralab::parse_column_condition("rank"); });
    QVERIFY2(message.contains("COLUMN OP VALUE"), qPrintable(message));
    message = error_of([] { loralab::parse_column_condition("colour=red"); });
    QVERIFY2(message.contains("unknown column 'colour'"), qPrintable(message));
    RunQuery bad;
    bad.where = {loralab::parse_column_condition("rank>=x")};
    message = error_of([&] { store_->list_runs(bad); });
    QVERIFY2(message.contains("rank expects a whole number") && message.contains("'x'"),
             qPrintable(message));
    bad.where = {loralab::parse_column_condition("status=bogus")};
    QVERIFY(error_of([&] { store_->list_runs(bad); }).contains("bogus"));
    bad.where = {{"rank", "; DROP TABLE runs; --", "1"}};
    QVERIFY(error_of([&] { store_->list_runs(bad); }).contains("unknown operator"));
    auto condition = loralab::parse_column_condition("best_val_loss <= 1.5");
    QCOMPARE(condition.column, std::string("best_val_loss"));
    QCOMPARE(condition.op, std::string("<="));
    QCOMPARE(condition.value, std::string("1.5"));
  }

  void rank_alpha_table_keeps_the_best_run_per_cell() {
    auto cells = store_->rank_alpha_grid("q_proj+v_proj");
    QCOMPARE(cells.size(), size_t(4));
    auto check = [&](size_t i, int64_t rank, double alpha, double loss, const char* best,
                     int64_t n) {
      QCOMPARE(cells[i].rank, rank);
      QCOMPARE(cells[i].alpha, alpha);
      QCOMPARE(cells[i].best_val_loss, loss);
      QCOMPARE(cells[i].best_run_id, ids_[best]);
      QCOMPARE(cells[i].runs, n);
    };
    check(0, 4, 8, 1.5, "b", 2);
    check(1, 4, 16, 1.8, "c", 1);
    check(2, 8, 8, 1.3, "d", 1);
    check(3, 16, 32, 1.25, "g", 1);
    cells = store_->rank_alpha_grid("q_proj+v_proj", with_status({RunStatus::Done}));
    QCOMPARE(cells.size(), size_t(3));  // c failed
    QCOMPARE(store_->rank_alpha_grid("all-linear").size(), size_t(2));
    QVERIFY(store_->rank_alpha_grid("mlp").empty());
  }

  void pareto_front_of_params_against_loss() {
    auto front = store_->pareto_front();
    std::vector<std::string> got;
    for (const auto& point : front) got.push_back(point.name);
    QCOMPARE(got, (Names{"a", "b", "g", "e"}));
    QCOMPARE(front[2].trainable_params, int64_t(300));
    QCOMPARE(front[2].best_val_loss, 1.25);
    QCOMPARE(front[2].run_id, ids_["g"]);
    RunQuery qv;
    qv.where = {loralab::parse_column_condition("targets=q_proj+v_proj")};
    got.clear();
    for (const auto& point : store_->pareto_front(qv)) got.push_back(point.name);
    QCOMPARE(got, (Names{"a", "b", "g"}));
  }

  void curves_are_downsampled_keeping_ends_and_minimum() {
    // Fresh runs: their val losses must not change the other tests' runs.
    int64_t bumpy = store_->create_run(RunRecord{}), falling = store_->create_run(RunRecord{});
    const double ys[] = {9, 7, 8, 6, 5, 1, 4, 3, 2, 2.5};
    std::vector<loralab::MetricRow> rows;
    for (int i = 0; i < 10; ++i)
      rows.push_back(
          row(i + 1, ys[i], (i + 1) % 5 == 0 ? std::optional<double>(10 - i) : std::nullopt));
    store_->insert_metrics(bumpy, rows);
    rows.clear();
    for (int i = 0; i < 10; ++i) rows.push_back(row(i + 1, 10 - i));
    store_->insert_metrics(falling, rows);

    auto series = store_->curves({bumpy, falling}, loralab::CurveMetric::TrainLoss, 5);
    QCOMPARE(series.size(), size_t(2));
    QCOMPARE(series[0].run_id, bumpy);
    // Interior steps 2..9 in three buckets: {2,3} mean, {4,5,6} holds the minimum, {7,8,9} mean.
    const double expected[][2] = {{1, 9}, {2.5, 7.5}, {6, 1}, {8, 3}, {10, 2.5}};
    QCOMPARE(series[0].points.size(), size_t(5));
    for (size_t i = 0; i < 5; ++i) {
      QCOMPARE(series[0].points[i].x, expected[i][0]);
      QCOMPARE(series[0].points[i].y, expected[i][1]);
    }
    // Minimum at the last point: buckets {2..5} and {6..9} are plain means.
    series = store_->curves({falling}, loralab::CurveMetric::TrainLoss, 4);
    const double expected_falling[][2] = {{1, 10}, {3.5, 7.5}, {7.5, 3.5}, {10, 1}};
    QCOMPARE(series[0].points.size(), size_t(4));
    for (size_t i = 0; i < 4; ++i) {
      QCOMPARE(series[0].points[i].x, expected_falling[i][0]);
      QCOMPARE(series[0].points[i].y, expected_falling[i][1]);
    }
    // Short curves come back whole; rows without the metric are skipped; other x axes.
    series =
        store_->curves({bumpy}, loralab::CurveMetric::ValLoss, 100, loralab::CurveAxis::TokensSeen);
    QCOMPARE(series[0].points.size(), size_t(2));
    QCOMPARE(series[0].points[0].x, 500.0);
    QCOMPARE(series[0].points[0].y, 6.0);
    QCOMPARE(series[0].points[1].x, 1000.0);
    QVERIFY(store_->curves({ids_["c"]}, loralab::CurveMetric::TrainLoss, 10)[0].points.empty());
    QVERIFY(error_of([&] {
              store_->curves({bumpy}, loralab::CurveMetric::TrainLoss, 2);
            }).contains("max_points"));
    QVERIFY(error_of([&] {
              store_->curves({4242}, loralab::CurveMetric::TrainLoss, 10);
            }).contains("4242"));
  }

  // Curves read the packed metric chunks; they must agree with the metrics table row for row
  // however the rows arrived: evaluations filled in by a later batch, rows out of order, many
  // small batches crossing chunk boundaries, rows deleted when a run resumes.
  void curves_agree_with_the_metric_rows() {
    int64_t run = store_->create_run(RunRecord{});
    {
      loralab::MetricWriter writer(*store_, run, {3, 1e9});
      for (int step = 1; step <= 300; ++step) {
        loralab::MetricRow r = row(step, 5.0 - step * 0.01);
        r.lr = 1e-3 * step;
        writer.add(r);
        if (step % 50 == 0) {  // the evaluation row carries no token count of its own
          loralab::MetricRow eval = row(step, std::nullopt, 4.0 - step * 0.001);
          eval.tokens_seen.reset();
          writer.add(eval);
        }
      }
    }
    // A late evaluation for an early step, and an out-of-order train row.
    store_->insert_metrics(run, {row(20, std::nullopt, 3.5), row(301, 2.0), row(150, 9.0)});
    auto check = [&](const char* when) {
      auto rows = store_->metrics(run);
      for (auto metric : {loralab::CurveMetric::TrainLoss, loralab::CurveMetric::ValLoss,
                          loralab::CurveMetric::Lr}) {
        for (auto axis : {loralab::CurveAxis::Step, loralab::CurveAxis::TokensSeen}) {
          std::vector<loralab::CurvePoint> expected;
          for (const auto& m : rows) {
            auto y = metric == loralab::CurveMetric::TrainLoss ? m.train_loss
                     : metric == loralab::CurveMetric::ValLoss ? m.val_loss
                                                               : m.lr;
            std::optional<double> x =
                axis == loralab::CurveAxis::Step
                    ? std::optional<double>(double(m.step))
                    : (m.tokens_seen ? std::optional<double>(double(*m.tokens_seen))
                                     : std::nullopt);
            if (x && y) expected.push_back({*x, *y});
          }
          auto got = store_->curves({run}, metric, 100000, axis)[0].points;
          QVERIFY2(got.size() == expected.size(), when);
          for (size_t i = 0; i < got.size(); ++i) {
            QVERIFY2(got[i].x == expected[i].x && got[i].y == expected[i].y, when);
          }
        }
      }
    };
    check("after writing");
    QCOMPARE(store_->curves({run}, loralab::CurveMetric::TrainLoss, 1000)[0].points[149].y, 9.0);
    store_->delete_metrics_after(run, 120);
    check("after deleting past step 120");
    QCOMPARE(store_->curves({run}, loralab::CurveMetric::TrainLoss, 1000)[0].points.size(),
             size_t(120));
    store_->insert_metrics(run, {row(121, 1.0)});
    check("after writing again");
  }

  void samples_and_artifacts() {
    int64_t run = ids_["a"];
    int64_t from_run =
        store_->add_sample({0, run, "", "Once", R"({"temperature":0.8})", 7, "upon", 0});
    int64_t blended = store_->add_sample(
        {0, std::nullopt, R"({"adapters":[{"run":1,"weight":0.5}]})", "Hi", "{}", {}, "there", 0});
    QVERIFY(blended > from_run);
    auto samples = store_->samples(run);
    QCOMPARE(samples.size(), size_t(1));
    QCOMPARE(samples[0].text, std::string("upon"));
    QCOMPARE(*samples[0].seed, int64_t(7));
    QCOMPARE(samples[0].settings_json, std::string(R"({"temperature":0.8})"));
    QVERIFY(error_of([&] {
              store_->add_sample({0, {}, "", "p", "{}", {}, "t", 0});
            }).contains("run id or a blend"));
    QVERIFY(error_of([&] {
              store_->add_sample({0, run, "", "p", "temperature", {}, "t", 0});
            }).contains("settings_json"));
    store_->add_artifact({0, run, {}, "export", "/tmp/adapter", 0});
    store_->add_artifact({0, {}, sweep_, "report", "/tmp/report.html", 0});
    QCOMPARE(store_->artifacts_for_run(run)[0].path, std::string("/tmp/adapter"));
    QCOMPARE(store_->artifacts_for_sweep(sweep_)[0].kind, std::string("report"));
    QVERIFY(error_of([&] {
              store_->add_artifact({0, {}, {}, "x", "/y", 0});
            }).contains("run id or a sweep id"));
  }
};

QTEST_GUILESS_MAIN(TestStoreQueries)
#include "test_store_queries.moc"
