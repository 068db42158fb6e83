// The relay engine (DESIGN.md section 4): per chain a watcher (observe → verify → persist), per
// lane a delivery pipeline (vote → submit → confirm), an acknowledgement pipeline (prove the
// execution back → acknowledge) and a reconciliation sweep. Everything runs as C++20 coroutines on
// one io_context thread, which makes that thread the store's single writer; verification runs on
// a thread pool.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "relay/core/result.hpp"
#include "relay/core/secp256k1.hpp"
#include "relay/engine/config.hpp"
#include "relay/engine/metrics.hpp"
#include "relay/store/store.hpp"

namespace causeway::engine {

namespace reason {
inline constexpr core::Reason kBadConfig{"engine.bad_config"};
// The chain's gateway has another attester threshold than the config says.
inline constexpr core::Reason kThresholdMismatch{"engine.threshold_mismatch"};
// The vote key is not an attester of a gateway the relay delivers to.
inline constexpr core::Reason kNotAttester{"engine.not_attester"};
inline constexpr core::Reason kUnknownLane{"engine.unknown_lane"};
}  // namespace reason

// A durable state change of one message, as the API's stream and the log report it.
struct TransitionEvent {
  core::MessageId id;
  store::MessageState to = store::MessageState::kObserved;
  std::string lane;  // the config lane's name; empty when no configured lane carries it
  core::Claim claim;
  std::string reason;  // parking reason
};

// The secrets the engine signs with, unlocked by the caller (relay/app) from the config's key refs.
struct EngineKeys {
  std::optional<core::PrivateKey> vote;              // the attester key
  std::map<std::string, core::PrivateKey> gas;       // per chain name
};

struct EngineOptions {
  // Unix seconds for next-attempt times; injectable for tests.
  std::function<std::uint64_t()> clock;
  // Told about every event worth a log line (level, text); the app routes it to spdlog.
  std::function<void(int level, const std::string&)> log;
  // Signs and stores an audit checkpoint; called every relay.checkpoint_every when set.
  std::function<core::Result<void>()> checkpoint;
  // Told about every transition once it is committed (on the engine's thread).
  std::function<void(const TransitionEvent&)> on_transition;
};

// What /readyz and the API report.
struct EngineStatus {
  bool ready = false;  // every chain had its start-up attempt and in-flight recovery was done where reachable
  nlohmann::json detail;
};

class Engine {
 public:
  static core::Result<std::unique_ptr<Engine>> create(boost::asio::io_context& io, const Config& config,
                                                      store::Store& store, Metrics& metrics, EngineKeys keys,
                                                      EngineOptions options = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Runs every pipeline until stop(); returns once they all finished their current step.
  boost::asio::awaitable<void> run();
  // Asks every pipeline to finish its current step and return (SIGTERM). Thread-safe.
  void stop();
  // Called on the engine's thread.
  EngineStatus status() const;
  // The configuration it runs, as given to create().
  const Config& config() const noexcept;
  // Per configured lane name, the store lane keys (store::lane_key) its messages carry: those of
  // its unordered and its ordered lane.
  std::map<std::string, std::vector<core::Hash32>> store_lanes() const;

  // Operator actions (the API's admin endpoints and the CLI); on the engine's thread.
  // A paused lane holds its messages (nothing lost) until resumed; resuming also clears a halt.
  core::Result<void> pause_lane(const std::string& lane, const std::string& reason);
  core::Result<void> resume_lane(const std::string& lane);
  // A parked message goes back to the stage it was parked at, due at once.
  core::Result<void> retry(const core::MessageId& id);
  core::Result<void> park(const core::MessageId& id, const std::string& reason);

 private:
  struct Impl;
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// A token bucket: `rate` tokens per second up to `burst`; rate 0 means unlimited.
class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;
  TokenBucket(double rate, double burst, Clock::time_point now);
  // Takes up to `wanted` whole tokens; returns how many were taken.
  std::size_t take(std::size_t wanted, Clock::time_point now);
  // How long until one token is available.
  Clock::duration wait_for_one(Clock::time_point now) const;

 private:
  void refill(Clock::time_point now);
  double rate_;
  double burst_;
  double tokens_;
  Clock::time_point last_;
};

// Opens after `failures` consecutive failures; after `cool_down` lets one attempt through
// (half-open): its success closes the breaker, its failure opens it again.
class CircuitBreaker {
 public:
  using Clock = std::chrono::steady_clock;
  CircuitBreaker(std::uint32_t failures, Clock::duration cool_down) : limit_(failures), cool_down_(cool_down) {}
  bool allows(Clock::time_point now) const noexcept;
  bool open(Clock::time_point now) const noexcept { return !allows(now); }
  void success() noexcept { failures_ = 0; }
  void failure(Clock::time_point now) noexcept;

 private:
  std::uint32_t limit_;
  Clock::duration cool_down_;
  std::uint32_t failures_ = 0;
  Clock::time_point opened_at_{};
};

// Capped exponential backoff for a message's next attempt: initial × 2^attempts, at most `max`.
std::chrono::milliseconds retry_delay(const RetrySettings& retry, std::uint32_t attempts) noexcept;

}  // namespace causeway::engine
