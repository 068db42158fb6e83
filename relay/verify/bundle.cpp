// Strict reading and writing of proof bundles (see bundle.hpp).
#include "relay/verify/bundle.hpp"

#include <nlohmann/json.hpp>

#include "relay/core/message_json.hpp"
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
// index in the block (a field the family names, read into `index`), the log's index within the
// receipt and the non-empty receipt. The caller has checked the object's keys and reads the proof.
template <typename Inclusion>
core::Result<Inclusion> read_inclusion_receipt(const json& j, std::string_view expected_kind,
                                               const std::string& index_field, std::uint32_t Inclusion::*index,
                                               const BundleLimits& limits) {
  CW_TRY(const std::string kind, json_read::read_string(j["kind"], "inclusion.kind", 64));
  if (kind != expected_kind) return json_read::bad("inclusion.kind", "unsupported \"" + kind + "\"");
  CW_TRY(const std::uint64_t tx,
         json_read::read_uint(j[index_field], field_path("inclusion", index_field), 0xffffffffu));
  CW_TRY(const std::uint64_t log, json_read::read_uint(j["log_index"], "inclusion.log_index", 0xffffffffu));
  Inclusion in;
  in.*index = static_cast<std::uint32_t>(tx);
  in.log_index = static_cast<std::uint32_t>(log);
  CW_TRY(in.receipt, json_read::read_hex(j["receipt"], "inclusion.receipt", limits.max_receipt_bytes));
  if (in.receipt.empty()) return json_read::bad("inclusion.receipt", "empty");
  return in;
}

core::Result<BundleSource> read_source(const json& j, const BundleLimits& limits) {
  CW_CHECK(json_read::check_object(j, "source", {"chain_identity", "block_number", "block_hash", "header"}, {"segment"}));
  CW_TRY(BundleSource s, read_source_block(j, limits));
  if (j.contains("segment")) {
    CW_TRY(s.segment, read_hex_list(j["segment"], "source.segment", limits.max_segment_headers, limits.max_header_bytes));
  }
  return s;
}

core::Result<EvmReceiptInclusion> read_inclusion(const json& j, const BundleLimits& limits) {
  CW_CHECK(json_read::check_object(j, "inclusion", {"kind", "tx_index", "log_index", "receipt", "proof"}));
  CW_TRY(EvmReceiptInclusion in,
         read_inclusion_receipt(j, "evm_receipt_mpt", "tx_index", &EvmReceiptInclusion::tx_index, limits));
  CW_TRY(in.proof, read_hex_list(j["proof"], "inclusion.proof", limits.max_proof_nodes, limits.max_proof_node_bytes));
  if (in.proof.empty()) return json_read::bad("inclusion.proof", "empty");
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
  CW_TRY(FiscoReceiptInclusion in, read_inclusion_receipt(j, "fisco2_receipt_merkle", "receipt_index",
                                                           &FiscoReceiptInclusion::receipt_index, limits));
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
  } else if (family != "evm") {
    return json_read::bad("family", "unsupported family \"" + family + "\" (evm or fisco)");
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
  if (b.family == core::ChainFamily::kFiscoBcos) {
    CW_TRY(b.source, read_fisco_source(j["source"], limits));
    CW_TRY(b.fisco_inclusion, read_fisco_inclusion(j["inclusion"], limits));
    return b;
  }
  CW_TRY(b.source, read_source(j["source"], limits));
  CW_TRY(b.inclusion, read_inclusion(j["inclusion"], limits));
  return b;
}

core::Result<Bundle> parse_bundle(std::string_view text, const BundleLimits& limits) {
  CW_TRY(const json parsed, json_read::parse_bounded(text, limits.max_json_bytes, limits.max_depth));
  return bundle_from_json(parsed, limits);
}

json bundle_to_json(const Bundle& b) {
  if (b.family == core::ChainFamily::kFiscoBcos) return fisco_bundle_to_json(b);
  json source = source_block_to_json(b.source);
  if (!b.source.segment.empty()) {
    json segment = json::array();
    for (const auto& h : b.source.segment) segment.push_back(core::to_hex(h));
    source["segment"] = std::move(segment);
  }
  json proof = json::array();
  for (const auto& node : b.inclusion.proof) proof.push_back(core::to_hex(node));
  json inclusion{{"kind", "evm_receipt_mpt"},
                 {"tx_index", b.inclusion.tx_index},
                 {"log_index", b.inclusion.log_index},
                 {"receipt", core::to_hex(b.inclusion.receipt)},
                 {"proof", std::move(proof)}};
  return envelope_to_json(b, "evm", std::move(source), std::move(inclusion));
}

}  // namespace causeway::verify
