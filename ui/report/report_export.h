// Writing a report to disk, shared by the Reports page and `loralab-cli report`: the format comes
// from the extension (.html/.htm, .pdf, .md, .json), every file is written atomically, an existing
// file is replaced only when asked, and the written files are recorded as "report" artifacts.
#pragma once
#include <QString>
#include <QStringList>
#include <optional>

#include "loralab/store.h"
#include "ui/report/report_content.h"
#include "ui/report/report_document.h"

namespace loralab::ui {

enum class ReportFormat { Html, Pdf, Markdown, Json };

// By the file's extension (case-insensitive); empty for any other.
std::optional<ReportFormat> report_format_for(const QString& path);
QString report_format_name(ReportFormat format);  // "HTML", "PDF", "Markdown", "JSON"
// "expected .html, .htm, .pdf, .md or .json"
QString report_extensions_text();
// The folder the Markdown file links its PNGs from: "report.md" → "report_files".
QString markdown_image_folder(const QString& markdown_path);

struct ExportOptions {
  bool replace = false;  // else an existing output file is an error
  QString csv_dir;       // also write runs.csv, metrics.csv and report.json there ("" = no)
};

struct ExportResult {
  QString path;
  ReportFormat format = ReportFormat::Html;
  int pages = 0;      // PDF
  int images = 0;     // figures embedded or written
  QStringList files;  // every file written, the report first
};

// Throws loralab::Error naming the file for an unknown extension or a folder that does not exist or
// cannot be written (export_report checks the same; callers may check before the slow part).
void check_report_target(const QString& path);

// Files that exporting to `path` (and options.csv_dir) would write and that exist already.
QStringList existing_outputs(const QString& path, const ExportOptions& options);

// Throws loralab::Error naming the file and what was expected: an unknown extension, an existing
// file without options.replace, a folder that does not exist or cannot be written.
ExportResult export_report(const ReportContent& content, const ReportDocument& doc,
                           const QString& path, const ExportOptions& options);

// Records each written report file as a "report" artifact: of the sweep when the report is of a
// sweep, else of each run in it.
void record_report_artifacts(ExperimentStore& store, const ReportContent& content,
                             const ExportResult& result);

}  // namespace loralab::ui
