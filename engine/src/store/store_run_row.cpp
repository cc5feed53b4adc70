// How a RunRecord maps onto a row of `runs`: the column order read back, the insert, tags as a
// JSON array, and the dynamic-query helpers shared by the run queries.
#include <nlohmann/json.hpp>

#include "store/store_internal.h"

namespace loralab::store_detail {

const char* const kRunSelect =
    "SELECT id, name, status, created_at, started_at, finished_at, base_model_path, "
    "base_model_hash, dataset_path, dataset_fingerprint, config_json, config_hash, rank, alpha, "
    "targets, lr, dropout, seed, precision, steps, trainable_params, total_params, best_val_loss, "
    "best_val_step, final_train_loss, tokens_per_second, peak_rss_bytes, adapter_path, "
    "error_message, tags, notes, owner_pid, owner_host, heartbeat_at, sweep_id, queue_position "
    "FROM runs";

std::string tags_json(const std::vector<std::string>& tags) { return nlohmann::json(tags).dump(); }

void require_json_object(const std::string& json, const std::string& what) {
  nlohmann::json parsed;
  try {
    parsed = nlohmann::json::parse(json);
  } catch (const nlohmann::json::exception& e) {
    throw Error(what + ": expected a JSON object, found text that is not JSON (" + e.what() + ")");
  }
  if (!parsed.is_object())
    throw Error(what + ": expected a JSON object, found " + std::string(parsed.type_name()));
}

RunRecord read_run(const Statement& row) {
  RunRecord run;
  run.id = row.int64(0);
  run.name = row.text(1);
  run.status = parse_run_status(row.text(2));
  run.created_at = row.real(3);
  run.started_at = row.opt_real(4);
  run.finished_at = row.opt_real(5);
  run.base_model_path = row.text(6);
  run.base_model_hash = row.text(7);
  run.dataset_path = row.text(8);
  run.dataset_fingerprint = row.text(9);
  run.config_json = row.text(10);
  run.config_hash = row.text(11);
  run.config.rank = row.opt_int64(12);
  run.config.alpha = row.opt_real(13);
  run.config.targets = row.text(14);
  run.config.lr = row.opt_real(15);
  run.config.dropout = row.opt_real(16);
  run.config.seed = row.opt_int64(17);
  run.config.precision = row.text(18);
  run.config.steps = row.opt_int64(19);
  run.trainable_params = row.opt_int64(20);
  run.total_params = row.opt_int64(21);
  run.best_val_loss = row.opt_real(22);
  run.best_val_step = row.opt_int64(23);
  run.final_train_loss = row.opt_real(24);
  run.tokens_per_second = row.opt_real(25);
  run.peak_rss_bytes = row.opt_int64(26);
  run.adapter_path = row.text(27);
  run.error_message = row.text(28);
  std::string tags = row.text(29);
  if (!tags.empty()) {
    // A hand-edited tags cell that is not a JSON array of strings is shown as one tag.
    auto parsed = nlohmann::json::parse(tags, nullptr, false);
    if (parsed.is_array()) {
      for (const auto& tag : parsed)
        if (tag.is_string()) run.tags.push_back(tag.get<std::string>());
    } else {
      run.tags.push_back(tags);
    }
  }
  run.notes = row.text(30);
  run.owner_pid = row.opt_int64(31);
  run.owner_host = row.text(32);
  run.heartbeat_at = row.opt_real(33);
  run.sweep_id = row.opt_int64(34);
  run.queue_position = row.opt_int64(35);
  return run;
}

int64_t insert_run(Database& db, const RunRecord& run) {
  require_json_object(run.config_json, "run '" + run.name + "' config_json");
  for (const auto& tag : run.tags)
    if (tag.empty()) throw Error("run '" + run.name + "' tags: a tag is empty");
  double now = now_seconds();
  bool running = run.status == RunStatus::Running || run.status == RunStatus::Paused;
  int64_t queue_position = 0;  // 0: not queued (stored as NULL)
  if (run.status == RunStatus::Queued) {
    if (run.queue_position) {
      queue_position = *run.queue_position;
    } else {
      auto tail = db.cached(
          "SELECT coalesce(max(queue_position), 0) + 1 FROM runs WHERE status = 'queued'");
      tail->step();
      queue_position = tail->int64(0);
    }
  }

  auto insert = db.cached(
      "INSERT INTO runs (name, status, created_at, started_at, finished_at, base_model_path, "
      "base_model_hash, dataset_path, dataset_fingerprint, config_json, config_hash, rank, alpha, "
      "targets, lr, dropout, seed, precision, steps, trainable_params, total_params, "
      "best_val_loss, best_val_step, final_train_loss, tokens_per_second, peak_rss_bytes, "
      "adapter_path, error_message, tags, notes, owner_pid, owner_host, heartbeat_at, sweep_id, "
      "queue_position) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "
      "?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33, "
      "?34, ?35)");
  insert->bind(1, run.name)
      .bind(2, run_status_name(run.status))
      .bind(3, now)
      .bind(4, running && !run.started_at ? std::optional<double>(now) : run.started_at)
      .bind(5, run.finished_at)
      .bind_text_or_null(6, run.base_model_path)
      .bind_text_or_null(7, run.base_model_hash)
      .bind_text_or_null(8, run.dataset_path)
      .bind_text_or_null(9, run.dataset_fingerprint)
      .bind(10, run.config_json)
      .bind(11, run.config_hash.empty() ? config_hash(run.config_json) : run.config_hash)
      .bind(12, run.config.rank)
      .bind(13, run.config.alpha)
      .bind_text_or_null(14, run.config.targets)
      .bind(15, run.config.lr)
      .bind(16, run.config.dropout)
      .bind(17, run.config.seed)
      .bind_text_or_null(18, run.config.precision)
      .bind(19, run.config.steps)
      .bind(20, run.trainable_params)
      .bind(21, run.total_params)
      .bind(22, run.best_val_loss)
      .bind(23, run.best_val_step)
      .bind(24, run.final_train_loss)
      .bind(25, run.tokens_per_second)
      .bind(26, run.peak_rss_bytes)
      .bind_text_or_null(27, run.adapter_path)
      .bind_text_or_null(28, run.error_message);
  if (run.tags.empty())
    insert->bind_null(29);
  else
    insert->bind(29, tags_json(run.tags));
  insert->bind_text_or_null(30, run.notes);
  if (running) {
    insert->bind(31, this_pid()).bind(32, this_host()).bind(33, now);
  } else {
    insert->bind(31, run.owner_pid)
        .bind_text_or_null(32, run.owner_host)
        .bind(33, run.heartbeat_at);
  }
  insert->bind(34, run.sweep_id);
  if (queue_position > 0)
    insert->bind(35, queue_position);
  else
    insert->bind_null(35);
  insert->run();
  int64_t id = sqlite3_last_insert_rowid(db.get());
  if (run.name.empty()) {
    auto rename = db.cached("UPDATE runs SET name = 'run ' || id WHERE id = ?1");
    rename->bind(1, id).run();
  }
  return id;
}

void bind_all(Statement& statement, const std::vector<Binding>& bindings, int first_index) {
  int index = first_index;
  for (const auto& value : bindings)
    std::visit([&](const auto& v) { statement.bind(index++, v); }, value);
}

}  // namespace loralab::store_detail
