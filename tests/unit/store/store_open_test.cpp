// Opening a store: migrations, application id and version checks, corruption detection, the
// clean-shutdown marker and the lock file (relay/store/store.cpp, lock_file.cpp).
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "relay/store/sqlite.hpp"
#include "relay/store/store.hpp"
#include "tests/unit/store/store_fixtures.hpp"

using namespace causeway;
using causeway::test::TempDir;
using causeway::test::test_options;

namespace {

std::int64_t pragma_of(const std::string& path, const std::string& pragma) {
  auto db = store::sql::Database::open(path);
  REQUIRE(db.ok());
  auto value = db->query_int("PRAGMA " + pragma);
  REQUIRE(value.ok());
  return *value;
}

// Creates a store with a little data in it and closes it cleanly.
void make_store(const std::string& path) {
  auto opened = store::Store::open(path, test_options());
  REQUIRE(opened.ok());
  auto& s = **opened;
  for (std::uint64_t i = 1; i <= 20; ++i) REQUIRE(s.insert_observed(test::new_message(i)).ok());
  REQUIRE(s.close().ok());
}

}  // namespace

TEST_CASE("store migrates an empty file to the current schema and reopens it", "[unit]") {
  TempDir dir;
  const auto path = dir.file("relay.db");
  {
    auto opened = store::Store::open(path, test_options());
    REQUIRE(opened.ok());
    const auto& report = (*opened)->open_report();
    CHECK(report.created);
    CHECK(report.from_version == 0);
    CHECK(report.to_version == store::schema_version());
    CHECK_FALSE(report.unclean_shutdown);
    CHECK_FALSE(report.integrity_checked);
    REQUIRE((*opened)->close().ok());
  }
  CHECK(pragma_of(path, "application_id") == store::kApplicationId);
  CHECK(pragma_of(path, "user_version") == store::schema_version());

  auto again = store::Store::open(path, test_options());
  REQUIRE(again.ok());
  const auto& report = (*again)->open_report();
  CHECK_FALSE(report.created);
  CHECK(report.from_version == store::schema_version());
  CHECK_FALSE(report.unclean_shutdown);
  CHECK_FALSE(report.integrity_checked);  // a clean close needs only quick_check
  REQUIRE((*again)->close().ok());
}

TEST_CASE("store opens in WAL mode with synchronous FULL and foreign keys on", "[unit]") {
  TempDir dir;
  const auto path = dir.file("relay.db");
  auto opened = store::Store::open(path, test_options());
  REQUIRE(opened.ok());
  auto db = store::sql::Database::open(path);
  REQUIRE(db.ok());
  CHECK(*db->query_text("PRAGMA journal_mode") == "wal");  // persistent in the file
  REQUIRE((*opened)->close().ok());
}

namespace {

// A database in WAL mode with one table, for the checkpointer tests.
store::sql::Database wal_database(const std::string& path) {
  auto db = store::sql::Database::open(path);
  REQUIRE(db.ok());
  REQUIRE(*db->query_text("PRAGMA journal_mode = WAL") == "wal");
  REQUIRE(db->exec("CREATE TABLE pages (body BLOB)").ok());
  return std::move(db).value();
}

// Appends `commits` transactions of 100 rows of ~4 KB each: about one WAL page per row.
void write_pages(store::sql::Database& db, int commits) {
  for (int c = 0; c < commits; ++c) {
    REQUIRE(db.exec("BEGIN IMMEDIATE").ok());
    for (int row = 0; row < 100; ++row) REQUIRE(db.exec("INSERT INTO pages VALUES (randomblob(4000))").ok());
    REQUIRE(db.exec("COMMIT").ok());
  }
}

}  // namespace

