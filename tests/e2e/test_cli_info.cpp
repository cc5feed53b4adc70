// End to end: the real `loralab-cli info` on the golden fixture folders (sizes, parameter counts and
// stored dtypes the Python reference wrote) and on broken folders made at run time, whose one-line
// errors must name the folder, file or key at fault.
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

namespace {

const QString kModels = QStringLiteral(LORALAB_TEST_DATA "/models");

struct CliResult {
  int exit_code = -1;
  QString out;
  QString err;
};

CliResult cli(const QStringList& args) {
  QProcess process;
  process.start(LORALAB_CLI, QStringList{"info"} + args);
  CliResult result;
  if (!process.waitForFinished(60000)) {
    process.kill();
    process.waitForFinished();
    return result;
  }
  result.exit_code = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
  result.out = QString::fromUtf8(process.readAllStandardOutput());
  result.err = QString::fromUtf8(process.readAllStandardError());
  return result;
}

QJsonObject info_of(const QStringList& args) {
  CliResult result = cli(args);
  if (result.exit_code != 0) qWarning() << "info failed:" << result.exit_code << result.err;
  QJsonParseError error;
  QJsonDocument doc = QJsonDocument::fromJson(result.out.toUtf8(), &error);
  if (error.error != QJsonParseError::NoError) qWarning() << "not JSON:" << result.out;
  return doc.object();
}

// A copy of a fixture folder that a case can then break.
QString copy_fixture(const QTemporaryDir& tmp, const QString& name) {
  const QString target = tmp.filePath(name);
  QDir().mkpath(target);
  const QDir source(kModels + "/" + name);
  for (const QString& file : source.entryList(QDir::Files))
    QFile::copy(source.filePath(file), target + "/" + file);
  return target;
}

void write_file(const QString& path, const QByteArray& bytes) {
  QFile file(path);
  QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
  file.write(bytes);
}

// Expects exit status 1 and exactly one stderr line that contains every part of `needles`.
void expect_error(const QStringList& args, const QStringList& needles) {
  CliResult result = cli(args);
  QCOMPARE(result.exit_code, 1);
  QVERIFY2(result.out.isEmpty(), qPrintable(result.out));
  QVERIFY2(result.err.endsWith('\n') && result.err.count('\n') == 1, qPrintable(result.err));
  for (const QString& needle : needles)
    QVERIFY2(result.err.contains(needle), qPrintable("missing '" + needle + "' in: " + result.err));
}

}  // namespace

class TestCliInfo : public QObject {
  Q_OBJECT
 private slots:
  void fixtures_data() {
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("architecture");
    QTest::addColumn<int>("kv_heads");
    QTest::addColumn<int>("head_dim");
    QTest::addColumn<qint64>("params");  // printed by make_model_fixtures.py
    QTest::addColumn<QString>("dtype");
    QTest::addColumn<bool>("tied");
    QTest::addColumn<int>("max_positions");
    QTest::addColumn<double>("rope_theta");
    QTest::newRow("llama_f32") << "llama_f32" << "LlamaForCausalLM" << 4 << 8 << qint64(24736)
                               << "F32" << true << 256 << 10000.0;
    QTest::newRow("llama_bf16_gqa") << "llama_bf16_gqa" << "LlamaForCausalLM" << 2 << 8
                                    << qint64(26784) << "BF16" << false << 1024 << 500000.0;
    QTest::newRow("qwen2_f16_bias") << "qwen2_f16_bias" << "Qwen2ForCausalLM" << 2 << 8
                                    << qint64(26912) << "F16" << false << 512 << 1000000.0;
    QTest::newRow("mistral_f32_theta") << "mistral_f32_theta" << "MistralForCausalLM" << 2 << 12
                                       << qint64(29856) << "F32" << false << 512 << 12345.0;
    QTest::newRow("sharded_f32") << "sharded_f32" << "LlamaForCausalLM" << 2 << 8 << qint64(26784)
                                 << "F32" << false << 256 << 10000.0;
  }
  void fixtures() {
    QFETCH(QString, name);
    QFETCH(QString, architecture);
    QFETCH(int, kv_heads);
    QFETCH(int, head_dim);
    QFETCH(qint64, params);
    QFETCH(QString, dtype);
    QFETCH(bool, tied);
    QFETCH(int, max_positions);
    QFETCH(double, rope_theta);
    const QJsonObject info = info_of({kModels + "/" + name});
    QCOMPARE(info["architecture"].toString(), architecture);
    QCOMPARE(info["layers"].toInt(), 2);
    QCOMPARE(info["hidden"].toInt(), 32);
    QCOMPARE(info["heads"].toInt(), 4);
    QCOMPARE(info["kv_heads"].toInt(), kv_heads);
    QCOMPARE(info["head_dim"].toInt(), head_dim);
    QCOMPARE(info["intermediate"].toInt(), 64);
    QCOMPARE(info["vocab"].toInt(), 128);
    QCOMPARE(info["params"].toInteger(), params);
    QCOMPARE(info["dtype"].toString(), dtype);
    QCOMPARE(info["dtypes"].toObject().size(), 1);
    QCOMPARE(info["tie_word_embeddings"].toBool(), tied);
    QCOMPARE(info["max_position_embeddings"].toInt(), max_positions);
    QCOMPARE(info["rope_theta"].toDouble(), rope_theta);
    QVERIFY(info.contains("tokenizer") && info["tokenizer"].isNull());
    QCOMPARE(info["rope_scaling"].isNull(), name != "llama_bf16_gqa");
    QCOMPARE(info["attention_bias"].toBool(), name == "qwen2_f16_bias");
  }

