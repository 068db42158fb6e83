// What a Hyperledger Fabric proof bundle rests on beyond the block itself (fabric_block.hpp): the
// anchored channel (orderers, gateway chaincode and its endorsers, peers), the peers' signed
// validation flags, and the gateway's chaincode events read as Causeway events.
//
// Validation flags are trust, not proof. A block cannot show that its transaction was VALID: the
// flags are written by each peer after ordering and no orderer signs them (fabric_block.hpp says
// why). A bundle therefore carries PeerAttestations, and the verifier accepts a transaction as
// valid only when k distinct peers pinned in the trust anchors each signed that it is, and none
// of the attestations it carries says otherwise. That is k-of-n trust in those peers: k peers run
// by one organisation, or colluding, can vouch for an invalidated transaction. The anchors should
// name peers of independent organisations and a k that no single one of them reaches alone.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "relay/core/bytes.hpp"
#include "relay/core/message.hpp"
#include "relay/core/protocol.hpp"
#include "relay/core/result.hpp"
#include "relay/verify/fabric_block.hpp"
#include "relay/verify/inclusion.hpp"

namespace causeway::verify::fabric {

namespace reason {
// A peer attestation from a peer the anchors do not name.
inline constexpr core::Reason kUnknownPeer{"fabric.unknown_peer"};
// A pinned peer's attestation whose signature does not verify (or is high-S).
inline constexpr core::Reason kBadPeerAttestation{"fabric.bad_peer_attestation"};
inline constexpr core::Reason kDuplicatePeer{"fabric.duplicate_peer"};
// A pinned peer, or the block's own transactions filter, says the transaction is not VALID.
inline constexpr core::Reason kValidationDisagreement{"fabric.validation_disagreement"};
inline constexpr core::Reason kPeerQuorumNotMet{"fabric.peer_quorum_not_met"};
// The envelope or chaincode event index points past the block's envelopes or the actions.
inline constexpr core::Reason kTxIndexOutOfRange{"fabric.tx_index_out_of_range"};
inline constexpr core::Reason kEventIndexOutOfRange{"fabric.event_index_out_of_range"};
// The envelope is on another channel than the anchored one.
inline constexpr core::Reason kChannelMismatch{"fabric.channel_mismatch"};
// The action or its event belongs to another chaincode than the anchored gateway.
inline constexpr core::Reason kWrongChaincode{"fabric.wrong_chaincode"};
// The action carries no chaincode event.
inline constexpr core::Reason kNoEvent{"fabric.no_event"};
// The chaincode's response status is ERRORTHRESHOLD (400) or above.
inline constexpr core::Reason kChaincodeFailed{"fabric.chaincode_failed"};
}  // namespace reason

// common.BlockMetadataIndex.TRANSACTIONS_FILTER: one validation code byte per envelope.
inline constexpr std::size_t kMetadataTransactionsFilter = 2;
// peer.TxValidationCode.VALID.
inline constexpr std::uint8_t kTxValid = 0;
// The Fabric shim's ERRORTHRESHOLD: a response status at or above it is an error.
inline constexpr std::int32_t kChaincodeErrorThreshold = 400;

// The chaincode event names the gateway chaincode emits, as the EVM gateway names its events.
inline constexpr std::string_view kMessageSentEvent = "MessageSent";
inline constexpr std::string_view kMessageExecutedEvent = "MessageExecuted";

inline constexpr std::string_view kValidationDomain = "causeway/fabric-validation/v1";

// A peer the verifier trusts to report validation flags, pinned by its exact certificate.
struct Peer {
  std::string name;
  Identity identity;
};

// Family 3 in the trust anchors: one channel and the gateway chaincode on it.
struct FabricAnchor {
  std::string channel;          // the chain key is keccak256 of this name (PROTOCOL.md section 1)
  OrdererPolicy orderers;       // /Channel/Orderer/BlockValidation with pinned orderer certificates
  std::string chaincode;        // the gateway chaincode's name
  EndorsementPolicy endorsement;  // n of m organisations, each with its pinned endorsers
  std::vector<Peer> peers;
  std::size_t peers_required = 1;  // k: distinct pinned peers that must attest VALID
};

// One peer's signed statement of the validation code it committed for a transaction.
struct PeerAttestation {
  std::string peer;  // a name from FabricAnchor::peers
  std::uint8_t validation_code = kTxValid;
  core::Bytes signature;  // DER ECDSA P-256 over SHA-256(validation_preimage(...)), low-S
};

// The bytes a peer signs, each length a 2-byte big-endian prefix so no field can run into the next:
//   "causeway/fabric-validation/v1" (29 ASCII bytes)
//   ‖ u16 len ‖ channel (UTF-8) ‖ u64 block number ‖ block hash (32 bytes: SHA-256 of the header DER)
//   ‖ u16 len ‖ tx id (UTF-8) ‖ u8 validation code
// channel and tx id are at most 65535 bytes; longer ones are not Fabric's and are refused earlier.
core::Bytes validation_preimage(std::string_view channel, std::uint64_t block_number, const core::Hash32& block_hash,
                                std::string_view tx_id, std::uint8_t validation_code);

// What verify_peer_attestations found: how many distinct pinned peers attested VALID.
struct PeerAgreement {
  std::size_t attested = 0;
  std::size_t required = 0;
};

// Each attestation names a pinned peer (kUnknownPeer), verifies under its certificate
// (kBadPeerAttestation), comes from a peer not seen before (kDuplicatePeer) and says VALID
// (kValidationDisagreement); then at least peers_required of them (kPeerQuorumNotMet).
core::Result<PeerAgreement> verify_peer_attestations(const FabricAnchor& anchor, std::uint64_t block_number,
                                                     const core::Hash32& block_hash, std::string_view tx_id,
                                                     std::span<const PeerAttestation> attestations);

// The block's own TRANSACTIONS_FILTER, when the block carries one, must not call the transaction
// anything but VALID: it is one more peer's word, unsigned, so it can refute but never confirm.
core::Result<void> check_transactions_filter(const Block& block, std::uint32_t tx_index);

// srcGateway / dstGateway of a Fabric gateway: keccak256 of its chaincode name (UTF-8).
core::Word32 gateway_word(std::string_view chaincode);

// Where a chaincode event sits: the proven block and the envelope / action indexes, which take
// the places of the EVM claim's txIndex and logIndexInReceipt.
struct EventPosition {
  core::Hash32 block_hash;
  std::uint64_t block_number = 0;
  std::uint32_t tx_index = 0;
  std::uint32_t event_index = 0;
};

// MessageSent from the gateway chaincode: its payload is exactly the EVM MessageSent log data,
// abi.encode(bytes message), read by the same decoder; the id is recomputed from the message (the
// EVM topics id, dstChain and sequence are all inside it).
core::Result<SentEvent> read_message_sent(const ChaincodeEvent& event, std::string_view chaincode,
                                          const EventPosition& at, const core::MessageLimits& limits);
// MessageExecuted from the gateway chaincode. A chaincode event has no topics, so its payload is
// the EVM event's whole parameter list, abi.encode(bytes32 id, bytes32 srcChain, uint64 sequence,
// uint8 status, bytes32 claim): the three EVM topics, then exactly the EVM log data.
core::Result<ExecutedEvent> read_message_executed(const ChaincodeEvent& event, std::string_view chaincode,
                                                  const EventPosition& at);

}  // namespace causeway::verify::fabric
