// Tests for relay/core/rlp: canonical encoding, strict decoding with named reasons, and the
// ethereum/tests RLP vectors (valid, invalid and random).
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>

#include "relay/core/rlp.hpp"
#include "tests/support/vectors.hpp"

using namespace causeway::core;
using causeway::test::hex;

namespace {

// Rebuilds an encoding from its decoded tree: headers are recomputed from the payloads, so equal
// output means the input was the one canonical encoding.
void reencode(const rlp::Item& item, rlp::Encoder& out) {
  if (!item.is_list) {
    out.add_string(item.payload);
    return;
  }
  out.begin_list();
  rlp::ListReader reader(item.payload);
  while (!reader.done()) {
    auto child = reader.next();
    REQUIRE(child.ok());
    reencode(*child, out);
  }
  out.end_list();
}

Bytes reencode(ByteView encoded) {
  auto item = rlp::decode_tree(encoded);
  REQUIRE(item.ok());
  rlp::Encoder out;
  reencode(*item, out);
  return std::move(out).take();
}

Reason rejection(ByteView encoded) {
  auto item = rlp::decode_tree(encoded);
  REQUIRE_FALSE(item.ok());
  return item.error().reason();
}

// "#<decimal>" in rlptest.json: a big integer, converted to minimal big-endian bytes.
Bytes decimal_to_big_endian(std::string_view digits) {
  Bytes value;  // big-endian, grows at the front
  for (char c : digits) {
    unsigned carry = static_cast<unsigned>(c - '0');
    for (auto it = value.rbegin(); it != value.rend(); ++it) {
      const unsigned product = *it * 10u + carry;
      *it = static_cast<std::uint8_t>(product & 0xff);
      carry = product >> 8;
    }
    while (carry != 0) {
      value.insert(value.begin(), static_cast<std::uint8_t>(carry & 0xff));
      carry >>= 8;
    }
  }
  return value;
}

void encode_json(const nlohmann::json& in, rlp::Encoder& out) {
  if (in.is_array()) {
    out.begin_list();
    for (const auto& element : in) encode_json(element, out);
    out.end_list();
  } else if (in.is_number_unsigned()) {
    out.add_uint(in.get<std::uint64_t>());
  } else {
    const auto text = in.get<std::string>();
    if (!text.empty() && text[0] == '#') {
      out.add_uint_bytes(decimal_to_big_endian(std::string_view(text).substr(1)));
    } else {
      out.add_string(as_bytes(text));
    }
  }
}

}  // namespace

TEST_CASE("rlp encodes strings, integers and nested lists", "[unit]") {
  CHECK(to_hex(rlp::encode_string({})) == "0x80");
  CHECK(to_hex(rlp::encode_string(Bytes{0x00})) == "0x00");
  CHECK(to_hex(rlp::encode_string(Bytes{0x7f})) == "0x7f");
  CHECK(to_hex(rlp::encode_string(Bytes{0x80})) == "0x8180");
  CHECK(to_hex(rlp::encode_string(as_bytes("dog"))) == "0x83646f67");
  CHECK(to_hex(rlp::encode_uint(0)) == "0x80");
  CHECK(to_hex(rlp::encode_uint(127)) == "0x7f");
  CHECK(to_hex(rlp::encode_uint(128)) == "0x8180");
  CHECK(to_hex(rlp::encode_uint(1024)) == "0x820400");
  CHECK(to_hex(rlp::encode_uint(UINT64_MAX)) == "0x88ffffffffffffffff");

  rlp::Encoder nested;
  nested.begin_list().begin_list().end_list().begin_list().begin_list().end_list().end_list().end_list();
  CHECK(to_hex(nested.bytes()) == "0xc3c0c1c0");

  const Bytes cat = rlp::encode_string(as_bytes("cat"));
  const Bytes dog = rlp::encode_string(as_bytes("dog"));
  CHECK(to_hex(rlp::encode_list(std::vector<Bytes>{cat, dog})) == "0xc88363617483646f67");
}

