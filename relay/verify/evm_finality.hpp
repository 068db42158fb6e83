// EVM header finality: a stepwise BFT follower for the relay's catch-up, and one entry point that
// verifies a header segment against the pinned trust anchor of any EVM consensus mode.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "relay/core/bytes.hpp"
#include "relay/core/result.hpp"
#include "relay/verify/bft.hpp"
#include "relay/verify/consensus.hpp"

namespace causeway::verify {

namespace reason {
// confirmations / trusted headers are signed by nobody: they need an independent canonical hash.
inline constexpr core::Reason kNeedsCanonicalHash{"verify.needs_canonical_hash"};
}  // namespace reason

// Bounds one call; the relay catches up over longer ranges with BftFollower.
inline constexpr std::size_t kMaxBftSegment = 8192;

// A BFT header the follower accepted.
struct AcceptedHeader {
  core::Hash32 hash;
  std::uint64_t number = 0;
  core::Hash32 state_root;
  core::Hash32 receipts_root;
  std::vector<core::Address> committers;  // distinct, in seal order
  std::optional<ValidatorVote> vote;      // the header's own vote
};

// Follows a BFT chain one header at a time from a pinned checkpoint, carrying the validator set.
//
// Validator-set semantics (Besu BftValidatorsValidationRule / BftCommitSealsValidationRule,
// GoQuorum istanbul snapshots): the list in header N is the set after N-1, and that same set must
// seal N. A vote in N (extraData for QBFT/IBFT 2.0, coinbase+nonce for IBFT 1.0) that completes a
// majority changes the list from N+1 on. Pending tallies from before the checkpoint are unknown,
// so the follower accepts a header whose list differs from the set in force only when
//   1. it is exactly the set in force plus (or minus) the candidate that the previous accepted
//      header voted to add (or drop) — anything else is kUnknownValidatorSetChange, including any
//      change in the first header after the checkpoint; and
//   2. at least ceil(2n/3) distinct members of the new list sealed it (Besu's own rule), and more
//      than a third of the previous set are among them (kChangeNotSealedByPreviousSet), so at
//      least one honest member of the trusted set vouched for the transition.
// Requiring ceil(2n/3) of the previous set instead would stall on legitimate Besu chains: blocks
// carry exactly a quorum of the new set's seals, e.g. 3 of 4 after dropping one of 5 (quorum 4).
class BftFollower {
 public:
  // `validators` is the set that seals checkpoint.number + 1; `checkpoint_vote` the vote in the
  // checkpoint header, if known (a FinalizedHeader carries both for a restart).
  static core::Result<BftFollower> start(BftEngine engine, const Checkpoint& checkpoint, ValidatorSet validators,
                                         std::optional<ValidatorVote> checkpoint_vote = std::nullopt);

  // Verifies the header after the last accepted one and advances on success; on failure the
  // follower is unchanged.
  core::Result<AcceptedHeader> follow(core::ByteView header_rlp);

  BftEngine engine() const noexcept { return engine_; }
  std::uint64_t height() const noexcept { return head_.number; }
  const core::Hash32& head_hash() const noexcept { return head_.hash; }
  // The set in force for height() + 1, as far as accepted headers show it.
  const ValidatorSet& validators() const noexcept { return validators_; }

 private:
  BftFollower(BftEngine engine, const Checkpoint& head, ValidatorSet validators, std::optional<ValidatorVote> vote)
      : engine_(engine), head_(head), validators_(std::move(validators)), head_vote_(vote) {}

  BftEngine engine_;
  Checkpoint head_;
  ValidatorSet validators_;
  std::optional<ValidatorVote> head_vote_;  // the vote in the last accepted header
  bool accepted_any_ = false;              // still at the pinned checkpoint when false
};

// Verifies segment = headers checkpoint+1, ..., target (BFT; further headers are followed too) or
// checkpoint+1, ..., target, descendants (Clique) and returns the target.
core::Result<FinalizedHeader> verify_evm_finality(const EvmConsensusParams& params,
                                                  std::span<const core::ByteView> segment,
                                                  std::uint64_t target_number);

// confirmations / trusted: the header must hash (keccak of the full RLP) to `canonical_hash`,
// which the caller obtained independently (its own k-of-n quorum reads, an auditor's node) and
// never from the bundle (THREATS 5).
core::Result<FinalizedHeader> verify_against_canonical(core::ByteView header_rlp, const core::Hash32& canonical_hash);

}  // namespace causeway::verify
