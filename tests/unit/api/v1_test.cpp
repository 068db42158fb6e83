// relay/api/v1 and transition_stream: every endpoint against a real store and engine over real
// TCP; pagination, bearer-token auth, hostile requests, the WebSocket stream and its bound on slow
// clients; and no answer carrying the token, a key or an endpoint URL.
#include <catch2/catch.hpp>

#include <sys/socket.h>

#include <set>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/beast/websocket.hpp>

#include "relay/core/hash.hpp"
#include "relay/core/merkle_log.hpp"
#include "relay/core/protocol.hpp"
#include "tests/unit/api/v1_fixture.hpp"

using namespace causeway;
using namespace causeway::test;
namespace websocket = beast::websocket;

namespace {

using WebSocket = websocket::stream<beast::tcp_stream>;

awaitable<void> ws_connect(WebSocket& ws, std::uint16_t port, std::string_view token = {}) {
  beast::get_lowest_layer(ws).expires_after(kClientDeadline);
  auto [connect_ec] = co_await beast::get_lowest_layer(ws).async_connect(
      tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), kTuple);
  REQUIRE_FALSE(connect_ec);
  beast::get_lowest_layer(ws).expires_never();
  ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
  if (!token.empty()) {
    const std::string header = "Bearer " + std::string(token);
    ws.set_option(websocket::stream_base::decorator(
        [header](websocket::request_type& request) { request.set(http::field::authorization, header); }));
  }
  auto [handshake_ec] = co_await ws.async_handshake("127.0.0.1", "/v1/stream", kTuple);
  REQUIRE_FALSE(handshake_ec);
}

// The next text frame, parsed; fails the test after kClientDeadline.
awaitable<Json> ws_frame(WebSocket& ws) {
  beast::flat_buffer buffer;
  asio::steady_timer deadline(co_await asio::this_coro::executor, kClientDeadline);
  deadline.async_wait([&ws](boost::system::error_code ec) {
    if (!ec) beast::get_lowest_layer(ws).close();
  });
  auto [ec, n] = co_await ws.async_read(buffer, kTuple);
  deadline.cancel();
  REQUIRE_FALSE(ec);
  co_return Json::parse(beast::buffers_to_string(buffer.data()));
}

awaitable<void> pause_for(Millis time) {
  asio::steady_timer timer(co_await asio::this_coro::executor, time);
  co_await timer.async_wait(kTuple);
}

std::string path_of(const core::MessageId& id) { return "/v1/messages/" + core::to_hex(id); }

}  // namespace

TEST_CASE("v1 chains and lanes describe the config with live state and per-lane counts", "[api]") {
  V1Fixture f;
  f.put(f.lane_message(1), S::kObserved);
  f.put(f.lane_message(2), S::kVerified);
  f.put(f.lane_message(3, true), S::kParked);  // the ordered lane of the same pair counts too
  std::string transcript;
  run(f.io, [&]() -> awaitable<void> {
    ApiClient client(co_await asio::this_coro::executor, transcript);
    co_await client.connect(f.server->port());

    const Reply chains = co_await client.get("/v1/chains");
    REQUIRE(chains.result_int() == 200);
    const Json c = Json::parse(chains.body());
    REQUIRE(c.at("chains").size() == 2);
    const Json& a = c.at("chains").at(0);
    CHECK(a.at("name") == "a");
    CHECK(a.at("chain_id") == "1001");
    CHECK(a.at("chain_identity") == core::to_hex(f.config.chains[0].chain_identity));
    CHECK(a.at("gateway") == core::to_hex(f.config.chains[0].gateway));
    CHECK(a.at("consensus") == "confirmations");
    CHECK(a.at("threshold") == 2);
    CHECK(a.at("started") == false);
    CHECK_FALSE(a.contains("endpoints"));
    CHECK(c.at("ready") == false);

    const Reply lanes = co_await client.get("/v1/lanes");
    REQUIRE(lanes.result_int() == 200);
    const Json l = Json::parse(lanes.body());
    REQUIRE(l.at("lanes").size() == 2);
    const Json& ab = l.at("lanes").at(0);
    CHECK(ab.at("name") == "a-to-b");
    CHECK(ab.at("from") == "a");
    CHECK(ab.at("to") == "b");
    CHECK(ab.at("halted") == false);
    CHECK(ab.at("messages").at("observed") == 1);
    CHECK(ab.at("messages").at("verified") == 1);
    CHECK(ab.at("messages").at("parked") == 1);
    CHECK(ab.at("messages").at("acknowledged") == 0);
    const Json& ba = l.at("lanes").at(1);
    CHECK(ba.at("name") == "b->a");
    CHECK(ba.at("messages").at("observed") == 0);

    const Reply extra = co_await client.get("/v1/lanes?verbose=1");
    CHECK(extra.result_int() == 400);
    co_await f.server->stop();
  }());
  check_no_secrets(transcript);
}

