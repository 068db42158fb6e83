// Unit tests of adapters/evm/gateway_reader: the calldata of each view, strict decoding of the
// returned ABI words (one mutation per case gives evm_gateway.bad_reply), node errors passed on,
// per-id views as JSON-RPC batches.
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "adapters/evm/gateway_reader.hpp"
#include "relay/core/abi.hpp"
#include "relay/core/hash.hpp"
#include "relay/net/error.hpp"
#include "tests/unit/evm/fake_chain.hpp"  // run_task

using namespace causeway;
using nlohmann::json;

namespace {

const core::Address kGateway = core::fixed_literal<core::Address>("0x00000000000000000000000000000000000000aa");

std::string word_hex(std::uint64_t value) { return core::to_hex(core::abi::uint_word(value)); }

// eth_call answers by function selector, or for one calldata exactly; every call is recorded, and
// every batch's size.
class ViewRpc final : public evm::Rpc {
 public:
  boost::asio::awaitable<core::Result<json>> call(std::string method, json params) override {
    if (method != "eth_call") co_return core::Error(net::reason::kRpcMethodNotFound, method);
    calls.push_back(params);
    const std::string data = params.at(0).at("data").get<std::string>();
    if (const auto exact = answers.find(data); exact != answers.end()) co_return json(exact->second);
    const auto it = answers.find(data.substr(0, 10));
    if (it == answers.end()) co_return core::Error(net::reason::kRpcError, "rpc code 3: execution reverted");
    co_return json(it->second);
  }

  boost::asio::awaitable<core::Result<std::vector<core::Result<json>>>> batch(std::vector<net::Call> batch) override {
    batches.push_back(batch.size());
    if (short_batch) batch.pop_back();
    std::vector<core::Result<json>> out;
    for (auto& c : batch) out.push_back(co_await call(std::move(c.method), std::move(c.params)));
    co_return out;
  }

  void answer(std::string_view signature, std::string hex) {
    answers[core::to_hex(evm::function_selector(signature))] = std::move(hex);
  }
  // The answer to `signature` called with `id` alone.
  void answer_for(std::string_view signature, const core::MessageId& id, std::string hex) {
    core::Bytes data = evm::function_selector(signature);
    core::append(data, core::abi::encode({core::abi::word(id)}));
    answers[core::to_hex(data)] = std::move(hex);
  }

  std::map<std::string, std::string> answers;
  std::vector<json> calls;
  std::vector<std::size_t> batches;
  bool short_batch = false;  // answers one call fewer than asked
};

core::MessageId id_of(std::uint64_t n) { return core::MessageId{core::abi::uint_word(n).bytes}; }

template <typename T>
T run(boost::asio::io_context& io, boost::asio::awaitable<T> task) {
  return test::run_task(io, std::move(task));
}

}  // namespace

