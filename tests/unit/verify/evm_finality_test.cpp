// Tests for relay/verify/evm_finality: derived QBFT / IBFT 2.0 / Clique chains with validator-set
// changes (sealed by ethers in gen_bft_chains.mjs), their rejected variants, the named THREATS
// regressions (3, 21, 22), trust-anchor checks and the canonical-hash modes.
#include <catch2/catch.hpp>

#include "relay/core/hash.hpp"
#include "relay/verify/clique.hpp"
#include "relay/verify/evm_finality.hpp"
#include "tests/unit/verify/verify_test_util.hpp"

using namespace causeway;
using namespace causeway::verify;
using causeway::test::hex;
using namespace causeway::test::verify_util;

namespace {

ConsensusMode mode_of(const std::string& engine) {
  if (engine == "qbft") return ConsensusMode::kQbft;
  if (engine == "ibft2") return ConsensusMode::kIbft2;
  REQUIRE(engine == "clique");
  return ConsensusMode::kClique;
}

EvmConsensusParams params_of(const nlohmann::json& chain) {
  EvmConsensusParams params;
  params.mode = mode_of(chain["engine"].get<std::string>());
  params.checkpoint = {chain["checkpoint"]["number"].get<std::uint64_t>(),
                       hash32(chain["checkpoint"]["hash"].get<std::string>())};
  params.validator_sets = {set_of(chain["validators"], params.checkpoint.number + 1)};
  if (chain.contains("epoch")) params.clique_epoch = chain["epoch"].get<std::uint64_t>();
  return params;
}

std::vector<core::Bytes> headers_of(const nlohmann::json& chain) {
  std::vector<core::Bytes> out;
  for (const auto& h : chain["headers"]) out.push_back(hex(h["rlp"].get<std::string>()));
  return out;
}

std::vector<core::ByteView> views(const std::vector<core::Bytes>& headers) { return {headers.begin(), headers.end()}; }

const nlohmann::json& chain(const char* name) { return derived_chains()["chains"][name]; }

// The named variant's segment: the chain's headers with those from replace_from on replaced.
std::vector<core::Bytes> variant_segment(const nlohmann::json& variant) {
  auto headers = headers_of(chain(variant["chain"].get<std::string>().c_str()));
  headers.resize(variant["replace_from"].get<std::size_t>());
  for (const auto& h : variant["headers"]) headers.push_back(hex(h.get<std::string>()));
  return headers;
}

const nlohmann::json& variant(std::string_view name) {
  for (const auto& v : derived_chains()["variants"]) {
    if (v["name"].get<std::string>() == name) return v;
  }
  FAIL("no variant " << name);
  std::abort();
}

core::Result<FinalizedHeader> run_variant(const nlohmann::json& v) {
  const auto segment = variant_segment(v);
  return verify_evm_finality(params_of(chain(v["chain"].get<std::string>().c_str())), views(segment),
                             v["target"].get<std::uint64_t>());
}

}  // namespace

