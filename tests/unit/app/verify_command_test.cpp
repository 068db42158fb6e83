// run_verify (relay/app/verify_command.cpp) over the real anvil bundles written to a temp dir:
// exit codes, the human tree, the JSON document and file errors, as `causeway verify` sees them.
#include <stdlib.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "relay/app/verify_command.hpp"
#include "tests/unit/verify/bundle_fixtures.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
using causeway::test::TempDir;
using causeway::app::Console;
using causeway::app::run_verify;
using causeway::app::VerifyOptions;
namespace fixtures = causeway::test::bundle_fixtures;

// Every fixture bundle a verifier should accept: all but the twin chain's, which is there to fail.
std::vector<std::string> good_bundle_names() {
  std::vector<std::string> out;
  for (const auto& b : fixtures::data()["bundles"]) {
    const std::string name = b["name"].get<std::string>();
    if (name.rfind("q_twin", 0) != 0) out.push_back(name);
  }
  return out;
}

// The fixture's canonical list in the canonical-hashes.schema.json form, optionally one chain only.
nlohmann::json canonical_file(const std::string& only_chain = "") {
  nlohmann::json chains = nlohmann::json::object();
  for (const auto& c : fixtures::data()["canonical"]) {
    const std::string chain = c["chain_identity"];
    if (!only_chain.empty() && chain != only_chain) continue;
    chains[chain]["head"] = c["head"];
    chains[chain]["blocks"][c["number"].get<std::string>()] = c["hash"];
  }
  return {{"version", 1}, {"chains", chains}};
}

// a_sent_tx0_log0 with the last byte of its receipt flipped.
nlohmann::json mutated_receipt_bundle() {
  nlohmann::json b = fixtures::bundle_json("a_sent_tx0_log0");
  std::string receipt = b["inclusion"]["receipt"];
  char& last = receipt.back();
  last = last == '0' ? '1' : '0';
  b["inclusion"]["receipt"] = receipt;
  return b;
}

// The trust anchors, canonical file and one file per good bundle under `dir`.
struct Inputs {
  std::string trust;
  std::string canonical;
  std::string bundles;
};
Inputs write_inputs(const TempDir& dir) {
  Inputs in;
  in.trust = dir.write("anchors.json", fixtures::data()["anchors"].dump(2));
  in.canonical = dir.write("canonical.json", canonical_file().dump(2));
  for (const auto& name : good_bundle_names()) dir.write("bundles/" + name + ".json", fixtures::bundle_json(name).dump());
  in.bundles = (dir.path() / "bundles").string();
  return in;
}

