// Strict reading and writing of proof bundles (see bundle.hpp).
#include "relay/verify/bundle.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <optional>

#include <nlohmann/json.hpp>

#include "relay/core/base64.hpp"
#include "relay/core/hash.hpp"
#include "relay/core/hex_prefix.hpp"
#include "relay/core/message_json.hpp"
#include "relay/core/rlp.hpp"
#include "relay/verify/json_read.hpp"

namespace causeway::verify {
namespace {

using json_read::field_path;
using json_read::index_path;
using nlohmann::json;

core::Result<std::vector<core::Bytes>> read_hex_list(const json& j, const std::string& path, std::size_t max_items,
                                                     std::size_t max_item_bytes) {
  CW_CHECK(json_read::check_array(j, path, max_items));
  std::vector<core::Bytes> out;
  out.reserve(j.size());
  for (std::size_t i = 0; i < j.size(); ++i) {
    CW_TRY(core::Bytes item, json_read::read_hex(j[i], index_path(path, i), max_item_bytes));
    if (item.empty()) return json_read::bad(index_path(path, i), "empty");
    out.push_back(std::move(item));
  }
  return out;
}

// The block every family's source names: its chain, number, hash and (non-empty) header. The
// caller has checked the object's keys, which differ by family.
core::Result<BundleSource> read_source_block(const json& j, const BundleLimits& limits) {
  BundleSource s;
  CW_TRY(s.chain_identity, json_read::read_fixed<core::ChainIdentity>(j["chain_identity"], "source.chain_identity"));
  CW_TRY(s.block_number, json_read::read_decimal(j["block_number"], "source.block_number"));
  CW_TRY(s.block_hash, json_read::read_fixed<core::Hash32>(j["block_hash"], "source.block_hash"));
  CW_TRY(s.header, json_read::read_hex(j["header"], "source.header", limits.max_header_bytes));
  if (s.header.empty()) return json_read::bad("source.header", "empty");
  return s;
}

// Every inclusion kind starts alike: its kind, which must be `expected_kind`, the transaction's
// index in the block (a field the family names, read into `index`) and the log's index within the
// receipt. The caller has checked the object's keys and reads the receipt and the proof.
template <typename Inclusion>
core::Result<Inclusion> read_inclusion_indices(const json& j, std::string_view expected_kind,
                                               const std::string& index_field, std::uint32_t Inclusion::*index) {
  CW_TRY(const std::string kind, json_read::read_string(j["kind"], "inclusion.kind", 64));
  if (kind != expected_kind) return json_read::bad("inclusion.kind", "unsupported \"" + kind + "\"");
  CW_TRY(const std::uint64_t tx,
         json_read::read_uint(j[index_field], field_path("inclusion", index_field), 0xffffffffu));
  CW_TRY(const std::uint64_t log, json_read::read_uint(j["log_index"], "inclusion.log_index", 0xffffffffu));
  Inclusion in;
  in.*index = static_cast<std::uint32_t>(tx);
  in.log_index = static_cast<std::uint32_t>(log);
  return in;
}

core::Result<core::Bytes> read_receipt(const json& j, const BundleLimits& limits) {
  CW_TRY(core::Bytes receipt, json_read::read_hex(j, "inclusion.receipt", limits.max_receipt_bytes));
  if (receipt.empty()) return json_read::bad("inclusion.receipt", "empty");
  return receipt;
}

core::Result<BundleSource> read_source(const json& j, const BundleLimits& limits) {
  CW_CHECK(json_read::check_object(j, "source", {"chain_identity", "block_number", "block_hash", "header"}, {"segment"}));
  CW_TRY(BundleSource s, read_source_block(j, limits));
  if (j.contains("segment")) {
    CW_TRY(s.segment, read_hex_list(j["segment"], "source.segment", limits.max_segment_headers, limits.max_header_bytes));
  }
  return s;
}

// The value in an MPT proof's last node when that node is a leaf: the receipt an EVM bundle need
// not restate (it is the larger half of the bundle). Only a candidate, read without hashing: the
// verifier proves it against the header's receiptsRoot exactly as it proves a stated receipt.
std::optional<core::ByteView> leaf_value(const std::vector<core::Bytes>& proof) noexcept {
  if (proof.empty()) return std::nullopt;
  auto node = core::rlp::decode_exact(proof.back());
  if (!node || !node->is_list) return std::nullopt;
  std::array<core::rlp::Item, 2> items;
  auto count = core::rlp::split_list(node->payload, items);
  if (!count || *count != 2 || items[0].is_list || items[1].is_list || items[1].payload.empty()) return std::nullopt;
  auto path = core::hex_prefix::decode(items[0].payload);
  if (!path || !path->is_leaf) return std::nullopt;
  return items[1].payload;
}

// `receipt` may be left out when the proof's leaf holds it (bundle_to_json does so whenever it can).
core::Result<EvmReceiptInclusion> read_inclusion(const json& j, const BundleLimits& limits) {
  CW_CHECK(json_read::check_object(j, "inclusion", {"kind", "tx_index", "log_index", "proof"}, {"receipt"}));
  CW_TRY(EvmReceiptInclusion in,
         read_inclusion_indices(j, "evm_receipt_mpt", "tx_index", &EvmReceiptInclusion::tx_index));
  CW_TRY(in.proof, read_hex_list(j["proof"], "inclusion.proof", limits.max_proof_nodes, limits.max_proof_node_bytes));
  if (in.proof.empty()) return json_read::bad("inclusion.proof", "empty");
  if (j.contains("receipt")) {
    CW_TRY(in.receipt, read_receipt(j["receipt"], limits));
    return in;
  }
  const auto leaf = leaf_value(in.proof);
  if (!leaf) return json_read::bad("inclusion.receipt", "absent, and the proof's last node is not a leaf holding it");
  if (leaf->size() > limits.max_receipt_bytes) {
    return json_read::bad("inclusion.receipt", "the proof's leaf holds " + std::to_string(leaf->size()) +
                                                   " bytes, more than " + std::to_string(limits.max_receipt_bytes));
  }
  in.receipt.assign(leaf->begin(), leaf->end());
  return in;
}

// FISCO: the source without a segment (PBFT seals make each block final alone) but with the block's
// signature list.
core::Result<BundleSource> read_fisco_source(const json& j, const BundleLimits& limits) {
  CW_CHECK(json_read::check_object(j, "source", {"chain_identity", "block_number", "block_hash", "header", "signatures"}));
  CW_TRY(BundleSource s, read_source_block(j, limits));
  const json& list = j["signatures"];
  CW_CHECK(json_read::check_array(list, "source.signatures", limits.max_signatures));
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string path = index_path("source.signatures", i);
    CW_CHECK(json_read::check_object(list[i], path, {"index", "signature"}));
    BundleSeal seal;
    CW_TRY(seal.sealer_index, json_read::read_uint(list[i]["index"], field_path(path, "index"), 0xffffffffu));
    CW_TRY(seal.signature, json_read::read_hex(list[i]["signature"], field_path(path, "signature"),
                                               limits.max_signature_bytes));
    if (seal.signature.empty()) return json_read::bad(field_path(path, "signature"), "empty");
    s.signatures.push_back(std::move(seal));
  }
  return s;
}

core::Result<FiscoReceiptInclusion> read_fisco_inclusion(const json& j, const BundleLimits& limits) {
  CW_CHECK(json_read::check_object(j, "inclusion", {"kind", "receipt_index", "log_index", "receipt", "proof"}));
  CW_TRY(FiscoReceiptInclusion in, read_inclusion_indices(j, "fisco2_receipt_merkle", "receipt_index",
                                                           &FiscoReceiptInclusion::receipt_index));
  CW_TRY(in.receipt, read_receipt(j["receipt"], limits));
  const json& units = j["proof"];
  CW_CHECK(json_read::check_array(units, "inclusion.proof", kMaxFisco2ProofUnits));
  if (units.empty()) return json_read::bad("inclusion.proof", "empty");
  for (std::size_t u = 0; u < units.size(); ++u) {
    const std::string path = index_path("inclusion.proof", u);
    CW_CHECK(json_read::check_object(units[u], path, {"left", "right"}));
    Fisco2ProofUnit unit;
    // At most 15 siblings beside the node in a group of 16; the verifier judges their shape.
    CW_TRY(unit.left, read_hex_list(units[u]["left"], field_path(path, "left"), 15, limits.max_proof_node_bytes));
    CW_TRY(unit.right, read_hex_list(units[u]["right"], field_path(path, "right"), 15, limits.max_proof_node_bytes));
    in.proof.push_back(std::move(unit));
  }
  return in;
}

// A 3.x receipt string as the node stores it, which may be empty (a call's contractAddress, a
// version 0 receipt's effectiveGasPrice).
core::Result<std::string> read_stored_text(const json& j, const std::string& path, std::size_t max_length) {
  if (!j.is_string()) return json_read::bad(path, "expected a string");
  const auto& text = j.get_ref<const std::string&>();
  if (text.size() > max_length) return json_read::bad(path, "more than " + std::to_string(max_length) + " characters");
  return text;
}

// A JSON integer that fits an int32: a 3.x receipt status.
core::Result<std::int32_t> read_int32(const json& j, const std::string& path) {
  if (!j.is_number_integer()) return json_read::bad(path, "expected an integer");
  const auto value = j.get<std::int64_t>();
  if (value < std::numeric_limits<std::int32_t>::min() || value > std::numeric_limits<std::int32_t>::max() ||
      (j.is_number_unsigned() && j.get<std::uint64_t>() > std::numeric_limits<std::int32_t>::max())) {
    return json_read::bad(path, "out of the int32 range");
  }
  return static_cast<std::int32_t>(value);
}

core::Result<core::Hash32> read_hash(const json& j, const std::string& path) {
  return json_read::read_fixed<core::Hash32>(j, path);
}

core::Result<std::vector<core::Hash32>> read_hash_list(const json& j, const std::string& path, std::size_t max_items) {
  CW_CHECK(json_read::check_array(j, path, max_items));
  std::vector<core::Hash32> out;
  out.reserve(j.size());
  for (std::size_t i = 0; i < j.size(); ++i) {
    CW_TRY(core::Hash32 item, read_hash(j[i], index_path(path, i)));
    out.push_back(item);
  }
  return out;
}

// A FISCO 3.x header's data fields (BlockHeaderData, PROOF_FORMATS.md B.3) under their RPC names in
// snake case; the verifier recomputes the hash from them, so none is believed.
core::Result<Fisco3Header> read_fisco3_header(const json& j, const BundleLimits& limits) {
  const std::string path = "source.header";
  CW_CHECK(json_read::check_object(j, path, {"version", "parent_info", "txs_root", "receipts_root", "state_root",
                                             "number", "gas_used", "timestamp", "sealer", "sealer_list", "extra_data",
                                             "consensus_weights"}));
  Fisco3Header h;
  CW_TRY(const std::uint64_t version, json_read::read_uint(j["version"], field_path(path, "version"), 0xffffffffu));
  h.version = static_cast<std::uint32_t>(version);
  const std::string parents_path = field_path(path, "parent_info");
  CW_CHECK(json_read::check_array(j["parent_info"], parents_path, limits.max_parent_info));
  for (std::size_t i = 0; i < j["parent_info"].size(); ++i) {
    const std::string where = index_path(parents_path, i);
    CW_CHECK(json_read::check_object(j["parent_info"][i], where, {"number", "hash"}));
    Fisco3ParentInfo parent;
    CW_TRY(parent.number, json_read::read_decimal(j["parent_info"][i]["number"], field_path(where, "number")));
    CW_TRY(parent.hash, read_hash(j["parent_info"][i]["hash"], field_path(where, "hash")));
    h.parent_info.push_back(parent);
  }
  CW_TRY(h.txs_root, read_hash(j["txs_root"], field_path(path, "txs_root")));
  CW_TRY(h.receipts_root, read_hash(j["receipts_root"], field_path(path, "receipts_root")));
  CW_TRY(h.state_root, read_hash(j["state_root"], field_path(path, "state_root")));
  CW_TRY(h.number, json_read::read_decimal(j["number"], field_path(path, "number")));
  CW_TRY(h.gas_used, json_read::read_string(j["gas_used"], field_path(path, "gas_used"), limits.max_fisco3_text));
  CW_TRY(h.timestamp, json_read::read_decimal(j["timestamp"], field_path(path, "timestamp")));
  CW_TRY(h.sealer, json_read::read_uint(j["sealer"], field_path(path, "sealer"), 0xffffffffu));
  CW_TRY(h.sealer_list, read_hex_list(j["sealer_list"], field_path(path, "sealer_list"), limits.max_signatures,
                                      kFiscoNodeIdSize));
  CW_TRY(h.extra_data, json_read::read_hex(j["extra_data"], field_path(path, "extra_data"), limits.max_header_bytes));
  const std::string weights_path = field_path(path, "consensus_weights");
  CW_CHECK(json_read::check_array(j["consensus_weights"], weights_path, limits.max_signatures));
  for (std::size_t i = 0; i < j["consensus_weights"].size(); ++i) {
    CW_TRY(const std::uint64_t weight,
           json_read::read_uint(j["consensus_weights"][i], index_path(weights_path, i), 0xffffffffu));
    h.consensus_weights.push_back(weight);
  }
  return h;
}

// FISCO 3.x: the header's fields instead of its bytes, and signatures named as the 3.x RPC does.
core::Result<BundleSource> read_fisco3_source(const json& j, const BundleLimits& limits) {
  CW_CHECK(json_read::check_object(j, "source",
                                   {"chain_identity", "block_number", "block_hash", "version", "header", "signatures"}));
  BundleSource s;
  CW_TRY(s.chain_identity, json_read::read_fixed<core::ChainIdentity>(j["chain_identity"], "source.chain_identity"));
  CW_TRY(s.block_number, json_read::read_decimal(j["block_number"], "source.block_number"));
  CW_TRY(s.block_hash, read_hash(j["block_hash"], "source.block_hash"));
  CW_TRY(const std::uint64_t version, json_read::read_uint(j["version"], "source.version", 0xff));
  if (version != 3) return json_read::bad("source.version", "expected 3 (a 2.x source names no version)");
  s.fisco_version = 3;
  CW_TRY(s.fisco3_header, read_fisco3_header(j["header"], limits));
  const json& list = j["signatures"];
  CW_CHECK(json_read::check_array(list, "source.signatures", limits.max_signatures));
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string path = index_path("source.signatures", i);
    CW_CHECK(json_read::check_object(list[i], path, {"sealer_index", "signature"}));
    BundleSeal seal;
    CW_TRY(seal.sealer_index,
           json_read::read_uint(list[i]["sealer_index"], field_path(path, "sealer_index"), 0xffffffffu));
    CW_TRY(seal.signature, json_read::read_hex(list[i]["signature"], field_path(path, "signature"),
                                               limits.max_signature_bytes));
    if (seal.signature.empty()) return json_read::bad(field_path(path, "signature"), "empty");
    s.signatures.push_back(std::move(seal));
  }
  return s;
}