TEST_CASE("derived bft chains are followed through an added and a dropped validator", "[derived]") {
  std::size_t executed = 0;
  for (const char* name : {"qbft", "ibft2", "qbft_b"}) {
    INFO(name);
    const auto& c = chain(name);
    const auto params = params_of(c);
    const auto engine = params.mode == ConsensusMode::kQbft ? BftEngine::kQbft : BftEngine::kIbft2;
    auto follower = BftFollower::start(engine, params.checkpoint, params.validator_sets[0]);
    REQUIRE(follower.ok());
    CHECK(bft_header_hash(engine, hex(c["checkpoint"]["header_rlp"].get<std::string>())).value() ==
          params.checkpoint.hash);
    for (const auto& h : c["headers"]) {
      INFO("block " << h["number"]);
      auto accepted = follower->follow(hex(h["rlp"].get<std::string>()));
      REQUIRE(accepted.ok());
      CHECK(core::to_hex(accepted->hash) == h["hash"].get<std::string>());
      CHECK(accepted->committers.size() == h["committers"].size());
      for (std::size_t i = 0; i < accepted->committers.size(); ++i) {
        CHECK(core::to_hex(accepted->committers[i]) == h["committers"][i].get<std::string>());
      }
      CHECK(follower->validators().members == set_of(h["validators"], 0).members);
      ++executed;
    }
    CHECK(follower->validators().members == set_of(c["final_validators"], 0).members);

    // The one-call driver agrees, for every target, and reports the set in force after it.
    const auto headers = headers_of(c);
    for (std::size_t target = 1; target <= headers.size(); ++target) {
      auto final_header = verify_evm_finality(params, views(headers), target);
      REQUIRE(final_header.ok());
      CHECK(core::to_hex(final_header->hash) == c["headers"][target - 1]["hash"].get<std::string>());
    }
  }
  // The add became the set of block 5 and the drop the set of block 9 (Besu semantics).
  const auto& q = chain("qbft");
  CHECK(q["headers"][3]["validators"].size() == 4);
  CHECK(q["headers"][4]["validators"].size() == 5);
  CHECK(q["headers"][8]["validators"].size() == 4);
  test::report_cases("derived bft chains followed", executed);
}

TEST_CASE("a follower restarted from a persisted header accepts the change its vote announced", "[derived]") {
  const auto& c = chain("qbft");
  auto params = params_of(c);
  const auto headers = headers_of(c);
  // Verify up to block 4 (whose vote completes the add), persist, and restart from there.
  const auto all = views(headers);
  auto first = verify_evm_finality(params, std::span(all).first(4), 4);
  REQUIRE(first.ok());
  REQUIRE(first->vote.has_value());
  EvmConsensusParams restarted = params;
  restarted.checkpoint = {first->number, first->hash};
  restarted.validator_sets = {first->validators_after};
  const auto rest = std::vector<core::ByteView>(headers.begin() + 4, headers.end());
  // Without the persisted vote the change at block 5 cannot be explained ...
  CHECK(verify_evm_finality(restarted, rest, 5).error().reason() == reason::kUnknownValidatorSetChange);
  // ... with it, the follower carries on to the end.
  restarted.checkpoint_vote = first->vote;
  auto last = verify_evm_finality(restarted, rest, 12);
  REQUIRE(last.ok());
  CHECK(last->validators_after.members == set_of(c["final_validators"], 0).members);
}

TEST_CASE("derived clique chain: finality by distinct signers across epoch changes", "[derived]") {
  const auto& c = chain("clique");
  const auto params = params_of(c);
  const auto headers = headers_of(c);
  CHECK(clique_checkpoint_signers(hex(c["checkpoint"]["header_rlp"].get<std::string>())).value().members ==
        params.validator_sets[0].members);
  std::size_t executed = 0;
  for (std::uint64_t target = 1; target <= 9; ++target) {
    INFO("target " << target);
    auto final_header = verify_evm_finality(params, views(headers), target);
    REQUIRE(final_header.ok());
    CHECK(core::to_hex(final_header->hash) == c["headers"][target - 1]["hash"].get<std::string>());
    ++executed;
  }
  // Block 8 is the epoch block that drops a signer: the set after it has three members.
  auto eight = verify_evm_finality(params, views(headers), 8);
  REQUIRE(eight.ok());
  CHECK(eight->validators_after.members == set_of(c["headers"][7]["listed"], 0).members);
  // Block 10 has only its own signer after it: 1 of the 2 needed.
  CHECK(verify_evm_finality(params, views(headers), 10).error().reason() == reason::kHeaderNotFinal);
  // Cut the descendants and block 8 is no longer final either.
  const auto all = views(headers);
  CHECK(verify_evm_finality(params, std::span(all).first(8), 8).error().reason() ==
        reason::kHeaderNotFinal);
  test::report_cases("derived clique chain targets", executed);
}

