// The backend-neutral database interface the store is written against: a connection, its prepared
// statements and a transaction guard. SQLite (sqlite.hpp) and PostgreSQL (postgres.hpp) implement
// it; SQL is written once with `?` placeholders. Every failure is a Result with a named reason.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "relay/core/bytes.hpp"
#include "relay/core/result.hpp"

namespace causeway::store {

namespace reason {
// Another connection holds a lock longer than the busy timeout, or (PostgreSQL) a serialization
// failure or deadlock rolled the transaction back; retryable.
inline constexpr core::Reason kBusy{"store.busy"};
// The file is damaged: bad pages, a failed quick_check or integrity_check, "not a database".
inline constexpr core::Reason kCorrupt{"store.corrupt"};
// A UNIQUE, CHECK, NOT NULL or FOREIGN KEY constraint (or an append-only trigger) refused the write.
inline constexpr core::Reason kConstraint{"store.constraint"};
// The operating system failed a read, write or sync, or the disk is full (PostgreSQL: out of
// resources on the server).
inline constexpr core::Reason kIo{"store.io"};
// The file could not be opened or created.
inline constexpr core::Reason kCantOpen{"store.cant_open"};
inline constexpr core::Reason kReadOnly{"store.read_only"};
// Any other SQLite failure (syntax, misuse, out of memory); usually a bug in the caller.
inline constexpr core::Reason kSqlite{"store.sqlite"};
// Any other PostgreSQL failure (syntax, undefined table, misuse); usually a bug in the caller.
inline constexpr core::Reason kPostgres{"store.postgres"};
// The PostgreSQL server cannot be reached, refused the connection or dropped it.
inline constexpr core::Reason kConnection{"store.connection"};
// The PostgreSQL server refused the credentials (wrong password, no such role, no pg_hba entry).
inline constexpr core::Reason kAuth{"store.auth"};
// A uint64 beyond the database's signed 64-bit integers, or a stored value outside its C++ type.
inline constexpr core::Reason kOutOfRange{"store.out_of_range"};
// A column holds the wrong type or length for what the schema promises.
inline constexpr core::Reason kBadColumn{"store.bad_column"};
// The store was closed; no further calls are possible.
inline constexpr core::Reason kClosed{"store.closed"};
}  // namespace reason

namespace sql {

// Where SQL text must differ (schema scripts, PRAGMAs, a few joins), the store asks the dialect.
enum class Dialect : std::uint8_t { kSqlite = 1, kPostgres = 2 };

// How a write transaction's COMMIT reaches the disk. kSynced: on disk when COMMIT returns (SQLite
// synchronous=FULL, PostgreSQL synchronous_commit=on) — for every write an outside effect follows
// (a signed transaction before its broadcast). kRelaxed: atomic, and durable across a crash of the
// process, but a power loss may take it back (SQLite WAL with synchronous=NORMAL, PostgreSQL
// synchronous_commit=off) — only for bookkeeping the relay redoes from the chains when it is
// missing. Both dialects lose a suffix, never a hole: the next synced commit makes every earlier
// one durable too.
enum class Durability : std::uint8_t { kSynced, kRelaxed };

// A prepared statement. Bind helpers chain and record the first failure, which the next step()
// reports, so call sites read as one expression and still cannot lose an error.
class Statement {
 public:
  virtual ~Statement() = default;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Parameters are 1-based, as in SQLite.
  virtual Statement& bind_i64(int index, std::int64_t value) = 0;
  // Refuses (at the next step) values above INT64_MAX instead of storing them negative.
  Statement& bind_u64(int index, std::uint64_t value);
  virtual Statement& bind_text(int index, std::string_view text) = 0;
  virtual Statement& bind_blob(int index, core::ByteView blob) = 0;
  template <std::size_t N, typename Tag>
  Statement& bind_fixed(int index, const core::FixedBytes<N, Tag>& value) {
    return bind_blob(index, value.view());
  }
  virtual Statement& bind_null(int index) = 0;

  // Advances: true when a row is ready to read, false when the statement is done.
  virtual core::Result<bool> step() = 0;
  // Steps to completion; for INSERT, UPDATE, DELETE and statements whose rows do not matter.
  core::Result<void> run();
  // Ready to run again: resets, clears bindings and any recorded bind failure.
  virtual void reset() noexcept = 0;

  // Columns of the current row, 0-based.
  virtual bool is_null(int column) const noexcept = 0;
  virtual std::int64_t column_i64(int column) const noexcept = 0;
  core::Result<std::uint64_t> column_u64(int column) const;
  virtual std::string column_text(int column) const = 0;
  virtual core::Bytes column_blob(int column) const = 0;
  template <typename Fixed>
  core::Result<Fixed> column_fixed(int column) const {
    auto blob = column_blob(column);
    auto fixed = Fixed::from(blob);
    if (!fixed) return core::Error(reason::kBadColumn, "column " + std::to_string(column) + ": " +
                                                           fixed.error().message());
    return std::move(fixed).value();
  }

 protected:
  Statement() = default;
  // Keeps the first bind failure for step() to report.
  void record_bind_failure(core::Error error);
  bool has_bind_failure() const noexcept { return bind_failure_.has_value(); }
  core::Error take_bind_failure();
  void clear_bind_failure() noexcept { bind_failure_.reset(); }

 private:
  std::optional<core::Error> bind_failure_;
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
class Connection {
 public:
  virtual ~Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  virtual Dialect dialect() const noexcept = 0;
  // Closes now; the destructor does the same. Cached statements are finalized first.
  virtual void close() noexcept = 0;
  virtual bool is_open() const noexcept = 0;

  // Runs one or more statements that return no rows the caller needs (schema scripts, pragmas).
  virtual core::Result<void> exec(std::string_view sql) = 0;
  virtual core::Result<std::unique_ptr<Statement>> prepare(std::string_view sql) = 0;
  // A prepared statement kept for the life of the connection, reset and unbound, on loan.
  // The same SQL text must not be on loan twice at once.
  core::Result<StatementLoan> cached(std::string_view sql);
  // The first column of the first row as an integer (PRAGMA user_version and the like). No row
  // is kSqlite on either backend, which callers tell apart from a failed query.
  core::Result<std::int64_t> query_int(std::string_view sql);
  core::Result<std::string> query_text(std::string_view sql);

  virtual bool in_transaction() const noexcept = 0;
  // Rows changed by the last INSERT, UPDATE or DELETE.
  virtual int changes() const noexcept = 0;
  // Opens a write transaction in the dialect's way (see Transaction), committing as `durability` says.
  virtual core::Result<void> begin(Durability durability) = 0;

 protected:
  Connection() = default;
  Connection(Connection&&) noexcept = default;
  Connection& operator=(Connection&&) noexcept = default;
  // Implementations clear this before they release their handle.
  std::unordered_map<std::string, std::unique_ptr<Statement>> cache_;
};

// A write transaction: SQLite's BEGIN IMMEDIATE (take the write lock up front, so a writer never
// fails half-way with a lock upgrade conflict), PostgreSQL's BEGIN ISOLATION LEVEL SERIALIZABLE
// (see postgres.hpp) ... COMMIT; rolled back on destruction unless committed.
class Transaction {
 public:
  static core::Result<Transaction> begin(Connection& db, Durability durability = Durability::kSynced);
  Transaction(Transaction&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();

  core::Result<void> commit();

 private:
  explicit Transaction(Connection* db) noexcept : db_(db) {}
  Connection* db_;
};

}  // namespace sql
}  // namespace causeway::store
