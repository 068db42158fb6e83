// Tests for relay/verify/clique: seal hash and signer of the real Besu Clique blocks (A.6.1),
// finality by distinct authorized signers, and one-field mutations.
#include <catch2/catch.hpp>

#include "relay/verify/clique.hpp"
#include "relay/verify/evm_finality.hpp"
#include "tests/unit/verify/verify_test_util.hpp"

using namespace causeway;
using namespace causeway::verify;
using causeway::test::hex;
using namespace causeway::test::verify_util;

namespace {

struct CliqueVectors {
  nlohmann::json expected;
  std::vector<core::Bytes> headers;
  EvmConsensusParams params;
};

std::optional<CliqueVectors> load_clique() {
  auto stream = test::load_binary_vector("evm/besu_clique.blocks");
  auto expected = test::load_json_vector("evm/besu_clique_expected.json");
  if (!stream || !expected) return std::nullopt;
  CliqueVectors out{*expected, headers_of_block_stream(*stream), {}};
  auto signers = clique_checkpoint_signers(out.headers[0]);
  REQUIRE(signers.ok());
  out.params.mode = ConsensusMode::kClique;
  out.params.checkpoint = {0, hash32(out.expected["blocks"][0]["hash"].get<std::string>())};
  out.params.validator_sets = {*signers};
  out.params.clique_epoch = out.expected["epoch"].get<std::uint64_t>();
  return out;
}

std::vector<core::ByteView> views(const std::vector<core::Bytes>& headers, std::size_t from) {
  return {headers.begin() + static_cast<std::ptrdiff_t>(from), headers.end()};
}

}  // namespace

TEST_CASE("clique blocks: seal hashes, signers and finality", "[vectors]") {
  auto v = load_clique();
  if (!v) return;
  const auto& blocks = v->expected["blocks"];
  REQUIRE(v->headers.size() == blocks.size());
  std::size_t executed = 0;

  REQUIRE(v->params.validator_sets[0].members.size() == 1);
  CHECK(core::to_hex(v->params.validator_sets[0].members[0]) == v->expected["authorized_signers"][0].get<std::string>());
  ++executed;
  for (std::size_t i = 1; i < v->headers.size(); ++i) {
    INFO("block " << i);
    auto header = decode_evm_header(v->headers[i]);
    REQUIRE(header.ok());
    CHECK(core::to_hex(clique_seal_hash(*header)) == blocks[i]["seal_hash"].get<std::string>());
    auto signer = clique_signer(*header);
    REQUIRE(signer.ok());
    CHECK(core::to_hex(*signer) == blocks[i]["signer"].get<std::string>());
    ++executed;
  }
  // One signer: floor(1/2)+1 = 1, so block 1 is final once it links to the checkpoint, and so is
  // every later block; the whole segment is checked either way.
  const auto segment = views(v->headers, 1);
  for (std::uint64_t target = 1; target <= 4; ++target) {
    auto final_header = verify_evm_finality(v->params, segment, target);
    REQUIRE(final_header.ok());
    CHECK(core::to_hex(final_header->hash) == blocks[target]["hash"].get<std::string>());
    CHECK(final_header->validators_after == v->params.validator_sets[0]);
    ++executed;
  }
  test::report_cases("evm/besu_clique.blocks", executed);
}

TEST_CASE("clique blocks: each one-field mutation fails with its named reason", "[vectors]") {
  auto v = load_clique();
  if (!v) return;
  auto header2 = decode_evm_header(v->headers[2]);
  REQUIRE(header2.ok());
  auto with_extra = [&](auto edit) {
    core::Bytes extra(header2->extra_data.begin(), header2->extra_data.end());
    edit(extra);
    return encode_with_extra(*header2, extra);
  };
  struct Case {
    const char* what;
    core::Bytes header;
    core::Reason reason;
  };
  const std::vector<Case> cases = {
      {"parentHash", with_field(v->headers[2], 0, core::Bytes(32, 0x42)), reason::kParentMismatch},
      {"number", with_field(v->headers[2], 8, core::be_minimal(3)), reason::kUnexpectedNumber},
      {"receiptsRoot", with_field(v->headers[2], 5, core::Bytes(32, 0x42)), reason::kNonMemberSeal},
      {"extraData vanity", with_extra([](core::Bytes& e) { e[0] ^= 1; }), reason::kNonMemberSeal},
      {"seal byte", with_extra([](core::Bytes& e) { e[e.size() - 2] ^= 1; }), reason::kNonMemberSeal},
      {"seal v = 27", with_extra([](core::Bytes& e) { e.back() = 27; }), reason::kBadSeal},
      {"signer list outside an epoch block",
       with_extra([](core::Bytes& e) { e.insert(e.begin() + 32, 20, 0x11); }), reason::kCliqueBadExtraData},
      {"extraData one byte short", with_extra([](core::Bytes& e) { e.erase(e.begin()); }), reason::kCliqueBadExtraData},
      {"mixHash", with_field(v->headers[2], 13, core::Bytes(32, 0x01)), reason::kWrongMixHash},
      {"difficulty 3", with_field(v->headers[2], 7, core::be_minimal(3)), reason::kWrongDifficulty},
      {"nonce", with_field(v->headers[2], 14, core::Bytes{0, 0, 0, 0, 0, 0, 0, 1}), reason::kWrongNonce},
  };
  std::vector<core::Bytes> chain = v->headers;
  for (const auto& c : cases) {
    INFO(c.what);
    chain[2] = c.header;
    auto result = verify_evm_finality(v->params, views(chain, 1), 1);
    REQUIRE(!result.ok());
    CHECK(result.error().reason().name == c.reason.name);
  }
  // A Shanghai field on a Clique header is refused outright.
  auto items = fields_of(v->headers[1]);
  items.push_back(core::rlp::encode_string(core::Bytes(32, 0)));
  chain = v->headers;
  chain[1] = list_of_items(items);
  CHECK(verify_evm_finality(v->params, views(chain, 1), 1).error().reason() == reason::kCliqueUnexpectedFields);
}
