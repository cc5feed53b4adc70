// Sampler: determinism by seed (across runs, instances and thread counts), greedy = argmax of the
// uncached logits, top-k 1 = greedy, the logit pipeline on crafted rows (repetition penalty,
// temperature, top-k, top-p), EOS, stop strings, UTF-8-safe streaming, cancel and callback stops,
// spec validation, mean_log_likelihood against a log-softmax of Model::logits, Model::random.
#include <QtTest>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <set>

#include "loralab/error.h"
#include "loralab/lora.h"
#include "loralab/model.h"
#include "loralab/runtime.h"
#include "loralab/sampler.h"
#include "loralab/tokenizer.h"

using namespace loralab;

namespace {

std::shared_ptr<Model> fixture_model() {
  return Model::load(QString(LORALAB_TEST_DATA "/models/llama_f32").toStdString());
}

ModelConfig small_config(int64_t vocab) {
  ModelConfig config;
  config.hidden_size = 64;
  config.intermediate_size = 128;
  config.num_hidden_layers = 2;
  config.num_attention_heads = 4;
  config.num_key_value_heads = 2;
  config.vocab_size = vocab;
  config.tie_word_embeddings = true;
  return config;
}

Tokenizer tiny_tokenizer() {
  return Tokenizer::load(QString(LORALAB_TEST_DATA "/tokenizer/tiny_gpt2.json").toStdString());
}

size_t argmax(const std::vector<float>& v) {
  return static_cast<size_t>(std::max_element(v.begin(), v.end()) - v.begin());
}

SampleSpec sampling_spec(int tokens, uint64_t seed) {
  SampleSpec spec;
  spec.max_new_tokens = tokens;
  spec.temperature = 1.0;
  spec.top_k = 0;
  spec.seed = seed;
  spec.stop_at_eos = false;
  return spec;
}

// Expects `call` to throw loralab::Error whose message contains `needle`.
template <typename F>
void expect_error(F call, const QString& needle) {
  try {
    call();
  } catch (const Error& error) {
    QVERIFY2(QString(error.what()).contains(needle),
             qPrintable("message '" + QString(error.what()) + "' lacks '" + needle + "'"));
    return;
  }
  QFAIL(qPrintable("no error thrown; expected one naming " + needle));
}

std::vector<double> softmax(const std::vector<double>& x) {
  double top = *std::max_element(x.begin(), x.end()), total = 0;
  std::vector<double> out;
  for (double v : x) total += std::exp(v - top);
  for (double v : x) out.push_back(std::exp(v - top) / total);
  return out;
}

void expect_close(const std::vector<double>& got, const std::vector<double>& want) {
  QCOMPARE(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i)
    QVERIFY2(std::abs(got[i] - want[i]) < 1e-6,
             qPrintable(QString("p[%1] = %2, expected %3").arg(i).arg(got[i]).arg(want[i])));
}

bool valid_utf8(const std::string& s) {
  return QString::fromUtf8(s.data(), qsizetype(s.size())).toUtf8() ==
         QByteArray(s.data(), qsizetype(s.size()));
}

}  // namespace

class TestSampler : public QObject {
  Q_OBJECT
 private slots:
  void same_seed_same_tokens_different_seed_differs() {
    // A random model's next-token distribution is near-uniform (the fixture's locks into a loop).
    auto model = Model::random(small_config(128), 5);
    Sampler a(model), b(model);
    const std::vector<int32_t> prompt = {1, 17, 42};
    auto first = a.generate(prompt, sampling_spec(40, 7));
    auto again = a.generate(prompt, sampling_spec(40, 7));
    auto other_instance = b.generate(prompt, sampling_spec(40, 7));
    auto other_seed = a.generate(prompt, sampling_spec(40, 8));
    QCOMPARE(first.tokens.size(), size_t(40));
    QCOMPARE(first.stop_reason, StopReason::MaxTokens);
    QCOMPARE(first.prompt_tokens, int64_t(3));
    QVERIFY(first.tokens == again.tokens);
    QVERIFY(first.tokens == other_instance.tokens);
    QVERIFY(first.tokens != other_seed.tokens);
    // Not degenerate: a near-uniform draw over 128 ids visits many of them.
    QVERIFY(std::set<int32_t>(first.tokens.begin(), first.tokens.end()).size() > 10);
  }

