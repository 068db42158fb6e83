// `causeway audit` (relay/app/audit_command.cpp) end to end through its command line: a store
// with a real history and signed checkpoints is exported while its relay holds it open, the
// export verifies, and each kind of tampering (a leaf, a rewritten history, a foreign signature,
// an equivocating checkpoint) exits 1 with its reason; then single proofs and key generation.
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "relay/app/audit_command.hpp"
#include "relay/core/checkpoint.hpp"
#include "relay/core/hash.hpp"
#include "relay/store/checkpoint_signer.hpp"
#include "tests/unit/store/store_fixtures.hpp"

using namespace causeway;
using causeway::test::TempDir;
using S = store::MessageState;

namespace {

namespace fs = std::filesystem;

constexpr std::string_view kName = "relay.example/audit";

struct Run {
  int code = -1;
  std::string out;
  std::string err;
};

// Parses `args` as `causeway audit ...` would and runs the command.
Run run(const std::vector<std::string>& args) {
  CLI::App app{"causeway"};
  app::AuditOptions options;
  auto* audit = app.add_subcommand("audit", "");
  app::add_audit_options(*audit, options);
  std::vector<const char*> argv{"causeway", "audit"};
  for (const auto& arg : args) argv.push_back(arg.c_str());
  Run result;
  std::ostringstream out;
  std::ostringstream err;
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& e) {
    result.code = app.exit(e, out, err) == 0 ? 0 : 2;
    result.out = out.str();
    result.err = err.str();
    return result;
  }
  result.code = app::run_audit(options, out, err);
  result.out = out.str();
  result.err = err.str();
  INFO(result.out << result.err);
  return result;
}

const core::Ed25519PrivateKey& log_key() {
  static const auto key = core::Ed25519PrivateKey::from_seed(core::Bytes(32, 0x11)).value();
  return key;
}
const core::Ed25519PrivateKey& other_key() {
  static const auto key = core::Ed25519PrivateKey::from_seed(core::Bytes(32, 0x22)).value();
  return key;
}
const core::Ed25519PrivateKey& witness_key() {
  static const auto key = core::Ed25519PrivateKey::from_seed(core::Bytes(32, 0x33)).value();
  return key;
}
std::string log_vkey() { return core::vkey_for(kName, log_key().public_key()); }
std::string witness_vkey() {
  return core::vkey_for("witness.example/w1", witness_key().public_key(), core::NoteKeyType::kCosignatureV1);
}

std::string read(const fs::path& path) {
  std::ifstream file(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}
void write(const fs::path& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

std::vector<std::string> lines_of(const fs::path& path) {
  std::vector<std::string> lines;
  std::istringstream in(read(path));
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}
void write_lines(const fs::path& path, const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& line : lines) text += line + "\n";
  write(path, text);
}

// A store whose three messages each went verified -> voted -> executed_ok -> acknowledged (12
// leaves), with a checkpoint signed after each message (sizes 4, 8 and 12), exported while the
// store is still open.
class AuditFixture {
 public:
  AuditFixture() : db_(dir_.file("relay.db")), export_(dir_.file("export")) {
    auto opened = store::Store::open(db_, test::test_options());
    REQUIRE(opened.ok());
    store_ = std::move(opened).value();
    const store::CheckpointSigner signer{std::string(kName), std::string(kName), &log_key(), [] { return test::kTestTime; }};
    for (std::uint64_t i = 1; i <= 3; ++i) {
      REQUIRE(store_->insert_observed(test::new_message(i)).ok());
      const auto id = core::message_id(test::test_message(i));
      for (const auto to : {S::kVerified, S::kVoted, S::kExecutedOk, S::kAcknowledged}) {
        REQUIRE(store_->apply(test::to_state(id, to, i * 10 + static_cast<std::uint64_t>(to))).ok());
      }
      REQUIRE(store::sign_and_store_checkpoint(*store_, signer).ok());
    }
    const auto exported = run({"export", "--store", db_, "--out", export_});
    INFO(exported.out << exported.err);
    REQUIRE(exported.code == 0);
  }
  ~AuditFixture() { (void)store_->close(); }
  AuditFixture(const AuditFixture&) = delete;
  AuditFixture& operator=(const AuditFixture&) = delete;

  const std::string& dir() const { return export_; }
  fs::path file(const std::string& relative) const { return fs::path(export_) / relative; }
  std::string scratch(const std::string& name) const { return dir_.file(name); }
  store::Store& store() { return *store_; }

  Run verify(std::vector<std::string> extra = {}) const {
    std::vector<std::string> args{"verify", export_, "--log-key", log_vkey()};
    args.insert(args.end(), extra.begin(), extra.end());
    return run(args);
  }

  // A note of the log's origin at `size` with `root`, signed by `key`.
  std::string note(std::uint64_t size, const core::Hash32& root, const core::Ed25519PrivateKey& key) const {
    const core::CheckpointBody body{std::string(kName), size, root, test::kTestTime};
    return core::sign_checkpoint(body, kName, key).value();
  }

  std::string proof_file(const std::string& name, std::string_view first_field, std::uint64_t first,
                         std::uint64_t size, const std::vector<core::Hash32>& hashes) const {
    nlohmann::json doc{{std::string(first_field), first}, {"size", size}, {"hashes", nlohmann::json::array()}};
    for (const auto& h : hashes) doc["hashes"].push_back(core::to_hex(h));
    const auto path = scratch(name);
    write(path, doc.dump());
    return path;
  }

 private:
  TempDir dir_;
  std::string db_;
  std::string export_;
  std::unique_ptr<store::Store> store_;
};

}  // namespace

