// Byte-level BPE tokenizer on the tiny fixtures of tests/data/tokenizer (written by
// make_fixtures.py): merge ranks, both merges forms, vocab.json + merges.txt, added tokens and
// their flags, the Llama-3 style Split sequence with ignore_merges, Split behaviours, special ids,
// exact round trips, tokenizer.json export, every refusal, and the `loralab-cli tokenize` command.
// Expected ids were produced by Hugging Face tokenizers 0.23 on the same fixtures
// (tests/reference/hf_reference.js; test_tokenizer_reference re-checks them against it).
#include <QtTest>

#include <atomic>
#include <functional>
#include <random>
#include <thread>

#include "loralab/error.h"
#include "loralab/tokenizer.h"

using loralab::Tokenizer;
using Ids = std::vector<int32_t>;

namespace {

const QString kData = QStringLiteral(LORALAB_TEST_DATA "/tokenizer/");

std::string fixture(const char* name) { return (kData + name).toStdString(); }

QByteArray read_all(const QString& path) {
  QFile file(path);
  if (!file.open(QIODevice::ReadOnly)) qFatal("cannot read %s", qPrintable(path));
  return file.readAll();
}

std::vector<std::string> text_set() {
  std::vector<std::string> texts;
  for (const QJsonValue& value : QJsonDocument::fromJson(read_all(kData + "texts.json")).array())
    texts.push_back(value.toString().toStdString());
  return texts;
}

template <class Fn>
QString error_of(Fn&& fn) {
  try {
    fn();
  } catch (const loralab::Error& error) {
    return QString::fromUtf8(error.what());
  }
  return {};
}

QString show(const Ids& ids) {
  QStringList parts;
  for (int32_t id : ids) parts << QString::number(id);
  return "[" + parts.join(",") + "]";
}

// Random valid UTF-8 mixing ASCII, whitespace, 2-, 3- and 4-byte characters.
std::string random_utf8(std::mt19937& rng, size_t chars) {
  static const std::vector<std::pair<uint32_t, uint32_t>> ranges = {
      {0x20, 0x7E}, {0x09, 0x0D}, {0xA0, 0x7FF}, {0x800, 0xD7FF}, {0xE000, 0xFFFD},
      {0x10000, 0x10FFFF}, {0x1F300, 0x1FAFF}};
  std::string out;
  for (size_t i = 0; i < chars; ++i) {
    const auto& [lo, hi] = ranges[rng() % ranges.size()];
    const uint32_t c = lo + rng() % (hi - lo + 1);
    out += QString::fromUcs4(reinterpret_cast<const char32_t*>(&c), 1).toStdString();
  }
  return out;
}

}  // namespace

class TestTokenizer : public QObject {
  Q_OBJECT
 private slots:
  void merges_apply_by_rank() {
    const Tokenizer tok = Tokenizer::load(fixture("tiny_gpt2.json"));
    QCOMPARE(tok.vocab_size(), 277);
    QCOMPARE(tok.encode(" the"), (Ids{258}));
    QCOMPARE(tok.encode("the"), (Ids{116, 257}));  // "h e" outranks "t h"
    QCOMPARE(tok.encode("aaaaa"), (Ids{270, 270, 97}));  // equal ranks merge leftmost first
    QCOMPARE(tok.encode("Hello world"), (Ids{72, 101, 265, 111, 32, 119, 111, 114, 108, 100}));
    QCOMPARE(tok.encode("x\n\n\ny"), (Ids{120, 271, 10, 121}));
    QCOMPARE(tok.encode("é é"), (Ids{274, 32, 274}));
    QCOMPARE(tok.encode("'S'sS's"), (Ids{39, 83, 269, 83, 269}));  // GPT-2: 'S is no contraction
    QCOMPARE(tok.encode(""), Ids{});
    QCOMPARE(tok.id_to_token(258), std::string("\xC4\xA0the"));  // "Ġthe"
    QCOMPARE(tok.token_to_id("\xC4\xA0the"), std::optional<int32_t>(258));
    QCOMPARE(tok.token_to_id("nope"), std::optional<int32_t>());
    QCOMPARE(tok.token_bytes(258), std::string(" the"));
    QCOMPARE(tok.token_bytes(10), std::string("\n"));
  }

