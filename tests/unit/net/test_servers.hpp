// Test doubles for relay/net: a scriptable (mis)behaving HTTP(S) JSON-RPC server, a real anvil
// on a free loopback port, and a throwaway CA with a server certificate.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace causeway::net::testing {

using Json = nlohmann::json;

// What the server does with one request.
struct Response {
  std::string bytes;             // written as is (status line, headers, body, or garbage)
  bool close = false;            // close the connection after writing
  bool hang = false;             // write nothing and keep the connection open until shutdown
  std::size_t chunked_junk = 0;  // after `bytes`, stream up to this many junk bytes as chunks
  std::string stray;             // WebSocket only: a second, unrequested message after `bytes`
};
// request: the parsed JSON body (null if it was not JSON); index: 0 for the first request.
using Handler = std::function<Response(const Json& request, std::size_t index)>;

std::string http_response(unsigned status, std::string_view body, bool keep_alive = true);
// A well-formed JSON-RPC reply text carrying `result` for the request's id, and the same as a
// 200 HTTP response.
std::string rpc_body(const Json& request, const Json& result);
Response rpc_result(const Json& request, const Json& result);

struct TlsFiles {
  std::string cert_file;
  std::string key_file;
};

// Serves HTTP(S) or, with websocket set, WebSocket (ws/wss): each text message is a request and
// Response::bytes is sent back as one text message (an empty one sends nothing).
class FakeServer {
 public:
  explicit FakeServer(Handler handler, std::optional<TlsFiles> tls = std::nullopt,
                      bool websocket = false);
  ~FakeServer();
  FakeServer(const FakeServer&) = delete;
  FakeServer& operator=(const FakeServer&) = delete;

  std::uint16_t port() const;
  std::string url(std::string_view scheme = "http", std::string_view host = "127.0.0.1") const;
  std::size_t requests() const;
  std::size_t connections() const;
  std::size_t bytes_written() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A loopback port nobody listens on right now (anvil has no --port 0).
std::uint16_t free_loopback_port();

class Anvil {
 public:
  // Starts anvil on a free port and waits until it answers; fails the test if it cannot.
  static std::unique_ptr<Anvil> start();
  ~Anvil();  // SIGTERM, then waits for the process
  Anvil(const Anvil&) = delete;
  Anvil& operator=(const Anvil&) = delete;

  std::uint16_t port() const { return port_; }
  std::string http_url(std::string_view host = "127.0.0.1") const;
  std::string ws_url() const;

 private:
  Anvil(int pid, std::uint16_t port) : pid_(pid), port_(port) {}
  int pid_;
  std::uint16_t port_;
};

// A CA and a server certificate for DNS:localhost only, made with the openssl CLI in a private
// temporary directory that is removed on destruction.
class TestPki {
 public:
  TestPki();
  ~TestPki();
  TestPki(const TestPki&) = delete;
  TestPki& operator=(const TestPki&) = delete;
  const std::string& ca_file() const { return ca_; }
  TlsFiles server() const { return {cert_, key_}; }

 private:
  std::string dir_, ca_, cert_, key_;
};

}  // namespace causeway::net::testing
