// Integration tests for relay/net/client: a real anvil (HTTP and WebSocket), scriptable
// misbehaving servers, lying endpoints under k-of-n quorum, and TLS with a throwaway CA.
#include <catch2/catch.hpp>

#include <chrono>
#include <exception>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>

#include "relay/net/client.hpp"
#include "tests/unit/net/test_servers.hpp"

using namespace causeway::net;
using namespace causeway::net::testing;
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

// Short deadlines and near-zero backoff: the tests exercise the logic, not the waiting.
ClientOptions fast(int attempts = 1, Millis timeout = Millis{200}) {
  ClientOptions options;
  options.connect_timeout = Millis{1000};
  options.request_timeout = timeout;
  options.retry = RetryPolicy{attempts, Millis{1}, Millis{4}};
  options.random = [] { return 0.5; };
  return options;
}

std::unique_ptr<SyncClient> client_for(std::vector<EndpointConfig> endpoints, ClientOptions options) {
  auto client = SyncClient::create(std::move(endpoints), std::move(options));
  REQUIRE(client.ok());
  return std::move(client).value();
}
std::unique_ptr<SyncClient> client_for(const std::string& url, ClientOptions options) {
  return client_for(std::vector<EndpointConfig>{EndpointConfig{url}}, std::move(options));
}

Response constant(std::string bytes, bool close = false) {
  Response r;
  r.bytes = std::move(bytes);
  r.close = close;
  return r;
}

// Runs a coroutine to completion on a fresh io_context and rethrows what it threw.
void run_coroutine(asio::awaitable<void> task) {
  asio::io_context io;
  std::exception_ptr failure;
  bool finished = false;
  asio::co_spawn(io, std::move(task), [&](std::exception_ptr e) {
    failure = e;
    finished = true;
  });
  io.run();
  if (failure) std::rethrow_exception(failure);
  REQUIRE(finished);
}

std::uint64_t quantity(const Json& j) { return std::stoull(j.get<std::string>(), nullptr, 16); }

// Forwards every call to anvil; `lie` may rewrite the result first.
Handler proxy_to(const std::string& upstream_url, std::function<void(Json&)> lie = {}) {
  std::shared_ptr<SyncClient> upstream = client_for(upstream_url, fast(1, Millis{2000}));
  return [upstream, lie](const Json& request, std::size_t) -> Response {
    auto result = upstream->call(request.at("method").get<std::string>(),
                                 request.value("params", Json::array()));
    if (!result) return constant(http_response(502, ""));
    Json value = *result;
    if (lie) lie(value);
    return rpc_result(request, value);
  };
}

}  // namespace

TEST_CASE("net client reads chain id, height and blocks from anvil over HTTP", "[integration]") {
  auto anvil = Anvil::start();
  auto client = client_for(anvil->http_url(), fast(2, Millis{2000}));
  auto chain = client->call("eth_chainId");
  REQUIRE(chain.ok());
  CHECK(*chain == "0x7a69");
  auto mined = client->call("evm_mine");
  REQUIRE(mined.ok());
  auto height = client->call("eth_blockNumber");
  REQUIRE(height.ok());
  CHECK(quantity(*height) >= 1);
  auto block = client->call("eth_getBlockByNumber", Json::array({*height, false}));
  REQUIRE(block.ok());
  CHECK((*block)["number"] == *height);
  CHECK((*block)["hash"].get<std::string>().size() == 66);
  auto future = client->call("eth_getBlockByNumber", Json::array({"0xffffff", false}));
  REQUIRE(future.ok());
  CHECK(future->is_null());
  auto bad = client->call("eth_getBlockByNumber", Json::array({"not-a-number", false}));
  REQUIRE_FALSE(bad.ok());
  CHECK((bad.error().reason() == reason::kRpcError));
  CHECK(rpc_error_code(bad.error()).has_value());
}

TEST_CASE("net client batches calls and keeps per-call errors apart", "[integration]") {
  auto anvil = Anvil::start();
  auto client = client_for(anvil->http_url(), fast(1, Millis{2000}));
  auto replies = client->batch({Call{"eth_chainId"}, Call{"eth_blockNumber"}, Call{"no_such_method"}});
  REQUIRE(replies.ok());
  REQUIRE(replies->size() == 3);
  CHECK((*replies)[0].value() == "0x7a69");
  CHECK((*replies)[1].ok());
  REQUIRE_FALSE((*replies)[2].ok());
  CHECK((*replies)[2].error().reason() == reason::kRpcMethodNotFound);
}

