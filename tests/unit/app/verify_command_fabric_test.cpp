// run_verify (relay/app/verify_command.cpp) on the fabric schema examples written to a temp dir,
// as `causeway verify BUNDLE --trust ANCHORS` sees them: the exit code, the fabric nodes of the
// printed check tree, and a changed peer attestation's reason.
#include <catch2/catch.hpp>

#include <string>

#include <nlohmann/json.hpp>

#include "relay/app/verify_command.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/unit/app/verify_run.hpp"
#include "tests/unit/verify/bundle_fixtures.hpp"

namespace {

using causeway::app::VerifyOptions;
using causeway::test::TempDir;
using json = nlohmann::json;

const json& example(const std::string& name) {
  static const json bundle = causeway::test::bundle_fixtures::read_json("schemas/examples/proof-bundle.valid-fabric.json");
  static const json anchors = causeway::test::bundle_fixtures::read_json("schemas/examples/trust-anchors.valid-fabric.json");
  return name == "bundle" ? bundle : anchors;
}

using causeway::test::verify_run::contains;
using causeway::test::verify_run::run;
using causeway::test::verify_run::Run;

}  // namespace

TEST_CASE("causeway verify accepts the fabric example bundle and prints the fabric checks", "[fabric]") {
  const TempDir dir;
  const std::string bundle = dir.write("bundle.json", example("bundle").dump(1));
  const std::string anchors = dir.write("anchors.json", example("anchors").dump(1));
  const Run r = run({.inputs = {bundle}, .trust = anchors});
  INFO(r.out);
  CHECK(r.code == 0);
  CHECK(contains(r.out, ": valid [message]"));
  CHECK(contains(r.out, "mode any_writer (fabric channel \"causeway-channel\")"));
  CHECK(contains(r.out, "\u2713 finality   any_writer: a pinned orderer signed"));
  CHECK(contains(r.out, "    \u2713 endorsement chaincode \"causeway\""));
  CHECK(contains(r.out, "    \u2713 validation 2 of 3 pinned peers attest VALID, 2 needed"));
  CHECK(contains(r.out, "\u2713 claim      " + example("bundle")["claim"].get<std::string>()));
}

TEST_CASE("causeway verify refuses a fabric bundle with a changed attestation, naming the reason", "[fabric]") {
  const TempDir dir;
  json mutated = example("bundle");
  std::string signature = mutated["inclusion"]["attestations"][1]["signature"];
  signature[20] = signature[20] == '0' ? '1' : '0';
  mutated["inclusion"]["attestations"][1]["signature"] = signature;
  const std::string anchors = dir.write("anchors.json", example("anchors").dump(1));
  const Run r = run({.inputs = {dir.write("mutated.json", mutated.dump(1))}, .trust = anchors});
  INFO(r.out);
  CHECK(r.code == 1);
  CHECK(contains(r.out, "\u2717 inclusion  fabric.bad_peer_attestation"));
  CHECK(contains(r.out, "    \u2717 validation fabric.bad_peer_attestation"));

  // Only one attestation left: below k = 2.
  json fewer = example("bundle");
  fewer["inclusion"]["attestations"].erase(1);
  const Run short_of = run({.inputs = {dir.write("fewer.json", fewer.dump(1))}, .trust = anchors});
  INFO(short_of.out);
  CHECK(short_of.code == 1);
  CHECK(contains(short_of.out, "fabric.peer_quorum_not_met"));
}
