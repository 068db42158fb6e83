// Integration test of adapters/evm/sink against a real devnet (single-operator: one attester,
// threshold 1): three messages from chain a's gateway delivered to PingEcho on chain b in ONE
// batched deliver, journaled in the real SQLite store, confirmed by receipt with three
// MessageExecuted (status 1), visible through inbox_state; a resubmission is a no-op and the
// journal's nonces match the chain's transaction count without a gap; a fee bump with automine
// off replaces the original, which never mines. Then the acknowledgement path: a ping sent on a,
// found by sequence and proven by the source, delivered on b, its MessageExecuted proven back by
// b's source (a bundle the verifier accepts only with the right message), acknowledged on a and
// visible through GatewayReader.
#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "adapters/evm/gateway_reader.hpp"
#include "adapters/evm/keystore.hpp"
#include "adapters/evm/rpc_json.hpp"
#include "adapters/evm/sink.hpp"
#include "adapters/evm/source.hpp"
#include "adapters/evm/vote_signer.hpp"
#include "relay/core/abi.hpp"
#include "relay/core/eip712.hpp"
#include "relay/core/hash.hpp"
#include "relay/core/message.hpp"
#include "relay/net/client.hpp"
#include "relay/store/store.hpp"
#include "relay/verify/verify.hpp"
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

json call_ok(boost::asio::io_context& io, evm::Rpc& rpc, const std::string& method, json params) {
  auto result = test::run(io, rpc.call(method, std::move(params)));
  INFO(method << ": " << (result.ok() ? std::string() : result.error().message()));
  REQUIRE(result.ok());
  return std::move(result).value();
}

json wait_receipt(boost::asio::io_context& io, evm::Rpc& rpc, const std::string& tx_hash) {
  for (int i = 0; i < 200; ++i) {
    json receipt = call_ok(io, rpc, "eth_getTransactionReceipt", json::array({tx_hash}));
    if (!receipt.is_null()) return receipt;
    ::usleep(50000);
  }
  FAIL("no receipt for " << tx_hash);
  return {};
}

std::string gas_key_file(const json& manifest, const json& chain) {
  for (const auto& k : manifest["keys"]["gas"]) {
    if (k["chain"] == chain["name"]) return k["file"].get<std::string>();
  }
  return {};
}

