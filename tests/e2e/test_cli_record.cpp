// End to end: `loralab-cli train --db` records a real run (config, metrics, results, artifacts);
// a `train --db` child killed with SIGKILL mid-run leaves a sound file whose run reads
// interrupted with its committed metrics, and `resume` continues it from its checkpoint to done;
// two processes train into one store at once; bad store paths are refused before training.
#include <QElapsedTimer>
#include <QThread>
#include <QtTest>

#include <algorithm>
#include <fstream>

#include "../unit/store_test_support.h"
#include "cli_train_fixture.h"
#include "loralab/store.h"

using cli_fixture::CliResult;
using cli_fixture::run_cli;
using loralab::ExperimentStore;
using loralab::RunStatus;

namespace {

// Steps 1..n each exactly once, in order.
bool contiguous_steps(const std::vector<loralab::MetricRow>& rows, int64_t n) {
  if (static_cast<int64_t>(rows.size()) != n) return false;
  for (int64_t i = 0; i < n; ++i)
    if (rows[static_cast<size_t>(i)].step != i + 1) return false;
  return true;
}

loralab::StoreOptions read_only_look() {
  loralab::StoreOptions options;
  options.create_if_missing = false;
  options.mark_interrupted = false;  // only look; the owner is alive
  return options;
}

}  // namespace

class TestCliRecord : public QObject {
  Q_OBJECT
  cli_fixture::Fixture f_;

 private slots:
  void initTestCase() { QVERIFY(f_.ok); }

  void train_db_records_the_run() {
    const QString db = f_.path("record/experiments.sqlite");
    const QString out = f_.path("record/out");
    CliResult r = run_cli(QStringList{"train", "--db", db, "--out", out, "--rank", "4", "--targets",
                                      "q_proj,v_proj", "--name", "first", "--tag", "smoke"} +
                          f_.train_flags(12, 4));
    QVERIFY2(r.exit_code == 0, qPrintable(r.err));
    const QJsonObject result = r.last_json();
    QCOMPARE(result["status"].toString(), QString("done"));
    const int64_t id = result["run_id"].toInteger();
    QVERIFY(id > 0);

    ExperimentStore store(db.toStdString());
    auto run = store.run(id);
    QCOMPARE(run.status, RunStatus::Done);
    QCOMPARE(run.name, std::string("first"));
    QCOMPARE(run.tags, std::vector<std::string>{"smoke"});
    QCOMPARE(run.config.rank.value_or(0), int64_t(4));
    QCOMPARE(run.config.alpha.value_or(0), 4.0);  // alpha defaults to the rank
    QCOMPARE(run.config.targets, std::string("q_proj+v_proj"));
    QCOMPARE(run.config.steps.value_or(0), int64_t(12));
    QCOMPARE(run.config.precision, std::string("fp32"));
    auto config = QJsonDocument::fromJson(QByteArray::fromStdString(run.config_json)).object();
    QCOMPARE(config["lora"].toObject()["rank"].toInt(), 4);
    QCOMPARE(config["steps"].toInt(), 12);
    QVERIFY(QDir::isAbsolutePath(config["out_dir"].toString()));
    QCOMPARE(run.config_hash, loralab::config_hash(run.config_json));
    QCOMPARE(QString::fromStdString(run.base_model_path), QDir(f_.model).absolutePath());
    QCOMPARE(run.base_model_hash.size(), size_t(64));
    QVERIFY(!run.dataset_fingerprint.empty());
    QCOMPARE(QString::fromStdString(run.dataset_path), QFileInfo(f_.train).absoluteFilePath());
    QVERIFY(run.started_at && run.finished_at && *run.finished_at >= *run.started_at);

    // Every step's train row, validation rows where evaluated, results on the run row.
    auto rows = store.metrics(id);
    QVERIFY(contiguous_steps(rows, 12));
    for (const auto& row : rows) {
      QVERIFY(row.train_loss && row.lr && row.grad_norm && row.tokens_per_second);
      QCOMPARE(bool(row.val_loss), row.step % 4 == 0);
    }
    QVERIFY(run.best_val_loss && run.best_val_step);
    QCOMPARE(*run.best_val_loss, result["best_val_loss"].toDouble());
    QCOMPARE(*run.best_val_step, int64_t(result["best_step"].toInteger()));
    QCOMPARE(*run.final_train_loss, *rows.back().train_loss);
    QVERIFY(run.trainable_params.value_or(0) == 2 * 2 * (32 + 32) * 4);
    QVERIFY(run.total_params.value_or(0) > *run.trainable_params);
    QVERIFY(run.tokens_per_second.value_or(0) > 0);
    QVERIFY(run.peak_rss_bytes.value_or(0) > 0);
    QCOMPARE(QString::fromStdString(run.adapter_path), QDir(out).absolutePath());
    QVERIFY(QFile::exists(out + "/adapter_config.json"));
    std::vector<std::string> kinds;
    for (const auto& artifact : store.artifacts_for_run(id)) kinds.push_back(artifact.kind);
    std::sort(kinds.begin(), kinds.end());
    QCOMPARE(kinds, (std::vector<std::string>{"adapter", "checkpoint"}));

    // `runs` shows it; `resume` of a finished run is refused.
    CliResult listed = run_cli({"runs", "--db", db, "--json"});
    QCOMPARE(listed.exit_code, 0);
    QVERIFY(listed.out.contains("\"status\":\"done\""));
    CliResult again = run_cli({"resume", "--db", db, "--run", QString::number(id)});
    QCOMPARE(again.exit_code, 1);
    QVERIFY2(again.err.contains("is done"), qPrintable(again.err));
  }

