// Derived Fabric blocks for the tests: protobuf fields by hand, throwaway P-256 signers with
// self-signed certificates, blocks signed as Raft or SmartBFT orderers sign them, and a whole
// Causeway channel (FabricWorld) whose gateway chaincode emitted a MessageSent or MessageExecuted,
// endorsed, ordered and attested by its peers, built with one field changed where a test asks.
// The fixture blocks of ../shared/vectors/fabric carry no chaincode event, hence these.
#pragma once

#include <catch2/catch.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "relay/core/abi.hpp"
#include "relay/core/hash.hpp"
#include "relay/core/message.hpp"
#include "relay/core/protocol.hpp"
#include "relay/core/signature.hpp"
#include "relay/verify/bundle.hpp"
#include "relay/verify/fabric_block.hpp"
#include "relay/verify/fabric_bundle.hpp"
#include "relay/verify/trust_anchors.hpp"
#include "tests/support/fixed_values.hpp"
#include "tests/support/vectors.hpp"

namespace causeway::test::fabric_fixtures {

using causeway::test::hex;
namespace fabric = causeway::verify::fabric;

// A protobuf length-delimited field, for building messages by hand.
inline core::Bytes ld(std::uint32_t number, core::ByteView payload) {
  core::Bytes out;
  for (std::uint64_t v : {static_cast<std::uint64_t>(number) << 3 | 2, static_cast<std::uint64_t>(payload.size())}) {
    while (v >= 0x80) {
      out.push_back(static_cast<std::uint8_t>(v | 0x80));
      v >>= 7;
    }
    out.push_back(static_cast<std::uint8_t>(v));
  }
  core::append(out, payload);
  return out;
}
inline core::Bytes ld(std::uint32_t number, std::string_view text) { return ld(number, core::as_bytes(text)); }

inline core::Bytes varint_field(std::uint32_t number, std::uint64_t value) {
  core::Bytes out;
  for (std::uint64_t v : {static_cast<std::uint64_t>(number) << 3, value}) {
    while (v >= 0x80) {
      out.push_back(static_cast<std::uint8_t>(v | 0x80));
      v >>= 7;
    }
    out.push_back(static_cast<std::uint8_t>(v));
  }
  return out;
}

// n - s on P-256: the other valid s of an ECDSA signature.
inline void negate_s(core::EcdsaSignature& sig) {
  const core::Bytes n = hex("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
  int borrow = 0;
  for (int i = 31; i >= 0; --i) {
    const auto at = static_cast<std::size_t>(i);
    const int d = n[at] - sig.s[at] - borrow;
    sig.s[at] = static_cast<std::uint8_t>(d & 0xff);
    borrow = d < 0 ? 1 : 0;
  }
}

// A throwaway P-256 key with a self-signed certificate, for blocks no fixture has.
class TestSigner {
 public:
  explicit TestSigner(const std::string& name) : key_(EVP_EC_gen("P-256")) {
    REQUIRE(key_);
    std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), &X509_free);
    REQUIRE(X509_set_version(cert.get(), 2) == 1);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(cert.get()), "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(name.c_str()), -1, -1, 0);
    X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get()));
    REQUIRE(X509_set_pubkey(cert.get(), key_.get()) == 1);
    REQUIRE(X509_sign(cert.get(), key_.get(), EVP_sha256()) > 0);
    const int length = i2d_X509(cert.get(), nullptr);
    REQUIRE(length > 0);
    certificate_.resize(static_cast<std::size_t>(length));
    unsigned char* out = certificate_.data();
    i2d_X509(cert.get(), &out);
    // Fabric identities (SerializedIdentity.id_bytes) and the trust anchors carry PEM.
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
    REQUIRE(PEM_write_bio_X509(bio.get(), cert.get()) == 1);
    char* text = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &text);
    pem_.assign(text, text + size);
  }
  const core::Bytes& certificate() const { return certificate_; }
  const core::Bytes& pem() const { return pem_; }
  // ECDSA over SHA-256(message), normalised to low-S as Fabric's BCCSP signs.
  core::Bytes sign(core::ByteView message) const {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    REQUIRE(EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_.get()) == 1);
    std::size_t length = 0;
    REQUIRE(EVP_DigestSign(ctx.get(), nullptr, &length, message.data(), message.size()) == 1);
    core::Bytes der(length);
    REQUIRE(EVP_DigestSign(ctx.get(), der.data(), &length, message.data(), message.size()) == 1);
    der.resize(length);
    auto sig = core::parse_ecdsa_signature(der, core::SignatureEncoding::kDer);
    REQUIRE(sig.ok());
    if (sig->s[0] >= 0x80) negate_s(*sig);
    return core::encode_der(*sig);
  }
  // SerializedIdentity{1 mspid, 2 id_bytes = PEM}: what Fabric puts in creator and endorser.
  core::Bytes identity(std::string_view msp_id) const {
    core::Bytes out = ld(1, msp_id);
    core::append(out, ld(2, pem_));
    return out;
  }

 private:
  struct KeyFree {
    void operator()(EVP_PKEY* key) const noexcept { EVP_PKEY_free(key); }
  };
  std::unique_ptr<EVP_PKEY, KeyFree> key_;
  core::Bytes certificate_;
  core::Bytes pem_;
};

