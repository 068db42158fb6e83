// A test HTTP client for the relay/api tests: one real Beast client connection per Client, and a
// runner that drives a test body on an io_context and stops it when the body ends.
#pragma once

#include <catch2/catch.hpp>

#include <array>
#include <chrono>
#include <exception>
#include <string>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace causeway::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::awaitable;
using asio::ip::tcp;
using Millis = std::chrono::milliseconds;

inline constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
// A safety net so a broken server fails the test instead of hanging it; never reached when the
// server behaves.
inline constexpr Millis kClientDeadline{5000};

using Reply = http::response<http::string_body>;

// One client connection with its own read buffer.
// GCC 12 evaluates a co_await written inside a Catch assertion macro twice (the macro repeats its
// expression in a short-circuited condition), so every exchange is awaited into a local first.
class Client {
 public:
  explicit Client(asio::any_io_executor executor) : stream_(std::move(executor)) {}

  awaitable<void> connect(std::uint16_t port, std::string host = "127.0.0.1") {
    stream_.expires_after(kClientDeadline);
    const tcp::endpoint endpoint(asio::ip::make_address(host), port);
    auto [ec] = co_await stream_.async_connect(endpoint, kTuple);
    REQUIRE_FALSE(ec);
  }

  awaitable<Reply> send(http::request<http::string_body> request) {
    request.set(http::field::host, "test");
    request.prepare_payload();
    stream_.expires_after(kClientDeadline);
    auto [write_ec, written] = co_await http::async_write(stream_, request, kTuple);
    REQUIRE_FALSE(write_ec);
    co_return co_await read();
  }

  awaitable<Reply> get(std::string target) {
    http::request<http::string_body> request{http::verb::get, target, 11};
    co_return co_await send(std::move(request));
  }

  awaitable<void> send_raw(std::string bytes) {
    stream_.expires_after(kClientDeadline);
    auto [ec, written] = co_await asio::async_write(stream_.socket(), asio::buffer(bytes), kTuple);
    REQUIRE_FALSE(ec);
  }

  awaitable<Reply> read() {
    Reply reply;
    stream_.expires_after(kClientDeadline);
    auto [ec, read] = co_await http::async_read(stream_, buffer_, reply, kTuple);
    REQUIRE_FALSE(ec);
    co_return reply;
  }

  // True when the server closed the connection (end of stream or reset) without sending more.
  awaitable<bool> closed_by_server() {
    if (buffer_.size() != 0) co_return false;
    std::array<char, 256> sink{};
    stream_.expires_after(kClientDeadline);
    auto [ec, n] = co_await stream_.async_read_some(asio::buffer(sink), kTuple);
    co_return n == 0 && (ec == asio::error::eof || ec == asio::error::connection_reset);
  }

 private:
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
};

// Runs the test body on io; the body's end (or failure) stops the io_context, so a server left
// running cannot hang the test. Rethrows what the body threw.
inline void run(asio::io_context& io, awaitable<void> body) {
  std::exception_ptr failure;
  bool finished = false;
  asio::co_spawn(io, std::move(body), [&](std::exception_ptr e) {
    failure = e;
    finished = true;
    io.stop();
  });
  io.run();
  if (failure) std::rethrow_exception(failure);
  REQUIRE(finished);
}

}  // namespace causeway::test
