// Tests for relay/verify/verify: the verdict tree over the real anvil bundles and the QBFT-hosted
// ones, single-byte and single-field mutations failing with named reasons at the expected check,
// and the THREATS classes of trust, twin chains and finality by name.
#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>

#include "relay/core/mpt.hpp"
#include "relay/verify/bft.hpp"
#include "relay/verify/evm_finality.hpp"
#include "relay/verify/json_read.hpp"
#include "relay/verify/verify.hpp"
#include "tests/unit/verify/bundle_fixtures.hpp"

using namespace causeway;
using namespace causeway::verify;
using namespace causeway::test::bundle_fixtures;

namespace {

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

// The failing check's name and that its reason is one of `reasons` (or starts with one of the
// `prefixes`, for whole families such as "rlp." or "mpt.").
void require_failure(const Verdict& v, std::string_view node, std::initializer_list<core::Reason> reasons,
                     std::initializer_list<std::string_view> prefixes = {}) {
  REQUIRE(v.outcome == Outcome::kInvalid);
  const Check* problem = v.first_problem();
  REQUIRE(problem != nullptr);
  INFO(problem->name << ": " << problem->reason.name << ": " << problem->detail);
  CHECK(problem->name == node);
  bool named = false;
  for (auto r : reasons) named = named || problem->reason == r;
  for (auto p : prefixes) named = named || starts_with(problem->reason.name, p);
  CHECK(named);
}

std::vector<std::string> bundle_names(std::string_view prefix) {
  std::vector<std::string> out;
  for (const auto& entry : data()["bundles"]) {
    const std::string name = entry["name"];
    if (starts_with(name, prefix)) out.push_back(name);
  }
  return out;
}

// Rewrites the extraData of a QBFT header RLP.
core::Bytes edit_qbft_extra(const core::Bytes& rlp, const std::function<void(BftExtra&)>& edit) {
  auto header = decode_evm_header(rlp);
  REQUIRE(header.ok());
  auto extra = decode_bft_extra(BftEngine::kQbft, *header);
  REQUIRE(extra.ok());
  edit(*extra);
  return encode_with_extra(*header, encode_bft_extra(BftEngine::kQbft, *extra));
}

}  // namespace

TEST_CASE("real anvil bundles verify valid given the canonical hash", "[derived]") {
  const TrustAnchors a = anchors();
  const auto source = canonical();
  std::size_t count = 0;
  for (const auto& name : bundle_names("a_")) {
    INFO(name);
    const auto v = verify_bundle(bundle(name), a, source);
    CHECK(v.outcome == Outcome::kValid);
    CHECK(exit_code(v.outcome) == 0);
    REQUIRE(v.root.children.size() == 8);
    for (const auto& c : v.root.children) {
      INFO(c.name << ": " << c.detail);
      // The segment-less bundle skips ancestry (the canonical hash vouches); everything else passes.
      CHECK((c.status == CheckStatus::kOk || (c.name == check::kAncestry && c.status == CheckStatus::kSkipped)));
    }
    CHECK(v.claim == bundle(name).claim);
    ++count;
  }
  for (const auto& name : bundle_names("b_")) {
    INFO(name);
    const auto v = verify_bundle(bundle(name), a, source);
    CHECK(v.outcome == Outcome::kValid);
    REQUIRE(v.execution.has_value());
    CHECK(v.execution->status == core::ExecStatus::kOk);
    ++count;
  }
  CHECK(count == 7);
  const auto with_segment = verify_bundle(bundle("a_sent_tx1_log1"), a, source);
  CHECK(with_segment.find(check::kAncestry)->status == CheckStatus::kOk);
}

TEST_CASE("qbft-hosted bundle verifies valid by seals, with no canonical hash", "[derived]") {
  const auto v = verify_bundle(bundle("q_sent_tx2_log0"), anchors(), NoCanonicalHashes{});
  INFO(verdict_to_json(v).dump(1));
  CHECK(v.outcome == Outcome::kValid);
  CHECK(v.find(check::kFinality)->status == CheckStatus::kOk);
  CHECK(v.find(check::kAncestry)->status == CheckStatus::kOk);
}

