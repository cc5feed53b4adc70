// Sweep specs: grid expansion order and types, alpha tied to rank, seeded random search (checked
// against values computed independently in Python), and every error a spec can earn.
#include <QtTest>
#include <cmath>
#include <set>

#include "loralab/sweep_grid.h"
#include "store_test_support.h"

using loralab::expand_grid;
using loralab::parse_sweep_spec;
using loralab::sample_random;
using loralab::SweepValue;
using store_test::error_of;

namespace {

std::vector<std::string> labels(const std::vector<loralab::SweepPoint>& points) {
  std::vector<std::string> out;
  for (const auto& point : points) out.push_back(point.label());
  return out;
}

std::string eleven(const char* key) {
  std::string text = std::string(key) + "=";
  for (int i = 1; i <= 11; ++i) text += (i > 1 ? "," : "") + std::to_string(i);
  return text;
}

}  // namespace

class TestSweepGrid : public QObject {
  Q_OBJECT
 private slots:
  void expands_the_grid_first_key_slowest() {
    auto spec = parse_sweep_spec("rank=4,8,16;alpha=8,16;targets=q_proj+v_proj,all-linear");
    QCOMPARE(spec.grid_size(), int64_t(12));
    auto points = expand_grid(spec);
    QCOMPARE(points.size(), size_t(12));
    QCOMPARE(points[0].label(), std::string("rank=4 alpha=8 targets=q_proj+v_proj"));
    QCOMPARE(points[1].label(), std::string("rank=4 alpha=8 targets=all-linear"));
    QCOMPARE(points[2].label(), std::string("rank=4 alpha=16 targets=q_proj+v_proj"));
    QCOMPARE(points[11].label(), std::string("rank=16 alpha=16 targets=all-linear"));
    QCOMPARE(points[0].json(), std::string(R"({"alpha":8.0,"rank":4,"targets":"q_proj+v_proj"})"));
    QVERIFY(std::holds_alternative<int64_t>(*points[0].find("rank")));
    QVERIFY(std::holds_alternative<double>(*points[0].find("alpha")));
    auto all = labels(points);
    QCOMPARE(std::set<std::string>(all.begin(), all.end()).size(), size_t(12));  // all distinct
  }

  void types_every_known_key() {
    auto spec = parse_sweep_spec(
        " lr = 1e-4 , 3e-4 ; dropout=0,0.05;seed=1,2;precision=bf16;steps=100;batch=8;seq=128;"
        "warmup=10;weight_decay=0.01;schedule=cosine;init=gaussian;rslora=true,false;accum=2;"
        "clip=1.0;eval_every=50;alpha_equals_rank=true;rehearsal_share=0,0.25;pack=false;");
    QCOMPARE(spec.grid_size(), int64_t(32));
    auto points = expand_grid(spec);
    const auto& p = points[0];
    QCOMPARE(std::get<double>(*p.find("lr")), 1e-4);
    QCOMPARE(std::get<double>(*p.find("dropout")), 0.0);
    QCOMPARE(std::get<int64_t>(*p.find("seed")), int64_t(1));
    QCOMPARE(std::get<std::string>(*p.find("precision")), std::string("bf16"));
    QCOMPARE(std::get<int64_t>(*p.find("seq")), int64_t(128));
    QCOMPARE(std::get<std::string>(*p.find("schedule")), std::string("cosine"));
    QCOMPARE(std::get<bool>(*p.find("rslora")), true);
    QCOMPARE(std::get<bool>(*points[2].find("rslora")), false);  // rehearsal_share varies fastest
    QCOMPARE(std::get<bool>(*p.find("alpha_equals_rank")), true);
    QCOMPARE(std::get<double>(*points[1].find("rehearsal_share")), 0.25);
    QCOMPARE(std::get<bool>(*p.find("pack")), false);
    QVERIFY(loralab::sweep_keys().size() >= 20);
    QCOMPARE(loralab::sweep_keys()[0].name, std::string("rank"));
  }

