// The `causeway` command line: the one binary operators and auditors run.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>

#include "relay/app/anchors_command.hpp"
#include "relay/app/audit_command.hpp"
#include "relay/app/config_command.hpp"
#include "relay/app/governance_command.hpp"
#include "relay/app/keys_command.hpp"
#include "relay/app/live_chain.hpp"
#include "relay/app/metrics_command.hpp"
#include "relay/app/operator_command.hpp"
#include "relay/app/relay_command.hpp"
#include "relay/app/store_command.hpp"
#include "relay/app/verify_command.hpp"
#include "relay/app/version.hpp"

namespace {

void print_version() {
  std::printf("causeway %s (wire protocol %d)\n", causeway::app::kVersion, causeway::app::kProtocolVersion);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Causeway: a cross-chain relay joining private and consortium ledgers"};
  app.require_subcommand(0, 1);
  bool show_version = false;
  app.add_flag("--version", show_version, "Print the version and exit");

  auto* version = app.add_subcommand("version", "Print the version and exit");
  version->callback(print_version);

  causeway::app::VerifyOptions verify_options;
  auto* verify = app.add_subcommand("verify", "Check proof bundles offline against your own trust anchors");
  causeway::app::add_verify_options(*verify, verify_options);
  causeway::app::add_verify_rpc_option(*verify, verify_options);

  causeway::app::ConfigCommandOptions config_options;
  causeway::app::add_config_commands(app, config_options);

  causeway::app::RelayOptions relay_options;
  auto* relay = app.add_subcommand("relay", "Run the relay daemon on a config file");
  causeway::app::add_relay_options(*relay, relay_options);

  // Out of the help's command list (group ""): it is for tools checking dashboards, not operators.
  auto* metrics = app.add_subcommand("metrics", "List the metric families the relay declares (NAME TYPE)");
  metrics->group("");

  causeway::app::KeysOptions keys_options;
  causeway::app::add_keys_command(app, keys_options);

  causeway::app::OperatorOptions operator_options;
  causeway::app::add_operator_commands(app, operator_options);

  causeway::app::GovernanceOptions governance_options;
  causeway::app::add_governance_commands(app, governance_options);

  causeway::app::StoreCommandOptions store_options;
  causeway::app::add_store_commands(app, store_options);

  causeway::app::AnchorsOptions anchors_options;
  causeway::app::add_anchors_commands(app, anchors_options);

  causeway::app::AuditOptions audit_options;
  auto* audit = app.add_subcommand("audit", "Export and verify the signed audit log; check, witness and scan a live relay's history");
  causeway::app::add_audit_options(*audit, audit_options);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help exits 0; a command-line error is unusable input (2), as DESIGN.md section 5 says for verify.
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (show_version) {
    print_version();
    return 0;
  }
  if (*verify) {
    return causeway::app::run_verify(verify_options, causeway::app::detect_console(), std::cout, std::cerr,
                                     causeway::app::live_canonical_fetch(), causeway::app::live_header_source());
  }
  if (config_options.action != causeway::app::ConfigAction::kNone) {
    return causeway::app::run_config_command(config_options, std::cout, std::cerr);
  }
  if (*audit) return causeway::app::run_audit(audit_options, std::cout, std::cerr);
  if (keys_options.action != causeway::app::KeysAction::kNone) {
    return causeway::app::run_keys_command(keys_options, std::cout, std::cerr);
  }
  if (operator_options.action != causeway::app::OperatorAction::kNone) {
    return causeway::app::run_operator_command(operator_options, std::cout, std::cerr);
  }
  if (governance_options.action != causeway::app::GovernanceAction::kNone) {
    return causeway::app::run_governance_command(governance_options, std::cout, std::cerr);
  }
  if (store_options.action != causeway::app::StoreAction::kNone) {
    return causeway::app::run_store_command(store_options, std::cout, std::cerr);
  }
  if (anchors_options.bootstrap) return causeway::app::run_anchors_command(anchors_options, std::cin, std::cout, std::cerr);
  if (*metrics) return causeway::app::run_metrics_command(std::cout);
  if (*relay) return causeway::app::run_relay(relay_options);
  if (app.get_subcommands().empty()) {
    std::fputs(app.help().c_str(), stdout);
    return 2;
  }
  return 0;
}
