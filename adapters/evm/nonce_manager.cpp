// See nonce_manager.hpp. Invariant: a nonce n in [floor_, next_) is free exactly when no live
// record carries it and no other writer holds it, so "no gaps" is "hand out the lowest free first".
#include "adapters/evm/nonce_manager.hpp"

#include <algorithm>
#include <mutex>
#include <set>

#include "adapters/evm/gas.hpp"

namespace causeway::evm {
namespace {

namespace rn = reason::nonce;
using core::NonceKey;
using core::SignedTxRecord;
using core::SubmissionState;

// A journal further ahead of the chain than this is a different chain or a corrupted journal.
constexpr std::uint64_t kMaxJournalLead = 1u << 16;

// The process-wide set of keys that have a writer.
std::mutex& registry_mutex() {
  static std::mutex mutex;
  return mutex;
}
std::set<NonceKey>& registry() {
  static std::set<NonceKey> keys;
  return keys;
}

Result<Fees> fees_of(const UnsignedTx& tx) {
  const auto narrow = [](const U256& value) -> Result<std::uint64_t> {
    auto v = to_u64(value);
    if (!v) return Error(rn::kInsufficientBump, "fees beyond 64 bits");
    return *v;
  };
  if (const auto* dynamic = std::get_if<Eip1559Tx>(&tx)) {
    CW_TRY(const std::uint64_t max_fee, narrow(dynamic->max_fee_per_gas));
    CW_TRY(const std::uint64_t priority, narrow(dynamic->max_priority_fee_per_gas));
    return Fees{max_fee, priority};
  }
  const U256& price = std::holds_alternative<LegacyTx>(tx) ? std::get<LegacyTx>(tx).gas_price
                                                           : std::get<AccessListTx>(tx).gas_price;
  CW_TRY(const std::uint64_t gas_price, narrow(price));
  return Fees{gas_price, gas_price};
}

std::optional<std::uint64_t> chain_id_of(const UnsignedTx& tx) {
  return std::visit([](const auto& t) -> std::optional<std::uint64_t> { return t.chain_id; }, tx);
}

}  // namespace

Result<NonceManager> NonceManager::open(core::SubmissionJournal& journal, const NonceKey& key, ChainNonces chain) {
  const std::uint64_t chain_pending_nonce = std::max(chain.pending, chain.latest);
  CW_TRY(const auto last, journal.last_nonce({key}));
  CW_TRY(auto pending, journal.pending({key}));
  const std::uint64_t journal_next = last ? *last + 1 : 0;
  if (journal_next > chain_pending_nonce && journal_next - chain_pending_nonce > kMaxJournalLead) {
    return Error(rn::kJournalFarAhead, "journal at nonce " + std::to_string(journal_next) + ", chain at " +
                                           std::to_string(chain_pending_nonce));
  }
  NonceManager manager(journal, key);
  {
    const std::lock_guard lock(registry_mutex());
    if (!registry().insert(key).second) {
      return Error(rn::kWriterExists, core::to_hex(key.account) + " on chain " + std::to_string(key.chain_id));
    }
    manager.registered_ = true;
  }
  manager.next_ = std::max(journal_next, chain_pending_nonce);
  manager.floor_ = chain.latest;
  for (auto& record : pending) {
    if (!core::is_live(record.state)) continue;
    manager.next_ = std::max(manager.next_, record.nonce + 1);
    manager.live_[record.nonce].push_back(std::move(record));
  }
  // Pooled nonces the journal knows nothing live about belong to someone else.
  manager.mark_foreign(chain.latest, std::min(chain_pending_nonce, journal_next));
  return manager;
}

NonceManager::NonceManager(NonceManager&& other) noexcept
    : journal_(other.journal_),
      key_(other.key_),
      registered_(other.registered_),
      next_(other.next_),
      floor_(other.floor_),
      foreign_(std::move(other.foreign_)),
      live_(std::move(other.live_)) {
  other.registered_ = false;
}

NonceManager::~NonceManager() {
  if (!registered_) return;
  const std::lock_guard lock(registry_mutex());
  registry().erase(key_);
}

std::uint64_t NonceManager::next_nonce() const { return next_nonces(1).front(); }

std::vector<std::uint64_t> NonceManager::next_nonces(std::size_t count) const {
  std::vector<std::uint64_t> out;
  out.reserve(count);
  std::uint64_t candidate = floor_;
  auto live = live_.lower_bound(floor_);
  auto held = foreign_.lower_bound(floor_);
  // Released nonces below the top first, lowest first; then past the top.
  while (candidate < next_ && out.size() < count) {
    while (live != live_.end() && live->first < candidate) ++live;
    while (held != foreign_.end() && *held < candidate) ++held;
    const bool taken = (live != live_.end() && live->first == candidate) || (held != foreign_.end() && *held == candidate);
    if (!taken) out.push_back(candidate);
    ++candidate;
  }
  for (std::uint64_t n = next_; out.size() < count; ++n) out.push_back(n);
  return out;
}

Result<void> NonceManager::check_signer(const SignedTx& tx) const {
  if (tx.sender != key_.account) return Error(rn::kWrongSigner, "signed by " + core::to_hex(tx.sender));
  const auto chain = chain_id_of(tx.tx);
  if (!chain || *chain != key_.chain_id) return Error(rn::kWrongSigner, "chain id differs");
  return core::ok();
}

Result<BroadcastPermit> NonceManager::commit(const SignedTx& tx, std::string tag) {
  std::vector<TaggedTx> one;
  one.push_back({tx, std::move(tag)});
  CW_TRY(auto permits, commit_all(std::move(one)));
  return std::move(permits.front());
}

Result<std::vector<BroadcastPermit>> NonceManager::commit_all(std::vector<TaggedTx> txs) {
  if (txs.empty()) return std::vector<BroadcastPermit>{};
  const std::vector<std::uint64_t> expected = next_nonces(txs.size());
  std::vector<SignedTxRecord> records;
  records.reserve(txs.size());
  for (std::size_t i = 0; i < txs.size(); ++i) {
    const SignedTx& tx = txs[i].tx;
    CW_CHECK(check_signer(tx));
    const std::uint64_t nonce = tx_nonce(tx.tx);
    if (nonce != expected[i]) {
      return Error(rn::kWrongNonce, "carries " + std::to_string(nonce) + ", next is " + std::to_string(expected[i]));
    }
    records.push_back({key_, nonce, tx.hash, tx.raw, std::nullopt, std::move(txs[i].tag), SubmissionState::kSigned});
  }
  CW_CHECK(journal_->record_signed_all(records));  // durable before anyone can broadcast them
  std::vector<BroadcastPermit> permits;
  permits.reserve(records.size());
  for (auto& record : records) {
    next_ = std::max(next_, record.nonce + 1);
    permits.push_back(BroadcastPermit(record));
    const std::uint64_t nonce = record.nonce;
    live_[nonce].push_back(std::move(record));
  }
  return permits;
}

Result<BroadcastPermit> NonceManager::commit_replacement(const SignedTx& tx, const Hash32& replaces, std::string tag) {
  CW_CHECK(check_signer(tx));
  const SignedTxRecord* old = find_live(replaces);
  if (old == nullptr) return Error(rn::kNotLive, "nothing live to replace: " + core::to_hex(replaces));
  const std::uint64_t nonce = tx_nonce(tx.tx);
  if (nonce != old->nonce) {
    return Error(rn::kWrongNonce, "a replacement carries the nonce " + std::to_string(old->nonce));
  }
  // Compare with the newest live record of this nonce: that is the one a node holds.
  const SignedTxRecord& newest = live_.at(nonce).back();
  CW_TRY(const SignedTx previous, decode_signed(newest.raw, DecodeOptions{key_.chain_id, false}));
  CW_TRY(const Fees before, fees_of(previous.tx));
  CW_TRY(const Fees after, fees_of(tx.tx));
  if (!is_sufficient_bump(before, after)) {
    return Error(rn::kInsufficientBump, "both fees must rise by at least " +
                                            std::to_string(kMinReplacementBumpPercent) + "%");
  }
  SignedTxRecord record{key_, nonce, tx.hash, tx.raw, replaces, std::move(tag), SubmissionState::kSigned};
  CW_CHECK(journal_->record_signed(record));
  BroadcastPermit permit(record);
  live_[nonce].push_back(std::move(record));
  return permit;
}

Result<BroadcastAdvice> NonceManager::on_broadcast(const BroadcastPermit& permit, BroadcastOutcome outcome) {
  SignedTxRecord* record = find_live(permit.tx_hash());
  if (record == nullptr) {
    // Confirmed or dropped meanwhile: nothing more to do for these bytes.
    return BroadcastAdvice::kDone;
  }
  switch (outcome) {
    case BroadcastOutcome::kAccepted:
      if (record->state != SubmissionState::kBroadcast) {
        CW_CHECK(journal_->mark_broadcast({key_, permit.tx_hash()}));
        record->state = SubmissionState::kBroadcast;
      }
      return BroadcastAdvice::kDone;
    case BroadcastOutcome::kUnreachable:
      return BroadcastAdvice::kRetrySameBytes;
    case BroadcastOutcome::kNonceTooLow:
      return BroadcastAdvice::kResync;
    case BroadcastOutcome::kRejected:
      break;
  }
  // A node that once accepted the transaction may still mine it; a rejection on re-broadcast
  // then means nothing, so only a never-accepted transaction is dropped here.
  if (record->state == SubmissionState::kBroadcast) return BroadcastAdvice::kDone;
  const std::uint64_t nonce = record->nonce;
  CW_CHECK(on_dropped(permit.tx_hash(), "rejected"));
  // A rejected replacement leaves its original in charge of the nonce.
  const bool released = nonce >= floor_ && live_.find(nonce) == live_.end() && foreign_.count(nonce) == 0;
  return released ? BroadcastAdvice::kNonceReleased : BroadcastAdvice::kDone;
}

std::vector<Result<BroadcastAdvice>> NonceManager::on_broadcast_all(std::span<const BroadcastPermit> permits,
                                                                    std::span<const BroadcastOutcome> outcomes) {
  const std::size_t n = std::min(permits.size(), outcomes.size());
  std::vector<core::MarkBroadcastRequest> accepted;
  std::vector<SignedTxRecord*> to_mark;  // the live record of each request in `accepted`
  std::vector<bool> in_commit(n, false);
  for (std::size_t i = 0; i < n; ++i) {
    SignedTxRecord* record = find_live(permits[i].tx_hash());
    if (outcomes[i] == BroadcastOutcome::kAccepted && record != nullptr &&
        record->state != SubmissionState::kBroadcast) {
      accepted.push_back({key_, permits[i].tx_hash()});
      to_mark.push_back(record);
      in_commit[i] = true;
    }
  }
  const Result<void> marked = accepted.empty() ? core::ok() : journal_->mark_broadcast_all(accepted);
  if (marked) {
    for (SignedTxRecord* record : to_mark) record->state = SubmissionState::kBroadcast;
  }
  std::vector<Result<BroadcastAdvice>> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    // The marked ones are kBroadcast now, so on_broadcast only advises; the rest are handled one
    // by one as before (a rejection drops the record in a synced commit of its own).
    const bool unmarked = in_commit[i] && !marked;
    out.push_back(unmarked ? Result<BroadcastAdvice>(marked.error()) : on_broadcast(permits[i], outcomes[i]));
  }
  return out;
}

