// RFC 6962 / RFC 9162 Merkle log: hashing, the subtree cache, proof generation and verification.
// Node hashing has an x86 SHA extensions fast path because verification throughput is bounded
// by it (two SHA-256 blocks per node, 20 nodes per proof in a 2^20 tree).
#include "relay/core/merkle_log.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <string>

#include "relay/core/hash.hpp"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define CAUSEWAY_MERKLE_SHA_NI 1
#include <cpuid.h>
#include <immintrin.h>
#endif

namespace causeway::core {
namespace {

constexpr std::uint8_t kLeafPrefix = 0x00;
constexpr std::uint8_t kNodePrefix = 0x01;

Hash32 node_hash_portable(const Hash32& left, const Hash32& right) noexcept {
  return sha256({ByteView(&kNodePrefix, 1), left.view(), right.view()});
}

#ifdef CAUSEWAY_MERKLE_SHA_NI

// With OpenSSL's EVP interface a 65-byte node hash costs ~2x the two block compressions it
// needs (context setup, provider dispatch, padding), which caps verification near 250k/s.
// Here both blocks are laid out directly and compressed with the SHA extensions.

alignas(16) constexpr std::uint32_t kRoundConstants[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

bool cpu_has_sha_ni() noexcept {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (__get_cpuid(1, &a, &b, &c, &d) == 0) return false;
  const bool ssse3 = (c & (1u << 9)) != 0;
  const bool sse41 = (c & (1u << 19)) != 0;
  if (__get_cpuid_count(7, 0, &a, &b, &c, &d) == 0) return false;
  const bool sha = (b & (1u << 29)) != 0;
  return ssse3 && sse41 && sha;
}

const bool kHasShaNi = cpu_has_sha_ni();

// The SHA instructions keep the eight state words as two vectors, lanes high to low:
// abef = (A, B, E, F) and cdgh = (C, D, G, H).
struct ShaNiState {
  __m128i abef;
  __m128i cdgh;
};

__attribute__((target("sha,sse4.1,ssse3"))) inline __m128i big_endian_words(__m128i v) noexcept {
  const __m128i swap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
  return _mm_shuffle_epi8(v, swap);
}

// One SHA-256 block given as four 16-byte vectors in message byte order.
__attribute__((target("sha,sse4.1,ssse3"))) inline void compress_sha_ni(ShaNiState& state, __m128i m0, __m128i m1,
                                                                         __m128i m2, __m128i m3) noexcept {
  // w[g % 4] holds message words 4g .. 4g+3 of the current four-group window.
  __m128i w[4] = {big_endian_words(m0), big_endian_words(m1), big_endian_words(m2), big_endian_words(m3)};
  __m128i abef = state.abef;
  __m128i cdgh = state.cdgh;
#pragma GCC unroll 16
  for (int g = 0; g < 16; ++g) {
    if (g >= 4) {
      // W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16] for four t at once: msg1 adds the
      // s0 terms, alignr supplies W[t-7 .. t-4], msg2 adds the s1 terms.
      __m128i next = _mm_sha256msg1_epu32(w[g & 3], w[(g + 1) & 3]);
      next = _mm_add_epi32(next, _mm_alignr_epi8(w[(g + 3) & 3], w[(g + 2) & 3], 4));
      w[g & 3] = _mm_sha256msg2_epu32(next, w[(g + 3) & 3]);
    }
    __m128i wk = _mm_add_epi32(w[g & 3], _mm_load_si128(reinterpret_cast<const __m128i*>(kRoundConstants + 4 * g)));
    // Each rnds2 does two rounds and returns the new (A, B, E, F); the new (C, D, G, H) is
    // the old (A, B, E, F), so the two variables swap roles and swap back.
    cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);
    wk = _mm_shuffle_epi32(wk, 0x0e);
    abef = _mm_sha256rnds2_epu32(abef, cdgh, wk);
  }
  state.abef = _mm_add_epi32(abef, state.abef);
  state.cdgh = _mm_add_epi32(cdgh, state.cdgh);
}

// A 32-byte hash held as two vectors of its bytes, so a chain of node hashes never leaves the
// registers.
struct HashVec {
  __m128i lo;
  __m128i hi;
};

__attribute__((target("sha,sse4.1,ssse3"))) inline HashVec load_hash(const Hash32& hash) noexcept {
  return {_mm_loadu_si128(reinterpret_cast<const __m128i*>(hash.data())),
          _mm_loadu_si128(reinterpret_cast<const __m128i*>(hash.data() + 16))};
}

__attribute__((target("sha,sse4.1,ssse3"))) inline Hash32 store_hash(const HashVec& vec) noexcept {
  Hash32 out;
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out.data()), vec.lo);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out.data() + 16), vec.hi);
  return out;
}

