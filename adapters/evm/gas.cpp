// See gas.hpp. All arithmetic is checked: a wrapped gas limit or fee would be a silent loss.
#include "adapters/evm/gas.hpp"

#include <algorithm>
#include <string>

namespace causeway::evm {
namespace {

using core::Error;
using core::Result;

bool add(std::uint64_t a, std::uint64_t b, std::uint64_t& out) noexcept { return !__builtin_add_overflow(a, b, &out); }
bool mul(std::uint64_t a, std::uint64_t b, std::uint64_t& out) noexcept { return !__builtin_mul_overflow(a, b, &out); }

// value × percent / 100 rounded down (or up), without overflowing on value × percent.
bool percent_of(std::uint64_t value, std::uint32_t percent, bool round_up, std::uint64_t& out) noexcept {
  std::uint64_t whole = 0;
  if (!mul(value / 100, percent, whole)) return false;
  const std::uint64_t rest = (value % 100) * percent;  // < 100 × 2^32: no overflow
  return add(whole, rest / 100 + (round_up && rest % 100 != 0 ? 1 : 0), out);
}

// old raised by at least percent (rounded up) and by at least 1.
bool raised(std::uint64_t old, std::uint32_t percent, std::uint64_t& out) noexcept {
  std::uint64_t increase = 0;
  if (!percent_of(old, percent, true, increase)) return false;
  return add(old, std::max<std::uint64_t>(increase, 1), out);
}

}  // namespace

Result<std::uint64_t> batch_gas_limit(std::span<const std::uint64_t> message_gas_limits,
                                      std::optional<std::uint64_t> estimate, const GasPolicy& policy) {
  if (message_gas_limits.empty()) return Error(reason::gas::kEmptyBatch);
  std::uint64_t sum = 0;
  for (const auto limit : message_gas_limits) {
    if (!add(sum, limit, sum)) return Error(reason::gas::kOverflow, "sum of message gas limits");
  }
  std::uint64_t scaled = 0;  // ceil(sum × 64 / 63)
  if (!mul(sum, 64, scaled) || !add(scaled, 62, scaled)) return Error(reason::gas::kOverflow, "64/63 headroom");
  scaled /= 63;
  std::uint64_t per_message = 0;
  std::uint64_t required = 0;
  if (!mul(policy.per_message_overhead, message_gas_limits.size(), per_message) ||
      !add(scaled, per_message, required) || !add(required, policy.fixed_overhead, required)) {
    return Error(reason::gas::kOverflow, "overheads");
  }
  if (required > policy.cap) {
    return Error(reason::gas::kOverCap, "batch needs " + std::to_string(required) + ", cap " + std::to_string(policy.cap));
  }
  std::uint64_t limit = required;
  if (estimate) {
    if (*estimate > policy.cap) {
      return Error(reason::gas::kOverCap, "estimate " + std::to_string(*estimate) + ", cap " + std::to_string(policy.cap));
    }
    std::uint64_t headroom = 0;
    std::uint64_t padded = policy.cap;
    if (percent_of(*estimate, policy.estimate_headroom_percent, true, headroom) && add(*estimate, headroom, padded)) {
      padded = std::min(padded, policy.cap);
    }
    limit = std::max(limit, padded);
  }
  return limit;
}

Result<Fees> choose_fees(std::uint64_t base_fee, std::uint64_t suggested_priority_fee, const FeePolicy& policy) {
  if (policy.min_priority_fee > policy.max_priority_fee) return Error(reason::gas::kBadPolicy, "min priority fee above max");
  std::uint64_t floor = 0;
  if (!add(base_fee, policy.min_priority_fee, floor) || floor > policy.max_fee_cap) {
    return Error(reason::gas::kBaseFeeAboveCap,
                 "base fee " + std::to_string(base_fee) + ", cap " + std::to_string(policy.max_fee_cap));
  }
  const std::uint64_t priority = std::clamp(suggested_priority_fee, policy.min_priority_fee, policy.max_priority_fee);
  std::uint64_t max_fee = policy.max_fee_cap;
  std::uint64_t grown = 0;
  if (mul(base_fee, policy.base_fee_multiplier, grown) && add(grown, priority, grown)) {
    max_fee = std::min(grown, policy.max_fee_cap);
  }
  return Fees{max_fee, std::min(priority, max_fee)};
}

Result<Fees> bump_fees(const Fees& old, std::uint64_t base_fee, std::uint64_t suggested_priority_fee,
                       const FeePolicy& policy) {
  const std::uint32_t percent = std::max(policy.bump_percent, kMinReplacementBumpPercent);
  Fees out;
  if (!raised(old.max_fee_per_gas, percent, out.max_fee_per_gas) ||
      !raised(old.max_priority_fee_per_gas, percent, out.max_priority_fee_per_gas)) {
    return Error(reason::gas::kBumpOverCap, "fees overflow");
  }
  if (auto market = choose_fees(base_fee, suggested_priority_fee, policy)) {
    out.max_fee_per_gas = std::max(out.max_fee_per_gas, market->max_fee_per_gas);
    out.max_priority_fee_per_gas = std::max(out.max_priority_fee_per_gas, market->max_priority_fee_per_gas);
  }
  out.max_fee_per_gas = std::max(out.max_fee_per_gas, out.max_priority_fee_per_gas);
  if (out.max_fee_per_gas > policy.max_fee_cap) {
    return Error(reason::gas::kBumpOverCap,
                 "needs " + std::to_string(out.max_fee_per_gas) + ", cap " + std::to_string(policy.max_fee_cap));
  }
  return out;
}

Result<std::uint64_t> bump_gas_price(std::uint64_t old, std::uint64_t market_price, const FeePolicy& policy) {
  const std::uint32_t percent = std::max(policy.bump_percent, kMinReplacementBumpPercent);
  std::uint64_t out = 0;
  if (!raised(old, percent, out)) return Error(reason::gas::kBumpOverCap, "gas price overflow");
  out = std::max(out, market_price);
  if (out > policy.max_fee_cap) {
    return Error(reason::gas::kBumpOverCap, "needs " + std::to_string(out) + ", cap " + std::to_string(policy.max_fee_cap));
  }
  return out;
}

bool is_sufficient_bump(const Fees& old, const Fees& replacement, std::uint32_t percent) noexcept {
  const auto enough = [percent](std::uint64_t before, std::uint64_t after) {
    std::uint64_t increase = 0;
    std::uint64_t threshold = 0;
    if (!percent_of(before, percent, false, increase) || !add(before, increase, threshold)) return false;
    return after > before && after >= threshold;
  };
  return enough(old.max_fee_per_gas, replacement.max_fee_per_gas) &&
         enough(old.max_priority_fee_per_gas, replacement.max_priority_fee_per_gas);
}

}  // namespace causeway::evm