  void alpha_can_follow_rank() {
    auto points = expand_grid(parse_sweep_spec("alpha=rank,32;rank=4,8"));
    QCOMPARE(labels(points), (std::vector<std::string>{"alpha=rank rank=4", "alpha=rank rank=8",
                                                       "alpha=32 rank=4", "alpha=32 rank=8"}));
    QCOMPARE(points[1].json(), std::string(R"({"alpha":8.0,"alpha_equals_rank":true,"rank":8})"));
    // Without rank in the grid the tie is left for the trainer to resolve.
    auto alone = expand_grid(parse_sweep_spec("alpha=rank"));
    QCOMPARE(alone[0].json(), std::string(R"({"alpha_equals_rank":true})"));
  }

  void random_search_is_reproducible() {
    auto spec = parse_sweep_spec("lr=1e-4..5e-4:log;rank=4,8,16");
    QVERIFY(spec.has_ranges());
    auto points = sample_random(spec, 50, 42);
    QCOMPARE(points.size(), size_t(50));
    // Seed 42 by SplitMix64, computed independently: u = 0.7415648787718233 → lr, then
    // u = 0.1599103928769201 → rank index 0.
    double lr = std::get<double>(*points[0].find("lr"));
    QVERIFY2(std::abs(lr - 0.00032986148252382486) < 1e-15,
             qPrintable(QString::number(lr, 'g', 17)));
    QCOMPARE(std::get<int64_t>(*points[0].find("rank")), int64_t(4));
    std::set<int64_t> ranks;
    for (const auto& point : points) {
      double v = std::get<double>(*point.find("lr"));
      QVERIFY(v >= 1e-4 && v <= 5e-4);
      ranks.insert(std::get<int64_t>(*point.find("rank")));
    }
    QCOMPARE(ranks, (std::set<int64_t>{4, 8, 16}));
    auto again = sample_random(spec, 50, 42), other = sample_random(spec, 50, 43);
    QCOMPARE(labels(again), labels(points));
    QVERIFY(labels(other) != labels(points));

    std::set<int64_t> steps;
    for (const auto& point : sample_random(parse_sweep_spec("steps=100..200"), 200, 1)) {
      int64_t s = std::get<int64_t>(*point.find("steps"));
      QVERIFY(s >= 100 && s <= 200);
      steps.insert(s);
    }
    QVERIFY(steps.size() > 50);
    QCOMPARE(sample_random(parse_sweep_spec("rank=4,8"), 3, 7).size(), size_t(3));
  }

