// The message state machine of DESIGN.md section 4 as the store enforces it, group commit, and
// rejections by claim that cannot poison the genuine message (THREATS "no poisoning").
#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <vector>

#include "relay/core/hash.hpp"
#include "relay/store/store.hpp"
#include "tests/unit/store/store_fixtures.hpp"

using namespace causeway;
using causeway::test::TempDir;
using S = store::MessageState;

namespace {

// The legal moves, written out independently of the implementation's table. Parked here means
// parked from observed (the path used to reach it below).
const std::map<S, std::set<S>>& expected_moves() {
  static const std::map<S, std::set<S>> moves = {
      {S::kObserved, {S::kVerified, S::kParked, S::kOrphaned}},
      {S::kVerified,
       {S::kVoted, S::kExecutedOk, S::kExecutedFailed, S::kTimedOut, S::kSkipped, S::kParked, S::kOrphaned}},
      {S::kVoted, {S::kExecutedOk, S::kExecutedFailed, S::kTimedOut, S::kSkipped, S::kParked, S::kOrphaned}},
      {S::kExecutedOk, {S::kAcknowledged}},
      {S::kExecutedFailed, {S::kAcknowledged}},
      {S::kTimedOut, {S::kAcknowledged}},
      {S::kSkipped, {S::kAcknowledged}},
      {S::kAcknowledged, {}},
      {S::kParked, {S::kObserved, S::kVerified, S::kOrphaned}},
      {S::kOrphaned, {S::kObserved}},
  };
  return moves;
}

// The transitions that lead from observed to `state`.
std::vector<S> path_to(S state) {
  switch (state) {
    case S::kObserved: return {};
    case S::kVerified: return {S::kVerified};
    case S::kVoted: return {S::kVerified, S::kVoted};
    case S::kExecutedOk:
    case S::kExecutedFailed:
    case S::kTimedOut:
    case S::kSkipped: return {S::kVerified, S::kVoted, state};
    case S::kAcknowledged: return {S::kVerified, S::kVoted, S::kExecutedOk, S::kAcknowledged};
    case S::kParked: return {S::kParked};
    case S::kOrphaned: return {S::kOrphaned};
  }
  return {};
}

struct Fixture {
  TempDir dir;
  std::unique_ptr<store::Store> store;
  Fixture() {
    auto opened = test::open_test_store(dir.file("relay.db"), test::test_options());
    REQUIRE(opened.ok());
    store = std::move(opened).value();
  }
  ~Fixture() { (void)store->close(); }

  core::MessageId observe(std::uint64_t sequence) {
    auto inserted = store->insert_observed(test::new_message(sequence));
    REQUIRE(inserted.ok());
    return core::message_id(test::test_message(sequence));
  }
  S state_of(const core::MessageId& id) {
    auto m = store->message(id);
    REQUIRE(m.ok());
    REQUIRE(m->has_value());
    return (**m).state;
  }
};

}  // namespace

TEST_CASE("every legal message transition is applied and every illegal one refused by name", "[unit]") {
  Fixture f;
  std::uint64_t sequence = 0;
  for (const auto from : store::kAllMessageStates) {
    for (const auto to : store::kAllMessageStates) {
      const auto id = f.observe(++sequence);
      for (const auto step : path_to(from)) REQUIRE(f.store->apply(test::to_state(id, step, sequence)).ok());
      REQUIRE(f.state_of(id) == from);
      const auto size_before = f.store->audit_size();
      const bool legal = expected_moves().at(from).count(to) != 0;
      INFO(store::to_string(from) << " -> " << store::to_string(to));
      auto applied = f.store->apply(test::to_state(id, to, sequence + 1000));
      CHECK(applied.ok() == legal);
      if (legal) {
        CHECK(f.state_of(id) == to);
        CHECK(f.store->audit_size() == size_before + (to == S::kObserved ? 0 : 1));
      } else {
        REQUIRE_FALSE(applied.ok());
        CHECK(applied.error().reason() == store::reason::kIllegalTransition);
        CHECK_THAT(applied.error().message(),
                   Catch::Contains(std::string(store::to_string(from)) + " -> " + std::string(store::to_string(to))));
        CHECK(f.state_of(id) == from);
        CHECK(f.store->audit_size() == size_before);
      }
    }
  }
}

