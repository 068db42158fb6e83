// Supervision of one out-of-process adapter (DESIGN.md section 3): spawns the configured command
// with its stdin/stdout on a socket pair and its stderr on a pipe, speaks the adapter protocol
// (protocol.hpp) one call at a time with a timeout on each, greets it with adapter.hello, checks
// its health periodically and restarts it with capped exponential backoff when it exits, stalls
// or talks nonsense. Nothing the process says is trusted beyond the protocol's shape: bundles are
// parsed by the caller and verified by the engine.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/asio/local/stream_protocol.hpp>

#include "adapters/external/protocol.hpp"
#include "relay/core/bytes.hpp"
#include "relay/core/result.hpp"
#include "relay/net/backoff.hpp"

namespace causeway::external {

struct ProcessConfig {
  std::string name;                   // names the adapter in logs and errors
  std::vector<std::string> argv;      // argv[0] is looked up in the PATH of `env`
  // The child's whole environment, "NAME=value" each: nothing of the relay's own environment
  // (tokens, key passwords) is passed on unless listed here.
  std::vector<std::string> env;
  std::filesystem::path working_dir;  // empty: the relay's
  // What adapter.hello must report.
  Family family = Family::kEvm;
  core::ChainIdentity chain_identity;
  std::chrono::milliseconds call_timeout{30'000};
  std::chrono::milliseconds health_interval{10'000};
  // One reply line holds a whole poll's bundles; each bundle is bounded again by its parser.
  std::size_t max_line_bytes = 64u << 20;
  // Restart pacing: full-jitter exponential backoff per net::backoff_delay; max_attempts is not
  // used (the supervisor restarts for as long as it runs, the engine decides when to give up).
  net::RetryPolicy restart{.max_attempts = 0, .base = std::chrono::milliseconds{500},
                           .cap = std::chrono::milliseconds{60'000}};
  // A process that stayed up this long has its backoff forgotten.
  std::chrono::milliseconds stable_after{60'000};
  // Each stderr line, with the adapter's name; never parsed. Optional.
  std::function<void(std::string_view adapter, std::string_view line)> on_stderr;
  // Uniform in [0, 1) for the jitter; tests pin it.
  std::function<double()> random01;
};

// One adapter process and its restarts. Not thread-safe: every call on one strand (or a
// single-threaded io_context); calls from concurrent coroutines on it are serialized.
class AdapterProcess {
 public:
  static core::Result<std::unique_ptr<AdapterProcess>> create(boost::asio::any_io_executor executor,
                                                              ProcessConfig config);
  ~AdapterProcess();
  AdapterProcess(const AdapterProcess&) = delete;
  AdapterProcess& operator=(const AdapterProcess&) = delete;

  // Spawns the process (if it is not running) and greets it: the hello it gave, checked against
  // the configured family and chain. Fails without retrying; later calls restart as needed.
  boost::asio::awaitable<core::Result<Hello>> start();
  // One request and its result. A process that is not running is (re)started first, after the
  // backoff its earlier deaths earned. A timeout, EOF, garbage or an over-long line kills the
  // process; a JSON-RPC error (kRpcError) leaves it running.
  boost::asio::awaitable<core::Result<Json>> call(std::string method, Json params);
  // adapter.health every health_interval until stop() returns true (checked once per interval);
  // each outcome goes to on_health. Restarts happen through call().
  boost::asio::awaitable<void> supervise(std::function<void(const core::Result<Json>&)> on_health,
                                         std::function<bool()> stop);
  // Kills the process group and reaps it; the next call starts a new one.
  void stop();

  bool running() const noexcept { return child_ != nullptr; }
  pid_t pid() const noexcept;
  // Processes started after the first.
  std::uint64_t restarts() const noexcept { return restarts_; }
  // Deaths since the process last stayed up for stable_after: what the next backoff is based on.
  int deaths() const noexcept { return deaths_; }
  // The backoff waited before the latest restart.
  std::chrono::milliseconds last_backoff() const noexcept { return last_backoff_; }
  const std::optional<Hello>& hello() const noexcept { return hello_; }
  const ProcessConfig& config() const noexcept { return config_; }

 private:
  struct Child;
  // A one-token channel used as an async mutex: calls from concurrent coroutines (the engine's
  // poll, supervise's health check) take turns on the one stdin/stdout.
  using Gate = boost::asio::experimental::channel<void(boost::system::error_code)>;
  class GateHold;

  AdapterProcess(boost::asio::any_io_executor executor, ProcessConfig config);

  core::Result<std::unique_ptr<Child>> spawn();
  // Spawns after the earned backoff and says hello; the process is running on success.
  boost::asio::awaitable<core::Result<Hello>> ensure_running();
  // One request on the running process with the call timeout; kills it on every failure but
  // kRpcError.
  boost::asio::awaitable<core::Result<Json>> exchange_timed(std::string method, Json params);
  boost::asio::awaitable<core::Result<Json>> exchange(std::uint64_t id, std::string request);
  // Kills and reaps the child; the error's detail gains its exit status when the child had
  // already exited by itself.
  core::Error bury(core::Error error);

  boost::asio::any_io_executor executor_;
  ProcessConfig config_;
  Gate gate_;
  std::unique_ptr<Child> child_;
  std::optional<Hello> hello_;
  std::uint64_t next_id_ = 1;
  std::uint64_t restarts_ = 0;
  bool started_once_ = false;
  int deaths_ = 0;
  std::chrono::milliseconds last_backoff_{0};
};

}  // namespace causeway::external
