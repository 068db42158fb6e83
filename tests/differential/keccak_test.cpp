// Differential test: our keccak256 against ethers' on random inputs of 0..600 bytes, every
// length around the 136-byte rate boundaries included.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

#include "relay/core/hash.hpp"
#include "tests/differential/differential.hpp"
#include "tests/support/vectors.hpp"

namespace causeway::test::differential {
namespace {

TEST_CASE("keccak256 agrees with ethers on random inputs", "[differential][keccak]") {
  const auto file = load_family("keccak");
  Disagreements bad("keccak");
  std::size_t compared = 0;
  for (const auto& c : file.at("cases")) {
    const core::Bytes input = hex(c.at("input").get<std::string>());
    const core::Bytes expected = hex(c.at("hash").get<std::string>());
    const core::Hash32 ours = core::keccak256(input);
    // The multi-part overload must agree too: split the input at an arbitrary point.
    const std::size_t cut = input.size() / 3;
    const core::ByteView view(input);
    const core::Hash32 parts = core::keccak256({view.first(cut), view.subspan(cut)});
    if (!std::equal(ours.bytes.begin(), ours.bytes.end(), expected.begin(), expected.end()) || parts != ours) {
      bad.add("input " + show(input) + " (" + std::to_string(input.size()) + " bytes): ours " +
              core::to_hex(ours) + ", parts " + core::to_hex(parts) + ", ethers " + show(expected));
    }
    ++compared;
  }
  bad.finish(file, compared);
}

}  // namespace
}  // namespace causeway::test::differential
