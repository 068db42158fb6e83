// The /v1 tests' world: a real store in a temp dir, a real engine built from the valid config
// example (its chains' endpoints are never contacted: the engine is not run), a real server with
// install_v1_routes on a loopback port, and a client that keeps every answer it got so a test
// can check that no secret ever left the server.
#pragma once

#include <catch2/catch.hpp>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "relay/api/http_server.hpp"
#include "relay/api/transition_stream.hpp"
#include "relay/api/v1.hpp"
#include "relay/app/config_loader.hpp"
#include "relay/core/message_json.hpp"
#include "relay/engine/engine.hpp"
#include "relay/engine/metrics.hpp"
#include "relay/store/store.hpp"
#include "tests/unit/api/test_client.hpp"
#include "tests/unit/store/store_fixtures.hpp"
#include "tests/unit/verify/bundle_fixtures.hpp"

namespace causeway::test {

using Json = nlohmann::json;
using S = store::MessageState;

// What must never appear in an answer: the admin token, the keys' hex, and the chains' endpoint
// URLs (which in real configs embed provider API keys).
inline constexpr std::string_view kAdminToken = "cw-admin-token-9b1f0c2e7d4a";
inline constexpr std::string_view kVoteKeyHex = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";
inline constexpr std::string_view kGasKeyAHex = "8da4ef21b864d2cc526dbdb2a120bd2874c36c9d0a1fb7f8c63d7f7a8b41de8f";
inline constexpr std::string_view kGasKeyBHex = "0dbbe8e4ae425a6d2687f1a7e3ba17bc98c673636790f1b8ad91193c05875ef1";
inline const std::vector<std::string> kSecrets{
    std::string(kAdminToken), std::string(kVoteKeyHex), std::string(kGasKeyAHex), std::string(kGasKeyBHex),
    "rpc-a1.example.org",     "rpc-a2.example.org",     "127.0.0.1:8546"};

inline api::V1Options admin_options() {
  api::V1Options options;
  options.admin_token = std::string(kAdminToken);
  return options;
}

struct V1Fixture {
  // `edit` changes the loaded config before the engine is built from it; `configure_server` the
  // server's options (TLS, rate limits) before it is created.
  explicit V1Fixture(api::V1Options options = admin_options(), api::StreamOptions stream_options = {},
                     const std::function<void(engine::Config&)>& edit = {},
                     const std::function<void(api::ServerOptions&)>& configure_server = {}) {
    auto loaded = app::config_from_json(
        Json::parse(bundle_fixtures::read_text(bundle_fixtures::source_path("schemas/examples/config.valid.json"))));
    REQUIRE(loaded);
    config = std::move(loaded).value();
    // The example's CA file is a path on a production host; the engine loads it at create().
    for (auto& chain : config.chains) {
      for (auto& endpoint : chain.endpoints) endpoint.ca_file.clear();
    }
    if (edit) edit(config);
    auto opened = store::Store::open(dir.file("relay.db"), test_options());
    REQUIRE(opened);
    store = std::move(opened).value();

    engine::EngineKeys keys;
    keys.vote = core::LocalSigner::make(core::PrivateKey::from_hex(kVoteKeyHex).value());
    keys.gas.emplace("a", core::LocalSigner::make(core::PrivateKey::from_hex(kGasKeyAHex).value()));
    keys.gas.emplace("b", core::LocalSigner::make(core::PrivateKey::from_hex(kGasKeyBHex).value()));
    stream_options.clock = [] { return kTestTime; };
    stream = std::make_shared<api::TransitionStream>(stream_options);
    engine::EngineOptions engine_options;
    engine_options.clock = [] { return kTestTime; };
    engine_options.on_transition = [this](const engine::TransitionEvent& event) { stream->publish(event); };
    auto created = engine::Engine::create(io, config, *store, metrics, std::move(keys), std::move(engine_options));
    INFO((created ? std::string() : created.error().message()));
    REQUIRE(created);
    engine = std::move(created).value();

    api::ServerOptions server_options;
    server_options.listen = "127.0.0.1:0";
    server_options.max_body_bytes = 64 * 1024;
    if (configure_server) configure_server(server_options);
    auto made = api::HttpServer::create(io.get_executor(), server_options);
    REQUIRE(made);
    server = std::move(made).value();
    // Wired as relay/app wires them, so /readyz and /metrics answer as in a relay.
    server->set_metrics(metrics.registry());
    server->set_readiness([this] {
      const auto status = engine->status();
      return api::Readiness{status.ready, status.detail};
    });
    options.stream = stream;
    options.set_log_level = [this](std::string level) {
      log_levels.push_back(level);
      return true;
    };
    options.on_error = [this](std::string_view error) { errors.emplace_back(error); };
    api::install_v1_routes(*server, *engine, *store, std::move(options));
    server->start();
  }

