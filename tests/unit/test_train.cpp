// The trainer on a tiny real model folder (the llama_f32 golden fixture plus a small character
// tokenizer written here): loss falls, LoRA gradients match finite differences in float64, resume
// is bit-exact, early stopping and NaN detection work, and bad input is refused before step one.
#include "train_fixture.h"

#include "loralab/lora.h"

using namespace train_fixture;

class TestTrain : public QObject {
  Q_OBJECT
 private slots:
  void loss_falls_and_adapter_is_written() {
    Fixture f;
    auto model = loralab::Model::load(f.model_dir);
    Recorder rec;
    auto result = loralab::train(*model, f.spec(), &rec);
    QCOMPARE(result.status, std::string("done"));
    QCOMPARE(rec.losses.size(), size_t(40));
    const double first = rec.losses.front(), last = rec.losses.back();
    QVERIFY2(last < 0.5 * first, qPrintable(QString("loss %1 → %2").arg(first).arg(last)));
    QVERIFY(result.best_val_loss && *result.best_val_loss < first);
    QCOMPARE(rec.evals.size(), size_t(4));
    // The written adapter reproduces the trained model's function when loaded on a fresh base.
    auto fresh = loralab::Model::load(f.model_dir);
    auto info = loralab::load_adapter(*fresh, f.out);
    QCOMPARE(info.spec.rank, int64_t(8));
    const std::vector<int32_t> probe = {1, 22, 10, 7, 29, 5, 3, 22};
    auto a = model->logits(probe), b = fresh->logits(probe);
    double diff = 0;
    for (size_t i = 0; i < a.size(); ++i) diff = std::max(diff, double(std::abs(a[i] - b[i])));
    QVERIFY2(diff < 1e-5, qPrintable(QString::number(diff)));
  }

  void pissa_adapter_is_saved_against_the_original_base() {
    Fixture f;
    auto spec = f.spec();
    spec.steps = 6;
    spec.eval_every = 0;
    spec.lora.init = "pissa";
    spec.lora.rank = 4;
    auto model = loralab::Model::load(f.model_dir);
    QCOMPARE(loralab::train(*model, spec).status, std::string("done"));
    auto fresh = loralab::Model::load(f.model_dir);
    auto info = loralab::load_adapter(*fresh, f.out);
    QCOMPARE(info.spec.rank, int64_t(8));  // converted: [B, -B0]·[A; A0]
    const std::vector<int32_t> probe = {1, 22, 10, 7, 29, 5, 3, 22};
    auto a = model->logits(probe), b = fresh->logits(probe);
    double diff = 0;
    for (size_t i = 0; i < a.size(); ++i) diff = std::max(diff, double(std::abs(a[i] - b[i])));
    QVERIFY2(diff < 1e-4, qPrintable(QString::number(diff)));
  }

  // One trainable adapter runs through the fused training node (lora_linear.cpp), with and
  // without dropout (its mask made again in backward); two adapters through the composed
  // LibTorch operations.
  void lora_gradients_match_finite_differences_data() {
    QTest::addColumn<QStringList>("adapters");
    QTest::addColumn<double>("dropout");
    QTest::newRow("one adapter, fused node") << QStringList{"rslora_patterns"} << 0.0;
    QTest::newRow("one adapter, fused node, dropout 0.3") << QStringList{"rslora_patterns"} << 0.3;
    QTest::newRow("two adapters, composed") << QStringList{"rslora_patterns", "qv"} << 0.0;
    QTest::newRow("two adapters, composed, dropout 0.3") << QStringList{"rslora_patterns", "qv"} << 0.3;
  }

  void lora_gradients_match_finite_differences() {
    QFETCH(QStringList, adapters);
    QFETCH(double, dropout);
    loralab::ModelLoadOptions options;
    options.precision = loralab::Precision::F64;
    auto model = loralab::Model::load(std::string(LORALAB_TEST_DATA) + "/models/llama_f32", options);
    for (const auto& name : adapters)
      loralab::load_adapter(*model, std::string(LORALAB_TEST_DATA) + "/adapters/" + name.toStdString());
    auto check = loralab::check_adapter_gradients(*model, {1, 5, 9, 33, 2, 70, 8}, 3, 1e-6, 7, dropout);
    QVERIFY(check.checked > 0);
    QVERIFY2(check.max_abs_error < 1e-7,
             qPrintable(QString("max abs error %1, rel %2").arg(check.max_abs_error).arg(check.max_relative_error)));
  }

