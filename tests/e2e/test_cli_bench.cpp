// End to end: the real `loralab-cli bench sample` on a tiny random model with two live adapters
// prints one JSON object with the config it ran and a positive tokens_per_s; `bench train` runs the
// trainer's steps (LoRA and full) and reports step times, parameters and peak RSS; bad modes and
// flags fail with a message naming them.
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QtTest>

#include <algorithm>
#include <cmath>

namespace {

struct CliResult {
  int exit_code = -1;
  QString out;
  QString err;
};

CliResult cli(const QStringList& args) {
  QProcess process;
  process.start(LORALAB_CLI, QStringList{"bench"} + args);
  CliResult result;
  if (!process.waitForFinished(120000)) {
    process.kill();
    process.waitForFinished();
    return result;
  }
  result.exit_code = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
  result.out = QString::fromUtf8(process.readAllStandardOutput());
  result.err = QString::fromUtf8(process.readAllStandardError());
  return result;
}

const QStringList kTiny = {"--hidden", "64",  "--layers", "2",  "--heads",  "4",
                           "--kv-heads", "2", "--intermediate", "128", "--vocab", "256",
                           "--new", "16", "--threads", "1"};

}  // namespace

class TestCliBench : public QObject {
  Q_OBJECT
 private slots:
  void sample_prints_one_json_object() {
    auto r = cli(QStringList{"sample", "--json"} + kTiny + QStringList{"--adapters", "2"});
    QVERIFY2(r.exit_code == 0, qPrintable(r.err));
    const auto lines = r.out.trimmed().split('\n');
    QCOMPARE(lines.size(), 1);
    QJsonParseError error;
    auto doc = QJsonDocument::fromJson(lines[0].toUtf8(), &error);
    QVERIFY2(doc.isObject(), qPrintable(error.errorString()));
    auto o = doc.object();
    QCOMPARE(o["mode"].toString(), QString("sample"));
    QVERIFY(o["tokens_per_s"].toDouble() > 0);
    QVERIFY(o["first_token_ms"].toDouble() > 0);
    QVERIFY(o["step_ms"].toDouble() > 0);
    QCOMPARE(o["generated_tokens"].toInt(), 16);
    QCOMPARE(o["threads"].toInt(), 1);
    QCOMPARE(o["decode_threads"].toInt(), 1);
    QVERIFY2(o["decode_path"].toString().startsWith("kernels"), qPrintable(o["decode_path"].toString()));
    auto config = o["config"].toObject();
    QCOMPARE(config["hidden"].toInt(), 64);
    QCOMPARE(config["vocab"].toInt(), 256);
    QCOMPARE(config["adapters"].toInt(), 2);
    QCOMPARE(config["merged"].toBool(), false);
    QCOMPARE(config["prompt_tokens"].toInt(), 3);
    const int repeats = config["repeats"].toInt();
    QVERIFY(repeats > 0);
    auto runs = o["runs_tokens_per_s"].toArray();
    QCOMPARE(runs.size(), repeats);
    // tokens_per_s is the median of the runs.
    std::vector<double> values;
    for (auto v : runs) values.push_back(v.toDouble());
    std::sort(values.begin(), values.end());
    QVERIFY(qFuzzyCompare(o["tokens_per_s"].toDouble(), values[values.size() / 2]));
    // 2 adapters × 2 layers × r 16 × ((64+64) q + (64+32) k + (64+32) v + (64+64) o).
    QCOMPARE(o["adapter_parameters"].toInteger(), 2 * 2 * 16 * (128 + 96 + 96 + 128));
    QVERIFY(o["base_parameters"].toInteger() > 0);
  }

  void merged_runs_too() {
    auto r = cli(QStringList{"sample", "--json", "--merged", "--adapters", "1", "--repeats", "1",
                             "--decode-threads", "2"} + kTiny);
    QVERIFY2(r.exit_code == 0, qPrintable(r.err));
    auto o = QJsonDocument::fromJson(r.out.toUtf8()).object();
    QCOMPARE(o["config"].toObject()["merged"].toBool(), true);
    QCOMPARE(o["decode_threads"].toInt(), 2);
    QVERIFY(o["tokens_per_s"].toDouble() > 0);
    // LORALAB_DECODE=torch sends single tokens through LibTorch operations, as bf16 does.
    qputenv("LORALAB_DECODE", "torch");
    auto libtorch = cli(QStringList{"sample", "--json", "--repeats", "1"} + kTiny);
    qunsetenv("LORALAB_DECODE");
    auto bf16 = cli(QStringList{"sample", "--json", "--repeats", "1", "--precision", "bf16"} + kTiny);
    QVERIFY2(libtorch.exit_code == 0 && bf16.exit_code == 0, qPrintable(libtorch.err + bf16.err));
    for (const auto* run : {&libtorch, &bf16})
      QCOMPARE(QJsonDocument::fromJson(run->out.toUtf8()).object()["decode_path"].toString(),
               QString("libtorch"));
  }

