// `causeway audit scan` (see audit_scan.hpp): events from the auditor's nodes, bundles by claim
// from the relay or an export, verdicts from the core verifier, a table or JSON report.
#include "relay/app/audit_scan.hpp"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <system_error>
#include <thread>
#include <utility>

#include <nlohmann/json.hpp>

#include "relay/app/live_chain.hpp"
#include "relay/app/verify_command.hpp"
#include "relay/core/protocol.hpp"
#include "relay/verify/bundle.hpp"
#include "relay/verify/json_read.hpp"
#include "relay/verify/trust_anchors.hpp"
#include "relay/verify/verify.hpp"

namespace causeway::app {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int kExitJustified = 0;
constexpr int kExitUnjustified = 1;
constexpr int kExitUnusable = 2;
constexpr int kExitUnverifiable = 3;
// Bundles fetched between two progress lines.
constexpr std::size_t kProgressEvery = 100;
// Bundles fetched at once.
constexpr std::size_t kFetchThreads = 8;
// Leaves per /v1/audit/leaves page (the API's default maximum).
constexpr std::uint64_t kLeafPage = 500;
// An export's leaves.jsonl line is about 500 bytes.
constexpr std::size_t kMaxLeafLine = 4096;

// One event to justify, with its bundle once fetched.
struct Pending {
  ScanEntry entry;
  std::optional<verify::Bundle> bundle;
};

core::Result<std::uint8_t> status_word(core::ByteView word) {
  for (std::size_t i = 0; i + 1 < word.size(); ++i) {
    if (word[i] != 0) return core::Error(reason::kScanBadEvent, "status above 255");
  }
  const std::uint8_t status = word[word.size() - 1];
  if (status < 1 || status > 4) return core::Error(reason::kScanBadEvent, "status " + std::to_string(status));
  return status;
}

// MessageExecuted(bytes32 indexed id, bytes32 indexed srcChain, uint64 indexed sequence, uint8 status,
// bytes32 claim) and Acknowledged(bytes32 indexed id, uint8 status, bytes32 claim): the id in
// topic 1, status and claim in two data words.
core::Result<ScanEntry> decode_event(const GatewayLog& log, const std::string& chain, bool acknowledgement) {
  const std::size_t topics = acknowledgement ? 2 : 4;
  const std::string where = chain + " block " + std::to_string(log.block_number) + " tx " + core::to_hex(log.tx_hash);
  if (log.topics.size() != topics || log.data.size() != 64) {
    return core::Error(reason::kScanBadEvent, where + ": " + std::to_string(log.topics.size()) + " topics and " +
                                                  std::to_string(log.data.size()) + " data bytes");
  }
  ScanEntry entry;
  entry.chain = chain;
  entry.acknowledgement = acknowledgement;
  entry.block = log.block_number;
  entry.tx_hash = log.tx_hash;
  entry.id = core::MessageId::from(log.topics[1].view()).value();
  auto status = status_word(core::ByteView(log.data).first(32));
  if (!status) return std::move(status).error().with_context(where);
  entry.status = *status;
  entry.claim = core::Claim::from(core::ByteView(log.data).subspan(32)).value();
  return entry;
}

// Where bundles come from: the relay's API or a directory.
class BundleSource {
 public:
  BundleSource(const ScanOptions& options, RelayApi* relay) : options_(options), relay_(relay) {}

  // The bundle of `claim`, nullopt when there is none; an error for an unusable answer.
  // Called from several threads at once: it only reads.
  core::Result<std::optional<std::string>> fetch(const core::Claim& claim, std::string& note) const {
    const std::string name = core::to_hex(claim);
    if (relay_ == nullptr) {
      const fs::path dir(options_.bundles);
      std::error_code ec;
      const fs::path nested = dir / "bundles" / (name + ".json");
      const fs::path file = fs::exists(nested, ec) ? nested : dir / (name + ".json");
      auto text = read_bounded_file(file, verify::BundleLimits{}.max_json_bytes);
      if (!text && text.error().reason() == reason::kInputNotFound) return std::optional<std::string>{};
      if (!text) return std::move(text).error();
      return std::optional<std::string>(std::move(text).value());
    }
    CW_TRY(const auto answer, relay_->request("GET", "/v1/bundles/" + name, {}));
    if (answer.status == 404) return std::optional<std::string>{};
    if (answer.status != 200) {
      return core::Error(reason::kScanBadAnswer, "/v1/bundles/" + name + ": HTTP " + std::to_string(answer.status));
    }
    CW_TRY(const json head, verify::json_read::parse_bounded(answer.body, answer.body.size(), 64));
    if (!head.is_object() || !head.contains("bundle")) {
      return core::Error(reason::kScanBadAnswer, "/v1/bundles/" + name + ": no \"bundle\"");
    }
    // The relay's own verdict is not evidence; its rejection reason is only worth showing.
    if (head.contains("rejection") && head["rejection"].is_object()) {
      note = "the relay rejected it: " + head["rejection"].value("reason", std::string());
    }
    if (head["bundle"].is_null()) return std::optional<std::string>{};
    return std::optional<std::string>(head["bundle"].dump());
  }