  void resume_reproduces_the_uninterrupted_run_exactly() {
    Fixture f;
    auto spec = f.spec();
    spec.steps = 16;
    spec.lora.dropout = 0.1;  // so that the RNG state must be restored too
    spec.eval_every = 0;
    Recorder full;
    {
      auto model = loralab::Model::load(f.model_dir);
      QCOMPARE(loralab::train(*model, spec, &full).status, std::string("done"));
    }
    spec.out_dir = f.out + "-resumed";
    loralab::TrainControl control;
    Recorder first;
    first.control = &control;
    first.stop_at = 7;
    std::string checkpoint;
    {
      auto model = loralab::Model::load(f.model_dir);
      auto result = loralab::train(*model, spec, &first, &control);
      QCOMPARE(result.status, std::string("stopped"));
      QCOMPARE(result.steps_done, int64_t(7));
      checkpoint = result.checkpoint_dir;
    }
    Recorder second;
    auto model = loralab::Model::load(f.model_dir);
    auto result = loralab::train(*model, spec, &second, nullptr, checkpoint);
    QCOMPARE(result.status, std::string("done"));
    QCOMPARE(second.losses.size(), size_t(9));
    for (size_t i = 0; i < second.losses.size(); ++i)
      QCOMPARE(second.losses[i], full.losses[7 + i]);  // bit-identical, not approximately
  }

  void early_stopping_triggers() {
    Fixture f;
    auto spec = f.spec();
    spec.eval_every = 5;
    spec.patience = 2;
    spec.min_delta = 100;  // nothing after the first evaluation counts as an improvement
    auto model = loralab::Model::load(f.model_dir);
    Recorder rec;
    auto result = loralab::train(*model, spec, &rec);
    QCOMPARE(result.status, std::string("early_stopped"));
    QCOMPARE(result.steps_done, int64_t(15));
    QCOMPARE(rec.evals.size(), size_t(3));
    QVERIFY(!result.checkpoint_dir.empty());
  }

  void nan_stops_the_run_with_a_good_checkpoint() {
    Fixture f;
    auto spec = f.spec();
    spec.lr = 1e30;  // Adam's normalised step blows the weights up at once
    spec.warmup = 0;
    spec.clip = 0;
    auto model = loralab::Model::load(f.model_dir);
    auto result = loralab::train(*model, spec);
    QCOMPARE(result.status, std::string("failed"));
    QVERIFY2(QString::fromStdString(result.message).contains("NaN") ||
                 QString::fromStdString(result.message).contains("infinite"),
             result.message.c_str());
    QVERIFY(QFile::exists(QString::fromStdString(result.checkpoint_dir) + "/state.safetensors"));
  }

  void bad_input_is_refused_before_training() {
    Fixture f;
    auto check = [&](auto mutate, const QString& needle) {
      auto spec = f.spec();
      mutate(spec);
      auto model = loralab::Model::load(f.model_dir);
      auto message = error_of([&] { loralab::train(*model, spec); });
      QVERIFY2(message.contains(needle), qPrintable(needle + " not in: " + message));
    };
    check([](auto& s) { s.batch = 0; }, "batch");
    check([](auto& s) { s.lr = 0; }, "lr");
    check([](auto& s) { s.seq_len = 100000; }, "max_position_embeddings");
    check([](auto& s) { s.lora.target_modules = {"qq_proj"}; }, "q_proj");
    check([](auto& s) { s.out_dir = "/proc/loralab-out"; }, "--out");
    check([&](auto& s) { s.data.path = f.data + ".missing"; }, ".missing");
    check([](auto& s) { s.schedule = "wavy"; }, "schedule");
  }
};

QTEST_APPLESS_MAIN(TestTrain)
#include "test_train.moc"