TEST_CASE("v1 chains name endpoints in errors instead of showing their URLs", "[api]") {
  // Provider URLs carry API keys in their paths and queries; a failing one lands in last_error.
  V1Fixture f(admin_options(), {}, [](engine::Config& config) {
    engine::EndpointSettings keyed;
    keyed.url = "http://127.0.0.1:1/v3/secretkey-in-path?apikey=secretkey-in-query";
    config.chains[0].endpoints = {keyed};
    config.chains[0].quorum = 1;
    engine::EndpointSettings plain;
    plain.url = "http://127.0.0.1:2";
    config.chains[1].endpoints = {plain};
  });
  std::string transcript;
  run(f.io, [&]() -> awaitable<void> {
    bool running = true;
    asio::co_spawn(co_await asio::this_coro::executor, f.engine->run(),
                   [&running](std::exception_ptr) { running = false; });
    ApiClient client(co_await asio::this_coro::executor, transcript);
    co_await client.connect(f.server->port());
    Json chains;
    for (int i = 0; i < 200; ++i) {
      const Reply reply = co_await client.get("/v1/chains");
      chains = Json::parse(reply.body()).at("chains");
      if (chains.at(0).contains("last_error") && chains.at(1).contains("last_error")) break;
      co_await pause_for(Millis(25));
    }
    REQUIRE(chains.at(0).contains("last_error"));
    const std::string error_a = chains.at(0).at("last_error");
    CHECK(error_a.find("<a.endpoints[0]>") != std::string::npos);
    CHECK(error_a.find("secretkey") == std::string::npos);
    CHECK(chains.at(1).at("last_error").get<std::string>().find("<b.endpoints[0]>") != std::string::npos);
    CHECK(transcript.find("secretkey") == std::string::npos);
    f.engine->stop();
    while (running) co_await pause_for(Millis(20));
    co_await f.server->stop();
  }());
  check_no_secrets(transcript);
}

TEST_CASE("v1 messages list pages by cursor and filters by lane and state", "[api]") {
  V1Fixture f;
  std::set<std::string> stored;
  for (std::uint64_t seq = 1; seq <= 5; ++seq) {
    stored.insert(core::to_hex(f.put(f.lane_message(seq), seq == 4 ? S::kParked : S::kVerified)));
  }
  core::Message elsewhere = f.lane_message(9);
  elsewhere.dst_chain = fixed_of<core::ChainIdentity>("no-such-chain", 1);
  const auto stray = f.put(elsewhere, S::kObserved);
  std::string transcript;
  run(f.io, [&]() -> awaitable<void> {
    ApiClient client(co_await asio::this_coro::executor, transcript);
    co_await client.connect(f.server->port());

    std::set<std::string> seen;
    std::string target = "/v1/messages?lane=a-to-b&limit=2";
    int pages = 0;
    for (;;) {
      const Reply page = co_await client.get(target);
      REQUIRE(page.result_int() == 200);
      const Json body = Json::parse(page.body());
      CHECK(body.at("messages").size() <= 2);
      for (const auto& m : body.at("messages")) {
        CHECK(m.at("lane") == "a-to-b");
        CHECK(seen.insert(m.at("id").get<std::string>()).second);
      }
      ++pages;
      if (body.at("next_cursor").is_null()) break;
      target = "/v1/messages?lane=a-to-b&limit=2&cursor=" + body.at("next_cursor").get<std::string>();
      REQUIRE(pages < 10);
    }
    CHECK(pages == 3);
    CHECK(seen == stored);

    const Reply parked = co_await client.get("/v1/messages?state=parked");
    const Json parked_body = Json::parse(parked.body());
    REQUIRE(parked_body.at("messages").size() == 1);
    CHECK(parked_body.at("messages").at(0).at("parked_reason") == "test.reason");
    CHECK(parked_body.at("messages").at(0).at("parked_from") == "verified");

    const Reply all = co_await client.get("/v1/messages");
    const Json all_body = Json::parse(all.body());
    CHECK(all_body.at("messages").size() == 6);
    // Newest first; the stray message belongs to no configured lane.
    CHECK(all_body.at("messages").at(0).at("id") == core::to_hex(stray));
    CHECK(all_body.at("messages").at(0).at("lane") == "");
    CHECK(all_body.at("next_cursor").is_null());

    const Reply unknown_lane = co_await client.get("/v1/messages?lane=nowhere");
    CHECK(unknown_lane.result_int() == 404);
    for (const char* bad :
         {"/v1/messages?state=lost", "/v1/messages?limit=0", "/v1/messages?limit=501", "/v1/messages?limit=07",
          "/v1/messages?limit=-1", "/v1/messages?cursor=zz", "/v1/messages?cursor=0000000000000000ffffffffffffffff",
          "/v1/messages?cursor=00000000000000000000000000000001aa", "/v1/messages?lanes=a-to-b"}) {
      const Reply refused = co_await client.get(bad);
      INFO(bad);
      CHECK(refused.result_int() == 400);
      CHECK(error_code_of(refused) == "bad_request");
    }
    co_await f.server->stop();
  }());
  check_no_secrets(transcript);
}

