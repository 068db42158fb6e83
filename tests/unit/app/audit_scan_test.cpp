// `causeway audit scan`'s classification (relay/app/audit_scan) on fetched data, no chain or relay:
// deliveries and acknowledgements against the real anvil bundles, skipped deliveries against Skip
// votes signed here, each failure by its reason from one valid fixture with one thing changed;
// bundles resting on relay-kept checkpoints of a derived QBFT chain; and equivocating checkpoints.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "adapters/evm/sink.hpp"
#include "relay/app/audit_scan.hpp"
#include "relay/core/abi.hpp"
#include "relay/core/checkpoint.hpp"
#include "relay/core/eip712.hpp"
#include "relay/core/message.hpp"
#include "relay/core/secp256k1.hpp"
#include "relay/verify/evm_finality.hpp"
#include "relay/verify/inclusion.hpp"
#include "relay/verify/json_read.hpp"
#include "tests/support/fixed_values.hpp"
#include "tests/unit/evm/signed_chain.hpp"
#include "tests/unit/verify/bundle_fixtures.hpp"
#include "tests/unit/verify/fabric_fixtures.hpp"

using namespace causeway;
using app::Justification;
using test::bundle_fixtures::anchors;
using test::bundle_fixtures::bundle;
using test::bundle_fixtures::canonical;
using test::filled;
using test::key_of;