// A 3.x receipt's fields (TransactionReceiptData); strings exactly as the node stores them, since
// they are hashed as text.
core::Result<Fisco3Receipt> read_fisco3_receipt(const json& j, const BundleLimits& limits) {
  const std::string path = "inclusion.receipt";
  CW_CHECK(json_read::check_object(j, path, {"version", "gas_used", "contract_address", "status", "output",
                                             "effective_gas_price", "logs", "block_number"}));
  Fisco3Receipt r;
  CW_TRY(const std::uint64_t version, json_read::read_uint(j["version"], field_path(path, "version"), 0xffffffffu));
  r.version = static_cast<std::uint32_t>(version);
  const std::size_t text = limits.max_fisco3_text;
  CW_TRY(r.gas_used, json_read::read_string(j["gas_used"], field_path(path, "gas_used"), text));
  CW_TRY(r.contract_address, read_stored_text(j["contract_address"], field_path(path, "contract_address"), text));
  CW_TRY(r.status, read_int32(j["status"], field_path(path, "status")));
  CW_TRY(r.output, json_read::read_hex(j["output"], field_path(path, "output"), limits.max_receipt_bytes));
  CW_TRY(r.effective_gas_price,
         read_stored_text(j["effective_gas_price"], field_path(path, "effective_gas_price"), text));
  // Version 0 does not hash the price: a value there would be an unbound field.
  if (r.version == 0 && !r.effective_gas_price.empty()) {
    return json_read::bad(field_path(path, "effective_gas_price"),
                          "not hashed before receipt version 1; must be empty");
  }
  const std::string logs_path = field_path(path, "logs");
  CW_CHECK(json_read::check_array(j["logs"], logs_path, kMaxReceiptLogs));
  for (std::size_t i = 0; i < j["logs"].size(); ++i) {
    const std::string where = index_path(logs_path, i);
    const json& entry = j["logs"][i];
    CW_CHECK(json_read::check_object(entry, where, {"address", "topics", "data"}));
    Fisco3Log log;
    CW_TRY(log.address, json_read::read_string(entry["address"], field_path(where, "address"), text));
    CW_TRY(log.topics, read_hash_list(entry["topics"], field_path(where, "topics"), 4));  // LOG0..LOG4
    CW_TRY(log.data, json_read::read_hex(entry["data"], field_path(where, "data"), limits.max_receipt_bytes));
    r.logs.push_back(std::move(log));
  }
  CW_TRY(r.block_number, json_read::read_decimal(j["block_number"], field_path(path, "block_number")));
  return r;
}

