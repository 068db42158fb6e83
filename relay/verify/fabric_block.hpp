// Hyperledger Fabric blocks (PROOF_FORMATS.md section C): common.Block decoding, the DER header
// hash and flat data hash, orderer signatures under the block-validation policy, envelope creator
// signatures, endorsements under an n-of-m organisations policy, and chaincode events.
//
// What a block alone cannot prove: metadata[TRANSACTIONS_FILTER] (the per-transaction validation
// flags) and metadata[COMMIT_HASH] are written by each peer after ordering and are NOT covered by
// the orderer signatures. A transaction that is ordered, correctly signed and endorsed may still
// have been invalidated by MVCC or phantom-read checks, which need world state to re-derive. The
// relay therefore must not take a flag from one peer: a Fabric bundle carries the VALID flag as
// signed by k of n pinned, independent peers (fabric_bundle.hpp); nothing here reads the flags.
//
// Identities are pinned: orderers and endorsers are matched by their exact certificate, not by a
// chain to the organisation's MSP root CA (NodeOU roles and CRLs are not evaluated either). A
// relay following a channel must update the pinned sets from config blocks. Keys are P-256 only
// (Fabric also allows P-384). Unknown protobuf fields are skipped, duplicated singular ones refused.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "relay/core/bytes.hpp"
#include "relay/core/result.hpp"