TEST_CASE("v1 message by id: envelope, state, execution; ids are strict and unknown ones 404", "[api]") {
  V1Fixture f;
  const core::Message m = f.lane_message(7);
  const auto id = f.put(m, S::kExecutedOk);
  store::ExecutionRecord execution{id, fixed_of<core::Claim>("exec", 1), core::ExecStatus::kOk, fixed_of("tx", 1),
                                   1234};
  REQUIRE(f.store->put_execution(execution));
  const auto observed = f.put(f.lane_message(8), S::kObserved);
  std::string transcript;
  run(f.io, [&]() -> awaitable<void> {
    ApiClient client(co_await asio::this_coro::executor, transcript);
    co_await client.connect(f.server->port());

    const Reply shown = co_await client.get(path_of(id));
    REQUIRE(shown.result_int() == 200);
    const Json body = Json::parse(shown.body());
    CHECK(body.at("id") == core::to_hex(id));
    CHECK(body.at("state") == "executed_ok");
    CHECK(body.at("lane") == "a-to-b");
    CHECK(body.at("claim") == core::to_hex(fixed_of<core::Claim>("claim", 7)));
    CHECK(body.at("message") == core::message_to_json(m));
    CHECK(body.at("attempts") == 0);
    CHECK(body.at("created_at") == kTestTime);
    CHECK(body.at("execution").at("tx_hash") == core::to_hex(fixed_of("tx", 1)));
    CHECK(body.at("execution").at("block_number") == "1234");
    CHECK(body.at("execution").at("status") == 1);

    const Reply pending = co_await client.get(path_of(observed));
    CHECK(Json::parse(pending.body()).at("execution").is_null());

    const Reply unknown = co_await client.get(path_of(core::message_id(f.lane_message(99))));
    CHECK(unknown.result_int() == 404);
    CHECK(error_code_of(unknown) == "not_found");

    std::string upper = core::to_hex(id);
    for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    upper[1] = 'x';
    const std::string hex = core::to_hex(id);
    const std::vector<std::string> bad_ids{"/v1/messages/" + upper,
                                           "/v1/messages/" + hex.substr(2),
                                           "/v1/messages/" + hex.substr(0, 64),
                                           "/v1/messages/" + hex + "00",
                                           "/v1/messages/0x" + std::string(64, 'g'),
                                           "/v1/messages/%2e%2e",
                                           "/v1/messages/" + hex.substr(0, 10) + "%2F..%2F" + hex.substr(17)};
    for (const std::string& bad : bad_ids) {
      const Reply refused = co_await client.get(bad);
      INFO(bad);
      CHECK(refused.result_int() == 400);
      CHECK(error_code_of(refused) == "bad_request");
    }
    // Path traversal reaches no resource, and the server stays up.
    for (const char* traversal :
         {"/v1/messages/../../etc/passwd", "/v1/messages/..", "/v1/../../etc/passwd", "/v1/bundles/../messages"}) {
      const Reply refused = co_await client.get(traversal);
      INFO(traversal);
      CHECK(refused.result_int() == 404);
    }
    const Reply health = co_await client.get("/healthz");
    CHECK(health.result_int() == 200);
    co_await f.server->stop();
  }());
  check_no_secrets(transcript);
}

