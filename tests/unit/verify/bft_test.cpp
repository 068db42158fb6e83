// Tests for relay/verify/bft and the BFT follower on real chains: the Besu QBFT header 7528 and
// the 101-block GoQuorum IBFT 1.0 chain (PROOF_FORMATS.md A.6.3, A.6.5), each with one-field
// mutations that must fail with a named reason.
#include <catch2/catch.hpp>

#include <set>

#include "relay/core/hash.hpp"
#include "relay/core/secp256k1.hpp"
#include "relay/verify/bft.hpp"
#include "relay/verify/evm_finality.hpp"
#include "tests/unit/verify/verify_test_util.hpp"

using namespace causeway;
using namespace causeway::verify;
using causeway::test::hex;
using namespace causeway::test::verify_util;

namespace {

struct Qbft7528 {
  nlohmann::json json;
  core::Bytes header;
  EvmConsensusParams params;
};

std::optional<Qbft7528> load_qbft_7528() {
  auto json = test::load_json_vector("evm/besu_qbft_header_7528.json");
  if (!json) return std::nullopt;
  Qbft7528 out{*json, hex((*json)["header_rlp"].get<std::string>()), {}};
  out.params.mode = ConsensusMode::kQbft;
  out.params.checkpoint = {7527, hash32((*json)["header_fields"]["parentHash"].get<std::string>())};
  out.params.validator_sets = {set_of((*json)["extra_data_decoded"]["validators"], 0)};
  return out;
}

core::Result<FinalizedHeader> verify_one(const EvmConsensusParams& params, core::ByteView header) {
  const core::ByteView segment[] = {header};
  return verify_evm_finality(params, segment, params.checkpoint.number + 1);
}

// The header with its extraData rebuilt after `edit` changed the decoded fields.
template <typename Edit>
core::Bytes with_extra_edit(BftEngine engine, core::ByteView rlp, Edit edit) {
  auto header = decode_evm_header(rlp);
  REQUIRE(header.ok());
  auto extra = decode_bft_extra(engine, *header);
  REQUIRE(extra.ok());
  edit(*extra);
  return encode_with_extra(*header, encode_bft_extra(engine, *extra));
}

}  // namespace

TEST_CASE("qbft header 7528: hash, commit digest, seals and quorum", "[vectors]") {
  auto v = load_qbft_7528();
  if (!v) return;
  const auto& expected = v->json["expected"];
  auto header = decode_evm_header(v->header);
  REQUIRE(header.ok());
  auto extra = decode_bft_extra(BftEngine::kQbft, *header);
  REQUIRE(extra.ok());
  std::size_t executed = 0;

  CHECK(extra->round == 1);
  CHECK(!extra->vote.has_value());
  CHECK(extra->validators.size() == expected["validator_count"].get<std::size_t>());
  CHECK(encode_bft_extra(BftEngine::kQbft, *extra) == core::Bytes(header->extra_data.begin(), header->extra_data.end()));
  ++executed;

  const core::Hash32 digest = bft_commit_digest(BftEngine::kQbft, *header, *extra);
  CHECK(core::to_hex(digest) == expected["commit_seal_hash"].get<std::string>());
  CHECK(digest == core::keccak256(hex(v->json["commit_seal_preimage_rlp"].get<std::string>())));
  ++executed;

  const core::Hash32 hash = bft_block_hash(BftEngine::kQbft, *header, *extra);
  CHECK(core::to_hex(hash) == expected["block_hash"].get<std::string>());
  CHECK(core::to_hex(hash) != expected["keccak_of_full_sealed_rlp"].get<std::string>());
  ++executed;

  auto signers = recover_seals(digest, extra->committed_seals);
  REQUIRE(signers.ok());
  REQUIRE(signers->size() == expected["seal_signers"].size());
  for (std::size_t i = 0; i < signers->size(); ++i) {
    CHECK(core::to_hex((*signers)[i]) == expected["seal_signers"][i].get<std::string>());
    ++executed;
  }
  CHECK(bft_quorum(4) == expected["quorum_ceil_2n_3"].get<std::size_t>());
  CHECK(check_committers(*signers, v->params.validator_sets[0], bft_quorum(4)).ok());

  auto finalized = verify_one(v->params, v->header);
  REQUIRE(finalized.ok());
  CHECK(finalized->hash == hash);
  CHECK(finalized->number == 7528);
  CHECK(core::to_hex(finalized->receipts_root) == v->json["header_fields"]["receiptsRoot"].get<std::string>());
  CHECK(finalized->validators_after.members == v->params.validator_sets[0].members);
  ++executed;
  test::report_cases("evm/besu_qbft_header_7528.json", executed);
}

