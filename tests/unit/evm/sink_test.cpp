// Unit tests of adapters/evm/sink: deliver and acknowledge calldata against ethers,
// journal-before-broadcast and nonce release on a refused broadcast, the acknowledge gas limit and
// its confirmation, with a scripted Rpc standing in for the node.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "adapters/evm/rpc_json.hpp"
#include "adapters/evm/sink.hpp"
#include "tests/unit/evm/fake_chain.hpp"  // run_task
#include "tests/unit/evm/memory_journal.hpp"
#include "relay/core/hash.hpp"
#include "relay/net/error.hpp"

using namespace causeway;
using nlohmann::json;

namespace {

core::Word32 repeat32(std::uint8_t b) {
  core::Word32 w;
  w.bytes.fill(b);
  return w;
}

core::Word32 address20(std::uint8_t b) {
  core::Address a;
  a.bytes.fill(b);
  return core::address_word(a);
}

std::array<std::uint8_t, 65> sig65(std::uint8_t b) {
  std::array<std::uint8_t, 65> s{};
  s.fill(b);
  return s;
}

// The messages of gen.mjs below: payloads of 0, 3 and 40 bytes, a timeout, an ordered flag.
core::Message test_message(std::size_t i) {
  core::Message m;
  m.version = 1;
  m.src_chain = core::ChainIdentity{repeat32(0x11).bytes};
  m.src_gateway = repeat32(0x22);
  m.dst_chain = core::ChainIdentity{repeat32(0x33).bytes};
  m.dst_gateway = address20(0x44);
  m.receiver = address20(0x55);
  m.sequence = core::Sequence{i + 1};
  m.sender = repeat32(0x66);
  m.timeout = i == 1 ? 1234 : 0;
  m.gas_limit = 200000 + i;
  m.flags = i == 2 ? 1 : 0;
  if (i == 1) m.payload = {1, 2, 3};
  if (i == 2) m.payload.assign(40, 0xab);
  return m;
}

evm::SubmitRequest test_request(std::size_t n) {
  evm::SubmitRequest r;
  const std::vector<std::vector<std::array<std::uint8_t, 65>>> sigs{{sig65(0xa1)}, {sig65(0xb1), sig65(0xb2)}, {}};
  for (std::size_t i = 0; i < n; ++i) {
    r.messages.push_back(test_message(i));
    r.claims.push_back(core::Claim{repeat32(static_cast<std::uint8_t>(0xc0 + i)).bytes});
    r.signatures.push_back(sigs[i]);
  }
  return r;
}

// Expected bytes made once with ethers v6 (deploy/devnet/node_modules):
//   const iface = new ethers.Interface(["function deliver((uint8 version,bytes32 srcChain,
//     bytes32 srcGateway,bytes32 dstChain,bytes32 dstGateway,bytes32 receiver,uint64 sequence,
//     bytes32 sender,uint64 timeout,uint64 gasLimit,uint8 flags,bytes payload)[] msgs,
//     bytes32[] claims, bytes[][] signatures)"]);
//   iface.encodeFunctionData("deliver", [msgs, claims, sigs])
// with the values of test_request(1) and test_request(3) written out as JS arrays.
const char* const kEthersOne =
      "0xfc02e783"
      "0000000000000000000000000000000000000000000000000000000000000060"
      "0000000000000000000000000000000000000000000000000000000000000240"
      "0000000000000000000000000000000000000000000000000000000000000280"
      "0000000000000000000000000000000000000000000000000000000000000001"
      "0000000000000000000000000000000000000000000000000000000000000020"
      "0000000000000000000000000000000000000000000000000000000000000001"
      "1111111111111111111111111111111111111111111111111111111111111111"
      "2222222222222222222222222222222222222222222222222222222222222222"
      "3333333333333333333333333333333333333333333333333333333333333333"
      "0000000000000000000000004444444444444444444444444444444444444444"
      "0000000000000000000000005555555555555555555555555555555555555555"
      "0000000000000000000000000000000000000000000000000000000000000001"
      "6666666666666666666666666666666666666666666666666666666666666666"
      "0000000000000000000000000000000000000000000000000000000000000000"
      "0000000000000000000000000000000000000000000000000000000000030d40"
      "0000000000000000000000000000000000000000000000000000000000000000"
      "0000000000000000000000000000000000000000000000000000000000000180"
      "0000000000000000000000000000000000000000000000000000000000000000"
      "0000000000000000000000000000000000000000000000000000000000000001"
      "c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0"
      "0000000000000000000000000000000000000000000000000000000000000001"
      "0000000000000000000000000000000000000000000000000000000000000020"
      "0000000000000000000000000000000000000000000000000000000000000001"
      "0000000000000000000000000000000000000000000000000000000000000020"
      "0000000000000000000000000000000000000000000000000000000000000041"
      "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"
      "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"
      "a100000000000000000000000000000000000000000000000000000000000000";
const char* const kEthersThree =
      "0xfc02e783"
      "0000000000000000000000000000000000000000000000000000000000000060"
      "0000000000000000000000000000000000000000000000000000000000000620"
      "00000000000000000000000000000000000000000000000000000000000006a0"
      "0000000000000000000000000000000000000000000000000000000000000003"
      "0000000000000000000000000000000000000000000000000000000000000060"
      "0000000000000000000000000000000000000000000000000000000000000200"
      "00000000000000000000000000000000000000000000000000000000000003c0"
      "0000000000000000000000000000000000000000000000000000000000000001"
      "1111111111111111111111111111111111111111111111111111111111111111"
      "2222222222222222222222222222222222222222222222222222222222222222"
      "3333333333333333333333333333333333333333333333333333333333333333"
      "0000000000000000000000004444444444444444444444444444444444444444"
      "0000000000000000000000005555555555555555555555555555555555555555"
      "0000000000000000000000000000000000000000000000000000000000000001"
      "6666666666666666666666666666666666666666666666666666666666666666"
      "0000000000000000000000000000000000000000000000000000000000000000"
      "0000000000000000000000000000000000000000000000000000000000030d40"
      "0000000000000000000000000000000000000000000000000000000000000000"
      "0000000000000000000000000000000000000000000000000000000000000180"
      "0000000000000000000000000000000000000000000000000000000000000000"
      "0000000000000000000000000000000000000000000000000000000000000001"
      "1111111111111111111111111111111111111111111111111111111111111111"
      "2222222222222222222222222222222222222222222222222222222222222222"
      "3333333333333333333333333333333333333333333333333333333333333333"
      "0000000000000000000000004444444444444444444444444444444444444444"
      "0000000000000000000000005555555555555555555555555555555555555555"
      "0000000000000000000000000000000000000000000000000000000000000002"
      "6666666666666666666666666666666666666666666666666666666666666666"
      "00000000000000000000000000000000000000000000000000000000000004d2"
      "0000000000000000000000000000000000000000000000000000000000030d41"
      "0000000000000000000000000000000000000000000000000000000000000000"
      "0000000000000000000000000000000000000000000000000000000000000180"
      "0000000000000000000000000000000000000000000000000000000000000003"
      "0102030000000000000000000000000000000000000000000000000000000000"
      "0000000000000000000000000000000000000000000000000000000000000001"
      "1111111111111111111111111111111111111111111111111111111111111111"
      "2222222222222222222222222222222222222222222222222222222222222222"
      "3333333333333333333333333333333333333333333333333333333333333333"
      "0000000000000000000000004444444444444444444444444444444444444444"
      "0000000000000000000000005555555555555555555555555555555555555555"
      "0000000000000000000000000000000000000000000000000000000000000003"
      "6666666666666666666666666666666666666666666666666666666666666666"
      "0000000000000000000000000000000000000000000000000000000000000000"
      "0000000000000000000000000000000000000000000000000000000000030d42"
      "0000000000000000000000000000000000000000000000000000000000000001"
      "0000000000000000000000000000000000000000000000000000000000000180"
      "0000000000000000000000000000000000000000000000000000000000000028"
      "abababababababababababababababababababababababababababababababab"
      "abababababababab000000000000000000000000000000000000000000000000"
      "0000000000000000000000000000000000000000000000000000000000000003"
      "c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0"
      "c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1"
      "c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2"
      "0000000000000000000000000000000000000000000000000000000000000003"
      "0000000000000000000000000000000000000000000000000000000000000060"
      "0000000000000000000000000000000000000000000000000000000000000120"
      "0000000000000000000000000000000000000000000000000000000000000280"
      "0000000000000000000000000000000000000000000000000000000000000001"
      "0000000000000000000000000000000000000000000000000000000000000020"
      "0000000000000000000000000000000000000000000000000000000000000041"
      "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"
      "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"
      "a100000000000000000000000000000000000000000000000000000000000000"
      "0000000000000000000000000000000000000000000000000000000000000002"
      "0000000000000000000000000000000000000000000000000000000000000040"
      "00000000000000000000000000000000000000000000000000000000000000c0"
      "0000000000000000000000000000000000000000000000000000000000000041"
      "b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1"
      "b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1"
      "b100000000000000000000000000000000000000000000000000000000000000"
      "0000000000000000000000000000000000000000000000000000000000000041"
      "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2"
      "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2"
      "b200000000000000000000000000000000000000000000000000000000000000"
      "0000000000000000000000000000000000000000000000000000000000000000";

// A node that answers from a table; eth_sendRawTransaction is scripted per call.
class ScriptedRpc final : public evm::Rpc {
 public:
  explicit ScriptedRpc(test::MemoryJournal& journal) : journal_(journal) {}

