// Tests for relay/verify/fisco_{header,seal,merkle}: the real FISCO BCOS 2.x blocks and proofs and
// the 3.0-rc header (shared/vectors/fisco), the derived GM-mode / signature-list / 3.x-proof
// vectors (data/fisco_derived.json, written by data/fisco_derive.mjs), and one-field mutations of
// each, refused by name.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "relay/core/hash.hpp"
#include "relay/core/rlp.hpp"
#include "relay/verify/fisco_header.hpp"
#include "relay/verify/fisco_merkle.hpp"
#include "relay/verify/fisco_seal.hpp"
#include "tests/unit/verify/verify_test_util.hpp"

using namespace causeway;
using namespace causeway::verify;
using causeway::test::hex;
using namespace causeway::test::verify_util;
using json = nlohmann::json;
namespace fr = causeway::verify::reason::fisco;

namespace Catch {
template <>
struct StringMaker<core::Reason> {
  static std::string convert(core::Reason reason) { return std::string(reason.name); }
};
}  // namespace Catch

namespace {

FiscoCrypto crypto_of(const json& j) { return j.get<std::string>() == "sm" ? FiscoCrypto::kSm : FiscoCrypto::kEcdsa; }

std::uint64_t number(const json& j) {
  if (j.is_number()) return j.get<std::uint64_t>();
  return std::stoull(j.get<std::string>(), nullptr, 16);
}

core::Reason reason_of(const core::Result<void>& result) {
  REQUIRE_FALSE(result.ok());
  return result.error().reason();
}
template <typename T>
core::Reason reason_of(const core::Result<T>& result) {
  REQUIRE_FALSE(result.ok());
  return result.error().reason();
}

// The 13-field RLP built from the RPC JSON, independently of the fixture's header_rlp.
core::Bytes bcos2_rlp_from_json(const json& j) {
  core::rlp::Encoder e;
  e.begin_list();
  for (const char* field : {"parentHash", "stateRoot", "transactionsRoot", "receiptsRoot", "dbHash", "logsBloom"}) {
    e.add_string(hex(j[field].get<std::string>()));
  }
  for (const char* field : {"number", "gasLimit", "gasUsed", "timestamp"}) e.add_uint(number(j[field]));
  e.begin_list();
  for (const auto& extra : j["extraData"]) e.add_string(hex(extra.get<std::string>()));
  e.end_list();
  e.add_uint(number(j["sealer"]));
  e.begin_list();
  for (const auto& id : j["sealerList"]) e.add_string(hex(id.get<std::string>()));
  e.end_list();
  e.end_list();
  return std::move(e).take();
}

std::vector<core::Bytes> node_ids(const json& list) {
  std::vector<core::Bytes> out;
  for (const auto& id : list) out.push_back(hex(id.get<std::string>()));
  return out;
}

// Signature entries view `storage`, which the caller keeps (and may mutate before building).
std::vector<FiscoSignature> signature_list(const std::vector<std::pair<std::uint64_t, core::Bytes>>& storage) {
  std::vector<FiscoSignature> out;
  for (const auto& [index, sig] : storage) out.push_back({index, sig});
  return out;
}

std::vector<std::pair<std::uint64_t, core::Bytes>> signatures_of(const json& list, const char* index_field) {
  std::vector<std::pair<std::uint64_t, core::Bytes>> out;
  for (const auto& s : list) out.emplace_back(number(s[index_field]), hex(s["signature"].get<std::string>()));
  return out;
}

std::vector<Fisco2ProofUnit> units_of(const json& proof) {
  std::vector<Fisco2ProofUnit> out;
  for (const auto& unit : proof) {
    Fisco2ProofUnit u;
    for (const auto& h : unit["left"]) u.left.push_back(hex(h.get<std::string>()));
    for (const auto& h : unit["right"]) u.right.push_back(hex(h.get<std::string>()));
    out.push_back(std::move(u));
  }
  return out;
}

std::vector<core::Hash32> hashes_of(const json& list) {
  std::vector<core::Hash32> out;
  for (const auto& h : list) out.push_back(hash32(h.get<std::string>()));
  return out;
}

Fisco3Header bcos3_from_json(const json& j) {
  Fisco3Header h;
  h.version = j["version"].get<std::uint32_t>();
  for (const auto& p : j["parentInfo"]) {
    h.parent_info.push_back({p["blockNumber"].get<std::uint64_t>(), hash32(p["blockHash"].get<std::string>())});
  }
  h.txs_root = hash32(j["txsRoot"].get<std::string>());
  h.receipts_root = hash32(j["receiptsRoot"].get<std::string>());
  h.state_root = hash32(j["stateRoot"].get<std::string>());
  h.number = j["number"].get<std::uint64_t>();
  h.gas_used = j["gasUsed"].get<std::string>();
  h.timestamp = j["timestamp"].get<std::uint64_t>();
  h.sealer = j["sealer"].get<std::uint64_t>();
  h.sealer_list = node_ids(j["sealerList"]);
  h.extra_data = hex(j["extraData"].get<std::string>());
  for (const auto& w : j["consensusWeights"]) h.consensus_weights.push_back(w.get<std::uint64_t>());
  return h;
}

// The 2.x header with item `index` of the 13 replaced by the given encoded item.
core::Bytes with_item(const core::Bytes& header, std::size_t index, core::Bytes item) {
  auto items = fields_of(header);
  items[index] = std::move(item);
  return list_of_items(items);
}

}  // namespace

