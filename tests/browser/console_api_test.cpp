// The web console's server side: relay/api/console (the embedded page and assets, their headers)
// on a real loopback server, and relay/api/console_proof (GET /v1/bundles/{claim}/verification's
// answer) on the recorded anvil and QBFT bundles of tests/unit/verify/data.
#include <catch2/catch.hpp>

#include <map>
#include <optional>
#include <string>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "relay/api/console.hpp"
#include "relay/api/console_proof.hpp"
#include "relay/api/http_server.hpp"
#include "relay/store/store.hpp"
#include "relay/verify/bundle.hpp"
#include "tests/unit/api/test_client.hpp"
#include "tests/unit/verify/bundle_fixtures.hpp"

using namespace causeway;
using namespace causeway::test;
using Json = nlohmann::json;
namespace fixtures = causeway::test::bundle_fixtures;

namespace {

std::unique_ptr<api::HttpServer> console_server(asio::io_context& io) {
  api::ServerOptions options;
  options.listen = "127.0.0.1:0";
  auto server = api::HttpServer::create(io.get_executor(), options);
  REQUIRE(server);
  api::install_console_routes(**server);
  (*server)->start();
  return std::move(server).value();
}

void check_console_headers(const Reply& reply) {
  CHECK(reply[http::field::cache_control] == "no-cache");
  CHECK(reply["Content-Security-Policy"] == api::kConsoleContentSecurityPolicy);
  CHECK(reply["X-Content-Type-Options"] == "nosniff");
  CHECK(reply["Referrer-Policy"] == "no-referrer");
  CHECK(reply[http::field::etag].size() == 66);  // a quoted SHA-256
}

// A stored record of a fixture bundle, as the engine writes it.
store::BundleRecord record_of(const Json& bundle, bool verified) {
  const auto parsed = verify::bundle_from_json(bundle);
  REQUIRE(parsed);
  return {parsed->claim, core::message_id(parsed->message), bundle.dump(), verified};
}

const Json& check_named(const Json& answer, const std::string& name) {
  for (const auto& check : answer.at("verification").at("verdict").at("checks")) {
    if (check.at("name") == name) return check;
  }
  FAIL("no check " + name);
  static const Json none;
  return none;
}

}  // namespace

TEST_CASE("console: the page and its assets are served with their types and security headers", "[api]") {
  asio::io_context io;
  auto server = console_server(io);
  run(io, [&]() -> awaitable<void> {
    Client c(io.get_executor());
    co_await c.connect(server->port());

    const Reply page = co_await c.get("/");
    CHECK(page.result_int() == 200);
    CHECK(page[http::field::content_type] == "text/html; charset=utf-8");
    check_console_headers(page);
    CHECK(page.body().find(R"(<script type="module" src="/console/app.js">)") != std::string::npos);

    const std::map<std::string, std::string> types = {{"app.js", "text/javascript; charset=utf-8"},
                                                      {"console.css", "text/css; charset=utf-8"},
                                                      {"favicon.svg", "image/svg+xml"},
                                                      {"index.html", "text/html; charset=utf-8"}};
    for (const auto& [name, type] : types) {
      const Reply asset = co_await c.get("/console/" + name);
      INFO(name);
      CHECK(asset.result_int() == 200);
      CHECK(asset[http::field::content_type] == type);
      check_console_headers(asset);
      // What the binary serves is the file in the source tree, byte for byte: the embedding step
      // ran again after the last edit.
      CHECK(asset.body() == fixtures::read_text(fixtures::source_path("relay/api/console/" + name)));
    }
    co_await server->stop();
  }());
}

TEST_CASE("console: a matching If-None-Match answers 304 without a body; another ETag gets the file", "[api]") {
  asio::io_context io;
  auto server = console_server(io);
  run(io, [&]() -> awaitable<void> {
    Client c(io.get_executor());
    co_await c.connect(server->port());
    const Reply first = co_await c.get("/console/app.js");
    REQUIRE(first.result_int() == 200);
    const std::string etag(first[http::field::etag]);

    http::request<http::string_body> again{http::verb::get, "/console/app.js", 11};
    again.set(http::field::if_none_match, etag);
    const Reply cached = co_await c.send(std::move(again));
    CHECK(cached.result_int() == 304);
    CHECK(cached.body().empty());
    CHECK(cached[http::field::etag] == etag);

    http::request<http::string_body> stale{http::verb::get, "/console/app.js", 11};
    stale.set(http::field::if_none_match, "\"" + std::string(64, '0') + "\"");
    const Reply fresh = co_await c.send(std::move(stale));
    CHECK(fresh.result_int() == 200);
    CHECK(fresh.body() == first.body());
    co_await server->stop();
  }());
}

TEST_CASE("console: unknown assets, dot segments and other methods are refused", "[api]") {
  asio::io_context io;
  auto server = console_server(io);
  run(io, [&]() -> awaitable<void> {
    Client c(io.get_executor());
    co_await c.connect(server->port());
    for (const std::string target :
         {"/console/nope.js", "/console/", "/console/app.js.map", "/console/..", "/console/%2e%2e",
          "/console/app.js/x", "/console/..%2fv1", "/index.html"}) {
      const Reply reply = co_await c.get(target);
      INFO(target);
      CHECK(reply.result_int() == 404);
      CHECK(reply["Content-Security-Policy"].empty());
    }
    http::request<http::string_body> post{http::verb::post, "/", 11};
    const Reply refused = co_await c.send(std::move(post));
    CHECK(refused.result_int() == 405);
    co_await server->stop();
  }());
}

