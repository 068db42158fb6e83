// Helpers shared by the verify tests: block streams, header field surgery, the derived chains.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "relay/core/rlp.hpp"
#include "relay/verify/consensus.hpp"
#include "tests/support/vectors.hpp"
#include "tests/support/source_path.hpp"

namespace causeway::test::verify_util {

using core::Bytes;
using core::ByteView;

// The header RLP of each block in a `.blocks` stream (rlp([header, txs, ommers]) one after another).
inline std::vector<Bytes> headers_of_block_stream(const Bytes& stream) {
  std::vector<Bytes> out;
  ByteView rest(stream);
  while (!rest.empty()) {
    auto block = core::rlp::decode_prefix(rest);
    REQUIRE(block.ok());
    REQUIRE(block->is_list);
    core::rlp::ListReader reader(block->payload);
    auto header = reader.next();
    REQUIRE(header.ok());
    out.emplace_back(header->encoded.begin(), header->encoded.end());
  }
  return out;
}

// The encoded items of a header list.
inline std::vector<Bytes> fields_of(ByteView header) {
  auto list = core::rlp::decode_exact(header);
  REQUIRE(list.ok());
  std::vector<Bytes> out;
  core::rlp::ListReader reader(list->payload);
  while (!reader.done()) {
    auto item = reader.next();
    REQUIRE(item.ok());
    out.emplace_back(item->encoded.begin(), item->encoded.end());
  }
  return out;
}

inline Bytes list_of_items(const std::vector<Bytes>& items) { return core::rlp::encode_list(items); }

// The header with field `index` replaced by the string `value`.
inline Bytes with_field(ByteView header, std::size_t index, ByteView value) {
  auto items = fields_of(header);
  REQUIRE(index < items.size());
  items[index] = core::rlp::encode_string(value);
  return list_of_items(items);
}

inline core::Address address(std::string_view text) {
  auto a = core::fixed_from_hex<core::Address>(text);
  REQUIRE(a.ok());
  return *a;
}
inline core::Hash32 hash32(std::string_view text) {
  auto h = core::fixed_from_hex<core::Hash32>(text);
  REQUIRE(h.ok());
  return *h;
}

inline verify::ValidatorSet set_of(const nlohmann::json& addresses, std::uint64_t from_height) {
  verify::ValidatorSet set{from_height, {}};
  for (const auto& a : addresses) set.members.push_back(address(a.get<std::string>()));
  std::sort(set.members.begin(), set.members.end());
  return set;
}

// tests/unit/verify/data/NAME, parsed.
inline nlohmann::json load_data_json(const std::string& name) {
  const auto path = test::source_path("tests/unit/verify/data/" + name);
  std::ifstream in(path);
  if (!in.good()) FAIL("cannot open " + path.string());
  return nlohmann::json::parse(in);
}

// tests/unit/verify/data/derived_chains.json, written by gen_bft_chains.mjs.
inline const nlohmann::json& derived_chains() {
  static const nlohmann::json data = load_data_json("derived_chains.json");
  return data;
}

// tests/unit/verify/data/fisco_derived.json, written by data/fisco_derive.mjs.
inline const nlohmann::json& fisco_derived() {
  static const nlohmann::json data = load_data_json("fisco_derived.json");
  return data;
}

}  // namespace causeway::test::verify_util
