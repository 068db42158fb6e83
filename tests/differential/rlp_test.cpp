// Differential test: our RLP encoder and strict decoder against ethers' encodeRlp/decodeRlp on
// random nested structures (single bytes, 55/56-byte edges, long strings, deep nesting).
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "relay/core/rlp.hpp"
#include "tests/differential/differential.hpp"
#include "tests/support/vectors.hpp"

namespace causeway::test::differential {
namespace {

namespace rlp = core::rlp;

// A JSON structure from the oracle: a "0x…" string is a byte string, an array is a list.
void encode_into(rlp::Encoder& encoder, const nlohmann::json& item) {
  if (item.is_string()) {
    encoder.add_string(hex(item.get<std::string>()));
    return;
  }
  encoder.begin_list();
  for (const auto& child : item) encode_into(encoder, child);
  encoder.end_list();
}

// The same encoding through the other entry points: encode_string and encode_list.
core::Bytes encode_by_parts(const nlohmann::json& item) {
  if (item.is_string()) return rlp::encode_string(hex(item.get<std::string>()));
  std::vector<core::Bytes> children;
  for (const auto& child : item) children.push_back(encode_by_parts(child));
  return rlp::encode_list(children);
}

// Whether a decoded item has the oracle's structure; `why` says where it differs.
bool same_structure(const rlp::Item& item, const nlohmann::json& expected, std::string& why) {
  if (expected.is_string()) {
    const core::Bytes bytes = hex(expected.get<std::string>());
    if (item.is_list) { why = "list where ethers has string " + show(bytes); return false; }
    if (!std::equal(item.payload.begin(), item.payload.end(), bytes.begin(), bytes.end())) {
      why = "string " + show(item.payload) + " where ethers has " + show(bytes);
      return false;
    }
    return true;
  }
  if (!item.is_list) { why = "string " + show(item.payload) + " where ethers has a list"; return false; }
  rlp::ListReader reader(item.payload);
  std::size_t index = 0;
  for (const auto& child : expected) {
    if (reader.done()) {
      why = "list ends after " + std::to_string(index) + " items, ethers has " + std::to_string(expected.size());
      return false;
    }
    auto next = reader.next();
    if (!next) { why = "list item " + std::to_string(index) + ": " + next.error().message(); return false; }
    if (!same_structure(*next, child, why)) { why = "item " + std::to_string(index) + ": " + why; return false; }
    ++index;
  }
  if (!reader.done()) { why = "list has more than the " + std::to_string(index) + " items ethers has"; return false; }
  return true;
}

TEST_CASE("RLP encoding agrees with ethers on random structures", "[differential][rlp]") {
  const auto file = load_family("rlp");
  Disagreements bad("rlp");
  std::size_t compared = 0;
  for (const auto& c : file.at("cases")) {
    const auto& item = c.at("item");
    const core::Bytes expected = hex(c.at("encoded").get<std::string>());
    rlp::Encoder encoder;
    encode_into(encoder, item);
    const core::Bytes ours = std::move(encoder).take();
    const core::Bytes by_parts = encode_by_parts(item);
    if (ours != expected || by_parts != expected) {
      bad.add("item " + item.dump() + ": Encoder " + show(ours) + ", encode_string/encode_list " +
              show(by_parts) + ", ethers " + show(expected));
    }
    ++compared;
  }
  bad.finish(file, compared);
}

TEST_CASE("strict RLP decoder reads ethers' encodings back to the same structure", "[differential][rlp]") {
  const auto file = load_family("rlp");
  Disagreements bad("rlp.decode");
  std::size_t compared = 0;
  for (const auto& c : file.at("cases")) {
    const core::Bytes encoded = hex(c.at("encoded").get<std::string>());
    auto decoded = rlp::decode_tree(encoded);
    std::string why;
    if (!decoded) {
      bad.add("decode_tree rejects ethers' " + show(encoded) + ": " + decoded.error().message());
    } else if (decoded->encoded.size() != encoded.size() || !same_structure(*decoded, c.at("item"), why)) {
      bad.add("decode_tree of " + show(encoded) + " differs from ethers' decodeRlp: " +
              (why.empty() ? "item does not span the input" : why));
    }
    ++compared;
  }
  // Truncated by one byte or followed by one stray byte: ethers' decodeRlp throws, so must we.
  for (const auto& c : file.at("invalid")) {
    const core::Bytes encoded = hex(c.at("encoded").get<std::string>());
    auto tree = rlp::decode_tree(encoded);
    auto exact = rlp::decode_exact(encoded);
    if (tree.ok() || exact.ok()) {
      bad.add(c.at("why").get<std::string>() + " " + show(encoded) + " is rejected by ethers but accepted by " +
              (tree.ok() ? "decode_tree" : "decode_exact"));
    }
    ++compared;
  }
  bad.finish(file, compared);
}

}  // namespace
}  // namespace causeway::test::differential
