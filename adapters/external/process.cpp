// AdapterProcess: posix_spawn with a socket pair and a stderr pipe, calls with timeouts over
// Boost.Asio, restarts with backoff.
#include "adapters/external/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <random>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "relay/net/error.hpp"

extern char** environ;

namespace causeway::external {

namespace asio = boost::asio;
using asio::awaitable;
using namespace asio::experimental::awaitable_operators;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
// stderr is for humans: a longer line is cut, never buffered without bound.
constexpr std::size_t kMaxStderrLine = 4096;
constexpr std::size_t kReadChunk = 64 * 1024;

// A file descriptor closed on scope exit unless released.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const noexcept { return fd_; }
  int release() noexcept { return std::exchange(fd_, -1); }

 private:
  int fd_ = -1;
};

core::Error spawn_error(std::string_view what, int err) {
  return core::Error(reason::kSpawnFailed, std::string(what) + ": " + std::strerror(err));
}

// argv[0] as posix_spawn needs it: a path as given (relative ones from the working directory), or
// a bare name looked up in the PATH of the child's environment (posix_spawnp would search the
// relay's own PATH instead). Checked here, so a missing program is kSpawnFailed whether or not
// the platform's posix_spawn reports a failed exec.
core::Result<std::string> resolve_program(const std::string& program, const std::vector<std::string>& env,
                                          const std::filesystem::path& working_dir) {
  if (program.find('/') != std::string::npos) {
    const std::filesystem::path where = working_dir.empty() ? std::filesystem::path(program) : working_dir / program;
    if (::access(where.c_str(), X_OK) != 0) return spawn_error("\"" + program + "\"", errno);
    return program;
  }
  std::string_view path;
  for (const auto& entry : env) {
    if (entry.starts_with("PATH=")) path = std::string_view(entry).substr(5);
  }
  while (!path.empty()) {
    const auto colon = path.find(':');
    const std::string_view dir = path.substr(0, colon);
    std::string candidate = std::string(dir.empty() ? "." : dir) + "/" + program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    if (colon == std::string_view::npos) break;
    path.remove_prefix(colon + 1);
  }
  return core::Error(reason::kSpawnFailed, "\"" + program + "\" not found in the PATH of the adapter's environment");
}

struct StderrPipe {
  StderrPipe(asio::any_io_executor executor, int fd, std::string adapter,
             std::function<void(std::string_view, std::string_view)> sink)
      : pipe(executor, fd), name(std::move(adapter)), on_line(std::move(sink)) {}
  asio::posix::stream_descriptor pipe;
  std::string name;
  std::function<void(std::string_view, std::string_view)> on_line;
};

// Forwards the child's stderr line by line until it closes. Owns its pipe through the shared
// pointer, so it ends safely whether the child exits or AdapterProcess closes the pipe first.
awaitable<void> forward_stderr(std::shared_ptr<StderrPipe> err) {
  std::vector<char> chunk(4096);
  std::string line;
  const auto emit = [&] {
    if (err->on_line) err->on_line(err->name, net::sanitize_peer_text(line, kMaxStderrLine));
    line.clear();
  };
  for (;;) {
    auto [ec, n] = co_await err->pipe.async_read_some(asio::buffer(chunk), kTuple);
    if (ec) break;
    for (std::size_t i = 0; i < n; ++i) {
      if (chunk[i] == '\n') {
        emit();
      } else if (line.size() < kMaxStderrLine) {
        line.push_back(chunk[i]);
      }
    }
  }
  if (!line.empty() && err->pipe.is_open()) emit();
}

std::string exit_status_text(int status) {
  if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

}  // namespace

struct AdapterProcess::Child {
  Child(asio::any_io_executor executor, std::size_t max_line) : io(executor), framer(max_line) {}
  pid_t pid = -1;
  asio::local::stream_protocol::socket io;  // the child's stdin and stdout
  std::shared_ptr<StderrPipe> err;
  LineFramer framer;
  std::chrono::steady_clock::time_point started;
};

core::Result<std::unique_ptr<AdapterProcess>> AdapterProcess::create(asio::any_io_executor executor,
                                                                      ProcessConfig config) {
  if (config.name.empty()) return core::Error(reason::kBadConfig, "an adapter needs a name");
  if (config.argv.empty() || config.argv[0].empty()) {
    return core::Error(reason::kBadConfig, config.name + ": an adapter needs a command");
  }
  if (config.call_timeout.count() <= 0 || config.health_interval.count() <= 0 || config.max_line_bytes == 0 ||
      config.restart.base.count() <= 0 || config.restart.cap < config.restart.base) {
    return core::Error(reason::kBadConfig, config.name + ": timeouts, line bound and backoff must be positive");
  }
  if (!config.random01) {
    auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
    config.random01 = [engine] { return std::uniform_real_distribution<double>(0.0, 1.0)(*engine); };
  }
  return std::unique_ptr<AdapterProcess>(new AdapterProcess(std::move(executor), std::move(config)));
}

