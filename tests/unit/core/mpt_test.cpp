// Tests for relay/core/mpt: roots against ethereum/tests, receipt proofs against a real Cancun
// block, the THREATS.md 12-14 regressions, one-field mutations of valid proofs, and a seeded
// round-trip property over random tries.
#include <catch2/catch.hpp>

#include <array>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "relay/core/hash.hpp"
#include "relay/core/hex_prefix.hpp"
#include "relay/core/mpt.hpp"
#include "relay/core/rlp.hpp"
#include "tests/support/vectors.hpp"

using namespace causeway::core;
using causeway::test::hex;

namespace {

// ethereum/tests trie files: "0x…" is hex, anything else is the ASCII bytes.
Bytes text_or_hex(const std::string& text) {
  if (text.starts_with("0x")) return hex(text);
  return Bytes(text.begin(), text.end());
}

std::vector<Bytes> nodes_of(const nlohmann::json& list) {
  std::vector<Bytes> nodes;
  for (const auto& node : list) nodes.push_back(hex(node.get<std::string>()));
  return nodes;
}

const std::vector<Bytes> kNoNodes;

Reason rejection(const Result<mpt::Lookup>& result) {
  REQUIRE_FALSE(result.ok());
  return result.error().reason();
}

// A block's worth of receipt-like values, long enough that every leaf is hashed.
struct Fixture {
  std::vector<Bytes> values;
  mpt::Trie trie;
  Hash32 root;

  Fixture() {
    for (std::size_t i = 0; i < 200; ++i) {
      Bytes value(100, static_cast<std::uint8_t>(i));
      value[0] = 0x02;
      values.push_back(value);
    }
    trie = mpt::indexed_trie(values);
    root = trie.root();
  }
  std::vector<Bytes> proof(std::uint64_t index) const { return trie.prove(mpt::receipt_key(index)); }
};

const Fixture& fixture() {
  static const Fixture f;
  return f;
}

Bytes two_item_node(ByteView first, ByteView second) {
  rlp::Encoder node;
  node.begin_list().add_string(first).add_string(second).end_list();
  return std::move(node).take();
}

// A branch whose slot `slot` holds `child_item` (already RLP) and all other slots are empty.
Bytes branch_with(std::size_t slot, ByteView child_item) {
  rlp::Encoder node;
  node.begin_list();
  for (std::size_t i = 0; i < 16; ++i) {
    if (i == slot) {
      node.add_raw(child_item);
    } else {
      node.add_string({});
    }
  }
  node.add_string({}).end_list();
  return std::move(node).take();
}

Bytes compact(std::string_view nibbles_hex, bool leaf) {
  // nibbles_hex: one hex digit per nibble.
  Bytes packed((nibbles_hex.size() + 1) / 2, 0);
  for (std::size_t i = 0; i < nibbles_hex.size(); ++i) {
    const char c = nibbles_hex[i];
    const int v = c <= '9' ? c - '0' : c - 'a' + 10;
    packed[i / 2] = static_cast<std::uint8_t>(packed[i / 2] | (i % 2 == 0 ? v << 4 : v));
  }
  return hex_prefix::encode(hex_prefix::NibbleView(packed, 0, nibbles_hex.size()), leaf);
}

}  // namespace

TEST_CASE("mpt empty trie root is keccak of rlp empty string", "[unit]") {
  const mpt::Trie empty;
  CHECK(to_hex(empty.root()) == "0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421");
  CHECK(empty.root() == mpt::empty_root());
  CHECK(empty.prove(as_bytes("x")).empty());
  auto lookup = mpt::verify_proof(mpt::empty_root(), as_bytes("x"), kNoNodes);
  REQUIRE(lookup.ok());
  CHECK(lookup->is_absent());
}

TEST_CASE("mpt receipt keys are rlp of the index", "[unit]") {
  CHECK(to_hex(mpt::receipt_key(0)) == "0x80");
  CHECK(to_hex(mpt::receipt_key(1)) == "0x01");
  CHECK(to_hex(mpt::receipt_key(127)) == "0x7f");
  CHECK(to_hex(mpt::receipt_key(128)) == "0x8180");
  CHECK(to_hex(mpt::receipt_key(256)) == "0x820100");
}