namespace {

// ---- deliveries and acknowledgements ---------------------------------------------------------

// The event a bundle stands for, as the scan decodes it from the chain.
app::ScanEntry event_of(const verify::Bundle& b, bool acknowledgement) {
  const auto verdict = verify::verify_bundle(b, anchors(), canonical());
  REQUIRE(verdict.outcome == verify::Outcome::kValid);
  app::ScanEntry e;
  e.chain = acknowledgement ? "anvil-a" : "anvil-b";
  e.acknowledgement = acknowledgement;
  e.id = verdict.id.value();
  e.claim = verdict.claim.value();
  e.status = acknowledgement ? static_cast<std::uint8_t>(verdict.execution.value().status) : 1;
  return e;
}

app::FoundBundle found(verify::Bundle b) { return {core::Result<verify::Bundle>(std::move(b)), ""}; }

// A delivery of each bundle's message on the target, as the scan finds it, beside the bundle.
void delivered(const std::vector<verify::Bundle>& bundles, std::vector<app::ScanEntry>& entries,
               std::vector<app::FoundBundle>& founds) {
  for (const auto& b : bundles) {
    app::ScanEntry e;
    e.chain = "qbft-target";
    e.id = core::message_id(b.message);
    e.claim = b.claim;
    e.status = 1;
    entries.push_back(e);
    founds.push_back(found(b));
  }
}

app::ScanEntry classified(app::ScanEntry e, const app::FoundBundle& f,
                          const verify::CanonicalHashSource& source = canonical()) {
  app::classify_bundle(e, f, anchors(), source);
  INFO(e.reason.name << ": " << e.detail);
  return e;
}

// ---- skips -----------------------------------------------------------------------------------

constexpr std::string_view kKeyA = "1111111111111111111111111111111111111111111111111111111111111111";
constexpr std::string_view kKeyB = "2222222222222222222222222222222222222222222222222222222222222222";
constexpr std::string_view kKeyC = "3333333333333333333333333333333333333333333333333333333333333333";
constexpr std::string_view kOutsiderKey = "4444444444444444444444444444444444444444444444444444444444444444";
constexpr std::uint64_t kSkipBlock = 40;

const core::Address kGateway = filled<core::Address>(0x77);

core::Message stuck_message() {
  core::Message m;
  m.src_chain = filled<core::ChainIdentity>(0x0a);
  m.src_gateway = filled<core::Word32>(0x0b);
  m.dst_chain = filled<core::ChainIdentity>(0x31);
  m.dst_gateway = core::address_word(kGateway);
  m.receiver = filled<core::Word32>(0x0c);
  m.sequence = core::Sequence{3};
  m.sender = filled<core::Word32>(0x0d);
  m.gas_limit = 100000;
  m.flags = core::kFlagOrdered;
  m.payload = {1, 2, 3};
  return m;
}

core::Eip712Domain domain() { return core::causeway_domain(31338, kGateway, filled<core::ChainIdentity>(0x31)); }

// Epoch 1 (attesters A, B, C; threshold 2) announced at block 10.
app::AttesterEpoch epoch_one() {
  app::AttesterEpoch e;
  e.epoch = 1;
  e.block = 10;
  e.attesters = {core::address_of(key_of(kKeyA)), core::address_of(key_of(kKeyB)), core::address_of(key_of(kKeyC))};
  std::sort(e.attesters.begin(), e.attesters.end());
  e.threshold = 2;
  return e;
}

// Skip(id, epoch) signatures by `keys`, signers ascending as the gateway wants them.
std::vector<std::array<std::uint8_t, 65>> skip_votes(const std::vector<std::string_view>& keys, std::uint64_t epoch,
                                                     const core::Eip712Domain& under = domain()) {
  std::vector<std::pair<core::Address, std::array<std::uint8_t, 65>>> signed_votes;
  const auto digest = core::vote_digest(core::domain_separator(under),
                                        core::SkipVote{core::message_id(stuck_message()), core::Epoch{epoch}});
  for (const auto key : keys) {
    const auto signature = core::sign_recoverable(digest, key_of(key)).value();
    signed_votes.emplace_back(core::address_of(key_of(key)), signature.to_rsv(core::VByte::k27or28));
  }
  std::sort(signed_votes.begin(), signed_votes.end());
  std::vector<std::array<std::uint8_t, 65>> out;
  for (const auto& [signer, rsv] : signed_votes) out.push_back(rsv);
  return out;
}

app::SkipTransaction skip_tx(std::vector<std::array<std::uint8_t, 65>> signatures, std::uint8_t hash_byte = 0x51) {
  evm::SkipRequest request;
  request.message = stuck_message();
  request.signatures = std::move(signatures);
  app::SkipTransaction tx;
  tx.hash = filled<core::Hash32>(hash_byte);
  tx.to = kGateway;
  tx.input = evm::skip_calldata(request).value();
  return tx;
}

app::ScanEntry skipped_event() {
  app::ScanEntry e;
  e.chain = "anvil-b";
  e.block = kSkipBlock;
  e.tx_hash = filled<core::Hash32>(0x51);
  e.id = core::message_id(stuck_message());
  e.status = static_cast<std::uint8_t>(core::ExecStatus::kSkipped);
  return e;
}

// The honest skip: A and B of epoch 1 in one transaction, and the relay's skip leaf.
app::SkipEvidence honest_skip() {
  return {domain(), {epoch_one()}, {skip_tx(skip_votes({kKeyA, kKeyB}, 1))}, true};
}

app::ScanEntry judged(const app::SkipEvidence& evidence) {
  app::ScanEntry e = skipped_event();
  app::classify_skip(e, evidence);
  INFO(e.reason.name << ": " << e.detail);
  return e;
}

void require_skip_failure(const app::SkipEvidence& evidence, core::Reason reason) {
  const auto e = judged(evidence);
  INFO(e.detail);
  CHECK(e.justification == Justification::kUnjustified);
  CHECK(e.reason == reason);
}

}  // namespace

TEST_CASE("scan: a delivery and an acknowledgement with verified bundles are justified", "[unit]") {
  const auto delivery = classified(event_of(bundle("a_sent_tx0_log0"), false), found(bundle("a_sent_tx0_log0")));
  CHECK(delivery.justification == Justification::kJustified);
  CHECK(delivery.reason.name.empty());
  const auto ack = classified(event_of(bundle("b_executed_tx0_log0"), true), found(bundle("b_executed_tx0_log0")));
  CHECK(ack.justification == Justification::kJustified);
  CHECK(ack.detail == "execution bundle verified");
}

