// The EVM Sink adapter; see sink.hpp.
#include "adapters/evm/sink.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>
#include <utility>
#include <variant>

#include "adapters/evm/rpc_json.hpp"
#include "relay/core/abi.hpp"
#include "relay/core/hash.hpp"
#include "relay/net/error.hpp"

namespace causeway::evm {

using boost::asio::awaitable;
using core::Error;
using core::Result;

namespace {

constexpr std::string_view kDeliverSignature =
    "deliver((uint8,bytes32,bytes32,bytes32,bytes32,bytes32,uint64,bytes32,uint64,uint64,uint8,bytes)[],"
    "bytes32[],bytes[][])";
constexpr std::string_view kAcknowledgeSignature = "acknowledge(bytes32,uint8,bytes32,bytes[])";
constexpr std::string_view kSkipSignature =
    "skip((uint8,bytes32,bytes32,bytes32,bytes32,bytes32,uint64,bytes32,uint64,uint64,uint8,bytes),bytes[])";
constexpr std::string_view kMessageExecutedSignature = "MessageExecuted(bytes32,bytes32,uint64,uint8,bytes32)";
// Gateway.sol ACK_GAS_LIMIT: the gas the sender's onCausewayAck hook gets, behind the same
// gasleft() guard as a receiver call.
constexpr std::uint64_t kAckHookGasLimit = 150'000;

Error node_failed(std::string_view what, const Error& error) {
  return Error(reason::sink::kNodeFailed, std::string(what) + ": " + error.message());
}

bool contains_lower(std::string text, std::string_view needle) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text.find(needle) != std::string::npos;
}

// The "(data 0x…)" relay/net appends to a JSON-RPC error, if any.
std::string revert_data(const std::string& detail) {
  constexpr std::string_view kMarker = "(data 0x";
  const auto at = detail.find(kMarker);
  if (at == std::string::npos) return {};
  std::size_t end = at + kMarker.size();
  while (end < detail.size() && std::isxdigit(static_cast<unsigned char>(detail[end])) != 0) ++end;
  return detail.substr(at + 6, end - at - 6);
}

Json call_object(const core::Address& from, const core::Address& to, const core::Bytes& data) {
  Json o = Json::object();
  o["from"] = core::to_hex(from);
  o["to"] = core::to_hex(to);
  o["data"] = core::to_hex(data);
  return o;
}

Result<ExecutedEvent> executed_event(const Json& log) {
  auto topics = json_member(log, "topics", "log");
  if (!topics) return std::move(topics).error();
  if (!(*topics)->is_array() || (*topics)->size() != 4) return Error(reason::sink::kBadReply, "MessageExecuted topics");
  auto id = data_fixed<core::MessageId>((**topics)[1], "log.topics[1]");
  if (!id) return std::move(id).error();
  auto data_field = json_member(log, "data", "log");
  if (!data_field) return std::move(data_field).error();
  auto data = data_any(**data_field, "log.data");
  if (!data) return std::move(data).error();
  auto outcome = core::decode_outcome_data(*data);
  if (!outcome) return std::move(outcome).error().with_context("MessageExecuted");
  return ExecutedEvent{.id = *id, .status = outcome->status, .claim = outcome->claim};
}

awaitable<Result<ChainNonces>> chain_nonces(Rpc& rpc, const core::Address& account) {
  Json latest_params = Json::array();
  latest_params.push_back(core::to_hex(account));
  latest_params.push_back("latest");
  Json pending_params = latest_params;
  pending_params[1] = "pending";
  auto latest = co_await rpc.call("eth_getTransactionCount", std::move(latest_params));
  if (!latest) co_return node_failed("eth_getTransactionCount", latest.error());
  auto pending = co_await rpc.call("eth_getTransactionCount", std::move(pending_params));
  if (!pending) co_return node_failed("eth_getTransactionCount", pending.error());
  auto l = quantity_u64(*latest, "eth_getTransactionCount");
  if (!l) co_return std::move(l).error();
  auto p = quantity_u64(*pending, "eth_getTransactionCount");
  if (!p) co_return std::move(p).error();
  ChainNonces nonces;
  nonces.latest = *l;
  nonces.pending = std::max(*l, *p);
  co_return nonces;
}

std::uint64_t tx_gas_limit(const UnsignedTx& tx) {
  return std::visit([](const auto& t) { return t.gas_limit; }, tx);
}

}  // namespace

