// Tests for relay/verify/protobuf_wire and relay/verify/fabric_block: the real Fabric blocks of
// ../shared/vectors/fabric against fabric_expected.json, the deliberately tampered ledger, and
// single-field mutations that must each fail with a named reason.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

#include "relay/core/hash.hpp"
#include "relay/core/signature.hpp"
#include "relay/verify/fabric_block.hpp"
#include "relay/verify/protobuf_wire.hpp"
#include "tests/support/vectors.hpp"
#include "tests/unit/verify/fabric_fixtures.hpp"

using namespace causeway;
using namespace causeway::verify;
using causeway::test::hex;
using causeway::test::fabric_fixtures::BuiltBlock;
using causeway::test::fabric_fixtures::ld;
using causeway::test::fabric_fixtures::negate_s;
using causeway::test::fabric_fixtures::TestSigner;
using nlohmann::json;

namespace {

std::string hx(core::ByteView bytes) { return core::to_hex(bytes, false); }

std::string cert_sha256(core::ByteView certificate) {
  auto der = fabric::certificate_der(certificate);
  REQUIRE(der.ok());
  return hx(core::sha256(*der).view());
}

std::optional<core::Bytes> prod_block(int n) {
  return test::load_binary_vector("fabric/sample_prod_blocks/block_" + std::to_string(n) + ".pb");
}

// The orderer/creator identity of a block's first envelope: the fixture channels' only signer.
fabric::Identity first_creator(const fabric::Block& block) {
  auto tx = fabric::decode_envelope(block.envelopes.at(0));
  REQUIRE(tx.ok());
  return {tx->creator_msp_id, core::Bytes(tx->creator_certificate.begin(), tx->creator_certificate.end())};
}

// Checks one decoded block against its fabric_expected.json entry.
void check_block(const fabric::Block& block, const json& expected, const fabric::OrdererPolicy& orderers,
                 const fabric::EndorsementPolicy& endorsers) {
  INFO("block " << expected["number"]);
  CHECK(block.header.number == expected["number"].get<std::uint64_t>());
  CHECK(hx(block.header.previous_hash) == expected["previous_hash"].get<std::string>());
  CHECK(hx(block.header.data_hash) == expected["data_hash"].get<std::string>());
  CHECK(hx(fabric::header_der(block.header)) == expected["header_der"].get<std::string>());
  CHECK(hx(fabric::block_hash(block.header).view()) == expected["header_hash"].get<std::string>());
  CHECK(hx(fabric::data_hash(block.envelopes).view()) == expected["computed_data_hash"].get<std::string>());
  CHECK(fabric::check_data_hash(block).ok() == expected["data_hash_matches"].get<bool>());
  REQUIRE(block.envelopes.size() == expected["envelope_count"].get<std::size_t>());
  REQUIRE(block.metadata.size() == expected["metadata_lengths"].size());
  for (std::size_t i = 0; i < block.metadata.size(); ++i) {
    CHECK(block.metadata[i].size() == expected["metadata_lengths"][i].get<std::size_t>());
  }
  const auto signed_ok = fabric::verify_orderer_signatures(block, orderers);
  bool all_verify = !expected["orderer_signatures"].empty();
  for (const json& sig : expected["orderer_signatures"]) all_verify = all_verify && sig["verifies"].get<bool>() && sig["low_s"].get<bool>();
  CHECK(signed_ok.ok() == all_verify);
  if (expected["orderer_signatures"].empty()) {
    CHECK(signed_ok.error().reason() == fabric::reason::kOrdererPolicyNotMet);
  }
  for (std::size_t i = 0; i < block.envelopes.size(); ++i) {
    const json& env = expected["envelopes"][i];
    auto tx = fabric::decode_envelope(block.envelopes[i]);
    REQUIRE(tx.ok());
    CHECK(tx->header_type == env["header_type"].get<int>());
    CHECK(tx->channel_id == env["channel_id"].get<std::string>());
    CHECK(tx->tx_id == env["tx_id"].get<std::string>());
    if (env.value("unsigned", false)) {
      CHECK(tx->creator_msp_id.empty());
      CHECK(fabric::verify_creator(*tx).error().reason() == fabric::reason::kBadCreatorSignature);
      continue;
    }
    CHECK(tx->creator_msp_id == env["creator_mspid"].get<std::string>());
    CHECK(cert_sha256(tx->creator_certificate) == env["creator_cert_sha256"].get<std::string>());
    CHECK(fabric::verify_creator(*tx).ok() ==
          (env["creator_signature_verifies"].get<bool>() && env["creator_signature_low_s"].get<bool>()));
    if (!env.contains("actions")) continue;
    REQUIRE(tx->actions.size() == env["actions"].size());
    bool endorsed = true;
    for (std::size_t a = 0; a < tx->actions.size(); ++a) {
      const fabric::Action& action = tx->actions[a];
      const json& ex = env["actions"][a];
      CHECK(action.chaincode_name == ex["chaincode_name"].get<std::string>());
      CHECK(action.chaincode_version == ex["chaincode_version"].get<std::string>());
      CHECK(action.response_status == ex["response_status"].get<int>());
      CHECK(action.event.has_value() == ex["has_chaincode_event"].get<bool>());
      CHECK(hx(core::sha256(action.proposal_response_payload).view()) ==
            ex["proposal_response_payload_sha256"].get<std::string>());
      REQUIRE(action.endorsements.size() == ex["endorsements"].size());
      for (std::size_t e = 0; e < action.endorsements.size(); ++e) {
        CHECK(action.endorsements[e].msp_id == ex["endorsements"][e]["endorser_mspid"].get<std::string>());
        endorsed = endorsed && ex["endorsements"][e]["verifies"].get<bool>();
      }
    }
    CHECK(fabric::verify_endorsements(*tx, endorsers).ok() == endorsed);
  }
}

// Flips one byte of a copy and returns it.
core::Bytes flipped(const core::Bytes& original, std::size_t at) {
  core::Bytes copy = original;
  copy.at(at) ^= 0x01;
  return copy;
}

std::size_t find_bytes(const core::Bytes& haystack, const core::Bytes& needle) {
  const auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end());
  REQUIRE(it != haystack.end());
  return static_cast<std::size_t>(it - haystack.begin());
}

}  // namespace

