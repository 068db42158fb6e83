// Tests for relay/verify/bundle: strict, bounded reading of proof bundles with JSON paths in every
// error and the writer's round trip (tests/audit holds the schema examples against the reader).
#include <catch2/catch.hpp>

#include <set>

#include "relay/core/hash.hpp"
#include "relay/core/message_json.hpp"
#include "relay/verify/bundle.hpp"
#include "relay/verify/json_read.hpp"
#include "tests/unit/verify/bundle_fixtures.hpp"

using namespace causeway;
using namespace causeway::verify;
using namespace causeway::test::bundle_fixtures;

// The fixtures state every EVM receipt; the writer leaves it out because the proof's leaf holds it.
TEST_CASE("every fixture bundle reads, and writes back in the compact form, which reads the same", "[derived]") {
  for (const auto& entry : data()["bundles"]) {
    INFO(entry["name"].get<std::string>());
    auto b = bundle_from_json(entry["bundle"]);
    REQUIRE(b.ok());
    nlohmann::json compact = entry["bundle"];
    if (compact["family"] == "evm") REQUIRE(compact["inclusion"].erase("receipt") == 1);
    CHECK(bundle_to_json(*b) == compact);
    auto again = parse_bundle(compact.dump());
    REQUIRE(again.ok());
    CHECK(again->inclusion.receipt == b->inclusion.receipt);
    CHECK(bundle_to_json(*again) == compact);
  }
}

// The stored text is hashed into the audit log: it reads back as the bundle, and is the compact
// print of its schema form with an EVM bundle's source block and inclusion proof moved to the front.
std::string expected_text(const Bundle& b) {
  nlohmann::json j = bundle_to_json(b);
  if (j["family"] != "evm") return j.dump();
  const std::string source = j["source"].dump();
  const std::string proof = j["inclusion"]["proof"].dump();
  j["inclusion"].erase("proof");
  const std::string inclusion = j["inclusion"].dump();
  j.erase("inclusion");
  j.erase("source");
  return "{\"source\":" + source + ",\"inclusion\":{\"proof\":" + proof + "," + inclusion.substr(1) + "," +
         j.dump().substr(1);
}

TEST_CASE("a bundle's stored text is its compact schema form, an EVM source and proof first, for every fixture",
          "[derived]") {
  for (const auto& entry : data()["bundles"]) {
    INFO(entry["name"].get<std::string>());
    auto b = bundle_from_json(entry["bundle"]);
    REQUIRE(b.ok());
    const std::string text = bundle_text(*b);
    CHECK(text == expected_text(*b));
    CHECK(nlohmann::json::parse(text) == bundle_to_json(*b));
    auto again = parse_bundle(text);
    REQUIRE(again.ok());
    CHECK(bundle_text(*again) == text);
    if (b->family == core::ChainFamily::kEvm) CHECK(text.starts_with("{\"source\":{\"block_hash\":\"0x"));
    CHECK(compact_text(entry["bundle"]) == entry["bundle"].dump());
  }
}

