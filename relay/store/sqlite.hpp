// Thin RAII wrappers over the SQLite C API (connection, prepared statement, transaction guard).
// Every database failure comes back as a Result with a named reason; nothing here throws.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "relay/core/bytes.hpp"
#include "relay/core/result.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace causeway::store {

namespace reason {
// Another connection holds a lock longer than the busy timeout; retryable.
inline constexpr core::Reason kBusy{"store.busy"};
// The file is damaged: bad pages, a failed quick_check or integrity_check, "not a database".
inline constexpr core::Reason kCorrupt{"store.corrupt"};
// A UNIQUE, CHECK, NOT NULL or FOREIGN KEY constraint refused the write.
inline constexpr core::Reason kConstraint{"store.constraint"};
// The operating system failed a read, write or sync, or the disk is full.
inline constexpr core::Reason kIo{"store.io"};
// The file could not be opened or created.
inline constexpr core::Reason kCantOpen{"store.cant_open"};
inline constexpr core::Reason kReadOnly{"store.read_only"};
// Any other SQLite failure (syntax, misuse, out of memory); usually a bug in the caller.
inline constexpr core::Reason kSqlite{"store.sqlite"};
// A uint64 beyond SQLite's signed 64-bit integers, or a stored value outside its C++ type.
inline constexpr core::Reason kOutOfRange{"store.out_of_range"};
// A column holds the wrong type or length for what the schema promises.
inline constexpr core::Reason kBadColumn{"store.bad_column"};
// The store was closed; no further calls are possible.
inline constexpr core::Reason kClosed{"store.closed"};
}  // namespace reason

namespace sql {

// Maps a SQLite result code (extended or primary) to a named error; `what` says which operation.
core::Error error_from_code(int rc, std::string_view what, std::string_view message = {});

// A prepared statement. Bind helpers chain and record the first failure, which the next step()
// reports, so call sites read as one expression and still cannot lose an error.
class Statement {
 public:
  Statement() = default;
  Statement(sqlite3* db, sqlite3_stmt* stmt) noexcept : db_(db), stmt_(stmt) {}
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Parameters are 1-based, as in SQLite.
  Statement& bind_i64(int index, std::int64_t value);
  // Refuses (at the next step) values above INT64_MAX instead of storing them negative.
  Statement& bind_u64(int index, std::uint64_t value);
  Statement& bind_text(int index, std::string_view text);
  Statement& bind_blob(int index, core::ByteView blob);
  template <std::size_t N, typename Tag>
  Statement& bind_fixed(int index, const core::FixedBytes<N, Tag>& value) {
    return bind_blob(index, value.view());
  }
  Statement& bind_null(int index);

  // Advances: true when a row is ready to read, false when the statement is done.
  core::Result<bool> step();
  // Steps to completion; for INSERT, UPDATE, DELETE and statements whose rows do not matter.
  core::Result<void> run();
  // Ready to run again: resets, clears bindings and any recorded bind failure.
  void reset() noexcept;

  // Columns of the current row, 0-based.
  bool is_null(int column) const noexcept;
  std::int64_t column_i64(int column) const noexcept;
  core::Result<std::uint64_t> column_u64(int column) const;
  std::string column_text(int column) const;
  core::Bytes column_blob(int column) const;
  template <typename Fixed>
  core::Result<Fixed> column_fixed(int column) const {
    auto blob = column_blob(column);
    auto fixed = Fixed::from(blob);
    if (!fixed) return core::Error(reason::kBadColumn, "column " + std::to_string(column) + ": " +
                                                           fixed.error().message());
    return std::move(fixed).value();
  }

 private:
  void record(int rc, std::string_view what);

  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  int bind_rc_ = 0;  // first failed bind's code, reported by step()
  std::string bind_what_;
};

// A cached statement on loan: reset when the loan ends, so no half-read query keeps a read
// snapshot (and the WAL) pinned.
class StatementLoan {
 public:
  explicit StatementLoan(Statement* statement) noexcept : statement_(statement) {}
  StatementLoan(StatementLoan&& other) noexcept : statement_(other.statement_) { other.statement_ = nullptr; }
  StatementLoan& operator=(StatementLoan&&) = delete;
  StatementLoan(const StatementLoan&) = delete;
  StatementLoan& operator=(const StatementLoan&) = delete;
  ~StatementLoan() {
    if (statement_ != nullptr) statement_->reset();
  }
  Statement* operator->() const noexcept { return statement_; }
  Statement& operator*() const noexcept { return *statement_; }

 private:
  Statement* statement_;
};

// One connection. Not thread-safe by design: the relay writes through a single writer.
class Database {
 public:
  Database() = default;
  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  // Opens (creating if missing) a database file read-write with extended result codes on.
  static core::Result<Database> open(const std::string& path);
  // Opens an existing database file read-only (a "file:...?mode=ro" URI): every write fails with
  // kReadOnly. It still reads a WAL a running writer keeps appending to.
  static core::Result<Database> open_read_only(const std::string& path);
  // Closes now; the destructor does the same. Cached statements are finalized first.
  void close() noexcept;
  bool is_open() const noexcept { return db_ != nullptr; }
  sqlite3* handle() const noexcept { return db_; }

  // Runs one or more statements that return no rows the caller needs (schema scripts, pragmas).
  core::Result<void> exec(std::string_view sql);
  core::Result<Statement> prepare(std::string_view sql);
  // A prepared statement kept for the life of the connection, reset and unbound, on loan.
  // The same SQL text must not be on loan twice at once.
  core::Result<StatementLoan> cached(std::string_view sql);
  // The first column of the first row as an integer (PRAGMA user_version and the like).
  core::Result<std::int64_t> query_int(std::string_view sql);
  core::Result<std::string> query_text(std::string_view sql);

  // The current error of the connection as a named error.
  core::Error last_error(int rc, std::string_view what) const;
  bool in_transaction() const noexcept;
  int changes() const noexcept;

 private:
  sqlite3* db_ = nullptr;
  std::unordered_map<std::string, std::unique_ptr<Statement>> cache_;
};

// BEGIN IMMEDIATE (take the write lock up front, so a writer never fails half-way with a lock
// upgrade conflict) ... COMMIT; rolled back on destruction unless committed.
class Transaction {
 public:
  static core::Result<Transaction> begin(Database& db);
  Transaction(Transaction&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();

  core::Result<void> commit();

 private:
  explicit Transaction(Database* db) noexcept : db_(db) {}
  Database* db_;
};

}  // namespace sql
}  // namespace causeway::store
