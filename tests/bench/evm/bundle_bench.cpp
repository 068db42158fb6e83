// Bundles built per second by the EVM source from one block of 200 receipts, each with one
// MessageSent: header JSON -> RLP, receipts JSON -> trie (root checked), 200 proofs -> bundles.
// The node is an in-memory stand-in, so the figure is the adapter's own work, not the network's.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "adapters/evm/source.hpp"
#include "tests/unit/evm/fake_chain.hpp"

using namespace causeway;

namespace {

constexpr std::size_t kEvents = 200;

void BM_EvmSourceBundlesFrom200EventBlock(benchmark::State& state) {
  // The in-memory chain of the unit tests: one block of 200 type-2 receipts, one MessageSent each.
  test::FakeChain chain;
  chain.mine(std::vector<test::FakeChain::Tx>(kEvents, test::FakeChain::Tx{.messages = 1}));
  boost::asio::io_context io;
  auto source = evm::EvmSource::create(chain, chain.config());
  if (!source || !test::run_task(io, (*source)->start()).ok()) {
    state.SkipWithError("source did not start");
    return;
  }
  auto events = test::run_task(io, (*source)->scan({.from = 1, .to = 1}));
  if (!events || events->size() != kEvents) {
    state.SkipWithError("scan failed");
    return;
  }
  const evm::ProveRequest request{.block = events->front().block, .events = *events};
  for (auto _ : state) {
    // Header JSON -> RLP (hash checked), receipts JSON -> trie (root checked), 200 proofs, bundles.
    auto result = test::run_task(io, (*source)->prove(request));
    if (!result || result->bundles.size() != kEvents) {
      state.SkipWithError("prove failed");
      return;
    }
    benchmark::DoNotOptimize(result->bundles.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kEvents));
  state.SetLabel("items = bundles");
}
BENCHMARK(BM_EvmSourceBundlesFrom200EventBlock)->Unit(benchmark::kMillisecond);

}  // namespace
