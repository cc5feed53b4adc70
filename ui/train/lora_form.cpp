// The LoRA form; see lora_form.h.
#include "ui/train/lora_form.h"

#include <QCheckBox>
#include <QComboBox>
#include <QEvent>
#include <QFormLayout>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QTableWidget>

#include "loralab/error.h"
#include "loralab/lora.h"
#include "ui/train/field_set.h"

namespace loralab::ui {
namespace {

// Grid columns: short name and the module path suffix rank_pattern keys end with.
struct ModuleColumn {
  const char* name;
  const char* path;
};
constexpr ModuleColumn kModules[] = {
    {"q_proj", "self_attn.q_proj"}, {"k_proj", "self_attn.k_proj"}, {"v_proj", "self_attn.v_proj"},
    {"o_proj", "self_attn.o_proj"}, {"gate_proj", "mlp.gate_proj"}, {"up_proj", "mlp.up_proj"},
    {"down_proj", "mlp.down_proj"}};
constexpr int kModuleCount = int(std::size(kModules));

QString grid_key(int layer, int column) {
  return QString("model.layers.%1.%2").arg(layer).arg(kModules[column].path);
}

}  // namespace

LoraForm::LoraForm(QWidget* parent) : QWidget(parent) {
  fields_ = new FieldSet(this);
  auto* form = new QFormLayout(this);
  form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);

  rank_ = new QLineEdit("8", this);
  fields_->add(form, tr("Rank"), "rank", rank_, [this](TrainSpec& s) {
    s.lora.rank = parse_int_field(rank_->text(), "rank");
  });

  auto* alpha_row = new QWidget(this);
  auto* alpha_layout = new QHBoxLayout(alpha_row);
  alpha_layout->setContentsMargins(0, 0, 0, 0);
  alpha_ = new QLineEdit("16", alpha_row);
  alpha_->setObjectName("alpha_value");
  alpha_equals_rank_ = new QCheckBox(tr("alpha = rank"), alpha_row);
  alpha_equals_rank_->setObjectName("alpha_equals_rank");
  alpha_layout->addWidget(alpha_, 1);
  alpha_layout->addWidget(alpha_equals_rank_);
  connect(alpha_equals_rank_, &QCheckBox::toggled, alpha_, &QWidget::setDisabled);
  fields_->add(form, tr("Alpha"), "alpha", alpha_row, [this](TrainSpec& s) {
    s.lora.alpha = alpha_equals_rank_->isChecked() ? double(s.lora.rank)
                                                    : parse_double_field(alpha_->text(), "alpha");
  });

  auto* target_box = new QWidget(this);
  auto* target_grid = new QGridLayout(target_box);
  target_grid->setContentsMargins(0, 0, 0, 0);
  target_grid->setHorizontalSpacing(10);
  target_grid->setVerticalSpacing(2);
  for (int i = 0; i < kModuleCount; ++i) {
    auto* box = new QCheckBox(kModules[i].name, target_box);
    box->setObjectName(QString("target_") + kModules[i].name);
    box->setChecked(i == 0 || i == 2);  // q_proj, v_proj: the LoRA paper's choice
    targets_.push_back(box);
    // Attention projections on the first line, the MLP on the second.
    target_grid->addWidget(box, i < 4 ? 0 : 1, i < 4 ? i : i - 4);
  }
  fields_->add(form, tr("Targets"), "targets", target_box, [this](TrainSpec& s) {
    s.lora.target_modules = checked_targets();
    if (s.lora.target_modules.empty()) throw Error("targets: expected at least one module to adapt");
  });

  grid_ = new QTableWidget(0, kModuleCount, this);
  for (int col = 0; col < kModuleCount; ++col) {
    // Short headers ("q", "gate") keep seven columns readable in the narrow form.
    auto* header = new QTableWidgetItem(QString(kModules[col].name).remove("_proj"));
    header->setToolTip(kModules[col].path);
    grid_->setHorizontalHeaderItem(col, header);
  }
  grid_->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
  grid_->horizontalHeader()->setMinimumSectionSize(30);
  grid_->verticalHeader()->setDefaultSectionSize(22);
  grid_->setToolTip(tr("Rank per layer and module (PEFT rank_pattern). Blank: the form's rank. "
                       "Grey cells are modules that are not targeted."));
  fields_->add(form, tr("Per-layer ranks"), "rank_pattern", grid_, [this](TrainSpec& s) {
    s.lora.rank_pattern.clear();
    for (int row = 0; row < grid_->rowCount(); ++row)
      for (int col = 0; col < kModuleCount; ++col) {
        auto* item = grid_->item(row, col);
        if (!item || item->text().trimmed().isEmpty() || !(item->flags() & Qt::ItemIsEnabled)) continue;
        const QString key = grid_key(row, col);
        s.lora.rank_pattern[key.toStdString()] =
            parse_int_field(item->text(), QString("rank_pattern[%1]").arg(key));
      }
  });

