// The trainer on a tiny real model folder (the llama_f32 golden fixture plus a small character
// tokenizer written here): loss falls, LoRA gradients match finite differences in float64, resume
// is bit-exact, early stopping and NaN detection work, and bad input is refused before step one.
#include <QtTest>

#include <cmath>

#include "loralab/error.h"
#include "loralab/lora.h"
#include "loralab/model.h"
#include "loralab/train.h"

namespace {

// A byte-level BPE vocabulary of single characters: enough for lowercase stories.
QByteArray tokenizer_json() {
  QJsonObject vocab;
  vocab["<pad>"] = 0;
  vocab["<s>"] = 1;
  vocab["</s>"] = 2;
  int id = 3;
  for (char c = 'a'; c <= 'z'; ++c) vocab[QString(QChar(c))] = id++;
  for (const char* s : {"\u0120", "\u010A", ".", ","}) vocab[QString::fromUtf8(s)] = id++;
  QJsonArray added;
  for (int i = 0; i < 3; ++i)
    added.append(QJsonObject{{"id", i}, {"content", QStringList{"<pad>", "<s>", "</s>"}[i]},
                             {"single_word", false}, {"lstrip", false}, {"rstrip", false},
                             {"normalized", false}, {"special", true}});
  QJsonObject byte_level{{"type", "ByteLevel"}, {"add_prefix_space", false},
                         {"trim_offsets", true}, {"use_regex", true}};
  QJsonObject root{{"version", "1.0"}, {"added_tokens", added}, {"normalizer", QJsonValue()},
                   {"pre_tokenizer", byte_level}, {"post_processor", QJsonValue()},
                   {"decoder", byte_level},
                   {"model", QJsonObject{{"type", "BPE"}, {"vocab", vocab}, {"merges", QJsonArray()},
                                         {"unk_token", QJsonValue()}}}};
  return QJsonDocument(root).toJson();
}

struct Fixture {
  QTemporaryDir dir;
  std::string model_dir, data, val, out;
  Fixture() {
    const QString src = QString(LORALAB_TEST_DATA) + "/models/llama_f32/";
    const QString model = dir.path() + "/model/";
    QDir().mkpath(model);
    QFile::copy(src + "config.json", model + "config.json");
    QFile::copy(src + "model.safetensors", model + "model.safetensors");
    QFile tok(model + "tokenizer.json");
    tok.open(QIODevice::WriteOnly);
    tok.write(tokenizer_json());
    model_dir = model.toStdString();
    // A learnable set: a few sentences repeated in varied order.
    const QStringList lines = {"the cat sat on the mat.", "a dog ran to the park.",
                               "the sun is warm, the sea is blue.", "we like to read a book."};
    QFile train(dir.path() + "/train.txt"), valid(dir.path() + "/val.txt");
    train.open(QIODevice::WriteOnly);
    valid.open(QIODevice::WriteOnly);
    for (int i = 0; i < 120; ++i) train.write((lines[(i * 7) % 4] + "\n\n").toUtf8());
    for (int i = 0; i < 12; ++i) valid.write((lines[i % 4] + "\n\n").toUtf8());
    data = (dir.path() + "/train.txt").toStdString();
    val = (dir.path() + "/val.txt").toStdString();
    out = (dir.path() + "/out").toStdString();
  }
  loralab::TrainSpec spec() const {
    loralab::TrainSpec s;
    s.data.path = data;
    s.validation = loralab::DatasetSpec{};
    s.validation->path = val;
    s.out_dir = out;
    s.seq_len = 32;
    s.batch = 4;
    s.steps = 40;
    s.lr = 1e-2;
    s.warmup = 2;
    s.eval_every = 10;
    s.lora.rank = 8;
    s.lora.alpha = 16;
    s.lora.target_modules = {"all-linear"};
    s.threads = 1;
    return s;
  }
};

struct Recorder : loralab::TrainObserver {
  std::vector<double> losses;
  std::vector<loralab::EvalMetrics> evals;
  loralab::TrainControl* control = nullptr;
  int64_t stop_at = -1;
  void on_step(const loralab::StepMetrics& m) override {
    losses.push_back(m.train_loss);
    QVERIFY(m.tokens_per_s > 0 && m.gflops > 0 && m.peak_rss_bytes > 0);
    if (control && m.step == stop_at) control->stop = true;
  }
  void on_eval(const loralab::EvalMetrics& m) override { evals.push_back(m); }
};

QString error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const loralab::Error& e) {
    return e.what();
  }
  return {};
}

}  // namespace

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

  void lora_gradients_match_finite_differences() {
    loralab::ModelLoadOptions options;
    options.precision = loralab::Precision::F64;
    auto model = loralab::Model::load(std::string(LORALAB_TEST_DATA) + "/models/llama_f32", options);
    loralab::load_adapter(*model, std::string(LORALAB_TEST_DATA) + "/adapters/rslora_patterns");
    auto check = loralab::check_adapter_gradients(*model, {1, 5, 9, 33, 2, 70, 8}, 3, 1e-6, 7);
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