core::Result<Fisco3ReceiptInclusion> read_fisco3_inclusion(const json& j, const BundleLimits& limits) {
  CW_CHECK(json_read::check_object(j, "inclusion", {"kind", "receipt_index", "log_index", "receipt", "proof"}));
  CW_TRY(const std::string kind, json_read::read_string(j["kind"], "inclusion.kind", 64));
  if (kind != "fisco3_receipt_merkle") return json_read::bad("inclusion.kind", "unsupported \"" + kind + "\"");
  Fisco3ReceiptInclusion in;
  CW_TRY(const std::uint64_t index, json_read::read_uint(j["receipt_index"], "inclusion.receipt_index", 0xffffffffu));
  in.receipt_index = static_cast<std::uint32_t>(index);
  CW_TRY(const std::uint64_t log, json_read::read_uint(j["log_index"], "inclusion.log_index", 0xffffffffu));
  in.log_index = static_cast<std::uint32_t>(log);
  CW_TRY(in.receipt, read_fisco3_receipt(j["receipt"], limits));
  CW_TRY(in.proof, read_hash_list(j["proof"], "inclusion.proof", kMaxFisco3ProofItems));
  if (in.proof.empty()) return json_read::bad("inclusion.proof", "empty");
  return in;
}

// Fabric: the block whole, base64 as Fabric's own tools print blocks, instead of a header.
core::Result<BundleSource> read_fabric_source(const json& j, const BundleLimits& limits) {
  CW_CHECK(json_read::check_object(j, "source", {"chain_identity", "block_number", "block_hash", "block"}));
  BundleSource s;
  CW_TRY(s.chain_identity, json_read::read_fixed<core::ChainIdentity>(j["chain_identity"], "source.chain_identity"));
  CW_TRY(s.block_number, json_read::read_decimal(j["block_number"], "source.block_number"));
  CW_TRY(s.block_hash, json_read::read_fixed<core::Hash32>(j["block_hash"], "source.block_hash"));
  // The text is bounded before it is decoded: 4 characters for every 3 bytes.
  CW_TRY(const std::string text, json_read::read_string(j["block"], "source.block", (limits.max_block_bytes + 2) / 3 * 4));
  auto block = core::base64_decode(text);
  if (!block) return json_read::bad("source.block", block.error().message());
  if (block->empty()) return json_read::bad("source.block", "empty");
  s.block = std::move(block).value();
  return s;
}

