// The EVM Source adapter (DESIGN.md section 3): follows a chain's head, scans the gateway's
// MessageSent (and, for acknowledgements, MessageExecuted) logs in bounded ranges and turns each
// into a proof bundle; a reorg-aware cursor; lookups of sent sequences for reconciliation.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "adapters/evm/header_json.hpp"
#include "adapters/evm/receipt_json.hpp"
#include "relay/core/bytes.hpp"
#include "relay/core/message.hpp"
#include "relay/core/protocol.hpp"
#include "relay/core/result.hpp"
#include "relay/net/client.hpp"
#include "relay/verify/bundle.hpp"

namespace causeway::evm {

namespace reason::source {
inline constexpr core::Reason kBadConfig{"evm_source.bad_config"};
// Start-up check (PROTOCOL.md section 1): the node serves another chain than the configured one.
inline constexpr core::Reason kWrongChainId{"evm_source.wrong_chain_id"};
inline constexpr core::Reason kIdentityMismatch{"evm_source.identity_mismatch"};
// A method other than start() was called before start() succeeded.
inline constexpr core::Reason kNotStarted{"evm_source.not_started"};
// The node has no block at a height it reported (or a pending block without hash/number).
inline constexpr core::Reason kNoBlock{"evm_source.no_block"};
// The chain changed under a scan (a header or log no longer matches the block it came from).
// Nothing was emitted and the cursor did not move; the next poll sees the reorg and rewinds.
inline constexpr core::Reason kChainChanged{"evm_source.chain_changed"};
// No height in the kept history is still canonical: the reorg is deeper than the window
// (THREATS 22: the lane must halt and alert, not guess).
inline constexpr core::Reason kReorgTooDeep{"evm_source.reorg_too_deep"};
// The node says "too many results" even for a single block.
inline constexpr core::Reason kRangeTooSmall{"evm_source.range_too_small"};
// An eth_getLogs entry that is malformed, from another contract or for another event.
inline constexpr core::Reason kBadLog{"evm_source.bad_log"};
// The log eth_getLogs reported is not at that place in the block's proven receipts.
inline constexpr core::Reason kLogMismatch{"evm_source.log_mismatch"};
// debug_getRawHeader returned bytes that are not the requested block's header (by the configured
// hash rule), or not a header at all. Never used: a node that lies here is not trusted to fall back.
inline constexpr core::Reason kRawHeaderMismatch{"evm_source.raw_header_mismatch"};
// A JSON-RPC batch answered with another number of replies than calls.
inline constexpr core::Reason kBadReply{"evm_source.bad_reply"};
// The event was emitted by a private transaction (GoQuorum signature v 37/38, or a privacy marker
// transaction to a Besu/GoQuorum privacy precompile): its logs live in a private state that no
// public receipt commits to, so it cannot be proven (DESIGN.md section 3).
inline constexpr core::Reason kPrivateTransaction{"evm_source.private_transaction"};
// A signed-mode bundle would need more segment headers than BundleLimits::max_segment_headers
// between the checkpoint and the block (plus descendants). The fix is a newer checkpoint (the
// engine's own, set_segment_from, or the anchors'), not a longer segment: the verifier refuses those.
inline constexpr core::Reason kSegmentTooLong{"evm_source.segment_too_long"};
// The block is at or below the anchors' checkpoint: no segment can link it to the checkpoint.
inline constexpr core::Reason kBelowCheckpoint{"evm_source.below_checkpoint"};
}  // namespace reason::source

using Json = nlohmann::json;

// The JSON-RPC calls the adapters make, behind one interface so tests can stand in for the node.
class Rpc {
 public:
  virtual ~Rpc() = default;
  virtual boost::asio::awaitable<core::Result<Json>> call(std::string method, Json params) = 0;
  // Several calls in one round trip: the outer Result is the exchange, the inner ones are per call,
  // in order. Stand-ins without a wire (tests) answer each call in turn, which is what a batch
  // means to the node as well.
  virtual boost::asio::awaitable<core::Result<std::vector<core::Result<Json>>>> batch(std::vector<net::Call> calls);
};

// Rpc over relay/net's client (timeouts, retries, failover are the client's).
class NetRpc final : public Rpc {
 public:
  explicit NetRpc(net::Client& client) : client_(client) {}
  boost::asio::awaitable<core::Result<Json>> call(std::string method, Json params) override;
  // One JSON-RPC batch request (net::Client::batch), retried and failed over as a whole.
  boost::asio::awaitable<core::Result<std::vector<core::Result<Json>>>> batch(std::vector<net::Call> calls) override;