Result<void> NonceManager::on_confirmed(const Hash32& tx_hash, std::uint64_t block_number, bool succeeded) {
  const Receipt receipt{tx_hash, block_number, succeeded};
  return on_confirmed_all({&receipt, 1});
}

Result<void> NonceManager::on_confirmed_all(std::span<const Receipt> receipts) {
  std::vector<core::MarkConfirmedRequest> requests;
  std::vector<std::uint64_t> nonces;
  for (const auto& receipt : receipts) {
    const SignedTxRecord* record = find_live(receipt.tx_hash);
    if (record == nullptr) return Error(rn::kNotLive, core::to_hex(receipt.tx_hash));
    requests.push_back({key_, receipt.tx_hash, receipt.block_number, receipt.succeeded});
    nonces.push_back(record->nonce);
  }
  if (requests.empty()) return core::ok();
  CW_CHECK(journal_->mark_confirmed_all(requests));
  for (const std::uint64_t nonce : nonces) {
    live_.erase(nonce);  // the journal marked the siblings replaced in the same commit
    raise_floor(nonce + 1);
  }
  return core::ok();
}

Result<void> NonceManager::on_dropped(const Hash32& tx_hash, std::string reason) {
  if (find_live(tx_hash) == nullptr) return Error(rn::kNotLive, core::to_hex(tx_hash));
  CW_CHECK(journal_->mark_dropped({key_, tx_hash, std::move(reason)}));
  erase_live(tx_hash);  // with no live sibling left, the nonce is free again (if ≥ floor_)
  return core::ok();
}