TEST_CASE("without a canonical hash an unsigned chain's bundle is finality_unverifiable", "[derived]") {
  const TrustAnchors a = anchors();
  for (const std::string name : {"a_sent_tx0_log0", "a_sent_tx1_log3", "b_executed_tx0_log1"}) {
    INFO(name);
    const auto v = verify_bundle(bundle(name), a, NoCanonicalHashes{});
    CHECK(v.outcome == Outcome::kFinalityUnverifiable);
    CHECK(exit_code(v.outcome) == 3);
    CHECK(v.first_problem()->name == check::kFinality);
    CHECK(v.first_problem()->reason == reason::kNeedsCanonicalHash);
    // Everything but finality was still judged.
    CHECK(v.find(check::kInclusion)->status == CheckStatus::kOk);
    CHECK(v.find(check::kClaim)->status == CheckStatus::kOk);
  }
  // And an inclusion failure still makes it invalid, not merely unverifiable.
  auto b = bundle("a_sent_tx0_log0");
  b.inclusion.receipt.back() ^= 0x01;
  require_failure(verify_bundle(b, a, NoCanonicalHashes{}), check::kInclusion, {reason::kReceiptMismatch});
}

TEST_CASE("a compact bundle (receipt read from the proof's leaf) is proven like a stated one", "[derived]") {
  const TrustAnchors a = anchors();
  const auto source = canonical();
  nlohmann::json compact = bundle_json("a_sent_tx1_log3");
  compact["inclusion"].erase("receipt");
  const auto good = bundle_from_json(compact);
  REQUIRE(good.ok());
  CHECK(verify_bundle(*good, a, source).outcome == Outcome::kValid);
  // One byte of the receipt inside the leaf changed: the leaf no longer hashes to its reference.
  std::string leaf = compact["inclusion"]["proof"].back();
  char& last = leaf.back();
  last = last == '0' ? '1' : '0';
  compact["inclusion"]["proof"].back() = leaf;
  const auto forged = bundle_from_json(compact);
  REQUIRE(forged.ok());
  require_failure(verify_bundle(*forged, a, source), check::kInclusion, {core::mpt::reason::kHashMismatch});
}

TEST_CASE("changing any single byte of the header fails with a named reason", "[derived]") {
  const TrustAnchors a = anchors();
  const auto source = canonical();
  for (const std::string name : {"a_sent_tx1_log3", "b_executed_tx0_log2"}) {
    const auto good = bundle(name);
    for (std::size_t i = 0; i < good.source.header.size(); ++i) {
      INFO(name << " header byte " << i);
      auto b = good;
      b.source.header[i] ^= 0x01;
      require_failure(verify_bundle(b, a, source), check::kHeader, {reason::kBlockHashMismatch}, {"verify.header_", "rlp."});
    }
  }
  // QBFT: the seals are outside the block hash, so a seal byte fails finality instead.
  const auto q = bundle("q_sent_tx2_log0");
  for (std::size_t i = 0; i < q.source.header.size(); ++i) {
    INFO("qbft header byte " << i);
    auto b = q;
    b.source.header[i] ^= 0x01;
    const auto v = verify_bundle(b, a, NoCanonicalHashes{});
    REQUIRE(v.outcome == Outcome::kInvalid);
    const Check* problem = v.first_problem();
    INFO(problem->name << ": " << problem->reason.name << ": " << problem->detail);
    const bool where = problem->name == check::kHeader || problem->name == check::kFinality;
    CHECK(where);
    CHECK((starts_with(problem->reason.name, "verify.") || starts_with(problem->reason.name, "rlp.")));
  }
}

TEST_CASE("changing any single byte of the receipt or the proof fails with a named reason", "[derived]") {
  const TrustAnchors a = anchors();
  const auto source = canonical();
  for (const std::string name : {"a_sent_tx1_log3", "b_executed_tx0_log1", "q_sent_tx2_log0"}) {
    const auto good = bundle(name);
    for (std::size_t i = 0; i < good.inclusion.receipt.size(); ++i) {
      INFO(name << " receipt byte " << i);
      auto b = good;
      b.inclusion.receipt[i] ^= 0x80;
      // The proof still proves the genuine bytes, so every change is a mismatch.
      require_failure(verify_bundle(b, a, source), check::kInclusion, {reason::kReceiptMismatch});
    }
    for (std::size_t n = 0; n < good.inclusion.proof.size(); ++n) {
      for (std::size_t i = 0; i < good.inclusion.proof[n].size(); ++i) {
        INFO(name << " proof node " << n << " byte " << i);
        auto b = good;
        b.inclusion.proof[n][i] ^= 0x01;
        require_failure(verify_bundle(b, a, source), check::kInclusion, {}, {"mpt.", "rlp."});
      }
    }
  }
}

