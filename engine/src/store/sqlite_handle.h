// RAII wrappers over the sqlite3 C API for the experiment store: one owning connection, prepared
// statements (cached per connection, reset when a use ends so no read snapshot stays open) and an
// IMMEDIATE write transaction that rolls back unless committed. Every failure becomes a
// loralab::Error naming the store file and what was being done.
#pragma once
#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace loralab::store_detail {

class Database;

// One prepared statement. Bind indices are 1-based like sqlite3_bind_*; column indices 0-based.
class Statement {
 public:
  Statement(Database& db, std::string_view sql, bool persistent);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int index, int64_t value);
  Statement& bind(int index, int value) { return bind(index, static_cast<int64_t>(value)); }
  Statement& bind(int index, double value);
  Statement& bind(int index, std::string_view text);  // copied by SQLite
  Statement& bind(int index, const char* text) { return bind(index, std::string_view(text)); }
  Statement& bind(int index, const std::string& text) {
    return bind(index, std::string_view(text));
  }
  Statement& bind_null(int index);
  Statement& bind_blob(int index, const void* data, size_t size);  // copied by SQLite
  template <class T>
  Statement& bind(int index, const std::optional<T>& value) {
    return value ? bind(index, *value) : bind_null(index);
  }
  // Empty text is stored as NULL (the store's convention for "not known").
  Statement& bind_text_or_null(int index, const std::string& text) {
    return text.empty() ? bind_null(index) : bind(index, text);
  }

  bool step();   // true while a row is available; throws on error (including BUSY after timeout)
  void run();    // steps a statement that returns no rows
  void reset();  // resets and clears bindings; safe to call twice

  bool is_null(int column) const;
  int64_t int64(int column) const;
  double real(int column) const;
  std::string text(int column) const;  // "" for NULL
  // The column's bytes, valid until the next step/reset; {nullptr, 0} for NULL or empty.
  std::string_view blob(int column) const;
  std::optional<int64_t> opt_int64(int column) const;
  std::optional<double> opt_real(int column) const;

 private:
  Database& db_;
  sqlite3_stmt* stmt_ = nullptr;
};

// A cached statement borrowed for one use; resetting on destruction ends its read snapshot.
class StatementUse {
 public:
  explicit StatementUse(Statement& statement) : statement_(&statement) {}
  ~StatementUse() { statement_->reset(); }
  StatementUse(const StatementUse&) = delete;
  StatementUse& operator=(const StatementUse&) = delete;
  Statement* operator->() { return statement_; }
  Statement& operator*() { return *statement_; }

 private:
  Statement* statement_;
};

class Database {
 public:
  Database() = default;
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Opens (creating if `create`) the file; throws naming the path on failure.
  void open(const std::string& path, bool create, int busy_timeout_ms);
  bool is_open() const { return db_ != nullptr; }
  sqlite3* get() const { return db_; }
  const std::string& path() const { return path_; }

  // Runs one or more parameterless statements (DDL, PRAGMA), each prepared in turn.
  void execute(std::string_view sql);
  // A statement prepared once per connection and kept; use it through StatementUse.
  StatementUse cached(const std::string& sql);
  // Reads a single integer (e.g. a PRAGMA result).
  int64_t query_int(std::string_view sql);

  // Throws a loralab::Error for result code `rc`, naming the file and `context`.
  [[noreturn]] void fail(int rc, std::string_view context) const;

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
  std::unordered_map<std::string, std::unique_ptr<Statement>> cache_;
};

// BEGIN IMMEDIATE takes the write lock up front so two writers queue on the busy timeout instead
// of deadlocking on a read-to-write upgrade; the destructor rolls back an uncommitted transaction.
class WriteTransaction {
 public:
  explicit WriteTransaction(Database& db);
  ~WriteTransaction();
  WriteTransaction(const WriteTransaction&) = delete;
  WriteTransaction& operator=(const WriteTransaction&) = delete;
  void commit();

 private:
  Database& db_;
  bool open_ = false;
};

// A deferred transaction around several reads: one snapshot for all of them, and the shared lock
// taken once instead of per statement. Does nothing inside an already open transaction.
class ReadTransaction {
 public:
  explicit ReadTransaction(Database& db);
  ~ReadTransaction();
  ReadTransaction(const ReadTransaction&) = delete;
  ReadTransaction& operator=(const ReadTransaction&) = delete;

 private:
  Database& db_;
  bool open_ = false;
};

}  // namespace loralab::store_detail
