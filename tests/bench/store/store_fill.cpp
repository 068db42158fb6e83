// Fills a new relay store with N messages in the states a relay leaves them in, through the Store
// API in group commits, then measures Store::open on it: the store half of issue 5's targets
// (restart-to-ready with 1,000,000 messages stored, memory with 100,000 pending): Store::open as
// the relay does it (quick_check deferred) and the quick_check it then runs beside. Driven by
// `tests/bench/relay_bench.sh store`, which also starts `causeway relay` on the filled store.
//
//   causeway_store_fill --store FILE --messages N [--pending P] [--bundle-bytes B] [--group G]
//       [--src-chain 0x.. --src-gateway 0x.. --dst-chain 0x.. --dst-gateway 0x.. --receiver 0x..]
//   causeway_store_fill --store FILE --open-only
//
// The first N - P messages completed: observed, verified (with their proof bundle), voted (one
// deliver transaction per 50), executed_ok (with the execution and its bundle) and acknowledged:
// four audit leaves each. The last P are
// pending: verified with their bundle, as when the target chain is down. Half the messages go on
// the ordered lane. Bundles are filler of B bytes; the submission journal is not filled (one
// durable commit per record would dominate the fill, and nothing reads it at open).
// Prints one JSON object: fill and open seconds, the open report, the file size, and with
// --open-only the process's peak RSS, which is then the open's alone.
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "relay/core/bytes.hpp"
#include "relay/core/hash.hpp"
#include "relay/core/message.hpp"
#include "relay/store/store.hpp"

namespace causeway::bench {
namespace {

namespace reason {
// The fill needs a store of its own: added to an existing one, its messages would mix with others.
inline constexpr core::Reason kStoreExists{"store_fill.store_exists"};
inline constexpr core::Reason kBadArgument{"store_fill.bad_argument"};
}  // namespace reason

using Seconds = std::chrono::duration<double>;
using Steady = std::chrono::steady_clock;

// Messages per deliver transaction of the filled history: the engine's default batch.
constexpr std::uint64_t kDeliverBatch = 50;
// The Probe payload of the benchmark: four head words and 32 bytes of filler.
constexpr std::size_t kPayloadBytes = 160;
constexpr std::uint64_t kMessageGas = 100'000;

struct Options {
  std::string store;
  std::uint64_t messages = 0;
  std::uint64_t pending = 0;
  std::size_t bundle_bytes = 4096;
  std::size_t group = 1000;
  bool open_only = false;
  // Defaults stand for any two chains; the benchmark passes its devnet's so the config's lanes
  // match the stored messages.
  std::string src_chain = "0x" + std::string(62, '0') + "0a";
  std::string src_gateway = "0x" + std::string(38, '0') + "aa";
  std::string dst_chain = "0x" + std::string(62, '0') + "0b";
  std::string dst_gateway = "0x" + std::string(38, '0') + "bb";
  std::string receiver = "0x" + std::string(38, '0') + "cc";
};

// The parts every filled message shares.
struct Shape {
  core::ChainIdentity src_chain;
  core::Word32 src_gateway;
  core::ChainIdentity dst_chain;
  core::Word32 dst_gateway;
  core::Word32 receiver;
};

core::Result<Shape> shape_of(const Options& o) {
  Shape s;
  CW_TRY(s.src_chain, core::fixed_from_hex<core::ChainIdentity>(o.src_chain));
  CW_TRY(s.dst_chain, core::fixed_from_hex<core::ChainIdentity>(o.dst_chain));
  CW_TRY(const auto src_gateway, core::fixed_from_hex<core::Address>(o.src_gateway));
  CW_TRY(const auto dst_gateway, core::fixed_from_hex<core::Address>(o.dst_gateway));
  CW_TRY(const auto receiver, core::fixed_from_hex<core::Address>(o.receiver));
  s.src_gateway = core::address_word(src_gateway);
  s.dst_gateway = core::address_word(dst_gateway);
  s.receiver = core::address_word(receiver);
  return s;
}

// keccak256(tag ‖ n): distinct, stable stand-ins for claims and transaction hashes.
core::Hash32 tagged(std::string_view tag, std::uint64_t n) {
  core::Bytes data(core::as_bytes(tag).begin(), core::as_bytes(tag).end());
  for (int shift = 56; shift >= 0; shift -= 8) data.push_back(static_cast<std::uint8_t>(n >> shift));
  return core::keccak256(data);
}

template <typename Fixed>
Fixed as(const core::Hash32& hash) {
  Fixed out;
  out.bytes = hash.bytes;
  return out;
}

// Message i (0-based): even ones on the unordered lane, odd ones on the ordered lane, each lane
// numbered from 1.
core::Message message_at(const Shape& s, std::uint64_t i) {
  core::Message m;
  m.src_chain = s.src_chain;
  m.src_gateway = s.src_gateway;
  m.dst_chain = s.dst_chain;
  m.dst_gateway = s.dst_gateway;
  m.receiver = s.receiver;
  m.sender = s.receiver;
  m.sequence = core::Sequence{i / 2 + 1};
  m.gas_limit = kMessageGas;
  m.flags = i % 2 == 0 ? 0 : core::kFlagOrdered;
  m.payload = core::Bytes(kPayloadBytes, 0);
  for (int k = 0; k < 8; ++k) m.payload[31 - k] = static_cast<std::uint8_t>(i >> (8 * k));
  return m;
}

std::string bundle_body(const core::MessageId& id, std::size_t bytes) {
  std::string body = R"({"id":")" + core::to_hex(id) + R"(","filler":")";
  body.append(bytes > body.size() + 2 ? bytes - body.size() - 2 : 0, '0');
  return body + R"("})";
}

