// `causeway audit` (see audit_command.hpp): the export writer, the offline verifier of an export,
// single-proof checks and key generation, each printing one line per check.
#include "relay/app/audit_command.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string_view>
#include <system_error>
#include <utility>

#include <nlohmann/json.hpp>

#include "relay/app/config_loader.hpp"
#include "relay/app/verify_command.hpp"
#include "relay/core/base64.hpp"
#include "relay/core/checkpoint.hpp"
#include "relay/core/merkle_log.hpp"
#include "relay/core/protocol.hpp"
#include "relay/core/signature.hpp"
#include "relay/store/store.hpp"
#include "relay/verify/json_read.hpp"

namespace causeway::app {
namespace {

namespace fs = std::filesystem;
namespace jr = verify::json_read;

constexpr int kExitValid = 0;
constexpr int kExitInvalid = 1;
constexpr int kExitUnusable = 2;

constexpr std::string_view kLeavesFile = "leaves.jsonl";
constexpr std::string_view kCheckpointsDir = "checkpoints";
constexpr std::string_view kVkeyFile = "log-key.vkey";
constexpr std::string_view kNoteExtension = ".note";
constexpr std::string_view kBundlesDir = "bundles";
constexpr std::string_view kWitnessStateFile = "checkpoint.note";

// One leaves.jsonl line: about 500 bytes; the bound only stops a runaway line.
constexpr std::size_t kMaxLeafLineBytes = 4096;
// A vkey file holds one line; a proof file at most 65 hashes.
constexpr std::size_t kMaxVkeyFileBytes = 4096;
constexpr std::size_t kMaxProofFileBytes = 16 * 1024;
// Leaf mismatches printed one by one before the rest are only counted.
constexpr std::size_t kShownLeafProblems = 5;

// PROTOCOL.md section 7's kind names, indexed by kind - 1.
constexpr std::array<std::string_view, 10> kKindNames = {
    "verified", "rejected", "voted", "executed_ok", "executed_failed", "timed_out", "skipped", "acknowledged",
    "parked",   "orphaned"};

std::string_view kind_name(core::AuditKind kind) { return kKindNames.at(static_cast<std::size_t>(kind) - 1); }

// Prints one line per check and keeps the worst outcome: invalid before unusable before valid,
// as DESIGN.md section 5 orders exit codes.
class Report {
 public:
  explicit Report(std::ostream& out) : out_(out) {}

  void ok(std::string_view what, std::string_view detail) { out_ << "[ok]   " << what << ": " << detail << '\n'; }
  void note(std::string_view what, std::string_view detail) { out_ << "[--]   " << what << ": " << detail << '\n'; }
  void invalid(std::string_view what, const core::Error& error) {
    out_ << "[FAIL] " << what << ": " << error.message() << '\n';
    invalid_ = true;
  }
  void unusable(std::string_view what, const core::Error& error) {
    out_ << "[ERR]  " << what << ": " << error.message() << '\n';
    unusable_ = true;
  }
  bool failed() const noexcept { return invalid_ || unusable_; }

  int finish() {
    const int code = invalid_ ? kExitInvalid : unusable_ ? kExitUnusable : kExitValid;
    out_ << (code == kExitValid ? "valid" : code == kExitInvalid ? "invalid" : "unusable input") << " (exit " << code
         << ")\n";
    return code;
  }

 private:
  std::ostream& out_;
  bool invalid_ = false;
  bool unusable_ = false;
};

std::string trimmed(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())) != 0) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())) != 0) text.remove_suffix(1);
  return std::string(text);
}

// A vkey given on the command line, or the path of a file holding one (as export writes it).
core::Result<core::VerifierKey> load_verifier_key(const std::string& argument) {
  auto direct = core::parse_verifier_key(argument);
  if (direct) return direct;
  std::error_code ec;
  if (!fs::is_regular_file(argument, ec)) return std::move(direct).error();
  CW_TRY(const auto text, read_bounded_file(argument, kMaxVkeyFileBytes));
  auto from_file = core::parse_verifier_key(trimmed(text));
  if (!from_file) return std::move(from_file).error().with_context(argument);
  return from_file;
}

std::string describe(const core::VerifierKey& key) {
  return key.name + "+" + core::to_hex(core::ByteView(key.key_id), false);
}

// --log-key: a vkey of signature type 0x01; a witness's key there is a mistake of the caller.
core::Result<core::VerifierKey> load_log_key(const std::string& argument) {
  CW_TRY(auto key, load_verifier_key(argument));
  if (key.type != core::NoteKeyType::kEd25519) {
    return core::Error(core::reason::checkpoint::kWrongKeyType,
                       describe(key) + " is a witness (0x04) key; a log key has type 0x01");
  }
  return key;
}

// A checkpoint file: unreadable or not a signed checkpoint at all is unusable input; a note the
// log key did not sign (or whose signature fails) is an invalid one.
struct LoadedCheckpoint {
  std::optional<core::SignedCheckpoint> checkpoint;  // set when the log key's signature verified
  std::optional<core::Error> error;
  bool unusable = false;
};

LoadedCheckpoint load_checkpoint(const fs::path& path, const core::VerifierKey& log_key) {
  auto text = read_bounded_file(path, core::kMaxNoteBytes);
  if (!text) return {std::nullopt, std::move(text).error(), true};
  if (auto parsed = core::parse_signed_note(*text); !parsed) return {std::nullopt, std::move(parsed).error(), true};
  auto verified = core::verify_checkpoint(*text, log_key);
  if (!verified) return {std::nullopt, std::move(verified).error(), false};
  return {std::move(verified).value(), std::nullopt, false};
}

// ---- proof files

struct ProofFile {
  std::uint64_t first = 0;  // inclusion: the leaf index; consistency: the old tree size
  std::uint64_t size = 0;
  std::vector<core::Hash32> hashes;
};

// The proof file's JSON, which is also what the relay's /v1/audit/proof/* endpoints answer.
core::Result<ProofFile> parse_proof(std::string_view text, std::string_view first_field) {
  CW_TRY(const nlohmann::json root, jr::parse_bounded(text, kMaxProofFileBytes, 4));
  CW_CHECK(jr::check_object(root, "", {first_field, "size", "hashes"}));
  ProofFile proof;
  CW_TRY(proof.first, jr::read_uint(root[std::string(first_field)], first_field, UINT64_MAX));
  CW_TRY(proof.size, jr::read_uint(root["size"], "size", UINT64_MAX));
  CW_CHECK(jr::check_array(root["hashes"], "hashes", core::kMaxMerkleProofHashes));
  for (std::size_t i = 0; i < root["hashes"].size(); ++i) {
    CW_TRY(const auto hash, jr::read_fixed<core::Hash32>(root["hashes"][i], jr::index_path("hashes", i)));
    proof.hashes.push_back(hash);
  }
  return proof;
}

core::Result<ProofFile> read_proof_file(const std::string& path, std::string_view first_field) {
  CW_TRY(const auto text, read_bounded_file(path, kMaxProofFileBytes));
  return parse_proof(text, first_field);
}

// ---- export

core::Result<void> write_file(const fs::path& path, std::string_view text) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << text;
  file.close();
  if (!file) return core::Error(reason::kAuditWriteFailed, path.string());
  return core::ok();
}

