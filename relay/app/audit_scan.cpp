// `causeway audit scan` (see audit_scan.hpp): events from the auditor's nodes, bundles by claim
// from the relay or an export, verdicts from the core verifier, Skip votes recovered from the
// skip transactions' calldata, a table or JSON report.
#include "relay/app/audit_scan.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>

#include <nlohmann/json.hpp>

#include "adapters/evm/rpc_json.hpp"
#include "adapters/evm/sink.hpp"
#include "relay/app/live_chain.hpp"
#include "relay/app/verify_command.hpp"
#include "relay/core/abi.hpp"
#include "relay/core/hash.hpp"
#include "relay/core/message.hpp"
#include "relay/core/protocol.hpp"
#include "relay/core/secp256k1.hpp"
#include "relay/verify/json_read.hpp"

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

// The gateway's governance events that a skip's votes are checked against (Gateway.sol).
constexpr std::string_view kAttestersRotatedSignature = "AttestersRotated(uint64,address[],uint16)";
constexpr std::string_view kVotesRecordedSignature = "VotesRecorded(bytes32,uint64,uint16)";
// The gateway refuses more than 255 attesters (Gateway.sol MAX_ATTESTERS).
constexpr std::uint64_t kMaxAttesters = 255;
// r ‖ s ‖ v, the only signature length the gateway accepts.
constexpr std::size_t kSignatureSize = std::tuple_size_v<decltype(evm::SkipRequest::signatures)::value_type>;

namespace abi = core::abi;

// One event to justify, with its bundle once fetched.
struct Pending {
  ScanEntry entry;
  FoundBundle found;
};

bool is_skip(const ScanEntry& e) {
  return !e.acknowledgement && e.status == static_cast<std::uint8_t>(core::ExecStatus::kSkipped);
}

core::Result<std::uint64_t> uint_word(core::ByteView word, unsigned bits) {
  return abi::decode(word, 1, [bits](abi::Reader& r) { return r.uint(bits); });
}

// AttestersRotated(uint64 indexed epoch, address[] attesters, uint16 threshold): the epoch in
// topic 1; the data abi.encode(address[], uint16), so the array's offset (two words), the
// threshold, the length and the addresses.
core::Result<AttesterEpoch> decode_rotation(const GatewayLog& log) {
  const std::string where = "AttestersRotated in block " + std::to_string(log.block_number);
  constexpr std::size_t kHead = 3 * abi::kWordSize;
  if (log.topics.size() != 2 || log.data.size() < kHead) {
    return core::Error(reason::kScanBadEvent, where + ": " + std::to_string(log.topics.size()) + " topics and " +
                                                  std::to_string(log.data.size()) + " data bytes");
  }
  AttesterEpoch out;
  out.block = log.block_number;
  auto epoch = uint_word(log.topics[1].view(), 64);
  if (!epoch) return core::Error(reason::kScanBadEvent, where + ": epoch: " + epoch.error().message());
  out.epoch = *epoch;
  const core::ByteView data(log.data);
  auto head = abi::decode(data.first(kHead), 3, [](abi::Reader& r) -> core::Result<std::array<std::uint64_t, 3>> {
    CW_TRY(const auto offset, r.uint(64));
    CW_TRY(const auto threshold, r.uint(16));
    CW_TRY(const auto length, r.uint(64));
    return std::array<std::uint64_t, 3>{offset, threshold, length};
  });
  if (!head) return core::Error(reason::kScanBadEvent, where + ": " + head.error().message());
  const auto [offset, threshold, length] = *head;
  if (offset != 2 * abi::kWordSize || length == 0 || length > kMaxAttesters) {
    return core::Error(reason::kScanBadEvent,
                       where + ": array offset " + std::to_string(offset) + ", " + std::to_string(length) +
                           " attesters");
  }
  out.threshold = static_cast<std::uint16_t>(threshold);
  auto members = abi::decode(data.subspan(kHead), length, [length](abi::Reader& r) {
    std::vector<core::Address> set;
    for (std::uint64_t i = 0; i < length; ++i) {
      auto address = r.address();
      if (!address) return core::Result<std::vector<core::Address>>(std::move(address).error());
      set.push_back(*address);
    }
    return core::Result<std::vector<core::Address>>(std::move(set));
  });
  if (!members) return core::Error(reason::kScanBadEvent, where + ": " + members.error().message());
  out.attesters = std::move(members).value();
  return out;
}