Result<core::Bytes> deliver_calldata(const SubmitRequest& request) {
  const std::size_t n = request.messages.size();
  if (n == 0) return Error(reason::sink::kBadRequest, "empty batch");
  if (request.claims.size() != n || request.signatures.size() != n) {
    return Error(reason::sink::kBadRequest, "claims and signatures must be one per message");
  }
  namespace abi = core::abi;
  std::vector<abi::Value> messages;
  std::vector<abi::Value> claims;
  std::vector<abi::Value> signatures;
  messages.reserve(n);
  claims.reserve(n);
  signatures.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    messages.push_back(core::message_tuple(request.messages[i]));
    claims.push_back(abi::word(request.claims[i]));
    std::vector<abi::Value> sigs;
    sigs.reserve(request.signatures[i].size());
    for (const auto& s : request.signatures[i]) sigs.push_back(abi::bytes(core::ByteView(s.data(), s.size())));
    signatures.push_back(abi::array(std::move(sigs)));
  }
  std::vector<abi::Value> params;
  params.push_back(abi::array(std::move(messages)));
  params.push_back(abi::array(std::move(claims)));
  params.push_back(abi::array(std::move(signatures)));
  core::Bytes out = function_selector(kDeliverSignature);
  core::append(out, abi::encode(params));
  return out;
}

Result<core::Bytes> acknowledge_calldata(const AckRequest& request) {
  const auto status = static_cast<std::uint8_t>(request.status);
  if (status < static_cast<std::uint8_t>(core::ExecStatus::kOk) ||
      status > static_cast<std::uint8_t>(core::ExecStatus::kSkipped)) {
    return Error(reason::sink::kBadRequest, "status " + std::to_string(status) + " is not 1..4");
  }
  // Without votes the gateway only returns: gas spent for nothing.
  if (request.signatures.empty()) return Error(reason::sink::kBadRequest, "an acknowledgement without signatures");
  namespace abi = core::abi;
  std::vector<abi::Value> signatures;
  signatures.reserve(request.signatures.size());
  for (const auto& s : request.signatures) signatures.push_back(abi::bytes(core::ByteView(s.data(), s.size())));
  std::vector<abi::Value> params;
  params.push_back(abi::word(request.id));
  params.push_back(abi::uint(status));
  params.push_back(abi::word(request.claim));
  params.push_back(abi::array(std::move(signatures)));
  core::Bytes out = function_selector(kAcknowledgeSignature);
  core::append(out, abi::encode(params));
  return out;
}

Result<core::Bytes> skip_calldata(const SkipRequest& request) {
  // Without votes the gateway changes nothing: gas spent for nothing.
  if (request.signatures.empty()) return Error(reason::sink::kBadRequest, "a skip without signatures");
  namespace abi = core::abi;
  std::vector<abi::Value> signatures;
  signatures.reserve(request.signatures.size());
  for (const auto& s : request.signatures) signatures.push_back(abi::bytes(core::ByteView(s.data(), s.size())));
  std::vector<abi::Value> params;
  params.push_back(core::message_tuple(request.message));
  params.push_back(abi::array(std::move(signatures)));
  core::Bytes out = function_selector(kSkipSignature);
  core::append(out, abi::encode(params));
  return out;
}

