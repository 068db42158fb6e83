// Loads the real anvil block/receipt captures in tests/unit/evm/data (capture_anvil_blocks.mjs).
#pragma once

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include "tests/support/source_path.hpp"

namespace causeway::test::anvil {

struct ForkFixture {
  std::string fork;
  std::size_t header_fields = 0;  // what A.2 gives this fork
  nlohmann::json file;
};

inline nlohmann::json load(const std::string& name) {
  const auto path = test::source_path("tests/unit/evm/data/" + name);
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open fixture " + path.string());
  return nlohmann::json::parse(in);
}

// Parsed once per test run: the files are large and every test case reads them.
inline const std::vector<ForkFixture>& all_forks() {
  static const std::vector<ForkFixture> forks{
      {"london", 16, load("anvil_blocks_london.json")},
      {"shanghai", 17, load("anvil_blocks_shanghai.json")},
      {"cancun", 20, load("anvil_blocks_cancun.json")},
      {"prague", 21, load("anvil_blocks_prague.json")},
  };
  return forks;
}

// The block of `fixture` with the most receipts (the mixed-transaction block of every fork).
inline const nlohmann::json& busiest_block(const ForkFixture& fixture, std::size_t min_receipts = 0,
                                           std::size_t max_receipts = 1000) {
  const nlohmann::json* best = nullptr;
  for (const auto& b : fixture.file["blocks"]) {
    const auto n = b["receipts"].size();
    if (n < min_receipts || n > max_receipts) continue;
    if (best == nullptr || n > (*best)["receipts"].size()) best = &b;
  }
  if (best == nullptr) throw std::runtime_error("no such block in " + fixture.fork);
  return *best;
}

}  // namespace causeway::test::anvil
