// Tests for relay/core/bytes: hex edges, fixed-size types and address words.
#include <catch2/catch.hpp>

#include "relay/core/bytes.hpp"

using namespace causeway::core;

TEST_CASE("hex round-trips with and without prefix", "[unit]") {
  auto a = from_hex("0xDEadbeef");
  REQUIRE(a.ok());
  CHECK(to_hex(*a) == "0xdeadbeef");
  CHECK(to_hex(*a, false) == "deadbeef");
  auto empty = from_hex("0x");
  REQUIRE(empty.ok());
  CHECK(empty->empty());
}

TEST_CASE("hex rejects odd length and bad digits with named reasons", "[unit]") {
  CHECK(from_hex("0xabc").error().reason() == reason::kHexOddLength);
  CHECK(from_hex("zz").error().reason() == reason::kHexBadDigit);
  CHECK(from_hex("0x0g").error().reason() == reason::kHexBadDigit);
}

TEST_CASE("fixed bytes require the exact length", "[unit]") {
  CHECK(Hash32::from(Bytes(31)).error().reason() == reason::kBytesWrongLength);
  CHECK(Hash32::from(Bytes(33)).error().reason() == reason::kBytesWrongLength);
  CHECK(Hash32::from(Bytes(32)).ok());
  CHECK(Hash32{}.is_zero());
}

TEST_CASE("address words are left-padded and strict on the way back", "[unit]") {
  auto address = fixed_from_hex<Address>("0x00000000000000000000000000000000deadbeef");
  REQUIRE(address.ok());
  Word32 word = address_word(*address);
  CHECK(to_hex(word) == "0x00000000000000000000000000000000000000000000000000000000deadbeef");
  CHECK(word_address(word).value() == *address);
  word.bytes[0] = 1;
  CHECK(word_address(word).error().reason() == reason::kBytesWrongLength);
}

TEST_CASE("big-endian minimal integers drop leading zeros", "[unit]") {
  CHECK(be_minimal(0).empty());
  CHECK(be_minimal(0x7f) == Bytes{0x7f});
  CHECK(be_minimal(0x0100) == Bytes{0x01, 0x00});
  CHECK(be_minimal(UINT64_MAX).size() == 8);
}

TEST_CASE("constant-time comparison compares contents and lengths", "[unit]") {
  Bytes a{1, 2, 3};
  Bytes b{1, 2, 3};
  Bytes c{1, 2, 4};
  CHECK(constant_time_equal(a, b));
  CHECK_FALSE(constant_time_equal(a, c));
  CHECK_FALSE(constant_time_equal(a, Bytes{1, 2}));
}
