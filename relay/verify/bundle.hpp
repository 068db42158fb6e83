// Proof bundles (schemas/proof-bundle.schema.json, PROTOCOL.md section 4): the event, its receipt
// proof and the header it hangs from, as the EVM adapter emits them (family evm) or a FISCO BCOS
// 2.x or 3.x source would (family fisco); for Hyperledger Fabric (family fabric) the whole block with its
// peers' validation attestations. `causeway verify` reads them. A bundle carries evidence
// only, never trust: no validator set, root or identity in it is believed (THREATS 5); the
// verifier compares what it recomputes with what the bundle says.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "relay/core/bytes.hpp"
#include "relay/core/hash.hpp"
#include "relay/core/message.hpp"
#include "relay/core/protocol.hpp"
#include "relay/core/result.hpp"
#include "relay/verify/evm_header.hpp"
#include "relay/verify/fabric_bundle.hpp"
#include "relay/verify/fisco_merkle.hpp"
#include "relay/verify/fisco_receipt.hpp"

namespace causeway::verify {

namespace reason {
inline constexpr core::Reason kBundleUnsupportedVersion{"bundle.unsupported_version"};
}  // namespace reason

inline constexpr std::uint32_t kBundleVersion = 1;

// message: a MessageSent on the source chain. execution: a MessageExecuted on the destination,
// proven back to the source for an acknowledgement (PROTOCOL.md section 6).
enum class BundleKind : std::uint8_t { kMessage, kExecution };

// One entry of a FISCO block's signatureList: a sealer's PBFT commit signature over the block
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
  std::vector<BundleSeal> signatures;  // FISCO only: the block's signatureList (kept beside the header)
  // FISCO only: the node's major version. 3.x has no canonical header bytes, so its bundles carry
  // the header's data fields in `fisco3_header` instead of `header`, and the hash is recomputed.
  std::uint32_t fisco_version = 2;
  Fisco3Header fisco3_header;
  // Fabric only, instead of `header`: the whole serialized common.Block. Its data hash covers
  // every envelope, so the block is the inclusion proof; its metadata holds the orderer signatures.
  core::Bytes block;
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

// FISCO 3.x: the receipt's fields (hashed by the verifier into the leaf) and its flat binary-tree
// proof under the header's receiptsRoot.
struct Fisco3ReceiptInclusion {
  std::uint32_t receipt_index = 0;  // the transaction's index in the block, bound by the proof
  std::uint32_t log_index = 0;      // within the receipt
  Fisco3Receipt receipt;
  std::vector<core::Hash32> proof;  // RPC txReceiptProof: [count, node…] per level, or [root]
};

// Fabric: which envelope of the block and which of its actions' chaincode events, and the peers'
// signed word that the transaction is VALID (fabric_bundle.hpp).
struct FabricInclusion {
  std::string channel;
  std::uint32_t tx_index = 0;     // the envelope's index in the block: the claim's txIndex
  std::string tx_id;              // ChannelHeader.tx_id of that envelope
  std::uint32_t event_index = 0;  // the action whose chaincode event it is: the claim's logIndexInReceipt
  std::vector<fabric::PeerAttestation> attestations;
};

struct Bundle {
  // Which header, seal and inclusion rules apply; evm when a bundle does not say otherwise.
  core::ChainFamily family = core::ChainFamily::kEvm;
  BundleKind kind = BundleKind::kMessage;
  core::Claim claim;
  core::Message message;
  BundleSource source;
  EvmReceiptInclusion inclusion;        // family evm
  FiscoReceiptInclusion fisco_inclusion;  // family fisco, 2.x
  Fisco3ReceiptInclusion fisco3_inclusion;  // family fisco, 3.x
  FabricInclusion fabric_inclusion;       // family fabric
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
  std::size_t max_fisco3_text = 128;  // a 3.x header's or receipt's decimal and address strings
  std::size_t max_parent_info = 16;
  // Fabric: the orderer's default AbsoluteMaxBytes is 10 MB; a block is carried whole.
  std::size_t max_block_bytes = 16u << 20;
  std::size_t max_attestations = 256;
  std::size_t max_fabric_name = 256;  // channel, tx id and peer names
  // The per-chain bound from the trust anchors applies again during verification.
  std::size_t max_payload = 1u << 20;
};

// Strict: unknown fields refused, each error naming its JSON path ("inclusion.proof[2]: bad hex").
core::Result<Bundle> bundle_from_json(const nlohmann::json& json, const BundleLimits& limits = {});
core::Result<Bundle> parse_bundle(std::string_view text, const BundleLimits& limits = {});
// The schema form; bundle_from_json(bundle_to_json(b)) == b.
nlohmann::json bundle_to_json(const Bundle& bundle);
// A bundle's stored text, *head (when set) followed by tail, and its Keccak-256: the bundle hash a
// verified transition's audit leaf holds (PROTOCOL.md section 7). The head is shared by the texts
// of one run of bundles (BundleTextWriter) and held in memory once for all of them.
struct BundleText {
  std::shared_ptr<const std::string> head;
  std::string tail;
  core::Hash32 hash;

  std::string text() const { return head ? *head + tail : tail; }
};
// The bundle's stored text: its schema form printed compactly (compact_text), keys in order, except
// that an EVM bundle's source block and inclusion proof come first: {"source":{...},"inclusion":
// {"proof":[...],"kind":...},"claim":...}. Every message of one source transaction has the same
// block (its header alone about 1.2 KB of hex) and proves the same receipt (tens of KB), and a text
// that starts with both lets BundleTextWriter print and hash them once for all of them, and the
// store keep them once. Readers take keys in any order; an auditor hashes the text as served,
// whatever its order (texts stored in an earlier order keep it).
std::string bundle_text(const Bundle& bundle);
// bundle_text and its hash for a run of bundles: while the next EVM bundles carry the same source
// block and proof, the text up to the end of the proof is printed and absorbed into the hash once,
// as their shared head, and each bundle adds only its tail.
class BundleTextWriter {
 public:
  BundleText operator()(const Bundle& bundle);

 private:
  BundleSource source_;                      // the last EVM source block printed
  std::vector<core::Bytes> proof_;           // and proof
  std::shared_ptr<const std::string> head_;  // {"source":{<it>},"inclusion":{"proof":[<its nodes>],
  core::Keccak256 head_hash_;                // head_ absorbed
};
// Exactly json.dump() (compact, UTF-8 kept), without the general serializer's per-character
// escaping for strings that need none: a bundle's proof nodes are long hex strings, and printing
// them one character at a time was a visible share of the relay's CPU per message.
std::string compact_text(const nlohmann::json& json);

std::string_view kind_name(BundleKind kind) noexcept;

}  // namespace causeway::verify