nlohmann::ordered_json leaf_json(const store::AuditEntry& entry) {
  nlohmann::ordered_json line;
  line["index"] = entry.index;
  line["kind"] = static_cast<unsigned>(entry.kind);
  line["kind_name"] = kind_name(entry.kind);
  line["id"] = core::to_hex(entry.id);
  line["claim"] = core::to_hex(entry.claim);
  line["detail"] = core::to_hex(entry.detail);
  line["time"] = std::to_string(entry.time);  // a string, as audit-leaf.schema.json has it
  line["leaf"] = core::to_hex(core::ByteView(entry.leaf));
  return line;
}

// --store (a SQLite file), or relay.store of --config (SQLite or PostgreSQL), opened read-only.
core::Result<std::unique_ptr<store::Store>> open_export_source(const AuditOptions& options) {
  if (options.store.empty() == options.config.empty()) {
    return core::Error(reason::kAuditUsage, "give exactly one of --store DB and --config FILE");
  }
  if (!options.store.empty()) return store::Store::open_read_only(options.store);
  CW_TRY(const auto config, load_config_file(options.config));
  if (!config.relay.postgres) return store::Store::open_read_only(config.relay.store);
  CW_TRY(const auto target, postgres_target(*config.relay.postgres));
  return store::Store::open_postgres_read_only(target);
}

core::Result<std::string> export_store(const AuditOptions& options) {
  CW_TRY(auto store, open_export_source(options));
  const fs::path dir(options.out);
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_empty(dir, ec)) {
    return core::Error(reason::kAuditOutputExists, options.out + " is not empty");
  }
  fs::create_directories(dir / kCheckpointsDir, ec);
  if (ec) return core::Error(reason::kAuditWriteFailed, options.out + ": " + ec.message());

  // The store's log as loaded when it opened: leaves a running relay appends later are left for
  // the next export, and so are checkpoints of them.
  const std::uint64_t size = store->audit_size();
  std::set<core::Claim> claims;
  {
    std::ofstream leaves(dir / kLeavesFile, std::ios::binary);
    for (std::uint64_t i = 0; i < size && leaves; ++i) {
      CW_TRY(const auto entry, store->audit_entry(i));
      if (!entry) return core::Error(store::reason::kAuditMismatch, "audit leaf " + std::to_string(i) + " missing");
      leaves << leaf_json(*entry).dump() << '\n';
      claims.insert(entry->claim);
    }
    leaves.close();
    if (!leaves) return core::Error(reason::kAuditWriteFailed, (dir / kLeavesFile).string());
  }
  CW_TRY(const auto checkpoints, store->checkpoints());
  std::size_t written = 0;
  for (const auto& checkpoint : checkpoints) {
    if (checkpoint.tree_size > size) continue;
    CW_CHECK(write_file(dir / kCheckpointsDir / (std::to_string(checkpoint.tree_size) + std::string(kNoteExtension)),
                        checkpoint.note));
    ++written;
  }
  // The bundles the leaves name, so `audit scan --bundles` can re-verify every delivery offline.
  fs::create_directories(dir / kBundlesDir, ec);
  if (ec) return core::Error(reason::kAuditWriteFailed, (dir / kBundlesDir).string() + ": " + ec.message());
  std::size_t bundles = 0;
  for (const auto& claim : claims) {
    CW_TRY(const auto bundle, store->bundle(claim));
    if (!bundle) continue;
    CW_CHECK(write_file(dir / kBundlesDir / (core::to_hex(claim) + ".json"), bundle->json));
    ++bundles;
  }
  CW_TRY(const auto vkey, store->log_vkey());
  if (vkey) CW_CHECK(write_file(dir / kVkeyFile, *vkey + "\n"));
  CW_CHECK(store->close());
  return std::to_string(size) + " leaves, " + std::to_string(written) + " checkpoints, " + std::to_string(bundles) +
         " bundles" +
         (vkey ? ", log key " + *vkey : ", no log key recorded") + " -> " + options.out;
}

int run_export(const AuditOptions& options, std::ostream& out, std::ostream& err) {
  auto exported = export_store(options);
  if (!exported) {
    err << "causeway audit export: " << exported.error().message() << '\n';
    return kExitUnusable;
  }
  out << "exported " << *exported << '\n';
  return kExitValid;
}

// ---- verify (an export directory)

struct Leaves {
  core::MerkleLog log;
  bool readable = true;
};

// One line of at most `max` bytes, without its newline; false at the end of the input. A longer
// line is an error before it is read further, so no input makes this read without bound.
core::Result<bool> read_line(std::streambuf& in, std::string& line, std::size_t max) {
  line.clear();
  for (int c = in.sbumpc(); c != std::char_traits<char>::eof(); c = in.sbumpc()) {
    if (c == '\n') return true;
    if (line.size() == max) {
      return core::Error(reason::kInputTooLarge, "line longer than " + std::to_string(max) + " bytes");
    }
    line.push_back(static_cast<char>(c));
  }
  return !line.empty();
}

struct LeafLine {
  std::uint64_t index = 0;
  core::AuditKind kind = core::AuditKind::kVerified;
  std::string kind_name;
  core::Claim claim;
  core::Bytes leaf;    // encode_audit_leaf of the line's fields
  core::Bytes stated;  // the line's "leaf"
};

core::Result<LeafLine> parse_leaf_line(std::string_view line) {
  CW_TRY(const nlohmann::json j, jr::parse_bounded(line, kMaxLeafLineBytes, 2));
  CW_CHECK(jr::check_object(j, "", {"index", "kind", "kind_name", "id", "claim", "detail", "time", "leaf"}));
  LeafLine out;
  CW_TRY(out.index, jr::read_uint(j["index"], "index", UINT64_MAX));
  CW_TRY(const std::uint64_t kind, jr::read_uint(j["kind"], "kind", kKindNames.size()));
  if (kind == 0) return jr::bad("kind", "kinds start at 1");
  out.kind = static_cast<core::AuditKind>(kind);
  CW_TRY(out.kind_name, jr::read_string(j["kind_name"], "kind_name", 32));
  CW_TRY(const auto id, jr::read_fixed<core::MessageId>(j["id"], "id"));
  CW_TRY(out.claim, jr::read_fixed<core::Claim>(j["claim"], "claim"));
  CW_TRY(const auto detail, jr::read_fixed<core::Hash32>(j["detail"], "detail"));
  CW_TRY(const std::uint64_t time, jr::read_decimal(j["time"], "time"));
  CW_TRY(out.stated, jr::read_hex(j["leaf"], "leaf", 1024));
  out.leaf = core::encode_audit_leaf(out.kind, id, out.claim, detail, time);
  return out;
}