AdapterProcess::AdapterProcess(asio::any_io_executor executor, ProcessConfig config)
    : executor_(executor), config_(std::move(config)), gate_(executor, 1) {}

AdapterProcess::~AdapterProcess() { stop(); }

pid_t AdapterProcess::pid() const noexcept { return child_ ? child_->pid : -1; }

core::Result<std::unique_ptr<AdapterProcess::Child>> AdapterProcess::spawn() {
  CW_TRY(const std::string program, resolve_program(config_.argv[0], config_.env, config_.working_dir));
  std::array<int, 2> pair{};
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair.data()) != 0) return spawn_error("socketpair", errno);
  Fd ours(pair[0]);
  Fd theirs(pair[1]);
  std::array<int, 2> err_pipe{};
  if (::pipe2(err_pipe.data(), O_CLOEXEC) != 0) return spawn_error("pipe", errno);
  Fd err_ours(err_pipe[0]);
  Fd err_theirs(err_pipe[1]);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  // dup2 clears close-on-exec on the target, so the child keeps exactly fds 0, 1 and 2.
  posix_spawn_file_actions_adddup2(&actions, theirs.get(), STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, theirs.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_theirs.get(), STDERR_FILENO);
  if (!config_.working_dir.empty()) posix_spawn_file_actions_addchdir_np(&actions, config_.working_dir.c_str());
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  // Its own process group, so a kill reaches the helpers it started (a shell's children) too;
  // default signal handling and an empty mask whatever the relay set for itself.
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  posix_spawnattr_setpgroup(&attributes, 0);
  sigset_t all;
  sigfillset(&all);
  posix_spawnattr_setsigdefault(&attributes, &all);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attributes, &none);

  std::vector<char*> argv;
  for (const auto& a : config_.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& e : config_.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, program.c_str(), &actions, &attributes, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (rc != 0) return spawn_error(config_.name + ": " + program, rc);

  auto child = std::make_unique<Child>(executor_, config_.max_line_bytes);
  child->pid = pid;
  child->started = std::chrono::steady_clock::now();
  boost::system::error_code ec;
  child->io.assign(asio::local::stream_protocol(), ours.release(), ec);
  if (ec) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    return core::Error(reason::kSpawnFailed, config_.name + ": " + ec.message());
  }
  child->err = std::make_shared<StderrPipe>(executor_, err_ours.release(), config_.name, config_.on_stderr);
  asio::co_spawn(executor_, forward_stderr(child->err), asio::detached);
  return child;
}

void AdapterProcess::stop() {
  if (!child_) return;
  ::kill(-child_->pid, SIGKILL);
  ::kill(child_->pid, SIGKILL);
  ::waitpid(child_->pid, nullptr, 0);
  boost::system::error_code ignored;
  child_->io.close(ignored);
  // The forwarder still owns the pipe; cancelling ends it once what was read is handed on.
  child_->err->pipe.cancel(ignored);
  child_.reset();
}

core::Error AdapterProcess::bury(core::Error error) {
  if (!child_) return error;
  // Reaped after SIGKILL: an adapter that had already exited shows its own status, a live one
  // "killed by signal 9".
  int status = 0;
  ::kill(-child_->pid, SIGKILL);
  ::kill(child_->pid, SIGKILL);
  const bool reaped = ::waitpid(child_->pid, &status, 0) == child_->pid;
  boost::system::error_code ignored;
  child_->io.close(ignored);
  child_->err->pipe.cancel(ignored);
  child_.reset();
  ++deaths_;
  if (reaped && error.reason() == reason::kExited) {
    return core::Error(error.reason(), error.detail() + " (" + exit_status_text(status) + ")");
  }
  return error;
}

