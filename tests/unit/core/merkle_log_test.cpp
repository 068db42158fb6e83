// Tests for relay/core/merkle_log: RFC 6962 known answers and the transparency-dev probes,
// generated proofs against a reference built straight from the RFC definitions, one-field
// mutations, and the THREATS.md classes 8-10 regressions.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "relay/core/hash.hpp"
#include "relay/core/merkle_log.hpp"
#include "tests/support/vectors.hpp"

using namespace causeway::core;
namespace mr = causeway::core::reason::merkle;

namespace Catch {
template <>
struct StringMaker<Reason> {
  static std::string convert(Reason reason) { return std::string(reason.name); }
};
}  // namespace Catch

namespace {

// The probe files carry hashes as standard padded base64; nothing else in the project needs
// base64 yet, so the decoder lives here. nullopt on any malformed input.
std::optional<Bytes> base64_decode(std::string_view text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  if (text.size() % 4 != 0) return std::nullopt;
  Bytes out;
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    const std::size_t pad = last ? static_cast<std::size_t>(std::count(text.end() - 2, text.end(), '=')) : 0;
    if (pad == 1 && text[i + 2] == '=') return std::nullopt;
    std::uint32_t group = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      const int v = j >= 4 - pad ? 0 : value(text[i + j]);
      if (v < 0) return std::nullopt;
      group = (group << 6) | static_cast<std::uint32_t>(v);
    }
    out.push_back(static_cast<std::uint8_t>(group >> 16));
    if (pad < 2) out.push_back(static_cast<std::uint8_t>(group >> 8));
    if (pad < 1) out.push_back(static_cast<std::uint8_t>(group));
  }
  return out;
}

// A probe field as a Hash32, or nullopt when it is not exactly 32 bytes: the typed API cannot
// even express such a root, leaf or proof item, so the probe is rejected at decoding.
std::optional<Hash32> probe_hash(const nlohmann::json& field) {
  const auto raw = base64_decode(field.get<std::string>());
  REQUIRE(raw.has_value());
  auto hash = Hash32::from(*raw);
  if (!hash) return std::nullopt;
  return *hash;
}

std::optional<std::vector<Hash32>> probe_proof(const nlohmann::json& field) {
  std::vector<Hash32> proof;
  if (field.is_null()) return proof;
  for (const auto& item : field) {
    auto hash = probe_hash(item);
    if (!hash) return std::nullopt;
    proof.push_back(*hash);
  }
  return proof;
}

Hash32 hex_hash(const nlohmann::json& field) {
  auto hash = Hash32::from(causeway::test::hex(field.get<std::string>()));
  REQUIRE(hash.ok());
  return *hash;
}

std::vector<Hash32> hex_proof(const nlohmann::json& field) {
  std::vector<Hash32> proof;
  for (const auto& item : field) proof.push_back(hex_hash(item));
  return proof;
}

// Reference implementation written from the RFC 6962 section 2.1 definitions, recursive and
// O(n), hashing through sha256() so it shares no code with the implementation under test.
Hash32 ref_node(const Hash32& left, const Hash32& right) {
  const std::uint8_t prefix = 0x01;
  return sha256({ByteView(&prefix, 1), left.view(), right.view()});
}

