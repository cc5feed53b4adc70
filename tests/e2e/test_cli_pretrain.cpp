// `loralab-cli pretrain`, `sample` and `loss` end to end with the real binary: a miniature
// pretraining run (tiny model, a few steps) writes a loadable Hugging Face folder with the recipe
// and the curve, is reproducible from its seed, and the sampling and loss commands read it; bad
// flags are refused with a message naming them.
#include <QtTest>

#include "loralab/model.h"
#include "loralab/safetensors.h"
#include "loralab/tokenizer.h"

namespace {

struct CliRun {
  int code;
  QByteArray out, err;
};

CliRun run_cli(const QStringList& arguments) {
  QProcess process;
  process.start(LORALAB_CLI, arguments);
  if (!process.waitForFinished(300000)) qFatal("loralab-cli did not finish");
  return {process.exitCode(), process.readAllStandardOutput(), process.readAllStandardError()};
}

// A model small enough that the whole run takes seconds.
QStringList tiny(const QString& out) {
  return {"pretrain", "--out", out, "--seed", "5", "--everyday", "60", "--other-share", "0.03",
          "--validation", "4", "--tokenizer-extra", "4", "--vocab", "400", "--hidden", "32",
          "--layers", "1", "--heads", "2", "--kv-heads", "1", "--intermediate", "64",
          "--context", "64", "--steps", "4", "--batch", "2", "--warmup", "1", "--eval-every", "2",
          "--threads", "1"};
}

QByteArray read_all(const QString& path) {
  QFile file(path);
  if (!file.open(QIODevice::ReadOnly)) qFatal("cannot read %s", qPrintable(path));
  return file.readAll();
}

}  // namespace

class TestCliPretrain : public QObject {
  Q_OBJECT

 private slots:
  void pretrains_a_loadable_folder_reproducibly() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString out = dir.filePath("base");
    const auto run = run_cli(tiny(out));
    QVERIFY2(run.code == 0, run.err.constData());
    for (const char* file : {"config.json", "model.safetensors", "tokenizer.json",
                             "generation_config.json", "pretrain.json", "training_curve.json"})
      QVERIFY2(QFileInfo::exists(out + "/" + file), file);
    QVERIFY(!QFileInfo::exists(out + "/checkpoint"));
    QVERIFY(QFileInfo::exists(out + ".work/train.jsonl"));  // intermediate files stay apart

    const auto summary = QJsonDocument::fromJson(run.out).object();
    QCOMPARE(summary["steps"].toInt(), 4);
    QCOMPARE(summary["corpus_per_style"].toObject()["everyday"].toInt(), 60);
    QCOMPARE(summary["corpus_per_style"].toObject()["fairy_tale"].toInt(), 1);  // 3% of 60
    const auto curve = QJsonDocument::fromJson(read_all(out + "/training_curve.json")).object();
    QCOMPARE(curve["steps"].toArray().size(), 4);
    QCOMPARE(curve["validation"].toArray().size(), 2);  // steps 2 and 4

    auto model = loralab::Model::load(out.toStdString());
    QCOMPARE(model->config().hidden_size, 32);
    QVERIFY(model->config().tie_word_embeddings);
    QCOMPARE(model->config().torch_dtype, std::string("bfloat16"));
    const auto tokenizer = loralab::Tokenizer::load(out.toStdString());
    QCOMPARE(int64_t(tokenizer.vocab_size()), model->config().vocab_size);
    QCOMPARE(tokenizer.bos_id(), std::optional<int32_t>(0));

    // The same seed and flags give the same weights.
    const QString again = dir.filePath("again");
    const auto second = run_cli(tiny(again));
    QVERIFY2(second.code == 0, second.err.constData());
    // (Tensor by tensor: the file's metadata names the folder it was trained from.)
    const auto first_weights = loralab::st::File::open((out + "/model.safetensors").toStdString());
    const auto second_weights = loralab::st::File::open((again + "/model.safetensors").toStdString());
    QCOMPARE(second_weights.names(), first_weights.names());
    for (const auto& name : first_weights.names()) {
      const auto a = first_weights.tensor(name).bytes, b = second_weights.tensor(name).bytes;
      QVERIFY2(a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin()), name.c_str());
    }
    QCOMPARE(read_all(again + "/tokenizer.json"), read_all(out + "/tokenizer.json"));

    // sample and loss read the folder.
    const auto sample = run_cli({"sample", "--model", out, "--count", "2", "--max-tokens", "8",
                                 "--seed", "3", "--json"});
    QVERIFY2(sample.code == 0, sample.err.constData());
    const auto samples = QJsonDocument::fromJson(sample.out).object()["samples"].toArray();
    QCOMPARE(samples.size(), 2);
    QCOMPARE(samples[1].toObject()["seed"].toInt(), 4);
    QVERIFY(samples[0].toObject()["tokens"].toInt() <= 8);
    QVERIFY(samples[0].toObject()["signature_words"].toObject().contains("fairy_tale"));
    const auto loss = run_cli({"loss", "--model", out, "--data", out + ".work/validation_everyday.jsonl"});
    QVERIFY2(loss.code == 0, loss.err.constData());
    const double value = QJsonDocument::fromJson(loss.out).object()["loss"].toDouble();
    QVERIFY2(value > 0 && value < 7, loss.out.constData());  // below chance, log(400) = 6.0 +
  }

  void refuses_bad_flags() {
    QTemporaryDir dir;
    const QString out = dir.filePath("base");
    auto refused = [&](QStringList arguments, const char* flag) {
      const auto run = run_cli(arguments);
      QVERIFY2(run.code == 1 && run.err.contains(flag), run.err.constData());
      QVERIFY(!QFileInfo::exists(out + "/model.safetensors"));
    };
    refused({"pretrain", "--out", out, "--other-share", "0.2"}, "--other-share");
    refused({"pretrain", "--out", out, "--everyday", "3"}, "--everyday");
    refused({"pretrain", "--out", out, "--work", out}, "--work");
    refused({"pretrain", "--out", out, "--bogus", "1"}, "--bogus");
    refused({"pretrain"}, "--out");
    refused({"sample", "--model", dir.filePath("none")}, "none");
    refused({"sample", "--model", out, "--count", "0"}, "--count");
    refused({"loss", "--model", out}, "--data");
  }
};

QTEST_GUILESS_MAIN(TestCliPretrain)
#include "test_cli_pretrain.moc"
