// The sweep form; see sweep_builder.h.
#include "ui/compare/sweep_builder.h"

#include <QCheckBox>
#include <QFormLayout>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMessageBox>
#include <QPushButton>
#include <QRegularExpression>
#include <QSpinBox>
#include <QTimer>
#include <QVBoxLayout>
#include <cmath>

#include "loralab/error.h"
#include "loralab/run_recorder.h"

namespace loralab::ui {
namespace {

const QStringList kTargetPresets = {"attention-qv", "attention-qkv", "attention-qkvo", "mlp",
                                    "all-linear"};

// "4, 8 16" → "4,8,16": commas or spaces between values.
QString values_text(const QString& text) {
  QStringList values;
  for (const QString& part : text.split(QRegularExpression("[,\\s]+"), Qt::SkipEmptyParts))
    values << part;
  return values.join(',');
}

int64_t run_tokens(const TrainSpec& spec) {
  if (spec.steps <= 0) return 0;
  return spec.steps * spec.batch * spec.accum * spec.seq_len;
}

}  // namespace

QString format_duration(double seconds) {
  if (!(seconds > 0)) return QObject::tr("0 s");
  if (seconds < 1) return QObject::tr("under 1 s");
  if (seconds < 90) return QObject::tr("%1 s").arg(std::lround(seconds));
  const double minutes = seconds / 60;
  if (minutes < 90) return QObject::tr("%1 min").arg(std::lround(minutes));
  const double hours = minutes / 60;
  if (hours < 48) {
    const long h = long(hours);
    return QObject::tr("%1 h %2 min").arg(h).arg(std::lround(minutes - h * 60.0));
  }
  const long days = long(hours / 24);
  return QObject::tr("%1 d %2 h").arg(days).arg(std::lround(hours - days * 24.0));
}

SweepBuilder::SweepBuilder(QWidget* parent) : QWidget(parent) {
  setObjectName("sweep_builder");
  auto* layout = new QVBoxLayout(this);
  base_label_ = new QLabel(this);
  base_label_->setWordWrap(true);
  base_label_->setObjectName("sweep_base");
  base_label_->setToolTip(tr("Every run starts from the model, data and settings of the Train page; "
                             "the fields below vary them."));
  layout->addWidget(base_label_);

  auto* form = new QFormLayout;
  form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
  auto make_edit = [&](const QString& label, const QString& value, const QString& placeholder,
                       const QString& tip) {
    auto* edit = new QLineEdit(value, this);
    edit->setPlaceholderText(placeholder);
    edit->setToolTip(tip);
    form->addRow(label, edit);
    connect(edit, &QLineEdit::textChanged, this, [this] { debounce_->start(); });
    return edit;
  };
  name_ = make_edit(tr("Name"), "sweep", tr("sweep"), tr("Runs are named \"<name> rank=8 alpha=16 …\""));
  rank_ = make_edit(tr("Rank"), "4,8,16", tr("e.g. 4,8,16 (empty: the Train page's)"),
                    tr("Values separated by commas"));
  auto* alpha_row = new QHBoxLayout;
  alpha_ = new QLineEdit("8,16,32", this);
  alpha_->setPlaceholderText(tr("e.g. 8,16,32"));
  alpha_is_rank_ = new QCheckBox(tr("alpha = rank"), this);
  alpha_is_rank_->setToolTip(tr("Each run's alpha equals its rank (scale 1)"));
  alpha_row->addWidget(alpha_, 1);
  alpha_row->addWidget(alpha_is_rank_);
  form->addRow(tr("Alpha"), alpha_row);
  connect(alpha_, &QLineEdit::textChanged, this, [this] { debounce_->start(); });
  connect(alpha_is_rank_, &QCheckBox::toggled, this, [this](bool on) {
    alpha_->setEnabled(!on);
    debounce_->start();
  });

  auto* targets = new QGridLayout;
  for (int i = 0; i < kTargetPresets.size(); ++i) {
    auto* box = new QCheckBox(kTargetPresets[i], this);
    box->setObjectName("target_" + kTargetPresets[i]);
    box->setChecked(kTargetPresets[i] == "attention-qv");
    targets->addWidget(box, i / 2, i % 2);
    target_boxes_ << box;
    connect(box, &QCheckBox::toggled, this, [this] { debounce_->start(); });
  }
  custom_targets_ = new QLineEdit(this);
  custom_targets_->setPlaceholderText(tr("more: q_proj+o_proj, …"));
  custom_targets_->setToolTip(tr("Further target sets: module names joined by +, sets separated by commas"));
  targets->addWidget(custom_targets_, 3, 0, 1, 2);
  connect(custom_targets_, &QLineEdit::textChanged, this, [this] { debounce_->start(); });
  form->addRow(tr("Targets"), targets);
  lr_ = make_edit(tr("Learning rate"), "", tr("e.g. 1e-4,3e-4 (empty: the Train page's)"),
                  tr("Values separated by commas"));
  dropout_ = make_edit(tr("Dropout"), "", tr("e.g. 0,0.05"), tr("Values separated by commas"));
  seed_ = make_edit(tr("Seed"), "", tr("e.g. 0,1,2"), tr("Several seeds show the noise between runs"));
  QStringList other_keys;
  for (const SweepKey& key : sweep_keys())
    if (!QStringList{"rank", "alpha", "alpha_equals_rank", "targets", "lr", "dropout", "seed"}
             .contains(QString::fromStdString(key.name)))
      other_keys << QString::fromStdString(key.name);
  extra_ = make_edit(tr("Other fields"), "", tr("e.g. warmup=0,20;batch=4,8"),
                     tr("Any other training field as key=values, separated by ';'. Keys: %1")
                         .arg(other_keys.join(", ")));
  auto* random_row = new QHBoxLayout;
  random_ = new QSpinBox(this);
  random_->setRange(0, 100000);
  random_->setSpecialValueText(tr("full grid"));
  random_->setToolTip(tr("0: every combination. N: N runs drawn at random from the values "
                         "(numeric fields may then be ranges LOW..HIGH or LOW..HIGH:log)"));
  random_row->addWidget(random_);
  random_row->addWidget(new QLabel(tr("random samples"), this));
  random_row->addStretch();
  form->addRow(tr("Search"), random_row);
  connect(random_, &QSpinBox::valueChanged, this, [this] { debounce_->start(); });
  layout->addLayout(form);

  count_ = new QLabel(this);
  count_->setObjectName("sweep_count");
  QFont bold = count_->font();
  bold.setBold(true);
  count_->setFont(bold);
  estimate_text_ = new QLabel(this);
  estimate_text_->setObjectName("sweep_estimate");
  estimate_text_->setWordWrap(true);
  error_ = new QLabel(this);
  error_->setObjectName("sweep_error");
  error_->setWordWrap(true);
  error_->setStyleSheet("color: #c03030;");
  error_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  layout->addWidget(count_);
  layout->addWidget(estimate_text_);
  layout->addWidget(error_);
  auto* buttons = new QHBoxLayout;
  start_now_ = new QCheckBox(tr("Start the queue"), this);
  start_now_->setChecked(true);
  queue_ = new QPushButton(tr("Queue sweep"), this);
  queue_->setObjectName("queue_sweep");
  queue_->setDefault(true);
  buttons->addWidget(start_now_);
  buttons->addStretch();
  buttons->addWidget(queue_);
  layout->addLayout(buttons);
  layout->addStretch();

  confirm_large_ = [this](int64_t runs) {
    return QMessageBox::question(
               this, tr("Queue a large sweep?"),
               tr("This sweep creates %1 runs (more than %2). Queue them all?")
                   .arg(QLocale().toString(qint64(runs)))
                   .arg(QLocale().toString(qint64(kConfirmAbove)))) == QMessageBox::Yes;
  };
  debounce_ = new QTimer(this);
  debounce_->setSingleShot(true);
  debounce_->setInterval(250);
  connect(debounce_, &QTimer::timeout, this, [this] {
    update_estimate();
    emit edited();
  });
  connect(queue_, &QPushButton::clicked, this, &SweepBuilder::queue_clicked);
}

void SweepBuilder::set_base_provider(std::function<std::optional<SweepBase>(QString*)> provider) {
  base_provider_ = std::move(provider);
  base_.reset();
  debounce_->start();
}

void SweepBuilder::set_confirm_large(std::function<bool(int64_t)> confirm) {
  confirm_large_ = std::move(confirm);
}

void SweepBuilder::set_measured_tokens_per_second(double tokens_per_second, int runs_measured) {
  if (tokens_per_second == tokens_per_second_ && runs_measured == speed_runs_) return;
  tokens_per_second_ = tokens_per_second;
  speed_runs_ = runs_measured;
  update_estimate();
}

QCheckBox* SweepBuilder::target_box(const QString& preset) const {
  for (QCheckBox* box : target_boxes_)
    if (box->text() == preset) return box;
  return nullptr;
}

QString SweepBuilder::spec_text() const {
  QStringList axes;
  auto add = [&](const QString& key, const QString& text) {
    const QString values = values_text(text);
    if (!values.isEmpty()) axes << key + "=" + values;
  };
  add("rank", rank_->text());
  if (alpha_is_rank_->isChecked()) axes << "alpha=rank";
  else add("alpha", alpha_->text());
  QStringList targets;
  for (QCheckBox* box : target_boxes_)
    if (box->isChecked()) targets << box->text();
  for (const QString& part : custom_targets_->text().split(QRegularExpression("[,\\s]+"), Qt::SkipEmptyParts))
    if (!targets.contains(part)) targets << part;
  if (!targets.isEmpty()) axes << "targets=" + targets.join(',');
  add("lr", lr_->text());
  add("dropout", dropout_->text());
  add("seed", seed_->text());
  for (const QString& axis : extra_->text().split(';', Qt::SkipEmptyParts))
    if (!axis.trimmed().isEmpty()) axes << axis.trimmed();
  return axes.join(';');
}

std::optional<SweepRequest> SweepBuilder::make_request(QString* why, bool allow_large) {
  if (!base_provider_) {
    *why = tr("No base settings (the Train page is missing)");
    return std::nullopt;
  }
  if (!base_) {
    base_ = base_provider_(&base_error_);
    if (!base_) {
      *why = base_error_;
      return std::nullopt;
    }
  }
  SweepRequest request;
  request.name = name_->text().trimmed().isEmpty() ? "sweep" : name_->text().trimmed().toStdString();
  request.grid = spec_text().toStdString();
  if (random_->value() > 0) request.random_samples = random_->value();
  request.limits.allow_large = allow_large;
  request.limits.max_runs = kConfirmAbove;
  request.base = base_->spec;
  make_paths_absolute(request.base);
  request.base_model_path = base_->model_dir.toStdString();
  request.out_root = out_root_.toStdString();
  request.alpha_equals_rank = alpha_is_rank_->isChecked();
  return request;
}

void SweepBuilder::update_estimate() {
  estimate_ = {};
  QString why;
  // The base is read again on each estimate: the Train page may have changed meanwhile.
  base_.reset();
  std::optional<SweepRequest> request = make_request(&why, /*allow_large=*/false);
  base_label_->setText(base_ ? tr("Base: %1").arg(base_->summary) : tr("Base: —"));
  if (!request) {
    show_error(why);
    return;
  }
  if (request->grid.empty()) {
    count_->setText(tr("No values yet"));
    estimate_text_->clear();
    show_error(tr("Give at least one field several values."));
    return;
  }
  try {
    const SweepSpec spec = parse_sweep_spec(request->grid);
    estimate_.runs = request->random_samples ? *request->random_samples
                     : spec.has_ranges()     ? 0
                                             : spec.grid_size();
    if (!request->random_samples && spec.has_ranges())
      throw Error("ranges (LOW..HIGH) need a random search: set the number of random samples");
    if (estimate_.runs <= kConfirmAbove * 10) {
      // Each run's own length: a point may change steps, batch or seq.
      request->limits.allow_large = true;
      const SweepPlan plan = plan_sweep(*request);
      estimate_.tokens_known = true;
      for (const TrainSpec& run : plan.specs) {
        const int64_t tokens = run_tokens(run);
        if (tokens == 0) estimate_.tokens_known = false;
        estimate_.tokens += tokens;
      }
    } else {
      estimate_.tokens = run_tokens(request->base) * estimate_.runs;
      estimate_.tokens_known = estimate_.tokens > 0;
    }
  } catch (const std::exception& e) {
    estimate_.error = QString::fromUtf8(e.what());
  }
  count_->setText(estimate_.runs == 1 ? tr("1 run") : tr("%1 runs").arg(QLocale().toString(qint64(estimate_.runs))));
  if (!estimate_.error.isEmpty()) {
    estimate_text_->clear();
    show_error(estimate_.error);
    return;
  }
  show_error({});
  QString text;
  if (!estimate_.tokens_known) {
    text = tr("Length unknown: the runs train for epochs, not a fixed number of steps.");
  } else if (tokens_per_second_ <= 0) {
    text = tr("%1 tokens in all. No run has finished yet to measure the speed; train one run to "
              "get a time estimate.").arg(QLocale().toString(qint64(estimate_.tokens)));
  } else {
    estimate_.seconds = double(estimate_.tokens) / tokens_per_second_;
    text = tr("≈ %1 of training: %2 tokens at %3 tokens/s (median of %n finished run(s); "
              "evaluations not included).", nullptr, speed_runs_)
               .arg(format_duration(estimate_.seconds), QLocale().toString(qint64(estimate_.tokens)),
                    QLocale().toString(tokens_per_second_, 'f', 0));
  }
  if (estimate_.runs > kConfirmAbove) text += "\n" + tr("More than %1 runs: queueing asks first.").arg(kConfirmAbove);
  estimate_text_->setText(text);
}

void SweepBuilder::show_error(const QString& text) {
  error_->setText(text);
  error_->setVisible(!text.isEmpty());
  queue_->setEnabled(text.isEmpty());
}

void SweepBuilder::queue_clicked() {
  debounce_->stop();
  update_estimate();
  if (!estimate_.error.isEmpty() || estimate_.runs <= 0) return;
  const bool large = estimate_.runs > kConfirmAbove;
  if (large && !confirm_large_(estimate_.runs)) return;
  QString why;
  std::optional<SweepRequest> request = make_request(&why, large);
  if (!request) {
    show_error(why);
    return;
  }
  try {
    const SweepPlan plan = plan_sweep(*request);
    emit queue_requested(*request, plan, start_now_->isChecked());
  } catch (const std::exception& e) {
    show_error(QString::fromUtf8(e.what()));
  }
}

QString SweepBuilder::form_state() const {
  QStringList targets;
  for (QCheckBox* box : target_boxes_)
    if (box->isChecked()) targets << box->text();
  return QStringList{name_->text(), rank_->text(), alpha_->text(),
                     alpha_is_rank_->isChecked() ? "1" : "0", targets.join(','),
                     custom_targets_->text(), lr_->text(), dropout_->text(), seed_->text(),
                     extra_->text(), QString::number(random_->value())}
      .join('\x1f');
}

void SweepBuilder::set_form_state(const QString& state) {
  const QStringList parts = state.split('\x1f');
  if (parts.size() != 11) return;  // another version's layout: keep the defaults
  name_->setText(parts[0]);
  rank_->setText(parts[1]);
  alpha_->setText(parts[2]);
  alpha_is_rank_->setChecked(parts[3] == "1");
  const QStringList targets = parts[4].split(',', Qt::SkipEmptyParts);
  for (QCheckBox* box : target_boxes_) box->setChecked(targets.contains(box->text()));
  custom_targets_->setText(parts[5]);
  lr_->setText(parts[6]);
  dropout_->setText(parts[7]);
  seed_->setText(parts[8]);
  extra_->setText(parts[9]);
  random_->setValue(parts[10].toInt());
}

}  // namespace loralab::ui
