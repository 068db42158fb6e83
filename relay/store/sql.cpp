// See sql.hpp: what every backend shares (range checks, the statement cache, transactions).
#include "relay/store/sql.hpp"

#include <limits>
#include <utility>

namespace causeway::store::sql {

using core::Error;
using core::Result;

// ---- Statement ------------------------------------------------------------------------------

void Statement::record_bind_failure(Error error) {
  if (!bind_failure_) bind_failure_ = std::move(error);
}

Error Statement::take_bind_failure() {
  Error error = std::move(*bind_failure_);
  bind_failure_.reset();
  return error;
}

Statement& Statement::bind_u64(int index, std::uint64_t value) {
  if (value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    record_bind_failure(Error(reason::kOutOfRange, "bind: " + std::to_string(value) +
                                                       " exceeds the database's signed 64-bit integers"));
    return *this;
  }
  return bind_i64(index, static_cast<std::int64_t>(value));
}

Result<void> Statement::run() {
  for (;;) {
    CW_TRY(const bool row, step());
    if (!row) return core::ok();
  }
}

Result<std::uint64_t> Statement::column_u64(int column) const {
  const auto value = column_i64(column);
  if (value < 0) return Error(reason::kOutOfRange, "column " + std::to_string(column) + " is negative");
  return static_cast<std::uint64_t>(value);
}

// ---- Connection -----------------------------------------------------------------------------

Result<StatementLoan> Connection::cached(std::string_view sql) {
  if (!is_open()) return Error(reason::kClosed);
  auto it = cache_.find(std::string(sql));
  if (it == cache_.end()) {
    CW_TRY(auto statement, prepare(sql));
    it = cache_.emplace(std::string(sql), std::move(statement)).first;
  }
  it->second->reset();
  return StatementLoan(it->second.get());
}

Result<std::int64_t> Connection::query_int(std::string_view sql) {
  CW_TRY(auto statement, prepare(sql));
  CW_TRY(const bool row, statement->step());
  if (!row) return Error(reason::kSqlite, "no row").with_context(sql);
  return statement->column_i64(0);
}

Result<std::string> Connection::query_text(std::string_view sql) {
  CW_TRY(auto statement, prepare(sql));
  CW_TRY(const bool row, statement->step());
  if (!row) return Error(reason::kSqlite, "no row").with_context(sql);
  return statement->column_text(0);
}

// ---- Transaction ----------------------------------------------------------------------------

Result<Transaction> Transaction::begin(Connection& db, Durability durability) {
  CW_CHECK(db.begin(durability));
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
