// The audit log in the store (PROTOCOL.md section 7): leaves commit with their transitions, carry
// exactly encode_audit_leaf's bytes, and give roots and proofs that merkle_log's verifiers accept.
#include <catch2/catch.hpp>

#include <vector>

#include "relay/core/hash.hpp"
#include "relay/core/merkle_log.hpp"
#include "relay/store/sqlite.hpp"
#include "relay/store/store.hpp"
#include "tests/unit/store/store_fixtures.hpp"

using namespace causeway;
using causeway::test::TempDir;
using S = store::MessageState;

namespace {

std::unique_ptr<store::Store> open_store(const std::string& path, store::StoreOptions options = test::test_options()) {
  auto opened = test::open_test_store(path, std::move(options));
  INFO((opened.ok() ? std::string() : opened.error().message()));
  REQUIRE(opened.ok());
  return std::move(opened).value();
}

// Drives messages through a realistic life and returns how many leaves that wrote.
std::uint64_t write_history(store::Store& s, std::uint64_t messages, std::uint64_t first = 1) {
  std::uint64_t leaves = 0;
  for (std::uint64_t i = first; i < first + messages; ++i) {
    REQUIRE(s.insert_observed(test::new_message(i)).ok());
    const auto id = core::message_id(test::test_message(i));
    for (const auto to : {S::kVerified, S::kVoted, S::kExecutedOk, S::kAcknowledged}) {
      REQUIRE(s.apply(test::to_state(id, to, i * 10 + static_cast<std::uint64_t>(to))).ok());
      ++leaves;
    }
  }
  return leaves;
}

std::vector<core::Hash32> stored_leaf_hashes(store::Store& s) {
  std::vector<core::Hash32> out;
  for (std::uint64_t i = 0; i < s.audit_size(); ++i) {
    auto entry = s.audit_entry(i);
    REQUIRE(entry.ok());
    REQUIRE(entry->has_value());
    out.push_back((**entry).leaf_hash);
  }
  return out;
}

}  // namespace

TEST_CASE("each transition's audit leaf holds encode_audit_leaf's bytes with the per-kind detail", "[unit]") {
  TempDir dir;
  auto s = open_store(dir.file("relay.db"));
  const auto m = test::new_message(1);
  const auto id = core::message_id(m.message);
  REQUIRE(s->insert_observed(m).ok());
  const auto ack_claim = test::fixed_of<core::Claim>("ack", 1);

  struct Step {
    S to;
    core::AuditKind kind;
  };
  const Step steps[] = {{S::kVerified, core::AuditKind::kVerified}, {S::kParked, core::AuditKind::kParked},
                        {S::kVoted, core::AuditKind::kVoted},       {S::kSkipped, core::AuditKind::kSkipped},
                        {S::kAcknowledged, core::AuditKind::kAcknowledged}};
  for (std::size_t i = 0; i < std::size(steps); ++i) {
    auto t = test::to_state(id, steps[i].to, i);
    t.reason = "engine.gas_too_low";
    if (steps[i].to == S::kAcknowledged) t.claim = ack_claim;
    REQUIRE(s->apply(t).ok());
    auto entry = s->audit_entry(i);
    REQUIRE(entry.ok());
    REQUIRE(entry->has_value());
    const auto& e = **entry;
    INFO("leaf " << i);
    CHECK(e.kind == steps[i].kind);
    CHECK(e.id == id);
    CHECK(e.time == test::kTestTime);
    core::Hash32 detail = t.evidence;
    core::Claim claim = m.claim;
    if (steps[i].to == S::kParked) detail = core::keccak256(core::as_bytes("engine.gas_too_low"));
    if (steps[i].to == S::kSkipped) claim = core::Claim{};  // a skip rests on votes, not an event
    if (steps[i].to == S::kAcknowledged) claim = ack_claim;
    CHECK(e.detail == detail);
    CHECK(e.claim == claim);
    CHECK(e.leaf == core::encode_audit_leaf(steps[i].kind, id, claim, detail, test::kTestTime));
    CHECK(e.leaf_hash == core::audit_leaf_hash(e.leaf));
  }

  const auto other = test::new_message(2);
  const auto other_id = core::message_id(other.message);
  REQUIRE(s->insert_observed(other).ok());
  REQUIRE(s->apply(test::to_state(other_id, S::kOrphaned)).ok());
  auto orphaned = s->audit_entry(std::size(steps));
  REQUIRE(orphaned.ok());
  CHECK((**orphaned).kind == core::AuditKind::kOrphaned);
  CHECK((**orphaned).detail.is_zero());
  CHECK((**orphaned).claim == other.claim);
  REQUIRE(s->close().ok());
}

