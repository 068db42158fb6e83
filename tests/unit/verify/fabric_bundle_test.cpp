// Tests for the fabric bundle family (fabric_bundle.cpp, bundle.cpp, trust_anchors.cpp, verify.cpp):
// a derived channel (fabric_fixtures.hpp) whose gateway chaincode emitted a MessageSent or
// MessageExecuted is verified as a bundle, each single-field change is refused by its reason, the
// bundle and anchor readers refuse malformed input by path, and the schema examples verify.
#include <catch2/catch.hpp>

#include <string>

#include <nlohmann/json.hpp>

#include "relay/verify/bundle.hpp"
#include "relay/verify/fabric_bundle.hpp"
#include "relay/verify/json_read.hpp"
#include "relay/verify/trust_anchors.hpp"
#include "relay/verify/verify.hpp"
#include "tests/unit/verify/bundle_fixtures.hpp"
#include "tests/unit/verify/fabric_fixtures.hpp"

using namespace causeway;
using namespace causeway::verify;
using causeway::test::hex;
using causeway::test::fabric_fixtures::FabricWorld;
using json = nlohmann::json;

namespace {

const FabricWorld& world() {
  static const FabricWorld w;
  return w;
}

Verdict verified(const Bundle& b) { return verify_bundle(b, world().anchors(), NoCanonicalHashes{}); }

// The bundle fails, and the first failed check is `check` with `reason`.
void require_failure(const Bundle& b, std::string_view check, const core::Reason& reason) {
  const Verdict v = verified(b);
  const Check* problem = v.first_problem();
  REQUIRE(problem != nullptr);
  INFO(problem->name << ": " << problem->reason.name << " " << problem->detail);
  CHECK(v.outcome == Outcome::kInvalid);
  CHECK(problem->name == check);
  CHECK(problem->reason == reason);
}

// The child check `name` of top-level check `parent`.
const Check* child(const Verdict& v, std::string_view parent, std::string_view name) {
  const Check* p = v.find(parent);
  if (p == nullptr) return nullptr;
  for (const Check& c : p->children) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

core::Reason reason_of_anchors(const json& j) {
  auto parsed = trust_anchors_from_json(j);
  REQUIRE_FALSE(parsed.ok());
  INFO(parsed.error().message());
  return parsed.error().reason();
}

}  // namespace

TEST_CASE("fabric bundle of a derived block verifies, check by check", "[fabric]") {
  const Bundle b = world().build();
  const Verdict v = verified(b);
  INFO(verdict_to_json(v).dump(1));
  REQUIRE(v.outcome == Outcome::kValid);
  CHECK(v.id == core::message_id(b.message));
  CHECK(v.claim == b.claim);
  const std::string names[] = {"identity", "header", "finality", "ancestry", "inclusion", "event", "message_id", "claim"};
  REQUIRE(v.root.children.size() == std::size(names));
  for (std::size_t i = 0; i < std::size(names); ++i) CHECK(v.root.children[i].name == names[i]);
  CHECK(v.find("ancestry")->status == CheckStatus::kSkipped);
  for (const char* part : {"transaction", "creator", "endorsement", "validation"}) {
    const Check* c = child(v, "inclusion", part);
    REQUIRE(c != nullptr);
    CHECK(c->status == CheckStatus::kOk);
  }
  CHECK(child(v, "inclusion", "validation")->detail.find("2 of 3 pinned peers attest VALID, 2 needed") !=
        std::string::npos);
}

TEST_CASE("fabric bundle and anchors round-trip through their JSON forms", "[fabric]") {
  const Bundle b = world().build();
  const json j = bundle_to_json(b);
  CHECK(j["family"] == "fabric");
  CHECK(j["inclusion"]["kind"] == "fabric_block");
  auto back = parse_bundle(j.dump());
  REQUIRE(back.ok());
  CHECK(bundle_to_json(*back) == j);
  CHECK(back->source.block == b.source.block);
  CHECK(verified(*back).outcome == Outcome::kValid);

  const json anchors = trust_anchors_to_json(world().anchors());
  auto read = parse_trust_anchors(anchors.dump());
  REQUIRE(read.ok());
  CHECK(trust_anchors_to_json(*read) == anchors);
  CHECK(verify_bundle(b, *read, NoCanonicalHashes{}).outcome == Outcome::kValid);
}

TEST_CASE("fabric execution bundle verifies and reports the status", "[fabric]") {
  FabricWorld::Options o;
  o.kind = BundleKind::kExecution;
  const Bundle b = world().build(o);
  const Verdict v = verified(b);
  INFO(verdict_to_json(v).dump(1));
  REQUIRE(v.outcome == Outcome::kValid);
  REQUIRE(v.execution.has_value());
  CHECK(v.execution->status == core::ExecStatus::kOk);
  CHECK(v.execution->claim == test::filled<core::Claim>(0x44));

  // The payload names another message's id: the event is not this message's execution.
  core::Message other = b.message;
  other.sequence = core::Sequence{8};
  core::Bytes payload = FabricWorld::event_payload(other, BundleKind::kExecution);
  o.payload = payload;
  require_failure(world().build(o), "event", reason::kTopicMismatch);
  // Same srcChain and sequence, another id (the payload's first word).
  payload[5] ^= 0x01;
  o.payload = payload;
  Bundle changed_id = world().build(o);
  changed_id.message.sequence = core::Sequence{8};
  require_failure(changed_id, "message_id", reason::kMessageIdMismatch);
  o.payload = core::Bytes(160 - 32, 0);
  require_failure(world().build(o), "event", reason::kBadEventData);
}

TEST_CASE("fabric bundle single-field mutations fail by name", "[fabric]") {
  namespace fr = fabric::reason;
  const Bundle good = world().build();
  REQUIRE(verified(good).outcome == Outcome::kValid);
  FabricWorld::Options o;

  SECTION("a block byte") {
    Bundle b = good;
    // Inside the second envelope, far from the metadata: the data hash no longer matches.
    b.source.block[b.source.block.size() / 2] ^= 0x01;
    require_failure(b, "header", fr::kDataHashMismatch);
  }
  SECTION("the orderer signature") {
    Bundle b = good;
    auto block = fabric::decode_block(b.source.block);
    REQUIRE(block.ok());
    // The signature's last byte sits just before metadata[1]; metadata is outside the data hash.
    const std::size_t at = static_cast<std::size_t>(block->metadata[0].data() - b.source.block.data()) +
                           block->metadata[0].size() - 3;
    b.source.block[at] ^= 0x01;
    require_failure(b, "finality", fr::kBadOrdererSignature);
    o.orderer_signs = false;
    require_failure(world().build(o), "finality", fr::kOrdererPolicyNotMet);
  }
  SECTION("an endorsement") {
    o.corrupt_endorsement = true;
    require_failure(world().build(o), "inclusion", fr::kBadEndorsement);
    o.corrupt_endorsement = false;
    o.org2_endorses = false;
    require_failure(world().build(o), "inclusion", fr::kEndorsementPolicyNotMet);
  }
  SECTION("the event name") {
    o.event_name = "MessageSend";
    require_failure(world().build(o), "event", reason::kWrongEvent);
    o.event_name.reset();
    o.with_event = false;
    require_failure(world().build(o), "event", fr::kNoEvent);
  }
  SECTION("the event payload") {
    core::Message other = good.message;
    other.sequence = core::Sequence{8};
    o.payload = FabricWorld::event_payload(other, BundleKind::kMessage);
    // The bundle still shows the original message and claim.
    Bundle b = world().build(o);
    b.message = good.message;
    require_failure(b, "event", reason::kBundleMessageMismatch);
    o.payload = hex("00");
    require_failure(world().build(o), "event", reason::kBadEventData);
  }
  SECTION("the chaincode") {
    o.action_chaincode = "marbles";
    require_failure(world().build(o), "inclusion", fr::kWrongChaincode);
    o.action_chaincode = "causeway";
    o.event_chaincode = "marbles";
    require_failure(world().build(o), "event", fr::kWrongChaincode);
  }
  SECTION("the channel") {
    o.tx_channel = "other-channel";
    require_failure(world().build(o), "inclusion", fr::kChannelMismatch);
    Bundle b = good;
    b.fabric_inclusion.channel = "other-channel";
    require_failure(b, "inclusion", fr::kChannelMismatch);
  }
  SECTION("the tx index, tx id and event index") {
    Bundle b = good;
    b.fabric_inclusion.tx_index = 0;
    require_failure(b, "inclusion", fr::kTxIdMismatch);
    b.fabric_inclusion.tx_index = 2;
    require_failure(b, "inclusion", fr::kTxIndexOutOfRange);
    b = good;
    b.fabric_inclusion.tx_id[0] = b.fabric_inclusion.tx_id[0] == 'a' ? 'b' : 'a';
    require_failure(b, "inclusion", fr::kTxIdMismatch);
    b = good;
    b.fabric_inclusion.event_index = 1;
    require_failure(b, "inclusion", fr::kEventIndexOutOfRange);
  }
  SECTION("a peer attestation") {
    Bundle b = good;
    b.fabric_inclusion.attestations[1].signature[10] ^= 0x01;
    require_failure(b, "inclusion", fr::kBadPeerAttestation);
    const Check* validation = child(verified(b), "inclusion", "validation");
    REQUIRE(validation != nullptr);
    CHECK(validation->reason == fr::kBadPeerAttestation);

    b = good;
    b.fabric_inclusion.attestations[1].peer = "peer9.org9";
    require_failure(b, "inclusion", fr::kUnknownPeer);
    // A stranger's signature under a pinned peer's name.
    b = good;
    b.fabric_inclusion.attestations[1] = FabricWorld::attest(world().stranger(), "peer1.org3", b, fabric::kTxValid);
    require_failure(b, "inclusion", fr::kBadPeerAttestation);
    // A correctly signed INVALID (MVCC_READ_CONFLICT = 11) from a third pinned peer.
    b = good;
    b.fabric_inclusion.attestations.push_back(FabricWorld::attest(world().peer_c(), "peer1.org3", b, 11));
    require_failure(b, "inclusion", fr::kValidationDisagreement);
    // The code changed after signing.
    b = good;
    b.fabric_inclusion.attestations[0].validation_code = 11;
    require_failure(b, "inclusion", fr::kBadPeerAttestation);
    b = good;
    b.fabric_inclusion.attestations[1] = b.fabric_inclusion.attestations[0];
    require_failure(b, "inclusion", fr::kDuplicatePeer);
    b = good;
    b.fabric_inclusion.attestations.pop_back();
    require_failure(b, "inclusion", fr::kPeerQuorumNotMet);
    b.fabric_inclusion.attestations.clear();
    require_failure(b, "inclusion", fr::kPeerQuorumNotMet);
    // The third peer added: three of three, still valid.
    b = good;
    b.fabric_inclusion.attestations.push_back(FabricWorld::attest(world().peer_c(), "peer1.org3", b, fabric::kTxValid));
    CHECK(verified(b).outcome == Outcome::kValid);
  }
  SECTION("the block's own transactions filter") {
    o.transactions_filter = {0, 11};
    require_failure(world().build(o), "inclusion", fr::kValidationDisagreement);
    // A filter the peer did not write (empty) neither confirms nor refutes.
    o.transactions_filter = {};
    CHECK(verified(world().build(o)).outcome == Outcome::kValid);
  }
  SECTION("the restated block hash, number and claim") {
    Bundle b = good;
    b.source.block_hash.bytes[0] ^= 0x01;
    require_failure(b, "header", reason::kBlockHashMismatch);
    b = good;
    b.source.block_number += 1;
    require_failure(b, "header", reason::kBlockNumberMismatch);
    b = good;
    b.claim.bytes[31] ^= 0x01;
    require_failure(b, "claim", reason::kClaimMismatch);
  }
  SECTION("the chain and gateway") {
    Bundle b = good;
    b.message.src_gateway = core::address_word(test::filled<core::Address>(0x77));
    require_failure(b, "identity", reason::kGatewayMismatch);
    b = good;
    b.source.chain_identity.bytes[0] ^= 0x01;
    CHECK(verified(b).outcome == Outcome::kUnusableInput);
    CHECK(verified(b).first_problem()->reason == reason::kUnknownChain);
    // The fabric anchors named under another family.
    b = good;
    b.family = core::ChainFamily::kFiscoBcos;
    require_failure(b, "identity", reason::kFamilyMismatch);
  }
}

TEST_CASE("fabric peer attestation preimage is the documented bytes", "[fabric]") {
  core::Hash32 hash = test::filled<core::Hash32>(0xab);
  const core::Bytes preimage = fabric::validation_preimage("ch", 0x0102, hash, "t1", 0);
  core::Bytes expected = hex(core::to_hex(core::as_bytes("causeway/fabric-validation/v1"), false) + "0002" +
                             core::to_hex(core::as_bytes("ch"), false) + "0000000000000102");
  core::append(expected, hash.view());
  core::append(expected, hex("0002" + core::to_hex(core::as_bytes("t1"), false) + "00"));
  CHECK(preimage == expected);
  CHECK(preimage.size() == 29 + 2 + 2 + 8 + 32 + 2 + 2 + 1);
  // The gateway word is keccak256 of the chaincode name.
  CHECK(fabric::gateway_word("causeway") == core::Word32{core::keccak256(core::as_bytes("causeway")).bytes});
}

TEST_CASE("fabric bundle reader refuses malformed input by path", "[fabric]") {
  const json good = bundle_to_json(world().build());
  REQUIRE(bundle_from_json(good).ok());
  const auto refused = [](const json& j, const core::Reason& reason, const std::string& path) {
    auto parsed = bundle_from_json(j);
    REQUIRE_FALSE(parsed.ok());
    INFO(parsed.error().message());
    CHECK(parsed.error().reason() == reason);
    test::bundle_fixtures::require_path(parsed.error(), path);
  };
  namespace jr = json_read::reason;
  json j = good;
  j["source"]["block"] = "not base64!";
  refused(j, jr::kBadField, "source.block");
  j = good;
  j["source"]["header"] = "0x00";
  refused(j, jr::kUnknownField, "source.header");
  j = good;
  j["inclusion"]["kind"] = "evm_receipt_mpt";
  refused(j, jr::kBadField, "inclusion.kind");
  j = good;
  j["inclusion"].erase("attestations");
  refused(j, jr::kMissingField, "inclusion.attestations");
  j = good;
  j["inclusion"]["attestations"][0]["validation_code"] = 256;
  refused(j, jr::kBadField, "inclusion.attestations[0].validation_code");
  j = good;
  j["inclusion"]["attestations"][1]["signature"] = "0x";
  refused(j, jr::kBadField, "inclusion.attestations[1].signature");
  j = good;
  j["inclusion"]["tx_id"] = "";
  refused(j, jr::kBadField, "inclusion.tx_id");
  j = good;
  j["family"] = "chainmaker";
  refused(j, jr::kBadField, "family");
  // The block is bounded before it is decoded.
  BundleLimits small;
  small.max_block_bytes = 64;
  auto parsed = bundle_from_json(good, small);
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.error().reason() == jr::kBadField);
}