TEST_CASE("v1 bundles serve the stored JSON byte for byte, or the rejection", "[api]") {
  V1Fixture f;
  const auto verified_claim = fixed_of<core::Claim>("bundle", 1);
  // Odd spacing on purpose: re-serialising would change it, and with it the bundle hash.
  const std::string text = R"({"version":1,  "kind":"evm-receipt" ,"note":"spacing is kept"})";
  REQUIRE(f.store->put_bundle({verified_claim, fixed_of<core::MessageId>("msg", 1), text, true}));
  const auto forged_claim = fixed_of<core::Claim>("forged", 1);
  REQUIRE(f.store->record_rejected({forged_claim, fixed_of<core::MessageId>("msg", 2), "verify.bad_seal", 0}));
  std::string transcript;
  run(f.io, [&]() -> awaitable<void> {
    ApiClient client(co_await asio::this_coro::executor, transcript);
    co_await client.connect(f.server->port());

    const Reply verified = co_await client.get("/v1/bundles/" + core::to_hex(verified_claim));
    REQUIRE(verified.result_int() == 200);
    CHECK(verified.body().find(",\"bundle\":" + text + "}") != std::string::npos);
    const Json v = Json::parse(verified.body());
    CHECK(v.at("verified") == true);
    CHECK(v.at("message_id") == core::to_hex(fixed_of<core::MessageId>("msg", 1)));
    CHECK(v.at("rejection").is_null());
    CHECK(core::keccak256(core::as_bytes(v.at("bundle").dump())) != core::Hash32{});

    const Reply rejected = co_await client.get("/v1/bundles/" + core::to_hex(forged_claim));
    REQUIRE(rejected.result_int() == 200);
    const Json r = Json::parse(rejected.body());
    CHECK(r.at("verified") == false);
    CHECK(r.at("bundle").is_null());
    CHECK(r.at("rejection").at("reason") == "verify.bad_seal");
    CHECK(r.at("rejection").at("time") == kTestTime);
    CHECK(r.at("message_id") == core::to_hex(fixed_of<core::MessageId>("msg", 2)));

    const Reply unknown = co_await client.get("/v1/bundles/" + core::to_hex(fixed_of<core::Claim>("none", 1)));
    CHECK(unknown.result_int() == 404);
    const Reply bad = co_await client.get("/v1/bundles/0x1234");
    CHECK(bad.result_int() == 400);
    co_await f.server->stop();
  }());
  check_no_secrets(transcript);
}

TEST_CASE("v1 audit: leaves, inclusion and consistency proofs that verify, the signed checkpoint", "[api]") {
  V1Fixture f;
  for (std::uint64_t seq = 1; seq <= 3; ++seq) f.put(f.lane_message(seq), S::kVoted);  // two leaves each
  const std::uint64_t size = f.store->audit_size();
  REQUIRE(size == 6);
  std::string transcript;
  run(f.io, [&]() -> awaitable<void> {
    ApiClient client(co_await asio::this_coro::executor, transcript);
    co_await client.connect(f.server->port());

    const Reply none = co_await client.get("/v1/audit/checkpoint");
    CHECK(none.result_int() == 404);
    const std::string note = "causeway/test\n6\nroot\n\n— signature line\n";
    REQUIRE(f.store->add_checkpoint({size, f.store->audit_root(size).value(), note}));
    const Reply checkpoint = co_await client.get("/v1/audit/checkpoint");
    REQUIRE(checkpoint.result_int() == 200);
    CHECK(checkpoint[http::field::content_type] == "text/plain; charset=utf-8");
    CHECK(checkpoint.body() == note);

    const Reply page = co_await client.get("/v1/audit/leaves?from=1&count=2");
    REQUIRE(page.result_int() == 200);
    const Json leaves = Json::parse(page.body());
    CHECK(leaves.at("size") == size);
    REQUIRE(leaves.at("leaves").size() == 2);
    const Json& leaf = leaves.at("leaves").at(0);
    CHECK(leaf.at("index") == 1);
    CHECK(leaf.at("kind_name") == "voted");
    CHECK(leaf.at("kind") == 3);
    CHECK(leaf.at("time") == std::to_string(kTestTime));
    const auto leaf_bytes = core::from_hex(leaf.at("leaf").get<std::string>()).value();
    const auto leaf_hash = core::audit_leaf_hash(leaf_bytes);

    const Reply inclusion = co_await client.get("/v1/audit/proof/inclusion?index=1&size=6");
    REQUIRE(inclusion.result_int() == 200);
    const Json proof = Json::parse(inclusion.body());
    CHECK(proof.size() == 3);  // exactly the proof file of `causeway audit inclusion`
    std::vector<core::Hash32> hashes;
    for (const auto& h : proof.at("hashes"))
      hashes.push_back(core::fixed_from_hex<core::Hash32>(h.get<std::string>()).value());
    CHECK(core::verify_inclusion(leaf_hash, 1, size, hashes, f.store->audit_root(size).value()));
    hashes.back().bytes[0] ^= 1;
    CHECK_FALSE(core::verify_inclusion(leaf_hash, 1, size, hashes, f.store->audit_root(size).value()));

    const Reply consistency = co_await client.get("/v1/audit/proof/consistency?old=2");
    REQUIRE(consistency.result_int() == 200);
    const Json c = Json::parse(consistency.body());
    CHECK(c.at("old_size") == 2);
    CHECK(c.at("size") == size);
    std::vector<core::Hash32> path;
    for (const auto& h : c.at("hashes"))
      path.push_back(core::fixed_from_hex<core::Hash32>(h.get<std::string>()).value());
    CHECK(core::verify_consistency(2, size, f.store->audit_root(2).value(), f.store->audit_root(size).value(), path));

    for (const char* bad : {"/v1/audit/proof/inclusion?index=6&size=6", "/v1/audit/proof/inclusion?index=0&size=7",
                            "/v1/audit/proof/inclusion?size=6", "/v1/audit/proof/inclusion?index=x",
                            "/v1/audit/proof/consistency?old=0", "/v1/audit/proof/consistency?old=5&new=4",
                            "/v1/audit/proof/consistency?old=1&new=7", "/v1/audit/leaves?from=7",
                            "/v1/audit/leaves?count=0", "/v1/audit/leaves?count=501", "/v1/audit/leaves?start=1"}) {
      const Reply refused = co_await client.get(bad);
      INFO(bad);
      CHECK(refused.result_int() == 400);
    }
    co_await f.server->stop();
  }());
  check_no_secrets(transcript);
}

