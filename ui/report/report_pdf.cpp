// A4 page layout of a ReportDocument, painted into a PDF or into preview images; see
// report_writers.h.
//
// Layout works in device-independent units (600 per inch) with pixel-sized, unhinted fonts, so the
// same line breaks and page breaks come out on any device: the PDF writer paints at 600 dpi with
// scale 1, a preview image at a fraction of it. Page breaks fall between lines of a paragraph,
// between table rows (the header is repeated) and before a figure or command box that does not fit;
// a heading is never left alone at the bottom of a page.
#include <QBuffer>
#include <QFontMetricsF>
#include <QPageSize>
#include <QPainter>
#include <QPdfWriter>
#include <QTextLayout>
#include <algorithm>
#include <cmath>

#include "ui/report/report_writers.h"

namespace loralab::ui {
namespace {

constexpr double kUnitsPerInch = 600;
constexpr double kPageWidth = 210.0 / 25.4 * kUnitsPerInch;  // A4
constexpr double kPageHeight = 297.0 / 25.4 * kUnitsPerInch;
constexpr double kMargin = 18.0 / 25.4 * kUnitsPerInch;
constexpr double kFooter = 8.0 / 25.4 * kUnitsPerInch;  // below the content area
constexpr double kContentWidth = kPageWidth - 2 * kMargin;
constexpr double kTop = kMargin;
constexpr double kBottom = kPageHeight - kMargin - kFooter;

double pt(double points) { return points / 72.0 * kUnitsPerInch; }

enum FontId { kBody, kSmall, kH1, kH2, kH3, kTable, kTableBold, kMono, kFooterFont, kFontCount };

QFont make_font(FontId id) {
  QFont font(id == kMono ? "DejaVu Sans Mono" : "DejaVu Sans");
  if (id == kMono) font.setStyleHint(QFont::Monospace);
  font.setHintingPreference(QFont::PreferNoHinting);
  const double sizes[kFontCount] = {9.5, 8, 19, 13.5, 11, 7.5, 7.5, 7, 7};
  font.setPixelSize(int(std::lround(pt(sizes[id]))));
  if (id == kH1 || id == kH2 || id == kH3 || id == kTableBold) font.setBold(true);
  // Reports hold hashes, names and paths that readers copy and search for: "ff" or "fi" drawn as
  // a ligature comes out of the PDF as one character (U+FB00, U+FB01) that no hash and no search
  // contains. Qt's shaper turns ligatures off for a font with letter spacing, so every font gets
  // the smallest spacing it can represent (1/64 unit, 1/38400 inch).
  font.setLetterSpacing(QFont::AbsoluteSpacing, 1.0 / 64);
  return font;
}

const QColor kText(29, 29, 31);
const QColor kGrey(90, 98, 112);
const QColor kRule(208, 212, 218);
const QColor kHeaderFill(238, 241, 246);
const QColor kCodeFill(246, 248, 250);
const QColor kStoryFill(251, 250, 246);
const QColor kStoryBar(216, 200, 160);

}  // namespace

struct ReportPages::Layout {
  struct Op {
    enum class Kind { Text, Fill, Line, Image } kind = Kind::Text;
    QRectF rect;  // Text: x, baseline in y; Fill/Image: the area; Line: from topLeft to bottomRight
    QString text;
    FontId font = kBody;
    QColor color = kText;
    int figure = -1;
  };
  struct Page {
    std::vector<Op> ops;
  };

  std::vector<Page> pages;
  std::vector<Placement> placements;
  int block = 0;  // the block being laid out
  QFont fonts[kFontCount];
  double y = kTop;

  Layout() {
    for (int i = 0; i < kFontCount; ++i) fonts[i] = make_font(FontId(i));
    pages.emplace_back();
  }

  double line_height(FontId f) const { return QFontMetricsF(fonts[f]).lineSpacing(); }
  double ascent(FontId f) const { return QFontMetricsF(fonts[f]).ascent(); }
  double text_width(FontId f, const QString& text) const {
    return QFontMetricsF(fonts[f]).horizontalAdvance(text);
  }

