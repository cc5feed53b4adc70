// A report as a flat list of blocks (headings, paragraphs, key/value lists, tables, figures,
// commands, sample texts) built once from ReportContent and the rendered figures. The HTML,
// Markdown and PDF writers each walk the same blocks, so the three formats say the same thing.
// Block text is plain, unescaped text: each writer escapes it for its own format.
#pragma once
#include <QImage>
#include <QString>
#include <QStringList>
#include <vector>

#include "ui/report/report_content.h"

namespace loralab::ui {

struct ReportFigure {
  QString name;     // file stem for the Markdown PNG folder: "loss-curves"
  QString caption;  // plain text
  QImage image;     // rendered at print resolution
  QByteArray png;   // the image encoded once, shared by every writer
};

struct ReportBlock {
  enum class Kind { Heading, Paragraph, KeyValues, Table, Figure, Command, Sample };
  Kind kind = Kind::Paragraph;
  int level = 1;   // Heading: 1 (title) .. 3
  QString anchor;  // Heading: id for links inside the document
  QString text;    // Heading, Paragraph, Command, Sample: the text; Table: a caption (may be "")
  QString title;   // Sample: "#3 name · seed 7 · prompt"; Command: what it reruns
  QStringList header;             // Table: column titles; KeyValues: unused
  std::vector<QStringList> rows;  // Table rows / KeyValues pairs (key, value)
  std::vector<bool> numeric;      // Table: right-align these columns
  int figure = -1;                // Figure: index into ReportDocument::figures
  bool small = false;             // Paragraph: a note in smaller type
};

struct ReportDocument {
  QString title;
  std::vector<ReportBlock> blocks;
  std::vector<ReportFigure> figures;
  int image_count() const { return int(figures.size()); }
};

// Print: figures 2250 px wide (~330 dpi across an A4 text column); Screen: 900 px, ~5x faster to
// draw, for the preview. The figures keep their proportions, so both lay out the same pages.
enum class FigureResolution { Print, Screen };

// Renders the figures (QCustomPlot offscreen, needs a QApplication) and builds the blocks.
ReportDocument build_report_document(const ReportContent& content,
                                     FigureResolution resolution = FigureResolution::Print);

// "12.3k", "4.56M": parameter counts for tables.
QString compact_count(int64_t value);
QString format_loss(const std::optional<double>& loss);

}  // namespace loralab::ui
