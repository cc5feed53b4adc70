// Light / dark appearance. "System" keeps the palette the platform theme gives the app (so a dark
// desktop gives a dark app and changes follow it); Light and Dark force Fusion with a fixed
// palette. Widgets that paint themselves (the plots) ask is_dark_palette() and listen for
// QEvent::PaletteChange.
#pragma once
#include <QPalette>

#include "ui/settings.h"

namespace loralab::ui {

// Remembers the platform's own style and palette; call once after the QApplication exists.
void capture_system_theme();
void apply_theme(Settings::Theme theme);
bool is_dark_palette(const QPalette& palette);

}  // namespace loralab::ui
