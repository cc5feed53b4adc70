// End to end: `loralab-cli report` on a real store with real trained runs (a 2×2 rank × alpha sweep
// and a run named <script>alert(1)</script>, trained by the real CLI on the tiny fixture model),
// samples and a blend strip. The HTML parses as XML, embeds its N images as data URIs and escapes
// every user string; the PDF has A4 pages and the expected text (pdftotext); the Markdown links
// its PNG folder; the CSV files round-trip through Python's csv module; a run's rerun command
// trains the same config again; bad input gets a clear message.
#include <QtTest>

#include <QImage>
#include <QRegularExpression>
#include <QXmlStreamReader>

#include "cli_train_fixture.h"
#include "loralab/store.h"

using cli_fixture::CliResult;
using cli_fixture::run_cli;
using loralab::ExperimentStore;

namespace {

const QString kEvilName = "<script>alert(1)</script>";
const QString kEvilNotes =
    "notes, with \"quotes\" | pipes *stars* & <img src=x onerror=alert(2)>\nline two";
const QString kEvilSample = "once upon a time <b>bold</b> & [link](http://example.com)";

QByteArray read_all(const QString& path) {
  QFile file(path);
  return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

struct Tool {
  int exit_code = -1;
  QString out, err;
};
Tool run_tool(const QString& program, const QStringList& args, const QByteArray& input = {}) {
  QProcess process;
  process.start(program, args);
  if (!input.isEmpty()) process.write(input);
  process.closeWriteChannel();
  Tool t;
  if (!process.waitForFinished(60000)) {
    process.kill();
    process.waitForFinished();
    return t;
  }
  t.exit_code = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
  t.out = QString::fromUtf8(process.readAllStandardOutput());
  t.err = QString::fromUtf8(process.readAllStandardError());
  return t;
}

}  // namespace

class TestCliReport : public QObject {
  Q_OBJECT
  cli_fixture::Fixture f_;
  QString db_;
  int64_t sweep_id_ = 0;
  std::vector<int64_t> sweep_runs_;
  int64_t evil_id_ = 0;

  CliResult report(const QStringList& args) {
    return run_cli(QStringList{"report", "--db", db_} + args, 120000);
  }

 private slots:
  void initTestCase() {
    QVERIFY(f_.ok);
    db_ = f_.path("experiments.sqlite");
    CliResult sweep = run_cli(QStringList{"sweep", "--db", db_, "--out", f_.path("sweep"), "--grid",
                                          "rank=2,4;alpha=2,8", "--name", "tiny"} +
                                  f_.train_flags(4, 2),
                              180000);
    QVERIFY2(sweep.exit_code == 0, qPrintable(sweep.err));
    sweep_id_ = sweep.last_json()["sweep_id"].toInteger();
    for (const auto& id : sweep.last_json()["runs"].toArray())
      sweep_runs_.push_back(id.toInteger());
    QCOMPARE(sweep_runs_.size(), size_t(4));

    CliResult evil = run_cli(QStringList{"train", "--db", db_, "--out", f_.path("evil"), "--name",
                                         kEvilName, "--tag", "<b>tag</b>", "--rank", "3"} +
                                 f_.train_flags(4, 2),
                             120000);
    QVERIFY2(evil.exit_code == 0, qPrintable(evil.err));
    evil_id_ = evil.last_json()["run_id"].toInteger();
    QVERIFY(evil_id_ > 0);

    ExperimentStore store(db_.toStdString());
    store.set_notes(evil_id_, kEvilNotes.toStdString());
    loralab::SampleRecord sample;
    sample.run_id = evil_id_;
    sample.prompt = "the cat";
    sample.seed = 3;
    sample.text = kEvilSample.toStdString();
    store.add_sample(sample);
    // A blend strip: the same prompt and seed at three weights between two sweep runs.
    for (double w : {1.0, 0.0, 0.5}) {
      loralab::SampleRecord blend;
      blend.prompt = "a dog";
      blend.seed = 7;
      blend.blend_json =
          QString(
              R"({"base":"%1","adapters":[{"name":"a","dir":"/a","run":%2,"weight":%3},{"name":"b","dir":"/b","run":%4,"weight":%5}]})")
              .arg(f_.model)
              .arg(sweep_runs_[0])
              .arg(w)
              .arg(sweep_runs_[1])
              .arg(1 - w)
              .toStdString();
      blend.text = QString("blend story at %1 <i>x</i>").arg(w).toStdString();
      store.add_sample(blend);
    }
  }

