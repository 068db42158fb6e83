// The relay's store (DESIGN.md sections 4 and 6), embedded SQLite or PostgreSQL: cursors, messages
// and their state machine, bundles and rejections by claim, the submission journal, verified
// headers, validator-set history and the RFC 6962 audit log whose leaves commit together with the
// transitions they record.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "relay/core/bytes.hpp"
#include "relay/core/journal.hpp"
#include "relay/core/merkle_log.hpp"
#include "relay/core/message.hpp"
#include "relay/core/protocol.hpp"
#include "relay/core/result.hpp"
#include "relay/store/lock_file.hpp"
#include "relay/store/postgres.hpp"
#include "relay/store/sql.hpp"

namespace causeway::store {

namespace reason {
// Not a Causeway store: not SQLite at all, or SQLite with another application_id.
inline constexpr core::Reason kForeign{"store.foreign"};
// Written by a newer Causeway (user_version above the newest migration this build knows).
inline constexpr core::Reason kTooNew{"store.too_new"};
// A migration failed; it was rolled back and the store stays at the previous version.
inline constexpr core::Reason kMigrationFailed{"store.migration_failed"};
inline constexpr core::Reason kNotFound{"store.not_found"};
// The message state machine (DESIGN.md section 4) does not allow this transition.
inline constexpr core::Reason kIllegalTransition{"store.illegal_transition"};
// The message id is already stored with another claim.
inline constexpr core::Reason kClaimConflict{"store.claim_conflict"};
// A transition whose audit leaf needs evidence (a bundle or transaction hash) came without it.
inline constexpr core::Reason kMissingEvidence{"store.missing_evidence"};
// Parking (or rejecting) needs a reason code.
inline constexpr core::Reason kMissingReason{"store.missing_reason"};
// Two different verified headers for one chain and height: a finality violation, never stored.
inline constexpr core::Reason kHeaderConflict{"store.header_conflict"};
// A checkpoint whose root is not the log's root at that size (or a second root for one size).
inline constexpr core::Reason kCheckpointMismatch{"store.checkpoint_mismatch"};
// A stored audit leaf whose hash does not match its bytes, or a gap in the leaf indices.
inline constexpr core::Reason kAuditMismatch{"store.audit_mismatch"};
}  // namespace reason

// PRAGMA application_id of every Causeway store: "CWAY" (on PostgreSQL, store_meta's
// 'application_id' row, in decimal).
inline constexpr std::int32_t kApplicationId = 0x43574159;

// One schema step. Applied in order, each in its own transaction together with its user_version
// (on PostgreSQL, store_meta's 'schema_version' row).
struct Migration {
  std::uint32_t version = 0;  // the user_version after this migration; 1, 2, 3 ...
  std::string_view name;
  std::string_view sql;
};
// The migrations of this build for SQLite; the last one's version is the schema version.
std::span<const Migration> migrations() noexcept;
// The same steps (versions and names) in a dialect's SQL.
std::span<const Migration> migrations(sql::Dialect dialect) noexcept;
std::uint32_t schema_version() noexcept;
// Brings `db` from its schema version up to the last of `steps` (which must be ordered, start at
// 1 and be in db's dialect); refuses a database newer than the last step. Exposed for tests.
core::Result<void> migrate(sql::Connection& db, std::span<const Migration> steps);

// ---- Message states (DESIGN.md section 4) ---------------------------------------------------

enum class MessageState : std::uint8_t {
  kObserved = 1,
  kVerified = 2,
  kVoted = 3,
  kExecutedOk = 4,
  kExecutedFailed = 5,
  kTimedOut = 6,
  kSkipped = 7,
  kAcknowledged = 8,
  kParked = 9,    // the relay gave up retrying; resumable where it stopped, or skippable
  kOrphaned = 10, // its source block left the canonical chain; may be observed again
};
inline constexpr MessageState kAllMessageStates[] = {
    MessageState::kObserved,   MessageState::kVerified, MessageState::kVoted,
    MessageState::kExecutedOk, MessageState::kExecutedFailed, MessageState::kTimedOut,
    MessageState::kSkipped,    MessageState::kAcknowledged,   MessageState::kParked,
    MessageState::kOrphaned};

std::string_view to_string(MessageState state) noexcept;
std::optional<MessageState> message_state_from_string(std::string_view name) noexcept;

// The state machine. From kParked the answer depends on where the message was parked:
// resuming may go back to that state or on to anything legal from it, so parking never lets an
// unverified message skip to voting.
bool is_legal_transition(MessageState from, MessageState to,
                         std::optional<MessageState> parked_from = std::nullopt) noexcept;
// The audit kind a transition into `to` records; none for kObserved (nothing was decided).
std::optional<core::AuditKind> audit_kind_for(MessageState to) noexcept;

// A store-local key of a lane (srcChain, srcGateway, dstChain, dstGateway, ordered): keccak256 of
// their concatenation. Not a protocol value; it only groups messages for lane queries.
core::Hash32 lane_key(const core::Message& message);

struct NewMessage {
  core::Message message;  // the id is always recomputed from it, never taken on trust
  core::Claim claim;
};

struct Transition {
  core::MessageId id;
  MessageState to = MessageState::kVerified;
  // The audit leaf's detail: the bundle hash (verified), the vote transaction hash (voted), the
  // target transaction hash (executed_*, timed_out, skipped) or the source transaction hash
  // (acknowledged). Ignored for parked (keccak256 of `reason`) and orphaned (zero).
  core::Hash32 evidence;
  // The reason code of a park.
  std::string reason;
  // For observed and verified: the message's new claim (re-observed after a reorg). For
  // acknowledged: the claim of the destination event the acknowledgement rests on (PROTOCOL.md
  // section 6); it goes into the leaf only. Otherwise the stored claim is used.
  std::optional<core::Claim> claim;
  // When the next stage may be attempted (unix seconds); 0 means now.
  std::uint64_t next_attempt_at = 0;
};

struct Cursor {
  core::ChainIdentity chain;
  std::uint64_t height = 0;
  core::Hash32 hash;
  friend bool operator==(const Cursor&, const Cursor&) = default;
};

// A verified MessageExecuted of a message on its destination (PROTOCOL.md section 6): what the
// acknowledgement rests on. `claim` is the claim of that event, not the message's delivery claim.
struct ExecutionRecord {
  core::MessageId id;
  core::Claim claim;
  core::ExecStatus status = core::ExecStatus::kOk;
  core::Hash32 tx_hash;  // the destination transaction that executed it
  std::uint64_t block_number = 0;
  friend bool operator==(const ExecutionRecord&, const ExecutionRecord&) = default;
};

struct BundleRecord {
  core::Claim claim;
  core::MessageId id;  // the id the bundle claims; for a rejected bundle, possibly a forgery's
  std::string json;    // the proof bundle (schemas/proof-bundle.schema.json), or its end after `head`
  bool verified = false;
  // When set, the text is *head followed by json: the start a run of bundles shares (one source
  // transaction's, holding their source block and inclusion proof; verify::BundleTextWriter), kept
  // in memory once and, from kMinSharedProof bytes, stored once. Records read back hold their whole
  // text in json.
  std::shared_ptr<const std::string> head{};
};

// The vote kinds the vote book keeps (PROTOCOL.md section 5); rotation and configuration votes
// concern no message and are not kept here.
enum class VoteKind : std::uint8_t { kDeliver = 1, kAck = 2, kSkip = 3 };
std::string_view to_string(VoteKind kind) noexcept;
std::optional<VoteKind> vote_kind_from_string(std::string_view name) noexcept;

// Whether this relay's vote key signed the vote or a peer attester sent it (POST /v1/votes).
enum class VoteOrigin : std::uint8_t { kOwn = 1, kPeer = 2 };
std::string_view to_string(VoteOrigin origin) noexcept;

// One attester's vote on one message: Deliver(id, claim, epoch), Ack(id, status, claim, epoch) or
// Skip(id, epoch). Keyed by (id, kind, claim, epoch, signer): a signer counts once per digest.
struct VoteRecord {
  core::MessageId id;
  VoteKind kind = VoteKind::kDeliver;
  core::Claim claim;       // zero for a skip, which rests on no event
  std::uint8_t status = 0; // an ack's execution status 1..4; 0 for the other kinds
  std::uint64_t epoch = 0;
  core::Address signer;
  std::array<std::uint8_t, 65> signature{};  // r ‖ s ‖ v as the gateway takes it
  VoteOrigin origin = VoteOrigin::kOwn;
  std::uint64_t time = 0;  // filled in by the store
  friend bool operator==(const VoteRecord&, const VoteRecord&) = default;
};

// Everything one group commit writes: bundles, inserts, executions, votes, then transitions in
// order, then cursors. All of it, with every audit leaf, commits together or not at all. A vote
// already in the book is left as it is (a redelivery re-signs the same vote).
// One more failed attempt at a message's current stage, due again at next_attempt_at (see
// Store::record_attempt).
struct Attempt {
  core::MessageId id;
  std::uint64_t next_attempt_at = 0;
};

struct WriteBatch {
  std::vector<BundleRecord> bundles;
  std::vector<NewMessage> observed;
  std::vector<ExecutionRecord> executions;
  std::vector<VoteRecord> votes;
  std::vector<Transition> transitions;
  std::vector<Cursor> cursors;
  std::vector<Attempt> attempts;  // applied after the transitions

