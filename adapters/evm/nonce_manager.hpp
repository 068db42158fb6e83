// The nonce manager: the one writer per (chain id, gas key). It hands out nonces without gaps or
// reuse, journals every signed transaction before it may be broadcast, and follows the chain.
// Pure logic over core's SubmissionJournal; callers do the RPC and report what happened.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "adapters/evm/tx.hpp"
#include "relay/core/journal.hpp"

namespace causeway::evm {

namespace reason::nonce {
// Another NonceManager in this process already writes for this (chain id, key).
inline constexpr core::Reason kWriterExists{"nonce.writer_exists"};
// The transaction does not carry the nonce the manager hands out next.
inline constexpr core::Reason kWrongNonce{"nonce.wrong_nonce"};
// The transaction's sender or chain id is not this manager's.
inline constexpr core::Reason kWrongSigner{"nonce.wrong_signer"};
// The transaction to act on is not live (unknown, confirmed, dropped or replaced).
inline constexpr core::Reason kNotLive{"nonce.not_live"};
// A replacement whose fees are not raised enough for nodes to accept it.
inline constexpr core::Reason kInsufficientBump{"nonce.insufficient_bump"};
// The journal claims nonces far beyond the chain's: refuse rather than guess.
inline constexpr core::Reason kJournalFarAhead{"nonce.journal_far_ahead"};
}  // namespace reason::nonce

// What a node said to a broadcast, as the caller classifies its answer.
enum class BroadcastOutcome : std::uint8_t {
  kAccepted,     // in the node's pool (including "already known")
  kRejected,     // definitively refused (invalid, underpriced, no funds): it will never be mined
  kUnreachable,  // transport failure or timeout: unknown; re-broadcast the same bytes later
  kNonceTooLow,  // the node says the nonce is already used: resync with the chain
};

// What the caller should do next after on_broadcast.
enum class BroadcastAdvice : std::uint8_t {
  kDone,           // accepted; wait for confirmation
  kRetrySameBytes, // re-broadcast this permit later; the nonce stays reserved for it
  kNonceReleased,  // dropped; its nonce is handed out again to the next transaction
  kResync,         // call resync() with the chain's pending nonce
};

// Proof that a signed transaction is durable in the journal: the only way to obtain bytes to
// broadcast from the manager (THREATS 26: crash at any point).
class BroadcastPermit {
 public:
  const Bytes& raw() const noexcept { return raw_; }
  const Hash32& tx_hash() const noexcept { return tx_hash_; }
  std::uint64_t nonce() const noexcept { return nonce_; }

 private:
  friend class NonceManager;
  explicit BroadcastPermit(const core::SignedTxRecord& record)
      : raw_(record.raw), tx_hash_(record.tx_hash), nonce_(record.nonce) {}
  Bytes raw_;
  Hash32 tx_hash_;
  std::uint64_t nonce_ = 0;
};

// What a node says about the account: eth_getTransactionCount(account, "latest") counts mined
// transactions (permanent); "pending" adds the node's pool (which it may lose on restart).
struct ChainNonces {
  std::uint64_t latest = 0;
  std::uint64_t pending = 0;
};

struct ResyncReport {
  enum class Kind : std::uint8_t {
    kInSync,       // the chain's pending nonce equals ours
    kAdoptedChain, // the chain is ahead (another writer, or a lost journal): we continue from it
    kChainBehind,  // the node lacks some of our transactions: ours kept, rebroadcast listed
  };
  Kind kind = Kind::kInSync;
  std::uint64_t ours = 0;   // one past the highest nonce we had handed out, before the resync
  ChainNonces chain;
  // The newest live transaction of each nonce not yet mined: send these bytes again (a node that
  // still holds one answers "already known").
  std::vector<BroadcastPermit> rebroadcast;
  // Live transactions below the latest nonce: mined, or superseded by another transaction with
  // their nonce. Look up their receipts: a receipt → on_confirmed, none → on_dropped.
  std::vector<Hash32> check_receipts;
  // Unmined nonces below ours with no live transaction: the next transactions fill them first.
  std::vector<std::uint64_t> holes;
};

class NonceManager {
 public:
  // Opens the single writer for `key`, from the journal's records and the chain's nonces.
  static Result<NonceManager> open(core::SubmissionJournal& journal, const core::NonceKey& key, ChainNonces chain);

  NonceManager(const NonceManager&) = delete;
  NonceManager& operator=(const NonceManager&) = delete;
  NonceManager(NonceManager&& other) noexcept;
  NonceManager& operator=(NonceManager&&) = delete;
  ~NonceManager();

