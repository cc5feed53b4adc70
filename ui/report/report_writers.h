// The report's file formats, each from the same ReportDocument (and ReportContent for the data
// files): one self-contained HTML file (images as data URIs, styles inline, no scripts, no
// external links), an A4 PDF whose page breaks never split a table row or a figure, Markdown with
// a folder of PNGs, and CSV (runs, metrics) and JSON. These functions only build bytes; writing
// them (atomically, replacing only on request) is report_export.h's job.
#pragma once
#include <QByteArray>
#include <QImage>
#include <QString>
#include <utility>
#include <vector>

#include "ui/report/report_content.h"
#include "ui/report/report_document.h"

namespace loralab::ui {

// Text for HTML element content and attribute values: & < > " ' as entities, control characters
// (invalid in HTML and XML) as U+FFFD.
QString html_escape(const QString& text);
// Text for a Markdown paragraph or table cell: the inline syntax characters (\ ` * _ [ ] | ~ !)
// are backslash-escaped everywhere and the block syntax (# + - = and "1." lists, leading spaces) at
// the start of a line; & < > become entities, so no raw HTML passes through; line breaks become
// spaces in table cells.
QString markdown_escape(const QString& text, bool table_cell = false);

QByteArray report_html(const ReportDocument& doc);

struct MarkdownReport {
  QByteArray markdown;
  std::vector<std::pair<QString, QByteArray>> images;  // file name inside the folder → PNG bytes
};
// `image_folder` is the folder name the Markdown links to, relative to the .md file.
MarkdownReport report_markdown(const ReportDocument& doc, const QString& image_folder);

// A4 portrait pages laid out once, in device-independent units, and painted on any device: the
// PDF writer and the Reports page's preview draw the very same pages.
class ReportPages {
 public:
  explicit ReportPages(const ReportDocument& doc);
  ~ReportPages();
  ReportPages(const ReportPages&) = delete;
  ReportPages& operator=(const ReportPages&) = delete;

  int page_count() const;

  // Where each table row and figure landed, in points from the page's top-left (A4: 595 × 842);
  // the content area is what lies between the margins and above the footer.
  struct Placement {
    int block = 0;  // index into ReportDocument::blocks
    int row = -1;   // table row (-1: the header row), or -1 for a figure
    bool figure = false;
    int page = 0;
    double top = 0, bottom = 0;
  };
  const std::vector<Placement>& placements() const;
  static double content_top();     // points
  static double content_bottom();  // points
  // The page as an image `width_px` wide (A4 proportions), white background.
  QImage page_image(int index, int width_px) const;
  QByteArray pdf(const QString& title) const;

  struct Layout;

 private:
  std::unique_ptr<Layout> layout_;
  const ReportDocument& doc_;
};

QByteArray runs_csv(const ReportContent& content);
// Every stored metric row of every run (the full rows, not the plotted curves).
QByteArray metrics_csv(const ReportContent& content);
QByteArray report_json(const ReportContent& content);

}  // namespace loralab::ui
