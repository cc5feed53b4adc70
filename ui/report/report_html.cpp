// Self-contained HTML and Markdown from a ReportDocument; see report_writers.h.
#include <QRegularExpression>

#include "ui/report/report_writers.h"

namespace loralab::ui {
namespace {

// Styles travel inside the file (no external sheet); print rules keep rows and figures whole.
constexpr const char* kStyle = R"css(
body { font-family: "DejaVu Sans", "Segoe UI", Helvetica, Arial, sans-serif; color: #1d1d1f;
       max-width: 1100px; margin: 2em auto; padding: 0 1.5em; line-height: 1.45; font-size: 15px; }
h1 { font-size: 1.9em; margin-bottom: 0.2em; }
h2 { font-size: 1.35em; margin-top: 2em; border-bottom: 1px solid #d0d4da; padding-bottom: 0.2em; }
h3 { font-size: 1.1em; margin-top: 1.4em; }
p.note { color: #5a6270; font-size: 0.88em; }
nav { background: #f4f6f9; border: 1px solid #dde2ea; padding: 0.6em 1em; border-radius: 6px; }
nav a { margin-right: 1.1em; color: #1f5fbf; text-decoration: none; white-space: nowrap; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.88em; width: 100%; }
caption { text-align: left; font-weight: 600; padding-bottom: 0.3em; }
th, td { border: 1px solid #d6dbe3; padding: 0.3em 0.5em; vertical-align: top; text-align: left;
         overflow-wrap: anywhere; }
th { background: #eef1f6; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr { page-break-inside: avoid; break-inside: avoid; }
table.kv td:first-child { width: 14em; color: #4a5261; font-weight: 600; }
figure { margin: 1em 0; page-break-inside: avoid; break-inside: avoid; }
figure img { width: 100%; height: auto; border: 1px solid #e3e6eb; }
figcaption { color: #5a6270; font-size: 0.88em; margin-top: 0.3em; }
pre { background: #f6f8fa; border: 1px solid #dde2ea; border-radius: 4px; padding: 0.6em 0.8em;
      white-space: pre-wrap; overflow-wrap: anywhere; font-size: 0.85em; }
div.cmd-title, div.sample-title { font-weight: 600; margin-top: 1em; font-size: 0.92em; }
div.story { white-space: pre-wrap; background: #fbfaf6; border-left: 4px solid #d8c8a0;
            padding: 0.5em 0.9em; margin: 0.3em 0 1em 0; font-family: Georgia, serif; }
)css";

QString cell(const QString& text, bool numeric, const char* tag = "td") {
  return QString("<%1%2>%3</%1>").arg(tag, numeric ? " class=\"num\"" : "", html_escape(text));
}

QString html_table(const ReportBlock& b) {
  QString out = "<table>\n";
  if (!b.text.isEmpty()) out += "<caption>" + html_escape(b.text) + "</caption>\n";
  out += "<thead><tr>";
  for (int i = 0; i < b.header.size(); ++i)
    out += cell(b.header[i], size_t(i) < b.numeric.size() && b.numeric[i], "th");
  out += "</tr></thead>\n<tbody>\n";
  for (const auto& row : b.rows) {
    out += "<tr>";
    for (int i = 0; i < row.size(); ++i)
      out += cell(row[i], size_t(i) < b.numeric.size() && b.numeric[i]);
    out += "</tr>\n";
  }
  return out + "</tbody>\n</table>\n";
}

}  // namespace

QString html_escape(const QString& text) {
  QString out;
  out.reserve(text.size() + text.size() / 8);
  for (QChar c : text) {
    switch (c.unicode()) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        if ((c.unicode() < 0x20 && c != '\n' && c != '\t' && c != '\r') || c.unicode() == 0x7f ||
            c.unicode() == 0xfffe || c.unicode() == 0xffff)
          out += QChar(0xfffd);
        else
          out += c;
    }
  }
  return out;
}

QByteArray report_html(const ReportDocument& doc) {
  QString out;
  out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n";
  out += "<meta name=\"generator\" content=\"LoRA Lab\"/>\n";
  // Belt and braces: even text that escaped escaping could run no script and fetch nothing.
  out +=
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
      "img-src data:; style-src 'unsafe-inline'\"/>\n";
  out += "<title>" + html_escape(doc.title) + "</title>\n<style>" + kStyle + "</style>\n";
  out += "</head>\n<body>\n";
  QString nav;
  for (const auto& b : doc.blocks)
    if (b.kind == ReportBlock::Kind::Heading && b.level == 2)
      nav += QString("<a href=\"#%1\">%2</a> ").arg(html_escape(b.anchor), html_escape(b.text));
  bool nav_written = false;
  for (const auto& b : doc.blocks) {
    switch (b.kind) {
      case ReportBlock::Kind::Heading:
        if (b.level == 2 && !nav_written) {
          out += "<nav>" + nav + "</nav>\n";
          nav_written = true;
        }
        out += QString("<h%1 id=\"%2\">%3</h%1>\n")
                   .arg(b.level)
                   .arg(html_escape(b.anchor), html_escape(b.text));
        break;
      case ReportBlock::Kind::Paragraph:
        out += QString("<p%1>%2</p>\n").arg(b.small ? " class=\"note\"" : "", html_escape(b.text));
        break;
      case ReportBlock::Kind::KeyValues:
        out += "<table class=\"kv\">\n<tbody>\n";
        for (const auto& row : b.rows)
          out += "<tr>" + cell(row.value(0), false) + cell(row.value(1), false) + "</tr>\n";
        out += "</tbody>\n</table>\n";
        break;
      case ReportBlock::Kind::Table:
        out += html_table(b);
        break;
      case ReportBlock::Kind::Figure: {
        const ReportFigure& f = doc.figures.at(size_t(b.figure));
        out += QString(
                   "<figure>\n<img src=\"data:image/png;base64,%1\" alt=\"%2\" width=\"%3\" "
                   "height=\"%4\"/>\n<figcaption>%5</figcaption>\n</figure>\n")
                   .arg(QString::fromLatin1(f.png.toBase64()), html_escape(f.caption))
                   .arg(f.image.width())
                   .arg(f.image.height())
                   .arg(html_escape(f.caption));
        break;
      }
      case ReportBlock::Kind::Command:
        out += "<div class=\"cmd-title\">" + html_escape(b.title) + "</div>\n<pre><code>" +
               html_escape(b.text) + "</code></pre>\n";
        break;
      case ReportBlock::Kind::Sample:
        out += "<div class=\"sample-title\">" + html_escape(b.title) +
               "</div>\n<div class=\"story\">" + html_escape(b.text) + "</div>\n";
        break;
    }
  }
  out += "</body>\n</html>\n";
  return out.toUtf8();
}

// ---- Markdown -------------------------------------------------------------------------------

QString markdown_escape(const QString& text, bool table_cell) {
  // Inline syntax anywhere in a line; the block syntax (#, lists, setext rules) only matters at
  // the start of a line and is handled below. Raw HTML cannot pass: & < > become entities.
  static const QString kInline = QStringLiteral("\\`*_[]|~!");
  QString out;
  out.reserve(text.size() + text.size() / 4);
  bool line_start = true;
  for (int i = 0; i < text.size(); ++i) {
    const QChar c = text[i];
    if (c == '\n' || c == '\r') {
      out += table_cell ? QString(" ") : QString(c);
      line_start = !table_cell;
      continue;
    }
    if (line_start && !table_cell) {
      if (c == ' ') {  // four leading spaces would make a code block
        out += QChar(0x00a0);
        continue;
      }
      if (QStringLiteral("#+-=").contains(c)) out += '\\';
      if (c.isDigit()) {  // "1. " or "1) " starts an ordered list
        int j = i;
        while (j < text.size() && text[j].isDigit()) ++j;
        if (j < text.size() && (text[j] == '.' || text[j] == ')')) {
          out += text.mid(i, j - i);
          out += QChar('\\');
          out += text[j];
          i = j;
          line_start = false;
          continue;
        }
      }
    }
    line_start = false;
    if (c == '&')
      out += "&amp;";
    else if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else if (c.unicode() < 0x20 && c != '\t')
      out += QChar(0xfffd);
    else if (kInline.contains(c)) {
      out += QChar('\\');
      out += c;
    } else
      out += c;
  }
  return out;
}

namespace {

// A fence longer than any run of backticks in the text, so nothing can close it early.
QString fence_for(const QString& text) {
  int longest = 0, run = 0;
  for (QChar c : text) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  return QString(std::max(3, longest + 1), '`');
}

QString md_table(const ReportBlock& b) {
  QString out;
  if (!b.text.isEmpty()) out += "**" + markdown_escape(b.text) + "**\n\n";
  QStringList header, rule;
  for (int i = 0; i < b.header.size(); ++i) {
    header << markdown_escape(b.header[i], true);
    rule << (size_t(i) < b.numeric.size() && b.numeric[i] ? "---:" : "---");
  }
  out += "| " + header.join(" | ") + " |\n| " + rule.join(" | ") + " |\n";
  for (const auto& row : b.rows) {
    QStringList cells;
    for (const auto& c : row) cells << (c.isEmpty() ? QString(" ") : markdown_escape(c, true));
    out += "| " + cells.join(" | ") + " |\n";
  }
  return out + "\n";
}

}  // namespace

MarkdownReport report_markdown(const ReportDocument& doc, const QString& image_folder) {
  MarkdownReport report;
  QString out;
  QStringList used_names;
  std::vector<QString> figure_files(doc.figures.size());
  for (size_t i = 0; i < doc.figures.size(); ++i) {
    QString name = QString("%1-%2.png").arg(i + 1, 2, 10, QChar('0')).arg(doc.figures[i].name);
    figure_files[i] = name;
    report.images.push_back({name, doc.figures[i].png});
  }
  for (const auto& b : doc.blocks) {
    switch (b.kind) {
      case ReportBlock::Kind::Heading:
        out += QString(b.level, '#') + " " + markdown_escape(b.text, true) + "\n\n";
        break;
      case ReportBlock::Kind::Paragraph:
        out += (b.small ? "*" + markdown_escape(b.text) + "*" : markdown_escape(b.text)) + "\n\n";
        break;
      case ReportBlock::Kind::KeyValues: {
        ReportBlock t = b;
        t.header = {"", ""};
        out += md_table(t);
        break;
      }
      case ReportBlock::Kind::Table:
        out += md_table(b);
        break;
      case ReportBlock::Kind::Figure: {
        const ReportFigure& f = doc.figures.at(size_t(b.figure));
        // Folder and file names are ours (no user text); spaces are %-encoded for the link.
        QString link = image_folder + "/" + figure_files.at(size_t(b.figure));
        link.replace(" ", "%20").replace("(", "%28").replace(")", "%29");
        out += "![" + markdown_escape(f.caption, true) + "](" + link + ")\n\n*" +
               markdown_escape(f.caption) + "*\n\n";
        break;
      }
      case ReportBlock::Kind::Command: {
        const QString fence = fence_for(b.text);
        out += "**" + markdown_escape(b.title, true) + "**\n\n" + fence + "sh\n" + b.text + "\n" +
               fence + "\n\n";
        break;
      }
      case ReportBlock::Kind::Sample: {
        out += "**" + markdown_escape(b.title, true) + "**\n\n";
        for (const QString& line : markdown_escape(b.text).split('\n')) out += "> " + line + "\n";
        out += "\n";
        break;
      }
    }
  }
  report.markdown = out.toUtf8();
  return report;
}

}  // namespace loralab::ui
