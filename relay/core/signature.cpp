// ECDSA P-256, SM2 and Ed25519 verification and Ed25519 signing through OpenSSL 3 EVP, and the
// strict ECDSA signature codec. Every OpenSSL handle is owned by a unique_ptr; signatures are decoded and
// range-checked here first so each rejection has a named reason before OpenSSL sees the bytes.
#include "relay/core/signature.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "relay/core/hash.hpp"

namespace causeway::core {

void detail::EvpPkeyDeleter::operator()(evp_pkey_st* key) const noexcept { EVP_PKEY_free(key); }

namespace {

using Scalar = std::array<std::uint8_t, 32>;

struct EvpPkeyCtxDeleter {
  void operator()(EVP_PKEY_CTX* ctx) const noexcept { EVP_PKEY_CTX_free(ctx); }
};
struct EvpMdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const noexcept { EVP_MD_CTX_free(ctx); }
};
struct EcdsaSigDeleter {
  void operator()(ECDSA_SIG* sig) const noexcept { ECDSA_SIG_free(sig); }
};
struct BignumDeleter {
  void operator()(BIGNUM* bn) const noexcept { BN_free(bn); }
};
struct BioDeleter {
  void operator()(BIO* bio) const noexcept { BIO_free(bio); }
};
struct X509Deleter {
  void operator()(X509* cert) const noexcept { X509_free(cert); }
};
using EvpPkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, EvpPkeyCtxDeleter>;
using EvpMdCtxPtr = std::unique_ptr<EVP_MD_CTX, EvpMdCtxDeleter>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, EcdsaSigDeleter>;
using BignumPtr = std::unique_ptr<BIGNUM, BignumDeleter>;
using BioPtr = std::unique_ptr<BIO, BioDeleter>;
using X509Ptr = std::unique_ptr<X509, X509Deleter>;

// Allocation failure inside OpenSSL is not bad input; like hash.cpp we treat it as fatal.
template <typename T>
T* require(T* pointer) {
  if (pointer == nullptr) std::abort();
  return pointer;
}

// A failed verification leaves entries on the thread's OpenSSL error queue; drop them so they do
// not surface later in an unrelated call (TLS, say) on the same thread.
Error rejected(Reason reason, std::string detail = {}) {
  ERR_clear_error();
  return Error(reason, std::move(detail));
}

// A group-order constant, checked at compile time.
consteval Scalar scalar(std::string_view hex) { return fixed_literal<Hash32>(hex).bytes; }

// Group orders. Comparisons are on public values (signatures), so variable time is fine; big-endian
// byte arrays compare lexicographically in the same order as the integers.
constexpr Scalar kP256Order = scalar("0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
constexpr Scalar kP256HalfOrder = scalar("0x7fffffff800000007fffffffffffffffde737d56d38bcf4279dce5617e3192a8");
constexpr Scalar kSm2Order = scalar("0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123");

bool is_zero(const Scalar& value) noexcept {
  return std::all_of(value.begin(), value.end(), [](std::uint8_t b) { return b == 0; });
}

// One DER INTEGER holding a non-negative value of at most 256 bits. Advances `at`.
Result<Scalar> read_der_integer(ByteView der, std::size_t& at) {
  if (at + 2 > der.size() || der[at] != 0x02) return Error(reason::ecdsa::kBadDer, "expected INTEGER");
  const std::size_t length = der[at + 1];
  // A long-form length is only legal for 128+ bytes, which no 256-bit scalar needs.
  if (length >= 0x80) return Error(reason::ecdsa::kBadDer, "long-form INTEGER length");
  if (length == 0) return Error(reason::ecdsa::kBadDer, "empty INTEGER");
  at += 2;
  if (at + length > der.size()) return Error(reason::ecdsa::kBadDer, "INTEGER runs past the end");
  ByteView body = der.subspan(at, length);
  at += length;
  if ((body[0] & 0x80) != 0) return Error(reason::ecdsa::kBadDer, "negative INTEGER");
  if (body.size() > 1 && body[0] == 0 && (body[1] & 0x80) == 0) {
    return Error(reason::ecdsa::kBadDer, "INTEGER with a redundant leading zero");
  }
  if (body[0] == 0 && body.size() > 1) body = body.subspan(1);
  if (body.size() > 32) return Error(reason::ecdsa::kScalarTooLarge, std::to_string(body.size()) + " bytes");
  Scalar out{};
  std::copy(body.begin(), body.end(), out.end() - static_cast<std::ptrdiff_t>(body.size()));
  return out;
}

void append_der_integer(Bytes& out, const Scalar& value) {
  std::size_t first = 0;
  while (first < value.size() && value[first] == 0) ++first;
  Bytes body;
  if (first == value.size()) {
    body.push_back(0);
  } else {
    if ((value[first] & 0x80) != 0) body.push_back(0);
    body.insert(body.end(), value.begin() + static_cast<std::ptrdiff_t>(first), value.end());
  }
  out.push_back(0x02);
  out.push_back(static_cast<std::uint8_t>(body.size()));
  append(out, body);
}

BignumPtr to_bignum(const Scalar& value) {
  return BignumPtr(require(BN_bin2bn(value.data(), static_cast<int>(value.size()), nullptr)));
}

// The DER that OpenSSL's verifiers expect, rebuilt through ECDSA_SIG from our checked scalars, so
// OpenSSL never parses the caller's bytes.
Bytes openssl_der(const EcdsaSignature& signature) {
  EcdsaSigPtr sig(require(ECDSA_SIG_new()));
  BignumPtr r = to_bignum(signature.r);
  BignumPtr s = to_bignum(signature.s);
  if (ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) std::abort();
  (void)r.release();  // now owned by sig
  (void)s.release();
  const int length = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (length <= 0) std::abort();
  Bytes der(static_cast<std::size_t>(length));
  unsigned char* cursor = der.data();
  if (i2d_ECDSA_SIG(sig.get(), &cursor) != length) std::abort();
  return der;
}

struct RangeReasons {
  Reason zero_r, zero_s, r_out_of_range, s_out_of_range;
};

Result<void> check_range(const EcdsaSignature& sig, const Scalar& order, const RangeReasons& reasons) {
  if (is_zero(sig.r)) return Error(reasons.zero_r);
  if (is_zero(sig.s)) return Error(reasons.zero_s);
  if (sig.r >= order) return Error(reasons.r_out_of_range);
  if (sig.s >= order) return Error(reasons.s_out_of_range);
  return ok();
}

// Builds a public EC key of `type` ("EC" or "SM2") on `group` from a SEC1 point; OpenSSL checks
// that the point lies on the curve.
detail::EvpPkeyPtr ec_public_key(const char* type, const char* group, ByteView point) {
  EvpPkeyCtxPtr ctx(require(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr)));
  if (EVP_PKEY_fromdata_init(ctx.get()) != 1) std::abort();
  Bytes copy(point.begin(), point.end());  // OSSL_PARAM takes a non-const pointer
  char group_name[16] = {};
  std::strncpy(group_name, group, sizeof group_name - 1);
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group_name, 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, copy.data(), copy.size()),
      OSSL_PARAM_construct_end(),
  };
  EVP_PKEY* key = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, const_cast<OSSL_PARAM*>(params)) != 1) {
    ERR_clear_error();
    return nullptr;
  }
  return detail::EvpPkeyPtr(key);
}

