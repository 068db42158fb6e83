// Wire protocol v1 (PROTOCOL.md sections 1, 3, 4, 7): chain identity, claims, event topics and
// audit-log leaves. Messages live in message.hpp, vote digests in eip712.hpp.
#pragma once

#include <cstdint>
#include <string_view>

#include "relay/core/bytes.hpp"

namespace causeway::core {

inline constexpr std::uint8_t kProtocolVersion = 1;

struct ChainKeyTag {};
struct MessageIdTag {};
struct ClaimTag {};
// PROTOCOL.md section 1: the EVM chain id as uint256, or keccak256 of a non-EVM chain's name.
using ChainKey = FixedBytes<32, ChainKeyTag>;
// keccak256 of the message's fields (message.hpp); separate types so an id and a claim, which
// sit side by side in every vote, cannot be swapped silently.
using MessageId = FixedBytes<32, MessageIdTag>;
// Section 4: the source event a delivery rests on.
using Claim = FixedBytes<32, ClaimTag>;


// ---- Chain identity (section 1) -------------------------------------------------------------

enum class ChainFamily : std::uint8_t {
  kEvm = 1,
  kFiscoBcos = 2,
  kFabric = 3,
  kChainMaker = 4,
  kExternal = 255,
};

// keccak256(abi.encode(uint8 family, bytes32 chainKey, bytes32 genesisHash)).
ChainIdentity chain_identity(ChainFamily family, const ChainKey& key, const Hash32& genesis_hash);
// The EVM chain id as a uint256 word.
ChainKey evm_chain_key(std::uint64_t chain_id) noexcept;
// A chain id beyond 64 bits, given as its 32-byte big-endian uint256 word.
ChainKey evm_chain_key(const Word32& chain_id_be) noexcept;
// keccak256 of the UTF-8 name: a Fabric channel name, or see fisco_chain_key.
ChainKey named_chain_key(std::string_view utf8_name) noexcept;
// named_chain_key("<chainId>/<groupId>").
ChainKey fisco_chain_key(std::string_view chain_id, std::string_view group_id);

// ---- Events (section 3) ---------------------------------------------------------------------

enum class ExecStatus : std::uint8_t {
  kOk = 1,
  kReceiverFailed = 2,
  kTimedOut = 3,
  kSkipped = 4,
};

inline constexpr std::string_view kMessageSentSignature = "MessageSent(bytes32,bytes32,uint64,bytes)";
inline constexpr std::string_view kMessageExecutedSignature =
    "MessageExecuted(bytes32,bytes32,uint64,uint8,bytes32)";
inline constexpr std::string_view kAcknowledgedSignature = "Acknowledged(bytes32,uint8,bytes32)";
// topic0 of each event: keccak256 of the signature (the unit tests recompute them).
inline constexpr Hash32 kMessageSentTopic =
    fixed_literal<Hash32>("0x0a8a2797541eb8b38828420be4203f4bb063f128f9ff10079dcaea6a36304deb");
inline constexpr Hash32 kMessageExecutedTopic =
    fixed_literal<Hash32>("0x85058a4fa7cc3d9ca6b4625b52c2d392eec586118cfb756dbb2096dc4b9bc9ca");
inline constexpr Hash32 kAcknowledgedTopic =
    fixed_literal<Hash32>("0x4fc09f61de779121605e62165f77f7907b2afbb4a60fc43d1a5176492ac9b399");

// ---- Claims (section 4) ---------------------------------------------------------------------

// keccak256(abi.encode(id, srcBlockHash, uint64 srcBlockNumber, uint32 txIndex,
// uint32 logIndexInReceipt)). The log index counts within the receipt, not within the block, so
// every relay derives it from the same receipt proof.
Claim claim_hash(const MessageId& id, const Hash32& src_block_hash, std::uint64_t src_block_number,
                 std::uint32_t tx_index, std::uint32_t log_index_in_receipt);

// ---- Audit log (section 7) ------------------------------------------------------------------

// The `detail` word of each kind is given in the comment.
enum class AuditKind : std::uint8_t {
  kVerified = 1,        // bundle hash
  kRejected = 2,        // keccak256 of the reason code
  kVoted = 3,           // vote transaction hash
  kExecutedOk = 4,      // target transaction hash (section 7 gives it for kinds 4 to 7)
  kExecutedFailed = 5,  // target transaction hash
  kTimedOut = 6,        // target transaction hash
  kSkipped = 7,         // target transaction hash
  kAcknowledged = 8,    // source transaction hash
  kParked = 9,          // keccak256 of the reason code
  kOrphaned = 10,       // zero
};

// abi.encode(uint8 kind, bytes32 id, bytes32 claim, bytes32 detail, uint64 time): 160 bytes.
Bytes encode_audit_leaf(AuditKind kind, const MessageId& id, const Claim& claim, const Hash32& detail,
                        std::uint64_t unix_time);
// RFC 6962 leaf hash: SHA-256(0x00 || leaf).
Hash32 audit_leaf_hash(ByteView leaf) noexcept;
// Section 7's name of a kind: "verified" ... "orphaned"; "unknown" outside 1..10.
std::string_view audit_kind_name(AuditKind kind) noexcept;

}  // namespace causeway::core
