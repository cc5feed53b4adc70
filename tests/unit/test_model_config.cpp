// config.json parsing (transformers' defaults per architecture, RoPE forms, token ids, every
// rejection naming its key), the to_json round trip, and model folder discovery on real folders.
#include <QtTest>

#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#include "loralab/error.h"
#include "loralab/model_config.h"

using loralab::Architecture;
using loralab::ModelConfig;
using loralab::ModelFolder;
using nlohmann::json;

namespace {

const std::string kModels = std::string(LORALAB_TEST_DATA) + "/models";
const char* const kFixtures[] = {"llama_f32", "llama_bf16_gqa", "qwen2_f16_bias",
                                 "mistral_f32_theta", "sharded_f32"};

json minimal(const char* architecture) {
  return {{"architectures", {architecture}}, {"hidden_size", 64},      {"intermediate_size", 128},
          {"num_hidden_layers", 2},          {"num_attention_heads", 32}, {"vocab_size", 256}};
}

ModelConfig parse(const json& config) { return ModelConfig::parse(config.dump(), "cfg.json"); }

// The message of the loralab::Error `fn` throws; empty when it does not throw.
QString error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const loralab::Error& error) {
    return QString::fromStdString(error.what());
  }
  return {};
}
QString parse_error(const json& config) {
  return error_of([&] { parse(config); });
}

void write_file(const QString& path, const std::string& text) {
  std::ofstream out(path.toStdString(), std::ios::binary);
  out << text;
}

}  // namespace

class TestModelConfig : public QObject {
  Q_OBJECT
 private slots:
  void llama_defaults() {
    ModelConfig c = parse(minimal("LlamaForCausalLM"));
    QCOMPARE(c.architecture, Architecture::Llama);
    QCOMPARE(c.num_key_value_heads, 32);  // absent → as many as the query heads
    QCOMPARE(c.head_dim, 2);              // hidden / heads
    QCOMPARE(c.rms_norm_eps, 1e-6);
    QCOMPARE(c.rope_theta, 10000.0);
    QVERIFY(c.rope_scaling.type.empty());
    QCOMPARE(c.max_position_embeddings, 2048);
    QVERIFY(!c.tie_word_embeddings);
    QVERIFY(!c.attention_bias);
    QVERIFY(!c.mlp_bias);
    QVERIFY(!c.sliding_window);
    QCOMPARE(c.torch_dtype, std::string("float32"));
    QCOMPARE(c.bos_token_ids, std::vector<int64_t>{1});
    QCOMPARE(c.eos_token_ids, std::vector<int64_t>{2});
    QCOMPARE(std::string(loralab::architecture_name(c.architecture)), "LlamaForCausalLM");
  }

  void mistral_defaults() {
    ModelConfig c = parse(minimal("MistralForCausalLM"));
    QCOMPARE(c.architecture, Architecture::Mistral);
    QCOMPARE(c.num_key_value_heads, 8);  // MistralConfig's default when the key is absent
    QCOMPARE(c.max_position_embeddings, 4096 * 32);
    QCOMPARE(c.sliding_window, std::optional<int64_t>(4096));
    QCOMPARE(c.bos_token_ids, std::vector<int64_t>{1});
    QVERIFY(!c.attention_bias);

    json config = minimal("MistralForCausalLM");
    config["num_key_value_heads"] = nullptr;  // null (not absent) → as many as the query heads
    config["sliding_window"] = nullptr;
    config["attention_bias"] = true;  // not a MistralConfig key: its layers have no biases
    c = parse(config);
    QCOMPARE(c.num_key_value_heads, 32);
    QVERIFY(!c.sliding_window);
    QVERIFY(!c.attention_bias);
  }

  void qwen2_defaults() {
    ModelConfig c = parse(minimal("Qwen2ForCausalLM"));
    QCOMPARE(c.architecture, Architecture::Qwen2);
    QCOMPARE(c.num_key_value_heads, 32);
    QCOMPARE(c.max_position_embeddings, 32768);
    QVERIFY(c.attention_bias);  // q/k/v biases whatever the file says
    QVERIFY(!c.sliding_window);  // use_sliding_window defaults to false
    QVERIFY(c.bos_token_ids.empty());
    QVERIFY(c.eos_token_ids.empty());

    json config = minimal("Qwen2ForCausalLM");
    config["attention_bias"] = false;
    config["use_sliding_window"] = true;
    config["sliding_window"] = 1024;
    c = parse(config);
    QVERIFY(c.attention_bias);
    QCOMPARE(c.sliding_window, std::optional<int64_t>(1024));
  }

