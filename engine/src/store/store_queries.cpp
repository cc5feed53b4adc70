// Comparison queries: runs filtered and sorted by whitelisted columns, curves downsampled for
// plotting, the rank × alpha table and the params-vs-loss Pareto front. Column names and operators
// come only from fixed lists; every value is a bound parameter.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

#include "store/store_internal.h"

namespace loralab {

using store_detail::Binding;

namespace {

enum class ColumnType { Int, Real, Text, Status };
struct QueryColumn {
  const char* name;
  ColumnType type;
};

constexpr QueryColumn kQueryColumns[] = {
    {"id", ColumnType::Int},
    {"name", ColumnType::Text},
    {"status", ColumnType::Status},
    {"created_at", ColumnType::Real},
    {"started_at", ColumnType::Real},
    {"finished_at", ColumnType::Real},
    {"base_model_path", ColumnType::Text},
    {"base_model_hash", ColumnType::Text},
    {"dataset_path", ColumnType::Text},
    {"dataset_fingerprint", ColumnType::Text},
    {"config_hash", ColumnType::Text},
    {"rank", ColumnType::Int},
    {"alpha", ColumnType::Real},
    {"targets", ColumnType::Text},
    {"lr", ColumnType::Real},
    {"dropout", ColumnType::Real},
    {"seed", ColumnType::Int},
    {"precision", ColumnType::Text},
    {"steps", ColumnType::Int},
    {"trainable_params", ColumnType::Int},
    {"total_params", ColumnType::Int},
    {"best_val_loss", ColumnType::Real},
    {"best_val_step", ColumnType::Int},
    {"final_train_loss", ColumnType::Real},
    {"tokens_per_second", ColumnType::Real},
    {"peak_rss_bytes", ColumnType::Int},
    {"adapter_path", ColumnType::Text},
    {"owner_pid", ColumnType::Int},
    {"heartbeat_at", ColumnType::Real},
    {"sweep_id", ColumnType::Int},
    {"queue_position", ColumnType::Int},
};

constexpr const char* kOperators[] = {"<=", ">=", "!=", "=", "<", ">"};  // longest first

std::string known_columns_text() {
  std::string text;
  for (const auto& column : kQueryColumns)
    text += (text.empty() ? "" : ", ") + std::string(column.name);
  return text;
}

const QueryColumn& query_column(const std::string& name, const std::string& context) {
  for (const auto& column : kQueryColumns)
    if (name == column.name) return column;
  throw Error(context + ": unknown column '" + name + "'; known columns: " + known_columns_text());
}

Binding condition_value(const ColumnCondition& condition, ColumnType type) {
  const std::string& text = condition.value;
  auto fail = [&](const char* expected) -> Binding {
    throw Error("run filter " + condition.column + condition.op + text + ": " + condition.column +
                " expects " + expected + ", found '" + text + "'");
  };
  const char* end = text.data() + text.size();
  switch (type) {
    case ColumnType::Int: {
      int64_t value = 0;
      auto [ptr, ec] = std::from_chars(text.data(), end, value);
      if (ec == std::errc() && ptr == end) return value;
      return fail("a whole number");
    }
    case ColumnType::Real: {
      double value = 0;
      auto [ptr, ec] = std::from_chars(text.data(), end, value);
      if (ec == std::errc() && ptr == end && std::isfinite(value)) return value;
      return fail("a number");
    }
    case ColumnType::Status:
      return std::string(run_status_name(parse_run_status(text)));
    case ColumnType::Text:
      return text;
  }
  return fail("a value");
}

// Downsampling rule documented at ExperimentStore::curves.
std::vector<CurvePoint> downsample(const std::vector<CurvePoint>& points, size_t max_points) {
  if (points.size() <= max_points) return points;
  size_t minimum = 0;
  for (size_t i = 1; i < points.size(); ++i)
    if (points[i].y < points[minimum].y) minimum = i;
  std::vector<CurvePoint> out;
  out.reserve(max_points);
  out.push_back(points.front());
  size_t interior = points.size() - 2, buckets = max_points - 2;
  for (size_t b = 0; b < buckets; ++b) {
    size_t begin = 1 + b * interior / buckets, end = 1 + (b + 1) * interior / buckets;
    if (minimum >= begin && minimum < end) {
      out.push_back(points[minimum]);
      continue;
    }
    double sum_x = 0, sum_y = 0;
    for (size_t i = begin; i < end; ++i) {
      sum_x += points[i].x;
      sum_y += points[i].y;
    }
    double n = static_cast<double>(end - begin);
    out.push_back({sum_x / n, sum_y / n});
  }
  out.push_back(points.back());
  return out;
}

const char* metric_column(CurveMetric metric) {
  switch (metric) {
    case CurveMetric::TrainLoss:
      return "train_loss";
    case CurveMetric::ValLoss:
      return "val_loss";
    case CurveMetric::Lr:
      return "lr";
    case CurveMetric::GradNorm:
      return "grad_norm";
    case CurveMetric::TokensPerSecond:
      return "tokens_per_second";
  }
  return "train_loss";
}

const char* axis_column(CurveAxis axis) {
  switch (axis) {
    case CurveAxis::Step:
      return "step";
    case CurveAxis::TokensSeen:
      return "tokens_seen";
    case CurveAxis::WallTime:
      return "wall_time";
  }
  return "step";
}

// Column positions in a packed metric chunk (store_chunks.cpp).
int chunk_column(CurveMetric metric) {
  switch (metric) {
    case CurveMetric::TrainLoss:
      return 3;
    case CurveMetric::ValLoss:
      return 4;
    case CurveMetric::Lr:
      return 5;
    case CurveMetric::GradNorm:
      return 6;
    case CurveMetric::TokensPerSecond:
      return 7;
  }
  return 3;
}

int axis_index(CurveAxis axis) {
  switch (axis) {
    case CurveAxis::Step:
      return 0;
    case CurveAxis::TokensSeen:
      return 1;
    case CurveAxis::WallTime:
      return 2;
  }
  return 0;
}

}  // namespace

const std::vector<std::string>& run_query_columns() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& column : kQueryColumns) out.push_back(column.name);
    return out;
  }();
  return names;
}

