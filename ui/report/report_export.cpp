// Report files on disk; see report_export.h.
#include "ui/report/report_export.h"

#include <QDir>
#include <QFileInfo>

#include "loralab/atomic_file.h"
#include "loralab/error.h"
#include "ui/report/report_writers.h"

namespace loralab::ui {
namespace {

std::string s(const QString& text) { return text.toStdString(); }

// The folder must exist and be writable: the atomic write puts its temp file next to the target.
void require_writable_folder(const QString& file) {
  const QFileInfo info(file);
  const QString folder = info.absolutePath();
  const QFileInfo dir(folder);
  if (!dir.exists())
    throw Error(s(file) + ": cannot write the report: folder " + s(folder) + " does not exist");
  if (!dir.isDir())
    throw Error(s(file) + ": cannot write the report: " + s(folder) + " is not a folder");
  if (!dir.isWritable())
    throw Error(s(file) + ": cannot write the report: folder " + s(folder) + " is not writable");
  if (info.exists() && info.isDir())
    throw Error(s(file) + ": cannot write the report: a folder of that name exists");
}

void write(const QString& path, const QByteArray& bytes, QStringList& written) {
  write_text_file_atomic(s(path), std::string_view(bytes.constData(), size_t(bytes.size())));
  written << QFileInfo(path).absoluteFilePath();
}

QStringList csv_files(const QString& dir) {
  return {QDir(dir).filePath("runs.csv"), QDir(dir).filePath("metrics.csv"),
          QDir(dir).filePath("report.json")};
}

}  // namespace

std::optional<ReportFormat> report_format_for(const QString& path) {
  const QString suffix = QFileInfo(path).suffix().toLower();
  if (suffix == "html" || suffix == "htm") return ReportFormat::Html;
  if (suffix == "pdf") return ReportFormat::Pdf;
  if (suffix == "md" || suffix == "markdown") return ReportFormat::Markdown;
  if (suffix == "json") return ReportFormat::Json;
  return std::nullopt;
}

QString report_format_name(ReportFormat format) {
  switch (format) {
    case ReportFormat::Html:
      return "HTML";
    case ReportFormat::Pdf:
      return "PDF";
    case ReportFormat::Markdown:
      return "Markdown";
    case ReportFormat::Json:
      return "JSON";
  }
  return {};
}

QString report_extensions_text() { return "expected .html, .htm, .pdf, .md or .json"; }

QString markdown_image_folder(const QString& markdown_path) {
  return QFileInfo(markdown_path).completeBaseName() + "_files";
}

QStringList existing_outputs(const QString& path, const ExportOptions& options) {
  QStringList found;
  if (QFileInfo::exists(path)) found << path;
  if (report_format_for(path) == ReportFormat::Markdown) {
    const QString folder = QFileInfo(path).absoluteDir().filePath(markdown_image_folder(path));
    if (QFileInfo::exists(folder)) found << folder;
  }
  if (!options.csv_dir.isEmpty())
    for (const QString& file : csv_files(options.csv_dir))
      if (QFileInfo::exists(file)) found << file;
  return found;
}

void check_report_target(const QString& path) {
  if (!report_format_for(path))
    throw Error(
        s(path) + ": unknown report format '" +
        s(QFileInfo(path).suffix().isEmpty() ? "(no extension)" : "." + QFileInfo(path).suffix()) +
        "' (" + s(report_extensions_text()) + ")");
  require_writable_folder(path);
}

ExportResult export_report(const ReportContent& content, const ReportDocument& doc,
                           const QString& path, const ExportOptions& options) {
  check_report_target(path);
  const auto format = report_format_for(path);
  if (!options.replace) {
    const QStringList existing = existing_outputs(path, options);
    if (!existing.isEmpty())
      throw Error(s(existing.first()) +
                  ": exists already; choose another name or allow replacing it");
  }
  ExportResult result;
  result.path = path;
  result.format = *format;
  switch (*format) {
    case ReportFormat::Html:
      write(path, report_html(doc), result.files);
      result.images = doc.image_count();
      break;
    case ReportFormat::Pdf: {
      ReportPages pages(doc);
      result.pages = pages.page_count();
      write(path, pages.pdf(doc.title), result.files);
      result.images = doc.image_count();
      break;
    }
    case ReportFormat::Markdown: {
      const QString folder_name = markdown_image_folder(path);
      const QString folder = QFileInfo(path).absoluteDir().filePath(folder_name);
      const MarkdownReport md = report_markdown(doc, folder_name);
      if (!QDir().mkpath(folder))
        throw Error(s(folder) + ": cannot create the folder for the report's images");
      write(path, md.markdown, result.files);
      for (const auto& [name, png] : md.images)
        write(QDir(folder).filePath(name), png, result.files);
      result.images = int(md.images.size());
      break;
    }
    case ReportFormat::Json:
      write(path, report_json(content), result.files);
      break;
  }
  if (!options.csv_dir.isEmpty()) {
    if (!QDir().mkpath(options.csv_dir))
      throw Error(s(options.csv_dir) + ": cannot create the CSV folder");
    if (!QFileInfo(options.csv_dir).isWritable())
      throw Error(s(options.csv_dir) + ": the CSV folder is not writable");
    const QStringList files = csv_files(options.csv_dir);
    write(files[0], runs_csv(content), result.files);
    write(files[1], metrics_csv(content), result.files);
    write(files[2], report_json(content), result.files);
  }
  return result;
}

void record_report_artifacts(ExperimentStore& store, const ReportContent& content,
                             const ExportResult& result) {
  for (const QString& file : result.files) {
    if (file.endsWith(".png")) continue;  // the Markdown's images travel with it
    const std::string path = s(QFileInfo(file).absoluteFilePath());
    if (content.sweep) {
      store.add_artifact({0, std::nullopt, content.sweep->id, "report", path, 0});
    } else {
      for (const auto& run : content.runs)
        store.add_artifact({0, run.record.id, std::nullopt, "report", path, 0});
    }
  }
}

}  // namespace loralab::ui
