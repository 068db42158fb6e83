// Proof bundles (schemas/proof-bundle.schema.json, PROTOCOL.md section 4): the event, its receipt
// proof and the header it hangs from, as the EVM adapter emits them (family evm) or a FISCO BCOS
// 2.x source would (family fisco), and `causeway verify` reads them. A bundle carries evidence
// only, never trust: no validator set, root or identity in it is believed (THREATS 5); the
// verifier compares what it recomputes with what the bundle says.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "relay/core/bytes.hpp"
#include "relay/core/message.hpp"
#include "relay/core/protocol.hpp"
#include "relay/core/result.hpp"
#include "relay/verify/evm_header.hpp"
#include "relay/verify/fisco_merkle.hpp"

namespace causeway::verify {

namespace reason {
inline constexpr core::Reason kBundleUnsupportedVersion{"bundle.unsupported_version"};
}  // namespace reason

inline constexpr std::uint32_t kBundleVersion = 1;

// message: a MessageSent on the source chain. execution: a MessageExecuted on the destination,
// proven back to the source for an acknowledgement (PROTOCOL.md section 6).
enum class BundleKind : std::uint8_t { kMessage, kExecution };

// One entry of a FISCO 2.x block's signatureList: a sealer's PBFT commit signature over the block
// hash, `sealer_index` pointing into the header's sealerList.
struct BundleSeal {
  std::uint64_t sealer_index = 0;
  core::Bytes signature;
};

struct BundleSource {
  core::ChainIdentity chain_identity;  // the chain the event happened on
  std::uint64_t block_number = 0;
  core::Hash32 block_hash;  // compared with the header's own hash, never believed
  core::Bytes header;       // the target header's RLP, seals included
  // The other headers needed to reach the pinned checkpoint: checkpoint+1 ... block_number-1, then
  // (Clique, and optionally BFT) descendants block_number+1 ...; `header` itself is not repeated.
  std::vector<core::Bytes> segment;  // EVM only
  std::vector<BundleSeal> signatures;  // FISCO only: the block's signatureList (2.x keeps it beside the header)
};

struct EvmReceiptInclusion {
  std::uint32_t tx_index = 0;
  std::uint32_t log_index = 0;  // within the receipt
  core::Bytes receipt;          // consensus encoding
  std::vector<core::Bytes> proof;
};

// FISCO 2.x: the receipt RLP and its 16-ary Merkle proof under the header's receiptsRoot.
struct FiscoReceiptInclusion {
  std::uint32_t receipt_index = 0;  // the transaction's index in the block: the leaf is rlp(index) ‖ H(receipt)
  std::uint32_t log_index = 0;      // within the receipt
  core::Bytes receipt;
  std::vector<Fisco2ProofUnit> proof;  // RPC receiptProof units, the last one empty
};

struct Bundle {
  // Which header, seal and inclusion rules apply; evm when a bundle does not say otherwise.
  core::ChainFamily family = core::ChainFamily::kEvm;
  BundleKind kind = BundleKind::kMessage;
  core::Claim claim;
  core::Message message;
  BundleSource source;
  EvmReceiptInclusion inclusion;        // family evm
  FiscoReceiptInclusion fisco_inclusion;  // family fisco
};

// Bounds checked before anything is allocated for the value they bound (THREATS 24).
struct BundleLimits {
  std::size_t max_json_bytes = 64u << 20;
  std::size_t max_depth = 16;
  std::size_t max_header_bytes = kMaxHeaderBytes;
  std::size_t max_segment_headers = 8192;
  std::size_t max_proof_nodes = 64;
  std::size_t max_proof_node_bytes = 1u << 20;
  std::size_t max_receipt_bytes = 1u << 20;
  std::size_t max_signatures = 1024;  // FISCO signatureList entries
  std::size_t max_signature_bytes = 256;
  // The per-chain bound from the trust anchors applies again during verification.
  std::size_t max_payload = 1u << 20;
};

// Strict: unknown fields refused, each error naming its JSON path ("inclusion.proof[2]: bad hex").
core::Result<Bundle> bundle_from_json(const nlohmann::json& json, const BundleLimits& limits = {});
core::Result<Bundle> parse_bundle(std::string_view text, const BundleLimits& limits = {});
// The schema form; bundle_from_json(bundle_to_json(b)) == b.
nlohmann::json bundle_to_json(const Bundle& bundle);

std::string_view kind_name(BundleKind kind) noexcept;

}  // namespace causeway::verify
