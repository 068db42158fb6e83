// `causeway messages` and `causeway lanes` (relay/app/operator_command, api_client) against a real
// server with the /v1 routes, a real store and engine, served from a second thread while the
// command blocks as it does on an operator's terminal.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "relay/app/api_client.hpp"
#include "relay/app/operator_command.hpp"
#include "tests/unit/api/v1_fixture.hpp"

using namespace causeway;
using namespace causeway::test;
using causeway::app::OperatorAction;
using causeway::app::OperatorOptions;

namespace {

struct Ran {
  int code = 0;
  std::string out;
  std::string err;
};

// Serves the fixture's server on its own thread for the lifetime of this object; the store and
// the engine are touched only by that thread until it is joined.
class Serving {
 public:
  explicit Serving(V1Fixture& f) : f_(f), guard_(asio::make_work_guard(f.io)), thread_([this] { f_.io.run(); }) {}
  ~Serving() { join(); }
  void join() {
    if (!thread_.joinable()) return;
    guard_.reset();
    f_.io.stop();
    thread_.join();
  }
  std::string api() const { return "http://127.0.0.1:" + std::to_string(f_.server->port()); }

 private:
  V1Fixture& f_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_;
  std::thread thread_;
};

Ran run_operator(const OperatorOptions& options) {
  std::ostringstream out;
  std::ostringstream err;
  const int code = app::run_operator_command(options, out, err);
  return {code, out.str(), err.str()};
}

OperatorOptions command(OperatorAction action, const Serving& serving) {
  OperatorOptions options;
  options.action = action;
  options.api = serving.api();
  return options;
}

}  // namespace

TEST_CASE("operator messages list, show, park and retry against a running API", "[api]") {
  V1Fixture f;
  const auto first = f.put(f.lane_message(1), S::kObserved);
  const auto second = f.put(f.lane_message(2), S::kVerified);
  TempDir dir;
  const std::string token_file = dir.file("token");
  std::ofstream(token_file) << kAdminToken << "\n";
  std::string everything;
  {
    Serving serving(f);
    auto list = command(OperatorAction::kListMessages, serving);
    const Ran listed = run_operator(list);
    REQUIRE(listed.code == 0);
    CHECK(listed.out.rfind("ID  STATE  LANE  SEQUENCE  ATTEMPTS\n", 0) == 0);
    CHECK(listed.out.find(core::to_hex(first) + "  observed  a-to-b  1  0\n") != std::string::npos);
    CHECK(listed.out.find(core::to_hex(second) + "  verified  a-to-b  2  0\n") != std::string::npos);

    list.limit = 1;
    const Ran paged = run_operator(list);
    CHECK(paged.out.find("more: --cursor ") != std::string::npos);
    list.all = true;
    list.json = true;
    const Ran all = run_operator(list);
    REQUIRE(all.code == 0);
    std::istringstream lines(all.out);
    std::size_t pages = 0;
    for (std::string line; std::getline(lines, line);) {
      CHECK(Json::parse(line).at("messages").size() <= 1);
      ++pages;
    }
    CHECK(pages == 2);
    list = command(OperatorAction::kListMessages, serving);
    list.state = "verified";
    list.lane = "a-to-b";
    const Ran filtered = run_operator(list);
    CHECK(filtered.out.find(core::to_hex(first)) == std::string::npos);
    CHECK(filtered.out.find(core::to_hex(second)) != std::string::npos);

    auto show = command(OperatorAction::kShowMessage, serving);
    show.id = core::to_hex(first);
    const Ran shown = run_operator(show);
    REQUIRE(shown.code == 0);
    CHECK(Json::parse(shown.out).at("state") == "observed");
    show.id = core::to_hex(core::message_id(f.lane_message(99)));
    const Ran missing = run_operator(show);
    CHECK(missing.code == 1);
    CHECK(missing.err.find("404 not_found") != std::string::npos);
    show.id = "0xnothex";
    CHECK(run_operator(show).code == 1);

    auto park = command(OperatorAction::kParkMessage, serving);
    park.id = core::to_hex(first);
    park.reason = "operator.hold";
    const Ran refused = run_operator(park);
    CHECK(refused.code == 1);
    CHECK(refused.err.find("401 unauthorized") != std::string::npos);
    CHECK(refused.err.find("--token-file") != std::string::npos);
    park.token_file = token_file;
    const Ran parked = run_operator(park);
    CHECK(parked.code == 0);
    CHECK(parked.out == core::to_hex(first) + " parked\n");
    auto retry = command(OperatorAction::kRetryMessage, serving);
    retry.id = core::to_hex(first);
    retry.token_file = token_file;
    const Ran retried = run_operator(retry);
    CHECK(retried.code == 0);
    CHECK(retried.out == core::to_hex(first) + " observed\n");
    const Ran twice = run_operator(retry);
    CHECK(twice.code == 1);
    CHECK(twice.err.find("409 conflict") != std::string::npos);
    for (const Ran* ran : {&listed, &paged, &all, &filtered, &shown, &missing, &refused, &parked, &retried, &twice}) {
      everything += ran->out + ran->err;
    }
  }
  CHECK(f.store->message(first).value()->state == S::kObserved);
  check_no_secrets(everything);
}