// One writer over a run of bundles prints and hashes a proof once while it stays the same: each
// text and hash must still be what a fresh writer gives, whatever came before it.
TEST_CASE("a BundleTextWriter gives each bundle's text and its Keccak-256, shared proofs or not", "[derived]") {
  std::vector<Bundle> run;
  for (const auto& entry : data()["bundles"]) {
    auto b = bundle_from_json(entry["bundle"]);
    REQUIRE(b.ok());
    run.push_back(*b);
    run.push_back(*b);  // the same proof twice in a row: printed once
    Bundle other_message = *b;
    other_message.claim.bytes[0] ^= 1;
    other_message.inclusion.log_index += 1;
    run.push_back(other_message);
  }
  REQUIRE(run.size() >= 6);
  REQUIRE(run.front().family == core::ChainFamily::kEvm);
  Bundle receipt_beside = run.front();  // a receipt its proof's leaf does not hold is printed beside it
  receipt_beside.inclusion.receipt.push_back(0x01);
  run.push_back(receipt_beside);
  Bundle no_proof = run.front();
  no_proof.inclusion.proof.clear();
  run.push_back(no_proof);
  run.push_back(run.front());
  Bundle other_proof = run.front();  // one node changed: a new prefix, and a new hash
  other_proof.inclusion.proof.back().back() ^= 1;
  run.push_back(other_proof);
  run.push_back(run.front());
  Bundle other_block = run.front();  // the same proof under another block: a new head too
  other_block.source.block_number += 1;
  run.push_back(other_block);
  Bundle other_header = run.front();
  other_header.source.header.back() ^= 1;
  run.push_back(other_header);
  Bundle longer_segment = run.front();
  longer_segment.source.segment.push_back(longer_segment.source.header);
  run.push_back(longer_segment);
  run.push_back(run.front());
  BundleTextWriter write;
  std::set<core::Hash32> hashes;
  for (const auto& b : run) {
    const BundleText written = write(b);
    CHECK((b.family != core::ChainFamily::kEvm || written.head));  // an EVM text shares its head
    CHECK(written.text() == expected_text(b));
    CHECK(written.text() == bundle_text(b));
    CHECK(written.hash == core::keccak256(core::as_bytes(written.text())));
    hashes.insert(written.hash);
  }
  CHECK(hashes.size() < run.size());  // the repeats hash alike

  // The head is one object while source block and proof stay the same, and a new one otherwise.
  BundleTextWriter again;
  const auto first = again(run.front()).head;
  CHECK(again(run.front()).head == first);
  CHECK(again(other_block).head != first);
  CHECK(again(run.front()).head != first);
  CHECK(*again(run.front()).head == *first);
}

TEST_CASE("compact_text prints what dump() prints, escapes and numbers included", "[unit]") {
  const auto same = [](const nlohmann::json& j) {
    INFO(j.dump());
    CHECK(compact_text(j) == j.dump());
  };
  same(nlohmann::json::object());
  same(nlohmann::json::array());
  same(nullptr);
  same(true);
  same(-12345678901234LL);
  same(18446744073709551615ULL);
  same(0.1);
  same(1e300);
  same("");
  same("plain 0xabcdef ~ \x7f\x7f");
  same("quote \" backslash \\ tab \t newline \n nul " + std::string(1, '\0') + " bell \x07");
  same("utf-8 \xc3\xa9\xe2\x82\xac\xf0\x9f\x94\x97");
  same(nlohmann::json::parse(R"({"b":[1,{"\"k":"v"},[],{}],"a":{"z":null,"y":[false,2.5]},"\u00e9":"x"})"));
  same(nlohmann::json::binary({1, 2, 3}));
  // Invalid UTF-8 is refused as dump() refuses it, not written.
  CHECK_THROWS_AS(compact_text(nlohmann::json("bad \xff")), nlohmann::json::type_error);
}

TEST_CASE("an EVM receipt left out is read from the proof's leaf, and named when it is not there", "[unit]") {
  nlohmann::json compact = bundle_json("a_sent_tx1_log3");
  const core::Bytes stated = bundle("a_sent_tx1_log3").inclusion.receipt;
  compact["inclusion"].erase("receipt");
  auto b = bundle_from_json(compact);
  REQUIRE(b.ok());
  CHECK(b->inclusion.receipt == stated);

  // The last node a branch (the leaf dropped): nothing to read the receipt from.
  nlohmann::json no_leaf = compact;
  no_leaf["inclusion"]["proof"].erase(no_leaf["inclusion"]["proof"].size() - 1);
  auto r = bundle_from_json(no_leaf);
  CHECK(r.error().reason() == json_read::reason::kBadField);
  require_path(r.error(), "inclusion.receipt: absent");
  // The leaf not RLP at all.
  nlohmann::json garbled = compact;
  garbled["inclusion"]["proof"].back() = "0x00";
  require_path(bundle_from_json(garbled).error(), "inclusion.receipt: absent");
  // The leaf's receipt is bounded like a stated one.
  BundleLimits small;
  small.max_receipt_bytes = 100;
  require_path(bundle_from_json(compact, small).error(), "inclusion.receipt");

  // A stated receipt the leaf does not hold is written out again, for the verifier to refuse.
  Bundle differs = bundle("a_sent_tx1_log3");
  differs.inclusion.receipt.back() ^= 0x01;
  const nlohmann::json written = bundle_to_json(differs);
  REQUIRE(written["inclusion"].contains("receipt"));
  CHECK(bundle_from_json(written)->inclusion.receipt == differs.inclusion.receipt);
}

