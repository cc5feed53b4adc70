// End to end: `loralab-cli sweep` queues a grid and trains every run into its own folder, recorded
// in the store; --enqueue-only leaves the runs queued and `loralab-cli queue` works them later
// (the queue survives the process); the queue can be listed, reordered and cancelled; a bad grid
// (unknown key, empty list, a value the trainer would refuse, > 1000 runs without --yes) is
// refused with a message naming it, before anything is written.
#include <QtTest>

#include <algorithm>

#include "cli_train_fixture.h"
#include "loralab/store.h"

using cli_fixture::CliResult;
using cli_fixture::run_cli;
using loralab::ExperimentStore;
using loralab::RunStatus;

class TestCliSweep : public QObject {
  Q_OBJECT
  cli_fixture::Fixture f_;

  QStringList sweep_args(const QString& db, const QString& out, const QString& grid) const {
    return QStringList{"sweep", "--db", db, "--out", out, "--grid", grid} + f_.train_flags(4, 2);
  }

 private slots:
  void initTestCase() { QVERIFY(f_.ok); }

  void sweep_trains_every_grid_point() {
    const QString db = f_.path("grid/experiments.sqlite");
    const QString out = f_.path("grid/out");
    CliResult r = run_cli(sweep_args(db, out, "rank=2,4;targets=q_proj+v_proj,attention-qkvo") +
                          QStringList{"--name", "tiny"});
    QVERIFY2(r.exit_code == 0, qPrintable(r.err));
    const QJsonObject summary = r.last_json();
    const int64_t sweep_id = summary["sweep_id"].toInteger();
    QVERIFY(sweep_id > 0);
    QCOMPARE(summary["runs"].toArray().size(), 4);
    QCOMPARE(summary["worked"].toArray().size(), 4);
    QCOMPARE(summary["queued_left"].toInt(), 0);

    ExperimentStore store(db.toStdString());
    QCOMPARE(store.sweep(sweep_id).grid,
             std::string("rank=2,4;targets=q_proj+v_proj,attention-qkvo"));
    loralab::RunQuery query;
    query.sweep_id = sweep_id;
    auto runs = store.list_runs(query);
    QCOMPARE(runs.size(), size_t(4));
    std::vector<std::string> folders;
    const std::vector<int64_t> ranks = {2, 2, 4, 4};
    const std::vector<std::string> targets = {"q_proj+v_proj", "q_proj+k_proj+v_proj+o_proj",
                                              "q_proj+v_proj", "q_proj+k_proj+v_proj+o_proj"};
    for (size_t i = 0; i < runs.size(); ++i) {
      const auto& run = runs[i];
      QCOMPARE(run.status, RunStatus::Done);
      QCOMPARE(run.config.rank.value_or(0), ranks[i]);
      QCOMPARE(run.config.alpha.value_or(0), double(ranks[i]));  // alpha follows rank by default
      QCOMPARE(run.config.targets, targets[i]);
      QCOMPARE(store.metric_count(run.id), int64_t(4));
      QVERIFY(run.best_val_loss);
      QVERIFY(QString::fromStdString(run.name).startsWith("tiny rank="));
      QVERIFY(QFile::exists(QString::fromStdString(run.adapter_path) + "/adapter_config.json"));
      QVERIFY(QString::fromStdString(run.adapter_path).startsWith(QDir(out).absolutePath()));
      folders.push_back(run.adapter_path);
    }
    std::sort(folders.begin(), folders.end());
    QVERIFY(std::unique(folders.begin(), folders.end()) == folders.end());
    // More parameters for the larger rank and the larger target set.
    QVERIFY(*runs[0].trainable_params < *runs[1].trainable_params);
    QCOMPARE(*runs[2].trainable_params, 2 * *runs[0].trainable_params);

    CliResult listed = run_cli({"runs", "--db", db, "--sweep", QString::number(sweep_id)});
    QCOMPARE(listed.exit_code, 0);
    QCOMPARE(listed.out.count(" done "), 4);
  }

