// Tests for adapters/evm/source against an in-memory chain: configuration and start-up checks,
// log index within the receipt (THREATS 17), bounded and halved eth_getLogs ranges, the receipts
// root check, confirmations, the reorg-aware cursor (THREATS 22), MessageExecuted events,
// private-transaction refusal and reconciliation lookups.
#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "adapters/evm/rpc_json.hpp"
#include "adapters/evm/source.hpp"
#include "relay/core/abi.hpp"
#include "relay/core/hash.hpp"
#include "relay/verify/bundle.hpp"
#include "relay/verify/evm_header.hpp"
#include "relay/verify/inclusion.hpp"
#include "tests/unit/evm/fake_chain.hpp"

using namespace causeway;
using causeway::test::FakeChain;
using causeway::test::run_task;
using nlohmann::json;

namespace {

struct Harness {
  FakeChain chain;
  boost::asio::io_context io;
  std::unique_ptr<evm::EvmSource> source;

  void start(evm::SourceConfig config) {
    auto created = evm::EvmSource::create(chain, std::move(config));
    REQUIRE(created.ok());
    source = std::move(created).value();
    auto started = run_task(io, source->start());
    INFO((started.ok() ? std::string() : started.error().message()));
    REQUIRE(started.ok());
  }
  core::Result<evm::PollResult> poll() { return run_task(io, source->poll()); }
  // Polls until the cursor reaches the head; returns every bundle.
  std::vector<verify::Bundle> drain() {
    std::vector<verify::Bundle> out;
    for (int i = 0; i < 100 && source->cursor().number < chain.height(); ++i) {
      auto result = poll();
      INFO((result.ok() ? std::string() : result.error().message()));
      REQUIRE(result.ok());
      CHECK(result->rejected.empty());
      for (auto& b : result->bundles) out.push_back(std::move(b));
    }
    return out;
  }
};

verify::FinalizedHeader finalized(const verify::Bundle& bundle) {
  auto header = verify::decode_evm_header(bundle.source.header);
  REQUIRE(header.ok());
  verify::FinalizedHeader f;
  f.hash = verify::plain_hash(*header);
  f.number = header->number;
  f.receipts_root = verify::to_hash32(header->receipts_root);
  return f;
}

}  // namespace

TEST_CASE("evm source: a bad configuration is refused by name", "[unit]") {
  FakeChain chain;
  auto refuse = [&](auto mutate) {
    evm::SourceConfig config = chain.config();
    mutate(config);
    auto created = evm::EvmSource::create(chain, config);
    REQUIRE_FALSE(created.ok());
    CHECK(created.error().reason() == evm::reason::source::kBadConfig);
  };
  refuse([](evm::SourceConfig& c) { c.chain_id = 0; });
  refuse([](evm::SourceConfig& c) { c.chain_identity = {}; });
  refuse([](evm::SourceConfig& c) { c.gateway = {}; });
  refuse([](evm::SourceConfig& c) { c.start_height = 0; });
  refuse([](evm::SourceConfig& c) { c.max_range = 0; });
  refuse([](evm::SourceConfig& c) { c.reorg_window = 1; });
}

TEST_CASE("evm source: the start-up check refuses another chain id or identity, and nothing runs before it", "[unit]") {
  FakeChain chain;
  boost::asio::io_context io;
  auto config = chain.config();
  auto check = [&](const evm::SourceConfig& c, core::Reason reason) {
    auto source = evm::EvmSource::create(chain, c);
    REQUIRE(source.ok());
    auto polled = run_task(io, (*source)->poll());
    CHECK(polled.error().reason() == evm::reason::source::kNotStarted);
    auto started = run_task(io, (*source)->start());
    REQUIRE_FALSE(started.ok());
    CHECK(started.error().reason() == reason);
    CHECK(run_task(io, (*source)->head()).error().reason() == evm::reason::source::kNotStarted);
    CHECK(run_task(io, (*source)->scan({.from = 0, .to = 1})).error().reason() == evm::reason::source::kNotStarted);
  };
  auto wrong_id = config;
  wrong_id.chain_id = FakeChain::kChainId + 1;
  check(wrong_id, evm::reason::source::kWrongChainId);
  auto wrong_identity = config;
  wrong_identity.chain_identity.bytes[0] ^= 1;
  check(wrong_identity, evm::reason::source::kIdentityMismatch);
  // A genesis whose JSON hash is not its header's: named, not believed.
  chain.block(0)["hash"] = FakeChain::hex32("forged genesis");
  check(config, evm::reason::header_json::kHashMismatch);
}