  // Breaks text into lines no wider than `width`: at spaces when it can, anywhere when a word
  // (a path, a hash, a command) is wider than the line.
  QStringList wrap(const QString& text, FontId f, double width) const {
    QStringList lines;
    for (const QString& paragraph : QString(text).replace("\r\n", "\n").split('\n')) {
      if (paragraph.isEmpty()) {
        lines << QString();
        continue;
      }
      QTextLayout layout(paragraph, fonts[f]);
      QTextOption option;
      option.setWrapMode(QTextOption::WrapAtWordBoundaryOrAnywhere);
      layout.setTextOption(option);
      layout.beginLayout();
      for (QTextLine line = layout.createLine(); line.isValid(); line = layout.createLine()) {
        line.setLineWidth(width);
        lines << paragraph.mid(line.textStart(), line.textLength()).trimmed();
      }
      layout.endLayout();
    }
    return lines;
  }

  // For commands: lines break only between arguments (a break after the "-" of a flag would read
  // as a different command); an argument wider than a line is cut anywhere.
  QStringList wrap_at_spaces(const QString& text, FontId f, double width) const {
    QStringList lines;
    QString current;
    for (const QString& token : text.split(' ', Qt::SkipEmptyParts)) {
      const QString candidate = current.isEmpty() ? token : current + ' ' + token;
      if (text_width(f, candidate) <= width) {
        current = candidate;
        continue;
      }
      if (!current.isEmpty()) lines << current;
      current = token;
      while (text_width(f, current) > width && current.size() > 1) {
        int fit = current.size() - 1;
        while (fit > 1 && text_width(f, current.left(fit)) > width) --fit;
        lines << current.left(fit);
        current = current.mid(fit);
      }
    }
    if (!current.isEmpty()) lines << current;
    return lines;
  }

  Page& page() { return pages.back(); }
  void place(int row, bool is_figure, double top, double bottom) {
    const double to_points = 72.0 / kUnitsPerInch;
    placements.push_back(
        {block, row, is_figure, int(pages.size()) - 1, top * to_points, bottom * to_points});
  }
  void new_page() {
    pages.emplace_back();
    y = kTop;
  }
  // Starts a new page unless `height` fits below y (a block taller than a page starts at the top).
  void ensure(double height) {
    if (y + height > kBottom && y > kTop) new_page();
  }
  void text(double x, double top, const QString& s, FontId f, QColor color = kText) {
    page().ops.push_back({Op::Kind::Text, QRectF(x, top + ascent(f), 0, 0), s, f, color, -1});
  }
  void fill(const QRectF& rect, QColor color) {
    page().ops.push_back({Op::Kind::Fill, rect, {}, kBody, color, -1});
  }
  void line(QPointF a, QPointF b, QColor color) {
    page().ops.push_back({Op::Kind::Line, QRectF(a, b), {}, kBody, color, -1});
  }

  void lines_block(const QStringList& lines, FontId f, QColor color, double indent = 0) {
    const double h = line_height(f);
    for (const QString& l : lines) {
      ensure(h);
      text(kMargin + indent, y, l, f, color);
      y += h;
    }
  }

  // `follow`: the height of what must come with the heading (the next block's first piece).
  void heading(const ReportBlock& b, double follow) {
    const FontId f = b.level == 1 ? kH1 : b.level == 2 ? kH2 : kH3;
    const QStringList lines = wrap(b.text, f, kContentWidth);
    const double space_before = b.level == 1 ? 0 : pt(b.level == 2 ? 14 : 9);
    const double h = lines.size() * line_height(f) + pt(6);
    // Keep the heading with at least a few lines of what follows it.
    if (y > kTop) {
      if (y + space_before + h + std::max(pt(70), follow) > kBottom)
        new_page();
      else
        y += space_before;
    }
    lines_block(lines, f, kText);
    if (b.level == 2) line({kMargin, y + pt(1)}, {kMargin + kContentWidth, y + pt(1)}, kRule);
    y += pt(b.level == 1 ? 4 : 6);
  }

