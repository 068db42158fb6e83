// Gateway views by eth_call; see gateway_reader.hpp.
#include "adapters/evm/gateway_reader.hpp"

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

Error bad_reply(std::string_view signature, const Error& cause) {
  return Error(reason::gateway::kBadReply, std::string(signature) + ": " + cause.message());
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
  core::Bytes data = function_selector(signature);
  core::append(data, arguments);
  Json object = Json::object();
  object["to"] = core::to_hex(gateway_);
  object["data"] = core::to_hex(data);
  Json params = Json::array();
  params.push_back(std::move(object));
  params.push_back("latest");
  auto reply = co_await rpc_.call("eth_call", std::move(params));
  if (!reply) co_return std::move(reply).error().with_context("eth_call " + signature);
  auto bytes = data_any(*reply, "eth_call " + signature);
  if (!bytes) co_return bad_reply(signature, bytes.error());
  co_return std::move(bytes).value();
}

awaitable<Result<std::uint64_t>> GatewayReader::call_uint(std::string signature, core::Bytes arguments,
                                                          unsigned bits) {
  auto data = co_await call(signature, std::move(arguments));
  if (!data) co_return std::move(data).error();
  auto value = abi::decode(*data, 1, [bits](abi::Reader& r) { return r.uint(bits); });
  if (!value) co_return bad_reply(signature, value.error());
  co_return *value;
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
  std::vector<std::uint8_t> out;
  out.reserve(ids.size());
  for (const auto& id : ids) {
    core::Bytes argument = abi::encode({abi::word(id)});
    auto status = co_await call_uint("ackStatus(bytes32)", std::move(argument), 8);
    if (!status) co_return std::move(status).error();
    if (*status > kMaxStatus) {
      co_return Error(reason::gateway::kBadReply, "ackStatus(bytes32): status " + std::to_string(*status));
    }
    out.push_back(static_cast<std::uint8_t>(*status));
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
  std::vector<InboxEntry> out;
  out.reserve(request.ids.size());
  for (const auto& id : request.ids) {
    core::Bytes argument = abi::encode({abi::word(id)});
    auto executed = co_await call("executed(bytes32)", argument);
    if (!executed) co_return std::move(executed).error();
    auto flag = abi::decode(*executed, 1, [](abi::Reader& r) { return r.boolean(); });
    if (!flag) co_return bad_reply("executed(bytes32)", flag.error());
    auto status = co_await call_uint("executionStatus(bytes32)", std::move(argument), 8);
    if (!status) co_return std::move(status).error();
    // executed(id) is executionStatus(id) != 0 in the gateway; two answers that disagree are not its.
    if (*status > kMaxStatus || *flag != (*status != 0)) {
      co_return Error(reason::gateway::kBadReply, "executed " + std::string(*flag ? "true" : "false") +
                                                      " with executionStatus " + std::to_string(*status));
    }
    InboxEntry entry;
    entry.id = id;
    entry.executed = *flag;
    entry.status = static_cast<std::uint8_t>(*status);
    out.push_back(entry);
  }
  co_return out;
}

}  // namespace causeway::evm