TEST_CASE("protobuf reader reads each wire type", "[fabric]") {
  // field 1 varint 300, field 2 fixed64, field 3 bytes "hi", field 4 fixed32.
  const core::Bytes message = hex("08ac02" "110102030405060708" "1a026869" "25aabbccdd");
  protobuf::Reader reader(message);
  auto a = reader.next();
  REQUIRE(a.ok());
  CHECK(a->number == 1);
  CHECK(*protobuf::as_varint(*a) == 300);
  auto b = reader.next();
  REQUIRE(b.ok());
  CHECK(b->type == protobuf::WireType::kFixed64);
  CHECK(b->value == 0x0807060504030201ull);
  auto c = reader.next();
  REQUIRE(c.ok());
  CHECK(hx(*protobuf::as_bytes(*c)) == "6869");
  CHECK(protobuf::as_varint(*c).error().reason() == protobuf::reason::kWrongWireType);
  auto d = reader.next();
  REQUIRE(d.ok());
  CHECK(d->value == 0xddccbbaa);
  CHECK(reader.done());
}

TEST_CASE("protobuf reader refuses malformed input by name", "[fabric]") {
  const auto first_error = [](std::string_view text) {
    const core::Bytes bytes = hex(text);
    protobuf::Reader reader(bytes);
    while (!reader.done()) {
      auto field = reader.next();
      if (!field) return field.error().reason();
    }
    return core::Reason{"none"};
  };
  CHECK(first_error("08") == protobuf::reason::kTruncated);                      // value missing
  CHECK(first_error("08ff") == protobuf::reason::kTruncated);                    // truncated varint
  CHECK(first_error("1a05686869") == protobuf::reason::kTruncated);              // length past the end
  CHECK(first_error("1101020304") == protobuf::reason::kTruncated);              // short fixed64
  CHECK(first_error("08ffffffffffffffffff7f") == protobuf::reason::kOverlongVarint);  // 11 bytes
  CHECK(first_error("08ffffffffffffffffff02") == protobuf::reason::kOverlongVarint);  // above 2^64-1
  CHECK(first_error("088100") == protobuf::reason::kOverlongVarint);             // trailing zero group
  CHECK(first_error("0b") == protobuf::reason::kBadWireType);                     // start group
  CHECK(first_error("0e00") == protobuf::reason::kBadWireType);                   // wire type 6
  CHECK(first_error("0000") == protobuf::reason::kBadFieldNumber);                // field 0
  CHECK(first_error("08ffffffffffffffff01") == core::Reason{"none"});             // 2^64-1 is fine
}