__attribute__((target("sha,sse4.1,ssse3"))) inline HashVec node_hash_vec(const HashVec& left,
                                                                          const HashVec& right) noexcept {
  // The 65-byte message is assembled in registers (a byte buffer costs store-forwarding
  // stalls): block one is 0x01 || left || right[0..30]; block two is right[31], the 0x80
  // terminator, zeros and the bit length 520 = 0x0208, big-endian.
  const __m128i zero = _mm_setzero_si128();
  ShaNiState state{_mm_set_epi32(0x6a09e667, static_cast<int>(0xbb67ae85), 0x510e527f, static_cast<int>(0x9b05688c)),
                   _mm_set_epi32(0x3c6ef372, static_cast<int>(0xa54ff53a), 0x1f83d9ab, 0x5be0cd19)};
  compress_sha_ni(state, _mm_or_si128(_mm_slli_si128(left.lo, 1), _mm_cvtsi32_si128(kNodePrefix)),
                  _mm_alignr_epi8(left.hi, left.lo, 15), _mm_alignr_epi8(right.lo, left.hi, 15),
                  _mm_alignr_epi8(right.hi, right.lo, 15));
  compress_sha_ni(state, _mm_or_si128(_mm_srli_si128(right.hi, 15), _mm_cvtsi32_si128(0x8000)), zero, zero,
                  _mm_set_epi8(0x08, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));

  // Back to (A, B, C, D) and (E, F, G, H), lowest lane first, then big-endian bytes.
  const __m128i a_b_e_f = _mm_shuffle_epi32(state.abef, 0x1b);  // lanes low..high: A B E F
  const __m128i g_h_c_d = _mm_shuffle_epi32(state.cdgh, 0xb1);  // lanes low..high: G H C D
  return {big_endian_words(_mm_blend_epi16(a_b_e_f, g_h_c_d, 0xf0)),
          big_endian_words(_mm_alignr_epi8(g_h_c_d, a_b_e_f, 8))};
}

__attribute__((target("sha,sse4.1,ssse3"))) Hash32 node_hash_sha_ni(const Hash32& left,
                                                                     const Hash32& right) noexcept {
  return store_hash(node_hash_vec(load_hash(left), load_hash(right)));
}

__attribute__((target("sha,sse4.1,ssse3"))) Hash32 climb_sha_ni(const Hash32& seed, std::span<const Hash32> path,
                                                                 std::uint64_t sibling_left) noexcept {
  HashVec acc = load_hash(seed);
  for (std::size_t i = 0; i < path.size(); ++i) {
    const HashVec sibling = load_hash(path[i]);
    // All ones when the sibling goes on the left; a blend, not a branch (see climb()).
    const __m128i left_mask = _mm_set1_epi8(static_cast<char>(-static_cast<int>((sibling_left >> i) & 1)));
    const HashVec left{_mm_blendv_epi8(acc.lo, sibling.lo, left_mask), _mm_blendv_epi8(acc.hi, sibling.hi, left_mask)};
    const HashVec right{_mm_blendv_epi8(sibling.lo, acc.lo, left_mask), _mm_blendv_epi8(sibling.hi, acc.hi, left_mask)};
    acc = node_hash_vec(left, right);
  }
  return store_hash(acc);
}

