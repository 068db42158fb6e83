// engine::check_vote, what POST /v1/votes asks of a peer's vote: each refusal by its reason, from
// one valid vote with one field changed.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cstdint>

#include "relay/core/eip712.hpp"
#include "relay/core/hash.hpp"
#include "relay/core/secp256k1.hpp"
#include "relay/engine/engine.hpp"
#include "tests/support/fixed_values.hpp"

using namespace causeway;
using test::filled;
using test::key_of;

namespace {

constexpr std::string_view kPeerKeyHex = "4646464646464646464646464646464646464646464646464646464646464646";
constexpr std::string_view kOtherKeyHex = "0101010101010101010101010101010101010101010101010101010101010101";

engine::VoteAuthority authority() {
  engine::VoteAuthority a;
  a.domain = core::causeway_domain(31337, filled<core::Address>(0x77), filled<core::ChainIdentity>(0x31));
  a.epoch = core::Epoch{3};
  a.attesters = {core::address_of(key_of(kPeerKeyHex))};
  return a;
}

// `vote` signed by `key` under the authority's domain.
store::VoteRecord signed_by(store::VoteRecord vote, const core::PrivateKey& key) {
  const auto signature = core::sign_recoverable(engine::vote_digest(authority().domain, vote), key).value();
  vote.signature = signature.to_rsv(core::VByte::k27or28);
  vote.signer = core::address_of(key);
  return vote;
}

store::VoteRecord deliver_vote() {
  store::VoteRecord vote;
  vote.id = filled<core::MessageId>(0x11);
  vote.kind = store::VoteKind::kDeliver;
  vote.claim = filled<core::Claim>(0x22);
  vote.epoch = 3;
  return signed_by(vote, key_of(kPeerKeyHex));
}

core::Reason refusal(const store::VoteRecord& vote) {
  auto checked = engine::check_vote(authority(), vote);
  REQUIRE_FALSE(checked);
  return checked.error().reason();
}

}  // namespace

TEST_CASE("check_vote accepts a current attester's deliver, ack and skip votes", "[unit]") {
  CHECK(engine::check_vote(authority(), deliver_vote()));
  auto ack = deliver_vote();
  ack.kind = store::VoteKind::kAck;
  ack.status = 4;
  CHECK(engine::check_vote(authority(), signed_by(ack, key_of(kPeerKeyHex))));
  auto skip = deliver_vote();
  skip.kind = store::VoteKind::kSkip;
  skip.claim = core::Claim{};
  CHECK(engine::check_vote(authority(), signed_by(skip, key_of(kPeerKeyHex))));
}

TEST_CASE("check_vote refuses a vote whose signature is another signer's", "[unit]") {
  auto vote = deliver_vote();
  vote.signer = core::address_of(key_of(kOtherKeyHex));
  CHECK(refusal(vote) == engine::reason::kVoteWrongSigner);
  // A field the digest covers changed after signing: the signature recovers someone else.
  auto moved = deliver_vote();
  moved.claim = filled<core::Claim>(0x23);
  CHECK(refusal(moved) == engine::reason::kVoteWrongSigner);
}

TEST_CASE("check_vote refuses a signer outside the attester set", "[unit]") {
  const auto vote = signed_by(deliver_vote(), key_of(kOtherKeyHex));
  CHECK(refusal(vote) == engine::reason::kVoteNotAttester);
}

TEST_CASE("check_vote refuses the high-s twin of a valid signature", "[unit]") {
  // n - s with the recovery id flipped recovers the same signer: the malleable twin.
  static constexpr std::array<std::uint8_t, 32> kOrder{
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
      0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41};
  auto vote = deliver_vote();
  int borrow = 0;
  for (int i = 31; i >= 0; --i) {
    const int diff = kOrder[static_cast<std::size_t>(i)] - vote.signature[32 + static_cast<std::size_t>(i)] - borrow;
    borrow = diff < 0 ? 1 : 0;
    vote.signature[32 + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(diff + (borrow ? 256 : 0));
  }
  vote.signature[64] = vote.signature[64] == 27 ? 28 : 27;
  CHECK(refusal(vote) == engine::reason::kVoteHighS);
}

TEST_CASE("check_vote refuses a vote of another epoch", "[unit]") {
  auto vote = deliver_vote();
  vote.epoch = 2;
  CHECK(refusal(signed_by(vote, key_of(kPeerKeyHex))) == engine::reason::kVoteWrongEpoch);
}

TEST_CASE("check_vote refuses malformed votes and unusable signatures", "[unit]") {
  auto with_status = deliver_vote();
  with_status.status = 1;
  CHECK(refusal(with_status) == engine::reason::kVoteMalformed);
  auto ack_without_status = deliver_vote();
  ack_without_status.kind = store::VoteKind::kAck;
  CHECK(refusal(ack_without_status) == engine::reason::kVoteMalformed);
  auto skip_with_claim = deliver_vote();
  skip_with_claim.kind = store::VoteKind::kSkip;
  CHECK(refusal(skip_with_claim) == engine::reason::kVoteMalformed);
  auto bad_v = deliver_vote();
  bad_v.signature[64] = 1;  // 0/1 is not how the gateway takes v
  CHECK(refusal(bad_v) == engine::reason::kVoteBadSignature);
  auto zero_r = deliver_vote();
  std::fill(zero_r.signature.begin(), zero_r.signature.begin() + 32, std::uint8_t{0});
  CHECK(refusal(zero_r) == engine::reason::kVoteBadSignature);
}