TEST_CASE("WAL checkpoints run on a thread of their own, not inside the writer's commits", "[unit]") {
  TempDir dir;
  const auto path = dir.file("wal.db");
  auto db = wal_database(path);
  CHECK(*db.query_int("PRAGMA wal_autocheckpoint") == store::sql::WalCheckpointer::kPages);
  REQUIRE(db.checkpoint_in_background(path).ok());
  const auto* checkpointer = db.checkpointer();
  REQUIRE(checkpointer != nullptr);
  CHECK(*db.query_int("PRAGMA wal_autocheckpoint") == 0);  // SQLite's own checkpoint hook is off

  // ~3,000 pages: past the threshold many times, never at the backstop.
  write_pages(db, 30);
  for (int wait = 0; wait < 1000 && checkpointer->background_runs() == 0; ++wait) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(checkpointer->background_runs() > 0);
  CHECK(checkpointer->backstop_runs() == 0);

  db.stop_background_checkpoints();
  CHECK(db.checkpointer() == nullptr);
  CHECK(*db.query_int("PRAGMA wal_autocheckpoint") == store::sql::WalCheckpointer::kPages);
  CHECK(*db.query_int("SELECT count(*) FROM pages") == 3000);
}

TEST_CASE("a commit checkpoints itself once the WAL is past the backstop", "[unit]") {
  TempDir dir;
  const auto path = dir.file("wal.db");
  auto db = wal_database(path);
  REQUIRE(db.checkpoint_in_background(path).ok());
  // A reader holding the snapshot of the empty log: no checkpoint can copy a page past it, so the
  // log grows beyond the backstop however fast the thread is.
  auto reader = store::sql::Database::open(path);
  REQUIRE(reader.ok());
  REQUIRE(reader->exec("BEGIN").ok());
  REQUIRE(*reader->query_int("SELECT count(*) FROM pages") == 0);
  write_pages(db, 50);
  CHECK(db.checkpointer()->backstop_runs() > 0);
  CHECK(db.checkpointer()->log_pages() >= store::sql::WalCheckpointer::kBackstopPages);
  REQUIRE(reader->exec("COMMIT").ok());
  CHECK(*db.query_int("SELECT count(*) FROM pages") == 5000);
}

TEST_CASE("a SQLite store reports its WAL checkpointer, a read-only one nothing", "[unit]") {
  TempDir dir;
  const auto path = dir.file("relay.db");
  {
    auto opened = test::open_test_store(path, test::test_options());
    REQUIRE(opened);
    auto status = (*opened)->wal_status();
    REQUIRE(status.has_value());
    CHECK(status->by_commit == 0);
    REQUIRE((*opened)->set_cursor({test::fixed_of<core::ChainIdentity>("chain", 1), 7, {}}));
    status = (*opened)->wal_status();
    REQUIRE(status.has_value());
    CHECK(status->pages > 0);  // the cursor's commit is in the log
    REQUIRE((*opened)->close());
  }
  auto read_only = store::Store::open_read_only(path);
  REQUIRE(read_only);
  CHECK_FALSE((*read_only)->wal_status().has_value());
}

TEST_CASE("a store closed cleanly leaves no WAL beside its file", "[unit]") {
  TempDir dir;
  const auto path = dir.file("relay.db");
  auto opened = store::Store::open(path, test_options());
  REQUIRE(opened.ok());
  for (std::uint64_t i = 1; i <= 200; ++i) REQUIRE((*opened)->insert_observed(test::new_message(i)).ok());
  CHECK(std::filesystem::exists(path + "-wal"));
  REQUIRE((*opened)->close().ok());
  CHECK_FALSE(std::filesystem::exists(path + "-wal"));
}

TEST_CASE("store refuses a database written by a newer schema version", "[unit]") {
  TempDir dir;
  const auto path = dir.file("relay.db");
  make_store(path);
  test::exec_raw(path, "PRAGMA user_version = " + std::to_string(store::schema_version() + 1));
  auto opened = store::Store::open(path, test_options());
  REQUIRE_FALSE(opened.ok());
  CHECK(opened.error().reason() == store::reason::kTooNew);
  CHECK_THAT(opened.error().message(), Catch::Contains(path));
  // Refused before anything was written: the version is still the newer one.
  CHECK(pragma_of(path, "user_version") == store::schema_version() + 1);
}

