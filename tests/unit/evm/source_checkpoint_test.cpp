// Tests for relay-kept checkpoints (relay/verify/checkpoints.cpp), the EVM source's
// set_segment_from and headers() (the idle advance of a quiet chain): on the derived QBFT / IBFT
// 2.0 / Clique chains with two events, the bundle of the second may start at the first one's
// block once a valid bundle established it there, or at a block whose headers were followed.
#include <catch2/catch.hpp>

#include <string>

#include "adapters/evm/source.hpp"
#include "relay/verify/checkpoints.hpp"
#include "relay/verify/evm_header.hpp"
#include "relay/verify/verify.hpp"
#include "tests/unit/evm/signed_chain.hpp"

using namespace causeway;
using causeway::test::SignedChain;
using causeway::test::run_task;

namespace {

std::string reason_of(const verify::Verdict& v) { return std::string(v.root.reason.name); }

std::uint64_t number_of(core::ByteView header_rlp) {
  auto header = verify::decode_evm_header(header_rlp);
  REQUIRE(header.ok());
  return header->number;
}

// The two bundles as the engine's source builds them once a checkpoint is kept at the first
// event's block: the first from the pinned checkpoint, the second from the kept one.
struct KeptAtFirstEvent {
  SignedChain h;
  verify::TrustAnchors pinned;
  verify::Bundle first;   // block 4, segment from the pinned checkpoint 0
  verify::Bundle second;  // block 6, segment from the kept checkpoint 4
  std::uint64_t kept = 0;

  explicit KeptAtFirstEvent(const char* name) : h(name), pinned(h.anchors()) {
    h.start();
    h.source->set_segment_from(h.data["event"]["block"].get<std::uint64_t>());
    auto bundles = h.poll_both();
    first = bundles[0];
    second = bundles[1];
    kept = first.source.block_number;
  }
};

}  // namespace

TEST_CASE("relay-kept checkpoints: a bundle from a kept checkpoint verifies through it, not against the pin",
          "[unit][derived]") {
  for (const char* name : {"qbft", "ibft2", "clique"}) {
    SECTION(name) {
      KeptAtFirstEvent f(name);
      const bool clique = f.h.mode == verify::ConsensusMode::kClique;
      // The source: the first block is not above the kept checkpoint, so it keeps the pinned start.
      CHECK(verify::segment_start(f.first) == 0);
      CHECK(number_of(f.first.source.segment.front()) == 1);
      CHECK(verify::segment_start(f.second) == f.kept);
      CHECK(number_of(f.second.source.segment.front()) == f.kept + 1);
      CHECK(f.second.source.segment.size() == f.second.source.block_number - f.kept - 1 + (clique ? 1 : 0));

      verify::CheckpointMemory memory;
      const verify::FollowedCheckpoints followed(f.pinned, memory.lookup());
      // Nothing kept yet: the second bundle is judged by the pinned anchors and fails by name.
      auto unkept = followed.anchors_for(f.second);
      REQUIRE(unkept.ok());
      CHECK(unkept->chains.front().consensus.checkpoint.number == 0);
      const verify::Verdict alone = verify::verify_bundle(f.second, f.pinned, verify::NoCanonicalHashes{});
      CHECK(alone.outcome == verify::Outcome::kInvalid);
      CHECK(reason_of(alone) == "verify.target_not_in_segment");

      // The first bundle, from the pinned checkpoint, still verifies and establishes its block.
      auto first_anchors = followed.anchors_for(f.first);
      REQUIRE(first_anchors.ok());
      const verify::Verdict first = verify::verify_bundle(f.first, *first_anchors, verify::NoCanonicalHashes{});
      INFO(name << ": " << reason_of(first) << " " << first.root.detail);
      REQUIRE(first.outcome == verify::Outcome::kValid);
      REQUIRE(first.finalized.has_value());
      CHECK(first.finalized->number == f.kept);
      CHECK(first.finalized->hash == f.h.chain.hash(f.kept));
      CHECK(memory.learn(f.first.source.chain_identity, first));

      auto through = followed.anchors_for(f.second);
      REQUIRE(through.ok());
      const verify::EvmConsensusParams& consensus = through->chains.front().consensus;
      CHECK(consensus.checkpoint == verify::Checkpoint{f.kept, f.h.chain.hash(f.kept)});
      CHECK(consensus.validator_sets == std::vector<verify::ValidatorSet>{f.h.validators(f.kept + 1)});
      const verify::Verdict second = verify::verify_bundle(f.second, *through, verify::NoCanonicalHashes{});
      INFO(reason_of(second) << " " << second.root.detail);
      CHECK(second.outcome == verify::Outcome::kValid);
      CHECK(second.finalized.has_value());
      // Other chains are not in the anchors a bundle gets.
      CHECK(through->chains.size() == 1);
    }
  }
}