TEST_CASE("gateway reader: each view is one eth_call at latest with the ABI-encoded arguments", "[unit]") {
  boost::asio::io_context io;
  ViewRpc rpc;
  evm::GatewayReader reader(rpc, kGateway);
  rpc.answer("epoch()", word_hex(7));
  rpc.answer("threshold()", word_hex(2));
  rpc.answer("paused()", word_hex(1));
  rpc.answer("nextSequence(bytes32,bytes32,bool)", word_hex(12));
  rpc.answer("nextInbound(bytes32,bytes32)", word_hex(4));
  rpc.answer("ackStatus(bytes32)", word_hex(3));
  const core::Address a1 = core::fixed_literal<core::Address>("0x1111111111111111111111111111111111111111");
  const core::Address a2 = core::fixed_literal<core::Address>("0x2222222222222222222222222222222222222222");
  const std::vector<core::Address> set{a1, a2};
  rpc.answer("attesters()", core::to_hex(core::abi::encode({core::abi::address_array(set)})));

  CHECK(*run(io, reader.epoch()) == 7);
  CHECK(*run(io, reader.threshold()) == 2);
  CHECK(*run(io, reader.paused()));
  CHECK(*run(io, reader.attesters()) == set);
  const auto acked = run(io, reader.ack_status({core::MessageId{}, core::MessageId{}}));
  REQUIRE(acked.ok());
  CHECK(*acked == std::vector<std::uint8_t>{3, 3});

  const core::ChainIdentity chain{core::keccak256(core::as_bytes("chain b")).bytes};
  const core::Word32 gateway_word = core::address_word(kGateway);
  rpc.calls.clear();
  CHECK(*run(io, reader.next_sequence(chain, gateway_word, true)) == 12);
  REQUIRE(rpc.calls.size() == 1);
  const json& call = rpc.calls[0];
  CHECK(call.at(1) == "latest");
  CHECK(call.at(0).at("to") == core::to_hex(kGateway));
  core::Bytes expected = evm::function_selector("nextSequence(bytes32,bytes32,bool)");
  core::append(expected, core::abi::encode({core::abi::word(chain), core::abi::word(gateway_word),
                                            core::abi::boolean(true)}));
  CHECK(call.at(0).at("data") == core::to_hex(expected));
  CHECK(*run(io, reader.next_inbound(chain, gateway_word)) == 4);
  // Selectors as ethers computes them (ethers.id(signature).slice(0, 10)).
  CHECK(core::to_hex(evm::function_selector("epoch()")) == "0x900cf0cf");
  CHECK(core::to_hex(evm::function_selector("ackStatus(bytes32)")) == "0x6b85a5d6");
  CHECK(core::to_hex(evm::function_selector("nextSequence(bytes32,bytes32,bool)")) == "0xb821ae79");
}

TEST_CASE("gateway reader: a reply that is not the view's ABI encoding is evm_gateway.bad_reply", "[unit]") {
  boost::asio::io_context io;
  ViewRpc rpc;
  evm::GatewayReader reader(rpc, kGateway);
  const auto expect_bad = [&](auto result) {
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().reason() == evm::reason::gateway::kBadReply);
  };
  // Each mutates one thing of a valid reply.
  rpc.answer("epoch()", word_hex(7).substr(0, 64));  // 31 bytes
  expect_bad(run(io, reader.epoch()));
  rpc.answer("epoch()", word_hex(7) + std::string(64, '0'));  // a second word
  expect_bad(run(io, reader.epoch()));
  rpc.answer("epoch()", "0x01" + word_hex(7).substr(4));  // beyond 64 bits
  expect_bad(run(io, reader.epoch()));
  rpc.answer("epoch()", "0x");  // no code at the address
  expect_bad(run(io, reader.epoch()));
  rpc.answer("epoch()", "0xzz");
  expect_bad(run(io, reader.epoch()));
  rpc.answer("threshold()", word_hex(0x10000));  // beyond uint16
  expect_bad(run(io, reader.threshold()));
  rpc.answer("paused()", word_hex(2));  // a bool is 0 or 1
  expect_bad(run(io, reader.paused()));
  rpc.answer("ackStatus(bytes32)", word_hex(5));  // statuses are 0..4
  expect_bad(run(io, reader.ack_status({core::MessageId{}})));
  rpc.answer("nextSequence(bytes32,bytes32,bool)", word_hex(1).substr(0, 60));
  expect_bad(run(io, reader.next_sequence({}, {}, false)));

  const std::vector<core::Address> set{core::fixed_literal<core::Address>("0x1111111111111111111111111111111111111111")};
  const std::string valid = core::to_hex(core::abi::encode({core::abi::address_array(set)}));
  const auto mutate = [&](std::size_t word, std::uint64_t value) {
    std::string hex = valid;
    hex.replace(2 + 64 * word, 64, word_hex(value).substr(2));
    return hex;
  };
  rpc.answer("attesters()", valid);
  REQUIRE(run(io, reader.attesters()).ok());
  rpc.answer("attesters()", mutate(0, 0x40));  // offset
  expect_bad(run(io, reader.attesters()));
  rpc.answer("attesters()", mutate(1, 2));  // length past the end
  expect_bad(run(io, reader.attesters()));
  rpc.answer("attesters()", mutate(1, 1000));  // more than any gateway allows
  expect_bad(run(io, reader.attesters()));
  rpc.answer("attesters()", "0x" + valid.substr(2, 128) + "01" + valid.substr(2 + 128 + 2));  // address padding
  expect_bad(run(io, reader.attesters()));
  rpc.answer("attesters()", valid + std::string(64, '0'));  // trailing word
  expect_bad(run(io, reader.attesters()));
  rpc.answer("attesters()", valid.substr(0, 2 + 64));  // length word missing
  expect_bad(run(io, reader.attesters()));
  rpc.answer("attesters()", core::to_hex(core::abi::encode({core::abi::address_array({})})));
  auto empty = run(io, reader.attesters());
  REQUIRE(empty.ok());
  CHECK(empty->empty());

  rpc.answer("executionStatus(bytes32)", word_hex(5));  // statuses are 0..4
  expect_bad(run(io, reader.inbox_state({{core::MessageId{}}})));
  rpc.answer("executionStatus(bytes32)", word_hex(1) + std::string(64, '0'));  // a second word
  expect_bad(run(io, reader.inbox_state({{core::MessageId{}}})));
}