// A block of the given envelopes whose metadata[SIGNATURES] holds the given signatures (built
// from the header and a signed-bytes prefix). The header views this object: do not copy it.
struct BuiltBlock {
  fabric::BlockHeader header;
  std::vector<core::Bytes> envelopes;
  core::Bytes value = hex("0a00");
  core::Bytes data_hash;
  core::Bytes previous_hash = core::Bytes(32, 0x42);
  core::Bytes transactions_filter;  // metadata[TRANSACTIONS_FILTER], empty unless set

  explicit BuiltBlock(std::vector<core::Bytes> envelopes_in = {hex("0a0474782d31")}, std::uint64_t number = 9)
      : envelopes(std::move(envelopes_in)) {
    std::vector<core::ByteView> views(envelopes.begin(), envelopes.end());
    const core::Hash32 digest = fabric::data_hash(views);
    data_hash.assign(digest.bytes.begin(), digest.bytes.end());
    header = {number, previous_hash, data_hash};
  }
  BuiltBlock(const BuiltBlock&) = delete;
  BuiltBlock& operator=(const BuiltBlock&) = delete;

  core::Bytes encode(const std::vector<core::Bytes>& signatures) const {
    core::Bytes header_bytes = varint_field(1, header.number);
    core::append(header_bytes, ld(2, previous_hash));
    core::append(header_bytes, ld(3, data_hash));
    core::Bytes metadata0 = ld(1, value);
    for (const core::Bytes& sig : signatures) core::append(metadata0, ld(2, sig));
    core::Bytes metadata = ld(1, metadata0);
    core::append(metadata, ld(1, core::Bytes{}));
    core::append(metadata, ld(1, transactions_filter));
    for (int i = 0; i < 2; ++i) core::append(metadata, ld(1, core::Bytes{}));
    core::Bytes data;
    for (const core::Bytes& envelope : envelopes) core::append(data, ld(1, envelope));
    core::Bytes block = ld(1, header_bytes);
    core::append(block, ld(2, data));
    core::append(block, ld(3, metadata));
    return block;
  }
  // MetadataSignature for SmartBFT: IdentifierHeader{identifier, nonce}, signature_header empty.
  core::Bytes bft_signature(const TestSigner& signer, std::uint64_t id) const {
    core::Bytes identifier = varint_field(1, id);
    core::append(identifier, ld(2, std::string_view("nonce")));
    core::Bytes signed_bytes = value;
    core::append(signed_bytes, identifier);
    core::append(signed_bytes, fabric::header_der(header));
    core::Bytes out = ld(2, signer.sign(signed_bytes));
    core::append(out, ld(3, identifier));
    return out;
  }
  // MetadataSignature for Raft/solo: SignatureHeader{creator = SerializedIdentity, nonce}.
  core::Bytes raft_signature(const TestSigner& signer, std::string_view msp_id) const {
    core::Bytes identity = ld(1, msp_id);
    core::append(identity, ld(2, signer.certificate()));
    core::Bytes signature_header = ld(1, identity);
    core::append(signature_header, ld(2, std::string_view("nonce")));
    core::Bytes signed_bytes = value;
    core::append(signed_bytes, signature_header);
    core::append(signed_bytes, fabric::header_der(header));
    core::Bytes out = ld(1, signature_header);
    core::append(out, ld(2, signer.sign(signed_bytes)));
    return out;
  }
};