TEST_CASE("relay-kept checkpoints: the stored header restores the checkpoint a verdict established",
          "[unit][derived]") {
  for (const char* name : {"qbft", "ibft2", "clique"}) {
    SECTION(name) {
      KeptAtFirstEvent f(name);
      const verify::Verdict first = verify::verify_bundle(f.first, f.pinned, verify::NoCanonicalHashes{});
      REQUIRE(first.outcome == verify::Outcome::kValid);
      const auto established = verify::established_checkpoint(first);
      REQUIRE(established.has_value());
      // What the engine persists (the header RLP, the set after it) and reads back after a restart.
      auto restored = verify::checkpoint_from_header(f.h.mode, f.h.header_rlp(f.kept), f.h.validators(f.kept + 1));
      REQUIRE(restored.ok());
      CHECK(restored->hash == established->hash);
      CHECK(restored->number == established->number);
      CHECK(restored->receipts_root == established->receipts_root);
      CHECK(restored->vote == established->vote);
      CHECK(restored->validators_after.members == established->validators_after.members);

      // A store-backed lookup resumes as the memory would.
      const verify::FollowedCheckpoints followed(
          f.pinned, [&](const core::ChainIdentity&, std::uint64_t height)
                        -> core::Result<std::optional<verify::FinalizedHeader>> {
            if (height != f.kept) return std::optional<verify::FinalizedHeader>{};
            return std::optional<verify::FinalizedHeader>(*restored);
          });
      auto through = followed.anchors_for(f.second);
      REQUIRE(through.ok());
      CHECK(verify::verify_bundle(f.second, *through, verify::NoCanonicalHashes{}).outcome == verify::Outcome::kValid);
    }
  }
}

TEST_CASE("relay-kept checkpoints: restoring refuses unsigned modes and undecodable headers", "[unit][derived]") {
  SignedChain h("qbft");
  auto unsigned_mode =
      verify::checkpoint_from_header(verify::ConsensusMode::kConfirmations, h.header_rlp(4), h.validators(5));
  REQUIRE_FALSE(unsigned_mode.ok());
  CHECK(unsigned_mode.error().reason() == verify::reason::kWrongMode);
  core::Bytes cut = h.header_rlp(4);
  cut.pop_back();
  auto truncated = verify::checkpoint_from_header(h.mode, cut, h.validators(5));
  CHECK_FALSE(truncated.ok());
}

TEST_CASE("relay-kept checkpoints: an invalid verdict establishes nothing", "[unit][derived]") {
  KeptAtFirstEvent f("qbft");
  verify::Bundle forged = f.first;
  forged.claim.bytes[0] ^= 1;
  const verify::Verdict verdict = verify::verify_bundle(forged, f.pinned, verify::NoCanonicalHashes{});
  REQUIRE(verdict.outcome == verify::Outcome::kInvalid);
  CHECK(reason_of(verdict) == "verify.claim_mismatch");
  // Finality passed, yet the verdict carries no target: only valid bundles establish checkpoints.
  CHECK_FALSE(verdict.finalized.has_value());
  CHECK_FALSE(verify::established_checkpoint(verdict).has_value());

  verify::CheckpointMemory memory;
  CHECK_FALSE(memory.learn(forged.source.chain_identity, verdict));
  auto found = memory.lookup()(forged.source.chain_identity, f.kept);
  REQUIRE(found.ok());
  CHECK_FALSE(found->has_value());
  const verify::FollowedCheckpoints followed(f.pinned, memory.lookup());
  auto anchors = followed.anchors_for(f.second);
  REQUIRE(anchors.ok());
  const verify::Verdict second = verify::verify_bundle(f.second, *anchors, verify::NoCanonicalHashes{});
  CHECK(second.outcome == verify::Outcome::kInvalid);
  CHECK(reason_of(second) == "verify.target_not_in_segment");
}