bool sec1_shape_ok(ByteView point) noexcept {
  if (point.size() == 65) return point[0] == 0x04;
  if (point.size() == 33) return point[0] == 0x02 || point[0] == 0x03;
  return false;
}

Result<detail::EvpPkeyPtr> require_p256(detail::EvpPkeyPtr key) {
  if (!key) return rejected(reason::p256::kBadPublicKey, "not a public key");
  char group[64] = {};
  std::size_t group_length = 0;
  if (EVP_PKEY_is_a(key.get(), "EC") != 1 ||
      EVP_PKEY_get_group_name(key.get(), group, sizeof group, &group_length) != 1 ||
      std::string_view(group, group_length) != "prime256v1") {
    return rejected(reason::p256::kWrongCurve, std::string(group, group_length));
  }
  return key;
}

}  // namespace

Result<EcdsaSignature> parse_ecdsa_signature(ByteView signature, SignatureEncoding encoding) {
  EcdsaSignature out;
  if (encoding == SignatureEncoding::kCompact) {
    if (signature.size() != 64) {
      return Error(reason::ecdsa::kWrongLength, std::to_string(signature.size()) + " bytes, expected 64");
    }
    std::copy_n(signature.begin(), 32, out.r.begin());
    std::copy_n(signature.begin() + 32, 32, out.s.begin());
    return out;
  }
  if (signature.size() < 2 || signature[0] != 0x30) return Error(reason::ecdsa::kBadDer, "expected SEQUENCE");
  // Two INTEGERs of at most 33 bytes need at most 70 content bytes, so a long-form length is
  // never minimal here.
  if (signature[1] >= 0x80) return Error(reason::ecdsa::kBadDer, "long-form SEQUENCE length");
  if (std::size_t{signature[1]} + 2 != signature.size()) {
    return Error(reason::ecdsa::kBadDer, "SEQUENCE length does not match the input");
  }
  std::size_t at = 2;
  CW_TRY(out.r, read_der_integer(signature, at));
  CW_TRY(out.s, read_der_integer(signature, at));
  if (at != signature.size()) return Error(reason::ecdsa::kBadDer, "bytes after the second INTEGER");
  return out;
}

