// FISCO BCOS transaction and receipt Merkle proofs (PROOF_FORMATS.md B.2, B.3): the 2.x 16-ary
// tree over raw rlp(i) ‖ hash leaves with an extra hash on top, and the 3.x binary tree whose odd
// node is hashed alone. Proofs are bound to their position and checked against a header's root.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "relay/core/bytes.hpp"
#include "relay/core/result.hpp"
#include "relay/verify/fisco_header.hpp"

namespace causeway::verify {

namespace reason::fisco {
// No units, or more levels than any block could have.
inline constexpr core::Reason kProofLength{"fisco.proof_length"};
// A group wider than the tree (16 in 2.x, 2 in 3.x), or a 3.x count of zero or not 4 bytes.
inline constexpr core::Reason kProofBadGroup{"fisco.proof_bad_group"};
// The node is not where the index puts it: 2.x by its number of left siblings, 3.x by its slot in
// a group; or the index reaches beyond the tree.
inline constexpr core::Reason kProofPosition{"fisco.proof_position"};
// A sibling of the wrong shape: a leaf that is not rlp(j) ‖ hash for its own position j, or an
// inner node that is not 32 bytes.
inline constexpr core::Reason kProofBadSibling{"fisco.proof_bad_sibling"};
// The 2.x proof does not end with the empty unit that makes the extra top hash.
inline constexpr core::Reason kProofBadTop{"fisco.proof_bad_top"};
// A 3.x group count running past the end of the proof.
inline constexpr core::Reason kProofTruncated{"fisco.proof_truncated"};
// A 3.x group that does not contain the node being proven.
inline constexpr core::Reason kProofNotInGroup{"fisco.proof_not_in_group"};
inline constexpr core::Reason kRootMismatch{"fisco.root_mismatch"};
}  // namespace reason::fisco

// More levels than this is no real block (16^16 leaves; 2^64 for 3.x).
inline constexpr std::size_t kMaxFisco2ProofUnits = 16;
inline constexpr std::size_t kMaxFisco3ProofItems = 64 * 3 + 1;

// 2.x: the siblings of the current node in its group of 16, in order (RPC `txProof` /
// `receiptProof` units). Level-0 siblings are raw leaves rlp(j) ‖ hash; above, 32-byte hashes.
struct Fisco2ProofUnit {
  std::vector<core::Bytes> left;
  std::vector<core::Bytes> right;
};

// rlp(index) ‖ hash: a 2.x leaf (hash = tx hash, or H(receipt RLP) for receipts).
core::Bytes fisco2_leaf(std::uint64_t index, const core::Hash32& hash);
// The 2.x root over hashes in block order (H('') when empty).
core::Hash32 fisco2_merkle_root(FiscoCrypto crypto, std::span<const core::Hash32> hashes);
// Proves that `hash` is entry `index` of the tree whose root is `root` (a header's
// transactionsRoot or receiptsRoot). The caller derives `hash` from the bytes it will read.
core::Result<void> verify_fisco2_proof(FiscoCrypto crypto, std::uint64_t index, const core::Hash32& hash,
                                       std::span<const Fisco2ProofUnit> proof, const core::Hash32& root);

// The 3.x root over leaf hashes in block order (the zero hash when empty; the leaf itself when one).
core::Hash32 fisco3_merkle_root(FiscoCrypto crypto, std::span<const core::Hash32> leaves);
// A 3.x flat proof (RPC `txProof` / `txReceiptProof`): [count, node…] per level from the leaves
// up, or [root] alone for a single-leaf block. The node must sit at bit k of `index` in the group of
// level k (a lone, unpaired node at 0) and the index must be used up at the root, so the proof binds
// the entry's position as the 2.x leaf prefix does; the node's own RPC finds it anywhere in a group.
core::Result<void> verify_fisco3_proof(FiscoCrypto crypto, std::uint64_t index, const core::Hash32& leaf,
                                       std::span<const core::Hash32> proof, const core::Hash32& root);

}  // namespace causeway::verify