// Reads leaves.jsonl into a tree of hashes recomputed from each leaf's fields, reporting every
// line whose leaf bytes or kind name disagree with those fields.
Leaves read_leaves(const fs::path& path, Report& report) {
  Leaves leaves;
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    report.unusable("leaves", core::Error(reason::kInputNotFound, path.string() + ": cannot open"));
    leaves.readable = false;
    return leaves;
  }
  std::size_t problems = 0;
  std::string line;
  for (std::uint64_t index = 0;; ++index) {
    const std::string where = "leaf " + std::to_string(index);
    auto unusable = [&](core::Error error) {
      report.unusable(where, std::move(error).with_context(path.string() + " line " + std::to_string(index + 1)));
      leaves.readable = false;
      return leaves;
    };
    auto more = read_line(*file.rdbuf(), line, kMaxLeafLineBytes);
    if (!more) return unusable(std::move(more).error());
    if (!*more) break;
    auto parsed = parse_leaf_line(line);
    if (!parsed) return unusable(std::move(parsed).error());
    auto fail = [&](core::Error error) {
      if (++problems <= kShownLeafProblems) report.invalid(where, error);
    };
    if (parsed->index != index) {
      // Every later line would be off by as much: one report, and no tree to check against.
      fail(core::Error(reason::kAuditLeafIndex, "line " + std::to_string(index + 1) + " says index " +
                                                    std::to_string(parsed->index)));
      leaves.readable = false;
      return leaves;
    }
    if (parsed->kind_name != kind_name(parsed->kind)) {
      fail(core::Error(reason::kAuditLeafMismatch, "kind " + std::to_string(static_cast<unsigned>(parsed->kind)) +
                                                       " is '" + std::string(kind_name(parsed->kind)) + "', not '" +
                                                       parsed->kind_name + "'"));
    } else if (parsed->leaf != parsed->stated) {
      fail(core::Error(reason::kAuditLeafMismatch, "its leaf bytes are not the encoding of its fields"));
    }
    // The tree is built from the fields: what the leaf says happened is what a checkpoint signs.
    leaves.log.append(core::audit_leaf_hash(parsed->leaf));
  }
  if (problems > kShownLeafProblems) {
    report.invalid("leaves", core::Error(reason::kAuditLeafMismatch,
                                         std::to_string(problems - kShownLeafProblems) + " more leaves like these"));
  }
  if (problems == 0) {
    report.ok("leaves", std::to_string(leaves.log.size()) + " leaves, each hash recomputed from its fields");
  }
  return leaves;
}

struct Signed {
  std::string file;
  core::SignedCheckpoint checkpoint;
};

// Every *.note under checkpoints/, sorted by tree size, with those the log key did not sign
// reported and dropped: only the log's own statements can equivocate or be inconsistent.
std::vector<Signed> read_checkpoints(const fs::path& dir, const core::VerifierKey& log_key, Report& report,
                                     bool& any_file) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    std::error_code type_ec;
    if (it->path().extension() == kNoteExtension && it->is_regular_file(type_ec)) files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  any_file = !files.empty();
  std::vector<Signed> out;
  for (const auto& path : files) {
    const std::string what = "checkpoint " + path.filename().string();
    auto loaded = load_checkpoint(path, log_key);
    if (loaded.unusable) {
      report.unusable(what, *loaded.error);
    } else if (loaded.error) {
      report.invalid(what, *loaded.error);
    } else {
      out.push_back({path.filename().string(), std::move(*loaded.checkpoint)});
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Signed& a, const Signed& b) { return a.checkpoint.body.size < b.checkpoint.body.size; });
  return out;
}

// Checks one log-signed checkpoint against the rebuilt tree and the witnesses; true when its
// root is the tree's (so consistency from or to it is worth checking).
bool check_checkpoint(const Signed& s, const core::MerkleLog& log, const std::vector<core::VerifierKey>& witnesses,
                      std::size_t min_witnesses, std::uint64_t last_good_size, Report& report) {
  const auto& body = s.checkpoint.body;
  const std::string what = "checkpoint " + s.file + " (size " + std::to_string(body.size) + ")";
  if (body.size > log.size()) {
    report.invalid(what, core::Error(reason::kAuditCheckpointBeyondLog,
                                     "the export holds " + std::to_string(log.size()) + " leaves"));
    return false;
  }
  const core::Hash32 root = log.root_at(body.size).value();
  if (root != body.root) {
    report.invalid(what, core::Error(reason::kAuditRootMismatch,
                                     "signed root " + core::to_hex(body.root) + ", leaves give " + core::to_hex(root) +
                                         "; leaves in [" + std::to_string(last_good_size) + ", " +
                                         std::to_string(body.size) + ") differ from what was signed"));
    return false;
  }
  std::size_t cosigned = 0;
  bool witnesses_ok = true;
  for (const auto& witness : witnesses) {
    auto timestamp = core::verify_cosignature(s.checkpoint, witness);
    if (timestamp) {
      ++cosigned;
    } else if (timestamp.error().reason() != core::reason::checkpoint::kNotCosigned) {
      report.invalid(what, timestamp.error());
      witnesses_ok = false;
    }
  }
  if (cosigned < min_witnesses) {
    report.invalid(what, core::Error(reason::kAuditTooFewWitnesses, std::to_string(cosigned) + " valid of " +
                                                                        std::to_string(min_witnesses) + " required"));
    witnesses_ok = false;
  }
  if (witnesses_ok) {
    std::string detail = "signed by the log key, root matches the leaves, time " + std::to_string(body.time);
    if (!witnesses.empty()) {
      detail += ", cosigned by " + std::to_string(cosigned) + " of " + std::to_string(witnesses.size()) + " witnesses";
    }
    report.ok(what, detail);
  }
  return true;
}

// --witness / --witness-key values: cosignature/v1 keys only.
std::vector<core::VerifierKey> load_witness_keys(const std::vector<std::string>& arguments, Report& report) {
  std::vector<core::VerifierKey> out;
  for (const auto& text : arguments) {
    auto witness = load_verifier_key(text);
    if (!witness) {
      report.unusable("--witness", witness.error());
    } else if (witness->type != core::NoteKeyType::kCosignatureV1) {
      report.unusable("--witness", core::Error(core::reason::checkpoint::kWrongKeyType,
                                               describe(*witness) + ": a witness key has type 0x04"));
    } else {
      out.push_back(std::move(witness).value());
    }
  }
  return out;
}

