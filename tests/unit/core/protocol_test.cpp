// Tests for the wire protocol (relay/core/protocol, message, eip712): golden vectors computed with
// ethers (schemas/vectors/protocol-v1.json), strict message decoding, and THREATS 7 and 11.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "relay/core/eip712.hpp"
#include "relay/core/hash.hpp"
#include "relay/core/message.hpp"
#include "relay/core/message_json.hpp"
#include "relay/core/protocol.hpp"
#include "tests/support/vectors.hpp"
#include "tests/support/source_path.hpp"

using namespace causeway::core;
using causeway::test::hex;
using causeway::test::report_cases;
using nlohmann::json;

namespace {

constexpr MessageLimits kLimits{1 << 16};

// The golden file lives in the repository (not ../shared/vectors): it is ours, regenerated and
// diffed by the protocol.golden_regenerates test.
const json& golden() {
  static const json file = [] {
    const auto root = causeway::test::source_path("");
    std::ifstream in(root / "schemas" / "vectors" / "protocol-v1.json");
    if (!in.good()) FAIL("schemas/vectors/protocol-v1.json not found under " << root.string());
    return json::parse(in);
  }();
  return file;
}

std::string str(const json& j) { return j.get<std::string>(); }
std::uint64_t u64(const json& j) { return std::stoull(j.get<std::string>()); }

template <typename Fixed>
Fixed fixed(const json& j) {
  auto parsed = fixed_from_hex<Fixed>(j.get<std::string>());
  REQUIRE(parsed.ok());
  return *parsed;
}

Message message_of(const json& j) {
  auto parsed = message_from_json(j, kLimits);
  if (!parsed) FAIL(parsed.error().message());
  return *parsed;
}

Hash32 separator_of(const std::string& label) {
  for (const auto& d : golden()["eip712"]["domains"]) {
    if (d["label"] == label) {
      Eip712Domain domain;
      domain.name = str(d["name"]);
      domain.version = str(d["version"]);
      domain.chain_id = causeway_domain(u64(d["chainId"]), {}, {}).chain_id;
      domain.verifying_contract = fixed<Address>(d["verifyingContract"]);
      domain.salt = fixed<ChainIdentity>(d["salt"]);
      return domain_separator(domain);
    }
  }
  FAIL("no domain " << label);
  return {};
}

// A valid message with a 3-byte payload; its encoding has the layout
//   [0] outer offset 0x20, [32 + 32*i] field i (i = 0..10), [384] payload offset 0x180,
//   [416] payload length, [448] payload and 29 bytes of padding.
Message fixture() {
  Message m;
  m.src_chain = chain_identity(ChainFamily::kEvm, evm_chain_key(1001), keccak256(as_bytes("genesis 1001")));
  m.dst_chain = chain_identity(ChainFamily::kEvm, evm_chain_key(1002), keccak256(as_bytes("genesis 1002")));
  m.src_gateway.bytes[31] = 0x01;
  m.dst_gateway.bytes[31] = 0x02;
  m.receiver.bytes[31] = 0x03;
  m.sender.bytes[31] = 0x04;
  m.sequence = Sequence{5};
  m.timeout = 6;
  m.gas_limit = 7;
  m.flags = kFlagOrdered;
  m.payload = {0xaa, 0xbb, 0xcc};
  return m;
}
constexpr std::size_t field_at(std::size_t i) { return 32 + 32 * i; }
constexpr std::size_t kPayloadOffsetAt = field_at(11);
constexpr std::size_t kPayloadLengthAt = 416;
constexpr std::size_t kPayloadAt = 448;

}  // namespace

// ---- Golden vectors (computed with ethers) ----------------------------------------------------