  void queued_runs_survive_and_the_queue_goes_on() {
    const QString db = f_.path("queue/experiments.sqlite");
    CliResult r =
        run_cli(sweep_args(db, f_.path("queue/out"), "seed=1,2,3") + QStringList{"--enqueue-only"});
    QVERIFY2(r.exit_code == 0, qPrintable(r.err));
    QJsonArray ids = r.last_json()["runs"].toArray();
    QCOMPARE(ids.size(), 3);
    QCOMPARE(r.last_json()["queued_left"].toInt(), 3);

    // Reorder (the last run goes first) and cancel the middle one.
    const QString last = QString::number(ids[2].toInteger());
    const QString middle = QString::number(ids[1].toInteger());
    r = run_cli({"queue", "--db", db, "--move", last, "--to", "0"});
    QVERIFY2(r.exit_code == 0, qPrintable(r.err));
    QCOMPARE(r.last_json()["queue"].toArray()[0].toObject()["run_id"].toInteger(),
             ids[2].toInteger());
    r = run_cli({"queue", "--db", db, "--cancel", middle});
    QVERIFY2(r.exit_code == 0, qPrintable(r.err));
    QCOMPARE(r.last_json()["queue"].toArray().size(), 2);

    // One run now, in a new process; the other in the next one.
    r = run_cli({"queue", "--db", db, "--max-runs", "1"});
    QVERIFY2(r.exit_code == 0, qPrintable(r.err));
    QCOMPARE(r.last_json()["worked"].toArray().size(), 1);
    QCOMPARE(r.last_json()["worked"].toArray()[0].toObject()["run_id"].toInteger(),
             ids[2].toInteger());
    QCOMPARE(r.last_json()["queued_left"].toInt(), 1);
    r = run_cli({"queue", "--db", db});
    QVERIFY2(r.exit_code == 0, qPrintable(r.err));
    QCOMPARE(r.last_json()["worked"].toArray().size(), 1);
    QCOMPARE(r.last_json()["queued_left"].toInt(), 0);

    ExperimentStore store(db.toStdString());
    QCOMPARE(store.run(ids[0].toInteger()).status, RunStatus::Done);
    QCOMPARE(store.run(ids[1].toInteger()).status, RunStatus::Stopped);
    QCOMPARE(store.run(ids[2].toInteger()).status, RunStatus::Done);
    QCOMPARE(store.run(ids[0].toInteger()).config.seed.value_or(-1), int64_t(1));
    QCOMPARE(store.run(ids[2].toInteger()).config.seed.value_or(-1), int64_t(3));
    // An empty queue is not an error.
    r = run_cli({"queue", "--db", db});
    QCOMPARE(r.exit_code, 0);
    QCOMPARE(r.last_json()["worked"].toArray().size(), 0);
  }

  void a_stopped_worker_leaves_its_run_first_in_the_queue() {
    const QString db = f_.path("stop/experiments.sqlite");
    CliResult r = run_cli(QStringList{"sweep", "--db", db, "--out", f_.path("stop/out"), "--grid",
                                      "seed=1,2", "--enqueue-only", "--checkpoint-every", "10"} +
                          f_.train_flags(400, 100));
    QVERIFY2(r.exit_code == 0, qPrintable(r.err));
    const QJsonArray ids = r.last_json()["runs"].toArray();

    QProcess worker;
    worker.setProcessEnvironment(cli_fixture::cli_environment());
    worker.start(LORALAB_CLI, {"queue", "--db", db, "--json"});
    QVERIFY(worker.waitForStarted());
    QByteArray seen;
    while (!seen.contains("\"step\":30,") && worker.waitForReadyRead(30000))
      seen += worker.readAllStandardOutput();
    QVERIFY2(seen.contains("\"step\":30,"), seen.right(300).constData());
    worker.terminate();  // SIGTERM, as Ctrl-C
    QVERIFY(worker.waitForFinished(30000));
    QCOMPARE(worker.exitStatus(), QProcess::NormalExit);
    QCOMPARE(worker.exitCode(), 0);
    const QList<QByteArray> lines = (seen + worker.readAllStandardOutput()).trimmed().split('\n');
    const QJsonObject summary = QJsonDocument::fromJson(lines.last()).object();
    QVERIFY(summary["stopped_by_signal"].toBool());
    QCOMPARE(summary["queued_left"].toInt(), 2);

    int64_t steps_before = 0;
    {
      ExperimentStore store(db.toStdString());
      auto queued = store.queued_runs();
      QCOMPARE(queued.size(), size_t(2));
      QCOMPARE(queued[0].id, ids[0].toInteger());  // the stopped run goes first
      steps_before = store.metric_count(queued[0].id);
      QVERIFY(steps_before >= 30 && steps_before < 400);
    }
    r = run_cli({"queue", "--db", db, "--json"});
    QVERIFY2(r.exit_code == 0, qPrintable(r.err));
    QVERIFY2(r.out.contains("continuing from"), qPrintable(r.out.left(300)));
    ExperimentStore store(db.toStdString());
    for (const auto& id : ids) {
      QCOMPARE(store.run(id.toInteger()).status, RunStatus::Done);
      QCOMPARE(store.metric_count(id.toInteger()), int64_t(400));
    }
  }

