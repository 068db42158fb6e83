// `causeway messages list|show|retry|park` and `causeway lanes pause|resume`: clients of a running
// relay's REST API (schemas/openapi.yaml) at --api, the relay's relay.listen. Actions need the
// relay's admin token (--token-file, the file relay.api.admin_token_file names); reads need it
// only where relay.api.public_reads is false.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include "relay/app/api_client.hpp"

namespace CLI {
class App;
}  // namespace CLI

namespace causeway::app {

enum class OperatorAction : std::uint8_t {
  kNone,
  kListMessages,
  kShowMessage,
  kRetryMessage,
  kParkMessage,
  kSkipMessage,
  kPauseLane,
  kResumeLane,
};

// What the command line asked for; add_operator_commands fills it, tests may build it directly.
struct OperatorOptions {
  OperatorAction action = OperatorAction::kNone;
  std::string api = "http://127.0.0.1:9464";
  std::string token_file{};
  std::string ca_file{};    // https: the CA the relay's certificate must chain to
  std::string cert_file{};  // https: a client certificate (mTLS), with key_file
  std::string key_file{};
  std::string id{};      // show, retry, park: a message id
  std::string lane{};    // pause, resume: a lane name; list: a filter
  std::string state{};   // list: a filter
  std::optional<std::uint32_t> limit{};  // list: the page size
  std::string cursor{};  // list: where to go on (a previous page's next cursor)
  bool all = false;      // list: follow every page
  std::string reason{};  // park, pause
  bool json = false;     // print the API's JSON answers as they are
};

// Registers `messages` and `lanes` under `app`; each action sets options.action when chosen.
void add_operator_commands(CLI::App& app, OperatorOptions& options);

// Exit 0 done; 1 the relay refused (its error code and message are printed); 2 unusable input (a
// bad option, an unreadable token file); 3 the relay could not be reached.
int run_operator_command(const OperatorOptions& options, std::ostream& out, std::ostream& err);

}  // namespace causeway::app
