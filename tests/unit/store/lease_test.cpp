// The database lease (relay/store/lease.cpp) against a throwaway server
// (tests/support/with_postgres.sh): taking, refusing, renewing, releasing and taking over by
// token, the fence inside the store's write transactions, a lost connection, and the holder's
// renewal policy on an injected clock. A grant is expired by rewriting its row, not by waiting.
#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <string>

#include "relay/store/lease.hpp"
#include "relay/store/store.hpp"
#include "tests/unit/store/store_fixtures.hpp"

using namespace causeway;
using namespace std::chrono_literals;
using causeway::test::TempDir;

namespace {

constexpr store::LeaseTiming kTiming{10'000ms, 1'000ms};

store::Lease open_lease(const store::PostgresTarget& target, const std::string& holder) {
  auto lease = store::Lease::open(target, "relay", holder, kTiming);
  INFO((lease.ok() ? std::string() : lease.error().message()));
  REQUIRE(lease.ok());
  return std::move(lease).value();
}

std::optional<std::int64_t> acquire(store::Lease& lease) {
  auto token = lease.acquire();
  INFO((token.ok() ? std::string() : token.error().message()));
  REQUIRE(token.ok());
  return *token;
}

// The grant runs out now, as if its holder had stopped renewing a ttl ago.
void expire(const store::PostgresTarget& target) {
  auto db = store::sql::PostgresConnection::connect(target);
  REQUIRE(db.ok());
  REQUIRE((*db)->exec("UPDATE lease SET expires_at = now() - interval '1 second'").ok());
}

}  // namespace

TEST_CASE("lease: a free lease is taken with token 1 and renewing keeps the token", "[postgres]") {
  TempDir dir;
  const auto target = test::postgres_target_for(dir.file("free"));
  auto a = open_lease(target, "host-a:1:x");
  auto none = a.read();
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());
  CHECK(acquire(a) == 1);
  CHECK(acquire(a) == 1);
  auto row = a.read();
  REQUIRE(row.ok());
  REQUIRE(row->has_value());
  CHECK((*row)->holder == "host-a:1:x");
  CHECK((*row)->token == 1);
  CHECK_FALSE((*row)->expired);
}

TEST_CASE("lease: another holder is refused while the grant runs, and takes it after expiry with token + 1",
          "[postgres]") {
  TempDir dir;
  const auto target = test::postgres_target_for(dir.file("takeover"));
  auto a = open_lease(target, "a");
  auto b = open_lease(target, "b");
  REQUIRE(acquire(a) == 1);
  CHECK_FALSE(acquire(b).has_value());
  CHECK(a.read().value()->holder == "a");

  expire(target);
  CHECK(a.read().value()->expired);
  CHECK(acquire(b) == 2);
  // The old holder's renewal now finds another holder: no row, no change.
  CHECK_FALSE(acquire(a).has_value());
  CHECK(b.read().value()->holder == "b");
  CHECK(b.read().value()->token == 2);
}

TEST_CASE("lease: a released grant is taken at once by the next holder", "[postgres]") {
  TempDir dir;
  const auto target = test::postgres_target_for(dir.file("release"));
  auto a = open_lease(target, "a");
  auto b = open_lease(target, "b");
  REQUIRE(acquire(a) == 1);
  // A stale token releases nothing.
  REQUIRE(a.release(7).ok());
  CHECK_FALSE(acquire(b).has_value());
  REQUIRE(a.release(1).ok());
  CHECK(acquire(b) == 2);
}

TEST_CASE("lease: the fence lets the holder write and refuses every write after a takeover", "[postgres]") {
  TempDir dir;
  const auto target = test::postgres_target_for(dir.file("fence"));
  auto a = open_lease(target, "a");
  REQUIRE(acquire(a) == 1);
  auto options = test::test_options();
  options.write_guard = [fence = a.fence(1)](store::sql::Connection& db) { return store::check_lease(db, fence); };
  // The lease table, created first, does not make the schema someone else's.
  auto opened = store::Store::open_postgres(target, options);
  INFO((opened.ok() ? std::string() : opened.error().message()));
  REQUIRE(opened.ok());
  auto& s = **opened;
  REQUIRE(s.insert_observed(test::new_message(1)).ok());

  expire(target);
  // Expired but not yet taken: already refused.
  CHECK(s.insert_observed(test::new_message(2)).error().reason() == store::reason::kLeaseLost);
  auto b = open_lease(target, "b");
  REQUIRE(acquire(b) == 2);
  // Even a renewal that found no one else would not help: the token is the old one.
  const auto id = core::message_id(test::test_message(1));
  auto refused = s.apply(test::to_state(id, store::MessageState::kVerified));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().reason() == store::reason::kLeaseLost);
  CHECK(s.message(id).value()->state == store::MessageState::kObserved);
  CHECK_FALSE(s.message(core::message_id(test::test_message(2))).value().has_value());
  CHECK(s.audit_size() == 0);
  CHECK_FALSE(s.connection().in_transaction());
}

