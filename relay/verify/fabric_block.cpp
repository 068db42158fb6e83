// Fabric block decoding and verification. Field numbers are those of fabric-protos
// (github.com/hyperledger/fabric-protos): common/common.proto, msp/identities.proto,
// peer/transaction.proto, peer/proposal_response.proto, peer/proposal.proto,
// peer/chaincode.proto and peer/chaincode_event.proto.
#include "relay/verify/fabric_block.hpp"

#include <algorithm>
#include <memory>
#include <set>
#include <utility>

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "relay/core/hash.hpp"
#include "relay/core/signature.hpp"
#include "relay/verify/protobuf_wire.hpp"

namespace causeway::verify::fabric {
namespace {

using protobuf::Field;
using protobuf::Reader;

// Runs `on_field` on every field of the message; unknown fields are the callback's to ignore.
template <typename OnField>
core::Result<void> each_field(Reader reader, OnField&& on_field) {
  while (!reader.done()) {
    CW_TRY(const Field field, reader.next());
    CW_CHECK(on_field(field));
  }
  return core::ok();
}

// A singular field seen twice would be merged or overwritten by protobuf; one signed byte string
// must mean one thing, so it is refused. Field numbers here are all below 32.
core::Result<void> once(std::uint32_t& seen, const Field& field, std::string_view message) {
  const std::uint32_t bit = field.number < 32 ? (1u << field.number) : 0u;
  if ((seen & bit) != 0) {
    return core::Error(reason::kDuplicateField, std::string(message) + " field " + std::to_string(field.number));
  }
  seen |= bit;
  return core::ok();
}

std::string as_string(core::ByteView bytes) { return std::string(bytes.begin(), bytes.end()); }

// msp.SerializedIdentity{1 mspid, 2 id_bytes}.
struct SerializedIdentity {
  std::string msp_id;
  core::ByteView id_bytes;
};

core::Result<SerializedIdentity> decode_identity(Reader reader) {
  SerializedIdentity out;
  std::uint32_t seen = 0;
  if (auto fields = each_field(reader, [&](const Field& f) -> core::Result<void> {
    if (f.number != 1 && f.number != 2) return core::ok();
    CW_CHECK(once(seen, f, "SerializedIdentity"));
    CW_TRY(const core::ByteView bytes, protobuf::as_bytes(f));
    if (f.number == 1) out.msp_id = as_string(bytes);
    else out.id_bytes = bytes;
    return core::ok();
  }); !fields.ok()) {
    return std::move(fields).error();
  }
  return out;
}

// A repeated bytes field (BlockData.data, BlockMetadata.metadata).
core::Result<std::vector<core::ByteView>> decode_repeated_bytes(Reader reader) {
  std::vector<core::ByteView> out;
  if (auto fields = each_field(reader, [&](const Field& f) -> core::Result<void> {
    if (f.number != 1) return core::ok();
    CW_TRY(const core::ByteView bytes, protobuf::as_bytes(f));
    out.push_back(bytes);
    return core::ok();
  }); !fields.ok()) {
    return std::move(fields).error();
  }
  return out;
}

// common.BlockHeader{1 number, 2 previous_hash, 3 data_hash}.
core::Result<BlockHeader> decode_header(Reader reader) {
  BlockHeader out;
  std::uint32_t seen = 0;
  if (auto fields = each_field(reader, [&](const Field& f) -> core::Result<void> {
    if (f.number < 1 || f.number > 3) return core::ok();
    CW_CHECK(once(seen, f, "BlockHeader"));
    if (f.number == 1) {
      CW_TRY(out.number, protobuf::as_varint(f));
    } else if (f.number == 2) {
      CW_TRY(out.previous_hash, protobuf::as_bytes(f));
    } else {
      CW_TRY(out.data_hash, protobuf::as_bytes(f));
    }
    return core::ok();
  }); !fields.ok()) {
    return std::move(fields).error();
  }
  return out;
}

void append_der_length(core::Bytes& out, std::size_t length) {
  if (length < 0x80) {
    out.push_back(static_cast<std::uint8_t>(length));
    return;
  }
  core::Bytes digits;
  for (std::size_t rest = length; rest != 0; rest >>= 8) digits.insert(digits.begin(), static_cast<std::uint8_t>(rest));
  out.push_back(static_cast<std::uint8_t>(0x80 | digits.size()));
  core::append(out, digits);
}

void append_der(core::Bytes& out, std::uint8_t tag, core::ByteView content) {
  out.push_back(tag);
  append_der_length(out, content.size());
  core::append(out, content);
}

// OpenSSL handles, owned.
struct BioFree {
  void operator()(BIO* bio) const noexcept { BIO_free(bio); }
};
struct X509Free {
  void operator()(X509* cert) const noexcept { X509_free(cert); }
};

}  // namespace

core::Result<core::Bytes> certificate_der(core::ByteView certificate) {
  std::unique_ptr<X509, X509Free> cert;
  constexpr std::string_view kPem = "-----BEGIN";
  if (certificate.size() >= kPem.size() && std::equal(kPem.begin(), kPem.end(), certificate.begin())) {
    std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(certificate.data(), static_cast<int>(certificate.size())));
    if (bio) cert.reset(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  } else {
    const unsigned char* cursor = certificate.data();
    cert.reset(d2i_X509(nullptr, &cursor, static_cast<long>(certificate.size())));
    if (cert && cursor != certificate.data() + certificate.size()) cert.reset();
  }
  if (!cert) return core::Error(reason::kBadCertificate, "not an X.509 certificate");
  const int length = i2d_X509(cert.get(), nullptr);
  if (length <= 0) return core::Error(reason::kBadCertificate, "cannot re-encode");
  core::Bytes der(static_cast<std::size_t>(length));
  unsigned char* out = der.data();
  i2d_X509(cert.get(), &out);
  return der;
}

namespace {

// A pinned identity made ready for matching and verifying.
struct PinnedKey {
  std::string msp_id;
  core::Bytes der;
  core::P256PublicKey key;
};

core::Result<PinnedKey> pin(const Identity& identity) {
  CW_TRY(core::Bytes der, certificate_der(identity.certificate));
  auto key = core::P256PublicKey::from_certificate(identity.certificate);
  if (!key) return std::move(key).error().with_context("pinned identity " + identity.msp_id);
  return PinnedKey{identity.msp_id, std::move(der), std::move(key).value()};
}

// The pinned entry whose MSP id and certificate equal the presented ones, or null.
const PinnedKey* find_pinned(const std::vector<PinnedKey>& pinned, std::string_view msp_id,
                             core::ByteView certificate) {
  auto der = certificate_der(certificate);
  if (!der) return nullptr;  // an unparsable certificate cannot be a pinned one
  for (const PinnedKey& p : pinned) {
    if (p.msp_id == msp_id && p.der == *der) return &p;
  }
  return nullptr;
}

core::Result<void> verify_low_s(core::ByteView message, core::ByteView signature, const PinnedKey& key) {
  return core::verify_p256(message, signature, core::SignatureEncoding::kDer, key.key, core::HighS::kReject);
}

// common.MetadataSignature{1 signature_header, 2 signature, 3 identifier_header}.
struct MetadataSignature {
  core::ByteView signature_header;
  core::ByteView signature;
  core::ByteView identifier_header;
};

// common.Metadata{1 value, 2 signatures}.
struct SignedMetadata {
  core::ByteView value;
  std::vector<MetadataSignature> signatures;
};

core::Result<SignedMetadata> decode_signed_metadata(core::ByteView bytes) {
  SignedMetadata out;
  std::uint32_t seen = 0;
  if (auto fields = each_field(Reader(bytes), [&](const Field& f) -> core::Result<void> {
    if (f.number == 1) {
      CW_CHECK(once(seen, f, "Metadata"));
      CW_TRY(out.value, protobuf::as_bytes(f));
    } else if (f.number == 2) {
      CW_TRY(const Reader sig_reader, Reader(bytes).nested(f));
      MetadataSignature sig;
      std::uint32_t sig_seen = 0;
      if (auto signature_fields = each_field(sig_reader, [&](const Field& g) -> core::Result<void> {
        if (g.number < 1 || g.number > 3) return core::ok();
        CW_CHECK(once(sig_seen, g, "MetadataSignature"));
        CW_TRY(const core::ByteView b, protobuf::as_bytes(g));
        (g.number == 1 ? sig.signature_header : g.number == 2 ? sig.signature : sig.identifier_header) = b;
        return core::ok();
      }); !signature_fields.ok()) {
        return std::move(signature_fields).error();
      }
      out.signatures.push_back(sig);
    }
    return core::ok();
  }); !fields.ok()) {
    return std::move(fields).error();
  }
  return out;
}

// common.SignatureHeader{1 creator, 2 nonce}.
struct SignatureHeader {
  core::ByteView creator;
  core::ByteView nonce;
};

core::Result<SignatureHeader> decode_signature_header(Reader reader) {
  SignatureHeader out;
  std::uint32_t seen = 0;
  if (auto fields = each_field(reader, [&](const Field& f) -> core::Result<void> {
    if (f.number != 1 && f.number != 2) return core::ok();
    CW_CHECK(once(seen, f, "SignatureHeader"));
    CW_TRY(const core::ByteView b, protobuf::as_bytes(f));
    (f.number == 1 ? out.creator : out.nonce) = b;
    return core::ok();
  }); !fields.ok()) {
    return std::move(fields).error();
  }
  return out;
}

// common.IdentifierHeader{1 identifier (uint32), 2 nonce}: the BFT consenter id.
core::Result<std::uint32_t> decode_identifier(core::ByteView bytes) {
  std::optional<std::uint64_t> id;
  if (auto fields = each_field(Reader(bytes), [&](const Field& f) -> core::Result<void> {
    if (f.number != 1) return core::ok();
    if (id) return core::Error(reason::kDuplicateField, "IdentifierHeader field 1");
    CW_TRY(id, protobuf::as_varint(f));
    return core::ok();
  }); !fields.ok()) {
    return std::move(fields).error();
  }
  // proto3 omits a zero identifier; ids above 2^32-1 are not uint32.
  const std::uint64_t value = id.value_or(0);
  if (value > 0xffffffffu) return core::Error(reason::kBadConsenterId, std::to_string(value));
  return static_cast<std::uint32_t>(value);
}

// peer.ChaincodeEvent{1 chaincode_id, 2 tx_id, 3 event_name, 4 payload}.
core::Result<ChaincodeEvent> decode_event(Reader reader) {
  ChaincodeEvent out;
  std::uint32_t seen = 0;
  if (auto fields = each_field(reader, [&](const Field& f) -> core::Result<void> {
    if (f.number < 1 || f.number > 4) return core::ok();
    CW_CHECK(once(seen, f, "ChaincodeEvent"));
    CW_TRY(const core::ByteView b, protobuf::as_bytes(f));
    if (f.number == 1) out.chaincode_id = as_string(b);
    else if (f.number == 2) out.tx_id = as_string(b);
    else if (f.number == 3) out.event_name = as_string(b);
    else out.payload = b;
    return core::ok();
  }); !fields.ok()) {
    return std::move(fields).error();
  }
  return out;
}

// peer.ChaincodeAction{1 results, 2 events, 3 response: Response{1 status}, 4 chaincode_id:
// ChaincodeID{1 path, 2 name, 3 version}}, the extension of ProposalResponsePayload{1
// proposal_hash, 2 extension}.
core::Result<void> decode_proposal_response(Reader reader, Action& action) {
  std::uint32_t seen = 0;
  std::optional<Reader> extension;
  if (auto fields = each_field(reader, [&](const Field& f) -> core::Result<void> {
    if (f.number != 1 && f.number != 2) return core::ok();
    CW_CHECK(once(seen, f, "ProposalResponsePayload"));
    if (f.number == 2) {
      CW_TRY(extension, reader.nested(f));
    } else {
      CW_CHECK(protobuf::as_bytes(f));
    }
    return core::ok();
  }); !fields.ok()) {
    return std::move(fields).error();
  }
  if (!extension) return core::Error(reason::kMissingField, "ProposalResponsePayload.extension");
  std::uint32_t action_seen = 0;
  return each_field(*extension, [&](const Field& f) -> core::Result<void> {
    if (f.number < 1 || f.number > 4) return core::ok();
    CW_CHECK(once(action_seen, f, "ChaincodeAction"));
    if (f.number == 1) {
      CW_CHECK(protobuf::as_bytes(f));
      return core::ok();
    }
    CW_TRY(const Reader inner, extension->nested(f));
    if (f.number == 2) {
      if (f.bytes.empty()) return core::ok();
      CW_TRY(action.event, decode_event(inner));
      return core::ok();
    }
    std::uint32_t inner_seen = 0;
    const bool response = f.number == 3;
    return each_field(inner, [&](const Field& g) -> core::Result<void> {
      if (response) {
        if (g.number != 1) return core::ok();
        CW_CHECK(once(inner_seen, g, "Response"));
        CW_TRY(const std::uint64_t status, protobuf::as_varint(g));
        // int32 on the wire is sign-extended to 64 bits; the low 32 bits are the value.
        action.response_status = static_cast<std::int32_t>(static_cast<std::uint32_t>(status));
        return core::ok();
      }
      if (g.number < 1 || g.number > 3) return core::ok();
      CW_CHECK(once(inner_seen, g, "ChaincodeID"));
      CW_TRY(const core::ByteView b, protobuf::as_bytes(g));
      if (g.number == 2) action.chaincode_name = as_string(b);
      else if (g.number == 3) action.chaincode_version = as_string(b);
      return core::ok();
    });
  });
}

// peer.Endorsement{1 endorser, 2 signature}.
core::Result<Endorsement> decode_endorsement(Reader reader) {
  Endorsement out;
  std::uint32_t seen = 0;
  std::optional<Reader> endorser;
  if (auto fields = each_field(reader, [&](const Field& f) -> core::Result<void> {
    if (f.number != 1 && f.number != 2) return core::ok();
    CW_CHECK(once(seen, f, "Endorsement"));
    if (f.number == 1) {
      out.endorser = f.bytes;
      CW_TRY(endorser, reader.nested(f));
    } else {
      CW_TRY(out.signature, protobuf::as_bytes(f));
    }
    return core::ok();
  }); !fields.ok()) {
    return std::move(fields).error();
  }
  if (!endorser) return core::Error(reason::kMissingField, "Endorsement.endorser");
  CW_TRY(const SerializedIdentity identity, decode_identity(*endorser));
  out.msp_id = identity.msp_id;
  out.certificate = identity.id_bytes;
  return out;
}

// peer.TransactionAction{1 header, 2 payload: ChaincodeActionPayload{1 chaincode_proposal_payload,
// 2 action: ChaincodeEndorsedAction{1 proposal_response_payload, 2 endorsements}}}.
core::Result<Action> decode_action(Reader reader) {
  Action out;
  std::optional<Reader> payload;
  std::uint32_t seen = 0;
  if (auto fields = each_field(reader, [&](const Field& f) -> core::Result<void> {
    if (f.number != 1 && f.number != 2) return core::ok();
    CW_CHECK(once(seen, f, "TransactionAction"));
    if (f.number == 2) {
      CW_TRY(payload, reader.nested(f));
    } else {
      CW_CHECK(protobuf::as_bytes(f));
    }
    return core::ok();
  }); !fields.ok()) {
    return std::move(fields).error();
  }
  if (!payload) return core::Error(reason::kMissingField, "TransactionAction.payload");
  std::optional<Reader> endorsed;
  std::uint32_t payload_seen = 0;
  if (auto fields = each_field(*payload, [&](const Field& f) -> core::Result<void> {
    if (f.number != 1 && f.number != 2) return core::ok();
    CW_CHECK(once(payload_seen, f, "ChaincodeActionPayload"));
    if (f.number == 2) {
      CW_TRY(endorsed, payload->nested(f));
    } else {
      CW_CHECK(protobuf::as_bytes(f));
    }
    return core::ok();
  }); !fields.ok()) {
    return std::move(fields).error();
  }
  if (!endorsed) return core::Error(reason::kMissingField, "ChaincodeActionPayload.action");
  std::optional<Reader> response;
  std::uint32_t endorsed_seen = 0;
  if (auto fields = each_field(*endorsed, [&](const Field& f) -> core::Result<void> {
    if (f.number == 1) {
      CW_CHECK(once(endorsed_seen, f, "ChaincodeEndorsedAction"));
      out.proposal_response_payload = f.bytes;
      CW_TRY(response, endorsed->nested(f));
    } else if (f.number == 2) {
      CW_TRY(const Reader e, endorsed->nested(f));
      CW_TRY(Endorsement endorsement, decode_endorsement(e));
      out.endorsements.push_back(std::move(endorsement));
    }
    return core::ok();
  }); !fields.ok()) {
    return std::move(fields).error();
  }
  if (!response) return core::Error(reason::kMissingField, "ChaincodeEndorsedAction.proposal_response_payload");
  CW_CHECK(decode_proposal_response(*response, out));
  return out;
}

core::Result<void> check_consumed(core::ByteView rest, std::string_view what) {
  if (!rest.empty()) return core::Error(reason::kBadBlockfile, std::string(what) + ": trailing bytes");
  return core::ok();
}

core::Result<core::ByteView> read_lp(core::ByteView& input) {
  CW_TRY(const std::uint64_t length, protobuf::read_varint(input));
  if (length > input.size()) return core::Error(protobuf::reason::kTruncated, "blockfile item");
  const core::ByteView item = input.first(static_cast<std::size_t>(length));
  input = input.subspan(static_cast<std::size_t>(length));
  return item;
}

// One blockfile entry: varint number ‖ lp(data_hash) ‖ lp(previous_hash) ‖ varint n ‖ n lp(env)
// ‖ varint m ‖ m lp(metadata) (serializeBlock in block_serialization.go).
core::Result<Block> decode_blockfile_entry(core::ByteView entry) {
  Block block;
  CW_TRY(block.header.number, protobuf::read_varint(entry));
  CW_TRY(block.header.data_hash, read_lp(entry));
  CW_TRY(block.header.previous_hash, read_lp(entry));
  for (std::vector<core::ByteView>* list : {&block.envelopes, &block.metadata}) {
    CW_TRY(const std::uint64_t count, protobuf::read_varint(entry));
    // Each item takes at least one byte: a larger count is a lie about the rest.
    if (count > entry.size()) return core::Error(protobuf::reason::kTruncated, "blockfile item count");
    for (std::uint64_t i = 0; i < count; ++i) {
      CW_TRY(const core::ByteView item, read_lp(entry));
      list->push_back(item);
    }
  }
  CW_CHECK(check_consumed(entry, "blockfile entry"));
  return block;
}

}  // namespace

core::Result<Block> decode_block(core::ByteView bytes) noexcept {
  const Reader top(bytes);
  Block block;
  std::uint32_t seen = 0;
  if (auto fields = each_field(top, [&](const Field& f) -> core::Result<void> {
    if (f.number < 1 || f.number > 3) return core::ok();
    CW_CHECK(once(seen, f, "Block"));
    CW_TRY(const Reader inner, top.nested(f));
    if (f.number == 1) {
      CW_TRY(block.header, decode_header(inner));
    } else if (f.number == 2) {
      CW_TRY(block.envelopes, decode_repeated_bytes(inner));
    } else {
      CW_TRY(block.metadata, decode_repeated_bytes(inner));
    }
    return core::ok();
  }); !fields.ok()) {
    return std::move(fields).error();
  }
  if ((seen & (1u << 1)) == 0) return core::Error(reason::kMissingField, "Block.header");
  return block;
}

core::Result<std::vector<Block>> decode_blockfile(core::ByteView file) noexcept {
  std::vector<Block> blocks;
  while (!file.empty()) {
    CW_TRY(const core::ByteView entry, read_lp(file));
    auto block = decode_blockfile_entry(entry);
    if (!block) return std::move(block).error().with_context("blockfile entry " + std::to_string(blocks.size()));
    blocks.push_back(std::move(block).value());
  }
  return blocks;
}

core::Bytes header_der(const BlockHeader& header) {
  // INTEGER: minimal two's complement, so a leading 0x00 when the top bit is set (0 is 02 01 00).
  core::Bytes number;
  for (std::uint64_t rest = header.number; rest != 0; rest >>= 8) {
    number.insert(number.begin(), static_cast<std::uint8_t>(rest));
  }
  if (number.empty() || (number.front() & 0x80) != 0) number.insert(number.begin(), 0);
  core::Bytes content;
  append_der(content, 0x02, number);
  append_der(content, 0x04, header.previous_hash);
  append_der(content, 0x04, header.data_hash);
  core::Bytes out;
  append_der(out, 0x30, content);
  return out;
}

core::Hash32 block_hash(const BlockHeader& header) { return core::sha256(header_der(header)); }

core::Hash32 data_hash(std::span<const core::ByteView> envelopes) {
  core::Bytes all;
  for (const core::ByteView envelope : envelopes) core::append(all, envelope);
  return core::sha256(all);
}

core::Result<void> check_data_hash(const Block& block) {
  const core::Hash32 computed = data_hash(block.envelopes);
  if (!std::ranges::equal(computed.view(), block.header.data_hash)) {
    return core::Error(reason::kDataHashMismatch, "block " + std::to_string(block.header.number) + " computed " +
                                                      core::to_hex(computed, false));
  }
  return core::ok();
}

core::Result<void> check_chain(const Block& parent, const Block& child) {
  if (child.header.number != parent.header.number + 1 ||
      !std::ranges::equal(block_hash(parent.header).view(), child.header.previous_hash)) {
    return core::Error(reason::kPreviousHashMismatch, "block " + std::to_string(child.header.number));
  }
  return core::ok();
}

core::Result<void> verify_orderer_signatures(const Block& block, const OrdererPolicy& policy) {
  if (block.metadata.size() <= kMetadataSignatures) {
    return core::Error(reason::kOrdererPolicyNotMet, "no signature metadata");
  }
  CW_TRY(const SignedMetadata metadata, decode_signed_metadata(block.metadata[kMetadataSignatures]));
  const bool bft = policy.rule == BlockValidation::kBftQuorum;
  std::vector<PinnedKey> pinned;
  std::vector<std::uint32_t> consenter_ids;
  if (bft) {
    for (const Consenter& consenter : policy.consenters) {
      CW_TRY(PinnedKey key, pin(consenter.identity));
      pinned.push_back(std::move(key));
      consenter_ids.push_back(consenter.id);
    }
  } else {
    for (const Identity& writer : policy.writers) {
      CW_TRY(PinnedKey key, pin(writer));
      pinned.push_back(std::move(key));
    }
  }
  const core::Bytes der = header_der(block.header);
  std::set<std::size_t> signers;  // indices into `pinned`
  for (const MetadataSignature& sig : metadata.signatures) {
    const PinnedKey* signer = nullptr;
    core::ByteView signed_header;
    if (bft) {
      // SmartBFT names the consenter by id and leaves signature_header empty.
      if (sig.identifier_header.empty()) continue;
      CW_TRY(const std::uint32_t id, decode_identifier(sig.identifier_header));
      const auto it = std::ranges::find(consenter_ids, id);
      if (it == consenter_ids.end()) continue;
      signer = &pinned[static_cast<std::size_t>(it - consenter_ids.begin())];
      signed_header = sig.identifier_header;
    } else {
      CW_TRY(const SignatureHeader header, decode_signature_header(Reader(sig.signature_header)));
      if (header.creator.empty()) continue;
      CW_TRY(const Reader creator, Reader(sig.signature_header).nested(header.creator));
      CW_TRY(const SerializedIdentity identity, decode_identity(creator));
      signer = find_pinned(pinned, identity.msp_id, identity.id_bytes);
      if (signer == nullptr) continue;
      signed_header = sig.signature_header;
    }
    core::Bytes message(metadata.value.begin(), metadata.value.end());
    core::append(message, signed_header);
    core::append(message, der);
    if (auto ok = verify_low_s(message, sig.signature, *signer); !ok) {
      return core::Error(reason::kBadOrdererSignature,
                         "block " + std::to_string(block.header.number) + " signer " + signer->msp_id + ": " +
                             ok.error().message());
    }
    if (!signers.insert(static_cast<std::size_t>(signer - pinned.data())).second) {
      return core::Error(reason::kDuplicateOrderer, "block " + std::to_string(block.header.number));
    }
  }
  std::size_t required = 1;
  if (bft) {
    // common/policies/bft.go: ceil((n + f + 1) / 2) with f = (n - 1) / 3.
    const std::size_t n = policy.consenters.size();
    const std::size_t f = n == 0 ? 0 : (n - 1) / 3;
    required = (n + f + 2) / 2;
  }
  if (pinned.empty() || signers.size() < required) {
    return core::Error(reason::kOrdererPolicyNotMet, "block " + std::to_string(block.header.number) + ": " +
                                                         std::to_string(signers.size()) + " of " +
                                                         std::to_string(required) + " signatures");
  }
  return core::ok();
}

core::Result<Transaction> decode_envelope(core::ByteView envelope) noexcept {
  Transaction tx;
  const Reader top(envelope);
  std::optional<Reader> payload;
  std::uint32_t seen = 0;
  if (auto fields = each_field(top, [&](const Field& f) -> core::Result<void> {
    if (f.number != 1 && f.number != 2) return core::ok();
    CW_CHECK(once(seen, f, "Envelope"));
    if (f.number == 1) {
      tx.payload = f.bytes;
      CW_TRY(payload, top.nested(f));
    } else {
      CW_TRY(tx.signature, protobuf::as_bytes(f));
    }
    return core::ok();
  }); !fields.ok()) {
    return std::move(fields).error();
  }
  if (!payload) return core::Error(reason::kMissingField, "Envelope.payload");
  // common.Payload{1 header: Header{1 channel_header, 2 signature_header}, 2 data}.
  std::optional<Reader> header;
  std::optional<Reader> data;
  std::uint32_t payload_seen = 0;
  if (auto fields = each_field(*payload, [&](const Field& f) -> core::Result<void> {
    if (f.number != 1 && f.number != 2) return core::ok();
    CW_CHECK(once(payload_seen, f, "Payload"));
    CW_TRY(const Reader inner, payload->nested(f));
    (f.number == 1 ? header : data) = inner;
    return core::ok();
  }); !fields.ok()) {
    return std::move(fields).error();
  }
  if (!header) return core::Error(reason::kMissingField, "Payload.header");
  std::optional<Reader> channel_header;
  std::optional<Reader> signature_header;
  std::uint32_t header_seen = 0;
  if (auto fields = each_field(*header, [&](const Field& f) -> core::Result<void> {
    if (f.number != 1 && f.number != 2) return core::ok();
    CW_CHECK(once(header_seen, f, "Header"));
    CW_TRY(const Reader inner, header->nested(f));
    (f.number == 1 ? channel_header : signature_header) = inner;
    return core::ok();
  }); !fields.ok()) {
    return std::move(fields).error();
  }
  if (!channel_header) return core::Error(reason::kMissingField, "Header.channel_header");
  // common.ChannelHeader{1 type, 2 version, 3 timestamp, 4 channel_id, 5 tx_id, 6 epoch, ...}.
  std::uint32_t channel_seen = 0;
  if (auto fields = each_field(*channel_header, [&](const Field& f) -> core::Result<void> {
    if (f.number != 1 && f.number != 4 && f.number != 5) return core::ok();
    CW_CHECK(once(channel_seen, f, "ChannelHeader"));
    if (f.number == 1) {
      CW_TRY(const std::uint64_t type, protobuf::as_varint(f));
      tx.header_type = static_cast<std::int32_t>(static_cast<std::uint32_t>(type));
      return core::ok();
    }
    CW_TRY(const core::ByteView b, protobuf::as_bytes(f));
    (f.number == 4 ? tx.channel_id : tx.tx_id) = as_string(b);
    return core::ok();
  }); !fields.ok()) {
    return std::move(fields).error();
  }
  if (signature_header) {
    CW_TRY(const SignatureHeader sh, decode_signature_header(*signature_header));
    tx.creator = sh.creator;
    tx.nonce = sh.nonce;
    if (!sh.creator.empty()) {
      CW_TRY(const Reader creator, signature_header->nested(sh.creator));
      CW_TRY(const SerializedIdentity identity, decode_identity(creator));
      tx.creator_msp_id = identity.msp_id;
      tx.creator_certificate = identity.id_bytes;
    }
  }
  if (tx.header_type != kHeaderTypeEndorserTransaction || !data) return tx;
  // peer.Transaction{1 actions}.
  if (auto fields = each_field(*data, [&](const Field& f) -> core::Result<void> {
    if (f.number != 1) return core::ok();
    CW_TRY(const Reader inner, data->nested(f));
    CW_TRY(Action action, decode_action(inner));
    tx.actions.push_back(std::move(action));
    return core::ok();
  }); !fields.ok()) {
    return std::move(fields).error();
  }
  return tx;
}

core::Result<void> verify_creator(const Transaction& tx) {
  if (tx.creator_certificate.empty()) return core::Error(reason::kBadCreatorSignature, "unsigned envelope");
  auto key = core::P256PublicKey::from_certificate(tx.creator_certificate);
  if (!key) return core::Error(reason::kBadCertificate, "creator: " + key.error().message());
  if (auto ok = core::verify_p256(tx.payload, tx.signature, core::SignatureEncoding::kDer, *key, core::HighS::kReject);
      !ok) {
    return core::Error(reason::kBadCreatorSignature, "tx " + tx.tx_id + ": " + ok.error().message());
  }
  // Config transactions may carry no tx id; an endorser transaction always does.
  if (!tx.tx_id.empty() || tx.header_type == kHeaderTypeEndorserTransaction) {
    const std::string expected = core::to_hex(core::sha256({tx.nonce, tx.creator}), false);
    if (tx.tx_id != expected) return core::Error(reason::kTxIdMismatch, "tx " + tx.tx_id);
  }
  return core::ok();
}

core::Result<void> verify_endorsements(const Transaction& tx, const EndorsementPolicy& policy) {
  if (tx.header_type != kHeaderTypeEndorserTransaction || tx.actions.empty()) {
    return core::Error(reason::kNotEndorserTransaction, "header type " + std::to_string(tx.header_type));
  }
  std::vector<PinnedKey> pinned;
  for (const Identity& endorser : policy.endorsers) {
    CW_TRY(PinnedKey key, pin(endorser));
    pinned.push_back(std::move(key));
  }
  for (const Action& action : tx.actions) {
    std::set<std::string> organisations;
    for (const Endorsement& endorsement : action.endorsements) {
      const PinnedKey* signer = find_pinned(pinned, endorsement.msp_id, endorsement.certificate);
      if (signer == nullptr) continue;
      core::Bytes message(action.proposal_response_payload.begin(), action.proposal_response_payload.end());
      core::append(message, endorsement.endorser);
      if (auto ok = verify_low_s(message, endorsement.signature, *signer); !ok) {
        return core::Error(reason::kBadEndorsement, "tx " + tx.tx_id + " endorser " + endorsement.msp_id + ": " +
                                                        ok.error().message());
      }
      organisations.insert(endorsement.msp_id);
    }
    // A policy asking for no organisation is a misconfiguration, not a pass.
    if (policy.required == 0 || organisations.size() < policy.required) {
      return core::Error(reason::kEndorsementPolicyNotMet, "tx " + tx.tx_id + ": " +
                                                               std::to_string(organisations.size()) + " of " +
                                                               std::to_string(policy.required) + " organisations");
    }
  }
  return core::ok();
}

}  // namespace causeway::verify::fabric