namespace causeway::verify::fabric {

namespace reason {
// Structure: a field that the .proto declares is missing or out of place.
inline constexpr core::Reason kMissingField{"fabric.missing_field"};
inline constexpr core::Reason kDuplicateField{"fabric.duplicate_field"};
inline constexpr core::Reason kBadBlockfile{"fabric.bad_blockfile"};
// IdentifierHeader.identifier is a uint32 in common.proto.
inline constexpr core::Reason kBadConsenterId{"fabric.bad_consenter_id"};
inline constexpr core::Reason kDataHashMismatch{"fabric.data_hash_mismatch"};
inline constexpr core::Reason kPreviousHashMismatch{"fabric.previous_hash_mismatch"};
inline constexpr core::Reason kBadCertificate{"fabric.bad_certificate"};
// An orderer or endorser signature from a pinned identity that does not verify (or is high-S).
inline constexpr core::Reason kBadOrdererSignature{"fabric.bad_orderer_signature"};
inline constexpr core::Reason kDuplicateOrderer{"fabric.duplicate_orderer"};
inline constexpr core::Reason kOrdererPolicyNotMet{"fabric.orderer_policy_not_met"};
inline constexpr core::Reason kBadCreatorSignature{"fabric.bad_creator_signature"};
inline constexpr core::Reason kTxIdMismatch{"fabric.tx_id_mismatch"};
inline constexpr core::Reason kBadEndorsement{"fabric.bad_endorsement"};
inline constexpr core::Reason kEndorsementPolicyNotMet{"fabric.endorsement_policy_not_met"};
inline constexpr core::Reason kNotEndorserTransaction{"fabric.not_endorser_transaction"};
}  // namespace reason

// common.BlockMetadataIndex.SIGNATURES.
inline constexpr std::size_t kMetadataSignatures = 0;
// common.HeaderType.ENDORSER_TRANSACTION.
inline constexpr std::int32_t kHeaderTypeEndorserTransaction = 3;

struct BlockHeader {
  std::uint64_t number = 0;
  core::ByteView previous_hash;
  core::ByteView data_hash;
};

// A decoded block; every view points into the caller's buffer, which must outlive it.
struct Block {
  BlockHeader header;
  std::vector<core::ByteView> envelopes;  // BlockData.data, each a serialized Envelope
  std::vector<core::ByteView> metadata;   // BlockMetadata.metadata, indexed by kMetadata*
};

// A serialized common.Block.
core::Result<Block> decode_block(core::ByteView block) noexcept;
// A peer blockfile (blkstorage block_serialization.go): consecutive varint-length-prefixed
// entries, which are not protobuf Blocks.
core::Result<std::vector<Block>> decode_blockfile(core::ByteView file) noexcept;

// DER SEQUENCE { INTEGER number, OCTET STRING previous_hash, OCTET STRING data_hash }.
core::Bytes header_der(const BlockHeader& header);
// SHA-256 of header_der: the next block's previous_hash.
core::Hash32 block_hash(const BlockHeader& header);
// SHA-256 of the concatenated envelopes: flat, so inclusion needs every envelope of the block.
core::Hash32 data_hash(std::span<const core::ByteView> envelopes);
// data_hash(block.envelopes) == header.data_hash.
core::Result<void> check_data_hash(const Block& block);
// child.previous_hash == block_hash(parent) and the numbers are consecutive.
core::Result<void> check_chain(const Block& parent, const Block& child);

// The DER of a PEM or DER X.509 certificate (Fabric identities carry PEM), so that one
// certificate compares equal in either form.
core::Result<core::Bytes> certificate_der(core::ByteView certificate);

// A pinned identity: its MSP id and its X.509 certificate (PEM or DER).
struct Identity {
  std::string msp_id;
  core::Bytes certificate;
};

// /Channel/Orderer/BlockValidation. Raft/solo: ImplicitMeta "ANY Writers", one valid signature
// from a pinned orderer. BFT: NOutOf(ceil((n+f+1)/2)) of the consenters, f = (n-1)/3, each
// signature naming its consenter by IdentifierHeader.identifier.
enum class BlockValidation : std::uint8_t { kAnyWriter, kBftQuorum };

struct Consenter {
  std::uint32_t id = 0;
  Identity identity;
};

struct OrdererPolicy {
  BlockValidation rule = BlockValidation::kAnyWriter;
  std::vector<Identity> writers;       // kAnyWriter
  std::vector<Consenter> consenters;   // kBftQuorum
};

// Signatures in metadata[SIGNATURES]: each over value ‖ signature_header (or identifier_header
// for BFT) ‖ header_der, ECDSA P-256 over SHA-256, low-S. Signers not pinned by the policy are not
// counted; a pinned signer with a bad signature, or one signing twice, fails the block.
core::Result<void> verify_orderer_signatures(const Block& block, const OrdererPolicy& policy);

struct ChaincodeEvent {
  std::string chaincode_id;
  std::string tx_id;
  std::string event_name;
  core::ByteView payload;
};

struct Endorsement {
  core::ByteView endorser;   // SerializedIdentity bytes, part of what is signed
  std::string msp_id;
  core::ByteView certificate;
  core::ByteView signature;
};

// One TransactionAction of an endorser transaction.
struct Action {
  core::ByteView proposal_response_payload;
  std::vector<Endorsement> endorsements;
  std::string chaincode_name;
  std::string chaincode_version;
  std::int32_t response_status = 0;
  std::optional<ChaincodeEvent> event;  // absent when the chaincode set none
};

// An envelope's header, creator and, for endorser transactions, actions.
struct Transaction {
  std::int32_t header_type = 0;
  std::string channel_id;
  std::string tx_id;
  std::string creator_msp_id;        // empty when the envelope is unsigned (a genesis block)
  core::ByteView creator_certificate;
  core::ByteView creator;            // SignatureHeader.creator (SerializedIdentity bytes)
  core::ByteView nonce;
  core::ByteView payload;            // Envelope.payload, what the creator signs
  core::ByteView signature;
  std::vector<Action> actions;       // endorser transactions only
};

core::Result<Transaction> decode_envelope(core::ByteView envelope) noexcept;
// The creator's signature over the payload (P-256, low-S) and tx_id = hex(SHA-256(nonce ‖ creator)).
core::Result<void> verify_creator(const Transaction& tx);

// n of m organisations: the m organisations are the distinct MSP ids of `endorsers`; at least
// `required` of them must each have a valid endorsement by one of their pinned endorsers.
struct EndorsementPolicy {
  std::size_t required = 1;
  std::vector<Identity> endorsers;  // several per organisation allowed
};
// Every action of an endorser transaction satisfies the policy; endorsements by unpinned
// identities are not counted, a pinned endorser's bad signature fails.
core::Result<void> verify_endorsements(const Transaction& tx, const EndorsementPolicy& policy);

}  // namespace causeway::verify::fabric
