// The EVM Sink adapter (DESIGN.md section 3, PROTOCOL.md sections 5 and 6): one batched
// `deliver(Message[], bytes32[], bytes[][])` transaction per submit, and one `acknowledge` (or
// `acknowledgeAll` of several) transaction per AckRequest, both signed with the gas key and
// journaled (NonceManager::commit) before they are broadcast; confirmation by receipt with the
// gateway's MessageExecuted events; the gateway's inbox state by eth_call (GatewayReader).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "adapters/evm/gas.hpp"
#include "adapters/evm/gateway_reader.hpp"
#include "adapters/evm/nonce_manager.hpp"
#include "adapters/evm/source.hpp"  // Rpc, NetRpc
#include "adapters/evm/tx.hpp"
#include "relay/core/journal.hpp"
#include "relay/core/message.hpp"
#include "relay/core/secp256k1.hpp"
#include "relay/core/secp256k1_signer.hpp"

namespace causeway::evm {

namespace reason::sink {
inline constexpr core::Reason kBadConfig{"evm_sink.bad_config"};
// eth_chainId is not the configured chain id.
inline constexpr core::Reason kWrongChainId{"evm_sink.wrong_chain_id"};
// An empty batch, or claims/signatures not one per message; an acknowledgement with a status
// outside 1..4 or without signatures, or an acknowledge transaction of none or too many.
inline constexpr core::Reason kBadRequest{"evm_sink.bad_request"};
// The pre-check (one execution of the transaction by eth_createAccessList) says it reverts; the
// detail carries the revert data ("revert data 0x…") when the node gave it. The engine splits a
// batch; an acknowledgement waits and retries.
inline constexpr core::Reason kEstimateReverted{"evm_sink.estimate_reverted"};
// Any other failure to read what a submission needs from the node (estimate, fees, nonces).
inline constexpr core::Reason kNodeFailed{"evm_sink.node_failed"};
// The node refused the signed transaction; its nonce was released for the next one.
inline constexpr core::Reason kBroadcastRejected{"evm_sink.broadcast_rejected"};
// The node says the nonce is used: the nonce manager was resynced; submit again.
inline constexpr core::Reason kNonceTooLow{"evm_sink.nonce_too_low"};
// A receipt or pre-check answer that is malformed.
inline constexpr core::Reason kBadReply{"evm_sink.bad_reply"};
// A fee bump would need fees above FeePolicy::max_fee_cap: the transaction stays as it is.
inline constexpr core::Reason kFeeCapReached{"evm_sink.fee_cap_reached"};
// bump() of a transaction that is not live (unknown, confirmed or dropped).
inline constexpr core::Reason kNotBumpable{"evm_sink.not_bumpable"};
}  // namespace reason::sink

enum class FeeMode : std::uint8_t {
  kDetect,   // EIP-1559 when the latest block has baseFeePerGas, else legacy
  kLegacy,   // EIP-155 legacy with eth_gasPrice
  kEip1559,  // type 2 with the latest base fee and eth_maxPriorityFeePerGas
};

struct SinkConfig {
  std::uint64_t chain_id = 0;
  core::Address gateway;
  core::SignerPtr gas_key;  // required; the one writer for (chain_id, its address)
  core::SubmissionJournal* journal = nullptr;  // required; outlives the sink
  GasPolicy gas;    // gas cap and estimate headroom
  FeePolicy fees;   // fee caps (max_fee_cap also caps a legacy gas price)
  FeeMode fee_mode = FeeMode::kDetect;
};

struct SubmitRequest {
  std::vector<core::Message> messages;
  std::vector<core::Claim> claims;                                  // one per message
  std::vector<std::vector<std::array<std::uint8_t, 65>>> signatures;  // per message, signers ascending
  std::string tag;  // stored with the journal record (maps the transaction back to the batch)
  // Off: no pre-check; the gas limit is batch_gas_limit's guarded requirement alone, and a batch
  // that reverts does so on chain (its receipt says so, and its messages go out again). The EVM
  // sink's; an external adapter's sink checks as it sees fit.
  bool precheck = true;
};

// One acknowledgement for the source gateway (PROTOCOL.md section 6): `claim` is the claim over the
// destination's MessageExecuted event, the signatures Ack(id, status, claim, epoch) votes of the
// source gateway's attesters, signers ascending.
struct Ack {
  core::MessageId id;
  core::ExecStatus status = core::ExecStatus::kOk;
  core::Claim claim;
  std::vector<std::array<std::uint8_t, 65>> signatures;
};

// One acknowledge transaction: `acknowledge(id, status, claim, signatures)` for one acknowledgement,
// `acknowledgeAll(ids, statuses, claims, signatures)` for several (at most
// EvmSink::acks_per_transaction()). One transaction instead of one each is what lets the source
// chain keep up with a busy lane: its cost is the signature checks and storage of each entry, not
// a transaction's fixed overhead, signing and journal record per message.
struct AckRequest {
  std::vector<Ack> acks;
  std::string tag;  // stored with the journal record
  bool precheck = true;  // as SubmitRequest::precheck
};

// One skip of a stuck ordered message (PROTOCOL.md section 5): the message itself (the gateway
// recomputes its id, lane and sequence) and Skip(id, epoch) votes of the destination gateway's
// attesters, signers ascending.
struct SkipRequest {
  core::Message message;
  std::vector<std::array<std::uint8_t, 65>> signatures;
  std::string tag;  // stored with the journal record
};

// A submitted transaction (deliver or acknowledge).
struct SubmitHandle {
  core::Hash32 tx_hash;
  std::uint64_t nonce = 0;
  std::uint64_t gas_limit = 0;
  // False when the node could not be reached: the transaction is journaled and its nonce kept;
  // resend() sends the same bytes again.
  bool broadcast = true;
};

struct ExecutedEvent {
  core::MessageId id;
  core::ExecStatus status = core::ExecStatus::kOk;
  core::Claim claim;
};

struct Confirmation {
  enum class State : std::uint8_t { kPending, kDelivered, kReverted };
  State state = State::kPending;
  // The transaction that mined: the handle's own, or another of the same nonce (a fee bump, or
  // the original a bump replaced). Zero while pending.
  core::Hash32 tx_hash;
  std::uint64_t block_number = 0;
  std::uint64_t gas_used = 0;
  std::vector<ExecutedEvent> executed;  // the gateway's MessageExecuted events, in log order
};

// `deliver(msgs, claims, signatures)` calldata: selector ‖ abi.encode(Message[], bytes32[], bytes[][]).
core::Result<core::Bytes> deliver_calldata(const SubmitRequest& request);
// `acknowledge(id, status, claim, signatures)` calldata: selector ‖ abi.encode(bytes32, uint8,
// bytes32, bytes[]); for several acknowledgements `acknowledgeAll(ids, statuses, claims,
// signatures)`: selector ‖ abi.encode(bytes32[], uint8[], bytes32[], bytes[][]).
core::Result<core::Bytes> acknowledge_calldata(const AckRequest& request);

// The most acknowledgements one acknowledge transaction carries: enough that a busy lane needs few
// transactions, few enough that one stays well inside a 30,000,000 gas block with the deliveries
// (32 × ~232,000 gas of guarded hook and entry overhead ≈ 7,500,000).
inline constexpr std::size_t kMaxAcksPerTransaction = 32;

// `skip(msg, signatures)` calldata: selector ‖ abi.encode(Message, bytes[]).
core::Result<core::Bytes> skip_calldata(const SkipRequest& request);

// One target chain and gas key. Not thread-safe: the engine runs it on one strand.
class EvmSink {
 public:
  // Checks eth_chainId, detects the fee mode and opens the nonce manager from the journal and the
  // chain's nonces of the gas key.
  static boost::asio::awaitable<core::Result<std::unique_ptr<EvmSink>>> create(Rpc& rpc, SinkConfig config);

