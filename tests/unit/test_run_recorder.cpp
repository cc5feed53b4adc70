// RunRecorder and the sweep-to-runs glue on a real store file: the run row it creates, metrics in
// batches, pause transitions, the end states (done / early stop / stopped / failed / abandoned),
// continuing a run (rows past the restart step replaced), a store error that must not stop
// training, sweep points applied to TrainSpecs, and where a stored run resumes from.
#include <QtTest>

#include <fstream>
#include <unistd.h>

#include "loralab/run_recorder.h"
#include "loralab/store.h"
#include "loralab/sweep_runs.h"
#include "store_test_support.h"

using namespace loralab;
using store_test::error_of;

namespace {

const std::string kModel = std::string(LORALAB_TEST_DATA) + "/models/llama_f32";

// Counts what reaches the next observer.
struct Counting : TrainObserver {
  int plans = 0, steps = 0, evals = 0, pauses = 0;
  std::vector<std::string> messages;
  void on_plan(const TrainPlan&) override { ++plans; }
  void on_step(const StepMetrics&) override { ++steps; }
  void on_eval(const EvalMetrics&) override { ++evals; }
  void on_message(const std::string& text) override { messages.push_back(text); }
  void on_paused(bool) override { ++pauses; }
};

StepMetrics step(int64_t n, double loss) {
  StepMetrics m;
  m.step = n;
  m.total_steps = 100;
  m.train_loss = loss;
  m.lr = 1e-3;
  m.grad_norm = 0.5;
  m.tokens_per_s = 1000;
  m.tokens_seen = 128 * n;
  m.elapsed_s = 0.1 * double(n);
  return m;
}

EvalMetrics eval(int64_t n, double loss) {
  EvalMetrics m;
  m.step = n;
  m.val_loss = loss;
  return m;
}

TrainResult result(const std::string& status, const std::string& out) {
  TrainResult r;
  r.status = status;
  r.message = status == "done" ? "" : "it " + status;
  r.steps_done = 10;
  r.tokens_per_s = 1234;
  r.peak_rss_bytes = 1 << 20;
  r.out_dir = out;
  r.checkpoint_dir = out + "/checkpoint";
  return r;
}

}  // namespace