TEST_CASE("operator messages skip prints the relay's refusal by its reason", "[api]") {
  V1Fixture f;
  const auto verified = f.put(f.lane_message(1, true), S::kVerified);
  const auto parked = f.put(f.lane_message(2, true), S::kParked);
  TempDir dir;
  const std::string token_file = dir.file("token");
  std::ofstream(token_file) << kAdminToken << "\n";
  std::string everything;
  {
    Serving serving(f);
    auto skip = command(OperatorAction::kSkipMessage, serving);
    skip.token_file = token_file;
    skip.id = core::to_hex(verified);
    const Ran not_parked = run_operator(skip);
    CHECK(not_parked.code == 1);
    CHECK(not_parked.err.find("409 engine.not_parked") != std::string::npos);
    // The fixture's engine never starts its chains: a skip that would be sent waits for them.
    skip.id = core::to_hex(parked);
    const Ran waiting = run_operator(skip);
    CHECK(waiting.code == 1);
    CHECK(waiting.err.find("503 engine.chain_not_started") != std::string::npos);
    everything = not_parked.out + not_parked.err + waiting.out + waiting.err;
  }
  CHECK(f.store->message(parked).value()->state == S::kParked);
  check_no_secrets(everything);
}

TEST_CASE("operator lanes pause and resume, lane names percent-encoded", "[api]") {
  V1Fixture f;
  TempDir dir;
  const std::string token_file = dir.file("token");
  std::ofstream(token_file) << kAdminToken << "\r\n";
  Serving serving(f);
  auto pause = command(OperatorAction::kPauseLane, serving);
  pause.lane = "b->a";
  pause.reason = "maintenance window";
  pause.token_file = token_file;
  const Ran paused = run_operator(pause);
  REQUIRE(paused.code == 0);
  CHECK(paused.out == "lane b->a halted: paused by an operator: maintenance window\n");
  auto resume = command(OperatorAction::kResumeLane, serving);
  resume.lane = "b->a";
  resume.token_file = token_file;
  const Ran resumed = run_operator(resume);
  CHECK(resumed.code == 0);
  CHECK(resumed.out == "lane b->a flowing\n");
  resume.lane = "c->d";
  const Ran unknown = run_operator(resume);
  CHECK(unknown.code == 1);
  CHECK(unknown.err.find("404") != std::string::npos);
  check_no_secrets(paused.out + paused.err + resumed.out + unknown.err);
}

TEST_CASE("operator commands: unusable input exits 2, an unreachable relay 3", "[api]") {
  OperatorOptions options;
  options.action = OperatorAction::kListMessages;
  // TLS files mean nothing to a plain-HTTP relay.
  options.api = "http://127.0.0.1:9464";
  options.ca_file = "/etc/causeway/tls/ca.pem";
  const Ran tls = run_operator(options);
  CHECK(tls.code == 2);
  CHECK(tls.err.find("api_client.bad_url") != std::string::npos);
  options.ca_file.clear();
  // An unreadable CA file is unusable input too, found before anything is sent.
  options.api = "https://127.0.0.1:9464";
  options.ca_file = "/nonexistent/ca.pem";
  const Ran ca = run_operator(options);
  CHECK(ca.code == 2);
  CHECK(ca.err.find("api_client.tls_config") != std::string::npos);
  options.ca_file.clear();
  options.api = "http://user:secret@127.0.0.1:9464";
  const Ran credentials = run_operator(options);
  CHECK(credentials.code == 2);
  CHECK(credentials.err.find("secret") == std::string::npos);
  options.api = "http://127.0.0.1:1";
  const Ran unreachable = run_operator(options);
  CHECK(unreachable.code == 3);
  CHECK(unreachable.err.find("api_client.unreachable") != std::string::npos);
  options.token_file = "/nonexistent/token";
  CHECK(run_operator(options).code == 2);
  CHECK(run_operator(OperatorOptions{}).code == 2);
}

TEST_CASE("api_client: path segments are percent-encoded; admin tokens come from a file or the environment",
          "[api]") {
  CHECK(app::encode_path_segment("a->b") == "a-%3Eb");
  CHECK(app::encode_path_segment("x y/../z") == "x%20y%2F..%2Fz");
  CHECK(app::encode_path_segment("A.b_c~9") == "A.b_c~9");

  TempDir dir;
  engine::ApiSettings none;
  auto empty = app::load_admin_token(none);
  REQUIRE(empty);
  CHECK(empty->empty());
  engine::ApiSettings from_file;
  from_file.admin_token_file = dir.file("token");
  std::ofstream(from_file.admin_token_file) << kAdminToken << "\nsecond line ignored\n";
  auto read = app::load_admin_token(from_file);
  REQUIRE(read);
  CHECK(*read == kAdminToken);
  std::ofstream(from_file.admin_token_file) << "\n";
  auto blank = app::load_admin_token(from_file);
  REQUIRE_FALSE(blank);
  CHECK(blank.error().message().find("relay.api.admin_token_file") != std::string::npos);
  engine::ApiSettings from_env;
  from_env.admin_token_env = "CAUSEWAY_TEST_ADMIN_TOKEN";
  ::unsetenv("CAUSEWAY_TEST_ADMIN_TOKEN");
  auto unset = app::load_admin_token(from_env);
  REQUIRE_FALSE(unset);
  CHECK(unset.error().message().find("relay.api.admin_token_env") != std::string::npos);
  ::setenv("CAUSEWAY_TEST_ADMIN_TOKEN", std::string(kAdminToken).c_str(), 1);
  auto set = app::load_admin_token(from_env);
  REQUIRE(set);
  CHECK(*set == kAdminToken);
  ::unsetenv("CAUSEWAY_TEST_ADMIN_TOKEN");
}