TEST_CASE("fisco 2.x real headers decode and hash to the RPC hash", "[fisco][vectors]") {
  auto fixture = causeway::test::load_json_vector("fisco/bcos2_blocks_and_proofs.json");
  if (!fixture) return;
  std::size_t executed = 0;
  for (const auto& block : (*fixture)["blocks"]) {
    const auto& rpc = block["rpc_json"];
    const auto rlp = hex(block["expected"]["header_rlp"].get<std::string>());
    CHECK(bcos2_rlp_from_json(rpc) == rlp);
    auto header = decode_fisco2_header(rlp);
    REQUIRE(header.ok());
    CHECK(fisco2_header_hash(*header, FiscoCrypto::kEcdsa) == hash32(rpc["hash"].get<std::string>()));
    CHECK(fisco2_header_hash(*header, FiscoCrypto::kSm) != hash32(rpc["hash"].get<std::string>()));
    CHECK(header->number == number(rpc["number"]));
    CHECK(header->timestamp == number(rpc["timestamp"]));
    CHECK(header->sealer == number(rpc["sealer"]));
    CHECK(header->sealer_list.size() == block["expected"]["sealer_count"].get<std::size_t>());
    CHECK(fisco_quorum(header->sealer_list.size()) == block["expected"]["pbft_quorum_n_minus_f"].get<std::uint64_t>());
    CHECK(header->transactions_root == hash32(rpc["transactionsRoot"].get<std::string>()));
    std::vector<core::Hash32> tx_hashes;
    for (const auto& tx : rpc["transactions"]) tx_hashes.push_back(hash32(tx.is_string() ? tx.get<std::string>() : tx["hash"].get<std::string>()));
    CHECK(fisco2_merkle_root(FiscoCrypto::kEcdsa, tx_hashes) == header->transactions_root);
    ++executed;
  }
  causeway::test::report_cases("fisco 2.x headers", executed);
}

