// The Beast side of relay/api: the accept loop, one coroutine per connection on its own strand,
// the TLS handshake and client certificates, request limits, rate limits and deadlines, the route
// table (literal and {param} patterns, upgrade hand-over) and the server's own metrics.
#include "relay/api/http_server.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <limits>
#include <mutex>
#include <optional>
#include <set>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "relay/api/connection.hpp"
#include "relay/core/bytes.hpp"
#include "relay/core/signature.hpp"

namespace causeway::api {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using asio::awaitable;
using asio::ip::tcp;
using core::Error;
using core::Result;
using Clock = std::chrono::steady_clock;

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::string_view kServerName = "causeway";
constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";
// The metrics label of every request that matched no route: raw paths would let any client
// create unbounded time series.
constexpr std::string_view kUnmatched = "unmatched";
// The first read of a request takes what has arrived, up to this much; the parser then reads on.
constexpr std::size_t kFirstReadBytes = 4096;
// After an error answer the connection closes. Closing a socket with unread input makes the kernel
// reset it, and the reset can destroy the answer before the client reads it; so the rest of the
// request is read and dropped first (a lingering close), within these bounds.
constexpr std::chrono::milliseconds kLingerTime{2000};
constexpr std::size_t kLingerBytes = 1 << 20;
// A failing accept (out of file descriptors, say) is retried after a pause instead of spinning.
constexpr std::chrono::milliseconds kAcceptRetryPause{100};
// A PEM private key is a few kilobytes; a larger file is not one.
constexpr std::size_t kMaxKeyFileBytes = 64 * 1024;
// TLS 1.2 suites: forward-secret AEAD only (Mozilla's "intermediate" list). Every TLS 1.3 suite
// is of that kind already.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
// Clients whose rate-limit buckets are remembered at most; see RateLimiter::take.
constexpr std::size_t kMaxTrackedClients = 65536;

Result<tcp::endpoint> parse_listen(std::string_view text) {
  const auto bad = [text](std::string_view why) {
    return Error(reason::kBadListenAddress, "listen \"" + std::string(text) + "\": " + std::string(why));
  };
  std::string_view host;
  std::string_view port;
  const bool bracketed = !text.empty() && text.front() == '[';
  if (bracketed) {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return bad("expected [IPv6]:port");
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return bad("expected IPv4:port or [IPv6]:port");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return bad("an IPv6 address needs brackets: [address]:port");
    }
  }
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(std::string(host), ec);
  if (ec) return bad("the host must be an IP address");
  if (bracketed != address.is_v6()) return bad("brackets are for IPv6 addresses only");
  unsigned value = 0;
  const auto [end, parsed] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || parsed != std::errc() || end != port.data() + port.size() ||
      value > std::numeric_limits<std::uint16_t>::max()) {
    return bad("the port must be a number from 0 to 65535");
  }
  return tcp::endpoint(address, static_cast<std::uint16_t>(value));
}

// OpenSSL's error queue as text (emptied as it is read), for a TLS file that could not be used.
std::string openssl_errors() {
  std::string out;
  for (unsigned long code = ERR_get_error(); code != 0; code = ERR_get_error()) {
    std::array<char, 256> text{};
    ERR_error_string_n(code, text.data(), text.size());
    out += (out.empty() ? "" : "; ") + std::string(text.data());
  }
  return out.empty() ? "unusable" : out;
}

