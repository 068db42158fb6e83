// Peer attestations of validation flags and the gateway chaincode's events (see fabric_bundle.hpp).
#include "relay/verify/fabric_bundle.hpp"

#include <algorithm>

#include "relay/core/hash.hpp"
#include "relay/core/signature.hpp"

namespace causeway::verify::fabric {
namespace {

void append_u16_prefixed(core::Bytes& out, std::string_view text) {
  out.push_back(static_cast<std::uint8_t>(text.size() >> 8));
  out.push_back(static_cast<std::uint8_t>(text.size()));
  core::append(out, core::as_bytes(text));
}

// The chaincode event of the gateway named `name`: any chaincode can emit an event of that name,
// so the chaincode it came from is checked before its payload is read.
core::Result<void> check_origin(const ChaincodeEvent& event, std::string_view chaincode, std::string_view name) {
  if (event.chaincode_id != chaincode) {
    return core::Error(reason::kWrongChaincode, "event of chaincode \"" + event.chaincode_id + "\", gateway is \"" +
                                                    std::string(chaincode) + "\"");
  }
  if (event.event_name != name) {
    return core::Error(verify::reason::kWrongEvent, "event \"" + event.event_name + "\", expected " + std::string(name));
  }
  return core::ok();
}

}  // namespace

core::Bytes validation_preimage(std::string_view channel, std::uint64_t block_number, const core::Hash32& block_hash,
                                std::string_view tx_id, std::uint8_t validation_code) {
  // Starts from the domain tag rather than appending it to an empty vector: g++ 12 at -O3 reports a
  // false stringop-overflow on that first append.
  const auto domain = core::as_bytes(kValidationDomain);
  core::Bytes out(domain.begin(), domain.end());
  out.reserve(domain.size() + 2 + channel.size() + 8 + 32 + 2 + tx_id.size() + 1);
  append_u16_prefixed(out, channel);
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(block_number >> shift));
  core::append(out, block_hash.view());
  append_u16_prefixed(out, tx_id);
  out.push_back(validation_code);
  return out;
}

core::Result<PeerAgreement> verify_peer_attestations(const FabricAnchor& anchor, std::uint64_t block_number,
                                                     const core::Hash32& block_hash, std::string_view tx_id,
                                                     std::span<const PeerAttestation> attestations) {
  std::vector<const Peer*> seen;
  for (std::size_t i = 0; i < attestations.size(); ++i) {
    const PeerAttestation& a = attestations[i];
    const std::string where = "attestation " + std::to_string(i) + " (peer \"" + a.peer + "\")";
    const Peer* peer = nullptr;
    for (const Peer& p : anchor.peers) {
      if (p.name == a.peer) peer = &p;
    }
    if (peer == nullptr) return core::Error(reason::kUnknownPeer, where);
    auto key = core::P256PublicKey::from_certificate(peer->identity.certificate);
    if (!key) return core::Error(reason::kBadCertificate, where + ": " + key.error().message());
    // The signature is checked before the code it covers is believed, disagreeing or not.
    const core::Bytes preimage = validation_preimage(anchor.channel, block_number, block_hash, tx_id, a.validation_code);
    if (auto ok = core::verify_p256(preimage, a.signature, core::SignatureEncoding::kDer, *key, core::HighS::kReject);
        !ok) {
      return core::Error(reason::kBadPeerAttestation, where + ": " + ok.error().message());
    }
    for (const Peer* other : seen) {
      if (other == peer) return core::Error(reason::kDuplicatePeer, where);
    }
    seen.push_back(peer);
    if (a.validation_code != kTxValid) {
      return core::Error(reason::kValidationDisagreement,
                         where + " says validation code " + std::to_string(a.validation_code) + ", not VALID");
    }
  }
  // A quorum of zero would make the attestations decorative: the anchors refuse it, and so does this.
  if (anchor.peers_required == 0 || seen.size() < anchor.peers_required) {
    return core::Error(reason::kPeerQuorumNotMet, std::to_string(seen.size()) + " distinct pinned peers attest VALID, " +
                                                      std::to_string(anchor.peers_required) + " needed");
  }
  return PeerAgreement{seen.size(), anchor.peers_required};
}

core::Result<void> check_transactions_filter(const Block& block, std::uint32_t tx_index) {
  if (block.metadata.size() <= kMetadataTransactionsFilter) return core::ok();
  const core::ByteView filter = block.metadata[kMetadataTransactionsFilter];
  if (tx_index >= filter.size() || filter[tx_index] == kTxValid) return core::ok();
  return core::Error(reason::kValidationDisagreement, "the block's transactions filter says validation code " +
                                                          std::to_string(filter[tx_index]) + " for tx " +
                                                          std::to_string(tx_index));
}

core::Word32 gateway_word(std::string_view chaincode) {
  return core::Word32{core::keccak256(core::as_bytes(chaincode)).bytes};
}

core::Result<SentEvent> read_message_sent(const ChaincodeEvent& event, std::string_view chaincode,
                                          const EventPosition& at, const core::MessageLimits& limits) {
  CW_CHECK(check_origin(event, chaincode, kMessageSentEvent));
  auto message = core::decode_message_sent_data(event.payload, limits);
  if (!message) return core::Error(verify::reason::kBadEventData, std::move(message).error().message());
  const core::MessageId id = core::message_id(*message);
  const core::Claim claim = core::claim_hash(id, at.block_hash, at.block_number, at.tx_index, at.event_index);
  return SentEvent{std::move(message).value(), id, claim};
}

core::Result<ExecutedEvent> read_message_executed(const ChaincodeEvent& event, std::string_view chaincode,
                                                  const EventPosition& at) {
  CW_CHECK(check_origin(event, chaincode, kMessageExecutedEvent));
  // Three static words, then the EVM data (uint8 status, bytes32 claim), also static.
  constexpr std::size_t kTopicBytes = 3 * 32;
  if (event.payload.size() != kTopicBytes + 64) {
    return core::Error(verify::reason::kBadEventData,
                       std::to_string(event.payload.size()) + " bytes, abi.encode(id, srcChain, sequence, status, "
                                                              "claim) is 160");
  }
  auto outcome = core::decode_outcome_data(event.payload.subspan(kTopicBytes));
  if (!outcome) return core::Error(verify::reason::kBadEventData, std::move(outcome).error().message());
  auto word = [&](std::size_t i) {
    core::Hash32 out;
    std::copy_n(event.payload.begin() + static_cast<std::ptrdiff_t>(32 * i), 32, out.bytes.begin());
    return out;
  };
  CW_TRY(const std::uint64_t sequence, topic_uint64(word(2)));
  ExecutedEvent out;
  out.id = core::MessageId{word(0).bytes};
  out.src_chain = core::ChainIdentity{word(1).bytes};
  out.sequence = core::Sequence{sequence};
  out.outcome = *outcome;
  out.claim = core::claim_hash(out.id, at.block_hash, at.block_number, at.tx_index, at.event_index);
  return out;
}

}  // namespace causeway::verify::fabric
