// See lease.hpp.
#include "relay/store/lease.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <utility>

namespace causeway::store {

using core::Error;
using core::Result;

namespace {

// In the store's schema, but no migration: it must exist before the store is opened, which only
// the holder does. The store's open() does not count it as a table of its own.
constexpr std::string_view kCreateTable =
    "CREATE TABLE IF NOT EXISTS lease ("
    "  name       TEXT PRIMARY KEY,"
    "  holder     TEXT NOT NULL,"
    "  token      BIGINT NOT NULL,"
    "  expires_at TIMESTAMPTZ NOT NULL)";

// Take a free or expired lease, or renew ours, in one statement; now() is the database's clock,
// so the hosts' clocks never matter. A row another holder still holds is left alone and no row
// is returned.
constexpr std::string_view kAcquire =
    "INSERT INTO lease (name, holder, token, expires_at) VALUES (?, ?, 1, now() + ? * interval '1 millisecond') "
    "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, "
    "  token = lease.token + (lease.holder <> excluded.holder)::int, expires_at = excluded.expires_at "
    "WHERE lease.holder = excluded.holder OR lease.expires_at < now() "
    "RETURNING token";

constexpr std::string_view kFence =
    "SELECT 1 FROM lease WHERE name = ? AND holder = ? AND token = ? AND expires_at > now() FOR SHARE";

}  // namespace

Result<void> check_lease(sql::Connection& db, const LeaseFence& fence) {
  CW_TRY(auto statement, db.cached(kFence));
  statement->bind_text(1, fence.name).bind_text(2, fence.holder).bind_i64(3, fence.token);
  CW_TRY(const bool held, statement->step());
  if (!held) {
    return Error(reason::kLeaseLost, "lease '" + fence.name + "' is no longer held by " + fence.holder + " under token " +
                                         std::to_string(fence.token));
  }
  return core::ok();
}

bool connection_broken(const sql::Connection& db) noexcept {
  const auto* pg = dynamic_cast<const sql::PostgresConnection*>(&db);
  return pg != nullptr && (pg->handle() == nullptr || PQstatus(pg->handle()) == CONNECTION_BAD);
}

Result<void> bound_open_transactions(sql::Connection& db, const LeaseTiming& timing) {
  return db.exec("SET idle_in_transaction_session_timeout = " + std::to_string(timing.ttl.count()));
}

Result<Lease> Lease::open(const PostgresTarget& target, std::string name, std::string holder, LeaseTiming timing) {
  Lease lease(target, std::move(name), std::move(holder), timing);
  CW_TRY(auto* db, lease.connection());
  auto created = db->exec(kCreateTable);
  // Two processes creating it at once: the loser's IF NOT EXISTS can still fail on the catalog's
  // unique index. The table is there either way.
  if (!created && created.error().reason() == reason::kConstraint) created = db->exec(kCreateTable);
  CW_CHECK(std::move(created));
  return lease;
}

Result<sql::PostgresConnection*> Lease::connection() {
  if (db_ != nullptr && (broken_ || PQstatus(db_->handle()) == CONNECTION_BAD)) db_.reset();
  broken_ = false;
  if (db_ == nullptr) {
    CW_TRY(auto db, sql::PostgresConnection::connect(target_));
    // A standby's attempt waits behind the holder's fenced write (its FOR SHARE lock); never
    // longer than one interval, so the keeper stays on time and a stuck holder shows as an error.
    CW_CHECK(db->exec("SET lock_timeout = " + std::to_string(timing_.renew.count())));
    db_ = std::move(db);
  }
  return db_.get();
}

Result<std::optional<std::int64_t>> Lease::acquire() {
  CW_TRY(auto* db, connection());
  CW_TRY(auto statement, db->cached(kAcquire));
  statement->bind_text(1, name_).bind_text(2, holder_).bind_i64(3, timing_.ttl.count());
  auto row = statement->step();
  if (!row) {
    // Reconnect at the next attempt (the statement on loan still belongs to this connection).
    broken_ = row.error().reason() == reason::kConnection;
    return std::move(row).error();
  }
  if (!*row) return std::optional<std::int64_t>{};
  return std::optional<std::int64_t>{statement->column_i64(0)};
}

Result<std::optional<LeaseRow>> Lease::read() {
  CW_TRY(auto* db, connection());
  CW_TRY(auto statement, db->cached("SELECT holder, token, expires_at <= now() FROM lease WHERE name = ?"));
  statement->bind_text(1, name_);
  CW_TRY(const bool row, statement->step());
  if (!row) return std::optional<LeaseRow>{};
  return std::optional<LeaseRow>{LeaseRow{statement->column_text(0), statement->column_i64(1), statement->column_i64(2) != 0}};
}

Result<void> Lease::release(std::int64_t token) {
  CW_TRY(auto* db, connection());
  CW_TRY(auto statement, db->cached("UPDATE lease SET expires_at = now() - interval '1 millisecond' "
                                    "WHERE name = ? AND holder = ? AND token = ?"));
  statement->bind_text(1, name_).bind_text(2, holder_).bind_i64(3, token);
  return statement->run();
}

LeaseRenewal::Verdict LeaseRenewal::record(const Result<std::optional<std::int64_t>>& outcome, Clock::time_point sent,
                                           Clock::time_point now) noexcept {
  if (!outcome) {
    // The database did not answer: the grant may still run, and the fence keeps writes safe
    // meanwhile. Try again, more often than usual, until it would have expired.
    if (now >= valid_until_) return Verdict::kLost;
    next_ = std::min(now + std::max(timing_.renew / 4, std::chrono::milliseconds{50}), valid_until_);
    return Verdict::kRetry;
  }
  // Another holder, or ours under a new token (it expired and was taken meanwhile): lost.
  if (!outcome->has_value() || **outcome != token_) return Verdict::kLost;
  valid_until_ = sent + timing_.ttl;
  next_ = sent + timing_.renew;
  return Verdict::kHeld;
}

}  // namespace causeway::store
