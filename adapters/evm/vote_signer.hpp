// The attester's vote signer: EIP-712 votes of PROTOCOL.md section 5 signed with a vote key that
// must never be a gas-paying key (THREATS 23), as 65-byte r ‖ s ‖ v with v = 27/28. The key is
// local or on an HSM (core::Secp256k1Signer).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <utility>

#include "relay/core/bytes.hpp"
#include "relay/core/eip712.hpp"
#include "relay/core/result.hpp"
#include "relay/core/secp256k1.hpp"
#include "relay/core/secp256k1_signer.hpp"

namespace causeway::evm {

namespace reason::vote {
// The vote key is also a gas key: one leaked key would then both pay for and authorise deliveries.
inline constexpr core::Reason kVoteKeyIsGasKey{"vote.vote_key_is_gas_key"};
}  // namespace reason::vote

struct VoteSignature {
  core::Hash32 digest;                  // what was signed
  std::array<std::uint8_t, 65> rsv{};   // r ‖ s ‖ v, v = 27 or 28
  core::Address signer;
};

class VoteSigner {
 public:
  // Refuses a vote key whose address is any of the relay's gas-paying addresses.
  static core::Result<VoteSigner> create(core::SignerPtr vote_key, std::span<const core::Address> gas_addresses);
  static core::Result<VoteSigner> create(core::SignerPtr vote_key, const core::Address& gas_address);

  const core::Address& address() const noexcept { return key_->address(); }

  core::Result<VoteSignature> sign(const core::Eip712Domain& domain, const core::DeliverVote& vote) const;
  core::Result<VoteSignature> sign(const core::Eip712Domain& domain, const core::AckVote& vote) const;
  core::Result<VoteSignature> sign(const core::Eip712Domain& domain, const core::SkipVote& vote) const;
  core::Result<VoteSignature> sign(const core::Eip712Domain& domain, const core::RotateVote& vote) const;
  core::Result<VoteSignature> sign(const core::Eip712Domain& domain, const core::ConfigureVote& vote) const;

 private:
  explicit VoteSigner(core::SignerPtr key) : key_(std::move(key)) {}
  core::Result<VoteSignature> sign_digest(const core::Hash32& digest) const;

  core::SignerPtr key_;  // never null
};

}  // namespace causeway::evm
