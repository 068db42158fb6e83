// See sqlite.hpp.
#include "relay/store/sqlite.hpp"

#include <sqlite3.h>

#include <cstdio>
#include <utility>

namespace causeway::store::sql {

using core::Error;
using core::Result;

Error error_from_code(int rc, std::string_view what, std::string_view message) {
  core::Reason name = reason::kSqlite;
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED: name = reason::kBusy; break;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: name = reason::kCorrupt; break;
    case SQLITE_CONSTRAINT: name = reason::kConstraint; break;
    case SQLITE_IOERR:
    case SQLITE_FULL: name = reason::kIo; break;
    case SQLITE_CANTOPEN: name = reason::kCantOpen; break;
    case SQLITE_READONLY: name = reason::kReadOnly; break;
    case SQLITE_RANGE:
    case SQLITE_TOOBIG: name = reason::kOutOfRange; break;
    default: break;
  }
  std::string detail(what);
  detail += ": ";
  detail += message.empty() ? std::string_view(sqlite3_errstr(rc)) : message;
  detail += " (sqlite " + std::to_string(rc) + ")";
  return Error(name, std::move(detail));
}

// ---- SqliteStatement ------------------------------------------------------------------------

SqliteStatement::~SqliteStatement() { sqlite3_finalize(stmt_); }

void SqliteStatement::record(int rc) {
  if (rc != SQLITE_OK) record_bind_failure(error_from_code(rc, "bind"));
}

Statement& SqliteStatement::bind_i64(int index, std::int64_t value) {
  record(sqlite3_bind_int64(stmt_, index, value));
  return *this;
}

Statement& SqliteStatement::bind_text(int index, std::string_view text) {
  record(sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
  return *this;
}

Statement& SqliteStatement::bind_blob(int index, core::ByteView blob) {
  // A zero-length blob must still be a blob, not NULL: pass a non-null pointer.
  static const std::uint8_t kEmpty = 0;
  const void* data = blob.empty() ? &kEmpty : static_cast<const void*>(blob.data());
  record(sqlite3_bind_blob64(stmt_, index, data, blob.size(), SQLITE_TRANSIENT));
  return *this;
}

Statement& SqliteStatement::bind_null(int index) {
  record(sqlite3_bind_null(stmt_, index));
  return *this;
}

Result<bool> SqliteStatement::step() {
  if (has_bind_failure()) return take_bind_failure();
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return error_from_code(sqlite3_extended_errcode(db_), "step", sqlite3_errmsg(db_))
      .with_context(sqlite3_sql(stmt_) != nullptr ? sqlite3_sql(stmt_) : "");
}

void SqliteStatement::reset() noexcept {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  clear_bind_failure();
}

bool SqliteStatement::is_null(int column) const noexcept {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::int64_t SqliteStatement::column_i64(int column) const noexcept { return sqlite3_column_int64(stmt_, column); }

std::string SqliteStatement::column_text(int column) const {
  const auto* text = sqlite3_column_text(stmt_, column);
  const int size = sqlite3_column_bytes(stmt_, column);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(size));
}

core::Bytes SqliteStatement::column_blob(int column) const {
  const auto* data = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_, column));
  const int size = sqlite3_column_bytes(stmt_, column);
  if (data == nullptr || size <= 0) return {};
  return core::Bytes(data, data + size);
}

// ---- WalCheckpointer ------------------------------------------------------------------------

Result<std::unique_ptr<WalCheckpointer>> WalCheckpointer::start(sqlite3* writer, const std::string& path) {
  sqlite3* own = nullptr;
  // No CREATE: the file is the writer's. NOMUTEX: only the checkpointer's thread uses it.
  const int rc = sqlite3_open_v2(path.c_str(), &own, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    auto error = error_from_code(rc, "open checkpoint connection " + path, own != nullptr ? sqlite3_errmsg(own) : "");
    sqlite3_close_v2(own);
    return error;
  }
  sqlite3_extended_result_codes(own, 1);
  sqlite3_busy_timeout(own, kSideBusyTimeoutMs);
  // FULL as the writer: the log is synced before it is copied and the main file after.
  char* message = nullptr;
  if (sqlite3_exec(own, "PRAGMA synchronous = FULL", nullptr, nullptr, &message) != SQLITE_OK) {
    auto error = error_from_code(sqlite3_extended_errcode(own), "checkpoint connection " + path,
                                 message != nullptr ? message : "");
    sqlite3_free(message);
    sqlite3_close_v2(own);
    return error;
  }
  std::unique_ptr<WalCheckpointer> checkpointer(new WalCheckpointer(writer, own));
  checkpointer->thread_ = std::thread([self = checkpointer.get()] { self->run(); });
  // Replaces the automatic checkpoint, which SQLite implements as this same hook.
  sqlite3_wal_hook(writer, &WalCheckpointer::on_commit, checkpointer.get());
  return checkpointer;
}

