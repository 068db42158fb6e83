// Tests for relay/core/abi: encodings known from ethers' AbiCoder, and a decoder that accepts only
// the canonical encoding.
#include <catch2/catch.hpp>

#include <string>

#include "relay/core/abi.hpp"
#include "tests/support/vectors.hpp"

using namespace causeway::core;
using causeway::test::hex;

namespace {

Address address_of(std::uint8_t last) {
  Address a;
  a.bytes[19] = last;
  return a;
}

// Decodes (uint64, bytes, bool) with a bytes limit.
Result<Bytes> decode_u64_bytes_bool(ByteView data, std::size_t limit = 1024) {
  return abi::decode(data, 3, [&](abi::Reader& r) -> Result<Bytes> {
    CW_TRY(const auto n, r.uint(64));
    CW_TRY(Bytes b, r.bytes(limit));
    CW_TRY(const bool flag, r.boolean());
    if (n != 258 || !flag) return Error(Reason{"test.wrong_value"});
    return b;
  });
}

Bytes valid_u64_bytes_bool() {
  return abi::encode({abi::uint(258), abi::bytes(as_bytes("abc")), abi::boolean(true)});
}

}  // namespace

TEST_CASE("abi encodes static words, bytes and address arrays as ethers does", "[unit]") {
  const Address addresses[] = {address_of(0xaa), address_of(0xbb)};
  const Bytes encoded = abi::encode(
      {abi::uint(258), abi::bytes(as_bytes("abc")), abi::address_array(addresses), abi::boolean(true)});
  // AbiCoder.encode(["uint64","bytes","address[]","bool"], [258, "0x616263", [0x..aa, 0x..bb], true])
  CHECK(to_hex(encoded) ==
        "0x0000000000000000000000000000000000000000000000000000000000000102"
        "0000000000000000000000000000000000000000000000000000000000000080"
        "00000000000000000000000000000000000000000000000000000000000000c0"
        "0000000000000000000000000000000000000000000000000000000000000001"
        "0000000000000000000000000000000000000000000000000000000000000003"
        "6162630000000000000000000000000000000000000000000000000000000000"
        "0000000000000000000000000000000000000000000000000000000000000002"
        "00000000000000000000000000000000000000000000000000000000000000aa"
        "00000000000000000000000000000000000000000000000000000000000000bb");
}

TEST_CASE("abi places static tuples inline and dynamic tuples behind offsets", "[unit]") {
  Word32 ones;
  ones.bytes.fill(0x11);
  const std::uint8_t one[] = {0x01};
  const Bytes encoded = abi::encode({abi::tuple({abi::uint(7), abi::bytes(one)}),
                                     abi::tuple({abi::uint(9), abi::word(ones)}), abi::bytes(Bytes{})});
  // AbiCoder.encode(["tuple(uint8,bytes)","tuple(uint16,bytes32)","bytes"], [[7,"0x01"],[9,0x11..],"0x"])
  CHECK(to_hex(encoded) ==
        "0x0000000000000000000000000000000000000000000000000000000000000080"
        "0000000000000000000000000000000000000000000000000000000000000009"
        "1111111111111111111111111111111111111111111111111111111111111111"
        "0000000000000000000000000000000000000000000000000000000000000100"
        "0000000000000000000000000000000000000000000000000000000000000007"
        "0000000000000000000000000000000000000000000000000000000000000040"
        "0000000000000000000000000000000000000000000000000000000000000001"
        "0100000000000000000000000000000000000000000000000000000000000000"
        "0000000000000000000000000000000000000000000000000000000000000000");

  // And the decoder reads the same layout back, nested tuple included.
  auto decoded = abi::decode(encoded, 4, [](abi::Reader& r) -> Result<Bytes> {
    CW_TRY(Bytes inner, r.dynamic_tuple(2, [](abi::Reader& t) -> Result<Bytes> {
      CW_TRY(const auto seven, t.uint(8));
      if (seven != 7) return Error(Reason{"test.wrong_value"});
      return t.bytes(1);
    }));
    CW_TRY(const auto nine, r.uint(16));
    CW_TRY(const auto word, r.word());
    CW_TRY(const Bytes empty, r.bytes(0));
    if (nine != 9 || word.bytes[0] != 0x11 || !empty.empty()) return Error(Reason{"test.wrong_value"});
    return inner;
  });
  REQUIRE(decoded.ok());
  CHECK(*decoded == Bytes{0x01});
}