// The epochs that may have been in force at a skip in `block`: the last one announced before it,
// and any announced in that block itself (a log's order within the block is not at hand, and only
// votes of the right epoch can recover to its attesters, so trying each is safe).
std::vector<const AttesterEpoch*> epochs_at(const std::vector<AttesterEpoch>& epochs, std::uint64_t block) {
  const AttesterEpoch* before = nullptr;
  std::vector<const AttesterEpoch*> out;
  for (const auto& epoch : epochs) {
    if (epoch.block < block) before = &epoch;
    if (epoch.block == block) out.push_back(&epoch);
  }
  if (before != nullptr) out.insert(out.begin(), before);
  return out;
}

// The signatures of a direct call skip(msg, sigs) on `gateway` skipping message `id`. The calldata
// must be exactly what the relay's encoder writes (evm::skip_calldata), so any other call with a
// look-alike tail is refused rather than read.
core::Result<std::vector<core::Bytes>> skip_signatures(const SkipTransaction& tx, const core::Address& gateway,
                                                       const core::MessageId& id) {
  if (!tx.to || *tx.to != gateway) {
    return core::Error(reason::kScanSkipCalldataUnreadable,
                       "transaction " + core::to_hex(tx.hash) + " calls " +
                           (tx.to ? core::to_hex(*tx.to) : "no contract") + ", not the gateway");
  }
  const auto unreadable = [&tx](const std::string& why) {
    return core::Error(reason::kScanSkipCalldataUnreadable,
                       "transaction " + core::to_hex(tx.hash) + ": not skip(msg, sigs) calldata: " + why);
  };
  constexpr std::size_t kSelector = 4;
  constexpr std::size_t kHead = 2 * abi::kWordSize;
  if (tx.input.size() < kSelector + kHead) return unreadable(std::to_string(tx.input.size()) + " bytes");
  const core::ByteView args = core::ByteView(tx.input).subspan(kSelector);
  using Offsets = std::pair<std::uint64_t, std::uint64_t>;
  auto offsets = abi::decode(args.first(kHead), 2, [](abi::Reader& r) -> core::Result<Offsets> {
    CW_TRY(const auto message, r.uint(64));
    CW_TRY(const auto signatures, r.uint(64));
    return Offsets{message, signatures};
  });
  if (!offsets) return unreadable(offsets.error().message());
  const auto [message_at, signatures_at] = *offsets;
  if (message_at != kHead || signatures_at < kHead || signatures_at % abi::kWordSize != 0 ||
      signatures_at > args.size() - abi::kWordSize) {
    return unreadable("offsets " + std::to_string(message_at) + " and " + std::to_string(signatures_at));
  }
  // abi.encode(message) is the tuple behind its own 0x20 offset word: decode_message's input.
  core::Bytes encoded(abi::kWordSize, 0);
  encoded.back() = static_cast<std::uint8_t>(abi::kWordSize);
  core::append(encoded, args.subspan(message_at, signatures_at - message_at));
  auto message = core::decode_message(encoded, core::MessageLimits{args.size()});
  if (!message) return unreadable(message.error().message());
  if (const auto skipped = core::message_id(*message); skipped != id) {
    return unreadable("it skips message " + core::to_hex(skipped));
  }
  auto count = uint_word(args.subspan(signatures_at, abi::kWordSize), 64);
  if (!count) return unreadable("signature count: " + count.error().message());
  const core::ByteView elements = args.subspan(signatures_at + abi::kWordSize);
  if (*count > elements.size() / abi::kWordSize) return unreadable(std::to_string(*count) + " signatures");
  std::vector<core::Bytes> signatures;
  if (*count == 0) {
    // An empty skip() only executes votes recorded before; it cannot be re-encoded below (the
    // relay never sends one), and carries no vote whose reading could mislead.
    if (!elements.empty()) return unreadable(std::to_string(elements.size()) + " bytes after the signatures");
    return signatures;
  }
  auto read = abi::decode(elements, *count, [n = *count](abi::Reader& r) {
    std::vector<core::Bytes> out;
    for (std::uint64_t i = 0; i < n; ++i) {
      auto signature = r.bytes(kSignatureSize);
      if (!signature) return core::Result<std::vector<core::Bytes>>(std::move(signature).error());
      out.push_back(std::move(signature).value());
    }
    return core::Result<std::vector<core::Bytes>>(std::move(out));
  });
  if (!read) return unreadable(read.error().message());
  // Re-encoding checks the selector and every remaining choice of layout in one comparison.
  evm::SkipRequest request;
  request.message = std::move(message).value();
  for (const auto& signature : *read) {
    if (signature.size() != kSignatureSize) {
      return unreadable("a signature of " + std::to_string(signature.size()) + " bytes");
    }
    auto& rsv = request.signatures.emplace_back();
    std::copy(signature.begin(), signature.end(), rsv.begin());
  }
  auto expected = evm::skip_calldata(request);
  if (!expected || *expected != tx.input) return unreadable("another function or a non-canonical encoding");
  return std::move(read).value();
}

