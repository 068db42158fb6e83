// Client: retry loop, failover, quorum fan-out and subscriptions over EndpointTransport. Uses
// only Asio timers and co_spawn; everything Beast is behind transport.hpp.
#include "relay/net/client.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <optional>
#include <random>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace causeway::net {

namespace asio = boost::asio;
using asio::awaitable;

namespace {

struct Endpoint {
  std::string label;
  bool websocket = false;
  bool insecure_tls = false;
  std::unique_ptr<detail::EndpointTransport> transport;
};

// The body of a reply that is meant to be a single JSON-RPC batch array.
Result<std::vector<Result<Json>>> interpret_batch_reply(const detail::HttpReply& reply,
                                                       std::uint64_t first_id, std::size_t count,
                                                       const JsonLimits& limits) {
  if (reply.status < 200 || reply.status > 299) return http_status_error(reply.status);
  auto parsed = parse_bounded(reply.body, limits);
  if (!parsed) return std::move(parsed).error();
  return validate_batch_reply(*parsed, first_id, count);
}

// A reply that arrived whole but was not a valid answer to our request.
bool breaks_protocol(const Error& error) {
  const Reason r = error.reason();
  return r == reason::kBadJson || r == reason::kBadReply || r == reason::kIdMismatch ||
         r == reason::kReplyTooDeep || r == reason::kReplyTooLarge;
}

}  // namespace

struct Client::Impl {
  ClientOptions options;
  std::vector<Endpoint> endpoints;
  mutable std::mutex mutex;  // guards rotation and rng; never held across an await
  EndpointRotation rotation;
  std::mt19937_64 rng;
  std::atomic<std::uint64_t> next_id{1};

  Impl(ClientOptions opts, std::vector<int> priorities)
      : options(std::move(opts)),
        rotation(std::move(priorities), options.selection, options.cool_down),
        rng(std::random_device{}()) {}

  TimePoint now() const { return options.clock ? options.clock() : std::chrono::steady_clock::now(); }

  double random01() {
    if (options.random) return options.random();
    std::lock_guard lock(mutex);
    return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
  }

  std::size_t pick(const std::vector<bool>& eligible) {
    const TimePoint t = now();
    std::lock_guard lock(mutex);
    return rotation.pick(t, eligible);
  }

  void record(std::size_t endpoint, bool success) {
    const TimePoint t = now();
    std::lock_guard lock(mutex);
    if (success) rotation.record_success(endpoint);
    else rotation.record_failure(endpoint, t);
  }

  // Runs attempt(endpoint) until it succeeds, fails fatally (classify()), or the policy's
  // attempts are spent. Without `pinned`, each attempt picks an endpoint, so a failure moves
  // the next attempt to another endpoint while the failed one cools down.
  template <typename T, typename Attempt>
  awaitable<Result<T>> with_retries(Attempt attempt, std::optional<std::size_t> pinned,
                                    std::vector<bool> eligible, std::string what) {
    const int attempts = std::max(1, options.retry.max_attempts);
    std::optional<Error> last;
    for (int a = 0; a < attempts; ++a) {
      const std::size_t endpoint = pinned ? *pinned : pick(eligible);
      Result<T> result = co_await attempt(endpoint);
      if (result) {
        record(endpoint, true);
        co_return result;
      }
      Error error = std::move(result).error().with_context(endpoints[endpoint].label);
      if (classify(error) == ErrorClass::kFatal) co_return std::move(error).with_context(what);
      record(endpoint, false);
      last = std::move(error);
      if (a + 1 < attempts) {
        const Millis delay = backoff_delay(options.retry, a, random01());
        if (delay.count() > 0) {
          asio::steady_timer timer(co_await asio::this_coro::executor);
          timer.expires_after(delay);
          auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
          if (ec) co_return Error(reason::kCancelled, what + ": cancelled during backoff");
        }
      }
    }
    if (attempts == 1) co_return std::move(*last).with_context(what);
    co_return std::move(*last).with_context(what + ": gave up after " + std::to_string(attempts) +
                                            " attempts");
  }

  // Tells options.on_request how one request to `endpoint` ended.
  void report(std::size_t endpoint, std::string_view method, std::chrono::steady_clock::time_point started,
              const Error* error) const {
    if (!options.on_request) return;
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started;
    options.on_request(RequestOutcome{endpoints[endpoint].label, method, elapsed, error});
  }