core::Result<FabricInclusion> read_fabric_inclusion(const json& j, const BundleLimits& limits) {
  CW_CHECK(json_read::check_object(j, "inclusion",
                                   {"kind", "channel", "tx_index", "tx_id", "event_index", "attestations"}));
  CW_TRY(const std::string kind, json_read::read_string(j["kind"], "inclusion.kind", 64));
  if (kind != "fabric_block") return json_read::bad("inclusion.kind", "unsupported \"" + kind + "\"");
  FabricInclusion in;
  CW_TRY(in.channel, json_read::read_string(j["channel"], "inclusion.channel", limits.max_fabric_name));
  if (in.channel.empty()) return json_read::bad("inclusion.channel", "empty");
  CW_TRY(const std::uint64_t tx, json_read::read_uint(j["tx_index"], "inclusion.tx_index", 0xffffffffu));
  in.tx_index = static_cast<std::uint32_t>(tx);
  CW_TRY(in.tx_id, json_read::read_string(j["tx_id"], "inclusion.tx_id", limits.max_fabric_name));
  if (in.tx_id.empty()) return json_read::bad("inclusion.tx_id", "empty");
  CW_TRY(const std::uint64_t event, json_read::read_uint(j["event_index"], "inclusion.event_index", 0xffffffffu));
  in.event_index = static_cast<std::uint32_t>(event);
  const json& list = j["attestations"];
  CW_CHECK(json_read::check_array(list, "inclusion.attestations", limits.max_attestations));
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string path = index_path("inclusion.attestations", i);
    CW_CHECK(json_read::check_object(list[i], path, {"peer", "validation_code", "signature"}));
    fabric::PeerAttestation a;
    CW_TRY(a.peer, json_read::read_string(list[i]["peer"], field_path(path, "peer"), limits.max_fabric_name));
    CW_TRY(const std::uint64_t code,
           json_read::read_uint(list[i]["validation_code"], field_path(path, "validation_code"), 0xff));
    a.validation_code = static_cast<std::uint8_t>(code);
    CW_TRY(a.signature,
           json_read::read_hex(list[i]["signature"], field_path(path, "signature"), limits.max_signature_bytes));
    if (a.signature.empty()) return json_read::bad(field_path(path, "signature"), "empty");
    in.attestations.push_back(std::move(a));
  }
  return in;
}