TEST_CASE("chain identities match the ethers vectors", "[derived]") {
  std::size_t executed = 0;
  for (const auto& c : golden()["chainIdentities"]) {
    INFO(str(c["name"]));
    ChainKey key;
    if (c.contains("evmChainId")) {
      const auto word = fixed<Word32>(c["chainKey"]);
      key = evm_chain_key(word);
      const std::string decimal = str(c["evmChainId"]);
      if (decimal.size() < 20) CHECK(evm_chain_key(std::stoull(decimal)) == key);
    } else {
      key = named_chain_key(str(c["chainName"]));
    }
    CHECK(to_hex(key) == str(c["chainKey"]));
    const auto family = static_cast<ChainFamily>(c["family"].get<int>());
    CHECK(to_hex(chain_identity(family, key, fixed<Hash32>(c["genesisHash"]))) == str(c["identity"]));
    ++executed;
  }
  CHECK(fisco_chain_key("chain0", "group0") == named_chain_key("chain0/group0"));
  report_cases("protocol-v1 chainIdentities", executed);
}

TEST_CASE("messages encode, decode and hash as ethers does", "[derived]") {
  std::size_t executed = 0;
  for (const auto& v : golden()["messages"]) {
    INFO(str(v["name"]));
    const Message m = message_of(v["message"]);
    CHECK(message_to_json(m) == v["message"]);
    CHECK(to_hex(keccak256(m.payload)) == str(v["payloadHash"]));
    CHECK(to_hex(message_id(m)) == str(v["id"]));
    const Bytes encoded = encode_message(m);
    CHECK(to_hex(encoded) == str(v["encoded"]));

    auto decoded = decode_message(hex(str(v["encoded"])), kLimits);
    REQUIRE(decoded.ok());
    CHECK(*decoded == m);
    auto from_log = decode_message_sent_data(hex(str(v["messageSentData"])), kLimits);
    REQUIRE(from_log.ok());
    CHECK(*from_log == m);
    ++executed;
  }
  report_cases("protocol-v1 messages", executed);
}

TEST_CASE("claims match the ethers vectors", "[derived]") {
  std::size_t executed = 0;
  for (const auto& c : golden()["claims"]) {
    const Claim claim = claim_hash(fixed<MessageId>(c["id"]), fixed<Hash32>(c["srcBlockHash"]), u64(c["srcBlockNumber"]),
                                   c["txIndex"].get<std::uint32_t>(), c["logIndexInReceipt"].get<std::uint32_t>());
    CHECK(to_hex(claim) == str(c["claim"]));
    ++executed;
  }
  report_cases("protocol-v1 claims", executed);
}

TEST_CASE("event topics and outcome data match the ethers vectors", "[derived]") {
  const auto& topics = golden()["eventTopics"];
  CHECK(to_hex(kMessageSentTopic) == str(topics[std::string(kMessageSentSignature)]));
  CHECK(to_hex(kMessageExecutedTopic) == str(topics[std::string(kMessageExecutedSignature)]));
  CHECK(to_hex(kAcknowledgedTopic) == str(topics[std::string(kAcknowledgedSignature)]));
  CHECK(topics.size() == 3);

  std::size_t executed = 3;
  for (const auto& o : golden()["outcomes"]) {
    auto decoded = decode_outcome_data(hex(str(o["data"])));
    REQUIRE(decoded.ok());
    CHECK(static_cast<int>(decoded->status) == o["status"].get<int>());
    CHECK(to_hex(decoded->claim) == str(o["claim"]));
    ++executed;
  }
  report_cases("protocol-v1 eventTopics and outcomes", executed);
}