  awaitable<Result<Json>> call_once(std::size_t endpoint, const std::string& request,
                                    std::uint64_t id, std::string_view method) {
    const auto started = std::chrono::steady_clock::now();
    auto& transport = *endpoints[endpoint].transport;
    auto reply = co_await transport.exchange(request);
    if (!reply) {
      report(endpoint, method, started, &reply.error());
      co_return std::move(reply).error();
    }
    auto result = interpret_http_reply(reply->status, reply->body, id, options.limits);
    if (!result && breaks_protocol(result.error())) transport.discard_idle();
    report(endpoint, method, started, result ? nullptr : &result.error());
    co_return result;
  }

  awaitable<Result<Json>> call_with_retries(std::optional<std::size_t> pinned,
                                            const std::string& request, std::uint64_t id,
                                            std::string what) {
    co_return co_await with_retries<Json>(
        [this, &request, id, &what](std::size_t endpoint) { return call_once(endpoint, request, id, what); },
        pinned, {}, what);
  }

  // One leg of a quorum read; writes into its own slot so legs share nothing.
  awaitable<void> quorum_leg(std::size_t endpoint, const std::string& request, std::uint64_t id,
                             std::string what, std::optional<Result<Json>>& out) {
    out.emplace(co_await call_with_retries(endpoint, request, id, std::move(what)));
  }

  awaitable<Result<std::unique_ptr<Subscription>>> subscribe_once(std::size_t endpoint,
                                                                  const std::string& request,
                                                                  std::uint64_t id) {
    auto opened = co_await endpoints[endpoint].transport->open_stream();
    if (!opened) co_return std::move(opened).error();
    std::unique_ptr<detail::MessageStream> stream = std::move(*opened);
    auto sent = co_await stream->send(request);
    if (!sent) co_return std::move(sent).error();
    auto text = co_await stream->receive(options.request_timeout);
    if (!text) co_return std::move(text).error();
    auto parsed = parse_bounded(*text, options.limits);
    if (!parsed) co_return std::move(parsed).error();
    auto result = validate_reply(*parsed, id);
    if (!result) co_return std::move(result).error();
    if (!result->is_string() || result->get_ref<const std::string&>().empty()) {
      co_return Error(reason::kBadReply, "eth_subscribe result is not a subscription id");
    }
    co_return std::unique_ptr<Subscription>(
        new Subscription(std::move(stream), result->get<std::string>(), endpoints[endpoint].label,
                         options.subscription_idle_timeout, options.limits));
  }
};

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Client::~Client() = default;

Result<std::unique_ptr<Client>> Client::create(asio::any_io_executor executor,
                                               std::vector<EndpointConfig> endpoints,
                                               ClientOptions options) {
  if (endpoints.empty()) return Error(reason::kBadConfig, "no endpoints");
  if (options.connect_timeout.count() <= 0 || options.request_timeout.count() <= 0 ||
      options.subscription_idle_timeout.count() <= 0) {
    return Error(reason::kBadConfig, "timeouts must be positive");
  }
  if (options.limits.max_bytes == 0 || options.limits.max_depth == 0) {
    return Error(reason::kBadConfig, "reply limits must be positive");
  }
  std::vector<int> priorities;
  for (const auto& config : endpoints) priorities.push_back(config.priority);
  auto impl = std::make_unique<Impl>(std::move(options), std::move(priorities));
  const detail::TransportLimits limits{impl->options.connect_timeout, impl->options.request_timeout,
                                       impl->options.limits.max_bytes,
                                       impl->options.max_idle_connections};
  for (auto& config : endpoints) {
    auto url = parse_url(config.url);
    if (!url) return std::move(url).error();
    Endpoint endpoint;
    endpoint.label = url->label();
    endpoint.websocket = url->websocket();
    endpoint.insecure_tls = url->tls() && config.tls.insecure_skip_tls_verify;
    auto transport = detail::EndpointTransport::create(executor, std::move(*url), config.tls, limits);
    if (!transport) return std::move(transport).error();
    endpoint.transport = std::move(*transport);
    impl->endpoints.push_back(std::move(endpoint));
  }
  return std::unique_ptr<Client>(new Client(std::move(impl)));
}