// One endorser transaction, signed by `creator`: its single action by `chaincode` set `event`
// (when given) and is endorsed by `endorsers`.
struct EndorsedTx {
  core::Bytes envelope;
  std::string tx_id;
};
struct EventSpec {
  std::string chaincode;
  std::string name;
  core::Bytes payload;
};
struct Endorser {
  const TestSigner* signer;
  std::string msp_id;
  bool corrupt = false;  // sign, then flip a byte of the signature
};
inline EndorsedTx endorsed_tx(const std::string& channel, const TestSigner& creator, std::string_view creator_msp,
                              const std::string& chaincode, std::int32_t status, const std::optional<EventSpec>& event,
                              const std::vector<Endorser>& endorsers, std::string_view nonce) {
  const core::Bytes creator_id = creator.identity(creator_msp);
  core::Bytes signature_header = ld(1, creator_id);
  core::append(signature_header, ld(2, nonce));
  EndorsedTx out;
  out.tx_id = core::to_hex(core::sha256({core::as_bytes(nonce), creator_id}).view(), false);
  core::Bytes chaincode_action = ld(1, std::string_view("rwset"));
  if (event) {
    core::Bytes e = ld(1, event->chaincode);
    core::append(e, ld(2, out.tx_id));
    core::append(e, ld(3, event->name));
    core::append(e, ld(4, event->payload));
    core::append(chaincode_action, ld(2, e));
  }
  core::append(chaincode_action, ld(3, varint_field(1, static_cast<std::uint64_t>(status))));
  core::Bytes chaincode_id = ld(2, chaincode);
  core::append(chaincode_id, ld(3, std::string_view("1.0")));
  core::append(chaincode_action, ld(4, chaincode_id));
  core::Bytes prp = ld(1, core::Bytes(32, 0x07));  // proposal_hash
  core::append(prp, ld(2, chaincode_action));
  core::Bytes endorsed = ld(1, prp);
  for (const Endorser& e : endorsers) {
    const core::Bytes endorser_id = e.signer->identity(e.msp_id);
    core::Bytes signed_bytes = prp;
    core::append(signed_bytes, endorser_id);
    core::Bytes signature = e.signer->sign(signed_bytes);
    if (e.corrupt) signature[signature.size() - 2] ^= 0x01;
    core::Bytes endorsement = ld(1, endorser_id);
    core::append(endorsement, ld(2, signature));
    core::append(endorsed, ld(2, endorsement));
  }
  core::Bytes action_payload = ld(1, std::string_view("proposal"));
  core::append(action_payload, ld(2, endorsed));
  core::Bytes action = ld(1, signature_header);
  core::append(action, ld(2, action_payload));
  core::Bytes channel_header = varint_field(1, fabric::kHeaderTypeEndorserTransaction);
  core::append(channel_header, ld(4, channel));
  core::append(channel_header, ld(5, out.tx_id));
  core::Bytes header = ld(1, channel_header);
  core::append(header, ld(2, signature_header));
  core::Bytes payload = ld(1, header);
  core::append(payload, ld(2, ld(1, action)));
  out.envelope = ld(1, payload);
  core::append(out.envelope, ld(2, creator.sign(payload)));
  return out;
}

