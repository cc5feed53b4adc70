// Dataset readers on real files (txt, folder, JSONL, CSV, prompt/completion), every bad-input
// message, the fingerprint, the train/validation split, packing into rows and the resumable
// batch iterator.
#include <QtTest>

#include <unistd.h>

#include <algorithm>
#include <functional>
#include <set>

#include "loralab/dataset.h"
#include "loralab/error.h"

using loralab::DatasetSpec;
using loralab::Example;
using loralab::PackOptions;
using loralab::TokenizedExample;

namespace {

QString error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const loralab::Error& e) {
    return QString::fromStdString(e.what());
  }
  return QString();
}

std::string write_file(const QTemporaryDir& dir, const QString& name, const QByteArray& bytes) {
  const QString path = dir.filePath(name);
  QDir().mkpath(QFileInfo(path).path());
  QFile file(path);
  if (!file.open(QIODevice::WriteOnly)) qFatal("cannot write %s", qPrintable(path));
  file.write(bytes);
  return path.toStdString();
}

std::vector<Example> read(const std::string& path, const std::string& format = "auto",
                          const std::string& field = "text") {
  DatasetSpec spec;
  spec.path = path;
  spec.format = format;
  spec.field = field;
  return loralab::read_dataset(spec);
}

QString read_error(const std::string& path, const std::string& format = "auto",
                   const std::string& field = "text") {
  return error_of([&] { read(path, format, field); });
}

#define VERIFY_CONTAINS(haystack, needle)                                                   \
  QVERIFY2(QString(haystack).contains(needle),                                              \
           qPrintable(QString("\"%1\" does not contain \"%2\"").arg(haystack, QString(needle))))

// Ids that stand for characters, so tests can tell prompt tokens (upper case) from completion
// tokens (lower case) by their value.
std::vector<int32_t> char_ids(const std::string& text) {
  return std::vector<int32_t>(text.begin(), text.end());
}

TokenizedExample plain(std::vector<int32_t> ids) { return {std::move(ids), {}}; }

std::vector<TokenizedExample> numbered_examples(int count, int length) {
  std::vector<TokenizedExample> examples;
  for (int e = 0; e < count; ++e) {
    std::vector<int32_t> ids;
    for (int t = 0; t < length; ++t) ids.push_back(100 + e * length + t);
    examples.push_back(plain(ids));
  }
  return examples;
}

}  // namespace

class TestDataset : public QObject {
  Q_OBJECT
 private slots:
  // ---- readers ----
  void txt_blocks_are_trimmed_with_crlf_normalised() {
    QTemporaryDir dir;
    const auto path = write_file(dir, "s.txt",
                                 "\xEF\xBB\xBF  First story.\r\nline two\r\n\r\n\r\n   \nSecond\n\n\n"
                                 "Third  \r  indented\n");
    const auto examples = read(path);
    QCOMPARE(examples.size(), size_t(3));
    QCOMPARE(examples[0].text, std::string("First story.\nline two"));
    QCOMPARE(examples[1].text, std::string("Second"));
    QCOMPARE(examples[2].text, std::string("Third  \n  indented"));
    QCOMPARE(examples[0].source, path + ":1");
    QCOMPARE(examples[1].source, path + ":6");
    QCOMPARE(examples[2].source, path + ":9");
    QVERIFY(examples[0].prompt.empty());
  }

  void folder_sorted_hidden_skipped_recursive_optional() {
    QTemporaryDir dir;
    write_file(dir, "d/b.txt", "bee\n\nsecond paragraph");
    write_file(dir, "d/a.txt", "  ay  ");
    write_file(dir, "d/C.TXT", "upper");
    write_file(dir, "d/.hidden.txt", "hidden");
    write_file(dir, "d/notes.md", "not text");
    write_file(dir, "d/sub/c.txt", "nested");
    write_file(dir, "d/.git/x.txt", "hidden folder");
    const std::string folder = dir.filePath("d").toStdString();
    DatasetSpec spec;
    spec.path = folder;
    QCOMPARE(loralab::resolve_dataset_format(spec), std::string("folder"));
    auto examples = loralab::read_dataset(spec);
    QCOMPARE(examples.size(), size_t(3));  // byte order: "C.TXT" < "a.txt" < "b.txt"
    QCOMPARE(examples[0].text, std::string("upper"));
    QCOMPARE(examples[1].text, std::string("ay"));
    QCOMPARE(examples[2].text, std::string("bee\n\nsecond paragraph"));  // one story per file
    QCOMPARE(examples[1].source, folder + "/a.txt:1");

    spec.recursive = true;
    examples = loralab::read_dataset(spec);
    QCOMPARE(examples.size(), size_t(4));
    QCOMPARE(examples[3].text, std::string("nested"));
    QCOMPARE(loralab::dataset_files(spec).size(), size_t(4));

    spec.recursive = false;
    spec.one_example_per_file = false;
    examples = loralab::read_dataset(spec);
    QCOMPARE(examples.size(), size_t(4));
    QCOMPARE(examples[3].text, std::string("second paragraph"));
    QCOMPARE(examples[3].source, folder + "/b.txt:3");
  }

