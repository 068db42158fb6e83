// Tests for relay/verify/trust_anchors: strict reading with JSON paths, per-mode fields, the
// recomputed chain identity and the insecure flag (tests/audit holds the schema examples against it).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "relay/verify/json_read.hpp"
#include "relay/verify/trust_anchors.hpp"
#include "tests/unit/verify/bundle_fixtures.hpp"

using namespace causeway;
using namespace causeway::verify;
using namespace causeway::test::bundle_fixtures;

namespace {

nlohmann::json valid_example() {
  return nlohmann::json::parse(read_text(source_path("schemas/examples/trust-anchors.valid.json")));
}

}  // namespace

TEST_CASE("trust anchors read into consensus params and write back", "[unit]") {
  const auto j = valid_example();
  auto a = trust_anchors_from_json(j);
  REQUIRE(a.ok());
  REQUIRE(a->chains.size() == 4);
  CHECK(a->chains[0].consensus.mode == ConsensusMode::kConfirmations);
  CHECK(a->chains[0].consensus.confirmations == 2);
  CHECK(a->chains[0].checkpoint_pinned);
  CHECK_FALSE(a->chains[1].checkpoint_pinned);
  CHECK(a->chains[2].consensus.mode == ConsensusMode::kQbft);
  CHECK(a->chains[2].consensus.validator_sets.at(0).members.size() == 4);
  CHECK(a->chains[3].consensus.mode == ConsensusMode::kTrusted);
  CHECK(a->chains[3].insecure);
  CHECK(a->chains[0].limits.max_payload == 32768);
  CHECK(a->find(a->chains[2].chain_identity) == &a->chains[2]);
  CHECK(a->find(core::ChainIdentity{}) == nullptr);
  CHECK(trust_anchors_to_json(*a) == j);
}

TEST_CASE("trust anchors: per-mode fields, identity, duplicates and sets by name and path", "[unit]") {
  const auto good = valid_example();
  auto mutate = [&](auto&& edit) {
    auto j = good;
    edit(j);
    return trust_anchors_from_json(j);
  };
  auto r = mutate([](auto& j) { j["chains"][2]["consensus"].erase("validator_sets"); });
  CHECK(r.error().reason() == json_read::reason::kMissingField);
  require_path(r.error(), "chains[2].consensus.validator_sets");
  r = mutate([](auto& j) { j["chains"][2]["consensus"].erase("checkpoint"); });
  require_path(r.error(), "chains[2].consensus.checkpoint");
  r = mutate([](auto& j) { j["chains"][0]["consensus"].erase("confirmations"); });
  require_path(r.error(), "chains[0].consensus.confirmations");
  r = mutate([](auto& j) { j["chains"][0]["consensus"]["confirmations"] = 0; });
  require_path(r.error(), "chains[0].consensus.confirmations");
  r = mutate([](auto& j) { j["chains"][0]["consensus"]["validator_sets"] = j["chains"][2]["consensus"]["validator_sets"]; });
  require_path(r.error(), "chains[0].consensus.validator_sets");
  r = mutate([](auto& j) { j["chains"][2]["consensus"]["clique_epoch"] = "30000"; });
  require_path(r.error(), "chains[2].consensus.clique_epoch");
  r = mutate([](auto& j) { j["chains"][2]["consensus"]["checkpoint"]["hash"] = "0x" + std::string(64, '0'); });
  CHECK(r.error().reason() == reason::kBadTrustAnchor);
  r = mutate([](auto& j) {
    auto& members = j["chains"][2]["consensus"]["validator_sets"][0]["members"];
    members[1] = members[0];
  });
  CHECK(r.error().reason() == reason::kBadTrustAnchor);
  require_path(r.error(), "chains[2].consensus.validator_sets[0].members");
  r = mutate([](auto& j) { j["chains"][2]["consensus"]["validator_sets"][0]["from_height"] = "5"; });
  CHECK(r.error().reason() == reason::kBadTrustAnchor);  // no set in force right after the checkpoint
  r = mutate([](auto& j) { j["chains"][1]["name"] = j["chains"][0]["name"]; });
  CHECK(r.error().reason() == reason::kAnchorDuplicateChain);
  r = mutate([](auto& j) { j["chains"][1] = j["chains"][0]; j["chains"][1]["name"] = "copy"; });
  CHECK(r.error().reason() == reason::kAnchorDuplicateChain);
  r = mutate([](auto& j) { j["chains"][3].erase("insecure"); });
  CHECK(r.error().reason() == reason::kAnchorInsecureRequired);
  r = mutate([](auto& j) { j["chains"][0]["genesis_hash"] = j["chains"][1]["genesis_hash"]; });
  CHECK(r.error().reason() == reason::kAnchorIdentityMismatch);
  require_path(r.error(), "chains[0].chain_identity");
  r = mutate([](auto& j) { j["chains"][0]["gateway"] = "0x" + std::string(40, '0'); });
  require_path(r.error(), "chains[0].gateway");
  r = mutate([](auto& j) { j["chains"][0]["limits"]["max_payload"] = 2 << 20; });
  require_path(r.error(), "chains[0].limits.max_payload");
  r = mutate([](auto& j) { j["version"] = 2; });
  CHECK(r.error().reason() == reason::kAnchorUnsupportedVersion);
  r = mutate([](auto& j) { j["chains"][0]["family"] = "chainmaker"; });
  require_path(r.error(), "chains[0].family");
  // A BFT checkpoint vote is read; on other modes it is refused.
  r = mutate([](auto& j) { j["chains"][2]["consensus"]["checkpoint_vote"] = {{"recipient", "0x" + std::string(40, '1')}, {"add", true}}; });
  REQUIRE(r.ok());
  CHECK(r->chains[2].consensus.checkpoint_vote->add);
  r = mutate([](auto& j) { j["chains"][0]["consensus"]["checkpoint_vote"] = {{"recipient", "0x" + std::string(40, '1')}, {"add", true}}; });
  require_path(r.error(), "chains[0].consensus.checkpoint_vote");
}
