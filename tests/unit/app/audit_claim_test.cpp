// `causeway audit inclusion CLAIM --relay` (relay/app/audit_command.cpp) against a stand-in relay:
// every leaf of a claim proved against the relay's signed checkpoint; a leaf whose fields were
// tampered with, a proof of another tree size, a bad checkpoint signature, a missing cosignature
// and a claim without a leaf each end in a named reason; the offline form keeps working and the
// two forms cannot be mixed.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "relay/app/audit_command.hpp"
#include "relay/core/base64.hpp"
#include "relay/core/checkpoint.hpp"
#include "relay/core/merkle_log.hpp"
#include "relay/core/protocol.hpp"
#include "tests/unit/app/audit_fixture.hpp"

using namespace causeway;
using namespace causeway::test::audit;
using causeway::test::audit::Run;

namespace {

struct Leaf {
  core::AuditKind kind;
  core::MessageId id;
  core::Claim claim;
  core::Hash32 detail;
  std::uint64_t time;
};

const core::Claim kClaim = test::fixed_of<core::Claim>("claim", 1);
const core::Claim kOtherClaim = test::fixed_of<core::Claim>("claim", 2);

// The relay's audit API over an in-memory log of real leaves: its checkpoint, the leaves of a
// claim (as GET /v1/audit/leaves?claim= shapes them) and inclusion proofs.
class FakeRelay final : public app::RelayApi {
 public:
  std::vector<Leaf> leaves;
  core::MerkleLog log;
  std::string note;
  // Stand-ins for a lying relay: a leaf field changed after logging, and proofs of another size.
  std::optional<std::uint64_t> tampered_time;
  bool reencode = true;  // the tampered leaf's "leaf" re-encoded from its changed fields
  std::optional<std::uint64_t> proof_size;

  FakeRelay() {
    for (std::uint64_t i = 0; i < 7; ++i) {
      const bool ours = i == 1 || i == 4 || i == 6;
      const auto kind = static_cast<core::AuditKind>(1 + i % 8);
      leaves.push_back({kind, test::fixed_of<core::MessageId>("id", i), ours ? kClaim : kOtherClaim,
                        test::fixed_of("detail", i), test::kTestTime + i});
      log.append(core::audit_leaf_hash(encode(leaves.back())));
    }
    sign(log_key());
  }

  static core::Bytes encode(const Leaf& l) { return core::encode_audit_leaf(l.kind, l.id, l.claim, l.detail, l.time); }

  void sign(const core::Ed25519PrivateKey& key) { note = test::audit::note_of(log, key); }

  core::Result<app::ApiResponse> request(std::string_view method, std::string_view target,
                                         std::string_view /*body*/) override {
    app::ApiResponse answer;
    answer.status = 200;
    const std::string leaves_target = "/v1/audit/leaves?claim=";
    if (method == "GET" && target == "/v1/audit/checkpoint") {
      answer.body = note;
    } else if (method == "GET" && target.starts_with(leaves_target)) {
      const std::string claim(target.substr(leaves_target.size()));
      nlohmann::json out = nlohmann::json::array();
      for (std::uint64_t i = 0; i < leaves.size(); ++i) {
        auto leaf = leaves[i];
        if (core::to_hex(leaf.claim) != claim) continue;
        const auto bytes = encode(leaf);
        if (tampered_time && i == 4) leaf.time = *tampered_time;
        out.push_back({{"index", i},
                       {"kind", static_cast<unsigned>(leaf.kind)},
                       {"kind_name", core::audit_kind_name(leaf.kind)},
                       {"id", core::to_hex(leaf.id)},
                       {"claim", core::to_hex(leaf.claim)},
                       {"detail", core::to_hex(leaf.detail)},
                       {"time", std::to_string(leaf.time)},
                       // A consistent liar re-encodes the leaf too, so only the hash can catch it.
                       {"leaf", core::to_hex(core::ByteView(tampered_time && i == 4 && reencode ? encode(leaf) : bytes))}});
      }
      answer.body = nlohmann::json{{"size", leaves.size()}, {"leaves", out}}.dump();
    } else if (method == "GET" && target.starts_with("/v1/audit/proof/inclusion?index=")) {
      const std::string query(target.substr(target.find('=') + 1));
      const std::uint64_t index = std::stoull(query.substr(0, query.find('&')));
      const std::uint64_t size = std::stoull(query.substr(query.rfind('=') + 1));
      const auto proof = log.inclusion_proof(index, size).value();
      nlohmann::json hashes = nlohmann::json::array();
      for (const auto& h : proof) hashes.push_back(core::to_hex(h));
      // A proof_size relay labels the right proof with another size.
      answer.body = nlohmann::json{{"index", index}, {"size", proof_size.value_or(size)}, {"hashes", hashes}}.dump();
    } else {
      answer.status = 404;
    }
    return answer;
  }
};

Run run(const std::vector<std::string>& args, FakeRelay& relay) { return test::audit::run_audit(args, relay, test::kTestTime); }

Run inclusion(FakeRelay& relay, const core::Claim& claim, std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"inclusion", core::to_hex(claim), "--relay", "http://127.0.0.1:1", "--log-key",
                                log_vkey()};
  args.insert(args.end(), extra.begin(), extra.end());
  return run(args, relay);
}

}  // namespace