// read_source_block's fields, to which each family adds its own.
json source_block_to_json(const BundleSource& s) {
  return json{{"chain_identity", core::to_hex(s.chain_identity)},
              {"block_number", std::to_string(s.block_number)},
              {"block_hash", core::to_hex(s.block_hash)},
              {"header", core::to_hex(s.header)}};
}

// The fields every family's bundle has around its source and inclusion.
json envelope_to_json(const Bundle& b, std::string_view family, json source, json inclusion) {
  return json{{"version", kBundleVersion},
              {"family", family},
              {"kind", kind_name(b.kind)},
              {"claim", core::to_hex(b.claim)},
              {"message", core::message_to_json(b.message)},
              {"source", std::move(source)},
              {"inclusion", std::move(inclusion)}};
}

json fisco_bundle_to_json(const Bundle& b) {
  json signatures = json::array();
  for (const auto& seal : b.source.signatures) {
    signatures.push_back({{"index", seal.sealer_index}, {"signature", core::to_hex(seal.signature)}});
  }
  json proof = json::array();
  for (const auto& unit : b.fisco_inclusion.proof) {
    json left = json::array();
    json right = json::array();
    for (const auto& node : unit.left) left.push_back(core::to_hex(node));
    for (const auto& node : unit.right) right.push_back(core::to_hex(node));
    proof.push_back({{"left", std::move(left)}, {"right", std::move(right)}});
  }
  json source = source_block_to_json(b.source);
  source["signatures"] = std::move(signatures);
  json inclusion{{"kind", "fisco2_receipt_merkle"},
                 {"receipt_index", b.fisco_inclusion.receipt_index},
                 {"log_index", b.fisco_inclusion.log_index},
                 {"receipt", core::to_hex(b.fisco_inclusion.receipt)},
                 {"proof", std::move(proof)}};
  return envelope_to_json(b, "fisco", std::move(source), std::move(inclusion));
}

