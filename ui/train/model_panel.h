// ModelPanel: picks the base model (the bundled story model or a Hugging Face folder) and shows
// what it is: architecture, parameters, layers, dtype, tokenizer. Only config.json and the file
// list are read here; the weights load on the training thread when a run starts.
#pragma once
#include <QWidget>
#include <optional>

#include "loralab/model_config.h"

class QComboBox;
class QLabel;

namespace loralab::ui {

class ModelPanel : public QWidget {
  Q_OBJECT
 public:
  explicit ModelPanel(QWidget* parent = nullptr);

  // Selects a folder (adds it to the list when new). "" selects nothing.
  void set_model_dir(const QString& dir);
  QString model_dir() const { return dir_; }
  const std::optional<ModelConfig>& config() const { return config_; }
  QString tokenizer_path() const { return tokenizer_path_; }
  QString error() const { return error_; }
  QString facts_text() const;

 signals:
  void model_changed();

 private:
  void choose_folder();
  void inspect(const QString& dir);

  QComboBox* picker_ = nullptr;
  QLabel* facts_ = nullptr;
  QLabel* error_label_ = nullptr;
  QString dir_, tokenizer_path_, error_;
  std::optional<ModelConfig> config_;
};

}  // namespace loralab::ui
