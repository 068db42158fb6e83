// An in-memory EVM chain behind evm::Rpc for source_test.cpp and the bundle benchmark: Prague
// headers with real hashes and parent links, receipts with MessageSent and MessageExecuted logs,
// transactions by hash, eth_getLogs with topic filters and a result cap, and reorgs. Or a signed
// chain loaded from derived data (QBFT / IBFT 2.0 / Clique headers sealed by ethers, one block with
// a gateway receipt: gen_bft_chains.mjs "sent_chains").
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "adapters/evm/bloom.hpp"
#include "adapters/evm/header_json.hpp"
#include "adapters/evm/receipt_json.hpp"
#include "adapters/evm/rpc_json.hpp"
#include "adapters/evm/source.hpp"
#include "relay/core/abi.hpp"
#include "relay/core/hash.hpp"
#include "relay/core/message.hpp"
#include "relay/core/mpt.hpp"
#include "relay/net/error.hpp"
#include "relay/verify/evm_header.hpp"

namespace causeway::test {

class FakeChain final : public evm::Rpc {
 public:
  using json = nlohmann::json;

  static constexpr std::uint64_t kChainId = 1001;

  FakeChain() {
    gateway_ = *core::fixed_from_hex<core::Address>("0x" + std::string(38, '0') + "aa");
    dst_ = *core::fixed_from_hex<core::ChainIdentity>(hex32("dst"));
    mine({});  // genesis
  }

  // Serves a derived signed chain (an entry of derived_chains.json "sent_chains", chain id
  // kChainId): its checkpoint as block 0, its headers as JSON rebuilt field by field from their
  // RLP with their own hashes, empty blocks but for event.block, whose one transaction has
  // event.receipt, and with `later_event` likewise later_event.block (else served empty: its
  // receipts root then does not match, which only a proof of that block notices).
  explicit FakeChain(const json& signed_chain, bool later_event = false) {
    gateway_ = *core::fixed_from_hex<core::Address>(signed_chain["gateway"].get<std::string>());
    dst_ = *core::fixed_from_hex<core::ChainIdentity>(hex32("dst"));
    const json& checkpoint = signed_chain["checkpoint"];
    append_signed(checkpoint["header_rlp"].get<std::string>(), checkpoint["hash"].get<std::string>(), nullptr);
    const json& event = signed_chain["event"];
    const json& later = signed_chain["later_event"];
    for (const json& h : signed_chain["headers"]) {
      const json* sent = h["number"] == event["block"]              ? &event
                         : later_event && h["number"] == later["block"] ? &later
                                                                        : nullptr;
      append_signed(h["rlp"].get<std::string>(), h["hash"].get<std::string>(), sent);
    }
  }

  // One transaction's receipt: `messages` MessageSent logs of the gateway, then `executions`
  // MessageExecuted logs, after `other_logs` logs of another contract. `tx_fields` replace fields
  // of the transaction eth_getTransactionByHash returns (a public type-2 call of the gateway).
  struct Tx {
    std::size_t messages = 0;
    std::size_t other_logs = 0;
    bool failed = false;
    std::size_t executions = 0;
    json tx_fields = json::object();
  };