TEST_CASE("mpt receipt proofs verify for every index of a 200-entry block", "[unit]") {
  const auto& f = fixture();
  for (std::uint64_t i = 0; i < f.values.size(); ++i) {
    const auto proof = f.proof(i);
    auto value = mpt::verify_receipt_proof(f.root, i, proof);
    REQUIRE(value.ok());
    CHECK(to_hex(*value) == to_hex(f.values[i]));
  }
  // Deep keys (index >= 128) walk root, [8], [8,1], [8,1,x], leaf.
  CHECK(f.proof(150).size() == 5);
  CHECK(f.proof(5).size() == 3);
}

TEST_CASE("nomad: zero root is rejected", "[unit]") {
  const auto& f = fixture();
  const auto proof = f.proof(7);
  REQUIRE(mpt::verify_receipt_proof(f.root, 7, proof).ok());
  CHECK(mpt::verify_receipt_proof(Hash32{}, 7, proof).error().reason() == mpt::reason::kZeroRoot);
  CHECK(rejection(mpt::verify_proof(Hash32{}, mpt::receipt_key(7), kNoNodes)) ==
        mpt::reason::kZeroRoot);
}

TEST_CASE("polygon plasma: non-canonical key encoding is rejected", "[unit]") {
  // One leaf under key 0x80 (nibbles 8, 0): the root is that leaf, with even path 0x20 0x80.
  const Bytes value(40, 0x42);
  mpt::Trie trie;
  trie.put(mpt::receipt_key(0), value);
  const auto proof = trie.prove(mpt::receipt_key(0));
  REQUIRE(proof.size() == 1);
  REQUIRE(proof[0] == two_item_node(hex("2080"), value));
  REQUIRE(mpt::verify_receipt_proof(trie.root(), 0, proof).ok());

  // The same path with a non-zero padding nibble: a second encoding of one leaf. Its root is
  // recomputed so only the path encoding is wrong.
  const std::vector<Bytes> forged{two_item_node(hex("2f80"), value)};
  const Hash32 forged_root = keccak256(forged[0]);
  CHECK(mpt::verify_receipt_proof(forged_root, 0, forged).error().reason() ==
        hex_prefix::reason::kNonZeroPadding);

  // The verifier derives the key: rlp(1) is 0x01, and the non-canonical 0x8101 names nothing.
  const auto& f = fixture();
  const auto proof1 = f.proof(1);
  REQUIRE(mpt::verify_receipt_proof(f.root, 1, proof1).ok());
  const auto wrapped_proof = f.trie.prove(hex("8101"));
  auto wrapped = mpt::verify_proof(f.root, hex("8101"), wrapped_proof);
  REQUIRE(wrapped.ok());
  CHECK(wrapped->is_absent());
  CHECK_FALSE(mpt::verify_inclusion(f.root, hex("8101"), proof1).ok());
}

TEST_CASE("inline node shorter than 32 bytes verifies", "[unit]") {
  mpt::Trie dogs;
  dogs.put(as_bytes("doe"), as_bytes("reindeer"));
  dogs.put(as_bytes("dog"), as_bytes("puppy"));
  dogs.put(as_bytes("dogglesworth"), as_bytes("cat"));
  CHECK(to_hex(dogs.root()) == "0x8aad789dff2f538bca5d8ea56e8abe10f4c7ba3a5dea95fea4cd6e7c3a1168d3");

  // PROOF_FORMATS.md A.5: the branch embeds the "dogglesworth" leaf (15 bytes) and holds "puppy".
  const auto proof = dogs.prove(as_bytes("dogglesworth"));
  REQUIRE(proof.size() == 3);
  CHECK(to_hex(proof[2]) == "0xe4808080808080ce89376c6573776f72746883636174808080808080808080857075707079");
  auto cat = mpt::verify_inclusion(dogs.root(), as_bytes("dogglesworth"), proof);
  REQUIRE(cat.ok());
  CHECK(to_hex(*cat) == to_hex(as_bytes("cat")));
  const auto dog_proof = dogs.prove(as_bytes("dog"));
  auto puppy = mpt::verify_inclusion(dogs.root(), as_bytes("dog"), dog_proof);
  REQUIRE(puppy.ok());
  CHECK(to_hex(*puppy) == to_hex(as_bytes("puppy")));

  // A root node under 32 bytes is still hashed and still the one proof entry.
  mpt::Trie tiny;
  tiny.put(as_bytes("A"), as_bytes("b"));
  const auto tiny_proof = tiny.prove(as_bytes("A"));
  REQUIRE(tiny_proof.size() == 1);
  CHECK(tiny_proof[0].size() < 32);
  auto b = mpt::verify_inclusion(tiny.root(), as_bytes("A"), tiny_proof);
  REQUIRE(b.ok());
  CHECK(to_hex(*b) == "0x62");
}

