// See store.hpp. The schema lives in the migrations below, one list per SQL dialect; each one is
// applied in its own transaction together with the schema version it brings the store to.
#include "relay/store/store.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <set>
#include <tuple>
#include <utility>

#include "relay/core/hash.hpp"
#include "relay/store/postgres.hpp"
#include "relay/store/sqlite.hpp"

namespace causeway::store {

using core::Error;
using core::Result;

namespace {

constexpr std::string_view kSchemaV1 = R"sql(
CREATE TABLE store_meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;

CREATE TABLE cursors (
  chain      BLOB PRIMARY KEY CHECK (length(chain) = 32),
  height     INTEGER NOT NULL CHECK (height >= 0),
  hash       BLOB NOT NULL CHECK (length(hash) = 32),
  updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE messages (
  id              BLOB PRIMARY KEY CHECK (length(id) = 32),
  lane            BLOB NOT NULL CHECK (length(lane) = 32),
  sequence        INTEGER NOT NULL CHECK (sequence >= 0),
  claim           BLOB NOT NULL CHECK (length(claim) = 32),
  state           TEXT NOT NULL CHECK (state IN ('observed', 'verified', 'voted', 'executed_ok',
                    'executed_failed', 'timed_out', 'skipped', 'acknowledged', 'parked', 'orphaned')),
  parked_from     TEXT CHECK (parked_from IN ('observed', 'verified', 'voted')),
  parked_reason   TEXT,
  attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  next_attempt_at INTEGER NOT NULL DEFAULT 0,
  encoded         BLOB NOT NULL,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL,
  CHECK ((state = 'parked') = (parked_from IS NOT NULL))
) STRICT;
CREATE INDEX messages_due ON messages (state, next_attempt_at);
CREATE INDEX messages_lane ON messages (lane, sequence);

CREATE TABLE bundles (
  claim      BLOB PRIMARY KEY CHECK (length(claim) = 32),
  message_id BLOB NOT NULL CHECK (length(message_id) = 32),
  body       TEXT NOT NULL,
  verified   INTEGER NOT NULL CHECK (verified IN (0, 1)),
  created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE rejected (
  claim       BLOB PRIMARY KEY CHECK (length(claim) = 32),
  message_id  BLOB NOT NULL CHECK (length(message_id) = 32),
  reason      TEXT NOT NULL CHECK (length(reason) > 0),
  rejected_at INTEGER NOT NULL
) STRICT;

CREATE TABLE submissions (
  seq          INTEGER PRIMARY KEY AUTOINCREMENT,
  tx_hash      BLOB NOT NULL UNIQUE CHECK (length(tx_hash) = 32),
  chain_id     INTEGER NOT NULL CHECK (chain_id >= 0),
  account      BLOB NOT NULL CHECK (length(account) = 20),
  nonce        INTEGER NOT NULL CHECK (nonce >= 0),
  raw          BLOB NOT NULL,
  replaces     BLOB REFERENCES submissions (tx_hash),
  tag          TEXT NOT NULL,
  state        INTEGER NOT NULL CHECK (state BETWEEN 1 AND 5),
  block_number INTEGER,
  succeeded    INTEGER CHECK (succeeded IN (0, 1)),
  drop_reason  TEXT,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX submissions_by_key ON submissions (chain_id, account, nonce);

CREATE TABLE verified_headers (
  chain       BLOB NOT NULL CHECK (length(chain) = 32),
  height      INTEGER NOT NULL CHECK (height >= 0),
  hash        BLOB NOT NULL CHECK (length(hash) = 32),
  parent_hash BLOB NOT NULL CHECK (length(parent_hash) = 32),
  header      BLOB NOT NULL,
  verified_at INTEGER NOT NULL,
  PRIMARY KEY (chain, height)
) STRICT;

CREATE TABLE validator_sets (
  chain       BLOB NOT NULL CHECK (length(chain) = 32),
  from_height INTEGER NOT NULL CHECK (from_height >= 0),
  validators  BLOB NOT NULL CHECK (length(validators) % 20 = 0),
  recorded_at INTEGER NOT NULL,
  PRIMARY KEY (chain, from_height)
) STRICT;

CREATE TABLE audit_leaves (
  leaf_index INTEGER PRIMARY KEY CHECK (leaf_index >= 0),
  kind       INTEGER NOT NULL CHECK (kind BETWEEN 1 AND 10),
  message_id BLOB NOT NULL CHECK (length(message_id) = 32),
  claim      BLOB NOT NULL CHECK (length(claim) = 32),
  detail     BLOB NOT NULL CHECK (length(detail) = 32),
  time       INTEGER NOT NULL CHECK (time >= 0),
  leaf       BLOB NOT NULL CHECK (length(leaf) = 160),
  leaf_hash  BLOB NOT NULL CHECK (length(leaf_hash) = 32)
) STRICT;
-- The log is append-only: history that could be rewritten would prove nothing to an auditor.
CREATE TRIGGER audit_leaves_no_update BEFORE UPDATE ON audit_leaves
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_leaves_no_delete BEFORE DELETE ON audit_leaves
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

CREATE TABLE checkpoints (
  tree_size  INTEGER PRIMARY KEY CHECK (tree_size > 0),
  root       BLOB NOT NULL CHECK (length(root) = 32),
  note       TEXT NOT NULL,
  created_at INTEGER NOT NULL
) STRICT;
CREATE TRIGGER checkpoints_no_update BEFORE UPDATE ON checkpoints
  BEGIN SELECT RAISE(ABORT, 'signed checkpoints are immutable'); END;
)sql";

// Version 2: the verified execution of each message on its destination, which its
// acknowledgement proves back to the source (PROTOCOL.md section 6).
constexpr std::string_view kSchemaV2 = R"sql(
CREATE TABLE executions (
  message_id   BLOB PRIMARY KEY CHECK (length(message_id) = 32) REFERENCES messages (id),
  claim        BLOB NOT NULL CHECK (length(claim) = 32),
  status       INTEGER NOT NULL CHECK (status BETWEEN 1 AND 4),
  tx_hash      BLOB NOT NULL CHECK (length(tx_hash) = 32),
  block_number INTEGER NOT NULL CHECK (block_number >= 0),
  recorded_at  INTEGER NOT NULL
) STRICT;
)sql";

// Version 3: the vote book, every vote the relay signed or received from a peer attester, so
// /v1/votes can serve them and several relays can aggregate signatures (PROTOCOL.md section 5).
constexpr std::string_view kSchemaV3 = R"sql(
CREATE TABLE votes (
  message_id  BLOB NOT NULL CHECK (length(message_id) = 32) REFERENCES messages (id),
  kind        TEXT NOT NULL CHECK (kind IN ('deliver', 'ack', 'skip')),
  claim       BLOB NOT NULL CHECK (length(claim) = 32),
  epoch       INTEGER NOT NULL CHECK (epoch >= 0),
  signer      BLOB NOT NULL CHECK (length(signer) = 20),
  status      INTEGER NOT NULL CHECK (status BETWEEN 0 AND 4),
  signature   BLOB NOT NULL CHECK (length(signature) = 65),
  origin      TEXT NOT NULL CHECK (origin IN ('own', 'peer')),
  received_at INTEGER NOT NULL,
  PRIMARY KEY (message_id, kind, claim, epoch, signer)
) STRICT;
)sql";

// Version 4: witness cosignatures of signed checkpoints (c2sp.org/tlog-cosignature), one line per
// witness and tree size, served with the checkpoint. The checkpoint itself stays immutable.
constexpr std::string_view kSchemaV4 = R"sql(
CREATE TABLE checkpoint_cosignatures (
  tree_size  INTEGER NOT NULL REFERENCES checkpoints (tree_size),
  witness    TEXT NOT NULL,
  line       TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (tree_size, witness)
) STRICT;
)sql";

// Version 5: the hash of every complete tile of kTileLeaves audit leaves, written in the commit
// that completes the tile, so opening a store reads n / 256 tile hashes instead of every leaf
// and the log in memory stays small (core::MerkleLog). Derived data: the integrity check
// recomputes each tile from its leaves.
constexpr std::string_view kSchemaV5 = R"sql(
CREATE TABLE audit_tiles (
  tile_index INTEGER PRIMARY KEY CHECK (tile_index >= 0),
  hash       BLOB NOT NULL CHECK (length(hash) = 32)
) STRICT;
CREATE TRIGGER audit_tiles_no_update BEFORE UPDATE ON audit_tiles
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
)sql";

// Version 6: the leaves of one claim, for `GET /v1/audit/leaves?claim=` and `causeway audit
// inclusion CLAIM`, without scanning the whole log.
constexpr std::string_view kSchemaV6 = R"sql(
CREATE INDEX audit_leaves_claim ON audit_leaves (claim);
)sql";

// Version 7: a bundle's inclusion proof stored once however many bundles carry it. Every message
// of one transaction proves the same receipt (all its logs), so with many messages per transaction
// that receipt was most of every one of their bundles. A bundle row keeps its text with the proof
// cut out, `proof` naming the cut text and `proof_at` the byte offset it goes back in (see
// Store::put_bundle_in_tx); rows written before keep their whole text and NULL there.
constexpr std::string_view kSchemaV7 = R"sql(
CREATE TABLE bundle_proofs (
  hash BLOB PRIMARY KEY CHECK (length(hash) = 32),
  body TEXT NOT NULL
) STRICT;
ALTER TABLE bundles ADD COLUMN proof BLOB REFERENCES bundle_proofs (hash);
ALTER TABLE bundles ADD COLUMN proof_at INTEGER CHECK ((proof IS NULL) = (proof_at IS NULL) AND proof_at >= 0);
CREATE INDEX bundles_proof ON bundles (proof);
)sql";

// Version 8: the delivery and acknowledgement steps ask for a lane's due messages in sequence
// order (Store::due_in_lanes). Through messages_due every due message was read and sorted, encoded
// message and all, for each step: a backlog of 100,000 every 50 ms. This index hands them out per
// lane and state already in order, so a step reads the few it takes. The same SQL on PostgreSQL.
constexpr std::string_view kSchemaV8 = R"sql(
CREATE INDEX messages_lane_due ON messages (lane, state, sequence, next_attempt_at);
)sql";

constexpr std::array<Migration, 8> kMigrations{{
    {1, "initial schema", kSchemaV1},
    {2, "executions", kSchemaV2},
    {3, "votes", kSchemaV3},
    {4, "checkpoint cosignatures", kSchemaV4},
    {5, "audit tiles", kSchemaV5},
    {6, "audit leaves by claim", kSchemaV6},
    {7, "shared bundle proofs", kSchemaV7},
    {8, "due messages by lane", kSchemaV8},
}};

// The same steps for PostgreSQL (same versions and names): BIGINT for every integer, BYTEA for
// BLOB, an identity column named rowid where the store's SQL orders by SQLite's rowid, and
// trigger functions for the append-only tables. Store::open_postgres puts them in the configured
// schema through search_path. V1 also records the application id, which SQLite keeps in a PRAGMA.
constexpr std::string_view kPgSchemaV1 = R"sql(
CREATE TABLE store_meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
INSERT INTO store_meta (key, value) VALUES ('application_id', '1129791833');  -- kApplicationId

CREATE TABLE cursors (
  chain      BYTEA PRIMARY KEY CHECK (octet_length(chain) = 32),
  height     BIGINT NOT NULL CHECK (height >= 0),
  hash       BYTEA NOT NULL CHECK (octet_length(hash) = 32),
  updated_at BIGINT NOT NULL
);

CREATE TABLE messages (
  id              BYTEA PRIMARY KEY CHECK (octet_length(id) = 32),
  lane            BYTEA NOT NULL CHECK (octet_length(lane) = 32),
  sequence        BIGINT NOT NULL CHECK (sequence >= 0),
  claim           BYTEA NOT NULL CHECK (octet_length(claim) = 32),
  state           TEXT NOT NULL CHECK (state IN ('observed', 'verified', 'voted', 'executed_ok',
                    'executed_failed', 'timed_out', 'skipped', 'acknowledged', 'parked', 'orphaned')),
  parked_from     TEXT CHECK (parked_from IN ('observed', 'verified', 'voted')),
  parked_reason   TEXT,
  attempts        BIGINT NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  next_attempt_at BIGINT NOT NULL DEFAULT 0,
  encoded         BYTEA NOT NULL,
  created_at      BIGINT NOT NULL,
  updated_at      BIGINT NOT NULL,
  rowid           BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  CHECK ((state = 'parked') = (parked_from IS NOT NULL))
);
CREATE INDEX messages_due ON messages (state, next_attempt_at);
CREATE INDEX messages_lane ON messages (lane, sequence);

CREATE TABLE bundles (
  claim      BYTEA PRIMARY KEY CHECK (octet_length(claim) = 32),
  message_id BYTEA NOT NULL CHECK (octet_length(message_id) = 32),
  body       TEXT NOT NULL,
  verified   BIGINT NOT NULL CHECK (verified IN (0, 1)),
  created_at BIGINT NOT NULL,
  rowid      BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE
);

CREATE TABLE rejected (
  claim       BYTEA PRIMARY KEY CHECK (octet_length(claim) = 32),
  message_id  BYTEA NOT NULL CHECK (octet_length(message_id) = 32),
  reason      TEXT NOT NULL CHECK (length(reason) > 0),
  rejected_at BIGINT NOT NULL
);