  boost::asio::awaitable<core::Result<json>> call(std::string method, json params) override {
    methods.push_back(method);
    if (method == "eth_chainId") co_return json("0x7a69");
    if (method == "eth_getBlockByNumber") {
      co_return json{{"number", "0x10"}, {"baseFeePerGas", "0x3b9aca00"}, {"gasLimit", "0x1c9c380"}};
    }
    if (method == "eth_getTransactionCount") co_return json(tx_count);
    if (method == "eth_getTransactionByHash") {
      const auto hash = *evm::data_fixed<core::Hash32>(params.at(0), "hash");
      lookups.push_back(hash);
      if (lost.contains(hash)) co_return json(nullptr);
      co_return json{{"hash", core::to_hex(hash)}};
    }
    if (method == "eth_maxPriorityFeePerGas") co_return json("0x3b9aca00");
    if (method == "eth_createAccessList") {
      const std::string data = params.at(0).at("data").get<std::string>();
      if (estimate_reverts || (!revert_marker.empty() && data.find(revert_marker) != std::string::npos)) {
        co_return core::Error(net::reason::kRpcError, "rpc code 3: execution reverted (data 0x1234abcd)");
      }
      if (!precheck_reply.is_null()) co_return precheck_reply;
      co_return json{{"accessList", json::array()}, {"gasUsed", estimate}};
    }
    if (method == "eth_sendRawTransaction") {
      const auto raw = *evm::data_any(params.at(0), "raw");
      const core::Hash32 hash = core::keccak256(raw);
      journaled_at_broadcast.push_back(journal_.has(hash));
      records_at_broadcast.push_back(journal_.records().size());
      std::optional<core::Hash32> replaces;
      for (const auto& record : journal_.records()) {
        if (record.tx_hash == hash) replaces = record.replaces;
      }
      replaces_at_broadcast.push_back(replaces);
      sent.push_back(hash);
      if (refuse_next_broadcast) {
        refuse_next_broadcast = false;
        co_return core::Error(net::reason::kRpcError, "rpc code -32000: insufficient funds for gas * price + value");
      }
      co_return json(core::to_hex(hash));
    }
    if (method == "eth_getTransactionReceipt") {
      const auto hash = *evm::data_fixed<core::Hash32>(params.at(0), "hash");
      if (!mined || hash != *mined) co_return json(nullptr);
      co_return json{{"status", receipt_status}, {"blockNumber", "0x11"}, {"gasUsed", "0x5208"}, {"logs", receipt_logs}};
    }
    if (method == "eth_call") {
      // The first four bytes of the calldata pick the answer.
      const std::string data = params.at(0).at("data").get<std::string>();
      const auto it = call_answers.find(data.substr(0, 10));
      if (it == call_answers.end()) co_return core::Error(net::reason::kRpcError, "rpc code 3: execution reverted");
      co_return json(it->second);
    }
    co_return core::Error(net::reason::kRpcMethodNotFound, method);
  }

  boost::asio::awaitable<core::Result<std::vector<core::Result<json>>>> batch(std::vector<net::Call> calls) override {
    batches.push_back(calls.empty() ? std::string() : calls.front().method);
    if (batch_fails) co_return core::Error(net::reason::kRpcError, "connection refused");
    co_return co_await evm::Rpc::batch(std::move(calls));
  }

  std::vector<std::string> methods;
  std::vector<std::string> batches;  // the first method of each batch
  std::vector<std::size_t> records_at_broadcast;  // journal records when each broadcast arrived
  bool batch_fails = false;
  std::string revert_marker;  // the pre-check reverts for calldata holding this hex
  json precheck_reply;        // when not null, the pre-check's answer
  std::vector<std::optional<core::Hash32>> replaces_at_broadcast;
  std::optional<core::Hash32> mined;  // the one transaction with a receipt
  std::vector<bool> journaled_at_broadcast;
  std::vector<core::Hash32> sent;
  bool refuse_next_broadcast = false;
  bool estimate_reverts = false;
  std::string estimate = "0x30d40";
  std::string receipt_status = "0x1";
  json receipt_logs = json::array();
  std::map<std::string, std::string> call_answers;  // selector "0x12345678" -> eth_call result
  std::string tx_count = "0x5";       // eth_getTransactionCount, latest and pending
  std::set<core::Hash32> lost;        // transactions eth_getTransactionByHash does not know
  std::vector<core::Hash32> lookups;  // what eth_getTransactionByHash was asked