// The WebSocket scenarios are coroutines that record what happened; the test body asserts on the
// record, so Catch2's exceptions never cross a coroutine frame.
struct WsRecord {
  std::string failure;  // the first step that failed, with its error; empty when all passed
  std::string chain_id;
  std::string subscription_id;
  std::uint64_t before = 0;
  std::vector<std::pair<Json, Json>> heads;  // (notified head, block fetched by its number)
};

asio::awaitable<void> ws_scenario(std::string ws, WsRecord& record) {
  auto options = fast(2, Millis{2000});
  options.subscription_idle_timeout = Millis{5000};
  auto executor = co_await asio::this_coro::executor;
  std::vector<EndpointConfig> endpoints{EndpointConfig{ws}};
  auto created = Client::create(executor, std::move(endpoints), options);
  if (!created) {
    record.failure = "create: " + created.error().message();
    co_return;
  }
  Client& client = **created;
  auto chain = co_await client.call("eth_chainId");
  if (!chain) {
    record.failure = "eth_chainId: " + chain.error().message();
    co_return;
  }
  record.chain_id = chain->get<std::string>();
  auto before = co_await client.call("eth_blockNumber");
  if (!before) {
    record.failure = "eth_blockNumber: " + before.error().message();
    co_return;
  }
  record.before = quantity(*before);
  Json new_heads = Json::array({"newHeads"});
  auto subscribed = co_await client.subscribe(std::move(new_heads));
  if (!subscribed) {
    record.failure = "subscribe: " + subscribed.error().message();
    co_return;
  }
  Subscription& heads = **subscribed;
  record.subscription_id = heads.id();
  for (int i = 0; i < 2; ++i) {
    auto mined = co_await client.call("evm_mine");
    if (!mined) {
      record.failure = "evm_mine: " + mined.error().message();
      co_return;
    }
    auto head = co_await heads.next();
    if (!head) {
      record.failure = "next: " + head.error().message();
      co_return;
    }
    // GCC 12 cannot keep a braced-list temporary alive across co_await: build params first.
    Json params = Json::array({(*head)["number"], false});
    auto block = co_await client.call("eth_getBlockByNumber", std::move(params));
    if (!block) {
      record.failure = "eth_getBlockByNumber: " + block.error().message();
      co_return;
    }
    record.heads.emplace_back(*head, *block);
  }
  co_await heads.close();
}

struct IdleRecord {
  std::string failure;
  std::optional<Error> idle_error;
  Clock::duration waited{};
  std::optional<Error> http_subscribe_error;
};

asio::awaitable<void> idle_scenario(std::string ws, std::string http, IdleRecord& record) {
  auto options = fast(1, Millis{2000});
  options.subscription_idle_timeout = Millis{200};
  auto executor = co_await asio::this_coro::executor;
  std::vector<EndpointConfig> endpoints{EndpointConfig{ws}};
  auto created = Client::create(executor, std::move(endpoints), options);
  if (!created) {
    record.failure = "create: " + created.error().message();
    co_return;
  }
  Json new_heads = Json::array({"newHeads"});
  auto subscribed = co_await (*created)->subscribe(new_heads);
  if (!subscribed) {
    record.failure = "subscribe: " + subscribed.error().message();
    co_return;
  }
  const auto start = Clock::now();
  auto head = co_await (*subscribed)->next();
  record.waited = Clock::now() - start;
  if (!head) record.idle_error = head.error();
  std::vector<EndpointConfig> http_endpoints{EndpointConfig{http}};
  auto http_only = Client::create(executor, std::move(http_endpoints), options);
  if (!http_only) {
    record.failure = "create http: " + http_only.error().message();
    co_return;
  }
  auto refused = co_await (*http_only)->subscribe(std::move(new_heads));
  if (!refused) record.http_subscribe_error = refused.error();
}

