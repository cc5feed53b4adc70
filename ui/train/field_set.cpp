// Per-field validation of the Train page's forms; see field_set.h.
#include "ui/train/field_set.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QSpinBox>
#include <QTableWidget>
#include <QVBoxLayout>

#include "loralab/error.h"

namespace loralab::ui {

int64_t parse_int_field(const QString& text, const QString& key) {
  bool ok = false;
  const qlonglong value = text.trimmed().toLongLong(&ok);
  if (!ok)
    throw Error(key.toStdString() + ": expected a whole number, got '" + text.trimmed().toStdString() + "'");
  return value;
}

double parse_double_field(const QString& text, const QString& key) {
  bool ok = false;
  const double value = text.trimmed().toDouble(&ok);
  if (!ok) throw Error(key.toStdString() + ": expected a number, got '" + text.trimmed().toStdString() + "'");
  return value;
}

QLabel* make_error_label(QWidget* parent) {
  auto* label = new QLabel(parent);
  label->setObjectName("field_error");
  label->setWordWrap(true);
  label->setStyleSheet("color: #d03030; font-size: small;");
  label->setVisible(false);
  return label;
}

FieldSet::FieldSet(QObject* parent) : QObject(parent) {}

TrainSpec FieldSet::probe_base() {
  TrainSpec spec;
  spec.data.path = "data";
  spec.out_dir = "out";
  spec.steps = 1;
  return spec;
}

void FieldSet::add(QFormLayout* form, const QString& label, const QString& key, QWidget* input,
                   Apply apply) {
  auto* cell = new QWidget(form->parentWidget());
  auto* column = new QVBoxLayout(cell);
  column->setContentsMargins(0, 0, 0, 0);
  column->setSpacing(1);
  column->addWidget(input);
  auto* error = make_error_label(cell);
  column->addWidget(error);
  form->addRow(label, cell);
  add_custom(key, input, error, std::move(apply));
}

void FieldSet::add_custom(const QString& key, QWidget* input, QLabel* error_label, Apply apply) {
  input->setObjectName(key);
  rows_.push_back({key, input, error_label, std::move(apply)});
  watch(input);
}

void FieldSet::watch(QWidget* input) {
  if (auto* edit = qobject_cast<QLineEdit*>(input))
    connect(edit, &QLineEdit::textChanged, this, &FieldSet::changed);
  else if (auto* combo = qobject_cast<QComboBox*>(input))
    connect(combo, &QComboBox::currentIndexChanged, this, &FieldSet::changed);
  else if (auto* box = qobject_cast<QCheckBox*>(input))
    connect(box, &QCheckBox::toggled, this, &FieldSet::changed);
  else if (auto* spin = qobject_cast<QSpinBox*>(input))
    connect(spin, &QSpinBox::valueChanged, this, &FieldSet::changed);
  else if (auto* table = qobject_cast<QTableWidget*>(input))
    connect(table, &QTableWidget::itemChanged, this, &FieldSet::changed);
  // Composite rows watch their children.
  for (auto* edit : input->findChildren<QLineEdit*>())
    connect(edit, &QLineEdit::textChanged, this, &FieldSet::changed);
  for (auto* box : input->findChildren<QCheckBox*>())
    connect(box, &QCheckBox::toggled, this, &FieldSet::changed);
  for (auto* combo : input->findChildren<QComboBox*>())
    connect(combo, &QComboBox::currentIndexChanged, this, &FieldSet::changed);
}

void FieldSet::show_error(Row& row, const QString& message) {
  if (message.isEmpty()) errors_.remove(row.key);
  else errors_[row.key] = message;
  if (row.error) {
    row.error->setText(message);
    row.error->setVisible(!message.isEmpty());
  }
  // A refused value gets a red frame, so the eye finds it before reading the message.
  if (qobject_cast<QLineEdit*>(row.input))
    row.input->setStyleSheet(message.isEmpty() ? QString() : QStringLiteral("border: 1px solid #d03030;"));
}

bool FieldSet::apply(TrainSpec& spec) {
  bool all_ok = true;
  for (Row& row : rows_) {
    QString message;
    try {
      TrainSpec probe = probe_base();
      row.apply(probe);
      probe.validate();
      if (context_check_) context_check_(probe);
      row.apply(spec);
    } catch (const std::exception& e) {
      message = QString::fromUtf8(e.what());
    }
    show_error(row, message);
    all_ok = all_ok && message.isEmpty();
  }
  return all_ok;
}

QStringList FieldSet::errors() const { return errors_.values(); }

QWidget* FieldSet::input(const QString& key) const {
  for (const Row& row : rows_)
    if (row.key == key) return row.input;
  return nullptr;
}

}  // namespace loralab::ui
