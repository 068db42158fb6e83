// Retention (Store::prune_bundles, bundle_pruned): only bundles of acknowledged messages older
// than the cutoff go, in bounded batches; messages, executions and audit leaves stay, and a pruned
// claim is told apart from one never stored. The store's clock is injected.
#include <catch2/catch.hpp>

#include "relay/store/store.hpp"
#include "tests/unit/store/store_fixtures.hpp"

using namespace causeway;
using causeway::test::TempDir;
using S = store::MessageState;

namespace {

constexpr std::uint64_t kDay = 86'400;

struct RetentionWorld {
  RetentionWorld() {
    store::StoreOptions options;
    options.clock = [this] { return now; };
    auto opened = test::open_test_store(dir.file("relay.db"), options);
    REQUIRE(opened.ok());
    store = std::move(opened).value();
  }

  // Message `sequence` with its delivery bundle, walked to `to`; the clock reads `at` meanwhile.
  core::MessageId put(std::uint64_t sequence, const std::vector<S>& path, std::uint64_t at) {
    now = at;
    const auto m = test::new_message(sequence);
    const auto id = core::message_id(m.message);
    REQUIRE(store->insert_observed(m).ok());
    REQUIRE(store->put_bundle({m.claim, id, "{\"bundle\":" + std::to_string(sequence) + "}", true}).ok());
    for (const S state : path) REQUIRE(store->apply(test::to_state(id, state, sequence)).ok());
    return id;
  }

  bool has_bundle(std::uint64_t sequence) {
    auto bundle = store->bundle(test::new_message(sequence).claim);
    REQUIRE(bundle.ok());
    return bundle->has_value();
  }

  TempDir dir;
  std::uint64_t now = test::kTestTime;
  std::unique_ptr<store::Store> store;
};

const std::vector<S> kAcknowledged{S::kVerified, S::kVoted, S::kExecutedOk, S::kAcknowledged};
const std::vector<S> kSkippedAcknowledged{S::kVerified, S::kParked, S::kSkipped, S::kAcknowledged};

}  // namespace

TEST_CASE("retention prunes bundles of acknowledged messages older than the cutoff, in batches", "[unit]") {
  RetentionWorld w;
  const std::uint64_t t0 = test::kTestTime;
  w.put(1, kAcknowledged, t0);
  w.put(2, kAcknowledged, t0);
  w.put(3, kSkippedAcknowledged, t0);
  w.put(4, {S::kVerified, S::kVoted, S::kExecutedOk}, t0);  // executed, not yet acknowledged
  w.put(5, {S::kVerified, S::kParked}, t0);                // parked: may still be resumed
  w.put(6, kAcknowledged, t0 + 10 * kDay);                 // acknowledged later
  const auto leaves = w.store->audit_size();
  w.now = t0 + 11 * kDay;
  const std::uint64_t cutoff = w.now - 7 * kDay;

  auto first = w.store->prune_bundles(cutoff, 2);
  REQUIRE(first.ok());
  CHECK(*first == 2);
  auto second = w.store->prune_bundles(cutoff, 2);
  REQUIRE(second.ok());
  CHECK(*second == 1);
  auto third = w.store->prune_bundles(cutoff, 2);
  REQUIRE(third.ok());
  CHECK(*third == 0);

  for (std::uint64_t gone : {1, 2, 3}) {
    INFO(gone);
    CHECK_FALSE(w.has_bundle(gone));
    auto pruned = w.store->bundle_pruned(test::new_message(gone).claim);
    REQUIRE(pruned.ok());
    CHECK(*pruned);
    // The message stays, in its terminal state.
    auto message = w.store->message(core::message_id(test::new_message(gone).message));
    REQUIRE(message.ok());
    REQUIRE(message->has_value());
    CHECK((*message)->state == S::kAcknowledged);
  }
  for (std::uint64_t kept : {4, 5, 6}) {
    INFO(kept);
    CHECK(w.has_bundle(kept));
    auto pruned = w.store->bundle_pruned(test::new_message(kept).claim);
    REQUIRE(pruned.ok());
    CHECK_FALSE(*pruned);
  }
  // The audit log is untouched and still checks out.
  CHECK(w.store->audit_size() == leaves);
  CHECK(w.store->check_integrity().ok());

  // Once the later one is old enough, it goes too.
  auto later = w.store->prune_bundles(t0 + 10 * kDay + 1, 100);
  REQUIRE(later.ok());
  CHECK(*later == 1);
  CHECK_FALSE(w.has_bundle(6));
}

TEST_CASE("retention tells a pruned bundle from one never stored", "[unit]") {
  RetentionWorld w;
  auto unknown = w.store->bundle_pruned(test::fixed_of<core::Claim>("never", 1));
  REQUIRE(unknown.ok());
  CHECK_FALSE(*unknown);
  // Stored and not pruned: not pruned, whatever its age.
  w.put(1, kAcknowledged, test::kTestTime);
  auto stored = w.store->bundle_pruned(test::new_message(1).claim);
  REQUIRE(stored.ok());
  CHECK_FALSE(*stored);
  // The cutoff is strict: acknowledged exactly at the cutoff stays.
  auto at_cutoff = w.store->prune_bundles(test::kTestTime, 10);
  REQUIRE(at_cutoff.ok());
  CHECK(*at_cutoff == 0);
  CHECK(w.has_bundle(1));
}

TEST_CASE("retention removes a shared proof with the last bundle that carried it", "[unit]") {
  RetentionWorld w;
  const std::uint64_t t0 = test::kTestTime;
  const std::string proof = "\"0x" + std::string(3000, 'f') + "\"";
  // Messages 1 and 2 of one transaction (one receipt); 2 is acknowledged later than 1.
  for (std::uint64_t sequence : {1, 2}) {
    const auto m = test::new_message(sequence);
    REQUIRE(w.store->insert_observed(m).ok());
    const std::string text = "{\"inclusion\":{\"proof\":[" + proof + "]},\"n\":" + std::to_string(sequence) + "}";
    REQUIRE(w.store->put_bundle({m.claim, core::message_id(m.message), text, true}).ok());
  }
  auto proofs = [&] { return *w.store->connection().query_int("SELECT count(*) FROM bundle_proofs"); };
  CHECK(proofs() == 1);
  const auto id1 = core::message_id(test::new_message(1).message);
  const auto id2 = core::message_id(test::new_message(2).message);
  for (const S state : kAcknowledged) REQUIRE(w.store->apply(test::to_state(id1, state, 1)).ok());
  w.now = t0 + 5 * kDay;
  for (const S state : kAcknowledged) REQUIRE(w.store->apply(test::to_state(id2, state, 2)).ok());

  auto first = w.store->prune_bundles(t0 + kDay, 10);
  REQUIRE(first.ok());
  CHECK(*first == 1);
  CHECK_FALSE(w.has_bundle(1));
  CHECK(proofs() == 1);  // message 2's bundle still carries it
  auto kept = w.store->bundle(test::new_message(2).claim);
  REQUIRE(kept.ok());
  REQUIRE(kept->has_value());
  CHECK((*kept)->json.find(proof) != std::string::npos);

  auto second = w.store->prune_bundles(t0 + 10 * kDay, 10);
  REQUIRE(second.ok());
  CHECK(*second == 1);
  CHECK(proofs() == 0);
}
