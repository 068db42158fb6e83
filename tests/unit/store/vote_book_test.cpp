// The vote book (migration 3): votes by (message, kind, claim, epoch, signer), the first of a key
// standing; group commits that carry votes with the transitions they belong to, or nothing at all.
#include <catch2/catch.hpp>

#include <vector>

#include "relay/store/store.hpp"
#include "tests/unit/store/store_fixtures.hpp"

using namespace causeway;
using causeway::test::TempDir;
using S = store::MessageState;

namespace {

store::VoteRecord vote_on(const core::MessageId& id, store::VoteKind kind, std::uint64_t signer_n) {
  store::VoteRecord vote;
  vote.id = id;
  vote.kind = kind;
  vote.claim = kind == store::VoteKind::kSkip ? core::Claim{} : test::fixed_of<core::Claim>("claim", 1);
  vote.status = kind == store::VoteKind::kAck ? 1 : 0;
  vote.epoch = 7;
  vote.signer = test::fixed_of<core::Address>("signer", signer_n);
  vote.signature.fill(static_cast<std::uint8_t>(signer_n));
  vote.signature[64] = 27;
  vote.origin = store::VoteOrigin::kPeer;
  return vote;
}

}  // namespace

TEST_CASE("vote book stores votes by key and keeps the first of a key", "[unit]") {
  TempDir dir;
  auto opened = test::open_test_store(dir.file("relay.db"), test::test_options());
  REQUIRE(opened);
  auto& s = **opened;
  const auto m = test::new_message(1);
  const auto id = core::message_id(m.message);
  REQUIRE(s.insert_observed(m));

  auto first = vote_on(id, store::VoteKind::kDeliver, 1);
  CHECK(s.put_vote(first).value());
  // The same key with other signature bytes (a re-signed vote) is a duplicate; nothing changes.
  auto again = first;
  again.signature.fill(0x55);
  CHECK_FALSE(s.put_vote(again).value());
  // Each key field on its own makes another vote.
  auto other_signer = vote_on(id, store::VoteKind::kDeliver, 2);
  auto other_epoch = first;
  other_epoch.epoch = 8;
  auto other_claim = first;
  other_claim.claim = test::fixed_of<core::Claim>("claim", 2);
  auto ack = vote_on(id, store::VoteKind::kAck, 1);
  auto skip = vote_on(id, store::VoteKind::kSkip, 1);
  for (const auto* vote : {&other_signer, &other_epoch, &other_claim, &ack, &skip}) CHECK(s.put_vote(*vote).value());

  const auto votes = s.votes(id).value();
  REQUIRE(votes.size() == 6);
  auto expected = first;
  expected.time = test::kTestTime;
  CHECK(votes.front() == expected);
  CHECK(votes[4].kind == store::VoteKind::kAck);
  CHECK(votes[4].status == 1);
  CHECK(votes[5].kind == store::VoteKind::kSkip);
  CHECK(votes[5].claim.is_zero());
  CHECK(s.votes(core::message_id(test::test_message(42))).value().empty());
}

TEST_CASE("vote book refuses a vote on a message it does not hold", "[unit]") {
  TempDir dir;
  auto opened = test::open_test_store(dir.file("relay.db"), test::test_options());
  REQUIRE(opened);
  const auto unknown = core::message_id(test::test_message(9));
  auto put = (*opened)->put_vote(vote_on(unknown, store::VoteKind::kDeliver, 1));
  REQUIRE_FALSE(put);
  CHECK(put.error().reason() == store::reason::kNotFound);
  CHECK((*opened)->votes(unknown).value().empty());
}

TEST_CASE("vote book: a group commit stores votes with their transitions, or neither", "[unit]") {
  TempDir dir;
  auto opened = test::open_test_store(dir.file("relay.db"), test::test_options());
  REQUIRE(opened);
  auto& s = **opened;
  const auto m = test::new_message(1);
  const auto id = core::message_id(m.message);
  REQUIRE(s.insert_observed(m));
  REQUIRE(s.apply(test::to_state(id, S::kVerified)));

  store::WriteBatch voted;
  voted.votes.push_back(vote_on(id, store::VoteKind::kDeliver, 1));
  voted.transitions.push_back(test::to_state(id, S::kVoted, 2));
  REQUIRE(s.batch(voted));
  CHECK(s.votes(id).value().size() == 1);
  CHECK(s.message(id).value()->state == S::kVoted);

  // An illegal transition in the same batch rolls its vote back.
  store::WriteBatch refused;
  refused.votes.push_back(vote_on(id, store::VoteKind::kDeliver, 2));
  refused.transitions.push_back(test::to_state(id, S::kObserved, 3));
  auto result = s.batch(refused);
  REQUIRE_FALSE(result);
  CHECK(result.error().reason() == store::reason::kIllegalTransition);
  CHECK(s.votes(id).value().size() == 1);

  // A redelivery's vote, already booked, does not fail its batch.
  store::WriteBatch repeated;
  repeated.votes.push_back(vote_on(id, store::VoteKind::kDeliver, 1));
  CHECK(s.batch(repeated));
  CHECK(s.votes(id).value().size() == 1);
}

TEST_CASE("vote book survives a reopen: migration 3 is part of the schema", "[unit]") {
  TempDir dir;
  const auto path = dir.file("relay.db");
  const auto m = test::new_message(1);
  const auto id = core::message_id(m.message);
  {
    auto opened = test::open_test_store(path, test::test_options());
    REQUIRE(opened);
    CHECK((*opened)->open_report().to_version >= 3);
    REQUIRE((*opened)->insert_observed(m));
    REQUIRE((*opened)->put_vote(vote_on(id, store::VoteKind::kSkip, 3)));
    REQUIRE((*opened)->close());
  }
  auto reopened = test::open_test_store(path, test::test_options());
  REQUIRE(reopened);
  const auto votes = (*reopened)->votes(id).value();
  REQUIRE(votes.size() == 1);
  CHECK(votes.front().origin == store::VoteOrigin::kPeer);
  CHECK(votes.front().signer == test::fixed_of<core::Address>("signer", 3));
}
