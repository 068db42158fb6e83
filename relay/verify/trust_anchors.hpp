// Trust anchors (schemas/trust-anchors.schema.json): what the verifier itself believes about each
// source chain — identity, gateway, consensus checkpoint and validator sets, message bounds. Read
// strictly from the operator's or auditor's own file, never from a bundle (THREATS 5).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "relay/core/bytes.hpp"
#include "relay/core/message.hpp"
#include "relay/core/protocol.hpp"
#include "relay/core/result.hpp"
#include "relay/verify/consensus.hpp"
#include "relay/verify/fabric_bundle.hpp"
#include "relay/verify/fisco_header.hpp"

namespace causeway::verify {

namespace reason {
// chain_identity is not keccak256(abi.encode(1, chainId, genesisHash)) of the entry's own fields.
inline constexpr core::Reason kAnchorIdentityMismatch{"anchors.identity_mismatch"};
// Mode `trusted` without "insecure": true on the chain entry.
inline constexpr core::Reason kAnchorInsecureRequired{"anchors.insecure_required"};
// Two entries with one name or one chain identity.
inline constexpr core::Reason kAnchorDuplicateChain{"anchors.duplicate_chain"};
inline constexpr core::Reason kAnchorUnsupportedVersion{"anchors.unsupported_version"};
// A FISCO BCOS entry for a node major version this verifier does not read (2.x and 3.x are).
inline constexpr core::Reason kAnchorUnsupportedFiscoVersion{"anchors.unsupported_fisco_version"};
}  // namespace reason

inline constexpr std::uint32_t kTrustAnchorsVersion = 1;

// FISCO BCOS (family 2): the group's PBFT sealer set as read at a pinned block. Sealer-set changes
// are not followed from the chain yet: a header listing another set is refused until the operator
// re-anchors.
struct FiscoAnchor {
  std::string chain_id;  // FISCO's chainId and groupId: the chain key is "<chainId>/<groupId>"
  std::string group_id;
  std::uint32_t version = 2;  // the node's major version: 2 or 3
  FiscoCrypto crypto = FiscoCrypto::kEcdsa;
  Fisco3Layout layout = Fisco3Layout::kV3;  // 3.x only: how the header hash lays out integers
  Checkpoint checkpoint;  // the block the sealer set was read at; the set vouches for it and later blocks
  std::vector<core::Bytes> sealers;  // 64-byte node ids, distinct, in the headers' sealerList order
  // 3.x only: each sealer's consensus weight, parallel to `sealers` (the headers' consensusWeights);
  // quorum is total − (total−1)/3 of the summed weights. Empty for 2.x, which counts sealers.
  std::vector<std::uint64_t> weights;
};

struct ChainAnchor {
  std::string name;
  core::ChainFamily family = core::ChainFamily::kEvm;
  std::uint64_t chain_id = 0;  // EVM only
  core::Hash32 genesis_hash;
  core::ChainIdentity chain_identity;  // checked against the three fields above at load
  core::Address gateway;
  EvmConsensusParams consensus;  // EVM only
  FiscoAnchor fisco;             // FISCO BCOS only
  fabric::FabricAnchor fabric;   // Hyperledger Fabric only (its gateway is a chaincode, not an address)
  // confirmations / trusted may omit the checkpoint: the canonical hash vouches for each header.
  bool checkpoint_pinned = false;
  core::MessageLimits limits;
  bool insecure = false;
};

struct TrustAnchors {
  std::vector<ChainAnchor> chains;
  // The entry for `identity`, or nullptr.
  const ChainAnchor* find(const core::ChainIdentity& identity) const noexcept;
};

// Bounds checked while reading (THREATS 24).
struct TrustAnchorLimits {
  std::size_t max_json_bytes = 4u << 20;
  std::size_t max_depth = 16;
  std::size_t max_chains = 256;
  std::size_t max_validator_sets = 1024;
  std::size_t max_members = 1024;
  std::size_t max_payload = 1u << 20;  // the largest max_payload an entry may set
  std::size_t max_certificate_bytes = 16u << 10;  // one PEM certificate of a Fabric identity
};

// Strict: unknown fields refused, each error naming its JSON path ("chains[0].gateway: bad hex"),
// per-mode fields required or refused, sets validated, identity recomputed.
core::Result<TrustAnchors> trust_anchors_from_json(const nlohmann::json& json, const TrustAnchorLimits& limits = {});
// Size and nesting are bounded before parsing.
core::Result<TrustAnchors> parse_trust_anchors(std::string_view text, const TrustAnchorLimits& limits = {});

nlohmann::json trust_anchors_to_json(const TrustAnchors& anchors);

std::string_view mode_name(ConsensusMode mode) noexcept;
// "ecdsa" or "sm", as the anchors spell the FISCO crypto modes.
std::string_view crypto_name(FiscoCrypto crypto) noexcept;
// "v3" or "rc", as the anchors spell the FISCO 3.x header layouts.
std::string_view layout_name(Fisco3Layout layout) noexcept;
// "any_writer" or "bft_quorum", as the anchors spell Fabric's block-validation policies.
std::string_view validation_name(fabric::BlockValidation rule) noexcept;

}  // namespace causeway::verify
