// Online backup, on-demand check and restore of a store (relay/store/backup.cpp): a backup taken
// while a writer commits is one consistent prefix of its writes; restore refuses a held lock and
// anything but a sound Causeway store, naming the reason.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "relay/store/backup.hpp"
#include "relay/store/sqlite.hpp"
#include "relay/store/store.hpp"
#include "tests/unit/store/store_fixtures.hpp"

using namespace causeway;
using causeway::test::TempDir;
using causeway::test::test_options;

namespace {

// A closed store holding messages 1..count, each verified (one audit leaf apiece).
void make_store(const std::string& path, std::uint64_t count) {
  auto opened = store::Store::open(path, test_options());
  REQUIRE(opened.ok());
  auto& s = **opened;
  for (std::uint64_t i = 1; i <= count; ++i) {
    const auto m = test::new_message(i);
    REQUIRE(s.insert_observed(m).ok());
    REQUIRE(s.apply(test::to_state(core::message_id(m.message), store::MessageState::kVerified, i)).ok());
  }
  REQUIRE(s.close().ok());
}

// The sequences stored in `path`, ascending.
std::vector<std::uint64_t> stored_sequences(const std::string& path) {
  auto opened = store::Store::open_read_only(path, test_options());
  REQUIRE(opened.ok());
  auto sequences = (*opened)->lane_sequences(store::lane_key(test::test_message(1)), 0, 1'000'000);
  REQUIRE(sequences.ok());
  REQUIRE((*opened)->close().ok());
  return *sequences;
}

}  // namespace

TEST_CASE("store backup while a writer commits is a checked prefix of its writes", "[unit]") {
  TempDir dir;
  const auto path = dir.file("relay.db");
  const auto copy = dir.file("backup.db");
  auto opened = store::Store::open(path, test_options());
  REQUIRE(opened.ok());
  auto& live = **opened;
  constexpr std::uint64_t kBefore = 50;
  for (std::uint64_t i = 1; i <= kBefore; ++i) REQUIRE(live.insert_observed(test::new_message(i)).ok());

  // The writer owns the Store (and its lock) on its own thread; the backup uses its own connection.
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> written{kBefore};
  std::atomic<bool> writer_ok{true};
  std::thread writer([&] {
    for (std::uint64_t i = kBefore + 1; !stop.load() && i <= 100'000; ++i) {
      if (!live.insert_observed(test::new_message(i)).ok()) {
        writer_ok = false;
        return;
      }
      written = i;
    }
  });
  // Let the writer get going first, so the backup really runs beside commits.
  while (written.load() < kBefore + 20) std::this_thread::yield();
  auto backup = store::backup_store(path, copy);
  stop = true;
  writer.join();
  REQUIRE(writer_ok.load());
  INFO((backup.ok() ? std::string() : backup.error().message()));
  REQUIRE(backup.ok());
  CHECK(backup->audit_rechecked);
  CHECK(backup->messages >= kBefore + 20);
  CHECK(backup->messages <= written.load());
  CHECK(backup->bytes > 0);

  struct stat info {};
  REQUIRE(::stat(copy.c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);
  CHECK_FALSE(std::filesystem::exists(copy + ".partial"));
  CHECK_FALSE(std::filesystem::exists(copy + "-wal"));

  // A prefix: exactly messages 1..n, none missing in between.
  const auto sequences = stored_sequences(copy);
  REQUIRE(sequences.size() == backup->messages);
  for (std::size_t i = 0; i < sequences.size(); ++i) CHECK(sequences[i] == i + 1);
  // The copy opens as a store of its own and passes the full check.
  auto reopened = store::Store::open(copy, test_options());
  REQUIRE(reopened.ok());
  CHECK((*reopened)->check_integrity().ok());
  REQUIRE((*reopened)->close().ok());
  REQUIRE(live.close().ok());
}

TEST_CASE("store backup refuses an existing target and a foreign source", "[unit]") {
  TempDir dir;
  const auto path = dir.file("relay.db");
  make_store(path, 3);
  const auto copy = dir.file("backup.db");
  { std::ofstream(copy) << "precious"; }
  auto refused = store::backup_store(path, copy);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().reason() == store::reason::kTargetExists);

  const auto foreign = dir.file("other.db");
  test::exec_raw(foreign, "CREATE TABLE t (x INTEGER)");
  auto from_foreign = store::backup_store(foreign, dir.file("backup2.db"));
  REQUIRE_FALSE(from_foreign.ok());
  CHECK(from_foreign.error().reason() == store::reason::kForeign);
  CHECK_FALSE(std::filesystem::exists(dir.file("backup2.db")));
}

