// The playground's adapter list: one row per adapter (store run or PEFT folder) with its rank,
// alpha and targets, an enable box, a λ slider and spin box over [−1, 2] in steps of 0.01, and a
// small style-affinity bar. An adapter the base cannot load shows the reason and cannot be enabled.
#pragma once
#include <QScrollArea>
#include <QWidget>

#include "ui/blend/blend_types.h"

class QCheckBox;
class QDoubleSpinBox;
class QLabel;
class QSlider;
class QToolButton;
class QVBoxLayout;

namespace loralab::ui {

// A bar centred on zero: right and green when the adapter explains the text better than the base,
// left and red when worse. `scale` is the value drawn at full width.
class AffinityBar : public QWidget {
  Q_OBJECT
 public:
  explicit AffinityBar(QWidget* parent = nullptr);
  void set_value(std::optional<double> value, double scale);
  std::optional<double> value() const { return value_; }
  QSize sizeHint() const override { return {120, 14}; }

 protected:
  void paintEvent(QPaintEvent* event) override;

 private:
  std::optional<double> value_;
  double scale_ = 1;
};

class AdapterRow : public QWidget {
  Q_OBJECT
 public:
  explicit AdapterRow(const AdapterFacts& facts, QWidget* parent = nullptr);

  const AdapterFacts& facts() const { return facts_; }
  void set_facts(const AdapterFacts& facts);  // after the worker checked it
  QString name() const { return facts_.name; }
  bool compatible() const { return facts_.compatible; }
  bool checking() const { return checking_; }
  double weight() const;
  bool enabled() const;
  void set_weight(double weight);  // moves slider and spin box; emits weight_changed
  void set_enabled(bool enabled);  // refused (stays off) when incompatible
  BlendEntry entry() const;

  QCheckBox* enable_box() const { return enable_; }
  QSlider* slider() const { return slider_; }
  QDoubleSpinBox* spin_box() const { return spin_; }
  QLabel* info_label() const { return info_; }
  AffinityBar* affinity_bar() const { return bar_; }

 signals:
  void weight_changed(const QString& name, double weight, bool enabled);  // every move
  void weight_committed(const QString& name);  // slider released, spin box edited, box toggled
  void remove_requested(const QString& name);

 private:
  void update_info();

  AdapterFacts facts_;
  bool checking_ = true;
  QCheckBox* enable_ = nullptr;
  QLabel* info_ = nullptr;
  QSlider* slider_ = nullptr;
  QDoubleSpinBox* spin_ = nullptr;
  AffinityBar* bar_ = nullptr;
  QLabel* bar_label_ = nullptr;
  QToolButton* remove_ = nullptr;
  friend class AdapterPanel;
};

class AdapterPanel : public QScrollArea {
  Q_OBJECT
 public:
  explicit AdapterPanel(QWidget* parent = nullptr);

  // Adds a row (checking…) unless one with this name exists; returns it.
  AdapterRow* add(const AdapterFacts& facts);
  void remove(const QString& name);
  void clear();
  AdapterRow* row(const QString& name) const;
  QVector<AdapterRow*> rows() const;
  // Every compatible adapter with its λ and enable state.
  Blend blend() const;
  // Sets λ and enable from a stored blend; adapters missing from it are disabled. Returns the
  // names in `blend` that have no row here.
  QStringList apply(const Blend& blend);
  void set_affinity(const QVector<AffinityScore>& scores);
  void clear_affinity();

 signals:
  void weight_changed(const QString& name, double weight, bool enabled);
  void weight_committed(const QString& name);
  void remove_requested(const QString& name);

 private:
  QWidget* inner_ = nullptr;
  QVBoxLayout* list_ = nullptr;
  QLabel* empty_ = nullptr;
};

}  // namespace loralab::ui
