// The external-adapter check on a live devnet (external_test.sh): runs an adapter command under
// AdapterProcess, polls it through ExternalSource until the expected number of bundles arrived,
// and verifies each with verify::verify_bundle against the trust anchors of the relay config
// (engine::Config::trust_anchors(), as the engine builds them) and canonical hashes read from the
// chain's own node, never from the adapter. Prints one line per bundle and exits 0 when every
// bundle is valid, or with --forged when every bundle is invalid with a named reason.
// --save writes the bundles (schema form) to a file; --executions-from FILE counts and verifies the
// adapter's execution bundles instead, each given the message of FILE's bundle with its id (as the
// engine gives it the message from its store).
//   external_devnet_check --config relay.json --chain a --expect 5 [--forged] [--kill-once]
//                         [--save FILE | --executions-from FILE] [--timeout 90] -- ADAPTER ARGV...
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <map>
#include <iostream>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "adapters/external/process.hpp"
#include "adapters/external/source.hpp"
#include "relay/app/config_loader.hpp"
#include "adapters/evm/rpc_json.hpp"
#include "relay/core/protocol.hpp"
#include "relay/net/client.hpp"
#include "relay/verify/verify.hpp"

namespace {

using namespace causeway;
namespace asio = boost::asio;

struct Options {
  std::string config;
  std::string chain;
  std::size_t expect = 0;
  bool forged = false;
  bool kill_once = false;
  int timeout_seconds = 90;
  std::string save;
  std::string executions_from;
  std::vector<std::string> argv;
};

std::optional<Options> parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--config") {
      o.config = value();
    } else if (a == "--chain") {
      o.chain = value();
    } else if (a == "--expect") {
      o.expect = std::stoul(value());
    } else if (a == "--timeout") {
      o.timeout_seconds = std::stoi(value());
    } else if (a == "--forged") {
      o.forged = true;
    } else if (a == "--save") {
      o.save = value();
    } else if (a == "--executions-from") {
      o.executions_from = value();
    } else if (a == "--kill-once") {
      o.kill_once = true;
    } else if (a == "--") {
      o.argv.assign(argv + i + 1, argv + argc);
      break;
    } else {
      std::cerr << "unknown option " << a << "\n";
      return std::nullopt;
    }
  }
  if (o.config.empty() || o.chain.empty() || o.expect == 0 || o.argv.empty()) return std::nullopt;
  return o;
}

// The head and the hash of every bundle's block, read from `node` after checking by eth_chainId
// and block 0 that it serves `identity`.
core::Result<verify::CanonicalHashMap> canonical_hashes(net::SyncClient& node, const core::ChainIdentity& identity,
                                                        const std::vector<verify::Bundle>& bundles) {
  const auto block_hash = [&](std::uint64_t number) -> core::Result<core::Hash32> {
    CW_TRY(const external::Json block, node.call("eth_getBlockByNumber", {evm::to_quantity(number), false}));
    if (!block.is_object()) return core::Error(external::reason::kBadReply, "no block " + std::to_string(number));
    return evm::data_fixed<core::Hash32>(block["hash"], "hash");
  };
  CW_TRY(const external::Json chain_id, node.call("eth_chainId"));
  CW_TRY(const std::uint64_t id, evm::quantity_u64(chain_id, "eth_chainId"));
  CW_TRY(const core::Hash32 genesis, block_hash(0));
  if (core::chain_identity(core::ChainFamily::kEvm, core::evm_chain_key(id), genesis) != identity) {
    return core::Error(external::reason::kWrongChain, "the node serves another chain than the config's");
  }
  verify::CanonicalHashMap map;
  CW_TRY(const external::Json latest, node.call("eth_blockNumber"));
  CW_TRY(const std::uint64_t head, evm::quantity_u64(latest, "eth_blockNumber"));
  map.set_head(identity, head);
  for (const auto& b : bundles) {
    CW_TRY(const core::Hash32 hash, block_hash(b.source.block_number));
    map.add(identity, b.source.block_number, hash);
  }
  return map;
}