std::uint64_t largest_power_below(std::uint64_t n) {
  std::uint64_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

Hash32 ref_mth(std::span<const Hash32> leaves) {
  if (leaves.empty()) return sha256(ByteView{});
  if (leaves.size() == 1) return leaves[0];
  const auto k = largest_power_below(leaves.size());
  return ref_node(ref_mth(leaves.first(k)), ref_mth(leaves.subspan(k)));
}

std::vector<Hash32> ref_path(std::uint64_t m, std::span<const Hash32> leaves) {
  if (leaves.size() <= 1) return {};
  const auto k = largest_power_below(leaves.size());
  std::vector<Hash32> out;
  if (m < k) {
    out = ref_path(m, leaves.first(k));
    out.push_back(ref_mth(leaves.subspan(k)));
  } else {
    out = ref_path(m - k, leaves.subspan(k));
    out.push_back(ref_mth(leaves.first(k)));
  }
  return out;
}

std::vector<Hash32> ref_subproof(std::uint64_t m, std::span<const Hash32> leaves, bool complete) {
  if (m == leaves.size()) return complete ? std::vector<Hash32>{} : std::vector<Hash32>{ref_mth(leaves)};
  const auto k = largest_power_below(leaves.size());
  std::vector<Hash32> out;
  if (m <= k) {
    out = ref_subproof(m, leaves.first(k), complete);
    out.push_back(ref_mth(leaves.subspan(k)));
  } else {
    out = ref_subproof(m - k, leaves.subspan(k), false);
    out.push_back(ref_mth(leaves.first(k)));
  }
  return out;
}

std::vector<Hash32> numbered_leaves(std::size_t count) {
  std::vector<Hash32> leaves;
  for (std::size_t i = 0; i < count; ++i) {
    const std::string data = "leaf " + std::to_string(i);
    leaves.push_back(leaf_hash(as_bytes(data)));
  }
  return leaves;
}

MerkleLog log_of(const std::vector<Hash32>& leaves) {
  MerkleLog log;
  for (const auto& leaf : leaves) log.append(leaf);
  return log;
}

Hash32 flip_bit(Hash32 hash, std::size_t bit = 0) {
  hash.bytes[bit / 8 % 32] ^= static_cast<std::uint8_t>(1u << (bit % 8));
  return hash;
}

Reason reason_of(const Result<void>& result) {
  REQUIRE_FALSE(result.ok());
  return result.error().reason();
}

// A valid fixture for the one-field mutations below: leaf 5 of 13, 9 of 13 consistent.
struct Fixture {
  std::vector<Hash32> leaves = numbered_leaves(13);
  MerkleLog log = log_of(leaves);
  std::uint64_t index = 5;
  std::uint64_t size = 13;
  Hash32 root = log.root();
  std::vector<Hash32> proof = log.inclusion_proof(5, 13).value();
  std::uint64_t old_size = 9;
  Hash32 old_root = log.root_at(9).value();
  std::vector<Hash32> consistency = log.consistency_proof(9, 13).value();
};

}  // namespace

TEST_CASE("base64 test helper decodes padded input and rejects bad input", "[unit]") {
  CHECK(base64_decode("") == Bytes{});
  CHECK(base64_decode("TWE=") == Bytes{'M', 'a'});
  CHECK(base64_decode("TQ==") == Bytes{'M'});
  CHECK(base64_decode("TWFu") == Bytes{'M', 'a', 'n'});
  CHECK_FALSE(base64_decode("TWF").has_value());
  CHECK_FALSE(base64_decode("T!Fu").has_value());
}

TEST_CASE("merkle hashing follows the RFC 6962 definitions", "[unit]") {
  const std::uint8_t zero = 0x00;
  CHECK(leaf_hash(as_bytes("abc")) == sha256({ByteView(&zero, 1), as_bytes("abc")}));
  CHECK(empty_root() == sha256(ByteView{}));
  CHECK(root_from_leaf_hashes({}) == empty_root());
  // node_hash has a hardware fast path; it must agree with the definition on any input.
  std::mt19937_64 rng(7);
  for (int i = 0; i < 2000; ++i) {
    Hash32 left;
    Hash32 right;
    for (auto& b : left.bytes) b = static_cast<std::uint8_t>(rng());
    for (auto& b : right.bytes) b = static_cast<std::uint8_t>(rng());
    REQUIRE(node_hash(left, right) == ref_node(left, right));
  }
  Hash32 ones;
  ones.bytes.fill(0xff);
  CHECK(node_hash(ones, Hash32{}) == ref_node(ones, Hash32{}));
  CHECK(node_hash(Hash32{}, ones) == ref_node(Hash32{}, ones));
}