  void jsonl_named_field() {
    QTemporaryDir dir;
    const auto path = write_file(dir, "s.jsonl",
                                 "{\"text\": \"caf\\u00e9 story\", \"story\": \"x\"}\r\n"
                                 "\n"
                                 "  \n"
                                 "{\"text\": \"line\\nbreak\", \"story\": \"y\"}\n"
                                 "{\"text\": \"   \", \"story\": \"z\"}\n");
    auto examples = read(path);
    QCOMPARE(examples.size(), size_t(2));  // the blank text is skipped
    QCOMPARE(examples[0].text, std::string("caf\xC3\xA9 story"));
    QCOMPARE(examples[1].text, std::string("line\nbreak"));
    QCOMPARE(examples[1].source, path + ":4");
    examples = read(path, "auto", "story");
    QCOMPARE(examples.size(), size_t(3));
    QCOMPARE(examples[2].text, std::string("z"));
    QCOMPARE(examples[2].source, path + ":5");
  }

  void csv_rfc4180() {
    QTemporaryDir dir;
    const auto path = write_file(dir, "s.csv",
                                 "id, story ,note\r\n"
                                 "1,\"He said, \"\"hi\"\"\",a\r\n"
                                 "2,\"two\r\nlines\",b\r\n"
                                 "\r\n"
                                 "3,plain \"quote\" inside,c\r\n"
                                 "4,,empty\r\n"
                                 "5,\"\",\"quoted, empty\"");
    const auto examples = read(path, "auto", "story");
    QCOMPARE(examples.size(), size_t(3));
    QCOMPARE(examples[0].text, std::string("He said, \"hi\""));
    QCOMPARE(examples[1].text, std::string("two\nlines"));
    QCOMPARE(examples[2].text, std::string("plain \"quote\" inside"));
    QCOMPARE(examples[0].source, path + ":2");
    QCOMPARE(examples[1].source, path + ":3");
    QCOMPARE(examples[2].source, path + ":6");
  }

  void prompt_completion_detected_and_kept_apart() {
    QTemporaryDir dir;
    const auto path = write_file(dir, "pc.jsonl",
                                 "{\"prompt\": \"Q: sky?\", \"completion\": \" blue\"}\n"
                                 "{\"prompt\": \"\", \"completion\": \"no prompt\"}\n");
    DatasetSpec spec;
    spec.path = path;
    QCOMPARE(loralab::resolve_dataset_format(spec), std::string("prompt-completion"));
    const auto examples = loralab::read_dataset(spec);
    QCOMPARE(examples.size(), size_t(2));
    QCOMPARE(examples[0].prompt, std::string("Q: sky?"));
    QCOMPARE(examples[0].text, std::string(" blue"));
    QCOMPARE(examples[1].prompt, std::string());
    QCOMPARE(examples[1].source, path + ":2");
    // Reading it as plain JSONL with the completion field gives the completions only.
    const auto as_jsonl = read(path, "jsonl", "completion");
    QCOMPARE(as_jsonl.size(), size_t(2));
    QVERIFY(as_jsonl[0].prompt.empty());
    // Other field names.
    const auto renamed = write_file(dir, "r.jsonl", "{\"q\": \"A\", \"a\": \"b\"}\n");
    spec.path = renamed;
    spec.format = "prompt-completion";
    spec.prompt_field = "q";
    spec.completion_field = "a";
    QCOMPARE(loralab::read_dataset(spec)[0].prompt, std::string("A"));
  }

  void auto_detection_by_extension() {
    QTemporaryDir dir;
    DatasetSpec spec;
    spec.path = write_file(dir, "UP.TXT", "x");
    QCOMPARE(loralab::resolve_dataset_format(spec), std::string("txt"));
    spec.path = write_file(dir, "a.ndjson", "{\"text\": \"x\"}");
    QCOMPARE(loralab::resolve_dataset_format(spec), std::string("jsonl"));
    spec.path = write_file(dir, "b.jsonl", "\n{\"prompt\": \"x\"}\n{\"prompt\": \"x\", \"completion\": \"y\"}");
    QCOMPARE(loralab::resolve_dataset_format(spec), std::string("jsonl"));  // first object decides
    spec.path = write_file(dir, "c.csv", "text\nx");
    QCOMPARE(loralab::resolve_dataset_format(spec), std::string("csv"));
    spec.path = write_file(dir, "d.parquet", "x");
    const QString message = error_of([&] { loralab::resolve_dataset_format(spec); });
    VERIFY_CONTAINS(message, "d.parquet");
    VERIFY_CONTAINS(message, ".parquet");
    spec.format = "yaml";
    VERIFY_CONTAINS(error_of([&] { loralab::read_dataset(spec); }), "unknown format \"yaml\"");
  }

