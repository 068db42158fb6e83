// `causeway verify` / `causeway-verify` (see verify_command.hpp): file handling, a small worker
// pool, and the human and JSON reports around verify::verify_bundle.
#include "relay/app/verify_command.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <mutex>
#include <system_error>
#include <thread>
#include <utility>

#include <nlohmann/json.hpp>

#include "relay/verify/bundle.hpp"
#include "relay/verify/checkpoints.hpp"
#include "relay/verify/json_read.hpp"
#include "relay/verify/trust_anchors.hpp"

namespace causeway::app {
namespace {

namespace fs = std::filesystem;
using verify::Check;
using verify::CheckStatus;
using verify::Outcome;
using verify::Verdict;

// A broken invariant inside verification must not take the other bundles' verdicts down with it.
inline constexpr core::Reason kInternalError{"internal.exception"};

// Above this many bundles a terminal gets a progress line; below it the wait is not noticeable.
inline constexpr std::size_t kProgressThreshold = 8;

// One bundle to verify: where it came from, and an error already known (an empty directory).
struct Item {
  std::string label;
  fs::path path;
  std::optional<core::Error> error;
};

struct ItemResult {
  Verdict verdict;
  bool parsed = false;  // false: the file never became a bundle, so it has no kind
  core::ChainIdentity chain;  // parsed bundles: their chain, block and segment start, for follow_checkpoints
  std::uint64_t block = 0;
  std::uint64_t start = 0;
};

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Expands directories into their *.json files, sorted by name so runs are reproducible.
std::vector<Item> collect_items(const std::vector<std::string>& inputs) {
  std::vector<Item> items;
  for (const auto& input : inputs) {
    const fs::path path(input);
    std::error_code ec;
    if (!fs::is_directory(path, ec)) {
      items.push_back(Item{input, path, std::nullopt});
      continue;
    }
    std::vector<fs::path> files;
    fs::directory_iterator it(path, ec);
    for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
      std::error_code type_ec;
      if (it->path().extension() == ".json" && it->is_regular_file(type_ec)) files.push_back(it->path());
    }
    if (ec) {
      items.push_back(Item{input, path, core::Error(reason::kInputUnreadable, input + ": " + ec.message())});
      continue;
    }
    if (files.empty()) {
      items.push_back(Item{input, path, core::Error(reason::kInputEmptyDirectory, input + ": no *.json file in it")});
      continue;
    }
    std::sort(files.begin(), files.end());
    for (auto& file : files) items.push_back(Item{file.string(), file, std::nullopt});
  }
  return items;
}

// Against the anchors, or with `followed` against those it gives for the bundle.
ItemResult verify_item(const Item& item, const verify::TrustAnchors& anchors,
                       const verify::CanonicalHashSource& canonical,
                       const verify::FollowedCheckpoints* followed = nullptr) {
  if (item.error) return {verify::unusable_input(*item.error), false, {}, 0, 0};
  const verify::BundleLimits limits;
  try {
    auto text = read_bounded_file(item.path, limits.max_json_bytes);
    if (!text) return {verify::unusable_input(text.error()), false, {}, 0, 0};
    auto bundle = verify::parse_bundle(*text, limits);
    if (!bundle) return {verify::unusable_input(std::move(bundle).error().with_context(item.label)), false, {}, 0, 0};
    const core::ChainIdentity chain = bundle->source.chain_identity;
    const std::uint64_t block = bundle->source.block_number;
    const std::uint64_t start = verify::segment_start(*bundle);
    if (followed == nullptr) return {verify::verify_bundle(*bundle, anchors, canonical), true, chain, block, start};
    auto trust = followed->anchors_for(*bundle);
    if (!trust) {
      return {verify::unusable_input(std::move(trust).error().with_context(item.label)), true, chain, block, start};
    }
    return {verify::verify_bundle(*bundle, *trust, canonical), true, chain, block, start};
  } catch (const std::exception& e) {
    return {verify::unusable_input(core::Error(kInternalError, item.label + ": " + e.what())), false, {}, 0, 0};
  }
}

// Where a bundle's segment starts when no bundle given established that checkpoint: the relay may
// have kept it from headers alone, which only a node of the chain can follow.
void note_unfollowed(verify::Verdict& verdict, std::uint64_t start) {
  for (auto& check : verdict.root.children) {
    if (check.name != verify::check::kFinality || check.status != verify::CheckStatus::kFailed) continue;
    check.detail += "; the segment starts at block " + std::to_string(start) +
                    ", a checkpoint no bundle given established: give the bundle that did, or follow the chain's "
                    "headers there with --rpc (the full causeway binary)";
  }
}

// Bundles of signed chains may start at a checkpoint the relay kept: the target of another valid
// bundle (verify/checkpoints.hpp), or a block whose headers it followed over a quiet stretch.
// Those invalid against the pinned anchors alone are verified again in ascending block order,
// each against the targets of the valid ones before it or, where none is there and `open_headers`
// gives a node of the chain, against the checkpoint at its start reached by following the headers.
void follow_checkpoints(const std::vector<Item>& items, std::vector<ItemResult>& results,
                        const verify::TrustAnchors& anchors, const verify::CanonicalHashSource& canonical,
                        const std::vector<std::string>& rpc, const HeaderSourceOpen& open_headers) {
  verify::CheckpointMemory learned;
  std::vector<std::size_t> again;
  for (std::size_t i = 0; i < results.size(); ++i) {
    if (!results[i].parsed || learned.learn(results[i].chain, results[i].verdict)) continue;
    if (results[i].verdict.outcome == Outcome::kInvalid) again.push_back(i);
  }
  std::stable_sort(again.begin(), again.end(),
                   [&](std::size_t a, std::size_t b) { return results[a].block < results[b].block; });
  const verify::FollowedCheckpoints followed(anchors, learned.lookup());
  // Opened at the first start no bundle established, once.
  std::optional<core::Result<std::unique_ptr<verify::HeaderSource>>> headers;
  for (const std::size_t i : again) {
    const verify::ChainAnchor* anchor = anchors.find(results[i].chain);
    const std::uint64_t start = results[i].start;
    const bool unknown = anchor != nullptr && anchor->family == core::ChainFamily::kEvm &&
                         verify::is_signed_mode(anchor->consensus.mode) &&
                         start > anchor->consensus.checkpoint.number && !learned.knows(anchor->chain_identity, start);
    bool followable = false;
    if (unknown && open_headers && !rpc.empty()) {
      if (!headers) headers = open_headers(rpc, anchors);
      if (!*headers) {
        results[i].verdict = verify::unusable_input(core::Error(headers->error()).with_context("--rpc"));
        continue;
      }
      followable = (**headers)->serves(anchor->chain_identity);
    }
    if (followable) {
      if (auto reached = learned.follow_to(*anchor, start, ***headers); !reached) {
        results[i].verdict = verify::unusable_input(std::move(reached).error().with_context(
            items[i].label + ": following the chain's headers to block " + std::to_string(start) + " with --rpc"));
        continue;
      }
    }
    results[i] = verify_item(items[i], anchors, canonical, &followed);
    if (results[i].parsed) learned.learn(results[i].chain, results[i].verdict);
    if (unknown && !followable && results[i].verdict.outcome == Outcome::kInvalid) {
      note_unfollowed(results[i].verdict, start);
    }
  }
}

// Verifies every item on up to `jobs` threads; results keep the input order. The progress line
// is redrawn by this thread only, woken by the workers, so nothing sleeps or polls.
std::vector<ItemResult> verify_all(const std::vector<Item>& items, const verify::TrustAnchors& anchors,
                                   const verify::CanonicalHashSource& canonical, unsigned jobs,
                                   std::ostream* progress) {
  std::vector<ItemResult> results(items.size());
  std::atomic<std::size_t> next{0};
  std::mutex mutex;
  std::condition_variable changed;
  std::size_t done = 0;
  auto work = [&] {
    for (std::size_t i = next++; i < items.size(); i = next++) {
      results[i] = verify_item(items[i], anchors, canonical);
      {
        const std::lock_guard lock(mutex);
        ++done;
      }
      changed.notify_one();
    }
  };
  const std::size_t threads = std::min<std::size_t>(jobs, items.size());
  if (threads <= 1 && progress == nullptr) {
    work();
    return results;
  }
  std::vector<std::jthread> pool;
  pool.reserve(threads);
  for (std::size_t t = 0; t < std::max<std::size_t>(threads, 1); ++t) {
    try {
      pool.emplace_back(work);
    } catch (const std::system_error&) {
      break;  // out of threads: those started (or this one) do the rest
    }
  }
  if (pool.empty()) {
    work();
    return results;
  }
  if (progress != nullptr) {
    std::unique_lock lock(mutex);
    std::size_t percent = 101;
    for (std::size_t shown = 0; shown < items.size();) {
      changed.wait(lock, [&] { return done != shown; });
      shown = done;
      // A terminal redraw per percent, not per bundle: a directory may hold very many.
      if (shown * 100 / items.size() == percent && shown != items.size()) continue;
      percent = shown * 100 / items.size();
      *progress << "\rverifying " << shown << "/" << items.size() << std::flush;
    }
    *progress << "\r\033[K" << std::flush;  // erase the line so the report starts clean
  }
  pool.clear();  // joins
  return results;
}

struct Counts {
  std::size_t valid = 0;
  std::size_t invalid = 0;
  std::size_t unusable = 0;
  std::size_t unverifiable = 0;
  Outcome overall = Outcome::kValid;