#endif  // CAUSEWAY_MERKLE_SHA_NI

std::string str(std::uint64_t value) { return std::to_string(value); }

// RFC 9162 section 2.1.3.2: below level `inner` the paths to `index` and to the last leaf
// differ, so the sibling may lie on either side; above it, the `border` levels where index has
// a 1 bit have a left sibling, and the levels with a 0 bit have none (the right edge).
struct ProofShape {
  unsigned inner;
  unsigned border;
};

ProofShape proof_shape(std::uint64_t index, std::uint64_t size) noexcept {
  const auto inner = static_cast<unsigned>(std::bit_width(index ^ (size - 1)));
  const auto border = inner >= 64 ? 0u : static_cast<unsigned>(std::popcount(index >> inner));
  return {inner, border};
}

Result<void> check_root(const Hash32& root, const char* which) {
  if (root.is_zero()) return Error(reason::merkle::kZeroRoot, which);
  if (root == empty_root()) return Error(reason::merkle::kEmptyRoot, which);
  return ok();
}

Result<void> check_length(std::size_t got, std::size_t want) {
  if (got > want) return Error(reason::merkle::kProofTooLong, str(got) + " hashes, expected " + str(want));
  if (got < want) return Error(reason::merkle::kProofTooShort, str(got) + " hashes, expected " + str(want));
  return ok();
}

// Hashes `seed` up through `path`: at step i the sibling path[i] goes on the left when bit i of
// `sibling_left` is set. Index bits are random, so the order is chosen without a branch: a
// mispredicted branch costs a tenth of a node hash.
Hash32 climb(const Hash32& seed, std::span<const Hash32> path, std::uint64_t sibling_left) noexcept {
#ifdef CAUSEWAY_MERKLE_SHA_NI
  if (kHasShaNi) return climb_sha_ni(seed, path, sibling_left);
#endif
  Hash32 acc = seed;
  for (std::size_t i = 0; i < path.size(); ++i) {
    const bool sibling_is_left = ((sibling_left >> i) & 1) != 0;
    const Hash32* left = sibling_is_left ? &path[i] : &acc;
    const Hash32* right = sibling_is_left ? &acc : &path[i];
    acc = node_hash_portable(*left, *right);
  }
  return acc;
}

// Bits [0, count) of `bits`, for count up to 64.
std::uint64_t low_bits(std::uint64_t bits, unsigned count) noexcept {
  return count >= 64 ? bits : bits & ((std::uint64_t{1} << count) - 1);
}

}  // namespace

Hash32 leaf_hash(ByteView data) noexcept { return sha256({ByteView(&kLeafPrefix, 1), data}); }

Hash32 node_hash(const Hash32& left, const Hash32& right) noexcept {
#ifdef CAUSEWAY_MERKLE_SHA_NI
  if (kHasShaNi) return node_hash_sha_ni(left, right);
#endif
  return node_hash_portable(left, right);
}

const Hash32& empty_root() noexcept {
  static const Hash32 root = sha256(ByteView{});
  return root;
}

Hash32 root_from_leaf_hashes(std::span<const Hash32> leaf_hashes) noexcept {
  if (leaf_hashes.empty()) return empty_root();
  // stack[i] holds the complete subtrees not yet paired, largest first (one per set bit of
  // the count so far); after leaf number n, ctz(n + 1) pairs close.
  std::array<Hash32, 65> stack;
  std::size_t depth = 0;
  for (std::size_t n = 0; n < leaf_hashes.size(); ++n) {
    stack[depth++] = leaf_hashes[n];
    for (auto merges = std::countr_zero(static_cast<std::uint64_t>(n + 1)); merges > 0; --merges) {
      stack[depth - 2] = node_hash(stack[depth - 2], stack[depth - 1]);
      --depth;
    }
  }
  Hash32 acc = stack[depth - 1];
  for (std::size_t i = depth - 1; i-- > 0;) acc = node_hash(stack[i], acc);
  return acc;
}