// What the skip's transactions show for one candidate epoch.
struct SkipTally {
  const AttesterEpoch* epoch = nullptr;
  std::set<core::Address> attesters;  // distinct signers of the epoch's set
  std::size_t signatures = 0;
  std::optional<std::string> outsider;    // a signer outside the set, or a signature that recovers to none
  std::optional<core::Error> unreadable;  // a transaction whose votes could not be read
};

SkipTally tally_skip_votes(const ScanEntry& e, const SkipEvidence& evidence, const AttesterEpoch& epoch,
                           const core::Hash32& separator) {
  SkipTally t;
  t.epoch = &epoch;
  const core::Hash32 digest = core::vote_digest(separator, core::SkipVote{e.id, core::Epoch{epoch.epoch}});
  for (const auto& tx : evidence.transactions) {
    // Votes recorded for another epoch's digest cannot count in this one.
    if (tx.recorded_digest && *tx.recorded_digest != digest) continue;
    auto signatures = skip_signatures(tx, evidence.domain.verifying_contract, e.id);
    if (!signatures) {
      if (!t.unreadable) t.unreadable = std::move(signatures).error();
      continue;
    }
    for (const auto& signature : *signatures) {
      ++t.signatures;
      // The gateway takes v = 27/28 only.
      auto signer = core::recover_address(digest, signature, core::VByte::k27or28);
      if (signer && std::find(epoch.attesters.begin(), epoch.attesters.end(), *signer) != epoch.attesters.end()) {
        t.attesters.insert(*signer);
      } else if (!t.outsider) {
        t.outsider = signer ? core::to_hex(*signer) + " is not an attester of epoch " + std::to_string(epoch.epoch)
                            : "a signature in " + core::to_hex(tx.hash) + " recovers to no signer: " +
                                  signer.error().message();
      }
    }
  }
  return t;
}

// The reason and detail of a tally below its epoch's threshold.
std::pair<core::Reason, std::string> skip_vote_failure(const SkipTally& t) {
  const std::string count = std::to_string(t.attesters.size()) + " distinct attesters of epoch " +
                            std::to_string(t.epoch->epoch) + " signed Skip, threshold " +
                            std::to_string(t.epoch->threshold);
  if (t.unreadable) return {reason::kScanSkipCalldataUnreadable, t.unreadable->detail() + "; " + count};
  if (t.signatures == 0) return {reason::kScanSkipVotesMissing, "no Skip vote in the skip's transactions"};
  if (t.outsider) return {reason::kScanSkipVoteNotAttester, *t.outsider + "; " + count};
  return {reason::kScanSkipBelowThreshold, count};
}

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

