// engine::aggregate_votes, the signatures one deliver or acknowledge entry carries when several
// attesters relay: the own vote always, matching peer votes of the current epoch, one per signer,
// cut at the threshold, signers ascending as the gateway requires.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "relay/engine/engine.hpp"

using namespace causeway;

namespace {

template <typename Fixed>
Fixed filled(std::uint8_t byte) {
  Fixed out;
  out.bytes.fill(byte);
  return out;
}

// A deliver vote of epoch 2 by the signer 0x<byte>…; the signature's first byte names the vote.
store::VoteRecord vote_by(std::uint8_t signer, std::uint8_t tag = 0) {
  store::VoteRecord vote;
  vote.id = filled<core::MessageId>(0x11);
  vote.kind = store::VoteKind::kDeliver;
  vote.claim = filled<core::Claim>(0x22);
  vote.epoch = 2;
  vote.signer = filled<core::Address>(signer);
  vote.signature[0] = tag != 0 ? tag : signer;
  vote.origin = store::VoteOrigin::kPeer;
  return vote;
}

const std::vector<core::Address> kAttesters = {filled<core::Address>(0x10), filled<core::Address>(0x20),
                                               filled<core::Address>(0x30), filled<core::Address>(0x40)};

std::vector<std::uint8_t> signers(const std::vector<store::VoteRecord>& votes) {
  std::vector<std::uint8_t> out;
  for (const auto& v : votes) out.push_back(v.signer.bytes[0]);
  return out;
}

}  // namespace

TEST_CASE("aggregate_votes sorts the own and peer votes by signer ascending", "[unit]") {
  auto own = vote_by(0x30);
  own.origin = store::VoteOrigin::kOwn;
  const auto out = engine::aggregate_votes(own, {vote_by(0x20), vote_by(0x10)}, kAttesters, 3);
  CHECK(signers(out) == std::vector<std::uint8_t>{0x10, 0x20, 0x30});
  CHECK(out[2].origin == store::VoteOrigin::kOwn);
}

TEST_CASE("aggregate_votes keeps one vote per signer, the own one for the own signer", "[unit]") {
  const auto own = vote_by(0x20, 0xaa);
  // The book holds the relay's own earlier vote (a redelivery re-signs) and a peer's twice.
  const auto out = engine::aggregate_votes(own, {vote_by(0x20, 0xbb), vote_by(0x40), vote_by(0x40, 0xcc)},
                                           kAttesters, 4);
  CHECK(signers(out) == std::vector<std::uint8_t>{0x20, 0x40});
  CHECK(out[0].signature[0] == 0xaa);
  CHECK(out[1].signature[0] == 0x40);
}

TEST_CASE("aggregate_votes leaves out votes of another epoch, message, claim, kind or status", "[unit]") {
  const auto own = vote_by(0x10);
  auto old_epoch = vote_by(0x20);
  old_epoch.epoch = 1;
  auto other_claim = vote_by(0x30);
  other_claim.claim = filled<core::Claim>(0x23);
  auto other_id = vote_by(0x40);
  other_id.id = filled<core::MessageId>(0x12);
  auto ack = vote_by(0x40);
  ack.kind = store::VoteKind::kAck;
  ack.status = 1;
  auto out = engine::aggregate_votes(own, {old_epoch, other_claim, other_id, ack}, kAttesters, 2);
  CHECK(signers(out) == std::vector<std::uint8_t>{0x10});

  auto own_ack = own;
  own_ack.kind = store::VoteKind::kAck;
  own_ack.status = 1;
  auto failed_ack = ack;
  failed_ack.status = 2;
  out = engine::aggregate_votes(own_ack, {failed_ack, ack}, kAttesters, 2);
  CHECK(signers(out) == std::vector<std::uint8_t>{0x10, 0x40});
}

TEST_CASE("aggregate_votes leaves out signers outside the current attester set", "[unit]") {
  const auto out = engine::aggregate_votes(vote_by(0x10), {vote_by(0x50), vote_by(0x30)}, kAttesters, 3);
  CHECK(signers(out) == std::vector<std::uint8_t>{0x10, 0x30});
}

TEST_CASE("aggregate_votes stops at the threshold and always keeps the own vote", "[unit]") {
  const auto own = vote_by(0x40);
  const std::vector<store::VoteRecord> book = {vote_by(0x30), vote_by(0x10), vote_by(0x20)};
  auto out = engine::aggregate_votes(own, book, kAttesters, 2);
  REQUIRE(out.size() == 2);
  CHECK(std::any_of(out.begin(), out.end(), [](const auto& v) { return v.signer.bytes[0] == 0x40; }));
  CHECK(signers(out) == std::vector<std::uint8_t>{0x30, 0x40});
  out = engine::aggregate_votes(own, book, kAttesters, 1);
  CHECK(signers(out) == std::vector<std::uint8_t>{0x40});
}