std::size_t inclusion_proof_length(std::uint64_t index, std::uint64_t size) noexcept {
  const auto shape = proof_shape(index, size);
  return shape.inner + shape.border;
}

std::size_t consistency_proof_length(std::uint64_t old_size, std::uint64_t new_size) noexcept {
  const auto shape = proof_shape(old_size - 1, new_size);
  const auto shift = static_cast<unsigned>(std::countr_zero(old_size));
  // A power-of-two old tree is itself a node of the new tree and needs no seed hash.
  const std::size_t seed = std::has_single_bit(old_size) ? 0 : 1;
  return seed + (shape.inner - shift) + shape.border;
}

Result<std::vector<Hash32>> parse_merkle_proof(ByteView wire) {
  if (wire.size() % Hash32::kSize != 0) {
    return Error(reason::merkle::kProofMalformed, str(wire.size()) + " bytes is not a whole number of hashes");
  }
  const std::size_t count = wire.size() / Hash32::kSize;
  if (count > kMaxMerkleProofHashes) {
    return Error(reason::merkle::kProofTooLong, str(count) + " hashes, at most " + str(kMaxMerkleProofHashes));
  }
  std::vector<Hash32> proof(count);
  for (std::size_t i = 0; i < count; ++i) {
    std::memcpy(proof[i].data(), wire.data() + i * Hash32::kSize, Hash32::kSize);
  }
  return proof;
}

Result<void> verify_inclusion(const Hash32& leaf, std::uint64_t index, std::uint64_t size,
                              std::span<const Hash32> proof, const Hash32& root) {
  if (index >= size) return Error(reason::merkle::kIndexOutOfRange, "index " + str(index) + ", size " + str(size));
  CW_CHECK(check_root(root, "root"));
  if (leaf.is_zero()) return Error(reason::merkle::kZeroLeaf);
  const auto shape = proof_shape(index, size);
  CW_CHECK(check_length(proof.size(), shape.inner + shape.border));

  // Inner levels: the sibling's side is the index bit. Border levels: always on the left.
  const std::uint64_t sibling_left = low_bits(index, shape.inner) | ~low_bits(~std::uint64_t{0}, shape.inner);
  if (climb(leaf, proof, sibling_left) != root) return Error(reason::merkle::kRootMismatch);
  return ok();
}

Result<void> verify_consistency(std::uint64_t old_size, std::uint64_t new_size, const Hash32& old_root,
                                const Hash32& new_root, std::span<const Hash32> proof) {
  if (old_size > new_size) {
    return Error(reason::merkle::kOldSizeExceedsNew, "old size " + str(old_size) + ", new size " + str(new_size));
  }
  if (old_size == 0) return Error(reason::merkle::kZeroOldSize);
  CW_CHECK(check_root(old_root, "old root"));
  CW_CHECK(check_root(new_root, "new root"));
  if (old_size == new_size) {
    CW_CHECK(check_length(proof.size(), 0));
    if (old_root != new_root) return Error(reason::merkle::kRootMismatch, "equal sizes, different roots");
    return ok();
  }
  CW_CHECK(check_length(proof.size(), consistency_proof_length(old_size, new_size)));

  // Below `shift` the old tree's last subtree is complete, so the walk starts at its root:
  // the old root itself when the old tree is one complete subtree, else the proof's first hash.
  // Climbing from there, the new root takes siblings from both sides (the side is the bit of
  // `mask` on inner levels, the left on the border above), and the old root only the left ones.
  const auto shape = proof_shape(old_size - 1, new_size);
  const auto shift = static_cast<unsigned>(std::countr_zero(old_size));
  const unsigned inner = shape.inner - shift;
  const bool seeded_by_root = std::has_single_bit(old_size);
  const Hash32& seed = seeded_by_root ? old_root : proof[0];
  const auto path = proof.subspan(seeded_by_root ? 0 : 1);
  const std::uint64_t mask = (old_size - 1) >> shift;
  const std::uint64_t sibling_left = low_bits(mask, inner) | ~low_bits(~std::uint64_t{0}, inner);

  // One loop for both chains: they are independent, so the CPU overlaps their hashing.
  Hash32 hash_old = seed;
  Hash32 hash_new = seed;
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (((sibling_left >> i) & 1) != 0) {
      hash_old = node_hash(path[i], hash_old);
      hash_new = node_hash(path[i], hash_new);
    } else {
      hash_new = node_hash(hash_new, path[i]);
    }
  }
  if (hash_old != old_root) return Error(reason::merkle::kRootMismatch, "old root");
  if (hash_new != new_root) return Error(reason::merkle::kRootMismatch, "new root");
  return ok();
}