struct FileDescriptor {
  explicit FileDescriptor(int value) : fd(value) {}
  ~FileDescriptor() {
    if (fd >= 0) ::close(fd);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int fd;
};

// Reads a private key file as every key file of the relay is read: it must be a regular file that
// only its owner may access, checked on the descriptor that is read. The caller wipes the text.
Result<std::string> read_key_file(const std::string& path) {
  namespace rk = core::reason::key_file;
  // O_NONBLOCK: a FIFO put where the key belongs must fail the type check, not hang the start.
  const FileDescriptor file(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (file.fd < 0) return Error(rk::kUnreadable, path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(file.fd, &st) != 0) return Error(rk::kUnreadable, path + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return Error(rk::kUnreadable, path + ": not a regular file");
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    std::array<char, 8> mode{};
    std::snprintf(mode.data(), mode.size(), "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return Error(rk::kInsecurePermissions, path + ": mode " + mode.data() +
                                               "; a private key must be readable by its owner only (chmod 600)");
  }
  std::string text(kMaxKeyFileBytes + 1, '\0');
  std::size_t size = 0;
  while (size < text.size()) {
    const ssize_t got = ::read(file.fd, text.data() + size, text.size() - size);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      const std::string why = std::strerror(errno);
      OPENSSL_cleanse(text.data(), text.size());
      return Error(core::reason::key_file::kUnreadable, path + ": " + why);
    }
    if (got == 0) break;
    size += static_cast<std::size_t>(got);
  }
  if (size > kMaxKeyFileBytes) {
    OPENSSL_cleanse(text.data(), text.size());
    return Error(reason::kTlsConfig, path + ": larger than a key file");
  }
  text.resize(size);
  return text;
}

// OpenSSL's default would ask for an encrypted key's passphrase on the terminal of a daemon.
int no_passphrase(char*, int, int, void*) { return 0; }

// The server's TLS context: TLS 1.2 or later, forward-secret AEAD suites, no compression or
// renegotiation, and client certificates checked against client_ca_file when asked for.
Result<std::unique_ptr<ssl::context>> make_tls_context(const TlsOptions& tls) {
  auto context = std::make_unique<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = context->native_handle();
  ERR_clear_error();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION);
  if (SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1) {
    return Error(reason::kTlsConfig, "cipher list: " + openssl_errors());
  }
  if (SSL_CTX_use_certificate_chain_file(native, tls.cert_file.c_str()) != 1) {
    return Error(reason::kTlsConfig, "cert_file " + tls.cert_file + ": " + openssl_errors());
  }
  CW_TRY(std::string key_text, read_key_file(tls.key_file));
  const std::unique_ptr<BIO, decltype(&BIO_free)> key_bio(
      BIO_new_mem_buf(key_text.data(), static_cast<int>(key_text.size())), &BIO_free);
  const std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      key_bio ? PEM_read_bio_PrivateKey(key_bio.get(), nullptr, &no_passphrase, nullptr) : nullptr, &EVP_PKEY_free);
  OPENSSL_cleanse(key_text.data(), key_text.size());
  // The key's bytes may be in OpenSSL's error text; none of it is passed on.
  ERR_clear_error();
  if (!key) {
    return Error(reason::kTlsConfig, "key_file " + tls.key_file + ": not an unencrypted PEM private key");
  }
  if (SSL_CTX_use_PrivateKey(native, key.get()) != 1 || SSL_CTX_check_private_key(native) != 1) {
    ERR_clear_error();
    return Error(reason::kTlsConfig, "key_file " + tls.key_file + " does not belong to cert_file " + tls.cert_file);
  }
  if (tls.client_auth == ClientAuth::kNone) return context;
  if (tls.client_ca_file.empty()) return Error(reason::kTlsConfig, "client_auth needs client_ca_file");
  if (SSL_CTX_load_verify_locations(native, tls.client_ca_file.c_str(), nullptr) != 1) {
    return Error(reason::kTlsConfig, "client_ca_file " + tls.client_ca_file + ": " + openssl_errors());
  }
  // Tells clients which CAs' certificates the server takes, so one holding several picks right.
  STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(tls.client_ca_file.c_str());
  if (names == nullptr) {
    return Error(reason::kTlsConfig, "client_ca_file " + tls.client_ca_file + ": " + openssl_errors());
  }
  SSL_CTX_set_client_CA_list(native, names);
  const int mode = tls.client_auth == ClientAuth::kRequired ? SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT
                                                            : SSL_VERIFY_PEER;
  SSL_CTX_set_verify(native, mode, nullptr);
  // OpenSSL refuses to resume a session of a verified peer without a session id context.
  static constexpr unsigned char kSessionContext[] = "causeway";
  SSL_CTX_set_session_id_context(native, kSessionContext, sizeof kSessionContext - 1);
  return context;
}

// The client certificate of a finished handshake, if one was sent and verified.
std::optional<ClientCertificate> verified_client(SSL* handle) {
  X509* certificate = SSL_get0_peer_certificate(handle);
  if (certificate == nullptr || SSL_get_verify_result(handle) != X509_V_OK) return std::nullopt;
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned length = 0;
  if (X509_digest(certificate, EVP_sha256(), digest.data(), &length) != 1 || length != 32) return std::nullopt;
  ClientCertificate out;
  out.fingerprint = core::to_hex(core::ByteView(digest.data(), length), false);
  // RFC 2253 with its escapes: the subject comes out printable ASCII, safe for logs.
  const std::unique_ptr<BIO, decltype(&BIO_free)> text(BIO_new(BIO_s_mem()), &BIO_free);
  if (text && X509_NAME_print_ex(text.get(), X509_get_subject_name(certificate), 0, XN_FLAG_RFC2253) >= 0) {
    char* data = nullptr;
    const long size = BIO_get_mem_data(text.get(), &data);
    if (size > 0) out.subject.assign(data, static_cast<std::size_t>(size));
  }
  return out;
}

