// PreferencesDialog: appearance, engine threads, where adapters are written and whether runs are
// recorded in the experiment store. Reads and writes only through Settings.
#pragma once
#include <QDialog>

class QCheckBox;
class QComboBox;
class QLineEdit;
class QSpinBox;

namespace loralab::ui {

class Settings;

class PreferencesDialog : public QDialog {
  Q_OBJECT
 public:
  explicit PreferencesDialog(Settings& settings, QWidget* parent = nullptr);
  // Writes the dialog's values into the settings (called on OK).
  void store();

 private:
  Settings& settings_;
  QComboBox* theme_ = nullptr;
  QSpinBox* threads_ = nullptr;
  QLineEdit *output_root_ = nullptr, *store_path_ = nullptr;
  QCheckBox* record_ = nullptr;
};

}  // namespace loralab::ui