TEST_CASE("evm source: several events in one transaction get their log index within the receipt (THREATS 17)",
          "[unit]") {
  // Polled alone the block's events come from its receipts; in a range, from eth_getLogs.
  const bool range = GENERATE(false, true);
  INFO((range ? "eth_getLogs" : "receipts"));
  Harness h;
  h.chain.mine({{.messages = 0, .other_logs = 2}, {.messages = 1, .other_logs = 1}, {.failed = true},
                {.messages = 3, .other_logs = 0}});
  if (range) h.chain.mine({});
  h.start(h.chain.config());
  const auto bundles = h.drain();
  CHECK(h.chain.get_logs_calls() == (range ? 1 : 0));
  REQUIRE(bundles.size() == 4);
  const std::pair<std::uint32_t, std::uint32_t> expected[] = {{1, 1}, {3, 0}, {3, 1}, {3, 2}};
  std::set<core::Claim> claims;
  for (std::size_t i = 0; i < bundles.size(); ++i) {
    const auto& b = bundles[i];
    CHECK(b.inclusion.tx_index == expected[i].first);
    CHECK(b.inclusion.log_index == expected[i].second);
    CHECK(b.source.block_hash == h.chain.hash(1));
    CHECK(b.source.chain_identity == h.chain.identity());
    // The verifier's own inclusion check accepts it and recomputes the same claim.
    const verify::ReceiptProofInput input{.tx_index = b.inclusion.tx_index, .log_index = b.inclusion.log_index,
                                          .receipt = b.inclusion.receipt, .proof = b.inclusion.proof};
    auto sent = verify::verify_message_sent(finalized(b), input, h.chain.gateway(), {.max_payload = 1024});
    INFO((sent.ok() ? std::string() : sent.error().message()));
    REQUIRE(sent.ok());
    CHECK(sent->claim == b.claim);
    CHECK(sent->message == b.message);
    claims.insert(b.claim);
  }
  CHECK(claims.size() == 4);
}

TEST_CASE("evm source: eth_getLogs ranges are capped and halved on too many results", "[unit]") {
  Harness h;
  for (int i = 0; i < 30; ++i) h.chain.mine({{.messages = 1}});
  h.chain.set_max_logs(5);
  auto config = h.chain.config();
  config.max_range = 16;
  h.start(config);
  const auto first = h.poll();
  REQUIRE(first.ok());
  CHECK(first->cursor.number == 16);  // one poll covers at most max_range blocks
  CHECK(first->bundles.size() == 16);
  const auto rest = h.drain();
  CHECK(rest.size() == 14);
  CHECK(h.chain.get_logs_calls() > 4);  // 16 and 8 were refused, then 4-block chunks

  // A single block with more results than the node allows cannot be split further.
  Harness tight;
  tight.chain.mine({{.messages = 3}});
  tight.chain.mine({});
  tight.chain.set_max_logs(2);
  tight.start(tight.chain.config());
  auto polled = tight.poll();
  REQUIRE_FALSE(polled.ok());
  CHECK(polled.error().reason() == evm::reason::source::kRangeTooSmall);
  CHECK(tight.source->cursor().number == 0);
}

TEST_CASE("evm source: a poll proves whole blocks up to max_poll_events, at least one block, and narrows its scan",
          "[unit]") {
  Harness h;
  h.chain.mine({{.messages = 3}});
  h.chain.mine({{.messages = 2}});
  h.chain.mine({{.messages = 6}});
  h.chain.mine({});
  h.chain.mine({{.messages = 1}});
  auto config = h.chain.config();
  config.max_poll_events = 4;
  h.start(config);
  // The blocks each poll's eth_getLogs asked for, as [from, to].
  auto scanned = [&] {
    const json& filter = h.chain.filters().back();
    return std::pair<std::uint64_t, std::uint64_t>{std::stoull(filter.at("fromBlock").get<std::string>(), nullptr, 16),
                                                   std::stoull(filter.at("toBlock").get<std::string>(), nullptr, 16)};
  };
  CHECK(h.source->scan_span() == config.max_range);
  const auto first = h.poll();
  REQUIRE(first.ok());
  CHECK(first->bundles.size() == 3);  // block 2 would make 5
  CHECK(first->cursor.number == 1);
  CHECK(first->cursor.hash == h.chain.hash(1));
  CHECK(first->head == 5);
  CHECK(scanned() == std::pair<std::uint64_t, std::uint64_t>{1, 5});
  // The logs of blocks 2..5 were read and dropped: the next poll reads as many blocks as this one kept.
  CHECK(h.source->scan_span() == 1);
  const auto second = h.poll();
  REQUIRE(second.ok());
  CHECK(second->bundles.size() == 2);
  CHECK(second->cursor.number == 2);
  CHECK(h.chain.get_logs_calls() == 1);  // one block: its events come from its receipts
  CHECK(h.source->scan_span() == 2);  // all it read was kept: widened again
  const auto third = h.poll();
  REQUIRE(third.ok());
  CHECK(third->bundles.size() == 6);  // one block over the bound is still taken whole, with the empty one after it
  CHECK(third->cursor.number == 4);
  CHECK(scanned() == std::pair<std::uint64_t, std::uint64_t>{3, 4});
  // All of it kept, but more than half the bound: doubled, the next range would likely be cut.
  CHECK(h.source->scan_span() == 2);
  const auto fourth = h.poll();
  REQUIRE(fourth.ok());
  CHECK(fourth->bundles.size() == 1);
  CHECK(fourth->cursor.number == 5);
  CHECK(fourth->cursor.hash == h.chain.hash(5));
  CHECK(h.chain.get_logs_calls() == 2);  // the head, one block
  CHECK(h.source->scan_span() == 4);
  for (int i = 0; i < 3000; ++i) h.chain.mine({});
  const auto fifth = h.poll();
  REQUIRE(fifth.ok());
  CHECK(fifth->cursor.number == 9);
  CHECK(h.source->scan_span() == 8);
  for (int i = 0; i < 7; ++i) REQUIRE(h.poll().ok());
  CHECK(h.source->scan_span() == config.max_range);  // 16, 32 ... 512, then max_range and never past it
  REQUIRE(h.poll().ok());
  CHECK(h.source->scan_span() == config.max_range);

  Harness refused;
  auto bad = refused.chain.config();
  bad.max_poll_events = 0;
  auto created = evm::EvmSource::create(refused.chain, bad);
  REQUIRE_FALSE(created.ok());
  CHECK(created.error().reason() == evm::reason::source::kBadConfig);
}