awaitable<Result<std::unique_ptr<EvmSink>>> EvmSink::create(Rpc& rpc, SinkConfig config) {
  if (config.chain_id == 0) co_return Error(reason::sink::kBadConfig, "chain_id is 0");
  if (config.gateway.is_zero()) co_return Error(reason::sink::kBadConfig, "gateway is the zero address");
  if (!config.gas_key) co_return Error(reason::sink::kBadConfig, "no gas key");
  if (config.journal == nullptr) co_return Error(reason::sink::kBadConfig, "no journal");

  auto chain_id = co_await rpc.call("eth_chainId", Json::array());
  if (!chain_id) co_return node_failed("eth_chainId", chain_id.error());
  auto id = quantity_u64(*chain_id, "eth_chainId");
  if (!id) co_return std::move(id).error();
  if (*id != config.chain_id) {
    co_return Error(reason::sink::kWrongChainId,
                    "node serves " + std::to_string(*id) + ", configured " + std::to_string(config.chain_id));
  }

  bool eip1559 = config.fee_mode == FeeMode::kEip1559;
  if (config.fee_mode == FeeMode::kDetect) {
    Json params = Json::array();
    params.push_back("latest");
    params.push_back(false);
    auto block = co_await rpc.call("eth_getBlockByNumber", std::move(params));
    if (!block) co_return node_failed("eth_getBlockByNumber", block.error());
    if (!block->is_object()) co_return Error(reason::sink::kBadReply, "latest block is not an object");
    const auto base_fee = block->find("baseFeePerGas");
    eip1559 = base_fee != block->end() && !base_fee->is_null();
  }

  const core::NonceKey key{.chain_id = config.chain_id, .account = config.gas_key->address()};
  auto chain = co_await chain_nonces(rpc, key.account);
  if (!chain) co_return std::move(chain).error();
  auto nonces = NonceManager::open(*config.journal, key, *chain);
  if (!nonces) co_return std::move(nonces).error();
  co_return std::unique_ptr<EvmSink>(new EvmSink(rpc, std::move(config), std::move(*nonces), eip1559));
}

awaitable<Result<std::uint64_t>> EvmSink::estimate(const core::Bytes& calldata) {
  Json params = Json::array();
  params.push_back(call_object(gas_address(), config_.gateway, calldata));
  auto reply = co_await rpc_.call("eth_estimateGas", std::move(params));
  if (!reply) {
    const Error& e = reply.error();
    const auto code = net::rpc_error_code(e);
    if (code && (*code == 3 || contains_lower(e.detail(), "revert"))) {
      const std::string data = revert_data(e.detail());
      co_return Error(reason::sink::kEstimateReverted, data.empty() ? e.message() : "revert data " + data);
    }
    co_return node_failed("eth_estimateGas", e);
  }
  co_return quantity_u64(*reply, "eth_estimateGas");
}

awaitable<Result<EvmSink::Market>> EvmSink::market() {
  Market out;
  if (eip1559_) {
    Json block_params = Json::array();
    block_params.push_back("latest");
    block_params.push_back(false);
    auto block = co_await rpc_.call("eth_getBlockByNumber", std::move(block_params));
    if (!block) co_return node_failed("eth_getBlockByNumber", block.error());
    auto base_field = json_member(*block, "baseFeePerGas", "block");
    if (!base_field) co_return std::move(base_field).error();
    auto base_fee = quantity_u64(**base_field, "baseFeePerGas");
    if (!base_fee) co_return std::move(base_fee).error();
    auto tip = co_await rpc_.call("eth_maxPriorityFeePerGas", Json::array());
    if (!tip) co_return node_failed("eth_maxPriorityFeePerGas", tip.error());
    auto suggested = quantity_u64(*tip, "eth_maxPriorityFeePerGas");
    if (!suggested) co_return std::move(suggested).error();
    out.base_fee = *base_fee;
    out.tip = *suggested;
    co_return out;
  }
  auto price = co_await rpc_.call("eth_gasPrice", Json::array());
  if (!price) co_return node_failed("eth_gasPrice", price.error());
  auto gas_price = quantity_u64(*price, "eth_gasPrice");
  if (!gas_price) co_return std::move(gas_price).error();
  out.gas_price = *gas_price;
  co_return out;
}

