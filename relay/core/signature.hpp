// Signature verification through OpenSSL 3 EVP: ECDSA P-256 (Fabric, ChainMaker), SM2 (FISCO BCOS
// GM mode) and Ed25519; Ed25519 signing for the audit log's checkpoints; plus the strict ECDSA
// signature decoding (DER or r‖s) that secp256k1 shares.
#pragma once

#include <array>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>

#include "relay/core/bytes.hpp"
#include "relay/core/result.hpp"

// OpenSSL's key type, forward-declared so this header does not pull in the OpenSSL headers.
struct evp_pkey_st;

namespace causeway::core {

namespace reason::ecdsa {
// Encoding: the bytes are not a signature at all.
inline constexpr Reason kBadDer{"ecdsa.bad_der"};
inline constexpr Reason kWrongLength{"ecdsa.wrong_length"};
// A DER integer wider than 256 bits: it cannot be below the order of any curve we use.
inline constexpr Reason kScalarTooLarge{"ecdsa.scalar_too_large"};
}  // namespace reason::ecdsa

namespace reason::p256 {
inline constexpr Reason kBadPublicKey{"p256.bad_public_key"};
inline constexpr Reason kWrongCurve{"p256.wrong_curve"};
inline constexpr Reason kZeroR{"p256.zero_r"};
inline constexpr Reason kZeroS{"p256.zero_s"};
inline constexpr Reason kROutOfRange{"p256.r_out_of_range"};
inline constexpr Reason kSOutOfRange{"p256.s_out_of_range"};
inline constexpr Reason kHighS{"p256.high_s"};
inline constexpr Reason kMismatch{"p256.signature_mismatch"};
}  // namespace reason::p256

namespace reason::sm2 {
inline constexpr Reason kBadPublicKey{"sm2.bad_public_key"};
inline constexpr Reason kBadUserId{"sm2.bad_user_id"};
inline constexpr Reason kZeroR{"sm2.zero_r"};
inline constexpr Reason kZeroS{"sm2.zero_s"};
inline constexpr Reason kROutOfRange{"sm2.r_out_of_range"};
inline constexpr Reason kSOutOfRange{"sm2.s_out_of_range"};
inline constexpr Reason kMismatch{"sm2.signature_mismatch"};
}  // namespace reason::sm2

namespace reason::ed25519 {
inline constexpr Reason kWrongKeyLength{"ed25519.wrong_key_length"};
inline constexpr Reason kBadPublicKey{"ed25519.bad_public_key"};
inline constexpr Reason kWrongSignatureLength{"ed25519.wrong_signature_length"};
inline constexpr Reason kMismatch{"ed25519.signature_mismatch"};
// A private key that is not 32 bytes, or a PEM that does not hold an Ed25519 private key.
inline constexpr Reason kBadPrivateKey{"ed25519.bad_private_key"};
}  // namespace reason::ed25519

namespace reason::key_file {
// Missing, not a regular file, or not readable.
inline constexpr Reason kUnreadable{"key_file.unreadable"};
// Group or others may read or write it: a secret key must be the owner's alone (mode 0600/0400).
inline constexpr Reason kInsecurePermissions{"key_file.insecure_permissions"};
// Neither a PKCS#8 PEM Ed25519 key nor 64 hex digits.
inline constexpr Reason kMalformed{"key_file.malformed"};
// Writing refuses to replace an existing file: an overwritten log key cannot be recovered.
inline constexpr Reason kExists{"key_file.exists"};
inline constexpr Reason kWriteFailed{"key_file.write_failed"};
}  // namespace reason::key_file

// How the signature bytes are laid out; the caller states it, because a 64-byte DER signature
// exists and guessing would make one byte string mean two things.
enum class SignatureEncoding : std::uint8_t {
  kDer,      // SEQUENCE { INTEGER r, INTEGER s }, strict DER (X.690), no trailing bytes
  kCompact,  // r(32) ‖ s(32) big-endian, also called IEEE P1363 or "raw"
};

// An ECDSA-shaped (r, s) pair as 32-byte big-endian scalars; the range against a curve order is
// checked by each verifier, not here.
struct EcdsaSignature {
  std::array<std::uint8_t, 32> r{};
  std::array<std::uint8_t, 32> s{};
  friend bool operator==(const EcdsaSignature&, const EcdsaSignature&) = default;
};

// Strict decoding: DER rejects BER length forms, non-minimal or negative integers, wrong tags and
// trailing bytes; compact requires exactly 64 bytes.
Result<EcdsaSignature> parse_ecdsa_signature(ByteView signature, SignatureEncoding encoding);
// Minimal DER of (r, s).
Bytes encode_der(const EcdsaSignature& signature);
// r ‖ s.
std::array<std::uint8_t, 64> encode_compact(const EcdsaSignature& signature) noexcept;

namespace detail {
struct EvpPkeyDeleter {
  void operator()(evp_pkey_st* key) const noexcept;
};
using EvpPkeyPtr = std::unique_ptr<evp_pkey_st, EvpPkeyDeleter>;
}  // namespace detail

// A validated P-256 public key (the point is on the curve). Parse once, verify many times.
class P256PublicKey {
 public:
  // SEC1 point: 04‖x‖y (65 bytes) or 02/03‖x (33 bytes).
  static Result<P256PublicKey> from_sec1(ByteView point);
  // DER SubjectPublicKeyInfo, as found in a certificate or `openssl pkey -pubout -outform DER`.
  static Result<P256PublicKey> from_spki_der(ByteView spki);
  // The subject public key of an X.509 certificate, DER or PEM (Fabric identities carry PEM).
  static Result<P256PublicKey> from_certificate(ByteView certificate);