int fail(const std::string& why) {
  std::cerr << "FAIL: " << why << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  const auto options = parse(argc, argv);
  if (!options) {
    std::cerr << "usage: external_devnet_check --config FILE --chain NAME --expect N [--forged] [--kill-once] "
                 "[--timeout S] -- ADAPTER ARGV...\n";
    return 2;
  }
  auto config = app::load_config_file(options->config);
  if (!config) return fail(config.error().message());
  auto anchors = config->trust_anchors();
  if (!anchors) return fail(anchors.error().message());
  const engine::ChainSettings* chain = config->chain(options->chain);
  if (chain == nullptr || chain->endpoints.empty()) return fail("no chain " + options->chain + " with an endpoint");

  asio::io_context io;
  external::ProcessConfig pc;
  pc.name = "evm-node-" + chain->name;
  pc.argv = options->argv;
  for (const char* name : {"PATH", "HOME", "CAUSEWAY_NODE_TOOLS"}) {
    if (const char* v = std::getenv(name); v != nullptr) pc.env.push_back(std::string(name) + "=" + v);
  }
  pc.family = external::Family::kEvm;
  pc.chain_identity = chain->chain_identity;
  pc.call_timeout = std::chrono::seconds(20);
  pc.restart = {.max_attempts = 0, .base = std::chrono::milliseconds(200), .cap = std::chrono::seconds(2)};
  pc.on_stderr = [](std::string_view name, std::string_view line) { std::cerr << "[" << name << "] " << line << "\n"; };
  auto process = external::AdapterProcess::create(io.get_executor(), pc);
  if (!process) return fail(process.error().message());
  external::ExternalSourceConfig sc;
  sc.chain_identity = chain->chain_identity;
  auto source = external::ExternalSource::create(**process, sc);
  if (!source) return fail(source.error().message());

  // The messages an execution bundle needs, by id, from an earlier run's --save.
  const bool executions = !options->executions_from.empty();
  std::map<core::MessageId, core::Message> messages;
  if (executions) {
    std::ifstream in(options->executions_from);
    const auto saved = external::Json::parse(in, nullptr, false);
    if (!saved.is_array()) return fail("cannot read " + options->executions_from);
    for (const auto& j : saved) {
      auto b = verify::bundle_from_json(j);
      if (!b) return fail(b.error().message());
      messages[core::message_id(b->message)] = b->message;
    }
  }
  std::vector<verify::Bundle> bundles;
  std::set<core::Claim> claims;
  int poll_errors = 0;
  std::optional<core::Error> fatal;
  bool killed = false;
  auto drive = [&]() -> asio::awaitable<void> {
    auto started = co_await (*source)->start();
    if (!started) {
      fatal = std::move(started).error();
      co_return;
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(options->timeout_seconds);
    asio::steady_timer pause(io);
    while (bundles.size() < options->expect && std::chrono::steady_clock::now() < deadline) {
      auto poll = co_await (*source)->poll();
      if (!poll) {
        // Expected once with --kill-once (the killed process's EOF); the next poll restarts it.
        std::cerr << "poll: " << poll.error().message() << "\n";
        ++poll_errors;
      } else {
        std::vector<verify::Bundle> polled = std::move(poll->bundles);
        if (executions) {
          polled.clear();
          // The id ExternalSource read from each receipt names the message; the message itself
          // comes from the earlier run, as the engine's comes from its store.
          for (auto& e : poll->executions) {
            const auto found = messages.find(e.id);
            if (found == messages.end()) {
              fatal = core::Error(external::reason::kBadReply, "an execution of an unknown message " + core::to_hex(e.id));
              co_return;
            }
            e.bundle.message = found->second;
            polled.push_back(std::move(e.bundle));
          }
        }
        for (auto& b : polled) {
          if (!claims.insert(b.claim).second) {
            fatal = core::Error(external::reason::kBadReply, "a bundle came twice");
            co_return;
          }
          bundles.push_back(std::move(b));
        }
        if (options->kill_once && !killed && bundles.size() < options->expect) {
          // The adapter dies mid-stream; the relay's cursor, sent with every poll, lets the
          // restarted process carry on without losing or repeating a bundle.
          ::kill((*process)->pid(), SIGKILL);
          killed = true;
        }
      }
      pause.expires_after(std::chrono::milliseconds(500));
      co_await pause.async_wait(asio::use_awaitable);
    }
    auto health = co_await (*process)->call("adapter.health", external::Json::object());
    if (!health) {
      fatal = std::move(health).error();
      co_return;
    }
    if (executions || bundles.size() != options->expect) co_return;
    // Reconciliation's lookup finds the same events again, by sequence.
    evm::FindSentRequest lookup{.dst_chain = bundles[0].message.dst_chain,
                                .sequences = {},
                                .from = chain->start_height,
                                .to = (*source)->cursor().number};
    for (const auto& b : bundles) lookup.sequences.push_back(b.message.sequence.value);
    auto found = co_await (*source)->find_sent(lookup);
    if (!found) {
      fatal = std::move(found).error();
      co_return;
    }
    std::set<core::Claim> again;
    for (const auto& b : found->bundles) again.insert(b.claim);
    if (again != claims) fatal = core::Error(external::reason::kBadReply, "find_sent found other events than poll");
  };
  // The stderr forwarder keeps the context busy while the child lives: stop it when done.
  asio::co_spawn(io, drive(), [&](std::exception_ptr) { io.stop(); });
  io.run_for(std::chrono::seconds(options->timeout_seconds + 30));
  (*process)->stop();
  if (fatal) return fail(fatal->message());
  if (bundles.size() != options->expect) {
    return fail("got " + std::to_string(bundles.size()) + " bundles, expected " + std::to_string(options->expect));
  }
  if (options->kill_once && ((*process)->restarts() == 0 || poll_errors == 0)) {
    return fail("the adapter was killed but never restarted");
  }

  // Canonical hashes from the chain's own node (its first configured endpoint, checked to serve
  // the configured chain): the adapter's word counts for nothing here.
  auto node = net::SyncClient::create({net::EndpointConfig{chain->endpoints[0].url}});
  if (!node) return fail(node.error().message());
  auto canonical = canonical_hashes(**node, chain->chain_identity, bundles);
  if (!canonical) return fail(canonical.error().message());
  if (!options->save.empty()) {
    external::Json saved = external::Json::array();
    for (const auto& b : bundles) saved.push_back(verify::bundle_to_json(b));
    std::ofstream(options->save) << saved.dump();
  }
  std::size_t as_expected = 0;
  for (const auto& b : bundles) {
    const verify::Verdict verdict = verify::verify_bundle(b, *anchors, *canonical);
    const verify::Check* problem = verdict.first_problem();
    const std::string reason = problem != nullptr ? std::string(problem->reason.name) : "";
    std::cout << verify::kind_name(b.kind) << " " << core::to_hex(b.claim) << " block " << b.source.block_number << " sequence "
              << b.message.sequence.value << ": " << verify::outcome_name(verdict.outcome)
              << (reason.empty() ? "" : " " + reason) << "\n";
    const bool ok = options->forged ? verdict.outcome == verify::Outcome::kInvalid && !reason.empty()
                                    : verdict.outcome == verify::Outcome::kValid;
    if (ok) ++as_expected;
  }
  std::cout << "restarts " << (*process)->restarts() << ", poll errors " << poll_errors << "\n";
  if (as_expected != bundles.size()) {
    return fail(std::to_string(bundles.size() - as_expected) + " of " + std::to_string(bundles.size()) +
                " bundles did not verify as expected");
  }
  std::cout << "ok: " << bundles.size() << (options->forged ? " forged bundles refused" : " bundles valid") << "\n";
  return 0;
}
