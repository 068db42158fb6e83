// relay/api over TLS: a real server with certificates made at test time (tls_fixtures.hpp) and
// real Beast TLS clients on one io_context; client certificates and admin access by fingerprint,
// the WebSocket stream over TLS, the handshake deadline, the per-client rate limit, response
// headers, the plaintext flag, and the operator's api_client against it. TLS configuration errors
// are named by their reasons.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <nlohmann/json.hpp>
#include <prometheus/registry.h>

#include "relay/api/connection.hpp"
#include "relay/api/http_server.hpp"
#include "relay/api/transition_stream.hpp"
#include "relay/app/api_client.hpp"
#include "relay/core/signature.hpp"
#include "tests/unit/api/tls_fixtures.hpp"
#include "tests/unit/api/v1_fixture.hpp"

using namespace causeway;
using namespace causeway::api;
using namespace causeway::test;
namespace ssl = asio::ssl;
namespace websocket = beast::websocket;
using Json = nlohmann::json;

namespace {

// Who the client is: no certificate, or the PEM pair under the PKI's directory.
struct ClientIdentity {
  std::string cert;
  std::string key;
};

std::unique_ptr<ssl::context> client_context(const tls::Pki& pki, const ClientIdentity& identity = {},
                                             const std::string& ca = "ca.pem") {
  auto context = std::make_unique<ssl::context>(ssl::context::tls_client);
  context->load_verify_file(pki.path(ca));
  context->set_verify_mode(ssl::verify_peer);
  if (!identity.cert.empty()) {
    context->use_certificate_chain_file(pki.path(identity.cert));
    context->use_private_key_file(pki.path(identity.key), ssl::context::pem);
  }
  return context;
}

// One TLS client connection. Every failure is returned, never asserted: refusals are what several
// tests expect.
class TlsClient {
 public:
  TlsClient(asio::any_io_executor executor, ssl::context& context) : stream_(std::move(executor), context) {}

  awaitable<boost::system::error_code> connect(std::uint16_t port) {
    auto& tcp_layer = beast::get_lowest_layer(stream_);
    tcp_layer.expires_after(kClientDeadline);
    auto [connect_ec] =
        co_await tcp_layer.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), kTuple);
    if (connect_ec) co_return connect_ec;
    stream_.set_verify_callback(ssl::host_name_verification("127.0.0.1"));
    auto [handshake_ec] = co_await stream_.async_handshake(ssl::stream_base::client, kTuple);
    co_return handshake_ec;
  }

  // The reply, or the error that ended the exchange.
  awaitable<std::pair<boost::system::error_code, Reply>> send(http::request<http::string_body> request) {
    request.set(http::field::host, "127.0.0.1");
    request.prepare_payload();
    beast::get_lowest_layer(stream_).expires_after(kClientDeadline);
    std::pair<boost::system::error_code, Reply> out;
    auto [write_ec, written] = co_await http::async_write(stream_, request, kTuple);
    if (write_ec) {
      out.first = write_ec;
      co_return out;
    }
    auto [read_ec, read] = co_await http::async_read(stream_, buffer_, out.second, kTuple);
    out.first = read_ec;
    co_return out;
  }

  awaitable<std::pair<boost::system::error_code, Reply>> get(std::string target) {
    http::request<http::string_body> request{http::verb::get, target, 11};
    auto answer = co_await send(std::move(request));
    co_return answer;
  }

  TlsStream& stream() { return stream_; }

 private:
  TlsStream stream_;
  beast::flat_buffer buffer_;
};

// Connects, shakes hands and asks for `target`: the reply, or the first error on the way.
awaitable<std::pair<boost::system::error_code, Reply>> fetch(ssl::context& context, std::uint16_t port,
                                                             std::string target) {
  TlsClient client(co_await asio::this_coro::executor, context);
  const auto connected = co_await client.connect(port);
  if (connected) co_return std::pair<boost::system::error_code, Reply>(connected, Reply());
  auto answer = co_await client.get(std::move(target));
  co_return answer;
}