  void add(Outcome outcome) {
    switch (outcome) {
      case Outcome::kValid: ++valid; break;
      case Outcome::kInvalid: ++invalid; break;
      case Outcome::kUnusableInput: ++unusable; break;
      case Outcome::kFinalityUnverifiable: ++unverifiable; break;
    }
    overall = verify::worst(overall, outcome);
  }
};

std::string_view mark(CheckStatus status, bool unicode) {
  switch (status) {
    case CheckStatus::kOk: return unicode ? "\u2713" : "+";
    case CheckStatus::kFailed: return unicode ? "\u2717" : "x";
    case CheckStatus::kSkipped: return unicode ? "\u2013" : "-";
    case CheckStatus::kUnverifiable: return "?";
  }
  return "?";
}

// "  ✓ identity    chain "anvil-a", mode confirmations"; a failure or unverifiable check shows
// its reason name before the detail.
void print_check(std::ostream& out, const Check& check, std::size_t depth, bool unicode) {
  constexpr std::size_t kNameWidth = 11;  // "message_id" and a space
  out << std::string(2 * depth, ' ') << mark(check.status, unicode) << ' ' << check.name;
  std::string text;
  if (!check.reason.name.empty()) text = std::string(check.reason.name) + (check.detail.empty() ? "" : ": ");
  text += check.detail;
  if (!text.empty()) {
    out << std::string(check.name.size() < kNameWidth ? kNameWidth - check.name.size() : 1, ' ') << text;
  }
  out << '\n';
  for (const auto& child : check.children) print_check(out, child, depth + 1, unicode);
}

void print_verdict(std::ostream& out, const Item& item, const ItemResult& result, bool unicode) {
  const Verdict& v = result.verdict;
  out << item.label << ": " << verify::outcome_name(v.outcome);
  if (result.parsed) out << " [" << verify::kind_name(v.kind) << "]";
  out << '\n';
  if (v.root.children.empty()) {
    // Never became a bundle: the root alone carries why.
    Check only = v.root;
    only.name = "input";
    print_check(out, only, 1, unicode);
    return;
  }
  for (const auto& check : v.root.children) print_check(out, check, 1, unicode);
}

nlohmann::json summary_json(const Counts& counts, std::size_t total) {
  return {{"total", total},
          {"valid", counts.valid},
          {"invalid", counts.invalid},
          {"unusable_input", counts.unusable},
          {"finality_unverifiable", counts.unverifiable}};
}

std::string dump(const nlohmann::json& j) {
  // File names need not be UTF-8; replace rather than throw.
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

// The blocks of unsigned chains (confirmations, trusted) the readable bundles stand on: what --rpc
// asks the nodes for. A bundle that does not read is left to verify_item to report.
std::vector<WantedBlock> wanted_blocks(const std::vector<Item>& items, const verify::TrustAnchors& anchors) {
  const verify::BundleLimits limits;
  std::vector<WantedBlock> wanted;
  for (const auto& item : items) {
    if (item.error) continue;
    auto text = read_bounded_file(item.path, limits.max_json_bytes);
    if (!text) continue;
    auto bundle = verify::parse_bundle(*text, limits);
    if (!bundle) continue;
    const auto* anchor = anchors.find(bundle->source.chain_identity);
    // FISCO blocks are final by their sealers' signatures, like the signed EVM modes.
    if (anchor == nullptr || anchor->family != core::ChainFamily::kEvm ||
        verify::is_signed_mode(anchor->consensus.mode)) {
      continue;
    }
    wanted.push_back({bundle->source.chain_identity, bundle->source.block_number});
  }
  return wanted;
}

// A failure of the command as a whole (no anchors, bad canonical file): exit 2, nothing verified.
int command_error(const VerifyOptions& options, std::ostream& out, std::ostream& err, const core::Error& error) {
  err << "causeway verify: " << error.message() << '\n';
  if (options.json && !options.quiet) {
    nlohmann::json doc{{"trust", options.trust.empty() ? nlohmann::json(nullptr) : nlohmann::json(options.trust)},
                       {"canonical",
                        options.canonical.empty() ? nlohmann::json(nullptr) : nlohmann::json(options.canonical)},
                       {"error", {{"reason", error.reason().name}, {"detail", error.detail()}}},
                       {"bundles", nlohmann::json::array()},
                       {"summary", summary_json(Counts{}, 0)},
                       {"outcome", verify::outcome_name(Outcome::kUnusableInput)},
                       {"exit_code", verify::exit_code(Outcome::kUnusableInput)}};
    out << dump(doc) << '\n';
  }
  return verify::exit_code(Outcome::kUnusableInput);
}

}  // namespace

core::Result<std::string> read_bounded_file(const fs::path& path, std::size_t max_bytes) {
  const std::string name = path.string();
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (status.type() == fs::file_type::not_found) return core::Error(reason::kInputNotFound, name + ": no such file");
  if (status.type() == fs::file_type::directory) return core::Error(reason::kInputUnreadable, name + ": is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open()) {
    const int saved = errno;
    return core::Error(reason::kInputUnreadable, name + ": " + (saved != 0 ? std::strerror(saved) : "cannot open"));
  }
  // Read in pieces up to one byte past the limit: a size reported by stat is not trusted (pipes,
  // /dev/zero, a file still growing).
  std::string text;
  std::array<char, 1 << 16> buffer{};
  while (text.size() <= max_bytes) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const auto got = static_cast<std::size_t>(in.gcount());
    text.append(buffer.data(), std::min(got, max_bytes + 1 - text.size()));
    if (got < buffer.size()) break;
  }
  if (in.bad()) return core::Error(reason::kInputUnreadable, name + ": read error");
  if (text.size() > max_bytes) {
    return core::Error(reason::kInputTooLarge, name + ": more than " + std::to_string(max_bytes) + " bytes");
  }
  return text;
}