TEST_CASE("protobuf reader bounds nesting", "[fabric]") {
  core::Bytes message = ld(1, std::string_view("leaf"));
  for (int i = 0; i < protobuf::kMaxDepth + 1; ++i) message = ld(1, message);
  protobuf::Reader reader(message);
  core::Reason failure{"none"};
  for (int depth = 0; depth <= protobuf::kMaxDepth + 1; ++depth) {
    auto field = reader.next();
    REQUIRE(field.ok());
    auto inner = reader.nested(*field);
    if (!inner) {
      failure = inner.error().reason();
      CHECK(depth == protobuf::kMaxDepth);
      break;
    }
    reader = *inner;
  }
  CHECK(failure == protobuf::reason::kTooDeep);
}

TEST_CASE("fabric prod blocks match fabric_expected.json", "[fabric]") {
  const auto expected = test::load_json_vector("fabric/fabric_expected.json");
  const auto genesis = prod_block(0);
  if (!expected || !genesis) return;
  auto zero = fabric::decode_block(*genesis);
  REQUIRE(zero.ok());
  const fabric::Identity sample_org = first_creator(*zero);
  const fabric::OrdererPolicy orderers{fabric::BlockValidation::kAnyWriter, {sample_org}, {}};
  const fabric::EndorsementPolicy endorsers{1, {sample_org}};
  const json& blocks = (*expected)["sample_prod"]["blocks"];
  std::optional<core::Bytes> previous_bytes;
  std::size_t executed = 0;
  for (const json& ex : blocks) {
    const int n = ex["number"].get<int>();
    auto bytes = prod_block(n);
    REQUIRE(bytes);
    auto block = fabric::decode_block(*bytes);
    REQUIRE(block.ok());
    check_block(*block, ex, orderers, endorsers);
    if (previous_bytes) {
      auto parent = fabric::decode_block(*previous_bytes);
      REQUIRE(parent.ok());
      CHECK(fabric::check_chain(*parent, *block).ok() == ex["previous_hash_matches_previous_block"].get<bool>());
    }
    previous_bytes = std::move(bytes);
    ++executed;
  }
  test::report_cases("fabric sample_prod blocks", executed);
}

TEST_CASE("fabric prod blockfile holds the same blocks as the .pb files", "[fabric]") {
  const auto file = test::load_binary_vector("fabric/sample_prod_blockfile_000000");
  if (!file) return;
  auto blocks = fabric::decode_blockfile(*file);
  REQUIRE(blocks.ok());
  REQUIRE(blocks->size() == 8);
  for (int n = 0; n < 8; ++n) {
    auto bytes = prod_block(n);
    REQUIRE(bytes);
    auto block = fabric::decode_block(*bytes);
    REQUIRE(block.ok());
    const fabric::Block& from_file = (*blocks)[static_cast<std::size_t>(n)];
    CHECK(fabric::header_der(from_file.header) == fabric::header_der(block->header));
    REQUIRE(from_file.envelopes.size() == block->envelopes.size());
    CHECK(std::ranges::equal(from_file.envelopes.at(0), block->envelopes.at(0)));
    CHECK(from_file.metadata.size() == block->metadata.size());
  }
  // An entry with bytes after its last metadata item is refused.
  core::Bytes entry = hex("00" "00" "00" "00" "00" "ff");
  entry.insert(entry.begin(), static_cast<std::uint8_t>(entry.size()));
  CHECK(fabric::decode_blockfile(entry).error().reason() == fabric::reason::kBadBlockfile);
  // A truncated file is refused, not read as fewer blocks.
  const core::ByteView cut(file->data(), file->size() - 1);
  CHECK(fabric::decode_blockfile(cut).error().reason() == protobuf::reason::kTruncated);
}