json fisco3_bundle_to_json(const Bundle& b) {
  const Fisco3Header& h = b.source.fisco3_header;
  json parents = json::array();
  for (const auto& p : h.parent_info) {
    parents.push_back({{"number", std::to_string(p.number)}, {"hash", core::to_hex(p.hash)}});
  }
  json sealer_list = json::array();
  for (const auto& id : h.sealer_list) sealer_list.push_back(core::to_hex(id));
  json header{{"version", h.version},
              {"parent_info", std::move(parents)},
              {"txs_root", core::to_hex(h.txs_root)},
              {"receipts_root", core::to_hex(h.receipts_root)},
              {"state_root", core::to_hex(h.state_root)},
              {"number", std::to_string(h.number)},
              {"gas_used", h.gas_used},
              {"timestamp", std::to_string(h.timestamp)},
              {"sealer", h.sealer},
              {"sealer_list", std::move(sealer_list)},
              {"extra_data", core::to_hex(h.extra_data)},
              {"consensus_weights", h.consensus_weights}};
  json signatures = json::array();
  for (const auto& seal : b.source.signatures) {
    signatures.push_back({{"sealer_index", seal.sealer_index}, {"signature", core::to_hex(seal.signature)}});
  }
  json source{{"chain_identity", core::to_hex(b.source.chain_identity)},
              {"block_number", std::to_string(b.source.block_number)},
              {"block_hash", core::to_hex(b.source.block_hash)},
              {"version", 3},
              {"header", std::move(header)},
              {"signatures", std::move(signatures)}};
  const Fisco3Receipt& r = b.fisco3_inclusion.receipt;
  json logs = json::array();
  for (const auto& log : r.logs) {
    json topics = json::array();
    for (const auto& topic : log.topics) topics.push_back(core::to_hex(topic));
    logs.push_back({{"address", log.address}, {"topics", std::move(topics)}, {"data", core::to_hex(log.data)}});
  }
  json receipt{{"version", r.version},
               {"gas_used", r.gas_used},
               {"contract_address", r.contract_address},
               {"status", r.status},
               {"output", core::to_hex(r.output)},
               {"effective_gas_price", r.effective_gas_price},
               {"logs", std::move(logs)},
               {"block_number", std::to_string(r.block_number)}};
  json proof = json::array();
  for (const auto& item : b.fisco3_inclusion.proof) proof.push_back(core::to_hex(item));
  json inclusion{{"kind", "fisco3_receipt_merkle"},
                 {"receipt_index", b.fisco3_inclusion.receipt_index},
                 {"log_index", b.fisco3_inclusion.log_index},
                 {"receipt", std::move(receipt)},
                 {"proof", std::move(proof)}};
  return envelope_to_json(b, "fisco", std::move(source), std::move(inclusion));
}

json fabric_bundle_to_json(const Bundle& b) {
  json attestations = json::array();
  for (const auto& a : b.fabric_inclusion.attestations) {
    attestations.push_back(
        {{"peer", a.peer}, {"validation_code", a.validation_code}, {"signature", core::to_hex(a.signature)}});
  }
  json source{{"chain_identity", core::to_hex(b.source.chain_identity)},
              {"block_number", std::to_string(b.source.block_number)},
              {"block_hash", core::to_hex(b.source.block_hash)},
              {"block", core::base64_encode(b.source.block)}};
  json inclusion{{"kind", "fabric_block"},
                 {"channel", b.fabric_inclusion.channel},
                 {"tx_index", b.fabric_inclusion.tx_index},
                 {"tx_id", b.fabric_inclusion.tx_id},
                 {"event_index", b.fabric_inclusion.event_index},
                 {"attestations", std::move(attestations)}};
  return envelope_to_json(b, "fabric", std::move(source), std::move(inclusion));
}

}  // namespace

