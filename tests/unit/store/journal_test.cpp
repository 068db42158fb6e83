// The SQLite submission journal (relay/core/journal.hpp implemented by relay/store/store.cpp),
// including a signed transaction surviving SIGKILL before broadcast (THREATS 26).
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "relay/core/journal.hpp"
#include "relay/store/store.hpp"
#include "tests/unit/store/store_fixtures.hpp"

using namespace causeway;
using causeway::test::TempDir;
using core::SubmissionState;
namespace rj = core::reason::journal;

namespace {

const core::NonceKey kKey{31337, test::fixed_of<core::Address>("gas", 1)};
const core::NonceKey kOtherKey{31337, test::fixed_of<core::Address>("gas", 2)};

core::SignedTxRecord signed_tx(std::uint64_t nonce, std::uint64_t n, const core::NonceKey& key = kKey) {
  core::SignedTxRecord r;
  r.key = key;
  r.nonce = nonce;
  r.tx_hash = test::fixed_of("tx", n);
  r.raw = core::Bytes{0x02, 0xf8, static_cast<std::uint8_t>(n)};
  r.tag = "batch-" + std::to_string(n);
  return r;
}

std::unique_ptr<store::Store> open_store(const std::string& path) {
  auto opened = test::open_test_store(path, test::test_options());
  INFO((opened.ok() ? std::string() : opened.error().message()));
  REQUIRE(opened.ok());
  return std::move(opened).value();
}

// A store whose write guard counts its write transactions in `writes`.
std::unique_ptr<store::Store> counting_store(const std::string& path, std::size_t& writes) {
  auto options = test::test_options();
  options.write_guard = [&writes](store::sql::Connection&) -> core::Result<void> {
    ++writes;
    return core::ok();
  };
  auto opened = test::open_test_store(path, options);
  REQUIRE(opened.ok());
  return std::move(opened).value();
}

SubmissionState state_of(core::SubmissionJournal& j, const core::SignedTxRecord& r) {
  auto found = j.find({r.key, r.tx_hash});
  REQUIRE(found.ok());
  REQUIRE(found->has_value());
  return (**found).state;
}

}  // namespace

TEST_CASE("journal records, broadcasts, confirms and drops signed transactions", "[unit]") {
  TempDir dir;
  auto s = open_store(dir.file("relay.db"));
  auto& j = s->journal();
  CHECK_FALSE(j.last_nonce({kKey})->has_value());

  const auto a = signed_tx(7, 1);
  REQUIRE(j.record_signed(a).ok());
  auto found = j.find({kKey, a.tx_hash});
  REQUIRE(found.ok());
  REQUIRE(found->has_value());
  CHECK((**found).raw == a.raw);
  CHECK((**found).tag == a.tag);
  CHECK((**found).state == SubmissionState::kSigned);
  CHECK_FALSE((**found).replaces.has_value());
  CHECK_FALSE(j.find({kOtherKey, a.tx_hash})->has_value());  // found only under its own key
  CHECK(j.record_signed(a).error().reason() == rj::kDuplicateTransaction);

  REQUIRE(j.mark_broadcast({kKey, a.tx_hash}).ok());
  REQUIRE(j.mark_broadcast({kKey, a.tx_hash}).ok());  // idempotent
  CHECK(state_of(j, a) == SubmissionState::kBroadcast);
  CHECK(**j.last_nonce({kKey}) == 7);

  const auto b = signed_tx(8, 2);
  REQUIRE(j.record_signed(b).ok());
  REQUIRE(j.mark_dropped({kKey, b.tx_hash, "nonce.too_low"}).ok());
  CHECK(state_of(j, b) == SubmissionState::kDropped);
  CHECK(j.mark_broadcast({kKey, b.tx_hash}).error().reason() == rj::kBadTransition);
  CHECK(j.mark_confirmed({kKey, b.tx_hash, 10, true}).error().reason() == rj::kBadTransition);
  CHECK(**j.last_nonce({kKey}) == 8);  // in any state

  REQUIRE(j.mark_confirmed({kKey, a.tx_hash, 12, false}).ok());
  CHECK(state_of(j, a) == SubmissionState::kConfirmed);
  CHECK(j.mark_dropped({kKey, a.tx_hash, "x"}).error().reason() == rj::kBadTransition);
  CHECK(j.mark_broadcast({kKey, test::fixed_of("tx", 99)}).error().reason() == rj::kUnknownTransaction);
  CHECK(j.pending({kKey})->empty());
  REQUIRE(s->close().ok());
}

