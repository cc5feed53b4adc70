// The experiment store: one SQLite file holding every run (configuration, status, results), its
// per-step metrics, generated samples, sweeps and exported artifacts. Plain C++ records in and out;
// the sqlite3 handles stay behind pimpl.
//
// Threads: an ExperimentStore is one connection; use it from one thread at a time. Give each
// thread that writes its own ExperimentStore on the same file (WAL mode lets readers and one
// writer work at once; other writers wait up to the busy timeout). Several processes may write
// different runs into one file at the same time.
//
// Conventions: times are seconds since the Unix epoch (UTC) as double; a std::optional that is
// empty, or a string that is empty, is stored as NULL ("not known").
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "loralab/error.h"
#include "loralab/sweep_grid.h"

namespace loralab {

// ---- records --------------------------------------------------------------------------------

enum class RunStatus { Queued, Running, Paused, Done, Stopped, Failed, Interrupted };
const char* run_status_name(RunStatus status);  // "queued", "running", ...
// Throws naming `text` and the valid names.
RunStatus parse_run_status(const std::string& text);

// The key hyperparameters, kept as columns so runs can be filtered and grouped.
struct RunConfigColumns {
  std::optional<int64_t> rank;
  std::optional<double> alpha;
  std::string targets;  // target set as the sweep grid writes it: "q_proj+v_proj", "all-linear"
  std::optional<double> lr;
  std::optional<double> dropout;
  std::optional<int64_t> seed;
  std::string precision;  // "fp32", "bf16", "fp16"
  std::optional<int64_t> steps;
};

struct RunRecord {
  int64_t id = 0;  // assigned by the store
  std::string name;
  RunStatus status = RunStatus::Queued;
  double created_at = 0;  // set by the store
  std::optional<double> started_at;
  std::optional<double> finished_at;
  std::string base_model_path;
  std::string base_model_hash;
  std::string dataset_path;
  std::string dataset_fingerprint;
  std::string config_json = "{}";  // the full training config (a JSON object)
  std::string config_hash;         // computed by the store when empty (see config_hash())
  RunConfigColumns config;
  std::optional<int64_t> trainable_params;
  std::optional<int64_t> total_params;
  std::optional<double> best_val_loss;  // kept up to date by metric writes
  std::optional<int64_t> best_val_step;
  std::optional<double> final_train_loss;  // the latest train loss written
  std::optional<double> tokens_per_second;
  std::optional<int64_t> peak_rss_bytes;
  std::string adapter_path;
  std::string error_message;
  std::vector<std::string> tags;
  std::string notes;
  std::optional<int64_t> owner_pid;  // the process that runs (or ran) it
  std::string owner_host;
  std::optional<double> heartbeat_at;
  std::optional<int64_t> sweep_id;
  std::optional<int64_t> queue_position;  // set while queued; 1 = next
};

// Results written while or after a run trains; only the fields that are set are written.
struct RunResults {
  std::optional<int64_t> trainable_params;
  std::optional<int64_t> total_params;
  std::optional<double> final_train_loss;
  std::optional<double> tokens_per_second;
  std::optional<int64_t> peak_rss_bytes;
  std::optional<std::string> adapter_path;
  std::optional<std::string> base_model_hash;
  std::optional<std::string> dataset_fingerprint;
};

// One training step's measurements. Fields that were not measured at this step stay empty; a
// second row for the same step (e.g. the evaluation) fills in fields without erasing the others.
struct MetricRow {
  int64_t step = 0;
  std::optional<int64_t> tokens_seen;
  std::optional<double> wall_time;  // seconds since the run started
  std::optional<double> train_loss;
  std::optional<double> val_loss;
  std::optional<double> lr;
  std::optional<double> grad_norm;
  std::optional<double> tokens_per_second;
};

// A generated story: from one run's adapter (run_id) or from a blend (blend_json, e.g.
// {"adapters":[{"run":3,"weight":0.5},...]}); at least one of the two must be set.
struct SampleRecord {
  int64_t id = 0;
  std::optional<int64_t> run_id;
  std::string blend_json;
  std::string prompt;
  std::string settings_json = "{}";  // temperature, top_k, top_p, ...
  std::optional<int64_t> seed;
  std::string text;
  double created_at = 0;
};

struct SweepRecord {
  int64_t id = 0;
  std::string name;
  std::string grid;                // the spec as the user wrote it (see sweep_grid.h)
  std::string search = "grid";     // "grid" or "random"
  std::optional<int64_t> samples;  // random search only
  std::optional<int64_t> seed;     // random search only
  double created_at = 0;
};

// A file produced from runs or a sweep: "export", "merged", "report", "checkpoint", ...
struct ArtifactRecord {
  int64_t id = 0;
  std::optional<int64_t> run_id;
  std::optional<int64_t> sweep_id;
  std::string kind;
  std::string path;
  double created_at = 0;
};

// ---- queries --------------------------------------------------------------------------------

// "rank>=8", "targets=all-linear", "best_val_loss<2.5". Columns: see run_query_columns().
struct ColumnCondition {
  std::string column;
  std::string op;     // = != < <= > >=
  std::string value;  // parsed per the column's type when the query runs
};
// Parses "COLUMNopVALUE"; throws naming the text, the column and the known columns.
ColumnCondition parse_column_condition(const std::string& text);
// The columns that can be filtered and sorted on.
const std::vector<std::string>& run_query_columns();

struct RunQuery {
  std::vector<RunStatus> statuses;  // any of these (empty: all)
  std::optional<int64_t> sweep_id;
  std::string tag;                     // runs carrying this tag
  std::vector<ColumnCondition> where;  // all must hold
  std::string sort_by = "id";          // one of run_query_columns(); NULLs sort last
  bool descending = false;
  std::optional<int64_t> limit;
};

enum class CurveMetric { TrainLoss, ValLoss, Lr, GradNorm, TokensPerSecond };
enum class CurveAxis { Step, TokensSeen, WallTime };
struct CurvePoint {
  double x = 0;
  double y = 0;
};
struct CurveSeries {
  int64_t run_id = 0;
  std::vector<CurvePoint> points;  // sorted by x; rows where the metric is missing are skipped
};

// One cell of the rank × alpha table: the best run among those with this rank and alpha.
struct RankAlphaCell {
  int64_t rank = 0;
  double alpha = 0;
  double best_val_loss = 0;
  int64_t best_run_id = 0;
  int64_t runs = 0;  // runs in the cell that have a validation loss
};

struct ParetoPoint {
  int64_t run_id = 0;
  std::string name;
  int64_t trainable_params = 0;
  double best_val_loss = 0;
};

// ---- the store ------------------------------------------------------------------------------

struct StoreOptions {
  bool create_if_missing = true;  // else a missing file is an error
  int busy_timeout_ms = 5000;     // how long a writer waits for another process's transaction
  // A running run whose heartbeat is older than this is taken for dead even if a process with
  // its pid exists (pid reuse, a hung process, another host). Owners beat far more often. A paused
  // run beats not at all: on its own host it lives as long as its owner process does.
  double stale_heartbeat_seconds = 900;
  bool mark_interrupted = true;  // check for dead owners when opening
};

// The newest schema version this build reads and writes (PRAGMA user_version).
inline constexpr int kStoreSchemaVersion = 4;

// $XDG_DATA_HOME/loralab/experiments.sqlite, or ~/.local/share/loralab/experiments.sqlite.
std::string default_store_path();

// fnv1a-64 (16 hex digits) of the JSON re-serialized with sorted keys and no spaces, so equal
// configs hash equally however they were formatted. Throws if `json` is not valid JSON.
std::string config_hash(const std::string& json);

class ExperimentStore {
 public:
  // Opens or creates the store, migrating an older schema forward. Throws loralab::Error naming
  // the file for: a folder that cannot be written, a file that is not SQLite or not a LoRA Lab
  // store, a store written by a newer version.
  explicit ExperimentStore(const std::string& path, const StoreOptions& options = {});
  ~ExperimentStore();
  ExperimentStore(ExperimentStore&&) noexcept;
  ExperimentStore& operator=(ExperimentStore&&) noexcept;

