// engine::Metrics::families() is what `causeway metrics` prints and what tests/deploy checks the
// Grafana dashboard and the alert rules against: it must name every family a running relay's
// /metrics serves, with its type, including the HTTP server's own.
#include <catch2/catch.hpp>

#include <cstdint>
#include <exception>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "relay/api/http_server.hpp"
#include "relay/app/metrics_command.hpp"
#include "relay/engine/metrics.hpp"

namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using asio::ip::tcp;

std::map<std::string, std::string> declared(const causeway::engine::Metrics& metrics) {
  std::map<std::string, std::string> out;
  for (const auto& family : metrics.families()) out.emplace(family.name, family.type);
  return out;
}

// GETs each target in turn on one connection; returns the last body.
asio::awaitable<std::string> fetch(std::uint16_t port, std::vector<std::string> targets) {
  tcp::socket socket(co_await asio::this_coro::executor);
  const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);
  co_await socket.async_connect(endpoint, asio::use_awaitable);
  std::string body;
  boost::beast::flat_buffer buffer;
  for (const auto& target : targets) {
    http::request<http::empty_body> request(http::verb::get, target, 11);
    request.set(http::field::host, "127.0.0.1");
    co_await http::async_write(socket, request, asio::use_awaitable);
    http::response<http::string_body> response;
    co_await http::async_read(socket, buffer, response, asio::use_awaitable);
    body = response.body();
  }
  co_return body;
}

}  // namespace

TEST_CASE("deploy metric families name every family a running relay serves, with its type", "[deploy]") {
  causeway::engine::Metrics metrics;
  // A sample in a family of each type: prometheus-cpp serves only families with samples.
  metrics.build_info("test").Set(1);
  metrics.observed("a->b").Increment();
  metrics.delivery_latency("a->b").Observe(0.5);

  asio::io_context io;
  causeway::api::ServerOptions options;
  options.listen = "127.0.0.1:0";
  auto server = causeway::api::HttpServer::create(io.get_executor(), options);
  REQUIRE(server);
  (*server)->set_metrics(metrics.registry());
  (*server)->start();

  std::string exposition;
  causeway::api::HttpServer& running = **server;
  asio::co_spawn(
      io,
      [&running, &exposition]() -> asio::awaitable<void> {
        // /healthz first, so the server's request counter has a sample to serve. (A braced list in
        // a statement with co_await miscompiles with GCC 12.)
        std::vector<std::string> targets;
        targets.emplace_back("/healthz");
        targets.emplace_back("/metrics");
        exposition = co_await fetch(running.port(), std::move(targets));
        co_await running.stop();
      },
      [](std::exception_ptr failure) {
        if (failure) std::rethrow_exception(failure);
      });
  io.run();

  const auto families = declared(metrics);
  const std::regex type_line(R"(^# TYPE (\S+) (\S+)$)");
  std::set<std::string> served;
  std::istringstream lines(exposition);
  for (std::string line; std::getline(lines, line);) {
    std::smatch match;
    if (!std::regex_match(line, match, type_line)) continue;
    served.insert(match[1]);
    INFO("served family " << match[1]);
    REQUIRE(families.count(match[1]) == 1);
    CHECK(families.at(match[1]) == match[2].str());
  }
  CHECK(served.count("causeway_build_info") == 1);
  CHECK(served.count("causeway_messages_observed_total") == 1);
  CHECK(served.count("causeway_delivery_latency_seconds") == 1);
  CHECK(served.count("causeway_http_requests_total") == 1);
  CHECK(served.count("causeway_http_connections_rejected_total") == 1);
  // Families without samples are not served, which is why the list exists.
  CHECK(served.count("causeway_lane_halted") == 0);
  CHECK(families.count("causeway_lane_halted") == 1);
}

TEST_CASE("deploy metric families are unique, prefixed and typed by Prometheus conventions", "[deploy]") {
  const causeway::engine::Metrics metrics;
  const std::regex name(R"(^causeway_[a-z0-9_]+$)");
  std::set<std::string_view> seen;
  for (const auto& family : metrics.families()) {
    INFO("family " << family.name);
    CHECK(seen.insert(family.name).second);
    CHECK(std::regex_match(std::string(family.name), name));
    const bool known_type = family.type == "counter" || family.type == "gauge" || family.type == "histogram";
    CHECK(known_type);
    const bool total = family.name.ends_with("_total");
    CHECK(total == (family.type == "counter"));
  }
  CHECK(seen.size() >= 30);
}

TEST_CASE("deploy causeway metrics prints one NAME TYPE line per declared family", "[deploy]") {
  std::ostringstream out;
  REQUIRE(causeway::app::run_metrics_command(out) == 0);
  const causeway::engine::Metrics metrics;
  std::string expected;
  for (const auto& family : metrics.families()) {
    expected += std::string(family.name) + " " + std::string(family.type) + "\n";
  }
  CHECK(out.str() == expected);

  std::ostringstream failed;
  failed.setstate(std::ios::badbit);
  CHECK(causeway::app::run_metrics_command(failed) == 1);
}
