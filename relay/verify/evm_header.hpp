// EVM block headers (PROOF_FORMATS.md A.2): strict decoding of the RLP for every fork through
// Prague into views of the caller's bytes, the plain hash, and re-hashing with another extraData.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "relay/core/bytes.hpp"
#include "relay/core/result.hpp"

namespace causeway::verify {

namespace reason {
inline constexpr core::Reason kHeaderTooLarge{"verify.header_too_large"};
inline constexpr core::Reason kHeaderNotList{"verify.header_not_list"};
inline constexpr core::Reason kHeaderTooFewFields{"verify.header_too_few_fields"};
// More fields than Prague defines (geth master's unfinished Amsterdam fields included).
inline constexpr core::Reason kHeaderUnknownFields{"verify.header_unknown_fields"};
// A fork's fields only partly present: Cancun adds fields 17-19 together, so 18 or 19 fields is a
// header with a hole in it.
inline constexpr core::Reason kHeaderFieldGap{"verify.header_field_gap"};
// A field of the wrong RLP kind or size (e.g. a 31-byte hash, a 9-byte uint64, a list).
inline constexpr core::Reason kHeaderFieldSize{"verify.header_field_size"};
}  // namespace reason

// Bound checked before decoding: a BFT header with a few hundred validators and seals is ~40 KiB.
inline constexpr std::size_t kMaxHeaderBytes = 256 * 1024;
inline constexpr std::size_t kBaseHeaderFields = 15;
inline constexpr std::size_t kMaxHeaderFields = 21;  // ... requestsHash (Prague)

// One decoded header. Every view points into `raw`, which the caller keeps alive.
struct EvmHeader {
  core::ByteView raw;  // the whole header RLP
  std::size_t field_count = 0;

  core::ByteView parent_hash;        // 32
  core::ByteView ommers_hash;        // 32
  core::ByteView coinbase;           // 20
  core::ByteView state_root;         // 32
  core::ByteView transactions_root;  // 32
  core::ByteView receipts_root;      // 32
  core::ByteView logs_bloom;         // 256
  core::ByteView difficulty;         // minimal big-endian, at most 32 bytes
  std::uint64_t number = 0;
  std::uint64_t gas_limit = 0;
  std::uint64_t gas_used = 0;
  std::uint64_t timestamp = 0;
  core::ByteView extra_data;
  core::ByteView mix_hash;           // 32
  core::ByteView nonce;              // 8
  std::optional<core::ByteView> base_fee;                  // London: minimal big-endian
  std::optional<core::ByteView> withdrawals_root;          // Shanghai
  std::optional<std::uint64_t> blob_gas_used;              // Cancun
  std::optional<std::uint64_t> excess_blob_gas;            // Cancun
  std::optional<core::ByteView> parent_beacon_block_root;  // Cancun
  std::optional<core::ByteView> requests_hash;             // Prague

  // The encoded fields around extraData inside the list payload, so a header with another
  // extraData is hashed from parts without re-encoding the other fields.
  core::ByteView fields_before_extra;
  core::ByteView fields_after_extra;
};

core::Result<EvmHeader> decode_evm_header(core::ByteView rlp) noexcept;

// keccak256 of the full RLP: the block hash of plain chains and Clique (not of BFT chains).
core::Hash32 plain_hash(const EvmHeader& header) noexcept;
// keccak256 of the header with extraData replaced, without building the encoding.
core::Hash32 hash_with_extra(const EvmHeader& header, core::ByteView extra_data);
// The header RLP with extraData replaced.
core::Bytes encode_with_extra(const EvmHeader& header, core::ByteView extra_data);

// Copies a field the decoder has already sized.
core::Hash32 to_hash32(core::ByteView exact32) noexcept;
core::Address to_address(core::ByteView exact20) noexcept;

}  // namespace causeway::verify