std::string_view kind_name(BundleKind kind) noexcept {
  return kind == BundleKind::kMessage ? "message" : "execution";
}

core::Result<Bundle> bundle_from_json(const json& j, const BundleLimits& limits) {
  CW_CHECK(json_read::check_object(j, "", {"version", "family", "kind", "claim", "message", "source", "inclusion"}));
  CW_TRY(const std::uint64_t version, json_read::read_uint(j["version"], "version", 0xff));
  if (version != kBundleVersion) return core::Error(reason::kBundleUnsupportedVersion, "version: " + std::to_string(version));
  CW_TRY(const std::string family, json_read::read_string(j["family"], "family", 32));
  Bundle b;
  if (family == "fisco") {
    b.family = core::ChainFamily::kFiscoBcos;
  } else if (family == "fabric") {
    b.family = core::ChainFamily::kFabric;
  } else if (family != "evm") {
    return json_read::bad("family", "unsupported family \"" + family + "\" (evm, fisco or fabric)");
  }
  CW_TRY(const std::string kind, json_read::read_string(j["kind"], "kind", 32));
  if (kind == "message") {
    b.kind = BundleKind::kMessage;
  } else if (kind == "execution") {
    b.kind = BundleKind::kExecution;
  } else {
    return json_read::bad("kind", "expected \"message\" or \"execution\"");
  }
  // Only a source of messages is built for FISCO so far; no FISCO gateway executes anything yet.
  if (b.family == core::ChainFamily::kFiscoBcos && b.kind != BundleKind::kMessage) {
    return json_read::bad("kind", "a fisco bundle proves a MessageSent (\"message\") only");
  }
  CW_TRY(b.claim, json_read::read_fixed<core::Claim>(j["claim"], "claim"));
  auto message = core::message_from_json(j["message"], core::MessageLimits{limits.max_payload});
  if (!message) return std::move(message).error().with_context("message");
  b.message = std::move(message).value();
  if (b.family == core::ChainFamily::kFabric) {
    CW_TRY(b.source, read_fabric_source(j["source"], limits));
    CW_TRY(b.fabric_inclusion, read_fabric_inclusion(j["inclusion"], limits));
    return b;
  }
  // A 3.x source says so; a 2.x one names no version, as before 3.x bundles existed.
  if (b.family == core::ChainFamily::kFiscoBcos && j["source"].is_object() && j["source"].contains("version")) {
    CW_TRY(b.source, read_fisco3_source(j["source"], limits));
    CW_TRY(b.fisco3_inclusion, read_fisco3_inclusion(j["inclusion"], limits));
    return b;
  }
  if (b.family == core::ChainFamily::kFiscoBcos) {
    CW_TRY(b.source, read_fisco_source(j["source"], limits));
    CW_TRY(b.fisco_inclusion, read_fisco_inclusion(j["inclusion"], limits));
    return b;
  }
  CW_TRY(b.source, read_source(j["source"], limits));
  CW_TRY(b.inclusion, read_inclusion(j["inclusion"], limits));
  return b;
}

namespace {

// Printable ASCII other than the quote and the backslash: what dump() copies unchanged.
bool needs_no_escape(std::string_view s) noexcept {
  return std::all_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x20 && u < 0x80 && c != '"' && c != '\\';
  });
}

void append_string(std::string& out, const std::string& s) {
  if (!needs_no_escape(s)) {
    out += json(s).dump();  // escapes, and throws on invalid UTF-8, exactly as dump() does
    return;
  }
  out += '"';
  out += s;
  out += '"';
}

// An upper bound's good guess of the text's length, so the output grows once.
std::size_t text_size_hint(const json& j) {
  switch (j.type()) {
    case json::value_t::string: return j.get_ref<const std::string&>().size() + 2;
    case json::value_t::array: {
      std::size_t n = 2;
      for (const auto& item : j) n += text_size_hint(item) + 1;
      return n;
    }
    case json::value_t::object: {
      std::size_t n = 2;
      for (const auto& [key, value] : j.items()) n += key.size() + 4 + text_size_hint(value);
      return n;
    }
    default: return 24;
  }
}

void append_text(std::string& out, const json& j) {
  switch (j.type()) {
    case json::value_t::string: append_string(out, j.get_ref<const std::string&>()); return;
    case json::value_t::array: {
      out += '[';
      bool first = true;
      for (const auto& item : j) {
        if (!first) out += ',';
        first = false;
        append_text(out, item);
      }
      out += ']';
      return;
    }
    case json::value_t::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, value] : j.items()) {
        if (!first) out += ',';
        first = false;
        append_string(out, key);
        out += ':';
        append_text(out, value);
      }
      out += '}';
      return;
    }
    default: out += j.dump();  // null, booleans, numbers, binary: short, and printed as dump() prints them
  }
}