TEST_CASE("evm source: receipts that miss the header's receiptsRoot are refused and the cursor stays", "[unit]") {
  Harness h;
  const auto block = h.chain.mine({{.messages = 1}, {.messages = 1}});
  h.chain.receipts(block)[1]["cumulativeGasUsed"] = "0x1";
  h.start(h.chain.config());
  auto polled = h.poll();
  REQUIRE_FALSE(polled.ok());
  CHECK(polled.error().reason() == evm::reason::receipt_json::kRootMismatch);
  CHECK(h.source->cursor().number == 0);
}

TEST_CASE("evm source: the head is the latest block minus the confirmations", "[unit]") {
  Harness h;
  for (int i = 0; i < 5; ++i) h.chain.mine({{.messages = 1}});
  auto config = h.chain.config();
  config.confirmations = 2;
  h.start(config);
  auto polled = h.poll();
  REQUIRE(polled.ok());
  CHECK(polled->head == 3);
  CHECK(polled->cursor.number == 3);
  CHECK(polled->bundles.size() == 3);
  auto again = h.poll();
  REQUIRE(again.ok());
  CHECK(again->bundles.empty());
  CHECK(again->cursor.number == 3);
}

TEST_CASE("evm source: a reorg rewinds to the last canonical height and reports the orphaned bundles (THREATS 22)",
          "[unit]") {
  Harness h;
  h.chain.mine({});                    // 1
  h.chain.mine({{.messages = 1}});     // 2
  h.chain.mine({});                    // 3
  h.chain.mine({{.messages = 2}});     // 4
  h.chain.mine({});                    // 5
  h.start(h.chain.config());
  const auto bundles = h.drain();
  REQUIRE(bundles.size() == 3);
  CHECK(h.source->cursor() == evm::BlockRef{5, h.chain.hash(5)});

  h.chain.reorg(2);  // blocks 4 and 5 replaced by empty ones
  auto rewound = h.poll();
  REQUIRE(rewound.ok());
  REQUIRE(rewound->orphaned.has_value());
  const auto& report = *rewound->orphaned;
  // Block 2 is the newest height the source knew a hash for that is still canonical.
  CHECK(report.rewound_to == evm::BlockRef{2, h.chain.hash(2)});
  CHECK(report.from == 3);
  CHECK(report.to == 5);
  REQUIRE(report.claims.size() == 2);
  CHECK(report.claims[0] == bundles[1].claim);
  CHECK(report.claims[1] == bundles[2].claim);
  CHECK(h.source->cursor() == report.rewound_to);

  const auto rescanned = h.drain();
  CHECK(rescanned.empty());
  CHECK(h.source->cursor() == evm::BlockRef{5, h.chain.hash(5)});
}

TEST_CASE("evm source: a reorg below every kept height halts with a named error", "[unit]") {
  Harness h;
  for (int i = 0; i < 6; ++i) h.chain.mine({});
  auto config = h.chain.config();
  config.start_height = 3;  // the first kept height is block 2
  h.start(config);
  h.drain();
  h.chain.reorg(5);  // blocks 2..6 replaced
  auto polled = h.poll();
  REQUIRE_FALSE(polled.ok());
  CHECK(polled.error().reason() == evm::reason::source::kReorgTooDeep);
  CHECK(h.poll().error().reason() == evm::reason::source::kNotStarted);
}