store::Transition step(const core::MessageId& id, store::MessageState to, const core::Hash32& evidence,
                       std::optional<core::Claim> claim = std::nullopt) {
  store::Transition t;
  t.id = id;
  t.to = to;
  t.evidence = evidence;
  t.claim = claim;
  return t;
}

// Adds message i to `batch` with every step it has been through.
void add_message(const Shape& shape, const Options& o, std::uint64_t i, store::WriteBatch& batch) {
  using store::MessageState;
  const core::Message m = message_at(shape, i);
  const core::MessageId id = core::message_id(m);
  const auto claim = as<core::Claim>(tagged("sent", i));
  const std::string body = bundle_body(id, o.bundle_bytes);
  batch.observed.push_back({m, claim});
  batch.bundles.push_back({claim, id, body, true});
  batch.transitions.push_back(step(id, MessageState::kVerified, core::keccak256(core::as_bytes(body)), claim));
  if (i >= o.messages - o.pending) return;

  const core::Hash32 deliver_tx = tagged("deliver", i / kDeliverBatch);
  const auto executed_claim = as<core::Claim>(tagged("executed", i));
  batch.bundles.push_back({executed_claim, id, bundle_body(id, o.bundle_bytes), true});
  batch.executions.push_back({id, executed_claim, core::ExecStatus::kOk, deliver_tx, i / kDeliverBatch + 1});
  batch.transitions.push_back(step(id, MessageState::kVoted, deliver_tx));
  batch.transitions.push_back(step(id, MessageState::kExecutedOk, deliver_tx));
  batch.transitions.push_back(step(id, MessageState::kAcknowledged, tagged("ack", i), executed_claim));
}

std::uint64_t file_bytes(const std::string& path) {
  std::uint64_t total = 0;
  for (const char* suffix : {"", "-wal"}) {
    std::error_code ignored;
    const auto size = std::filesystem::file_size(path + suffix, ignored);
    if (!ignored) total += size;
  }
  return total;
}