// A source of `chain` from `from`, polled up to the chain's head.
evm::PollResult poll_to_head(boost::asio::io_context& io, evm::Rpc& rpc, const json& chain, std::uint64_t from,
                             bool executions) {
  evm::SourceConfig config;
  config.chain_id = std::stoull(chain["chainId"].get<std::string>());
  config.chain_identity = from_hex<core::ChainIdentity>(chain["chainIdentity"]);
  config.gateway = from_hex<core::Address>(chain["gateway"]);
  config.start_height = from;
  config.executions = executions;
  auto source = evm::EvmSource::create(rpc, config);
  REQUIRE(source.ok());
  REQUIRE(test::run(io, (*source)->start()).ok());
  const std::uint64_t head = *evm::quantity_u64(call_ok(io, rpc, "eth_blockNumber", json::array()), "head");
  evm::PollResult all;
  for (int polls = 0; (*source)->cursor().number < head; ++polls) {
    REQUIRE(polls < 20);
    auto polled = test::run(io, (*source)->poll());
    INFO((polled.ok() ? std::string() : polled.error().message()));
    REQUIRE(polled.ok());
    CHECK(polled->rejected.empty());
    for (auto& bundle : polled->bundles) all.bundles.push_back(std::move(bundle));
    for (auto& execution : polled->executions) all.executions.push_back(std::move(execution));
  }
  return all;
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
  auto voter = evm::VoteSigner::create(core::LocalSigner::make(std::move(vote_key->key)), gas_address);
  REQUIRE(voter.ok());

  // The real SQLite journal.
  const auto store_dir = devnet.state_dir() / "store";
  test::fs::create_directories(store_dir);
  auto store = store::Store::open((store_dir / "relay.db").string());
  REQUIRE(store.ok());

  evm::SinkConfig config;
  config.chain_id = chain_id;
  config.gateway = gateway;
  config.gas_key = core::LocalSigner::make(std::move(gas->key));
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

TEST_CASE("evm sink and source on a real devnet: an execution proven back and acknowledged", "[integration]") {
  test::Devnet devnet("evm-ack", "CAUSEWAY_DEVNET_ATTESTERS=1 CAUSEWAY_DEVNET_THRESHOLD=1");
  const json& a = devnet.chain(0);
  const json& b = devnet.chain(1);
  const json& manifest = devnet.manifest();
  const std::uint64_t chain_id_a = std::stoull(a["chainId"].get<std::string>());
  const std::uint64_t chain_id_b = std::stoull(b["chainId"].get<std::string>());
  const auto gateway_a = from_hex<core::Address>(a["gateway"]);
  const auto gateway_b = from_hex<core::Address>(b["gateway"]);
  const auto identity_a = from_hex<core::ChainIdentity>(a["chainIdentity"]);
  const auto identity_b = from_hex<core::ChainIdentity>(b["chainIdentity"]);

  boost::asio::io_context io;
  auto client_a = net::Client::create(io.get_executor(), {net::EndpointConfig{a["rpc"]["http"].get<std::string>()}});
  auto client_b = net::Client::create(io.get_executor(), {net::EndpointConfig{b["rpc"]["http"].get<std::string>()}});
  REQUIRE(client_a.ok());
  REQUIRE(client_b.ok());
  evm::NetRpc rpc_a(**client_a);
  evm::NetRpc rpc_b(**client_b);

  auto gas_a = evm::load_raw_key_file(gas_key_file(manifest, a));
  auto gas_b = evm::load_raw_key_file(gas_key_file(manifest, b));
  REQUIRE(gas_a.ok());
  REQUIRE(gas_b.ok());
  auto vote_key = evm::load_raw_key_file(manifest["keys"]["vote"][0]["file"].get<std::string>());
  REQUIRE(vote_key.ok());
  const std::vector<core::Address> gas_addresses{gas_a->address, gas_b->address};
  auto voter = evm::VoteSigner::create(core::LocalSigner::make(std::move(vote_key->key)), gas_addresses);
  REQUIRE(voter.ok());

  // The gateway's own view of its attester set, as the manifest says it deployed it.
  evm::GatewayReader reader_a(rpc_a, gateway_a);
  const auto epoch = test::run(io, reader_a.epoch());
  REQUIRE(epoch.ok());
  CHECK(*epoch == manifest["attesters"]["epoch"].get<std::uint64_t>());
  const auto threshold = test::run(io, reader_a.threshold());
  REQUIRE(threshold.ok());
  CHECK(*threshold == 1);
  const auto attesters = test::run(io, reader_a.attesters());
  REQUIRE(attesters.ok());
  REQUIRE(attesters->size() == 1);
  CHECK((*attesters)[0] == voter->address());
  const auto paused = test::run(io, reader_a.paused());
  REQUIRE(paused.ok());
  CHECK_FALSE(*paused);
  const core::Word32 ping_b = address_word_of(b["contracts"]["PingEcho"]);
  const auto next = test::run(io, reader_a.next_sequence(identity_b, core::address_word(gateway_b), false));
  REQUIRE(next.ok());
  const auto inbound = test::run(io, evm::GatewayReader(rpc_b, gateway_b).next_inbound(identity_a,
                                                                                        core::address_word(gateway_a)));
  REQUIRE(inbound.ok());
  CHECK(*inbound >= 1);

  // A ping from a's PingEcho (an application with an ack hook) to b's.
  namespace abi = core::abi;
  core::Bytes ping = evm::function_selector("ping(bytes32,bytes32,bool,bytes)");
  core::append(ping, abi::encode({abi::word(identity_b), abi::word(ping_b), abi::boolean(false),
                                  abi::bytes(core::as_bytes("acknowledge me"))}));
  json send = {{"from", a["devAccount"]}, {"to", a["contracts"]["PingEcho"]}, {"data", core::to_hex(ping)},
               {"gas", "0x100000"}};
  const std::string sent_tx = call_ok(io, rpc_a, "eth_sendTransaction", json::array({send})).get<std::string>();
  const json sent = wait_receipt(io, rpc_a, sent_tx);
  REQUIRE(sent["status"] == "0x1");
  const std::uint64_t sent_block = *evm::quantity_u64(sent["blockNumber"], "blockNumber");

  // Reconciliation's way to it: a's source finds the sequence and proves it.
  verify::Bundle message_bundle;
  {
    evm::SourceConfig config;
    config.chain_id = chain_id_a;
    config.chain_identity = identity_a;
    config.gateway = gateway_a;
    config.start_height = a["deployBlock"].get<std::uint64_t>();
    auto source = evm::EvmSource::create(rpc_a, config);
    REQUIRE(source.ok());
    REQUIRE(test::run(io, (*source)->start()).ok());
    auto found = test::run(io, (*source)->find_sent({.dst_chain = identity_b, .sequences = {*next},
                                                     .from = config.start_height, .to = sent_block}));
    REQUIRE(found.ok());
    REQUIRE(found->size() == 1);
    auto proven = test::run(io, (*source)->prove({.block = found->front().block, .events = *found}));
    REQUIRE(proven.ok());
    REQUIRE(proven->bundles.size() == 1);
    CHECK(proven->tx_hashes.at(0) == from_hex<core::Hash32>(json(sent_tx)));
    message_bundle = std::move(proven->bundles[0]);
  }
  const core::Message& message = message_bundle.message;
  const core::MessageId id = core::message_id(message);
  CHECK(message.sequence.value == *next);
  CHECK(message.sender == address_word_of(a["contracts"]["PingEcho"]));

  // Delivered on b with the attester's Deliver vote.
  const std::string store_dir = (devnet.state_dir() / "store").string();
  test::fs::create_directories(store_dir);
  auto store = store::Store::open(store_dir + "/relay.db");
  REQUIRE(store.ok());
  const auto sink_for = [&](std::uint64_t chain_id, const core::Address& gateway, core::PrivateKey key) {
    evm::SinkConfig config;
    config.chain_id = chain_id;
    config.gateway = gateway;
    config.gas_key = core::LocalSigner::make(std::move(key));
    config.journal = &(*store)->journal();
    return test::run(io, evm::EvmSink::create(chain_id == chain_id_a ? static_cast<evm::Rpc&>(rpc_a) : rpc_b,
                                              std::move(config)));
  };
  auto sink_b = sink_for(chain_id_b, gateway_b, std::move(gas_b->key));
  REQUIRE(sink_b.ok());
  const core::Epoch vote_epoch{*epoch};
  auto deliver_vote = voter->sign(core::causeway_domain(chain_id_b, gateway_b, identity_b),
                                  core::DeliverVote{.id = id, .claim = message_bundle.claim, .epoch = vote_epoch});
  REQUIRE(deliver_vote.ok());
  evm::SubmitRequest deliver;
  deliver.messages.push_back(message);
  deliver.claims.push_back(message_bundle.claim);
  deliver.signatures.push_back({deliver_vote->rsv});
  auto delivered = test::run(io, (*sink_b)->submit(deliver));
  REQUIRE(delivered.ok());
  const evm::Confirmation executed_on_b = wait_confirmed(io, **sink_b, *delivered);
  REQUIRE(executed_on_b.state == evm::Confirmation::State::kDelivered);
  REQUIRE(executed_on_b.executed.size() == 1);
  CHECK(executed_on_b.executed[0].id == id);

  // b's source with executions on proves the MessageExecuted back.
  const evm::PollResult on_b = poll_to_head(io, rpc_b, b, executed_on_b.block_number, true);
  REQUIRE(on_b.executions.size() == 1);
  evm::ObservedExecution observed = on_b.executions[0];
  CHECK(observed.id == id);
  CHECK(observed.src_chain == identity_a);
  CHECK(observed.sequence == *next);
  CHECK(observed.outcome.status == core::ExecStatus::kOk);
  CHECK(observed.outcome.claim == message_bundle.claim);
  CHECK(observed.tx_hash == executed_on_b.tx_hash);
  CHECK(observed.bundle.kind == verify::BundleKind::kExecution);

  // The pure verifier, with b's anchor and the node's canonical hash, accepts it once the message
  // is filled in, and names the failure when the message is another one.
  verify::TrustAnchors anchors;
  verify::ChainAnchor anchor;
  anchor.name = "b";
  anchor.chain_id = chain_id_b;
  anchor.genesis_hash = from_hex<core::Hash32>(b["genesisHash"]);
  anchor.chain_identity = identity_b;
  anchor.gateway = gateway_b;
  anchor.consensus.mode = verify::ConsensusMode::kTrusted;
  anchor.insecure = true;
  anchor.limits.max_payload = 1u << 16;
  anchors.chains.push_back(anchor);
  verify::CanonicalHashMap canonical;
  const std::uint64_t exec_block = observed.bundle.source.block_number;
  canonical.add(identity_b, exec_block,
                from_hex<core::Hash32>(call_ok(io, rpc_b, "eth_getBlockByNumber",
                                               json::array({evm::to_quantity(exec_block), false}))["hash"]));
  verify::Bundle with_message = observed.bundle;
  with_message.message = message;
  const verify::Verdict valid = verify::verify_bundle(with_message, anchors, canonical);
  INFO(verify::verdict_to_json(valid).dump());
  CHECK(valid.outcome == verify::Outcome::kValid);
  REQUIRE(valid.execution.has_value());
  CHECK(*valid.execution == observed.outcome);
  REQUIRE(valid.claim.has_value());
  CHECK(*valid.claim == observed.bundle.claim);
  verify::Bundle other = with_message;
  other.message.payload.push_back(0x00);  // another message of the same lane and sequence
  const verify::Verdict invalid = verify::verify_bundle(other, anchors, canonical);
  CHECK(invalid.outcome == verify::Outcome::kInvalid);
  CHECK(invalid.root.reason == verify::reason::kMessageIdMismatch);

  // Acknowledged on a with the attester's Ack vote: the gateway stores the status and a's
  // PingEcho hook runs within the gas the sink left for it.
  auto sink_a = sink_for(chain_id_a, gateway_a, std::move(gas_a->key));
  REQUIRE(sink_a.ok());
  const core::Eip712Domain domain_a = core::causeway_domain(chain_id_a, gateway_a, identity_a);
  const core::Claim ack_claim = observed.bundle.claim;
  auto ack_vote = voter->sign(domain_a, core::AckVote{.id = id, .status = core::ExecStatus::kOk, .claim = ack_claim,
                                                      .epoch = vote_epoch});
  REQUIRE(ack_vote.ok());
  evm::AckRequest ack;
  ack.acks = {evm::Ack{id, core::ExecStatus::kOk, ack_claim, {ack_vote->rsv}}};
  ack.tag = "ack";
  auto before = test::run(io, reader_a.ack_status({id}));
  REQUIRE(before.ok());
  CHECK(*before == std::vector<std::uint8_t>{0});
  auto acked = test::run(io, (*sink_a)->acknowledge(ack));
  INFO((acked.ok() ? std::string() : acked.error().message()));
  REQUIRE(acked.ok());
  const evm::Confirmation ack_done = wait_confirmed(io, **sink_a, *acked);
  CHECK(ack_done.state == evm::Confirmation::State::kDelivered);
  CHECK(ack_done.executed.empty());
  auto status = test::run(io, reader_a.ack_status({id}));
  REQUIRE(status.ok());
  CHECK(*status == std::vector<std::uint8_t>{1});
  core::Bytes acks_call = evm::function_selector("acks(bytes32)");
  core::append(acks_call, abi::encode({abi::word(id)}));
  json hook_params = json::array({{{"to", a["contracts"]["PingEcho"]}, {"data", core::to_hex(acks_call)}}, "latest"});
  CHECK(call_ok(io, rpc_a, "eth_call", std::move(hook_params)) == core::to_hex(abi::uint_word(1)));

  // A second acknowledgement of the id is a no-op the gateway accepts (stale input never fails a
  // racing relay, Gateway.sol): it mines, emits nothing and leaves the status.
  auto again = test::run(io, (*sink_a)->acknowledge(ack));
  REQUIRE(again.ok());
  const evm::Confirmation noop = wait_confirmed(io, **sink_a, *again);
  CHECK(noop.state == evm::Confirmation::State::kDelivered);
  CHECK(wait_receipt(io, rpc_a, core::to_hex(again->tx_hash))["logs"].empty());
  auto unchanged = test::run(io, reader_a.ack_status({id}));
  REQUIRE(unchanged.ok());
  CHECK(*unchanged == std::vector<std::uint8_t>{1});

  // An id a never sent is refused at the estimate, with the gateway's UnknownMessage(id) error,
  // and so is an acknowledgeAll transaction carrying it beside the (stale) genuine one.
  evm::Ack unknown = ack.acks.front();
  unknown.id = core::MessageId{core::keccak256(core::as_bytes("never sent")).bytes};
  auto unknown_vote = voter->sign(domain_a, core::AckVote{.id = unknown.id, .status = core::ExecStatus::kOk,
                                                          .claim = ack_claim, .epoch = vote_epoch});
  REQUIRE(unknown_vote.ok());
  unknown.signatures = {unknown_vote->rsv};
  const std::string unknown_error = core::to_hex(evm::function_selector("UnknownMessage(bytes32)"));
  auto refused = test::run(io, (*sink_a)->acknowledge(evm::AckRequest{{unknown}, "ack unknown"}));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().reason() == evm::reason::sink::kEstimateReverted);
  CHECK(refused.error().detail().find(unknown_error) != std::string::npos);
  auto refused_all = test::run(io, (*sink_a)->acknowledge(evm::AckRequest{{ack.acks.front(), unknown}, "ack both"}));
  REQUIRE_FALSE(refused_all.ok());
  CHECK(refused_all.error().reason() == evm::reason::sink::kEstimateReverted);
  CHECK(refused_all.error().detail().find(unknown_error) != std::string::npos);
  REQUIRE((*store)->close().ok());
}
