// Tests for adapters/evm/header_json: real anvil headers of London, Shanghai, Cancun and Prague
// rebuild to their block hash, and each mutation of one field is refused by name.
#include <catch2/catch.hpp>

#include <string>

#include "adapters/evm/header_json.hpp"
#include "adapters/evm/rpc_json.hpp"
#include "relay/core/hash.hpp"
#include "relay/verify/evm_header.hpp"
#include "tests/unit/evm/anvil_fixtures.hpp"

using namespace causeway;
using namespace causeway::evm;
using nlohmann::json;

namespace {

core::Result<RebuiltHeader> rebuild(const json& block, HeaderHashRule rule = HeaderHashRule::kPlainKeccak,
                                    bool allow_unknown = false) {
  return header_from_json({.block = block, .hash_rule = rule, .allow_unknown_keys = allow_unknown});
}

// The mixed-transaction block of the fork (header with a non-empty bloom and receipts root).
json block_of(const std::string& fork) {
  for (const auto& f : test::anvil::all_forks()) {
    if (f.fork == fork) return test::anvil::busiest_block(f, 1, 20)["block"];
  }
  throw std::runtime_error("no fork " + fork);
}

void require_error(const core::Result<RebuiltHeader>& result, core::Reason reason, const std::string& names) {
  REQUIRE_FALSE(result.ok());
  INFO(result.error().message());
  CHECK(result.error().reason() == reason);
  CHECK(result.error().detail().find(names) != std::string::npos);
}

}  // namespace

TEST_CASE("header json: real anvil headers of every fork rebuild to their block hash", "[unit]") {
  std::size_t checked = 0;
  for (const auto& fixture : test::anvil::all_forks()) {
    for (const auto& entry : fixture.file["blocks"]) {
      const json& block = entry["block"];
      INFO(fixture.fork << " block " << block["number"].get<std::string>());
      auto header = rebuild(block);
      if (block["number"] == "0x0" && (fixture.fork == "london" || fixture.fork == "shanghai")) {
        // anvil's quirk: these genesis headers carry the blob-gas fields without withdrawalsRoot.
        REQUIRE_FALSE(header.ok());
        CHECK(header.error().reason() == reason::header_json::kFieldGap);
        auto gapped = header_from_json({.block = block, .allow_gaps = true});
        REQUIRE(gapped.ok());
        CHECK(gapped->hash_checked);
        CHECK(gapped->field_count == fixture.header_fields + 2);
        CHECK_FALSE(verify::decode_evm_header(gapped->rlp).ok());
        ++checked;
        continue;
      }
      REQUIRE(header.ok());
      CHECK(header->hash_checked);
      CHECK(header->field_count == fixture.header_fields);
      CHECK(core::to_hex(header->hash) == block["hash"].get<std::string>());
      CHECK(core::to_hex(header->parent_hash) == block["parentHash"].get<std::string>());
      CHECK(core::to_hex(header->receipts_root) == block["receiptsRoot"].get<std::string>());
      CHECK(to_quantity(header->number) == block["number"].get<std::string>());
      // The verifier's decoder reads the same bytes back with the same field count and hash.
      auto decoded = verify::decode_evm_header(header->rlp);
      REQUIRE(decoded.ok());
      CHECK(decoded->field_count == fixture.header_fields);
      CHECK(verify::plain_hash(*decoded) == header->hash);
      CHECK(decoded->number == header->number);
      ++checked;
    }
  }
  CHECK(checked == 17);
}

TEST_CASE("header json: a missing base field is named", "[unit]") {
  for (const char* field : {"parentHash", "stateRoot", "receiptsRoot", "logsBloom", "extraData", "nonce", "mixHash",
                            "difficulty", "timestamp"}) {
    json block = block_of("prague");
    block.erase(field);
    require_error(rebuild(block), reason::rpc_json::kMissingField, std::string("block.") + field);
    block[field] = nullptr;  // null is as absent
    require_error(rebuild(block), reason::rpc_json::kMissingField, std::string("block.") + field);
  }
  json block = block_of("prague");
  block.erase("hash");
  require_error(rebuild(block), reason::rpc_json::kMissingField, "block.hash");
}

TEST_CASE("header json: a trailing field missing before a present one is a gap", "[unit]") {
  json block = block_of("prague");
  block.erase("withdrawalsRoot");
  require_error(rebuild(block), reason::header_json::kFieldGap, "block.blobGasUsed is present but block.withdrawalsRoot");

  block = block_of("prague");
  block.erase("baseFeePerGas");
  require_error(rebuild(block), reason::header_json::kFieldGap, "block.baseFeePerGas is missing");

  block = block_of("prague");
  block.erase("parentBeaconBlockRoot");
  require_error(rebuild(block), reason::header_json::kFieldGap, "block.requestsHash is present but block.parentBeaconBlockRoot");

  // Cancun's three fields come together: without the last one the header would have 19 fields.
  block = block_of("cancun");
  block.erase("parentBeaconBlockRoot");
  require_error(rebuild(block), reason::header_json::kFieldGap, "Cancun");
  block = block_of("cancun");
  block.erase("excessBlobGas");
  block.erase("parentBeaconBlockRoot");
  require_error(rebuild(block), reason::header_json::kFieldGap, "block.excessBlobGas is missing");
}

TEST_CASE("header json: dropping or adding a whole fork's field changes the hash", "[unit]") {
  json block = block_of("prague");
  block.erase("requestsHash");  // a well-formed Cancun header, but not this block
  require_error(rebuild(block), reason::header_json::kHashMismatch, "!= block.hash");

  block = block_of("cancun");
  block["requestsHash"] = "0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  require_error(rebuild(block), reason::header_json::kHashMismatch, "!= block.hash");

  block = block_of("london");
  block["withdrawalsRoot"] = "0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421";
  require_error(rebuild(block), reason::header_json::kHashMismatch, "!= block.hash");
}