TEST_CASE("qbft header 7528: each one-field mutation fails with its named reason", "[vectors]") {
  auto v = load_qbft_7528();
  if (!v) return;
  const core::Bytes& good = v->header;
  const auto field = [&](std::size_t index) { return fields_of(good)[index]; };
  (void)field;
  struct Case {
    const char* what;
    core::Bytes header;
    core::Reason reason;
  };
  auto flipped = [&](std::size_t index, std::size_t size) {
    auto items = fields_of(good);
    auto value = core::rlp::decode_exact(items[index]);
    REQUIRE(value.ok());
    core::Bytes bytes(value->payload.begin(), value->payload.end());
    REQUIRE(bytes.size() == size);
    bytes[size - 1] ^= 0x01;
    return with_field(good, index, bytes);
  };
  const std::vector<Case> cases = {
      {"parentHash", flipped(0, 32), reason::kCheckpointMismatch},
      {"number", with_field(good, 8, core::be_minimal(7529)), reason::kUnexpectedNumber},
      {"receiptsRoot", flipped(5, 32), reason::kNonMemberSeal},
      {"stateRoot", flipped(3, 32), reason::kNonMemberSeal},
      {"timestamp", with_field(good, 11, core::be_minimal(1715495308)), reason::kNonMemberSeal},
      {"coinbase", flipped(2, 20), reason::kProposerNotMember},
      {"mixHash", flipped(13, 32), reason::kWrongMixHash},
      {"difficulty", with_field(good, 7, core::be_minimal(2)), reason::kWrongDifficulty},
      {"nonce", flipped(14, 8), reason::kWrongNonce},
      {"ommersHash", flipped(1, 32), reason::kWrongOmmersHash},
      {"extraData vanity", with_extra_edit(BftEngine::kQbft, good, [](BftExtra& e) {
         static core::Bytes vanity(32, 0);
         vanity[0] = 1;
         e.vanity = vanity;
       }), reason::kNonMemberSeal},
      {"round", with_extra_edit(BftEngine::kQbft, good, [](BftExtra& e) { e.round = 2; }), reason::kNonMemberSeal},
      {"vote", with_extra_edit(BftEngine::kQbft, good, [](BftExtra& e) {
         e.vote = ValidatorVote{core::Address{}, true};
       }), reason::kNonMemberSeal},
      {"a validator", with_extra_edit(BftEngine::kQbft, good, [](BftExtra& e) {
         e.validators[1].bytes[19] ^= 0x01;
       }), reason::kUnknownValidatorSetChange},
      {"validator order", with_extra_edit(BftEngine::kQbft, good, [](BftExtra& e) {
         std::swap(e.validators[0], e.validators[1]);
       }), reason::kValidatorsNotSorted},
      {"validator-contract mode", with_extra_edit(BftEngine::kQbft, good, [](BftExtra& e) { e.validators.clear(); }),
       reason::kQbftValidatorContractUnsupported},
      {"one seal byte", with_extra_edit(BftEngine::kQbft, good, [](BftExtra& e) {
         static core::Bytes seal;
         seal.assign(e.committed_seals[1].begin(), e.committed_seals[1].end());
         seal[63] ^= 0x01;  // low byte of s: s stays low, the recovered key changes
         e.committed_seals[1] = seal;
       }), reason::kNonMemberSeal},
      {"seal v = 27", with_extra_edit(BftEngine::kQbft, good, [](BftExtra& e) {
         static core::Bytes seal;
         seal.assign(e.committed_seals[0].begin(), e.committed_seals[0].end());
         seal[64] = 27;
         e.committed_seals[0] = seal;
       }), reason::kBadSeal},
      {"one seal removed", with_extra_edit(BftEngine::kQbft, good, [](BftExtra& e) { e.committed_seals.pop_back(); }),
       reason::kInsufficientSeals},
      {"one seal duplicated", with_extra_edit(BftEngine::kQbft, good, [](BftExtra& e) {
         e.committed_seals[2] = e.committed_seals[0];
       }), reason::kDuplicateSeal},
      {"five seals for four validators", with_extra_edit(BftEngine::kQbft, good, [](BftExtra& e) {
         e.committed_seals.push_back(e.committed_seals[0]);
         e.committed_seals.push_back(e.committed_seals[1]);
       }), reason::kTooManySeals},
  };
  REQUIRE(verify_one(v->params, good).ok());
  for (const auto& c : cases) {
    INFO(c.what);
    auto result = verify_one(v->params, c.header);
    REQUIRE(!result.ok());
    CHECK(result.error().reason().name == c.reason.name);
  }
}

