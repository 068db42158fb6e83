// The engine's retention (relay.retention.bundles_days, relay/engine/engine.cpp): at start it
// prunes the bundles of messages acknowledged longer ago than the configured days, by the
// engine's injected clock, counts them in causeway_bundles_pruned_total, and leaves younger ones.
// The chains' endpoints are closed local ports: nothing but housekeeping gets anywhere.
#include <catch2/catch.hpp>

#include <chrono>
#include <exception>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <nlohmann/json.hpp>

#include "relay/app/config_loader.hpp"
#include "relay/core/secp256k1_signer.hpp"
#include "relay/engine/engine.hpp"
#include "relay/engine/metrics.hpp"
#include "tests/unit/store/store_fixtures.hpp"
#include "tests/unit/verify/bundle_fixtures.hpp"

using namespace causeway;
namespace asio = boost::asio;
using S = store::MessageState;

namespace {

constexpr std::uint64_t kDay = 86'400;

// A message of the store walked to acknowledged, with its delivery bundle, at the store's clock.
core::Claim acknowledged(store::Store& s, std::uint64_t sequence) {
  const auto m = test::new_message(sequence);
  const auto id = core::message_id(m.message);
  REQUIRE(s.insert_observed(m).ok());
  REQUIRE(s.put_bundle({m.claim, id, R"({"version":1})", true}).ok());
  for (const S to : {S::kVerified, S::kVoted, S::kExecutedOk, S::kAcknowledged}) {
    REQUIRE(s.apply(test::to_state(id, to, sequence)).ok());
  }
  return m.claim;
}

}  // namespace

TEST_CASE("engine retention prunes at start what its clock says is older than bundles_days", "[unit]") {
  auto loaded = app::config_from_json(nlohmann::json::parse(
      test::bundle_fixtures::read_text(test::bundle_fixtures::source_path("schemas/examples/config.valid.json"))));
  REQUIRE(loaded.ok());
  engine::Config config = std::move(loaded).value();
  config.relay.retention.bundles_days = 7;
  for (std::size_t i = 0; i < config.chains.size(); ++i) {
    engine::EndpointSettings closed;
    closed.url = "http://127.0.0.1:" + std::to_string(i + 1);
    config.chains[i].endpoints = {closed};
    config.chains[i].quorum = 1;
  }

  test::TempDir dir;
  std::uint64_t store_now = test::kTestTime;
  store::StoreOptions store_options;
  store_options.clock = [&store_now] { return store_now; };
  auto opened = store::Store::open(dir.file("relay.db"), store_options);
  REQUIRE(opened.ok());
  auto& s = **opened;
  const auto old_claim = acknowledged(s, 1);
  store_now = test::kTestTime + 5 * kDay;
  const auto young_claim = acknowledged(s, 2);

  engine::EngineKeys keys;
  keys.vote = core::LocalSigner::make(core::PrivateKey::from_hex(std::string(64, '1')).value());
  keys.gas.emplace("a", core::LocalSigner::make(core::PrivateKey::from_hex(std::string(64, '2')).value()));
  keys.gas.emplace("b", core::LocalSigner::make(core::PrivateKey::from_hex(std::string(64, '3')).value()));
  engine::EngineOptions options;
  // Eight days after the first acknowledgement, three after the second.
  options.clock = [] { return test::kTestTime + 8 * kDay; };
  asio::io_context io;
  engine::Metrics metrics;
  auto created = engine::Engine::create(io, config, s, metrics, std::move(keys), std::move(options));
  INFO((created.ok() ? std::string() : created.error().message()));
  REQUIRE(created.ok());
  auto& relay_engine = **created;

  bool running = true;
  bool pruned = false;
  asio::co_spawn(io, relay_engine.run(), [&running](std::exception_ptr) { running = false; });
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        asio::steady_timer timer(co_await asio::this_coro::executor);
        for (int i = 0; i < 250 && !pruned; ++i) {
          pruned = !s.bundle(old_claim).value().has_value();
          timer.expires_after(std::chrono::milliseconds(20));
          co_await timer.async_wait(asio::use_awaitable);
        }
        relay_engine.stop();
      },
      [](std::exception_ptr) {});
  io.run();
  CHECK_FALSE(running);
  CHECK(pruned);
  CHECK(s.bundle_pruned(old_claim).value());
  CHECK(s.bundle(young_claim).value().has_value());
  CHECK(metrics.bundles_pruned().Value() == 1);
  REQUIRE(s.close().ok());
}
