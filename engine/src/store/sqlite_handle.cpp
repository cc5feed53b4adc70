// RAII connection, statements and write transactions over the sqlite3 C API (see sqlite_handle.h).
#include "store/sqlite_handle.h"

#include "loralab/error.h"

namespace loralab::store_detail {

namespace {

std::string describe(sqlite3* db, int rc) {
  std::string message = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
    message += " (another process kept the store locked longer than the busy timeout)";
  return message;
}

}  // namespace

// ---- Statement ------------------------------------------------------------------------------

Statement::Statement(Database& db, std::string_view sql, bool persistent) : db_(db) {
  int rc = sqlite3_prepare_v3(db.get(), sql.data(), static_cast<int>(sql.size()),
                              persistent ? SQLITE_PREPARE_PERSISTENT : 0, &stmt_, nullptr);
  if (rc != SQLITE_OK) db.fail(rc, "preparing `" + std::string(sql.substr(0, 80)) + "`");
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::bind(int index, int64_t value) {
  int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK) db_.fail(rc, "binding parameter " + std::to_string(index));
  return *this;
}

Statement& Statement::bind(int index, double value) {
  int rc = sqlite3_bind_double(stmt_, index, value);
  if (rc != SQLITE_OK) db_.fail(rc, "binding parameter " + std::to_string(index));
  return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
  int rc =
      sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK) db_.fail(rc, "binding parameter " + std::to_string(index));
  return *this;
}

Statement& Statement::bind_null(int index) {
  int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK) db_.fail(rc, "binding parameter " + std::to_string(index));
  return *this;
}

Statement& Statement::bind_blob(int index, const void* data, size_t size) {
  int rc = sqlite3_bind_blob64(stmt_, index, data, size, SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) db_.fail(rc, "binding parameter " + std::to_string(index));
  return *this;
}

bool Statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  std::string sql = sqlite3_sql(stmt_) ? sqlite3_sql(stmt_) : "";
  sqlite3_reset(stmt_);
  db_.fail(rc, "running `" + sql.substr(0, 80) + "`");
}

void Statement::run() {
  while (step()) {
  }
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

bool Statement::is_null(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

int64_t Statement::int64(int column) const { return sqlite3_column_int64(stmt_, column); }

double Statement::real(int column) const { return sqlite3_column_double(stmt_, column); }

std::string Statement::text(int column) const {
  const unsigned char* data = sqlite3_column_text(stmt_, column);
  if (!data) return {};
  return std::string(reinterpret_cast<const char*>(data),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

std::string_view Statement::blob(int column) const {
  const void* data = sqlite3_column_blob(stmt_, column);
  if (!data) return {};
  return {static_cast<const char*>(data), static_cast<size_t>(sqlite3_column_bytes(stmt_, column))};
}

std::optional<int64_t> Statement::opt_int64(int column) const {
  if (is_null(column)) return std::nullopt;
  return int64(column);
}

std::optional<double> Statement::opt_real(int column) const {
  if (is_null(column)) return std::nullopt;
  return real(column);
}

// ---- Database -------------------------------------------------------------------------------

Database::~Database() {
  cache_.clear();  // statements must be finalized before the connection closes
  if (db_) sqlite3_close_v2(db_);
}

void Database::open(const std::string& path, bool create, int busy_timeout_ms) {
  path_ = path;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
  int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = describe(db_, rc);
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw Error(path + ": cannot open the experiment store: " + message);
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, busy_timeout_ms);
}

void Database::execute(std::string_view sql) {
  while (!sql.empty()) {
    sqlite3_stmt* raw = nullptr;
    const char* tail = nullptr;
    int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &raw, &tail);
    if (rc != SQLITE_OK) fail(rc, "preparing `" + std::string(sql.substr(0, 80)) + "`");
    if (raw) {
      while ((rc = sqlite3_step(raw)) == SQLITE_ROW) {
      }
      sqlite3_finalize(raw);
      if (rc != SQLITE_DONE) fail(rc, "running `" + std::string(sql.substr(0, 80)) + "`");
    }
    sql.remove_prefix(static_cast<size_t>(tail - sql.data()));
  }
}

StatementUse Database::cached(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end())
    it = cache_.emplace(sql, std::make_unique<Statement>(*this, sql, true)).first;
  return StatementUse(*it->second);
}

int64_t Database::query_int(std::string_view sql) {
  Statement statement(*this, sql, false);
  int64_t value = statement.step() ? statement.int64(0) : 0;
  statement.reset();
  return value;
}

void Database::fail(int rc, std::string_view context) const {
  std::string message = describe(db_, rc);
  if ((rc & 0xff) == SQLITE_NOTADB)
    throw Error(path_ + ": not an SQLite database (" + message + ")");
  if ((rc & 0xff) == SQLITE_CORRUPT)
    throw Error(path_ + ": the experiment store is damaged (" + message + ") while " +
                std::string(context));
  throw Error(path_ + ": " + message + " while " + std::string(context));
}

// ---- WriteTransaction -----------------------------------------------------------------------

WriteTransaction::WriteTransaction(Database& db) : db_(db) {
  db_.cached("BEGIN IMMEDIATE")->run();
  open_ = true;
}

WriteTransaction::~WriteTransaction() {
  if (!open_) return;
  try {
    db_.cached("ROLLBACK")->run();
  } catch (const Error&) {
    // The connection already rolled back (e.g. after an I/O error); nothing left to undo.
  }
}

void WriteTransaction::commit() {
  db_.cached("COMMIT")->run();
  open_ = false;
}

ReadTransaction::ReadTransaction(Database& db) : db_(db) {
  if (!sqlite3_get_autocommit(db_.get())) return;
  db_.cached("BEGIN")->run();
  open_ = true;
}

ReadTransaction::~ReadTransaction() {
  if (!open_) return;
  try {
    db_.cached("COMMIT")->run();  // nothing was written: this only ends the snapshot
  } catch (const Error&) {
    try {
      db_.cached("ROLLBACK")->run();
    } catch (const Error&) {
      // Already ended by SQLite itself.
    }
  }
}

}  // namespace loralab::store_detail