TEST_CASE("changing any single byte of the segment fails ancestry or finality", "[derived]") {
  const TrustAnchors a = anchors();
  const auto source = canonical();
  for (const std::string name : {"a_sent_tx1_log5", "q_sent_tx2_log0"}) {
    const auto good = bundle(name);
    REQUIRE_FALSE(good.source.segment.empty());
    for (std::size_t h = 0; h < good.source.segment.size(); ++h) {
      for (std::size_t i = 0; i < good.source.segment[h].size(); ++i) {
        INFO(name << " segment header " << h << " byte " << i);
        auto b = good;
        b.source.segment[h][i] ^= 0x01;
        const auto v = verify_bundle(b, a, source);
        REQUIRE(v.outcome == Outcome::kInvalid);
        const Check* problem = v.first_problem();
        INFO(problem->name << ": " << problem->reason.name << ": " << problem->detail);
        CHECK((problem->name == check::kFinality || problem->name == check::kAncestry));
        CHECK((starts_with(problem->reason.name, "verify.") || starts_with(problem->reason.name, "rlp.")));
      }
    }
  }
}

TEST_CASE("single-field mutations of a bundle fail at the expected check", "[derived]") {
  const TrustAnchors a = anchors();
  const auto source = canonical();
  const auto good = bundle("a_sent_tx1_log3");
  REQUIRE(verify_bundle(good, a, source).outcome == Outcome::kValid);
  auto run = [&](auto&& mutate) {
    auto b = good;
    mutate(b);
    return verify_bundle(b, a, source);
  };
  auto flip = [](auto& fixed) { fixed.bytes[31] ^= 0x01; };

  require_failure(run([&](Bundle& b) { flip(b.claim); }), check::kClaim, {reason::kClaimMismatch});
  require_failure(run([&](Bundle& b) { flip(b.message.src_chain); }), check::kIdentity, {reason::kChainMismatch});
  require_failure(run([&](Bundle& b) { flip(b.message.src_gateway); }), check::kIdentity, {reason::kGatewayMismatch});
  require_failure(run([&](Bundle& b) { flip(b.message.dst_chain); }), check::kEvent, {reason::kBundleMessageMismatch});
  require_failure(run([&](Bundle& b) { flip(b.message.dst_gateway); }), check::kEvent, {reason::kBundleMessageMismatch});
  require_failure(run([&](Bundle& b) { flip(b.message.receiver); }), check::kEvent, {reason::kBundleMessageMismatch});
  require_failure(run([&](Bundle& b) { flip(b.message.sender); }), check::kEvent, {reason::kBundleMessageMismatch});
  require_failure(run([&](Bundle& b) { b.message.sequence.value += 1; }), check::kEvent, {reason::kBundleMessageMismatch});
  require_failure(run([&](Bundle& b) { b.message.timeout += 1; }), check::kEvent, {reason::kBundleMessageMismatch});
  require_failure(run([&](Bundle& b) { b.message.gas_limit += 1; }), check::kEvent, {reason::kBundleMessageMismatch});
  require_failure(run([&](Bundle& b) { b.message.flags ^= 1; }), check::kEvent, {reason::kBundleMessageMismatch});
  require_failure(run([&](Bundle& b) { b.message.payload.push_back(0); }), check::kEvent, {reason::kBundleMessageMismatch});
  require_failure(run([&](Bundle& b) { b.message.version = 2; }), check::kEvent, {reason::kBundleMessageMismatch});
  require_failure(run([&](Bundle& b) { flip(b.source.block_hash); }), check::kHeader, {reason::kBlockHashMismatch});
  require_failure(run([&](Bundle& b) { b.source.block_number += 1; }), check::kHeader, {reason::kBlockNumberMismatch});
  require_failure(run([&](Bundle& b) { b.inclusion.tx_index += 1; }), check::kInclusion, {}, {"mpt."});
  require_failure(run([&](Bundle& b) { b.inclusion.log_index = 0; }), check::kEvent, {reason::kWrongEmitter});
  require_failure(run([&](Bundle& b) { b.inclusion.log_index = 5; }), check::kEvent, {reason::kBundleMessageMismatch});
  require_failure(run([&](Bundle& b) { b.inclusion.log_index = 6; }), check::kInclusion, {reason::kLogIndexOutOfRange});
  require_failure(run([&](Bundle& b) { b.inclusion.proof.pop_back(); }), check::kInclusion, {}, {"mpt."});
  require_failure(run([&](Bundle& b) { b.inclusion.proof.push_back(b.inclusion.proof.back()); }), check::kInclusion, {},
                  {"mpt."});
  require_failure(run([&](Bundle& b) { b.kind = BundleKind::kExecution; }), check::kIdentity, {reason::kChainMismatch});
  require_failure(run([&](Bundle& b) { b.source.segment.pop_back(); }), check::kAncestry, {reason::kTargetNotInSegment});

  // A chain the verifier has no anchor for is unusable input, not a verdict on the bundle.
  const auto unknown = run([&](Bundle& b) { flip(b.source.chain_identity); });
  CHECK(unknown.outcome == Outcome::kUnusableInput);
  CHECK(unknown.first_problem()->reason == reason::kUnknownChain);
  CHECK(exit_code(unknown.outcome) == 2);

  // The execution bundle: its message must hash to the event's id.
  const auto exec = bundle("b_executed_tx0_log1");
  auto e = exec;
  e.message.payload.push_back(0);
  require_failure(verify_bundle(e, a, source), check::kMessageId, {reason::kMessageIdMismatch});
  e = exec;
  e.message.sequence.value += 1;
  require_failure(verify_bundle(e, a, source), check::kEvent, {reason::kTopicMismatch});
  e = exec;
  flip(e.claim);
  require_failure(verify_bundle(e, a, source), check::kClaim, {reason::kClaimMismatch});
}

