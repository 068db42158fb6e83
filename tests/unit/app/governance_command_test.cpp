// `causeway attesters` proposal files (relay/app/governance_command): the Rotate digest against
// ethers, the file read back exactly, each mutated field refused with its named reason, and the
// local checks that stand in for the gateway's (stale epoch, non-member, duplicate, threshold).
#include <catch2/catch.hpp>

#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "adapters/evm/gateway_reader.hpp"
#include "relay/app/governance_command.hpp"
#include "relay/core/hash.hpp"
#include "relay/core/secp256k1.hpp"

using namespace causeway;
using app::GatewayState;
using app::ProposalSignature;
using app::RotationProposal;
using nlohmann::json;
namespace rp = app::reason::proposal;

namespace {

// Keys 0x11…, 0x22…, 0x33…; their addresses in increasing order (computed with ethers).
constexpr const char* kA1 = "0x1563915e194d8cfba1943570603f7606a3115508";  // key 0x22…
constexpr const char* kA2 = "0x19e7e376e7c213b7e7e7e46cc70a5dd086daff2a";  // key 0x11…
constexpr const char* kA3 = "0x5cbdd86a2fa8dc4bddd8a8f69dba48572eec07fb";  // key 0x33…
// ethers TypedDataEncoder.hash of Rotate([kA1, kA2, kA3], 2, 2) under the domain of fixture().
constexpr const char* kDigest = "0x497634f6b1c092430afefa515a3c9147e3080225179f79a80e4fd4f1b67823cf";

core::Address address(const char* hex) { return core::fixed_from_hex<core::Address>(hex).value(); }

core::PrivateKey key(char digit) { return core::PrivateKey::from_hex(std::string(64, digit)).value(); }

ProposalSignature sign(const RotationProposal& p, char digit) {
  const core::PrivateKey k = key(digit);
  const auto signature = core::sign_recoverable(app::proposal_digest(p), k).value();
  return ProposalSignature{core::address_of(k), signature.to_rsv()};
}

// Rotate the set {A1, A2, A3} to threshold 2 at epoch 2, signed by A2 (key 0x11) and A1 (key 0x22).
RotationProposal fixture() {
  RotationProposal p;
  p.chain_identity = core::ChainIdentity{core::keccak256(core::as_bytes(std::string_view("identity"))).bytes};
  p.chain_id = 31337;
  p.gateway = core::parse_checksummed_address("0x5FbDB2315678afecb367f032d93F642f64180aa3").value();
  p.rotation.attesters = {address(kA1), address(kA2), address(kA3)};
  p.rotation.threshold = 2;
  p.rotation.new_epoch.value = 2;
  REQUIRE(app::add_signature(p, sign(p, '2')));
  REQUIRE(app::add_signature(p, sign(p, '1')));
  return p;
}

json fixture_json() { return app::proposal_to_json(fixture()); }

core::Reason reason_of(const json& document) {
  const auto parsed = app::proposal_from_text(document.dump());
  REQUIRE_FALSE(parsed);
  return parsed.error().reason();
}

// The gateway before the rotation: epoch 1, all three attesters, threshold 2.
GatewayState epoch_one() { return GatewayState{1, 2, {address(kA1), address(kA2), address(kA3)}}; }

}  // namespace

TEST_CASE("proposal digest is ethers' EIP-712 Rotate digest", "[unit]") {
  CHECK(core::to_hex(app::proposal_digest(fixture())) == kDigest);
}

TEST_CASE("proposal file reads back exactly, signatures ascending by signer", "[unit]") {
  const RotationProposal p = fixture();
  const json document = app::proposal_to_json(p);
  CHECK(document["digest"] == kDigest);
  CHECK(document["chain_id"] == "31337");
  CHECK(document["rotation"]["new_epoch"] == "2");
  const auto back = app::proposal_from_text(document.dump(2));
  REQUIRE(back);
  CHECK(back->chain_identity == p.chain_identity);
  CHECK(back->chain_id == p.chain_id);
  CHECK(back->gateway == p.gateway);
  CHECK(back->rotation.attesters == p.rotation.attesters);
  CHECK(back->rotation.threshold == 2);
  CHECK(back->rotation.new_epoch.value == 2);
  REQUIRE(back->signatures.size() == 2);
  CHECK(back->signatures[0].signer == address(kA1));
  CHECK(back->signatures[1].signer == address(kA2));
  CHECK(back->signatures[0].rsv == p.signatures[0].rsv);
  CHECK(app::proposal_to_json(*back) == document);
}