TEST_CASE("relay-kept checkpoints: a segment naming a kept height but another parent fails as a checkpoint mismatch",
          "[unit][derived]") {
  for (const char* name : {"qbft", "clique"}) {
    SECTION(name) {
      KeptAtFirstEvent f(name);
      verify::CheckpointMemory memory;
      REQUIRE(memory.learn(f.first.source.chain_identity,
                           verify::verify_bundle(f.first, f.pinned, verify::NoCanonicalHashes{})));
      const verify::FollowedCheckpoints followed(f.pinned, memory.lookup());

      verify::Bundle forged = f.second;
      // parentHash (field 0) of the first segment header: another block at the kept height.
      forged.source.segment.front() =
          test::verify_util::with_field(forged.source.segment.front(), 0, f.h.chain.hash(f.kept - 1).view());
      REQUIRE(verify::segment_start(forged) == f.kept);
      auto anchors = followed.anchors_for(forged);
      REQUIRE(anchors.ok());
      const verify::Verdict verdict = verify::verify_bundle(forged, *anchors, verify::NoCanonicalHashes{});
      CHECK(verdict.outcome == verify::Outcome::kInvalid);
      CHECK(reason_of(verdict) == "verify.checkpoint_mismatch");
    }
  }
}

TEST_CASE("evm source segments: set_segment_from applies to blocks above it only", "[unit][derived]") {
  SignedChain h("ibft2");
  h.start();
  const std::uint64_t later = h.data["later_event"]["block"].get<std::uint64_t>();
  // At the later event's own block: that block cannot link to it, so it keeps the configured start.
  h.source->set_segment_from(later);
  const auto bundles = h.poll_both();
  CHECK(bundles[0].source.segment.size() == bundles[0].source.block_number - 1);
  CHECK(bundles[1].source.segment.size() == later - 1);
  CHECK(verify::segment_start(bundles[1]) == 0);
  const verify::TrustAnchors pinned = h.anchors();
  for (const auto& b : bundles) {
    CHECK(verify::verify_bundle(b, pinned, verify::NoCanonicalHashes{}).outcome == verify::Outcome::kValid);
  }
}

TEST_CASE("relay-kept checkpoints: segment_start reads the first header, or the block without one", "[unit][derived]") {
  KeptAtFirstEvent f("clique");
  verify::Bundle b = f.second;
  // Only the descendant left: its number is past the block, so the segment starts at block - 1.
  b.source.segment.erase(b.source.segment.begin());
  CHECK(verify::segment_start(b) == b.source.block_number - 1);
  b.source.segment.clear();
  CHECK(verify::segment_start(b) == b.source.block_number - 1);
  b.source.segment.push_back({0xc0});  // not a header
  CHECK(verify::segment_start(b) == b.source.block_number - 1);
  b.source.block_number = 0;
  CHECK(verify::segment_start(b) == 0);
}

namespace {

// Header `n`'s RLP with a byte of its last seal flipped: the header still links (a BFT block hash
// leaves the seals out), but the seal recovers to someone else.
core::Bytes with_bad_seal(const SignedChain& h, std::uint64_t n) {
  const core::Bytes rlp = h.header_rlp(n);
  auto header = verify::decode_evm_header(rlp);
  REQUIRE(header.ok());
  core::Bytes extra(header->extra_data.begin(), header->extra_data.end());
  extra[extra.size() - 10] ^= 0x01;
  return test::verify_util::with_field(rlp, 12, extra);
}

}  // namespace

