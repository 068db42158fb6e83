// adapters/evm/bloom: rebuilt from the logs of real anvil blocks, it must equal each receipt's and
// each header's logsBloom bit for bit (the node's own computation is the outside reference).
#include <catch2/catch.hpp>

#include "adapters/evm/bloom.hpp"
#include "relay/core/bytes.hpp"
#include "tests/unit/evm/anvil_fixtures.hpp"

using namespace causeway;

namespace {

core::Bytes bytes_of(const nlohmann::json& hex) { return *core::from_hex(hex.get<std::string>()); }

evm::LogsBloom bloom_of_logs(const nlohmann::json& logs) {
  evm::LogsBloom bloom{};
  for (const auto& log : logs) {
    evm::bloom_add(bloom, bytes_of(log["address"]));
    for (const auto& topic : log["topics"]) evm::bloom_add(bloom, bytes_of(topic));
  }
  return bloom;
}

core::Bytes as_bytes(const evm::LogsBloom& bloom) { return core::Bytes(bloom.begin(), bloom.end()); }

}  // namespace

TEST_CASE("evm bloom: rebuilt from the logs, it is each real receipt's and header's logsBloom", "[vectors]") {
  std::size_t blocks_with_logs = 0;
  for (const auto& fork : test::anvil::all_forks()) {
    for (const auto& b : fork.file["blocks"]) {
      INFO(fork.fork << " block " << b["block"]["number"].get<std::string>());
      evm::LogsBloom block_bloom{};
      std::size_t logs = 0;
      for (const auto& r : b["receipts"]) {
        const evm::LogsBloom receipt_bloom = bloom_of_logs(r["logs"]);
        CHECK(as_bytes(receipt_bloom) == bytes_of(r["logsBloom"]));
        for (std::size_t i = 0; i < receipt_bloom.size(); ++i) block_bloom[i] |= receipt_bloom[i];
        logs += r["logs"].size();
      }
      const core::Bytes header_bloom = bytes_of(b["block"]["logsBloom"]);
      CHECK(as_bytes(block_bloom) == header_bloom);
      if (logs == 0) continue;
      ++blocks_with_logs;
      for (const auto& r : b["receipts"]) {
        for (const auto& log : r["logs"]) CHECK(evm::bloom_may_contain(header_bloom, bytes_of(log["address"])));
      }
    }
  }
  CHECK(blocks_with_logs >= 4);  // one busy block per fork
}

TEST_CASE("evm bloom: an item is in a bloom exactly when its three bits are", "[unit]") {
  const core::Bytes gateway(20, 0x5a);
  const core::Bytes other(20, 0x11);
  evm::LogsBloom bloom{};
  CHECK_FALSE(evm::bloom_may_contain(as_bytes(bloom), gateway));
  evm::bloom_add(bloom, gateway);
  CHECK(evm::bloom_may_contain(as_bytes(bloom), gateway));
  std::size_t bits = 0;
  for (const auto byte : bloom) bits += static_cast<std::size_t>(__builtin_popcount(byte));
  CHECK(bits >= 1);
  CHECK(bits <= 3);  // three places, which may coincide
  CHECK_FALSE(evm::bloom_may_contain(as_bytes(bloom), other));
  // Any one of its bits cleared: not in it.
  for (std::size_t at = 0; at < bloom.size(); ++at) {
    for (unsigned bit = 0; bit < 8; ++bit) {
      if ((bloom[at] & (1u << bit)) == 0) continue;
      evm::LogsBloom cleared = bloom;
      cleared[at] = static_cast<std::uint8_t>(cleared[at] & ~(1u << bit));
      CHECK_FALSE(evm::bloom_may_contain(as_bytes(cleared), gateway));
    }
  }
  // A bloom of another length cannot rule anything out.
  CHECK(evm::bloom_may_contain(core::Bytes(255, 0), gateway));
  CHECK(evm::bloom_may_contain(core::Bytes{}, gateway));
}
