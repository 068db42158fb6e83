// Trust-anchor checks and set lookups (see consensus.hpp).
#include "relay/verify/consensus.hpp"

#include <algorithm>
#include <string>

namespace causeway::verify {

bool ValidatorSet::contains(const core::Address& address) const noexcept {
  return std::binary_search(members.begin(), members.end(), address);
}

core::Result<void> require_strictly_ascending(std::span<const core::Address> members,
                                              core::Reason failure) {
  for (std::size_t i = 1; i < members.size(); ++i) {
    if (!(members[i - 1] < members[i])) {
      return core::Error(failure, "member " + std::to_string(i) + " (" + core::to_hex(members[i]) +
                                      ") is not above the one before it");
    }
  }
  return core::ok();
}

core::Result<void> validate_set(const ValidatorSet& set) {
  if (set.members.empty()) {
    return core::Error(reason::kBadTrustAnchor, "empty set from height " + std::to_string(set.from_height));
  }
  CW_CHECK(require_strictly_ascending(set.members, reason::kBadTrustAnchor));
  return core::ok();
}

core::Result<ValidatorSet> initial_set(const EvmConsensusParams& params) {
  if (params.checkpoint.hash.is_zero()) return core::Error(reason::kBadTrustAnchor, "zero checkpoint hash");
  if (params.validator_sets.empty()) return core::Error(reason::kBadTrustAnchor, "no validator set");
  const ValidatorSet* in_force = nullptr;
  for (std::size_t i = 0; i < params.validator_sets.size(); ++i) {
    const ValidatorSet& set = params.validator_sets[i];
    CW_CHECK(validate_set(set));
    if (i > 0 && set.from_height <= params.validator_sets[i - 1].from_height) {
      return core::Error(reason::kBadTrustAnchor, "validator sets out of height order");
    }
    if (set.from_height <= params.checkpoint.number + 1) in_force = &set;
  }
  if (in_force == nullptr) {
    return core::Error(reason::kBadTrustAnchor,
                       "no validator set in force at height " + std::to_string(params.checkpoint.number + 1));
  }
  return *in_force;
}

}  // namespace causeway::verify