TEST_CASE("abi decoder round-trips its own encoding", "[unit]") {
  auto decoded = decode_u64_bytes_bool(valid_u64_bytes_bool());
  REQUIRE(decoded.ok());
  CHECK(*decoded == Bytes{'a', 'b', 'c'});
  CHECK(decode_u64_bytes_bool(valid_u64_bytes_bool(), 3).ok());  // the limit is inclusive
}

TEST_CASE("abi decoder rejects non-canonical offsets", "[unit]") {
  Bytes data = valid_u64_bytes_bool();
  SECTION("offset past the end") { data[32 + 31] = 0xff; }
  SECTION("offset not a multiple of 32") { data[32 + 31] = 0x61; }
  SECTION("offset with high bytes set") { data[32] = 0x01; }
  SECTION("offset pointing into the head") { data[32 + 31] = 0x20; }
  SECTION("offset leaving a gap before the tail") {
    data[32 + 31] = 0x80;
    data.insert(data.begin() + 0x60, 32, 0);
  }
  auto decoded = decode_u64_bytes_bool(data);
  REQUIRE_FALSE(decoded.ok());
  CHECK(decoded.error().reason() == abi::reason::kBadOffset);
}

TEST_CASE("abi decoder rejects uint words wider than their type", "[unit]") {
  Bytes data = valid_u64_bytes_bool();
  data[23] = 0x01;  // the lowest byte above a uint64
  auto decoded = decode_u64_bytes_bool(data);
  REQUIRE_FALSE(decoded.ok());
  CHECK(decoded.error().reason() == abi::reason::kUintOverflow);

  const Bytes wide = abi::encode({abi::uint(0x100)});
  auto as_u8 = abi::decode(wide, 1, [](abi::Reader& r) { return r.uint(8); });
  REQUIRE_FALSE(as_u8.ok());
  CHECK(as_u8.error().reason() == abi::reason::kUintOverflow);
  CHECK(abi::decode(wide, 1, [](abi::Reader& r) { return r.uint(16); }).ok());
}

TEST_CASE("abi decoder rejects dirty bools and addresses", "[unit]") {
  Bytes data = valid_u64_bytes_bool();
  data[64 + 31] = 0x02;
  auto decoded = decode_u64_bytes_bool(data);
  REQUIRE_FALSE(decoded.ok());
  CHECK(decoded.error().reason() == abi::reason::kBadBool);

  Bytes address = abi::encode({abi::address(address_of(0xaa))});
  CHECK(abi::decode(address, 1, [](abi::Reader& r) { return r.address(); }).ok());
  address[11] = 0x01;
  auto dirty = abi::decode(address, 1, [](abi::Reader& r) { return r.address(); });
  REQUIRE_FALSE(dirty.ok());
  CHECK(dirty.error().reason() == abi::reason::kNonZeroPadding);
}

TEST_CASE("abi decoder rejects bad bytes lengths, padding and trailing data", "[unit]") {
  Bytes data = valid_u64_bytes_bool();
  Reason expected = abi::reason::kTooShort;
  std::size_t limit = 1024;
  SECTION("length past the end") {
    data[96 + 31] = 33;
    expected = abi::reason::kLengthPastEnd;
  }
  SECTION("length beyond 64 bits") {
    data[96] = 0x80;
    expected = abi::reason::kLengthPastEnd;
  }
  SECTION("length over the caller's limit") {
    limit = 2;
    expected = abi::reason::kBytesTooLong;
  }
  SECTION("non-zero padding after the bytes") {
    data[128 + 31] = 0x01;
    expected = abi::reason::kNonZeroPadding;
  }
  SECTION("trailing word") {
    data.resize(data.size() + 32, 0);
    expected = abi::reason::kTrailingBytes;
  }
  SECTION("one trailing byte") {
    data.push_back(0);
    expected = abi::reason::kTrailingBytes;
  }
  SECTION("truncated head") {
    data.resize(64);
    expected = abi::reason::kTooShort;
  }
  SECTION("truncated tail") {
    data.resize(data.size() - 1);
    expected = abi::reason::kLengthPastEnd;
  }
  auto decoded = decode_u64_bytes_bool(data, limit);
  REQUIRE_FALSE(decoded.ok());
  CHECK(decoded.error().reason() == expected);
}