  void kill_minus_nine_then_resume() {
    const QString db = f_.path("crash/experiments.sqlite");
    const QString out = f_.path("crash/out");
    const int total = 600;
    QProcess child;
    child.setProcessEnvironment(cli_fixture::cli_environment());
    child.start(LORALAB_CLI, QStringList{"train", "--db", db, "--out", out, "--json",
                                         "--checkpoint-every", "20"} +
                                 f_.train_flags(total, 100));
    QVERIFY(child.waitForStarted());

    // Wait until a few metric batches are committed, then kill without warning.
    int64_t committed = 0;
    int64_t run_id = 0;
    QElapsedTimer clock;
    clock.start();
    while (committed < 60 && clock.elapsed() < 40000) {
      QThread::msleep(20);
      if (!QFile::exists(db)) continue;
      try {
        ExperimentStore look(db.toStdString(), read_only_look());
        auto runs = look.list_runs();
        if (runs.empty()) continue;
        run_id = runs.front().id;
        committed = look.metric_count(run_id);
      } catch (const loralab::Error&) {
        // The child may be creating the file right now.
      }
    }
    QVERIFY2(committed >= 60, "the child did not commit metrics in time");
    QVERIFY2(child.state() == QProcess::Running, "the child finished before it could be killed");
    child.kill();  // SIGKILL
    QVERIFY(child.waitForFinished(10000));
    QCOMPARE(child.exitStatus(), QProcess::CrashExit);

    {
      store_test::RawDb raw(db.toStdString());
      QCOMPARE(raw.text("PRAGMA integrity_check"), std::string("ok"));
    }
    int64_t kept = 0;
    {
      ExperimentStore store(db.toStdString());
      QCOMPARE(store.interrupted_at_open(), std::vector<int64_t>{run_id});
      auto run = store.run(run_id);
      QCOMPARE(run.status, RunStatus::Interrupted);
      QVERIFY(QString::fromStdString(run.error_message).contains("ended without finishing"));
      // Everything committed before the kill is there, without gaps; at most the last batch
      // (rows younger than a second) is lost.
      auto rows = store.metrics(run_id);
      kept = static_cast<int64_t>(rows.size());
      QVERIFY(kept >= committed);
      QVERIFY(kept < total);
      QVERIFY(contiguous_steps(rows, kept));
      QVERIFY(QDir(out + "/checkpoint").exists());
    }

    CliResult resumed = run_cli({"resume", "--db", db, "--run", QString::number(run_id), "--json"});
    QVERIFY2(resumed.exit_code == 0, qPrintable(resumed.err));
    QVERIFY2(resumed.out.contains("continuing from"), qPrintable(resumed.out.left(400)));
    // It went on from the checkpoint: the first step it trained is past the start.
    int64_t first_step = 0;
    for (const QString& line : resumed.out.split('\n', Qt::SkipEmptyParts)) {
      auto event = QJsonDocument::fromJson(line.toUtf8()).object();
      if (event["event"].toString() == "step") {
        first_step = event["step"].toInteger();
        break;
      }
    }
    QVERIFY2(first_step > 20 && first_step <= kept + 1, qPrintable(QString::number(first_step)));
    QCOMPARE(resumed.last_json()["run_status"].toString(), QString("done"));

    ExperimentStore store(db.toStdString());
    auto run = store.run(run_id);
    QCOMPARE(run.status, RunStatus::Done);
    QVERIFY(run.error_message.empty());
    QVERIFY(contiguous_steps(store.metrics(run_id), total));
    QCOMPARE(run.best_val_step.value_or(0) % 100, int64_t(0));
    store_test::RawDb raw(db.toStdString());
    QCOMPARE(raw.text("PRAGMA integrity_check"), std::string("ok"));
  }

