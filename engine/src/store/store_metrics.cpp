// Per-step metrics: batched writes (MetricWriter), bulk inserts and reads. A batch is one
// transaction that also refreshes the run's heartbeat, best validation loss and latest train loss,
// so the runs table answers comparison queries without scanning metrics.
#include <chrono>

#include "store/store_internal.h"

namespace loralab {

using store_detail::Database;
using store_detail::WriteTransaction;

namespace {

double steady_seconds() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

// A second row for a step fills in what the first lacked (evaluation after the train step).
constexpr const char* kUpsertMetric =
    "INSERT INTO metrics (run_id, step, tokens_seen, wall_time, train_loss, val_loss, lr, "
    "grad_norm, tokens_per_second) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
    "ON CONFLICT (run_id, step) DO UPDATE SET "
    "tokens_seen = coalesce(excluded.tokens_seen, tokens_seen), "
    "wall_time = coalesce(excluded.wall_time, wall_time), "
    "train_loss = coalesce(excluded.train_loss, train_loss), "
    "val_loss = coalesce(excluded.val_loss, val_loss), "
    "lr = coalesce(excluded.lr, lr), "
    "grad_norm = coalesce(excluded.grad_norm, grad_norm), "
    "tokens_per_second = coalesce(excluded.tokens_per_second, tokens_per_second)";

void recompute_best(Database& db, int64_t run_id) {
  auto update = db.cached(
      "UPDATE runs SET (best_val_loss, best_val_step) = (SELECT val_loss, step FROM metrics "
      "WHERE run_id = ?1 AND val_loss IS NOT NULL ORDER BY val_loss, step LIMIT 1), "
      "final_train_loss = (SELECT train_loss FROM metrics WHERE run_id = ?1 AND train_loss IS "
      "NOT NULL ORDER BY step DESC LIMIT 1) WHERE id = ?1");
  update->bind(1, run_id).run();
}

}  // namespace

namespace store_detail {

void write_metric_batch(Database& db, int64_t run_id, const std::vector<MetricRow>& rows) {
  WriteTransaction transaction(db);
  // Touch the run first: it proves the run exists before rows fail on the foreign key.
  {
    auto touch = db.cached(
        "UPDATE runs SET heartbeat_at = CASE WHEN status IN ('running', 'paused') THEN ?2 "
        "ELSE heartbeat_at END WHERE id = ?1");
    touch->bind(1, run_id).bind(2, now_seconds()).run();
    if (sqlite3_changes(db.get()) == 0)
      throw Error(db.path() + ": cannot write metrics: no run with id " + std::to_string(run_id));
  }
  std::optional<double> best_loss;
  int64_t best_step = 0;
  std::optional<double> last_train;
  int64_t last_train_step = 0;
  {
    auto insert = db.cached(kUpsertMetric);
    for (const MetricRow& row : rows) {
      insert->bind(1, run_id)
          .bind(2, row.step)
          .bind(3, row.tokens_seen)
          .bind(4, row.wall_time)
          .bind(5, row.train_loss)
          .bind(6, row.val_loss)
          .bind(7, row.lr)
          .bind(8, row.grad_norm)
          .bind(9, row.tokens_per_second);
      insert->run();
      insert->reset();
      if (row.val_loss && (!best_loss || *row.val_loss < *best_loss)) {
        best_loss = row.val_loss;
        best_step = row.step;
      }
      if (row.train_loss && (!last_train || row.step >= last_train_step)) {
        last_train = row.train_loss;
        last_train_step = row.step;
      }
    }
  }
  if (best_loss) {
    auto update = db.cached(
        "UPDATE runs SET best_val_loss = ?2, best_val_step = ?3 "
        "WHERE id = ?1 AND (best_val_loss IS NULL OR best_val_loss > ?2)");
    update->bind(1, run_id).bind(2, *best_loss).bind(3, best_step).run();
  }
  if (last_train) {
    auto update = db.cached("UPDATE runs SET final_train_loss = ?2 WHERE id = ?1");
    update->bind(1, run_id).bind(2, *last_train).run();
  }
  append_metric_chunks(db, run_id, rows);
  transaction.commit();
}

}  // namespace store_detail

void ExperimentStore::insert_metrics(int64_t run_id, const std::vector<MetricRow>& rows) {
  store_detail::write_metric_batch(impl_->db, run_id, rows);
}

std::vector<MetricRow> ExperimentStore::metrics(int64_t run_id) const {
  std::vector<MetricRow> rows;
  auto select = impl_->db.cached(
      "SELECT step, tokens_seen, wall_time, train_loss, val_loss, lr, grad_norm, "
      "tokens_per_second FROM metrics WHERE run_id = ?1 ORDER BY step");
  select->bind(1, run_id);
  while (select->step()) {
    MetricRow row;
    row.step = select->int64(0);
    row.tokens_seen = select->opt_int64(1);
    row.wall_time = select->opt_real(2);
    row.train_loss = select->opt_real(3);
    row.val_loss = select->opt_real(4);
    row.lr = select->opt_real(5);
    row.grad_norm = select->opt_real(6);
    row.tokens_per_second = select->opt_real(7);
    rows.push_back(row);
  }
  return rows;
}

int64_t ExperimentStore::metric_count(int64_t run_id) const {
  auto select = impl_->db.cached("SELECT count(*) FROM metrics WHERE run_id = ?1");
  select->bind(1, run_id);
  select->step();
  return select->int64(0);
}

void ExperimentStore::delete_metrics_after(int64_t run_id, int64_t step) {
  WriteTransaction transaction(impl_->db);
  run(run_id);  // names a missing run
  auto remove = impl_->db.cached("DELETE FROM metrics WHERE run_id = ?1 AND step > ?2");
  remove->bind(1, run_id).bind(2, step).run();
  recompute_best(impl_->db, run_id);
  store_detail::rebuild_metric_chunks(impl_->db, run_id);
  transaction.commit();
}

// ---- MetricWriter ---------------------------------------------------------------------------

MetricWriter::MetricWriter(ExperimentStore& store, int64_t run_id,
                           const MetricWriterOptions& options)
    : store_(store), run_id_(run_id), options_(options) {
  if (options_.batch_rows < 1) options_.batch_rows = 1;
  pending_.reserve(static_cast<size_t>(options_.batch_rows));
  store_.run(run_id);  // fail now, not at the first commit, for a run that does not exist
}

MetricWriter::~MetricWriter() {
  try {
    flush();
  } catch (const Error&) {
    // Destructors must not throw; a caller who cares about the last batch calls flush().
  }
}

void MetricWriter::add(const MetricRow& row) {
  if (pending_.empty()) oldest_pending_ = steady_seconds();
  pending_.push_back(row);
  const double now = steady_seconds();
  if (now < next_attempt_) return;
  if (static_cast<int64_t>(pending_.size()) >= options_.batch_rows ||
      now - oldest_pending_ >= options_.max_delay_seconds) {
    try {
      flush();
    } catch (const Error&) {
      next_attempt_ = now + options_.retry_delay_seconds;
      throw;
    }
  }
}

void MetricWriter::flush() {
  if (pending_.empty()) return;
  store_detail::write_metric_batch(store_.impl_->db, run_id_, pending_);
  pending_.clear();
  next_attempt_ = 0;
  ++committed_batches_;
}

int64_t MetricWriter::pending() const { return static_cast<int64_t>(pending_.size()); }
int64_t MetricWriter::committed_batches() const { return committed_batches_; }

}  // namespace loralab
