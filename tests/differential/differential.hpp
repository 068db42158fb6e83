// Shared plumbing of the differential tests: loading the oracle's case files from
// $CAUSEWAY_DIFFERENTIAL_DIR and reporting disagreements without flooding the log.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include "relay/core/bytes.hpp"

namespace causeway::test::differential {

// The parsed <family>.json written by oracle.mjs. A missing directory or file fails the test:
// the ctest fixture differential.generate always writes them first.
nlohmann::json load_family(std::string_view family);

// Counts disagreements and shows the first few in full, so a systematic bug prints five cases
// rather than five thousand.
class Disagreements {
 public:
  explicit Disagreements(std::string family) : family_(std::move(family)) {}
  // Records one disagreement; `what` names the case, its input and both outputs.
  void add(const std::string& what);
  std::size_t count() const noexcept { return count_; }
  // Fails the test if any disagreement was recorded, and reports how many cases were compared
  // ("[vectors] differential.<family>: n cases executed", failing on 0).
  void finish(const nlohmann::json& file, std::size_t compared) const;

 private:
  std::string family_;
  std::size_t count_ = 0;
};

// "0x…" of a byte string, for messages.
std::string show(core::ByteView bytes);

}  // namespace causeway::test::differential
