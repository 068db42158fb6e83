// Integration test of adapters/evm/sink against a real devnet (single-operator: one attester,
// threshold 1): three messages from chain a's gateway delivered to PingEcho on chain b in ONE
// batched deliver, journaled in the real SQLite store, confirmed by receipt with three
// MessageExecuted (status 1), visible through inbox_state; a resubmission is a no-op and the
// journal's nonces match the chain's transaction count without a gap; a fee bump with automine
// off replaces the original, which never mines.
#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "adapters/evm/keystore.hpp"
#include "adapters/evm/rpc_json.hpp"
#include "adapters/evm/sink.hpp"
#include "adapters/evm/vote_signer.hpp"
#include "relay/core/abi.hpp"
#include "relay/core/eip712.hpp"
#include "relay/core/hash.hpp"
#include "relay/core/message.hpp"
#include "relay/net/client.hpp"
#include "relay/store/store.hpp"
#include "tests/integration/devnet_fixture.hpp"

using namespace causeway;
using nlohmann::json;

namespace {

template <typename Fixed>
Fixed from_hex(const json& j) {
  return *core::fixed_from_hex<Fixed>(j.get<std::string>());
}

core::Word32 address_word_of(const json& j) { return core::address_word(from_hex<core::Address>(j)); }

std::uint64_t transaction_count(boost::asio::io_context& io, evm::Rpc& rpc, const core::Address& account) {
  json params = json::array();
  params.push_back(core::to_hex(account));
  params.push_back("latest");
  auto count = test::run(io, rpc.call("eth_getTransactionCount", std::move(params)));
  REQUIRE(count.ok());
  return *evm::quantity_u64(*count, "count");
}

evm::Confirmation wait_confirmed(boost::asio::io_context& io, evm::EvmSink& sink, const evm::SubmitHandle& handle) {
  for (int i = 0; i < 200; ++i) {
    auto c = test::run(io, sink.confirm(handle));
    REQUIRE(c.ok());
    if (c->state != evm::Confirmation::State::kPending) return std::move(*c);
    ::usleep(50000);
  }
  FAIL("no receipt for " << core::to_hex(handle.tx_hash));
  return {};
}

}  // namespace