awaitable<Result<UnsignedTx>> EvmSink::priced_tx(std::uint64_t gas_limit, core::Bytes calldata) {
  auto now = co_await market();
  if (!now) co_return std::move(now).error();
  if (eip1559_) {
    auto fees = choose_fees(now->base_fee, now->tip, config_.fees);
    if (!fees) co_return std::move(fees).error();
    Eip1559Tx tx;
    tx.chain_id = config_.chain_id;
    tx.nonce = nonces_.next_nonce();
    tx.max_priority_fee_per_gas = u256(fees->max_priority_fee_per_gas);
    tx.max_fee_per_gas = u256(fees->max_fee_per_gas);
    tx.gas_limit = gas_limit;
    tx.to = config_.gateway;
    tx.data = std::move(calldata);
    co_return UnsignedTx(std::move(tx));
  }
  if (now->gas_price > config_.fees.max_fee_cap) {
    co_return Error(reason::gas::kBaseFeeAboveCap, "gas price " + std::to_string(now->gas_price) + " above the cap");
  }
  LegacyTx tx;
  tx.chain_id = config_.chain_id;
  tx.nonce = nonces_.next_nonce();
  tx.gas_price = u256(now->gas_price);
  tx.gas_limit = gas_limit;
  tx.to = config_.gateway;
  tx.data = std::move(calldata);
  co_return UnsignedTx(std::move(tx));
}

Result<SignedTx> EvmSink::signed_fresh(UnsignedTx tx) {
  // Signing with a local key is deterministic (RFC 6979): the same batch at the same nonce and fees
  // after a refused broadcast gives the same hash, which the journal already holds (dropped). Such a
  // repeat gets one more unit of gas, which makes it a new transaction with the same effect. (An
  // HSM's nonces differ each time, so its repeats never collide.)
  for (int attempt = 0; attempt < 16; ++attempt) {
    auto signed_tx = sign(tx, *config_.gas_key);
    if (!signed_tx) return std::move(signed_tx).error();
    auto known = config_.journal->find(core::FindRequest{.key = nonces_.key(), .tx_hash = signed_tx->hash});
    if (!known) return std::move(known).error();
    if (!known->has_value()) return signed_tx;
    std::visit([](auto& t) { ++t.gas_limit; }, tx);
  }
  return Error(reason::sink::kBroadcastRejected, "the same transaction was refused too often");
}

awaitable<Result<BroadcastAdvice>> EvmSink::broadcast(const BroadcastPermit& permit) {
  Json params = Json::array();
  params.push_back(core::to_hex(permit.raw()));
  auto reply = co_await rpc_.call("eth_sendRawTransaction", std::move(params));
  BroadcastOutcome outcome = BroadcastOutcome::kAccepted;
  if (!reply) {
    const Error& e = reply.error();
    if (!net::rpc_error_code(e)) {
      outcome = BroadcastOutcome::kUnreachable;  // transport: unknown whether a node has it
    } else if (contains_lower(e.detail(), "already known") || contains_lower(e.detail(), "already imported") ||
               contains_lower(e.detail(), "known transaction")) {
      // The node holds these very bytes already: geth "already known", anvil "transaction already
      // imported", Besu "Known transaction". Releasing the nonce here would let it be mined
      // while the journal says dropped (found by the kill -9 test on anvil).
      outcome = BroadcastOutcome::kAccepted;
    } else if (contains_lower(e.detail(), "nonce too low")) {
      outcome = BroadcastOutcome::kNonceTooLow;
    } else {
      outcome = BroadcastOutcome::kRejected;
    }
  }
  auto advice = nonces_.on_broadcast(permit, outcome);
  if (!advice) co_return std::move(advice).error();
  if (*advice == BroadcastAdvice::kNonceReleased) {
    co_return Error(reason::sink::kBroadcastRejected, reply ? std::string("rejected") : reply.error().message());
  }
  if (*advice == BroadcastAdvice::kResync) {
    auto chain = co_await chain_nonces(rpc_, gas_address());
    if (!chain) co_return std::move(chain).error();
    auto report = nonces_.resync(*chain);
    if (!report) co_return std::move(report).error();
    co_return Error(reason::sink::kNonceTooLow, "nonce " + std::to_string(permit.nonce()) + " is used; resynced");
  }
  co_return *advice;
}

