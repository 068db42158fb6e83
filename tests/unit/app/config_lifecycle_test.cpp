// The config's lifecycle fields (relay/app/config_loader.cpp): relay.retention.bundles_days and
// chains[].gas_balance_warn, read from the valid example and refused by name when mutated.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "relay/app/config_loader.hpp"
#include "tests/unit/verify/bundle_fixtures.hpp"

namespace {

namespace rc = causeway::app::reason::config;
using causeway::test::bundle_fixtures::read_text;
using causeway::test::bundle_fixtures::require_path;
using causeway::test::bundle_fixtures::source_path;
using nlohmann::json;

json valid_example() { return json::parse(read_text(source_path("schemas/examples/config.valid.json"))); }

void require_refused(const json& document, causeway::core::Reason reason, const std::string& path) {
  const auto r = causeway::app::config_from_json(document);
  REQUIRE_FALSE(r.ok());
  INFO(r.error().message());
  CHECK(r.error().reason() == reason);
  require_path(r.error(), path);
}

}  // namespace

TEST_CASE("config: retention and gas_balance_warn are read, and absent means keep and no threshold", "[unit]") {
  auto loaded = causeway::app::config_from_json(valid_example());
  REQUIRE(loaded.ok());
  CHECK(loaded->relay.retention.bundles_days == 90);
  REQUIRE(loaded->chains[0].gas_balance_warn.has_value());
  CHECK(causeway::core::to_hex(*loaded->chains[0].gas_balance_warn) ==
        "0x00000000000000000000000000000000000000000000000006f05b59d3b20000");  // 0.5 ether
  CHECK_FALSE(loaded->chains[1].gas_balance_warn.has_value());

  json j = valid_example();
  j["relay"].erase("retention");
  j["chains"][0]["gas_balance_warn"] = "0xde0b6b3a7640000";  // 1 ether in hex, the quantity rule
  auto without = causeway::app::config_from_json(j);
  REQUIRE(without.ok());
  CHECK(without->relay.retention.bundles_days == 0);
  CHECK(causeway::core::to_hex(*without->chains[0].gas_balance_warn) ==
        "0x0000000000000000000000000000000000000000000000000de0b6b3a7640000");

  // Beyond uint64 (a private chain's balances), and the largest uint256, in both spellings.
  j["chains"][0]["gas_balance_warn"] = "18446744073709551616";
  auto big = causeway::app::config_from_json(j);
  REQUIRE(big.ok());
  CHECK(causeway::core::to_hex(*big->chains[0].gas_balance_warn) ==
        "0x0000000000000000000000000000000000000000000000010000000000000000");
  j["chains"][0]["gas_balance_warn"] =
      "115792089237316195423570985008687907853269984665640564039457584007913129639935";
  auto most = causeway::app::config_from_json(j);
  REQUIRE(most.ok());
  CHECK(causeway::core::to_hex(*most->chains[0].gas_balance_warn) == "0x" + std::string(64, 'f'));
  j["chains"][0]["gas_balance_warn"] = "0x" + std::string(64, 'f');
  auto hex = causeway::app::config_from_json(j);
  REQUIRE(hex.ok());
  CHECK(hex->chains[0].gas_balance_warn == most->chains[0].gas_balance_warn);
  j["chains"][0]["gas_balance_warn"] = 7;
  auto small = causeway::app::config_from_json(j);
  REQUIRE(small.ok());
  CHECK(small->chains[0].gas_balance_warn->bytes[31] == 7);
}

TEST_CASE("config: bad retention and gas_balance_warn values are refused by path", "[unit]") {
  SECTION("bundles_days beyond a century") {
    json j = valid_example();
    j["relay"]["retention"]["bundles_days"] = 36'501;
    require_refused(j, rc::kBadField, "relay.retention.bundles_days");
  }
  SECTION("bundles_days as a string") {
    json j = valid_example();
    j["relay"]["retention"]["bundles_days"] = "30";
    require_refused(j, rc::kBadField, "relay.retention.bundles_days");
  }
  SECTION("an unknown retention field") {
    json j = valid_example();
    j["relay"]["retention"]["bundle_days"] = 30;
    require_refused(j, rc::kUnknownField, "relay.retention");
  }
  SECTION("gas_balance_warn in ether notation") {
    json j = valid_example();
    j["chains"][0]["gas_balance_warn"] = "1e18";
    require_refused(j, rc::kBadField, "chains[0].gas_balance_warn");
  }
  SECTION("gas_balance_warn of 2^256") {
    json j = valid_example();
    j["chains"][0]["gas_balance_warn"] =
        "115792089237316195423570985008687907853269984665640564039457584007913129639936";
    require_refused(j, rc::kBadField, "chains[0].gas_balance_warn");
  }
  SECTION("gas_balance_warn with a leading zero") {
    json j = valid_example();
    j["chains"][0]["gas_balance_warn"] = "0100";
    require_refused(j, rc::kBadField, "chains[0].gas_balance_warn");
  }
  SECTION("gas_balance_warn with 65 hex digits") {
    json j = valid_example();
    j["chains"][0]["gas_balance_warn"] = "0x1" + std::string(64, '0');
    require_refused(j, rc::kBadField, "chains[0].gas_balance_warn");
  }
  SECTION("gas_balance_warn negative") {
    json j = valid_example();
    j["chains"][0]["gas_balance_warn"] = -1;
    require_refused(j, rc::kBadField, "chains[0].gas_balance_warn");
  }
}
