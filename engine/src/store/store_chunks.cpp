// Metric chunks: every run's metric rows are also kept as packed blocks of up to kChunkRows rows
// (8 little-endian float64 each, NaN for "not measured"), in the order they were written. SQLite
// spends about 100 ns per row it steps through, so a curve query over 500 runs × 2,000 steps read
// row by row costs > 100 ms whatever the index; reading 16 blobs per run instead costs a few ms.
// The `metrics` table stays the source of truth: chunks are appended with each write and rebuilt
// from it when rows are deleted or a store from before chunks is migrated.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

#include "store/store_internal.h"

namespace loralab::store_detail {

namespace {

constexpr int64_t kChunkRows = 128;
constexpr size_t kColumns = 8;  // step, tokens_seen, wall_time, train_loss, val_loss, lr,
                                // grad_norm, tokens_per_second
constexpr size_t kRowBytes = kColumns * sizeof(double);
constexpr double kMissing = std::numeric_limits<double>::quiet_NaN();

void put_double(char* out, double value) {
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(out, &value, sizeof value);
  } else {
    uint64_t bits = std::bit_cast<uint64_t>(value);
    for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((bits >> (8 * i)) & 0xff);
  }
}

double get_double(const char* in) {
  if constexpr (std::endian::native == std::endian::little) {
    double value;
    std::memcpy(&value, in, sizeof value);
    return value;
  } else {
    uint64_t bits = 0;
    for (int i = 0; i < 8; ++i) bits |= uint64_t(static_cast<unsigned char>(in[i])) << (8 * i);
    return std::bit_cast<double>(bits);
  }
}

template <class T>
double or_missing(const std::optional<T>& value) {
  return value ? static_cast<double>(*value) : kMissing;
}

void encode_row(const MetricRow& row, std::string& out) {
  char bytes[kRowBytes];
  const double values[kColumns] = {
      static_cast<double>(row.step), or_missing(row.tokens_seen),      or_missing(row.wall_time),
      or_missing(row.train_loss),    or_missing(row.val_loss),         or_missing(row.lr),
      or_missing(row.grad_norm),     or_missing(row.tokens_per_second)};
  for (size_t c = 0; c < kColumns; ++c) put_double(bytes + c * sizeof(double), values[c]);
  out.append(bytes, kRowBytes);
}

void write_chunk(Database& db, int64_t run_id, int64_t chunk, const std::string& data) {
  auto upsert = db.cached(
      "INSERT INTO metric_chunks (run_id, chunk, row_count, data) VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT (run_id, chunk) DO UPDATE SET row_count = excluded.row_count, "
      "data = excluded.data");
  upsert->bind(1, run_id).bind(2, chunk).bind(3, static_cast<int64_t>(data.size() / kRowBytes));
  upsert->bind_blob(4, data.data(), data.size()).run();
}

// Appends rows after the run's last chunk, filling it up first.
void append_rows(Database& db, int64_t run_id, const std::vector<MetricRow>& rows) {
  int64_t chunk = 0;
  bool fill_last = false;
  std::string data;
  data.reserve(kChunkRows * kRowBytes);
  {
    // The blob is read only when the last chunk has room (its overflow pages cost a read).
    auto last = db.cached(
        "SELECT chunk, row_count FROM metric_chunks WHERE run_id = ?1 ORDER BY chunk DESC LIMIT 1");
    last->bind(1, run_id);
    if (last->step()) {
      chunk = last->int64(0);
      fill_last = last->int64(1) < kChunkRows;
      if (!fill_last) ++chunk;
    }
  }
  if (fill_last) {
    auto read = db.cached("SELECT data FROM metric_chunks WHERE run_id = ?1 AND chunk = ?2");
    read->bind(1, run_id).bind(2, chunk);
    if (read->step()) data = std::string(read->blob(0));
  }
  for (const MetricRow& row : rows) {
    if (static_cast<int64_t>(data.size() / kRowBytes) == kChunkRows) {
      write_chunk(db, run_id, chunk++, data);
      data.clear();
    }
    encode_row(row, data);
  }
  if (!data.empty()) write_chunk(db, run_id, chunk, data);
}

}  // namespace

void append_metric_chunks(Database& db, int64_t run_id, const std::vector<MetricRow>& rows) {
  if (!rows.empty()) append_rows(db, run_id, rows);
}

void rebuild_metric_chunks(Database& db, int64_t run_id) {
  auto remove = db.cached("DELETE FROM metric_chunks WHERE run_id = ?1");
  remove->bind(1, run_id).run();
  std::vector<MetricRow> rows;
  {
    auto select = db.cached(
        "SELECT step, tokens_seen, wall_time, train_loss, val_loss, lr, grad_norm, "
        "tokens_per_second FROM metrics WHERE run_id = ?1 ORDER BY step");
    select->bind(1, run_id);
    while (select->step())
      rows.push_back({select->int64(0), select->opt_int64(1), select->opt_real(2),
                      select->opt_real(3), select->opt_real(4), select->opt_real(5),
                      select->opt_real(6), select->opt_real(7)});
  }
  append_metric_chunks(db, run_id, rows);
}

void rebuild_all_metric_chunks(Database& db) {
  std::vector<int64_t> runs;
  {
    auto select = db.cached("SELECT DISTINCT run_id FROM metrics");
    while (select->step()) runs.push_back(select->int64(0));
  }
  for (int64_t run : runs) rebuild_metric_chunks(db, run);
}

std::vector<CurvePoint> chunk_curve(Database& db, int64_t run_id, int y_column, int x_column) {
  struct Occurrence {
    double step, x, y;
  };
  std::vector<Occurrence> seen;
  {
    auto select = db.cached("SELECT data FROM metric_chunks WHERE run_id = ?1 ORDER BY chunk");
    select->bind(1, run_id);
    while (select->step()) {
      std::string_view data = select->blob(0);
      const size_t rows = data.size() / kRowBytes;
      for (size_t r = 0; r < rows; ++r) {
        const char* row = data.data() + r * kRowBytes;
        seen.push_back({get_double(row), get_double(row + x_column * sizeof(double)),
                        get_double(row + y_column * sizeof(double))});
      }
    }
  }
  // A step written twice (its evaluation in a later batch) reads as the metrics table's upsert
  // does: each field from the newest write that has it.
  const bool ordered = std::is_sorted(seen.begin(), seen.end(),
                                      [](const auto& a, const auto& b) { return a.step < b.step; });
  if (!ordered)
    std::stable_sort(seen.begin(), seen.end(),
                     [](const auto& a, const auto& b) { return a.step < b.step; });
  std::vector<CurvePoint> points;
  points.reserve(seen.size());
  for (size_t i = 0; i < seen.size();) {
    double x = seen[i].x, y = seen[i].y;
    size_t j = i + 1;
    for (; j < seen.size() && seen[j].step == seen[i].step; ++j) {
      if (!std::isnan(seen[j].x)) x = seen[j].x;
      if (!std::isnan(seen[j].y)) y = seen[j].y;
    }
    if (!std::isnan(x) && !std::isnan(y)) points.push_back({x, y});
    i = j;
  }
  return points;
}

}  // namespace loralab::store_detail
