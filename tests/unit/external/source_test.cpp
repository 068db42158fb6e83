// ExternalSource (adapters/external/source.cpp) against fake_adapter.sh serving canned replies
// built from the real anvil bundles: what it accepts, and one mutation per check it makes.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include "adapters/external/source.hpp"
#include "relay/verify/json_read.hpp"
#include "tests/unit/external/harness.hpp"
#include "tests/unit/verify/bundle_fixtures.hpp"

namespace causeway {
namespace {

using external::Json;
using test::external::Harness;
namespace ext_reason = external::reason;
namespace fx = test::bundle_fixtures;

const std::string kHash4 = "0x" + std::string(64, '4');

// A temporary directory of reply files for fake_adapter.sh.
struct Replies {
  std::filesystem::path dir;
  Replies() {
    dir = std::filesystem::temp_directory_path() /
          ("causeway-external-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
    std::filesystem::create_directories(dir);
  }
  ~Replies() { std::filesystem::remove_all(dir); }
  static int& counter() {
    static int n = 0;
    return n;
  }
  void set(const std::string& method, const Json& result) const {
    std::ofstream(dir / method) << result.dump();
  }
};

Json cursor(std::uint64_t number, const std::string& hash) { return {{"number", std::to_string(number)}, {"hash", hash}}; }

// A poll reply carrying the anvil bundle `name` (block 4 of its chain), cursor 3 -> 4.
Json poll_reply(const Json& bundle) {
  return {{"bundles", Json::array({bundle})},
          {"tx_hashes", Json::array({"0x" + std::string(64, 'a')})},
          {"cursor", cursor(4, bundle["source"]["block_hash"].get<std::string>())},
          {"head", "6"}};
}

struct SourceHarness {
  Harness h;
  Replies replies;
  std::unique_ptr<external::AdapterProcess> process;
  std::unique_ptr<external::ExternalSource> source;