  // The ids with a skipped (kind 7) leaf in the relay's log or the export's leaves.jsonl; nullopt
  // when there is no log to look in.
  core::Result<std::optional<std::set<core::MessageId>>> skip_leaves() {
    if (skips_) return skips_;
    std::set<core::MessageId> ids;
    const auto add = [&ids](const json& leaf) -> core::Result<void> {
      CW_TRY(const std::uint64_t kind, verify::json_read::read_uint(leaf.value("kind", json()), "kind", 255));
      if (kind != static_cast<std::uint64_t>(core::AuditKind::kSkipped)) return core::ok();
      CW_TRY(const auto id, verify::json_read::read_fixed<core::MessageId>(leaf.value("id", json()), "id"));
      ids.insert(id);
      return core::ok();
    };
    if (relay_ != nullptr) {
      for (std::uint64_t from = 0;;) {
        const std::string target =
            "/v1/audit/leaves?from=" + std::to_string(from) + "&count=" + std::to_string(kLeafPage);
        CW_TRY(const auto answer, relay_->request("GET", target, {}));
        if (answer.status != 200) {
          return core::Error(reason::kScanBadAnswer, "/v1/audit/leaves: HTTP " + std::to_string(answer.status));
        }
        CW_TRY(const json page, verify::json_read::parse_bounded(answer.body, answer.body.size(), 8));
        if (!page.is_object() || !page.contains("leaves") || !page["leaves"].is_array()) {
          return core::Error(reason::kScanBadAnswer, "/v1/audit/leaves: no \"leaves\"");
        }
        for (const auto& leaf : page["leaves"]) CW_CHECK(add(leaf));
        const std::uint64_t size = page.value("size", std::uint64_t{0});
        from += page["leaves"].size();
        if (page["leaves"].empty() || from >= size) break;
      }
    } else {
      std::ifstream file(fs::path(options_.bundles) / "leaves.jsonl", std::ios::binary);
      if (!file) return skips_;  // a bare bundles directory: no log to look in
      for (std::string line; std::getline(file, line);) {
        if (line.size() > kMaxLeafLine) return core::Error(reason::kInputTooLarge, "leaves.jsonl: a line too long");
        CW_TRY(const json leaf, verify::json_read::parse_bounded(line, kMaxLeafLine, 2));
        CW_CHECK(add(leaf));
      }
    }
    skips_ = std::move(ids);
    return skips_;
  }

