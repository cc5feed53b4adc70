// PEFT adapter folders and blend export, through the public API: the reader's rejections (each
// message must name the file and the key or tensor), cat blends equal Σ λ_i s_i B_i A_i, svd error
// falls with k and vanishes at full rank, linear refuses unequal ranks and says it is not exact,
// the written config carries PEFT's keys, and a written adapter reads back. ΔW is recomputed here
// from the safetensors floats with plain loops, independent of the engine's LibTorch math.
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "loralab/error.h"
#include "loralab/lora.h"
#include "loralab/safetensors.h"

namespace st = loralab::st;

namespace {

const std::string kQ = "model.layers.0.self_attn.q_proj";
const std::string kV = "model.layers.0.self_attn.v_proj";
constexpr int kIn = 6, kOutQ = 5, kOutV = 3;

struct Matrix {
  int64_t rows = 0, cols = 0;
  std::vector<double> v;
  double at(int64_t r, int64_t c) const { return v[size_t(r * cols + c)]; }
};

Matrix random_matrix(int64_t rows, int64_t cols, std::mt19937& gen) {
  std::normal_distribution<double> normal(0.0, 1.0);
  Matrix m{rows, cols, {}};
  for (int64_t i = 0; i < rows * cols; ++i) m.v.push_back(float(normal(gen)));  // float-exact
  return m;
}

// B (out, r) · A (r, in) · scale.
Matrix product(const Matrix& b, const Matrix& a, double scale) {
  Matrix out{b.rows, a.cols, std::vector<double>(size_t(b.rows * a.cols), 0.0)};
  for (int64_t i = 0; i < b.rows; ++i)
    for (int64_t j = 0; j < a.cols; ++j) {
      double sum = 0;
      for (int64_t k = 0; k < b.cols; ++k) sum += b.at(i, k) * a.at(k, j);
      out.v[size_t(i * a.cols + j)] = sum * scale;
    }
  return out;
}

void add_to(Matrix& sum, const Matrix& term) {
  if (sum.v.empty()) sum = Matrix{term.rows, term.cols, std::vector<double>(term.v.size(), 0.0)};
  for (size_t i = 0; i < term.v.size(); ++i) sum.v[i] += term.v[i];
}

double frobenius(const Matrix& m) {
  double s = 0;
  for (double x : m.v) s += x * x;
  return std::sqrt(s);
}

double max_abs_diff(const Matrix& x, const Matrix& y) {
  if (x.rows != y.rows || x.cols != y.cols) return INFINITY;
  double worst = 0;
  for (size_t i = 0; i < x.v.size(); ++i) worst = std::max(worst, std::abs(x.v[i] - y.v[i]));
  return worst;
}

Matrix read_matrix(const st::File& file, const std::string& name) {
  auto view = file.tensor(name);
  Matrix m{view.info->shape.at(0), view.info->shape.at(1), {}};
  const size_t n = size_t(m.rows * m.cols);
  for (size_t i = 0; i < n; ++i) {
    if (view.info->dtype == st::DType::F32) {
      float f;
      std::memcpy(&f, view.bytes.data() + 4 * i, 4);
      m.v.push_back(f);
    } else if (view.info->dtype == st::DType::BF16) {
      uint16_t half;
      std::memcpy(&half, view.bytes.data() + 2 * i, 2);
      uint32_t bits = uint32_t(half) << 16;
      float f;
      std::memcpy(&f, &bits, 4);
      m.v.push_back(f);
    } else {
      qFatal("unexpected dtype in %s", name.c_str());
    }
  }
  return m;
}

std::string key(const std::string& module, const char* which) {
  return "base_model.model." + module + ".lora_" + which + ".weight";
}

QJsonObject read_json(const QString& path) {
  QFile file(path);
  if (!file.open(QIODevice::ReadOnly)) qFatal("cannot open %s", qPrintable(path));
  return QJsonDocument::fromJson(file.readAll()).object();
}

// Per-module rank and scaling from a PEFT config, for the keys these tests use: a pattern key
// matches when it is the module path or a dot-separated suffix of it (true of PEFT's
// (.*\.)?(KEY)$ rule for keys without regex syntax other than '.').
struct Scale {
  int64_t rank;
  double s;
};
Scale scale_for(const QJsonObject& config, const std::string& module) {
  auto lookup = [&](const char* pattern, double fallback) {
    const auto object = config[pattern].toObject();
    for (auto it = object.begin(); it != object.end(); ++it) {
      const std::string k = it.key().toStdString();
      if (module == k || (module.size() > k.size() && module.ends_with("." + k))) return it.value().toDouble();
    }
    return fallback;
  };
  const double r = lookup("rank_pattern", config["r"].toDouble());
  const double alpha = lookup("alpha_pattern", config["lora_alpha"].toDouble());
  return {int64_t(r), config["use_rslora"].toBool() ? alpha / std::sqrt(r) : alpha / r};
}

// Σ weight · s · B A of every adapter folder that has `module`.
Matrix expected_delta(const std::vector<std::pair<std::string, double>>& inputs, const std::string& module) {
  Matrix sum;
  for (const auto& [dir, weight] : inputs) {
    auto file = st::File::open(dir + "/adapter_model.safetensors");
    if (!file.contains(key(module, "A"))) continue;
    auto scale = scale_for(read_json(QString::fromStdString(dir + "/adapter_config.json")), module);
    add_to(sum, product(read_matrix(file, key(module, "B")), read_matrix(file, key(module, "A")),
                        weight * scale.s));
  }
  return sum;
}

// ΔW the written adapter stands for (its own scaling applied).
Matrix written_delta(const std::string& dir, const std::string& module) {
  auto file = st::File::open(dir + "/adapter_model.safetensors");
  auto scale = scale_for(read_json(QString::fromStdString(dir + "/adapter_config.json")), module);
  return product(read_matrix(file, key(module, "B")), read_matrix(file, key(module, "A")), scale.s);
}

std::vector<std::string> modules_of(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& name : st::File::open(dir + "/adapter_model.safetensors").names())
    if (name.ends_with(".lora_A.weight"))
      out.push_back(name.substr(17, name.size() - 17 - 14));  // strip prefix and suffix
  return out;
}

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const loralab::Error& e) {
    return e.what();
  }
  return "(no error)";
}