TEST_CASE("fisco 2.x header mutations change the hash or are refused by name", "[fisco][vectors]") {
  auto fixture = causeway::test::load_json_vector("fisco/bcos2_blocks_and_proofs.json");
  if (!fixture) return;
  const auto& block = (*fixture)["blocks"][1];
  const auto rlp = hex(block["expected"]["header_rlp"].get<std::string>());
  const auto expected = hash32(block["rpc_json"]["hash"].get<std::string>());
  const auto original = fields_of(rlp);
  // Every field is covered by the hash: flip one byte of each field's encoding (keeping its shape).
  for (std::size_t i = 0; i < original.size(); ++i) {
    auto item = original[i];
    item.back() ^= 0x01;
    auto header = decode_fisco2_header(with_item(rlp, i, item));
    if (header.ok()) {
      CHECK(fisco2_header_hash(*header, FiscoCrypto::kEcdsa) != expected);
    } else {
      // A flipped last byte may make an integer or index invalid, which must then be named.
      const auto r = header.error().reason();
      CHECK((r == fr::kHeaderFieldSize || r == fr::kBadSealerIndex || r == fr::kHeaderMalformed));
    }
  }
  CHECK(reason_of(decode_fisco2_header(with_item(rlp, 1, core::rlp::encode_string(core::Bytes(31, 1))))) ==
        fr::kHeaderFieldSize);
  CHECK(reason_of(decode_fisco2_header(with_item(rlp, 5, core::rlp::encode_string(core::Bytes(255, 0))))) ==
        fr::kHeaderFieldSize);
  CHECK(reason_of(decode_fisco2_header(with_item(rlp, 6, core::rlp::encode_string(core::Bytes(9, 1))))) ==
        fr::kHeaderFieldSize);
  CHECK(reason_of(decode_fisco2_header(with_item(rlp, 11, core::rlp::encode_uint(4)))) == fr::kBadSealerIndex);
  CHECK(reason_of(decode_fisco2_header(with_item(rlp, 12, core::rlp::encode_list({})))) == fr::kHeaderFieldSize);
  CHECK(reason_of(decode_fisco2_header(with_item(rlp, 10, core::rlp::encode_string(core::Bytes{1, 2})))) ==
        fr::kHeaderFieldSize);
  {
    std::vector<core::Bytes> ids = {core::rlp::encode_string(core::Bytes(63, 7))};
    CHECK(reason_of(decode_fisco2_header(with_item(rlp, 12, core::rlp::encode_list(ids)))) == fr::kHeaderFieldSize);
  }
  auto short_list = original;
  short_list.pop_back();
  CHECK(reason_of(decode_fisco2_header(list_of_items(short_list))) == fr::kHeaderMalformed);
  auto long_list = original;
  long_list.push_back(core::rlp::encode_uint(1));
  CHECK(reason_of(decode_fisco2_header(list_of_items(long_list))) == fr::kHeaderMalformed);
  auto trailing = rlp;
  trailing.push_back(0x80);
  CHECK(reason_of(decode_fisco2_header(trailing)) == fr::kHeaderMalformed);
}

