// The engine's flow control: the per-lane token bucket (rate limit), the circuit breaker and the
// capped exponential retry delay. Times are injected; nothing sleeps.
#include <catch2/catch.hpp>

#include <chrono>

#include "relay/engine/engine.hpp"

using namespace causeway;
using engine::CircuitBreaker;
using engine::TokenBucket;
using namespace std::chrono_literals;

TEST_CASE("token bucket: burst first, then the rate", "[unit]") {
  const auto t0 = TokenBucket::Clock::time_point{} + 1h;
  TokenBucket bucket(5, 10, t0);
  CHECK(bucket.take(4, t0) == 4);
  CHECK(bucket.take(100, t0) == 6);  // the rest of the burst
  CHECK(bucket.take(1, t0) == 0);
  CHECK(bucket.wait_for_one(t0) == std::chrono::duration_cast<TokenBucket::Clock::duration>(200ms));
  CHECK(bucket.take(100, t0 + 1s) == 5);  // 5 per second
  CHECK(bucket.take(100, t0 + 1h) == 10);  // never more than the burst
}

TEST_CASE("token bucket: rate 0 is unlimited; burst 0 means the rate", "[unit]") {
  const auto t0 = TokenBucket::Clock::time_point{} + 1h;
  TokenBucket unlimited(0, 0, t0);
  CHECK(unlimited.take(1'000'000, t0) == 1'000'000);
  CHECK(unlimited.wait_for_one(t0) == TokenBucket::Clock::duration::zero());
  TokenBucket per_second(3, 0, t0);
  CHECK(per_second.take(10, t0) == 3);
  CHECK(per_second.take(10, t0) == 0);
}

TEST_CASE("circuit breaker opens after N failures, half-opens after the cool-down", "[unit]") {
  const auto t0 = CircuitBreaker::Clock::time_point{} + 1h;
  CircuitBreaker breaker(3, 30s);
  CHECK(breaker.allows(t0));
  breaker.failure(t0);
  breaker.failure(t0);
  CHECK(breaker.allows(t0));
  breaker.failure(t0);
  CHECK_FALSE(breaker.allows(t0));
  CHECK(breaker.open(t0 + 29s));
  CHECK(breaker.allows(t0 + 30s));  // half-open: one attempt
  breaker.failure(t0 + 30s);        // it failed: open again from now
  CHECK_FALSE(breaker.allows(t0 + 31s));
  CHECK(breaker.allows(t0 + 60s));
  breaker.success();
  CHECK(breaker.allows(t0 + 60s));
  breaker.failure(t0 + 61s);
  CHECK(breaker.allows(t0 + 61s));  // one failure after a success does not open it
}

TEST_CASE("retry delay doubles from the initial delay up to the cap", "[unit]") {
  engine::RetrySettings retry;
  retry.initial = 1000ms;
  retry.max = 60'000ms;
  CHECK(engine::retry_delay(retry, 0) == 1000ms);
  CHECK(engine::retry_delay(retry, 1) == 2000ms);
  CHECK(engine::retry_delay(retry, 5) == 32'000ms);
  CHECK(engine::retry_delay(retry, 6) == 60'000ms);
  CHECK(engine::retry_delay(retry, 4'000'000'000u) == 60'000ms);  // no overflow
}

TEST_CASE("a redelivery short of the threshold backs off after a few; one that can execute the message does not",
          "[unit]") {
  using engine::kRedeliverAfterSeconds;
  CHECK(engine::redeliver_after_seconds(1, false) == kRedeliverAfterSeconds);
  CHECK(engine::redeliver_after_seconds(50, false) == kRedeliverAfterSeconds);
  CHECK(engine::redeliver_after_seconds(1, true) == kRedeliverAfterSeconds);
  CHECK(engine::redeliver_after_seconds(engine::kRedeliverSteady, true) == kRedeliverAfterSeconds);
  CHECK(engine::redeliver_after_seconds(engine::kRedeliverSteady + 1, true) == 2 * kRedeliverAfterSeconds);
  CHECK(engine::redeliver_after_seconds(engine::kRedeliverSteady + 2, true) == 4 * kRedeliverAfterSeconds);
  CHECK(engine::redeliver_after_seconds(engine::kRedeliverSteady + 3, true) == 8 * kRedeliverAfterSeconds);
  CHECK(engine::redeliver_after_seconds(engine::kRedeliverSteady + 4, true) == engine::kRedeliverMaxSeconds);
  CHECK(engine::redeliver_after_seconds(4'000'000'000u, true) == engine::kRedeliverMaxSeconds);  // no overflow
}