CREATE TABLE submissions (
  seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tx_hash      BYTEA NOT NULL UNIQUE CHECK (octet_length(tx_hash) = 32),
  chain_id     BIGINT NOT NULL CHECK (chain_id >= 0),
  account      BYTEA NOT NULL CHECK (octet_length(account) = 20),
  nonce        BIGINT NOT NULL CHECK (nonce >= 0),
  raw          BYTEA NOT NULL,
  replaces     BYTEA REFERENCES submissions (tx_hash),
  tag          TEXT NOT NULL,
  state        BIGINT NOT NULL CHECK (state BETWEEN 1 AND 5),
  block_number BIGINT,
  succeeded    BIGINT CHECK (succeeded IN (0, 1)),
  drop_reason  TEXT,
  created_at   BIGINT NOT NULL,
  updated_at   BIGINT NOT NULL
);
CREATE INDEX submissions_by_key ON submissions (chain_id, account, nonce);

CREATE TABLE verified_headers (
  chain       BYTEA NOT NULL CHECK (octet_length(chain) = 32),
  height      BIGINT NOT NULL CHECK (height >= 0),
  hash        BYTEA NOT NULL CHECK (octet_length(hash) = 32),
  parent_hash BYTEA NOT NULL CHECK (octet_length(parent_hash) = 32),
  header      BYTEA NOT NULL,
  verified_at BIGINT NOT NULL,
  PRIMARY KEY (chain, height)
);

CREATE TABLE validator_sets (
  chain       BYTEA NOT NULL CHECK (octet_length(chain) = 32),
  from_height BIGINT NOT NULL CHECK (from_height >= 0),
  validators  BYTEA NOT NULL CHECK (octet_length(validators) % 20 = 0),
  recorded_at BIGINT NOT NULL,
  PRIMARY KEY (chain, from_height)
);

CREATE TABLE audit_leaves (
  leaf_index BIGINT PRIMARY KEY CHECK (leaf_index >= 0),
  kind       BIGINT NOT NULL CHECK (kind BETWEEN 1 AND 10),
  message_id BYTEA NOT NULL CHECK (octet_length(message_id) = 32),
  claim      BYTEA NOT NULL CHECK (octet_length(claim) = 32),
  detail     BYTEA NOT NULL CHECK (octet_length(detail) = 32),
  time       BIGINT NOT NULL CHECK (time >= 0),
  leaf       BYTEA NOT NULL CHECK (octet_length(leaf) = 160),
  leaf_hash  BYTEA NOT NULL CHECK (octet_length(leaf_hash) = 32)
);
-- The log is append-only: history that could be rewritten would prove nothing to an auditor.
-- SQLSTATE 23000, as SQLite's RAISE(ABORT) is a constraint failure: both are store.constraint.
CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'integrity_constraint_violation';
END
$$;
CREATE TRIGGER audit_leaves_no_update BEFORE UPDATE ON audit_leaves
  FOR EACH ROW EXECUTE FUNCTION refuse_change('the audit log is append-only');
CREATE TRIGGER audit_leaves_no_delete BEFORE DELETE ON audit_leaves
  FOR EACH ROW EXECUTE FUNCTION refuse_change('the audit log is append-only');
-- Row triggers do not fire on TRUNCATE.
CREATE TRIGGER audit_leaves_no_truncate BEFORE TRUNCATE ON audit_leaves
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('the audit log is append-only');

CREATE TABLE checkpoints (
  tree_size  BIGINT PRIMARY KEY CHECK (tree_size > 0),
  root       BYTEA NOT NULL CHECK (octet_length(root) = 32),
  note       TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE TRIGGER checkpoints_no_update BEFORE UPDATE ON checkpoints
  FOR EACH ROW EXECUTE FUNCTION refuse_change('signed checkpoints are immutable');
)sql";

constexpr std::string_view kPgSchemaV2 = R"sql(
CREATE TABLE executions (
  message_id   BYTEA PRIMARY KEY CHECK (octet_length(message_id) = 32) REFERENCES messages (id),
  claim        BYTEA NOT NULL CHECK (octet_length(claim) = 32),
  status       BIGINT NOT NULL CHECK (status BETWEEN 1 AND 4),
  tx_hash      BYTEA NOT NULL CHECK (octet_length(tx_hash) = 32),
  block_number BIGINT NOT NULL CHECK (block_number >= 0),
  recorded_at  BIGINT NOT NULL
);
)sql";

constexpr std::string_view kPgSchemaV3 = R"sql(
CREATE TABLE votes (
  message_id  BYTEA NOT NULL CHECK (octet_length(message_id) = 32) REFERENCES messages (id),
  kind        TEXT NOT NULL CHECK (kind IN ('deliver', 'ack', 'skip')),
  claim       BYTEA NOT NULL CHECK (octet_length(claim) = 32),
  epoch       BIGINT NOT NULL CHECK (epoch >= 0),
  signer      BYTEA NOT NULL CHECK (octet_length(signer) = 20),
  status      BIGINT NOT NULL CHECK (status BETWEEN 0 AND 4),
  signature   BYTEA NOT NULL CHECK (octet_length(signature) = 65),
  origin      TEXT NOT NULL CHECK (origin IN ('own', 'peer')),
  received_at BIGINT NOT NULL,
  rowid       BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  PRIMARY KEY (message_id, kind, claim, epoch, signer)
);
)sql";

// COLLATE "C": cosignatures are served ordered by witness name bytewise, as SQLite orders them.
constexpr std::string_view kPgSchemaV4 = R"sql(
CREATE TABLE checkpoint_cosignatures (
  tree_size  BIGINT NOT NULL REFERENCES checkpoints (tree_size),
  witness    TEXT COLLATE "C" NOT NULL,
  line       TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (tree_size, witness)
);
)sql";

constexpr std::string_view kPgSchemaV5 = R"sql(
CREATE TABLE audit_tiles (
  tile_index BIGINT PRIMARY KEY CHECK (tile_index >= 0),
  hash       BYTEA NOT NULL CHECK (octet_length(hash) = 32)
);
CREATE TRIGGER audit_tiles_no_update BEFORE UPDATE ON audit_tiles
  FOR EACH ROW EXECUTE FUNCTION refuse_change('the audit log is append-only');
)sql";

constexpr std::string_view kPgSchemaV7 = R"sql(
CREATE TABLE bundle_proofs (
  hash BYTEA PRIMARY KEY CHECK (octet_length(hash) = 32),
  body TEXT NOT NULL
);
ALTER TABLE bundles ADD COLUMN proof BYTEA REFERENCES bundle_proofs (hash);
ALTER TABLE bundles ADD COLUMN proof_at BIGINT CHECK ((proof IS NULL) = (proof_at IS NULL) AND proof_at >= 0);
CREATE INDEX bundles_proof ON bundles (proof);
)sql";

constexpr std::array<Migration, 8> kPgMigrations{{
    {1, "initial schema", kPgSchemaV1},
    {2, "executions", kPgSchemaV2},
    {3, "votes", kPgSchemaV3},
    {4, "checkpoint cosignatures", kPgSchemaV4},
    {5, "audit tiles", kPgSchemaV5},
    {6, "audit leaves by claim", kSchemaV6},
    {7, "shared bundle proofs", kPgSchemaV7},
    {8, "due messages by lane", kSchemaV8},
}};

constexpr bool same_steps(const std::array<Migration, 8>& a, const std::array<Migration, 8>& b) {
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].version != b[i].version || a[i].name != b[i].name) return false;
  }
  return true;
}
static_assert(same_steps(kMigrations, kPgMigrations), "every dialect has the same migrations");

constexpr std::string_view kSqliteMagic{"SQLite format 3\0", 16};

std::string hex(core::ByteView bytes) { return core::to_hex(bytes); }

std::uint64_t system_now() {
  const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(since_epoch).count());
}

// A non-empty file that does not open with SQLite's magic is someone else's file; saying so beats
// SQLite's "file is not a database", which reads like corruption.
Result<void> check_file_kind(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return core::ok();  // missing: SQLite creates it
  std::string head(kSqliteMagic.size(), '\0');
  file.read(head.data(), static_cast<std::streamsize>(head.size()));
  const auto got = static_cast<std::size_t>(file.gcount());
  if (got == 0) return core::ok();  // empty: SQLite treats it as a new database
  if (got < head.size() || head != kSqliteMagic) {
    return Error(reason::kForeign, path + " is not a SQLite database (not a Causeway store); refusing to touch it");
  }
  return core::ok();
}

// Runs a check pragma whose single "ok" row means healthy; anything else is kCorrupt.
Result<void> run_check(sql::Connection& db, std::string_view pragma) {
  CW_TRY(auto statement, db.prepare(pragma));
  std::string problems;
  int count = 0;
  for (;;) {
    CW_TRY(const bool row, statement->step());
    if (!row) break;
    const auto line = statement->column_text(0);
    if (line == "ok") continue;
    if (++count <= 5) problems += (problems.empty() ? "" : "; ") + line;
  }
  if (count > 0) return Error(reason::kCorrupt, std::string(pragma) + ": " + problems);
  return core::ok();
}

// An error from the database layer keeps its reason and gains the file's name.
Error at_path(Error error, const std::string& path) { return std::move(error).with_context(path); }

constexpr std::string_view kVoteKindNames[] = {"deliver", "ack", "skip"};
constexpr std::string_view kVoteOriginNames[] = {"own", "peer"};

constexpr std::string_view kStateNames[] = {"observed",  "verified", "voted",        "executed_ok", "executed_failed",
                                            "timed_out", "skipped",  "acknowledged", "parked",      "orphaned"};

Result<MessageState> parse_state(std::string_view name) {
  auto state = message_state_from_string(name);
  if (!state) return Error(reason::kCorrupt, "unknown message state '" + std::string(name) + "'");
  return *state;
}

bool base_transition(MessageState from, MessageState to) noexcept {
  using S = MessageState;
  const bool outcome = to == S::kExecutedOk || to == S::kExecutedFailed || to == S::kTimedOut || to == S::kSkipped;
  switch (from) {
    case S::kObserved: return to == S::kVerified || to == S::kParked || to == S::kOrphaned;
    // Verified may jump to an outcome: another relay's delivery executes the message too.
    case S::kVerified: return to == S::kVoted || outcome || to == S::kParked || to == S::kOrphaned;
    case S::kVoted: return outcome || to == S::kParked || to == S::kOrphaned;
    case S::kExecutedOk:
    case S::kExecutedFailed:
    case S::kTimedOut:
    case S::kSkipped: return to == S::kAcknowledged;
    case S::kAcknowledged: return false;
    case S::kOrphaned: return to == S::kObserved;  // the event reappears in the new canonical chain
    case S::kParked: return false;                 // depends on where it was parked
  }
  return false;
}

}  // namespace

// ---- Migrations -----------------------------------------------------------------------------

std::span<const Migration> migrations() noexcept { return kMigrations; }
std::span<const Migration> migrations(sql::Dialect dialect) noexcept {
  if (dialect == sql::Dialect::kPostgres) return kPgMigrations;
  return kMigrations;
}
std::uint32_t schema_version() noexcept { return kMigrations.back().version; }

namespace {

// SQLite keeps the schema version in PRAGMA user_version; PostgreSQL in store_meta, which exists
// from version 1 on (0 without it).
Result<std::int64_t> stored_schema_version(sql::Connection& db) {
  if (db.dialect() == sql::Dialect::kSqlite) return db.query_int("PRAGMA user_version");
  CW_TRY(const auto has_meta, db.query_int("SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = "
                                           "current_schema() AND tablename = 'store_meta'"));
  if (has_meta == 0) return std::int64_t{0};
  CW_TRY(auto q, db.prepare("SELECT value FROM store_meta WHERE key = 'schema_version'"));
  CW_TRY(const bool row, q->step());
  if (!row) return std::int64_t{0};
  const auto text = q->column_text(0);
  std::int64_t version = 0;
  for (const char c : text) {
    if (c < '0' || c > '9' || version > 1'000'000) return Error(reason::kCorrupt, "schema_version '" + text + "'");
    version = version * 10 + (c - '0');
  }
  return version;
}

Result<void> set_schema_version(sql::Connection& db, std::uint32_t version) {
  // PRAGMA takes no parameters; the version is our own integer.
  if (db.dialect() == sql::Dialect::kSqlite) return db.exec("PRAGMA user_version = " + std::to_string(version));
  CW_TRY(auto q, db.prepare(
                     "INSERT INTO store_meta (key, value) VALUES ('schema_version', ?) "
                     "ON CONFLICT (key) DO UPDATE SET value = excluded.value"));
  q->bind_text(1, std::to_string(version));
  return q->run();
}

}  // namespace

Result<void> migrate(sql::Connection& db, std::span<const Migration> steps) {
  CW_TRY(const auto current, stored_schema_version(db));
  const std::int64_t newest = steps.empty() ? 0 : steps.back().version;
  if (current > newest) {
    return Error(reason::kTooNew, "schema version " + std::to_string(current) + " is newer than this build's " +
                                      std::to_string(newest) + "; upgrade Causeway, do not downgrade a store");
  }
  for (const auto& step : steps) {
    if (step.version <= current) continue;
    auto applied = [&]() -> Result<void> {
      CW_TRY(auto tx, sql::Transaction::begin(db));
      CW_CHECK(db.exec(step.sql));
      CW_CHECK(set_schema_version(db, step.version));
      return tx.commit();
    }();
    if (!applied) {
      return Error(reason::kMigrationFailed, "migration " + std::to_string(step.version) + " (" +
                                                 std::string(step.name) + "): " + applied.error().message());
    }
  }
  return core::ok();
}

// ---- State machine --------------------------------------------------------------------------

std::string_view to_string(MessageState state) noexcept {
  const auto index = static_cast<std::size_t>(state) - 1;
  return index < std::size(kStateNames) ? kStateNames[index] : "unknown";
}

std::optional<MessageState> message_state_from_string(std::string_view name) noexcept {
  for (std::size_t i = 0; i < std::size(kStateNames); ++i) {
    if (kStateNames[i] == name) return static_cast<MessageState>(i + 1);
  }
  return std::nullopt;
}

