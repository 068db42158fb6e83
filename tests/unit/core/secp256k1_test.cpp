// Tests for relay/core/secp256k1: RFC 6979 signing, ecrecover's rejection rules (THREATS 3, 4, 6),
// addresses and EIP-55, and the three Wycheproof secp256k1 suites under the relay's low-s policy.
#include <catch2/catch.hpp>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <concepts>
#include <cstdio>
#include <memory>
#include <ostream>
#include <set>
#include <type_traits>

#include "relay/core/hash.hpp"
#include "relay/core/secp256k1.hpp"
#include "tests/support/vectors.hpp"

using namespace causeway::core;
using causeway::test::hex;

namespace {

using Scalar = std::array<std::uint8_t, 32>;

// constexpr, because Catch2's assertions (inside hex()) cannot run during static initialisation.
constexpr Scalar constant(std::string_view text) {
  Scalar out{};
  auto digit = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  for (std::size_t i = 0; i < 32; ++i) {
    out[i] = static_cast<std::uint8_t>(digit(text[2 * i]) * 16 + digit(text[2 * i + 1]));
  }
  return out;
}

constexpr Scalar kN = constant("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
constexpr Scalar kHalfN = constant("7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0");

// n − s, written out here rather than borrowed from the code under test.
Scalar n_minus(const Scalar& s) {
  Scalar out{};
  int borrow = 0;
  for (int i = 31; i >= 0; --i) {
    const int diff = kN[static_cast<std::size_t>(i)] - s[static_cast<std::size_t>(i)] - borrow;
    borrow = diff < 0 ? 1 : 0;
    out[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(diff + (borrow ? 256 : 0));
  }
  return out;
}

PrivateKey key_from_hex(std::string_view text) {
  auto key = PrivateKey::from_hex(text);
  REQUIRE(key.ok());
  return std::move(key).value();
}

template <typename T>
concept Streamable = requires(std::ostream& os, const T& value) { os << value; };

Hash32 digest_of(std::string_view text) { return keccak256(as_bytes(text)); }

// Ethereum's test key from web3 documentation; its valid signature is the fixture every
// negative case below mutates in exactly one field.
constexpr std::string_view kDocKey = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";

struct Fixture {
  PrivateKey key = key_from_hex(kDocKey);
  Hash32 digest = digest_of("causeway: rfc6979 known answer");
  RecoverableSignature sig = sign_recoverable(digest, key).value();
  Address signer = address_of(key);
};

Reason reason_of(const Result<Address>& result) {
  REQUIRE_FALSE(result.ok());
  return result.error().reason();
}

}  // namespace

TEST_CASE("anyswap: signing is deterministic (RFC 6979)", "[unit]") {
  const PrivateKey key = key_from_hex(kDocKey);
  const Hash32 digest = digest_of("causeway: rfc6979 known answer");
  const auto first = sign_recoverable(digest, key);
  const auto second = sign_recoverable(digest, key);
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  CHECK(*first == *second);

  // A different digest must give a different nonce, hence a different r: the Anyswap loss came
  // from two signatures sharing r, which reveals the key.
  const auto other = sign_recoverable(digest_of("causeway: second digest"), key);
  REQUIRE(other.ok());
  CHECK(other->r != first->r);

  // Known answer computed independently with ethers 6.17.0 (deploy/devnet/node_modules):
  //   new ethers.SigningKey(kDocKey).sign(keccak256(toUtf8Bytes("causeway: rfc6979 known answer")))
  CHECK(to_hex(digest) == "0x1004c08e055fd49af6e4f5208aa5a6e6460211472beb67e4d75e4e638e341335");
  CHECK(to_hex(ByteView(first->to_rsv())) ==
        "0xd446799d9dec7694d67dcaca570f5b149c83b15851f4e56a7ed01e98a78d6391"
        "29f9e6349a64a5253f87f2b9605091eafa4f6c0eeccf6d8af15a0ff5a75499f41c");
  // Same tool, digest keccak256("causeway: second digest").
  CHECK(to_hex(ByteView(other->to_rsv())) ==
        "0x36f3a9d0acf158484a1a8e8fe50c4ba885c0ca3b17755779cd472c5622512371"
        "08dfce24dc4ec43f32b628ad753a329d89fed7bdbdf2ee710fe78ab885a43a961b");
}

TEST_CASE("signing reproduces the EIP-155 example signature", "[vectors]") {
  auto vectors = causeway::test::load_json_vector("evm/eip155_example.json");
  if (!vectors) return;
  const auto& v = *vectors;
  const PrivateKey key = key_from_hex(v["private_key"].get<std::string>());
  const Hash32 digest = Hash32::from(hex(v["signing_hash"].get<std::string>())).value();
  const auto sig = sign_recoverable(digest, key);
  REQUIRE(sig.ok());
  CHECK(to_hex(ByteView(sig->r)) == v["r"].get<std::string>());
  CHECK(to_hex(ByteView(sig->s)) == v["s"].get<std::string>());
  CHECK(sig->recovery_id == v["recovery_id"].get<int>());
  const auto sender = recover_address(digest, *sig);
  REQUIRE(sender.ok());
  CHECK(to_hex(*sender) == v["sender"].get<std::string>());
  causeway::test::report_cases("evm/eip155_example.json signature", 1);
}

TEST_CASE("FISCO BCOS 3 sealer signatures (v = 0/1) recover to the sealer list", "[vectors]") {
  auto vectors = causeway::test::load_json_vector("fisco/bcos3_rc_header.json");
  if (!vectors) return;
  const auto& result = (*vectors)["rpc_response"]["result"];
  const Hash32 digest = Hash32::from(hex(result["hash"].get<std::string>())).value();
  std::size_t executed = 0;
  for (const auto& entry : result["signatureList"]) {
    const Bytes sig = hex(entry["signature"].get<std::string>());
    const Bytes sealer = hex(result["sealerList"][entry["sealerIndex"].get<std::size_t>()].get<std::string>());
    const auto recovered = recover_public_key(digest, sig, VByte::k0or1);
    REQUIRE(recovered.ok());
    const auto uncompressed = recovered->uncompressed();
    CHECK(Bytes(uncompressed.begin() + 1, uncompressed.end()) == sealer);
    // The same bytes under the Ethereum-only policy are refused: v is 0 or 1 here.
    CHECK(recover_public_key(digest, sig, VByte::k27or28).error().reason() == reason::secp256k1::kBadRecoveryId);
    ++executed;
  }
  causeway::test::report_cases("fisco/bcos3_rc_header.json signatures", executed);
}

TEST_CASE("ethereum address derivation known answers", "[unit]") {
  // The first account of the standard test mnemonic (Hardhat, Anvil).
  const PrivateKey hardhat = key_from_hex("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
  CHECK(to_checksum_hex(address_of(hardhat)) == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
  // ethers 6.17.0: computeAddress(kDocKey), and its SigningKey.publicKey.
  const PrivateKey doc = key_from_hex(kDocKey);
  CHECK(to_checksum_hex(address_of(doc)) == "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23");
  CHECK(to_hex(ByteView(public_key_of(doc).uncompressed())) ==
        "0x044e3b81af9c2234cad09d679ce6035ed1392347ce64ce405f5dcd36228a25de6e"
        "47fd35c4215d1edf53e6f83de344615ce719bdb0fd878f6ed76f06dd277956de");
}

TEST_CASE("EIP-55 checksums match the EIP's examples", "[unit]") {
  // From the EIP-55 text; ethers' getAddress agrees.
  for (std::string_view expected : {"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
                                    "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
                                    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
                                    "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"}) {
    const auto address = parse_checksummed_address(expected);
    REQUIRE(address.ok());
    CHECK(to_checksum_hex(*address) == expected);
  }
  CHECK(parse_checksummed_address("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed").ok());
  CHECK(parse_checksummed_address("0x5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED").ok());
  // One letter's case flipped.
  CHECK(parse_checksummed_address("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD").error().reason() ==
        reason::eip55::kBadChecksum);
}

TEST_CASE("private keys are validated, unprintable and not copyable", "[unit]") {
  static_assert(!std::is_copy_constructible_v<PrivateKey>);
  static_assert(!std::is_copy_assignable_v<PrivateKey>);
  static_assert(!Streamable<PrivateKey>);
  static_assert(Streamable<int>);  // the probe itself works
  CHECK(PrivateKey::from_bytes(Bytes(32, 0)).error().reason() == reason::secp256k1::kBadPrivateKey);
  CHECK(PrivateKey::from_bytes(Bytes(31, 1)).error().reason() == reason::secp256k1::kBadPrivateKey);
  CHECK(PrivateKey::from_bytes(kN).error().reason() == reason::secp256k1::kBadPrivateKey);
  CHECK(PrivateKey::from_hex("0xzz").error().reason() == reason::secp256k1::kBadPrivateKey);
  Scalar below_n = kN;
  below_n[31] = 0x40;
  CHECK(PrivateKey::from_bytes(below_n).ok());
  // A moved key still signs (the move carries the secret; the source is wiped).
  PrivateKey moved = key_from_hex(kDocKey);
  PrivateKey target = std::move(moved);
  CHECK(address_of(target) == address_of(key_from_hex(kDocKey)));
}

TEST_CASE("public keys parse in both SEC1 forms and reject points off the curve", "[unit]") {
  const auto pub = public_key_of(key_from_hex(kDocKey));
  const auto from_compressed = Secp256k1PublicKey::parse(pub.compressed());
  const auto from_uncompressed = Secp256k1PublicKey::parse(pub.uncompressed());
  REQUIRE(from_compressed.ok());
  REQUIRE(from_uncompressed.ok());
  CHECK(*from_compressed == pub);
  CHECK(*from_uncompressed == pub);
  auto off_curve = pub.uncompressed();
  off_curve[64] ^= 1;
  CHECK(Secp256k1PublicKey::parse(off_curve).error().reason() == reason::secp256k1::kBadPublicKey);
  auto hybrid = pub.uncompressed();
  hybrid[0] = static_cast<std::uint8_t>(0x06 | (hybrid[64] & 1));
  CHECK(Secp256k1PublicKey::parse(hybrid).error().reason() == reason::secp256k1::kBadPublicKey);
  CHECK(Secp256k1PublicKey::parse(ByteView(pub.uncompressed()).first(64)).error().reason() ==
        reason::secp256k1::kBadPublicKey);
}

TEST_CASE("recovery returns the signer and verify accepts both encodings", "[unit]") {
  const Fixture f;
  CHECK(recover_address(f.digest, f.sig).value() == f.signer);
  CHECK(recover_address(f.digest, f.sig.to_rsv()).value() == f.signer);
  CHECK(recover_address(f.digest, f.sig.to_rsv(VByte::k0or1)).value() == f.signer);
  const auto pub = public_key_of(f.key);
  CHECK(recover_public_key(f.digest, f.sig).value() == pub);
  const EcdsaSignature plain{f.sig.r, f.sig.s};
  CHECK(verify_secp256k1(f.digest, encode_compact(plain), SignatureEncoding::kCompact, pub).ok());
  CHECK(verify_secp256k1(f.digest, encode_der(plain), SignatureEncoding::kDer, pub).ok());
  const auto other = public_key_of(key_from_hex("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"));
  CHECK(verify_secp256k1(f.digest, encode_compact(plain), SignatureEncoding::kCompact, other).error().reason() ==
        reason::secp256k1::kMismatch);
  CHECK(verify_secp256k1(digest_of("other"), encode_compact(plain), SignatureEncoding::kCompact, pub)
            .error()
            .reason() == reason::secp256k1::kMismatch);
}

TEST_CASE("the v byte policy: 27/28, 0/1 or either", "[unit]") {
  const Fixture f;
  const auto legacy = f.sig.to_rsv(VByte::k27or28);
  const auto raw = f.sig.to_rsv(VByte::k0or1);
  CHECK(RecoverableSignature::from_rsv(legacy).value() == f.sig);
  CHECK(RecoverableSignature::from_rsv(raw).error().reason() == reason::secp256k1::kBadRecoveryId);
  CHECK(RecoverableSignature::from_rsv(raw, VByte::k0or1).value() == f.sig);
  CHECK(RecoverableSignature::from_rsv(legacy, VByte::k0or1).error().reason() == reason::secp256k1::kBadRecoveryId);
  CHECK(RecoverableSignature::from_rsv(raw, VByte::kAny).value() == f.sig);
  CHECK(RecoverableSignature::from_rsv(legacy, VByte::kAny).value() == f.sig);
}

// ---- THREATS 6: each case mutates one field of the valid fixture --------------------------------

TEST_CASE("ecrecover: recovery id out of range is rejected before libsecp256k1 is called", "[unit]") {
  const Fixture f;
  // Through the 65-byte form: v = 2, 3 are libsecp256k1-legal ids Ethereum refuses; 29 and 255
  // would map to ids libsecp256k1 aborts the process on. Reaching the end of this test is the
  // evidence that the check comes first.
  for (std::uint8_t v : {std::uint8_t{2}, std::uint8_t{3}, std::uint8_t{29}, std::uint8_t{255}}) {
    auto sig = f.sig.to_rsv();
    sig[64] = v;
    CHECK(reason_of(recover_address(f.digest, sig)) == reason::secp256k1::kBadRecoveryId);
  }
  // Through the struct: id 4 and 255 would abort inside secp256k1_ecdsa_recoverable_signature_parse_compact.
  for (std::uint8_t id : {std::uint8_t{2}, std::uint8_t{3}, std::uint8_t{4}, std::uint8_t{255}}) {
    RecoverableSignature sig = f.sig;
    sig.recovery_id = id;
    CHECK(reason_of(recover_address(f.digest, sig)) == reason::secp256k1::kBadRecoveryId);
  }
}

TEST_CASE("ecrecover: high-s malleable twin is rejected (EIP-2)", "[unit]") {
  const Fixture f;
  REQUIRE(f.sig.s <= kHalfN);  // signing always produces low-s
  RecoverableSignature twin = f.sig;
  twin.s = n_minus(f.sig.s);
  twin.recovery_id ^= 1;  // the twin of (r, s, v) is (r, n − s, v ^ 1): mathematically valid
  CHECK(reason_of(recover_address(f.digest, twin)) == reason::secp256k1::kHighS);
  CHECK(reason_of(recover_address(f.digest, twin.to_rsv())) == reason::secp256k1::kHighS);
  // s = n/2 is the largest low s and passes the range rule (then fails or recovers some key, never
  // kHighS); n/2 + 1 is the smallest high s.
  RecoverableSignature boundary = f.sig;
  boundary.s = kHalfN;
  auto at_half = recover_address(f.digest, boundary);
  if (!at_half.ok()) CHECK(at_half.error().reason() != reason::secp256k1::kHighS);
  boundary.s[31] += 1;
  CHECK(reason_of(recover_address(f.digest, boundary)) == reason::secp256k1::kHighS);
  // verify applies the same policy.
  const auto pub = public_key_of(f.key);
  const EcdsaSignature high{twin.r, twin.s};
  CHECK(verify_secp256k1(f.digest, encode_compact(high), SignatureEncoding::kCompact, pub).error().reason() ==
        reason::secp256k1::kHighS);
}

TEST_CASE("ecrecover: r = 0, s = 0, r >= n and s >= n are rejected", "[unit]") {
  const Fixture f;
  RecoverableSignature sig = f.sig;
  sig.r = Scalar{};
  CHECK(reason_of(recover_address(f.digest, sig)) == reason::secp256k1::kZeroR);
  sig = f.sig;
  sig.s = Scalar{};
  CHECK(reason_of(recover_address(f.digest, sig)) == reason::secp256k1::kZeroS);
  sig = f.sig;
  sig.r = kN;
  CHECK(reason_of(recover_address(f.digest, sig)) == reason::secp256k1::kROutOfRange);
  sig.r.fill(0xff);
  CHECK(reason_of(recover_address(f.digest, sig)) == reason::secp256k1::kROutOfRange);
  sig = f.sig;
  sig.s = kN;
  CHECK(reason_of(recover_address(f.digest, sig)) == reason::secp256k1::kSOutOfRange);
}

TEST_CASE("ecrecover: wrong length 64 or 66 is rejected", "[unit]") {
  const Fixture f;
  const auto rsv = f.sig.to_rsv();
  CHECK(reason_of(recover_address(f.digest, ByteView(rsv).first(64))) == reason::secp256k1::kWrongLength);
  Bytes longer(rsv.begin(), rsv.end());
  longer.push_back(0);
  CHECK(reason_of(recover_address(f.digest, longer)) == reason::secp256k1::kWrongLength);
  CHECK(reason_of(recover_address(f.digest, Bytes{})) == reason::secp256k1::kWrongLength);
}

TEST_CASE("ecrecover: r with no curve point fails recovery with a reason", "[unit]") {
  const Fixture f;
  RecoverableSignature sig = f.sig;
  // x = 5: 5^3 + 7 is not a square mod p, so no point has this x (checked with Python).
  sig.r = Scalar{};
  sig.r[31] = 5;
  CHECK(reason_of(recover_address(f.digest, sig)) == reason::secp256k1::kRecoveryFailed);
}

TEST_CASE("ecrecover: the zero address is never returned", "[unit]") {
  // A key whose address is zero cannot be found, so the guard is tested directly, and a sweep of
  // one-bit mutations shows recovery yields either a reason or some other non-zero address.
  CHECK(require_nonzero_signer(Address{}).error().reason() == reason::secp256k1::kZeroAddress);
  const Fixture f;
  std::size_t recovered_other = 0;
  for (std::size_t bit = 0; bit < 64 * 8; bit += 7) {
    auto rsv = f.sig.to_rsv();
    rsv[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    const auto result = recover_address(f.digest, rsv);
    if (result.ok()) {
      CHECK_FALSE(result->is_zero());
      CHECK(*result != f.signer);
      ++recovered_other;
    }
  }
  CHECK(recovered_other > 0);
}

// ---- THREATS 3 and 4: identities, not bytes; external (HSM-style) signatures -------------------

namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* key) const noexcept { EVP_PKEY_free(key); }
};

// The same secret as an OpenSSL key, to make randomised-nonce ECDSA signatures: what an HSM
// returns, and a second distinct signature by the same key over the same digest.
std::unique_ptr<EVP_PKEY, PkeyFree> openssl_secp256k1_key(std::string_view secret_hex, const Secp256k1PublicKey& pub) {
  const Bytes secret = hex(secret_hex);
  std::unique_ptr<BIGNUM, decltype(&BN_free)> d(BN_bin2bn(secret.data(), static_cast<int>(secret.size()), nullptr),
                                                &BN_free);
  const auto point = pub.uncompressed();
  std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)> build(OSSL_PARAM_BLD_new(), &OSSL_PARAM_BLD_free);
  REQUIRE(OSSL_PARAM_BLD_push_utf8_string(build.get(), OSSL_PKEY_PARAM_GROUP_NAME, "secp256k1", 0) == 1);
  REQUIRE(OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_PRIV_KEY, d.get()) == 1);
  REQUIRE(OSSL_PARAM_BLD_push_octet_string(build.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) == 1);
  std::unique_ptr<OSSL_PARAM, decltype(&OSSL_PARAM_free)> params(OSSL_PARAM_BLD_to_param(build.get()), &OSSL_PARAM_free);
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr),
                                                                  &EVP_PKEY_CTX_free);
  EVP_PKEY* key = nullptr;
  REQUIRE(EVP_PKEY_fromdata_init(ctx.get()) == 1);
  REQUIRE(EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_KEYPAIR, params.get()) == 1);
  return std::unique_ptr<EVP_PKEY, PkeyFree>(key);
}

