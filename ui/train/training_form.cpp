// The training settings form; see training_form.h.
#include "ui/train/training_form.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLineEdit>

#include "loralab/error.h"
#include "ui/train/field_set.h"

namespace loralab::ui {

TrainingForm::TrainingForm(QWidget* parent) : QWidget(parent) {
  fields_ = new FieldSet(this);
  auto* form = new QFormLayout(this);
  form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);

  add_line(form, tr("Run name"), "name", "fairy-tale", [](TrainSpec& s, const QString& t) {
    if (t.trimmed().isEmpty()) throw Error("name: expected a run name");
    s.name = t.trimmed().toStdString();
  });
  add_line(form, tr("Learning rate"), "lr", "0.001", [](TrainSpec& s, const QString& t) {
    s.lr = parse_double_field(t, "lr");
  });
  schedule_ = new QComboBox(this);
  schedule_->addItems({"cosine", "linear", "constant"});
  fields_->add(form, tr("Schedule"), "schedule", schedule_, [this](TrainSpec& s) {
    s.schedule = schedule_->currentText().toStdString();
  });
  add_line(form, tr("Warmup steps"), "warmup", "10", [](TrainSpec& s, const QString& t) {
    s.warmup = parse_int_field(t, "warmup");
  });

  auto* length_row = new QWidget(this);
  auto* length_layout = new QHBoxLayout(length_row);
  length_layout->setContentsMargins(0, 0, 0, 0);
  length_ = new QLineEdit("200", length_row);
  length_->setObjectName("length_value");
  length_unit_ = new QComboBox(length_row);
  length_unit_->setObjectName("length_unit");
  length_unit_->addItems({tr("steps"), tr("epochs")});
  length_layout->addWidget(length_, 1);
  length_layout->addWidget(length_unit_);
  fields_->add(form, tr("Length"), "steps", length_row, [this](TrainSpec& s) {
    if (length_unit_->currentIndex() == 0) {
      s.steps = parse_int_field(length_->text(), "steps");
      if (s.steps <= 0) throw Error("steps: expected a step count > 0, got " + std::to_string(s.steps));
    } else {
      s.steps = 0;
      s.epochs = parse_double_field(length_->text(), "epochs");
    }
  });

  add_line(form, tr("Batch"), "batch", "8", [](TrainSpec& s, const QString& t) {
    s.batch = parse_int_field(t, "batch");
  });
  add_line(form, tr("Sequence length"), "seq", "128", [](TrainSpec& s, const QString& t) {
    s.seq_len = parse_int_field(t, "seq");
  });
  rows_ = new QComboBox(this);
  rows_->setObjectName("rows_mode");
  rows_->addItems({tr("Packed back to back"), tr("One example per row")});
  rows_->setToolTip(tr("Packed: examples follow one another and rows are cut every sequence "
                       "length, so no token is padding. One example per row: each example starts "
                       "a row at position 0, as a story sampled from scratch does, and the rest "
                       "of the row is padding (a longer one goes on in further rows)."));
  fields_->add(form, tr("Rows"), "pack", rows_,
               [this](TrainSpec& s) { s.pack = rows_->currentIndex() == 0; });
  add_line(form, tr("Accumulation"), "accum", "1", [](TrainSpec& s, const QString& t) {
    s.accum = parse_int_field(t, "accum");
  });
  add_line(form, tr("Weight decay"), "weight_decay", "0.01", [](TrainSpec& s, const QString& t) {
    s.weight_decay = parse_double_field(t, "weight_decay");
  });
  add_line(form, tr("Clip grad norm"), "clip", "1.0", [](TrainSpec& s, const QString& t) {
    s.clip = parse_double_field(t, "clip");
  });
  add_line(form, tr("Eval every"), "eval_every", "20", [](TrainSpec& s, const QString& t) {
    s.eval_every = parse_int_field(t, "eval_every");
  });
  add_line(form, tr("Early-stop patience"), "patience", "0", [](TrainSpec& s, const QString& t) {
    s.patience = parse_int_field(t, "patience");
  });
  add_line(form, tr("Loss smoothing"), "ema_decay", "0.9", [](TrainSpec& s, const QString& t) {
    s.ema_decay = parse_double_field(t, "ema_decay");
  })->setToolTip(tr("Decay of the smoothed (EMA) train loss: closer to 1 is smoother and lags more"));
  add_line(form, tr("Seed"), "seed", "0", [](TrainSpec& s, const QString& t) {
    const int64_t seed = parse_int_field(t, "seed");
    if (seed < 0) throw Error("seed: expected a non-negative integer, got " + std::to_string(seed));
    s.seed = uint64_t(seed);
    s.lora.seed = s.seed;  // as the CLI does: one seed for the data order and the adapter init
  });
  precision_ = new QComboBox(this);
  precision_->addItems({"fp32", "bf16"});
  precision_->setToolTip(tr("bf16: bfloat16 matmuls with fp32 master weights (much faster on CPUs "
                            "with AVX-512 BF16 / AMX)"));
  fields_->add(form, tr("Precision"), "precision", precision_, [this](TrainSpec& s) {
    s.precision = parse_precision(precision_->currentText().toStdString(), "precision");
  });
  add_line(form, tr("Threads"), "threads", "0", [](TrainSpec& s, const QString& t) {
    s.threads = int(parse_int_field(t, "threads"));
  })->setToolTip(tr("0 = one per core"));
  recompute_ = new QCheckBox(tr("Recompute layers in backward"), this);
  recompute_->setToolTip(tr("Activation checkpointing: each layer keeps only its input and runs "
                            "again during backward. The same result with much less memory for "
                            "long sequences and large batches, at about a third more time per "
                            "step."));
  fields_->add(form, tr("Memory"), "recompute", recompute_,
               [this](TrainSpec& s) { s.recompute = recompute_->isChecked(); });
  add_line(form, tr("Output folder"), "out", "", [](TrainSpec& s, const QString& t) {
    s.out_dir = t.trimmed().toStdString();
    if (s.out_dir.empty()) s.out_dir = "auto";  // the page picks a fresh folder at start
  })->setPlaceholderText(tr("automatic: a new folder per run"));