 private:
  test::MemoryJournal& journal_;
};

std::unique_ptr<evm::EvmSink> make_sink(boost::asio::io_context& io, ScriptedRpc& rpc, test::MemoryJournal& journal,
                                        evm::FeePolicy fees = {}, evm::GasPolicy gas = {}) {
  evm::SinkConfig config;
  config.fees = fees;
  config.gas = gas;
  config.chain_id = 31337;
  config.gateway = *core::fixed_from_hex<core::Address>("0x" + std::string(40, '4'));
  config.gas_key = core::LocalSigner::make(*core::PrivateKey::from_hex("0x" + std::string(63, '0') + "7"));
  config.journal = &journal;
  auto sink = test::run_task(io, evm::EvmSink::create(rpc, std::move(config)));
  INFO((sink.ok() ? std::string() : sink.error().message()));
  REQUIRE(sink.ok());
  return std::move(*sink);
}

}  // namespace

TEST_CASE("evm sink: deliver calldata equals ethers' encodeFunctionData", "[unit]") {
  auto one = evm::deliver_calldata(test_request(1));
  REQUIRE(one.ok());
  CHECK(core::to_hex(*one) == kEthersOne);
  auto three = evm::deliver_calldata(test_request(3));
  REQUIRE(three.ok());
  CHECK(core::to_hex(*three) == kEthersThree);
  // The selector of deliver((...)[],bytes32[],bytes[][]).
  CHECK(core::to_hex(core::ByteView(three->data(), 4)) == "0xfc02e783");
}

// Made once with ethers v6 (deploy/devnet/node_modules):
//   new ethers.Interface(["function acknowledge(bytes32 id, uint8 status, bytes32 claim,
//     bytes[] signatures)"]).encodeFunctionData("acknowledge", ["0x11…11", 2, "0xc0…c0",
//     ["0xa1…a1" (65 bytes), "0xb2…b2" (65 bytes)]])
const char* const kEthersAcknowledge =
    "0x1b14d999"
    "1111111111111111111111111111111111111111111111111111111111111111"
    "0000000000000000000000000000000000000000000000000000000000000002"
    "c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0"
    "0000000000000000000000000000000000000000000000000000000000000080"
    "0000000000000000000000000000000000000000000000000000000000000002"
    "0000000000000000000000000000000000000000000000000000000000000040"
    "00000000000000000000000000000000000000000000000000000000000000c0"
    "0000000000000000000000000000000000000000000000000000000000000041"
    "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"
    "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"
    "a100000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000041"
    "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2"
    "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2"
    "b200000000000000000000000000000000000000000000000000000000000000";

// Made the same way:
//   new ethers.Interface(["function acknowledgeAll(bytes32[] ids, uint8[] statuses, bytes32[] claims,
//     bytes[][] signatures)"]).encodeFunctionData("acknowledgeAll", [["0x11…11", "0x12…12"], [2, 4],
//     ["0xc0…c0", "0xc1…c1"], [["0xa1…a1", "0xb2…b2"], ["0xa3…a3"]]]) (signatures of 65 bytes)
const char* const kEthersAcknowledgeAll =
    "0x56731d1d"
    "0000000000000000000000000000000000000000000000000000000000000080"
    "00000000000000000000000000000000000000000000000000000000000000e0"
    "0000000000000000000000000000000000000000000000000000000000000140"
    "00000000000000000000000000000000000000000000000000000000000001a0"
    "0000000000000000000000000000000000000000000000000000000000000002"
    "1111111111111111111111111111111111111111111111111111111111111111"
    "1212121212121212121212121212121212121212121212121212121212121212"
    "0000000000000000000000000000000000000000000000000000000000000002"
    "0000000000000000000000000000000000000000000000000000000000000002"
    "0000000000000000000000000000000000000000000000000000000000000004"
    "0000000000000000000000000000000000000000000000000000000000000002"
    "c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0"
    "c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1"
    "0000000000000000000000000000000000000000000000000000000000000002"
    "0000000000000000000000000000000000000000000000000000000000000040"
    "00000000000000000000000000000000000000000000000000000000000001a0"
    "0000000000000000000000000000000000000000000000000000000000000002"
    "0000000000000000000000000000000000000000000000000000000000000040"
    "00000000000000000000000000000000000000000000000000000000000000c0"
    "0000000000000000000000000000000000000000000000000000000000000041"
    "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"
    "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"
    "a100000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000041"
    "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2"
    "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2"
    "b200000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000001"
    "0000000000000000000000000000000000000000000000000000000000000020"
    "0000000000000000000000000000000000000000000000000000000000000041"
    "a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3"
    "a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3"
    "a300000000000000000000000000000000000000000000000000000000000000";

evm::AckRequest test_ack() {
  evm::AckRequest r;
  r.acks = {evm::Ack{core::MessageId{repeat32(0x11).bytes}, core::ExecStatus::kReceiverFailed,
                     core::Claim{repeat32(0xc0).bytes}, {sig65(0xa1), sig65(0xb2)}}};
  r.tag = "ack";
  return r;
}

TEST_CASE("evm sink: acknowledge calldata equals ethers' encodeFunctionData", "[unit]") {
  auto calldata = evm::acknowledge_calldata(test_ack());
  REQUIRE(calldata.ok());
  CHECK(core::to_hex(*calldata) == kEthersAcknowledge);
  CHECK(core::to_hex(evm::function_selector("acknowledge(bytes32,uint8,bytes32,bytes[])")) == "0x1b14d999");
}

// test_ack() and a second acknowledgement (0x12…, status 4, claim 0xc1…, one vote 0xa3…).
evm::AckRequest test_ack_pair() {
  evm::AckRequest r = test_ack();
  r.acks.push_back(evm::Ack{core::MessageId{repeat32(0x12).bytes}, core::ExecStatus::kSkipped,
                            core::Claim{repeat32(0xc1).bytes}, {sig65(0xa3)}});
  return r;
}

TEST_CASE("evm sink: several acknowledgements are one acknowledgeAll call equal to ethers' encodeFunctionData",
          "[unit]") {
  auto calldata = evm::acknowledge_calldata(test_ack_pair());
  REQUIRE(calldata.ok());
  CHECK(core::to_hex(*calldata) == kEthersAcknowledgeAll);
  // None, or more than one transaction may carry, are refused; so is one bad entry among good ones.
  evm::AckRequest none;
  CHECK(evm::acknowledge_calldata(none).error().reason() == evm::reason::sink::kBadRequest);
  evm::AckRequest many;
  many.acks.assign(evm::kMaxAcksPerTransaction + 1, test_ack().acks.front());
  CHECK(evm::acknowledge_calldata(many).error().reason() == evm::reason::sink::kBadRequest);
  many.acks.pop_back();
  CHECK(evm::acknowledge_calldata(many).ok());
  auto bad = test_ack_pair();
  bad.acks[1].signatures.clear();
  auto refused = evm::acknowledge_calldata(bad);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().reason() == evm::reason::sink::kBadRequest);
  CHECK(refused.error().message().find(core::to_hex(repeat32(0x12).bytes)) != std::string::npos);  // names the id
}