TEST_CASE("merkle roots, proofs and verifiers match the RFC 6962 known answers", "[vectors]") {
  auto vectors = causeway::test::load_json_vector("merkle/rfc6962_known_answers.json");
  if (!vectors) return;
  const auto& v = *vectors;
  std::size_t executed = 0;

  for (const auto& p : v["primitives"]) {
    const Hash32 want = hex_hash(p["hash"]);
    if (p.contains("input_hex")) {
      CHECK(empty_root() == want);
    } else if (p.contains("leaf_data_hex")) {
      CHECK(leaf_hash(causeway::test::hex(p["leaf_data_hex"].get<std::string>())) == want);
    } else {
      // Children of arbitrary length: the definition, since node_hash takes 32-byte hashes.
      const std::uint8_t prefix = 0x01;
      const Bytes left = causeway::test::hex(p["left_hex"].get<std::string>());
      const Bytes right = causeway::test::hex(p["right_hex"].get<std::string>());
      CHECK(sha256({ByteView(&prefix, 1), ByteView(left), ByteView(right)}) == want);
    }
    ++executed;
  }

  std::vector<Hash32> leaves;
  for (std::size_t i = 0; i < v["leaf_inputs_hex"].size(); ++i) {
    leaves.push_back(leaf_hash(causeway::test::hex(v["leaf_inputs_hex"][i].get<std::string>())));
    CHECK(leaves.back() == hex_hash(v["leaf_hashes"][i]));
    ++executed;
  }
  const MerkleLog log = log_of(leaves);
  for (std::size_t size = 0; size < v["root_by_size"].size(); ++size) {
    const Hash32 want = hex_hash(v["root_by_size"][size]);
    CHECK(root_from_leaf_hashes(std::span(leaves).first(size)) == want);
    CHECK(log.root_at(size).value() == want);
    ++executed;
  }
  for (const auto& c : v["inclusion_proofs"]) {
    const auto index = c["leaf_index"].get<std::uint64_t>();
    const auto size = c["tree_size"].get<std::uint64_t>();
    const auto want = hex_proof(c["proof"]);
    INFO("inclusion " << index << " of " << size);
    CHECK(log.inclusion_proof(index, size).value() == want);
    CHECK(verify_inclusion(hex_hash(c["leaf_hash"]), index, size, want, hex_hash(c["root"])).ok());
    ++executed;
  }
  for (const auto& c : v["consistency_proofs"]) {
    const auto size1 = c["size1"].get<std::uint64_t>();
    const auto size2 = c["size2"].get<std::uint64_t>();
    const auto want = hex_proof(c["proof"]);
    INFO("consistency " << size1 << " -> " << size2);
    CHECK(log.consistency_proof(size1, size2).value() == want);
    CHECK(verify_consistency(size1, size2, hex_hash(c["root1"]), hex_hash(c["root2"]), want).ok());
    ++executed;
  }
  causeway::test::report_cases("merkle/rfc6962_known_answers.json", executed);
}

TEST_CASE("merkle inclusion verifier agrees with every transparency-dev probe", "[vectors]") {
  auto vectors = causeway::test::load_json_vector("merkle/rfc6962_inclusion_probes.json");
  if (!vectors) return;
  std::size_t executed = 0;
  for (const auto& c : (*vectors)["cases"]) {
    INFO(c["source_path"].get<std::string>());
    const bool want_error = c["wantErr"].get<bool>();
    const auto leaf = probe_hash(c["leafHash"]);
    const auto root = probe_hash(c["root"]);
    const auto proof = probe_proof(c["proof"]);
    bool rejected = true;
    if (leaf && root && proof) {
      rejected = !verify_inclusion(*leaf, c["leafIdx"].get<std::uint64_t>(), c["treeSize"].get<std::uint64_t>(),
                                   *proof, *root)
                      .ok();
    }
    CHECK(rejected == want_error);
    ++executed;
  }
  CHECK(executed == 98);
  causeway::test::report_cases("merkle/rfc6962_inclusion_probes.json", executed);
}

TEST_CASE("merkle consistency verifier agrees with every transparency-dev probe", "[vectors]") {
  auto vectors = causeway::test::load_json_vector("merkle/rfc6962_consistency_probes.json");
  if (!vectors) return;
  // Upstream compares roots as byte strings of any length; ours are Hash32, so this probe's
  // 12-byte "roots" are refused at decoding. The rule it checks (equal sizes, equal roots,
  // empty proof: accept) is exercised with real roots below.
  const std::string kTypedRootDivergence = "testdata/consistency/additional/sizes-are-equal-one-and-proof-is-empty.json";
  std::size_t executed = 0;
  for (const auto& c : (*vectors)["cases"]) {
    const auto source = c["source_path"].get<std::string>();
    INFO(source);
    const bool want_error = c["wantErr"].get<bool>() || source == kTypedRootDivergence;
    const auto root1 = probe_hash(c["root1"]);
    const auto root2 = probe_hash(c["root2"]);
    const auto proof = probe_proof(c["proof"]);
    bool rejected = true;
    if (root1 && root2 && proof) {
      rejected = !verify_consistency(c["size1"].get<std::uint64_t>(), c["size2"].get<std::uint64_t>(), *root1, *root2,
                                     *proof)
                      .ok();
    }
    CHECK(rejected == want_error);
    ++executed;
  }
  CHECK(executed == 98);
  const Hash32 root = leaf_hash(as_bytes("x"));
  CHECK(verify_consistency(1, 1, root, root, {}).ok());
  causeway::test::report_cases("merkle/rfc6962_consistency_probes.json", executed);
}

