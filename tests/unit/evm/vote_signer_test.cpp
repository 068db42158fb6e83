// Tests for adapters/evm/vote_signer.cpp: THREATS 23 (vote key ≠ gas key) and signatures that
// recover to the vote key over the PROTOCOL.md section 5 digests.
#include <catch2/catch.hpp>

#include <vector>

#include "adapters/evm/vote_signer.hpp"
#include "relay/core/hash.hpp"
#include "tests/support/vectors.hpp"

namespace causeway::test {
namespace {

PrivateKey key(std::uint8_t fill) {
  Bytes secret(32, fill);
  return PrivateKey::from_bytes(secret).value();
}

Eip712Domain domain() {
  return causeway_domain(1337, fixed_from_hex<Address>("0x5fbdb2315678afecb367f032d93f642f64180aa3").value(),
                         ChainIdentity::from(keccak256(as_bytes("chain A")).view()).value());
}

TEST_CASE("leaked relay key: a vote signer refuses the gas key as its vote key", "[unit]") {
  const Address gas = address_of(key(0x11));
  auto same = evm::VoteSigner::create(core::LocalSigner::make(key(0x11)), gas);
  REQUIRE_FALSE(same.ok());
  CHECK(same.error().reason() == evm::reason::vote::kVoteKeyIsGasKey);

  const std::vector<Address> gas_keys{address_of(key(0x21)), address_of(key(0x22))};
  auto among = evm::VoteSigner::create(core::LocalSigner::make(key(0x22)), gas_keys);
  REQUIRE_FALSE(among.ok());
  CHECK(among.error().reason() == evm::reason::vote::kVoteKeyIsGasKey);

  CHECK(evm::VoteSigner::create(core::LocalSigner::make(key(0x12)), gas).ok());
}

TEST_CASE("every vote kind is signed over its EIP-712 digest and recovers to the vote key", "[unit]") {
  auto signer = evm::VoteSigner::create(core::LocalSigner::make(key(0x33)), address_of(key(0x44)));
  REQUIRE(signer.ok());
  const auto d = domain();
  const Hash32 separator = domain_separator(d);
  const MessageId id = MessageId::from(keccak256(as_bytes("id")).view()).value();
  const Claim claim = Claim::from(keccak256(as_bytes("claim")).view()).value();

  const auto check = [&](const auto& vote) {
    auto sig = signer->sign(d, vote);
    REQUIRE(sig.ok());
    CHECK(sig->digest == vote_digest(separator, vote));
    CHECK((sig->rsv[64] == 27 || sig->rsv[64] == 28));
    CHECK(sig->signer == signer->address());
    auto recovered = recover_address(sig->digest, sig->rsv, VByte::k27or28);
    REQUIRE(recovered.ok());
    CHECK(*recovered == signer->address());
  };
  check(DeliverVote{id, claim, Epoch{3}});
  check(AckVote{id, ExecStatus::kReceiverFailed, claim, Epoch{3}});
  check(SkipVote{id, Epoch{4}});
  check(RotateVote{{address_of(key(0x51)), address_of(key(0x52))}, 2, Epoch{5}});
  check(ConfigureVote{ChainIdentity{}, Word32{}, true, 4096, 2'000'000, Epoch{6}});
}

}  // namespace
}  // namespace causeway::test
