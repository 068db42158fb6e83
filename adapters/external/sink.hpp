// A target chain whose writes go through an out-of-process adapter (DESIGN.md section 3): the
// engine-facing calls of evm::EvmSink it needs (submit, acknowledge, skip, confirm, inbox_state)
// over the adapter protocol's sink.* methods. The relay still decides everything that is sent —
// every message verified, every vote its own or a checked peer's — and the adapter only carries
// the signed transaction: it can withhold or fail a delivery, never make the relay vote. Its word
// on what executed is a hint for scheduling only; executions reach the store solely as verified
// MessageExecuted bundles read through the chain's source side.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "adapters/evm/gateway_reader.hpp"  // InboxRequest, InboxEntry
#include "adapters/evm/sink.hpp"            // SubmitRequest, AckRequest, SkipRequest, SubmitHandle, Confirmation
#include "adapters/external/process.hpp"
#include "relay/core/result.hpp"

namespace causeway::external {

namespace reason {
// sink.submit answered estimate_reverted: the chain says the transaction reverts and nothing was
// sent. The engine treats it like its own sink's evm_sink.estimate_reverted (split, back off, park).
inline constexpr core::Reason kEstimateReverted{"external.estimate_reverted"};
// A request the protocol cannot carry (an empty batch, more than 1024 messages or 256 votes, a
// status outside 1..4): a bug of the caller, never sent.
inline constexpr core::Reason kBadRequest{"external.bad_request"};
}  // namespace reason

// The protocol's bounds on one sink request (schemas/adapter-protocol.schema.json).
inline constexpr std::size_t kMaxSinkItems = 1024;  // messages per batch, ids per inbox_state
inline constexpr std::size_t kMaxVotes = 256;       // signatures per message

// The params of sink.submit for each kind of transaction; kBadRequest beyond the protocol's bounds.
core::Result<Json> deliver_params(const evm::SubmitRequest& request);
core::Result<Json> acknowledge_params(const evm::AckRequest& request);
core::Result<Json> skip_params(const evm::SkipRequest& request);

// Strict readers of the sink.* results: json.* reasons for a wrong shape, kBadReply for a result
// that does not answer its request, kEstimateReverted for a submission the chain refused.
core::Result<core::Hash32> read_submit_result(const Json& result);
// The state and block of `tx_hash`; never any execution event (see the file comment).
core::Result<evm::Confirmation> read_confirm_result(const Json& result, const core::Hash32& tx_hash);
// One entry per id of `ids`, in order, each naming its id.
core::Result<std::vector<evm::InboxEntry>> read_inbox_state_result(const Json& result,
                                                                   const std::vector<core::MessageId>& ids);

// One target chain served by an adapter process (possibly the same process as the chain's
// external source). Not thread-safe: the engine runs it on one strand, like EvmSink.
class ExternalSink {
 public:
  explicit ExternalSink(AdapterProcess& process) : process_(process) {}

  // Starts the process if needed (adapter.hello, checked against the configured chain and family);
  // kBadReply unless the adapter serves the sink side.
  boost::asio::awaitable<core::Result<void>> start();
  // sink.submit of one batch (deliver), acknowledgement or skip. The handle's nonce and gas limit
  // are zero: the adapter owns its account's nonces and fees.
  boost::asio::awaitable<core::Result<evm::SubmitHandle>> submit(evm::SubmitRequest request);
  boost::asio::awaitable<core::Result<evm::SubmitHandle>> acknowledge(evm::AckRequest request);
  boost::asio::awaitable<core::Result<evm::SubmitHandle>> skip(evm::SkipRequest request);
  // sink.confirm of a submission: pending, delivered or reverted, with no executed events.
  boost::asio::awaitable<core::Result<evm::Confirmation>> confirm(evm::SubmitHandle handle);
  // sink.inbox_state, in requests of at most kMaxSinkItems ids.
  boost::asio::awaitable<core::Result<std::vector<evm::InboxEntry>>> inbox_state(evm::InboxRequest request);

 private:
  boost::asio::awaitable<core::Result<evm::SubmitHandle>> send(core::Result<Json> params);

  AdapterProcess& process_;
};

}  // namespace causeway::external
