// See transition_stream.hpp. Each client has a bounded channel that publish() fills from the
// engine's thread and one coroutine drains into WebSocket frames; a second coroutine reads (the
// client's pings and close) so that either side ending ends both.
#include "relay/api/transition_stream.hpp"

#include <mutex>
#include <set>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>

#include "relay/api/connection.hpp"
#include "relay/core/bytes.hpp"
#include "relay/store/store.hpp"

namespace causeway::api {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using asio::awaitable;
using namespace asio::experimental::awaitable_operators;

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
// Clients have nothing to say but control frames; a bigger message is not a stream client.
constexpr std::size_t kMaxClientMessage = 1024;
constexpr std::chrono::seconds kHandshakeTimeout{10};

using Queue = asio::experimental::concurrent_channel<void(boost::system::error_code, std::string)>;

std::uint64_t system_seconds() {
  const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(since_epoch).count());
}

// One connected client. `connection` and `connected` are touched only on `executor` (the
// connection's strand); `queue` is thread-safe.
struct Client {
  Client(asio::any_io_executor strand, std::size_t capacity, Connection served)
      : executor(strand), queue(strand, capacity), connection(served) {}

  // Ends both of the client's coroutines: their pending operations fail at once.
  void cut() {
    if (connected) connection.cut();
  }

  asio::any_io_executor executor;
  Queue queue;
  Connection connection;
  bool connected = true;
};

template <typename WebSocket>
awaitable<void> read_until_closed(WebSocket& ws, Client& client) {
  beast::flat_buffer buffer;
  for (;;) {
    auto [ec, n] = co_await ws.async_read(buffer, kTuple);
    if (ec) break;  // closed by the client, timed out, or cut
    buffer.consume(buffer.size());
  }
  client.cut();
}

template <typename WebSocket>
awaitable<void> send_frames(WebSocket& ws, Client& client) {
  ws.text(true);
  for (;;) {
    auto [ec, frame] = co_await client.queue.async_receive(kTuple);
    if (ec) break;
    auto [write_ec, written] = co_await ws.async_write(asio::buffer(frame), kTuple);
    if (write_ec) break;
  }
  client.cut();
}

// The WebSocket handshake's answer, then frames until either side ends, on a plain or a TLS
// stream. False when the handshake failed.
template <typename Next>
awaitable<bool> accept_and_stream(Next& next, http::request<http::empty_body> handshake, Client& client,
                                  std::chrono::milliseconds idle_timeout) {
  websocket::stream<Next&> ws(next);
  ws.set_option(websocket::stream_base::timeout{kHandshakeTimeout, idle_timeout, true});
  ws.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& response) { response.set(http::field::server, "causeway"); }));
  ws.read_message_max(kMaxClientMessage);
  auto [accept_ec] = co_await ws.async_accept(handshake, kTuple);
  if (accept_ec) co_return false;
  co_await (read_until_closed(ws, client) || send_frames(ws, client));
  co_return true;
}

}  // namespace

struct TransitionStream::Impl {
  explicit Impl(StreamOptions stream_options) : options(std::move(stream_options)) {}

  std::uint64_t now() const { return options.clock ? options.clock() : system_seconds(); }

  StreamOptions options;
  mutable std::mutex mutex;
  std::set<std::shared_ptr<Client>> clients;  // under mutex
  std::size_t slots = 0;                      // under mutex: clients plus handshakes in progress
};

nlohmann::json transition_frame(const engine::TransitionEvent& event, std::uint64_t time) {
  return {{"id", core::to_hex(event.id)},       {"state", std::string(store::to_string(event.to))},
          {"lane", event.lane},                 {"claim", core::to_hex(event.claim)},
          {"reason", event.reason},             {"time", time}};
}