TEST_CASE("fabric tampered ledger is caught by name", "[fabric]") {
  const auto expected = test::load_json_vector("fabric/fabric_expected.json");
  const auto file = test::load_binary_vector("fabric/sample_bad_ledger_blockfile_000000");
  if (!expected || !file) return;
  auto blocks = fabric::decode_blockfile(*file);
  REQUIRE(blocks.ok());
  const json& ex = (*expected)["sample_bad_ledger"]["blocks"];
  REQUIRE(blocks->size() == ex.size());
  // Block 1's config envelope is signed by the orderer; Org1 and Org2 endorse later blocks.
  const fabric::Identity orderer = first_creator(blocks->at(1));
  CHECK(cert_sha256(orderer.certificate) == ex[1]["orderer_signatures"][0]["signer_cert_sha256"].get<std::string>());
  const fabric::OrdererPolicy orderers{fabric::BlockValidation::kAnyWriter, {orderer}, {}};
  std::vector<fabric::Identity> endorser_ids;
  for (const fabric::Block& block : *blocks) {
    for (core::ByteView envelope : block.envelopes) {
      auto tx = fabric::decode_envelope(envelope);
      REQUIRE(tx.ok());
      for (const fabric::Action& action : tx->actions) {
        for (const fabric::Endorsement& e : action.endorsements) {
          endorser_ids.push_back({e.msp_id, core::Bytes(e.certificate.begin(), e.certificate.end())});
        }
      }
    }
  }
  const fabric::EndorsementPolicy endorsers{1, endorser_ids};
  for (std::size_t i = 0; i < blocks->size(); ++i) {
    check_block((*blocks)[i], ex[i], orderers, endorsers);
    if (i > 0) {
      const auto chained = fabric::check_chain((*blocks)[i - 1], (*blocks)[i]);
      CHECK(chained.ok() == ex[i]["previous_hash_matches_previous_block"].get<bool>());
    }
  }
  // What fabric's own hash_error_blocks.json says: block 0 DataHash, block 1 PreviousHash.
  CHECK(fabric::check_data_hash(blocks->at(0)).error().reason() == fabric::reason::kDataHashMismatch);
  CHECK(fabric::check_chain(blocks->at(0), blocks->at(1)).error().reason() == fabric::reason::kPreviousHashMismatch);
  test::report_cases("fabric sample_bad_ledger blocks", blocks->size());
}

TEST_CASE("fabric block3.pb matches fabric_expected.json", "[fabric]") {
  const auto expected = test::load_json_vector("fabric/fabric_expected.json");
  const auto bytes = test::load_binary_vector("fabric/block3.pb");
  if (!expected || !bytes) return;
  auto block = fabric::decode_block(*bytes);
  REQUIRE(block.ok());
  const fabric::Identity orderer = first_creator(*block);
  check_block(*block, (*expected)["block3_pb"]["blocks"][0], {fabric::BlockValidation::kAnyWriter, {orderer}, {}},
              {1, {orderer}});
}