TEST_CASE("absence never reads as inclusion", "[unit]") {
  mpt::Trie trie;
  trie.put(as_bytes("do"), as_bytes("verb"));
  trie.put(as_bytes("dog"), as_bytes("puppy"));
  trie.put(as_bytes("doge"), as_bytes("coin"));
  trie.put(as_bytes("horse"), as_bytes("stallion"));
  const Hash32 root = trie.root();
  // A prefix of a key, an extension of a key, a divergent leaf path, an empty branch slot, and a
  // key ending inside an extension.
  for (const char* absent : {"d", "dogs", "horsf", "x", "doh", "hor"}) {
    INFO(absent);
    const auto proof = trie.prove(as_bytes(absent));
    auto lookup = mpt::verify_proof(root, as_bytes(absent), proof);
    REQUIRE(lookup.ok());
    CHECK(lookup->is_absent());
    CHECK_FALSE(lookup->is_included());
    CHECK(mpt::verify_inclusion(root, as_bytes(absent), proof).error().reason() == mpt::reason::kKeyAbsent);
  }

  const auto& f = fixture();
  for (std::uint64_t index : {std::uint64_t{200}, std::uint64_t{1000000}}) {
    const auto proof = f.proof(index);
    CHECK(mpt::verify_receipt_proof(f.root, index, proof).error().reason() == mpt::reason::kKeyAbsent);
  }
  // An inclusion proof presented for a key that is absent but shares the path up to the leaf.
  const auto proof128 = f.proof(128);
  auto other = mpt::verify_proof(f.root, mpt::receipt_key(128 + 72), proof128);
  CHECK_FALSE((other.ok() && other->is_included()));
}

TEST_CASE("mpt proof mutations are rejected with named reasons", "[unit]") {
  const auto& f = fixture();
  const std::uint64_t index = 150;
  const auto valid = f.proof(index);
  REQUIRE(valid.size() == 5);
  REQUIRE(mpt::verify_receipt_proof(f.root, index, valid).ok());
  const auto reason_of = [&](const std::vector<Bytes>& proof, const mpt::ProofLimits& limits = {}) {
    auto result = mpt::verify_receipt_proof(f.root, index, proof, limits);
    REQUIRE_FALSE(result.ok());
    return result.error().reason();
  };

  SECTION("a flipped byte in the leaf") {
    auto proof = valid;
    proof.back()[proof.back().size() - 1] ^= 0x01;
    CHECK(reason_of(proof) == mpt::reason::kHashMismatch);
  }
  SECTION("a flipped byte in the root node") {
    auto proof = valid;
    proof[0][5] ^= 0x01;
    CHECK(reason_of(proof) == mpt::reason::kRootMismatch);
  }
  SECTION("a wrong root") {
    Hash32 root = f.root;
    root.bytes[31] ^= 0x01;
    CHECK(mpt::verify_receipt_proof(root, index, valid).error().reason() == mpt::reason::kRootMismatch);
  }
  SECTION("the last node dropped") {
    auto proof = valid;
    proof.pop_back();
    CHECK(reason_of(proof) == mpt::reason::kMissingNode);
  }
  SECTION("an extra node appended") {
    auto proof = valid;
    proof.push_back(valid[1]);
    CHECK(reason_of(proof) == mpt::reason::kUnusedNodes);
  }
  SECTION("two nodes swapped") {
    auto proof = valid;
    std::swap(proof[1], proof[2]);
    CHECK(reason_of(proof) == mpt::reason::kHashMismatch);
  }
  SECTION("more nodes than the limit, checked before hashing") {
    mpt::ProofLimits limits;
    limits.max_nodes = 4;
    CHECK(reason_of(valid, limits) == mpt::reason::kTooManyNodes);
    auto many = valid;
    many.resize(100, valid[0]);
    CHECK(reason_of(many) == mpt::reason::kTooManyNodes);
  }
  SECTION("a node over the size limit") {
    mpt::ProofLimits limits;
    limits.max_node_bytes = 120;
    CHECK(reason_of(valid, limits) == mpt::reason::kNodeTooLarge);
  }
  SECTION("a key over the length limit") {
    const Bytes key(33, 0x01);
    CHECK(rejection(mpt::verify_proof(f.root, key, valid)) == mpt::reason::kKeyTooLong);
  }
  SECTION("the proof of another index") {
    CHECK(reason_of(f.proof(151)) == mpt::reason::kHashMismatch);
  }
}

