// GET /v1/bundles/{claim} and its /verification after retention pruned the bundle
// (relay/api/v1.cpp): 410 with the code bundle.pruned, while a claim never stored stays 404.
#include <catch2/catch.hpp>

#include <boost/asio/this_coro.hpp>

#include "tests/unit/api/v1_fixture.hpp"

using namespace causeway;
using namespace causeway::test;

TEST_CASE("v1 bundles answer 410 bundle.pruned for a bundle retention deleted", "[api]") {
  V1Fixture f;
  const auto m = f.lane_message(1);
  const auto id = f.put(m, S::kExecutedOk);
  const auto claim = fixed_of<core::Claim>("claim", 1);  // the fixture's claim of message 1
  REQUIRE(f.store->put_bundle({claim, id, R"({"version":1})", true}));
  REQUIRE(f.store->apply(to_state(id, S::kAcknowledged, 1)));
  auto pruned = f.store->prune_bundles(kTestTime + 1, 10);
  REQUIRE(pruned);
  REQUIRE(*pruned == 1);

  std::string transcript;
  run(f.io, [&]() -> awaitable<void> {
    ApiClient client(co_await asio::this_coro::executor, transcript);
    co_await client.connect(f.server->port());
    const Reply gone = co_await client.get("/v1/bundles/" + core::to_hex(claim));
    CHECK(gone.result_int() == 410);
    CHECK(error_code_of(gone) == "bundle.pruned");
    const Reply verification = co_await client.get("/v1/bundles/" + core::to_hex(claim) + "/verification");
    CHECK(verification.result_int() == 410);
    CHECK(error_code_of(verification) == "bundle.pruned");
    const Reply unknown = co_await client.get("/v1/bundles/" + core::to_hex(fixed_of<core::Claim>("none", 1)));
    CHECK(unknown.result_int() == 404);
    // The message itself is still served.
    const Reply message = co_await client.get("/v1/messages/" + core::to_hex(id));
    CHECK(message.result_int() == 200);
    co_await f.server->stop();
  }());
  check_no_secrets(transcript);
}