TEST_CASE("derived variants fail with their named reasons", "[derived]") {
  std::size_t executed = 0;
  for (const auto& v : derived_chains()["variants"]) {
    INFO(v["name"].get<std::string>());
    auto result = run_variant(v);
    REQUIRE(!result.ok());
    CHECK(result.error().reason().name == v["reason"].get<std::string>());
    ++executed;
  }
  test::report_cases("derived variants", executed);
}

TEST_CASE("ronin: seals from non-members do not count", "[derived]") {
  for (const char* name : {"qbft: two member seals and two non-member seals",
                           "ibft2: two member seals and two non-member seals"}) {
    auto result = run_variant(variant(name));
    REQUIRE(!result.ok());
    CHECK(result.error().reason() == reason::kNonMemberSeal);
  }
  // Strangers in the clique signer seat count for nothing either.
  CHECK(run_variant(variant("clique: a block sealed by a stranger")).error().reason() == reason::kNonMemberSeal);
}

TEST_CASE("chainswap: one validator sealing twice counts once", "[derived]") {
  // The same bytes twice, and two different valid signatures by one key: both are one member.
  for (const char* name : {"qbft: one seal repeated", "qbft: one validator sealing twice with different signature bytes",
                           "ibft2: one validator sealing twice with different signature bytes"}) {
    INFO(name);
    const auto segment = variant_segment(variant(name));
    auto header = decode_evm_header(segment[1]);
    REQUIRE(header.ok());
    const auto engine = std::string(name).rfind("qbft", 0) == 0 ? BftEngine::kQbft : BftEngine::kIbft2;
    auto extra = decode_bft_extra(engine, *header);
    REQUIRE(extra.ok());
    REQUIRE(extra->committed_seals.size() == 3);
    auto committers = recover_seals(bft_commit_digest(engine, *header, *extra), extra->committed_seals);
    REQUIRE(committers.ok());
    CHECK((*committers)[0] == (*committers)[2]);
    auto result = run_variant(variant(name));
    REQUIRE(!result.ok());
    CHECK(result.error().reason() == reason::kDuplicateSeal);
  }
}

TEST_CASE("private chains sharing validator keys: a header of chain B does not follow chain A's checkpoint",
          "[derived]") {
  const auto& b = chain("qbft_b");
  // Chain B verifies against its own anchor ...
  const auto b_headers = headers_of(b);
  REQUIRE(verify_evm_finality(params_of(b), views(b_headers), 3).ok());
  // ... is sealed by the very validators of chain A ...
  CHECK(b["validators"] == chain("qbft")["validators"]);
  // ... and still does not link to chain A's checkpoint.
  auto result = run_variant(variant("qbft: chain B's block 1 (same validator keys) after chain A's checkpoint"));
  REQUIRE(!result.ok());
  CHECK(result.error().reason() == reason::kCheckpointMismatch);
  // Nor can a chain B header be spliced in later: parentHash covers the whole history.
  auto a_headers = headers_of(chain("qbft"));
  a_headers[1] = b_headers[1];
  CHECK(verify_evm_finality(params_of(chain("qbft")), views(a_headers), 2).error().reason() ==
        reason::kParentMismatch);
}

TEST_CASE("validator-set change not signed by the previous set is rejected", "[derived]") {
  for (const char* name : {"qbft: a whole new set, sealed only by the new keys",
                           "ibft2: a whole new set, sealed only by the new keys",
                           "qbft: a validator added without a vote, sealed by the new list",
                           "ibft2: a validator added without a vote, sealed by the new list"}) {
    INFO(name);
    auto result = run_variant(variant(name));
    REQUIRE(!result.ok());
    CHECK(result.error().reason() == reason::kUnknownValidatorSetChange);
  }
  // Clique: one authorized signer lists a forged set at an epoch block; the forged keys' seals
  // never make that epoch block final under the set that was in force.
  CHECK(run_variant(variant("clique: an epoch block listing a forged set, then sealed on by it")).error().reason() ==
        reason::kHeaderNotFinal);
}

