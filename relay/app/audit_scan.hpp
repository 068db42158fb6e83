// `causeway audit scan`: walks every MessageExecuted on a target gateway (and every Acknowledged
// on the other chains' gateways) through the auditor's own nodes, fetches the bundle each names
// by claim, verifies it against the auditor's own trust anchors and canonical hashes, and says
// which deliveries were justified (DESIGN.md section 4, issue 7). A skipped delivery is judged by
// the Skip votes its transactions carried, recovered against the target gateway's own attester
// history, and by the relay's skip leaf. The classification itself works on fetched data only.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "relay/app/api_client.hpp"
#include "relay/core/bytes.hpp"
#include "relay/core/eip712.hpp"
#include "relay/core/protocol.hpp"
#include "relay/core/result.hpp"
#include "relay/verify/bundle.hpp"
#include "relay/verify/checkpoints.hpp"
#include "relay/verify/trust_anchors.hpp"
#include "relay/verify/verify.hpp"

namespace causeway::app {

namespace reason {
// The bundle proves another message, claim or status than the event on chain says.
inline constexpr core::Reason kScanEventMismatch{"audit.scan_event_mismatch"};
// A message bundle where an execution bundle belongs, or the other way round.
inline constexpr core::Reason kScanWrongKind{"audit.scan_wrong_kind"};
// No bundle with the event's claim, from the relay or the directory.
inline constexpr core::Reason kScanNoBundle{"audit.scan_no_bundle"};
// A status-4 (skipped) execution with no skip leaf for its id in the relay's audit log.
inline constexpr core::Reason kScanNoSkipLeaf{"audit.scan_no_skip_leaf"};
// A skip whose votes cannot be read: its transaction is not a direct call of the target gateway's
// skip(msg, sigs) for the skipped id (sent through a contract, or another call altogether).
inline constexpr core::Reason kScanSkipCalldataUnreadable{"audit.scan_skip_calldata_unreadable"};
// A skip whose transactions carry no Skip vote at all.
inline constexpr core::Reason kScanSkipVotesMissing{"audit.scan_skip_votes_missing"};
// A Skip vote that recovers to an address outside the attester set of the skip's epoch.
inline constexpr core::Reason kScanSkipVoteNotAttester{"audit.scan_skip_vote_not_attester"};
// Fewer distinct attesters signed Skip(id, epoch) than the epoch's threshold.
inline constexpr core::Reason kScanSkipBelowThreshold{"audit.scan_skip_below_threshold"};
// The target gateway's AttestersRotated history has no epoch in force at the skip's block.
inline constexpr core::Reason kScanSkipNoEpoch{"audit.scan_skip_no_epoch"};
// A gateway event whose topics or data are not the event's ABI layout.
inline constexpr core::Reason kScanBadEvent{"audit.scan_bad_event"};
// A relay answer that is not what the API promises.
inline constexpr core::Reason kScanBadAnswer{"audit.scan_bad_answer"};
// A signed chain's bundle starts at a checkpoint no earlier valid bundle established (the relay
// kept it from headers alone, over a quiet stretch), and the auditor has no node for that chain
// to follow the headers there itself (--rpc).
inline constexpr core::Reason kScanHeadersNotFollowed{"audit.scan_headers_not_followed"};
}  // namespace reason

// The relay's REST API as the remote audit commands reach it; tests stand in for the relay.
// `audit scan` calls request() from several threads at once.
class RelayApi {
 public:
  virtual ~RelayApi() = default;
  virtual core::Result<ApiResponse> request(std::string_view method, std::string_view target,
                                            std::string_view body) = 0;
};

// RelayApi over api_client's HTTP exchange.
class HttpRelayApi final : public RelayApi {
 public:
  explicit HttpRelayApi(std::string url) { options_.api = std::move(url); }
  core::Result<ApiResponse> request(std::string_view method, std::string_view target, std::string_view body) override {
    return api_request(options_, method, target, body);
  }