TEST_CASE("mpt malformed node RLP is rejected with the rlp reason", "[unit]") {
  const Bytes value(40, 0x42);
  const Bytes leaf = two_item_node(hex("2080"), value);  // 0xec: a short-form list of 44 bytes
  REQUIRE(leaf[0] == 0xc0 + 44);

  // The same list with its length in the long form, and again with trailing bytes.
  // Built by reserve + push_back: GCC 12's -Warray-bounds misfires at -O2 on insert after a
  // two-element initializer list.
  Bytes long_form;
  long_form.reserve(leaf.size() + 1);
  long_form.push_back(0xf8);
  long_form.push_back(44);
  for (std::size_t i = 1; i < leaf.size(); ++i) long_form.push_back(leaf[i]);
  Bytes trailing = leaf;
  trailing.push_back(0x00);
  for (const auto& [node, expected] :
       {std::pair{long_form, rlp::reason::kNonCanonicalSize}, std::pair{trailing, rlp::reason::kTrailingBytes}}) {
    const std::vector<Bytes> proof{node};
    CHECK(rejection(mpt::verify_proof(keccak256(node), mpt::receipt_key(0), proof)) == expected);
  }
}

TEST_CASE("mpt wrong node shapes are rejected", "[unit]") {
  const Bytes key = mpt::receipt_key(0);  // nibbles 8, 0
  const auto reason_for_root_node = [&](const Bytes& node) {
    const std::vector<Bytes> proof{node};
    return rejection(mpt::verify_proof(keccak256(node), key, proof));
  };

  SECTION("a three-item list") {
    rlp::Encoder node;
    node.begin_list().add_string(hex("2080")).add_string(as_bytes("value")).add_string({}).end_list();
    CHECK(reason_for_root_node(std::move(node).take()) == mpt::reason::kBadNode);
  }
  SECTION("a string instead of a list") {
    CHECK(reason_for_root_node(rlp::encode_string(Bytes(40, 0x11))) == mpt::reason::kBadNode);
  }
  SECTION("a leaf with an empty value") {
    CHECK(reason_for_root_node(two_item_node(hex("2080"), {})) == mpt::reason::kBadNode);
  }
  SECTION("a leaf path with a bad flag") {
    CHECK(reason_for_root_node(two_item_node(hex("4080"), Bytes(40, 1))) == hex_prefix::reason::kBadFlag);
  }
  SECTION("an extension with an empty path") {
    const Bytes hash(32, 0x33);
    CHECK(reason_for_root_node(two_item_node(hex("00"), hash)) == mpt::reason::kNonCanonicalNode);
  }
  SECTION("a child reference of 20 bytes") {
    CHECK(reason_for_root_node(branch_with(8, rlp::encode_string(Bytes(20, 0x55)))) ==
          mpt::reason::kNonCanonicalNode);
  }
  SECTION("an inline child of 32 bytes or more") {
    const Bytes big_leaf = two_item_node(compact("0", true), Bytes(30, 0x77));
    REQUIRE(big_leaf.size() >= 32);
    CHECK(reason_for_root_node(branch_with(8, big_leaf)) == mpt::reason::kNonCanonicalNode);
  }
  SECTION("a branch value that is a list") {
    rlp::Encoder node;
    node.begin_list();
    for (int i = 0; i < 16; ++i) node.add_string(Bytes(i == 8 ? 32 : 0, 0x01));
    node.begin_list().end_list().end_list();
    CHECK(reason_for_root_node(std::move(node).take()) == mpt::reason::kBadNode);
  }
  SECTION("a node under 32 bytes referenced by hash") {
    const Bytes small_leaf = two_item_node(compact("0", true), as_bytes("v"));
    REQUIRE(small_leaf.size() < 32);
    const Bytes root_node = branch_with(8, rlp::encode_string(keccak256(small_leaf).view()));
    const std::vector<Bytes> proof{root_node, small_leaf};
    CHECK(rejection(mpt::verify_proof(keccak256(root_node), key, proof)) == mpt::reason::kNonCanonicalNode);
    // Embedded instead, the same leaf verifies.
    const Bytes honest = branch_with(8, small_leaf);
    const std::vector<Bytes> honest_proof{honest};
    auto value = mpt::verify_inclusion(keccak256(honest), key, honest_proof);
    REQUIRE(value.ok());
    CHECK(to_hex(*value) == to_hex(as_bytes("v")));
  }
}