  void same_seed_same_tokens_on_one_and_two_threads() {
    auto model = Model::random(small_config(256), 11);
    Sampler sampler(model);
    SampleSpec spec = sampling_spec(64, 5);
    spec.temperature = 0.8;
    spec.top_k = 40;
    const int before = compute_threads();
    set_compute_threads(2);
    sampler.set_threads(1);
    QCOMPARE(sampler.generation_threads(), 1);
    auto one = sampler.generate({3, 4, 5}, spec);
    sampler.set_threads(2);
    QCOMPARE(sampler.generation_threads(), 2);
    auto two = sampler.generate({3, 4, 5}, spec);
    QVERIFY(one.tokens == two.tokens);
    // The generation's thread count was the caller's thread only, and is restored after it.
    QCOMPARE(compute_threads(), 2);
    set_compute_threads(before);
  }

  void small_models_decode_on_one_thread_by_default() {
    const int before = compute_threads();
    set_compute_threads(2);
    Sampler sampler(Model::random(small_config(256), 1));
    QCOMPARE(sampler.generation_threads(), 1);
    sampler.generate({1, 2}, sampling_spec(4, 1));
    QCOMPARE(compute_threads(), 2);
    set_compute_threads(before);
    expect_error([&] { sampler.set_threads(-1); }, "set_threads");
  }

  void temperature_zero_is_argmax_of_uncached_logits() {
    auto model = fixture_model();
    Sampler sampler(model);
    SampleSpec spec;
    spec.temperature = 0;
    spec.max_new_tokens = 12;
    spec.stop_at_eos = false;
    std::vector<int32_t> seq = {1, 30, 64, 5};
    auto result = sampler.generate(seq, spec);
    QCOMPARE(result.tokens.size(), size_t(12));
    for (int32_t id : result.tokens) {
      QCOMPARE(size_t(id), argmax(model->last_logits(seq)));
      seq.push_back(id);
    }
  }

  void top_k_one_is_greedy() {
    auto model = fixture_model();
    Sampler sampler(model);
    SampleSpec greedy;
    greedy.temperature = 0;
    greedy.max_new_tokens = 20;
    greedy.stop_at_eos = false;
    SampleSpec top1 = greedy;
    top1.temperature = 0.8;
    top1.top_k = 1;
    top1.seed = 1234;
    QVERIFY(sampler.generate({1, 2, 3}, greedy).tokens == sampler.generate({1, 2, 3}, top1).tokens);
  }

  void logit_pipeline_on_crafted_rows() {
    const std::vector<float> logits = {2.0f, -2.0f, 1.0f, 0.5f};
    SampleSpec plain;
    plain.temperature = 1.0;
    plain.top_k = 0;
    expect_close(next_token_probabilities(logits, {}, plain), softmax({2, -2, 1, 0.5}));

    // Repetition penalty 2 on seen {0, 1} (1 twice): 2 → 1, -2 → -4, the rest untouched.
    SampleSpec penalised = plain;
    penalised.repetition_penalty = 2.0;
    const std::vector<int32_t> seen = {0, 1, 1};
    expect_close(next_token_probabilities(logits, seen, penalised), softmax({1, -4, 1, 0.5}));
    // A penalty below 1 rewards instead: 2 → 4, -2 → -1.
    penalised.repetition_penalty = 0.5;
    expect_close(next_token_probabilities(logits, seen, penalised), softmax({4, -1, 1, 0.5}));

    SampleSpec hot = plain;
    hot.temperature = 2.0;
    expect_close(next_token_probabilities(logits, {}, hot), softmax({1, -1, 0.5, 0.25}));

    SampleSpec top2 = plain;
    top2.top_k = 2;
    auto two = softmax({2, 1});
    expect_close(next_token_probabilities(logits, {}, top2), {two[0], 0, two[1], 0});

    // Nucleus: probabilities .5 .3 .15 .05; top_p .6 keeps the first two, renormalised.
    const std::vector<float> nucleus_row = {std::log(0.15f), std::log(0.5f), std::log(0.05f),
                                            std::log(0.3f)};
    SampleSpec nucleus = plain;
    nucleus.top_p = 0.6;
    expect_close(next_token_probabilities(nucleus_row, {}, nucleus), {0, 0.625, 0, 0.375});
    nucleus.top_p = 0.9;
    expect_close(next_token_probabilities(nucleus_row, {}, nucleus),
                 {0.15 / 0.95, 0.5 / 0.95, 0, 0.3 / 0.95});

    SampleSpec greedy = plain;
    greedy.temperature = 0;
    expect_close(next_token_probabilities(logits, {}, greedy), {1, 0, 0, 0});
    greedy.repetition_penalty = 4.0;  // 2 → 0.5 on a seen 0: now 1.0 (id 2) wins
    expect_close(next_token_probabilities(logits, std::vector<int32_t>{0}, greedy), {0, 0, 1, 0});
  }