  // Pre-checks, prices, signs, journals and broadcasts one deliver transaction for the batch. The
  // pre-check executes the transaction once (eth_createAccessList) for its revert and gas used;
  // eth_estimateGas would execute it a dozen times or more to search the least gas limit, which
  // batch_gas_limit's guarded-call requirement exceeds anyway. Without request.precheck the node
  // executes the batch once instead of twice (see SubmitRequest).
  boost::asio::awaitable<core::Result<SubmitHandle>> submit(SubmitRequest request);
  // The same for one acknowledge transaction (of one or several acknowledgements). The gas limit
  // also covers the gateway's guarded call of each sender's ack hook (Gateway.sol ACK_GAS_LIMIT ×
  // 64/63), which the estimate misses when the votes were still below threshold at estimate time.
  // An id the gateway never sent, or a bad vote, is kEstimateReverted (for the whole transaction:
  // the caller sends its entries one by one to find the bad one); an id already acknowledged is a
  // no-op the gateway accepts.
  boost::asio::awaitable<core::Result<SubmitHandle>> acknowledge(AckRequest request);
  // acknowledge() of several transactions in three round trips rather than four each: one
  // JSON-RPC batch of pre-checks, one fee reading, each signed and journaled in turn (nonces
  // ascending, every one durable before any is broadcast), then one batch of broadcasts. The
  // outer error is a failure before anything was journaled; otherwise one result per request, in
  // order, as acknowledge() gives it.
  boost::asio::awaitable<core::Result<std::vector<core::Result<SubmitHandle>>>> acknowledge_all(
      std::vector<AckRequest> requests);
  // How many acknowledgements one acknowledge transaction may carry: kMaxAcksPerTransaction, fewer
  // when the gas cap cannot cover that many ack hooks (at least 1).
  std::size_t acks_per_transaction() const noexcept { return acks_per_transaction_; }
  // The same for one skip transaction. Once the votes reach the threshold and the message is its
  // lane's next, the gateway executes it with status 4 and emits MessageExecuted, which confirm()
  // reports like a delivery's; an executed message makes it a no-op.
  boost::asio::awaitable<core::Result<SubmitHandle>> skip(SkipRequest request);
  // The same for a governance call of the gateway whose calldata the caller built (rotate, pause,
  // unpause: `causeway attesters|guardian`), priced as one batch entry that forwards no gas.
  boost::asio::awaitable<core::Result<SubmitHandle>> submit_call(core::Bytes calldata, std::string tag);
  // The receipt of a submission (deliver or acknowledge): pending without one; delivered (status 1,
  // with the MessageExecuted events, none for an acknowledge) or reverted (status 0). Tells the nonce manager once the receipt is seen. A handle of a bumped
  // nonce looks at every transaction of that nonce, so either handle reports the one that mined.
  boost::asio::awaitable<core::Result<Confirmation>> confirm(SubmitHandle handle);
  // confirm() of several handles: the receipts of every handle that is the only transaction of
  // its nonce in one JSON-RPC batch, the others one by one as confirm() does. The outer error is
  // the batch's exchange failing; otherwise one result per handle, in order.
  boost::asio::awaitable<core::Result<std::vector<core::Result<Confirmation>>>> confirm_all(
      std::vector<SubmitHandle> handles);
  // Fee bump of a stuck submission: the same calldata, gas limit and nonce, re-signed with fees
  // raised by at least the replacement minimum (FeePolicy::bump_percent, and at least the current
  // market), journaled as replacing the newest transaction of that nonce before broadcast.
  // kFeeCapReached when that needs more than the fee cap. Returns the replacement's handle.
  // The handle is taken by value: the coroutine may outlive the caller's object.
  boost::asio::awaitable<core::Result<SubmitHandle>> bump(SubmitHandle handle);
  // executionStatus(id) of the gateway, per id, at the latest block, in batched eth_calls
  // (GatewayReader::inbox_state).
  boost::asio::awaitable<core::Result<std::vector<InboxEntry>>> inbox_state(InboxRequest request);
  // Broadcasts again every journaled transaction no node has accepted yet; returns how many were.
  boost::asio::awaitable<core::Result<std::size_t>> resend();
  // Transactions a node accepted and then lost: the newest transaction of each unmined nonce is
  // looked up (one JSON-RPC batch), and those the node no longer knows go out again, same bytes.
  // A node's pool is not durable (a restart empties it), and anvil 1.7.1 drops a transaction it
  // skipped for want of block gas; every later nonce then waits behind the gap for good. Returns
  // the nonces the node took again; one it refuses again is kBroadcastRejected naming the nonce.
  boost::asio::awaitable<core::Result<std::vector<std::uint64_t>>> rebroadcast_lost();

