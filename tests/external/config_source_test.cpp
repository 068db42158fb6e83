// Tests for the `source.external` and `sink.external` settings of a chain (relay/app/config_loader):
// the examples with an external source and sink read into engine::ExternalAdapterSettings, defaults
// apply, and every malformed field is refused by reason and path (tests/audit holds the schema
// examples against the schema).
#include <catch2/catch.hpp>

#include <chrono>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "relay/app/config_loader.hpp"
#include "tests/unit/verify/bundle_fixtures.hpp"

namespace {

namespace rc = causeway::app::reason::config;
using causeway::app::config_from_json;
using causeway::core::Reason;
using causeway::test::bundle_fixtures::read_text;
using causeway::test::bundle_fixtures::require_path;
using causeway::test::bundle_fixtures::source_path;
using nlohmann::json;

json external_example() {
  return json::parse(read_text(source_path("schemas/examples/config.valid-external-source.json")));
}

// The external-source example with one edit of chain a's `source.external`, loaded.
causeway::core::Result<causeway::engine::Config> load_edited(const std::function<void(json&)>& edit) {
  json j = external_example();
  edit(j["chains"][0]["source"]["external"]);
  return config_from_json(j);
}

void require_refused(const causeway::core::Result<causeway::engine::Config>& r, Reason reason,
                     const std::string& path) {
  REQUIRE_FALSE(r.ok());
  INFO(r.error().message());
  CHECK(r.error().reason() == reason);
  require_path(r.error(), path);
}

const std::string kAt = "chains[0].source.external";

}  // namespace

TEST_CASE("config source.external: the example reads into the chain's settings", "[unit]") {
  auto config = config_from_json(external_example());
  REQUIRE(config.ok());
  const auto& a = config->chains.at(0);
  REQUIRE(a.external_source.has_value());
  CHECK(a.external_source->command ==
        std::vector<std::string>{"node", "/opt/causeway/adapters/evm-node/adapter.mjs", "--rpc",
                                 "https://rpc-a1.example.org:8545"});
  CHECK(a.external_source->env.size() == 1);
  CHECK(a.external_source->env.at("PATH") == "/usr/local/bin:/usr/bin:/bin");
  CHECK(a.external_source->call_timeout == std::chrono::milliseconds(30'000));
  CHECK(a.external_source->health_interval == std::chrono::milliseconds(10'000));
  CHECK_FALSE(config->chains.at(1).external_source.has_value());
}

TEST_CASE("config source.external: only the command is required; the timeouts default", "[unit]") {
  auto config = load_edited([](json& e) { e = json{{"command", json::array({"adapter", "--flag"})}}; });
  REQUIRE(config.ok());
  const auto& source = *config->chains.at(0).external_source;
  CHECK(source.command == std::vector<std::string>{"adapter", "--flag"});
  CHECK(source.env.empty());
  CHECK(source.call_timeout == std::chrono::milliseconds(30'000));
  CHECK(source.health_interval == std::chrono::milliseconds(10'000));
}

TEST_CASE("config source.external: every malformed field is refused by reason and path", "[unit]") {
  require_refused(load_edited([](json& e) { e["command"] = json::array(); }), rc::kBadField, kAt + ".command");
  require_refused(load_edited([](json& e) { e["command"] = json::array({""}); }), rc::kBadField, kAt + ".command[0]");
  require_refused(load_edited([](json& e) { e["command"][2] = ""; }), rc::kBadField, kAt + ".command[2]");
  require_refused(load_edited([](json& e) { e["command"] = "node adapter.mjs"; }), rc::kBadField, kAt + ".command");
  require_refused(load_edited([](json& e) { e["command"][1] = 7; }), rc::kBadField, kAt + ".command[1]");
  require_refused(load_edited([](json& e) { e.erase("command"); }), rc::kMissingField, kAt);
  require_refused(load_edited([](json& e) { e["cwd"] = "/tmp"; }), rc::kUnknownField, kAt);
  require_refused(load_edited([](json& e) { e["env"] = json::array({"PATH=/bin"}); }), rc::kBadField, kAt + ".env");
  require_refused(load_edited([](json& e) { e["env"]["1PATH"] = "/bin"; }), rc::kBadField, kAt + ".env.1PATH");
  require_refused(load_edited([](json& e) { e["env"]["HOME"] = 1; }), rc::kBadField, kAt + ".env.HOME");
  require_refused(load_edited([](json& e) { e["call_timeout_ms"] = 0; }), rc::kBadField, kAt + ".call_timeout_ms");
  require_refused(load_edited([](json& e) { e["health_interval_ms"] = "soon"; }), rc::kBadField,
                  kAt + ".health_interval_ms");
}

TEST_CASE("config source: an object naming exactly the external kind", "[unit]") {
  json j = external_example();
  j["chains"][0]["source"] = json::object();
  require_refused(config_from_json(j), rc::kMissingField, "chains[0].source");
  j["chains"][0]["source"] = json{{"evm", json::object()}, {"external", {{"command", {"adapter"}}}}};
  require_refused(config_from_json(j), rc::kUnknownField, "chains[0].source");
  j["chains"][0]["source"] = json::array({"adapter"});
  require_refused(config_from_json(j), rc::kBadField, "chains[0].source");
}

TEST_CASE("config sink.external: the example reads into the chain's settings, like source.external", "[unit]") {
  const json example = json::parse(read_text(source_path("schemas/examples/config.valid-external-sink.json")));
  auto config = config_from_json(example);
  REQUIRE(config.ok());
  const auto& a = config->chains.at(0);
  REQUIRE(a.external_sink.has_value());
  REQUIRE(a.external_source.has_value());
  CHECK(a.external_sink->command == a.external_source->command);
  CHECK(a.external_sink->env.at("GAS_KEY_FILE") == "/etc/causeway/adapter-gas-a.key");
  CHECK_FALSE(config->chains.at(1).external_sink.has_value());

  // The same reader as the source's, with the sink's paths.
  json j = example;
  j["chains"][0]["sink"]["external"]["command"] = json::array();
  require_refused(config_from_json(j), rc::kBadField, "chains[0].sink.external.command");
  j = example;
  j["chains"][0]["sink"]["external"]["env"]["1X"] = "y";
  require_refused(config_from_json(j), rc::kBadField, "chains[0].sink.external.env.1X");
  j = example;
  j["chains"][0]["sink"]["external"]["call_timeout_ms"] = 0;
  require_refused(config_from_json(j), rc::kBadField, "chains[0].sink.external.call_timeout_ms");
  j = example;
  j["chains"][0]["sink"] = json{{"evm", json::object()}};
  require_refused(config_from_json(j), rc::kUnknownField, "chains[0].sink");
  j["chains"][0]["sink"] = json::object();
  require_refused(config_from_json(j), rc::kMissingField, "chains[0].sink");
}