Bytes encode_der(const EcdsaSignature& signature) {
  Bytes body;
  append_der_integer(body, signature.r);
  append_der_integer(body, signature.s);
  // Sized up front: GCC 12 at -O3 misreports an insert after a two-element initializer list.
  Bytes out(2 + body.size());
  out[0] = 0x30;
  out[1] = static_cast<std::uint8_t>(body.size());
  std::copy(body.begin(), body.end(), out.begin() + 2);
  return out;
}

std::array<std::uint8_t, 64> encode_compact(const EcdsaSignature& signature) noexcept {
  std::array<std::uint8_t, 64> out{};
  std::copy(signature.r.begin(), signature.r.end(), out.begin());
  std::copy(signature.s.begin(), signature.s.end(), out.begin() + 32);
  return out;
}

// ---- P-256 -------------------------------------------------------------------------------------

Result<P256PublicKey> P256PublicKey::from_sec1(ByteView point) {
  if (!sec1_shape_ok(point)) {
    return Error(reason::p256::kBadPublicKey, "SEC1 point of " + std::to_string(point.size()) + " bytes");
  }
  auto key = ec_public_key("EC", "prime256v1", point);
  if (!key) return rejected(reason::p256::kBadPublicKey, "point not on P-256");
  return P256PublicKey(std::move(key));
}

Result<P256PublicKey> P256PublicKey::from_spki_der(ByteView spki) {
  const unsigned char* cursor = spki.data();
  detail::EvpPkeyPtr key(d2i_PUBKEY(nullptr, &cursor, static_cast<long>(spki.size())));
  if (key && cursor != spki.data() + spki.size()) {
    return rejected(reason::p256::kBadPublicKey, "bytes after SubjectPublicKeyInfo");
  }
  CW_TRY(auto checked, require_p256(std::move(key)));
  return P256PublicKey(std::move(checked));
}