core::Result<CanonicalHashes> parse_canonical_hashes(std::string_view text, const CanonicalHashLimits& limits) {
  namespace jr = verify::json_read;
  CW_TRY(const nlohmann::json root, jr::parse_bounded(text, limits.max_json_bytes, limits.max_depth));
  CW_CHECK(jr::check_object(root, "", {"version", "chains"}));
  CW_TRY(const std::uint64_t version, jr::read_uint(root["version"], "version", 0xffffffff));
  if (version != 1) {
    return core::Error(reason::kCanonicalUnsupportedVersion, "version " + std::to_string(version) + ", expected 1");
  }
  const nlohmann::json& chains = root["chains"];
  if (!chains.is_object()) return jr::bad("chains", "expected an object keyed by chain identity");
  if (chains.size() > limits.max_chains) {
    return jr::bad("chains", "more than " + std::to_string(limits.max_chains) + " chains");
  }
  CanonicalHashes out;
  for (const auto& [key, entry] : chains.items()) {
    const std::string path = jr::field_path("chains", key);
    CW_TRY(const core::ChainIdentity chain, jr::read_fixed<core::ChainIdentity>(nlohmann::json(key), path));
    CW_CHECK(jr::check_object(entry, path, {"blocks"}, {"head"}));
    if (entry.contains("head")) {
      CW_TRY(const std::uint64_t head, jr::read_decimal(entry["head"], jr::field_path(path, "head")));
      out.map.set_head(chain, head);
    }
    const std::string blocks_path = jr::field_path(path, "blocks");
    const nlohmann::json& blocks = entry["blocks"];
    if (!blocks.is_object()) return jr::bad(blocks_path, "expected an object keyed by block number");
    if (out.blocks + blocks.size() > limits.max_blocks) {
      return jr::bad(blocks_path, "more than " + std::to_string(limits.max_blocks) + " blocks in the file");
    }
    for (const auto& [number_text, hash_json] : blocks.items()) {
      const std::string block_path = jr::field_path(blocks_path, number_text);
      CW_TRY(const std::uint64_t number, jr::read_decimal(nlohmann::json(number_text), block_path));
      CW_TRY(const core::Hash32 hash, jr::read_fixed<core::Hash32>(hash_json, block_path));
      out.map.add(chain, number, hash);
      ++out.blocks;
    }
    ++out.chains;
  }
  return out;
}