  // Non-const because OpenSSL's verify calls take EVP_PKEY*; they do not modify the key.
  evp_pkey_st* evp() const noexcept { return key_.get(); }

 private:
  explicit P256PublicKey(detail::EvpPkeyPtr key) : key_(std::move(key)) {}
  detail::EvpPkeyPtr key_;
};

// Whether an s above n/2 is refused. Plain ECDSA accepts both s and n−s; Fabric refuses high-S
// for its own signatures (bccsp/sw), so the Fabric verifier asks for kReject.
enum class HighS : std::uint8_t { kAccept, kReject };

// ECDSA P-256 with SHA-256 over `message`.
Result<void> verify_p256(ByteView message, ByteView signature, SignatureEncoding encoding,
                         const P256PublicKey& key, HighS high_s = HighS::kAccept);
// ECDSA P-256 over a SHA-256 digest the caller computed itself.
Result<void> verify_p256_digest(const Hash32& digest, ByteView signature, SignatureEncoding encoding,
                                const P256PublicKey& key, HighS high_s = HighS::kAccept);

// The GB/T 32918.5 default distinguishing identifier; FISCO BCOS and most SDKs use it.
inline constexpr std::string_view kSm2DefaultUserId = "1234567812345678";

// A validated public key on the SM2 recommended curve sm2p256v1.
class Sm2PublicKey {
 public:
  // 04‖x‖y (65), 02/03‖x (33), or bare x‖y (64 bytes, FISCO BCOS's node-id form).
  static Result<Sm2PublicKey> from_bytes(ByteView point);

  // Non-const because OpenSSL's verify calls take EVP_PKEY*; they do not modify the key.
  evp_pkey_st* evp() const noexcept { return key_.get(); }

 private:
  explicit Sm2PublicKey(detail::EvpPkeyPtr key) : key_(std::move(key)) {}
  detail::EvpPkeyPtr key_;
};

// SM2 with SM3: e = SM3(Z_A ‖ message), Z_A from the user id and the key (OpenSSL computes it).
Result<void> verify_sm2(ByteView message, ByteView signature, SignatureEncoding encoding,
                        const Sm2PublicKey& key, std::string_view user_id = kSm2DefaultUserId);
// SM2 over a precomputed e = SM3(Z_A ‖ M): no Z_A step and no hashing. Only for callers that
// received e from a trusted computation of their own; verifying a caller-supplied e proves nothing
// about any message.
Result<void> verify_sm2_prehashed(const Hash32& e, ByteView signature, SignatureEncoding encoding,
                                  const Sm2PublicKey& key);

// Ed25519 (RFC 8032, pure, no context): 32-byte key, 64-byte R‖S.
Result<void> verify_ed25519(ByteView message, ByteView signature, ByteView public_key);

using Ed25519PublicKey = std::array<std::uint8_t, 32>;
using Ed25519Signature = std::array<std::uint8_t, 64>;

// An Ed25519 signing key (the audit log's checkpoint key, a witness key): the RFC 8032 32-byte
// private key ("seed"), wiped on destruction, and its public key.
class Ed25519PrivateKey {
 public:
  // A fresh key from OpenSSL's private random generator.
  static Ed25519PrivateKey generate();
  static Result<Ed25519PrivateKey> from_seed(ByteView seed);
  // PKCS#8 PEM ("BEGIN PRIVATE KEY"), as `openssl genpkey -algorithm ed25519` writes it.
  static Result<Ed25519PrivateKey> from_pem(std::string_view pem);

  Ed25519PrivateKey(const Ed25519PrivateKey&) = delete;
  Ed25519PrivateKey& operator=(const Ed25519PrivateKey&) = delete;
  Ed25519PrivateKey(Ed25519PrivateKey&& other) noexcept;
  Ed25519PrivateKey& operator=(Ed25519PrivateKey&& other) noexcept;
  ~Ed25519PrivateKey();

  // Deterministic (RFC 8032): the same key and message always give the same signature.
  Ed25519Signature sign(ByteView message) const;
  const Ed25519PublicKey& public_key() const noexcept { return public_key_; }

  // Deliberately unprintable (logging, Catch2 and fmt all look for operator<<).
  friend std::ostream& operator<<(std::ostream&, const Ed25519PrivateKey&) = delete;

 private:
  Ed25519PrivateKey() = default;
  friend Result<void> write_ed25519_key_file(const std::string& path, const Ed25519PrivateKey& key);
  std::array<std::uint8_t, 32> seed_{};
  Ed25519PublicKey public_key_{};
};

// Ed25519 key files. These two are core's only file I/O, kept beside the key type so that every
// binary reads and writes keys one way and the secret never passes through another layer.
// Reading: PKCS#8 PEM, or the 32-byte private key as 64 hex digits (0x optional), with any
// surrounding whitespace; refused unless it is a regular file only its owner may access. Errors
// name the path, never the contents.
Result<Ed25519PrivateKey> load_ed25519_key_file(const std::string& path);
// Creates `path` with mode 0600 holding the key as PKCS#8 PEM; refuses an existing file.
Result<void> write_ed25519_key_file(const std::string& path, const Ed25519PrivateKey& key);

}  // namespace causeway::core