TEST_CASE("audit export writes every leaf, every checkpoint and the log's vkey", "[audit]") {
  AuditFixture f;
  const auto lines = lines_of(f.file("leaves.jsonl"));
  REQUIRE(lines.size() == 12);
  const auto first = nlohmann::json::parse(lines[0]);
  CHECK(first["index"] == 0);
  CHECK(first["kind"] == 1);
  CHECK(first["kind_name"] == "verified");
  CHECK(first["time"] == std::to_string(test::kTestTime));
  const auto entry = f.store().audit_entry(0).value().value();
  CHECK(first["leaf"] == core::to_hex(core::ByteView(entry.leaf)));
  CHECK(first["id"] == core::to_hex(entry.id));
  CHECK(nlohmann::json::parse(lines[3])["kind_name"] == "acknowledged");
  for (const char* size : {"4", "8", "12"}) {
    CHECK(read(f.file(std::string("checkpoints/") + size + ".note")).starts_with(std::string(kName) + "\n" + size + "\n"));
  }
  CHECK(read(f.file("log-key.vkey")) == log_vkey() + "\n");
}

TEST_CASE("audit export refuses a non-empty directory and a missing store", "[audit]") {
  AuditFixture f;
  const auto again = run({"export", "--store", f.scratch("relay.db"), "--out", f.dir()});
  CHECK(again.code == 2);
  CHECK(again.err.find("audit.output_exists") != std::string::npos);
  const auto missing = run({"export", "--store", f.scratch("none.db"), "--out", f.scratch("out2")});
  CHECK(missing.code == 2);
  CHECK(missing.err.find("store.cant_open") != std::string::npos);
}

TEST_CASE("audit export reads the store a relay config names, given exactly one of --store and --config",
          "[audit]") {
  AuditFixture f;
  const char* source = std::getenv("CAUSEWAY_SOURCE_DIR");
  REQUIRE(source != nullptr);
  auto config = nlohmann::json::parse(read(std::string(source) + "/schemas/examples/config.valid.json"));
  config["relay"]["store"] = f.scratch("relay.db");
  write(f.scratch("relay.json"), config.dump());
  const auto exported = run({"export", "--config", f.scratch("relay.json"), "--out", f.scratch("by-config")});
  REQUIRE(exported.code == 0);
  CHECK(read(fs::path(f.scratch("by-config")) / "leaves.jsonl") == read(f.file("leaves.jsonl")));
  CHECK(read(fs::path(f.scratch("by-config")) / "checkpoints/12.note") == read(f.file("checkpoints/12.note")));

  const auto neither = run({"export", "--out", f.scratch("neither")});
  CHECK(neither.code == 2);
  CHECK(neither.err.find("audit.usage") != std::string::npos);
  CHECK(run({"export", "--store", f.scratch("relay.db"), "--config", f.scratch("relay.json"), "--out",
             f.scratch("both")})
            .code == 2);
  // A config that does not load is named as such.
  write(f.scratch("bad.json"), "{\"relay\": 1}");
  const auto bad = run({"export", "--config", f.scratch("bad.json"), "--out", f.scratch("bad")});
  CHECK(bad.code == 2);
  CHECK(bad.err.find("config.") != std::string::npos);
}

