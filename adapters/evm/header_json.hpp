// Rebuilds the consensus RLP of an EVM block header from `eth_getBlockByNumber` JSON, fork-aware
// (Frontier base fields, then London … Prague trailing fields; PROOF_FORMATS.md A.2).
#pragma once

#include <cstddef>
#include <cstdint>

#include <nlohmann/json.hpp>

#include "relay/core/bytes.hpp"
#include "relay/core/result.hpp"
#include "relay/verify/consensus.hpp"

namespace causeway::evm {

namespace reason::header_json {
// A key the header JSON should not have (e.g. a typo, or a field of a fork this code does not
// know, whose absence from the RLP would give a wrong hash). The detail names the key.
inline constexpr core::Reason kUnknownField{"header_json.unknown_field"};
// A consensus field of an unfinished fork (EIP-7928 blockAccessListHash, EIP-7843 slotNumber):
// known to exist on some nodes and deliberately not encoded until it is final.
inline constexpr core::Reason kUnsupportedField{"header_json.unsupported_field"};
// A trailing field is present while an earlier one is missing (the RLP list has no holes), or a
// fork's fields are only partly present (Cancun adds blobGasUsed, excessBlobGas and
// parentBeaconBlockRoot together). The detail names both fields.
inline constexpr core::Reason kFieldGap{"header_json.field_gap"};
inline constexpr core::Reason kExtraDataTooLarge{"header_json.extra_data_too_large"};
// keccak256 of the rebuilt RLP is not the JSON `hash` (plain chains and Clique only).
inline constexpr core::Reason kHashMismatch{"header_json.hash_mismatch"};
}  // namespace reason::header_json

// How the block hash relates to the header RLP, chosen per consensus engine (DESIGN.md 3).
enum class HeaderHashRule {
  // keccak256(full RLP) is the block hash: plain chains (anvil, geth --dev, PoW/PoS), Clique, and
  // the confirmations / trusted modes. header_from_json checks it against the JSON `hash`.
  kPlainKeccak,
  // QBFT, IBFT 2.0 and IBFT 1.0 hash a filtered header (round and seals removed from extraData,
  // PROOF_FORMATS.md A.6), so the JSON `hash` is not keccak(full RLP). header_from_json does not
  // check it; the verifier's engine-specific hash over the returned RLP must equal it.
  kEngineSpecific,
};

// The rule for a configured finality mode.
constexpr HeaderHashRule hash_rule_for(verify::ConsensusMode mode) noexcept {
  switch (mode) {
    case verify::ConsensusMode::kQbft:
    case verify::ConsensusMode::kIbft2:
    case verify::ConsensusMode::kIbft1:
      return HeaderHashRule::kEngineSpecific;
    case verify::ConsensusMode::kClique:
    case verify::ConsensusMode::kConfirmations:
    case verify::ConsensusMode::kTrusted:
      break;
  }
  return HeaderHashRule::kPlainKeccak;
}

// A BFT header carries every validator and seal in extraData; a few hundred of each are ~40 KiB.
inline constexpr std::size_t kMaxExtraDataBytes = 128 * 1024;

struct HeaderFromJsonRequest {
  const nlohmann::json& block;  // an eth_getBlockByNumber / eth_getBlockByHash result
  HeaderHashRule hash_rule = HeaderHashRule::kPlainKeccak;
  // Ignore keys that are neither header fields nor the known derived ones (hash, size,
  // totalDifficulty, transactions, uncles, withdrawals). Off by default: an unknown key is more
  // likely a new consensus field than harmless decoration, and naming it beats a hash mismatch.
  bool allow_unknown_keys = false;
  // Encode the optional fields that are present even when an earlier one is missing, instead of
  // kFieldGap. Only for block 0 in the start-up check: anvil 1.7.1 run with --hardfork london or
  // shanghai reports (and hashes) its genesis with blobGasUsed and excessBlobGas but without
  // withdrawalsRoot, and block 0 is never proof material (the verifier refuses such headers).
  // The hash check still applies, so the node's genesis hash is still rebuilt, not believed.
  bool allow_gaps = false;
};

struct RebuiltHeader {
  core::Bytes rlp;          // the consensus encoding
  core::Hash32 hash;        // the JSON `hash`; equal to keccak256(rlp) when hash_checked
  bool hash_checked = false;
  std::size_t field_count = 0;  // 15 (pre-London) … 21 (Prague)
  std::uint64_t number = 0;
  std::uint64_t timestamp = 0;
  core::Hash32 parent_hash;
  core::Hash32 receipts_root;
};

// Strict: every header field is checked for presence, hex form and size (the error names the JSON
// field as "block.<name>"); optional fields are encoded exactly when present, in A.2 order, and a
// hole in that order is kFieldGap. With kPlainKeccak the rebuilt hash must equal the JSON hash.
core::Result<RebuiltHeader> header_from_json(const HeaderFromJsonRequest& request);

}  // namespace causeway::evm