  void both_merges_forms_and_vocab_merges_folder_agree() {
    const Tokenizer strings = Tokenizer::load(fixture("tiny_gpt2.json"));
    const Tokenizer pairs = Tokenizer::load(fixture("tiny_gpt2_pairs.json"));
    const Tokenizer folder = Tokenizer::load(fixture("tiny_vocab_merges"));
    QCOMPARE(folder.vocab_size(), strings.vocab_size());
    for (const std::string& text : text_set()) {
      const Ids expected = strings.encode(text);
      QCOMPARE(pairs.encode(text), expected);
      QCOMPARE(folder.encode(text), expected);
    }
    // Without added_tokens, <|endoftext|> in the text is ordinary text for the folder form.
    QCOMPARE(strings.encode("a<|endoftext|>b"), (Ids{97, 276, 98}));
    QVERIFY(folder.encode("a<|endoftext|>b").size() > 3);
    QCOMPARE(folder.eos_id(), std::optional<int32_t>(276));  // found by name in the vocabulary
  }

  void folder_with_tokenizer_json() {
    QTemporaryDir dir;
    QVERIFY(QFile::copy(kData + "tiny_llama3.json", dir.filePath("tokenizer.json")));
    // A stray vocab.json must not win over tokenizer.json.
    QVERIFY(QFile::copy(kData + "tiny_vocab_merges/vocab.json", dir.filePath("vocab.json")));
    QVERIFY(QFile::copy(kData + "tiny_vocab_merges/merges.txt", dir.filePath("merges.txt")));
    const Tokenizer tok = Tokenizer::load(dir.path().toStdString());
    QCOMPARE(tok.encode(" world"), (Ids{278}));
  }

  void added_tokens_are_matched_in_raw_text() {
    const Tokenizer gpt2 = Tokenizer::load(fixture("tiny_gpt2.json"));
    QCOMPARE(gpt2.encode("x <|endoftext|> y"), (Ids{120, 32, 276, 32, 121}));
    QCOMPARE(gpt2.encode("<|endoftext|><|endoftext|>"), (Ids{276, 276}));
    QVERIFY(gpt2.is_special(276));
    QVERIFY(!gpt2.is_special(97));
    const Ids ids{97, 276, 98};
    QCOMPARE(gpt2.decode(ids), std::string("a<|endoftext|>b"));
    QCOMPARE(gpt2.decode(ids, /*skip_special_tokens=*/true), std::string("ab"));
    QCOMPARE(gpt2.token_bytes(276), std::string("<|endoftext|>"));

    // lstrip / rstrip swallow whitespace, single_word needs non-word neighbours, and ByteLevel's
    // add_prefix_space applies to every stretch between added tokens.
    const Tokenizer tok = Tokenizer::load(fixture("tiny_added.json"));
    QCOMPARE(tok.encode("the"), (Ids{258}));
    QCOMPARE(tok.encode("a  [L]b"), (Ids{259, 276, 32, 98}));
    QCOMPARE(tok.encode("a [R]  b"), (Ids{259, 32, 277, 32, 98}));
    QCOMPARE(tok.encode("a[R]\n\nb"), (Ids{259, 277, 32, 98}));
    QCOMPARE(tok.encode("dog"), (Ids{278}));
    QCOMPARE(tok.encode("a dog."), (Ids{259, 32, 278, 32, 46}));
    QCOMPARE(tok.encode("hotdog"), (Ids{32, 104, 111, 116, 100, 111, 103}));
    QCOMPARE(tok.encode("dog_x"), (Ids{32, 100, 111, 103, 95, 120}));
    QCOMPARE(tok.encode("<pad><s>x</s>"), (Ids{279, 280, 32, 120, 281}));
    QCOMPARE(tok.decode(Ids{279, 280, 32, 120, 281}, true), std::string(" x"));
    QCOMPARE(tok.decode(tok.encode("Hi<s>you")), std::string(" Hi<s> you"));
  }