 private:
  net::Client& client_;
};

struct SourceConfig {
  std::uint64_t chain_id = 0;
  core::ChainIdentity chain_identity;  // the configured identity; start() checks the node gives it
  core::Address gateway;
  std::uint64_t start_height = 1;      // first block scanned (e.g. the gateway's deploy block); >= 1
  std::uint64_t confirmations = 0;     // head() = latest - confirmations
  std::uint64_t max_range = 1000;      // blocks per eth_getLogs; halved on "too many results"
  // Events one poll proves at most: it ends after the last whole block within the bound (at least
  // one block), and the next poll goes on from there. A relay catching up, or a chain whose
  // transactions emit hundreds of events each, otherwise holds every bundle of the range (each
  // with its whole receipt) in memory at once, and nothing is stored or delivered until all are.
  std::size_t max_poll_events = 2000;
  std::size_t reorg_window = 256;      // heights (cursor positions, event blocks) kept for rewinds
  // Also scan and prove the gateway's MessageExecuted events (this chain as a destination), for
  // acknowledgements back to their sources (PROTOCOL.md section 6). Off: MessageSent only.
  bool executions = false;
  HeaderHashRule hash_rule = HeaderHashRule::kPlainKeccak;
  // Signed modes (QBFT, IBFT, Clique): the anchors' checkpoint height. Each bundle then carries
  // headers segment_from+1 .. block-1 as its segment (the verifier follows them from the
  // checkpoint). Unset: bundles carry no segment (confirmations / trusted).
  std::optional<std::uint64_t> segment_from;
  // Headers block+1 .. block+descendants appended to the segment: what Clique needs to show
  // floor(N/2)+1 distinct signers. head() stays this many blocks further back, so a block is not
  // reported before its descendants exist.
  std::uint32_t descendants = 0;
  core::MessageLimits message_limits{.max_payload = 1u << 20};
  std::chrono::milliseconds poll_interval{1000};
  // Told once per raw method (debug_getRawHeader, debug_getRawReceipts) when the node does not
  // offer it and the source falls back to JSON for good. Optional.
  std::function<void(const std::string&)> on_notice;
};

// Whether the node offers a raw-RLP debug method; learned on first use, kept for the source's life.
enum class RawSupport : std::uint8_t { kUntried, kOffered, kAbsent };

struct BlockRef {
  std::uint64_t number = 0;
  core::Hash32 hash;
  friend bool operator==(const BlockRef&, const BlockRef&) = default;
};

enum class EventKind : std::uint8_t { kMessageSent, kMessageExecuted };

// A gateway log as eth_getLogs located it. block_log_index is the node's block-global logIndex,
// kept only to find the log's index within its receipt (THREATS 17).
struct LocatedEvent {
  EventKind kind = EventKind::kMessageSent;
  BlockRef block;
  std::uint32_t tx_index = 0;
  core::Hash32 tx_hash;
  std::uint64_t block_log_index = 0;
  core::MessageId id;  // topic1 as the node reported it; checked against the proven receipt
};

struct ScanRequest {
  std::uint64_t from = 0;
  std::uint64_t to = 0;  // inclusive
};

struct ProveRequest {
  BlockRef block;
  std::vector<LocatedEvent> events;  // all in `block`
};

// An event the source could not turn into a bundle, and why. The lane carries on.
struct RejectedEvent {
  LocatedEvent event;
  core::Error error;
};

// A MessageExecuted of this chain's gateway, proven: what an acknowledgement to the message's
// source rests on (PROTOCOL.md section 6).
struct ObservedExecution {
  // kind kExecution; claim = claim_hash(id, block hash, number, tx index, log index in receipt)
  // over this event; source and inclusion filled. `message` is left default: the engine fills it
  // from its store (the verifier checks that the message's id is the event's id, so a wrong
  // message cannot pass).
  verify::Bundle bundle;
  core::MessageId id;
  core::ChainIdentity src_chain;
  std::uint64_t sequence = 0;
  core::Outcome outcome;  // status and the delivery's claim, as read from the proven log
  core::Hash32 tx_hash;   // the transaction that executed it
};

struct ProveResult {
  std::vector<verify::Bundle> bundles;  // one per MessageSent event, in block log order
  // tx_hashes[i] is the transaction that emitted bundles[i] (same length, same order).
  std::vector<core::Hash32> tx_hashes;
  std::vector<ObservedExecution> executions;  // one per MessageExecuted event, in block log order
  std::vector<RejectedEvent> rejected;
};

struct HeaderRequest {
  std::uint64_t height = 0;
};

// Reconciliation: where were these sequences of the lanes to `dst_chain` sent, in [from, to]?
struct FindSentRequest {
  core::ChainIdentity dst_chain;
  std::vector<std::uint64_t> sequences;
  std::uint64_t from = 0;
  std::uint64_t to = 0;  // inclusive
};

// Blocks the cursor had passed that left the canonical chain.
struct OrphanReport {
  std::uint64_t from = 0;  // first orphaned height
  std::uint64_t to = 0;    // the cursor height before the rewind
  BlockRef rewound_to;     // the last height still canonical
  std::vector<core::Claim> claims;  // bundles emitted from blocks that are no longer canonical
};

struct PollResult {
  std::vector<verify::Bundle> bundles;
  std::vector<core::Hash32> tx_hashes;  // one per bundle, same order (as ProveResult)
  std::vector<ObservedExecution> executions;  // only with SourceConfig::executions
  std::vector<RejectedEvent> rejected;
  std::optional<OrphanReport> orphaned;
  BlockRef cursor;           // after this poll
  std::uint64_t head = 0;    // the head this poll saw (latest - confirmations)
};

// One source chain. Not thread-safe: the engine runs it on one strand.
class EvmSource {
 public:
  static core::Result<std::unique_ptr<EvmSource>> create(Rpc& rpc, SourceConfig config);

