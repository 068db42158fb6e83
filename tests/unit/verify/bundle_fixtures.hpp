// The real anvil bundles (data/anvil_bundles.json, written by make_bundles.mjs) and helpers to
// mutate one field of them and re-derive what a forger would have to re-derive.
#pragma once

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "relay/core/hash.hpp"
#include "relay/core/mpt.hpp"
#include "relay/core/rlp.hpp"
#include "relay/verify/bundle.hpp"
#include "relay/verify/trust_anchors.hpp"
#include "relay/verify/verify.hpp"
#include "tests/support/source_path.hpp"

namespace causeway::test::bundle_fixtures {

using test::source_path;

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  REQUIRE(in.good());
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The error's detail names `path` first.
inline void require_path(const core::Error& error, const std::string& path) {
  INFO(error.message());
  CHECK(error.detail().rfind(path, 0) == 0);
}

inline nlohmann::json read_json(const std::string& relative) {
  std::ifstream in(source_path(relative));
  if (!in.good()) FAIL("cannot open " + source_path(relative).string());
  return nlohmann::json::parse(in);
}

inline const nlohmann::json& data() {
  static const nlohmann::json d = read_json("tests/unit/verify/data/anvil_bundles.json");
  return d;
}

inline const nlohmann::json& bundle_json(const std::string& name) {
  for (const auto& b : data()["bundles"]) {
    if (b["name"] == name) return b["bundle"];
  }
  FAIL("no bundle " + name);
  static const nlohmann::json none;
  return none;
}

inline verify::Bundle bundle(const std::string& name) {
  auto b = verify::bundle_from_json(bundle_json(name));
  if (!b) FAIL(b.error().message());
  return std::move(b).value();
}

inline verify::TrustAnchors anchors() {
  auto a = verify::trust_anchors_from_json(data()["anchors"]);
  if (!a) FAIL(a.error().message());
  return std::move(a).value();
}

inline verify::CanonicalHashMap canonical() {
  verify::CanonicalHashMap map;
  for (const auto& c : data()["canonical"]) {
    const auto chain = *core::fixed_from_hex<core::ChainIdentity>(c["chain_identity"].get<std::string>());
    map.add(chain, std::stoull(c["number"].get<std::string>()),
            *core::fixed_from_hex<core::Hash32>(c["hash"].get<std::string>()));
    map.set_head(chain, std::stoull(c["head"].get<std::string>()));
  }
  return map;
}

inline core::Bytes hex_bytes(const nlohmann::json& j) { return *core::from_hex(j.get<std::string>()); }

// All receipts of the block the bundle's chain identity names (the fixtures hold one block per chain).
inline std::vector<core::Bytes> block_receipts(const core::ChainIdentity& chain) {
  for (const auto& b : data()["blocks"]) {
    if (b["chain_identity"] == core::to_hex(chain)) {
      std::vector<core::Bytes> out;
      for (const auto& r : b["receipts"]) out.push_back(hex_bytes(r));
      return out;
    }
  }
  FAIL("no block for chain");
  return {};
}

// The encoded items of an RLP list.
inline std::vector<core::Bytes> items_of(core::ByteView list) {
  auto item = core::rlp::decode_exact(list);
  REQUIRE(item.ok());
  std::vector<core::Bytes> out;
  core::rlp::ListReader reader(item->payload);
  while (!reader.done()) {
    auto next = reader.next();
    REQUIRE(next.ok());
    out.emplace_back(next->encoded.begin(), next->encoded.end());
  }
  return out;
}

// A forger's full re-derivation for an unsigned (confirmations) chain: receipt `tx` replaced, the
// receipts trie rebuilt, the header's receiptsRoot set to the new root, block hash and claim
// recomputed, and the canonical source told the new hash. Only the semantic check under test can
// then fail.
struct Reforged {
  verify::Bundle bundle;
  verify::CanonicalHashMap canonical;
};
inline Reforged reforge_receipt(verify::Bundle b, const core::Bytes& new_receipt, const core::MessageId& id) {
  auto receipts = block_receipts(b.source.chain_identity);
  receipts[b.inclusion.tx_index] = new_receipt;
  const auto trie = core::mpt::indexed_trie(receipts);
  auto fields = items_of(b.source.header);
  fields[5] = core::rlp::encode_string(trie.root().view());
  b.source.header = core::rlp::encode_list(fields);
  b.source.block_hash = core::keccak256(b.source.header);
  b.inclusion.receipt = new_receipt;
  b.inclusion.proof = trie.prove(core::mpt::receipt_key(b.inclusion.tx_index));
  b.claim = core::claim_hash(id, b.source.block_hash, b.source.block_number, b.inclusion.tx_index, b.inclusion.log_index);
  verify::CanonicalHashMap map;
  map.add(b.source.chain_identity, b.source.block_number, b.source.block_hash);
  return {std::move(b), std::move(map)};
}

}  // namespace causeway::test::bundle_fixtures
