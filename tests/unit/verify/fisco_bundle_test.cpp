// Tests for relay/verify/fisco_receipt and the fisco bundle family (bundle.cpp, trust_anchors.cpp,
// verify.cpp): the real FISCO 2.x receipts and proofs (shared/vectors/fisco) with one-field
// mutations, and the derived ECDSA and SM blocks with a gateway MessageSent (data/fisco_derived.json,
// written by data/fisco_derive.mjs) verified as bundles, each mutation refused by its reason.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "relay/core/hash.hpp"
#include "relay/core/rlp.hpp"
#include "relay/core/secp256k1.hpp"
#include "relay/verify/bundle.hpp"
#include "relay/verify/fisco_receipt.hpp"
#include "relay/verify/fisco_seal.hpp"
#include "relay/verify/trust_anchors.hpp"
#include "relay/verify/verify.hpp"
#include "tests/unit/verify/verify_test_util.hpp"

using namespace causeway;
using namespace causeway::verify;
using causeway::test::hex;
using namespace causeway::test::verify_util;
using json = nlohmann::json;
namespace fr = causeway::verify::reason::fisco;

namespace {

std::string reason_name(const core::Error& error) { return std::string(error.reason().name); }

template <typename T>
std::string reason_of(const core::Result<T>& result) {
  REQUIRE_FALSE(result.ok());
  return reason_name(result.error());
}

// ---- the real receipts -------------------------------------------------------------------------

struct RealReceipt {
  json rpc;  // the RPC transactionReceipt the RLP was built from
  core::Bytes rlp;
  core::Hash32 hash;
  std::uint32_t index = 0;
  std::vector<Fisco2ProofUnit> proof;
  core::Hash32 receipts_root;
};

// Empty after a loud skip when the outside vectors are missing.
std::vector<RealReceipt> real_receipts() {
  auto fixture = causeway::test::load_json_vector("fisco/bcos2_blocks_and_proofs.json");
  if (!fixture) return {};
  std::vector<RealReceipt> out;
  for (const auto& r : (*fixture)["receipt_proofs"]) {
    RealReceipt rr;
    rr.rpc = r["rpc_json"]["transactionReceipt"];
    rr.rlp = hex(r["expected"]["receipt_rlp_7_fields"].get<std::string>());
    rr.hash = hash32(r["expected"]["receipt_hash"].get<std::string>());
    rr.index = r["expected"]["index"].get<std::uint32_t>();
    for (const auto& unit : r["rpc_json"]["receiptProof"]) {
      Fisco2ProofUnit u;
      for (const auto& l : unit["left"]) u.left.push_back(hex(l.get<std::string>()));
      for (const auto& l : unit["right"]) u.right.push_back(hex(l.get<std::string>()));
      rr.proof.push_back(std::move(u));
    }
    const std::string block_hash = r["expected"]["block_hash"].get<std::string>();
    for (const auto& block : (*fixture)["blocks"]) {
      if (block["expected"]["header_hash"] == block_hash) {
        rr.receipts_root = hash32(block["rpc_json"]["receiptsRoot"].get<std::string>());
      }
    }
    REQUIRE_FALSE(rr.receipts_root.is_zero());
    out.push_back(std::move(rr));
  }
  REQUIRE(out.size() == 2);
  return out;
}

// The receipt with field `index` replaced by the already encoded item `item`.
core::Bytes with_item(core::ByteView receipt, std::size_t index, const core::Bytes& item) {
  auto items = fields_of(receipt);
  REQUIRE(index < items.size());
  items[index] = item;
  return list_of_items(items);
}

// ---- the derived bundles -----------------------------------------------------------------------

const json& bundle_case(const std::string& crypto) {
  for (const auto& c : fisco_derived()["bundles"]) {
    if (c["crypto"] == crypto) return c;
  }
  FAIL("no derived bundle for " + crypto);
  return fisco_derived();
}

Bundle bundle_of(const std::string& crypto) {
  auto b = bundle_from_json(bundle_case(crypto)["bundle"]);
  REQUIRE(b.ok());
  return std::move(b).value();
}

TrustAnchors anchors_of(const std::string& crypto) {
  auto a = trust_anchors_from_json(bundle_case(crypto)["anchors"]);
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

void flip_last(core::Bytes& bytes) {
  REQUIRE_FALSE(bytes.empty());
  bytes.back() ^= 0x01;
}

// Replaces the first occurrence of `pattern` in `bytes` by `replacement` (same length).
void replace_first(core::Bytes& bytes, const core::Bytes& pattern, const core::Bytes& replacement) {
  REQUIRE(pattern.size() == replacement.size());
  const auto at = std::search(bytes.begin(), bytes.end(), pattern.begin(), pattern.end());
  REQUIRE(at != bytes.end());
  std::copy(replacement.begin(), replacement.end(), at);
}

// The derived ECDSA sealers' keys (fisco_derive.mjs: keccak256 of "causeway fisco ecdsa sealer i").
core::PrivateKey ecdsa_sealer_key(std::uint64_t index) {
  const std::string label = "causeway fisco ecdsa sealer " + std::to_string(index);
  const core::Bytes text(label.begin(), label.end());
  const core::Hash32 seed = core::keccak256(text);
  return core::PrivateKey::from_bytes(seed.view()).value();
}

// What the sealers themselves would produce for a block holding the changed receipt: the receipt's
// path to a new receiptsRoot, that root in the header, the header signed again by the same
// sealers. Only the event checks can then tell the bundle from a genuine one.
void reseal_ecdsa(Bundle& b) {
  const auto& in = b.fisco_inclusion;
  core::Bytes cur = fisco2_leaf(in.receipt_index, fisco_hash(FiscoCrypto::kEcdsa, in.receipt));
  for (const auto& unit : in.proof) {
    core::Bytes group;
    for (const auto& l : unit.left) group.insert(group.end(), l.begin(), l.end());
    group.insert(group.end(), cur.begin(), cur.end());
    for (const auto& r : unit.right) group.insert(group.end(), r.begin(), r.end());
    const core::Hash32 h = fisco_hash(FiscoCrypto::kEcdsa, group);
    cur.assign(h.bytes.begin(), h.bytes.end());
  }
  b.source.header = with_field(b.source.header, 3, cur);
  b.source.block_hash = fisco_hash(FiscoCrypto::kEcdsa, b.source.header);
  for (auto& seal : b.source.signatures) {
    const auto sig = core::sign_recoverable(b.source.block_hash, ecdsa_sealer_key(seal.sealer_index)).value();
    const auto rsv = sig.to_rsv(core::VByte::k0or1);
    seal.signature.assign(rsv.begin(), rsv.end());
  }
}

}  // namespace

// ---- receipts ----------------------------------------------------------------------------------

TEST_CASE("fisco 2.x real receipts decode, hash to the fixture and prove under receiptsRoot", "[fisco][vectors]") {
  const auto receipts = real_receipts();
  for (const auto& r : receipts) {
    auto receipt = decode_fisco2_receipt(r.rlp);
    REQUIRE(receipt.ok());
    // The decoded fields are the RPC's.
    CHECK(receipt->state_root == hash32(r.rpc["root"].get<std::string>()));
    CHECK(receipt->gas_used == std::stoull(r.rpc["gasUsed"].get<std::string>(), nullptr, 16));
    CHECK(core::to_hex(receipt->output) == r.rpc["output"].get<std::string>());
    CHECK_FALSE(receipt->remain_gas.has_value());  // the fixture's nodes are older than 2.9.0
    CHECK(receipt->status == 0);
    CHECK(receipt->logs.empty());
    CHECK(receipt->contract_address.is_zero());
    CHECK(require_fisco_success(*receipt).ok());
    CHECK(fisco2_receipt_hash(FiscoCrypto::kEcdsa, r.rlp) == r.hash);
    CHECK(verify_fisco2_proof(FiscoCrypto::kEcdsa, r.index, r.hash, r.proof, r.receipts_root).ok());
    // A log that is not there is refused by name once the receipt is proven.
    const FiscoReceiptProofInput input{r.index, 0, r.rlp, r.proof};
    CHECK(reason_of(prove_fisco2_log(FiscoCrypto::kEcdsa, r.receipts_root, input)) == "verify.log_index_out_of_range");
  }
  causeway::test::report_cases("fisco real receipts", receipts.size());
}

TEST_CASE("fisco 2.x receipt field mutations are refused by name", "[fisco][vectors]") {
  const auto receipts = real_receipts();
  if (receipts.empty()) return;
  const RealReceipt& r = receipts[1];
  const core::Bytes& rlp = r.rlp;
  auto rejects = [&](const core::Bytes& mutated) { return reason_of(decode_fisco2_receipt(mutated)); };
  const core::Bytes a_list = core::rlp::encode_list(std::vector<core::Bytes>{});

  CHECK(rejects(with_item(rlp, 0, core::rlp::encode_string(core::Bytes(31, 0x11)))) == "fisco.receipt_field_size");
  CHECK(rejects(with_item(rlp, 1, core::rlp::encode_string(core::Bytes{0x00, 0x01}))) == "fisco.receipt_field_size");
  CHECK(rejects(with_item(rlp, 2, core::rlp::encode_string(core::Bytes(19, 0)))) == "fisco.receipt_field_size");
  CHECK(rejects(with_item(rlp, 3, core::rlp::encode_string(core::Bytes(255, 0)))) == "fisco.receipt_field_size");
  CHECK(rejects(with_item(rlp, 4, a_list)) == "fisco.receipt_field_size");
  CHECK(rejects(with_item(rlp, 4, core::rlp::encode_string(core::Bytes(9, 0x01)))) == "fisco.receipt_field_size");
  CHECK(rejects(with_item(rlp, 5, a_list)) == "fisco.receipt_field_size");
  CHECK(rejects(with_item(rlp, 6, core::rlp::encode_string(core::Bytes{0x01}))) == "fisco.receipt_malformed");
  {
    auto items = fields_of(rlp);
    items.pop_back();
    CHECK(rejects(list_of_items(items)) == "fisco.receipt_malformed");  // 6 fields
    items.push_back(core::rlp::encode_uint(1));
    items.push_back(core::rlp::encode_uint(2));
    items.push_back(core::rlp::encode_uint(3));
    items.push_back(a_list);
    CHECK(rejects(list_of_items(items)) == "fisco.receipt_malformed");  // 9 fields
  }
  {
    core::Bytes trailing = rlp;
    trailing.push_back(0x00);
    CHECK(rejects(trailing) == "fisco.receipt_malformed");
  }
  {
    // A log whose address is 19 bytes.
    const core::Bytes bad_log = core::rlp::encode_list(std::vector<core::Bytes>{
        core::rlp::encode_string(core::Bytes(19, 0xaa)), a_list, core::rlp::encode_string(core::Bytes{})});
    CHECK(rejects(with_item(rlp, 6, core::rlp::encode_list(std::vector<core::Bytes>{bad_log}))) ==
          "fisco.receipt_malformed");
  }
  {
    // Status 0x16 (RevertInstruction) decodes, is a failed transaction, and no longer hashes to the leaf.
    const core::Bytes failed = with_item(rlp, 4, core::rlp::encode_uint(0x16));
    auto receipt = decode_fisco2_receipt(failed);
    REQUIRE(receipt.ok());
    CHECK(reason_of(require_fisco_success(*receipt)) == "fisco.transaction_failed");
    const FiscoReceiptProofInput input{r.index, 0, failed, r.proof};
    CHECK(reason_of(prove_fisco2_log(FiscoCrypto::kEcdsa, r.receipts_root, input)) == "fisco.root_mismatch");
  }
  {
    // The 8-field layout of nodes >= 2.9.0: remainGas before the logs.
    auto items = fields_of(rlp);
    items.insert(items.end() - 1, core::rlp::encode_uint(12345));
    auto receipt = decode_fisco2_receipt(list_of_items(items));
    REQUIRE(receipt.ok());
    CHECK(receipt->remain_gas == std::optional<std::uint64_t>(12345));
    items[6] = core::rlp::encode_string(core::Bytes{0x00, 0x01});
    CHECK(rejects(list_of_items(items)) == "fisco.receipt_field_size");
  }
}

TEST_CASE("fisco 2.x derived receipts in both layouts carry the gateway log", "[fisco][derived]") {
  for (const std::string crypto : {"ecdsa", "sm"}) {
    INFO(crypto);
    const Bundle b = bundle_of(crypto);
    auto receipt = decode_fisco2_receipt(b.fisco_inclusion.receipt);
    REQUIRE(receipt.ok());
    CHECK(receipt->remain_gas.has_value() == (bundle_case(crypto)["receipt_fields"] == 8));
    REQUIRE(receipt->logs.size() == 2);
    CHECK(receipt->logs[1].topics.at(0) == core::kMessageSentTopic);
    CHECK(receipt->logs[1].address == anchors_of(crypto).chains.at(0).gateway);
  }
}

TEST_CASE("fisco 3.x derived receipts hash as the independent derivation does", "[fisco][derived]") {
  std::size_t executed = 0;
  for (const auto& c : fisco_derived()["bcos3_receipts"]) {
    const json& r = c["receipt"];
    Fisco3Receipt receipt;
    receipt.version = r["version"].get<std::uint32_t>();
    receipt.gas_used = r["gasUsed"].get<std::string>();
    receipt.contract_address = r["contractAddress"].get<std::string>();
    receipt.status = r["status"].get<std::int32_t>();
    receipt.output = hex(r["output"].get<std::string>());
    receipt.effective_gas_price = r["effectiveGasPrice"].get<std::string>();
    for (const auto& l : r["logs"]) {
      Fisco3Log log{l["address"].get<std::string>(), {}, hex(l["data"].get<std::string>())};
      for (const auto& t : l["topics"]) log.topics.push_back(hash32(t.get<std::string>()));
      receipt.logs.push_back(std::move(log));
    }
    receipt.block_number = r["blockNumber"].get<std::uint64_t>();
    const FiscoCrypto crypto = c["crypto"] == "sm" ? FiscoCrypto::kSm : FiscoCrypto::kEcdsa;
    CHECK(fisco3_receipt_preimage(receipt) == hex(c["preimage"].get<std::string>()));
    CHECK(fisco3_receipt_hash(receipt, crypto) == hash32(c["hash"].get<std::string>()));
    // Every field reaches the hash; effectiveGasPrice only from version 1 on.
    Fisco3Receipt other = receipt;
    other.status += 1;
    CHECK(fisco3_receipt_hash(other, crypto) != fisco3_receipt_hash(receipt, crypto));
    other = receipt;
    other.logs[0].topics[1].bytes[0] ^= 0x01;
    CHECK(fisco3_receipt_hash(other, crypto) != fisco3_receipt_hash(receipt, crypto));
    other = receipt;
    other.effective_gas_price += "0";
    CHECK((fisco3_receipt_hash(other, crypto) == fisco3_receipt_hash(receipt, crypto)) == (receipt.version == 0));
    ++executed;
  }
  causeway::test::report_cases("fisco 3.x derived receipts", executed);
}

// ---- bundles and anchors: reading --------------------------------------------------------------

TEST_CASE("fisco bundles and anchors read strictly and write back unchanged", "[fisco][derived]") {
  for (const std::string crypto : {"ecdsa", "sm"}) {
    INFO(crypto);
    const json& c = bundle_case(crypto);
    const Bundle b = bundle_of(crypto);
    CHECK(b.family == core::ChainFamily::kFiscoBcos);
    CHECK(b.source.signatures.size() == 3);
    CHECK(b.fisco_inclusion.proof.size() == 3);
    CHECK(bundle_to_json(b) == c["bundle"]);
    const TrustAnchors anchors = anchors_of(crypto);
    REQUIRE(anchors.chains.size() == 1);
    CHECK(anchors.chains[0].family == core::ChainFamily::kFiscoBcos);
    CHECK(anchors.chains[0].fisco.crypto == (crypto == "sm" ? FiscoCrypto::kSm : FiscoCrypto::kEcdsa));
    CHECK(anchors.chains[0].fisco.sealers.size() == 4);
    CHECK(trust_anchors_to_json(anchors) == c["anchors"]);
  }

  const json& bundle = bundle_case("ecdsa")["bundle"];
  auto bundle_rejects = [](const json& j) { return reason_of(bundle_from_json(j)); };
  {
    json j = bundle;
    j["kind"] = "execution";
    CHECK(bundle_rejects(j) == "json.bad_field");
  }
  {
    json j = bundle;
    j["source"]["segment"] = json::array();
    CHECK(bundle_rejects(j) == "json.unknown_field");
  }
  {
    json j = bundle;
    j["inclusion"]["kind"] = "evm_receipt_mpt";
    CHECK(bundle_rejects(j) == "json.bad_field");
  }
  {
    json j = bundle;
    j["inclusion"]["tx_index"] = 17;
    CHECK(bundle_rejects(j) == "json.unknown_field");
  }
  {
    json j = bundle;
    j["source"]["signatures"][0]["index"] = "3";
    CHECK(bundle_rejects(j) == "json.bad_field");
  }
  {
    json j = bundle;
    j["family"] = "chainmaker";
    CHECK(bundle_rejects(j) == "json.bad_field");
  }

  const json& anchors = bundle_case("sm")["anchors"];
  auto anchors_reject = [](const json& j) { return reason_of(trust_anchors_from_json(j)); };
  {
    json j = anchors;
    j["chains"][0]["consensus"]["version"] = 4;
    CHECK(anchors_reject(j) == "anchors.unsupported_fisco_version");
    j["chains"][0]["consensus"]["version"] = 3;  // without the 3.x layout and weights
    CHECK(anchors_reject(j) == "json.missing_field");
  }
  {
    json j = anchors;
    j["chains"][0]["consensus"]["crypto"] = "gm";
    CHECK(anchors_reject(j) == "json.bad_field");
  }
  {
    json j = anchors;
    j["chains"][0]["consensus"]["mode"] = "raft";
    CHECK(anchors_reject(j) == "json.bad_field");
  }
  {
    json j = anchors;
    j["chains"][0]["consensus"]["sealers"][2] = j["chains"][0]["consensus"]["sealers"][0];
    CHECK(anchors_reject(j) == "verify.bad_trust_anchor");
  }
  {
    json j = anchors;
    j["chains"][0]["consensus"]["sealers"] = json::array();
    CHECK(anchors_reject(j) == "verify.bad_trust_anchor");
  }
  {
    json j = anchors;
    j["chains"][0]["group_id"] = "2";
    CHECK(anchors_reject(j) == "anchors.identity_mismatch");
  }
  {
    json j = anchors;
    j["chains"][0]["chain_id"] = "1/1";
    CHECK(anchors_reject(j) == "json.bad_field");
  }
  {
    json j = anchors;
    j["chains"][0]["consensus"]["validator_sets"] = json::array();
    CHECK(anchors_reject(j) == "json.unknown_field");
  }
}

// ---- bundles: verification ---------------------------------------------------------------------

TEST_CASE("fisco derived bundles verify in both crypto modes", "[fisco][derived]") {
  for (const std::string crypto : {"ecdsa", "sm"}) {
    INFO(crypto);
    const Bundle b = bundle_of(crypto);
    const Verdict v = run(b, anchors_of(crypto));
    INFO(verdict_to_json(v).dump(1));
    REQUIRE(v.outcome == Outcome::kValid);
    REQUIRE(v.id.has_value());
    CHECK(core::to_hex(*v.id) == bundle_case(crypto)["message_id"].get<std::string>());
    CHECK(v.claim == std::optional<core::Claim>(b.claim));
    // The claim is PROTOCOL.md section 4's over the FISCO block hash and the receipt's index.
    CHECK(*v.claim == core::claim_hash(*v.id, b.source.block_hash, b.source.block_number, 17, 1));
    const Check* finality = v.find(check::kFinality);
    REQUIRE(finality != nullptr);
    REQUIRE(finality->children.size() == 3);
    CHECK(finality->children[0].name == "sealer_set");
    CHECK(finality->children[1].name == "signatures");
    CHECK(finality->children[2].name == "quorum");
    for (const auto& child : finality->children) CHECK(child.status == CheckStatus::kOk);
    CHECK(finality->children[2].detail == "3 of 4 signed, 3 needed");
  }
}

TEST_CASE("fisco bundle mutations fail with their reasons", "[fisco][derived]") {
  for (const std::string crypto : {"ecdsa", "sm"}) {
    INFO(crypto);
    const Bundle good = bundle_of(crypto);
    const TrustAnchors anchors = anchors_of(crypto);
    auto fails = [&](const Bundle& b) { return problem(run(b, anchors)); };

    SECTION("a header field changed no longer hashes to the block hash") {
      Bundle b = good;
      b.source.header = with_field(b.source.header, 1, core::Bytes(32, 0x42));  // stateRoot
      CHECK(fails(b) == "header verify.block_hash_mismatch");
      b.source.block_hash = fisco_hash(anchors.chains[0].fisco.crypto, b.source.header);
      CHECK(fails(b) == "finality fisco.bad_signature");  // the sealers signed the other hash
    }
    SECTION("the block number differs from the header's") {
      Bundle b = good;
      b.source.block_number += 1;
      CHECK(fails(b) == "header verify.block_number_mismatch");
    }
    SECTION("a seal byte changed") {
      Bundle b = good;
      b.source.signatures[1].signature[5] ^= 0x01;
      CHECK(fails(b) == "finality fisco.bad_signature");
    }
    SECTION("one seal fewer is below the quorum") {
      Bundle b = good;
      b.source.signatures.pop_back();
      const Verdict v = run(b, anchors);
      CHECK(problem(v) == "finality fisco.quorum_not_met");
      const Check* finality = v.find(check::kFinality);
      REQUIRE(finality != nullptr);
      REQUIRE(finality->children.size() == 3);
      CHECK(finality->children[1].status == CheckStatus::kOk);
      CHECK(finality->children[2].status == CheckStatus::kFailed);
    }
    SECTION("one sealer's seal twice does not count twice") {
      Bundle b = good;
      b.source.signatures[2] = b.source.signatures[0];
      CHECK(fails(b) == "finality fisco.duplicate_sealer");
    }
    SECTION("a seal by a sealer outside the set") {
      Bundle b = good;
      b.source.signatures[0].sealer_index = 4;
      CHECK(fails(b) == "finality fisco.sealer_index_out_of_range");
      TrustAnchors other = anchors;
      other.chains[0].fisco.sealers[1][0] ^= 0x01;  // a set the header does not list
      const Verdict v = run(good, other);
      CHECK(problem(v) == "finality fisco.sealer_set_mismatch");
      REQUIRE(v.find(check::kFinality)->children.size() == 3);
      CHECK(v.find(check::kFinality)->children[0].status == CheckStatus::kFailed);
    }
    SECTION("a seal moved to another sealer's index") {
      Bundle b = good;
      b.source.signatures[0].sealer_index = 1;  // signed by sealer 3, claimed for sealer 1
      const std::string got = fails(b);
      CHECK((got == "finality fisco.bad_signature" || got == "finality fisco.signature_key_mismatch"));
    }
    SECTION("a receipt byte changed") {
      Bundle b = good;
      flip_last(b.fisco_inclusion.receipt);
      CHECK(fails(b) == "inclusion fisco.root_mismatch");
    }
    SECTION("a proof sibling changed") {
      Bundle b = good;
      flip_last(b.fisco_inclusion.proof[1].left[0]);
      CHECK(fails(b) == "inclusion fisco.root_mismatch");
    }
    SECTION("another receipt index") {
      Bundle b = good;
      b.fisco_inclusion.receipt_index = 16;
      CHECK(fails(b) == "inclusion fisco.proof_position");
      // Same position in another group: the level-0 sibling leaves name their own indices 16, 18, 19.
      b.fisco_inclusion.receipt_index = 33;
      CHECK(fails(b) == "inclusion fisco.proof_bad_sibling");
    }
    SECTION("a log index past the receipt's logs, or the other contract's log") {
      Bundle b = good;
      b.fisco_inclusion.log_index = 2;
      CHECK(fails(b) == "inclusion verify.log_index_out_of_range");
      b.fisco_inclusion.log_index = 0;
      CHECK(fails(b) == "event verify.wrong_emitter");
    }
    SECTION("a message field changed in the bundle") {
      Bundle b = good;
      b.message.payload.push_back(0x21);
      CHECK(fails(b) == "event verify.bundle_message_mismatch");
      b = good;
      b.message.sequence.value += 1;
      CHECK(fails(b) == "event verify.bundle_message_mismatch");
    }
    SECTION("the message names another chain or gateway") {
      Bundle b = good;
      b.message.src_gateway.bytes[31] ^= 0x01;
      CHECK(fails(b) == "identity verify.gateway_mismatch");
      b = good;
      b.message.src_chain.bytes[0] ^= 0x01;
      CHECK(fails(b) == "identity verify.chain_mismatch");
    }
    SECTION("another claim") {
      Bundle b = good;
      b.claim.bytes[0] ^= 0x01;
      CHECK(fails(b) == "claim verify.claim_mismatch");
    }
    SECTION("the anchors give the other crypto mode") {
      TrustAnchors other = anchors;
      auto& mode = other.chains[0].fisco.crypto;
      mode = mode == FiscoCrypto::kSm ? FiscoCrypto::kEcdsa : FiscoCrypto::kSm;
      CHECK(problem(run(good, other)) == "header verify.block_hash_mismatch");
    }
    SECTION("the anchors give another gateway") {
      TrustAnchors other = anchors;
      other.chains[0].gateway.bytes[19] ^= 0x01;
      CHECK(problem(run(good, other)) == "identity verify.gateway_mismatch");
    }
    SECTION("the block is older than the anchored one, or is the anchored one with another hash") {
      TrustAnchors other = anchors;
      other.chains[0].fisco.checkpoint.number = good.source.block_number + 1;
      CHECK(problem(run(good, other)) == "ancestry fisco.block_before_anchor");
      other.chains[0].fisco.checkpoint.number = good.source.block_number;
      CHECK(problem(run(good, other)) == "ancestry verify.checkpoint_mismatch");
      other.chains[0].fisco.checkpoint.hash = good.source.block_hash;
      CHECK(run(good, other).outcome == Outcome::kValid);
    }
    SECTION("a bundle naming the evm family for a fisco chain") {
      Bundle b = good;
      b.family = core::ChainFamily::kEvm;
      CHECK(fails(b) == "identity verify.family_mismatch");
    }
  }
}

// The event checks behind a correct seal: the derived ECDSA sealers re-sign a block whose receipt
// was changed, as colluding sealers could; the verifier must still refuse the event.
TEST_CASE("fisco events in sealed blocks are judged as on EVM", "[fisco][derived]") {
  const Bundle good = bundle_of("ecdsa");
  const TrustAnchors anchors = anchors_of("ecdsa");
  {
    Bundle b = good;
    reseal_ecdsa(b);  // nothing changed: the helper re-derives the very same bundle
    CHECK(b.source.header == good.source.header);
    CHECK(run(b, anchors).outcome == Outcome::kValid);
  }
  const core::Bytes gateway(anchors.chains[0].gateway.bytes.begin(), anchors.chains[0].gateway.bytes.end());
  SECTION("log address") {
    Bundle b = good;
    core::Bytes other = gateway;
    other.back() ^= 0x01;
    replace_first(b.fisco_inclusion.receipt, gateway, other);
    reseal_ecdsa(b);
    CHECK(problem(run(b, anchors)) == "event verify.wrong_emitter");
  }
  SECTION("sequence topic") {
    Bundle b = good;
    core::Bytes seven(32, 0);
    seven.back() = 7;
    core::Bytes eight = seven;
    eight.back() = 8;
    replace_first(b.fisco_inclusion.receipt, seven, eight);
    reseal_ecdsa(b);
    CHECK(problem(run(b, anchors)) == "event verify.topic_mismatch");
  }
  SECTION("event signature topic") {
    Bundle b = good;
    const core::Bytes topic0(core::kMessageSentTopic.bytes.begin(), core::kMessageSentTopic.bytes.end());
    core::Bytes other = topic0;
    other[0] ^= 0x01;
    replace_first(b.fisco_inclusion.receipt, topic0, other);
    reseal_ecdsa(b);
    CHECK(problem(run(b, anchors)) == "event verify.wrong_event");
  }
  SECTION("message field inside the event") {
    Bundle b = good;
    const std::string hello = "hello";
    const std::string jello = "jello";
    replace_first(b.fisco_inclusion.receipt, core::Bytes(hello.begin(), hello.end()),
                  core::Bytes(jello.begin(), jello.end()));
    reseal_ecdsa(b);
    CHECK(problem(run(b, anchors)) == "message_id verify.message_id_mismatch");
    b = good;
    flip_last(b.fisco_inclusion.receipt);  // the data's last byte: zero padding of the payload
    reseal_ecdsa(b);
    CHECK(problem(run(b, anchors)) == "event verify.bad_event_data");
  }
  SECTION("a failed transaction") {
    Bundle b = good;
    auto items = fields_of(b.fisco_inclusion.receipt);
    items[4] = core::rlp::encode_uint(0x16);
    b.fisco_inclusion.receipt = list_of_items(items);
    reseal_ecdsa(b);
    CHECK(problem(run(b, anchors)) == "inclusion fisco.transaction_failed");
  }
}
