// The engine's batch-1 decoding path (engine/src/sample/fast_decode.cpp and decode_kernels.cpp):
// each kernel against a double-precision loop on odd shapes; decoded logits (one token at a time
// through the KV cache, growing it past its first capacity) against the full LibTorch forward and
// against the LibTorch cache path (LORALAB_DECODE=torch), on a GQA model with an untied head, with
// live adapters at positive and negative λ, merged, and with the golden adapter blend; the sampler
// giving the same tokens on both paths. Tolerances: 1e-5 relative for kernels (float32 sums in
// another order), 1e-4 absolute for logits of order 1 (as the golden fixtures).
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

#include <cmath>
#include <functional>
#include <random>

#include "loralab/lora.h"
#include "loralab/model.h"
#include "loralab/sampler.h"
#include "sample/decode_kernels.h"

using namespace loralab;
namespace kernels = loralab::sample::kernels;

namespace {

std::vector<float> random_values(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = normal(rng);
  return v;
}

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(double(a[i]) - b[i]));
  return a.size() == b.size() ? worst : INFINITY;
}

// Sets LORALAB_DECODE=torch for its lifetime.
struct LibTorchDecoding {
  LibTorchDecoding() { qputenv("LORALAB_DECODE", "torch"); }
  ~LibTorchDecoding() { qunsetenv("LORALAB_DECODE"); }
};

ModelConfig gqa_config() {
  ModelConfig config;
  config.hidden_size = 96;  // head_dim 24: not a multiple of the 8-float vectors
  config.intermediate_size = 200;
  config.num_hidden_layers = 3;
  config.num_attention_heads = 4;
  config.num_key_value_heads = 2;
  config.vocab_size = 301;
  config.tie_word_embeddings = false;
  return config;
}

std::vector<int32_t> token_run(size_t n, int vocab) {
  std::vector<int32_t> tokens;
  for (size_t i = 0; i < n; ++i) tokens.push_back(static_cast<int32_t>((5 + 37 * i + i * i) % vocab));
  return tokens;
}

// Adds a seeded gaussian-init adapter and makes its B non-zero (PiSSA does that for us).
void add_live_adapter(Model& model, const std::string& name, const std::vector<std::string>& targets,
                      int64_t rank, bool rslora, uint64_t seed) {
  LoraSpec spec;
  spec.rank = rank;
  spec.alpha = 2.0 * rank;
  spec.rslora = rslora;
  spec.target_modules = targets;
  spec.init = "pissa";
  spec.seed = seed;
  add_adapter(model, name, spec);
}

QString data_path(const QString& relative) { return QString(LORALAB_TEST_DATA "/") + relative; }

}  // namespace

class TestFastDecode : public QObject {
  Q_OBJECT
 private slots:
  void matvec_matches_double_loops_data() {
    QTest::addColumn<int>("rows");
    QTest::addColumn<int>("cols");
    for (auto [r, c] : {std::pair{1, 1}, {3, 7}, {4, 8}, {5, 16}, {13, 33}, {64, 256}, {301, 96}})
      QTest::newRow(qPrintable(QString("%1x%2").arg(r).arg(c))) << r << c;
  }
  void matvec_matches_double_loops() {
    QFETCH(int, rows);
    QFETCH(int, cols);
    auto w = random_values(size_t(rows) * cols, 1), x = random_values(cols, 2);
    std::vector<float> y(rows), acc = random_values(rows, 3);
    auto acc_start = acc;
    kernels::matvec(w.data(), x.data(), y.data(), rows, cols);
    kernels::matvec_add(w.data(), x.data(), acc.data(), rows, cols, -0.75f);
    for (int r = 0; r < rows; ++r) {
      double sum = 0, magnitude = 0;
      for (int c = 0; c < cols; ++c) {
        sum += double(w[size_t(r) * cols + c]) * x[c];
        magnitude += std::abs(double(w[size_t(r) * cols + c]) * x[c]);
      }
      QVERIFY2(std::abs(y[r] - sum) <= 1e-5 * (magnitude + 1), qPrintable(QString("row %1").arg(r)));
      QVERIFY(std::abs(acc[r] - (acc_start[r] - 0.75 * sum)) <= 1e-5 * (magnitude + 1));
    }
  }

