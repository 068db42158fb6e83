// `causeway audit checkpoint` and `causeway audit witness` (relay/app/audit_command.cpp) against a
// stand-in relay: a good checkpoint verifies and a good witness cosigns and remembers; a foreign or
// broken signature, a missing cosignature, a rewritten history, an equivocating or rolled-back
// log and a witness state not signed by the log each end in a named reason, and the witness then
// neither cosigns nor posts. Also the store's cosignature table behind the relay's side.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "relay/app/audit_command.hpp"
#include "relay/core/base64.hpp"
#include "relay/core/checkpoint.hpp"
#include "relay/core/hash.hpp"
#include "relay/core/merkle_log.hpp"
#include "tests/unit/app/audit_fixture.hpp"

using namespace causeway;
using namespace causeway::test::audit;
using causeway::test::audit::Run;
using causeway::test::TempDir;

namespace {

namespace fs = std::filesystem;

constexpr std::uint64_t kNow = 1'700'000'100;

std::string read(const fs::path& path) {
  std::ifstream file(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

// A log whose leaf i is the hash of (tag, i): two tags give two histories.
core::MerkleLog log_of(std::uint64_t size, std::string_view tag = "leaf") {
  core::MerkleLog log;
  for (std::uint64_t i = 0; i < size; ++i) log.append(test::fixed_of(tag, i));
  return log;
}

// The relay's audit API over an in-memory log: the checkpoint it serves, consistency proofs of
// that log, and the cosignatures posted to it.
class FakeRelay final : public app::RelayApi {
 public:
  core::MerkleLog log;
  std::string note;
  std::vector<std::string> posted;
  bool reachable = true;
  std::size_t proofs_served = 0;

  void serve(core::MerkleLog served, const core::Ed25519PrivateKey& key = log_key()) {
    log = std::move(served);
    note = note_of(log, key);
  }

  core::Result<app::ApiResponse> request(std::string_view method, std::string_view target,
                                         std::string_view body) override {
    if (!reachable) return core::Error(app::reason::api_client::kUnreachable, "connection refused");
    app::ApiResponse answer;
    answer.status = 200;
    if (method == "GET" && target == "/v1/audit/checkpoint") {
      answer.body = note;
    } else if (method == "GET" && target.starts_with("/v1/audit/proof/consistency?old=")) {
      const std::string query(target.substr(target.find('=') + 1));
      const std::uint64_t old_size = std::stoull(query.substr(0, query.find('&')));
      const std::uint64_t new_size = std::stoull(query.substr(query.rfind('=') + 1));
      nlohmann::json hashes = nlohmann::json::array();
      const auto proof = log.consistency_proof(old_size, new_size).value();
      for (const auto& h : proof) hashes.push_back(core::to_hex(h));
      answer.body = nlohmann::json{{"old_size", old_size}, {"size", new_size}, {"hashes", hashes}}.dump();
      ++proofs_served;
    } else if (method == "POST" && target == "/v1/audit/cosignatures") {
      posted.emplace_back(body);
    } else {
      answer.status = 404;
    }
    return answer;
  }
};

Run run(const std::vector<std::string>& args, FakeRelay& relay) { return test::audit::run_audit(args, relay, kNow); }

Run checkpoint(FakeRelay& relay, std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"checkpoint", "--relay", "http://127.0.0.1:1", "--log-key", log_vkey()};
  args.insert(args.end(), extra.begin(), extra.end());
  return run(args, relay);
}

// A witness with its key file and state directory.
class Witness {
 public:
  Witness() {
    REQUIRE(core::write_ed25519_key_file(key_file(), witness_key()).ok());
  }
  std::string key_file() const { return dir_.file("witness.key"); }
  fs::path state() const { return dir_.file("state"); }
  fs::path state_note() const { return state() / "checkpoint.note"; }

  Run cosign(FakeRelay& relay) const {
    return run({"witness", "--relay", "http://127.0.0.1:1", "--log-key", log_vkey(), "--key", key_file(), "--name",
                std::string(kWitness), "--state", state().string()},
               relay);
  }

 private:
  TempDir dir_;
};

}  // namespace

TEST_CASE("audit checkpoint verifies the relay's signed checkpoint", "[audit]") {
  FakeRelay relay;
  relay.serve(log_of(5));
  const auto result = checkpoint(relay);
  CHECK(result.code == 0);
  CHECK(result.out.find("size 5") != std::string::npos);
  CHECK(result.out.find("root " + core::base64_encode(log_of(5).root().view())) != std::string::npos);
}

TEST_CASE("audit checkpoint refuses a checkpoint the log key did not sign", "[audit]") {
  FakeRelay relay;
  relay.serve(log_of(5), other_key());
  const auto foreign = checkpoint(relay);
  CHECK(foreign.code == 1);
  CHECK(foreign.out.find("checkpoint.not_signed") != std::string::npos);

  // The log key's line with another key's signature bytes in it.
  relay.serve(log_of(5));
  const auto theirs = core::parse_signed_note(note_of(log_of(5), other_key())).value();
  auto ours = core::parse_signed_note(relay.note).value();
  core::Bytes payload(ours.signatures[0].key_id.begin(), ours.signatures[0].key_id.end());
  core::append(payload, core::ByteView(theirs.signatures[0].signature));
  relay.note = ours.text + "\n\xe2\x80\x94 " + std::string(kOrigin) + " " + core::base64_encode(payload) + "\n";
  const auto forged = checkpoint(relay);
  CHECK(forged.code == 1);
  CHECK(forged.out.find("checkpoint.bad_signature") != std::string::npos);
}

TEST_CASE("audit checkpoint is unusable when the relay cannot be reached", "[audit]") {
  FakeRelay relay;
  relay.reachable = false;
  const auto result = checkpoint(relay);
  CHECK(result.code == 2);
  CHECK(result.out.find("api_client.unreachable") != std::string::npos);
}

TEST_CASE("audit checkpoint requires each --witness-key's cosignature", "[audit]") {
  FakeRelay relay;
  relay.serve(log_of(5));
  const auto missing = checkpoint(relay, {"--witness-key", witness_vkey()});
  CHECK(missing.code == 1);
  CHECK(missing.out.find("checkpoint.not_cosigned") != std::string::npos);

  relay.note = core::cosign_checkpoint(relay.note, kWitness, witness_key(), kNow).value();
  const auto cosigned = checkpoint(relay, {"--witness-key", witness_vkey()});
  CHECK(cosigned.code == 0);
  CHECK(cosigned.out.find("cosigned at " + std::to_string(kNow)) != std::string::npos);

  // A log key where a witness key belongs is the caller's mistake.
  CHECK(checkpoint(relay, {"--witness-key", log_vkey()}).code == 2);
}

TEST_CASE("audit checkpoint --previous checks the log only grew", "[audit]") {
  TempDir dir;
  const std::string previous = dir.file("previous.note");
  FakeRelay relay;
  relay.serve(log_of(5));
  REQUIRE(checkpoint(relay, {"--out", previous}).code == 0);
  REQUIRE(read(previous) == relay.note);

  SECTION("a grown log is consistent") {
    relay.serve(log_of(9));
    const auto result = checkpoint(relay, {"--previous", previous});
    CHECK(result.code == 0);
    CHECK(relay.proofs_served == 1);
    CHECK(result.out.find("consistency 5 -> 9") != std::string::npos);
  }
  SECTION("a rewritten leaf fails consistency") {
    auto rewritten = log_of(2);
    rewritten.append(test::fixed_of("rewritten", 2));
    for (std::uint64_t i = 3; i < 9; ++i) rewritten.append(test::fixed_of("leaf", i));
    relay.serve(std::move(rewritten));
    const auto result = checkpoint(relay, {"--previous", previous});
    CHECK(result.code == 1);
    CHECK(result.out.find("[FAIL] consistency 5 -> 9") != std::string::npos);
  }
  SECTION("one size with another root is equivocation, both notes shown") {
    relay.serve(log_of(5, "fork"));
    const auto result = checkpoint(relay, {"--previous", previous});
    CHECK(result.code == 1);
    CHECK(result.out.find("checkpoint.equivocation") != std::string::npos);
    CHECK(result.out.find(read(previous)) != std::string::npos);
    CHECK(result.out.find(relay.note) != std::string::npos);
  }
  SECTION("a smaller log is a rollback") {
    relay.serve(log_of(3));
    const auto result = checkpoint(relay, {"--previous", previous});
    CHECK(result.code == 1);
    CHECK(result.out.find("audit.rollback") != std::string::npos);
  }
}

TEST_CASE("audit witness cosigns, remembers and posts a consistent checkpoint", "[audit]") {
  Witness witness;
  FakeRelay relay;
  relay.serve(log_of(5));
  const auto first = witness.cosign(relay);
  REQUIRE(first.code == 0);
  CHECK(first.out.find("trusting this one on first use") != std::string::npos);
  REQUIRE(relay.posted.size() == 1);
  const auto posted = nlohmann::json::parse(relay.posted[0]).at("note").get<std::string>();
  CHECK(read(witness.state_note()) == posted);
  const auto witness_key_parsed = core::parse_verifier_key(witness_vkey()).value();
  const auto cosigned = core::verify_checkpoint(posted, core::parse_verifier_key(log_vkey()).value()).value();
  CHECK(core::verify_cosignature(cosigned, witness_key_parsed).value() == kNow);

  relay.serve(log_of(12));
  const auto second = witness.cosign(relay);
  CHECK(second.code == 0);
  CHECK(second.out.find("consistency 5 -> 12") != std::string::npos);
  CHECK(relay.posted.size() == 2);
  CHECK(core::parse_signed_note(read(witness.state_note())).value().body.size == 12);
}

TEST_CASE("audit witness refuses a rewritten, forked or rolled-back log and keeps its state", "[audit]") {
  Witness witness;
  FakeRelay relay;
  relay.serve(log_of(8));
  REQUIRE(witness.cosign(relay).code == 0);
  const std::string state = read(witness.state_note());

  std::string reason;
  SECTION("a leaf rewritten under a larger tree") {
    auto rewritten = log_of(3);
    rewritten.append(test::fixed_of("rewritten", 3));
    for (std::uint64_t i = 4; i < 10; ++i) rewritten.append(test::fixed_of("leaf", i));
    relay.serve(std::move(rewritten));
    reason = "merkle.";
  }
  SECTION("another root at the same size") {
    relay.serve(log_of(8, "fork"));
    reason = "checkpoint.equivocation";
  }
  SECTION("a smaller tree") {
    relay.serve(log_of(6));
    reason = "audit.rollback";
  }
  const auto refused = witness.cosign(relay);
  CHECK(refused.code == 1);
  CHECK(refused.out.find(reason) != std::string::npos);
  CHECK(refused.out.find("refusing to cosign") != std::string::npos);
  CHECK(relay.posted.size() == 1);
  CHECK(read(witness.state_note()) == state);
}

TEST_CASE("audit witness refuses a state the log key did not sign", "[audit]") {
  Witness witness;
  FakeRelay relay;
  relay.serve(log_of(8));
  REQUIRE(witness.cosign(relay).code == 0);
  std::ofstream(witness.state_note(), std::ios::binary | std::ios::trunc) << note_of(log_of(4), other_key());
  const auto result = witness.cosign(relay);
  CHECK(result.code == 2);
  CHECK(result.out.find("audit.witness_state") != std::string::npos);
  CHECK(relay.posted.size() == 1);
}

TEST_CASE("store keeps one cosignature line per witness and checkpoint", "[audit]") {
  TempDir dir;
  auto store = store::Store::open(dir.file("relay.db"), test::test_options()).value();
  REQUIRE(store->insert_observed(test::new_message(1)).ok());
  REQUIRE(store->apply(test::to_state(core::message_id(test::test_message(1)), store::MessageState::kVerified)).ok());
  const auto root = store->audit_root(1).value();
  REQUIRE(store->add_checkpoint({1, root, "note\n"}).ok());
  REQUIRE(store->add_cosignature(1, "w1", "line one\n").ok());
  REQUIRE(store->add_cosignature(1, "w2", "line two\n").ok());
  REQUIRE(store->add_cosignature(1, "w1", "line three\n").ok());
  CHECK(store->cosignatures(1).value() == std::vector<std::string>{"line three\n", "line two\n"});
  CHECK(store->cosignatures(2).value().empty());
  // Only a stored checkpoint can be cosigned.
  CHECK_FALSE(store->add_cosignature(7, "w1", "line\n").ok());
  REQUIRE(store->close().ok());
}