TEST_CASE("v1 admin endpoints need the bearer token; without one configured they are disabled", "[api]") {
  std::string transcript;
  {
    V1Fixture f;
    const auto id = f.put(f.lane_message(1), S::kVerified);
    run(f.io, [&]() -> awaitable<void> {
      ApiClient client(co_await asio::this_coro::executor, transcript);
      co_await client.connect(f.server->port());
      const std::string park = path_of(id) + "/park";
      const Reply missing = co_await client.post(park, "", "");
      CHECK(missing.result_int() == 401);
      CHECK(error_code_of(missing) == "unauthorized");
      const Reply wrong = co_await client.post(park, "", "cw-admin-token-9b1f0c2e7d4b");
      CHECK(wrong.result_int() == 401);
      const Reply prefix = co_await client.post(park, "", kAdminToken.substr(0, 10));
      CHECK(prefix.result_int() == 401);
      http::request<http::string_body> basic{http::verb::post, park, 11};
      basic.set(http::field::authorization, "Basic " + std::string(kAdminToken));
      const Reply basic_reply = co_await client.send(std::move(basic), "");
      CHECK(basic_reply.result_int() == 401);
      // A bad token is refused before the id is looked at: nothing is learnt about it.
      const Reply unauth_bad_id = co_await client.post("/v1/messages/nonsense/park", "", "nope");
      CHECK(unauth_bad_id.result_int() == 401);
      CHECK(f.store->message(id).value()->state == S::kVerified);

      http::request<http::string_body> lower{http::verb::post, park, 11};
      lower.set(http::field::authorization, "bearer " + std::string(kAdminToken));
      const Reply accepted = co_await client.send(std::move(lower), "");
      CHECK(accepted.result_int() == 200);
      CHECK(f.store->message(id).value()->state == S::kParked);
      // Reads stay public.
      const Reply read = co_await client.get("/v1/chains");
      CHECK(read.result_int() == 200);
      co_await f.server->stop();
    }());
  }
  {
    V1Fixture f(api::V1Options{});
    const auto id = f.put(f.lane_message(1), S::kVerified);
    run(f.io, [&]() -> awaitable<void> {
      ApiClient client(co_await asio::this_coro::executor, transcript);
      co_await client.connect(f.server->port());
      const std::vector<std::string> admin{path_of(id) + "/park", path_of(id) + "/retry", "/v1/lanes/a-to-b/pause",
                                           "/v1/lanes/a-to-b/resume", "/v1/log-level"};
      for (const std::string& target : admin) {
        const Reply refused = co_await client.post(target, "{}");
        INFO(target);
        CHECK(refused.result_int() == 403);
        CHECK(Json::parse(refused.body()).at("error").at("message") == "admin API disabled");
      }
      CHECK(f.store->message(id).value()->state == S::kVerified);
      co_await f.server->stop();
    }());
  }
  check_no_secrets(transcript);
}