int run_verify_export(const AuditOptions& options, std::ostream& out) {
  Report report(out);
  auto log_key = load_log_key(options.log_key);
  if (!log_key) {
    report.unusable("--log-key", log_key.error());
    return report.finish();
  }
  const std::vector<core::VerifierKey> witnesses = load_witness_keys(options.witnesses, report);
  if (options.min_witnesses > options.witnesses.size()) {
    report.unusable("--min-witnesses", core::Error(reason::kUsage, "more than the witness keys given"));
  }
  if (report.failed()) return report.finish();

  const fs::path dir(options.dir);
  out << "export: " << options.dir << "\nlog key: " << describe(*log_key) << '\n';
  Leaves leaves = read_leaves(dir / kLeavesFile, report);
  if (!leaves.readable) return report.finish();

  bool any_file = false;
  const std::vector<Signed> checkpoints = read_checkpoints(dir / kCheckpointsDir, *log_key, report, any_file);
  if (!any_file) {
    report.unusable("checkpoints", core::Error(reason::kAuditNoCheckpoints,
                                               (dir / kCheckpointsDir).string() + " holds no *.note file"));
    return report.finish();
  }

  // Equivocation: any two log-signed checkpoints of one size with different roots, whatever the
  // leaves say (sorted by size, so such pairs are neighbours).
  for (std::size_t i = 0; i + 1 < checkpoints.size(); ++i) {
    for (std::size_t j = i + 1; j < checkpoints.size() &&
                                checkpoints[j].checkpoint.body.size == checkpoints[i].checkpoint.body.size;
         ++j) {
      auto same = core::detect_equivocation(checkpoints[i].checkpoint.body, checkpoints[j].checkpoint.body);
      if (!same) report.invalid("checkpoints " + checkpoints[i].file + " and " + checkpoints[j].file, same.error());
    }
  }

  std::uint64_t last_good_size = 0;
  const Signed* previous = nullptr;  // the last checkpoint whose root matched the leaves
  for (const auto& s : checkpoints) {
    const auto& body = s.checkpoint.body;
    if (body.origin != checkpoints.front().checkpoint.body.origin) {
      report.invalid("checkpoint " + s.file, core::Error(reason::kAuditOriginMismatch,
                                                         "origin '" + body.origin + "', the first checkpoint's is '" +
                                                             checkpoints.front().checkpoint.body.origin + "'"));
      continue;
    }
    if (!check_checkpoint(s, leaves.log, witnesses, options.min_witnesses, last_good_size, report)) continue;
    // Consistency from the previous good checkpoint, proved with the rebuilt tree and checked
    // against the two signed roots: the check a monitor without the leaves would make.
    // (From an empty tree there is nothing to prove, and verify_consistency refuses size 0.)
    if (previous != nullptr && previous->checkpoint.body.size > 0 && previous->checkpoint.body.size < body.size) {
      const auto& old_body = previous->checkpoint.body;
      const std::string what = "consistency " + std::to_string(old_body.size) + " -> " + std::to_string(body.size);
      // Both sizes are within the rebuilt tree here, so proving cannot fail.
      const auto proof = leaves.log.consistency_proof(old_body.size, body.size).value();
      auto consistent = core::verify_consistency(old_body.size, body.size, old_body.root, body.root, proof);
      if (consistent) {
        report.ok(what, std::to_string(proof.size()) + " proof hashes verified");
      } else {
        report.invalid(what, consistent.error());
      }
    }
    previous = &s;
    last_good_size = body.size;
  }
  const std::uint64_t signed_size = checkpoints.empty() ? 0 : checkpoints.back().checkpoint.body.size;
  if (leaves.log.size() > signed_size) {
    report.note("leaves", std::to_string(leaves.log.size() - signed_size) +
                              " leaves after the largest checkpoint are not signed yet");
  }
  return report.finish();
}

// ---- single proofs

int run_inclusion(const AuditOptions& options, std::ostream& out) {
  Report report(out);
  auto log_key = load_log_key(options.log_key);
  if (!log_key) {
    report.unusable("--log-key", log_key.error());
    return report.finish();
  }
  auto loaded = load_checkpoint(options.checkpoint, *log_key);
  if (loaded.error) {
    if (loaded.unusable) report.unusable("checkpoint", *loaded.error); else report.invalid("checkpoint", *loaded.error);
    return report.finish();
  }
  const auto& body = loaded.checkpoint->body;
  report.ok("checkpoint", "signed by " + describe(*log_key) + ", size " + std::to_string(body.size));

  auto leaf = core::from_hex(options.leaf);
  if (!leaf) report.unusable("--leaf", leaf.error());
  auto proof = read_proof_file(options.proof, "index");
  if (!proof) report.unusable("proof", std::move(proof).error().with_context(options.proof));
  if (report.failed()) return report.finish();

  const std::uint64_t index = options.index.value_or(proof->first);
  if (proof->first != index || proof->size != body.size) {
    report.unusable("proof", core::Error(reason::kAuditProofMismatch,
                                         "the proof is for leaf " + std::to_string(proof->first) + " of " +
                                             std::to_string(proof->size) + ", asked: leaf " + std::to_string(index) +
                                             " of the checkpoint's " + std::to_string(body.size)));
    return report.finish();
  }
  const auto leaf_hash = core::audit_leaf_hash(*leaf);
  auto included = core::verify_inclusion(leaf_hash, index, body.size, proof->hashes, body.root);
  const std::string what = "inclusion of leaf " + std::to_string(index);
  if (included) {
    report.ok(what, "leaf hash " + core::to_hex(leaf_hash) + " is in the tree of " + std::to_string(body.size));
  } else {
    report.invalid(what, included.error());
  }
  return report.finish();
}

int run_consistency(const AuditOptions& options, std::ostream& out) {
  Report report(out);
  auto log_key = load_log_key(options.log_key);
  if (!log_key) {
    report.unusable("--log-key", log_key.error());
    return report.finish();
  }
  std::array<LoadedCheckpoint, 2> loaded{load_checkpoint(options.old_checkpoint, *log_key),
                                         load_checkpoint(options.new_checkpoint, *log_key)};
  const std::array<std::string_view, 2> names{"old checkpoint", "new checkpoint"};
  for (std::size_t i = 0; i < 2; ++i) {
    if (!loaded[i].error) {
      report.ok(names[i], "signed by " + describe(*log_key) + ", size " +
                              std::to_string(loaded[i].checkpoint->body.size));
    } else if (loaded[i].unusable) {
      report.unusable(names[i], *loaded[i].error);
    } else {
      report.invalid(names[i], *loaded[i].error);
    }
  }
  if (report.failed()) return report.finish();
  const auto& old_body = loaded[0].checkpoint->body;
  const auto& new_body = loaded[1].checkpoint->body;
  if (old_body.origin != new_body.origin) {
    report.invalid("origin", core::Error(reason::kAuditOriginMismatch, "'" + old_body.origin + "' and '" +
                                                                           new_body.origin + "'"));
    return report.finish();
  }
  if (old_body.size == new_body.size) {
    auto same = core::detect_equivocation(old_body, new_body);
    if (same) report.ok("consistency", "one tree size, one root"); else report.invalid("consistency", same.error());
    return report.finish();
  }
  if (old_body.size > new_body.size || old_body.size == 0) {
    report.unusable("consistency", core::Error(reason::kUsage, "--old must be a non-empty tree smaller than --new"));
    return report.finish();
  }
  auto proof = read_proof_file(options.proof, "old_size");
  if (!proof) {
    report.unusable("proof", std::move(proof).error().with_context(options.proof));
    return report.finish();
  }
  if (proof->first != old_body.size || proof->size != new_body.size) {
    report.unusable("proof", core::Error(reason::kAuditProofMismatch,
                                         "the proof is from " + std::to_string(proof->first) + " to " +
                                             std::to_string(proof->size) + ", the checkpoints are " +
                                             std::to_string(old_body.size) + " and " + std::to_string(new_body.size)));
    return report.finish();
  }
  auto consistent = core::verify_consistency(old_body.size, new_body.size, old_body.root, new_body.root, proof->hashes);
  const std::string what = "consistency " + std::to_string(old_body.size) + " -> " + std::to_string(new_body.size);
  if (consistent) {
    report.ok(what, "the old tree is a prefix of the new one");
  } else {
    report.invalid(what, consistent.error());
  }
  return report.finish();
}

// ---- a live relay's checkpoint: fetch, verify, compare, witness

// GET /v1/audit/checkpoint: the signed note the relay serves now, with any cosignatures.
core::Result<std::string> fetch_checkpoint_note(RelayApi& relay) {
  CW_TRY(const auto answer, relay.request("GET", "/v1/audit/checkpoint", {}));
  if (answer.status != 200) {
    return core::Error(reason::kAuditRelayAnswer, "/v1/audit/checkpoint: HTTP " + std::to_string(answer.status));
  }
  return answer.body;
}