TEST_CASE("fabric single-field mutations fail by name", "[fabric]") {
  const auto expected = test::load_json_vector("fabric/fabric_expected.json");
  const auto bytes = prod_block(4);
  const auto genesis = prod_block(0);
  if (!expected || !bytes || !genesis) return;
  auto zero = fabric::decode_block(*genesis);
  REQUIRE(zero.ok());
  const fabric::Identity sample_org = first_creator(*zero);
  const fabric::OrdererPolicy orderers{fabric::BlockValidation::kAnyWriter, {sample_org}, {}};
  const json& ex = (*expected)["sample_prod"]["blocks"][4];
  auto good = fabric::decode_block(*bytes);
  REQUIRE(good.ok());
  REQUIRE(fabric::verify_orderer_signatures(*good, orderers).ok());

  SECTION("a header byte") {
    const std::size_t at = find_bytes(*bytes, hex(ex["data_hash"].get<std::string>()));
    const core::Bytes mutated = flipped(*bytes, at + 5);
    auto block = fabric::decode_block(mutated);
    REQUIRE(block.ok());
    CHECK(fabric::check_data_hash(*block).error().reason() == fabric::reason::kDataHashMismatch);
    CHECK(fabric::verify_orderer_signatures(*block, orderers).error().reason() == fabric::reason::kBadOrdererSignature);
  }
  SECTION("an envelope byte") {
    const std::size_t at = find_bytes(*bytes, core::Bytes(good->envelopes[0].begin(), good->envelopes[0].begin() + 64));
    const core::Bytes mutated = flipped(*bytes, at + 60);
    auto block = fabric::decode_block(mutated);
    REQUIRE(block.ok());
    CHECK(fabric::check_data_hash(*block).error().reason() == fabric::reason::kDataHashMismatch);
    auto tx = fabric::decode_envelope(block->envelopes[0]);
    REQUIRE(tx.ok());
    CHECK(fabric::verify_creator(*tx).error().reason() == fabric::reason::kBadCreatorSignature);
  }
  SECTION("an orderer signature byte") {
    const core::Bytes der = hex(ex["orderer_signatures"][0]["signature_der"].get<std::string>());
    const core::Bytes mutated = flipped(*bytes, find_bytes(*bytes, der) + 10);
    auto block = fabric::decode_block(mutated);
    REQUIRE(block.ok());
    CHECK(fabric::check_data_hash(*block).ok());
    CHECK(fabric::verify_orderer_signatures(*block, orderers).error().reason() == fabric::reason::kBadOrdererSignature);
  }
  SECTION("a high-S creator signature") {
    auto tx = fabric::decode_envelope(good->envelopes[0]);
    REQUIRE(tx.ok());
    REQUIRE(fabric::verify_creator(*tx).ok());
    auto sig = core::parse_ecdsa_signature(tx->signature, core::SignatureEncoding::kDer);
    REQUIRE(sig.ok());
    // s' = n - s verifies under plain ECDSA; Fabric refuses it.
    negate_s(*sig);
    const core::Bytes high = core::encode_der(*sig);
    fabric::Transaction changed = *tx;
    changed.signature = high;
    const auto result = fabric::verify_creator(changed);
    CHECK(result.error().reason() == fabric::reason::kBadCreatorSignature);
    CHECK(result.error().message().find("p256.high_s") != std::string::npos);
  }
  SECTION("an orderer certificate other than the pinned one") {
    const auto other = test::load_binary_vector("fabric/block3.pb");
    REQUIRE(other);
    auto block3 = fabric::decode_block(*other);
    REQUIRE(block3.ok());
    const fabric::OrdererPolicy wrong{fabric::BlockValidation::kAnyWriter, {first_creator(*block3)}, {}};
    CHECK(fabric::verify_orderer_signatures(*good, wrong).error().reason() == fabric::reason::kOrdererPolicyNotMet);
    // Pinned certificate, wrong MSP id: not the same identity.
    fabric::OrdererPolicy renamed = orderers;
    renamed.writers[0].msp_id = "OtherOrg";
    CHECK(fabric::verify_orderer_signatures(*good, renamed).error().reason() == fabric::reason::kOrdererPolicyNotMet);
    auto tx = fabric::decode_envelope(good->envelopes[0]);
    REQUIRE(tx.ok());
    CHECK(fabric::verify_endorsements(*tx, {1, {first_creator(*block3)}}).error().reason() ==
          fabric::reason::kEndorsementPolicyNotMet);
    CHECK(fabric::verify_endorsements(*tx, {2, {sample_org}}).error().reason() ==
          fabric::reason::kEndorsementPolicyNotMet);
    CHECK(fabric::verify_endorsements(*tx, {1, {sample_org}}).ok());
  }
  SECTION("a garbled pinned certificate") {
    fabric::OrdererPolicy garbled = orderers;
    garbled.writers[0].certificate[40] ^= 0x01;
    CHECK(fabric::verify_orderer_signatures(*good, garbled).error().reason() == fabric::reason::kBadCertificate);
  }
  SECTION("a truncated varint") {
    // The block's first byte is the header field's key; its length varint is next.
    const core::Bytes cut(bytes->begin(), bytes->begin() + 2);
    CHECK(fabric::decode_block(cut).error().reason() == protobuf::reason::kTruncated);
    const core::Bytes unterminated = hex("0a80");
    CHECK(fabric::decode_block(unterminated).error().reason() == protobuf::reason::kTruncated);
  }
  SECTION("a wrong wire type or a repeated header") {
    CHECK(fabric::decode_block(hex("0801")).error().reason() == protobuf::reason::kWrongWireType);
    const core::Bytes header = ld(1, hex("0801"));
    core::Bytes twice = header;
    core::append(twice, header);
    CHECK(fabric::decode_block(twice).error().reason() == fabric::reason::kDuplicateField);
    CHECK(fabric::decode_block({}).error().reason() == fabric::reason::kMissingField);
  }
  SECTION("the endorser transaction type on a config envelope") {
    auto config = fabric::decode_envelope(zero->envelopes[0]);
    REQUIRE(config.ok());
    CHECK(fabric::verify_endorsements(*config, {1, {sample_org}}).error().reason() ==
          fabric::reason::kNotEndorserTransaction);
  }
}