ServerOptions tls_options(const tls::Pki& pki, ClientAuth client_auth = ClientAuth::kNone) {
  ServerOptions options;
  options.listen = "127.0.0.1:0";
  TlsOptions tls;
  tls.cert_file = pki.path("server.pem");
  tls.key_file = pki.path("server.key");
  if (client_auth != ClientAuth::kNone) tls.client_ca_file = pki.path("ca.pem");
  tls.client_auth = client_auth;
  options.tls = tls;
  return options;
}

std::unique_ptr<HttpServer> make_server(asio::io_context& io, ServerOptions options) {
  auto server = HttpServer::create(io.get_executor(), std::move(options));
  INFO((server ? std::string() : server.error().message()));
  REQUIRE(server);
  return std::move(server).value();
}

// Answers with the client certificate the server saw: {"subject","fingerprint"} or {}.
awaitable<Response> who_am_i(Request request) {
  Json body = Json::object();
  if (request.client) body = {{"subject", request.client->subject}, {"fingerprint", request.client->fingerprint}};
  body["peer"] = request.peer;
  Response response;
  response.body = body.dump();
  co_return response;
}

awaitable<void> pause_for(Millis duration) {
  asio::steady_timer timer(co_await asio::this_coro::executor, duration);
  co_await timer.async_wait(kTuple);
}

}  // namespace

TEST_CASE("api tls serves https; plain HTTP to the TLS port fails cleanly and the server stays up", "[api]") {
  const tls::Pki pki;
  asio::io_context io;
  auto server = make_server(io, tls_options(pki));
  auto registry = std::make_shared<prometheus::Registry>();
  server->set_metrics(registry);
  server->route("GET", "/whoami", who_am_i);
  server->start();
  CHECK_FALSE(server->exposes_plaintext());
  auto context = client_context(pki);
  run(io, [&]() -> awaitable<void> {
    const auto first = co_await fetch(*context, server->port(), "/whoami");
    REQUIRE_FALSE(first.first);
    CHECK(first.second.result_int() == 200);
    const Json seen = Json::parse(first.second.body());
    CHECK(seen.at("peer") == "127.0.0.1");
    CHECK_FALSE(seen.contains("fingerprint"));  // none asked for, none reported

    Client plain(co_await asio::this_coro::executor);
    co_await plain.connect(server->port());
    co_await plain.send_raw("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n");
    const bool closed = co_await plain.closed_by_server();
    CHECK(closed);

    const auto again = co_await fetch(*context, server->port(), "/metrics");
    REQUIRE_FALSE(again.first);
    CHECK(again.second.result_int() == 200);
    CHECK(again.second.body().find("causeway_http_tls_handshake_failures_total 1") != std::string::npos);
    CHECK(again.second.body().find("causeway_api_plaintext 0") != std::string::npos);
    co_await server->stop();
  }());
}

TEST_CASE("api tls client does not trust a server whose certificate chains to another CA", "[api]") {
  const tls::Pki pki;
  asio::io_context io;
  auto server = make_server(io, tls_options(pki));
  server->start();
  auto wrong_ca = client_context(pki, {}, "other-ca.pem");
  run(io, [&]() -> awaitable<void> {
    const auto refused = co_await fetch(*wrong_ca, server->port(), "/healthz");
    CHECK(refused.first);
    co_await server->stop();
  }());
}

TEST_CASE("api tls required client auth refuses no certificate and another CA's; reports a verified one", "[api]") {
  const tls::Pki pki;
  asio::io_context io;
  auto server = make_server(io, tls_options(pki, ClientAuth::kRequired));
  server->route("GET", "/whoami", who_am_i);
  server->start();
  auto anonymous = client_context(pki);
  auto foreign = client_context(pki, {"foreign.pem", "foreign.key"});
  auto operator_ = client_context(pki, {"client.pem", "client.key"});
  run(io, [&]() -> awaitable<void> {
    // With TLS 1.3 the client's handshake may finish before the server judges its certificate,
    // so the refusal can show on the first read instead: either way no answer comes.
    const auto no_cert = co_await fetch(*anonymous, server->port(), "/whoami");
    CHECK(no_cert.first);
    const auto other_ca = co_await fetch(*foreign, server->port(), "/whoami");
    CHECK(other_ca.first);

    const auto verified = co_await fetch(*operator_, server->port(), "/whoami");
    REQUIRE_FALSE(verified.first);
    REQUIRE(verified.second.result_int() == 200);
    const Json seen = Json::parse(verified.second.body());
    CHECK(seen.at("fingerprint") == pki.client_fingerprint);
    CHECK(seen.at("subject") == "CN=operator,O=Causeway test");
    co_await server->stop();
  }());
}