Console detect_console() {
  Console console;
  const char* locale = nullptr;
  for (const char* name : {"LC_ALL", "LC_CTYPE", "LANG"}) {
    const char* value = std::getenv(name);
    if (value != nullptr && *value != '\0') {
      locale = value;
      break;
    }
  }
  const std::string effective = lower(locale != nullptr ? locale : "");
  console.unicode = effective.find("utf-8") != std::string::npos || effective.find("utf8") != std::string::npos;
  console.progress = ::isatty(STDERR_FILENO) == 1;
  return console;
}

void add_verify_options(CLI::App& command, VerifyOptions& options) {
  command.add_option("bundles", options.inputs, "Bundle files, or directories (every *.json in each, sorted)")
      ->type_name("BUNDLE");
  command.add_option("--trust", options.trust,
                     "Trust anchors (schemas/trust-anchors.schema.json); required: a bundle never vouches for itself")
      ->type_name("FILE");
  command.add_option("--canonical", options.canonical,
                     "Canonical block hashes of unsigned chains (schemas/canonical-hashes.schema.json)")
      ->type_name("FILE");
  auto* json = command.add_flag("--json", options.json, "One JSON document: every verdict tree and the exit code");
  auto* quiet = command.add_flag("-q,--quiet", options.quiet, "Print nothing; only the exit code tells");
  json->excludes(quiet);
  command.add_flag("--ascii", options.ascii, "ASCII marks (+ x - ?) instead of Unicode ones; the default unless the locale is UTF-8");
  command.add_option("-j,--jobs", options.jobs, "Bundles verified in parallel (default: one per hardware thread)")
      ->check(CLI::Range(1u, 1024u))
      ->type_name("N");
  command.footer(
      "A signed chain's bundle may start its segment at the block of another valid bundle given\n"
      "(a checkpoint the relay kept): give every bundle from the pinned checkpoint on.\n\n"
      "Exit codes (the worst over all bundles wins, in this order: 1, 2, 3, 0):\n"
      "  0  valid\n"
      "  1  invalid: some check failed\n"
      "  2  unusable input: a file missing, unreadable, too large or malformed, a chain not in the\n"
      "     trust anchors, or a command-line error\n"
      "  3  inclusion valid but finality not verifiable offline (an unsigned chain without --canonical,\n"
      "     or --rpc of the full causeway binary; causeway-verify links no network code)");
}

