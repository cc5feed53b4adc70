// The BPE trainer: the merges it learns on a corpus small enough to work out by hand (tie rule
// included), the vocabulary cap and min_frequency, determinism and independence of text order,
// exact round trips through the project's own tokenizer, special tokens, errors for bad input,
// and `loralab-cli tokenizer-train` end to end with the real binary.
#include <QtTest>

#include "loralab/bpe_trainer.h"
#include "loralab/error.h"
#include "loralab/stories.h"
#include "loralab/tokenizer.h"

using loralab::BpeTrainOptions;
using loralab::Tokenizer;

namespace {

QStringList merges_of(const std::string& tokenizer_json) {
  const auto root = QJsonDocument::fromJson(QByteArray::fromStdString(tokenizer_json)).object();
  QStringList merges;
  for (const QJsonValue& merge : root["model"].toObject()["merges"].toArray()) merges << merge.toString();
  return merges;
}

std::vector<std::string> story_texts(const std::string& style, size_t count, uint64_t seed) {
  std::vector<std::string> texts;
  for (const auto& story : loralab::generate_stories(style, count, seed)) texts.push_back(story.text);
  return texts;
}

// Runs the real CLI; returns (exit code, stdout, stderr).
struct CliRun {
  int code;
  QByteArray out, err;
};
CliRun run_cli(const QStringList& arguments) {
  QProcess process;
  process.start(LORALAB_CLI, arguments);
  if (!process.waitForFinished(120000)) qFatal("loralab-cli did not finish");
  return {process.exitCode(), process.readAllStandardOutput(), process.readAllStandardError()};
}

}  // namespace

class TestBpeTrainer : public QObject {
  Q_OBJECT

 private slots:
  // Words: "hug" ×1, " hug" ×2, " pug" ×1, " pun" ×1 (ids: byte b is 3 + b).
  // Pair counts: (u,g) 4, (h,u) 3, then (h,ug) 3; then (Ġ,h→hug) 2 ties with (Ġ,p) 2: both have
  // left Ġ (35), and p (115) < hug (260), so "Ġ p" comes first, then "Ġ hug". The rest occur once.
  void learns_the_expected_merges() {
    const auto result = loralab::train_bpe({"hug hug hug pug pun"});
    QCOMPARE(merges_of(result.tokenizer_json), QStringList({"u g", "h ug", "Ġ p", "Ġ hug"}));
    QCOMPARE(result.merges, 4);
    QCOMPARE(result.vocab_size, 3 + 256 + 4);
    QCOMPARE(result.unique_words, 4);
    QCOMPARE(result.words, 5);
    const auto tokenizer = Tokenizer::from_json(result.tokenizer_json, "trained");
    QCOMPARE(tokenizer.vocab_size(), 263);
    QCOMPARE(tokenizer.token_to_id("ug"), std::optional<int32_t>(259));
    QCOMPARE(tokenizer.token_to_id("hug"), std::optional<int32_t>(260));
    QCOMPARE(tokenizer.token_to_id("Ġp"), std::optional<int32_t>(261));
    QCOMPARE(tokenizer.token_to_id("Ġhug"), std::optional<int32_t>(262));
    QCOMPARE(tokenizer.token_to_id("a"), std::optional<int32_t>(3 + 'a'));
    QCOMPARE(tokenizer.encode("hug hug pun"), (std::vector<int32_t>{260, 262, 261, 3 + 'u', 3 + 'n'}));
  }

  void min_frequency_and_vocab_cap_stop_merging() {
    BpeTrainOptions all;
    all.min_frequency = 1;  // every remaining pair occurs once: four more merges are possible
    const auto more = loralab::train_bpe({"hug hug hug pug pun"}, all);
    // (u,n) has the smallest left id (u = 120) of the three single pairs; then " pug", " pun".
    QCOMPARE(merges_of(more.tokenizer_json),
             QStringList({"u g", "h ug", "Ġ p", "Ġ hug", "u n", "Ġp ug", "Ġp un"}));

    BpeTrainOptions capped;
    capped.vocab_size = 261;
    const auto two = loralab::train_bpe({"hug hug hug pug pun"}, capped);
    QCOMPARE(merges_of(two.tokenizer_json), QStringList({"u g", "h ug"}));
    QCOMPARE(two.vocab_size, 261);
  }

