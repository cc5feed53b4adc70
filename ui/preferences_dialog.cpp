// The preferences dialog; see preferences_dialog.h.
#include "ui/preferences_dialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>

#include "loralab/runtime.h"
#include "loralab/store.h"
#include "ui/settings.h"

namespace loralab::ui {

PreferencesDialog::PreferencesDialog(Settings& settings, QWidget* parent)
    : QDialog(parent), settings_(settings) {
  setWindowTitle(tr("Preferences"));
  auto* form = new QFormLayout(this);
  theme_ = new QComboBox(this);
  theme_->addItem(tr("Follow the system"), "system");
  theme_->addItem(tr("Light"), "light");
  theme_->addItem(tr("Dark"), "dark");
  theme_->setCurrentIndex(theme_->findData(Settings::theme_name(settings.theme())));
  form->addRow(tr("Appearance"), theme_);

  threads_ = new QSpinBox(this);
  threads_->setRange(0, 1024);
  threads_->setSpecialValueText(tr("automatic (%1 cores)").arg(hardware_cores()));
  threads_->setValue(settings.compute_threads());
  form->addRow(tr("Engine threads"), threads_);

  auto* out_row = new QHBoxLayout;
  output_root_ = new QLineEdit(settings.output_root(), this);
  auto* browse = new QPushButton(tr("Browse…"), this);
  out_row->addWidget(output_root_, 1);
  out_row->addWidget(browse);
  form->addRow(tr("Adapters folder"), out_row);
  connect(browse, &QPushButton::clicked, this, [this] {
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Adapters folder"), output_root_->text());
    if (!dir.isEmpty()) output_root_->setText(dir);
  });

  record_ = new QCheckBox(tr("Record runs in the experiment store"), this);
  record_->setChecked(settings.record_runs());
  form->addRow(QString(), record_);
  store_path_ = new QLineEdit(settings.store_path(), this);
  store_path_->setPlaceholderText(QString::fromStdString(default_store_path()));
  form->addRow(tr("Experiment store"), store_path_);

  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
  form->addRow(buttons);
  connect(buttons, &QDialogButtonBox::accepted, this, [this] {
    store();
    accept();
  });
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
}

void PreferencesDialog::store() {
  settings_.set_theme(Settings::parse_theme(theme_->currentData().toString()));
  settings_.set_compute_threads(threads_->value());
  settings_.set_output_root(output_root_->text().trimmed());
  settings_.set_record_runs(record_->isChecked());
  settings_.set_store_path(store_path_->text().trimmed());
  settings_.sync();
}

}  // namespace loralab::ui
