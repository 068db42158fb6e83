// Receipt JSON -> consensus bytes, the block's receipts trie, and strict decoding of one receipt.
#include "adapters/evm/receipt_json.hpp"

#include <string>
#include <utility>

#include "adapters/evm/rpc_json.hpp"
#include "relay/core/rlp.hpp"

namespace causeway::evm {
namespace {

using core::Error;
namespace rlp = core::rlp;

constexpr std::size_t kBloomBytes = 256;
constexpr std::size_t kMaxTopics = 4;

std::string at(std::string_view where, std::string_view field) {
  return std::string(where) + "." + std::string(field);
}

core::Result<void> encode_log(rlp::Encoder& out, const Json& log, const std::string& where) {
  CW_TRY(const Json* address_json, json_member(log, "address", where));
  CW_TRY(const auto address, data_exact(*address_json, at(where, "address"), 20));
  CW_TRY(const Json* topics_json, json_member(log, "topics", where));
  if (!topics_json->is_array()) return Error(reason::rpc_json::kNotArray, at(where, "topics"));
  if (topics_json->size() > kMaxTopics) {
    return Error(reason::receipt_json::kTooManyTopics, at(where, "topics") + ": " + std::to_string(topics_json->size()));
  }
  CW_TRY(const Json* data_json, json_member(log, "data", where));
  CW_TRY(const auto data, data_any(*data_json, at(where, "data")));

  out.begin_list().add_string(address).begin_list();
  for (std::size_t i = 0; i < topics_json->size(); ++i) {
    CW_TRY(const auto topic, data_exact((*topics_json)[i], at(where, "topics[" + std::to_string(i) + "]"), 32));
    out.add_string(topic);
  }
  out.end_list().add_string(data).end_list();
  return core::ok();
}

core::Result<std::uint8_t> receipt_type(const Json& receipt, std::string_view where) {
  const auto it = receipt.find("type");
  // Nodes from before EIP-2718 omit the type; their receipts are all legacy.
  if (it == receipt.end() || it->is_null()) return std::uint8_t{0};
  CW_TRY(const auto type, quantity_u64(*it, at(where, "type")));
  if (type > kMaxReceiptType) {
    return Error(reason::receipt_json::kUnknownType, at(where, "type") + ": " + to_quantity(type));
  }
  return static_cast<std::uint8_t>(type);
}

}  // namespace

core::Result<core::Bytes> receipt_from_json(const Json& receipt, std::string_view where) {
  if (!receipt.is_object()) return Error(reason::rpc_json::kNotObject, std::string(where));
  CW_TRY(const auto type, receipt_type(receipt, where));

  const bool has_status = json_present(receipt, "status");
  const bool has_root = json_present(receipt, "root");
  if (has_status == has_root) {
    return Error(reason::receipt_json::kStatusOrRoot,
                 std::string(where) + (has_status ? ": both status and root" : ": neither status nor root"));
  }
  CW_TRY(const Json* cumulative_json, json_member(receipt, "cumulativeGasUsed", where));
  CW_TRY(const auto cumulative, quantity_u64(*cumulative_json, at(where, "cumulativeGasUsed")));
  CW_TRY(const Json* bloom_json, json_member(receipt, "logsBloom", where));
  CW_TRY(const auto bloom, data_exact(*bloom_json, at(where, "logsBloom"), kBloomBytes));
  CW_TRY(const Json* logs_json, json_member(receipt, "logs", where));
  if (!logs_json->is_array()) return Error(reason::rpc_json::kNotArray, at(where, "logs"));

  rlp::Encoder out(kBloomBytes + 64 + 128 * logs_json->size());
  out.begin_list();
  if (has_status) {
    CW_TRY(const auto status, quantity_u64(receipt["status"], at(where, "status")));
    if (status > 1) return Error(reason::receipt_json::kBadStatus, at(where, "status") + ": " + to_quantity(status));
    // Success is the one-byte string 0x01, failure the empty string (geth statusEncoding).
    out.add_uint(status);
  } else {
    CW_TRY(const auto root, data_exact(receipt["root"], at(where, "root"), 32));
    out.add_string(root);
  }
  out.add_uint(cumulative).add_string(bloom).begin_list();
  for (std::size_t i = 0; i < logs_json->size(); ++i) {
    CW_CHECK(encode_log(out, (*logs_json)[i], at(where, "logs[" + std::to_string(i) + "]")));
  }
  out.end_list().end_list();

  core::Bytes payload = std::move(out).take();
  if (type == 0) return payload;
  // Typed receipts are the type byte followed by the payload, with no RLP wrapper (EIP-2718).
  core::Bytes typed;
  typed.reserve(payload.size() + 1);
  typed.push_back(type);
  core::append(typed, payload);
  return typed;
}

core::Result<BlockReceipts> BlockReceipts::from_json(const BlockReceiptsRequest& request) {
  const Json& receipts = request.receipts;
  if (!receipts.is_array()) return Error(reason::rpc_json::kNotArray, "receipts");
  if (receipts.size() > kMaxReceiptsPerBlock) {
    return Error(reason::receipt_json::kTooManyReceipts, std::to_string(receipts.size()));
  }
  std::vector<core::Bytes> values;
  values.reserve(receipts.size());
  for (std::size_t i = 0; i < receipts.size(); ++i) {
    const std::string where = "receipts[" + std::to_string(i) + "]";
    const Json& receipt = receipts[i];
    // Position and block first: a receipt list of another block or in another order would only
    // show up as a root mismatch, which says much less.
    CW_TRY(const Json* index_json, json_member(receipt, "transactionIndex", where));
    CW_TRY(const auto index, quantity_u64(*index_json, at(where, "transactionIndex")));
    if (index != i) {
      return Error(reason::receipt_json::kWrongPosition, at(where, "transactionIndex") + " is " + to_quantity(index));
    }
    CW_TRY(const Json* hash_json, json_member(receipt, "blockHash", where));
    CW_TRY(const auto block_hash, data_fixed<core::Hash32>(*hash_json, at(where, "blockHash")));
    if (block_hash != request.block_hash) {
      return Error(reason::receipt_json::kWrongBlock, at(where, "blockHash") + " is " + core::to_hex(block_hash) +
                                                          ", not " + core::to_hex(request.block_hash));
    }
    CW_TRY(const Json* number_json, json_member(receipt, "blockNumber", where));
    CW_TRY(const auto number, quantity_u64(*number_json, at(where, "blockNumber")));
    if (number != request.block_number) {
      return Error(reason::receipt_json::kWrongBlock, at(where, "blockNumber") + " is " + std::to_string(number) +
                                                          ", not " + std::to_string(request.block_number));
    }
    CW_TRY(auto value, receipt_from_json(receipt, where));
    values.push_back(std::move(value));
  }
  return from_values(std::move(values), request.receipts_root);
}

core::Result<BlockReceipts> BlockReceipts::from_values(std::vector<core::Bytes> values,
                                                       const core::Hash32& receipts_root) {
  if (values.size() > kMaxReceiptsPerBlock) {
    return Error(reason::receipt_json::kTooManyReceipts, std::to_string(values.size()));
  }
  core::mpt::Trie trie = core::mpt::indexed_trie(values);
  const core::Hash32 root = trie.root();
  if (root != receipts_root) {
    return Error(reason::receipt_json::kRootMismatch, "rebuilt " + core::to_hex(root) + " over " +
                                                          std::to_string(values.size()) + " receipts, header has " +
                                                          core::to_hex(receipts_root));
  }
  return BlockReceipts(std::move(values), std::move(trie), root);
}

core::Result<std::vector<core::Bytes>> BlockReceipts::prove(std::uint64_t tx_index) const {
  const std::uint64_t indices[] = {tx_index};
  CW_TRY(auto proofs, prove_many(indices));
  return std::move(proofs.front());
}

core::Result<std::vector<std::vector<core::Bytes>>> BlockReceipts::prove_many(
    std::span<const std::uint64_t> tx_indices) const {
  std::vector<core::Bytes> keys;
  keys.reserve(tx_indices.size());
  for (const std::uint64_t tx_index : tx_indices) {
    if (tx_index >= values_.size()) {
      return Error(reason::receipt_json::kTxIndexOutOfRange,
                   std::to_string(tx_index) + " of " + std::to_string(values_.size()) + " receipts");
    }
    keys.push_back(core::mpt::receipt_key(tx_index));
  }
  return trie_.prove_many(keys);
}

}  // namespace causeway::evm
