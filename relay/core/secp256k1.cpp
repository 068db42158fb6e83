// secp256k1 signing, recovery and verification over libsecp256k1 with one process-wide randomised
// context. libsecp256k1 calls abort() on illegal arguments (a recovery id outside 0..3, say), so
// every value from outside is checked here before any library call.
#include "relay/core/secp256k1.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include <algorithm>
#include <cstdlib>
#include <memory>

#include "relay/core/hash.hpp"

namespace causeway::core {

// Grants the signing code access to the secret bytes without a public accessor.
struct PrivateKeyAccess {
  static const std::uint8_t* secret(const PrivateKey& key) noexcept { return key.secret_.data(); }
};

struct PublicKeyAccess {
  static Secp256k1PublicKey from_xy(const std::uint8_t* xy) {
    Secp256k1PublicKey key;
    std::copy_n(xy, key.xy_.size(), key.xy_.begin());
    return key;
  }
  static const std::array<std::uint8_t, 64>& xy(const Secp256k1PublicKey& key) noexcept { return key.xy_; }
};

namespace {

using Scalar = std::array<std::uint8_t, 32>;

struct ContextDeleter {
  void operator()(secp256k1_context* ctx) const noexcept { secp256k1_context_destroy(ctx); }
};
using ContextPtr = std::unique_ptr<secp256k1_context, ContextDeleter>;

ContextPtr make_context() {
  ContextPtr ctx(secp256k1_context_create(SECP256K1_CONTEXT_NONE));
  if (!ctx) std::abort();
  // Randomisation blinds the signing and key-generation arithmetic against side channels; it is
  // done once here, so the context is never mutated while threads share it.
  std::array<std::uint8_t, 32> seed{};
  if (RAND_bytes(seed.data(), static_cast<int>(seed.size())) != 1) std::abort();
  const int randomized = secp256k1_context_randomize(ctx.get(), seed.data());
  OPENSSL_cleanse(seed.data(), seed.size());
  if (randomized != 1) std::abort();
  return ctx;
}

const secp256k1_context* context() {
  static const ContextPtr ctx = make_context();
  return ctx.get();
}

// A group-order constant, checked at compile time.
consteval Scalar scalar(std::string_view hex) { return fixed_literal<Hash32>(hex).bytes; }

constexpr Scalar kOrder = scalar("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
constexpr Scalar kHalfOrder = scalar("0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0");

bool is_zero(const Scalar& value) noexcept {
  return std::all_of(value.begin(), value.end(), [](std::uint8_t b) { return b == 0; });
}

// Range and low-s rules on public values; variable time is fine (and the comparison is
// lexicographic on big-endian bytes, i.e. numeric).
Result<void> check_scalars_vartime(const Scalar& r, const Scalar& s) {
  if (is_zero(r)) return Error(reason::secp256k1::kZeroR);
  if (is_zero(s)) return Error(reason::secp256k1::kZeroS);
  if (r >= kOrder) return Error(reason::secp256k1::kROutOfRange);
  if (s >= kOrder) return Error(reason::secp256k1::kSOutOfRange);
  if (s > kHalfOrder) return Error(reason::secp256k1::kHighS);
  return ok();
}

std::array<std::uint8_t, 64> rs_bytes(const Scalar& r, const Scalar& s) noexcept {
  std::array<std::uint8_t, 64> out{};
  std::copy(r.begin(), r.end(), out.begin());
  std::copy(s.begin(), s.end(), out.begin() + 32);
  return out;
}

Secp256k1PublicKey from_library_key(const secp256k1_pubkey& key) {
  std::array<std::uint8_t, 65> out{};
  std::size_t length = out.size();
  if (secp256k1_ec_pubkey_serialize(context(), out.data(), &length, &key, SECP256K1_EC_UNCOMPRESSED) != 1 ||
      length != out.size()) {
    std::abort();
  }
  return PublicKeyAccess::from_xy(out.data() + 1);
}

secp256k1_pubkey to_library_key(const Secp256k1PublicKey& key) {
  std::array<std::uint8_t, 65> sec1 = key.uncompressed();
  secp256k1_pubkey out;
  // The coordinates were validated when the key was made; failing here is a broken invariant.
  if (secp256k1_ec_pubkey_parse(context(), &out, sec1.data(), sec1.size()) != 1) std::abort();
  return out;
}

Result<std::uint8_t> decode_v(std::uint8_t v, VByte accepted) {
  const bool raw = v == 0 || v == 1;
  const bool legacy = v == 27 || v == 28;
  if ((accepted == VByte::k0or1 && raw) || (accepted == VByte::k27or28 && legacy) ||
      (accepted == VByte::kAny && (raw || legacy))) {
    return static_cast<std::uint8_t>(legacy ? v - 27 : v);
  }
  return Error(reason::secp256k1::kBadRecoveryId, "v = " + std::to_string(v));
}

}  // namespace

// ---- PrivateKey --------------------------------------------------------------------------------

Result<PrivateKey> PrivateKey::from_bytes(ByteView secret) {
  if (secret.size() != 32) {
    return Error(reason::secp256k1::kBadPrivateKey, std::to_string(secret.size()) + " bytes, expected 32");
  }
  PrivateKey key;
  std::copy(secret.begin(), secret.end(), key.secret_.begin());
  // Rejects 0 and values ≥ n (constant time in the key).
  if (secp256k1_ec_seckey_verify(context(), key.secret_.data()) != 1) {
    return Error(reason::secp256k1::kBadPrivateKey, "zero or not below the group order");
  }
  return key;
}

Result<PrivateKey> PrivateKey::from_hex(std::string_view text) {
  auto decoded = causeway::core::from_hex(text);
  if (!decoded) return Error(reason::secp256k1::kBadPrivateKey, "not hex");
  auto key = from_bytes(*decoded);
  OPENSSL_cleanse(decoded->data(), decoded->size());
  return key;
}

PrivateKey::PrivateKey(PrivateKey&& other) noexcept : secret_(other.secret_) {
  OPENSSL_cleanse(other.secret_.data(), other.secret_.size());
}

PrivateKey PrivateKey::clone() const {
  PrivateKey copy;
  copy.secret_ = secret_;
  return copy;
}

PrivateKey& PrivateKey::operator=(PrivateKey&& other) noexcept {
  if (this != &other) {
    secret_ = other.secret_;
    OPENSSL_cleanse(other.secret_.data(), other.secret_.size());
  }
  return *this;
}

PrivateKey::~PrivateKey() { OPENSSL_cleanse(secret_.data(), secret_.size()); }

// ---- Public keys and addresses -----------------------------------------------------------------

Result<Secp256k1PublicKey> Secp256k1PublicKey::parse(ByteView sec1) {
  // The library would accept the 0x06/0x07 "hybrid" forms; nobody in our ecosystems uses them.
  const bool shape_ok = (sec1.size() == 65 && sec1[0] == 0x04) ||
                        (sec1.size() == 33 && (sec1[0] == 0x02 || sec1[0] == 0x03));
  if (!shape_ok) {
    return Error(reason::secp256k1::kBadPublicKey, "SEC1 point of " + std::to_string(sec1.size()) + " bytes");
  }
  secp256k1_pubkey key;
  if (secp256k1_ec_pubkey_parse(context(), &key, sec1.data(), sec1.size()) != 1) {
    return Error(reason::secp256k1::kBadPublicKey, "not a point on secp256k1");
  }
  return from_library_key(key);
}

std::array<std::uint8_t, 65> Secp256k1PublicKey::uncompressed() const noexcept {
  std::array<std::uint8_t, 65> out{};
  out[0] = 0x04;
  std::copy(xy_.begin(), xy_.end(), out.begin() + 1);
  return out;
}

std::array<std::uint8_t, 33> Secp256k1PublicKey::compressed() const noexcept {
  std::array<std::uint8_t, 33> out{};
  out[0] = static_cast<std::uint8_t>(0x02 | (xy_[63] & 1));
  std::copy_n(xy_.begin(), 32, out.begin() + 1);
  return out;
}

Secp256k1PublicKey public_key_of(const PrivateKey& key) {
  secp256k1_pubkey pub;
  // The key was validated on construction.
  if (secp256k1_ec_pubkey_create(context(), &pub, PrivateKeyAccess::secret(key)) != 1) std::abort();
  return from_library_key(pub);
}

Address address_of(const Secp256k1PublicKey& key) noexcept {
  const Hash32 hash = keccak256(ByteView(PublicKeyAccess::xy(key)));
  Address out;
  std::copy(hash.bytes.end() - Address::kSize, hash.bytes.end(), out.bytes.begin());
  return out;
}

Address address_of(const PrivateKey& key) { return address_of(public_key_of(key)); }

Result<Address> require_nonzero_signer(const Address& address) {
  if (address.is_zero()) return Error(reason::secp256k1::kZeroAddress);
  return address;
}

std::string to_checksum_hex(const Address& address) {
  const std::string lower = to_hex(address.view(), false);
  const Hash32 hash = keccak256(as_bytes(lower));
  std::string out = "0x";
  for (std::size_t i = 0; i < lower.size(); ++i) {
    const std::uint8_t nibble = (i % 2 == 0) ? hash.bytes[i / 2] >> 4 : hash.bytes[i / 2] & 0x0f;
    const char c = lower[i];
    out += (c >= 'a' && c <= 'f' && nibble >= 8) ? static_cast<char>(c - 'a' + 'A') : c;
  }
  return out;
}

Result<Address> parse_checksummed_address(std::string_view text) {
  CW_TRY(const Address address, fixed_from_hex<Address>(text));
  if (text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) text.remove_prefix(2);
  const bool has_lower = std::any_of(text.begin(), text.end(), [](char c) { return c >= 'a' && c <= 'f'; });
  const bool has_upper = std::any_of(text.begin(), text.end(), [](char c) { return c >= 'A' && c <= 'F'; });
  if (has_lower && has_upper && to_checksum_hex(address).substr(2) != text) {
    return Error(reason::eip55::kBadChecksum, std::string(text));
  }
  return address;
}

// ---- Signatures --------------------------------------------------------------------------------

std::array<std::uint8_t, 65> RecoverableSignature::to_rsv(VByte form) const noexcept {
  std::array<std::uint8_t, 65> out{};
  std::copy(r.begin(), r.end(), out.begin());
  std::copy(s.begin(), s.end(), out.begin() + 32);
  out[64] = static_cast<std::uint8_t>(form == VByte::k0or1 ? recovery_id : recovery_id + 27);
  return out;
}

Result<RecoverableSignature> RecoverableSignature::from_rsv(ByteView sig65, VByte accepted) {
  if (sig65.size() != 65) {
    return Error(reason::secp256k1::kWrongLength, std::to_string(sig65.size()) + " bytes, expected 65");
  }
  RecoverableSignature out;
  CW_TRY(out.recovery_id, decode_v(sig65[64], accepted));
  std::copy_n(sig65.begin(), 32, out.r.begin());
  std::copy_n(sig65.begin() + 32, 32, out.s.begin());
  return out;
}

Result<RecoverableSignature> sign_recoverable(const Hash32& digest, const PrivateKey& key) {
  secp256k1_ecdsa_recoverable_signature sig;
  // secp256k1_nonce_function_rfc6979 is the library default, named here so the choice is visible.
  if (secp256k1_ecdsa_sign_recoverable(context(), &sig, digest.data(), PrivateKeyAccess::secret(key),
                                       secp256k1_nonce_function_rfc6979, nullptr) != 1) {
    return Error(reason::secp256k1::kBadPrivateKey, "signing failed");
  }
  std::array<std::uint8_t, 64> compact{};
  int recid = 0;
  (void)secp256k1_ecdsa_recoverable_signature_serialize_compact(context(), compact.data(), &recid, &sig);
  if (recid < 0 || recid > 1) {
    return Error(reason::secp256k1::kUnrepresentableRecoveryId, "recovery id " + std::to_string(recid));
  }
  RecoverableSignature out;
  std::copy_n(compact.begin(), 32, out.r.begin());
  std::copy_n(compact.begin() + 32, 32, out.s.begin());
  out.recovery_id = static_cast<std::uint8_t>(recid);
  return out;
}

Result<Secp256k1PublicKey> recover_public_key(const Hash32& digest, const RecoverableSignature& signature) {
  // All of these before any library call: an out-of-range recovery id aborts inside libsecp256k1.
  if (signature.recovery_id > 1) {
    return Error(reason::secp256k1::kBadRecoveryId, "recovery id " + std::to_string(signature.recovery_id));
  }
  CW_CHECK(check_scalars_vartime(signature.r, signature.s));
  const auto compact = rs_bytes(signature.r, signature.s);
  secp256k1_ecdsa_recoverable_signature sig;
  if (secp256k1_ecdsa_recoverable_signature_parse_compact(context(), &sig, compact.data(),
                                                          signature.recovery_id) != 1) {
    return Error(reason::secp256k1::kRecoveryFailed, "unparseable");
  }
  secp256k1_pubkey key;
  if (secp256k1_ecdsa_recover(context(), &key, &sig, digest.data()) != 1) {
    return Error(reason::secp256k1::kRecoveryFailed);
  }
  return from_library_key(key);
}

Result<Secp256k1PublicKey> recover_public_key(const Hash32& digest, ByteView sig65, VByte accepted) {
  CW_TRY(const RecoverableSignature signature, RecoverableSignature::from_rsv(sig65, accepted));
  return recover_public_key(digest, signature);
}

Result<Address> recover_address(const Hash32& digest, const RecoverableSignature& signature) {
  CW_TRY(const Secp256k1PublicKey key, recover_public_key(digest, signature));
  return require_nonzero_signer(address_of(key));
}

Result<Address> recover_address(const Hash32& digest, ByteView sig65, VByte accepted) {
  CW_TRY(const RecoverableSignature signature, RecoverableSignature::from_rsv(sig65, accepted));
  return recover_address(digest, signature);
}

Result<void> verify_secp256k1(const Hash32& digest, ByteView signature, SignatureEncoding encoding,
                              const Secp256k1PublicKey& key) {
  CW_TRY(const EcdsaSignature parsed, parse_ecdsa_signature(signature, encoding));
  CW_CHECK(check_scalars_vartime(parsed.r, parsed.s));
  const auto compact = rs_bytes(parsed.r, parsed.s);
  secp256k1_ecdsa_signature sig;
  if (secp256k1_ecdsa_signature_parse_compact(context(), &sig, compact.data()) != 1) {
    return Error(reason::secp256k1::kMismatch, "unparseable");
  }
  const secp256k1_pubkey pub = to_library_key(key);
  if (secp256k1_ecdsa_verify(context(), &sig, digest.data(), &pub) != 1) {
    return Error(reason::secp256k1::kMismatch);
  }
  return ok();
}

Result<RecoverableSignature> make_recoverable(const Hash32& digest, const EcdsaSignature& signature,
                                              const Secp256k1PublicKey& signer) {
  const auto compact = rs_bytes(signature.r, signature.s);
  if (is_zero(signature.r)) return Error(reason::secp256k1::kZeroR);
  if (is_zero(signature.s)) return Error(reason::secp256k1::kZeroS);
  secp256k1_ecdsa_signature sig;
  if (secp256k1_ecdsa_signature_parse_compact(context(), &sig, compact.data()) != 1) {
    return Error(signature.r >= kOrder ? reason::secp256k1::kROutOfRange : reason::secp256k1::kSOutOfRange);
  }
  // n − s for a high s: the same signature for every verifier, in the form Ethereum accepts.
  (void)secp256k1_ecdsa_signature_normalize(context(), &sig, &sig);
  std::array<std::uint8_t, 64> normalized{};
  (void)secp256k1_ecdsa_signature_serialize_compact(context(), normalized.data(), &sig);
  RecoverableSignature out;
  std::copy_n(normalized.begin(), 32, out.r.begin());
  std::copy_n(normalized.begin() + 32, 32, out.s.begin());
  for (std::uint8_t id = 0; id <= 1; ++id) {
    out.recovery_id = id;
    auto recovered = recover_public_key(digest, out);
    if (recovered && *recovered == signer) return out;
  }
  return Error(reason::secp256k1::kNotFromSigner);
}

}  // namespace causeway::core
