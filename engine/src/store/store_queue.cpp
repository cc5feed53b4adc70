// The persistent run queue (runs in status `queued`, ordered by queue_position) and sweeps, whose
// points become queued runs. Everything lives in the file, so a restart finds the queue as it was.
#include <algorithm>

#include <nlohmann/json.hpp>

#include "store/store_internal.h"

namespace loralab {

using store_detail::Database;
using store_detail::WriteTransaction;

namespace {

std::vector<int64_t> queued_ids(Database& db) {
  std::vector<int64_t> ids;
  auto select =
      db.cached("SELECT id FROM runs WHERE status = 'queued' ORDER BY queue_position, id");
  while (select->step()) ids.push_back(select->int64(0));
  return ids;
}

std::string status_of(Database& db, int64_t id) {
  auto select = db.cached("SELECT status FROM runs WHERE id = ?1");
  select->bind(1, id);
  if (!select->step()) throw Error(db.path() + ": no run with id " + std::to_string(id));
  return select->text(0);
}

SweepRecord read_sweep(const store_detail::Statement& row) {
  SweepRecord sweep;
  sweep.id = row.int64(0);
  sweep.name = row.text(1);
  sweep.grid = row.text(2);
  sweep.search = row.text(3);
  sweep.samples = row.opt_int64(4);
  sweep.seed = row.opt_int64(5);
  sweep.created_at = row.real(6);
  return sweep;
}

constexpr const char* kSweepSelect =
    "SELECT id, name, grid, search, samples, seed, created_at FROM sweeps";

// Copies a sweep point's overrides onto the filterable columns.
void apply_point(const SweepPoint& point, RunConfigColumns& columns) {
  for (const auto& [key, value] : point.overrides) {
    auto as_int = [&]() -> std::optional<int64_t> {
      if (auto* i = std::get_if<int64_t>(&value)) return *i;
      return std::nullopt;
    };
    auto as_real = [&]() -> std::optional<double> {
      if (auto* d = std::get_if<double>(&value)) return *d;
      if (auto* i = std::get_if<int64_t>(&value)) return static_cast<double>(*i);
      return std::nullopt;
    };
    if (key == "rank") columns.rank = as_int();
    if (key == "alpha") columns.alpha = as_real();
    if (key == "targets") columns.targets = sweep_value_text(value);
    if (key == "lr") columns.lr = as_real();
    if (key == "dropout") columns.dropout = as_real();
    if (key == "seed") columns.seed = as_int();
    if (key == "precision") columns.precision = sweep_value_text(value);
    if (key == "steps") columns.steps = as_int();
  }
}

}  // namespace

std::vector<RunRecord> ExperimentStore::queued_runs() const {
  std::vector<RunRecord> runs;
  auto select = impl_->db.cached(std::string(store_detail::kRunSelect) +
                                 " WHERE status = 'queued' ORDER BY queue_position, id");
  while (select->step()) runs.push_back(store_detail::read_run(*select));
  return runs;
}

std::optional<RunRecord> ExperimentStore::next_queued() const {
  auto ids = queued_ids(impl_->db);
  if (ids.empty()) return std::nullopt;
  return run(ids.front());
}

std::optional<RunRecord> ExperimentStore::claim_next_queued() {
  std::optional<int64_t> id;
  {
    WriteTransaction transaction(impl_->db);
    auto ids = queued_ids(impl_->db);  // read under the write lock: no other runner gets it
    if (ids.empty()) return std::nullopt;
    id = ids.front();
    double now = store_detail::now_seconds();
    auto update = impl_->db.cached(
        "UPDATE runs SET status = 'running', owner_pid = ?2, owner_host = ?3, heartbeat_at = ?4, "
        "started_at = coalesce(started_at, ?4), finished_at = NULL, error_message = NULL, "
        "queue_position = NULL WHERE id = ?1");
    update->bind(1, *id).bind(2, store_detail::this_pid()).bind(3, store_detail::this_host());
    update->bind(4, now).run();
    transaction.commit();
  }
  return run(*id);
}

void ExperimentStore::move_in_queue(int64_t id, int64_t index) {
  auto& db = impl_->db;
  WriteTransaction transaction(db);
  std::string status = status_of(db, id);
  if (status != "queued")
    throw Error(path() + ": run " + std::to_string(id) + " is " + status +
                ", not queued; only queued runs can be moved in the queue");
  auto ids = queued_ids(db);
  ids.erase(std::find(ids.begin(), ids.end(), id));
  index = std::clamp<int64_t>(index, 0, static_cast<int64_t>(ids.size()));
  ids.insert(ids.begin() + index, id);
  for (size_t position = 0; position < ids.size(); ++position) {
    auto update = db.cached("UPDATE runs SET queue_position = ?2 WHERE id = ?1");
    update->bind(1, ids[position]).bind(2, static_cast<int64_t>(position + 1)).run();
  }
  transaction.commit();
}

void ExperimentStore::cancel_queued(int64_t id) {
  auto& db = impl_->db;
  WriteTransaction transaction(db);
  std::string status = status_of(db, id);
  if (status != "queued")
    throw Error(path() + ": run " + std::to_string(id) + " is " + status +
                ", not queued; only queued runs can be cancelled (stop a running one)");
  auto update = db.cached(
      "UPDATE runs SET status = 'stopped', queue_position = NULL, finished_at = ?2, "
      "error_message = 'cancelled before it started' WHERE id = ?1");
  update->bind(1, id).bind(2, store_detail::now_seconds()).run();
  transaction.commit();
}

void ExperimentStore::requeue_run(int64_t id) {
  auto& db = impl_->db;
  WriteTransaction transaction(db);
  std::string status = status_of(db, id);
  if (status != "interrupted" && status != "stopped" && status != "failed")
    throw Error(path() + ": run " + std::to_string(id) + " is " + status +
                "; only interrupted, stopped or failed runs can be queued again");
  auto update = db.cached(
      "UPDATE runs SET status = 'queued', finished_at = NULL, queue_position = "
      "(SELECT coalesce(max(queue_position), 0) + 1 FROM runs WHERE status = 'queued') "
      "WHERE id = ?1");
  update->bind(1, id).run();
  transaction.commit();
}

int64_t ExperimentStore::create_sweep(const SweepRecord& sweep) {
  if (sweep.grid.empty()) throw Error(path() + ": sweep '" + sweep.name + "': the grid is empty");
  if (sweep.search != "grid" && sweep.search != "random")
    throw Error(path() + ": sweep '" + sweep.name + "': search '" + sweep.search +
                "', expected grid or random");
  auto insert = impl_->db.cached(
      "INSERT INTO sweeps (name, grid, search, samples, seed, created_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  insert->bind(1, sweep.name.empty() ? "sweep" : sweep.name)
      .bind(2, sweep.grid)
      .bind(3, sweep.search)
      .bind(4, sweep.samples)
      .bind(5, sweep.seed)
      .bind(6, store_detail::now_seconds())
      .run();
  return sqlite3_last_insert_rowid(impl_->db.get());
}

SweepRecord ExperimentStore::sweep(int64_t id) const {
  auto select = impl_->db.cached(std::string(kSweepSelect) + " WHERE id = ?1");
  select->bind(1, id);
  if (!select->step()) throw Error(path() + ": no sweep with id " + std::to_string(id));
  return read_sweep(*select);
}

std::vector<SweepRecord> ExperimentStore::sweeps() const {
  std::vector<SweepRecord> out;
  auto select = impl_->db.cached(std::string(kSweepSelect) + " ORDER BY id");
  while (select->step()) out.push_back(read_sweep(*select));
  return out;
}

std::pair<int64_t, std::vector<int64_t>> ExperimentStore::create_sweep_with_runs(
    const SweepRecord& sweep, const std::function<std::vector<RunRecord>(int64_t)>& make_runs) {
  WriteTransaction transaction(impl_->db);
  int64_t sweep_id = create_sweep(sweep);
  std::vector<int64_t> ids;
  for (RunRecord run : make_runs(sweep_id)) {
    run.id = 0;
    run.status = RunStatus::Queued;
    run.queue_position.reset();
    run.sweep_id = sweep_id;
    ids.push_back(store_detail::insert_run(impl_->db, run));
  }
  transaction.commit();
  return {sweep_id, ids};
}

std::vector<int64_t> ExperimentStore::enqueue_sweep(int64_t sweep_id, const RunRecord& base,
                                                    const std::vector<SweepPoint>& points) {
  store_detail::require_json_object(base.config_json, "sweep base run config_json");
  SweepRecord owner = sweep(sweep_id);
  auto base_config = nlohmann::json::parse(base.config_json);
  std::vector<int64_t> ids;
  WriteTransaction transaction(impl_->db);
  for (const auto& point : points) {
    RunRecord run = base;
    run.id = 0;
    run.status = RunStatus::Queued;
    run.queue_position.reset();
    run.sweep_id = sweep_id;
    run.name = owner.name + " " + point.label();
    nlohmann::json config = base_config;
    config.update(nlohmann::json::parse(point.json()));
    run.config_json = config.dump();
    run.config_hash.clear();
    apply_point(point, run.config);
    ids.push_back(store_detail::insert_run(impl_->db, run));
  }
  transaction.commit();
  return ids;
}

}  // namespace loralab