  void explicit_values() {
    json config = minimal("LlamaForCausalLM");
    config.update({{"num_key_value_heads", 4}, {"head_dim", 24}, {"rms_norm_eps", 1e-5},
                   {"rope_theta", 500000.0}, {"max_position_embeddings", 131072},
                   {"tie_word_embeddings", true}, {"attention_bias", true},
                   {"torch_dtype", "bfloat16"}, {"bos_token_id", 128000}});
    ModelConfig c = parse(config);
    QCOMPARE(c.num_key_value_heads, 4);
    QCOMPARE(c.head_dim, 24);  // given: need not be hidden / heads
    QCOMPARE(c.rms_norm_eps, 1e-5);
    QCOMPARE(c.rope_theta, 500000.0);
    QCOMPARE(c.max_position_embeddings, 131072);
    QVERIFY(c.tie_word_embeddings);
    QVERIFY(c.attention_bias);
    QCOMPARE(c.torch_dtype, std::string("bfloat16"));
    QCOMPARE(c.bos_token_ids, std::vector<int64_t>{128000});

    config.erase("torch_dtype");
    config["dtype"] = "float16";  // transformers >= 5 spelling
    QCOMPARE(parse(config).torch_dtype, std::string("float16"));
  }

  void rope_parameters_form() {
    json config = minimal("LlamaForCausalLM");
    config["rope_theta"] = 1234.0;  // the newer dict wins over a stray legacy key
    config["rope_parameters"] = {{"rope_type", "default"}, {"rope_theta", 500000.0}};
    ModelConfig c = parse(config);
    QCOMPARE(c.rope_theta, 500000.0);
    QVERIFY(c.rope_scaling.type.empty());

    config["rope_parameters"] = {{"rope_type", "llama3"},   {"rope_theta", 500000.0},
                                 {"factor", 32.0},          {"low_freq_factor", 1.0},
                                 {"high_freq_factor", 4.0}, {"original_max_position_embeddings", 8192}};
    c = parse(config);
    QCOMPARE(c.rope_theta, 500000.0);
    QCOMPARE(c.rope_scaling.type, std::string("llama3"));
    QCOMPARE(c.rope_scaling.factor, 32.0);

    config["rope_parameters"] = {{"rope_type", "yarn"}, {"factor", 4.0}};
    QString message = parse_error(config);
    QVERIFY2(message.contains("rope_parameters.rope_type") && message.contains("yarn") &&
                 message.contains("llama3"),
             qPrintable(message));

    config["rope_parameters"] = {{"full_attention", {{"rope_type", "default"}}}};
    message = parse_error(config);
    QVERIFY2(message.contains("rope_parameters.full_attention"), qPrintable(message));
  }

  void llama3_scaling() {
    json config = minimal("LlamaForCausalLM");
    config["rope_scaling"] = {{"rope_type", "llama3"},   {"factor", 8.0},
                              {"low_freq_factor", 1.0},  {"high_freq_factor", 4.0},
                              {"original_max_position_embeddings", 8192}};
    ModelConfig c = parse(config);
    QCOMPARE(c.rope_scaling.type, std::string("llama3"));
    QCOMPARE(c.rope_scaling.factor, 8.0);
    QCOMPARE(c.rope_scaling.low_freq_factor, 1.0);
    QCOMPARE(c.rope_scaling.high_freq_factor, 4.0);
    QCOMPARE(c.rope_scaling.original_max_position_embeddings, 8192);

    json legacy = config;  // the old spelling of the type key
    legacy["rope_scaling"].erase("rope_type");
    legacy["rope_scaling"]["type"] = "llama3";
    QCOMPARE(parse(legacy).rope_scaling, c.rope_scaling);

    json plain = config;
    plain["rope_scaling"] = {{"rope_type", "default"}};
    QVERIFY(parse(plain).rope_scaling.type.empty());
    plain["rope_scaling"] = nullptr;
    QVERIFY(parse(plain).rope_scaling.type.empty());

    json missing = config;
    missing["rope_scaling"].erase("low_freq_factor");
    QString message = parse_error(missing);
    QVERIFY2(message.contains("rope_scaling.low_freq_factor") && message.contains("missing"),
             qPrintable(message));

    json inverted = config;
    inverted["rope_scaling"]["high_freq_factor"] = 0.5;
    message = parse_error(inverted);
    QVERIFY2(message.contains("rope_scaling.high_freq_factor"), qPrintable(message));

    json not_object = config;
    not_object["rope_scaling"] = "llama3";
    message = parse_error(not_object);
    QVERIFY2(message.contains("'rope_scaling'") && message.contains("string"), qPrintable(message));

    for (const char* type : {"linear", "dynamic", "yarn", "longrope"}) {
      json other = config;
      other["rope_scaling"] = {{"type", type}, {"factor", 2.0}};
      message = parse_error(other);
      QVERIFY2(message.contains("rope_scaling.type") && message.contains(type) &&
                   message.contains("llama3") && message.contains("cfg.json"),
               qPrintable(message));
    }
  }

