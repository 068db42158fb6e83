// Tests for relay/app/config_loader and config_command: the YAML rule, strict reading of the valid
// schema example, every cross-field check by reason and path, and from-manifest round trips
// (tests/audit holds every schema example against the loader).
#include <stdlib.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "relay/app/config_command.hpp"
#include "relay/app/config_loader.hpp"
#include "relay/app/verify_command.hpp"
#include "tests/unit/verify/bundle_fixtures.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
using causeway::test::TempDir;
namespace rc = causeway::app::reason::config;
using causeway::app::config_from_json;
using causeway::app::yaml_to_json;
using causeway::core::Reason;
using causeway::test::bundle_fixtures::read_text;
using causeway::test::bundle_fixtures::require_path;
using causeway::test::bundle_fixtures::source_path;
using nlohmann::json;

json valid_example() { return json::parse(read_text(source_path("schemas/examples/config.valid.json"))); }

json deployment_example() { return json::parse(read_text(source_path("schemas/examples/deployment.valid.json"))); }

// The error of `r`, which must have failed with `reason` naming `path` first.
template <typename T>
void require_refused(const causeway::core::Result<T>& r, Reason reason, const std::string& path) {
  REQUIRE_FALSE(r.ok());
  INFO(r.error().message());
  CHECK(r.error().reason() == reason);
  require_path(r.error(), path);
}

// The valid example with one edit, loaded.
causeway::core::Result<causeway::engine::Config> load_edited(const std::function<void(json&)>& edit) {
  json j = valid_example();
  edit(j);
  return config_from_json(j);
}

