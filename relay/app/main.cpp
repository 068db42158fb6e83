// The `causeway` command line: the one binary operators and auditors run.
#include <CLI/CLI.hpp>

#include <cstdio>

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

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (show_version) {
    print_version();
    return 0;
  }
  if (app.get_subcommands().empty()) {
    std::fputs(app.help().c_str(), stdout);
    return 2;
  }
  return 0;
}