TEST_CASE("scan: FISCO BCOS deliveries (2.x and 3.x, ECDSA and SM) are judged by verify_bundle", "[unit][fisco]") {
  for (const std::string name : {"fisco-ecdsa", "fisco-sm", "fisco3-ecdsa", "fisco3-sm"}) {
    INFO(name);
    using test::bundle_fixtures::read_text;
    using test::bundle_fixtures::source_path;
    const auto b = verify::parse_bundle(read_text(source_path("schemas/examples/proof-bundle.valid-" + name + ".json")));
    REQUIRE(b.ok());
    const auto fisco_anchors =
        verify::parse_trust_anchors(read_text(source_path("schemas/examples/trust-anchors.valid-" + name + ".json")));
    REQUIRE(fisco_anchors.ok());
    const auto judge = [&](const verify::Bundle& offered) {
      app::ScanEntry e;
      e.chain = "fisco";
      e.id = core::message_id(b->message);
      e.claim = b->claim;
      e.status = static_cast<std::uint8_t>(core::ExecStatus::kOk);
      app::classify_bundle(e, found(offered), *fisco_anchors, verify::NoCanonicalHashes{});
      INFO(e.reason.name << ": " << e.detail);
      return e;
    };
    CHECK(judge(*b).justification == Justification::kJustified);
    // One byte of the message's payload changed: the event no longer carries this message.
    verify::Bundle changed = *b;
    changed.message.payload.push_back(0x01);
    CHECK(judge(changed).justification == Justification::kUnjustified);
  }
}

TEST_CASE("scan: fabric deliveries and acknowledgements are judged by verify_bundle", "[unit][fabric]") {
  const test::fabric_fixtures::FabricWorld world;
  const verify::TrustAnchors fabric_anchors = world.anchors();
  const auto judge = [&](bool acknowledgement, const verify::Bundle& b) {
    app::ScanEntry e;
    e.chain = "fabric-causeway";
    e.acknowledgement = acknowledgement;
    e.id = core::message_id(b.message);
    e.claim = b.claim;
    e.status = static_cast<std::uint8_t>(core::ExecStatus::kOk);
    app::classify_bundle(e, found(b), fabric_anchors, verify::NoCanonicalHashes{});
    INFO(e.reason.name << ": " << e.detail);
    return e;
  };
  const verify::Bundle sent = world.build();
  CHECK(judge(false, sent).justification == Justification::kJustified);
  test::fabric_fixtures::FabricWorldOptions execution;
  execution.kind = verify::BundleKind::kExecution;
  const verify::Bundle executed = world.build(execution);
  const auto ack = judge(true, executed);
  CHECK(ack.justification == Justification::kJustified);
  CHECK(ack.detail == "execution bundle verified");

  // One peer short of k: the delivery has no valid bundle, by the verifier's reason.
  verify::Bundle fewer = sent;
  fewer.fabric_inclusion.attestations.pop_back();
  const auto short_of = judge(false, fewer);
  CHECK(short_of.justification == Justification::kUnjustified);
  CHECK(short_of.reason == verify::fabric::reason::kPeerQuorumNotMet);
  CHECK(short_of.detail.rfind(verify::check::kInclusion, 0) == 0);
  // A valid execution bundle offered for a delivery.
  CHECK(judge(false, executed).reason == app::reason::kScanWrongKind);
}

TEST_CASE("scan: a bundle that fails verification makes the delivery unjustified with its reason", "[unit]") {
  const auto event = event_of(bundle("a_sent_tx0_log0"), false);
  auto forged = bundle("a_sent_tx0_log0");
  forged.inclusion.receipt.back() ^= 0x01;
  const auto e = classified(event, found(forged));
  CHECK(e.justification == Justification::kUnjustified);
  CHECK(e.reason == verify::reason::kReceiptMismatch);
  CHECK(e.detail.rfind(verify::check::kInclusion, 0) == 0);

  // A bundle that does not even parse is as unjustified, by the parser's reason.
  const app::FoundBundle unreadable{core::Result<verify::Bundle>(core::Error(verify::json_read::reason::kUnknownField,
                                                                             "verified")),
                                    ""};
  const auto parsed = classified(event, unreadable);
  CHECK(parsed.justification == Justification::kUnjustified);
  CHECK(parsed.reason == verify::json_read::reason::kUnknownField);
}

