// FISCO BCOS Merkle trees and proofs (see fisco_merkle.hpp).
#include "relay/verify/fisco_merkle.hpp"

#include <algorithm>
#include <string>

#include "relay/core/rlp.hpp"

namespace causeway::verify {
namespace {

constexpr std::size_t kFisco2Width = 16;
constexpr std::size_t kFisco3Width = 2;

core::Hash32 hash_concat(FiscoCrypto crypto, std::span<const core::Bytes> nodes) {
  core::Bytes joined;
  for (const auto& node : nodes) core::append(joined, node);
  return fisco_hash(crypto, joined);
}

core::Bytes to_bytes(const core::Hash32& hash) { return {hash.bytes.begin(), hash.bytes.end()}; }

// A level-0 sibling must be the leaf of its own position: otherwise one leaf's bytes could stand
// in another's place and the index read from the leaf prefix would mean nothing.
core::Result<void> check_sibling(const core::Bytes& sibling, std::size_t level, std::uint64_t position) {
  if (level > 0) {
    if (sibling.size() != core::Hash32::kSize) {
      return core::Error(reason::fisco::kProofBadSibling, "level " + std::to_string(level) + ": " +
                                                              std::to_string(sibling.size()) + " bytes");
    }
    return core::ok();
  }
  const auto prefix = core::rlp::encode_uint(position);
  if (sibling.size() != prefix.size() + core::Hash32::kSize ||
      !std::equal(prefix.begin(), prefix.end(), sibling.begin())) {
    return core::Error(reason::fisco::kProofBadSibling, "leaf sibling is not entry " + std::to_string(position));
  }
  return core::ok();
}

core::Result<std::size_t> group_count(const core::Hash32& item) {
  const bool rest_zero = std::all_of(item.bytes.begin() + 4, item.bytes.end(), [](auto b) { return b == 0; });
  std::size_t count = 0;
  for (std::size_t i = 0; i < 4; ++i) count = count << 8 | item.bytes[i];
  if (!rest_zero || count == 0 || count > kFisco3Width) {
    return core::Error(reason::fisco::kProofBadGroup, "count item " + core::to_hex(item));
  }
  return count;
}

}  // namespace

core::Bytes fisco2_leaf(std::uint64_t index, const core::Hash32& hash) {
  auto leaf = core::rlp::encode_uint(index);
  core::append(leaf, hash.view());
  return leaf;
}

core::Hash32 fisco2_merkle_root(FiscoCrypto crypto, std::span<const core::Hash32> hashes) {
  if (hashes.empty()) return fisco_hash(crypto, {});
  std::vector<core::Bytes> level;
  level.reserve(hashes.size());
  for (std::size_t i = 0; i < hashes.size(); ++i) level.push_back(fisco2_leaf(i, hashes[i]));
  while (level.size() > 1) {
    std::vector<core::Bytes> next;
    for (std::size_t start = 0; start < level.size(); start += kFisco2Width) {
      const auto count = std::min(kFisco2Width, level.size() - start);
      next.push_back(to_bytes(hash_concat(crypto, std::span(level).subspan(start, count))));
    }
    level = std::move(next);
  }
  return fisco_hash(crypto, level.front());
}

core::Result<void> verify_fisco2_proof(FiscoCrypto crypto, std::uint64_t index, const core::Hash32& hash,
                                       std::span<const Fisco2ProofUnit> proof, const core::Hash32& root) {
  if (proof.empty() || proof.size() > kMaxFisco2ProofUnits) {
    return core::Error(reason::fisco::kProofLength, std::to_string(proof.size()) + " units");
  }
  if (!proof.back().left.empty() || !proof.back().right.empty()) {
    return core::Error(reason::fisco::kProofBadTop, "last unit has siblings");
  }
  core::Bytes current = fisco2_leaf(index, hash);
  std::uint64_t position = index;  // of the current node within its level
  for (std::size_t level = 0; level < proof.size(); ++level) {
    const auto& unit = proof[level];
    if (unit.left.size() + 1 + unit.right.size() > kFisco2Width) {
      return core::Error(reason::fisco::kProofBadGroup, "level " + std::to_string(level) + ": group wider than 16");
    }
    if (unit.left.size() != position % kFisco2Width) {
      return core::Error(reason::fisco::kProofPosition,
                         "level " + std::to_string(level) + ": " + std::to_string(unit.left.size()) +
                             " left siblings, position " + std::to_string(position % kFisco2Width));
    }
    const std::uint64_t first = position - unit.left.size();
    for (std::size_t i = 0; i < unit.left.size(); ++i) CW_CHECK(check_sibling(unit.left[i], level, first + i));
    for (std::size_t i = 0; i < unit.right.size(); ++i) {
      CW_CHECK(check_sibling(unit.right[i], level, position + 1 + i));
    }
    core::Bytes joined;
    for (const auto& node : unit.left) core::append(joined, node);
    core::append(joined, current);
    for (const auto& node : unit.right) core::append(joined, node);
    current = to_bytes(fisco_hash(crypto, joined));
    position /= kFisco2Width;
  }
  // The top group holds the root's only child, so the index must be used up by then.
  if (position != 0) return core::Error(reason::fisco::kProofPosition, "index beyond the tree");
  if (!std::ranges::equal(current, root.bytes)) return core::Error(reason::fisco::kRootMismatch);
  return core::ok();
}

core::Hash32 fisco3_merkle_root(FiscoCrypto crypto, std::span<const core::Hash32> leaves) {
  if (leaves.empty()) return {};
  std::vector<core::Bytes> level;
  level.reserve(leaves.size());
  for (const auto& leaf : leaves) level.push_back(to_bytes(leaf));
  while (level.size() > 1) {
    std::vector<core::Bytes> next;
    for (std::size_t start = 0; start < level.size(); start += kFisco3Width) {
      const auto count = std::min(kFisco3Width, level.size() - start);
      next.push_back(to_bytes(hash_concat(crypto, std::span(level).subspan(start, count))));
    }
    level = std::move(next);
  }
  core::Hash32 root;
  std::copy(level.front().begin(), level.front().end(), root.bytes.begin());
  return root;
}

core::Result<void> verify_fisco3_proof(FiscoCrypto crypto, std::uint64_t index, const core::Hash32& leaf,
                                       std::span<const core::Hash32> proof, const core::Hash32& root) {
  if (proof.empty() || proof.size() > kMaxFisco3ProofItems) {
    return core::Error(reason::fisco::kProofLength, std::to_string(proof.size()) + " items");
  }
  // A single-leaf block's root is the leaf itself, and its proof is that one hash.
  if (proof.size() == 1) {
    if (proof[0] != leaf) return core::Error(reason::fisco::kProofNotInGroup, "single-leaf proof");
    if (index != 0) return core::Error(reason::fisco::kProofPosition, "index beyond a single-leaf tree");
    if (leaf != root) return core::Error(reason::fisco::kRootMismatch);
    return core::ok();
  }
  core::Hash32 current = leaf;
  std::uint64_t position = index;
  std::size_t at = 0;
  while (at < proof.size()) {
    CW_TRY(auto count, group_count(proof[at]));
    ++at;
    if (count > proof.size() - at) {
      return core::Error(reason::fisco::kProofTruncated, "group of " + std::to_string(count) + " at item " +
                                                             std::to_string(at - 1));
    }
    const auto group = proof.subspan(at, count);
    if (std::find(group.begin(), group.end(), current) == group.end()) {
      return core::Error(reason::fisco::kProofNotInGroup, "group at item " + std::to_string(at - 1));
    }
    const auto slot = static_cast<std::size_t>(position % kFisco3Width);
    if (slot >= count || group[slot] != current) {
      return core::Error(reason::fisco::kProofPosition, "group at item " + std::to_string(at - 1) +
                                                            " holds the node elsewhere than index " +
                                                            std::to_string(index) + " puts it");
    }
    core::Bytes joined;
    for (const auto& node : group) core::append(joined, node.view());
    current = fisco_hash(crypto, joined);
    position /= kFisco3Width;
    at += count;
  }
  if (position != 0) return core::Error(reason::fisco::kProofPosition, "index beyond the tree");
  if (current != root) return core::Error(reason::fisco::kRootMismatch);
  return core::ok();
}

}  // namespace causeway::verify