TEST_CASE("fisco 2.x real tx and receipt proofs reach the header roots, mutations do not", "[fisco][vectors]") {
  auto fixture = causeway::test::load_json_vector("fisco/bcos2_blocks_and_proofs.json");
  if (!fixture) return;
  std::map<std::string, json> blocks;
  for (const auto& block : (*fixture)["blocks"]) blocks[block["rpc_json"]["hash"].get<std::string>()] = block["rpc_json"];
  std::size_t executed = 0;
  auto check_proof = [&](const json& entry, const char* object, const char* proof_field, const char* root_field,
                         const core::Hash32& hash) {
    const auto& tx = entry["rpc_json"][object];
    const auto& block = blocks.at(tx["blockHash"].get<std::string>());
    const auto root = hash32(block[root_field].get<std::string>());
    const auto index = number(tx["transactionIndex"]);
    const auto proof = units_of(entry["rpc_json"][proof_field]);
    CHECK(fisco2_leaf(index, hash) == hex(entry["expected"]["leaf"].get<std::string>()));
    CHECK(verify_fisco2_proof(FiscoCrypto::kEcdsa, index, hash, proof, root).ok());
    CHECK(reason_of(verify_fisco2_proof(FiscoCrypto::kSm, index, hash, proof, root)) == fr::kRootMismatch);
    CHECK(reason_of(verify_fisco2_proof(FiscoCrypto::kEcdsa, index + 1, hash, proof, root)) == fr::kProofPosition);
    auto other = hash;
    other.bytes[0] ^= 1;
    CHECK(reason_of(verify_fisco2_proof(FiscoCrypto::kEcdsa, index, other, proof, root)) == fr::kRootMismatch);
    CHECK(reason_of(verify_fisco2_proof(FiscoCrypto::kEcdsa, index, hash, std::span(proof).first(proof.size() - 1),
                                        root)) == (proof.size() == 1 ? fr::kProofLength : fr::kProofBadTop));
    if (!proof.front().left.empty()) {
      auto mutated = proof;
      mutated.front().left.back().back() ^= 1;  // a sibling's hash byte
      CHECK(reason_of(verify_fisco2_proof(FiscoCrypto::kEcdsa, index, hash, mutated, root)) == fr::kRootMismatch);
      mutated = proof;
      mutated.front().left.front().front() ^= 1;  // a sibling's index prefix
      CHECK(reason_of(verify_fisco2_proof(FiscoCrypto::kEcdsa, index, hash, mutated, root)) == fr::kProofBadSibling);
      mutated = proof;
      std::swap(mutated.front().left, mutated.front().right);
      CHECK(reason_of(verify_fisco2_proof(FiscoCrypto::kEcdsa, index, hash, mutated, root)) == fr::kProofBadSibling);
    }
    ++executed;
  };
  for (const auto& entry : (*fixture)["transaction_proofs"]) {
    const auto hash = hash32(entry["rpc_json"]["transaction"]["hash"].get<std::string>());
    check_proof(entry, "transaction", "txProof", "transactionsRoot", hash);
  }
  for (const auto& entry : (*fixture)["receipt_proofs"]) {
    const auto receipt = hex(entry["expected"]["receipt_rlp_7_fields"].get<std::string>());
    const auto hash = fisco_hash(FiscoCrypto::kEcdsa, receipt);
    CHECK(hash == hash32(entry["expected"]["receipt_hash"].get<std::string>()));
    check_proof(entry, "transactionReceipt", "receiptProof", "receiptsRoot", hash);
  }
  for (const auto& negative : (*fixture)["negative_cases"]) {
    const auto leaf = hex(negative["leaf"].get<std::string>());
    core::ByteView rest(leaf);
    auto prefix = core::rlp::decode_prefix(rest);
    REQUIRE(prefix.ok());
    auto index = core::rlp::read_uint64(*prefix);
    REQUIRE(index.ok());
    REQUIRE(rest.size() == 32);
    core::Hash32 hash;
    std::copy(rest.begin(), rest.end(), hash.bytes.begin());
    const auto result = verify_fisco2_proof(FiscoCrypto::kEcdsa, *index, hash, units_of(negative["proof"]),
                                            hash32(negative["root"].get<std::string>()));
    const auto name = negative["name"].get<std::string>();
    const auto expected = name.find("index prefix") != std::string::npos ? fr::kProofPosition
                          : name.find("swapped") != std::string::npos    ? fr::kProofBadSibling
                                                                         : fr::kRootMismatch;
    CHECK(reason_of(result) == expected);
    ++executed;
  }
  causeway::test::report_cases("fisco 2.x proofs", executed);
}

