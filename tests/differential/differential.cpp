// See differential.hpp.
#include "tests/differential/differential.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "tests/support/vectors.hpp"

namespace causeway::test::differential {
namespace {

constexpr std::size_t kShown = 5;

std::string seed_of(const nlohmann::json& file) {
  if (!file.contains("seed")) return "?";
  const auto& seed = file.at("seed");
  return seed.is_string() ? seed.get<std::string>() : seed.dump();
}

}  // namespace

nlohmann::json load_family(std::string_view family) {
  const char* dir = std::getenv("CAUSEWAY_DIFFERENTIAL_DIR");
  if (dir == nullptr || *dir == '\0') {
    FAIL("CAUSEWAY_DIFFERENTIAL_DIR is not set: run through ctest (differential.generate writes the "
         "cases), or run tests/differential/oracle.mjs <dir> and point the variable at <dir>");
  }
  const auto path = std::filesystem::path(dir) / (std::string(family) + ".json");
  std::ifstream in(path);
  if (!in.good()) FAIL("differential cases not found: " << path.string());
  auto parsed = nlohmann::json::parse(in);
  REQUIRE(parsed.contains("cases"));
  REQUIRE(parsed.at("cases").is_array());
  return parsed;
}

void Disagreements::add(const std::string& what) {
  ++count_;
  if (count_ <= kShown) FAIL_CHECK("differential." << family_ << " disagreement: " << what);
}

void Disagreements::finish(const nlohmann::json& file, std::size_t compared) const {
  const std::string seed = seed_of(file);
  if (count_ > 0) {
    FAIL_CHECK("differential." << family_ << ": " << count_ << " disagreements in " << compared
                               << " cases with " << file.value("oracle", std::string("the oracle"))
                               << " (seed " << seed << "; first " << kShown << " shown above)");
  }
  report_cases("differential." + family_ + " (seed " + seed + ")", compared);
}

std::string show(core::ByteView bytes) { return core::to_hex(bytes); }

}  // namespace causeway::test::differential