TEST_CASE("net client calls and subscribes to newHeads over WebSocket", "[integration]") {
  auto anvil = Anvil::start();
  WsRecord record;
  run_coroutine(ws_scenario(anvil->ws_url(), record));
  INFO(record.failure);
  REQUIRE(record.failure.empty());
  CHECK(record.chain_id == "0x7a69");
  CHECK(record.subscription_id.rfind("0x", 0) == 0);
  REQUIRE(record.heads.size() == 2);
  for (std::size_t i = 0; i < record.heads.size(); ++i) {
    const auto& [head, block] = record.heads[i];
    CHECK(quantity(head["number"]) == record.before + i + 1);
    CHECK(block["hash"] == head["hash"]);
  }
}

TEST_CASE("net subscription ends with a timeout when no head arrives", "[integration]") {
  auto anvil = Anvil::start();
  IdleRecord record;
  run_coroutine(idle_scenario(anvil->ws_url(), anvil->http_url(), record));
  INFO(record.failure);
  REQUIRE(record.failure.empty());
  REQUIRE(record.idle_error.has_value());
  CHECK(record.idle_error->reason() == reason::kTimeout);
  CHECK(record.waited >= std::chrono::milliseconds(150));
  CHECK(record.waited < std::chrono::seconds(2));
  REQUIRE(record.http_subscribe_error.has_value());
  CHECK(record.http_subscribe_error->reason() == reason::kBadConfig);
}

TEST_CASE("net client times out on a server that never answers", "[integration]") {
  FakeServer server([](const Json&, std::size_t) {
    Response r;
    r.hang = true;
    return r;
  });
  auto client = client_for(server.url(), fast(1, Millis{200}));
  const auto start = Clock::now();
  auto reply = client->call("eth_chainId");
  const auto elapsed = Clock::now() - start;
  REQUIRE_FALSE(reply.ok());
  CHECK(reply.error().reason() == reason::kTimeout);
  CHECK(reply.error().detail().find(server.url() + ": read: timed out") != std::string::npos);
  CHECK(elapsed >= std::chrono::milliseconds(150));
  CHECK(elapsed < std::chrono::seconds(2));
}

TEST_CASE("net client retries a connection dropped mid-reply, then gives up", "[integration]") {
  FakeServer server([](const Json&, std::size_t) {
    return constant("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"jsonrpc\":", true);
  });
  auto client = client_for(server.url(), fast(3));
  auto reply = client->call("eth_chainId");
  REQUIRE_FALSE(reply.ok());
  CHECK(reply.error().reason() == reason::kConnectionClosed);
  CHECK(reply.error().detail().find("after 3 attempts") != std::string::npos);
  CHECK(server.requests() == 3);
}

TEST_CASE("net client rejects garbage, wrong ids, wrong versions and deep JSON", "[integration]") {
  struct Case {
    const char* name;
    std::function<Response(const Json&)> reply;
    Reason expected;
  };
  const std::vector<Case> cases = {
      {"html body", [](const Json&) { return constant(http_response(200, "<html>oops</html>")); },
       reason::kBadJson},
      {"not HTTP", [](const Json&) { return constant("SSH-2.0-OpenSSH_9.2\r\n\r\n", true); },
       reason::kBadHttp},
      {"wrong id",
       [](const Json& rq) {
         Json r{{"jsonrpc", "2.0"}, {"id", rq["id"].get<std::uint64_t>() + 1}, {"result", "0x1"}};
         return constant(http_response(200, r.dump()));
       },
       reason::kIdMismatch},
      {"wrong version",
       [](const Json& rq) {
         Json r{{"jsonrpc", "1.0"}, {"id", rq["id"]}, {"result", "0x1"}};
         return constant(http_response(200, r.dump()));
       },
       reason::kBadReply},
      {"result and error",
       [](const Json& rq) {
         Json r{{"jsonrpc", "2.0"}, {"id", rq["id"]}, {"result", "0x1"},
                {"error", {{"code", 1}, {"message", "m"}}}};
         return constant(http_response(200, r.dump()));
       },
       reason::kBadReply},
      {"deep nesting",
       [](const Json&) {
         return constant(http_response(200, std::string(5000, '[') + std::string(5000, ']')));
       },
       reason::kReplyTooDeep},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    FakeServer server([&c](const Json& request, std::size_t) { return c.reply(request); });
    auto client = client_for(server.url(), fast(1));
    auto reply = client->call("eth_chainId");
    REQUIRE_FALSE(reply.ok());
    CHECK(reply.error().reason() == c.expected);
    CHECK(is_retryable(reply.error()));  // a misbehaving endpoint is failed over, not trusted
  }
}

