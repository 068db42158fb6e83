// Shared fixtures for the store tests: a temporary directory that cleans up, a fixed clock,
// messages and hashes built from small integers, raw SQL and byte surgery on a store's file, and
// the store under test on either backend (open_test_store).
#pragma once

#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "relay/core/bytes.hpp"
#include "relay/core/hash.hpp"
#include "relay/core/message.hpp"
#include "relay/store/sqlite.hpp"
#include "relay/store/store.hpp"
#include "tests/support/temp_dir.hpp"

namespace causeway::test {

inline constexpr std::uint64_t kTestTime = 1'700'000'000;

inline store::StoreOptions test_options() {
  store::StoreOptions options;
  options.clock = [] { return kTestTime; };
  return options;
}

// The PostgreSQL store of store_pg_tests (built with CAUSEWAY_TEST_POSTGRES, run by
// tests/support/with_postgres.sh): the cluster's trust-auth conninfo and a schema named after
// `path`, so each test's TempDir is a fresh schema and reopening the same path finds it again.
inline store::PostgresTarget postgres_target_for(const std::string& path) {
  const char* conninfo = std::getenv("CAUSEWAY_PG_CONNINFO");
  if (conninfo == nullptr) FAIL("CAUSEWAY_PG_CONNINFO is not set: run under tests/support/with_postgres.sh");
  store::PostgresTarget target;
  target.conninfo = conninfo;
  target.schema = "t_" + core::to_hex(core::keccak256(core::as_bytes(path)).view()).substr(2, 24);
  return target;
}

// The store under test at `path`: the SQLite file there, or in store_pg_tests a PostgreSQL
// schema named after it. The behavioural test cases open their stores through this, so one
// source runs against both backends; SQLite-only cases are tagged [sqlite].
inline core::Result<std::unique_ptr<store::Store>> open_test_store(const std::string& path,
                                                                   store::StoreOptions options = test_options()) {
#ifdef CAUSEWAY_TEST_POSTGRES
  return store::Store::open_postgres(postgres_target_for(path), std::move(options));
#else
  return store::Store::open(path, std::move(options));
#endif
}

// A distinct, non-zero 32-byte value per tag and number.
template <typename Fixed = core::Hash32>
Fixed fixed_of(std::string_view tag, std::uint64_t n) {
  const auto h = core::keccak256({core::as_bytes(tag), core::as_bytes(std::to_string(n))});
  Fixed out;
  for (std::size_t i = 0; i < Fixed::kSize; ++i) out.bytes[i] = h.bytes[i];
  return out;
}

inline core::Message test_message(std::uint64_t sequence) {
  core::Message m;
  m.src_chain = fixed_of<core::ChainIdentity>("src", 1);
  m.src_gateway = fixed_of<core::Word32>("src-gw", 1);
  m.dst_chain = fixed_of<core::ChainIdentity>("dst", 1);
  m.dst_gateway = fixed_of<core::Word32>("dst-gw", 1);
  m.receiver = fixed_of<core::Word32>("receiver", 1);
  m.sequence = core::Sequence{sequence};
  m.sender = fixed_of<core::Word32>("sender", 1);
  m.gas_limit = 100'000;
  m.payload = core::Bytes{0xca, 0xfe, static_cast<std::uint8_t>(sequence)};
  return m;
}

inline store::NewMessage new_message(std::uint64_t sequence) {
  return {test_message(sequence), fixed_of<core::Claim>("claim", sequence)};
}

inline store::Transition to_state(const core::MessageId& id, store::MessageState to, std::uint64_t n = 1) {
  store::Transition t;
  t.id = id;
  t.to = to;
  t.evidence = fixed_of("evidence", n);
  t.reason = "test.reason";
  return t;
}

// Runs `sql` on the database at `path` over a connection of its own, past the Store's checks.
inline void exec_raw(const std::string& path, const std::string& sql) {
  auto db = store::sql::Database::open(path);
  REQUIRE(db.ok());
  auto done = db->exec(sql);
  INFO((done.ok() ? std::string() : done.error().message()));
  REQUIRE(done.ok());
}

// Writes 64 0xff bytes over the header of `table`'s root b-tree page, in place: a corruption that
// quick_check finds and that a query of that table may trip over.
inline void overwrite_page_of(const std::string& path, const std::string& table) {
  std::int64_t root = 0;
  std::int64_t page_size = 0;
  {
    auto db = store::sql::Database::open(path);
    REQUIRE(db.ok());
    auto value = db->query_int("SELECT rootpage FROM sqlite_schema WHERE name = '" + table + "'");
    REQUIRE(value.ok());
    root = *value;
    auto size = db->query_int("PRAGMA page_size");
    REQUIRE(size.ok());
    page_size = *size;
  }
  REQUIRE(root > 1);
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  REQUIRE(file.good());
  file.seekp((root - 1) * page_size);
  const std::string junk(64, '\xff');
  file.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  REQUIRE(file.good());
}

}  // namespace causeway::test
