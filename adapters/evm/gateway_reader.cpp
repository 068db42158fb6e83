// Gateway views by eth_call; see gateway_reader.hpp.
#include "adapters/evm/gateway_reader.hpp"

#include <algorithm>
#include <string_view>
#include <utility>

#include "adapters/evm/rpc_json.hpp"
#include "relay/core/abi.hpp"
#include "relay/core/hash.hpp"

namespace causeway::evm {

using boost::asio::awaitable;
using core::Error;
using core::Result;
namespace abi = core::abi;

namespace {

// Statuses of MessageExecuted and acknowledgements: 0 (none yet), then 1..4 (ExecStatus).
constexpr std::uint64_t kMaxStatus = static_cast<std::uint64_t>(core::ExecStatus::kSkipped);

// The gateway refuses more than 255 attesters (Gateway.sol MAX_ATTESTERS); a longer array is not
// its answer, and bounding it keeps a hostile node from making us allocate.
constexpr std::uint64_t kMaxAttesters = 255;

// Calls per JSON-RPC batch request: Erigon refuses more than 100 by default (geth and Besu about
// 1,000), and a refused batch would stall every lookup for good.
constexpr std::size_t kMaxBatchCalls = 100;

Error bad_reply(std::string_view signature, const Error& cause) {
  return Error(reason::gateway::kBadReply, std::string(signature) + ": " + cause.message());
}

// A view's one returned uintN (N <= 64) or bool; kBadReply unless the reply is exactly one word
// whose value fits `bits`.
Result<std::uint64_t> decode_uint(std::string_view signature, core::ByteView data, unsigned bits) {
  auto value = abi::decode(data, 1, [bits](abi::Reader& r) { return r.uint(bits); });
  if (!value) return bad_reply(signature, value.error());
  return *value;
}

// A status view's answer (executionStatus, ackStatus): 0 until there is one, then 1..4.
Result<std::uint8_t> decode_status(std::string_view signature, core::ByteView data) {
  CW_TRY(const auto status, decode_uint(signature, data, 8));
  if (status > kMaxStatus) {
    return Error(reason::gateway::kBadReply, std::string(signature) + ": status " + std::to_string(status));
  }
  return static_cast<std::uint8_t>(status);
}

Json call_params(const core::Address& gateway, std::string_view signature, core::ByteView arguments) {
  core::Bytes data = function_selector(signature);
  core::append(data, arguments);
  Json object = Json::object();
  object["to"] = core::to_hex(gateway);
  object["data"] = core::to_hex(data);
  Json params = Json::array();
  params.push_back(std::move(object));
  params.push_back("latest");
  return params;
}

// The return data of one eth_call reply, or the call's error, named by the view in either case.
Result<core::Bytes> return_data(const std::string& signature, Result<Json> reply) {
  if (!reply) return std::move(reply).error().with_context("eth_call " + signature);
  auto bytes = data_any(*reply, "eth_call " + signature);
  if (!bytes) return bad_reply(signature, bytes.error());
  return std::move(bytes).value();
}

// abi.decode(data, (address[])): an offset of one word, the length, then exactly that many
// left-padded addresses.
Result<std::vector<core::Address>> decode_addresses(core::ByteView data) {
  if (data.size() < 2 * abi::kWordSize) return Error(abi::reason::kTooShort, std::to_string(data.size()) + " bytes");
  CW_TRY(const auto head, abi::decode(data.first(2 * abi::kWordSize), 2,
                                      [](abi::Reader& r) -> Result<std::pair<std::uint64_t, std::uint64_t>> {
                                        CW_TRY(const auto offset, r.uint(64));
                                        CW_TRY(const auto length, r.uint(64));
                                        return std::pair{offset, length};
                                      }));
  const auto [offset, length] = head;
  if (offset != abi::kWordSize) return Error(abi::reason::kBadOffset, "array offset " + std::to_string(offset));
  if (length > kMaxAttesters) return Error(abi::reason::kLengthPastEnd, std::to_string(length) + " addresses");
  const core::ByteView elements = data.subspan(2 * abi::kWordSize);
  if (length == 0) {
    if (!elements.empty()) return Error(abi::reason::kTrailingBytes, std::to_string(elements.size()) + " bytes");
    return std::vector<core::Address>{};
  }
  // The elements are laid out like a static tuple of `length` addresses.
  return abi::decode(elements, length, [length](abi::Reader& r) -> Result<std::vector<core::Address>> {
    std::vector<core::Address> out;
    out.reserve(length);
    for (std::uint64_t i = 0; i < length; ++i) {
      CW_TRY(const auto address, r.address());
      out.push_back(address);
    }
    return out;
  });
}

}  // namespace

core::Bytes function_selector(std::string_view signature) {
  const core::Hash32 h = core::keccak256(core::as_bytes(signature));
  return core::Bytes(h.bytes.begin(), h.bytes.begin() + 4);
}

awaitable<Result<core::Bytes>> GatewayReader::call(std::string signature, core::Bytes arguments) {
  auto reply = co_await rpc_.call("eth_call", call_params(gateway_, signature, arguments));
  co_return return_data(signature, std::move(reply));
}

awaitable<Result<std::vector<core::Bytes>>> GatewayReader::call_each(std::string signature,
                                                                     std::vector<core::Bytes> arguments) {
  std::vector<core::Bytes> out;
  out.reserve(arguments.size());
  for (std::size_t first = 0; first < arguments.size(); first += kMaxBatchCalls) {
    const std::size_t end = std::min(arguments.size(), first + kMaxBatchCalls);
    std::vector<net::Call> calls;
    calls.reserve(end - first);
    for (std::size_t i = first; i < end; ++i) calls.push_back({"eth_call", call_params(gateway_, signature, arguments[i])});
    auto replies = co_await rpc_.batch(std::move(calls));
    if (!replies) co_return std::move(replies).error().with_context("eth_call " + signature);
    // The client checks one reply per call; a stand-in that breaks that is not a node's answer.
    if (replies->size() != end - first) {
      co_return Error(reason::gateway::kBadReply, signature + ": " + std::to_string(replies->size()) +
                                                      " replies to " + std::to_string(end - first) + " calls");
    }
    for (auto& reply : *replies) {
      auto data = return_data(signature, std::move(reply));
      if (!data) co_return std::move(data).error();
      out.push_back(std::move(data).value());
    }
  }
  co_return out;
}

awaitable<Result<std::uint64_t>> GatewayReader::call_uint(std::string signature, core::Bytes arguments,
                                                          unsigned bits) {
  auto data = co_await call(signature, std::move(arguments));
  if (!data) co_return std::move(data).error();
  co_return decode_uint(signature, *data, bits);
}

awaitable<Result<std::uint64_t>> GatewayReader::epoch() { co_return co_await call_uint("epoch()", core::Bytes(), 64); }

awaitable<Result<std::uint16_t>> GatewayReader::threshold() {
  auto value = co_await call_uint("threshold()", core::Bytes(), 16);
  if (!value) co_return std::move(value).error();
  co_return static_cast<std::uint16_t>(*value);
}

awaitable<Result<std::vector<core::Address>>> GatewayReader::attesters() {
  auto data = co_await call("attesters()", core::Bytes());
  if (!data) co_return std::move(data).error();
  auto addresses = decode_addresses(*data);
  if (!addresses) co_return bad_reply("attesters()", addresses.error());
  co_return std::move(addresses).value();
}

awaitable<Result<bool>> GatewayReader::paused() {
  auto data = co_await call("paused()", core::Bytes());
  if (!data) co_return std::move(data).error();
  auto value = abi::decode(*data, 1, [](abi::Reader& r) { return r.boolean(); });
  if (!value) co_return bad_reply("paused()", value.error());
  co_return *value;
}

awaitable<Result<core::Address>> GatewayReader::guardian() {
  auto data = co_await call("guardian()", core::Bytes());
  if (!data) co_return std::move(data).error();
  auto value = abi::decode(*data, 1, [](abi::Reader& r) { return r.address(); });
  if (!value) co_return bad_reply("guardian()", value.error());
  co_return *value;
}

awaitable<Result<core::ChainIdentity>> GatewayReader::chain_identity() {
  auto data = co_await call("chainIdentity()", core::Bytes());
  if (!data) co_return std::move(data).error();
  auto value = abi::decode(*data, 1, [](abi::Reader& r) { return r.word(); });
  if (!value) co_return bad_reply("chainIdentity()", value.error());
  co_return core::ChainIdentity{value->bytes};
}

awaitable<Result<std::vector<std::uint8_t>>> GatewayReader::ack_status(std::vector<core::MessageId> ids) {
  co_return co_await statuses("ackStatus(bytes32)", std::move(ids));
}

awaitable<Result<std::vector<std::uint8_t>>> GatewayReader::statuses(std::string signature,
                                                                      std::vector<core::MessageId> ids) {
  std::vector<core::Bytes> arguments;
  arguments.reserve(ids.size());
  for (const auto& id : ids) arguments.push_back(abi::encode({abi::word(id)}));
  auto replies = co_await call_each(signature, std::move(arguments));
  if (!replies) co_return std::move(replies).error();
  std::vector<std::uint8_t> out;
  out.reserve(replies->size());
  for (const auto& data : *replies) {
    auto status = decode_status(signature, data);
    if (!status) co_return std::move(status).error();
    out.push_back(*status);
  }
  co_return out;
}

awaitable<Result<std::uint64_t>> GatewayReader::next_sequence(core::ChainIdentity dst_chain,
                                                              core::Word32 dst_gateway_word, bool ordered) {
  core::Bytes argument = abi::encode({abi::word(dst_chain), abi::word(dst_gateway_word), abi::boolean(ordered)});
  co_return co_await call_uint("nextSequence(bytes32,bytes32,bool)", std::move(argument), 64);
}

awaitable<Result<std::uint64_t>> GatewayReader::next_inbound(core::ChainIdentity src_chain,
                                                             core::Word32 src_gateway_word) {
  core::Bytes argument = abi::encode({abi::word(src_chain), abi::word(src_gateway_word)});
  co_return co_await call_uint("nextInbound(bytes32,bytes32)", std::move(argument), 64);
}

awaitable<Result<std::vector<InboxEntry>>> GatewayReader::inbox_state(InboxRequest request) {
  // executed(id) is executionStatus(id) != 0 in the gateway: one view says both.
  auto found = co_await statuses("executionStatus(bytes32)", request.ids);
  if (!found) co_return std::move(found).error();
  std::vector<InboxEntry> out;
  out.reserve(request.ids.size());
  for (std::size_t i = 0; i < request.ids.size(); ++i) {
    InboxEntry entry;
    entry.id = request.ids[i];
    entry.executed = (*found)[i] != 0;
    entry.status = (*found)[i];
    out.push_back(entry);
  }
  co_return out;
}

}  // namespace causeway::evm
