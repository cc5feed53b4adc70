// Multi-stage training on the tiny fixture model: at a stage boundary the adapters grow from rank
// r to r' without changing the model's function (derived alpha, an explicit alpha that rescales B,
// rsLoRA in the middle of an alpha ramp), stage 2 keeps lowering the loss at its own learning
// rate, the saved adapter has the final rank and trained new columns, resume across the boundary
// is exact, bad stage specs are refused naming the field, and the --stages flag parses and
// trains through the real loralab-cli.
#include "train_fixture.h"

#include <cstring>

#include "args.h"
#include "loralab/lora.h"
#include "loralab/safetensors.h"
#include "train_flags.h"

using namespace train_fixture;

namespace {

loralab::TrainStage stage(int64_t steps, std::optional<double> lr = std::nullopt,
                          std::optional<int64_t> rank = std::nullopt,
                          std::optional<double> alpha = std::nullopt) {
  loralab::TrainStage s;
  s.steps = steps;
  s.lr = lr;
  s.rank = rank;
  s.alpha = alpha;
  return s;
}

// Rank 4 for `first` steps, then rank 8 at twice the learning rate for `second` steps.
loralab::TrainSpec two_stage_spec(const Fixture& f, int64_t first, int64_t second) {
  auto spec = f.spec();
  spec.steps = 0;
  spec.eval_every = 0;
  spec.lora.rank = 4;
  spec.lora.alpha = 8;
  spec.stages = {stage(first, 1e-2, 4), stage(second, 2e-2, 8)};
  return spec;
}

double mean(const std::vector<double>& v, size_t begin, size_t end) {
  double sum = 0;
  for (size_t i = begin; i < end; ++i) sum += v[i];
  return sum / double(end - begin);
}

// Floats of one F32 tensor of a safetensors file.
std::vector<float> f32_tensor(const std::string& file, const std::string& name,
                              std::vector<int64_t>& shape) {
  auto st = loralab::st::File::open(file);
  auto view = st.tensor(name);
  shape = view.info->shape;
  std::vector<float> values(view.bytes.size() / sizeof(float));
  if (view.info->dtype == loralab::st::DType::F32)
    std::memcpy(values.data(), view.bytes.data(), view.bytes.size());
  return values;
}

// Trains `spec` (whose stage 0 has 6 steps) and compares the logits right before the rank growth
// (after the last optimizer step of stage 0) with those right after it.
void check_growth_keeps_function(const Fixture& f, const loralab::TrainSpec& spec) {
  auto model = loralab::Model::load(f.model_dir);
  const auto base = model->logits(kProbe);
  std::vector<float> before, after;
  Recorder rec;
  rec.step_hook = [&](const loralab::StepMetrics& m) {
    if (m.step == spec.stages[0].steps) before = model->logits(kProbe);
  };
  rec.message_hook = [&](const std::string& text) {
    if (text.rfind("stage 2", 0) == 0) after = model->logits(kProbe);
  };
  auto result = loralab::train(*model, spec, &rec);
  QCOMPARE(result.status, std::string("done"));
  QVERIFY(!before.empty() && !after.empty());
  QVERIFY2(max_abs_diff(before, base) > 1e-3, "stage 1 did not change the function");
  // The grown factors are zero-padded, so only float32 summation order changes (GEMMs of another
  // inner size; ~4e-6 with OpenBLAS's Haswell kernels on AMD EPYC): 1e-5, far below stage 1's change.
  const double diff = max_abs_diff(before, after);
  QVERIFY2(diff < 1e-5, qPrintable(QString("logits moved by %1 at the growth").arg(diff)));
  QCOMPARE(rec.steps.size(), size_t(spec.stages[0].steps + spec.stages[1].steps));
  QCOMPARE(rec.steps.front().rank, int64_t(4));
  QCOMPARE(rec.steps.back().rank, int64_t(8));
  QCOMPARE(rec.steps.back().stage, int64_t(1));
}

}  // namespace