EcdsaSignature openssl_sign(EVP_PKEY* key, const Hash32& digest) {
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr),
                                                                  &EVP_PKEY_CTX_free);
  REQUIRE(EVP_PKEY_sign_init(ctx.get()) == 1);
  Bytes der(80);
  std::size_t length = der.size();
  REQUIRE(EVP_PKEY_sign(ctx.get(), der.data(), &length, digest.data(), digest.size()) == 1);
  der.resize(length);
  return parse_ecdsa_signature(der, SignatureEncoding::kDer).value();
}

}  // namespace

TEST_CASE("chainswap: distinct signatures by one key recover one signer", "[unit]") {
  const Fixture f;
  const auto pub = public_key_of(f.key);
  auto hsm = openssl_secp256k1_key(kDocKey, pub);
  std::set<Address> signers;
  std::set<Bytes> signature_bytes;
  std::size_t high_s_seen = 0;
  signers.insert(recover_address(f.digest, f.sig).value());
  const auto fixture_rsv = f.sig.to_rsv();
  signature_bytes.insert(Bytes(fixture_rsv.begin(), fixture_rsv.end()));
  for (int i = 0; i < 8; ++i) {
    const EcdsaSignature external = openssl_sign(hsm.get(), f.digest);  // random nonce each time
    if (external.s > kHalfN) ++high_s_seen;
    const auto recoverable = make_recoverable(f.digest, external, pub);
    REQUIRE(recoverable.ok());
    CHECK(recoverable->s <= kHalfN);
    const auto rsv = recoverable->to_rsv();
    signature_bytes.insert(Bytes(rsv.begin(), rsv.end()));
    signers.insert(recover_address(f.digest, rsv).value());
  }
  // Nine different signature byte strings, one member: a quorum counter keyed by signature bytes
  // would count nine votes.
  CHECK(signature_bytes.size() == 9);
  CHECK(signers.size() == 1);
  CHECK(*signers.begin() == f.signer);
  INFO("high-s signatures normalised: " << high_s_seen);
  // An external signature checked against a key that did not make it is refused.
  const auto stranger = public_key_of(key_from_hex("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"));
  CHECK(make_recoverable(f.digest, openssl_sign(hsm.get(), f.digest), stranger).error().reason() ==
        reason::secp256k1::kNotFromSigner);
}