TEST_CASE("idle advance: a quiet chain's headers keep a checkpoint a later bundle starts from", "[unit][derived]") {
  for (const char* name : {"qbft", "ibft2", "clique"}) {
    SECTION(name) {
      SignedChain h(name);
      h.start();
      const verify::TrustAnchors pinned = h.anchors();
      const core::ChainIdentity identity = h.chain.identity();
      const std::uint64_t descendants = h.config().descendants;
      // Injected bounds: advance once the head is 2 blocks ahead, at most 5 headers at once.
      const verify::IdleAdvance advance{.after_blocks = 2, .max_headers = 5};
      CHECK_FALSE(verify::idle_advance_target(advance, 0, 2).has_value());
      CHECK_FALSE(verify::idle_advance_target(advance, 7, 3).has_value());
      CHECK(verify::idle_advance_target(advance, 0, 3) == 3u);
      const auto target = verify::idle_advance_target(advance, 0, 7);
      REQUIRE(target == 5u);

      // What the engine does: fetch from its node, follow from the checkpoint's parameters, keep.
      auto headers = run_task(h.io, h.source->headers(0, *target));
      INFO((headers.ok() ? std::string() : headers.error().message()));
      REQUIRE(headers.ok());
      REQUIRE(headers->size() == *target + descendants);
      CHECK(number_of(headers->front()) == 1);
      CHECK(number_of(headers->back()) == *target + descendants);
      verify::CheckpointMemory memory;
      const verify::FollowedCheckpoints followed(pinned, memory.lookup());
      auto params = followed.params_at(identity, 0);
      REQUIRE(params.ok());
      auto kept = verify::follow_headers(*params, *headers, *target);
      INFO((kept.ok() ? std::string() : kept.error().message()));
      REQUIRE(kept.ok());
      CHECK(kept->number == *target);
      CHECK(kept->hash == h.chain.hash(*target));
      CHECK(kept->validators_after.members == h.validators(*target + 1).members);
      // The store keeps the target's header and the set after it; they restore the same checkpoint.
      auto restored = verify::checkpoint_from_header(h.mode, (*headers)[*target - 1], kept->validators_after);
      REQUIRE(restored.ok());
      CHECK(restored->hash == kept->hash);
      memory.keep(identity, *kept);

      // Bundles: the first block is below the kept checkpoint (pinned start), the second above it.
      h.source->set_segment_from(*target);
      const auto bundles = h.poll_both();
      CHECK(verify::segment_start(bundles[0]) == 0);
      CHECK(verify::segment_start(bundles[1]) == *target);
      for (const auto& b : bundles) {
        auto anchors = followed.anchors_for(b);
        REQUIRE(anchors.ok());
        const verify::Verdict v = verify::verify_bundle(b, *anchors, verify::NoCanonicalHashes{});
        INFO(reason_of(v) << " " << v.root.detail);
        CHECK(v.outcome == verify::Outcome::kValid);
      }
      // From the kept checkpoint on, the next advance starts there; nowhere else is one known.
      auto next = followed.params_at(identity, *target);
      REQUIRE(next.ok());
      CHECK(next->checkpoint == verify::Checkpoint{*target, h.chain.hash(*target)});
      auto elsewhere = followed.params_at(identity, *target - 1);
      REQUIRE_FALSE(elsewhere.ok());
      CHECK(elsewhere.error().reason() == verify::reason::kCheckpointMismatch);
    }
  }
}

TEST_CASE("idle advance: a tampered seal in the fetched headers keeps no checkpoint", "[unit][derived]") {
  SignedChain h("qbft");
  h.start();
  // The node serves header 3 with a flipped seal byte; the source rebuilds it from JSON as usual.
  const core::Bytes bad = with_bad_seal(h, 3);
  auto decoded = verify::decode_evm_header(bad);
  REQUIRE(decoded.ok());
  h.chain.block(3)["extraData"] = core::to_hex(decoded->extra_data);
  auto headers = run_task(h.io, h.source->headers(0, 5));
  REQUIRE(headers.ok());
  CHECK((*headers)[2] == bad);
  const verify::TrustAnchors pinned = h.anchors();
  verify::CheckpointMemory memory;
  const verify::FollowedCheckpoints followed(pinned, memory.lookup());
  auto params = followed.params_at(h.chain.identity(), 0);
  REQUIRE(params.ok());
  auto kept = verify::follow_headers(*params, *headers, 5);
  REQUIRE_FALSE(kept.ok());
  // The label the engine counts in causeway_checkpoint_advance_failures_total{reason}.
  CHECK(std::string(kept.error().reason().name) == "verify.non_member_seal");
}