TEST_CASE("proposal file refuses each mutated field with its named reason", "[unit]") {
  json d = fixture_json();
  SECTION("version") {
    d["version"] = 2;
    CHECK(reason_of(d) == rp::kUnsupportedVersion);
  }
  SECTION("an unknown field") {
    d["comment"] = "hi";
    CHECK(reason_of(d).name == "json.unknown_field");
  }
  SECTION("a missing field") {
    d.erase("signatures");
    CHECK(reason_of(d).name == "json.missing_field");
  }
  SECTION("chain_id") {
    d["chain_id"] = "31338";
    CHECK(reason_of(d) == rp::kDigestMismatch);
  }
  SECTION("chain_id not a decimal string") {
    d["chain_id"] = 31337;
    CHECK(reason_of(d).name == "json.bad_field");
  }
  SECTION("gateway") {
    d["gateway"] = "0x5fbdb2315678afecb367f032d93f642f64180aa4";
    CHECK(reason_of(d) == rp::kDigestMismatch);
  }
  SECTION("gateway in upper case") {
    d["gateway"] = "0x5FBDB2315678AFECB367F032D93F642F64180AA3";
    CHECK(reason_of(d).name == "json.bad_field");
  }
  SECTION("chain_identity") {
    d["chain_identity"] = core::to_hex(core::keccak256(core::as_bytes(std::string_view("other"))));
    CHECK(reason_of(d) == rp::kDigestMismatch);
  }
  SECTION("new_epoch") {
    d["rotation"]["new_epoch"] = "3";
    CHECK(reason_of(d) == rp::kDigestMismatch);
  }
  SECTION("new_epoch 1, the deployment's") {
    d["rotation"]["new_epoch"] = "1";
    CHECK(reason_of(d).name == "json.bad_field");
  }
  SECTION("threshold 0") {
    d["rotation"]["threshold"] = 0;
    CHECK(reason_of(d) == rp::kBadThreshold);
  }
  SECTION("threshold above the set") {
    d["rotation"]["threshold"] = 4;
    CHECK(reason_of(d) == rp::kBadThreshold);
  }
  SECTION("attesters out of order") {
    std::swap(d["rotation"]["attesters"][0], d["rotation"]["attesters"][1]);
    CHECK(reason_of(d) == rp::kAttestersNotSorted);
  }
  SECTION("a duplicate attester") {
    d["rotation"]["attesters"][1] = kA1;
    CHECK(reason_of(d) == rp::kAttestersNotSorted);
  }
  SECTION("a zero attester") {
    d["rotation"]["attesters"][0] = "0x0000000000000000000000000000000000000000";
    CHECK(reason_of(d) == rp::kZeroAttester);
  }
  SECTION("digest") {
    d["digest"] = core::to_hex(core::keccak256(core::as_bytes(std::string_view("x"))));
    CHECK(reason_of(d) == rp::kDigestMismatch);
  }
  SECTION("a signature's r") {
    std::string s = d["signatures"][0]["signature"];
    s[10] = s[10] == 'a' ? 'b' : 'a';
    d["signatures"][0]["signature"] = s;
    const auto r = reason_of(d);
    // Another r recovers to another key, or to no key at all.
    CHECK((r == rp::kSignerMismatch || r == rp::kBadSignature));
  }
  SECTION("a signature's v") {
    std::string s = d["signatures"][0]["signature"];
    s.replace(s.size() - 2, 2, "1d");  // 29
    d["signatures"][0]["signature"] = s;
    CHECK(reason_of(d) == rp::kBadSignature);
  }
  SECTION("a signature's s made high (the malleable twin)") {
    const auto p = fixture();
    auto rsv = p.signatures[0].rsv;
    // s' = n - s, v flipped: the same signer, refused as the gateway refuses it.
    const auto n = core::fixed_from_hex<core::Hash32>(
                       "0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141")
                       .value();
    int borrow = 0;
    for (int i = 31; i >= 0; --i) {
      const int diff = n.bytes[i] - rsv[32 + i] - borrow;
      rsv[32 + i] = static_cast<std::uint8_t>(diff & 0xff);
      borrow = diff < 0 ? 1 : 0;
    }
    rsv[64] = rsv[64] == 27 ? 28 : 27;
    d["signatures"][0]["signature"] = core::to_hex(core::ByteView(rsv.data(), rsv.size()));
    CHECK(reason_of(d) == rp::kBadSignature);
  }
  SECTION("a signature of 64 bytes") {
    std::string s = d["signatures"][0]["signature"];
    d["signatures"][0]["signature"] = s.substr(0, s.size() - 2);
    CHECK(reason_of(d).name == "json.bad_field");
  }
  SECTION("a signer") {
    d["signatures"][0]["signer"] = kA3;
    CHECK(reason_of(d) == rp::kSignerMismatch);
  }
  SECTION("signatures out of order") {
    std::swap(d["signatures"][0], d["signatures"][1]);
    CHECK(reason_of(d) == rp::kSignersNotSorted);
  }
  SECTION("a signature twice") {
    d["signatures"][1] = d["signatures"][0];
    CHECK(reason_of(d) == rp::kSignersNotSorted);
  }
}

TEST_CASE("approving refuses a stale epoch, a non-attester key and a second signature", "[unit]") {
  RotationProposal p = fixture();
  p.signatures.clear();
  CHECK(app::check_signable(p, epoch_one(), address(kA2)));
  GatewayState rotated = epoch_one();
  rotated.epoch = 2;
  CHECK(app::check_signable(p, rotated, address(kA2)).error().reason() == rp::kStaleEpoch);
  GatewayState smaller = epoch_one();
  smaller.attesters = {address(kA1), address(kA3)};
  CHECK(app::check_signable(p, smaller, address(kA2)).error().reason() == rp::kNotAttester);
  REQUIRE(app::add_signature(p, sign(p, '1')));
  CHECK(app::check_signable(p, epoch_one(), address(kA2)).error().reason() == rp::kDuplicateSignature);
}