 private:
  ApiClientOptions options_;
};

struct ScanOptions {
  std::string target{};               // the target chain's name in the trust anchors
  std::string trust{};                // the auditor's trust anchors
  std::vector<std::string> rpc{};     // live nodes, "URL" or "NAME=URL": the target, and sources
  std::string canonical{};            // canonical hashes file, beside or instead of --rpc
  std::string bundles{};              // an export directory (bundles/<claim>.json) or a bundles directory
  std::string relay{};                // or the relay's API URL (/v1/bundles/{claim})
  std::uint64_t from = 0;             // first block scanned on every chain
  std::optional<std::uint64_t> to{};  // last block; default each chain's head
  std::uint64_t max_range = 1000;     // blocks per eth_getLogs
  bool json = false;
};

enum class Justification : std::uint8_t { kJustified, kUnjustified, kLacking, kSkipped, kUnverifiable };
std::string_view justification_name(Justification justification) noexcept;

// One executed delivery or acknowledgement and what its bundle showed.
struct ScanEntry {
  std::string chain;  // where the event is
  bool acknowledgement = false;
  std::uint64_t block = 0;
  core::Hash32 tx_hash;
  core::MessageId id;
  core::Claim claim;
  std::uint8_t status = 0;
  Justification justification = Justification::kLacking;
  core::Reason reason{""};
  std::string detail;
};

// One attester set of the target gateway, as its AttestersRotated event announced it (epoch 1 at
// deployment).
struct AttesterEpoch {
  std::uint64_t epoch = 0;
  std::uint64_t block = 0;  // the block of the event
  std::vector<core::Address> attesters;
  std::uint16_t threshold = 0;
};

// A transaction that carried Skip votes for one message: the one that emitted status 4, or an
// earlier one whose votes the gateway recorded below the threshold (VotesRecorded).
struct SkipTransaction {
  core::Hash32 hash;
  std::optional<core::Address> to;  // nullopt: a contract creation
  core::Bytes input;
  // The digest of the VotesRecorded event that led to it; nullopt for the skip's own
  // transaction, whose epoch the gateway took at execution.
  std::optional<core::Hash32> recorded_digest;
};

// Everything the scan fetched to judge one skipped delivery.
struct SkipEvidence {
  core::Eip712Domain domain;                  // the target gateway's
  std::vector<AttesterEpoch> epochs;          // the gateway's history up to the skip, oldest first
  std::vector<SkipTransaction> transactions;  // the skip's own first
  std::optional<bool> leaf;                   // a skip leaf for the id in the audit log; nullopt: no log
};

// Judges a status-4 execution: skipped (justified) only when at least the threshold of distinct
// attesters of the epoch in force signed Skip(id, epoch) in the calldata of its transactions and
// the audit log, if given, holds its skip leaf. Bad votes make it unjustified; good votes without
// a leaf leave it lacking (kScanNoSkipLeaf). Sets justification, reason and detail.
void classify_skip(ScanEntry& entry, const SkipEvidence& evidence);

// A delivery's or acknowledgement's bundle as the scan found it.
struct FoundBundle {
  std::optional<core::Result<verify::Bundle>> bundle;  // nullopt: none with the event's claim
  std::string note;                                    // the relay's own rejection, if it gave one
};

// Judges a MessageExecuted (message bundle) or Acknowledged (execution bundle): lacking without a
// bundle, unjustified when it does not parse, fails verification or proves another id, claim or
// status than the event, finality_unverifiable when only finality is open, else justified.
// A signed chain's bundle whose segment starts at a checkpoint the relay kept is verified from
// that checkpoint once `learned` holds it, and every valid bundle's target goes into `learned`
// (verify/checkpoints.hpp): classified in ascending block order, a store whose bundles rest on the
// relay's checkpoints scans clean. Without `learned`, the anchors' pinned checkpoint only.
// A segment start `learned` lacks (a checkpoint the relay kept from headers alone) is followed
// with `headers`, the auditor's own nodes, from the highest checkpoint known below it: a failure
// there leaves the entry unverifiable, and without a node for the chain it is unjustified with
// kScanHeadersNotFollowed.
void classify_bundle(ScanEntry& entry, const FoundBundle& found, const verify::TrustAnchors& anchors,
                     const verify::CanonicalHashSource& canonical, verify::CheckpointMemory* learned = nullptr,
                     verify::HeaderSource* headers = nullptr);

// classify_bundle for each (entry, bundle), in ascending order of the bundles' blocks (those
// without a readable bundle first), all learning into one memory: how the scan judges them.
void classify_in_block_order(std::vector<std::pair<ScanEntry*, const FoundBundle*>> entries,
                             const verify::TrustAnchors& anchors, const verify::CanonicalHashSource& canonical,
                             verify::HeaderSource* headers = nullptr);

// Exit codes: 0 every event justified (or skipped on enough Skip votes, with its skip leaf);
// 1 something unjustified or lacking a bundle or skip leaf; 2 unusable input (anchors, nodes,
// relay, a skip's transactions); 3 otherwise some finality could not be verified (an unsigned
// chain without --rpc or --canonical). `relay` is used with options.relay.
int run_scan(const ScanOptions& options, RelayApi* relay, std::ostream& out, std::ostream& err);

}  // namespace causeway::app
