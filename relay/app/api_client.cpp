// See api_client.hpp. The exchange runs as a coroutine on a private io_context, so a command
// blocks on it like any other call; the deadline covers resolving, connecting, writing and reading.
#include "relay/app/api_client.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <thread>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "adapters/evm/keystore.hpp"
#include "relay/net/url.hpp"

namespace causeway::app {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
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

// A failure after the handshake: TLS 1.3 clients finish theirs before the relay has judged their
// certificate, so a refused (or missing) client certificate shows as a TLS alert on the first read.
core::Error exchange_failed(const Exchange& e, std::string_view what, const boost::system::error_code& ec) {
  if (ec.category() != asio::error::get_ssl_category()) return unreachable(e, what, ec);
  return core::Error(rac::kTlsFailed, e.label + ": " + std::string(what) + ": the relay ended the TLS session: " +
                                          ec.message() + " (does it want a client certificate, --cert and --key?)");
}

awaitable<core::Result<void>> connect(beast::tcp_stream& stream, Exchange e) {
  stream.expires_after(e.timeout);
  tcp::resolver resolver(stream.get_executor());
  auto [resolve_ec, endpoints] = co_await resolver.async_resolve(e.url.host, std::to_string(e.url.port), kTuple);
  if (resolve_ec) co_return unreachable(e, "resolving " + e.url.host, resolve_ec);
  auto [connect_ec, endpoint] = co_await stream.async_connect(endpoints, kTuple);
  if (connect_ec) co_return unreachable(e, "connecting", connect_ec);
  co_return core::ok();
}

// The relay's certificate is checked for its chain and for the URL's host (its IP entries when
// the host is an address); SNI carries names only.
awaitable<core::Result<void>> secure(beast::ssl_stream<beast::tcp_stream>& stream, Exchange e) {
  if (!e.url.host_is_ip() && SSL_set_tlsext_host_name(stream.native_handle(), e.url.host.c_str()) != 1) {
    co_return core::Error(rac::kTlsConfig, e.label + ": cannot set the TLS server name");
  }
  stream.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  stream.set_verify_callback(ssl::host_name_verification(e.url.host));
  ERR_clear_error();
  auto [ec] = co_await stream.async_handshake(ssl::stream_base::client, kTuple);
  if (!ec) co_return core::ok();
  if (ec == beast::error::timeout) co_return unreachable(e, "TLS handshake", ec);
  // The verify result, not the error code: OpenSSL may report an earlier error of the same failed
  // check (a signature that does not verify under a CA of the same name) in its place.
  const long result = SSL_get_verify_result(stream.native_handle());
  const bool bad_chain = result != X509_V_OK && result != X509_V_ERR_UNSPECIFIED;
  // host_name_verification refuses a mismatching name without recording an X509 error.
  const bool bad_name = !bad_chain && ec.category() == asio::error::get_ssl_category() &&
                        ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == SSL_R_CERTIFICATE_VERIFY_FAILED;
  if (bad_chain || bad_name) {
    const std::string why = bad_name ? "its certificate does not name " + e.url.host
                                     : std::string(X509_verify_cert_error_string(result)) +
                                           " (does --ca name the CA that signed the relay's certificate?)";
    co_return core::Error(rac::kTlsFailed, e.label + ": the relay's certificate is not trusted: " + why);
  }
  // Anything else in the handshake: the relay refused this client's certificate (or the lack of
  // one), or it does not speak TLS on this port.
  co_return core::Error(rac::kTlsFailed, e.label + ": TLS handshake failed: " + ec.message() +
                                             " (does the relay ask for a client certificate, --cert and --key? is it "
                                             "serving https?)");
}

template <typename Stream>
awaitable<core::Result<ApiResponse>> converse(Stream& stream, Exchange e) {
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
  if (write_ec) co_return exchange_failed(e, "sending the request", write_ec);

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxAnswerBytes);
  auto [read_ec, read] = co_await http::async_read(stream, buffer, parser, kTuple);
  if (read_ec) co_return exchange_failed(e, "reading the answer", read_ec);
  ApiResponse response;
  response.status = parser.get().result_int();
  response.content_type = std::string(parser.get()[http::field::content_type]);
  response.retry_after = std::string(parser.get()[http::field::retry_after]);
  response.body = std::move(parser.get().body());
  co_return response;
}