  void committed_examples() {
    const std::string root = std::string(LORALAB_TEST_DATA) + "/datasets/";
    auto txt = read(root + "stories.txt");
    QCOMPARE(txt.size(), size_t(3));
    QVERIFY(txt[1].text.starts_with("An owl kept a library"));
    QCOMPARE(txt[2].source, root + "stories.txt:7");
    auto jsonl = read(root + "stories.jsonl");
    QCOMPARE(jsonl.size(), size_t(3));
    QCOMPARE(jsonl[2].source, root + "stories.jsonl:4");
    QCOMPARE(read(root + "stories.jsonl", "jsonl", "style")[0].text, std::string("scifi"));
    auto qa = read(root + "qa.jsonl");
    QCOMPARE(qa.size(), size_t(2));
    QCOMPARE(qa[0].prompt, std::string("Once upon a time, a dragon"));
    auto csv = read(root + "stories.csv", "auto", "story");
    QCOMPARE(csv.size(), size_t(3));
    QCOMPARE(csv[0].text, std::string("The fox said, \"Hello,\" and left."));
    QCOMPARE(csv[1].text, std::string("Two lines:\nthe owl slept."));
    auto folder = read(root + "folder");
    QCOMPARE(folder.size(), size_t(2));  // .draft.txt and notes.md are skipped
    QCOMPARE(folder[1].text, std::string("The second tale."));
  }

  // ---- bad input ----
  void missing_unreadable_and_wrong_kind() {
    QTemporaryDir dir;
    const std::string missing = dir.filePath("gone.txt").toStdString();
    VERIFY_CONTAINS(read_error(missing), QString::fromStdString(missing));
    VERIFY_CONTAINS(read_error(missing), "not found");
    VERIFY_CONTAINS(read_error(dir.path().toStdString(), "txt"), "is a folder");
    const auto file = write_file(dir, "f.txt", "x");
    VERIFY_CONTAINS(read_error(file, "folder"), "is a file");
    QDir().mkpath(dir.filePath("empty_folder"));
    VERIFY_CONTAINS(read_error(dir.filePath("empty_folder").toStdString()), "no .txt files");
  }

  void unreadable_file() {
    if (geteuid() == 0) QSKIP("running as root: file permissions do not stop reads");
    QTemporaryDir dir;
    const auto path = write_file(dir, "locked.txt", "secret");
    QFile::setPermissions(QString::fromStdString(path), QFileDevice::Permissions());
    const QString message = read_error(path);
    VERIFY_CONTAINS(message, QString::fromStdString(path));
    VERIFY_CONTAINS(message, "Permission denied");
  }

  void empty_datasets() {
    QTemporaryDir dir;
    VERIFY_CONTAINS(read_error(write_file(dir, "e.txt", "")), "no examples");
    VERIFY_CONTAINS(read_error(write_file(dir, "w.txt", " \r\n\t\n\n")), "no examples");
    VERIFY_CONTAINS(read_error(write_file(dir, "b.jsonl", "{\"text\": \"\"}\n\n")), "no examples");
    VERIFY_CONTAINS(read_error(write_file(dir, "h.csv", "text\r\n"), "auto", "text"), "no examples");
    VERIFY_CONTAINS(read_error(write_file(dir, "n.csv", "")), "header");
    QDir().mkpath(dir.filePath("blank"));
    write_file(dir, "blank/a.txt", "   ");
    const QString folder_message = read_error(dir.filePath("blank").toStdString());
    VERIFY_CONTAINS(folder_message, "no examples");
    VERIFY_CONTAINS(folder_message, "blank");
  }