TEST_CASE("evm source: a block whose parent is not the cursor is not scanned", "[unit]") {
  Harness h;
  h.chain.mine({{.messages = 1}});
  h.start(h.chain.config());
  // The node now serves block 1 claiming another parent (its hash rebuilt to match).
  auto& block = h.chain.block(1);
  block["parentHash"] = FakeChain::hex32("elsewhere");
  block["hash"] = core::to_hex(core::keccak256(evm::header_from_json({.block = block,
      .hash_rule = evm::HeaderHashRule::kEngineSpecific})->rlp));
  auto polled = h.poll();
  REQUIRE_FALSE(polled.ok());
  CHECK(polled.error().reason() == evm::reason::source::kChainChanged);
  CHECK(h.source->cursor().number == 0);
}

TEST_CASE("evm source: follow polls back to back while behind and hands every outcome over", "[unit]") {
  Harness h;
  for (int i = 0; i < 3; ++i) h.chain.mine({{.messages = 1}});
  auto config = h.chain.config();
  config.max_range = 1;
  config.poll_interval = std::chrono::milliseconds(0);
  h.start(config);
  std::size_t polls = 0, bundles = 0;
  boost::asio::co_spawn(
      h.io,
      h.source->follow(
          [&](const core::Result<evm::PollResult>& result) {
            ++polls;
            REQUIRE(result.ok());
            bundles += result->bundles.size();
          },
          [&] { return polls >= 4; }),
      boost::asio::detached);
  h.io.restart();
  h.io.run();
  CHECK(polls == 4);
  CHECK(bundles == 3);
  CHECK(h.source->cursor().number == 3);
}

TEST_CASE("evm source: raw header and receipt RLP where the node offers them gives the JSON path's bundles",
          "[unit]") {
  Harness json_only;
  Harness raw;
  raw.chain.offer_raw = true;
  for (Harness* h : {&json_only, &raw}) {
    h->chain.mine({{.messages = 1, .other_logs = 1}, {.failed = true}, {.messages = 2}});
    h->chain.mine({{.messages = 1}});
    h->start(h->chain.config());
  }
  const auto expected = json_only.drain();
  const auto got = raw.drain();
  CHECK(raw.source->raw_headers() == evm::RawSupport::kOffered);
  CHECK(raw.source->raw_receipts() == evm::RawSupport::kOffered);
  CHECK(raw.chain.calls("debug_getRawHeader") > 0);
  CHECK(raw.chain.calls("debug_getRawReceipts") == 2);  // one per block with events
  REQUIRE(expected.size() == 4);
  REQUIRE(got.size() == expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    CHECK(got[i].claim == expected[i].claim);
    CHECK(got[i].source.header == expected[i].source.header);
    CHECK(got[i].source.block_hash == expected[i].source.block_hash);
    CHECK(got[i].inclusion.receipt == expected[i].inclusion.receipt);
    CHECK(got[i].inclusion.proof == expected[i].inclusion.proof);
    CHECK(got[i].inclusion.log_index == expected[i].inclusion.log_index);
  }
  auto header = run_task(raw.io, raw.source->header({.height = 2}));
  REQUIRE(header.ok());
  CHECK(header->hash_checked);
  CHECK(header->hash == raw.chain.hash(2));
}

TEST_CASE("evm source: a raw header that is not the block's is refused by name", "[unit]") {
  Harness h;
  h.chain.offer_raw = true;
  h.chain.mine({{.messages = 1}});
  h.start(h.chain.config());
  h.chain.tamper_raw_header = true;
  auto polled = h.poll();
  REQUIRE_FALSE(polled.ok());
  CHECK(polled.error().reason() == evm::reason::source::kRawHeaderMismatch);
  CHECK(h.source->cursor().number == 0);  // nothing emitted, the cursor did not move
  auto header = run_task(h.io, h.source->header({.height = 1}));
  REQUIRE_FALSE(header.ok());
  CHECK(header.error().reason() == evm::reason::source::kRawHeaderMismatch);
}

TEST_CASE("evm source: raw methods the node lacks fall back to JSON once and for good", "[unit]") {
  Harness h;  // offer_raw false: -32601 like anvil
  std::vector<std::string> notices;
  h.chain.mine({{.messages = 1}});
  auto config = h.chain.config();
  config.on_notice = [&notices](const std::string& text) { notices.push_back(text); };
  h.start(config);
  auto first = h.drain();
  h.chain.mine({{.messages = 2}});
  h.chain.mine({});
  auto second = h.drain();
  CHECK(first.size() == 1);
  CHECK(second.size() == 2);
  CHECK(h.source->raw_headers() == evm::RawSupport::kAbsent);
  CHECK(h.source->raw_receipts() == evm::RawSupport::kAbsent);
  CHECK(h.chain.calls("debug_getRawHeader") == 1);
  CHECK(h.chain.calls("debug_getRawReceipts") == 1);
  REQUIRE(notices.size() == 2);
  CHECK(notices[0].find("debug_getRawHeader") != std::string::npos);
  CHECK(notices[1].find("debug_getRawReceipts") != std::string::npos);
}