  void tokenizer_and_model_flag() {
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const QString dir = copy_fixture(tmp, "llama_bf16_gqa");
    write_file(dir + "/tokenizer.json", "{}");
    QJsonObject info = info_of({"--model", dir});
    QCOMPARE(info["tokenizer"].toString(), dir + "/tokenizer.json");
    QCOMPARE(info["rope_scaling"].toString(), QString("llama3"));
    QCOMPARE(info["weights"].toString(), dir + "/model.safetensors");
  }

  // OpenBLAS 0.3.21 falls back to Prescott kernels on recent Xeons; the CLI re-executes itself
  // with better ones, and leaves a user's own OPENBLAS_CORETYPE alone.
  void blas_kernels() {
    auto version_with = [](const QString& coretype) {
      QProcess process;
      QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
      env.remove("OPENBLAS_CORETYPE");
      env.remove("LORALAB_BLAS_REEXEC");
      if (!coretype.isEmpty()) env.insert("OPENBLAS_CORETYPE", coretype);
      process.setProcessEnvironment(env);
      process.start(LORALAB_CLI, {"--version"});
      process.waitForFinished(60000);
      return QString::fromUtf8(process.readAllStandardOutput());
    };
    const QString automatic = version_with({});
    QVERIFY2(automatic.contains("BLAS kernels"), qPrintable(automatic));
    QFile cpuinfo("/proc/cpuinfo");
    QVERIFY(cpuinfo.open(QIODevice::ReadOnly));
    const bool avx512 = QString::fromLatin1(cpuinfo.readAll()).contains(" avx512f ");
    if (avx512) QVERIFY2(!automatic.contains("Prescott"), qPrintable(automatic));
    if (!automatic.contains("not OpenBLAS")) {
      const QString chosen = version_with("HASWELL");
      QVERIFY2(chosen.contains("Haswell"), qPrintable(chosen));
    }
  }

  void usage_errors() {
    expect_error({}, {"MODEL_DIR"});
    expect_error({kModels + "/llama_f32", kModels + "/qwen2_f16_bias"}, {"one MODEL_DIR"});
    expect_error({kModels + "/llama_f32", "--layers", "3"}, {"--layers"});
  }

  void folder_errors() {
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    expect_error({tmp.filePath("absent")}, {tmp.filePath("absent"), "does not exist"});
    expect_error({kModels + "/llama_f32/config.json"}, {"config.json", "not a folder"});

    const QString empty = tmp.filePath("empty");
    QDir().mkpath(empty);
    expect_error({empty}, {empty, "config.json"});

    const QString pickle = tmp.filePath("pickle");
    QDir().mkpath(pickle);
    QFile::copy(kModels + "/llama_f32/config.json", pickle + "/config.json");
    write_file(pickle + "/pytorch_model.bin", "PK");
    expect_error({pickle}, {pickle, "pytorch_model.bin", "pickle", "safetensors"});
  }

  void config_errors() {
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const QString dir = copy_fixture(tmp, "llama_f32");
    QFile original(dir + "/config.json");
    QVERIFY(original.open(QIODevice::ReadOnly));
    const QJsonObject config = QJsonDocument::fromJson(original.readAll()).object();
    original.close();
    // Writes the fixture's config with `changes` applied and the `removed` keys taken out.
    auto with = [&](const QJsonObject& changes, const QStringList& removed = {}) {
      QJsonObject changed = config;
      for (auto it = changes.begin(); it != changes.end(); ++it) changed[it.key()] = it.value();
      for (const QString& key : removed) changed.remove(key);
      write_file(dir + "/config.json", QJsonDocument(changed).toJson());
    };

    write_file(dir + "/config.json", "{\"architectures\": [\"LlamaForCausalLM\"],");
    expect_error({dir}, {dir + "/config.json", "not valid JSON"});
    with({}, {"hidden_size"});
    expect_error({dir}, {dir + "/config.json", "'hidden_size'", "missing"});
    with({{"num_hidden_layers", "2"}});
    expect_error({dir}, {dir + "/config.json", "'num_hidden_layers'", "string"});
    with({{"num_attention_heads", 5}, {"num_key_value_heads", 1}});
    expect_error({dir}, {"'num_attention_heads'", "hidden_size (32)"});
    with({{"architectures", QJsonArray{"GPT2LMHeadModel"}}});
    expect_error({dir}, {"GPT2LMHeadModel", "LlamaForCausalLM", "Qwen2ForCausalLM"});
    with({{"rope_scaling", QJsonObject{{"rope_type", "yarn"}, {"factor", 4.0}}}});
    expect_error({dir}, {"'rope_scaling.rope_type'", "yarn", "llama3"});
  }

  void weight_errors() {
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const QString single = copy_fixture(tmp, "llama_f32");
    QFile weights(single + "/model.safetensors");
    QVERIFY(weights.resize(weights.size() - 4));  // data buffer shorter than the header says
    expect_error({single}, {single + "/model.safetensors"});

    const QString sharded = copy_fixture(tmp, "sharded_f32");
    QVERIFY(QFile::remove(sharded + "/model-00002-of-00002.safetensors"));
    expect_error({sharded}, {"model-00002-of-00002.safetensors"});
  }
};

QTEST_GUILESS_MAIN(TestCliInfo)
#include "test_cli_info.moc"