awaitable<Result<SubmitHandle>> EvmSink::submit(SubmitRequest request) {
  auto calldata = deliver_calldata(request);
  if (!calldata) co_return std::move(calldata).error();
  // Each receiver call is guarded: the gateway reverts unless gasLimit × 64/63 is left for it.
  std::vector<std::uint64_t> gas_limits;
  gas_limits.reserve(request.messages.size());
  for (const auto& m : request.messages) gas_limits.push_back(m.gas_limit);
  co_return co_await send(std::move(calldata).value(), std::move(gas_limits), std::move(request.tag));
}

awaitable<Result<SubmitHandle>> EvmSink::acknowledge(AckRequest request) {
  auto calldata = acknowledge_calldata(request);
  if (!calldata) co_return std::move(calldata).error();
  // The sender's ack hook is called like a receiver, behind the same guard.
  std::vector<std::uint64_t> guarded(1, kAckHookGasLimit);
  co_return co_await send(std::move(calldata).value(), std::move(guarded), std::move(request.tag));
}

awaitable<Result<SubmitHandle>> EvmSink::skip(SkipRequest request) {
  auto calldata = skip_calldata(request);
  if (!calldata) co_return std::move(calldata).error();
  // A skipped message's receiver is never called: one entry of no gas, for the per-message overhead.
  std::vector<std::uint64_t> guarded(1, 0);
  co_return co_await send(std::move(calldata).value(), std::move(guarded), std::move(request.tag));
}

awaitable<Result<SubmitHandle>> EvmSink::submit_call(core::Bytes calldata, std::string tag) {
  // Priced like one batch entry that forwards no gas: the entry overhead covers the call's own
  // signature checks and storage writes.
  std::vector<std::uint64_t> one_unguarded_entry(1, 0);
  co_return co_await send(std::move(calldata), std::move(one_unguarded_entry), std::move(tag));
}

awaitable<Result<SubmitHandle>> EvmSink::send(core::Bytes calldata, std::vector<std::uint64_t> guarded_gas,
                                              std::string tag) {
  auto estimated = co_await estimate(calldata);
  if (!estimated) co_return std::move(estimated).error();
  auto gas_limit = batch_gas_limit(guarded_gas, *estimated, config_.gas);
  if (!gas_limit) co_return std::move(gas_limit).error();

  auto unsigned_tx = co_await priced_tx(*gas_limit, std::move(calldata));
  if (!unsigned_tx) co_return std::move(unsigned_tx).error();
  auto signed_tx = signed_fresh(*unsigned_tx);
  if (!signed_tx) co_return std::move(signed_tx).error();
  // Durable before it may reach any node (THREATS 26).
  auto permit = nonces_.commit(*signed_tx, std::move(tag));
  if (!permit) co_return std::move(permit).error();
  auto advice = co_await broadcast(*permit);
  if (!advice) co_return std::move(advice).error();
  SubmitHandle handle;
  handle.tx_hash = permit->tx_hash();
  handle.nonce = permit->nonce();
  handle.gas_limit = tx_gas_limit(signed_tx->tx);
  handle.broadcast = *advice == BroadcastAdvice::kDone;
  co_return handle;
}

awaitable<Result<std::size_t>> EvmSink::resend() {
  std::size_t accepted = 0;
  for (const auto& permit : nonces_.unsent()) {
    auto advice = co_await broadcast(permit);
    if (!advice && advice.error().reason() == reason::sink::kNonceTooLow) {
      // A crash between broadcasting and journaling it: the node already mined this nonce, with
      // this transaction or a sibling of it. Settle the record from the receipts instead of
      // refusing to start.
      auto settled = co_await settle(permit.tx_hash(), permit.nonce());
      if (!settled) co_return std::move(settled).error();
      continue;
    }
    if (!advice) co_return std::move(advice).error();
    if (*advice == BroadcastAdvice::kDone) ++accepted;
  }
  co_return accepted;
}

awaitable<Result<void>> EvmSink::settle(core::Hash32 tx_hash, std::uint64_t nonce) {
  std::vector<core::Hash32> candidates{tx_hash};
  for (const auto& record : nonces_.live()) {
    if (record.nonce == nonce && record.tx_hash != tx_hash) candidates.push_back(record.tx_hash);
  }
  for (const auto& hash : candidates) {
    auto one = co_await confirm_one(hash);
    if (!one) co_return std::move(one).error();
    if (one->state != Confirmation::State::kPending) co_return core::ok();  // confirm_one recorded it
  }
  // No transaction of ours carries the nonce on chain: another writer used it.
  if (nonces_.is_live(tx_hash)) CW_CO_CHECK(nonces_.on_dropped(tx_hash, "nonce_used"));
  co_return core::ok();
}