TEST_CASE("evm source: with executions on, MessageExecuted events are proven and join the reorg bookkeeping",
          "[unit]") {
  Harness h;
  h.chain.mine({});                                                       // 1
  h.chain.mine({{.messages = 1, .executions = 2}, {.other_logs = 1, .executions = 1}});  // 2
  auto config = h.chain.config();
  config.executions = true;
  h.start(config);
  auto polled = h.poll();
  INFO((polled.ok() ? std::string() : polled.error().message()));
  REQUIRE(polled.ok());
  CHECK(polled->rejected.empty());
  REQUIRE(polled->bundles.size() == 1);
  REQUIRE(polled->tx_hashes.size() == 1);
  CHECK(polled->tx_hashes[0] == *core::fixed_from_hex<core::Hash32>(
                                    h.chain.receipts(2)[0]["transactionHash"].get<std::string>()));
  // One eth_getLogs per range, asking for both events at topic 0.
  REQUIRE(h.chain.filters().size() == 1);
  CHECK(h.chain.filters()[0]["topics"] ==
        json::array({json::array({core::to_hex(core::kMessageSentTopic), core::to_hex(core::kMessageExecutedTopic)})}));

  REQUIRE(polled->executions.size() == 3);
  const std::pair<std::uint32_t, std::uint32_t> places[] = {{0, 1}, {0, 2}, {1, 1}};  // tx, log in receipt
  std::set<core::Claim> claims;
  for (std::size_t i = 0; i < 3; ++i) {
    const evm::ObservedExecution& e = polled->executions[i];
    const auto expected = test::FakeChain::execution(i + 1);
    INFO("execution " << i);
    CHECK(e.id == expected.id);
    CHECK(e.src_chain == expected.src_chain);
    CHECK(e.sequence == expected.sequence);
    CHECK(e.outcome == expected.outcome);
    CHECK(e.tx_hash == *core::fixed_from_hex<core::Hash32>(
                           h.chain.receipts(2)[places[i].first]["transactionHash"].get<std::string>()));
    const verify::Bundle& b = e.bundle;
    CHECK(b.kind == verify::BundleKind::kExecution);
    CHECK(b.message == core::Message{});  // the engine fills it from its store
    CHECK(b.inclusion.tx_index == places[i].first);
    CHECK(b.inclusion.log_index == places[i].second);
    CHECK(b.source.chain_identity == h.chain.identity());
    CHECK(b.claim == core::claim_hash(e.id, h.chain.hash(2), 2, places[i].first, places[i].second));
    // The verifier's own reader accepts the evidence and recomputes the same claim and outcome.
    const verify::ReceiptProofInput input{.tx_index = b.inclusion.tx_index, .log_index = b.inclusion.log_index,
                                          .receipt = b.inclusion.receipt, .proof = b.inclusion.proof};
    auto executed = verify::verify_message_executed(finalized(b), input, h.chain.gateway());
    REQUIRE(executed.ok());
    CHECK(executed->claim == b.claim);
    CHECK(executed->outcome == e.outcome);
    claims.insert(b.claim);
  }
  CHECK(claims.size() == 3);

  // Block 2 leaves the chain: the execution claims are reported with the message's.
  h.chain.reorg(1);
  auto rewound = h.poll();
  REQUIRE(rewound.ok());
  REQUIRE(rewound->orphaned.has_value());
  const std::set<core::Claim> orphaned(rewound->orphaned->claims.begin(), rewound->orphaned->claims.end());
  claims.insert(polled->bundles[0].claim);
  CHECK(orphaned == claims);
}

TEST_CASE("evm source: with executions off, MessageExecuted logs are not asked for and nothing changes", "[unit]") {
  Harness h;
  h.chain.mine({{.messages = 2, .executions = 1}, {.executions = 1}});
  h.chain.mine({});  // a range: eth_getLogs
  h.start(h.chain.config());
  auto polled = h.poll();
  REQUIRE(polled.ok());
  CHECK(polled->bundles.size() == 2);
  CHECK(polled->tx_hashes.size() == 2);
  CHECK(polled->executions.empty());
  CHECK(polled->rejected.empty());
  // The same query as before executions existed: MessageSent alone, as a plain topic.
  REQUIRE(h.chain.filters().size() == 1);
  CHECK(h.chain.filters()[0]["topics"] == json::array({core::to_hex(core::kMessageSentTopic)}));
  // One transaction lookup (the private-transaction check) for the one transaction with events.
  CHECK(h.chain.calls("eth_getTransactionByHash") == 1);

  // One block read from its receipts: its MessageExecuted logs are passed over the same way.
  h.chain.mine({{.messages = 1, .executions = 2}});
  auto alone = h.poll();
  REQUIRE(alone.ok());
  CHECK(alone->bundles.size() == 1);
  CHECK(alone->executions.empty());
  CHECK(alone->rejected.empty());
  CHECK(h.chain.get_logs_calls() == 1);
}