  void same_input_same_file_in_any_text_order() {
    auto texts = story_texts("all", 150, 7);
    BpeTrainOptions options;
    options.vocab_size = 600;
    const auto first = loralab::train_bpe(texts, options);
    const auto second = loralab::train_bpe(texts, options);
    QCOMPARE(first.tokenizer_json, second.tokenizer_json);
    std::reverse(texts.begin(), texts.end());
    const auto reversed = loralab::train_bpe(texts, options);
    QCOMPARE(reversed.tokenizer_json, first.tokenizer_json);
    QCOMPARE(first.vocab_size, 600);
  }

  void round_trips_text_exactly_and_compresses() {
    BpeTrainOptions options;
    options.vocab_size = 1024;
    const auto texts = story_texts("all", 300, 11);
    const auto result = loralab::train_bpe(texts, options);
    const auto tokenizer = Tokenizer::from_json(result.tokenizer_json, "trained");
    size_t bytes = 0, tokens = 0;
    for (const auto& text : story_texts("all", 50, 12)) {  // unseen stories
      const auto ids = tokenizer.encode(text);
      QCOMPARE(tokenizer.decode(ids), text);
      bytes += text.size();
      tokens += ids.size();
    }
    // Raw bytes would be 1 byte per token; learned merges give whole words (> 2.5 bytes).
    QVERIFY2(tokens * 5 < bytes * 2, qPrintable(QString("%1 tokens for %2 bytes").arg(tokens).arg(bytes)));
    // Text the corpus never had: other scripts, emoji, control characters, whitespace runs.
    for (const std::string text : {"Ünïcödé, 龍 and 🐉!", "tabs\tand\r\nnew\n\n  lines   ", "\x01\x7f",
                                   "it's 2024 — the dragon's 3rd year", " "}) {
      QCOMPARE(tokenizer.decode(tokenizer.encode(text)), text);
    }
  }

  void special_tokens_are_known_by_name() {
    const auto result = loralab::train_bpe({"Once upon a time."});
    QCOMPARE(result.bos_id, 0);
    QCOMPARE(result.eos_id, 1);
    QCOMPARE(result.pad_id, 2);
    const auto tokenizer = Tokenizer::from_json(result.tokenizer_json, "trained");
    QCOMPARE(tokenizer.bos_id(), std::optional<int32_t>(0));
    QCOMPARE(tokenizer.eos_id(), std::optional<int32_t>(1));
    QCOMPARE(tokenizer.pad_id(), std::optional<int32_t>(2));
    QVERIFY(tokenizer.is_special(0) && tokenizer.is_special(1) && tokenizer.is_special(2));
    QCOMPARE(tokenizer.id_to_token(1), std::string("<|end_of_text|>"));
    // Matched in raw text; BOS is added in front with add_special_tokens (the template).
    const auto ids = tokenizer.encode("a<|end_of_text|>", true);
    QCOMPARE(ids, (std::vector<int32_t>{0, 3 + 'a', 1}));
    QCOMPARE(tokenizer.decode(ids, true), std::string("a"));
  }

  void style_words_get_their_own_tokens() {
    BpeTrainOptions options;  // 4096, as the base model uses
    const auto result = loralab::train_bpe(story_texts("all", 1500, 3), options);
    const auto tokenizer = Tokenizer::from_json(result.tokenizer_json, "trained");
    for (const std::string style : {"fairy_tale", "science_fiction"})
      for (const auto& word : {loralab::signature_words(style)[0], loralab::signature_words(style)[1]})
        QVERIFY2(tokenizer.encode(" " + word).size() == 1, qPrintable(QString::fromStdString(word)));
    QVERIFY2(result.seconds < 30, qPrintable(QString::number(result.seconds)));
  }

