// Ethereum Merkle-Patricia trie: building a trie from key/value pairs (root and proofs), and
// strict verification of inclusion and absence proofs. PROOF_FORMATS.md A.5; THREATS.md 12-14.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <vector>

#include "relay/core/bytes.hpp"
#include "relay/core/result.hpp"

namespace causeway::core::mpt {

namespace reason {
// The root is all zeros: never a trie anyone committed to (Nomad 2022).
inline constexpr Reason kZeroRoot{"mpt.zero_root"};
// The first proof node does not hash to the root.
inline constexpr Reason kRootMismatch{"mpt.root_mismatch"};
// A proof node does not hash to the reference its parent holds.
inline constexpr Reason kHashMismatch{"mpt.hash_mismatch"};
// The path needs another hashed node and the proof has run out.
inline constexpr Reason kMissingNode{"mpt.missing_node"};
// The walk ended before the proof did.
inline constexpr Reason kUnusedNodes{"mpt.unused_nodes"};
inline constexpr Reason kTooManyNodes{"mpt.too_many_nodes"};
inline constexpr Reason kNodeTooLarge{"mpt.node_too_large"};
inline constexpr Reason kKeyTooLong{"mpt.key_too_long"};
// A node is not a 17-item branch or a 2-item leaf/extension, or an item has the wrong type.
inline constexpr Reason kBadNode{"mpt.bad_node"};
// A child reference that is neither empty, a 32-byte hash nor an inline node under 32 bytes; a
// hashed node under 32 bytes (honest tries embed those); an extension with an empty path.
inline constexpr Reason kNonCanonicalNode{"mpt.non_canonical_node"};
// verify_inclusion: the proof is valid but shows the key is not in the trie.
inline constexpr Reason kKeyAbsent{"mpt.key_absent"};
}  // namespace reason

// keccak256(rlp("")) = 0x56e81f17…: the root of a trie with no entries.
const Hash32& empty_root() noexcept;

// The key of transaction/receipt number `tx_index` in its block's trie: rlp(tx_index). The
// verifier derives it itself; a key supplied with the proof is never trusted (THREATS.md 12).
Bytes receipt_key(std::uint64_t tx_index);

// Byte-wise lexicographic order on keys. Spelled out with memcmp because GCC 12 at -O3 reports a
// false -Wstringop-overread inside std::vector's own operator<.
struct KeyLess {
  bool operator()(const Bytes& a, const Bytes& b) const noexcept;
};

// An in-memory trie that produces the root and proofs. Building is O(n) per root or per call to
// prove / prove_many, which suits its uses (one block of receipts, tests); it is not a state
// database.
class Trie {
 public:
  // Sets `key` to `value`. An empty value deletes the key, as in Ethereum tries.
  void put(ByteView key, ByteView value);
  void erase(ByteView key);
  std::size_t size() const noexcept { return entries_.size(); }

  Hash32 root() const;
  // The RLP encodings of the nodes on the path to `key` that are referenced by hash, root first
  // (geth eth_getProof order; inline nodes stay inside their parents). Works for absent keys:
  // the result then proves absence.
  std::vector<Bytes> prove(ByteView key) const;
  // prove() of each key (any order, repeats allowed), from one pass over the trie: proving every
  // event of a block costs about the size of the proofs, not keys × trie size.
  std::vector<std::vector<Bytes>> prove_many(std::span<const Bytes> keys) const;

 private:
  std::map<Bytes, Bytes, KeyLess> entries_;
};

// The trie of a block's transactions or receipts: value i under receipt_key(i).
Trie indexed_trie(std::span<const Bytes> values);

// Outcome of a valid proof: the key is included with a value, or provably absent.
class Lookup {
 public:
  static Lookup included(ByteView value) noexcept { return Lookup(true, value); }
  static Lookup absent() noexcept { return Lookup(false, {}); }

  bool is_included() const noexcept { return included_; }
  bool is_absent() const noexcept { return !included_; }
  // The proven value, viewing the proof's buffers. Asking for the value of an absent key is a bug
  // in the caller, so absence can never be read as an (empty) value.
  ByteView value() const;

 private:
  Lookup(bool included, ByteView value) noexcept : included_(included), value_(value) {}
  bool included_;
  ByteView value_;
};

// Bounds checked before any node is hashed.
struct ProofLimits {
  std::size_t max_nodes = 64;
  std::size_t max_node_bytes = 1u << 20;
  std::size_t max_key_bytes = 32;
  friend bool operator==(const ProofLimits&, const ProofLimits&) = default;
};

// Verifies `proof` (ordered root first, as Trie::prove and eth_getProof give it) for `key` against
// `root`. Every node must be used, in order, and hash to the reference that leads to it.
Result<Lookup> verify_proof(const Hash32& root, ByteView key, std::span<const ByteView> proof,
                            const ProofLimits& limits = {}) noexcept;
Result<Lookup> verify_proof(const Hash32& root, ByteView key, std::span<const Bytes> proof,
                            const ProofLimits& limits = {}) noexcept;
// The proven value views the proof, so a temporary proof would leave it dangling.
Result<Lookup> verify_proof(const Hash32& root, ByteView key, std::vector<Bytes>&& proof,
                            const ProofLimits& limits = {}) = delete;

// As verify_proof, but absence is the error kKeyAbsent: for callers that need the value.
Result<ByteView> verify_inclusion(const Hash32& root, ByteView key, std::span<const ByteView> proof,
                                  const ProofLimits& limits = {}) noexcept;
Result<ByteView> verify_inclusion(const Hash32& root, ByteView key, std::span<const Bytes> proof,
                                  const ProofLimits& limits = {}) noexcept;
Result<ByteView> verify_inclusion(const Hash32& root, ByteView key, std::vector<Bytes>&& proof,
                                  const ProofLimits& limits = {}) = delete;

// Inclusion of receipt (or transaction) `tx_index` under `root`, with the key derived here.
Result<ByteView> verify_receipt_proof(const Hash32& root, std::uint64_t tx_index,
                                      std::span<const ByteView> proof,
                                      const ProofLimits& limits = {}) noexcept;
Result<ByteView> verify_receipt_proof(const Hash32& root, std::uint64_t tx_index,
                                      std::span<const Bytes> proof,
                                      const ProofLimits& limits = {}) noexcept;
Result<ByteView> verify_receipt_proof(const Hash32& root, std::uint64_t tx_index, std::vector<Bytes>&& proof,
                                      const ProofLimits& limits = {}) = delete;

}  // namespace causeway::core::mpt
