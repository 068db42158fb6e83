// Tests for FISCO BCOS 3.x bundles (bundle.cpp, trust_anchors.cpp, verify.cpp, prove_fisco3_log):
// the derived ECDSA and SM blocks with a gateway MessageSent (data/fisco_derived.json `bundles3`,
// written by data/fisco_derive.mjs with ethers and sm-crypto, not by a FISCO node) read strictly,
// verified, and every single-field mutation refused by its reason.
#include <catch2/catch.hpp>

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "relay/core/hash.hpp"
#include "relay/core/secp256k1.hpp"
#include "relay/verify/bundle.hpp"
#include "relay/verify/fisco_receipt.hpp"
#include "relay/verify/fisco_seal.hpp"
#include "relay/verify/trust_anchors.hpp"
#include "relay/verify/verify.hpp"
#include "tests/unit/verify/verify_test_util.hpp"

using namespace causeway;
using namespace causeway::verify;
using namespace causeway::test::verify_util;
using json = nlohmann::json;

namespace {

template <typename T>
std::string reason_of(const core::Result<T>& result) {
  REQUIRE_FALSE(result.ok());
  return std::string(result.error().reason().name);
}

const json& case3(const std::string& crypto) {
  for (const auto& c : fisco_derived()["bundles3"]) {
    if (c["crypto"] == crypto) return c;
  }
  FAIL("no derived 3.x bundle for " + crypto);
  return fisco_derived();
}

Bundle bundle3_of(const std::string& crypto) {
  auto b = bundle_from_json(case3(crypto)["bundle"]);
  INFO((b.ok() ? std::string() : b.error().message()));
  REQUIRE(b.ok());
  return std::move(b).value();
}

TrustAnchors anchors3_of(const std::string& crypto) {
  auto a = trust_anchors_from_json(case3(crypto)["anchors"]);
  INFO((a.ok() ? std::string() : a.error().message()));
  REQUIRE(a.ok());
  return std::move(a).value();
}

Verdict run(const Bundle& b, const TrustAnchors& anchors) { return verify_bundle(b, anchors, NoCanonicalHashes{}); }

// The first problem's check and reason, "check reason".
std::string problem(const Verdict& v) {
  const Check* c = v.first_problem();
  if (c == nullptr) return "none";
  return c->name + " " + std::string(c->reason.name);
}

// The derived ECDSA sealers' keys (fisco_derive.mjs: keccak256 of "causeway fisco ecdsa sealer i").
core::PrivateKey ecdsa_sealer_key(std::uint64_t index) {
  const std::string label = "causeway fisco ecdsa sealer " + std::to_string(index);
  const core::Hash32 seed = core::keccak256(core::Bytes(label.begin(), label.end()));
  return core::PrivateKey::from_bytes(seed.view()).value();
}

// What colluding sealers would produce for a block holding the changed receipt: the receipt's
// recomputed hash carried up its proof (each group's node at the index's slot replaced) to a new
// receiptsRoot, that root in the header, the header signed again. Only the checks after the seals
// can then tell the bundle from a genuine one.
void reseal_ecdsa(Bundle& b) {
  const FiscoCrypto crypto = FiscoCrypto::kEcdsa;
  auto& proof = b.fisco3_inclusion.proof;
  core::Hash32 current = fisco3_receipt_hash(b.fisco3_inclusion.receipt, crypto);
  std::uint64_t position = b.fisco3_inclusion.receipt_index;
  for (std::size_t at = 0; at < proof.size();) {
    const std::size_t count = proof[at].bytes[3];
    proof[at + 1 + position % 2] = current;
    core::Bytes joined;
    for (std::size_t i = 0; i < count; ++i) core::append(joined, proof[at + 1 + i].view());
    current = fisco_hash(crypto, joined);
    position /= 2;
    at += 1 + count;
  }
  b.source.fisco3_header.receipts_root = current;
  b.source.block_hash = fisco3_header_hash(b.source.fisco3_header, Fisco3Layout::kV3, crypto);
  for (auto& seal : b.source.signatures) {
    const auto sig = core::sign_recoverable(b.source.block_hash, ecdsa_sealer_key(seal.sealer_index)).value();
    const auto rsv = sig.to_rsv(core::VByte::k0or1);
    seal.signature.assign(rsv.begin(), rsv.end());
  }
}

}  // namespace