class TestTrainStages : public QObject {
  Q_OBJECT
 private slots:
  void growth_keeps_the_function() {
    Fixture f;
    check_growth_keeps_function(f, two_stage_spec(f, 6, 3));
  }

  void growth_with_a_new_alpha_rescales_b() {
    Fixture f;
    auto spec = two_stage_spec(f, 6, 3);
    spec.stages[1].alpha = 4;  // scaling 8/4 = 2 → 4/8 = 0.5: B's old columns × 4
    check_growth_keeps_function(f, spec);
  }

  void growth_with_rslora_during_an_alpha_ramp() {
    Fixture f;
    auto spec = two_stage_spec(f, 6, 3);
    spec.lora.rslora = true;
    spec.alpha_start = 2;
    spec.alpha_ramp_steps = 12;  // half-way through the ramp at the boundary
    check_growth_keeps_function(f, spec);
  }

  void stage_two_keeps_learning_and_saves_the_final_rank() {
    Fixture f;
    auto spec = two_stage_spec(f, 12, 12);
    auto model = loralab::Model::load(f.model_dir);
    Recorder rec;
    auto result = loralab::train(*model, spec, &rec);
    QCOMPARE(result.status, std::string("done"));
    QCOMPARE(rec.losses.size(), size_t(24));
    // Each stage has its own warmup (2 steps) and cosine decay over its own steps.
    QVERIFY(std::abs(rec.steps[0].lr - 0.5e-2) < 1e-12);
    QVERIFY(std::abs(rec.steps[12].lr - 1e-2) < 1e-12);
    QVERIFY(std::abs(rec.steps[13].lr - 2e-2) < 1e-12);
    QCOMPARE(rec.steps[12].alpha, 16.0);  // alpha/r kept: 8/4 → 16/8
    const double end_of_stage1 = mean(rec.losses, 9, 12), end_of_stage2 = mean(rec.losses, 21, 24);
    QVERIFY2(end_of_stage2 < 0.9 * end_of_stage1,
             qPrintable(QString("loss %1 at the end of stage 1, %2 at the end of stage 2")
                            .arg(end_of_stage1).arg(end_of_stage2)));

    auto fresh = loralab::Model::load(f.model_dir);
    auto info = loralab::load_adapter(*fresh, f.out);
    QCOMPARE(info.spec.rank, int64_t(8));
    QCOMPARE(info.spec.alpha, 16.0);
    const double diff = max_abs_diff(model->logits(kProbe), fresh->logits(kProbe));
    QVERIFY2(diff < 1e-5, qPrintable(QString::number(diff)));
    // The columns that stage 2 added to B started at zero and were trained.
    std::vector<int64_t> shape;
    auto b = f32_tensor(f.out + "/adapter_model.safetensors",
                        "base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight", shape);
    QCOMPARE(shape, (std::vector<int64_t>{32, 8}));
    double new_columns = 0;
    for (int64_t row = 0; row < shape[0]; ++row)
      for (int64_t col = 4; col < 8; ++col) new_columns += std::abs(b[row * 8 + col]);
    QVERIFY2(new_columns > 1e-4, qPrintable(QString::number(new_columns)));
  }

  void resume_across_the_boundary_is_exact() {
    Fixture f;
    auto spec = two_stage_spec(f, 6, 6);
    spec.lora.dropout = 0.1;  // the RNG state must survive the boundary too
    Recorder full;
    {
      auto model = loralab::Model::load(f.model_dir);
      QCOMPARE(loralab::train(*model, spec, &full).status, std::string("done"));
    }
    // Read on a fresh model: a model that just trained is still in training mode (dropout on).
    auto saved_logits = [&](const std::string& dir) {
      auto model = loralab::Model::load(f.model_dir);
      loralab::load_adapter(*model, dir);
      return model->logits(kProbe);
    };
    const auto final_logits = saved_logits(f.out);
    // Stopped exactly at the boundary (grows after resuming) and inside stage 2 (grows while
    // resuming, before the saved rank-8 tensors are loaded).
    for (int64_t stop_at : {6, 9}) {
      auto resumed = spec;
      resumed.out_dir = f.out + "-stop" + std::to_string(stop_at);
      loralab::TrainControl control;
      Recorder first;
      first.control = &control;
      first.stop_at = stop_at;
      std::string checkpoint;
      {
        auto model = loralab::Model::load(f.model_dir);
        auto result = loralab::train(*model, resumed, &first, &control);
        QCOMPARE(result.status, std::string("stopped"));
        checkpoint = result.checkpoint_dir;
      }
      Recorder second;
      auto model = loralab::Model::load(f.model_dir);
      QCOMPARE(loralab::train(*model, resumed, &second, nullptr, checkpoint).status, std::string("done"));
      QCOMPARE(second.losses.size(), size_t(12 - stop_at));
      for (size_t i = 0; i < second.losses.size(); ++i)
        QCOMPARE(second.losses[i], full.losses[size_t(stop_at) + i]);  // bit-identical
      QCOMPARE(max_abs_diff(saved_logits(resumed.out_dir), final_logits), 0.0);
    }
  }