TEST_CASE("mpt an empty proof proves only the empty trie", "[unit]") {
  const auto& f = fixture();
  CHECK(rejection(mpt::verify_proof(f.root, mpt::receipt_key(0), kNoNodes)) ==
        mpt::reason::kMissingNode);
}

TEST_CASE("mpt round-trip over seeded random tries", "[unit]") {
  std::mt19937_64 rng(0xca05e7a7);
  // A small alphabet gives shared prefixes, keys that are prefixes of keys, and extensions.
  const std::array<std::uint8_t, 6> alphabet{0x00, 0x01, 0x10, 0x11, 0xab, 0xff};
  const auto random_bytes = [&](std::size_t min, std::size_t max, bool from_alphabet) {
    Bytes out(std::uniform_int_distribution<std::size_t>(min, max)(rng));
    for (auto& b : out) {
      b = from_alphabet ? alphabet[rng() % alphabet.size()] : static_cast<std::uint8_t>(rng());
    }
    return out;
  };

  std::size_t proofs = 0;
  std::size_t absences = 0;
  for (int round = 0; round < 300; ++round) {
    std::map<Bytes, Bytes> model;
    mpt::Trie trie;
    const std::size_t count = 1 + rng() % 40;
    for (std::size_t i = 0; i < count; ++i) {
      const Bytes key = random_bytes(1, 5, true);
      const Bytes value = random_bytes(1, 48, false);
      model[key] = value;
      trie.put(key, value);
    }
    // Some deletions, so roots after erase are exercised as well.
    for (std::size_t i = 0; i < count / 4; ++i) {
      const Bytes key = random_bytes(1, 5, true);
      model.erase(key);
      trie.erase(key);
    }
    REQUIRE(trie.size() == model.size());
    const Hash32 root = trie.root();
    for (const auto& [key, value] : model) {
      const auto proof = trie.prove(key);
      auto lookup = mpt::verify_proof(root, key, proof);
      REQUIRE(lookup.ok());
      REQUIRE(lookup->is_included());
      REQUIRE(to_hex(lookup->value()) == to_hex(value));
      ++proofs;
    }
    for (int i = 0; i < 8; ++i) {
      const Bytes key = random_bytes(0, 6, true);
      if (model.contains(key)) continue;
      const auto proof = trie.prove(key);
      auto lookup = mpt::verify_proof(root, key, proof);
      REQUIRE(lookup.ok());
      REQUIRE(lookup->is_absent());
      ++absences;
    }
    // Any one flipped byte anywhere in a valid proof is an error, never a lookup.
    const auto& [key, value] = *model.begin();
    auto proof = trie.prove(key);
    auto& node = proof[rng() % proof.size()];
    node[rng() % node.size()] ^= static_cast<std::uint8_t>(1 + rng() % 255);
    REQUIRE_FALSE(mpt::verify_proof(root, key, proof).ok());
  }
  CHECK(proofs > 3000);
  CHECK(absences > 1000);
}

