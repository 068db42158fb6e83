// QBFT catch-up throughput: headers a BftFollower verifies per second (decode, filtered hashes,
// one ecrecover per committed seal) on a chain of 4 or 7 validators sealed here with test keys.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "relay/core/hash.hpp"
#include "relay/core/rlp.hpp"
#include "relay/core/secp256k1.hpp"
#include "relay/verify/evm_finality.hpp"

using namespace causeway;
using namespace causeway::verify;

namespace {

template <typename T>
T must(core::Result<T> result) {
  if (!result.ok()) std::abort();
  return std::move(result).value();
}

struct Chain {
  Checkpoint checkpoint;
  ValidatorSet validators;
  std::vector<core::Bytes> headers;
};

core::Bytes header_rlp(const core::Hash32& parent, const core::Address& coinbase, std::uint64_t number,
                       core::ByteView extra) {
  const core::Bytes zero32(32, 0), bloom(256, 0), nonce(8, 0);
  const core::Hash32 root = core::keccak256(core::as_bytes("bench/state/" + std::to_string(number)));
  const core::Bytes ommers{0x1d, 0xcc, 0x4d, 0xe8, 0xde, 0xc7, 0x5d, 0x7a, 0xab, 0x85, 0xb5, 0x67, 0xb6, 0xcc, 0xd4, 0x1a,
                           0xd3, 0x12, 0x45, 0x1b, 0x94, 0x8a, 0x74, 0x13, 0xf0, 0xa1, 0x42, 0xfd, 0x40, 0xd4, 0x93, 0x47};
  core::rlp::Encoder e(1024);
  e.begin_list();
  e.add_string(parent.view()).add_string(ommers).add_string(coinbase.view()).add_string(root.view());
  e.add_string(root.view()).add_string(root.view()).add_string(bloom).add_uint(1).add_uint(number);
  e.add_uint(30000000).add_uint(0).add_uint(1700000000 + number).add_string(extra);
  e.add_string(kIstanbulMixHash).add_string(nonce).add_uint(7);
  e.end_list();
  return std::move(e).take();
}

Chain make_chain(std::size_t validators, std::size_t length) {
  std::vector<core::PrivateKey> keys;
  std::vector<std::pair<core::Address, std::size_t>> order;
  for (std::size_t i = 0; i < validators; ++i) {
    const core::Hash32 secret = core::keccak256(core::as_bytes("causeway/bench/key/" + std::to_string(i)));
    keys.push_back(must(core::PrivateKey::from_bytes(secret.view())));
    order.emplace_back(core::address_of(keys.back()), i);
  }
  std::sort(order.begin(), order.end());
  Chain chain;
  for (const auto& [address, index] : order) chain.validators.members.push_back(address);
  chain.validators.from_height = 1;
  chain.checkpoint = {0, core::keccak256(core::as_bytes("causeway/bench/genesis"))};

  const core::Bytes vanity(32, 0);
  core::Hash32 parent = chain.checkpoint.hash;
  const std::size_t quorum = bft_quorum(validators);
  for (std::uint64_t number = 1; number <= length; ++number) {
    BftExtra extra;
    extra.vanity = vanity;
    extra.validators = chain.validators.members;
    extra.round = static_cast<std::uint32_t>(number % 2);
    const core::Address proposer = chain.validators.members[number % validators];
    const core::Bytes unsealed = header_rlp(parent, proposer, number, encode_bft_extra(BftEngine::kQbft, extra));
    const EvmHeader header = must(decode_evm_header(unsealed));
    const BftExtra decoded = must(decode_bft_extra(BftEngine::kQbft, header));
    const core::Hash32 digest = bft_commit_digest(BftEngine::kQbft, header, decoded);
    std::vector<std::array<std::uint8_t, 65>> seals;
    for (std::size_t i = 0; i < quorum; ++i) {
      const auto& key = keys[order[(number + i) % validators].second];
      seals.push_back(must(core::sign_recoverable(digest, key)).to_rsv(core::VByte::k0or1));
    }
    for (const auto& seal : seals) extra.committed_seals.emplace_back(seal);
    chain.headers.push_back(encode_with_extra(header, encode_bft_extra(BftEngine::kQbft, extra)));
    parent = bft_block_hash(BftEngine::kQbft, header, decoded);
  }
  return chain;
}

void BM_QbftFollow(benchmark::State& state) {
  const auto chain = make_chain(static_cast<std::size_t>(state.range(0)), 64);
  for (auto _ : state) {
    auto follower = must(BftFollower::start(BftEngine::kQbft, chain.checkpoint, chain.validators));
    for (const auto& header : chain.headers) {
      auto accepted = follower.follow(header);
      if (!accepted.ok()) {
        state.SkipWithError(accepted.error().message().c_str());
        return;
      }
      benchmark::DoNotOptimize(accepted);
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * chain.headers.size()));
  state.counters["headers_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations() * chain.headers.size()), benchmark::Counter::kIsRate);
}

}  // namespace

BENCHMARK(BM_QbftFollow)->Arg(4)->Arg(7)->Unit(benchmark::kMillisecond);