TEST_CASE("store refuses a SQLite database of another application", "[unit]") {
  TempDir dir;
  const auto path = dir.file("other.db");
  test::exec_raw(path, "PRAGMA application_id = 1234; CREATE TABLE wallet (k TEXT);");
  auto opened = store::Store::open(path, test_options());
  REQUIRE_FALSE(opened.ok());
  CHECK(opened.error().reason() == store::reason::kForeign);
  CHECK_THAT(opened.error().message(), Catch::Contains(path) && Catch::Contains("0x000004d2"));

  SECTION("also without an application id, if it holds someone's tables") {
    const auto plain = dir.file("plain.db");
    test::exec_raw(plain, "CREATE TABLE notes (k TEXT);");
    auto refused = store::Store::open(plain, test_options());
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().reason() == store::reason::kForeign);
  }
}

TEST_CASE("store refuses a file that is not a SQLite database", "[unit]") {
  TempDir dir;
  const auto path = dir.file("notes.txt");
  std::ofstream(path) << "these are my notes, not a database\n";
  auto opened = store::Store::open(path, test_options());
  REQUIRE_FALSE(opened.ok());
  CHECK(opened.error().reason() == store::reason::kForeign);
  CHECK_THAT(opened.error().message(), Catch::Contains(path) && Catch::Contains("not a SQLite database"));
  std::ifstream check(path);
  std::string line;
  std::getline(check, line);
  CHECK(line == "these are my notes, not a database");  // untouched
}

TEST_CASE("store refuses a database with a corrupted page", "[unit]") {
  TempDir dir;
  const auto path = dir.file("relay.db");
  make_store(path);
  test::overwrite_page_of(path, "messages");
  auto opened = store::Store::open(path, test_options());
  REQUIRE_FALSE(opened.ok());
  CHECK(opened.error().reason() == store::reason::kCorrupt);
  CHECK_THAT(opened.error().message(), Catch::Contains(path) && Catch::Contains("quick_check"));
}

TEST_CASE("a deferred quick_check runs beside the open store and finds a corrupted page", "[unit]") {
  TempDir dir;
  const auto path = dir.file("relay.db");
  make_store(path);
  REQUIRE(store::Store::quick_check(path).ok());
  // A page open() never reads: only the check finds it.
  test::overwrite_page_of(path, "bundles");
  auto options = test_options();
  options.defer_quick_check = true;
  auto opened = store::Store::open(path, options);
  REQUIRE(opened.ok());
  CHECK((*opened)->open_report().quick_check_deferred);
  CHECK_FALSE((*opened)->open_report().integrity_checked);
  const auto checked = store::Store::quick_check(path);
  REQUIRE_FALSE(checked.ok());
  CHECK(checked.error().reason() == store::reason::kCorrupt);
  CHECK_THAT(checked.error().message(), Catch::Contains(path) && Catch::Contains("quick_check"));
  REQUIRE((*opened)->close().ok());
  // Without deferring, open() itself refuses it.
  CHECK(store::Store::open(path, test_options()).error().reason() == store::reason::kCorrupt);
}

TEST_CASE("store refuses a truncated database", "[unit]") {
  TempDir dir;
  const auto path = dir.file("relay.db");
  make_store(path);
  const auto size = std::filesystem::file_size(path);
  const auto page_size = static_cast<std::uintmax_t>(pragma_of(path, "page_size"));
  REQUIRE(size > 4 * page_size);
  std::filesystem::resize_file(path, 3 * page_size);
  auto opened = store::Store::open(path, test_options());
  REQUIRE_FALSE(opened.ok());
  CHECK(opened.error().reason() == store::reason::kCorrupt);
}

TEST_CASE("store runs the full integrity check after an unclean shutdown", "[unit]") {
  TempDir dir;
  const auto path = dir.file("relay.db");
  {
    auto opened = store::Store::open(path, test_options());
    REQUIRE(opened.ok());
    REQUIRE((*opened)->insert_observed(test::new_message(1)).ok());
    // Destroyed without close(): what a crash looks like to the next open.
  }
  {
    auto opened = store::Store::open(path, test_options());
    REQUIRE(opened.ok());
    CHECK((*opened)->open_report().unclean_shutdown);
    CHECK((*opened)->open_report().integrity_checked);
    auto m = (*opened)->message(core::message_id(test::test_message(1)));
    REQUIRE(m.ok());
    CHECK(m->has_value());
    REQUIRE((*opened)->close().ok());
  }
  auto opened = store::Store::open(path, test_options());
  REQUIRE(opened.ok());
  CHECK_FALSE((*opened)->open_report().unclean_shutdown);
  CHECK_FALSE((*opened)->open_report().integrity_checked);
  REQUIRE((*opened)->check_integrity().ok());  // on demand
  REQUIRE((*opened)->close().ok());

  SECTION("or whenever asked to") {
    auto options = test_options();
    options.full_integrity_check = true;
    auto checked = store::Store::open(path, options);
    REQUIRE(checked.ok());
    CHECK((*checked)->open_report().integrity_checked);
    CHECK_FALSE((*checked)->open_report().unclean_shutdown);
  }
}