Result<P256PublicKey> P256PublicKey::from_certificate(ByteView certificate) {
  static constexpr std::string_view kPemStart = "-----BEGIN";
  X509Ptr cert;
  const bool pem = certificate.size() >= kPemStart.size() &&
                   std::equal(kPemStart.begin(), kPemStart.end(), certificate.begin());
  if (certificate.size() > INT_MAX) return Error(reason::p256::kBadPublicKey, "certificate too large");
  if (pem) {
    BioPtr bio(require(BIO_new_mem_buf(certificate.data(), static_cast<int>(certificate.size()))));
    cert.reset(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  } else {
    const unsigned char* cursor = certificate.data();
    cert.reset(d2i_X509(nullptr, &cursor, static_cast<long>(certificate.size())));
    if (cert && cursor != certificate.data() + certificate.size()) {
      return rejected(reason::p256::kBadPublicKey, "bytes after the certificate");
    }
  }
  if (!cert) return rejected(reason::p256::kBadPublicKey, "not an X.509 certificate");
  CW_TRY(auto checked, require_p256(detail::EvpPkeyPtr(X509_get_pubkey(cert.get()))));
  return P256PublicKey(std::move(checked));
}

Result<void> verify_p256_digest(const Hash32& digest, ByteView signature, SignatureEncoding encoding,
                                const P256PublicKey& key, HighS high_s) {
  CW_TRY(const EcdsaSignature sig, parse_ecdsa_signature(signature, encoding));
  CW_CHECK(check_range(sig, kP256Order, {reason::p256::kZeroR, reason::p256::kZeroS,
                                         reason::p256::kROutOfRange, reason::p256::kSOutOfRange}));
  if (high_s == HighS::kReject && sig.s > kP256HalfOrder) return Error(reason::p256::kHighS);
  const Bytes der = openssl_der(sig);
  EvpPkeyCtxPtr ctx(require(EVP_PKEY_CTX_new_from_pkey(nullptr, key.evp(), nullptr)));
  if (EVP_PKEY_verify_init(ctx.get()) != 1) std::abort();
  if (EVP_PKEY_verify(ctx.get(), der.data(), der.size(), digest.data(), digest.size()) != 1) {
    return rejected(reason::p256::kMismatch);
  }
  return ok();
}

Result<void> verify_p256(ByteView message, ByteView signature, SignatureEncoding encoding,
                         const P256PublicKey& key, HighS high_s) {
  return verify_p256_digest(sha256(message), signature, encoding, key, high_s);
}

// ---- SM2 ---------------------------------------------------------------------------------------

Result<Sm2PublicKey> Sm2PublicKey::from_bytes(ByteView point) {
  Bytes sec1;
  if (point.size() == 64) {
    sec1.push_back(0x04);
    append(sec1, point);
  } else if (sec1_shape_ok(point)) {
    sec1.assign(point.begin(), point.end());
  } else {
    return Error(reason::sm2::kBadPublicKey, "point of " + std::to_string(point.size()) + " bytes");
  }
  auto key = ec_public_key("SM2", "SM2", sec1);
  if (!key) return rejected(reason::sm2::kBadPublicKey, "point not on sm2p256v1");
  return Sm2PublicKey(std::move(key));
}

namespace {

Result<Bytes> sm2_checked_der(ByteView signature, SignatureEncoding encoding) {
  CW_TRY(const EcdsaSignature sig, parse_ecdsa_signature(signature, encoding));
  CW_CHECK(check_range(sig, kSm2Order, {reason::sm2::kZeroR, reason::sm2::kZeroS,
                                        reason::sm2::kROutOfRange, reason::sm2::kSOutOfRange}));
  return openssl_der(sig);
}

}  // namespace

Result<void> verify_sm2(ByteView message, ByteView signature, SignatureEncoding encoding,
                        const Sm2PublicKey& key, std::string_view user_id) {
  // ENTL is the id's length in bits in two bytes.
  if (user_id.size() > 0xffff / 8) return Error(reason::sm2::kBadUserId, "longer than 8191 bytes");
  CW_TRY(const Bytes der, sm2_checked_der(signature, encoding));
  // The id goes on a key context we own and attach to the digest context before init, so that
  // OpenSSL computes Z_A with it (the pattern of OpenSSL's SM2(7) manual). Declared first so it
  // outlives the digest context, which does not take ownership of it.
  EvpPkeyCtxPtr pctx(require(EVP_PKEY_CTX_new_from_pkey(nullptr, key.evp(), nullptr)));
  if (EVP_PKEY_CTX_set1_id(pctx.get(), user_id.data(), static_cast<int>(user_id.size())) != 1) {
    std::abort();
  }
  EvpMdCtxPtr mctx(require(EVP_MD_CTX_new()));
  EVP_MD_CTX_set_pkey_ctx(mctx.get(), pctx.get());
  if (EVP_DigestVerifyInit_ex(mctx.get(), nullptr, "SM3", nullptr, nullptr, key.evp(), nullptr) != 1) {
    std::abort();
  }
  if (EVP_DigestVerify(mctx.get(), der.data(), der.size(), message.data(), message.size()) != 1) {
    return rejected(reason::sm2::kMismatch);
  }
  return ok();
}

Result<void> verify_sm2_prehashed(const Hash32& e, ByteView signature, SignatureEncoding encoding,
                                  const Sm2PublicKey& key) {
  CW_TRY(const Bytes der, sm2_checked_der(signature, encoding));
  // EVP_PKEY_verify on an SM2 key verifies against the input as e itself (no Z_A, no hashing).
  EvpPkeyCtxPtr ctx(require(EVP_PKEY_CTX_new_from_pkey(nullptr, key.evp(), nullptr)));
  if (EVP_PKEY_verify_init(ctx.get()) != 1) std::abort();
  if (EVP_PKEY_verify(ctx.get(), der.data(), der.size(), e.data(), e.size()) != 1) {
    return rejected(reason::sm2::kMismatch);
  }
  return ok();
}

// ---- Ed25519 -----------------------------------------------------------------------------------

Result<void> verify_ed25519(ByteView message, ByteView signature, ByteView public_key) {
  if (public_key.size() != 32) {
    return Error(reason::ed25519::kWrongKeyLength, std::to_string(public_key.size()) + " bytes");
  }
  if (signature.size() != 64) {
    return Error(reason::ed25519::kWrongSignatureLength, std::to_string(signature.size()) + " bytes");
  }
  detail::EvpPkeyPtr key(
      EVP_PKEY_new_raw_public_key_ex(nullptr, "ED25519", nullptr, public_key.data(), public_key.size()));
  if (!key) return rejected(reason::ed25519::kBadPublicKey);
  EvpMdCtxPtr mctx(require(EVP_MD_CTX_new()));
  // Ed25519 hashes internally: no digest name.
  if (EVP_DigestVerifyInit_ex(mctx.get(), nullptr, nullptr, nullptr, nullptr, key.get(), nullptr) != 1) {
    return rejected(reason::ed25519::kBadPublicKey);
  }
  if (EVP_DigestVerify(mctx.get(), signature.data(), signature.size(), message.data(), message.size()) != 1) {
    return rejected(reason::ed25519::kMismatch);
  }
  return ok();
}

// ---- Ed25519 signing -------------------------------------------------------------------------

namespace {

using Seed = std::array<std::uint8_t, 32>;

// Key files are a PEM block or 64 hex digits; anything larger is not one.
constexpr std::size_t kMaxKeyFileBytes = 4096;

detail::EvpPkeyPtr ed25519_evp(const Seed& seed) {
  return detail::EvpPkeyPtr(
      require(EVP_PKEY_new_raw_private_key_ex(nullptr, "ED25519", nullptr, seed.data(), seed.size())));
}

Ed25519PublicKey derive_public_key(const Seed& seed) {
  const auto key = ed25519_evp(seed);
  Ed25519PublicKey out{};
  std::size_t length = out.size();
  if (EVP_PKEY_get_raw_public_key(key.get(), out.data(), &length) != 1 || length != out.size()) std::abort();
  return out;
}

// Without a callback OpenSSL would prompt on the terminal for an encrypted PEM's passphrase.
int no_passphrase(char*, int, int, void*) { return 0; }

// Closes the descriptor when the scope ends, whichever way it ends.
struct FdGuard {
  int fd;
  ~FdGuard() {
    if (fd >= 0) ::close(fd);
  }
};

std::string errno_text() { return std::strerror(errno); }

}  // namespace

Ed25519PrivateKey Ed25519PrivateKey::generate() {
  Ed25519PrivateKey key;
  // No entropy is a broken machine, not bad input; secp256k1.cpp aborts the same way.
  if (RAND_priv_bytes(key.seed_.data(), static_cast<int>(key.seed_.size())) != 1) std::abort();
  key.public_key_ = derive_public_key(key.seed_);
  return key;
}

Result<Ed25519PrivateKey> Ed25519PrivateKey::from_seed(ByteView seed) {
  if (seed.size() != 32) {
    return Error(reason::ed25519::kBadPrivateKey, std::to_string(seed.size()) + " bytes, expected 32");
  }
  Ed25519PrivateKey key;
  std::copy(seed.begin(), seed.end(), key.seed_.begin());
  key.public_key_ = derive_public_key(key.seed_);
  return key;
}

Result<Ed25519PrivateKey> Ed25519PrivateKey::from_pem(std::string_view pem) {
  if (pem.size() > static_cast<std::size_t>(INT_MAX)) return Error(reason::ed25519::kBadPrivateKey, "too large");
  BioPtr bio(require(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()))));
  detail::EvpPkeyPtr pkey(PEM_read_bio_PrivateKey_ex(bio.get(), nullptr, no_passphrase, nullptr, nullptr, nullptr));
  if (!pkey) return rejected(reason::ed25519::kBadPrivateKey, "not an unencrypted PKCS#8 PEM private key");
  if (EVP_PKEY_is_a(pkey.get(), "ED25519") != 1) {
    return rejected(reason::ed25519::kBadPrivateKey, "the PEM holds a key of another type");
  }
  Ed25519PrivateKey key;
  std::size_t length = key.seed_.size();
  if (EVP_PKEY_get_raw_private_key(pkey.get(), key.seed_.data(), &length) != 1 || length != key.seed_.size()) {
    return rejected(reason::ed25519::kBadPrivateKey, "no raw private key");
  }
  key.public_key_ = derive_public_key(key.seed_);
  return key;
}