// Token buckets per client address. Connections run on their own strands, hence the mutex.
class RateLimiter {
 public:
  RateLimiter(double per_second, double burst) : per_second_(per_second), burst_(burst > 0 ? burst : per_second) {}

  bool enabled() const noexcept { return per_second_ > 0; }

  // Takes a token from `peer`'s bucket: 0 when there was one, else the whole seconds until there
  // is (for Retry-After, at least 1).
  std::uint64_t take(const std::string& peer, Clock::time_point now) {
    std::lock_guard lock(mutex_);
    auto found = buckets_.find(peer);
    if (found == buckets_.end()) {
      if (buckets_.size() >= kMaxTrackedClients) forget_full(now);
      found = buckets_.emplace(peer, Bucket{burst_, now}).first;
    }
    Bucket& bucket = found->second;
    bucket.tokens = refilled(bucket, now);
    bucket.updated = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return static_cast<std::uint64_t>(std::max(1.0, std::ceil((1 - bucket.tokens) / per_second_)));
  }

 private:
  struct Bucket {
    double tokens;
    Clock::time_point updated;
  };

  double refilled(const Bucket& bucket, Clock::time_point now) const {
    const std::chrono::duration<double> elapsed = now - bucket.updated;
    return std::min(burst_, bucket.tokens + elapsed.count() * per_second_);
  }

  // A full bucket is the same as none. If the table is still full after dropping those (clients
  // from very many addresses at once), it starts over: each gets a fresh burst, but memory stays
  // bounded.
  void forget_full(Clock::time_point now) {
    std::erase_if(buckets_, [&](const auto& entry) { return refilled(entry.second, now) >= burst_; });
    if (buckets_.size() >= kMaxTrackedClients) buckets_.clear();
  }

  const double per_second_;
  const double burst_;
  std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
};

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decoding; nullopt on a malformed escape. A query (application/x-www-form-urlencoded)
// reads '+' as a space, a path segment keeps it.
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+' && plus_is_space) {
      out += ' ';
    } else if (text[i] != '%') {
      out += text[i];
    } else {
      if (i + 2 >= text.size()) return std::nullopt;
      const int hi = hex_digit(text[i + 1]);
      const int lo = hex_digit(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    }
  }
  return out;
}

std::optional<std::map<std::string, std::string>> parse_query(std::string_view query) {
  std::map<std::string, std::string> out;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    auto key = percent_decode(pair.substr(0, eq), true);
    auto value = percent_decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), true);
    if (!key || !value) return std::nullopt;
    out.emplace(std::move(*key), std::move(*value));  // emplace keeps the first value
  }
  return out;
}

// The segments of a path or pattern after its leading '/': "/" is one empty segment.
std::vector<std::string_view> split_segments(std::string_view path) {
  std::vector<std::string_view> out;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  for (;;) {
    const auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) return out;
    path.remove_prefix(slash + 1);
  }
}

bool is_placeholder(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

// What `pattern` binds on a path's segments, or nullopt if it does not match. `literals` counts
// the pattern's literal segments, so the most specific of several matches can win.
std::optional<std::map<std::string, std::string>> bind_pattern(std::string_view pattern,
                                                               const std::vector<std::string_view>& path,
                                                               std::size_t& literals) {
  const auto parts = split_segments(pattern);
  if (parts.size() != path.size()) return std::nullopt;
  std::map<std::string, std::string> params;
  literals = 0;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (!is_placeholder(parts[i])) {
      if (parts[i] != path[i]) return std::nullopt;
      ++literals;
      continue;
    }
    // Dot segments never name a resource: a client normalising "/a/../b" must not reach one.
    if (path[i].empty() || path[i] == "." || path[i] == "..") return std::nullopt;
    auto value = percent_decode(path[i], false);
    if (!value) return std::nullopt;
    params.emplace(std::string(parts[i].substr(1, parts[i].size() - 2)), std::move(*value));
  }
  return params;
}

std::string error_body(std::string_view code, std::string_view message) {
  const nlohmann::json body = {{"error", {{"code", code}, {"message", message}}}};
  return body.dump();
}

// A header value a handler may set: visible ASCII and spaces only, so no header injection.
bool valid_header_value(std::string_view value) {
  return std::all_of(value.begin(), value.end(), [](char c) { return c >= ' ' && c <= '~'; });
}

// A header name a handler may set: an HTTP token (RFC 9110 5.1), and none of the headers that
// frame the message, which only the server may write.
bool valid_header_name(std::string_view name) {
  static constexpr std::string_view kTokenPunctuation = "!#$%&'*+-.^_`|~";
  const bool token = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || kTokenPunctuation.find(c) != std::string_view::npos;
  });
  if (!token) return false;
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower != "content-type" && lower != "content-length" && lower != "transfer-encoding" &&
         lower != "connection";
}