TEST_CASE("fisco 3.0-rc real header hashes and its sealer signatures meet the weighted quorum", "[fisco][vectors]") {
  auto fixture = causeway::test::load_json_vector("fisco/bcos3_rc_header.json");
  if (!fixture) return;
  const auto& rpc = (*fixture)["rpc_response"]["result"];
  const auto& expected = (*fixture)["expected"];
  const auto header = bcos3_from_json(rpc);
  REQUIRE(validate_fisco3_header(header).ok());
  CHECK(fisco3_header_preimage(header, Fisco3Layout::kReleaseCandidate) ==
        hex(expected["header_hash_preimage_rc_layout"].get<std::string>()));
  const auto hash = hash32(rpc["hash"].get<std::string>());
  CHECK(fisco3_header_hash(header, Fisco3Layout::kReleaseCandidate, FiscoCrypto::kEcdsa) == hash);
  CHECK(fisco3_header_hash(header, Fisco3Layout::kV3, FiscoCrypto::kEcdsa) ==
        hash32(expected["keccak_of_3_0_0_big_endian_layout"].get<std::string>()));

  const auto configured = node_ids(rpc["sealerList"]);
  const std::vector<std::uint64_t> weights = {1, 1};
  const auto stored = signatures_of(rpc["signatureList"], "sealerIndex");
  auto report = verify_fisco3_seals(header, Fisco3Layout::kReleaseCandidate, FiscoCrypto::kEcdsa, configured, weights,
                                    signature_list(stored));
  REQUIRE(report.ok());
  CHECK(report->header_hash == hash);
  CHECK(report->signed_power == expected["total_weight"].get<std::uint64_t>());
  CHECK(report->quorum == expected["min_required_quorum"].get<std::uint64_t>());

  auto seals = [&](const Fisco3Header& h, std::vector<std::pair<std::uint64_t, core::Bytes>> sigs) {
    return verify_fisco3_seals(h, Fisco3Layout::kReleaseCandidate, FiscoCrypto::kEcdsa, configured, weights,
                               signature_list(sigs));
  };
  // Wrong layout: the signatures are over the rc hash.
  CHECK(reason_of(verify_fisco3_seals(header, Fisco3Layout::kV3, FiscoCrypto::kEcdsa, configured, weights,
                                      signature_list(stored))) == fr::kBadSignature);
  auto mutated = stored;
  mutated[1].second[10] ^= 1;
  CHECK(reason_of(seals(header, mutated)) == fr::kBadSignature);
  mutated = stored;
  mutated[0].second[64] = 2;
  CHECK(reason_of(seals(header, mutated)) == fr::kBadSignature);
  mutated = stored;
  mutated[0].second.pop_back();
  CHECK(reason_of(seals(header, mutated)) == fr::kSignatureLength);
  mutated = stored;
  mutated[1].first = 0;
  CHECK(reason_of(seals(header, mutated)) == fr::kDuplicateSealer);
  mutated = stored;
  mutated[1].first = 2;
  CHECK(reason_of(seals(header, mutated)) == fr::kSealerIndexOutOfRange);
  mutated = stored;
  std::swap(mutated[0].first, mutated[1].first);  // each signature mapped to the other sealer
  CHECK(reason_of(seals(header, mutated)) == fr::kBadSignature);
  mutated = stored;
  mutated.pop_back();
  CHECK(reason_of(seals(header, mutated)) == fr::kQuorumNotMet);
  auto changed = header;
  changed.timestamp += 1;
  CHECK(reason_of(seals(changed, stored)) == fr::kBadSignature);
  changed = header;
  changed.gas_used = "24364";
  CHECK(reason_of(seals(changed, stored)) == fr::kBadSignature);
  changed = header;
  changed.gas_used = "0x5f2b";
  CHECK(reason_of(seals(changed, stored)) == fr::kHeaderFieldSize);
  changed = header;
  changed.consensus_weights.push_back(1);
  CHECK(reason_of(seals(changed, stored)) == fr::kWeightsMismatch);
  changed = header;
  changed.sealer = 2;
  CHECK(reason_of(seals(changed, stored)) == fr::kBadSealerIndex);
  changed = header;
  changed.sealer_list[1].back() ^= 1;
  CHECK(reason_of(seals(changed, stored)) == fr::kSealerSetMismatch);
  changed = header;
  changed.consensus_weights = {1, 2};
  CHECK(reason_of(seals(changed, stored)) == fr::kSealerSetMismatch);
  const std::vector<std::uint64_t> zero = {0, 0};
  changed = header;
  changed.consensus_weights = zero;
  CHECK(reason_of(verify_fisco3_seals(changed, Fisco3Layout::kReleaseCandidate, FiscoCrypto::kEcdsa, configured, zero,
                                      signature_list(stored))) == fr::kBadWeights);
}

