// libFuzzer target for the RFC 6962 verifiers: arbitrary sizes, indices, roots and proofs must
// never crash them, and against a tree built by MerkleLog they must never accept a wrong leaf or
// a wrong old root (THREATS 8-10).
//
// Input: [mode] then fields read in order; a field past the end of the input reads as zeros.
//   mode % 3 == 0: raw. index/old u64, size/new u64, leaf, root, root2, then a wire proof.
//   mode % 3 == 1: inclusion against a known tree; the fuzzer edits a genuine proof.
//   mode % 3 == 2: consistency against a known tree; the fuzzer edits a genuine proof.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "relay/core/merkle_log.hpp"

namespace {

using namespace causeway::core;

class Reader {
 public:
  Reader(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  std::uint8_t byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  std::uint64_t u64() {
    std::uint64_t value = 0;
    for (int i = 0; i < 8; ++i) value = (value << 8) | byte();
    return value;
  }
  Hash32 hash() {
    Hash32 out;
    for (auto& b : out.bytes) b = byte();
    return out;
  }
  ByteView rest() {
    const ByteView out(data_ + pos_, size_ - pos_);
    pos_ = size_;
    return out;
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

void require(bool condition) {
  if (!condition) std::abort();
}

// 300 leaves, so proofs reach nine levels and ragged right edges of every shape appear.
const std::vector<Hash32>& known_leaves() {
  static const std::vector<Hash32> leaves = [] {
    std::vector<Hash32> out;
    for (std::size_t i = 0; i < 300; ++i) {
      const std::uint8_t data[2] = {static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i)};
      out.push_back(leaf_hash(ByteView(data, 2)));
    }
    return out;
  }();
  return leaves;
}

const MerkleLog& tree() {
  static const MerkleLog log = [] {
    MerkleLog built;
    for (const auto& leaf : known_leaves()) built.append(leaf);
    return built;
  }();
  return log;
}

// Applies fuzzer-chosen edits to a genuine proof: flip a bit, drop, duplicate, swap, or
// replace an item with a leaf or a root of the tree.
void edit(Reader& in, std::vector<Hash32>& proof) {
  const int edits = in.byte() % 4;
  for (int e = 0; e < edits; ++e) {
    const std::uint8_t op = in.byte();
    const std::size_t at = proof.empty() ? 0 : in.byte() % proof.size();
    switch (op % 6) {
      case 0:
        if (!proof.empty()) proof[at].bytes[in.byte() % 32] ^= static_cast<std::uint8_t>(1u << (in.byte() % 8));
        break;
      case 1:
        if (!proof.empty()) proof.erase(proof.begin() + static_cast<std::ptrdiff_t>(at));
        break;
      case 2:
        if (!proof.empty()) proof.insert(proof.begin() + static_cast<std::ptrdiff_t>(at), proof[at]);
        break;
      case 3:
        if (proof.size() > 1) std::swap(proof[at], proof[(at + 1) % proof.size()]);
        break;
      case 4:
        if (!proof.empty()) proof[at] = known_leaves().at(in.byte() % tree().size());
        break;
      default:
        proof.insert(proof.begin() + static_cast<std::ptrdiff_t>(at), tree().root_at(1 + in.byte() % tree().size()).value());
        break;
    }
  }
}

void fuzz_raw(Reader& in) {
  const std::uint64_t a = in.u64();
  const std::uint64_t b = in.u64();
  const Hash32 leaf = in.hash();
  const Hash32 root = in.hash();
  const Hash32 root2 = in.hash();
  auto proof = parse_merkle_proof(in.rest());
  if (!proof) return;
  require(proof->size() <= kMaxMerkleProofHashes);
  if (verify_inclusion(leaf, a, b, *proof, root).ok()) {
    require(a < b && !root.is_zero() && proof->size() == inclusion_proof_length(a, b));
  }
  if (verify_consistency(a, b, root, root2, *proof).ok()) {
    require(a != 0 && a <= b && !root.is_zero() && !root2.is_zero());
    require(a == b ? proof->empty() && root == root2 : proof->size() == consistency_proof_length(a, b));
  }
}

// The size and root come from the tree (as from a trusted checkpoint); index, leaf and proof
// are the attacker's. Whatever verifies must be the tree's own leaf at that index.
void fuzz_inclusion(Reader& in) {
  const std::uint64_t size = 1 + in.u64() % tree().size();
  const std::uint64_t genuine_index = in.u64() % size;
  std::vector<Hash32> proof = tree().inclusion_proof(genuine_index, size).value();
  std::uint64_t index = genuine_index;
  Hash32 leaf = known_leaves().at(genuine_index);
  switch (in.byte() % 4) {
    case 0: break;
    case 1: index = in.u64(); break;
    case 2: leaf = known_leaves().at(in.u64() % tree().size()); break;
    default: if (!proof.empty()) leaf = proof.front(); break;  // an inner node posing as a leaf
  }
  edit(in, proof);
  const Hash32 root = tree().root_at(size).value();
  if (verify_inclusion(leaf, index, size, proof, root).ok()) {
    require(index < size && leaf == known_leaves().at(index));
  }
}

// New size and root are trusted; the claimed old size, old root and proof are the attacker's.
// Whatever verifies must name the tree's real root at the old size.
void fuzz_consistency(Reader& in) {
  const std::uint64_t new_size = 1 + in.u64() % tree().size();
  const std::uint64_t genuine_old = 1 + in.u64() % new_size;
  std::vector<Hash32> proof = tree().consistency_proof(genuine_old, new_size).value();
  std::uint64_t old_size = genuine_old;
  Hash32 old_root = tree().root_at(genuine_old).value();
  switch (in.byte() % 4) {
    case 0: break;
    case 1: old_size = in.u64(); break;
    case 2: old_root = tree().root_at(1 + in.u64() % tree().size()).value(); break;
    default: old_root.bytes[in.byte() % 32] ^= 1; break;
  }
  edit(in, proof);
  const Hash32 new_root = tree().root_at(new_size).value();
  if (verify_consistency(old_size, new_size, old_root, new_root, proof).ok()) {
    require(old_size >= 1 && old_size <= new_size && old_root == tree().root_at(old_size).value());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Reader in(data, size);
  switch (in.byte() % 3) {
    case 0: fuzz_raw(in); break;
    case 1: fuzz_inclusion(in); break;
    default: fuzz_consistency(in); break;
  }
  return 0;
}
