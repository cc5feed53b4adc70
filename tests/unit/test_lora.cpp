// LoRA on a real (tiny) model: identity inits, live weights λ, merge / exact unmerge, PEFT folders
// against golden logits from the float64 reference (tests/golden/make_adapter_fixtures.py),
// gradients reaching only A and B, blends, merged export, accounting and bad input.
#include <QtTest>

#include <cmath>

#include "loralab/error.h"
#include "loralab/lora.h"
#include "loralab/model.h"
#include "loralab/safetensors.h"

namespace {

const QString kData = LORALAB_TEST_DATA;

std::string data_path(const QString& relative) { return (kData + "/" + relative).toStdString(); }

QJsonObject read_json(const QString& relative) {
  QFile file(kData + "/" + relative);
  if (!file.open(QIODevice::ReadOnly)) qFatal("cannot open %s", qPrintable(file.fileName()));
  return QJsonDocument::fromJson(file.readAll()).object();
}

std::vector<int32_t> tokens_of(const QJsonObject& golden) {
  std::vector<int32_t> tokens;
  for (auto v : golden["tokens"].toArray()) tokens.push_back(v.toInt());
  return tokens;
}

double max_diff(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return INFINITY;
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(double(a[i]) - b[i]));
  return worst;
}

double max_diff_golden(const std::vector<float>& got, const QJsonObject& golden) {
  double worst = 0;
  size_t i = 0;
  for (auto row : golden["logits"].toArray())
    for (auto v : row.toArray()) {
      if (i >= got.size()) return INFINITY;
      worst = std::max(worst, std::abs(double(got[i++]) - v.toDouble()));
    }
  return i == got.size() ? worst : INFINITY;
}

QString error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const loralab::Error& e) {
    return e.what();
  }
  return {};
}

std::shared_ptr<loralab::Model> base_model() { return loralab::Model::load(data_path("models/llama_f32")); }

const std::vector<int32_t> kTokens = {3, 17, 99, 4, 56, 120, 7, 33};

}  // namespace

class TestLora : public QObject {
  Q_OBJECT
 private slots:
  void zero_b_inits_leave_logits_bit_identical() {
    auto model = base_model();
    const auto base = model->logits(kTokens);
    loralab::LoraSpec spec;
    spec.target_modules = {"all-linear"};
    spec.rank = 4;
    loralab::add_adapter(*model, "kaiming", spec);
    spec.init = "gaussian";
    loralab::add_adapter(*model, "gaussian", spec);
    QVERIFY(model->logits(kTokens) == base);  // exact, not approximate
  }

  void pissa_init_keeps_the_function() {
    auto model = base_model();
    const auto base = model->logits(kTokens);
    loralab::LoraSpec spec;
    spec.init = "pissa";
    spec.rank = 4;
    spec.alpha = 8;
    loralab::add_adapter(*model, "pissa", spec);
    QVERIFY2(max_diff(model->logits(kTokens), base) < 1e-4, "residual + s·B·A must equal W0");
  }

  void golden_adapters_data() {
    QTest::addColumn<QString>("expected");
    for (const char* n : {"expected_qv", "expected_rslora_patterns", "expected_ov_layer1_bf16",
                          "expected_blend"})
      QTest::newRow(n) << QString("adapters/%1.json").arg(n);
  }
  void golden_adapters() {
    QFETCH(QString, expected);
    auto golden = read_json(expected);
    auto model = loralab::Model::load(data_path(golden["model"].toString()));
    int index = 0;
    for (auto a : golden["adapters"].toArray()) {
      auto obj = a.toObject();
      auto info = loralab::load_adapter(*model, data_path(obj["dir"].toString()),
                                        "a" + std::to_string(index++));
      loralab::set_adapter_weight(*model, info.name, obj["weight"].toDouble());
    }
    const auto tokens = tokens_of(golden);
    const double atol = golden["atol"].toDouble();
    double live = max_diff_golden(model->logits(tokens), golden);
    QVERIFY2(live <= atol, qPrintable(QString("live forward off by %1").arg(live)));
    loralab::merge_adapters(*model);
    double merged = max_diff_golden(model->logits(tokens), golden);
    QVERIFY2(merged <= atol, qPrintable(QString("merged forward off by %1").arg(merged)));
  }

