// Experiment store: schema creation and migration from every older version, refusal of files it
// must not touch, a run's life, batched metric writes, crash safety (a writer killed with SIGKILL),
// interrupted marking, several processes writing one file at once, and the persistent queue.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>
#include <fstream>
#include <thread>

#include "loralab/store.h"
#include "store_test_support.h"

using loralab::ExperimentStore;
using loralab::MetricRow;
using loralab::RunRecord;
using loralab::RunStatus;
using store_test::error_of;
using store_test::RawDb;

namespace {

constexpr long long kApplicationId = 0x4C524C42;

// Schema v1 as that version wrote it (kept here by hand: it must not change with the engine).
const char* kHandSchemaV1 = R"sql(
CREATE TABLE sweeps (id INTEGER PRIMARY KEY, name TEXT NOT NULL, grid TEXT NOT NULL,
  search TEXT NOT NULL DEFAULT 'grid' CHECK (search IN ('grid', 'random')), samples INTEGER,
  seed INTEGER, created_at REAL NOT NULL);
CREATE TABLE runs (id INTEGER PRIMARY KEY, name TEXT NOT NULL, status TEXT NOT NULL CHECK (status
  IN ('queued', 'running', 'paused', 'done', 'stopped', 'failed', 'interrupted')),
  created_at REAL NOT NULL, started_at REAL, finished_at REAL, base_model_path TEXT,
  base_model_hash TEXT, dataset_path TEXT, dataset_fingerprint TEXT,
  config_json TEXT NOT NULL DEFAULT '{}', config_hash TEXT, rank INTEGER, alpha REAL, targets TEXT,
  lr REAL, dropout REAL, seed INTEGER, precision TEXT, steps INTEGER, trainable_params INTEGER,
  total_params INTEGER, best_val_loss REAL, best_val_step INTEGER, final_train_loss REAL,
  tokens_per_second REAL, peak_rss_bytes INTEGER, adapter_path TEXT, error_message TEXT, tags TEXT,
  notes TEXT, owner_pid INTEGER, owner_host TEXT, heartbeat_at REAL,
  sweep_id INTEGER REFERENCES sweeps(id) ON DELETE SET NULL, queue_position INTEGER);
CREATE INDEX runs_by_sweep ON runs(sweep_id);
CREATE TABLE metrics (run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  step INTEGER NOT NULL, tokens_seen INTEGER, wall_time REAL, train_loss REAL, val_loss REAL,
  lr REAL, grad_norm REAL, tokens_per_second REAL, PRIMARY KEY (run_id, step)) WITHOUT ROWID;
CREATE TABLE samples (id INTEGER PRIMARY KEY, run_id INTEGER REFERENCES runs(id) ON DELETE CASCADE,
  blend_json TEXT, prompt TEXT NOT NULL, settings_json TEXT NOT NULL DEFAULT '{}', seed INTEGER,
  text TEXT NOT NULL, created_at REAL NOT NULL, CHECK (run_id IS NOT NULL OR blend_json IS NOT NULL));
)sql";

// What v2 added.
const char* kHandSchemaV2Addition = R"sql(
CREATE TABLE artifacts (id INTEGER PRIMARY KEY,
  run_id INTEGER REFERENCES runs(id) ON DELETE CASCADE,
  sweep_id INTEGER REFERENCES sweeps(id) ON DELETE CASCADE, kind TEXT NOT NULL, path TEXT NOT NULL,
  created_at REAL NOT NULL, CHECK (run_id IS NOT NULL OR sweep_id IS NOT NULL));
CREATE INDEX artifacts_by_run ON artifacts(run_id);
CREATE INDEX artifacts_by_sweep ON artifacts(sweep_id);
)sql";

// v3 added indexes only (the queue, sample deletes, validation-loss curves).
const char* kHandSchemaV3Addition = R"sql(
CREATE INDEX runs_by_status ON runs(status, queue_position);
CREATE INDEX samples_by_run ON samples(run_id);
CREATE INDEX metrics_val_loss ON metrics(run_id, step, val_loss) WHERE val_loss IS NOT NULL;
)sql";