TEST_CASE("bft extra decoders take only the engine's exact forms", "[unit]") {
  auto v = load_qbft_7528();
  if (!v) return;
  auto header = decode_evm_header(v->header);
  REQUIRE(header.ok());
  // The QBFT extra is no IBFT 2.0 extra: its round is 1 byte and its empty vote a list.
  CHECK(decode_bft_extra(BftEngine::kIbft2, *header).error().reason() == reason::kBadExtraData);
  auto extra = decode_bft_extra(BftEngine::kQbft, *header);
  REQUIRE(extra.ok());
  // Each engine's encoding round-trips through its own decoder, votes included.
  for (BftEngine engine : {BftEngine::kQbft, BftEngine::kIbft2}) {
    for (int vote = 0; vote < 3; ++vote) {
      BftExtra edited = *extra;
      edited.round = 0x00fedcba;
      if (vote > 0) edited.vote = ValidatorVote{edited.validators[2], vote == 1};
      const auto encoded = encode_bft_extra(engine, edited);
      const auto rlp = encode_with_extra(*header, encoded);
      auto reheader = decode_evm_header(rlp);
      REQUIRE(reheader.ok());
      auto decoded = decode_bft_extra(engine, *reheader);
      REQUIRE(decoded.ok());
      CHECK(decoded->round == 0x00fedcba);
      CHECK(decoded->vote == edited.vote);
      CHECK(decoded->validators == edited.validators);
      CHECK(decoded->committed_seals.size() == 3);
    }
  }
  // IBFT 2.0 writes the round as 4 fixed bytes (A.6.4: 0xfedcba -> 84 00fedcba); QBFT minimally.
  BftExtra edited = *extra;
  edited.round = 0x00fedcba;
  const auto ibft2 = encode_bft_extra(BftEngine::kIbft2, edited);
  const auto qbft = encode_bft_extra(BftEngine::kQbft, edited);
  const core::Bytes ibft2_round{0x84, 0x00, 0xfe, 0xdc, 0xba};
  const core::Bytes qbft_round{0x83, 0xfe, 0xdc, 0xba};
  CHECK(std::search(ibft2.begin(), ibft2.end(), ibft2_round.begin(), ibft2_round.end()) != ibft2.end());
  CHECK(std::search(qbft.begin(), qbft.end(), qbft_round.begin(), qbft_round.end()) != qbft.end());
  // Trailing items are refused (Besu reads leniently; the relay does not).
  auto items = fields_of(header->extra_data);
  items.push_back(core::rlp::encode_uint(1));
  const auto longer = encode_with_extra(*header, list_of_items(items));
  auto longer_header = decode_evm_header(longer);
  REQUIRE(longer_header.ok());
  CHECK(decode_bft_extra(BftEngine::kQbft, *longer_header).error().reason() == reason::kBadExtraData);
}

