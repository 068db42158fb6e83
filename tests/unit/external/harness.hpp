// Shared by the external-adapter tests: an io_context that runs one coroutine to completion, and
// the configuration of tests/unit/external/fake_adapter.sh.
#pragma once

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "adapters/external/process.hpp"
#include "tests/support/source_path.hpp"

namespace causeway::test::external {

using test::source_path;

inline const std::string kChain = "0x" + std::string(64, '1');

inline core::ChainIdentity chain_identity(const std::string& hex) {
  auto id = core::fixed_from_hex<core::ChainIdentity>(hex);
  REQUIRE(id.ok());
  return *id;
}

struct Harness {
  boost::asio::io_context io;
  std::vector<std::string> stderr_lines;

  // fake_adapter.sh in `mode`, with short timeouts and a fixed jitter so backoffs are exact.
  causeway::external::ProcessConfig config(const std::string& mode, std::vector<std::string> env = {}) {
    causeway::external::ProcessConfig c;
    c.name = "fake-" + mode;
    c.argv = {"bash", source_path("tests/unit/external/fake_adapter.sh").string()};
    c.env = {"PATH=/usr/local/bin:/usr/bin:/bin", "FAKE_MODE=" + mode, "FAKE_CHAIN=" + kChain};
    for (auto& e : env) c.env.push_back(std::move(e));
    c.chain_identity = chain_identity(kChain);
    c.call_timeout = std::chrono::milliseconds(2000);
    c.health_interval = std::chrono::milliseconds(20);
    c.restart = {.max_attempts = 0, .base = std::chrono::milliseconds(20), .cap = std::chrono::milliseconds(50)};
    c.random01 = [] { return 0.5; };
    c.on_stderr = [this](std::string_view name, std::string_view line) {
      stderr_lines.push_back(std::string(name) + ": " + std::string(line));
    };
    return c;
  }

  std::unique_ptr<causeway::external::AdapterProcess> process(causeway::external::ProcessConfig c) {
    auto p = causeway::external::AdapterProcess::create(io.get_executor(), std::move(c));
    REQUIRE(p.ok());
    return std::move(p).value();
  }

  // Runs one coroutine until it returns. Not io.run(): the stderr forwarders keep the context busy
  // for as long as a child lives.
  template <typename T>
  T run(boost::asio::awaitable<T> task) {
    std::optional<T> out;
    boost::asio::co_spawn(
        io, [&]() -> boost::asio::awaitable<void> { out.emplace(co_await std::move(task)); }, boost::asio::detached);
    io.restart();
    while (!out) io.run_one();
    return std::move(*out);
  }

  void run(boost::asio::awaitable<void> task) {
    bool done = false;
    boost::asio::co_spawn(
        io,
        [&]() -> boost::asio::awaitable<void> {
          co_await std::move(task);
          done = true;
        },
        boost::asio::detached);
    io.restart();
    while (!done) io.run_one();
  }

  // Runs the context until `done` holds or `limit` passes (for what arrives asynchronously).
  template <typename Done>
  bool run_until(Done done, std::chrono::milliseconds limit) {
    const auto until = std::chrono::steady_clock::now() + limit;
    io.restart();
    while (!done() && std::chrono::steady_clock::now() < until) io.run_one_for(std::chrono::milliseconds(10));
    return done();
  }
};

}  // namespace causeway::test::external