ColumnCondition parse_column_condition(const std::string& text) {
  // The operator is the first operator character; the value may contain any (name=a<b).
  size_t at = text.find_first_of("=!<>");
  if (at != std::string::npos && at > 0) {
    for (const char* op : kOperators) {
      if (text.compare(at, std::strlen(op), op) != 0) continue;
      auto trim = [](const std::string& part) {
        size_t begin = part.find_first_not_of(' ');
        if (begin == std::string::npos) return std::string();
        return part.substr(begin, part.find_last_not_of(' ') - begin + 1);
      };
      ColumnCondition condition{trim(text.substr(0, at)), op,
                                trim(text.substr(at + std::strlen(op)))};
      query_column(condition.column, "run filter '" + text + "'");
      return condition;
    }
  }
  throw Error("run filter '" + text + "': expected COLUMN OP VALUE with OP one of = != < <= > >= " +
              "(e.g. rank>=8); known columns: " + known_columns_text());
}

namespace store_detail {

std::string run_query_where(const RunQuery& query, std::vector<Binding>& bindings,
                            const std::string& extra_condition) {
  std::vector<std::string> conditions;
  if (!extra_condition.empty()) conditions.push_back(extra_condition);
  if (!query.statuses.empty()) {
    std::string list;
    for (RunStatus status : query.statuses) {
      list += list.empty() ? "?" : ", ?";
      bindings.emplace_back(std::string(run_status_name(status)));
    }
    conditions.push_back("status IN (" + list + ")");
  }
  if (query.sweep_id) {
    conditions.push_back("sweep_id = ?");
    bindings.emplace_back(*query.sweep_id);
  }
  if (!query.tag.empty()) {
    conditions.push_back("EXISTS (SELECT 1 FROM json_each(runs.tags) WHERE json_each.value = ?)");
    bindings.emplace_back(query.tag);
  }
  for (const auto& condition : query.where) {
    const QueryColumn& column = query_column(condition.column, "run filter");
    if (std::find(std::begin(kOperators), std::end(kOperators), condition.op) ==
        std::end(kOperators))
      throw Error("run filter " + condition.column + ": unknown operator '" + condition.op +
                  "'; expected one of = != < <= > >=");
    conditions.push_back(std::string(column.name) + " " + condition.op + " ?");
    bindings.push_back(condition_value(condition, column.type));
  }
  std::string sql;
  for (const auto& condition : conditions) sql += (sql.empty() ? " WHERE " : " AND ") + condition;
  return sql;
}

}  // namespace store_detail