TEST_CASE("scan: bundles resting on a checkpoint the relay kept scan clean in block order", "[unit]") {
  // The derived QBFT chain's two events, the second bundle from the first one's block (the source
  // as the engine configures it once it kept that checkpoint).
  test::SignedChain h("qbft");
  h.start();
  h.source->set_segment_from(h.data["event"]["block"].get<std::uint64_t>());
  const auto bundles = h.poll_both();
  const verify::TrustAnchors pinned = h.anchors();
  std::vector<app::ScanEntry> entries;
  std::vector<app::FoundBundle> founds;
  delivered(bundles, entries, founds);

  // Alone, against the pinned anchors, the second bundle does not reach its checkpoint.
  app::ScanEntry alone = entries[1];
  app::classify_bundle(alone, founds[1], pinned, verify::NoCanonicalHashes{});
  CHECK(alone.justification == Justification::kUnjustified);
  CHECK(alone.reason == verify::reason::kTargetNotInSegment);

  // Given in reverse, the scan still verifies the first bundle first and learns its block.
  app::classify_in_block_order({{&entries[1], &founds[1]}, {&entries[0], &founds[0]}}, pinned,
                               verify::NoCanonicalHashes{});
  for (const auto& e : entries) {
    INFO(e.reason.name << ": " << e.detail);
    CHECK(e.justification == Justification::kJustified);
  }

  // Without the bundle that established the checkpoint, and no node to follow the headers there,
  // the later one is unjustified again, saying what would settle it.
  app::ScanEntry orphan = entries[1];
  app::classify_in_block_order({{&orphan, &founds[1]}}, pinned, verify::NoCanonicalHashes{});
  CHECK(orphan.justification == Justification::kUnjustified);
  CHECK(orphan.reason == app::reason::kScanHeadersNotFollowed);
  CHECK(orphan.detail.find("verify.target_not_in_segment") != std::string::npos);
}

namespace {

// The derived QBFT chain's two events with the second bundle from block `kept`, a checkpoint the
// relay kept from headers alone (no bundle of that block), as scan entries.
struct FollowedByHeaders {
  test::SignedChain h{"qbft"};
  verify::TrustAnchors pinned;
  std::uint64_t kept = 5;
  std::vector<app::ScanEntry> entries;
  std::vector<app::FoundBundle> founds;

  FollowedByHeaders() {
    h.start();
    pinned = h.anchors();
    h.source->set_segment_from(kept);
    delivered(h.poll_both(), entries, founds);
    REQUIRE(verify::segment_start(*founds[1].bundle.value()) == kept);
  }

  void classify(verify::HeaderSource* headers) {
    app::classify_in_block_order({{&entries[1], &founds[1]}, {&entries[0], &founds[0]}}, pinned,
                                 verify::NoCanonicalHashes{}, headers);
  }
};

}  // namespace

TEST_CASE("scan: a bundle from a checkpoint kept from headers is judged by following them with the auditor's node",
          "[unit]") {
  FollowedByHeaders f;
  test::DerivedHeaders node(f.h);
  f.classify(&node);
  for (const auto& e : f.entries) {
    INFO(e.reason.name << ": " << e.detail);
    CHECK(e.justification == Justification::kJustified);
  }
  // From the highest checkpoint learned below it (block 4, the first bundle's target, judged first
  // in block order) to exactly the bundle's start.
  REQUIRE_FALSE(node.asked.empty());
  CHECK(node.asked.back().second == f.kept);
  CHECK(node.asked.front().first == 4);
}

TEST_CASE("scan: without a node for the chain a bundle from a followed checkpoint says --rpc would settle it",
          "[unit]") {
  FollowedByHeaders f;
  f.classify(nullptr);
  CHECK(f.entries[0].justification == Justification::kJustified);
  CHECK(f.entries[1].justification == Justification::kUnjustified);
  CHECK(f.entries[1].reason == app::reason::kScanHeadersNotFollowed);
  CHECK(f.entries[1].detail.find("--rpc") != std::string::npos);
  CHECK(f.entries[1].detail.find("block 5") != std::string::npos);
}