int run_verify(const VerifyOptions& options, const Console& console, std::ostream& out, std::ostream& err,
               const CanonicalFetch& fetch, const HeaderSourceOpen& open_headers) {
  if (options.trust.empty()) {
    return command_error(options, out, err,
                         core::Error(reason::kUsage,
                                     "--trust FILE is required: bundles are verified against your own trust anchors "
                                     "(schemas/trust-anchors.schema.json), never against anything they carry"));
  }
  if (options.inputs.empty()) {
    return command_error(options, out, err, core::Error(reason::kUsage, "no bundle given (files or directories)"));
  }
  const verify::TrustAnchorLimits anchor_limits;
  auto anchors_text = read_bounded_file(options.trust, anchor_limits.max_json_bytes);
  if (!anchors_text) return command_error(options, out, err, std::move(anchors_text).error().with_context("trust anchors"));
  auto anchors = verify::parse_trust_anchors(*anchors_text, anchor_limits);
  if (!anchors) {
    return command_error(options, out, err, std::move(anchors).error().with_context("trust anchors " + options.trust));
  }

  std::optional<CanonicalHashes> canonical;
  if (!options.canonical.empty()) {
    const CanonicalHashLimits canonical_limits;
    auto canonical_text = read_bounded_file(options.canonical, canonical_limits.max_json_bytes);
    if (!canonical_text) {
      return command_error(options, out, err, std::move(canonical_text).error().with_context("canonical hashes"));
    }
    auto parsed = parse_canonical_hashes(*canonical_text, canonical_limits);
    if (!parsed) {
      return command_error(options, out, err,
                           std::move(parsed).error().with_context("canonical hashes " + options.canonical));
    }
    canonical = std::move(parsed).value();
  }
  const std::vector<Item> items = collect_items(options.inputs);
  if (!options.rpc.empty()) {
    if (!fetch || canonical) {
      return command_error(options, out, err,
                           core::Error(reason::kUsage, fetch ? "--rpc and --canonical exclude each other"
                                                             : "--rpc needs the full causeway binary"));
    }
    auto fetched = fetch(options.rpc, *anchors, wanted_blocks(items, *anchors));
    if (!fetched) return command_error(options, out, err, std::move(fetched).error().with_context("--rpc"));
    canonical = CanonicalHashes{std::move(fetched).value(), options.rpc.size(), 0};
  }
  const verify::NoCanonicalHashes no_canonical;
  const verify::CanonicalHashSource& source =
      canonical ? static_cast<const verify::CanonicalHashSource&>(canonical->map) : no_canonical;

  const unsigned jobs = options.jobs != 0 ? options.jobs : std::max(1u, std::thread::hardware_concurrency());
  const bool show_progress = console.progress && !options.quiet && items.size() > kProgressThreshold;
  std::vector<ItemResult> results = verify_all(items, *anchors, source, jobs, show_progress ? &err : nullptr);
  follow_checkpoints(items, results, *anchors, source, options.rpc, open_headers);

  Counts counts;
  for (const auto& r : results) counts.add(r.verdict.outcome);
  const int code = verify::exit_code(counts.overall);
  if (options.quiet) return code;

  if (options.json) {
    nlohmann::json bundles = nlohmann::json::array();
    for (std::size_t i = 0; i < items.size(); ++i) {
      nlohmann::json entry = verify::verdict_to_json(results[i].verdict);
      entry["path"] = items[i].label;
      if (!results[i].parsed) entry["kind"] = nullptr;  // never read as a bundle: no kind to report
      bundles.push_back(std::move(entry));
    }
    const nlohmann::json doc{
        {"trust", options.trust},
        {"canonical", options.canonical.empty() ? nlohmann::json(nullptr) : nlohmann::json(options.canonical)},
        {"bundles", std::move(bundles)},
        {"summary", summary_json(counts, items.size())},
        {"outcome", verify::outcome_name(counts.overall)},
        {"exit_code", code}};
    out << dump(doc) << '\n';
    return code;
  }

  const bool unicode = console.unicode && !options.ascii;
  out << "trust anchors: " << options.trust << " (" << anchors->chains.size() << " chains)\n";
  if (!options.rpc.empty()) {
    out << "canonical hashes: from " << options.rpc.size() << (options.rpc.size() == 1 ? " live node" : " live nodes")
        << " (--rpc)\n";
  } else if (canonical) {
    out << "canonical hashes: " << options.canonical << " (" << canonical->chains << " chains, " << canonical->blocks
        << " blocks)\n";
  } else {
    out << "canonical hashes: none (unsigned chains' finality cannot be verified offline)\n";
  }
  for (std::size_t i = 0; i < items.size(); ++i) {
    out << '\n';
    print_verdict(out, items[i], results[i], unicode);
  }
  out << '\n'
      << items.size() << (items.size() == 1 ? " bundle: " : " bundles: ") << counts.valid << " valid, "
      << counts.invalid << " invalid, " << counts.unusable << " unusable, " << counts.unverifiable
      << " unverifiable; exit code " << code << " (" << verify::outcome_name(counts.overall) << ")\n";
  return code;
}

}  // namespace causeway::app