  const std::string& path() const;
  int schema_version() const;
  // Runs this open marked interrupted because their owner had died.
  const std::vector<int64_t>& interrupted_at_open() const;

  // -- runs
  // Inserts a run with run.status (Queued: appended to the queue unless queue_position is set;
  // Running: owned by this process, started now). Returns its id.
  int64_t create_run(const RunRecord& run);
  RunRecord run(int64_t id) const;  // throws naming the id when missing
  std::optional<RunRecord> find_run(int64_t id) const;
  // Queued / interrupted / paused / stopped / failed → running, owned by this process. Refuses a
  // run that is done or owned by a live process.
  void start_run(int64_t id);
  void set_paused(int64_t id, bool paused);  // running ↔ paused
  void heartbeat(int64_t id);
  // Ends a run: status Done, Stopped or Failed (with an error message).
  void finish_run(int64_t id, RunStatus status, const std::string& error_message = {});
  void update_results(int64_t id, const RunResults& results);
  void set_tags(int64_t id, const std::vector<std::string>& tags);
  void set_notes(int64_t id, const std::string& notes);
  void delete_run(int64_t id);  // with its metrics, samples and artifacts
  // Marks running/paused runs whose owner is dead as interrupted; returns their ids. Done at open.
  std::vector<int64_t> mark_interrupted_runs();

  // -- queue (runs in status queued, ordered by queue_position)
  std::vector<RunRecord> queued_runs() const;
  std::optional<RunRecord> next_queued() const;
  // Atomically takes the head of the queue and starts it for this process (two runners never get
  // the same run).
  std::optional<RunRecord> claim_next_queued();
  void move_in_queue(int64_t id, int64_t index);  // 0 = head; clamped to the queue's length
  void cancel_queued(int64_t id);                 // → stopped, never started
  void requeue_run(int64_t id);  // an interrupted / stopped / failed run goes back to the tail

