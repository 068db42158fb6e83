// Backoff arithmetic and endpoint rotation (see backoff.hpp).
#include "relay/net/backoff.hpp"

#include <algorithm>
#include <cmath>

namespace causeway::net {

Millis backoff_delay(const RetryPolicy& policy, int attempt, double random01) {
  const auto cap = std::max<std::int64_t>(policy.cap.count(), 0);
  std::int64_t ceiling = std::max<std::int64_t>(policy.base.count(), 0);
  // Doubling stops at the cap, so no shift or multiply can overflow.
  for (int i = 0; i < attempt && ceiling < cap; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, cap);
  const double r = std::clamp(random01, 0.0, 1.0);
  const auto delay = static_cast<std::int64_t>(std::floor(r * static_cast<double>(ceiling)));
  return Millis{std::min(delay, ceiling)};
}

EndpointRotation::EndpointRotation(std::vector<int> priorities, Selection selection,
                                   Millis cool_down)
    : selection_(selection), cool_down_(cool_down) {
  state_.reserve(priorities.size());
  for (int p : priorities) state_.push_back(State{p, {}, 0});
}

bool EndpointRotation::cooling(std::size_t endpoint, TimePoint now) const {
  return now < state_[endpoint].cool_until;
}

std::size_t EndpointRotation::pick(TimePoint now, const std::vector<bool>& eligible) {
  const std::size_t n = state_.size();
  auto ok = [&](std::size_t i) { return eligible.empty() || eligible[i]; };
  std::size_t best = n;
  if (selection_ == Selection::kRoundRobin) {
    for (std::size_t step = 0; step < n; ++step) {
      const std::size_t i = (cursor_ + step) % n;
      if (ok(i) && !cooling(i, now)) {
        best = i;
        break;
      }
    }
  } else {
    for (std::size_t i = 0; i < n; ++i) {
      if (ok(i) && !cooling(i, now) && (best == n || state_[i].priority < state_[best].priority)) {
        best = i;
      }
    }
  }
  if (best == n) {
    // Everything eligible is cooling: take the one that recovers first.
    for (std::size_t i = 0; i < n; ++i) {
      if (ok(i) && (best == n || state_[i].cool_until < state_[best].cool_until)) best = i;
    }
  }
  if (best == n) best = 0;  // no eligible endpoint: a caller bug, but stay in range
  cursor_ = (best + 1) % n;
  return best;
}

void EndpointRotation::record_failure(std::size_t endpoint, TimePoint now) {
  state_[endpoint].cool_until = now + cool_down_;
  ++state_[endpoint].failures;
}

void EndpointRotation::record_success(std::size_t endpoint) { state_[endpoint].cool_until = {}; }

}  // namespace causeway::net