  void paragraph(const ReportBlock& b) {
    const FontId f = b.small ? kSmall : kBody;
    lines_block(wrap(b.text, f, kContentWidth), f, b.small ? kGrey : kText);
    y += pt(5);
  }

  // Column widths that fit the content width: narrow columns keep their natural width, the others
  // share what is left in proportion to theirs.
  std::vector<double> column_widths(const QStringList& header, const std::vector<QStringList>& rows,
                                    double pad) const {
    const int n = int(header.size());
    std::vector<double> natural(size_t(n), pad * 2);
    for (int c = 0; c < n; ++c) {
      // pt(1) of slack: a word measured to fit exactly must not wrap through rounding.
      natural[size_t(c)] =
          std::max(natural[size_t(c)], text_width(kTableBold, header[c]) + 2 * pad + pt(1));
      for (const auto& row : rows)
        natural[size_t(c)] =
            std::max(natural[size_t(c)], text_width(kTable, row.value(c)) + 2 * pad + pt(1));
    }
    std::vector<double> widths = natural;
    double total = 0;
    for (double w : natural) total += w;
    if (total <= kContentWidth) {
      for (auto& w : widths) w *= kContentWidth / total;  // fill the line
      return widths;
    }
    std::vector<bool> fixed(size_t(n), false);
    double remaining = kContentWidth;
    for (bool changed = true; changed;) {
      changed = false;
      double free_natural = 0;
      int free_count = 0;
      for (int c = 0; c < n; ++c)
        if (!fixed[size_t(c)]) free_natural += natural[size_t(c)], ++free_count;
      if (free_count == 0) break;
      const double share = remaining / free_count;
      for (int c = 0; c < n; ++c)
        if (!fixed[size_t(c)] && natural[size_t(c)] <= share) {
          fixed[size_t(c)] = true;
          widths[size_t(c)] = natural[size_t(c)];
          remaining -= natural[size_t(c)];
          changed = true;
        }
      if (!changed)
        for (int c = 0; c < n; ++c)
          if (!fixed[size_t(c)]) widths[size_t(c)] = remaining * natural[size_t(c)] / free_natural;
    }
    return widths;
  }