Ed25519PrivateKey::Ed25519PrivateKey(Ed25519PrivateKey&& other) noexcept
    : seed_(other.seed_), public_key_(other.public_key_) {
  OPENSSL_cleanse(other.seed_.data(), other.seed_.size());
}

Ed25519PrivateKey& Ed25519PrivateKey::operator=(Ed25519PrivateKey&& other) noexcept {
  if (this != &other) {
    seed_ = other.seed_;
    public_key_ = other.public_key_;
    OPENSSL_cleanse(other.seed_.data(), other.seed_.size());
  }
  return *this;
}

Ed25519PrivateKey::~Ed25519PrivateKey() { OPENSSL_cleanse(seed_.data(), seed_.size()); }

Ed25519Signature Ed25519PrivateKey::sign(ByteView message) const {
  // A fresh EVP key per signature keeps the seed the only long-lived copy of the secret;
  // checkpoints are signed seldom enough that the set-up cost does not matter.
  const auto key = ed25519_evp(seed_);
  EvpMdCtxPtr mctx(require(EVP_MD_CTX_new()));
  if (EVP_DigestSignInit_ex(mctx.get(), nullptr, nullptr, nullptr, nullptr, key.get(), nullptr) != 1) std::abort();
  Ed25519Signature out{};
  std::size_t length = out.size();
  if (EVP_DigestSign(mctx.get(), out.data(), &length, message.data(), message.size()) != 1 || length != out.size()) {
    std::abort();
  }
  return out;
}

