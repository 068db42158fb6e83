// See sqlite.hpp.
#include "relay/store/sqlite.hpp"

#include <sqlite3.h>

#include <cstdio>
#include <limits>
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

// ---- Statement ------------------------------------------------------------------------------

Statement::Statement(Statement&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)),
      stmt_(std::exchange(other.stmt_, nullptr)),
      bind_rc_(other.bind_rc_),
      bind_what_(std::move(other.bind_what_)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    db_ = std::exchange(other.db_, nullptr);
    stmt_ = std::exchange(other.stmt_, nullptr);
    bind_rc_ = other.bind_rc_;
    bind_what_ = std::move(other.bind_what_);
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

void Statement::record(int rc, std::string_view what) {
  if (rc != SQLITE_OK && bind_rc_ == 0) {
    bind_rc_ = rc;
    bind_what_ = what;
  }
}

Statement& Statement::bind_i64(int index, std::int64_t value) {
  record(sqlite3_bind_int64(stmt_, index, value), "bind");
  return *this;
}

Statement& Statement::bind_u64(int index, std::uint64_t value) {
  if (value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    record(SQLITE_RANGE, "bind: " + std::to_string(value) + " exceeds SQLite's signed 64-bit integers");
    return *this;
  }
  return bind_i64(index, static_cast<std::int64_t>(value));
}

Statement& Statement::bind_text(int index, std::string_view text) {
  record(sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8), "bind");
  return *this;
}

Statement& Statement::bind_blob(int index, core::ByteView blob) {
  // A zero-length blob must still be a blob, not NULL: pass a non-null pointer.
  static const std::uint8_t kEmpty = 0;
  const void* data = blob.empty() ? &kEmpty : static_cast<const void*>(blob.data());
  record(sqlite3_bind_blob64(stmt_, index, data, blob.size(), SQLITE_TRANSIENT), "bind");
  return *this;
}

Statement& Statement::bind_null(int index) {
  record(sqlite3_bind_null(stmt_, index), "bind");
  return *this;
}

Result<bool> Statement::step() {
  if (bind_rc_ != 0) return error_from_code(bind_rc_, bind_what_);
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return error_from_code(sqlite3_extended_errcode(db_), "step", sqlite3_errmsg(db_))
      .with_context(sqlite3_sql(stmt_) != nullptr ? sqlite3_sql(stmt_) : "");
}

Result<void> Statement::run() {
  for (;;) {
    CW_TRY(const bool row, step());
    if (!row) return core::ok();
  }
}

void Statement::reset() noexcept {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_rc_ = 0;
  bind_what_.clear();
}

bool Statement::is_null(int column) const noexcept {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::int64_t Statement::column_i64(int column) const noexcept { return sqlite3_column_int64(stmt_, column); }

Result<std::uint64_t> Statement::column_u64(int column) const {
  const auto value = column_i64(column);
  if (value < 0) return Error(reason::kOutOfRange, "column " + std::to_string(column) + " is negative");
  return static_cast<std::uint64_t>(value);
}

std::string Statement::column_text(int column) const {
  const auto* text = sqlite3_column_text(stmt_, column);
  const int size = sqlite3_column_bytes(stmt_, column);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(size));
}

core::Bytes Statement::column_blob(int column) const {
  const auto* data = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_, column));
  const int size = sqlite3_column_bytes(stmt_, column);
  if (data == nullptr || size <= 0) return {};
  return core::Bytes(data, data + size);
}

// ---- Database -------------------------------------------------------------------------------

Database::Database(Database&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), cache_(std::move(other.cache_)) {}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    close();
    db_ = std::exchange(other.db_, nullptr);
    cache_ = std::move(other.cache_);
  }
  return *this;
}

Database::~Database() { close(); }

void Database::close() noexcept {
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

Result<Statement> Database::prepare(std::string_view sql) {
  if (db_ == nullptr) return Error(reason::kClosed);
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return last_error(rc, "prepare").with_context(sql);
  }
  return Statement(db_, stmt);
}

Result<StatementLoan> Database::cached(std::string_view sql) {
  if (db_ == nullptr) return Error(reason::kClosed);
  auto it = cache_.find(std::string(sql));
  if (it == cache_.end()) {
    CW_TRY(auto statement, prepare(sql));
    it = cache_.emplace(std::string(sql), std::make_unique<Statement>(std::move(statement))).first;
  }
  it->second->reset();
  return StatementLoan(it->second.get());
}

Result<std::int64_t> Database::query_int(std::string_view sql) {
  CW_TRY(auto statement, prepare(sql));
  CW_TRY(const bool row, statement.step());
  if (!row) return Error(reason::kSqlite, "no row").with_context(sql);
  return statement.column_i64(0);
}

Result<std::string> Database::query_text(std::string_view sql) {
  CW_TRY(auto statement, prepare(sql));
  CW_TRY(const bool row, statement.step());
  if (!row) return Error(reason::kSqlite, "no row").with_context(sql);
  return statement.column_text(0);
}

bool Database::in_transaction() const noexcept { return db_ != nullptr && sqlite3_get_autocommit(db_) == 0; }

int Database::changes() const noexcept { return db_ != nullptr ? sqlite3_changes(db_) : 0; }

// ---- Transaction ----------------------------------------------------------------------------

Result<Transaction> Transaction::begin(Database& db) {
  CW_CHECK(db.exec("BEGIN IMMEDIATE"));
  return Transaction(&db);
}

Transaction::~Transaction() {
  // A failed COMMIT may already have rolled back (some I/O errors do); only roll back what is open.
  if (db_ != nullptr && db_->in_transaction()) (void)db_->exec("ROLLBACK");
}

Result<void> Transaction::commit() {
  if (db_ == nullptr) return Error(reason::kSqlite, "commit of a finished transaction");
  auto done = db_->exec("COMMIT");
  if (done.ok()) db_ = nullptr;  // on failure the destructor rolls back what is still open
  return done;
}

}  // namespace causeway::store::sql