awaitable<Result<Json>> Client::call(std::string method, Json params) {
  const std::uint64_t id = impl_->next_id++;
  auto request = encode_request(id, Call{method, std::move(params)});
  if (!request) co_return std::move(request).error();
  co_return co_await impl_->call_with_retries(std::nullopt, *request, id, method);
}

awaitable<Result<std::vector<Result<Json>>>> Client::batch(std::vector<Call> calls) {
  const std::uint64_t first_id = impl_->next_id.fetch_add(calls.size() == 0 ? 1 : calls.size());
  auto request = encode_batch(first_id, calls);
  if (!request) co_return std::move(request).error();
  const std::size_t count = calls.size();
  Impl& impl = *impl_;
  co_return co_await impl.with_retries<std::vector<Result<Json>>>(
      [&impl, &request, first_id, count](std::size_t endpoint)
          -> awaitable<Result<std::vector<Result<Json>>>> {
        const auto started = std::chrono::steady_clock::now();
        auto& transport = *impl.endpoints[endpoint].transport;
        auto reply = co_await transport.exchange(*request);
        if (!reply) {
          impl.report(endpoint, "batch", started, &reply.error());
          co_return std::move(reply).error();
        }
        auto result = interpret_batch_reply(*reply, first_id, count, impl.options.limits);
        if (!result && breaks_protocol(result.error())) transport.discard_idle();
        impl.report(endpoint, "batch", started, result ? nullptr : &result.error());
        co_return result;
      },
      std::nullopt, {}, "batch of " + std::to_string(count));
}

awaitable<Result<QuorumAnswer>> Client::quorum_call(std::string method, Json params,
                                                    QuorumSpec spec) {
  const std::size_t n = impl_->endpoints.size();
  if (spec.k == 0 || spec.k > n) {
    co_return Error(reason::kBadConfig, method + ": quorum needs 1 <= k <= " + std::to_string(n));
  }
  if (!spec.projection) co_return Error(reason::kBadConfig, method + ": quorum without projection");
  const std::uint64_t id = impl_->next_id++;
  auto request = encode_request(id, Call{method, std::move(params)});
  if (!request) co_return std::move(request).error();

  // Every endpoint at once; the group waits for all legs, so none outlives this call.
  std::vector<std::optional<Result<Json>>> results(n);
  auto executor = co_await asio::this_coro::executor;
  using Leg = decltype(asio::co_spawn(executor, std::declval<awaitable<void>>(), asio::deferred));
  std::vector<Leg> legs;
  legs.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    legs.push_back(asio::co_spawn(
        executor, impl_->quorum_leg(i, *request, id, method, results[i]), asio::deferred));
  }
  auto [order, exceptions] = co_await asio::experimental::make_parallel_group(std::move(legs))
                                 .async_wait(asio::experimental::wait_for_all(), asio::use_awaitable);
  for (const auto& e : exceptions) {
    if (e) std::rethrow_exception(e);
  }

  std::vector<QuorumVote> votes;
  votes.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const Result<Json>& r = *results[i];
    votes.push_back(QuorumVote{impl_->endpoints[i].label,
                               r ? spec.projection(*r) : Result<std::string>(r.error())});
  }
  auto decision = decide_quorum(votes, spec.k);
  if (!decision) co_return std::move(decision).error().with_context(method);
  QuorumAnswer answer;
  answer.result = results[decision->winner]->value();
  for (std::size_t i : decision->agreeing) answer.agreeing.push_back(votes[i].endpoint);
  for (std::size_t i : decision->dissenting) {
    answer.dissenting.push_back(votes[i].endpoint + " said " + sanitize_peer_text(*votes[i].answer, 80));
  }
  for (const auto& vote : votes) {
    if (!vote.answer) answer.failed.push_back(vote.endpoint + " failed: " + vote.answer.error().message());
  }
  co_return answer;
}

