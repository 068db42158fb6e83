// The PostgreSQL store backend (relay/store/postgres.cpp) against a throwaway server
// (tests/support/with_postgres.sh): schema identity and migrations, the append-only tables,
// parity of the audit log with SQLite, the write guard, and failures named without secrets.
// The behavioural store cases run on PostgreSQL too: store_pg_tests compiles them with
// CAUSEWAY_TEST_POSTGRES, which points test::open_test_store at a schema per test.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <memory>
#include <string>

#include "relay/core/signature.hpp"
#include "relay/store/checkpoint_signer.hpp"
#include "relay/store/postgres.hpp"
#include "relay/store/store.hpp"
#include "tests/unit/store/store_fixtures.hpp"

using namespace causeway;
using causeway::test::TempDir;
using S = store::MessageState;

namespace {

std::unique_ptr<store::Store> open_pg(const store::PostgresTarget& target,
                                      store::StoreOptions options = test::test_options()) {
  auto opened = store::Store::open_postgres(target, std::move(options));
  INFO((opened.ok() ? std::string() : opened.error().message()));
  REQUIRE(opened.ok());
  return std::move(opened).value();
}

// Raw SQL in the target's schema over a connection of its own, past the Store's checks.
core::Result<void> exec_in(const store::PostgresTarget& target, const std::string& sql) {
  CW_TRY(auto db, store::sql::PostgresConnection::connect(target));
  return db->exec(sql);
}

// A message through verified, voted, executed and acknowledged: four audit leaves.
void deliver(store::Store& s, std::uint64_t sequence) {
  REQUIRE(s.insert_observed(test::new_message(sequence)).ok());
  const auto id = core::message_id(test::test_message(sequence));
  for (const auto to : {S::kVerified, S::kVoted, S::kExecutedOk, S::kAcknowledged}) {
    auto applied = s.apply(test::to_state(id, to, sequence));
    INFO((applied.ok() ? std::string() : applied.error().message()));
    REQUIRE(applied.ok());
  }
}

std::string env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) FAIL(std::string(name) + " is not set: run under tests/support/with_postgres.sh");
  return value;
}

}  // namespace

TEST_CASE("postgres: ? placeholders are numbered and never looked for inside quotes", "[postgres]") {
  auto numbered = store::sql::number_placeholders("SELECT a FROM t WHERE b = ? AND c IN (?, ?) AND d = 'x'");
  REQUIRE(numbered.ok());
  CHECK(numbered->text == "SELECT a FROM t WHERE b = $1 AND c IN ($2, $3) AND d = 'x'");
  CHECK(numbered->parameters == 3);
  CHECK(store::sql::number_placeholders("SELECT 'what?' FROM t").error().reason() == store::reason::kPostgres);
  CHECK(store::sql::number_placeholders("SELECT \"odd?\" FROM t").error().reason() == store::reason::kPostgres);
  CHECK(store::sql::number_placeholders("SELECT ?1").error().reason() == store::reason::kPostgres);
}

TEST_CASE("postgres: both dialects have the same migrations by version and name", "[postgres]") {
  const auto sqlite = store::migrations(store::sql::Dialect::kSqlite);
  const auto pg = store::migrations(store::sql::Dialect::kPostgres);
  REQUIRE(sqlite.size() == pg.size());
  for (std::size_t i = 0; i < pg.size(); ++i) {
    CHECK(sqlite[i].version == pg[i].version);
    CHECK(sqlite[i].name == pg[i].name);
  }
}

TEST_CASE("postgres: a new schema is created and migrated, and reopens current and clean", "[postgres]") {
  TempDir dir;
  const auto target = test::postgres_target_for(dir.file("fresh"));
  {
    auto s = open_pg(target);
    CHECK(s->open_report().created);
    CHECK(s->open_report().from_version == 0);
    CHECK(s->open_report().to_version == store::schema_version());
    CHECK(s->dialect() == store::sql::Dialect::kPostgres);
    CHECK(s->path() == "postgresql schema " + target.schema);
    CHECK(*s->connection().query_text("SELECT value FROM store_meta WHERE key = 'schema_version'") ==
          std::to_string(store::schema_version()));
    CHECK(*s->connection().query_text("SELECT value FROM store_meta WHERE key = 'application_id'") ==
          std::to_string(store::kApplicationId));
    CHECK(*s->connection().query_text("SELECT current_schema()") == target.schema);
    REQUIRE(s->close().ok());
  }
  auto again = open_pg(target);
  CHECK_FALSE(again->open_report().created);
  CHECK(again->open_report().from_version == store::schema_version());
  CHECK_FALSE(again->open_report().unclean_shutdown);
  CHECK_FALSE(again->open_report().integrity_checked);
  REQUIRE(again->close().ok());
}