Result<ResyncReport> NonceManager::resync(ChainNonces chain) {
  chain.pending = std::max(chain.pending, chain.latest);
  ResyncReport report;
  report.ours = next_;
  report.chain = chain;
  if (chain.pending > next_) {
    // Another writer's transactions fill [next_, pending), and any free nonce below: never sign
    // over them.
    report.kind = ResyncReport::Kind::kAdoptedChain;
    mark_foreign(std::max(floor_, chain.latest), next_);
    next_ = chain.pending;
  } else if (chain.pending < next_) {
    report.kind = ResyncReport::Kind::kChainBehind;
  }
  raise_floor(chain.latest);
  for (const auto& [nonce, records] : live_) {
    if (nonce < floor_) {
      for (const auto& record : records) report.check_receipts.push_back(record.tx_hash);
    } else {
      report.rebroadcast.push_back(BroadcastPermit(records.back()));
    }
  }
  for (std::uint64_t n = floor_; n < next_; ++n) {
    if (live_.find(n) == live_.end() && foreign_.count(n) == 0) report.holes.push_back(n);
  }
  return report;
}

std::vector<core::SignedTxRecord> NonceManager::live() const {
  std::vector<SignedTxRecord> out;
  for (const auto& [nonce, records] : live_) out.insert(out.end(), records.begin(), records.end());
  return out;
}