TEST_CASE("a rejected header leaves the follower where it was", "[derived]") {
  const auto& c = chain("qbft");
  const auto params = params_of(c);
  const auto headers = headers_of(c);
  auto follower = BftFollower::start(BftEngine::kQbft, params.checkpoint, params.validator_sets[0]);
  REQUIRE(follower.ok());
  for (std::size_t i = 0; i < 4; ++i) REQUIRE(follower->follow(headers[i]).ok());
  const auto before = follower->validators();
  const auto bad = variant_segment(variant("qbft: a whole new set, sealed only by the new keys"));
  CHECK(!follower->follow(bad[4]).ok());
  CHECK(follower->height() == 4);
  CHECK(follower->validators() == before);
  CHECK(follower->follow(headers[4]).ok());
  CHECK(follower->validators().members.size() == 5);
}

TEST_CASE("finality refuses degenerate trust anchors and segments by name", "[unit]") {
  const auto& c = chain("qbft");
  const auto headers = headers_of(c);
  const auto good = params_of(c);
  auto with = [&](auto edit) {
    auto p = good;
    edit(p);
    return verify_evm_finality(p, views(headers), 1);
  };
  CHECK(with([](EvmConsensusParams& p) { p.validator_sets.clear(); }).error().reason() == reason::kBadTrustAnchor);
  CHECK(with([](EvmConsensusParams& p) { p.validator_sets[0].members.clear(); }).error().reason() ==
        reason::kBadTrustAnchor);
  CHECK(with([](EvmConsensusParams& p) {
          p.validator_sets[0].members.push_back(p.validator_sets[0].members[0]);
        }).error().reason() == reason::kBadTrustAnchor);
  CHECK(with([](EvmConsensusParams& p) { p.validator_sets[0].from_height = 2; }).error().reason() ==
        reason::kBadTrustAnchor);
  CHECK(with([](EvmConsensusParams& p) { p.checkpoint.hash = {}; }).error().reason() == reason::kBadTrustAnchor);
  CHECK(with([](EvmConsensusParams& p) { p.mode = ConsensusMode::kConfirmations; }).error().reason() ==
        reason::kNeedsCanonicalHash);
  CHECK(with([](EvmConsensusParams& p) { p.mode = ConsensusMode::kTrusted; }).error().reason() ==
        reason::kNeedsCanonicalHash);
  // A set pinned for the wrong chain: the seals do not come from it.
  CHECK(with([](EvmConsensusParams& p) { p.mode = ConsensusMode::kIbft2; }).error().reason() ==
        reason::kBadExtraData);

  CHECK(verify_evm_finality(good, {}, 1).error().reason() == reason::kSegmentEmpty);
  CHECK(verify_evm_finality(good, views(headers), 0).error().reason() == reason::kTargetNotInSegment);
  CHECK(verify_evm_finality(good, views(headers), headers.size() + 1).error().reason() == reason::kTargetNotInSegment);
  const std::vector<core::ByteView> huge(kMaxBftSegment + 1, core::ByteView(headers[0]));
  CHECK(verify_evm_finality(good, huge, 1).error().reason() == reason::kSegmentTooLong);
  // A gap in the segment.
  auto gapped = views(headers);
  gapped.erase(gapped.begin() + 1);
  CHECK(verify_evm_finality(good, gapped, 3).error().reason() == reason::kUnexpectedNumber);
}

TEST_CASE("confirmations and trusted modes take the canonical hash from outside", "[unit]") {
  const auto& c = chain("clique");
  const auto header = hex(c["headers"][0]["rlp"].get<std::string>());
  const auto hash = hash32(c["headers"][0]["hash"].get<std::string>());
  auto ok = verify_against_canonical(header, hash);
  REQUIRE(ok.ok());
  CHECK(ok->number == 1);
  CHECK(ok->hash == hash);
  auto other = hash;
  other.bytes[0] ^= 1;
  CHECK(verify_against_canonical(header, other).error().reason() == reason::kCanonicalHashMismatch);
  auto mutated = with_field(header, 5, core::Bytes(32, 0x42));
  CHECK(verify_against_canonical(mutated, hash).error().reason() == reason::kCanonicalHashMismatch);
}
