// Trust anchors for EVM header finality (the relay fills them from its config, never from a
// bundle: THREATS 5), the reasons every engine shares, and the quorum arithmetic.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "relay/core/bytes.hpp"
#include "relay/core/result.hpp"

namespace causeway::verify {

namespace reason {
// Trust anchors that cannot be used as given (THREATS 2): no set, an empty set, unsorted or
// duplicated members, sets out of height order, a zero checkpoint hash.
inline constexpr core::Reason kBadTrustAnchor{"verify.bad_trust_anchor"};
// The mode of the trust anchor is not the one the called verifier handles.
inline constexpr core::Reason kWrongMode{"verify.wrong_mode"};
inline constexpr core::Reason kSegmentEmpty{"verify.segment_empty"};
inline constexpr core::Reason kSegmentTooLong{"verify.segment_too_long"};
inline constexpr core::Reason kTargetNotInSegment{"verify.target_not_in_segment"};
// A header's number is not its predecessor's plus one.
inline constexpr core::Reason kUnexpectedNumber{"verify.unexpected_number"};
// The first header does not build on the pinned checkpoint (THREATS 21: another chain's header).
inline constexpr core::Reason kCheckpointMismatch{"verify.checkpoint_mismatch"};
// A later header does not build on the header before it (hash by the engine's rule).
inline constexpr core::Reason kParentMismatch{"verify.parent_mismatch"};
inline constexpr core::Reason kWrongMixHash{"verify.wrong_mix_hash"};
inline constexpr core::Reason kWrongDifficulty{"verify.wrong_difficulty"};
inline constexpr core::Reason kWrongNonce{"verify.wrong_nonce"};
inline constexpr core::Reason kWrongOmmersHash{"verify.wrong_ommers_hash"};
// A seal that does not recover (bad length, v, r, s, high s): the secp256k1 reason is the detail.
inline constexpr core::Reason kBadSeal{"verify.bad_seal"};
// A seal recovers to an address outside the set in force (THREATS 3; Ronin).
inline constexpr core::Reason kNonMemberSeal{"verify.non_member_seal"};
// Two seals recover to one member (THREATS 3; ChainSwap): counted by address, never by bytes.
inline constexpr core::Reason kDuplicateSeal{"verify.duplicate_seal"};
inline constexpr core::Reason kInsufficientSeals{"verify.insufficient_seals"};
// More seals than members: some must be duplicates or strangers, refused before any recovery.
inline constexpr core::Reason kTooManySeals{"verify.too_many_seals"};
// A header's validator list differs from the set in force in a way the accepted chain did not vote.
inline constexpr core::Reason kUnknownValidatorSetChange{"verify.unknown_validator_set_change"};
// Enough of the new set sealed a change, but not enough of the previous set (THREATS 22).
inline constexpr core::Reason kChangeNotSealedByPreviousSet{"verify.change_not_sealed_by_previous_set"};
// The block proposer (BFT coinbase or IBFT 1.0 proposer seal) is not in the set in force.
inline constexpr core::Reason kProposerNotMember{"verify.proposer_not_member"};
// Clique: too few distinct authorized signers sealed the block and its descendants.
inline constexpr core::Reason kHeaderNotFinal{"verify.header_not_final"};
// confirmations / trusted: the header does not hash to the independently obtained canonical hash.
inline constexpr core::Reason kCanonicalHashMismatch{"verify.canonical_hash_mismatch"};
}  // namespace reason

enum class ConsensusMode { kQbft, kIbft2, kIbft1, kClique, kConfirmations, kTrusted };

// Whether headers of this mode carry signatures the verifier checks; confirmations and trusted
// headers are unsigned, so their canonical hash must come from outside the bundle.
constexpr bool is_signed_mode(ConsensusMode mode) noexcept {
  return mode != ConsensusMode::kConfirmations && mode != ConsensusMode::kTrusted;
}

// A validator (BFT) or signer (Clique) set, in force from `from_height` on. Members are sorted
// ascending and distinct, the order Besu and GoQuorum keep in headers.
struct ValidatorSet {
  std::uint64_t from_height = 0;
  std::vector<core::Address> members;

  bool contains(const core::Address& address) const noexcept;
  friend bool operator==(const ValidatorSet&, const ValidatorSet&) = default;
};

// A BFT proposal to add (or drop) one validator, carried by a header's proposer.
struct ValidatorVote {
  core::Address recipient;
  bool add = false;
  friend bool operator==(const ValidatorVote&, const ValidatorVote&) = default;
};

// A header the operator pinned: verification starts at number + 1 and must link back to hash.
struct Checkpoint {
  std::uint64_t number = 0;
  core::Hash32 hash;
  friend bool operator==(const Checkpoint&, const Checkpoint&) = default;
};

struct EvmConsensusParams {
  ConsensusMode mode = ConsensusMode::kQbft;
  Checkpoint checkpoint;
  // History of sets, ascending by from_height; the one in force at checkpoint.number + 1 seals
  // the first header of a segment. Later entries are ignored: the chain itself says what follows.
  std::vector<ValidatorSet> validator_sets;
  // BFT: the vote carried by the checkpoint header itself, if any. Without it a validator-set
  // change in the first header after the checkpoint cannot be explained and is refused.
  std::optional<ValidatorVote> checkpoint_vote;
  std::uint64_t clique_epoch = 30000;
  std::uint32_t confirmations = 0;
};

// Checks members are non-empty, sorted and distinct.
core::Result<void> validate_set(const ValidatorSet& set);
// Checks the sets and the checkpoint, and returns the set in force at checkpoint.number + 1.
core::Result<ValidatorSet> initial_set(const EvmConsensusParams& params);

// Sorts and deduplicates-checks a member list as found in a header: strictly ascending or error.
core::Result<void> require_strictly_ascending(std::span<const core::Address> members,
                                              core::Reason failure);

// Besu BftHelpers.calculateRequiredValidatorQuorum: ceil(2n/3) (PROOF_FORMATS A.6.5).
constexpr std::size_t bft_quorum(std::size_t n) noexcept { return (2 * n + 2) / 3; }
// More than a third: at least one honest member when fewer than a third are faulty.
constexpr std::size_t bft_weak_quorum(std::size_t n) noexcept { return n / 3 + 1; }
// EIP-225: floor(N/2) + 1 distinct authorized signers.
constexpr std::size_t clique_quorum(std::size_t n) noexcept { return n / 2 + 1; }

// What a verified header yields: what the relay persists and what inclusion proofs hang from.
struct FinalizedHeader {
  core::Hash32 hash;  // by the engine's hash rule (filtered for BFT), i.e. the chain's block hash
  std::uint64_t number = 0;
  core::Hash32 state_root;
  core::Hash32 receipts_root;
  // The set in force for number + 1 as far as the target shows (empty for confirmations /
  // trusted), and for BFT the target's own vote: persisted together, they restart a follower.
  ValidatorSet validators_after;
  std::optional<ValidatorVote> vote;
};

}  // namespace causeway::verify
