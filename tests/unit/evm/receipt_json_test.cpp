// Tests for adapters/evm/receipt_json: real anvil blocks (types 0/1/2, failed transactions, 24 logs
// per receipt, 130 receipts, empty blocks) rebuild to receiptsRoot; proofs verify; the encoding
// commits cumulativeGasUsed and not gasUsed; each mutation is refused by name.
#include <catch2/catch.hpp>

#include <string>

#include "adapters/evm/header_json.hpp"
#include "adapters/evm/receipt_json.hpp"
#include "adapters/evm/rpc_json.hpp"
#include "relay/core/mpt.hpp"
#include "relay/core/rlp.hpp"
#include "relay/verify/inclusion.hpp"
#include "tests/unit/evm/anvil_fixtures.hpp"

using namespace causeway;
using namespace causeway::evm;
using nlohmann::json;

namespace {

core::Result<BlockReceipts> rebuild(const json& entry) {
  const json& block = entry["block"];
  // Block 0 of anvil's London/Shanghai chains needs allow_gaps (see header_json.hpp).
  auto header = header_from_json({.block = block, .allow_gaps = block["number"] == "0x0"});
  if (!header) throw std::runtime_error(header.error().message());
  return BlockReceipts::from_json({.receipts = entry["receipts"],
                                   .receipts_root = header->receipts_root,
                                   .block_hash = header->hash,
                                   .block_number = header->number});
}

json mixed_block(const std::string& fork = "prague") {
  for (const auto& f : test::anvil::all_forks()) {
    if (f.fork == fork) return test::anvil::busiest_block(f, 2, 20);
  }
  throw std::runtime_error("no fork " + fork);
}

void require_error(const core::Result<BlockReceipts>& result, core::Reason reason, const std::string& names) {
  REQUIRE_FALSE(result.ok());
  INFO(result.error().message());
  CHECK(result.error().reason() == reason);
  CHECK(result.error().detail().find(names) != std::string::npos);
}

}  // namespace

TEST_CASE("receipt json: real anvil blocks rebuild to the header's receiptsRoot and prove every index", "[unit]") {
  std::size_t receipts_checked = 0;
  bool saw_type[3] = {false, false, false};
  bool saw_failed = false, saw_many_logs = false, saw_key_128 = false, saw_empty = false;
  for (const auto& fixture : test::anvil::all_forks()) {
    for (const auto& entry : fixture.file["blocks"]) {
      INFO(fixture.fork << " block " << entry["block"]["number"].get<std::string>());
      auto receipts = rebuild(entry);
      REQUIRE(receipts.ok());
      const json& list = entry["receipts"];
      REQUIRE(receipts->size() == list.size());
      if (list.empty()) {
        saw_empty = true;
        CHECK(receipts->root() == core::mpt::empty_root());
      }
      for (std::size_t i = 0; i < list.size(); ++i) {
        auto proof = receipts->prove(i);
        REQUIRE(proof.ok());
        auto proven = core::mpt::verify_receipt_proof(receipts->root(), i, std::span<const core::Bytes>(*proof));
        REQUIRE(proven.ok());
        CHECK(std::equal(proven->begin(), proven->end(), receipts->value(i).begin(), receipts->value(i).end()));

        // The verifier's decoder reads the proven bytes back to what the JSON said.
        auto view = verify::decode_receipt(*proven);
        REQUIRE(view.ok());
        const json& r = list[i];
        const auto type = *quantity_u64(r["type"], "type");
        CHECK(view->type == type);
        const bool succeeded = view->status == verify::ReceiptStatus::kSuccess;
        CHECK(succeeded == (r["status"] == "0x1"));
        CHECK(to_quantity(view->cumulative_gas_used) == r["cumulativeGasUsed"].get<std::string>());
        REQUIRE(view->logs.size() == r["logs"].size());
        for (std::size_t l = 0; l < view->logs.size(); ++l) {
          CHECK(core::to_hex(view->logs[l].address.view()) == r["logs"][l]["address"].get<std::string>());
          CHECK(core::to_hex(view->logs[l].data) == r["logs"][l]["data"].get<std::string>());
          REQUIRE(view->logs[l].topics.size() == r["logs"][l]["topics"].size());
        }
        if (type < 3) saw_type[type] = true;
        saw_failed |= !succeeded;
        saw_many_logs |= view->logs.size() >= 24;
        saw_key_128 |= i == 128;
        ++receipts_checked;
      }
    }
  }
  CHECK(receipts_checked > 160);
  CHECK((saw_type[0] && saw_type[1] && saw_type[2]));
  CHECK(saw_failed);
  CHECK(saw_many_logs);
  CHECK(saw_key_128);
  CHECK(saw_empty);
}