TEST_CASE("api tls optional client auth serves clients without a certificate", "[api]") {
  const tls::Pki pki;
  asio::io_context io;
  auto server = make_server(io, tls_options(pki, ClientAuth::kOptional));
  server->route("GET", "/whoami", who_am_i);
  server->start();
  auto anonymous = client_context(pki);
  auto foreign = client_context(pki, {"foreign.pem", "foreign.key"});
  run(io, [&]() -> awaitable<void> {
    const auto served = co_await fetch(*anonymous, server->port(), "/whoami");
    REQUIRE_FALSE(served.first);
    CHECK(served.second.result_int() == 200);
    CHECK_FALSE(Json::parse(served.second.body()).contains("fingerprint"));
    // A certificate that is sent must still verify.
    const auto other_ca = co_await fetch(*foreign, server->port(), "/whoami");
    CHECK(other_ca.first);
    co_await server->stop();
  }());
}

TEST_CASE("api tls cuts a client that never finishes its handshake after the read timeout", "[api]") {
  const tls::Pki pki;
  asio::io_context io;
  ServerOptions options = tls_options(pki);
  options.read_timeout = Millis(200);
  auto server = make_server(io, options);
  server->start();
  run(io, [&]() -> awaitable<void> {
    Client stalled(co_await asio::this_coro::executor);
    co_await stalled.connect(server->port());
    // The first bytes of a ClientHello record, and then nothing.
    co_await stalled.send_raw(std::string("\x16\x03\x01\x00\xc8\x01", 6));
    const auto started = std::chrono::steady_clock::now();
    const bool closed = co_await stalled.closed_by_server();
    const auto waited = std::chrono::steady_clock::now() - started;
    CHECK(closed);
    CHECK(waited >= Millis(150));
    CHECK(waited < Millis(3000));
    co_await server->stop();
  }());
}

TEST_CASE("api tls refuses unusable certificate and key files by reason", "[api]") {
  const tls::Pki pki;
  asio::io_context io;
  const auto refused = [&](ServerOptions options) {
    auto server = HttpServer::create(io.get_executor(), std::move(options));
    REQUIRE_FALSE(server);
    return server.error();
  };
  const ServerOptions valid = tls_options(pki, ClientAuth::kRequired);
  REQUIRE(HttpServer::create(io.get_executor(), valid));

  ServerOptions open_key = valid;
  const std::string readable = pki.path("readable.key");
  std::filesystem::copy_file(pki.path("server.key"), readable);
  REQUIRE(::chmod(readable.c_str(), 0640) == 0);
  open_key.tls->key_file = readable;
  const auto permissions = refused(open_key);
  CHECK(permissions.reason() == core::reason::key_file::kInsecurePermissions);
  CHECK(permissions.detail().find("0640") != std::string::npos);

  ServerOptions missing_key = valid;
  missing_key.tls->key_file = pki.path("absent.key");
  CHECK(refused(missing_key).reason() == core::reason::key_file::kUnreadable);

  ServerOptions wrong_key = valid;
  wrong_key.tls->key_file = pki.path("client.key");
  const auto mismatch = refused(wrong_key);
  CHECK(mismatch.reason() == reason::kTlsConfig);
  CHECK(mismatch.detail().find("does not belong to") != std::string::npos);

  ServerOptions key_as_cert = valid;
  key_as_cert.tls->cert_file = pki.path("server.key");
  CHECK(refused(key_as_cert).reason() == reason::kTlsConfig);

  ServerOptions no_ca = valid;
  no_ca.tls->client_ca_file.clear();
  CHECK(refused(no_ca).reason() == reason::kTlsConfig);

  ServerOptions bad_ca = valid;
  bad_ca.tls->client_ca_file = pki.path("absent-ca.pem");
  CHECK(refused(bad_ca).reason() == reason::kTlsConfig);
}

