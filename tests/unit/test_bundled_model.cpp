// What LoRA Lab ships: resources/models/base loads as a Hugging Face folder (LLaMA, 3-6M
// parameters, bf16 weights, tied embeddings), its tokenizer round-trips story text and agrees with
// config.json on BOS/EOS, the model gives finite logits and reads an everyday story far better
// than chance; and every bundled dataset parses with the expected counts and styles.
#include <QtTest>

#include <cmath>

#include "loralab/dataset.h"
#include "loralab/model.h"
#include "loralab/safetensors.h"
#include "loralab/sampler.h"
#include "loralab/stories.h"
#include "loralab/tokenizer.h"

namespace {

const std::string kBase = LORALAB_RESOURCES_DIR "/models/base";
const std::string kDatasets = LORALAB_RESOURCES_DIR "/datasets";

QJsonObject read_json(const std::string& path) {
  QFile file(QString::fromStdString(path));
  if (!file.open(QIODevice::ReadOnly)) qFatal("cannot read %s", path.c_str());
  return QJsonDocument::fromJson(file.readAll()).object();
}

}  // namespace

class TestBundledModel : public QObject {
  Q_OBJECT

 private slots:
  void base_folder_loads_with_its_shape() {
    auto model = loralab::Model::load(kBase);
    const auto& config = model->config();
    QCOMPARE(config.architecture, loralab::Architecture::Llama);
    QVERIFY(config.tie_word_embeddings);
    QVERIFY(config.num_key_value_heads < config.num_attention_heads);  // GQA
    QCOMPARE(config.vocab_size, 4096);
    QVERIFY(config.max_position_embeddings >= 256);
    QVERIFY2(model->parameter_count() >= 3000000 && model->parameter_count() <= 6000000,
             qPrintable(QString::number(model->parameter_count())));
    const auto weights = loralab::st::File::open(kBase + "/model.safetensors");
    for (const auto& tensor : weights.header().tensors)
      QVERIFY2(tensor.dtype == loralab::st::DType::BF16, tensor.name.c_str());
    QVERIFY(!weights.contains("lm_head.weight"));  // tied

    const auto generation = read_json(kBase + "/generation_config.json");
    QCOMPARE(generation["bos_token_id"].toInt(), 0);
    QCOMPARE(generation["eos_token_id"].toInt(), 1);
    const auto recipe = read_json(kBase + "/pretrain.json");
    QCOMPARE(recipe["recipe"].toObject()["seed"].toInt(), 1);
    QVERIFY(read_json(kBase + "/training_curve.json")["validation"].toArray().size() >= 5);
  }

  void tokenizer_round_trips_and_matches_the_config() {
    const auto model = loralab::Model::load(kBase);
    const auto tokenizer = loralab::Tokenizer::load(kBase);
    QCOMPARE(tokenizer.vocab_size(), int32_t(model->config().vocab_size));
    QCOMPARE(tokenizer.bos_id(), std::optional<int32_t>(int32_t(model->config().bos_token_ids.at(0))));
    QCOMPARE(tokenizer.eos_id(), std::optional<int32_t>(int32_t(model->config().eos_token_ids.at(0))));
    QCOMPARE(tokenizer.pad_id(), std::optional<int32_t>(2));
    for (const std::string style : {"everyday", "fairy_tale", "science_fiction"}) {
      const auto text = loralab::generate_story(style, 99).text;
      const auto ids = tokenizer.encode(text);
      QCOMPARE(tokenizer.decode(ids), text);
      QVERIFY(ids.size() * 3 < text.size());  // words, not bytes
    }
    const std::string odd = "Zoë's 🐉 — tab\tand 42!\n";
    QCOMPARE(tokenizer.decode(tokenizer.encode(odd)), odd);
  }

  void logits_are_finite_and_the_model_knows_everyday_stories() {
    auto model = loralab::Model::load(kBase);
    const auto tokenizer = loralab::Tokenizer::load(kBase);
    auto ids = tokenizer.encode(loralab::generate_story("everyday", 7).text, /*add_special_tokens=*/true);
    ids.resize(std::min<size_t>(ids.size(), 128));
    const auto logits = model->logits(ids);
    QCOMPARE(logits.size(), ids.size() * size_t(model->config().vocab_size));
    for (float value : logits) QVERIFY(std::isfinite(value));
    // Chance is log(4096) = 8.3 nats per token; the trained base is far below it.
    const double loss = -loralab::mean_log_likelihood(*model, ids, 1);
    QVERIFY2(loss < 3.0, qPrintable(QString::number(loss)));
  }

  void datasets_parse_with_their_counts_and_styles() {
    for (const auto& style : loralab::story_styles()) {
      for (const auto& [file, count] : {std::pair{"train.jsonl", 1000}, std::pair{"validation.jsonl", 100}}) {
        loralab::DatasetSpec spec;
        spec.path = kDatasets + "/" + style + "/" + file;
        const auto examples = loralab::read_dataset(spec);
        QCOMPARE(int(examples.size()), count);
        loralab::DatasetSpec styles = spec;
        styles.field = "style";
        for (const auto& example : loralab::read_dataset(styles)) QCOMPARE(example.text, style);
      }
    }
    loralab::DatasetSpec general;
    general.path = kDatasets + "/general/reference.jsonl";
    general.field = "style";
    std::map<std::string, int> per_style;
    for (const auto& example : loralab::read_dataset(general)) ++per_style[example.text];
    QCOMPARE(int(per_style.size()), 5);
    for (const auto& [style, count] : per_style) QCOMPARE(count, 40);
  }
};

QTEST_GUILESS_MAIN(TestBundledModel)
#include "test_bundled_model.moc"
