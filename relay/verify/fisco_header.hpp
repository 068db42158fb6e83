// FISCO BCOS block headers (PROOF_FORMATS.md B.1-B.3): the crypto mode that picks the hash, strict
// decoding of the 2.x 13-field RLP header, and the 2.x and 3.x header hashes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "relay/core/bytes.hpp"
#include "relay/core/result.hpp"

namespace causeway::verify {

namespace reason::fisco {
inline constexpr core::Reason kHeaderTooLarge{"fisco.header_too_large"};
// Not an RLP list of exactly 13 items (any RLP-level fault is reported in the detail).
inline constexpr core::Reason kHeaderMalformed{"fisco.header_malformed"};
// A field of the wrong RLP kind or size: a 31-byte root, a 9-byte integer, a 63-byte node id.
inline constexpr core::Reason kHeaderFieldSize{"fisco.header_field_size"};
// The header's own sealer index does not point into its sealer list.
inline constexpr core::Reason kBadSealerIndex{"fisco.bad_sealer_index"};
// A 3.x header whose consensusWeights are not parallel to its sealerList.
inline constexpr core::Reason kWeightsMismatch{"fisco.weights_mismatch"};
}  // namespace reason::fisco

// The chain's crypto mode is configuration, never read from the data: a header that could choose
// its own hash could choose the weaker one.
enum class FiscoCrypto : std::uint8_t {
  kEcdsa,  // Keccak-256 and secp256k1 (the default, "non-GM")
  kSm,     // SM3 and SM2 (national-crypto, "GM")
};

// Keccak-256 or SM3 per mode: the one hash of headers, receipts and Merkle nodes.
core::Hash32 fisco_hash(FiscoCrypto crypto, core::ByteView data) noexcept;

inline constexpr std::size_t kFiscoNodeIdSize = 64;
// A 2.x header with a few hundred sealers is well under this.
inline constexpr std::size_t kMaxFiscoHeaderBytes = 256 * 1024;

// A decoded 2.x header. Views point into `raw`, which the caller keeps alive.
struct Fisco2Header {
  core::ByteView raw;
  core::Hash32 parent_hash;
  core::Hash32 state_root;
  core::Hash32 transactions_root;
  core::Hash32 receipts_root;
  core::Hash32 db_hash;
  core::ByteView logs_bloom;  // 256
  std::uint64_t number = 0;
  std::uint64_t gas_limit = 0;
  std::uint64_t gas_used = 0;
  std::uint64_t timestamp = 0;  // milliseconds
  std::vector<core::ByteView> extra_data;
  std::uint64_t sealer = 0;                // index into sealer_list of the proposer
  std::vector<core::ByteView> sealer_list;  // 64-byte node ids, the sealer set for this block
};

// Strict: canonical RLP, 13 fields of the right kinds and sizes, a non-empty sealer list with the
// proposer index inside it, no trailing bytes.
core::Result<Fisco2Header> decode_fisco2_header(core::ByteView rlp);

// H(rlp) of the 13 fields as received: the block hash sealers sign.
core::Hash32 fisco2_header_hash(const Fisco2Header& header, FiscoCrypto crypto) noexcept;

// How a 3.x node lays out integers in the hash preimage (B.3): the release candidates wrote every
// integer as be32(low 32 bits) followed by four zero bytes; 3.0.0 and later write be32(version)
// and be64 for the rest. Chosen by the configured node version.
enum class Fisco3Layout : std::uint8_t { kReleaseCandidate, kV3 };

struct Fisco3ParentInfo {
  std::uint64_t number = 0;
  core::Hash32 hash;
};

// A 3.x header's data fields (BlockHeaderData). 3.x has no canonical wire bytes to decode (TARS
// or JSON), so the caller fills this from its transport and the hash is recomputed from it.
struct Fisco3Header {
  std::uint32_t version = 0;
  std::vector<Fisco3ParentInfo> parent_info;
  core::Hash32 txs_root;
  core::Hash32 receipts_root;
  core::Hash32 state_root;
  std::uint64_t number = 0;
  std::string gas_used;  // decimal ASCII, hashed as the node stores it
  std::uint64_t timestamp = 0;
  std::uint64_t sealer = 0;
  std::vector<core::Bytes> sealer_list;  // 64-byte node ids
  core::Bytes extra_data;
  std::vector<std::uint64_t> consensus_weights;  // parallel to sealer_list
};

// Checks what the hash alone would not: node id sizes, a non-empty sealer list, the proposer
// index, weights parallel to the sealer list, and gasUsed as decimal digits.
core::Result<void> validate_fisco3_header(const Fisco3Header& header);
// The exact bytes hashed (for diagnostics and tests) and their hash.
core::Bytes fisco3_header_preimage(const Fisco3Header& header, Fisco3Layout layout);
core::Hash32 fisco3_header_hash(const Fisco3Header& header, Fisco3Layout layout, FiscoCrypto crypto);

}  // namespace causeway::verify