TEST_CASE("api plaintext is flagged off loopback only", "[api]") {
  const tls::Pki pki;
  asio::io_context io;
  ServerOptions loopback;
  loopback.listen = "127.0.0.1:0";
  CHECK_FALSE(make_server(io, loopback)->exposes_plaintext());

  ServerOptions everywhere;
  everywhere.listen = "0.0.0.0:0";
  auto exposed = make_server(io, everywhere);
  CHECK(exposed->exposes_plaintext());
  auto registry = std::make_shared<prometheus::Registry>();
  exposed->set_metrics(registry);
  bool flagged = false;
  for (const auto& family : registry->Collect()) {
    if (family.name == "causeway_api_plaintext") flagged = family.metric.at(0).gauge.value == 1;
  }
  CHECK(flagged);

  ServerOptions secured = tls_options(pki);
  secured.listen = "0.0.0.0:0";
  CHECK_FALSE(make_server(io, secured)->exposes_plaintext());
}

TEST_CASE("api rate limit answers 429 with Retry-After once a client's burst is spent", "[api]") {
  asio::io_context io;
  ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.requests_per_second = 0.01;  // one token per 100 s: none comes back during the test
  options.burst = 2;
  auto server = make_server(io, options);
  server->start();
  run(io, [&]() -> awaitable<void> {
    Client client(co_await asio::this_coro::executor);
    co_await client.connect(server->port());
    const Reply first = co_await client.get("/healthz");
    const Reply second = co_await client.get("/nowhere");  // a 404 costs a token too
    const Reply third = co_await client.get("/healthz");
    CHECK(first.result_int() == 200);
    CHECK(second.result_int() == 404);
    REQUIRE(third.result_int() == 429);
    CHECK(Json::parse(third.body()).at("error").at("code") == "rate_limited");
    const std::string retry_after(third[http::field::retry_after]);
    CHECK(std::stoul(retry_after) >= 1);
    CHECK(std::stoul(retry_after) <= 100);
    // The bucket is the address's, not the connection's.
    Client other(co_await asio::this_coro::executor);
    co_await other.connect(server->port());
    const Reply fourth = co_await other.get("/healthz");
    CHECK(fourth.result_int() == 429);
    co_await server->stop();
  }());
}

TEST_CASE("api_client waits out a 429 for Retry-After seconds, then gives up after its retries", "[api]") {
  asio::io_context io;
  ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.requests_per_second = 1;  // Retry-After 1 once the burst is spent
  options.burst = 1;
  auto server = make_server(io, options);
  server->start();
  auto guard = asio::make_work_guard(io);
  std::thread serving([&io] { io.run(); });

  app::ApiClientOptions client;
  client.api = "http://127.0.0.1:" + std::to_string(server->port());
  client.rate_limited_retries = 0;
  REQUIRE(app::api_request(client, "GET", "/healthz")->status == 200);
  const auto refused = app::api_request(client, "GET", "/healthz");
  REQUIRE(refused);
  CHECK(refused->status == 429);
  CHECK(refused->retry_after == "1");
  // With retries the same request waits for the bucket and goes through.
  client.rate_limited_retries = 3;
  const auto started = std::chrono::steady_clock::now();
  const auto waited = app::api_request(client, "GET", "/healthz");
  REQUIRE(waited);
  CHECK(waited->status == 200);
  CHECK(std::chrono::steady_clock::now() - started >= std::chrono::milliseconds(900));

  guard.reset();
  asio::co_spawn(io, server->stop(), [&io](std::exception_ptr) { io.stop(); });
  serving.join();
}

