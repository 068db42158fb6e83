// Test doubles for relay/net (see test_servers.hpp). Test-only code: sessions are spawned
// detached and die with the server's io_context when the server is destroyed.
#include "tests/unit/net/test_servers.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <fcntl.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <catch2/catch.hpp>

#include "relay/net/client.hpp"

namespace causeway::net::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

std::string http_response(unsigned status, std::string_view body, bool keep_alive) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " Status\r\n";
  out += "Content-Type: application/json\r\n";
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  if (!keep_alive) out += "Connection: close\r\n";
  out += "\r\n";
  out += body;
  return out;
}

std::string rpc_body(const Json& request, const Json& result) {
  const Json reply{{"jsonrpc", "2.0"}, {"id", request.value("id", Json())}, {"result", result}};
  return reply.dump();
}

Response rpc_result(const Json& request, const Json& result) {
  Response response;
  response.bytes = http_response(200, rpc_body(request, result));
  return response;
}

struct FakeServer::Impl {
  Handler handler;
  asio::io_context io;
  std::optional<asio::ssl::context> tls;
  tcp::acceptor acceptor{io};
  std::thread thread;
  std::atomic<std::size_t> requests{0};
  std::atomic<std::size_t> connections{0};
  std::atomic<std::size_t> bytes_written{0};
  bool websocket = false;

  template <typename Stream>
  asio::awaitable<void> websocket_session(Stream stream) {
    beast::websocket::stream<Stream> ws(std::move(stream));
    auto [accept_ec] = co_await ws.async_accept(kTuple);
    if (accept_ec) co_return;
    beast::flat_buffer buffer;
    for (;;) {
      buffer.clear();
      auto [read_ec, n] = co_await ws.async_read(buffer, kTuple);
      if (read_ec) co_return;
      const std::size_t index = requests++;
      Json body = Json::parse(beast::buffers_to_string(buffer.data()), nullptr, false);
      if (body.is_discarded()) body = nullptr;
      Response response = handler(body, index);
      if (response.hang) {
        asio::steady_timer forever(ws.get_executor(), std::chrono::hours(1));
        co_await forever.async_wait(kTuple);
        co_return;
      }
      if (!response.bytes.empty()) {
        ws.text(true);
        auto [write_ec, written] = co_await ws.async_write(asio::buffer(response.bytes), kTuple);
        bytes_written += written;
        if (write_ec) co_return;
      }
      if (!response.stray.empty()) {
        auto [write_ec, written] = co_await ws.async_write(asio::buffer(response.stray), kTuple);
        bytes_written += written;
        if (write_ec) co_return;
      }
      if (response.close) co_return;
    }
  }

  template <typename Stream>
  asio::awaitable<void> session(Stream stream) {
    if constexpr (!std::is_same_v<Stream, tcp::socket>) {
      auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, kTuple);
      if (ec) co_return;  // the client refused our certificate: nothing to serve
    }
    if (websocket) {
      co_await websocket_session(std::move(stream));
      co_return;
    }
    beast::flat_buffer buffer;
    for (;;) {
      http::request<http::string_body> request;
      auto [read_ec, n] = co_await http::async_read(stream, buffer, request, kTuple);
      if (read_ec) co_return;
      const std::size_t index = requests++;
      Json body = Json::parse(request.body(), nullptr, false);
      if (body.is_discarded()) body = nullptr;
      Response response = handler(body, index);
      if (response.hang) {
        asio::steady_timer forever(stream.get_executor(), std::chrono::hours(1));
        co_await forever.async_wait(kTuple);
        co_return;
      }
      auto [write_ec, written] = co_await asio::async_write(stream, asio::buffer(response.bytes), kTuple);
      bytes_written += written;
      if (write_ec) co_return;
      if (response.chunked_junk > 0) {
        const std::string chunk = "10000\r\n" + std::string(0x10000, 'x') + "\r\n";
        for (std::size_t sent = 0; sent < response.chunked_junk; sent += 0x10000) {
          auto [ec, w] = co_await asio::async_write(stream, asio::buffer(chunk), kTuple);
          bytes_written += w;
          if (ec) co_return;  // the client hung up: what we want to see
        }
        co_return;
      }
      if (response.close) co_return;
    }
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(kTuple);
      if (ec) co_return;
      ++connections;
      if (tls) {
        asio::co_spawn(io, session(asio::ssl::stream<tcp::socket>(std::move(socket), *tls)), asio::detached);
      } else {
        asio::co_spawn(io, session(std::move(socket)), asio::detached);
      }
    }
  }
};