TEST_CASE("evm sink: an acknowledgeAll transaction's gas covers every ack hook; the gas cap bounds how many", "[unit]") {
  boost::asio::io_context io;
  test::MemoryJournal journal;
  ScriptedRpc rpc(journal);
  auto sink = make_sink(io, rpc, journal);
  CHECK(sink->acks_per_transaction() == evm::kMaxAcksPerTransaction);
  rpc.estimate = "0xc350";
  auto handle = test::run_task(io, sink->acknowledge(test_ack_pair()));
  INFO((handle.ok() ? std::string() : handle.error().message()));
  REQUIRE(handle.ok());
  const evm::GasPolicy policy;
  CHECK(handle->gas_limit == (2 * 150000 * 64 + 62) / 63 + 2 * policy.per_message_overhead + policy.fixed_overhead);
  auto record = journal.find(core::FindRequest{.key = sink->nonces().key(), .tx_hash = handle->tx_hash});
  REQUIRE(record.ok());
  REQUIRE(record->has_value());
  auto decoded = evm::decode_signed((*record)->raw, evm::DecodeOptions{.chain_id = 31337});
  REQUIRE(decoded.ok());
  CHECK(core::to_hex(std::get<evm::Eip1559Tx>(decoded->tx).data) == kEthersAcknowledgeAll);

  // A cap of 1,000,000 gas covers (1,000,000 − 60,000) / (152,381 + 80,000) = 4 hooks.
  sink.reset();  // one sink per gas key at a time
  test::MemoryJournal small_journal;
  ScriptedRpc small_rpc(small_journal);
  evm::GasPolicy small;
  small.cap = 1'000'000;
  CHECK(make_sink(io, small_rpc, small_journal, {}, small)->acks_per_transaction() == 4);
  small.cap = 200'000;  // not even one: still 1, and the sink refuses that one by its cap
  CHECK(make_sink(io, small_rpc, small_journal, {}, small)->acks_per_transaction() == 1);
}

TEST_CASE("evm sink: an acknowledgement with a status outside 1..4 or without votes is refused before any node call",
          "[unit]") {
  for (const int status : {0, 5}) {
    auto bad = test_ack();
    bad.acks[0].status = static_cast<core::ExecStatus>(status);
    auto result = evm::acknowledge_calldata(bad);
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().reason() == evm::reason::sink::kBadRequest);
  }
  auto unsigned_ack = test_ack();
  unsigned_ack.acks[0].signatures.clear();
  auto result = evm::acknowledge_calldata(unsigned_ack);
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().reason() == evm::reason::sink::kBadRequest);

  boost::asio::io_context io;
  test::MemoryJournal journal;
  ScriptedRpc rpc(journal);
  auto sink = make_sink(io, rpc, journal);
  const std::size_t calls = rpc.methods.size();
  auto refused = test::run_task(io, sink->acknowledge(unsigned_ack));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().reason() == evm::reason::sink::kBadRequest);
  CHECK(rpc.methods.size() == calls);
}

TEST_CASE("evm sink: acknowledge goes through the submission pipeline with room for the ack hook", "[unit]") {
  boost::asio::io_context io;
  test::MemoryJournal journal;
  ScriptedRpc rpc(journal);
  auto sink = make_sink(io, rpc, journal);
  rpc.estimate = "0xc350";  // 50,000: votes below threshold only record, no hook call
  auto handle = test::run_task(io, sink->acknowledge(test_ack()));
  INFO((handle.ok() ? std::string() : handle.error().message()));
  REQUIRE(handle.ok());
  CHECK(handle->broadcast);
  CHECK(handle->nonce == 5);
  REQUIRE(rpc.sent.size() == 1);
  CHECK(rpc.journaled_at_broadcast.at(0));  // journaled before broadcast, as a deliver
  auto record = journal.find(core::FindRequest{.key = sink->nonces().key(), .tx_hash = handle->tx_hash});
  REQUIRE(record.ok());
  REQUIRE(record->has_value());
  CHECK((*record)->tag == "ack");
  auto decoded = evm::decode_signed((*record)->raw, evm::DecodeOptions{.chain_id = 31337});
  REQUIRE(decoded.ok());
  const auto& tx = std::get<evm::Eip1559Tx>(decoded->tx);
  CHECK(tx.data == *evm::acknowledge_calldata(test_ack()));
  CHECK(tx.to == std::optional<core::Address>(*core::fixed_from_hex<core::Address>("0x" + std::string(40, '4'))));
  // ceil(150,000 × 64/63) for the guarded hook call plus the policy's overheads, above the estimate.
  const evm::GasPolicy policy;
  CHECK(tx.gas_limit == (150000 * 64 + 62) / 63 + policy.per_message_overhead + policy.fixed_overhead);
  CHECK(handle->gas_limit == tx.gas_limit);

  // A large estimate wins, with its headroom.
  rpc.estimate = "0x7a120";  // 500,000
  auto big = test::run_task(io, sink->acknowledge(test_ack()));
  REQUIRE(big.ok());
  CHECK(big->gas_limit == 600000);
  CHECK(big->nonce == 6);
}

TEST_CASE("evm sink: a reverting acknowledge estimate is a named error and nothing is journaled", "[unit]") {
  boost::asio::io_context io;
  test::MemoryJournal journal;
  ScriptedRpc rpc(journal);
  auto sink = make_sink(io, rpc, journal);
  rpc.estimate_reverts = true;
  auto result = test::run_task(io, sink->acknowledge(test_ack()));
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().reason() == evm::reason::sink::kEstimateReverted);
  CHECK(result.error().detail().find("0x1234abcd") != std::string::npos);
  CHECK(rpc.sent.empty());
  CHECK(journal.records().empty());
  CHECK(sink->nonces().next_nonce() == 5);
}