TEST_CASE("merkle log matches the RFC reference for every size up to 130", "[unit]") {
  const auto leaves = numbered_leaves(130);
  const MerkleLog log = log_of(leaves);
  for (std::size_t size = 0; size <= leaves.size(); ++size) {
    const auto prefix = std::span(leaves).first(size);
    const Hash32 want = ref_mth(prefix);
    REQUIRE(log.root_at(size).value() == want);
    REQUIRE(root_from_leaf_hashes(prefix) == want);
  }
  CHECK(log.root() == ref_mth(leaves));
}

TEST_CASE("merkle proofs are the RFC PATH and PROOF and verify for every pair up to 64", "[unit]") {
  const auto leaves = numbered_leaves(64);
  const MerkleLog log = log_of(leaves);
  for (std::uint64_t size = 1; size <= 64; ++size) {
    const auto prefix = std::span(leaves).first(size);
    const Hash32 root = log.root_at(size).value();
    for (std::uint64_t index = 0; index < size; ++index) {
      const auto proof = log.inclusion_proof(index, size).value();
      REQUIRE(proof == ref_path(index, prefix));
      REQUIRE(proof.size() == inclusion_proof_length(index, size));
      REQUIRE(verify_inclusion(leaves[index], index, size, proof, root).ok());
    }
    for (std::uint64_t old_size = 1; old_size <= size; ++old_size) {
      const auto proof = log.consistency_proof(old_size, size).value();
      REQUIRE(proof == ref_subproof(old_size, prefix, true));
      if (old_size < size) REQUIRE(proof.size() == consistency_proof_length(old_size, size));
      REQUIRE(verify_consistency(old_size, size, log.root_at(old_size).value(), root, proof).ok());
    }
  }
}

TEST_CASE("merkle proofs verify for random pairs in a tree of 4096 leaves", "[unit]") {
  const auto leaves = numbered_leaves(4096);
  const MerkleLog log = log_of(leaves);
  std::mt19937_64 rng(2459);
  for (int i = 0; i < 3000; ++i) {
    const std::uint64_t size = 1 + rng() % 4096;
    const std::uint64_t index = rng() % size;
    const std::uint64_t old_size = 1 + rng() % size;
    const Hash32 root = log.root_at(size).value();
    const auto inclusion = log.inclusion_proof(index, size).value();
    REQUIRE(verify_inclusion(leaves[index], index, size, inclusion, root).ok());
    // The proof pins the position: the same proof fails for a neighbouring index.
    if (size > 1) CHECK_FALSE(verify_inclusion(leaves[index], index ^ 1, size, inclusion, root).ok());
    const auto consistency = log.consistency_proof(old_size, size).value();
    REQUIRE(verify_consistency(old_size, size, log.root_at(old_size).value(), root, consistency).ok());
  }
  CHECK(log.size() == 4096);
}

