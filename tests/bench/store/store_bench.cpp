// Store write throughput: message transitions per second (each with its audit leaf) committed one
// per transaction and 100 per group commit, on SQLite (synchronous=FULL, the local disk) and on
// PostgreSQL (the server CAUSEWAY_PG_CONNINFO names, e.g. inside tests/support/with_postgres.sh
// with CAUSEWAY_PG_FSYNC=on so that both commit to disk); and the submission journal's life of one
// transaction (signed synced, broadcast and confirmed relaxed) on SQLite.
#include <benchmark/benchmark.h>

#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "relay/core/hash.hpp"
#include "relay/core/message.hpp"
#include "relay/store/store.hpp"

using namespace causeway;

namespace {

core::Message bench_message(std::uint64_t sequence) {
  core::Message m;
  m.src_chain.bytes[31] = 1;
  m.dst_chain.bytes[31] = 2;
  m.sequence = core::Sequence{sequence};
  m.gas_limit = 100'000;
  m.payload = core::Bytes(64, 0xab);
  return m;
}

using Opener = std::function<core::Result<std::unique_ptr<store::Store>>()>;

// Alternates every message between parked and verified (both legal forever, both leaf-writing),
// so the benchmark never runs out of messages and every transition costs the same.
void run_transitions(benchmark::State& state, const Opener& open) {
  const auto group = static_cast<std::uint64_t>(state.range(0));
  {
    auto opened = open();
    if (!opened.ok()) {
      state.SkipWithError(opened.error().message().c_str());
      return;
    }
    auto& s = **opened;
    std::vector<core::MessageId> ids;
    store::WriteBatch setup;
    for (std::uint64_t i = 1; i <= group; ++i) {
      const auto m = bench_message(i);
      ids.push_back(core::message_id(m));
      core::Claim claim;
      claim.bytes = core::keccak256(ids.back().view()).bytes;
      setup.observed.push_back({m, claim});
      store::Transition verify;
      verify.id = ids.back();
      verify.to = store::MessageState::kVerified;
      verify.evidence = core::keccak256(core::as_bytes("bundle"));
      setup.transitions.push_back(verify);
    }
    if (!s.batch(setup).ok()) state.SkipWithError("setup failed");

    bool park = true;
    std::vector<store::Transition> round(group);
    for (auto _ : state) {
      for (std::uint64_t i = 0; i < group; ++i) {
        round[i].id = ids[i];
        round[i].to = park ? store::MessageState::kParked : store::MessageState::kVerified;
        round[i].evidence = core::keccak256(core::as_bytes("bundle"));
        round[i].reason = "bench.pause";
      }
      store::WriteBatch batch;
      batch.transitions = round;
      if (!s.batch(batch).ok()) {
        state.SkipWithError("batch failed");
        break;
      }
      park = !park;
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * group));
    state.counters["audit_leaves"] = static_cast<double>(s.audit_size());
    (void)s.close();
  }
}

void BM_StoreTransitions(benchmark::State& state) {
  std::string dir = (std::filesystem::temp_directory_path() / "causeway-store-bench-XXXXXX").string();
  if (::mkdtemp(dir.data()) == nullptr) {
    state.SkipWithError("mkdtemp failed");
    return;
  }
  run_transitions(state, [&] { return store::Store::open(dir + "/bench.db"); });
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
}

// A fresh schema per run (the throwaway cluster is removed afterwards).
void BM_StoreTransitionsPostgres(benchmark::State& state) {
  const char* conninfo = ::getenv("CAUSEWAY_PG_CONNINFO");
  if (conninfo == nullptr) {
    state.SkipWithError("set CAUSEWAY_PG_CONNINFO (run inside tests/support/with_postgres.sh)");
    return;
  }
  static int run = 0;
  store::PostgresTarget target;
  target.conninfo = conninfo;
  target.schema = "bench_" + std::to_string(::getpid()) + "_" + std::to_string(++run);
  run_transitions(state, [&] { return store::Store::open_postgres(target); });
}

// One journaled transaction's three writes, as the EVM sink makes them: record_signed (synced:
// on disk before the broadcast), mark_broadcast and mark_confirmed (relaxed: recovery asks the node).
void BM_JournalSignedBroadcastConfirmed(benchmark::State& state) {
  std::string dir = (std::filesystem::temp_directory_path() / "causeway-journal-bench-XXXXXX").string();
  if (::mkdtemp(dir.data()) == nullptr) {
    state.SkipWithError("mkdtemp failed");
    return;
  }
  {
    auto opened = store::Store::open(dir + "/bench.db");
    if (!opened.ok()) {
      state.SkipWithError(opened.error().message().c_str());
      return;
    }
    auto& journal = (*opened)->journal();
    core::SignedTxRecord record;
    record.key = {31337, core::Address{}};
    record.raw = core::Bytes(110, 0x02);  // about an acknowledge transaction's size
    std::uint64_t nonce = 0;
    for (auto _ : state) {
      record.nonce = nonce;
      record.tx_hash = core::keccak256(core::as_bytes(std::to_string(nonce)));
      ++nonce;
      if (!journal.record_signed(record).ok() || !journal.mark_broadcast({record.key, record.tx_hash}).ok() ||
          !journal.mark_confirmed({record.key, record.tx_hash, nonce, true}).ok()) {
        state.SkipWithError("journal write failed");
        break;
      }
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
    (void)(*opened)->close();
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
}

}  // namespace

BENCHMARK(BM_JournalSignedBroadcastConfirmed)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_StoreTransitions)->Arg(1)->Arg(100)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_StoreTransitionsPostgres)->Arg(1)->Arg(100)->UseRealTime()->Unit(benchmark::kMicrosecond);