TEST_CASE("receipt json: the encoding commits cumulativeGasUsed, not gasUsed or derived fields", "[unit]") {
  json entry = mixed_block();
  // Derived fields are not committed: changing them keeps the root.
  entry["receipts"][2]["gasUsed"] = "0x1";
  entry["receipts"][2]["effectiveGasPrice"] = "0x2";
  entry["receipts"][2]["logs"][0]["logIndex"] = "0x63";
  entry["receipts"][2]["from"] = "0x" + std::string(40, '0');
  REQUIRE(rebuild(entry).ok());

  // Committed fields are: one change each and the root moves.
  const char* committed[] = {"cumulativeGasUsed", "status", "logsBloom", "type", "log address", "log topic",
                             "log data"};
  for (const char* field : committed) {
    INFO(field);
    json mutated = mixed_block();
    json& r = mutated["receipts"][2];
    const std::string f = field;
    if (f == "cumulativeGasUsed") r[f] = to_quantity(*quantity_u64(r[f], f) + 1);
    if (f == "status") r[f] = "0x0";
    if (f == "logsBloom") r[f] = "0x" + std::string(512, '0');
    if (f == "type") r[f] = "0x1";
    if (f == "log address") r["logs"][0]["address"] = "0x" + std::string(40, 'e');
    if (f == "log topic") r["logs"][1]["topics"][1] = "0x" + std::string(64, '0');
    if (f == "log data") r["logs"][5]["data"] = "0x";
    require_error(rebuild(mutated), reason::receipt_json::kRootMismatch, "header has");
  }
}

TEST_CASE("receipt json: mutations are refused by name", "[unit]") {
  struct Case {
    const char* what;
    void (*mutate)(json& receipts);
    core::Reason reason;
    const char* names;
  };
  const Case cases[] = {
      {"status 2", [](json& r) { r[1]["status"] = "0x2"; }, reason::receipt_json::kBadStatus, "receipts[1].status"},
      {"status and root", [](json& r) { r[1]["root"] = "0x" + std::string(64, '1'); },
       reason::receipt_json::kStatusOrRoot, "receipts[1]: both"},
      {"neither", [](json& r) { r[3].erase("status"); }, reason::receipt_json::kStatusOrRoot, "receipts[3]: neither"},
      {"type 5", [](json& r) { r[0]["type"] = "0x5"; }, reason::receipt_json::kUnknownType, "receipts[0].type"},
      {"five topics", [](json& r) { r[2]["logs"][7]["topics"] = json::array({r[2]["logs"][7]["topics"][0], r[2]["logs"][7]["topics"][0], r[2]["logs"][7]["topics"][0], r[2]["logs"][7]["topics"][0], r[2]["logs"][7]["topics"][0]}); },
       reason::receipt_json::kTooManyTopics, "receipts[2].logs[7].topics"},
      {"short topic", [](json& r) { r[2]["logs"][3]["topics"][1] = "0x00"; }, reason::rpc_json::kBadSize,
       "receipts[2].logs[3].topics[1]"},
      {"bad data", [](json& r) { r[1]["logs"][3]["data"] = "0xabc"; }, reason::rpc_json::kBadHex,
       "receipts[1].logs[3].data"},
      {"long address", [](json& r) { r[1]["logs"][0]["address"] = "0x" + std::string(42, '1'); },
       reason::rpc_json::kBadSize, "receipts[1].logs[0].address"},
      {"no bloom", [](json& r) { r[2].erase("logsBloom"); }, reason::rpc_json::kMissingField, "receipts[2].logsBloom"},
      {"no cumulative", [](json& r) { r[4].erase("cumulativeGasUsed"); }, reason::rpc_json::kMissingField,
       "receipts[4].cumulativeGasUsed"},
      {"no logs", [](json& r) { r[4].erase("logs"); }, reason::rpc_json::kMissingField, "receipts[4].logs"},
      {"logs not array", [](json& r) { r[4]["logs"] = json::object(); }, reason::rpc_json::kNotArray, "receipts[4].logs"},
      {"swapped", [](json& r) { std::swap(r[1], r[2]); }, reason::receipt_json::kWrongPosition,
       "receipts[1].transactionIndex"},
      {"missing one", [](json& r) { r.erase(r.begin() + 3); }, reason::receipt_json::kWrongPosition,
       "receipts[3].transactionIndex"},
      {"other block hash", [](json& r) { r[5]["blockHash"] = "0x" + std::string(64, '7'); },
       reason::receipt_json::kWrongBlock, "receipts[5].blockHash"},
      {"other block number", [](json& r) { r[6]["blockNumber"] = "0x9"; }, reason::receipt_json::kWrongBlock,
       "receipts[6].blockNumber"},
      {"leading zero", [](json& r) { r[0]["cumulativeGasUsed"] = "0x05208"; },
       reason::rpc_json::kNonCanonicalQuantity, "receipts[0].cumulativeGasUsed"},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    json entry = mixed_block();
    c.mutate(entry["receipts"]);
    require_error(rebuild(entry), c.reason, c.names);
  }
  json entry = mixed_block();
  entry["receipts"].push_back(entry["receipts"][0]);
  entry["receipts"].back()["transactionIndex"] = to_quantity(entry["receipts"].size() - 1);
  require_error(rebuild(entry), reason::receipt_json::kRootMismatch, "over 8 receipts");
}