TEST_CASE("merkle inclusion rejects one mutated field with its named reason", "[unit]") {
  const Fixture f;
  REQUIRE(verify_inclusion(f.leaves[f.index], f.index, f.size, f.proof, f.root).ok());

  SECTION("leaf") {
    CHECK(reason_of(verify_inclusion(flip_bit(f.leaves[f.index]), f.index, f.size, f.proof, f.root)) ==
          mr::kRootMismatch);
    CHECK(reason_of(verify_inclusion(Hash32{}, f.index, f.size, f.proof, f.root)) == mr::kZeroLeaf);
  }
  SECTION("index") {
    CHECK(reason_of(verify_inclusion(f.leaves[f.index], f.index + 1, f.size, f.proof, f.root)) == mr::kRootMismatch);
    CHECK(reason_of(verify_inclusion(f.leaves[f.index], f.size, f.size, f.proof, f.root)) == mr::kIndexOutOfRange);
    CHECK(reason_of(verify_inclusion(f.leaves[f.index], ~std::uint64_t{0}, f.size, f.proof, f.root)) ==
          mr::kIndexOutOfRange);
  }
  SECTION("size") {
    CHECK(reason_of(verify_inclusion(f.leaves[f.index], f.index, 7, f.proof, f.root)) == mr::kProofTooLong);
    CHECK(reason_of(verify_inclusion(f.leaves[f.index], f.index, f.size * 2, f.proof, f.root)) ==
          mr::kProofTooShort);
    CHECK(reason_of(verify_inclusion(f.leaves[f.index], f.index, 0, f.proof, f.root)) == mr::kIndexOutOfRange);
    // RFC 6962 proofs bind the size only through the root: sizes 9..16 give leaf 5 the same
    // path shape, so the size must come from the same trusted checkpoint as the root.
    CHECK(verify_inclusion(f.leaves[f.index], f.index, f.size + 1, f.proof, f.root).ok());
  }
  SECTION("root") {
    CHECK(reason_of(verify_inclusion(f.leaves[f.index], f.index, f.size, f.proof, flip_bit(f.root, 255))) ==
          mr::kRootMismatch);
    CHECK(reason_of(verify_inclusion(f.leaves[f.index], f.index, f.size, f.proof, Hash32{})) == mr::kZeroRoot);
    CHECK(reason_of(verify_inclusion(f.leaves[f.index], f.index, f.size, f.proof, empty_root())) == mr::kEmptyRoot);
  }
  SECTION("proof") {
    for (std::size_t i = 0; i < f.proof.size(); ++i) {
      auto proof = f.proof;
      proof[i] = flip_bit(proof[i], 8 * i + 3);
      CHECK(reason_of(verify_inclusion(f.leaves[f.index], f.index, f.size, proof, f.root)) == mr::kRootMismatch);
    }
    auto longer = f.proof;
    longer.push_back(f.root);
    CHECK(reason_of(verify_inclusion(f.leaves[f.index], f.index, f.size, longer, f.root)) == mr::kProofTooLong);
    auto preceded = f.proof;
    preceded.insert(preceded.begin(), f.leaves[f.index]);
    CHECK(reason_of(verify_inclusion(f.leaves[f.index], f.index, f.size, preceded, f.root)) == mr::kProofTooLong);
    auto shorter = f.proof;
    shorter.pop_back();
    CHECK(reason_of(verify_inclusion(f.leaves[f.index], f.index, f.size, shorter, f.root)) == mr::kProofTooShort);
    auto swapped = f.proof;
    std::swap(swapped[0], swapped[1]);
    CHECK(reason_of(verify_inclusion(f.leaves[f.index], f.index, f.size, swapped, f.root)) == mr::kRootMismatch);
  }
}

TEST_CASE("merkle consistency rejects one mutated field with its named reason", "[unit]") {
  const Fixture f;
  const auto& p = f.consistency;
  REQUIRE(verify_consistency(f.old_size, f.size, f.old_root, f.root, p).ok());

  SECTION("sizes") {
    CHECK(reason_of(verify_consistency(f.size + 1, f.size, f.old_root, f.root, p)) == mr::kOldSizeExceedsNew);
    CHECK(reason_of(verify_consistency(0, f.size, f.old_root, f.root, p)) == mr::kZeroOldSize);
    CHECK(reason_of(verify_consistency(0, 0, f.old_root, f.old_root, {})) == mr::kZeroOldSize);
    CHECK_FALSE(verify_consistency(f.old_size + 1, f.size, f.old_root, f.root, p).ok());
    CHECK_FALSE(verify_consistency(f.old_size, f.size * 4, f.old_root, f.root, p).ok());
  }
  SECTION("roots") {
    CHECK(reason_of(verify_consistency(f.old_size, f.size, flip_bit(f.old_root), f.root, p)) == mr::kRootMismatch);
    CHECK(reason_of(verify_consistency(f.old_size, f.size, f.old_root, flip_bit(f.root), p)) == mr::kRootMismatch);
    CHECK(reason_of(verify_consistency(f.old_size, f.size, f.root, f.old_root, p)) == mr::kRootMismatch);
    CHECK(reason_of(verify_consistency(f.old_size, f.size, Hash32{}, f.root, p)) == mr::kZeroRoot);
    CHECK(reason_of(verify_consistency(f.old_size, f.size, f.old_root, Hash32{}, p)) == mr::kZeroRoot);
    CHECK(reason_of(verify_consistency(f.old_size, f.size, empty_root(), f.root, p)) == mr::kEmptyRoot);
  }
  SECTION("proof") {
    for (std::size_t i = 0; i < p.size(); ++i) {
      auto proof = p;
      proof[i] = flip_bit(proof[i], 8 * i + 5);
      CHECK(reason_of(verify_consistency(f.old_size, f.size, f.old_root, f.root, proof)) == mr::kRootMismatch);
    }
    auto longer = p;
    longer.push_back(f.root);
    CHECK(reason_of(verify_consistency(f.old_size, f.size, f.old_root, f.root, longer)) == mr::kProofTooLong);
    auto shorter = p;
    shorter.pop_back();
    CHECK(reason_of(verify_consistency(f.old_size, f.size, f.old_root, f.root, shorter)) == mr::kProofTooShort);
    CHECK(reason_of(verify_consistency(f.old_size, f.size, f.old_root, f.root, {})) == mr::kProofTooShort);
  }
  SECTION("equal sizes") {
    CHECK(verify_consistency(f.size, f.size, f.root, f.root, {}).ok());
    CHECK(reason_of(verify_consistency(f.size, f.size, f.root, f.root, p)) == mr::kProofTooLong);
    CHECK(reason_of(verify_consistency(f.size, f.size, f.old_root, f.root, {})) == mr::kRootMismatch);
  }
}