  void llama3_split_sequence_and_ignore_merges() {
    // Loading compiles the tiktoken pattern ((?i:'s|...), \p{L}, \p{N}{1,3}) with PCRE2.
    const Tokenizer tok = Tokenizer::load(fixture("tiny_llama3.json"));
    QCOMPARE(tok.encode(" world"), (Ids{278}));  // in the vocabulary, not reachable by merges
    QCOMPARE(tok.encode("world"), (Ids{119, 277, 108, 100}));
    QCOMPARE(tok.encode(" worlds"), (Ids{276, 277, 108, 100, 115}));
    QCOMPARE(tok.encode("IT'S it's"), (Ids{73, 84, 39, 83, 32, 105, 116, 269}));
    QCOMPARE(tok.encode("a[R]\n\nb"), (Ids{97, 91, 82, 93, 271, 98}));
    QCOMPARE(tok.encode("12345678"), (Ids{49, 50, 51, 52, 53, 54, 55, 56}));
    QCOMPARE(tok.encode("<|begin_of_text|>Hello<|end_of_text|>"), (Ids{279, 72, 101, 265, 111, 280}));
    // The TemplateProcessing post-processor puts <|begin_of_text|> first and nothing last.
    QCOMPARE(tok.encode(" the", /*add_special_tokens=*/true), (Ids{279, 258}));
    QCOMPARE(tok.bos_id(), std::optional<int32_t>(279));
    QCOMPARE(tok.eos_id(), std::optional<int32_t>(280));
    QCOMPARE(tok.pad_id(), std::optional<int32_t>());
  }

  void split_behaviours() {
    // Whole words in the vocabulary + ignore_merges make each piece visible as one id.
    const auto make = [](const char* behavior) {
      QJsonObject vocab;
      const QStringList words = {"-", "the", "final", "countdown", "the-", "final-", "-final",
                                 "-countdown", "--", "a", "c", "d", "e", "f", "h", "i", "l", "n",
                                 "o", "t", "u", "w"};
      for (int i = 0; i < words.size(); ++i) vocab[words[i]] = i;
      QJsonObject split{{"type", "Split"},
                        {"pattern", QJsonObject{{"String", "-"}}},
                        {"behavior", behavior},
                        {"invert", false}};
      QJsonObject byte_level{{"type", "ByteLevel"}, {"add_prefix_space", false},
                             {"trim_offsets", true}, {"use_regex", false}};
      QJsonObject root{
          {"model", QJsonObject{{"type", "BPE"}, {"vocab", vocab}, {"merges", QJsonArray()},
                                {"ignore_merges", true}}},
          {"pre_tokenizer", QJsonObject{{"type", "Sequence"},
                                        {"pretokenizers", QJsonArray{split, byte_level}}}}};
      return Tokenizer::from_json(QJsonDocument(root).toJson().toStdString(), behavior);
    };
    const std::string text = "the-final--countdown";
    QCOMPARE(make("Isolated").encode(text), (Ids{1, 0, 2, 0, 0, 3}));
    QCOMPARE(make("Removed").encode(text), (Ids{1, 2, 3}));
    QCOMPARE(make("MergedWithPrevious").encode(text), (Ids{4, 5, 0, 3}));
    QCOMPARE(make("MergedWithNext").encode(text), (Ids{1, 6, 0, 7}));
    QCOMPARE(make("Contiguous").encode(text), (Ids{1, 0, 2, 8, 3}));
  }

  void digits_pre_tokenizer() {
    // Digits before ByteLevel (SmolLM style); the fixture's merge "1 2" makes the split visible.
    const Tokenizer individual = Tokenizer::load(fixture("tiny_digits.json"));
    QCOMPARE(individual.encode("x1212 12"), (Ids{120, 49, 50, 49, 50, 32, 49, 50}));
    QByteArray json = read_all(kData + "tiny_digits.json");
    QVERIFY(json.contains("\"individual_digits\": true"));
    json.replace("\"individual_digits\": true", "\"individual_digits\": false");
    const Tokenizer runs = Tokenizer::from_json(json.toStdString(), "digits runs");
    QCOMPARE(runs.encode("x1212 12"), (Ids{120, 276, 276, 32, 276}));
    QCOMPARE(runs.encode("a 1234567 b"), (Ids{97, 32, 276, 51, 52, 53, 54, 55, 32, 98}));
  }