TEST_CASE("ibft 1.0 legacy chain: 100 blocks followed from genesis", "[vectors]") {
  auto stream = test::load_binary_vector("evm/besu_ibft1_legacy.blocks");
  auto expected = test::load_json_vector("evm/besu_ibft1_legacy_expected.json");
  if (!stream || !expected) return;
  const auto headers = headers_of_block_stream(*stream);
  const auto& blocks = (*expected)["blocks"];
  REQUIRE(headers.size() == 101);
  REQUIRE(blocks.size() == 101);

  auto genesis = bft_header_hash(BftEngine::kIbft1, headers[0]);
  REQUIRE(genesis.ok());
  CHECK(core::to_hex(*genesis) == blocks[0]["hash"].get<std::string>());
  auto follower = BftFollower::start(BftEngine::kIbft1, {0, *genesis}, set_of((*expected)["genesis_validators"], 1));
  REQUIRE(follower.ok());

  std::size_t executed = 0;
  for (std::size_t i = 1; i < headers.size(); ++i) {
    INFO("block " << i);
    const auto& block = blocks[i];
    auto header = decode_evm_header(headers[i]);
    REQUIRE(header.ok());
    auto extra = decode_bft_extra(BftEngine::kIbft1, *header);
    REQUIRE(extra.ok());
    CHECK(encode_bft_extra(BftEngine::kIbft1, *extra) == core::Bytes(header->extra_data.begin(), header->extra_data.end()));
    CHECK(core::to_hex(ibft1_proposer_digest(*header, *extra)) == block["proposer_seal_hash"].get<std::string>());
    CHECK(core::to_hex(bft_commit_digest(BftEngine::kIbft1, *header, *extra)) ==
          block["committed_seal_hash"].get<std::string>());
    auto proposer = core::recover_address(ibft1_proposer_digest(*header, *extra), extra->proposer_seal, core::VByte::k0or1);
    REQUIRE(proposer.ok());
    CHECK(core::to_hex(*proposer) == block["proposer"].get<std::string>());

    auto accepted = follower->follow(headers[i]);
    REQUIRE(accepted.ok());
    CHECK(core::to_hex(accepted->hash) == block["hash"].get<std::string>());
    CHECK(core::to_hex(accepted->hash) != block["keccak_of_full_header_rlp"].get<std::string>());
    std::set<std::string> committers, want;
    for (const auto& a : accepted->committers) committers.insert(core::to_hex(a));
    for (const auto& a : block["committers"]) want.insert(a.get<std::string>());
    CHECK(committers == want);
    ++executed;
  }
  CHECK(follower->height() == 100);
  test::report_cases("evm/besu_ibft1_legacy.blocks followed", executed);
}

TEST_CASE("ibft 1.0 legacy chain: mutations fail with named reasons and leave the follower unchanged", "[vectors]") {
  auto stream = test::load_binary_vector("evm/besu_ibft1_legacy.blocks");
  auto expected = test::load_json_vector("evm/besu_ibft1_legacy_expected.json");
  if (!stream || !expected) return;
  const auto headers = headers_of_block_stream(*stream);
  auto genesis = bft_header_hash(BftEngine::kIbft1, headers[0]);
  REQUIRE(genesis.ok());
  auto follower = BftFollower::start(BftEngine::kIbft1, {0, *genesis}, set_of((*expected)["genesis_validators"], 1));
  REQUIRE(follower.ok());
  REQUIRE(follower->follow(headers[1]).ok());
  const core::Bytes& good = headers[2];

  struct Case {
    const char* what;
    core::Bytes header;
    core::Reason reason;
  };
  auto seal_edit = [&](bool proposer) {
    return with_extra_edit(BftEngine::kIbft1, good, [proposer](BftExtra& e) {
      static core::Bytes seal;
      const core::ByteView original = proposer ? e.proposer_seal : e.committed_seals[0];
      seal.assign(original.begin(), original.end());
      seal[63] ^= 0x01;
      (proposer ? e.proposer_seal : e.committed_seals[0]) = seal;
    });
  };
  const std::vector<Case> cases = {
      {"parentHash", with_field(good, 0, core::Bytes(32, 0x42)), reason::kParentMismatch},
      {"receiptsRoot", with_field(good, 5, core::Bytes(32, 0x42)), reason::kProposerNotMember},
      {"proposer seal byte", seal_edit(true), reason::kProposerNotMember},
      {"committed seal byte", seal_edit(false), reason::kNonMemberSeal},
      {"no proposer seal", with_extra_edit(BftEngine::kIbft1, good, [](BftExtra& e) { e.proposer_seal = {}; }),
       reason::kBadProposerSeal},
      {"one committed seal removed",
       with_extra_edit(BftEngine::kIbft1, good, [](BftExtra& e) { e.committed_seals.pop_back(); }),
       reason::kInsufficientSeals},
      {"vote nonce neither 0 nor all ff", with_field(with_field(good, 14, core::Bytes(8, 0x01)), 2, core::Bytes(20, 0x33)),
       reason::kWrongNonce},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    auto result = follower->follow(c.header);
    REQUIRE(!result.ok());
    CHECK(result.error().reason().name == c.reason.name);
    CHECK(follower->height() == 1);
  }
  CHECK(follower->follow(good).ok());
}
