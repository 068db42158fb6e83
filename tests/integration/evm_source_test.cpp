// Integration test of adapters/evm/source against a real devnet (deploy/devnet/devnet.sh on free
// ports, private state directory, stopped afterwards): start-up identity check, bundles for every
// MessageSent (several per transaction and per block) that verify, a reorg rewinding the cursor,
// and find_sent locating a sent sequence (read through GatewayReader) for reconciliation.
#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "adapters/evm/gateway_reader.hpp"
#include "adapters/evm/rpc_json.hpp"
#include "adapters/evm/source.hpp"
#include "relay/core/abi.hpp"
#include "relay/core/hash.hpp"
#include "relay/core/message.hpp"
#include "relay/core/mpt.hpp"
#include "relay/net/client.hpp"
#include "relay/verify/bundle.hpp"
#include "relay/verify/evm_header.hpp"
#include "relay/verify/inclusion.hpp"
#include "relay/verify/verify.hpp"
#include "tests/integration/devnet_fixture.hpp"

using namespace causeway;
using nlohmann::json;

namespace {

using test::Devnet;
using test::run;

json call(net::SyncClient& rpc, const std::string& method, json params = json::array()) {
  auto result = rpc.call(method, std::move(params));
  if (!result) throw std::runtime_error(method + ": " + result.error().message());
  return std::move(result).value();
}

std::uint64_t quantity(const json& j) { return *evm::quantity_u64(j, "quantity"); }

core::Hash32 hash32(const json& j) { return *core::fixed_from_hex<core::Hash32>(j.get<std::string>()); }

// calldata of Gateway.send(dstChain, dstGateway, receiver, timeout, gasLimit, ordered, payload).
std::string send_calldata(const json& a, const json& b, const std::string& payload) {
  const core::Hash32 selector_hash =
      core::keccak256(core::as_bytes("send(bytes32,bytes32,bytes32,uint64,uint64,bool,bytes)"));
  const auto dst_gateway = core::address_word(*core::fixed_from_hex<core::Address>(b["gateway"].get<std::string>()));
  const auto receiver =
      core::address_word(*core::fixed_from_hex<core::Address>(b["contracts"]["PingEcho"].get<std::string>()));
  namespace abi = core::abi;
  const std::vector<abi::Value> params{abi::word(hash32(b["chainIdentity"])), abi::word(dst_gateway),
                                       abi::word(receiver), abi::uint(0), abi::uint(300000), abi::boolean(false),
                                       abi::bytes(core::as_bytes(payload))};
  core::Bytes data(selector_hash.bytes.begin(), selector_hash.bytes.begin() + 4);
  core::append(data, abi::encode(params));
  (void)a;
  return core::to_hex(data);
}

// Init code of a contract that forwards its calldata to `target` `times` times (one transaction,
// several MessageSent events from the gateway).
std::string forwarder_init_code(const std::string& target, int times) {
  std::string runtime = "366000600037";  // CALLDATASIZE 0 0 CALLDATACOPY
  for (int i = 0; i < times; ++i) {
    // retSize retOffset argsSize argsOffset value PUSH20 target GAS CALL POP
    runtime += "60006000" "36" "6000" "6000" "73" + target.substr(2) + "5a" "f1" "50";
  }
  runtime += "00";
  const std::size_t size = runtime.size() / 2;
  const std::uint8_t be[2] = {static_cast<std::uint8_t>(size >> 8), static_cast<std::uint8_t>(size & 0xff)};
  const std::string len = core::to_hex(core::ByteView(be, 2), false);
  return std::string("0x61") + len + "600e600039" + "61" + len + "6000f3" + runtime;
}

json wait_receipt(net::SyncClient& rpc, const json& tx_hash) {
  for (int i = 0; i < 100; ++i) {
    json r = call(rpc, "eth_getTransactionReceipt", json::array({tx_hash}));
    if (!r.is_null()) return r;
    ::usleep(50000);
  }
  throw std::runtime_error("receipt not found");
}

}  // namespace

