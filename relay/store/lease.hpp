// The database lease that makes one of several relay processes sharing a PostgreSQL store the
// active one (DESIGN.md section 6): taken and renewed by one statement on a connection of its own,
// timed by the database's clock only, and checked inside every write transaction of the store
// (the fence), so a process that lost it can never commit again.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "relay/core/result.hpp"
#include "relay/store/postgres.hpp"
#include "relay/store/sql.hpp"

namespace causeway::store {

namespace reason {
// A write's transaction found the lease no longer this process's (expired, or taken over under a
// new token), or a renewal found another holder: nothing was written, and nothing may be.
inline constexpr core::Reason kLeaseLost{"store.lease_lost"};
}  // namespace reason

// relay.store.postgres.lease: how long one grant lasts and how often the holder renews it.
struct LeaseTiming {
  std::chrono::milliseconds ttl{10'000};
  std::chrono::milliseconds renew{3'333};
};

// The lease row as the database has it.
struct LeaseRow {
  std::string holder;
  std::int64_t token = 0;
  bool expired = false;  // by the database's clock
};

// What a write transaction checks: this holder still holds the lease under this token, unexpired.
struct LeaseFence {
  std::string name;
  std::string holder;
  std::int64_t token = 0;
};

// The fence, run inside the open write transaction on `db` (StoreOptions::write_guard). The row
// is locked FOR SHARE, so a takeover's update waits until this transaction ends: no other holder
// can be granted the lease between the check and the commit. kLeaseLost when it is not ours.
core::Result<void> check_lease(sql::Connection& db, const LeaseFence& fence);

// Whether libpq has given `db` up (a PostgreSQL connection whose server went away): the store
// never reconnects, so a relay holding the lease must stop and compete for it again.
bool connection_broken(const sql::Connection& db) noexcept;

// Sets the store's connection `db` of the holder so that a transaction it leaves open ends within
// the ttl: the server closes the session of a process paused in the middle of a write (SIGSTOP, a
// VM frozen), whose lock on the lease row would otherwise hold every takeover off for as long.
core::Result<void> bound_open_transactions(sql::Connection& db, const LeaseTiming& timing);

// One named lease on a connection of its own (the store's connection is the engine's single
// writer, and a standby has no store open). Not thread-safe.
class Lease {
 public:
  // Connects, and creates the `lease` table in the target's schema if it is missing: before the
  // store is opened, so only the holder ever migrates the store. The connection waits for a row
  // lock no longer than timing.renew (a fenced write of the holder holds one).
  static core::Result<Lease> open(const PostgresTarget& target, std::string name, std::string holder,
                                  LeaseTiming timing);

  // Takes the lease if it is free or expired, or renews it if this holder has it, for the ttl
  // from the database's now(); a new holder gets the previous token + 1 (1 for a new row). The
  // token this holder holds now, or nullopt while another holder's grant runs. Reconnects first if
  // the connection was lost; a database error is returned as is (the caller retries).
  core::Result<std::optional<std::int64_t>> acquire();
  // The row as it is (nullopt: nobody ever took the lease).
  core::Result<std::optional<LeaseRow>> read();
  // Ends this holder's grant under `token` now, so a standby need not wait for the ttl (after a
  // clean stop, once the store is closed). Nothing happens if the lease is no longer ours.
  core::Result<void> release(std::int64_t token);

  const std::string& holder() const noexcept { return holder_; }
  LeaseFence fence(std::int64_t token) const { return LeaseFence{name_, holder_, token}; }

 private:
  Lease(PostgresTarget target, std::string name, std::string holder, LeaseTiming timing)
      : target_(std::move(target)), name_(std::move(name)), holder_(std::move(holder)), timing_(timing) {}
  core::Result<sql::PostgresConnection*> connection();

  PostgresTarget target_;
  std::string name_;
  std::string holder_;
  LeaseTiming timing_;
  std::unique_ptr<sql::PostgresConnection> db_;  // null after a failed reconnection
  bool broken_ = false;                          // the last statement lost the connection
};

// The holder's renewal policy, apart from threads and clocks so tests can drive it: a grant
// counts from when the statement that obtained it was sent (never later than the database's
// now(), so the holder's reckoning never outlives the database's), a failed renewal is retried
// until that reckoning runs out, and another holder or another token is a loss at once.
class LeaseRenewal {
 public:
  using Clock = std::chrono::steady_clock;
  enum class Verdict : std::uint8_t { kHeld, kRetry, kLost };

  LeaseRenewal(LeaseTiming timing, std::int64_t token, Clock::time_point granted_at) noexcept
      : timing_(timing), token_(token), valid_until_(granted_at + timing.ttl), next_(granted_at + timing.renew) {}

  // The outcome of one Lease::acquire sent at `sent` and returned at `now`.
  Verdict record(const core::Result<std::optional<std::int64_t>>& outcome, Clock::time_point sent,
                 Clock::time_point now) noexcept;
  // Whether the grant has run out by this holder's reckoning (no renewal got through in time).
  bool expired(Clock::time_point now) const noexcept { return now >= valid_until_; }
  Clock::time_point next_attempt() const noexcept { return next_; }
  Clock::time_point valid_until() const noexcept { return valid_until_; }
  std::int64_t token() const noexcept { return token_; }

 private:
  LeaseTiming timing_;
  std::int64_t token_;
  Clock::time_point valid_until_;
  Clock::time_point next_;
};

}  // namespace causeway::store