TEST_CASE("merkle log refuses requests beyond its size", "[unit]") {
  const Fixture f;
  CHECK(f.log.root_at(14).error().reason() == mr::kSizeBeyondTree);
  CHECK(f.log.inclusion_proof(0, 14).error().reason() == mr::kSizeBeyondTree);
  CHECK(f.log.inclusion_proof(13, 13).error().reason() == mr::kIndexOutOfRange);
  CHECK(f.log.consistency_proof(1, 14).error().reason() == mr::kSizeBeyondTree);
  CHECK(f.log.consistency_proof(5, 4).error().reason() == mr::kOldSizeExceedsNew);
  CHECK(f.log.consistency_proof(0, 4).error().reason() == mr::kZeroOldSize);
  CHECK(f.log.consistency_proof(13, 13).value().empty());
  const MerkleLog empty;
  CHECK(empty.size() == 0);
  CHECK(empty.root() == empty_root());
  CHECK(empty.inclusion_proof(0, 0).error().reason() == mr::kIndexOutOfRange);
}

TEST_CASE("nomad: zero root is never accepted", "[unit]") {
  // Nomad 2022: an uninitialised (zero) root counted as proven. Whatever the proof, a zero
  // root fails with its own reason, as does the empty-tree root where a leaf is claimed.
  const Fixture f;
  for (std::uint64_t size = 1; size <= 4; ++size) {
    std::vector<Hash32> proof(inclusion_proof_length(0, size));
    CHECK(reason_of(verify_inclusion(f.leaves[0], 0, size, proof, Hash32{})) == mr::kZeroRoot);
    CHECK(reason_of(verify_inclusion(Hash32{}, 0, size, proof, Hash32{})) == mr::kZeroRoot);
  }
  CHECK(reason_of(verify_inclusion(f.leaves[0], 0, 1, {}, Hash32{})) == mr::kZeroRoot);
  CHECK(reason_of(verify_consistency(1, 1, Hash32{}, Hash32{}, {})) == mr::kZeroRoot);
  CHECK(reason_of(verify_consistency(4, 4, empty_root(), empty_root(), {})) == mr::kEmptyRoot);
  // A zero leaf hash is a default value too, even when a tree genuinely contains it.
  MerkleLog log;
  log.append(Hash32{});
  log.append(f.leaves[1]);
  CHECK(reason_of(verify_inclusion(Hash32{}, 0, 2, log.inclusion_proof(0, 2).value(), log.root())) == mr::kZeroLeaf);
}

