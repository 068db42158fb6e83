// The supervisor (adapters/external/process.cpp) against fake_adapter.sh: hello, calls, each
// failure's named reason, restarts with backoff, stderr forwarding, periodic health.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "adapters/external/process.hpp"
#include "relay/net/backoff.hpp"
#include "tests/unit/external/harness.hpp"

namespace causeway {
namespace {

using external::Json;
using test::external::Harness;
namespace ext_reason = external::reason;
using std::chrono::milliseconds;

TEST_CASE("external process: hello, a call and the adapter's stderr under its name", "[external]") {
  Harness h;
  auto p = h.process(h.config("ok"));
  auto hello = h.run(p->start());
  REQUIRE(hello.ok());
  CHECK(hello->name == "fake");
  CHECK(hello->family == external::Family::kEvm);
  CHECK(p->running());
  auto health = h.run(p->call("adapter.health", Json::object()));
  REQUIRE(health.ok());
  CHECK((*health)["status"] == "ok");
  CHECK(p->restarts() == 0);
  REQUIRE(h.run_until([&] { return !h.stderr_lines.empty(); }, milliseconds(2000)));
  CHECK(h.stderr_lines[0] == "fake-ok: fake adapter up, mode ok");
}

TEST_CASE("external process: the child gets only the configured environment, in its working directory",
          "[external]") {
  Harness h;
  REQUIRE(::setenv("CAUSEWAY_TEST_SECRET", "relay-only", 1) == 0);
  auto config = h.config("env");
  config.working_dir = std::filesystem::temp_directory_path();
  auto p = h.process(config);
  auto r = h.run(p->call("adapter.health", Json::object()));
  ::unsetenv("CAUSEWAY_TEST_SECRET");
  REQUIRE(r.ok());
  CHECK((*r)["status"] == "absent");
  CHECK((*r)["detail"] == std::filesystem::temp_directory_path().string());
}

TEST_CASE("external process: a missing program is spawn_failed", "[external]") {
  Harness h;
  auto config = h.config("ok");
  config.argv = {"/nonexistent/causeway-adapter"};
  auto p = h.process(config);
  auto hello = h.run(p->start());
  REQUIRE_FALSE(hello.ok());
  CHECK(hello.error().reason() == ext_reason::kSpawnFailed);
  config.argv = {"no-such-adapter-on-path"};
  auto q = h.process(config);
  auto again = h.run(q->start());
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().reason() == ext_reason::kSpawnFailed);
}

TEST_CASE("external process: a configuration without a command is bad_config", "[external]") {
  Harness h;
  auto config = h.config("ok");
  config.argv.clear();
  auto p = external::AdapterProcess::create(h.io.get_executor(), config);
  REQUIRE_FALSE(p.ok());
  CHECK(p.error().reason() == ext_reason::kBadConfig);
}

TEST_CASE("external process: a protocol version mismatch is protocol_version and nothing keeps running",
          "[external]") {
  Harness h;
  auto p = h.process(h.config("ok", {"FAKE_PROTOCOL=2"}));
  auto hello = h.run(p->start());
  REQUIRE_FALSE(hello.ok());
  CHECK(hello.error().reason() == ext_reason::kProtocolVersion);
  CHECK_FALSE(p->running());
}

TEST_CASE("external process: another family or chain in hello is wrong_family / wrong_chain", "[external]") {
  Harness h;
  auto family = h.process(h.config("ok", {"FAKE_FAMILY=fabric"}));
  auto a = h.run(family->start());
  REQUIRE_FALSE(a.ok());
  CHECK(a.error().reason() == ext_reason::kWrongFamily);
  auto config = h.config("ok");
  config.chain_identity.bytes[31] ^= 1;
  auto chain = h.process(config);
  auto b = h.run(chain->start());
  REQUIRE_FALSE(b.ok());
  CHECK(b.error().reason() == ext_reason::kWrongChain);
}

TEST_CASE("external process: garbage on stdout is bad_json and the process is killed", "[external]") {
  Harness h;
  auto p = h.process(h.config("garbage"));
  REQUIRE(h.run(p->start()).ok());
  auto r = h.run(p->call("source.poll", Json::object()));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().reason() == ext_reason::kBadJson);
  CHECK_FALSE(p->running());
}

TEST_CASE("external process: an over-long line is line_too_long", "[external]") {
  Harness h;
  auto config = h.config("long");
  config.max_line_bytes = 4096;
  auto p = h.process(config);
  REQUIRE(h.run(p->start()).ok());
  auto r = h.run(p->call("source.poll", Json::object()));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().reason() == ext_reason::kLineTooLong);
  CHECK_FALSE(p->running());
}