  void invalid_utf8_names_file_line_and_offset() {
    QTemporaryDir dir;
    struct Case {
      const char* name;
      QByteArray bytes;
      const char* format;
      int line;
      int offset;
    };
    const QByteArray prefix = "ok line\nsecond ";  // the bad sequence starts at byte 15, line 2
    const std::vector<Case> cases = {
        {"ff.txt", prefix + "\xFF rest\n", "auto", 2, 15},
        {"overlong.txt", prefix + "\xC0\x80\n", "auto", 2, 15},
        {"surrogate.txt", prefix + "\xED\xA0\x80\n", "auto", 2, 15},
        {"truncated.txt", prefix + "\xE2\x82", "auto", 2, 15},
        {"above.txt", prefix + "\xF4\x90\x80\x80", "auto", 2, 15},
        {"crlf.txt", "a\r\nb\r\nc\xFE", "auto", 3, 7},
        {"j.jsonl", "{\"text\": \"ok\"}\n{\"text\": \"\xC3(\"}\n", "auto", 2, 25},
        {"c.csv", "text\nfine\n\"bad \x80\"\n", "csv", 3, 15},
    };
    for (const Case& c : cases) {
      const auto path = write_file(dir, c.name, c.bytes);
      const QString message = read_error(path, c.format);
      VERIFY_CONTAINS(message, QString::fromStdString(path) + ":" + QString::number(c.line) + ":");
      VERIFY_CONTAINS(message, "invalid UTF-8");
      VERIFY_CONTAINS(message, "byte offset " + QString::number(c.offset));
    }
    // A valid BOM and valid multi-byte text pass.
    QCOMPARE(read(write_file(dir, "ok.txt", "\xEF\xBB\xBF\xE2\x82\xAC \xF0\x9F\x90\x89"))[0].text,
             std::string("\xE2\x82\xAC \xF0\x9F\x90\x89"));
  }

  void jsonl_errors_name_the_line() {
    QTemporaryDir dir;
    const QByteArray good = "{\"text\": \"fine\"}\n\n";
    struct Case {
      const char* name;
      QByteArray line;
      const char* expected;
    };
    const std::vector<Case> cases = {
        {"notjson.jsonl", "{\"text\": oops}", "not valid JSON"},
        {"array.jsonl", "[1, 2]", "expected a JSON object, found array"},
        {"string.jsonl", "\"just text\"", "found string"},
        {"missing.jsonl", "{\"story\": \"x\", \"title\": \"y\"}", "no field \"text\""},
        {"number.jsonl", "{\"text\": 42}", "field \"text\" is number, expected a string"},
        {"null.jsonl", "{\"text\": null}", "is null"},
        {"truncated.jsonl", "{\"text\": \"x", "not valid JSON"},
    };
    for (const Case& c : cases) {
      const auto path = write_file(dir, c.name, good + c.line + "\n" + good);
      const QString message = read_error(path, "jsonl");
      VERIFY_CONTAINS(message, QString::fromStdString(path) + ":3:");
      VERIFY_CONTAINS(message, c.expected);
    }
    const auto missing = write_file(dir, "keys.jsonl", "{\"story\": \"x\", \"title\": \"y\"}\n");
    VERIFY_CONTAINS(read_error(missing), "\"story\", \"title\"");  // lists the fields present
    const auto pc = write_file(dir, "pc.jsonl",
                               "{\"prompt\": \"a\", \"completion\": \"b\"}\n{\"prompt\": \"a\"}\n");
    const QString message = read_error(pc);
    VERIFY_CONTAINS(message, QString::fromStdString(pc) + ":2:");
    VERIFY_CONTAINS(message, "no field \"completion\"");
  }

  void csv_errors_name_the_line() {
    QTemporaryDir dir;
    const auto no_column = write_file(dir, "a.csv", "id,title,body\n1,x,y\n");
    QString message = read_error(no_column, "auto", "story");
    VERIFY_CONTAINS(message, QString::fromStdString(no_column));
    VERIFY_CONTAINS(message, "no column \"story\"");
    VERIFY_CONTAINS(message, "\"id\", \"title\", \"body\"");

    const auto unterminated = write_file(dir, "b.csv", "text\nfine\n\"opens here\nand\nnever closes\n");
    message = read_error(unterminated);
    VERIFY_CONTAINS(message, QString::fromStdString(unterminated) + ":3:");
    VERIFY_CONTAINS(message, "unterminated quote");

    const auto after_quote = write_file(dir, "c.csv", "text,n\n\"a\"b,1\n");
    message = read_error(after_quote);
    VERIFY_CONTAINS(message, QString::fromStdString(after_quote) + ":2:");
    VERIFY_CONTAINS(message, "after the closing quote");

    const auto ragged = write_file(dir, "d.csv", "text,n\nx,1\ny\n");
    message = read_error(ragged);
    VERIFY_CONTAINS(message, QString::fromStdString(ragged) + ":3:");
    VERIFY_CONTAINS(message, "1 fields, the header has 2");

    const auto duplicate = write_file(dir, "e.csv", "text,text\nx,y\n");
    VERIFY_CONTAINS(read_error(duplicate), "more than once");
  }