  fields_->set_context_check([this](const TrainSpec& s) {
    if (config_ && s.seq_len > config_->max_position_embeddings)
      throw Error("seq: " + std::to_string(s.seq_len) + " is longer than the model's " +
                  std::to_string(config_->max_position_embeddings) +
                  " positions (max_position_embeddings)");
  });
  connect(fields_, &FieldSet::changed, this, &TrainingForm::changed);
}

QLineEdit* TrainingForm::add_line(QFormLayout* form, const QString& label, const QString& key,
                                  const QString& value,
                                  std::function<void(TrainSpec&, const QString&)> apply) {
  auto* edit = new QLineEdit(value, this);
  fields_->add(form, label, key, edit, [edit, apply](TrainSpec& s) { apply(s, edit->text()); });
  return edit;
}

QLineEdit* TrainingForm::edit(const QString& key) const {
  if (key == "steps" || key == "epochs") return length_;
  return qobject_cast<QLineEdit*>(fields_->input(key));
}

void TrainingForm::set_model_config(const std::optional<ModelConfig>& config) { config_ = config; }

void TrainingForm::load(const TrainSpec& s) {
  auto set = [this](const QString& key, const QString& text) {
    if (auto* e = edit(key)) e->setText(text);
  };
  set("name", QString::fromStdString(s.name));
  set("lr", QString::number(s.lr, 'g', 6));
  schedule_->setCurrentText(QString::fromStdString(s.schedule));
  set("warmup", QString::number(s.warmup));
  length_unit_->setCurrentIndex(s.steps > 0 ? 0 : 1);
  length_->setText(s.steps > 0 ? QString::number(s.steps) : QString::number(s.epochs));
  set("batch", QString::number(s.batch));
  set("seq", QString::number(s.seq_len));
  set_packed(s.pack);
  set("accum", QString::number(s.accum));
  set("weight_decay", QString::number(s.weight_decay));
  set("clip", QString::number(s.clip));
  set("eval_every", QString::number(s.eval_every));
  set("patience", QString::number(s.patience));
  set("ema_decay", QString::number(s.ema_decay));
  set("seed", QString::number(s.seed));
  precision_->setCurrentText(precision_name(s.precision));
  set("threads", QString::number(s.threads));
  recompute_->setChecked(s.recompute);
}

void TrainingForm::set_packed(bool packed) { rows_->setCurrentIndex(packed ? 0 : 1); }

bool TrainingForm::packed() const { return rows_->currentIndex() == 0; }

bool TrainingForm::apply(TrainSpec& spec) { return fields_->apply(spec); }

}  // namespace loralab::ui
