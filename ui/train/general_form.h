// GeneralForm: the general text of a run, the kind of text the base model already knows (for the
// bundled base: the everyday stories). Its validation part, or the file itself, gives the
// forgetting figure: the loss on it before and after training. A share above 0 also mixes its
// rows into the training rows (rehearsal), which keeps that loss down.
#pragma once
#include <QString>
#include <QWidget>

#include "loralab/train.h"

class QComboBox;
class QLabel;
class QLineEdit;

namespace loralab::ui {

class FieldSet;

class GeneralForm : public QWidget {
  Q_OBJECT
 public:
  explicit GeneralForm(QWidget* parent = nullptr);

  // "" = none: no forgetting figure, no rehearsal. Another path is added to the list.
  void set_general_path(const QString& path);
  QString general_path() const;
  // validation.jsonl beside a train.jsonl, else the set itself; "" without a set.
  QString reference_path() const;
  void set_share_text(const QString& share);  // as typed: "0.2"
  QString share_text() const;
  // The share of all rows that are general rows with their openings scored, as typed; "" = all
  // of them. The other general rows leave their first kUnscoredOpening tokens unscored.
  void set_openings_text(const QString& openings);
  QString openings_text() const;
  static constexpr int64_t kUnscoredOpening = 8;
  // The bundled everyday training set, "" when it is not installed.
  static QString bundled_general_set();

  // Writes reference, rehearsal, rehearsal_share and the openings into `spec`. False, with the message under
  // the field, when the share is refused.
  bool apply(TrainSpec& spec);
  FieldSet* fields() const { return fields_; }

 signals:
  void changed();

 private:
  void update_note();

  FieldSet* fields_ = nullptr;
  QComboBox* picker_ = nullptr;
  QLineEdit* share_ = nullptr;
  QLineEdit* openings_ = nullptr;
  QLabel* note_ = nullptr;
};

}  // namespace loralab::ui
