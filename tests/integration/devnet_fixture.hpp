// TEST-ONLY devnet fixture for integration tests (the same as evm_source_test.cpp's, with a name
// and extra environment): deploy/devnet/devnet.sh up on free ports in a private temporary state
// directory, a watchdog that takes it down if the test process dies, down on destruction.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>
#include "tests/support/source_path.hpp"

namespace causeway::test {

namespace fs = std::filesystem;
using json = nlohmann::json;

inline fs::path source_dir() { return source_path(""); }

// A port nothing listens on now (the kernel's pick for port 0).
inline int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("bind");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

inline std::string quote(const std::string& s) { return "'" + s + "'"; }

// devnet.sh up on free ports in a temporary state directory; down (and cleanup) on destruction.
// A detached watchdog takes the devnet down if this process dies without unwinding.
class Devnet {
 public:
  explicit Devnet(const std::string& name, const std::string& extra_env = {}) {
    state_ = fs::temp_directory_path() / ("causeway-" + name + "." + std::to_string(::getpid()));
    fs::create_directories(state_);
    script_ = (source_dir() / "deploy/devnet/devnet.sh").string();
    env_ = "CAUSEWAY_DEVNET_STATE=" + quote((state_ / "devnet").string()) + " CAUSEWAY_DEVNET_PORT_A=" +
           std::to_string(free_port()) + " CAUSEWAY_DEVNET_PORT_B=" + std::to_string(free_port()) +
           " CAUSEWAY_DEVNET_BLOCK_TIME=0" + (extra_env.empty() ? std::string() : " " + extra_env);
#ifdef CAUSEWAY_CONTRACTS_BUILD
    if (fs::exists(fs::path(CAUSEWAY_CONTRACTS_BUILD) / "Gateway.json")) {
      env_ += " CAUSEWAY_DEVNET_CONTRACTS=" + quote(CAUSEWAY_CONTRACTS_BUILD);
    }
#endif
    const std::string watchdog = "setsid bash -c 'while kill -0 \"$1\" 2>/dev/null; do sleep 1; done; " + env_ +
                                 " \"$2\" down >/dev/null 2>&1; rm -rf \"$3\"' watchdog " + std::to_string(::getpid()) +
                                 " " + quote(script_) + " " + quote(state_.string()) + " </dev/null >/dev/null 2>&1 &";
    (void)std::system(watchdog.c_str());
    const std::string up = env_ + " bash " + quote(script_) + " up > " + quote((state_ / "up.log").string()) + " 2>&1";
    if (std::system(up.c_str()) != 0) {
      std::ifstream log(state_ / "up.log");
      std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
      down();
      throw std::runtime_error("devnet.sh up failed:\n" + text);
    }
    std::ifstream manifest(state_ / "devnet" / "manifest.json");
    manifest_ = json::parse(manifest);
  }
  ~Devnet() { down(); }
  Devnet(const Devnet&) = delete;
  Devnet& operator=(const Devnet&) = delete;

  const json& chain(std::size_t i) const { return manifest_["chains"][i]; }
  const json& manifest() const { return manifest_; }
  const fs::path& state_dir() const { return state_; }

 private:
  void down() {
    const std::string cmd = env_ + " bash " + quote(script_) + " down >/dev/null 2>&1";
    (void)std::system(cmd.c_str());
    std::error_code ignored;
    fs::remove_all(state_, ignored);
  }

  fs::path state_;
  std::string script_;
  std::string env_;
  json manifest_;
};

// Runs one awaitable to completion on `io`.
template <typename T>
T run(boost::asio::io_context& io, boost::asio::awaitable<T> task) {
  std::optional<T> out;
  boost::asio::co_spawn(
      io, [&]() -> boost::asio::awaitable<void> { out.emplace(co_await std::move(task)); }, boost::asio::detached);
  io.restart();
  io.run();
  if (!out) throw std::runtime_error("task did not finish");
  return std::move(*out);
}

}  // namespace causeway::test