  const core::Address& gas_address() const noexcept { return nonces_.key().account; }
  bool eip1559() const noexcept { return eip1559_; }
  // The gas limit of the latest block the sink read (at start and with each EIP-1559 fee
  // reading); 0 on a legacy-fee chain, where no block is read.
  std::uint64_t block_gas_limit() const noexcept { return block_gas_limit_; }
  const NonceManager& nonces() const noexcept { return nonces_; }

 private:
  EvmSink(Rpc& rpc, SinkConfig config, NonceManager nonces, bool eip1559, std::uint64_t block_gas_limit)
      : rpc_(rpc), config_(std::move(config)), nonces_(std::move(nonces)), eip1559_(eip1559),
        block_gas_limit_(block_gas_limit), gateway_(rpc, config_.gateway),
        acks_per_transaction_(max_acks_per_transaction(config_.gas)) {}

  static std::size_t max_acks_per_transaction(const GasPolicy& gas);

  // What the node asks now: base fee and suggested tip (EIP-1559), or the gas price (legacy).
  struct Market {
    std::uint64_t base_fee = 0;
    std::uint64_t tip = 0;
    std::uint64_t gas_price = 0;
  };

  // The one submission pipeline of submit and acknowledge: pre-check (unless `precheck` is off),
  // gas limit (batch_gas_limit of `guarded_gas`, the gas limits of the guarded calls the
  // transaction makes, and the gas the pre-check used), price, sign, journal, broadcast.
  boost::asio::awaitable<core::Result<SubmitHandle>> send(core::Bytes calldata, std::vector<std::uint64_t> guarded_gas,
                                                          std::string tag, bool precheck = true);
  // The pre-check's call of eth_createAccessList for `calldata` from the gas account.
  net::Call precheck_call(const core::Bytes& calldata) const;
  boost::asio::awaitable<core::Result<Market>> market();
  // The receipt of one transaction (see confirm).
  boost::asio::awaitable<core::Result<Confirmation>> confirm_one(core::Hash32 tx_hash);
  // The transactions of the handle's nonce confirm() looks at: its own first, then its siblings.
  std::vector<core::Hash32> candidates(const SubmitHandle& handle) const;
  // What the node's eth_getTransactionReceipt answer (null: pending) says of `tx_hash`; a receipt
  // of a live transaction of ours is journaled as confirmed (the nonce manager is told).
  core::Result<Confirmation> confirmation_of(const core::Hash32& tx_hash, const Json& reply);
  // The same, telling no one (confirm_all journals a pass's receipts together).
  core::Result<Confirmation> read_confirmation(const core::Hash32& tx_hash, const Json& reply) const;
  // Settles a journaled transaction whose nonce the chain has already used: confirmed from its
  // own or a sibling's receipt, else dropped.
  boost::asio::awaitable<core::Result<void>> settle(core::Hash32 tx_hash, std::uint64_t nonce);
  boost::asio::awaitable<core::Result<UnsignedTx>> priced_tx(std::uint64_t gas_limit, core::Bytes calldata);
  // The transaction at `nonce`, priced from `now`.
  core::Result<UnsignedTx> unsigned_tx(const Market& now, std::uint64_t nonce, std::uint64_t gas_limit,
                                       core::Bytes calldata);
  // A journaled transaction's permit and the gas limit it was signed with (signed_fresh may have
  // nudged it).
  struct Journaled {
    BroadcastPermit permit;
    std::uint64_t gas_limit = 0;
  };
  // Signs, journals and hands out the permit of a transaction at the next nonce.
  core::Result<Journaled> journaled(UnsignedTx tx, std::string tag);
  // Signs `tx`, nudging its gas limit while the journal already holds the hash (a refused repeat).
  core::Result<SignedTx> signed_fresh(UnsignedTx tx);
  boost::asio::awaitable<core::Result<BroadcastAdvice>> broadcast(const BroadcastPermit& permit);
  // What the node's eth_sendRawTransaction answer means for `permit`, told to the nonce manager:
  // kNonceReleased is kBroadcastRejected; kResync is left to the caller (it needs the chain).
  core::Result<BroadcastAdvice> on_reply(const BroadcastPermit& permit, const core::Result<Json>& reply);
  // After kResync: the chain's nonces read and the manager resynced; kNonceTooLow.
  boost::asio::awaitable<core::Error> resynced(std::uint64_t nonce);

  Rpc& rpc_;
  SinkConfig config_;
  NonceManager nonces_;
  bool eip1559_ = false;
  std::uint64_t block_gas_limit_ = 0;
  GatewayReader gateway_;
  std::size_t acks_per_transaction_ = 1;
  // Per bumped nonce, every transaction this sink signed for it (original first): where confirm()
  // looks when the handle's own transaction was superseded.
  std::map<std::uint64_t, std::vector<core::Hash32>> bumped_;
};

}  // namespace causeway::evm