Result<Ed25519PrivateKey> load_ed25519_key_file(const std::string& path) {
  // O_NONBLOCK: opening a FIFO put where a key belongs must fail the type check, not hang.
  const FdGuard file{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)};
  if (file.fd < 0) return Error(reason::key_file::kUnreadable, path + ": " + errno_text());
  // fstat on the opened descriptor: the file checked is the file read.
  struct stat st {};
  if (::fstat(file.fd, &st) != 0) return Error(reason::key_file::kUnreadable, path + ": " + errno_text());
  if (!S_ISREG(st.st_mode)) return Error(reason::key_file::kUnreadable, path + ": not a regular file");
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return Error(reason::key_file::kInsecurePermissions,
                 path + ": mode " + mode + "; a private key must be readable by its owner only (chmod 600)");
  }
  std::array<char, kMaxKeyFileBytes + 1> buffer{};
  std::size_t size = 0;
  while (size < buffer.size()) {
    const ssize_t got = ::read(file.fd, buffer.data() + size, buffer.size() - size);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      OPENSSL_cleanse(buffer.data(), buffer.size());
      return Error(reason::key_file::kUnreadable, path + ": " + errno_text());
    }
    if (got == 0) break;
    size += static_cast<std::size_t>(got);
  }
  auto parsed = [&]() -> Result<Ed25519PrivateKey> {
    if (size > kMaxKeyFileBytes) return Error(reason::key_file::kMalformed, path + ": larger than a key file");
    std::string_view text(buffer.data(), size);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())) != 0) text.remove_prefix(1);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())) != 0) text.remove_suffix(1);
    if (text.starts_with("-----BEGIN")) {
      auto key = Ed25519PrivateKey::from_pem(text);
      if (!key) return Error(reason::key_file::kMalformed, path + ": " + key.error().message());
      return key;
    }
    auto seed = from_hex(text);
    if (!seed || seed->size() != 32) {
      if (seed) OPENSSL_cleanse(seed->data(), seed->size());
      return Error(reason::key_file::kMalformed, path + ": neither a PKCS#8 PEM key nor 64 hex digits");
    }
    auto key = Ed25519PrivateKey::from_seed(*seed);
    OPENSSL_cleanse(seed->data(), seed->size());
    return key;
  }();
  OPENSSL_cleanse(buffer.data(), buffer.size());
  return parsed;
}

