// Light / dark appearance; see theme.h.
#include "ui/theme.h"

#include <QApplication>
#include <QStyle>
#include <QStyleFactory>

namespace loralab::ui {
namespace {

QString g_system_style;
QPalette g_system_palette;
bool g_captured = false;

QPalette dark_palette() {
  QPalette p;
  const QColor window(45, 45, 48), base(30, 30, 32), text(225, 225, 225), disabled(125, 125, 125);
  p.setColor(QPalette::Window, window);
  p.setColor(QPalette::WindowText, text);
  p.setColor(QPalette::Base, base);
  p.setColor(QPalette::AlternateBase, window);
  p.setColor(QPalette::ToolTipBase, QColor(60, 60, 64));
  p.setColor(QPalette::ToolTipText, text);
  p.setColor(QPalette::Text, text);
  p.setColor(QPalette::Button, window);
  p.setColor(QPalette::ButtonText, text);
  p.setColor(QPalette::BrightText, Qt::red);
  p.setColor(QPalette::Link, QColor(90, 160, 250));
  p.setColor(QPalette::Highlight, QColor(50, 110, 200));
  p.setColor(QPalette::HighlightedText, Qt::white);
  p.setColor(QPalette::PlaceholderText, disabled);
  for (auto role : {QPalette::WindowText, QPalette::Text, QPalette::ButtonText})
    p.setColor(QPalette::Disabled, role, disabled);
  return p;
}

}  // namespace

void capture_system_theme() {
  if (g_captured) return;
  g_system_style = QApplication::style()->name();
  g_system_palette = QApplication::palette();
  g_captured = true;
}

void apply_theme(Settings::Theme theme) {
  capture_system_theme();
  switch (theme) {
    case Settings::Theme::System:
      QApplication::setStyle(QStyleFactory::create(g_system_style));
      QApplication::setPalette(g_system_palette);
      break;
    case Settings::Theme::Light:
      QApplication::setStyle(QStyleFactory::create("Fusion"));
      QApplication::setPalette(QApplication::style()->standardPalette());
      break;
    case Settings::Theme::Dark:
      QApplication::setStyle(QStyleFactory::create("Fusion"));
      QApplication::setPalette(dark_palette());
      break;
  }
}

bool is_dark_palette(const QPalette& palette) {
  return palette.color(QPalette::Window).lightness() < 128;
}

}  // namespace loralab::ui