TEST_CASE("audit verify accepts an untampered export, with the vkey given as text or file", "[audit]") {
  AuditFixture f;
  const auto result = f.verify();
  INFO(result.out);
  CHECK(result.code == 0);
  CHECK(result.out.find("[ok]   leaves: 12 leaves") != std::string::npos);
  CHECK(result.out.find("[ok]   consistency 4 -> 8") != std::string::npos);
  CHECK(result.out.find("[ok]   consistency 8 -> 12") != std::string::npos);
  CHECK(result.out.find("[FAIL]") == std::string::npos);
  const auto from_file = run({"verify", f.dir(), "--log-key", f.file("log-key.vkey").string()});
  CHECK(from_file.code == 0);
}

TEST_CASE("audit verify names a leaf whose fields were changed", "[audit]") {
  AuditFixture f;
  auto lines = lines_of(f.file("leaves.jsonl"));
  auto leaf = nlohmann::json::parse(lines[5]);
  leaf["detail"] = core::to_hex(core::sha256(core::as_bytes("forged evidence")));
  lines[5] = leaf.dump();
  auto renamed = nlohmann::json::parse(lines[7]);
  renamed["kind_name"] = "verified";
  lines[7] = renamed.dump();
  write_lines(f.file("leaves.jsonl"), lines);
  const auto result = f.verify();
  INFO(result.out);
  CHECK(result.code == 1);
  CHECK(result.out.find("[FAIL] leaf 5: audit.leaf_mismatch: its leaf bytes") != std::string::npos);
  CHECK(result.out.find("[FAIL] leaf 7: audit.leaf_mismatch: kind 8 is 'acknowledged', not 'verified'") !=
        std::string::npos);
  CHECK(result.out.find("[ok]   checkpoint 4.note") != std::string::npos);  // the others still check out
}

TEST_CASE("audit verify finds history rewritten consistently under a signed checkpoint", "[audit]") {
  AuditFixture f;
  auto lines = lines_of(f.file("leaves.jsonl"));
  auto leaf = nlohmann::json::parse(lines[5]);
  const auto detail = core::sha256(core::as_bytes("forged evidence"));
  leaf["detail"] = core::to_hex(detail);
  const auto entry = f.store().audit_entry(5).value().value();
  leaf["leaf"] = core::to_hex(core::ByteView(core::encode_audit_leaf(entry.kind, entry.id, entry.claim, detail, entry.time)));
  lines[5] = leaf.dump();
  write_lines(f.file("leaves.jsonl"), lines);
  const auto result = f.verify();
  INFO(result.out);
  CHECK(result.code == 1);
  CHECK(result.out.find("[ok]   leaves: 12 leaves") != std::string::npos);  // each leaf is self-consistent
  CHECK(result.out.find("audit.root_mismatch") != std::string::npos);
  CHECK(result.out.find("leaves in [4, 8) differ") != std::string::npos);
}

TEST_CASE("audit verify refuses a checkpoint signed by another key", "[audit]") {
  AuditFixture f;
  write(f.file("checkpoints/8.note"), f.note(8, f.store().audit_root(8).value(), other_key()));
  const auto result = f.verify();
  INFO(result.out);
  CHECK(result.code == 1);
  CHECK(result.out.find("[FAIL] checkpoint 8.note: checkpoint.not_signed") != std::string::npos);
  CHECK(result.out.find("[ok]   consistency 4 -> 12") != std::string::npos);
  // The wrong log key for the whole export: nothing is signed by it.
  const auto wrong = run({"verify", f.dir(), "--log-key", core::vkey_for(kName, other_key().public_key())});
  CHECK(wrong.code == 1);
}