  void errors_name_the_key_and_value_data() {
    QTest::addColumn<QString>("spec");
    QTest::addColumn<QString>("expected");
    QTest::newRow("unknown key") << "colour=red"
                                 << "unknown key 'colour'; known keys: rank, alpha";
    QTest::newRow("known keys listed") << "colour=red"
                                       << "weight_decay";
    QTest::newRow("empty list") << "rank="
                                << "rank: empty value list";
    QTest::newRow("empty item") << "rank=4,,8"
                                << "rank: empty value";
    QTest::newRow("word") << "rank=four"
                          << "rank=four: expected a whole number >= 1, found 'four'";
    QTest::newRow("fraction") << "rank=4.5"
                              << "rank=4.5";
    QTest::newRow("zero rank") << "rank=0"
                               << "rank=0";
    QTest::newRow("dropout 1") << "dropout=1"
                               << "dropout=1: expected a number in [0, 1)";
    QTest::newRow("negative") << "dropout=-0.1"
                              << "dropout=-0.1";
    QTest::newRow("lr zero") << "lr=0"
                             << "lr=0: expected a number > 0";
    QTest::newRow("lr inf") << "lr=inf"
                            << "lr=inf";
    QTest::newRow("module") << "targets=q_proj+foo"
                            << "targets=q_proj+foo";
    QTest::newRow("twice") << "targets=q_proj+q_proj"
                           << "targets=q_proj+q_proj";
    // Names the trainer does not know (it says `default`, not kaiming; presets are attention-*).
    QTest::newRow("kaiming") << "init=kaiming"
                             << "init=kaiming: expected one of default, gaussian, pissa";
    QTest::newRow("attention") << "targets=attention"
                               << "targets=attention: expected a preset (attention-qv";
    QTest::newRow("fp16") << "precision=fp16"
                          << "precision=fp16: expected one of fp32, bf16";
    QTest::newRow("choice") << "precision=fp64"
                            << "precision=fp64: expected one of fp32, bf16";
    QTest::newRow("bool") << "rslora=yes"
                          << "rslora=yes";
    QTest::newRow("no equals") << "rank"
                               << "'rank': expected KEY=VALUES";
    QTest::newRow("duplicate") << "rank=4;rank=8"
                               << "'rank' is given twice";
    QTest::newRow("empty") << " ; "
                           << "the spec is empty";
    QTest::newRow("alpha both") << "alpha=8;alpha_equals_rank=true"
                                << "not both";
    QTest::newRow("range on choice") << "targets=a..b"
                                     << "a range needs a numeric key";
    QTest::newRow("reversed range") << "rank=16..4"
                                    << "low end 16 is above its high end 4";
    QTest::newRow("log of zero") << "weight_decay=0..0.1:log"
                                 << "a :log range needs a low end > 0";
    QTest::newRow("mixed") << "rank=4..8,16"
                           << "cannot be mixed";
    QTest::newRow("alpha rank range") << "alpha=rank..16"
                                      << "alpha=rank..16";
  }
  void accepts_the_trainers_names() {
    auto spec = parse_sweep_spec(
        "init=default,gaussian,pissa;targets=attention-qv,attention-qkv,attention-qkvo,mlp,"
        "all-linear,q_proj+mlp;eval_every=0;seq=1");
    QCOMPARE(expand_grid(spec).size(), size_t(18));
  }
  void errors_name_the_key_and_value() {
    QFETCH(QString, spec);
    QFETCH(QString, expected);
    QString message = error_of([&] { parse_sweep_spec(spec.toStdString()); });
    QVERIFY2(message.contains(expected), qPrintable("got: " + message));
  }

  void ranges_need_random_search() {
    auto spec = parse_sweep_spec("lr=1e-4..1e-3");
    QString message = error_of([&] { expand_grid(spec); });
    QVERIFY2(message.contains("lr") && message.contains("needs random search"),
             qPrintable(message));
    QVERIFY(error_of([&] { sample_random(spec, 0, 1); }).contains("at least 1 sample"));
  }

  void large_sweeps_need_confirmation() {
    auto spec = parse_sweep_spec(eleven("rank") + ";" + eleven("seed") + ";" + eleven("steps"));
    QCOMPARE(spec.grid_size(), int64_t(1331));
    try {
      expand_grid(spec);
      QFAIL("a 1331-run grid expanded without confirmation");
    } catch (const loralab::SweepTooLarge& too_large) {
      QCOMPARE(too_large.runs(), int64_t(1331));
      QCOMPARE(too_large.limit(), int64_t(1000));
      QVERIFY(QString(too_large.what()).contains("--yes"));
    }
    loralab::SweepLimits confirmed;
    confirmed.allow_large = true;
    QCOMPARE(expand_grid(spec, confirmed).size(), size_t(1331));
    QVERIFY_THROWS_EXCEPTION(loralab::SweepTooLarge,
                             sample_random(parse_sweep_spec("rank=4"), 1001, 1));
    // Past the hard limit even a confirmation does not help, and it is not a SweepTooLarge.
    confirmed.hard_max_runs = 1200;
    QString message;
    try {
      expand_grid(spec, confirmed);
    } catch (const loralab::SweepTooLarge&) {
      QFAIL("hard limit reported as confirmable");
    } catch (const loralab::Error& error) {
      message = error.what();
    }
    QVERIFY2(message.contains("at most 1200"), qPrintable(message));
  }
};

QTEST_APPLESS_MAIN(TestSweepGrid)
#include "test_sweep_grid.moc"