TEST_CASE("fisco 3.x bundles and anchors read strictly and write back unchanged", "[fisco][derived]") {
  for (const std::string crypto : {"ecdsa", "sm"}) {
    INFO(crypto);
    const json& c = case3(crypto);
    const Bundle b = bundle3_of(crypto);
    CHECK(b.family == core::ChainFamily::kFiscoBcos);
    CHECK(b.source.fisco_version == 3);
    CHECK(b.source.header.empty());
    CHECK(b.source.fisco3_header.sealer_list.size() == 4);
    CHECK(b.source.signatures.size() == 3);
    CHECK(b.fisco3_inclusion.proof.size() == 8);  // three groups: 2 + 1 + 2 nodes and their counts
    CHECK(b.fisco3_inclusion.receipt.version == (crypto == "sm" ? 1u : 0u));
    CHECK(bundle_to_json(b) == c["bundle"]);
    const TrustAnchors anchors = anchors3_of(crypto);
    REQUIRE(anchors.chains.size() == 1);
    CHECK(anchors.chains[0].fisco.version == 3);
    CHECK(anchors.chains[0].fisco.layout == Fisco3Layout::kV3);
    CHECK(anchors.chains[0].fisco.weights == std::vector<std::uint64_t>{1, 2, 3, 4});
    CHECK(trust_anchors_to_json(anchors) == c["anchors"]);
  }

  const json& bundle = case3("sm")["bundle"];
  auto bundle_rejects = [](const json& j) { return reason_of(bundle_from_json(j)); };
  auto bundle_with = [&](const std::function<void(json&)>& edit) {
    json j = bundle;
    edit(j);
    return bundle_rejects(j);
  };
  CHECK(bundle_with([](json& j) { j["source"]["version"] = 2; }) == "json.bad_field");
  CHECK(bundle_with([](json& j) { j["source"].erase("version"); }) == "json.bad_field");  // read as 2.x: no RLP header
  CHECK(bundle_with([](json& j) { j["inclusion"]["kind"] = "fisco2_receipt_merkle"; }) == "json.bad_field");
  CHECK(bundle_with([](json& j) { j["source"]["signatures"][0]["index"] = 3; }) == "json.unknown_field");
  CHECK(bundle_with([](json& j) { j["source"]["header"].erase("consensus_weights"); }) == "json.missing_field");
  CHECK(bundle_with([](json& j) { j["source"]["header"]["number"] = 2300; }) == "json.bad_field");
  CHECK(bundle_with([](json& j) { j["source"]["header"]["sealer_list"][0] = "0x" + std::string(130, 'a'); }) ==
        "json.bad_field");
  CHECK(bundle_with([](json& j) { j["inclusion"]["receipt"]["status"] = "0"; }) == "json.bad_field");
  CHECK(bundle_with([](json& j) { j["inclusion"]["receipt"]["status"] = 1ll << 31; }) == "json.bad_field");
  CHECK(bundle_with([](json& j) { j["inclusion"]["receipt"]["logs"][0]["topics"].push_back(json::array()); }) ==
        "json.bad_field");
  CHECK(bundle_with([](json& j) { j["inclusion"]["proof"][1] = "0x" + std::string(62, '0'); }) == "json.bad_field");
  CHECK(bundle_with([](json& j) { j["inclusion"]["proof"] = json::array(); }) == "json.bad_field");
  {
    // effectiveGasPrice is hashed from receipt version 1 on only: a value in a version 0 receipt is unbound.
    json j = case3("ecdsa")["bundle"];
    j["inclusion"]["receipt"]["effective_gas_price"] = "1";
    CHECK(bundle_rejects(j) == "json.bad_field");
  }

  const json& anchors = case3("ecdsa")["anchors"];
  auto anchors_with = [&](const std::function<void(json&)>& edit) {
    json j = anchors;
    edit(j);
    return reason_of(trust_anchors_from_json(j));
  };
  auto consensus = [](json& j) -> json& { return j["chains"][0]["consensus"]; };
  CHECK(anchors_with([&](json& j) { consensus(j)["version"] = 4; }) == "anchors.unsupported_fisco_version");
  CHECK(anchors_with([&](json& j) { consensus(j).erase("weights"); }) == "json.missing_field");
  CHECK(anchors_with([&](json& j) { consensus(j).erase("layout"); }) == "json.missing_field");
  CHECK(anchors_with([&](json& j) { consensus(j)["layout"] = "v4"; }) == "json.bad_field");
  CHECK(anchors_with([&](json& j) { consensus(j)["weights"].erase(3); }) == "verify.bad_trust_anchor");
  CHECK(anchors_with([&](json& j) { consensus(j)["weights"][1] = 0; }) == "json.bad_field");
  CHECK(anchors_with([&](json& j) { consensus(j)["weights"][1] = 1ll << 32; }) == "json.bad_field");
  CHECK(anchors_with([&](json& j) { consensus(j)["version"] = 2; }) == "json.unknown_field");  // 2.x has no weights
  {
    json j = anchors;
    consensus(j)["layout"] = "rc";
    auto read = trust_anchors_from_json(j);
    REQUIRE(read.ok());
    CHECK(read->chains[0].fisco.layout == Fisco3Layout::kReleaseCandidate);
    CHECK(trust_anchors_to_json(*read) == j);
  }
}