TEST_CASE("audit verify reports equivocating checkpoints", "[audit]") {
  AuditFixture f;
  write(f.file("checkpoints/8.fork.note"), f.note(8, core::sha256(core::as_bytes("a second history")), log_key()));
  const auto result = f.verify();
  INFO(result.out);
  CHECK(result.code == 1);
  CHECK(result.out.find("checkpoint.equivocation") != std::string::npos);
}

TEST_CASE("audit verify counts witness cosignatures against --min-witnesses", "[audit]") {
  AuditFixture f;
  const auto unwitnessed = f.verify({"--witness", witness_vkey(), "--min-witnesses", "1"});
  CHECK(unwitnessed.code == 1);
  CHECK(unwitnessed.out.find("audit.too_few_witnesses") != std::string::npos);
  for (const char* size : {"4", "8", "12"}) {
    const auto path = f.file(std::string("checkpoints/") + size + ".note");
    write(path, core::cosign_checkpoint(read(path), "witness.example/w1", witness_key(), test::kTestTime + 5).value());
  }
  const auto witnessed = f.verify({"--witness", witness_vkey(), "--min-witnesses", "1"});
  INFO(witnessed.out);
  CHECK(witnessed.code == 0);
  CHECK(witnessed.out.find("cosigned by 1 of 1 witnesses") != std::string::npos);
}

TEST_CASE("audit verify says unusable input for what it cannot audit", "[audit]") {
  AuditFixture f;
  CHECK(run({"verify", f.scratch("nowhere"), "--log-key", log_vkey()}).code == 2);
  CHECK(run({"verify", f.dir(), "--log-key", "not-a-vkey"}).code == 2);
  const auto witness_as_log = run({"verify", f.dir(), "--log-key", witness_vkey()});
  CHECK(witness_as_log.code == 2);
  CHECK(witness_as_log.out.find("checkpoint.wrong_key_type") != std::string::npos);
  CHECK(f.verify({"--witness", log_vkey()}).code == 2);  // a log key is no witness key
  CHECK(f.verify({"--witness", witness_vkey(), "--min-witnesses", "2"}).code == 2);
  CHECK(run({"verify", f.dir()}).code == 2);  // --log-key is required
  auto lines = lines_of(f.file("leaves.jsonl"));
  const auto good_line = lines[2];
  lines[2] = "{not json";
  write_lines(f.file("leaves.jsonl"), lines);
  const auto broken = f.verify();
  CHECK(broken.code == 2);
  CHECK(broken.out.find("json.syntax") != std::string::npos);
  lines[2] = std::string(5000, ' ') + good_line;
  write_lines(f.file("leaves.jsonl"), lines);
  const auto long_line = f.verify();
  CHECK(long_line.code == 2);
  CHECK(long_line.out.find("[ERR]  leaf 2: input.too_large") != std::string::npos);
  lines[2] = good_line;
  lines.erase(lines.begin() + 1);
  write_lines(f.file("leaves.jsonl"), lines);
  const auto gap = f.verify();
  CHECK(gap.code == 1);
  CHECK(gap.out.find("[FAIL] leaf 1: audit.leaf_index: line 2 says index 2") != std::string::npos);
}

TEST_CASE("audit verify of an export without checkpoints is unusable input", "[audit]") {
  AuditFixture f;
  for (const char* size : {"4", "8", "12"}) fs::remove(f.file(std::string("checkpoints/") + size + ".note"));
  const auto result = f.verify();
  CHECK(result.code == 2);
  CHECK(result.out.find("audit.no_checkpoints") != std::string::npos);
}

