// See vote_signer.hpp. The digest comes from core's eip712 (one implementation of the encoding).
#include "adapters/evm/vote_signer.hpp"

#include <algorithm>

namespace causeway::evm {

core::Result<VoteSigner> VoteSigner::create(core::SignerPtr vote_key, std::span<const core::Address> gas_addresses) {
  // By address, so one key reached through two routes (a keystore copy of an HSM key) is caught too.
  const core::Address address = vote_key->address();
  if (std::find(gas_addresses.begin(), gas_addresses.end(), address) != gas_addresses.end()) {
    return core::Error(reason::vote::kVoteKeyIsGasKey, core::to_checksum_hex(address) + " is configured as a gas key");
  }
  return VoteSigner(std::move(vote_key));
}

core::Result<VoteSigner> VoteSigner::create(core::SignerPtr vote_key, const core::Address& gas_address) {
  return create(std::move(vote_key), std::span<const core::Address>(&gas_address, 1));
}

core::Result<VoteSignature> VoteSigner::sign_digest(const core::Hash32& digest) const {
  CW_TRY(const core::RecoverableSignature sig, key_->sign(digest));
  return VoteSignature{digest, sig.to_rsv(core::VByte::k27or28), key_->address()};
}

core::Result<VoteSignature> VoteSigner::sign(const core::Eip712Domain& domain, const core::DeliverVote& vote) const {
  return sign_digest(core::vote_digest(core::domain_separator(domain), vote));
}
core::Result<VoteSignature> VoteSigner::sign(const core::Eip712Domain& domain, const core::AckVote& vote) const {
  return sign_digest(core::vote_digest(core::domain_separator(domain), vote));
}
core::Result<VoteSignature> VoteSigner::sign(const core::Eip712Domain& domain, const core::SkipVote& vote) const {
  return sign_digest(core::vote_digest(core::domain_separator(domain), vote));
}
core::Result<VoteSignature> VoteSigner::sign(const core::Eip712Domain& domain, const core::RotateVote& vote) const {
  return sign_digest(core::vote_digest(core::domain_separator(domain), vote));
}
core::Result<VoteSignature> VoteSigner::sign(const core::Eip712Domain& domain, const core::ConfigureVote& vote) const {
  return sign_digest(core::vote_digest(core::domain_separator(domain), vote));
}

}  // namespace causeway::evm