  void round_trips_exactly() {
    std::vector<std::string> texts = text_set();
    std::mt19937 rng(1234);
    for (int i = 0; i < 200; ++i) texts.push_back(random_utf8(rng, 1 + rng() % 60));
    texts.push_back(std::string(100000, 'a'));  // one long word: the merge loop must stay fast
    texts.push_back(std::string(50000, ' ') + "x" + std::string(50000, '\n') + "\t y");  // long runs
    // (tiny_added.json is left out: add_prefix_space adds a space by design.)
    for (const char* name :
         {"tiny_gpt2.json", "tiny_llama3.json", "tiny_digits.json", "tiny_vocab_merges"}) {
      const Tokenizer tok = Tokenizer::load(fixture(name));
      for (const std::string& text : texts) {
        const Ids ids = tok.encode(text);
        if (tok.decode(ids) != text)
          QFAIL(qPrintable(QString("%1 does not round-trip %2").arg(name, QString::fromStdString(text))));
        std::string streamed;
        for (int32_t id : ids) streamed += tok.token_bytes(id);
        QCOMPARE(streamed, text);
      }
    }
  }

  void encode_is_thread_safe() {
    const Tokenizer tok = Tokenizer::load(fixture("tiny_llama3.json"));
    const std::vector<std::string> texts = text_set();
    std::vector<Ids> expected;
    for (const auto& text : texts) expected.push_back(tok.encode(text));
    std::atomic<int> mismatches{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&] {
        const Tokenizer copy = tok;  // copies share the loaded tables and the cache
        for (int round = 0; round < 20; ++round)
          for (size_t i = 0; i < texts.size(); ++i)
            if ((round % 2 ? copy : tok).encode(texts[i]) != expected[i]) ++mismatches;
      });
    for (auto& thread : threads) thread.join();
    QCOMPARE(mismatches.load(), 0);
  }

  void decode_repairs_partial_characters() {
    const Tokenizer tok = Tokenizer::load(fixture("tiny_gpt2.json"));
    const Ids euro = tok.encode("\xE2\x82\xAC");  // three byte tokens
    QCOMPARE(euro.size(), size_t(3));
    QCOMPARE(tok.decode(Ids{euro[0], euro[1]}), std::string("\xEF\xBF\xBD"));  // one U+FFFD
    QCOMPARE(tok.decode(Ids{euro[1], 97}), std::string("\xEF\xBF\xBD" "a"));
    QCOMPARE(tok.token_bytes(euro[0]), std::string("\xE2"));
  }

  void invalid_utf8_names_the_offset() {
    const Tokenizer tok = Tokenizer::load(fixture("tiny_gpt2.json"));
    const std::pair<std::string, int> cases[] = {
        {std::string("ab\xFF" "cd"), 2},        {std::string("abc\xE2\x82"), 3},
        {std::string("\xC0\xAF"), 0},           {std::string("ok \xED\xA0\x80"), 3},
        {std::string("x\xF4\x90\x80\x80"), 1}, {std::string("\x80"), 0},
    };
    for (const auto& [text, offset] : cases) {
      const QString message = error_of([&] { tok.encode(text); });
      QVERIFY2(message.contains(QString("byte offset %1").arg(offset)), qPrintable(message));
      QVERIFY2(message.contains("UTF-8"), qPrintable(message));
    }
  }

  void special_ids() {
    Tokenizer gpt2 = Tokenizer::load(fixture("tiny_gpt2.json"));
    QCOMPARE(gpt2.bos_id(), std::optional<int32_t>(276));
    QCOMPARE(gpt2.eos_id(), std::optional<int32_t>(276));
    QCOMPARE(gpt2.pad_id(), std::optional<int32_t>());
    // Without a template post-processor, add_special_tokens wraps in BOS ... EOS.
    QCOMPARE(gpt2.encode(" the", true), (Ids{276, 258, 276}));
    Tokenizer copy = gpt2;
    copy.set_special_ids(1, std::nullopt, 2);
    QCOMPARE(copy.bos_id(), std::optional<int32_t>(1));
    QCOMPARE(copy.eos_id(), std::optional<int32_t>(276));
    QCOMPARE(copy.pad_id(), std::optional<int32_t>(2));
    QCOMPARE(copy.encode(" the", true), (Ids{1, 258, 276}));
    QCOMPARE(gpt2.bos_id(), std::optional<int32_t>(276));  // the original is untouched
    QVERIFY(error_of([&] { copy.set_special_ids(5000, std::nullopt); }).contains("5000"));

    const Tokenizer added = Tokenizer::load(fixture("tiny_added.json"));
    QCOMPARE(added.bos_id(), std::optional<int32_t>(280));  // <s>
    QCOMPARE(added.eos_id(), std::optional<int32_t>(281));  // </s>
    QCOMPARE(added.pad_id(), std::optional<int32_t>(279));  // <pad>
  }

  void unknown_ids_are_refused() {
    const Tokenizer tok = Tokenizer::load(fixture("tiny_gpt2.json"));
    QVERIFY(error_of([&] { tok.decode(Ids{1, 277}); }).contains("277"));
    QVERIFY(error_of([&] { tok.decode(Ids{-1}); }).contains("-1"));
    QVERIFY(error_of([&] { tok.token_bytes(99999); }).contains("99999"));
    QVERIFY(error_of([&] { tok.id_to_token(277); }).contains("not in the vocabulary"));
  }

  void to_json_reloads_identically() {
    const std::vector<std::string> texts = text_set();
    for (const char* name : {"tiny_gpt2.json", "tiny_gpt2_pairs.json", "tiny_llama3.json",
                             "tiny_added.json", "tiny_digits.json", "tiny_vocab_merges"}) {
      const Tokenizer tok = Tokenizer::load(fixture(name));
      const std::string json = tok.to_json();
      const Tokenizer again = Tokenizer::from_json(json, std::string(name) + " (exported)");
      QCOMPARE(again.vocab_size(), tok.vocab_size());
      QCOMPARE(again.to_json(), json);
      for (const std::string& text : texts) {
        QCOMPARE(again.encode(text), tok.encode(text));
        QCOMPARE(again.encode(text, true), tok.encode(text, true));
      }
      const QJsonObject root = QJsonDocument::fromJson(QByteArray::fromStdString(json)).object();
      QCOMPARE(root["model"].toObject()["type"].toString(), QString("BPE"));
      QVERIFY(root["model"].toObject()["merges"].toArray().size() >= 20);
    }
  }

  void bad_files_are_refused_by_name() {
    const std::string good = read_all(kData + "tiny_gpt2.json").toStdString();
    const auto edited = [&](const std::function<void(QJsonObject&)>& edit) {
      QJsonObject root = QJsonDocument::fromJson(QByteArray::fromStdString(good)).object();
      edit(root);
      return QJsonDocument(root).toJson().toStdString();
    };
    const auto refusal = [](const std::string& json) {
      return error_of([&] { Tokenizer::from_json(json, "bad.json"); });
    };
    const auto set_model = [](QJsonObject& root, const char* key, const QJsonValue& value) {
      QJsonObject model = root["model"].toObject();
      model[key] = value;
      root["model"] = model;
    };

    QString message = refusal("{\"model\": ");
    QVERIFY2(message.contains("bad.json") && message.contains("not valid JSON"), qPrintable(message));
    QVERIFY(refusal("[1, 2]").contains("expected a JSON object"));
    QVERIFY(refusal("{}").contains("model: missing"));

    message = refusal(edited([&](QJsonObject& root) {
      QJsonArray merges = root["model"].toObject()["merges"].toArray();
      merges[1] = "h \xE2\x82\xAC\xE2\x82\xAC";  // "h €€": a token the vocabulary lacks
      set_model(root, "merges", merges);
    }));
    QVERIFY2(message.contains("model.merges[1]") && message.contains("'\xE2\x82\xAC\xE2\x82\xAC'") &&
                 message.contains("not in the vocabulary"),
             qPrintable(message));
    message = refusal(edited([&](QJsonObject& root) {
      QJsonArray merges = root["model"].toObject()["merges"].toArray();
      merges.append("x y");  // both tokens exist, "xy" does not
      set_model(root, "merges", merges);
    }));
    QVERIFY2(message.contains("model.merges[20]") && message.contains("'xy'"), qPrintable(message));
    message = refusal(edited([&](QJsonObject& root) {
      QJsonArray merges = root["model"].toObject()["merges"].toArray();
      merges[3] = "a b c";
      set_model(root, "merges", merges);
    }));
    QVERIFY2(message.contains("model.merges[3]"), qPrintable(message));

    message = refusal(edited([&](QJsonObject& root) { set_model(root, "type", "WordPiece"); }));
    QVERIFY2(message.contains("WordPiece") && message.contains("not supported"), qPrintable(message));
    message = refusal(edited([&](QJsonObject& root) { set_model(root, "byte_fallback", true); }));
    QVERIFY2(message.contains("byte_fallback"), qPrintable(message));
    message = refusal(edited([&](QJsonObject& root) { set_model(root, "vocab", QJsonArray()); }));
    QVERIFY2(message.contains("model.vocab") && message.contains("expected an object"),
             qPrintable(message));
    message = refusal(edited([&](QJsonObject& root) { set_model(root, "unk_token", "<unk>"); }));
    QVERIFY2(message.contains("unk_token") && message.contains("<unk>"), qPrintable(message));
    message = refusal(edited([&](QJsonObject& root) {
      root["normalizer"] = QJsonObject{{"type", "NFC"}};
    }));
    QVERIFY2(message.contains("normalizer NFC") && message.contains("not supported"),
             qPrintable(message));
    message = refusal(edited([&](QJsonObject& root) {
      root["pre_tokenizer"] = QJsonObject{{"type", "Metaspace"}};
    }));
    QVERIFY2(message.contains("Metaspace"), qPrintable(message));
    message = refusal(edited([&](QJsonObject& root) { root.remove("pre_tokenizer"); }));
    QVERIFY2(message.contains("pre_tokenizer") && message.contains("ByteLevel"), qPrintable(message));
    message = refusal(edited([&](QJsonObject& root) {
      root["decoder"] = QJsonObject{{"type", "WordPiece"}};
    }));
    QVERIFY2(message.contains("decoder WordPiece"), qPrintable(message));
    message = refusal(edited([&](QJsonObject& root) {
      root["pre_tokenizer"] = QJsonObject{
          {"type", "Split"}, {"pattern", QJsonObject{{"Regex", "(unclosed"}}},
          {"behavior", "Isolated"}, {"invert", false}};
    }));
    QVERIFY2(message.contains("pre_tokenizer.pattern.Regex") && message.contains("(unclosed"),
             qPrintable(message));
    message = refusal(edited([&](QJsonObject& root) {
      QJsonArray added = root["added_tokens"].toArray();
      QJsonObject token = added[0].toObject();
      token["content"] = "<|other|>";  // id 276 is <|endoftext|> in the vocabulary
      added[0] = token;
      root["added_tokens"] = added;
    }));
    QVERIFY2(message.contains("added_tokens[0]") && message.contains("276"), qPrintable(message));
  }

  void bad_paths_and_merges_txt() {
    QVERIFY(error_of([] { Tokenizer::load("/nonexistent/tokenizer.json"); }).contains("no such file"));
    QTemporaryDir dir;
    QVERIFY(error_of([&] { Tokenizer::load(dir.path().toStdString()); })
                .contains("no tokenizer.json, and no vocab.json + merges.txt"));
    const std::string vocab = read_all(kData + "tiny_vocab_merges/vocab.json").toStdString();
    QString message = error_of(
        [&] { Tokenizer::from_vocab_merges(vocab, "#version: 0.2\nh e\nab\n", "folder"); });
    QVERIFY2(message.contains("folder/merges.txt: line 3"), qPrintable(message));
    message = error_of(
        [&] { Tokenizer::from_vocab_merges(vocab, "#version: 0.2\nh e\nq \xC4\xA0Z\n", "folder"); });
    QVERIFY2(message.contains("folder/merges.txt: line 3") && message.contains("'\xC4\xA0Z'"),
             qPrintable(message));
    message = error_of([&] { Tokenizer::from_vocab_merges("{\"a\": \"x\"}", "", "folder"); });
    QVERIFY2(message.contains("folder/vocab.json: a: expected an integer"), qPrintable(message));
    // A header-less merges.txt with CRLF line ends reads the same.
    const Tokenizer crlf = Tokenizer::from_vocab_merges(vocab, "h e\r\n\xC4\xA0 t\r\n", "folder");
    QCOMPARE(crlf.encode("the"), (Ids{116, 257}));
  }

  void cli_tokenize() {
    QTemporaryDir dir;
    const QString texts = dir.filePath("texts.json");
    QFile file(texts);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(R"([" the", "", "a<|endoftext|>b", "Привет"])");
    file.close();
    const auto run = [](const QStringList& args) {
      QProcess process;
      process.start(LORALAB_CLI, args);
      process.waitForFinished(60000);
      return std::make_tuple(process.exitCode(), process.readAllStandardOutput(),
                             QString::fromUtf8(process.readAllStandardError()));
    };
    const QString tokenizer = kData + "tiny_gpt2.json";
    auto [code, out, err] = run({"tokenize", "--tokenizer", tokenizer, "--texts-json", texts});
    QVERIFY2(code == 0, qPrintable(err));
    const QJsonArray result = QJsonDocument::fromJson(out).array();
    QCOMPARE(result.size(), 4);
    const Tokenizer tok = Tokenizer::load(tokenizer.toStdString());
    const char* inputs[] = {" the", "", "a<|endoftext|>b", "Привет"};
    for (int i = 0; i < 4; ++i) {
      Ids ids;
      for (const QJsonValue& id : result[i].toArray()) ids.push_back(id.toInt());
      QCOMPARE(show(ids), show(tok.encode(inputs[i])));
    }
    std::tie(code, out, err) =
        run({"tokenize", "--tokenizer", tokenizer, "--texts-json", texts, "--special"});
    QCOMPARE(code, 0);
    QCOMPARE(QJsonDocument::fromJson(out).array()[0].toArray(), (QJsonArray{276, 258, 276}));

    const auto write = [&](const char* name, const QByteArray& content) {
      QFile f(dir.filePath(name));
      f.open(QIODevice::WriteOnly);
      f.write(content);
      return f.fileName();
    };
    const std::pair<QString, QString> failures[] = {
        {dir.filePath("missing.json"), "cannot open"},
        {write("broken.json", "[\"a\", "), "not valid JSON"},
        {write("object.json", "{\"a\": 1}"), "expected a JSON array of strings, found object"},
        {write("mixed.json", "[\"a\", \"b\", 3]"), "[2]: expected a string, found number"},
    };
    for (const auto& [path, expected] : failures) {
      std::tie(code, out, err) = run({"tokenize", "--tokenizer", tokenizer, "--texts-json", path});
      QCOMPARE(code, 1);
      QVERIFY2(err.contains(expected), qPrintable(err));
    }
    std::tie(code, out, err) = run({"tokenize", "--tokenizer", "/nonexistent", "--texts-json", texts});
    QCOMPARE(code, 1);
    QVERIFY2(err.contains("/nonexistent"), qPrintable(err));
  }
};

QTEST_GUILESS_MAIN(TestTokenizer)
#include "test_tokenizer.moc"