struct Run {
  int code = -1;
  std::string out;
  std::string err;
};
Run run(const VerifyOptions& options, Console console = Console{true, false}) {
  std::ostringstream out;
  std::ostringstream err;
  Run r;
  r.code = run_verify(options, console, out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("every anvil fixture bundle verifies valid given the canonical hashes", "[audit]") {
  const TempDir dir;
  const Inputs in = write_inputs(dir);
  const auto names = good_bundle_names();
  REQUIRE(names.size() == 8);
  for (const auto& name : names) {
    INFO(name);
    const Run r = run({.inputs = {in.bundles + "/" + name + ".json"}, .trust = in.trust, .canonical = in.canonical});
    INFO(r.out << r.err);
    CHECK(r.code == 0);
    CHECK(contains(r.out, ": valid ["));
    CHECK(contains(r.out, "\u2713 claim"));
  }
  const Run all = run({.inputs = {in.bundles}, .trust = in.trust, .canonical = in.canonical});
  INFO(all.out);
  CHECK(all.code == 0);
  CHECK(contains(all.out, "8 bundles: 8 valid, 0 invalid, 0 unusable, 0 unverifiable; exit code 0 (valid)"));
}

TEST_CASE("without canonical hashes the unsigned chains' bundles exit 3", "[audit]") {
  const TempDir dir;
  const Inputs in = write_inputs(dir);
  const Run single = run({.inputs = {in.bundles + "/a_sent_tx0_log0.json"}, .trust = in.trust});
  INFO(single.out);
  CHECK(single.code == 3);
  CHECK(contains(single.out, "? finality"));
  CHECK(contains(single.out, "verify.needs_canonical_hash"));
  CHECK(contains(single.out, "canonical hashes: none"));
  // The QBFT-hosted bundle is final by its seals: still valid, and the worst over all is 3.
  const Run all = run({.inputs = {in.bundles}, .trust = in.trust});
  INFO(all.out);
  CHECK(all.code == 3);
  CHECK(contains(all.out, "8 bundles: 1 valid, 0 invalid, 0 unusable, 7 unverifiable; exit code 3"));
}

TEST_CASE("a bundle with one receipt byte changed is invalid and the reason is shown", "[audit]") {
  const TempDir dir;
  const Inputs in = write_inputs(dir);
  const std::string bad = dir.write("mutated.json", mutated_receipt_bundle().dump());
  const Run r = run({.inputs = {bad}, .trust = in.trust, .canonical = in.canonical});
  INFO(r.out);
  CHECK(r.code == 1);
  CHECK(contains(r.out, bad + ": invalid [message]"));
  CHECK(contains(r.out, "\u2717 inclusion"));
  CHECK(contains(r.out, "verify.receipt_mismatch"));
  CHECK(contains(r.out, "\u2013 event"));
}

TEST_CASE("a missing bundle file is unusable input naming the path", "[audit]") {
  const TempDir dir;
  const Inputs in = write_inputs(dir);
  const std::string missing = (dir.path() / "no-such-bundle.json").string();
  const Run r = run({.inputs = {missing}, .trust = in.trust, .canonical = in.canonical});
  INFO(r.out);
  CHECK(r.code == 2);
  CHECK(contains(r.out, missing + ": unusable_input\n"));
  CHECK(contains(r.out, "input.not_found: " + missing + ": no such file"));
}

TEST_CASE("a directory mixing verdicts exits with the worst and counts each", "[audit]") {
  const TempDir dir;
  const Inputs in = write_inputs(dir);
  // Canonical hashes of chain A only: chain B's execution bundle cannot be judged final.
  const std::string chain_a = fixtures::data()["anchors"]["chains"][0]["chain_identity"];
  const std::string canonical_a = dir.write("canonical-a.json", canonical_file(chain_a).dump());
  dir.write("mixed/1-valid.json", fixtures::bundle_json("a_sent_tx0_log0").dump());
  dir.write("mixed/2-valid-qbft.json", fixtures::bundle_json("q_sent_tx2_log0").dump());
  dir.write("mixed/3-invalid.json", mutated_receipt_bundle().dump());
  dir.write("mixed/4-unverifiable.json", fixtures::bundle_json("b_executed_tx0_log0").dump());
  dir.write("mixed/5-unusable.json", "{\"version\": 1,");
  dir.write("mixed/notes.txt", "not a bundle: ignored");
  const std::string mixed = (dir.path() / "mixed").string();

  const Run r = run({.inputs = {mixed}, .trust = in.trust, .canonical = canonical_a});
  INFO(r.out);
  CHECK(r.code == 1);
  CHECK(contains(r.out, "5 bundles: 2 valid, 1 invalid, 1 unusable, 1 unverifiable; exit code 1 (invalid)"));
  CHECK(contains(r.out, "json.syntax: " + (dir.path() / "mixed" / "5-unusable.json").string()));
  CHECK_FALSE(contains(r.out, "notes.txt"));
  // Sorted by name: the report follows the file names.
  CHECK(r.out.find("1-valid.json") < r.out.find("3-invalid.json"));
  CHECK(r.out.find("3-invalid.json") < r.out.find("5-unusable.json"));

  // Without the invalid one, unusable (2) is the worst; without that too, unverifiable (3).
  fs::remove(dir.path() / "mixed" / "3-invalid.json");
  CHECK(run({.inputs = {mixed}, .trust = in.trust, .canonical = canonical_a}).code == 2);
  fs::remove(dir.path() / "mixed" / "5-unusable.json");
  CHECK(run({.inputs = {mixed}, .trust = in.trust, .canonical = canonical_a}).code == 3);
}

TEST_CASE("--json is one document with every verdict tree and the exit code", "[audit]") {
  const TempDir dir;
  const Inputs in = write_inputs(dir);
  const std::string bad = dir.write("mutated.json", mutated_receipt_bundle().dump());
  const std::string missing = (dir.path() / "missing.json").string();
  const std::string good = in.bundles + "/b_executed_tx0_log1.json";
  const Run r = run({.inputs = {good, bad, missing}, .trust = in.trust, .canonical = in.canonical, .json = true});
  REQUIRE(r.code == 1);
  const auto doc = nlohmann::json::parse(r.out);
  CHECK(doc["exit_code"] == 1);
  CHECK(doc["outcome"] == "invalid");
  CHECK(doc["trust"] == in.trust);
  CHECK(doc["summary"] == nlohmann::json{{"total", 3}, {"valid", 1}, {"invalid", 1}, {"unusable_input", 1},
                                         {"finality_unverifiable", 0}});
  REQUIRE(doc["bundles"].size() == 3);

  // Each entry is verdict_to_json of the same verification, plus its path.
  const auto anchors = fixtures::anchors();
  const auto canonical = fixtures::canonical();
  auto expected_good = causeway::verify::verdict_to_json(
      causeway::verify::verify_bundle(fixtures::bundle("b_executed_tx0_log1"), anchors, canonical));
  expected_good["path"] = good;
  CHECK(doc["bundles"][0] == expected_good);
  CHECK(doc["bundles"][1]["path"] == bad);
  CHECK(doc["bundles"][1]["outcome"] == "invalid");
  CHECK(doc["bundles"][1]["verdict"]["reason"] == "verify.receipt_mismatch");
  CHECK(doc["bundles"][2]["path"] == missing);
  CHECK(doc["bundles"][2]["outcome"] == "unusable_input");
  CHECK(doc["bundles"][2]["kind"].is_null());
  CHECK(doc["bundles"][2]["verdict"]["reason"] == "input.not_found");
}

TEST_CASE("missing --trust is exit 2 with a clear message", "[audit]") {
  const TempDir dir;
  const Inputs in = write_inputs(dir);
  const Run r = run({.inputs = {in.bundles}});
  CHECK(r.code == 2);
  CHECK(r.out.empty());
  CHECK(contains(r.err, "--trust FILE is required"));
  const Run json = run({.inputs = {in.bundles}, .json = true});
  CHECK(json.code == 2);
  const auto doc = nlohmann::json::parse(json.out);
  CHECK(doc["exit_code"] == 2);
  CHECK(doc["error"]["reason"] == "usage");
}

TEST_CASE("unusable anchors or canonical hashes stop the run with exit 2", "[audit]") {
  const TempDir dir;
  const Inputs in = write_inputs(dir);
  const std::string missing = (dir.path() / "nope.json").string();
  Run r = run({.inputs = {in.bundles}, .trust = missing});
  CHECK(r.code == 2);
  CHECK(contains(r.err, "input.not_found: trust anchors: " + missing));
  r = run({.inputs = {in.bundles}, .trust = dir.write("bad-anchors.json", "{\"version\": 1}")});
  CHECK(r.code == 2);
  CHECK(contains(r.err, "trust anchors"));
  // A broken canonical file is not silently "no canonical hashes" (which would be exit 3).
  r = run({.inputs = {in.bundles}, .trust = in.trust, .canonical = dir.write("bad-canonical.json", "[]")});
  CHECK(r.code == 2);
  CHECK(contains(r.err, "canonical hashes"));
  r = run({.inputs = {in.bundles}, .trust = in.trust, .canonical = missing});
  CHECK(r.code == 2);
  // No bundle at all.
  r = run({.trust = in.trust});
  CHECK(r.code == 2);
  CHECK(contains(r.err, "no bundle given"));
}

TEST_CASE("file errors are unusable input for that bundle only", "[audit]") {
  const TempDir dir;
  const Inputs in = write_inputs(dir);
  const std::string empty_dir = (dir.path() / "empty").string();
  fs::create_directories(empty_dir);
  const std::string not_json = dir.write("not-json.json", "\x01\x02 binary");
  const std::string good = in.bundles + "/a_sent_tx1_log3.json";
  const Run r = run({.inputs = {empty_dir, not_json, good}, .trust = in.trust, .canonical = in.canonical});
  INFO(r.out);
  CHECK(r.code == 2);
  CHECK(contains(r.out, "input.empty_directory: " + empty_dir));
  CHECK(contains(r.out, "json.syntax: " + not_json));
  CHECK(contains(r.out, "1 valid, 0 invalid, 2 unusable"));

  auto too_large = causeway::app::read_bounded_file(good, 100);
  REQUIRE_FALSE(too_large.ok());
  CHECK(too_large.error().reason() == causeway::app::reason::kInputTooLarge);
  CHECK(contains(too_large.error().detail(), good));
  auto whole = causeway::app::read_bounded_file(good, 1u << 20);
  REQUIRE(whole.ok());
  CHECK(whole->size() == fs::file_size(good));
  auto directory = causeway::app::read_bounded_file(empty_dir, 1u << 20);
  REQUIRE_FALSE(directory.ok());
  CHECK(directory.error().reason() == causeway::app::reason::kInputUnreadable);
}

TEST_CASE("ASCII marks without a UTF-8 console or with --ascii", "[audit]") {
  const TempDir dir;
  const Inputs in = write_inputs(dir);
  const std::string bad = dir.write("mutated.json", mutated_receipt_bundle().dump());
  const VerifyOptions options{.inputs = {in.bundles + "/a_sent_tx0_log0.json", bad}, .trust = in.trust,
                              .canonical = in.canonical};
  const Run plain = run(options, Console{false, false});
  INFO(plain.out);
  CHECK(contains(plain.out, "  + identity"));
  CHECK(contains(plain.out, "  x inclusion"));
  CHECK(contains(plain.out, "  - event"));
  CHECK(std::none_of(plain.out.begin(), plain.out.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; }));
  VerifyOptions forced = options;
  forced.ascii = true;
  CHECK(run(forced, Console{true, false}).out == plain.out);
}

TEST_CASE("the report does not depend on --jobs", "[audit]") {
  const TempDir dir;
  const Inputs in = write_inputs(dir);
  dir.write("bundles/zz-mutated.json", mutated_receipt_bundle().dump());
  VerifyOptions options{.inputs = {in.bundles}, .trust = in.trust, .canonical = in.canonical, .jobs = 1};
  const Run serial = run(options);
  options.jobs = 4;
  const Run parallel = run(options);
  CHECK(serial.code == 1);
  CHECK(parallel.code == serial.code);
  CHECK(parallel.out == serial.out);
  // A "terminal" gets a progress line on stderr, erased at the end; stdout is unchanged.
  const Run shown = run(options, Console{true, true});
  CHECK(shown.out == serial.out);
  CHECK(contains(shown.err, "verifying 9/9"));
}

TEST_CASE("--quiet prints nothing and keeps the exit code", "[audit]") {
  const TempDir dir;
  const Inputs in = write_inputs(dir);
  const Run r = run({.inputs = {in.bundles}, .trust = in.trust, .quiet = true}, Console{true, true});
  CHECK(r.code == 3);
  CHECK(r.out.empty());
  CHECK(r.err.empty());
}

TEST_CASE("canonical hashes follow schemas/canonical-hashes.schema.json strictly", "[audit]") {
  auto read = [](const std::string& relative) {
    std::ifstream file(fixtures::source_path(relative));
    return std::string(std::istreambuf_iterator<char>(file), {});
  };
  auto valid = causeway::app::parse_canonical_hashes(read("schemas/examples/canonical-hashes.valid.json"));
  REQUIRE(valid.ok());
  CHECK(valid->chains == 2);
  CHECK(valid->blocks == 2);
  // The example holds the fixture's real hashes: it must agree with them.
  const auto fixture = fixtures::canonical();
  for (const auto& c : fixtures::data()["canonical"]) {
    const auto chain = *causeway::core::fixed_from_hex<causeway::core::ChainIdentity>(c["chain_identity"].get<std::string>());
    CHECK(valid->map.canonical_hash(chain, 4) == fixture.canonical_hash(chain, 4));
    CHECK(valid->map.head(chain) == fixture.head(chain));
  }
  CHECK_FALSE(causeway::app::parse_canonical_hashes(read("schemas/examples/canonical-hashes.invalid-numeric-head.json")).ok());

  const std::string chain = "0x1d147da7d577f681537777452795995506dc41e8a2b19b5850debe715d71b1c9";
  const std::string hash = "\"0x802296f2f5e82c2342a597765eea4c1baf06012c635ffd56fd251d0bd6aea65a\"";
  auto doc = [&](const std::string& key, const std::string& entry) {
    return "{\"version\": 1, \"chains\": {\"" + key + "\": " + entry + "}}";
  };
  using causeway::app::parse_canonical_hashes;
  CHECK(parse_canonical_hashes(doc(chain, "{\"blocks\": {\"4\": " + hash + "}}")).ok());
  // Each of these changes one thing of the document above.
  CHECK_FALSE(parse_canonical_hashes(doc("0x1D147DA7D577F681537777452795995506DC41E8A2B19B5850DEBE715D71B1C9",
                                         "{\"blocks\": {\"4\": " + hash + "}}")).ok());
  CHECK_FALSE(parse_canonical_hashes(doc(chain.substr(0, 40), "{\"blocks\": {\"4\": " + hash + "}}")).ok());
  CHECK_FALSE(parse_canonical_hashes(doc(chain, "{\"blocks\": {\"04\": " + hash + "}}")).ok());
  CHECK_FALSE(parse_canonical_hashes(doc(chain, "{\"blocks\": {\"0x4\": " + hash + "}}")).ok());
  CHECK_FALSE(parse_canonical_hashes(doc(chain, "{\"blocks\": {\"4\": \"0x8022\"}}")).ok());
  CHECK_FALSE(parse_canonical_hashes(doc(chain, "{\"blocks\": {\"4\": " + hash + "}, \"extra\": 1}")).ok());
  CHECK_FALSE(parse_canonical_hashes(doc(chain, "{\"head\": 7, \"blocks\": {}}")).ok());
  CHECK_FALSE(parse_canonical_hashes(doc(chain, "{\"head\": \"7\"}")).ok());
  CHECK_FALSE(parse_canonical_hashes("{\"version\": 2, \"chains\": {}}").ok());
  CHECK_FALSE(parse_canonical_hashes(doc(chain, "{\"blocks\": {\"4\": " + hash + ", \"5\": " + hash + "}}"),
                                     {.max_blocks = 1}).ok());
}