TEST_CASE("EIP-712 type hashes and domain separators match the ethers vectors", "[derived]") {
  const auto& e = golden()["eip712"];
  CHECK(str(e["typeStrings"]["Deliver"]) == kDeliverType);
  CHECK(str(e["typeStrings"]["Ack"]) == kAckType);
  CHECK(str(e["typeStrings"]["Skip"]) == kSkipType);
  CHECK(str(e["typeStrings"]["Rotate"]) == kRotateType);
  CHECK(str(e["typeStrings"]["Configure"]) == kConfigureType);
  CHECK(to_hex(kDomainTypeHash) == str(e["typeHashes"]["EIP712Domain"]));
  CHECK(to_hex(kDeliverTypeHash) == str(e["typeHashes"]["Deliver"]));
  CHECK(to_hex(kAckTypeHash) == str(e["typeHashes"]["Ack"]));
  CHECK(to_hex(kSkipTypeHash) == str(e["typeHashes"]["Skip"]));
  CHECK(to_hex(kRotateTypeHash) == str(e["typeHashes"]["Rotate"]));
  CHECK(to_hex(kConfigureTypeHash) == str(e["typeHashes"]["Configure"]));

  std::size_t executed = 6;
  for (const auto& d : e["domains"]) {
    INFO(str(d["label"]));
    // The protocol's own constructor must give the same separator as the field-by-field domain.
    CHECK(str(d["name"]) == kDomainName);
    CHECK(str(d["version"]) == kDomainVersion);
    const auto domain = causeway_domain(u64(d["chainId"]), fixed<Address>(d["verifyingContract"]),
                                        fixed<ChainIdentity>(d["salt"]));
    CHECK(to_hex(domain_separator(domain)) == str(d["separator"]));
    CHECK(separator_of(str(d["label"])) == domain_separator(domain));
    ++executed;
  }
  report_cases("protocol-v1 eip712 types and domains", executed);
}

TEST_CASE("EIP-712 vote struct hashes and digests match the ethers vectors", "[derived]") {
  std::size_t executed = 0;
  std::set<std::string> types;
  for (const auto& v : golden()["eip712"]["votes"]) {
    const std::string type = str(v["type"]);
    const auto& x = v["value"];
    INFO(type << " " << x.dump());
    Hash32 hashed;
    if (type == "Deliver") {
      hashed = struct_hash(DeliverVote{fixed<MessageId>(x["id"]), fixed<Claim>(x["claim"]), Epoch{u64(x["epoch"])}});
    } else if (type == "Ack") {
      hashed = struct_hash(AckVote{fixed<MessageId>(x["id"]), static_cast<ExecStatus>(x["status"].get<int>()),
                                   fixed<Claim>(x["claim"]), Epoch{u64(x["epoch"])}});
    } else if (type == "Skip") {
      hashed = struct_hash(SkipVote{fixed<MessageId>(x["id"]), Epoch{u64(x["epoch"])}});
    } else if (type == "Rotate") {
      RotateVote vote;
      for (const auto& a : x["attesters"]) vote.attesters.push_back(fixed<Address>(a));
      vote.threshold = x["threshold"].get<std::uint16_t>();
      vote.new_epoch = Epoch{u64(x["newEpoch"])};
      hashed = struct_hash(vote);
    } else if (type == "Configure") {
      hashed = struct_hash(ConfigureVote{fixed<ChainIdentity>(x["srcChain"]), fixed<Word32>(x["srcGateway"]),
                                         x["trusted"].get<bool>(), x["maxPayload"].get<std::uint32_t>(),
                                         u64(x["maxGas"]), Epoch{u64(x["epoch"])}});
    } else {
      FAIL("unknown vote type " << type);
    }
    CHECK(to_hex(hashed) == str(v["structHash"]));
    CHECK(to_hex(eip712_digest(separator_of(str(v["domain"])), hashed)) == str(v["digest"]));
    types.insert(type);
    ++executed;
  }
  CHECK(types.size() == 5);
  report_cases("protocol-v1 eip712 votes", executed);
}

TEST_CASE("audit leaves and their RFC 6962 hashes match the ethers vectors", "[derived]") {
  std::size_t executed = 0;
  std::set<int> kinds;
  for (const auto& a : golden()["auditLeaves"]) {
    const int kind = a["kind"].get<int>();
    const Bytes leaf = encode_audit_leaf(static_cast<AuditKind>(kind), fixed<MessageId>(a["id"]), fixed<Claim>(a["claim"]),
                                         fixed<Hash32>(a["detail"]), u64(a["time"]));
    CHECK(to_hex(leaf) == str(a["leaf"]));
    CHECK(to_hex(audit_leaf_hash(leaf)) == str(a["leafHash"]));
    kinds.insert(kind);
    ++executed;
  }
  CHECK(kinds.size() == 10);
  CHECK(*kinds.begin() == static_cast<int>(AuditKind::kVerified));
  CHECK(*kinds.rbegin() == static_cast<int>(AuditKind::kOrphaned));
  report_cases("protocol-v1 auditLeaves", executed);
}