TEST_CASE("postgres: a newer schema version and a foreign schema are refused by name", "[postgres]") {
  TempDir dir;
  const auto target = test::postgres_target_for(dir.file("newer"));
  REQUIRE(open_pg(target)->close().ok());
  REQUIRE(exec_in(target, "UPDATE store_meta SET value = '" + std::to_string(store::schema_version() + 1) +
                              "' WHERE key = 'schema_version'")
              .ok());
  CHECK(store::Store::open_postgres(target, test::test_options()).error().reason() == store::reason::kTooNew);

  // Tables but no Causeway meta, and a store_meta of another application.
  const auto foreign = test::postgres_target_for(dir.file("foreign"));
  REQUIRE(exec_in(foreign, "CREATE TABLE wallet (k TEXT)").ok());
  CHECK(store::Store::open_postgres(foreign, test::test_options()).error().reason() == store::reason::kForeign);
  const auto other = test::postgres_target_for(dir.file("other"));
  REQUIRE(exec_in(other, "CREATE TABLE store_meta (key TEXT PRIMARY KEY, value TEXT); "
                         "INSERT INTO store_meta VALUES ('application_id', '1234')")
              .ok());
  CHECK(store::Store::open_postgres(other, test::test_options()).error().reason() == store::reason::kForeign);
}

TEST_CASE("postgres: a read-only open sees one snapshot beside the writer, writes nothing, creates nothing",
          "[postgres]") {
  TempDir dir;
  const auto target = test::postgres_target_for(dir.file("reader"));
  auto writer = open_pg(target);
  deliver(*writer, 1);
  deliver(*writer, 2);
  const auto key = core::Ed25519PrivateKey::from_seed(core::Bytes(32, 7)).value();
  const store::CheckpointSigner signer{"relay.example/audit", "relay.example/audit", &key,
                                       [] { return test::kTestTime; }};
  REQUIRE(store::sign_and_store_checkpoint(*writer, signer).ok());

  auto opened = store::Store::open_postgres_read_only(target, test::test_options());
  INFO((opened.ok() ? std::string() : opened.error().message()));
  REQUIRE(opened.ok());
  auto& reader = **opened;
  CHECK(reader.audit_size() == 8);
  CHECK(reader.audit_root(8).value() == writer->audit_root(8).value());
  CHECK((**reader.audit_entry(7)).leaf == (**writer->audit_entry(7)).leaf);
  REQUIRE(reader.checkpoints().value().size() == 1);
  CHECK(reader.set_log_vkey("x").error().reason() == store::reason::kReadOnly);
  // The writer goes on (and is not held up); the reader keeps the state it opened.
  deliver(*writer, 3);
  REQUIRE(store::sign_and_store_checkpoint(*writer, signer).ok());
  CHECK(reader.audit_size() == 8);
  CHECK_FALSE(reader.audit_entry(8).value().has_value());
  CHECK(reader.checkpoints().value().size() == 1);
  CHECK(reader.close().ok());
  CHECK(writer->close().ok());
  // Nothing the reader did marked the store: it reopens clean.
  CHECK_FALSE(open_pg(target)->open_report().unclean_shutdown);

  // A missing schema is named and not created; an empty one holds no store; another application's is refused.
  const auto missing = test::postgres_target_for(dir.file("missing"));
  CHECK(store::Store::open_postgres_read_only(missing, test::test_options()).error().reason() ==
        store::reason::kCantOpen);
  auto probe = store::sql::PostgresConnection::connect(target);
  REQUIRE(probe.ok());
  CHECK(*(*probe)->query_int("SELECT count(*) FROM pg_catalog.pg_namespace WHERE nspname = '" + missing.schema + "'") ==
        0);
  const auto empty = test::postgres_target_for(dir.file("empty"));
  REQUIRE(exec_in(empty, "SELECT 1").ok());
  CHECK(store::Store::open_postgres_read_only(empty, test::test_options()).error().reason() ==
        store::reason::kNotFound);
  const auto other = test::postgres_target_for(dir.file("other"));
  REQUIRE(exec_in(other, "CREATE TABLE store_meta (key TEXT PRIMARY KEY, value TEXT); "
                         "INSERT INTO store_meta VALUES ('application_id', '1234'), ('schema_version', '1')")
              .ok());
  CHECK(store::Store::open_postgres_read_only(other, test::test_options()).error().reason() ==
        store::reason::kForeign);
}