TEST_CASE("scan: a node serving a header off the anchored chain leaves a bundle from a followed checkpoint "
          "unverifiable",
          "[unit]") {
  FollowedByHeaders f;
  test::DerivedHeaders node(f.h);
  // Header 5 with another parent: not the chain the auditor's anchors lead to.
  node.replaced.emplace(5, test::verify_util::with_field(f.h.header_rlp(5), 0, f.h.chain.hash(3).view()));
  f.classify(&node);
  CHECK(f.entries[0].justification == Justification::kJustified);
  CHECK(f.entries[1].justification == Justification::kUnverifiable);
  CHECK(f.entries[1].reason == verify::reason::kCheckpointMismatch);
  CHECK(f.entries[1].detail.find("auditor's node") != std::string::npos);
}

TEST_CASE("scan: a delivery without a bundle lacks one, with the relay's note", "[unit]") {
  const auto event = event_of(bundle("a_sent_tx0_log0"), false);
  const auto bare = classified(event, app::FoundBundle{});
  CHECK(bare.justification == Justification::kLacking);
  CHECK(bare.reason == app::reason::kScanNoBundle);
  const auto noted = classified(event, app::FoundBundle{std::nullopt, "the relay rejected it: verify.claim_mismatch"});
  CHECK(noted.justification == Justification::kLacking);
  CHECK(noted.detail.find("verify.claim_mismatch") != std::string::npos);
}

TEST_CASE("scan: a bundle proving another message, claim or kind than the event is unjustified", "[unit]") {
  const auto event = event_of(bundle("a_sent_tx0_log0"), false);
  auto other_id = event;
  other_id.id = filled<core::MessageId>(0x99);
  CHECK(classified(other_id, found(bundle("a_sent_tx0_log0"))).reason == app::reason::kScanEventMismatch);
  auto other_claim = event;
  other_claim.claim = filled<core::Claim>(0x99);
  const auto claim = classified(other_claim, found(bundle("a_sent_tx0_log0")));
  CHECK(claim.justification == Justification::kUnjustified);
  CHECK(claim.reason == app::reason::kScanEventMismatch);
  // An execution bundle cannot justify a delivery, nor a message bundle an acknowledgement.
  const auto exec_event = event_of(bundle("b_executed_tx0_log0"), false);
  CHECK(classified(exec_event, found(bundle("b_executed_tx0_log0"))).reason == app::reason::kScanWrongKind);
  auto ack_of_message = event;
  ack_of_message.acknowledgement = true;
  CHECK(classified(ack_of_message, found(bundle("a_sent_tx0_log0"))).reason == app::reason::kScanWrongKind);
}

TEST_CASE("scan: an acknowledgement must match the execution status its bundle proves", "[unit]") {
  auto ack = event_of(bundle("b_executed_tx0_log0"), true);
  ack.status = static_cast<std::uint8_t>(core::ExecStatus::kReceiverFailed);
  const auto e = classified(ack, found(bundle("b_executed_tx0_log0")));
  CHECK(e.justification == Justification::kUnjustified);
  CHECK(e.reason == app::reason::kScanEventMismatch);
  CHECK(e.detail == "it proves another execution status");
}

TEST_CASE("scan: without a canonical hash an unsigned chain's delivery is finality_unverifiable", "[unit]") {
  const auto e = classified(event_of(bundle("a_sent_tx0_log0"), false), found(bundle("a_sent_tx0_log0")),
                            verify::CanonicalHashMap{});
  CHECK(e.justification == Justification::kUnverifiable);
  CHECK(e.reason == verify::reason::kNeedsCanonicalHash);
}

TEST_CASE("scan: a skip on threshold Skip votes with its skip leaf is skipped-justified", "[unit]") {
  const auto e = judged(honest_skip());
  CHECK(e.justification == Justification::kSkipped);
  CHECK(e.reason.name.empty());
  CHECK(e.detail.find("2 attesters of epoch 1") != std::string::npos);
  // Without an audit log to look in, the votes alone decide, and the detail says so.
  auto no_log = honest_skip();
  no_log.leaf = std::nullopt;
  CHECK(judged(no_log).justification == Justification::kSkipped);
  CHECK(judged(no_log).detail.find("no audit log") != std::string::npos);
  // All three attesters are as good as two.
  auto all = honest_skip();
  all.transactions = {skip_tx(skip_votes({kKeyA, kKeyB, kKeyC}, 1))};
  CHECK(judged(all).justification == Justification::kSkipped);
}