TEST_CASE("rlp list headers switch to the long form at 56 bytes", "[unit]") {
  for (std::size_t size : {55u, 56u, 255u, 256u, 70000u}) {
    const Bytes payload(size, 0xaa);
    rlp::Encoder list;
    list.begin_list().add_raw(payload).end_list();
    const Bytes out = std::move(list).take();
    CHECK(out.size() == rlp::header_size(size) + size);
    ByteView view(out);
    auto item = rlp::decode_prefix(view);
    REQUIRE(item.ok());
    CHECK(item->is_list);
    CHECK(item->payload.size() == size);
    CHECK(view.empty());
  }
}

TEST_CASE("rlp uint64 round-trips at every byte boundary", "[unit]") {
  for (std::uint64_t value : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{0x7f}, std::uint64_t{0x80},
                              std::uint64_t{0xff}, std::uint64_t{0x100}, std::uint64_t{0xffffffff},
                              std::uint64_t{0x100000000}, UINT64_MAX}) {
    const Bytes encoded = rlp::encode_uint(value);
    auto item = rlp::decode_exact(encoded);
    REQUIRE(item.ok());
    auto decoded = rlp::read_uint64(*item);
    REQUIRE(decoded.ok());
    CHECK(*decoded == value);
  }
}

TEST_CASE("rlp rejects non-canonical length", "[unit]") {
  // "dog" with a one-byte long-form length.
  CHECK(rejection(hex("b803646f67")) == rlp::reason::kNonCanonicalSize);
  CHECK(rejection(hex("f803c0c0c0")) == rlp::reason::kNonCanonicalSize);
}

TEST_CASE("rlp rejects leading zeros in lengths", "[unit]") {
  Bytes padded = hex("b9003a");
  padded.resize(3 + 0x3a, 0x61);
  CHECK(rejection(padded) == rlp::reason::kLeadingZero);
}

TEST_CASE("rlp rejects a single byte wrapped as 0x81xx", "[unit]") {
  CHECK(rejection(hex("8100")) == rlp::reason::kNonCanonicalSingleByte);
  CHECK(rejection(hex("817f")) == rlp::reason::kNonCanonicalSingleByte);
  CHECK(rlp::decode_tree(hex("8180")).ok());
}

TEST_CASE("rlp rejects lengths past the buffer and trailing bytes", "[unit]") {
  CHECK(rejection(Bytes{}) == rlp::reason::kInputTooShort);
  CHECK(rejection(hex("83646f")) == rlp::reason::kInputTooShort);
  CHECK(rejection(hex("b8")) == rlp::reason::kInputTooShort);
  CHECK(rejection(hex("83646f6700")) == rlp::reason::kTrailingBytes);
  CHECK(rejection(hex("c0c0")) == rlp::reason::kTrailingBytes);
}

TEST_CASE("rlp rejects a list payload that does not split into whole items", "[unit]") {
  // c3 [83 64 6f]: the string claims 3 bytes, only 2 remain inside the list.
  CHECK(rejection(hex("c383646f")) == rlp::reason::kListItemOverrun);
  // Nested: the inner list is well-formed, its item overruns.
  CHECK(rejection(hex("c4c383646f")) == rlp::reason::kListItemOverrun);
}

TEST_CASE("rlp rejects length overflow", "[unit]") {
  CHECK(rejection(hex("bf0f000000000000021111")) == rlp::reason::kLengthOverflow);
  CHECK(rejection(hex("ffffffffffffffffff00")) == rlp::reason::kLengthOverflow);
}

TEST_CASE("rlp depth and size limits are checked before recursing", "[unit]") {
  // 100000 nested lists would overflow the stack of a decoder that recursed before checking.
  // Built outermost first from precomputed payload sizes (the Encoder would be quadratic here).
  constexpr std::size_t kLevels = 100000;
  std::vector<std::size_t> payload(kLevels, 0);
  for (std::size_t k = 1; k < kLevels; ++k) payload[k] = rlp::header_size(payload[k - 1]) + payload[k - 1];
  Bytes deep;
  for (std::size_t k = kLevels; k-- > 0;) rlp::append_header(deep, true, payload[k]);
  CHECK(rejection(deep) == rlp::reason::kTooDeep);

  rlp::Limits limits;
  limits.max_depth = 2;
  CHECK(rlp::decode_tree(hex("c2c1c0"), limits).error().reason() == rlp::reason::kTooDeep);
  CHECK(rlp::decode_tree(hex("c1c0"), limits).ok());
  limits.max_size = 2;
  CHECK(rlp::decode_tree(hex("c2c1c0"), limits).error().reason() == rlp::reason::kTooLarge);
}

