// Tests for adapters/evm/source against an in-memory chain: configuration and start-up checks,
// log index within the receipt (THREATS 17), bounded and halved eth_getLogs ranges, the receipts
// root check, confirmations, and the reorg-aware cursor (THREATS 22).
#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "adapters/evm/source.hpp"
#include "relay/core/hash.hpp"
#include "relay/verify/evm_header.hpp"
#include "relay/verify/inclusion.hpp"
#include "tests/unit/evm/fake_chain.hpp"

using namespace causeway;
using causeway::test::FakeChain;
using causeway::test::run_task;

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
  Harness h;
  h.chain.mine({{.messages = 0, .other_logs = 2}, {.messages = 1, .other_logs = 1}, {.failed = true},
                {.messages = 3, .other_logs = 0}});
  h.start(h.chain.config());
  const auto bundles = h.drain();
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
  tight.chain.set_max_logs(2);
  tight.start(tight.chain.config());
  auto polled = tight.poll();
  REQUIRE_FALSE(polled.ok());
  CHECK(polled.error().reason() == evm::reason::source::kRangeTooSmall);
  CHECK(tight.source->cursor().number == 0);
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
  CHECK(raw.chain.raw_calls("debug_getRawHeader") > 0);
  CHECK(raw.chain.raw_calls("debug_getRawReceipts") == 2);  // one per block with events
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
  CHECK(h.chain.raw_calls("debug_getRawHeader") == 1);
  CHECK(h.chain.raw_calls("debug_getRawReceipts") == 1);
  REQUIRE(notices.size() == 2);
  CHECK(notices[0].find("debug_getRawHeader") != std::string::npos);
  CHECK(notices[1].find("debug_getRawReceipts") != std::string::npos);
}