TEST_CASE("fabric chaincode event is extracted from a hand-built envelope", "[fabric]") {
  // No fixture block carries an event, so the nesting is built here field by field (decoding
  // only; nothing in it is signed).
  const core::Bytes event = [] {
    core::Bytes e = ld(1, std::string_view("marbles"));
    core::append(e, ld(2, std::string_view("tx1")));
    core::append(e, ld(3, std::string_view("Transfer")));
    core::append(e, ld(4, hex("c0ffee")));
    return e;
  }();
  core::Bytes chaincode_action = ld(2, event);
  core::append(chaincode_action, ld(3, hex("08c801")));  // Response{status 200}
  core::append(chaincode_action, ld(4, ld(2, std::string_view("marbles"))));
  const core::Bytes prp = ld(2, chaincode_action);
  const core::Bytes endorsed = ld(1, prp);
  const core::Bytes action_payload = ld(2, endorsed);
  const core::Bytes transaction = ld(1, ld(2, action_payload));
  const core::Bytes channel_header = [] {
    core::Bytes c = hex("0803");
    core::append(c, ld(4, std::string_view("mychannel")));
    core::append(c, ld(5, std::string_view("tx1")));
    return c;
  }();
  core::Bytes payload = ld(1, ld(1, channel_header));
  core::append(payload, ld(2, transaction));
  const core::Bytes envelope = ld(1, payload);
  auto tx = fabric::decode_envelope(envelope);
  REQUIRE(tx.ok());
  REQUIRE(tx->actions.size() == 1);
  const fabric::Action& action = tx->actions[0];
  CHECK(action.chaincode_name == "marbles");
  CHECK(action.response_status == 200);
  REQUIRE(action.event.has_value());
  CHECK(action.event->chaincode_id == "marbles");
  CHECK(action.event->tx_id == "tx1");
  CHECK(action.event->event_name == "Transfer");
  CHECK(hx(action.event->payload) == "c0ffee");
  // An unsigned envelope has no creator to check, and its tx id cannot be bound to one.
  CHECK(fabric::verify_creator(*tx).error().reason() == fabric::reason::kBadCreatorSignature);
}