TEST_CASE("fisco 2.x derived headers in both modes verify their signature lists", "[fisco][derived]") {
  std::size_t executed = 0;
  for (const auto& block : fisco_derived()["bcos2_headers"]) {
    INFO(block["name"].get<std::string>());
    const auto crypto = crypto_of(block["crypto"]);
    const auto rlp = hex(block["header_rlp"].get<std::string>());
    CHECK(bcos2_rlp_from_json(block["fields"]) == rlp);
    auto header = decode_fisco2_header(rlp);
    REQUIRE(header.ok());
    const auto hash = hash32(block["header_hash"].get<std::string>());
    CHECK(fisco2_header_hash(*header, crypto) == hash);
    CHECK(header->extra_data.size() == 1);
    const auto configured = node_ids(block["fields"]["sealerList"]);
    const auto stored = signatures_of(block["signatureList"], "index");
    auto seals = [&](const std::vector<std::pair<std::uint64_t, core::Bytes>>& sigs, FiscoCrypto mode) {
      return verify_fisco2_seals(*header, mode, configured, signature_list(sigs));
    };
    auto report = seals(stored, crypto);
    REQUIRE(report.ok());
    CHECK(report->header_hash == hash);
    CHECK(report->signed_power == 4);
    CHECK(report->quorum == 3);
    CHECK(seals({stored.begin(), stored.begin() + 3}, crypto).ok());
    CHECK(reason_of(seals({stored.begin(), stored.begin() + 2}, crypto)) == fr::kQuorumNotMet);
    CHECK(reason_of(seals(stored, crypto == FiscoCrypto::kSm ? FiscoCrypto::kEcdsa : FiscoCrypto::kSm)) ==
          fr::kSignatureLength);

    auto mutated = stored;
    mutated[2].second[5] ^= 1;  // inside r
    CHECK(reason_of(seals(mutated, crypto)) == fr::kBadSignature);
    mutated = stored;
    mutated[2].second[40] ^= 1;  // inside s
    CHECK(reason_of(seals(mutated, crypto)) == fr::kBadSignature);
    mutated = stored;
    mutated[3].first = mutated[0].first;
    CHECK(reason_of(seals(mutated, crypto)) == fr::kDuplicateSealer);
    mutated = stored;
    mutated[1].first = 4;
    CHECK(reason_of(seals(mutated, crypto)) == fr::kSealerIndexOutOfRange);
    mutated = stored;
    std::swap(mutated[0].first, mutated[1].first);
    CHECK(reason_of(seals(mutated, crypto)) ==
          (crypto == FiscoCrypto::kSm ? fr::kSignatureKeyMismatch : fr::kBadSignature));
    if (crypto == FiscoCrypto::kSm) {
      mutated = stored;
      mutated[0].second.resize(64);  // 2.x SM2 signatures always carry the key
      CHECK(reason_of(seals(mutated, crypto)) == fr::kSignatureLength);
      mutated = stored;
      mutated[0].second[100] ^= 1;
      CHECK(reason_of(seals(mutated, crypto)) == fr::kSignatureKeyMismatch);
    } else {
      mutated = stored;
      mutated[0].second[64] = 27;  // consensus seals use v = 0/1
      CHECK(reason_of(seals(mutated, crypto)) == fr::kBadSignature);
    }
    auto other_set = configured;
    other_set[3][0] ^= 1;
    CHECK(reason_of(verify_fisco2_seals(*header, crypto, other_set, signature_list(stored))) ==
          fr::kSealerSetMismatch);
    other_set = configured;
    other_set.pop_back();
    CHECK(reason_of(verify_fisco2_seals(*header, crypto, other_set, signature_list(stored))) ==
          fr::kSealerSetMismatch);
    // A changed header field changes the hash the sealers signed.
    auto changed_rlp = with_item(rlp, 6, core::rlp::encode_uint(1235));
    auto changed = decode_fisco2_header(changed_rlp);
    REQUIRE(changed.ok());
    CHECK(reason_of(verify_fisco2_seals(*changed, crypto, configured, signature_list(stored))) == fr::kBadSignature);
    ++executed;
  }
  causeway::test::report_cases("fisco 2.x derived headers", executed);
}