  void bad_stages_are_refused_naming_the_field() {
    Fixture f;
    auto check = [&](auto mutate, const QString& needle) {
      auto spec = two_stage_spec(f, 6, 6);
      mutate(spec);
      auto model = loralab::Model::load(f.model_dir);
      auto message = error_of([&] { loralab::train(*model, spec); });
      QVERIFY2(message.contains(needle), qPrintable(needle + " not in: " + message));
    };
    check([](auto& s) { s.stages[1].steps = 0; }, "stages[1].steps");
    check([](auto& s) { s.stages[0].lr = 0.0; }, "stages[0].lr");
    check([](auto& s) { s.stages[1].rank = 2; }, "stages[1].rank: expected a rank ≥ 4");
    check([](auto& s) { s.stages[1].rank = 0; }, "stages[1].rank");
    check([](auto& s) { s.stages[1].alpha = -1.0; }, "stages[1].alpha");
    check([](auto& s) { s.stages[1].schedule = "wavy"; }, "stages[1].schedule");
    check([](auto& s) { s.stages[1].warmup = -3; }, "stages[1].warmup");
    check([](auto& s) { s.steps = 100; }, "steps: expected 0 or the stages' total 12");
    check([](auto& s) { s.lora.init = "pissa"; }, "stages[1].rank");
    check([](auto& s) { s.lora.rank_pattern = {{"q_proj", 2}}; }, "rank_pattern");
    check([](auto& s) {
      s.full = true;
      s.stages[1].rank.reset();
      s.stages[1].alpha = 4.0;
      s.stages[0].rank.reset();
    }, "stages[1].alpha");
  }

  void stages_round_trip_through_json() {
    Fixture f;
    auto spec = two_stage_spec(f, 6, 6);
    spec.stages[1].schedule = "linear";
    spec.stages[1].warmup = 3;
    spec.stages[1].alpha = 12;
    const auto text = spec.to_json();
    auto back = loralab::TrainSpec::from_json(text, "spec.json");
    QCOMPARE(back.to_json(), text);
    QCOMPARE(back.stages.size(), size_t(2));
    QCOMPARE(*back.stages[1].rank, int64_t(8));
    QCOMPARE(*back.stages[1].schedule, std::string("linear"));
    QVERIFY(!back.stages[0].alpha && !back.stages[0].warmup);
    // Single-stage specs keep the JSON (and run hash) they had before stages existed.
    QVERIFY(!QString::fromStdString(f.spec().to_json()).contains("stages"));
    auto broken = QString::fromStdString(text).replace("\"warmup\": 3", "\"warmpu\": 3").toStdString();
    auto message = error_of([&] { loralab::TrainSpec::from_json(broken, "spec.json"); });
    QVERIFY2(message.contains("spec.json: stages[1]") && message.contains("warmpu"), qPrintable(message));
  }