  // -- sweeps
  int64_t create_sweep(const SweepRecord& sweep);
  SweepRecord sweep(int64_t id) const;
  std::vector<SweepRecord> sweeps() const;
  // Creates the sweep and one queued run per point in one transaction: name "<sweep> <label>",
  // config_json = base.config_json with the point's overrides, columns from the point.
  // Returns the run ids in point order.
  std::vector<int64_t> enqueue_sweep(int64_t sweep_id, const RunRecord& base,
                                     const std::vector<SweepPoint>& points);
  // Creates the sweep, then the runs make_runs builds for its id (their sweep_id is set to it,
  // each is queued at the tail in order), all in one transaction: a failure leaves nothing.
  // Returns the sweep id and the run ids.
  std::pair<int64_t, std::vector<int64_t>> create_sweep_with_runs(
      const SweepRecord& sweep, const std::function<std::vector<RunRecord>(int64_t)>& make_runs);

  // -- metrics
  // All rows in one transaction (for imports and benchmarks; training uses MetricWriter).
  void insert_metrics(int64_t run_id, const std::vector<MetricRow>& rows);
  std::vector<MetricRow> metrics(int64_t run_id) const;
  int64_t metric_count(int64_t run_id) const;
  // Drops rows after `step` (resuming from a checkpoint) and recomputes the run's best val loss.
  void delete_metrics_after(int64_t run_id, int64_t step);

  // -- samples and artifacts
  int64_t add_sample(const SampleRecord& sample);
  std::vector<SampleRecord> samples(int64_t run_id) const;
  int64_t add_artifact(const ArtifactRecord& artifact);
  std::vector<ArtifactRecord> artifacts_for_run(int64_t run_id) const;
  std::vector<ArtifactRecord> artifacts_for_sweep(int64_t sweep_id) const;

  // -- comparison
  std::vector<RunRecord> list_runs(const RunQuery& query = {}) const;
  // Curves of `metric` against `axis` for each run, in the order given. A curve longer than
  // max_points (≥ 3) is downsampled to exactly max_points: the first and last points are kept
  // as they are; the points between are cut into max_points-2 consecutive buckets of nearly equal
  // count, each drawn as its mean x and mean y; the bucket holding the curve's minimum shows that
  // point itself, so the best loss is never averaged away.
  std::vector<CurveSeries> curves(const std::vector<int64_t>& run_ids, CurveMetric metric,
                                  int64_t max_points, CurveAxis axis = CurveAxis::Step) const;
  // Best validation loss per (rank, alpha) among runs with this target set that match `query`,
  // ordered by rank then alpha.
  std::vector<RankAlphaCell> rank_alpha_grid(const std::string& targets,
                                             const RunQuery& query = {}) const;
  // Runs not beaten on both trainable params and best val loss, by ascending params.
  std::vector<ParetoPoint> pareto_front(const RunQuery& query = {}) const;

  struct Impl;

 private:
  friend class MetricWriter;
  std::unique_ptr<Impl> impl_;
};

struct MetricWriterOptions {
  int64_t batch_rows = 64;         // commit when this many rows wait
  double max_delay_seconds = 1.0;  // or when the oldest waiting row is this old
  // After a commit from add() fails (the file stayed locked past the busy timeout, the disk is
  // full), add() keeps the rows and tries again only after this long, so training is not held up
  // by a busy timeout on every step. flush() always tries.
  double retry_delay_seconds = 10.0;
};

// Batches one run's metric rows: add() only appends in memory; a transaction commits the batch
// (and the run's heartbeat, best val loss and latest train loss) when batch_rows rows wait or the
// oldest is max_delay_seconds old, checked on each add(), and on flush() and destruction. A crash
// loses at most the rows not yet committed. Uses the store's connection: same thread, and the
// store must outlive the writer.
class MetricWriter {
 public:
  MetricWriter(ExperimentStore& store, int64_t run_id, const MetricWriterOptions& options = {});
  ~MetricWriter();  // flushes; an error there is swallowed (call flush() to see it)
  MetricWriter(const MetricWriter&) = delete;
  MetricWriter& operator=(const MetricWriter&) = delete;

  void add(const MetricRow& row);
  void flush();
  int64_t pending() const;
  int64_t committed_batches() const;

 private:
  ExperimentStore& store_;
  int64_t run_id_;
  MetricWriterOptions options_;
  std::vector<MetricRow> pending_;
  double oldest_pending_ = 0;  // steady-clock seconds of the first waiting row
  double next_attempt_ = 0;    // steady-clock seconds before which add() does not commit
  int64_t committed_batches_ = 0;
};

}  // namespace loralab
