// TrainingForm: the optimisation settings of a run (name, lr, schedule, warmup, steps or epochs,
// batch, seq, rows packed or one example each, accumulation, weight decay, clipping, eval every, patience, seed, precision,
// threads, recomputing layers in backward, output folder), validated field by field against the
// engine's TrainSpec rules and the loaded model (a sequence longer than its positions is refused
// here, not after loading).
#pragma once
#include <QWidget>
#include <functional>
#include <optional>

#include "loralab/model_config.h"
#include "loralab/train.h"

class QCheckBox;
class QComboBox;
class QLineEdit;

namespace loralab::ui {

class FieldSet;

class TrainingForm : public QWidget {
  Q_OBJECT
 public:
  explicit TrainingForm(QWidget* parent = nullptr);

  void set_model_config(const std::optional<ModelConfig>& config);
  void load(const TrainSpec& spec);
  // Writes the form into `spec` (not data paths); an empty output folder stays empty for the page
  // to fill in. False, with messages under the fields, when a value is refused.
  bool apply(TrainSpec& spec);
  FieldSet* fields() const { return fields_; }
  // The text box of a field by its key ("lr", "seq", ...), for tests and focus.
  QLineEdit* edit(const QString& key) const;
  // Rows: examples packed back to back, or one example per row from position 0.
  void set_packed(bool packed);
  bool packed() const;

 signals:
  void changed();

 private:
  QLineEdit* add_line(class QFormLayout* form, const QString& label, const QString& key,
                      const QString& value, std::function<void(TrainSpec&, const QString&)> apply);

  FieldSet* fields_ = nullptr;
  QComboBox *schedule_ = nullptr, *length_unit_ = nullptr, *precision_ = nullptr, *rows_ = nullptr;
  QCheckBox* recompute_ = nullptr;
  QLineEdit* length_ = nullptr;
  std::optional<ModelConfig> config_;
};

}  // namespace loralab::ui