// The relay's consistency proof between two of its tree sizes.
core::Result<std::vector<core::Hash32>> fetch_consistency(RelayApi& relay, std::uint64_t old_size,
                                                          std::uint64_t new_size) {
  const std::string target =
      "/v1/audit/proof/consistency?old=" + std::to_string(old_size) + "&new=" + std::to_string(new_size);
  CW_TRY(const auto answer, relay.request("GET", target, {}));
  if (answer.status != 200) return core::Error(reason::kAuditRelayAnswer, target + ": HTTP " + std::to_string(answer.status));
  CW_TRY(auto proof, parse_proof(answer.body, "old_size"));
  if (proof.first != old_size || proof.size != new_size) {
    return core::Error(reason::kAuditProofMismatch, target + ": a proof from " + std::to_string(proof.first) + " to " +
                                                        std::to_string(proof.size));
  }
  return std::move(proof.hashes);
}

std::string describe_body(const core::CheckpointBody& body) {
  return "origin " + body.origin + ", size " + std::to_string(body.size) + ", root " +
         core::base64_encode(body.root.view()) + ", time " + std::to_string(body.time);
}

// Whether `current` extends `previous`, both already verified with the log key: one size needs one
// root (else equivocation, both notes printed), a smaller size is a rollback, a larger one needs
// the relay's consistency proof to verify against the two signed roots.
bool extends(const core::SignedCheckpoint& previous, const std::string& previous_note,
             const core::SignedCheckpoint& current, const std::string& current_note, RelayApi& relay,
             Report& report, std::ostream& out) {
  const auto& old_body = previous.body;
  const auto& new_body = current.body;
  const std::string what = "consistency " + std::to_string(old_body.size) + " -> " + std::to_string(new_body.size);
  if (old_body.origin != new_body.origin) {
    report.invalid(what, core::Error(reason::kAuditOriginMismatch, "'" + old_body.origin + "' and '" +
                                                                       new_body.origin + "'"));
    return false;
  }
  if (old_body.size == new_body.size) {
    if (auto same = core::detect_equivocation(old_body, new_body); !same) {
      report.invalid(what, same.error());
      out << "--- the earlier checkpoint\n" << previous_note << "--- the checkpoint served now\n" << current_note;
      return false;
    }
    report.ok(what, "the same tree");
    return true;
  }
  if (old_body.size > new_body.size) {
    report.invalid(what, core::Error(reason::kAuditRollback, "the log shrank from " + std::to_string(old_body.size) +
                                                                 " to " + std::to_string(new_body.size) + " leaves"));
    return false;
  }
  if (old_body.size == 0) {
    report.ok(what, "an empty tree is a prefix of every tree");
    return true;
  }
  auto proof = fetch_consistency(relay, old_body.size, new_body.size);
  if (!proof) {
    report.unusable(what, proof.error());
    return false;
  }
  auto consistent = core::verify_consistency(old_body.size, new_body.size, old_body.root, new_body.root, *proof);
  if (!consistent) {
    report.invalid(what, consistent.error());
    return false;
  }
  report.ok(what, std::to_string(proof->size()) + " proof hashes: the old tree is a prefix of the new one");
  return true;
}

// The relay's checkpoint, verified with the log key (a relay serving anything else is invalid).
std::optional<core::SignedCheckpoint> fetch_verified(RelayApi& relay, const core::VerifierKey& log_key,
                                                     std::string& note, Report& report) {
  auto fetched = fetch_checkpoint_note(relay);
  if (!fetched) {
    report.unusable("checkpoint", fetched.error());
    return std::nullopt;
  }
  note = std::move(fetched).value();
  auto verified = core::verify_checkpoint(note, log_key);
  if (!verified) {
    report.invalid("checkpoint", verified.error());
    return std::nullopt;
  }
  report.ok("checkpoint", "signed by " + describe(log_key) + "; " + describe_body(verified->body));
  return std::move(verified).value();
}

int run_checkpoint(const AuditOptions& options, RelayApi& relay, std::ostream& out) {
  Report report(out);
  auto log_key = load_log_key(options.log_key);
  if (!log_key) report.unusable("--log-key", log_key.error());
  const auto witnesses = load_witness_keys(options.witnesses, report);
  if (report.failed()) return report.finish();

  std::string note;
  const auto current = fetch_verified(relay, *log_key, note, report);
  if (!current) return report.finish();
  for (const auto& witness : witnesses) {
    const std::string what = "witness " + describe(witness);
    auto timestamp = core::verify_cosignature(*current, witness);
    if (timestamp) report.ok(what, "cosigned at " + std::to_string(*timestamp)); else report.invalid(what, timestamp.error());
  }
  if (!options.previous.empty()) {
    auto previous_note = read_bounded_file(options.previous, core::kMaxNoteBytes);
    auto loaded = load_checkpoint(options.previous, *log_key);
    if (loaded.error) {
      if (loaded.unusable) report.unusable("--previous", *loaded.error); else report.invalid("--previous", *loaded.error);
    } else {
      (void)extends(*loaded.checkpoint, previous_note.value_or(""), *current, note, relay, report, out);
    }
  }
  if (!options.out.empty() && !report.failed()) {
    if (auto written = write_file(options.out, note); !written) report.unusable("--out", written.error());
  }
  return report.finish();
}

// ---- a claim's leaves on a live relay

// A claim's leaves in a /v1/audit/leaves answer: a handful per claim (one per transition), so
// these bounds only stop a runaway answer.
constexpr std::size_t kMaxClaimLeaves = 1024;
constexpr std::size_t kMaxClaimLeavesBytes = 1024 * 1024;

// GET /v1/audit/leaves?claim=: the relay's leaves of one claim, each with its fields recomputed
// into leaf bytes by parse_leaf_line.
core::Result<std::vector<LeafLine>> fetch_claim_leaves(RelayApi& relay, const core::Claim& claim) {
  const std::string target = "/v1/audit/leaves?claim=" + core::to_hex(claim);
  CW_TRY(const auto answer, relay.request("GET", target, {}));
  if (answer.status != 200) return core::Error(reason::kAuditRelayAnswer, target + ": HTTP " + std::to_string(answer.status));
  CW_TRY(const nlohmann::json root, jr::parse_bounded(answer.body, kMaxClaimLeavesBytes, 4));
  CW_CHECK(jr::check_object(root, "", {"size", "leaves"}));
  CW_CHECK(jr::check_array(root["leaves"], "leaves", kMaxClaimLeaves));
  std::vector<LeafLine> out;
  for (std::size_t i = 0; i < root["leaves"].size(); ++i) {
    auto leaf = parse_leaf_line(root["leaves"][i].dump());
    if (!leaf) return std::move(leaf).error().with_context(jr::index_path("leaves", i));
    out.push_back(std::move(leaf).value());
  }
  return out;
}

// GET /v1/audit/proof/inclusion for one leaf at the checkpoint's size; a proof of another leaf or
// size is the relay's fault, not the auditor's.
core::Result<std::vector<core::Hash32>> fetch_inclusion(RelayApi& relay, std::uint64_t index, std::uint64_t size) {
  const std::string target = "/v1/audit/proof/inclusion?index=" + std::to_string(index) + "&size=" + std::to_string(size);
  CW_TRY(const auto answer, relay.request("GET", target, {}));
  if (answer.status != 200) return core::Error(reason::kAuditRelayAnswer, target + ": HTTP " + std::to_string(answer.status));
  CW_TRY(auto proof, parse_proof(answer.body, "index"));
  if (proof.first != index || proof.size != size) {
    return core::Error(reason::kAuditProofMismatch, target + ": a proof of leaf " + std::to_string(proof.first) +
                                                        " of " + std::to_string(proof.size));
  }
  return std::move(proof.hashes);
}