// ---- Wycheproof ----------------------------------------------------------------------------------

namespace {

// Runs one Wycheproof secp256k1 file under the relay's policy: valid and low-s → accept; valid and
// high-s → reject with kHighS; invalid → reject (any reason). No test in these files is
// "acceptable"; if a future version adds one, it runs (must not crash) but asserts nothing, and is
// counted separately.
void run_wycheproof_secp256k1(std::string_view file, SignatureEncoding encoding) {
  auto vectors = causeway::test::load_json_vector(file);
  if (!vectors) return;
  std::size_t executed = 0, accepted = 0, high_s = 0, acceptable = 0;
  for (const auto& group : (*vectors)["testGroups"]) {
    const auto key = Secp256k1PublicKey::parse(hex(group["publicKey"]["uncompressed"].get<std::string>()));
    REQUIRE(key.ok());
    for (const auto& test : group["tests"]) {
      const Bytes message = hex(test["msg"].get<std::string>());
      const Bytes signature = hex(test["sig"].get<std::string>());
      const std::string expected = test["result"].get<std::string>();
      INFO(file << " tcId " << test["tcId"].get<int>() << ": " << test["comment"].get<std::string>());
      const auto result = verify_secp256k1(sha256(message), signature, encoding, *key);
      ++executed;
      if (expected == "acceptable") {
        ++acceptable;
        continue;
      }
      if (expected == "invalid") {
        CHECK_FALSE(result.ok());
        // The bitcoin file's malleability cases are otherwise valid signatures with s > n/2.
        for (const auto& flag : test["flags"]) {
          if (flag == "SignatureMalleabilityBitcoin" && !result.ok()) {
            CHECK(result.error().reason() == reason::secp256k1::kHighS);
            ++high_s;
          }
        }
        continue;
      }
      REQUIRE(expected == "valid");
      const auto parsed = parse_ecdsa_signature(signature, encoding);
      REQUIRE(parsed.ok());
      if (parsed->s > kHalfN) {
        ++high_s;
        REQUIRE_FALSE(result.ok());
        CHECK(result.error().reason() == reason::secp256k1::kHighS);
      } else {
        ++accepted;
        CHECK(result.ok());
      }
    }
  }
  std::printf("[vectors] %.*s: %zu accepted, %zu high-s rejected with kHighS, %zu acceptable\n",
              static_cast<int>(file.size()), file.data(), accepted, high_s, acceptable);
  causeway::test::report_cases(file, executed);
}

}  // namespace

TEST_CASE("wycheproof secp256k1 DER under the low-s policy", "[vectors]") {
  run_wycheproof_secp256k1("ecdsa/ecdsa_secp256k1_sha256_test.json", SignatureEncoding::kDer);
}

TEST_CASE("wycheproof secp256k1 bitcoin (high-s rejected)", "[vectors]") {
  run_wycheproof_secp256k1("ecdsa/ecdsa_secp256k1_sha256_bitcoin_test.json", SignatureEncoding::kDer);
}

TEST_CASE("wycheproof secp256k1 P1363 under the low-s policy", "[vectors]") {
  run_wycheproof_secp256k1("ecdsa/ecdsa_secp256k1_sha256_p1363_test.json", SignatureEncoding::kCompact);
}
