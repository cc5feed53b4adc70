// ExperimentStore: opening, and a run's life (create, start, pause, heartbeat, finish) including
// the crash rule: a running or paused run whose owner process is gone becomes `interrupted`.
#include "store/store_internal.h"

namespace loralab {

using store_detail::Database;
using store_detail::WriteTransaction;

namespace {

struct Owner {
  int64_t id = 0;
  std::string status;
  std::optional<int64_t> pid;
  std::string host;
  std::optional<double> heartbeat;
};

bool is_this_process(const Owner& owner) {
  return owner.pid && *owner.pid == store_detail::this_pid() &&
         (owner.host.empty() || owner.host == store_detail::this_host());
}

// The pid test only means something on the owner's own host; elsewhere only the heartbeat tells.
// A paused run sends no heartbeats (its trainer waits between steps, for as long as the user
// likes), so on its own host a live owner keeps it whatever the heartbeat's age.
bool owner_gone(const Owner& owner, double now, double stale_seconds) {
  if (is_this_process(owner)) return false;
  bool same_host = owner.host.empty() || owner.host == store_detail::this_host();
  bool alive = same_host && owner.pid && store_detail::process_alive(*owner.pid);
  if (owner.status == "paused" && alive) return false;
  bool stale = !owner.heartbeat || now - *owner.heartbeat > stale_seconds;
  return stale || (same_host && !alive);
}

Owner read_owner(Database& db, int64_t id) {
  auto select =
      db.cached("SELECT status, owner_pid, owner_host, heartbeat_at FROM runs WHERE id = ?1");
  select->bind(1, id);
  if (!select->step()) throw Error(db.path() + ": no run with id " + std::to_string(id));
  return {id, select->text(0), select->opt_int64(1), select->text(2), select->opt_real(3)};
}

void require_changed(Database& db, int64_t id) {
  if (sqlite3_changes(db.get()) == 0)
    throw Error(db.path() + ": no run with id " + std::to_string(id));
}

}  // namespace

ExperimentStore::ExperimentStore(const std::string& path, const StoreOptions& options)
    : impl_(std::make_unique<Impl>()) {
  impl_->options = options;
  store_detail::open_store_file(impl_->db, path, options);
  impl_->schema_version = static_cast<int>(impl_->db.query_int("PRAGMA user_version"));
  if (options.mark_interrupted) impl_->interrupted_at_open = mark_interrupted_runs();
}

ExperimentStore::~ExperimentStore() = default;
ExperimentStore::ExperimentStore(ExperimentStore&&) noexcept = default;
ExperimentStore& ExperimentStore::operator=(ExperimentStore&&) noexcept = default;

const std::string& ExperimentStore::path() const { return impl_->db.path(); }
int ExperimentStore::schema_version() const { return impl_->schema_version; }
const std::vector<int64_t>& ExperimentStore::interrupted_at_open() const {
  return impl_->interrupted_at_open;
}

std::vector<int64_t> ExperimentStore::mark_interrupted_runs() {
  auto& db = impl_->db;
  auto candidates = [&] {
    std::vector<Owner> owners;
    auto select = db.cached(
        "SELECT id, status, owner_pid, owner_host, heartbeat_at FROM runs "
        "WHERE status IN ('running', 'paused') ORDER BY id");
    double now = store_detail::now_seconds();
    while (select->step()) {
      Owner owner{select->int64(0), select->text(1), select->opt_int64(2), select->text(3),
                  select->opt_real(4)};
      if (owner_gone(owner, now, impl_->options.stale_heartbeat_seconds)) owners.push_back(owner);
    }
    return owners;
  };
  // Look first without the write lock: usually nothing is to be marked.
  if (candidates().empty()) return {};
  WriteTransaction transaction(db);
  std::vector<int64_t> marked;
  for (const Owner& owner : candidates()) {
    auto update = db.cached(
        "UPDATE runs SET status = 'interrupted', finished_at = ?2, queue_position = NULL, "
        "error_message = coalesce(error_message, ?3) WHERE id = ?1");
    std::string why = owner.pid ? "owner process " + std::to_string(*owner.pid) +
                                      " ended without finishing the run"
                                : "no owner process recorded";
    update->bind(1, owner.id)
        .bind(2, owner.heartbeat.value_or(store_detail::now_seconds()))
        .bind(3, why)
        .run();
    marked.push_back(owner.id);
  }
  transaction.commit();
  return marked;
}

int64_t ExperimentStore::create_run(const RunRecord& run) {
  WriteTransaction transaction(impl_->db);
  int64_t id = store_detail::insert_run(impl_->db, run);
  transaction.commit();
  return id;
}

std::optional<RunRecord> ExperimentStore::find_run(int64_t id) const {
  auto select = impl_->db.cached(std::string(store_detail::kRunSelect) + " WHERE id = ?1");
  select->bind(1, id);
  if (!select->step()) return std::nullopt;
  return store_detail::read_run(*select);
}

RunRecord ExperimentStore::run(int64_t id) const {
  auto found = find_run(id);
  if (!found) throw Error(path() + ": no run with id " + std::to_string(id));
  return *found;
}

void ExperimentStore::start_run(int64_t id) {
  auto& db = impl_->db;
  WriteTransaction transaction(db);
  Owner owner = read_owner(db, id);
  if (owner.status == "done")
    throw Error(path() + ": run " + std::to_string(id) + " is done; there is nothing to start");
  bool active = owner.status == "running" || owner.status == "paused";
  if (active && !is_this_process(owner) &&
      !owner_gone(owner, store_detail::now_seconds(), impl_->options.stale_heartbeat_seconds))
    throw Error(path() + ": run " + std::to_string(id) + " is already " + owner.status +
                " in process " + std::to_string(owner.pid.value_or(0)) + " on " + owner.host);
  double now = store_detail::now_seconds();
  auto update = db.cached(
      "UPDATE runs SET status = 'running', owner_pid = ?2, owner_host = ?3, heartbeat_at = ?4, "
      "started_at = coalesce(started_at, ?4), finished_at = NULL, queue_position = NULL, "
      "error_message = NULL WHERE id = ?1");
  update->bind(1, id).bind(2, store_detail::this_pid()).bind(3, store_detail::this_host());
  update->bind(4, now).run();
  transaction.commit();
}

void ExperimentStore::set_paused(int64_t id, bool paused) {
  auto& db = impl_->db;
  WriteTransaction transaction(db);
  Owner owner = read_owner(db, id);
  const char* from = paused ? "running" : "paused";
  if (owner.status != from)
    throw Error(path() + ": run " + std::to_string(id) + " is " + owner.status + "; only a " +
                from + " run can be " + (paused ? "paused" : "resumed"));
  auto update = db.cached("UPDATE runs SET status = ?2, heartbeat_at = ?3 WHERE id = ?1");
  update->bind(1, id).bind(2, paused ? "paused" : "running").bind(3, store_detail::now_seconds());
  update->run();
  transaction.commit();
}

void ExperimentStore::heartbeat(int64_t id) {
  // A run wrongly taken for dead (its owner was suspended past the stale limit) is taken back by
  // its owner's next heartbeat.
  auto update = impl_->db.cached(
      "UPDATE runs SET heartbeat_at = ?2, "
      "finished_at = CASE WHEN status = 'interrupted' AND owner_pid = ?3 AND "
      "  coalesce(owner_host, '') = ?4 THEN NULL ELSE finished_at END, "
      "status = CASE WHEN status = 'interrupted' AND owner_pid = ?3 AND "
      "  coalesce(owner_host, '') = ?4 THEN 'running' ELSE status END "
      "WHERE id = ?1");
  update->bind(1, id).bind(2, store_detail::now_seconds()).bind(3, store_detail::this_pid());
  update->bind(4, store_detail::this_host()).run();
  require_changed(impl_->db, id);
}

void ExperimentStore::finish_run(int64_t id, RunStatus status, const std::string& error_message) {
  if (status != RunStatus::Done && status != RunStatus::Stopped && status != RunStatus::Failed)
    throw Error(path() + ": run " + std::to_string(id) + " cannot finish as '" +
                run_status_name(status) + "'; expected done, stopped or failed");
  double now = store_detail::now_seconds();
  auto update = impl_->db.cached(
      "UPDATE runs SET status = ?2, finished_at = ?3, heartbeat_at = ?3, queue_position = NULL, "
      "error_message = ?4 WHERE id = ?1");
  update->bind(1, id).bind(2, run_status_name(status)).bind(3, now);
  update->bind_text_or_null(4, error_message).run();
  require_changed(impl_->db, id);
}

void ExperimentStore::update_results(int64_t id, const RunResults& results) {
  auto update = impl_->db.cached(
      "UPDATE runs SET trainable_params = coalesce(?2, trainable_params), "
      "total_params = coalesce(?3, total_params), "
      "final_train_loss = coalesce(?4, final_train_loss), "
      "tokens_per_second = coalesce(?5, tokens_per_second), "
      "peak_rss_bytes = coalesce(?6, peak_rss_bytes), "
      "adapter_path = coalesce(?7, adapter_path), "
      "base_model_hash = coalesce(?8, base_model_hash), "
      "dataset_fingerprint = coalesce(?9, dataset_fingerprint) WHERE id = ?1");
  update->bind(1, id)
      .bind(2, results.trainable_params)
      .bind(3, results.total_params)
      .bind(4, results.final_train_loss)
      .bind(5, results.tokens_per_second)
      .bind(6, results.peak_rss_bytes)
      .bind(7, results.adapter_path)
      .bind(8, results.base_model_hash)
      .bind(9, results.dataset_fingerprint)
      .run();
  require_changed(impl_->db, id);
}

void ExperimentStore::set_tags(int64_t id, const std::vector<std::string>& tags) {
  for (const auto& tag : tags)
    if (tag.empty()) throw Error(path() + ": run " + std::to_string(id) + " tags: a tag is empty");
  auto update = impl_->db.cached("UPDATE runs SET tags = ?2 WHERE id = ?1");
  update->bind(1, id);
  if (tags.empty())
    update->bind_null(2);
  else
    update->bind(2, store_detail::tags_json(tags));
  update->run();
  require_changed(impl_->db, id);
}

void ExperimentStore::set_notes(int64_t id, const std::string& notes) {
  auto update = impl_->db.cached("UPDATE runs SET notes = ?2 WHERE id = ?1");
  update->bind(1, id).bind_text_or_null(2, notes).run();
  require_changed(impl_->db, id);
}

void ExperimentStore::delete_run(int64_t id) {
  WriteTransaction transaction(impl_->db);
  auto remove = impl_->db.cached("DELETE FROM runs WHERE id = ?1");
  remove->bind(1, id).run();
  require_changed(impl_->db, id);
  transaction.commit();
}

}  // namespace loralab
