// The store's schema as a list of forward migrations (user_version N → N+1) and the checks made
// before a file is trusted: writable folder, SQLite header, our application_id, not newer than us.
// A new store runs every migration in turn, so the upgrade path is the path every store takes.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "store/store_internal.h"

namespace loralab::store_detail {

namespace {

namespace fs = std::filesystem;

// v1: runs, their metrics and samples, sweeps.
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE sweeps (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  grid TEXT NOT NULL,
  search TEXT NOT NULL DEFAULT 'grid' CHECK (search IN ('grid', 'random')),
  samples INTEGER,
  seed INTEGER,
  created_at REAL NOT NULL
);
CREATE TABLE runs (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN
    ('queued', 'running', 'paused', 'done', 'stopped', 'failed', 'interrupted')),
  created_at REAL NOT NULL,
  started_at REAL,
  finished_at REAL,
  base_model_path TEXT,
  base_model_hash TEXT,
  dataset_path TEXT,
  dataset_fingerprint TEXT,
  config_json TEXT NOT NULL DEFAULT '{}',
  config_hash TEXT,
  rank INTEGER,
  alpha REAL,
  targets TEXT,
  lr REAL,
  dropout REAL,
  seed INTEGER,
  precision TEXT,
  steps INTEGER,
  trainable_params INTEGER,
  total_params INTEGER,
  best_val_loss REAL,
  best_val_step INTEGER,
  final_train_loss REAL,
  tokens_per_second REAL,
  peak_rss_bytes INTEGER,
  adapter_path TEXT,
  error_message TEXT,
  tags TEXT,
  notes TEXT,
  owner_pid INTEGER,
  owner_host TEXT,
  heartbeat_at REAL,
  sweep_id INTEGER REFERENCES sweeps(id) ON DELETE SET NULL,
  queue_position INTEGER
);
CREATE INDEX runs_by_sweep ON runs(sweep_id);
CREATE TABLE metrics (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  step INTEGER NOT NULL,
  tokens_seen INTEGER,
  wall_time REAL,
  train_loss REAL,
  val_loss REAL,
  lr REAL,
  grad_norm REAL,
  tokens_per_second REAL,
  PRIMARY KEY (run_id, step)
) WITHOUT ROWID;
CREATE TABLE samples (
  id INTEGER PRIMARY KEY,
  run_id INTEGER REFERENCES runs(id) ON DELETE CASCADE,
  blend_json TEXT,
  prompt TEXT NOT NULL,
  settings_json TEXT NOT NULL DEFAULT '{}',
  seed INTEGER,
  text TEXT NOT NULL,
  created_at REAL NOT NULL,
  CHECK (run_id IS NOT NULL OR blend_json IS NOT NULL)
);
)sql";

// v2: files produced from runs and sweeps (exports, merged models, reports).
constexpr const char* kSchemaV2 = R"sql(
CREATE TABLE artifacts (
  id INTEGER PRIMARY KEY,
  run_id INTEGER REFERENCES runs(id) ON DELETE CASCADE,
  sweep_id INTEGER REFERENCES sweeps(id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  path TEXT NOT NULL,
  created_at REAL NOT NULL,
  CHECK (run_id IS NOT NULL OR sweep_id IS NOT NULL)
);
CREATE INDEX artifacts_by_run ON artifacts(run_id);
CREATE INDEX artifacts_by_sweep ON artifacts(sweep_id);
)sql";

// v3: the queue and status filters read runs by status; deleting a run cascades into samples,
// which without an index scans the whole table per run; validation losses are sparse (one row in
// tens), so their curves and the best-loss recomputation read a partial index, not every step.
constexpr const char* kSchemaV3 = R"sql(
CREATE INDEX runs_by_status ON runs(status, queue_position);
CREATE INDEX samples_by_run ON samples(run_id);
CREATE INDEX metrics_val_loss ON metrics(run_id, step, val_loss) WHERE val_loss IS NOT NULL;
)sql";

// v4: metric rows also packed in blocks per run (see store_chunks.cpp): curve queries over many
// long runs read a few blobs per run instead of stepping through every row.
constexpr const char* kSchemaV4 = R"sql(
CREATE TABLE metric_chunks (
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  chunk INTEGER NOT NULL,
  row_count INTEGER NOT NULL,
  data BLOB NOT NULL,
  UNIQUE (run_id, chunk)
);
)sql";

constexpr const char* kMigrations[] = {kSchemaV1, kSchemaV2, kSchemaV3, kSchemaV4};
static_assert(std::size(kMigrations) == kStoreSchemaVersion);

std::string folder_of(const fs::path& path) {
  fs::path parent = path.parent_path();
  return parent.empty() ? "." : parent.string();
}

// Creating a file is the only reliable test (root ignores modes; read-only mounts ignore both).
void require_writable_folder(const fs::path& path) {
  std::string folder = folder_of(path);
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec)
    throw Error(path.string() + ": cannot create the folder " + folder + " for the experiment " +
                "store: " + ec.message());
  std::string probe = folder + "/.loralab-write-probe-" + std::to_string(this_pid());
  int fd = ::open(probe.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0)
    throw Error(path.string() + ": the folder " + folder + " is not writable (" +
                std::strerror(errno) + "); the experiment store needs to create its file and " +
                "its -wal and -shm files there");
  ::close(fd);
  ::unlink(probe.c_str());
}