  void add_transposed_matches_double_loops_data() {
    QTest::addColumn<int>("rows");
    QTest::addColumn<int>("rank");
    for (auto [r, n] : {std::pair{1, 1}, {7, 3}, {8, 16}, {32, 5}, {45, 48}, {301, 13}})
      QTest::newRow(qPrintable(QString("%1x%2").arg(r).arg(n))) << r << n;
  }
  void add_transposed_matches_double_loops() {
    // y += B z with B (rows × rank) stored transposed: the stacked low-rank pass of live adapters.
    QFETCH(int, rows);
    QFETCH(int, rank);
    auto bt = random_values(size_t(rows) * rank, 14), z = random_values(rank, 15),
         y = random_values(rows, 16);
    const auto start = y;
    kernels::add_transposed(bt.data(), z.data(), y.data(), rows, rank);
    for (int r = 0; r < rows; ++r) {
      double sum = start[r], magnitude = std::abs(start[r]);
      for (int j = 0; j < rank; ++j) {
        sum += double(bt[size_t(j) * rows + r]) * z[j];
        magnitude += std::abs(double(bt[size_t(j) * rows + r]) * z[j]);
      }
      QVERIFY2(std::abs(y[r] - sum) <= 1e-5 * (magnitude + 1), qPrintable(QString("row %1").arg(r)));
    }
  }

  void vector_kernels_match_double_loops() {
    const int n = 37;
    auto x = random_values(n, 4), weight = random_values(n, 5);
    std::vector<float> out(n);
    kernels::rms_norm(x.data(), weight.data(), out.data(), n, 1e-5);
    double mean_square = 0;
    for (float v : x) mean_square += double(v) * v / n;
    for (int i = 0; i < n; ++i)
      QVERIFY(std::abs(out[i] - weight[i] * x[i] / std::sqrt(mean_square + 1e-5)) < 1e-5);

    auto gate = random_values(n, 6), up = random_values(n, 7);
    auto product = gate;
    kernels::silu_mul(product.data(), up.data(), n);
    for (int i = 0; i < n; ++i)
      QVERIFY(std::abs(product[i] - gate[i] / (1 + std::exp(-double(gate[i]))) * up[i]) < 1e-5);

    // Two heads of 6: v ⊙ cos + rotate_half(v) ⊙ sin, with the sign of rotate_half in the table.
    const int head_dim = 6, half = 3;
    auto v = random_values(2 * head_dim, 8), cos = random_values(head_dim, 9),
         sin = random_values(head_dim, 10);
    auto rotated = v;
    kernels::rotary(rotated.data(), 2, head_dim, cos.data(), sin.data(), 0.5f);
    for (int h = 0; h < 2; ++h)
      for (int i = 0; i < head_dim; ++i) {
        const float* x0 = v.data() + h * head_dim;
        const double swapped = i < half ? x0[i + half] : x0[i - half];
        const double expected = (x0[i] * double(cos[i]) + swapped * sin[i]) * 0.5;
        QVERIFY(std::abs(rotated[h * head_dim + i] - expected) < 1e-5);
      }
  }

  void attention_matches_double_softmax() {
    const int positions = 19, head_dim = 20;
    auto q = random_values(head_dim, 11), keys = random_values(positions * head_dim, 12),
         values = random_values(positions * head_dim, 13);
    std::vector<float> scores(positions), out(head_dim);
    kernels::attend(q.data(), keys.data(), values.data(), positions, head_dim, scores.data(),
                    out.data());
    std::vector<double> p(positions);
    double top = -INFINITY, total = 0;
    for (int s = 0; s < positions; ++s) {
      for (int i = 0; i < head_dim; ++i) p[s] += double(q[i]) * keys[s * head_dim + i];
      top = std::max(top, p[s]);
    }
    for (auto& value : p) total += (value = std::exp(value - top));
    for (int i = 0; i < head_dim; ++i) {
      double expected = 0;
      for (int s = 0; s < positions; ++s) expected += p[s] / total * values[s * head_dim + i];
      QVERIFY2(std::abs(out[i] - expected) < 1e-5, qPrintable(QString("dim %1").arg(i)));
    }
  }

  void decoded_logits_match_the_full_forward() {
    auto model = Model::random(gqa_config(), 21);
    add_live_adapter(*model, "up", {"q_proj", "v_proj", "gate_proj", "down_proj"}, 4, false, 22);
    add_live_adapter(*model, "down", {"all-linear"}, 3, true, 23);
    set_adapter_weight(*model, "down", -0.6);  // negative λ
    // 150 positions: the cache starts at 64 and grows twice on the way.
    const auto tokens = token_run(150, 301);
    for (const char* phase : {"live", "merged", "one disabled"}) {
      if (std::string(phase) == "merged") merge_adapters(*model);
      if (std::string(phase) == "one disabled") {
        unmerge_adapters(*model);
        set_adapter_enabled(*model, "up", false);
      }
      const auto full = model->logits(tokens);
      const auto decoded = model->logits_incremental(tokens);
      std::vector<float> libtorch;
      {
        LibTorchDecoding torch_only;
        libtorch = model->logits_incremental(tokens);
      }
      QVERIFY2(max_abs_diff(decoded, full) < 1e-4,
               qPrintable(QString("%1: kernels vs full forward %2").arg(phase).arg(max_abs_diff(decoded, full))));
      QVERIFY2(max_abs_diff(libtorch, full) < 1e-4, phase);
      // The kernels really ran: their sums are ordered differently from LibTorch's.
      QVERIFY2(decoded != libtorch, phase);
    }
  }