  void greedy_with_repetition_penalty_follows_penalised_logits() {
    auto model = fixture_model();
    Sampler sampler(model);
    SampleSpec spec;
    spec.temperature = 0;
    spec.repetition_penalty = 1.8;
    spec.max_new_tokens = 10;
    spec.stop_at_eos = false;
    std::vector<int32_t> seq = {1, 30, 64};
    auto result = sampler.generate(seq, spec);
    for (int32_t id : result.tokens) {
      auto logits = model->last_logits(seq);
      for (int32_t seen : std::set<int32_t>(seq.begin(), seq.end())) {
        float& v = logits[size_t(seen)];
        v = v > 0 ? v / 1.8f : v * 1.8f;
      }
      QCOMPARE(size_t(id), argmax(logits));
      seq.push_back(id);
    }
  }

  void stops_at_eos() {
    auto plain_config = small_config(256);
    auto model = Model::random(plain_config, 3);
    SampleSpec spec = sampling_spec(30, 9);
    auto full = Sampler(model).generate({5, 6}, spec);
    size_t j = 2;
    while (j < full.tokens.size() &&
           std::find(full.tokens.begin(), full.tokens.begin() + long(j), full.tokens[j]) !=
               full.tokens.begin() + long(j))
      ++j;
    QVERIFY(j < full.tokens.size());

    auto eos_config = plain_config;
    eos_config.eos_token_ids = {full.tokens[j]};
    Sampler with_eos(Model::random(eos_config, 3));  // same seed: same weights
    spec.stop_at_eos = true;
    auto stopped = with_eos.generate({5, 6}, spec);
    QCOMPARE(stopped.stop_reason, StopReason::Eos);
    QVERIFY(stopped.tokens == std::vector<int32_t>(full.tokens.begin(), full.tokens.begin() + long(j)));
    spec.stop_at_eos = false;
    QVERIFY(with_eos.generate({5, 6}, spec).tokens == full.tokens);
  }

  void stop_string_ends_text_before_it() {
    auto tokenizer = tiny_tokenizer();
    auto model = Model::random(small_config(tokenizer.vocab_size()), 21);
    Sampler sampler(model);
    SampleSpec spec = sampling_spec(80, 4);
    auto full = sampler.generate_text(tokenizer, "Once upon a time", spec);
    QCOMPARE(full.text, tokenizer.decode(full.tokens));

    // A stop string made of two consecutive ASCII tokens from the middle of the output.
    std::string stop;
    for (size_t m = full.tokens.size() / 2; m + 1 < full.tokens.size() && stop.empty(); ++m) {
      auto piece = tokenizer.token_bytes(full.tokens[m]) + tokenizer.token_bytes(full.tokens[m + 1]);
      if (piece.size() >= 2 &&
          std::all_of(piece.begin(), piece.end(), [](char c) { return c > 0x20 && c < 0x7f; }))
        stop = piece;
    }
    QVERIFY(!stop.empty());
    const auto cut = full.text.find(stop);
    QVERIFY(cut != std::string::npos);

    spec.stop_strings = {"\xE2\x9C\x93 never produced", stop};
    std::string streamed;
    auto result = sampler.generate_text(tokenizer, "Once upon a time", spec,
                                        [&](std::string_view piece) {
                                          streamed += piece;
                                          return true;
                                        });
    QCOMPARE(result.stop_reason, StopReason::StopString);
    QCOMPARE(result.text, full.text.substr(0, cut));
    QCOMPARE(streamed, result.text);
    QVERIFY(result.tokens.size() < full.tokens.size());
    QVERIFY(std::equal(result.tokens.begin(), result.tokens.end(), full.tokens.begin()));

    // Stop strings need text: the token-level API refuses them by name.
    expect_error([&] { sampler.generate({1, 2}, spec); }, "stop_strings");
  }