// ---- Constants --------------------------------------------------------------------------------

TEST_CASE("topic and type-hash constants are the keccak of their signatures", "[unit]") {
  CHECK(kMessageSentTopic == keccak256(as_bytes(kMessageSentSignature)));
  CHECK(kMessageExecutedTopic == keccak256(as_bytes(kMessageExecutedSignature)));
  CHECK(kAcknowledgedTopic == keccak256(as_bytes(kAcknowledgedSignature)));
  CHECK(kDomainTypeHash == keccak256(as_bytes(kDomainType)));
  CHECK(kDeliverTypeHash == keccak256(as_bytes(kDeliverType)));
  CHECK(kAckTypeHash == keccak256(as_bytes(kAckType)));
  CHECK(kSkipTypeHash == keccak256(as_bytes(kSkipType)));
  CHECK(kRotateTypeHash == keccak256(as_bytes(kRotateType)));
  CHECK(kConfigureTypeHash == keccak256(as_bytes(kConfigureType)));
}

TEST_CASE("twin chains with equal chain ids get different identities", "[unit]") {
  const auto key = evm_chain_key(1001);
  const auto a = chain_identity(ChainFamily::kEvm, key, keccak256(as_bytes("genesis a")));
  const auto b = chain_identity(ChainFamily::kEvm, key, keccak256(as_bytes("genesis b")));
  const auto c = chain_identity(ChainFamily::kExternal, key, keccak256(as_bytes("genesis a")));
  CHECK(a != b);
  CHECK(a != c);
  CHECK(evm_chain_key(1001) != named_chain_key("1001"));
}

// ---- Strict message decoding ------------------------------------------------------------------

TEST_CASE("message encoding opens with the 0x20 offset and round-trips", "[unit]") {
  const Message m = fixture();
  const Bytes encoded = encode_message(m);
  REQUIRE(encoded.size() == kPayloadAt + 32);
  CHECK(encoded[31] == 0x20);
  CHECK(encoded[kPayloadOffsetAt + 31] == 0x80);  // 0x180 = 12 head words
  CHECK(encoded[kPayloadOffsetAt + 30] == 0x01);
  CHECK(encoded[kPayloadLengthAt + 31] == 3);
  auto decoded = decode_message(encoded, kLimits);
  REQUIRE(decoded.ok());
  CHECK(*decoded == m);
  CHECK(decoded->ordered());
}

TEST_CASE("message decoding rejects each malformed field with a named reason", "[unit]") {
  Bytes data = encode_message(fixture());
  MessageLimits limits = kLimits;
  Reason expected{""};
  SECTION("outer offset not 0x20") {
    data[31] = 0x40;
    expected = abi::reason::kBadOffset;
  }
  SECTION("payload offset not canonical") {
    data[kPayloadOffsetAt + 31] = 0xa0;
    expected = abi::reason::kBadOffset;
  }
  SECTION("non-zero payload padding") {
    data[kPayloadAt + 31] = 0x01;
    expected = abi::reason::kNonZeroPadding;
  }
  SECTION("uint64 sequence word with a high byte set") {
    data[field_at(6) + 23] = 0x01;
    expected = abi::reason::kUintOverflow;
  }
  SECTION("uint8 flags word wider than a byte") {
    data[field_at(10) + 30] = 0x01;
    expected = abi::reason::kUintOverflow;
  }
  SECTION("unknown flag bit") {
    data[field_at(10) + 31] = 0x03;
    expected = reason::message::kUnknownFlags;
  }
  SECTION("version 2") {
    data[field_at(0) + 31] = 0x02;
    expected = reason::message::kBadVersion;
  }
  SECTION("payload length past the end") {
    data[kPayloadLengthAt + 31] = 33;
    expected = abi::reason::kLengthPastEnd;
  }
  SECTION("trailing garbage") {
    data.push_back(0x00);
    expected = abi::reason::kTrailingBytes;
  }
  SECTION("payload over the limit") {
    limits.max_payload = 2;
    expected = abi::reason::kBytesTooLong;
  }
  SECTION("truncated") {
    data.resize(kPayloadLengthAt);
    expected = abi::reason::kTooShort;
  }
  auto decoded = decode_message(data, limits);
  REQUIRE_FALSE(decoded.ok());
  INFO(decoded.error().message());
  CHECK(decoded.error().reason() == expected);
}