std::vector<RunRecord> ExperimentStore::list_runs(const RunQuery& query) const {
  std::vector<Binding> bindings;
  std::string sql = store_detail::kRunSelect + store_detail::run_query_where(query, bindings);
  const QueryColumn& sort = query_column(query.sort_by, "run sort");
  std::string direction = query.descending ? " DESC" : "";
  sql += std::string(" ORDER BY ") + sort.name + " IS NULL, " + sort.name + direction + ", id" +
         direction;
  if (query.limit) {
    sql += " LIMIT ?";
    bindings.emplace_back(*query.limit);
  }
  store_detail::Statement select(impl_->db, sql, false);
  store_detail::bind_all(select, bindings);
  std::vector<RunRecord> runs;
  while (select.step()) runs.push_back(store_detail::read_run(select));
  return runs;
}

std::vector<CurveSeries> ExperimentStore::curves(const std::vector<int64_t>& run_ids,
                                                 CurveMetric metric, int64_t max_points,
                                                 CurveAxis axis) const {
  if (max_points < 3)
    throw Error(path() + ": curves need max_points >= 3 (first, last and one between), got " +
                std::to_string(max_points));
  std::string x = axis_column(axis), y = metric_column(metric);
  // Validation losses are sparse (one row in tens) and have a partial index: reading those rows
  // is cheaper than unpacking every chunk. Dense metrics come from the packed chunks.
  const bool sparse = metric == CurveMetric::ValLoss;
  std::string sql = "SELECT " + x + ", " + y + " FROM metrics WHERE run_id = ?1 AND " + y +
                    " IS NOT NULL AND " + x + " IS NOT NULL ORDER BY step";
  std::vector<CurveSeries> out;
  // One read transaction for all runs: one snapshot, and no lock taken and dropped per run.
  store_detail::ReadTransaction snapshot(impl_->db);
  for (int64_t id : run_ids) {
    {
      auto exists = impl_->db.cached("SELECT 1 FROM runs WHERE id = ?1");
      exists->bind(1, id);
      if (!exists->step()) throw Error(path() + ": curves: no run with id " + std::to_string(id));
    }
    CurveSeries series{id, {}};
    if (sparse) {
      auto select = impl_->db.cached(sql);
      select->bind(1, id);
      while (select->step()) series.points.push_back({select->real(0), select->real(1)});
    } else {
      series.points = store_detail::chunk_curve(impl_->db, id, chunk_column(metric),
                                                static_cast<int>(axis_index(axis)));
    }
    series.points = downsample(series.points, static_cast<size_t>(max_points));
    out.push_back(std::move(series));
  }
  return out;
}

std::vector<RankAlphaCell> ExperimentStore::rank_alpha_grid(const std::string& targets,
                                                            const RunQuery& query) const {
  std::vector<Binding> bindings{targets};
  std::string sql =
      "SELECT rank, alpha, best_val_loss, id FROM runs" +
      store_detail::run_query_where(query, bindings,
                                    "targets = ? AND rank IS NOT NULL AND alpha IS NOT NULL AND "
                                    "best_val_loss IS NOT NULL") +
      " ORDER BY rank, alpha, best_val_loss, id";
  store_detail::Statement select(impl_->db, sql, false);
  store_detail::bind_all(select, bindings);
  std::vector<RankAlphaCell> cells;
  while (select.step()) {
    int64_t rank = select.int64(0);
    double alpha = select.real(1);
    if (!cells.empty() && cells.back().rank == rank && cells.back().alpha == alpha) {
      ++cells.back().runs;  // rows come best first within a cell
      continue;
    }
    cells.push_back({rank, alpha, select.real(2), select.int64(3), 1});
  }
  return cells;
}

std::vector<ParetoPoint> ExperimentStore::pareto_front(const RunQuery& query) const {
  std::vector<Binding> bindings;
  std::string sql =
      "SELECT id, name, trainable_params, best_val_loss FROM runs" +
      store_detail::run_query_where(query, bindings,
                                    "trainable_params IS NOT NULL AND best_val_loss IS NOT NULL") +
      " ORDER BY trainable_params, best_val_loss, id";
  store_detail::Statement select(impl_->db, sql, false);
  store_detail::bind_all(select, bindings);
  std::vector<ParetoPoint> front;
  while (select.step()) {
    double loss = select.real(3);
    // Sorted by params: a run joins the front only if it beats every cheaper (or equal) run.
    if (!front.empty() && loss >= front.back().best_val_loss) continue;
    front.push_back({select.int64(0), select.text(1), select.int64(2), loss});
  }
  return front;
}

}  // namespace loralab