TEST_CASE("mpt trie roots match the ethereum/tests trie vectors", "[vectors]") {
  struct Suite {
    const char* file;
    bool secure;
  };
  for (const Suite suite : {Suite{"trie/trietest.json", false}, Suite{"trie/trieanyorder.json", false},
                            Suite{"trie/trietest_secureTrie.json", true},
                            Suite{"trie/trieanyorder_secureTrie.json", true},
                            Suite{"trie/hex_encoded_securetrie_test.json", true}}) {
    auto vectors = causeway::test::load_json_vector(suite.file);
    if (!vectors) continue;
    std::size_t executed = 0;
    for (const auto& [name, test] : vectors->items()) {
      INFO(suite.file << " " << name);
      std::map<Bytes, Bytes> model;  // final contents, keyed by the path actually inserted
      mpt::Trie trie;
      const auto apply = [&](const std::string& key_text, const nlohmann::json& value_json) {
        Bytes key = text_or_hex(key_text);
        if (suite.secure) {
          const Hash32 hashed = keccak256(key);
          key.assign(hashed.bytes.begin(), hashed.bytes.end());
        }
        const Bytes value = value_json.is_null() ? Bytes{} : text_or_hex(value_json.get<std::string>());
        trie.put(key, value);
        if (value.empty()) {
          model.erase(key);
        } else {
          model[key] = value;
        }
      };
      if (test["in"].is_array()) {
        for (const auto& pair : test["in"]) apply(pair[0].get<std::string>(), pair[1]);
      } else {
        for (const auto& [key, value] : test["in"].items()) apply(key, value);
      }
      const Hash32 root = trie.root();
      CHECK(to_hex(root) == test["root"].get<std::string>());
      // The extra assertion the README suggests: every remaining key proves against the root.
      for (const auto& [key, value] : model) {
        const auto proof = trie.prove(key);
        auto proven = mpt::verify_inclusion(root, key, proof);
        REQUIRE(proven.ok());
        CHECK(to_hex(*proven) == to_hex(value));
      }
      ++executed;
    }
    causeway::test::report_cases(suite.file, executed);
  }
}