const std::string kData = LORALAB_TEST_DATA;
const std::vector<std::pair<std::string, double>> kGoldenBlend = {
    {kData + "/adapters/qv", 0.7},
    {kData + "/adapters/rslora_patterns", -0.5},
    {kData + "/adapters/ov_layer1_bf16", 1.3}};

std::vector<loralab::BlendInput> blend_inputs(const std::vector<std::pair<std::string, double>>& list) {
  std::vector<loralab::BlendInput> out;
  for (const auto& [dir, weight] : list) out.push_back({dir, weight});
  return out;
}

}  // namespace

class TestPeftIo : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;
  int counter_ = 0;

  std::string fresh_dir() { return tmp_.filePath(QString("d%1").arg(counter_++)).toStdString(); }

  struct TensorSpec {
    std::string name;
    std::vector<int64_t> shape;
    std::vector<float> values;  // empty: filled with 0.25
    st::DType dtype = st::DType::F32;
  };

  // An adapter folder from a config text and tensors (F32, or I32 to test refusals).
  std::string make_folder(const std::string& config, const std::vector<TensorSpec>& tensors) {
    const std::string dir = fresh_dir();
    QDir().mkpath(QString::fromStdString(dir));
    QFile file(QString::fromStdString(dir + "/adapter_config.json"));
    if (!file.open(QIODevice::WriteOnly)) qFatal("cannot write config");
    file.write(config.data(), qint64(config.size()));
    file.close();
    std::vector<std::vector<float>> storage;
    std::vector<st::TensorData> data;
    storage.reserve(tensors.size());
    for (const auto& t : tensors) {
      int64_t n = 1;
      for (auto d : t.shape) n *= d;
      storage.push_back(t.values.empty() ? std::vector<float>(size_t(n), 0.25f) : t.values);
      data.push_back({t.name, t.dtype, t.shape, std::as_bytes(std::span(storage.back()))});
    }
    st::write(dir + "/adapter_model.safetensors", data);
    return dir;
  }

  // A valid adapter: q_proj and v_proj of layer 0 with random A and B.
  std::string make_adapter(int64_t rank, double alpha, bool rslora, uint32_t seed,
                           const std::vector<std::string>& modules = {kQ, kV}) {
    std::mt19937 gen(seed);
    std::vector<TensorSpec> tensors;
    std::string targets;
    for (const auto& m : modules) {
      const int64_t out = m == kQ ? kOutQ : kOutV;
      auto a = random_matrix(rank, kIn, gen), b = random_matrix(out, rank, gen);
      tensors.push_back({key(m, "A"), {rank, kIn}, std::vector<float>(a.v.begin(), a.v.end())});
      tensors.push_back({key(m, "B"), {out, rank}, std::vector<float>(b.v.begin(), b.v.end())});
      targets += std::string(targets.empty() ? "" : ", ") + "\"" + m.substr(m.rfind('.') + 1) + "\"";
    }
    std::string config = R"({"peft_type": "LORA", "r": )" + std::to_string(rank) +
                         R"(, "lora_alpha": )" + std::to_string(alpha) + R"(, "use_rslora": )" +
                         (rslora ? "true" : "false") + R"(, "target_modules": [)" + targets + "]}";
    return make_folder(config, tensors);
  }

 private slots:
  void initTestCase() { QVERIFY(tmp_.isValid()); }

  // ---------------------------------------------------------------- the reader's rejections

  void rejects_bad_folders_data() {
    QTest::addColumn<QString>("config");
    QTest::addColumn<int>("tensor_case");
    QTest::addColumn<QStringList>("expected");
    const QString good = R"({"peft_type": "LORA", "r": 4, "lora_alpha": 8, "target_modules": ["q_proj"]})";
    auto with = [&](const QString& field) {
      return QString(R"({"peft_type": "LORA", "r": 4, "lora_alpha": 8, "target_modules": ["q_proj"], %1})").arg(field);
    };
    // tensor_case: 0 good pair, 1 A only, 2 B only, 3 A wrong rank, 4 B wrong rank, 5 extra
    // tensor, 6 untargeted module, 7 NaN, 8 integer dtype, 9 no tensors, 10 A is 1-D
    QTest::newRow("peft_type IA3") << R"({"peft_type": "IA3", "r": 4})" << 0
                                   << QStringList{"adapter_config.json", "peft_type", "IA3"};
    QTest::newRow("peft_type missing") << R"({"r": 4})" << 0
                                       << QStringList{"adapter_config.json", "peft_type", "missing"};
    QTest::newRow("r = 0") << R"({"peft_type": "LORA", "r": 0})" << 0
                           << QStringList{"adapter_config.json", "r:", "> 0", "got 0"};
    QTest::newRow("r < 0") << R"({"peft_type": "LORA", "r": -3})" << 0
                           << QStringList{"adapter_config.json", "r:", "-3"};
    QTest::newRow("r string") << R"({"peft_type": "LORA", "r": "4"})" << 0
                              << QStringList{"adapter_config.json", "r:", "integer", "string"};
    QTest::newRow("r fractional") << R"({"peft_type": "LORA", "r": 4.5})" << 0
                                  << QStringList{"adapter_config.json", "r:", "integer"};
    QTest::newRow("alpha abc") << R"({"peft_type": "LORA", "r": 4, "lora_alpha": "abc"})" << 0
                               << QStringList{"adapter_config.json", "lora_alpha", "number", "abc"};
    QTest::newRow("use_dora") << with(R"("use_dora": true)") << 0
                              << QStringList{"adapter_config.json", "use_dora", "DoRA"};
    QTest::newRow("bias all") << with(R"("bias": "all")") << 0
                              << QStringList{"adapter_config.json", "bias", "all"};
    QTest::newRow("fan_in_fan_out") << with(R"("fan_in_fan_out": true)") << 0
                                    << QStringList{"adapter_config.json", "fan_in_fan_out"};
    QTest::newRow("modules_to_save") << with(R"("modules_to_save": ["lm_head"])") << 0
                                     << QStringList{"adapter_config.json", "modules_to_save", "lm_head"};
    QTest::newRow("init olora") << with(R"("init_lora_weights": "olora")") << 0
                                << QStringList{"adapter_config.json", "init_lora_weights", "olora"};
    QTest::newRow("target_modules number") << R"({"peft_type": "LORA", "r": 4, "target_modules": 5})" << 0
                                           << QStringList{"adapter_config.json", "target_modules"};
    QTest::newRow("layers_to_transform") << with(R"("layers_to_transform": ["x"])") << 0
                                         << QStringList{"adapter_config.json", "layers_to_transform"};
    QTest::newRow("dropout 1.5") << with(R"("lora_dropout": 1.5)") << 0
                                 << QStringList{"adapter_config.json", "dropout"};
    QTest::newRow("not JSON") << "{\"peft_type\": \"LORA\", r: 4" << 0
                              << QStringList{"adapter_config.json"};
    QTest::newRow("not an object") << "[1, 2]" << 0 << QStringList{"adapter_config.json", "object"};
    QTest::newRow("duplicate key") << R"({"peft_type": "LORA", "r": 4, "r": 8})" << 0
                                   << QStringList{"adapter_config.json", "r"};
    QTest::newRow("lora_A without lora_B") << good << 1
                                           << QStringList{"adapter_model.safetensors", "lora_B", kQ.c_str()};
    QTest::newRow("lora_B without lora_A") << good << 2
                                           << QStringList{"adapter_model.safetensors", "lora_A", kQ.c_str()};
    QTest::newRow("A wrong rank") << good << 3
                                  << QStringList{"adapter_model.safetensors", (key(kQ, "A")).c_str(), "[3, 6]",
                                                 "[4, in_features]"};
    QTest::newRow("B wrong rank") << good << 4
                                  << QStringList{"adapter_model.safetensors", (key(kQ, "B")).c_str(), "[5, 2]",
                                                 "[out_features, 4]"};
    QTest::newRow("rank_pattern shape") << with(R"("rank_pattern": {"q_proj": 2})") << 0
                                        << QStringList{key(kQ, "A").c_str(), "[4, 6]", "[2, in_features]"};
    QTest::newRow("extra tensor") << good << 5
                                  << QStringList{"adapter_model.safetensors", "model.embed_tokens.weight",
                                                 "unexpected tensor"};
    QTest::newRow("untargeted module") << good << 6
                                       << QStringList{"adapter_model.safetensors", kV.c_str(), "does not target"};
    QTest::newRow("NaN") << good << 7 << QStringList{"adapter_model.safetensors", key(kQ, "B").c_str(), "NaN"};
    QTest::newRow("integer dtype") << good << 8 << QStringList{"adapter_model.safetensors", "I32"};
    QTest::newRow("no tensors") << good << 9 << QStringList{"adapter_model.safetensors", "no LoRA tensors"};
    QTest::newRow("1-D A") << good << 10 << QStringList{key(kQ, "A").c_str(), "[24]"};
  }
  void rejects_bad_folders() {
    QFETCH(QString, config);
    QFETCH(int, tensor_case);
    QFETCH(QStringList, expected);
    std::vector<TensorSpec> tensors;
    const TensorSpec a{key(kQ, "A"), {4, kIn}, {}}, b{key(kQ, "B"), {kOutQ, 4}, {}};
    switch (tensor_case) {
      case 0: tensors = {a, b}; break;
      case 1: tensors = {a}; break;
      case 2: tensors = {b}; break;
      case 3: tensors = {{key(kQ, "A"), {3, kIn}, {}}, b}; break;
      case 4: tensors = {a, {key(kQ, "B"), {kOutQ, 2}, {}}}; break;
      case 5: tensors = {a, b, {"base_model.model.model.embed_tokens.weight", {2, 2}, {}}}; break;
      case 6: tensors = {a, b, {key(kV, "A"), {4, kIn}, {}}, {key(kV, "B"), {kOutV, 4}, {}}}; break;
      case 7: {
        std::vector<float> values(size_t(kOutQ * 4), 0.5f);
        values[3] = NAN;
        tensors = {a, {key(kQ, "B"), {kOutQ, 4}, values}};
        break;
      }
      case 8: tensors = {a, {key(kQ, "B"), {kOutQ, 4}, {}, st::DType::I32}}; break;
      case 9: break;
      case 10: tensors = {{key(kQ, "A"), {4 * kIn}, {}}, b}; break;
    }
    const std::string dir = make_folder(config.toStdString(), tensors);
    const std::string out = fresh_dir();
    const QString message = QString::fromStdString(
        error_of([&] { loralab::blend_adapters({{dir, 1.0}}, "cat", 0, out); }));
    for (const auto& part : expected)
      QVERIFY2(message.contains(part), qPrintable("'" + part + "' not in: " + message));
    QVERIFY2(!QFileInfo::exists(QString::fromStdString(out)), "a failed blend must write nothing");
  }

  void rejects_missing_files() {
    const std::string missing = fresh_dir();
    QVERIFY(QString::fromStdString(error_of([&] { loralab::blend_adapters({{missing, 1}}, "cat", 0, fresh_dir()); }))
                .contains(QString::fromStdString(missing)));
    const std::string no_config = make_adapter(2, 4, false, 1);
    QFile::remove(QString::fromStdString(no_config + "/adapter_config.json"));
    auto message = QString::fromStdString(error_of([&] { loralab::blend_adapters({{no_config, 1}}, "cat", 0, fresh_dir()); }));
    QVERIFY2(message.contains("adapter_config.json") && message.contains("not found"), qPrintable(message));
    const std::string no_weights = make_adapter(2, 4, false, 2);
    QFile::remove(QString::fromStdString(no_weights + "/adapter_model.safetensors"));
    message = QString::fromStdString(error_of([&] { loralab::blend_adapters({{no_weights, 1}}, "cat", 0, fresh_dir()); }));
    QVERIFY2(message.contains("adapter_model.safetensors") && message.contains("not found"), qPrintable(message));
  }

  void rejects_bad_blend_requests() {
    const std::string x = make_adapter(2, 4, false, 3);
    auto message = [&](const std::vector<loralab::BlendInput>& in, const std::string& method, int64_t rank) {
      return QString::fromStdString(error_of([&] { loralab::blend_adapters(in, method, rank, fresh_dir()); }));
    };
    QVERIFY(message({{x, 1}}, "ties", 0).contains("method"));
    QVERIFY(message({}, "cat", 0).contains("no adapters"));
    QVERIFY(message({{x, 1}}, "cat", 4).contains("rank"));
    QVERIFY(message({{x, 1}}, "svd", -1).contains("rank"));
    QVERIFY(message({{x, NAN}}, "cat", 0).contains("weight"));
    // Same module path, different shapes: not adapters of one base model.
    const std::string wide = make_folder(
        R"({"peft_type": "LORA", "r": 2, "target_modules": ["q_proj"]})",
        {{key(kQ, "A"), {2, kIn + 1}, {}}, {key(kQ, "B"), {kOutQ, 2}, {}}});
    QVERIFY(message({{x, 1}, {wide, 1}}, "cat", 0).contains(QString::fromStdString(kQ)));
    // PiSSA weights are relative to a residual base the blend cannot know.
    const std::string pissa = make_folder(
        R"({"peft_type": "LORA", "r": 2, "target_modules": ["q_proj"], "init_lora_weights": "pissa_niter_4"})",
        {{key(kQ, "A"), {2, kIn}, {}}, {key(kQ, "B"), {kOutQ, 2}, {}}});
    QVERIFY(message({{x, 1}, {pissa, 1}}, "cat", 0).contains("pissa"));
  }

  // ---------------------------------------------------------------- cat

  void cat_blend_equals_weighted_sum() {
    // Different ranks, rsLoRA on one, a module only two of three adapters have, negative weight.
    const std::string x = make_adapter(2, 4, false, 10);
    const std::string y = make_adapter(3, 3, true, 11);
    const std::string z = make_adapter(1, 2, false, 12, {kV});
    const std::vector<std::pair<std::string, double>> inputs = {{x, 0.7}, {y, -0.5}, {z, 1.3}};
    const std::string out = fresh_dir();
    auto result = loralab::blend_adapters(blend_inputs(inputs), "cat", 0, out);
    QCOMPARE(result.method, std::string("cat"));
    QVERIFY(result.exact);
    QVERIFY2(result.max_relative_error < 1e-6, qPrintable(QString::number(result.max_relative_error)));
    QCOMPARE(result.rank, int64_t(6));  // v_proj: 2 + 3 + 1
    auto file = st::File::open(out + "/adapter_model.safetensors");
    QCOMPARE(file.tensor(key(kQ, "A")).info->shape, (std::vector<int64_t>{5, kIn}));
    QCOMPARE(file.tensor(key(kV, "A")).info->shape, (std::vector<int64_t>{6, kIn}));
    QCOMPARE(file.tensor(key(kV, "B")).info->shape, (std::vector<int64_t>{kOutV, 6}));
    for (const auto& m : {kQ, kV}) {
      const double diff = max_abs_diff(written_delta(out, m), expected_delta(inputs, m));
      QVERIFY2(diff <= 1e-5, qPrintable(QString::fromStdString(m) + ": " + QString::number(diff)));
    }
  }

  void cat_blend_of_golden_adapters() {
    // rsLoRA, rank_pattern, alpha_pattern, layers_to_transform and BF16 tensors, all in one blend.
    const std::string out = fresh_dir();
    auto result = loralab::blend_adapters(blend_inputs(kGoldenBlend), "cat", 0, out);
    QVERIFY(result.exact);
    auto modules = modules_of(out);
    QCOMPARE(modules.size(), size_t(14));  // every projection of both layers
    // layer 1 down_proj: 6 (rank_pattern) from rslora_patterns; layer 1 v_proj: 4 + 4 + 3.
    QCOMPARE(st::File::open(out + "/adapter_model.safetensors")
                 .tensor(key("model.layers.1.mlp.down_proj", "A")).info->shape[0], int64_t(6));
    QCOMPARE(st::File::open(out + "/adapter_model.safetensors")
                 .tensor(key("model.layers.1.self_attn.v_proj", "A")).info->shape[0], int64_t(11));
    QCOMPARE(result.rank, int64_t(11));
    for (const auto& m : modules) {
      const double diff = max_abs_diff(written_delta(out, m), expected_delta(kGoldenBlend, m));
      QVERIFY2(diff <= 1e-5, qPrintable(QString::fromStdString(m) + ": " + QString::number(diff)));
    }
  }

  void written_adapter_reads_back() {
    // The blend's own output (rank_pattern / alpha_pattern keys it chose) is a valid input.
    const std::string first = fresh_dir(), second = fresh_dir();
    loralab::blend_adapters(blend_inputs(kGoldenBlend), "cat", 0, first);
    auto again = loralab::blend_adapters({{first, 1.0}}, "cat", 0, second);
    QVERIFY(again.exact);
    for (const auto& m : modules_of(first))
      QVERIFY(max_abs_diff(written_delta(second, m), written_delta(first, m)) <= 1e-6);
    // And at weight -2 the change doubles and flips.
    const std::string third = fresh_dir();
    loralab::blend_adapters({{first, -2.0}}, "cat", 0, third);
    for (const auto& m : modules_of(first)) {
      auto want = written_delta(first, m);
      for (auto& value : want.v) value *= -2;
      QVERIFY(max_abs_diff(written_delta(third, m), want) <= 1e-5);
    }
  }

  // ---------------------------------------------------------------- svd

  void svd_error_falls_with_rank() {
    double previous = INFINITY;
    for (int64_t k : {1, 2, 4, 8, 11}) {
      const std::string out = fresh_dir();
      auto result = loralab::blend_adapters(blend_inputs(kGoldenBlend), "svd", k, out);
      QCOMPARE(result.rank, k);
      // The reported error is what the written factors really achieve.
      double worst = 0;
      for (const auto& m : modules_of(out)) {
        auto want = expected_delta(kGoldenBlend, m);
        Matrix diff = written_delta(out, m);
        for (size_t i = 0; i < diff.v.size(); ++i) diff.v[i] -= want.v[i];
        worst = std::max(worst, frobenius(diff) / frobenius(want));
      }
      QVERIFY2(std::abs(worst - result.max_relative_error) <= 1e-6,
               qPrintable(QString("k=%1: reported %2, measured %3").arg(k).arg(result.max_relative_error).arg(worst)));
      if (k < 11) {
        QVERIFY(!result.exact);
        QVERIFY2(result.max_relative_error < previous && result.max_relative_error > 1e-3,
                 qPrintable(QString("k=%1: %2 after %3").arg(k).arg(result.max_relative_error).arg(previous)));
      } else {
        // 11 = the largest stacked rank: every module keeps everything.
        QVERIFY(result.exact);
        QVERIFY2(result.max_relative_error <= 1e-5, qPrintable(QString::number(result.max_relative_error)));
      }
      previous = result.max_relative_error;
    }
  }

  void svd_default_rank_and_clamping() {
    // No rank: the largest input rank (PEFT's default). A huge rank is clamped per module to what
    // ΔW can have (the stacked rank, at most min(out, in)).
    const std::string out = fresh_dir();
    auto result = loralab::blend_adapters(blend_inputs(kGoldenBlend), "svd", 0, out);
    QCOMPARE(result.rank, int64_t(6));
    const std::string big = fresh_dir();
    auto full = loralab::blend_adapters(blend_inputs(kGoldenBlend), "svd", 1000, big);
    QVERIFY(full.exact);
    QVERIFY(full.max_relative_error <= 1e-5);
    auto file = st::File::open(big + "/adapter_model.safetensors");
    QCOMPARE(file.tensor(key("model.layers.0.self_attn.q_proj", "A")).info->shape[0], int64_t(6));  // 4 + 2
  }

  // ---------------------------------------------------------------- linear

  void linear_refuses_unequal_ranks() {
    const std::string x = make_adapter(2, 4, false, 20);
    const std::string y = make_adapter(3, 4, false, 21);
    const auto message = QString::fromStdString(
        error_of([&] { loralab::blend_adapters({{x, 1}, {y, 1}}, "linear", 0, fresh_dir()); }));
    QVERIFY2(message.contains("linear") && message.contains("rank") &&
                 message.contains(QString::fromStdString(kQ)),
             qPrintable(message));
  }

  void linear_follows_peft_and_says_not_exact() {
    const std::string x = make_adapter(2, 4, false, 30);
    const std::string y = make_adapter(2, 3, true, 31);
    const std::string out = fresh_dir();
    auto result = loralab::blend_adapters({{x, 0.8}, {y, -0.6}}, "linear", 0, out);
    QVERIFY(!result.exact);
    QVERIFY(QString::fromStdString(result.note).contains("not exact"));
    QCOMPARE(result.rank, int64_t(2));
    // A = Σ sign(c)·√|c|·A_i, B = Σ √|c|·B_i with c = λ s: here s_x = 4/2, s_y = 3/√2.
    const double cx = 0.8 * 2.0, cy = -0.6 * 3.0 / std::sqrt(2.0);
    auto fx = st::File::open(x + "/adapter_model.safetensors");
    auto fy = st::File::open(y + "/adapter_model.safetensors");
    auto fo = st::File::open(out + "/adapter_model.safetensors");
    for (const auto& m : {kQ, kV}) {
      auto ax = read_matrix(fx, key(m, "A")), ay = read_matrix(fy, key(m, "A"));
      auto bx = read_matrix(fx, key(m, "B")), by = read_matrix(fy, key(m, "B"));
      Matrix a = ax, b = bx;
      for (size_t i = 0; i < a.v.size(); ++i) a.v[i] = std::sqrt(cx) * ax.v[i] - std::sqrt(-cy) * ay.v[i];
      for (size_t i = 0; i < b.v.size(); ++i) b.v[i] = std::sqrt(cx) * bx.v[i] + std::sqrt(-cy) * by.v[i];
      QVERIFY(max_abs_diff(read_matrix(fo, key(m, "A")), a) <= 1e-5);
      QVERIFY(max_abs_diff(read_matrix(fo, key(m, "B")), b) <= 1e-5);
    }
    QVERIFY(result.max_relative_error > 1e-2);  // the cross terms are real
  }

  // ---------------------------------------------------------------- the written files

  void written_config_has_peft_keys() {
    const std::string out = fresh_dir();
    loralab::blend_adapters(blend_inputs(kGoldenBlend), "cat", 0, out);
    QFile file(QString::fromStdString(out + "/adapter_config.json"));
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray text = file.readAll();
    QJsonParseError error;
    const auto config = QJsonDocument::fromJson(text, &error).object();
    QCOMPARE(error.error, QJsonParseError::NoError);
    const QStringList keys = {"alpha_pattern", "base_model_name_or_path", "bias", "fan_in_fan_out",
                              "inference_mode", "init_lora_weights", "layers_pattern",
                              "layers_to_transform", "lora_alpha", "lora_dropout", "modules_to_save",
                              "peft_type", "r", "rank_pattern", "revision", "target_modules",
                              "task_type", "use_dora", "use_rslora"};
    for (const auto& k : keys) QVERIFY2(config.contains(k), qPrintable(k));
    QCOMPARE(config["peft_type"].toString(), QString("LORA"));
    QCOMPARE(config["task_type"].toString(), QString("CAUSAL_LM"));
    QCOMPARE(config["bias"].toString(), QString("none"));
    QCOMPARE(config["use_dora"].toBool(true), false);
    QCOMPARE(config["use_rslora"].toBool(true), false);
    QCOMPARE(config["fan_in_fan_out"].toBool(true), false);
    QCOMPARE(config["inference_mode"].toBool(false), true);
    QCOMPARE(config["init_lora_weights"].toBool(false), true);
    QVERIFY(config["modules_to_save"].isNull());
    QVERIFY(config["revision"].isNull());
    QVERIFY(config["layers_pattern"].isNull());
    QVERIFY(config["rank_pattern"].isObject() && config["alpha_pattern"].isObject());
    QVERIFY(config["target_modules"].isArray());
    QCOMPARE(config["base_model_name_or_path"].toString(), QString("llama_f32"));  // shared by inputs
    // Every module's scaling is 1: alpha equals r, and each rank_pattern key has its alpha.
    QCOMPARE(config["lora_alpha"].toDouble(), config["r"].toDouble());
    const auto ranks = config["rank_pattern"].toObject();
    QVERIFY(!ranks.isEmpty());
    for (auto it = ranks.begin(); it != ranks.end(); ++it)
      QCOMPARE(config["alpha_pattern"].toObject()[it.key()].toDouble(), it.value().toDouble());
    // PEFT's layout: keys sorted, indent 2.
    QStringList order;
    for (const auto& line : text.split('\n'))
      if (line.startsWith("  \"")) order << QString::fromUtf8(line.mid(3, line.indexOf('"', 3) - 3));
    QCOMPARE(order.size(), config.size());
    QStringList sorted = order;
    sorted.sort();
    QCOMPARE(order, sorted);
    // Provenance in __metadata__.
    auto header = st::File::open(out + "/adapter_model.safetensors").header();
    QCOMPARE(header.metadata.at("format"), std::string("pt"));
    const auto blend = QJsonDocument::fromJson(QByteArray::fromStdString(header.metadata.at("loralab_blend"))).object();
    QCOMPARE(blend["method"].toString(), QString("cat"));
    QCOMPARE(blend["inputs"].toArray().size(), 3);
    QCOMPARE(blend["inputs"].toArray()[1].toObject()["weight"].toDouble(), -0.5);
    QVERIFY(blend["inputs"].toArray()[0].toObject()["dir"].toString().endsWith("adapters/qv"));
    QVERIFY(header.metadata.count("loralab_version"));
    // Tensors: float32, PEFT's names, nothing else.
    for (const auto& t : header.tensors) {
      QCOMPARE(t.dtype, st::DType::F32);
      QVERIFY(QString::fromStdString(t.name).startsWith("base_model.model.model.layers."));
    }
  }

  void overwrites_an_existing_folder_in_place() {
    const std::string out = fresh_dir();
    QDir().mkpath(QString::fromStdString(out));
    QFile readme(QString::fromStdString(out + "/README.md"));
    QVERIFY(readme.open(QIODevice::WriteOnly));
    readme.write("notes\n");
    readme.close();
    loralab::blend_adapters({{kData + "/adapters/qv", 1.0}}, "cat", 0, out);
    loralab::blend_adapters({{kData + "/adapters/ov_layer1_bf16", 1.0}}, "cat", 0, out);
    QStringList entries = QDir(QString::fromStdString(out)).entryList(QDir::Files | QDir::Dirs | QDir::Hidden |
                                                                       QDir::NoDotAndDotDot);
    entries.sort();
    QCOMPARE(entries, (QStringList{"README.md", "adapter_config.json", "adapter_model.safetensors"}));
    QCOMPARE(modules_of(out).size(), size_t(2));  // the second blend's modules only
    QCOMPARE(read_json(QString::fromStdString(out + "/adapter_config.json"))["r"].toInt(), 3);
    // No temp folder next to a freshly created one either.
    const QStringList siblings = QDir(tmp_.path()).entryList(QDir::Hidden | QDir::AllEntries | QDir::NoDotAndDotDot);
    for (const auto& name : siblings) QVERIFY2(!name.contains(".tmp-"), qPrintable(name));
  }
};

QTEST_GUILESS_MAIN(TestPeftIo)
#include "test_peft_io.moc"