  void html_is_self_contained_parses_and_escapes() {
    const QString out = f_.path("report.html");
    const QString runs = QString("%1,%2,%3").arg(sweep_runs_[0]).arg(sweep_runs_[1]).arg(evil_id_);
    CliResult r = report({"--runs", runs, "--out", out});
    QVERIFY2(r.exit_code == 0, qPrintable(r.err));
    const QJsonObject summary = r.last_json();
    QCOMPARE(summary["runs"].toInt(), 3);
    // Train and validation curves, one heatmap per target set (all q_proj+v_proj), the Pareto plot.
    const int expected_images = 4;
    QCOMPARE(summary["images"].toInt(), expected_images);

    const QByteArray html = read_all(out);
    QVERIFY(html.startsWith("<!DOCTYPE html>"));
    QVERIFY(html.contains("Content-Security-Policy\" content=\"default-src 'none'"));
    QXmlStreamReader xml(html);
    int images = 0;
    bool saw_evil_name = false, saw_evil_notes = false, saw_strip = false;
    while (!xml.atEnd()) {
      xml.readNext();
      if (xml.isStartElement()) {
        const QString name = xml.name().toString().toLower();
        QVERIFY2(name != "script" && name != "iframe" && name != "object" && name != "link",
                 qPrintable("element <" + name + "> in the report"));
        for (const auto& attribute : xml.attributes()) {
          const QString key = attribute.name().toString().toLower();
          const QString value = attribute.value().toString();
          QVERIFY2(!key.startsWith("on"), qPrintable("event handler attribute " + key));
          if (key == "href") QVERIFY2(value.startsWith('#'), qPrintable("external link " + value));
          if (key == "src")
            QVERIFY2(value.startsWith("data:image/png;base64,"), qPrintable(value.left(40)));
        }
        if (name == "img") {
          ++images;
          const QByteArray data =
              QByteArray::fromBase64(xml.attributes().value("src").toString().mid(22).toLatin1());
          const QImage image = QImage::fromData(data, "PNG");
          QVERIFY(!image.isNull());
          QVERIFY2(image.width() >= 2000, "figures are rendered at print resolution");
        }
      }
      if (xml.isCharacters()) {
        const QString text = xml.text().toString();
        saw_evil_name = saw_evil_name || text.contains(kEvilName);
        saw_evil_notes = saw_evil_notes || text.contains("<img src=x onerror=alert(2)>");
        saw_strip = saw_strip || text.contains("blend story at 0.5 <i>x</i>");
      }
    }
    QVERIFY2(!xml.hasError(),
             qPrintable(xml.errorString() + QString(" at line %1").arg(xml.lineNumber())));
    QCOMPARE(images, expected_images);
    QVERIFY(saw_evil_name);  // shown as text...
    QVERIFY(saw_evil_notes);
    QVERIFY(saw_strip);
    QVERIFY(!html.contains("<script"));  // ...never as markup
    QVERIFY(!html.contains("<img src=x"));
    QVERIFY(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    QVERIFY(!html.contains("http://example.com\"") && !html.contains("href=\"http"));
    // Every section of the issue is there.
    for (const char* section :
         {"Environment", "Base models and datasets", "Runs", "Loss curves", "Rank × alpha",
          "Pareto front", "Parameter accounting", "Sample stories", "Blend strips",
          "Reproducibility", "loralab-cli train"})
      QVERIFY2(html.contains(section), section);

    // Recorded as a report artifact of each run.
    ExperimentStore store(db_.toStdString());
    bool recorded = false;
    for (const auto& a : store.artifacts_for_run(evil_id_))
      recorded = recorded ||
                 (a.kind == "report" && QString::fromStdString(a.path).endsWith("report.html"));
    QVERIFY(recorded);
  }

  void pdf_has_a4_pages_and_text() {
    if (QStandardPaths::findExecutable("pdftotext").isEmpty() ||
        QStandardPaths::findExecutable("pdfinfo").isEmpty())
      QSKIP("poppler-utils (pdftotext, pdfinfo) not installed: installer/install-deps.sh");
    const QString out = f_.path("sweep-report.pdf");
    CliResult r = report({"--sweep", QString::number(sweep_id_), "--out", out});
    QVERIFY2(r.exit_code == 0, qPrintable(r.err));
    const int pages = r.last_json()["pages"].toInt();
    QVERIFY(pages >= 3);
    Tool info = run_tool("pdfinfo", {out});
    QCOMPARE(info.exit_code, 0);
    QVERIFY2(info.out.contains(QRegularExpression("Pages:\\s+" + QString::number(pages) + "\\b")),
             qPrintable(info.out));
    QVERIFY2(info.out.contains("(A4)"), qPrintable(info.out));
    Tool text = run_tool("pdftotext", {"-layout", out, "-"});
    QCOMPARE(text.exit_code, 0);
    QVERIFY(text.out.contains("Sweep report: tiny"));
    for (const char* expected : {"Environment", "LibTorch", "Reproducibility",
                                 "Parameter accounting", "loralab-cli train", "page 1 of"})
      QVERIFY2(text.out.contains(expected), expected);
    // No ligatures: a hash with "ff" in it, drawn as U+FB00, is not found by a search or a copy.
    static const QRegularExpression ligature("[\\x{FB00}-\\x{FB06}]");
    QVERIFY2(!text.out.contains(ligature), qPrintable(text.out));
    QVERIFY(text.out.contains("configuration hash"));
    ExperimentStore store(db_.toStdString());
    for (int64_t id : sweep_runs_) {
      const auto run = store.run(id);
      QVERIFY2(text.out.contains(QString::fromStdString(run.config_hash)), run.config_hash.c_str());
    }
    QVERIFY(!text.out.contains(kEvilName));  // not in this sweep
    // Every page turns into an image (look at them: pdftoppm -r 60 FILE page).
    if (!QStandardPaths::findExecutable("pdftoppm").isEmpty()) {
      Tool ppm = run_tool("pdftoppm", {"-r", "30", "-png", out, f_.path("page")});
      QCOMPARE(ppm.exit_code, 0);
      QCOMPARE(QDir(f_.path("")).entryList({"page-*.png"}).size(), pages);
    }
    bool recorded = false;
    for (const auto& a : store.artifacts_for_sweep(sweep_id_))
      recorded = recorded || a.kind == "report";
    QVERIFY(recorded);
  }

  void markdown_links_its_png_folder_and_escapes() {
    const QString out = f_.path("md/report.md");
    QDir().mkpath(f_.path("md"));
    CliResult r =
        report({"--runs", QString("%1,%2").arg(sweep_runs_[2]).arg(evil_id_), "--out", out});
    QVERIFY2(r.exit_code == 0, qPrintable(r.err));
    const QString md = QString::fromUtf8(read_all(out));
    const QStringList pngs = QDir(f_.path("md/report_files")).entryList({"*.png"});
    QCOMPARE(pngs.size(), r.last_json()["images"].toInt());
    QVERIFY(pngs.size() >= 3);
    for (const QString& png : pngs) {
      QVERIFY2(md.contains("](report_files/" + png + ")"), qPrintable(png));
      QVERIFY(!QImage(f_.path("md/report_files/" + png)).isNull());
    }
    // Outside code fences (whose text every renderer shows literally, like the rerun command
    // that names the run) no markup may pass.
    QString prose = md;
    prose.remove(QRegularExpression("(?s)\n(`{3,})sh\n.*?\n\\1\n"));
    QVERIFY(md.contains("--name '<script>alert(1)</script>'"));  // in the command's fence
    QVERIFY(!prose.contains("<script"));
    QVERIFY(!prose.contains("<img"));
    QVERIFY(!prose.contains("<b>"));
    QVERIFY(md.contains("&lt;script&gt;alert\\(1\\)&lt;/script&gt;") ||
            md.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    QVERIFY(!md.contains("[link](http://example.com)"));  // the sample's link stays text
  }

  void csv_round_trips_through_a_csv_parser() {
    const QString dir = f_.path("csv");
    CliResult r = report({"--runs", QString("%1,%2").arg(sweep_runs_[0]).arg(evil_id_), "--out",
                          f_.path("data.json"), "--csv", dir});
    QVERIFY2(r.exit_code == 0, qPrintable(r.err));
    const char* script =
        "import csv, json, sys\n"
        "out = {}\n"
        "for name in sys.argv[1:]:\n"
        "    with open(name, newline='', encoding='utf-8') as f:\n"
        "        rows = list(csv.reader(f, strict=True))\n"
        "    out[name] = rows\n"
        "print(json.dumps(out))\n";
    const QString runs_csv = dir + "/runs.csv", metrics_csv = dir + "/metrics.csv";
    Tool python = run_tool("python3", {"-c", script, runs_csv, metrics_csv});
    if (python.exit_code == -1 && QStandardPaths::findExecutable("python3").isEmpty())
      QSKIP("python3 not installed");
    QVERIFY2(python.exit_code == 0, qPrintable(python.err));
    const QJsonObject parsed = QJsonDocument::fromJson(python.out.toUtf8()).object();
    const QJsonArray runs = parsed[runs_csv].toArray();
    QCOMPARE(runs.size(), 3);  // header + 2 runs
    const QJsonArray header = runs[0].toArray();
    auto column = [&](const QString& name) {
      for (int i = 0; i < header.size(); ++i)
        if (header[i].toString() == name) return i;
      return -1;
    };
    QVERIFY(column("rerun_command") >= 0);
    ExperimentStore store(db_.toStdString());
    for (int row = 1; row < runs.size(); ++row) {
      const QJsonArray fields = runs[row].toArray();
      QCOMPARE(fields.size(), header.size());
      const auto run = store.run(fields[column("id")].toString().toLongLong());
      QCOMPARE(fields[column("name")].toString(), QString::fromStdString(run.name));
      QCOMPARE(fields[column("notes")].toString(), QString::fromStdString(run.notes));
      QCOMPARE(fields[column("best_val_loss")].toString().toDouble(), run.best_val_loss.value());
      QCOMPARE(fields[column("trainable_params")].toString().toLongLong(),
               qlonglong(run.trainable_params.value()));
      QCOMPARE(fields[column("config_hash")].toString(), QString::fromStdString(run.config_hash));
    }
    QCOMPARE(runs[2].toArray()[column("notes")].toString(), kEvilNotes);
    const QJsonArray metrics = parsed[metrics_csv].toArray();
    const int64_t rows = store.metric_count(sweep_runs_[0]) + store.metric_count(evil_id_);
    QCOMPARE(int64_t(metrics.size() - 1), rows);
    // Every train loss reads back as the double the store holds.
    const auto stored = store.metrics(sweep_runs_[0]);
    for (size_t i = 0; i < stored.size(); ++i) {
      const QJsonArray fields = metrics[int(i) + 1].toArray();
      QCOMPARE(fields[1].toString().toLongLong(), qlonglong(stored[i].step));
      if (stored[i].train_loss) QCOMPARE(fields[4].toString().toDouble(), *stored[i].train_loss);
    }
    const QJsonObject json = QJsonDocument::fromJson(read_all(dir + "/report.json")).object();
    QCOMPARE(json["runs"].toArray().size(), 2);
    QCOMPARE(json["runs"].toArray()[1].toObject()["name"].toString(), kEvilName);
    QCOMPARE(
        QJsonDocument::fromJson(read_all(f_.path("data.json"))).object()["runs"].toArray().size(),
        2);
  }

  void rerun_command_trains_the_same_config() {
    CliResult r = report({"--runs", QString::number(sweep_runs_[3]), "--out", f_.path("one.json")});
    QVERIFY2(r.exit_code == 0, qPrintable(r.err));
    const QJsonObject run = QJsonDocument::fromJson(read_all(f_.path("one.json")))
                                .object()["runs"]
                                .toArray()[0]
                                .toObject();
    QStringList args;
    for (const auto& a : run["rerun"].toObject()["arguments"].toArray()) args << a.toString();
    QCOMPARE(args.value(0), QString("train"));
    QVERIFY(run["rerun"].toObject()["caveats"].toArray().isEmpty());
    // Into another folder and store, so the original adapter stays.
    const QString other_db = f_.path("rerun.sqlite");
    args[args.indexOf("--out") + 1] = f_.path("rerun-out");
    args[args.indexOf("--db") + 1] = other_db;
    CliResult rerun = run_cli(args, 120000);
    QVERIFY2(rerun.exit_code == 0, qPrintable(rerun.err));
    ExperimentStore original(db_.toStdString()), again(other_db.toStdString());
    auto config_a =
        QJsonDocument::fromJson(QByteArray::fromStdString(original.run(sweep_runs_[3]).config_json))
            .object();
    auto config_b =
        QJsonDocument::fromJson(QByteArray::fromStdString(
                                    again.run(rerun.last_json()["run_id"].toInteger()).config_json))
            .object();
    config_a.remove("out_dir");
    config_b.remove("out_dir");
    QCOMPARE(config_b, config_a);
    // Same seed, same data, same config: the same losses.
    QCOMPARE(again.run(rerun.last_json()["run_id"].toInteger()).best_val_loss,
             original.run(sweep_runs_[3]).best_val_loss);
  }

  void bad_input_gets_a_clear_message() {
    struct Case {
      QStringList args;
      QString expected;
    };
    const QString html = f_.path("x.html");
    const std::vector<Case> cases = {
        {{"report", "--db", f_.path("missing.sqlite"), "--runs", "1", "--out", html},
         "missing.sqlite: no such experiment store"},
        {{"report", "--db", db_, "--sweep", "999", "--out", html}, "999"},
        {{"report", "--db", db_, "--runs", "1,4242", "--out", html}, "no run with id 4242"},
        {{"report", "--db", db_, "--runs", "1", "--out", f_.path("x.docx")},
         "unknown report format '.docx'"},
        {{"report", "--db", db_, "--runs", "1", "--out", f_.path("no/such/dir/x.html")},
         "does not exist"},
        {{"report", "--db", db_, "--runs", "1", "--sweep", "1", "--out", html}, "exactly one"},
        {{"report", "--db", db_, "--runs", "1,x", "--out", html}, "--runs"},
    };
    for (const auto& c : cases) {
      CliResult r = run_cli(c.args);
      QVERIFY2(r.exit_code == 1,
               qPrintable(c.args.join(' ') + " -> " + QString::number(r.exit_code) + " " + r.err));
      QVERIFY2(r.err.contains(c.expected), qPrintable(c.expected + " not in: " + r.err));
      QVERIFY2(r.err.count('\n') == 1, qPrintable(r.err));
    }
    QVERIFY(!QFileInfo::exists(html));
  }
};

QTEST_GUILESS_MAIN(TestCliReport)
#include "test_cli_report.moc"
