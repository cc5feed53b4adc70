// The caching CPU allocator (runtime.h: keep_freed_memory_for_reuse). Real training steps of the
// engine's trainer (run_train_bench, a one-layer model whose logits are 64 MiB) are counted in
// page faults: the first case runs before the allocator is installed and shows what glibc's malloc
// costs per step on this machine, the next ones that with the cache a step reuses the previous
// step's pages, on the main thread and on a worker thread (the GUI trains on one), with the same
// losses; release_free_memory() then hands the cached pages back.
#include <QtTest>

#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "loralab/bench.h"
#include "loralab/runtime.h"

namespace {

long minor_faults() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_minflt;
}

long resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  long size = 0, resident = 0;
  statm >> size >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

loralab::TrainBenchSpec tiny_spec(int steps) {
  loralab::TrainBenchSpec spec;
  spec.shape.hidden = 64;
  spec.shape.layers = 1;
  spec.shape.heads = 4;
  spec.shape.kv_heads = 2;
  spec.shape.intermediate = 128;
  // Logits of batch 8 × seq 256 × 8192: 64 MiB, beyond the largest mmap threshold glibc adapts to
  // (32 MiB on 64-bit), so malloc maps and unmaps them on every step whatever it saw before.
  spec.shape.vocab = 8192;
  spec.threads = 1;
  spec.warmup = 1;
  spec.steps = steps;
  return spec;
}

struct StepCost {
  double faults_per_step = 0;
  double last_loss = 0;
};

// Page faults of 8 extra training steps, per step: runs of 1 and 9 timed steps differ only there.
// A first run warms whatever cache there is. (Eight steps, so that the blocks reused on every
// step outnumber the few fresh ones each run makes for its model far enough to tell them apart.)
StepCost step_cost() {
  loralab::run_train_bench(tiny_spec(1));
  long before = minor_faults();
  loralab::run_train_bench(tiny_spec(1));
  const long short_run = minor_faults() - before;
  before = minor_faults();
  const auto result = loralab::run_train_bench(tiny_spec(9));
  const long long_run = minor_faults() - before;
  return {double(long_run - short_run) / 8.0, result.last_loss};
}

constexpr double kLogitsPages = 8.0 * 256 * 8192 * 4 / 4096;

double default_loss = 0;

}  // namespace

class TestMemoryPolicy : public QObject {
  Q_OBJECT

 private slots:
  // The training loss node computes logits in 16 MiB chunks, which glibc learns to keep on its
  // heap, so how often it faults then depends on its trimming history. The composed loss keeps
  // the whole (B·T, V) logits: an allocation whose cost glibc's documented policy fixes.
  void initTestCase() { qputenv("LORALAB_TRAIN_OPS", "loss"); }

  // Runs first (Qt Test keeps declaration order), before the allocator is installed.
  void glibc_malloc_faults_on_every_step() {
    QVERIFY(!loralab::tensor_memory_stats().caching);
    const auto cost = step_cost();
    default_loss = cost.last_loss;
    qInfo("glibc malloc: %.0f page faults per step (the logits alone are %.0f pages)",
          cost.faults_per_step, kLogitsPages);
    QVERIFY2(cost.faults_per_step > kLogitsPages, qPrintable(QString::number(cost.faults_per_step)));
  }

  void cached_blocks_are_reused_without_faults() {
    loralab::keep_freed_memory_for_reuse();
    loralab::keep_freed_memory_for_reuse();  // a second call changes nothing
    const auto before = loralab::tensor_memory_stats();
    QVERIFY(before.caching);
    const auto cost = step_cost();
    const auto after = loralab::tensor_memory_stats();
    qInfo("caching allocator: %.0f page faults per step; %lld blocks reused, %lld fresh",
          cost.faults_per_step, static_cast<long long>(after.reused_blocks - before.reused_blocks),
          static_cast<long long>(after.fresh_blocks - before.fresh_blocks));
    QVERIFY2(cost.faults_per_step < kLogitsPages / 20, qPrintable(QString::number(cost.faults_per_step)));
    QVERIFY(after.reused_blocks - before.reused_blocks > 20 * (after.fresh_blocks - before.fresh_blocks));
    // Memory that is handed out again is not cleared: the same seeds give the same losses only if
    // no operation reads memory it did not write.
    QCOMPARE(cost.last_loss, default_loss);
    QVERIFY(after.cached_bytes > 0);
    QCOMPARE(after.in_use_bytes, before.in_use_bytes);  // every pooled block came back
  }

  void a_worker_thread_reuses_blocks_too() {
    StepCost cost;
    std::thread worker([&] { cost = step_cost(); });
    worker.join();
    qInfo("worker thread: %.0f page faults per step", cost.faults_per_step);
    QVERIFY2(cost.faults_per_step < kLogitsPages / 20, qPrintable(QString::number(cost.faults_per_step)));
    QCOMPARE(cost.last_loss, default_loss);
  }

  void release_returns_the_cached_pages() {
    const auto kept = loralab::tensor_memory_stats();
    const long resident = resident_bytes();
    loralab::release_free_memory();
    const long released = resident - resident_bytes();
    qInfo("released %ld MiB of RSS; %lld MiB were cached", released >> 20,
          static_cast<long long>(kept.cached_bytes >> 20));
    QCOMPARE(loralab::tensor_memory_stats().cached_bytes, int64_t(0));
    QVERIFY2(double(released) > 0.9 * double(kept.cached_bytes),
             qPrintable(QString("released %1 of %2 bytes").arg(released).arg(kept.cached_bytes)));
  }
};

QTEST_APPLESS_MAIN(TestMemoryPolicy)
#include "test_memory_policy.moc"
