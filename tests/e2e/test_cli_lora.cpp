// loralab-cli logits --adapter / --merged, merge and params, run as real processes on the golden
// fixtures; outputs compared with the float64 reference and with each other.
#include <QtTest>

#include <cmath>

namespace {

const QString kData = LORALAB_TEST_DATA;

struct Run {
  int code = -1;
  QByteArray out, err;
};

Run cli(const QStringList& args) {
  QProcess p;
  p.start(LORALAB_CLI, args);
  p.waitForFinished(120000);
  return {p.exitCode(), p.readAllStandardOutput(), p.readAllStandardError()};
}

QJsonObject golden(const QString& name) {
  QFile f(kData + "/adapters/" + name);
  f.open(QIODevice::ReadOnly);
  return QJsonDocument::fromJson(f.readAll()).object();
}

QString tokens_arg(const QJsonObject& g) {
  QStringList ids;
  for (auto v : g["tokens"].toArray()) ids << QString::number(v.toInt());
  return ids.join(',');
}

double max_diff(const QJsonArray& got, const QJsonArray& want) {
  if (got.size() != want.size() || got.isEmpty()) return INFINITY;
  double worst = 0;
  for (int i = 0; i < got.size(); ++i) worst = std::max(worst, std::abs(got[i].toDouble() - want[i].toDouble()));
  return worst;
}

}  // namespace

class TestCliLora : public QObject {
  Q_OBJECT
 private slots:
  void logits_with_adapters_match_reference() {
    auto g = golden("expected_blend.json");
    QStringList args = {"logits", "--model", kData + "/models/llama_f32", "--tokens", tokens_arg(g)};
    for (auto a : g["adapters"].toArray()) {
      auto o = a.toObject();
      args << "--adapter" << kData + "/" + o["dir"].toString() + ":" + QString::number(o["weight"].toDouble());
    }
    const auto want = g["logits"].toArray().last().toArray();
    auto live = cli(args);
    QCOMPARE(live.code, 0);
    QVERIFY(max_diff(QJsonDocument::fromJson(live.out).array(), want) <= g["atol"].toDouble());
    auto merged = cli(args << "--merged");
    QCOMPARE(merged.code, 0);
    QVERIFY(max_diff(QJsonDocument::fromJson(merged.out).array(), want) <= g["atol"].toDouble());
  }

  void merge_writes_a_loadable_model() {
    QTemporaryDir dir;
    auto g = golden("expected_qv.json");
    const QString out = dir.path() + "/merged";
    auto merge = cli({"merge", "--model", kData + "/models/llama_f32", "--adapter",
                      kData + "/adapters/qv", "--out", out});
    QVERIFY2(merge.code == 0, merge.err.constData());
    QVERIFY(QFile::exists(out + "/model.safetensors") && QFile::exists(out + "/config.json"));
    auto logits = cli({"logits", "--model", out, "--tokens", tokens_arg(g)});
    QCOMPARE(logits.code, 0);
    QVERIFY(max_diff(QJsonDocument::fromJson(logits.out).array(), g["logits"].toArray().last().toArray()) <=
            g["atol"].toDouble());
    auto again = cli({"merge", "--model", kData + "/models/llama_f32", "--adapter",
                      kData + "/adapters/qv", "--out", out});
    QCOMPARE(again.code, 1);
    QVERIFY(again.err.contains("not empty"));
  }

  void params_reports_the_formula() {
    auto run = cli({"params", "--model", kData + "/models/llama_f32", "--rank", "8", "--targets",
                    "attention-qv", "--modules"});
    QVERIFY2(run.code == 0, run.err.constData());
    auto j = QJsonDocument::fromJson(run.out).object();
    // hidden 32, 4 heads × 8, 2 layers: (32 + 32) · 8 for each of q and v in each layer.
    QCOMPARE(j["trainable"].toInt(), 2 * 2 * (32 + 32) * 8);
    QCOMPARE(j["modules"].toArray().size(), 4);
    QVERIFY(j["share_of_base"].toDouble() > 0);
  }

  void bad_flags_name_the_problem() {
    const QString model = kData + "/models/llama_f32";
    struct Case {
      QStringList args;
      const char* needle;
    };
    const Case cases[] = {
        {{"logits", "--model", model, "--tokens", "1,2", "--adapter", kData + "/adapters/qv:abc"}, "abc"},
        {{"logits", "--model", model, "--tokens", "1,2", "--merged"}, "--adapter"},
        {{"params", "--model", model, "--rank", "0"}, "rank"},
        {{"params", "--model", model, "--targets", "q_prj"}, "q_proj"},
        {{"params", "--model", model, "--bogus", "1"}, "--bogus"},
        {{"merge", "--model", model, "--out", "/tmp/x"}, "--adapter"},
    };
    for (const auto& c : cases) {
      auto run = cli(c.args);
      QVERIFY2(run.code != 0, qPrintable(c.args.join(' ')));
      QVERIFY2(run.err.contains(c.needle), qPrintable(c.args.join(' ') + " → " + run.err));
    }
  }
};

QTEST_GUILESS_MAIN(TestCliLora)
#include "test_cli_lora.moc"
