// Gas and vote keys at rest: Ethereum V3 keystore files (Web3 Secret Storage: scrypt or PBKDF2,
// AES-128-CTR, keccak MAC) through OpenSSL, and a 0600 raw-key file for development (DESIGN.md §3).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "adapters/evm/secret.hpp"
#include "relay/core/bytes.hpp"
#include "relay/core/result.hpp"
#include "relay/core/secp256k1.hpp"

namespace causeway::evm {

using core::Result;

namespace reason::keystore {
inline constexpr core::Reason kBadJson{"keystore.bad_json"};
inline constexpr core::Reason kUnsupportedVersion{"keystore.unsupported_version"};
inline constexpr core::Reason kUnsupportedCipher{"keystore.unsupported_cipher"};
inline constexpr core::Reason kUnsupportedKdf{"keystore.unsupported_kdf"};
// A KDF parameter is missing, of the wrong type, or invalid (N not a power of two, dklen ≠ 32 ...).
inline constexpr core::Reason kBadKdfParams{"keystore.bad_kdf_params"};
// The KDF parameters ask for more memory or work than the configured ceiling.
inline constexpr core::Reason kKdfTooCostly{"keystore.kdf_too_costly"};
inline constexpr core::Reason kBadCipherParams{"keystore.bad_cipher_params"};
inline constexpr core::Reason kBadCiphertext{"keystore.bad_ciphertext"};
inline constexpr core::Reason kBadMac{"keystore.bad_mac"};
// Wrong password, or the file was tampered with (ciphertext, MAC or KDF parameters).
inline constexpr core::Reason kMacMismatch{"keystore.mac_mismatch"};
// The decrypted key is not a valid secp256k1 key.
inline constexpr core::Reason kBadKey{"keystore.bad_key"};
// The file's "address" field names another key than the one it decrypts to.
inline constexpr core::Reason kAddressMismatch{"keystore.address_mismatch"};
inline constexpr core::Reason kCryptoFailed{"keystore.crypto_failed"};
inline constexpr core::Reason kIo{"keystore.io"};
// The password source (file or environment variable) is missing or empty.
inline constexpr core::Reason kNoPassword{"keystore.no_password"};
// A raw key file is readable or writable by group or others.
inline constexpr core::Reason kInsecurePermissions{"keystore.insecure_permissions"};
inline constexpr core::Reason kBadRawKey{"keystore.bad_raw_key"};
}  // namespace reason::keystore

// Ceilings on what an untrusted keystore file may make us spend. The defaults admit geth's
// "standard" scrypt (N = 2^18, r = 8, p = 1: 256 MiB) and nothing much beyond it.
struct KdfLimits {
  std::uint64_t max_scrypt_memory = 300ull << 20;  // bytes: 128·N·r + 128·r·p, also OpenSSL's maxmem
  std::uint64_t max_scrypt_work = (1ull << 18) * 8 * 4;  // N·r·p
  std::uint64_t max_pbkdf2_iterations = 10'000'000;
};

struct UnlockedKey {
  core::PrivateKey key;
  core::Address address;
};

// Decrypts a V3 keystore (JSON text). Accepts "crypto" or "Crypto", kdf scrypt or pbkdf2
// (hmac-sha256), cipher aes-128-ctr; the MAC is compared in constant time before anything is
// decrypted. Errors never contain the password or key material.
Result<UnlockedKey> decrypt_keystore(std::string_view json, const Password& password, const KdfLimits& limits = {});

struct KeystoreWriteOptions {
  std::uint64_t scrypt_n = 1ull << 18;  // tests use small values; geth's default is 2^18
  std::uint32_t scrypt_r = 8;
  std::uint32_t scrypt_p = 1;
  // Fixed values for reproducible tests only; random (OpenSSL RAND_bytes) when empty.
  std::optional<core::Bytes> salt;  // 32 bytes
  std::optional<core::Bytes> iv;    // 16 bytes
  std::optional<core::Bytes> uuid;  // 16 bytes
};

// Encrypts a 32-byte secret key into V3 keystore JSON (scrypt, aes-128-ctr).
Result<std::string> encrypt_keystore(const SecretBytes& secret_key, const Password& password,
                                     const KeystoreWriteOptions& options = {});

struct NewKey {
  core::Address address;
  std::string keystore_json;
};
// Draws a fresh key from OpenSSL's private DRBG and returns only its address and keystore: the
// plaintext never leaves this function (`causeway keys new`).
Result<NewKey> generate_keystore(const Password& password, const KeystoreWriteOptions& options = {});

// Writes a keystore file with mode 0600; refuses to overwrite an existing file.
Result<void> save_keystore(const std::filesystem::path& path, std::string_view json);
Result<UnlockedKey> unlock_keystore_file(const std::filesystem::path& path, const Password& password,
                                         const KdfLimits& limits = {});

// Password sources. A password file's first line is the password (one trailing "\n" or "\r\n"
// removed); an environment variable is named by config, its value never logged.
Result<Password> password_from_file(const std::filesystem::path& path);
Result<Password> password_from_env(std::string_view variable_name);

// Development only: a file holding one hex private key (0x optional, surrounding whitespace
// allowed). Refused unless only its owner may read or write it (mode 0600 or 0400).
Result<UnlockedKey> load_raw_key_file(const std::filesystem::path& path);

}  // namespace causeway::evm
