// Tests for the EVM source's header segments (issue 4): bundles of QBFT / IBFT 2.0 / Clique chains
// carry the headers from the anchors' checkpoint (and Clique descendants) and verify with
// verify::verify_bundle. The chains are derived (sealed by ethers in gen_bft_chains.mjs,
// "sent_chains"), served by FakeChain as a node would.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <utility>

#include "adapters/evm/header_json.hpp"
#include "adapters/evm/source.hpp"
#include "relay/verify/trust_anchors.hpp"
#include "relay/verify/verify.hpp"
#include "tests/unit/evm/fake_chain.hpp"
#include "tests/unit/evm/signed_chain.hpp"
#include "tests/unit/verify/verify_test_util.hpp"

using namespace causeway;
using causeway::test::FakeChain;
using causeway::test::run_task;

namespace {

// The derived chain with its one event (signed_chain.hpp), bundles taken one poll at a time.
struct SignedHarness : test::SignedChain {
  explicit SignedHarness(const char* name) : SignedChain(name, false) {}

  std::uint64_t event_block() const { return data["event"]["block"].get<std::uint64_t>(); }

  // The bundle of the chain's one event, through poll().
  verify::Bundle polled_bundle() {
    auto polled = run_task(io, source->poll());
    INFO((polled.ok() ? std::string() : polled.error().message()));
    REQUIRE(polled.ok());
    CHECK(polled->rejected.empty());
    REQUIRE(polled->bundles.size() == 1);
    return polled->bundles[0];
  }

  verify::Verdict verify(const verify::Bundle& bundle) const {
    return verify::verify_bundle(bundle, anchors(), verify::CanonicalHashMap{});
  }
};

std::string reason_of(const verify::Verdict& v) { return std::string(v.root.reason.name); }

}  // namespace

TEST_CASE("evm source segments: signed-chain bundles verify against anchors pinned at the checkpoint",
          "[unit][derived]") {
  for (const char* name : {"qbft", "ibft2", "clique"}) {
    SECTION(name) {
      SignedHarness h(name);
      const bool clique = h.mode == verify::ConsensusMode::kClique;
      for (const bool raw : {false, true}) {
        h.chain.offer_raw = raw;
        h.start(h.config());
        const verify::Bundle bundle = h.polled_bundle();
        CHECK(bundle.source.block_number == h.event_block());
        CHECK(bundle.source.segment.size() == h.event_block() - 1 + (clique ? 1 : 0));
        const verify::Verdict verdict = h.verify(bundle);
        INFO(name << (raw ? " raw" : " json") << ": " << reason_of(verdict) << " " << verdict.root.detail);
        CHECK(verdict.outcome == verify::Outcome::kValid);
        CHECK(h.source->raw_headers() == (raw ? evm::RawSupport::kOffered : evm::RawSupport::kAbsent));
      }
    }
  }
}

TEST_CASE("evm source segments: a segment without the checkpoint's link fails with the verifier's reason",
          "[unit][derived]") {
  for (const char* name : {"qbft", "clique"}) {
    SECTION(name) {
      SignedHarness h(name);
      h.start(h.config());
      const verify::Bundle bundle = h.polled_bundle();
      REQUIRE(h.verify(bundle).outcome == verify::Outcome::kValid);

      verify::Bundle removed = bundle;
      removed.source.segment.erase(removed.source.segment.begin() + 1);
      const verify::Verdict removed_verdict = h.verify(removed);
      CHECK(removed_verdict.outcome == verify::Outcome::kInvalid);
      CHECK(reason_of(removed_verdict) ==
            (h.mode == verify::ConsensusMode::kClique ? "verify.unexpected_number" : "verify.target_not_in_segment"));

      verify::Bundle swapped = bundle;
      std::swap(swapped.source.segment[0], swapped.source.segment[1]);
      const verify::Verdict swapped_verdict = h.verify(swapped);
      CHECK(swapped_verdict.outcome == verify::Outcome::kInvalid);
      CHECK(reason_of(swapped_verdict) == "verify.unexpected_number");
    }
  }
}

TEST_CASE("evm source segments: clique descendants below the quorum fail as not final", "[unit][derived]") {
  SignedHarness h("clique");
  h.start(h.config());
  const verify::Bundle bundle = h.polled_bundle();
  REQUIRE(h.verify(bundle).outcome == verify::Outcome::kValid);
  verify::Bundle truncated = bundle;
  truncated.source.segment.pop_back();  // the one descendant: one signer of the two needed
  const verify::Verdict verdict = h.verify(truncated);
  CHECK(verdict.outcome == verify::Outcome::kInvalid);
  CHECK(reason_of(verdict) == "verify.header_not_final");

  // The source itself never emits that bundle: without descendants it is not head yet.
  auto head = run_task(h.io, h.source->head());
  REQUIRE(head.ok());
  CHECK(head->number == h.chain.height() - 1);
}

TEST_CASE("evm source segments: past the segment bound the block fails by name", "[unit][derived]") {
  SignedHarness h("qbft");
  const std::size_t bound = verify::BundleLimits{}.max_segment_headers;
  const std::uint64_t before = h.event_block() - 1;
  const auto prove_with = [&](std::uint64_t descendants) {
    evm::SourceConfig c = h.config();
    c.descendants = static_cast<std::uint32_t>(descendants);
    h.start(std::move(c));
    auto events = run_task(h.io, h.source->scan({.from = 1, .to = h.chain.height()}));
    REQUIRE(events.ok());
    REQUIRE(events->size() == 1);
    const evm::ProveRequest request{.block = (*events)[0].block, .events = *events};
    return run_task(h.io, h.source->prove(request));
  };
  auto too_long = prove_with(bound - before + 1);
  REQUIRE_FALSE(too_long.ok());
  CHECK(too_long.error().reason() == evm::reason::source::kSegmentTooLong);
  // At the bound the segment is built: here it fails only for want of blocks.
  auto at_bound = prove_with(bound - before);
  REQUIRE_FALSE(at_bound.ok());
  CHECK(at_bound.error().reason() == evm::reason::source::kNoBlock);

  // A block at or below the checkpoint cannot be linked to it.
  evm::SourceConfig c = h.config();
  c.segment_from = h.event_block();
  h.start(std::move(c));
  const evm::BlockRef block{h.event_block(), h.chain.hash(h.event_block())};
  auto events = run_task(h.io, h.source->scan({.from = block.number, .to = block.number}));
  REQUIRE(events.ok());
  const evm::ProveRequest request{.block = block, .events = *events};
  auto below = run_task(h.io, h.source->prove(request));
  REQUIRE_FALSE(below.ok());
  CHECK(below.error().reason() == evm::reason::source::kBelowCheckpoint);
}

TEST_CASE("evm source segments: the header cache lives for one call only", "[unit][derived]") {
  SignedHarness h("qbft");
  h.start(h.config());
  auto events = run_task(h.io, h.source->scan({.from = 1, .to = h.chain.height()}));
  REQUIRE(events.ok());
  REQUIRE(events->size() == 1);
  const evm::ProveRequest request{.block = (*events)[0].block, .events = *events};
  for (int round = 0; round < 2; ++round) {
    const std::size_t before = h.chain.calls("eth_getBlockByNumber");
    auto proven = run_task(h.io, h.source->prove(request));
    REQUIRE(proven.ok());
    REQUIRE(proven->bundles.size() == 1);
    CHECK(h.verify(proven->bundles[0]).outcome == verify::Outcome::kValid);
    // The block and its three segment headers, read again each call: a reorg between two calls
    // never meets a cached header.
    CHECK(h.chain.calls("eth_getBlockByNumber") - before == 4);
  }
}
