// Tests for relay/verify/evm_header: field counts per fork, strict field sizes, and hashing with a
// replaced extraData (A.2), plus the plain hash of the real Clique blocks.
#include <catch2/catch.hpp>

#include "relay/core/hash.hpp"
#include "relay/verify/evm_header.hpp"
#include "tests/unit/verify/verify_test_util.hpp"

using namespace causeway;
using namespace causeway::verify;
using causeway::test::hex;
using namespace causeway::test::verify_util;

namespace {

// A syntactically valid header with `count` fields and the given extraData.
core::Bytes sample_header(std::size_t count, core::ByteView extra = {}) {
  core::rlp::Encoder e;
  e.begin_list();
  const core::Bytes h32(32, 0x11), a20(20, 0x22), bloom(256, 0);
  e.add_string(h32).add_string(h32).add_string(a20).add_string(h32).add_string(h32).add_string(h32);
  e.add_string(bloom).add_uint(1).add_uint(7528).add_uint(30000000).add_uint(0).add_uint(1715495307);
  e.add_string(extra).add_string(h32).add_string(core::Bytes(8, 0));
  const std::size_t optional[] = {15, 16, 17, 18, 19, 20, 21};
  for (std::size_t index : optional) {
    if (index >= count) break;
    if (index == 15 || index == 17 || index == 18 || index == 21) {
      e.add_uint(index);
    } else {
      e.add_string(h32);
    }
  }
  e.end_list();
  return std::move(e).take();
}

}  // namespace

TEST_CASE("evm header decodes every fork's field count", "[unit]") {
  for (std::size_t count : {15u, 16u, 17u, 20u, 21u}) {
    const auto rlp = sample_header(count);
    auto header = decode_evm_header(rlp);
    REQUIRE(header.ok());
    CHECK(header->field_count == count);
    CHECK(header->number == 7528);
    CHECK(header->timestamp == 1715495307);
    CHECK(header->base_fee.has_value() == (count > 15));
    CHECK(header->withdrawals_root.has_value() == (count > 16));
    CHECK(header->parent_beacon_block_root.has_value() == (count > 17));
    CHECK(header->requests_hash.has_value() == (count > 20));
  }
}

TEST_CASE("evm header rejects too few, gapped and unknown fields by name", "[unit]") {
  auto too_few = fields_of(sample_header(15));
  too_few.pop_back();
  CHECK(decode_evm_header(list_of_items(too_few)).error().reason() == reason::kHeaderTooFewFields);
  CHECK(decode_evm_header(sample_header(18)).error().reason() == reason::kHeaderFieldGap);
  CHECK(decode_evm_header(sample_header(19)).error().reason() == reason::kHeaderFieldGap);
  auto too_many = fields_of(sample_header(21));
  too_many.push_back(core::rlp::encode_uint(1));
  CHECK(decode_evm_header(list_of_items(too_many)).error().reason() == reason::kHeaderUnknownFields);
  too_many.push_back(core::rlp::encode_uint(1));
  CHECK(decode_evm_header(list_of_items(too_many)).error().reason() == reason::kHeaderUnknownFields);
}

TEST_CASE("evm header rejects wrong field sizes and kinds", "[unit]") {
  const auto good = sample_header(16);
  struct Case { std::size_t index; core::Bytes value; };
  const Case cases[] = {
      {0, core::Bytes(31, 1)}, {2, core::Bytes(21, 1)}, {5, core::Bytes(33, 1)}, {6, core::Bytes(255, 0)},
      {13, core::Bytes(32 - 1, 0)}, {14, core::Bytes(7, 0)}, {8, core::Bytes(9, 1)},
      {8, core::Bytes{0x00, 0x01}},  // leading zero
      {7, core::Bytes(33, 1)}, {15, core::Bytes(33, 1)},
  };
  for (const auto& c : cases) {
    INFO("field " << c.index);
    CHECK(decode_evm_header(with_field(good, c.index, c.value)).error().reason() == reason::kHeaderFieldSize);
  }
  auto items = fields_of(good);
  items[12] = core::rlp::encode_list({});  // extraData as a list
  CHECK(decode_evm_header(list_of_items(items)).error().reason() == reason::kHeaderFieldSize);
  CHECK(decode_evm_header(core::rlp::encode_string(core::Bytes(40, 1))).error().reason() == reason::kHeaderNotList);
  auto trailing = good;
  trailing.push_back(0x80);
  CHECK(!decode_evm_header(trailing).ok());
  CHECK(decode_evm_header(core::Bytes(kMaxHeaderBytes + 1, 0xc0)).error().reason() == reason::kHeaderTooLarge);
}

TEST_CASE("evm header re-hashes with another extraData exactly as re-encoding would", "[unit]") {
  const core::Bytes extras[] = {{}, {0x05}, {0x80}, core::Bytes(55, 3), core::Bytes(56, 4), core::Bytes(300, 5)};
  for (const auto& original : extras) {
    const auto rlp = sample_header(17, original);
    auto header = decode_evm_header(rlp);
    REQUIRE(header.ok());
    CHECK(plain_hash(*header) == core::keccak256(rlp));
    CHECK(hash_with_extra(*header, header->extra_data) == plain_hash(*header));
    for (const auto& replacement : extras) {
      const auto expected = sample_header(17, replacement);
      CHECK(encode_with_extra(*header, replacement) == expected);
      CHECK(hash_with_extra(*header, replacement) == core::keccak256(expected));
    }
  }
}

TEST_CASE("evm header plain hash matches the real Clique blocks", "[vectors]") {
  auto stream = test::load_binary_vector("evm/besu_clique.blocks");
  auto expected = test::load_json_vector("evm/besu_clique_expected.json");
  if (!stream || !expected) return;
  const auto headers = headers_of_block_stream(*stream);
  REQUIRE(headers.size() == (*expected)["blocks"].size());
  std::size_t executed = 0;
  for (std::size_t i = 0; i < headers.size(); ++i) {
    const auto& block = (*expected)["blocks"][i];
    auto header = decode_evm_header(headers[i]);
    REQUIRE(header.ok());
    CHECK(header->field_count == block["field_count"].get<std::size_t>());
    CHECK(header->number == block["number"].get<std::uint64_t>());
    CHECK(core::to_hex(plain_hash(*header)) == block["hash"].get<std::string>());
    CHECK(core::to_hex(header->parent_hash) == block["parent_hash"].get<std::string>());
    ++executed;
  }
  test::report_cases("evm/besu_clique.blocks header hashes", executed);
}
