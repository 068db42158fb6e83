// libFuzzer target for the Merkle-Patricia proof verifier: arbitrary proof lists must never crash
// it, and against the root of a known trie it must never prove a wrong value or a false absence.
//
// Input: [mode] [key length] [key bytes] then nodes, each as a 2-byte big-endian length and bytes.
// mode % 4 picks the root: the known trie's, keccak of the first node (so the walk gets past the
// root check), the empty-trie root, or zero.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <vector>

#include "relay/core/hash.hpp"
#include "relay/core/mpt.hpp"

namespace {

using namespace causeway::core;

// 64 receipts-like entries; values of 1..50 bytes, so some leaves are inline (< 32 bytes).
struct KnownTrie {
  std::map<Bytes, Bytes> entries;
  Hash32 root;

  KnownTrie() {
    mpt::Trie trie;
    for (std::uint64_t i = 0; i < 64; ++i) {
      Bytes value((i * 7) % 50 + 1, static_cast<std::uint8_t>(0xa0 + i));
      entries[mpt::receipt_key(i)] = value;
      trie.put(mpt::receipt_key(i), value);
    }
    root = trie.root();
  }
};

const KnownTrie& known() {
  static const KnownTrie trie;
  return trie;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::uint8_t mode = data[0];
  const std::size_t key_size = std::min<std::size_t>(data[1] % 40, size - 2);
  const ByteView key(data + 2, key_size);

  std::vector<ByteView> proof;
  std::size_t at = 2 + key_size;
  while (at + 2 <= size) {
    const std::size_t length = std::min<std::size_t>((std::size_t{data[at]} << 8) | data[at + 1], size - at - 2);
    proof.emplace_back(data + at + 2, length);
    at += 2 + length;
  }

  Hash32 root;
  switch (mode % 4) {
    case 0: root = known().root; break;
    case 1: root = proof.empty() ? Hash32{} : keccak256(proof[0]); break;
    case 2: root = mpt::empty_root(); break;
    default: break;  // zero
  }

  auto lookup = mpt::verify_proof(root, key, proof);
  auto inclusion = mpt::verify_inclusion(root, key, proof);
  // The two entry points must agree.
  if (lookup.ok() != (inclusion.ok() || inclusion.error().reason() == mpt::reason::kKeyAbsent)) std::abort();
  if (inclusion.ok() && !(lookup.ok() && lookup->is_included())) std::abort();
  if (!lookup) return 0;

  if (lookup->is_included()) {
    // The value must view one of the proof's nodes.
    const ByteView value = lookup->value();
    const bool inside = std::any_of(proof.begin(), proof.end(), [&](ByteView node) {
      return value.data() >= node.data() && value.data() + value.size() <= node.data() + node.size();
    });
    if (!inside) std::abort();
  }
  if (mode % 4 == 0) {
    // Against a committed root only the committed answer may come out (short of a keccak collision).
    const auto found = known().entries.find(Bytes(key.begin(), key.end()));
    if (lookup->is_absent() != (found == known().entries.end())) std::abort();
    if (lookup->is_included() && !std::equal(lookup->value().begin(), lookup->value().end(),
                                             found->second.begin(), found->second.end())) {
      std::abort();
    }
  }
  return 0;
}
