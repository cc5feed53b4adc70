// The LoRA training node's float32 products (engine/src/lora/lora_gemm.cpp: a register-blocked
// AVX-512 loop for products with one side of 128 or less) and the node that uses them, against
// LibTorch in float64 on seeded random inputs (engine/src/lora/lora_check.cpp). Every value is
// held to 2e-5 relative to the float64 values' scale: float32 rounding over sums of at most 150
// terms of order one is ~1e-6 of that, while a wrong tile, tail mask, stride or offset gives
// errors of the values' own size. The beta = 0 cases start from NaN, which must not leak.
#include <QtTest>

#include "lora/lora_check.h"

class TestLoraKernels : public QObject {
  Q_OBJECT
 private slots:
  void float32_kernels_match_float64() {
    bool any_kernel = false;
    for (uint64_t seed : {1u, 2u, 3u}) {
      const auto checks = loralab::lora::check_lora_kernels(seed);
      QCOMPARE(checks.size(), size_t(5));
      for (const auto& check : checks) {
        const QString what = QString("%1, seed %2: max |float32 - float64| %3 (scale %4, kernel %5)")
                                 .arg(QString::fromStdString(check.what))
                                 .arg(seed)
                                 .arg(check.max_abs)
                                 .arg(check.scale)
                                 .arg(check.kernel ? "yes" : "no");
        qInfo("%s", qPrintable(what));
        QVERIFY2(check.scale > 0.5, qPrintable(what));
        QVERIFY2(check.max_abs < 2e-5 * check.scale, qPrintable(what));
        any_kernel = any_kernel || check.kernel;
      }
    }
    if (!any_kernel) qWarning("this CPU has no AVX-512: only the LibTorch fallback was checked");
  }
};

QTEST_GUILESS_MAIN(TestLoraKernels)
#include "test_lora_kernels.moc"
