// Experiment store benchmark: 1M metric rows inserted (bulk, and through the batched
// MetricWriter), each comparison query over 500 runs × 2,000 steps, and what the writer adds to a
// training step, measured side by side with the same loop without it.
//
//   store_bench [FOLDER]   (default: a fresh folder under the system temp folder, removed after)
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "loralab/error.h"
#include "loralab/store.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

constexpr int kRuns = 500;
constexpr int kSteps = 2000;
constexpr int kQueryRepeats = 7;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// CPU seconds this process used: on a shared, loaded machine wall time also counts the time spent
// waiting for a core, so both are printed.
double cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return double(now.tv_sec) + double(now.tv_nsec) * 1e-9;
}

loralab::MetricRow make_row(int run, int step) {
  loralab::MetricRow row;
  row.step = step;
  row.tokens_seen = int64_t(step) * 4096;
  row.wall_time = step * 0.05;
  // Larger ranks (run % 4) and all-linear targets (odd runs) end a little lower, so the
  // rank × alpha table and the Pareto front have something to show.
  row.train_loss = 4.0 * std::exp(-step / 700.0) + 1.0 - 0.05 * (run % 4) - 0.03 * (run % 2) +
                   0.001 * (run % 17) + 0.01 * std::sin(step);
  if (step % 50 == 0) row.val_loss = *row.train_loss + 0.05;
  row.lr = 3e-4;
  row.grad_norm = 1.0 / (1.0 + step * 0.001);
  row.tokens_per_second = 80000.0;
  return row;
}

loralab::RunRecord make_run(int index) {
  static const int64_t kRanks[] = {4, 8, 16, 32};
  static const double kAlphas[] = {8, 16, 32};
  loralab::RunRecord run;
  run.name = "bench " + std::to_string(index);
  run.status = loralab::RunStatus::Done;
  run.config.rank = kRanks[index % 4];
  run.config.alpha = kAlphas[(index / 4) % 3];
  run.config.targets = index % 2 ? "all-linear" : "q_proj+v_proj";
  run.config.lr = 1e-4 * (1 + index % 5);
  run.config.steps = kSteps;
  run.trainable_params = *run.config.rank * (index % 2 ? 7 : 2) * 2 * 256 * 4;
  if (index % 10 == 0) run.tags = {"baseline"};
  return run;
}

// Median wall and CPU time of `repeats` runs, in milliseconds.
void time_query(const char* what, const std::function<size_t()>& query) {
  std::vector<double> wall, cpu;
  size_t result = 0;
  for (int i = 0; i < kQueryRepeats; ++i) {
    auto start = Clock::now();
    double cpu_start = cpu_seconds();
    result = query();
    cpu.push_back((cpu_seconds() - cpu_start) * 1000);
    wall.push_back(seconds_since(start) * 1000);
  }
  std::sort(wall.begin(), wall.end());
  std::sort(cpu.begin(), cpu.end());
  double median_cpu = cpu[cpu.size() / 2];
  std::printf("  %-46s wall %7.2f ms  cpu %7.2f ms  (%zu results)%s\n", what, wall[wall.size() / 2],
              median_cpu, result, median_cpu <= 50 ? "" : "  > 50 ms target");
}

// Stands in for a training step's compute: a fixed amount of arithmetic.
double fake_step(int iterations) {
  volatile double x = 1.0;
  for (int i = 0; i < iterations; ++i) x = x * 1.0000001 + 1e-9;
  return x;
}

}  // namespace