  dropout_ = new QLineEdit("0", this);
  fields_->add(form, tr("Dropout"), "dropout", dropout_, [this](TrainSpec& s) {
    s.lora.dropout = parse_double_field(dropout_->text(), "dropout");
  });
  init_ = new QComboBox(this);
  init_->addItems({"default", "gaussian", "pissa"});
  init_->setToolTip(tr("default: Kaiming-uniform A, B = 0 · gaussian: A ~ N(0, 1/r) · pissa: "
                       "A and B from the top singular vectors of W"));
  fields_->add(form, tr("Init"), "init", init_, [this](TrainSpec& s) {
    s.lora.init = init_->currentText().toStdString();
  });
  rslora_ = new QCheckBox(tr("scale by alpha / √rank (rsLoRA)"), this);
  fields_->add(form, tr("rsLoRA"), "rslora", rslora_, [this](TrainSpec& s) {
    s.lora.rslora = rslora_->isChecked();
  });

  connect(fields_, &FieldSet::changed, this, &LoraForm::changed);
  for (auto* box : targets_) connect(box, &QCheckBox::toggled, this, &LoraForm::refresh_grid_enabled);
}

std::vector<std::string> LoraForm::checked_targets() const {
  std::vector<std::string> out;
  for (int i = 0; i < kModuleCount; ++i)
    if (targets_[size_t(i)]->isChecked()) out.push_back(kModules[i].name);
  return out;
}

void LoraForm::set_model_config(const std::optional<ModelConfig>& config) {
  config_ = config;
  rebuild_grid();
  fields_->set_context_check([this](const TrainSpec& s) {
    if (config_) account_parameters(*config_, s.lora);  // throws when targets match nothing
  });
}

void LoraForm::rebuild_grid() {
  const QSignalBlocker block(grid_);
  const int layers = config_ ? int(config_->num_hidden_layers) : 0;
  // Keep what the user typed for layers that still exist.
  grid_->setRowCount(layers);
  QStringList rows;
  for (int i = 0; i < layers; ++i) rows << tr("layer %1").arg(i);
  grid_->setVerticalHeaderLabels(rows);
  for (int row = 0; row < layers; ++row)
    for (int col = 0; col < kModuleCount; ++col)
      if (!grid_->item(row, col)) {
        auto* item = new QTableWidgetItem;
        item->setTextAlignment(Qt::AlignCenter);
        auto it = loaded_pattern_.find(grid_key(row, col).toStdString());
        if (it != loaded_pattern_.end()) item->setText(QString::number(it->second));
        grid_->setItem(row, col, item);
      }
  // As tall as its rows (up to a scrolling limit), so a two-layer model does not get a tall void.
  const int rows_height = grid_->horizontalHeader()->sizeHint().height() +
                          grid_->verticalHeader()->defaultSectionSize() * std::max(layers, 2) +
                          2 * grid_->frameWidth() + 2;
  grid_->setFixedHeight(std::min(rows_height, 190));
  refresh_grid_enabled();
}

void LoraForm::refresh_grid_enabled() {
  const QSignalBlocker block(grid_);
  for (int col = 0; col < kModuleCount; ++col) {
    const bool on = targets_[size_t(col)]->isChecked();
    for (int row = 0; row < grid_->rowCount(); ++row) {
      auto* item = grid_->item(row, col);
      if (!item) continue;
      item->setFlags(on ? Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemIsEditable
                        : Qt::ItemFlags());
      item->setBackground(on ? QBrush() : palette().brush(QPalette::Disabled, QPalette::Window));
    }
  }
  emit changed();
}

void LoraForm::changeEvent(QEvent* event) {
  // Grey cells take their colour from the palette: follow a switch between light and dark.
  if (event->type() == QEvent::PaletteChange) refresh_grid_enabled();
  QWidget::changeEvent(event);
}

void LoraForm::set_layer_rank(int layer, const QString& module, const QString& rank) {
  for (int col = 0; col < kModuleCount; ++col)
    if (module == kModules[col].name && grid_->item(layer, col)) grid_->item(layer, col)->setText(rank);
}

void LoraForm::load(const LoraSpec& spec) {
  rank_->setText(QString::number(spec.rank));
  alpha_->setText(QString::number(spec.alpha));
  alpha_equals_rank_->setChecked(spec.alpha == double(spec.rank));
  const auto expanded = expand_targets(spec.target_modules);
  for (int i = 0; i < kModuleCount; ++i)
    targets_[size_t(i)]->setChecked(std::find(expanded.begin(), expanded.end(), kModules[i].name) !=
                                    expanded.end());
  loaded_pattern_ = spec.rank_pattern;
  for (int row = 0; row < grid_->rowCount(); ++row)
    for (int col = 0; col < kModuleCount; ++col) {
      auto it = spec.rank_pattern.find(grid_key(row, col).toStdString());
      if (auto* item = grid_->item(row, col))
        item->setText(it == spec.rank_pattern.end() ? QString() : QString::number(it->second));
    }
  dropout_->setText(QString::number(spec.dropout));
  init_->setCurrentText(QString::fromStdString(spec.init));
  rslora_->setChecked(spec.rslora);
}

bool LoraForm::apply(TrainSpec& spec) { return fields_->apply(spec); }

}  // namespace loralab::ui