std::string_view to_string(VoteKind kind) noexcept {
  const auto index = static_cast<std::size_t>(kind) - 1;
  return index < std::size(kVoteKindNames) ? kVoteKindNames[index] : "unknown";
}

std::optional<VoteKind> vote_kind_from_string(std::string_view name) noexcept {
  for (std::size_t i = 0; i < std::size(kVoteKindNames); ++i) {
    if (kVoteKindNames[i] == name) return static_cast<VoteKind>(i + 1);
  }
  return std::nullopt;
}

std::string_view to_string(VoteOrigin origin) noexcept {
  const auto index = static_cast<std::size_t>(origin) - 1;
  return index < std::size(kVoteOriginNames) ? kVoteOriginNames[index] : "unknown";
}

bool is_legal_transition(MessageState from, MessageState to, std::optional<MessageState> parked_from) noexcept {
  if (from != MessageState::kParked) return base_transition(from, to);
  // Resuming continues the machine where it paused: the paused state itself or its successors.
  if (!parked_from || *parked_from == MessageState::kParked || to == MessageState::kParked) return false;
  return to == *parked_from || base_transition(*parked_from, to);
}

std::optional<core::AuditKind> audit_kind_for(MessageState to) noexcept {
  using K = core::AuditKind;
  switch (to) {
    case MessageState::kObserved: return std::nullopt;
    case MessageState::kVerified: return K::kVerified;
    case MessageState::kVoted: return K::kVoted;
    case MessageState::kExecutedOk: return K::kExecutedOk;
    case MessageState::kExecutedFailed: return K::kExecutedFailed;
    case MessageState::kTimedOut: return K::kTimedOut;
    case MessageState::kSkipped: return K::kSkipped;
    case MessageState::kAcknowledged: return K::kAcknowledged;
    case MessageState::kParked: return K::kParked;
    case MessageState::kOrphaned: return K::kOrphaned;
  }
  return std::nullopt;
}

core::Hash32 lane_key(const core::Message& m) {
  const std::uint8_t ordered = m.ordered() ? 1 : 0;
  return core::keccak256(
      {m.src_chain.view(), m.src_gateway.view(), m.dst_chain.view(), m.dst_gateway.view(), core::ByteView(&ordered, 1)});
}

// ---- Journal --------------------------------------------------------------------------------

namespace rj = core::reason::journal;

class Store::Journal final : public core::SubmissionJournal {
 public:
  explicit Journal(Store& store) : store_(store) {}

  Result<void> record_signed_all(std::span<const core::SignedTxRecord> records) override {
    return journal_error(record_signed_impl(records));
  }
  // Broadcast and confirmed are the chain's facts, which recovery reads again from the node for
  // every live record (a record found kSigned is sent again: the same bytes, so at most once), so
  // their commits are relaxed: one disk flush per transaction (record_signed) instead of three.
  // A drop is the relay's own decision and stays synced.
  Result<void> mark_broadcast_all(std::span<const core::MarkBroadcastRequest> requests) override {
    return journal_error(in_one_commit(sql::Durability::kRelaxed, [&]() -> Result<void> {
      for (const auto& request : requests) {
        CW_CHECK(change_state(request.key, request.tx_hash, core::SubmissionState::kBroadcast, {}, {}));
      }
      return core::ok();
    }));
  }
  Result<void> mark_confirmed_all(std::span<const core::MarkConfirmedRequest> requests) override {
    return journal_error(in_one_commit(sql::Durability::kRelaxed, [&]() -> Result<void> {
      for (const auto& request : requests) {
        CW_CHECK(change_state(request.key, request.tx_hash, core::SubmissionState::kConfirmed, request, {}));
      }
      return core::ok();
    }));
  }
  Result<void> mark_dropped(const core::MarkDroppedRequest& request) override {
    return journal_error(in_one_commit(sql::Durability::kSynced, [&] {
      return change_state(request.key, request.tx_hash, core::SubmissionState::kDropped, {}, request.reason);
    }));
  }
  Result<std::optional<std::uint64_t>> last_nonce(const core::LastNonceRequest& request) override {
    return journal_error(last_nonce_impl(request.key));
  }
  Result<std::vector<core::SignedTxRecord>> pending(const core::PendingRequest& request) override {
    return journal_error(pending_impl(request.key));
  }
  Result<std::optional<core::SignedTxRecord>> find(const core::FindRequest& request) override {
    return journal_error(find_impl(request.key, request.tx_hash));
  }

 private:
  static constexpr std::string_view kColumns = "chain_id, account, nonce, tx_hash, raw, replaces, tag, state";

  // The journal speaks its own reasons; anything from the database becomes kStorageFailed, which
  // the caller may retry, with the database's reason kept in the detail.
  template <typename T>
  static Result<T> journal_error(Result<T> result) {
    if (result.ok() || result.error().reason().name.starts_with("journal.")) return result;
    return Error(rj::kStorageFailed, result.error().message());
  }

  static Result<core::SignedTxRecord> read_record(const sql::Statement& row) {
    core::SignedTxRecord record;
    CW_TRY(record.key.chain_id, row.column_u64(0));
    CW_TRY(record.key.account, row.column_fixed<core::Address>(1));
    CW_TRY(record.nonce, row.column_u64(2));
    CW_TRY(record.tx_hash, row.column_fixed<core::Hash32>(3));
    record.raw = row.column_blob(4);
    if (!row.is_null(5)) {
      CW_TRY(auto replaces, row.column_fixed<core::Hash32>(5));
      record.replaces = replaces;
    }
    record.tag = row.column_text(6);
    const auto state = row.column_i64(7);
    if (state < 1 || state > 5) return Error(reason::kCorrupt, "submission state " + std::to_string(state));
    record.state = static_cast<core::SubmissionState>(state);
    return record;
  }

  Result<std::optional<core::SignedTxRecord>> find_impl(const core::NonceKey& key, const core::Hash32& tx_hash) {
    CW_CHECK(store_.ensure_open());
    CW_TRY(auto q, store_.db_->cached("SELECT " + std::string(kColumns) +
                                     " FROM submissions WHERE tx_hash = ? AND chain_id = ? AND account = ?"));
    q->bind_fixed(1, tx_hash).bind_u64(2, key.chain_id).bind_fixed(3, key.account);
    CW_TRY(const bool row, q->step());
    if (!row) return std::optional<core::SignedTxRecord>{};
    CW_TRY(auto record, read_record(*q));
    return std::optional<core::SignedTxRecord>(std::move(record));
  }

  Result<void> record_signed_impl(std::span<const core::SignedTxRecord> records) {
    CW_CHECK(store_.ensure_open());
    const auto time = store_.now();
    CW_TRY(auto tx, store_.begin_write());
    for (const auto& record : records) CW_CHECK(insert_signed(record, time));
    // synchronous=FULL: when COMMIT returns the records are on disk, so broadcasting is now safe.
    return tx.commit();
  }