TEST_CASE("idle advance: headers() fetches its range in JSON-RPC batches, the same headers as one by one",
          "[unit][derived]") {
  for (const bool raw : {false, true}) {
    SECTION(raw ? "raw headers" : "headers rebuilt from JSON") {
      SignedChain h("qbft");
      h.chain.offer_raw = raw;
      h.start();
      const std::size_t blocks = h.chain.calls("eth_getBlockByNumber");
      const std::size_t raws = h.chain.calls("debug_getRawHeader");
      const std::size_t batches = h.chain.batches();
      auto headers = run_task(h.io, h.source->headers(0, 5));
      REQUIRE(headers.ok());
      REQUIRE(headers->size() == 5);
      // The target alone (its debug_getRawHeader settles whether the node offers raw headers),
      // then blocks 1..4 in one batch and, from a node offering them, their raw headers in another.
      CHECK(h.chain.calls("eth_getBlockByNumber") - blocks == 5);
      CHECK(h.chain.calls("debug_getRawHeader") - raws == (raw ? 5u : 1u));
      CHECK(h.chain.batches() - batches == (raw ? 2u : 1u));
      for (std::uint64_t n = 1; n <= 5; ++n) {
        auto one = run_task(h.io, h.source->header({.height = n}));
        REQUIRE(one.ok());
        CHECK((*headers)[n - 1] == one->rlp);
      }
    }
  }
  SECTION("a tampered raw header in the batch fails by name") {
    // Clique's block hash covers the whole header (QBFT's leaves the seals out, where the flipped
    // byte falls): the node's bytes no longer give the block's hash.
    SignedChain h("clique");
    h.chain.offer_raw = true;
    h.start();
    h.chain.tamper_raw_block = 3;
    auto headers = run_task(h.io, h.source->headers(0, 5));
    REQUIRE_FALSE(headers.ok());
    CHECK(headers.error().reason() == evm::reason::source::kRawHeaderMismatch);
  }
}

TEST_CASE("idle advance: the source refuses an empty or over-long range by name", "[unit][derived]") {
  SignedChain h("ibft2");
  h.start();
  auto empty = run_task(h.io, h.source->headers(5, 5));
  REQUIRE_FALSE(empty.ok());
  CHECK(empty.error().reason() == evm::reason::source::kBelowCheckpoint);
  auto missing = run_task(h.io, h.source->headers(0, 50));
  CHECK_FALSE(missing.ok());
}

TEST_CASE("checkpoint memory: follows headers to a height in chunks from the highest known checkpoint",
          "[unit][derived]") {
  for (const char* name : {"qbft", "clique"}) {
    SECTION(name) {
      SignedChain h(name);
      const verify::TrustAnchors pinned = h.anchors();
      const verify::ChainAnchor& anchor = pinned.chains.front();
      test::DerivedHeaders node(h);
      verify::CheckpointMemory memory;
      REQUIRE(memory.follow_to(anchor, 5, node, 2).ok());
      CHECK(node.asked == std::vector<std::pair<std::uint64_t, std::uint64_t>>{{0, 2}, {2, 4}, {4, 5}});
      for (std::uint64_t n : {2u, 4u, 5u}) CHECK(memory.knows(anchor.chain_identity, n));
      CHECK_FALSE(memory.knows(anchor.chain_identity, 3));
      auto highest = memory.highest_below(anchor.chain_identity, 7);
      REQUIRE(highest.has_value());
      CHECK(highest->number == 5);
      CHECK(highest->hash == h.chain.hash(5));
      // Known already: nothing asked. Further: from the highest known below.
      REQUIRE(memory.follow_to(anchor, 5, node, 2).ok());
      CHECK(node.asked.size() == 3);
      REQUIRE(memory.follow_to(anchor, 6, node, 2).ok());
      CHECK(node.asked.back() == std::pair<std::uint64_t, std::uint64_t>{5, 6});
    }
  }
}

TEST_CASE("checkpoint memory: a node serving a bad seal teaches nothing", "[unit][derived]") {
  SignedChain h("ibft2");
  const verify::TrustAnchors pinned = h.anchors();
  const verify::ChainAnchor& anchor = pinned.chains.front();
  test::DerivedHeaders node(h);
  node.replaced.emplace(3, with_bad_seal(h, 3));
  verify::CheckpointMemory memory;
  auto followed = memory.follow_to(anchor, 5, node, 2);
  REQUIRE_FALSE(followed.ok());
  CHECK(followed.error().reason() == verify::reason::kNonMemberSeal);
  CHECK(memory.knows(anchor.chain_identity, 2));  // the chunk before it was sound
  CHECK_FALSE(memory.knows(anchor.chain_identity, 4));
  CHECK_FALSE(memory.knows(anchor.chain_identity, 5));
  verify::ChainAnchor confirmations = anchor;
  confirmations.consensus.mode = verify::ConsensusMode::kConfirmations;
  auto unsigned_mode = memory.follow_to(confirmations, 5, node);
  REQUIRE_FALSE(unsigned_mode.ok());
  CHECK(unsigned_mode.error().reason() == verify::reason::kWrongMode);
}
