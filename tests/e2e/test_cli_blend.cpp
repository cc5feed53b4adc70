// End to end: the real `loralab-cli blend` on the golden adapter folders — the JSON it prints, the
// folder it writes, and the errors a person can make (exit status 1, one line on stderr).
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

namespace {

struct CliResult {
  int exit_code = -1;
  QString out;
  QString err;
};

CliResult cli(const QStringList& args) {
  QProcess process;
  process.start(LORALAB_CLI, QStringList{"blend"} + args);
  CliResult result;
  if (!process.waitForFinished(120000)) return result;
  result.exit_code = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
  result.out = QString::fromUtf8(process.readAllStandardOutput());
  result.err = QString::fromUtf8(process.readAllStandardError());
  return result;
}

const QString kAdapters = QString(LORALAB_TEST_DATA) + "/adapters/";

}  // namespace

class TestCliBlend : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;

  void expect_error(const QStringList& args, const QString& needle) {
    auto r = cli(args);
    QCOMPARE(r.exit_code, 1);
    QVERIFY2(r.out.isEmpty(), qPrintable(r.out));
    QVERIFY2(r.err.contains(needle), qPrintable("'" + needle + "' not in: " + r.err));
    QCOMPARE(r.err.count('\n'), 1);  // one line
  }

 private slots:
  void initTestCase() { QVERIFY(tmp_.isValid()); }

  void cat_prints_json_and_writes_a_peft_folder() {
    const QString out = tmp_.filePath("cat");
    auto r = cli({"--adapter", kAdapters + "qv:0.7", "--adapter", kAdapters + "rslora_patterns:-0.5",
                  "--adapter", kAdapters + "ov_layer1_bf16:1.3", "--method", "cat", "--out", out});
    QVERIFY2(r.exit_code == 0, qPrintable(r.err));
    QJsonParseError error;
    auto json = QJsonDocument::fromJson(r.out.toUtf8(), &error).object();
    QCOMPARE(error.error, QJsonParseError::NoError);
    QCOMPARE(json["method"].toString(), QString("cat"));
    QCOMPARE(json["rank"].toInt(), 11);
    QCOMPARE(json["exact"].toBool(false), true);
    QVERIFY(json["max_relative_error"].toDouble(1) < 1e-6);
    QVERIFY(!json["note"].toString().isEmpty());
    QCOMPARE(json["out"].toString(), out);
    QVERIFY(QFile::exists(out + "/adapter_config.json"));
    QVERIFY(QFile::exists(out + "/adapter_model.safetensors"));
    // The output is itself a valid input.
    auto again = cli({"--adapter", out, "--method", "svd", "--rank", "2", "--out", tmp_.filePath("svd")});
    QVERIFY2(again.exit_code == 0, qPrintable(again.err));
    auto svd = QJsonDocument::fromJson(again.out.toUtf8()).object();
    QCOMPARE(svd["rank"].toInt(), 2);
    QCOMPARE(svd["exact"].toBool(true), false);
    QVERIFY(svd["max_relative_error"].toDouble() > 1e-3 && svd["max_relative_error"].toDouble() < 1);
  }

  void linear_says_not_exact() {
    auto r = cli({"--adapter", kAdapters + "qv", "--adapter", kAdapters + "qv:-0.5", "--method", "linear",
                  "--out", tmp_.filePath("linear")});
    QVERIFY2(r.exit_code == 0, qPrintable(r.err));
    auto json = QJsonDocument::fromJson(r.out.toUtf8()).object();
    QCOMPARE(json["exact"].toBool(true), false);
    QVERIFY(json["note"].toString().contains("not exact"));
    QCOMPARE(json["rank"].toInt(), 4);
  }

  void folder_with_a_colon() {
    const QString odd = tmp_.filePath("style:noir");
    QVERIFY(QDir().mkpath(odd));
    for (const char* f : {"adapter_config.json", "adapter_model.safetensors"})
      QVERIFY(QFile::copy(kAdapters + "qv/" + f, odd + "/" + f));
    auto r = cli({"--adapter", odd, "--method", "cat", "--out", tmp_.filePath("from_odd")});
    QVERIFY2(r.exit_code == 0, qPrintable(r.err));
    QCOMPARE(QJsonDocument::fromJson(r.out.toUtf8()).object()["rank"].toInt(), 4);
  }

  void user_errors() {
    const QString out = tmp_.filePath("never");
    expect_error({"--adapter", kAdapters + "qv:abc", "--method", "cat", "--out", out},
                 "--adapter: weight 'abc' is not a number");
    expect_error({"--adapter", "x:abc", "--method", "cat", "--out", out}, "--adapter: weight 'abc' is not a number");
    expect_error({"--adapter", kAdapters + "qv", "--method", "ties", "--out", out}, "--method");
    expect_error({"--adapter", kAdapters + "qv", "--method", "cat"}, "--out");
    expect_error({"--adapter", kAdapters + "qv", "--out", out}, "--method");
    expect_error({"--method", "cat", "--out", out}, "--adapter");
    expect_error({"--adapter", kAdapters + "qv", "--method", "cat", "--rank", "2", "--out", out}, "--rank");
    expect_error({"--adapter", kAdapters + "qv", "--method", "svd", "--rank", "0", "--out", out}, "--rank");
    expect_error({"--adapter", kAdapters + "qv", "--method", "svd", "--rank", "two", "--out", out}, "--rank");
    expect_error({"--adapter", kAdapters + "qv", "--method", "cat", "--out", out, "--bogus", "1"}, "--bogus");
    expect_error({"--adapter", tmp_.filePath("missing"), "--method", "cat", "--out", out}, "does not exist");
    // linear needs equal ranks: qv has r = 4, ov_layer1_bf16 r = 3 (both adapt layer 1's v_proj).
    expect_error({"--adapter", kAdapters + "qv", "--adapter", kAdapters + "ov_layer1_bf16", "--method", "linear",
                  "--out", out},
                 "model.layers.1.self_attn.v_proj");
    QVERIFY(!QFile::exists(out));
  }
};

QTEST_GUILESS_MAIN(TestCliBlend)
#include "test_cli_blend.moc"