TEST_CASE("fisco 3.x derived bundles verify in both crypto modes", "[fisco][derived]") {
  for (const std::string crypto : {"ecdsa", "sm"}) {
    INFO(crypto);
    const Bundle b = bundle3_of(crypto);
    const Verdict v = run(b, anchors3_of(crypto));
    INFO(verdict_to_json(v).dump(1));
    REQUIRE(v.outcome == Outcome::kValid);
    REQUIRE(v.id.has_value());
    CHECK(core::to_hex(*v.id) == case3(crypto)["message_id"].get<std::string>());
    // The claim is PROTOCOL.md section 4's over the recomputed 3.x block hash and the receipt's index.
    REQUIRE(v.claim.has_value());
    CHECK(*v.claim == core::claim_hash(*v.id, b.source.block_hash, 2300, 4, 1));
    CHECK(b.source.block_hash == fisco3_header_hash(b.source.fisco3_header, Fisco3Layout::kV3,
                                                    crypto == "sm" ? FiscoCrypto::kSm : FiscoCrypto::kEcdsa));
    const Check* header = v.find(check::kHeader);
    REQUIRE(header != nullptr);
    CHECK(header->detail.find("3.x v3 layout") != std::string::npos);
    const Check* finality = v.find(check::kFinality);
    REQUIRE(finality != nullptr);
    REQUIRE(finality->children.size() == 3);
    for (const auto& child : finality->children) CHECK(child.status == CheckStatus::kOk);
    CHECK(finality->children[2].detail == "weight 8 of 10 signed, 7 needed");
    CHECK(v.find(check::kInclusion)->detail.find("version " + std::string(crypto == "sm" ? "1" : "0")) !=
          std::string::npos);
  }
}

