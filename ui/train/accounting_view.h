// AccountingView: what the LoRA form costs on the loaded model, recomputed as the form changes —
// trainable parameters, their share of the base model, adapted modules, and the memory for the
// adapter's weights, gradients and AdamW moments next to what full training of the same modules
// would need.
#pragma once
#include <QWidget>
#include <optional>

#include "loralab/lora.h"

class QLabel;

namespace loralab::ui {

class AccountingView : public QWidget {
  Q_OBJECT
 public:
  explicit AccountingView(QWidget* parent = nullptr);
  // nullopt: nothing to show (no model, or the form is refused), with `reason` in its place.
  void show_account(const std::optional<ParameterAccount>& account, const QString& reason = {});
  QString text() const;

 private:
  QLabel* label_ = nullptr;
};

QString format_bytes(int64_t bytes);

}  // namespace loralab::ui