  // The start-up check: eth_chainId is the configured chain id and block 0's hash gives the
  // configured chain identity; otherwise a named error and every other call refuses to work.
  // Places the cursor at start_height - 1 unless restore_cursor gave one.
  boost::asio::awaitable<core::Result<void>> start();
  // A cursor persisted by the store (height and hash of the last block fully processed); before
  // start(). The next poll checks it is still canonical.
  void restore_cursor(const BlockRef& cursor) { restored_ = cursor; }
  // Signed modes: a later checkpoint the engine established (verify/checkpoints.hpp). Bundles of
  // blocks above it carry headers from there on; a block at or below it (a rewound cursor,
  // reconciliation) still gets its segment from config.segment_from. No effect without segment_from.
  void set_segment_from(std::uint64_t height) noexcept { advanced_from_ = height; }

  // The latest height minus the configured confirmations, with its hash.
  boost::asio::awaitable<core::Result<BlockRef>> head();
  // The gateway's MessageSent (and with config.executions MessageExecuted) logs in [from, to], in
  // chain order.
  boost::asio::awaitable<core::Result<std::vector<LocatedEvent>>> scan(ScanRequest request);
  // Bundles for events of one block: header and all receipts fetched once, the receipts root
  // checked, the receipt proofs of all the events' transactions built in one pass. Each event's
  // transaction is looked up by hash (one call per transaction, not per block) to refuse private
  // ones (kPrivateTransaction).
  boost::asio::awaitable<core::Result<ProveResult>> prove(ProveRequest request);
  // The MessageSent events of `sequences` towards `dst_chain` (any destination gateway, ordered or
  // not) in [from, to], in chain order: eth_getLogs filtered by topics in bounded ranges, halved on
  // "too many results" like scan. The result goes to prove(); the cursor does not move.
  boost::asio::awaitable<core::Result<std::vector<LocatedEvent>>> find_sent(FindSentRequest request);
  // The header at a height: the node's raw RLP where it offers debug_getRawHeader (its hash checked
  // against the block's per config.hash_rule), else rebuilt from JSON (checked the same way). Not
  // cached: prove() and poll() share their segment headers through a per-call cache instead.
  boost::asio::awaitable<core::Result<RebuiltHeader>> header(HeaderRequest request);
  // Headers from+1 .. to, then config.descendants headers after `to` (Clique), each linked to the
  // one before it: what a follower verifies to take `to` as a checkpoint of a chain with no
  // messages (verify/checkpoints.hpp IdleAdvance). Bounded like a bundle's segment.
  boost::asio::awaitable<core::Result<std::vector<core::Bytes>>> headers(std::uint64_t from, std::uint64_t to);

