// A trained tokenizer.json against Hugging Face tokenizers 0.23 (native bindings from npm, set
// up by the ctest fixture tokenizer_reference): it loads there, and encodes (with and without the
// BOS template) and decodes exactly as the project's own tokenizer does, on stories of every
// style and on text the corpus never had.
#include <QtTest>

#include "loralab/bpe_trainer.h"
#include "loralab/stories.h"
#include "loralab/tokenizer.h"

using Ids = std::vector<int32_t>;

namespace {

const QString kReference = QStringLiteral(LORALAB_TOKENIZER_REFERENCE_DIR);

std::vector<Ids> ids_of(const QJsonValue& lists) {
  std::vector<Ids> out;
  for (const QJsonValue& list : lists.toArray()) {
    Ids ids;
    for (const QJsonValue& id : list.toArray()) ids.push_back(id.toInt());
    out.push_back(ids);
  }
  return out;
}

}  // namespace

class TestBpeTrainerReference : public QObject {
  Q_OBJECT

 private slots:
  void hugging_face_encodes_like_us() {
    std::vector<std::string> corpus;
    for (const auto& story : loralab::generate_stories("all", 1000, 42)) corpus.push_back(story.text);
    const auto trained = loralab::train_bpe(corpus);  // the default 4096 vocabulary
    const auto ours = loralab::Tokenizer::from_json(trained.tokenizer_json, "trained");

    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString tokenizer_path = dir.filePath("tokenizer.json");
    {
      QFile file(tokenizer_path);
      QVERIFY(file.open(QIODevice::WriteOnly));
      file.write(QByteArray::fromStdString(trained.tokenizer_json));
    }
    std::vector<std::string> texts;
    for (const auto& story : loralab::generate_stories("all", 40, 43)) texts.push_back(story.text);
    for (const char* text : {"Ünïcödé, 龍 and 🐉!", "tabs\tand\r\nnew\n\n  lines   ", "it's 2024's",
                             "<|begin_of_text|>Once upon a time.<|end_of_text|><|pad|>", " ", "x"})
      texts.emplace_back(text);
    QJsonArray texts_json;
    for (const auto& text : texts) texts_json.append(QString::fromStdString(text));
    const QString texts_path = dir.filePath("texts.json");
    {
      QFile file(texts_path);
      QVERIFY(file.open(QIODevice::WriteOnly));
      file.write(QJsonDocument(texts_json).toJson());
    }

    const QString out_path = dir.filePath("hf.json");
    QProcess node;
    node.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    node.start(LORALAB_NODE, {LORALAB_TESTS_DIR "/reference/hf_reference.js",
                              kReference + "/node_modules/tokenizers", tokenizer_path, texts_path,
                              out_path});
    QVERIFY(node.waitForFinished(120000));
    QCOMPARE(node.exitCode(), 0);
    QFile result_file(out_path);
    QVERIFY(result_file.open(QIODevice::ReadOnly));
    const QJsonObject result = QJsonDocument::fromJson(result_file.readAll()).object();
    const auto hf_ids = ids_of(result["ids"]);
    const auto hf_special = ids_of(result["ids_special"]);
    const QJsonArray hf_decoded = result["decoded"].toArray();
    QCOMPARE(hf_ids.size(), texts.size());
    QCOMPARE(hf_special.size(), texts.size());
    for (size_t i = 0; i < texts.size(); ++i) {
      const auto plain = ours.encode(texts[i]);
      QVERIFY2(plain == hf_ids[i], qPrintable("text " + QString::number(i)));
      QVERIFY2(ours.encode(texts[i], true) == hf_special[i], qPrintable("special, text " + QString::number(i)));
      QCOMPARE(hf_special[i].front(), 0);  // the BOS template
      QCOMPARE(hf_decoded[int(i)].toString().toStdString(), ours.decode(plain));
    }
    // The special tokens are single ids there too.
    QCOMPARE(hf_ids[texts.size() - 3].front(), 0);
    QCOMPARE(hf_ids[texts.size() - 3].back(), 2);
  }
};

QTEST_GUILESS_MAIN(TestBpeTrainerReference)
#include "test_bpe_trainer_reference.moc"