  void token_ids() {
    json config = minimal("LlamaForCausalLM");
    config["eos_token_id"] = {128001, 128008, 128009};
    QCOMPARE(parse(config).eos_token_ids, (std::vector<int64_t>{128001, 128008, 128009}));
    config["eos_token_id"] = 7;
    QCOMPARE(parse(config).eos_token_ids, std::vector<int64_t>{7});
    config["eos_token_id"] = nullptr;
    QVERIFY(parse(config).eos_token_ids.empty());
    for (json bad : {json("2"), json(-1), json({1, "x"}), json(1.5)}) {
      config["eos_token_id"] = bad;
      QString message = parse_error(config);
      QVERIFY2(message.contains("eos_token_id"), qPrintable(message));
    }
  }

  void rejects_not_json() {
    QString message = error_of([] { ModelConfig::parse("{\"hidden_size\": 64,", "m/config.json"); });
    QVERIFY2(message.contains("m/config.json") && message.contains("not valid JSON"),
             qPrintable(message));
    message = error_of([] { ModelConfig::parse("[1, 2]", "m/config.json"); });
    QVERIFY2(message.contains("m/config.json") && message.contains("array"), qPrintable(message));
    message = error_of([] { ModelConfig::parse("", "m/config.json"); });
    QVERIFY2(message.contains("not valid JSON"), qPrintable(message));
  }

  void rejects_missing_keys() {
    for (const char* key : {"architectures", "hidden_size", "intermediate_size",
                            "num_hidden_layers", "num_attention_heads", "vocab_size"}) {
      json config = minimal("LlamaForCausalLM");
      config.erase(key);
      QString message = parse_error(config);
      QVERIFY2(message.contains("cfg.json") && message.contains(QString("'%1'").arg(key)) &&
                   message.contains("missing"),
               qPrintable(message));
    }
  }

  void rejects_wrong_types() {
    struct Case {
      const char* key;
      json value;
      const char* found;
    };
    const Case cases[] = {
        {"hidden_size", "64", "string"},
        {"hidden_size", 64.0, "floating-point"},
        {"num_hidden_layers", nullptr, "null"},
        {"vocab_size", json::array({256}), "array"},
        {"num_key_value_heads", "8", "string"},
        {"head_dim", true, "boolean"},
        {"rms_norm_eps", "1e-6", "string"},
        {"rope_theta", json::object(), "object"},
        {"tie_word_embeddings", "true", "string"},
        {"max_position_embeddings", 2048.5, "floating-point"},
        {"torch_dtype", 16, "number"},
        {"architectures", "LlamaForCausalLM", "string"},
        {"architectures", json::array(), "array"},
        {"hidden_size", 18446744073709551615ull, "too large"},
    };
    for (const auto& c : cases) {
      json config = minimal("LlamaForCausalLM");
      config[c.key] = c.value;
      QString message = parse_error(config);
      QVERIFY2(message.contains(QString("'%1'").arg(c.key)) && message.contains(c.found),
               qPrintable(c.key + QString(": ") + message));
    }
  }

