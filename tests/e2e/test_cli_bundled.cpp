// End to end: the real `loralab-cli` finds the bundled model and story sets by the word `bundled`
// — in the source tree from its build folder, under $LORALAB_RESOURCES, and in the installed
// layout <prefix>/bin/loralab-cli + <prefix>/share/loralab (a copy of the binary in a temporary
// prefix, so no root or package is needed) — and names the styles there are when one is wrong.
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>
#include <unistd.h>

#include <cmath>

namespace {

const QString kSourceResources = QStringLiteral(LORALAB_RESOURCES_DIR);

struct CliResult {
  int exit_code = -1;
  QJsonObject json;
  QString err;
};

CliResult run(const QString& program, const QStringList& args, const QString& resources_env = {}) {
  QProcess process;
  auto env = QProcessEnvironment::systemEnvironment();
  env.remove("LORALAB_RESOURCES");
  if (!resources_env.isEmpty()) env.insert("LORALAB_RESOURCES", resources_env);
  process.setProcessEnvironment(env);
  process.start(program, args);
  CliResult result;
  if (!process.waitForFinished(120000)) {
    process.kill();
    process.waitForFinished();
    return result;
  }
  result.exit_code = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
  result.json = QJsonDocument::fromJson(process.readAllStandardOutput()).object();
  result.err = QString::fromUtf8(process.readAllStandardError());
  return result;
}

bool copy_file(const QString& from, const QString& to) {
  QDir().mkpath(QFileInfo(to).absolutePath());
  return QFile::copy(from, to);
}

// A resource root holding the bundled model and one small style folder `mini`.
void make_resources(const QString& root) {
  for (const char* name : {"config.json", "model.safetensors", "tokenizer.json"})
    QVERIFY(copy_file(kSourceResources + "/models/base/" + name, root + "/models/base/" + name));
  QFile data(root + "/datasets/mini/train.jsonl");
  QVERIFY(QDir().mkpath(root + "/datasets/mini"));
  QVERIFY(data.open(QIODevice::WriteOnly));
  for (int i = 0; i < 8; ++i)
    data.write(R"({"text": "Once upon a time a small dog found a red ball in the garden and was happy."})" "\n");
  data.close();
  QVERIFY(QFile::copy(root + "/datasets/mini/train.jsonl", root + "/datasets/mini/validation.jsonl"));
}

}  // namespace

class TestCliBundled : public QObject {
  Q_OBJECT

 private slots:
  void build_tree_finds_the_source_resources() {
    const auto info = run(LORALAB_CLI, {"info", "bundled"});
    QVERIFY2(info.exit_code == 0, qPrintable(info.err));
    QCOMPARE(info.json["weights"].toString(), QDir::cleanPath(kSourceResources + "/models/base/model.safetensors"));
    const auto same = run(LORALAB_CLI, {"info", "--model=bundled"});
    QCOMPARE(same.json["weights"].toString(), info.json["weights"].toString());
  }

  void environment_override_and_dataset_words() {
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const QString root = tmp.filePath("res");
    make_resources(root);
    const auto info = run(LORALAB_CLI, {"info", "bundled"}, root);
    QVERIFY2(info.exit_code == 0, qPrintable(info.err));
    QCOMPARE(info.json["weights"].toString(), root + "/models/base/model.safetensors");

    const QStringList loss_args{"loss", "--model", "bundled", "--max-rows", "1", "--seq", "16", "--threads", "1"};
    auto loss = run(LORALAB_CLI, loss_args + QStringList{"--data", "bundled:mini"}, root);
    QVERIFY2(loss.exit_code == 0, qPrintable(loss.err));
    QCOMPARE(loss.json["data"].toString(), root + "/datasets/mini/train.jsonl");
    QCOMPARE(loss.json["model"].toString(), root + "/models/base");
    QVERIFY(loss.json["loss"].toDouble() > 0);
    loss = run(LORALAB_CLI, loss_args + QStringList{"--data", "bundled:mini/validation.jsonl"}, root);
    QCOMPARE(loss.json["data"].toString(), root + "/datasets/mini/validation.jsonl");

    // Wrong words: the message names the flag and what there is.
    auto bad = run(LORALAB_CLI, loss_args + QStringList{"--data", "bundled:fairy_tale"}, root);
    QCOMPARE(bad.exit_code, 1);
    QVERIFY2(bad.err.contains("--data bundled:fairy_tale") && bad.err.contains("styles: mini"), qPrintable(bad.err));
    bad = run(LORALAB_CLI, loss_args + QStringList{"--data", "bundled:../../etc/passwd"}, root);
    QCOMPARE(bad.exit_code, 1);
    QVERIFY2(bad.err.contains("expected bundled:STYLE"), qPrintable(bad.err));
    bad = run(LORALAB_CLI, {"train", "--model", "bundled", "--data", "bundled:mini", "--reference", "bundled:mini",
                            "--out", tmp.filePath("out")}, root);
    QCOMPARE(bad.exit_code, 1);
    QVERIFY2(bad.err.contains("has no reference.jsonl") && bad.err.contains("train.jsonl, validation.jsonl"),
             qPrintable(bad.err));

    // Rehearsal: bundled:STYLE means its train.jsonl; with share 0.25 a quarter of the rows come
    // from it, one for every three rows of the task.
    const QStringList train_args{"train", "--model", "bundled", "--data", "bundled:mini", "--seq", "16",
                                 "--batch", "1", "--steps", "1", "--threads", "1", "--eval-every", "0",
                                 "--val-ratio", "0", "--out"};
    auto plain = run(LORALAB_CLI, train_args + QStringList{tmp.filePath("plain")}, root);
    QVERIFY2(plain.exit_code == 0, qPrintable(plain.err));
    const int task_rows = plain.json["train_rows"].toInt();
    QVERIFY(task_rows >= 3);
    QCOMPARE(plain.json["rehearsal_rows"].toInt(), 0);
    auto mixed = run(LORALAB_CLI, train_args + QStringList{tmp.filePath("rehearsed"), "--rehearsal", "bundled:mini",
                                                           "--rehearsal-share", "0.25"}, root);
    QVERIFY2(mixed.exit_code == 0, qPrintable(mixed.err));
    QCOMPARE(mixed.json["rehearsal_rows"].toInt(), int(std::lround(task_rows / 3.0)));
    QCOMPARE(mixed.json["train_rows"].toInt(), task_rows + mixed.json["rehearsal_rows"].toInt());
    bad = run(LORALAB_CLI, train_args + QStringList{tmp.filePath("bad"), "--rehearsal-share", "0.25"}, root);
    QCOMPARE(bad.exit_code, 1);
    QVERIFY2(bad.err.contains("--rehearsal-share: needs --rehearsal"), qPrintable(bad.err));
    bad = run(LORALAB_CLI, train_args + QStringList{tmp.filePath("bad"), "--rehearsal", "bundled:mini",
                                                    "--rehearsal-share", "1"}, root);
    QCOMPARE(bad.exit_code, 1);
    QVERIFY2(bad.err.contains("--rehearsal-share:") && bad.err.contains("(0, 0.9]"), qPrintable(bad.err));
  }