TEST_CASE("wormhole: a bundle cannot supply its own validator set or root", "[derived]") {
  // The bundle format has no place for trust: such fields are refused outright.
  for (const std::string field : {"validator_sets", "receipts_root", "verified", "trust_anchors"}) {
    INFO(field);
    auto j = bundle_json("q_sent_tx2_log0");
    j[field] = nlohmann::json::array();
    auto parsed = bundle_from_json(j);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().reason() == json_read::reason::kUnknownField);
  }
  auto j = bundle_json("q_sent_tx2_log0");
  j["source"]["receipts_root"] = "0x" + std::string(64, '0');
  CHECK(bundle_from_json(j).error().reason() == json_read::reason::kUnknownField);

  // A validator list carried in a header is not believed either: headers whose extraData names
  // attacker validators (still sealed by the genuine ones) are refused.
  const TrustAnchors a = anchors();
  auto b = bundle("q_sent_tx2_log0");
  b.source.segment[0] = edit_qbft_extra(b.source.segment[0], [](BftExtra& extra) {
    for (auto& v : extra.validators) v.bytes[0] ^= 0x40;
    std::sort(extra.validators.begin(), extra.validators.end());
  });
  const auto v = verify_bundle(b, a, NoCanonicalHashes{});
  require_failure(v, check::kFinality, {reason::kUnknownValidatorSetChange});

  // And anchors with the attacker's set are the verifier's own decision, not the bundle's: the
  // genuine anchors reject the genuine bundle sealed by strangers.
  TrustAnchors strangers = a;
  for (auto& m : strangers.chains[2].consensus.validator_sets[0].members) m.bytes[0] ^= 0x40;
  std::sort(strangers.chains[2].consensus.validator_sets[0].members.begin(),
            strangers.chains[2].consensus.validator_sets[0].members.end());
  require_failure(verify_bundle(bundle("q_sent_tx2_log0"), strangers, NoCanonicalHashes{}), check::kFinality,
                  {reason::kUnknownValidatorSetChange, reason::kNonMemberSeal, reason::kProposerNotMember});
}

TEST_CASE("a header of another chain sharing validator keys is rejected", "[derived]") {
  const TrustAnchors a = anchors();
  // The twin QBFT chain: same validator keys, same receipts, another genesis.
  const auto twin = verify_bundle(bundle("q_twin_sent_tx2_log0"), a, NoCanonicalHashes{});
  require_failure(twin, check::kFinality, {reason::kCheckpointMismatch});
  CHECK(twin.find(check::kAncestry)->reason == reason::kCheckpointMismatch);

  // Chain A's bundle passed off as chain B's: the message names its own source chain.
  auto b = bundle("a_sent_tx0_log0");
  b.source.chain_identity = a.chains[1].chain_identity;
  require_failure(verify_bundle(b, a, canonical()), check::kIdentity, {reason::kChainMismatch});

  // Chain A's header under chain B's canonical hash source entry for the same height.
  CanonicalHashMap crossed;
  const auto exec = bundle("b_executed_tx0_log0");
  crossed.add(a.chains[0].chain_identity, b.source.block_number, exec.source.block_hash);
  require_failure(verify_bundle(bundle("a_sent_tx0_log0"), a, crossed), check::kFinality, {reason::kCanonicalHashMismatch});
}