  void table(const QStringList& header, const std::vector<QStringList>& rows,
             const std::vector<bool>& numeric, const QString& caption, bool key_values) {
    const double pad = pt(3);
    const double lh = line_height(kTable);
    std::vector<double> widths;
    if (key_values) {
      widths = {kContentWidth * 0.26, kContentWidth * 0.74};
    } else {
      widths = column_widths(header, rows, pad);
    }
    auto wrap_row = [&](const QStringList& row, FontId f) {
      std::vector<QStringList> cells;
      int lines = 1;
      for (size_t c = 0; c < widths.size(); ++c) {
        cells.push_back(wrap(row.value(int(c)), f, widths[c] - 2 * pad));
        lines = std::max(lines, int(cells.back().size()));
      }
      // A row may not split across pages; one taller than a page is cut to a page.
      const int max_lines = int((kBottom - kTop - lh * 3) / lh);
      if (lines > max_lines) {
        for (auto& cell : cells)
          if (cell.size() > max_lines) {
            cell = cell.mid(0, max_lines);
            cell.last() += " …";
          }
        lines = max_lines;
      }
      return std::pair{cells, lines * lh + 2 * pad};
    };
    auto draw_row = [&](const std::vector<QStringList>& cells, double height, FontId f,
                        bool is_header, int row_index) {
      double x = kMargin;
      if (is_header || key_values)
        fill(QRectF(kMargin, y, key_values ? widths[0] : kContentWidth, height), kHeaderFill);
      else if (row_index % 2 == 1)
        fill(QRectF(kMargin, y, kContentWidth, height), QColor(250, 251, 253));
      for (size_t c = 0; c < cells.size(); ++c) {
        const bool right = !is_header && c < numeric.size() && numeric[c];
        double ty = y + pad;
        for (const QString& l : cells[c]) {
          const double tx = right ? x + widths[c] - pad - text_width(f, l) : x + pad;
          text(tx, ty, l, key_values && c == 0 ? kTableBold : f,
               key_values && c == 0 ? kGrey : kText);
          ty += lh;
        }
        x += widths[c];
      }
      line({kMargin, y + height}, {kMargin + kContentWidth, y + height}, kRule);
    };
    const auto [header_cells, header_height] =
        key_values ? std::pair{std::vector<QStringList>{}, 0.0} : wrap_row(header, kTableBold);
    if (!caption.isEmpty()) {
      const double ch = line_height(kSmall) + pt(2);
      ensure(ch + header_height + (rows.empty() ? 0 : wrap_row(rows[0], kTable).second));
      text(kMargin, y, caption, kSmall, kGrey);
      y += ch;
    }
    bool header_drawn = false;
    for (size_t r = 0; r < rows.size(); ++r) {
      const auto [cells, height] = wrap_row(rows[r], kTable);
      const bool fits = y + header_height * (header_drawn ? 0 : 1) + height <= kBottom;
      if (!fits && y > kTop) {
        new_page();
        header_drawn = false;
      }
      if (!header_drawn && !key_values) {
        line({kMargin, y}, {kMargin + kContentWidth, y}, kRule);
        draw_row(header_cells, header_height, kTableBold, true, 0);
        place(-1, false, y, y + header_height);
        y += header_height;
        header_drawn = true;
      } else if (!header_drawn) {
        line({kMargin, y}, {kMargin + kContentWidth, y}, kRule);
        header_drawn = true;
      }
      draw_row(cells, height, kTable, false, int(r));
      place(int(r), false, y, y + height);
      y += height;
    }
    y += pt(8);
  }

  double figure_height(const ReportFigure& f) const {
    double h = f.image.width() > 0 ? kContentWidth * f.image.height() / f.image.width() : 0;
    h = std::min(h, (kBottom - kTop) * 0.55);
    return h + pt(4) + wrap(f.caption, kSmall, kContentWidth).size() * line_height(kSmall);
  }

  void figure(const ReportBlock& b, const ReportFigure& f) {
    double w = kContentWidth;
    double h = f.image.width() > 0 ? w * f.image.height() / f.image.width() : 0;
    const double max_h = (kBottom - kTop) * 0.55;
    if (h > max_h) {
      w *= max_h / h;
      h = max_h;
    }
    const QStringList caption = wrap(f.caption, kSmall, kContentWidth);
    ensure(h + pt(4) + caption.size() * line_height(kSmall));
    const double x = kMargin + (kContentWidth - w) / 2;
    page().ops.push_back({Op::Kind::Image, QRectF(x, y, w, h), {}, kBody, kText, b.figure});
    place(-1, true, y, y + h + pt(4) + caption.size() * line_height(kSmall));
    y += h + pt(4);
    lines_block(caption, kSmall, kGrey);
    y += pt(8);
  }

  void command(const ReportBlock& b) {
    const double pad = pt(4);
    const QStringList title = wrap(b.title, kTableBold, kContentWidth);
    const QStringList code = wrap_at_spaces(b.text, kMono, kContentWidth - 2 * pad);
    const double box = code.size() * line_height(kMono) + 2 * pad;
    ensure(title.size() * line_height(kTableBold) + pt(2) + std::min(box, kBottom - kTop - pt(40)));
    lines_block(title, kTableBold, kText);
    y += pt(2);
    // The box is drawn per page piece, so a command longer than a page still reads.
    double piece_top = y;
    page().ops.push_back(
        {Op::Kind::Fill, QRectF(kMargin, y, kContentWidth, 0), {}, kBody, kCodeFill, -1});
    size_t fill_index = page().ops.size() - 1;
    y += pad;
    const double lh = line_height(kMono);
    for (const QString& l : code) {
      if (y + lh + pad > kBottom) {
        page().ops[fill_index].rect.setHeight(y + pad - piece_top);
        new_page();
        piece_top = y;
        page().ops.push_back(
            {Op::Kind::Fill, QRectF(kMargin, y, kContentWidth, 0), {}, kBody, kCodeFill, -1});
        fill_index = page().ops.size() - 1;
        y += pad;
      }
      text(kMargin + pad, y, l, kMono, kText);
      y += lh;
    }
    y += pad;
    page().ops[fill_index].rect.setHeight(y - piece_top);
    y += pt(6);
  }

