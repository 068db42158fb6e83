// See console_proof.hpp.
#include "relay/api/console_proof.hpp"

#include <array>
#include <utility>
#include <vector>

#include "relay/core/hash.hpp"
#include "relay/core/message_json.hpp"
#include "relay/core/rlp.hpp"
#include "relay/verify/bft.hpp"
#include "relay/verify/clique.hpp"
#include "relay/verify/consensus.hpp"
#include "relay/verify/evm_header.hpp"
#include "relay/verify/inclusion.hpp"
#include "relay/verify/verify.hpp"

namespace causeway::api {
namespace {

using nlohmann::json;

json error_json(const core::Error& error) { return {{"reason", error.reason().name}, {"detail", error.detail()}}; }

std::string_view receipt_status_name(verify::ReceiptStatus status) {
  switch (status) {
    case verify::ReceiptStatus::kSuccess: return "success";
    case verify::ReceiptStatus::kFailed: return "failed";
    case verify::ReceiptStatus::kPreByzantiumRoot: return "pre_byzantium";
  }
  return "failed";
}

// The log the bundle points at, as the receipt holds it; {"error"} when it cannot be read.
json event_json(const verify::Bundle& b, const std::map<core::Hash32, std::string>& lanes) {
  const auto lane = lanes.find(store::lane_key(b.message));
  json out = {{"name", b.kind == verify::BundleKind::kMessage ? "MessageSent" : "MessageExecuted"},
              {"id", core::to_hex(core::message_id(b.message))},
              {"lane", lane == lanes.end() ? std::string() : lane->second},
              {"message", core::message_to_json(b.message)},
              {"tx_index", b.inclusion.tx_index},
              {"log_index", b.inclusion.log_index},
              {"emitter", nullptr},
              {"topics", json::array()}};
  auto receipt = verify::decode_receipt(b.inclusion.receipt);
  if (receipt && b.inclusion.log_index < receipt->logs.size()) {
    const verify::ReceiptLog& log = receipt->logs[b.inclusion.log_index];
    out["emitter"] = core::to_hex(log.address);
    for (const auto& topic : log.topics) out["topics"].push_back(core::to_hex(topic));
  }
  return out;
}

json receipt_json(const verify::Bundle& b) {
  auto receipt = verify::decode_receipt(b.inclusion.receipt);
  if (!receipt) return {{"error", error_json(receipt.error())}, {"size", b.inclusion.receipt.size()}};
  return {{"type", receipt->type},
          {"status", receipt_status_name(receipt->status)},
          {"cumulative_gas_used", receipt->cumulative_gas_used},
          {"logs", receipt->logs.size()},
          {"size", b.inclusion.receipt.size()},
          {"hash", core::to_hex(core::keccak256(b.inclusion.receipt))}};
}

// The trie nodes root first, as the bundle carries them: the first one's hash is what the
// header's receiptsRoot must be, each next one is referenced from the one before.
json trie_json(const verify::Bundle& b) {
  json nodes = json::array();
  for (const auto& node : b.inclusion.proof) {
    nodes.push_back({{"hash", core::to_hex(core::keccak256(node))}, {"size", node.size()}});
  }
  return {{"key", core::to_hex(core::rlp::encode_uint(b.inclusion.tx_index))}, {"nodes", std::move(nodes)}};
}

json header_json(const verify::Bundle& b, const verify::EvmHeader& header, const verify::ChainAnchor* chain) {
  const auto engine = chain ? verify::bft_engine_of(chain->consensus.mode) : std::nullopt;
  json hash = core::to_hex(verify::plain_hash(header));
  if (engine) {
    auto filtered = verify::bft_header_hash(*engine, b.source.header);
    hash = filtered ? json(core::to_hex(*filtered)) : json(nullptr);
  }
  return {{"number", header.number},
          {"hash", std::move(hash)},
          {"bundle_hash", core::to_hex(b.source.block_hash)},
          {"parent_hash", core::to_hex(header.parent_hash)},
          {"state_root", core::to_hex(header.state_root)},
          {"transactions_root", core::to_hex(header.transactions_root)},
          {"receipts_root", core::to_hex(header.receipts_root)},
          {"timestamp", header.timestamp},
          {"gas_used", header.gas_used},
          {"size", b.source.header.size()}};
}

// Who signed the header, recovered from its own seals; which signers count is the finality
// check's business. Unsigned modes have none: their evidence is the canonical hash.
json seals_json(const verify::Bundle& b, const verify::EvmHeader& header, const verify::ChainAnchor* chain) {
  json out = {{"mode", chain ? json(verify::mode_name(chain->consensus.mode)) : json(nullptr)},
              {"validators", json::array()},
              {"seals", json::array()},
              {"segment_headers", b.source.segment.size()}};
  if (!chain) return out;
  const verify::ConsensusMode mode = chain->consensus.mode;
  if (const auto engine = verify::bft_engine_of(mode)) {
    auto extra = verify::decode_bft_extra(*engine, header);
    if (!extra) {
      out["error"] = error_json(extra.error());
      return out;
    }
    for (const auto& validator : extra->validators) out["validators"].push_back(core::to_hex(validator));
    const core::Hash32 digest = verify::bft_commit_digest(*engine, header, *extra);
    for (const core::ByteView seal : extra->committed_seals) {
      auto signer = verify::recover_seals(digest, std::span<const core::ByteView>(&seal, 1));
      out["seals"].push_back(signer ? json{{"signer", core::to_hex(signer->front())}}
                                    : json{{"signer", nullptr}, {"error", error_json(signer.error())}});
    }
  } else if (mode == verify::ConsensusMode::kClique) {
    auto signer = verify::clique_signer(header);
    out["seals"].push_back(signer ? json{{"signer", core::to_hex(*signer)}}
                                  : json{{"signer", nullptr}, {"error", error_json(signer.error())}});
  }
  return out;
}

json proof_json(const verify::Bundle& b, const verify::TrustAnchors& anchors,
                const std::map<core::Hash32, std::string>& lanes) {
  const verify::ChainAnchor* chain = anchors.find(b.source.chain_identity);
  json out = {{"kind", verify::kind_name(b.kind)},
              {"chain", {{"identity", core::to_hex(b.source.chain_identity)},
                         {"name", chain ? json(chain->name) : json(nullptr)},
                         {"gateway", chain ? json(core::to_hex(chain->gateway)) : json(nullptr)}}},
              {"event", event_json(b, lanes)},
              {"receipt", receipt_json(b)},
              {"trie", trie_json(b)},
              {"header", nullptr},
              {"seals", nullptr}};
  auto header = verify::decode_evm_header(b.source.header);
  if (header) {
    out["header"] = header_json(b, *header, chain);
    out["seals"] = seals_json(b, *header, chain);
  }
  return out;
}

}  // namespace

json bundle_verification_json(const store::BundleRecord& record, const std::optional<store::Rejection>& rejection,
                              const verify::TrustAnchors& anchors, const std::map<core::Hash32, std::string>& lanes) {
  json out = {{"claim", core::to_hex(record.claim)},
              {"message_id", core::to_hex(record.id)},
              {"verified", record.verified},
              {"rejection", nullptr},
              {"canonical", "none"},
              {"proof", nullptr}};
  if (rejection) out["rejection"] = {{"reason", rejection->reason}, {"time", rejection->time}};
  auto bundle = verify::parse_bundle(record.json);
  if (!bundle) {
    out["verification"] = verify::verdict_to_json(verify::unusable_input(bundle.error()));
    return out;
  }
  // An unsigned chain's header is final only by its canonical hash, which the relay took from
  // k-of-n agreeing endpoints when it verified the bundle; a verified record is that finding.
  // Asking the endpoints again here would put network reads behind a read endpoint.
  verify::CanonicalHashMap canonical;
  const verify::ChainAnchor* chain = anchors.find(bundle->source.chain_identity);
  if (chain && verify::is_signed_mode(chain->consensus.mode)) {
    out["canonical"] = "not_needed";
  } else if (record.verified) {
    canonical.add(bundle->source.chain_identity, bundle->source.block_number, bundle->source.block_hash);
    out["canonical"] = "relay";
  }
  out["verification"] = verify::verdict_to_json(verify::verify_bundle(*bundle, anchors, canonical));
  out["proof"] = proof_json(*bundle, anchors, lanes);
  return out;
}

}  // namespace causeway::api
