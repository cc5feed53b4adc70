// FieldSet: the inline validation behind the Train page's forms. Each row turns its widget into a
// part of a TrainSpec; the row is then checked alone against a known-good spec, so the engine's own
// message (TrainSpec::validate, LoraSpec::validate, accounting against the loaded model) appears
// right under the field that caused it rather than as one error for the whole form.
#pragma once
#include <QMap>
#include <QObject>
#include <QString>
#include <functional>

#include "loralab/train.h"

class QFormLayout;
class QLabel;
class QWidget;

namespace loralab::ui {

// Parsers for form text; they throw loralab::Error naming `key` and what was found.
int64_t parse_int_field(const QString& text, const QString& key);
double parse_double_field(const QString& text, const QString& key);

class FieldSet : public QObject {
  Q_OBJECT
 public:
  using Apply = std::function<void(TrainSpec&)>;   // reads the widget; throws loralab::Error
  using Check = std::function<void(const TrainSpec&)>;

  explicit FieldSet(QObject* parent = nullptr);

  // Adds a labelled row holding `input` with an error line under it. `key` names the field in the
  // engine's messages ("lr", "rank", ...). Rows apply in the order they were added.
  void add(QFormLayout* form, const QString& label, const QString& key, QWidget* input, Apply apply);
  // Registers a row whose widgets the caller laid out, with the label that shows its error.
  void add_custom(const QString& key, QWidget* input, QLabel* error_label, Apply apply);
  // Checks that need more than the spec (the loaded model's config); run on every probe.
  void set_context_check(Check check) { context_check_ = std::move(check); }

  // Applies every row to `spec` and refreshes the error lines. True when no row is refused.
  bool apply(TrainSpec& spec);
  QString error(const QString& key) const { return errors_.value(key); }
  QStringList errors() const;
  QWidget* input(const QString& key) const;

  // A spec that passes validate(): the base every row is probed against.
  static TrainSpec probe_base();

 signals:
  void changed();

 private:
  struct Row {
    QString key;
    QWidget* input;
    QLabel* error;
    Apply apply;
  };
  void watch(QWidget* input);
  void show_error(Row& row, const QString& message);

  std::vector<Row> rows_;
  QMap<QString, QString> errors_;
  Check context_check_;
};

// The error label style shared by the forms.
QLabel* make_error_label(QWidget* parent);

}  // namespace loralab::ui
