// Private pieces shared by the experiment store's translation units: the pimpl, the run row
// layout, clocks and process identity, and the schema opener.
#pragma once
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "loralab/store.h"
#include "store/sqlite_handle.h"

namespace loralab {

struct ExperimentStore::Impl {
  store_detail::Database db;
  StoreOptions options;
  int schema_version = 0;
  std::vector<int64_t> interrupted_at_open;
};

namespace store_detail {

// application_id written into every store ("LRLB"), so another app's SQLite file is told apart.
inline constexpr int32_t kApplicationId = 0x4C524C42;

double now_seconds();  // wall clock, seconds since the epoch
int64_t this_pid();
const std::string& this_host();
bool process_alive(int64_t pid);  // kill(pid, 0) succeeds or fails only with EPERM

// Validates and opens the file, sets the connection pragmas and migrates the schema forward.
// Returns the schema version found before migrating (0 for a new store).
int open_store_file(Database& db, const std::string& path, const StoreOptions& options);

// "SELECT <every run column in RunRecord order> FROM runs"; read_run decodes one row of it.
extern const char* const kRunSelect;
RunRecord read_run(const Statement& row);
std::string tags_json(const std::vector<std::string>& tags);
void require_json_object(const std::string& json, const std::string& what);

// Inserts a run without opening a transaction (callers hold one); returns its id.
int64_t insert_run(Database& db, const RunRecord& run);
// Writes a batch of metric rows and refreshes the run's heartbeat, best val loss and latest train
// loss, in one transaction.
void write_metric_batch(Database& db, int64_t run_id, const std::vector<MetricRow>& rows);

// Packed copies of the metric rows for fast curve reads (store_chunks.cpp). Appends follow each
// metric write in the same transaction; a rebuild re-reads the run's rows from `metrics`.
void append_metric_chunks(Database& db, int64_t run_id, const std::vector<MetricRow>& rows);
void rebuild_metric_chunks(Database& db, int64_t run_id);
void rebuild_all_metric_chunks(Database& db);
// One run's curve of metric column y against column x (0 step, 1 tokens_seen, 2 wall_time,
// 3 train_loss, 4 val_loss, 5 lr, 6 grad_norm, 7 tokens_per_second), by step, rows lacking
// either skipped.
std::vector<CurvePoint> chunk_curve(Database& db, int64_t run_id, int y_column, int x_column);

// A value bound into a dynamically built (whitelisted) query.
using Binding = std::variant<int64_t, double, std::string>;
void bind_all(Statement& statement, const std::vector<Binding>& bindings, int first_index = 1);
// " WHERE ..." (or "") for a RunQuery, appending its parameters to `bindings`.
std::string run_query_where(const RunQuery& query, std::vector<Binding>& bindings,
                            const std::string& extra_condition = {});

}  // namespace store_detail
}  // namespace loralab
