// The `causeway` command line: the one binary operators and auditors run.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>

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
    return causeway::app::run_verify(verify_options, causeway::app::detect_console(), std::cout, std::cerr);
  }
  if (app.get_subcommands().empty()) {
    std::fputs(app.help().c_str(), stdout);
    return 2;
  }
  return 0;
}