TEST_CASE("fisco 3.x derived headers hash in the 3.0 layout and meet the quorum by weight", "[fisco][derived]") {
  std::size_t executed = 0;
  for (const auto& block : fisco_derived()["bcos3_headers"]) {
    INFO(block["name"].get<std::string>());
    const auto crypto = crypto_of(block["crypto"]);
    const auto header = bcos3_from_json(block["header"]);
    CHECK(fisco3_header_preimage(header, Fisco3Layout::kV3) == hex(block["preimage"].get<std::string>()));
    const auto hash = hash32(block["hash"].get<std::string>());
    CHECK(fisco3_header_hash(header, Fisco3Layout::kV3, crypto) == hash);
    const auto configured = header.sealer_list;
    const auto weights = header.consensus_weights;
    const auto stored = signatures_of(block["signatureList"], "sealerIndex");
    auto seals = [&](const Fisco3Header& h, const std::vector<std::pair<std::uint64_t, core::Bytes>>& sigs) {
      return verify_fisco3_seals(h, Fisco3Layout::kV3, crypto, configured, weights, signature_list(sigs));
    };
    auto report = seals(header, stored);
    REQUIRE(report.ok());
    CHECK(report->header_hash == hash);
    CHECK(report->signed_power == 7);
    CHECK(report->quorum == 7);
    // Weight 4 alone, or 3 alone, is short of 7 even though it is one of two signatures.
    CHECK(reason_of(seals(header, {stored[0]})) == fr::kQuorumNotMet);
    CHECK(reason_of(seals(header, {stored[1]})) == fr::kQuorumNotMet);
    auto mutated = stored;
    mutated[1].second[3] ^= 1;
    CHECK(reason_of(seals(header, mutated)) == fr::kBadSignature);
    mutated = stored;
    mutated[1].first = 3;
    CHECK(reason_of(seals(header, mutated)) == fr::kDuplicateSealer);
    mutated = stored;
    mutated[1].first = 1;  // weight 2 sealer named for sealer 2's signature
    CHECK(reason_of(seals(header, mutated)) == fr::kBadSignature);
    auto changed = header;
    changed.extra_data.push_back(3);
    CHECK(reason_of(seals(changed, stored)) == fr::kBadSignature);
    changed = header;
    changed.parent_info[0].number += 1;
    CHECK(reason_of(seals(changed, stored)) == fr::kBadSignature);
    ++executed;
  }
  causeway::test::report_cases("fisco 3.x derived headers", executed);
}

TEST_CASE("fisco 2.x derived trees: roots and multi-level proofs", "[fisco][derived]") {
  std::size_t executed = 0;
  for (const auto& tree : fisco_derived()["bcos2_trees"]) {
    const auto crypto = crypto_of(tree["crypto"]);
    const auto hashes = hashes_of(tree["hashes"]);
    const auto root = hash32(tree["root"].get<std::string>());
    CHECK(fisco2_merkle_root(crypto, hashes) == root);
    for (const auto& entry : tree["proofs"]) {
      const auto index = entry["index"].get<std::uint64_t>();
      const auto proof = units_of(entry["proof"]);
      CHECK(verify_fisco2_proof(crypto, index, hashes[index], proof, root).ok());
      if (proof.size() > 2) {
        auto mutated = proof;
        (mutated[1].left.empty() ? mutated[1].right : mutated[1].left).front()[7] ^= 1;
        CHECK(reason_of(verify_fisco2_proof(crypto, index, hashes[index], mutated, root)) == fr::kRootMismatch);
        mutated = proof;
        mutated[1].right.push_back(core::Bytes(31, 0));
        CHECK(reason_of(verify_fisco2_proof(crypto, index, hashes[index], mutated, root)) == fr::kProofBadSibling);
        mutated = proof;
        mutated.back().left.push_back(core::Bytes(32, 0));
        CHECK(reason_of(verify_fisco2_proof(crypto, index, hashes[index], mutated, root)) == fr::kProofBadTop);
        mutated = proof;
        while (mutated.front().left.size() + mutated.front().right.size() < 16) {
          mutated.front().right.push_back(fisco2_leaf(99, core::Hash32{}));
        }
        CHECK(reason_of(verify_fisco2_proof(crypto, index, hashes[index], mutated, root)) == fr::kProofBadGroup);
      }
      CHECK(reason_of(verify_fisco2_proof(crypto, index + 1, hashes[index], proof, root)) == fr::kProofPosition);
      // Same position in the group, another group: the leaf siblings no longer carry their own indexes.
      const bool has_leaf_siblings = !proof.front().left.empty() || !proof.front().right.empty();
      CHECK(reason_of(verify_fisco2_proof(crypto, index + 16, hashes[index], proof, root)) ==
            (has_leaf_siblings ? fr::kProofBadSibling : fr::kProofPosition));
      ++executed;
    }
  }
  std::vector<Fisco2ProofUnit> empty;
  CHECK(reason_of(verify_fisco2_proof(FiscoCrypto::kSm, 0, core::Hash32{}, empty, core::Hash32{})) == fr::kProofLength);
  CHECK(fisco2_merkle_root(FiscoCrypto::kSm, {}) == core::sm3(core::ByteView{}));
  causeway::test::report_cases("fisco 2.x derived proofs", executed);
}