TEST_CASE("evm sink: the pre-check's revert as a result (geth) or a malformed answer is a named error", "[unit]") {
  boost::asio::io_context io;
  test::MemoryJournal journal;
  ScriptedRpc rpc(journal);
  auto sink = make_sink(io, rpc, journal);
  rpc.precheck_reply = json{{"accessList", json::array()}, {"error", "execution reverted"}, {"gasUsed", "0x5208"}};
  auto reverted = test::run_task(io, sink->submit(test_request(1)));
  REQUIRE_FALSE(reverted.ok());
  CHECK(reverted.error().reason() == evm::reason::sink::kEstimateReverted);
  CHECK(reverted.error().detail().find("execution reverted") != std::string::npos);

  rpc.precheck_reply = json{{"accessList", json::array()}};  // no gasUsed
  auto missing = test::run_task(io, sink->acknowledge(test_ack()));
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().reason() == evm::reason::sink::kBadReply);
  rpc.precheck_reply = json{{"accessList", json::array()}, {"gasUsed", "0x012"}};  // not a canonical quantity
  auto malformed = test::run_task(io, sink->acknowledge(test_ack()));
  REQUIRE_FALSE(malformed.ok());
  CHECK(malformed.error().reason() == evm::reason::sink::kBadReply);
  rpc.precheck_reply = json::array();
  auto not_object = test::run_task(io, sink->acknowledge(test_ack()));
  REQUIRE_FALSE(not_object.ok());
  CHECK(not_object.error().reason() == evm::reason::sink::kBadReply);
  CHECK(rpc.sent.empty());
  CHECK(journal.records().empty());
  // One execution each: eth_estimateGas, which runs the transaction many times, is never asked.
  CHECK(std::count(rpc.methods.begin(), rpc.methods.end(), "eth_estimateGas") == 0);
  CHECK(std::count(rpc.methods.begin(), rpc.methods.end(), "eth_createAccessList") == 4);
}

evm::AckRequest test_ack_of(std::uint8_t fill) {
  evm::AckRequest r = test_ack();
  r.acks[0].id = core::MessageId{repeat32(fill).bytes};
  r.tag = "ack " + std::to_string(fill);
  return r;
}

TEST_CASE("evm sink: acknowledge_all journals every acknowledgement before one batch of broadcasts", "[unit]") {
  boost::asio::io_context io;
  test::MemoryJournal journal;
  ScriptedRpc rpc(journal);
  auto sink = make_sink(io, rpc, journal);
  rpc.methods.clear();
  std::vector<evm::AckRequest> requests{test_ack_of(0x21), test_ack_of(0x22), test_ack_of(0x23)};
  requests[1].acks[0].status = static_cast<core::ExecStatus>(9);  // refused before any node call
  auto results = test::run_task(io, sink->acknowledge_all(requests));
  INFO((results.ok() ? std::string() : results.error().message()));
  REQUIRE(results.ok());
  REQUIRE(results->size() == 3);
  REQUIRE((*results)[0].ok());
  REQUIRE_FALSE((*results)[1].ok());
  CHECK((*results)[1].error().reason() == evm::reason::sink::kBadRequest);
  REQUIRE((*results)[2].ok());
  CHECK((*results)[0]->nonce == 5);
  CHECK((*results)[2]->nonce == 6);
  CHECK((*results)[0]->broadcast);
  const evm::GasPolicy policy;
  CHECK((*results)[2]->gas_limit == (150000 * 64 + 62) / 63 + policy.per_message_overhead + policy.fixed_overhead);
  // Both journaled before the first broadcast; pre-checks and broadcasts in one batch each, the
  // fees read once.
  REQUIRE(rpc.records_at_broadcast.size() == 2);
  CHECK(rpc.records_at_broadcast[0] == 2);
  CHECK(rpc.batches == std::vector<std::string>{"eth_createAccessList", "eth_sendRawTransaction"});
  CHECK(std::count(rpc.methods.begin(), rpc.methods.end(), "eth_getBlockByNumber") == 1);
  CHECK(std::count(rpc.methods.begin(), rpc.methods.end(), "eth_createAccessList") == 2);
  auto record = journal.find(core::FindRequest{.key = sink->nonces().key(), .tx_hash = (*results)[2]->tx_hash});
  REQUIRE(record.ok());
  REQUIRE(record->has_value());
  CHECK((*record)->tag == "ack 35");
  auto decoded = evm::decode_signed((*record)->raw, evm::DecodeOptions{.chain_id = 31337});
  REQUIRE(decoded.ok());
  CHECK(std::get<evm::Eip1559Tx>(decoded->tx).data == *evm::acknowledge_calldata(test_ack_of(0x23)));
  CHECK(sink->nonces().next_nonce() == 7);

  // The batch is one journal write: when it fails, none is journaled, sent or given a nonce.
  const auto records = journal.records().size();
  const auto broadcasts = rpc.records_at_broadcast.size();
  journal.fail_next_writes(1);
  auto refused = test::run_task(io, sink->acknowledge_all({test_ack_of(0x24), test_ack_of(0x25)}));
  REQUIRE(refused.ok());
  REQUIRE(refused->size() == 2);
  for (const auto& r : *refused) {
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().reason() == core::reason::journal::kStorageFailed);
  }
  CHECK(journal.records().size() == records);
  CHECK(rpc.records_at_broadcast.size() == broadcasts);
  CHECK(sink->nonces().next_nonce() == 7);
}

TEST_CASE("evm sink: acknowledge_all pre-checks only the requests that ask for it", "[unit]") {
  boost::asio::io_context io;
  test::MemoryJournal journal;
  ScriptedRpc rpc(journal);
  auto sink = make_sink(io, rpc, journal);
  rpc.estimate_reverts = true;  // every pre-check reverts
  std::vector<evm::AckRequest> requests{test_ack_of(0x31), test_ack_of(0x32)};
  requests[1].precheck = false;
  rpc.methods.clear();
  auto results = test::run_task(io, sink->acknowledge_all(requests));
  REQUIRE(results.ok());
  REQUIRE(results->size() == 2);
  REQUIRE_FALSE((*results)[0].ok());
  CHECK((*results)[0].error().reason() == evm::reason::sink::kEstimateReverted);
  REQUIRE((*results)[1].ok());
  CHECK((*results)[1]->nonce == 5);
  const evm::GasPolicy policy;
  CHECK((*results)[1]->gas_limit == (150000 * 64 + 62) / 63 + policy.per_message_overhead + policy.fixed_overhead);
  CHECK(std::count(rpc.methods.begin(), rpc.methods.end(), "eth_createAccessList") == 1);
  // None pre-checked: no pre-check batch at all.
  for (auto& r : requests) r.precheck = false;
  rpc.batches.clear();
  auto unchecked = test::run_task(io, sink->acknowledge_all(requests));
  REQUIRE(unchecked.ok());
  REQUIRE(unchecked->size() == 2);
  CHECK((*unchecked)[0].ok());
  CHECK((*unchecked)[1].ok());
  CHECK(rpc.batches == std::vector<std::string>{"eth_sendRawTransaction"});
}