// What each write's transaction commits with, read inside it by the write guard (SQLite's
// synchronous 2 is FULL and 1 NORMAL; PostgreSQL's synchronous_commit on or off): a signed
// transaction is on disk before its broadcast, and a drop is the relay's decision, so both are
// synced; broadcast and confirmation are the chain's facts, relaxed.
TEST_CASE("journal: signed and dropped commit synced, broadcast and confirmed relaxed", "[unit]") {
  TempDir dir;
  std::vector<std::string> levels;
  auto options = test::test_options();
  options.write_guard = [&levels](store::sql::Connection& db) -> core::Result<void> {
    if (db.dialect() == store::sql::Dialect::kPostgres) {
      CW_TRY(const std::string level, db.query_text("SHOW synchronous_commit"));
      levels.push_back(level == "on" ? "synced" : level == "off" ? "relaxed" : level);
    } else {
      CW_TRY(const std::int64_t level, db.query_int("PRAGMA synchronous"));
      levels.push_back(level == 2 ? "synced" : level == 1 ? "relaxed" : std::to_string(level));
    }
    return core::ok();
  };
  auto opened = test::open_test_store(dir.file("relay.db"), options);
  REQUIRE(opened.ok());
  auto s = std::move(opened).value();
  auto& j = s->journal();
  const auto a = signed_tx(7, 1);
  REQUIRE(j.record_signed(a).ok());
  REQUIRE(j.mark_broadcast({kKey, a.tx_hash}).ok());
  REQUIRE(j.mark_confirmed({kKey, a.tx_hash, 12, true}).ok());
  const auto b = signed_tx(8, 2);
  REQUIRE(j.record_signed(b).ok());
  REQUIRE(j.mark_dropped({kKey, b.tx_hash, "nonce.too_low"}).ok());
  REQUIRE(s->insert_observed(test::new_message(1)).ok());  // any other write: synced again
  CHECK(levels == std::vector<std::string>{"synced", "relaxed", "relaxed", "synced", "synced", "synced"});
  REQUIRE(s->close().ok());
}

TEST_CASE("journal: a batch of signed transactions is one synced commit, all or none", "[unit]") {
  TempDir dir;
  std::size_t writes = 0;
  auto s = counting_store(dir.file("relay.db"), writes);
  auto& j = s->journal();
  // A fee bump may replace a record written earlier in the same batch.
  auto bump = signed_tx(1, 3);
  bump.replaces = signed_tx(1, 1).tx_hash;
  const std::vector<core::SignedTxRecord> batch{signed_tx(1, 1), signed_tx(2, 2), bump};
  writes = 0;
  REQUIRE(j.record_signed_all(batch).ok());
  CHECK(writes == 1);
  auto live = j.pending({kKey});
  REQUIRE(live.ok());
  REQUIRE(live->size() == 3);
  CHECK((*live)[1].tx_hash == bump.tx_hash);
  CHECK((*live)[2].tag == "batch-2");

  // The second record is already journaled: the whole batch is refused and the first not kept.
  const std::vector<core::SignedTxRecord> repeats{signed_tx(3, 4), signed_tx(2, 2)};
  CHECK(j.record_signed_all(repeats).error().reason() == rj::kDuplicateTransaction);
  CHECK_FALSE(j.find({kKey, signed_tx(3, 4).tx_hash})->has_value());
  CHECK(**j.last_nonce({kKey}) == 2);
  REQUIRE(s->close().ok());
}

TEST_CASE("journal: broadcasts and receipts of a batch are one relaxed commit each, all or none", "[unit]") {
  TempDir dir;
  std::size_t writes = 0;
  auto s = counting_store(dir.file("relay.db"), writes);
  auto& j = s->journal();
  const std::vector<core::SignedTxRecord> batch{signed_tx(1, 1), signed_tx(2, 2), signed_tx(3, 3)};
  REQUIRE(j.record_signed_all(batch).ok());

  writes = 0;
  const std::vector<core::MarkBroadcastRequest> sent{{kKey, batch[0].tx_hash}, {kKey, batch[1].tx_hash}};
  REQUIRE(j.mark_broadcast_all(sent).ok());
  CHECK(writes == 1);
  CHECK(state_of(j, batch[0]) == SubmissionState::kBroadcast);
  CHECK(state_of(j, batch[1]) == SubmissionState::kBroadcast);
  CHECK(state_of(j, batch[2]) == SubmissionState::kSigned);

  // An unknown transaction refuses the whole call: the known one stays as it was.
  const std::vector<core::MarkBroadcastRequest> unknown{{kKey, batch[2].tx_hash}, {kKey, test::fixed_of("tx", 99)}};
  CHECK(j.mark_broadcast_all(unknown).error().reason() == rj::kUnknownTransaction);
  CHECK(state_of(j, batch[2]) == SubmissionState::kSigned);

  writes = 0;
  const std::vector<core::MarkConfirmedRequest> mined{{kKey, batch[0].tx_hash, 9, true},
                                                      {kKey, batch[1].tx_hash, 9, false}};
  REQUIRE(j.mark_confirmed_all(mined).ok());
  CHECK(writes == 1);
  CHECK(state_of(j, batch[0]) == SubmissionState::kConfirmed);
  CHECK(state_of(j, batch[1]) == SubmissionState::kConfirmed);
  // One already confirmed refuses the call: the live one is not confirmed either.
  const std::vector<core::MarkConfirmedRequest> again{{kKey, batch[2].tx_hash, 10, true},
                                                      {kKey, batch[0].tx_hash, 10, true}};
  CHECK(j.mark_confirmed_all(again).error().reason() == rj::kBadTransition);
  CHECK(state_of(j, batch[2]) == SubmissionState::kSigned);
  REQUIRE(s->close().ok());
}