void require_sqlite_header(const fs::path& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec))
    throw Error(path.string() + ": is a folder, expected an experiment store file");
  auto size = fs::file_size(path, ec);
  if (ec || size == 0) return;  // an empty file becomes a new store
  static constexpr char kMagic[16] = {'S', 'Q', 'L', 'i', 't', 'e', ' ', 'f',
                                      'o', 'r', 'm', 'a', 't', ' ', '3', '\0'};
  char header[16] = {};
  std::ifstream in(path, std::ios::binary);
  in.read(header, sizeof header);
  if (in.gcount() < 16 || std::memcmp(header, kMagic, sizeof kMagic) != 0)
    throw Error(path.string() + ": not an SQLite database (its first bytes are not the header " +
                "'SQLite format 3'); expected a LoRA Lab experiment store");
}

std::string newer_message(const std::string& path, int64_t version) {
  return path + ": this experiment store has schema version " + std::to_string(version) +
         ", newer than the version " + std::to_string(kStoreSchemaVersion) +
         " this LoRA Lab understands; open it with a newer LoRA Lab (the file was left unchanged)";
}

// Refuses files that are SQLite but not ours, and stores from a newer version. Returns the schema
// version found (0: a new, empty file).
int64_t check_identity(Database& db, const std::string& path) {
  // One statement, one snapshot: another process may be creating this store at this moment.
  Statement read(db,
                 "SELECT (SELECT application_id FROM pragma_application_id()), "
                 "(SELECT user_version FROM pragma_user_version()), "
                 "(SELECT count(*) FROM sqlite_schema)",
                 false);
  read.step();
  int64_t app_id = read.int64(0), version = read.int64(1);
  bool empty = read.int64(2) == 0;
  read.reset();
  if (version > kStoreSchemaVersion && app_id == kApplicationId)
    throw Error(newer_message(path, version));
  if (app_id == 0 && version == 0 && empty) return 0;  // new store
  if (app_id != kApplicationId)
    throw Error(path + ": an SQLite database but not a LoRA Lab experiment store " +
                "(application_id " + std::to_string(app_id) + ", expected " +
                std::to_string(kApplicationId) + ")");
  return version;
}

void set_wal(Database& db) {
  // Switching the journal mode needs a moment of exclusive access; when two processes create a
  // store at once, one of them may be told BUSY instead of waiting.
  for (int attempt = 0;; ++attempt) {
    try {
      Statement statement(db, "PRAGMA journal_mode = WAL", false);
      std::string mode = statement.step() ? statement.text(0) : "";
      statement.reset();
      if (mode != "wal")
        throw Error(db.path() + ": cannot switch the experiment store to WAL mode (journal mode " +
                    "stays '" + mode + "'); is it on a network or read-only file system?");
      return;
    } catch (const Error&) {
      if ((sqlite3_errcode(db.get()) & 0xff) != SQLITE_BUSY || attempt >= 50) throw;
      ::usleep(100 * 1000);
    }
  }
}

}  // namespace

int open_store_file(Database& db, const std::string& path, const StoreOptions& options) {
  if (path.empty()) throw Error("experiment store: the path is empty");
  fs::path file(path);
  std::error_code ec;
  bool exists = fs::exists(file, ec);
  if (!exists && !options.create_if_missing)
    throw Error(path + ": no experiment store at this path");
  require_writable_folder(file);
  if (exists) require_sqlite_header(file);

  db.open(path, options.create_if_missing, options.busy_timeout_ms);
  if (sqlite3_db_readonly(db.get(), "main") == 1)
    throw Error(path + ": the file is read-only; the experiment store needs write access");

  int64_t found = check_identity(db, path);

  set_wal(db);
  // NORMAL: in WAL mode a commit survives a process crash; only a power cut may lose the last
  // commits, never consistency. A larger page cache and memory-mapped reads keep curve queries
  // over a million metric rows from copying every page through read() again.
  db.execute(
      "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA cache_size = -65536; "
      "PRAGMA mmap_size = 268435456;");

  if (found < kStoreSchemaVersion) {
    WriteTransaction transaction(db);
    // Another process may have migrated while we waited for the write lock.
    int64_t version = db.query_int("PRAGMA user_version");
    if (version > kStoreSchemaVersion) throw Error(newer_message(path, version));
    for (int64_t v = version; v < kStoreSchemaVersion; ++v) db.execute(kMigrations[v]);
    if (version > 0 && version < 4) rebuild_all_metric_chunks(db);  // rows from before chunks
    if (version < kStoreSchemaVersion) {
      db.execute("PRAGMA application_id = " + std::to_string(kApplicationId));
      db.execute("PRAGMA user_version = " + std::to_string(kStoreSchemaVersion));
    }
    transaction.commit();
  }
  return static_cast<int>(found);
}

}  // namespace loralab::store_detail
