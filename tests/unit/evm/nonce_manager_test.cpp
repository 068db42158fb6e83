// Tests for adapters/evm/nonce_manager.cpp with the in-memory journal: crash safety, one writer,
// failed broadcasts, resync, fee bumps, and 10,000 random operations against a simulated node.
#include <catch2/catch.hpp>

#include <map>
#include <optional>
#include <random>
#include <set>
#include <type_traits>

#include "adapters/evm/gas.hpp"
#include "adapters/evm/nonce_manager.hpp"
#include "relay/core/hash.hpp"
#include "tests/support/vectors.hpp"
#include "tests/unit/evm/memory_journal.hpp"

namespace causeway::test {
namespace {

using evm::BroadcastAdvice;
using evm::BroadcastOutcome;
using evm::BroadcastPermit;
using evm::Fees;
using evm::NonceManager;
namespace rn = evm::reason::nonce;

constexpr std::uint64_t kChain = 1337;

// A permit can only come from the manager, after the journal write.
static_assert(!std::is_default_constructible_v<BroadcastPermit>);
static_assert(!std::is_constructible_v<BroadcastPermit, const SignedTxRecord&>);

PrivateKey gas_key() { return PrivateKey::from_hex("0x8f2a55949038a9610f50fb23b5883af3b4ecb3c3bb792cbcefbd1542c692be63").value(); }

struct Signer {
  PrivateKey key = gas_key();
  NonceKey nonce_key{kChain, address_of(key)};
  std::uint64_t counter = 0;

  evm::SignedTx make(std::uint64_t nonce, Fees fees) {
    evm::Eip1559Tx tx;
    tx.chain_id = kChain;
    tx.nonce = nonce;
    tx.max_fee_per_gas = evm::u256(fees.max_fee_per_gas);
    tx.max_priority_fee_per_gas = evm::u256(fees.max_priority_fee_per_gas);
    tx.gas_limit = 100'000;
    tx.to = nonce_key.account;
    tx.data = be_minimal(++counter);  // every transaction distinct
    return evm::sign(tx, core::LocalSigner(key.clone())).value();
  }
};

const Fees kBaseFees{2'000'000'000, 1'000'000'000};

TEST_CASE("crash safety: a signed transaction is journaled before it can be broadcast", "[unit]") {
  MemoryJournal journal;
  Signer signer;
  auto opened = NonceManager::open(journal, signer.nonce_key, {});
  REQUIRE(opened.ok());
  std::optional<NonceManager> manager(std::move(opened).value());

  // The journal write fails: no permit, nothing consumed, nothing to broadcast.
  journal.fail_next_writes(1);
  const auto first = signer.make(0, kBaseFees);
  auto refused = manager->commit(first);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().reason() == reason::journal::kStorageFailed);
  CHECK(manager->next_nonce() == 0);
  CHECK(journal.records().empty());
  CHECK(manager->unsent().empty());

  // The write succeeds: the permit exists only after record_signed is in the journal.
  auto permit = manager->commit(first);
  REQUIRE(permit.ok());
  REQUIRE(journal.events().size() == 1);
  CHECK(journal.events()[0].what == "record_signed");
  CHECK(journal.events()[0].tx_hash == permit->tx_hash());
  CHECK(permit->raw() == first.raw);