  bool empty() const noexcept {
    return bundles.empty() && observed.empty() && executions.empty() && votes.empty() && transitions.empty() &&
           cursors.empty() && attempts.empty();
  }
};

struct StoredMessage {
  core::MessageId id;
  core::Hash32 lane;
  core::Claim claim;
  MessageState state = MessageState::kObserved;
  std::optional<MessageState> parked_from;
  std::uint32_t attempts = 0;
  std::uint64_t next_attempt_at = 0;
  std::string parked_reason;
  core::Message message;
  std::uint64_t created_at = 0;
  std::uint64_t updated_at = 0;
};

// A due message as due_in_lanes gives it: what the engine chooses by.
struct DueMessage {
  core::MessageId id;
  core::Hash32 lane;  // lane_key
  std::uint64_t sequence = 0;
  MessageState state = MessageState::kObserved;
  std::uint32_t attempts = 0;
};

// What the SQLite store's WAL checkpointer did (sql::WalCheckpointer): checkpoints on its thread,
// checkpoints by commits that found the log past its backstop (the thread is not keeping up, or a
// long read pins the log), and the log's size in pages after the last commit.
struct WalStatus {
  std::uint64_t background = 0;
  std::uint64_t by_commit = 0;
  std::uint64_t pages = 0;
};

// What Store::message_keys reads: everything of a stored message but the message itself.
struct MessageKeys {
  core::Claim claim;
  core::Hash32 lane;  // lane_key
  MessageState state = MessageState::kObserved;
  std::optional<MessageState> parked_from;
  std::uint64_t created_at = 0;
};

// Which messages list_messages returns.
struct MessageFilter {
  std::vector<core::Hash32> lanes;  // lane_key values; empty means every lane
  std::optional<MessageState> state;
};

// A place in list_messages' order: the last message of the previous page.
struct MessagePosition {
  std::uint64_t created_at = 0;
  std::int64_t row = 0;  // SQLite's rowid: insertion order among messages stored in one second
  friend bool operator==(const MessagePosition&, const MessagePosition&) = default;
};

struct MessagePage {
  std::vector<StoredMessage> messages;
  std::optional<MessagePosition> next;  // where the next page starts; empty on the last page
};

// How many messages of one lane (lane_key) are in one state.
struct LaneStateCount {
  core::Hash32 lane;
  MessageState state = MessageState::kObserved;
  std::uint64_t count = 0;
};

// Messages of one lane still on their way (observed, verified or voted): how many, and when the
// oldest of them was first stored.
struct LaneBacklog {
  core::Hash32 lane;
  std::uint64_t pending = 0;
  std::uint64_t oldest_created_at = 0;  // unix seconds
};

// A bundle that failed verification, keyed by its claim — never by the id it names, so a forged
// bundle cannot block the genuine message (THREATS "no poisoning").
struct Rejection {
  core::Claim claim;
  core::MessageId claimed_id;
  std::string reason;  // a reason code such as "verify.bad_seal"
  std::uint64_t time = 0;  // filled in by the store
};

struct VerifiedHeader {
  core::ChainIdentity chain;
  std::uint64_t height = 0;
  core::Hash32 hash;
  core::Hash32 parent_hash;
  core::Bytes header;  // the encoded header as verified (EVM: RLP)
  friend bool operator==(const VerifiedHeader&, const VerifiedHeader&) = default;
};

// The validator set of a chain from `from_height` until the next record.
struct ValidatorSetRecord {
  core::ChainIdentity chain;
  std::uint64_t from_height = 0;
  std::vector<core::Address> validators;
  friend bool operator==(const ValidatorSetRecord&, const ValidatorSetRecord&) = default;
};

struct AuditEntry {
  std::uint64_t index = 0;
  core::AuditKind kind = core::AuditKind::kVerified;
  core::MessageId id;
  core::Claim claim;
  core::Hash32 detail;
  std::uint64_t time = 0;
  core::Bytes leaf;  // encode_audit_leaf(...)
  core::Hash32 leaf_hash;
};

// A signed checkpoint (PROTOCOL.md section 7): the C2SP signed note, kept verbatim.
struct Checkpoint {
  std::uint64_t tree_size = 0;
  core::Hash32 root;
  std::string note;
};

// What open() found and did.
struct OpenReport {
  bool created = false;            // the file was new (or empty)
  std::uint32_t from_version = 0;  // user_version before migrations
  std::uint32_t to_version = 0;
  bool unclean_shutdown = false;   // the previous user did not close() it
  bool integrity_checked = false;  // a full integrity_check ran (otherwise quick_check)
  bool quick_check_deferred = false;  // neither ran: the caller runs Store::quick_check (see StoreOptions)
};

struct StoreOptions {
  std::chrono::milliseconds busy_timeout{5000};
  // Run the full integrity_check even after a clean shutdown.
  bool full_integrity_check = false;
  // After a clean shutdown, leave quick_check to the caller, who runs Store::quick_check beside
  // the open store: it reads every page (about 1 s per GiB on the CI machine), which a relay's
  // readiness need not wait for. After an unclean shutdown open() still runs the full check.
  bool defer_quick_check = false;
  // Unix seconds for timestamps and audit leaves; injectable so tests need no wall clock.
  std::function<std::uint64_t()> clock;
  // Runs as the first statement of every write transaction (inside it, before any write), so a
  // database lease can be checked and renewed in the commit it guards; an error rolls the
  // transaction back and is what the write returns. Migrations at open() run without it.
  std::function<core::Result<void>(sql::Connection&)> write_guard;
};

// Not thread-safe: the relay writes through one writer (DESIGN.md section 4). Every write is one
// transaction with synchronous=FULL (PostgreSQL: synchronous_commit=on), so it is on disk when
// the call returns ok — except the journal's mark_broadcast and mark_confirmed, relaxed
// (sql::Durability): facts of the chain that recovery reads again.
class Store {
 public:
  // Takes `<path>.lock`, opens or creates the database, checks it is a Causeway store and not
  // damaged, migrates it, and rebuilds the audit log from the stored leaf hashes.
  static core::Result<std::unique_ptr<Store>> open(const std::string& path, StoreOptions options = {});
  // The same store on PostgreSQL, in `target.schema` (created if missing). No lock file: two
  // relays on one schema are kept apart by a database lease (StoreOptions::write_guard). There is
  // no PRAGMA check: after an unclean shutdown open() checks the audit log (check_integrity).
  static core::Result<std::unique_ptr<Store>> open_postgres(const PostgresTarget& target, StoreOptions options = {});
  // For `causeway audit export`: opens an existing store read-only without the lock, so a running
  // relay keeps writing; no migration, no shutdown marker. Every read sees the store as committed
  // when it opened (one read transaction until close), so the audit log, its checkpoints and the
  // bundles agree with each other. Every write fails with kReadOnly; close() only closes.
  static core::Result<std::unique_ptr<Store>> open_read_only(const std::string& path, StoreOptions options = {});
  // The same on PostgreSQL: the schema must exist, the session is read-only on the server too, and
  // the snapshot is a REPEATABLE READ transaction. No lease: a reader never competes for one.
  static core::Result<std::unique_ptr<Store>> open_postgres_read_only(const PostgresTarget& target,
                                                                     StoreOptions options = {});
  // SQLite only. PRAGMA quick_check of the store at `path` on a connection of its own: WAL lets it
  // read while the relay writes. kCorrupt names the first problems found.
  static core::Result<void> quick_check(const std::string& path);
  // A clean shutdown: records the clean-shutdown marker, checkpoints the WAL, closes, unlocks.
  // Destroying a Store without close() is treated as a crash at the next open (full check).
  core::Result<void> close();
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const OpenReport& open_report() const noexcept { return report_; }
  // The SQLite file, or "postgresql schema NAME" (never the conninfo, which may name secrets).
  const std::string& path() const noexcept { return path_; }
  sql::Dialect dialect() const noexcept { return dialect_; }
  // The connection, for a lease's own statements outside the store's tables. Not thread-safe, as
  // the Store itself.
  sql::Connection& connection() noexcept { return *db_; }
  // SQLite: PRAGMA integrity_check and foreign_key_check. Both: every audit leaf's hash
  // recomputed and the stored tiles checked against them (PostgreSQL checks its own pages).
  core::Result<void> check_integrity();