TEST_CASE("store check reads a running relay's store in one snapshot and a stopped one fully", "[unit]") {
  TempDir dir;
  const auto path = dir.file("relay.db");
  make_store(path, 5);
  auto stopped = store::check_store_file(path);
  REQUIRE(stopped.ok());
  CHECK(stopped->audit_rechecked);
  CHECK(stopped->messages == 5);
  CHECK(stopped->audit_leaves == 5);

  auto opened = store::Store::open(path, test_options());
  REQUIRE(opened.ok());
  auto running = store::check_store_file(path);
  REQUIRE(running.ok());
  CHECK_FALSE(running->audit_rechecked);
  CHECK(running->messages == 5);
  REQUIRE((*opened)->close().ok());

  test::overwrite_page_of(path, "messages");
  auto damaged = store::check_store_file(path);
  REQUIRE_FALSE(damaged.ok());
  CHECK(damaged.error().reason() == store::reason::kCorrupt);
}

TEST_CASE("store restore replaces the store and keeps the old one with its WAL", "[unit]") {
  TempDir dir;
  const auto path = dir.file("relay.db");
  const auto copy = dir.file("backup.db");
  make_store(path, 4);
  REQUIRE(store::backup_store(path, copy).ok());
  {
    auto opened = store::Store::open(path, test_options());
    REQUIRE(opened.ok());
    REQUIRE((*opened)->insert_observed(test::new_message(5)).ok());
    REQUIRE((*opened)->close().ok());
  }
  // What a crashed relay leaves beside its store; it must not meet the restored file.
  { std::ofstream(path + "-wal") << "the old store's log"; }

  auto restored = store::restore_store(copy, path);
  INFO((restored.ok() ? std::string() : restored.error().message()));
  REQUIRE(restored.ok());
  CHECK(restored->messages == 4);
  CHECK(restored->audit_rechecked);
  CHECK(stored_sequences(path).size() == 4);
  CHECK(stored_sequences(path + ".before-restore").size() == 5);
  CHECK(std::filesystem::exists(path + ".before-restore-wal"));
  CHECK_FALSE(std::filesystem::exists(path + "-wal"));
  struct stat info {};
  REQUIRE(::stat(path.c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);
  // The relay opens it as usual and carries on writing.
  auto reopened = store::Store::open(path, test_options());
  REQUIRE(reopened.ok());
  CHECK((*reopened)->insert_observed(test::new_message(5)).ok());
  REQUIRE((*reopened)->close().ok());
}

TEST_CASE("store restore refuses a held lock, foreign, too new and damaged files", "[unit]") {
  TempDir dir;
  const auto path = dir.file("relay.db");
  const auto copy = dir.file("backup.db");
  make_store(path, 4);
  REQUIRE(store::backup_store(path, copy).ok());

  SECTION("a relay holds the store") {
    auto opened = store::Store::open(path, test_options());
    REQUIRE(opened.ok());
    auto refused = store::restore_store(copy, path);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().reason() == store::reason::kLocked);
    REQUIRE((*opened)->close().ok());
  }
  SECTION("not SQLite at all") {
    const auto text = dir.file("notes.txt");
    { std::ofstream(text) << "these are not the pages you are looking for, not even sixteen bytes of magic\n"; }
    auto refused = store::restore_store(text, path);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().reason() == store::reason::kForeign);
  }
  SECTION("another application's database") {
    test::exec_raw(copy, "PRAGMA application_id = 7");
    auto refused = store::restore_store(copy, path);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().reason() == store::reason::kForeign);
  }
  SECTION("a schema newer than this build") {
    test::exec_raw(copy, "PRAGMA user_version = " + std::to_string(store::schema_version() + 1));
    auto refused = store::restore_store(copy, path);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().reason() == store::reason::kTooNew);
  }
  SECTION("a damaged page") {
    test::overwrite_page_of(copy, "messages");
    auto refused = store::restore_store(copy, path);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().reason() == store::reason::kCorrupt);
  }
  SECTION("an audit leaf that does not hash to its bytes") {
    test::exec_raw(copy, "DROP TRIGGER audit_leaves_no_update; UPDATE audit_leaves SET time = time + 1 WHERE leaf_index = 2");
    auto refused = store::restore_store(copy, path);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().reason() == store::reason::kAuditMismatch);
  }
  SECTION("an earlier restore's safety copy is in the way") {
    { std::ofstream(path + ".before-restore") << "kept"; }
    auto refused = store::restore_store(copy, path);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().reason() == store::reason::kTargetExists);
  }
  // Every refusal leaves the store as it was.
  CHECK(stored_sequences(path).size() == 4);
  CHECK_FALSE(std::filesystem::exists(path + ".restoring"));
}
