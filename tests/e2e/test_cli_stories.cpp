// `loralab-cli stories` end to end: the real binary writes JSONL corpora, prints a JSON summary,
// gives the same file for the same seed, and fails cleanly (exit 1, one line naming the problem
// on stderr, no file left behind) on bad input.
#include <QtTest>

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>

namespace {

struct Result {
  int exit_code = -1;
  QByteArray out;
  QString err;
};

Result run_cli(const QStringList& arguments) {
  QProcess process;
  process.start(QStringLiteral(LORALAB_CLI), QStringList{"stories"} + arguments);
  Result result;
  if (!process.waitForFinished(120000)) {
    process.kill();
    process.waitForFinished();
    result.err = "timed out";
    return result;
  }
  result.exit_code = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -2;
  result.out = process.readAllStandardOutput();
  result.err = QString::fromUtf8(process.readAllStandardError());
  return result;
}

QList<QJsonObject> read_jsonl(const QString& path) {
  QFile file(path);
  if (!file.open(QIODevice::ReadOnly)) return {};
  QList<QJsonObject> rows;
  for (const QByteArray& line : file.readAll().split('\n')) {
    if (line.isEmpty()) continue;
    QJsonParseError error;
    const auto document = QJsonDocument::fromJson(line, &error);
    if (error.error != QJsonParseError::NoError || !document.isObject()) return {};
    rows.push_back(document.object());
  }
  return rows;
}

QByteArray file_bytes(const QString& path) {
  QFile file(path);
  return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

}  // namespace

class TestCliStories : public QObject {
  Q_OBJECT
 private slots:
  void writes_jsonl_and_summary() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString out = dir.filePath("fairy.jsonl");
    const auto result =
        run_cli({"--style", "fairy_tale", "--count", "40", "--seed", "5", "--out", out});
    QVERIFY2(result.exit_code == 0, qPrintable(result.err));
    QVERIFY2(result.err.isEmpty(), qPrintable(result.err));

    const auto summary = QJsonDocument::fromJson(result.out).object();
    QCOMPARE(summary["style"].toString(), QString("fairy_tale"));
    QCOMPARE(summary["count"].toInt(), 40);
    QCOMPARE(summary["seed"].toInteger(), 5);
    QCOMPARE(summary["out"].toString(), out);
    QVERIFY(summary["words_mean"].toDouble() >= 80 && summary["words_mean"].toDouble() <= 250);
    QVERIFY(summary["words_min"].toInt() >= 80);
    QVERIFY(summary["words_max"].toInt() <= 250);
    QCOMPARE(summary["bytes"].toInteger(), QFileInfo(out).size());

    const auto rows = read_jsonl(out);
    QCOMPARE(rows.size(), 40);
    QSet<QString> texts;
    for (const auto& row : rows) {
      QCOMPARE(row.keys(), QStringList({"style", "text"}));
      QCOMPARE(row["style"].toString(), QString("fairy_tale"));
      const QString text = row["text"].toString();
      QVERIFY(!text.contains('{') && !text.contains("  "));
      texts.insert(text);
    }
    QCOMPARE(texts.size(), 40);
    // Only the finished file is left: the temporary was renamed into place.
    QCOMPARE(QDir(dir.path()).entryList(QDir::Files), QStringList({"fairy.jsonl"}));
  }

  void same_seed_same_file() {
    QTemporaryDir dir;
    const QString a = dir.filePath("a.jsonl"), b = dir.filePath("b.jsonl"),
                  c = dir.filePath("c.jsonl");
    QCOMPARE(run_cli({"--style", "mystery", "--count", "15", "--seed", "77", "--out", a}).exit_code, 0);
    QCOMPARE(run_cli({"--style", "mystery", "--count", "15", "--seed", "77", "--out", b}).exit_code, 0);
    QCOMPARE(run_cli({"--style", "mystery", "--count", "15", "--seed", "78", "--out", c}).exit_code, 0);
    QVERIFY(!file_bytes(a).isEmpty());
    QCOMPARE(file_bytes(a), file_bytes(b));
    QVERIFY(file_bytes(a) != file_bytes(c));
    // Rewriting an existing file replaces it whole.
    QCOMPARE(run_cli({"--style", "mystery", "--count", "3", "--seed", "77", "--out", a}).exit_code, 0);
    QCOMPARE(read_jsonl(a).size(), 3);
  }