TEST_CASE("evm source on a real devnet: identity check, bundles that verify, reorg rewind", "[integration]") {
  // One devnet for both sections (Catch runs the test case once per section); stopped at exit.
  static Devnet devnet("evm-source");
  const json& a = devnet.chain(0);
  const json& b = devnet.chain(1);
  const std::string url = a["rpc"]["http"].get<std::string>();
  auto sync = net::SyncClient::create({net::EndpointConfig{url}});
  REQUIRE(sync.ok());
  net::SyncClient& rpc = **sync;

  boost::asio::io_context io;
  auto client = net::Client::create(io.get_executor(), {net::EndpointConfig{url}});
  REQUIRE(client.ok());
  evm::NetRpc node(**client);

  const std::uint64_t chain_id = std::stoull(a["chainId"].get<std::string>());
  const auto identity = *core::fixed_from_hex<core::ChainIdentity>(a["chainIdentity"].get<std::string>());
  const auto gateway = *core::fixed_from_hex<core::Address>(a["gateway"].get<std::string>());
  evm::SourceConfig config;
  config.chain_id = chain_id;
  config.chain_identity = identity;
  config.gateway = gateway;
  config.start_height = a["deployBlock"].get<std::uint64_t>();
  config.max_range = 4;  // several polls to catch up, each a bounded eth_getLogs

  SECTION("the start-up check refuses another chain's identity and does no work") {
    auto wrong = config;
    wrong.chain_identity = *core::fixed_from_hex<core::ChainIdentity>(b["chainIdentity"].get<std::string>());
    auto source = evm::EvmSource::create(node, wrong);
    REQUIRE(source.ok());
    auto started = run(io, (*source)->start());
    REQUIRE_FALSE(started.ok());
    CHECK(started.error().reason() == evm::reason::source::kIdentityMismatch);
    auto polled = run(io, (*source)->poll());
    REQUIRE_FALSE(polled.ok());
    CHECK(polled.error().reason() == evm::reason::source::kNotStarted);

    auto other_id = config;
    other_id.chain_id = chain_id + 1;
    auto source2 = evm::EvmSource::create(node, other_id);
    REQUIRE(source2.ok());
    auto started2 = run(io, (*source2)->start());
    REQUIRE_FALSE(started2.ok());
    CHECK(started2.error().reason() == evm::reason::source::kWrongChainId);
  }

  SECTION("every MessageSent becomes a bundle that verifies; a reorg rewinds and reports orphans") {
    auto created = evm::EvmSource::create(node, config);
    REQUIRE(created.ok());
    evm::EvmSource& source = **created;
    REQUIRE(run(io, source.start()).ok());
    CHECK(source.cursor().number == config.start_height - 1);

    const json accounts = call(rpc, "eth_accounts");
    const json dev = a["devAccount"];
    const std::string to_gateway = a["gateway"].get<std::string>();
    // One message alone in its block.
    wait_receipt(rpc, call(rpc, "eth_sendTransaction",
                           json::array({{{"from", dev}, {"to", to_gateway}, {"data", send_calldata(a, b, "solo")}}})));
    // A forwarder that sends three messages in one transaction.
    const json deployed = wait_receipt(
        rpc, call(rpc, "eth_sendTransaction",
                  json::array({{{"from", dev}, {"data", forwarder_init_code(to_gateway, 3)}, {"gas", "0x100000"}}})));
    const json forwarder = deployed["contractAddress"];

    // Then one block with a plain transfer, one message, and the forwarder's three.
    call(rpc, "evm_setAutomine", json::array({false}));
    call(rpc, "eth_sendTransaction",
         json::array({{{"from", accounts[2]}, {"to", accounts[3]}, {"value", "0x1"}, {"gasPrice", "0x174876e800"}}}));
    call(rpc, "eth_sendTransaction", json::array({{{"from", accounts[1]},
                                                   {"to", to_gateway},
                                                   {"data", send_calldata(a, b, "first in block")},
                                                   {"gas", "0x100000"},
                                                   {"gasPrice", "0x165a0bc00"}}}));
    call(rpc, "eth_sendTransaction", json::array({{{"from", dev},
                                                   {"to", forwarder},
                                                   {"data", send_calldata(a, b, "three at once")},
                                                   {"gas", "0x200000"},
                                                   {"gasPrice", "0x77359400"}}}));
    call(rpc, "evm_mine");
    call(rpc, "evm_setAutomine", json::array({true}));
    const std::uint64_t head = quantity(call(rpc, "eth_blockNumber"));

    std::vector<verify::Bundle> bundles;
    for (int polls = 0; source.cursor().number < head; ++polls) {
      REQUIRE(polls < 20);
      const std::uint64_t was = source.cursor().number;
      auto result = run(io, source.poll());
      REQUIRE(result.ok());
      CHECK(result->rejected.empty());
      CHECK_FALSE(result->orphaned.has_value());
      CHECK(result->cursor.number > was);
      CHECK(result->cursor.number - was <= config.max_range);
      for (auto& bundle : result->bundles) bundles.push_back(std::move(bundle));
    }
    CHECK(source.cursor().number == head);

    // Independently: every MessageSent log the node knows in the range.
    const json logs = call(rpc, "eth_getLogs", json::array({{{"fromBlock", evm::to_quantity(config.start_height)},
                                                             {"toBlock", evm::to_quantity(head)},
                                                             {"address", to_gateway},
                                                             {"topics", json::array({core::to_hex(core::kMessageSentTopic)})}}}));
    REQUIRE(logs.size() == 5);
    REQUIRE(bundles.size() == 5);

    verify::TrustAnchors anchors;
    verify::ChainAnchor anchor;
    anchor.name = "a";
    anchor.chain_id = chain_id;
    anchor.genesis_hash = hash32(a["genesisHash"]);
    anchor.chain_identity = identity;
    anchor.gateway = gateway;
    anchor.consensus.mode = verify::ConsensusMode::kTrusted;
    anchor.insecure = true;
    anchor.limits.max_payload = 1u << 16;
    anchors.chains.push_back(anchor);
    verify::CanonicalHashMap canonical;

    std::set<std::string> claims;
    std::map<std::uint32_t, int> per_tx;
    bool global_differs = false;
    for (std::size_t i = 0; i < bundles.size(); ++i) {
      const verify::Bundle& bundle = bundles[i];
      const json& log = logs[i];
      INFO("bundle " << i);
      // The header is the node's block, and the receipt proof hangs from its receiptsRoot.
      auto header = verify::decode_evm_header(bundle.source.header);
      REQUIRE(header.ok());
      CHECK(verify::plain_hash(*header) == bundle.source.block_hash);
      CHECK(bundle.source.block_hash == hash32(log["blockHash"]));
      CHECK(bundle.source.block_number == quantity(log["blockNumber"]));
      CHECK(bundle.inclusion.tx_index == quantity(log["transactionIndex"]));
      auto proven = core::mpt::verify_receipt_proof(verify::to_hash32(header->receipts_root), bundle.inclusion.tx_index,
                                                    std::span<const core::Bytes>(bundle.inclusion.proof));
      REQUIRE(proven.ok());
      CHECK(std::equal(proven->begin(), proven->end(), bundle.inclusion.receipt.begin(), bundle.inclusion.receipt.end()));
      // The message id is the event's id topic, and the claim uses the log index in the receipt.
      const core::MessageId id = core::message_id(bundle.message);
      CHECK(core::to_hex(id) == log["topics"][1].get<std::string>());
      CHECK(bundle.claim == core::claim_hash(id, bundle.source.block_hash, bundle.source.block_number,
                                             bundle.inclusion.tx_index, bundle.inclusion.log_index));
      global_differs |= bundle.inclusion.log_index != quantity(log["logIndex"]);
      per_tx[bundle.inclusion.tx_index]++;
      claims.insert(core::to_hex(bundle.claim));
      // The pure verifier, with its own anchors and the node's canonical hash, says valid.
      canonical.add(identity, bundle.source.block_number, hash32(call(rpc, "eth_getBlockByNumber",
          json::array({evm::to_quantity(bundle.source.block_number), false}))["hash"]));
      const verify::Verdict verdict = verify::verify_bundle(bundle, anchors, canonical);
      INFO(verify::verdict_to_json(verdict).dump());
      CHECK(verdict.outcome == verify::Outcome::kValid);
      REQUIRE(verdict.claim.has_value());
      CHECK(*verdict.claim == bundle.claim);
      // The JSON form round-trips.
      auto reread = verify::bundle_from_json(verify::bundle_to_json(bundle));
      REQUIRE(reread.ok());
      CHECK(reread->claim == bundle.claim);
      CHECK(reread->inclusion.proof == bundle.inclusion.proof);
    }
    CHECK(claims.size() == 5);
    CHECK(global_differs);  // the forwarder's events follow another message's log in the block
    CHECK(std::count_if(per_tx.begin(), per_tx.end(), [](const auto& e) { return e.second == 3; }) == 1);
    // The block of four events, and a wrong canonical hash makes the verifier refuse.
    const std::uint64_t busy = bundles.back().source.block_number;
    CHECK(bundles[1].source.block_number == busy);
    {
      verify::CanonicalHashMap wrong;
      wrong.add(identity, busy, core::keccak256(core::as_bytes("not the block")));
      CHECK(verify::verify_bundle(bundles.back(), anchors, wrong).outcome != verify::Outcome::kValid);
    }

    // Reorg: the busy block (the head, where the cursor stands) is replaced by an empty one.
    const evm::BlockRef before = source.cursor();
    REQUIRE(before.number == busy);
    call(rpc, "anvil_reorg", json::array({1, json::array()}));
    auto rewound = run(io, source.poll());
    REQUIRE(rewound.ok());
    REQUIRE(rewound->orphaned.has_value());
    const evm::OrphanReport& report = *rewound->orphaned;
    CHECK(report.to == busy);
    CHECK(report.from == report.rewound_to.number + 1);
    CHECK(report.rewound_to.number < busy);
    CHECK(source.cursor() == report.rewound_to);
    std::set<std::string> orphaned;
    for (const auto& claim : report.claims) orphaned.insert(core::to_hex(claim));
    std::set<std::string> busy_claims;
    for (const auto& bundle : bundles) {
      if (bundle.source.block_number == busy) busy_claims.insert(core::to_hex(bundle.claim));
    }
    CHECK(busy_claims.size() == 4);
    CHECK(orphaned == busy_claims);
    CHECK(rewound->bundles.empty());

    // Rescanning the new chain finds no events in the replacement block and reaches the head.
    for (int polls = 0; source.cursor().number < busy; ++polls) {
      REQUIRE(polls < 10);
      auto again = run(io, source.poll());
      REQUIRE(again.ok());
      CHECK_FALSE(again->orphaned.has_value());
      CHECK(again->bundles.empty());
    }
    CHECK(source.cursor().number == busy);
    CHECK(source.cursor().hash != before.hash);
  }

  SECTION("find_sent locates a sent sequence without moving the cursor, and it proves") {
    auto created = evm::EvmSource::create(node, config);
    REQUIRE(created.ok());
    evm::EvmSource& source = **created;
    REQUIRE(run(io, source.start()).ok());
    const evm::BlockRef cursor = source.cursor();

    // The outbound lane's next sequence, read from the gateway before and after one send.
    evm::GatewayReader reader(node, gateway);
    const auto dst_chain = *core::fixed_from_hex<core::ChainIdentity>(b["chainIdentity"].get<std::string>());
    const core::Word32 dst_gateway =
        core::address_word(*core::fixed_from_hex<core::Address>(b["gateway"].get<std::string>()));
    auto next = run(io, reader.next_sequence(dst_chain, dst_gateway, false));
    REQUIRE(next.ok());
    const json sent = wait_receipt(rpc, call(rpc, "eth_sendTransaction",
                                             json::array({{{"from", a["devAccount"]},
                                                           {"to", a["gateway"]},
                                                           {"data", send_calldata(a, b, "reconcile me")}}})));
    auto after = run(io, reader.next_sequence(dst_chain, dst_gateway, false));
    REQUIRE(after.ok());
    CHECK(*after == *next + 1);
    const std::uint64_t head = quantity(call(rpc, "eth_blockNumber"));

    auto found = run(io, source.find_sent({.dst_chain = dst_chain,
                                           .sequences = {*next, *next + 1000},
                                           .from = config.start_height,
                                           .to = head}));
    INFO((found.ok() ? std::string() : found.error().message()));
    REQUIRE(found.ok());
    REQUIRE(found->size() == 1);
    const evm::LocatedEvent& event = found->front();
    CHECK(event.block.number == quantity(sent["blockNumber"]));
    CHECK(event.tx_hash == hash32(sent["transactionHash"]));
    CHECK(source.cursor() == cursor);
    auto proven = run(io, source.prove({.block = event.block, .events = {event}}));
    REQUIRE(proven.ok());
    REQUIRE(proven->bundles.size() == 1);
    CHECK(proven->rejected.empty());
    CHECK(proven->bundles[0].message.sequence.value == *next);
    CHECK(proven->bundles[0].message.dst_chain == dst_chain);
    REQUIRE(proven->tx_hashes.size() == 1);
    CHECK(proven->tx_hashes[0] == event.tx_hash);
    // Another destination's lanes have no such sequence.
    auto elsewhere = run(io, source.find_sent({.dst_chain = identity, .sequences = {*next}, .from = config.start_height,
                                               .to = head}));
    REQUIRE(elsewhere.ok());
    CHECK(elsewhere->empty());
  }
}
