// `loralab-cli runs`: the runs in an experiment store, as a table for people or JSON for scripts,
// filtered and sorted like the app's comparison view.
#include <cstdio>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "args.h"
#include "commands.h"
#include "loralab/error.h"
#include "loralab/store.h"

namespace loralab::cli {
namespace {

template <class T>
nlohmann::json or_null(const std::optional<T>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

nlohmann::json or_null(const std::string& text) {
  return text.empty() ? nlohmann::json(nullptr) : nlohmann::json(text);
}

nlohmann::json run_json(const RunRecord& run) {
  auto config = nlohmann::json::parse(run.config_json, nullptr, false);
  return {
      {"id", run.id},
      {"name", run.name},
      {"status", run_status_name(run.status)},
      {"created_at", run.created_at},
      {"started_at", or_null(run.started_at)},
      {"finished_at", or_null(run.finished_at)},
      {"base_model_path", or_null(run.base_model_path)},
      {"base_model_hash", or_null(run.base_model_hash)},
      {"dataset_path", or_null(run.dataset_path)},
      {"dataset_fingerprint", or_null(run.dataset_fingerprint)},
      {"config", config.is_discarded() ? nlohmann::json(run.config_json) : config},
      {"config_hash", or_null(run.config_hash)},
      {"rank", or_null(run.config.rank)},
      {"alpha", or_null(run.config.alpha)},
      {"targets", or_null(run.config.targets)},
      {"lr", or_null(run.config.lr)},
      {"dropout", or_null(run.config.dropout)},
      {"seed", or_null(run.config.seed)},
      {"precision", or_null(run.config.precision)},
      {"steps", or_null(run.config.steps)},
      {"trainable_params", or_null(run.trainable_params)},
      {"total_params", or_null(run.total_params)},
      {"best_val_loss", or_null(run.best_val_loss)},
      {"best_val_step", or_null(run.best_val_step)},
      {"final_train_loss", or_null(run.final_train_loss)},
      {"tokens_per_second", or_null(run.tokens_per_second)},
      {"peak_rss_bytes", or_null(run.peak_rss_bytes)},
      {"adapter_path", or_null(run.adapter_path)},
      {"error_message", or_null(run.error_message)},
      {"tags", run.tags},
      {"notes", or_null(run.notes)},
      {"owner_pid", or_null(run.owner_pid)},
      {"owner_host", or_null(run.owner_host)},
      {"heartbeat_at", or_null(run.heartbeat_at)},
      {"sweep_id", or_null(run.sweep_id)},
      {"queue_position", or_null(run.queue_position)},
  };
}

std::string number(const std::optional<double>& value, const char* format = "%g") {
  if (!value) return "-";
  char text[32];
  std::snprintf(text, sizeof text, format, *value);
  return text;
}

std::string number(const std::optional<int64_t>& value) {
  return value ? std::to_string(*value) : "-";
}

std::string clip(const std::string& text, size_t width) {
  if (text.size() <= width) return text;
  return text.substr(0, width - 3) + "...";
}

void print_table(const std::vector<RunRecord>& runs, std::ostream& out) {
  char line[512];
  const char* format = "%-5s %-30s %-12s %5s %6s %-16s %9s %6s %-16s %10s\n";
  std::snprintf(line, sizeof line, format, "ID", "NAME", "STATUS", "RANK", "ALPHA", "TARGETS", "LR",
                "STEPS", "BEST VAL (STEP)", "PARAMS");
  out << line;
  for (const auto& run : runs) {
    std::string status = run_status_name(run.status);
    if (run.status == RunStatus::Queued && run.queue_position)
      status += " #" + std::to_string(*run.queue_position);
    std::string best = number(run.best_val_loss, "%.4f");
    if (run.best_val_step) best += " (" + std::to_string(*run.best_val_step) + ")";
    std::snprintf(line, sizeof line, format, std::to_string(run.id).c_str(),
                  clip(run.name, 30).c_str(), status.c_str(), number(run.config.rank).c_str(),
                  number(run.config.alpha).c_str(),
                  clip(run.config.targets.empty() ? "-" : run.config.targets, 16).c_str(),
                  number(run.config.lr).c_str(), number(run.config.steps).c_str(), best.c_str(),
                  number(run.trainable_params).c_str());
    out << line;
    if (run.status == RunStatus::Failed && !run.error_message.empty())
      out << "      error: " << run.error_message << "\n";
  }
}

int run_runs(const std::vector<std::string>& argv) {
  Args args(argv, {"json"});
  args.reject_unknown({"db", "json", "sweep", "status", "tag", "where", "sort", "limit"});
  std::string path = args.get_or("db", default_store_path());
  StoreOptions options;
  options.create_if_missing = false;
  ExperimentStore store(path, options);

  RunQuery query;
  if (auto sweep = args.get("sweep")) {
    query.sweep_id = parse_int(*sweep, "--sweep");
    store.sweep(*query.sweep_id);  // names a sweep that does not exist
  }
  if (auto statuses = args.get("status")) {
    std::stringstream list(*statuses);
    for (std::string item; std::getline(list, item, ',');) {
      try {
        query.statuses.push_back(parse_run_status(item));
      } catch (const Error& error) {
        throw Error(std::string("--status: ") + error.what());
      }
    }
  }
  query.tag = args.get_or("tag", "");
  for (const auto& condition : args.all("where")) {
    try {
      query.where.push_back(parse_column_condition(condition));
    } catch (const Error& error) {
      throw Error(std::string("--where: ") + error.what());
    }
  }
  if (auto sort = args.get("sort")) {
    query.sort_by = *sort;
    if (auto colon = sort->find(':'); colon != std::string::npos) {
      std::string direction = sort->substr(colon + 1);
      if (direction != "asc" && direction != "desc")
        throw Error("--sort " + *sort + ": expected COLUMN, COLUMN:asc or COLUMN:desc");
      query.sort_by = sort->substr(0, colon);
      query.descending = direction == "desc";
    }
  }
  if (args.has("limit")) {
    long long limit = args.get_int("limit", 0);
    if (limit < 1) throw Error("--limit: expected a count >= 1, got " + std::to_string(limit));
    query.limit = limit;
  }
  std::vector<RunRecord> runs;
  try {
    runs = store.list_runs(query);
  } catch (const Error& error) {
    throw Error(std::string(args.has("sort") ? "--sort/--where: " : "--where: ") + error.what());
  }

  if (args.has("json")) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& run : runs) out.push_back(run_json(run));
    std::cout << out.dump() << "\n";
  } else if (runs.empty()) {
    std::cout << "no runs in " << path << "\n";
  } else {
    print_table(runs, std::cout);
  }
  return 0;
}

const CommandRegistrar kRegistrar(
    "runs",
    {"list the runs of an experiment store (table or JSON)",
     "usage: loralab-cli runs [--db FILE] [--json] [--sweep ID] [--status S[,S...]] [--tag TAG]\n"
     "                        [--where COND]... [--sort COLUMN[:asc|:desc]] [--limit N]\n"
     "Lists the runs with their status (runs whose process died are shown as interrupted).\n"
     "--db defaults to $XDG_DATA_HOME/loralab/experiments.sqlite. --json prints an array of run\n"
     "objects. --where takes COLUMN OP VALUE with OP one of = != < <= > >= (e.g. rank>=8,\n"
     "targets=all-linear); --where and --sort accept any run column (id, name, status, rank,\n"
     "alpha, targets, lr, best_val_loss, trainable_params, created_at, ...).",
     run_runs});

}  // namespace
}  // namespace loralab::cli
