// Receipt-proof verification throughput on a block of 200 typed receipts, each carrying one
// MessageSent-shaped log; plus the bare Keccak cost of the same proofs, which bounds it.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "relay/core/hash.hpp"
#include "relay/core/mpt.hpp"
#include "relay/core/rlp.hpp"

using namespace causeway::core;

namespace {

constexpr std::size_t kReceipts = 200;

Bytes filled(std::size_t size, std::uint64_t seed) {
  Bytes out(size);
  std::uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;
  for (auto& b : out) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    b = static_cast<std::uint8_t>(x);
  }
  return out;
}

// 0x02 ‖ rlp([status, cumulativeGasUsed, logsBloom, [[address, [4 topics], data]]]) with data an
// ABI-encoded message: offset and length words, 12 static words, a 256-byte payload (704 bytes).
Bytes eip1559_receipt(std::uint64_t index) {
  rlp::Encoder receipt(1200);
  receipt.begin_list()
      .add_uint(1)
      .add_uint(50000 * (index + 1))
      .add_string(filled(256, index * 5 + 1))
      .begin_list()
      .begin_list()
      .add_string(filled(20, 7));
  receipt.begin_list();
  for (std::uint64_t t = 0; t < 4; ++t) receipt.add_string(filled(32, index * 5 + 2 + t));
  receipt.end_list().add_string(filled(14 * 32 + 256, index * 5 + 6)).end_list().end_list().end_list();
  // Sized up front: GCC 12 reports a false -Warray-bounds for Bytes{0x02} followed by an insert.
  const Bytes& payload = receipt.bytes();
  Bytes value(1 + payload.size());
  value[0] = 0x02;
  std::copy(payload.begin(), payload.end(), value.begin() + 1);
  return value;
}

struct Block {
  Hash32 root;
  std::vector<std::vector<Bytes>> proofs;      // owned node bytes, per index
  std::vector<std::vector<ByteView>> views;    // what a verifier receives from a parsed bundle

  Block() {
    std::vector<Bytes> receipts;
    for (std::uint64_t i = 0; i < kReceipts; ++i) receipts.push_back(eip1559_receipt(i));
    const mpt::Trie trie = mpt::indexed_trie(receipts);
    root = trie.root();
    for (std::uint64_t i = 0; i < kReceipts; ++i) proofs.push_back(trie.prove(mpt::receipt_key(i)));
    for (const auto& proof : proofs) views.emplace_back(proof.begin(), proof.end());
  }
};

const Block& block() {
  static const Block b;
  return b;
}

void BM_VerifyReceiptProof(benchmark::State& state) {
  const Block& b = block();
  std::uint64_t index = 0;
  std::size_t bytes = 0;
  for (auto _ : state) {
    auto value = mpt::verify_receipt_proof(b.root, index, b.views[index]);
    if (!value.ok()) state.SkipWithError("a valid proof was rejected");
    bytes += value->size();
    benchmark::DoNotOptimize(value);
    index = (index + 1) % kReceipts;
  }
  state.counters["proofs_per_s"] = benchmark::Counter(static_cast<double>(state.iterations()),
                                                      benchmark::Counter::kIsRate);
  state.counters["receipt_bytes"] = static_cast<double>(bytes) / static_cast<double>(state.iterations());
}

// Only keccak256 of every node of the same proofs: the floor any verifier pays.
void BM_ReceiptProofKeccakOnly(benchmark::State& state) {
  const Block& b = block();
  std::size_t index = 0;
  std::size_t hashed = 0;
  for (auto _ : state) {
    for (ByteView node : b.views[index]) {
      benchmark::DoNotOptimize(keccak256(node));
      hashed += node.size();
    }
    index = (index + 1) % kReceipts;
  }
  state.counters["proofs_per_s"] = benchmark::Counter(static_cast<double>(state.iterations()),
                                                      benchmark::Counter::kIsRate);
  state.counters["hashed_bytes"] = static_cast<double>(hashed) / static_cast<double>(state.iterations());
}

void BM_BuildReceiptsRoot(benchmark::State& state) {
  std::vector<Bytes> receipts;
  for (std::uint64_t i = 0; i < kReceipts; ++i) receipts.push_back(eip1559_receipt(i));
  for (auto _ : state) benchmark::DoNotOptimize(mpt::indexed_trie(receipts).root());
}

}  // namespace

BENCHMARK(BM_VerifyReceiptProof);
BENCHMARK(BM_ReceiptProofKeccakOnly);
BENCHMARK(BM_BuildReceiptsRoot)->Unit(benchmark::kMillisecond);