TEST_CASE("a rolled-back transition leaves neither its state nor its audit leaf", "[unit]") {
  TempDir dir;
  const auto path = dir.file("relay.db");
  auto s = open_store(path);
  REQUIRE(s->insert_observed(test::new_message(1)).ok());
  REQUIRE(s->insert_observed(test::new_message(2)).ok());
  const auto a = core::message_id(test::test_message(1));
  const auto b = core::message_id(test::test_message(2));

  // The first transition writes its state and leaf inside the transaction; the second is
  // illegal, so the whole commit rolls back.
  store::WriteBatch batch;
  batch.transitions = {test::to_state(a, S::kVerified), test::to_state(b, S::kAcknowledged)};
  REQUIRE_FALSE(s->batch(batch).ok());
  CHECK(s->audit_size() == 0);
  CHECK_FALSE(s->audit_entry(0)->has_value());
  CHECK((**s->message(a)).state == S::kObserved);

  // The next leaf takes index 0: nothing of the rolled-back attempt remains, in memory or on disk.
  REQUIRE(s->apply(test::to_state(a, S::kVerified, 2)).ok());
  CHECK(s->audit_size() == 1);
  CHECK((**s->audit_entry(0)).detail == test::fixed_of("evidence", 2));
  REQUIRE(s->close().ok());
  auto reopened = open_store(path);
  CHECK(reopened->audit_size() == 1);
  REQUIRE(reopened->close().ok());
}

TEST_CASE("audit roots and proofs from the store verify with merkle_log, also after reopening", "[unit]") {
  TempDir dir;
  const auto path = dir.file("relay.db");
  auto s = open_store(path);
  const auto leaves = write_history(*s, 6);  // 24 leaves: ragged right edges at most sizes
  REQUIRE(s->audit_size() == leaves);
  const auto hashes = stored_leaf_hashes(*s);

  for (std::uint64_t size = 1; size <= leaves; ++size) {
    auto root = s->audit_root(size);
    REQUIRE(root.ok());
    CHECK(*root == core::root_from_leaf_hashes(std::span(hashes).first(size)));
    for (std::uint64_t index = 0; index < size; index += 3) {
      auto proof = s->inclusion_proof(index, size);
      REQUIRE(proof.ok());
      CHECK(core::verify_inclusion(hashes[index], index, size, *proof, *root).ok());
    }
    if (size > 1) {
      const std::uint64_t old_size = size / 2;
      auto proof = s->consistency_proof(old_size, size);
      REQUIRE(proof.ok());
      CHECK(core::verify_consistency(old_size, size, *s->audit_root(old_size), *root, *proof).ok());
    }
  }
  const auto final_root = *s->audit_root(leaves);
  REQUIRE(s->close().ok());

  auto reopened = open_store(path);
  CHECK(reopened->audit_size() == leaves);
  CHECK(*reopened->audit_root(leaves) == final_root);
  REQUIRE(reopened->close().ok());
}

TEST_CASE("checkpoints are stored only for the log's own root", "[unit]") {
  TempDir dir;
  auto s = open_store(dir.file("relay.db"));
  write_history(*s, 2);
  const auto root = *s->audit_root(5);
  CHECK(s->add_checkpoint({5, test::fixed_of("wrong", 1), "note"}).error().reason() ==
        store::reason::kCheckpointMismatch);
  CHECK(s->add_checkpoint({99, root, "note"}).error().reason() == store::reason::kCheckpointMismatch);
  const std::string note = "causeway.example/log\n5\nbase64root\ntime 1700000000\n\n— relay sig\n";
  REQUIRE(s->add_checkpoint({5, root, note}).ok());
  REQUIRE(s->add_checkpoint({5, root, note}).ok());
  auto latest = s->latest_checkpoint();
  REQUIRE(latest.ok());
  CHECK((**latest).tree_size == 5);
  CHECK((**latest).root == root);
  CHECK((**latest).note == note);
  REQUIRE(s->close().ok());
}

TEST_CASE("the stored audit log is append-only and a tampered leaf is found", "[unit][sqlite]") {
  TempDir dir;
  const auto path = dir.file("relay.db");
  {
    auto s = open_store(path);
    write_history(*s, 1);
    REQUIRE(s->close().ok());
  }
  {
    auto db = store::sql::Database::open(path);
    REQUIRE(db.ok());
    auto rewrite = db->exec("UPDATE audit_leaves SET time = 0 WHERE leaf_index = 0");
    REQUIRE_FALSE(rewrite.ok());
    CHECK(rewrite.error().reason() == store::reason::kConstraint);
    CHECK(db->exec("DELETE FROM audit_leaves").error().reason() == store::reason::kConstraint);
    // Someone with raw access drops the guard and rewrites history.
    REQUIRE(db->exec("DROP TRIGGER audit_leaves_no_update; UPDATE audit_leaves SET time = 0 WHERE leaf_index = 0")
                .ok());
  }
  auto options = test::test_options();
  options.full_integrity_check = true;
  auto opened = test::open_test_store(path, options);
  REQUIRE_FALSE(opened.ok());
  CHECK(opened.error().reason() == store::reason::kAuditMismatch);
}

