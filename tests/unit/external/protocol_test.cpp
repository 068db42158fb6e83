// The adapter protocol's pure half: line framing, replies, hello (adapters/external/protocol.cpp).
#include <catch2/catch.hpp>

#include <string>

#include "adapters/external/protocol.hpp"
#include "relay/verify/json_read.hpp"

namespace causeway {
namespace {

using external::Json;
namespace ext_reason = external::reason;

const std::string kChain = "0x" + std::string(64, '1');

Json valid_hello() {
  return {{"protocol", 1}, {"name", "evm-node"}, {"version", "0.1.0"}, {"family", "evm"},
          {"chain_identity", kChain}, {"sides", Json::array({"source"})}};
}

TEST_CASE("external framing splits lines across reads and drops a CR before the newline", "[external]") {
  external::LineFramer framer(64);
  REQUIRE(framer.feed("{\"a\":").ok());
  CHECK_FALSE(framer.next_line().has_value());
  REQUIRE(framer.feed("1}\r\n{\"b\":2}\n{\"c\"").ok());
  CHECK(framer.next_line() == std::optional<std::string>("{\"a\":1}"));
  CHECK(framer.next_line() == std::optional<std::string>("{\"b\":2}"));
  CHECK_FALSE(framer.next_line().has_value());
  REQUIRE(framer.feed(":3}\n").ok());
  CHECK(framer.next_line() == std::optional<std::string>("{\"c\":3}"));
}

TEST_CASE("external framing refuses a line beyond its bound before keeping it", "[external]") {
  external::LineFramer framer(8);
  REQUIRE(framer.feed("12345678\n").ok());  // exactly the bound
  auto too_long = framer.feed("1234");
  REQUIRE(too_long.ok());
  too_long = framer.feed("56789");
  REQUIRE_FALSE(too_long.ok());
  CHECK(too_long.error().reason() == ext_reason::kLineTooLong);
}

TEST_CASE("external requests are one line of JSON-RPC 2.0", "[external]") {
  const std::string line = external::encode_request(7, "source.poll", {{"note", "a\nb"}});
  REQUIRE(line.back() == '\n');
  CHECK(line.find('\n') == line.size() - 1);
  const Json parsed = Json::parse(line);
  CHECK(parsed["jsonrpc"] == "2.0");
  CHECK(parsed["id"] == 7);
  CHECK(parsed["method"] == "source.poll");
  CHECK(parsed["params"]["note"] == "a\nb");
}

TEST_CASE("external replies: a result for our id is read", "[external]") {
  auto r = external::read_reply(R"({"jsonrpc":"2.0","id":3,"result":{"x":1}})", 3);
  REQUIRE(r.ok());
  CHECK((*r)["x"] == 1);
}

TEST_CASE("external replies: each broken field is bad_json", "[external]") {
  const char* cases[] = {
      "not json",
      R"([1,2])",
      R"({"jsonrpc":"1.0","id":3,"result":1})",
      R"({"id":3,"result":1})",
      R"({"jsonrpc":"2.0","id":4,"result":1})",
      R"({"jsonrpc":"2.0","id":"3","result":1})",
      R"({"jsonrpc":"2.0","id":3})",
      R"({"jsonrpc":"2.0","id":3,"result":1,"error":{"code":1,"message":"x"}})",
      R"({"jsonrpc":"2.0","id":3,"result":1,"extra":true})",
      R"({"jsonrpc":"2.0","id":3,"error":{"code":"x","message":"m"}})",
  };
  for (const char* text : cases) {
    INFO(text);
    auto r = external::read_reply(text, 3);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().reason() == ext_reason::kBadJson);
  }
}

TEST_CASE("external replies: nesting is bounded before parsing", "[external]") {
  const std::string deep = R"({"jsonrpc":"2.0","id":1,"result":)" + std::string(100, '[') + std::string(100, ']') + "}";
  auto r = external::read_reply(deep, 1, 64);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().reason() == ext_reason::kBadJson);
}

TEST_CASE("external replies: an error object is rpc_error with the adapter's reason", "[external]") {
  auto r = external::read_reply(
      R"({"jsonrpc":"2.0","id":3,"error":{"code":-32000,"message":"node down","data":{"reason":"upstream.unreachable"}}})",
      3);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().reason() == ext_reason::kRpcError);
  CHECK(r.error().detail().find("-32000") != std::string::npos);
  CHECK(r.error().detail().find("upstream.unreachable") != std::string::npos);
}

TEST_CASE("external hello: a valid hello is read", "[external]") {
  auto hello = external::read_hello(valid_hello());
  REQUIRE(hello.ok());
  CHECK(hello->protocol == 1);
  CHECK(hello->name == "evm-node");
  CHECK(hello->family == external::Family::kEvm);
  CHECK(hello->source);
  CHECK_FALSE(hello->sink);
  auto id = core::fixed_from_hex<core::ChainIdentity>(kChain);
  REQUIRE(id.ok());
  CHECK(external::check_hello(*hello, external::Family::kEvm, *id).ok());
}

TEST_CASE("external hello: each mutated field is refused with a named reason", "[external]") {
  struct Case {
    const char* name;
    void (*mutate)(Json&);
    core::Reason reason;
  };
  const Case cases[] = {
      {"protocol 2", [](Json& h) { h["protocol"] = 2; }, ext_reason::kProtocolVersion},
      {"protocol 0", [](Json& h) { h["protocol"] = 0; }, ext_reason::kProtocolVersion},
      {"unknown family", [](Json& h) { h["family"] = "cosmos"; }, ext_reason::kWrongFamily},
      {"short chain identity", [](Json& h) { h["chain_identity"] = "0x11"; }, verify::json_read::reason::kBadField},
      {"unknown side", [](Json& h) { h["sides"] = Json::array({"relay"}); }, verify::json_read::reason::kBadField},
      {"unknown field", [](Json& h) { h["admin"] = true; }, verify::json_read::reason::kUnknownField},
      {"missing name", [](Json& h) { h.erase("name"); }, verify::json_read::reason::kMissingField},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    Json h = valid_hello();
    c.mutate(h);
    auto hello = external::read_hello(h);
    REQUIRE_FALSE(hello.ok());
    CHECK(hello.error().reason() == c.reason);
  }
}

TEST_CASE("external hello: another family or chain than configured is refused", "[external]") {
  auto hello = external::read_hello(valid_hello());
  REQUIRE(hello.ok());
  auto id = core::fixed_from_hex<core::ChainIdentity>(kChain);
  REQUIRE(id.ok());
  auto family = external::check_hello(*hello, external::Family::kFisco, *id);
  REQUIRE_FALSE(family.ok());
  CHECK(family.error().reason() == ext_reason::kWrongFamily);
  core::ChainIdentity other = *id;
  other.bytes[0] ^= 1;
  auto chain = external::check_hello(*hello, external::Family::kEvm, other);
  REQUIRE_FALSE(chain.ok());
  CHECK(chain.error().reason() == ext_reason::kWrongChain);
}

}  // namespace
}  // namespace causeway