  // Crash between journaling and broadcasting: the restarted writer re-broadcasts the same bytes
  // and does not hand the nonce out again.
  manager.reset();
  auto reopened = NonceManager::open(journal, signer.nonce_key, {});
  REQUIRE(reopened.ok());
  manager.emplace(std::move(reopened).value());
  CHECK(manager->next_nonce() == 1);
  const auto unsent = manager->unsent();
  REQUIRE(unsent.size() == 1);
  CHECK(unsent[0].raw() == first.raw);
  CHECK(manager->on_broadcast(unsent[0], BroadcastOutcome::kAccepted).value() == BroadcastAdvice::kDone);
  CHECK(journal.events().back().what == "mark_broadcast");
}

TEST_CASE("transactions broadcast together are marked in one journal write, receipts in another", "[unit]") {
  MemoryJournal journal;
  Signer signer;
  auto opened = NonceManager::open(journal, signer.nonce_key, {});
  REQUIRE(opened.ok());
  NonceManager manager(std::move(opened).value());
  std::vector<NonceManager::TaggedTx> txs;
  for (std::uint64_t n = 0; n < 3; ++n) txs.push_back({signer.make(n, kBaseFees), "ack"});
  auto permits = manager.commit_all(std::move(txs));
  REQUIRE(permits.ok());
  CHECK(manager.live_at(1) == std::vector<Hash32>{(*permits)[1].tx_hash()});
  CHECK(manager.live_at(7).empty());
  const std::vector<BroadcastOutcome> outcomes{BroadcastOutcome::kAccepted, BroadcastOutcome::kUnreachable,
                                               BroadcastOutcome::kAccepted};

  // The one write fails: both accepted transactions report it and stay unsent; the unreachable one
  // is advised as alone.
  journal.fail_next_writes(1);
  auto failed = manager.on_broadcast_all(*permits, outcomes);
  REQUIRE(failed.size() == 3);
  REQUIRE_FALSE(failed[0].ok());
  CHECK(failed[0].error().reason() == reason::journal::kStorageFailed);
  CHECK(failed[1].value() == BroadcastAdvice::kRetrySameBytes);
  REQUIRE_FALSE(failed[2].ok());
  CHECK(manager.unsent().size() == 3);

  const auto events = journal.events().size();
  auto advices = manager.on_broadcast_all(*permits, outcomes);
  REQUIRE(advices.size() == 3);
  CHECK(advices[0].value() == BroadcastAdvice::kDone);
  CHECK(advices[1].value() == BroadcastAdvice::kRetrySameBytes);
  CHECK(advices[2].value() == BroadcastAdvice::kDone);
  CHECK(journal.events().size() == events + 2);
  REQUIRE(manager.unsent().size() == 1);
  CHECK(manager.unsent()[0].tx_hash() == (*permits)[1].tx_hash());

  // Two receipts in one write: refused together, then recorded together.
  const NonceManager::Receipt receipts[] = {{(*permits)[0].tx_hash(), 5, true}, {(*permits)[2].tx_hash(), 5, false}};
  journal.fail_next_writes(1);
  CHECK_FALSE(manager.on_confirmed_all(receipts).ok());
  CHECK(manager.is_live((*permits)[0].tx_hash()));
  CHECK(manager.is_live((*permits)[2].tx_hash()));
  REQUIRE(manager.on_confirmed_all(receipts).ok());
  CHECK_FALSE(manager.is_live((*permits)[0].tx_hash()));
  CHECK_FALSE(manager.is_live((*permits)[2].tx_hash()));
  CHECK(manager.is_live((*permits)[1].tx_hash()));
  CHECK(manager.live_at(0).empty());
  CHECK(manager.on_confirmed_all(receipts).error().reason() == rn::kNotLive);
}

TEST_CASE("one nonce writer per chain and key", "[unit]") {
  MemoryJournal journal;
  Signer signer;
  auto first = NonceManager::open(journal, signer.nonce_key, {});
  REQUIRE(first.ok());
  auto second = NonceManager::open(journal, signer.nonce_key, {});
  REQUIRE_FALSE(second.ok());
  CHECK(second.error().reason() == rn::kWriterExists);
  CHECK(NonceManager::open(journal, NonceKey{kChain + 1, signer.nonce_key.account}, {}).ok());
  {
    NonceManager moved(std::move(first).value());  // the registration moves with the object
    CHECK(NonceManager::open(journal, signer.nonce_key, {}).error().reason() == rn::kWriterExists);
  }
  CHECK(NonceManager::open(journal, signer.nonce_key, {}).ok());
}

TEST_CASE("a failed broadcast does not consume a nonce", "[unit]") {
  MemoryJournal journal;
  Signer signer;
  NonceManager manager = NonceManager::open(journal, signer.nonce_key, {5, 5}).value();
  CHECK(manager.next_nonce() == 5);

  auto permit = manager.commit(signer.make(5, kBaseFees)).value();
  CHECK(manager.next_nonce() == 6);
  // Unreachable node: keep the nonce for these bytes, re-broadcast them later.
  CHECK(manager.on_broadcast(permit, BroadcastOutcome::kUnreachable).value() == BroadcastAdvice::kRetrySameBytes);
  CHECK(manager.next_nonce() == 6);
  REQUIRE(manager.unsent().size() == 1);
  // Definitive rejection: the nonce goes to the next transaction.
  CHECK(manager.on_broadcast(permit, BroadcastOutcome::kRejected).value() == BroadcastAdvice::kNonceReleased);
  CHECK(manager.next_nonce() == 5);
  CHECK(manager.commit(signer.make(6, kBaseFees)).error().reason() == rn::kWrongNonce);
  auto again = manager.commit(signer.make(5, kBaseFees));
  REQUIRE(again.ok());
  CHECK(again->nonce() == 5);

  // A rejected transaction below others leaves a hole that is filled first.
  auto six = manager.commit(signer.make(6, kBaseFees)).value();
  auto seven = manager.commit(signer.make(7, kBaseFees)).value();
  CHECK(manager.on_broadcast(seven, BroadcastOutcome::kAccepted).value() == BroadcastAdvice::kDone);
  CHECK(manager.on_broadcast(six, BroadcastOutcome::kRejected).value() == BroadcastAdvice::kNonceReleased);
  CHECK(manager.next_nonce() == 6);
  CHECK(manager.commit(signer.make(6, kBaseFees)).ok());
  CHECK(manager.next_nonce() == 8);
}

TEST_CASE("a batch is journaled in one write at the nonces handed out next, released holes first", "[unit]") {
  MemoryJournal journal;
  Signer signer;
  NonceManager manager = NonceManager::open(journal, signer.nonce_key, {5, 5}).value();
  auto five = manager.commit(signer.make(5, kBaseFees)).value();
  auto six = manager.commit(signer.make(6, kBaseFees)).value();
  auto seven = manager.commit(signer.make(7, kBaseFees)).value();
  CHECK(manager.on_broadcast(five, BroadcastOutcome::kRejected).value() == BroadcastAdvice::kNonceReleased);
  CHECK(manager.on_broadcast(seven, BroadcastOutcome::kRejected).value() == BroadcastAdvice::kNonceReleased);
  CHECK(manager.next_nonces(4) == std::vector<std::uint64_t>{5, 7, 8, 9});
  CHECK(manager.next_nonces(0).empty());

  const auto batch = [&](std::vector<std::uint64_t> nonces) {
    std::vector<NonceManager::TaggedTx> txs;
    for (const auto n : nonces) txs.push_back({signer.make(n, kBaseFees), "n" + std::to_string(n)});
    return txs;
  };
  // Out of order, or skipping the hole: refused, nothing journaled.
  const auto records = journal.records().size();
  CHECK(manager.commit_all(batch({7, 5, 8})).error().reason() == rn::kWrongNonce);
  CHECK(manager.commit_all(batch({8, 9})).error().reason() == rn::kWrongNonce);
  // The journal write fails: one write for the batch, so none is journaled and no nonce is taken.
  journal.fail_next_writes(1);
  CHECK(manager.commit_all(batch({5, 7, 8})).error().reason() == reason::journal::kStorageFailed);
  CHECK(journal.records().size() == records);
  CHECK(manager.next_nonce() == 5);
  CHECK(manager.unsent().size() == 1);  // six only

  const auto events = journal.events().size();
  auto permits = manager.commit_all(batch({5, 7, 8}));
  REQUIRE(permits.ok());
  REQUIRE(permits->size() == 3);
  CHECK((*permits)[0].nonce() == 5);
  CHECK((*permits)[1].nonce() == 7);
  CHECK((*permits)[2].nonce() == 8);
  CHECK(journal.events().size() == events + 3);
  CHECK(journal.records().back().tag == "n8");
  CHECK(manager.next_nonce() == 9);
  CHECK(manager.unsent().size() == 4);
  // A transaction repeated inside one batch: the journal refuses the whole batch.
  const auto twice = signer.make(9, kBaseFees);
  std::vector<NonceManager::TaggedTx> repeated{{twice, "a"}, {twice, "b"}};
  CHECK(manager.commit_all(std::move(repeated)).error().reason() == rn::kWrongNonce);
  CHECK(manager.commit_all({}).value().empty());
  CHECK(manager.next_nonce() == 9);
}

TEST_CASE("the manager refuses transactions of another signer or chain", "[unit]") {
  MemoryJournal journal;
  Signer signer;
  Signer other;
  other.key = PrivateKey::from_hex("0x0000000000000000000000000000000000000000000000000000000000000007").value();
  NonceManager manager = NonceManager::open(journal, signer.nonce_key, {}).value();
  CHECK(manager.commit(other.make(0, kBaseFees)).error().reason() == rn::kWrongSigner);
  CHECK(journal.records().empty());
}

TEST_CASE("resync adopts a higher chain nonce and reports what a lagging node lacks", "[unit]") {
  MemoryJournal journal;
  Signer signer;
  NonceManager manager = NonceManager::open(journal, signer.nonce_key, {}).value();
  for (std::uint64_t n = 0; n < 3; ++n) {
    auto permit = manager.commit(signer.make(n, kBaseFees)).value();
    (void)manager.on_broadcast(permit, BroadcastOutcome::kAccepted).value();
  }
  // The node restarted and lost its pool: pending nonce 1 (nonce 0 was mined).
  auto behind = manager.resync({1, 1}).value();
  CHECK(behind.kind == evm::ResyncReport::Kind::kChainBehind);
  CHECK(behind.ours == 3);
  REQUIRE(behind.rebroadcast.size() == 2);
  CHECK(behind.rebroadcast[0].nonce() == 1);
  CHECK(behind.rebroadcast[1].nonce() == 2);
  CHECK(behind.check_receipts.size() == 1);
  CHECK(manager.next_nonce() == 3);  // ours kept

  // Another writer used the key up to nonce 9: adopt it.
  auto ahead = manager.resync({10, 10}).value();
  CHECK(ahead.kind == evm::ResyncReport::Kind::kAdoptedChain);
  CHECK(ahead.check_receipts.size() == 3);
  CHECK(manager.next_nonce() == 10);
  for (const auto& hash : ahead.check_receipts) REQUIRE(manager.on_dropped(hash, "superseded").ok());
  CHECK(manager.next_nonce() == 10);  // nonces below the chain's are never released
  CHECK(manager.resync({10, 10}).value().kind == evm::ResyncReport::Kind::kInSync);
}

TEST_CASE("a stuck transaction is replaced at the same nonce with fees raised at least 10%", "[unit]") {
  MemoryJournal journal;
  Signer signer;
  NonceManager manager = NonceManager::open(journal, signer.nonce_key, {}).value();
  auto original = manager.commit(signer.make(0, kBaseFees)).value();
  (void)manager.on_broadcast(original, BroadcastOutcome::kAccepted).value();

  const Fees too_little{kBaseFees.max_fee_per_gas + 1, kBaseFees.max_priority_fee_per_gas + 1};
  CHECK(manager.commit_replacement(signer.make(0, too_little), original.tx_hash()).error().reason() ==
        rn::kInsufficientBump);
  evm::FeePolicy policy;
  policy.max_fee_cap = 100'000'000'000;
  const Fees bumped = evm::bump_fees(kBaseFees, 0, 0, policy).value();
  CHECK(manager.commit_replacement(signer.make(1, bumped), original.tx_hash()).error().reason() == rn::kWrongNonce);
  auto replacement = manager.commit_replacement(signer.make(0, bumped), original.tx_hash());
  REQUIRE(replacement.ok());
  CHECK(manager.next_nonce() == 1);  // a bump takes no new nonce
  const auto& record = journal.records().back();
  REQUIRE(record.replaces.has_value());
  CHECK(*record.replaces == original.tx_hash());
  CHECK(record.nonce == 0);

  // The replacement is mined: the original becomes "replaced" in the same journal commit.
  REQUIRE(manager.on_confirmed(replacement->tx_hash(), 100, true).ok());
  CHECK(journal.records().front().state == SubmissionState::kReplaced);
  CHECK(journal.records().back().state == SubmissionState::kConfirmed);
  CHECK(manager.live().empty());
}

// ---- randomized model check ----

// A node and its chain for one account: a pool with one transaction per nonce and strictly
// sequential mining, like geth's pending/queued pool.
struct SimNode {
  std::map<std::uint64_t, Hash32> pool;
  std::map<Hash32, Fees> fees;
  std::vector<Hash32> mined;  // index = nonce
  std::size_t external = 0;

