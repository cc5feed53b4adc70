// The A4 page layout of reports: long tables break between rows (never inside one) and repeat
// their header on each page; figures are never cut; everything stays inside the content area;
// the preview image and the PDF have the same pages; a heading is not left alone at the foot of a
// page.
#include <QtTest>

#include <QPainter>

#include "ui/report/report_document.h"
#include "ui/report/report_writers.h"

using loralab::ui::ReportBlock;
using loralab::ui::ReportDocument;
using loralab::ui::ReportPages;

namespace {

ReportBlock heading(const QString& text) {
  ReportBlock b;
  b.kind = ReportBlock::Kind::Heading;
  b.level = 2;
  b.text = text;
  b.anchor = text.toLower();
  return b;
}

ReportBlock long_table(int rows) {
  ReportBlock b;
  b.kind = ReportBlock::Kind::Table;
  b.header = {"ID", "Name", "Notes", "Loss"};
  b.numeric = {true, false, false, true};
  for (int r = 0; r < rows; ++r) {
    // Every seventh row has a note long enough to wrap over several lines.
    const QString note =
        r % 7 == 0 ? QString("a long note that wraps ").repeated(6 + r % 5) : QString("short");
    b.rows.push_back({QString::number(r), QString("run %1").arg(r), note,
                      QString::number(2.0 - r * 0.001, 'f', 4)});
  }
  return b;
}

ReportDocument sample_document() {
  ReportDocument doc;
  doc.title = "Layout test";
  for (int f = 0; f < 3; ++f) {
    loralab::ui::ReportFigure figure;
    figure.name = QString("figure-%1").arg(f);
    figure.caption = QString("Figure %1 caption.").arg(f);
    figure.image = QImage(2250, 1200, QImage::Format_RGB32);
    figure.image.fill(QColor(200, 220, 240));
    doc.figures.push_back(figure);
  }
  ReportBlock title;
  title.kind = ReportBlock::Kind::Heading;
  title.level = 1;
  title.text = "Layout test";
  doc.blocks.push_back(title);
  doc.blocks.push_back(heading("Runs"));
  doc.blocks.push_back(long_table(180));
  for (int f = 0; f < 3; ++f) {
    doc.blocks.push_back(heading(QString("Plot %1").arg(f)));
    ReportBlock figure;
    figure.kind = ReportBlock::Kind::Figure;
    figure.figure = f;
    doc.blocks.push_back(figure);
  }
  doc.blocks.push_back(heading("More"));
  doc.blocks.push_back(long_table(40));
  ReportBlock story;
  story.kind = ReportBlock::Kind::Sample;
  story.title = "#1 run · seed 1";
  story.text = QString("Once upon a time a story went on and on. ").repeated(400);
  doc.blocks.push_back(story);
  ReportBlock command;
  command.kind = ReportBlock::Kind::Command;
  command.title = "#1 run";
  command.text = "loralab-cli train " + QString("--flag value ").repeated(60);
  doc.blocks.push_back(command);
  return doc;
}

}  // namespace

class TestReportLayout : public QObject {
  Q_OBJECT

 private slots:
  void rows_and_figures_are_never_split() {
    const ReportDocument doc = sample_document();
    ReportPages pages(doc);
    QVERIFY(pages.page_count() >= 6);
    const double top = ReportPages::content_top(), bottom = ReportPages::content_bottom();
    int rows = 0, figures = 0;
    for (const auto& p : pages.placements()) {
      QVERIFY2(p.top >= top - 0.01 && p.bottom <= bottom + 0.01,
               qPrintable(QString("block %1 row %2 on page %3: %4..%5 outside %6..%7")
                              .arg(p.block)
                              .arg(p.row)
                              .arg(p.page)
                              .arg(p.top)
                              .arg(p.bottom)
                              .arg(top)
                              .arg(bottom)));
      QVERIFY(p.page >= 0 && p.page < pages.page_count());
      if (p.figure) ++figures;
      if (!p.figure && p.row >= 0) ++rows;
    }
    QCOMPARE(figures, 3);
    QCOMPARE(rows, 180 + 40);
    // Each page a table reaches starts with its header row.
    std::map<std::pair<int, int>, int> first_row_on_page;  // (block, page) -> row
    for (const auto& p : pages.placements())
      if (!p.figure) first_row_on_page.try_emplace({p.block, p.page}, p.row);
    int table_pages = 0;
    for (const auto& [key, row] : first_row_on_page) {
      QCOMPARE(row, -1);
      ++table_pages;
    }
    QVERIFY(table_pages >= 4);  // the 180-row table spans several pages
  }

  void a_heading_keeps_its_figure() {
    const ReportDocument doc = sample_document();
    ReportPages pages(doc);
    // Headings "Plot N" are followed by figure N; the figure's page must be the heading's page,
    // which shows as: no page ends with a heading. The figure placement's block is heading + 1.
    for (const auto& p : pages.placements())
      if (p.figure) {
        // The heading's text sits above the figure on the same page.
        QVERIFY2(p.top > ReportPages::content_top() + 10,
                 qPrintable(
                     QString("figure of block %1 starts a page without its heading").arg(p.block)));
      }
  }

  void preview_and_pdf_have_the_same_pages() {
    const ReportDocument doc = sample_document();
    ReportPages pages(doc);
    const QImage first = pages.page_image(0, 800);
    QCOMPARE(first.width(), 800);
    QCOMPARE(first.height(), 1131);  // A4: 800 * 297 / 210
    // Something is drawn: not all white.
    int dark = 0;
    for (int y = 0; y < first.height(); y += 4)
      for (int x = 0; x < first.width(); x += 4) dark += qGray(first.pixel(x, y)) < 128;
    QVERIFY(dark > 100);
    const QByteArray pdf = pages.pdf("Layout test");
    QVERIFY(pdf.startsWith("%PDF-"));
    if (QStandardPaths::findExecutable("pdfinfo").isEmpty())
      QSKIP("pdfinfo (poppler-utils) missing");
    QTemporaryDir dir;
    QFile file(dir.filePath("layout.pdf"));
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(pdf);
    file.close();
    QProcess info;
    info.start("pdfinfo", {file.fileName()});
    QVERIFY(info.waitForFinished(20000));
    const QString out = QString::fromUtf8(info.readAllStandardOutput());
    QVERIFY2(out.contains(
                 QRegularExpression("Pages:\\s+" + QString::number(pages.page_count()) + "\\n")),
             qPrintable(out));
    QVERIFY2(out.contains("(A4)"), qPrintable(out));
  }
};

QTEST_MAIN(TestReportLayout)
#include "test_report_layout.moc"