  // Appends a block with these transactions; returns its number.
  std::uint64_t mine(const std::vector<Tx>& txs) {
    const std::uint64_t number = blocks_.size();
    json receipts = json::array();
    std::uint64_t log_index = 0;
    for (std::size_t t = 0; t < txs.size(); ++t) {
      json logs = json::array();
      for (std::size_t i = 0; i < txs[t].other_logs && !txs[t].failed; ++i) {
        logs.push_back({{"address", "0x" + std::string(40, 'b')},
                        {"topics", json::array({hex32("other")})},
                        {"data", "0x01"},
                        {"logIndex", evm::to_quantity(log_index++)}});
      }
      for (std::size_t i = 0; i < txs[t].messages && !txs[t].failed; ++i) {
        core::Message m = message(++sequence_);
        const std::vector<core::abi::Value> data{core::abi::bytes(core::encode_message(m))};
        logs.push_back({{"address", core::to_hex(gateway_)},
                        {"topics", json::array({core::to_hex(core::kMessageSentTopic), core::to_hex(core::message_id(m)),
                                                core::to_hex(dst_), core::to_hex(core::abi::uint_word(m.sequence.value))})},
                        {"data", core::to_hex(core::abi::encode(data))},
                        {"logIndex", evm::to_quantity(log_index++)}});
      }
      for (std::size_t i = 0; i < txs[t].executions && !txs[t].failed; ++i) {
        const Execution e = execution(++executed_);
        const std::vector<core::abi::Value> data{core::abi::uint(static_cast<std::uint8_t>(e.outcome.status)),
                                                 core::abi::word(e.outcome.claim)};
        logs.push_back({{"address", core::to_hex(gateway_)},
                        {"topics", json::array({core::to_hex(core::kMessageExecutedTopic), core::to_hex(e.id),
                                                core::to_hex(e.src_chain), core::to_hex(core::abi::uint_word(e.sequence))})},
                        {"data", core::to_hex(core::abi::encode(data))},
                        {"logIndex", evm::to_quantity(log_index++)}});
      }
      receipts.push_back({{"type", "0x2"},
                          {"status", txs[t].failed ? "0x0" : "0x1"},
                          {"cumulativeGasUsed", evm::to_quantity(90000 * (t + 1))},
                          {"logsBloom", "0x" + std::string(512, '0')},
                          {"logs", std::move(logs)},
                          {"transactionIndex", evm::to_quantity(t)},
                          {"transactionHash", hex32("tx" + std::to_string(number) + "." + std::to_string(t) + salt_)}});
    }
    std::vector<core::Bytes> values;
    for (const auto& r : receipts) values.push_back(*evm::receipt_from_json(r));
    // The header's logs bloom, as a node fills it: the source skips eth_getLogs for a block
    // without the gateway in it.
    evm::LogsBloom bloom{};
    for (const auto& r : receipts) {
      for (const auto& l : r["logs"]) {
        evm::bloom_add(bloom, *core::from_hex(l["address"].get<std::string>()));
        for (const auto& topic : l["topics"]) evm::bloom_add(bloom, *core::from_hex(topic.get<std::string>()));
      }
    }
    const std::string parent = number == 0 ? core::to_hex(core::Hash32{}) : blocks_.back()["hash"].get<std::string>();
    json block = header(number, parent, core::to_hex(core::mpt::indexed_trie(values).root()), core::to_hex(bloom));
    for (auto& r : receipts) {
      r["blockHash"] = block["hash"];
      r["blockNumber"] = block["number"];
      for (auto& l : r["logs"]) {
        l["blockHash"] = block["hash"];
        l["blockNumber"] = block["number"];
        l["transactionIndex"] = r["transactionIndex"];
        l["transactionHash"] = r["transactionHash"];
        l["removed"] = false;
      }
    }
    json txs_json = json::array();
    for (std::size_t t = 0; t < receipts.size(); ++t) {
      const json& r = receipts[t];
      txs_json.push_back(r["transactionHash"]);
      json tx = {{"hash", r["transactionHash"]},
                 {"blockHash", block["hash"]},
                 {"blockNumber", block["number"]},
                 {"transactionIndex", r["transactionIndex"]},
                 {"type", "0x2"},
                 {"to", core::to_hex(gateway_)},
                 {"v", "0x1"}};
      tx.update(txs[t].tx_fields);
      transactions_[r["transactionHash"].get<std::string>()] = std::move(tx);
    }
    block["transactions"] = txs_json;
    blocks_.push_back(std::move(block));
    receipts_.push_back(std::move(receipts));
    return number;
  }

  // Replaces the last `depth` blocks with as many empty ones (anvil_reorg with no transactions).
  void reorg(std::size_t depth) {
    for (std::size_t n = blocks_.size() - depth; n < blocks_.size(); ++n) {
      for (const auto& r : receipts_[n]) transactions_.erase(r["transactionHash"].get<std::string>());
    }
    blocks_.resize(blocks_.size() - depth);
    receipts_.resize(receipts_.size() - depth);
    salt_ += "'";
    for (std::size_t i = 0; i < depth; ++i) mine({});
  }

  // Answered call by call like the base class; counted, so tests see what went in one round trip.
  boost::asio::awaitable<core::Result<std::vector<core::Result<json>>>> batch(std::vector<net::Call> calls) override {
    ++batches_;
    co_return co_await evm::Rpc::batch(std::move(calls));
  }
  std::size_t batches() const { return batches_; }