  void rejects_bad_sizes() {
    for (const char* key : {"hidden_size", "intermediate_size", "num_hidden_layers",
                            "num_attention_heads", "vocab_size", "num_key_value_heads", "head_dim",
                            "max_position_embeddings"}) {
      for (int value : {0, -4}) {
        json config = minimal("LlamaForCausalLM");
        config[key] = value;
        QString message = parse_error(config);
        QVERIFY2(message.contains(QString("'%1'").arg(key)) && message.contains("positive"),
                 qPrintable(message));
      }
    }
    json config = minimal("LlamaForCausalLM");
    config["rms_norm_eps"] = 0;
    QVERIFY(parse_error(config).contains("'rms_norm_eps'"));
    config = minimal("LlamaForCausalLM");
    config["rope_theta"] = -1.0;
    QVERIFY(parse_error(config).contains("'rope_theta'"));
  }

  void rejects_heads_that_do_not_divide() {
    json config = minimal("LlamaForCausalLM");
    config["num_attention_heads"] = 5;  // 64 % 5 != 0 and no head_dim
    QString message = parse_error(config);
    QVERIFY2(message.contains("num_attention_heads") && message.contains("hidden_size") &&
                 message.contains("64") && message.contains("5"),
             qPrintable(message));
    config["head_dim"] = 16;  // an explicit head_dim lifts the constraint
    QCOMPARE(parse(config).head_dim, 16);

    config = minimal("LlamaForCausalLM");
    config["num_key_value_heads"] = 12;
    message = parse_error(config);
    QVERIFY2(message.contains("'num_key_value_heads'") && message.contains("12") &&
                 message.contains("32"),
             qPrintable(message));

    config = minimal("MistralForCausalLM");
    config["hidden_size"] = 48;
    config["num_attention_heads"] = 12;  // Mistral's default 8 kv heads do not divide 12
    message = parse_error(config);
    QVERIFY2(message.contains("num_key_value_heads") && message.contains("default"),
             qPrintable(message));
  }

  void rejects_unknown_architecture() {
    QString message = parse_error(minimal("GPT2LMHeadModel"));
    QVERIFY2(message.contains("'architectures'") && message.contains("GPT2LMHeadModel") &&
                 message.contains("LlamaForCausalLM") && message.contains("MistralForCausalLM") &&
                 message.contains("Qwen2ForCausalLM"),
             qPrintable(message));
  }

  void to_json_round_trip() {
    std::vector<ModelConfig> configs;
    for (const char* name : kFixtures) configs.push_back(ModelConfig::load(kModels + "/" + name + "/config.json"));
    json mistral = minimal("MistralForCausalLM");
    mistral.update({{"sliding_window", nullptr}, {"eos_token_id", nullptr}, {"head_dim", 7}});
    configs.push_back(parse(mistral));
    json qwen = minimal("Qwen2ForCausalLM");
    qwen.update({{"use_sliding_window", true}, {"sliding_window", 2048}, {"eos_token_id", {5, 6}}});
    configs.push_back(parse(qwen));
    json llama = minimal("LlamaForCausalLM");
    llama["rope_parameters"] = {{"rope_type", "llama3"},   {"rope_theta", 500000.0},
                                {"factor", 32.0},          {"low_freq_factor", 1.5},
                                {"high_freq_factor", 4.25}, {"original_max_position_embeddings", 8192}};
    llama.update({{"rms_norm_eps", 1.234567e-5}, {"mlp_bias", true}, {"tie_word_embeddings", true}});
    configs.push_back(parse(llama));

    for (const auto& config : configs) {
      const std::string text = config.to_json();
      ModelConfig again = ModelConfig::parse(text, "round-trip");
      QVERIFY2(again == config, text.c_str());
      QCOMPARE(again.to_json(), text);
      json written = json::parse(text);  // HF style: what transformers itself reads
      QCOMPARE(written["architectures"][0].get<std::string>(),
               std::string(loralab::architecture_name(config.architecture)));
      QVERIFY(written.contains("model_type"));
      QCOMPARE(written["hidden_act"].get<std::string>(), std::string("silu"));
    }
  }