// An HTTP/1.1 upgrade request (RFC 9110 section 7.8) for any protocol: Connection names
// "upgrade" and Upgrade names what to switch to. WebSocket's stricter checks are its handler's.
bool is_upgrade(const http::request<http::string_body>& message) {
  return message.version() >= 11 && message.method() == http::verb::get &&
         http::token_list{message[http::field::connection]}.exists("upgrade") &&
         !message[http::field::upgrade].empty();
}

// One answer and what it is counted as.
struct Outcome {
  Response response;
  std::string label = std::string(kUnmatched);  // the route pattern, or "unmatched"
  std::string allow;                            // the Allow header of a 405
};

Outcome error_outcome(unsigned status, std::string_view code, std::string_view message) {
  Outcome outcome;
  outcome.response.status = status;
  outcome.response.body = error_body(code, message);
  return outcome;
}

// The stream of a new connection: TLS over it when the server has a TLS context.
std::variant<PlainStream, TlsStream> make_stream(tcp::socket socket, ssl::context* tls) {
  using Stream = std::variant<PlainStream, TlsStream>;
  if (tls != nullptr) return Stream(std::in_place_type<TlsStream>, std::move(socket), *tls);
  return Stream(std::in_place_type<PlainStream>, std::move(socket));
}

struct Session {
  Session(tcp::socket socket, ssl::context* tls, std::string peer_address)
      : stream(make_stream(std::move(socket), tls)),
        connection(std::visit([](auto& layer) { return Connection(layer); }, stream)),
        peer(std::move(peer_address)) {}
  std::variant<PlainStream, TlsStream> stream;
  Connection connection;  // refers to `stream`
  beast::flat_buffer buffer;
  std::string peer;                          // the client's IP address
  std::optional<ClientCertificate> client;   // after a TLS handshake with a verified certificate
  // True while nothing is in flight (waiting for the first byte of the next request, or dropping
  // the rest of a refused one): stop() may close the connection then without cutting an answer
  // short. Touched only on the connection's strand.
  bool idle = false;

  PlainStream& transport() { return connection.tcp(); }
};

// The handlers of one route pattern.
struct Route {
  std::map<std::string, Handler> methods;
  UpgradeHandler upgrade;  // empty unless the pattern takes upgrade requests
};

// A request with its route found: what dispatch and the upgrade hand-over need.
struct Routed {
  Request request;
  const Route* route = nullptr;
  std::string label;  // the route pattern
};

void close_now(Session& session) { session.connection.cut(); }

// What the server object and every connection coroutine share.
struct Server {
  Server(asio::any_io_executor io_executor, ServerOptions server_options)
      : executor(std::move(io_executor)),
        options(std::move(server_options)),
        strand(asio::make_strand(executor)),
        acceptor(strand) {}

  asio::any_io_executor executor;
  ServerOptions options;
  std::unique_ptr<ssl::context> tls;  // set when options.tls is
  RateLimiter limiter{options.requests_per_second, options.burst};
  bool plaintext_exposed = false;
  // Serialises the acceptor, the session set and the drain waiters.
  asio::strand<asio::any_io_executor> strand;
  tcp::acceptor acceptor;
  std::uint16_t port = 0;
  // Path pattern -> its handlers.
  std::map<std::string, Route, std::less<>> routes;
  std::function<Readiness()> readiness;
  std::shared_ptr<prometheus::Registry> registry;
  prometheus::Family<prometheus::Counter>* requests_total = nullptr;
  prometheus::Counter* connections_rejected = nullptr;
  prometheus::Counter* handshake_failures = nullptr;
  bool started = false;
  std::atomic<bool> stopping{false};
  std::set<std::shared_ptr<Session>> sessions;      // strand only
  std::vector<asio::steady_timer*> drain_waiters;   // strand only: stop() calls waiting for sessions

  void report(std::string_view message) const {
    if (options.on_error) options.on_error(message);
  }
  // Configuration after start() would race with connections reading it: a caller bug.
  void require_not_started() const {
    if (started) std::abort();
  }

  // The most specific route matching `path` (see HttpServer::route), with its params bound. A
  // linear scan: the table holds a few dozen patterns.
  std::optional<Routed> match(std::string_view path) const {
    const auto segments = split_segments(path);
    std::optional<Routed> best;
    std::size_t best_literals = 0;
    for (const auto& [pattern, route] : routes) {
      std::size_t literals = 0;
      auto params = bind_pattern(pattern, segments, literals);
      if (!params || (best && literals <= best_literals)) continue;
      best.emplace();
      best->request.params = std::move(*params);
      best->route = &route;
      best->label = pattern;
      best_literals = literals;
    }
    return best;
  }