TEST_CASE("net client refuses huge bodies before buffering them", "[integration]") {
  SECTION("declared Content-Length over the limit fails at the header") {
    FakeServer server([](const Json&, std::size_t) {
      return constant("HTTP/1.1 200 OK\r\nContent-Length: 1073741824\r\n\r\n[");
    });
    auto options = fast(1, Millis{2000});
    options.limits.max_bytes = 1u << 20;
    auto client = client_for(server.url(), options);
    const auto start = Clock::now();
    auto reply = client->call("eth_chainId");
    REQUIRE_FALSE(reply.ok());
    CHECK(reply.error().reason() == reason::kReplyTooLarge);
    CHECK(Clock::now() - start < std::chrono::seconds(1));  // not a timeout in disguise
  }
  SECTION("an endless chunked body stops at the limit") {
    FakeServer server([](const Json&, std::size_t) {
      Response r;
      r.bytes = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
      r.chunked_junk = std::size_t{1} << 30;
      return r;
    });
    auto options = fast(1, Millis{5000});
    options.limits.max_bytes = 1u << 20;
    auto client = client_for(server.url(), options);
    auto reply = client->call("eth_chainId");
    REQUIRE_FALSE(reply.ok());
    CHECK(reply.error().reason() == reason::kReplyTooLarge);
    CHECK(server.bytes_written() < (std::size_t{64} << 20));  // the client stopped reading
  }
}

TEST_CASE("net client retries HTTP 500 and 429 with backoff, not 404 or rpc errors", "[integration]") {
  SECTION("500, then 429, then an answer") {
    FakeServer server([](const Json& request, std::size_t index) {
      if (index == 0) return constant(http_response(500, "boom"));
      if (index == 1) return constant(http_response(429, "slow down"));
      return rpc_result(request, "0x7a69");
    });
    auto options = fast(4);
    int draws = 0;
    options.random = [&draws] {
      ++draws;
      return 0.0;
    };
    auto client = client_for(server.url(), options);
    auto reply = client->call("eth_chainId");
    REQUIRE(reply.ok());
    CHECK(*reply == "0x7a69");
    CHECK(server.requests() == 3);
    CHECK(draws == 2);  // one jittered backoff per retry, from the injected source
  }
  SECTION("404 is a configuration error: one request only") {
    FakeServer server([](const Json&, std::size_t) { return constant(http_response(404, "no")); });
    auto client = client_for(server.url(), fast(4));
    auto reply = client->call("eth_chainId");
    CHECK(reply.error().reason() == reason::kHttpStatus);
    CHECK(server.requests() == 1);
  }
  SECTION("a JSON-RPC error is the node's answer: one request only") {
    FakeServer server([](const Json& request, std::size_t) {
      Json r{{"jsonrpc", "2.0"}, {"id", request["id"]},
             {"error", {{"code", -32000}, {"message", "execution reverted"}}}};
      return constant(http_response(200, r.dump()));
    });
    auto client = client_for(server.url(), fast(4));
    auto reply = client->call("eth_call", Json::array({Json::object(), "latest"}));
    CHECK(reply.error().reason() == reason::kRpcError);
    CHECK(rpc_error_code(reply.error()) == -32000);
    CHECK(server.requests() == 1);
  }
}

TEST_CASE("net client reuses keep-alive connections per endpoint", "[integration]") {
  SECTION("keep-alive: one connection for three calls") {
    FakeServer server([](const Json& request, std::size_t) { return rpc_result(request, "0x1"); });
    auto client = client_for(server.url(), fast(1));
    for (int i = 0; i < 3; ++i) REQUIRE(client->call("eth_blockNumber").ok());
    CHECK(server.requests() == 3);
    CHECK(server.connections() == 1);
  }
  SECTION("Connection: close is honoured") {
    FakeServer server([](const Json& request, std::size_t) {
      Json r{{"jsonrpc", "2.0"}, {"id", request["id"]}, {"result", "0x1"}};
      return constant(http_response(200, r.dump(), false), true);
    });
    auto client = client_for(server.url(), fast(1));
    for (int i = 0; i < 3; ++i) REQUIRE(client->call("eth_blockNumber").ok());
    CHECK(server.connections() == 3);
  }
  SECTION("a pooled connection the server closed while idle is replaced silently") {
    FakeServer server([](const Json& request, std::size_t) {
      Response r = rpc_result(request, "0x1");
      r.close = true;  // closes without saying so, like an idle timeout on the server
      return r;
    });
    auto client = client_for(server.url(), fast(1));
    REQUIRE(client->call("eth_blockNumber").ok());
    REQUIRE(client->call("eth_blockNumber").ok());
    CHECK(server.connections() == 2);
    CHECK(client->client().status()[0].failures == 0);
  }
}