awaitable<core::Result<Hello>> AdapterProcess::ensure_running() {
  if (child_ && hello_) co_return *hello_;
  if (deaths_ > 0) {
    last_backoff_ = net::backoff_delay(config_.restart, deaths_ - 1, config_.random01());
    asio::steady_timer pause(executor_, last_backoff_);
    co_await pause.async_wait(kTuple);
  }
  auto spawned = spawn();
  if (!spawned) {
    ++deaths_;
    co_return std::move(spawned).error();
  }
  child_ = std::move(spawned).value();
  hello_.reset();
  if (started_once_) ++restarts_;
  started_once_ = true;
  auto greeting = co_await exchange_timed("adapter.hello", hello_params());
  if (!greeting) {
    co_return bury(std::move(greeting).error());
  }
  auto hello = read_hello(*greeting);
  if (!hello) co_return bury(std::move(hello).error().with_context(config_.name + ": adapter.hello"));
  if (auto fit = check_hello(*hello, config_.family, config_.chain_identity); !fit) {
    co_return bury(std::move(fit).error().with_context(config_.name));
  }
  hello_ = *hello;
  co_return std::move(hello).value();
}

// Holds the gate's one token from construction until the call ends, however it ends.
class AdapterProcess::GateHold {
 public:
  explicit GateHold(Gate& gate) : gate_(gate) {}
  GateHold(const GateHold&) = delete;
  GateHold& operator=(const GateHold&) = delete;
  ~GateHold() { gate_.try_receive([](boost::system::error_code) {}); }

 private:
  Gate& gate_;
};

awaitable<core::Result<Hello>> AdapterProcess::start() {
  co_await gate_.async_send(boost::system::error_code{}, asio::use_awaitable);
  const GateHold hold(gate_);
  co_return co_await ensure_running();
}

awaitable<core::Result<Json>> AdapterProcess::call(std::string method, Json params) {
  co_await gate_.async_send(boost::system::error_code{}, asio::use_awaitable);
  const GateHold hold(gate_);
  CW_CO_CHECK(co_await ensure_running());
  auto result = co_await exchange_timed(std::move(method), std::move(params));
  if (result && child_ && std::chrono::steady_clock::now() - child_->started >= config_.stable_after) deaths_ = 0;
  co_return result;
}

awaitable<core::Result<Json>> AdapterProcess::exchange_timed(std::string method, Json params) {
  const std::uint64_t id = next_id_++;
  std::string request = encode_request(id, method, params);
  asio::steady_timer deadline(executor_, config_.call_timeout);
  auto outcome = co_await (exchange(id, std::move(request)) || deadline.async_wait(asio::use_awaitable));
  const std::string where = config_.name + ": " + method;
  if (outcome.index() == 1) {
    co_return bury(core::Error(reason::kTimeout, "no reply within " + std::to_string(config_.call_timeout.count()) +
                                                     " ms").with_context(where));
  }
  auto result = std::get<0>(std::move(outcome));
  if (result) co_return result;
  core::Error error = std::move(result).error().with_context(where);
  // An rpc error is an answer: the adapter is alive and following the protocol.
  if (error.reason() == reason::kRpcError) co_return error;
  co_return bury(std::move(error));
}

awaitable<core::Result<Json>> AdapterProcess::exchange(std::uint64_t id, std::string request) {
  Child& child = *child_;
  auto [write_error, written] = co_await asio::async_write(child.io, asio::buffer(request), kTuple);
  if (write_error) co_return core::Error(reason::kExited, "stdin closed: " + write_error.message());
  std::vector<char> chunk(kReadChunk);
  for (;;) {
    if (auto line = child.framer.next_line()) {
      if (line->empty()) continue;
      co_return read_reply(*line, id);
    }
    auto [read_error, n] = co_await child.io.async_read_some(asio::buffer(chunk), kTuple);
    if (read_error == asio::error::eof) co_return core::Error(reason::kExited, "stdout closed");
    if (read_error) co_return core::Error(reason::kExited, read_error.message());
    CW_CO_CHECK(child.framer.feed(std::string_view(chunk.data(), n)));
  }
}

awaitable<void> AdapterProcess::supervise(std::function<void(const core::Result<Json>&)> on_health,
                                          std::function<bool()> stop) {
  asio::steady_timer pause(executor_);
  // Slept in slices, so stop() is seen within a quarter second: a SIGTERM to the relay should not
  // wait out a whole health interval.
  constexpr std::chrono::steady_clock::duration kSlice = std::chrono::milliseconds(250);
  for (;;) {
    const auto due = std::chrono::steady_clock::now() + config_.health_interval;
    for (auto now = std::chrono::steady_clock::now(); now < due; now = std::chrono::steady_clock::now()) {
      pause.expires_after(std::min(kSlice, due - now));
      auto [ec] = co_await pause.async_wait(kTuple);
      if (ec || stop()) co_return;
    }
    auto health = co_await call("adapter.health", Json::object());
    if (on_health) on_health(health);
  }
}

}  // namespace causeway::external
