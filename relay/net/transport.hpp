// Internal to relay/net: one endpoint's connections (HTTP(S) keep-alive pool, WebSocket
// streams). Declares no Beast types, so only transport.cpp pays Beast's compile time.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "relay/net/error.hpp"
#include "relay/net/url.hpp"

namespace causeway::net {

struct TlsOptions {
  // PEM file of the CA(s) to trust instead of the system store (private and consortium chains).
  std::string ca_file;
  // Turns off certificate and host-name checks. Only for tests and emergencies; the client counts
  // endpoints with this set so metrics can show it.
  bool insecure_skip_tls_verify = false;
};

namespace detail {

struct TransportLimits {
  std::chrono::milliseconds connect_timeout{5000};  // resolve excluded, connect + TLS + upgrade
  std::chrono::milliseconds request_timeout{10000};  // write plus read of one exchange
  std::size_t max_reply_bytes = 32u << 20;
  std::size_t max_idle_connections = 4;
};

struct HttpReply {
  unsigned status = 200;  // 200 for WebSocket messages
  std::string body;
};

// An open WebSocket for a subscription: the owner sends and receives on it, one at a time.
class MessageStream {
 public:
  virtual ~MessageStream() = default;
  virtual boost::asio::awaitable<Result<void>> send(std::string text) = 0;
  // Waits up to timeout for one whole text message; a timeout closes the stream.
  virtual boost::asio::awaitable<Result<std::string>> receive(std::chrono::milliseconds timeout) = 0;
  virtual boost::asio::awaitable<void> close() = 0;
};

class EndpointTransport {
 public:
  // Fails on a TLS configuration that cannot be loaded (e.g. an unreadable CA file).
  static Result<std::unique_ptr<EndpointTransport>> create(boost::asio::any_io_executor executor,
                                                           Url url, TlsOptions tls,
                                                           TransportLimits limits);
  ~EndpointTransport();
  EndpointTransport(const EndpointTransport&) = delete;
  EndpointTransport& operator=(const EndpointTransport&) = delete;

  // Sends one request body and returns the reply on a pooled connection (HTTP keep-alive or an
  // idle WebSocket). Safe to call from concurrent coroutines: each takes its own connection.
  boost::asio::awaitable<Result<HttpReply>> exchange(std::string body);
  // Drops the idle connections: after a reply that broke the protocol, a kept-alive WebSocket
  // may be out of step (a stray extra message would answer the next request).
  void discard_idle();
  // A fresh WebSocket of its own (WebSocket endpoints only).
  boost::asio::awaitable<Result<std::unique_ptr<MessageStream>>> open_stream();

  const std::string& label() const noexcept;

 private:
  struct Impl;
  explicit EndpointTransport(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace detail
}  // namespace causeway::net