// What FabricWorld::build changes: one field at a time (outside the class, so that its default
// member initializers are complete where build's default argument needs them).
struct FabricWorldOptions {
  verify::BundleKind kind = verify::BundleKind::kMessage;
  std::string event_chaincode = "causeway";   // ChaincodeEvent.chaincode_id
  std::string action_chaincode = "causeway";  // ChaincodeAction.chaincode_id.name
  std::optional<std::string> event_name;      // default MessageSent / MessageExecuted
  std::optional<core::Bytes> payload;         // default: the message's event payload
  bool with_event = true;
  bool corrupt_endorsement = false;  // Org2's endorsement signature broken
  bool org2_endorses = true;
  bool orderer_signs = true;
  std::string tx_channel = "causeway-channel";  // the envelope's channel id
  core::Bytes transactions_filter = {0, 0};
};

// The channel, its keys and the gateway's messages. Options change one thing each; build() then
// signs everything consistently, so that only the rule under test can fail.
class FabricWorld {
 public:
  using Options = FabricWorldOptions;

  static constexpr std::string_view kChannel = "causeway-channel";
  static constexpr std::string_view kChaincode = "causeway";

  FabricWorld()
      : orderer_("orderer0"), org1_("peer0.org1"), org2_("peer0.org2"), client_("client.org1"), peer_a_("peer1.org1"),
        peer_b_("peer1.org2"), peer_c_("peer1.org3") {}

  core::Hash32 genesis_hash() const { return filled<core::Hash32>(0x3c); }
  core::ChainIdentity identity() const {
    return core::chain_identity(core::ChainFamily::kFabric, core::named_chain_key(kChannel), genesis_hash());
  }

  // Sent on the Fabric channel (kind message), or executed on it (kind execution).
  core::Message message(verify::BundleKind kind) const {
    core::Message m;
    const core::ChainIdentity other = filled<core::ChainIdentity>(0x0a);
    const core::Word32 gateway = fabric::gateway_word(kChaincode);
    const bool sent_here = kind == verify::BundleKind::kMessage;
    m.src_chain = sent_here ? identity() : other;
    m.src_gateway = sent_here ? gateway : filled<core::Word32>(0x0b);
    m.dst_chain = sent_here ? other : identity();
    m.dst_gateway = sent_here ? filled<core::Word32>(0x0b) : gateway;
    m.receiver = filled<core::Word32>(0x0c);
    m.sequence = core::Sequence{7};
    m.sender = filled<core::Word32>(0x0d);
    m.gas_limit = 200000;
    m.payload = {0xca, 0xfe};
    return m;
  }

  // MessageSent: abi.encode(bytes message), the EVM log data. MessageExecuted: abi.encode(id,
  // srcChain, sequence, status, claim), the EVM topics then the EVM log data.
  static core::Bytes event_payload(const core::Message& m, verify::BundleKind kind) {
    if (kind == verify::BundleKind::kMessage) return core::abi::encode({core::abi::bytes(core::encode_message(m))});
    return core::abi::encode({core::abi::word(core::message_id(m)), core::abi::word(m.src_chain),
                              core::abi::uint(m.sequence.value), core::abi::uint(1),
                              core::abi::word(filled<core::Claim>(0x44))});
  }