TEST_CASE("gateway reader: per-id views go as one JSON-RPC batch of eth_calls per 100 ids", "[unit]") {
  boost::asio::io_context io;
  ViewRpc rpc;
  evm::GatewayReader reader(rpc, kGateway);
  std::vector<core::MessageId> ids;
  for (std::uint64_t n = 1; n <= 250; ++n) ids.push_back(id_of(n));
  rpc.answer("executionStatus(bytes32)", word_hex(0));
  rpc.answer_for("executionStatus(bytes32)", id_of(7), word_hex(1));
  rpc.answer_for("executionStatus(bytes32)", id_of(201), word_hex(2));
  const auto inbox = run(io, reader.inbox_state({ids}));
  REQUIRE(inbox.ok());
  CHECK(rpc.batches == std::vector<std::size_t>{100, 100, 50});
  REQUIRE(inbox->size() == 250);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const auto& entry = (*inbox)[i];
    CHECK(entry.id == ids[i]);
    const std::uint8_t expected = i == 6 ? 1 : i == 200 ? 2 : 0;
    CHECK(entry.status == expected);
    CHECK(entry.executed == (expected != 0));
  }
  // One executionStatus(id) per id, in the ids' order, at latest; executed(id) is not asked.
  REQUIRE(rpc.calls.size() == 250);
  core::Bytes expected = evm::function_selector("executionStatus(bytes32)");
  core::append(expected, core::abi::encode({core::abi::word(ids[42])}));
  CHECK(rpc.calls[42].at(0).at("data") == core::to_hex(expected));
  CHECK(rpc.calls[42].at(1) == "latest");

  rpc.batches.clear();
  rpc.answer("ackStatus(bytes32)", word_hex(0));
  rpc.answer_for("ackStatus(bytes32)", id_of(3), word_hex(4));
  const auto acked = run(io, reader.ack_status({id_of(1), id_of(2), id_of(3)}));
  REQUIRE(acked.ok());
  CHECK(*acked == std::vector<std::uint8_t>{0, 0, 4});
  CHECK(rpc.batches == std::vector<std::size_t>{3});
  const auto none = run(io, reader.ack_status({}));
  REQUIRE(none.ok());
  CHECK(none->empty());
  CHECK(rpc.batches.size() == 1);  // no ids, no request
}

