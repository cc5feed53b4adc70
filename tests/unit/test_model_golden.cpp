// Golden logits: the engine's decoder against an independent float64 PyTorch reference
// (tests/golden/make_model_fixtures.py) on tiny random LLaMA / Mistral / Qwen2 folders.
// Tolerances: the atol stored with each fixture (1e-4 for F32 weights, 1e-3 for BF16/F16).
#include <QtTest>

#include <cmath>

#include "loralab/error.h"
#include "loralab/model.h"

namespace {

struct Golden {
  QString dir;
  std::vector<int32_t> tokens;
  std::vector<std::vector<double>> logits;  // per position
  double atol = 0;
};

Golden read_golden(const QString& name) {
  Golden g;
  g.dir = QString(LORALAB_TEST_DATA) + "/models/" + name;
  QFile file(g.dir + "/expected.json");
  if (!file.open(QIODevice::ReadOnly)) qFatal("cannot open %s", qPrintable(file.fileName()));
  auto doc = QJsonDocument::fromJson(file.readAll()).object();
  for (auto v : doc["tokens"].toArray()) g.tokens.push_back(v.toInt());
  for (auto row : doc["logits"].toArray()) {
    std::vector<double> values;
    for (auto v : row.toArray()) values.push_back(v.toDouble());
    g.logits.push_back(values);
  }
  g.atol = doc["atol"].toDouble();
  return g;
}

double max_abs_diff(const std::vector<float>& got, const std::vector<double>& want,
                    size_t offset = 0) {
  double worst = 0;
  for (size_t i = 0; i < want.size(); ++i)
    worst = std::max(worst, std::abs(double(got[offset + i]) - want[i]));
  return worst;
}

}  // namespace

class TestModelGolden : public QObject {
  Q_OBJECT
 private slots:
  void all_positions_match_reference_data() {
    QTest::addColumn<QString>("name");
    for (const char* n : {"llama_f32", "llama_bf16_gqa", "qwen2_f16_bias", "mistral_f32_theta",
                          "sharded_f32"})
      QTest::newRow(n) << QString(n);
  }
  void all_positions_match_reference() {
    QFETCH(QString, name);
    auto g = read_golden(name);
    auto model = loralab::Model::load(g.dir.toStdString());
    const size_t vocab = model->config().vocab_size;
    auto logits = model->logits(g.tokens);
    QCOMPARE(logits.size(), g.tokens.size() * vocab);
    for (size_t t = 0; t < g.tokens.size(); ++t) {
      double diff = max_abs_diff(logits, g.logits[t], t * vocab);
      if (diff > g.atol)
        QFAIL(qPrintable(QString("%1 position %2: max |diff| %3 > %4")
                             .arg(name).arg(t).arg(diff).arg(g.atol)));
    }
    auto last = model->last_logits(g.tokens);
    QVERIFY(max_abs_diff(last, g.logits.back()) <= g.atol);
  }

  void kv_cache_matches_reference_data() { all_positions_match_reference_data(); }
  void kv_cache_matches_reference() {
    QFETCH(QString, name);
    auto g = read_golden(name);
    auto model = loralab::Model::load(g.dir.toStdString());
    const size_t vocab = model->config().vocab_size;
    auto logits = model->logits_incremental(g.tokens);
    for (size_t t = 0; t < g.tokens.size(); ++t)
      QVERIFY2(max_abs_diff(logits, g.logits[t], t * vocab) <= g.atol,
               qPrintable(QString("position %1").arg(t)));
  }

  void bf16_compute_stays_close() {
    // bf16 compute keeps ~3 significant digits; the reference is float64. The bound is relative to
    // the logit range so it does not depend on the fixture's scale.
    auto g = read_golden("llama_f32");
    loralab::ModelLoadOptions options;
    options.precision = loralab::Precision::BF16;
    auto model = loralab::Model::load(g.dir.toStdString(), options);
    auto last = model->last_logits(g.tokens);
    double range = 0;
    for (double v : g.logits.back()) range = std::max(range, std::abs(v));
    double diff = max_abs_diff(last, g.logits.back());
    QVERIFY2(diff < 0.05 * range, qPrintable(QString("diff %1 range %2").arg(diff).arg(range)));
  }

  void config_disagreeing_with_weights_names_the_tensor() {
    QTemporaryDir dir;
    const QString src = QString(LORALAB_TEST_DATA) + "/models/llama_f32/";
    QFile::copy(src + "model.safetensors", dir.path() + "/model.safetensors");
    QFile in(src + "config.json");
    in.open(QIODevice::ReadOnly);
    auto config = QJsonDocument::fromJson(in.readAll()).object();
    config["intermediate_size"] = 48;
    QFile out(dir.path() + "/config.json");
    out.open(QIODevice::WriteOnly);
    out.write(QJsonDocument(config).toJson());
    out.close();
    try {
      loralab::Model::load(dir.path().toStdString());
      QFAIL("expected an error");
    } catch (const loralab::Error& e) {
      const QString message = e.what();
      QVERIFY2(message.contains("model.layers.0.mlp.gate_proj.weight") && message.contains("[64,32]") &&
                   message.contains("[48,32]") && message.contains("intermediate_size"),
               e.what());
    }
  }

  void out_of_vocabulary_token_is_refused() {
    auto g = read_golden("llama_f32");
    auto model = loralab::Model::load(g.dir.toStdString());
    try {
      model->last_logits({1, 2, int32_t(model->config().vocab_size)});
      QFAIL("expected an error");
    } catch (const loralab::Error& e) {
      QVERIFY2(QString(e.what()).contains("position 2"), e.what());
    }
  }
};

QTEST_APPLESS_MAIN(TestModelGolden)
#include "test_model_golden.moc"
