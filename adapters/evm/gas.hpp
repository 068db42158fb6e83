// Gas limits and fees for target writes: a batch limit with headroom for the gateway's 63/64 guard
// (PROTOCOL.md section 5, THREATS 28), EIP-1559 fee choice under a cap, and replacement bumps.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "relay/core/result.hpp"

namespace causeway::evm {

namespace reason::gas {
// The batch needs more gas than the cap allows: split it.
inline constexpr core::Reason kOverCap{"gas.over_cap"};
inline constexpr core::Reason kOverflow{"gas.overflow"};
inline constexpr core::Reason kEmptyBatch{"gas.empty_batch"};
// The base fee alone is above the fee cap: wait rather than submit a transaction that cannot land.
inline constexpr core::Reason kBaseFeeAboveCap{"gas.base_fee_above_cap"};
// A replacement would need fees above the cap.
inline constexpr core::Reason kBumpOverCap{"gas.bump_over_cap"};
inline constexpr core::Reason kBadPolicy{"gas.bad_policy"};
}  // namespace reason::gas

struct GasPolicy {
  std::uint64_t cap = 15'000'000;            // never ask for more than this per transaction
  std::uint64_t fixed_overhead = 60'000;     // intrinsic gas, calldata, the deliver loop itself
  std::uint64_t per_message_overhead = 80'000;  // id recomputation, signature checks, storage, event
  std::uint32_t estimate_headroom_percent = 20;  // the node's estimate × 1.2
};

// ceil(Σ gasLimit × 64/63) + n × per_message + fixed: what the gateway must be able to pass on,
// so an under-gassed call reverts instead of recording a failure. Then at least estimate × (1 +
// headroom), and at most the cap; kOverCap when the requirement or the estimate exceeds the cap.
core::Result<std::uint64_t> batch_gas_limit(std::span<const std::uint64_t> message_gas_limits,
                                            std::optional<std::uint64_t> estimate, const GasPolicy& policy);

// Fees in wei per gas. 64 bits hold 18 ether per gas, far beyond any real price.
struct Fees {
  std::uint64_t max_fee_per_gas = 0;
  std::uint64_t max_priority_fee_per_gas = 0;
  friend bool operator==(const Fees&, const Fees&) = default;
};

struct FeePolicy {
  std::uint64_t max_fee_cap = 500'000'000'000;       // 500 gwei
  std::uint64_t min_priority_fee = 1'000'000'000;    // 1 gwei
  std::uint64_t max_priority_fee = 50'000'000'000;   // 50 gwei
  std::uint32_t base_fee_multiplier = 2;             // room for base-fee growth while pending
  // Replacement bump. Nodes refuse a replacement below 10% on both fields (geth, Besu).
  std::uint32_t bump_percent = 12;
};

inline constexpr std::uint32_t kMinReplacementBumpPercent = 10;

// max_fee = base × multiplier + priority, capped; priority = suggested clamped to [min, max] and
// never above max_fee. kBaseFeeAboveCap when base + min priority cannot fit under the cap.
core::Result<Fees> choose_fees(std::uint64_t base_fee, std::uint64_t suggested_priority_fee, const FeePolicy& policy);

// Fees for a replacement of `old`: both fields raised by at least bump_percent (and by at least
// 1 wei), and at least what choose_fees gives for the current market; kBumpOverCap if that
// exceeds the cap.
core::Result<Fees> bump_fees(const Fees& old, std::uint64_t base_fee, std::uint64_t suggested_priority_fee,
                             const FeePolicy& policy);
// The same for a legacy gas price.
core::Result<std::uint64_t> bump_gas_price(std::uint64_t old, std::uint64_t market_price, const FeePolicy& policy);

// Would a node accept `replacement` for `old`? Both fields strictly higher and ≥ old × (100 +
// percent) / 100, as geth's tx pool checks.
bool is_sufficient_bump(const Fees& old, const Fees& replacement,
                        std::uint32_t percent = kMinReplacementBumpPercent) noexcept;

}  // namespace causeway::evm