  std::uint64_t pending_nonce() const {
    std::uint64_t n = mined.size();
    while (pool.count(n) != 0) ++n;
    return n;
  }
  evm::ChainNonces nonces() const { return {mined.size(), pending_nonce()}; }
  BroadcastOutcome receive(const BroadcastPermit& permit) {
    const std::uint64_t n = permit.nonce();
    if (n < mined.size()) return mined[n] == permit.tx_hash() ? BroadcastOutcome::kAccepted : BroadcastOutcome::kNonceTooLow;
    auto it = pool.find(n);
    if (it != pool.end() && it->second != permit.tx_hash() && !evm::is_sufficient_bump(fees.at(it->second), fees.at(permit.tx_hash()))) {
      return BroadcastOutcome::kRejected;  // replacement underpriced
    }
    pool[n] = permit.tx_hash();
    return BroadcastOutcome::kAccepted;
  }
  bool holds(const Hash32& hash) const {
    for (const auto& [n, h] : pool) if (h == hash) return true;
    return false;
  }
  void mine(std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) {
      auto it = pool.find(mined.size());
      if (it == pool.end()) return;
      mined.push_back(it->second);
      pool.erase(it);
    }
  }
  // Another writer with the same key takes the next nonce (only if the pool does not hold it).
  void mine_external(std::mt19937_64& rng) {
    if (pool.count(mined.size()) != 0) return;
    Hash32 h;
    for (auto& b : h.bytes) b = static_cast<std::uint8_t>(rng());
    mined.push_back(h);
    ++external;
  }
};

