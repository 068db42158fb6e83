// ExternalSink: sink.* calls over an AdapterProcess, params in the protocol's form, results read
// strictly.
#include "adapters/external/sink.hpp"

#include <algorithm>
#include <array>
#include <iterator>
#include <string>
#include <utility>

#include "relay/core/message_json.hpp"
#include "relay/verify/json_read.hpp"

namespace causeway::external {

namespace asio = boost::asio;
using asio::awaitable;
namespace jr = verify::json_read;

namespace {

using Votes = std::vector<std::array<std::uint8_t, 65>>;

core::Result<Json> votes_json(const Votes& votes, std::string_view what) {
  if (votes.empty() || votes.size() > kMaxVotes) {
    return core::Error(reason::kBadRequest, std::string(what) + ": " + std::to_string(votes.size()) +
                                                " votes, the protocol carries 1 to " + std::to_string(kMaxVotes));
  }
  Json out = Json::array();
  for (const auto& v : votes) out.push_back(core::to_hex(core::ByteView(v.data(), v.size())));
  return out;
}

}  // namespace

core::Result<Json> deliver_params(const evm::SubmitRequest& request) {
  const std::size_t n = request.messages.size();
  if (n == 0 || n > kMaxSinkItems || request.claims.size() != n || request.signatures.size() != n) {
    return core::Error(reason::kBadRequest, "a batch of " + std::to_string(n) + " messages, " +
                                                std::to_string(request.claims.size()) + " claims and " +
                                                std::to_string(request.signatures.size()) + " vote lists");
  }
  Json messages = Json::array();
  Json claims = Json::array();
  Json signatures = Json::array();
  for (std::size_t i = 0; i < n; ++i) {
    messages.push_back(core::message_to_json(request.messages[i]));
    claims.push_back(core::to_hex(request.claims[i]));
    CW_TRY(Json votes, votes_json(request.signatures[i], "message " + std::to_string(i)));
    signatures.push_back(std::move(votes));
  }
  return Json{{"messages", std::move(messages)}, {"claims", std::move(claims)}, {"signatures", std::move(signatures)}};
}

core::Result<Json> acknowledge_params(const evm::AckRequest& request) {
  // The protocol's sink.submit carries one acknowledgement (the engine asks no more of an adapter).
  if (request.acks.size() != 1) {
    return core::Error(reason::kBadRequest,
                       std::to_string(request.acks.size()) + " acknowledgements in one request, the protocol has one");
  }
  const evm::Ack& one = request.acks.front();
  const auto status = static_cast<unsigned>(one.status);
  if (status < 1 || status > static_cast<unsigned>(core::ExecStatus::kSkipped)) {
    return core::Error(reason::kBadRequest, "acknowledgement status " + std::to_string(status));
  }
  CW_TRY(Json votes, votes_json(one.signatures, "acknowledgement"));
  Json ack = {{"id", core::to_hex(one.id)},
              {"status", status},
              {"claim", core::to_hex(one.claim)},
              {"signatures", std::move(votes)}};
  return Json{{"acknowledgement", std::move(ack)}};
}

core::Result<Json> skip_params(const evm::SkipRequest& request) {
  CW_TRY(Json votes, votes_json(request.signatures, "skip"));
  Json skip = {{"message", core::message_to_json(request.message)}, {"signatures", std::move(votes)}};
  return Json{{"skip", std::move(skip)}};
}

core::Result<core::Hash32> read_submit_result(const Json& result) {
  if (result.is_object() && result.contains("estimate_reverted")) {
    CW_CHECK(jr::check_object(result, "", {"estimate_reverted"}));
    // The data is kept for the operator (and bounded as the schema bounds it); its meaning is
    // the chain's, not the relay's.
    CW_TRY(const core::Bytes data, jr::read_hex(result["estimate_reverted"], "estimate_reverted", 1024));
    return core::Error(reason::kEstimateReverted, "the adapter's estimate reverts, revert data " + core::to_hex(data));
  }
  CW_CHECK(jr::check_object(result, "", {"tx_hash"}));
  return jr::read_fixed<core::Hash32>(result["tx_hash"], "tx_hash");
}

core::Result<evm::Confirmation> read_confirm_result(const Json& result, const core::Hash32& tx_hash) {
  CW_CHECK(jr::check_object(result, "", {"state"}, {"block_number"}));
  CW_TRY(const std::string state, jr::read_string(result["state"], "state", 16));
  evm::Confirmation confirmation;
  if (state == "pending") {
    confirmation.state = evm::Confirmation::State::kPending;
  } else if (state == "delivered") {
    confirmation.state = evm::Confirmation::State::kDelivered;
  } else if (state == "reverted") {
    confirmation.state = evm::Confirmation::State::kReverted;
  } else {
    return jr::bad("state", "expected pending, delivered or reverted");
  }
  if (result.contains("block_number")) {
    if (confirmation.state == evm::Confirmation::State::kPending) {
      return core::Error(reason::kBadReply, "a pending transaction with a block number");
    }
    CW_TRY(confirmation.block_number, jr::read_decimal(result["block_number"], "block_number"));
  }
  // Zero while pending, as EvmSink reports it; the adapter's own fee bumps stay behind this hash.
  if (confirmation.state != evm::Confirmation::State::kPending) confirmation.tx_hash = tx_hash;
  return confirmation;
}

core::Result<std::vector<evm::InboxEntry>> read_inbox_state_result(const Json& result,
                                                                   const std::vector<core::MessageId>& ids) {
  CW_CHECK(jr::check_object(result, "", {"entries"}));
  CW_CHECK(jr::check_array(result["entries"], "entries", kMaxSinkItems));
  if (result["entries"].size() != ids.size()) {
    return core::Error(reason::kBadReply, std::to_string(result["entries"].size()) + " entries for " +
                                              std::to_string(ids.size()) + " ids");
  }
  std::vector<evm::InboxEntry> out;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const std::string path = jr::index_path("entries", i);
    const Json& entry = result["entries"][i];
    CW_CHECK(jr::check_object(entry, path, {"id", "status"}));
    evm::InboxEntry e;
    CW_TRY(e.id, jr::read_fixed<core::MessageId>(entry["id"], jr::field_path(path, "id")));
    if (e.id != ids[i]) return core::Error(reason::kBadReply, path + ": another id than requested");
    CW_TRY(const std::uint64_t status, jr::read_uint(entry["status"], jr::field_path(path, "status"),
                                                     static_cast<std::uint64_t>(core::ExecStatus::kSkipped)));
    e.status = static_cast<std::uint8_t>(status);
    e.executed = status != 0;
    out.push_back(e);
  }
  return out;
}