  void weights_switch_without_touching_weights() {
    auto model = base_model();
    const auto base = model->logits(kTokens);
    auto info = loralab::load_adapter(*model, data_path("adapters/qv"));
    QCOMPARE(info.name, std::string("qv"));
    const auto full = model->logits(kTokens);
    QVERIFY(max_diff(full, base) > 1e-2);  // the fixture adapter really changes the output
    loralab::set_adapter_weight(*model, "qv", 0.0);
    QVERIFY(model->logits(kTokens) == base);
    loralab::set_adapter_weight(*model, "qv", 1.0);
    QVERIFY(model->logits(kTokens) == full);
    loralab::set_adapter_enabled(*model, "qv", false);
    QVERIFY(model->logits(kTokens) == base);
    loralab::set_adapter_enabled(*model, "qv", true);
    loralab::set_adapter_weight(*model, "qv", -0.5);  // negative weights are allowed
    QVERIFY(max_diff(model->logits(kTokens), base) > 1e-3);
  }

  void merged_matches_live_and_unmerge_is_exact() {
    auto model = base_model();
    const auto base = model->logits(kTokens);
    loralab::load_adapter(*model, data_path("adapters/qv"));
    loralab::load_adapter(*model, data_path("adapters/rslora_patterns"));
    loralab::set_adapter_weight(*model, "qv", 0.6);
    loralab::set_adapter_weight(*model, "rslora_patterns", -1.2);
    const auto live = model->logits(kTokens);
    for (int cycle = 0; cycle < 100; ++cycle) {
      loralab::merge_adapters(*model);
      if (cycle == 0) QVERIFY(max_diff(model->logits(kTokens), live) < 1e-5);
      loralab::unmerge_adapters(*model);
    }
    QVERIFY(model->logits(kTokens) == live);
    loralab::set_adapter_enabled(*model, "qv", false);
    loralab::set_adapter_enabled(*model, "rslora_patterns", false);
    QVERIFY(model->logits(kTokens) == base);  // W0 restored bit for bit
    QVERIFY(error_of([&] {
              loralab::merge_adapters(*model);
              loralab::merge_adapters(*model);
            }).contains("unmerge"));
  }

  void gradients_reach_only_a_and_b() {
    auto model = base_model();
    loralab::load_adapter(*model, data_path("adapters/qv"));
    auto names = loralab::parameters_with_gradient(*model, kTokens);
    QVERIFY(!names.empty());
    int a = 0, b = 0;
    for (const auto& n : names) {
      QVERIFY2(n.find(".lora_A.") != std::string::npos || n.find(".lora_B.") != std::string::npos,
               n.c_str());
      a += n.find(".lora_A.") != std::string::npos;
      b += n.find(".lora_B.") != std::string::npos;
    }
    QCOMPARE(a, 4);  // q and v in two layers
    QCOMPARE(b, 4);
  }

  void targeting_presets_layers_and_patterns() {
    auto model = base_model();
    loralab::LoraSpec spec;
    spec.target_modules = {"attention-qkvo"};
    spec.layers_to_transform = {1};
    spec.rank_pattern = {{"q_proj", 2}};
    auto info = loralab::add_adapter(*model, "x", spec);
    QCOMPARE(info.modules.size(), size_t(4));
    for (const auto& m : info.modules) QVERIFY(m.rfind("model.layers.1.", 0) == 0);
    const auto& c = model->config();
    const int64_t h = c.hidden_size, kv = c.num_key_value_heads * c.head_dim;
    QCOMPARE(info.parameters, (h + h) * 2 + (h + kv) * 8 * 2 + (h + h) * 8);
    spec.target_modules = {};
    spec.target_regex = R"(.*\.layers\.0\.mlp\.(up|down)_proj)";
    spec.layers_to_transform = {};
    QCOMPARE(loralab::add_adapter(*model, "re", spec).modules.size(), size_t(2));
  }

  void accounting_matches_the_formula() {
    auto model = base_model();
    const auto& c = model->config();
    loralab::LoraSpec spec;
    spec.rank = 8;
    spec.target_modules = {"q_proj", "v_proj"};
    auto account = loralab::account_parameters(c, spec);
    const int64_t h = c.hidden_size, q = c.num_attention_heads * c.head_dim,
                  v = c.num_key_value_heads * c.head_dim;
    QCOMPARE(account.trainable, c.num_hidden_layers * ((h + q) * 8 + (h + v) * 8));
    QCOMPARE(account.adapted_full, c.num_hidden_layers * (h * q + h * v));
    QCOMPARE(account.base_total, model->parameter_count());
    QCOMPARE(account.adam_bytes_fp32, account.trainable * 8);
    QVERIFY(account.share_of_base > 0 && account.share_of_base < 1);
  }