class TestRunRecorder : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  std::string db_;
  TrainSpec spec_;

 private slots:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    db_ = dir_.filePath("experiments.sqlite").toStdString();
    spec_.name = "unit";
    spec_.data.path = "/data/train.txt";
    spec_.out_dir = dir_.filePath("out").toStdString();
    spec_.lora.rank = 4;
    spec_.lora.alpha = 8;
    spec_.lora.target_modules = expand_targets({"attention-qkvo"});
    spec_.steps = 100;
  }

  void records_a_run_from_start_to_early_stop() {
    ExperimentStore store(db_);
    Counting next;
    RunRecorderOptions options;
    options.metrics.batch_rows = 4;
    options.metrics.max_delay_seconds = 1e9;
    options.tags = {"unit"};
    RunRecorder recorder(store, spec_, kModel, std::nullopt, &next, options);
    const int64_t id = recorder.run_id();
    auto run = store.run(id);
    QCOMPARE(run.status, RunStatus::Running);
    QCOMPARE(run.owner_pid.value_or(0), int64_t(::getpid()));
    QCOMPARE(run.name, std::string("unit"));
    QCOMPARE(run.config.rank.value_or(0), int64_t(4));
    QCOMPARE(run.config.alpha.value_or(0), 8.0);
    QCOMPARE(run.config.targets, std::string("q_proj+k_proj+v_proj+o_proj"));
    QCOMPARE(run.base_model_hash, base_model_hash(kModel));
    QCOMPARE(run.base_model_hash.size(), size_t(64));
    QCOMPARE(TrainSpec::from_json(run.config_json, "stored").to_json(), spec_.to_json());

    TrainPlan plan;
    plan.trainable_parameters = 1024;
    plan.total_parameters = 50000;
    plan.dataset_fingerprint = "fp";
    recorder.on_plan(plan);
    for (int n = 1; n <= 6; ++n) recorder.on_step(step(n, 3.0 - 0.1 * n));
    QCOMPARE(store.metric_count(id), int64_t(4));  // one batch of 4 committed, 2 waiting
    recorder.on_eval(eval(6, 2.5));
    recorder.on_paused(true);
    QCOMPARE(store.run(id).status, RunStatus::Paused);
    QCOMPARE(store.metric_count(id), int64_t(6));  // pausing commits what waits
    recorder.on_paused(false);
    QCOMPARE(store.run(id).status, RunStatus::Running);
    // Marked interrupted while paused (a stale heartbeat seen from elsewhere): taken back on
    // resume.
    recorder.on_paused(true);
    store_test::RawDb(db_).exec("UPDATE runs SET status = 'interrupted' WHERE id = " +
                                std::to_string(id));
    recorder.on_paused(false);
    QCOMPARE(store.run(id).status, RunStatus::Running);
    recorder.on_message("hello");
    recorder.finish(result("early_stopped", spec_.out_dir));

    run = store.run(id);
    QCOMPARE(run.status, RunStatus::Done);
    QCOMPARE(run.tags, (std::vector<std::string>{"unit", "early-stopped"}));
    QCOMPARE(run.trainable_params.value_or(0), int64_t(1024));
    QCOMPARE(run.total_params.value_or(0), int64_t(50000));
    QCOMPARE(run.dataset_fingerprint, std::string("fp"));
    QCOMPARE(run.best_val_loss.value_or(0), 2.5);
    QCOMPARE(run.best_val_step.value_or(0), int64_t(6));
    QCOMPARE(run.final_train_loss.value_or(0), 3.0 - 0.6);  // the last step's loss
    QCOMPARE(run.tokens_per_second.value_or(0), 1234.0);
    QCOMPARE(run.adapter_path, spec_.out_dir);
    auto artifacts = store.artifacts_for_run(id);
    QCOMPARE(artifacts.size(), size_t(2));
    QCOMPARE(artifacts[0].kind, std::string("adapter"));
    QCOMPARE(artifacts[1].kind, std::string("checkpoint"));
    QCOMPARE(artifacts[1].path, spec_.out_dir + "/checkpoint");
    QCOMPARE(next.plans, 1);
    QCOMPARE(next.steps, 6);
    QCOMPARE(next.evals, 1);
    QCOMPARE(next.pauses, 4);
    QCOMPARE(next.messages, std::vector<std::string>{"hello"});
  }

  void continuing_replaces_rows_past_the_restart() {
    ExperimentStore store(db_);
    int64_t id = 0;
    {
      RunRecorder first(store, spec_, kModel);
      id = first.run_id();
      for (int n = 1; n <= 10; ++n) first.on_step(step(n, 3.0));
      first.on_eval(eval(10, 2.0));
      first.finish(result("stopped", spec_.out_dir));
    }
    auto run = store.run(id);
    QCOMPARE(run.status, RunStatus::Stopped);
    QCOMPARE(run.error_message, std::string("it stopped"));
    QCOMPARE(run.best_val_step.value_or(0), int64_t(10));

    RunRecorder again(store, spec_, kModel, id);
    QCOMPARE(again.run_id(), id);
    QCOMPARE(store.run(id).status, RunStatus::Running);
    QVERIFY(store.run(id).error_message.empty());
    again.on_step(step(7, 1.0));  // resumed from a checkpoint at step 6
    again.on_step(step(8, 1.0));
    again.finish(result("done", spec_.out_dir));
    run = store.run(id);
    QCOMPARE(run.status, RunStatus::Done);
    auto rows = store.metrics(id);
    QCOMPARE(rows.size(), size_t(8));
    QCOMPARE(*rows[5].train_loss, 3.0);
    QCOMPARE(*rows[6].train_loss, 1.0);
    QVERIFY(!run.best_val_loss);  // the evaluation at step 10 was past the restart
    QCOMPARE(store.artifacts_for_run(id).size(), size_t(2));  // not recorded twice

    // A done run cannot be continued.
    QString message = error_of([&] { RunRecorder done(store, spec_, kModel, id); });
    QVERIFY2(message.contains("is done"), qPrintable(message));
  }

  void failures_end_the_run_as_failed() {
    ExperimentStore store(db_);
    int64_t abandoned = 0, thrown = 0, nan = 0;
    {
      RunRecorder recorder(store, spec_, kModel);
      abandoned = recorder.run_id();
      recorder.on_step(step(1, 3.0));
    }  // destroyed without a result (train() threw past the caller)
    QCOMPARE(store.run(abandoned).status, RunStatus::Failed);
    QCOMPARE(store.run(abandoned).error_message, std::string("training ended without a result"));
    QCOMPARE(store.metric_count(abandoned), int64_t(1));  // the waiting row was still written
    {
      RunRecorder recorder(store, spec_, kModel);
      thrown = recorder.run_id();
      recorder.fail("data: empty dataset");
      QVERIFY(recorder.finished());
    }
    QCOMPARE(store.run(thrown).error_message, std::string("data: empty dataset"));
    {
      RunRecorder recorder(store, spec_, kModel);
      nan = recorder.run_id();
      recorder.finish(result("failed", spec_.out_dir));
    }
    auto run = store.run(nan);
    QCOMPARE(run.status, RunStatus::Failed);
    QCOMPARE(run.error_message, std::string("it failed"));
    QVERIFY(run.adapter_path.empty());  // no adapter is written for a failed run
    QCOMPARE(store.artifacts_for_run(nan).size(), size_t(1));  // its last good checkpoint

    // A base model folder that does not exist is recorded without a hash (the loader reports it).
    RunRecorder missing(store, spec_, dir_.filePath("no-model").toStdString());
    QVERIFY(store.run(missing.run_id()).base_model_hash.empty());
    missing.fail("no model");
  }

  void a_store_error_does_not_stop_training() {
    ExperimentStore store(db_);
    Counting next;
    RunRecorderOptions options;
    options.metrics.batch_rows = 1;
    RunRecorder recorder(store, spec_, kModel, std::nullopt, &next, options);
    {
      ExperimentStore other(db_);
      other.delete_run(recorder.run_id());  // from under the recorder's feet
    }
    recorder.on_step(step(1, 3.0));
    recorder.on_step(step(2, 3.0));
    recorder.on_eval(eval(2, 2.0));
    QCOMPARE(next.steps, 2);  // training went on
    QCOMPARE(next.evals, 1);
    QCOMPARE(next.messages.size(), size_t(1));  // said once
    QVERIFY2(QString::fromStdString(next.messages[0]).contains("experiment store"),
             next.messages[0].c_str());
    QVERIFY(!error_of([&] { recorder.finish(result("done", spec_.out_dir)); }).isEmpty());
  }

  void sweep_points_become_train_specs() {
    auto points = expand_grid(parse_sweep_spec(
        "rank=16;alpha=rank;targets=attention-qkvo+mlp;lr=0.002;seed=5;precision=bf16;"
        "init=pissa;eval_every=0;dropout=0.1;schedule=linear;steps=7;batch=2;seq=16;accum=3;"
        "warmup=1;weight_decay=0.2;clip=0.5;rslora=true"));
    QCOMPARE(points.size(), size_t(1));
    TrainSpec s = apply_sweep_point(spec_, points[0]);
    QCOMPARE(s.lora.rank, int64_t(16));
    QCOMPARE(s.lora.alpha, 16.0);
    QCOMPARE(s.lora.target_modules, linear_module_names());
    QCOMPARE(s.lr, 0.002);
    QCOMPARE(s.seed, uint64_t(5));
    QCOMPARE(s.lora.seed, uint64_t(5));
    QCOMPARE(s.precision, Precision::BF16);
    QCOMPARE(s.lora.init, std::string("pissa"));
    QCOMPARE(s.eval_every, int64_t(0));
    QCOMPARE(s.lora.dropout, 0.1);
    QCOMPARE(s.schedule, std::string("linear"));
    QCOMPARE(s.steps, int64_t(7));
    QCOMPARE(s.batch, int64_t(2));
    QCOMPARE(s.seq_len, int64_t(16));
    QCOMPARE(s.accum, int64_t(3));
    QCOMPARE(s.warmup, int64_t(1));
    QCOMPARE(s.weight_decay, 0.2);
    QCOMPARE(s.clip, 0.5);
    QVERIFY(s.lora.rslora);
    s.validate();
    QCOMPARE(run_columns(s).targets, std::string("all-linear"));
    QCOMPARE(run_columns(s).precision, std::string("bf16"));

    SweepRequest request;
    request.grid = "rank=2,4;alpha=16,rank";
    request.base = spec_;
    request.base_model_path = kModel;
    request.alpha_equals_rank = true;  // only where the point sets no alpha
    auto plan = plan_sweep(request);
    QCOMPARE(plan.specs.size(), size_t(4));
    QCOMPARE(plan.specs[0].lora.alpha, 16.0);
    QCOMPARE(plan.specs[1].lora.alpha, 2.0);
    request.grid = "rank=2,4";
    plan = plan_sweep(request);
    QCOMPARE(plan.specs[1].lora.alpha, 4.0);

    // Every point is checked against the model before anything is queued.
    request.grid = "seq=64,300";
    QString message = error_of([&] { plan_sweep(request); });
    QVERIFY2(message.contains("'seq=300'") && message.contains("256 positions"),
             qPrintable(message));

    // Rehearsal share and row packing: 0 turns rehearsal off for that run; a share needs the
    // base to have a general set.
    request.grid = "rehearsal_share=0,0.2;pack=false";
    message = error_of([&] { plan_sweep(request); });
    QVERIFY2(message.contains("rehearsal_share needs a general set") && message.contains("--rehearsal"),
             qPrintable(message));
    request.base.rehearsal = loralab::DatasetSpec{};
    request.base.rehearsal->path = "general.jsonl";
    plan = plan_sweep(request);
    QCOMPARE(plan.specs.size(), size_t(2));
    QVERIFY(!plan.specs[0].rehearsal);
    QVERIFY(plan.specs[1].rehearsal);
    QCOMPARE(plan.specs[1].rehearsal_share, 0.2);
    QVERIFY(!plan.specs[0].pack && !plan.specs[1].pack);
    QVERIFY(plan.specs[0].to_json() != plan.specs[1].to_json());  // different run hashes
    request.grid = "rehearsal_share=0.95";
    QVERIFY2(error_of([&] { plan_sweep(request); }).contains("rehearsal_share=0.95: expected a number in [0, 0.9]"),
             qPrintable(error_of([&] { plan_sweep(request); })));
    // The opening share: each point gets its own; one above the base's share is refused.
    request.base.rehearsal_share = 0.4;
    request.base.rehearsal_unscored_opening = 8;
    request.grid = "rehearsal_opening_share=0.1,0.3";
    plan = plan_sweep(request);
    QCOMPARE(plan.specs.size(), size_t(2));
    QCOMPARE(*plan.specs[0].rehearsal_opening_share, 0.1);
    QCOMPARE(*plan.specs[1].rehearsal_opening_share, 0.3);
    QVERIFY(plan.specs[0].to_json() != plan.specs[1].to_json());
    request.grid = "rehearsal_opening_share=0.5";
    message = error_of([&] { plan_sweep(request); });
    QVERIFY2(message.contains("rehearsal_opening_share") && message.contains("0.4"),
             qPrintable(message));
    request.base.rehearsal.reset();
    request.grid = "rehearsal_opening_share=0.1";
    QVERIFY2(error_of([&] { plan_sweep(request); }).contains("needs a general set"),
             qPrintable(error_of([&] { plan_sweep(request); })));

    request.grid = "rank=2";
    request.base.full = true;
    QVERIFY(error_of([&] { plan_sweep(request); }).contains("full fine-tuning"));
  }

  void queued_sweep_runs_carry_their_own_spec() {
    ExperimentStore store(dir_.filePath("sweep.sqlite").toStdString());
    SweepRequest request;
    request.name = "grid";
    request.grid = "rank=2,4";
    request.base = spec_;
    request.base_model_path = kModel;
    request.out_root = dir_.filePath("sweep-out").toStdString();
    auto queued = enqueue_sweep_plan(store, request, plan_sweep(request));
    QCOMPARE(queued.run_ids.size(), size_t(2));
    auto run = store.run(queued.run_ids[1]);
    QCOMPARE(run.status, RunStatus::Queued);
    QCOMPARE(run.sweep_id.value_or(0), queued.sweep_id);
    QCOMPARE(run.name, std::string("grid rank=4"));
    TrainSpec stored = TrainSpec::from_json(run.config_json, "stored");
    QCOMPARE(stored.lora.rank, int64_t(4));
    QCOMPARE(stored.out_dir,
             request.out_root + "/" + std::to_string(queued.sweep_id) + "-002-rank-4");
    QCOMPARE(store.sweep(queued.sweep_id).grid, std::string("rank=2,4"));
  }

  void a_claimed_run_that_cannot_train_is_failed() {
    ExperimentStore store(dir_.filePath("junk.sqlite").toStdString());
    RunRecord junk;
    junk.name = "not a training config";
    junk.config_json = R"({"lr": 0.001})";
    junk.base_model_path = kModel;
    const int64_t id = store.create_run(junk);
    QCOMPARE(store.claim_next_queued()->id, id);
    QString message = error_of([&] { train_stored_run(store, id); });
    QVERIFY2(message.contains("config_json") && message.contains("data"), qPrintable(message));
    QCOMPARE(store.run(id).status, RunStatus::Failed);
    QCOMPARE(QString::fromStdString(store.run(id).error_message), message);
  }

  void resumes_from_the_latest_checkpoint_there_is() {
    ExperimentStore store(db_);
    TrainSpec spec = spec_;
    spec.out_dir = dir_.filePath("resume-out").toStdString();
    RunRecorder recorder(store, spec, kModel);
    const int64_t id = recorder.run_id();
    recorder.fail("crashed");
    QCOMPARE(resumable_checkpoint(store, id), std::string());  // nothing on disk: from scratch
    QVERIFY(QDir().mkpath(QString::fromStdString(spec.out_dir + "/checkpoint.old")));
    QCOMPARE(resumable_checkpoint(store, id), spec.out_dir + "/checkpoint");
    const std::string recorded = dir_.filePath("elsewhere/checkpoint").toStdString();
    store.add_artifact({0, id, std::nullopt, "checkpoint", recorded, 0});
    QCOMPARE(resumable_checkpoint(store, id), spec.out_dir + "/checkpoint");  // not on disk
    QVERIFY(QDir().mkpath(QString::fromStdString(recorded)));
    QCOMPARE(resumable_checkpoint(store, id), recorded);
  }
};

QTEST_GUILESS_MAIN(TestRunRecorder)
#include "test_run_recorder.moc"
