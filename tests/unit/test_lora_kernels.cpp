// The float32 training products (engine/src/model/row_gemm.cpp: a register-blocked AVX-512 loop
// over rows, for the LoRA node's r-wide products and the linear layers' forward and input
// gradients) and the LoRA node that uses them, against LibTorch in float64 on seeded random inputs
// (engine/src/lora/lora_check.cpp). Every value is held to 2e-5 relative to the float64 values'
// scale: float32 rounding over sums of at most 600 terms of order one is ~1e-6 of that, while a wrong tile, tail mask, stride or offset gives
// errors of the values' own size. The beta = 0 cases start from NaN, which must not leak. The
// dropout mask kept as bits must give exactly the values its seed gives.
#include <QtTest>

#include "lora/lora_check.h"
#include "model/train_ops_check.h"

// Every seed at every SIMD level this CPU offers: below AVX-512 the float32 side takes LibTorch's
// BLAS (as on a CPU without AVX-512), which must agree as well.
class TestLoraKernels : public QObject {
  Q_OBJECT
 private slots:
  void float32_kernels_match_float64_data() {
    QTest::addColumn<int>("seed");
    QTest::addColumn<QString>("simd");
    for (const auto& level : loralab::model::kernel_simd_levels())
      for (int seed : {1, 2, 3})
        QTest::newRow(QByteArray(level.c_str()) + " seed " + QByteArray::number(seed))
            << seed << QString::fromStdString(level);
  }

  void float32_kernels_match_float64() {
    QFETCH(int, seed);
    QFETCH(QString, simd);
    QVERIFY(loralab::model::use_kernel_simd_level(simd.toStdString()));
    const auto checks = loralab::lora::check_lora_kernels(static_cast<uint64_t>(seed));
    QCOMPARE(checks.size(), size_t(9));
    for (const auto& c : checks) {
      const QByteArray what = QByteArray(c.what.c_str()) + ": |float32 - float64| up to " +
                              QByteArray::number(c.max_abs) + " on values up to " +
                              QByteArray::number(c.scale) +
                              (c.kernel ? " (AVX-512 kernel)" : " (LibTorch fallback)");
      qInfo("%s", what.constData());
      QVERIFY2(c.scale > 0.5 && c.max_abs < 2e-5 * c.scale, what.constData());
    }
  }

  void cleanupTestCase() {
    QVERIFY(loralab::model::use_kernel_simd_level(loralab::model::kernel_simd_levels().back()));
  }
};

QTEST_GUILESS_MAIN(TestLoraKernels)
#include "test_lora_kernels.moc"