TEST_CASE("external process: a stalled adapter is timeout, killed, and restarted by the next call", "[external]") {
  Harness h;
  auto config = h.config("stall");
  config.call_timeout = milliseconds(300);
  auto p = h.process(config);
  REQUIRE(h.run(p->start()).ok());
  const pid_t first = p->pid();
  const auto before = std::chrono::steady_clock::now();
  auto r = h.run(p->call("source.poll", Json::object()));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().reason() == ext_reason::kTimeout);
  CHECK(std::chrono::steady_clock::now() - before >= milliseconds(300));
  CHECK_FALSE(p->running());
  auto again = h.run(p->call("source.poll", Json::object()));
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().reason() == ext_reason::kTimeout);
  CHECK(p->restarts() == 1);
  CHECK(p->pid() == -1);
  CHECK(first > 0);
}

TEST_CASE("external process: an rpc error is an answer and keeps the process", "[external]") {
  Harness h;
  auto p = h.process(h.config("rpc_error"));
  REQUIRE(h.run(p->start()).ok());
  const pid_t pid = p->pid();
  auto r = h.run(p->call("source.poll", Json::object()));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().reason() == ext_reason::kRpcError);
  CHECK(r.error().detail().find("upstream.unreachable") != std::string::npos);
  CHECK(p->running());
  CHECK(p->pid() == pid);
}

TEST_CASE("external process: an adapter that exits is restarted after a capped exponential backoff",
          "[external]") {
  Harness h;
  auto config = h.config("exit");
  const net::RetryPolicy policy = config.restart;
  auto p = h.process(config);
  REQUIRE(h.run(p->start()).ok());
  // Each call: the process answers nothing and exits 3; the next call restarts it after the
  // backoff its deaths so far earned: 10, 20, then the cap's 25 ms (jitter pinned at 0.5).
  for (int round = 0; round < 4; ++round) {
    INFO("round " << round);
    auto r = h.run(p->call("source.poll", Json::object()));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().reason() == ext_reason::kExited);
    CHECK(r.error().detail().find("exit status 3") != std::string::npos);
    CHECK_FALSE(p->running());
    CHECK(p->deaths() == round + 1);
    CHECK(p->restarts() == static_cast<std::uint64_t>(round));
    if (round > 0) CHECK(p->last_backoff() == net::backoff_delay(policy, round - 1, 0.5));
  }
  CHECK(net::backoff_delay(policy, 0, 0.5) == milliseconds(10));
  CHECK(p->last_backoff() == milliseconds(25));
}

TEST_CASE("external process: concurrent calls take turns on the one stdin/stdout", "[external]") {
  Harness h;
  auto p = h.process(h.config("ok"));
  REQUIRE(h.run(p->start()).ok());
  int done = 0;
  int answered = 0;
  for (int i = 0; i < 5; ++i) {
    boost::asio::co_spawn(
        h.io,
        [&]() -> boost::asio::awaitable<void> {
          auto r = co_await p->call("adapter.health", Json::object());
          if (r.ok() && (*r)["status"] == "ok") ++answered;
          ++done;
        },
        boost::asio::detached);
  }
  REQUIRE(h.run_until([&] { return done == 5; }, milliseconds(5000)));
  CHECK(answered == 5);
  CHECK(p->restarts() == 0);
}

TEST_CASE("external process: supervise checks health every interval until told to stop", "[external]") {
  Harness h;
  auto p = h.process(h.config("ok"));
  REQUIRE(h.run(p->start()).ok());
  int healthy = 0;
  int failed = 0;
  h.run(p->supervise(
      [&](const core::Result<Json>& health) {
        if (health.ok() && (*health)["status"] == "ok") {
          ++healthy;
        } else {
          ++failed;
        }
      },
      [&] { return healthy + failed >= 3; }));
  CHECK(healthy == 3);
  CHECK(failed == 0);
}

TEST_CASE("external process: supervise restarts a dead adapter through its health call", "[external]") {
  Harness h;
  auto p = h.process(h.config("ok"));
  REQUIRE(h.run(p->start()).ok());
  p->stop();
  CHECK_FALSE(p->running());
  int checks = 0;
  bool last_ok = false;
  h.run(p->supervise(
      [&](const core::Result<Json>& health) {
        ++checks;
        last_ok = health.ok();
      },
      [&] { return checks >= 1; }));
  CHECK(last_ok);
  CHECK(p->running());
  CHECK(p->restarts() == 1);
}

}  // namespace
}  // namespace causeway