awaitable<Result<std::unique_ptr<Subscription>>> Client::subscribe(Json params) {
  std::vector<bool> eligible;
  bool any = false;
  for (const auto& endpoint : impl_->endpoints) {
    eligible.push_back(endpoint.websocket);
    any = any || endpoint.websocket;
  }
  if (!any) co_return Error(reason::kBadConfig, "eth_subscribe needs a ws:// or wss:// endpoint");
  const std::uint64_t id = impl_->next_id++;
  auto request = encode_request(id, Call{"eth_subscribe", std::move(params)});
  if (!request) co_return std::move(request).error();
  Impl& impl = *impl_;
  co_return co_await impl.with_retries<std::unique_ptr<Subscription>>(
      [&impl, &request, id](std::size_t endpoint) {
        return impl.subscribe_once(endpoint, *request, id);
      },
      std::nullopt, std::move(eligible), "eth_subscribe");
}

std::size_t Client::endpoint_count() const noexcept { return impl_->endpoints.size(); }

std::size_t Client::insecure_endpoint_count() const noexcept {
  return static_cast<std::size_t>(std::count_if(impl_->endpoints.begin(), impl_->endpoints.end(),
                                                [](const Endpoint& e) { return e.insecure_tls; }));
}

std::vector<EndpointStatus> Client::status() const {
  const TimePoint t = impl_->now();
  std::lock_guard lock(impl_->mutex);
  std::vector<EndpointStatus> out;
  for (std::size_t i = 0; i < impl_->endpoints.size(); ++i) {
    out.push_back(EndpointStatus{impl_->endpoints[i].label, impl_->endpoints[i].insecure_tls,
                                 impl_->rotation.cooling(i, t), impl_->rotation.failures(i)});
  }
  return out;
}

Subscription::Subscription(std::unique_ptr<detail::MessageStream> stream, std::string id,
                           std::string endpoint, Millis idle_timeout, JsonLimits limits)
    : stream_(std::move(stream)), id_(std::move(id)), endpoint_(std::move(endpoint)),
      idle_timeout_(idle_timeout), limits_(limits) {}

Subscription::~Subscription() = default;

awaitable<Result<Json>> Subscription::next() {
  const std::string where = endpoint_ + ": subscription " + sanitize_peer_text(id_, 80);
  auto text = co_await stream_->receive(idle_timeout_);
  if (!text) co_return std::move(text).error().with_context(where);
  auto parsed = parse_bounded(*text, limits_);
  if (!parsed) co_return std::move(parsed).error().with_context(where);
  auto result = validate_notification(*parsed, id_);
  if (!result) co_return std::move(result).error().with_context(where);
  co_return result;
}

awaitable<void> Subscription::close() { co_await stream_->close(); }

// ---- SyncClient ----

struct SyncClient::Impl {
  asio::io_context io;
  std::unique_ptr<Client> client;

  // Runs one task to completion on the private context; exceptions are broken invariants.
  template <typename T>
  Result<T> run(awaitable<Result<T>> task) {
    std::optional<Result<T>> out;
    auto wrapper = [](awaitable<Result<T>> inner, std::optional<Result<T>>& slot) -> awaitable<void> {
      slot.emplace(co_await std::move(inner));
    };
    std::exception_ptr failure;
    asio::co_spawn(io, wrapper(std::move(task), out), [&failure](std::exception_ptr e) { failure = e; });
    io.restart();
    io.run();
    if (failure) std::rethrow_exception(failure);
    return std::move(*out);
  }
};

SyncClient::SyncClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SyncClient::~SyncClient() = default;

Result<std::unique_ptr<SyncClient>> SyncClient::create(std::vector<EndpointConfig> endpoints,
                                                       ClientOptions options) {
  auto impl = std::make_unique<Impl>();
  auto client = Client::create(impl->io.get_executor(), std::move(endpoints), std::move(options));
  if (!client) return std::move(client).error();
  impl->client = std::move(*client);
  return std::unique_ptr<SyncClient>(new SyncClient(std::move(impl)));
}

Result<Json> SyncClient::call(std::string method, Json params) {
  return impl_->run(impl_->client->call(std::move(method), std::move(params)));
}

Result<std::vector<Result<Json>>> SyncClient::batch(std::vector<Call> calls) {
  return impl_->run(impl_->client->batch(std::move(calls)));
}

Result<QuorumAnswer> SyncClient::quorum_call(std::string method, Json params, QuorumSpec spec) {
  return impl_->run(impl_->client->quorum_call(std::move(method), std::move(params), std::move(spec)));
}

const Client& SyncClient::client() const noexcept { return *impl_->client; }

}  // namespace causeway::net