  void two_processes_write_one_store() {
    const QString db = f_.path("shared/experiments.sqlite");
    QProcess a, b;
    for (QProcess* p : {&a, &b}) p->setProcessEnvironment(cli_fixture::cli_environment());
    a.start(LORALAB_CLI, QStringList{"train", "--db", db, "--out", f_.path("shared/a"), "--name",
                                     "a", "--seed", "1"} +
                             f_.train_flags(150, 50));
    b.start(LORALAB_CLI, QStringList{"train", "--db", db, "--out", f_.path("shared/b"), "--name",
                                     "b", "--seed", "2"} +
                             f_.train_flags(150, 50));
    QVERIFY(a.waitForFinished(60000) && b.waitForFinished(60000));
    QVERIFY2(a.exitStatus() == QProcess::NormalExit && a.exitCode() == 0,
             a.readAllStandardError().constData());
    QVERIFY2(b.exitStatus() == QProcess::NormalExit && b.exitCode() == 0,
             b.readAllStandardError().constData());

    ExperimentStore store(db.toStdString());
    auto runs = store.list_runs();
    QCOMPARE(runs.size(), size_t(2));
    std::vector<std::string> names;
    for (const auto& run : runs) {
      names.push_back(run.name);
      QCOMPARE(run.status, RunStatus::Done);
      QVERIFY(contiguous_steps(store.metrics(run.id), 150));
    }
    std::sort(names.begin(), names.end());
    QCOMPARE(names, (std::vector<std::string>{"a", "b"}));
    store_test::RawDb raw(db.toStdString());
    QCOMPARE(raw.text("PRAGMA integrity_check"), std::string("ok"));
  }

  void bad_store_paths_are_refused_before_training() {
    // A folder that cannot be created (its parent is a file).
    std::ofstream(f_.path("blocker").toStdString()) << "x";
    const QString out = f_.path("bad/out");
    CliResult r =
        run_cli(QStringList{"train", "--db", f_.path("blocker/experiments.sqlite"), "--out", out} +
                f_.train_flags(4, 2));
    QCOMPARE(r.exit_code, 1);
    QVERIFY2(r.err.contains("cannot create the folder"), qPrintable(r.err));
    QVERIFY(r.err.count('\n') == 1);  // one line, no progress
    QVERIFY(!QDir(out).exists());     // nothing trained

    // A file that is not SQLite is left alone.
    const QString text_file = f_.path("notes.sqlite");
    {
      QFile file(text_file);
      QVERIFY(file.open(QIODevice::WriteOnly));
      file.write("these are my notes, not a database\n");
    }
    r = run_cli(QStringList{"train", "--db", text_file, "--out", out} + f_.train_flags(4, 2));
    QCOMPARE(r.exit_code, 1);
    QVERIFY2(r.err.contains("not an SQLite database"), qPrintable(r.err));
    QVERIFY(!QDir(out).exists());
    QFile file(text_file);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QCOMPARE(file.readAll(), QByteArray("these are my notes, not a database\n"));

    // A run the trainer refuses before its first step is on file as failed, with the reason.
    QFile empty(f_.path("empty.txt"));
    QVERIFY(empty.open(QIODevice::WriteOnly));
    empty.close();
    const QString failed_db = f_.path("failed/experiments.sqlite");
    r = run_cli({"train", "--db", failed_db, "--out", f_.path("failed/out"), "--model", f_.model,
                 "--data", f_.path("empty.txt"), "--steps", "4", "--seq", "32", "--batch", "2"});
    QCOMPARE(r.exit_code, 1);
    {
      ExperimentStore store(failed_db.toStdString());
      auto runs = store.list_runs();
      QCOMPARE(runs.size(), size_t(1));
      QCOMPARE(runs[0].status, RunStatus::Failed);
      QVERIFY(!runs[0].error_message.empty());
      QVERIFY2(r.err.contains(QString::fromStdString(runs[0].error_message)), qPrintable(r.err));
      QCOMPARE(store.metric_count(runs[0].id), int64_t(0));
    }

    // resume: a missing store, a missing run, a malformed id.
    r = run_cli({"resume", "--db", f_.path("absent.sqlite"), "--run", "1"});
    QCOMPARE(r.exit_code, 1);
    QVERIFY2(r.err.contains("absent.sqlite"), qPrintable(r.err));
    QVERIFY(!QFile::exists(f_.path("absent.sqlite")));
    const QString db = failed_db;
    r = run_cli({"resume", "--db", db, "--run", "999"});
    QCOMPARE(r.exit_code, 1);
    QVERIFY2(r.err.contains("--run 999") && r.err.contains("no run"), qPrintable(r.err));
    r = run_cli({"resume", "--db", db, "--run", "x1"});
    QCOMPARE(r.exit_code, 1);
    QVERIFY2(r.err.contains("--run"), qPrintable(r.err));
  }
};

QTEST_GUILESS_MAIN(TestCliRecord)
#include "test_cli_record.moc"
