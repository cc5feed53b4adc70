// The playground's adapter list; see adapter_panel.h.
#include "ui/blend/adapter_panel.h"

#include <QCheckBox>
#include <QDoubleSpinBox>
#include <QGridLayout>
#include <QLabel>
#include <QPainter>
#include <QSignalBlocker>
#include <QSlider>
#include <QToolButton>
#include <QVBoxLayout>
#include <cmath>

namespace loralab::ui {

namespace {
constexpr int kSliderScale = 100;  // slider units per 1.0 of λ (the 0.01 step)
}

AffinityBar::AffinityBar(QWidget* parent) : QWidget(parent) {
  setMinimumSize(80, 12);
  setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
}

void AffinityBar::set_value(std::optional<double> value, double scale) {
  value_ = value;
  scale_ = scale > 0 ? scale : 1;
  setToolTip(value ? tr("Style affinity %1 nats/token: mean log-likelihood of the sample's tokens "
                        "with this adapter alone at λ 1, minus the base model's")
                         .arg(*value, 0, 'f', 3)
                   : tr("Style affinity appears after a sample is generated"));
  update();
}

void AffinityBar::paintEvent(QPaintEvent*) {
  QPainter painter(this);
  const QRectF area = QRectF(rect()).adjusted(0.5, 2.5, -0.5, -2.5);
  const QColor frame = palette().color(QPalette::Mid);
  painter.setPen(frame);
  painter.setBrush(palette().color(QPalette::Base));
  painter.drawRect(area);
  const double middle = area.center().x();
  painter.drawLine(QPointF(middle, area.top()), QPointF(middle, area.bottom()));
  if (!value_) return;
  const double share = std::clamp(*value_ / scale_, -1.0, 1.0);
  const double width = share * area.width() / 2;
  const QRectF bar(width >= 0 ? middle : middle + width, area.top() + 1, std::abs(width),
                   area.height() - 2);
  painter.fillRect(bar, share >= 0 ? QColor(0x3a, 0xa0, 0x5a) : QColor(0xd0, 0x50, 0x40));
}

AdapterRow::AdapterRow(const AdapterFacts& facts, QWidget* parent) : QWidget(parent) {
  auto* grid = new QGridLayout(this);
  grid->setContentsMargins(6, 4, 6, 4);
  grid->setHorizontalSpacing(8);
  grid->setVerticalSpacing(2);
  enable_ = new QCheckBox(this);
  QFont bold = enable_->font();
  bold.setBold(true);
  enable_->setFont(bold);
  remove_ = new QToolButton(this);
  remove_->setText(QStringLiteral("✕"));
  remove_->setAutoRaise(true);
  remove_->setToolTip(tr("Remove from the playground (the folder stays on disk)"));
  info_ = new QLabel(this);
  info_->setWordWrap(true);
  info_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  slider_ = new QSlider(Qt::Horizontal, this);
  slider_->setRange(int(kLambdaMin * kSliderScale), int(kLambdaMax * kSliderScale));
  slider_->setSingleStep(1);
  slider_->setPageStep(10);
  slider_->setTickPosition(QSlider::TicksBelow);
  slider_->setTickInterval(kSliderScale / 2);
  slider_->setValue(kSliderScale);
  slider_->setToolTip(tr("λ: the adapter's weight in the blend, from −1 to 2"));
  spin_ = new QDoubleSpinBox(this);
  spin_->setRange(kLambdaMin, kLambdaMax);
  spin_->setSingleStep(kLambdaStep);
  spin_->setDecimals(2);
  spin_->setValue(1.0);
  spin_->setPrefix(QStringLiteral("λ "));
  spin_->setKeyboardTracking(false);
  bar_ = new AffinityBar(this);
  bar_->set_value(std::nullopt, 1);
  bar_label_ = new QLabel(tr("affinity —"), this);
  bar_label_->setMinimumWidth(bar_label_->fontMetrics().horizontalAdvance("affinity +0.000"));
  grid->addWidget(enable_, 0, 0, 1, 2);
  grid->addWidget(remove_, 0, 2, Qt::AlignRight);
  grid->addWidget(info_, 1, 0, 1, 3);
  grid->addWidget(slider_, 2, 0, 1, 2);
  grid->addWidget(spin_, 2, 2);
  grid->addWidget(bar_, 3, 0);
  grid->addWidget(bar_label_, 3, 1, 1, 2);
  grid->setColumnStretch(0, 1);

  connect(slider_, &QSlider::valueChanged, this, [this](int value) {
    const QSignalBlocker block(spin_);
    spin_->setValue(double(value) / kSliderScale);
    emit weight_changed(name(), weight(), enabled());
    // Keys and wheel move the slider without a release: each such move is a commit.
    if (!slider_->isSliderDown()) emit weight_committed(name());
  });
  connect(slider_, &QSlider::sliderReleased, this, [this] { emit weight_committed(name()); });
  connect(spin_, &QDoubleSpinBox::valueChanged, this, [this](double value) {
    {
      const QSignalBlocker block(slider_);
      slider_->setValue(int(std::lround(value * kSliderScale)));
    }
    emit weight_changed(name(), weight(), enabled());
    emit weight_committed(name());
  });
  connect(enable_, &QCheckBox::toggled, this, [this](bool on) {
    if (on && !compatible()) {
      const QSignalBlocker block(enable_);
      enable_->setChecked(false);
      return;
    }
    emit weight_changed(name(), weight(), on);
    emit weight_committed(name());
  });
  connect(remove_, &QToolButton::clicked, this, [this] { emit remove_requested(name()); });
  set_facts(facts);
  checking_ = true;
  update_info();
}

void AdapterRow::set_facts(const AdapterFacts& facts) {
  facts_ = facts;
  checking_ = false;
  update_info();
}

void AdapterRow::update_info() {
  enable_->setText(facts_.name);
  QStringList parts;
  if (facts_.rank > 0) parts << tr("r %1").arg(facts_.rank);
  if (facts_.alpha != 0) parts << tr("α %1").arg(facts_.alpha);
  if (!facts_.targets.isEmpty()) parts << facts_.targets.join(QStringLiteral(", "));
  if (!facts_.run_label.isEmpty()) parts << facts_.run_label;
  QString text = parts.join(QStringLiteral(" · "));
  const bool usable = compatible() && !checking_;
  if (checking_) {
    text += tr(" · checking…");
  } else if (!compatible()) {
    text =
        QString("<span style='color:#c03030'>%1</span><br>%2")
            .arg(tr("Incompatible: %1").arg(facts_.reason.toHtmlEscaped()), text.toHtmlEscaped());
  }
  info_->setText(text);
  info_->setToolTip(facts_.dir);
  enable_->setEnabled(usable);
  if (!usable) {
    const QSignalBlocker block(enable_);
    enable_->setChecked(false);
  }
  enable_->setToolTip(usable      ? tr("Use this adapter in the blend")
                      : checking_ ? tr("Checking the adapter against the base model…")
                                  : facts_.reason);
  slider_->setEnabled(usable);
  spin_->setEnabled(usable);
}

double AdapterRow::weight() const { return spin_->value(); }
bool AdapterRow::enabled() const { return enable_->isChecked(); }

void AdapterRow::set_weight(double weight) { spin_->setValue(weight); }

void AdapterRow::set_enabled(bool enabled) {
  if (enabled && (!compatible() || checking_)) return;
  enable_->setChecked(enabled);
}

BlendEntry AdapterRow::entry() const {
  BlendEntry entry;
  entry.name = facts_.name;
  entry.dir = facts_.dir;
  entry.run_id = facts_.run_id;
  entry.weight = weight();
  entry.enabled = enabled();
  return entry;
}

AdapterPanel::AdapterPanel(QWidget* parent) : QScrollArea(parent) {
  setWidgetResizable(true);
  setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  inner_ = new QWidget(this);
  list_ = new QVBoxLayout(inner_);
  list_->setContentsMargins(0, 0, 0, 0);
  list_->setSpacing(2);
  empty_ = new QLabel(tr("No adapters yet. Train one on the Train page, or add a PEFT adapter "
                         "folder (adapter_config.json + adapter_model.safetensors)."),
                      inner_);
  empty_->setWordWrap(true);
  empty_->setMargin(8);
  list_->addWidget(empty_);
  list_->addStretch(1);
  setWidget(inner_);
}

AdapterRow* AdapterPanel::add(const AdapterFacts& facts) {
  if (auto* existing = row(facts.name)) return existing;
  auto* row = new AdapterRow(facts, inner_);
  row->setObjectName("adapter_" + facts.name);
  list_->insertWidget(list_->count() - 1, row);
  empty_->setVisible(false);
  connect(row, &AdapterRow::weight_changed, this, &AdapterPanel::weight_changed);
  connect(row, &AdapterRow::weight_committed, this, &AdapterPanel::weight_committed);
  connect(row, &AdapterRow::remove_requested, this, &AdapterPanel::remove_requested);
  return row;
}

void AdapterPanel::remove(const QString& name) {
  if (auto* target = row(name)) {
    list_->removeWidget(target);
    target->deleteLater();
    target->setParent(nullptr);
  }
  empty_->setVisible(rows().isEmpty());
}

void AdapterPanel::clear() {
  for (auto* target : rows()) remove(target->name());
}

AdapterRow* AdapterPanel::row(const QString& name) const {
  for (auto* candidate : rows())
    if (candidate->name() == name) return candidate;
  return nullptr;
}

QVector<AdapterRow*> AdapterPanel::rows() const {
  QVector<AdapterRow*> out;
  for (int i = 0; i < list_->count(); ++i)
    if (auto* candidate = qobject_cast<AdapterRow*>(list_->itemAt(i)->widget()))
      out.push_back(candidate);
  return out;
}

Blend AdapterPanel::blend() const {
  Blend blend;
  for (auto* candidate : rows())
    if (candidate->compatible() && !candidate->checking()) blend.push_back(candidate->entry());
  return blend;
}

QStringList AdapterPanel::apply(const Blend& blend) {
  QStringList missing;
  for (auto* candidate : rows()) {
    const auto it = std::find_if(blend.begin(), blend.end(), [&](const BlendEntry& entry) {
      return entry.name == candidate->name();
    });
    if (it == blend.end()) {
      candidate->set_enabled(false);
      continue;
    }
    candidate->set_weight(it->weight);
    candidate->set_enabled(it->enabled);
  }
  for (const auto& entry : blend)
    if (!row(entry.name)) missing << entry.name;
  return missing;
}

void AdapterPanel::set_affinity(const QVector<AffinityScore>& scores) {
  double scale = 0.05;  // nats/token drawn at full width, at least
  for (const auto& score : scores) scale = std::max(scale, std::abs(score.delta));
  for (auto* candidate : rows()) {
    const auto it = std::find_if(scores.begin(), scores.end(), [&](const AffinityScore& s) {
      return s.name == candidate->name();
    });
    if (it == scores.end()) {
      candidate->bar_->set_value(std::nullopt, scale);
      candidate->bar_label_->setText(tr("affinity —"));
    } else {
      candidate->bar_->set_value(it->delta, scale);
      candidate->bar_label_->setText(tr("affinity %1").arg(QString::asprintf("%+.3f", it->delta)));
    }
  }
}

void AdapterPanel::clear_affinity() { set_affinity({}); }

}  // namespace loralab::ui