TEST_CASE("evm sink: acknowledge_all reports a revert with its data, a refused broadcast, and a failed exchange",
          "[unit]") {
  boost::asio::io_context io;
  test::MemoryJournal journal;
  ScriptedRpc rpc(journal);
  auto sink = make_sink(io, rpc, journal);
  // The second one reverts at its pre-check; the first one's broadcast is refused.
  rpc.revert_marker = std::string(64, '2');  // the id of test_ack_of(0x22)
  rpc.refuse_next_broadcast = true;
  std::vector<evm::AckRequest> requests{test_ack_of(0x31), test_ack_of(0x22), test_ack_of(0x33)};
  auto results = test::run_task(io, sink->acknowledge_all(requests));
  REQUIRE(results.ok());
  REQUIRE(results->size() == 3);
  REQUIRE_FALSE((*results)[0].ok());
  CHECK((*results)[0].error().reason() == evm::reason::sink::kBroadcastRejected);
  REQUIRE_FALSE((*results)[1].ok());
  CHECK((*results)[1].error().reason() == evm::reason::sink::kEstimateReverted);
  CHECK((*results)[1].error().detail().find("0x1234abcd") != std::string::npos);
  REQUIRE((*results)[2].ok());
  CHECK((*results)[2]->nonce == 6);
  // The refused one's nonce is released: the next transaction fills it, and a batch after it.
  CHECK(sink->nonces().next_nonce() == 5);
  rpc.revert_marker.clear();
  auto refill = test::run_task(io, sink->acknowledge_all({test_ack_of(0x34), test_ack_of(0x35)}));
  REQUIRE(refill.ok());
  REQUIRE(refill->size() == 2);
  REQUIRE((*refill)[0].ok());
  REQUIRE((*refill)[1].ok());
  CHECK((*refill)[0]->nonce == 5);
  CHECK((*refill)[1]->nonce == 7);
  CHECK(sink->nonces().next_nonce() == 8);

  // The pre-checks' exchange fails: an error for the whole call, nothing journaled.
  const auto records = journal.records().size();
  rpc.batch_fails = true;
  auto failed = test::run_task(io, sink->acknowledge_all({test_ack_of(0x41)}));
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().reason() == evm::reason::sink::kNodeFailed);
  CHECK(journal.records().size() == records);
  CHECK(sink->nonces().next_nonce() == 8);
}

TEST_CASE("evm sink: confirm_all reads the receipts in one batch, each as confirm does", "[unit]") {
  boost::asio::io_context io;
  test::MemoryJournal journal;
  ScriptedRpc rpc(journal);
  auto sink = make_sink(io, rpc, journal);
  auto results = test::run_task(io, sink->acknowledge_all({test_ack_of(0x51), test_ack_of(0x52)}));
  REQUIRE(results.ok());
  REQUIRE(results->size() == 2);
  REQUIRE((*results)[0].ok());
  REQUIRE((*results)[1].ok());
  rpc.mined = (*results)[1]->tx_hash;
  rpc.batches.clear();
  auto confirmations = test::run_task(io, sink->confirm_all({*(*results)[0], *(*results)[1]}));
  REQUIRE(confirmations.ok());
  REQUIRE(confirmations->size() == 2);
  REQUIRE((*confirmations)[0].ok());
  CHECK((*confirmations)[0]->state == evm::Confirmation::State::kPending);
  REQUIRE((*confirmations)[1].ok());
  CHECK((*confirmations)[1]->state == evm::Confirmation::State::kDelivered);
  CHECK(rpc.batches == std::vector<std::string>{"eth_getTransactionReceipt"});
  CHECK_FALSE(sink->nonces().is_live((*results)[1]->tx_hash));
  CHECK(sink->nonces().is_live((*results)[0]->tx_hash));

  // A malformed receipt is the handle's named error; a failed exchange the whole call's.
  rpc.mined = (*results)[0]->tx_hash;
  rpc.receipt_status = "0x7";
  auto malformed = test::run_task(io, sink->confirm_all({*(*results)[0]}));
  REQUIRE(malformed.ok());
  REQUIRE_FALSE((*malformed)[0].ok());
  CHECK((*malformed)[0].error().reason() == evm::reason::sink::kBadReply);
  rpc.batch_fails = true;
  auto failed = test::run_task(io, sink->confirm_all({*(*results)[0]}));
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().reason() == evm::reason::sink::kNodeFailed);
}

TEST_CASE("evm sink: confirm reports an acknowledge as delivered or reverted, with no executions", "[unit]") {
  boost::asio::io_context io;
  test::MemoryJournal journal;
  ScriptedRpc rpc(journal);
  auto sink = make_sink(io, rpc, journal);
  auto handle = test::run_task(io, sink->acknowledge(test_ack()));
  REQUIRE(handle.ok());
  auto pending = test::run_task(io, sink->confirm(*handle));
  REQUIRE(pending.ok());
  CHECK(pending->state == evm::Confirmation::State::kPending);

  // The receipt carries the gateway's Acknowledged event, which is not a MessageExecuted.
  rpc.mined = handle->tx_hash;
  rpc.receipt_logs = json::array({{{"address", "0x" + std::string(40, '4')},
                                   {"topics", json::array({core::to_hex(core::kAcknowledgedTopic),
                                                           core::to_hex(repeat32(0x11))})},
                                   {"data", "0x"}}});
  auto delivered = test::run_task(io, sink->confirm(*handle));
  REQUIRE(delivered.ok());
  CHECK(delivered->state == evm::Confirmation::State::kDelivered);
  CHECK(delivered->tx_hash == handle->tx_hash);
  CHECK(delivered->executed.empty());
  CHECK(sink->nonces().live().empty());

  auto second = test::run_task(io, sink->acknowledge(test_ack()));
  REQUIRE(second.ok());
  rpc.mined = second->tx_hash;
  rpc.receipt_status = "0x0";
  auto reverted = test::run_task(io, sink->confirm(*second));
  REQUIRE(reverted.ok());
  CHECK(reverted->state == evm::Confirmation::State::kReverted);
  CHECK(reverted->executed.empty());
}

TEST_CASE("evm sink: inbox_state is the gateway reader's", "[unit]") {
  boost::asio::io_context io;
  test::MemoryJournal journal;
  ScriptedRpc rpc(journal);
  auto sink = make_sink(io, rpc, journal);
  const std::string three = "0x" + std::string(63, '0') + "3";
  rpc.call_answers[core::to_hex(evm::function_selector("executionStatus(bytes32)"))] = three;
  auto inbox = test::run_task(io, sink->inbox_state(evm::InboxRequest{{core::MessageId{repeat32(0x11).bytes}}}));
  REQUIRE(inbox.ok());
  REQUIRE(inbox->size() == 1);
  CHECK((*inbox)[0].executed);
  CHECK((*inbox)[0].status == 3);
  // A status the gateway cannot have is the reader's named error.
  rpc.call_answers[core::to_hex(evm::function_selector("executionStatus(bytes32)"))] =
      "0x" + std::string(63, '0') + "9";
  auto bad = test::run_task(io, sink->inbox_state(evm::InboxRequest{{core::MessageId{repeat32(0x11).bytes}}}));
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().reason() == evm::reason::gateway::kBadReply);
}

TEST_CASE("evm sink: abi::array encodes empty and nested dynamic arrays", "[unit]") {
  namespace abi = core::abi;
  // abi.encode(bytes32[]) of no elements: offset 0x20, length 0.
  const auto empty = abi::encode({abi::array({})});
  CHECK(core::to_hex(empty) == "0x" + std::string(62, '0') + "20" + std::string(64, '0'));
  // abi.encode(bytes[][]) of [[]]: offset, outer length 1, inner offset 0x20, inner length 0.
  const auto nested = abi::encode({abi::array({abi::array({})})});
  CHECK(core::to_hex(nested) == "0x" + std::string(62, '0') + "20" + std::string(63, '0') + "1" + std::string(62, '0') +
                                    "20" + std::string(64, '0'));
}

