// End to end: the real `loralab-cli runs` on a store filled through the engine — the table, the
// JSON array, the sweep and column filters, a dead owner's run shown as interrupted, and the
// errors a person can make.
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include "../unit/store_test_support.h"
#include "loralab/store.h"

namespace {

struct CliResult {
  int exit_code = -1;
  QString out;
  QString err;
};

CliResult cli(const QStringList& args) {
  QProcess process;
  process.start(LORALAB_CLI, QStringList{"runs"} + args);
  CliResult result;
  if (!process.waitForFinished(60000)) return result;
  result.exit_code = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
  result.out = QString::fromUtf8(process.readAllStandardOutput());
  result.err = QString::fromUtf8(process.readAllStandardError());
  return result;
}

}  // namespace

class TestCliRuns : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  QString db_;
  int64_t sweep_ = 0;

 private slots:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    db_ = dir_.filePath("experiments.sqlite");
    loralab::ExperimentStore store(db_.toStdString());
    auto points = loralab::expand_grid(loralab::parse_sweep_spec("rank=4,8;alpha=16"));
    sweep_ = store.create_sweep({0, "tiny", "rank=4,8;alpha=16", "grid", {}, {}, 0});
    loralab::RunRecord base;
    base.config_json = R"({"lr": 0.0003, "steps": 100})";
    base.config.lr = 3e-4;
    base.config.steps = 100;
    auto sweep_runs = store.enqueue_sweep(sweep_, base, points);

    loralab::RunRecord done;
    done.name = "baseline";
    done.status = loralab::RunStatus::Running;
    done.config.rank = 16;
    done.config.alpha = 32;
    done.config.targets = "all-linear";
    int64_t done_id = store.create_run(done);
    store.insert_metrics(done_id, {{10, 2560, 1.0, 3.2, 3.4, 3e-4, 1.1, 5000.0},
                                   {20, 5120, 2.0, 2.9, 3.1, 3e-4, 0.9, 5100.0}});
    store.update_results(done_id,
                         {123456, 9876543, {}, 5050.0, {}, "/tmp/adapters/baseline", {}, {}});
    store.finish_run(done_id, loralab::RunStatus::Done);

    loralab::RunRecord failed;
    failed.name = "diverged";
    failed.status = loralab::RunStatus::Running;
    int64_t failed_id = store.create_run(failed);
    store.finish_run(failed_id, loralab::RunStatus::Failed, "loss became NaN at step 7");

    // A run whose owner died: the CLI's open must show it as interrupted.
    loralab::RunRecord orphan;
    orphan.name = "orphan";
    orphan.status = loralab::RunStatus::Running;
    int64_t orphan_id = store.create_run(orphan);
    QProcess gone;
    gone.start("/bin/sleep", {"0.05"});
    QVERIFY(gone.waitForStarted());
    int64_t dead = gone.processId();
    gone.waitForFinished();
    store_test::RawDb(db_.toStdString())
        .exec("UPDATE runs SET owner_pid = " + std::to_string(dead) +
              " WHERE id = " + std::to_string(orphan_id));
    QCOMPARE(sweep_runs.size(), size_t(2));
  }

  void json_lists_every_run_with_its_status() {
    CliResult result = cli({"--db", db_, "--json"});
    QVERIFY2(result.exit_code == 0, qPrintable(result.err));
    QJsonParseError error;
    QJsonDocument doc = QJsonDocument::fromJson(result.out.toUtf8(), &error);
    QVERIFY2(error.error == QJsonParseError::NoError, qPrintable(error.errorString()));
    QJsonArray runs = doc.array();
    QCOMPARE(runs.size(), 5);
    QMap<QString, QJsonObject> by_name;
    for (const auto& value : runs) by_name[value.toObject()["name"].toString()] = value.toObject();
    QCOMPARE(by_name["tiny rank=4 alpha=16"]["status"].toString(), QString("queued"));
    QCOMPARE(by_name["tiny rank=4 alpha=16"]["queue_position"].toInt(), 1);
    QCOMPARE(by_name["tiny rank=8 alpha=16"]["rank"].toInt(), 8);
    QCOMPARE(by_name["tiny rank=8 alpha=16"]["config"].toObject()["steps"].toInt(), 100);
    QCOMPARE(by_name["tiny rank=8 alpha=16"]["sweep_id"].toInt(), int(sweep_));
    QJsonObject baseline = by_name["baseline"];
    QCOMPARE(baseline["status"].toString(), QString("done"));
    QCOMPARE(baseline["best_val_loss"].toDouble(), 3.1);
    QCOMPARE(baseline["best_val_step"].toInt(), 20);
    QCOMPARE(baseline["final_train_loss"].toDouble(), 2.9);
    QCOMPARE(baseline["trainable_params"].toInt(), 123456);
    QCOMPARE(baseline["targets"].toString(), QString("all-linear"));
    QCOMPARE(baseline["adapter_path"].toString(), QString("/tmp/adapters/baseline"));
    QVERIFY(baseline["queue_position"].isNull());
    QCOMPARE(by_name["diverged"]["status"].toString(), QString("failed"));
    QCOMPARE(by_name["diverged"]["error_message"].toString(), QString("loss became NaN at step 7"));
    QCOMPARE(by_name["orphan"]["status"].toString(), QString("interrupted"));
  }

  void table_shows_each_run_and_status() {
    CliResult result = cli({"--db", db_});
    QVERIFY2(result.exit_code == 0, qPrintable(result.err));
    QStringList lines = result.out.split('\n', Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 1 + 5 + 1);  // header, runs, the failed run's error line
    QVERIFY(lines[0].contains("STATUS") && lines[0].contains("BEST VAL"));
    auto line_of = [&](const QString& name) {
      for (const auto& line : lines)
        if (line.contains(name)) return line;
      return QString();
    };
    QVERIFY(line_of("tiny rank=4 alpha=16").contains("queued #1"));
    QVERIFY(line_of("baseline").contains("done"));
    QVERIFY(line_of("baseline").contains("3.1000 (20)"));
    QVERIFY(line_of("baseline").contains("all-linear"));
    QVERIFY(line_of("diverged").contains("failed"));
    QVERIFY(line_of("orphan").contains("interrupted"));
    QVERIFY(result.out.contains("error: loss became NaN at step 7"));
  }

  void filters_by_sweep_status_and_column() {
    CliResult result = cli({"--db", db_, "--json", "--sweep", QString::number(sweep_)});
    QVERIFY2(result.exit_code == 0, qPrintable(result.err));
    QJsonArray runs = QJsonDocument::fromJson(result.out.toUtf8()).array();
    QCOMPARE(runs.size(), 2);
    for (const auto& run : runs) QCOMPARE(run.toObject()["sweep_id"].toInt(), int(sweep_));

    result = cli({"--db", db_, "--json", "--status", "done,failed", "--sort", "name:desc"});
    runs = QJsonDocument::fromJson(result.out.toUtf8()).array();
    QCOMPARE(runs.size(), 2);
    QCOMPARE(runs[0].toObject()["name"].toString(), QString("diverged"));

    result = cli({"--db", db_, "--json", "--where", "rank>=8", "--sort", "rank"});
    runs = QJsonDocument::fromJson(result.out.toUtf8()).array();
    QCOMPARE(runs.size(), 2);
    QCOMPARE(runs[1].toObject()["rank"].toInt(), 16);
  }

  void errors_are_one_line_and_exit_1() {
    QString missing = dir_.filePath("nowhere.sqlite");
    CliResult result = cli({"--db", missing});
    QCOMPARE(result.exit_code, 1);
    QVERIFY2(result.err.contains(missing) && result.err.contains("no experiment store"),
             qPrintable(result.err));
    QVERIFY(!QFile::exists(missing));  // listing never creates a store

    QString text = dir_.filePath("notes.txt");
    QFile file(text);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("definitely not a database, only some text in a file\n");
    file.close();
    result = cli({"--db", text});
    QCOMPARE(result.exit_code, 1);
    QVERIFY2(result.err.contains("not an SQLite database"), qPrintable(result.err));

    result = cli({"--db", db_, "--where", "colour=red"});
    QCOMPARE(result.exit_code, 1);
    QVERIFY2(result.err.contains("--where") && result.err.contains("colour"),
             qPrintable(result.err));
    result = cli({"--db", db_, "--sweep", "99"});
    QCOMPARE(result.exit_code, 1);
    QVERIFY2(result.err.contains("no sweep with id 99"), qPrintable(result.err));
    result = cli({"--db", db_, "--status", "sleeping"});
    QCOMPARE(result.exit_code, 1);
    QVERIFY2(result.err.contains("--status") && result.err.contains("sleeping"),
             qPrintable(result.err));
    result = cli({"--db", db_, "--bogus", "1"});
    QCOMPARE(result.exit_code, 1);
    QVERIFY(result.err.contains("--bogus"));
    QCOMPARE(result.err.count('\n'), 1);
  }
};

QTEST_GUILESS_MAIN(TestCliRuns)
#include "test_cli_runs.moc"