// One leaf's verdict in `audit inclusion CLAIM`.
struct LeafVerdict {
  std::uint64_t index = 0;
  std::string kind_name;
  std::optional<core::Error> error;  // unset: included
  bool unusable = false;
};

// Checks one leaf of the claim: its bytes are its fields' encoding, its kind name its kind's, it
// is within the signed tree, and the relay's proof takes its recomputed hash to the signed root.
LeafVerdict check_claim_leaf(RelayApi& relay, const LeafLine& leaf, const core::Claim& claim,
                             const core::CheckpointBody& body) {
  LeafVerdict verdict{leaf.index, std::string(core::audit_kind_name(leaf.kind)), std::nullopt, false};
  if (leaf.claim != claim) {
    verdict.error = core::Error(reason::kAuditLeafMismatch, "the relay answered a leaf of claim " + core::to_hex(leaf.claim));
    return verdict;
  }
  if (leaf.stated != leaf.leaf || leaf.kind_name != verdict.kind_name) {
    verdict.error = core::Error(reason::kAuditLeafMismatch, "the leaf's bytes or kind name are not its fields'");
    return verdict;
  }
  if (leaf.index >= body.size) {
    // Logged after the checkpoint was signed: nothing signed covers it yet.
    verdict.error = core::Error(reason::kAuditLeafAfterCheckpoint,
                                "not in the checkpoint of " + std::to_string(body.size) +
                                    " leaves; ask for a newer one (POST /v1/audit/checkpoint) and run again");
    verdict.unusable = true;
    return verdict;
  }
  const auto proof = fetch_inclusion(relay, leaf.index, body.size);
  if (!proof) {
    verdict.error = proof.error();
    verdict.unusable = proof.error().reason() != reason::kAuditProofMismatch;
    return verdict;
  }
  const auto included = core::verify_inclusion(core::audit_leaf_hash(leaf.leaf), leaf.index, body.size, *proof, body.root);
  if (!included) verdict.error = included.error();
  return verdict;
}

int print_claim_json(const std::string& claim, const std::optional<core::SignedCheckpoint>& checkpoint,
                     const std::vector<LeafVerdict>& verdicts, const std::string& lines, int code, std::ostream& out) {
  nlohmann::ordered_json report;
  report["claim"] = claim;
  if (checkpoint) {
    report["checkpoint"] = {{"origin", checkpoint->body.origin},
                            {"size", checkpoint->body.size},
                            {"root", core::to_hex(checkpoint->body.root)}};
  }
  report["leaves"] = nlohmann::ordered_json::array();
  for (const auto& verdict : verdicts) {
    nlohmann::ordered_json leaf;
    leaf["index"] = verdict.index;
    leaf["kind_name"] = verdict.kind_name;
    leaf["verdict"] = !verdict.error ? "included" : verdict.unusable ? "unverifiable" : "not_included";
    if (verdict.error) {
      leaf["reason"] = verdict.error->reason().name;
      leaf["message"] = verdict.error->message();
    }
    report["leaves"].push_back(std::move(leaf));
  }
  // The checks before the leaves (key, checkpoint, witnesses), as the text form prints them.
  report["checks"] = lines;
  report["exit"] = code;
  out << report.dump(2) << '\n';
  return code;
}

// `audit inclusion CLAIM --relay URL`: every leaf the relay logged for CLAIM, proved against the
// relay's current checkpoint after that checkpoint's signatures verified.
int run_claim_inclusion(const AuditOptions& options, RelayApi& relay, std::ostream& out) {
  std::ostringstream text;
  Report report(options.json ? static_cast<std::ostream&>(text) : out);
  std::optional<core::SignedCheckpoint> current;
  std::vector<LeafVerdict> verdicts;
  auto finish = [&] {
    const int code = report.finish();
    return options.json ? print_claim_json(options.claim, current, verdicts, text.str(), code, out) : code;
  };

  auto claim = jr::read_fixed<core::Claim>(nlohmann::json(options.claim), "CLAIM");
  if (!claim) report.unusable("CLAIM", claim.error());
  auto log_key = load_log_key(options.log_key);
  if (!log_key) report.unusable("--log-key", log_key.error());
  const auto witnesses = load_witness_keys(options.witnesses, report);
  if (report.failed()) return finish();

  std::string note;
  current = fetch_verified(relay, *log_key, note, report);
  if (!current) return finish();
  for (const auto& witness : witnesses) {
    const std::string what = "witness " + describe(witness);
    auto timestamp = core::verify_cosignature(*current, witness);
    if (timestamp) report.ok(what, "cosigned at " + std::to_string(*timestamp)); else report.invalid(what, timestamp.error());
  }
  if (report.failed()) return finish();

  auto leaves = fetch_claim_leaves(relay, *claim);
  if (!leaves) {
    report.unusable("leaves", leaves.error());
    return finish();
  }
  if (leaves->empty()) {
    report.invalid("claim " + options.claim,
                   core::Error(reason::kAuditClaimNotLogged, "the relay's audit log holds no leaf of this claim"));
    return finish();
  }
  for (const auto& leaf : *leaves) {
    verdicts.push_back(check_claim_leaf(relay, leaf, *claim, current->body));
    const auto& verdict = verdicts.back();
    const std::string what = "leaf " + std::to_string(verdict.index) + " " + verdict.kind_name;
    if (!verdict.error) {
      report.ok(what, "included in the signed tree of " + std::to_string(current->body.size));
    } else if (verdict.unusable) {
      report.unusable(what, *verdict.error);
    } else {
      report.invalid(what, *verdict.error);
    }
  }
  return finish();
}

// Replaces `path` with `text` so that a crash leaves either the old file or the new one: a
// witness that lost its state could be talked into signing a rewritten history.
core::Result<void> write_atomically(const fs::path& path, std::string_view text) {
  const fs::path temporary = path.string() + ".tmp";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return core::Error(reason::kAuditWriteFailed, temporary.string() + ": " + std::strerror(errno));
  bool ok = true;
  for (std::size_t written = 0; ok && written < text.size();) {
    const auto n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) written += static_cast<std::size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  ok = ::close(fd) == 0 && ok;
  if (!ok) return core::Error(reason::kAuditWriteFailed, temporary.string() + ": " + std::strerror(errno));
  std::error_code ec;
  fs::rename(temporary, path, ec);
  if (ec) return core::Error(reason::kAuditWriteFailed, path.string() + ": " + ec.message());
  // The rename itself must reach the disk before the cosignature leaves this machine.
  const int dir = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    (void)::fsync(dir);
    (void)::close(dir);
  }
  return core::ok();
}