std::vector<Hash32> NonceManager::live_at(std::uint64_t nonce) const {
  std::vector<Hash32> out;
  if (const auto found = live_.find(nonce); found != live_.end()) {
    for (const auto& record : found->second) out.push_back(record.tx_hash);
  }
  return out;
}

bool NonceManager::is_live(const Hash32& tx_hash) const {
  for (const auto& [nonce, records] : live_) {
    for (const auto& record : records) {
      if (record.tx_hash == tx_hash) return true;
    }
  }
  return false;
}

std::vector<BroadcastPermit> NonceManager::unsent() const {
  std::vector<BroadcastPermit> out;
  for (const auto& [nonce, records] : live_) {
    for (const auto& record : records) {
      if (record.state == SubmissionState::kSigned) out.push_back(BroadcastPermit(record));
    }
  }
  return out;
}

SignedTxRecord* NonceManager::find_live(const Hash32& tx_hash) {
  for (auto& [nonce, records] : live_) {
    for (auto& record : records) {
      if (record.tx_hash == tx_hash) return &record;
    }
  }
  return nullptr;
}

void NonceManager::erase_live(const Hash32& tx_hash) {
  for (auto it = live_.begin(); it != live_.end(); ++it) {
    auto& records = it->second;
    const auto found = std::find_if(records.begin(), records.end(), [&](const auto& r) { return r.tx_hash == tx_hash; });
    if (found == records.end()) continue;
    records.erase(found);
    if (records.empty()) live_.erase(it);
    return;
  }
}

void NonceManager::raise_floor(std::uint64_t floor) {
  floor_ = std::max(floor_, floor);
  next_ = std::max(next_, floor_);
  foreign_.erase(foreign_.begin(), foreign_.lower_bound(floor_));
}

void NonceManager::mark_foreign(std::uint64_t from, std::uint64_t to) {
  for (std::uint64_t n = std::max(from, floor_); n < to; ++n) {
    if (live_.find(n) == live_.end()) foreign_.insert(n);
  }
}

}  // namespace causeway::evm