  // ---- fingerprint ----
  void fingerprint_tracks_bytes_names_fields_and_settings() {
    QTemporaryDir dir;
    const auto path = write_file(dir, "one/s.jsonl", "{\"text\": \"a\", \"other\": \"b\"}\n");
    write_file(dir, "two/s.jsonl", "{\"text\": \"a\", \"other\": \"b\"}\n");
    DatasetSpec spec;
    spec.path = path;
    const std::string base = loralab::dataset_fingerprint(spec, "{\"seq_len\":64}");
    QCOMPARE(base.size(), size_t(64));
    QCOMPARE(loralab::dataset_fingerprint(spec, "{\"seq_len\":64}"), base);  // stable
    DatasetSpec moved = spec;
    moved.path = dir.filePath("two/s.jsonl").toStdString();
    QCOMPARE(loralab::dataset_fingerprint(moved, "{\"seq_len\":64}"), base);  // location-free

    QVERIFY(loralab::dataset_fingerprint(spec, "{\"seq_len\":128}") != base);
    DatasetSpec other_field = spec;
    other_field.field = "other";
    QVERIFY(loralab::dataset_fingerprint(other_field, "{\"seq_len\":64}") != base);
    write_file(dir, "one/s.jsonl", "{\"text\": \"A\", \"other\": \"b\"}\n");  // one byte
    QVERIFY(loralab::dataset_fingerprint(spec, "{\"seq_len\":64}") != base);
    // The settings and the bytes are framed: moving bytes between them changes the hash.
    QVERIFY(loralab::dataset_fingerprint(spec, "") !=
            loralab::dataset_fingerprint(spec, "x"));
  }

  void fingerprint_of_a_folder() {
    QTemporaryDir dir;
    write_file(dir, "d/a.txt", "alpha");
    write_file(dir, "d/b.txt", "beta");
    DatasetSpec spec;
    spec.path = dir.filePath("d").toStdString();
    const std::string base = loralab::dataset_fingerprint(spec, "{}");
    DatasetSpec slash = spec;
    slash.path += "/";
    QCOMPARE(loralab::dataset_fingerprint(slash, "{}"), base);
    write_file(dir, "d/.hidden.txt", "ignored");
    write_file(dir, "d/readme.md", "ignored");
    QCOMPARE(loralab::dataset_fingerprint(spec, "{}"), base);  // only files that are read count
    QVERIFY(QFile::rename(dir.filePath("d/b.txt"), dir.filePath("d/c.txt")));
    const std::string renamed = loralab::dataset_fingerprint(spec, "{}");
    QVERIFY(renamed != base);
    write_file(dir, "d/z.txt", "zeta");
    QVERIFY(loralab::dataset_fingerprint(spec, "{}") != renamed);
  }

  // ---- split ----
  void split_sizes_and_determinism() {
    std::vector<Example> examples;
    for (int i = 0; i < 50; ++i) examples.push_back({"story " + std::to_string(i), "", ""});
    const auto split = loralab::split_dataset(examples, 0.2, 7);
    QCOMPARE(split.train.size(), size_t(40));
    QCOMPARE(split.validation.size(), size_t(10));
    std::set<std::string> seen;
    for (const auto& e : split.train) seen.insert(e.text);
    for (const auto& e : split.validation) seen.insert(e.text);
    QCOMPARE(seen.size(), size_t(50));  // disjoint and complete
    // Each side keeps the original order.
    auto index_of = [](const Example& e) { return std::stoi(e.text.substr(6)); };
    QVERIFY(std::is_sorted(split.train.begin(), split.train.end(),
                           [&](const Example& a, const Example& b) { return index_of(a) < index_of(b); }));
    const auto again = loralab::split_dataset(examples, 0.2, 7);
    const auto other = loralab::split_dataset(examples, 0.2, 8);
    auto texts = [](const std::vector<Example>& v) {
      std::vector<std::string> out;
      for (const auto& e : v) out.push_back(e.text);
      return out;
    };
    QVERIFY(texts(again.validation) == texts(split.validation));
    QVERIFY(texts(other.validation) != texts(split.validation));

    QCOMPARE(loralab::split_dataset(examples, 0.0, 1).train.size(), size_t(50));
    QCOMPARE(loralab::split_dataset(examples, 0.001, 1).validation.size(), size_t(1));
    QCOMPARE(loralab::split_dataset(examples, 0.999, 1).train.size(), size_t(1));
    VERIFY_CONTAINS(error_of([&] { loralab::split_dataset(examples, 1.0, 1); }), "[0, 1)");
    VERIFY_CONTAINS(error_of([&] { loralab::split_dataset({examples[0]}, 0.1, 1); }), "at least 2");
  }

