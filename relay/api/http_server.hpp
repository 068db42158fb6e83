// The relay's HTTP server (DESIGN.md sections 2 and 5): /healthz, /readyz and /metrics built in,
// a route table the REST /v1 handlers plug into, optional TLS with client certificates, and a
// per-client request rate limit. Declares no Beast types (relay/api/connection.hpp does).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "relay/core/result.hpp"

namespace prometheus {
class Registry;
}

namespace causeway::api {

namespace reason {
// ServerOptions::listen is not "IPv4:port" or "[IPv6]:port" (host names are not resolved).
inline constexpr core::Reason kBadListenAddress{"api.bad_listen_address"};
// Another socket already listens on the address (often a second relay on the same host).
inline constexpr core::Reason kAddressInUse{"api.address_in_use"};
// Any other failure to open, bind or listen (no such local address, no permission).
inline constexpr core::Reason kBindFailed{"api.bind_failed"};
// ServerOptions::tls names a certificate, key or CA file that cannot be read, parsed or used
// together (a key that does not match the certificate). Key file permissions have their own
// reason, core::reason::key_file::kInsecurePermissions, as every other key file.
inline constexpr core::Reason kTlsConfig{"api.tls_config"};
}  // namespace reason

struct Response {
  unsigned status = 200;  // 200..599; anything else is a handler bug and answers 500
  std::string content_type = "application/json";
  std::string body;
  // Further headers (WWW-Authenticate, Retry-After). Names are HTTP tokens and values printable
  // ASCII; Content-Type, Content-Length, Transfer-Encoding and Connection are the server's. A
  // handler breaking this answers 500.
  std::map<std::string, std::string> headers;
};

// A client certificate the server verified against its client CA during the TLS handshake.
struct ClientCertificate {
  std::string subject;      // RFC 2253 form, e.g. "CN=operator,O=Example"
  std::string fingerprint;  // SHA-256 of the certificate's DER: 64 lower-case hex digits
};

struct Request {
  std::string method;  // as sent, e.g. "GET"
  std::string target;  // raw request target: path and query
  std::string path;    // the target up to '?', not percent-decoded
  // Percent-decoded ('+' is a space); a key given twice keeps its first value.
  std::map<std::string, std::string> query;
  // The segments a route pattern's {name} placeholders matched, percent-decoded.
  std::map<std::string, std::string> params;
  // Names lower-cased; a header sent twice keeps its first value.
  std::map<std::string, std::string> headers;
  std::string body;
  std::string peer;  // the client's IP address as text (no port)
  // Set only on a TLS connection whose client presented a certificate that verified.
  std::optional<ClientCertificate> client;
};

// Runs on the connection's strand; may be called concurrently for different connections. A
// handler that is itself a coroutine lambda may use its captures: the server keeps the handler
// alive while it runs. An exception from it answers 500 and never reaches the client's eyes.
using Handler = std::function<boost::asio::awaitable<Response>(Request)>;

// The byte stream of one connection, plain or TLS (relay/api/connection.hpp).
class Connection;

// Takes over a connection whose request asks for a protocol upgrade (Connection: upgrade and an
// Upgrade header, as a WebSocket handshake sends). From the request on the conversation is the
// handler's, its answer (101 or a refusal) included; it returns the status it answered, for the
// server's request counter, and the connection closes when it returns. Runs on the connection's
// strand. stop() closes such connections at once: a stream has no answer worth draining.
using UpgradeHandler = std::function<boost::asio::awaitable<unsigned>(Request, Connection&)>;

// Whether the server asks TLS clients for a certificate. A certificate that is sent must verify
// against client_ca_file, or the handshake fails; kRequired also fails a client that sends none.
enum class ClientAuth { kNone, kOptional, kRequired };

struct TlsOptions {
  std::string cert_file;  // PEM: the server's certificate, then the intermediates
  // PEM private key of cert_file. Refused if group or others may access it, like every key file.
  std::string key_file;
  std::string client_ca_file;  // PEM CA(s) of client certificates; needed unless kNone
  ClientAuth client_auth = ClientAuth::kNone;
};

struct ServerOptions {
  std::string listen = "127.0.0.1:9464";  // host:port; port 0 picks a free port (tests); [::1]:port for IPv6
  std::size_t max_header_bytes = 8 * 1024;  // request line and headers; more answers 431
  std::size_t max_body_bytes = 1 << 20;     // more answers 413
  std::size_t max_connections = 256;        // more are closed at once and counted
  // The whole of one request (or a fresh connection's first byte) must arrive within this, or the
  // connection closes: a slow sender cannot hold a connection slot (slowloris).
  std::chrono::milliseconds read_timeout{30000};
  // How long a kept-alive connection may wait for its next request.
  std::chrono::milliseconds idle_timeout{60000};
  // How long a client may take to receive one response.
  std::chrono::milliseconds write_timeout{30000};
  // How long stop() waits for in-flight requests before cutting their connections.
  std::chrono::milliseconds drain_timeout{5000};
  // TLS 1.2 or 1.3 when set, plain HTTP when not. The handshake must finish within read_timeout.
  std::optional<TlsOptions> tls;
  // Requests each client (by IP address) may make per second on average, and in one burst; more
  // answer 429 with Retry-After. 0 requests_per_second: no limit. Burst 0 means requests_per_second.
  double requests_per_second = 0;
  double burst = 0;
  // Failures the client cannot be told about in detail (a handler that threw, a failing accept).
  // Messages hold no request data. Called from any connection's strand: must be thread-safe.
  std::function<void(std::string_view)> on_error;
};

// What /readyz reports: 200 {"ready":true,"detail":...} or 503 {"ready":false,"detail":...}.
struct Readiness {
  bool ready = false;
  nlohmann::json detail;  // per-component status, passed through as is
};

// Configure (route, upgrade, set_readiness, set_metrics) before start(): connections read the
// configuration without locks, so configuring later is a caller bug and aborts. Destroy the server
// before its execution context; destroying it without stop() closes the listener and every
// connection at once.
class HttpServer {
 public:
  // Binds and listens now, so a taken port fails here with the address in the error.
  static core::Result<std::unique_ptr<HttpServer>> create(boost::asio::any_io_executor executor,
                                                          ServerOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // `path` is a pattern of '/'-separated segments: literal, or "{name}" matching any one
  // non-empty segment except "." and ".." (its value lands in Request::params). A literal path
  // wins over patterns, and among patterns the one with more literal segments wins. A second
  // handler for the same method and pattern replaces the first. Unknown paths answer 404, known
  // paths with another method 405 with Allow.
  void route(std::string method, std::string path, Handler handler);
  // Upgrade requests (see UpgradeHandler) for `path`, matched like route(); any other request
  // for a path with only an upgrade handler answers 426.
  void upgrade(std::string path, UpgradeHandler handler);
  // Called on every /readyz request, from any connection's strand: must be thread-safe. Until it
  // is set, /readyz answers 503.
  void set_readiness(std::function<Readiness()> readiness);
  // /metrics serves this registry in text format 0.0.4 (503 until it is set). The server adds its
  // own causeway_http_requests_total{path,code}, causeway_http_connections_rejected_total,
  // causeway_http_tls_handshake_failures_total and causeway_api_plaintext (see exposes_plaintext).
  void set_metrics(std::shared_ptr<prometheus::Registry> registry);

  // Spawns the accept loop on the executor. Call once.
  void start();
  // Stops accepting, closes connections waiting for a request, lets in-flight requests finish
  // (answered with Connection: close) for up to drain_timeout, then cuts what is left.
  boost::asio::awaitable<void> stop();

  std::uint16_t port() const noexcept;
  // True when the server speaks plain HTTP on an address other than loopback: the admin token and
  // every answer cross the network readable. Allowed, but the caller must say so loudly.
  bool exposes_plaintext() const noexcept;

 private:
  struct Impl;
  explicit HttpServer(std::shared_ptr<Impl> impl);
  // Shared with every connection coroutine, so a connection outliving the server (a handler
  // still running after stop() gave up on it) never touches freed state.
  std::shared_ptr<Impl> impl_;
};

}  // namespace causeway::api