TEST_CASE("receipt json: outside vector — typed receipts of ethereum/tests blockWithAllTransactionTypes", "[unit]") {
  // PROOF_FORMATS.md A.4 [VERIFIED]: four 21000-gas transfers of types 0..3, no logs, reproduce
  // receiptTrie 0x0c827194…d41c of the Cancun block.
  json receipts = json::array();
  for (int i = 0; i < 4; ++i) {
    receipts.push_back({{"type", to_quantity(static_cast<std::uint64_t>(i))},
                        {"status", "0x1"},
                        {"cumulativeGasUsed", to_quantity(21000u * static_cast<std::uint64_t>(i + 1))},
                        {"logsBloom", "0x" + std::string(512, '0')},
                        {"logs", json::array()},
                        {"transactionIndex", to_quantity(static_cast<std::uint64_t>(i))},
                        {"blockHash", "0x" + std::string(64, '1')},
                        {"blockNumber", "0x1"}});
  }
  const auto root = *core::fixed_from_hex<core::Hash32>("0x0c82719448356ba6807d6edfcd8e5aea575a5e97f36038ffb3e395749b26d41c");
  auto block = BlockReceipts::from_json({.receipts = receipts,
                                         .receipts_root = root,
                                         .block_hash = *core::fixed_from_hex<core::Hash32>("0x" + std::string(64, '1')),
                                         .block_number = 1});
  REQUIRE(block.ok());
  CHECK(block->value(0)[0] >= 0xc0);  // legacy: a bare RLP list
  CHECK(block->value(2)[0] == 0x02);  // typed: the type byte, then the list
  CHECK(block->prove(4).error().reason() == reason::receipt_json::kTxIndexOutOfRange);
}

TEST_CASE("receipt json: a pre-Byzantium receipt commits its 32-byte state root", "[unit]") {
  const json receipt = {{"root", "0x" + std::string(64, 'a')},
                        {"cumulativeGasUsed", "0x5208"},
                        {"logsBloom", "0x" + std::string(512, '0')},
                        {"logs", json::array()}};
  auto value = receipt_from_json(receipt);
  REQUIRE(value.ok());
  CHECK((*value)[0] >= 0xc0);
  auto view = verify::decode_receipt(*value);
  REQUIRE(view.ok());
  CHECK(view->type == 0);
  CHECK(view->status == verify::ReceiptStatus::kPreByzantiumRoot);
  CHECK(view->cumulative_gas_used == 21000);
}