  void separate_validation_file() {
    QTemporaryDir dir;
    DatasetSpec train, validation;
    train.path = write_file(dir, "train.txt", "a\n\nb\n\nc");
    validation.path = write_file(dir, "val.txt", "v");
    const auto split = loralab::load_train_validation(train, validation, 0.5, 1);
    QCOMPARE(split.train.size(), size_t(3));
    QCOMPARE(split.validation.size(), size_t(1));
    QCOMPARE(split.validation[0].text, std::string("v"));
    const auto by_ratio = loralab::load_train_validation(train, std::nullopt, 0.34, 1);
    QCOMPARE(by_ratio.train.size(), size_t(2));
    QCOMPARE(by_ratio.validation.size(), size_t(1));
  }

  // ---- packing ----
  void packed_targets_are_inputs_shifted_by_one() {
    PackOptions options;
    options.seq_len = 4;
    options.bos = 1;
    options.eos = 2;
    options.shuffle = false;
    const auto set = loralab::pack_examples({plain({10, 11, 12}), plain({20, 21})}, options);
    // Stream: 1 10 11 12 2 | 1 20 21 2 (9 tokens) -> (9 - 1) / 4 = 2 rows, nothing left over.
    QCOMPARE(set.rows(), int64_t(2));
    QCOMPARE(set.stream_tokens, int64_t(9));
    QCOMPARE(set.inputs, (std::vector<int32_t>{1, 10, 11, 12, 2, 1, 20, 21}));
    QCOMPARE(set.targets, (std::vector<int32_t>{10, 11, 12, 2, 1, 20, 21, 2}));
    // The second document's bos is not predicted from the first document's eos.
    QCOMPARE(set.target_mask, (std::vector<uint8_t>{1, 1, 1, 1, 0, 1, 1, 1}));
    QCOMPARE(set.target_tokens, int64_t(7));
    QCOMPARE(set.dropped_tokens, int64_t(0));
    QCOMPARE(std::vector<int32_t>(set.target_row(1).begin(), set.target_row(1).end()),
             (std::vector<int32_t>{1, 20, 21, 2}));
    for (int64_t r = 0; r < set.rows(); ++r) {
      for (int64_t t = 0; t + 1 < set.seq_len; ++t) {
        QCOMPARE(set.targets[r * 4 + t], set.inputs[r * 4 + t + 1]);
      }
    }
  }

  void packing_without_bos_masks_document_starts_and_handles_the_tail() {
    PackOptions options;
    options.seq_len = 3;
    options.shuffle = false;
    // Stream: 10 11 12 20 21 (5 tokens): 1 full row (4 tokens), 1 target left over.
    auto set = loralab::pack_examples({plain({10, 11, 12}), plain({20, 21})}, options);
    QCOMPARE(set.rows(), int64_t(1));
    QCOMPARE(set.targets, (std::vector<int32_t>{11, 12, 20}));
    QCOMPARE(set.target_mask, (std::vector<uint8_t>{1, 1, 0}));  // 20 starts a document
    QCOMPARE(set.dropped_tokens, int64_t(1));
    options.pad = 0;
    set = loralab::pack_examples({plain({10, 11, 12}), plain({20, 21})}, options);
    QCOMPARE(set.rows(), int64_t(2));
    QCOMPARE(std::vector<int32_t>(set.input_row(1).begin(), set.input_row(1).end()),
             (std::vector<int32_t>{20, 0, 0}));
    QCOMPARE(std::vector<int32_t>(set.target_row(1).begin(), set.target_row(1).end()),
             (std::vector<int32_t>{21, 0, 0}));
    QCOMPARE(std::vector<uint8_t>(set.mask_row(1).begin(), set.mask_row(1).end()),
             (std::vector<uint8_t>{1, 0, 0}));
    QCOMPARE(set.dropped_tokens, int64_t(0));
  }

  void prompt_tokens_never_count() {
    // Prompts are upper case, completions lower case: the id tells which one a target came from.
    const std::vector<Example> examples = {{" the end", "ONCE UPON A TIME", ""},
                                           {"roar", "THE DRAGON SAID", ""},
                                           {"-ok", "", ""},
                                           {"yes indeed", "Q", ""}};
    std::vector<TokenizedExample> tokenized;
    for (const auto& e : examples) tokenized.push_back(loralab::tokenize_example(e, char_ids));
    QCOMPARE(tokenized[1].ids.size(), size_t(19));
    QCOMPARE(std::count(tokenized[1].loss_mask.begin(), tokenized[1].loss_mask.end(), 0), 15L);
    for (bool pack : {true, false}) {
      PackOptions options;
      options.seq_len = 7;
      options.eos = 3;
      options.pad = 4;
      options.pack = pack;
      options.seed = 11;
      const auto set = loralab::pack_examples(tokenized, options);
      int64_t counted = 0;
      for (size_t i = 0; i < set.targets.size(); ++i) {
        const int32_t id = set.targets[i];
        if ((id >= 'A' && id <= 'Z') || id == 4) QCOMPARE(int(set.target_mask[i]), 0);
        if (id >= 'a' && id <= 'z') QCOMPARE(int(set.target_mask[i]), 1);
        counted += set.target_mask[i];
      }
      // Completion characters, each counted once, minus the first token of "-ok" (a document
      // start without bos), plus one eos per example.
      QCOMPARE(counted, int64_t(8 + 4 + 3 + 10 - 1 + 4));
      QCOMPARE(set.target_tokens, counted);
    }
  }