  void golden_blend_decodes_within_tolerance() {
    // Three PEFT adapters at λ 0.7, -0.5 and 1.3 against logits from the float64 Python reference
    // (tests/golden/make_adapter_fixtures.py), the same fixture test_lora checks the full forward on.
    QFile file(data_path("adapters/expected_blend.json"));
    QVERIFY(file.open(QIODevice::ReadOnly));
    const auto golden = QJsonDocument::fromJson(file.readAll()).object();
    auto model = Model::load(data_path(golden["model"].toString()).toStdString());
    int index = 0;
    for (auto a : golden["adapters"].toArray()) {
      auto info = load_adapter(*model, data_path(a.toObject()["dir"].toString()).toStdString(),
                               "a" + std::to_string(index++));
      set_adapter_weight(*model, info.name, a.toObject()["weight"].toDouble());
    }
    std::vector<int32_t> tokens;
    for (auto t : golden["tokens"].toArray()) tokens.push_back(t.toInt());
    const auto decoded = model->logits_incremental(tokens);
    const auto rows = golden["logits"].toArray();
    const size_t vocab = model->config().vocab_size;
    double worst = 0;
    for (int t = 0; t < rows.size(); ++t) {
      const auto row = rows[t].toArray();
      for (size_t v = 0; v < vocab; ++v)
        worst = std::max(worst, std::abs(decoded[t * vocab + v] - row[int(v)].toDouble()));
    }
    QVERIFY2(worst <= golden["atol"].toDouble(), qPrintable(QString("off by %1").arg(worst)));
  }

  void one_decoder_follows_every_blend_change() {
    // One Sampler keeps its decoder, whose per-module adapter stacks must be rebuilt whenever the
    // blend changes between generations: λ, enabling, adding and removing adapters.
    auto model = Model::random(gqa_config(), 41);
    add_live_adapter(*model, "a", {"attention-qkvo"}, 4, false, 42);
    add_live_adapter(*model, "b", {"q_proj", "up_proj"}, 6, true, 43);
    Sampler sampler(model);
    SampleSpec spec;
    spec.max_new_tokens = 40;
    spec.stop_at_eos = false;
    spec.temperature = 0.0;
    const std::vector<int32_t> prompt = {9, 2, 6};
    const std::vector<std::pair<const char*, std::function<void()>>> changes = {
        {"start", [] {}},
        {"λ of a to -0.8", [&] { set_adapter_weight(*model, "a", -0.8); }},
        {"b disabled", [&] { set_adapter_enabled(*model, "b", false); }},
        {"c added at 1.7", [&] {
           add_live_adapter(*model, "c", {"all-linear"}, 5, false, 44);
           set_adapter_weight(*model, "c", 1.7);  // at 1 a PiSSA adapter leaves the output as it was
         }},
        {"a removed", [&] { remove_adapter(*model, "a"); }},
        {"b back at 2.5", [&] {
           set_adapter_enabled(*model, "b", true);
           set_adapter_weight(*model, "b", 2.5);
         }},
        {"all at λ 0", [&] {
           set_adapter_weight(*model, "b", 0.0);
           set_adapter_weight(*model, "c", 0.0);
         }},
    };
    std::vector<int32_t> previous;
    for (const auto& [what, change] : changes) {
      change();
      const auto kernels_run = sampler.generate(prompt, spec).tokens;
      LibTorchDecoding torch_only;
      const auto libtorch_run = sampler.generate(prompt, spec).tokens;
      QVERIFY2(kernels_run == libtorch_run, what);
      QVERIFY2(kernels_run != previous, what);  // every change moved the greedy continuation
      previous = kernels_run;
    }
  }

  void sampler_gives_the_same_tokens_on_both_paths() {
    auto model = Model::random(gqa_config(), 31);
    add_live_adapter(*model, "style", {"attention-qkvo"}, 8, false, 32);
    set_adapter_weight(*model, "style", 1.4);
    Sampler sampler(model);
    SampleSpec spec;
    spec.max_new_tokens = 80;
    spec.stop_at_eos = false;
    for (double temperature : {0.0, 0.9}) {
      spec.temperature = temperature;
      spec.seed = 7;
      const std::vector<int32_t> prompt = {3, 14, 15};
      auto kernels_run = sampler.generate(prompt, spec);
      LibTorchDecoding torch_only;
      auto libtorch_run = sampler.generate(prompt, spec);
      QCOMPARE(kernels_run.tokens.size(), size_t(80));
      QVERIFY2(kernels_run.tokens == libtorch_run.tokens,
               qPrintable(QString("temperature %1").arg(temperature)));
    }
  }
};

QTEST_GUILESS_MAIN(TestFastDecode)
#include "test_fast_decode.moc"
