// Argument parsing of loralab-cli: values, switches, repeatable flags and the errors that name the
// offending flag.
#include <QtTest>

#include "args.h"
#include "loralab/error.h"

using loralab::cli::Args;

class TestCliArgs : public QObject {
  Q_OBJECT
 private slots:
  void values_switches_and_positionals() {
    Args args({"MODEL", "--tokens", "1,2,3", "--json", "--adapter=a:0.5", "--adapter", "b"},
              {"json"});
    QCOMPARE(args.positional(0, "MODEL").c_str(), "MODEL");
    QCOMPARE(args.required("tokens").c_str(), "1,2,3");
    QVERIFY(args.has("json"));
    QCOMPARE(args.all("adapter").size(), size_t(2));
    QCOMPARE(args.all("adapter")[0].c_str(), "a:0.5");
    QCOMPARE(args.get_int("missing", 7), 7LL);
  }
  void negative_numbers_are_values() {
    Args args({"--weight", "-0.5", "-3"});
    QCOMPARE(args.get_double("weight", 0), -0.5);
    QCOMPARE(args.positional(0, "X").c_str(), "-3");
  }
  void errors_name_the_flag() {
    auto message = [](auto fn) {
      try {
        fn();
      } catch (const loralab::Error& e) {
        return QString(e.what());
      }
      return QString();
    };
    QVERIFY(message([] { Args({"--steps"}); }).contains("--steps"));
    QVERIFY(message([] { Args({"--steps", "x"}).get_int("steps", 0); }).contains("--steps"));
    QVERIFY(message([] { Args({"--json=1"}, {"json"}); }).contains("--json"));
    QVERIFY(message([] { Args({"--a", "1", "--a", "2"}).get("a"); }).contains("more than once"));
    QVERIFY(message([] { Args({"--bogus", "1"}).reject_unknown({"a"}); }).contains("--bogus"));
    QVERIFY(message([] { loralab::cli::parse_int_list("1,,2", "--tokens"); }).contains("--tokens"));
    QVERIFY(message([] { Args({"-x"}); }).contains("-x"));
    QVERIFY(message([] { Args({}).required("model"); }).contains("--model"));
  }
  // A spec's validation message names its field; the CLI names the flag that sets it.
  void validation_messages_name_the_flag() {
    using loralab::cli::as_flag_message;
    QCOMPARE(QString::fromStdString(as_flag_message("weight_decay: expected a value ≥ 0")),
             QString("--weight-decay: expected a value ≥ 0"));
    QCOMPARE(QString::fromStdString(as_flag_message("rehearsal_opening_share: expected a share, not rehearsal_share")),
             QString("--rehearsal-opening-share: expected a share, not rehearsal_share"));
    QCOMPARE(QString::fromStdString(as_flag_message("validation_ratio: expected a ratio")),
             QString("--val-ratio: expected a ratio"));
    QCOMPARE(QString::fromStdString(as_flag_message("target_modules: matched nothing")),
             QString("--targets: matched nothing"));
    QCOMPARE(QString::fromStdString(as_flag_message("lr: expected a value > 0")),
             QString("--lr: expected a value > 0"));
  }
  void int_lists() {
    auto v = loralab::cli::parse_int_list("5,-1,300", "--tokens");
    QCOMPARE(v.size(), size_t(3));
    QCOMPARE(v[1], -1LL);
  }
};

QTEST_APPLESS_MAIN(TestCliArgs)
#include "test_cli_args.moc"
