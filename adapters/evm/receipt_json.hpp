// Consensus encoding of EVM receipts from node JSON (PROOF_FORMATS.md A.4), the receipts trie of a
// whole block checked against the header's receiptsRoot, and proofs for one transaction index (A.5).
// Decoding an encoded receipt is relay/verify/inclusion.hpp's decode_receipt (one decoder).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "relay/core/bytes.hpp"
#include "relay/core/mpt.hpp"
#include "relay/core/result.hpp"

namespace causeway::evm {

namespace reason::receipt_json {
// A receipt type outside 0..4 (legacy, 2930, 1559, 4844, 7702): its encoding is not known here.
inline constexpr core::Reason kUnknownType{"receipt_json.unknown_type"};
// Neither `status` nor `root`, or both: the first receipt field would be ambiguous.
inline constexpr core::Reason kStatusOrRoot{"receipt_json.status_or_root"};
// `status` other than 0x0 / 0x1.
inline constexpr core::Reason kBadStatus{"receipt_json.bad_status"};
inline constexpr core::Reason kTooManyTopics{"receipt_json.too_many_topics"};
inline constexpr core::Reason kTooManyReceipts{"receipt_json.too_many_receipts"};
// A receipt sits at another position than its transactionIndex says (the trie key would differ).
inline constexpr core::Reason kWrongPosition{"receipt_json.wrong_position"};
// A receipt's blockHash or blockNumber is not the header's: receipts of another (e.g. reorged) block.
inline constexpr core::Reason kWrongBlock{"receipt_json.wrong_block"};
// The rebuilt receipts trie's root is not the header's receiptsRoot.
inline constexpr core::Reason kRootMismatch{"receipt_json.receipts_root_mismatch"};
inline constexpr core::Reason kTxIndexOutOfRange{"receipt_json.tx_index_out_of_range"};
}  // namespace reason::receipt_json

// Far above what any block gas limit allows (30M gas / 21000 = 1428 transactions).
inline constexpr std::size_t kMaxReceiptsPerBlock = 1u << 16;
inline constexpr std::uint8_t kMaxReceiptType = 4;

// The trie value of one receipt: rlp([status | root, cumulativeGasUsed, logsBloom, logs]),
// prefixed by the type byte for typed receipts. Reads only the committed fields; `where` names the
// receipt in errors ("receipts[3]"), and every field error names the JSON field.
core::Result<core::Bytes> receipt_from_json(const nlohmann::json& receipt, std::string_view where = "receipt");

struct BlockReceiptsRequest {
  const nlohmann::json& receipts;  // eth_getBlockReceipts result: every receipt of the block, in order
  core::Hash32 receipts_root;      // from the header the receipts must belong to
  core::Hash32 block_hash;
  std::uint64_t block_number = 0;
};

// All receipts of one block, checked against its receiptsRoot; proves any transaction index.
class BlockReceipts {
 public:
  // Encodes every receipt, requires receipts[i].transactionIndex == i and blockHash/blockNumber
  // equal to the request's, builds the trie (indexed_trie) and requires its root ==
  // receipts_root (kRootMismatch otherwise).
  static core::Result<BlockReceipts> from_json(const BlockReceiptsRequest& request);
  // The same from already-encoded trie values (e.g. debug_getRawReceipts).
  static core::Result<BlockReceipts> from_values(std::vector<core::Bytes> values, const core::Hash32& receipts_root);

  std::size_t size() const noexcept { return values_.size(); }
  const core::Hash32& root() const noexcept { return root_; }
  // The encoded receipt of transaction `tx_index` (precondition: tx_index < size()).
  const core::Bytes& value(std::size_t tx_index) const { return values_.at(tx_index); }
  // The MPT proof (root first) of receipt `tx_index` under key rlp(tx_index).
  core::Result<std::vector<core::Bytes>> prove(std::uint64_t tx_index) const;
  // prove() of each index, in one pass over the trie (Trie::prove_many).
  core::Result<std::vector<std::vector<core::Bytes>>> prove_many(std::span<const std::uint64_t> tx_indices) const;

 private:
  BlockReceipts(std::vector<core::Bytes> values, core::mpt::Trie trie, const core::Hash32& root)
      : values_(std::move(values)), trie_(std::move(trie)), root_(root) {}
  std::vector<core::Bytes> values_;
  core::mpt::Trie trie_;
  core::Hash32 root_;
};

}  // namespace causeway::evm