 private:
  const ScanOptions& options_;
  RelayApi* relay_;
  std::optional<std::set<core::MessageId>> skips_;
};

void judge(Pending& p, const verify::TrustAnchors& anchors, const verify::CanonicalHashSource& canonical) {
  auto& e = p.entry;
  const verify::Verdict verdict = verify::verify_bundle(*p.bundle, anchors, canonical);
  const auto expected = e.acknowledgement ? verify::BundleKind::kExecution : verify::BundleKind::kMessage;
  if (verdict.outcome == verify::Outcome::kInvalid || verdict.outcome == verify::Outcome::kUnusableInput) {
    const verify::Check* problem = verdict.first_problem();
    e.justification = Justification::kUnjustified;
    // outcome_name gives static strings, so the outcome itself can stand as the reason.
    e.reason = problem != nullptr ? problem->reason : core::Reason{verify::outcome_name(verdict.outcome)};
    e.detail = problem != nullptr ? problem->name + ": " + problem->detail : "";
    return;
  }
  if (p.bundle->kind != expected) {
    e.justification = Justification::kUnjustified;
    e.reason = reason::kScanWrongKind;
    e.detail = "a " + std::string(verify::kind_name(p.bundle->kind)) + " bundle";
    return;
  }
  // What the bundle proves must be exactly what the chain shows: the id, the claim, and for an
  // acknowledgement the destination's status.
  std::string mismatch;
  if (verdict.id != e.id) mismatch = "it proves message " + (verdict.id ? core::to_hex(*verdict.id) : "none");
  if (verdict.claim != e.claim) mismatch = "it proves claim " + (verdict.claim ? core::to_hex(*verdict.claim) : "none");
  if (e.acknowledgement && (!verdict.execution || static_cast<std::uint8_t>(verdict.execution->status) != e.status)) {
    mismatch = "it proves another execution status";
  }
  if (!mismatch.empty()) {
    e.justification = Justification::kUnjustified;
    e.reason = reason::kScanEventMismatch;
    e.detail = mismatch;
    return;
  }
  if (verdict.outcome == verify::Outcome::kFinalityUnverifiable) {
    const verify::Check* problem = verdict.first_problem();
    e.justification = Justification::kUnverifiable;
    e.reason = problem != nullptr ? problem->reason : core::Reason{""};
    e.detail = problem != nullptr ? problem->detail : "";
    return;
  }
  e.justification = Justification::kJustified;
  e.detail = std::string(verify::kind_name(p.bundle->kind)) + " bundle verified";
}

json entry_json(const ScanEntry& e) {
  json out = {{"chain", e.chain},
              {"event", e.acknowledgement ? "Acknowledged" : "MessageExecuted"},
              {"block", e.block},
              {"tx_hash", core::to_hex(e.tx_hash)},
              {"id", core::to_hex(e.id)},
              {"claim", core::to_hex(e.claim)},
              {"status", e.status},
              {"justification", justification_name(e.justification)},
              {"reason", e.reason.name.empty() ? json(nullptr) : json(std::string(e.reason.name))},
              {"detail", e.detail}};
  return out;
}

struct Tally {
  std::map<Justification, std::size_t> deliveries;
  std::map<Justification, std::size_t> acknowledgements;
};

std::string tally_text(const std::map<Justification, std::size_t>& counts) {
  std::string out;
  for (const auto j : {Justification::kJustified, Justification::kUnjustified, Justification::kLacking,
                       Justification::kSkipped, Justification::kUnverifiable}) {
    const auto found = counts.find(j);
    out += (out.empty() ? "" : ", ") + std::to_string(found == counts.end() ? 0 : found->second) + " " +
           std::string(justification_name(j));
  }
  return out;
}

int usage_error(std::ostream& err, const core::Error& error) {
  err << "causeway audit scan: " << error.message() << '\n';
  return kExitUnusable;
}

}  // namespace

std::string_view justification_name(Justification justification) noexcept {
  switch (justification) {
    case Justification::kJustified: return "justified";
    case Justification::kUnjustified: return "unjustified";
    case Justification::kLacking: return "lacking_bundle";
    case Justification::kSkipped: return "skipped";
    case Justification::kUnverifiable: return "finality_unverifiable";
  }
  return "unknown";
}