TEST_CASE("api handler headers are sent; a handler setting a framing header answers 500", "[api]") {
  asio::io_context io;
  ServerOptions options;
  options.listen = "127.0.0.1:0";
  auto server = make_server(io, options);
  server->route("GET", "/challenge", [](Request) -> awaitable<Response> {
    Response response;
    response.status = 401;
    response.headers.emplace("WWW-Authenticate", "Bearer");
    co_return response;
  });
  server->route("GET", "/smuggle", [](Request) -> awaitable<Response> {
    Response response;
    response.headers.emplace("Content-Length", "0");
    co_return response;
  });
  server->route("GET", "/inject", [](Request) -> awaitable<Response> {
    Response response;
    response.headers.emplace("X-Note", "a\r\nSet-Cookie: x");
    co_return response;
  });
  server->start();
  run(io, [&]() -> awaitable<void> {
    Client client(co_await asio::this_coro::executor);
    co_await client.connect(server->port());
    const Reply challenge = co_await client.get("/challenge");
    CHECK(challenge.result_int() == 401);
    CHECK(challenge[http::field::www_authenticate] == "Bearer");
    const Reply smuggle = co_await client.get("/smuggle");
    CHECK(smuggle.result_int() == 500);
    const Reply inject = co_await client.get("/inject");
    CHECK(inject.result_int() == 500);
    CHECK(inject[http::field::set_cookie].empty());
    co_await server->stop();
  }());
}

TEST_CASE("api tls WebSocket stream delivers a transition", "[api]") {
  const tls::Pki pki;
  asio::io_context io;
  auto server = make_server(io, tls_options(pki));
  StreamOptions stream_options;
  stream_options.clock = [] { return kTestTime; };
  auto stream = std::make_shared<TransitionStream>(stream_options);
  server->upgrade("/v1/stream", [stream](Request request, Connection& connection) -> awaitable<unsigned> {
    const unsigned status = co_await stream->serve(std::move(request), connection);
    co_return status;
  });
  server->start();
  auto context = client_context(pki);
  run(io, [&]() -> awaitable<void> {
    TlsClient client(co_await asio::this_coro::executor, *context);
    const auto connected = co_await client.connect(server->port());
    REQUIRE_FALSE(connected);
    beast::get_lowest_layer(client.stream()).expires_never();
    websocket::stream<TlsStream&> ws(client.stream());
    ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
    auto [handshake_ec] = co_await ws.async_handshake("127.0.0.1", "/v1/stream", kTuple);
    REQUIRE_FALSE(handshake_ec);
    for (int i = 0; i < 100 && stream->clients() != 1; ++i) co_await pause_for(Millis(5));
    REQUIRE(stream->clients() == 1);

    engine::TransitionEvent event;
    event.id = fixed_of<core::MessageId>("tls-stream", 1);
    event.to = store::MessageState::kVerified;
    event.lane = "a-to-b";
    stream->publish(event);
    beast::flat_buffer buffer;
    auto [read_ec, read] = co_await ws.async_read(buffer, kTuple);
    REQUIRE_FALSE(read_ec);
    const Json frame = Json::parse(beast::buffers_to_string(buffer.data()));
    CHECK(frame.at("id") == core::to_hex(event.id));
    CHECK(frame.at("state") == "verified");
    CHECK(frame.at("time") == kTestTime);
    co_await server->stop();
  }());
}