TEST_CASE("evm source: events of private transactions are refused by name and the lane carries on", "[unit]") {
  Harness h;
  const json quorum_private = {{"type", "0x0"}, {"v", "0x25"}};
  const json quorum_private_untyped = {{"type", nullptr}, {"v", "0x26"}};
  const json besu_marker = {{"to", "0x000000000000000000000000000000000000007e"}};
  const json flexible_marker = {{"to", "0x000000000000000000000000000000000000007d"}};
  const json goquorum_marker = {{"type", "0x0"}, {"v", "0x7f6"}, {"to", "0x000000000000000000000000000000000000007a"}};
  const json public_legacy = {{"type", "0x0"}, {"v", "0x7f5"}};  // EIP-155 v of chain 1001
  h.chain.mine({{.messages = 2},
                {.messages = 1, .tx_fields = quorum_private},
                {.messages = 1, .tx_fields = quorum_private_untyped},
                {.messages = 1, .tx_fields = besu_marker},
                {.messages = 1, .tx_fields = flexible_marker},
                {.messages = 1, .tx_fields = goquorum_marker},
                {.messages = 1, .tx_fields = public_legacy}});
  h.start(h.chain.config());
  const std::size_t batches = h.chain.batches();
  auto polled = h.poll();
  REQUIRE(polled.ok());
  REQUIRE(polled->rejected.size() == 5);
  for (std::size_t i = 0; i < 5; ++i) {
    CHECK(polled->rejected[i].error.reason() == evm::reason::source::kPrivateTransaction);
    CHECK(polled->rejected[i].event.tx_index == i + 1);
  }
  CHECK(polled->rejected[0].error.detail().find("v = 37") != std::string::npos);
  CHECK(polled->rejected[2].error.detail().find("0x000000000000000000000000000000000000007e") != std::string::npos);
  REQUIRE(polled->bundles.size() == 3);
  CHECK(polled->bundles[0].inclusion.tx_index == 0);
  CHECK(polled->bundles[1].inclusion.tx_index == 0);
  CHECK(polled->bundles[2].inclusion.tx_index == 6);
  CHECK(polled->cursor.number == 1);  // the lane moved on
  // The block holds private transactions, so its events are asked of eth_getLogs (the node's
  // private view), not read from its public receipts; then one lookup per transaction, not per
  // event and not per transaction of the block, all in one JSON-RPC batch.
  CHECK(h.chain.get_logs_calls() == 1);
  CHECK(h.chain.calls("eth_getTransactionByHash") == 7);
  CHECK(h.chain.batches() - batches == 1);
}

// At the head of a quiet chain most polls are one new block: its header's logs bloom (which the
// fake chain fills from the block's logs, as a node does) says whether eth_getLogs can find
// anything of the gateway there.
TEST_CASE("evm source: a one-block poll asks for logs only when the header's bloom may hold the gateway's",
          "[unit]") {
  Harness h;
  h.start(h.chain.config());
  h.chain.mine({{.other_logs = 2}});  // another contract's logs: not in the gateway's bloom bits
  auto quiet = h.poll();
  REQUIRE(quiet.ok());
  CHECK(quiet->cursor.number == 1);
  CHECK(h.chain.get_logs_calls() == 0);
  h.chain.mine({});
  REQUIRE(h.poll().ok());
  CHECK(h.chain.get_logs_calls() == 0);

  h.chain.mine({{.messages = 2, .other_logs = 1}});
  auto busy = h.poll();
  REQUIRE(busy.ok());
  CHECK(h.chain.get_logs_calls() == 0);  // its events come from its receipts
  CHECK(h.chain.calls("eth_getBlockReceipts") == 1);
  CHECK(h.chain.calls("eth_getTransactionByHash") == 0);  // the block came with its transactions
  CHECK(busy->bundles.size() == 2);
  CHECK(busy->cursor.number == 3);

  // A range of blocks is scanned whatever the blooms: only the two ends' headers are read.
  h.chain.mine({});
  h.chain.mine({});
  auto range = h.poll();
  REQUIRE(range.ok());
  CHECK(range->cursor.number == 5);
  CHECK(h.chain.get_logs_calls() == 1);
}