TEST_CASE("evm sink on a real devnet: one batched deliver of three messages", "[integration]") {
  test::Devnet devnet("evm-sink", "CAUSEWAY_DEVNET_ATTESTERS=1 CAUSEWAY_DEVNET_THRESHOLD=1");
  const json& a = devnet.chain(0);
  const json& b = devnet.chain(1);
  const json& manifest = devnet.manifest();
  const std::uint64_t chain_id = std::stoull(b["chainId"].get<std::string>());
  const auto gateway = from_hex<core::Address>(b["gateway"]);
  const auto identity = from_hex<core::ChainIdentity>(b["chainIdentity"]);

  boost::asio::io_context io;
  auto client = net::Client::create(io.get_executor(), {net::EndpointConfig{b["rpc"]["http"].get<std::string>()}});
  REQUIRE(client.ok());
  evm::NetRpc rpc(**client);

  // Keys from the manifest: chain b's gas key, the single vote key.
  std::string gas_file;
  for (const auto& k : manifest["keys"]["gas"]) {
    if (k["chain"] == b["name"]) gas_file = k["file"].get<std::string>();
  }
  REQUIRE_FALSE(gas_file.empty());
  auto gas = evm::load_raw_key_file(gas_file);
  REQUIRE(gas.ok());
  const core::Address gas_address = gas->address;
  REQUIRE(manifest["keys"]["vote"].size() == 1);
  auto vote_key = evm::load_raw_key_file(manifest["keys"]["vote"][0]["file"].get<std::string>());
  REQUIRE(vote_key.ok());
  auto voter = evm::VoteSigner::create(std::move(vote_key->key), gas_address);
  REQUIRE(voter.ok());

  // The real SQLite journal.
  const auto store_dir = devnet.state_dir() / "store";
  test::fs::create_directories(store_dir);
  auto store = store::Store::open((store_dir / "relay.db").string());
  REQUIRE(store.ok());

  evm::SinkConfig config;
  config.chain_id = chain_id;
  config.gateway = gateway;
  config.gas_key.emplace(std::move(gas->key));
  config.journal = &(*store)->journal();
  auto created = test::run(io, evm::EvmSink::create(rpc, std::move(config)));
  REQUIRE(created.ok());
  evm::EvmSink& sink = **created;
  CHECK(sink.gas_address() == gas_address);
  const std::uint64_t first_nonce = transaction_count(io, rpc, gas_address);
  CHECK(sink.nonces().next_nonce() == first_nonce);

  // Three PingEcho echoes from chain a's (trusted) gateway, with Deliver votes of the attester.
  const core::Eip712Domain domain = core::causeway_domain(chain_id, gateway, identity);
  const core::Epoch epoch{manifest["attesters"]["epoch"].get<std::uint64_t>()};
  evm::SubmitRequest request;
  std::vector<core::MessageId> ids;
  for (std::uint64_t i = 0; i < 3; ++i) {
    core::Message m;
    m.src_chain = from_hex<core::ChainIdentity>(a["chainIdentity"]);
    m.src_gateway = address_word_of(a["gateway"]);
    m.dst_chain = identity;
    m.dst_gateway = core::address_word(gateway);
    m.receiver = address_word_of(b["contracts"]["PingEcho"]);
    m.sequence = core::Sequence{1000 + i};
    m.sender = address_word_of(a["contracts"]["PingEcho"]);
    m.gas_limit = 200000;
    const std::string text = "sink echo " + std::to_string(i);
    m.payload = core::abi::encode({core::abi::uint(2), core::abi::bytes(core::as_bytes(text))});  // KIND_ECHO
    const core::MessageId id = core::message_id(m);
    const core::Claim claim{core::keccak256(core::as_bytes("claim " + std::to_string(i))).bytes};
    auto vote = voter->sign(domain, core::DeliverVote{.id = id, .claim = claim, .epoch = epoch});
    REQUIRE(vote.ok());
    request.messages.push_back(m);
    request.claims.push_back(claim);
    request.signatures.push_back({vote->rsv});
    ids.push_back(id);
  }

  auto before = test::run(io, sink.inbox_state(evm::InboxRequest{ids}));
  REQUIRE(before.ok());
  for (const auto& e : *before) CHECK_FALSE(e.executed);

  auto handle = test::run(io, sink.submit(request));
  REQUIRE(handle.ok());
  CHECK(handle->broadcast);
  CHECK(handle->nonce == first_nonce);
  const evm::Confirmation done = wait_confirmed(io, sink, *handle);
  REQUIRE(done.state == evm::Confirmation::State::kDelivered);
  REQUIRE(done.executed.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(done.executed[i].id == ids[i]);
    CHECK(done.executed[i].status == core::ExecStatus::kOk);
    CHECK(done.executed[i].claim == request.claims[i]);
  }
  auto record = (*store)->journal().find(core::FindRequest{.key = sink.nonces().key(), .tx_hash = handle->tx_hash});
  REQUIRE(record.ok());
  REQUIRE(record->has_value());
  CHECK((*record)->state == core::SubmissionState::kConfirmed);

  auto inbox = test::run(io, sink.inbox_state(evm::InboxRequest{ids}));
  REQUIRE(inbox.ok());
  REQUIRE(inbox->size() == 3);
  for (const auto& e : *inbox) {
    CHECK(e.executed);
    CHECK(e.status == 1);
  }

  // The same batch again: the gateway no-ops executed entries (no events, no revert).
  auto again = test::run(io, sink.submit(request));
  REQUIRE(again.ok());
  CHECK(again->nonce == first_nonce + 1);
  const evm::Confirmation noop = wait_confirmed(io, sink, *again);
  CHECK(noop.state == evm::Confirmation::State::kDelivered);
  CHECK(noop.executed.empty());

  // No gap: the journal's highest nonce is the last the chain counted.
  auto last = (*store)->journal().last_nonce(core::LastNonceRequest{.key = sink.nonces().key()});
  REQUIRE(last.ok());
  REQUIRE(last->has_value());
  CHECK(**last == first_nonce + 1);
  CHECK(transaction_count(io, rpc, gas_address) == first_nonce + 2);
  CHECK(sink.nonces().live().empty());

  // A fee bump of a stuck submission: with automine off the original waits in the pool, the
  // replacement (same nonce, higher fees) takes its place, and only the replacement mines.
  json automine_off = json::array();
  automine_off.push_back(false);
  REQUIRE(test::run(io, rpc.call("evm_setAutomine", std::move(automine_off))).ok());
  auto stuck = test::run(io, sink.submit(request));
  REQUIRE(stuck.ok());
  auto bumped = test::run(io, sink.bump(*stuck));
  INFO((bumped.ok() ? std::string() : bumped.error().message()));
  REQUIRE(bumped.ok());
  CHECK(bumped->nonce == stuck->nonce);
  CHECK(bumped->broadcast);
  REQUIRE(test::run(io, rpc.call("evm_mine", json::array())).ok());
  json automine_on = json::array();
  automine_on.push_back(true);
  REQUIRE(test::run(io, rpc.call("evm_setAutomine", std::move(automine_on))).ok());
  const evm::Confirmation replaced = wait_confirmed(io, sink, *stuck);  // the original's handle
  CHECK(replaced.state == evm::Confirmation::State::kDelivered);
  CHECK(replaced.tx_hash == bumped->tx_hash);
  json original_params = json::array();
  original_params.push_back(core::to_hex(stuck->tx_hash));
  auto original_receipt = test::run(io, rpc.call("eth_getTransactionReceipt", std::move(original_params)));
  REQUIRE(original_receipt.ok());
  CHECK(original_receipt->is_null());
  CHECK(transaction_count(io, rpc, gas_address) == first_nonce + 3);
  CHECK(sink.nonces().live().empty());
  REQUIRE((*store)->close().ok());
}