  boost::asio::awaitable<core::Result<json>> call(std::string method, json params) override {
    ++calls_[method];
    if (method == "eth_chainId") co_return json(evm::to_quantity(kChainId));
    if (method == "eth_blockNumber") co_return json(evm::to_quantity(blocks_.size() - 1));
    if (method == "eth_getBlockByNumber" || method == "eth_getBlockReceipts") {
      const std::uint64_t n = *evm::quantity_u64(params[0], "block");
      if (n >= blocks_.size()) co_return json(nullptr);
      if (method == "eth_getBlockReceipts") co_return receipts_[n];
      if (params.size() < 2 || !params[1].get<bool>()) co_return blocks_[n];
      json full = blocks_[n];  // with its transactions, as eth_getTransactionByHash gives each
      for (json& tx : full["transactions"]) tx = transactions_.at(tx.get<std::string>());
      co_return full;
    }
    if (method == "eth_getTransactionByHash") {
      const auto it = transactions_.find(params[0].get<std::string>());
      co_return it == transactions_.end() ? json(nullptr) : it->second;
    }
    if (method == "debug_getRawHeader" || method == "debug_getRawReceipts") {
      if (!offer_raw) co_return core::Error(net::reason::kRpcMethodNotFound, "rpc code -32601: the method " + method + " does not exist");
      const std::string wanted = params[0].get<std::string>();
      for (std::size_t n = 0; n < blocks_.size(); ++n) {
        if (blocks_[n]["hash"].get<std::string>() != wanted) continue;
        // The exact bytes the JSON path rebuilds, as a node holding the block would give them.
        if (method == "debug_getRawReceipts") {
          json values = json::array();
          for (const auto& r : receipts_[n]) values.push_back(core::to_hex(*evm::receipt_from_json(r)));
          co_return values;
        }
        auto rebuilt = evm::header_from_json({.block = blocks_[n], .hash_rule = evm::HeaderHashRule::kEngineSpecific});
        core::Bytes rlp = rebuilt->rlp;
        if (tamper_raw_header || tamper_raw_block == n) rlp[rlp.size() - 1] ^= 0x01;  // last byte of requestsHash
        co_return json(core::to_hex(rlp));
      }
      co_return json(nullptr);
    }
    if (method == "eth_getLogs") {
      const json& filter = params[0];
      filters_.push_back(filter);
      const std::uint64_t from = *evm::quantity_u64(filter["fromBlock"], "from");
      const std::uint64_t to = *evm::quantity_u64(filter["toBlock"], "to");
      json out = json::array();
      for (std::uint64_t n = from; n <= to && n < blocks_.size(); ++n) {
        for (const auto& r : receipts_[n]) {
          for (const auto& l : r["logs"]) {
            if (l["address"] != filter["address"]) continue;
            if (ignore_topic_filter || matches(filter["topics"], l["topics"])) out.push_back(l);
          }
        }
      }
      if (out.size() > max_logs_) {
        co_return core::Error(net::reason::kRpcError, "rpc code -32005: query returned more than " +
                                                          std::to_string(max_logs_) + " results");
      }
      co_return out;
    }
    co_return core::Error(net::reason::kRpcMethodNotFound, method);
  }

  core::ChainIdentity identity() const {
    return core::chain_identity(core::ChainFamily::kEvm, core::evm_chain_key(kChainId),
                                *core::fixed_from_hex<core::Hash32>(blocks_[0]["hash"].get<std::string>()));
  }
  evm::SourceConfig config() const {
    evm::SourceConfig c;
    c.chain_id = kChainId;
    c.chain_identity = identity();
    c.gateway = gateway_;
    return c;
  }
  core::Hash32 hash(std::uint64_t n) const { return *core::fixed_from_hex<core::Hash32>(blocks_[n]["hash"].get<std::string>()); }
  std::uint64_t height() const { return blocks_.size() - 1; }
  json& block(std::uint64_t n) { return blocks_[n]; }
  json& receipts(std::uint64_t n) { return receipts_[n]; }
  void set_max_logs(std::size_t n) { max_logs_ = n; }
  std::size_t get_logs_calls() const { return calls("eth_getLogs"); }
  // Every eth_getLogs filter asked for, in order.
  const std::vector<json>& filters() const { return filters_; }
  const core::Address& gateway() const { return gateway_; }
  const core::ChainIdentity& destination() const { return dst_; }
  std::size_t calls(const std::string& method) const {
    const auto it = calls_.find(method);
    return it == calls_.end() ? 0 : it->second;
  }
  // A transaction by hash (a new one when `hash` is unknown).
  json& transaction(const std::string& hash) { return transactions_[hash]; }