  void padding_mode_one_example_per_row() {
    PackOptions options;
    options.seq_len = 5;
    options.bos = 1;
    options.eos = 2;
    options.pad = 0;
    options.pack = false;
    options.shuffle = false;
    const auto set =
        loralab::pack_examples({plain({10, 11}), plain({20, 21, 22, 23, 24, 25, 26, 27})}, options);
    // [1 10 11 2] -> one row; [1 20..27 2] (10 tokens) -> rows over tokens 0..5 and 5..9.
    QCOMPARE(set.rows(), int64_t(3));
    QCOMPARE(set.inputs, (std::vector<int32_t>{1, 10, 11, 0, 0, 1, 20, 21, 22, 23, 24, 25, 26, 27, 0}));
    QCOMPARE(set.targets, (std::vector<int32_t>{10, 11, 2, 0, 0, 20, 21, 22, 23, 24, 25, 26, 27, 2, 0}));
    QCOMPARE(set.target_mask, (std::vector<uint8_t>{1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0}));
    QCOMPARE(set.stream_tokens, int64_t(14));
    // Without pad, eos pads (always masked out).
    options.pad.reset();
    const auto eos_padded = loralab::pack_examples({plain({10, 11})}, options);
    QCOMPARE(eos_padded.targets, (std::vector<int32_t>{10, 11, 2, 2, 2}));
    QCOMPARE(eos_padded.target_mask, (std::vector<uint8_t>{1, 1, 1, 0, 0}));
  }

  void packing_is_deterministic_by_seed() {
    const auto examples = numbered_examples(30, 5);
    PackOptions options;
    options.seq_len = 8;
    options.eos = 2;
    options.pad = 0;  // keeps the tail, so every order yields the same counted tokens
    options.seed = 1234;
    const auto a = loralab::pack_examples(examples, options);
    const auto b = loralab::pack_examples(examples, options);
    QVERIFY(a.inputs == b.inputs);
    QVERIFY(a.target_mask == b.target_mask);
    options.seed = 1235;
    const auto c = loralab::pack_examples(examples, options);
    QVERIFY(a.inputs != c.inputs);
    QCOMPARE(c.target_tokens, a.target_tokens);  // same tokens, another order
    auto counted = [](const loralab::PackedBatchSet& set) {
      std::multiset<int32_t> ids;
      for (size_t i = 0; i < set.targets.size(); ++i) {
        if (set.target_mask[i]) ids.insert(set.targets[i]);
      }
      return ids;
    };
    QVERIFY(counted(a) == counted(c));
    QCOMPARE(counted(a).size(), size_t(30 * 5));  // 4 ids after each document start, plus eos
    options.shuffle = false;
    const auto unshuffled = loralab::pack_examples(examples, options);
    QCOMPARE(unshuffled.inputs[0], 100);
  }

  void packing_errors() {
    PackOptions options;
    options.seq_len = 16;
    options.bos = 1;
    options.eos = 2;
    QString message = error_of([&] { loralab::pack_examples({plain({5, 6, 7}), plain({8, 9})}, options); });
    VERIFY_CONTAINS(message, "9 tokens");
    VERIFY_CONTAINS(message, "needs 17");
    options.seq_len = 0;
    VERIFY_CONTAINS(error_of([&] { loralab::pack_examples({plain({5, 6})}, options); }), "seq_len");
    options.seq_len = -3;
    VERIFY_CONTAINS(error_of([&] { loralab::pack_examples({plain({5, 6})}, options); }), "got -3");
    options.seq_len = 2;
    VERIFY_CONTAINS(error_of([&] { loralab::pack_examples({}, options); }), "no examples");
    VERIFY_CONTAINS(error_of([&] { loralab::pack_examples({{{5, 6, 7}, {1, 0}}}, options); }),
                    "3 ids but 2 loss-mask");
    options.vocab_size = 8;
    VERIFY_CONTAINS(error_of([&] { loralab::pack_examples({plain({5, 9})}, options); }),
                    "example 0 token 1 is 9");
    VERIFY_CONTAINS(error_of([&] { loralab::pack_examples({plain({5, -1})}, options); }), "is -1");
  }

