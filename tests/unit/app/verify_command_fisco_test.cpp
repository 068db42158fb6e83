// run_verify (relay/app/verify_command.cpp) on the derived FISCO 2.x and 3.x bundles
// (data/fisco_derived.json) written to a temp dir, as `causeway verify BUNDLE --trust ANCHORS` sees
// them: exit codes, the FISCO nodes of the printed check tree, and a mutated bundle's reason.
#include <stdlib.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "relay/app/verify_command.hpp"
#include "tests/unit/verify/bundle_fixtures.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/unit/app/verify_run.hpp"

namespace {

namespace fs = std::filesystem;
using causeway::test::TempDir;
using causeway::app::VerifyOptions;
using json = nlohmann::json;

// `list` is "bundles" (2.x) or "bundles3" (3.x).
const json& bundle_case(const std::string& crypto, const std::string& list = "bundles") {
  static const json data = causeway::test::bundle_fixtures::read_json("tests/unit/verify/data/fisco_derived.json");
  for (const auto& c : data[list]) {
    if (c["crypto"] == crypto) return c;
  }
  FAIL("no derived fisco bundle for " + crypto + " in " + list);
  return data;
}

using causeway::test::verify_run::contains;
using causeway::test::verify_run::run;
using causeway::test::verify_run::Run;

}  // namespace

TEST_CASE("causeway verify accepts the derived fisco bundles and prints the sealer checks", "[fisco]") {
  const TempDir dir;
  for (const std::string crypto : {"ecdsa", "sm"}) {
    INFO(crypto);
    const json& c = bundle_case(crypto);
    const std::string bundle = dir.write("bundle-" + crypto + ".json", c["bundle"].dump(1));
    const std::string anchors = dir.write("anchors-" + crypto + ".json", c["anchors"].dump(1));
    const Run r = run({.inputs = {bundle}, .trust = anchors});
    INFO(r.out);
    CHECK(r.code == 0);
    CHECK(contains(r.out, ": valid [message]"));
    CHECK(contains(r.out, "mode pbft (fisco 2.x, crypto " + crypto + ")"));
    CHECK(contains(r.out, "\u2713 finality"));
    CHECK(contains(r.out, "    \u2713 sealer_set"));
    CHECK(contains(r.out, "    \u2713 quorum     3 of 4 signed, 3 needed"));
    CHECK(contains(r.out, "\u2713 claim      " + c["bundle"]["claim"].get<std::string>()));
  }
}

TEST_CASE("causeway verify refuses a fisco bundle with a changed seal, naming the reason", "[fisco]") {
  const TempDir dir;
  const json& c = bundle_case("sm");
  json mutated = c["bundle"];
  std::string signature = mutated["source"]["signatures"][1]["signature"];
  signature[10] = signature[10] == '0' ? '1' : '0';
  mutated["source"]["signatures"][1]["signature"] = signature;
  const std::string anchors = dir.write("anchors.json", c["anchors"].dump(1));
  const Run r = run({.inputs = {dir.write("mutated.json", mutated.dump(1))}, .trust = anchors});
  INFO(r.out);
  CHECK(r.code == 1);
  CHECK(contains(r.out, "\u2717 finality   fisco.bad_signature"));
  CHECK(contains(r.out, "    \u2717 signatures fisco.bad_signature"));

  // The ECDSA bundle against the SM anchors: a chain the file does not know, unusable input.
  const Run other = run({.inputs = {dir.write("ecdsa.json", bundle_case("ecdsa")["bundle"].dump(1))}, .trust = anchors});
  INFO(other.out);
  CHECK(other.code == 2);
  CHECK(contains(other.out, "verify.unknown_chain"));
}

TEST_CASE("causeway verify accepts the derived fisco 3.x bundles and prints the weighted quorum", "[fisco]") {
  const TempDir dir;
  for (const std::string crypto : {"ecdsa", "sm"}) {
    INFO(crypto);
    const json& c = bundle_case(crypto, "bundles3");
    const std::string bundle = dir.write("bundle3-" + crypto + ".json", c["bundle"].dump(1));
    const std::string anchors = dir.write("anchors3-" + crypto + ".json", c["anchors"].dump(1));
    const Run r = run({.inputs = {bundle}, .trust = anchors});
    INFO(r.out);
    CHECK(r.code == 0);
    CHECK(contains(r.out, ": valid [message]"));
    CHECK(contains(r.out, "mode pbft (fisco 3.x, crypto " + crypto + ")"));
    CHECK(contains(r.out, ", 3.x v3 layout)"));
    CHECK(contains(r.out, "    \u2713 sealer_set"));
    CHECK(contains(r.out, "    \u2713 quorum     weight 8 of 10 signed, 7 needed"));
    CHECK(contains(r.out, "\u2713 claim      " + c["bundle"]["claim"].get<std::string>()));
  }
}

TEST_CASE("causeway verify refuses a fisco 3.x bundle below the weighted quorum or under the rc layout", "[fisco]") {
  const TempDir dir;
  const json& c = bundle_case("sm", "bundles3");
  json mutated = c["bundle"];
  mutated["source"]["signatures"].erase(2);  // sealers 3 and 0: weight 5 of 10
  const std::string anchors = dir.write("anchors.json", c["anchors"].dump(1));
  const Run r = run({.inputs = {dir.write("mutated.json", mutated.dump(1))}, .trust = anchors});
  INFO(r.out);
  CHECK(r.code == 1);
  CHECK(contains(r.out, "\u2717 finality   fisco.quorum_not_met"));
  CHECK(contains(r.out, "    \u2717 quorum     fisco.quorum_not_met"));

  // The same block under anchors giving the release candidates' layout hashes otherwise.
  json rc = c["anchors"];
  rc["chains"][0]["consensus"]["layout"] = "rc";
  const Run other = run({.inputs = {dir.write("bundle.json", c["bundle"].dump(1))},
                         .trust = dir.write("anchors-rc.json", rc.dump(1))});
  INFO(other.out);
  CHECK(other.code == 1);
  CHECK(contains(other.out, "\u2717 header     verify.block_hash_mismatch"));
}