// Some warning of `config` starts with `prefix`.
bool warns(const causeway::engine::Config& config, const std::string& prefix) {
  for (const auto& w : causeway::app::config_warnings(config)) {
    if (w.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

json yaml(const std::string& text) {
  auto r = yaml_to_json(text);
  INFO(text);
  if (!r) FAIL(r.error().message());
  return *r;
}

}  // namespace

TEST_CASE("yaml rule: integers are numbers up to 2^53 and must be quoted beyond", "[unit]") {
  CHECK(yaml("a: 9007199254740992")["a"] == json(9007199254740992ull));
  CHECK(yaml("a: -9007199254740992")["a"] == json(-9007199254740992ll));
  CHECK(yaml("a: 0")["a"] == json(0));
  CHECK(yaml("a: -0")["a"] == json(0));
  require_refused(yaml_to_json("a: 9007199254740993"), rc::kBigInteger, "a:");
  require_refused(yaml_to_json("a: -9007199254740993"), rc::kBigInteger, "a:");
  require_refused(yaml_to_json("a: 123456789012345678901234567890"), rc::kBigInteger, "a:");
  // The path is the field's, however deep.
  require_refused(yaml_to_json("chains:\n  - name: x\n    endpoints:\n      - url: 18446744073709551615\n"),
                  rc::kBigInteger, "chains[0].endpoints[0].url:");
  // Quoted, the same digits are a string the quantity reader takes.
  CHECK(yaml("a: \"18446744073709551615\"")["a"] == json("18446744073709551615"));
}

TEST_CASE("yaml rule: quoted scalars are strings, plain ones only take the stated forms", "[unit]") {
  const json j = yaml(
      "plain_int: 1001\nquoted_int: \"1001\"\nsingle: '1001'\nhex: 0x10\noctal: 0755\nunderscore: 1_000\n"
      "float: 1.5\nexp: 2e3\nneg_float: -0.25\nbare_dot: .5\ntrailing_dot: 1.\ninf: .inf\nyes: yes\non: on\n"
      "title_true: True\nt: true\nf: false\nquoted_true: \"true\"\nn1: null\nn2: ~\nn3:\nn4: NULL\nquoted_null: \"null\"\n"
      "text: hello world\nurl: http://127.0.0.1:8545\n");
  CHECK(j["plain_int"] == json(1001));
  CHECK(j["plain_int"].is_number_integer());
  CHECK(j["quoted_int"] == json("1001"));
  CHECK(j["single"] == json("1001"));
  CHECK(j["hex"] == json("0x10"));
  CHECK(j["octal"] == json("0755"));
  CHECK(j["underscore"] == json("1_000"));
  CHECK(j["float"] == json(1.5));
  CHECK(j["exp"] == json(2000.0));
  CHECK(j["exp"].is_number_float());
  CHECK(j["neg_float"] == json(-0.25));
  CHECK(j["bare_dot"] == json(".5"));
  CHECK(j["trailing_dot"] == json("1."));
  CHECK(j["inf"] == json(".inf"));
  CHECK(j["yes"] == json("yes"));
  CHECK(j["on"] == json("on"));
  CHECK(j["title_true"] == json("True"));
  CHECK(j["t"] == json(true));
  CHECK(j["f"] == json(false));
  CHECK(j["quoted_true"] == json("true"));
  CHECK(j["n1"].is_null());
  CHECK(j["n2"].is_null());
  CHECK(j["n3"].is_null());
  CHECK(j["n4"].is_null());
  CHECK(j["quoted_null"] == json("null"));
  CHECK(j["text"] == json("hello world"));
  CHECK(j["url"] == json("http://127.0.0.1:8545"));
  CHECK(yaml("- 1\n- [a, {b: 2}]\n") == json::parse(R"([1, ["a", {"b": 2}]])"));
  require_refused(yaml_to_json("a: 1e999"), rc::kBadField, "a:");
}

TEST_CASE("yaml rule: anchors, aliases, tags, duplicate keys and odd documents are refused", "[unit]") {
  require_refused(yaml_to_json("a: &x 1\nb: *x\n"), rc::kYamlFeature, "a:");
  require_refused(yaml_to_json("base: &b {x: 1}\nother:\n  <<: *b\n"), rc::kYamlFeature, "base:");
  require_refused(yaml_to_json("a: !!str 1\n"), rc::kYamlFeature, "a:");
  require_refused(yaml_to_json("a: !!int \"1\"\n"), rc::kYamlFeature, "a:");
  require_refused(yaml_to_json("a: !custom {b: 1}\n"), rc::kYamlFeature, "a:");
  require_refused(yaml_to_json("relay:\n  store: x\n  store: y\n"), rc::kDuplicateKey, "relay.store:");
  require_refused(yaml_to_json("? [1]\n: 2\n"), rc::kSyntax, "(root):");
  require_refused(yaml_to_json("a: 1\n---\nb: 2\n"), rc::kSyntax, "(root):");
  require_refused(yaml_to_json(""), rc::kSyntax, "(root):");
  require_refused(yaml_to_json("# only a comment\n"), rc::kSyntax, "(root):");
  require_refused(yaml_to_json(std::string(40, '[') + std::string(40, ']')), rc::kSyntax, "[0]");
  require_refused(yaml_to_json("a: \"\xff\xfe\"\n"), rc::kSyntax, "(root):");
  auto broken = yaml_to_json("a: [1, 2\n");
  REQUIRE_FALSE(broken.ok());
  CHECK(broken.error().reason() == rc::kSyntax);
  CHECK(broken.error().detail().find("line") != std::string::npos);
}

TEST_CASE("config: the valid example loads with every field where it belongs", "[unit]") {
  auto r = config_from_json(valid_example());
  REQUIRE(r.ok());
  const auto& c = *r;
  CHECK(c.version == 1);
  CHECK(c.relay.store == "/var/lib/causeway/relay.db");
  CHECK(c.relay.vote_key.keystore == "/etc/causeway/vote.json");
  CHECK(c.relay.vote_key.password_file == "/run/secrets/vote-pass");
  REQUIRE(c.relay.log_key.has_value());
  CHECK(c.relay.log_key->raw_file == "/etc/causeway/log.key");
  CHECK(c.relay.log_format == "json");
  CHECK(c.relay.verify_threads == 2);
  REQUIRE(c.chains.size() == 2);
  const auto& a = c.chains[0];
  CHECK(a.chain_id == 1001);
  CHECK(a.start_height == 2);
  CHECK(causeway::core::to_hex(a.gateway) == "0x5fbdb2315678afecb367f032d93f642f64180aa3");
  REQUIRE(a.endpoints.size() == 2);
  CHECK(a.endpoints[0].ca_file == "/etc/causeway/ca-a.pem");
  CHECK(a.endpoints[1].url == "https://rpc-a2.example.org:8545");
  CHECK(a.quorum == 2);
  CHECK(a.fees.max_priority_fee == 50'000'000'000);
  CHECK(a.gas_key.password_env == "CAUSEWAY_GAS_A_PASSWORD");
  CHECK(a.threshold == 2);
  // The anchor is a trust-anchors chain entry built from the config's own fields.
  CHECK(a.anchor == json::parse(R"({"name": "a", "family": "evm", "chain_id": "1001",
      "genesis_hash": "0x68b4b4f8b6f855cbd2a962adc20dcdd3da7d9cba30a0dcd9c63823b8bb311e9d",
      "chain_identity": "0x6130f6e06cc4b97b128f3792763ad371b5918ffb207fa2a00342dafe91e3fba4",
      "gateway": "0x5fbdb2315678afecb367f032d93f642f64180aa3",
      "consensus": {"mode": "confirmations", "confirmations": 2}, "limits": {"max_payload": 16384},
      "insecure": false})"));
  // Chain b leaves out what has a default.
  const auto& b = c.chains[1];
  CHECK(b.chain_id == 1002);
  CHECK(b.start_height == 1);
  CHECK(b.quorum == 1);
  CHECK(b.gas_cap == 15'000'000);
  CHECK(b.fees.mode == "detect");
  CHECK(b.anchor["limits"]["max_payload"] == 32768);
  REQUIRE(c.lanes.size() == 2);
  CHECK(c.lanes[0].name == "a-to-b");
  CHECK(c.lanes[0].rate_limit.messages_per_second == 20.5);
  CHECK(c.lanes[0].batch.max_gas == 10'000'000);
  CHECK(c.lanes[1].name == "b->a");
  CHECK(c.lanes[1].batch.max_messages == 50);
  CHECK(c.lanes[1].retry.max_attempts == 20);
  CHECK(c.lanes[1].acknowledge);
  CHECK_FALSE(c.single_operator());
  CHECK_FALSE(c.insecure_trust());
  const auto warnings = causeway::app::config_warnings(c);
  // The Ed25519 log key is always a key file: no warning for it, only for the raw gas key.
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].rfind("unencrypted key: chain \"b\" gas_key", 0) == 0);
}

TEST_CASE("config: the YAML twin of the valid example reads back to the same document", "[unit]") {
  const json original = valid_example();
  const std::string text = causeway::app::config_to_yaml(nlohmann::ordered_json::parse(original.dump()), "twin");
  CHECK(text.rfind("# twin\n", 0) == 0);
  CHECK(yaml(text) == original);
  TempDir dir;
  auto loaded = causeway::app::load_config_file(dir.write("config.yml", text));
  REQUIRE(loaded.ok());
  CHECK(loaded->chains[1].anchor == config_from_json(original)->chains[1].anchor);
}

TEST_CASE("config: unsafe settings are refused unless said out loud", "[unit]") {
  // Mode trusted needs insecure: true, and is then announced.
  auto r = load_edited([](json& j) { j["chains"][1]["consensus"] = {{"mode", "trusted"}}; });
  require_refused(r, rc::kUnsafe, "chains[1].insecure");
  r = load_edited([](json& j) {
    j["chains"][1]["consensus"] = {{"mode", "trusted"}};
    j["chains"][1]["insecure"] = true;
  });
  REQUIRE(r.ok());
  CHECK(r->insecure_trust());
  CHECK(warns(*r, "insecure trust: chain \"b\""));

  // TLS verification off needs relay.allow_insecure_tls, and is then announced.
  auto insecure_tls = [](json& j) {
    j["chains"][0]["endpoints"][1] = {{"url", "https://rpc-a2.example.org:8545"}, {"insecure_skip_tls_verify", true}};
  };
  require_refused(load_edited(insecure_tls), rc::kUnsafe, "chains[0].endpoints[1].insecure_skip_tls_verify");
  r = load_edited([&](json& j) {
    insecure_tls(j);
    j["relay"]["allow_insecure_tls"] = true;
  });
  REQUIRE(r.ok());
  CHECK(warns(*r, "insecure TLS: chain \"a\" endpoint https://rpc-a2.example.org:8545"));
  // ... and means nothing on a plain-text URL, or next to a CA file.
  r = load_edited([](json& j) {
    j["relay"]["allow_insecure_tls"] = true;
    j["chains"][1]["endpoints"][0] = {{"url", "http://127.0.0.1:8546"}, {"insecure_skip_tls_verify", true}};
  });
  require_refused(r, rc::kBadField, "chains[1].endpoints[0].insecure_skip_tls_verify");
  r = load_edited([](json& j) {
    j["relay"]["allow_insecure_tls"] = true;
    j["chains"][0]["endpoints"][0]["insecure_skip_tls_verify"] = true;
  });
  require_refused(r, rc::kBadField, "chains[0].endpoints[0].insecure_skip_tls_verify");
  r = load_edited([](json& j) {
    j["chains"][1]["endpoints"][0] = {{"url", "http://127.0.0.1:8546"}, {"ca_file", "/ca.pem"}};
  });
  require_refused(r, rc::kBadField, "chains[1].endpoints[0].ca_file");

  // A vote key never pays gas.
  r = load_edited([](json& j) {
    j["chains"][1]["gas_key"] = {{"keystore", "/etc/causeway/vote.json"}, {"password_env", "P"}};
  });
  require_refused(r, rc::kUnsafe, "chains[1].gas_key");

  // Threshold 1 is single-operator mode: allowed, announced.
  r = load_edited([](json& j) { j["chains"][1]["threshold"] = 1; });
  REQUIRE(r.ok());
  CHECK(r->single_operator());
  CHECK(warns(*r, "single-operator mode: chain \"b\""));
  require_refused(load_edited([](json& j) { j["chains"][1]["threshold"] = 0; }), rc::kBadField, "chains[1].threshold");
}

TEST_CASE("config: chains and lanes are unique and lanes join defined, different chains", "[unit]") {
  require_refused(load_edited([](json& j) { j["chains"][1]["name"] = "a"; }), rc::kDuplicateChain, "chains[1]");
  // The same chain under another name has the same identity.
  require_refused(load_edited([](json& j) {
                    j["chains"][1] = j["chains"][0];
                    j["chains"][1]["name"] = "a2";
                    j["chains"][1]["gas_key"] = {{"raw_file", "/gas-a2.key"}};
                  }),
                  rc::kDuplicateChain, "chains[1]");
  require_refused(load_edited([](json& j) { j["lanes"][1]["to"] = "c"; }), rc::kUnknownChain, "lanes[1].to");
  require_refused(load_edited([](json& j) { j["lanes"][1]["to"] = "b"; }), rc::kBadField, "lanes[1].to");
  require_refused(load_edited([](json& j) {
                    j["lanes"].push_back({{"from", "a"}, {"to", "b"}});
                  }),
                  rc::kDuplicateLane, "lanes[2]");
  require_refused(load_edited([](json& j) { j["lanes"][1]["name"] = "a-to-b"; }), rc::kDuplicateLane, "lanes[1]");
  require_refused(load_edited([](json& j) { j["lanes"][1]["name"] = "b to a"; }), rc::kBadField, "lanes[1].name");
  require_refused(load_edited([](json& j) { j["chains"][0]["name"] = "a/b"; }), rc::kBadField, "chains[0].name");
  require_refused(load_edited([](json& j) { j["chains"] = json::array(); }), rc::kBadField, "chains");
  auto no_lanes = load_edited([](json& j) { j.erase("lanes"); });
  REQUIRE(no_lanes.ok());
  CHECK(no_lanes->lanes.empty());
}

TEST_CASE("config: key references name exactly one source", "[unit]") {
  auto vote = [](json key) { return load_edited([&](json& j) { j["relay"]["vote_key"] = key; }); };
  require_refused(vote(json::object()), rc::kBadField, "relay.vote_key");
  require_refused(vote({{"keystore", "/k.json"}}), rc::kBadField, "relay.vote_key");
  require_refused(vote({{"keystore", "/k.json"}, {"password_file", "/p"}, {"password_env", "P"}}), rc::kBadField,
                  "relay.vote_key");
  require_refused(vote({{"raw_file", "/k"}, {"password_file", "/p"}}), rc::kBadField, "relay.vote_key");
  require_refused(vote({{"keystore", "/k.json"}, {"password_env", "1PASS"}}), rc::kBadField,
                  "relay.vote_key.password_env");
  require_refused(vote({{"keystore", "/k.json"}, {"password_env", "PASS-WORD"}}), rc::kBadField,
                  "relay.vote_key.password_env");
  require_refused(vote({{"keystore", ""}, {"password_env", "P"}}), rc::kBadField, "relay.vote_key.keystore");
  require_refused(vote({{"keyfile", "/k"}}), rc::kUnknownField, "relay.vote_key.keyfile");
  auto r = vote({{"raw_file", "/k"}});
  REQUIRE(r.ok());
  CHECK(causeway::app::config_warnings(*r)[0] ==
        "unencrypted key: relay.vote_key is the raw key file /k (development only)");
  r = vote({{"keystore", "/k.json"}, {"password_env", "_PASS_1"}});
  REQUIRE(r.ok());
  CHECK(r->relay.vote_key.password_env == "_PASS_1");
}

TEST_CASE("config: a pkcs11 key names module, token, key and exactly one PIN source", "[unit]") {
  const json token = {{"module", "/usr/lib/softhsm/libsofthsm2.so"}, {"token", "hsm"}, {"key", "vote"},
                      {"pin_file", "/run/secrets/pin"}};
  auto vote = [](json key) { return load_edited([&](json& j) { j["relay"]["vote_key"] = key; }); };
  auto r = vote({{"pkcs11", token}});
  REQUIRE(r.ok());
  REQUIRE(r->relay.vote_key.pkcs11.has_value());
  CHECK(r->relay.vote_key.pkcs11->key == "vote");
  CHECK(r->relay.vote_key.pkcs11->pin_file == "/run/secrets/pin");
  for (const auto& warning : causeway::app::config_warnings(*r)) CHECK(warning.find("relay.vote_key") == std::string::npos);

  require_refused(vote({{"pkcs11", token}, {"raw_file", "/k"}}), rc::kBadField, "relay.vote_key");
  require_refused(vote({{"pkcs11", token}, {"password_env", "P"}}), rc::kBadField, "relay.vote_key");
  json two_pins = token;
  two_pins["pin_env"] = "PIN";
  require_refused(vote({{"pkcs11", two_pins}}), rc::kBadField, "relay.vote_key.pkcs11");
  json no_pin = token;
  no_pin.erase("pin_file");
  require_refused(vote({{"pkcs11", no_pin}}), rc::kBadField, "relay.vote_key.pkcs11");
  json no_module = token;
  no_module.erase("module");
  require_refused(vote({{"pkcs11", no_module}}), rc::kMissingField, "relay.vote_key.pkcs11.module");
  json empty_key = token;
  empty_key["key"] = "";
  require_refused(vote({{"pkcs11", empty_key}}), rc::kBadField, "relay.vote_key.pkcs11");
  json long_token = token;
  long_token["token"] = std::string(33, 't');
  require_refused(vote({{"pkcs11", long_token}}), rc::kBadField, "relay.vote_key.pkcs11.token");
  json slot = token;
  slot["slot"] = 0;
  require_refused(vote({{"pkcs11", slot}}), rc::kUnknownField, "relay.vote_key.pkcs11.slot");

  // The same token key as vote and gas key is refused like the same file; another label is not.
  r = load_edited([&](json& j) {
    j["relay"]["vote_key"] = {{"pkcs11", token}};
    j["chains"][1]["gas_key"] = {{"pkcs11", token}};
  });
  require_refused(r, rc::kUnsafe, "chains[1].gas_key");
  json gas = token;
  gas["key"] = "gas-b";
  r = load_edited([&](json& j) {
    j["relay"]["vote_key"] = {{"pkcs11", token}};
    j["chains"][1]["gas_key"] = {{"pkcs11", gas}};
  });
  CHECK(r.ok());
  // Audit checkpoints are Ed25519, which the token path does not sign.
  require_refused(load_edited([&](json& j) { j["relay"]["log_key"] = {{"pkcs11", token}}; }), rc::kBadField,
                  "relay.log_key");
}

TEST_CASE("config: chain fields, identity and consensus are read strictly", "[unit]") {
  require_refused(load_edited([](json& j) { j["chains"][1]["chain_identity"] = j["chains"][0]["chain_identity"]; }),
                  rc::kIdentityMismatch, "chains[1].chain_identity");
  require_refused(load_edited([](json& j) { j["chains"][1]["chain_id"] = 1003; }), rc::kIdentityMismatch,
                  "chains[1].chain_identity");
  require_refused(load_edited([](json& j) { j["chains"][1]["family"] = "fabric"; }), rc::kBadField, "chains[1].family");
  // The consensus object is the trust anchors': their reader's errors come back with the
  // config's path and a config reason.
  require_refused(load_edited([](json& j) { j["chains"][1]["consensus"]["confirmations"] = 0; }), rc::kBadField,
                  "chains[1].consensus.confirmations");
  require_refused(load_edited([](json& j) { j["chains"][1]["consensus"]["mode"] = "pow"; }), rc::kBadField,
                  "chains[1].consensus.mode");
  require_refused(load_edited([](json& j) {
                    j["chains"][1]["consensus"] = {{"mode", "qbft"}};
                  }),
                  rc::kMissingField, "chains[1].consensus.checkpoint");
  require_refused(load_edited([](json& j) { j["chains"][1]["consensus"]["epoch"] = 1; }), rc::kUnknownField,
                  "chains[1].consensus.epoch");
  require_refused(load_edited([](json& j) {
                    j["chains"][1]["limits"] = {{"max_payload", 2 << 20}};
                  }),
                  rc::kBadField, "chains[1].limits.max_payload");
  require_refused(load_edited([](json& j) { j["chains"][0].erase("gas_key"); }), rc::kMissingField,
                  "chains[0].gas_key");
  require_refused(load_edited([](json& j) { j["chains"][0]["gas_limit"] = 1; }), rc::kUnknownField,
                  "chains[0].gas_limit");
  // Gateways: lower case or a correct EIP-55 checksum, not zero.
  require_refused(
      load_edited([](json& j) { j["chains"][0]["gateway"] = "0x5FbDB2315678afecb367f032d93F642f64180aA3"; }),
      rc::kBadField, "chains[0].gateway");
  require_refused(load_edited([](json& j) { j["chains"][0]["gateway"] = "0x" + std::string(40, '0'); }), rc::kBadField,
                  "chains[0].gateway");
  require_refused(load_edited([](json& j) { j["chains"][0]["gateway"] = "0x5fbdb2315678afecb367f032d93f642f64180a"; }),
                  rc::kBadField, "chains[0].gateway");
  // Endpoints: distinct URLs of a known scheme, and a quorum they can meet.
  require_refused(load_edited([](json& j) { j["chains"][0]["endpoints"][1] = "https://rpc-a1.example.org:8545"; }),
                  rc::kBadField, "chains[0].endpoints[1]");
  require_refused(load_edited([](json& j) { j["chains"][1]["endpoints"][0] = "ftp://127.0.0.1"; }), rc::kBadField,
                  "chains[1].endpoints[0]");
  require_refused(load_edited([](json& j) { j["chains"][1]["endpoints"][0] = "http://"; }), rc::kBadField,
                  "chains[1].endpoints[0]");
  require_refused(load_edited([](json& j) { j["chains"][1]["endpoints"][0] = "http://a b"; }), rc::kBadField,
                  "chains[1].endpoints[0]");
  require_refused(load_edited([](json& j) { j["chains"][1]["endpoints"] = json::array(); }), rc::kBadField,
                  "chains[1].endpoints");
  require_refused(load_edited([](json& j) { j["chains"][0]["quorum"] = 3; }), rc::kBadField, "chains[0].quorum");
  require_refused(load_edited([](json& j) { j["chains"][0]["quorum"] = 0; }), rc::kBadField, "chains[0].quorum");
  require_refused(load_edited([](json& j) { j["chains"][0]["max_range"] = 0; }), rc::kBadField, "chains[0].max_range");
  require_refused(load_edited([](json& j) { j["chains"][0]["gas_cap"] = 20'000; }), rc::kBadField, "chains[0].gas_cap");
  require_refused(load_edited([](json& j) { j["chains"][0]["poll_interval_ms"] = 0; }), rc::kBadField,
                  "chains[0].poll_interval_ms");
  // Fees: ordered bounds, and bumps nodes accept.
  require_refused(load_edited([](json& j) { j["chains"][0]["fees"]["max_priority_fee"] = "999999999"; }), rc::kBadField,
                  "chains[0].fees.max_priority_fee");
  require_refused(load_edited([](json& j) { j["chains"][0]["fees"]["max_fee_cap"] = "1000000000"; }), rc::kBadField,
                  "chains[0].fees.max_priority_fee");
  require_refused(load_edited([](json& j) { j["chains"][0]["fees"]["bump_percent"] = 5; }), rc::kBadField,
                  "chains[0].fees.bump_percent");
  require_refused(load_edited([](json& j) { j["chains"][0]["fees"]["mode"] = "auto"; }), rc::kBadField,
                  "chains[0].fees.mode");
}

TEST_CASE("config: quantities take numbers up to 2^53 and uint64 strings", "[unit]") {
  auto start = [](json value) { return load_edited([&](json& j) { j["chains"][0]["start_height"] = value; }); };
  CHECK(start(9007199254740992ull)->chains[0].start_height == 9007199254740992ull);
  CHECK(start("18446744073709551615")->chains[0].start_height == 18446744073709551615ull);
  CHECK(start("0xff")->chains[0].start_height == 255);
  CHECK(start("0xffffffffffffffff")->chains[0].start_height == 18446744073709551615ull);
  CHECK(start(0)->chains[0].start_height == 0);
  require_refused(start(9007199254740993ull), rc::kBigInteger, "chains[0].start_height");
  require_refused(start("18446744073709551616"), rc::kBadField, "chains[0].start_height");
  require_refused(start("0x1ffffffffffffffff"), rc::kBadField, "chains[0].start_height");
  require_refused(start("0x"), rc::kBadField, "chains[0].start_height");
  require_refused(start("0xFF"), rc::kBadField, "chains[0].start_height");
  require_refused(start("012"), rc::kBadField, "chains[0].start_height");
  require_refused(start(-1), rc::kBadField, "chains[0].start_height");
  require_refused(start(1.5), rc::kBadField, "chains[0].start_height");
  require_refused(start(true), rc::kBadField, "chains[0].start_height");
}

TEST_CASE("config: relay and lane settings are bounded", "[unit]") {
  auto relay = [](const char* field, json value) { return load_edited([&](json& j) { j["relay"][field] = value; }); };
  require_refused(relay("verify_threads", 0), rc::kBadField, "relay.verify_threads");
  require_refused(relay("verify_threads", 65), rc::kBadField, "relay.verify_threads");
  CHECK(relay("verify_threads", 64)->relay.verify_threads == 64);
  require_refused(relay("verify_threads", "2"), rc::kBadField, "relay.verify_threads");
  require_refused(relay("max_pending", 0), rc::kBadField, "relay.max_pending");
  require_refused(relay("listen", "localhost"), rc::kBadField, "relay.listen");
  require_refused(relay("listen", "::1:9464"), rc::kBadField, "relay.listen");
  require_refused(relay("listen", "127.0.0.1:0"), rc::kBadField, "relay.listen");
  require_refused(relay("listen", "127.0.0.1:65536"), rc::kBadField, "relay.listen");
  require_refused(relay("listen", ":9464"), rc::kBadField, "relay.listen");
  CHECK(relay("listen", "[::1]:9464")->relay.listen == "[::1]:9464");
  require_refused(relay("log", {{"level", "verbose"}}), rc::kBadField, "relay.log.level");
  require_refused(relay("log", {{"colour", true}}), rc::kUnknownField, "relay.log.colour");
  require_refused(relay("store", ""), rc::kBadField, "relay.store");
  require_refused(load_edited([](json& j) { j["relay"].erase("store"); }), rc::kMissingField, "relay.store");
  require_refused(load_edited([](json& j) { j["version"] = 2; }), rc::kUnsupportedVersion, "version");
  require_refused(load_edited([](json& j) { j["relays"] = json::object(); }), rc::kUnknownField, "relays");

  auto lane = [](const char* group, const char* field, json value) {
    return load_edited([&](json& j) { j["lanes"][0][group][field] = value; });
  };
  require_refused(lane("batch", "max_messages", 0), rc::kBadField, "lanes[0].batch.max_messages");
  require_refused(lane("batch", "max_bytes", 0), rc::kBadField, "lanes[0].batch.max_bytes");
  require_refused(lane("batch", "max_gas", "0"), rc::kBadField, "lanes[0].batch.max_gas");
  CHECK(lane("batch", "flush_after_ms", 0)->lanes[0].batch.flush_after.count() == 0);
  require_refused(lane("rate_limit", "messages_per_second", -1), rc::kBadField,
                  "lanes[0].rate_limit.messages_per_second");
  require_refused(lane("breaker", "failures", 0), rc::kBadField, "lanes[0].breaker.failures");
  require_refused(lane("retry", "max_ms", 999), rc::kBadField, "lanes[0].retry.max_ms");
  require_refused(lane("retry", "max_attempts", 0), rc::kBadField, "lanes[0].retry.max_attempts");
  require_refused(lane("retry", "jitter", 1), rc::kUnknownField, "lanes[0].retry.jitter");
}

TEST_CASE("config files: YAML by extension, JSON otherwise, bounded, errors located", "[unit]") {
  TempDir dir;
  const json original = valid_example();
  const std::string as_yaml = causeway::app::config_to_yaml(nlohmann::ordered_json::parse(original.dump()), "x");
  CHECK(causeway::app::load_config_file(dir.write("c.yaml", as_yaml)).ok());
  CHECK(causeway::app::load_config_file(dir.write("c.YML", as_yaml)).ok());
  CHECK(causeway::app::load_config_file(dir.write("c.conf", original.dump())).ok());
  // YAML in a .json file is not JSON.
  require_refused(causeway::app::load_config_file(dir.write("c.json", as_yaml)), rc::kSyntax, "(root)");
  auto broken = causeway::app::load_config_file(dir.write("broken.json", "{\n  \"version\": 1,\n}"));
  REQUIRE_FALSE(broken.ok());
  CHECK(broken.error().reason() == rc::kSyntax);
  CHECK(broken.error().detail().find("line 3") != std::string::npos);
  require_refused(causeway::app::load_config_file(dir.write("deep.json", std::string(64, '[') + std::string(64, ']'))),
                  rc::kSyntax, "(root)");
  auto big =
      causeway::app::load_config_file(dir.write("big.yaml", std::string(causeway::app::kMaxConfigBytes + 1, '#')));
  REQUIRE_FALSE(big.ok());
  CHECK(big.error().reason() == causeway::app::reason::kInputTooLarge);
  auto missing = causeway::app::load_config_file(dir / "missing.yaml");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().reason() == causeway::app::reason::kInputNotFound);
}

TEST_CASE("from-manifest: the devnet manifest becomes a config the loader reads back", "[unit]") {
  const json manifest = deployment_example();
  auto config = causeway::app::config_from_manifest(manifest, {"/state/relay.db", "127.0.0.1:9500"});
  REQUIRE(config.ok());
  TempDir dir;
  const std::string path = dir.write("relay.yaml", causeway::app::config_to_yaml(*config, "generated"));
  auto loaded = causeway::app::load_config_file(path);
  REQUIRE(loaded.ok());
  const auto& c = *loaded;
  CHECK(c.relay.store == "/state/relay.db");
  CHECK(c.relay.listen == "127.0.0.1:9500");
  CHECK(c.relay.vote_key.raw_file == manifest["keys"]["vote"][0]["file"]);
  REQUIRE(c.chains.size() == 2);
  for (std::size_t i = 0; i < 2; ++i) {
    const json& m = manifest["chains"][i];
    INFO(i);
    CHECK(c.chains[i].name == m["name"]);
    CHECK(std::to_string(c.chains[i].chain_id) == m["chainId"]);
    CHECK(causeway::core::to_hex(c.chains[i].chain_identity) == m["chainIdentity"]);
    CHECK(c.chains[i].start_height == m["deployBlock"]);
    REQUIRE(c.chains[i].endpoints.size() == 1);
    CHECK(c.chains[i].endpoints[0].url == m["rpc"]["http"]);
    CHECK(c.chains[i].gas_key.raw_file == manifest["keys"]["gas"][i]["file"]);
    CHECK(c.chains[i].threshold == 2);
    CHECK(c.chains[i].anchor["consensus"] == json::parse(R"({"mode": "confirmations", "confirmations": 1})"));
    CHECK(c.chains[i].anchor["limits"]["max_payload"] == 16384);
  }
  REQUIRE(c.lanes.size() == 2);
  CHECK(c.lanes[0].name == "a->b");
  CHECK(c.lanes[1].name == "b->a");

  // A manifest that lacks a chain's gas key, or names an unknown trusted source, is refused.
  json edited = manifest;
  edited["keys"]["gas"].erase(1);
  auto r = causeway::app::config_from_manifest(edited, {"/s.db", ""});
  REQUIRE_FALSE(r.ok());
  require_path(r.error(), "keys.gas");
  edited = manifest;
  edited["chains"][0]["trustedSources"][0]["chain"] = "z";
  r = causeway::app::config_from_manifest(edited, {"/s.db", ""});
  REQUIRE_FALSE(r.ok());
  require_path(r.error(), "chains[0].trustedSources[0].chain");
}

TEST_CASE("config command: check and from-manifest report by exit code", "[unit]") {
  using causeway::app::ConfigAction;
  using causeway::app::ConfigCommandOptions;
  using causeway::app::run_config_command;
  const auto examples = source_path("schemas/examples");
  std::ostringstream out;
  std::ostringstream err;
  CHECK(run_config_command(
            ConfigCommandOptions{.action = ConfigAction::kCheck, .file = (examples / "config.valid.json").string()},
            out, err) == 0);
  CHECK(out.str().rfind("ok: 2 chains, 2 lanes\nwarning: unencrypted key: chain \"b\" gas_key", 0) == 0);
  CHECK(err.str().empty());
  out.str("");
  const std::string invalid = (examples / "config.invalid-insecure-tls.json").string();
  CHECK(run_config_command(ConfigCommandOptions{.action = ConfigAction::kCheck, .file = invalid}, out, err) == 2);
  CHECK(out.str().empty());
  CHECK(err.str() == "error: " + invalid +
                         ": config.unsafe: chains[0].endpoints[1].insecure_skip_tls_verify: TLS verification off needs "
                         "relay.allow_insecure_tls: true\n");

  TempDir dir;
  const std::string manifest = dir.write("deployment.json", deployment_example().dump());
  out.str("");
  err.str("");
  const std::string json_out = (dir / "relay.json").string();
  REQUIRE(run_config_command(
              ConfigCommandOptions{.action = ConfigAction::kFromManifest, .manifest = manifest, .out = json_out}, out,
              err) == 0);
  CHECK(out.str() == "wrote " + json_out + ": 2 chains, 2 lanes\n");
  auto loaded = causeway::app::load_config_file(json_out);
  REQUIRE(loaded.ok());
  // Without --store the store sits beside the manifest.
  CHECK(loaded->relay.store == (dir / "relay.db").string());
  // Without --out the YAML goes to standard output; a bad --listen writes nothing.
  out.str("");
  REQUIRE(run_config_command(ConfigCommandOptions{.action = ConfigAction::kFromManifest, .manifest = manifest}, out,
                             err) == 0);
  CHECK(yaml(out.str())["lanes"].size() == 2);
  out.str("");
  err.str("");
  CHECK(run_config_command(
            ConfigCommandOptions{.action = ConfigAction::kFromManifest, .manifest = manifest, .listen = "nowhere"}, out,
            err) == 2);
  CHECK(out.str().empty());
  CHECK(err.str().find("config.bad_field: the config it gives is refused: relay.listen") != std::string::npos);
  CHECK(run_config_command(ConfigCommandOptions{}, out, err) == 2);
}

TEST_CASE("config: relay.api names at most one admin token source, and private reads need one", "[unit]") {
  auto api = [](json settings) { return load_edited([&](json& j) { j["relay"]["api"] = settings; }); };
  auto example = config_from_json(valid_example());
  REQUIRE(example.ok());
  CHECK(example->relay.api.admin_token_file == "/run/secrets/causeway-admin-token");
  CHECK(example->relay.api.public_reads);
  auto absent = load_edited([](json& j) { j["relay"].erase("api"); });
  REQUIRE(absent.ok());
  CHECK(absent->relay.api.admin_token_file.empty());
  CHECK(absent->relay.api.admin_token_env.empty());
  CHECK(absent->relay.api.public_reads);
  auto private_reads = api({{"admin_token_env", "CAUSEWAY_ADMIN_TOKEN"}, {"public_reads", false}});
  REQUIRE(private_reads.ok());
  CHECK(private_reads->relay.api.admin_token_env == "CAUSEWAY_ADMIN_TOKEN");
  CHECK_FALSE(private_reads->relay.api.public_reads);

  require_refused(api({{"admin_token_file", "/t"}, {"admin_token_env", "T"}}), rc::kBadField, "relay.api");
  require_refused(api({{"public_reads", false}}), rc::kBadField, "relay.api.public_reads");
  require_refused(api({{"public_reads", "yes"}}), rc::kBadField, "relay.api.public_reads");
  require_refused(api({{"admin_token_env", "1TOKEN"}}), rc::kBadField, "relay.api.admin_token_env");
  require_refused(api({{"admin_token_file", ""}}), rc::kBadField, "relay.api.admin_token_file");
  // The token itself never belongs in a config file.
  require_refused(api({{"admin_token", "s3cret"}}), rc::kUnknownField, "relay.api.admin_token");
}

TEST_CASE("config: the audit log key must be an Ed25519 key file, not a keystore", "[unit]") {
  require_refused(load_edited([](json& j) {
                    j["relay"]["log_key"] = {{"keystore", "/etc/causeway/log.json"},
                                             {"password_file", "/run/secrets/log-pass"}};
                  }),
                  rc::kBadField, "relay.log_key");
}

TEST_CASE("config: relay.store is a SQLite path or a PostgreSQL object without a password in it", "[unit]") {
  auto store = [](json value) { return load_edited([&](json& j) { j["relay"]["store"] = value; }); };
  auto r = store({{"postgres", {{"conninfo", "host=db dbname=causeway user=relay"}, {"password_env", "PG_PASS"}}}});
  REQUIRE(r.ok());
  REQUIRE(r->relay.postgres.has_value());
  CHECK(r->relay.postgres->conninfo == "host=db dbname=causeway user=relay");
  CHECK(r->relay.postgres->password_env == "PG_PASS");
  CHECK(r->relay.postgres->schema == "causeway");
  CHECK(r->relay.store.empty());
  r = store({{"postgres", {{"conninfo", "host=db"}, {"schema", "relay_b"}}}});
  REQUIRE(r.ok());
  CHECK(r->relay.postgres->schema == "relay_b");
  CHECK(r->relay.postgres->password_file.empty());

  require_refused(store(42), rc::kBadField, "relay.store");
  require_refused(store({{"postgres", {{"conninfo", "host=db password=hunter2"}}}}), rc::kBadField,
                  "relay.store.postgres.conninfo");
  require_refused(store({{"postgres", {{"conninfo", "postgresql://relay:hunter2@db/causeway"}}}}), rc::kBadField,
                  "relay.store.postgres.conninfo");
  require_refused(store({{"postgres", {{"conninfo", "host=db"}, {"password_env", "P"}, {"password_file", "/p"}}}}),
                  rc::kBadField, "relay.store.postgres");
  require_refused(store({{"postgres", {{"conninfo", "host=db"}, {"schema", "Relay"}}}}), rc::kBadField,
                  "relay.store.postgres.schema");
  require_refused(store({{"postgres", {{"conninfo", "host=db"}, {"password_env", "PG-PASS"}}}}), rc::kBadField,
                  "relay.store.postgres.password_env");
  require_refused(store({{"postgres", json::object()}}), rc::kMissingField, "relay.store.postgres.conninfo");
  require_refused(store({{"postgres", {{"conninfo", "host=db"}, {"sslmode", "require"}}}}), rc::kUnknownField,
                  "relay.store.postgres.sslmode");
  require_refused(store({{"sqlite", "/x.db"}}), rc::kUnknownField, "relay.store.sqlite");
}

TEST_CASE("config: relay.store.postgres.lease takes ttl_ms and renew_ms below ttl_ms / 2", "[unit]") {
  auto lease = [](json value) {
    return load_edited([&](json& j) { j["relay"]["store"] = {{"postgres", {{"conninfo", "host=db"}, {"lease", value}}}}; });
  };
  auto defaults = load_edited([](json& j) { j["relay"]["store"] = {{"postgres", {{"conninfo", "host=db"}}}}; });
  REQUIRE(defaults.ok());
  CHECK(defaults->relay.postgres->lease_ttl == std::chrono::milliseconds(10000));
  CHECK(defaults->relay.postgres->lease_renew == std::chrono::milliseconds(3333));
  auto short_ttl = lease({{"ttl_ms", 3000}});
  REQUIRE(short_ttl.ok());
  CHECK(short_ttl->relay.postgres->lease_ttl == std::chrono::milliseconds(3000));
  CHECK(short_ttl->relay.postgres->lease_renew == std::chrono::milliseconds(1000));
  auto both = lease({{"ttl_ms", 3000}, {"renew_ms", 1499}});
  REQUIRE(both.ok());
  CHECK(both->relay.postgres->lease_renew == std::chrono::milliseconds(1499));

  require_refused(lease({{"ttl_ms", 3000}, {"renew_ms", 1500}}), rc::kBadField, "relay.store.postgres.lease.renew_ms");
  require_refused(lease({{"renew_ms", 6000}}), rc::kBadField, "relay.store.postgres.lease.renew_ms");
  require_refused(lease({{"ttl_ms", 50}}), rc::kBadField, "relay.store.postgres.lease.ttl_ms");
  require_refused(lease({{"ttl_ms", "3000"}}), rc::kBadField, "relay.store.postgres.lease.ttl_ms");
  require_refused(lease({{"ttl", 3000}}), rc::kUnknownField, "relay.store.postgres.lease.ttl");
  require_refused(lease(42), rc::kBadField, "relay.store.postgres.lease");
}