  void sample(const ReportBlock& b) {
    const double pad = pt(5);
    const QStringList title = wrap(b.title, kTableBold, kContentWidth);
    const QStringList story = wrap(b.text, kBody, kContentWidth - 2 * pad - pt(3));
    const double lh = line_height(kBody);
    const double whole = title.size() * line_height(kTableBold) + story.size() * lh + 2 * pad;
    // A story that fits on a page is kept whole; a longer one flows line by line.
    ensure(whole <= kBottom - kTop ? whole : title.size() * line_height(kTableBold) + 3 * lh);
    lines_block(title, kTableBold, kText);
    y += pt(2);
    double piece_top = y;
    auto close_piece = [&] {
      fill(QRectF(kMargin, piece_top, kContentWidth, y - piece_top), kStoryFill);
      fill(QRectF(kMargin, piece_top, pt(3), y - piece_top), kStoryBar);
      // Background first: move the two fills under this piece's text.
      auto& ops = page().ops;
      std::rotate(ops.begin() + std::ptrdiff_t(piece_first_op), ops.end() - 2, ops.end());
    };
    piece_first_op = page().ops.size();
    y += pad;
    for (const QString& l : story) {
      if (y + lh + pad > kBottom) {
        y += pad;
        close_piece();
        new_page();
        piece_top = y;
        piece_first_op = 0;
        y += pad;
      }
      text(kMargin + pt(3) + pad, y, l, kBody, kText);
      y += lh;
    }
    y += pad;
    close_piece();
    y += pt(8);
  }
  size_t piece_first_op = 0;

  void add_footers(const QString& title) {
    const int n = int(pages.size());
    for (int i = 0; i < n; ++i) {
      auto& ops = pages[size_t(i)].ops;
      const double top = kPageHeight - kMargin - line_height(kFooterFont) + pt(4);
      ops.push_back(
          {Op::Kind::Line,
           QRectF(QPointF(kMargin, top - pt(3)), QPointF(kMargin + kContentWidth, top - pt(3))),
           {},
           kBody,
           kRule,
           -1});
      const QString left =
          QFontMetricsF(fonts[kFooterFont]).elidedText(title, Qt::ElideRight, kContentWidth * 0.75);
      ops.push_back({Op::Kind::Text, QRectF(kMargin, top + ascent(kFooterFont), 0, 0), left,
                     kFooterFont, kGrey, -1});
      const QString right = QString("page %1 of %2").arg(i + 1).arg(n);
      ops.push_back({Op::Kind::Text,
                     QRectF(kMargin + kContentWidth - text_width(kFooterFont, right),
                            top + ascent(kFooterFont), 0, 0),
                     right, kFooterFont, kGrey, -1});
    }
  }