int main(int argc, char** argv) {
  fs::path folder =
      argc > 1 ? fs::path(argv[1])
               : fs::temp_directory_path() / ("loralab-store-bench-" + std::to_string(::getpid()));
  bool remove_after = argc <= 1;
  fs::create_directories(folder);
  try {
    std::printf("store_bench: %d runs x %d steps in %s\n", kRuns, kSteps, folder.c_str());

    // 1. Bulk: one transaction per run of 2,000 rows.
    std::string bulk_path = (folder / "bulk.sqlite").string();
    fs::remove(bulk_path);
    loralab::ExperimentStore store(bulk_path);
    std::vector<int64_t> ids;
    for (int r = 0; r < kRuns; ++r) ids.push_back(store.create_run(make_run(r)));
    std::vector<std::vector<loralab::MetricRow>> rows(kRuns);
    for (int r = 0; r < kRuns; ++r)
      for (int s = 1; s <= kSteps; ++s) rows[r].push_back(make_row(r, s));
    auto start = Clock::now();
    double cpu_start = cpu_seconds();
    for (int r = 0; r < kRuns; ++r) store.insert_metrics(ids[r], rows[r]);
    double bulk = seconds_since(start), bulk_cpu = cpu_seconds() - cpu_start;
    std::printf(
        "insert 1M metric rows, insert_metrics (500 transactions): wall %.3f s, cpu %.3f s "
        "(target <= 2 s)%s\n",
        bulk, bulk_cpu, bulk_cpu <= 2 ? "" : "  OVER TARGET");

    // 2. The same rows through MetricWriter with its default batching (64 rows or 1 s).
    std::string writer_path = (folder / "writer.sqlite").string();
    fs::remove(writer_path);
    {
      loralab::ExperimentStore wstore(writer_path);
      std::vector<int64_t> wids;
      for (int r = 0; r < kRuns; ++r) wids.push_back(wstore.create_run(make_run(r)));
      start = Clock::now();
      cpu_start = cpu_seconds();
      int64_t batches = 0;
      for (int r = 0; r < kRuns; ++r) {
        loralab::MetricWriter writer(wstore, wids[r]);
        for (const auto& row : rows[r]) writer.add(row);
        writer.flush();
        batches += writer.committed_batches();
      }
      double through_writer = seconds_since(start), writer_cpu = cpu_seconds() - cpu_start;
      std::printf(
          "insert 1M metric rows, MetricWriter (%lld batches): wall %.3f s, cpu %.3f s = "
          "%.2f us cpu per row\n",
          static_cast<long long>(batches), through_writer, writer_cpu,
          writer_cpu * 1e6 / (double(kRuns) * kSteps));
    }

    // 3. Comparison queries over the bulk store.
    std::printf("queries over %d runs x %d steps (%d repeats each):\n", kRuns, kSteps,
                kQueryRepeats);
    time_query("list_runs, all, sorted by best_val_loss", [&] {
      loralab::RunQuery query;
      query.sort_by = "best_val_loss";
      return store.list_runs(query).size();
    });
    time_query("list_runs, done & rank>=16 & tag, by lr desc", [&] {
      loralab::RunQuery query;
      query.statuses = {loralab::RunStatus::Done};
      query.where = {loralab::parse_column_condition("rank>=16")};
      query.tag = "baseline";
      query.sort_by = "lr";
      query.descending = true;
      return store.list_runs(query).size();
    });
    std::vector<int64_t> ten(ids.begin(), ids.begin() + 10), fifty(ids.begin(), ids.begin() + 50);
    time_query("curves, 10 runs train loss -> 500 points",
               [&] { return store.curves(ten, loralab::CurveMetric::TrainLoss, 500).size(); });
    time_query("curves, 50 runs train loss -> 200 points",
               [&] { return store.curves(fifty, loralab::CurveMetric::TrainLoss, 200).size(); });
    time_query("curves, 50 runs val loss (every 50 steps)",
               [&] { return store.curves(fifty, loralab::CurveMetric::ValLoss, 200).size(); });
    time_query("curves, all 500 runs train loss -> 200 points",
               [&] { return store.curves(ids, loralab::CurveMetric::TrainLoss, 200).size(); });
    time_query("rank x alpha best val loss (q_proj+v_proj)",
               [&] { return store.rank_alpha_grid("q_proj+v_proj").size(); });
    time_query("pareto front params vs best val loss", [&] { return store.pareto_front().size(); });
    time_query("metrics of one run (2,000 rows)", [&] { return store.metrics(ids[7]).size(); });

    // 4. Writer overhead per training step: the same loop with and without MetricWriter.add,
    //    interleaved in rounds so machine noise hits both alike.
    std::string step_path = (folder / "steps.sqlite").string();
    fs::remove(step_path);
    loralab::ExperimentStore sstore(step_path);
    loralab::RunRecord running = make_run(0);
    running.status = loralab::RunStatus::Running;
    int64_t run_id = sstore.create_run(running);
    constexpr int kStepWork = 200000;  // about 1 ms of arithmetic, shorter than a real step
    constexpr int kStepsPerRound = 300, kRounds = 6;
    double plain = 0, with_writer = 0;  // cpu seconds
    int64_t step = 0;
    {
      loralab::MetricWriter writer(sstore, run_id);
      for (int round = 0; round < kRounds; ++round) {
        double round_start = cpu_seconds();
        for (int i = 0; i < kStepsPerRound; ++i) fake_step(kStepWork);
        plain += cpu_seconds() - round_start;
        round_start = cpu_seconds();
        for (int i = 0; i < kStepsPerRound; ++i) {
          fake_step(kStepWork);
          writer.add(make_row(0, static_cast<int>(++step)));
        }
        with_writer += cpu_seconds() - round_start;
      }
    }
    double total_steps = double(kStepsPerRound) * kRounds;
    // The writer's own cost, alone: add() for many rows with default batching.
    loralab::RunRecord lone = make_run(1);
    lone.status = loralab::RunStatus::Running;
    int64_t lone_id = sstore.create_run(lone);
    constexpr int kLoneRows = 100000;
    start = Clock::now();
    cpu_start = cpu_seconds();
    {
      loralab::MetricWriter writer(sstore, lone_id);
      for (int i = 1; i <= kLoneRows; ++i) writer.add(make_row(1, i));
    }
    double per_add_wall = seconds_since(start) / kLoneRows;
    double per_add = (cpu_seconds() - cpu_start) / kLoneRows;
    std::printf("training-step overhead of MetricWriter (default 64 rows / 1 s):\n");
    std::printf("  writer alone: %.2f us cpu (%.2f us wall) per step, commits included\n",
                per_add * 1e6, per_add_wall * 1e6);
    std::printf(
        "  side by side, fake step of %.3f ms cpu: plain %.3f s, with writer %.3f s over "
        "%.0f steps each -> %+.2f%%\n",
        plain / total_steps * 1e3, plain, with_writer, total_steps,
        (with_writer - plain) / plain * 100);
    std::printf("  writer cost relative to a 10 ms step: %.4f%%, to a 1 ms step: %.3f%%\n",
                per_add / 0.010 * 100, per_add / 0.001 * 100);
    std::error_code ec;
    auto wal = fs::file_size(bulk_path + "-wal", ec);
    std::printf("store file: %.1f MB (+ %.1f MB write-ahead log)\n",
                double(fs::file_size(bulk_path)) / 1e6, ec ? 0.0 : double(wal) / 1e6);
  } catch (const loralab::Error& error) {
    std::fprintf(stderr, "store_bench: %s\n", error.what());
    return 1;
  }
  if (remove_after) fs::remove_all(folder);
  return 0;
}
