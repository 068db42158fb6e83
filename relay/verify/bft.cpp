// Istanbul-family extraData codecs and digests (see bft.hpp).
#include "relay/verify/bft.hpp"

#include <algorithm>
#include <cstdlib>
#include <string>

#include "relay/core/hash.hpp"
#include "relay/core/rlp.hpp"
#include "relay/core/secp256k1.hpp"

namespace causeway::verify {
namespace {

namespace rlp = core::rlp;

constexpr std::uint8_t kEmptyString = 0x80;
constexpr std::uint8_t kEmptyList = 0xc0;
constexpr std::uint8_t kVoteAdd = 0xff;
constexpr std::uint8_t kIbft2VoteDrop = 0x00;

core::Error bad_extra(std::string what) { return core::Error(reason::kBadExtraData, std::move(what)); }

core::Result<core::ByteView> string_of_size(const rlp::Item& item, std::size_t size, const char* what) {
  if (item.is_list) return bad_extra(std::string(what) + " is a list");
  if (item.payload.size() != size) {
    return bad_extra(std::string(what) + " has " + std::to_string(item.payload.size()) + " bytes, expected " +
                     std::to_string(size));
  }
  return item.payload;
}

core::Result<std::vector<core::Address>> decode_validators(const rlp::Item& item) {
  if (!item.is_list) return bad_extra("validators is not a list");
  std::vector<core::Address> out;
  rlp::ListReader reader(item.payload);
  while (!reader.done()) {
    CW_TRY(const rlp::Item entry, reader.next());
    CW_TRY(const core::ByteView address, string_of_size(entry, core::Address::kSize, "validator"));
    out.push_back(to_address(address));
  }
  return out;
}

core::Result<std::vector<core::ByteView>> decode_seals(const rlp::Item& item) {
  if (!item.is_list) return bad_extra("committed seals is not a list");
  std::vector<core::ByteView> out;
  rlp::ListReader reader(item.payload);
  while (!reader.done()) {
    CW_TRY(const rlp::Item entry, reader.next());
    CW_TRY(const core::ByteView seal, string_of_size(entry, kSealSize, "committed seal"));
    out.push_back(seal);
  }
  return out;
}

// IBFT 2.0: 0x80 = no vote; QBFT: 0xc0 = no vote. Otherwise [recipient, type] with type 0xff
// (add) or, for drop, 0x00 (IBFT 2.0) / the empty string (QBFT). Only these exact forms.
core::Result<std::optional<ValidatorVote>> decode_vote(BftEngine engine, const rlp::Item& item) {
  const bool qbft = engine == BftEngine::kQbft;
  if (!qbft && !item.is_list && item.payload.empty()) return std::optional<ValidatorVote>{};
  if (qbft && item.is_list && item.payload.empty()) return std::optional<ValidatorVote>{};
  if (!item.is_list) return bad_extra("vote is neither empty nor a list");
  std::array<rlp::Item, 2> parts{};
  CW_TRY(const std::size_t count, rlp::split_list(item.payload, parts));
  if (count != 2) return bad_extra("vote has " + std::to_string(count) + " items, expected 2");
  CW_TRY(const core::ByteView recipient, string_of_size(parts[0], core::Address::kSize, "vote recipient"));
  if (parts[1].is_list) return bad_extra("vote type is a list");
  const core::ByteView type = parts[1].payload;
  ValidatorVote vote{to_address(recipient), false};
  if (type.size() == 1 && type[0] == kVoteAdd) {
    vote.add = true;
  } else if (qbft ? type.empty() : (type.size() == 1 && type[0] == kIbft2VoteDrop)) {
    vote.add = false;
  } else {
    return bad_extra("vote type is not the engine's add or drop value");
  }
  return std::optional<ValidatorVote>(vote);
}

core::Result<BftExtra> decode_istanbul_v2(BftEngine engine, core::ByteView extra_data) {
  CW_TRY(const rlp::Item list, rlp::decode_exact(extra_data));
  if (!list.is_list) return bad_extra("not a list");
  std::array<rlp::Item, 5> items{};
  auto count = rlp::split_list(list.payload, items);
  if (!count) return bad_extra(std::string(count.error().reason().name));
  if (*count != 5) return bad_extra(std::to_string(*count) + " items, expected 5");
  BftExtra out;
  CW_TRY(out.vanity, string_of_size(items[0], kBftVanitySize, "vanity"));
  CW_TRY(out.validators, decode_validators(items[1]));
  CW_TRY(out.vote, decode_vote(engine, items[2]));
  if (items[3].is_list) return bad_extra("round is a list");
  if (engine == BftEngine::kIbft2) {
    // Besu writes the round with RLPOutput.writeInt: always 4 bytes, leading zeros included.
    if (items[3].payload.size() != 4) return bad_extra("IBFT 2.0 round is not 4 bytes");
    std::uint32_t round = 0;
    for (auto b : items[3].payload) round = (round << 8) | b;
    out.round = round;
  } else {
    auto round = rlp::read_uint64(items[3]);
    if (!round) return bad_extra("QBFT round: " + std::string(round.error().reason().name));
    if (*round > 0xffffffffu) return bad_extra("QBFT round above 32 bits");
    out.round = static_cast<std::uint32_t>(*round);
  }
  CW_TRY(out.committed_seals, decode_seals(items[4]));
  out.vanity_item = items[0].encoded;
  out.validators_item = items[1].encoded;
  out.vote_item = items[2].encoded;
  out.round_item = items[3].encoded;
  return out;
}

constexpr std::array<std::uint8_t, 8> kNonceZero{};
constexpr std::array<std::uint8_t, 8> kNonceAuth{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

core::Result<BftExtra> decode_istanbul_v1(const EvmHeader& header) {
  const core::ByteView extra_data = header.extra_data;
  if (extra_data.size() < kBftVanitySize) return bad_extra("shorter than the 32-byte vanity");
  CW_TRY(const rlp::Item list, rlp::decode_exact(extra_data.subspan(kBftVanitySize)));
  if (!list.is_list) return bad_extra("istanbul extra is not a list");
  std::array<rlp::Item, 3> items{};
  auto count = rlp::split_list(list.payload, items);
  if (!count) return bad_extra(std::string(count.error().reason().name));
  if (*count != 3) return bad_extra(std::to_string(*count) + " items, expected 3");
  BftExtra out;
  out.vanity = extra_data.first(kBftVanitySize);
  CW_TRY(out.validators, decode_validators(items[0]));
  if (items[1].is_list) return bad_extra("proposer seal is a list");
  if (!items[1].payload.empty() && items[1].payload.size() != kSealSize) return bad_extra("proposer seal is not 65 bytes");
  out.proposer_seal = items[1].payload;
  CW_TRY(out.committed_seals, decode_seals(items[2]));
  out.validators_item = items[0].encoded;
  out.proposer_seal_item = items[1].encoded;
  // GoQuorum istanbul votes like Clique: coinbase is the candidate, the nonce says add or drop.
  const bool auth = std::equal(header.nonce.begin(), header.nonce.end(), kNonceAuth.begin());
  const bool drop = std::equal(header.nonce.begin(), header.nonce.end(), kNonceZero.begin());
  const core::Address candidate = to_address(header.coinbase);
  if (!candidate.is_zero()) {
    if (!auth && !drop) return bad_extra("IBFT 1.0 vote nonce is neither all 0x00 nor all 0xff");
    out.vote = ValidatorVote{candidate, auth};
  }
  return out;
}

// rlp([items...]) from already encoded items.
core::Bytes list_of(std::initializer_list<core::ByteView> items) {
  std::size_t payload = 0;
  for (auto item : items) payload += item.size();
  core::Bytes out;
  out.reserve(payload + 9);
  rlp::append_header(out, true, payload);
  for (auto item : items) core::append(out, item);
  return out;
}

constexpr std::uint8_t kEmptyStringByte[1] = {kEmptyString};
constexpr std::uint8_t kEmptyListByte[1] = {kEmptyList};
const core::ByteView kEmptyStringItem(kEmptyStringByte, 1);
const core::ByteView kEmptyListItem(kEmptyListByte, 1);

// IBFT 1.0 extra with the given proposer-seal item and no committed seals.
core::Bytes ibft1_filtered_extra(const BftExtra& extra, core::ByteView proposer_seal_item) {
  core::Bytes out(extra.vanity.begin(), extra.vanity.end());
  core::append(out, list_of({extra.validators_item, proposer_seal_item, kEmptyListItem}));
  return out;
}

}  // namespace

core::Result<BftExtra> decode_bft_extra(BftEngine engine, const EvmHeader& header) noexcept {
  auto extra = engine == BftEngine::kIbft1 ? decode_istanbul_v1(header) : decode_istanbul_v2(engine, header.extra_data);
  if (!extra) return std::move(extra).error().with_context("extraData");
  return extra;
}

core::Bytes encode_bft_extra(BftEngine engine, const BftExtra& extra) {
  core::rlp::Encoder validators;
  validators.begin_list();
  for (const auto& v : extra.validators) validators.add_string(v.view());
  validators.end_list();
  core::rlp::Encoder seals;
  seals.begin_list();
  for (auto seal : extra.committed_seals) seals.add_string(seal);
  seals.end_list();

  if (engine == BftEngine::kIbft1) {
    core::Bytes out(extra.vanity.begin(), extra.vanity.end());
    const core::Bytes proposer = core::rlp::encode_string(extra.proposer_seal);
    core::append(out, list_of({validators.bytes(), proposer, seals.bytes()}));
    return out;
  }
  core::rlp::Encoder vote;
  if (extra.vote) {
    vote.begin_list().add_string(extra.vote->recipient.view());
    if (extra.vote->add) {
      vote.add_uint(kVoteAdd);
    } else if (engine == BftEngine::kQbft) {
      vote.add_string({});
    } else {
      vote.add_raw(std::array<std::uint8_t, 1>{kIbft2VoteDrop});
    }
    vote.end_list();
  } else {
    vote.add_raw(engine == BftEngine::kQbft ? kEmptyListItem : kEmptyStringItem);
  }
  core::Bytes round;
  if (engine == BftEngine::kIbft2) {
    const std::array<std::uint8_t, 4> fixed{static_cast<std::uint8_t>(extra.round >> 24),
                                            static_cast<std::uint8_t>(extra.round >> 16),
                                            static_cast<std::uint8_t>(extra.round >> 8),
                                            static_cast<std::uint8_t>(extra.round)};
    round = core::rlp::encode_string(fixed);
  } else {
    round = core::rlp::encode_uint(extra.round);
  }
  return list_of({core::rlp::encode_string(extra.vanity), validators.bytes(), vote.bytes(), round, seals.bytes()});
}

core::Hash32 bft_block_hash(BftEngine engine, const EvmHeader& header, const BftExtra& extra) {
  if (header.number == 0) return plain_hash(header);
  switch (engine) {
    case BftEngine::kQbft:
      return hash_with_extra(header, list_of({extra.vanity_item, extra.validators_item, extra.vote_item,
                                              kEmptyStringItem, kEmptyListItem}));
    case BftEngine::kIbft2:
      return hash_with_extra(header, list_of({extra.vanity_item, extra.validators_item, extra.vote_item}));
    case BftEngine::kIbft1:
      return hash_with_extra(header, ibft1_filtered_extra(extra, extra.proposer_seal_item));
  }
  std::abort();  // every engine is handled above
}

core::Hash32 bft_commit_digest(BftEngine engine, const EvmHeader& header, const BftExtra& extra) {
  switch (engine) {
    case BftEngine::kQbft:
      return hash_with_extra(header, list_of({extra.vanity_item, extra.validators_item, extra.vote_item,
                                              extra.round_item, kEmptyListItem}));
    case BftEngine::kIbft2:
      return hash_with_extra(header, list_of({extra.vanity_item, extra.validators_item, extra.vote_item,
                                              extra.round_item}));
    case BftEngine::kIbft1: {
      // 0x02 is istanbul's MsgCommit code (GoQuorum PrepareCommittedSeal).
      const core::Hash32 hash = bft_block_hash(engine, header, extra);
      constexpr std::uint8_t kMsgCommit[1] = {0x02};
      return core::keccak256({hash.view(), core::ByteView(kMsgCommit, 1)});
    }
  }
  std::abort();
}

core::Hash32 ibft1_proposer_digest(const EvmHeader& header, const BftExtra& extra) {
  const core::Hash32 sig_hash = hash_with_extra(header, ibft1_filtered_extra(extra, kEmptyStringItem));
  return core::keccak256(sig_hash.view());
}

core::Result<core::Hash32> bft_header_hash(BftEngine engine, core::ByteView header_rlp) {
  CW_TRY(const EvmHeader header, decode_evm_header(header_rlp));
  CW_TRY(const BftExtra extra, decode_bft_extra(engine, header));
  return bft_block_hash(engine, header, extra);
}

core::Result<std::vector<core::Address>> recover_seals(const core::Hash32& digest,
                                                       std::span<const core::ByteView> seals) {
  std::vector<core::Address> out;
  out.reserve(seals.size());
  for (std::size_t i = 0; i < seals.size(); ++i) {
    auto address = core::recover_address(digest, seals[i], core::VByte::k0or1);
    if (!address) {
      return core::Error(reason::kBadSeal, "seal " + std::to_string(i) + ": " + address.error().message());
    }
    out.push_back(*address);
  }
  return out;
}

core::Result<void> check_committers(std::span<const core::Address> committers, const ValidatorSet& set,
                                    std::size_t quorum) {
  std::vector<core::Address> seen;
  seen.reserve(committers.size());
  for (std::size_t i = 0; i < committers.size(); ++i) {
    const core::Address& who = committers[i];
    if (!set.contains(who)) {
      return core::Error(reason::kNonMemberSeal, "seal " + std::to_string(i) + " recovers to " + core::to_hex(who));
    }
    if (std::find(seen.begin(), seen.end(), who) != seen.end()) {
      return core::Error(reason::kDuplicateSeal, "seal " + std::to_string(i) + " repeats " + core::to_hex(who));
    }
    seen.push_back(who);
  }
  if (seen.size() < quorum) {
    return core::Error(reason::kInsufficientSeals, std::to_string(seen.size()) + " distinct members sealed, " +
                                                       std::to_string(quorum) + " of " +
                                                       std::to_string(set.members.size()) + " required");
  }
  return core::ok();
}

}  // namespace causeway::verify