  void count(const Outcome& outcome) const {
    if (requests_total == nullptr) return;
    requests_total->Add({{"path", outcome.label}, {"code", std::to_string(outcome.response.status)}})
        .Increment();
  }

  void forget(const std::shared_ptr<Session>& session) {  // on the strand
    sessions.erase(session);
    if (stopping && sessions.empty()) {
      for (auto* waiter : drain_waiters) waiter->cancel();
    }
  }

  // Closes the listener and asks every connection to close: at once, or only when it waits for
  // a request (in-flight requests finish first). On the strand.
  void begin_shutdown(bool cut_in_flight) {
    stopping = true;
    boost::system::error_code ignored;
    acceptor.close(ignored);
    for (const auto& session : sessions) {
      asio::post(session->transport().get_executor(), [session, cut_in_flight] {
        if (cut_in_flight || session->idle) close_now(*session);
      });
    }
  }

  awaitable<Response> healthz() const {
    Response response;
    response.body = R"({"status":"ok"})";
    co_return response;
  }

  awaitable<Response> readyz() const {
    Readiness state;
    if (readiness) {
      state = readiness();
    } else {
      state.detail = {{"api", "no readiness check installed"}};
    }
    const nlohmann::json body = {{"ready", state.ready}, {"detail", state.detail}};
    Response response;
    response.status = state.ready ? 200 : 503;
    // Component details may carry peer text; never let invalid UTF-8 throw here.
    response.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    co_return response;
  }

  awaitable<Response> metrics() const {
    Response response;
    if (!registry) {
      response.status = 503;
      response.body = error_body("unavailable", "no metrics registry installed");
      co_return response;
    }
    response.content_type = std::string(kMetricsContentType);
    response.body = prometheus::TextSerializer().Serialize(registry->Collect());
    co_return response;
  }

  // Finds the route of a request read whole; nullopt with `refusal` set when there is none.
  std::optional<Routed> prepare(http::request<http::string_body>& message, Outcome& refusal) const;
  awaitable<Outcome> dispatch(Routed routed) const;
};

template <typename Stream>
awaitable<bool> send(std::shared_ptr<Session> session, Stream& stream, Outcome outcome, unsigned version,
                     bool keep_alive, std::chrono::milliseconds timeout) {
  http::response<http::string_body> message;
  message.version(version);
  message.result(outcome.response.status);
  message.set(http::field::server, kServerName);
  message.set(http::field::content_type, outcome.response.content_type);
  if (!outcome.allow.empty()) message.set(http::field::allow, outcome.allow);
  for (const auto& [name, value] : outcome.response.headers) message.set(name, value);
  message.keep_alive(keep_alive);
  const unsigned status = outcome.response.status;
  // 204 and 304 carry neither a body nor a Content-Length (RFC 9110 8.6); Beast would refuse to
  // frame a body for them.
  if (status != 204 && status != 304) {
    message.body() = std::move(outcome.response.body);
    message.prepare_payload();
  }
  session->transport().expires_after(timeout);
  auto [ec, written] = co_await http::async_write(stream, message, kTuple);
  co_return !ec;
}

// Answers a request that could not be read whole, then closes without resetting the connection.
template <typename Stream>
awaitable<void> refuse(std::shared_ptr<Server> self, std::shared_ptr<Session> session, Stream& stream,
                       Outcome outcome) {
  self->count(outcome);
  const bool sent = co_await send(session, stream, std::move(outcome), 11, false, self->options.write_timeout);
  if (sent) {
    boost::system::error_code ignored;
    session->transport().socket().shutdown(tcp::socket::shutdown_send, ignored);
    session->idle = true;
    session->transport().expires_after(std::min(self->options.read_timeout, kLingerTime));
    std::array<char, 4096> sink{};
    for (std::size_t dropped = 0; dropped < kLingerBytes;) {
      auto [ec, n] = co_await stream.async_read_some(asio::buffer(sink), kTuple);
      if (ec) break;
      dropped += n;
    }
  }
  close_now(*session);
}

// Hands the connection to an upgrade handler until it returns.
awaitable<void> take_over(std::shared_ptr<Server> self, std::shared_ptr<Session> session, Routed routed) {
  // Nothing is in flight that stop() should wait for, and the handler keeps its own deadlines.
  session->idle = true;
  session->transport().expires_never();
  Outcome counted;
  counted.label = routed.label;
  counted.response.status = 500;
  try {
    counted.response.status = co_await routed.route->upgrade(std::move(routed.request), session->connection);
  } catch (...) {
    self->report("api: upgrade handler for " + counted.label + " threw");
  }
  self->count(counted);
}

