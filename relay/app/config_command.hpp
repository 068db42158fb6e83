// `causeway config check FILE` and `causeway config from-manifest MANIFEST`: the operator's view
// of the config loader, and the devnet's config written from its deployment manifest.
#pragma once

#include <ostream>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "relay/core/result.hpp"

namespace CLI {
class App;
}  // namespace CLI

namespace causeway::app {

enum class ConfigAction { kNone, kCheck, kFromManifest };

// What the command line asked for; add_config_commands fills it, tests build it directly.
struct ConfigCommandOptions {
  ConfigAction action = ConfigAction::kNone;  // set when `config check` or `config from-manifest` ran
  std::string file{};                         // check: the config file
  std::string manifest{};                     // from-manifest: schemas/deployment.schema.json
  std::string out{};                          // from-manifest: output file; empty: standard output
  std::string store{};                        // from-manifest: relay.store; empty: relay.db beside the manifest
  std::string listen{};                       // from-manifest: relay.listen; empty: the default
};

// Adds `config` with its `check` and `from-manifest` subcommands to `app`.
void add_config_commands(CLI::App& app, ConfigCommandOptions& options);

// Runs the chosen subcommand: results on `out`, errors on `err`. 0 on success, 2 when an input
// is unusable (the error names the file and the field path).
int run_config_command(const ConfigCommandOptions& options, std::ostream& out, std::ostream& err);

struct ManifestOptions {
  std::string store;   // relay.store, required
  std::string listen;  // relay.listen; empty leaves the default
};

// The config of one relay serving the deployment `manifest` describes: each manifest chain with
// its http endpoint, gateway, deploy block as start height, gas key file and the attesters'
// threshold, consensus `confirmations: 1`; keys.vote[0] as the vote key; a lane each way between
// every two chains one of which trusts the other. Paths only: no key file is opened.
core::Result<nlohmann::ordered_json> config_from_manifest(const nlohmann::json& manifest,
                                                          const ManifestOptions& options);

// YAML that reads back to `config` under config_loader.hpp's rule (strings double-quoted), led by
// `comment` (lines without "# ").
std::string config_to_yaml(const nlohmann::ordered_json& config, std::string_view comment);

}  // namespace causeway::app