  void refuses_bad_input() {
    auto message = [](auto&& call) -> QString {
      try {
        call();
      } catch (const loralab::Error& e) {
        return QString::fromStdString(e.what());
      }
      return {};
    };
    QVERIFY(message([] { loralab::train_bpe({}); }).contains("corpus is empty"));
    QVERIFY(message([] { loralab::train_bpe({"", ""}); }).contains("2 texts, all of them empty"));
    BpeTrainOptions small;
    small.vocab_size = 258;
    QVERIFY(message([&] { loralab::train_bpe({"abc"}, small); })
                .contains("vocab_size must be at least 259 (256 bytes + 3 special tokens), got 258"));
    BpeTrainOptions same;
    same.pad_token = same.eos_token;
    QVERIFY(message([&] { loralab::train_bpe({"abc"}, same); }).contains("pad_token and eos_token"));
    BpeTrainOptions empty_bos;
    empty_bos.bos_token.clear();
    QVERIFY(message([&] { loralab::train_bpe({"abc"}, empty_bos); }).contains("bos_token is empty"));
    BpeTrainOptions zero;
    zero.min_frequency = 0;
    QVERIFY(message([&] { loralab::train_bpe({"abc"}, zero); }).contains("min_frequency"));
    QCOMPARE(message([] { loralab::train_bpe({"ok", std::string("ab\xff")}); }),
             QString("text 1: invalid UTF-8 at byte offset 2"));
  }

  void cli_trains_and_refuses_bad_input() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString data = dir.filePath("stories.jsonl");
    {
      QFile file(data);
      QVERIFY(file.open(QIODevice::WriteOnly));
      for (const auto& text : story_texts("all", 100, 5))
        file.write(QJsonDocument(QJsonObject{{"text", QString::fromStdString(text)}}).toJson(QJsonDocument::Compact) + "\n");
    }
    const QString out = dir.filePath("tokenizer.json");
    const auto ok = run_cli({"tokenizer-train", "--data", data, "--vocab", "512", "--out", out});
    QVERIFY2(ok.code == 0, ok.err.constData());
    const auto summary = QJsonDocument::fromJson(ok.out).object();
    QCOMPARE(summary["vocab_size"].toInt(), 512);
    QCOMPARE(summary["texts"].toInt(), 100);
    QCOMPARE(summary["special_tokens"].toObject()["eos"].toObject()["content"].toString(),
             QString("<|end_of_text|>"));
    const auto tokenizer = Tokenizer::load(out.toStdString());
    QCOMPARE(tokenizer.vocab_size(), 512);
    QVERIFY(!QFileInfo::exists(out + ".tmp"));

    const auto small = run_cli({"tokenizer-train", "--data", data, "--vocab", "100", "--out", out});
    QCOMPARE(small.code, 1);
    QVERIFY2(small.err.contains("--vocab") && small.err.contains("259"), small.err.constData());
    const QString empty = dir.filePath("empty.txt");
    {
      QFile file(empty);
      QVERIFY(file.open(QIODevice::WriteOnly));
      file.write("\n\n   \n");
    }
    const auto none = run_cli({"tokenizer-train", "--data", empty, "--out", out});
    QCOMPARE(none.code, 1);
    QVERIFY2(none.err.contains("empty.txt"), none.err.constData());
    const auto missing = run_cli({"tokenizer-train", "--out", out});
    QCOMPARE(missing.code, 1);
    QVERIFY2(missing.err.contains("--data"), missing.err.constData());
    const auto unwritable = run_cli({"tokenizer-train", "--data", data, "--out", dir.filePath("no/such/dir/t.json")});
    QCOMPARE(unwritable.code, 1);
    // The failed runs left the earlier file as it was.
    QCOMPARE(Tokenizer::load(out.toStdString()).vocab_size(), 512);
  }
};

QTEST_GUILESS_MAIN(TestBpeTrainer)
#include "test_bpe_trainer.moc"
