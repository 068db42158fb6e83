// EVM transactions the relay signs and checks: EIP-155 legacy, EIP-2930 (type 1) and EIP-1559
// (type 2) signing hashes, signed encodings and hashes (PROOF_FORMATS.md A.3), and a strict decoder.
#pragma once

#include <cstdint>
#include <optional>
#include <variant>
#include <vector>

#include "relay/core/bytes.hpp"
#include "relay/core/result.hpp"
#include "relay/core/secp256k1.hpp"
#include "relay/core/secp256k1_signer.hpp"

namespace causeway::evm {

using core::Address;
using core::Bytes;
using core::ByteView;
using core::Error;
using core::Hash32;
using core::Reason;
using core::Result;

namespace reason::tx {
inline constexpr Reason kEmpty{"tx.empty"};
// A typed transaction whose type byte is not 0x01 or 0x02 (0x03/0x04 are not accepted here).
inline constexpr Reason kUnsupportedType{"tx.unsupported_type"};
inline constexpr Reason kTooFewFields{"tx.too_few_fields"};
inline constexpr Reason kTooManyFields{"tx.too_many_fields"};
// (An integer field with a leading zero or beyond its width keeps the RLP reason,
// rlp.leading_zero or rlp.integer_overflow, with the field's name as detail.)
inline constexpr Reason kBadTo{"tx.bad_to"};
inline constexpr Reason kBadAccessList{"tx.bad_access_list"};
inline constexpr Reason kBadAccessListAddress{"tx.bad_access_list_address"};
inline constexpr Reason kBadStorageKey{"tx.bad_storage_key"};
// Legacy v is neither 27/28 nor 35 + 2·chainId + {0,1} for the expected chain; typed yParity not 0/1.
inline constexpr Reason kBadV{"tx.bad_v"};
inline constexpr Reason kWrongChainId{"tx.wrong_chain_id"};
// A legacy transaction without EIP-155 replay protection, when the caller does not allow those.
inline constexpr Reason kUnprotected{"tx.unprotected"};
// r or s longer than 32 bytes.
inline constexpr Reason kSignatureOverflow{"tx.signature_overflow"};
// gasLimit × (gasPrice | maxFeePerGas) does not fit 256 bits.
inline constexpr Reason kFeeProductOverflow{"tx.fee_product_overflow"};
inline constexpr Reason kPriorityFeeAboveMaxFee{"tx.priority_fee_above_max_fee"};
// Signing a chain id whose EIP-155 v would not fit in 64 bits.
inline constexpr Reason kChainIdTooLarge{"tx.chain_id_too_large"};
}  // namespace reason::tx

// A 256-bit unsigned integer, big-endian (value, gas price, fees).
struct U256Tag {};
using U256 = core::FixedBytes<32, U256Tag>;

U256 u256(std::uint64_t value) noexcept;
// The value if it fits in 64 bits.
std::optional<std::uint64_t> to_u64(const U256& value) noexcept;
// Minimal big-endian bytes (zero is empty), as RLP wants them.
ByteView minimal(const U256& value) noexcept;

struct AccessListEntry {
  Address address;
  std::vector<Hash32> storage_keys;
  friend bool operator==(const AccessListEntry&, const AccessListEntry&) = default;
};
using AccessList = std::vector<AccessListEntry>;

// EIP-155 legacy transaction. chain_id nullopt is a pre-EIP-155 (unprotected) transaction: the
// decoder can read one, but sign() refuses to make one.
struct LegacyTx {
  std::optional<std::uint64_t> chain_id;
  std::uint64_t nonce = 0;
  U256 gas_price;
  std::uint64_t gas_limit = 0;
  std::optional<Address> to;  // nullopt: contract creation
  U256 value;
  Bytes data;
  friend bool operator==(const LegacyTx&, const LegacyTx&) = default;
};

// EIP-2930 (type 0x01).
struct AccessListTx {
  std::uint64_t chain_id = 0;
  std::uint64_t nonce = 0;
  U256 gas_price;
  std::uint64_t gas_limit = 0;
  std::optional<Address> to;
  U256 value;
  Bytes data;
  AccessList access_list;
  friend bool operator==(const AccessListTx&, const AccessListTx&) = default;
};

// EIP-1559 (type 0x02).
struct Eip1559Tx {
  std::uint64_t chain_id = 0;
  std::uint64_t nonce = 0;
  U256 max_priority_fee_per_gas;
  U256 max_fee_per_gas;
  std::uint64_t gas_limit = 0;
  std::optional<Address> to;
  U256 value;
  Bytes data;
  AccessList access_list;
  friend bool operator==(const Eip1559Tx&, const Eip1559Tx&) = default;
};

using UnsignedTx = std::variant<LegacyTx, AccessListTx, Eip1559Tx>;

// 0 for legacy, else the EIP-2718 type byte.
std::uint8_t tx_type(const UnsignedTx& tx) noexcept;
std::uint64_t tx_nonce(const UnsignedTx& tx) noexcept;

// What is signed: keccak256 of the signing payload of A.3.
Hash32 signing_hash(const LegacyTx& tx);
Hash32 signing_hash(const AccessListTx& tx);
Hash32 signing_hash(const Eip1559Tx& tx);
Hash32 signing_hash(const UnsignedTx& tx);

// The signed encoding (the trie value and tx-hash input): legacy rlp, or type ‖ rlp.
Result<Bytes> encode_signed(const UnsignedTx& tx, const core::RecoverableSignature& signature);

struct SignedTx {
  UnsignedTx tx;
  core::RecoverableSignature signature;
  Address sender;
  Bytes raw;     // the signed encoding
  Hash32 hash;   // keccak256(raw)
};

// Signs with low-s (THREATS 4): RFC 6979 nonces for a local key, the token's own for an HSM. Legacy
// transactions are always EIP-155.
Result<SignedTx> sign(const UnsignedTx& tx, const core::Secp256k1Signer& key);

struct DecodeOptions {
  std::uint64_t chain_id = 1;  // the only chain id accepted (legacy v and typed chainId)
  // Accept legacy v = 27/28 (no replay protection). Off by default: the relay never needs one.
  bool allow_unprotected_legacy = false;
};

// Decodes a signed legacy, type-1 or type-2 transaction and recovers its sender. Strict: canonical
// RLP only, exact field counts, fields within their widths, signature checks as ecrecover
// (THREATS 6), fee sanity as the vectors require.
Result<SignedTx> decode_signed(ByteView raw, const DecodeOptions& options) noexcept;

}  // namespace causeway::evm