  // ---- cursors
  core::Result<void> set_cursor(const Cursor& cursor);
  core::Result<std::optional<Cursor>> cursor(const core::ChainIdentity& chain);

  // ---- messages
  // Inserts in state observed. Returns false (and changes nothing) if the id is already stored
  // with the same claim; a different claim is kClaimConflict.
  core::Result<bool> insert_observed(const NewMessage& message);
  core::Result<void> apply(const Transition& transition);
  // Group commit: the whole batch in one transaction.
  // Returns the keys of each transition's message as the commit left it, in order (what the
  // engine's log line and event of each need, without reading it again).
  core::Result<std::vector<MessageKeys>> batch(const WriteBatch& batch);
  // One more failed attempt at the current stage; the state does not change.
  core::Result<void> record_attempt(const core::MessageId& id, std::uint64_t next_attempt_at);
  core::Result<std::optional<StoredMessage>> message(const core::MessageId& id);
  // The claim, lane key, state and creation time of a stored message, read without decoding (or
  // re-hashing) the message as message() does: for each transition's log line and event, existence
  // checks, and the engine's state checks on its hot path.
  core::Result<std::optional<MessageKeys>> message_keys(const core::MessageId& id);
  // Messages in `state` whose next attempt is due by `now`, oldest first.
  core::Result<std::vector<StoredMessage>> due_messages(MessageState state, std::uint64_t now, std::size_t limit);
  // Due messages of some lanes (lane_key values) in any of `states`, ordered by lane and sequence
  // so ordered lanes are served in order: their keys only, read without decoding or re-hashing a
  // message. The engine's steps look at several times what they take (most are in flight or in
  // another step's batch) and read the messages they take with messages().
  core::Result<std::vector<DueMessage>> due_in_lanes(std::span<const core::Hash32> lanes,
                                                     std::span<const MessageState> states, std::uint64_t now,
                                                     std::size_t limit);
  // The stored messages of `ids`, in that order; an id not stored is left out.
  core::Result<std::vector<StoredMessage>> messages(std::span<const core::MessageId> ids);
  // How many messages are in each state.
  core::Result<std::vector<std::pair<MessageState, std::uint64_t>>> state_counts();
  // The same per lane (lane_key); lanes and states with no message are left out.
  core::Result<std::vector<LaneStateCount>> lane_state_counts();
  // Per lane key with anything pending; reads only the pending messages (the state index).
  core::Result<std::vector<LaneBacklog>> lane_backlogs();
  // Up to `limit` messages matching `filter`, newest first (by creation time, then insertion
  // order), starting after `after`. Stable under inserts: a new message never shifts a page.
  core::Result<MessagePage> list_messages(const MessageFilter& filter, const std::optional<MessagePosition>& after,
                                          std::size_t limit);
  // The sequences of `lane` stored in [from, to], ascending (reconciliation looks for gaps).
  core::Result<std::vector<std::uint64_t>> lane_sequences(const core::Hash32& lane, std::uint64_t from,
                                                           std::uint64_t to);