TEST_CASE("net client fails over to the next endpoint and cools the failed one", "[integration]") {
  SECTION("round robin") {
    FakeServer good([](const Json& request, std::size_t) { return rpc_result(request, "0x1"); });
    const std::string dead = "http://127.0.0.1:" + std::to_string(free_loopback_port()) + "/";
    auto client = client_for({EndpointConfig{dead}, EndpointConfig{good.url()}}, fast(3));
    REQUIRE(client->call("eth_blockNumber").ok());
    REQUIRE(client->call("eth_blockNumber").ok());
    REQUIRE(client->call("eth_blockNumber").ok());
    const auto status = client->client().status();
    CHECK(status[0].failures == 1);  // tried once, then skipped while cooling
    CHECK(status[0].cooling);
    CHECK_FALSE(status[1].cooling);
    CHECK(good.requests() == 3);
  }
  SECTION("priority") {
    FakeServer preferred([](const Json& request, std::size_t) { return rpc_result(request, "0x1"); });
    FakeServer backup([](const Json& request, std::size_t) { return rpc_result(request, "0x1"); });
    auto options = fast(3);
    options.selection = Selection::kPriority;
    auto client = client_for({EndpointConfig{backup.url(), 5}, EndpointConfig{preferred.url(), 1}}, options);
    for (int i = 0; i < 3; ++i) REQUIRE(client->call("eth_blockNumber").ok());
    CHECK(preferred.requests() == 3);
    CHECK(backup.requests() == 0);
  }
}

TEST_CASE("net client reports every request to one endpoint, failed ones with their error", "[integration]") {
  FakeServer good([](const Json& request, std::size_t) { return rpc_result(request, "0x1"); });
  const std::string dead = "http://127.0.0.1:" + std::to_string(free_loopback_port()) + "/";
  struct Seen {
    std::string endpoint;
    std::string method;
    bool failed;
    double seconds;
  };
  std::vector<Seen> seen;
  auto options = fast(3);
  options.on_request = [&seen](const RequestOutcome& o) {
    seen.push_back({std::string(o.endpoint), std::string(o.method), o.error != nullptr, o.elapsed.count()});
  };
  auto client = client_for({EndpointConfig{dead}, EndpointConfig{good.url()}}, options);
  REQUIRE(client->call("eth_blockNumber").ok());
  // The dead endpoint failed once, then the call went to the good one.
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].method == "eth_blockNumber");
  CHECK(seen[0].failed);
  CHECK(seen[0].endpoint.find("127.0.0.1") != std::string::npos);
  CHECK_FALSE(seen[1].failed);
  CHECK(seen[1].endpoint != seen[0].endpoint);
  CHECK(seen[1].seconds >= 0.0);
}