  const core::NonceKey& key() const noexcept { return key_; }

  // The nonce the next new transaction must carry: the lowest released nonce not yet mined, else
  // one past the highest handed out.
  std::uint64_t next_nonce() const;

  // The nonces the next `count` new transactions must carry, in order: next_nonce(), then the
  // nonces it would hand out after each of them were committed.
  std::vector<std::uint64_t> next_nonces(std::size_t count) const;

  // Journals a newly signed transaction carrying next_nonce(); only then returns its permit.
  // If the journal fails, nothing changes and the transaction must not be broadcast.
  Result<BroadcastPermit> commit(const SignedTx& tx, std::string tag = {});
  // Journals new transactions carrying next_nonces(txs.size()) in one commit: all permits, in
  // order, or none and nothing changes.
  struct TaggedTx {
    SignedTx tx;
    std::string tag;
  };
  Result<std::vector<BroadcastPermit>> commit_all(std::vector<TaggedTx> txs);

  // Journals a fee bump of the live transaction `replaces`: same nonce, both fees raised by at
  // least kMinReplacementBumpPercent (gas.hpp), recorded as a replacement.
  Result<BroadcastPermit> commit_replacement(const SignedTx& tx, const Hash32& replaces, std::string tag = {});

  Result<BroadcastAdvice> on_broadcast(const BroadcastPermit& permit, BroadcastOutcome outcome);
  // The same for transactions broadcast together (one JSON-RPC batch): the accepted ones are marked
  // in one journal commit. One advice per permit, in order; a failed commit is each accepted one's.
  std::vector<Result<BroadcastAdvice>> on_broadcast_all(std::span<const BroadcastPermit> permits,
                                                        std::span<const BroadcastOutcome> outcomes);
  // A receipt was seen. Every nonce up to this one is then consumed on chain.
  Result<void> on_confirmed(const Hash32& tx_hash, std::uint64_t block_number, bool succeeded);
  // Receipts seen together, journaled in one commit (all or none). Each must be of a live
  // transaction, at most one per nonce.
  struct Receipt {
    Hash32 tx_hash;
    std::uint64_t block_number = 0;
    bool succeeded = true;
  };
  Result<void> on_confirmed_all(std::span<const Receipt> receipts);
  // The caller established that the transaction will never be mined (e.g. its nonce was consumed
  // by another transaction, or it left every pool). Its nonce is released unless consumed.
  Result<void> on_dropped(const Hash32& tx_hash, std::string reason);

  // Compares with the chain: a pending nonce above ours is adopted (another writer used the key);
  // below ours, ours is kept and the report lists what to re-broadcast. Mined nonces are never
  // handed out again.
  Result<ResyncReport> resync(ChainNonces chain);

  // Live transactions, oldest nonce first (for fee bumping and status).
  std::vector<core::SignedTxRecord> live() const;
  bool is_live(const Hash32& tx_hash) const;
  // The live transactions of one nonce (a fee bump's family), by hash, oldest first: what a
  // confirmation asks for without copying every live record.
  std::vector<Hash32> live_at(std::uint64_t nonce) const;
  // Live transactions not yet accepted by any node: re-broadcast these bytes.
  std::vector<BroadcastPermit> unsent() const;

 private:
  NonceManager(core::SubmissionJournal& journal, const core::NonceKey& key) : journal_(&journal), key_(key) {}
  Result<void> check_signer(const SignedTx& tx) const;
  core::SignedTxRecord* find_live(const Hash32& tx_hash);
  void erase_live(const Hash32& tx_hash);
  void raise_floor(std::uint64_t floor);
  // Marks the nonces in [from, to) that carry no live record of ours as held by another writer.
  void mark_foreign(std::uint64_t from, std::uint64_t to);

  core::SubmissionJournal* journal_;
  core::NonceKey key_;
  bool registered_ = false;
  // One past the highest nonce handed out.
  std::uint64_t next_ = 0;
  // Nonces below this are mined (the chain's latest nonce, or one past a confirmed transaction).
  std::uint64_t floor_ = 0;
  // Unmined nonces below next_ that another writer's pooled transactions hold: never free.
  std::set<std::uint64_t> foreign_;
  // Live records per nonce, in the order they were journaled (replacements after originals).
  std::map<std::uint64_t, std::vector<core::SignedTxRecord>> live_;
};

}  // namespace causeway::evm