  verify::TrustAnchors anchors() const {
    verify::ChainAnchor chain;
    chain.name = "fabric-causeway";
    chain.family = core::ChainFamily::kFabric;
    chain.genesis_hash = genesis_hash();
    chain.chain_identity = identity();
    chain.limits.max_payload = 4096;
    fabric::FabricAnchor& f = chain.fabric;
    f.channel = std::string(kChannel);
    f.orderers = {fabric::BlockValidation::kAnyWriter, {{"OrdererMSP", orderer_.pem()}}, {}};
    f.chaincode = std::string(kChaincode);
    f.endorsement = {2, {{"Org1MSP", org1_.pem()}, {"Org2MSP", org2_.pem()}}};
    f.peers = {{"peer1.org1", {"Org1MSP", peer_a_.pem()}},
               {"peer1.org2", {"Org2MSP", peer_b_.pem()}},
               {"peer1.org3", {"Org3MSP", peer_c_.pem()}}};
    f.peers_required = 2;
    verify::TrustAnchors out;
    out.chains.push_back(std::move(chain));
    return out;
  }

  // Envelope 0 is another chaincode's transaction; the gateway's is envelope 1, its event in action 0.
  verify::Bundle build(const Options& o = {}) const {
    const core::Message m = message(o.kind);
    std::optional<EventSpec> event;
    if (o.with_event) {
      const bool sent = o.kind == verify::BundleKind::kMessage;
      event = EventSpec{o.event_chaincode,
                        o.event_name.value_or(std::string(sent ? fabric::kMessageSentEvent : fabric::kMessageExecutedEvent)),
                        o.payload.value_or(event_payload(m, o.kind))};
    }
    std::vector<Endorser> endorsers{{&org1_, "Org1MSP", false}};
    if (o.org2_endorses) endorsers.push_back({&org2_, "Org2MSP", o.corrupt_endorsement});
    const EndorsedTx other = endorsed_tx(std::string(kChannel), client_, "Org1MSP", "marbles", 200, std::nullopt,
                                         {{&org1_, "Org1MSP", false}}, "nonce-0");
    const EndorsedTx gateway_tx =
        endorsed_tx(o.tx_channel, client_, "Org1MSP", o.action_chaincode, 200, event, endorsers, "nonce-1");
    BuiltBlock block({other.envelope, gateway_tx.envelope}, 12);
    block.transactions_filter = o.transactions_filter;
    std::vector<core::Bytes> signatures;
    if (o.orderer_signs) signatures.push_back(block.raft_signature(orderer_, "OrdererMSP"));
    verify::Bundle b;
    b.family = core::ChainFamily::kFabric;
    b.kind = o.kind;
    b.message = m;
    b.source.chain_identity = identity();
    b.source.block_number = block.header.number;
    b.source.block_hash = fabric::block_hash(block.header);
    b.source.block = block.encode(signatures);
    b.fabric_inclusion.channel = std::string(kChannel);
    b.fabric_inclusion.tx_index = 1;
    b.fabric_inclusion.tx_id = gateway_tx.tx_id;
    b.fabric_inclusion.event_index = 0;
    b.fabric_inclusion.attestations = {attest(peer_a_, "peer1.org1", b, fabric::kTxValid),
                                       attest(peer_b_, "peer1.org2", b, fabric::kTxValid)};
    const core::MessageId id = core::message_id(m);
    b.claim = core::claim_hash(id, b.source.block_hash, b.source.block_number, 1, 0);
    return b;
  }

  // `signer`'s attestation, named `peer`, of `code` for the bundle's transaction.
  static fabric::PeerAttestation attest(const TestSigner& signer, const std::string& peer, const verify::Bundle& b,
                                        std::uint8_t code) {
    const core::Bytes preimage = fabric::validation_preimage(b.fabric_inclusion.channel, b.source.block_number,
                                                             b.source.block_hash, b.fabric_inclusion.tx_id, code);
    return {peer, code, signer.sign(preimage)};
  }
  const TestSigner& peer_c() const { return peer_c_; }
  const TestSigner& peer_a() const { return peer_a_; }
  const TestSigner& stranger() const { return client_; }

 private:
  TestSigner orderer_, org1_, org2_, client_, peer_a_, peer_b_, peer_c_;
};

}  // namespace causeway::test::fabric_fixtures