Result<void> write_ed25519_key_file(const std::string& path, const Ed25519PrivateKey& key) {
  // Secure-heap memory BIO: the PEM text holds the secret, and this BIO wipes it when freed.
  BioPtr pem(require(BIO_new(BIO_s_secmem())));
  const auto pkey = ed25519_evp(key.seed_);
  if (PEM_write_bio_PrivateKey(pem.get(), pkey.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) std::abort();
  char* text = nullptr;
  const long length = BIO_get_mem_data(pem.get(), &text);
  if (length <= 0 || text == nullptr) std::abort();

  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return Error(reason::key_file::kExists, path + ": already exists; not overwriting a key");
    return Error(reason::key_file::kWriteFailed, path + ": " + errno_text());
  }
  auto written = [&]() -> Result<void> {
    const FdGuard file{fd};
    // The umask may have left fewer bits than 0600, never more; fchmod makes it exactly 0600.
    if (::fchmod(file.fd, 0600) != 0) return Error(reason::key_file::kWriteFailed, path + ": " + errno_text());
    std::size_t done = 0;
    while (done < static_cast<std::size_t>(length)) {
      const ssize_t put = ::write(file.fd, text + done, static_cast<std::size_t>(length) - done);
      if (put < 0 && errno == EINTR) continue;
      if (put < 0) return Error(reason::key_file::kWriteFailed, path + ": " + errno_text());
      done += static_cast<std::size_t>(put);
    }
    if (::fsync(file.fd) != 0) return Error(reason::key_file::kWriteFailed, path + ": " + errno_text());
    return ok();
  }();
  if (!written) ::unlink(path.c_str());  // no half-written key left behind to be loaded later
  return written;
}

}  // namespace causeway::core