  void streamed_text_never_splits_a_character() {
    auto tokenizer = tiny_tokenizer();
    auto model = Model::random(small_config(tokenizer.vocab_size()), 8);
    Sampler sampler(model);
    SampleSpec spec = sampling_spec(400, 17);
    std::vector<std::string> pieces;
    auto result = sampler.generate_text(tokenizer, std::vector<int32_t>{10, 11}, spec,
                                        [&](std::string_view piece) {
                                          pieces.emplace_back(piece);
                                          return true;
                                        });
    std::string joined;
    for (const auto& piece : pieces) {
      QVERIFY2(valid_utf8(piece), "a streamed piece is not valid UTF-8");
      joined += piece;
    }
    QCOMPARE(joined, tokenizer.decode(result.tokens));
    QCOMPARE(joined, result.text);
    // Random byte tokens form real multi-byte characters (not only U+FFFD) in this sample, so
    // some pieces were held back and released whole.
    const QString text = QString::fromStdString(joined);
    QVERIFY(std::any_of(text.begin(), text.end(),
                        [](QChar c) { return c.unicode() >= 0x80 && c.unicode() != 0xFFFD; }));
  }

  void cancel_flag_stops_generation() {
    auto model = fixture_model();
    Sampler sampler(model);
    std::atomic<bool> cancel{false};
    int seen = 0;
    auto result = sampler.generate({1, 2, 3}, sampling_spec(50, 1), [&](int32_t) {
      if (++seen == 5) cancel = true;
      return true;
    }, &cancel);
    QCOMPARE(result.stop_reason, StopReason::Cancelled);
    QCOMPARE(result.tokens.size(), size_t(5));
    // Already cancelled: nothing is generated.
    auto none = sampler.generate({1, 2, 3}, sampling_spec(50, 1), {}, &cancel);
    QCOMPARE(none.stop_reason, StopReason::Cancelled);
    QVERIFY(none.tokens.empty());
  }

  void callback_returning_false_stops() {
    auto model = fixture_model();
    Sampler sampler(model);
    std::vector<int32_t> delivered;
    auto result = sampler.generate({1, 2, 3}, sampling_spec(50, 2), [&](int32_t id) {
      delivered.push_back(id);
      return delivered.size() < 3;
    });
    QCOMPARE(result.stop_reason, StopReason::Callback);
    QCOMPARE(result.tokens.size(), size_t(3));
    QVERIFY(delivered == result.tokens);

    auto tokenizer = tiny_tokenizer();
    Sampler text_sampler(Model::random(small_config(tokenizer.vocab_size()), 2));
    int calls = 0;
    auto text = text_sampler.generate_text(tokenizer, "abc", sampling_spec(60, 3),
                                           [&](std::string_view) { return ++calls < 4; });
    QCOMPARE(text.stop_reason, StopReason::Callback);
    QCOMPARE(calls, 4);
    QVERIFY(text.tokens.size() < 60);
  }

  void invalid_spec_fields_are_named() {
    auto model = fixture_model();
    Sampler sampler(model);
    auto run = [&](auto mutate) {
      SampleSpec spec;
      mutate(spec);
      sampler.generate({1, 2}, spec);
    };
    expect_error([&] { run([](SampleSpec& s) { s.temperature = -0.1; }); }, "temperature");
    expect_error([&] { run([](SampleSpec& s) { s.temperature = NAN; }); }, "temperature");
    expect_error([&] { run([](SampleSpec& s) { s.top_k = -1; }); }, "top_k");
    expect_error([&] { run([](SampleSpec& s) { s.top_p = 0; }); }, "top_p");
    expect_error([&] { run([](SampleSpec& s) { s.top_p = 1.5; }); }, "top_p");
    expect_error([&] { run([](SampleSpec& s) { s.repetition_penalty = 0; }); },
                 "repetition_penalty");
    expect_error([&] { run([](SampleSpec& s) { s.max_new_tokens = -1; }); }, "max_new_tokens");
    expect_error([&] { sampler.generate({}, SampleSpec{}); }, "prompt");
    expect_error([&] { sampler.generate({1, 500}, SampleSpec{}); }, "500");
    SampleSpec empty_stop;
    empty_stop.stop_strings = {""};
    expect_error([&] { empty_stop.validate(); }, "stop_strings[0]");
  }