  // ---- randomness and the batch iterator ----
  void seeded_rng_matches_reference_values() {
    // xoshiro256** seeded by splitmix64, values from an independent Python implementation.
    loralab::SeededRng zero(0);
    QCOMPARE(zero.next(), 0x99ec5f36cb75f2b4ULL);
    QCOMPARE(zero.next(), 0xbf6e1f784956452aULL);
    QCOMPARE(zero.next(), 0x1a5f849d4933e6e0ULL);
    loralab::SeededRng answer(42);
    QCOMPARE(answer.next(), 0x15780b2e0c2ec716ULL);
    QCOMPARE(answer.next(), 0x6104d9866d113a7eULL);
    loralab::SeededRng rng(5);
    std::vector<int> counts(3, 0);
    for (int i = 0; i < 3000; ++i) ++counts[size_t(rng.below(3))];
    for (int c : counts) QVERIFY(c > 900 && c < 1100);
    QVERIFY(loralab::derive_seed(1, 0) != loralab::derive_seed(1, 1));
    QVERIFY(loralab::derive_seed(1, 0) != loralab::derive_seed(2, 0));
  }

  void iterator_covers_each_row_once_per_epoch() {
    loralab::BatchIterator it(10, 3, 99);
    QCOMPARE(it.batches_per_epoch(), int64_t(4));
    std::vector<std::vector<int64_t>> epochs(2);
    for (int b = 0; b < 8; ++b) {
      const auto batch = it.next();
      QCOMPARE(batch.epoch, int64_t(b / 4));
      QCOMPARE(batch.rows.size(), size_t(b % 4 == 3 ? 1 : 3));
      QCOMPARE(batch.last_in_epoch, b % 4 == 3);
      epochs[size_t(batch.epoch)].insert(epochs[size_t(batch.epoch)].end(), batch.rows.begin(),
                                         batch.rows.end());
    }
    QCOMPARE(it.position().epoch, int64_t(2));
    QCOMPARE(it.position().index, int64_t(0));
    for (auto order : epochs) {
      std::sort(order.begin(), order.end());
      QCOMPARE(order, (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
    }
    QVERIFY(epochs[0] == it.epoch_order(0));
    QVERIFY(epochs[1] == it.epoch_order(1));
    QVERIFY(epochs[0] != epochs[1]);
    QVERIFY(loralab::BatchIterator(10, 3, 100).epoch_order(0) != epochs[0]);
    QCOMPARE(loralab::BatchIterator(4, 2, 99, /*shuffle=*/false).epoch_order(3),
             (std::vector<int64_t>{0, 1, 2, 3}));

    loralab::BatchIterator dropping(10, 3, 99, true, /*drop_last=*/true);
    QCOMPARE(dropping.batches_per_epoch(), int64_t(3));
    for (int b = 0; b < 3; ++b) QCOMPARE(dropping.next().rows.size(), size_t(3));
    QCOMPARE(dropping.position().epoch, int64_t(1));
  }

  void iterator_resumes_exactly() {
    for (bool drop_last : {false, true}) {
      loralab::BatchIterator straight(23, 4, 5, true, drop_last);
      std::vector<loralab::Batch> expected;
      for (int b = 0; b < 20; ++b) expected.push_back(straight.next());

      loralab::BatchIterator first(23, 4, 5, true, drop_last);
      for (int b = 0; b < 9; ++b) first.next();
      const loralab::BatchPosition saved = first.position();
      loralab::BatchIterator resumed(23, 4, 5, true, drop_last);  // a fresh process
      resumed.restore(saved);
      for (int b = 9; b < 20; ++b) {
        const auto batch = resumed.next();
        QCOMPARE(batch.rows, expected[size_t(b)].rows);
        QCOMPARE(batch.epoch, expected[size_t(b)].epoch);
      }
    }
    loralab::BatchIterator it(10, 3, 1);
    VERIFY_CONTAINS(error_of([&] { it.restore({0, 10}); }), "index 10");
    VERIFY_CONTAINS(error_of([&] { it.restore({-1, 0}); }), "epoch -1");
    VERIFY_CONTAINS(error_of([] { loralab::BatchIterator(0, 3, 1); }), "no rows");
    VERIFY_CONTAINS(error_of([] { loralab::BatchIterator(10, 0, 1); }), "batch size");
    VERIFY_CONTAINS(error_of([] { loralab::BatchIterator(2, 3, 1, true, true); }), "larger than");
  }
};

QTEST_GUILESS_MAIN(TestDataset)
#include "test_dataset.moc"