  void bad_grids_are_refused_before_anything_is_written_data() {
    QTest::addColumn<QString>("grid");
    QTest::addColumn<QStringList>("extra");
    QTest::addColumn<QString>("expected");
    QTest::newRow("unknown key") << "rank=4;depth=2" << QStringList{} << "unknown key 'depth'";
    QTest::newRow("empty list") << "rank=" << QStringList{} << "rank: empty value list";
    QTest::newRow("bad value") << "rank=4,x" << QStringList{} << "rank=x";
    QTest::newRow("old init name") << "init=kaiming" << QStringList{} << "init=kaiming";
    QTest::newRow("old preset name") << "targets=attention" << QStringList{} << "targets=attention";
    QTest::newRow("beyond positions")
        << "seq=32,512" << QStringList{} << "seq: 512 is longer than the model's 256 positions";
    QTest::newRow("too many runs") << "seed=1,2,3,4,5,6,7,8,9,10,11;rank=1,2,3,4,5,6,7,8,9,10;"
                                      "lr=0.1,0.01,0.001,0.0001,0.00001,0.2,0.02,0.002,0.0002,0.3"
                                   << QStringList{} << "1100 runs, more than 1000";
    QTest::newRow("random zero") << "rank=2,4" << QStringList{"--random", "0"}
                                 << "--random: expected a number of samples >= 1";
    QTest::newRow("range on a grid") << "lr=1e-4..1e-2" << QStringList{} << "needs random search";
  }
  void bad_grids_are_refused_before_anything_is_written() {
    QFETCH(QString, grid);
    QFETCH(QStringList, extra);
    QFETCH(QString, expected);
    const QString db = f_.path("bad/experiments.sqlite");
    CliResult r = run_cli(sweep_args(db, f_.path("bad/out"), grid) + extra);
    QCOMPARE(r.exit_code, 1);
    QVERIFY2(r.err.contains(expected), qPrintable(r.err));
    QCOMPARE(r.err.count('\n'), 1);
    QVERIFY(!QFile::exists(db));  // no store, no empty sweep
    QVERIFY(!QDir(f_.path("bad/out")).exists());
  }

  void large_sweeps_need_yes() {
    const QString db = f_.path("large/experiments.sqlite");
    const QString grid =
        "seed=1,2,3,4,5,6,7,8,9,10,11;rank=1,2,3,4,5,6,7,8,9,10;"
        "lr=0.1,0.01,0.001,0.0001,0.00001,0.2,0.02,0.002,0.0002,0.3";
    CliResult r = run_cli(sweep_args(db, f_.path("large/out"), grid));
    QCOMPARE(r.exit_code, 1);
    QVERIFY2(r.err.contains("--yes"), qPrintable(r.err));
    r = run_cli(sweep_args(db, f_.path("large/out"), grid) +
                QStringList{"--yes", "--enqueue-only"});
    QVERIFY2(r.exit_code == 0, qPrintable(r.err));
    QCOMPARE(r.last_json()["queued_left"].toInt(), 1100);
    ExperimentStore store(db.toStdString());
    QCOMPARE(store.queued_runs().size(), size_t(1100));
    // Every queued run carries a complete training config its worker can rebuild.
    auto config =
        QJsonDocument::fromJson(QByteArray::fromStdString(store.queued_runs().back().config_json))
            .object();
    QCOMPARE(config["lora"].toObject()["rank"].toInt(), 10);
    QCOMPARE(config["seed"].toInt(), 11);
    QCOMPARE(config["lr"].toDouble(), 0.3);
  }

  void random_search_is_reproducible() {
    const QString grid = "lr=1e-4..1e-2:log;rank=2,4,8";
    CliResult a = run_cli(sweep_args(f_.path("random/a.sqlite"), f_.path("random/out"), grid) +
                          QStringList{"--random", "5", "--random-seed", "7", "--enqueue-only"});
    CliResult b = run_cli(sweep_args(f_.path("random/b.sqlite"), f_.path("random/out"), grid) +
                          QStringList{"--random", "5", "--random-seed", "7", "--enqueue-only"});
    QVERIFY2(a.exit_code == 0 && b.exit_code == 0, qPrintable(a.err + b.err));
    ExperimentStore sa(f_.path("random/a.sqlite").toStdString());
    ExperimentStore sb(f_.path("random/b.sqlite").toStdString());
    auto ra = sa.queued_runs(), rb = sb.queued_runs();
    QCOMPARE(ra.size(), size_t(5));
    QCOMPARE(rb.size(), size_t(5));
    for (size_t i = 0; i < ra.size(); ++i) {
      QCOMPARE(ra[i].config.lr, rb[i].config.lr);
      QCOMPARE(ra[i].config.rank, rb[i].config.rank);
      QVERIFY(*ra[i].config.lr >= 1e-4 && *ra[i].config.lr <= 1e-2);
    }
    QCOMPARE(sa.sweep(1).search, std::string("random"));
    QCOMPARE(sa.sweep(1).samples.value_or(0), int64_t(5));
  }
};

QTEST_GUILESS_MAIN(TestCliSweep)
#include "test_cli_sweep.moc"
