// See operator_command.hpp. Each action is one API call (a listing with --all one per page);
// answers are printed as short lines, or as the API's JSON with --json.
#include "relay/app/operator_command.hpp"

#include <CLI/CLI.hpp>

#include <utility>

#include <nlohmann/json.hpp>

namespace causeway::app {
namespace {

using nlohmann::json;

constexpr int kExitDone = 0;
constexpr int kExitRefused = 1;
constexpr int kExitUnusable = 2;
constexpr int kExitUnreachable = 3;

// One command's connection settings and output streams.
struct Context {
  std::string command;  // "causeway messages list", for error lines
  ApiClientOptions client;
  std::ostream& out;
  std::ostream& err;
};

struct Answer {
  int exit = kExitDone;
  json body;
};

// One call. A refusal prints the relay's error code and message; the exit code says which kind
// of failure it was.
Answer call(const Context& c, std::string_view method, const std::string& target, const std::string& body = {}) {
  auto response = api_request(c.client, method, target, body);
  if (!response) {
    c.err << c.command << ": " << response.error().message() << '\n';
    const auto why = response.error().reason();
    const bool unusable = why == reason::api_client::kBadUrl || why == reason::api_client::kTlsConfig;
    return {unusable ? kExitUnusable : kExitUnreachable, {}};
  }
  json parsed = json::parse(response->body, nullptr, false);
  if (response->status >= 300) {
    std::string code = "error";
    std::string message = "HTTP " + std::to_string(response->status);
    if (parsed.is_object() && parsed.contains("error") && parsed["error"].is_object()) {
      code = parsed["error"].value("code", code);
      message = parsed["error"].value("message", message);
    }
    c.err << c.command << ": the relay answered " << response->status << " " << code << ": " << message;
    if (response->status == 401) c.err << " (give the relay's admin token with --token-file)";
    c.err << '\n';
    return {kExitRefused, {}};
  }
  if (parsed.is_discarded()) {
    c.err << c.command << ": the answer is not JSON (is --api a Causeway relay?)\n";
    return {kExitRefused, {}};
  }
  return {kExitDone, std::move(parsed)};
}

std::string text_of(const json& value, std::string_view key) {
  const auto found = value.find(std::string(key));
  return found != value.end() && found->is_string() ? found->get<std::string>() : std::string();
}

int list_messages(const Context& c, const OperatorOptions& o) {
  std::string query;
  auto add = [&query](std::string_view key, const std::string& value) {
    if (value.empty()) return;
    query += (query.empty() ? "?" : "&") + std::string(key) + "=" + encode_path_segment(value);
  };
  add("lane", o.lane);
  add("state", o.state);
  add("limit", o.limit ? std::to_string(*o.limit) : std::string());
  std::string cursor = o.cursor;
  bool header = false;
  for (;;) {
    std::string target = "/v1/messages" + query;
    if (!cursor.empty()) target += (query.empty() ? "?" : "&") + std::string("cursor=") + encode_path_segment(cursor);
    const Answer page = call(c, "GET", target);
    if (page.exit != kExitDone) return page.exit;
    const json& next = page.body.value("next_cursor", json());
    if (o.json) {
      c.out << page.body.dump() << '\n';
    } else {
      if (!header) c.out << "ID  STATE  LANE  SEQUENCE  ATTEMPTS\n";
      header = true;
      for (const auto& m : page.body.value("messages", json::array())) {
        const std::string lane = text_of(m, "lane");
        c.out << text_of(m, "id") << "  " << text_of(m, "state") << "  " << (lane.empty() ? "-" : lane) << "  "
              << text_of(m.value("message", json::object()), "sequence") << "  " << m.value("attempts", 0) << '\n';
      }
    }
    if (!next.is_string()) return kExitDone;
    if (!o.all) {
      if (!o.json) c.out << "more: --cursor " << next.get<std::string>() << " (or --all)\n";
      return kExitDone;
    }
    cursor = next.get<std::string>();
  }
}

int show_message(const Context& c, const OperatorOptions& o) {
  const Answer answer = call(c, "GET", "/v1/messages/" + encode_path_segment(o.id));
  if (answer.exit != kExitDone) return answer.exit;
  c.out << (o.json ? answer.body.dump() : answer.body.dump(2)) << '\n';
  return kExitDone;
}

// A message action: POST /v1/messages/{id}/<verb>, printing the id and its state after it.
int act_on_message(const Context& c, const OperatorOptions& o, std::string_view verb, const json& body) {
  const Answer answer = call(c, "POST", "/v1/messages/" + encode_path_segment(o.id) + "/" + std::string(verb),
                             body.empty() ? std::string() : body.dump());
  if (answer.exit != kExitDone) return answer.exit;
  if (o.json) {
    c.out << answer.body.dump() << '\n';
  } else {
    c.out << text_of(answer.body, "id") << ' ' << text_of(answer.body, "state");
    // A skip answers before the gateway executed it: its transaction is what to look for.
    if (answer.body.contains("tx_hash")) c.out << " tx " << text_of(answer.body, "tx_hash");
    c.out << '\n';
  }
  return kExitDone;
}

// A lane action: POST /v1/lanes/{name}/<verb>, printing whether the lane is halted after it.
int act_on_lane(const Context& c, const OperatorOptions& o, std::string_view verb, const json& body) {
  const Answer answer = call(c, "POST", "/v1/lanes/" + encode_path_segment(o.lane) + "/" + std::string(verb),
                             body.empty() ? std::string() : body.dump());
  if (answer.exit != kExitDone) return answer.exit;
  if (o.json) {
    c.out << answer.body.dump() << '\n';
  } else {
    const std::string reason = text_of(answer.body, "halt_reason");
    c.out << "lane " << text_of(answer.body, "lane") << ' '
          << (answer.body.value("halted", false) ? "halted" + (reason.empty() ? "" : ": " + reason) : "flowing")
          << '\n';
  }
  return kExitDone;
}

json reason_body(const OperatorOptions& o) { return o.reason.empty() ? json() : json{{"reason", o.reason}}; }

void add_connection_options(CLI::App& command, OperatorOptions& o) {
  command.add_option("--api", o.api, "The relay's API, its relay.listen")->type_name("URL")->capture_default_str();
  // No option turns certificate verification off: a relay with a self-made CA is reached with --ca.
  command.add_option("--ca", o.ca_file, "https: PEM CA file the relay's certificate must chain to (default: the "
                                        "system's CAs)")
      ->type_name("FILE");
  command.add_option("--cert", o.cert_file, "https: PEM client certificate, for a relay that asks for one")
      ->type_name("FILE");
  command.add_option("--key", o.key_file, "https: PEM private key of --cert")->type_name("FILE");
  command.add_option("--token-file", o.token_file, "A file whose first line is the relay's admin token")
      ->type_name("FILE");
  command.add_flag("--json", o.json, "Print the API's JSON answers as they are");
}

}  // namespace

void add_operator_commands(CLI::App& app, OperatorOptions& o) {
  constexpr const char* kExitCodes =
      "Exit codes: 0 done, 1 the relay refused (its reason is printed), 2 unusable input, 3 the relay could not "
      "be reached.";
  auto* messages = app.add_subcommand("messages", "List, show, retry, park and skip messages of a running relay");
  messages->require_subcommand(1, 1);
  messages->footer(kExitCodes);

  auto* list = messages->add_subcommand("list", "List messages, newest first, a page at a time");
  add_connection_options(*list, o);
  list->add_option("--lane", o.lane, "Only this lane's messages")->type_name("NAME");
  list->add_option("--state", o.state, "Only messages in this state (observed, verified, parked ...)")
      ->type_name("STATE");
  list->add_option("--limit", o.limit, "Messages per page (the relay caps it)")->type_name("N");
  list->add_option("--cursor", o.cursor, "Go on from a previous page")->type_name("CURSOR");
  list->add_flag("--all", o.all, "Follow every page");
  list->callback([&o] { o.action = OperatorAction::kListMessages; });

  auto* show = messages->add_subcommand("show", "Show one message: envelope, state, attempts, execution");
  add_connection_options(*show, o);
  show->add_option("id", o.id, "The message id (0x and 64 hex digits)")->required()->type_name("ID");
  show->callback([&o] { o.action = OperatorAction::kShowMessage; });

  auto* retry = messages->add_subcommand("retry", "Send a parked message back to where it was parked (admin)");
  add_connection_options(*retry, o);
  retry->add_option("id", o.id, "The message id")->required()->type_name("ID");
  retry->callback([&o] { o.action = OperatorAction::kRetryMessage; });

  auto* park = messages->add_subcommand("park", "Stop working on a message until it is retried (admin)");
  add_connection_options(*park, o);
  park->add_option("id", o.id, "The message id")->required()->type_name("ID");
  park->add_option("--reason", o.reason, "Why (printable ASCII, at most 200 characters)")->type_name("TEXT");
  park->callback([&o] { o.action = OperatorAction::kParkMessage; });

  auto* skip = messages->add_subcommand(
      "skip", "Skip a parked message of an ordered lane: the gateway marks it skipped (status 4), the lane moves "
              "on and the sender is refunded by its acknowledgement (admin)");
  add_connection_options(*skip, o);
  skip->add_option("id", o.id, "The message id")->required()->type_name("ID");
  skip->callback([&o] { o.action = OperatorAction::kSkipMessage; });

  auto* lanes = app.add_subcommand("lanes", "Pause and resume lanes of a running relay");
  lanes->require_subcommand(1, 1);
  lanes->footer(kExitCodes);
  auto* pause = lanes->add_subcommand("pause", "Hold a lane's deliveries until it is resumed (admin)");
  add_connection_options(*pause, o);
  pause->add_option("name", o.lane, "The lane's name")->required()->type_name("LANE");
  pause->add_option("--reason", o.reason, "Why (printable ASCII, at most 200 characters)")->type_name("TEXT");
  pause->callback([&o] { o.action = OperatorAction::kPauseLane; });
  auto* resume = lanes->add_subcommand("resume", "Let a paused or halted lane flow again (admin)");
  add_connection_options(*resume, o);
  resume->add_option("name", o.lane, "The lane's name")->required()->type_name("LANE");
  resume->callback([&o] { o.action = OperatorAction::kResumeLane; });
}

int run_operator_command(const OperatorOptions& o, std::ostream& out, std::ostream& err) {
  static constexpr std::pair<OperatorAction, const char*> kNames[] = {
      {OperatorAction::kListMessages, "causeway messages list"},
      {OperatorAction::kShowMessage, "causeway messages show"},
      {OperatorAction::kRetryMessage, "causeway messages retry"},
      {OperatorAction::kParkMessage, "causeway messages park"},
      {OperatorAction::kSkipMessage, "causeway messages skip"},
      {OperatorAction::kPauseLane, "causeway lanes pause"},
      {OperatorAction::kResumeLane, "causeway lanes resume"}};
  Context c{"causeway", ApiClientOptions{}, out, err};
  for (const auto& [action, name] : kNames) {
    if (action == o.action) c.command = name;
  }
  c.client.api = o.api;
  c.client.ca_file = o.ca_file;
  c.client.cert_file = o.cert_file;
  c.client.key_file = o.key_file;
  if (!o.token_file.empty()) {
    auto token = read_token_file(o.token_file);
    if (!token) {
      err << c.command << ": --token-file: " << token.error().message() << '\n';
      return kExitUnusable;
    }
    c.client.token = std::move(token).value();
  }
  switch (o.action) {
    case OperatorAction::kListMessages: return list_messages(c, o);
    case OperatorAction::kShowMessage: return show_message(c, o);
    case OperatorAction::kRetryMessage: return act_on_message(c, o, "retry", json());
    case OperatorAction::kParkMessage: return act_on_message(c, o, "park", reason_body(o));
    case OperatorAction::kSkipMessage: return act_on_message(c, o, "skip", json());
    case OperatorAction::kPauseLane: return act_on_lane(c, o, "pause", reason_body(o));
    case OperatorAction::kResumeLane: return act_on_lane(c, o, "resume", json());
    case OperatorAction::kNone: break;
  }
  err << "causeway: choose messages list|show|retry|park|skip or lanes pause|resume\n";
  return kExitUnusable;
}

}  // namespace causeway::app
