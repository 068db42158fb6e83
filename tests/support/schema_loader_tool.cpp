// Test tool: the C++ loaders' verdict on one document of a schemas/ kind, so a test can hold it
// against the JSON Schema's (tests/audit/schema_examples_test.mjs runs both on every example).
//   schema_loader_tool KIND FILE [--log-key VKEY] [--witness VKEY]
// KIND is a schema's name (config, deployment, message, proof-bundle, trust-anchors, audit-leaf,
// canonical-hashes) or checkpoint (a C2SP signed note; --log-key required). Prints "valid" or
// "invalid: <reason>: <detail>" and exits 0 valid, 1 invalid, 2 unusable (usage, unreadable file).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "relay/app/config_command.hpp"
#include "relay/app/config_loader.hpp"
#include "relay/app/verify_command.hpp"
#include "relay/core/checkpoint.hpp"
#include "relay/core/message_json.hpp"
#include "relay/core/protocol.hpp"
#include "relay/verify/bundle.hpp"
#include "relay/verify/json_read.hpp"
#include "relay/verify/trust_anchors.hpp"

using namespace causeway;
namespace jr = causeway::verify::json_read;

namespace {

constexpr std::string_view kUsage =
    "usage: schema_loader_tool KIND FILE [--log-key VKEY] [--witness VKEY]\n"
    "KIND: config deployment message proof-bundle trust-anchors audit-leaf canonical-hashes checkpoint\n";

// Every example is small; the loaders bound what they read themselves, this only bounds the file.
constexpr std::size_t kMaxFileBytes = 64u << 20;
// The nesting `causeway config from-manifest` allows a manifest.
constexpr std::size_t kMaxManifestDepth = 16;
// What `causeway audit verify` allows one leaves.jsonl line, which holds these fields and more.
constexpr std::size_t kMaxLeafBytes = 4096;

struct Args {
  std::string kind;
  std::string file;
  std::optional<core::VerifierKey> log_key;
  std::optional<core::VerifierKey> witness;
};

// An error about the file itself (missing, unreadable, too large): unusable, not invalid.
bool is_input_error(const core::Error& error) { return error.reason().name.starts_with("input."); }

// A message on its own: the bundle reader's payload bound, the schema's envelope.
core::Result<void> load_message(std::string_view text) {
  const verify::BundleLimits limits;
  CW_TRY(const auto json, jr::parse_bounded(text, limits.max_json_bytes, limits.max_depth));
  CW_CHECK(core::message_from_json(json, core::MessageLimits{limits.max_payload}));
  return core::ok();
}

// An audit-log leaf in its schema form, read with the bounds `causeway audit verify` applies to
// the same fields of a leaves.jsonl line, then encoded as PROTOCOL.md section 7 has it.
core::Result<void> load_audit_leaf(std::string_view text) {
  CW_TRY(const auto json, jr::parse_bounded(text, kMaxLeafBytes, 2));
  CW_CHECK(jr::check_object(json, "", {"kind", "id", "claim", "detail", "time"}));
  constexpr auto kLastKind = static_cast<std::uint64_t>(core::AuditKind::kOrphaned);
  CW_TRY(const std::uint64_t kind, jr::read_uint(json["kind"], "kind", kLastKind));
  if (kind == 0) return jr::bad("kind", "kinds start at 1");
  CW_TRY(const auto id, jr::read_fixed<core::MessageId>(json["id"], "id"));
  CW_TRY(const auto claim, jr::read_fixed<core::Claim>(json["claim"], "claim"));
  CW_TRY(const auto detail, jr::read_fixed<core::Hash32>(json["detail"], "detail"));
  CW_TRY(const std::uint64_t time, jr::read_decimal(json["time"], "time"));
  const auto leaf = core::encode_audit_leaf(static_cast<core::AuditKind>(kind), id, claim, detail, time);
  std::cout << "leaf_hash " << core::to_hex(core::audit_leaf_hash(leaf)) << "\n";
  return core::ok();
}

// What an auditor checks of a checkpoint: the log key's signature, the origin naming that log
// (the relay signs with its log key's name as origin, so another origin is another log's
// checkpoint), and the cosignature of a known witness wherever the note carries one.
core::Result<void> load_checkpoint(std::string_view text, const Args& args) {
  CW_TRY(const auto checkpoint, core::verify_checkpoint(text, *args.log_key));
  if (checkpoint.body.origin != args.log_key->name) {
    return core::Error(core::reason::checkpoint::kBadOrigin,
                       "origin '" + checkpoint.body.origin + "', the log key is '" + args.log_key->name + "'");
  }
  if (!args.witness) return core::ok();
  for (const auto& signature : checkpoint.signatures) {
    if (signature.key_name == args.witness->name && signature.key_id == args.witness->key_id) {
      CW_TRY(const std::uint64_t timestamp, core::verify_cosignature(checkpoint, *args.witness));
      std::cout << "cosigned " << args.witness->name << " at " << timestamp << "\n";
      return core::ok();
    }
  }
  return core::ok();
}

// `causeway config from-manifest` as the devnet runs it: the manifest, then the config it gives
// (refused as the command refuses it; no file is written or opened).
core::Result<void> load_deployment(std::string_view text) {
  CW_TRY(const auto manifest, jr::parse_bounded(text, app::kMaxConfigBytes, kMaxManifestDepth));
  const app::ManifestOptions options{.store = "relay.db", .listen = {}};
  CW_TRY(const auto config, app::config_from_manifest(manifest, options));
  CW_CHECK(app::config_from_json(nlohmann::json(config)));
  return core::ok();
}

core::Result<void> load(const Args& args) {
  if (args.kind == "config") {
    CW_CHECK(app::load_config_file(args.file));
    return core::ok();
  }
  CW_TRY(const std::string text, app::read_bounded_file(args.file, kMaxFileBytes));
  if (args.kind == "deployment") return load_deployment(text);
  if (args.kind == "message") return load_message(text);
  if (args.kind == "audit-leaf") return load_audit_leaf(text);
  if (args.kind == "checkpoint") return load_checkpoint(text, args);
  if (args.kind == "proof-bundle") {
    CW_CHECK(verify::parse_bundle(text));
  } else if (args.kind == "trust-anchors") {
    CW_CHECK(verify::parse_trust_anchors(text));
  } else {
    CW_CHECK(app::parse_canonical_hashes(text));
  }
  return core::ok();
}

std::optional<Args> parse_args(int argc, char** argv) {
  static const std::vector<std::string_view> kinds = {"config",        "deployment", "message",          "proof-bundle",
                                                      "trust-anchors", "audit-leaf", "canonical-hashes", "checkpoint"};
  if (argc < 3) return std::nullopt;
  Args args{argv[1], argv[2], std::nullopt, std::nullopt};
  if (std::find(kinds.begin(), kinds.end(), args.kind) == kinds.end()) return std::nullopt;
  for (int i = 3; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    auto key = core::parse_verifier_key(argv[i + 1]);
    if (!key) {
      std::cerr << "schema_loader_tool: " << flag << ": " << key.error().message() << "\n";
      return std::nullopt;
    }
    if (flag == "--log-key") {
      args.log_key = std::move(key).value();
    } else if (flag == "--witness") {
      args.witness = std::move(key).value();
    } else {
      return std::nullopt;
    }
  }
  // Keys belong to checkpoints only, and a checkpoint cannot be judged without the log's.
  const bool checkpoint = args.kind == "checkpoint";
  if ((argc - 3) % 2 != 0 || checkpoint != args.log_key.has_value() || (!checkpoint && args.witness)) {
    return std::nullopt;
  }
  return args;
}

}  // namespace

int main(int argc, char** argv) {
  const auto args = parse_args(argc, argv);
  if (!args) {
    std::cerr << kUsage;
    return 2;
  }
  const auto loaded = load(*args);
  if (loaded.ok()) {
    std::cout << "valid\n";
    return 0;
  }
  if (is_input_error(loaded.error())) {
    std::cerr << "schema_loader_tool: " << loaded.error().message() << "\n";
    return 2;
  }
  std::cout << "invalid: " << loaded.error().message() << "\n";
  return 1;
}