WalCheckpointer::~WalCheckpointer() {
  // First, so no commit reaches this object again (commits and this destructor share a thread).
  sqlite3_wal_autocheckpoint(writer_, kPages);
  {
    const std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_one();
  thread_.join();
  sqlite3_close_v2(own_);
}

int WalCheckpointer::on_commit(void* self, sqlite3* db, const char* schema, int pages) {
  auto* checkpointer = static_cast<WalCheckpointer*>(self);
  checkpointer->log_pages_ = pages;
  if (pages >= kBackstopPages) {
    // SQLITE_BUSY while the thread is mid-run: the next commit tries again. Other failures are
    // left to the next checkpoint, as SQLite's automatic checkpoint leaves them.
    if (sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr) == SQLITE_OK) {
      ++checkpointer->backstop_runs_;
    }
  } else if (pages >= kPages) {
    {
      const std::lock_guard lock(checkpointer->mutex_);
      checkpointer->due_ = true;
    }
    checkpointer->wake_.notify_one();
  }
  return SQLITE_OK;
}

void WalCheckpointer::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return due_ || stop_; });
    if (stop_) return;
    due_ = false;
    lock.unlock();
    // Busy while the writer's backstop or close checkpoints: the next commit past kPages wakes us.
    if (sqlite3_wal_checkpoint_v2(own_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr) == SQLITE_OK) {
      ++background_runs_;
    }
    lock.lock();
  }
}

// ---- Database -------------------------------------------------------------------------------

Database::Database(Database&& other) noexcept
    : Connection(std::move(other)),
      db_(std::exchange(other.db_, nullptr)),
      synchronous_(other.synchronous_),
      checkpointer_(std::move(other.checkpointer_)) {}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    close();
    Connection::operator=(std::move(other));
    db_ = std::exchange(other.db_, nullptr);
    synchronous_ = other.synchronous_;
    checkpointer_ = std::move(other.checkpointer_);
  }
  return *this;
}

Database::~Database() { close(); }

void Database::close() noexcept {
  checkpointer_.reset();  // while db_ is open: it hands the automatic checkpoints back
  cache_.clear();  // finalize before close, or sqlite3_close_v2 keeps the handle as a zombie
  if (db_ != nullptr) {
    sqlite3_close_v2(db_);
    db_ = nullptr;
  }
}

Result<Database> Database::open(const std::string& path) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  Database db;
  db.db_ = raw;  // owned even on failure: SQLite allocates a handle to report the error
  if (rc != SQLITE_OK) {
    return error_from_code(rc, "open " + path, raw != nullptr ? sqlite3_errmsg(raw) : "");
  }
  sqlite3_extended_result_codes(raw, 1);
  return db;
}

Result<Database> Database::open_read_only(const std::string& path) {
  // RFC 8089 file URI: the characters a URI gives meaning to are percent-encoded, so any path
  // names itself and nothing else.
  std::string uri = "file:";
  for (const char c : path) {
    if (c == '%' || c == '?' || c == '#') {
      char escaped[4];
      std::snprintf(escaped, sizeof escaped, "%%%02X", static_cast<unsigned char>(c));
      uri += escaped;
    } else {
      uri += c;
    }
  }
  uri += "?mode=ro";
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(uri.c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr);
  Database db;
  db.db_ = raw;
  if (rc != SQLITE_OK) {
    return error_from_code(rc, "open read-only " + path, raw != nullptr ? sqlite3_errmsg(raw) : "");
  }
  sqlite3_extended_result_codes(raw, 1);
  return db;
}

Error Database::last_error(int rc, std::string_view what) const {
  if (db_ == nullptr) return Error(reason::kClosed, std::string(what));
  return error_from_code(rc, what, sqlite3_errmsg(db_));
}

Result<void> Database::exec(std::string_view sql) {
  if (db_ == nullptr) return Error(reason::kClosed);
  const std::string text(sql);
  char* message = nullptr;
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return core::ok();
  std::string detail = message != nullptr ? message : sqlite3_errstr(rc);
  sqlite3_free(message);
  return error_from_code(sqlite3_extended_errcode(db_), "exec", detail);
}

Result<std::unique_ptr<Statement>> Database::prepare(std::string_view sql) {
  if (db_ == nullptr) return Error(reason::kClosed);
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return last_error(rc, "prepare").with_context(sql);
  }
  return std::unique_ptr<Statement>(std::make_unique<SqliteStatement>(db_, stmt));
}

bool Database::in_transaction() const noexcept { return db_ != nullptr && sqlite3_get_autocommit(db_) == 0; }

int Database::changes() const noexcept { return db_ != nullptr ? sqlite3_changes(db_) : 0; }

Result<void> Database::begin(Durability durability) {
  if (synchronous_ != durability) {
    CW_CHECK(exec(durability == Durability::kSynced ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL"));
    synchronous_ = durability;
  }
  return exec("BEGIN IMMEDIATE");
}

Result<void> Database::checkpoint_in_background(const std::string& path) {
  if (db_ == nullptr) return Error(reason::kClosed);
  checkpointer_.reset();
  CW_TRY(auto checkpointer, WalCheckpointer::start(db_, path));
  checkpointer_ = std::move(checkpointer);
  return core::ok();
}

}  // namespace causeway::store::sql
