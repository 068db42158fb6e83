// Clique seal checks and finality by distinct authorized signers (see clique.hpp).
#include "relay/verify/clique.hpp"

#include <algorithm>
#include <string>

#include "relay/core/hash.hpp"
#include "relay/core/secp256k1.hpp"

namespace causeway::verify {
namespace {

constexpr std::size_t kLondonFields = 16;

bool all_bytes(core::ByteView view, std::uint8_t value) {
  return std::all_of(view.begin(), view.end(), [value](std::uint8_t b) { return b == value; });
}

// keccak(rlp([])): the ommers hash of every Clique header.
const core::Hash32& empty_ommers_hash() {
  static const core::Hash32 hash = core::keccak256(std::array<std::uint8_t, 1>{0xc0});
  return hash;
}

struct SealedHeader {
  std::uint64_t number = 0;
  core::Hash32 hash;
  core::Hash32 state_root;
  core::Hash32 receipts_root;
  core::Address signer;
  std::size_t set_index = 0;  // into the set history: the set this header was sealed under
};

// Distinct signers that belong to `set` among headers[from..].
std::size_t distinct_sealers(std::span<const SealedHeader> headers, std::size_t from, const ValidatorSet& set) {
  std::vector<core::Address> seen;
  for (std::size_t i = from; i < headers.size(); ++i) {
    const core::Address& who = headers[i].signer;
    if (set.contains(who) && std::find(seen.begin(), seen.end(), who) == seen.end()) seen.push_back(who);
  }
  return seen.size();
}

core::Result<void> require_final(std::span<const SealedHeader> headers, std::size_t index,
                                 const std::vector<ValidatorSet>& sets) {
  const ValidatorSet& set = sets[headers[index].set_index];
  const std::size_t have = distinct_sealers(headers, index, set);
  const std::size_t need = clique_quorum(set.members.size());
  if (have < need) {
    return core::Error(reason::kHeaderNotFinal, "block " + std::to_string(headers[index].number) + ": " +
                                                    std::to_string(have) + " distinct signers, " +
                                                    std::to_string(need) + " of " +
                                                    std::to_string(set.members.size()) + " required");
  }
  return core::ok();
}

}  // namespace

core::Result<CliqueExtra> decode_clique_extra(core::ByteView extra_data, bool epoch_block) noexcept {
  if (extra_data.size() < kCliqueVanitySize + kCliqueSealSize) {
    return core::Error(reason::kCliqueBadExtraData, std::to_string(extra_data.size()) + " bytes, below vanity + seal");
  }
  const std::size_t list_size = extra_data.size() - kCliqueVanitySize - kCliqueSealSize;
  if (!epoch_block && list_size != 0) {
    return core::Error(reason::kCliqueBadExtraData, "signer list outside an epoch block");
  }
  if (list_size % core::Address::kSize != 0) {
    return core::Error(reason::kCliqueBadExtraData, "signer list is not a whole number of addresses");
  }
  CliqueExtra out;
  out.vanity = extra_data.first(kCliqueVanitySize);
  for (std::size_t offset = 0; offset < list_size; offset += core::Address::kSize) {
    out.signers.push_back(to_address(extra_data.subspan(kCliqueVanitySize + offset, core::Address::kSize)));
  }
  out.seal = extra_data.last(kCliqueSealSize);
  return out;
}

core::Hash32 clique_seal_hash(const EvmHeader& header) {
  const std::size_t keep = header.extra_data.size() >= kCliqueSealSize ? header.extra_data.size() - kCliqueSealSize : 0;
  return hash_with_extra(header, header.extra_data.first(keep));
}

core::Result<core::Address> clique_signer(const EvmHeader& header) {
  if (header.extra_data.size() < kCliqueVanitySize + kCliqueSealSize) {
    return core::Error(reason::kCliqueBadExtraData, "no room for a seal");
  }
  auto signer = core::recover_address(clique_seal_hash(header), header.extra_data.last(kCliqueSealSize),
                                      core::VByte::k0or1);
  if (!signer) return core::Error(reason::kBadSeal, signer.error().message());
  return *signer;
}

core::Result<ValidatorSet> clique_checkpoint_signers(core::ByteView header_rlp) {
  CW_TRY(const EvmHeader header, decode_evm_header(header_rlp));
  CW_TRY(const CliqueExtra extra, decode_clique_extra(header.extra_data, true));
  ValidatorSet set{header.number + 1, extra.signers};
  if (set.members.empty()) return core::Error(reason::kCliqueBadExtraData, "checkpoint lists no signers");
  CW_CHECK(require_strictly_ascending(set.members, reason::kCliqueBadExtraData));
  return set;
}

core::Result<FinalizedHeader> verify_clique_finality(const Checkpoint& checkpoint, const ValidatorSet& signers,
                                                     std::uint64_t epoch, std::span<const core::ByteView> segment,
                                                     std::uint64_t target_number) {
  if (epoch == 0) return core::Error(reason::kBadTrustAnchor, "clique epoch 0");
  CW_CHECK(validate_set(signers));
  if (segment.empty()) return core::Error(reason::kSegmentEmpty);
  if (segment.size() > kMaxCliqueSegment) {
    return core::Error(reason::kSegmentTooLong, std::to_string(segment.size()) + " headers");
  }
  if (target_number <= checkpoint.number || target_number - checkpoint.number > segment.size()) {
    return core::Error(reason::kTargetNotInSegment, "target " + std::to_string(target_number));
  }

  std::vector<ValidatorSet> sets{signers};
  std::vector<SealedHeader> sealed;
  sealed.reserve(segment.size());
  core::Hash32 parent = checkpoint.hash;
  for (std::size_t i = 0; i < segment.size(); ++i) {
    const std::uint64_t expected_number = checkpoint.number + 1 + i;
    auto step = [&]() -> core::Result<void> {
      CW_TRY(const EvmHeader header, decode_evm_header(segment[i]));
      if (header.number != expected_number) {
        return core::Error(reason::kUnexpectedNumber, "got " + std::to_string(header.number));
      }
      if (to_hash32(header.parent_hash) != parent) {
        return core::Error(i == 0 ? reason::kCheckpointMismatch : reason::kParentMismatch);
      }
      if (header.field_count > kLondonFields) {
        return core::Error(reason::kCliqueUnexpectedFields, std::to_string(header.field_count) + " fields");
      }
      if (!all_bytes(header.mix_hash, 0)) return core::Error(reason::kWrongMixHash, "Clique mixHash must be zero");
      if (to_hash32(header.ommers_hash) != empty_ommers_hash()) return core::Error(reason::kWrongOmmersHash);
      const bool epoch_block = header.number % epoch == 0;
      if (!all_bytes(header.nonce, 0) && !all_bytes(header.nonce, 0xff)) return core::Error(reason::kWrongNonce);
      if (epoch_block && (!all_bytes(header.coinbase, 0) || !all_bytes(header.nonce, 0))) {
        return core::Error(reason::kCliqueVoteOnEpoch);
      }
      // 2 in turn, 1 out of turn. Which one is expected depends on the exact set, which this
      // verifier does not track between epochs, so only the range is checked.
      if (header.difficulty.size() != 1 || (header.difficulty[0] != 1 && header.difficulty[0] != 2)) {
        return core::Error(reason::kWrongDifficulty, "Clique difficulty must be 1 or 2");
      }
      CW_TRY(const CliqueExtra extra, decode_clique_extra(header.extra_data, epoch_block));
      CW_TRY(const core::Address signer, clique_signer(header));
      const ValidatorSet& in_force = sets.back();
      if (!in_force.contains(signer)) {
        return core::Error(reason::kNonMemberSeal, "signer " + core::to_hex(signer) + " is not authorized");
      }
      sealed.push_back({header.number, plain_hash(header), to_hash32(header.state_root),
                        to_hash32(header.receipts_root), signer, sets.size() - 1});
      if (epoch_block) {
        ValidatorSet next{header.number + 1, extra.signers};
        if (next.members.empty()) return core::Error(reason::kCliqueBadExtraData, "epoch block lists no signers");
        CW_CHECK(require_strictly_ascending(next.members, reason::kCliqueBadExtraData));
        if (next.members != in_force.members) sets.push_back(std::move(next));
      }
      parent = sealed.back().hash;
      return core::ok();
    };
    if (auto stepped = step(); !stepped) {
      return std::move(stepped).error().with_context("block " + std::to_string(expected_number));
    }
  }

  const std::size_t target_index = static_cast<std::size_t>(target_number - checkpoint.number - 1);
  // A set change is trusted only through a final epoch block: otherwise one signer could list
  // keys of its own and have them "authorize" the descendants.
  for (std::size_t i = 0; i < target_index; ++i) {
    if (i + 1 < sealed.size() && sealed[i + 1].set_index != sealed[i].set_index) {
      CW_CHECK(require_final(sealed, i, sets));
    }
  }
  CW_CHECK(require_final(sealed, target_index, sets));

  const SealedHeader& target = sealed[target_index];
  // The set in force after the target: the next one when the target is an epoch block that changed it.
  const bool target_changed_set = target.set_index + 1 < sets.size() &&
                                  sets[target.set_index + 1].from_height == target.number + 1;
  const ValidatorSet& after = sets[target.set_index + (target_changed_set ? 1 : 0)];
  return FinalizedHeader{target.hash, target.number, target.state_root, target.receipts_root, after, {}};
}

}  // namespace causeway::verify