TEST_CASE("v1 private reads need the token, the stream's handshake included", "[api]") {
  auto options = admin_options();
  options.public_reads = false;
  V1Fixture f(options);
  std::string transcript;
  run(f.io, [&]() -> awaitable<void> {
    ApiClient client(co_await asio::this_coro::executor, transcript);
    co_await client.connect(f.server->port());
    for (const char* target : {"/v1/chains", "/v1/lanes", "/v1/messages", "/v1/audit/leaves"}) {
      const Reply refused = co_await client.get(target);
      INFO(target);
      CHECK(refused.result_int() == 401);
      const Reply allowed = co_await client.get(target, kAdminToken);
      CHECK(allowed.result_int() == 200);
    }
    const Reply health = co_await client.get("/healthz");
    CHECK(health.result_int() == 200);

    WebSocket refused_ws(co_await asio::this_coro::executor);
    auto [connect_ec] =
        co_await beast::get_lowest_layer(refused_ws)
            .async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), f.server->port()), kTuple);
    REQUIRE_FALSE(connect_ec);
    websocket::response_type answer;
    auto [handshake_ec] = co_await refused_ws.async_handshake(answer, "127.0.0.1", "/v1/stream", kTuple);
    CHECK(handshake_ec);
    CHECK(answer.result_int() == 401);

    WebSocket ws(co_await asio::this_coro::executor);
    co_await ws_connect(ws, f.server->port(), kAdminToken);
    CHECK(f.stream->clients() == 1);
    co_await f.server->stop();
  }());
  check_no_secrets(transcript);
}

TEST_CASE("v1 admin actions: park, retry, pause, resume and the log level", "[api]") {
  V1Fixture f;
  // Parked from observed: a retry goes back to observed, which records no audit leaf.
  const auto id = f.put(f.lane_message(1), S::kObserved);
  std::string transcript;
  run(f.io, [&]() -> awaitable<void> {
    ApiClient client(co_await asio::this_coro::executor, transcript);
    co_await client.connect(f.server->port());

    const Reply parked = co_await client.post(path_of(id) + "/park", R"({"reason":"operator.investigating"})");
    REQUIRE(parked.result_int() == 200);
    CHECK(Json::parse(parked.body()) == Json{{"id", core::to_hex(id)}, {"state", "parked"}});
    CHECK(f.store->message(id).value()->parked_reason == "operator.investigating");
    const Reply again = co_await client.post(path_of(id) + "/park", "");
    CHECK(again.result_int() == 409);
    CHECK(error_code_of(again) == "conflict");

    const Reply retried = co_await client.post(path_of(id) + "/retry", "");
    REQUIRE(retried.result_int() == 200);
    CHECK(Json::parse(retried.body()).at("state") == "observed");
    const Reply not_parked = co_await client.post(path_of(id) + "/retry", "{}");
    CHECK(not_parked.result_int() == 409);

    const auto unknown = core::message_id(f.lane_message(42));
    const Reply missing = co_await client.post(path_of(unknown) + "/park", "");
    CHECK(missing.result_int() == 404);
    const Reply missing_retry = co_await client.post(path_of(unknown) + "/retry", "");
    CHECK(missing_retry.result_int() == 404);
    const Reply bad_id = co_await client.post("/v1/messages/0xABC/park", "");
    CHECK(bad_id.result_int() == 400);

    const std::vector<std::string> bad_bodies{R"({"reason":"line\nbreak"})",
                                              R"({"reason":""})",
                                              R"({"reason":")" + std::string(201, 'r') + R"("})",
                                              R"({"reason":7})",
                                              R"({"why":"x"})",
                                              "[]",
                                              "{\"reason\":",
                                              "not json",
                                              R"({"reason":"\u0000"})"};
    for (const std::string& body : bad_bodies) {
      const Reply refused = co_await client.post(path_of(id) + "/park", body);
      INFO(body);
      CHECK(refused.result_int() == 400);
      CHECK(error_code_of(refused) == "bad_request");
    }
    CHECK(f.store->message(id).value()->state == S::kObserved);

    const Reply paused = co_await client.post("/v1/lanes/a-to-b/pause", R"({"reason":"maintenance"})");
    REQUIRE(paused.result_int() == 200);
    const Json p = Json::parse(paused.body());
    CHECK(p.at("halted") == true);
    CHECK(p.at("halt_reason").get<std::string>().find("maintenance") != std::string::npos);
    const Reply lanes = co_await client.get("/v1/lanes");
    CHECK(Json::parse(lanes.body()).at("lanes").at(0).at("halted") == true);
    // "b->a" percent-encoded, as the CLI sends it.
    const Reply paused_other = co_await client.post("/v1/lanes/b-%3Ea/pause", "");
    CHECK(paused_other.result_int() == 200);
    CHECK(Json::parse(paused_other.body()).at("lane") == "b->a");
    const Reply resumed = co_await client.post("/v1/lanes/a-to-b/resume", "");
    REQUIRE(resumed.result_int() == 200);
    CHECK(Json::parse(resumed.body()).at("halted") == false);
    const Reply no_lane = co_await client.post("/v1/lanes/c-to-d/pause", "");
    CHECK(no_lane.result_int() == 404);
    const Reply resume_body = co_await client.post("/v1/lanes/a-to-b/resume", R"({"reason":"x"})");
    CHECK(resume_body.result_int() == 400);

    const Reply level = co_await client.post("/v1/log-level", R"({"level":"debug"})");
    REQUIRE(level.result_int() == 200);
    CHECK(f.log_levels == std::vector<std::string>{"debug"});
    for (const char* body : {R"({"level":"verbose"})", "{}", R"({"level":3})", R"({"level":"debug","x":1})"}) {
      const Reply refused = co_await client.post("/v1/log-level", body);
      INFO(body);
      CHECK(refused.result_int() == 400);
    }
    CHECK(f.log_levels.size() == 1);
    co_await f.server->stop();
  }());
  CHECK(f.errors.empty());
  check_no_secrets(transcript);
}

