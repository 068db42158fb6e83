// Retry pacing: exponential backoff with full jitter, and the endpoint rotation with cool-down.
// Pure: time and randomness come in as arguments so tests never sleep or read the wall clock.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace causeway::net {

using Millis = std::chrono::milliseconds;
using TimePoint = std::chrono::steady_clock::time_point;

struct RetryPolicy {
  int max_attempts = 4;  // attempts in total, the first included
  Millis base{100};
  Millis cap{5000};
};

// Delay before retry number attempt + 1 (attempt counts from 0): uniform in
// [0, min(cap, base * 2^attempt)], drawn from random01 in [0, 1). Full jitter keeps many relays
// that failed together from retrying together.
Millis backoff_delay(const RetryPolicy& policy, int attempt, double random01);

enum class Selection {
  kRoundRobin,  // spread load over every healthy endpoint
  kPriority,    // always the healthy endpoint with the lowest priority number
};

// Which endpoint to try next. An endpoint that fails is cooled down for a while; cooling
// endpoints are used only when every endpoint is cooling (better a doubtful endpoint than none).
class EndpointRotation {
 public:
  EndpointRotation(std::vector<int> priorities, Selection selection, Millis cool_down);

  // Next endpoint among those with eligible[i] (all if eligible is empty); nullopt-free: the
  // caller guarantees at least one eligible endpoint.
  std::size_t pick(TimePoint now, const std::vector<bool>& eligible = {});
  void record_failure(std::size_t endpoint, TimePoint now);
  void record_success(std::size_t endpoint);
  bool cooling(std::size_t endpoint, TimePoint now) const;
  std::uint64_t failures(std::size_t endpoint) const { return state_[endpoint].failures; }
  std::size_t size() const noexcept { return state_.size(); }

 private:
  struct State {
    int priority = 0;
    TimePoint cool_until{};
    std::uint64_t failures = 0;
  };
  std::vector<State> state_;
  Selection selection_;
  Millis cool_down_;
  std::size_t cursor_ = 0;
};

}  // namespace causeway::net