TEST_CASE("evm sink: malformed batches are refused before any node call", "[unit]") {
  auto empty = evm::deliver_calldata(evm::SubmitRequest{});
  REQUIRE_FALSE(empty.ok());
  CHECK(empty.error().reason() == evm::reason::sink::kBadRequest);
  auto uneven = test_request(3);
  uneven.claims.pop_back();
  auto result = evm::deliver_calldata(uneven);
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().reason() == evm::reason::sink::kBadRequest);
}

TEST_CASE("evm sink: journaled before broadcast; a refused broadcast releases its nonce", "[unit]") {
  boost::asio::io_context io;
  test::MemoryJournal journal;
  ScriptedRpc rpc(journal);
  auto sink = make_sink(io, rpc, journal);
  CHECK(sink->eip1559());
  CHECK(sink->nonces().next_nonce() == 5);

  rpc.refuse_next_broadcast = true;
  auto refused = test::run_task(io, sink->submit(test_request(3)));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().reason() == evm::reason::sink::kBroadcastRejected);
  REQUIRE(rpc.sent.size() == 1);
  CHECK(rpc.journaled_at_broadcast.at(0));
  CHECK(sink->nonces().next_nonce() == 5);  // not consumed
  auto dropped = journal.find(core::FindRequest{.key = sink->nonces().key(), .tx_hash = rpc.sent[0]});
  REQUIRE(dropped.ok());
  REQUIRE(dropped->has_value());
  CHECK((*dropped)->state == core::SubmissionState::kDropped);

  auto accepted = test::run_task(io, sink->submit(test_request(3)));
  INFO((accepted.ok() ? std::string() : accepted.error().message()));
  REQUIRE(accepted.ok());
  CHECK(accepted->nonce == 5);
  // The identical bytes were refused and are journaled as dropped: the retry is a new transaction.
  CHECK(accepted->tx_hash != rpc.sent[0]);
  CHECK(accepted->broadcast);
  REQUIRE(rpc.sent.size() == 2);
  CHECK(rpc.sent[1] == accepted->tx_hash);
  CHECK(rpc.journaled_at_broadcast.at(1));
  CHECK(sink->nonces().next_nonce() == 6);
  auto record = journal.find(core::FindRequest{.key = sink->nonces().key(), .tx_hash = accepted->tx_hash});
  REQUIRE(record.ok());
  REQUIRE(record->has_value());
  CHECK((*record)->state == core::SubmissionState::kBroadcast);
  // The signed transaction carries the deliver calldata and the estimate with headroom.
  auto decoded = evm::decode_signed((*record)->raw, evm::DecodeOptions{.chain_id = 31337});
  REQUIRE(decoded.ok());
  const auto& tx = std::get<evm::Eip1559Tx>(decoded->tx);
  CHECK(tx.data == *evm::deliver_calldata(test_request(3)));
  CHECK(tx.gas_limit == accepted->gas_limit);
  CHECK(tx.gas_limit >= 200000 * 12 / 10);
  CHECK(decoded->sender == sink->gas_address());
}

TEST_CASE("evm sink: a reverting estimate is a named error with the revert data", "[unit]") {
  boost::asio::io_context io;
  test::MemoryJournal journal;
  ScriptedRpc rpc(journal);
  auto sink = make_sink(io, rpc, journal);
  rpc.estimate_reverts = true;
  auto result = test::run_task(io, sink->submit(test_request(1)));
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().reason() == evm::reason::sink::kEstimateReverted);
  CHECK(result.error().detail().find("0x1234abcd") != std::string::npos);
  CHECK(rpc.sent.empty());
  CHECK(journal.records().empty());
  CHECK(sink->nonces().next_nonce() == 5);
}

TEST_CASE("evm sink: a batch sent without its pre-check asks the node nothing first and takes the guarded gas",
          "[unit]") {
  boost::asio::io_context io;
  test::MemoryJournal journal;
  ScriptedRpc rpc(journal);
  auto sink = make_sink(io, rpc, journal);
  rpc.estimate_reverts = true;  // would refuse the batch, were it asked
  auto request = test_request(3);
  request.precheck = false;
  auto sent = test::run_task(io, sink->submit(request));
  INFO((sent.ok() ? std::string() : sent.error().message()));
  REQUIRE(sent.ok());
  CHECK(std::count(rpc.methods.begin(), rpc.methods.end(), "eth_createAccessList") == 0);
  REQUIRE(rpc.sent.size() == 1);
  CHECK(rpc.journaled_at_broadcast.at(0));
  // The gas limit is batch_gas_limit's guarded requirement for the three messages, no estimate.
  std::vector<std::uint64_t> limits;
  for (const auto& m : request.messages) limits.push_back(m.gas_limit);
  CHECK(sent->gas_limit == *evm::batch_gas_limit(limits, std::nullopt, evm::GasPolicy{}));
  // With it (the default) the same batch is refused before anything is signed.
  auto checked = test::run_task(io, sink->submit(test_request(3)));
  REQUIRE_FALSE(checked.ok());
  CHECK(checked.error().reason() == evm::reason::sink::kEstimateReverted);
  CHECK(rpc.sent.size() == 1);
}