TEST_CASE("second preimage: an inner node passed off as a leaf is rejected", "[unit]") {
  // Leaves and nodes hash under different prefixes, so the 64 bytes of two child hashes,
  // offered as leaf data, hash to something other than their parent node.
  const auto leaves = numbered_leaves(4);
  const MerkleLog log = log_of(leaves);
  const Hash32 parent = node_hash(leaves[0], leaves[1]);
  Bytes forged_data(leaves[0].bytes.begin(), leaves[0].bytes.end());
  append(forged_data, leaves[1].view());
  const Hash32 forged_leaf = leaf_hash(forged_data);
  CHECK(forged_leaf != parent);
  const Hash32 sibling = node_hash(leaves[2], leaves[3]);
  REQUIRE(node_hash(parent, sibling) == log.root());
  CHECK(reason_of(verify_inclusion(forged_leaf, 0, 2, std::vector<Hash32>{sibling}, log.root())) ==
        mr::kRootMismatch);
  // The inner node itself at the trusted size: the proof is a level short.
  CHECK(reason_of(verify_inclusion(parent, 0, 4, std::vector<Hash32>{sibling}, log.root())) == mr::kProofTooShort);
  // Only a wrong size lets a raw inner node pass; the size must come from the same trusted
  // checkpoint as the root, never from the proof bundle (THREATS 5).
  CHECK(verify_inclusion(parent, 0, 2, std::vector<Hash32>{sibling}, log.root()).ok());
}

TEST_CASE("cve-2012-2459: duplicated last leaf does not give the same root", "[unit]") {
  // Bitcoin pads odd levels by duplicating the last node, so [a, b, c] and [a, b, c, c] share
  // a root. RFC 6962 promotes the odd node instead.
  const auto leaves = numbered_leaves(65);
  for (std::size_t size = 1; size <= 64; ++size) {
    std::vector<Hash32> duplicated(leaves.begin(), leaves.begin() + static_cast<std::ptrdiff_t>(size));
    duplicated.push_back(duplicated.back());
    INFO("size " << size);
    CHECK(root_from_leaf_hashes(duplicated) != root_from_leaf_hashes(std::span(leaves).first(size)));
  }
  const auto three_leaves = numbered_leaves(3);
  const auto three = log_of(three_leaves);
  auto four = log_of(three_leaves);
  four.append(three_leaves[2]);
  CHECK(four.root() != three.root());
  // The proof of the duplicate in the longer tree does not hold against the shorter root.
  CHECK_FALSE(verify_inclusion(three_leaves[2], 3, 4, four.inclusion_proof(3, 4).value(), three.root()).ok());
}

TEST_CASE("merkle index at or beyond the tree size is rejected", "[unit]") {
  const Fixture f;
  for (std::uint64_t index : {f.size, f.size + 1, std::uint64_t{1} << 63, ~std::uint64_t{0}}) {
    CHECK(reason_of(verify_inclusion(f.leaves[0], index, f.size, f.proof, f.root)) == mr::kIndexOutOfRange);
  }
}

TEST_CASE("merkle proofs too long or too short for the stated size are rejected", "[unit]") {
  const Fixture f;
  for (std::size_t extra = 1; extra <= 3; ++extra) {
    auto proof = f.proof;
    proof.insert(proof.end(), extra, f.proof.back());
    CHECK(reason_of(verify_inclusion(f.leaves[f.index], f.index, f.size, proof, f.root)) == mr::kProofTooLong);
  }
  CHECK(reason_of(verify_inclusion(f.leaves[f.index], f.index, f.size, {}, f.root)) == mr::kProofTooShort);
  // The longest possible proofs for 64-bit sizes are computed without overflow.
  CHECK(inclusion_proof_length(0, ~std::uint64_t{0}) == 64);
  CHECK(inclusion_proof_length(~std::uint64_t{0} - 1, ~std::uint64_t{0}) == 63);
  CHECK(inclusion_proof_length(std::uint64_t{1} << 63, ~std::uint64_t{0}) == 64);
  CHECK(consistency_proof_length(3, ~std::uint64_t{0}) <= kMaxMerkleProofHashes);
  const std::vector<Hash32> huge(kMaxMerkleProofHashes);
  CHECK(reason_of(verify_inclusion(f.leaves[0], 0, ~std::uint64_t{0}, huge, f.root)) == mr::kProofTooLong);
}

