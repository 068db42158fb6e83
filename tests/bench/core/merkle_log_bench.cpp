// RFC 6962 log figures for a tree of 2^20 leaves: inclusion and consistency verification (the
// relay's hot path when auditing), proof generation, prefix roots and building the tree.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <vector>

#include "relay/core/merkle_log.hpp"

using namespace causeway::core;

namespace {

constexpr std::uint64_t kLeaves = std::uint64_t{1} << 20;
constexpr std::size_t kSamples = 4096;  // cycled over, so no one proof stays hot in L1

std::vector<Hash32> make_leaves(std::uint64_t count) {
  std::vector<Hash32> leaves(count);
  for (std::uint64_t i = 0; i < count; ++i) {
    const std::uint8_t data[8] = {static_cast<std::uint8_t>(i >> 56), static_cast<std::uint8_t>(i >> 48),
                                  static_cast<std::uint8_t>(i >> 40), static_cast<std::uint8_t>(i >> 32),
                                  static_cast<std::uint8_t>(i >> 24), static_cast<std::uint8_t>(i >> 16),
                                  static_cast<std::uint8_t>(i >> 8),  static_cast<std::uint8_t>(i)};
    leaves[i] = leaf_hash(ByteView(data, 8));
  }
  return leaves;
}

const std::vector<Hash32>& leaves() {
  static const std::vector<Hash32> all = make_leaves(kLeaves);
  return all;
}

const MerkleLog& big_log() {
  static const MerkleLog log = [] {
    MerkleLog built;
    for (const auto& leaf : leaves()) built.append(leaf);
    return built;
  }();
  return log;
}

struct InclusionSample {
  Hash32 leaf;
  std::uint64_t index;
  std::vector<Hash32> proof;
};

const std::vector<InclusionSample>& inclusion_samples() {
  static const std::vector<InclusionSample> samples = [] {
    std::mt19937_64 rng(6962);
    std::vector<InclusionSample> out;
    for (std::size_t i = 0; i < kSamples; ++i) {
      const std::uint64_t index = rng() % kLeaves;
      out.push_back({leaves()[index], index, big_log().inclusion_proof(index, kLeaves).value()});
    }
    return out;
  }();
  return samples;
}

void BM_MerkleVerifyInclusion(benchmark::State& state) {
  const auto& samples = inclusion_samples();
  const Hash32 root = big_log().root();
  std::size_t i = 0;
  for (auto _ : state) {
    const auto& s = samples[i++ % kSamples];
    auto result = verify_inclusion(s.leaf, s.index, kLeaves, s.proof, root);
    if (!result.ok()) state.SkipWithError("valid proof rejected");
    benchmark::DoNotOptimize(result);
  }
  state.counters["verifications_per_s"] = benchmark::Counter(static_cast<double>(state.iterations()),
                                                             benchmark::Counter::kIsRate);
}

void BM_MerkleVerifyConsistency(benchmark::State& state) {
  struct Sample {
    std::uint64_t old_size;
    Hash32 old_root;
    std::vector<Hash32> proof;
  };
  std::mt19937_64 rng(2459);
  std::vector<Sample> samples;
  for (std::size_t i = 0; i < kSamples; ++i) {
    const std::uint64_t old_size = 1 + rng() % kLeaves;
    samples.push_back({old_size, big_log().root_at(old_size).value(), big_log().consistency_proof(old_size, kLeaves).value()});
  }
  const Hash32 root = big_log().root();
  std::size_t i = 0;
  for (auto _ : state) {
    const auto& s = samples[i++ % kSamples];
    auto result = verify_consistency(s.old_size, kLeaves, s.old_root, root, s.proof);
    if (!result.ok()) state.SkipWithError("valid proof rejected");
    benchmark::DoNotOptimize(result);
  }
  state.counters["verifications_per_s"] = benchmark::Counter(static_cast<double>(state.iterations()),
                                                             benchmark::Counter::kIsRate);
}

void BM_MerkleInclusionProof(benchmark::State& state) {
  // A size just below 2^20 so right edges are ragged and some siblings must be hashed.
  const std::uint64_t size = kLeaves - 12345;
  std::mt19937_64 rng(1);
  std::vector<std::uint64_t> indices(kSamples);
  for (auto& index : indices) index = rng() % size;
  std::size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(big_log().inclusion_proof(indices[i++ % kSamples], size));
  state.counters["proofs_per_s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_MerkleConsistencyProof(benchmark::State& state) {
  std::mt19937_64 rng(2);
  std::vector<std::uint64_t> sizes(kSamples);
  for (auto& size : sizes) size = 1 + rng() % (kLeaves - 1);
  std::size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(big_log().consistency_proof(sizes[i++ % kSamples], kLeaves - 777));
  state.counters["proofs_per_s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_MerkleRootAtPrefix(benchmark::State& state) {
  std::mt19937_64 rng(3);
  std::vector<std::uint64_t> sizes(kSamples);
  for (auto& size : sizes) size = rng() % kLeaves;
  std::size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(big_log().root_at(sizes[i++ % kSamples]));
  state.counters["roots_per_s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

// Whole-tree figures: one iteration hashes 2^20 leaf hashes up to the root.
void BM_MerkleRootFromLeafHashes(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(root_from_leaf_hashes(leaves()));
  state.counters["leaves_per_s"] = benchmark::Counter(static_cast<double>(state.iterations() * kLeaves),
                                                      benchmark::Counter::kIsRate);
}

void BM_MerkleLogAppend(benchmark::State& state) {
  for (auto _ : state) {
    MerkleLog log;
    for (const auto& leaf : leaves()) log.append(leaf);
    benchmark::DoNotOptimize(log.size());
  }
  state.counters["leaves_per_s"] = benchmark::Counter(static_cast<double>(state.iterations() * kLeaves),
                                                      benchmark::Counter::kIsRate);
}

// The unit cost under all of the above: SHA-256 over 0x01 || left || right (two blocks).
void BM_MerkleNodeHash(benchmark::State& state) {
  Hash32 acc = leaves()[0];
  const Hash32 sibling = leaves()[1];
  for (auto _ : state) {
    acc = node_hash(acc, sibling);
    benchmark::DoNotOptimize(acc);
  }
  state.counters["hashes_per_s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

}  // namespace

BENCHMARK(BM_MerkleVerifyInclusion);
BENCHMARK(BM_MerkleVerifyConsistency);
BENCHMARK(BM_MerkleInclusionProof);
BENCHMARK(BM_MerkleConsistencyProof);
BENCHMARK(BM_MerkleRootAtPrefix);
BENCHMARK(BM_MerkleRootFromLeafHashes)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MerkleLogAppend)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MerkleNodeHash);