// An EVM bundle's source block, and its inclusion with `proof` as the proof array (bundle_to_json
// gives the nodes' hex, BundleTextWriter an empty array it fills as text); then the whole bundle.
json evm_source_to_json(const BundleSource& s) {
  json source = source_block_to_json(s);
  if (!s.segment.empty()) {
    json segment = json::array();
    for (const auto& h : s.segment) segment.push_back(core::to_hex(h));
    source["segment"] = std::move(segment);
  }
  return source;
}

json evm_inclusion_to_json(const Bundle& b, json proof) {
  json inclusion{{"kind", "evm_receipt_mpt"},
                 {"tx_index", b.inclusion.tx_index},
                 {"log_index", b.inclusion.log_index},
                 {"proof", std::move(proof)}};
  const auto leaf = leaf_value(b.inclusion.proof);
  if (!leaf || !std::equal(leaf->begin(), leaf->end(), b.inclusion.receipt.begin(), b.inclusion.receipt.end())) {
    inclusion["receipt"] = core::to_hex(b.inclusion.receipt);
  }
  return inclusion;
}

json evm_bundle_to_json(const Bundle& b, json proof) {
  return envelope_to_json(b, "evm", evm_source_to_json(b.source), evm_inclusion_to_json(b, std::move(proof)));
}

}  // namespace

std::string compact_text(const json& j) {
  std::string out;
  out.reserve(text_size_hint(j));
  append_text(out, j);
  return out;
}

std::string bundle_text(const Bundle& b) { return BundleTextWriter{}(b).text(); }

BundleText BundleTextWriter::operator()(const Bundle& b) {
  if (b.family == core::ChainFamily::kFiscoBcos || b.family == core::ChainFamily::kFabric) {
    std::string text = compact_text(bundle_to_json(b));
    const core::Hash32 hash = core::keccak256(core::as_bytes(text));
    return {nullptr, std::move(text), hash};
  }
  const auto same_source = [&](const BundleSource& s) {
    return s.chain_identity == source_.chain_identity && s.block_number == source_.block_number &&
           s.block_hash == source_.block_hash && s.header == source_.header && s.segment == source_.segment;
  };
  if (!head_ || b.inclusion.proof != proof_ || !same_source(b.source)) {
    proof_ = b.inclusion.proof;
    source_ = b.source;
    auto head = std::make_shared<std::string>("{\"source\":");
    *head += compact_text(evm_source_to_json(source_));
    *head += ",\"inclusion\":{\"proof\":[";
    for (std::size_t i = 0; i < proof_.size(); ++i) {
      if (i > 0) *head += ',';
      *head += '"';
      *head += core::to_hex(proof_[i]);  // hex: nothing to escape
      *head += '"';
    }
    *head += "],";
    head_hash_ = core::Keccak256{};
    head_hash_.update(core::as_bytes(*head));
    head_ = std::move(head);  // a new string: the texts written before keep theirs
  }
  // The rest of the inclusion object, then the rest of the bundle, each printed without its
  // opening brace: both hold keys besides the ones taken out (kind; claim, family, ...).
  json inclusion = evm_inclusion_to_json(b, json::array());
  inclusion.erase("proof");
  json rest = envelope_to_json(b, "evm", json(), json());
  rest.erase("inclusion");
  rest.erase("source");
  const std::string inclusion_text = compact_text(inclusion);
  const std::string rest_text = compact_text(rest);
  std::string tail;
  tail.reserve(inclusion_text.size() + rest_text.size());
  tail.append(inclusion_text, 1).append(",").append(rest_text, 1);
  const core::Hash32 hash = core::Keccak256(head_hash_).update(core::as_bytes(tail)).digest();
  return {head_, std::move(tail), hash};
}

core::Result<Bundle> parse_bundle(std::string_view text, const BundleLimits& limits) {
  CW_TRY(const json parsed, json_read::parse_bounded(text, limits.max_json_bytes, limits.max_depth));
  return bundle_from_json(parsed, limits);
}

json bundle_to_json(const Bundle& b) {
  if (b.family == core::ChainFamily::kFiscoBcos) {
    return b.source.fisco_version == 3 ? fisco3_bundle_to_json(b) : fisco_bundle_to_json(b);
  }
  if (b.family == core::ChainFamily::kFabric) return fabric_bundle_to_json(b);
  json proof = json::array();
  for (const auto& node : b.inclusion.proof) proof.push_back(core::to_hex(node));
  return evm_bundle_to_json(b, std::move(proof));
}

}  // namespace causeway::verify