TEST_CASE("console proof: a verified anvil bundle passes every check, its trie path ends at receiptsRoot", "[api]") {
  const Json& bundle = fixtures::bundle_json("a_sent_tx1_log1");
  const auto record = record_of(bundle, true);
  const auto parsed = verify::bundle_from_json(bundle).value();
  const std::map<core::Hash32, std::string> lanes = {{store::lane_key(parsed.message), "a->b"}};
  const Json answer = api::bundle_verification_json(record, std::nullopt, fixtures::anchors(), lanes);

  CHECK(answer.at("claim") == core::to_hex(record.claim));
  CHECK(answer.at("verified") == true);
  CHECK(answer.at("canonical") == "relay");
  CHECK(answer.at("verification").at("outcome") == "valid");
  for (const std::string name : {"identity", "header", "finality", "inclusion", "event", "message_id", "claim"}) {
    INFO(name);
    CHECK(check_named(answer, name).at("status") == "ok");
  }
  const Json& proof = answer.at("proof");
  CHECK(proof.at("event").at("lane") == "a->b");
  CHECK(proof.at("event").at("id") == core::to_hex(record.id));
  CHECK(proof.at("event").at("message").at("sequence") == std::to_string(parsed.message.sequence.value));
  CHECK(proof.at("event").at("emitter") == core::to_hex(fixtures::anchors().chains[0].gateway));
  CHECK(proof.at("receipt").at("status") == "success");
  const Json& nodes = proof.at("trie").at("nodes");
  REQUIRE(nodes.size() == parsed.inclusion.proof.size());
  CHECK(nodes.front().at("hash") == proof.at("header").at("receipts_root"));
  CHECK(proof.at("header").at("hash") == core::to_hex(parsed.source.block_hash));
  CHECK(proof.at("header").at("number") == parsed.source.block_number);
  CHECK(proof.at("seals").at("mode") == "confirmations");
  CHECK(proof.at("seals").at("seals").empty());
}

TEST_CASE("console proof: a QBFT bundle lists the validators that sealed its header", "[api]") {
  const Json& bundle = fixtures::bundle_json("q_sent_tx2_log0");
  const Json answer = api::bundle_verification_json(record_of(bundle, false), std::nullopt, fixtures::anchors(), {});
  CHECK(answer.at("canonical") == "not_needed");
  CHECK(answer.at("verification").at("outcome") == "valid");
  const Json& seals = answer.at("proof").at("seals");
  CHECK(seals.at("mode") == "qbft");
  REQUIRE_FALSE(seals.at("seals").empty());
  for (const auto& seal : seals.at("seals")) {
    CHECK(std::find(seals.at("validators").begin(), seals.at("validators").end(), seal.at("signer")) !=
          seals.at("validators").end());
  }
  CHECK(answer.at("proof").at("event").at("lane") == "");
}

TEST_CASE("console proof: each broken input is reported by the verifier with its reason", "[api]") {
  const Json& good = fixtures::bundle_json("a_sent_tx1_log1");

  SECTION("a bundle the relay never verified: an unsigned chain's finality stays unverifiable") {
    const Json answer = api::bundle_verification_json(record_of(good, false), std::nullopt, fixtures::anchors(), {});
    CHECK(answer.at("canonical") == "none");
    CHECK(answer.at("verification").at("outcome") == "finality_unverifiable");
    CHECK(check_named(answer, "finality").at("reason") == "verify.needs_canonical_hash");
    CHECK(check_named(answer, "inclusion").at("status") == "ok");
  }
  SECTION("a trie root node with one byte changed fails inclusion") {
    Json forged = good;
    std::string node = forged["inclusion"]["proof"][0].get<std::string>();
    node.back() = node.back() == '0' ? '1' : '0';
    forged["inclusion"]["proof"][0] = node;
    const Json answer = api::bundle_verification_json(record_of(forged, true), std::nullopt, fixtures::anchors(), {});
    CHECK(answer.at("verification").at("outcome") == "invalid");
    CHECK(check_named(answer, "inclusion").at("status") == "failed");
    CHECK(check_named(answer, "inclusion").at("reason") == "mpt.root_mismatch");
    CHECK(check_named(answer, "event").at("status") == "skipped");
    CHECK(answer.at("proof").at("trie").at("nodes")[0].at("hash") != answer.at("proof").at("header").at("receipts_root"));
  }
  SECTION("a chain the relay holds no anchor for") {
    const Json answer = api::bundle_verification_json(record_of(good, true), std::nullopt, verify::TrustAnchors{}, {});
    CHECK(answer.at("verification").at("outcome") == "unusable_input");
    CHECK(check_named(answer, "identity").at("reason") == "verify.unknown_chain");
    CHECK(answer.at("proof").at("chain").at("name").is_null());
  }
  SECTION("a stored record that is not a bundle, with its rejection") {
    store::BundleRecord record = record_of(good, false);
    record.json = R"({"version":1,"kind":"evm"})";
    const store::Rejection rejection{record.claim, record.id, "verify.bad_seal", 7};
    const Json answer = api::bundle_verification_json(record, rejection, fixtures::anchors(), {});
    CHECK(answer.at("verification").at("outcome") == "unusable_input");
    CHECK(answer.at("verification").at("verdict").at("status") == "failed");
    CHECK(answer.at("proof").is_null());
    CHECK(answer.at("rejection").at("reason") == "verify.bad_seal");
  }
}