MetricRow metric(int64_t step, std::optional<double> train, std::optional<double> val = {}) {
  MetricRow row;
  row.step = step;
  row.train_loss = train;
  row.val_loss = val;
  return row;
}

// Pid of a process that has certainly exited (started, then reaped).
int64_t dead_pid() {
  QProcess process;
  process.start("/bin/sleep", {"0.05"});
  if (!process.waitForStarted()) return 0;
  int64_t pid = process.processId();
  process.waitForFinished();
  return pid;
}

}  // namespace

class TestStore : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  std::string file(const char* name) { return dir_.filePath(name).toStdString(); }

 private slots:
  void init() { QVERIFY(dir_.isValid()); }

  void creates_a_new_store_with_the_current_schema() {
    std::string path = file("nested/folder/experiments.sqlite");
    {
      ExperimentStore store(path);
      QCOMPARE(store.schema_version(), loralab::kStoreSchemaVersion);
      QVERIFY(store.interrupted_at_open().empty());
    }
    RawDb raw(path);
    QCOMPARE(raw.integer("PRAGMA user_version"), (long long)loralab::kStoreSchemaVersion);
    QCOMPARE(raw.integer("PRAGMA application_id"), kApplicationId);
    QCOMPARE(raw.text("PRAGMA journal_mode"), std::string("wal"));
    for (const char* table : {"runs", "metrics", "samples", "sweeps", "artifacts"})
      QCOMPARE(raw.integer(std::string("SELECT count(*) FROM sqlite_schema WHERE type='table' AND "
                                       "name='") +
                           table + "'"),
               1LL);
    QCOMPARE(raw.text("PRAGMA integrity_check"), std::string("ok"));
    // Reopening an up-to-date store changes nothing.
    ExperimentStore again(path);
    QCOMPARE(again.schema_version(), loralab::kStoreSchemaVersion);
  }

  void migrates_from_every_older_version_data() {
    QTest::addColumn<int>("version");
    for (int v = 0; v < loralab::kStoreSchemaVersion; ++v)
      QTest::newRow(("v" + std::to_string(v)).c_str()) << v;
  }
  void migrates_from_every_older_version() {
    QFETCH(int, version);
    std::string path = file(("old-v" + std::to_string(version) + ".sqlite").c_str());
    if (version == 0) {
      std::ofstream(path).flush();  // an empty file: SQLite with nothing in it yet
    } else {
      RawDb raw(path);
      raw.exec(kHandSchemaV1);
      raw.exec(
          "INSERT INTO sweeps (id, name, grid, created_at) VALUES (1, 'old sweep', 'rank=4,8', "
          "1000);"
          "INSERT INTO runs (id, name, status, created_at, config_json, rank, alpha, targets, "
          "  best_val_loss, best_val_step, sweep_id, tags) VALUES (1, 'old run', 'done', 1000, "
          "  '{\"rank\":4}', 4, 8, 'q_proj+v_proj', 1.25, 20, 1, '[\"old\"]');"
          "INSERT INTO runs (id, name, status, created_at, queue_position) "
          "  VALUES (2, 'waiting', 'queued', 1001, 1);"
          "INSERT INTO metrics (run_id, step, train_loss) VALUES (1, 1, 3.0), (1, 2, 2.5);"
          "INSERT INTO samples (run_id, prompt, text, created_at) VALUES (1, 'Once', 'upon', "
          "1000);");
      if (version >= 2) {
        raw.exec(kHandSchemaV2Addition);
        raw.exec(
            "INSERT INTO artifacts (run_id, kind, path, created_at) "
            "VALUES (1, 'export', '/tmp/a', 1000)");
      }
      if (version >= 3) raw.exec(kHandSchemaV3Addition);
      raw.exec("PRAGMA application_id = " + std::to_string(kApplicationId) +
               "; PRAGMA user_version = " + std::to_string(version));
    }
    {
      ExperimentStore store(path);
      QCOMPARE(store.schema_version(), loralab::kStoreSchemaVersion);
      if (version > 0) {
        RunRecord old = store.run(1);
        QCOMPARE(old.name, std::string("old run"));
        QCOMPARE(old.status, RunStatus::Done);
        QCOMPARE(*old.config.rank, int64_t(4));
        QCOMPARE(*old.best_val_loss, 1.25);
        QCOMPARE(old.tags, std::vector<std::string>{"old"});
        QCOMPARE(store.metric_count(1), int64_t(2));
        QCOMPARE(store.samples(1).size(), size_t(1));
        QCOMPARE(store.artifacts_for_run(1).size(), size_t(version >= 2 ? 1 : 0));
        QCOMPARE(store.queued_runs().size(), size_t(1));
        QCOMPARE(store.sweep(1).grid, std::string("rank=4,8"));
        // Rows written before metric chunks existed are in the curves (chunks rebuilt at open).
        auto curve = store.curves({1}, loralab::CurveMetric::TrainLoss, 10);
        QCOMPARE(curve[0].points.size(), size_t(2));
        QCOMPARE(curve[0].points[1].y, 2.5);
      }
      // What the newer versions added works.
      int64_t run = store.create_run(RunRecord{});
      store.add_artifact({0, run, std::nullopt, "report", "/tmp/report.html", 0});
      QCOMPARE(store.artifacts_for_run(run).size(), size_t(1));
    }
    RawDb raw(path);
    QCOMPARE(raw.integer("PRAGMA user_version"), (long long)loralab::kStoreSchemaVersion);
    QCOMPARE(raw.integer("SELECT count(*) FROM sqlite_schema WHERE name IN "
                         "('runs_by_status', 'samples_by_run', 'metrics_val_loss', "
                         "'artifacts_by_run', 'metric_chunks')"),
             5LL);
    QCOMPARE(raw.text("PRAGMA integrity_check"), std::string("ok"));
    QCOMPARE(raw.text("PRAGMA foreign_key_check"), std::string());
  }

  void refuses_a_store_from_a_newer_version() {
    std::string path = file("newer.sqlite");
    { ExperimentStore store(path); }
    { RawDb(path).exec("PRAGMA user_version = 99"); }
    QString message = error_of([&] { ExperimentStore store(path); });
    QVERIFY2(message.contains(QString::fromStdString(path)), qPrintable(message));
    QVERIFY2(message.contains("99") &&
                 message.contains(QString("version %1").arg(loralab::kStoreSchemaVersion)),
             qPrintable(message));
    QVERIFY2(message.contains("newer"), qPrintable(message));
    QCOMPARE(RawDb(path).integer("PRAGMA user_version"), 99LL);  // left as it was
  }

  void refuses_files_that_are_not_stores() {
    std::string text = file("notes.txt");
    std::ofstream(text) << "this is not a database, just a long enough line of text\n";
    QString message = error_of([&] { ExperimentStore store(text); });
    QVERIFY2(message.contains(QString::fromStdString(text)), qPrintable(message));
    QVERIFY2(message.contains("not an SQLite database"), qPrintable(message));

    std::string other = file("other-app.sqlite");
    RawDb(other).exec("CREATE TABLE contacts (name TEXT)");
    message = error_of([&] { ExperimentStore store(other); });
    QVERIFY2(message.contains("not a LoRA Lab experiment store"), qPrintable(message));
    QCOMPARE(RawDb(other).integer("SELECT count(*) FROM sqlite_schema"), 1LL);  // untouched

    message = error_of([&] { ExperimentStore store(dir_.path().toStdString()); });
    QVERIFY2(message.contains("is a folder"), qPrintable(message));

    loralab::StoreOptions no_create;
    no_create.create_if_missing = false;
    message = error_of([&] { ExperimentStore store(file("missing.sqlite"), no_create); });
    QVERIFY2(message.contains("no experiment store"), qPrintable(message));
    QVERIFY(!QFile::exists(dir_.filePath("missing.sqlite")));
  }

  void refuses_a_folder_that_cannot_be_written() {
    // A "folder" that is a file cannot be created.
    std::string blocker = file("blocker");
    std::ofstream(blocker) << "x";
    QString message = error_of([&] { ExperimentStore store(blocker + "/experiments.sqlite"); });
    QVERIFY2(message.contains(QString::fromStdString(blocker)), qPrintable(message));
    QVERIFY2(message.contains("cannot create the folder"), qPrintable(message));
    // /sys refuses new files even to root.
    message = error_of([&] { ExperimentStore store("/sys/experiments.sqlite"); });
    QVERIFY2(message.contains("/sys") && message.contains("not writable"), qPrintable(message));
    if (::geteuid() != 0) {  // modes do not stop root
      std::string locked = file("locked");
      QVERIFY(QDir().mkpath(QString::fromStdString(locked)));
      ::chmod(locked.c_str(), 0555);
      message = error_of([&] { ExperimentStore store(locked + "/experiments.sqlite"); });
      ::chmod(locked.c_str(), 0755);
      QVERIFY2(message.contains("not writable"), qPrintable(message));
    }
  }

  void default_path_follows_xdg() {
    QByteArray saved_xdg = qgetenv("XDG_DATA_HOME"), saved_home = qgetenv("HOME");
    qputenv("XDG_DATA_HOME", "/data/xdg");
    QCOMPARE(loralab::default_store_path(), std::string("/data/xdg/loralab/experiments.sqlite"));
    qputenv("XDG_DATA_HOME", "relative/ignored");
    qputenv("HOME", "/home/someone");
    QCOMPARE(loralab::default_store_path(),
             std::string("/home/someone/.local/share/loralab/experiments.sqlite"));
    qunsetenv("XDG_DATA_HOME");
    QCOMPARE(loralab::default_store_path(),
             std::string("/home/someone/.local/share/loralab/experiments.sqlite"));
    if (saved_xdg.isNull())
      qunsetenv("XDG_DATA_HOME");
    else
      qputenv("XDG_DATA_HOME", saved_xdg);
    qputenv("HOME", saved_home);
  }

  void config_hash_ignores_formatting() {
    QCOMPARE(loralab::config_hash("{\"b\": 1, \"a\": [1, 2]}"),
             loralab::config_hash("{\"a\":[1,2],\"b\":1}"));
    QVERIFY(loralab::config_hash("{\"a\":1}") != loralab::config_hash("{\"a\":2}"));
    QCOMPARE(loralab::config_hash("{}").size(), size_t(16));
    QVERIFY(!error_of([] { loralab::config_hash("{not json"); }).isEmpty());
  }

  void a_run_from_queue_to_done() {
    ExperimentStore store(file("life.sqlite"));
    RunRecord record;
    record.name = "r8";
    record.config_json = R"({"rank": 8, "alpha": 16})";
    record.config.rank = 8;
    record.config.alpha = 16;
    record.config.targets = "q_proj+v_proj";
    record.tags = {"baseline", "tiny"};
    int64_t id = store.create_run(record);
    RunRecord run = store.run(id);
    QCOMPARE(run.status, RunStatus::Queued);
    QCOMPARE(*run.queue_position, int64_t(1));
    QCOMPARE(run.config_hash, loralab::config_hash(record.config_json));
    QCOMPARE(run.tags, record.tags);
    QVERIFY(run.created_at > 1.6e9);

    store.start_run(id);
    run = store.run(id);
    QCOMPARE(run.status, RunStatus::Running);
    QCOMPARE(*run.owner_pid, int64_t(::getpid()));
    QVERIFY(run.started_at && run.heartbeat_at && !run.queue_position);
    store.set_paused(id, true);
    QCOMPARE(store.run(id).status, RunStatus::Paused);
    QVERIFY(error_of([&] { store.set_paused(id, true); }).contains("only a running run"));
    store.set_paused(id, false);
    store.heartbeat(id);
    store.update_results(
        id, {1000, 50000, std::nullopt, 1234.5, 1 << 20, "/tmp/adapter", "basehash", "datafp"});
    store.update_results(id,
                         {std::nullopt, std::nullopt, 2.5, std::nullopt, std::nullopt, {}, {}, {}});
    store.set_notes(id, "looks good");
    store.set_tags(id, {"best"});
    store.finish_run(id, RunStatus::Done);
    run = store.run(id);
    QCOMPARE(run.status, RunStatus::Done);
    QCOMPARE(*run.trainable_params, int64_t(1000));  // kept by the second update
    QCOMPARE(run.base_model_hash, std::string("basehash"));
    QCOMPARE(run.dataset_fingerprint, std::string("datafp"));
    QCOMPARE(*run.final_train_loss, 2.5);
    QCOMPARE(run.adapter_path, std::string("/tmp/adapter"));
    QCOMPARE(run.notes, std::string("looks good"));
    QCOMPARE(run.tags, std::vector<std::string>{"best"});
    QVERIFY(run.finished_at && *run.finished_at >= *run.started_at);

    QVERIFY(error_of([&] { store.start_run(id); }).contains("is done"));
    QVERIFY(error_of([&] { store.finish_run(id, RunStatus::Running); }).contains("cannot finish"));
    QVERIFY(error_of([&] { store.run(999); }).contains("no run with id 999"));
    QVERIFY(error_of([&] { store.heartbeat(999); }).contains("999"));
    RunRecord bad;
    bad.config_json = "[1, 2]";
    QVERIFY(error_of([&] { store.create_run(bad); }).contains("expected a JSON object"));

    int64_t unnamed = store.create_run(RunRecord{});
    QCOMPARE(store.run(unnamed).name, "run " + std::to_string(unnamed));
    store.insert_metrics(id, {metric(1, 3.0)});
    store.add_sample({0, id, "", "Once", "{}", 1, "upon a time", 0});
    store.delete_run(id);
    QVERIFY(!store.find_run(id));
    QCOMPARE(store.metric_count(id), int64_t(0));
    QCOMPARE(store.samples(id).size(), size_t(0));
  }

  void metric_writer_commits_in_batches() {
    std::string path = file("batches.sqlite");
    ExperimentStore store(path);
    ExperimentStore reader(path);  // another connection sees only committed rows
    RunRecord record;
    record.status = RunStatus::Running;
    int64_t id = store.create_run(record);
    {
      loralab::MetricWriter writer(store, id, {5, 3600.0});
      for (int step = 1; step <= 4; ++step) writer.add(metric(step, 10.0 - step));
      QCOMPARE(reader.metric_count(id), int64_t(0));
      QCOMPARE(writer.pending(), int64_t(4));
      writer.add(metric(5, 5.0, 6.0));
      QCOMPARE(reader.metric_count(id), int64_t(5));
      for (int step = 6; step <= 12; ++step)
        writer.add(
            metric(step, 10.0 - step, step == 10 ? std::optional<double>(4.5) : std::nullopt));
      QCOMPARE(reader.metric_count(id), int64_t(10));
      QCOMPARE(writer.committed_batches(), int64_t(2));
      writer.flush();
      QCOMPARE(reader.metric_count(id), int64_t(12));
      writer.add(metric(13, 1.0));
    }  // the destructor commits the last row
    QCOMPARE(reader.metric_count(id), int64_t(13));
    RunRecord run = reader.run(id);
    QCOMPARE(*run.best_val_loss, 4.5);
    QCOMPARE(*run.best_val_step, int64_t(10));
    QCOMPARE(*run.final_train_loss, 1.0);

    // A second row for a step fills in the gaps without erasing what the first wrote.
    store.insert_metrics(id, {metric(13, std::nullopt, 4.0)});
    auto rows = reader.metrics(id);
    QCOMPARE(rows.back().step, int64_t(13));
    QCOMPARE(*rows.back().train_loss, 1.0);
    QCOMPARE(*rows.back().val_loss, 4.0);
    QCOMPARE(*reader.run(id).best_val_loss, 4.0);

    // Resuming from a checkpoint at step 9 drops later rows and recomputes the best.
    store.delete_metrics_after(id, 9);
    QCOMPARE(reader.metric_count(id), int64_t(9));
    QCOMPARE(*reader.run(id).best_val_loss, 6.0);
    QCOMPARE(*reader.run(id).best_val_step, int64_t(5));
    QCOMPARE(*reader.run(id).final_train_loss, 1.0);

    // The time limit commits a small batch too.
    loralab::MetricWriter timed(store, id, {1000, 0.05});
    timed.add(metric(100, 1.0));
    QTest::qSleep(80);
    timed.add(metric(101, 1.0));
    QCOMPARE(reader.metric_count(id), int64_t(11));
    QVERIFY(error_of([&] { loralab::MetricWriter nowhere(store, 12345); }).contains("12345"));
  }

  void a_killed_writer_loses_at_most_its_last_batch() {
    std::string path = file("crash.sqlite");
    { ExperimentStore create(path); }
    constexpr int kBatch = 25;
    QProcess child;
    child.start(STORE_WRITER_CHILD,
                {QString::fromStdString(path), "0", QString::number(kBatch), "300"});
    QVERIFY(child.waitForStarted());
    int64_t run_id = 0, seen = 0;
    QElapsedTimer timer;
    timer.start();
    while (seen < 180 && timer.elapsed() < 20000) {
      if (!child.canReadLine() && !child.waitForReadyRead(2000)) continue;
      while (child.canReadLine()) {
        QByteArray line = child.readLine().trimmed();
        if (line.startsWith("run ")) run_id = line.mid(4).toLongLong();
        if (line.startsWith("step ")) seen = line.mid(5).toLongLong();
      }
    }
    QVERIFY2(seen >= 180, qPrintable(child.readAllStandardError()));
    ::kill(static_cast<pid_t>(child.processId()), SIGKILL);
    QVERIFY(child.waitForFinished());
    QCOMPARE(child.exitStatus(), QProcess::CrashExit);

    ExperimentStore store(path);
    QCOMPARE(store.interrupted_at_open(), std::vector<int64_t>{run_id});
    RunRecord run = store.run(run_id);
    QCOMPARE(run.status, RunStatus::Interrupted);
    QVERIFY(run.error_message.find("ended without finishing") != std::string::npos);
    auto rows = store.metrics(run_id);
    int64_t committed = static_cast<int64_t>(rows.size());
    QCOMPARE(committed % kBatch, int64_t(0));      // whole batches only
    QVERIFY(committed >= seen / kBatch * kBatch);  // every batch handed over before the kill
    for (int64_t i = 0; i < committed; ++i) QCOMPARE(rows[static_cast<size_t>(i)].step, i + 1);
    QCOMPARE(RawDb(path).text("PRAGMA integrity_check"), std::string("ok"));
  }

  void runs_of_dead_or_silent_owners_are_interrupted() {
    std::string path = file("owners.sqlite");
    // A child that exits without finishing its run, as a crash would.
    QProcess child;
    child.start(STORE_WRITER_CHILD, {QString::fromStdString(path), "30", "10", "0", "abandon"});
    QVERIFY(child.waitForFinished());
    QCOMPARE(child.exitCode(), 0);
    int64_t abandoned = QString(child.readAllStandardOutput()).split('\n')[0].mid(4).toLongLong();

    ExperimentStore setup(path, {true, 5000, 900, false});
    QCOMPARE(setup.run(abandoned).status, RunStatus::Running);  // not checked: mark_interrupted off
    auto running = [&](const char* name) {
      RunRecord record;
      record.name = name;
      record.status = RunStatus::Running;
      return setup.create_run(record);
    };
    int64_t mine = running("mine");
    int64_t dead = running("dead pid");
    int64_t silent = running("alive pid, old heartbeat");
    int64_t alive = running("alive pid, fresh heartbeat");
    int64_t remote = running("other host, fresh heartbeat");
    int64_t remote_silent = running("other host, old heartbeat");
    int64_t paused = running("alive pid, paused long ago");
    RawDb raw(path);
    raw.exec("UPDATE runs SET owner_pid = " + std::to_string(dead_pid()) +
             ", status = 'paused' "
             "WHERE id = " +
             std::to_string(dead));
    raw.exec("UPDATE runs SET owner_pid = 1, heartbeat_at = heartbeat_at - 100000 WHERE id = " +
             std::to_string(silent));
    raw.exec("UPDATE runs SET owner_pid = 1 WHERE id = " + std::to_string(alive));
    raw.exec("UPDATE runs SET owner_pid = 999999, owner_host = 'elsewhere' WHERE id = " +
             std::to_string(remote));
    raw.exec(
        "UPDATE runs SET owner_pid = 1, owner_host = 'elsewhere', heartbeat_at = "
        "heartbeat_at - 100000 WHERE id = " +
        std::to_string(remote_silent));
    raw.exec(
        "UPDATE runs SET owner_pid = 1, status = 'paused', heartbeat_at = heartbeat_at - 100000 "
        "WHERE id = " +
        std::to_string(paused));

    ExperimentStore store(path);
    std::vector<int64_t> expected{abandoned, dead, silent, remote_silent};
    QCOMPARE(store.interrupted_at_open(), expected);
    for (int64_t id : expected) QCOMPARE(store.run(id).status, RunStatus::Interrupted);
    for (int64_t id : {mine, alive, remote}) QCOMPARE(store.run(id).status, RunStatus::Running);
    QCOMPARE(store.run(paused).status, RunStatus::Paused);  // its owner lives: no heartbeat needed
    QCOMPARE(store.metric_count(abandoned), int64_t(30));   // three whole batches were committed
    QVERIFY(error_of([&] { store.start_run(alive); }).contains("already running in process 1"));

    // An interrupted run can be started again (resume) or queued again.
    store.start_run(dead);
    QCOMPARE(*store.run(dead).owner_pid, int64_t(::getpid()));
    store.requeue_run(silent);
    QCOMPARE(store.run(silent).status, RunStatus::Queued);

    // Our own run wrongly taken for dead is taken back by its next heartbeat.
    raw.exec("UPDATE runs SET status = 'interrupted' WHERE id = " + std::to_string(mine));
    setup.heartbeat(mine);
    QCOMPARE(store.run(mine).status, RunStatus::Running);
  }

  void several_processes_write_one_file_at_once() {
    // Nobody creates the file first: the writers also race to create and migrate it.
    std::string path = file("shared.sqlite");
    constexpr int kWriters = 3, kRows = 1500;
    std::vector<std::unique_ptr<QProcess>> children;
    for (int i = 0; i < kWriters; ++i) {
      children.push_back(std::make_unique<QProcess>());
      children.back()->start(STORE_WRITER_CHILD,
                             {QString::fromStdString(path), QString::number(kRows), "3", "0"});
    }
    ExperimentStore store(path);
    // This process writes too while the children do.
    RunRecord record;
    record.status = RunStatus::Running;
    int64_t own = store.create_run(record);
    {
      loralab::MetricWriter writer(store, own, {2, 3600.0});
      for (int step = 1; step <= 300; ++step) writer.add(metric(step, 1.0));
    }
    for (auto& child : children) {
      QVERIFY(child->waitForFinished(60000));
      QVERIFY2(child->exitCode() == 0, qPrintable(child->readAllStandardError()));
    }
    auto runs = store.list_runs();
    QCOMPARE(runs.size(), size_t(kWriters + 1));
    for (const auto& run : runs) {
      if (run.id == own) continue;
      QCOMPARE(run.status, RunStatus::Done);
      QCOMPARE(store.metric_count(run.id), int64_t(kRows));
      QCOMPARE(*run.best_val_step, int64_t(kRows));  // val loss falls with the step
    }
    QCOMPARE(store.metric_count(own), int64_t(300));
    QCOMPARE(RawDb(path).text("PRAGMA integrity_check"), std::string("ok"));
  }

  void the_queue_survives_reopening() {
    std::string path = file("queue.sqlite");
    std::vector<int64_t> ids;
    {
      ExperimentStore store(path);
      for (const char* name : {"a", "b", "c", "d"}) {
        RunRecord record;
        record.name = name;
        ids.push_back(store.create_run(record));
      }
      store.move_in_queue(ids[3], 0);   // d to the head
      store.move_in_queue(ids[0], 99);  // a to the tail (clamped)
      store.cancel_queued(ids[1]);      // b cancelled
      QCOMPARE(store.run(ids[1]).status, RunStatus::Stopped);
      QVERIFY(error_of([&] { store.cancel_queued(ids[1]); }).contains("not queued"));
      QVERIFY(error_of([&] { store.move_in_queue(ids[1], 0); }).contains("not queued"));
    }
    ExperimentStore store(path);
    auto names = [&] {
      std::vector<std::string> out;
      for (const auto& run : store.queued_runs()) out.push_back(run.name);
      return out;
    };
    QCOMPARE(names(), (std::vector<std::string>{"d", "c", "a"}));
    QCOMPARE(store.next_queued()->name, std::string("d"));
    auto claimed = store.claim_next_queued();
    QCOMPARE(claimed->name, std::string("d"));
    QCOMPARE(claimed->status, RunStatus::Running);
    QCOMPARE(*claimed->owner_pid, int64_t(::getpid()));
    QCOMPARE(names(), (std::vector<std::string>{"c", "a"}));
    store.requeue_run(ids[1]);  // the cancelled run goes back, at the tail
    QCOMPARE(names(), (std::vector<std::string>{"c", "a", "b"}));
    QVERIFY(error_of([&] { store.requeue_run(ids[3]); }).contains("running"));
    store.claim_next_queued();
    store.claim_next_queued();
    store.claim_next_queued();
    QVERIFY(!store.claim_next_queued());
    QVERIFY(!store.next_queued());
  }

  void a_sweep_becomes_queued_runs() {
    ExperimentStore store(file("sweep.sqlite"));
    std::string grid = "rank=4,8;alpha=rank,16;targets=q_proj+v_proj,all-linear";
    auto points = loralab::expand_grid(loralab::parse_sweep_spec(grid));
    int64_t sweep = store.create_sweep({0, "tiny", grid, "grid", std::nullopt, std::nullopt, 0});
    RunRecord base;
    base.config_json = R"({"lr": 0.001, "steps": 200, "rank": 2})";
    base.config.lr = 0.001;
    base.config.steps = 200;
    auto ids = store.enqueue_sweep(sweep, base, points);
    QCOMPARE(ids.size(), size_t(8));
    auto queued = store.queued_runs();
    QCOMPARE(queued.size(), size_t(8));
    const RunRecord& first = queued[0];
    QCOMPARE(first.name, std::string("tiny rank=4 alpha=rank targets=q_proj+v_proj"));
    QCOMPARE(*first.sweep_id, sweep);
    QCOMPARE(*first.config.rank, int64_t(4));
    QCOMPARE(*first.config.alpha, 4.0);
    QCOMPARE(first.config.targets, std::string("q_proj+v_proj"));
    QCOMPARE(*first.config.lr, 0.001);  // from the base
    QCOMPARE(first.config_json, std::string(R"({"alpha":4.0,"alpha_equals_rank":true,"lr":0.001,)"
                                            R"("rank":4,"steps":200,"targets":"q_proj+v_proj"})"));
    QCOMPARE(*queued[7].config.alpha, 16.0);
    QCOMPARE(queued[7].config.targets, std::string("all-linear"));
    loralab::RunQuery in_sweep;
    in_sweep.sweep_id = sweep;
    QCOMPARE(store.list_runs(in_sweep).size(), size_t(8));
    QCOMPARE(store.sweeps().size(), size_t(1));
    QVERIFY(
        error_of([&] { store.enqueue_sweep(42, base, points); }).contains("no sweep with id 42"));
  }
};

QTEST_GUILESS_MAIN(TestStore)
#include "test_store.moc"