TEST_CASE("postgres: the same writes give the same audit log as SQLite", "[postgres]") {
  TempDir dir;
  auto pg = open_pg(test::postgres_target_for(dir.file("parity")));
  auto opened = store::Store::open(dir.file("relay.db"), test::test_options());
  REQUIRE(opened.ok());
  auto& lite = **opened;
  for (std::uint64_t i = 1; i <= 3; ++i) {
    deliver(*pg, i);
    deliver(lite, i);
  }
  REQUIRE(pg->audit_size() == 12);
  CHECK(pg->audit_root(12).value() == lite.audit_root(12).value());
  const auto entry = pg->audit_entry(5);
  REQUIRE(entry.ok());
  REQUIRE(entry->has_value());
  CHECK((**entry).leaf == (**lite.audit_entry(5)).leaf);
  CHECK(pg->check_integrity().ok());
}

TEST_CASE("postgres: audit leaves, tiles and checkpoints are append-only; a tampered leaf is found", "[postgres]") {
  TempDir dir;
  const auto target = test::postgres_target_for(dir.file("append-only"));
  {
    auto s = open_pg(target);
    // 65 messages: 260 leaves, one complete tile.
    for (std::uint64_t i = 1; i <= 65; ++i) deliver(*s, i);
    REQUIRE(s->add_checkpoint({4, s->audit_root(4).value(), "note"}).ok());
    auto& db = s->connection();
    CHECK(db.exec("UPDATE audit_leaves SET time = 0 WHERE leaf_index = 0").error().reason() ==
          store::reason::kConstraint);
    CHECK(db.exec("DELETE FROM audit_leaves").error().reason() == store::reason::kConstraint);
    CHECK(db.exec("TRUNCATE audit_leaves").error().reason() == store::reason::kConstraint);
    CHECK(db.exec("UPDATE checkpoints SET note = 'forged'").error().reason() == store::reason::kConstraint);
    CHECK(db.exec("UPDATE audit_tiles SET hash = '\\x00'::bytea").error().reason() == store::reason::kConstraint);
    CHECK(*db.query_int("SELECT count(*) FROM audit_tiles") == 1);
    REQUIRE(s->close().ok());
  }
  {
    auto s = open_pg(target);
    CHECK(s->audit_size() == 260);
    CHECK(s->check_integrity().ok());
    REQUIRE(s->close().ok());
  }
  // Only by removing the trigger can history change, and then the check finds it.
  REQUIRE(exec_in(target, "DROP TRIGGER audit_leaves_no_update ON audit_leaves; "
                          "UPDATE audit_leaves SET time = 0 WHERE leaf_index = 3")
              .ok());
  auto s = open_pg(target);
  CHECK(s->check_integrity().error().reason() == store::reason::kAuditMismatch);
}

TEST_CASE("postgres: the integrity check reads the log in pages and finds a tampered leaf past the first",
          "[postgres]") {
  TempDir dir;
  const auto target = test::postgres_target_for(dir.file("pages"));
  constexpr std::uint64_t kMessages = 4200;  // one leaf each: more than a page of 4,096
  {
    auto s = open_pg(target);
    store::WriteBatch batch;
    for (std::uint64_t i = 1; i <= kMessages; ++i) {
      batch.observed.push_back(test::new_message(i));
      batch.transitions.push_back(test::to_state(core::message_id(test::test_message(i)), S::kVerified, i));
    }
    REQUIRE(s->batch(batch).ok());
    REQUIRE(s->audit_size() == kMessages);
    CHECK(s->check_integrity().ok());
    REQUIRE(s->close().ok());
  }
  REQUIRE(exec_in(target, "DROP TRIGGER audit_leaves_no_update ON audit_leaves; "
                          "UPDATE audit_leaves SET time = 0 WHERE leaf_index = 4150")
              .ok());
  auto s = open_pg(target);
  const auto checked = s->check_integrity();
  REQUIRE_FALSE(checked.ok());
  CHECK(checked.error().reason() == store::reason::kAuditMismatch);
  CHECK(checked.error().message().find("audit leaf 4150") != std::string::npos);
}