TEST_CASE("v1 log level without a setter answers 501", "[api]") {
  V1Fixture f;
  // A second server on the same engine, installed with no setter.
  api::ServerOptions server_options;
  server_options.listen = "127.0.0.1:0";
  auto server = api::HttpServer::create(f.io.get_executor(), server_options).value();
  api::install_v1_routes(*server, *f.engine, *f.store, admin_options());
  server->start();
  std::string transcript;
  run(f.io, [&]() -> awaitable<void> {
    ApiClient client(co_await asio::this_coro::executor, transcript);
    co_await client.connect(server->port());
    const Reply refused = co_await client.post("/v1/log-level", R"({"level":"info"})");
    CHECK(refused.result_int() == 501);
    const Reply no_stream = co_await client.get("/v1/stream");
    CHECK(no_stream.result_int() == 404);
    co_await server->stop();
    co_await f.server->stop();
  }());
}

TEST_CASE("v1 hostile requests: oversized and deeply nested bodies, huge queries; the server stays up", "[api]") {
  V1Fixture f;
  const auto id = f.put(f.lane_message(1), S::kVerified);
  std::string transcript;
  run(f.io, [&]() -> awaitable<void> {
    {
      ApiClient client(co_await asio::this_coro::executor, transcript);
      co_await client.connect(f.server->port());
      const Reply too_big = co_await client.post(path_of(id) + "/park", std::string(65 * 1024, ' '));
      CHECK(too_big.result_int() == 413);
    }
    ApiClient client(co_await asio::this_coro::executor, transcript);
    co_await client.connect(f.server->port());
    const Reply deep = co_await client.post(path_of(id) + "/park", std::string(20000, '[') + std::string(20000, ']'));
    CHECK(deep.result_int() == 400);
    const Reply wide = co_await client.post("/v1/log-level", R"({"level":")" + std::string(40000, 'd') + R"("})");
    CHECK(wide.result_int() == 400);
    const Reply query = co_await client.get("/v1/messages?state=" + std::string(5000, 'x'));
    CHECK(query.result_int() == 400);
    const Reply bad_escape = co_await client.get("/v1/messages?state=%zz");
    CHECK(bad_escape.result_int() == 400);
    const Reply method = co_await client.post("/v1/chains", "{}");
    CHECK(method.result_int() == 405);
    const Reply health = co_await client.get("/healthz");
    CHECK(health.result_int() == 200);
    CHECK(f.store->message(id).value()->state == S::kVerified);
    co_await f.server->stop();
  }());
  check_no_secrets(transcript);
}