int run_witness(const AuditOptions& options, RelayApi& relay, const std::function<std::uint64_t()>& clock,
                std::ostream& out) {
  Report report(out);
  auto log_key = load_log_key(options.log_key);
  if (!log_key) report.unusable("--log-key", log_key.error());
  auto key = core::load_ed25519_key_file(options.key);
  if (!key) report.unusable("--key", key.error());
  if (!core::is_valid_key_name(options.name)) {
    report.unusable("--name", core::Error(core::reason::checkpoint::kBadKeyName, "'" + options.name + "'"));
  }
  const fs::path dir(options.state);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) report.unusable("--state", core::Error(reason::kAuditWriteFailed, options.state + ": " + ec.message()));
  if (report.failed()) return report.finish();
  out << "witness: " << core::vkey_for(options.name, key->public_key(), core::NoteKeyType::kCosignatureV1) << '\n';

  // The last checkpoint this witness cosigned; none on its first run.
  const fs::path state_file = dir / kWitnessStateFile;
  std::optional<core::SignedCheckpoint> previous;
  std::string previous_note;
  if (fs::exists(state_file, ec)) {
    auto loaded = load_checkpoint(state_file, *log_key);
    auto text = read_bounded_file(state_file, core::kMaxNoteBytes);
    if (loaded.error || !text) {
      report.unusable("state", core::Error(reason::kAuditWitnessState,
                                           loaded.error ? loaded.error->message() : text.error().message()));
      return report.finish();
    }
    previous = std::move(loaded.checkpoint);
    previous_note = std::move(text).value();
    report.ok("state", "last cosigned " + describe_body(previous->body));
  } else {
    report.note("state", "no checkpoint cosigned yet: trusting this one on first use");
  }

  std::string note;
  const auto current = fetch_verified(relay, *log_key, note, report);
  if (!current) return report.finish();
  if (previous && !extends(*previous, previous_note, *current, note, relay, report, out)) {
    out << "refusing to cosign: the log is not an extension of the one this witness cosigned\n";
    return report.finish();
  }
  auto cosigned = core::cosign_checkpoint(note, options.name, *key, clock());
  if (!cosigned) {
    report.unusable("cosign", cosigned.error());
    return report.finish();
  }
  // Remembered before it is published: a cosignature out in the world the state does not know of
  // would let the next run accept a fork of it.
  if (auto written = write_atomically(state_file, *cosigned); !written) {
    report.unusable("state", written.error());
    return report.finish();
  }
  report.ok("cosign", "size " + std::to_string(current->body.size) + " cosigned, kept in " + state_file.string());
  const std::string body = nlohmann::json{{"note", *cosigned}}.dump();
  auto posted = relay.request("POST", "/v1/audit/cosignatures", body);
  if (!posted) {
    report.unusable("deliver", posted.error());
  } else if (posted->status != 200) {
    report.unusable("deliver", core::Error(reason::kAuditRelayAnswer, "POST /v1/audit/cosignatures: HTTP " +
                                                                          std::to_string(posted->status) + " " +
                                                                          posted->body));
  } else {
    report.ok("deliver", "the relay accepted the cosignature");
  }
  return report.finish();
}

std::uint64_t system_seconds() {
  const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(since_epoch).count());
}

// ---- keygen

int run_keygen(const AuditOptions& options, std::ostream& out, std::ostream& err) {
  if (!core::is_valid_key_name(options.name)) {
    err << "causeway audit keygen: " << core::reason::checkpoint::kBadKeyName.name << ": '" << options.name
        << "' (non-empty, no spaces, no '+'; e.g. relay.example.com/audit)\n";
    return kExitUnusable;
  }
  const auto key = core::Ed25519PrivateKey::generate();
  if (auto written = core::write_ed25519_key_file(options.out, key); !written) {
    err << "causeway audit keygen: " << written.error().message() << '\n';
    return kExitUnusable;
  }
  const auto type = options.witness_key ? core::NoteKeyType::kCosignatureV1 : core::NoteKeyType::kEd25519;
  out << core::vkey_for(options.name, key.public_key(), type) << '\n';
  return kExitValid;
}

// `audit inclusion` has two forms: CLAIM with --relay asks a live relay; --leaf, --checkpoint and
// --proof (with --index) check files offline. Half of one, or parts of both, would check nothing
// the caller meant, so either is refused.
enum class InclusionForm : std::uint8_t { kRemote, kOffline, kMixed };

constexpr std::string_view kInclusionForms =
    "causeway audit inclusion: either CLAIM --relay URL --log-key K [--witness-key K]... [--json], or --leaf HEX "
    "--checkpoint NOTE --proof FILE --log-key K [--index N]; not a mix\n";

InclusionForm inclusion_form(const AuditOptions& options) {
  const bool remote = !options.claim.empty() || !options.relay.empty() || !options.witnesses.empty() || options.json;
  const bool offline = !options.leaf.empty() || options.index || !options.checkpoint.empty() || !options.proof.empty();
  if (remote && !offline && !options.claim.empty() && !options.relay.empty()) return InclusionForm::kRemote;
  if (offline && !remote && !options.leaf.empty() && !options.checkpoint.empty() && !options.proof.empty()) {
    return InclusionForm::kOffline;
  }
  return InclusionForm::kMixed;
}

}  // namespace