  void train_reports_timed_steps() {
    const QStringList tiny = {"--hidden", "64", "--layers", "2", "--heads", "4", "--kv-heads", "2",
                              "--intermediate", "128", "--vocab", "256", "--seq", "32",
                              "--batch", "2", "--threads", "1", "--warmup", "1", "--steps", "3"};
    auto lora = cli(QStringList{"train", "--json", "--rank", "4"} + tiny);
    QVERIFY2(lora.exit_code == 0, qPrintable(lora.err));
    auto o = QJsonDocument::fromJson(lora.out.toUtf8()).object();
    QCOMPARE(o["mode"].toString(), QString("train"));
    QVERIFY(o["tokens_per_s"].toDouble() > 0);
    QCOMPARE(o["steps_ms"].toArray().size(), 3);  // warm-up steps are not reported
    double sum_ms = 0;
    for (auto v : o["steps_ms"].toArray()) sum_ms += v.toDouble();
    // tokens_per_s is timed tokens over the timed steps' wall time.
    QVERIFY(std::abs(o["tokens_per_s"].toDouble() - 3 * 2 * 32 / (sum_ms / 1000)) <
            1e-6 * o["tokens_per_s"].toDouble());
    // r 4 × 2 layers × ((64+64) q + (64+32) k + (64+32) v + (64+64) o).
    QCOMPARE(o["trainable_parameters"].toInteger(), 4 * 2 * (128 + 96 + 96 + 128));
    QVERIFY(o["peak_rss_bytes"].toInteger() > 0);
    QVERIFY(std::isfinite(o["last_loss"].toDouble()) && o["last_loss"].toDouble() > 0);
    QCOMPARE(o["config"].toObject()["precision"].toString(), QString("fp32"));

    auto full = cli(QStringList{"train", "--json", "--full", "--precision", "bf16"} + tiny);
    QVERIFY2(full.exit_code == 0, qPrintable(full.err));
    auto f = QJsonDocument::fromJson(full.out.toUtf8()).object();
    QCOMPARE(f["trainable_parameters"].toInteger(), f["total_parameters"].toInteger());
    QCOMPARE(f["config"].toObject()["precision"].toString(), QString("bf16"));
    // Full training of random targets moves the loss on every step.
    QVERIFY(f["last_loss"].toDouble() != f["first_loss"].toDouble());

    auto targets = cli({"train", "--targets", "q_proj,,v_proj"});
    QCOMPARE(targets.exit_code, 1);
    QVERIFY2(targets.err.contains("--targets"), qPrintable(targets.err));
    auto unknown = cli(QStringList{"train", "--targets", "nothing_here"} + tiny);
    QCOMPARE(unknown.exit_code, 1);
    QVERIFY2(unknown.err.contains("nothing_here"), qPrintable(unknown.err));
    auto steps = cli({"train", "--steps", "0"});
    QCOMPARE(steps.exit_code, 1);
    QVERIFY2(steps.err.contains("--steps"), qPrintable(steps.err));
  }

  void errors_name_the_mode_or_flag() {
    auto unknown = cli({"train-ish"});
    QCOMPARE(unknown.exit_code, 1);
    QVERIFY2(unknown.err.contains("train-ish") && unknown.err.contains("sample"),
             qPrintable(unknown.err));
    auto merged = cli({"sample", "--merged"});
    QCOMPARE(merged.exit_code, 1);
    QVERIFY2(merged.err.contains("--merged"), qPrintable(merged.err));
    auto heads = cli({"sample", "--hidden", "64", "--heads", "4", "--kv-heads", "3"});
    QCOMPARE(heads.exit_code, 1);
    QVERIFY2(heads.err.contains("kv_heads"), qPrintable(heads.err));
    auto flag = cli({"sample", "--layers", "0"});
    QCOMPARE(flag.exit_code, 1);
    QVERIFY2(flag.err.contains("--layers"), qPrintable(flag.err));
    auto decode = cli({"sample", "--decode-threads", "-1"});
    QCOMPARE(decode.exit_code, 1);
    QVERIFY2(decode.err.contains("--decode-threads"), qPrintable(decode.err));
    auto bogus = cli({"sample", "--bogus", "1"});
    QCOMPARE(bogus.exit_code, 1);
    QVERIFY2(bogus.err.contains("bogus"), qPrintable(bogus.err));
  }
};

QTEST_GUILESS_MAIN(TestCliBench)
#include "test_cli_bench.moc"