  void all_styles_mixed() {
    QTemporaryDir dir;
    const QString out = dir.filePath("all.jsonl");
    const auto result = run_cli({"--style", "all", "--count", "25", "--out", out});
    QVERIFY2(result.exit_code == 0, qPrintable(result.err));
    const auto summary = QJsonDocument::fromJson(result.out).object();
    QCOMPARE(summary["style"].toString(), QString("all"));
    QCOMPARE(summary["seed"].toInteger(), 1);  // the default
    const auto per_style = summary["per_style"].toObject();
    QCOMPARE(per_style.size(), 5);
    QMap<QString, int> counted;
    for (const auto& row : read_jsonl(out)) ++counted[row["style"].toString()];
    QCOMPARE(counted.size(), 5);
    for (auto it = counted.begin(); it != counted.end(); ++it) {
      QCOMPARE(it.value(), 5);
      QCOMPARE(per_style[it.key()].toInt(), 5);
    }
  }

  void bad_input_fails_cleanly_data() {
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QStringList>("stderr_mentions");
    const QString out = "OUT";  // replaced by a path in the temp folder
    QTest::newRow("unknown style") << QStringList{"--style", "western", "--count", "3", "--out", out}
                                   << QStringList{"western", "fairy_tale", "sea_adventure"};
    QTest::newRow("count zero") << QStringList{"--style", "everyday", "--count", "0", "--out", out}
                                << QStringList{"--count", "'0'"};
    QTest::newRow("count negative") << QStringList{"--style", "everyday", "--count", "-4", "--out", out}
                                    << QStringList{"--count", "-4"};
    QTest::newRow("count not a number") << QStringList{"--style", "everyday", "--count", "ten", "--out", out}
                                        << QStringList{"--count", "ten"};
    QTest::newRow("count fraction") << QStringList{"--style", "everyday", "--count", "2.5", "--out", out}
                                    << QStringList{"--count", "2.5"};
    QTest::newRow("seed not a number") << QStringList{"--style", "everyday", "--count", "2", "--seed", "x1", "--out", out}
                                       << QStringList{"--seed", "x1"};
    QTest::newRow("missing out") << QStringList{"--style", "everyday", "--count", "2"}
                                 << QStringList{"--out"};
    QTest::newRow("missing style") << QStringList{"--count", "2", "--out", out}
                                   << QStringList{"--style"};
    QTest::newRow("unknown option") << QStringList{"--style", "everyday", "--count", "2", "--out", out, "--colour", "red"}
                                    << QStringList{"--colour"};
    QTest::newRow("unwritable folder") << QStringList{"--style", "everyday", "--count", "2", "--out", "NOFOLDER"}
                                       << QStringList{"NOFOLDER"};
  }

  void bad_input_fails_cleanly() {
    QFETCH(QStringList, arguments);
    QFETCH(QStringList, stderr_mentions);
    QTemporaryDir dir;
    const QString out = dir.filePath("out.jsonl");
    const QString missing_folder = dir.filePath("no/such/folder/out.jsonl");
    for (auto& argument : arguments) {
      if (argument == "OUT") argument = out;
      if (argument == "NOFOLDER") argument = missing_folder;
    }
    for (auto& mention : stderr_mentions)
      if (mention == "NOFOLDER") mention = missing_folder;
    const auto result = run_cli(arguments);
    QCOMPARE(result.exit_code, 1);
    QVERIFY2(result.out.isEmpty(), result.out.constData());
    QCOMPARE(result.err.count('\n'), 1);
    for (const auto& mention : stderr_mentions)
      QVERIFY2(result.err.contains(mention), qPrintable(mention + " not in: " + result.err));
    QVERIFY(!QFile::exists(out));
    QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::NoDotAndDotDot).size(), 0);
  }
};

QTEST_GUILESS_MAIN(TestCliStories)
#include "test_cli_stories.moc"