TEST_CASE("mpt cancun block receipt and transaction proofs verify", "[vectors]") {
  auto block = causeway::test::load_json_vector("evm/eth_cancun_block_receipts.json");
  if (!block) return;
  const auto& b = *block;
  std::size_t executed = 0;
  const auto receipts_root = fixed_from_hex<Hash32>(b["receipts_root"].get<std::string>());
  const auto transactions_root = fixed_from_hex<Hash32>(b["transactions_root"].get<std::string>());
  REQUIRE(receipts_root.ok());
  REQUIRE(transactions_root.ok());

  // Both roots rebuilt from all the listed values.
  std::vector<Bytes> receipts;
  for (const auto& r : b["receipts"]) {
    REQUIRE(r["index"].get<std::size_t>() == receipts.size());
    CHECK(to_hex(mpt::receipt_key(r["index"].get<std::uint64_t>())) == r["trie_key"].get<std::string>());
    receipts.push_back(hex(r["trie_value"].get<std::string>()));
  }
  const mpt::Trie receipt_trie = mpt::indexed_trie(receipts);
  CHECK(receipt_trie.root() == *receipts_root);
  ++executed;
  std::vector<Bytes> transactions;
  for (const auto& t : b["transactions"]) transactions.push_back(hex(t["trie_value_signed_encoding"].get<std::string>()));
  CHECK(mpt::indexed_trie(transactions).root() == *transactions_root);
  ++executed;

  const auto check_inclusion = [&](const nlohmann::json& entry, const Hash32& root, const mpt::Trie* rebuilt) {
    const auto index = entry["index"].get<std::uint64_t>();
    INFO("index " << index);
    CHECK(to_hex(mpt::receipt_key(index)) == entry["key"].get<std::string>());
    const auto proof = nodes_of(entry["proof"]);
    auto value = mpt::verify_receipt_proof(root, index, proof);
    REQUIRE(value.ok());
    CHECK(to_hex(*value) == entry["value"].get<std::string>());
    if (rebuilt != nullptr) CHECK(rebuilt->prove(mpt::receipt_key(index)) == proof);
    ++executed;
  };
  for (const auto& entry : b["receipt_proofs"]) check_inclusion(entry, *receipts_root, &receipt_trie);
  for (const auto& entry : b["transaction_proofs"]) check_inclusion(entry, *transactions_root, nullptr);

  for (const auto& entry : b["receipt_absence_proofs"]) {
    const auto index = entry["index"].get<std::uint64_t>();
    INFO("absent index " << index);
    CHECK(to_hex(mpt::receipt_key(index)) == entry["key"].get<std::string>());
    const auto proof = nodes_of(entry["proof"]);
    auto lookup = mpt::verify_proof(*receipts_root, mpt::receipt_key(index), proof);
    REQUIRE(lookup.ok());
    CHECK(lookup->is_absent());
    CHECK(mpt::verify_receipt_proof(*receipts_root, index, proof).error().reason() ==
          mpt::reason::kKeyAbsent);
    ++executed;
  }

  // In file order: wrong key, flipped leaf byte, missing root node.
  const std::array<Reason, 3> expected{mpt::reason::kHashMismatch, mpt::reason::kHashMismatch,
                                       mpt::reason::kRootMismatch};
  std::size_t negative = 0;
  for (const auto& entry : b["receipt_proof_negative_cases"]) {
    INFO(entry["name"].get<std::string>());
    REQUIRE(negative < expected.size());
    const auto proof = nodes_of(entry["proof"]);
    auto lookup = mpt::verify_proof(*receipts_root, hex(entry["key"].get<std::string>()), proof);
    CHECK(rejection(lookup) == expected[negative]);
    ++negative;
    ++executed;
  }
  CHECK(negative == expected.size());
  causeway::test::report_cases("evm/eth_cancun_block_receipts.json mpt", executed);
}

TEST_CASE("mpt prove_many gives each key's own proof from one pass, for present, absent and repeated keys",
          "[unit]") {
  CHECK(mpt::Trie{}.prove_many(std::vector<Bytes>{hex("0x01")}) == std::vector<std::vector<Bytes>>(1));
  const Fixture& f = fixture();
  std::vector<Bytes> keys;
  for (const std::uint64_t index : {199u, 0u, 7u, 128u, 7u, 300u, 1u}) keys.push_back(mpt::receipt_key(index));
  const auto proofs = f.trie.prove_many(keys);
  REQUIRE(proofs.size() == keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    INFO("key " << to_hex(keys[i]));
    CHECK(proofs[i] == f.trie.prove(keys[i]));
    auto lookup = mpt::verify_proof(f.root, keys[i], proofs[i]);
    REQUIRE(lookup.ok());
    CHECK(lookup->is_included() == (i != 5));  // 300 is past the last index
  }

  // Random tries with short keys (inline nodes, keys ending at branches, extensions), every key at
  // once plus absent ones.
  std::mt19937_64 rng(20240607);
  for (int round = 0; round < 50; ++round) {
    mpt::Trie trie;
    std::vector<Bytes> wanted;
    const std::size_t count = 1 + rng() % 40;
    for (std::size_t i = 0; i < count; ++i) {
      Bytes key(rng() % 4, 0);
      for (auto& b : key) b = static_cast<std::uint8_t>(rng() % 3 * 0x11);
      Bytes value(1 + rng() % 40, static_cast<std::uint8_t>(1 + rng() % 200));
      trie.put(key, value);
      wanted.push_back(key);
      if (rng() % 3 == 0) wanted.push_back(Bytes{static_cast<std::uint8_t>(rng() % 256)});
    }
    const auto all = trie.prove_many(wanted);
    REQUIRE(all.size() == wanted.size());
    for (std::size_t i = 0; i < wanted.size(); ++i) REQUIRE(all[i] == trie.prove(wanted[i]));
  }
}