// The 429 of a client over its rate limit.
Outcome rate_limited(std::uint64_t retry_after) {
  Outcome outcome = error_outcome(429, "rate_limited", "too many requests from this address; retry later");
  outcome.response.headers.emplace("Retry-After", std::to_string(retry_after));
  return outcome;
}

template <typename Stream>
awaitable<void> serve_on(std::shared_ptr<Server> self, std::shared_ptr<Session> session, Stream& stream) {
  const ServerOptions& options = self->options;
  auto& buffer = session->buffer;
  bool first = true;
  while (!self->stopping) {
    if (buffer.size() == 0) {
      // A fresh connection owes its first request within read_timeout; a kept-alive one may rest
      // for idle_timeout. stop() closes the connection while it waits here.
      session->idle = true;
      session->transport().expires_after(first ? options.read_timeout : options.idle_timeout);
      auto [ec, n] = co_await stream.async_read_some(buffer.prepare(kFirstReadBytes), kTuple);
      session->idle = false;
      if (ec) co_return;  // closed by the client or by stop(), or idle too long
      buffer.commit(n);
    }
    first = false;

    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(options.max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
    parser.body_limit(static_cast<std::uint64_t>(options.max_body_bytes));
    session->transport().expires_after(options.read_timeout);
    auto [read_ec, read] = co_await http::async_read(stream, buffer, parser, kTuple);
    if (read_ec == http::error::header_limit) {
      const std::string limit = std::to_string(options.max_header_bytes);
      co_await refuse(self, session, stream,
                      error_outcome(431, "header_too_large", "request header over " + limit + " bytes"));
      co_return;
    }
    if (read_ec == http::error::body_limit) {
      const std::string limit = std::to_string(options.max_body_bytes);
      co_await refuse(self, session, stream,
                      error_outcome(413, "body_too_large", "request body over " + limit + " bytes"));
      co_return;
    }
    if (read_ec == http::error::end_of_stream || read_ec == http::error::partial_message) co_return;
    if (read_ec && read_ec.category() == http::make_error_code(http::error::bad_version).category()) {
      co_await refuse(self, session, stream, error_outcome(400, "bad_request", "malformed HTTP request"));
      co_return;
    }
    if (read_ec) co_return;  // timed out (slowloris) or the connection failed: nobody to answer

    const unsigned version = parser.get().version();
    const bool client_keeps_alive = parser.get().keep_alive();
    auto message = parser.release();
    Outcome outcome;
    std::optional<Routed> routed;
    // Counted per request, before any work: an upgrade or a 404 costs a token like any request.
    if (const std::uint64_t wait = self->limiter.enabled() ? self->limiter.take(session->peer, Clock::now()) : 0;
        wait != 0) {
      outcome = rate_limited(wait);
    } else {
      routed = self->prepare(message, outcome);
    }
    if (routed) {
      routed->request.peer = session->peer;
      routed->request.client = session->client;
    }
    if (routed && routed->route->upgrade && is_upgrade(message)) {
      // The client may send nothing more before the upgrade is answered; bytes already here
      // would be lost to the handler, which reads from the connection.
      if (buffer.size() != 0) {
        co_await refuse(self, session, stream,
                        error_outcome(400, "bad_request", "data sent before the upgrade was answered"));
        co_return;
      }
      co_await take_over(self, session, std::move(*routed));
      co_return;
    }
    if (routed) outcome = co_await self->dispatch(std::move(*routed));
    self->count(outcome);
    // Evaluated after the handler: a stop() during it makes this the connection's last answer.
    const bool keep_alive = client_keeps_alive && !self->stopping;
    const bool sent =
        co_await send(session, stream, std::move(outcome), version, keep_alive, options.write_timeout);
    if (!sent || !keep_alive) co_return;
  }
}

// The TLS handshake, within read_timeout like a request: a client that starts one and never
// finishes cannot hold a connection slot. stop() may cut it, since nothing is in flight.
awaitable<bool> handshake(std::shared_ptr<Server> self, std::shared_ptr<Session> session, TlsStream& stream) {
  session->idle = true;
  session->transport().expires_after(self->options.read_timeout);
  auto [ec] = co_await stream.async_handshake(ssl::stream_base::server, kTuple);
  session->idle = false;
  if (ec) {
    // Plain HTTP sent to the TLS port, a client that distrusts the certificate, a missing or
    // foreign client certificate, a scanner: nothing to answer, only to count.
    if (self->handshake_failures != nullptr) self->handshake_failures->Increment();
    co_return false;
  }
  session->client = verified_client(stream.native_handle());
  co_return true;
}

awaitable<void> serve(std::shared_ptr<Server> self, std::shared_ptr<Session> session) {
  // Not one conditional expression: GCC 12 mishandles `c ? co_await a : co_await b`.
  if (auto* tls = session->connection.tls()) {
    const bool secured = co_await handshake(self, session, *tls);
    if (secured) co_await serve_on(self, session, *tls);
  } else {
    co_await serve_on(self, session, session->transport());
  }
  close_now(*session);
}

awaitable<void> accept_loop(std::shared_ptr<Server> self) {  // on self->strand
  for (;;) {
    auto [ec, socket] = co_await self->acceptor.async_accept(asio::make_strand(self->executor), kTuple);
    if (self->stopping) co_return;
    if (ec) {
      self->report("api: accept failed: " + ec.message());
      asio::steady_timer pause(self->strand, kAcceptRetryPause);
      co_await pause.async_wait(kTuple);
      continue;
    }
    if (self->sessions.size() >= self->options.max_connections) {
      if (self->connections_rejected != nullptr) self->connections_rejected->Increment();
      boost::system::error_code ignored;
      socket.close(ignored);
      continue;
    }
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    boost::system::error_code remote_ec;
    const auto remote = socket.remote_endpoint(remote_ec);
    std::string peer = remote_ec ? std::string("unknown") : remote.address().to_string();
    auto session = std::make_shared<Session>(tcp::socket(std::move(socket)), self->tls.get(), std::move(peer));
    self->sessions.insert(session);
    asio::co_spawn(session->transport().get_executor(), serve(self, session),
                   [self, session](std::exception_ptr failure) {
                     asio::post(self->strand, [self, session] { self->forget(session); });
                     // serve() answers every expected failure itself; anything else is a bug.
                     if (failure) std::rethrow_exception(failure);
                   });
  }
}

awaitable<void> drain(std::shared_ptr<Server> self) {  // on self->strand
  self->begin_shutdown(false);
  if (self->sessions.empty()) co_return;
  asio::steady_timer deadline(self->strand, self->options.drain_timeout);
  self->drain_waiters.push_back(&deadline);
  co_await deadline.async_wait(kTuple);  // cancelled by forget() when the last session ends
  std::erase(self->drain_waiters, &deadline);
  // Whatever is left is cut. Its coroutine ends by itself and shares ownership of this state, so
  // a handler that never returns keeps only its own memory alive.
  if (!self->sessions.empty()) self->begin_shutdown(true);
}

std::optional<Routed> Server::prepare(http::request<http::string_body>& message, Outcome& refusal) const {
  std::string target(message.target());
  if (target.empty() || target.front() != '/') {
    refusal = error_outcome(400, "bad_request", "the request target must be a path");
    return std::nullopt;
  }
  const auto mark = target.find('?');
  std::string path = target.substr(0, mark);
  auto query = parse_query(mark == std::string::npos ? std::string_view()
                                                     : std::string_view(target).substr(mark + 1));
  if (!query) {
    refusal = error_outcome(400, "bad_request", "malformed query string");
    return std::nullopt;
  }
  auto routed = match(path);
  if (!routed) {
    refusal = error_outcome(404, "not_found", "no such resource");
    return std::nullopt;
  }
  Request& request = routed->request;
  request.method = std::string(message.method_string());
  request.target = std::move(target);
  request.path = std::move(path);
  request.query = std::move(*query);
  for (const auto& field : message) {
    std::string name(field.name_string());
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    request.headers.emplace(std::move(name), std::string(field.value()));
  }
  request.body = std::move(message.body());
  return routed;
}

awaitable<Outcome> Server::dispatch(Routed routed) const {
  const auto& methods = routed.route->methods;
  const auto found = methods.find(routed.request.method);
  if (found == methods.end()) {
    if (methods.empty()) {
      Outcome outcome = error_outcome(426, "upgrade_required", "this resource is served over an upgraded connection");
      outcome.label = routed.label;
      co_return outcome;
    }
    Outcome outcome = error_outcome(405, "method_not_allowed", "method not allowed for this resource");
    outcome.label = routed.label;
    for (const auto& [allowed, handler] : methods) {
      outcome.allow += outcome.allow.empty() ? allowed : ", " + allowed;
    }
    co_return outcome;
  }

  const std::string where = routed.request.method + " " + routed.label;
  std::optional<Response> produced;
  try {
    produced = co_await found->second(std::move(routed.request));
  } catch (...) {
    // The exception text may hold secrets (a key path, a token): neither the client nor the log
    // gets it. The handler's owner logs its own failures with context.
    report("api: handler for " + where + " threw; answered 500");
  }
  Outcome outcome;
  outcome.label = routed.label;
  const auto valid_headers = [](const Response& response) {
    return std::all_of(response.headers.begin(), response.headers.end(), [](const auto& header) {
      return valid_header_name(header.first) && valid_header_value(header.second);
    });
  };
  if (produced && (produced->status < 200 || produced->status > 599 ||
                   !valid_header_value(produced->content_type) || !valid_headers(*produced))) {
    report("api: handler for " + where + " returned an invalid status, content type or header; answered 500");
    produced.reset();
  }
  if (!produced) {
    outcome.response.status = 500;
    outcome.response.body = error_body("internal", "internal error");
    co_return outcome;
  }
  outcome.response = std::move(*produced);
  co_return outcome;
}

}  // namespace