  // `loss --no-pack` scores each story alone from position 0: the order of the stories does not
  // change it (packed rows carry one story into the next and it does), and the loss of two
  // stories lies between the losses of each alone (a mean over their tokens).
  void per_story_loss_ignores_neighbours() {
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const QString a = R"({"text": "Mia had a small gray cat named Pip. One morning Pip hid under the bed, and Mia looked everywhere until she heard a tiny purr."})";
    const QString b = R"({"text": "The dragon flew over the old castle. The princess waved from the tower, and the brave knight rode out to meet them at the gate."})";
    auto write = [&](const QString& name, const QStringList& lines) {
      QFile file(tmp.filePath(name));
      if (!file.open(QIODevice::WriteOnly)) return QString();
      for (const auto& line : lines) file.write((line + "\n").toUtf8());
      return file.fileName();
    };
    auto loss = [&](const QString& file, bool pack) {
      QStringList args{"loss", "--model", "bundled", "--data", file, "--seq", "24", "--threads", "1"};
      if (!pack) args << "--no-pack";
      const auto result = run(LORALAB_CLI, args);
      if (result.exit_code != 0) qWarning("%s", qPrintable(result.err));
      if (result.json["pack"].toBool() != pack) return -1.0;
      return result.json["loss"].toDouble(-1);
    };
    const QString ab = write("ab.jsonl", {a, b}), ba = write("ba.jsonl", {b, a});
    const QString only_a = write("a.jsonl", {a}), only_b = write("b.jsonl", {b});
    const double ab_story = loss(ab, false), ba_story = loss(ba, false);
    QVERIFY2(ab_story > 0 && ba_story > 0, "loss --no-pack failed");
    QVERIFY2(std::abs(ab_story - ba_story) < 1e-5, qPrintable(QString("%1 vs %2").arg(ab_story).arg(ba_story)));
    const double ab_packed = loss(ab, true), ba_packed = loss(ba, true);
    QVERIFY(ab_packed > 0 && ba_packed > 0);
    QVERIFY2(std::abs(ab_packed - ba_packed) > 1e-3, qPrintable(QString("%1 vs %2").arg(ab_packed).arg(ba_packed)));
    const double a_story = loss(only_a, false), b_story = loss(only_b, false);
    QVERIFY(a_story > 0 && b_story > 0);
    QVERIFY2(ab_story > std::min(a_story, b_story) && ab_story < std::max(a_story, b_story),
             qPrintable(QString("%1 not between %2 and %3").arg(ab_story).arg(a_story).arg(b_story)));
  }

  void installed_layout_next_to_the_executable() {
    // <prefix>/bin/loralab-cli finds <prefix>/share/loralab, as /usr/bin does /usr/share/loralab.
    // The prefix lives in the build folder so that a hard link can stand in for a 200 MB copy.
    QTemporaryDir prefix(QStringLiteral(LORALAB_BUILD_DIR "/prefix-XXXXXX"));
    QVERIFY(prefix.isValid());
    QVERIFY(QDir().mkpath(prefix.filePath("bin")));
    const QString exe = prefix.filePath("bin/loralab-cli");
    if (::link(LORALAB_CLI, exe.toLocal8Bit().constData()) != 0) QVERIFY(QFile::copy(LORALAB_CLI, exe));
    make_resources(prefix.filePath("share/loralab"));
    const auto info = run(exe, {"info", "bundled"});
    QVERIFY2(info.exit_code == 0, qPrintable(info.err));
    QCOMPARE(info.json["weights"].toString(), prefix.filePath("share/loralab/models/base/model.safetensors"));
    const auto loss = run(exe, {"loss", "--model", "bundled", "--data", "bundled:mini", "--max-rows", "1", "--seq",
                                "16", "--threads", "1"});
    QVERIFY2(loss.exit_code == 0, qPrintable(loss.err));
    QCOMPARE(loss.json["data"].toString(), prefix.filePath("share/loralab/datasets/mini/train.jsonl"));
  }
};

QTEST_MAIN(TestCliBundled)
#include "test_cli_bundled.moc"