TEST_CASE("a parked message resumes where it stopped and never skips verification", "[unit]") {
  Fixture f;
  const auto unverified = f.observe(1);
  auto park = test::to_state(unverified, S::kParked);
  park.reason = "verify.endpoint_unreachable";
  REQUIRE(f.store->apply(park).ok());
  auto m = f.store->message(unverified);
  REQUIRE(m.ok());
  CHECK((**m).parked_from == S::kObserved);
  CHECK((**m).parked_reason == "verify.endpoint_unreachable");
  auto vote = f.store->apply(test::to_state(unverified, S::kVoted));
  REQUIRE_FALSE(vote.ok());
  CHECK(vote.error().reason() == store::reason::kIllegalTransition);
  CHECK_THAT(vote.error().message(), Catch::Contains("parked from observed"));

  const auto verified = f.observe(2);
  REQUIRE(f.store->apply(test::to_state(verified, S::kVerified)).ok());
  REQUIRE(f.store->apply(test::to_state(verified, S::kParked)).ok());
  CHECK(store::is_legal_transition(S::kParked, S::kVoted, S::kVerified));
  REQUIRE(f.store->apply(test::to_state(verified, S::kVoted)).ok());
  m = f.store->message(verified);
  REQUIRE(m.ok());
  CHECK((**m).state == S::kVoted);
  CHECK_FALSE((**m).parked_from.has_value());
  CHECK((**m).parked_reason.empty());
}

TEST_CASE("transitions without evidence, reason or message are refused by name", "[unit]") {
  Fixture f;
  const auto id = f.observe(1);
  auto no_evidence = test::to_state(id, S::kVerified);
  no_evidence.evidence = core::Hash32{};
  CHECK(f.store->apply(no_evidence).error().reason() == store::reason::kMissingEvidence);
  auto no_reason = test::to_state(id, S::kParked);
  no_reason.reason.clear();
  CHECK(f.store->apply(no_reason).error().reason() == store::reason::kMissingReason);
  auto unknown = test::to_state(test::fixed_of<core::MessageId>("unknown", 1), S::kVerified);
  CHECK(f.store->apply(unknown).error().reason() == store::reason::kNotFound);
  CHECK(f.state_of(id) == S::kObserved);
  CHECK(f.store->audit_size() == 0);
}

TEST_CASE("attempts count retries of a stage and reset when the state moves", "[unit]") {
  Fixture f;
  const auto id = f.observe(1);
  REQUIRE(f.store->record_attempt(id, test::kTestTime + 30).ok());
  REQUIRE(f.store->record_attempt(id, test::kTestTime + 90).ok());
  auto m = f.store->message(id);
  REQUIRE(m.ok());
  CHECK((**m).attempts == 2);
  CHECK((**m).next_attempt_at == test::kTestTime + 90);
  auto due = f.store->due_messages(S::kObserved, test::kTestTime, 10);
  REQUIRE(due.ok());
  CHECK(due->empty());
  due = f.store->due_messages(S::kObserved, test::kTestTime + 90, 10);
  REQUIRE(due.ok());
  REQUIRE(due->size() == 1);
  CHECK((*due)[0].message == test::test_message(1));
  CHECK((*due)[0].lane == store::lane_key(test::test_message(1)));

  REQUIRE(f.store->apply(test::to_state(id, S::kParked)).ok());  // parking keeps the count
  m = f.store->message(id);
  CHECK((**m).attempts == 2);
  REQUIRE(f.store->apply(test::to_state(id, S::kVerified)).ok());
  m = f.store->message(id);
  CHECK((**m).attempts == 0);
  CHECK(f.store->record_attempt(test::fixed_of<core::MessageId>("x", 1), 0).error().reason() ==
        store::reason::kNotFound);
}

TEST_CASE("observing a message twice is idempotent and a different claim is refused", "[unit]") {
  Fixture f;
  auto first = f.store->insert_observed(test::new_message(1));
  REQUIRE(first.ok());
  CHECK(*first);
  auto again = f.store->insert_observed(test::new_message(1));
  REQUIRE(again.ok());
  CHECK_FALSE(*again);
  auto other = test::new_message(1);
  other.claim = test::fixed_of<core::Claim>("reorged", 1);
  CHECK(f.store->insert_observed(other).error().reason() == store::reason::kClaimConflict);

  // After a reorg the message is orphaned and observed again under its new claim.
  const auto id = core::message_id(other.message);
  REQUIRE(f.store->apply(test::to_state(id, S::kOrphaned)).ok());
  auto reobserve = test::to_state(id, S::kObserved);
  reobserve.claim = other.claim;
  REQUIRE(f.store->apply(reobserve).ok());
  auto m = f.store->message(id);
  CHECK((**m).claim == other.claim);
}

