// Merkle-Patricia trie building and proof verification (see mpt.hpp).
#include "relay/core/mpt.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <cstdlib>
#include <iterator>
#include <string>

#include "relay/core/hash.hpp"
#include "relay/core/hex_prefix.hpp"
#include "relay/core/rlp.hpp"

namespace causeway::core::mpt {
namespace {

using hex_prefix::NibbleView;

constexpr std::size_t kBranchItems = 17;
constexpr std::size_t kShortNodeItems = 2;
constexpr std::size_t kHashSize = 32;
// Nodes whose encoding is shorter than this are embedded in their parent instead of hashed.
constexpr std::size_t kInlineLimit = 32;

bool key_less(ByteView a, ByteView b) noexcept {
  const std::size_t common = std::min(a.size(), b.size());
  const int order = common == 0 ? 0 : std::memcmp(a.data(), b.data(), common);
  return order != 0 ? order < 0 : a.size() < b.size();
}

// Encodes trie nodes bottom-up from a sorted range of entries. Given target keys (sorted, as
// nibble paths), it also collects for each target the hashed nodes on its path (deepest first; the
// caller reverses them). The targets whose walk reaches a node are a contiguous run of the sorted
// targets, so one pass over the trie serves every target.
class Builder {
 public:
  using Iter = std::map<Bytes, Bytes, KeyLess>::const_iterator;
  // Indices [begin, end) into the sorted targets.
  struct Targets {
    std::size_t begin = 0;
    std::size_t end = 0;
    bool empty() const noexcept { return begin == end; }
  };

  // proofs[i] receives the nodes of targets[i].
  Builder(std::span<const NibbleView> targets, std::span<std::vector<Bytes>* const> proofs)
      : targets_(targets), proofs_(proofs) {}

  Targets all() const noexcept { return {0, targets_.size()}; }

  // The encoding of the node holding the non-empty range [first, last), whose keys share their
  // first `depth` nibbles. `on_path`: the targets whose walk reaches this node.
  Bytes encode(Iter first, Iter last, std::size_t depth, Targets on_path) {
    const NibbleView first_key(first->first);
    if (std::next(first) == last) {
      rlp::Encoder leaf;
      leaf.begin_list()
          .add_string(hex_prefix::encode(first_key.drop_front(depth), true))
          .add_string(first->second)
          .end_list();
      return std::move(leaf).take();
    }

    // Sorted keys: the common prefix of the whole range is that of its first and last keys.
    const NibbleView last_key(std::prev(last)->first);
    std::size_t common = depth;
    while (common < first_key.size() && common < last_key.size() && first_key[common] == last_key[common]) {
      ++common;
    }
    if (common > depth) {
      const NibbleView shared = first_key.first(common).drop_front(depth);
      const auto continues = [&](std::size_t t) {
        return targets_[t].size() >= common && targets_[t].drop_front(depth).starts_with(shared);
      };
      Targets child_on_path{on_path.begin, on_path.begin};
      while (child_on_path.begin != on_path.end && !continues(child_on_path.begin)) ++child_on_path.begin;
      child_on_path.end = child_on_path.begin;
      while (child_on_path.end != on_path.end && continues(child_on_path.end)) ++child_on_path.end;
      const Bytes child = encode_child(first, last, common, child_on_path);
      rlp::Encoder extension;
      extension.begin_list().add_string(hex_prefix::encode(shared, false));
      add_reference(extension, child);
      extension.end_list();
      return std::move(extension).take();
    }

    rlp::Encoder branch(kBranchItems * (kHashSize + 1) + 3);
    branch.begin_list();
    Iter it = first;
    ByteView value;
    if (first_key.size() == depth) {  // a key ending here sorts first and is the branch's value
      value = it->second;
      ++it;
    }
    std::size_t target = on_path.begin;
    while (target != on_path.end && targets_[target].size() == depth) ++target;  // they end here
    for (std::uint8_t nibble = 0; nibble < 16; ++nibble) {
      Targets child_on_path{target, target};
      while (child_on_path.end != on_path.end && targets_[child_on_path.end][depth] == nibble) ++child_on_path.end;
      target = child_on_path.end;
      Iter group_end = it;
      while (group_end != last && NibbleView(group_end->first)[depth] == nibble) ++group_end;
      if (group_end == it) {
        branch.add_string({});
        continue;
      }
      add_reference(branch, encode_child(it, group_end, depth + 1, child_on_path));
      it = group_end;
    }
    branch.add_string(value).end_list();
    return std::move(branch).take();
  }

  // The root is hashed (and so in every proof) whatever its size.
  void record_root(const Bytes& encoding) { record(all(), encoding); }

 private:
  Bytes encode_child(Iter first, Iter last, std::size_t depth, Targets on_path) {
    Bytes encoding = encode(first, last, depth, on_path);
    if (encoding.size() >= kInlineLimit) record(on_path, encoding);
    return encoding;
  }