  // One step: detect a reorg at the cursor (rewind and report), else scan from the cursor up to
  // the head (at most scan_span() blocks), prove every event and advance the cursor. A one-block
  // step reads no logs: none when the header's bloom lacks the gateway, else the block's events
  // from its receipts (eth_getLogs and prove() when it holds a private transaction).
  boost::asio::awaitable<core::Result<PollResult>> poll();
  // poll() every poll_interval until stop() returns true; each outcome goes to on_poll.
  boost::asio::awaitable<void> follow(std::function<void(const core::Result<PollResult>&)> on_poll,
                                      std::function<bool()> stop);

  const BlockRef& cursor() const noexcept { return cursor_; }
  // Blocks the next poll scans at most: max_range, narrowed to the blocks a poll kept when its
  // range held more than max_poll_events (the logs of the blocks after them were read and dropped,
  // and a burst of full blocks would be read again by every following poll), doubled back after
  // each poll that kept all it read while that was at most half of max_poll_events.
  std::uint64_t scan_span() const noexcept { return scan_span_; }
  RawSupport raw_headers() const noexcept { return raw_headers_; }
  RawSupport raw_receipts() const noexcept { return raw_receipts_; }
  const SourceConfig& config() const noexcept { return config_; }

 private:
  EvmSource(Rpc& rpc, SourceConfig config) : rpc_(rpc), config_(std::move(config)), scan_span_(config_.max_range) {}

