// The submission journal: the narrow interface through which an adapter persists the transactions
// it signs (DESIGN.md sections 2-4). `store` implements it in SQLite; `engine` hands it to adapters.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "relay/core/bytes.hpp"
#include "relay/core/result.hpp"

namespace causeway::core {

namespace reason::journal {
// The transaction hash is not in the journal.
inline constexpr Reason kUnknownTransaction{"journal.unknown_transaction"};
// The same transaction hash was recorded twice.
inline constexpr Reason kDuplicateTransaction{"journal.duplicate_transaction"};
// A record names a transaction to replace that has a different key, chain or nonce.
inline constexpr Reason kBadReplacement{"journal.bad_replacement"};
// A state change the record's current state does not allow (e.g. confirming a dropped tx).
inline constexpr Reason kBadTransition{"journal.bad_transition"};
// The backing store failed; retryable at the caller's discretion.
inline constexpr Reason kStorageFailed{"journal.storage_failed"};
}  // namespace reason::journal

// Where a journaled transaction stands. Only kSigned and kBroadcast are "live" (may still be mined).
enum class SubmissionState : std::uint8_t {
  kSigned = 1,     // durable, not yet known to have reached a node
  kBroadcast = 2,  // a node accepted it into its pool
  kConfirmed = 3,  // mined (successfully or reverted; see the confirmation)
  kDropped = 4,    // will never be mined; its nonce is free again unless a sibling took it
  kReplaced = 5,   // another transaction with the same nonce was confirmed
};

std::string_view to_string(SubmissionState state) noexcept;
inline bool is_live(SubmissionState state) noexcept {
  return state == SubmissionState::kSigned || state == SubmissionState::kBroadcast;
}

// Identifies one signing key on one chain: the unit that has exactly one nonce writer.
struct NonceKey {
  std::uint64_t chain_id = 0;  // EVM chain id
  Address account;             // the gas-paying address
  friend auto operator<=>(const NonceKey&, const NonceKey&) = default;
};

// A signed transaction exactly as it will be (re)broadcast.
struct SignedTxRecord {
  NonceKey key;
  std::uint64_t nonce = 0;
  Hash32 tx_hash;  // keccak256(raw)
  Bytes raw;       // the signed encoding (typed: type byte ‖ rlp)
  // Set for a fee bump: the hash of the live transaction with the same nonce this one replaces.
  std::optional<Hash32> replaces;
  // Opaque to the journal: lets the engine map a transaction back to its batch of messages.
  std::string tag;
  SubmissionState state = SubmissionState::kSigned;
};

struct MarkBroadcastRequest {
  NonceKey key;
  Hash32 tx_hash;
};

struct MarkConfirmedRequest {
  NonceKey key;
  Hash32 tx_hash;
  std::uint64_t block_number = 0;
  bool succeeded = true;  // receipt status
};

struct MarkDroppedRequest {
  NonceKey key;
  Hash32 tx_hash;
  // A short reason name for operators (never node output that could echo secrets).
  std::string reason;
};

struct LastNonceRequest {
  NonceKey key;
};

struct PendingRequest {
  NonceKey key;
};

struct FindRequest {
  NonceKey key;
  Hash32 tx_hash;
};

// Implementations must make each call atomic and durable before returning ok: the caller
// broadcasts a transaction only after record_signed returned ok (crash safety, THREATS 26).
class SubmissionJournal {
 public:
  virtual ~SubmissionJournal() = default;

  // Stores newly signed transactions in state kSigned, all or none, in one durable commit (a batch
  // of acknowledgements costs one disk flush, not one each). With `replaces`, the replaced record
  // must exist (earlier in the call, or before it) for the same key and nonce; it stays live until
  // one of the two is confirmed.
  virtual Result<void> record_signed_all(std::span<const SignedTxRecord> records) = 0;
  Result<void> record_signed(const SignedTxRecord& record) { return record_signed_all({&record, 1}); }
  // kSigned -> kBroadcast (idempotent on kBroadcast), all or none in one commit (the acknowledgements
  // of one step are broadcast together).
  virtual Result<void> mark_broadcast_all(std::span<const MarkBroadcastRequest> requests) = 0;
  Result<void> mark_broadcast(const MarkBroadcastRequest& request) { return mark_broadcast_all({&request, 1}); }
  // live -> kConfirmed; every other record with the same key and nonce becomes kReplaced in the
  // same commit. All or none in one commit (the receipts of a pass are read together).
  virtual Result<void> mark_confirmed_all(std::span<const MarkConfirmedRequest> requests) = 0;
  Result<void> mark_confirmed(const MarkConfirmedRequest& request) { return mark_confirmed_all({&request, 1}); }
  // live -> kDropped.
  virtual Result<void> mark_dropped(const MarkDroppedRequest& request) = 0;
  // The highest nonce of any record for the key, in any state; nullopt when there is none.
  virtual Result<std::optional<std::uint64_t>> last_nonce(const LastNonceRequest& request) = 0;
  // The live records of the key, ordered by nonce, then by when they were recorded.
  virtual Result<std::vector<SignedTxRecord>> pending(const PendingRequest& request) = 0;
  // One record by hash; nullopt when there is none.
  virtual Result<std::optional<SignedTxRecord>> find(const FindRequest& request) = 0;

 protected:
  SubmissionJournal() = default;
  SubmissionJournal(const SubmissionJournal&) = default;
  SubmissionJournal& operator=(const SubmissionJournal&) = default;
};

inline std::string_view to_string(SubmissionState state) noexcept {
  switch (state) {
    case SubmissionState::kSigned: return "signed";
    case SubmissionState::kBroadcast: return "broadcast";
    case SubmissionState::kConfirmed: return "confirmed";
    case SubmissionState::kDropped: return "dropped";
    case SubmissionState::kReplaced: return "replaced";
  }
  return "unknown";
}

}  // namespace causeway::core
