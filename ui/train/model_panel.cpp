// The base-model picker; see model_panel.h.
#include "ui/train/model_panel.h"

#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QVBoxLayout>

#include "loralab/lora.h"
#include "ui/app_paths.h"
#include "ui/train/field_set.h"

namespace loralab::ui {

ModelPanel::ModelPanel(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  auto* row = new QHBoxLayout;
  picker_ = new QComboBox(this);
  picker_->setObjectName("model_picker");
  picker_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
  picker_->setMinimumContentsLength(16);
  picker_->setPlaceholderText(tr("No model chosen"));
  const QString bundled = bundled_model_dir();
  if (!bundled.isEmpty()) {
    picker_->addItem(tr("Bundled story model"), bundled);
    picker_->setCurrentIndex(0);  // with a placeholder set, Qt 6 leaves a new item unselected
  }
  auto* open = new QPushButton(tr("Open Hugging Face folder…"), this);
  row->addWidget(picker_, 1);
  row->addWidget(open);
  layout->addLayout(row);
  facts_ = new QLabel(this);
  facts_->setObjectName("model_facts");
  facts_->setWordWrap(true);
  facts_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  layout->addWidget(facts_);
  error_label_ = make_error_label(this);
  layout->addWidget(error_label_);

  connect(open, &QPushButton::clicked, this, &ModelPanel::choose_folder);
  connect(picker_, &QComboBox::currentIndexChanged, this,
          [this](int index) { inspect(index < 0 ? QString() : picker_->itemData(index).toString()); });
  if (picker_->count() > 0) {
    inspect(picker_->itemData(0).toString());
  } else {
    error_ = tr("The bundled story model is not installed (looked for %1). Open a Hugging Face "
                "model folder to train on.")
                 .arg(bundled_model_expected());
    error_label_->setText(error_);
    error_label_->setVisible(true);
  }
}

void ModelPanel::choose_folder() {
  const QString dir = QFileDialog::getExistingDirectory(this, tr("Open a Hugging Face model folder"),
                                                        dir_.isEmpty() ? QDir::homePath() : dir_);
  if (!dir.isEmpty()) set_model_dir(dir);
}

void ModelPanel::set_model_dir(const QString& dir) {
  if (dir.isEmpty()) return;
  const QString clean = QDir::cleanPath(QFileInfo(dir).absoluteFilePath());
  int index = picker_->findData(clean);
  if (index < 0) {
    picker_->addItem(QFileInfo(clean).fileName() + "  —  " + clean, clean);
    index = picker_->count() - 1;
  }
  if (picker_->currentIndex() == index) inspect(clean);
  else picker_->setCurrentIndex(index);
}

void ModelPanel::inspect(const QString& dir) {
  dir_ = dir;
  config_.reset();
  tokenizer_path_.clear();
  error_.clear();
  facts_->clear();
  if (!dir.isEmpty()) {
    try {
      const auto folder = ModelFolder::discover(dir.toStdString());
      config_ = ModelConfig::load(folder.config_path);
      if (folder.tokenizer_path) tokenizer_path_ = QString::fromStdString(*folder.tokenizer_path);
      facts_->setText(facts_text());
    } catch (const std::exception& e) {
      config_.reset();
      error_ = QString::fromUtf8(e.what());
    }
  }
  error_label_->setText(error_);
  error_label_->setVisible(!error_.isEmpty());
  emit model_changed();
}

QString ModelPanel::facts_text() const {
  if (!config_) return {};
  const ModelConfig& c = *config_;
  // The accounting of a one-module adapter carries the base model's parameter count.
  LoraSpec probe;
  probe.target_modules = {"q_proj"};
  const int64_t params = account_parameters(c, probe).base_total;
  const QLocale locale;
  QString text = tr("<b>%1</b> · %2 parameters · %3 layers · hidden %4 · %5 heads (%6 KV) · "
                    "vocabulary %7 · %8 positions · stored as %9")
                     .arg(QString::fromUtf8(architecture_name(c.architecture)))
                     .arg(locale.toString(qlonglong(params)))
                     .arg(c.num_hidden_layers)
                     .arg(c.hidden_size)
                     .arg(c.num_attention_heads)
                     .arg(c.num_key_value_heads)
                     .arg(c.vocab_size)
                     .arg(c.max_position_embeddings)
                     .arg(QString::fromStdString(c.torch_dtype));
  text += tokenizer_path_.isEmpty() ? tr("<br><i>No tokenizer in this folder: training needs one.</i>")
                                    : tr("<br>Tokenizer: %1").arg(QFileInfo(tokenizer_path_).fileName());
  return text;
}

}  // namespace loralab::ui
