// The JSON-RPC 2.0 client every chain adapter uses: HTTP(S) and WebSocket endpoints, a deadline
// on every network step, retries with backoff, failover, k-of-n quorum reads and subscriptions.
// Light on purpose: no Beast here; the transport lives in transport.cpp.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "relay/net/backoff.hpp"
#include "relay/net/error.hpp"
#include "relay/net/jsonrpc.hpp"
#include "relay/net/quorum.hpp"
#include "relay/net/transport.hpp"

namespace causeway::net {

struct EndpointConfig {
  // Implicit from a URL alone, the common case: `EndpointConfig{"http://127.0.0.1:8545"}`.
  EndpointConfig(std::string endpoint_url, int endpoint_priority = 0, TlsOptions tls_options = {})
      : url(std::move(endpoint_url)), priority(endpoint_priority), tls(std::move(tls_options)) {}

  std::string url;    // http, https, ws or wss; user:password@ becomes HTTP Basic auth
  int priority = 0;   // lower is preferred under Selection::kPriority
  TlsOptions tls;
};

// One request to one endpoint, as it ended (ClientOptions::on_request).
struct RequestOutcome {
  std::string_view endpoint;  // the endpoint's label (Url::label: no credentials, no query)
  std::string_view method;    // the JSON-RPC method, or "batch"
  std::chrono::duration<double> elapsed;
  const Error* error = nullptr;  // null when the endpoint answered a result
};

struct ClientOptions {
  Millis connect_timeout{5000};   // TCP connect + TLS handshake + WebSocket upgrade
  Millis request_timeout{10000};  // write plus read of one request
  Millis subscription_idle_timeout{60000};  // longest wait for the next notification
  JsonLimits limits;              // reply size (also the transport's body limit) and nesting
  RetryPolicy retry;
  Millis cool_down{10000};        // a failed endpoint is avoided this long
  Selection selection = Selection::kRoundRobin;
  std::size_t max_idle_connections = 4;  // kept-alive connections per endpoint
  // Told of every request to one endpoint as it ends, retried and failed ones included: the
  // relay's per-endpoint latency and error metrics. Runs on the calling coroutine; keep it cheap.
  std::function<void(const RequestOutcome&)> on_request;
  // Injected for tests; defaults are steady_clock::now and a private PRNG in [0, 1).
  std::function<TimePoint()> clock;
  std::function<double()> random;
};

struct QuorumSpec {
  std::size_t k = 1;
  Projection projection = project_whole();
};

struct QuorumAnswer {
  Json result;                           // the agreed result (from one agreeing endpoint)
  std::vector<std::string> agreeing;     // endpoint labels
  std::vector<std::string> dissenting;   // "label said X": a conflicting answer (alert on it)
  std::vector<std::string> failed;       // "label failed: reason"
};

struct EndpointStatus {
  std::string label;
  bool insecure_tls = false;
  bool cooling = false;
  std::uint64_t failures = 0;
};

// One eth_subscribe subscription on its own WebSocket. Not shared between coroutines.
class Subscription {
 public:
  ~Subscription();
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;

  const std::string& id() const noexcept { return id_; }
  const std::string& endpoint() const noexcept { return endpoint_; }
  // The next notification's params.result; an error (timeout, closed, bad message) ends the
  // subscription: subscribe again.
  boost::asio::awaitable<Result<Json>> next();
  boost::asio::awaitable<void> close();

 private:
  friend class Client;
  Subscription(std::unique_ptr<detail::MessageStream> stream, std::string id, std::string endpoint,
               Millis idle_timeout, JsonLimits limits);
  std::unique_ptr<detail::MessageStream> stream_;
  std::string id_;
  std::string endpoint_;
  Millis idle_timeout_;
  JsonLimits limits_;
};

// Thread-safe: calls may run concurrently on any threads of the executor's context. The client
// must outlive every call and subscription it started.
class Client {
 public:
  static Result<std::unique_ptr<Client>> create(boost::asio::any_io_executor executor,
                                                std::vector<EndpointConfig> endpoints,
                                                ClientOptions options = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // One call with retries and failover across endpoints.
  boost::asio::awaitable<Result<Json>> call(std::string method, Json params = Json::array());
  // A JSON-RPC batch; the outer Result is the exchange, the inner ones are per call, in order.
  boost::asio::awaitable<Result<std::vector<Result<Json>>>> batch(std::vector<Call> calls);
  // The same call to every endpoint at once; needs spec.k identical projections.
  boost::asio::awaitable<Result<QuorumAnswer>> quorum_call(std::string method, Json params,
                                                           QuorumSpec spec);
  // eth_subscribe on a WebSocket endpoint, e.g. params ["newHeads"].
  boost::asio::awaitable<Result<std::unique_ptr<Subscription>>> subscribe(Json params);

  std::size_t endpoint_count() const noexcept;
  // Endpoints configured with insecure_skip_tls_verify (export it as a metric; it should be 0).
  std::size_t insecure_endpoint_count() const noexcept;
  std::vector<EndpointStatus> status() const;

 private:
  struct Impl;
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Blocking façade for tools and tests: runs each call to completion on a private io_context.
class SyncClient {
 public:
  static Result<std::unique_ptr<SyncClient>> create(std::vector<EndpointConfig> endpoints,
                                                    ClientOptions options = {});
  ~SyncClient();
  SyncClient(const SyncClient&) = delete;
  SyncClient& operator=(const SyncClient&) = delete;

  Result<Json> call(std::string method, Json params = Json::array());
  Result<std::vector<Result<Json>>> batch(std::vector<Call> calls);
  Result<QuorumAnswer> quorum_call(std::string method, Json params, QuorumSpec spec);
  const Client& client() const noexcept;

 private:
  struct Impl;
  explicit SyncClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace causeway::net