TEST_CASE("rlp integers reject leading zeros, overflow and lists", "[unit]") {
  const auto uint_of = [](const Bytes& encoded) {
    auto item = rlp::decode_exact(encoded);
    REQUIRE(item.ok());
    return rlp::read_uint64(*item);
  };
  CHECK(uint_of(hex("00")).error().reason() == rlp::reason::kLeadingZero);  // zero is 0x80
  CHECK(uint_of(hex("820001")).error().reason() == rlp::reason::kLeadingZero);
  CHECK(uint_of(hex("89010000000000000000")).error().reason() == rlp::reason::kIntegerOverflow);
  CHECK(uint_of(hex("c0")).error().reason() == rlp::reason::kUnexpectedList);
  CHECK(*uint_of(hex("80")) == 0);

  const Bytes two_to_256 = hex("a1010000000000000000000000000000000000000000000000000000000000000000");
  auto big = rlp::decode_exact(two_to_256);
  REQUIRE(big.ok());
  CHECK(rlp::read_uint_bytes(*big).error().reason() == rlp::reason::kIntegerOverflow);
  CHECK(rlp::read_uint_bytes(*big, 33)->size() == 33);
}

TEST_CASE("rlp split_list gives views into the buffer and bounds the item count", "[unit]") {
  const Bytes list = hex("cc83646f6783676f6483636174");
  auto outer = rlp::decode_exact(list);
  REQUIRE(outer.ok());
  std::array<rlp::Item, 3> items;
  auto count = rlp::split_list(outer->payload, items);
  REQUIRE(count.ok());
  CHECK(*count == 3);
  CHECK(items[1].payload.data() == list.data() + 6);  // cc | 83 646f67 | 83 676f64
  CHECK(to_hex(items[2].encoded) == "0x83636174");
  std::array<rlp::Item, 2> too_few;
  CHECK(rlp::split_list(outer->payload, too_few).error().reason() == rlp::reason::kTooManyItems);
}

TEST_CASE("rlp valid vectors encode and re-encode exactly", "[vectors]") {
  auto vectors = causeway::test::load_json_vector("rlp/rlptest.json");
  if (!vectors) return;
  std::size_t executed = 0;
  for (const auto& [name, test] : vectors->items()) {
    INFO(name);
    const Bytes expected = hex(test["out"].get<std::string>());
    rlp::Encoder encoder;
    encode_json(test["in"], encoder);
    CHECK(to_hex(encoder.bytes()) == to_hex(expected));
    CHECK(to_hex(reencode(expected)) == to_hex(expected));
    ++executed;
  }
  causeway::test::report_cases("rlp/rlptest.json", executed);
}

TEST_CASE("rlp invalid vectors are all rejected", "[vectors]") {
  auto vectors = causeway::test::load_json_vector("rlp/invalidRLPTest.json");
  if (!vectors) return;
  std::size_t executed = 0;
  for (const auto& [name, test] : vectors->items()) {
    INFO(name);
    const Bytes input = hex(test["out"].get<std::string>());
    auto item = rlp::decode_tree(input);
    CHECK_FALSE(item.ok());
    if (!item.ok()) CHECK(item.error().reason().name.starts_with("rlp."));
    ++executed;
  }
  causeway::test::report_cases("rlp/invalidRLPTest.json", executed);
}

TEST_CASE("rlp random vectors decode and re-encode exactly", "[vectors]") {
  auto vectors = causeway::test::load_json_vector("rlp/RandomRLPTests_example.json");
  if (!vectors) return;
  std::size_t executed = 0;
  for (const auto& [name, test] : vectors->items()) {
    INFO(name);
    const Bytes input = hex(test["out"].get<std::string>());
    CHECK(to_hex(reencode(input)) == to_hex(input));
    ++executed;
  }
  causeway::test::report_cases("rlp/RandomRLPTests_example.json", executed);
}