TEST_CASE("postgres: an unclean shutdown makes the next open check the audit log", "[postgres]") {
  TempDir dir;
  const auto target = test::postgres_target_for(dir.file("unclean"));
  {
    auto s = open_pg(target);
    deliver(*s, 1);
    // Destroyed without close(): as after a crash.
  }
  auto s = open_pg(target);
  CHECK(s->open_report().unclean_shutdown);
  CHECK(s->open_report().integrity_checked);
  CHECK_FALSE(s->open_report().quick_check_deferred);
  CHECK(s->audit_size() == 4);
}

TEST_CASE("postgres: the write guard runs in every write transaction and its refusal rolls back", "[postgres]") {
  TempDir dir;
  int guarded = 0;
  bool refuse = false;
  auto options = test::test_options();
  options.write_guard = [&](store::sql::Connection& db) -> core::Result<void> {
    ++guarded;
    CHECK(db.in_transaction());
    if (refuse) return core::Error(core::Reason{"lease.lost"}, "test");
    return core::ok();
  };
  auto s = open_pg(test::postgres_target_for(dir.file("guard")), options);
  REQUIRE(s->insert_observed(test::new_message(1)).ok());
  REQUIRE(s->set_cursor({test::fixed_of<core::ChainIdentity>("src", 1), 7, test::fixed_of("hash", 7)}).ok());
  CHECK(guarded == 2);

  refuse = true;
  const auto id = core::message_id(test::test_message(1));
  CHECK(s->apply(test::to_state(id, S::kVerified)).error().reason().name == "lease.lost");
  CHECK(s->insert_observed(test::new_message(2)).error().reason().name == "lease.lost");
  CHECK(s->message(id).value()->state == S::kObserved);
  CHECK_FALSE(s->message(core::message_id(test::test_message(2))).value().has_value());
  CHECK(s->audit_size() == 0);
  CHECK_FALSE(s->connection().in_transaction());
}

TEST_CASE("postgres: unreachable servers, bad credentials and bad schemas are named, without the password",
          "[postgres]") {
  store::PostgresTarget nowhere;
  nowhere.conninfo = "host=127.0.0.1 port=1 dbname=postgres connect_timeout=2";
  nowhere.password = "hunter2-secret";
  auto refused = store::Store::open_postgres(nowhere);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().reason() == store::reason::kConnection);
  CHECK(refused.error().message().find("hunter2-secret") == std::string::npos);

  store::PostgresTarget wrong;
  wrong.conninfo = env("CAUSEWAY_PG_TCP_CONNINFO");
  wrong.password = "not-the-password-42";
  wrong.schema = "wrong_password";
  auto denied = store::Store::open_postgres(wrong);
  REQUIRE_FALSE(denied.ok());
  CHECK(denied.error().reason() == store::reason::kAuth);
  CHECK(denied.error().message().find("not-the-password-42") == std::string::npos);

  store::PostgresTarget right = wrong;
  right.password = env("CAUSEWAY_PG_PASSWORD");
  auto s = store::Store::open_postgres(right, test::test_options());
  INFO((s.ok() ? std::string() : s.error().message()));
  REQUIRE(s.ok());
  REQUIRE((*s)->close().ok());

  store::PostgresTarget badly_named = right;
  badly_named.schema = "Robert'); DROP TABLE x; --";
  CHECK(store::Store::open_postgres(badly_named).error().reason() == store::reason::kPostgres);

  store::PostgresTarget malformed;
  malformed.conninfo = "host=127.0.0.1 port";
  malformed.password = "hunter3-secret";
  auto parse = store::Store::open_postgres(malformed);
  REQUIRE_FALSE(parse.ok());
  CHECK(parse.error().reason() == store::reason::kConnection);
  CHECK(parse.error().message().find("hunter3-secret") == std::string::npos);
}

// Last: it stops the shared server (and starts it again for whatever follows).
TEST_CASE("postgres: a server stopped mid-use fails writes and reads by name, without a crash", "[postgres]") {
  TempDir dir;
  auto s = open_pg(test::postgres_target_for(dir.file("stopped")));
  deliver(*s, 1);
  REQUIRE(std::system(env("CAUSEWAY_PG_STOP").c_str()) == 0);
  const auto id = core::message_id(test::test_message(2));
  auto inserted = s->insert_observed(test::new_message(2));
  REQUIRE_FALSE(inserted.ok());
  INFO(inserted.error().message());
  CHECK(inserted.error().reason() == store::reason::kConnection);
  auto read = s->message(id);
  REQUIRE_FALSE(read.ok());
  CHECK(read.error().reason() == store::reason::kConnection);
  CHECK(s->audit_size() == 4);
  REQUIRE(std::system(env("CAUSEWAY_PG_START").c_str()) == 0);
}
