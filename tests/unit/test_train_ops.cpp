// The decoder's training nodes (engine/src/model/train_ops.cpp: rotary embedding, SwiGLU, blocked
// causal attention and the chunked masked cross-entropy, which keep fewer activations) against
// the composed LibTorch operations they replace, in float64 on seeded random inputs: outputs and
// every input gradient agree to 1e-12 absolute (values and gradients are of order 1–10; the sums
// differ only in order). The float32 kernels (attention's vectorised exp and softmax, SwiGLU,
// RMSNorm, rotary embedding, the loss's vectorised max and exp over rows of 45 logits) are held
// to 2e-5 relative to the gradients' scale against the float64 reference: float32 rounding over
// sums of up to 45 terms, far below what a wrong mask, tail or exp would give. The float32
// kernels have scalar and AVX2 paths (the softmax rows AVX-512 too): the checks run on every
// instruction set this CPU has. The whole
// model's adapter gradients through these nodes are checked against finite differences in
// test_train.
#include <QtTest>

#include "model/train_ops_check.h"

class TestTrainOps : public QObject {
  Q_OBJECT
 private slots:
  // Every check on every vector instruction set this CPU has (the float32 kernels have scalar,
  // AVX2 and AVX-512 paths; the float64 ones are the same on each).
  void nodes_match_the_composed_operations_data() {
    QTest::addColumn<QString>("simd");
    const auto levels = loralab::model::kernel_simd_levels();
    QVERIFY(!levels.empty() && levels.front() == "scalar");
    for (const auto& level : levels) QTest::newRow(level.c_str()) << QString::fromStdString(level);
  }

  void nodes_match_the_composed_operations() {
    QFETCH(QString, simd);
    QVERIFY(loralab::model::use_kernel_simd_level(simd.toStdString()));
    for (uint64_t seed : {1u, 2u, 3u}) {
      const auto checks = loralab::model::check_training_ops(seed);
      QCOMPARE(checks.size(), size_t(12));
      for (const auto& check : checks) {
        const QString what = QString("%1 (%2), seed %3: forward %4, gradient %5 (scale %6)")
                                 .arg(QString::fromStdString(check.node))
                                 .arg(simd)
                                 .arg(seed)
                                 .arg(check.forward_max_abs)
                                 .arg(check.grad_max_abs)
                                 .arg(check.grad_scale);
        qInfo("%s", qPrintable(what));
        // A gradient of all zeros would match nothing of this size by chance.
        QVERIFY2(check.grad_scale > 0.1, qPrintable(what));
        const bool single = check.node.ends_with("float32");
        QVERIFY2(check.forward_max_abs < (single ? 2e-5 : 1e-12), qPrintable(what));
        QVERIFY2(check.grad_max_abs < (single ? 2e-5 * check.grad_scale : 1e-12), qPrintable(what));
      }
    }
    QVERIFY(loralab::model::use_kernel_simd_level(loralab::model::kernel_simd_levels().back()));
  }
};

QTEST_GUILESS_MAIN(TestTrainOps)
#include "test_train_ops.moc"