TEST_CASE("gateway reader: one bad item fails the whole batched lookup, by name", "[unit]") {
  boost::asio::io_context io;
  ViewRpc rpc;
  evm::GatewayReader reader(rpc, kGateway);
  const std::vector<core::MessageId> ids{id_of(1), id_of(2), id_of(3)};
  rpc.answer("ackStatus(bytes32)", word_hex(1));
  REQUIRE(run(io, reader.ack_status(ids)).ok());
  const auto expect = [&](const core::Reason& why) {
    const auto result = run(io, reader.ack_status(ids));
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().reason() == why);
    CHECK(result.error().message().find("ackStatus(bytes32)") != std::string::npos);
  };
  // Each mutates the middle item of a valid batch reply.
  rpc.answer_for("ackStatus(bytes32)", id_of(2), "0xzz");  // not hex
  expect(evm::reason::gateway::kBadReply);
  rpc.answer_for("ackStatus(bytes32)", id_of(2), word_hex(1).substr(0, 64));  // 31 bytes
  expect(evm::reason::gateway::kBadReply);
  rpc.answer_for("ackStatus(bytes32)", id_of(2), word_hex(0x100));  // beyond uint8
  expect(evm::reason::gateway::kBadReply);
  rpc.answer_for("ackStatus(bytes32)", id_of(2), word_hex(5));  // statuses are 0..4
  expect(evm::reason::gateway::kBadReply);
  rpc.answers.erase(rpc.answers.find(core::to_hex(evm::function_selector("ackStatus(bytes32)"))));
  rpc.answer_for("ackStatus(bytes32)", id_of(1), word_hex(1));
  rpc.answer_for("ackStatus(bytes32)", id_of(3), word_hex(1));
  rpc.answers.erase(rpc.answers.find([&] {
    core::Bytes data = evm::function_selector("ackStatus(bytes32)");
    core::append(data, core::abi::encode({core::abi::word(id_of(2))}));
    return core::to_hex(data);
  }()));
  expect(net::reason::kRpcError);  // the node's error for that one call keeps its reason

  // A batch answered with one reply too few is not a node's answer.
  rpc.answer("ackStatus(bytes32)", word_hex(1));
  rpc.short_batch = true;
  expect(evm::reason::gateway::kBadReply);
}

TEST_CASE("gateway reader: a node error keeps its reason, with the view named", "[unit]") {
  boost::asio::io_context io;
  ViewRpc rpc;  // answers nothing: every call reverts
  evm::GatewayReader reader(rpc, kGateway);
  auto epoch = run(io, reader.epoch());
  REQUIRE_FALSE(epoch.ok());
  CHECK(epoch.error().reason() == net::reason::kRpcError);
  CHECK(epoch.error().message().find("epoch()") != std::string::npos);
}

TEST_CASE("gateway reader: guardian and chain identity, a dirty address word is evm_gateway.bad_reply", "[unit]") {
  boost::asio::io_context io;
  ViewRpc rpc;
  evm::GatewayReader reader(rpc, kGateway);
  const core::Address guardian = core::fixed_literal<core::Address>("0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266");
  const core::ChainIdentity chain{core::keccak256(core::as_bytes("chain b")).bytes};
  rpc.answer("guardian()", core::to_hex(core::abi::encode({core::abi::address(guardian)})));
  rpc.answer("chainIdentity()", core::to_hex(chain));
  CHECK(*run(io, reader.guardian()) == guardian);
  CHECK(*run(io, reader.chain_identity()) == chain);
  // ethers.id("guardian()").slice(0, 10)
  CHECK(core::to_hex(evm::function_selector("guardian()")) == "0x452a9320");
  rpc.answer("guardian()", "0x01" + core::to_hex(core::abi::encode({core::abi::address(guardian)})).substr(4));
  const auto dirty = run(io, reader.guardian());
  REQUIRE_FALSE(dirty.ok());
  CHECK(dirty.error().reason() == evm::reason::gateway::kBadReply);
  rpc.answer("chainIdentity()", core::to_hex(chain).substr(0, 64));
  const auto short_identity = run(io, reader.chain_identity());
  REQUIRE_FALSE(short_identity.ok());
  CHECK(short_identity.error().reason() == evm::reason::gateway::kBadReply);
}