  // ---- executions (the acknowledgement's evidence)
  // Records the first verified execution of a message; false (nothing changed) if one is stored.
  core::Result<bool> put_execution(const ExecutionRecord& execution);
  core::Result<std::optional<ExecutionRecord>> execution(const core::MessageId& id);

  // ---- bundles and rejections (by claim)
  core::Result<void> put_bundle(const BundleRecord& bundle);
  core::Result<std::optional<BundleRecord>> bundle(const core::Claim& claim);
  // Records the rejection with its audit leaf; false if this claim was already rejected (no
  // second leaf, so replaying one forgery cannot grow the log).
  core::Result<bool> record_rejected(const Rejection& rejection);
  core::Result<std::optional<Rejection>> rejection(const core::Claim& claim);
  // Retention (relay.retention.bundles_days): deletes up to `limit` bundles of acknowledged
  // messages (the one terminal state) last changed before `before` (unix seconds), in one
  // transaction, and returns how many. Messages, executions, votes, rejections and audit leaves
  // stay: a leaf keeps the bundle's hash as its detail.
  core::Result<std::size_t> prune_bundles(std::uint64_t before, std::size_t limit);
  // Whether the bundle of `claim` was pruned: none is stored, yet an audit leaf names the claim.
  // Every leaf's claim had its bundle stored in the leaf's commit (a rejection's has its
  // rejection instead), and nothing but prune_bundles deletes a bundle.
  core::Result<bool> bundle_pruned(const core::Claim& claim);

