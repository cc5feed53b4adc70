// `--adapter DIR[:WEIGHT]` parsing: the weight after the last ':', folder names with colons, and
// the error for a weight that is not a number.
#include <QDir>
#include <QTemporaryDir>
#include <QtTest>

#include "adapter_arg.h"
#include "loralab/error.h"

using loralab::cli::parse_adapter_arg;

namespace {

QString error_of(const std::string& text) {
  try {
    parse_adapter_arg(text);
  } catch (const loralab::Error& e) {
    return QString(e.what());
  }
  return "(no error)";
}

}  // namespace

class TestAdapterArg : public QObject {
  Q_OBJECT
 private slots:
  void weights() {
    auto plain = parse_adapter_arg("runs/a");
    QCOMPARE(plain.dir, std::string("runs/a"));
    QCOMPARE(plain.weight, 1.0);
    auto half = parse_adapter_arg("runs/a:0.5");
    QCOMPARE(half.dir, std::string("runs/a"));
    QCOMPARE(half.weight, 0.5);
    QCOMPARE(parse_adapter_arg("a:-1.25").weight, -1.25);
    QCOMPARE(parse_adapter_arg("a:3").weight, 3.0);
    QCOMPARE(parse_adapter_arg("a:1e-1").weight, 0.1);
    // Only the last ':' separates the weight.
    auto nested = parse_adapter_arg("x:y:2");
    QCOMPARE(nested.dir, std::string("x:y"));
    QCOMPARE(nested.weight, 2.0);
  }
  void bad_weights() {
    QCOMPARE(error_of("runs/a:abc"), QString("--adapter: weight 'abc' is not a number (expected DIR or "
                                             "DIR:WEIGHT, e.g. runs/a:0.5)"));
    QVERIFY(error_of("a:").contains("weight '' is not a number"));
    QVERIFY(error_of("a:0.5x").contains("weight '0.5x' is not a number"));
    QVERIFY(error_of("a: 1").contains("is not a number"));
    QVERIFY(error_of("a:inf").contains("not a finite number"));
    QVERIFY(error_of("a:nan").contains("not a finite number"));
    QVERIFY(error_of("a:1e999").contains("not a finite number"));
    QVERIFY(error_of(":0.5").contains("no folder"));
    QVERIFY(error_of("").contains("empty"));
  }
  void folders_with_colons() {
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const QString odd = tmp.filePath("style:noir");
    QVERIFY(QDir().mkpath(odd));
    auto whole = parse_adapter_arg(odd.toStdString());
    QCOMPARE(whole.dir, odd.toStdString());
    QCOMPARE(whole.weight, 1.0);
    auto weighted = parse_adapter_arg((odd + ":0.25").toStdString());
    QCOMPARE(weighted.dir, odd.toStdString());
    QCOMPARE(weighted.weight, 0.25);
    // "run:2" exists and "run" does not: the folder wins over the weight reading.
    const QString numbered = tmp.filePath("run:2");
    QVERIFY(QDir().mkpath(numbered));
    QCOMPARE(parse_adapter_arg(numbered.toStdString()).dir, numbered.toStdString());
    QCOMPARE(parse_adapter_arg(numbered.toStdString()).weight, 1.0);
    // Both exist: DIR:WEIGHT is the documented reading.
    QVERIFY(QDir().mkpath(tmp.filePath("run")));
    QCOMPARE(parse_adapter_arg(numbered.toStdString()).dir, tmp.filePath("run").toStdString());
    QCOMPARE(parse_adapter_arg(numbered.toStdString()).weight, 2.0);
  }
};

QTEST_GUILESS_MAIN(TestAdapterArg)
#include "test_adapter_arg.moc"