TEST_CASE("a group commit applies inserts, transitions and cursors together or not at all", "[unit]") {
  Fixture f;
  const auto chain = test::fixed_of<core::ChainIdentity>("src", 1);
  store::WriteBatch ok_batch;
  for (std::uint64_t i = 1; i <= 3; ++i) ok_batch.observed.push_back(test::new_message(i));
  for (std::uint64_t i = 1; i <= 3; ++i) {
    ok_batch.transitions.push_back(test::to_state(core::message_id(test::test_message(i)), S::kVerified, i));
  }
  ok_batch.cursors.push_back({chain, 100, test::fixed_of("block", 100)});
  REQUIRE(f.store->batch(ok_batch).ok());
  CHECK(f.store->audit_size() == 3);
  auto cursor = f.store->cursor(chain);
  REQUIRE(cursor.ok());
  CHECK(**cursor == ok_batch.cursors[0]);

  store::WriteBatch bad_batch;
  bad_batch.observed.push_back(test::new_message(4));
  bad_batch.transitions.push_back(test::to_state(core::message_id(test::test_message(1)), S::kVoted));
  bad_batch.transitions.push_back(test::to_state(core::message_id(test::test_message(2)), S::kAcknowledged));
  bad_batch.cursors.push_back({chain, 101, test::fixed_of("block", 101)});
  auto failed = f.store->batch(bad_batch);
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().reason() == store::reason::kIllegalTransition);
  CHECK_THAT(failed.error().message(), Catch::Contains("transitions[1]"));
  CHECK(f.state_of(core::message_id(test::test_message(1))) == S::kVerified);
  CHECK_FALSE(f.store->message(core::message_id(test::test_message(4)))->has_value());
  CHECK((*f.store->cursor(chain))->height == 100);
  CHECK(f.store->audit_size() == 3);
}

TEST_CASE("a rejected forgery recorded by claim does not block the genuine message", "[unit]") {
  Fixture f;
  const auto genuine = test::new_message(7);
  const auto id = core::message_id(genuine.message);
  // A forged bundle names the genuine id but rests on an event that does not exist.
  store::Rejection forgery{test::fixed_of<core::Claim>("forged", 7), id, "verify.bad_seal", 0};
  auto recorded = f.store->record_rejected(forgery);
  REQUIRE(recorded.ok());
  CHECK(*recorded);
  auto replayed = f.store->record_rejected(forgery);  // the same forgery again adds nothing
  REQUIRE(replayed.ok());
  CHECK_FALSE(*replayed);
  CHECK(f.store->audit_size() == 1);
  REQUIRE(f.store->put_bundle({forgery.claim, id, R"({"forged":true})", false}).ok());

  REQUIRE(f.store->insert_observed(genuine).ok());
  REQUIRE(f.store->apply(test::to_state(id, S::kVerified)).ok());
  REQUIRE(f.store->put_bundle({genuine.claim, id, R"({"genuine":true})", true}).ok());
  CHECK(f.state_of(id) == S::kVerified);

  auto rejection = f.store->rejection(forgery.claim);
  REQUIRE(rejection.ok());
  REQUIRE(rejection->has_value());
  CHECK((**rejection).claimed_id == id);
  CHECK((**rejection).reason == "verify.bad_seal");
  CHECK_FALSE(f.store->rejection(genuine.claim)->has_value());
  CHECK((*f.store->bundle(genuine.claim))->verified);
  CHECK_FALSE((*f.store->bundle(forgery.claim))->verified);

  auto leaf = f.store->audit_entry(0);
  REQUIRE(leaf.ok());
  CHECK((**leaf).kind == core::AuditKind::kRejected);
  CHECK((**leaf).id == id);
  CHECK((**leaf).claim == forgery.claim);
  CHECK((**leaf).detail == core::keccak256(core::as_bytes("verify.bad_seal")));
}

