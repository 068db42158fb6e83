// Tests for relay/core/hex_prefix: compact path encoding, its strict decoding, and the
// ethereum/tests hex-prefix vectors.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "relay/core/hex_prefix.hpp"
#include "tests/support/vectors.hpp"

using namespace causeway::core;
using causeway::test::hex;

namespace {

std::vector<int> nibbles_of(const hex_prefix::NibbleView& view) {
  std::vector<int> out;
  for (std::size_t i = 0; i < view.size(); ++i) out.push_back(view[i]);
  return out;
}

}  // namespace

TEST_CASE("hex prefix encodes the four flag combinations", "[unit]") {
  const Bytes key = hex("12345a");
  const hex_prefix::NibbleView all(key);
  CHECK(to_hex(hex_prefix::encode(all, false)) == "0x0012345a");
  CHECK(to_hex(hex_prefix::encode(all, true)) == "0x2012345a");
  CHECK(to_hex(hex_prefix::encode(all.drop_front(1), false)) == "0x12345a");
  CHECK(to_hex(hex_prefix::encode(all.drop_front(1), true)) == "0x32345a");
  CHECK(to_hex(hex_prefix::encode(all.first(0), true)) == "0x20");
}

TEST_CASE("hex prefix decode returns the path and leaf flag", "[unit]") {
  const Bytes odd_leaf = hex("3f1c");
  auto decoded = hex_prefix::decode(odd_leaf);
  REQUIRE(decoded.ok());
  CHECK(decoded->is_leaf);
  CHECK(nibbles_of(decoded->path) == std::vector<int>{0xf, 0x1, 0xc});

  const Bytes empty_extension = hex("00");
  decoded = hex_prefix::decode(empty_extension);
  REQUIRE(decoded.ok());
  CHECK_FALSE(decoded->is_leaf);
  CHECK(decoded->path.empty());
}

TEST_CASE("hex prefix rejects a non-zero padding nibble", "[unit]") {
  // 0x2f80 would otherwise read as the even leaf path [8, 0], like the canonical 0x2080.
  CHECK(hex_prefix::decode(hex("2f80")).error().reason() == hex_prefix::reason::kNonZeroPadding);
  CHECK(hex_prefix::decode(hex("01")).error().reason() == hex_prefix::reason::kNonZeroPadding);
  CHECK(hex_prefix::decode(hex("2080")).ok());
}

TEST_CASE("hex prefix rejects bad flags and empty input", "[unit]") {
  CHECK(hex_prefix::decode(hex("40")).error().reason() == hex_prefix::reason::kBadFlag);
  CHECK(hex_prefix::decode(hex("f0")).error().reason() == hex_prefix::reason::kBadFlag);
  CHECK(hex_prefix::decode(Bytes{}).error().reason() == hex_prefix::reason::kEmpty);
}

TEST_CASE("nibble views compare by content, not position", "[unit]") {
  const Bytes a = hex("0abc");
  const Bytes b = hex("abcd");
  const hex_prefix::NibbleView left = hex_prefix::NibbleView(a).drop_front(1);   // a b c
  const hex_prefix::NibbleView right = hex_prefix::NibbleView(b).first(3);       // a b c
  CHECK(left == right);
  CHECK(hex_prefix::NibbleView(b).starts_with(left));
  CHECK_FALSE(left.starts_with(hex_prefix::NibbleView(b)));
}

TEST_CASE("hex prefix vectors encode and decode", "[vectors]") {
  auto vectors = causeway::test::load_json_vector("rlp/hexencodetest.json");
  if (!vectors) return;
  std::size_t executed = 0;
  for (const auto& [name, test] : vectors->items()) {
    INFO(name);
    Bytes packed;  // the nibbles of `seq`, packed two per byte for a NibbleView
    std::vector<int> seq;
    for (const auto& n : test["seq"]) seq.push_back(n.get<int>());
    for (std::size_t i = 0; i < seq.size(); i += 2) {
      const int low = i + 1 < seq.size() ? seq[i + 1] : 0;
      packed.push_back(static_cast<std::uint8_t>((seq[i] << 4) | low));
    }
    const hex_prefix::NibbleView path(packed, 0, seq.size());
    const bool term = test["term"].get<bool>();
    const Bytes expected = hex(test["out"].get<std::string>());
    CHECK(to_hex(hex_prefix::encode(path, term)) == to_hex(expected));

    auto decoded = hex_prefix::decode(expected);
    REQUIRE(decoded.ok());
    CHECK(decoded->is_leaf == term);
    CHECK(nibbles_of(decoded->path) == seq);
    ++executed;
  }
  causeway::test::report_cases("rlp/hexencodetest.json", executed);
}
