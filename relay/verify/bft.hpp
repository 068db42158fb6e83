// Istanbul-family BFT headers (QBFT, IBFT 2.0, IBFT 1.0; PROOF_FORMATS.md A.6.2-A.6.5): extraData
// codecs, the filtered block hash, committed-seal and IBFT 1.0 proposer-seal digests, seal counting.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "relay/core/bytes.hpp"
#include "relay/core/result.hpp"
#include "relay/verify/consensus.hpp"
#include "relay/verify/evm_header.hpp"

namespace causeway::verify {

enum class BftEngine : std::uint8_t { kQbft, kIbft2, kIbft1 };

// The Istanbul-family engine of a consensus mode, or nothing for clique and the unsigned modes.
constexpr std::optional<BftEngine> bft_engine_of(ConsensusMode mode) noexcept {
  switch (mode) {
    case ConsensusMode::kQbft: return BftEngine::kQbft;
    case ConsensusMode::kIbft2: return BftEngine::kIbft2;
    case ConsensusMode::kIbft1: return BftEngine::kIbft1;
    default: return std::nullopt;
  }
}

namespace reason {
inline constexpr core::Reason kBadExtraData{"verify.bft_bad_extra_data"};
inline constexpr core::Reason kValidatorsNotSorted{"verify.validators_not_sorted"};
inline constexpr core::Reason kEmptyValidatorList{"verify.empty_validator_list"};
// QBFT with a validator contract carries no validators in extraData; the set lives in contract
// state, which a header cannot prove (DESIGN.md section 3).
inline constexpr core::Reason kQbftValidatorContractUnsupported{"verify.qbft_validator_contract_unsupported"};
// IBFT 1.0: the proposer seal is missing or does not recover.
inline constexpr core::Reason kBadProposerSeal{"verify.bad_proposer_seal"};
}  // namespace reason

inline constexpr std::size_t kBftVanitySize = 32;
inline constexpr std::size_t kSealSize = 65;
// "ctical byzantine fault tolerance": the mixHash of every Istanbul-family header.
inline constexpr std::array<std::uint8_t, 32> kIstanbulMixHash = {
    0x63, 0x74, 0x69, 0x63, 0x61, 0x6c, 0x20, 0x62, 0x79, 0x7a, 0x61, 0x6e, 0x74, 0x69, 0x6e, 0x65,
    0x20, 0x66, 0x61, 0x75, 0x6c, 0x74, 0x20, 0x74, 0x6f, 0x6c, 0x65, 0x72, 0x61, 0x6e, 0x63, 0x65};

// Decoded extraData. The views point into the header; *_item are the exact RLP items as they
// appear, which the filtered hashes reuse byte for byte.
struct BftExtra {
  core::ByteView vanity;  // 32 bytes
  std::vector<core::Address> validators;
  // QBFT / IBFT 2.0: from extraData. IBFT 1.0: from coinbase (candidate) and nonce (all ff = add).
  std::optional<ValidatorVote> vote;
  std::uint32_t round = 0;              // QBFT / IBFT 2.0
  core::ByteView proposer_seal;         // IBFT 1.0 (empty in a genesis header)
  std::vector<core::ByteView> committed_seals;

  core::ByteView vanity_item, validators_item, vote_item, round_item, proposer_seal_item;
};

// Strict: the exact item count of the engine, 20-byte validators, 65-byte seals, the engine's
// vote and round forms (A.6.4 / A.6.5), nothing after the list. Validator order is checked by
// the follower, not here.
core::Result<BftExtra> decode_bft_extra(BftEngine engine, const EvmHeader& header) noexcept;

// The extraData encoding of the given fields (for tests, tools and mutations; the verifier
// itself hashes the items it decoded).
core::Bytes encode_bft_extra(BftEngine engine, const BftExtra& extra);

// The block hash (what the RPC calls `hash` and the child's parentHash). A genesis header is
// hashed unmodified (A.6.4).
core::Hash32 bft_block_hash(BftEngine engine, const EvmHeader& header, const BftExtra& extra);
// The 32-byte digest each committed seal signs.
core::Hash32 bft_commit_digest(BftEngine engine, const EvmHeader& header, const BftExtra& extra);
// IBFT 1.0: the digest the proposer seal signs (note the second keccak, A.6.3).
core::Hash32 ibft1_proposer_digest(const EvmHeader& header, const BftExtra& extra);

// Decodes a header and returns its block hash by the engine's rule.
core::Result<core::Hash32> bft_header_hash(BftEngine engine, core::ByteView header_rlp);

// Recovers each seal (r ‖ s ‖ v, v in {0,1}, low s) over `digest`.
core::Result<std::vector<core::Address>> recover_seals(const core::Hash32& digest,
                                                       std::span<const core::ByteView> seals);
// Counts distinct recovered members: a stranger is kNonMemberSeal, a member twice is
// kDuplicateSeal, fewer than `quorum` is kInsufficientSeals (THREATS 3).
core::Result<void> check_committers(std::span<const core::Address> committers, const ValidatorSet& set,
                                    std::size_t quorum);

}  // namespace causeway::verify
