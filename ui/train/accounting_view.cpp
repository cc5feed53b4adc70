// Live parameter accounting; see accounting_view.h.
#include "ui/train/accounting_view.h"

#include <QLabel>
#include <QLocale>
#include <QVBoxLayout>

namespace loralab::ui {

QString format_bytes(int64_t bytes) {
  return QLocale().formattedDataSize(bytes, 1, QLocale::DataSizeTraditionalFormat);
}

AccountingView::AccountingView(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  label_ = new QLabel(this);
  label_->setObjectName("accounting");
  label_->setWordWrap(true);
  label_->setTextFormat(Qt::RichText);
  layout->addWidget(label_);
}

void AccountingView::show_account(const std::optional<ParameterAccount>& a, const QString& reason) {
  if (!a) {
    label_->setText(QString("<i>%1</i>").arg(reason.toHtmlEscaped()));
    return;
  }
  const QLocale locale;
  const int64_t adapter_training = a->weight_bytes_fp32 + a->gradient_bytes_fp32 + a->adam_bytes_fp32;
  const int64_t full_training = a->adapted_full * 16;  // weights, gradients, two moments in fp32
  // Short lines with explicit breaks: a wrapped rich-text label in a scroll area mis-measures.
  label_->setText(
      tr("<b>%1</b> trainable parameters · <b>%2%</b> of the base model's %3<br>"
         "%4 adapted modules; training them in full: %5 parameters<br>"
         "Optimizer memory: <b>%6</b> (weights %7, gradients %8, AdamW %9)<br>"
         "The same modules trained in full: %10<br>"
         "Base weights: %11 in fp32, %12 in bf16")
          .arg(locale.toString(qlonglong(a->trainable)))
          .arg(a->share_of_base * 100.0, 0, 'f', a->share_of_base < 0.01 ? 3 : 2)
          .arg(locale.toString(qlonglong(a->base_total)))
          .arg(a->modules.size())
          .arg(locale.toString(qlonglong(a->adapted_full)))
          .arg(format_bytes(adapter_training), format_bytes(a->weight_bytes_fp32),
               format_bytes(a->gradient_bytes_fp32), format_bytes(a->adam_bytes_fp32),
               format_bytes(full_training), format_bytes(a->base_weight_bytes_fp32),
               format_bytes(a->base_weight_bytes_bf16)));
}

QString AccountingView::text() const { return label_->text(); }

}  // namespace loralab::ui