int run_scan(const ScanOptions& options, RelayApi* relay, std::ostream& out, std::ostream& err) {
  if (options.relay.empty() == options.bundles.empty()) {
    return usage_error(err, core::Error(reason::kUsage, "give exactly one of --relay URL and --bundles DIR"));
  }
  if (!options.relay.empty() && relay == nullptr) {
    return usage_error(err, core::Error(reason::kUsage, "--relay without a client"));
  }
  const verify::TrustAnchorLimits anchor_limits;
  auto anchors_text = read_bounded_file(options.trust, anchor_limits.max_json_bytes);
  if (!anchors_text) return usage_error(err, std::move(anchors_text).error().with_context("--trust"));
  auto anchors = verify::parse_trust_anchors(*anchors_text, anchor_limits);
  if (!anchors) return usage_error(err, std::move(anchors).error().with_context("--trust " + options.trust));
  const auto target = std::find_if(anchors->chains.begin(), anchors->chains.end(),
                                   [&](const verify::ChainAnchor& a) { return a.name == options.target; });
  if (target == anchors->chains.end()) {
    return usage_error(err, core::Error(reason::kUsage, "--target " + options.target + " is not in the trust anchors"));
  }
  verify::CanonicalHashMap canonical;
  if (!options.canonical.empty()) {
    auto text = read_bounded_file(options.canonical, CanonicalHashLimits{}.max_json_bytes);
    if (!text) return usage_error(err, std::move(text).error().with_context("--canonical"));
    auto parsed = parse_canonical_hashes(*text);
    if (!parsed) return usage_error(err, std::move(parsed).error().with_context("--canonical " + options.canonical));
    canonical = std::move(parsed->map);
  }
  auto chains = connect_live_chains(options.rpc, *anchors);
  if (!chains) return usage_error(err, std::move(chains).error().with_context("--rpc"));
  LiveChain* target_chain = find_live_chain(*chains, *target);
  if (target_chain == nullptr) {
    return usage_error(err, core::Error(reason::kUsage, "no --rpc for the target chain " + target->name));
  }

  // ---- the events: MessageExecuted on the target, Acknowledged on every other chain given
  std::vector<Pending> pending;
  for (auto& chain : *chains) {
    const bool acknowledgements = &chain != target_chain;
    auto head = latest_block(chain);
    if (!head) return usage_error(err, std::move(head).error());
    const std::uint64_t to = std::min(options.to.value_or(*head), *head);
    if (to < options.from) continue;
    err << "scanning " << chain.anchor->name << " blocks " << options.from << "-" << to << " for "
        << (acknowledgements ? "Acknowledged" : "MessageExecuted") << '\n';
    auto logs = gateway_logs(chain, chain.anchor->gateway,
                             acknowledgements ? core::kAcknowledgedTopic : core::kMessageExecutedTopic, options.from,
                             to, options.max_range);
    if (!logs) return usage_error(err, std::move(logs).error());
    for (const auto& log : *logs) {
      auto entry = decode_event(log, chain.anchor->name, acknowledgements);
      if (!entry) return usage_error(err, entry.error());
      pending.push_back({std::move(entry).value(), std::nullopt});
    }
  }

  // ---- the bundles, by claim
  BundleSource source(options, relay);
  const auto skipped = [](const ScanEntry& e) {
    return !e.acknowledgement && e.status == static_cast<std::uint8_t>(core::ExecStatus::kSkipped);
  };
  for (auto& p : pending) {
    auto& e = p.entry;
    if (!skipped(e)) continue;
    // A skip has no source event (claim zero): its justification is the Skip votes, recorded as a
    // skip leaf.
    auto skips = source.skip_leaves();
    if (!skips) return usage_error(err, std::move(skips).error().with_context("audit log"));
    if (!*skips) {
      e.justification = Justification::kSkipped;
      e.detail = "skipped (status 4); no audit log given to find its skip leaf in";
    } else if ((*skips)->contains(e.id)) {
      e.justification = Justification::kSkipped;
      e.detail = "skipped (status 4) with a skip leaf in the audit log";
    } else {
      e.justification = Justification::kLacking;
      e.reason = reason::kScanNoSkipLeaf;
      e.detail = "skipped (status 4) without a skip leaf in the audit log";
    }
  }
  // Fetched on a few threads: each bundle is its own round trip to the relay (or file read).
  struct Fetched {
    std::optional<core::Result<std::optional<std::string>>> text;
    std::string note;
  };
  std::vector<Fetched> fetched(pending.size());
  {
    std::atomic<std::size_t> next{0};
    std::atomic<std::size_t> done{0};
    std::mutex progress;
    auto work = [&] {
      for (std::size_t i = next++; i < pending.size(); i = next++) {
        if (skipped(pending[i].entry)) continue;
        fetched[i].text = source.fetch(pending[i].entry.claim, fetched[i].note);
        if (const std::size_t n = ++done; n % kProgressEvery == 0) {
          const std::lock_guard lock(progress);
          err << "fetched " << n << "/" << pending.size() << " bundles\n";
        }
      }
    };
    std::vector<std::jthread> pool;
    for (std::size_t t = 0; t < kFetchThreads; ++t) {
      try {
        pool.emplace_back(work);
      } catch (const std::system_error&) {
        break;  // out of threads: those started (or this one) do the rest
      }
    }
    if (pool.empty()) work();
  }
  for (std::size_t i = 0; i < pending.size(); ++i) {
    auto& p = pending[i];
    auto& e = p.entry;
    if (!fetched[i].text) continue;  // skipped, judged above
    auto& text = *fetched[i].text;
    if (!text) return usage_error(err, std::move(text).error());
    if (!*text) {
      e.justification = Justification::kLacking;
      e.reason = reason::kScanNoBundle;
      e.detail = fetched[i].note.empty() ? "no bundle with this claim" : "no bundle with this claim; " + fetched[i].note;
      continue;
    }
    auto bundle = verify::parse_bundle(**text);
    if (!bundle) {
      e.justification = Justification::kUnjustified;
      e.reason = bundle.error().reason();
      e.detail = bundle.error().detail();
      continue;
    }
    p.bundle = std::move(bundle).value();
  }

  // ---- canonical hashes of the unsigned chains' blocks, from the auditor's own nodes
  std::map<const verify::ChainAnchor*, std::vector<std::uint64_t>> wanted;
  for (const auto& p : pending) {
    if (!p.bundle) continue;
    const auto* anchor = anchors->find(p.bundle->source.chain_identity);
    if (anchor != nullptr && !verify::is_signed_mode(anchor->consensus.mode)) {
      wanted[anchor].push_back(p.bundle->source.block_number);
    }
  }
  for (const auto& [anchor, numbers] : wanted) {
    LiveChain* chain = find_live_chain(*chains, *anchor);
    if (chain == nullptr) continue;  // --canonical may hold them; else finality stays unverifiable
    if (auto added = add_canonical_hashes(*chain, numbers, canonical); !added) return usage_error(err, added.error());
  }

  // ---- verdicts
  Tally tally;
  for (auto& p : pending) {
    if (p.bundle) judge(p, *anchors, canonical);
    auto& counts = p.entry.acknowledgement ? tally.acknowledgements : tally.deliveries;
    ++counts[p.entry.justification];
  }
  const auto count = [](const Tally& t, Justification j) {
    const auto d = t.deliveries.find(j);
    const auto a = t.acknowledgements.find(j);
    return (d == t.deliveries.end() ? 0 : d->second) + (a == t.acknowledgements.end() ? 0 : a->second);
  };
  const int code = count(tally, Justification::kUnjustified) + count(tally, Justification::kLacking) > 0
                       ? kExitUnjustified
                   : count(tally, Justification::kUnverifiable) > 0 ? kExitUnverifiable
                                                                     : kExitJustified;
  if (options.json) {
    json deliveries = json::array();
    json acks = json::array();
    for (const auto& p : pending) (p.entry.acknowledgement ? acks : deliveries).push_back(entry_json(p.entry));
    json summary = json::object();
    for (const auto j : {Justification::kJustified, Justification::kUnjustified, Justification::kLacking,
                         Justification::kSkipped, Justification::kUnverifiable}) {
      const auto d = tally.deliveries.find(j);
      const auto a = tally.acknowledgements.find(j);
      summary["deliveries"][std::string(justification_name(j))] = d == tally.deliveries.end() ? 0 : d->second;
      summary["acknowledgements"][std::string(justification_name(j))] =
          a == tally.acknowledgements.end() ? 0 : a->second;
    }
    const json doc = {{"target", options.target}, {"deliveries", std::move(deliveries)},
                      {"acknowledgements", std::move(acks)}, {"summary", std::move(summary)},
                      {"exit_code", code}};
    out << doc.dump(2) << '\n';
    return code;
  }
  out << "chain  event  block  id  status  justification  [reason: detail]\n";
  for (const auto& p : pending) {
    const auto& e = p.entry;
    out << e.chain << "  " << (e.acknowledgement ? "Acknowledged   " : "MessageExecuted") << "  " << e.block << "  "
        << core::to_hex(e.id) << "  " << static_cast<unsigned>(e.status) << "  " << justification_name(e.justification);
    if (!e.reason.name.empty()) out << "  " << e.reason.name;
    if (e.justification != Justification::kJustified && !e.detail.empty()) out << ": " << e.detail;
    out << '\n';
  }
  out << "\ndeliveries on " << options.target << ": " << tally_text(tally.deliveries) << '\n'
      << "acknowledgements: " << tally_text(tally.acknowledgements) << '\n'
      << "exit code " << code << '\n';
  return code;
}

}  // namespace causeway::app