struct HttpServer::Impl : Server {
  using Server::Server;
};

HttpServer::HttpServer(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() {
  asio::post(impl_->strand, [self = impl_] { self->begin_shutdown(true); });
}

Result<std::unique_ptr<HttpServer>> HttpServer::create(asio::any_io_executor executor,
                                                       ServerOptions options) {
  CW_TRY(const tcp::endpoint endpoint, parse_listen(options.listen));
  std::unique_ptr<ssl::context> tls;
  if (options.tls) {
    CW_TRY(tls, make_tls_context(*options.tls));
  }
  auto impl = std::make_shared<Impl>(std::move(executor), std::move(options));
  impl->tls = std::move(tls);
  impl->plaintext_exposed = !impl->tls && !endpoint.address().is_loopback();
  auto& acceptor = impl->acceptor;
  const std::string& listen = impl->options.listen;
  boost::system::error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  // Lets a restarted relay bind while connections of its previous run sit in TIME_WAIT; on Linux
  // it does not let two live listeners share the port.
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (ec == asio::error::address_in_use) {
    return Error(reason::kAddressInUse, listen + " is already in use");
  }
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Error(reason::kBindFailed, "cannot listen on " + listen + ": " + ec.message());
  impl->port = acceptor.local_endpoint().port();

  std::unique_ptr<HttpServer> server(new HttpServer(impl));
  Impl* state = impl.get();  // the routes live inside the state they point to
  server->route("GET", "/healthz", [state](Request) { return state->healthz(); });
  server->route("GET", "/readyz", [state](Request) { return state->readyz(); });
  server->route("GET", "/metrics", [state](Request) { return state->metrics(); });
  return server;
}

void HttpServer::route(std::string method, std::string path, Handler handler) {
  impl_->require_not_started();
  impl_->routes[std::move(path)].methods[std::move(method)] = std::move(handler);
}

void HttpServer::upgrade(std::string path, UpgradeHandler handler) {
  impl_->require_not_started();
  impl_->routes[std::move(path)].upgrade = std::move(handler);
}

void HttpServer::set_readiness(std::function<Readiness()> readiness) {
  impl_->require_not_started();
  impl_->readiness = std::move(readiness);
}

void HttpServer::set_metrics(std::shared_ptr<prometheus::Registry> registry) {
  impl_->require_not_started();
  impl_->requests_total = &prometheus::BuildCounter()
                               .Name("causeway_http_requests_total")
                               .Help("HTTP requests answered, by route pattern and status code")
                               .Register(*registry);
  impl_->connections_rejected = &prometheus::BuildCounter()
                                     .Name("causeway_http_connections_rejected_total")
                                     .Help("Connections closed at once because max_connections were open")
                                     .Register(*registry)
                                     .Add({});
  impl_->handshake_failures = &prometheus::BuildCounter()
                                   .Name("causeway_http_tls_handshake_failures_total")
                                   .Help("TLS handshakes that failed or timed out, plain HTTP to the TLS port included")
                                   .Register(*registry)
                                   .Add({});
  prometheus::BuildGauge()
      .Name("causeway_api_plaintext")
      .Help("1 when the API serves plain HTTP on an address other than loopback")
      .Register(*registry)
      .Add({})
      .Set(impl_->plaintext_exposed ? 1 : 0);
  impl_->registry = std::move(registry);
}

void HttpServer::start() {
  impl_->require_not_started();
  impl_->started = true;
  asio::co_spawn(impl_->strand, accept_loop(impl_), [](std::exception_ptr failure) {
    if (failure) std::rethrow_exception(failure);
  });
}

awaitable<void> HttpServer::stop() {
  co_await asio::co_spawn(impl_->strand, drain(impl_), asio::use_awaitable);
}

std::uint16_t HttpServer::port() const noexcept { return impl_->port; }

bool HttpServer::exposes_plaintext() const noexcept { return impl_->plaintext_exposed; }

}  // namespace causeway::api