TEST_CASE("v1 stream sends one frame per committed transition", "[api]") {
  V1Fixture f;
  const auto id = f.put(f.lane_message(3), S::kObserved);
  std::string transcript;
  run(f.io, [&]() -> awaitable<void> {
    WebSocket ws(co_await asio::this_coro::executor);
    co_await ws_connect(ws, f.server->port());
    CHECK(f.stream->clients() == 1);

    ApiClient client(co_await asio::this_coro::executor, transcript);
    co_await client.connect(f.server->port());
    const Reply parked = co_await client.post(path_of(id) + "/park", R"({"reason":"operator.hold"})");
    REQUIRE(parked.result_int() == 200);
    const Json frame = co_await ws_frame(ws);
    CHECK(frame == Json{{"id", core::to_hex(id)},
                        {"state", "parked"},
                        {"lane", "a-to-b"},
                        {"claim", core::to_hex(fixed_of<core::Claim>("claim", 3))},
                        {"reason", "operator.hold"},
                        {"time", kTestTime}});
    const Reply retried = co_await client.post(path_of(id) + "/retry", "");
    REQUIRE(retried.result_int() == 200);
    const Json second = co_await ws_frame(ws);
    CHECK(second.at("state") == "observed");
    CHECK(second.at("reason") == "");

    // An upgrade that is not a WebSocket handshake gets the API's JSON error, not a stream.
    ApiClient raw(co_await asio::this_coro::executor, transcript);
    co_await raw.connect(f.server->port());
    http::request<http::string_body> not_websocket{http::verb::get, "/v1/stream", 11};
    not_websocket.set(http::field::connection, "Upgrade");
    not_websocket.set(http::field::upgrade, "websocket");
    not_websocket.set(http::field::sec_websocket_version, "8");
    not_websocket.set(http::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
    const Reply refused = co_await raw.send(std::move(not_websocket), "");
    CHECK(refused.result_int() == 400);
    CHECK(error_code_of(refused) == "bad_request");
    CHECK(f.stream->clients() == 1);

    auto [close_ec] = co_await ws.async_close(websocket::close_code::normal, kTuple);
    CHECK_FALSE(close_ec);
    for (int i = 0; i < 100 && f.stream->clients() != 0; ++i) co_await pause_for(Millis(10));
    CHECK(f.stream->clients() == 0);
    co_await f.server->stop();
  }());
  check_no_secrets(transcript);
}

TEST_CASE("v1 stream cuts off a client that does not read; the others keep their frames", "[api]") {
  api::StreamOptions stream_options;
  stream_options.queue_frames = 4;
  V1Fixture f(admin_options(), stream_options);
  run(f.io, [&]() -> awaitable<void> {
    const auto executor = co_await asio::this_coro::executor;
    WebSocket slow(executor);
    // A small receive window, so the slow client's backlog reaches the server's queue soon.
    beast::get_lowest_layer(slow).socket().open(tcp::v4());
    beast::get_lowest_layer(slow).socket().set_option(asio::socket_base::receive_buffer_size(4096));
    co_await ws_connect(slow, f.server->port());
    WebSocket reader(executor);
    co_await ws_connect(reader, f.server->port());
    REQUIRE(f.stream->clients() == 2);

    std::size_t received = 0;
    bool reading = true;
    asio::co_spawn(
        executor,
        [&]() -> awaitable<void> {
          beast::flat_buffer buffer;
          for (;;) {
            auto [ec, n] = co_await reader.async_read(buffer, kTuple);
            if (ec) break;
            buffer.consume(n);
            ++received;
          }
          reading = false;
        },
        asio::detached);

    engine::TransitionEvent event;
    event.id = fixed_of<core::MessageId>("stream", 1);
    event.to = S::kParked;
    event.lane = "a-to-b";
    event.reason = std::string(16 * 1024, 'r');
    std::size_t published = 0;
    // The slow client never reads: once the kernel's buffers are full its queue overflows.
    while (f.stream->clients() == 2 && published < 5000) {
      f.stream->publish(event);
      ++published;
      co_await pause_for(Millis(1));
    }
    CHECK(f.stream->clients() == 1);
    INFO("published " << published);
    CHECK(published < 5000);
    // The reader got every frame published while it was connected.
    for (int i = 0; i < 500 && received < published; ++i) co_await pause_for(Millis(5));
    CHECK(received == published);
    CHECK(reading);
    co_await f.server->stop();
  }());
}

TEST_CASE("v1 stream refuses clients beyond max_clients with 503", "[api]") {
  api::StreamOptions stream_options;
  stream_options.max_clients = 1;
  V1Fixture f(admin_options(), stream_options);
  run(f.io, [&]() -> awaitable<void> {
    WebSocket first(co_await asio::this_coro::executor);
    co_await ws_connect(first, f.server->port());
    WebSocket second(co_await asio::this_coro::executor);
    auto [connect_ec] = co_await beast::get_lowest_layer(second).async_connect(
        tcp::endpoint(asio::ip::make_address("127.0.0.1"), f.server->port()), kTuple);
    REQUIRE_FALSE(connect_ec);
    websocket::response_type answer;
    auto [handshake_ec] = co_await second.async_handshake(answer, "127.0.0.1", "/v1/stream", kTuple);
    CHECK(handshake_ec);
    CHECK(answer.result_int() == 503);
    CHECK(f.stream->clients() == 1);
    co_await f.server->stop();
  }());
}
