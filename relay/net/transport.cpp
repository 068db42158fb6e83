// The only Beast-heavy file of relay/net: connects (TCP, TLS with verification, WebSocket
// upgrade), runs one request/reply exchange under a deadline, and pools keep-alive connections.
#include "relay/net/transport.hpp"

#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

namespace causeway::net::detail {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using asio::awaitable;
using TlsStream = ssl::stream<beast::tcp_stream>;

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::string_view kUserAgent = "causeway-net/0.1";
constexpr std::uint32_t kHeaderLimit = 64 * 1024;
constexpr std::size_t kReadBufferLimit = 1024 * 1024;

// One mapping from transport error codes to reasons; classify() then decides retryability.
Error map_error(const boost::system::error_code& ec, std::string_view stage) {
  const std::string detail = std::string(stage) + ": " + ec.message();
  if (ec == beast::error::timeout) return Error(reason::kTimeout, std::string(stage) + ": timed out");
  if (ec == asio::error::operation_aborted) return Error(reason::kCancelled, detail);
  if (ec == http::error::body_limit || ec == http::error::header_limit ||
      ec == http::error::buffer_overflow || ec == websocket::error::message_too_big) {
    return Error(reason::kReplyTooLarge, detail);
  }
  if (ec == asio::error::eof || ec == asio::error::connection_reset ||
      ec == asio::error::connection_aborted || ec == asio::error::broken_pipe ||
      ec == asio::error::not_connected || ec == http::error::end_of_stream ||
      ec == http::error::partial_message || ec == websocket::error::closed ||
      ec == ssl::error::stream_truncated) {
    return Error(reason::kConnectionClosed, detail);
  }
  if (ec == asio::error::connection_refused || ec == asio::error::host_unreachable ||
      ec == asio::error::network_unreachable || ec == asio::error::timed_out) {
    return Error(reason::kConnectFailed, detail);
  }
  if (ec == websocket::error::upgrade_declined) return Error(reason::kWebSocketRejected, detail);
  if (ec.category() == http::make_error_code(http::error::bad_version).category()) {
    return Error(reason::kBadHttp, detail);
  }
  if (ec.category() == websocket::make_error_code(websocket::error::closed).category()) {
    return Error(reason::kBadReply, detail);
  }
  if (ec.category() == asio::error::get_ssl_category()) {
    return Error(reason::kTlsHandshakeFailed, detail);
  }
  return Error(reason::kIo, detail);
}

std::string basic_authorization(const Url& url) {
  if (!url.has_credentials()) return {};
  const std::string plain = url.username + ":" + url.password;
  std::string encoded(4 * ((plain.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                                reinterpret_cast<const unsigned char*>(plain.data()),
                                static_cast<int>(plain.size()));
  encoded.resize(static_cast<std::size_t>(n));
  return "Basic " + encoded;
}

// What the connections of one endpoint share; outlives them (the transport owns it).
struct EndpointSettings {
  Url url;
  TlsOptions tls;
  TransportLimits limits;
  std::string label;
  std::string authorization;
};

class Connection {
 public:
  virtual ~Connection() = default;
  virtual awaitable<Result<HttpReply>> exchange(const std::string& body) = 0;
  virtual bool reusable() const = 0;
};

}  // namespace

struct EndpointTransport::Impl : EndpointSettings {
  asio::any_io_executor executor;
  std::optional<ssl::context> tls_context;
  std::mutex mutex;  // guards idle; never held across an await
  std::vector<std::unique_ptr<Connection>> idle;

  awaitable<Result<void>> connect_tcp(beast::tcp_stream& tcp) const;
  awaitable<Result<void>> handshake_tls(TlsStream& stream) const;
  // Connects, secures and (for ws) upgrades a stream; the deadline covers all of it.
  template <typename Stream>
  awaitable<Result<void>> establish(Stream& stream) const;
  awaitable<Result<std::unique_ptr<Connection>>> open_connection();
  template <typename Next>
  awaitable<Result<std::unique_ptr<MessageStream>>> open_websocket(std::unique_ptr<Connection>* as_connection);

  template <typename Next>
  Next make_next_layer() {
    if constexpr (std::is_same_v<Next, TlsStream>) {
      return TlsStream(asio::make_strand(executor), *tls_context);
    } else {
      // A strand per connection, as in Beast's servers; the owning coroutine is its only user.
      return beast::tcp_stream(asio::make_strand(executor));
    }
  }
};

namespace {

template <typename Stream>
class HttpConnection final : public Connection {
 public:
  HttpConnection(Stream stream, const EndpointSettings& endpoint)
      : stream_(std::move(stream)), endpoint_(endpoint), buffer_(kReadBufferLimit) {}
  Stream& stream() { return stream_; }

  awaitable<Result<HttpReply>> exchange(const std::string& body) override {
    reusable_ = false;
    http::request<http::string_body> request{http::verb::post, endpoint_.url.target, 11};
    request.set(http::field::host, endpoint_.url.host_header());
    request.set(http::field::user_agent, kUserAgent);
    request.set(http::field::content_type, "application/json");
    request.set(http::field::accept, "application/json");
    if (!endpoint_.authorization.empty()) {
      request.set(http::field::authorization, endpoint_.authorization);
    }
    request.keep_alive(true);
    request.body() = body;
    request.prepare_payload();

    auto& tcp = beast::get_lowest_layer(stream_);
    tcp.expires_after(endpoint_.limits.request_timeout);  // one deadline for write and read
    auto [write_ec, written] = co_await http::async_write(stream_, request, kTuple);
    if (write_ec) co_return map_error(write_ec, "write");

    // The body limit is enforced while reading (a declared Content-Length over the limit fails
    // before any body byte is buffered), so a huge reply never reaches memory.
    http::response_parser<http::string_body> parser;
    parser.header_limit(kHeaderLimit);
    parser.body_limit(endpoint_.limits.max_reply_bytes);
    auto [read_ec, read] = co_await http::async_read(stream_, buffer_, parser, kTuple);
    if (read_ec) co_return map_error(read_ec, "read");
    tcp.expires_never();
    auto& response = parser.get();
    // Leftover bytes after a complete reply mean the peer is out of step with us: do not reuse.
    reusable_ = response.keep_alive() && buffer_.size() == 0;
    co_return HttpReply{response.result_int(), std::move(response.body())};
  }
  bool reusable() const override { return reusable_; }

 private:
  Stream stream_;
  const EndpointSettings& endpoint_;
  beast::flat_buffer buffer_;
  bool reusable_ = false;
};

template <typename Next>
class WsConnection final : public Connection, public MessageStream {
 public:
  WsConnection(Next next, const EndpointSettings& endpoint)
      : ws_(std::move(next)), endpoint_(endpoint) {
    // Deadlines come from the tcp_stream set per operation; Beast's own idle timer stays off so
    // the two never race. permessage-deflate stays off (decompression bombs, THREATS 24).
    ws_.set_option(websocket::stream_base::timeout{websocket::stream_base::none(),
                                                   websocket::stream_base::none(), false});
    ws_.read_message_max(endpoint.limits.max_reply_bytes);
    const std::string authorization = endpoint.authorization;
    ws_.set_option(websocket::stream_base::decorator([authorization](websocket::request_type& req) {
      req.set(http::field::user_agent, kUserAgent);
      if (!authorization.empty()) req.set(http::field::authorization, authorization);
    }));
  }
  websocket::stream<Next>& ws() { return ws_; }

  awaitable<Result<HttpReply>> exchange(const std::string& body) override {
    auto& tcp = beast::get_lowest_layer(ws_);
    tcp.expires_after(endpoint_.limits.request_timeout);
    auto sent = co_await write(body);
    if (!sent) co_return std::move(sent).error();
    auto text = co_await read();
    if (!text) co_return std::move(text).error();
    tcp.expires_never();
    co_return HttpReply{200, std::move(*text)};
  }
  bool reusable() const override { return open_; }

  awaitable<Result<void>> send(std::string text) override {
    auto& tcp = beast::get_lowest_layer(ws_);
    tcp.expires_after(endpoint_.limits.request_timeout);
    auto sent = co_await write(text);
    tcp.expires_never();
    co_return sent;
  }
  awaitable<Result<std::string>> receive(std::chrono::milliseconds timeout) override {
    auto& tcp = beast::get_lowest_layer(ws_);
    tcp.expires_after(timeout);
    auto text = co_await read();
    if (text) tcp.expires_never();
    co_return text;
  }
  awaitable<void> close() override {
    if (!open_) co_return;
    open_ = false;
    beast::get_lowest_layer(ws_).expires_after(endpoint_.limits.request_timeout);
    auto [ec] = co_await ws_.async_close(websocket::close_code::normal, kTuple);
    (void)ec;  // the peer may be gone already; the socket closes with us either way
  }

 private:
  awaitable<Result<void>> write(const std::string& text) {
    ws_.text(true);
    auto [ec, n] = co_await ws_.async_write(asio::buffer(text), kTuple);
    if (ec) {
      open_ = false;
      co_return map_error(ec, "write");
    }
    co_return core::ok();
  }
  awaitable<Result<std::string>> read() {
    buffer_.clear();
    auto [ec, n] = co_await ws_.async_read(buffer_, kTuple);
    if (ec) {
      open_ = false;
      co_return map_error(ec, "read");
    }
    if (!ws_.got_text()) {
      open_ = false;
      co_return Error(reason::kBadReply, "binary WebSocket message");
    }
    co_return beast::buffers_to_string(buffer_.data());
  }

  websocket::stream<Next> ws_;
  const EndpointSettings& endpoint_;
  beast::flat_buffer buffer_;
  bool open_ = true;
};

}  // namespace

awaitable<Result<void>> EndpointTransport::Impl::connect_tcp(beast::tcp_stream& tcp) const {
  // Name resolution has no deadline of its own (getaddrinfo cannot be interrupted); endpoints are
  // normally IP literals or names in /etc/hosts, and the system resolver has its own timeout.
  asio::ip::tcp::resolver resolver(tcp.get_executor());
  auto [resolve_ec, results] = co_await resolver.async_resolve(
      url.host, std::to_string(url.port), asio::ip::resolver_base::numeric_service, kTuple);
  if (resolve_ec) {
    co_return Error(reason::kResolveFailed, "resolve " + url.host + ": " + resolve_ec.message());
  }
  tcp.expires_after(limits.connect_timeout);
  auto [connect_ec, endpoint] = co_await tcp.async_connect(results, kTuple);
  if (connect_ec) co_return map_error(connect_ec, "connect");
  boost::system::error_code ignored;
  tcp.socket().set_option(asio::ip::tcp::no_delay(true), ignored);
  co_return core::ok();
}

awaitable<Result<void>> EndpointTransport::Impl::handshake_tls(TlsStream& stream) const {
  // SNI carries names only; IP literals are checked against the certificate's IP entries.
  if (!url.host_is_ip() && SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str()) != 1) {
    co_return Error(reason::kTlsHandshakeFailed, "cannot set SNI host name");
  }
  if (tls.insecure_skip_tls_verify) {
    stream.set_verify_mode(ssl::verify_none);
  } else {
    stream.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
    stream.set_verify_callback(ssl::host_name_verification(url.host));
  }
  auto [ec] = co_await stream.async_handshake(ssl::stream_base::client, kTuple);
  if (!ec) co_return core::ok();
  if (ec.category() == asio::error::get_ssl_category() &&
      ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == SSL_R_CERTIFICATE_VERIFY_FAILED) {
    const long result = SSL_get_verify_result(stream.native_handle());
    // host_name_verification rejects a mismatching name without recording an X509 error.
    const std::string why = (result == X509_V_OK || result == X509_V_ERR_UNSPECIFIED)
                                ? "certificate does not match host name " + url.host
                                : X509_verify_cert_error_string(result);
    co_return Error(reason::kTlsVerifyFailed, "tls handshake: " + why);
  }
  co_return map_error(ec, "tls handshake");
}

template <typename Stream>
awaitable<Result<void>> EndpointTransport::Impl::establish(Stream& stream) const {
  auto connected = co_await connect_tcp(beast::get_lowest_layer(stream));
  if (!connected) co_return connected;
  if constexpr (std::is_same_v<Stream, TlsStream>) {
    auto secured = co_await handshake_tls(stream);
    if (!secured) co_return secured;
  } else if constexpr (std::is_same_v<Stream, websocket::stream<TlsStream>>) {
    auto secured = co_await handshake_tls(stream.next_layer());
    if (!secured) co_return secured;
  }
  if constexpr (!std::is_same_v<Stream, TlsStream> && !std::is_same_v<Stream, beast::tcp_stream>) {
    auto [ec] = co_await stream.async_handshake(url.host_header(), url.target, kTuple);
    if (ec) co_return map_error(ec, "websocket upgrade");
  }
  beast::get_lowest_layer(stream).expires_never();  // each exchange sets its own deadline
  co_return core::ok();
}

template <typename Next>
awaitable<Result<std::unique_ptr<MessageStream>>> EndpointTransport::Impl::open_websocket(
    std::unique_ptr<Connection>* as_connection) {
  auto connection = std::make_unique<WsConnection<Next>>(make_next_layer<Next>(), *this);
  auto ready = co_await establish(connection->ws());
  if (!ready) co_return std::move(ready).error();
  if (as_connection != nullptr) {
    *as_connection = std::move(connection);
    co_return std::unique_ptr<MessageStream>{};
  }
  co_return std::unique_ptr<MessageStream>(std::move(connection));
}

awaitable<Result<std::unique_ptr<Connection>>> EndpointTransport::Impl::open_connection() {
  std::unique_ptr<Connection> out;
  if (url.websocket()) {
    // Not a conditional expression: GCC 12 destroys the result of `c ? co_await a : co_await b`
    // twice (a double free when it holds an error string).
    if (url.tls()) {
      auto opened = co_await open_websocket<TlsStream>(&out);
      if (!opened) co_return std::move(opened).error();
    } else {
      auto opened = co_await open_websocket<beast::tcp_stream>(&out);
      if (!opened) co_return std::move(opened).error();
    }
    co_return out;
  }
  if (url.tls()) {
    auto connection = std::make_unique<HttpConnection<TlsStream>>(make_next_layer<TlsStream>(), *this);
    auto ready = co_await establish(connection->stream());
    if (!ready) co_return std::move(ready).error();
    out = std::move(connection);
  } else {
    auto connection =
        std::make_unique<HttpConnection<beast::tcp_stream>>(make_next_layer<beast::tcp_stream>(), *this);
    auto ready = co_await establish(connection->stream());
    if (!ready) co_return std::move(ready).error();
    out = std::move(connection);
  }
  co_return out;
}

EndpointTransport::EndpointTransport(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
EndpointTransport::~EndpointTransport() = default;

const std::string& EndpointTransport::label() const noexcept { return impl_->label; }

Result<std::unique_ptr<EndpointTransport>> EndpointTransport::create(
    asio::any_io_executor executor, Url url, TlsOptions tls, TransportLimits limits) {
  auto impl = std::make_unique<Impl>();
  impl->executor = std::move(executor);
  impl->label = url.label();
  impl->authorization = basic_authorization(url);
  impl->url = std::move(url);
  impl->tls = std::move(tls);
  impl->limits = limits;
  if (impl->url.tls()) {
    boost::system::error_code ec;
    impl->tls_context.emplace(ssl::context::tls_client);
    auto& context = *impl->tls_context;
    SSL_CTX_set_min_proto_version(context.native_handle(), TLS1_2_VERSION);
    if (!impl->tls.insecure_skip_tls_verify) {
      // A configured CA replaces the system store: a consortium chain trusts its own CA only.
      if (!impl->tls.ca_file.empty()) {
        context.load_verify_file(impl->tls.ca_file, ec);
        if (ec) {
          return Error(reason::kBadConfig, impl->label + ": cannot load CA file " +
                                               impl->tls.ca_file + ": " + ec.message());
        }
      } else {
        context.set_default_verify_paths(ec);
        if (ec) {
          return Error(reason::kBadConfig, impl->label + ": no system CA store: " + ec.message());
        }
      }
    }
  }
  return std::unique_ptr<EndpointTransport>(new EndpointTransport(std::move(impl)));
}

awaitable<Result<HttpReply>> EndpointTransport::exchange(std::string body) {
  // Two passes at most: a pooled keep-alive connection may have been closed by the server while
  // idle, which shows up as a closed connection on first use and says nothing about the endpoint.
  for (int pass = 0; pass < 2; ++pass) {
    std::unique_ptr<Connection> connection;
    {
      std::lock_guard lock(impl_->mutex);
      if (!impl_->idle.empty()) {
        connection = std::move(impl_->idle.back());
        impl_->idle.pop_back();
      }
    }
    const bool reused = connection != nullptr;
    if (!reused) {
      auto opened = co_await impl_->open_connection();
      if (!opened) co_return std::move(opened).error();
      connection = std::move(*opened);
    }
    auto reply = co_await connection->exchange(body);
    if (reply) {
      if (connection->reusable()) {
        std::lock_guard lock(impl_->mutex);
        if (impl_->idle.size() < impl_->limits.max_idle_connections) {
          impl_->idle.push_back(std::move(connection));
        }
      }
      co_return reply;
    }
    if (!(reused && reply.error().reason() == reason::kConnectionClosed)) co_return reply;
  }
  co_return Error(reason::kConnectionClosed, "pooled connection closed and reconnect failed");
}

void EndpointTransport::discard_idle() {
  std::vector<std::unique_ptr<Connection>> dropped;
  {
    std::lock_guard lock(impl_->mutex);
    dropped.swap(impl_->idle);
  }
}

awaitable<Result<std::unique_ptr<MessageStream>>> EndpointTransport::open_stream() {
  if (!impl_->url.websocket()) {
    co_return Error(reason::kBadConfig, impl_->label + " is not a WebSocket endpoint");
  }
  if (impl_->url.tls()) co_return co_await impl_->open_websocket<TlsStream>(nullptr);
  co_return co_await impl_->open_websocket<beast::tcp_stream>(nullptr);
}

}  // namespace causeway::net::detail
