// ExternalSink (adapters/external/sink.cpp): the sink.submit params of each kind of transaction,
// each result reader on a valid reply and on one mutation per rule, and the calls through
// fake_adapter.sh.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include "adapters/external/sink.hpp"
#include "relay/core/message_json.hpp"
#include "relay/verify/json_read.hpp"
#include "tests/unit/external/harness.hpp"

namespace causeway {
namespace {

using external::Json;
using test::external::Harness;
namespace ext_reason = external::reason;
namespace jr = verify::json_read;

const std::string kTx = "0x" + std::string(64, 'a');
const std::string kId1 = "0x" + std::string(64, '1');
const std::string kId2 = "0x" + std::string(64, '2');

template <typename Fixed>
Fixed fixed(const std::string& hex) {
  auto parsed = core::fixed_from_hex<Fixed>(hex);
  REQUIRE(parsed.ok());
  return *parsed;
}

std::array<std::uint8_t, 65> vote(std::uint8_t fill) {
  std::array<std::uint8_t, 65> v{};
  v.fill(fill);
  v[64] = 27;
  return v;
}

core::Message message(std::uint64_t sequence) {
  core::Message m;
  m.src_chain = fixed<core::ChainIdentity>(kId1);
  m.dst_chain = fixed<core::ChainIdentity>(kId2);
  m.sequence.value = sequence;
  m.gas_limit = 200'000;
  m.payload = {0x2a};
  return m;
}

evm::SubmitRequest batch(std::size_t n) {
  evm::SubmitRequest request;
  for (std::size_t i = 0; i < n; ++i) {
    request.messages.push_back(message(i + 1));
    request.claims.push_back(fixed<core::Claim>("0x" + std::string(64, 'c')));
    request.signatures.push_back({vote(0xab), vote(0xcd)});
  }
  return request;
}

template <typename T>
void require_reason(const core::Result<T>& result, const core::Reason& expected) {
  REQUIRE_FALSE(result.ok());
  INFO(result.error().message());
  CHECK(result.error().reason() == expected);
}

TEST_CASE("external sink: a deliver batch is sent in the protocol's form", "[external]") {
  auto params = external::deliver_params(batch(2));
  REQUIRE(params.ok());
  REQUIRE(params->size() == 3);
  CHECK((*params)["messages"][1] == core::message_to_json(message(2)));
  CHECK((*params)["claims"][0] == "0x" + std::string(64, 'c'));
  REQUIRE((*params)["signatures"][0].size() == 2);
  std::string second = "0x";
  for (int i = 0; i < 64; ++i) second += "cd";
  CHECK((*params)["signatures"][0][1] == second + "1b");
}

TEST_CASE("external sink: a batch the protocol cannot carry is bad_request and never sent", "[external]") {
  require_reason(external::deliver_params(batch(0)), ext_reason::kBadRequest);
  auto fewer_claims = batch(2);
  fewer_claims.claims.pop_back();
  require_reason(external::deliver_params(fewer_claims), ext_reason::kBadRequest);
  auto no_votes = batch(1);
  no_votes.signatures[0].clear();
  require_reason(external::deliver_params(no_votes), ext_reason::kBadRequest);
  auto too_many_votes = batch(1);
  too_many_votes.signatures[0].assign(external::kMaxVotes + 1, vote(1));
  require_reason(external::deliver_params(too_many_votes), ext_reason::kBadRequest);
  require_reason(external::deliver_params(batch(external::kMaxSinkItems + 1)), ext_reason::kBadRequest);
}

TEST_CASE("external sink: acknowledgements and skips are sent in the protocol's form", "[external]") {
  evm::AckRequest ack;
  ack.acks = {evm::Ack{fixed<core::MessageId>(kId1), core::ExecStatus::kReceiverFailed, fixed<core::Claim>(kId2),
                       {vote(7)}}};
  auto params = external::acknowledge_params(ack);
  REQUIRE(params.ok());
  CHECK(*params == Json{{"acknowledgement",
                         {{"id", kId1},
                          {"status", 2},
                          {"claim", kId2},
                          {"signatures", Json::array({core::to_hex(core::ByteView(vote(7).data(), 65))})}}}});
  // The protocol carries one acknowledgement per request: none or two are refused.
  evm::AckRequest two = ack;
  two.acks.push_back(ack.acks.front());
  require_reason(external::acknowledge_params(two), ext_reason::kBadRequest);
  two.acks.clear();
  require_reason(external::acknowledge_params(two), ext_reason::kBadRequest);
  ack.acks[0].status = static_cast<core::ExecStatus>(0);
  require_reason(external::acknowledge_params(ack), ext_reason::kBadRequest);
  ack.acks[0].status = core::ExecStatus::kOk;
  ack.acks[0].signatures.clear();
  require_reason(external::acknowledge_params(ack), ext_reason::kBadRequest);

  evm::SkipRequest skip;
  skip.message = message(3);
  skip.signatures = {vote(9)};
  auto skipped = external::skip_params(skip);
  REQUIRE(skipped.ok());
  CHECK((*skipped)["skip"]["message"] == core::message_to_json(message(3)));
  CHECK((*skipped)["skip"]["signatures"].size() == 1);
}

TEST_CASE("external sink: a submit result is a transaction hash or a named revert", "[external]") {
  auto ok = external::read_submit_result({{"tx_hash", kTx}});
  REQUIRE(ok.ok());
  CHECK(*ok == fixed<core::Hash32>(kTx));
  auto reverted = external::read_submit_result({{"estimate_reverted", "0x08c379a0"}});
  require_reason(reverted, ext_reason::kEstimateReverted);
  CHECK(reverted.error().message().find("0x08c379a0") != std::string::npos);

  require_reason(external::read_submit_result(Json::object()), jr::reason::kMissingField);
  require_reason(external::read_submit_result({{"tx_hash", kTx}, {"nonce", "1"}}), jr::reason::kUnknownField);
  require_reason(external::read_submit_result({{"tx_hash", "0x" + std::string(62, 'a')}}), jr::reason::kBadField);
  require_reason(external::read_submit_result({{"tx_hash", 7}}), jr::reason::kBadField);
  require_reason(external::read_submit_result({{"estimate_reverted", "0x0"}}), jr::reason::kBadField);
  require_reason(external::read_submit_result({{"estimate_reverted", "0x"}, {"tx_hash", kTx}}),
                 jr::reason::kUnknownField);
  require_reason(external::read_submit_result(Json::array()), jr::reason::kBadField);
}

TEST_CASE("external sink: a confirm result names its state and never an execution", "[external]") {
  const auto tx = fixed<core::Hash32>(kTx);
  auto pending = external::read_confirm_result({{"state", "pending"}}, tx);
  REQUIRE(pending.ok());
  CHECK(pending->state == evm::Confirmation::State::kPending);
  CHECK(pending->tx_hash.is_zero());
  auto delivered = external::read_confirm_result({{"state", "delivered"}, {"block_number", "342"}}, tx);
  REQUIRE(delivered.ok());
  CHECK(delivered->state == evm::Confirmation::State::kDelivered);
  CHECK(delivered->block_number == 342);
  CHECK(delivered->tx_hash == tx);
  CHECK(delivered->executed.empty());
  auto reverted = external::read_confirm_result({{"state", "reverted"}}, tx);
  REQUIRE(reverted.ok());
  CHECK(reverted->state == evm::Confirmation::State::kReverted);

  require_reason(external::read_confirm_result({{"state", "mined"}}, tx), jr::reason::kBadField);
  require_reason(external::read_confirm_result({{"state", 1}}, tx), jr::reason::kBadField);
  require_reason(external::read_confirm_result(Json::object(), tx), jr::reason::kMissingField);
  require_reason(external::read_confirm_result({{"state", "delivered"}, {"executed", Json::array()}}, tx),
                 jr::reason::kUnknownField);
  require_reason(external::read_confirm_result({{"state", "delivered"}, {"block_number", 342}}, tx),
                 jr::reason::kBadField);
  require_reason(external::read_confirm_result({{"state", "delivered"}, {"block_number", "0342"}}, tx),
                 jr::reason::kBadField);
  require_reason(external::read_confirm_result({{"state", "pending"}, {"block_number", "342"}}, tx),
                 ext_reason::kBadReply);
}

TEST_CASE("external sink: an inbox_state result answers each id in order", "[external]") {
  const std::vector<core::MessageId> ids{fixed<core::MessageId>(kId1), fixed<core::MessageId>(kId2)};
  const Json good = {{"entries", {{{"id", kId1}, {"status", 1}}, {{"id", kId2}, {"status", 0}}}}};
  auto entries = external::read_inbox_state_result(good, ids);
  REQUIRE(entries.ok());
  REQUIRE(entries->size() == 2);
  CHECK((*entries)[0].executed);
  CHECK((*entries)[0].status == 1);
  CHECK_FALSE((*entries)[1].executed);

  auto mutated = [&](auto edit) {
    Json j = good;
    edit(j);
    return external::read_inbox_state_result(j, ids);
  };
  require_reason(mutated([](Json& j) { j["entries"].erase(1); }), ext_reason::kBadReply);
  require_reason(mutated([](Json& j) { std::swap(j["entries"][0], j["entries"][1]); }), ext_reason::kBadReply);
  require_reason(mutated([](Json& j) { j["entries"][1]["status"] = 5; }), jr::reason::kBadField);
  require_reason(mutated([](Json& j) { j["entries"][1]["status"] = -1; }), jr::reason::kBadField);
  require_reason(mutated([](Json& j) { j["entries"][0].erase("status"); }), jr::reason::kMissingField);
  require_reason(mutated([](Json& j) { j["entries"][0]["executed"] = true; }), jr::reason::kUnknownField);
  require_reason(mutated([](Json& j) { j["entries"][0]["id"] = "0x12"; }), jr::reason::kBadField);
  require_reason(mutated([](Json& j) { j["entries"] = Json::object(); }), jr::reason::kBadField);
  require_reason(mutated([](Json& j) { j["more"] = 1; }), jr::reason::kUnknownField);
}

// A temporary directory of reply files for fake_adapter.sh.
struct Replies {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("causeway-external-sink-" + std::to_string(::getpid()));
  Replies() { std::filesystem::create_directories(dir); }
  ~Replies() { std::filesystem::remove_all(dir); }
  void set(const std::string& method, const Json& result) const { std::ofstream(dir / method) << result.dump(); }
};

TEST_CASE("external sink: start refuses an adapter that does not serve the sink side", "[external]") {
  Harness h;
  auto process = h.process(h.config("ok"));
  external::ExternalSink sink(*process);
  auto started = h.run(sink.start());
  require_reason(started, ext_reason::kBadReply);
  CHECK(started.error().message().find("sink side") != std::string::npos);
}

TEST_CASE("external sink: submit, confirm and inbox_state through the adapter process", "[external]") {
  Harness h;
  Replies replies;
  auto process = h.process(h.config("ok", {"FAKE_REPLIES=" + replies.dir.string(), "FAKE_SIDES=\"source\",\"sink\""}));
  external::ExternalSink sink(*process);
  REQUIRE(h.run(sink.start()).ok());

  replies.set("sink.submit", {{"tx_hash", kTx}});
  auto handle = h.run(sink.submit(batch(1)));
  REQUIRE(handle.ok());
  CHECK(handle->tx_hash == fixed<core::Hash32>(kTx));
  CHECK(handle->nonce == 0);

  replies.set("sink.submit", {{"estimate_reverted", "0x"}});
  require_reason(h.run(sink.submit(batch(1))), ext_reason::kEstimateReverted);

  replies.set("sink.confirm", {{"state", "delivered"}, {"block_number", "9"}});
  auto confirmation = h.run(sink.confirm(*handle));
  REQUIRE(confirmation.ok());
  CHECK(confirmation->state == evm::Confirmation::State::kDelivered);
  CHECK(confirmation->executed.empty());

  replies.set("sink.inbox_state", {{"entries", {{{"id", kId1}, {"status", 4}}}}});
  evm::InboxRequest inbox;
  inbox.ids = {fixed<core::MessageId>(kId1)};
  auto entries = h.run(sink.inbox_state(inbox));
  REQUIRE(entries.ok());
  CHECK((*entries)[0].status == 4);
  // The adapter answering for another id than asked is refused, with the method named.
  inbox.ids = {fixed<core::MessageId>(kId2)};
  auto wrong = h.run(sink.inbox_state(inbox));
  require_reason(wrong, ext_reason::kBadReply);
  CHECK(wrong.error().message().find("sink.inbox_state") != std::string::npos);
}

TEST_CASE("external sink: an adapter's JSON-RPC error is rpc_error", "[external]") {
  Harness h;
  auto process = h.process(h.config("rpc_error", {"FAKE_SIDES=\"sink\""}));
  external::ExternalSink sink(*process);
  REQUIRE(h.run(sink.start()).ok());
  require_reason(h.run(sink.submit(batch(1))), ext_reason::kRpcError);
}

}  // namespace
}  // namespace causeway
