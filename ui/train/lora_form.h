// LoraForm: rank, alpha (or alpha = rank), target modules as checkboxes, a layer × module grid of
// per-layer ranks (PEFT's rank_pattern), dropout, init and rsLoRA. The grid follows the loaded
// model's layer count; a blank cell uses the form's rank.
#pragma once
#include <QWidget>
#include <optional>

#include "loralab/model_config.h"
#include "loralab/train.h"

class QCheckBox;
class QComboBox;
class QLineEdit;
class QTableWidget;

namespace loralab::ui {

class FieldSet;

class LoraForm : public QWidget {
  Q_OBJECT
 public:
  explicit LoraForm(QWidget* parent = nullptr);

  void set_model_config(const std::optional<ModelConfig>& config);
  // Fills the widgets from a spec (the last used form, restored at start).
  void load(const LoraSpec& spec);
  // Writes the form into spec.lora; false (with messages under the fields) when a value is refused.
  bool apply(TrainSpec& spec);
  FieldSet* fields() const { return fields_; }
  QTableWidget* rank_grid() const { return grid_; }
  // Sets one cell of the per-layer rank grid ("" = the form's rank); for tests and presets.
  void set_layer_rank(int layer, const QString& module, const QString& rank);

 signals:
  void changed();

 protected:
  void changeEvent(QEvent* event) override;

 private:
  void rebuild_grid();
  void refresh_grid_enabled();
  std::vector<std::string> checked_targets() const;

  FieldSet* fields_ = nullptr;
  QLineEdit *rank_ = nullptr, *alpha_ = nullptr, *dropout_ = nullptr;
  QCheckBox *alpha_equals_rank_ = nullptr, *rslora_ = nullptr;
  std::vector<QCheckBox*> targets_;
  QComboBox* init_ = nullptr;
  QTableWidget* grid_ = nullptr;
  std::optional<ModelConfig> config_;
  std::map<std::string, int64_t> loaded_pattern_;  // for grid cells built after load()
};

}  // namespace loralab::ui
