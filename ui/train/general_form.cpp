// The general-text form; see general_form.h.
#include "ui/train/general_form.h"

#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>

#include "loralab/error.h"
#include "ui/app_paths.h"
#include "ui/train/dataset_panel.h"
#include "ui/train/field_set.h"

namespace loralab::ui {

GeneralForm::GeneralForm(QWidget* parent) : QWidget(parent) {
  fields_ = new FieldSet(this);
  auto* form = new QFormLayout(this);
  form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);

  auto* set_row = new QWidget(this);
  auto* set_layout = new QHBoxLayout(set_row);
  set_layout->setContentsMargins(0, 0, 0, 0);
  picker_ = new QComboBox(set_row);
  picker_->setObjectName("general_picker");
  picker_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
  picker_->setMinimumContentsLength(14);
  picker_->addItem(tr("None"), QString());
  for (const QString& path : bundled_datasets())
    picker_->addItem(tr("%1 (bundled)").arg(dataset_display_name(path)), path);
  auto* open_file = new QPushButton(tr("File…"), set_row);
  open_file->setToolTip(tr("A .txt, .jsonl or .csv file of the text the base model knows"));
  set_layout->addWidget(picker_, 1);
  set_layout->addWidget(open_file);
  fields_->add(form, tr("Set"), "reference", set_row, [this](TrainSpec& s) {
    s.reference.reset();
    if (const QString reference = reference_path(); !reference.isEmpty()) {
      s.reference = DatasetSpec{};
      s.reference->path = reference.toStdString();
    }
  });
  share_ = new QLineEdit("0", this);
  share_->setObjectName("rehearsal_share");
  share_->setToolTip(tr("Share of the training rows drawn from the general set (rehearsal), "
                        "0 to 0.9. It keeps the general-text loss down; 0 only measures it."));
  fields_->add(form, tr("Mix into training"), "rehearsal_share", share_, [this](TrainSpec& s) {
    s.rehearsal.reset();
    if (general_path().isEmpty()) return;
    const double share = parse_double_field(share_->text(), "rehearsal_share");
    if (share < 0)
      throw Error("rehearsal_share: expected 0 (measure only) or a share of the training rows in "
                  "(0, 0.9], got " + share_->text().trimmed().toStdString());
    if (share == 0) return;
    s.rehearsal = DatasetSpec{};
    s.rehearsal->path = general_path().toStdString();
    s.rehearsal_share = share;
  });
  openings_ = new QLineEdit(this);
  openings_->setObjectName("rehearsal_opening_share");
  openings_->setPlaceholderText(tr("all"));
  openings_->setToolTip(
      tr("Share of all training rows that are general rows with their openings scored, from 0 "
         "to the mix share; empty = all of them. The adapter then begins a general text about "
         "this share / (this share + its own rows' share) of the time, while the other general "
         "rows (their first %1 tokens unscored) still keep the rest of the general text in place.")
          .arg(kUnscoredOpening));
  fields_->add(form, tr("Scored openings"), "rehearsal_opening_share", openings_, [this](TrainSpec& s) {
    s.rehearsal_opening_share.reset();
    s.rehearsal_unscored_opening = 0;
    if (!s.rehearsal || openings_->text().trimmed().isEmpty()) return;
    const double openings = parse_double_field(openings_->text(), "rehearsal_opening_share");
    if (openings < 0 || openings > s.rehearsal_share)
      throw Error("rehearsal_opening_share: expected a share of the training rows from 0 to the "
                  "mix share " + share_->text().trimmed().toStdString() + ", or empty for all, got " +
                  openings_->text().trimmed().toStdString());
    s.rehearsal_opening_share = openings;
    s.rehearsal_unscored_opening = kUnscoredOpening;
  });
  note_ = new QLabel(this);
  note_->setObjectName("general_note");
  note_->setWordWrap(true);
  form->addRow(note_);

  connect(picker_, &QComboBox::currentIndexChanged, this, [this] {
    update_note();
    emit changed();
  });
  connect(open_file, &QPushButton::clicked, this, [this] {
    const QString file = QFileDialog::getOpenFileName(
        this, tr("Open the general text"), QFileInfo(general_path()).absolutePath(),
        tr("Datasets (*.txt *.jsonl *.ndjson *.csv);;All files (*)"));
    if (!file.isEmpty()) set_general_path(file);
  });
  connect(fields_, &FieldSet::changed, this, &GeneralForm::changed);
  update_note();
}

QString GeneralForm::bundled_general_set() {
  for (const QString& path : bundled_datasets())
    if (dataset_display_name(path).compare("Everyday", Qt::CaseInsensitive) == 0) return path;
  return {};
}

void GeneralForm::set_general_path(const QString& path) {
  select_path_item(picker_, path.isEmpty() ? QString() : QDir::cleanPath(QFileInfo(path).absoluteFilePath()));
}

QString GeneralForm::general_path() const { return picker_->currentData().toString(); }

QString GeneralForm::reference_path() const {
  const QString path = general_path();
  if (path.isEmpty()) return {};
  const QString validation = sibling_validation(path);
  return validation.isEmpty() ? path : validation;
}

void GeneralForm::set_share_text(const QString& share) { share_->setText(share); }

QString GeneralForm::share_text() const { return share_->text(); }

void GeneralForm::set_openings_text(const QString& openings) { openings_->setText(openings); }

QString GeneralForm::openings_text() const { return openings_->text(); }

bool GeneralForm::apply(TrainSpec& spec) { return fields_->apply(spec); }

void GeneralForm::update_note() {
  const bool any = !general_path().isEmpty();
  share_->setEnabled(any);
  openings_->setEnabled(any);
  note_->setText(any ? tr("Forgetting: the loss on %1 before and after training.")
                           .arg(QFileInfo(reference_path()).fileName() == "validation.jsonl"
                                    ? dataset_display_name(general_path()) + tr(" validation")
                                    : QFileInfo(reference_path()).fileName())
                     : tr("No forgetting figure: choose the kind of text the base model knows."));
}

}  // namespace loralab::ui
