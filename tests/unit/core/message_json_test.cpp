// Tests for relay/core/message_json: strict JSON form of Message (schemas/message.schema.json).
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "relay/core/message_json.hpp"

using namespace causeway::core;
using nlohmann::json;

namespace {

constexpr MessageLimits kLimits{1024};

json valid() {
  Message m;
  m.src_chain.bytes[0] = 0x01;
  m.dst_chain.bytes[0] = 0x02;
  m.sequence = Sequence{18446744073709551615ull};  // beyond 2^53: must survive as a string
  m.gas_limit = 100000;
  m.flags = kFlagOrdered;
  m.payload = {0xde, 0xad};
  return message_to_json(m);
}

}  // namespace

TEST_CASE("message JSON round-trips, with uint64 values as decimal strings", "[unit]") {
  const json j = valid();
  CHECK(j["sequence"] == "18446744073709551615");
  CHECK(j["payload"] == "0xdead");
  CHECK(j["version"] == 1);
  auto m = message_from_json(j, kLimits);
  REQUIRE(m.ok());
  CHECK(message_to_json(*m) == j);
}

TEST_CASE("message JSON rejects bad fields and names them", "[unit]") {
  json j = valid();
  Reason expected = reason::message_json::kBadField;
  std::string field;
  SECTION("unknown field") {
    j["extra"] = 1;
    expected = reason::message_json::kUnknownField;
    field = "extra";
  }
  SECTION("missing field") {
    j.erase("receiver");
    expected = reason::message_json::kMissingField;
    field = "receiver";
  }
  SECTION("uint64 as a JSON number") {
    j["timeout"] = 5;
    field = "timeout";
  }
  SECTION("uint64 with a leading zero") {
    j["gasLimit"] = "0100";
    field = "gasLimit";
  }
  SECTION("uint64 overflow") {
    j["sequence"] = "18446744073709551616";
    field = "sequence";
  }
  SECTION("negative uint64") {
    j["sequence"] = "-1";
    field = "sequence";
  }
  SECTION("upper-case hex") {
    j["sender"] = "0x" + std::string(64, 'A');
    field = "sender";
  }
  SECTION("bytes32 of the wrong length") {
    j["srcChain"] = "0x00";
    field = "srcChain";
  }
  SECTION("hex without 0x") {
    j["payload"] = "dead";
    field = "payload";
  }
  SECTION("uint8 as a string") {
    j["flags"] = "1";
    field = "flags";
  }
  SECTION("uint8 out of range") {
    j["flags"] = 256;
    field = "flags";
  }
  SECTION("negative uint8") {
    j["version"] = -1;
    field = "version";
  }
  SECTION("uint8 as a float") {
    j["flags"] = 1.0;
    field = "flags";
  }
  SECTION("payload over the limit") {
    j["payload"] = "0x" + std::string(2 * 1025, '0');
    field = "payload";
  }
  SECTION("version 2") {
    j["version"] = 2;
    expected = reason::message::kBadVersion;
    field = "version";
  }
  SECTION("unknown flag bit") {
    j["flags"] = 2;
    expected = reason::message::kUnknownFlags;
    field = "flags";
  }
  auto m = message_from_json(j, kLimits);
  REQUIRE_FALSE(m.ok());
  INFO(m.error().message());
  CHECK(m.error().reason() == expected);
  CHECK(m.error().message().find(field) != std::string::npos);
}

TEST_CASE("message JSON rejects a non-object", "[unit]") {
  CHECK_FALSE(message_from_json(json::array(), kLimits).ok());
  CHECK_FALSE(message_from_json(json("0x"), kLimits).ok());
}