TEST_CASE("ronin: quorum reads catch a lying endpoint among n", "[integration]") {
  auto anvil = Anvil::start();
  const std::string forged_hash = "0x" + std::string(64, 'b');
  FakeServer honest(proxy_to(anvil->http_url()));
  FakeServer liar(proxy_to(anvil->http_url(), [&](Json& block) { block["hash"] = forged_hash; }));
  FakeServer other_liar(proxy_to(anvil->http_url(), [](Json& block) { block["hash"] = "0x" + std::string(64, 'c'); }));
  const Json params = Json::array({"0x0", false});
  auto options = fast(1, Millis{3000});

  SECTION("2 of 3 agree: the read succeeds and names the liar") {
    auto client = client_for({EndpointConfig{anvil->http_url()}, EndpointConfig{honest.url()},
                              EndpointConfig{liar.url()}}, options);
    auto answer = client->quorum_call("eth_getBlockByNumber", params, QuorumSpec{2, project_member("hash")});
    REQUIRE(answer.ok());
    CHECK(answer->result["hash"] != forged_hash);
    CHECK(answer->agreeing.size() == 2);
    REQUIRE(answer->dissenting.size() == 1);
    CHECK(answer->dissenting[0].find(liar.url().substr(0, liar.url().size() - 1)) == 0);
    CHECK(answer->dissenting[0].find(forged_hash) != std::string::npos);
  }
  SECTION("3 of 3 required: the lie is a disagreement naming who said what") {
    auto client = client_for({EndpointConfig{anvil->http_url()}, EndpointConfig{honest.url()},
                              EndpointConfig{liar.url()}}, options);
    auto answer = client->quorum_call("eth_getBlockByNumber", params, QuorumSpec{3, project_member("hash")});
    REQUIRE_FALSE(answer.ok());
    CHECK(answer.error().reason() == reason::kQuorumDisagreement);
    CHECK(answer.error().detail().find(forged_hash) != std::string::npos);
    CHECK_FALSE(is_retryable(answer.error()));
  }
  SECTION("two different liars outvote nobody: disagreement") {
    auto client = client_for({EndpointConfig{honest.url()}, EndpointConfig{liar.url()},
                              EndpointConfig{other_liar.url()}}, options);
    auto answer = client->quorum_call("eth_getBlockByNumber", params, QuorumSpec{2, project_member("hash")});
    CHECK(answer.error().reason() == reason::kQuorumDisagreement);
  }
  SECTION("honest but too few answers: unavailable, not disagreement") {
    const std::string dead = "http://127.0.0.1:" + std::to_string(free_loopback_port()) + "/";
    auto client = client_for({EndpointConfig{honest.url()}, EndpointConfig{dead}}, options);
    auto answer = client->quorum_call("eth_getBlockByNumber", params, QuorumSpec{2, project_member("hash")});
    CHECK(answer.error().reason() == reason::kQuorumUnavailable);
    CHECK(answer.error().detail().find("net.connect_failed") != std::string::npos);
  }
}

TEST_CASE("net client verifies TLS certificates and host names", "[integration]") {
  TestPki pki;
  FakeServer server([](const Json& request, std::size_t) { return rpc_result(request, "0x7a69"); },
                    pki.server());
  const std::string by_name = server.url("https", "localhost");
  const std::string by_ip = server.url("https", "127.0.0.1");
  auto options = fast(3, Millis{2000});

  SECTION("the custom CA verifies the server") {
    auto client = client_for({EndpointConfig{by_name, 0, TlsOptions{pki.ca_file(), false}}}, options);
    auto reply = client->call("eth_chainId");
    REQUIRE(reply.ok());
    CHECK(*reply == "0x7a69");
    CHECK(client->client().insecure_endpoint_count() == 0);
  }
  SECTION("without the CA the certificate is refused, once, by name") {
    auto client = client_for({EndpointConfig{by_name}}, options);
    auto reply = client->call("eth_chainId");
    REQUIRE_FALSE(reply.ok());
    CHECK(reply.error().reason() == reason::kTlsVerifyFailed);
    CHECK(reply.error().detail().find("local issuer") != std::string::npos);
    CHECK(server.requests() == 0);
    CHECK(server.connections() == 1);  // fatal: no retry against a failed verification
  }
  SECTION("a certificate for another host name is refused") {
    auto client = client_for({EndpointConfig{by_ip, 0, TlsOptions{pki.ca_file(), false}}}, options);
    auto reply = client->call("eth_chainId");
    REQUIRE_FALSE(reply.ok());
    CHECK(reply.error().reason() == reason::kTlsVerifyFailed);
    CHECK(reply.error().detail().find("does not match host name 127.0.0.1") != std::string::npos);
    CHECK(server.requests() == 0);
  }
  SECTION("insecure_skip_tls_verify works only when set, and is counted") {
    auto client = client_for({EndpointConfig{by_ip, 0, TlsOptions{"", true}}}, options);
    auto reply = client->call("eth_chainId");
    REQUIRE(reply.ok());
    CHECK(client->client().insecure_endpoint_count() == 1);
    CHECK(client->client().status()[0].insecure_tls);
  }
  SECTION("an unreadable CA file is a configuration error") {
    auto client = SyncClient::create({EndpointConfig{by_name, 0, TlsOptions{"/nonexistent/ca.pem", false}}}, options);
    REQUIRE_FALSE(client.ok());
    CHECK(client.error().reason() == reason::kBadConfig);
  }
}

