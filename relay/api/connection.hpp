// The byte stream under one HTTP connection, plain TCP or TLS over TCP: what the server reads
// requests from and what an UpgradeHandler takes over. Apart from http_server.hpp so that only the
// files doing I/O on a connection pay for Beast's and OpenSSL's headers.
#pragma once

#include <variant>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

namespace causeway::api {

using PlainStream = boost::beast::tcp_stream;
using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

// Refers to a stream the server owns; valid until the handler it was given to returns.
class Connection {
 public:
  explicit Connection(PlainStream& stream) noexcept : stream_(&stream) {}
  explicit Connection(TlsStream& stream) noexcept : stream_(&stream) {}

  // The TLS layer, or nullptr on a plain connection.
  TlsStream* tls() const noexcept {
    auto* const* stream = std::get_if<TlsStream*>(&stream_);
    return stream == nullptr ? nullptr : *stream;
  }
  // The TCP layer under either: its deadlines, its socket.
  PlainStream& tcp() const noexcept {
    if (auto* stream = tls()) return stream->next_layer();
    return *std::get<PlainStream*>(stream_);
  }
  // Calls `f` with the stream as its own type (PlainStream& or TlsStream&), for an operation that
  // works on either; both calls must return the same type.
  template <typename F>
  decltype(auto) visit(F&& f) const {
    return std::visit([&f](auto* stream) -> decltype(auto) { return f(*stream); }, stream_);
  }
  // Ends the connection at once, without a TLS close_notify: every pending operation on any layer
  // fails. For cutting off a client, not for a polite goodbye.
  void cut() const {
    boost::system::error_code ignored;
    tcp().socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
    tcp().close();
  }

 private:
  std::variant<PlainStream*, TlsStream*> stream_;
};

}  // namespace causeway::api