TEST_CASE("nonce manager: no gaps and no reuse across 10,000 random operations", "[unit]") {
  std::mt19937_64 rng(20240601);
  const auto roll = [&](unsigned percent) { return rng() % 100 < percent; };
  MemoryJournal journal;
  Signer signer;
  SimNode node;
  std::optional<NonceManager> manager(NonceManager::open(journal, signer.nonce_key, {}).value());
  std::map<Hash32, Fees> fees_of;
  std::uint64_t known_floor = 0;  // nonces below this are consumed on chain, as the manager was told
  std::size_t commits = 0, bumps = 0, rejections = 0, resyncs = 0, restarts = 0;
  evm::FeePolicy policy;
  policy.max_fee_cap = std::numeric_limits<std::uint64_t>::max() / 4;

  const auto live_or_confirmed = [&] {
    std::set<std::uint64_t> out;
    for (const auto& r : journal.records()) {
      if (is_live(r.state) || r.state == SubmissionState::kConfirmed) out.insert(r.nonce);
    }
    return out;
  };

  const auto broadcast = [&](const BroadcastPermit& permit) {
    REQUIRE(journal.has(permit.tx_hash()));  // crash safety: durable before any node sees it
    BroadcastOutcome outcome;
    if (roll(6)) {
      outcome = BroadcastOutcome::kUnreachable;       // never arrived
    } else if (roll(4)) {
      (void)node.receive(permit);                     // arrived, but the answer was lost
      outcome = BroadcastOutcome::kUnreachable;
    } else if (roll(4) && !node.holds(permit.tx_hash())) {
      outcome = BroadcastOutcome::kRejected;          // e.g. insufficient funds for now
    } else {
      outcome = node.receive(permit);
    }
    if (outcome == BroadcastOutcome::kRejected) ++rejections;
    return manager->on_broadcast(permit, outcome).value();
  };

  const auto settle = [&](const std::vector<Hash32>& hashes) {
    // Receipts: ours mined → confirmed; nonce taken by another transaction → dropped.
    std::map<Hash32, std::uint64_t> nonce_of;
    for (const auto& r : manager->live()) nonce_of[r.tx_hash] = r.nonce;
    for (const auto& hash : hashes) {
      if (!manager->is_live(hash)) continue;  // a sibling was confirmed meanwhile
      const std::uint64_t n = nonce_of.at(hash);
      if (n >= node.mined.size()) continue;  // still pending
      if (node.mined[n] == hash) {
        REQUIRE(manager->on_confirmed(hash, n, true).ok());
      } else {
        bool sibling_mined = false;
        for (const auto& [h, m] : nonce_of) sibling_mined |= m == n && node.mined[n] == h;
        if (!sibling_mined) REQUIRE(manager->on_dropped(hash, "superseded").ok());
      }
      known_floor = std::max(known_floor, n + 1);
    }
  };

  const auto all_live_hashes = [&] {
    std::vector<Hash32> out;
    for (const auto& r : manager->live()) out.push_back(r.tx_hash);
    return out;
  };

  const auto do_resync = [&] {
    ++resyncs;
    auto report = manager->resync(node.nonces()).value();
    known_floor = std::max<std::uint64_t>(known_floor, node.mined.size());
    settle(report.check_receipts);
    for (const auto& permit : report.rebroadcast) (void)broadcast(permit);
  };

  const auto commit_new = [&] {
    const std::uint64_t n = manager->next_nonce();
    const std::set<std::uint64_t> used = live_or_confirmed();
    // Never reuse: no live or confirmed transaction of ours carries n.
    REQUIRE(used.count(n) == 0);
    // Never skip: every nonce between what the chain has mined and n is ours and live.
    bool contiguous = true;
    for (std::uint64_t m = known_floor; m < n; ++m) contiguous = contiguous && used.count(m) != 0;
    REQUIRE(contiguous);
    const Fees fees = kBaseFees;
    const auto tx = signer.make(n, fees);
    fees_of[tx.hash] = fees;
    node.fees[tx.hash] = fees;
    if (roll(3)) journal.fail_next_writes(1);
    auto permit = manager->commit(tx);
    if (!permit) {
      REQUIRE(manager->next_nonce() == n);
      return;
    }
    ++commits;
    if (broadcast(*permit) == BroadcastAdvice::kResync) do_resync();
  };

  for (int op = 0; op < 10'000; ++op) {
    const auto choice = rng() % 100;
    if (choice < 40) {
      commit_new();
    } else if (choice < 55) {
      node.mine(1 + rng() % 6);
      settle(all_live_hashes());
    } else if (choice < 65) {
      for (const auto& permit : manager->unsent()) {
        if (broadcast(permit) == BroadcastAdvice::kResync) do_resync();
      }
    } else if (choice < 75) {
      const auto live = manager->live();
      if (live.empty()) continue;
      const auto& target = live[rng() % live.size()];
      // Bump the newest record of that nonce.
      const core::SignedTxRecord* newest = nullptr;
      for (const auto& r : live) if (r.nonce == target.nonce) newest = &r;
      const Fees bumped = evm::bump_fees(fees_of.at(newest->tx_hash), 0, 0, policy).value();
      const auto tx = signer.make(newest->nonce, bumped);
      fees_of[tx.hash] = bumped;
      node.fees[tx.hash] = bumped;
      auto permit = manager->commit_replacement(tx, newest->tx_hash);
      REQUIRE(permit.ok());
      ++bumps;
      if (broadcast(*permit) == BroadcastAdvice::kResync) do_resync();
    } else if (choice < 85) {
      do_resync();
    } else if (choice < 88) {
      node.pool.clear();  // node restart: the pool is lost
    } else if (choice < 90) {
      node.mine_external(rng);
    } else if (choice < 93) {
      ++restarts;
      manager.reset();
      manager.emplace(NonceManager::open(journal, signer.nonce_key, node.nonces()).value());
      known_floor = std::max<std::uint64_t>(known_floor, node.mined.size());
    } else {
      node.mine(rng() % 4);
      settle(all_live_hashes());
    }
  }

  // Drain: fill holes, re-broadcast, mine, until nothing of ours is live.
  for (int round = 0; round < 200 && !manager->live().empty(); ++round) {
    std::uint64_t top = 0;
    for (const auto& r : manager->live()) top = std::max(top, r.nonce);
    while (manager->next_nonce() < top) {
      const auto tx = signer.make(manager->next_nonce(), kBaseFees);
      node.fees[tx.hash] = kBaseFees;
      fees_of[tx.hash] = kBaseFees;
      auto permit = manager->commit(tx);
      REQUIRE(permit.ok());
      (void)manager->on_broadcast(*permit, node.receive(*permit)).value();
    }
    auto report = manager->resync(node.nonces()).value();
    settle(report.check_receipts);
    for (const auto& permit : report.rebroadcast) (void)manager->on_broadcast(permit, node.receive(permit)).value();
    for (const auto& permit : manager->unsent()) (void)manager->on_broadcast(permit, node.receive(permit)).value();
    node.mine(1'000'000);
    settle(all_live_hashes());
  }
  REQUIRE(manager->live().empty());
  CHECK(node.pool.empty());

  // Every mined nonce is ours (confirmed in the journal) or the other writer's; none is ours twice.
  std::set<std::uint64_t> confirmed;
  for (const auto& r : journal.records()) {
    CHECK_FALSE(is_live(r.state));
    if (r.state == SubmissionState::kConfirmed) {
      CHECK(confirmed.insert(r.nonce).second);
      REQUIRE(r.nonce < node.mined.size());
      CHECK(node.mined[r.nonce] == r.tx_hash);
    }
  }
  CHECK(confirmed.size() + node.external == node.mined.size());
  CHECK(manager->next_nonce() == node.mined.size());
  CHECK(commits > 2000);
  CHECK(bumps > 100);
  CHECK(rejections > 10);
  CHECK(restarts > 50);
  CHECK(resyncs > 100);
}

}  // namespace
}  // namespace causeway::test