TEST_CASE("fabric trust anchors are read strictly", "[fabric]") {
  const json good = trust_anchors_to_json(world().anchors());
  REQUIRE(trust_anchors_from_json(good).ok());
  const auto path_of = [](const json& j) {
    auto parsed = trust_anchors_from_json(j);
    REQUIRE_FALSE(parsed.ok());
    return parsed.error().detail();
  };
  json j = good;
  j["chains"][0]["channel"] = "Causeway";
  CHECK(reason_of_anchors(j) == json_read::reason::kBadField);
  CHECK(path_of(j).rfind("chains[0].channel", 0) == 0);
  j = good;
  j["chains"][0]["chain_identity"] = core::to_hex(test::filled<core::ChainIdentity>(0x01));
  CHECK(reason_of_anchors(j) == reason::kAnchorIdentityMismatch);
  j = good;
  j["chains"][0]["peers"]["required"] = 0;
  CHECK(reason_of_anchors(j) == reason::kBadTrustAnchor);
  CHECK(path_of(j).rfind("chains[0].peers.required", 0) == 0);
  j["chains"][0]["peers"]["required"] = 4;
  CHECK(reason_of_anchors(j) == reason::kBadTrustAnchor);
  j = good;
  j["chains"][0]["peers"]["members"][1]["name"] = j["chains"][0]["peers"]["members"][0]["name"];
  CHECK(reason_of_anchors(j) == reason::kBadTrustAnchor);
  CHECK(path_of(j).rfind("chains[0].peers.members[1].name", 0) == 0);
  j = good;
  j["chains"][0]["peers"]["members"][1]["certificate"] = j["chains"][0]["peers"]["members"][0]["certificate"];
  CHECK(reason_of_anchors(j) == reason::kBadTrustAnchor);
  j = good;
  const std::string pem = j["chains"][0]["orderers"]["members"][0]["certificate"];
  j["chains"][0]["orderers"]["members"][0]["certificate"] = pem.substr(0, 100) + "\n-----END CERTIFICATE-----\n";
  CHECK(reason_of_anchors(j) == reason::kBadTrustAnchor);
  CHECK(path_of(j).rfind("chains[0].orderers.members[0].certificate", 0) == 0);
  j = good;
  j["chains"][0]["orderers"]["members"][0]["consenter_id"] = 1;
  CHECK(reason_of_anchors(j) == json_read::reason::kUnknownField);
  j["chains"][0]["orderers"]["validation"] = "bft_quorum";
  CHECK(trust_anchors_from_json(j).ok());
  j["chains"][0]["orderers"]["members"][0].erase("consenter_id");
  CHECK(reason_of_anchors(j) == json_read::reason::kMissingField);
  j["chains"][0]["orderers"]["validation"] = "majority";
  CHECK(reason_of_anchors(j) == json_read::reason::kBadField);
  j = good;
  j["chains"][0]["gateway"]["endorsement"]["required"] = 3;  // two organisations pinned
  CHECK(reason_of_anchors(j) == reason::kBadTrustAnchor);
  CHECK(path_of(j).rfind("chains[0].gateway.endorsement.required", 0) == 0);
  j = good;
  j["chains"][0]["gateway"]["chaincode"] = "cause__way";
  CHECK(reason_of_anchors(j) == json_read::reason::kBadField);
  j = good;
  j["chains"][0]["gateway"]["chaincode"] = "other";
  auto other = trust_anchors_from_json(j);
  REQUIRE(other.ok());
  // The message names the anchored chaincode's gateway word, and this one is another.
  CHECK(verify_bundle(world().build(), *other, NoCanonicalHashes{}).first_problem()->reason ==
        reason::kGatewayMismatch);
}

TEST_CASE("fabric schema examples verify, and a changed attestation does not", "[fabric]") {
  const std::string bundle_text =
      test::bundle_fixtures::read_text(test::bundle_fixtures::source_path("schemas/examples/proof-bundle.valid-fabric.json"));
  const std::string anchors_text = test::bundle_fixtures::read_text(
      test::bundle_fixtures::source_path("schemas/examples/trust-anchors.valid-fabric.json"));
  auto bundle = parse_bundle(bundle_text);
  REQUIRE(bundle.ok());
  auto anchors = parse_trust_anchors(anchors_text);
  REQUIRE(anchors.ok());
  const Verdict v = verify_bundle(*bundle, *anchors, NoCanonicalHashes{});
  INFO(verdict_to_json(v).dump(1));
  CHECK(v.outcome == Outcome::kValid);
  Bundle changed = *bundle;
  changed.fabric_inclusion.attestations[0].signature[12] ^= 0x01;
  CHECK(verify_bundle(changed, *anchors, NoCanonicalHashes{}).first_problem()->reason ==
        fabric::reason::kBadPeerAttestation);
}