  void record(Targets on_path, const Bytes& encoding) {
    for (std::size_t t = on_path.begin; t < on_path.end; ++t) proofs_[t]->push_back(encoding);
  }

  static void add_reference(rlp::Encoder& parent, const Bytes& child) {
    if (child.size() < kInlineLimit) {
      parent.add_raw(child);
    } else {
      parent.add_string(keccak256(child).view());
    }
  }

  std::span<const NibbleView> targets_;
  std::span<std::vector<Bytes>* const> proofs_;
};

// Proofs of `keys` (any order, repeats allowed) over `entries`, in the order of `keys`.
std::vector<std::vector<Bytes>> prove_keys(const std::map<Bytes, Bytes, KeyLess>& entries,
                                           std::span<const ByteView> keys) {
  std::vector<std::vector<Bytes>> proofs(keys.size());
  if (entries.empty() || keys.empty()) return proofs;
  // Byte order is nibble order, so sorted keys give each node's targets as one contiguous run.
  std::vector<std::size_t> order(keys.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return key_less(keys[a], keys[b]); });
  std::vector<NibbleView> targets;
  std::vector<std::vector<Bytes>*> outputs;
  targets.reserve(keys.size());
  outputs.reserve(keys.size());
  for (const std::size_t i : order) {
    targets.emplace_back(keys[i]);
    outputs.push_back(&proofs[i]);
  }
  Builder builder(targets, outputs);
  builder.record_root(builder.encode(entries.begin(), entries.end(), 0, builder.all()));
  for (auto& proof : proofs) std::reverse(proof.begin(), proof.end());
  return proofs;
}

bool equals_hash(ByteView bytes, const Hash32& hash) noexcept {
  return bytes.size() == Hash32::kSize && std::equal(bytes.begin(), bytes.end(), hash.bytes.begin());
}

std::string node_label(std::size_t index) { return "node " + std::to_string(index); }

ByteView node_at(std::span<const ByteView> proof, std::size_t i) noexcept { return proof[i]; }
ByteView node_at(std::span<const Bytes> proof, std::size_t i) noexcept { return proof[i]; }

// The walk of PROOF_FORMATS.md A.5, with the proof consumed strictly in order: node i+1 must be
// the one node i references by hash, and nothing may remain when the walk ends.
template <typename Node>
Result<Lookup> verify_walk(const Hash32& root, ByteView key, std::span<const Node> proof,
                           const ProofLimits& limits) noexcept {
  if (root.is_zero()) return Error(reason::kZeroRoot);
  if (key.size() > limits.max_key_bytes) return Error(reason::kKeyTooLong);
  // Every bound is checked before the first byte is hashed.
  if (proof.size() > limits.max_nodes) return Error(reason::kTooManyNodes);
  for (std::size_t i = 0; i < proof.size(); ++i) {
    if (node_at(proof, i).size() > limits.max_node_bytes) return Error(reason::kNodeTooLarge, node_label(i));
  }
  if (proof.empty()) {
    if (root == empty_root()) return Lookup::absent();
    return Error(reason::kMissingNode, node_label(0));
  }
  if (keccak256(node_at(proof, 0)) != root) return Error(reason::kRootMismatch);

  std::size_t index = 0;  // the proof entry that holds (or embeds) the current node
  ByteView node = node_at(proof, 0);
  NibbleView path(key);
  std::array<rlp::Item, kBranchItems> items;

  const auto finish = [&](Lookup lookup) -> Result<Lookup> {
    if (index + 1 != proof.size()) return Error(reason::kUnusedNodes, node_label(index + 1));
    return lookup;
  };
  const auto bad = [&](Reason why) { return Error(why, node_label(index)); };

  for (;;) {
    auto decoded = rlp::decode_exact(node);
    if (!decoded) return std::move(decoded).error().with_context(node_label(index));
    if (!decoded->is_list) return bad(reason::kBadNode);
    auto count = rlp::split_list(decoded->payload, items);
    if (!count) {
      if (count.error().reason() == rlp::reason::kTooManyItems) return bad(reason::kBadNode);
      return std::move(count).error().with_context(node_label(index));
    }

    rlp::Item child;
    if (*count == kBranchItems) {
      if (items[16].is_list) return bad(reason::kBadNode);
      if (path.empty()) {
        return finish(items[16].payload.empty() ? Lookup::absent() : Lookup::included(items[16].payload));
      }
      child = items[path[0]];
      path = path.drop_front(1);
      if (!child.is_list && child.payload.empty()) return finish(Lookup::absent());
    } else if (*count == kShortNodeItems) {
      if (items[0].is_list) return bad(reason::kBadNode);
      auto compact = hex_prefix::decode(items[0].payload);
      if (!compact) return std::move(compact).error().with_context(node_label(index));
      if (compact->is_leaf) {
        if (items[1].is_list || items[1].payload.empty()) return bad(reason::kBadNode);
        return finish(path == compact->path ? Lookup::included(items[1].payload) : Lookup::absent());
      }
      if (compact->path.empty()) return bad(reason::kNonCanonicalNode);
      child = items[1];
      if (!child.is_list && child.payload.empty()) return bad(reason::kBadNode);
      if (!path.starts_with(compact->path)) return finish(Lookup::absent());
      path = path.drop_front(compact->path.size());
    } else {
      return bad(reason::kBadNode);
    }

    if (child.is_list) {
      // An embedded node was hashed as part of its parent; honest tries embed only short ones.
      if (child.encoded.size() >= kInlineLimit) return bad(reason::kNonCanonicalNode);
      node = child.encoded;
      continue;
    }
    if (child.payload.size() != kHashSize) return bad(reason::kNonCanonicalNode);
    if (index + 1 == proof.size()) return Error(reason::kMissingNode, node_label(index + 1));
    ++index;
    node = node_at(proof, index);
    if (node.size() < kInlineLimit) return bad(reason::kNonCanonicalNode);
    if (!equals_hash(child.payload, keccak256(node))) return bad(reason::kHashMismatch);
  }
}

template <typename Node>
Result<ByteView> inclusion(const Hash32& root, ByteView key, std::span<const Node> proof,
                           const ProofLimits& limits) noexcept {
  CW_TRY(const Lookup lookup, verify_walk(root, key, proof, limits));
  if (lookup.is_absent()) return Error(reason::kKeyAbsent);
  return lookup.value();
}

}  // namespace