TEST_CASE("scan: a skip with good votes but no skip leaf lacks it", "[unit]") {
  auto evidence = honest_skip();
  evidence.leaf = false;
  const auto e = judged(evidence);
  CHECK(e.justification == Justification::kLacking);
  CHECK(e.reason == app::reason::kScanNoSkipLeaf);
}

TEST_CASE("scan: a skip whose votes fall short is unjustified by the named reason", "[unit]") {
  SECTION("below the threshold") {
    auto evidence = honest_skip();
    evidence.transactions = {skip_tx(skip_votes({kKeyA}, 1))};
    require_skip_failure(evidence, app::reason::kScanSkipBelowThreshold);
  }
  SECTION("one attester twice counts once") {
    auto votes = skip_votes({kKeyA}, 1);
    votes.push_back(votes.front());
    auto evidence = honest_skip();
    evidence.transactions = {skip_tx(votes)};
    require_skip_failure(evidence, app::reason::kScanSkipBelowThreshold);
  }
  SECTION("a signer outside the attester set") {
    auto evidence = honest_skip();
    evidence.transactions = {skip_tx(skip_votes({kKeyA, kOutsiderKey}, 1))};
    require_skip_failure(evidence, app::reason::kScanSkipVoteNotAttester);
  }
  SECTION("votes for another epoch") {
    auto evidence = honest_skip();
    evidence.transactions = {skip_tx(skip_votes({kKeyA, kKeyB}, 2))};
    require_skip_failure(evidence, app::reason::kScanSkipVoteNotAttester);
  }
  SECTION("votes under another gateway's domain") {
    auto evidence = honest_skip();
    const auto elsewhere = core::causeway_domain(31338, filled<core::Address>(0x78), filled<core::ChainIdentity>(0x31));
    evidence.transactions = {skip_tx(skip_votes({kKeyA, kKeyB}, 1, elsewhere))};
    require_skip_failure(evidence, app::reason::kScanSkipVoteNotAttester);
  }
  SECTION("a corrupted signature") {
    auto votes = skip_votes({kKeyA, kKeyB}, 1);
    votes.back()[10] ^= 0x01;
    auto evidence = honest_skip();
    evidence.transactions = {skip_tx(votes)};
    require_skip_failure(evidence, app::reason::kScanSkipVoteNotAttester);
  }
  SECTION("no votes at all") {
    // skip(msg, []) as the gateway accepts it (it executes votes recorded before); the relay's
    // encoder refuses to write one, so it is assembled here.
    auto evidence = honest_skip();
    auto& tx = evidence.transactions.front();
    const core::Bytes selector(tx.input.begin(), tx.input.begin() + 4);
    tx.input = selector;
    core::append(tx.input, core::abi::encode({core::message_tuple(stuck_message()), core::abi::array({})}));
    require_skip_failure(evidence, app::reason::kScanSkipVotesMissing);
  }
  SECTION("the votes good, the leaf missing as well: the votes' failure is named") {
    auto evidence = honest_skip();
    evidence.transactions = {skip_tx(skip_votes({kKeyA}, 1))};
    evidence.leaf = false;
    const auto e = judged(evidence);
    CHECK(e.reason == app::reason::kScanSkipBelowThreshold);
    CHECK(e.detail.find("no skip leaf") != std::string::npos);
  }
}

