// Clique proof-of-authority (EIP-225; PROOF_FORMATS.md A.6.1): extraData layout, seal hash and
// signer recovery, and finality of a block by distinct authorized signers on it and its descendants.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "relay/core/bytes.hpp"
#include "relay/core/result.hpp"
#include "relay/verify/consensus.hpp"
#include "relay/verify/evm_header.hpp"

namespace causeway::verify {

namespace reason {
// extraData is not vanity(32) ‖ [signers on epoch blocks] ‖ seal(65).
inline constexpr core::Reason kCliqueBadExtraData{"verify.clique_bad_extra_data"};
// A Clique header with post-London fields (geth refuses them: withdrawals, blobs, beacon root).
inline constexpr core::Reason kCliqueUnexpectedFields{"verify.clique_unexpected_fields"};
// An epoch block carries a vote (non-zero coinbase or nonce), which EIP-225 forbids.
inline constexpr core::Reason kCliqueVoteOnEpoch{"verify.clique_vote_on_epoch"};
}  // namespace reason

inline constexpr std::size_t kCliqueVanitySize = 32;
inline constexpr std::size_t kCliqueSealSize = 65;
// Bounds a segment: the relay catches up in segments, never in one unbounded call.
inline constexpr std::size_t kMaxCliqueSegment = 8192;

struct CliqueExtra {
  core::ByteView vanity;
  std::vector<core::Address> signers;  // epoch blocks only, as listed (order checked by the caller)
  core::ByteView seal;                 // r ‖ s ‖ v, v in {0,1}
};

// `epoch_block`: number % epoch == 0, where (and only where) a signer list is present.
core::Result<CliqueExtra> decode_clique_extra(core::ByteView extra_data, bool epoch_block) noexcept;
// keccak(rlp(header with the last 65 bytes of extraData removed)): every field, baseFee included.
core::Hash32 clique_seal_hash(const EvmHeader& header);
// The address that sealed the header.
core::Result<core::Address> clique_signer(const EvmHeader& header);
// The signer list of an epoch (or genesis) header, sorted and distinct: how an operator derives
// the trust anchor from a pinned checkpoint block.
core::Result<ValidatorSet> clique_checkpoint_signers(core::ByteView header_rlp);

// Verifies `segment` (checkpoint+1, ..., target, descendants...) and returns the target once it
// is final: floor(N/2)+1 distinct signers of the set in force at the target sealed the target or
// a descendant in the segment (the target's own signer counts).
//
// Signer-set changes: votes between epoch blocks are not tallied (conservative). The set changes
// only at an epoch block, to the list in its extraData, and only once that epoch block is itself
// final under the set that sealed it; a signer voted in mid-epoch is therefore refused
// (kNonMemberSeal) until the next epoch block lists it, and a signer voted out mid-epoch is still
// counted until then (one signer alone never reaches floor(N/2)+1 for N > 1).
core::Result<FinalizedHeader> verify_clique_finality(const Checkpoint& checkpoint, const ValidatorSet& signers,
                                                     std::uint64_t epoch, std::span<const core::ByteView> segment,
                                                     std::uint64_t target_number);

}  // namespace causeway::verify