TEST_CASE("fisco 3.x bundle mutations fail with their reasons", "[fisco][derived]") {
  for (const std::string crypto : {"ecdsa", "sm"}) {
    INFO(crypto);
    const FiscoCrypto mode = crypto == "sm" ? FiscoCrypto::kSm : FiscoCrypto::kEcdsa;
    const Bundle good = bundle3_of(crypto);
    const TrustAnchors anchors = anchors3_of(crypto);
    auto fails = [&](const Bundle& b) { return problem(run(b, anchors)); };
    auto rehash = [&](Bundle& b) {
      b.source.block_hash = fisco3_header_hash(b.source.fisco3_header, Fisco3Layout::kV3, mode);
    };

    SECTION("a header field changed: the hash changes, then the seals no longer match") {
      Bundle b = good;
      b.source.fisco3_header.state_root.bytes[0] ^= 0x01;
      CHECK(fails(b) == "header verify.block_hash_mismatch");
      rehash(b);
      CHECK(fails(b) == "finality fisco.bad_signature");
      b = good;
      b.source.fisco3_header.gas_used += "0";
      rehash(b);
      CHECK(fails(b) == "finality fisco.bad_signature");
      b = good;
      b.source.fisco3_header.parent_info[0].number += 1;
      rehash(b);
      CHECK(fails(b) == "finality fisco.bad_signature");
    }
    SECTION("the block number differs from the header's") {
      Bundle b = good;
      b.source.block_number += 1;
      CHECK(fails(b) == "header verify.block_number_mismatch");
    }
    SECTION("a header that is not well formed") {
      Bundle b = good;
      b.source.fisco3_header.consensus_weights.pop_back();
      CHECK(fails(b) == "header fisco.weights_mismatch");
      b = good;
      b.source.fisco3_header.gas_used = "0x10";
      CHECK(fails(b) == "header fisco.header_field_size");
    }
    SECTION("the header's sealers or weights are not the anchored ones") {
      Bundle b = good;
      b.source.fisco3_header.consensus_weights = {4, 3, 2, 1};
      rehash(b);
      const Verdict v = run(b, anchors);
      CHECK(problem(v) == "finality fisco.sealer_set_mismatch");
      CHECK(v.find(check::kFinality)->children[0].status == CheckStatus::kFailed);
      TrustAnchors other = anchors;
      other.chains[0].fisco.weights[0] = 7;  // enough, with sealer 3, to carry any quorum alone
      CHECK(problem(run(good, other)) == "finality fisco.sealer_set_mismatch");
      other = anchors;
      other.chains[0].fisco.sealers[1][0] ^= 0x01;
      CHECK(problem(run(good, other)) == "finality fisco.sealer_set_mismatch");
    }
    SECTION("a signature byte changed") {
      Bundle b = good;
      b.source.signatures[1].signature[5] ^= 0x01;
      CHECK(fails(b) == "finality fisco.bad_signature");
    }
    SECTION("a sealer index out of range, or one sealer twice") {
      Bundle b = good;
      b.source.signatures[0].sealer_index = 4;
      CHECK(fails(b) == "finality fisco.sealer_index_out_of_range");
      b = good;
      b.source.signatures[2] = b.source.signatures[0];
      CHECK(fails(b) == "finality fisco.duplicate_sealer");
    }
    SECTION("the quorum is by weight, not by count") {
      // Sealers 3 (weight 4) and 2 (weight 3) reach 7 of 10 alone: two of four sealers suffice.
      Bundle b = good;
      b.source.signatures.erase(b.source.signatures.begin() + 1);
      CHECK(run(b, anchors).outcome == Outcome::kValid);
      // Sealers 3 and 0 weigh 5: below the quorum although they are half the sealers.
      b = good;
      b.source.signatures.pop_back();
      const Verdict v = run(b, anchors);
      CHECK(problem(v) == "finality fisco.quorum_not_met");
      CHECK(v.find(check::kFinality)->children[2].detail == "5 signed, 7 needed");
    }
    SECTION("a receipt field changed no longer hashes into the proof") {
      Bundle b = good;
      b.fisco3_inclusion.receipt.gas_used += "1";
      CHECK(fails(b) == "inclusion fisco.proof_not_in_group");
      b = good;
      b.fisco3_inclusion.receipt.logs[1].data.back() ^= 0x01;
      CHECK(fails(b) == "inclusion fisco.proof_not_in_group");
      b = good;
      b.fisco3_inclusion.receipt.logs[1].address = "0x" + b.fisco3_inclusion.receipt.logs[1].address;
      CHECK(fails(b) == "inclusion fisco.proof_not_in_group");  // the text is hashed as stored
    }
    SECTION("a proof node or count changed") {
      Bundle b = good;
      b.fisco3_inclusion.proof[2].bytes[0] ^= 0x01;  // the target's sibling
      CHECK(fails(b) == "inclusion fisco.proof_not_in_group");
      b = good;
      b.fisco3_inclusion.proof[6].bytes[0] ^= 0x01;  // the top group's other node
      CHECK(fails(b) == "inclusion fisco.root_mismatch");
      b = good;
      b.fisco3_inclusion.proof[0].bytes[3] = 1;  // the first group loses the sibling
      CHECK(fails(b) == "inclusion fisco.proof_bad_group");
      b = good;
      b.fisco3_inclusion.proof[3].bytes[3] = 2;  // the lone node's group swallows the next count
      CHECK(fails(b) == "inclusion fisco.proof_bad_group");
      b = good;
      b.fisco3_inclusion.proof.pop_back();
      CHECK(fails(b) == "inclusion fisco.proof_truncated");
    }
    SECTION("another receipt index") {
      Bundle b = good;
      b.fisco3_inclusion.receipt_index = 5;  // the sibling's slot
      CHECK(fails(b) == "inclusion fisco.proof_position");
      b.fisco3_inclusion.receipt_index = 4 + 8;  // past the three levels
      CHECK(fails(b) == "inclusion fisco.proof_position");
    }
    SECTION("a log index past the receipt's logs, or the other contract's log") {
      Bundle b = good;
      b.fisco3_inclusion.log_index = 2;
      CHECK(fails(b) == "inclusion verify.log_index_out_of_range");
      b.fisco3_inclusion.log_index = 0;
      CHECK(fails(b) == "event verify.wrong_emitter");
    }
    SECTION("the message payload or another claim in the bundle") {
      Bundle b = good;
      b.message.payload.push_back(0x21);
      CHECK(fails(b) == "event verify.bundle_message_mismatch");
      b = good;
      b.claim.bytes[0] ^= 0x01;
      CHECK(fails(b) == "claim verify.claim_mismatch");
    }
    SECTION("anchors with another layout, crypto mode or version") {
      TrustAnchors other = anchors;
      other.chains[0].fisco.layout = Fisco3Layout::kReleaseCandidate;
      CHECK(problem(run(good, other)) == "header verify.block_hash_mismatch");
      other = anchors;
      other.chains[0].fisco.crypto = mode == FiscoCrypto::kSm ? FiscoCrypto::kEcdsa : FiscoCrypto::kSm;
      CHECK(problem(run(good, other)) == "header verify.block_hash_mismatch");
      other = anchors;
      other.chains[0].fisco.version = 2;
      CHECK(problem(run(good, other)) == "header fisco.version_mismatch");
    }
    SECTION("the block is older than the anchored one") {
      TrustAnchors other = anchors;
      other.chains[0].fisco.checkpoint.number = good.source.block_number + 1;
      CHECK(problem(run(good, other)) == "ancestry fisco.block_before_anchor");
    }
  }
}