TEST_CASE("MessageSent data is bounded by the payload limit before the message is decoded", "[unit]") {
  Message m = fixture();
  m.payload.assign(100, 0x5a);
  const Bytes log_data = abi::encode({abi::bytes(encode_message(m))});
  CHECK(decode_message_sent_data(log_data, MessageLimits{100}).ok());
  auto small = decode_message_sent_data(log_data, MessageLimits{64});
  REQUIRE_FALSE(small.ok());
  CHECK(small.error().reason() == abi::reason::kBytesTooLong);
}

TEST_CASE("outcome data rejects statuses outside 1..4", "[unit]") {
  for (std::uint64_t status : {0u, 5u, 255u}) {
    auto decoded = decode_outcome_data(abi::encode({abi::uint(status), abi::word(Hash32{})}));
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.error().reason() == reason::message::kBadStatus);
  }
  auto skipped = decode_outcome_data(abi::encode({abi::uint(4), abi::word(Hash32{})}));
  REQUIRE(skipped.ok());
  CHECK(skipped->status == ExecStatus::kSkipped);
}

// ---- Named threat regressions -----------------------------------------------------------------

TEST_CASE("forged structure: every field of Message reaches the id", "[unit]") {
  // THREATS 11: a field that does not reach the id could be changed without changing what the
  // attesters approved.
  const Message base = fixture();
  const std::vector<std::pair<std::string, std::function<void(Message&)>>> mutations = {
      {"version", [](Message& m) { m.version = 2; }},
      {"srcChain", [](Message& m) { m.src_chain.bytes[0] ^= 1; }},
      {"srcGateway", [](Message& m) { m.src_gateway.bytes[0] ^= 1; }},
      {"dstChain", [](Message& m) { m.dst_chain.bytes[0] ^= 1; }},
      {"dstGateway", [](Message& m) { m.dst_gateway.bytes[0] ^= 1; }},
      {"receiver", [](Message& m) { m.receiver.bytes[0] ^= 1; }},
      {"sequence", [](Message& m) { m.sequence.value += 1; }},
      {"sender", [](Message& m) { m.sender.bytes[0] ^= 1; }},
      {"timeout", [](Message& m) { m.timeout += 1; }},
      {"gasLimit", [](Message& m) { m.gas_limit += 1; }},
      {"flags", [](Message& m) { m.flags ^= kFlagOrdered; }},
      {"payload byte", [](Message& m) { m.payload[1] ^= 1; }},
      {"payload length", [](Message& m) { m.payload.push_back(0); }},
  };
  std::set<MessageId> ids{message_id(base)};
  for (const auto& [field, mutate] : mutations) {
    INFO(field);
    Message changed = base;
    mutate(changed);
    CHECK(ids.insert(message_id(changed)).second);
    // The transported encoding changes too, so no field can be forged in transit unnoticed.
    CHECK(encode_message(changed) != encode_message(base));
  }
  CHECK(ids.size() == mutations.size() + 1);
}