TEST_CASE("audit inclusion checks one leaf's proof against a signed checkpoint", "[audit]") {
  AuditFixture f;
  const auto leaf5 = core::to_hex(core::ByteView(f.store().audit_entry(5).value()->leaf));
  const auto leaf6 = core::to_hex(core::ByteView(f.store().audit_entry(6).value()->leaf));
  const auto proof = f.proof_file("inclusion.json", "index", 5, 8, f.store().inclusion_proof(5, 8).value());
  const auto note8 = f.file("checkpoints/8.note").string();
  auto inclusion = [&](const std::string& leaf, const std::string& note, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"inclusion", "--leaf", leaf, "--checkpoint", note, "--proof", proof, "--log-key", log_vkey()};
    args.insert(args.end(), extra.begin(), extra.end());
    return run(args);
  };
  const auto good = inclusion(leaf5, note8);
  INFO(good.out);
  CHECK(good.code == 0);
  CHECK(inclusion(leaf5, note8, {"--index", "5"}).code == 0);
  const auto wrong_leaf = inclusion(leaf6, note8);
  CHECK(wrong_leaf.code == 1);
  CHECK(wrong_leaf.out.find("merkle.") != std::string::npos);
  const auto wrong_index = inclusion(leaf5, note8, {"--index", "4"});
  CHECK(wrong_index.code == 2);
  CHECK(wrong_index.out.find("audit.proof_mismatch") != std::string::npos);
  CHECK(inclusion(leaf5, f.file("checkpoints/12.note").string()).code == 2);  // proof for size 8
  const auto foreign = f.scratch("foreign.note");
  write(foreign, f.note(8, f.store().audit_root(8).value(), other_key()));
  CHECK(inclusion(leaf5, foreign).code == 1);
  CHECK(inclusion("0xzz", note8).code == 2);
}

TEST_CASE("audit consistency checks that a newer checkpoint extends an older one", "[audit]") {
  AuditFixture f;
  const auto hashes = f.store().consistency_proof(4, 12).value();
  const auto proof = f.proof_file("consistency.json", "old_size", 4, 12, hashes);
  const auto note4 = f.file("checkpoints/4.note").string();
  const auto note8 = f.file("checkpoints/8.note").string();
  const auto note12 = f.file("checkpoints/12.note").string();
  auto consistency = [&](const std::string& old_note, const std::string& new_note, const std::string& proof_path) {
    return run({"consistency", "--old", old_note, "--new", new_note, "--proof", proof_path, "--log-key", log_vkey()});
  };
  const auto good = consistency(note4, note12, proof);
  INFO(good.out);
  CHECK(good.code == 0);
  auto bent = hashes;
  bent[0].bytes[0] ^= 1;
  CHECK(consistency(note4, note12, f.proof_file("bent.json", "old_size", 4, 12, bent)).code == 1);
  CHECK(consistency(note12, note4, proof).code == 2);
  CHECK(consistency(note4, note8, proof).code == 2);  // the proof is for 4 -> 12
  const auto fork = f.scratch("fork.note");
  write(fork, f.note(8, core::sha256(core::as_bytes("a second history")), log_key()));
  const auto equivocation = consistency(note8, fork, proof);
  CHECK(equivocation.code == 1);
  CHECK(equivocation.out.find("checkpoint.equivocation") != std::string::npos);
}

TEST_CASE("audit keygen writes an owner-only key file and prints its vkey", "[audit]") {
  TempDir dir;
  const auto path = dir.file("log.key");
  const auto made = run({"keygen", "--out", path, "--name", std::string(kName)});
  REQUIRE(made.code == 0);
  auto vkey = core::parse_verifier_key(made.out.substr(0, made.out.find('\n')));
  REQUIRE(vkey.ok());
  CHECK(vkey->name == kName);
  const auto key = core::load_ed25519_key_file(path);
  REQUIRE(key.ok());
  CHECK(key->public_key() == vkey->public_key);
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  const auto again = run({"keygen", "--out", path, "--name", std::string(kName)});
  CHECK(again.code == 2);
  CHECK(again.err.find("key_file.exists") != std::string::npos);
  CHECK(run({"keygen", "--out", dir.file("other.key"), "--name", "bad name"}).code == 2);
}