FakeServer::FakeServer(Handler handler, std::optional<TlsFiles> tls, bool websocket)
    : impl_(std::make_unique<Impl>()) {
  impl_->handler = std::move(handler);
  impl_->websocket = websocket;
  if (tls) {
    impl_->tls.emplace(asio::ssl::context::tls_server);
    impl_->tls->use_certificate_chain_file(tls->cert_file);
    impl_->tls->use_private_key_file(tls->key_file, asio::ssl::context::pem);
  }
  const tcp::endpoint at(asio::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(at.protocol());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor.bind(at);
  impl_->acceptor.listen();
  asio::co_spawn(impl_->io, impl_->accept_loop(), asio::detached);
  impl_->thread = std::thread([this] { impl_->io.run(); });
}

FakeServer::~FakeServer() {
  impl_->io.stop();
  impl_->thread.join();
}

std::uint16_t FakeServer::port() const { return impl_->acceptor.local_endpoint().port(); }
std::string FakeServer::url(std::string_view scheme, std::string_view host) const {
  return std::string(scheme) + "://" + std::string(host) + ":" + std::to_string(port()) + "/";
}
std::size_t FakeServer::requests() const { return impl_->requests; }
std::size_t FakeServer::connections() const { return impl_->connections; }
std::size_t FakeServer::bytes_written() const { return impl_->bytes_written; }

std::uint16_t free_loopback_port() {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

namespace {

std::string anvil_path() {
  for (const char* var : {"CAUSEWAY_NODE_TOOLS", "CAUSEWAY_SOURCE_DIR"}) {
    if (const char* dir = std::getenv(var)) {
      const std::string base = std::string(dir) + (std::string_view(var) == "CAUSEWAY_SOURCE_DIR" ? "/deploy/devnet" : "");
      const std::string path = base + "/node_modules/.bin/anvil";
      if (std::filesystem::exists(path)) return path;
    }
  }
  const std::string fallback = std::string(CAUSEWAY_TEST_SOURCE_DIR) + "/deploy/devnet/node_modules/.bin/anvil";
  return fallback;
}

int spawn_anvil(const std::string& path, std::uint16_t port) {
  const std::string port_text = std::to_string(port);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid == 0) {
    // Dies with the test process even if it crashes, so no anvil outlives the run.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    const int devnull = open("/dev/null", O_RDWR);
    dup2(devnull, 0);
    dup2(devnull, 1);
    dup2(devnull, 2);
    execl(path.c_str(), "anvil", "--host", "127.0.0.1", "--port", port_text.c_str(), "--silent",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

}  // namespace

std::unique_ptr<Anvil> Anvil::start() {
  const std::string path = anvil_path();
  REQUIRE(std::filesystem::exists(path));
  for (int attempt = 0; attempt < 3; ++attempt) {
    const std::uint16_t port = free_loopback_port();
    const int pid = spawn_anvil(path, port);
    REQUIRE(pid > 0);
    std::unique_ptr<Anvil> anvil(new Anvil(pid, port));
    ClientOptions options;
    options.request_timeout = Millis{500};
    options.connect_timeout = Millis{500};
    options.retry.max_attempts = 1;
    auto client = SyncClient::create({EndpointConfig{anvil->http_url()}}, options);
    REQUIRE(client.ok());
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid, &status, WNOHANG) == pid) {  // exited: the port was taken meanwhile
        anvil->pid_ = -1;
        break;
      }
      if ((*client)->call("eth_chainId").ok()) return anvil;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));  // waiting for a process to boot
    }
  }
  FAIL("anvil did not start");
  return nullptr;
}

Anvil::~Anvil() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  for (int i = 0; i < 100; ++i) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
}

std::string Anvil::http_url(std::string_view host) const {
  return "http://" + std::string(host) + ":" + std::to_string(port_) + "/";
}
std::string Anvil::ws_url() const { return "ws://127.0.0.1:" + std::to_string(port_) + "/"; }

TestPki::TestPki() {
  std::string pattern = (std::filesystem::temp_directory_path() / "causeway-net-pki.XXXXXX").string();
  REQUIRE(mkdtemp(pattern.data()) != nullptr);
  dir_ = pattern;
  ca_ = dir_ + "/ca.pem";
  cert_ = dir_ + "/server.pem";
  key_ = dir_ + "/server.key";
  const std::string script = dir_ + "/make.sh";
  std::ofstream(script) << "set -e\ncd '" << dir_ << "'\n"
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key "
      "-out ca.pem -days 1 -subj /CN=causeway-test-ca 2>/dev/null\n"
      "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key "
      "-out server.csr -subj /CN=localhost 2>/dev/null\n"
      "printf 'subjectAltName=DNS:localhost\\nbasicConstraints=CA:FALSE\\n' > ext.cnf\n"
      "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 "
      "-extfile ext.cnf -out server.pem 2>/dev/null\n";
  REQUIRE(std::system(("bash '" + script + "'").c_str()) == 0);
}

TestPki::~TestPki() {
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

}  // namespace causeway::net::testing