  // ---- the vote book
  // Stores one vote; false (nothing changed) if a vote with its key (id, kind, claim, epoch,
  // signer) is stored. The message must be stored (kNotFound otherwise).
  core::Result<bool> put_vote(const VoteRecord& vote);
  // Every vote on a message, oldest first.
  core::Result<std::vector<VoteRecord>> votes(const core::MessageId& id);

  // ---- verified headers and validator-set history
  // Idempotent for the same hash; another hash at a stored height is kHeaderConflict.
  core::Result<void> put_verified_header(const VerifiedHeader& header);
  core::Result<std::optional<VerifiedHeader>> verified_header(const core::ChainIdentity& chain, std::uint64_t height);
  // The verified header of `chain` at the greatest height, if any: a signed chain's latest
  // relay-kept checkpoint (verify/checkpoints.hpp), where the engine resumes after a restart.
  core::Result<std::optional<VerifiedHeader>> latest_verified_header(const core::ChainIdentity& chain);
  core::Result<void> put_validator_set(const ValidatorSetRecord& set);
  // The set in force at `height`: the record with the greatest from_height <= height.
  core::Result<std::optional<ValidatorSetRecord>> validator_set_at(const core::ChainIdentity& chain,
                                                                   std::uint64_t height);

  // ---- audit log (PROTOCOL.md section 7)
  std::uint64_t audit_size() const noexcept { return log_.size(); }
  // The SQLite store's WAL checkpoints so far and its log size; nothing on PostgreSQL or read-only.
  std::optional<WalStatus> wal_status() const noexcept;
  core::Result<core::Hash32> audit_root(std::uint64_t size) const { return log_.root_at(size); }
  core::Result<std::vector<core::Hash32>> inclusion_proof(std::uint64_t index, std::uint64_t size) const {
    return log_.inclusion_proof(index, size);
  }
  core::Result<std::vector<core::Hash32>> consistency_proof(std::uint64_t old_size, std::uint64_t new_size) const {
    return log_.consistency_proof(old_size, new_size);
  }
  core::Result<std::optional<AuditEntry>> audit_entry(std::uint64_t index);
  // Every leaf that names `claim`, in index order (the audit_leaves_claim index); none: empty.
  core::Result<std::vector<AuditEntry>> audit_entries_by_claim(const core::Claim& claim);
  // Stores a signed checkpoint after checking its root is this log's root at its size.
  core::Result<void> add_checkpoint(const Checkpoint& checkpoint);
  core::Result<std::optional<Checkpoint>> latest_checkpoint();
  // Every stored checkpoint, smallest tree size first.
  core::Result<std::vector<Checkpoint>> checkpoints();
  // A witness's cosignature line ("— <name> <base64>\n") of the stored checkpoint of `tree_size`;
  // the caller has verified it. A witness's newer line for one size replaces its older one.
  core::Result<void> add_cosignature(std::uint64_t tree_size, std::string_view witness, std::string_view line);
  // The cosignature lines of a checkpoint, ordered by witness: appended to its note they give
  // the cosigned checkpoint.
  core::Result<std::vector<std::string>> cosignatures(std::uint64_t tree_size);
  // The C2SP verifier key of the log key that signs checkpoints, so an export can name it. Only a
  // hint: an auditor checks against a key obtained independently.
  core::Result<void> set_log_vkey(std::string_view vkey);
  core::Result<std::optional<std::string>> log_vkey();

