// The EVM Sink adapter; see sink.hpp.
#include "adapters/evm/sink.hpp"

#include <algorithm>
#include <cctype>
#include <set>
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
constexpr std::string_view kAcknowledgeAllSignature = "acknowledgeAll(bytes32[],uint8[],bytes32[],bytes[][])";
constexpr std::string_view kSkipSignature =
    "skip((uint8,bytes32,bytes32,bytes32,bytes32,bytes32,uint64,bytes32,uint64,uint64,uint8,bytes),bytes[])";
constexpr std::string_view kMessageExecutedSignature = "MessageExecuted(bytes32,bytes32,uint64,uint8,bytes32)";
// Gateway.sol ACK_GAS_LIMIT: the gas the sender's onCausewayAck hook gets, behind the same
// gasleft() guard as a receiver call.
constexpr std::uint64_t kAckHookGasLimit = 150'000;

// The guarded calls of an acknowledge transaction of `acks` entries: each sender's ack hook is
// called like a receiver, behind the same guard.
std::vector<std::uint64_t> ack_hooks_gas(std::size_t acks) { return std::vector<std::uint64_t>(acks, kAckHookGasLimit); }

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

// The gas one execution used, from an eth_createAccessList answer. A revert comes back as a
// JSON-RPC error (anvil, code 3 with the revert data, as eth_estimateGas answers) or as a result
// naming the error (geth: {accessList, error, gasUsed}, without the data).
Result<std::uint64_t> precheck_gas(const Result<Json>& reply) {
  if (!reply) {
    const Error& e = reply.error();
    const auto code = net::rpc_error_code(e);
    if (code && (*code == 3 || contains_lower(e.detail(), "revert"))) {
      const std::string data = revert_data(e.detail());
      return Error(reason::sink::kEstimateReverted, data.empty() ? e.message() : "revert data " + data);
    }
    return node_failed("eth_createAccessList", e);
  }
  if (!reply->is_object()) return Error(reason::sink::kBadReply, "eth_createAccessList: not an object");
  if (const auto error = reply->find("error"); error != reply->end() && !error->is_null()) {
    return Error(reason::sink::kEstimateReverted, error->is_string() ? error->get<std::string>() : error->dump());
  }
  const auto used = reply->find("gasUsed");
  if (used == reply->end()) return Error(reason::sink::kBadReply, "eth_createAccessList: no gasUsed");
  auto gas = quantity_u64(*used, "eth_createAccessList.gasUsed");
  if (!gas) return Error(reason::sink::kBadReply, gas.error().message());
  return gas;
}

// The classification of an eth_sendRawTransaction answer for the nonce manager.
BroadcastOutcome broadcast_outcome(const Result<Json>& reply) {
  if (reply) return BroadcastOutcome::kAccepted;
  const Error& e = reply.error();
  if (!net::rpc_error_code(e)) return BroadcastOutcome::kUnreachable;  // transport: unknown whether a node has it
  if (contains_lower(e.detail(), "already known") || contains_lower(e.detail(), "already imported") ||
      contains_lower(e.detail(), "known transaction")) {
    // The node holds these very bytes already: geth "already known", anvil "transaction already
    // imported", Besu "Known transaction". Releasing the nonce here would let it be mined
    // while the journal says dropped (found by the kill -9 test on anvil).
    return BroadcastOutcome::kAccepted;
  }
  if (contains_lower(e.detail(), "nonce too low")) return BroadcastOutcome::kNonceTooLow;
  return BroadcastOutcome::kRejected;
}

// The nonce manager's advice on a node's `reply`; a released nonce means the node refused these
// bytes for good, which is the caller's error.
Result<BroadcastAdvice> released_as_error(Result<BroadcastAdvice> advice, const Result<Json>& reply) {
  if (!advice) return std::move(advice).error();
  if (*advice == BroadcastAdvice::kNonceReleased) {
    return Error(reason::sink::kBroadcastRejected, reply ? std::string("rejected") : reply.error().message());
  }
  return *advice;
}

// A block's gasLimit; 0 where it has none a quantity can be read from (the caller then knows no
// limit, which only paces it).
std::uint64_t gas_limit_of(const Json& block) {
  const auto field = block.find("gasLimit");
  if (field == block.end()) return 0;
  auto limit = quantity_u64(*field, "gasLimit");
  return limit ? *limit : 0;
}