  void merged_export_equals_live_blend() {
    QTemporaryDir dir;
    auto model = base_model();
    loralab::load_adapter(*model, data_path("adapters/qv"));
    loralab::load_adapter(*model, data_path("adapters/ov_layer1_bf16"));
    loralab::set_adapter_weight(*model, "qv", 0.7);
    loralab::set_adapter_weight(*model, "ov_layer1_bf16", -0.4);
    const auto live = model->logits(kTokens);
    const std::string out = (dir.path() + "/merged").toStdString();
    loralab::export_merged_model(*model, out);
    auto merged = loralab::Model::load(out);
    QVERIFY(max_diff(merged->logits(kTokens), live) < 1e-5);
    QCOMPARE(merged->config().torch_dtype, std::string("float32"));
    QVERIFY(error_of([&] { loralab::export_merged_model(*model, out); }).contains("not empty"));
    loralab::export_merged_model(*model, out + "-bf16", "bf16");
    auto file = loralab::st::File::open(out + "-bf16/model.safetensors");
    QCOMPARE(file.header().tensors.front().dtype, loralab::st::DType::BF16);
  }

  void cat_and_svd_blends_equal_the_live_forward() {
    QTemporaryDir dir;
    auto model = base_model();
    loralab::load_adapter(*model, data_path("adapters/qv"));
    loralab::load_adapter(*model, data_path("adapters/rslora_patterns"));
    loralab::set_adapter_weight(*model, "qv", 0.7);
    loralab::set_adapter_weight(*model, "rslora_patterns", -0.5);
    const auto live = model->logits(kTokens);
    const std::vector<loralab::BlendInput> inputs = {{data_path("adapters/qv"), 0.7},
                                                     {data_path("adapters/rslora_patterns"), -0.5}};
    for (const char* method : {"cat", "svd"}) {
      const std::string out = (dir.path() + "/" + method).toStdString();
      // svd at full rank (the hidden size) is exact up to rounding; cat is exact by construction.
      const int64_t rank = std::string(method) == "svd" ? model->config().hidden_size : 0;
      auto result = loralab::blend_adapters(inputs, method, rank, out);
      auto blended = base_model();
      loralab::load_adapter(*blended, out);
      double diff = max_diff(blended->logits(kTokens), live);
      QVERIFY2(diff < 1e-4, qPrintable(QString("%1 blend off by %2").arg(method).arg(diff)));
      QVERIFY(result.max_relative_error < 1e-5);
    }
  }

  void bad_adapters_are_refused_and_leave_the_model_untouched() {
    QTemporaryDir dir;
    auto model = base_model();
    const auto base = model->logits(kTokens);
    loralab::LoraSpec spec;
    spec.target_modules = {"q_prj"};
    auto message = error_of([&] { loralab::add_adapter(*model, "typo", spec); });
    QVERIFY2(message.contains("q_prj") && message.contains("q_proj") && message.contains("gate_proj"),
             qPrintable(message));
    spec.target_modules = {"attention-qz"};
    QVERIFY(error_of([&] { loralab::add_adapter(*model, "p", spec); }).contains("unknown preset"));
    spec.target_modules = {"q_proj"};
    spec.rank = 0;
    QVERIFY(error_of([&] { loralab::add_adapter(*model, "r0", spec); }).contains("rank"));

    // An adapter made for a wider model: the message names the tensor and both shapes.
    auto wide = loralab::Model::load(data_path("models/mistral_f32_theta"));
    loralab::LoraSpec ok;
    loralab::add_adapter(*wide, "wide", ok);
    const std::string wide_dir = (dir.path() + "/wide").toStdString();
    // B = 0 adapters are valid PEFT files; only their shapes matter here.
    loralab::save_adapter(*wide, "wide", wide_dir);
    message = error_of([&] { loralab::load_adapter(*model, wide_dir); });
    QVERIFY2(message.contains("adapter_model.safetensors") && message.contains("lora_") &&
                 message.contains("expects"),
             qPrintable(message));
    QVERIFY(loralab::list_adapters(*model).empty());
    QVERIFY(model->logits(kTokens) == base);
    QVERIFY(error_of([&] { loralab::set_adapter_weight(*model, "nope", 1); }).contains("nope"));
  }

  void save_and_reload_round_trip() {
    QTemporaryDir dir;
    auto model = base_model();
    loralab::load_adapter(*model, data_path("adapters/rslora_patterns"), "src");
    const auto live = model->logits(kTokens);
    const std::string out = (dir.path() + "/saved").toStdString();
    loralab::save_adapter(*model, "src", out, {{"run_id", "42"}});
    auto file = loralab::st::File::open(out + "/adapter_model.safetensors");
    QCOMPARE(file.header().metadata.at("run_id"), std::string("42"));
    QVERIFY(file.header().metadata.count("base_model_sha256"));
    auto again = base_model();
    loralab::load_adapter(*again, out);
    QVERIFY(again->logits(kTokens) == live);
  }
};

QTEST_APPLESS_MAIN(TestLora)
#include "test_lora.moc"