  // What the n-th MessageExecuted log (from 1) of this chain says.
  struct Execution {
    core::MessageId id;
    core::ChainIdentity src_chain;
    std::uint64_t sequence = 0;
    core::Outcome outcome;
  };
  static Execution execution(std::uint64_t n) {
    Execution e;
    e.id = core::MessageId{core::keccak256(core::as_bytes("executed " + std::to_string(n))).bytes};
    e.src_chain = core::ChainIdentity{core::keccak256(core::as_bytes("src")).bytes};
    e.sequence = n;
    e.outcome.status = n % 2 == 0 ? core::ExecStatus::kReceiverFailed : core::ExecStatus::kOk;
    e.outcome.claim = core::Claim{core::keccak256(core::as_bytes("delivery claim " + std::to_string(n))).bytes};
    return e;
  }

  // Answer debug_getRawHeader / debug_getRawReceipts (by block hash); else -32601 like anvil.
  bool offer_raw = false;
  // debug_getRawHeader flips a bit of the header it returns.
  bool tamper_raw_header = false;
  // Only this block's raw header is flipped.
  std::optional<std::uint64_t> tamper_raw_block;
  // eth_getLogs returns every gateway log of the range, whatever topics were asked for.
  bool ignore_topic_filter = false;

  static std::string hex32(const std::string& seed) { return core::to_hex(core::keccak256(core::as_bytes(seed))); }

 private:
  // eth_getLogs topic matching: per position null (any), one value, or an array of alternatives.
  static bool matches(const json& wanted, const json& topics) {
    if (wanted.is_null()) return true;
    for (std::size_t i = 0; i < wanted.size(); ++i) {
      if (wanted[i].is_null()) continue;
      if (i >= topics.size()) return false;
      if (wanted[i].is_array()) {
        if (std::find(wanted[i].begin(), wanted[i].end(), topics[i]) == wanted[i].end()) return false;
      } else if (wanted[i] != topics[i]) {
        return false;
      }
    }
    return true;
  }

  // A quantity from a minimal big-endian field (difficulty, baseFee).
  static std::string quantity_of(core::ByteView bytes) {
    std::string digits = core::to_hex(bytes).substr(2);
    digits.erase(0, std::min(digits.find_first_not_of('0'), digits.size()));
    return "0x" + (digits.empty() ? std::string("0") : digits);
  }

  void append_signed(const std::string& rlp_hex, const std::string& hash, const json* event) {
    const core::Bytes rlp = *core::from_hex(rlp_hex);
    const verify::EvmHeader h = *verify::decode_evm_header(rlp);
    json block = {{"parentHash", core::to_hex(h.parent_hash)},
                  {"sha3Uncles", core::to_hex(h.ommers_hash)},
                  {"miner", core::to_hex(h.coinbase)},
                  {"stateRoot", core::to_hex(h.state_root)},
                  {"transactionsRoot", core::to_hex(h.transactions_root)},
                  {"receiptsRoot", core::to_hex(h.receipts_root)},
                  {"logsBloom", core::to_hex(h.logs_bloom)},
                  {"difficulty", quantity_of(h.difficulty)},
                  {"number", evm::to_quantity(h.number)},
                  {"gasLimit", evm::to_quantity(h.gas_limit)},
                  {"gasUsed", evm::to_quantity(h.gas_used)},
                  {"timestamp", evm::to_quantity(h.timestamp)},
                  {"extraData", core::to_hex(h.extra_data)},
                  {"mixHash", core::to_hex(h.mix_hash)},
                  {"nonce", core::to_hex(h.nonce)},
                  {"hash", hash},
                  {"transactions", json::array()}};
    if (h.base_fee) block["baseFeePerGas"] = quantity_of(*h.base_fee);
    json receipts = json::array();
    if (event != nullptr) {
      json r = (*event)["receipt"];
      const json tx_hash = (*event)["tx_hash"];
      r["transactionIndex"] = "0x0";
      r["transactionHash"] = tx_hash;
      r["blockHash"] = hash;
      r["blockNumber"] = block["number"];
      for (auto& l : r["logs"]) {
        l["logIndex"] = "0x0";
        l["blockHash"] = hash;
        l["blockNumber"] = block["number"];
        l["transactionIndex"] = "0x0";
        l["transactionHash"] = tx_hash;
        l["removed"] = false;
      }
      receipts.push_back(std::move(r));
      block["transactions"].push_back(tx_hash);
      transactions_[tx_hash.get<std::string>()] = {{"hash", tx_hash},           {"blockHash", hash},
                                                  {"blockNumber", block["number"]}, {"transactionIndex", "0x0"},
                                                  {"type", "0x2"},                  {"to", core::to_hex(gateway_)},
                                                  {"v", "0x1"}};
    }
    blocks_.push_back(std::move(block));
    receipts_.push_back(std::move(receipts));
  }