  boost::asio::awaitable<core::Result<Json>> block_json(std::uint64_t height);
  boost::asio::awaitable<core::Result<Json>> block_receipts(std::uint64_t height, const Json& block);
  // The header of `block` (a block_json result): raw RLP where offered, else rebuilt from JSON.
  boost::asio::awaitable<core::Result<RebuiltHeader>> header_of(const Json& block, std::uint64_t height);
  // All receipts of the block, checked against header.receipts_root: debug_getRawReceipts where
  // offered, else eth_getBlockReceipts / per transaction.
  boost::asio::awaitable<core::Result<BlockReceipts>> receipts_of(const Json& block, const RebuiltHeader& header);
  // Calls a raw debug method once support is known or being learned; nullopt when the node does
  // not offer it (remembered in `support`, and said once through on_notice).
  boost::asio::awaitable<core::Result<std::optional<Json>>> raw_call(std::string method, const core::Hash32& block_hash,
                                                                      RawSupport& support);
  // Whether the header's logs bloom may hold a log of the gateway (true when it cannot be read).
  bool may_hold_events(const RebuiltHeader& header) const;
  // A block with its transactions and receipts, the gateway's events taken from the receipts and
  // proven; nullopt (receipts not read) when the block holds a private transaction or one whose
  // privacy cannot be judged.
  boost::asio::awaitable<core::Result<std::optional<ProveResult>>> read_block(const RebuiltHeader& header);
  // The bundles, executions and rejections of `events`, all of the block of `header`, into `result`;
  // logs_before[i] is the number of logs in receipts 0..i-1.
  boost::asio::awaitable<core::Result<void>> prove_events(const RebuiltHeader& header, const BlockReceipts& receipts,
                                                          const std::vector<std::uint64_t>& logs_before,
                                                          const std::vector<LocatedEvent>& events,
                                                          ProveResult& result);
  // Looks the events' transactions up by hash (each must be at its tx_index of `block`), in
  // JSON-RPC batches: per transaction nullopt when it is public, else what makes it private.
  boost::asio::awaitable<core::Result<std::map<core::Hash32, std::optional<std::string>>>> why_private(
      std::vector<LocatedEvent> events, BlockRef block);
  // One transaction (an eth_getTransactionByHash reply or an entry of a full block) judged as
  // why_private does.
  core::Result<std::optional<std::string>> privacy_of(const Json& tx, const core::Hash32& tx_hash,
                                                      const BlockRef& block, std::uint32_t tx_index) const;
  boost::asio::awaitable<core::Result<std::optional<OrphanReport>>> check_reorg();
  // header() through header_cache_.
  boost::asio::awaitable<core::Result<RebuiltHeader>> cached_header(std::uint64_t height);
  // Headers from..to not yet in header_cache_ put there, in JSON-RPC batches: a segment or an idle
  // checkpoint advance spans up to 4,096 blocks, one round trip each (two with raw headers) otherwise.
  boost::asio::awaitable<core::Result<void>> prefetch_headers(std::uint64_t from, std::uint64_t to);
  // One JSON-RPC batch of calls to one method, one reply per call in order (kBadReply otherwise).
  boost::asio::awaitable<core::Result<std::vector<core::Result<Json>>>> checked_batch(std::vector<net::Call> calls);
  // A debug_getRawHeader reply for the block of `hash` at `height`, decoded and checked.
  core::Result<RebuiltHeader> header_from_raw_reply(const Json& raw, const core::Hash32& hash,
                                                    std::uint64_t height) const;
  static core::Result<core::Hash32> block_hash_of(const Json& block);
  // `header` unless it failed or is not of `height` (kNoBlock), with the block as context.
  static core::Result<RebuiltHeader> of_height(core::Result<RebuiltHeader> header, std::uint64_t height);
  // The segment of a bundle of `target` per segment_from (config or set_segment_from) and
  // descendants, each header linked to the one before it (kChainChanged otherwise; the verifier
  // checks the checkpoint link).
  boost::asio::awaitable<core::Result<std::vector<core::Bytes>>> segment_of(RebuiltHeader target);
  // The headers of segment_of from `from` (target excluded), checked and linked the same way.
  boost::asio::awaitable<core::Result<std::vector<core::Bytes>>> segment_between(std::uint64_t from,
                                                                                 RebuiltHeader target);
  void remember(const BlockRef& block, std::vector<core::Claim> claims);

  Rpc& rpc_;
  SourceConfig config_;
  bool started_ = false;
  RawSupport raw_headers_ = RawSupport::kUntried;
  RawSupport raw_receipts_ = RawSupport::kUntried;
  std::optional<BlockRef> restored_;
  std::optional<std::uint64_t> advanced_from_;  // set_segment_from
  BlockRef cursor_;
  std::uint64_t scan_span_;
  // Heights the cursor passed whose hashes are known (cursor positions and event blocks),
  // ascending, with the claims emitted from each: what a rewind compares and reports.
  std::deque<BlockRef> history_;
  std::map<std::uint64_t, std::vector<core::Claim>> emitted_;
  // Segment headers by height, kept for one poll() (or one prove() outside a poll) so bundles of
  // one block, or of nearby blocks, do not fetch the same headers again; emptied when that call
  // ends, so a reorg between calls never serves stale headers.
  std::map<std::uint64_t, RebuiltHeader> header_cache_;
  bool cache_scope_open_ = false;
};

}  // namespace causeway::evm
