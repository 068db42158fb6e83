// Tests for relay/net/backoff: full-jitter delays and endpoint rotation with an injected clock.
#include <catch2/catch.hpp>

#include "relay/net/backoff.hpp"

using namespace causeway::net;
using std::chrono::milliseconds;

TEST_CASE("backoff ceiling doubles per attempt and stops at the cap", "[unit]") {
  const RetryPolicy policy{10, Millis{100}, Millis{1000}};
  // Just below 1 gives the ceiling minus rounding: the ceiling is what we check.
  const double top = 0.999999;
  CHECK(backoff_delay(policy, 0, top) == Millis{99});
  CHECK(backoff_delay(policy, 1, top) == Millis{199});
  CHECK(backoff_delay(policy, 2, top) == Millis{399});
  CHECK(backoff_delay(policy, 3, top) == Millis{799});
  CHECK(backoff_delay(policy, 4, top) == Millis{999});
  CHECK(backoff_delay(policy, 60, top) == Millis{999});  // no overflow far past the cap
}

TEST_CASE("backoff uses full jitter over [0, ceiling]", "[unit]") {
  const RetryPolicy policy{4, Millis{100}, Millis{5000}};
  CHECK(backoff_delay(policy, 3, 0.0) == Millis{0});
  CHECK(backoff_delay(policy, 3, 0.5) == Millis{400});
  CHECK(backoff_delay(policy, 3, 0.25) == Millis{200});
  CHECK(backoff_delay(policy, 3, 7.0) == Millis{800});  // out-of-range randomness is clamped
}

TEST_CASE("round robin skips cooling endpoints until their cool-down ends", "[unit]") {
  EndpointRotation rotation({0, 0, 0}, Selection::kRoundRobin, Millis{1000});
  const TimePoint t0{};
  CHECK(rotation.pick(t0) == 0);
  CHECK(rotation.pick(t0) == 1);
  CHECK(rotation.pick(t0) == 2);
  rotation.record_failure(0, t0);
  CHECK(rotation.cooling(0, t0));
  CHECK(rotation.pick(t0) == 1);
  CHECK(rotation.pick(t0) == 2);
  CHECK(rotation.pick(t0) == 1);
  CHECK(rotation.failures(0) == 1);
  const TimePoint later = t0 + milliseconds(1000);
  CHECK_FALSE(rotation.cooling(0, later));
  CHECK(rotation.pick(later) == 2);
  CHECK(rotation.pick(later) == 0);
}

TEST_CASE("priority selection prefers the lowest healthy priority", "[unit]") {
  EndpointRotation rotation({5, 1, 3}, Selection::kPriority, Millis{500});
  const TimePoint t0{};
  CHECK(rotation.pick(t0) == 1);
  CHECK(rotation.pick(t0) == 1);
  rotation.record_failure(1, t0);
  CHECK(rotation.pick(t0) == 2);
  rotation.record_success(1);
  CHECK(rotation.pick(t0) == 1);
}

TEST_CASE("when every endpoint cools, the one that recovers first is used", "[unit]") {
  EndpointRotation rotation({0, 0}, Selection::kRoundRobin, Millis{1000});
  const TimePoint t0{};
  rotation.record_failure(1, t0);
  rotation.record_failure(0, t0 + milliseconds(10));
  CHECK(rotation.pick(t0 + milliseconds(20)) == 1);
  // Eligibility narrows the choice (subscriptions need WebSocket endpoints).
  CHECK(rotation.pick(t0 + milliseconds(20), {true, false}) == 0);
}