TEST_CASE("fabric BFT block validation needs ceil((n+f+1)/2) distinct consenters", "[fabric]") {
  // SmartBFT blocks are derived here: no fixture carries one. n = 4, f = 1, quorum 3.
  std::vector<TestSigner> signers;
  for (const char* name : {"c1", "c2", "c3", "c4"}) signers.emplace_back(name);
  fabric::OrdererPolicy policy{fabric::BlockValidation::kBftQuorum, {}, {}};
  for (std::uint32_t id = 1; id <= 4; ++id) {
    policy.consenters.push_back({id, {"OrdererMSP", signers[id - 1].certificate()}});
  }
  const BuiltBlock built;
  const auto verify = [&](const std::vector<core::Bytes>& signatures) {
    const core::Bytes bytes = built.encode(signatures);
    auto block = fabric::decode_block(bytes);
    REQUIRE(block.ok());
    REQUIRE(fabric::check_data_hash(*block).ok());
    return fabric::verify_orderer_signatures(*block, policy);
  };
  const core::Bytes s1 = built.bft_signature(signers[0], 1);
  const core::Bytes s2 = built.bft_signature(signers[1], 2);
  const core::Bytes s3 = built.bft_signature(signers[2], 3);
  CHECK(verify({s1, s2, s3}).ok());
  CHECK(verify({s1, s2}).error().reason() == fabric::reason::kOrdererPolicyNotMet);
  CHECK(verify({s1, s2, s1}).error().reason() == fabric::reason::kDuplicateOrderer);
  // Consenter 3's key under consenter 4's id: a signature that does not verify for the id named.
  CHECK(verify({s1, s2, built.bft_signature(signers[2], 4)}).error().reason() == fabric::reason::kBadOrdererSignature);
  CHECK(verify({s1, s2, built.bft_signature(signers[2], 1ull << 32)}).error().reason() ==
        fabric::reason::kBadConsenterId);
  // An id outside the consenter set is not counted.
  CHECK(verify({s1, s2, built.bft_signature(signers[2], 9)}).error().reason() == fabric::reason::kOrdererPolicyNotMet);
  // The same signatures under the Raft rule: no signature header, so no writer signed.
  fabric::OrdererPolicy raft{fabric::BlockValidation::kAnyWriter, {policy.consenters[0].identity}, {}};
  const core::Bytes bytes = built.encode({s1, s2, s3});
  auto block = fabric::decode_block(bytes);
  REQUIRE(block.ok());
  CHECK(fabric::verify_orderer_signatures(*block, raft).error().reason() == fabric::reason::kOrdererPolicyNotMet);
}

TEST_CASE("fabric Raft block validation is any one pinned writer", "[fabric]") {
  const TestSigner pinned("orderer0"), stranger("orderer9");
  const fabric::OrdererPolicy policy{fabric::BlockValidation::kAnyWriter, {{"OrdererMSP", pinned.certificate()}}, {}};
  const BuiltBlock built;
  const auto verify = [&](const std::vector<core::Bytes>& signatures) {
    const core::Bytes bytes = built.encode(signatures);
    auto block = fabric::decode_block(bytes);
    REQUIRE(block.ok());
    return fabric::verify_orderer_signatures(*block, policy);
  };
  CHECK(verify({built.raft_signature(pinned, "OrdererMSP")}).ok());
  // A stranger's signature is neither counted nor fatal.
  CHECK(verify({built.raft_signature(stranger, "OrdererMSP"), built.raft_signature(pinned, "OrdererMSP")}).ok());
  CHECK(verify({built.raft_signature(stranger, "OrdererMSP")}).error().reason() == fabric::reason::kOrdererPolicyNotMet);
  CHECK(verify({built.raft_signature(pinned, "Org1MSP")}).error().reason() == fabric::reason::kOrdererPolicyNotMet);
  CHECK(verify({}).error().reason() == fabric::reason::kOrdererPolicyNotMet);
}
