// `causeway audit` (see audit_command.hpp): the export writer, the offline verifier of an export,
// single-proof checks and key generation, each printing one line per check.
#include "relay/app/audit_command.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <string_view>
#include <system_error>
#include <utility>

#include <nlohmann/json.hpp>

#include "relay/app/verify_command.hpp"
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

core::Result<ProofFile> read_proof_file(const std::string& path, std::string_view first_field) {
  CW_TRY(const auto text, read_bounded_file(path, kMaxProofFileBytes));
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

core::Result<std::string> export_store(const AuditOptions& options) {
  CW_TRY(auto store, store::Store::open_read_only(options.store));
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
  {
    std::ofstream leaves(dir / kLeavesFile, std::ios::binary);
    for (std::uint64_t i = 0; i < size && leaves; ++i) {
      CW_TRY(const auto entry, store->audit_entry(i));
      if (!entry) return core::Error(store::reason::kAuditMismatch, "audit leaf " + std::to_string(i) + " missing");
      leaves << leaf_json(*entry).dump() << '\n';
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
  CW_TRY(const auto vkey, store->log_vkey());
  if (vkey) CW_CHECK(write_file(dir / kVkeyFile, *vkey + "\n"));
  CW_CHECK(store->close());
  return std::to_string(size) + " leaves, " + std::to_string(written) + " checkpoints" +
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
  CW_TRY(const auto claim, jr::read_fixed<core::Claim>(j["claim"], "claim"));
  CW_TRY(const auto detail, jr::read_fixed<core::Hash32>(j["detail"], "detail"));
  CW_TRY(const std::uint64_t time, jr::read_decimal(j["time"], "time"));
  CW_TRY(out.stated, jr::read_hex(j["leaf"], "leaf", 1024));
  out.leaf = core::encode_audit_leaf(out.kind, id, claim, detail, time);
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

int run_verify_export(const AuditOptions& options, std::ostream& out) {
  Report report(out);
  auto log_key = load_log_key(options.log_key);
  if (!log_key) {
    report.unusable("--log-key", log_key.error());
    return report.finish();
  }
  std::vector<core::VerifierKey> witnesses;
  for (const auto& text : options.witnesses) {
    auto witness = load_verifier_key(text);
    if (!witness) {
      report.unusable("--witness", witness.error());
    } else if (witness->type != core::NoteKeyType::kCosignatureV1) {
      report.unusable("--witness", core::Error(core::reason::checkpoint::kWrongKeyType,
                                               describe(*witness) + ": a witness key has type 0x04"));
    } else {
      witnesses.push_back(std::move(witness).value());
    }
  }
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
  out << core::vkey_for(options.name, key.public_key()) << '\n';
  return kExitValid;
}

}  // namespace

void add_audit_options(CLI::App& audit, AuditOptions& options) {
  audit.require_subcommand(1, 1);

  auto* export_command = audit.add_subcommand("export", "Write a store's audit log and checkpoints to a directory");
  export_command->add_option("--store", options.store, "The relay's store; read-only, the relay may keep running")
      ->required()
      ->type_name("DB");
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

  auto* inclusion = audit.add_subcommand("inclusion", "Check one inclusion proof against a signed checkpoint");
  inclusion->add_option("--leaf", options.leaf, "The leaf bytes (an export's \"leaf\")")->required()->type_name("HEX");
  inclusion->add_option("--index", options.index, "The leaf's index (default: the proof's)")->type_name("N");
  inclusion->add_option("--checkpoint", options.checkpoint, "The signed checkpoint")->required()->type_name("NOTE");
  inclusion->add_option("--proof", options.proof, "{\"index\",\"size\",\"hashes\"}")->required()->type_name("FILE");
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
  keygen->callback([&options] { options.action = AuditAction::kKeygen; });

  audit.footer(
      "verify, inclusion and consistency exit 0 valid, 1 invalid (a named reason says why), 2 unusable input;\n"
      "1 wins over 2. export and keygen exit 0, or 2 on failure.");
}

int run_audit(const AuditOptions& options, std::ostream& out, std::ostream& err) {
  switch (options.action) {
    case AuditAction::kExport: return run_export(options, out, err);
    case AuditAction::kVerify: return run_verify_export(options, out);
    case AuditAction::kInclusion: return run_inclusion(options, out);
    case AuditAction::kConsistency: return run_consistency(options, out);
    case AuditAction::kKeygen: return run_keygen(options, out, err);
    case AuditAction::kNone: break;
  }
  err << "causeway audit: choose export, verify, inclusion, consistency or keygen\n";
  return kExitUnusable;
}

}  // namespace causeway::app