  // ---- the submission journal (relay/core/journal.hpp), for the adapters
  core::SubmissionJournal& journal() noexcept;

 private:
  class Journal;
  // Leaf hashes written in the open transaction; they join log_ only after COMMIT succeeds.
  using PendingLeaves = std::vector<core::Hash32>;

  Store(std::string path, LockFile lock, std::unique_ptr<sql::Connection> db, StoreOptions options);
  // A write transaction with the write guard run first.
  core::Result<sql::Transaction> begin_write(sql::Durability durability = sql::Durability::kSynced);
  core::Result<void> initialize();
  // open_read_only and open_postgres_read_only over their connection.
  static core::Result<std::unique_ptr<Store>> open_reader(const std::string& where,
                                                          std::unique_ptr<sql::Connection> db, StoreOptions options);
  core::Result<void> initialize_read_only();
  core::Result<void> load_audit_log();
  // The leaf hashes of complete audit tile `tile`, for the log's proofs and older roots.
  core::Result<std::vector<core::Hash32>> read_tile(std::uint64_t tile);
  std::uint64_t now() const;
  core::Result<void> ensure_open() const;

  core::Result<bool> insert_observed_in_tx(const NewMessage& message, std::uint64_t time);
  core::Result<MessageKeys> apply_in_tx(const Transition& transition, std::uint64_t time, PendingLeaves& pending);
  core::Result<void> set_cursor_in_tx(const Cursor& cursor, std::uint64_t time);
  core::Result<void> record_attempt_in_tx(const Attempt& attempt, std::uint64_t time);
  core::Result<void> put_bundle_in_tx(const BundleRecord& bundle, std::uint64_t time);
  core::Result<bool> put_execution_in_tx(const ExecutionRecord& execution, std::uint64_t time);
  core::Result<bool> put_vote_in_tx(const VoteRecord& vote, std::uint64_t time);
  core::Result<void> append_leaf_in_tx(core::AuditKind kind, const core::MessageId& id, const core::Claim& claim,
                                       const core::Hash32& detail, std::uint64_t time, PendingLeaves& pending);
  core::Result<void> commit(sql::Transaction& tx, PendingLeaves& pending);

  std::string path_;
  LockFile lock_;
  std::unique_ptr<sql::Connection> db_;
  sql::Dialect dialect_;
  StoreOptions options_;
  bool read_only_ = false;
  OpenReport report_;
  core::MerkleLog log_;
  std::unique_ptr<Journal> journal_;
  // The shared text (a proof, or a whole head) put_bundle_in_tx stored last and its hash (the next
  // bundle likely shares it), and the head it was, if any (the same head object: not compared again).
  std::string last_proof_;
  std::shared_ptr<const std::string> last_head_;
  core::Hash32 last_proof_hash_;
};

// Where a bundle text's inclusion proof lies (the content of its "proof" array), which the bundles
// of one transaction's messages share and the store keeps once; none when it is shorter than
// kMinSharedProof bytes (not worth a second row) or absent. Any split is undone byte for byte.
struct ProofSpan {
  std::size_t at = 0;
  std::size_t size = 0;
};
inline constexpr std::size_t kMinSharedProof = 1024;
std::optional<ProofSpan> shared_proof_span(std::string_view text);

}  // namespace causeway::store
