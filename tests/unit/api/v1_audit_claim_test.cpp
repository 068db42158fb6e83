// POST /v1/audit/checkpoint and GET /v1/audit/leaves?claim= (relay/api/v1.cpp): a checkpoint is
// signed on demand behind the admin token, served like GET's, not re-signed for an unchanged log,
// refused without a log key or with an empty log; a claim's leaves come whole, and a bad claim or
// a claim with from/count is refused.
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include <boost/asio/this_coro.hpp>

#include "relay/core/checkpoint.hpp"
#include "relay/store/checkpoint_signer.hpp"
#include "tests/unit/api/v1_fixture.hpp"

using namespace causeway;
using namespace causeway::test;

namespace {

constexpr std::string_view kLog = "causeway/test";

const core::Ed25519PrivateKey& log_key() {
  static const auto key = core::Ed25519PrivateKey::from_seed(core::Bytes(32, 0x11)).value();
  return key;
}

// V1Options whose sign_checkpoint signs the fixture's store (set once the fixture has built it),
// counting the calls that reach it.
struct Signing {
  std::shared_ptr<store::Store*> store = std::make_shared<store::Store*>(nullptr);
  std::shared_ptr<int> calls = std::make_shared<int>(0);

  api::V1Options options() const {
    api::V1Options options = admin_options();
    options.sign_checkpoint = [store = store, calls = calls]() {
      ++*calls;
      const store::CheckpointSigner signer{std::string(kLog), std::string(kLog), &log_key(), [] { return kTestTime; }};
      return store::sign_and_store_checkpoint(**store, signer);
    };
    return options;
  }
};

}  // namespace

TEST_CASE("v1 POST audit/checkpoint signs the log now, once per size, behind the admin token", "[api]") {
  Signing signing;
  V1Fixture f(signing.options());
  *signing.store = f.store.get();
  std::string transcript;
  run(f.io, [&]() -> awaitable<void> {
    ApiClient client(co_await asio::this_coro::executor, transcript);
    co_await client.connect(f.server->port());
    const core::VerifierKey vkey = core::parse_verifier_key(core::vkey_for(kLog, log_key().public_key())).value();

    const Reply unauthorized = co_await client.post("/v1/audit/checkpoint", "", "");
    CHECK(unauthorized.result_int() == 401);
    CHECK(*signing.calls == 0);

    // Nothing logged yet: nothing to sign.
    const Reply empty = co_await client.post("/v1/audit/checkpoint", "", kAdminToken);
    CHECK(empty.result_int() == 409);
    CHECK(error_code_of(empty) == "conflict");

    f.put(f.lane_message(1), S::kVoted);
    const Reply first = co_await client.post("/v1/audit/checkpoint", "", kAdminToken);
    REQUIRE(first.result_int() == 200);
    CHECK(first[http::field::content_type] == "text/plain; charset=utf-8");
    const auto signed_first = core::verify_checkpoint(first.body(), vkey);
    REQUIRE(signed_first);
    CHECK(signed_first->body.size == 2);
    CHECK(signed_first->body.root == f.store->audit_root(2).value());
    const Reply served = co_await client.get("/v1/audit/checkpoint");
    CHECK(served.body() == first.body());

    // An unchanged log: the same checkpoint again, no second one stored.
    const Reply again = co_await client.post("/v1/audit/checkpoint", "", kAdminToken);
    REQUIRE(again.result_int() == 200);
    CHECK(again.body() == first.body());
    CHECK(f.store->checkpoints().value().size() == 1);

    f.put(f.lane_message(2), S::kVerified);
    const Reply grown = co_await client.post("/v1/audit/checkpoint", "", kAdminToken);
    REQUIRE(grown.result_int() == 200);
    const auto signed_grown = core::verify_checkpoint(grown.body(), vkey);
    REQUIRE(signed_grown);
    CHECK(signed_grown->body.size == 3);
    CHECK(f.store->checkpoints().value().size() == 2);

    const std::vector<std::string> junk_bodies{"{\"size\":3}", "["};
    for (const std::string& junk : junk_bodies) {
      const Reply refused = co_await client.post("/v1/audit/checkpoint", junk, kAdminToken);
      INFO(junk);
      CHECK(refused.result_int() == 400);
    }
    const Reply query = co_await client.post("/v1/audit/checkpoint?size=1", "", kAdminToken);
    CHECK(query.result_int() == 400);
    co_await f.server->stop();
  }());
  check_no_secrets(transcript);
}

TEST_CASE("v1 POST audit/checkpoint answers 503 when the relay has no log key", "[api]") {
  V1Fixture f;  // admin_options(): no sign_checkpoint
  f.put(f.lane_message(1), S::kVoted);
  run(f.io, [&]() -> awaitable<void> {
    std::string transcript;
    ApiClient client(co_await asio::this_coro::executor, transcript);
    co_await client.connect(f.server->port());
    const Reply refused = co_await client.post("/v1/audit/checkpoint", "", kAdminToken);
    CHECK(refused.result_int() == 503);
    CHECK(error_code_of(refused) == "no_log_key");
    CHECK(f.store->checkpoints().value().empty());
    co_await f.server->stop();
  }());
}

TEST_CASE("v1 audit leaves by claim: the claim's leaves whole; bad claims and paging refused", "[api]") {
  V1Fixture f;
  for (std::uint64_t seq = 1; seq <= 3; ++seq) f.put(f.lane_message(seq), S::kVoted);  // leaves 2k, 2k+1
  std::string transcript;
  run(f.io, [&]() -> awaitable<void> {
    ApiClient client(co_await asio::this_coro::executor, transcript);
    co_await client.connect(f.server->port());
    const std::string claim = core::to_hex(fixed_of<core::Claim>("claim", 2));

    const Reply found = co_await client.get("/v1/audit/leaves?claim=" + claim);
    REQUIRE(found.result_int() == 200);
    const Json body = Json::parse(found.body());
    CHECK(body.at("size") == 6);
    REQUIRE(body.at("leaves").size() == 2);
    CHECK(body.at("leaves").at(0).at("index") == 2);
    CHECK(body.at("leaves").at(0).at("kind_name") == "verified");
    CHECK(body.at("leaves").at(1).at("index") == 3);
    CHECK(body.at("leaves").at(1).at("kind_name") == "voted");
    // The same entries as the plain listing serves for those indices.
    const Reply page = co_await client.get("/v1/audit/leaves?from=2&count=2");
    CHECK(Json::parse(page.body()).at("leaves") == body.at("leaves"));
    for (const auto& leaf : body.at("leaves")) CHECK(leaf.at("claim") == claim);

    const Reply none = co_await client.get("/v1/audit/leaves?claim=" + core::to_hex(fixed_of<core::Claim>("claim", 9)));
    REQUIRE(none.result_int() == 200);
    CHECK(Json::parse(none.body()).at("leaves").empty());

    const std::vector<std::string> bad_targets{
        "/v1/audit/leaves?claim=0x1234", "/v1/audit/leaves?claim=" + claim.substr(2),
        "/v1/audit/leaves?claim=0x" + std::string(64, 'g'), "/v1/audit/leaves?claim=" + claim + "&from=0",
        "/v1/audit/leaves?claim=" + claim + "&count=2"};
    for (const std::string& bad : bad_targets) {
      const Reply refused = co_await client.get(bad);
      INFO(bad);
      CHECK(refused.result_int() == 400);
      CHECK(error_code_of(refused) == "bad_request");
    }
    co_await f.server->stop();
  }());
  check_no_secrets(transcript);
}
