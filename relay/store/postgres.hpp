// The PostgreSQL implementation of the store's database interface (sql.hpp) over libpq: `?`
// placeholders rewritten to $1..$n, statements prepared on the server, parameters and results in
// binary. Every libpq failure is a named store reason (SQLSTATE classes mapped in postgres.cpp),
// and no error text carries the password.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "relay/core/bytes.hpp"
#include "relay/core/result.hpp"
#include "relay/store/sql.hpp"

struct pg_conn;
struct pg_result;

namespace causeway::store {

// Where a PostgreSQL store lives (config `relay.store.postgres`).
struct PostgresTarget {
  // libpq keywords or a postgresql:// URI, without a password.
  std::string conninfo;
  // Empty for trust or peer authentication. Sent to the server only; never in an error.
  std::string password;
  // Every table of the store lives in this schema, so one database can host several relays' stores.
  std::string schema = "causeway";
};

namespace sql {

struct NumberedSql {
  std::string text;
  int parameters = 0;
};
// `sql` with its `?` placeholders numbered $1, $2 ...; kPostgres for a `?` inside a quoted
// literal or identifier (the store's SQL never has one, so one there is a bug) or for `?N`.
core::Result<NumberedSql> number_placeholders(std::string_view sql);

struct PgResultDeleter {
  void operator()(pg_result* result) const noexcept;
};

class PostgresConnection;

class PostgresStatement final : public Statement {
 public:
  PostgresStatement(PostgresConnection* db, std::string sql, int parameters);
  ~PostgresStatement() override;

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
  struct Parameter {
    unsigned type = 0;  // the type OID; 0 (NULL): the server infers it from the statement
    bool null = true;
    std::string bytes;  // binary wire format
  };
  Parameter* parameter(int index);
  // The server-side name of this statement prepared for the bound parameter types.
  core::Result<std::string> prepared_for_types();

  PostgresConnection* db_;
  std::string sql_;  // with $n placeholders
  std::vector<Parameter> parameters_;
  // One server-side statement per parameter type signature: a column bound NULL on one run and
  // a value on the next would otherwise be typed by whichever came first.
  std::map<std::vector<unsigned>, std::string> prepared_;
  std::unique_ptr<pg_result, PgResultDeleter> result_;
  int row_ = -1;
  int rows_ = 0;
};

// One libpq connection with search_path set to the store's schema.
class PostgresConnection final : public Connection {
 public:
  ~PostgresConnection() override;

  // Connects (connect_timeout 10 s unless the conninfo says otherwise), creates the schema if it
  // is missing, sets search_path to it and synchronous_commit on for this session.
  static core::Result<std::unique_ptr<PostgresConnection>> connect(const PostgresTarget& target);
  // For readers (`causeway audit export`): the schema must exist (kCantOpen otherwise; nothing is
  // created) and every transaction of the session is read-only, so the server refuses any write.
  static core::Result<std::unique_ptr<PostgresConnection>> connect_read_only(const PostgresTarget& target);

  Dialect dialect() const noexcept override { return Dialect::kPostgres; }
  void close() noexcept override;
  bool is_open() const noexcept override { return conn_ != nullptr; }
  core::Result<void> exec(std::string_view sql) override;
  core::Result<std::unique_ptr<Statement>> prepare(std::string_view sql) override;
  bool in_transaction() const noexcept override;
  int changes() const noexcept override { return changes_; }
  // BEGIN ISOLATION LEVEL SERIALIZABLE: the store's writes read, decide and write (a state
  // transition, the next audit leaf index); serializable makes any interleaving with another
  // writer a retryable kBusy instead of a lost update. With the single writer the lease ensures,
  // no transaction ever conflicts, so this costs nothing in practice.
  // kRelaxed adds SET LOCAL synchronous_commit TO off, for this transaction only.
  core::Result<void> begin(Durability durability) override;

  pg_conn* handle() const noexcept { return conn_; }
  const std::string& schema() const noexcept { return schema_; }

 private:
  friend class PostgresStatement;
  PostgresConnection(pg_conn* conn, std::string password, std::string schema) noexcept
      : conn_(conn), password_(std::move(password)), schema_(std::move(schema)) {}
  static core::Result<std::unique_ptr<PostgresConnection>> open_session(const PostgresTarget& target,
                                                                      bool read_only);

  // The error of a failed result (or of the connection when there is none) as a named reason.
  core::Error error_of(const pg_result* result, std::string_view what) const;
  // `text` with the password cut out wherever libpq echoed it.
  std::string scrub(std::string text) const;
  std::string next_statement_name() { return "cw_" + std::to_string(++statements_); }

  pg_conn* conn_;
  std::string password_;
  std::string schema_;
  int changes_ = 0;
  std::uint64_t statements_ = 0;
};

}  // namespace sql
}  // namespace causeway::store