TEST_CASE("lease: a fenced write in progress makes a standby's attempt fail after the lock timeout, not hang",
          "[postgres]") {
  TempDir dir;
  const auto target = test::postgres_target_for(dir.file("locked"));
  auto a = open_lease(target, "a");
  auto b = open_lease(target, "b");
  REQUIRE(acquire(a) == 1);
  auto writer = store::sql::PostgresConnection::connect(target);
  REQUIRE(writer.ok());
  REQUIRE(store::bound_open_transactions(**writer, kTiming).ok());
  CHECK(*(*writer)->query_text("SHOW idle_in_transaction_session_timeout") == "10s");
  REQUIRE((*writer)->begin(store::sql::Durability::kSynced).ok());
  REQUIRE(store::check_lease(**writer, a.fence(1)).ok());
  auto waited = b.acquire();
  REQUIRE_FALSE(waited.ok());
  CHECK(waited.error().reason() == store::reason::kPostgres);
  CHECK(waited.error().message().find("55P03") != std::string::npos);  // lock_not_available
  REQUIRE((*writer)->exec("ROLLBACK").ok());
  CHECK_FALSE(acquire(b).has_value());
}

TEST_CASE("lease: an unreachable server and a lost connection are named errors, then it reconnects", "[postgres]") {
  store::PostgresTarget nowhere;
  nowhere.conninfo = "host=127.0.0.1 port=1 dbname=postgres connect_timeout=2";
  nowhere.password = "lease-secret-77";
  auto refused = store::Lease::open(nowhere, "relay", "a", kTiming);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().reason() == store::reason::kConnection);
  CHECK(refused.error().message().find("lease-secret-77") == std::string::npos);

  TempDir dir;
  const auto target = test::postgres_target_for(dir.file("reconnect"));
  auto a = open_lease(target, "a");
  REQUIRE(acquire(a) == 1);
  auto admin = store::sql::PostgresConnection::connect(target);
  REQUIRE(admin.ok());
  REQUIRE((*admin)
              ->exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                     "WHERE pid <> pg_backend_pid() AND query LIKE '%INSERT INTO lease%'")
              .ok());
  auto lost = a.acquire();
  REQUIRE_FALSE(lost.ok());
  CHECK(lost.error().reason() == store::reason::kConnection);
  // The next attempt connects again and renews under the same token.
  CHECK(acquire(a) == 1);
}

TEST_CASE("lease renewal: held while renewals succeed, retried until the grant would run out, lost to a new token",
          "[postgres]") {
  using Clock = store::LeaseRenewal::Clock;
  using Verdict = store::LeaseRenewal::Verdict;
  const store::LeaseTiming timing{3000ms, 1000ms};
  const Clock::time_point t0{};
  store::LeaseRenewal renewal(timing, 4, t0);
  CHECK(renewal.next_attempt() == t0 + 1000ms);
  CHECK(renewal.valid_until() == t0 + 3000ms);

  const core::Result<std::optional<std::int64_t>> same{std::optional<std::int64_t>{4}};
  CHECK(renewal.record(same, t0 + 1000ms, t0 + 1010ms) == Verdict::kHeld);
  CHECK(renewal.valid_until() == t0 + 4000ms);  // from when the renewal was sent, not answered
  CHECK(renewal.next_attempt() == t0 + 2000ms);

  const core::Result<std::optional<std::int64_t>> down{core::Error(store::reason::kConnection, "test")};
  CHECK(renewal.record(down, t0 + 2000ms, t0 + 2000ms) == Verdict::kRetry);
  CHECK(renewal.next_attempt() == t0 + 2250ms);
  CHECK_FALSE(renewal.expired(t0 + 3999ms));
  CHECK(renewal.record(down, t0 + 3900ms, t0 + 3900ms) == Verdict::kRetry);
  CHECK(renewal.next_attempt() == t0 + 4000ms);  // never past the grant
  CHECK(renewal.expired(t0 + 4000ms));
  CHECK(renewal.record(down, t0 + 4000ms, t0 + 4000ms) == Verdict::kLost);

  store::LeaseRenewal other(timing, 4, t0);
  const core::Result<std::optional<std::int64_t>> taken{std::optional<std::int64_t>{}};
  CHECK(other.record(taken, t0 + 1000ms, t0 + 1000ms) == Verdict::kLost);
  store::LeaseRenewal retaken(timing, 4, t0);
  const core::Result<std::optional<std::int64_t>> newer{std::optional<std::int64_t>{6}};
  CHECK(retaken.record(newer, t0 + 1000ms, t0 + 1000ms) == Verdict::kLost);
}
