// Tests for adapters/evm/gas.cpp: the batch limit keeps the 63/64 headroom (THREATS 28), fees stay
// under their cap, and replacements clear the nodes' 10% bump rule.
#include <catch2/catch.hpp>

#include <array>
#include <limits>

#include "adapters/evm/gas.hpp"

namespace causeway::test {
namespace {

using evm::Fees;
namespace rg = evm::reason::gas;

TEST_CASE("a batch gas limit covers Σ gasLimit × 64/63 plus overheads, and the estimate with headroom", "[unit]") {
  evm::GasPolicy policy;
  policy.cap = 10'000'000;
  policy.fixed_overhead = 50'000;
  policy.per_message_overhead = 70'000;
  const std::array<std::uint64_t, 3> limits{100'000, 200'000, 300'000};
  // ceil(600000 × 64 / 63) = 609524; + 3 × 70000 + 50000.
  auto plain = evm::batch_gas_limit(limits, std::nullopt, policy);
  REQUIRE(plain.ok());
  CHECK(*plain == 609'524 + 210'000 + 50'000);
  // A larger estimate wins, padded by 20%.
  CHECK(evm::batch_gas_limit(limits, 1'000'000, policy).value() == 1'200'000);
  // A smaller one does not lower the requirement.
  CHECK(evm::batch_gas_limit(limits, 100'000, policy).value() == *plain);
  // Padding is cut at the cap, but an estimate above the cap is refused.
  CHECK(evm::batch_gas_limit(limits, 9'000'000, policy).value() == policy.cap);
  CHECK(evm::batch_gas_limit(limits, 10'000'001, policy).error().reason() == rg::kOverCap);
}

TEST_CASE("a batch that needs more than the cap must be split", "[unit]") {
  evm::GasPolicy policy;
  policy.cap = 1'000'000;
  const std::array<std::uint64_t, 2> limits{500'000, 500'000};
  CHECK(evm::batch_gas_limit(limits, std::nullopt, policy).error().reason() == rg::kOverCap);
  const std::array<std::uint64_t, 2> huge{std::numeric_limits<std::uint64_t>::max(), 1};
  CHECK(evm::batch_gas_limit(huge, std::nullopt, policy).error().reason() == rg::kOverflow);
  CHECK(evm::batch_gas_limit({}, std::nullopt, policy).error().reason() == rg::kEmptyBatch);
}

TEST_CASE("fees follow base fee and tip under the cap", "[unit]") {
  evm::FeePolicy policy;
  policy.max_fee_cap = 100;
  policy.min_priority_fee = 2;
  policy.max_priority_fee = 10;
  CHECK(evm::choose_fees(20, 5, policy).value() == Fees{45, 5});
  CHECK(evm::choose_fees(20, 50, policy).value() == Fees{50, 10});  // tip clamped
  CHECK(evm::choose_fees(20, 0, policy).value() == Fees{42, 2});
  CHECK(evm::choose_fees(60, 5, policy).value() == Fees{100, 5});   // capped
  CHECK(evm::choose_fees(99, 5, policy).error().reason() == rg::kBaseFeeAboveCap);
  CHECK(evm::choose_fees(0, 0, policy).value() == Fees{2, 2});      // zero base fee (private chains)
}

TEST_CASE("fee bumps clear the 10% replacement rule and respect the cap", "[unit]") {
  evm::FeePolicy policy;
  policy.max_fee_cap = 1'000;
  policy.min_priority_fee = 1;
  policy.max_priority_fee = 100;
  policy.bump_percent = 10;
  const Fees old{100, 10};
  auto bumped = evm::bump_fees(old, 10, 1, policy);
  REQUIRE(bumped.ok());
  CHECK(*bumped == Fees{110, 11});
  CHECK(evm::is_sufficient_bump(old, *bumped));
  CHECK_FALSE(evm::is_sufficient_bump(old, Fees{109, 11}));
  CHECK_FALSE(evm::is_sufficient_bump(old, Fees{110, 10}));
  CHECK_FALSE(evm::is_sufficient_bump(Fees{0, 0}, Fees{0, 0}));
  CHECK(evm::is_sufficient_bump(Fees{0, 0}, Fees{1, 1}));
  // The market can demand more than the bump.
  CHECK(evm::bump_fees(old, 300, 50, policy).value() == Fees{650, 50});
  CHECK(evm::bump_fees(Fees{950, 10}, 10, 1, policy).error().reason() == rg::kBumpOverCap);
  // A configured bump below 10% is raised to 10%.
  policy.bump_percent = 1;
  CHECK(evm::bump_fees(old, 0, 1, policy).value() == Fees{110, 11});
  CHECK(evm::bump_gas_price(100, 0, policy).value() == 110);
  CHECK(evm::bump_gas_price(3, 0, policy).value() == 4);  // at least 1 wei more
}

}  // namespace
}  // namespace causeway::test
