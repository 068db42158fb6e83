// BFT following and the EVM finality entry point (see evm_finality.hpp).
#include "relay/verify/evm_finality.hpp"

#include <algorithm>
#include <string>

#include "relay/core/hash.hpp"
#include "relay/core/secp256k1.hpp"
#include "relay/verify/clique.hpp"

namespace causeway::verify {
namespace {

bool all_bytes(core::ByteView view, std::uint8_t value) {
  return std::all_of(view.begin(), view.end(), [value](std::uint8_t b) { return b == value; });
}

const core::Hash32& empty_ommers_hash() {
  static const core::Hash32 hash = core::keccak256(std::array<std::uint8_t, 1>{0xc0});
  return hash;
}

// The set in force with one vote applied, or nothing when the vote cannot apply (adding a member
// or dropping a stranger changes nothing, so it cannot explain a changed list either).
std::optional<std::vector<core::Address>> apply_vote(const std::vector<core::Address>& members, const ValidatorVote& vote) {
  std::vector<core::Address> out = members;
  const auto at = std::lower_bound(out.begin(), out.end(), vote.recipient);
  const bool present = at != out.end() && *at == vote.recipient;
  if (vote.add == present) return std::nullopt;
  if (vote.add) {
    out.insert(at, vote.recipient);
  } else {
    out.erase(at);
  }
  return out;
}

core::Result<void> check_constants(BftEngine engine, const EvmHeader& header) {
  if (!std::equal(header.mix_hash.begin(), header.mix_hash.end(), kIstanbulMixHash.begin())) {
    return core::Error(reason::kWrongMixHash);
  }
  if (header.difficulty.size() != 1 || header.difficulty[0] != 1) return core::Error(reason::kWrongDifficulty);
  if (to_hash32(header.ommers_hash) != empty_ommers_hash()) return core::Error(reason::kWrongOmmersHash);
  // QBFT / IBFT 2.0 vote in extraData, so the nonce is zero; IBFT 1.0 votes with it (all 0 or all ff).
  const bool nonce_ok = all_bytes(header.nonce, 0) || (engine == BftEngine::kIbft1 && all_bytes(header.nonce, 0xff));
  if (!nonce_ok) return core::Error(reason::kWrongNonce);
  return core::ok();
}

std::size_t count_members(std::span<const core::Address> committers, const ValidatorSet& set) {
  return static_cast<std::size_t>(std::count_if(committers.begin(), committers.end(),
                                                [&set](const core::Address& a) { return set.contains(a); }));
}

}  // namespace

core::Result<BftFollower> BftFollower::start(BftEngine engine, const Checkpoint& checkpoint, ValidatorSet validators,
                                             std::optional<ValidatorVote> checkpoint_vote) {
  if (checkpoint.hash.is_zero()) return core::Error(reason::kBadTrustAnchor, "zero checkpoint hash");
  CW_CHECK(validate_set(validators));
  return BftFollower(engine, checkpoint, std::move(validators), checkpoint_vote);
}

core::Result<AcceptedHeader> BftFollower::follow(core::ByteView header_rlp) {
  const std::uint64_t number = head_.number + 1;
  auto accepted = [&]() -> core::Result<AcceptedHeader> {
    CW_TRY(const EvmHeader header, decode_evm_header(header_rlp));
    if (header.number != number) return core::Error(reason::kUnexpectedNumber, "got " + std::to_string(header.number));
    if (to_hash32(header.parent_hash) != head_.hash) {
      return core::Error(accepted_any_ ? reason::kParentMismatch : reason::kCheckpointMismatch);
    }
    CW_CHECK(check_constants(engine_, header));
    CW_TRY(const BftExtra extra, decode_bft_extra(engine_, header));
    if (extra.validators.empty()) {
      if (engine_ == BftEngine::kQbft) return core::Error(reason::kQbftValidatorContractUnsupported);
      return core::Error(reason::kEmptyValidatorList);
    }
    CW_CHECK(require_strictly_ascending(extra.validators, reason::kValidatorsNotSorted));

    // The list in this header is the set that seals it (see the class comment).
    const bool changed = extra.validators != validators_.members;
    if (changed) {
      if (!head_vote_) {
        return core::Error(reason::kUnknownValidatorSetChange,
                           accepted_any_ ? "the previous header carries no vote"
                                         : "the checkpoint carries no vote and the first header lists another set");
      }
      const auto expected = apply_vote(validators_.members, *head_vote_);
      if (!expected || *expected != extra.validators) {
        return core::Error(reason::kUnknownValidatorSetChange,
                           "the list is not the set in force with the previous header's vote applied");
      }
    }
    const ValidatorSet sealing = changed ? ValidatorSet{number, extra.validators} : validators_;

    if (engine_ == BftEngine::kIbft1) {
      if (extra.proposer_seal.size() != kSealSize) return core::Error(reason::kBadProposerSeal, "missing");
      auto proposer = core::recover_address(ibft1_proposer_digest(header, extra), extra.proposer_seal,
                                            core::VByte::k0or1);
      if (!proposer) return core::Error(reason::kBadProposerSeal, proposer.error().message());
      if (!sealing.contains(*proposer)) return core::Error(reason::kProposerNotMember, core::to_hex(*proposer));
    } else if (!sealing.contains(to_address(header.coinbase))) {
      // QBFT and IBFT 2.0 name the proposer in coinbase (Besu BftCoinbaseValidationRule).
      return core::Error(reason::kProposerNotMember, "coinbase " + core::to_hex(header.coinbase));
    }

    if (extra.committed_seals.size() > sealing.members.size()) {
      return core::Error(reason::kTooManySeals, std::to_string(extra.committed_seals.size()) + " seals for " +
                                                    std::to_string(sealing.members.size()) + " validators");
    }
    CW_TRY(std::vector<core::Address> committers,
           recover_seals(bft_commit_digest(engine_, header, extra), extra.committed_seals));
    CW_CHECK(check_committers(committers, sealing, bft_quorum(sealing.members.size())));
    if (changed) {
      const std::size_t previous = count_members(committers, validators_);
      if (previous < bft_weak_quorum(validators_.members.size())) {
        return core::Error(reason::kChangeNotSealedByPreviousSet,
                           std::to_string(previous) + " of " + std::to_string(validators_.members.size()));
      }
    }

    AcceptedHeader out{bft_block_hash(engine_, header, extra), number, to_hash32(header.state_root),
                       to_hash32(header.receipts_root), std::move(committers), extra.vote};
    // Commit only once every check passed: a rejected header leaves the follower as it was.
    head_ = Checkpoint{number, out.hash};
    head_vote_ = extra.vote;
    if (changed) validators_ = sealing;
    accepted_any_ = true;
    return out;
  }();
  if (!accepted) return std::move(accepted).error().with_context("block " + std::to_string(number));
  return accepted;
}

core::Result<FinalizedHeader> verify_evm_finality(const EvmConsensusParams& params,
                                                  std::span<const core::ByteView> segment,
                                                  std::uint64_t target_number) {
  if (params.mode == ConsensusMode::kConfirmations || params.mode == ConsensusMode::kTrusted) {
    return core::Error(reason::kNeedsCanonicalHash, "use verify_against_canonical");
  }
  CW_TRY(ValidatorSet initial, initial_set(params));
  if (params.mode == ConsensusMode::kClique) {
    return verify_clique_finality(params.checkpoint, initial, params.clique_epoch, segment, target_number);
  }
  const BftEngine engine = *bft_engine_of(params.mode);
  if (segment.empty()) return core::Error(reason::kSegmentEmpty);
  if (segment.size() > kMaxBftSegment) return core::Error(reason::kSegmentTooLong, std::to_string(segment.size()) + " headers");
  if (target_number <= params.checkpoint.number || target_number - params.checkpoint.number > segment.size()) {
    return core::Error(reason::kTargetNotInSegment, "target " + std::to_string(target_number));
  }
  CW_TRY(BftFollower follower,
         BftFollower::start(engine, params.checkpoint, std::move(initial), params.checkpoint_vote));
  std::optional<FinalizedHeader> target;
  // Headers past the target are followed too, so a bundle never carries unchecked bytes.
  for (const core::ByteView header : segment) {
    CW_TRY(AcceptedHeader accepted, follower.follow(header));
    if (accepted.number == target_number) {
      target = FinalizedHeader{accepted.hash, accepted.number, accepted.state_root, accepted.receipts_root,
                               follower.validators(), accepted.vote};
    }
  }
  return std::move(*target);
}

core::Result<FinalizedHeader> verify_against_canonical(core::ByteView header_rlp, const core::Hash32& canonical_hash) {
  CW_TRY(const EvmHeader header, decode_evm_header(header_rlp));
  const core::Hash32 hash = plain_hash(header);
  if (hash != canonical_hash) {
    return core::Error(reason::kCanonicalHashMismatch,
                       "header hashes to " + core::to_hex(hash) + ", canonical is " + core::to_hex(canonical_hash));
  }
  return FinalizedHeader{hash, header.number, to_hash32(header.state_root), to_hash32(header.receipts_root), {}, {}};
}

}  // namespace causeway::verify