awaitable<Result<SubmitHandle>> EvmSink::bump(SubmitHandle handle) {
  // Replace the newest live transaction of the handle's nonce: that is the one nodes hold, and
  // the nonce manager measures the required raise against it.
  const std::vector<core::SignedTxRecord> live = nonces_.live();
  const core::SignedTxRecord* newest = nullptr;
  bool handle_live = false;
  for (const auto& record : live) {
    if (record.nonce != handle.nonce) continue;
    newest = &record;
    handle_live = handle_live || record.tx_hash == handle.tx_hash;
  }
  if (!handle_live || newest == nullptr) {
    co_return Error(reason::sink::kNotBumpable, core::to_hex(handle.tx_hash) + " is not live");
  }
  const core::Hash32 replaces = newest->tx_hash;
  const std::string tag = newest->tag;
  auto previous = decode_signed(newest->raw, DecodeOptions{.chain_id = config_.chain_id});
  if (!previous) co_return std::move(previous).error().with_context("bump");

  auto now = co_await market();
  if (!now) co_return std::move(now).error();
  UnsignedTx tx = previous->tx;
  if (auto* eip1559 = std::get_if<Eip1559Tx>(&tx)) {
    const auto max_fee = to_u64(eip1559->max_fee_per_gas);
    const auto tip = to_u64(eip1559->max_priority_fee_per_gas);
    if (!max_fee || !tip) co_return Error(reason::sink::kFeeCapReached, "fees beyond 64 bits");
    auto fees = bump_fees(Fees{.max_fee_per_gas = *max_fee, .max_priority_fee_per_gas = *tip}, now->base_fee, now->tip,
                          config_.fees);
    if (!fees) co_return Error(reason::sink::kFeeCapReached, fees.error().message());
    eip1559->max_fee_per_gas = u256(fees->max_fee_per_gas);
    eip1559->max_priority_fee_per_gas = u256(fees->max_priority_fee_per_gas);
  } else if (auto* legacy = std::get_if<LegacyTx>(&tx)) {
    const auto old_price = to_u64(legacy->gas_price);
    if (!old_price) co_return Error(reason::sink::kFeeCapReached, "gas price beyond 64 bits");
    // Nodes compare both fields of a legacy replacement against its single gas price.
    auto price = bump_gas_price(*old_price, now->gas_price, config_.fees);
    if (!price) co_return Error(reason::sink::kFeeCapReached, price.error().message());
    legacy->gas_price = u256(*price);
  } else {
    co_return Error(reason::sink::kNotBumpable, "the sink signs no type-1 transactions");
  }

  auto signed_tx = signed_fresh(std::move(tx));
  if (!signed_tx) co_return std::move(signed_tx).error();
  // Durable, as a replacement, before it may reach any node (THREATS 26).
  auto permit = nonces_.commit_replacement(*signed_tx, replaces, tag);
  if (!permit) co_return std::move(permit).error();
  auto& family = bumped_[handle.nonce];
  if (family.empty()) {
    for (const auto& record : live) {
      if (record.nonce == handle.nonce) family.push_back(record.tx_hash);
    }
  }
  family.push_back(permit->tx_hash());
  auto advice = co_await broadcast(*permit);
  if (!advice) co_return std::move(advice).error();
  SubmitHandle out;
  out.tx_hash = permit->tx_hash();
  out.nonce = permit->nonce();
  out.gas_limit = tx_gas_limit(signed_tx->tx);
  out.broadcast = *advice == BroadcastAdvice::kDone;
  co_return out;
}

