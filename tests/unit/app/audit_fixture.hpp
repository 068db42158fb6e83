// What the tests of `causeway audit ... --relay` share: the log's and witness's throwaway keys,
// a checkpoint note signed over a log, and running the audit command line against a stand-in
// relay (each test's own app::RelayApi double serves what its case needs).
#pragma once

#include <catch2/catch.hpp>

#include <CLI/CLI.hpp>

#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "relay/app/audit_command.hpp"
#include "relay/core/checkpoint.hpp"
#include "relay/core/merkle_log.hpp"
#include "tests/unit/store/store_fixtures.hpp"

namespace causeway::test::audit {

inline constexpr std::string_view kOrigin = "relay.example/audit";
inline constexpr std::string_view kWitness = "witness.example/w1";

inline const core::Ed25519PrivateKey& log_key() {
  static const auto key = core::Ed25519PrivateKey::from_seed(core::Bytes(32, 0x11)).value();
  return key;
}
// A key that is not the log's: its checkpoints must be refused.
inline const core::Ed25519PrivateKey& other_key() {
  static const auto key = core::Ed25519PrivateKey::from_seed(core::Bytes(32, 0x22)).value();
  return key;
}
inline const core::Ed25519PrivateKey& witness_key() {
  static const auto key = core::Ed25519PrivateKey::from_seed(core::Bytes(32, 0x33)).value();
  return key;
}
inline std::string log_vkey() { return core::vkey_for(kOrigin, log_key().public_key()); }
inline std::string witness_vkey() {
  return core::vkey_for(kWitness, witness_key().public_key(), core::NoteKeyType::kCosignatureV1);
}

// The log's signed checkpoint note over `log` at its current size.
inline std::string note_of(const core::MerkleLog& log, const core::Ed25519PrivateKey& key = log_key()) {
  core::CheckpointBody body;
  body.origin = std::string(kOrigin);
  body.size = log.size();
  body.root = log.root();
  body.time = kTestTime;
  return core::sign_checkpoint(body, kOrigin, key).value();
}

struct Run {
  int code = -1;
  std::string out;  // stdout then stderr
};

// Parses `args` as `causeway audit ...` would and runs the command against `relay` at time `now`.
inline Run run_audit(const std::vector<std::string>& args, app::RelayApi& relay, std::uint64_t now) {
  CLI::App app{"causeway"};
  app::AuditOptions options;
  auto* audit = app.add_subcommand("audit", "");
  app::add_audit_options(*audit, options);
  std::vector<const char*> argv{"causeway", "audit"};
  for (const auto& arg : args) argv.push_back(arg.c_str());
  app.parse(static_cast<int>(argv.size()), argv.data());
  std::ostringstream out;
  std::ostringstream err;
  Run result;
  result.code = app::run_audit(options, relay, [now] { return now; }, out, err);
  result.out = out.str() + err.str();
  UNSCOPED_INFO(result.out);
  return result;
}

}  // namespace causeway::test::audit