TEST_CASE("a log of several audit tiles reopens from its tile hashes and finds a tampered tile", "[unit][sqlite]") {
  TempDir dir;
  const auto path = dir.file("relay.db");
  constexpr std::uint64_t kTile = core::MerkleLog::kTileLeaves;
  std::vector<core::Hash32> hashes;
  core::Hash32 root{};
  {
    auto s = open_store(path);
    // 170 messages, 4 leaves each: 680 leaves, two complete tiles and a tail of 168.
    REQUIRE(write_history(*s, 170) == 680);
    hashes = stored_leaf_hashes(*s);
    root = *s->audit_root(680);
    REQUIRE(s->close().ok());
  }
  {
    auto db = store::sql::Database::open(path);
    REQUIRE(db.ok());
    CHECK(db->query_int("SELECT count(*) FROM audit_tiles").value() == 2);
  }
  {
    auto s = open_store(path);
    REQUIRE(s->audit_size() == 680);
    CHECK(*s->audit_root(680) == root);
    // Proofs into the first tiles read their leaves back; into the tail they do not.
    for (const std::uint64_t index : {std::uint64_t{0}, kTile - 1, kTile, 2 * kTile + 5, std::uint64_t{679}}) {
      for (const std::uint64_t size : {index + 1, std::uint64_t{600}, std::uint64_t{680}}) {
        if (index >= size) continue;
        const auto at = core::root_from_leaf_hashes(std::span(hashes).first(size));
        CHECK(*s->audit_root(size) == at);
        CHECK(core::verify_inclusion(hashes[index], index, size, *s->inclusion_proof(index, size), at).ok());
      }
    }
    CHECK(core::verify_consistency(300, 680, *s->audit_root(300), root, *s->consistency_proof(300, 680)).ok());
    // Growing through the next tile edge writes its tile in the same commit.
    write_history(*s, 30, 171);
    REQUIRE(s->close().ok());
  }
  {
    auto db = store::sql::Database::open(path);
    REQUIRE(db.ok());
    CHECK(db->query_int("SELECT count(*) FROM audit_tiles").value() == 3);
    CHECK_FALSE(db->exec("UPDATE audit_tiles SET hash = zeroblob(32) WHERE tile_index = 1").ok());
    // A store from before tiles: they are hashed again from the leaves on open.
    REQUIRE(db->exec("DELETE FROM audit_tiles").ok());
  }
  {
    auto s = open_store(path);
    CHECK(s->audit_size() == 800);
    CHECK(*s->audit_root(680) == root);
    REQUIRE(s->close().ok());
  }
  {
    auto db = store::sql::Database::open(path);
    REQUIRE(db.ok());
    CHECK(db->query_int("SELECT count(*) FROM audit_tiles").value() == 3);
    // Raw access rewrites a tile hash: the full integrity check recomputes the tiles.
    REQUIRE(db->exec("DROP TRIGGER audit_tiles_no_update; UPDATE audit_tiles SET hash = zeroblob(32) WHERE tile_index = 1")
                .ok());
  }
  auto options = test::test_options();
  options.full_integrity_check = true;
  auto opened = test::open_test_store(path, options);
  REQUIRE_FALSE(opened.ok());
  CHECK(opened.error().reason() == store::reason::kAuditMismatch);
}

TEST_CASE("audit_entries_by_claim returns a claim's leaves in index order through the claim index", "[unit][sqlite]") {
  TempDir dir;
  const auto path = dir.file("relay.db");
  auto s = open_store(path);
  REQUIRE(write_history(*s, 3) == 12);
  const auto claim = test::fixed_of<core::Claim>("claim", 2);
  auto entries = s->audit_entries_by_claim(claim);
  REQUIRE(entries.ok());
  REQUIRE(entries->size() == 4);
  for (std::size_t i = 0; i < entries->size(); ++i) {
    const auto& entry = (*entries)[i];
    // Message 2's leaves are the second four: 4, 5, 6, 7.
    CHECK(entry.index == 4 + i);
    CHECK(entry.claim == claim);
    auto same = s->audit_entry(entry.index);
    REQUIRE(same.ok());
    REQUIRE(same->has_value());
    CHECK((**same).leaf == entry.leaf);
    CHECK((**same).leaf_hash == entry.leaf_hash);
    CHECK((**same).kind == entry.kind);
    CHECK((**same).detail == entry.detail);
    CHECK(entry.leaf_hash == core::audit_leaf_hash(core::ByteView(entry.leaf)));
  }
  auto none = s->audit_entries_by_claim(test::fixed_of<core::Claim>("claim", 99));
  REQUIRE(none.ok());
  CHECK(none->empty());
  REQUIRE(s->close().ok());

  // The query is served by migration 6's index, not a scan of the whole log.
  auto db = store::sql::Database::open_read_only(path);
  REQUIRE(db.ok());
  auto plan = db->prepare("EXPLAIN QUERY PLAN SELECT leaf_index FROM audit_leaves WHERE claim = x'00'");
  REQUIRE(plan.ok());
  std::string detail;
  for (;;) {
    auto row = (*plan)->step();
    REQUIRE(row.ok());
    if (!*row) break;
    detail += (*plan)->column_text(3);
  }
  CHECK(detail.find("audit_leaves_claim") != std::string::npos);
}