  explicit SourceHarness(const Json& bundle, bool trusted_insecure = false,
                         external::Family family = external::Family::kEvm) {
    const std::string chain = bundle["source"]["chain_identity"];
    auto config = h.config("ok", {"FAKE_REPLIES=" + replies.dir.string(), "FAKE_CHAIN=" + chain,
                                  "FAKE_FAMILY=" + std::string(external::family_name(family))});
    config.chain_identity = test::external::chain_identity(chain);
    config.family = family;
    process = h.process(config);
    external::ExternalSourceConfig source_config;
    source_config.chain_identity = config.chain_identity;
    source_config.trusted_insecure = trusted_insecure;
    auto s = external::ExternalSource::create(*process, source_config);
    REQUIRE(s.ok());
    source = std::move(s).value();
    replies.set("source.start", {{"cursor", cursor(3, kHash4)}});
  }
  core::Result<evm::PollResult> poll(const Json& reply) {
    replies.set("source.poll", reply);
    return h.run(source->poll());
  }
};

TEST_CASE("external source: start then a poll yields the adapter's bundles, parsed, and moves the cursor",
          "[external]") {
  const Json bundle = fx::bundle_json("a_sent_tx1_log3");
  SourceHarness s(bundle);
  REQUIRE(s.h.run(s.source->start()).ok());
  CHECK(s.source->cursor().number == 3);
  auto poll = s.poll(poll_reply(bundle));
  REQUIRE(poll.ok());
  REQUIRE(poll->bundles.size() == 1);
  CHECK(verify::bundle_to_json(poll->bundles[0]) == verify::bundle_to_json(*verify::bundle_from_json(bundle)));
  CHECK(poll->tx_hashes.size() == 1);
  CHECK(poll->head == 6);
  CHECK(s.source->cursor().number == 4);
  CHECK_FALSE(poll->orphaned.has_value());
}

TEST_CASE("external source: poll before start is not_started", "[external]") {
  SourceHarness s(fx::bundle_json("a_sent_tx0_log0"));
  auto poll = s.h.run(s.source->poll());
  REQUIRE_FALSE(poll.ok());
  CHECK(poll.error().reason() == ext_reason::kNotStarted);
}

TEST_CASE("external source: a restored cursor is sent, and an adapter that moves it is refused", "[external]") {
  SourceHarness s(fx::bundle_json("a_sent_tx0_log0"));
  s.source->restore_cursor({.number = 2, .hash = *core::fixed_from_hex<core::Hash32>(kHash4)});
  auto started = s.h.run(s.source->start());  // the canned reply says 3
  REQUIRE_FALSE(started.ok());
  CHECK(started.error().reason() == ext_reason::kBadReply);
}

TEST_CASE("external source: each mutated reply is refused with a named reason", "[external]") {
  const Json bundle = fx::bundle_json("a_sent_tx1_log1");
  struct Case {
    const char* name;
    void (*mutate)(Json&);
    core::Reason reason;
  };
  const Case cases[] = {
      {"bundle of family fisco", [](Json& r) { r["bundles"][0]["family"] = "fisco"; }, ext_reason::kWrongFamily},
      {"bundle of family external", [](Json& r) { r["bundles"][0]["family"] = "external"; },
       ext_reason::kWrongFamily},
      {"bundle of another chain",
       [](Json& r) { r["bundles"][0]["source"]["chain_identity"] = "0x" + std::string(64, '2'); },
       ext_reason::kWrongChain},
      {"bundle of kind execution", [](Json& r) { r["bundles"][0]["kind"] = "execution"; }, ext_reason::kBadReply},
      {"bundle with bad hex header", [](Json& r) { r["bundles"][0]["source"]["header"] = "0xzz"; },
       verify::json_read::reason::kBadField},
      {"bundle with an unknown field", [](Json& r) { r["bundles"][0]["validators"] = Json::array(); },
       verify::json_read::reason::kUnknownField},
      {"tx_hashes one short", [](Json& r) { r["tx_hashes"] = Json::array(); }, ext_reason::kBadReply},
      {"cursor moved backwards", [](Json& r) { r["cursor"] = cursor(2, kHash4); }, ext_reason::kBadReply},
      {"cursor beyond the head", [](Json& r) { r["head"] = "3"; }, ext_reason::kBadReply},
      {"bundle beyond the new cursor", [](Json& r) { r["cursor"]["number"] = "3"; r["cursor"]["hash"] = kHash4; },
       ext_reason::kBadReply},
      {"orphan report not from the cursor",
       [](Json& r) {
         r["orphaned"] = {{"from", "2"}, {"to", "2"}, {"rewound_to", cursor(1, kHash4)}, {"claims", Json::array()}};
       },
       ext_reason::kBadReply},
      {"unknown reply field", [](Json& r) { r["trust_me"] = true; }, verify::json_read::reason::kUnknownField},
      {"numeric head", [](Json& r) { r["head"] = 6; }, verify::json_read::reason::kBadField},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    SourceHarness s(bundle);
    REQUIRE(s.h.run(s.source->start()).ok());
    Json reply = poll_reply(bundle);
    c.mutate(reply);
    auto poll = s.poll(reply);
    REQUIRE_FALSE(poll.ok());
    INFO(poll.error().message());
    CHECK(poll.error().reason() == c.reason);
    CHECK(s.source->cursor().number == 3);
  }
}

TEST_CASE("external source: an orphan report rewinds the cursor and carries the orphaned claims", "[external]") {
  const Json bundle = fx::bundle_json("a_sent_tx0_log0");
  SourceHarness s(bundle);
  REQUIRE(s.h.run(s.source->start()).ok());
  Json reply = {{"bundles", Json::array()},
                {"tx_hashes", Json::array()},
                {"orphaned", {{"from", "3"}, {"to", "3"}, {"rewound_to", cursor(2, kHash4)},
                              {"claims", Json::array({bundle["claim"]})}}},
                {"cursor", cursor(2, kHash4)},
                {"head", "5"}};
  auto poll = s.poll(reply);
  REQUIRE(poll.ok());
  REQUIRE(poll->orphaned.has_value());
  CHECK(poll->orphaned->claims.size() == 1);
  CHECK(s.source->cursor().number == 2);
}

TEST_CASE("external source: executions are read from their own receipt bytes", "[external]") {
  const Json execution = fx::bundle_json("b_executed_tx0_log1");
  SourceHarness s(execution);
  REQUIRE(s.h.run(s.source->start()).ok());
  Json reply = {{"bundles", Json::array()},
                {"tx_hashes", Json::array()},
                {"executions", Json::array({{{"bundle", execution}, {"tx_hash", "0x" + std::string(64, 'b')}}})},
                {"cursor", cursor(4, execution["source"]["block_hash"].get<std::string>())},
                {"head", "4"}};
  auto poll = s.poll(reply);
  REQUIRE(poll.ok());
  REQUIRE(poll->executions.size() == 1);
  const verify::Bundle parsed = fx::bundle("b_executed_tx0_log1");
  CHECK(poll->executions[0].id == core::message_id(parsed.message));
  CHECK(poll->executions[0].src_chain == parsed.message.src_chain);
  CHECK(poll->executions[0].sequence == parsed.message.sequence.value);
}

TEST_CASE("external source: family external needs trusted_insecure, and is then read", "[external]") {
  const Json bundle = fx::bundle_json("a_sent_tx0_log0");
  {
    Harness h;
    auto config = h.config("ok");
    config.family = external::Family::kExternal;
    auto p = h.process(config);
    external::ExternalSourceConfig source_config;
    source_config.chain_identity = config.chain_identity;
    auto s = external::ExternalSource::create(*p, source_config);
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().reason() == ext_reason::kWrongFamily);
  }
  SourceHarness s(bundle, true, external::Family::kExternal);
  REQUIRE(s.h.run(s.source->start()).ok());
  Json reply = poll_reply(bundle);
  reply["bundles"][0]["family"] = "external";
  auto poll = s.poll(reply);
  REQUIRE(poll.ok());
  CHECK(poll->bundles.size() == 1);
}

TEST_CASE("external source: find_sent bundles must answer the request", "[external]") {
  const Json bundle = fx::bundle_json("a_sent_tx1_log3");
  const verify::Bundle parsed = fx::bundle("a_sent_tx1_log3");
  SourceHarness s(bundle);
  REQUIRE(s.h.run(s.source->start()).ok());
  s.replies.set("source.find_sent",
                {{"bundles", Json::array({bundle})}, {"tx_hashes", Json::array({"0x" + std::string(64, 'a')})}});
  evm::FindSentRequest asked{.dst_chain = parsed.message.dst_chain,
                             .sequences = {parsed.message.sequence.value},
                             .from = 1,
                             .to = 10};
  auto found = s.h.run(s.source->find_sent(asked));
  REQUIRE(found.ok());
  CHECK(found->bundles.size() == 1);
  evm::FindSentRequest other = asked;
  other.sequences = {parsed.message.sequence.value + 100};
  auto wrong = s.h.run(s.source->find_sent(other));
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.error().reason() == ext_reason::kBadReply);
  other = asked;
  other.to = 3;
  auto late = s.h.run(s.source->find_sent(other));
  REQUIRE_FALSE(late.ok());
  CHECK(late.error().reason() == ext_reason::kBadReply);
}

}  // namespace
}  // namespace causeway