// eth_getTransactionByHash: where a skip's votes travelled.
core::Result<SkipTransaction> fetch_transaction(LiveChain& chain, const core::Hash32& hash) {
  const std::string what = chain.label + " transaction " + core::to_hex(hash);
  auto reply = chain.client->call("eth_getTransactionByHash", json::array({core::to_hex(hash)}));
  if (!reply) return std::move(reply).error().with_context(what);
  if (!reply->is_object()) return core::Error(reason::live::kBadReply, what + ": not a transaction");
  SkipTransaction tx;
  tx.hash = hash;
  if (evm::json_present(*reply, "to")) {
    CW_TRY(tx.to, evm::data_fixed<core::Address>((*reply)["to"], "to"));
  }
  CW_TRY(const json* input, evm::json_member(*reply, "input", what));
  CW_TRY(tx.input, evm::data_any(*input, "input"));
  return tx;
}

// Judges every skipped delivery in `skips` from the target gateway's own record: its attester
// history (AttestersRotated since block 0, as a skip may rest on any epoch), the Skip votes it
// recorded below the threshold (VotesRecorded), each skip's transactions, and the skip leaves.
core::Result<void> judge_skips(LiveChain& chain, const verify::ChainAnchor& target,
                               const std::vector<ScanEntry*>& skips, BundleSource& source, std::uint64_t max_range) {
  std::uint64_t last = 0;
  for (const ScanEntry* e : skips) last = std::max(last, e->block);
  const core::Address& gateway = target.gateway;
  CW_TRY(const auto rotations,
         gateway_logs(chain, gateway, core::keccak256(core::as_bytes(kAttestersRotatedSignature)), 0, last, max_range));
  std::vector<AttesterEpoch> epochs;
  for (const auto& log : rotations) {
    CW_TRY(auto epoch, decode_rotation(log));
    epochs.push_back(std::move(epoch));
  }
  // Votes count only within their epoch, so recorded ones are looked for from its start on.
  std::uint64_t first = last;
  for (const ScanEntry* e : skips) {
    const auto candidates = epochs_at(epochs, e->block);
    if (!candidates.empty()) first = std::min(first, candidates.front()->block);
  }
  CW_TRY(const auto recorded, gateway_logs(chain, gateway, core::keccak256(core::as_bytes(kVotesRecordedSignature)),
                                           first, last, max_range));
  std::map<core::Hash32, std::vector<core::Hash32>> recorded_by_digest;
  for (const auto& log : recorded) {
    if (log.topics.size() != 3) {
      return core::Error(reason::kScanBadEvent, "VotesRecorded in block " + std::to_string(log.block_number) + ": " +
                                                    std::to_string(log.topics.size()) + " topics");
    }
    recorded_by_digest[log.topics[1]].push_back(log.tx_hash);
  }
  auto leaves_read = source.skip_leaves();
  if (!leaves_read) return std::move(leaves_read).error().with_context("audit log");
  const auto& leaves = *leaves_read;
  const core::Eip712Domain domain = core::causeway_domain(target.chain_id, gateway, target.chain_identity);
  const core::Hash32 separator = core::domain_separator(domain);
  for (ScanEntry* e : skips) {
    SkipEvidence evidence{domain, epochs, {}, std::nullopt};
    if (leaves) evidence.leaf = leaves->contains(e->id);
    CW_TRY(auto own, fetch_transaction(chain, e->tx_hash));
    evidence.transactions.push_back(std::move(own));
    for (const AttesterEpoch* epoch : epochs_at(epochs, e->block)) {
      const core::Hash32 digest = core::vote_digest(separator, core::SkipVote{e->id, core::Epoch{epoch->epoch}});
      const auto found = recorded_by_digest.find(digest);
      if (found == recorded_by_digest.end()) continue;
      for (const auto& hash : found->second) {
        CW_TRY(auto tx, fetch_transaction(chain, hash));
        tx.recorded_digest = digest;
        evidence.transactions.push_back(std::move(tx));
      }
    }
    classify_skip(*e, evidence);
  }
  return core::ok();
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

void classify_bundle(ScanEntry& e, const FoundBundle& found, const verify::TrustAnchors& anchors,
                     const verify::CanonicalHashSource& canonical, verify::CheckpointMemory* learned,
                     verify::HeaderSource* headers) {
  if (!found.bundle) {
    e.justification = Justification::kLacking;
    e.reason = reason::kScanNoBundle;
    e.detail = found.note.empty() ? "no bundle with this claim" : "no bundle with this claim; " + found.note;
    return;
  }
  const auto& bundle = *found.bundle;
  if (!bundle) {
    e.justification = Justification::kUnjustified;
    e.reason = bundle.error().reason();
    e.detail = bundle.error().detail();
    return;
  }
  // The segment's start, when it is a checkpoint nothing established here and no node can follow.
  std::optional<std::uint64_t> unfollowed;
  if (learned != nullptr) {
    const verify::ChainAnchor* anchor = anchors.find(bundle->source.chain_identity);
    const std::uint64_t start = verify::segment_start(*bundle);
    if (anchor != nullptr && anchor->family == core::ChainFamily::kEvm &&
        verify::is_signed_mode(anchor->consensus.mode) && start > anchor->consensus.checkpoint.number &&
        !learned->knows(anchor->chain_identity, start)) {
      if (headers != nullptr && headers->serves(anchor->chain_identity)) {
        // The relay may have kept it from headers over a quiet stretch: the auditor follows the
        // same headers with its own node, trusting only its anchors and the seals.
        if (auto followed_to = learned->follow_to(*anchor, start, *headers); !followed_to) {
          e.justification = Justification::kUnverifiable;
          e.reason = followed_to.error().reason();
          e.detail = "following " + anchor->name + " to block " + std::to_string(start) +
                     " with the auditor's node: " + followed_to.error().message();
          return;
        }
      } else {
        unfollowed = start;
      }
    }
  }
  verify::CheckpointMemory none;
  const verify::FollowedCheckpoints followed(anchors, (learned != nullptr ? *learned : none).lookup());
  auto trust = followed.anchors_for(*bundle);
  if (!trust) {
    e.justification = Justification::kUnjustified;
    e.reason = trust.error().reason();
    e.detail = trust.error().detail();
    return;
  }
  const verify::Verdict verdict = verify::verify_bundle(*bundle, *trust, canonical);
  if (learned != nullptr) learned->learn(bundle->source.chain_identity, verdict);
  const auto expected = e.acknowledgement ? verify::BundleKind::kExecution : verify::BundleKind::kMessage;
  if (verdict.outcome == verify::Outcome::kInvalid || verdict.outcome == verify::Outcome::kUnusableInput) {
    const verify::Check* problem = verdict.first_problem();
    e.justification = Justification::kUnjustified;
    // outcome_name gives static strings, so the outcome itself can stand as the reason.
    e.reason = problem != nullptr ? problem->reason : core::Reason{verify::outcome_name(verdict.outcome)};
    e.detail = problem != nullptr ? problem->name + ": " + problem->detail : "";
    if (unfollowed) {
      e.detail = "the segment starts at block " + std::to_string(*unfollowed) +
                 ", a checkpoint no earlier bundle established: follow the chain's headers there with --rpc (" +
                 std::string(e.reason.name) + ": " + e.detail + ")";
      e.reason = reason::kScanHeadersNotFollowed;
    }
    return;
  }
  if (bundle->kind != expected) {
    e.justification = Justification::kUnjustified;
    e.reason = reason::kScanWrongKind;
    e.detail = "a " + std::string(verify::kind_name(bundle->kind)) + " bundle";
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
  e.detail = std::string(verify::kind_name(bundle->kind)) + " bundle verified";
}

void classify_in_block_order(std::vector<std::pair<ScanEntry*, const FoundBundle*>> entries,
                             const verify::TrustAnchors& anchors, const verify::CanonicalHashSource& canonical,
                             verify::HeaderSource* headers) {
  // A bundle resting on a checkpoint the relay kept comes after the bundle that established it.
  const auto block_of = [](const std::pair<ScanEntry*, const FoundBundle*>& e) -> std::uint64_t {
    const auto& bundle = e.second->bundle;
    return bundle && *bundle ? (**bundle).source.block_number : 0;
  };
  std::stable_sort(entries.begin(), entries.end(),
                   [&](const auto& a, const auto& b) { return block_of(a) < block_of(b); });
  verify::CheckpointMemory learned;
  for (const auto& [entry, found] : entries) classify_bundle(*entry, *found, anchors, canonical, &learned, headers);
}

void classify_skip(ScanEntry& e, const SkipEvidence& evidence) {
  const auto candidates = epochs_at(evidence.epochs, e.block);
  if (candidates.empty()) {
    e.justification = Justification::kUnjustified;
    e.reason = reason::kScanSkipNoEpoch;
    e.detail = "the gateway announced no attester set up to block " + std::to_string(e.block);
    return;
  }
  const core::Hash32 separator = core::domain_separator(evidence.domain);
  std::optional<SkipTally> failed;
  std::optional<SkipTally> passed;
  for (const AttesterEpoch* epoch : candidates) {
    SkipTally t = tally_skip_votes(e, evidence, *epoch, separator);
    if (t.attesters.size() >= epoch->threshold) {
      passed = std::move(t);
      break;
    }
    // Report the epoch in force before the skip's block: the usual, and usually only, candidate.
    if (!failed) failed = std::move(t);
  }
  const std::string leaf = !evidence.leaf ? "no audit log given to find its skip leaf in"
                           : *evidence.leaf ? "the audit log holds its skip leaf"
                                            : "the audit log holds no skip leaf for it";
  if (!passed) {
    auto [why, detail] = skip_vote_failure(*failed);
    e.justification = Justification::kUnjustified;
    e.reason = why;
    e.detail = "skipped (status 4): " + detail + "; " + leaf;
    return;
  }
  const std::string votes = "skipped (status 4) on Skip votes of " + std::to_string(passed->attesters.size()) +
                            " attesters of epoch " + std::to_string(passed->epoch->epoch) + " (threshold " +
                            std::to_string(passed->epoch->threshold) + ")";
  if (evidence.leaf && !*evidence.leaf) {
    e.justification = Justification::kLacking;
    e.reason = reason::kScanNoSkipLeaf;
  } else {
    e.justification = Justification::kSkipped;
  }
  e.detail = votes + "; " + leaf;
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
      pending.push_back({std::move(entry).value(), {}});
    }
  }

  // ---- skipped deliveries: a skip has no source event (claim zero); the Skip votes that made the
  // gateway execute it are its justification, recorded by the relay as a skip leaf.
  BundleSource source(options, relay);
  std::vector<ScanEntry*> skips;
  for (auto& p : pending) {
    if (is_skip(p.entry)) skips.push_back(&p.entry);
  }
  if (!skips.empty()) {
    if (auto judged = judge_skips(*target_chain, *target, skips, source, options.max_range); !judged) {
      return usage_error(err, std::move(judged).error().with_context("skipped deliveries"));
    }
  }

  // ---- the bundles, by claim
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
        if (is_skip(pending[i].entry)) continue;
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
    if (!fetched[i].text) continue;  // skipped, judged above
    auto& text = *fetched[i].text;
    if (!text) return usage_error(err, std::move(text).error());
    auto& found = pending[i].found;
    found.note = std::move(fetched[i].note);
    if (*text) found.bundle = verify::parse_bundle(**text);
  }

  // ---- canonical hashes of the unsigned chains' blocks, from the auditor's own nodes
  std::map<const verify::ChainAnchor*, std::vector<std::uint64_t>> wanted;
  for (const auto& p : pending) {
    if (!p.found.bundle || !*p.found.bundle) continue;
    const verify::Bundle& bundle = **p.found.bundle;
    const auto* anchor = anchors->find(bundle.source.chain_identity);
    if (anchor != nullptr && !verify::is_signed_mode(anchor->consensus.mode)) {
      wanted[anchor].push_back(bundle.source.block_number);
    }
  }
  for (const auto& [anchor, numbers] : wanted) {
    LiveChain* chain = find_live_chain(*chains, *anchor);
    if (chain == nullptr) continue;  // --canonical may hold them; else finality stays unverifiable
    if (auto added = add_canonical_hashes(*chain, numbers, canonical); !added) return usage_error(err, added.error());
  }

  // ---- verdicts
  std::vector<std::pair<ScanEntry*, const FoundBundle*>> bundled;
  for (auto& p : pending) {
    if (!is_skip(p.entry)) bundled.emplace_back(&p.entry, &p.found);
  }
  LiveHeaders headers(*chains);
  classify_in_block_order(std::move(bundled), *anchors, canonical, &headers);
  Tally tally;
  for (const auto& p : pending) {
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
