// relay/store/checkpoint_signer.cpp and the store's checkpoint list and read-only open: signed
// checkpoints commit to the store's own log, are not repeated for an unchanged log, and a reader
// sees a running relay's store without its lock.
#include <catch2/catch.hpp>

#include <fstream>

#include "relay/core/checkpoint.hpp"
#include "relay/store/checkpoint_signer.hpp"
#include "relay/store/store.hpp"
#include "tests/unit/store/store_fixtures.hpp"

using namespace causeway;
using causeway::test::TempDir;
using S = store::MessageState;

namespace {

std::unique_ptr<store::Store> open_store(const std::string& path) {
  auto opened = store::Store::open(path, test::test_options());
  INFO((opened.ok() ? std::string() : opened.error().message()));
  REQUIRE(opened.ok());
  return std::move(opened).value();
}

// Message `n` observed and verified: one audit leaf.
void verify_message(store::Store& s, std::uint64_t n) {
  REQUIRE(s.insert_observed(test::new_message(n)).ok());
  REQUIRE(s.apply(test::to_state(core::message_id(test::test_message(n)), S::kVerified, n)).ok());
}

const core::Ed25519PrivateKey& log_key() {
  static const auto key = core::Ed25519PrivateKey::from_seed(core::Bytes(32, 7)).value();
  return key;
}

store::CheckpointSigner signer(std::uint64_t time = test::kTestTime) {
  return {"relay.example/audit", "relay.example/audit", &log_key(), [time] { return time; }};
}

core::VerifierKey log_vkey() {
  return core::parse_verifier_key(core::vkey_for("relay.example/audit", log_key().public_key())).value();
}

}  // namespace

TEST_CASE("a signed checkpoint commits to the store's size and root and is stored", "[audit]") {
  TempDir dir;
  auto s = open_store(dir.file("relay.db"));
  for (std::uint64_t n = 1; n <= 3; ++n) verify_message(*s, n);
  auto checkpoint = store::sign_and_store_checkpoint(*s, signer());
  REQUIRE(checkpoint.ok());
  CHECK(checkpoint->tree_size == 3);
  CHECK(checkpoint->root == s->audit_root(3).value());
  auto verified = core::verify_checkpoint(checkpoint->note, log_vkey());
  REQUIRE(verified.ok());
  CHECK(verified->body.size == 3);
  CHECK(verified->body.root == checkpoint->root);
  CHECK(verified->body.time == test::kTestTime);
  CHECK(verified->body.origin == "relay.example/audit");
  auto latest = s->latest_checkpoint();
  REQUIRE(latest.ok());
  REQUIRE(latest->has_value());
  CHECK((*latest)->note == checkpoint->note);
  CHECK(s->log_vkey().value() == core::vkey_for("relay.example/audit", log_key().public_key()));
}

TEST_CASE("an unchanged log gets no second checkpoint; a grown one gets the next", "[audit]") {
  TempDir dir;
  auto s = open_store(dir.file("relay.db"));
  verify_message(*s, 1);
  const auto first = store::sign_and_store_checkpoint(*s, signer()).value();
  const auto again = store::sign_and_store_checkpoint(*s, signer(test::kTestTime + 60));
  REQUIRE(again.ok());
  CHECK(again->note == first.note);  // not re-signed with the later time
  verify_message(*s, 2);
  const auto second = store::sign_and_store_checkpoint(*s, signer(test::kTestTime + 60)).value();
  CHECK(second.tree_size == 2);
  auto all = s->checkpoints();
  REQUIRE(all.ok());
  REQUIRE(all->size() == 2);
  CHECK((*all)[0].tree_size == 1);
  CHECK((*all)[0].note == first.note);
  CHECK((*all)[1].tree_size == 2);
  CHECK(core::verify_consistency(1, 2, (*all)[0].root, (*all)[1].root, s->consistency_proof(1, 2).value()).ok());
}

TEST_CASE("checkpoint signing refuses an empty log and a missing key", "[audit]") {
  TempDir dir;
  auto s = open_store(dir.file("relay.db"));
  CHECK(store::sign_and_store_checkpoint(*s, signer()).error().reason() == store::reason::kAuditLogEmpty);
  verify_message(*s, 1);
  auto keyless = signer();
  keyless.key = nullptr;
  CHECK(store::sign_and_store_checkpoint(*s, keyless).error().reason() == store::reason::kNoLogKey);
  auto bad_name = signer();
  bad_name.key_name = "has space";
  CHECK(store::sign_and_store_checkpoint(*s, bad_name).error().reason() == core::reason::checkpoint::kBadKeyName);
  CHECK(s->checkpoints().value().empty());
}

TEST_CASE("a read-only open reads a store a relay holds open, without its lock", "[audit]") {
  TempDir dir;
  const auto path = dir.file("relay.db");
  auto writer = open_store(path);
  verify_message(*writer, 1);
  verify_message(*writer, 2);
  REQUIRE(store::sign_and_store_checkpoint(*writer, signer()).ok());

  auto reader = store::Store::open_read_only(path);
  INFO((reader.ok() ? std::string() : reader.error().message()));
  REQUIRE(reader.ok());
  CHECK((*reader)->audit_size() == 2);
  CHECK((*reader)->audit_root(2).value() == writer->audit_root(2).value());
  CHECK((*reader)->checkpoints().value().size() == 1);
  CHECK((*reader)->audit_entry(1).value()->leaf == writer->audit_entry(1).value()->leaf);
  CHECK((*reader)->set_log_vkey("x").error().reason() == store::reason::kReadOnly);
  // The writer goes on; the reader keeps the snapshot it opened: the log, its rows and checkpoints
  // agree with each other (an export is one consistent state).
  verify_message(*writer, 3);
  REQUIRE(store::sign_and_store_checkpoint(*writer, signer()).ok());
  CHECK((*reader)->audit_size() == 2);
  CHECK_FALSE((*reader)->audit_entry(2).value().has_value());
  CHECK((*reader)->checkpoints().value().size() == 1);
  CHECK((*reader)->close().ok());
  CHECK(writer->close().ok());

  // After a clean shutdown (WAL folded and removed) it opens too.
  auto closed = store::Store::open_read_only(path);
  REQUIRE(closed.ok());
  CHECK((*closed)->audit_size() == 3);
}

TEST_CASE("a read-only open refuses what is not a Causeway store", "[audit]") {
  TempDir dir;
  CHECK_FALSE(store::Store::open_read_only(dir.file("missing.db")).ok());
  std::ofstream(dir.file("text.db")) << "not a database at all";
  CHECK(store::Store::open_read_only(dir.file("text.db")).error().reason() == store::reason::kForeign);
  {
    auto other = store::sql::Database::open(dir.file("other.db")).value();
    REQUIRE(other.exec("CREATE TABLE t (x INTEGER)").ok());
  }
  CHECK(store::Store::open_read_only(dir.file("other.db")).error().reason() == store::reason::kForeign);
}