// The busy path of a one-block poll against the general one: the same block polled alone (events
// from its receipts) and as the first of a range (events from eth_getLogs, then prove) gives the
// same bundles and executions, byte for byte.
TEST_CASE("evm source: a block's events read from its receipts are the ones eth_getLogs finds", "[unit]") {
  const std::vector<FakeChain::Tx> txs = {{.messages = 2, .other_logs = 1},
                                          {.failed = true},
                                          {.other_logs = 2},
                                          {.messages = 1, .other_logs = 1, .executions = 2},
                                          {.executions = 1}};
  Harness alone;
  Harness ranged;
  alone.chain.mine(txs);
  ranged.chain.mine(txs);
  ranged.chain.mine({});
  auto config = alone.chain.config();
  config.executions = true;
  alone.start(config);
  ranged.start(config);
  auto read = alone.poll();
  auto scanned = ranged.poll();
  REQUIRE(read.ok());
  REQUIRE(scanned.ok());
  CHECK(alone.chain.get_logs_calls() == 0);
  CHECK(ranged.chain.get_logs_calls() == 1);
  REQUIRE(read->bundles.size() == 3);
  REQUIRE(read->executions.size() == 3);
  CHECK(read->rejected.empty());
  REQUIRE(scanned->bundles.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(verify::bundle_to_json(read->bundles[i]) == verify::bundle_to_json(scanned->bundles[i]));
  }
  CHECK(read->tx_hashes == scanned->tx_hashes);
  REQUIRE(scanned->executions.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(verify::bundle_to_json(read->executions[i].bundle) == verify::bundle_to_json(scanned->executions[i].bundle));
    CHECK(read->executions[i].tx_hash == scanned->executions[i].tx_hash);
    CHECK(read->executions[i].outcome == scanned->executions[i].outcome);
  }

  // A node whose block lists a transaction its receipts lack: named, and the cursor stays.
  Harness short_receipts;
  short_receipts.chain.mine({{.messages = 1}});
  const std::string extra = FakeChain::hex32("no receipt");
  short_receipts.chain.block(1)["transactions"].push_back(extra);
  short_receipts.chain.transaction(extra) = {{"hash", extra},
                                             {"blockHash", core::to_hex(short_receipts.chain.hash(1))},
                                             {"transactionIndex", "0x1"},
                                             {"type", "0x2"},
                                             {"v", "0x1"}};
  short_receipts.start(short_receipts.chain.config());
  auto polled = short_receipts.poll();
  REQUIRE_FALSE(polled.ok());
  CHECK(polled.error().reason() == evm::reason::source::kBadReply);
  CHECK(short_receipts.source->cursor().number == 0);
}

// The receipts are read beside the privacy lookups, but a block whose events are all private does
// not depend on them: a node whose receipts of it do not match the header (a private state's, say)
// holds nothing back.
TEST_CASE("evm source: a block whose events are all private needs no receipts", "[unit]") {
  Harness h;
  h.chain.mine({{.messages = 1, .tx_fields = {{"to", "0x000000000000000000000000000000000000007e"}}}});
  h.chain.receipts(1)[0]["cumulativeGasUsed"] = "0x1";
  h.start(h.chain.config());
  auto polled = h.poll();
  REQUIRE(polled.ok());
  CHECK(polled->bundles.empty());
  REQUIRE(polled->rejected.size() == 1);
  CHECK(polled->rejected[0].error.reason() == evm::reason::source::kPrivateTransaction);
  CHECK(polled->cursor.number == 1);

  // The same receipts under a public event fail the block.
  Harness public_event;
  public_event.chain.mine({{.messages = 1}});
  public_event.chain.receipts(1)[0]["cumulativeGasUsed"] = "0x1";
  public_event.start(public_event.chain.config());
  auto failed = public_event.poll();
  REQUIRE_FALSE(failed.ok());
  CHECK(public_event.source->cursor().number == 0);
}

TEST_CASE("evm source: a transaction the node places elsewhere than its log did is a chain change", "[unit]") {
  Harness h;
  h.chain.mine({{.messages = 1}});
  h.start(h.chain.config());
  const std::string hash = h.chain.receipts(1)[0]["transactionHash"].get<std::string>();
  h.chain.transaction(hash)["transactionIndex"] = "0x1";
  auto polled = h.poll();
  REQUIRE_FALSE(polled.ok());
  CHECK(polled.error().reason() == evm::reason::source::kChainChanged);
  CHECK(h.source->cursor().number == 0);
  h.chain.transaction(hash)["transactionIndex"] = "0x0";
  h.chain.transaction(hash)["blockHash"] = FakeChain::hex32("elsewhere");
  CHECK(h.poll().error().reason() == evm::reason::source::kChainChanged);
  // Without a `v`, a legacy transaction's privacy cannot be judged: a named JSON error, no bundle.
  h.chain.transaction(hash)["blockHash"] = core::to_hex(h.chain.hash(1));
  h.chain.transaction(hash)["type"] = "0x0";
  h.chain.transaction(hash).erase("v");
  CHECK(h.poll().error().reason() == evm::reason::rpc_json::kMissingField);
  CHECK(h.source->cursor().number == 0);

  // The same transaction of another contract, beside a gateway event's: the block goes the
  // eth_getLogs way, where only the event's own transaction is judged, and the lane moves on.
  Harness other;
  other.chain.mine({{.other_logs = 1}, {.messages = 1}});
  other.start(other.chain.config());
  const std::string unrelated = other.chain.receipts(1)[0]["transactionHash"].get<std::string>();
  other.chain.transaction(unrelated)["type"] = "0x0";
  other.chain.transaction(unrelated).erase("v");
  auto polled_other = other.poll();
  INFO((polled_other.ok() ? std::string() : polled_other.error().message()));
  REQUIRE(polled_other.ok());
  CHECK(polled_other->bundles.size() == 1);
  CHECK(polled_other->cursor.number == 1);
  CHECK(other.chain.get_logs_calls() == 1);
}