// Behind correct seals: the derived ECDSA sealers re-sign a block whose receipt was changed, as
// colluding sealers could; the receipt and event checks must still refuse it.
TEST_CASE("fisco 3.x receipts in sealed blocks are judged by their fields", "[fisco][derived]") {
  const Bundle good = bundle3_of("ecdsa");
  const TrustAnchors anchors = anchors3_of("ecdsa");
  {
    Bundle b = good;
    reseal_ecdsa(b);  // nothing changed: the helper re-derives the very same bundle
    CHECK(b.source.block_hash == good.source.block_hash);
    CHECK(b.fisco3_inclusion.proof == good.fisco3_inclusion.proof);
    CHECK(run(b, anchors).outcome == Outcome::kValid);
  }
  auto resealed = [&](const std::function<void(Fisco3Receipt&)>& edit) {
    Bundle b = good;
    edit(b.fisco3_inclusion.receipt);
    reseal_ecdsa(b);
    return problem(run(b, anchors));
  };
  CHECK(resealed([](Fisco3Receipt& r) { r.status = 22; }) == "inclusion fisco.transaction_failed");
  CHECK(resealed([](Fisco3Receipt& r) { r.block_number += 1; }) == "inclusion fisco.receipt_block_mismatch");
  CHECK(resealed([](Fisco3Receipt& r) { r.logs[1].address = "not an address"; }) == "inclusion fisco.log_address");
  CHECK(resealed([](Fisco3Receipt& r) { r.logs[1].address.pop_back(); }) == "inclusion fisco.log_address");
  CHECK(resealed([](Fisco3Receipt& r) { r.logs[1].address.back() = 'd'; }) == "event verify.wrong_emitter");
  CHECK(resealed([](Fisco3Receipt& r) { r.logs[1].topics[3].bytes[31] = 8; }) == "event verify.topic_mismatch");
  CHECK(resealed([](Fisco3Receipt& r) { r.logs[1].topics[0].bytes[0] ^= 0x01; }) == "event verify.wrong_event");
  {
    // The address as the RPC may print it (0x, upper case) is another text but the same emitter:
    // the resealed block verifies, its claim naming the new block hash.
    Bundle b = good;
    b.fisco3_inclusion.receipt.logs[1].address = "0x" + std::string(36, '0') + "F15C";
    reseal_ecdsa(b);
    const Verdict v = run(b, anchors);
    CHECK(problem(v) == "claim verify.claim_mismatch");
    REQUIRE(v.id.has_value());
    b.claim = core::claim_hash(*v.id, b.source.block_hash, b.source.block_number, 4, 1);
    CHECK(run(b, anchors).outcome == Outcome::kValid);
  }
}
