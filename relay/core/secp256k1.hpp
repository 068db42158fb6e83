// secp256k1 through libsecp256k1: deterministic recoverable signing, Ethereum-style ecrecover with
// every input checked before the library sees it (THREATS 4, 6), verification, and addresses.
#pragma once

#include <array>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>

#include "relay/core/bytes.hpp"
#include "relay/core/result.hpp"
#include "relay/core/signature.hpp"

namespace causeway::core {

namespace reason::secp256k1 {
inline constexpr Reason kWrongLength{"secp256k1.wrong_length"};
// v not in the accepted set (27/28, 0/1 or both). libsecp256k1 aborts the process on a recovery
// id outside 0..3, so this is checked first; 2 and 3 are also refused, as by Ethereum.
inline constexpr Reason kBadRecoveryId{"secp256k1.bad_recovery_id"};
inline constexpr Reason kZeroR{"secp256k1.zero_r"};
inline constexpr Reason kZeroS{"secp256k1.zero_s"};
inline constexpr Reason kROutOfRange{"secp256k1.r_out_of_range"};
inline constexpr Reason kSOutOfRange{"secp256k1.s_out_of_range"};
// s > n/2: the malleable twin of a valid signature (EIP-2, BIP-62).
inline constexpr Reason kHighS{"secp256k1.high_s"};
// No curve point has x = r, or the recovered point is at infinity.
inline constexpr Reason kRecoveryFailed{"secp256k1.recovery_failed"};
inline constexpr Reason kZeroAddress{"secp256k1.zero_address"};
inline constexpr Reason kMismatch{"secp256k1.signature_mismatch"};
inline constexpr Reason kBadPrivateKey{"secp256k1.bad_private_key"};
inline constexpr Reason kBadPublicKey{"secp256k1.bad_public_key"};
// Signing produced recovery id 2 or 3 (R.x ≥ n, probability about 2^-128): not expressible in v.
inline constexpr Reason kUnrepresentableRecoveryId{"secp256k1.unrepresentable_recovery_id"};
// An external (HSM) signature whose (r, s) recovers to neither candidate key.
inline constexpr Reason kNotFromSigner{"secp256k1.not_from_signer"};
}  // namespace reason::secp256k1

namespace reason::eip55 {
inline constexpr Reason kBadChecksum{"eip55.bad_checksum"};
}  // namespace reason::eip55

// A secp256k1 secret key (the only curve the relay signs with). Holds the 32 bytes, is validated
// on construction (0 < key < n), is wiped on destruction and on move, cannot be copied, and has no
// way to be printed or converted back to hex.
class PrivateKey {
 public:
  static Result<PrivateKey> from_bytes(ByteView secret);
  // Hex with or without 0x: for the configuration edge. Error details never contain key material.
  static Result<PrivateKey> from_hex(std::string_view text);

  PrivateKey(const PrivateKey&) = delete;
  PrivateKey& operator=(const PrivateKey&) = delete;
  PrivateKey(PrivateKey&& other) noexcept;
  PrivateKey& operator=(PrivateKey&& other) noexcept;
  ~PrivateKey();
  // A deliberate second copy (an adapter rebuilt after a chain outage needs its key again);
  // named, so every copy of a secret is visible in the code.
  PrivateKey clone() const;

  // Deliberately unprintable (logging, Catch2 and fmt all look for operator<<).
  friend std::ostream& operator<<(std::ostream&, const PrivateKey&) = delete;

 private:
  PrivateKey() = default;
  friend struct PrivateKeyAccess;
  std::array<std::uint8_t, 32> secret_{};
};

// A public key known to be a valid curve point (x ‖ y, uncompressed coordinates).
class Secp256k1PublicKey {
 public:
  // SEC1: 04‖x‖y (65 bytes) or 02/03‖x (33 bytes).
  static Result<Secp256k1PublicKey> parse(ByteView sec1);
  std::array<std::uint8_t, 65> uncompressed() const noexcept;
  std::array<std::uint8_t, 33> compressed() const noexcept;
  friend bool operator==(const Secp256k1PublicKey&, const Secp256k1PublicKey&) = default;

 private:
  friend struct PublicKeyAccess;
  std::array<std::uint8_t, 64> xy_{};
};

// Which values of the 65th byte are accepted. Ethereum transactions and ecrecover use 27/28;
// consensus seals (Besu QBFT/Clique, FISCO BCOS) use 0/1. Accepting both is not a signer
// malleability: both spell the same recovery id, and signers are counted by recovered address,
// never by signature bytes (THREATS 3).
enum class VByte : std::uint8_t {
  k27or28,
  k0or1,
  kAny,  // 0, 1, 27 or 28; when encoding, the same as k27or28
};

struct RecoverableSignature {
  std::array<std::uint8_t, 32> r{};
  std::array<std::uint8_t, 32> s{};
  std::uint8_t recovery_id = 0;  // 0 or 1

  // r ‖ s ‖ v.
  std::array<std::uint8_t, 65> to_rsv(VByte form = VByte::k27or28) const noexcept;
  // Checks the length and v only; the values of r and s are checked at recovery.
  static Result<RecoverableSignature> from_rsv(ByteView sig65, VByte accepted = VByte::k27or28);
  friend bool operator==(const RecoverableSignature&, const RecoverableSignature&) = default;
};

// Deterministic ECDSA (RFC 6979 nonces, libsecp256k1's default: never a random or reused nonce,
// THREATS 4) over a 32-byte digest; the result is always low-s. Constant time in the key.
Result<RecoverableSignature> sign_recoverable(const Hash32& digest, const PrivateKey& key);

// ecrecover with the checks Ethereum applies, in this order: length 65, v, r and s non-zero and
// below n, s ≤ n/2, recovery, non-zero address.
Result<Secp256k1PublicKey> recover_public_key(const Hash32& digest, const RecoverableSignature& signature);
Result<Secp256k1PublicKey> recover_public_key(const Hash32& digest, ByteView sig65,
                                              VByte accepted = VByte::kAny);
Result<Address> recover_address(const Hash32& digest, const RecoverableSignature& signature);
Result<Address> recover_address(const Hash32& digest, ByteView sig65, VByte accepted = VByte::kAny);

// ECDSA verification under the same low-s policy as recovery (high-s is kHighS).
Result<void> verify_secp256k1(const Hash32& digest, ByteView signature, SignatureEncoding encoding,
                              const Secp256k1PublicKey& key);

// For a signature made elsewhere (an HSM signs with its own nonce and knows nothing of low-s or
// recovery ids, THREATS 4): normalises s to low-s and finds the recovery id by trial recovery
// against the known signer key.
Result<RecoverableSignature> make_recoverable(const Hash32& digest, const EcdsaSignature& signature,
                                              const Secp256k1PublicKey& signer);

Secp256k1PublicKey public_key_of(const PrivateKey& key);
// The last 20 bytes of keccak256(x ‖ y).
Address address_of(const Secp256k1PublicKey& key) noexcept;
Address address_of(const PrivateKey& key);
// The address itself if it is not zero; recovery never returns the zero address, whose use as a
// "no signer" sentinel has cost bridges dearly (THREATS 6).
Result<Address> require_nonzero_signer(const Address& address);

// EIP-55 mixed-case checksum form, "0x"-prefixed.
std::string to_checksum_hex(const Address& address);
// Parses an address; a mixed-case input must carry a correct EIP-55 checksum (all-lower and
// all-upper inputs carry none and are accepted).
Result<Address> parse_checksummed_address(std::string_view text);

}  // namespace causeway::core