TEST_CASE("evm source: find_sent looks sequences up by topic in bounded ranges and the results prove", "[unit]") {
  Harness h;
  for (int i = 0; i < 6; ++i) h.chain.mine({{.messages = 1}});  // sequences 1..6 in blocks 1..6
  auto config = h.chain.config();
  config.max_range = 4;
  h.start(config);
  CHECK(run_task(h.io, h.source->find_sent({.dst_chain = h.chain.destination(), .sequences = {2}, .from = 1, .to = 6}))
            .ok());
  const auto before = h.chain.get_logs_calls();
  auto found = run_task(h.io, h.source->find_sent({.dst_chain = h.chain.destination(),
                                                   .sequences = {5, 2, 9},
                                                   .from = 1,
                                                   .to = 6}));
  INFO((found.ok() ? std::string() : found.error().message()));
  REQUIRE(found.ok());
  REQUIRE(found->size() == 2);
  CHECK(h.chain.get_logs_calls() - before == 2);  // blocks 1-4, 5-6
  const json& filter = h.chain.filters().back();
  CHECK(filter["topics"] == json::array({core::to_hex(core::kMessageSentTopic), nullptr,
                                         core::to_hex(h.chain.destination()),
                                         json::array({core::to_hex(core::abi::uint_word(5)),
                                                      core::to_hex(core::abi::uint_word(2)),
                                                      core::to_hex(core::abi::uint_word(9))})}));
  CHECK((*found)[0].block.number == 2);  // chain order
  CHECK((*found)[1].block.number == 5);
  CHECK(h.source->cursor().number == 0);  // the cursor did not move
  for (const auto& event : *found) {
    auto proven = run_task(h.io, h.source->prove({.block = event.block, .events = {event}}));
    REQUIRE(proven.ok());
    REQUIRE(proven->bundles.size() == 1);
    CHECK(proven->bundles[0].message.sequence.value == event.block.number);
  }

  // Halved on "too many results", like scan.
  h.chain.mine({{.messages = 3}});  // sequences 7..9 in block 7
  h.chain.set_max_logs(2);
  auto halved = run_task(h.io, h.source->find_sent({.dst_chain = h.chain.destination(),
                                                    .sequences = {1, 3, 7, 8},
                                                    .from = 1,
                                                    .to = 7}));
  REQUIRE(halved.ok());
  CHECK(halved->size() == 4);
  // Two wanted events in one block over a node that allows one: nothing smaller to ask for.
  h.chain.set_max_logs(1);
  auto refused = run_task(h.io, h.source->find_sent({.dst_chain = h.chain.destination(),
                                                     .sequences = {7, 8},
                                                     .from = 7,
                                                     .to = 7}));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().reason() == evm::reason::source::kRangeTooSmall);
  // Nothing asked for, nothing fetched.
  h.chain.set_max_logs(100);
  const auto calls = h.chain.get_logs_calls();
  auto none = run_task(h.io, h.source->find_sent({.dst_chain = h.chain.destination(), .sequences = {}, .from = 1, .to = 7}));
  REQUIRE(none.ok());
  CHECK(none->empty());
  CHECK(h.chain.get_logs_calls() == calls);
}

TEST_CASE("evm source: find_sent refuses a log the filter did not ask for", "[unit]") {
  Harness h;
  h.chain.mine({{.messages = 2}});
  h.start(h.chain.config());
  h.chain.ignore_topic_filter = true;  // a node that answers with every gateway log
  auto found = run_task(h.io, h.source->find_sent({.dst_chain = h.chain.destination(), .sequences = {2}, .from = 1, .to = 1}));
  REQUIRE_FALSE(found.ok());
  CHECK(found.error().reason() == evm::reason::source::kBadLog);
  Harness fresh;
  auto unstarted = evm::EvmSource::create(fresh.chain, fresh.chain.config());
  REQUIRE(unstarted.ok());
  CHECK(run_task(fresh.io, (*unstarted)->find_sent({})).error().reason() == evm::reason::source::kNotStarted);
}