awaitable<Result<Confirmation>> EvmSink::confirm(SubmitHandle handle) {
  // Only one transaction of a nonce can mine: ask for the handle's own first, then its siblings.
  std::vector<core::Hash32> candidates{handle.tx_hash};
  const auto add = [&candidates](const core::Hash32& hash) {
    if (std::find(candidates.begin(), candidates.end(), hash) == candidates.end()) candidates.push_back(hash);
  };
  if (auto family = bumped_.find(handle.nonce); family != bumped_.end() &&
      std::find(family->second.begin(), family->second.end(), handle.tx_hash) != family->second.end()) {
    for (const auto& hash : family->second) add(hash);
  }
  if (nonces_.is_live(handle.tx_hash)) {
    // Siblings journaled before a restart, which bumped_ no longer knows.
    for (const auto& record : nonces_.live()) {
      if (record.nonce == handle.nonce) add(record.tx_hash);
    }
  }
  for (const auto& hash : candidates) {
    auto one = co_await confirm_one(hash);
    if (!one) co_return std::move(one).error();
    if (one->state != Confirmation::State::kPending) co_return std::move(one).value();
  }
  co_return Confirmation{};
}

awaitable<Result<Confirmation>> EvmSink::confirm_one(core::Hash32 tx_hash) {
  Json params = Json::array();
  params.push_back(core::to_hex(tx_hash));
  auto reply = co_await rpc_.call("eth_getTransactionReceipt", std::move(params));
  if (!reply) co_return node_failed("eth_getTransactionReceipt", reply.error());
  Confirmation out;
  if (reply->is_null()) co_return out;  // pending
  if (!reply->is_object()) co_return Error(reason::sink::kBadReply, "receipt is not an object");
  const Json& receipt = *reply;
  auto status_field = json_member(receipt, "status", "receipt");
  if (!status_field) co_return std::move(status_field).error();
  auto status = quantity_u64(**status_field, "receipt.status");
  if (!status) co_return std::move(status).error();
  if (*status > 1) co_return Error(reason::sink::kBadReply, "receipt status " + std::to_string(*status));
  auto number_field = json_member(receipt, "blockNumber", "receipt");
  if (!number_field) co_return std::move(number_field).error();
  auto number = quantity_u64(**number_field, "receipt.blockNumber");
  if (!number) co_return std::move(number).error();
  auto used_field = json_member(receipt, "gasUsed", "receipt");
  if (!used_field) co_return std::move(used_field).error();
  auto used = quantity_u64(**used_field, "receipt.gasUsed");
  if (!used) co_return std::move(used).error();
  out.tx_hash = tx_hash;
  out.block_number = *number;
  out.gas_used = *used;
  out.state = *status == 1 ? Confirmation::State::kDelivered : Confirmation::State::kReverted;

  if (*status == 1) {
    auto logs = json_member(receipt, "logs", "receipt");
    if (!logs) co_return std::move(logs).error();
    if (!(*logs)->is_array()) co_return Error(reason::sink::kBadReply, "receipt.logs is not an array");
    const std::string topic0 = core::to_hex(core::keccak256(core::as_bytes(kMessageExecutedSignature)));
    for (const Json& log : **logs) {
      if (!log.is_object()) co_return Error(reason::sink::kBadReply, "log is not an object");
      auto address = data_fixed<core::Address>(log.value("address", Json()), "log.address");
      if (!address) co_return std::move(address).error();
      if (*address != config_.gateway) continue;
      const Json topics = log.value("topics", Json::array());
      if (!topics.is_array() || topics.empty()) continue;
      auto t0 = data_fixed<core::Hash32>(topics[0], "log.topics[0]");
      if (!t0 || core::to_hex(*t0) != topic0) continue;
      auto event = executed_event(log);
      if (!event) co_return std::move(event).error();
      out.executed.push_back(*event);
    }
  }
  if (nonces_.is_live(tx_hash)) {
    auto confirmed = nonces_.on_confirmed(tx_hash, out.block_number, *status == 1);
    if (!confirmed) co_return std::move(confirmed).error();
  }
  co_return out;
}

awaitable<Result<std::vector<InboxEntry>>> EvmSink::inbox_state(InboxRequest request) {
  co_return co_await gateway_.inbox_state(std::move(request));
}

}  // namespace causeway::evm
