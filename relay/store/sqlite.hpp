// The SQLite implementation of the store's database interface (sql.hpp): thin RAII wrappers over
// the SQLite C API. Every database failure comes back as a Result with a named reason.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

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

 private:
  sqlite3* db_ = nullptr;
  std::optional<Durability> synchronous_;  // what the last begin() set, if any
};

}  // namespace causeway::store::sql