TEST_CASE("v1 admin over mTLS: a listed client certificate needs no token, an unlisted one gets 401", "[api]") {
  const tls::Pki pki;
  api::V1Options options = admin_options();
  options.admin_client_certs = {pki.client_fingerprint};
  V1Fixture f(std::move(options), {}, {}, [&pki](ServerOptions& server) {
    server.tls = tls_options(pki, ClientAuth::kOptional).tls;
  });
  auto listed = client_context(pki, {"client.pem", "client.key"});
  auto unlisted = client_context(pki, {"second.pem", "second.key"});
  auto anonymous = client_context(pki);
  run(f.io, [&]() -> awaitable<void> {
    const auto executor = co_await asio::this_coro::executor;
    const auto pause = [] {
      http::request<http::string_body> request{http::verb::post, "/v1/lanes/a-to-b/pause", 11};
      return request;
    };
    TlsClient admin(executor, *listed);
    const auto admin_connected = co_await admin.connect(f.server->port());
    REQUIRE_FALSE(admin_connected);
    const auto paused = co_await admin.send(pause());
    REQUIRE_FALSE(paused.first);
    CHECK(paused.second.result_int() == 200);
    CHECK(Json::parse(paused.second.body()).at("halted") == true);

    TlsClient other(executor, *unlisted);
    const auto other_connected = co_await other.connect(f.server->port());
    REQUIRE_FALSE(other_connected);
    const auto refused = co_await other.send(pause());
    REQUIRE_FALSE(refused.first);
    CHECK(refused.second.result_int() == 401);
    CHECK(refused.second[http::field::www_authenticate] == "Bearer");

    // The token still works, with or without a certificate.
    TlsClient token(executor, *anonymous);
    const auto token_connected = co_await token.connect(f.server->port());
    REQUIRE_FALSE(token_connected);
    auto with_token = pause();
    with_token.set(http::field::authorization, "Bearer " + std::string(kAdminToken));
    const auto allowed = co_await token.send(std::move(with_token));
    REQUIRE_FALSE(allowed.first);
    CHECK(allowed.second.result_int() == 200);
    co_await f.server->stop();
  }());
}

TEST_CASE("api_client talks https with --ca and mTLS; a wrong CA fails with a clear error", "[api]") {
  const tls::Pki pki;
  asio::io_context io;
  auto server = make_server(io, tls_options(pki, ClientAuth::kRequired));
  server->route("GET", "/whoami", who_am_i);
  server->start();
  auto guard = asio::make_work_guard(io);
  std::thread serving([&io] { io.run(); });

  app::ApiClientOptions client;
  client.api = "https://127.0.0.1:" + std::to_string(server->port());
  client.ca_file = pki.path("ca.pem");
  client.cert_file = pki.path("client.pem");
  client.key_file = pki.path("client.key");
  const auto answered = app::api_request(client, "GET", "/whoami");
  INFO((answered ? std::string() : answered.error().message()));
  REQUIRE(answered);
  CHECK(answered->status == 200);
  CHECK(Json::parse(answered->body).at("fingerprint") == pki.client_fingerprint);

  app::ApiClientOptions wrong_ca = client;
  wrong_ca.ca_file = pki.path("other-ca.pem");
  const auto distrusted = app::api_request(wrong_ca, "GET", "/whoami");
  REQUIRE_FALSE(distrusted);
  INFO(distrusted.error().message());
  CHECK(distrusted.error().reason() == app::reason::api_client::kTlsFailed);
  CHECK(distrusted.error().detail().find("not trusted") != std::string::npos);

  app::ApiClientOptions no_cert = client;
  no_cert.cert_file.clear();
  no_cert.key_file.clear();
  const auto anonymous = app::api_request(no_cert, "GET", "/whoami");
  REQUIRE_FALSE(anonymous);
  INFO(anonymous.error().message());
  CHECK(anonymous.error().reason() == app::reason::api_client::kTlsFailed);

  app::ApiClientOptions plain_with_ca = client;
  plain_with_ca.api = "http://127.0.0.1:" + std::to_string(server->port());
  const auto mixed = app::api_request(plain_with_ca, "GET", "/whoami");
  REQUIRE_FALSE(mixed);
  CHECK(mixed.error().reason() == app::reason::api_client::kBadUrl);

  app::ApiClientOptions unreadable_ca = client;
  unreadable_ca.ca_file = pki.path("absent.pem");
  const auto unusable = app::api_request(unreadable_ca, "GET", "/whoami");
  REQUIRE_FALSE(unusable);
  CHECK(unusable.error().reason() == app::reason::api_client::kTlsConfig);

  guard.reset();
  asio::co_spawn(io, server->stop(), [&io](std::exception_ptr) { io.stop(); });
  serving.join();
}
