// Test helper for test_store: a separate process that writes one run's metrics into an experiment
// store, so the tests can run several writers at once or kill one with SIGKILL mid-write.
//
//   store_writer_child DB ROWS BATCH DELAY_US [abandon]
//
// Prints "run ID", then "step N" after each row is handed to the writer (so the parent knows
// which batches must have committed), then "done". ROWS 0 writes until killed. `abandon` exits
// after the last row without flushing or finishing the run, the way a crash would.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "loralab/error.h"
#include "loralab/store.h"

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: store_writer_child DB ROWS BATCH DELAY_US [abandon]\n");
    return 2;
  }
  const std::string path = argv[1];
  const long long rows = std::atoll(argv[2]);
  const long long batch = std::atoll(argv[3]);
  const long long delay_us = std::atoll(argv[4]);
  const bool abandon = argc > 5 && std::string(argv[5]) == "abandon";
  try {
    loralab::ExperimentStore store(path);
    loralab::RunRecord run;
    run.name = "child " + std::to_string(::getpid());
    run.status = loralab::RunStatus::Running;
    run.config.rank = 8;
    int64_t id = store.create_run(run);
    std::printf("run %lld\n", static_cast<long long>(id));
    std::fflush(stdout);

    // Commits only by count, so the parent can tell exactly which rows a batch holds.
    loralab::MetricWriter writer(store, id, {batch, 3600.0});
    for (long long step = 1; rows == 0 || step <= rows; ++step) {
      loralab::MetricRow row;
      row.step = step;
      row.tokens_seen = step * 256;
      row.train_loss = 4.0 / static_cast<double>(step);
      if (step % 10 == 0) row.val_loss = 5.0 / static_cast<double>(step);
      writer.add(row);
      std::printf("step %lld\n", step);
      std::fflush(stdout);
      if (delay_us > 0) ::usleep(static_cast<useconds_t>(delay_us));
    }
    if (abandon) std::_Exit(0);  // no flush, no finish: what a crash leaves behind
    writer.flush();
    store.finish_run(id, loralab::RunStatus::Done);
    std::printf("done\n");
    return 0;
  } catch (const loralab::Error& error) {
    std::fprintf(stderr, "store_writer_child: %s\n", error.what());
    return 1;
  }
}