// `tls` is set for https. The deadline set at connect covers every later step.
awaitable<core::Result<ApiResponse>> exchange(Exchange e, std::shared_ptr<ssl::context> tls) {
  auto executor = co_await asio::this_coro::executor;
  if (!tls) {
    beast::tcp_stream stream(executor);
    auto connected = co_await connect(stream, e);
    if (!connected) co_return std::move(connected).error();
    auto answer = co_await converse(stream, std::move(e));
    co_return answer;
  }
  beast::ssl_stream<beast::tcp_stream> stream(executor, *tls);
  auto connected = co_await connect(beast::get_lowest_layer(stream), e);
  if (!connected) co_return std::move(connected).error();
  auto secured = co_await secure(stream, e);
  if (!secured) co_return std::move(secured).error();
  auto answer = co_await converse(stream, std::move(e));
  co_return answer;
}

// The client side's TLS context: TLS 1.2 or later, the CA to trust, the client certificate.
core::Result<std::shared_ptr<ssl::context>> client_tls(const ApiClientOptions& options) {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
  boost::system::error_code ec;
  if (options.ca_file.empty()) {
    context->set_default_verify_paths(ec);
    if (ec) return core::Error(rac::kTlsConfig, "no system CA store (give --ca): " + ec.message());
  } else {
    context->load_verify_file(options.ca_file, ec);
    if (ec) return core::Error(rac::kTlsConfig, "--ca " + options.ca_file + ": not a readable PEM CA file");
  }
  if (options.cert_file.empty() != options.key_file.empty()) {
    return core::Error(rac::kTlsConfig, "--cert and --key go together");
  }
  if (!options.cert_file.empty()) {
    context->use_certificate_chain_file(options.cert_file, ec);
    if (ec) return core::Error(rac::kTlsConfig, "--cert " + options.cert_file + ": not a readable PEM certificate");
    context->use_private_key_file(options.key_file, ssl::context::pem, ec);
    if (ec) return core::Error(rac::kTlsConfig, "--key " + options.key_file + ": not a readable PEM private key");
    if (SSL_CTX_check_private_key(context->native_handle()) != 1) {
      return core::Error(rac::kTlsConfig, "--key " + options.key_file + " does not belong to --cert");
    }
  }
  ERR_clear_error();
  return context;
}

// co_spawn needs a default-constructible result; a Result has none, so it is handed out here.
awaitable<void> exchange_into(Exchange e, std::shared_ptr<ssl::context> tls,
                              std::shared_ptr<std::optional<core::Result<ApiResponse>>> out) {
  auto result = co_await exchange(std::move(e), std::move(tls));
  out->emplace(std::move(result));
}

}  // namespace

core::Result<ApiResponse> api_request(const ApiClientOptions& options, std::string_view method,
                                      std::string_view target, std::string_view body) {
  auto url = net::parse_url(options.api);
  if (!url) return core::Error(rac::kBadUrl, "--api: " + url.error().detail());
  const bool https = url->scheme == net::Scheme::kHttps;
  if ((url->scheme != net::Scheme::kHttp && !https) || url->has_credentials()) {
    return core::Error(rac::kBadUrl, "--api: expected http:// or https://host[:port] (the relay's relay.listen)");
  }
  const bool tls_files = !options.ca_file.empty() || !options.cert_file.empty() || !options.key_file.empty();
  if (!https && tls_files) return core::Error(rac::kBadUrl, "--ca, --cert and --key need an https:// --api");
  std::shared_ptr<ssl::context> tls;
  if (https) {
    CW_TRY(tls, client_tls(options));
  }
  Exchange e{*url, url->label(), std::string(method), "", std::string(body), options.token, options.timeout};
  // The API's URL may carry a path prefix (a reverse proxy); the target goes under it.
  std::string prefix = url->target.substr(0, url->target.find('?'));
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  e.target = prefix + std::string(target);
  if (http::string_to_verb(e.method) == http::verb::unknown) {
    return core::Error(rac::kBadUrl, "unknown HTTP method " + e.method);
  }

  for (int attempt = 0;; ++attempt) {
    asio::io_context io;
    auto result = std::make_shared<std::optional<core::Result<ApiResponse>>>();
    asio::co_spawn(io, exchange_into(e, tls, result), [](std::exception_ptr failure) {
      if (failure) std::rethrow_exception(failure);
    });
    io.run();
    if (!**result || (**result)->status != 429 || attempt >= options.rate_limited_retries) return std::move(**result);
    // Retry-After in seconds (the relay never sends the HTTP-date form); anything else waits 1 s.
    int seconds = 1;
    const std::string& after = (**result)->retry_after;
    if (!after.empty() && after.size() <= 2 && std::all_of(after.begin(), after.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      seconds = std::clamp(std::stoi(after), 1, 30);
    }
    std::this_thread::sleep_for(std::chrono::seconds(seconds));
  }
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
