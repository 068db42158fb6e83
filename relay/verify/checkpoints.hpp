// Relay-kept checkpoints of signed EVM chains (QBFT, IBFT, Clique): the target of every valid
// bundle is a header the verifier followed from a trusted checkpoint, so later bundles may start
// their segment there instead of at the pinned checkpoint, keeping segments short on a long-lived
// chain. Only targets of valid bundles become checkpoints, so an auditor re-derives the same chain
// of trust from the bundles alone (pinned checkpoint on).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "relay/core/bytes.hpp"
#include "relay/core/protocol.hpp"
#include "relay/core/result.hpp"
#include "relay/verify/bundle.hpp"
#include "relay/verify/consensus.hpp"
#include "relay/verify/trust_anchors.hpp"
#include "relay/verify/verify.hpp"

namespace causeway::verify {

// The height of the checkpoint a bundle's segment links to: the parent of its first header
// (segment[0] when it lies before the block, else the block itself). A segment whose first header
// does not decode is read as starting at the block; the verifier then names what is wrong with it.
std::uint64_t segment_start(const Bundle& bundle);

// The checkpoint a verdict establishes: the target of a valid signed-mode bundle, else nothing.
std::optional<FinalizedHeader> established_checkpoint(const Verdict& verdict);

// A stored checkpoint header restored for a follower: its hash by the mode's rule, roots and (BFT)
// vote re-derived from the RLP, with the set in force after it as persisted beside it.
core::Result<FinalizedHeader> checkpoint_from_header(ConsensusMode mode, core::ByteView header_rlp,
                                                     ValidatorSet validators_after);

// The consensus parameters that follow a chain from a checkpoint established at `established`:
// the pinned ones with the checkpoint, the set in force after it and its vote in their place.
EvmConsensusParams params_from(const EvmConsensusParams& pinned, const FinalizedHeader& established);

// Advancing the checkpoint of a signed chain without messages: bundles carry every header from
// the checkpoint on and at most BundleLimits::max_segment_headers of them, so a chain quiet for
// that long would stop on its next message unless the relay follows its headers in the meantime.
struct IdleAdvance {
  // The finalized head must be this far above the checkpoint before headers are followed.
  std::uint64_t after_blocks = 1024;
  // Headers followed (and fetched) at once; well below the segment bound.
  std::uint64_t max_headers = 4096;
};

// The height an idle advance from `checkpoint` reaches with the finalized head at `finalized`, or
// nullopt when the head is not far enough ahead.
std::optional<std::uint64_t> idle_advance_target(const IdleAdvance& advance, std::uint64_t checkpoint,
                                                  std::uint64_t finalized);

// Verifies `headers` = checkpoint+1 .. target (and Clique's descendants after it), fetched from a
// node, with the parameters of the checkpoint they start at (params_at, params_from); returns the
// target, the checkpoint they establish. Trusts the parameters and the seals, never the node.
core::Result<FinalizedHeader> follow_headers(const EvmConsensusParams& params, std::span<const core::Bytes> headers,
                                             std::uint64_t target);

// Chooses the trust anchors each bundle is verified with: the pinned ones, or for a signed chain
// whose bundle starts at a checkpoint established earlier, that checkpoint in their place.
class FollowedCheckpoints {
 public:
  // The checkpoint established at `height` of `chain`, or nullopt. Backed by the relay's store or
  // an auditor's memory; an error is the backing's (a database that failed), not the bundle's.
  using Lookup = std::function<core::Result<std::optional<FinalizedHeader>>(const core::ChainIdentity& chain,
                                                                            std::uint64_t height)>;

  // `pinned` must outlive this object.
  FollowedCheckpoints(const TrustAnchors& pinned, Lookup lookup) : pinned_(pinned), lookup_(std::move(lookup)) {}

  // Anchors holding only the bundle's chain (all verify_bundle reads): its pinned entry, or a copy
  // whose checkpoint, validator set and checkpoint vote are the established checkpoint the
  // segment starts at. A start that is neither keeps the pinned entry, so the verifier refuses it
  // with its own reasons. A chain the anchors lack gives empty anchors (verify.unknown_chain).
  core::Result<TrustAnchors> anchors_for(const Bundle& bundle) const;

  // The consensus parameters that follow `chain` from its checkpoint at `height`: the pinned
  // ones at the pinned height, else the established checkpoint's (kCheckpointMismatch if none).
  core::Result<EvmConsensusParams> params_at(const core::ChainIdentity& chain, std::uint64_t height) const;

  const TrustAnchors& pinned() const noexcept { return pinned_; }

 private:
  const TrustAnchors& pinned_;
  Lookup lookup_;
};

// Where an auditor reads the headers of a chain: its own node, trusted for nothing (what it serves
// is verified from a checkpoint the auditor already trusts).
class HeaderSource {
 public:
  virtual ~HeaderSource() = default;
  // Whether a node for `chain` is at hand.
  virtual bool serves(const core::ChainIdentity& chain) const = 0;
  // Headers from+1 .. to, then `descendants` more after `to`, as RLP.
  virtual core::Result<std::vector<core::Bytes>> headers(const core::ChainIdentity& chain, std::uint64_t from,
                                                         std::uint64_t to, std::uint32_t descendants) = 0;
};

// Established checkpoints kept in memory: what an auditor re-derives while it verifies bundles in
// ascending block order.
class CheckpointMemory {
 public:
  // Keeps what established_checkpoint(verdict) gives, under the bundle's chain; false if nothing.
  bool learn(const core::ChainIdentity& chain, const Verdict& verdict);
  // Whether a checkpoint of `chain` at `height` is known.
  bool knows(const core::ChainIdentity& chain, std::uint64_t height) const { return known_.contains({chain, height}); }
  // Keeps a checkpoint the auditor followed headers to with its own node.
  void keep(const core::ChainIdentity& chain, FinalizedHeader checkpoint);
  // The highest checkpoint known for `chain` below `height`, or nullopt.
  std::optional<FinalizedHeader> highest_below(const core::ChainIdentity& chain, std::uint64_t height) const;
  // Follows `anchor`'s chain with `source` from the highest checkpoint known below `height` (the
  // pinned one if none) up to exactly `height`, in chunks of at most `chunk` headers, keeping each
  // chunk's end: what lets a bundle start at a checkpoint the relay kept from headers alone
  // (IdleAdvance). Known already, or at or below the pinned checkpoint: nothing to follow.
  core::Result<void> follow_to(const ChainAnchor& anchor, std::uint64_t height, HeaderSource& source,
                               std::uint64_t chunk = IdleAdvance{}.max_headers);
  // Reads this memory, which must outlive the lookup.
  FollowedCheckpoints::Lookup lookup() const;

 private:
  std::map<std::pair<core::ChainIdentity, std::uint64_t>, FinalizedHeader> known_;
};

}  // namespace causeway::verify