Result<MerkleLog> MerkleLog::from_tiles(std::span<const Hash32> tile_hashes, std::vector<Hash32> tail,
                                        TileReader reader) {
  if (tail.size() >= kTileLeaves) {
    return Error(reason::merkle::kSizeBeyondTree, str(tail.size()) + " tail leaves make a complete tile");
  }
  MerkleLog log;
  log.reader_ = std::move(reader);
  for (const auto& tile : tile_hashes) log.add_tile(tile);
  log.first_leaf_ = tile_hashes.size() * kTileLeaves;
  log.size_ = log.first_leaf_ + tail.size();
  log.leaves_ = std::move(tail);
  return log;
}

std::span<const Hash32> MerkleLog::tail() const noexcept {
  const std::size_t in_tail = static_cast<std::size_t>(size_ % kTileLeaves);
  return std::span<const Hash32>(leaves_).last(in_tail);
}

void MerkleLog::add_tile(const Hash32& tile_hash) {
  if (upper_.empty()) upper_.emplace_back();
  upper_[0].push_back(tile_hash);
  // Each even count at a level completes a pair, whose parent may complete one above.
  for (std::size_t j = 0; upper_[j].size() % 2 == 0; ++j) {
    const auto& level = upper_[j];
    const Hash32 parent = node_hash(level[level.size() - 2], level.back());
    if (upper_.size() == j + 1) upper_.emplace_back();
    upper_[j + 1].push_back(parent);
  }
}

void MerkleLog::append(const Hash32& leaf) {
  leaves_.push_back(leaf);
  ++size_;
  if (size_ % kTileLeaves != 0) return;
  add_tile(root_from_leaf_hashes(std::span<const Hash32>(leaves_).last(kTileLeaves)));
  // With a reader the owner keeps the complete tile's leaves.
  if (reader_) {
    leaves_.clear();
    first_leaf_ = size_;
  }
}

Result<Hash32> MerkleLog::subtree(unsigned h, std::uint64_t k) const {
  if (h >= kTileHeight) return upper_[h - kTileHeight][k];
  const std::uint64_t begin = k << h;
  const std::uint64_t width = std::uint64_t{1} << h;
  if (begin >= first_leaf_) {
    return root_from_leaf_hashes(std::span<const Hash32>(leaves_).subspan(begin - first_leaf_, width));
  }
  const std::uint64_t tile = begin / kTileLeaves;
  CW_TRY(const auto leaves, reader_(tile));
  // The reader's storage could be damaged or edited: a tile counts only if it hashes to the
  // tile hash the log was built with.
  if (leaves.size() != kTileLeaves || root_from_leaf_hashes(leaves) != upper_[0][tile]) {
    return Error(reason::merkle::kRootMismatch, "the stored leaves of tile " + str(tile) + " do not hash to its tile hash");
  }
  return root_from_leaf_hashes(std::span<const Hash32>(leaves).subspan(begin - tile * kTileLeaves, width));
}

Hash32 MerkleLog::root() const noexcept {
  // Every complete subtree of the whole log's decomposition is at or above tile height or lies
  // in the in-memory tail, so this never reads a tile and cannot fail.
  return size_ == 0 ? empty_root() : range_hash(0, size_).value();
}