TEST_CASE("fisco 3.x derived binary trees: roots and proofs, mutations refused by name", "[fisco][derived]") {
  std::size_t executed = 0;
  for (const auto& tree : fisco_derived()["bcos3_trees"]) {
    const auto crypto = crypto_of(tree["crypto"]);
    const auto leaves = hashes_of(tree["leaves"]);
    const auto root = hash32(tree["root"].get<std::string>());
    INFO(leaves.size() << " leaves");
    CHECK(fisco3_merkle_root(crypto, leaves) == root);
    for (const auto& entry : tree["proofs"]) {
      const auto index = entry["index"].get<std::size_t>();
      const auto proof = hashes_of(entry["proof"]);
      CHECK(verify_fisco3_proof(crypto, index, leaves[index], proof, root).ok());
      auto other_leaf = leaves[index];
      other_leaf.bytes[31] ^= 1;
      CHECK(reason_of(verify_fisco3_proof(crypto, index, other_leaf, proof, root)) == fr::kProofNotInGroup);
      auto other_root = root;
      other_root.bytes[0] ^= 1;
      CHECK(reason_of(verify_fisco3_proof(crypto, index, leaves[index], proof, other_root)) == fr::kRootMismatch);
      // The proof binds the position: the same proof for another index, or one past the tree.
      const std::size_t levels = proof.size() == 1 ? 0 : leaves.size() <= 2 ? 1 : leaves.size() <= 4 ? 2 : 3;
      CHECK(reason_of(verify_fisco3_proof(crypto, index + (std::size_t{1} << levels), leaves[index], proof, root)) ==
            fr::kProofPosition);
      if (proof.size() > 1 && proof[0].bytes[3] == 2) {
        CHECK(reason_of(verify_fisco3_proof(crypto, index ^ 1, leaves[index], proof, root)) == fr::kProofPosition);
      }
      if (proof.size() > 1) {
        auto mutated = proof;
        mutated[0].bytes[3] = 3;  // a group wider than the binary tree
        CHECK(reason_of(verify_fisco3_proof(crypto, index, leaves[index], mutated, root)) == fr::kProofBadGroup);
        mutated = proof;
        mutated[0].bytes[31] = 1;  // count item with a non-zero tail
        CHECK(reason_of(verify_fisco3_proof(crypto, index, leaves[index], mutated, root)) == fr::kProofBadGroup);
        mutated = proof;
        mutated.pop_back();
        CHECK(reason_of(verify_fisco3_proof(crypto, index, leaves[index], mutated, root)) == fr::kProofTruncated);
        if (proof[0].bytes[3] == 2) {
          mutated = proof;
          // A wrong node is caught by the next group up, or by the root at the top.
          const auto wrong_node = proof.size() == 3 ? fr::kRootMismatch : fr::kProofNotInGroup;
          std::swap(mutated[1], mutated[2]);  // the node in its sibling's slot
          CHECK(reason_of(verify_fisco3_proof(crypto, index, leaves[index], mutated, root)) == fr::kProofPosition);
          mutated = proof;
          mutated[index % 2 == 0 ? 2 : 1].bytes[0] ^= 1;  // the sibling itself
          CHECK(reason_of(verify_fisco3_proof(crypto, index, leaves[index], mutated, root)) == wrong_node);
        }
      }
      ++executed;
    }
  }
  std::vector<core::Hash32> empty;
  CHECK(reason_of(verify_fisco3_proof(FiscoCrypto::kEcdsa, 0, core::Hash32{}, empty, core::Hash32{})) ==
        fr::kProofLength);
  CHECK(fisco3_merkle_root(FiscoCrypto::kEcdsa, empty).is_zero());
  causeway::test::report_cases("fisco 3.x derived proofs", executed);
}
