// Reads of a gateway's views (Gateway.sol) by eth_call at the latest block: the attester set and
// epoch, pause, the inbox (executed ids), acknowledgements and lane sequences, for the engine's
// reconciliation sweeps and vote signing. A view asked for many ids goes as JSON-RPC batches (one
// round trip per 100 ids), not one request per id. Every returned ABI word is decoded strictly.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "adapters/evm/source.hpp"  // Rpc
#include "relay/core/bytes.hpp"
#include "relay/core/protocol.hpp"
#include "relay/core/result.hpp"

namespace causeway::evm {

namespace reason::gateway {
// An eth_call result that is not the view's ABI encoding: wrong length, bits set above the
// returned type's width, a bool other than 0/1, a malformed address array.
inline constexpr core::Reason kBadReply{"evm_gateway.bad_reply"};
}  // namespace reason::gateway

// The 4-byte function selector keccak256(signature)[0..4] that starts a call's calldata.
core::Bytes function_selector(std::string_view signature);

struct InboxRequest {
  std::vector<core::MessageId> ids;
};

struct InboxEntry {
  core::MessageId id;
  bool executed = false;
  std::uint8_t status = 0;  // executionStatus: 0 = not executed, else 1..4
};

// One gateway on one chain. Holds no state besides its address: every method is one or more
// eth_call reads, each failing with the node's error (with context) or kBadReply; a per-id method
// fails as a whole when any of its ids does.
class GatewayReader {
 public:
  GatewayReader(Rpc& rpc, core::Address gateway) : rpc_(rpc), gateway_(gateway) {}

  const core::Address& gateway() const noexcept { return gateway_; }

  // The current attester epoch: votes are signed for it.
  boost::asio::awaitable<core::Result<std::uint64_t>> epoch();
  boost::asio::awaitable<core::Result<std::uint16_t>> threshold();
  // The current attesters, in the gateway's (strictly increasing) order.
  boost::asio::awaitable<core::Result<std::vector<core::Address>>> attesters();
  boost::asio::awaitable<core::Result<bool>> paused();
  // The immutable guardian (the one address that may pause and unpause) and chain identity.
  boost::asio::awaitable<core::Result<core::Address>> guardian();
  boost::asio::awaitable<core::Result<core::ChainIdentity>> chain_identity();
  // ackStatus(id) per id, in order, batched: 0 until acknowledged, then the destination's status 1..4.
  boost::asio::awaitable<core::Result<std::vector<std::uint8_t>>> ack_status(std::vector<core::MessageId> ids);
  // nextSequence(dstChain, dstGateway, ordered): the sequence the next send() on that outbound lane
  // gets, so sequences below it were sent.
  boost::asio::awaitable<core::Result<std::uint64_t>> next_sequence(core::ChainIdentity dst_chain,
                                                                    core::Word32 dst_gateway_word, bool ordered);
  // nextInbound(srcChain, srcGateway): the sequence the ordered lane from there executes next.
  boost::asio::awaitable<core::Result<std::uint64_t>> next_inbound(core::ChainIdentity src_chain,
                                                                   core::Word32 src_gateway_word);
  // executionStatus(id) per id, in order, batched (the sink's inbox_state); executed is status != 0,
  // as the gateway's executed(id) defines it.
  boost::asio::awaitable<core::Result<std::vector<InboxEntry>>> inbox_state(InboxRequest request);

 private:
  // eth_call of `signature` with the ABI-encoded `arguments` at "latest"; the raw return data.
  boost::asio::awaitable<core::Result<core::Bytes>> call(std::string signature, core::Bytes arguments);
  // The same view once per element of `arguments`, in JSON-RPC batches of at most 100 calls; the
  // return data in order. The first call that fails fails the whole.
  boost::asio::awaitable<core::Result<std::vector<core::Bytes>>> call_each(std::string signature,
                                                                           std::vector<core::Bytes> arguments);
  // A status view (ackStatus, executionStatus) of each id; kBadReply for a status above 4.
  boost::asio::awaitable<core::Result<std::vector<std::uint8_t>>> statuses(std::string signature,
                                                                           std::vector<core::MessageId> ids);
  // A view returning one uintN (N <= 64) or bool; kBadReply unless the reply is exactly one word
  // whose value fits `bits`.
  boost::asio::awaitable<core::Result<std::uint64_t>> call_uint(std::string signature, core::Bytes arguments,
                                                                unsigned bits);

  Rpc& rpc_;
  core::Address gateway_;
};

}  // namespace causeway::evm
