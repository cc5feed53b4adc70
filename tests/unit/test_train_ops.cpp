// The decoder's training nodes (engine/src/model/train_ops.cpp: rotary embedding, SwiGLU, blocked
// causal attention and the chunked masked cross-entropy, which keep fewer activations) against
// the composed LibTorch operations they replace, in float64 on seeded random inputs: outputs and
// every input gradient agree to 1e-12 absolute (values and gradients are of order 1–10; the sums
// differ only in order). The whole model's adapter gradients through these nodes are checked
// against finite differences in test_train. The LoRA node's one-pass dropout is checked against
// the mask it stands for.
#include <QtTest>

#include "lora/dropout_check.h"
#include "model/train_ops_check.h"

class TestTrainOps : public QObject {
  Q_OBJECT
 private slots:
  void nodes_match_the_composed_operations() {
    for (uint64_t seed : {1u, 2u, 3u}) {
      const auto checks = loralab::model::check_training_ops(seed);
      QCOMPARE(checks.size(), size_t(4));
      for (const auto& check : checks) {
        const QString what = QString("%1, seed %2: forward %3, gradient %4 (scale %5)")
                                 .arg(QString::fromStdString(check.node))
                                 .arg(seed)
                                 .arg(check.forward_max_abs)
                                 .arg(check.grad_max_abs)
                                 .arg(check.grad_scale);
        qInfo("%s", qPrintable(what));
        // A gradient of all zeros would match nothing of this size by chance.
        QVERIFY2(check.grad_scale > 0.1, qPrintable(what));
        QVERIFY2(check.forward_max_abs < 1e-12, qPrintable(what));
        QVERIFY2(check.grad_max_abs < 1e-12, qPrintable(what));
      }
    }
  }

  // The LoRA node's one-pass dropout (the dropped input, and the gradient accumulated through
  // the mask) equals the product with the mask it stands for, exactly: each element is the same
  // single multiplication (and addition).
  void one_pass_dropout_matches_the_mask() {
    for (double p : {0.05, 0.3, 0.5}) {
      const auto check = loralab::lora::check_dropout_fusion(p, 11);
      const QString what = QString("p %1: apply %2, accumulate %3, fallback %4, kept %5")
                               .arg(p)
                               .arg(check.apply_max_abs)
                               .arg(check.accumulate_max_abs)
                               .arg(check.fallback_max_abs)
                               .arg(check.kept_share);
      QVERIFY2(check.apply_max_abs == 0, qPrintable(what));
      QVERIFY2(check.accumulate_max_abs < 1e-6, qPrintable(what));  // float32: an fma at most
      QVERIFY2(check.fallback_max_abs == 0, qPrintable(what));
      // 20,167 elements: the kept share is within 1.5% of 1 - p.
      QVERIFY2(std::abs(check.kept_share - (1 - p)) < 0.015, qPrintable(what));
    }
  }
};

QTEST_GUILESS_MAIN(TestTrainOps)
#include "test_train_ops.moc"