// VmHWM of this process in KiB; 0 where /proc is not there.
std::uint64_t peak_rss_kib() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == "VmHWM:") {
      std::uint64_t kib = 0;
      status >> kib;
      return kib;
    }
    status.ignore(4096, '\n');
  }
  return 0;
}

core::Result<nlohmann::json> fill(const Options& o) {
  if (std::filesystem::exists(o.store)) return core::Error(reason::kStoreExists, o.store);
  if (o.pending > o.messages) return core::Error(reason::kBadArgument, "--pending is more than --messages");
  CW_TRY(const Shape shape, shape_of(o));
  const auto started = Steady::now();
  CW_TRY(auto store, store::Store::open(o.store));
  for (std::uint64_t first = 0; first < o.messages; first += o.group) {
    store::WriteBatch batch;
    for (std::uint64_t i = first; i < std::min(o.messages, first + o.group); ++i) add_message(shape, o, i, batch);
    CW_CHECK(store->batch(batch));
  }
  CW_CHECK(store->close());
  return nlohmann::json{{"messages", o.messages},
                        {"pending", o.pending},
                        {"bundle_bytes", o.bundle_bytes},
                        {"group", o.group},
                        {"fill_seconds", Seconds(Steady::now() - started).count()}};
}

// As the relay opens its store: quick_check deferred, then run beside the open store.
core::Result<nlohmann::json> measure_open(const Options& o) {
  store::StoreOptions options;
  options.defer_quick_check = true;
  const auto started = Steady::now();
  CW_TRY(auto store, store::Store::open(o.store, options));
  const double seconds = Seconds(Steady::now() - started).count();
  const auto& report = store->open_report();
  nlohmann::json out{{"open_seconds", seconds},
                     {"audit_leaves", store->audit_size()},
                     {"integrity_checked", report.integrity_checked},
                     {"unclean_shutdown", report.unclean_shutdown}};
  const auto check_started = Steady::now();
  CW_CHECK(store::Store::quick_check(o.store));
  out["quick_check_seconds"] = Seconds(Steady::now() - check_started).count();
  CW_CHECK(store->close());
  out["file_bytes"] = file_bytes(o.store);
  return out;
}

int run(const Options& o) {
  nlohmann::json out = nlohmann::json::object();
  if (!o.open_only) {
    auto filled = fill(o);
    if (!filled) {
      std::cerr << "store_fill: " << filled.error().message() << "\n";
      return 1;
    }
    out = std::move(filled).value();
  }
  auto opened = measure_open(o);
  if (!opened) {
    std::cerr << "store_fill: " << opened.error().message() << "\n";
    return 1;
  }
  out.update(*opened);
  if (o.open_only) out["peak_rss_kib"] = peak_rss_kib();
  std::cout << out.dump() << "\n";
  return 0;
}

}  // namespace
}  // namespace causeway::bench

int main(int argc, char** argv) {
  CLI::App app{"causeway_store_fill: fill a relay store with messages and time Store::open on it"};
  causeway::bench::Options o;
  app.add_option("--store", o.store, "the store file to create (or, with --open-only, to open)")->required();
  app.add_option("--messages", o.messages, "messages to store");
  app.add_option("--pending", o.pending, "how many of them (the last) stay verified, not yet delivered");
  app.add_option("--bundle-bytes", o.bundle_bytes, "size of each stored proof bundle");
  app.add_option("--group", o.group, "messages per group commit")->check(CLI::PositiveNumber);
  app.add_option("--src-chain", o.src_chain, "source chain identity (0x + 64 hex)");
  app.add_option("--src-gateway", o.src_gateway, "source gateway address");
  app.add_option("--dst-chain", o.dst_chain, "destination chain identity");
  app.add_option("--dst-gateway", o.dst_gateway, "destination gateway address");
  app.add_option("--receiver", o.receiver, "receiver (and sender) address of every message");
  app.add_flag("--open-only", o.open_only, "only time Store::open of an existing store");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  return causeway::bench::run(o);
}