  void fixture_configs() {
    ModelConfig mistral = ModelConfig::load(kModels + "/mistral_f32_theta/config.json");
    QCOMPARE(mistral.architecture, Architecture::Mistral);
    QCOMPARE(mistral.head_dim, 12);
    QCOMPARE(mistral.num_key_value_heads, 2);
    QCOMPARE(mistral.rope_theta, 12345.0);
    ModelConfig gqa = ModelConfig::load(kModels + "/llama_bf16_gqa/config.json");
    QCOMPARE(gqa.rope_scaling.type, std::string("llama3"));
    QCOMPARE(gqa.rope_scaling.original_max_position_embeddings, 256);
    QCOMPARE(gqa.eos_token_ids, (std::vector<int64_t>{2, 3}));
    QCOMPARE(gqa.torch_dtype, std::string("bfloat16"));
    ModelConfig qwen = ModelConfig::load(kModels + "/qwen2_f16_bias/config.json");
    QVERIFY(qwen.attention_bias);
    QCOMPARE(qwen.rope_theta, 1000000.0);
    QVERIFY(ModelConfig::load(kModels + "/llama_f32/config.json").tie_word_embeddings);

    QString message = error_of([] { ModelConfig::load(kModels + "/nowhere/config.json"); });
    QVERIFY2(message.contains("nowhere/config.json"), qPrintable(message));
  }

  void discovers_fixture_folders() {
    ModelFolder single = ModelFolder::discover(kModels + "/llama_f32");
    QCOMPARE(single.config_path, kModels + "/llama_f32/config.json");
    QCOMPARE(single.weights_path, kModels + "/llama_f32/model.safetensors");
    QVERIFY(!single.tokenizer_path);
    QVERIFY(!single.generation_config_path);
    ModelFolder sharded = ModelFolder::discover(kModels + "/sharded_f32");
    QCOMPARE(sharded.weights_path, kModels + "/sharded_f32/model.safetensors.index.json");
  }

  void discovers_optional_files() {
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const QString dir = tmp.path();
    write_file(dir + "/config.json", minimal("LlamaForCausalLM").dump());
    write_file(dir + "/model.safetensors.index.json", "{}");
    write_file(dir + "/vocab.json", "{}");
    ModelFolder folder = ModelFolder::discover(dir.toStdString());
    QCOMPARE(QString::fromStdString(folder.weights_path), dir + "/model.safetensors.index.json");
    QVERIFY(!folder.tokenizer_path);  // vocab.json alone is not a tokenizer

    write_file(dir + "/merges.txt", "#version: 0.2\n");
    write_file(dir + "/generation_config.json", "{}");
    write_file(dir + "/model.safetensors", "");  // preferred over the index, as transformers does
    folder = ModelFolder::discover(dir.toStdString());
    QCOMPARE(QString::fromStdString(*folder.tokenizer_path), dir);
    QCOMPARE(QString::fromStdString(*folder.generation_config_path),
             dir + "/generation_config.json");
    QCOMPARE(QString::fromStdString(folder.weights_path), dir + "/model.safetensors");

    write_file(dir + "/tokenizer.json", "{}");
    folder = ModelFolder::discover(dir.toStdString());
    QCOMPARE(QString::fromStdString(*folder.tokenizer_path), dir + "/tokenizer.json");
  }

  void discovery_errors() {
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const std::string dir = tmp.path().toStdString();

    QString message = error_of([&] { ModelFolder::discover(dir + "/absent"); });
    QVERIFY2(message.contains("absent") && message.contains("does not exist"), qPrintable(message));

    write_file(tmp.path() + "/plain.txt", "x");
    message = error_of([&] { ModelFolder::discover(dir + "/plain.txt"); });
    QVERIFY2(message.contains("plain.txt") && message.contains("not a folder"), qPrintable(message));

    message = error_of([&] { ModelFolder::discover(dir); });
    QVERIFY2(message.contains(tmp.path()) && message.contains("config.json"), qPrintable(message));

    write_file(tmp.path() + "/config.json", "{}");
    message = error_of([&] { ModelFolder::discover(dir); });
    QVERIFY2(message.contains("model.safetensors") && !message.contains("pickle"),
             qPrintable(message));

    write_file(tmp.path() + "/consolidated.safetensors", "");
    message = error_of([&] { ModelFolder::discover(dir); });
    QVERIFY2(message.contains("consolidated.safetensors"), qPrintable(message));

    write_file(tmp.path() + "/pytorch_model.bin", "");
    message = error_of([&] { ModelFolder::discover(dir); });
    QVERIFY2(message.contains("pytorch_model.bin") && message.contains("pickle") &&
                 message.contains("convert") && message.contains("safetensors"),
             qPrintable(message));
  }
};

QTEST_GUILESS_MAIN(TestModelConfig)
#include "test_model_config.moc"