  // A message on lane "a-to-b" (chain a to chain b, unordered unless said).
  core::Message lane_message(std::uint64_t sequence, bool ordered = false) const {
    core::Message m = test_message(sequence);
    m.src_chain = config.chains[0].chain_identity;
    m.src_gateway = core::address_word(config.chains[0].gateway);
    m.dst_chain = config.chains[1].chain_identity;
    m.dst_gateway = core::address_word(config.chains[1].gateway);
    m.flags = ordered ? core::kFlagOrdered : 0;
    return m;
  }

  // Stores `m` and walks it to `to` along the state machine (parked from verified).
  core::MessageId put(const core::Message& m, S to) {
    const auto id = core::message_id(m);
    REQUIRE(store->insert_observed({m, fixed_of<core::Claim>("claim", m.sequence.value)}));
    std::vector<S> path;
    switch (to) {
      case S::kObserved: break;
      case S::kVerified: path = {S::kVerified}; break;
      case S::kVoted: path = {S::kVerified, S::kVoted}; break;
      case S::kParked: path = {S::kVerified, S::kParked}; break;
      case S::kExecutedOk: path = {S::kVerified, S::kExecutedOk}; break;
      default: FAIL("put: no path to that state in this fixture");
    }
    for (const S state : path) REQUIRE(store->apply(to_state(id, state, m.sequence.value)));
    return id;
  }

  TempDir dir;
  engine::Config config;
  std::unique_ptr<store::Store> store;
  boost::asio::io_context io;
  engine::Metrics metrics;
  std::shared_ptr<api::TransitionStream> stream;
  std::unique_ptr<engine::Engine> engine;
  std::unique_ptr<api::HttpServer> server;
  std::vector<std::string> log_levels;
  std::vector<std::string> errors;
};

// One connection to the fixture's server; every answer's body is kept in `transcript`.
class ApiClient {
 public:
  ApiClient(asio::any_io_executor executor, std::string& transcript)
      : client_(std::move(executor)), transcript_(transcript) {}

  awaitable<void> connect(std::uint16_t port) { co_await client_.connect(port); }

  awaitable<Reply> get(std::string target, std::string_view token = {}) {
    http::request<http::string_body> request{http::verb::get, target, 11};
    co_return co_await send(std::move(request), token);
  }

  awaitable<Reply> post(std::string target, std::string body, std::string_view token = kAdminToken) {
    http::request<http::string_body> request{http::verb::post, target, 11};
    request.body() = std::move(body);
    if (!request.body().empty()) request.set(http::field::content_type, "application/json");
    co_return co_await send(std::move(request), token);
  }

  awaitable<Reply> send(http::request<http::string_body> request, std::string_view token) {
    if (!token.empty()) request.set(http::field::authorization, "Bearer " + std::string(token));
    Reply reply = co_await client_.send(std::move(request));
    transcript_ += reply.body();
    transcript_ += '\n';
    co_return reply;
  }

 private:
  Client client_;
  std::string& transcript_;
};

inline std::string error_code_of(const Reply& reply) {
  const Json body = Json::parse(reply.body());
  return body.at("error").at("code").get<std::string>();
}

// Fails the test if any secret appears in `text`.
inline void check_no_secrets(const std::string& text) {
  for (const auto& secret : kSecrets) {
    INFO(secret);
    CHECK(text.find(secret) == std::string::npos);
  }
}

}  // namespace causeway::test