TEST_CASE("store calls after close fail with store.closed", "[unit]") {
  TempDir dir;
  auto opened = store::Store::open(dir.file("relay.db"), test_options());
  REQUIRE(opened.ok());
  REQUIRE((*opened)->close().ok());
  auto inserted = (*opened)->insert_observed(test::new_message(1));
  REQUIRE_FALSE(inserted.ok());
  CHECK(inserted.error().reason() == store::reason::kClosed);
  CHECK((*opened)->close().error().reason() == store::reason::kClosed);
}

TEST_CASE("a second open of one store in the same process fails with store.locked", "[unit]") {
  TempDir dir;
  const auto path = dir.file("relay.db");
  auto first = store::Store::open(path, test_options());
  REQUIRE(first.ok());
  auto second = store::Store::open(path, test_options());
  REQUIRE_FALSE(second.ok());
  CHECK(second.error().reason() == store::reason::kLocked);
  CHECK_THAT(second.error().message(), Catch::Contains("pid " + std::to_string(::getpid())));
  REQUIRE((*first)->close().ok());
  auto third = store::Store::open(path, test_options());  // released by close()
  REQUIRE(third.ok());
  REQUIRE((*third)->close().ok());
}

TEST_CASE("a second relay process cannot open a store in use", "[integration]") {
  TempDir dir;
  const auto path = dir.file("relay.db");
  auto first = store::Store::open(path, test_options());
  REQUIRE(first.ok());
  const auto parent = ::getpid();
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // The child only tries to open; it never touches the parent's connection.
    auto second = store::Store::open(path, test_options());
    const bool locked = !second.ok() && second.error().reason() == store::reason::kLocked &&
                        second.error().message().find("pid " + std::to_string(parent)) != std::string::npos;
    ::_exit(locked ? 0 : 1);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  REQUIRE((*first)->close().ok());
}

TEST_CASE("migrate applies ordered steps, each atomically, and refuses a newer file", "[unit]") {
  TempDir dir;
  const auto path = dir.file("m.db");
  auto db = store::sql::Database::open(path);
  REQUIRE(db.ok());
  const store::Migration steps[] = {
      {1, "a", "CREATE TABLE a (x INTEGER) STRICT;"},
      {2, "b", "CREATE TABLE b (x INTEGER) STRICT;"},
      {3, "broken", "CREATE TABLE c (x INTEGER) STRICT; INSERT INTO no_such_table VALUES (1);"},
  };
  REQUIRE(store::migrate(*db, std::span(steps, 2)).ok());
  CHECK(*db->query_int("PRAGMA user_version") == 2);
  CHECK(*db->query_int("SELECT count(*) FROM sqlite_schema WHERE name IN ('a', 'b')") == 2);
  REQUIRE(store::migrate(*db, std::span(steps, 2)).ok());  // idempotent

  auto broken = store::migrate(*db, steps);
  REQUIRE_FALSE(broken.ok());
  CHECK(broken.error().reason() == store::reason::kMigrationFailed);
  CHECK(*db->query_int("PRAGMA user_version") == 2);
  CHECK(*db->query_int("SELECT count(*) FROM sqlite_schema WHERE name = 'c'") == 0);  // rolled back

  auto older_build = store::migrate(*db, std::span(steps, 1));
  REQUIRE_FALSE(older_build.ok());
  CHECK(older_build.error().reason() == store::reason::kTooNew);
}