TEST_CASE("add_signature keeps signers ascending and refuses a wrong signer and a repeat", "[unit]") {
  RotationProposal p = fixture();
  p.signatures.clear();
  REQUIRE(app::add_signature(p, sign(p, '2')));
  REQUIRE(app::add_signature(p, sign(p, '3')));
  REQUIRE(app::add_signature(p, sign(p, '1')));
  REQUIRE(p.signatures.size() == 3);
  CHECK(p.signatures[0].signer == address(kA1));
  CHECK(p.signatures[1].signer == address(kA2));
  CHECK(p.signatures[2].signer == address(kA3));
  CHECK(app::add_signature(p, sign(p, '1')).error().reason() == rp::kDuplicateSignature);
  ProposalSignature lying = sign(p, '1');
  lying.signer = address(kA3);
  CHECK(app::add_signature(p, lying).error().reason() == rp::kSignerMismatch);
  // Signed over another rotation: recovers to some other address.
  RotationProposal other = p;
  other.rotation.threshold = 3;
  CHECK(app::add_signature(p, sign(other, '1')).error().reason() == rp::kSignerMismatch);
}

TEST_CASE("submitting needs the current threshold of current attesters at the next epoch", "[unit]") {
  const RotationProposal p = fixture();
  CHECK(app::check_submittable(p, epoch_one()));
  GatewayState three = epoch_one();
  three.threshold = 3;
  CHECK(app::check_submittable(p, three).error().reason() == rp::kBelowThreshold);
  GatewayState without_a2 = epoch_one();
  without_a2.attesters = {address(kA1), address(kA3)};
  CHECK(app::check_submittable(p, without_a2).error().reason() == rp::kNotAttester);
  GatewayState later = epoch_one();
  later.epoch = 5;
  CHECK(app::check_submittable(p, later).error().reason() == rp::kStaleEpoch);
}

TEST_CASE("check_rotation applies the gateway's set rules", "[unit]") {
  core::RotateVote v{{address(kA1), address(kA2)}, 2, core::Epoch{2}};
  CHECK(app::check_rotation(v));
  v.threshold = 3;
  CHECK(app::check_rotation(v).error().reason() == rp::kBadThreshold);
  v.threshold = 1;
  v.attesters = std::vector<core::Address>(256, address(kA1));
  CHECK(app::check_rotation(v).error().reason() == rp::kTooManyAttesters);
  v.attesters = {};
  CHECK(app::check_rotation(v).error().reason() == rp::kBadThreshold);
}

TEST_CASE("rotate calldata is rotate(address[],uint16,uint64,bytes[]) with the signatures in order", "[unit]") {
  const RotationProposal p = fixture();
  const core::Bytes data = app::rotate_calldata(p);
  // ethers.id("rotate(address[],uint16,uint64,bytes[])").slice(0, 10)
  CHECK(core::to_hex(core::ByteView(data.data(), 4)) == "0x356efb44");
  // Heads (4 words), the address array (length + 3), the bytes array (length + 2 offsets + 2 ×
  // (length + 3 words for 65 bytes)).
  CHECK(data.size() == 4 + 32 * (4 + 4 + 3 + 2 * 4));
  // The threshold and the new epoch are head words 1 and 2.
  CHECK(data[4 + 32 + 31] == 2);
  CHECK(data[4 + 64 + 31] == 2);
  // The first signature's bytes follow its length word.
  const std::size_t first = 4 + 32 * (4 + 4 + 3);
  CHECK(std::equal(p.signatures[0].rsv.begin(), p.signatures[0].rsv.end(), data.begin() + first + 32));
}

TEST_CASE("governance commands exit 2 on unusable input before reaching any node", "[unit]") {
  app::GovernanceOptions options;
  std::ostringstream out;
  std::ostringstream err;
  SECTION("status without a gateway") {
    options.action = app::GovernanceAction::kAttestersStatus;
    CHECK(app::run_governance_command(options, out, err) == 2);
    CHECK(err.str().find("--rpc URL --gateway ADDRESS") != std::string::npos);
  }
  SECTION("submit of a proposal with an unreadable config") {
    options.action = app::GovernanceAction::kSubmit;
    options.config_path = "/nonexistent/relay.yaml";
    options.proposal = "/nonexistent/rotate.json";
    CHECK(app::run_governance_command(options, out, err) == 2);
    CHECK(err.str().find("input.not_found") != std::string::npos);
  }
  SECTION("pause with a key file that does not exist") {
    options.action = app::GovernanceAction::kPause;
    options.rpc = "http://127.0.0.1:1";
    options.gateway = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
    options.key_file = "/nonexistent/guardian.key";
    CHECK(app::run_governance_command(options, out, err) == 2);
  }
  CHECK(out.str().empty());
}