TEST_CASE("net client speaks wss with verification and bounds WebSocket replies", "[integration]") {
  TestPki pki;
  auto answer = [](const Json& request, std::size_t) { return constant(rpc_body(request, "0x7a69")); };
  SECTION("wss with the custom CA: calls share one pooled WebSocket") {
    FakeServer server(answer, pki.server(), true);
    auto client = client_for({EndpointConfig{server.url("wss", "localhost"), 0, TlsOptions{pki.ca_file(), false}}},
                             fast(1, Millis{2000}));
    for (int i = 0; i < 3; ++i) {
      auto reply = client->call("eth_chainId");
      REQUIRE(reply.ok());
      CHECK(*reply == "0x7a69");
    }
    CHECK(server.requests() == 3);
    CHECK(server.connections() == 1);
  }
  SECTION("wss without the CA is refused before any request") {
    FakeServer server(answer, pki.server(), true);
    auto client = client_for(server.url("wss", "localhost"), fast(3, Millis{2000}));
    auto reply = client->call("eth_chainId");
    REQUIRE_FALSE(reply.ok());
    CHECK(reply.error().reason() == reason::kTlsVerifyFailed);
    CHECK(server.requests() == 0);
  }
  SECTION("a WebSocket message over the limit is refused") {
    FakeServer server([](const Json&, std::size_t) { return constant("\"" + std::string(2u << 20, 'x') + "\""); },
                      std::nullopt, true);
    auto options = fast(1, Millis{2000});
    options.limits.max_bytes = 1u << 20;
    auto reply = client_for(server.url("ws"), options)->call("eth_chainId");
    REQUIRE_FALSE(reply.ok());
    CHECK(reply.error().reason() == reason::kReplyTooLarge);
  }
  SECTION("a WebSocket reply with another id is refused") {
    FakeServer server([](const Json& request, std::size_t) {
      Json r{{"jsonrpc", "2.0"}, {"id", request["id"].get<std::uint64_t>() + 7}, {"result", "0x1"}};
      return constant(r.dump());
    }, std::nullopt, true);
    auto reply = client_for(server.url("ws"), fast(1))->call("eth_chainId");
    REQUIRE_FALSE(reply.ok());
    CHECK(reply.error().reason() == reason::kIdMismatch);
  }
  SECTION("a WebSocket left out of step by a stray message is not reused") {
    FakeServer server([](const Json& request, std::size_t index) {
      Response r = constant(rpc_body(request, "0x1"));
      if (index == 0) r.stray = R"({"jsonrpc":"2.0","id":999999,"result":"0xbad"})";
      return r;
    }, std::nullopt, true);
    auto client = client_for(server.url("ws"), fast(2));
    REQUIRE(client->call("eth_blockNumber").ok());
    auto second = client->call("eth_blockNumber");  // reads the stray first: id mismatch, retry
    REQUIRE(second.ok());
    CHECK(*second == "0x1");
    CHECK(server.connections() == 2);  // the out-of-step connection was dropped, not pooled
    CHECK(client->client().status()[0].failures == 1);
  }
  SECTION("a WebSocket server that never answers times out") {
    FakeServer server([](const Json&, std::size_t) {
      Response r;
      r.hang = true;
      return r;
    }, std::nullopt, true);
    const auto start = Clock::now();
    auto reply = client_for(server.url("ws"), fast(1, Millis{200}))->call("eth_chainId");
    REQUIRE_FALSE(reply.ok());
    CHECK(reply.error().reason() == reason::kTimeout);
    CHECK(Clock::now() - start < std::chrono::seconds(2));
  }
}

TEST_CASE("net client refuses a bad endpoint URL without echoing its credentials", "[unit]") {
  auto client = SyncClient::create({EndpointConfig{"https://user:topsecret@node.example:70000/"}}, fast());
  REQUIRE_FALSE(client.ok());
  CHECK(client.error().reason() == reason::kBadUrl);
  CHECK(client.error().message().find("topsecret") == std::string::npos);
  CHECK(SyncClient::create({}, fast()).error().reason() == reason::kBadConfig);
}