awaitable<unsigned> refuse_upgrade(Connection& connection, Response response) {
  http::response<http::string_body> message{static_cast<http::status>(response.status), 11};
  message.set(http::field::server, "causeway");
  message.set(http::field::content_type, response.content_type);
  message.keep_alive(false);
  message.body() = std::move(response.body);
  message.prepare_payload();
  // A few hundred bytes fit the socket's send buffer: the write does not wait on the client. A
  // client already gone needs no answer, so its failure is ignored.
  co_await connection.visit([&message](auto& stream) { return http::async_write(stream, message, kTuple); });
  boost::system::error_code ignored;
  connection.tcp().socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  co_return response.status;
}

TransitionStream::TransitionStream(StreamOptions options) : impl_(std::make_shared<Impl>(std::move(options))) {}

TransitionStream::~TransitionStream() = default;

void TransitionStream::publish(const engine::TransitionEvent& event) {
  // Reasons come from operators and reason codes; never let a stray byte throw here.
  const std::string frame =
      transition_frame(event, impl_->now()).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  // try_send posts a waiting receiver's resumption, never runs it here, so the lock is safe.
  std::lock_guard lock(impl_->mutex);
  for (const auto& client : impl_->clients) {
    if (client->queue.try_send(boost::system::error_code{}, frame)) continue;
    // Full: the client reads slower than transitions happen. Skipping frames would leave it with
    // a wrong picture, so it is cut off; it may reconnect and re-read state from /v1.
    asio::post(client->executor, [client] { client->cut(); });
  }
}

awaitable<unsigned> TransitionStream::serve(Request request, Connection& connection) {
  const std::shared_ptr<Impl> self = impl_;
  http::request<http::empty_body> handshake{http::verb::get, request.target, 11};
  for (const auto& [name, value] : request.headers) handshake.set(name, value);
  // Checked here rather than left to Beast, whose refusal would not be the API's JSON error.
  if (!websocket::is_upgrade(handshake) || handshake[http::field::sec_websocket_key].empty() ||
      handshake[http::field::sec_websocket_version] != "13") {
    Response bad;
    bad.status = 400;
    bad.body = R"({"error":{"code":"bad_request","message":"not a WebSocket (RFC 6455, version 13) handshake"}})";
    const unsigned refused = co_await refuse_upgrade(connection, std::move(bad));
    co_return refused;
  }
  bool admitted = false;
  {
    std::lock_guard lock(self->mutex);
    admitted = self->slots < self->options.max_clients;
    if (admitted) ++self->slots;
  }
  if (!admitted) {
    Response busy;
    busy.status = 503;
    busy.body = R"({"error":{"code":"too_many_clients","message":"the stream has as many clients as it serves"}})";
    const unsigned refused = co_await refuse_upgrade(connection, std::move(busy));
    co_return refused;
  }

  const auto strand = co_await asio::this_coro::executor;
  auto client = std::make_shared<Client>(strand, self->options.queue_frames, connection);
  // Registered before the handshake is answered: every transition committed after the client
  // sees its 101 reaches it (frames wait in its queue until the handshake is done).
  {
    std::lock_guard lock(self->mutex);
    self->clients.insert(client);
  }
  bool accepted = false;
  // Not one conditional expression: GCC 12 mishandles `c ? co_await a : co_await b`.
  if (auto* tls = connection.tls()) {
    accepted = co_await accept_and_stream(*tls, std::move(handshake), *client, self->options.idle_timeout);
  } else {
    accepted = co_await accept_and_stream(connection.tcp(), std::move(handshake), *client, self->options.idle_timeout);
  }
  {
    std::lock_guard lock(self->mutex);
    self->clients.erase(client);
    --self->slots;
  }
  // A cut posted by publish() may still run; the connection is the server's again after this.
  client->connected = false;
  client->queue.close();
  // A handshake that failed now failed on the network: nobody is left to answer.
  co_return accepted ? 101u : 400u;
}

std::size_t TransitionStream::clients() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->clients.size();
}

}  // namespace causeway::api
