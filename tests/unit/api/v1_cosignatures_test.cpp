// POST /v1/audit/cosignatures (relay/api/v1.cpp): a relay.witnesses witness's cosignature of a
// checkpoint this log signed is kept and served with GET /v1/audit/checkpoint; a witness not in
// the config, a broken cosignature, another checkpoint text and an unknown tree size are refused.
#include <catch2/catch.hpp>

#include <map>
#include <string>

#include <boost/asio/this_coro.hpp>

#include "relay/core/checkpoint.hpp"
#include "tests/unit/api/v1_fixture.hpp"

using namespace causeway;
using namespace causeway::test;

namespace {

constexpr std::string_view kLog = "causeway/test";
constexpr std::uint64_t kCosignedAt = 1'700'000'200;

const core::Ed25519PrivateKey& key_of(std::uint8_t seed) {
  static std::map<std::uint8_t, core::Ed25519PrivateKey> keys;
  if (!keys.contains(seed)) keys.emplace(seed, core::Ed25519PrivateKey::from_seed(core::Bytes(32, seed)).value());
  return keys.at(seed);
}

std::string witness_vkey(std::string_view name, std::uint8_t seed) {
  return core::vkey_for(name, key_of(seed).public_key(), core::NoteKeyType::kCosignatureV1);
}

std::string signed_note(std::uint64_t size, const core::Hash32& root) {
  core::CheckpointBody body{std::string(kLog), size, root, kTestTime};
  return core::sign_checkpoint(body, kLog, key_of(1)).value();
}

std::string body_of(const std::string& note) { return Json{{"note", note}}.dump(); }

}  // namespace

TEST_CASE("v1 audit cosignatures: a configured witness's line is kept and served, anything else refused", "[api]") {
  V1Fixture f(admin_options(), {}, [](engine::Config& c) { c.relay.witnesses = {witness_vkey("w1", 3)}; });
  for (std::uint64_t seq = 1; seq <= 2; ++seq) f.put(f.lane_message(seq), S::kVoted);
  const std::uint64_t size = f.store->audit_size();
  const auto root = f.store->audit_root(size).value();
  const std::string note = signed_note(size, root);
  REQUIRE(f.store->add_checkpoint({size, root, note}));
  const std::string cosigned = core::cosign_checkpoint(note, "w1", key_of(3), kCosignedAt).value();

  std::string transcript;
  run(f.io, [&]() -> awaitable<void> {
    ApiClient client(co_await asio::this_coro::executor, transcript);
    co_await client.connect(f.server->port());

    // No token needed: the cosignature authenticates itself.
    const Reply accepted = co_await client.post("/v1/audit/cosignatures", body_of(cosigned), "");
    REQUIRE(accepted.result_int() == 200);
    CHECK(Json::parse(accepted.body()) == Json{{"tree_size", size}, {"witnesses", {"w1"}}});
    const Reply served = co_await client.get("/v1/audit/checkpoint");
    REQUIRE(served.result_int() == 200);
    CHECK(served.body() == cosigned);
    const auto parsed = core::parse_signed_note(served.body()).value();
    CHECK(core::verify_cosignature(parsed, core::parse_verifier_key(witness_vkey("w1", 3)).value()).value() ==
          kCosignedAt);

    const std::string stranger = core::cosign_checkpoint(note, "w2", key_of(4), kCosignedAt).value();
    const Reply unknown_witness = co_await client.post("/v1/audit/cosignatures", body_of(stranger), "");
    CHECK(unknown_witness.result_int() == 403);
    CHECK(error_code_of(unknown_witness) == "not_cosigned");

    std::string broken = cosigned;
    char& flipped = broken[broken.size() - 10];  // inside the signature bytes of the witness line
    flipped = flipped == 'A' ? 'B' : 'A';
    const Reply bad_signature = co_await client.post("/v1/audit/cosignatures", body_of(broken), "");
    CHECK(bad_signature.result_int() == 400);

    core::Hash32 other_root = root;
    other_root.bytes[0] ^= 1;
    const std::string fork = core::cosign_checkpoint(signed_note(size, other_root), "w1", key_of(3), kCosignedAt).value();
    const Reply forked = co_await client.post("/v1/audit/cosignatures", body_of(fork), "");
    CHECK(forked.result_int() == 409);

    const std::string later = core::cosign_checkpoint(signed_note(size + 1, root), "w1", key_of(3), kCosignedAt).value();
    const Reply unknown_size = co_await client.post("/v1/audit/cosignatures", body_of(later), "");
    CHECK(unknown_size.result_int() == 404);

    for (const char* junk : {R"({"note":"not a note"})", R"({})", R"({"note":"x","extra":1})", "["}) {
      const Reply refused = co_await client.post("/v1/audit/cosignatures", junk, "");
      INFO(junk);
      CHECK(refused.result_int() == 400);
    }
    // Only the one accepted line is served.
    CHECK((co_await client.get("/v1/audit/checkpoint")).body() == cosigned);
    co_await f.server->stop();
  }());
}