  core::Message message(std::uint64_t sequence) const {
    core::Message m;
    m.src_chain = blocks_.empty() ? core::ChainIdentity{} : identity();
    m.src_gateway = core::address_word(gateway_);
    m.dst_chain = dst_;
    m.dst_gateway = core::address_word(gateway_);
    m.receiver = core::address_word(gateway_);
    m.sequence = core::Sequence{sequence};
    m.sender = core::address_word(gateway_);
    m.gas_limit = 300000;
    m.payload = core::Bytes(256, static_cast<std::uint8_t>(sequence));
    return m;
  }

  json header(std::uint64_t number, const std::string& parent, const std::string& receipts_root,
              const std::string& logs_bloom = "0x" + std::string(512, '0')) const {
    json h = {{"parentHash", parent},
              {"sha3Uncles", hex32("ommers")},
              {"miner", "0x" + std::string(40, '0')},
              {"stateRoot", hex32("state" + std::to_string(number) + salt_)},
              {"transactionsRoot", hex32("txs" + std::to_string(number) + salt_)},
              {"receiptsRoot", receipts_root},
              {"logsBloom", logs_bloom},
              {"difficulty", "0x0"},
              {"number", evm::to_quantity(number)},
              {"gasLimit", "0x1c9c380"},
              {"gasUsed", "0x0"},
              {"timestamp", evm::to_quantity(1704067200 + number)},
              {"extraData", "0x"},
              {"mixHash", hex32("mix")},
              {"nonce", "0x0000000000000000"},
              {"baseFeePerGas", "0x3b9aca00"},
              {"withdrawalsRoot", core::to_hex(core::mpt::empty_root())},
              {"blobGasUsed", "0x0"},
              {"excessBlobGas", "0x0"},
              {"parentBeaconBlockRoot", hex32("beacon")},
              {"requestsHash", hex32("requests")},
              {"hash", hex32("placeholder")}};
    auto rebuilt = evm::header_from_json({.block = h, .hash_rule = evm::HeaderHashRule::kEngineSpecific});
    h["hash"] = core::to_hex(core::keccak256(rebuilt->rlp));
    return h;
  }

  core::Address gateway_;
  core::ChainIdentity dst_;
  std::vector<json> blocks_;
  std::vector<json> receipts_;
  std::uint64_t sequence_ = 0;
  std::uint64_t executed_ = 0;
  std::string salt_;
  std::size_t max_logs_ = 1000000;
  std::map<std::string, std::size_t> calls_;
  std::size_t batches_ = 0;
  std::map<std::string, json> transactions_;
  std::vector<json> filters_;
};

// Runs one awaitable to completion on `io`.
template <typename T>
T run_task(boost::asio::io_context& io, boost::asio::awaitable<T> task) {
  std::optional<T> out;
  boost::asio::co_spawn(
      io, [&]() -> boost::asio::awaitable<void> { out.emplace(co_await std::move(task)); }, boost::asio::detached);
  io.restart();
  io.run();
  return std::move(*out);
}

}  // namespace causeway::test
