// See api_client.hpp. The exchange runs as a coroutine on a private io_context, so a command
// blocks on it like any other call; the deadline covers resolving, connecting, writing and reading.
#include "relay/app/api_client.hpp"

#include <memory>
#include <optional>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "adapters/evm/keystore.hpp"
#include "relay/net/url.hpp"

namespace causeway::app {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::awaitable;
using asio::ip::tcp;
namespace rac = reason::api_client;

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
// The largest answer a command reads: a page of 500 messages is well below it.
constexpr std::uint64_t kMaxAnswerBytes = 32u << 20;

struct Exchange {
  net::Url url;
  std::string label;  // the URL as errors show it
  std::string method;
  std::string target;
  std::string body;
  std::string token;
  std::chrono::milliseconds timeout;
};

core::Error unreachable(const Exchange& e, std::string_view what, const boost::system::error_code& ec) {
  const std::string why = ec == beast::error::timeout ? "no answer within " + std::to_string(e.timeout.count()) + " ms"
                                                      : ec.message();
  return core::Error(rac::kUnreachable, e.label + ": " + std::string(what) + ": " + why);
}

awaitable<core::Result<ApiResponse>> exchange(Exchange e) {
  auto executor = co_await asio::this_coro::executor;
  beast::tcp_stream stream(executor);
  stream.expires_after(e.timeout);
  tcp::resolver resolver(executor);
  auto [resolve_ec, endpoints] = co_await resolver.async_resolve(e.url.host, std::to_string(e.url.port), kTuple);
  if (resolve_ec) co_return unreachable(e, "resolving " + e.url.host, resolve_ec);
  auto [connect_ec, endpoint] = co_await stream.async_connect(endpoints, kTuple);
  if (connect_ec) co_return unreachable(e, "connecting", connect_ec);

  http::request<http::string_body> request{http::string_to_verb(e.method), e.target, 11};
  request.set(http::field::host, e.url.host_header());
  request.set(http::field::user_agent, "causeway-cli");
  request.set(http::field::accept, "application/json");
  if (!e.token.empty()) request.set(http::field::authorization, "Bearer " + e.token);
  if (!e.body.empty()) request.set(http::field::content_type, "application/json");
  request.body() = std::move(e.body);
  request.keep_alive(false);
  request.prepare_payload();
  auto [write_ec, written] = co_await http::async_write(stream, request, kTuple);
  if (write_ec) co_return unreachable(e, "sending the request", write_ec);

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxAnswerBytes);
  auto [read_ec, read] = co_await http::async_read(stream, buffer, parser, kTuple);
  if (read_ec) co_return unreachable(e, "reading the answer", read_ec);
  ApiResponse response;
  response.status = parser.get().result_int();
  response.content_type = std::string(parser.get()[http::field::content_type]);
  response.body = std::move(parser.get().body());
  co_return response;
}

// co_spawn needs a default-constructible result; a Result has none, so it is handed out here.
awaitable<void> exchange_into(Exchange e, std::shared_ptr<std::optional<core::Result<ApiResponse>>> out) {
  auto result = co_await exchange(std::move(e));
  out->emplace(std::move(result));
}

}  // namespace

core::Result<ApiResponse> api_request(const ApiClientOptions& options, std::string_view method,
                                      std::string_view target, std::string_view body) {
  auto url = net::parse_url(options.api);
  if (!url) return core::Error(rac::kBadUrl, "--api: " + url.error().detail());
  if (url->scheme != net::Scheme::kHttp || url->has_credentials()) {
    return core::Error(rac::kBadUrl, "--api: expected http://host[:port] (the relay's relay.listen)");
  }
  Exchange e{*url, url->label(), std::string(method), "", std::string(body), options.token, options.timeout};
  // The API's URL may carry a path prefix (a reverse proxy); the target goes under it.
  std::string prefix = url->target.substr(0, url->target.find('?'));
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  e.target = prefix + std::string(target);
  if (http::string_to_verb(e.method) == http::verb::unknown) {
    return core::Error(rac::kBadUrl, "unknown HTTP method " + e.method);
  }

  asio::io_context io;
  auto result = std::make_shared<std::optional<core::Result<ApiResponse>>>();
  asio::co_spawn(io, exchange_into(std::move(e), result), [](std::exception_ptr failure) {
    if (failure) std::rethrow_exception(failure);
  });
  io.run();
  return std::move(**result);
}

std::string encode_path_segment(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                            c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += c;
    } else {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0x0f];
    }
  }
  return out;
}

// Tokens are read like keystore passwords (first line of a file, or an environment variable):
// one reader for every secret that comes as a line of text.
core::Result<std::string> read_token_file(const std::string& path) {
  auto secret = evm::password_from_file(path);
  if (!secret) return std::move(secret).error();
  return std::string(reinterpret_cast<const char*>(secret->data()), secret->size());
}

core::Result<std::string> load_admin_token(const engine::ApiSettings& api) {
  if (!api.admin_token_file.empty()) {
    auto token = read_token_file(api.admin_token_file);
    if (!token) return std::move(token).error().with_context("relay.api.admin_token_file");
    return token;
  }
  if (!api.admin_token_env.empty()) {
    auto secret = evm::password_from_env(api.admin_token_env);
    if (!secret) return std::move(secret).error().with_context("relay.api.admin_token_env");
    return std::string(reinterpret_cast<const char*>(secret->data()), secret->size());
  }
  return std::string();
}

}  // namespace causeway::app