TEST_CASE("scan: a skip whose calldata is not a direct skip() of the message is unreadable", "[unit]") {
  SECTION("sent through another contract") {
    auto evidence = honest_skip();
    evidence.transactions.front().to = filled<core::Address>(0x66);
    require_skip_failure(evidence, app::reason::kScanSkipCalldataUnreadable);
  }
  SECTION("a contract creation") {
    auto evidence = honest_skip();
    evidence.transactions.front().to = std::nullopt;
    require_skip_failure(evidence, app::reason::kScanSkipCalldataUnreadable);
  }
  SECTION("another function's selector") {
    auto evidence = honest_skip();
    evidence.transactions.front().input[0] ^= 0x01;
    require_skip_failure(evidence, app::reason::kScanSkipCalldataUnreadable);
  }
  SECTION("a trailing byte") {
    auto evidence = honest_skip();
    evidence.transactions.front().input.push_back(0);
    require_skip_failure(evidence, app::reason::kScanSkipCalldataUnreadable);
  }
  SECTION("truncated") {
    auto evidence = honest_skip();
    evidence.transactions.front().input.resize(40);
    require_skip_failure(evidence, app::reason::kScanSkipCalldataUnreadable);
  }
  SECTION("a skip of another message") {
    auto evidence = honest_skip();
    auto other = stuck_message();
    other.sequence = core::Sequence{4};
    evm::SkipRequest request;
    request.message = other;
    request.signatures = skip_votes({kKeyA, kKeyB}, 1);
    evidence.transactions.front().input = evm::skip_calldata(request).value();
    require_skip_failure(evidence, app::reason::kScanSkipCalldataUnreadable);
  }
}

TEST_CASE("scan: Skip votes recorded in earlier transactions count toward the threshold", "[unit]") {
  const auto separator = core::domain_separator(domain());
  const auto id = core::message_id(stuck_message());
  auto earlier = skip_tx(skip_votes({kKeyA}, 1), 0x50);
  earlier.recorded_digest = core::vote_digest(separator, core::SkipVote{id, core::Epoch{1}});
  auto evidence = honest_skip();
  evidence.transactions = {skip_tx(skip_votes({kKeyB}, 1)), earlier};
  CHECK(judged(evidence).justification == Justification::kSkipped);
  // Recorded under another epoch's digest, they do not.
  evidence.transactions.back().recorded_digest = core::vote_digest(separator, core::SkipVote{id, core::Epoch{2}});
  require_skip_failure(evidence, app::reason::kScanSkipBelowThreshold);
  // An earlier transaction through a contract leaves its votes unread, and says so.
  evidence.transactions.back().recorded_digest = core::vote_digest(separator, core::SkipVote{id, core::Epoch{1}});
  evidence.transactions.back().to = filled<core::Address>(0x66);
  require_skip_failure(evidence, app::reason::kScanSkipCalldataUnreadable);
}

TEST_CASE("scan: a skip is judged by the attesters of the epoch in force at its block", "[unit]") {
  // Epoch 2 (outsider alone, threshold 1) announced at block 30.
  app::AttesterEpoch two;
  two.epoch = 2;
  two.block = 30;
  two.attesters = {core::address_of(key_of(kOutsiderKey))};
  two.threshold = 1;
  auto evidence = honest_skip();
  evidence.epochs.push_back(two);
  // At block 40 epoch 2 is in force: epoch 1's attesters no longer count.
  require_skip_failure(evidence, app::reason::kScanSkipVoteNotAttester);
  evidence.transactions = {skip_tx(skip_votes({kOutsiderKey}, 2))};
  CHECK(judged(evidence).justification == Justification::kSkipped);
  // A rotation in the skip's own block may have come before or after it: either epoch's votes do.
  evidence.epochs.back().block = kSkipBlock;
  CHECK(judged(evidence).justification == Justification::kSkipped);
  evidence.transactions = {skip_tx(skip_votes({kKeyA, kKeyB}, 1))};
  CHECK(judged(evidence).justification == Justification::kSkipped);
  // Before any announced epoch there is no attester set to judge by.
  evidence.epochs = {epoch_one()};
  evidence.epochs.front().block = kSkipBlock + 1;
  require_skip_failure(evidence, app::reason::kScanSkipNoEpoch);
}

TEST_CASE("scan: two checkpoints of one size with different roots are equivocation", "[unit]") {
  const core::CheckpointBody a{"causeway/relay", 8, filled<core::Hash32>(0x01), 1000};
  auto b = a;
  b.time = 2000;
  CHECK(core::detect_equivocation(a, b).ok());  // the same tree signed twice
  b.root = filled<core::Hash32>(0x02);
  const auto forked = core::detect_equivocation(a, b);
  REQUIRE_FALSE(forked.ok());
  CHECK(forked.error().reason() == core::reason::checkpoint::kEquivocation);
  b.size = 9;
  CHECK(core::detect_equivocation(a, b).ok());  // another size: a consistency proof decides
}