Result<Hash32> MerkleLog::range_hash(std::uint64_t begin, std::uint64_t end) const {
  // The range splits into complete subtrees, one per set bit of its length, largest first;
  // RFC 6962 nests them to the right: H(P1, H(P2, ... Pk)).
  const std::uint64_t count = end - begin;
  std::array<Hash32, 64> parts{};
  std::size_t n = 0;
  std::uint64_t offset = begin;
  for (int h = 63; h >= 0; --h) {
    const std::uint64_t width = std::uint64_t{1} << h;
    if ((count & width) == 0) continue;
    CW_TRY(parts[n], subtree(static_cast<unsigned>(h), offset >> h));
    ++n;
    offset += width;
  }
  Hash32 acc = parts[n - 1];
  for (std::size_t i = n - 1; i-- > 0;) acc = node_hash(parts[i], acc);
  return acc;
}

Result<Hash32> MerkleLog::root_at(std::uint64_t size) const {
  if (size > this->size()) {
    return Error(reason::merkle::kSizeBeyondTree, "size " + str(size) + ", tree has " + str(this->size()));
  }
  if (size == 0) return empty_root();
  return range_hash(0, size);
}

Result<std::vector<Hash32>> MerkleLog::inclusion_proof(std::uint64_t index, std::uint64_t size) const {
  if (size > this->size()) {
    return Error(reason::merkle::kSizeBeyondTree, "size " + str(size) + ", tree has " + str(this->size()));
  }
  if (index >= size) return Error(reason::merkle::kIndexOutOfRange, "index " + str(index) + ", size " + str(size));
  // Walk RFC 6962's PATH recursion top-down; the proof lists siblings bottom-up.
  std::vector<Hash32> proof;
  proof.reserve(64);
  std::uint64_t begin = 0;
  std::uint64_t end = size;
  while (end - begin > 1) {
    const std::uint64_t split = begin + std::bit_floor(end - begin - 1);
    if (index < split) {
      CW_TRY(auto right, range_hash(split, end));
      proof.push_back(right);
      end = split;
    } else {
      CW_TRY(auto left, range_hash(begin, split));
      proof.push_back(left);
      begin = split;
    }
  }
  std::reverse(proof.begin(), proof.end());
  return proof;
}

Result<std::vector<Hash32>> MerkleLog::consistency_proof(std::uint64_t old_size, std::uint64_t new_size) const {
  if (new_size > this->size()) {
    return Error(reason::merkle::kSizeBeyondTree, "size " + str(new_size) + ", tree has " + str(this->size()));
  }
  if (old_size > new_size) {
    return Error(reason::merkle::kOldSizeExceedsNew, "old size " + str(old_size) + ", new size " + str(new_size));
  }
  if (old_size == 0) return Error(reason::merkle::kZeroOldSize);
  // RFC 6962 SUBPROOF(m, D[begin:end], complete) walked top-down. `complete` stays true while
  // the old tree is the left edge of the current range, in which case its root is known to
  // the verifier and is left out.
  std::vector<Hash32> proof;
  proof.reserve(65);
  std::uint64_t old_in_range = old_size;
  std::uint64_t begin = 0;
  std::uint64_t end = new_size;
  bool complete = true;
  while (old_in_range != end - begin) {
    const std::uint64_t half = std::bit_floor(end - begin - 1);
    if (old_in_range <= half) {
      CW_TRY(auto right, range_hash(begin + half, end));
      proof.push_back(right);
      end = begin + half;
    } else {
      CW_TRY(auto left, range_hash(begin, begin + half));
      proof.push_back(left);
      old_in_range -= half;
      begin += half;
      complete = false;
    }
  }
  if (!complete) {
    CW_TRY(auto rest, range_hash(begin, end));
    proof.push_back(rest);
  }
  std::reverse(proof.begin(), proof.end());
  return proof;
}

}  // namespace causeway::core