TEST_CASE("bundle reader names the JSON path of each error", "[unit]") {
  const auto good = bundle_json("a_sent_tx1_log3");
  auto mutate = [&](auto&& edit) {
    auto j = good;
    edit(j);
    return bundle_from_json(j);
  };
  auto r = mutate([](auto& j) { j["inclusion"]["proof"][2] = "0xzz"; });
  CHECK(r.error().reason() == json_read::reason::kBadField);
  require_path(r.error(), "inclusion.proof[2]: bad hex");
  r = mutate([](auto& j) { j["source"]["segment"][1] = "0x123"; });
  require_path(r.error(), "source.segment[1]: bad hex");
  r = mutate([](auto& j) { j["source"].erase("header"); });
  CHECK(r.error().reason() == json_read::reason::kMissingField);
  require_path(r.error(), "source.header");
  r = mutate([](auto& j) { j["inclusion"]["key"] = "0x01"; });
  CHECK(r.error().reason() == json_read::reason::kUnknownField);
  require_path(r.error(), "inclusion.key");
  r = mutate([](auto& j) { j["inclusion"]["log_index"] = -1; });
  require_path(r.error(), "inclusion.log_index");
  r = mutate([](auto& j) { j["inclusion"]["tx_index"] = 4294967296ull; });
  require_path(r.error(), "inclusion.tx_index");
  r = mutate([](auto& j) { j["source"]["block_number"] = "04"; });
  require_path(r.error(), "source.block_number");
  r = mutate([](auto& j) { j["version"] = 2; });
  CHECK(r.error().reason() == reason::kBundleUnsupportedVersion);
  r = mutate([](auto& j) { j["family"] = "chainmaker"; });
  require_path(r.error(), "family");
  r = mutate([](auto& j) { j["message"]["flags"] = 2; });
  require_path(r.error(), "message");
  r = mutate([](auto& j) { j["message"]["extra"] = 1; });
  CHECK(r.error().reason() == core::reason::message_json::kUnknownField);
  r = mutate([](auto& j) { j["inclusion"]["proof"] = nlohmann::json::array(); });
  require_path(r.error(), "inclusion.proof");
  r = mutate([](auto& j) { j = nlohmann::json::array(); });
  CHECK(r.error().reason() == json_read::reason::kBadField);
}

TEST_CASE("bundle reader bounds sizes before allocating (THREATS 24)", "[unit]") {
  const auto good = bundle_json("a_sent_tx1_log3");
  BundleLimits small;
  small.max_proof_nodes = 2;
  auto r = bundle_from_json(good, small);
  require_path(r.error(), "inclusion.proof");
  small = {};
  small.max_segment_headers = 2;
  require_path(bundle_from_json(good, small).error(), "source.segment");
  small = {};
  small.max_header_bytes = 100;
  require_path(bundle_from_json(good, small).error(), "source.header");
  small = {};
  small.max_receipt_bytes = 100;
  require_path(bundle_from_json(good, small).error(), "inclusion.receipt");
  small = {};
  small.max_payload = 1;
  require_path(bundle_from_json(good, small).error(), "message");

  const std::string text = good.dump();
  small = {};
  small.max_json_bytes = text.size() - 1;
  CHECK(parse_bundle(text, small).error().reason() == json_read::reason::kTooLarge);
  // Deep nesting is refused by the scan, before the recursive parser could overflow the stack.
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  CHECK(parse_bundle(deep).error().reason() == json_read::reason::kTooDeep);
  // Brackets inside strings do not count as nesting.
  CHECK(json_read::parse_bounded("{\"a\": \"[[[[[[[[[[[[[[[[[[[[\\\"[[[[\"}", 100, 2).ok());
  CHECK(parse_bundle("{\"version\": 1,").error().reason() == json_read::reason::kSyntax);
}