  void mean_log_likelihood_matches_log_softmax_of_logits() {
    auto model = fixture_model();
    const std::vector<int32_t> tokens = {1, 40, 7, 99, 3, 3, 120, 64, 2};
    const size_t vocab = size_t(model->config().vocab_size);
    auto logits = model->logits(tokens);
    auto reference = [&](size_t from) {
      double sum = 0;
      for (size_t t = from; t < tokens.size(); ++t) {
        const float* row = logits.data() + (t - 1) * vocab;
        double top = *std::max_element(row, row + vocab), total = 0;
        for (size_t v = 0; v < vocab; ++v) total += std::exp(double(row[v]) - top);
        sum += double(row[tokens[t]]) - top - std::log(total);
      }
      return sum / double(tokens.size() - from);
    };
    QVERIFY(std::abs(mean_log_likelihood(*model, tokens) - reference(1)) < 1e-5);
    QVERIFY(std::abs(mean_log_likelihood(*model, tokens, 4) - reference(4)) < 1e-5);
    QVERIFY(reference(1) < 0);
    expect_error([&] { mean_log_likelihood(*model, tokens, 0); }, "score_from");
    expect_error([&] { mean_log_likelihood(*model, {5}); }, "nothing to score");
  }

  // The playground moves λ while a story streams: the next token must see the new weight. A PiSSA
  // adapter is exact at λ = 1 (its part of W0 moved into B A) and changes the model at any other λ.
  void adapter_weight_changed_mid_generation_applies_to_the_next_token() {
    auto model = Model::random(small_config(256), 4);
    const std::vector<int32_t> prompt = {9, 8, 7};
    SampleSpec greedy;
    greedy.temperature = 0;
    greedy.max_new_tokens = 16;
    greedy.stop_at_eos = false;
    Sampler sampler(model);
    auto base = sampler.generate(prompt, greedy);
    const double base_ll = mean_log_likelihood(*model, base.tokens);

    LoraSpec lora;
    lora.rank = 8;
    lora.alpha = 8;
    lora.init = "pissa";
    lora.target_modules = {"all-linear"};
    add_adapter(*model, "style", lora);
    QVERIFY(std::abs(mean_log_likelihood(*model, base.tokens) - base_ll) < 1e-4);

    constexpr size_t kSwitch = 4;
    size_t delivered = 0;
    auto moved = sampler.generate(prompt, greedy, [&](int32_t) {
      if (++delivered == kSwitch) set_adapter_weight(*model, "style", 6.0);
      return true;
    });
    QVERIFY(std::equal(base.tokens.begin(), base.tokens.begin() + kSwitch, moved.tokens.begin()));
    std::vector<int32_t> seq = prompt;
    seq.insert(seq.end(), moved.tokens.begin(), moved.tokens.begin() + kSwitch);
    for (size_t i = kSwitch; i < moved.tokens.size(); ++i) {
      QCOMPARE(size_t(moved.tokens[i]), argmax(model->last_logits(seq)));
      seq.push_back(moved.tokens[i]);
    }
    QVERIFY(moved.tokens != base.tokens);  // the new λ really changed the story
    // Style affinity: the re-weighted model explains the base story differently.
    QVERIFY(std::abs(mean_log_likelihood(*model, base.tokens) - base_ll) > 1e-3);
  }

  void random_model_is_seeded_and_checks_its_config() {
    auto config = small_config(96);
    auto a = Model::random(config, 1), b = Model::random(config, 1), c = Model::random(config, 2);
    QCOMPARE(a->config().head_dim, int64_t(16));
    QCOMPARE(a->config().num_key_value_heads, int64_t(2));
    QVERIFY(a->logits({1, 2, 3}) == b->logits({1, 2, 3}));
    QVERIFY(a->logits({1, 2, 3}) != c->logits({1, 2, 3}));
    // Incremental decoding on the random model agrees with the full forward.
    auto full = a->logits({4, 5, 6, 7}), incremental = a->logits_incremental({4, 5, 6, 7});
    for (size_t i = 0; i < full.size(); ++i) QVERIFY(std::abs(full[i] - incremental[i]) < 1e-5);
    auto bad = config;
    bad.num_key_value_heads = 3;
    expect_error([&] { Model::random(bad, 1); }, "num_key_value_heads");
    bad = config;
    bad.vocab_size = 0;
    expect_error([&] { Model::random(bad, 1); }, "vocab_size");
  }
};

QTEST_GUILESS_MAIN(TestSampler)
#include "test_sampler.moc"