TEST_CASE("merkle wire proof with trailing garbage is rejected", "[unit]") {
  const Fixture f;
  Bytes wire;
  for (const auto& h : f.proof) append(wire, h.view());
  REQUIRE(parse_merkle_proof(wire).value() == f.proof);

  Bytes trailing = wire;
  trailing.push_back(0x00);
  CHECK(parse_merkle_proof(trailing).error().reason() == mr::kProofMalformed);
  Bytes half = wire;
  half.resize(wire.size() - 16);
  CHECK(parse_merkle_proof(half).error().reason() == mr::kProofMalformed);
  // A whole extra hash parses, and the verifier then refuses it for the stated size.
  Bytes extra = wire;
  append(extra, f.root.view());
  const auto parsed = parse_merkle_proof(extra).value();
  CHECK(reason_of(verify_inclusion(f.leaves[f.index], f.index, f.size, parsed, f.root)) == mr::kProofTooLong);
  // Bounded before anything is allocated per hash.
  const Bytes oversized((kMaxMerkleProofHashes + 1) * 32, 0xab);
  CHECK(parse_merkle_proof(oversized).error().reason() == mr::kProofTooLong);
  CHECK(parse_merkle_proof(Bytes{}).value().empty());
}

TEST_CASE("merkle log restored from tile hashes answers like one holding every leaf", "[unit]") {
  // 5 complete tiles and a ragged tail, so proofs cross tile edges and reach into the tail.
  const auto leaves = numbered_leaves(5 * MerkleLog::kTileLeaves + 77);
  const MerkleLog full = log_of(leaves);
  std::vector<Hash32> stored = leaves;  // the owner's copy, which a reader serves
  std::size_t reads = 0;
  const MerkleLog::TileReader reader = [&](std::uint64_t tile) -> Result<std::vector<Hash32>> {
    ++reads;
    const auto first = stored.begin() + static_cast<std::ptrdiff_t>(tile * MerkleLog::kTileLeaves);
    return std::vector<Hash32>(first, first + static_cast<std::ptrdiff_t>(MerkleLog::kTileLeaves));
  };
  std::vector<Hash32> tiles;
  for (std::size_t t = 0; t < 5; ++t) {
    tiles.push_back(root_from_leaf_hashes(std::span(leaves).subspan(t * MerkleLog::kTileLeaves, MerkleLog::kTileLeaves)));
  }
  CHECK(std::vector<Hash32>(full.tail().begin(), full.tail().end()) ==
        std::vector<Hash32>(leaves.end() - 77, leaves.end()));
  auto restored = MerkleLog::from_tiles(tiles, std::vector<Hash32>(leaves.end() - 77, leaves.end()), reader).value();
  REQUIRE(restored.size() == full.size());
  CHECK(restored.root() == full.root());
  CHECK(reads == 0);  // the current root needs no tile
  std::mt19937_64 rng(9162);
  for (int i = 0; i < 300; ++i) {
    const std::uint64_t size = 1 + rng() % full.size();
    const std::uint64_t index = rng() % size;
    const std::uint64_t old_size = 1 + rng() % size;
    CHECK(restored.root_at(size).value() == full.root_at(size).value());
    CHECK(restored.inclusion_proof(index, size).value() == full.inclusion_proof(index, size).value());
    CHECK(restored.consistency_proof(old_size, size).value() == full.consistency_proof(old_size, size).value());
  }
  CHECK(reads > 0);
  // Appending through a tile edge keeps it answering like the full log; the finished tile's
  // leaves leave memory (the reader must serve them), so the owner stores them first.
  auto grown_full = full;
  const auto more = numbered_leaves(6 * MerkleLog::kTileLeaves + 3);
  for (std::size_t i = leaves.size(); i < more.size(); ++i) {
    stored.push_back(more[i]);
    restored.append(more[i]);
    grown_full.append(more[i]);
  }
  CHECK(restored.root() == grown_full.root());
  CHECK(restored.tail().size() == 3);
  CHECK(restored.inclusion_proof(5 * MerkleLog::kTileLeaves + 100, restored.size()).value() ==
        grown_full.inclusion_proof(5 * MerkleLog::kTileLeaves + 100, grown_full.size()).value());
  // A stored leaf edited behind the log's back: the tile no longer hashes to its tile hash.
  stored[3] = flip_bit(stored[3]);
  const auto tampered = restored.inclusion_proof(3, restored.size());
  REQUIRE_FALSE(tampered.ok());
  CHECK(tampered.error().reason() == mr::kRootMismatch);
  // A tail of a whole tile is not a tail.
  CHECK_FALSE(MerkleLog::from_tiles(tiles, numbered_leaves(MerkleLog::kTileLeaves), reader).ok());
}