TEST_CASE("not final: too few seals, too shallow, or no canonical hash", "[derived]") {
  const TrustAnchors a = anchors();
  // QBFT: the target sealed by 2 of 4 validators (quorum 3).
  auto q = bundle("q_sent_tx2_log0");
  q.source.header = edit_qbft_extra(q.source.header, [](BftExtra& extra) { extra.committed_seals.pop_back(); });
  require_failure(verify_bundle(q, a, NoCanonicalHashes{}), check::kFinality, {reason::kInsufficientSeals});

  // Confirmations: the head is fewer than `confirmations` blocks past the block.
  const auto b = bundle("a_sent_tx0_log0");
  CanonicalHashMap shallow;
  shallow.add(b.source.chain_identity, b.source.block_number, b.source.block_hash);
  shallow.set_head(b.source.chain_identity, b.source.block_number + 1);
  require_failure(verify_bundle(b, a, shallow), check::kFinality, {reason::kHeaderNotFinal});
  shallow.set_head(b.source.chain_identity, b.source.block_number + 2);
  CHECK(verify_bundle(b, a, shallow).outcome == Outcome::kValid);

  // No canonical hash at all: not final as far as the verifier can tell.
  CHECK(verify_bundle(b, a, NoCanonicalHashes{}).outcome == Outcome::kFinalityUnverifiable);
}

TEST_CASE("trusted mode verifies against the canonical hash and says it is insecure", "[derived]") {
  TrustAnchors a = anchors();
  a.chains[0].consensus.mode = ConsensusMode::kTrusted;
  a.chains[0].insecure = true;
  const auto v = verify_bundle(bundle("a_sent_tx0_log0"), a, canonical());
  CHECK(v.outcome == Outcome::kValid);
  CHECK(v.find(check::kIdentity)->detail.find("INSECURE") != std::string::npos);
  CHECK(v.find(check::kFinality)->detail.find("INSECURE") != std::string::npos);
}

TEST_CASE("outcomes map to exit codes and the worst wins", "[unit]") {
  CHECK(exit_code(Outcome::kValid) == 0);
  CHECK(exit_code(Outcome::kInvalid) == 1);
  CHECK(exit_code(Outcome::kUnusableInput) == 2);
  CHECK(exit_code(Outcome::kFinalityUnverifiable) == 3);
  CHECK(worst(Outcome::kValid, Outcome::kFinalityUnverifiable) == Outcome::kFinalityUnverifiable);
  CHECK(worst(Outcome::kFinalityUnverifiable, Outcome::kUnusableInput) == Outcome::kUnusableInput);
  CHECK(worst(Outcome::kUnusableInput, Outcome::kInvalid) == Outcome::kInvalid);
  CHECK(worst(Outcome::kInvalid, Outcome::kValid) == Outcome::kInvalid);
  const auto unusable = unusable_input(core::Error(json_read::reason::kSyntax, "line 1"));
  CHECK(exit_code(unusable.outcome) == 2);
  CHECK(verdict_to_json(unusable)["verdict"]["reason"] == "json.syntax");
}

TEST_CASE("the verdict renders as JSON with every check in order", "[derived]") {
  const auto v = verify_bundle(bundle("b_executed_tx0_log0"), anchors(), NoCanonicalHashes{});
  const auto j = verdict_to_json(v);
  CHECK(j["outcome"] == "finality_unverifiable");
  CHECK(j["exit_code"] == 3);
  CHECK(j["kind"] == "execution");
  CHECK(j["execution"]["status"] == 1);
  const std::vector<std::string> names{"identity", "header", "finality", "ancestry", "inclusion", "event", "message_id", "claim"};
  REQUIRE(j["verdict"]["checks"].size() == names.size());
  for (std::size_t i = 0; i < names.size(); ++i) CHECK(j["verdict"]["checks"][i]["name"] == names[i]);
  CHECK(j["verdict"]["checks"][2]["status"] == "unverifiable");
  CHECK(j["verdict"]["checks"][2]["reason"] == "verify.needs_canonical_hash");
  CHECK(j["verdict"]["checks"][0]["reason"].is_null());
}