  // Inside the caller's transaction, so a record may replace one inserted earlier in the same call.
  Result<void> insert_signed(const core::SignedTxRecord& record, std::uint64_t time) {
    {
      CW_TRY(auto q, store_.db_->cached("SELECT 1 FROM submissions WHERE tx_hash = ?"));
      q->bind_fixed(1, record.tx_hash);
      CW_TRY(const bool exists, q->step());
      if (exists) return Error(rj::kDuplicateTransaction, hex(record.tx_hash.view()));
    }
    if (record.replaces) {
      CW_TRY(auto old, find_impl(record.key, *record.replaces));
      if (!old || old->nonce != record.nonce || !core::is_live(old->state)) {
        return Error(rj::kBadReplacement, hex(record.replaces->view()) + " is not a live transaction of the same key "
                                                                          "and nonce");
      }
    }
    CW_TRY(auto q, store_.db_->cached(
                       "INSERT INTO submissions (tx_hash, chain_id, account, nonce, raw, replaces, tag, state, "
                       "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    q->bind_fixed(1, record.tx_hash).bind_u64(2, record.key.chain_id).bind_fixed(3, record.key.account);
    q->bind_u64(4, record.nonce).bind_blob(5, record.raw);
    if (record.replaces) q->bind_fixed(6, *record.replaces); else q->bind_null(6);
    q->bind_text(7, record.tag).bind_i64(8, static_cast<std::int64_t>(core::SubmissionState::kSigned));
    q->bind_u64(9, time).bind_u64(10, time);
    return q->run();
  }

  // `changes` (which returns Result<void>) in one write transaction of that durability: one commit
  // per call of the journal, however many records it changes.
  template <typename Changes>
  Result<void> in_one_commit(sql::Durability durability, Changes&& changes) {
    CW_CHECK(store_.ensure_open());
    CW_TRY(auto tx, store_.begin_write(durability));
    CW_CHECK(changes());
    return tx.commit();
  }

  // One record's state change (its confirmation or drop reason, and any replaced siblings), inside
  // in_one_commit.
  Result<void> change_state(const core::NonceKey& key, const core::Hash32& tx_hash, core::SubmissionState to,
                            const std::optional<core::MarkConfirmedRequest>& confirmation,
                            const std::optional<std::string>& drop_reason) {
    const auto time = store_.now();
    CW_TRY(auto current, find_impl(key, tx_hash));
    if (!current) return Error(rj::kUnknownTransaction, hex(tx_hash.view()));
    if (!core::is_live(current->state)) {
      return Error(rj::kBadTransition, std::string(core::to_string(current->state)) + " -> " +
                                           std::string(core::to_string(to)));
    }
    if (to == core::SubmissionState::kConfirmed) {
      // Siblings with the same nonce can never be mined now.
      CW_TRY(auto q, store_.db_->cached(
                         "UPDATE submissions SET state = 5, updated_at = ? WHERE chain_id = ? AND account = ? "
                         "AND nonce = ? AND state IN (1, 2) AND tx_hash != ?"));
      q->bind_u64(1, time).bind_u64(2, key.chain_id).bind_fixed(3, key.account).bind_u64(4, current->nonce);
      q->bind_fixed(5, tx_hash);
      CW_CHECK(q->run());
    }
    {
      CW_TRY(auto q, store_.db_->cached(
                         "UPDATE submissions SET state = ?, block_number = ?, succeeded = ?, drop_reason = ?, "
                         "updated_at = ? WHERE tx_hash = ?"));
      q->bind_i64(1, static_cast<std::int64_t>(to));
      if (confirmation) {
        q->bind_u64(2, confirmation->block_number).bind_i64(3, confirmation->succeeded ? 1 : 0);
      } else {
        q->bind_null(2).bind_null(3);
      }
      if (drop_reason) q->bind_text(4, *drop_reason); else q->bind_null(4);
      q->bind_u64(5, time).bind_fixed(6, tx_hash);
      CW_CHECK(q->run());
    }
    return core::ok();
  }

  Result<std::optional<std::uint64_t>> last_nonce_impl(const core::NonceKey& key) {
    CW_CHECK(store_.ensure_open());
    CW_TRY(auto q, store_.db_->cached("SELECT max(nonce) FROM submissions WHERE chain_id = ? AND account = ?"));
    q->bind_u64(1, key.chain_id).bind_fixed(2, key.account);
    CW_TRY(const bool row, q->step());
    if (!row || q->is_null(0)) return std::optional<std::uint64_t>{};
    CW_TRY(const auto nonce, q->column_u64(0));
    return std::optional<std::uint64_t>(nonce);
  }

  Result<std::vector<core::SignedTxRecord>> pending_impl(const core::NonceKey& key) {
    CW_CHECK(store_.ensure_open());
    CW_TRY(auto q, store_.db_->cached("SELECT " + std::string(kColumns) +
                                     " FROM submissions WHERE chain_id = ? AND account = ? AND state IN (1, 2) "
                                     "ORDER BY nonce, seq"));
    q->bind_u64(1, key.chain_id).bind_fixed(2, key.account);
    std::vector<core::SignedTxRecord> out;
    for (;;) {
      CW_TRY(const bool row, q->step());
      if (!row) break;
      CW_TRY(auto record, read_record(*q));
      out.push_back(std::move(record));
    }
    return out;
  }

  Store& store_;
};

// ---- Store: open and close ------------------------------------------------------------------

Store::Store(std::string path, LockFile lock, std::unique_ptr<sql::Connection> db, StoreOptions options)
    : path_(std::move(path)),
      lock_(std::move(lock)),
      db_(std::move(db)),
      dialect_(db_->dialect()),
      options_(std::move(options)),
      journal_(std::make_unique<Journal>(*this)) {}

Store::~Store() {
  // No clean-shutdown marker here: a Store that was not close()d did not drain, so the next open
  // treats it as a crash and runs the full integrity check.
  db_->close();
  lock_.release();
}

Result<sql::Transaction> Store::begin_write(sql::Durability durability) {
  // Refused here, not by the database: a reader's snapshot is itself an open transaction.
  if (read_only_) return Error(reason::kReadOnly, path_ + " is open read-only");
  CW_TRY(auto tx, sql::Transaction::begin(*db_, durability));
  if (options_.write_guard) CW_CHECK(options_.write_guard(*db_));
  return tx;
}

core::SubmissionJournal& Store::journal() noexcept { return *journal_; }

std::uint64_t Store::now() const { return options_.clock ? options_.clock() : system_now(); }

Result<void> Store::ensure_open() const {
  if (!db_->is_open()) return Error(reason::kClosed, path_);
  return core::ok();
}

Result<std::unique_ptr<Store>> Store::open(const std::string& path, StoreOptions options) {
  // The lock comes first: nothing, not even a read of the header, happens while another relay
  // owns the file.
  CW_TRY(auto lock, LockFile::acquire(path + ".lock"));
  CW_CHECK(check_file_kind(path));
  auto db = sql::Database::open(path);
  if (!db) return at_path(std::move(db).error(), path);
  std::unique_ptr<Store> store(new Store(path, std::move(lock), std::make_unique<sql::Database>(std::move(db).value()),
                                         std::move(options)));
  auto ready = store->initialize();
  if (!ready) {
    auto error = std::move(ready).error();
    // Foreign and too-new errors already name the file in their own words.
    if (error.reason() == reason::kForeign) return error;
    return at_path(std::move(error), path);
  }
  return store;
}

Result<std::unique_ptr<Store>> Store::open_postgres(const PostgresTarget& target, StoreOptions options) {
  const auto where = "postgresql schema " + target.schema;
  auto db = sql::PostgresConnection::connect(target);
  if (!db) return at_path(std::move(db).error(), where);
  std::unique_ptr<Store> store(new Store(where, LockFile{}, std::move(db).value(), std::move(options)));
  auto ready = store->initialize();
  if (!ready) {
    auto error = std::move(ready).error();
    if (error.reason() == reason::kForeign) return error;
    return at_path(std::move(error), where);
  }
  return store;
}

Result<std::unique_ptr<Store>> Store::open_read_only(const std::string& path, StoreOptions options) {
  CW_CHECK(check_file_kind(path));
  auto db = sql::Database::open_read_only(path);
  if (!db) return at_path(std::move(db).error(), path);
  // No lock: the relay that owns the store may be running, and a reader never writes.
  return open_reader(path, std::make_unique<sql::Database>(std::move(db).value()), std::move(options));
}

Result<std::unique_ptr<Store>> Store::open_postgres_read_only(const PostgresTarget& target, StoreOptions options) {
  const auto where = "postgresql schema " + target.schema;
  auto db = sql::PostgresConnection::connect_read_only(target);
  if (!db) return at_path(std::move(db).error(), where);
  return open_reader(where, std::move(db).value(), std::move(options));
}

Result<std::unique_ptr<Store>> Store::open_reader(const std::string& where, std::unique_ptr<sql::Connection> db,
                                                  StoreOptions options) {
  std::unique_ptr<Store> store(new Store(where, LockFile{}, std::move(db), std::move(options)));
  store->read_only_ = true;
  auto ready = store->initialize_read_only();
  if (!ready) {
    auto error = std::move(ready).error();
    if (error.reason() == reason::kForeign) return error;
    return at_path(std::move(error), where);
  }
  return store;
}

Result<void> Store::quick_check(const std::string& path) {
  auto db = sql::Database::open_read_only(path);
  if (!db) return at_path(std::move(db).error(), path);
  CW_CHECK(db->exec("PRAGMA busy_timeout = " + std::to_string(sql::kSideBusyTimeoutMs)));
  auto checked = run_check(*db, "PRAGMA quick_check");
  if (!checked) return at_path(std::move(checked).error(), path);
  return core::ok();
}

Result<void> Store::initialize_read_only() {
  const auto foreign = [&] {
    return Error(reason::kForeign, path_ + " is not a Causeway store; refusing to read it as one");
  };
  std::int64_t user_version = 0;
  if (dialect_ == sql::Dialect::kSqlite) {
    CW_CHECK(db_->exec("PRAGMA busy_timeout = " + std::to_string(options_.busy_timeout.count())));
    // Deferred: the snapshot is taken by the first read below and held until close.
    CW_CHECK(db_->exec("BEGIN"));
    CW_TRY(const auto application_id, db_->query_int("PRAGMA application_id"));
    if (application_id != kApplicationId) return foreign();
    CW_TRY(user_version, db_->query_int("PRAGMA user_version"));
  } else {
    CW_CHECK(db_->exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
    CW_TRY(user_version, stored_schema_version(*db_));
    if (user_version >= 1) {
      auto application_id = db_->query_text("SELECT value FROM store_meta WHERE key = 'application_id'");
      if (!application_id || *application_id != std::to_string(kApplicationId)) return foreign();
    }
  }
  if (user_version > schema_version()) {
    return Error(reason::kTooNew, "schema version " + std::to_string(user_version) + " is newer than this build's " +
                                      std::to_string(schema_version()) + "; read it with a newer Causeway");
  }
  // Every version from 1 on has the audit log and checkpoint tables; a reader cannot migrate.
  if (user_version < 1) return Error(reason::kNotFound, "no Causeway schema in it yet");
  report_.from_version = static_cast<std::uint32_t>(user_version);
  report_.to_version = report_.from_version;
  // PostgreSQL checks its own pages (data checksums, if the cluster has them).
  if (dialect_ == sql::Dialect::kSqlite) CW_CHECK(run_check(*db_, "PRAGMA quick_check"));
  return load_audit_log();
}

Result<void> Store::initialize() {
  std::int64_t user_version = 0;
  if (dialect_ == sql::Dialect::kSqlite) {
    CW_CHECK(db_->exec("PRAGMA busy_timeout = " + std::to_string(options_.busy_timeout.count())));
    CW_TRY(const auto application_id, db_->query_int("PRAGMA application_id"));
    CW_TRY(user_version, db_->query_int("PRAGMA user_version"));
    CW_TRY(const auto objects, db_->query_int("SELECT count(*) FROM sqlite_schema"));
    report_.created = application_id == 0 && user_version == 0 && objects == 0;
    if (!report_.created && application_id != kApplicationId) {
      char text[64];
      std::snprintf(text, sizeof text, "application_id 0x%08x, Causeway's is 0x%08x",
                    static_cast<std::uint32_t>(application_id), static_cast<std::uint32_t>(kApplicationId));
      return Error(reason::kForeign, path_ + " belongs to another application (" + text + "); refusing to touch it");
    }
  } else {
    // A schema with tables but no Causeway store_meta (or another application id in it) is
    // someone else's; an empty or new schema becomes a store.
    // The lease table (relay/store/lease.cpp) is created before the store, by whoever competes
    // for it; it does not make the schema someone else's.
    CW_TRY(const auto tables, db_->query_int("SELECT count(*) FROM pg_catalog.pg_tables "
                                             "WHERE schemaname = current_schema() AND tablename <> 'lease'"));
    report_.created = tables == 0;
    if (!report_.created) {
      auto application_id = db_->query_text("SELECT value FROM store_meta WHERE key = 'application_id'");
      if (!application_id || *application_id != std::to_string(kApplicationId)) {
        return Error(reason::kForeign, path_ + " holds tables that are not a Causeway store; refusing to touch them");
      }
    }
    CW_TRY(user_version, stored_schema_version(*db_));
  }
  if (user_version > schema_version() || user_version < 0) {
    return Error(reason::kTooNew, "schema version " + std::to_string(user_version) + " is newer than this build's " +
                                      std::to_string(schema_version()) + "; upgrade Causeway, do not downgrade a store");
  }
  report_.from_version = static_cast<std::uint32_t>(user_version);

  if (dialect_ == sql::Dialect::kSqlite) {
    CW_TRY(const auto mode, db_->query_text("PRAGMA journal_mode = WAL"));
    if (mode != "wal") return Error(reason::kSqlite, "journal_mode stayed '" + mode + "', WAL is required");
    // FULL, not NORMAL: in WAL mode NORMAL syncs the log only at checkpoints, so a committed write
    // survives a process crash but can vanish on power loss. A signed transaction must survive
    // both before it is broadcast (or a restart could re-sign its nonce), so every commit syncs.
    CW_CHECK(db_->exec("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON"));
    if (report_.created) CW_CHECK(db_->exec("PRAGMA application_id = " + std::to_string(kApplicationId)));
  }

  // The marker row is '0' while a relay has the store open and '1' after close(); anything but
  // '1' on a store that exists means the last user died with it open.
  if (!report_.created && user_version >= 1) {
    auto marker = db_->query_text("SELECT value FROM store_meta WHERE key = 'clean_shutdown'");
    report_.unclean_shutdown = !marker.ok() || *marker != "1";
    if (!marker.ok() && marker.error().reason() != reason::kSqlite) return std::move(marker).error();
  }
  report_.integrity_checked = options_.full_integrity_check || report_.unclean_shutdown;
  // PostgreSQL checks its own pages (data checksums, if the cluster has them); what is left to
  // check is ours: the audit log, by check_integrity after loading.
  report_.quick_check_deferred =
      dialect_ == sql::Dialect::kSqlite && !report_.integrity_checked && options_.defer_quick_check;
  if (dialect_ == sql::Dialect::kSqlite) {
    if (report_.integrity_checked) {
      CW_CHECK(run_check(*db_, "PRAGMA integrity_check"));
    } else if (!report_.quick_check_deferred) {
      CW_CHECK(run_check(*db_, "PRAGMA quick_check"));
    }
  }

  CW_CHECK(migrate(*db_, migrations(dialect_)));
  report_.to_version = schema_version();
  CW_CHECK(load_audit_log());
  if (report_.integrity_checked) CW_CHECK(check_integrity());
  CW_CHECK(db_->exec(
      "INSERT INTO store_meta (key, value) VALUES ('clean_shutdown', '0') "
      "ON CONFLICT (key) DO UPDATE SET value = excluded.value"));
  if (auto* sqlite = dynamic_cast<sql::Database*>(db_.get())) CW_CHECK(sqlite->checkpoint_in_background(path_));
  return core::ok();
}

std::optional<WalStatus> Store::wal_status() const noexcept {
  const auto* sqlite = dynamic_cast<const sql::Database*>(db_.get());
  const sql::WalCheckpointer* checkpointer = sqlite != nullptr ? sqlite->checkpointer() : nullptr;
  if (checkpointer == nullptr) return std::nullopt;
  return WalStatus{checkpointer->background_runs(), checkpointer->backstop_runs(),
                   static_cast<std::uint64_t>(std::max(0, checkpointer->log_pages()))};
}

Result<void> Store::close() {
  CW_CHECK(ensure_open());
  if (read_only_) {
    db_->close();
    return core::ok();
  }
  CW_CHECK(db_->exec("UPDATE store_meta SET value = '1' WHERE key = 'clean_shutdown'"));
  // Fold the WAL into the main file so the store is one self-contained file at rest; a busy
  // checkpoint only leaves the WAL for the next open to fold. The background checkpointer stops
  // first: its connection would keep the WAL open, and its checkpoint would make this one busy.
  if (auto* sqlite = dynamic_cast<sql::Database*>(db_.get())) {
    sqlite->stop_background_checkpoints();
    (void)sqlite->exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }
  db_->close();
  lock_.release();
  return core::ok();
}

Result<void> Store::load_audit_log() {
  constexpr std::uint64_t kTile = core::MerkleLog::kTileLeaves;
  std::uint64_t size = 0;
  {
    CW_TRY(auto q, db_->prepare("SELECT max(leaf_index) FROM audit_leaves"));
    CW_TRY(const bool row, q->step());
    if (row && !q->is_null(0)) size = static_cast<std::uint64_t>(q->column_i64(0)) + 1;
  }
  std::vector<core::Hash32> tiles;
  {
    CW_TRY(auto q, db_->prepare("SELECT tile_index, hash FROM audit_tiles ORDER BY tile_index"));
    for (;;) {
      CW_TRY(const bool row, q->step());
      if (!row) break;
      if (q->column_i64(0) != static_cast<std::int64_t>(tiles.size())) {
        return Error(reason::kAuditMismatch, "audit tile " + std::to_string(tiles.size()) + " is missing");
      }
      CW_TRY(const auto hash, q->column_fixed<core::Hash32>(1));
      tiles.push_back(hash);
    }
  }
  if (tiles.size() > size / kTile) return Error(reason::kAuditMismatch, "more audit tiles than complete tiles of leaves");
  // A store from before version 5: hash the missing tiles once from their leaves (a read-only
  // reader does so in memory, below).
  if (tiles.size() < size / kTile && !read_only_) {
    CW_TRY(auto tx, sql::Transaction::begin(*db_));
    while (tiles.size() < size / kTile) {
      CW_TRY(const auto leaves, read_tile(tiles.size()));
      tiles.push_back(core::root_from_leaf_hashes(leaves));
      CW_TRY(auto q, db_->cached("INSERT INTO audit_tiles (tile_index, hash) VALUES (?, ?)"));
      q->bind_u64(1, tiles.size() - 1).bind_fixed(2, tiles.back());
      CW_CHECK(q->run());
    }
    CW_CHECK(tx.commit());
  }
  std::vector<core::Hash32> tail;
  std::uint64_t first = tiles.size() * kTile;
  {
    CW_TRY(auto q, db_->prepare("SELECT leaf_index, leaf_hash FROM audit_leaves WHERE leaf_index >= ? ORDER BY leaf_index"));
    q->bind_u64(1, first);
    for (;;) {
      CW_TRY(const bool row, q->step());
      if (!row) break;
      if (q->column_i64(0) != static_cast<std::int64_t>(first + tail.size())) {
        return Error(reason::kAuditMismatch, "audit log has a gap before leaf " + std::to_string(q->column_i64(0)));
      }
      CW_TRY(const auto hash, q->column_fixed<core::Hash32>(1));
      tail.push_back(hash);
      if (tail.size() == kTile) {
        tiles.push_back(core::root_from_leaf_hashes(tail));
        tail.clear();
        first += kTile;
      }
    }
  }
  if (first + tail.size() != size) return Error(reason::kAuditMismatch, "audit log has a gap before its last leaf");
  CW_TRY(log_, core::MerkleLog::from_tiles(tiles, std::move(tail),
                                           [this](std::uint64_t tile) { return read_tile(tile); }));
  return core::ok();
}

Result<std::vector<core::Hash32>> Store::read_tile(std::uint64_t tile) {
  constexpr std::uint64_t kTile = core::MerkleLog::kTileLeaves;
  CW_TRY(auto q, db_->cached("SELECT leaf_index, leaf_hash FROM audit_leaves WHERE leaf_index >= ? AND leaf_index < ? "
                            "ORDER BY leaf_index"));
  q->bind_u64(1, tile * kTile).bind_u64(2, (tile + 1) * kTile);
  std::vector<core::Hash32> leaves;
  leaves.reserve(kTile);
  for (;;) {
    CW_TRY(const bool row, q->step());
    if (!row) break;
    CW_TRY(const auto hash, q->column_fixed<core::Hash32>(1));
    leaves.push_back(hash);
  }
  if (leaves.size() != kTile) {
    return Error(reason::kAuditMismatch, "audit tile " + std::to_string(tile) + " has " + std::to_string(leaves.size()) +
                                             " leaves");
  }
  return leaves;
}

Result<void> Store::check_integrity() {
  CW_CHECK(ensure_open());
  if (dialect_ == sql::Dialect::kSqlite) {
    CW_CHECK(run_check(*db_, "PRAGMA integrity_check"));
    CW_TRY(auto q, db_->prepare("PRAGMA foreign_key_check"));
    CW_TRY(const bool violation, q->step());
    if (violation) return Error(reason::kCorrupt, "foreign_key_check: table " + q->column_text(0));
  }
  // Pages of kCheckPage leaves: libpq hands a query's whole result over at once, so one query over
  // a log of millions of leaves would hold all of them in memory.
  constexpr std::uint64_t kCheckPage = 4096;
  CW_TRY(auto q, db_->prepare(
                     "SELECT leaf_index, kind, message_id, claim, detail, time, leaf, leaf_hash FROM audit_leaves "
                     "WHERE leaf_index >= ? ORDER BY leaf_index LIMIT ?"));
  std::uint64_t expected = 0;
  // Keeps only tile hashes, so checking a large log does not hold every leaf in memory.
  CW_TRY(auto rebuilt, core::MerkleLog::from_tiles({}, {}, [](std::uint64_t) -> Result<std::vector<core::Hash32>> {
    return Error(reason::kAuditMismatch, "the integrity check reads no tile");
  }));
  for (std::uint64_t page_rows = 0;;) {
    if (page_rows == 0) q->bind_u64(1, expected).bind_u64(2, kCheckPage);
    CW_TRY(const bool row, q->step());
    if (!row) {
      // A short page is the end of the log; a full one is followed by the next.
      if (page_rows < kCheckPage) break;
      q->reset();
      page_rows = 0;
      continue;
    }
    ++page_rows;
    const auto where = "audit leaf " + std::to_string(expected);
    CW_TRY(const auto index, q->column_u64(0));
    CW_TRY(const auto id, q->column_fixed<core::MessageId>(2));
    CW_TRY(const auto claim, q->column_fixed<core::Claim>(3));
    CW_TRY(const auto detail, q->column_fixed<core::Hash32>(4));
    CW_TRY(const auto time, q->column_u64(5));
    const auto leaf = q->column_blob(6);
    CW_TRY(const auto hash, q->column_fixed<core::Hash32>(7));
    const auto kind = static_cast<core::AuditKind>(q->column_i64(1));
    if (index != expected || index >= log_.size()) return Error(reason::kAuditMismatch, where + ": index");
    if (leaf != core::encode_audit_leaf(kind, id, claim, detail, time)) {
      return Error(reason::kAuditMismatch, where + ": bytes differ from its fields");
    }
    if (core::audit_leaf_hash(leaf) != hash) return Error(reason::kAuditMismatch, where + ": hash differs from its bytes");
    rebuilt.append(hash);
    ++expected;
  }
  if (expected != log_.size()) return Error(reason::kAuditMismatch, "leaf count differs from the loaded log");
  // The tiles the log was loaded from are derived data: each must be its leaves' hash.
  if (rebuilt.root() != log_.root()) return Error(reason::kAuditMismatch, "the stored audit tiles do not match the leaves");
  return core::ok();
}

// ---- Store: writes --------------------------------------------------------------------------

Result<void> Store::commit(sql::Transaction& tx, PendingLeaves& pending) {
  CW_CHECK(tx.commit());
  for (const auto& hash : pending) log_.append(hash);
  pending.clear();
  return core::ok();
}

Result<void> Store::append_leaf_in_tx(core::AuditKind kind, const core::MessageId& id, const core::Claim& claim,
                                      const core::Hash32& detail, std::uint64_t time, PendingLeaves& pending) {
  const std::uint64_t index = log_.size() + pending.size();
  const auto leaf = core::encode_audit_leaf(kind, id, claim, detail, time);
  const auto hash = core::audit_leaf_hash(leaf);
  CW_TRY(auto q, db_->cached(
                     "INSERT INTO audit_leaves (leaf_index, kind, message_id, claim, detail, time, leaf, leaf_hash) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
  q->bind_u64(1, index).bind_i64(2, static_cast<std::int64_t>(kind)).bind_fixed(3, id).bind_fixed(4, claim);
  q->bind_fixed(5, detail).bind_u64(6, time).bind_blob(7, leaf).bind_fixed(8, hash);
  CW_CHECK(q->run());
  pending.push_back(hash);
  // The leaf that completes a tile writes the tile's hash in the same commit. The committed
  // tail and the pending leaves together reach back to the tile's first leaf.
  constexpr std::uint64_t kTile = core::MerkleLog::kTileLeaves;
  if ((index + 1) % kTile == 0) {
    std::vector<core::Hash32> tile(log_.tail().begin(), log_.tail().end());
    tile.insert(tile.end(), pending.begin(), pending.end());
    const auto tile_hash = core::root_from_leaf_hashes(std::span<const core::Hash32>(tile).last(kTile));
    CW_TRY(auto t, db_->cached("INSERT INTO audit_tiles (tile_index, hash) VALUES (?, ?)"));
    t->bind_u64(1, index / kTile).bind_fixed(2, tile_hash);
    CW_CHECK(t->run());
  }
  return core::ok();
}

Result<bool> Store::insert_observed_in_tx(const NewMessage& m, std::uint64_t time) {
  const auto id = core::message_id(m.message);
  {
    CW_TRY(auto q, db_->cached("SELECT claim FROM messages WHERE id = ?"));
    q->bind_fixed(1, id);
    CW_TRY(const bool exists, q->step());
    if (exists) {
      CW_TRY(const auto stored, q->column_fixed<core::Claim>(0));
      if (stored == m.claim) return false;
      return Error(reason::kClaimConflict, "message " + hex(id.view()) + " is stored with claim " + hex(stored.view()));
    }
  }
  CW_TRY(auto q, db_->cached(
                     "INSERT INTO messages (id, lane, sequence, claim, state, encoded, created_at, updated_at) "
                     "VALUES (?, ?, ?, ?, 'observed', ?, ?, ?)"));
  q->bind_fixed(1, id).bind_fixed(2, lane_key(m.message)).bind_u64(3, m.message.sequence.value);
  q->bind_fixed(4, m.claim).bind_blob(5, core::encode_message(m.message)).bind_u64(6, time).bind_u64(7, time);
  CW_CHECK(q->run());
  return true;
}

Result<MessageKeys> Store::apply_in_tx(const Transition& t, std::uint64_t time, PendingLeaves& pending) {
  const auto id_text = hex(t.id.view());
  core::Claim claim;
  MessageState from{};
  std::optional<MessageState> parked_from;
  MessageKeys after;
  {
    CW_TRY(auto q, db_->cached("SELECT claim, state, parked_from, lane, created_at FROM messages WHERE id = ?"));
    q->bind_fixed(1, t.id);
    CW_TRY(const bool exists, q->step());
    if (!exists) return Error(reason::kNotFound, "message " + id_text);
    CW_TRY(claim, q->column_fixed<core::Claim>(0));
    CW_TRY(from, parse_state(q->column_text(1)));
    if (!q->is_null(2)) {
      CW_TRY(const auto paused, parse_state(q->column_text(2)));
      parked_from = paused;
    }
    CW_TRY(after.lane, q->column_fixed<core::Hash32>(3));
    CW_TRY(after.created_at, q->column_u64(4));
  }
  if (!is_legal_transition(from, t.to, parked_from)) {
    std::string detail = std::string(to_string(from)) + " -> " + std::string(to_string(t.to));
    if (parked_from) detail += " (parked from " + std::string(to_string(*parked_from)) + ")";
    return Error(reason::kIllegalTransition, detail + " for message " + id_text);
  }

  // Resuming a parked message at the stage it was parked at decides nothing new: the stage's own
  // leaf was written when it was first reached and the park has its leaf, so no leaf (and no
  // evidence) here. Moving on from there records the next decision as usual.
  const bool resuming = from == MessageState::kParked && parked_from && t.to == *parked_from;
  const auto kind = resuming ? std::nullopt : audit_kind_for(t.to);
  core::Hash32 detail;
  if (t.to == MessageState::kParked) {
    if (t.reason.empty()) return Error(reason::kMissingReason, "parking message " + id_text);
    detail = core::keccak256(core::as_bytes(t.reason));
  } else if (kind && t.to != MessageState::kOrphaned) {
    if (t.evidence.is_zero()) {
      return Error(reason::kMissingEvidence, std::string(to_string(t.to)) + " of message " + id_text);
    }
    detail = t.evidence;
  }
  if (t.claim && (t.to == MessageState::kObserved || t.to == MessageState::kVerified)) claim = *t.claim;
  core::Claim leaf_claim = claim;
  if (t.to == MessageState::kSkipped) leaf_claim = core::Claim{};  // a skip rests on votes, not an event
  if (t.to == MessageState::kAcknowledged && t.claim) leaf_claim = *t.claim;

  const bool parking = t.to == MessageState::kParked;
  CW_TRY(auto q, db_->cached(
                     "UPDATE messages SET state = ?, claim = ?, parked_from = ?, parked_reason = ?, "
                     "attempts = CASE WHEN ? = 1 THEN attempts ELSE 0 END, next_attempt_at = ?, updated_at = ? "
                     "WHERE id = ?"));
  q->bind_text(1, to_string(t.to)).bind_fixed(2, claim);
  if (parking) q->bind_text(3, to_string(from)).bind_text(4, t.reason); else q->bind_null(3).bind_null(4);
  q->bind_i64(5, parking ? 1 : 0).bind_u64(6, t.next_attempt_at).bind_u64(7, time).bind_fixed(8, t.id);
  CW_CHECK(q->run());
  if (kind) CW_CHECK(append_leaf_in_tx(*kind, t.id, leaf_claim, detail, time, pending));
  after.claim = claim;
  after.state = t.to;
  if (parking) after.parked_from = from;
  return after;
}

Result<void> Store::set_cursor_in_tx(const Cursor& cursor, std::uint64_t time) {
  CW_TRY(auto q, db_->cached(
                     "INSERT INTO cursors (chain, height, hash, updated_at) VALUES (?, ?, ?, ?) "
                     "ON CONFLICT (chain) DO UPDATE SET height = excluded.height, hash = excluded.hash, "
                     "updated_at = excluded.updated_at"));
  q->bind_fixed(1, cursor.chain).bind_u64(2, cursor.height).bind_fixed(3, cursor.hash).bind_u64(4, time);
  return q->run();
}

Result<std::vector<MessageKeys>> Store::batch(const WriteBatch& batch) {
  CW_CHECK(ensure_open());
  const auto time = now();
  CW_TRY(auto tx, begin_write());
  PendingLeaves pending;
  for (const auto& bundle : batch.bundles) CW_CHECK(put_bundle_in_tx(bundle, time));
  for (std::size_t i = 0; i < batch.observed.size(); ++i) {
    auto inserted = insert_observed_in_tx(batch.observed[i], time);
    if (!inserted) return std::move(inserted).error().with_context("observed[" + std::to_string(i) + "]");
  }
  for (std::size_t i = 0; i < batch.executions.size(); ++i) {
    auto put = put_execution_in_tx(batch.executions[i], time);
    if (!put) return std::move(put).error().with_context("executions[" + std::to_string(i) + "]");
  }
  for (std::size_t i = 0; i < batch.votes.size(); ++i) {
    auto put = put_vote_in_tx(batch.votes[i], time);
    if (!put) return std::move(put).error().with_context("votes[" + std::to_string(i) + "]");
  }
  std::vector<MessageKeys> applied;
  applied.reserve(batch.transitions.size());
  for (std::size_t i = 0; i < batch.transitions.size(); ++i) {
    auto keys = apply_in_tx(batch.transitions[i], time, pending);
    if (!keys) return std::move(keys).error().with_context("transitions[" + std::to_string(i) + "]");
    applied.push_back(*keys);
  }
  for (const auto& cursor : batch.cursors) CW_CHECK(set_cursor_in_tx(cursor, time));
  for (std::size_t i = 0; i < batch.attempts.size(); ++i) {
    auto recorded = record_attempt_in_tx(batch.attempts[i], time);
    if (!recorded) return std::move(recorded).error().with_context("attempts[" + std::to_string(i) + "]");
  }
  CW_CHECK(commit(tx, pending));
  return applied;
}

Result<void> Store::apply(const Transition& transition) {
  CW_CHECK(ensure_open());
  const auto time = now();
  CW_TRY(auto tx, begin_write());
  PendingLeaves pending;
  CW_CHECK(apply_in_tx(transition, time, pending));
  return commit(tx, pending);
}

Result<bool> Store::insert_observed(const NewMessage& message) {
  CW_CHECK(ensure_open());
  CW_TRY(auto tx, begin_write());
  CW_TRY(const bool inserted, insert_observed_in_tx(message, now()));
  PendingLeaves none;
  CW_CHECK(commit(tx, none));
  return inserted;
}

// Single-statement writes still open a transaction: the write guard runs in every write.
Result<void> Store::set_cursor(const Cursor& cursor) {
  CW_CHECK(ensure_open());
  CW_TRY(auto tx, begin_write());
  CW_CHECK(set_cursor_in_tx(cursor, now()));
  return tx.commit();
}

Result<void> Store::record_attempt(const core::MessageId& id, std::uint64_t next_attempt_at) {
  CW_CHECK(ensure_open());
  CW_TRY(auto tx, begin_write());
  CW_CHECK(record_attempt_in_tx({id, next_attempt_at}, now()));
  return tx.commit();
}

Result<void> Store::record_attempt_in_tx(const Attempt& attempt, std::uint64_t time) {
  CW_TRY(auto q, db_->cached(
                     "UPDATE messages SET attempts = attempts + 1, next_attempt_at = ?, updated_at = ? WHERE id = ?"));
  q->bind_u64(1, attempt.next_attempt_at).bind_u64(2, time).bind_fixed(3, attempt.id);
  CW_CHECK(q->run());
  if (db_->changes() == 0) return Error(reason::kNotFound, "message " + hex(attempt.id.view()));
  return core::ok();
}

Result<void> Store::put_bundle(const BundleRecord& bundle) {
  CW_CHECK(ensure_open());
  CW_TRY(auto tx, begin_write());
  CW_CHECK(put_bundle_in_tx(bundle, now()));
  return tx.commit();
}

namespace {

// A shared proof goes with the last bundle that carried it.
Result<void> delete_orphan_proof(sql::Connection& db, const core::Hash32& proof) {
  CW_TRY(auto orphan, db.cached("DELETE FROM bundle_proofs WHERE hash = ? AND NOT EXISTS "
                                "(SELECT 1 FROM bundles WHERE proof = ?)"));
  orphan->bind_fixed(1, proof).bind_fixed(2, proof);
  return orphan->run();
}

}  // namespace

std::optional<ProofSpan> shared_proof_span(std::string_view text) {
  constexpr std::string_view kKey = "\"proof\":[";
  const std::size_t key = text.find(kKey);
  if (key == std::string_view::npos) return std::nullopt;
  const std::size_t at = key + kKey.size();
  const std::size_t end = text.find(']', at);
  if (end == std::string_view::npos || end - at < kMinSharedProof) return std::nullopt;
  return ProofSpan{at, end - at};
}

Result<void> Store::put_bundle_in_tx(const BundleRecord& bundle, std::uint64_t time) {
  // The shared part goes to bundle_proofs once (by content hash; the bundles of one transaction come
  // one after another, so the hash of the last one is reused); the row keeps the rest of the text.
  // A record with a shared head (verify::BundleTextWriter's: the source block and the transaction's
  // proof, the same for each of its messages) shares the whole head, cut at offset 0; a whole text
  // shares its proof.
  const bool head_shared = bundle.head && bundle.head->size() >= kMinSharedProof;
  std::string whole;  // a head too short to share, followed by its tail
  if (bundle.head && !head_shared) whole = *bundle.head + bundle.json;
  const std::string_view text = bundle.head && !head_shared ? std::string_view(whole) : std::string_view(bundle.json);
  const std::optional<ProofSpan> span =
      head_shared ? std::optional<ProofSpan>(ProofSpan{0, bundle.head->size()}) : shared_proof_span(text);
  std::string rest;
  if (span) {
    const std::string_view shared =
        head_shared ? std::string_view(*bundle.head) : text.substr(span->at, span->size);
    const bool same_head = head_shared && bundle.head == last_head_;
    if (!same_head && shared != last_proof_) {
      last_proof_.assign(shared);
      last_proof_hash_ = core::sha256(core::as_bytes(shared));
    }
    last_head_ = head_shared ? bundle.head : nullptr;
    CW_TRY(auto put, db_->cached("INSERT INTO bundle_proofs (hash, body) VALUES (?, ?) ON CONFLICT (hash) DO NOTHING"));
    put->bind_fixed(1, last_proof_hash_).bind_text(2, shared);
    CW_CHECK(put->run());
    if (!head_shared) {
      rest.reserve(text.size() - span->size);
      rest.append(text.substr(0, span->at)).append(text.substr(span->at + span->size));
    }
  }
  const std::string_view body = head_shared ? std::string_view(bundle.json) : span ? std::string_view(rest) : text;
  // A verified bundle is never overwritten: what the relay acted on stays servable. An unverified
  // one is replaced (rarely: a rescan or the API brought another text for its claim), and a proof
  // only it carried goes with it. Insert first: the common path is one statement.
  const auto bind_proof = [&](auto& q, int at) {
    if (span) {
      q->bind_fixed(at, last_proof_hash_).bind_u64(at + 1, span->at);
    } else {
      q->bind_null(at).bind_null(at + 1);
    }
  };
  CW_TRY(auto insert, db_->cached("INSERT INTO bundles (claim, message_id, body, verified, created_at, proof, proof_at) "
                                  "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (claim) DO NOTHING"));
  insert->bind_fixed(1, bundle.claim).bind_fixed(2, bundle.id).bind_text(3, body);
  insert->bind_i64(4, bundle.verified ? 1 : 0).bind_u64(5, time);
  bind_proof(insert, 6);
  CW_CHECK(insert->run());
  if (db_->changes() > 0) return {};
  std::optional<core::Hash32> old_proof;
  {
    CW_TRY(auto old, db_->cached("SELECT proof FROM bundles WHERE claim = ? AND verified = 0"));
    old->bind_fixed(1, bundle.claim);
    CW_TRY(const bool unverified, old->step());
    // Kept as it is; the proof put above may be one no bundle refers to.
    if (!unverified) return span ? delete_orphan_proof(*db_, last_proof_hash_) : Result<void>{};
    if (!old->is_null(0)) {
      CW_TRY(old_proof, old->column_fixed<core::Hash32>(0));
    }
  }
  CW_TRY(auto update, db_->cached("UPDATE bundles SET message_id = ?, body = ?, verified = ?, proof = ?, proof_at = ? "
                                  "WHERE claim = ?"));
  update->bind_fixed(1, bundle.id).bind_text(2, body).bind_i64(3, bundle.verified ? 1 : 0);
  bind_proof(update, 4);
  update->bind_fixed(6, bundle.claim);
  CW_CHECK(update->run());
  if (!old_proof || (span && *old_proof == last_proof_hash_)) return {};
  return delete_orphan_proof(*db_, *old_proof);
}

Result<bool> Store::put_execution(const ExecutionRecord& execution) {
  CW_CHECK(ensure_open());
  CW_TRY(auto tx, begin_write());
  CW_TRY(const bool inserted, put_execution_in_tx(execution, now()));
  PendingLeaves none;
  CW_CHECK(commit(tx, none));
  return inserted;
}

Result<bool> Store::put_execution_in_tx(const ExecutionRecord& execution, std::uint64_t time) {
  const auto status = static_cast<int>(execution.status);
  if (status < 1 || status > 4) return Error(reason::kOutOfRange, "execution status " + std::to_string(status));
  // The first verified execution stands: a gateway executes a message once, so a second record
  // can only be the same event seen again (or, after a destination reorg, a re-inclusion that
  // the acknowledgement does not need).
  CW_TRY(auto q, db_->cached(
                     "INSERT INTO executions (message_id, claim, status, tx_hash, block_number, recorded_at) "
                     "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (message_id) DO NOTHING"));
  q->bind_fixed(1, execution.id).bind_fixed(2, execution.claim).bind_i64(3, status);
  q->bind_fixed(4, execution.tx_hash).bind_u64(5, execution.block_number).bind_u64(6, time);
  CW_CHECK(q->run());
  return db_->changes() > 0;
}

Result<bool> Store::put_vote(const VoteRecord& vote) {
  CW_CHECK(ensure_open());
  CW_TRY(auto tx, begin_write());
  CW_TRY(const bool inserted, put_vote_in_tx(vote, now()));
  PendingLeaves none;
  CW_CHECK(commit(tx, none));
  return inserted;
}

Result<bool> Store::put_vote_in_tx(const VoteRecord& vote, std::uint64_t time) {
  {
    // Said by name rather than left to the foreign key, whose failure names no message.
    CW_TRY(auto q, db_->cached("SELECT 1 FROM messages WHERE id = ?"));
    q->bind_fixed(1, vote.id);
    CW_TRY(const bool exists, q->step());
    if (!exists) return Error(reason::kNotFound, "vote on message " + hex(vote.id.view()));
  }
  // The first vote of a key stands: a signer's second signature over one digest (another nonce,
  // or the same vote re-signed) adds nothing the gateway would count.
  CW_TRY(auto q, db_->cached(
                     "INSERT INTO votes (message_id, kind, claim, epoch, signer, status, signature, origin, "
                     "received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                     "ON CONFLICT (message_id, kind, claim, epoch, signer) DO NOTHING"));
  q->bind_fixed(1, vote.id).bind_text(2, to_string(vote.kind)).bind_fixed(3, vote.claim).bind_u64(4, vote.epoch);
  q->bind_fixed(5, vote.signer).bind_i64(6, vote.status);
  q->bind_blob(7, core::ByteView(vote.signature.data(), vote.signature.size()));
  q->bind_text(8, to_string(vote.origin)).bind_u64(9, time);
  CW_CHECK(q->run());
  return db_->changes() > 0;
}

Result<std::vector<VoteRecord>> Store::votes(const core::MessageId& id) {
  CW_CHECK(ensure_open());
  CW_TRY(auto q, db_->cached(
                     "SELECT kind, claim, epoch, signer, status, signature, origin, received_at FROM votes "
                     "WHERE message_id = ? ORDER BY received_at, rowid"));
  q->bind_fixed(1, id);
  std::vector<VoteRecord> out;
  for (;;) {
    CW_TRY(const bool row, q->step());
    if (!row) break;
    VoteRecord v;
    v.id = id;
    const auto kind = vote_kind_from_string(q->column_text(0));
    if (!kind) return Error(reason::kCorrupt, "vote kind '" + q->column_text(0) + "'");
    v.kind = *kind;
    CW_TRY(v.claim, q->column_fixed<core::Claim>(1));
    CW_TRY(v.epoch, q->column_u64(2));
    CW_TRY(v.signer, q->column_fixed<core::Address>(3));
    const auto status = q->column_i64(4);
    if (status < 0 || status > 4) return Error(reason::kCorrupt, "vote status " + std::to_string(status));
    v.status = static_cast<std::uint8_t>(status);
    const auto signature = q->column_blob(5);
    if (signature.size() != v.signature.size()) return Error(reason::kCorrupt, "vote signature length");
    std::copy(signature.begin(), signature.end(), v.signature.begin());
    v.origin = q->column_text(6) == to_string(VoteOrigin::kPeer) ? VoteOrigin::kPeer : VoteOrigin::kOwn;
    CW_TRY(v.time, q->column_u64(7));
    out.push_back(v);
  }
  return out;
}

Result<std::optional<ExecutionRecord>> Store::execution(const core::MessageId& id) {
  CW_CHECK(ensure_open());
  CW_TRY(auto q, db_->cached("SELECT claim, status, tx_hash, block_number FROM executions WHERE message_id = ?"));
  q->bind_fixed(1, id);
  CW_TRY(const bool row, q->step());
  if (!row) return std::optional<ExecutionRecord>{};
  ExecutionRecord e;
  e.id = id;
  CW_TRY(e.claim, q->column_fixed<core::Claim>(0));
  const auto status = q->column_i64(1);
  if (status < 1 || status > 4) return Error(reason::kCorrupt, "execution status " + std::to_string(status));
  e.status = static_cast<core::ExecStatus>(status);
  CW_TRY(e.tx_hash, q->column_fixed<core::Hash32>(2));
  CW_TRY(e.block_number, q->column_u64(3));
  return std::optional<ExecutionRecord>(e);
}

Result<bool> Store::record_rejected(const Rejection& rejection) {
  CW_CHECK(ensure_open());
  if (rejection.reason.empty()) return Error(reason::kMissingReason, "rejecting claim " + hex(rejection.claim.view()));
  const auto time = now();
  CW_TRY(auto tx, begin_write());
  {
    CW_TRY(auto q, db_->cached("SELECT 1 FROM rejected WHERE claim = ?"));
    q->bind_fixed(1, rejection.claim);
    CW_TRY(const bool exists, q->step());
    if (exists) return false;
  }
  {
    CW_TRY(auto q, db_->cached("INSERT INTO rejected (claim, message_id, reason, rejected_at) VALUES (?, ?, ?, ?)"));
    q->bind_fixed(1, rejection.claim).bind_fixed(2, rejection.claimed_id).bind_text(3, rejection.reason);
    q->bind_u64(4, time);
    CW_CHECK(q->run());
  }
  PendingLeaves pending;
  CW_CHECK(append_leaf_in_tx(core::AuditKind::kRejected, rejection.claimed_id, rejection.claim,
                             core::keccak256(core::as_bytes(rejection.reason)), time, pending));
  CW_CHECK(commit(tx, pending));
  return true;
}

Result<void> Store::put_verified_header(const VerifiedHeader& header) {
  CW_CHECK(ensure_open());
  CW_TRY(auto tx, begin_write());
  CW_TRY(auto stored, verified_header(header.chain, header.height));
  if (stored) {
    if (stored->hash == header.hash) return core::ok();
    return Error(reason::kHeaderConflict, "chain " + hex(header.chain.view()) + " height " +
                                              std::to_string(header.height) + ": stored " + hex(stored->hash.view()) +
                                              ", offered " + hex(header.hash.view()));
  }
  {
    CW_TRY(auto q, db_->cached(
                       "INSERT INTO verified_headers (chain, height, hash, parent_hash, header, verified_at) "
                       "VALUES (?, ?, ?, ?, ?, ?)"));
    q->bind_fixed(1, header.chain).bind_u64(2, header.height).bind_fixed(3, header.hash);
    q->bind_fixed(4, header.parent_hash).bind_blob(5, header.header).bind_u64(6, now());
    CW_CHECK(q->run());
  }
  return tx.commit();
}

Result<void> Store::put_validator_set(const ValidatorSetRecord& set) {
  CW_CHECK(ensure_open());
  core::Bytes packed;
  for (const auto& address : set.validators) core::append(packed, address.view());
  CW_TRY(auto tx, begin_write());
  CW_TRY(auto stored, validator_set_at(set.chain, set.from_height));
  if (stored && stored->from_height == set.from_height) {
    if (stored->validators == set.validators) return core::ok();
    return Error(reason::kConstraint, "chain " + hex(set.chain.view()) + " already has another validator set from "
                                                                          "height " + std::to_string(set.from_height));
  }
  {
    CW_TRY(auto q, db_->cached(
                       "INSERT INTO validator_sets (chain, from_height, validators, recorded_at) VALUES (?, ?, ?, ?)"));
    q->bind_fixed(1, set.chain).bind_u64(2, set.from_height).bind_blob(3, packed).bind_u64(4, now());
    CW_CHECK(q->run());
  }
  return tx.commit();
}

Result<void> Store::add_checkpoint(const Checkpoint& checkpoint) {
  CW_CHECK(ensure_open());
  if (checkpoint.tree_size == 0) return Error(reason::kCheckpointMismatch, "a checkpoint of the empty log");
  auto root = log_.root_at(checkpoint.tree_size);
  if (!root) return Error(reason::kCheckpointMismatch, root.error().message());
  if (*root != checkpoint.root) {
    return Error(reason::kCheckpointMismatch, "size " + std::to_string(checkpoint.tree_size) + ": log root " +
                                                  hex(root->view()) + ", checkpoint " + hex(checkpoint.root.view()));
  }
  CW_TRY(auto tx, begin_write());
  {
    CW_TRY(auto q, db_->cached("SELECT root FROM checkpoints WHERE tree_size = ?"));
    q->bind_u64(1, checkpoint.tree_size);
    CW_TRY(const bool exists, q->step());
    if (exists) return core::ok();  // same size, hence (checked above) the same root
  }
  {
    CW_TRY(auto q, db_->cached("INSERT INTO checkpoints (tree_size, root, note, created_at) VALUES (?, ?, ?, ?)"));
    q->bind_u64(1, checkpoint.tree_size).bind_fixed(2, checkpoint.root).bind_text(3, checkpoint.note);
    q->bind_u64(4, now());
    CW_CHECK(q->run());
  }
  return tx.commit();
}

// ---- Store: reads ---------------------------------------------------------------------------

namespace {

constexpr std::string_view kMessageColumns =
    "id, lane, claim, state, parked_from, attempts, next_attempt_at, parked_reason, encoded, created_at, updated_at";

// "?, ?, ?" for a list bound value by value: the statement text varies only in its length.
std::string placeholders(std::size_t n) {
  std::string list;
  for (std::size_t i = 0; i < n; ++i) list += i == 0 ? "?" : ", ?";
  return list;
}

// A message's attempts column, which the store writes as a count that fits 32 bits.
Result<std::uint32_t> read_attempts(const sql::Statement& row, int column) {
  const auto attempts = row.column_i64(column);
  if (attempts < 0 || attempts > std::numeric_limits<std::uint32_t>::max()) {
    return Error(reason::kOutOfRange, "attempts " + std::to_string(attempts));
  }
  return static_cast<std::uint32_t>(attempts);
}

Result<StoredMessage> read_message(const sql::Statement& row) {
  StoredMessage m;
  CW_TRY(m.id, row.column_fixed<core::MessageId>(0));
  CW_TRY(m.lane, row.column_fixed<core::Hash32>(1));
  CW_TRY(m.claim, row.column_fixed<core::Claim>(2));
  CW_TRY(m.state, parse_state(row.column_text(3)));
  if (!row.is_null(4)) {
    CW_TRY(const auto paused, parse_state(row.column_text(4)));
    m.parked_from = paused;
  }
  CW_TRY(m.attempts, read_attempts(row, 5));
  CW_TRY(m.next_attempt_at, row.column_u64(6));
  m.parked_reason = row.column_text(7);
  const auto encoded = row.column_blob(8);
  auto decoded = core::decode_message(encoded, core::MessageLimits{encoded.size()});
  if (!decoded) return Error(reason::kCorrupt, "stored message: " + decoded.error().message());
  m.message = std::move(decoded).value();
  if (core::message_id(m.message) != m.id) return Error(reason::kCorrupt, "stored message does not hash to its id");
  CW_TRY(m.created_at, row.column_u64(9));
  CW_TRY(m.updated_at, row.column_u64(10));
  return m;
}

}  // namespace

Result<std::optional<StoredMessage>> Store::message(const core::MessageId& id) {
  CW_CHECK(ensure_open());
  CW_TRY(auto q, db_->cached("SELECT " + std::string(kMessageColumns) + " FROM messages WHERE id = ?"));
  q->bind_fixed(1, id);
  CW_TRY(const bool row, q->step());
  if (!row) return std::optional<StoredMessage>{};
  CW_TRY(auto m, read_message(*q));
  return std::optional<StoredMessage>(std::move(m));
}

Result<std::optional<MessageKeys>> Store::message_keys(const core::MessageId& id) {
  CW_CHECK(ensure_open());
  CW_TRY(auto q, db_->cached("SELECT claim, lane, state, parked_from, created_at FROM messages WHERE id = ?"));
  q->bind_fixed(1, id);
  CW_TRY(const bool row, q->step());
  if (!row) return std::optional<MessageKeys>{};
  MessageKeys keys;
  CW_TRY(keys.claim, q->column_fixed<core::Claim>(0));
  CW_TRY(keys.lane, q->column_fixed<core::Hash32>(1));
  CW_TRY(keys.state, parse_state(q->column_text(2)));
  if (!q->is_null(3)) {
    CW_TRY(const auto paused, parse_state(q->column_text(3)));
    keys.parked_from = paused;
  }
  CW_TRY(keys.created_at, q->column_u64(4));
  return std::optional<MessageKeys>(keys);
}

Result<std::vector<StoredMessage>> Store::due_messages(MessageState state, std::uint64_t now_unix, std::size_t limit) {
  CW_CHECK(ensure_open());
  CW_TRY(auto q, db_->cached("SELECT " + std::string(kMessageColumns) +
                            " FROM messages WHERE state = ? AND next_attempt_at <= ? "
                            "ORDER BY next_attempt_at, created_at, rowid LIMIT ?"));
  q->bind_text(1, to_string(state)).bind_u64(2, now_unix).bind_u64(3, limit);
  std::vector<StoredMessage> out;
  for (;;) {
    CW_TRY(const bool row, q->step());
    if (!row) break;
    CW_TRY(auto m, read_message(*q));
    out.push_back(std::move(m));
  }
  return out;
}

Result<std::vector<DueMessage>> Store::due_in_lanes(std::span<const core::Hash32> lanes,
                                                    std::span<const MessageState> states, std::uint64_t now_unix,
                                                    std::size_t limit) {
  CW_CHECK(ensure_open());
  std::vector<DueMessage> out;
  // One query per lane and state: each reads messages_lane_due in sequence order and stops at
  // `limit`, where one query over all of them sorted every due message first. SQLite is told the
  // index (without statistics it prefers messages_due and a sort); PostgreSQL's planner has them.
  const std::string table = dialect_ == sql::Dialect::kSqlite ? "messages INDEXED BY messages_lane_due" : "messages";
  CW_TRY(auto q, db_->cached("SELECT id, sequence, attempts FROM " + table +
                            " WHERE lane = ? AND state = ? AND next_attempt_at <= ? ORDER BY sequence LIMIT ?"));
  for (const auto& lane : lanes) {
    for (const auto state : states) {
      q->bind_fixed(1, lane).bind_text(2, to_string(state)).bind_u64(3, now_unix).bind_u64(4, limit);
      for (;;) {
        CW_TRY(const bool row, q->step());
        if (!row) break;
        DueMessage m;
        m.lane = lane;
        m.state = state;
        CW_TRY(m.id, q->column_fixed<core::MessageId>(0));
        CW_TRY(m.sequence, q->column_u64(1));
        CW_TRY(m.attempts, read_attempts(*q, 2));
        out.push_back(m);
      }
      q->reset();
    }
  }
  // Ordered by lane and sequence, so ordered lanes are served in order.
  std::sort(out.begin(), out.end(),
            [](const DueMessage& a, const DueMessage& b) { return std::tie(a.lane, a.sequence) < std::tie(b.lane, b.sequence); });
  if (out.size() > limit) out.resize(limit);
  return out;
}

Result<std::vector<StoredMessage>> Store::messages(std::span<const core::MessageId> ids) {
  CW_CHECK(ensure_open());
  std::vector<StoredMessage> out;
  if (ids.empty()) return out;
  std::map<core::MessageId, StoredMessage> found;
  // At most kListChunk ids per statement: SQLite's and PostgreSQL's bound-parameter limits are far
  // above, and few statement texts stay cached.
  static constexpr std::size_t kListChunk = 100;
  for (std::size_t at = 0; at < ids.size(); at += kListChunk) {
    const std::size_t n = std::min(kListChunk, ids.size() - at);
    CW_TRY(auto q, db_->cached("SELECT " + std::string(kMessageColumns) + " FROM messages WHERE id IN (" +
                              placeholders(n) + ")"));
    for (std::size_t i = 0; i < n; ++i) q->bind_fixed(static_cast<int>(i + 1), ids[at + i]);
    for (;;) {
      CW_TRY(const bool row, q->step());
      if (!row) break;
      CW_TRY(auto m, read_message(*q));
      found.emplace(m.id, std::move(m));
    }
  }
  out.reserve(found.size());
  for (const auto& id : ids) {
    if (auto it = found.find(id); it != found.end()) out.push_back(std::move(it->second));
  }
  return out;
}

Result<std::vector<std::pair<MessageState, std::uint64_t>>> Store::state_counts() {
  CW_CHECK(ensure_open());
  CW_TRY(auto q, db_->cached("SELECT state, count(*) FROM messages GROUP BY state"));
  std::vector<std::pair<MessageState, std::uint64_t>> out;
  for (;;) {
    CW_TRY(const bool row, q->step());
    if (!row) break;
    CW_TRY(const auto state, parse_state(q->column_text(0)));
    CW_TRY(const auto count, q->column_u64(1));
    out.emplace_back(state, count);
  }
  return out;
}

Result<std::vector<LaneStateCount>> Store::lane_state_counts() {
  CW_CHECK(ensure_open());
  CW_TRY(auto q, db_->cached("SELECT lane, state, count(*) FROM messages GROUP BY lane, state"));
  std::vector<LaneStateCount> out;
  for (;;) {
    CW_TRY(const bool row, q->step());
    if (!row) break;
    LaneStateCount entry;
    CW_TRY(entry.lane, q->column_fixed<core::Hash32>(0));
    CW_TRY(entry.state, parse_state(q->column_text(1)));
    CW_TRY(entry.count, q->column_u64(2));
    out.push_back(entry);
  }
  return out;
}

Result<std::vector<LaneBacklog>> Store::lane_backlogs() {
  CW_CHECK(ensure_open());
  CW_TRY(auto q, db_->cached(
                     "SELECT lane, count(*), min(created_at) FROM messages "
                     "WHERE state IN ('observed', 'verified', 'voted') GROUP BY lane"));
  std::vector<LaneBacklog> out;
  for (;;) {
    CW_TRY(const bool row, q->step());
    if (!row) break;
    LaneBacklog entry;
    CW_TRY(entry.lane, q->column_fixed<core::Hash32>(0));
    CW_TRY(entry.pending, q->column_u64(1));
    CW_TRY(entry.oldest_created_at, q->column_u64(2));
    out.push_back(entry);
  }
  return out;
}

Result<MessagePage> Store::list_messages(const MessageFilter& filter, const std::optional<MessagePosition>& after,
                                         std::size_t limit) {
  CW_CHECK(ensure_open());
  MessagePage page;
  if (limit == 0) return page;
  std::string sql = "SELECT " + std::string(kMessageColumns) + ", rowid FROM messages WHERE 1 = 1";
  if (!filter.lanes.empty()) sql += " AND lane IN (" + placeholders(filter.lanes.size()) + ")";
  if (filter.state) sql += " AND state = ?";
  if (after) sql += " AND (created_at, rowid) < (?, ?)";
  // One row beyond the page tells whether another page follows.
  sql += " ORDER BY created_at DESC, rowid DESC LIMIT ?";
  CW_TRY(auto q, db_->cached(sql));
  int index = 1;
  for (const auto& lane : filter.lanes) q->bind_fixed(index++, lane);
  if (filter.state) q->bind_text(index++, to_string(*filter.state));
  if (after) {
    q->bind_u64(index++, after->created_at);
    q->bind_i64(index++, after->row);
  }
  q->bind_u64(index, static_cast<std::uint64_t>(limit) + 1);
  std::int64_t last_row = 0;
  for (;;) {
    CW_TRY(const bool row, q->step());
    if (!row) break;
    if (page.messages.size() == limit) {
      page.next = MessagePosition{page.messages.back().created_at, last_row};
      break;
    }
    CW_TRY(auto m, read_message(*q));
    last_row = q->column_i64(11);
    page.messages.push_back(std::move(m));
  }
  return page;
}

Result<std::vector<std::uint64_t>> Store::lane_sequences(const core::Hash32& lane, std::uint64_t from,
                                                         std::uint64_t to) {
  CW_CHECK(ensure_open());
  CW_TRY(auto q, db_->cached("SELECT sequence FROM messages WHERE lane = ? AND sequence BETWEEN ? AND ? "
                            "ORDER BY sequence"));
  q->bind_fixed(1, lane).bind_u64(2, from).bind_u64(3, to);
  std::vector<std::uint64_t> out;
  for (;;) {
    CW_TRY(const bool row, q->step());
    if (!row) break;
    CW_TRY(const auto sequence, q->column_u64(0));
    out.push_back(sequence);
  }
  return out;
}

Result<std::optional<Cursor>> Store::cursor(const core::ChainIdentity& chain) {
  CW_CHECK(ensure_open());
  CW_TRY(auto q, db_->cached("SELECT height, hash FROM cursors WHERE chain = ?"));
  q->bind_fixed(1, chain);
  CW_TRY(const bool row, q->step());
  if (!row) return std::optional<Cursor>{};
  Cursor c{chain, 0, {}};
  CW_TRY(c.height, q->column_u64(0));
  CW_TRY(c.hash, q->column_fixed<core::Hash32>(1));
  return std::optional<Cursor>(c);
}

Result<std::optional<BundleRecord>> Store::bundle(const core::Claim& claim) {
  CW_CHECK(ensure_open());
  CW_TRY(auto q, db_->cached("SELECT b.message_id, b.body, b.verified, b.proof_at, p.body FROM bundles b "
                             "LEFT JOIN bundle_proofs p ON p.hash = b.proof WHERE b.claim = ?"));
  q->bind_fixed(1, claim);
  CW_TRY(const bool row, q->step());
  if (!row) return std::optional<BundleRecord>{};
  BundleRecord b;
  b.claim = claim;
  CW_TRY(b.id, q->column_fixed<core::MessageId>(0));
  b.json = q->column_text(1);
  b.verified = q->column_i64(2) != 0;
  if (!q->is_null(3)) {
    // The text as it was put: the shared proof back at its offset (put_bundle_in_tx).
    CW_TRY(const std::uint64_t at, q->column_u64(3));
    if (q->is_null(4) || at > b.json.size()) {
      return Error(reason::kCorrupt, "bundle " + hex(claim.view()) + ": its shared proof is missing or misplaced");
    }
    b.json.insert(static_cast<std::size_t>(at), q->column_text(4));
  }
  return std::optional<BundleRecord>(std::move(b));
}

Result<std::size_t> Store::prune_bundles(std::uint64_t before, std::size_t limit) {
  CW_CHECK(ensure_open());
  CW_TRY(auto tx, begin_write());
  // CROSS JOIN keeps bundles the outer loop in SQLite: messages are found by their primary key,
  // while a bundle has no index by message id. Oldest bundles come first in rowid order, so a
  // batch stops early once the prunable ones are gone. PostgreSQL has no CROSS JOIN ... ON and
  // plans the join itself; its rowid is the identity column of the same name.
  CW_TRY(auto q, db_->cached(
                     dialect_ == sql::Dialect::kSqlite
                         ? "DELETE FROM bundles WHERE rowid IN (SELECT b.rowid FROM bundles b CROSS JOIN messages m "
                           "ON m.id = b.message_id WHERE m.state = 'acknowledged' AND m.updated_at < ? LIMIT ?) "
                           "RETURNING proof"
                         : "DELETE FROM bundles WHERE rowid IN (SELECT b.rowid FROM bundles b JOIN messages m "
                           "ON m.id = b.message_id WHERE m.state = 'acknowledged' AND m.updated_at < ? "
                           "ORDER BY b.rowid LIMIT ?) RETURNING proof"));
  q->bind_u64(1, before).bind_u64(2, limit);
  std::size_t pruned = 0;
  std::set<core::Hash32> proofs;
  for (;;) {
    CW_TRY(const bool row, q->step());
    if (!row) break;
    ++pruned;
    if (!q->is_null(0)) {
      CW_TRY(auto proof, q->column_fixed<core::Hash32>(0));
      proofs.insert(proof);
    }
  }
  for (const auto& proof : proofs) CW_CHECK(delete_orphan_proof(*db_, proof));
  CW_CHECK(tx.commit());
  return pruned;
}

Result<bool> Store::bundle_pruned(const core::Claim& claim) {
  CW_CHECK(ensure_open());
  CW_TRY(auto q, db_->cached(
                     "SELECT NOT EXISTS (SELECT 1 FROM bundles WHERE claim = ?) AND "
                     "EXISTS (SELECT 1 FROM audit_leaves WHERE claim = ?)"));
  q->bind_fixed(1, claim).bind_fixed(2, claim);
  CW_TRY(const bool row, q->step());
  return row && q->column_i64(0) == 1;
}

Result<std::optional<Rejection>> Store::rejection(const core::Claim& claim) {
  CW_CHECK(ensure_open());
  CW_TRY(auto q, db_->cached("SELECT message_id, reason, rejected_at FROM rejected WHERE claim = ?"));
  q->bind_fixed(1, claim);
  CW_TRY(const bool row, q->step());
  if (!row) return std::optional<Rejection>{};
  Rejection r;
  r.claim = claim;
  CW_TRY(r.claimed_id, q->column_fixed<core::MessageId>(0));
  r.reason = q->column_text(1);
  CW_TRY(r.time, q->column_u64(2));
  return std::optional<Rejection>(std::move(r));
}

Result<std::optional<VerifiedHeader>> Store::verified_header(const core::ChainIdentity& chain, std::uint64_t height) {
  CW_CHECK(ensure_open());
  CW_TRY(auto q, db_->cached("SELECT hash, parent_hash, header FROM verified_headers WHERE chain = ? AND height = ?"));
  q->bind_fixed(1, chain).bind_u64(2, height);
  CW_TRY(const bool row, q->step());
  if (!row) return std::optional<VerifiedHeader>{};
  VerifiedHeader h;
  h.chain = chain;
  h.height = height;
  CW_TRY(h.hash, q->column_fixed<core::Hash32>(0));
  CW_TRY(h.parent_hash, q->column_fixed<core::Hash32>(1));
  h.header = q->column_blob(2);
  return std::optional<VerifiedHeader>(std::move(h));
}

Result<std::optional<VerifiedHeader>> Store::latest_verified_header(const core::ChainIdentity& chain) {
  CW_CHECK(ensure_open());
  CW_TRY(auto q, db_->cached("SELECT height, hash, parent_hash, header FROM verified_headers WHERE chain = ? "
                             "ORDER BY height DESC LIMIT 1"));
  q->bind_fixed(1, chain);
  CW_TRY(const bool row, q->step());
  if (!row) return std::optional<VerifiedHeader>{};
  VerifiedHeader h;
  h.chain = chain;
  CW_TRY(h.height, q->column_u64(0));
  CW_TRY(h.hash, q->column_fixed<core::Hash32>(1));
  CW_TRY(h.parent_hash, q->column_fixed<core::Hash32>(2));
  h.header = q->column_blob(3);
  return std::optional<VerifiedHeader>(std::move(h));
}

Result<std::optional<ValidatorSetRecord>> Store::validator_set_at(const core::ChainIdentity& chain,
                                                                  std::uint64_t height) {
  CW_CHECK(ensure_open());
  CW_TRY(auto q, db_->cached(
                     "SELECT from_height, validators FROM validator_sets WHERE chain = ? AND from_height <= ? "
                     "ORDER BY from_height DESC LIMIT 1"));
  q->bind_fixed(1, chain).bind_u64(2, height);
  CW_TRY(const bool row, q->step());
  if (!row) return std::optional<ValidatorSetRecord>{};
  ValidatorSetRecord set;
  set.chain = chain;
  CW_TRY(set.from_height, q->column_u64(0));
  const auto packed = q->column_blob(1);
  for (std::size_t at = 0; at + core::Address::kSize <= packed.size(); at += core::Address::kSize) {
    CW_TRY(auto address, core::Address::from(core::ByteView(packed).subspan(at, core::Address::kSize)));
    set.validators.push_back(address);
  }
  return std::optional<ValidatorSetRecord>(std::move(set));
}

Result<std::optional<AuditEntry>> Store::audit_entry(std::uint64_t index) {
  CW_CHECK(ensure_open());
  CW_TRY(auto q, db_->cached(
                     "SELECT kind, message_id, claim, detail, time, leaf, leaf_hash FROM audit_leaves "
                     "WHERE leaf_index = ?"));
  q->bind_u64(1, index);
  CW_TRY(const bool row, q->step());
  if (!row) return std::optional<AuditEntry>{};
  AuditEntry e;
  e.index = index;
  e.kind = static_cast<core::AuditKind>(q->column_i64(0));
  CW_TRY(e.id, q->column_fixed<core::MessageId>(1));
  CW_TRY(e.claim, q->column_fixed<core::Claim>(2));
  CW_TRY(e.detail, q->column_fixed<core::Hash32>(3));
  CW_TRY(e.time, q->column_u64(4));
  e.leaf = q->column_blob(5);
  CW_TRY(e.leaf_hash, q->column_fixed<core::Hash32>(6));
  return std::optional<AuditEntry>(std::move(e));
}

Result<std::vector<AuditEntry>> Store::audit_entries_by_claim(const core::Claim& claim) {
  CW_CHECK(ensure_open());
  CW_TRY(auto q, db_->cached(
                     "SELECT leaf_index, kind, message_id, detail, time, leaf, leaf_hash FROM audit_leaves "
                     "WHERE claim = ? ORDER BY leaf_index"));
  q->bind_fixed(1, claim);
  std::vector<AuditEntry> out;
  for (;;) {
    CW_TRY(const bool row, q->step());
    if (!row) break;
    AuditEntry e;
    CW_TRY(e.index, q->column_u64(0));
    e.kind = static_cast<core::AuditKind>(q->column_i64(1));
    CW_TRY(e.id, q->column_fixed<core::MessageId>(2));
    e.claim = claim;
    CW_TRY(e.detail, q->column_fixed<core::Hash32>(3));
    CW_TRY(e.time, q->column_u64(4));
    e.leaf = q->column_blob(5);
    CW_TRY(e.leaf_hash, q->column_fixed<core::Hash32>(6));
    out.push_back(std::move(e));
  }
  return out;
}

Result<std::vector<Checkpoint>> Store::checkpoints() {
  CW_CHECK(ensure_open());
  CW_TRY(auto q, db_->cached("SELECT tree_size, root, note FROM checkpoints ORDER BY tree_size"));
  std::vector<Checkpoint> out;
  for (;;) {
    CW_TRY(const bool row, q->step());
    if (!row) break;
    Checkpoint c;
    CW_TRY(c.tree_size, q->column_u64(0));
    CW_TRY(c.root, q->column_fixed<core::Hash32>(1));
    c.note = q->column_text(2);
    out.push_back(std::move(c));
  }
  return out;
}

Result<void> Store::add_cosignature(std::uint64_t tree_size, std::string_view witness, std::string_view line) {
  CW_CHECK(ensure_open());
  CW_TRY(auto tx, begin_write());
  {
    CW_TRY(auto q, db_->cached(
                       "INSERT INTO checkpoint_cosignatures (tree_size, witness, line, created_at) VALUES (?, ?, ?, ?) "
                       "ON CONFLICT (tree_size, witness) DO UPDATE SET line = excluded.line, "
                       "created_at = excluded.created_at"));
    q->bind_u64(1, tree_size).bind_text(2, witness).bind_text(3, line);
    q->bind_u64(4, now());
    CW_CHECK(q->run());
  }
  return tx.commit();
}

Result<std::vector<std::string>> Store::cosignatures(std::uint64_t tree_size) {
  CW_CHECK(ensure_open());
  CW_TRY(auto q, db_->cached("SELECT line FROM checkpoint_cosignatures WHERE tree_size = ? ORDER BY witness"));
  q->bind_u64(1, tree_size);
  std::vector<std::string> out;
  for (;;) {
    CW_TRY(const bool row, q->step());
    if (!row) break;
    out.push_back(q->column_text(0));
  }
  return out;
}

Result<void> Store::set_log_vkey(std::string_view vkey) {
  CW_CHECK(ensure_open());
  CW_TRY(auto tx, begin_write());
  {
    CW_TRY(auto q, db_->cached(
                       "INSERT INTO store_meta (key, value) VALUES ('log_vkey', ?) "
                       "ON CONFLICT (key) DO UPDATE SET value = excluded.value"));
    q->bind_text(1, vkey);
    CW_CHECK(q->run());
  }
  return tx.commit();
}

Result<std::optional<std::string>> Store::log_vkey() {
  CW_CHECK(ensure_open());
  CW_TRY(auto q, db_->cached("SELECT value FROM store_meta WHERE key = 'log_vkey'"));
  CW_TRY(const bool row, q->step());
  if (!row) return std::optional<std::string>{};
  return std::optional<std::string>(q->column_text(0));
}

Result<std::optional<Checkpoint>> Store::latest_checkpoint() {
  CW_CHECK(ensure_open());
  CW_TRY(auto q, db_->cached("SELECT tree_size, root, note FROM checkpoints ORDER BY tree_size DESC LIMIT 1"));
  CW_TRY(const bool row, q->step());
  if (!row) return std::optional<Checkpoint>{};
  Checkpoint c;
  CW_TRY(c.tree_size, q->column_u64(0));
  CW_TRY(c.root, q->column_fixed<core::Hash32>(1));
  c.note = q->column_text(2);
  return std::optional<Checkpoint>(std::move(c));
}

}  // namespace causeway::store