TEST_CASE("journal replacements: a fee bump stays live beside its original until one confirms", "[unit]") {
  TempDir dir;
  auto s = open_store(dir.file("relay.db"));
  auto& j = s->journal();
  const auto original = signed_tx(3, 1);
  REQUIRE(j.record_signed(original).ok());
  REQUIRE(j.mark_broadcast({kKey, original.tx_hash}).ok());

  auto bump = signed_tx(3, 2);
  bump.replaces = original.tx_hash;
  REQUIRE(j.record_signed(bump).ok());
  CHECK(*(*j.find({kKey, bump.tx_hash}))->replaces == original.tx_hash);

  auto wrong_nonce = signed_tx(4, 3);
  wrong_nonce.replaces = original.tx_hash;
  CHECK(j.record_signed(wrong_nonce).error().reason() == rj::kBadReplacement);
  auto wrong_key = signed_tx(3, 4, kOtherKey);
  wrong_key.replaces = original.tx_hash;
  CHECK(j.record_signed(wrong_key).error().reason() == rj::kBadReplacement);
  auto unknown = signed_tx(3, 5);
  unknown.replaces = test::fixed_of("tx", 77);
  CHECK(j.record_signed(unknown).error().reason() == rj::kBadReplacement);

  const auto next = signed_tx(4, 6);
  REQUIRE(j.record_signed(next).ok());
  REQUIRE(j.record_signed(signed_tx(1, 7, kOtherKey)).ok());
  auto live = j.pending({kKey});
  REQUIRE(live.ok());
  REQUIRE(live->size() == 3);  // by nonce, then in the order recorded
  CHECK((*live)[0].tx_hash == original.tx_hash);
  CHECK((*live)[1].tx_hash == bump.tx_hash);
  CHECK((*live)[2].tx_hash == next.tx_hash);

  REQUIRE(j.mark_confirmed({kKey, bump.tx_hash, 50, true}).ok());
  CHECK(state_of(j, bump) == SubmissionState::kConfirmed);
  CHECK(state_of(j, original) == SubmissionState::kReplaced);
  CHECK(state_of(j, next) == SubmissionState::kSigned);
  CHECK(j.pending({kKey})->size() == 1);
  // A replaced record is no longer live, so it cannot be replaced again.
  auto late = signed_tx(3, 8);
  late.replaces = original.tx_hash;
  CHECK(j.record_signed(late).error().reason() == rj::kBadReplacement);
  REQUIRE(s->close().ok());
}

TEST_CASE("journal survives a reopen and reports a closed store as a storage failure", "[unit]") {
  TempDir dir;
  const auto path = dir.file("relay.db");
  const auto a = signed_tx(1, 1);
  {
    auto s = open_store(path);
    REQUIRE(s->journal().record_signed(a).ok());
    REQUIRE(s->close().ok());
    auto failed = s->journal().record_signed(signed_tx(2, 2));
    REQUIRE_FALSE(failed.ok());
    CHECK(failed.error().reason() == rj::kStorageFailed);
    CHECK_THAT(failed.error().message(), Catch::Contains("store.closed"));
  }
  auto s = open_store(path);
  auto live = s->journal().pending({kKey});
  REQUIRE(live.ok());
  REQUIRE(live->size() == 1);
  CHECK((*live)[0].raw == a.raw);
  REQUIRE(s->close().ok());
}

TEST_CASE("crash safety: a signed transaction survives kill -9 before broadcast", "[integration]") {
  TempDir dir;
  const auto path = dir.file("relay.db");
  const auto tx = signed_tx(42, 1);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // The relay: journal the signed transaction, then die before broadcasting or closing.
    auto opened = store::Store::open(path, test::test_options());
    if (!opened.ok()) ::_exit(10);
    if (!(*opened)->journal().record_signed(tx).ok()) ::_exit(11);
    ::kill(::getpid(), SIGKILL);
    ::_exit(12);  // not reached
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFSIGNALED(status));
  REQUIRE(WTERMSIG(status) == SIGKILL);

  // The kernel released the lock with the process; the WAL holds the committed record.
  auto s = open_store(path);
  CHECK(s->open_report().unclean_shutdown);
  CHECK(s->open_report().integrity_checked);
  auto found = s->journal().find({kKey, tx.tx_hash});
  REQUIRE(found.ok());
  REQUIRE(found->has_value());
  CHECK((**found).state == SubmissionState::kSigned);
  CHECK((**found).raw == tx.raw);
  CHECK(**s->journal().last_nonce({kKey}) == 42);
  REQUIRE(s->journal().pending({kKey})->size() == 1);  // the engine rebroadcasts it on restart
  REQUIRE(s->close().ok());
}
