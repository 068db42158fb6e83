// Tests for relay/core/hash: known answers for Keccak-256, SHA-256 and SM3 (GB/T 32905 vectors).
#include <catch2/catch.hpp>

#include <string>

#include "relay/core/hash.hpp"
#include "tests/support/vectors.hpp"

using namespace causeway::core;

TEST_CASE("keccak256 known answers", "[unit]") {
  CHECK(to_hex(keccak256(Bytes{})) == "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
  CHECK(to_hex(keccak256(as_bytes("abc"))) ==
        "0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
}

TEST_CASE("hashing parts equals hashing their concatenation", "[unit]") {
  const Bytes whole{1, 2, 3, 4, 5, 6};
  const Bytes left{1, 2};
  const Bytes right{3, 4, 5, 6};
  CHECK(keccak256({ByteView(left), ByteView(right)}) == keccak256(whole));
  CHECK(sha256({ByteView(left), ByteView(right)}) == sha256(whole));
  CHECK(sm3({ByteView(left), ByteView(right)}) == sm3(whole));
}

TEST_CASE("a Keccak256 hasher copied after a shared prefix hashes each continuation as a whole", "[unit]") {
  const std::string prefix(1000, 'p');  // longer than the 136-byte rate: the copy carries a permuted state
  Keccak256 shared;
  shared.update(as_bytes(prefix));
  CHECK(shared.digest() == keccak256(as_bytes(prefix)));
  CHECK(shared.digest() == keccak256(as_bytes(prefix)));  // digest() leaves the state as it was
  for (const std::string tail : {"", "a", "tail of another length"}) {
    Keccak256 copy(shared);
    CHECK(copy.update(as_bytes(tail)).digest() == keccak256(as_bytes(prefix + tail)));
  }
  Keccak256 assigned;
  assigned.update(as_bytes("discarded"));
  assigned = shared;
  CHECK(assigned.update(as_bytes("x")).digest() == keccak256(as_bytes(prefix + "x")));
  CHECK(shared.digest() == keccak256(as_bytes(prefix)));  // the copies left the original alone
  CHECK(to_hex(Keccak256{}.digest()) == "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
}

TEST_CASE("sha256 known answer", "[unit]") {
  CHECK(to_hex(sha256(as_bytes("abc"))) ==
        "0xba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("sm3 matches the GB/T 32905 and shared vectors", "[vectors]") {
  auto vectors = causeway::test::load_json_vector("ecdsa/sm2_sm3_vectors.json");
  if (!vectors) return;
  std::size_t executed = 0;
  for (const auto& v : (*vectors)["sm3"]) {
    const Bytes message = causeway::test::hex(v["message_hex"].get<std::string>());
    CHECK(to_hex(sm3(message), false) == v["digest"].get<std::string>());
    ++executed;
  }
  causeway::test::report_cases("ecdsa/sm2_sm3_vectors.json sm3", executed);
}
