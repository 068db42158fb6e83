// `causeway audit scan`: walks every MessageExecuted on a target gateway (and every Acknowledged
// on the other chains' gateways) through the auditor's own nodes, fetches the bundle each names
// by claim, verifies it against the auditor's own trust anchors and canonical hashes, and says
// which deliveries were justified (DESIGN.md section 4, issue 7).
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "relay/app/api_client.hpp"
#include "relay/core/bytes.hpp"
#include "relay/core/protocol.hpp"
#include "relay/core/result.hpp"

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
// A gateway event whose topics or data are not the event's ABI layout.
inline constexpr core::Reason kScanBadEvent{"audit.scan_bad_event"};
// A relay answer that is not what the API promises.
inline constexpr core::Reason kScanBadAnswer{"audit.scan_bad_answer"};
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

// Exit codes: 0 every event justified (or skipped with its skip leaf); 1 something unjustified or
// lacking a bundle; 2 unusable input (anchors, nodes, relay); 3 otherwise some finality could not be
// verified (an unsigned chain without --rpc or --canonical). `relay` is used with options.relay.
int run_scan(const ScanOptions& options, RelayApi* relay, std::ostream& out, std::ostream& err);

}  // namespace causeway::app