void add_audit_options(CLI::App& audit, AuditOptions& options) {
  audit.require_subcommand(1, 1);

  auto* export_command = audit.add_subcommand("export", "Write a store's audit log and checkpoints to a directory");
  auto* store = export_command
                    ->add_option("--store", options.store,
                                 "The relay's SQLite store; read-only, the relay may keep running")
                    ->type_name("DB");
  auto* config = export_command
                     ->add_option("--config", options.config,
                                  "The relay's config: its relay.store, SQLite or PostgreSQL (a read-only session)")
                     ->type_name("FILE");
  store->excludes(config);
  config->excludes(store);
  export_command->add_option("--out", options.out, "A new or empty directory")->required()->type_name("DIR");
  export_command->callback([&options] { options.action = AuditAction::kExport; });

  auto* verify = audit.add_subcommand("verify", "Check an export offline: leaves, tree, signatures, consistency");
  verify->add_option("dir", options.dir, "The export directory")->required()->type_name("DIR");
  verify
      ->add_option("--log-key", options.log_key,
                   "The log's verifier key (or a file holding it), obtained independently")
      ->required()
      ->type_name("VKEY");
  verify->add_option("--witness", options.witnesses, "A witness's cosignature/v1 verifier key (or file); repeatable")
      ->allow_extra_args(false)
      ->type_name("VKEY");
  verify->add_option("--min-witnesses", options.min_witnesses, "Valid cosignatures each checkpoint needs")
      ->type_name("N");
  verify->callback([&options] { options.action = AuditAction::kVerify; });

  auto* inclusion = audit.add_subcommand(
      "inclusion", "Check a claim's leaves on a relay (CLAIM --relay), or one proof file offline, against a signed checkpoint");
  inclusion->add_option("claim", options.claim, "The claim (0x and 64 hex digits): every leaf the relay logged for it")
      ->type_name("CLAIM");
  inclusion->add_option("--relay", options.relay, "The relay's API, http://host:port (with CLAIM)")->type_name("URL");
  inclusion->add_option("--witness-key", options.witnesses, "With CLAIM: a witness whose cosignature must be on it")
      ->type_name("VKEY");
  inclusion->add_flag("--json", options.json, "With CLAIM: one JSON report");
  inclusion->add_option("--leaf", options.leaf, "Offline: the leaf bytes (an export's \"leaf\")")->type_name("HEX");
  inclusion->add_option("--index", options.index, "Offline: the leaf's index (default: the proof's)")->type_name("N");
  inclusion->add_option("--checkpoint", options.checkpoint, "Offline: the signed checkpoint")->type_name("NOTE");
  inclusion->add_option("--proof", options.proof, "Offline: {\"index\",\"size\",\"hashes\"}")->type_name("FILE");
  inclusion->add_option("--log-key", options.log_key, "The log's verifier key, or a file holding it")
      ->required()
      ->type_name("VKEY");
  inclusion->callback([&options] { options.action = AuditAction::kInclusion; });

  auto* consistency = audit.add_subcommand("consistency", "Check that a newer checkpoint extends an older one");
  consistency->add_option("--old", options.old_checkpoint, "The older signed checkpoint")
      ->required()
      ->type_name("NOTE");
  consistency->add_option("--new", options.new_checkpoint, "The newer signed checkpoint")
      ->required()
      ->type_name("NOTE");
  consistency->add_option("--proof", options.proof, "{\"old_size\",\"size\",\"hashes\"}")
      ->required()
      ->type_name("FILE");
  consistency->add_option("--log-key", options.log_key, "The log's verifier key, or a file holding it")
      ->required()
      ->type_name("VKEY");
  consistency->callback([&options] { options.action = AuditAction::kConsistency; });

  auto* keygen = audit.add_subcommand("keygen", "Generate an Ed25519 log key (mode 0600) and print its verifier key");
  keygen->add_option("--out", options.out, "The new key file; never overwritten")->required()->type_name("FILE");
  keygen->add_option("--name", options.name, "The key name, also the checkpoints' origin")
      ->required()
      ->type_name("NAME");
  keygen->add_flag("--witness", options.witness_key, "A witness key: print its cosignature/v1 (0x04) verifier key");
  keygen->callback([&options] { options.action = AuditAction::kKeygen; });

  auto* checkpoint = audit.add_subcommand("checkpoint", "Fetch a relay's checkpoint and verify its signatures");
  checkpoint->add_option("--relay", options.relay, "The relay's API, http://host:port")->required()->type_name("URL");
  checkpoint->add_option("--log-key", options.log_key, "The log's verifier key, or a file holding it")
      ->required()
      ->type_name("VKEY");
  checkpoint->add_option("--witness-key", options.witnesses, "A witness whose cosignature must be on it; repeatable")
      ->allow_extra_args(false)
      ->type_name("VKEY");
  checkpoint->add_option("--previous", options.previous, "An older checkpoint: check the log only grew since")
      ->type_name("NOTE");
  checkpoint->add_option("--out", options.out, "Save the verified checkpoint (for the next --previous)")
      ->type_name("FILE");
  checkpoint->callback([&options] { options.action = AuditAction::kCheckpoint; });

  auto* witness = audit.add_subcommand(
      "witness", "Cosign a relay's checkpoint after checking it extends the last one this witness cosigned");
  witness->add_option("--relay", options.relay, "The relay's API, http://host:port")->required()->type_name("URL");
  witness->add_option("--log-key", options.log_key, "The log's verifier key, or a file holding it")
      ->required()
      ->type_name("VKEY");
  witness->add_option("--key", options.key, "The witness's Ed25519 key (`audit keygen --witness`)")
      ->required()
      ->type_name("FILE");
  witness->add_option("--name", options.name, "The witness key's name, as in its vkey")->required()->type_name("NAME");
  witness->add_option("--state", options.state, "The witness's own directory: the last checkpoint it cosigned")
      ->required()
      ->type_name("DIR");
  witness->callback([&options] { options.action = AuditAction::kWitness; });

  auto* scan = audit.add_subcommand(
      "scan", "Check every delivery on a target chain (and every acknowledgement) against its verified bundle");
  scan->add_option("--target", options.scan.target, "The target chain's name in the trust anchors")
      ->required()
      ->type_name("CHAIN");
  scan->add_option("--trust", options.scan.trust, "Your own trust anchors")->required()->type_name("FILE");
  scan->add_option("--rpc", options.scan.rpc,
                   "A node of the target chain and of each source chain whose acknowledgements and canonical hashes "
                   "to check: URL or NAME=URL; repeatable")
      ->required()
      ->allow_extra_args(false)
      ->type_name("URL");
  scan->add_option("--canonical", options.scan.canonical, "Canonical block hashes of unsigned chains without --rpc")
      ->type_name("FILE");
  auto* bundles = scan->add_option("--bundles", options.scan.bundles,
                                   "Bundles by claim: an export directory, or a directory of <claim>.json")
                      ->type_name("DIR");
  auto* relay = scan->add_option("--relay", options.scan.relay, "Or fetch them from the relay: /v1/bundles/{claim}")
                    ->type_name("URL");
  bundles->excludes(relay);
  scan->add_option("--from", options.scan.from, "The first block scanned on each chain (default 0)")->type_name("N");
  scan->add_option("--to", options.scan.to, "The last block scanned (default each chain's head)")->type_name("N");
  scan->add_option("--max-range", options.scan.max_range, "Blocks per eth_getLogs (default 1000)")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{100000}))
      ->type_name("N");
  scan->add_flag("--json", options.scan.json, "One JSON document: every event, its justification and the summary");
  scan->callback([&options] { options.action = AuditAction::kScan; });

  audit.footer(
      "verify, inclusion, consistency, checkpoint and witness exit 0 valid, 1 invalid (a named reason says\n"
      "why: a bad signature, an inconsistent, rolled-back or equivocating log), 2 unusable input; 1 wins over 2.\n"
      "scan exits 0 all justified, 1 something unjustified or lacking a bundle, 2 unusable input, 3 some\n"
      "finality not verifiable. export and keygen exit 0, or 2 on failure.");
}

int run_audit(const AuditOptions& options, RelayApi& relay, const std::function<std::uint64_t()>& clock,
              std::ostream& out, std::ostream& err) {
  switch (options.action) {
    case AuditAction::kCheckpoint: return run_checkpoint(options, relay, out);
    case AuditAction::kWitness: return run_witness(options, relay, clock, out);
    case AuditAction::kInclusion: {
      const auto form = inclusion_form(options);
      if (form == InclusionForm::kRemote) return run_claim_inclusion(options, relay, out);
      if (form == InclusionForm::kOffline) return run_inclusion(options, out);
      err << kInclusionForms;
      return kExitUnusable;
    }
    case AuditAction::kScan: return run_scan(options.scan, options.scan.relay.empty() ? nullptr : &relay, out, err);
    default: return run_audit(options, out, err);
  }
}

int run_audit(const AuditOptions& options, std::ostream& out, std::ostream& err) {
  switch (options.action) {
    case AuditAction::kCheckpoint:
    case AuditAction::kWitness:
    case AuditAction::kScan: {
      HttpRelayApi relay(options.action == AuditAction::kScan ? options.scan.relay : options.relay);
      return run_audit(options, relay, system_seconds, out, err);
    }
    case AuditAction::kExport: return run_export(options, out, err);
    case AuditAction::kVerify: return run_verify_export(options, out);
    case AuditAction::kInclusion: {
      const auto form = inclusion_form(options);
      if (form == InclusionForm::kRemote) {
        HttpRelayApi relay(options.relay);
        return run_audit(options, relay, system_seconds, out, err);
      }
      if (form == InclusionForm::kOffline) return run_inclusion(options, out);
      err << kInclusionForms;
      return kExitUnusable;
    }
    case AuditAction::kConsistency: return run_consistency(options, out);
    case AuditAction::kKeygen: return run_keygen(options, out, err);
    case AuditAction::kNone: break;
  }
  err << "causeway audit: choose export, verify, inclusion, consistency, keygen, checkpoint, witness or scan\n";
  return kExitUnusable;
}

}  // namespace causeway::app
