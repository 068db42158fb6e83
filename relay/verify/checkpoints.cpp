// Relay-kept checkpoints of signed EVM chains (see checkpoints.hpp).
#include "relay/verify/checkpoints.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "relay/verify/bft.hpp"
#include "relay/verify/evm_finality.hpp"
#include "relay/verify/evm_header.hpp"

namespace causeway::verify {

std::uint64_t segment_start(const Bundle& bundle) {
  const std::uint64_t block = bundle.source.block_number;
  if (block == 0) return 0;
  if (bundle.source.segment.empty()) return block - 1;
  auto first = decode_evm_header(bundle.source.segment.front());
  // Headers before the target come first; a first header at or past the target is a descendant.
  if (!first || first->number == 0 || first->number >= block) return block - 1;
  return first->number - 1;
}

std::optional<FinalizedHeader> established_checkpoint(const Verdict& verdict) {
  if (verdict.outcome != Outcome::kValid) return std::nullopt;
  return verdict.finalized;
}

core::Result<FinalizedHeader> checkpoint_from_header(ConsensusMode mode, core::ByteView header_rlp,
                                                     ValidatorSet validators_after) {
  if (!is_signed_mode(mode)) return core::Error(reason::kWrongMode, "checkpoints are kept for signed modes only");
  CW_TRY(const EvmHeader header, decode_evm_header(header_rlp));
  FinalizedHeader out{plain_hash(header), header.number, to_hash32(header.state_root), to_hash32(header.receipts_root),
                      std::move(validators_after), std::nullopt};
  if (const auto engine = bft_engine_of(mode)) {
    CW_TRY(const BftExtra extra, decode_bft_extra(*engine, header));
    out.hash = bft_block_hash(*engine, header, extra);
    out.vote = extra.vote;
  }
  return out;
}

EvmConsensusParams params_from(const EvmConsensusParams& pinned, const FinalizedHeader& established) {
  EvmConsensusParams out = pinned;
  out.checkpoint = Checkpoint{established.number, established.hash};
  out.validator_sets = {ValidatorSet{established.number + 1, established.validators_after.members}};
  out.checkpoint_vote = established.vote;
  return out;
}

std::optional<std::uint64_t> idle_advance_target(const IdleAdvance& advance, std::uint64_t checkpoint,
                                                  std::uint64_t finalized) {
  if (finalized <= checkpoint || finalized - checkpoint <= advance.after_blocks) return std::nullopt;
  return checkpoint + std::min(finalized - checkpoint, advance.max_headers);
}

core::Result<FinalizedHeader> follow_headers(const EvmConsensusParams& params, std::span<const core::Bytes> headers,
                                             std::uint64_t target) {
  const std::vector<core::ByteView> views(headers.begin(), headers.end());
  return verify_evm_finality(params, views, target);
}

core::Result<EvmConsensusParams> FollowedCheckpoints::params_at(const core::ChainIdentity& chain,
                                                                std::uint64_t height) const {
  const ChainAnchor* anchor = pinned_.find(chain);
  if (anchor == nullptr) return core::Error(reason::kUnknownChain, "no trust anchors for the chain");
  if (!is_signed_mode(anchor->consensus.mode)) {
    return core::Error(reason::kWrongMode, "checkpoints are kept for signed modes only");
  }
  if (height == anchor->consensus.checkpoint.number) return anchor->consensus;
  CW_TRY(const auto established, lookup_(chain, height));
  if (!established || established->number != height) {
    return core::Error(reason::kCheckpointMismatch, "no checkpoint was established at block " + std::to_string(height));
  }
  return params_from(anchor->consensus, *established);
}

core::Result<TrustAnchors> FollowedCheckpoints::anchors_for(const Bundle& bundle) const {
  const ChainAnchor* chain = pinned_.find(bundle.source.chain_identity);
  if (chain == nullptr) return TrustAnchors{};
  TrustAnchors out{{*chain}};
  if (chain->family != core::ChainFamily::kEvm || !is_signed_mode(chain->consensus.mode)) return out;
  const std::uint64_t start = segment_start(bundle);
  // At or below the pinned checkpoint nothing was established: the pinned anchors judge it.
  if (start <= chain->consensus.checkpoint.number) return out;
  CW_TRY(const auto established, lookup_(bundle.source.chain_identity, start));
  if (!established || established->number != start) return out;
  out.chains.front().consensus = params_from(chain->consensus, *established);
  return out;
}

bool CheckpointMemory::learn(const core::ChainIdentity& chain, const Verdict& verdict) {
  auto established = established_checkpoint(verdict);
  if (!established) return false;
  keep(chain, std::move(*established));
  return true;
}

void CheckpointMemory::keep(const core::ChainIdentity& chain, FinalizedHeader checkpoint) {
  const std::uint64_t number = checkpoint.number;
  known_.insert_or_assign({chain, number}, std::move(checkpoint));
}

std::optional<FinalizedHeader> CheckpointMemory::highest_below(const core::ChainIdentity& chain,
                                                               std::uint64_t height) const {
  auto it = known_.lower_bound({chain, height});
  if (it == known_.begin()) return std::nullopt;
  --it;
  if (it->first.first != chain) return std::nullopt;
  return it->second;
}

core::Result<void> CheckpointMemory::follow_to(const ChainAnchor& anchor, std::uint64_t height, HeaderSource& source,
                                               std::uint64_t chunk) {
  const EvmConsensusParams& pinned = anchor.consensus;
  if (!is_signed_mode(pinned.mode)) {
    return core::Error(reason::kWrongMode, "checkpoints are kept for signed modes only");
  }
  if (height <= pinned.checkpoint.number || knows(anchor.chain_identity, height)) return core::ok();
  if (chunk == 0) return core::Error(reason::kSegmentEmpty, "a chunk of no headers");
  EvmConsensusParams params = pinned;
  if (auto known = highest_below(anchor.chain_identity, height); known && known->number > pinned.checkpoint.number) {
    params = params_from(pinned, *known);
  }
  // Clique: the signers of a header and floor(N/2) descendants show it final (EIP-225), N the set
  // in force after the checkpoint the chunk starts from.
  const auto descendants_of = [&](const EvmConsensusParams& p) -> core::Result<std::uint32_t> {
    if (p.mode != ConsensusMode::kClique) return std::uint32_t{0};
    CW_TRY(const ValidatorSet set, initial_set(p));
    return static_cast<std::uint32_t>(set.members.size() / 2);
  };
  while (params.checkpoint.number < height) {
    const std::uint64_t from = params.checkpoint.number;
    const std::uint64_t to = std::min(height, from + chunk);
    CW_TRY(const std::uint32_t descendants, descendants_of(params));
    CW_TRY(const auto headers, source.headers(anchor.chain_identity, from, to, descendants));
    auto target = follow_headers(params, headers, to);
    if (!target) {
      return std::move(target).error().with_context("headers " + std::to_string(from + 1) + ".." + std::to_string(to));
    }
    params = params_from(pinned, *target);
    keep(anchor.chain_identity, std::move(target).value());
  }
  return core::ok();
}

FollowedCheckpoints::Lookup CheckpointMemory::lookup() const {
  return [this](const core::ChainIdentity& chain,
                std::uint64_t height) -> core::Result<std::optional<FinalizedHeader>> {
    const auto found = known_.find({chain, height});
    if (found == known_.end()) return std::optional<FinalizedHeader>{};
    return std::optional<FinalizedHeader>(found->second);
  };
}

}  // namespace causeway::verify