TEST_CASE("header json: unknown and unfinished-fork keys are refused by name", "[unit]") {
  json block = block_of("prague");
  block["blockAccessListHash"] = "0x" + std::string(64, '0');
  require_error(rebuild(block), reason::header_json::kUnsupportedField, "block.blockAccessListHash");
  block = block_of("prague");
  block["slotNumber"] = "0x1";
  require_error(rebuild(block), reason::header_json::kUnsupportedField, "block.slotNumber");

  block = block_of("prague");
  block["stateRooot"] = block["stateRoot"];
  require_error(rebuild(block), reason::header_json::kUnknownField, "block.stateRooot");
  // Opting in to ignoring decoration keeps the strict field checks.
  auto lenient = rebuild(block, HeaderHashRule::kPlainKeccak, true);
  REQUIRE(lenient.ok());
  CHECK(lenient->hash_checked);
}

TEST_CASE("header json: wrong sizes and bad hex name the field", "[unit]") {
  struct Case {
    const char* field;
    json value;
    core::Reason reason;
  };
  const std::string h31 = "0x" + std::string(62, 'a');
  const std::string h33 = "0x" + std::string(66, 'a');
  const Case cases[] = {
      {"stateRoot", h31, reason::rpc_json::kBadSize},
      {"parentHash", h33, reason::rpc_json::kBadSize},
      {"miner", "0x" + std::string(42, '1'), reason::rpc_json::kBadSize},
      {"logsBloom", "0x" + std::string(510, '0'), reason::rpc_json::kBadSize},
      {"nonce", "0x0", reason::rpc_json::kBadHex},  // a quantity where 8 fixed bytes belong
      {"nonce", "0x00000000000000", reason::rpc_json::kBadSize},
      {"mixHash", "0x" + std::string(63, 'a'), reason::rpc_json::kBadHex},
      {"requestsHash", h31, reason::rpc_json::kBadSize},
      {"withdrawalsRoot", "0x" + std::string(62, 'a') + "zz", reason::rpc_json::kBadHex},
      {"number", "0x10000000000000000", reason::rpc_json::kBadSize},
      {"gasLimit", "0x01", reason::rpc_json::kNonCanonicalQuantity},
      {"gasUsed", "0x", reason::rpc_json::kNonCanonicalQuantity},
      {"timestamp", 1704067201, reason::rpc_json::kBadHex},
      {"timestamp", "65920081", reason::rpc_json::kBadHex},
      {"difficulty", "0x1" + std::string(64, '0'), reason::rpc_json::kBadSize},
      {"baseFeePerGas", "0xg", reason::rpc_json::kBadHex},
      {"blobGasUsed", "0x1ffffffffffffffff", reason::rpc_json::kBadSize},
      {"extraData", "0xabc", reason::rpc_json::kBadHex},
      {"extraData", "0x" + std::string(2 * (kMaxExtraDataBytes + 1), '0'), reason::header_json::kExtraDataTooLarge},
  };
  for (const auto& c : cases) {
    INFO(c.field << " = " << c.value.dump().substr(0, 80));
    json block = block_of("prague");
    block[c.field] = c.value;
    require_error(rebuild(block), c.reason, std::string("block.") + c.field);
  }
  json block = block_of("prague");
  block["hash"] = h31;
  require_error(rebuild(block), reason::rpc_json::kBadSize, "block.hash");
  CHECK(rebuild(json::array()).error().reason() == reason::rpc_json::kNotObject);
}

TEST_CASE("header json: BFT engines leave the hash to the verifier's engine-specific rule", "[unit]") {
  json block = block_of("london");
  // A BFT header's JSON hash covers a filtered extraData, so keccak(full RLP) differs from it.
  block["extraData"] = "0x" + std::string(64, '0') + "c0";
  require_error(rebuild(block), reason::header_json::kHashMismatch, "keccak(rlp)");
  auto bft = rebuild(block, HeaderHashRule::kEngineSpecific);
  REQUIRE(bft.ok());
  CHECK_FALSE(bft->hash_checked);
  CHECK(core::to_hex(bft->hash) == block["hash"].get<std::string>());
  CHECK(core::keccak256(bft->rlp) != bft->hash);
  auto decoded = verify::decode_evm_header(bft->rlp);
  REQUIRE(decoded.ok());
  CHECK(decoded->extra_data.size() == 33);

  CHECK(hash_rule_for(verify::ConsensusMode::kQbft) == HeaderHashRule::kEngineSpecific);
  CHECK(hash_rule_for(verify::ConsensusMode::kIbft2) == HeaderHashRule::kEngineSpecific);
  CHECK(hash_rule_for(verify::ConsensusMode::kIbft1) == HeaderHashRule::kEngineSpecific);
  CHECK(hash_rule_for(verify::ConsensusMode::kClique) == HeaderHashRule::kPlainKeccak);
  CHECK(hash_rule_for(verify::ConsensusMode::kConfirmations) == HeaderHashRule::kPlainKeccak);
  CHECK(hash_rule_for(verify::ConsensusMode::kTrusted) == HeaderHashRule::kPlainKeccak);
}

TEST_CASE("header json: a pre-London header has the 15 base fields", "[unit]") {
  json block = block_of("london");
  block.erase("baseFeePerGas");
  auto bft = rebuild(block, HeaderHashRule::kEngineSpecific);
  REQUIRE(bft.ok());
  CHECK(bft->field_count == 15);
  auto decoded = verify::decode_evm_header(bft->rlp);
  REQUIRE(decoded.ok());
  CHECK_FALSE(decoded->base_fee.has_value());
}