  void paint(QPainter& painter, int index, const ReportDocument& doc) const {
    painter.setRenderHint(QPainter::Antialiasing);
    painter.setRenderHint(QPainter::TextAntialiasing);
    painter.setRenderHint(QPainter::SmoothPixmapTransform);
    for (const Op& op : pages.at(size_t(index)).ops) {
      switch (op.kind) {
        case Op::Kind::Text:
          painter.setFont(fonts[op.font]);
          painter.setPen(op.color);
          painter.drawText(op.rect.topLeft(), op.text);
          break;
        case Op::Kind::Fill:
          painter.fillRect(op.rect, op.color);
          break;
        case Op::Kind::Line:
          painter.setPen(QPen(op.color, pt(0.6)));
          painter.drawLine(op.rect.topLeft(), op.rect.bottomRight());
          break;
        case Op::Kind::Image:
          painter.drawImage(op.rect, doc.figures.at(size_t(op.figure)).image);
          painter.setPen(QPen(kRule, pt(0.5)));
          painter.setBrush(Qt::NoBrush);
          painter.drawRect(op.rect);
          break;
      }
    }
  }
};

ReportPages::ReportPages(const ReportDocument& doc)
    : layout_(std::make_unique<Layout>()), doc_(doc) {
  Layout& l = *layout_;
  for (const ReportBlock& b : doc.blocks) {
    l.block = int(&b - doc.blocks.data());
    switch (b.kind) {
      case ReportBlock::Kind::Heading: {
        const size_t i = size_t(&b - doc.blocks.data());
        const bool next_is_figure =
            i + 1 < doc.blocks.size() && doc.blocks[i + 1].kind == ReportBlock::Kind::Figure;
        l.heading(b, next_is_figure
                         ? l.figure_height(doc.figures.at(size_t(doc.blocks[i + 1].figure)))
                         : 0);
        break;
      }
      case ReportBlock::Kind::Paragraph:
        l.paragraph(b);
        break;
      case ReportBlock::Kind::KeyValues:
        l.table({"", ""}, b.rows, {}, b.text, true);
        break;
      case ReportBlock::Kind::Table:
        l.table(b.header, b.rows, b.numeric, b.text, false);
        break;
      case ReportBlock::Kind::Figure:
        l.figure(b, doc.figures.at(size_t(b.figure)));
        break;
      case ReportBlock::Kind::Command:
        l.command(b);
        break;
      case ReportBlock::Kind::Sample:
        l.sample(b);
        break;
    }
  }
  if (l.pages.size() > 1 && l.pages.back().ops.empty()) l.pages.pop_back();
  l.add_footers(doc.title);
}

ReportPages::~ReportPages() = default;

int ReportPages::page_count() const { return int(layout_->pages.size()); }

const std::vector<ReportPages::Placement>& ReportPages::placements() const {
  return layout_->placements;
}
double ReportPages::content_top() { return kTop * 72.0 / kUnitsPerInch; }
double ReportPages::content_bottom() { return kBottom * 72.0 / kUnitsPerInch; }

QImage ReportPages::page_image(int index, int width_px) const {
  const double scale = width_px / kPageWidth;
  QImage image(width_px, int(std::lround(kPageHeight * scale)), QImage::Format_RGB32);
  image.fill(Qt::white);
  const int dots_per_meter = int(std::lround(kUnitsPerInch * scale / 0.0254));
  image.setDotsPerMeterX(dots_per_meter);
  image.setDotsPerMeterY(dots_per_meter);
  QPainter painter(&image);
  painter.scale(scale, scale);
  layout_->paint(painter, index, doc_);
  return image;
}

QByteArray ReportPages::pdf(const QString& title) const {
  QByteArray bytes;
  QBuffer buffer(&bytes);
  buffer.open(QIODevice::WriteOnly);
  {
    QPdfWriter writer(&buffer);
    writer.setPageSize(QPageSize(QPageSize::A4));
    writer.setPageMargins(QMarginsF(0, 0, 0, 0));
    writer.setResolution(int(kUnitsPerInch));
    writer.setTitle(title);
    writer.setCreator("LoRA Lab");
    QPainter painter(&writer);
    const double scale = writer.width() / kPageWidth;
    for (int i = 0; i < page_count(); ++i) {
      if (i > 0) writer.newPage();
      painter.save();
      painter.scale(scale, scale);
      layout_->paint(painter, i, doc_);
      painter.restore();
    }
    painter.end();
  }
  return bytes;
}

}  // namespace loralab::ui