TEST_CASE("a verified bundle is never overwritten by a later unverified one", "[unit]") {
  Fixture f;
  const auto claim = test::fixed_of<core::Claim>("c", 1);
  const auto id = test::fixed_of<core::MessageId>("m", 1);
  REQUIRE(f.store->put_bundle({claim, id, "{\"v\":1}", true}).ok());
  REQUIRE(f.store->put_bundle({claim, id, "{\"v\":2}", false}).ok());
  auto b = f.store->bundle(claim);
  REQUIRE(b.ok());
  CHECK((**b).json == "{\"v\":1}");
  CHECK((**b).verified);
}

TEST_CASE("verified headers never conflict and validator sets answer by height", "[unit]") {
  Fixture f;
  const auto chain = test::fixed_of<core::ChainIdentity>("src", 1);
  const store::VerifiedHeader header{chain, 10, test::fixed_of("h", 10), test::fixed_of("h", 9), {0xf9, 0x01}};
  REQUIRE(f.store->put_verified_header(header).ok());
  REQUIRE(f.store->put_verified_header(header).ok());  // idempotent
  auto rival = header;
  rival.hash = test::fixed_of("rival", 10);
  CHECK(f.store->put_verified_header(rival).error().reason() == store::reason::kHeaderConflict);
  CHECK(**f.store->verified_header(chain, 10) == header);
  CHECK_FALSE(f.store->verified_header(chain, 11)->has_value());

  const auto a = test::fixed_of<core::Address>("a", 1);
  const auto b = test::fixed_of<core::Address>("b", 1);
  REQUIRE(f.store->put_validator_set({chain, 0, {a}}).ok());
  REQUIRE(f.store->put_validator_set({chain, 100, {a, b}}).ok());
  CHECK((**f.store->validator_set_at(chain, 99)).validators == std::vector<core::Address>{a});
  CHECK((**f.store->validator_set_at(chain, 100)).validators == std::vector<core::Address>{a, b});
  CHECK((**f.store->validator_set_at(chain, 5000)).from_height == 100);
  CHECK(f.store->put_validator_set({chain, 100, {b}}).error().reason() == store::reason::kConstraint);
}

TEST_CASE("a relay-kept checkpoint round-trips: the latest verified header and the set after it", "[unit]") {
  Fixture f;
  const auto chain = test::fixed_of<core::ChainIdentity>("src", 1);
  const auto other = test::fixed_of<core::ChainIdentity>("src", 2);
  CHECK_FALSE(f.store->latest_verified_header(chain)->has_value());
  // Heights past 2^32, stored out of order, and another chain's higher one in between.
  const std::uint64_t base = 5'000'000'000;
  const store::VerifiedHeader older{chain, base, test::fixed_of("h", 1), test::fixed_of("p", 1), {0xf9, 0x01}};
  const store::VerifiedHeader newer{chain, base + 20, test::fixed_of("h", 2), test::fixed_of("p", 2), {0xf9, 0x02}};
  const store::VerifiedHeader elsewhere{other, base + 99, test::fixed_of("h", 3), test::fixed_of("p", 3), {0xf9}};
  const auto a = test::fixed_of<core::Address>("a", 1);
  const auto b = test::fixed_of<core::Address>("b", 1);
  // As the engine keeps one: the set in force after the header first, then the header.
  REQUIRE(f.store->put_validator_set({chain, newer.height + 1, {a, b}}).ok());
  REQUIRE(f.store->put_verified_header(newer).ok());
  REQUIRE(f.store->put_validator_set({chain, older.height + 1, {a}}).ok());
  REQUIRE(f.store->put_verified_header(older).ok());
  REQUIRE(f.store->put_verified_header(elsewhere).ok());

  auto latest = f.store->latest_verified_header(chain);
  REQUIRE(latest.ok());
  REQUIRE(latest->has_value());
  CHECK(**latest == newer);
  auto set = f.store->validator_set_at(chain, (*latest)->height + 1);
  REQUIRE(set.ok());
  REQUIRE(set->has_value());
  CHECK((*set)->from_height == newer.height + 1);
  CHECK((*set)->validators == std::vector<core::Address>{a, b});
  CHECK(**f.store->latest_verified_header(other) == elsewhere);
  CHECK_FALSE(f.store->latest_verified_header(test::fixed_of<core::ChainIdentity>("src", 3))->has_value());
}