TEST_CASE("audit inclusion CLAIM proves every leaf of the claim against the signed checkpoint", "[audit]") {
  FakeRelay relay;
  const auto result = inclusion(relay, kClaim);
  CHECK(result.code == 0);
  CHECK(result.out.find("[ok]   leaf 1 rejected: included in the signed tree of 7") != std::string::npos);
  CHECK(result.out.find("[ok]   leaf 4 executed_failed") != std::string::npos);
  CHECK(result.out.find("[ok]   leaf 6 skipped") != std::string::npos);
  CHECK(result.out.find("leaf 0 ") == std::string::npos);

  const auto json = inclusion(relay, kClaim, {"--json"});
  CHECK(json.code == 0);
  const auto report = nlohmann::json::parse(json.out);
  CHECK(report["exit"] == 0);
  CHECK(report["checkpoint"]["size"] == 7);
  REQUIRE(report["leaves"].size() == 3);
  CHECK(report["leaves"][1]["index"] == 4);
  CHECK(report["leaves"][1]["kind_name"] == "executed_failed");
  for (const auto& leaf : report["leaves"]) CHECK(leaf["verdict"] == "included");
}

TEST_CASE("audit inclusion CLAIM catches a leaf whose fields do not hash to the logged leaf", "[audit]") {
  FakeRelay relay;
  relay.tampered_time = test::kTestTime + 1000;
  const auto result = inclusion(relay, kClaim);
  CHECK(result.code == 1);
  CHECK(result.out.find("[FAIL] leaf 4 executed_failed: merkle.") != std::string::npos);
  CHECK(result.out.find("[ok]   leaf 1 ") != std::string::npos);

  const auto json = inclusion(relay, kClaim, {"--json"});
  const auto report = nlohmann::json::parse(json.out);
  CHECK(report["exit"] == 1);
  CHECK(report["leaves"][1]["verdict"] == "not_included");
  CHECK(report["leaves"][1]["reason"].get<std::string>().starts_with("merkle."));

  // A careless liar leaves the logged bytes: they no longer encode the fields it serves.
  relay.reencode = false;
  const auto stale = inclusion(relay, kClaim);
  CHECK(stale.code == 1);
  CHECK(stale.out.find("[FAIL] leaf 4 executed_failed: audit.leaf_mismatch") != std::string::npos);
}

TEST_CASE("audit inclusion CLAIM refuses a proof of another tree size", "[audit]") {
  FakeRelay relay;
  relay.proof_size = 6;
  const auto result = inclusion(relay, kClaim);
  CHECK(result.code == 1);
  CHECK(result.out.find("audit.proof_mismatch") != std::string::npos);
  CHECK(result.out.find("[ok]   leaf") == std::string::npos);
}

TEST_CASE("audit inclusion CLAIM refuses a checkpoint the log key did not sign", "[audit]") {
  FakeRelay relay;
  relay.sign(other_key());
  const auto result = inclusion(relay, kClaim);
  CHECK(result.code == 1);
  CHECK(result.out.find("checkpoint.not_signed") != std::string::npos);
  CHECK(result.out.find("leaf 1") == std::string::npos);

  // A witness named with --witness-key must have cosigned.
  relay.sign(log_key());
  const auto uncosigned = inclusion(relay, kClaim, {"--witness-key", witness_vkey()});
  CHECK(uncosigned.code == 1);
  CHECK(uncosigned.out.find("checkpoint.not_cosigned") != std::string::npos);
}

TEST_CASE("audit inclusion CLAIM says so when the claim has no leaf, or a leaf is newer than the checkpoint",
          "[audit]") {
  FakeRelay relay;
  const auto none = inclusion(relay, test::fixed_of<core::Claim>("claim", 9));
  CHECK(none.code == 1);
  CHECK(none.out.find("audit.claim_not_logged") != std::string::npos);

  // The log grew after the checkpoint: the new leaf is not covered by any signature yet.
  relay.leaves.push_back({core::AuditKind::kAcknowledged, test::fixed_of<core::MessageId>("id", 7), kClaim,
                          test::fixed_of("detail", 7), test::kTestTime + 7});
  relay.log.append(core::audit_leaf_hash(FakeRelay::encode(relay.leaves.back())));
  const auto newer = inclusion(relay, kClaim);
  CHECK(newer.code == 2);
  CHECK(newer.out.find("audit.leaf_after_checkpoint") != std::string::npos);

  FakeRelay fresh;
  const auto malformed = run({"inclusion", "0x1234", "--relay", "http://127.0.0.1:1", "--log-key", log_vkey()}, fresh);
  CHECK(malformed.code == 2);
  CHECK(malformed.out.find("CLAIM") != std::string::npos);
}

TEST_CASE("audit inclusion refuses mixing the CLAIM form with the offline form", "[audit]") {
  FakeRelay relay;
  const auto mixed = inclusion(relay, kClaim, {"--proof", "proof.json"});
  CHECK(mixed.code == 2);
  CHECK(mixed.out.find("not a mix") != std::string::npos);
  const auto no_relay = run({"inclusion", core::to_hex(kClaim), "--log-key", log_vkey()}, relay);
  CHECK(no_relay.code == 2);
  CHECK(no_relay.out.find("not a mix") != std::string::npos);
  const auto half_offline = run({"inclusion", "--leaf", "0x00", "--log-key", log_vkey()}, relay);
  CHECK(half_offline.code == 2);
  CHECK(half_offline.out.find("not a mix") != std::string::npos);
}