TEST_CASE("evm sink: bump re-signs the same nonce with higher fees, journaled as a replacement first", "[unit]") {
  boost::asio::io_context io;
  test::MemoryJournal journal;
  ScriptedRpc rpc(journal);
  auto sink = make_sink(io, rpc, journal);
  auto original = test::run_task(io, sink->submit(test_request(3)));
  REQUIRE(original.ok());
  auto bumped = test::run_task(io, sink->bump(*original));
  INFO((bumped.ok() ? std::string() : bumped.error().message()));
  REQUIRE(bumped.ok());
  CHECK(bumped->nonce == original->nonce);
  CHECK(bumped->tx_hash != original->tx_hash);
  CHECK(bumped->broadcast);

  // Journaled, and as the original's replacement, when eth_sendRawTransaction saw it.
  REQUIRE(rpc.sent.size() == 2);
  CHECK(rpc.sent[1] == bumped->tx_hash);
  CHECK(rpc.journaled_at_broadcast.at(1));
  REQUIRE(rpc.replaces_at_broadcast.at(1).has_value());
  CHECK(*rpc.replaces_at_broadcast.at(1) == original->tx_hash);

  const auto decode = [&](const core::Hash32& hash) {
    auto record = journal.find(core::FindRequest{.key = sink->nonces().key(), .tx_hash = hash});
    REQUIRE(record.ok());
    REQUIRE(record->has_value());
    auto decoded = evm::decode_signed((*record)->raw, evm::DecodeOptions{.chain_id = 31337});
    REQUIRE(decoded.ok());
    return std::get<evm::Eip1559Tx>(decoded->tx);
  };
  const evm::Eip1559Tx before = decode(original->tx_hash);
  const evm::Eip1559Tx after = decode(bumped->tx_hash);
  CHECK(after.nonce == before.nonce);
  CHECK(after.data == before.data);
  CHECK(after.gas_limit == before.gas_limit);
  const evm::Fees old_fees{*evm::to_u64(before.max_fee_per_gas), *evm::to_u64(before.max_priority_fee_per_gas)};
  const evm::Fees new_fees{*evm::to_u64(after.max_fee_per_gas), *evm::to_u64(after.max_priority_fee_per_gas)};
  CHECK(evm::is_sufficient_bump(old_fees, new_fees));
  CHECK(sink->nonces().next_nonce() == 6);  // no new nonce taken

  // A second bump raises over the first; confirm on the first handle reports the one that mined.
  auto again = test::run_task(io, sink->bump(*original));
  REQUIRE(again.ok());
  REQUIRE(rpc.replaces_at_broadcast.size() == 3);
  CHECK(*rpc.replaces_at_broadcast.at(2) == bumped->tx_hash);
  rpc.mined = bumped->tx_hash;
  auto confirmed = test::run_task(io, sink->confirm(*original));
  REQUIRE(confirmed.ok());
  CHECK(confirmed->state == evm::Confirmation::State::kDelivered);
  CHECK(confirmed->tx_hash == bumped->tx_hash);
  CHECK(sink->nonces().live().empty());
  auto via_bumped = test::run_task(io, sink->confirm(*again));
  REQUIRE(via_bumped.ok());
  CHECK(via_bumped->tx_hash == bumped->tx_hash);
  // Nothing live is left to bump.
  auto late = test::run_task(io, sink->bump(*original));
  REQUIRE_FALSE(late.ok());
  CHECK(late.error().reason() == evm::reason::sink::kNotBumpable);
}

TEST_CASE("evm sink: a bump above the fee cap is a named error and sends nothing", "[unit]") {
  boost::asio::io_context io;
  test::MemoryJournal journal;
  ScriptedRpc rpc(journal);
  // Base fee 1 gwei × 2 + tip 1 gwei = 3 gwei fits; 3 gwei + 12% does not.
  evm::FeePolicy fees;
  fees.max_fee_cap = 3'200'000'000;
  auto sink = make_sink(io, rpc, journal, fees);
  auto original = test::run_task(io, sink->submit(test_request(1)));
  REQUIRE(original.ok());
  const std::size_t records = journal.records().size();
  auto bumped = test::run_task(io, sink->bump(*original));
  REQUIRE_FALSE(bumped.ok());
  CHECK(bumped.error().reason() == evm::reason::sink::kFeeCapReached);
  CHECK(rpc.sent.size() == 1);
  CHECK(journal.records().size() == records);
  CHECK(sink->nonces().is_live(original->tx_hash));
}

TEST_CASE("evm sink: rebroadcast_lost sends the same bytes again for a transaction the node lost", "[unit]") {
  boost::asio::io_context io;
  test::MemoryJournal journal;
  ScriptedRpc rpc(journal);
  auto sink = make_sink(io, rpc, journal);
  CHECK(sink->block_gas_limit() == 30'000'000);
  std::vector<evm::SubmitHandle> handles;
  for (int i = 0; i < 3; ++i) {
    auto handle = test::run_task(io, sink->submit(test_request(1)));
    REQUIRE(handle.ok());
    handles.push_back(*handle);
  }
  REQUIRE(rpc.sent.size() == 3);
  const std::size_t records = journal.records().size();

  SECTION("nothing lost: every unmined nonce looked up in one batch, nothing sent") {
    auto again = test::run_task(io, sink->rebroadcast_lost());
    REQUIRE(again.ok());
    CHECK(again->empty());
    CHECK(rpc.lookups.size() == 3);
    CHECK(rpc.batches.back() == "eth_getTransactionByHash");
    CHECK(rpc.sent.size() == 3);
  }
  SECTION("the middle nonce lost: it alone goes out again, its journaled bytes, nothing new journaled") {
    rpc.lost.insert(handles[1].tx_hash);
    auto again = test::run_task(io, sink->rebroadcast_lost());
    REQUIRE(again.ok());
    CHECK(*again == std::vector<std::uint64_t>{6});
    REQUIRE(rpc.sent.size() == 4);
    CHECK(rpc.sent[3] == handles[1].tx_hash);
    CHECK(journal.records().size() == records);
    CHECK(sink->nonces().is_live(handles[1].tx_hash));
    CHECK(sink->nonces().next_nonce() == 8);
  }
  SECTION("a lost transaction below the chain's nonce was mined or replaced: not sent, not looked up") {
    rpc.tx_count = "0x6";
    rpc.lost.insert(handles[0].tx_hash);
    auto again = test::run_task(io, sink->rebroadcast_lost());
    REQUIRE(again.ok());
    CHECK(again->empty());
    CHECK(rpc.lookups.size() == 2);
    CHECK(std::find(rpc.lookups.begin(), rpc.lookups.end(), handles[0].tx_hash) == rpc.lookups.end());
    CHECK(rpc.sent.size() == 3);
  }
  SECTION("the node refusing the lost bytes again: a named error, not counted as sent, still live") {
    rpc.lost.insert(handles[1].tx_hash);
    rpc.refuse_next_broadcast = true;
    auto again = test::run_task(io, sink->rebroadcast_lost());
    REQUIRE_FALSE(again.ok());
    CHECK(again.error().reason() == evm::reason::sink::kBroadcastRejected);
    CHECK(again.error().message().find("nonce 6") != std::string::npos);
    REQUIRE(rpc.sent.size() == 4);
    CHECK(journal.records().size() == records);
    CHECK(sink->nonces().is_live(handles[1].tx_hash));
  }
  SECTION("the lookup failing is a named error and sends nothing") {
    rpc.lost.insert(handles[1].tx_hash);
    rpc.batch_fails = true;
    auto again = test::run_task(io, sink->rebroadcast_lost());
    REQUIRE_FALSE(again.ok());
    CHECK(again.error().reason() == evm::reason::sink::kNodeFailed);
    CHECK(rpc.sent.size() == 3);
  }
}

TEST_CASE("evm sink: rebroadcast_lost asks nothing when no transaction is live", "[unit]") {
  boost::asio::io_context io;
  test::MemoryJournal journal;
  ScriptedRpc rpc(journal);
  auto sink = make_sink(io, rpc, journal);
  const std::size_t calls = rpc.methods.size();
  auto again = test::run_task(io, sink->rebroadcast_lost());
  REQUIRE(again.ok());
  CHECK(again->empty());
  CHECK(rpc.methods.size() == calls);
  CHECK(rpc.batches.empty());
}
