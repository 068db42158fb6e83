// The SQLite implementation of the store's database interface (sql.hpp): thin RAII wrappers over
// the SQLite C API. Every database failure comes back as a Result with a named reason.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "relay/core/bytes.hpp"
#include "relay/core/result.hpp"
#include "relay/store/sql.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace causeway::store::sql {

// Maps a SQLite result code (extended or primary) to a named error; `what` says which operation.
core::Error error_from_code(int rc, std::string_view what, std::string_view message = {});

class SqliteStatement final : public Statement {
 public:
  SqliteStatement(sqlite3* db, sqlite3_stmt* stmt) noexcept : db_(db), stmt_(stmt) {}
  ~SqliteStatement() override;

  Statement& bind_i64(int index, std::int64_t value) override;
  Statement& bind_text(int index, std::string_view text) override;
  Statement& bind_blob(int index, core::ByteView blob) override;
  Statement& bind_null(int index) override;
  core::Result<bool> step() override;
  void reset() noexcept override;
  bool is_null(int column) const noexcept override;
  std::int64_t column_i64(int column) const noexcept override;
  std::string column_text(int column) const override;
  core::Bytes column_blob(int column) const override;

 private:
  void record(int rc);

  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

// How long a side connection (a check, a backup, the checkpointer) waits for another's lock before
// SQLITE_BUSY. The relay's own connection takes StoreOptions::busy_timeout.
inline constexpr int kSideBusyTimeoutMs = 5000;

// The WAL checkpoints of one writer connection, run on a thread and a read-write connection of its
// own. SQLite's automatic checkpoint runs inside the COMMIT that finds the log past 1,000 pages, on
// the writer's thread: copying pages into the main file and syncing it took ~6 % of the relay's
// engine thread under load. A PASSIVE checkpoint neither waits for the writer nor blocks it. The
// writer restarts the log only once a checkpoint has caught up with it; a busy writer can keep the
// thread just behind, so past kBackstopPages the commit runs the (by then small) rest itself.
class WalCheckpointer {
 public:
  static constexpr int kPages = 1000;  // SQLite's own automatic threshold
  static constexpr int kBackstopPages = 4 * kPages;

  // Opens `path` again and takes over `writer`'s automatic checkpoints.
  static core::Result<std::unique_ptr<WalCheckpointer>> start(sqlite3* writer, const std::string& path);
  // Stops the thread, closes its connection and gives `writer` its automatic checkpoints back;
  // `writer` must still be open.
  ~WalCheckpointer();
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  // Checkpoints run so far on the thread and by commits past the backstop, and the log's size in
  // pages after the last commit (for tests and the store's metrics).
  std::uint64_t background_runs() const noexcept { return background_runs_.load(); }
  std::uint64_t backstop_runs() const noexcept { return backstop_runs_.load(); }
  int log_pages() const noexcept { return log_pages_.load(); }

 private:
  WalCheckpointer(sqlite3* writer, sqlite3* own) noexcept : writer_(writer), own_(own) {}
  static int on_commit(void* self, sqlite3* db, const char* schema, int pages);
  void run();

  sqlite3* writer_;
  sqlite3* own_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool due_ = false;
  bool stop_ = false;
  std::atomic<std::uint64_t> background_runs_{0};
  std::atomic<std::uint64_t> backstop_runs_{0};
  std::atomic<int> log_pages_{0};
  std::thread thread_;
};

// One SQLite connection (the embedded default store).
class Database final : public Connection {
 public:
  Database() = default;
  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  ~Database() override;

  // Opens (creating if missing) a database file read-write with extended result codes on.
  static core::Result<Database> open(const std::string& path);
  // Opens an existing database file read-only (a "file:...?mode=ro" URI): every write fails with
  // kReadOnly. It still reads a WAL a running writer keeps appending to.
  static core::Result<Database> open_read_only(const std::string& path);
  sqlite3* handle() const noexcept { return db_; }
  // The current error of the connection as a named error.
  core::Error last_error(int rc, std::string_view what) const;

  Dialect dialect() const noexcept override { return Dialect::kSqlite; }
  void close() noexcept override;
  bool is_open() const noexcept override { return db_ != nullptr; }
  core::Result<void> exec(std::string_view sql) override;
  core::Result<std::unique_ptr<Statement>> prepare(std::string_view sql) override;
  bool in_transaction() const noexcept override;
  int changes() const noexcept override;
  // BEGIN IMMEDIATE, after PRAGMA synchronous = FULL or NORMAL when the durability differs from the
  // last transaction's (SQLite refuses to change it inside a transaction).
  core::Result<void> begin(Durability durability) override;

  // Moves this connection's WAL checkpoints to a WalCheckpointer on the database at `path` (the
  // file this connection has open, in WAL mode). close() stops it first.
  core::Result<void> checkpoint_in_background(const std::string& path);
  // Gives the connection its automatic checkpoints back (before a checkpoint of its own that must
  // not find another running, and before close).
  void stop_background_checkpoints() noexcept { checkpointer_.reset(); }
  const WalCheckpointer* checkpointer() const noexcept { return checkpointer_.get(); }

 private:
  sqlite3* db_ = nullptr;
  std::optional<Durability> synchronous_;  // what the last begin() set, if any
  std::unique_ptr<WalCheckpointer> checkpointer_;
};

}  // namespace causeway::store::sql