const Hash32& empty_root() noexcept {
  static const Hash32 root = keccak256(rlp::encode_string({}));
  return root;
}

Bytes receipt_key(std::uint64_t tx_index) { return rlp::encode_uint(tx_index); }

bool KeyLess::operator()(const Bytes& a, const Bytes& b) const noexcept { return key_less(a, b); }

void Trie::put(ByteView key, ByteView value) {
  if (value.empty()) {
    erase(key);
    return;
  }
  entries_.insert_or_assign(Bytes(key.begin(), key.end()), Bytes(value.begin(), value.end()));
}

void Trie::erase(ByteView key) { entries_.erase(Bytes(key.begin(), key.end())); }

Hash32 Trie::root() const {
  if (entries_.empty()) return empty_root();
  Builder builder({}, {});
  return keccak256(builder.encode(entries_.begin(), entries_.end(), 0, builder.all()));
}

std::vector<Bytes> Trie::prove(ByteView key) const {
  const ByteView keys[] = {key};
  return std::move(prove_keys(entries_, keys).front());
}

std::vector<std::vector<Bytes>> Trie::prove_many(std::span<const Bytes> keys) const {
  const std::vector<ByteView> views(keys.begin(), keys.end());
  return prove_keys(entries_, views);
}

Trie indexed_trie(std::span<const Bytes> values) {
  Trie trie;
  for (std::size_t i = 0; i < values.size(); ++i) trie.put(receipt_key(i), values[i]);
  return trie;
}

ByteView Lookup::value() const {
  if (!included_) std::abort();  // reading a value out of an absence proof is a caller bug
  return value_;
}

Result<Lookup> verify_proof(const Hash32& root, ByteView key, std::span<const ByteView> proof,
                            const ProofLimits& limits) noexcept {
  return verify_walk(root, key, proof, limits);
}

Result<Lookup> verify_proof(const Hash32& root, ByteView key, std::span<const Bytes> proof,
                            const ProofLimits& limits) noexcept {
  return verify_walk(root, key, proof, limits);
}

Result<ByteView> verify_inclusion(const Hash32& root, ByteView key, std::span<const ByteView> proof,
                                  const ProofLimits& limits) noexcept {
  return inclusion(root, key, proof, limits);
}

Result<ByteView> verify_inclusion(const Hash32& root, ByteView key, std::span<const Bytes> proof,
                                  const ProofLimits& limits) noexcept {
  return inclusion(root, key, proof, limits);
}

Result<ByteView> verify_receipt_proof(const Hash32& root, std::uint64_t tx_index,
                                      std::span<const ByteView> proof, const ProofLimits& limits) noexcept {
  const Bytes key = receipt_key(tx_index);
  return inclusion(root, key, proof, limits);
}

Result<ByteView> verify_receipt_proof(const Hash32& root, std::uint64_t tx_index,
                                      std::span<const Bytes> proof, const ProofLimits& limits) noexcept {
  const Bytes key = receipt_key(tx_index);
  return inclusion(root, key, proof, limits);
}

}  // namespace causeway::core::mpt
