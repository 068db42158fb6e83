// `causeway-verify`: the offline verifier alone, built from core and verify only (no network,
// database or adapters), for an auditor who builds it on a bare machine.
#include <CLI/CLI.hpp>

#include <iostream>

#include "relay/app/verify_command.hpp"
#include "relay/app/version.hpp"

int main(int argc, char** argv) {
  CLI::App app{"causeway-verify: check Causeway proof bundles offline against your own trust anchors"};
  causeway::app::VerifyOptions options;
  causeway::app::add_verify_options(app, options);
  app.set_version_flag("--version", std::string("causeway-verify ") + causeway::app::kVersion);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; any other command-line error is unusable input (2).
    return app.exit(e) == 0 ? 0 : 2;
  }
  return causeway::app::run_verify(options, causeway::app::detect_console(), std::cout, std::cerr);
}