  void stages_flag_parses_and_refuses_bad_text() {
    auto stages = loralab::cli::parse_stages("steps=100,lr=2e-4,rank=8; steps=50, lr=4e-4, rank=16, "
                                             "alpha=32, schedule=linear, warmup=5");
    QCOMPARE(stages.size(), size_t(2));
    QCOMPARE(stages[0].steps, int64_t(100));
    QCOMPARE(*stages[0].lr, 2e-4);
    QCOMPARE(*stages[1].rank, int64_t(16));
    QCOMPARE(*stages[1].alpha, 32.0);
    QCOMPARE(*stages[1].schedule, std::string("linear"));
    QCOMPARE(*stages[1].warmup, int64_t(5));
    QVERIFY(!stages[0].alpha);
    auto bad = [](const std::string& text, const QString& needle) {
      auto message = error_of([&] { loralab::cli::parse_stages(text); });
      QVERIFY2(message.contains(needle), qPrintable(needle + " not in: " + message));
    };
    bad("steps=10;", "--stages[1]: empty");
    bad("steps=10,rnak=4", "--stages[0]: unknown key 'rnak'");
    bad("lr=1e-3", "--stages[0]: steps=N is required");
    bad("steps=10;steps=5,lr=fast", "--stages[1].lr");
    bad("steps=10,steps=20", "steps is given twice");
    bad("steps=10,rank", "'rank' is not KEY=VALUE");

    Fixture f;
    auto args_of = [&](std::vector<std::string> extra) {
      std::vector<std::string> argv = {"--data", f.data, "--out", f.out};
      argv.insert(argv.end(), extra.begin(), extra.end());
      return loralab::cli::Args(argv, loralab::cli::train_switch_names());
    };
    auto spec = loralab::cli::train_spec_from_args(
        args_of({"--stages", "steps=10,rank=4;steps=20,rank=8,lr=1e-3"}));
    QCOMPARE(spec.steps, int64_t(0));
    QCOMPARE(spec.stages.size(), size_t(2));
    auto refused = [&](std::vector<std::string> extra, const QString& needle) {
      auto message = error_of([&] { loralab::cli::train_spec_from_args(args_of(extra)); });
      QVERIFY2(message.contains(needle), qPrintable(needle + " not in: " + message));
    };
    refused({"--stages", "steps=10;steps=10", "--epochs", "2"}, "--epochs");
    refused({"--stages", "steps=10;steps=10", "--steps", "15"}, "--steps: expected 0 or the stages' total 20");
    refused({"--stages", "steps=10,rank=8;steps=10,rank=4"}, "--stages[1].rank");
  }

  void cli_trains_stages_into_a_final_rank_adapter() {
    Fixture f;
    QProcess cli;
    cli.start(LORALAB_CLI, {"train", "--model", QString::fromStdString(f.model_dir), "--data",
                            QString::fromStdString(f.data), "--out", QString::fromStdString(f.out),
                            "--seq", "32", "--batch", "4", "--lr", "1e-2", "--rank", "4", "--alpha", "4",
                            "--targets", "q_proj,v_proj", "--threads", "1", "--eval-every", "0",
                            "--stages", "steps=4;steps=4,rank=12,lr=2e-2", "--json"});
    QVERIFY(cli.waitForFinished(120000));
    const QString out = QString::fromUtf8(cli.readAllStandardOutput());
    QVERIFY2(cli.exitCode() == 0, qPrintable(QString::fromUtf8(cli.readAllStandardError())));
    QVERIFY2(out.contains("stage 2 of 2 from step 4: rank 4 → 12, alpha 4 → 12"), qPrintable(out));
    const auto last = QJsonDocument::fromJson(out.trimmed().split('\n').last().toUtf8()).object();
    QCOMPARE(last["status"].toString(), QString("done"));
    QCOMPARE(last["steps"].toInt(), 8);
    QFile config(QString::fromStdString(f.out) + "/adapter_config.json");
    QVERIFY(config.open(QIODevice::ReadOnly));
    const auto peft = QJsonDocument::fromJson(config.readAll()).object();
    QCOMPARE(peft["r"].toInt(), 12);
    QCOMPARE(peft["lora_alpha"].toDouble(), 12.0);
  }
};

QTEST_APPLESS_MAIN(TestTrainStages)
#include "test_train_stages.moc"
