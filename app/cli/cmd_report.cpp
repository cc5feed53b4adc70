// `loralab-cli report`: an experiment report (HTML, PDF, Markdown or JSON, plus CSV) of a sweep or
// chosen runs, rendered offscreen with the same plots and layout as the app's Reports page. The
// only command that starts a Qt application, and only inside this function.
#include <QApplication>
#include <QFileInfo>
#include <cstdlib>
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "args.h"
#include "commands.h"
#include "loralab/error.h"
#include "loralab/store.h"
#include "ui/report/report_content.h"
#include "ui/report/report_document.h"
#include "ui/report/report_export.h"

namespace loralab::cli {
namespace {

// Qt's note that it picked a runtime folder itself is noise on a headless command's stderr.
QtMessageHandler previous_handler = nullptr;
void quiet_handler(QtMsgType type, const QMessageLogContext& context, const QString& message) {
  if (message.startsWith("QStandardPaths: XDG_RUNTIME_DIR not set")) return;
  if (previous_handler) previous_handler(type, context, message);
}

// QCustomPlot and the PDF writer need a QApplication; without a display it runs offscreen.
std::unique_ptr<QApplication> offscreen_application() {
  if (QApplication::instance()) return nullptr;
  previous_handler = qInstallMessageHandler(quiet_handler);
  const char* platform = std::getenv("QT_QPA_PLATFORM");
  const bool has_display = std::getenv("DISPLAY") || std::getenv("WAYLAND_DISPLAY");
  if ((!platform || !*platform) && !has_display) setenv("QT_QPA_PLATFORM", "offscreen", 1);
  static int argc = 1;
  static char name[] = "loralab-cli";
  static char* argv[] = {name, nullptr};
  return std::make_unique<QApplication>(argc, argv);
}

int run_report(const std::vector<std::string>& argv) {
  Args args(argv, {"no-blends"});
  args.reject_unknown({"db", "sweep", "runs", "out", "csv", "title", "no-blends"});
  const std::string db = args.required("db");
  const QString out = QString::fromStdString(args.required("out"));
  if (args.has("sweep") == args.has("runs"))
    throw Error("give either --sweep ID or --runs ID,ID,... (exactly one of them)");
  try {
    ui::check_report_target(out);
  } catch (const Error& error) {
    throw Error(std::string("--out ") + error.what());
  }
  if (!QFileInfo::exists(QString::fromStdString(db)))
    throw Error("--db " + db + ": no such experiment store");

  ui::ReportSelection selection;
  if (auto sweep = args.get("sweep")) selection.sweep_id = parse_int(*sweep, "--sweep");
  if (auto runs = args.get("runs"))
    for (long long id : parse_int_list(*runs, "--runs")) selection.run_ids.push_back(id);
  selection.title = QString::fromStdString(args.get_or("title", ""));
  selection.blend_samples = !args.has("no-blends");

  StoreOptions options;
  options.create_if_missing = false;
  options.mark_interrupted = false;  // a report reads; it does not judge other processes' runs
  ExperimentStore store(db, options);
  ui::ReportContent content;
  try {
    content = ui::load_report_content(store, selection);
  } catch (const Error& error) {
    throw Error(std::string(selection.sweep_id ? "--sweep: " : "--runs: ") + error.what());
  }

  auto app = offscreen_application();
  const ui::ReportDocument doc = ui::build_report_document(content);
  ui::ExportOptions export_options;
  export_options.replace = true;  // a command line overwrites what it is told to, as cp does
  export_options.csv_dir = QString::fromStdString(args.get_or("csv", ""));
  const ui::ExportResult result = ui::export_report(content, doc, out, export_options);
  ui::record_report_artifacts(store, content, result);

  nlohmann::json summary = {{"out", QFileInfo(out).absoluteFilePath().toStdString()},
                            {"format", ui::report_format_name(result.format).toStdString()},
                            {"runs", content.runs.size()},
                            {"images", result.images},
                            {"samples", content.sample_count()}};
  if (result.format == ui::ReportFormat::Pdf) summary["pages"] = result.pages;
  nlohmann::json files = nlohmann::json::array();
  for (const QString& file : result.files) files.push_back(file.toStdString());
  summary["files"] = files;
  std::cout << summary.dump() << std::endl;
  return 0;
}

const CommandRegistrar kRegistrar(
    "report",
    {"write an experiment report (HTML, PDF, Markdown, JSON; CSV) of a sweep or runs",
     "usage: loralab-cli report --db FILE (--sweep ID | --runs 1,2,3) --out "
     "FILE.html|.pdf|.md|.json\n"
     "                          [--csv DIR] [--title TEXT] [--no-blends]\n"
     "Writes one report of the sweep's runs or of the chosen runs: environment, base model and\n"
     "dataset hashes, a run table, loss curves, the rank x alpha heatmap, the Pareto plot,\n"
     "parameter accounting, sample stories and blend strips (--no-blends leaves those out), and\n"
     "each run's hash with the exact `loralab-cli train` command that reruns it.\n"
     "  .html  one self-contained file (images embedded, no scripts, no external links)\n"
     "  .pdf   A4 pages; a table row or a plot is never split across pages\n"
     "  .md    Markdown with its PNGs in FILE_files/ next to it\n"
     "  .json  the report's data\n"
     "--csv DIR also writes runs.csv, metrics.csv (every stored metric row) and report.json.\n"
     "Existing files are replaced. Each file is recorded in the store as a \"report\" artifact.\n"
     "Runs without a display (offscreen). Prints a JSON summary (files, pages, images).",
     run_report});

}  // namespace
}  // namespace loralab::cli
