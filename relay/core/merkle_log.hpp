// RFC 6962 / RFC 9162 section 2.1 Merkle tree hashing: the append-only log behind the audit log
// (PROTOCOL.md section 7), its inclusion and consistency proofs, and their verifiers.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "relay/core/bytes.hpp"
#include "relay/core/result.hpp"

namespace causeway::core {

namespace reason::merkle {
inline constexpr Reason kIndexOutOfRange{"merkle.index_out_of_range"};      // index >= size
inline constexpr Reason kOldSizeExceedsNew{"merkle.old_size_exceeds_new"};  // consistency size1 > size2
inline constexpr Reason kZeroOldSize{"merkle.zero_old_size"};  // nothing to be consistent with
inline constexpr Reason kSizeBeyondTree{"merkle.size_beyond_tree"};  // asked a tree for more than it holds
inline constexpr Reason kZeroRoot{"merkle.zero_root"};    // all-zero root: a default, never a proof (Nomad)
inline constexpr Reason kEmptyRoot{"merkle.empty_root"};  // SHA-256("") cannot be the root of >= 1 leaf
inline constexpr Reason kZeroLeaf{"merkle.zero_leaf"};    // all-zero leaf hash: a default, not a leaf
inline constexpr Reason kProofTooLong{"merkle.proof_too_long"};
inline constexpr Reason kProofTooShort{"merkle.proof_too_short"};
inline constexpr Reason kProofMalformed{"merkle.proof_malformed"};  // wire proof not whole 32-byte hashes
inline constexpr Reason kRootMismatch{"merkle.root_mismatch"};
}  // namespace reason::merkle

// No tree with 64-bit sizes has a longer proof: inclusion needs at most 64 hashes and
// consistency at most 65, so a longer input is rejected before any hashing.
inline constexpr std::size_t kMaxMerkleProofHashes = 65;

// SHA-256(0x00 || data).
Hash32 leaf_hash(ByteView data) noexcept;
// SHA-256(0x01 || left || right). The distinct prefixes keep an inner node from passing as a leaf.
Hash32 node_hash(const Hash32& left, const Hash32& right) noexcept;
// MTH({}) = SHA-256("").
const Hash32& empty_root() noexcept;
// MTH of a whole list of leaf hashes in O(n) time and O(log n) memory.
Hash32 root_from_leaf_hashes(std::span<const Hash32> leaf_hashes) noexcept;

// Exact proof lengths the verifiers insist on. Preconditions: index < size, 0 < old_size < new_size.
std::size_t inclusion_proof_length(std::uint64_t index, std::uint64_t size) noexcept;
std::size_t consistency_proof_length(std::uint64_t old_size, std::uint64_t new_size) noexcept;

// Splits a wire proof (concatenated 32-byte hashes) into hashes; rejects a ragged tail and
// anything longer than kMaxMerkleProofHashes.
Result<std::vector<Hash32>> parse_merkle_proof(ByteView wire);

// RFC 9162 section 2.1.3.2. Fails unless `proof` proves `leaf` sits at `index` in the tree of
// `size` leaves whose root is `root`. A proof binds the size only through the root, so `size`
// and `root` must come from the same trusted checkpoint, never from the proof's sender.
// Zero roots and leaves, and the empty-tree root, are refused outright.
Result<void> verify_inclusion(const Hash32& leaf, std::uint64_t index, std::uint64_t size,
                              std::span<const Hash32> proof, const Hash32& root);

// RFC 9162 section 2.1.4.2. Fails unless `proof` shows the tree of `old_size` leaves with
// `old_root` is a prefix of the tree of `new_size` leaves with `new_root`. old_size 0 is an
// error (even 0 == 0): an empty tree is trivially a prefix, so such a check proves nothing.
Result<void> verify_consistency(std::uint64_t old_size, std::uint64_t new_size, const Hash32& old_root,
                                const Hash32& new_root, std::span<const Hash32> proof);

// An append-only tree over leaf hashes, cut into tiles of kTileLeaves leaves. It keeps the hash
// of every complete, aligned subtree at or above tile height (about 2n / kTileLeaves hashes) and
// the leaves of the incomplete last tile. Leaves of complete tiles stay in memory too, unless a
// TileReader is given: then the owner keeps them (the store, on disk) and they are read back,
// one tile at a time and checked against the tile's hash, when a proof or an older root needs a
// subtree below tile height. Either way a proof costs O(log n) lookups, at most two tile reads
// and a few hundred hashes, never O(n); the current root never reads a tile.
class MerkleLog {
 public:
  static constexpr unsigned kTileHeight = 8;
  static constexpr std::uint64_t kTileLeaves = std::uint64_t{1} << kTileHeight;
  // The kTileLeaves leaf hashes of complete tile `tile`, in order.
  using TileReader = std::function<Result<std::vector<Hash32>>(std::uint64_t tile)>;

  // A log holding every leaf in memory.
  MerkleLog() = default;
  // A log restored from the hashes of its complete tiles and the leaves after them (fewer than
  // kTileLeaves); `reader` serves the complete tiles' leaves.
  static Result<MerkleLog> from_tiles(std::span<const Hash32> tile_hashes, std::vector<Hash32> tail,
                                      TileReader reader);

  void append(const Hash32& leaf);
  std::uint64_t size() const noexcept { return size_; }
  // The leaves of the incomplete last tile: what from_tiles() needs besides the tile hashes.
  std::span<const Hash32> tail() const noexcept;

  Hash32 root() const noexcept;
  Result<Hash32> root_at(std::uint64_t size) const;
  // RFC 9162 section 2.1.3.1 PATH(index, D[0:size]), bottom-up.
  Result<std::vector<Hash32>> inclusion_proof(std::uint64_t index, std::uint64_t size) const;
  // RFC 9162 section 2.1.4.1 PROOF(old_size, D[0:new_size]); empty when the sizes are equal.
  Result<std::vector<Hash32>> consistency_proof(std::uint64_t old_size, std::uint64_t new_size) const;

 private:
  // Hash of leaves [k * 2^h, (k + 1) * 2^h), a complete subtree.
  Result<Hash32> subtree(unsigned h, std::uint64_t k) const;
  // MTH of leaves [begin, end); begin must be a multiple of the largest power of two in
  // end - begin, which RFC 6962's recursion guarantees.
  Result<Hash32> range_hash(std::uint64_t begin, std::uint64_t end) const;
  void add_tile(const Hash32& tile_hash);

  std::uint64_t size_ = 0;
  // Leaves from leaf number first_leaf_ on: all of them without a reader, the tail with one.
  std::vector<Hash32> leaves_;
  std::uint64_t first_leaf_ = 0;
  TileReader reader_;
  // upper_[j][k] = hash of leaves [k * 2^(kTileHeight + j), (k + 1) * 2^(kTileHeight + j)).
  std::vector<std::vector<Hash32>> upper_;
};

}  // namespace causeway::core