TEST_CASE("cross-protocol reuse: every vote digest binds name, version, chain id, contract and chain identity",
          "[unit]") {
  // THREATS 7: a signature made for one protocol, version, chain, contract or twin chain must not
  // verify anywhere else.
  Address gateway;
  gateway.bytes[19] = 0x02;
  const auto identity = chain_identity(ChainFamily::kEvm, evm_chain_key(1002), keccak256(as_bytes("genesis")));
  const Eip712Domain base = causeway_domain(1002, gateway, identity);
  CHECK(base.name == "Causeway");
  CHECK(base.version == "1");

  const std::vector<std::pair<std::string, std::function<void(Eip712Domain&)>>> mutations = {
      {"name", [](Eip712Domain& d) { d.name = "Causewax"; }},
      {"version", [](Eip712Domain& d) { d.version = "2"; }},
      {"chainId", [](Eip712Domain& d) { d.chain_id.bytes[31] ^= 1; }},
      {"chainId high byte", [](Eip712Domain& d) { d.chain_id.bytes[0] ^= 1; }},
      {"verifyingContract", [](Eip712Domain& d) { d.verifying_contract.bytes[0] ^= 1; }},
      {"salt (chain identity)", [](Eip712Domain& d) { d.salt.bytes[31] ^= 1; }},
  };

  MessageId id;
  id.bytes[0] = 0x1d;
  Claim claim;
  claim.bytes[0] = 0xc1;
  const std::vector<Hash32> struct_hashes = {
      struct_hash(DeliverVote{id, claim, Epoch{1}}),
      struct_hash(AckVote{id, ExecStatus::kOk, claim, Epoch{1}}),
      struct_hash(SkipVote{id, Epoch{1}}),
      struct_hash(RotateVote{{gateway}, 1, Epoch{2}}),
      struct_hash(ConfigureVote{identity, address_word(gateway), true, 1024, 100000, Epoch{1}}),
  };

  std::set<Hash32> digests;
  for (const auto& hashed : struct_hashes) CHECK(digests.insert(eip712_digest(domain_separator(base), hashed)).second);
  for (const auto& [field, mutate] : mutations) {
    INFO(field);
    Eip712Domain changed = base;
    mutate(changed);
    CHECK(domain_separator(changed) != domain_separator(base));
    for (const auto& hashed : struct_hashes) CHECK(digests.insert(eip712_digest(domain_separator(changed), hashed)).second);
  }
  CHECK(digests.size() == struct_hashes.size() * (mutations.size() + 1));
}

TEST_CASE("vote struct hashes bind every vote field", "[unit]") {
  MessageId id;
  Claim claim;
  const auto deliver = struct_hash(DeliverVote{id, claim, Epoch{1}});
  CHECK(struct_hash(DeliverVote{id, claim, Epoch{2}}) != deliver);
  // Swapping id and claim (possible only through an explicit retag) changes the digest.
  MessageId as_id;
  as_id.bytes[0] = 1;
  CHECK(struct_hash(DeliverVote{as_id, claim, Epoch{1}}) != deliver);
  CHECK(struct_hash(AckVote{id, ExecStatus::kOk, claim, Epoch{1}}) !=
        struct_hash(AckVote{id, ExecStatus::kReceiverFailed, claim, Epoch{1}}));
  Address a;
  Address b;
  b.bytes[19] = 1;
  CHECK(struct_hash(RotateVote{{a, b}, 1, Epoch{2}}) != struct_hash(RotateVote{{b, a}, 1, Epoch{2}}));
  CHECK(struct_hash(RotateVote{{a, b}, 1, Epoch{2}}) != struct_hash(RotateVote{{a, b}, 2, Epoch{2}}));
  CHECK(struct_hash(ConfigureVote{{}, {}, true, 1, 1, Epoch{1}}) != struct_hash(ConfigureVote{{}, {}, false, 1, 1, Epoch{1}}));
}

TEST_CASE("audit kinds have section 7's names; out-of-range kinds are unknown", "[unit]") {
  CHECK(audit_kind_name(AuditKind::kVerified) == "verified");
  CHECK(audit_kind_name(AuditKind::kExecutedFailed) == "executed_failed");
  CHECK(audit_kind_name(AuditKind::kAcknowledged) == "acknowledged");
  CHECK(audit_kind_name(AuditKind::kOrphaned) == "orphaned");
  CHECK(audit_kind_name(static_cast<AuditKind>(0)) == "unknown");
  CHECK(audit_kind_name(static_cast<AuditKind>(11)) == "unknown");
}
