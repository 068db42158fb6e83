// Signature costs that bound relay throughput: secp256k1 recovery (one per seal or attestation),
// RFC 6979 signing, and P-256, SM2 and Ed25519 verification through OpenSSL.
#include <benchmark/benchmark.h>

#include <cstdlib>

#include "relay/core/hash.hpp"
#include "relay/core/secp256k1.hpp"
#include "relay/core/signature.hpp"

using namespace causeway::core;

namespace {

template <typename T>
T must(Result<T> result) {
  if (!result.ok()) std::abort();
  return std::move(result).value();
}

Bytes bytes_of(std::string_view hex) { return must(from_hex(hex)); }

PrivateKey bench_key() {
  return must(PrivateKey::from_hex("0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"));
}

void BM_Secp256k1RecoverAddress(benchmark::State& state) {
  const PrivateKey key = bench_key();
  const Hash32 digest = keccak256(as_bytes("causeway bench"));
  const auto rsv = must(sign_recoverable(digest, key)).to_rsv();
  for (auto _ : state) benchmark::DoNotOptimize(recover_address(digest, rsv));
  state.counters["recoveries/s"] = benchmark::Counter(static_cast<double>(state.iterations()),
                                                      benchmark::Counter::kIsRate);
}

void BM_Secp256k1SignRecoverable(benchmark::State& state) {
  const PrivateKey key = bench_key();
  Hash32 digest = keccak256(as_bytes("causeway bench"));
  for (auto _ : state) {
    digest.bytes[0]++;  // a fresh digest each time, as in real use
    benchmark::DoNotOptimize(sign_recoverable(digest, key));
  }
  state.counters["signatures/s"] = benchmark::Counter(static_cast<double>(state.iterations()),
                                                      benchmark::Counter::kIsRate);
}

void BM_Secp256k1Verify(benchmark::State& state) {
  const PrivateKey key = bench_key();
  const Hash32 digest = keccak256(as_bytes("causeway bench"));
  const auto sig = must(sign_recoverable(digest, key));
  const auto compact = encode_compact(EcdsaSignature{sig.r, sig.s});
  const Secp256k1PublicKey pub = public_key_of(key);
  for (auto _ : state) benchmark::DoNotOptimize(verify_secp256k1(digest, compact, SignatureEncoding::kCompact, pub));
  state.counters["verifications/s"] = benchmark::Counter(static_cast<double>(state.iterations()),
                                                         benchmark::Counter::kIsRate);
}

// Wycheproof ecdsa_secp256r1_sha256_test.json, tcId 1's key, message and signature.
void BM_P256Verify(benchmark::State& state) {
  const auto key = must(P256PublicKey::from_sec1(bytes_of(
      "0404aaec73635726f213fb8a9e64da3b8632e41495a944d0045b522eba7240fad587d9315798aaa3a5ba01775787ced05eaaf7b4"
      "e09fc81d6d1aa546e8365d525d")));
  const Bytes message;  // tcId 1 signs the empty message
  const Bytes sig = bytes_of(
      "3045022100b292a619339f6e567a305c951c0dcbcc42d16e47f219f9e98e76e09d8770b34a02200177e60492c5a8242f76f07bfe3661"
      "bde59ec2a17ce5bd2dab2abebdf89a62e2");
  if (!verify_p256(message, sig, SignatureEncoding::kDer, key).ok()) {
    state.SkipWithError("fixture does not verify");
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(verify_p256(message, sig, SignatureEncoding::kDer, key));
  state.counters["verifications/s"] = benchmark::Counter(static_cast<double>(state.iterations()),
                                                         benchmark::Counter::kIsRate);
}

// GB/T 32918.5 Annex A example.
void BM_Sm2Verify(benchmark::State& state) {
  const auto key = must(Sm2PublicKey::from_bytes(bytes_of(
      "09f9df311e5421a150dd7d161e4bc5c672179fad1833fc076bb08ff356f35020"
      "ccea490ce26775a52dc6ea718cc1aa600aed05fbf35e084a6632f6072da9ad13")));
  const Bytes sig = bytes_of(
      "f5a03b0648d2c4630eeac513e1bb81a15944da3827d5b74143ac7eaceee720b3"
      "b1b6aa29df212fd8763182bc0d421ca1bb9038fd1f7f42d4840b69c485bbc1aa");
  const auto message = as_bytes("message digest");
  if (!verify_sm2(message, sig, SignatureEncoding::kCompact, key).ok()) {
    state.SkipWithError("fixture does not verify");
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(verify_sm2(message, sig, SignatureEncoding::kCompact, key));
  state.counters["verifications/s"] = benchmark::Counter(static_cast<double>(state.iterations()),
                                                         benchmark::Counter::kIsRate);
}

// RFC 8032 section 7.1, TEST 1 (empty message).
void BM_Ed25519Verify(benchmark::State& state) {
  const Bytes key = bytes_of("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  const Bytes sig = bytes_of(
      "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0"
      "595bbe24655141438e7a100b");
  const Bytes message;
  if (!verify_ed25519(message, sig, key).ok()) {
    state.SkipWithError("fixture does not verify");
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(verify_ed25519(message, sig, key));
  state.counters["verifications/s"] = benchmark::Counter(static_cast<double>(state.iterations()),
                                                         benchmark::Counter::kIsRate);
}

}  // namespace

BENCHMARK(BM_Secp256k1RecoverAddress);
BENCHMARK(BM_Secp256k1SignRecoverable);
BENCHMARK(BM_Secp256k1Verify);
BENCHMARK(BM_P256Verify);
BENCHMARK(BM_Sm2Verify);
BENCHMARK(BM_Ed25519Verify);