SubmitHandle handle_of(const BroadcastPermit& permit, std::uint64_t gas_limit, BroadcastAdvice advice) {
  SubmitHandle handle;
  handle.tx_hash = permit.tx_hash();
  handle.nonce = permit.nonce();
  handle.gas_limit = gas_limit;
  handle.broadcast = advice == BroadcastAdvice::kDone;
  return handle;
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
  const std::size_t n = request.acks.size();
  if (n == 0) return Error(reason::sink::kBadRequest, "an acknowledge transaction of no acknowledgements");
  if (n > kMaxAcksPerTransaction) {
    return Error(reason::sink::kBadRequest, std::to_string(n) + " acknowledgements in one transaction, at most " +
                                                std::to_string(kMaxAcksPerTransaction));
  }
  namespace abi = core::abi;
  std::vector<abi::Value> ids;
  std::vector<abi::Value> statuses;
  std::vector<abi::Value> claims;
  std::vector<abi::Value> signatures;
  for (const auto& ack : request.acks) {
    const auto status = static_cast<std::uint8_t>(ack.status);
    if (status < static_cast<std::uint8_t>(core::ExecStatus::kOk) ||
        status > static_cast<std::uint8_t>(core::ExecStatus::kSkipped)) {
      return Error(reason::sink::kBadRequest,
                   "acknowledgement of " + core::to_hex(ack.id) + ": status " + std::to_string(status) + " is not 1..4");
    }
    // Without votes the gateway only returns: gas spent for nothing.
    if (ack.signatures.empty()) {
      return Error(reason::sink::kBadRequest, "acknowledgement of " + core::to_hex(ack.id) + " without signatures");
    }
    std::vector<abi::Value> sigs;
    sigs.reserve(ack.signatures.size());
    for (const auto& sig : ack.signatures) sigs.push_back(abi::bytes(core::ByteView(sig.data(), sig.size())));
    ids.push_back(abi::word(ack.id));
    statuses.push_back(abi::uint(status));
    claims.push_back(abi::word(ack.claim));
    signatures.push_back(abi::array(std::move(sigs)));
  }
  std::vector<abi::Value> params;
  if (n == 1) {
    params.push_back(std::move(ids.front()));
    params.push_back(std::move(statuses.front()));
    params.push_back(std::move(claims.front()));
    params.push_back(std::move(signatures.front()));
  } else {
    params.push_back(abi::array(std::move(ids)));
    params.push_back(abi::array(std::move(statuses)));
    params.push_back(abi::array(std::move(claims)));
    params.push_back(abi::array(std::move(signatures)));
  }
  core::Bytes out = function_selector(n == 1 ? kAcknowledgeSignature : kAcknowledgeAllSignature);
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

std::size_t EvmSink::max_acks_per_transaction(const GasPolicy& gas) {
  for (std::size_t n = kMaxAcksPerTransaction; n > 1; --n) {
    if (batch_gas_limit(ack_hooks_gas(n), std::nullopt, gas)) return n;
  }
  return 1;
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

  Json params = Json::array();
  params.push_back("latest");
  params.push_back(false);
  auto block = co_await rpc.call("eth_getBlockByNumber", std::move(params));
  if (!block) co_return node_failed("eth_getBlockByNumber", block.error());
  if (!block->is_object()) co_return Error(reason::sink::kBadReply, "latest block is not an object");
  bool eip1559 = config.fee_mode == FeeMode::kEip1559;
  if (config.fee_mode == FeeMode::kDetect) {
    const auto base_fee = block->find("baseFeePerGas");
    eip1559 = base_fee != block->end() && !base_fee->is_null();
  }

  const core::NonceKey key{.chain_id = config.chain_id, .account = config.gas_key->address()};
  auto chain = co_await chain_nonces(rpc, key.account);
  if (!chain) co_return std::move(chain).error();
  auto nonces = NonceManager::open(*config.journal, key, *chain);
  if (!nonces) co_return std::move(nonces).error();
  co_return std::unique_ptr<EvmSink>(
      new EvmSink(rpc, std::move(config), std::move(*nonces), eip1559, gas_limit_of(*block)));
}

net::Call EvmSink::precheck_call(const core::Bytes& calldata) const {
  net::Call call{.method = "eth_createAccessList"};
  call.params.push_back(call_object(gas_address(), config_.gateway, calldata));
  return call;
}

awaitable<Result<EvmSink::Market>> EvmSink::market() {
  Market out;
  if (eip1559_) {
    Json block_params = Json::array();
    block_params.push_back("latest");
    block_params.push_back(false);
    auto block = co_await rpc_.call("eth_getBlockByNumber", std::move(block_params));
    if (!block) co_return node_failed("eth_getBlockByNumber", block.error());
    block_gas_limit_ = gas_limit_of(*block);
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
  co_return unsigned_tx(*now, nonces_.next_nonce(), gas_limit, std::move(calldata));
}

Result<UnsignedTx> EvmSink::unsigned_tx(const Market& now, std::uint64_t nonce, std::uint64_t gas_limit,
                                        core::Bytes calldata) {
  if (eip1559_) {
    auto fees = choose_fees(now.base_fee, now.tip, config_.fees);
    if (!fees) return std::move(fees).error();
    Eip1559Tx tx;
    tx.chain_id = config_.chain_id;
    tx.nonce = nonce;
    tx.max_priority_fee_per_gas = u256(fees->max_priority_fee_per_gas);
    tx.max_fee_per_gas = u256(fees->max_fee_per_gas);
    tx.gas_limit = gas_limit;
    tx.to = config_.gateway;
    tx.data = std::move(calldata);
    return UnsignedTx(std::move(tx));
  }
  if (now.gas_price > config_.fees.max_fee_cap) {
    return Error(reason::gas::kBaseFeeAboveCap, "gas price " + std::to_string(now.gas_price) + " above the cap");
  }
  LegacyTx tx;
  tx.chain_id = config_.chain_id;
  tx.nonce = nonce;
  tx.gas_price = u256(now.gas_price);
  tx.gas_limit = gas_limit;
  tx.to = config_.gateway;
  tx.data = std::move(calldata);
  return UnsignedTx(std::move(tx));
}

Result<EvmSink::Journaled> EvmSink::journaled(UnsignedTx tx, std::string tag) {
  auto signed_tx = signed_fresh(std::move(tx));
  if (!signed_tx) return std::move(signed_tx).error();
  // Durable before it may reach any node (THREATS 26).
  auto permit = nonces_.commit(*signed_tx, std::move(tag));
  if (!permit) return std::move(permit).error();
  return Journaled{std::move(permit).value(), tx_gas_limit(signed_tx->tx)};
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
  auto advice = on_reply(permit, reply);
  if (!advice) co_return std::move(advice).error();
  if (*advice == BroadcastAdvice::kResync) co_return co_await resynced(permit.nonce());
  co_return *advice;
}

Result<BroadcastAdvice> EvmSink::on_reply(const BroadcastPermit& permit, const Result<Json>& reply) {
  return released_as_error(nonces_.on_broadcast(permit, broadcast_outcome(reply)), reply);
}

awaitable<Error> EvmSink::resynced(std::uint64_t nonce) {
  auto chain = co_await chain_nonces(rpc_, gas_address());
  if (!chain) co_return std::move(chain).error();
  auto report = nonces_.resync(*chain);
  if (!report) co_return std::move(report).error();
  co_return Error(reason::sink::kNonceTooLow, "nonce " + std::to_string(nonce) + " is used; resynced");
}

awaitable<Result<SubmitHandle>> EvmSink::submit(SubmitRequest request) {
  auto calldata = deliver_calldata(request);
  if (!calldata) co_return std::move(calldata).error();
  // Each receiver call is guarded: the gateway reverts unless gasLimit × 64/63 is left for it.
  std::vector<std::uint64_t> gas_limits;
  gas_limits.reserve(request.messages.size());
  for (const auto& m : request.messages) gas_limits.push_back(m.gas_limit);
  co_return co_await send(std::move(calldata).value(), std::move(gas_limits), std::move(request.tag), request.precheck);
}

awaitable<Result<SubmitHandle>> EvmSink::acknowledge(AckRequest request) {
  auto calldata = acknowledge_calldata(request);
  if (!calldata) co_return std::move(calldata).error();
  co_return co_await send(std::move(calldata).value(), ack_hooks_gas(request.acks.size()), std::move(request.tag),
                          request.precheck);
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
                                              std::string tag, bool precheck) {
  std::optional<std::uint64_t> used;
  if (precheck) {
    net::Call check = precheck_call(calldata);
    auto checked = precheck_gas(co_await rpc_.call(std::move(check.method), std::move(check.params)));
    if (!checked) co_return std::move(checked).error();
    used = *checked;
  }
  auto gas_limit = batch_gas_limit(guarded_gas, used, config_.gas);
  if (!gas_limit) co_return std::move(gas_limit).error();

  auto unsigned_tx = co_await priced_tx(*gas_limit, std::move(calldata));
  if (!unsigned_tx) co_return std::move(unsigned_tx).error();
  auto sent = journaled(std::move(unsigned_tx).value(), std::move(tag));
  if (!sent) co_return std::move(sent).error();
  auto advice = co_await broadcast(sent->permit);
  if (!advice) co_return std::move(advice).error();
  co_return handle_of(sent->permit, sent->gas_limit, *advice);
}

awaitable<Result<std::vector<Result<SubmitHandle>>>> EvmSink::acknowledge_all(std::vector<AckRequest> requests) {
  std::vector<Result<SubmitHandle>> out;
  out.reserve(requests.size());
  std::vector<core::Bytes> calldata;   // per request; empty where it was refused
  std::vector<net::Call> checks;
  for (const auto& request : requests) {
    auto data = acknowledge_calldata(request);
    if (!data) {
      out.push_back(std::move(data).error());
      calldata.emplace_back();
      continue;
    }
    if (request.precheck) checks.push_back(precheck_call(*data));
    out.push_back(SubmitHandle{});  // replaced below
    calldata.push_back(std::move(data).value());
  }
  std::vector<Result<Json>> checked;  // one per pre-checked request, in order
  if (!checks.empty()) {
    auto replies = co_await rpc_.batch(std::move(checks));
    if (!replies) co_return node_failed("eth_createAccessList", replies.error());
    checked = std::move(replies).value();
  }

  std::vector<std::size_t> ready;  // the requests that passed their pre-check, with their gas limits
  std::vector<std::uint64_t> gas_limits;
  for (std::size_t i = 0, k = 0; i < requests.size(); ++i) {
    if (!out[i]) continue;
    std::optional<std::uint64_t> used;
    if (requests[i].precheck) {
      if (k >= checked.size()) {
        out[i] = Error(reason::sink::kBadReply, "eth_createAccessList: fewer answers than calls");
        continue;
      }
      auto gas = precheck_gas(checked[k++]);
      if (!gas) {
        out[i] = std::move(gas).error();
        continue;
      }
      used = *gas;
    }
    auto gas_limit = batch_gas_limit(ack_hooks_gas(requests[i].acks.size()), used, config_.gas);
    if (!gas_limit) {
      out[i] = std::move(gas_limit).error();
      continue;
    }
    ready.push_back(i);
    gas_limits.push_back(*gas_limit);
  }
  if (ready.empty()) co_return out;
  auto now = co_await market();
  if (!now) co_return std::move(now).error();  // nothing is journaled yet

  // Signed at the nonces the manager hands out next, in order, then journaled in one commit: one
  // disk flush for the whole batch (a refused one keeps no nonce, so the next takes it).
  const std::vector<std::uint64_t> nonces = nonces_.next_nonces(ready.size());
  std::vector<std::size_t> of;  // the request of each signed transaction
  std::vector<NonceManager::TaggedTx> to_commit;
  std::vector<std::uint64_t> signed_gas;  // what each was signed with (signed_fresh may nudge it)
  for (std::size_t r = 0; r < ready.size(); ++r) {
    const std::size_t i = ready[r];
    auto tx = unsigned_tx(*now, nonces[to_commit.size()], gas_limits[r], std::move(calldata[i]));
    if (!tx) {
      out[i] = std::move(tx).error();
      continue;
    }
    auto signed_tx = signed_fresh(std::move(tx).value());
    if (!signed_tx) {
      out[i] = std::move(signed_tx).error();
      continue;
    }
    of.push_back(i);
    signed_gas.push_back(tx_gas_limit(signed_tx->tx));
    to_commit.push_back({std::move(signed_tx).value(), std::move(requests[i].tag)});
  }
  if (to_commit.empty()) co_return out;
  auto permits = nonces_.commit_all(std::move(to_commit));
  if (!permits) {
    for (const std::size_t i : of) out[i] = permits.error();  // none journaled: none may be sent
    co_return out;
  }

  // Every permit is journaled: from here on a failure is the permit's, never the whole call's.
  std::vector<net::Call> sends;
  sends.reserve(permits->size());
  for (const auto& permit : *permits) {
    net::Call send{.method = "eth_sendRawTransaction"};
    send.params.push_back(core::to_hex(permit.raw()));
    sends.push_back(std::move(send));
  }
  auto replies = co_await rpc_.batch(std::move(sends));
  std::vector<Result<Json>> answers;
  std::vector<BroadcastOutcome> outcomes;
  for (std::size_t j = 0; j < permits->size(); ++j) {
    // A failed exchange, or a missing answer, is unreachable to the nonce manager: the permit
    // keeps its nonce and resend() sends the same bytes again.
    Result<Json> reply = Error(reason::sink::kBadReply, "no answer to eth_sendRawTransaction");
    if (!replies) {
      reply = replies.error();
    } else if (j < replies->size()) {
      reply = (*replies)[j];
    }
    outcomes.push_back(broadcast_outcome(reply));
    answers.push_back(std::move(reply));
  }
  // The accepted ones are marked broadcast in one journal commit.
  auto advices = nonces_.on_broadcast_all(*permits, outcomes);
  std::vector<std::size_t> used_nonce;  // the requests whose nonce the node says is used
  for (std::size_t j = 0; j < permits->size() && j < advices.size(); ++j) {
    auto advice = released_as_error(std::move(advices[j]), answers[j]);
    if (!advice) {
      out[of[j]] = std::move(advice).error();
    } else if (*advice == BroadcastAdvice::kResync) {
      used_nonce.push_back(of[j]);
    } else {
      out[of[j]] = handle_of((*permits)[j], signed_gas[j], *advice);
    }
  }
  if (!used_nonce.empty()) {
    // One resync serves them all; its own failure is what those acknowledgements report.
    const Error resync = co_await resynced(permits->front().nonce());
    for (const std::size_t i : used_nonce) out[i] = resync;
  }
  co_return out;
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

awaitable<Result<std::vector<std::uint64_t>>> EvmSink::rebroadcast_lost() {
  std::vector<std::uint64_t> sent_again;
  if (nonces_.live().empty()) co_return sent_again;
  auto chain = co_await chain_nonces(rpc_, gas_address());
  if (!chain) co_return std::move(chain).error();
  auto report = nonces_.resync(*chain);
  if (!report) co_return std::move(report).error();
  // Only transactions some node accepted: one still between journal and broadcast is its sender's.
  std::set<core::Hash32> accepted;
  for (const auto& record : nonces_.live()) {
    if (record.state == core::SubmissionState::kBroadcast) accepted.insert(record.tx_hash);
  }
  std::vector<BroadcastPermit> candidates;
  for (auto& permit : report->rebroadcast) {
    if (accepted.contains(permit.tx_hash())) candidates.push_back(std::move(permit));
  }
  if (candidates.empty()) co_return sent_again;
  std::vector<net::Call> lookups;
  lookups.reserve(candidates.size());
  for (const auto& permit : candidates) {
    net::Call lookup{.method = "eth_getTransactionByHash"};
    lookup.params.push_back(core::to_hex(permit.tx_hash()));
    lookups.push_back(std::move(lookup));
  }
  auto known = co_await rpc_.batch(std::move(lookups));
  if (!known) co_return node_failed("eth_getTransactionByHash", known.error());
  if (known->size() != candidates.size()) {
    co_return Error(reason::sink::kBadReply, "eth_getTransactionByHash: " + std::to_string(known->size()) +
                                                 " answers to " + std::to_string(candidates.size()) + " calls");
  }
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    if (!(*known)[i]) co_return node_failed("eth_getTransactionByHash", (*known)[i].error());
    if (!(*known)[i]->is_null()) continue;
    Json params = Json::array();
    params.push_back(core::to_hex(candidates[i].raw()));
    auto reply = co_await rpc_.call("eth_sendRawTransaction", std::move(params));
    // Sent again only when the node took the bytes. A refusal leaves the transaction live (a node
    // accepted it once; the fee bump replaces it) and is the operator's to see, named, on every look.
    switch (broadcast_outcome(reply)) {
      case BroadcastOutcome::kAccepted:
        sent_again.push_back(candidates[i].nonce());
        break;
      case BroadcastOutcome::kNonceTooLow: {
        // Mined meanwhile: nothing to send; the nonces are resynced.
        Error why = co_await resynced(candidates[i].nonce());
        if (why.reason() != reason::sink::kNonceTooLow) co_return why;
        break;
      }
      case BroadcastOutcome::kUnreachable:
        co_return node_failed("eth_sendRawTransaction", reply.error());
      case BroadcastOutcome::kRejected:
        co_return Error(reason::sink::kBroadcastRejected, "nonce " + std::to_string(candidates[i].nonce()) +
                                                              " lost by the node and refused again: " +
                                                              reply.error().message());
    }
  }
  co_return sent_again;
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

std::vector<core::Hash32> EvmSink::candidates(const SubmitHandle& handle) const {
  // Only one transaction of a nonce can mine: ask for the handle's own first, then its siblings.
  std::vector<core::Hash32> out{handle.tx_hash};
  const auto add = [&out](const core::Hash32& hash) {
    if (std::find(out.begin(), out.end(), hash) == out.end()) out.push_back(hash);
  };
  if (auto family = bumped_.find(handle.nonce); family != bumped_.end() &&
      std::find(family->second.begin(), family->second.end(), handle.tx_hash) != family->second.end()) {
    for (const auto& hash : family->second) add(hash);
  }
  // Siblings journaled before a restart, which bumped_ no longer knows (only if the handle's own
  // transaction is still live: a settled one has no family left to ask for).
  const auto journaled = nonces_.live_at(handle.nonce);
  if (std::find(journaled.begin(), journaled.end(), handle.tx_hash) != journaled.end()) {
    for (const auto& hash : journaled) add(hash);
  }
  return out;
}

awaitable<Result<Confirmation>> EvmSink::confirm(SubmitHandle handle) {
  for (const auto& hash : candidates(handle)) {
    auto one = co_await confirm_one(hash);
    if (!one) co_return std::move(one).error();
    if (one->state != Confirmation::State::kPending) co_return std::move(one).value();
  }
  co_return Confirmation{};
}

awaitable<Result<std::vector<Result<Confirmation>>>> EvmSink::confirm_all(std::vector<SubmitHandle> handles) {
  std::vector<Result<Confirmation>> out;
  out.reserve(handles.size());
  std::vector<std::size_t> alone;  // handles whose transaction is the only one of its nonce
  std::vector<net::Call> receipts;
  for (std::size_t i = 0; i < handles.size(); ++i) {
    out.push_back(Confirmation{});  // pending until a receipt says otherwise
    if (candidates(handles[i]).size() != 1) continue;
    alone.push_back(i);
    net::Call call{.method = "eth_getTransactionReceipt"};
    call.params.push_back(core::to_hex(handles[i].tx_hash));
    receipts.push_back(std::move(call));
  }
  if (!receipts.empty()) {
    auto replies = co_await rpc_.batch(std::move(receipts));
    if (!replies) co_return node_failed("eth_getTransactionReceipt", replies.error());
    std::vector<NonceManager::Receipt> mined;  // journaled together below
    std::vector<std::size_t> mined_of;
    for (std::size_t j = 0; j < alone.size(); ++j) {
      const std::size_t i = alone[j];
      if (j >= replies->size()) {
        out[i] = Error(reason::sink::kBadReply, "eth_getTransactionReceipt: fewer answers than calls");
      } else if (!(*replies)[j]) {
        out[i] = node_failed("eth_getTransactionReceipt", (*replies)[j].error());
      } else {
        out[i] = read_confirmation(handles[i].tx_hash, *(*replies)[j]);
        if (out[i] && out[i]->state != Confirmation::State::kPending && nonces_.is_live(handles[i].tx_hash)) {
          mined.push_back({handles[i].tx_hash, out[i]->block_number, out[i]->state == Confirmation::State::kDelivered});
          mined_of.push_back(i);
        }
      }
    }
    // One journal commit for the pass; if it fails, every receipt of it is reported as failed and
    // read again on the next pass.
    if (auto journaled = nonces_.on_confirmed_all(mined); !journaled) {
      for (const std::size_t i : mined_of) out[i] = journaled.error();
    }
  }
  for (std::size_t i = 0, j = 0; i < handles.size(); ++i) {
    if (j < alone.size() && alone[j] == i) {
      ++j;
      continue;
    }
    out[i] = co_await confirm(handles[i]);
  }
  co_return out;
}

awaitable<Result<Confirmation>> EvmSink::confirm_one(core::Hash32 tx_hash) {
  Json params = Json::array();
  params.push_back(core::to_hex(tx_hash));
  auto reply = co_await rpc_.call("eth_getTransactionReceipt", std::move(params));
  if (!reply) co_return node_failed("eth_getTransactionReceipt", reply.error());
  co_return confirmation_of(tx_hash, *reply);
}

Result<Confirmation> EvmSink::confirmation_of(const core::Hash32& tx_hash, const Json& reply) {
  CW_TRY(auto out, read_confirmation(tx_hash, reply));
  if (out.state != Confirmation::State::kPending && nonces_.is_live(tx_hash)) {
    CW_CHECK(nonces_.on_confirmed(tx_hash, out.block_number, out.state == Confirmation::State::kDelivered));
  }
  return out;
}

Result<Confirmation> EvmSink::read_confirmation(const core::Hash32& tx_hash, const Json& reply) const {
  Confirmation out;
  if (reply.is_null()) return out;  // pending
  if (!reply.is_object()) return Error(reason::sink::kBadReply, "receipt is not an object");
  const Json& receipt = reply;
  auto status_field = json_member(receipt, "status", "receipt");
  if (!status_field) return std::move(status_field).error();
  auto status = quantity_u64(**status_field, "receipt.status");
  if (!status) return std::move(status).error();
  if (*status > 1) return Error(reason::sink::kBadReply, "receipt status " + std::to_string(*status));
  auto number_field = json_member(receipt, "blockNumber", "receipt");
  if (!number_field) return std::move(number_field).error();
  auto number = quantity_u64(**number_field, "receipt.blockNumber");
  if (!number) return std::move(number).error();
  auto used_field = json_member(receipt, "gasUsed", "receipt");
  if (!used_field) return std::move(used_field).error();
  auto used = quantity_u64(**used_field, "receipt.gasUsed");
  if (!used) return std::move(used).error();
  out.tx_hash = tx_hash;
  out.block_number = *number;
  out.gas_used = *used;
  out.state = *status == 1 ? Confirmation::State::kDelivered : Confirmation::State::kReverted;

  if (*status == 1) {
    auto logs = json_member(receipt, "logs", "receipt");
    if (!logs) return std::move(logs).error();
    if (!(*logs)->is_array()) return Error(reason::sink::kBadReply, "receipt.logs is not an array");
    const std::string topic0 = core::to_hex(core::keccak256(core::as_bytes(kMessageExecutedSignature)));
    for (const Json& log : **logs) {
      if (!log.is_object()) return Error(reason::sink::kBadReply, "log is not an object");
      auto address = data_fixed<core::Address>(log.value("address", Json()), "log.address");
      if (!address) return std::move(address).error();
      if (*address != config_.gateway) continue;
      const Json topics = log.value("topics", Json::array());
      if (!topics.is_array() || topics.empty()) continue;
      auto t0 = data_fixed<core::Hash32>(topics[0], "log.topics[0]");
      if (!t0 || core::to_hex(*t0) != topic0) continue;
      auto event = executed_event(log);
      if (!event) return std::move(event).error();
      out.executed.push_back(*event);
    }
  }
  return out;
}

awaitable<Result<std::vector<InboxEntry>>> EvmSink::inbox_state(InboxRequest request) {
  co_return co_await gateway_.inbox_state(std::move(request));
}

}  // namespace causeway::evm
