// Hash throughput: our Keccak-256 (Crypto++) against OpenSSL SHA3-256, which runs the same
// Keccak-f[1600] permutation and is the reference; plus SHA-256 and SM3.
#include <benchmark/benchmark.h>
#include <openssl/evp.h>

#include "relay/core/hash.hpp"

using namespace causeway::core;

namespace {

Bytes input(std::size_t size) { return Bytes(size, 0x5a); }

void BM_Keccak256(benchmark::State& state) {
  const Bytes data = input(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(keccak256(data));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

void BM_OpenSslSha3_256(benchmark::State& state) {
  const Bytes data = input(static_cast<std::size_t>(state.range(0)));
  EVP_MD* md = EVP_MD_fetch(nullptr, "SHA3-256", nullptr);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  unsigned char out[32];
  unsigned int len = 0;
  for (auto _ : state) {
    EVP_DigestInit_ex2(ctx, md, nullptr);
    EVP_DigestUpdate(ctx, data.data(), data.size());
    EVP_DigestFinal_ex(ctx, out, &len);
    benchmark::DoNotOptimize(out);
  }
  EVP_MD_CTX_free(ctx);
  EVP_MD_free(md);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

void BM_Sha256(benchmark::State& state) {
  const Bytes data = input(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(sha256(data));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

void BM_Sm3(benchmark::State& state) {
  const Bytes data = input(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(sm3(data));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

}  // namespace

BENCHMARK(BM_Keccak256)->Arg(32)->Arg(1024)->Arg(65536);
BENCHMARK(BM_OpenSslSha3_256)->Arg(32)->Arg(1024)->Arg(65536);
BENCHMARK(BM_Sha256)->Arg(32)->Arg(1024)->Arg(65536);
BENCHMARK(BM_Sm3)->Arg(32)->Arg(1024);