awaitable<core::Result<void>> ExternalSink::start() {
  CW_CO_TRY(const Hello hello, co_await process_.start());
  if (!hello.sink) {
    co_return core::Error(reason::kBadReply, process_.config().name + ": the adapter does not serve the sink side");
  }
  co_return core::ok();
}

awaitable<core::Result<evm::SubmitHandle>> ExternalSink::send(core::Result<Json> params) {
  if (!params) co_return std::move(params).error().with_context("sink.submit");
  CW_CO_TRY(const Json result, co_await process_.call("sink.submit", std::move(params).value()));
  auto tx_hash = read_submit_result(result);
  if (!tx_hash) co_return std::move(tx_hash).error().with_context("sink.submit");
  evm::SubmitHandle handle;
  handle.tx_hash = *tx_hash;
  co_return handle;
}

awaitable<core::Result<evm::SubmitHandle>> ExternalSink::submit(evm::SubmitRequest request) {
  return send(deliver_params(request));
}

awaitable<core::Result<evm::SubmitHandle>> ExternalSink::acknowledge(evm::AckRequest request) {
  return send(acknowledge_params(request));
}

awaitable<core::Result<evm::SubmitHandle>> ExternalSink::skip(evm::SkipRequest request) {
  return send(skip_params(request));
}

awaitable<core::Result<evm::Confirmation>> ExternalSink::confirm(evm::SubmitHandle handle) {
  Json params = {{"tx_hash", core::to_hex(handle.tx_hash)}};
  CW_CO_TRY(const Json result, co_await process_.call("sink.confirm", std::move(params)));
  auto confirmation = read_confirm_result(result, handle.tx_hash);
  if (!confirmation) co_return std::move(confirmation).error().with_context("sink.confirm");
  co_return confirmation;
}

awaitable<core::Result<std::vector<evm::InboxEntry>>> ExternalSink::inbox_state(evm::InboxRequest request) {
  std::vector<evm::InboxEntry> out;
  for (std::size_t from = 0; from < request.ids.size(); from += kMaxSinkItems) {
    const auto first = request.ids.begin() + static_cast<std::ptrdiff_t>(from);
    const auto count = static_cast<std::ptrdiff_t>(std::min(kMaxSinkItems, request.ids.size() - from));
    const std::vector<core::MessageId> ids(first, first + count);
    Json wanted = Json::array();
    for (const auto& id : ids) wanted.push_back(core::to_hex(id));
    Json params = {{"ids", std::move(wanted)}};
    CW_CO_TRY(const Json result, co_await process_.call("sink.inbox_state", std::move(params)));
    auto entries = read_inbox_state_result(result, ids);
    if (!entries) co_return std::move(entries).error().with_context("sink.inbox_state");
    std::move(entries->begin(), entries->end(), std::back_inserter(out));
  }
  co_return out;
}

}  // namespace causeway::external
