#include "relay/engine/engine.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <iterator>
#include <map>
#include <set>
#include <unordered_set>
#include <variant>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "adapters/evm/gateway_reader.hpp"
#include "adapters/evm/header_json.hpp"
#include "adapters/evm/rpc_json.hpp"
#include "adapters/evm/vote_signer.hpp"
#include "adapters/evm/sink.hpp"
#include "adapters/evm/source.hpp"
#include "adapters/external/process.hpp"
#include "adapters/external/sink.hpp"
#include "adapters/external/source.hpp"
#include "relay/core/eip712.hpp"
#include "relay/core/hash.hpp"
#include "relay/net/client.hpp"
#include "relay/net/parallel.hpp"
#include "relay/verify/bundle.hpp"
#include "relay/verify/checkpoints.hpp"
#include "relay/verify/trust_anchors.hpp"
#include "relay/verify/verify.hpp"

namespace causeway::engine {

namespace asio = boost::asio;
using asio::awaitable;
using core::Error;
using core::Result;
using Steady = std::chrono::steady_clock;
using store::MessageState;

namespace {

constexpr int kDebug = 1;
constexpr int kInfo = 2;
constexpr int kWarn = 3;
constexpr int kError = 4;

// An executed message whose execution event has not been proven yet is looked at again after this.
constexpr std::uint64_t kAckRecheckSeconds = 2;
// Acknowledgements one step of a lane sends at most (see ack_room), in transactions of up to the
// sink's acks_per_transaction each.
constexpr std::size_t kAckBatch = 128;
// Receipts asked in one JSON-RPC batch when confirming acknowledgements: geth refuses batches of
// more than 1,000 calls; the oldest are asked first, the rest at the next pass.
constexpr std::size_t kConfirmBatch = 512;
// A checkpoint that could not follow a quiet chain's headers is tried again after this.
constexpr std::chrono::seconds kIdleAdvanceRetry{30};
// Deliver transactions of a lane awaiting their receipts at most (see deliver_room): where the
// sink knows the target's block gas limit, as many as two blocks hold by their gas limits, up to
// the larger bound; otherwise the smaller one.
constexpr std::size_t kMaxDeliversInFlight = 64;
constexpr std::size_t kDeliversInFlightUnpaced = 8;
// Delivery loops per lane (deliver_loop): some prepare batches while the others' go out.
constexpr std::size_t kDeliverLoops = 4;
// Where several relays each submit their own votes (threshold above 1), the first `threshold`
// attesters in the gateway's order deliver and acknowledge at once; each further one holds its
// first deliver and its first acknowledge back this long per place beyond them. By then the others'
// votes have normally executed the message (its watcher sees the execution) or acknowledged it
// (ack_step asks the gateway), so it pays for no vote the gateway no longer needs; should one of
// the first be down, it stands in this much later. As long as a relay gives its own delivery before
// delivering again: 6 s left the third relay acknowledging 88 % of the messages in the 3-relay
// benchmark (the first two take 15 s from execution to acknowledgement at p50 there).
constexpr std::uint64_t kStandInDelaySeconds = kRedeliverAfterSeconds;
constexpr auto kConfirmEvery = std::chrono::milliseconds(500);
// A transaction pending this long is looked up in case the node lost it (find_lost).
constexpr auto kLostAfter = std::chrono::seconds(5);
// Retention prunes this many bundles per transaction, so the store's single writer is never held
// for long; and runs at start, then hourly.
constexpr std::size_t kPruneBatch = 500;
constexpr auto kPruneEvery = std::chrono::hours(1);
constexpr std::uint64_t kSecondsPerDay = 86'400;

// Whether an amount of wei (eth_getBalance's quantity as quantity_bytes decodes it: big-endian, at
// most 32 bytes) is below `threshold`.
bool below_wei(core::ByteView wei, const core::Word32& threshold) {
  core::Word32 amount;
  std::copy(wei.begin(), wei.end(), amount.bytes.begin() + static_cast<std::ptrdiff_t>(32 - wei.size()));
  return amount.bytes < threshold.bytes;
}

std::uint64_t system_seconds() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

std::string status_name(core::ExecStatus status) {
  switch (status) {
    case core::ExecStatus::kOk: return "ok";
    case core::ExecStatus::kReceiverFailed: return "failed";
    case core::ExecStatus::kTimedOut: return "timed_out";
    case core::ExecStatus::kSkipped: return "skipped";
  }
  return "unknown";
}

MessageState state_for(core::ExecStatus status) {
  switch (status) {
    case core::ExecStatus::kOk: return MessageState::kExecutedOk;
    case core::ExecStatus::kReceiverFailed: return MessageState::kExecutedFailed;
    case core::ExecStatus::kTimedOut: return MessageState::kTimedOut;
    case core::ExecStatus::kSkipped: return MessageState::kSkipped;
  }
  return MessageState::kExecutedFailed;
}

// A transition with only what it needs; the rest stays default (no audit evidence, no reason).
store::Transition transition(const core::MessageId& id, MessageState to, const core::Hash32& evidence = {},
                             std::optional<core::Claim> claim = std::nullopt, std::uint64_t next_attempt_at = 0) {
  store::Transition t;
  t.id = id;
  t.to = to;
  t.evidence = evidence;
  t.claim = claim;
  t.next_attempt_at = next_attempt_at;
  return t;
}

// Whether the message may still move to an execution outcome (directly, or resumed from parking).
bool awaits_execution(MessageState state, const std::optional<MessageState>& parked_from) {
  if (state == MessageState::kVerified || state == MessageState::kVoted) return true;
  return state == MessageState::kParked && parked_from &&
         (*parked_from == MessageState::kVerified || *parked_from == MessageState::kVoted);
}

// The hash of an eth_getBlockByNumber answer (or of its projection to "hash").
Result<core::Hash32> block_hash_of(const nlohmann::json& answer, std::uint64_t height) {
  const nlohmann::json& hash = answer.is_object() && answer.contains("hash") ? answer["hash"] : answer;
  if (!hash.is_string()) return Error(evm::reason::sink::kBadReply, "block " + std::to_string(height) + " has no hash");
  auto parsed = core::fixed_from_hex<core::Hash32>(hash.get<std::string>());
  if (!parsed) return std::move(parsed).error().with_context("hash of block " + std::to_string(height));
  return *parsed;
}

// Reason codes only: node output never reaches labels (bounded cardinality, no echoed secrets).
std::string reason_label(const Error& error) { return std::string(error.reason().name); }

// A vote this relay's key signed, for the vote book.
store::VoteRecord own_vote(store::VoteKind kind, const core::MessageId& id, const core::Claim& claim,
                           std::uint8_t status, core::Epoch epoch, const evm::VoteSignature& signature) {
  store::VoteRecord vote;
  vote.id = id;
  vote.kind = kind;
  vote.claim = claim;
  vote.status = status;
  vote.epoch = epoch.value;
  vote.signer = signature.signer;
  vote.signature = signature.rsv;
  vote.origin = store::VoteOrigin::kOwn;
  return vote;
}

}  // namespace

// ---- Votes ---------------------------------------------------------------------------------------

core::Hash32 vote_digest(const core::Eip712Domain& domain, const store::VoteRecord& vote) {
  const auto separator = core::domain_separator(domain);
  const core::Epoch epoch{vote.epoch};
  switch (vote.kind) {
    case store::VoteKind::kDeliver: return core::vote_digest(separator, core::DeliverVote{vote.id, vote.claim, epoch});
    case store::VoteKind::kAck:
      return core::vote_digest(separator,
                               core::AckVote{vote.id, static_cast<core::ExecStatus>(vote.status), vote.claim, epoch});
    case store::VoteKind::kSkip: return core::vote_digest(separator, core::SkipVote{vote.id, epoch});
  }
  return {};
}

Result<void> check_vote(const VoteAuthority& authority, const store::VoteRecord& vote) {
  const bool ack = vote.kind == store::VoteKind::kAck;
  if (ack != (vote.status != 0) || vote.status > static_cast<std::uint8_t>(core::ExecStatus::kSkipped)) {
    return Error(reason::kVoteMalformed, "status " + std::to_string(vote.status) + " on a " +
                                             std::string(store::to_string(vote.kind)) + " vote");
  }
  if (vote.kind == store::VoteKind::kSkip && !vote.claim.is_zero()) {
    return Error(reason::kVoteMalformed, "a skip vote names no claim");
  }
  if (vote.epoch != authority.epoch.value) {
    return Error(reason::kVoteWrongEpoch, "epoch " + std::to_string(vote.epoch) + ", the gateway is at " +
                                              std::to_string(authority.epoch.value));
  }
  const auto digest = vote_digest(authority.domain, vote);
  auto signer = core::recover_address(digest, core::ByteView(vote.signature.data(), vote.signature.size()),
                                      core::VByte::k27or28);
  if (!signer) {
    const bool high_s = signer.error().reason() == core::reason::secp256k1::kHighS;
    return Error(high_s ? reason::kVoteHighS : reason::kVoteBadSignature, signer.error().message());
  }
  if (*signer != vote.signer) {
    return Error(reason::kVoteWrongSigner, "signed by " + core::to_hex(*signer) + ", not " + core::to_hex(vote.signer));
  }
  if (std::find(authority.attesters.begin(), authority.attesters.end(), *signer) == authority.attesters.end()) {
    return Error(reason::kVoteNotAttester, core::to_hex(*signer) + " is not an attester of epoch " +
                                               std::to_string(authority.epoch.value));
  }
  return core::ok();
}

std::vector<store::VoteRecord> aggregate_votes(const store::VoteRecord& own, const std::vector<store::VoteRecord>& book,
                                               const std::vector<core::Address>& attesters, std::size_t threshold) {
  std::vector<store::VoteRecord> out{own};
  for (const auto& vote : book) {
    if (out.size() >= threshold) break;
    const bool same = vote.id == own.id && vote.kind == own.kind && vote.claim == own.claim &&
                      vote.status == own.status && vote.epoch == own.epoch;
    if (!same || std::find(attesters.begin(), attesters.end(), vote.signer) == attesters.end()) continue;
    const bool counted = std::any_of(out.begin(), out.end(), [&](const auto& v) { return v.signer == vote.signer; });
    if (!counted) out.push_back(vote);
  }
  std::sort(out.begin(), out.end(), [](const auto& x, const auto& y) { return x.signer < y.signer; });
  return out;
}

// ---- TokenBucket, CircuitBreaker, retry_delay ----------------------------------------------------

TokenBucket::TokenBucket(double rate, double burst, Clock::time_point now)
    : rate_(rate), burst_(burst > 0 ? burst : std::max(rate, 1.0)), tokens_(burst_), last_(now) {}

void TokenBucket::refill(Clock::time_point now) {
  if (now <= last_) return;
  const double seconds = std::chrono::duration<double>(now - last_).count();
  tokens_ = std::min(burst_, tokens_ + seconds * rate_);
  last_ = now;
}

std::size_t TokenBucket::take(std::size_t wanted, Clock::time_point now) {
  if (rate_ <= 0) return wanted;
  refill(now);
  const auto available = static_cast<std::size_t>(std::floor(tokens_));
  const std::size_t taken = std::min(wanted, available);
  tokens_ -= static_cast<double>(taken);
  return taken;
}

TokenBucket::Clock::duration TokenBucket::wait_for_one(Clock::time_point now) const {
  if (rate_ <= 0) return Clock::duration::zero();
  const double elapsed = now > last_ ? std::chrono::duration<double>(now - last_).count() : 0.0;
  const double have = std::min(burst_, tokens_ + elapsed * rate_);
  if (have >= 1.0) return Clock::duration::zero();
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>((1.0 - have) / rate_));
}

bool CircuitBreaker::allows(Clock::time_point now) const noexcept {
  if (limit_ == 0 || failures_ < limit_) return true;
  return now - opened_at_ >= cool_down_;  // half-open: one attempt goes through
}

void CircuitBreaker::failure(Clock::time_point now) noexcept {
  ++failures_;
  if (failures_ >= limit_) opened_at_ = now;
}

std::chrono::milliseconds retry_delay(const RetrySettings& retry, std::uint32_t attempts) noexcept {
  const auto shift = std::min<std::uint32_t>(attempts, 30);
  const auto initial = static_cast<std::uint64_t>(std::max<std::int64_t>(retry.initial.count(), 1));
  const std::uint64_t delay = initial << shift;
  const auto cap = static_cast<std::uint64_t>(std::max<std::int64_t>(retry.max.count(), 1));
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::min(delay, cap)));
}

std::uint64_t redeliver_after_seconds(std::uint32_t redeliveries, bool short_of_threshold) noexcept {
  if (!short_of_threshold || redeliveries <= kRedeliverSteady) return kRedeliverAfterSeconds;
  RetrySettings backoff;
  backoff.initial = std::chrono::seconds(kRedeliverAfterSeconds);
  backoff.max = std::chrono::seconds(kRedeliverMaxSeconds);
  const auto delay = retry_delay(backoff, redeliveries - kRedeliverSteady);
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(delay).count());
}

std::string journal_tag(const JournalTag& tag) {
  switch (tag.kind) {
    case JournalTag::Kind::kDeliver: return "deliver " + tag.lane;
    case JournalTag::Kind::kSkip: return "skip " + tag.lane;
    case JournalTag::Kind::kAcknowledge: break;
  }
  std::string out = "acknowledge " + tag.lane + " ";
  for (std::size_t i = 0; i < tag.ids.size(); ++i) {
    if (i > 0) out += ',';
    out += core::to_hex(tag.ids[i]);
  }
  return out;
}

std::optional<JournalTag> parse_journal_tag(std::string_view text) {
  const auto space = text.find(' ');
  if (space == std::string_view::npos || space + 1 == text.size()) return std::nullopt;
  const std::string_view kind = text.substr(0, space);
  std::string_view rest = text.substr(space + 1);
  JournalTag tag;
  if (kind == "deliver" || kind == "skip") {
    tag.kind = kind == "skip" ? JournalTag::Kind::kSkip : JournalTag::Kind::kDeliver;
    tag.lane = std::string(rest);
    return tag;
  }
  if (kind != "acknowledge") return std::nullopt;
  const auto last = rest.rfind(' ');
  if (last == std::string_view::npos || last == 0) return std::nullopt;
  tag.kind = JournalTag::Kind::kAcknowledge;
  tag.lane = std::string(rest.substr(0, last));
  for (std::size_t at = last + 1; at <= rest.size();) {
    const std::size_t comma = std::min(rest.find(',', at), rest.size());
    auto id = core::fixed_from_hex<core::MessageId>(rest.substr(at, comma - at));
    if (!id) return std::nullopt;
    tag.ids.push_back(*id);
    at = comma + 1;
  }
  return tag;
}

// ---- Runtime state -------------------------------------------------------------------------------

namespace {

struct Chain;

struct InFlight {
  evm::SubmitHandle handle;
  std::vector<core::MessageId> ids;
  Steady::time_point sent_at;
  bool ack = false;
  bool skip = false;  // a skip transaction, confirmed like a deliver (it emits MessageExecuted)
};

// One acknowledgement an ack step sends: its message, our own vote (booked once published), how
// many votes it carries, and what goes to the sink.
struct Acking {
  const store::DueMessage* message = nullptr;
  store::VoteRecord own;
  std::size_t votes = 0;
  evm::Ack ack;
};

// The gas limits of `flights` together: what a node reserves for them when it packs a block.
std::uint64_t gas_in_flight(const std::deque<InFlight>& flights) {
  std::uint64_t total = 0;
  for (const auto& f : flights) total += f.handle.gas_limit;
  return total;
}

struct Lane {
  const LaneSettings* settings = nullptr;
  std::string name;
  Chain* from = nullptr;
  Chain* to = nullptr;
  std::vector<core::Hash32> store_lanes;  // lane_key of the unordered and the ordered lane
  TokenBucket bucket;
  CircuitBreaker breaker;
  std::string halted;  // why the lane waits for an operator; empty while it flows
  std::deque<InFlight> in_flight;       // deliver transactions on `to`
  std::deque<InFlight> acks_in_flight;  // acknowledge transactions on `from`
  std::set<core::MessageId> acking;     // ids with an acknowledge in flight
  // Deliver steps between choosing a batch and holding its transaction (kDeliverLoops run per
  // lane): their ids, which no other step takes, how many, and whether one carries an ordered
  // message (then no other runs beside it).
  std::set<core::MessageId> submitting;
  std::size_t submits = 0;
  bool ordered_submit = false;
  bool recovering = false;  // a step is in recover_executions
  // Whether a batch of first attempts goes without the sink's pre-check (SubmitRequest::precheck):
  // the node then executes each deliver transaction once, not twice, which is most of what a busy
  // destination's node spends on the relay. Off from a deliver that reverted (on chain or at a
  // pre-check) until a pre-checked batch passes again, so a paused gateway, a moved epoch or a bad
  // message costs the transactions then in flight, not one per batch from then on.
  bool optimistic = true;
  // The same for acknowledge transactions on `from` (AckRequest::precheck). An acknowledgement's
  // attempts count its waits for the watcher too, so the ones refused (on chain or at a pre-check)
  // are remembered instead, until one of ours for them mines (a restart forgets them: one more
  // transaction may revert).
  bool acks_optimistic = true;
  std::set<core::MessageId> acks_refused;
  // Delivery loops waiting for company (Impl::idle), woken when a poll or sweep records messages.
  std::set<asio::steady_timer*> idle;
  std::uint64_t recorded = 0;  // how many times messages were recorded for the lane

  Lane(const LaneSettings& s, Chain* f, Chain* t, Steady::time_point now)
      : settings(&s),
        name(s.name),
        from(f),
        to(t),
        bucket(s.rate_limit.messages_per_second, s.rate_limit.burst, now),
        breaker(s.breaker.failures, s.breaker.cool_down) {}
};

// A signed chain's verified target the relay may keep as its checkpoint (verify/checkpoints.hpp):
// its header and the set in force after it, as the store keeps them.
struct PendingCheckpoint {
  store::VerifiedHeader header;
  store::ValidatorSetRecord validators_after;
};

// What the watcher and reconciliation read a source chain's messages through: the built-in EVM
// source or an external adapter (DESIGN.md section 3). Either way its bundles are candidates only:
// the engine verifies each against its own trust anchors, so an adapter can withhold but not forge.
class SourceAdapter {
 public:
  virtual ~SourceAdapter() = default;
  // A cursor persisted by the store; before start().
  virtual void restore_cursor(const evm::BlockRef& cursor) = 0;
  virtual awaitable<Result<void>> start() = 0;
  virtual const evm::BlockRef& cursor() const noexcept = 0;
  virtual awaitable<Result<evm::PollResult>> poll() = 0;
  // The bundles of `request`'s sequences sent in its range, proven; the cursor does not move.
  virtual awaitable<Result<evm::ProveResult>> find_and_prove(evm::FindSentRequest request) = 0;
};

// The built-in source, owned by the chain (recover_executions reads the chain through it too).
class EvmSourceAdapter final : public SourceAdapter {
 public:
  explicit EvmSourceAdapter(std::shared_ptr<evm::EvmSource> source) : source_(std::move(source)) {}
  void restore_cursor(const evm::BlockRef& cursor) override { source_->restore_cursor(cursor); }
  awaitable<Result<void>> start() override { return source_->start(); }
  const evm::BlockRef& cursor() const noexcept override { return source_->cursor(); }
  awaitable<Result<evm::PollResult>> poll() override { return source_->poll(); }
  awaitable<Result<evm::ProveResult>> find_and_prove(evm::FindSentRequest request) override {
    CW_CO_TRY(auto events, co_await source_->find_sent(std::move(request)));
    // One proof request per block: a bundle proves its events against that block's header.
    std::map<std::uint64_t, evm::ProveRequest> by_block;
    for (auto& e : events) {
      auto& block = by_block[e.block.number];
      block.block = e.block;
      block.events.push_back(std::move(e));
    }
    evm::ProveResult all;
    for (auto& [height, block] : by_block) {
      CW_CO_TRY(auto proven, co_await source_->prove(std::move(block)));
      std::move(proven.bundles.begin(), proven.bundles.end(), std::back_inserter(all.bundles));
      std::move(proven.tx_hashes.begin(), proven.tx_hashes.end(), std::back_inserter(all.tx_hashes));
    }
    co_return all;
  }

 private:
  std::shared_ptr<evm::EvmSource> source_;
};

// An adapter process's source side; the process itself belongs to the chain and outlives restarts
// of the source.
class ExternalSourceAdapter final : public SourceAdapter {
 public:
  explicit ExternalSourceAdapter(std::unique_ptr<external::ExternalSource> source) : source_(std::move(source)) {}
  void restore_cursor(const evm::BlockRef& cursor) override { source_->restore_cursor(cursor); }
  awaitable<Result<void>> start() override { return source_->start(); }
  const evm::BlockRef& cursor() const noexcept override { return source_->cursor(); }
  awaitable<Result<evm::PollResult>> poll() override { return source_->poll(); }
  awaitable<Result<evm::ProveResult>> find_and_prove(evm::FindSentRequest request) override {
    return source_->find_sent(std::move(request));
  }

 private:
  std::unique_ptr<external::ExternalSource> source_;
};

// What deliveries, acknowledgements and skips on a target chain go through: the built-in EVM sink
// or an external adapter (DESIGN.md section 3). Either way the engine alone decides what is sent
// and signs every vote; what a sink says executed only schedules work, and executions reach the
// store as verified bundles from the chain's source side (or the built-in sink's own receipts).
class SinkAdapter {
 public:
  virtual ~SinkAdapter() = default;
  virtual awaitable<Result<evm::SubmitHandle>> submit(evm::SubmitRequest request) = 0;
  // Acknowledge transactions, each of at most acks_per_transaction() acknowledgements: one result
  // per request, in order, except that a sink may stop after a failure of the node (not a revert of
  // the request), which is then the last result. The outer error is a failure before any was sent.
  virtual awaitable<Result<std::vector<Result<evm::SubmitHandle>>>> acknowledge_all(
      std::vector<evm::AckRequest> requests) = 0;
  virtual std::size_t acks_per_transaction() const = 0;
  virtual awaitable<Result<evm::SubmitHandle>> skip(evm::SkipRequest request) = 0;
  virtual awaitable<Result<evm::Confirmation>> confirm(evm::SubmitHandle handle) = 0;
  // confirm() of several handles: one result per handle, in order.
  virtual awaitable<Result<std::vector<Result<evm::Confirmation>>>> confirm_all(
      std::vector<evm::SubmitHandle> handles) = 0;
  // A submission pending for longer than fees.bump_after: its replacement, or none when the sink
  // prices its own transactions (an adapter); the engine then stops following it, and its messages
  // are delivered again once due, after inbox_state, like any unconfirmed delivery.
  virtual awaitable<Result<std::optional<evm::SubmitHandle>>> bump(evm::SubmitHandle handle) = 0;
  virtual awaitable<Result<std::vector<evm::InboxEntry>>> inbox_state(evm::InboxRequest request) = 0;
  // The target's latest known block gas limit, 0 when the sink does not know it.
  virtual std::uint64_t block_gas_limit() const = 0;
};

// The built-in sink, owned by the chain (the gas-balance reads look at its nonces too).
class EvmSinkAdapter final : public SinkAdapter {
 public:
  explicit EvmSinkAdapter(evm::EvmSink& sink) : sink_(sink) {}
  awaitable<Result<evm::SubmitHandle>> submit(evm::SubmitRequest request) override {
    return sink_.submit(std::move(request));
  }
  awaitable<Result<std::vector<Result<evm::SubmitHandle>>>> acknowledge_all(
      std::vector<evm::AckRequest> requests) override {
    return sink_.acknowledge_all(std::move(requests));
  }
  std::size_t acks_per_transaction() const override { return sink_.acks_per_transaction(); }
  awaitable<Result<evm::SubmitHandle>> skip(evm::SkipRequest request) override { return sink_.skip(std::move(request)); }
  awaitable<Result<evm::Confirmation>> confirm(evm::SubmitHandle handle) override { return sink_.confirm(handle); }
  awaitable<Result<std::vector<Result<evm::Confirmation>>>> confirm_all(
      std::vector<evm::SubmitHandle> handles) override {
    return sink_.confirm_all(std::move(handles));
  }
  awaitable<Result<std::optional<evm::SubmitHandle>>> bump(evm::SubmitHandle handle) override {
    CW_CO_TRY(auto bumped, co_await sink_.bump(handle));
    co_return std::optional<evm::SubmitHandle>(bumped);
  }
  awaitable<Result<std::vector<evm::InboxEntry>>> inbox_state(evm::InboxRequest request) override {
    return sink_.inbox_state(std::move(request));
  }
  std::uint64_t block_gas_limit() const override { return sink_.block_gas_limit(); }

 private:
  evm::EvmSink& sink_;
};

// An adapter process's sink side; the process belongs to the chain (and may serve its source too).
class ExternalSinkAdapter final : public SinkAdapter {
 public:
  explicit ExternalSinkAdapter(std::unique_ptr<external::ExternalSink> sink) : sink_(std::move(sink)) {}
  awaitable<Result<evm::SubmitHandle>> submit(evm::SubmitRequest request) override {
    return sink_->submit(std::move(request));
  }
  // The adapter protocol has one acknowledgement per request (acks_per_transaction() 1): sent in
  // turn, up to the first failure that is not the request's own revert.
  awaitable<Result<std::vector<Result<evm::SubmitHandle>>>> acknowledge_all(
      std::vector<evm::AckRequest> requests) override {
    std::vector<Result<evm::SubmitHandle>> out;
    for (auto& request : requests) {
      auto handle = co_await sink_->acknowledge(std::move(request));
      const bool stop = !handle && handle.error().reason() != external::reason::kEstimateReverted;
      out.push_back(std::move(handle));
      if (stop) break;
    }
    co_return out;
  }
  std::size_t acks_per_transaction() const override { return 1; }
  awaitable<Result<evm::SubmitHandle>> skip(evm::SkipRequest request) override { return sink_->skip(std::move(request)); }
  awaitable<Result<evm::Confirmation>> confirm(evm::SubmitHandle handle) override { return sink_->confirm(handle); }
  awaitable<Result<std::vector<Result<evm::Confirmation>>>> confirm_all(
      std::vector<evm::SubmitHandle> handles) override {
    std::vector<Result<evm::Confirmation>> out;
    for (const auto& handle : handles) out.push_back(co_await sink_->confirm(handle));
    co_return out;
  }
  awaitable<Result<std::optional<evm::SubmitHandle>>> bump(evm::SubmitHandle /*handle*/) override {
    co_return std::optional<evm::SubmitHandle>{};
  }
  awaitable<Result<std::vector<evm::InboxEntry>>> inbox_state(evm::InboxRequest request) override {
    return sink_->inbox_state(std::move(request));
  }
  std::uint64_t block_gas_limit() const override { return 0; }  // the adapter paces its own chain

 private:
  std::unique_ptr<external::ExternalSink> sink_;
};

// A deliver or acknowledge the chain says would revert, from either kind of sink: the batch is
// split, the message backed off and in the end parked.
bool estimate_reverted(const Error& e) {
  return e.reason() == evm::reason::sink::kEstimateReverted || e.reason() == external::reason::kEstimateReverted;
}

struct Chain {
  const ChainSettings* settings = nullptr;
  std::string name;
  std::unique_ptr<net::Client> client;
  std::unique_ptr<evm::NetRpc> rpc;
  // Reads the chain's gateway logs over RPC: the watcher's source unless an external adapter
  // serves it, and on every chain how recover_executions finds executions the watcher passed.
  // Both are shared: a watcher restart replaces them while the reconciliation or a delivery step
  // may be suspended in the old ones, which hold their own copy until they are done.
  std::shared_ptr<evm::EvmSource> evm_source;
  std::shared_ptr<SourceAdapter> source;  // what the watcher and reconciliation read
  // The process serving the source when the config names an external adapter; supervised for as
  // long as the engine runs.
  std::unique_ptr<external::AdapterProcess> adapter;
  // The process serving the sink when the config names an external adapter that is not the
  // source's (same command and environment: `adapter` serves both and this stays empty).
  std::unique_ptr<external::AdapterProcess> sink_adapter;
  std::uint64_t adapter_restarts = 0;  // already counted in causeway_adapter_restarts_total
  // The built-in sink unless an external adapter writes to this chain.
  std::unique_ptr<evm::EvmSink> evm_sink;
  std::unique_ptr<SinkAdapter> sink;  // what deliveries, acknowledgements and skips go through
  std::unique_ptr<evm::GatewayReader> gateway;
  verify::ConsensusMode mode = verify::ConsensusMode::kConfirmations;
  core::Eip712Domain domain;
  core::Epoch epoch;
  // The gateway's attesters and threshold, read with the epoch at start and again by
  // refresh_authority after a rotation: who a peer's vote must come from, how many votes count.
  std::vector<core::Address> attesters;
  std::size_t threshold = 1;
  bool started = false;        // source, sink and gateway reads work
  bool start_attempted = false;
  bool recovered = false;      // journaled transactions re-sent after a restart
  std::string last_error;
  std::uint64_t head = 0;
  bool gas_low = false;  // below gas_balance_warn at the last read: warn once per drop, not every read
  std::vector<Lane*> outgoing;  // lanes whose messages this chain sends
  std::vector<Lane*> incoming;  // lanes delivering to this chain
  // Signed modes: the checkpoint new bundles start from (the anchors' or one the relay kept), and
  // the highest target verified above it, kept once the commit storing its bundle is done.
  std::uint64_t checkpoint_height = 0;
  std::optional<PendingCheckpoint> pending_checkpoint;
  Steady::time_point idle_advance_after{};  // advance_idle_checkpoint: not before, after a failure
  Steady::time_point lost_check_after{};    // find_lost: not before
};

}  // namespace

struct Engine::Impl {
  asio::io_context& io;
  const Config& config;
  store::Store& store;
  Metrics& metrics;
  EngineKeys keys;
  EngineOptions options;
  verify::TrustAnchors anchors;
  // Which anchors each bundle is verified with: the pinned ones, or a checkpoint kept in the store.
  verify::FollowedCheckpoints followed{anchors, [this](const core::ChainIdentity& chain, std::uint64_t height) {
                                         return stored_checkpoint(chain, height);
                                       }};
  std::size_t pool_threads;
  asio::thread_pool pool;
  std::vector<std::unique_ptr<Chain>> chains;
  std::vector<std::unique_ptr<Lane>> lanes;
  std::atomic<bool> stopping{false};
  core::Address vote_address;
  std::optional<evm::VoteSigner> signer;

  Impl(asio::io_context& io_context, const Config& c, store::Store& s, Metrics& m, EngineKeys k, EngineOptions o)
      : io(io_context),
        config(c),
        store(s),
        metrics(m),
        keys(std::move(k)),
        options(std::move(o)),
        pool_threads(std::max<std::size_t>(1, c.relay.verify_threads)),
        pool(pool_threads) {}

  ~Impl() { pool.join(); }

  std::uint64_t now() const { return options.clock ? options.clock() : system_seconds(); }
  void log(int level, const std::string& text) const {
    if (options.log) options.log(level, text);
  }

  // Sleeps up to `d`, waking early when stop() is called.
  awaitable<void> pause(Steady::duration d) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    const auto until = Steady::now() + d;
    while (!stopping && Steady::now() < until) {
      timer.expires_after(std::min<Steady::duration>(until - Steady::now(), std::chrono::milliseconds(100)));
      co_await timer.async_wait(asio::use_awaitable);
    }
  }

  // Sleeps up to `d`, waking early when messages are recorded for `lane` (found) or at stop(): a
  // partial batch waits for company, but what one poll found is all the company it gets.
  awaitable<void> idle(Lane& lane, Steady::duration d) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    lane.idle.insert(&timer);
    const struct Leave {
      Lane& lane;
      asio::steady_timer* timer;
      ~Leave() { lane.idle.erase(timer); }
    } leave{lane, &timer};
    const std::uint64_t seen = lane.recorded;
    const auto until = Steady::now() + d;
    while (!stopping && lane.recorded == seen && Steady::now() < until) {
      timer.expires_after(std::min<Steady::duration>(until - Steady::now(), std::chrono::milliseconds(100)));
      co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));  // cancelled by found()
    }
  }

  Chain* chain_by_identity(const core::ChainIdentity& identity) {
    for (auto& c : chains) {
      if (c->settings->chain_identity == identity) return c.get();
    }
    return nullptr;
  }
  Lane* lane_between(const Chain* from, const core::ChainIdentity& to) {
    for (Lane* l : from->outgoing) {
      if (l->to->settings->chain_identity == to) return l;
    }
    return nullptr;
  }
  Lane* lane_of(const core::Message& m) {
    Chain* from = chain_by_identity(m.src_chain);
    return from ? lane_between(from, m.dst_chain) : nullptr;
  }
  // The lane whose unordered or ordered store lane is `key` (store::lane_key).
  const Lane* lane_keyed(const core::Hash32& key) const {
    for (const auto& lane : lanes) {
      if (std::find(lane->store_lanes.begin(), lane->store_lanes.end(), key) != lane->store_lanes.end()) {
        return lane.get();
      }
    }
    return nullptr;
  }
  // When this relay's first vote on `chain` is due: at once (0) when one vote is enough or it is
  // among the first `threshold` attesters of the gateway, else kStandInDelaySeconds per place later.
  std::uint64_t first_vote_due(const Chain& chain) {
    if (chain.threshold <= 1) return 0;
    const auto me = std::find(chain.attesters.begin(), chain.attesters.end(), vote_address);
    if (me == chain.attesters.end()) return 0;
    const auto place = static_cast<std::size_t>(me - chain.attesters.begin());
    if (place < chain.threshold) return 0;
    return now() + (place - chain.threshold + 1) * kStandInDelaySeconds;
  }
  // The first deliver of `m` (a verified transition's next attempt).
  std::uint64_t deliver_due(const core::Message& m) {
    Lane* lane = lane_of(m);
    return lane ? first_vote_due(*lane->to) : 0;
  }
  // The first acknowledge of `m` (an execution transition's next attempt).
  std::uint64_t acknowledge_due(const Lane* lane) {
    return lane && lane->settings->acknowledge ? first_vote_due(*lane->from) : 0;
  }
  // Every state change goes through here: one group commit, then one log line and one event per
  // transition (the API's stream), only once it is durable.
  Result<void> commit(const store::WriteBatch& batch) {
    if (batch.empty()) return core::ok();
    CW_TRY(const auto applied, store.batch(batch));
    for (std::size_t i = 0; i < batch.transitions.size() && i < applied.size(); ++i) {
      announce(batch.transitions[i], applied[i]);
    }
    return core::ok();
  }
  Result<void> apply_one(const store::Transition& t) {
    store::WriteBatch batch;
    batch.transitions.push_back(t);
    return commit(batch);
  }
  // `stored`: the message's keys as the commit left them (Store::batch).
  void announce(const store::Transition& t, const store::MessageKeys& stored) {
    TransitionEvent event{t.id, t.to, {}, stored.claim, t.reason};
    if (const Lane* lane = lane_keyed(stored.lane)) event.lane = lane->name;
    log(kInfo, "message " + core::to_hex(event.id) + " " + std::string(store::to_string(event.to)) + " lane " +
                   (event.lane.empty() ? "-" : event.lane) + " claim " + core::to_hex(event.claim) +
                   (event.reason.empty() ? "" : " reason " + event.reason));
    if (options.on_transition) options.on_transition(event);
  }

  void halt(Lane& lane, const std::string& why) {
    if (lane.halted.empty()) log(kError, "lane " + lane.name + " halted: " + why);
    lane.halted = why;
    metrics.lane_halted(lane.name).Set(1);
  }

  // ---- verification on the pool

  template <typename F>
  awaitable<std::invoke_result_t<F>> on_pool(F f) {
    using R = std::invoke_result_t<F>;
    co_return co_await asio::co_spawn(
        pool.get_executor(), [f = std::move(f)]() mutable -> awaitable<R> { co_return f(); }, asio::use_awaitable);
  }

  // f(i) for every i below n, in contiguous chunks spread over the pool's threads (a poll brings
  // thousands of bundles, and one task would keep the other threads idle); results in order. Each
  // chunk calls its own copy of f in order, so f may keep state from one i to the next.
  template <typename F>
  awaitable<std::vector<std::invoke_result_t<F&, std::size_t>>> on_pool_each(std::size_t n, F f) {
    using Part = std::vector<std::invoke_result_t<F&, std::size_t>>;
    const std::size_t chunks = std::min(n, pool_threads);
    auto chunk = [this, &f, n, chunks](std::size_t c) {
      const std::size_t begin = n * c / chunks;
      const std::size_t end = n * (c + 1) / chunks;
      return asio::co_spawn(
          pool.get_executor(),
          [each = f, begin, end]() mutable -> awaitable<Part> {
            Part out;
            out.reserve(end - begin);
            for (std::size_t i = begin; i < end; ++i) out.push_back(each(i));
            co_return out;
          },
          asio::deferred);
    };
    std::vector<decltype(chunk(0))> ops;
    for (std::size_t c = 0; c < chunks; ++c) ops.push_back(chunk(c));
    Part out;
    if (ops.empty()) co_return out;
    auto [order, errors, parts] = co_await asio::experimental::make_parallel_group(std::move(ops))
                                      .async_wait(asio::experimental::wait_for_all(), asio::use_awaitable);
    (void)order;
    for (const auto& e : errors) {
      if (e) std::rethrow_exception(e);
    }
    out.reserve(n);
    for (auto& part : parts) std::move(part.begin(), part.end(), std::back_inserter(out));
    co_return out;
  }

  // Endpoints of one chain disagree about a block: nothing from or to that chain can be trusted
  // until an operator looks (THREATS 1).
  void conflict(Chain& chain, std::uint64_t height, const std::string& detail) {
    metrics.endpoint_conflicts(chain.name).Increment();
    const std::string why = "endpoints of " + chain.name + " disagree on block " + std::to_string(height) + ": " + detail;
    for (Lane* lane : chain.outgoing) halt(*lane, why);
    for (Lane* lane : chain.incoming) halt(*lane, why);
  }

  // The canonical hashes an unsigned chain's bundles are checked against: k-of-n agreeing
  // endpoints (THREATS 1). Endpoints that disagree halt the chain's lanes.
  // With `always`, asks even for a signed chain (whose bundles need no canonical hash).
  awaitable<Result<verify::CanonicalHashMap>> canonical_hashes(Chain& chain, std::set<std::uint64_t> heights,
                                                               std::uint64_t head, bool always = false) {
    verify::CanonicalHashMap map;
    map.set_head(chain.settings->chain_identity, head);
    if (verify::is_signed_mode(chain.mode) && !always) co_return map;
    for (const std::uint64_t height : heights) {
      net::QuorumSpec spec;
      spec.k = chain.settings->quorum;
      spec.projection = net::project_member("hash");
      net::Json params = net::Json::array({evm::to_quantity(height), false});
      auto answer = co_await chain.client->quorum_call("eth_getBlockByNumber", std::move(params), spec);
      if (!answer && answer.error().reason() == net::reason::kQuorumDisagreement) {
        conflict(chain, height, answer.error().detail());
      }
      if (!answer) co_return std::move(answer).error().with_context("canonical hash of block " + std::to_string(height));
      if (!answer->dissenting.empty()) {
        std::string who;
        for (const auto& d : answer->dissenting) who += (who.empty() ? "" : "; ") + d;
        conflict(chain, height, who);
      }
      auto hash = block_hash_of(answer->result, height);
      if (!hash) co_return std::move(hash).error();
      map.add(chain.settings->chain_identity, height, *hash);
    }
    co_return map;
  }

  // ---- start-up

  Result<void> build(const Steady::time_point now) {
    CW_TRY(anchors, config.trust_anchors());
    if (!keys.vote) return Error(reason::kBadConfig, "no vote key");
    vote_address = keys.vote->address();
    // VoteSigner refuses a vote key that is also a gas key (THREATS 23).
    CW_TRY(signer, evm::VoteSigner::create(std::move(keys.vote), gas_addresses()));
    for (const auto& settings : config.chains) {
      auto chain = std::make_unique<Chain>();
      chain->settings = &settings;
      chain->name = settings.name;
      chain->domain = core::causeway_domain(settings.chain_id, settings.gateway, settings.chain_identity);
      const verify::ChainAnchor* anchor = anchors.find(settings.chain_identity);
      if (!anchor) return Error(reason::kBadConfig, "no trust anchor for chain " + settings.name);
      chain->mode = anchor->consensus.mode;
      std::vector<net::EndpointConfig> endpoints;
      for (const auto& e : settings.endpoints) {
        endpoints.emplace_back(e.url, e.priority, net::TlsOptions{e.ca_file, e.insecure_skip_tls_verify});
      }
      net::ClientOptions client_options;
      client_options.request_timeout = settings.request_timeout;
      client_options.on_request = [this, name = settings.name](const net::RequestOutcome& o) {
        const std::string endpoint(o.endpoint);
        metrics.rpc_request_seconds(name, endpoint, std::string(o.method)).Observe(o.elapsed.count());
        if (o.error) metrics.rpc_endpoint_errors(name, endpoint).Increment();
      };
      CW_TRY(chain->client, net::Client::create(io.get_executor(), std::move(endpoints), client_options));
      chain->rpc = std::make_unique<evm::NetRpc>(*chain->client);
      chain->gateway = std::make_unique<evm::GatewayReader>(*chain->rpc, settings.gateway);
      if (!keys.gas.contains(settings.name)) return Error(reason::kBadConfig, "no gas key for chain " + settings.name);
      if (settings.external_source) {
        CW_TRY(chain->adapter, create_adapter(settings.name, settings, *settings.external_source));
      }
      if (settings.external_sink) {
        const auto& source = settings.external_source;
        // One process for both sides when both are the same program with the same environment:
        // one adapter owning the chain's connection and the sink's account, one restart history.
        const bool shared = source && source->command == settings.external_sink->command &&
                            source->env == settings.external_sink->env;
        if (!shared) {
          CW_TRY(chain->sink_adapter, create_adapter(settings.name + "-sink", settings, *settings.external_sink));
        }
      }
      chains.push_back(std::move(chain));
    }
    std::size_t insecure_tls = 0;
    for (const auto& c : chains) insecure_tls += c->client->insecure_endpoint_count();
    metrics.insecure_tls_endpoints().Set(static_cast<double>(insecure_tls));
    metrics.single_operator().Set(config.single_operator() ? 1 : 0);
    metrics.insecure_trust().Set(config.insecure_trust() ? 1 : 0);

    for (const auto& settings : config.lanes) {
      Chain* from = nullptr;
      Chain* to = nullptr;
      for (auto& c : chains) {
        if (c->name == settings.from) from = c.get();
        if (c->name == settings.to) to = c.get();
      }
      if (!from || !to) return Error(reason::kBadConfig, "lane " + settings.name + " names an unknown chain");
      auto lane = std::make_unique<Lane>(settings, from, to, now);
      for (const std::uint8_t flags : {std::uint8_t{0}, core::kFlagOrdered}) {
        core::Message shape;
        shape.src_chain = from->settings->chain_identity;
        shape.src_gateway = core::address_word(from->settings->gateway);
        shape.dst_chain = to->settings->chain_identity;
        shape.dst_gateway = core::address_word(to->settings->gateway);
        shape.flags = flags;
        lane->store_lanes.push_back(store::lane_key(shape));
      }
      metrics.lane_halted(lane->name).Set(0);
      metrics.breaker_open(lane->name).Set(0);
      from->outgoing.push_back(lane.get());
      to->incoming.push_back(lane.get());
      lanes.push_back(std::move(lane));
    }
    return core::ok();
  }

  // The process of an external source or sink: argv and environment from the config, its stderr in
  // the engine's log under `name`. Spawned by the first start of the side it serves.
  Result<std::unique_ptr<external::AdapterProcess>> create_adapter(const std::string& name,
                                                                   const ChainSettings& settings,
                                                                   const ExternalAdapterSettings& command) {
    external::ProcessConfig process;
    process.name = name;
    process.argv = command.command;
    for (const auto& [variable, value] : command.env) process.env.push_back(variable + "=" + value);
    process.family = external::Family::kEvm;
    process.chain_identity = settings.chain_identity;
    process.call_timeout = command.call_timeout;
    process.health_interval = command.health_interval;
    process.on_stderr = [this](std::string_view adapter, std::string_view line) {
      log(kInfo, "chain " + std::string(adapter) + " adapter: " + std::string(line));
    };
    return external::AdapterProcess::create(io.get_executor(), std::move(process));
  }

  // The process the chain's external sink talks to, if it has one: its own, or the source's.
  static external::AdapterProcess* sink_process(const Chain& chain) {
    if (!chain.settings->external_sink) return nullptr;
    return chain.sink_adapter ? chain.sink_adapter.get() : chain.adapter.get();
  }

  // Adds the adapters' restarts since the last look to causeway_adapter_restarts_total.
  void count_restarts(Chain& chain) {
    std::uint64_t restarts = 0;
    for (const auto* process : {chain.adapter.get(), chain.sink_adapter.get()}) {
      if (process) restarts += process->restarts();
    }
    if (restarts == chain.adapter_restarts) return;
    metrics.adapter_restarts(chain.name).Increment(static_cast<double>(restarts - chain.adapter_restarts));
    log(kWarn, "chain " + chain.name + ": an adapter was restarted (" + std::to_string(restarts) +
                   " restarts so far)");
    chain.adapter_restarts = restarts;
  }

  evm::SourceConfig source_config(const Chain& chain, const std::optional<store::Cursor>& cursor) const {
    const ChainSettings& s = *chain.settings;
    evm::SourceConfig c;
    c.chain_id = s.chain_id;
    c.chain_identity = s.chain_identity;
    c.gateway = s.gateway;
    c.start_height = s.start_height;
    c.confirmations = anchor_confirmations(s);
    c.max_range = s.max_range;
    c.reorg_window = s.reorg_window;
    c.hash_rule = evm::hash_rule_for(chain.mode);
    c.message_limits = core::MessageLimits{anchors.find(s.chain_identity)->limits.max_payload};
    c.poll_interval = s.poll_interval;
    c.executions = true;
    if (verify::is_signed_mode(chain.mode)) {
      // Bundles carry the headers from the anchors' checkpoint on; the verifier follows them.
      const verify::EvmConsensusParams& consensus = anchors.find(s.chain_identity)->consensus;
      c.segment_from = consensus.checkpoint.number;
      // Clique's signer limit (EIP-225): a signer seals at most one of any floor(N/2)+1 consecutive
      // blocks, so the block and floor(N/2) descendants carry the floor(N/2)+1 distinct signers the
      // verifier needs. N is the anchors' set; a set grown since needs a newer checkpoint.
      if (chain.mode == verify::ConsensusMode::kClique) {
        if (auto set = verify::initial_set(consensus)) {
          c.descendants = static_cast<std::uint32_t>(set->members.size() / 2);
        }
      }
    }
    const std::string name = s.name;
    c.on_notice = [this, name](const std::string& notice) { log(kInfo, "chain " + name + ": " + notice); };
    (void)cursor;
    return c;
  }

  static std::uint64_t anchor_confirmations(const ChainSettings& s) {
    if (!s.anchor.contains("consensus")) return 0;
    return s.anchor["consensus"].value("confirmations", std::uint64_t{0});
  }

  // A journaled transaction still live at start, followed again by its lane (parse_journal_tag).
  void adopt(const core::SignedTxRecord& record) {
    auto tag = parse_journal_tag(record.tag);
    if (!tag) return;
    Lane* lane = lane_named(tag->lane);
    if (!lane) return;
    evm::SubmitHandle handle{record.tx_hash, record.nonce, 0, true};
    if (tag->kind == JournalTag::Kind::kAcknowledge) {
      lane->acking.insert(tag->ids.begin(), tag->ids.end());
      lane->acks_in_flight.push_back({handle, std::move(tag->ids), Steady::now(), true});
    } else {
      lane->in_flight.push_back({handle, {}, Steady::now(), false, tag->kind == JournalTag::Kind::kSkip});
    }
  }

  awaitable<Result<void>> start_chain(Chain& chain) {
    const ChainSettings& s = *chain.settings;
    if (s.endpoints.size() > 1) {
      // Every endpoint must serve this chain: one with another block 0 is lying or misconfigured
      // (THREATS 1), and round-robin reads would mix its blocks with the real ones.
      std::set<std::uint64_t> genesis{0};
      CW_CO_TRY(auto hashes, co_await canonical_hashes(chain, genesis, 0, true));
      (void)hashes;
    }
    CW_CO_TRY(auto cursor, store.cursor(s.chain_identity));
    CW_CO_TRY(std::shared_ptr<evm::EvmSource> evm_source,
              evm::EvmSource::create(*chain.rpc, source_config(chain, cursor)));
    if (verify::is_signed_mode(chain.mode)) {
      CW_CO_CHECK(resume_checkpoint(chain));
      evm_source->set_segment_from(chain.checkpoint_height);
    }
    std::shared_ptr<SourceAdapter> source;
    if (chain.adapter) {
      external::ExternalSourceConfig external_config;
      external_config.chain_identity = s.chain_identity;
      CW_CO_TRY(auto external, external::ExternalSource::create(*chain.adapter, std::move(external_config)));
      source = std::make_unique<ExternalSourceAdapter>(std::move(external));
    } else {
      source = std::make_shared<EvmSourceAdapter>(evm_source);
    }
    if (cursor) source->restore_cursor({cursor->height, cursor->hash});
    CW_CO_CHECK(co_await source->start());
    count_restarts(chain);
    if (chain.adapter) {
      // The adapter serves the messages; this chain's own gateway logs (executions of messages
      // delivered to it) are still read over RPC by recover_executions.
      if (cursor) evm_source->restore_cursor({cursor->height, cursor->hash});
      CW_CO_CHECK(co_await evm_source->start());
    }

    CW_CO_TRY(const auto threshold, co_await chain.gateway->threshold());
    if (threshold != s.threshold) {
      co_return Error(reason::kThresholdMismatch, "gateway of " + s.name + " needs " + std::to_string(threshold) +
                                                      " votes, the config says " + std::to_string(s.threshold));
    }
    CW_CO_TRY(auto members, co_await chain.gateway->attesters());
    if (!chain.incoming.empty()) {
      if (std::find(members.begin(), members.end(), vote_address) == members.end()) {
        co_return Error(reason::kNotAttester, "the vote key " + core::to_hex(vote_address) +
                                                  " is not an attester of the gateway on " + s.name);
      }
    }
    CW_CO_TRY(const auto epoch, co_await chain.gateway->epoch());

    std::unique_ptr<evm::EvmSink> evm_sink;
    std::unique_ptr<SinkAdapter> sink;
    if (chain.sink) {
      // The watcher restarts the chain after a poll it could not record: the sink stays, since its
      // nonce manager is the account's one writer (a second is refused) and submissions in flight
      // refer to it.
    } else if (external::AdapterProcess* process = sink_process(chain)) {
      // The adapter owns its account's nonces: nothing of this relay's journal is re-sent for it.
      auto external_sink = std::make_unique<external::ExternalSink>(*process);
      CW_CO_CHECK(co_await external_sink->start());
      count_restarts(chain);
      sink = std::make_unique<ExternalSinkAdapter>(std::move(external_sink));
    } else {
      evm::SinkConfig sink_config;
      sink_config.chain_id = s.chain_id;
      sink_config.gateway = s.gateway;
      sink_config.gas_key = keys.gas.at(s.name);
      sink_config.journal = &store.journal();
      sink_config.gas.cap = s.gas_cap;
      sink_config.fees.max_fee_cap = s.fees.max_fee_cap;
      sink_config.fees.min_priority_fee = s.fees.min_priority_fee;
      sink_config.fees.max_priority_fee = s.fees.max_priority_fee;
      sink_config.fees.bump_percent = s.fees.bump_percent;
      sink_config.fee_mode = s.fees.mode == "legacy"    ? evm::FeeMode::kLegacy
                             : s.fees.mode == "eip1559" ? evm::FeeMode::kEip1559
                                                        : evm::FeeMode::kDetect;
      CW_CO_TRY(evm_sink, co_await evm::EvmSink::create(*chain.rpc, std::move(sink_config)));
      if (!chain.recovered) {
        // Transactions signed before a crash but never accepted by a node go out again, same bytes;
        // those a node already mined are settled from their receipts.
        CW_CO_TRY(const auto resent, co_await evm_sink->resend());
        if (resent > 0) log(kInfo, "chain " + s.name + ": re-sent " + std::to_string(resent) + " journaled transactions");
        // Every transaction still live is confirmed (or bumped) like one sent in this run.
        for (const auto& record : evm_sink->nonces().live()) adopt(record);
        chain.recovered = true;
      }
      sink = std::make_unique<EvmSinkAdapter>(*evm_sink);
    }
    chain.source = std::move(source);
    chain.evm_source = std::move(evm_source);
    if (sink) {
      chain.sink = std::move(sink);
      chain.evm_sink = std::move(evm_sink);
    }
    chain.epoch = core::Epoch{epoch};
    chain.attesters = std::move(members);
    chain.threshold = threshold;
    metrics.attester_epoch(s.name).Set(static_cast<double>(epoch));
    chain.started = true;
    chain.last_error.clear();
    metrics.chain_up(s.name).Set(1);
    log(kInfo, "chain " + s.name + " started at height " + std::to_string(chain.source->cursor().number));
    co_return core::ok();
  }

  // A rotation (PROTOCOL.md section 5) starts a new epoch on the gateway: votes of the old one
  // stop counting there, and a submission carrying one reverts (its digest names the old epoch, so
  // it recovers to a non-member). Re-reads the epoch and, when it moved, the attesters and the
  // threshold; returns whether it moved. Run by every reconciliation sweep and whenever a
  // submission reverts at estimate, so the relay follows a rotation while traffic flows.
  awaitable<Result<bool>> refresh_authority(Chain& chain) {
    CW_CO_TRY(const auto epoch, co_await chain.gateway->epoch());
    if (epoch == chain.epoch.value) co_return false;
    CW_CO_TRY(auto members, co_await chain.gateway->attesters());
    CW_CO_TRY(const auto threshold, co_await chain.gateway->threshold());
    // Another rotation between these reads would pair one epoch with another's set: try later.
    CW_CO_TRY(const auto again, co_await chain.gateway->epoch());
    if (again != epoch) co_return false;
    if (epoch == chain.epoch.value) co_return true;  // a concurrent refresh applied it meanwhile
    log(kWarn, "chain " + chain.name + ": the gateway rotated its attesters, epoch " +
                   std::to_string(chain.epoch.value) + " -> " + std::to_string(epoch) + ", threshold " +
                   std::to_string(threshold) + " of " + std::to_string(members.size()));
    if (!chain.incoming.empty() && std::find(members.begin(), members.end(), vote_address) == members.end()) {
      log(kError, "chain " + chain.name + ": the vote key " + core::to_hex(vote_address) +
                      " is no longer an attester; the gateway will refuse its votes");
    }
    if (threshold != chain.settings->threshold) {
      log(kWarn, "chain " + chain.name + ": the gateway now needs " + std::to_string(threshold) +
                     " votes, the config says " + std::to_string(chain.settings->threshold) +
                     " (the next start refuses the config)");
    }
    chain.epoch = core::Epoch{epoch};
    chain.attesters = std::move(members);
    chain.threshold = threshold;
    metrics.attester_epoch(chain.name).Set(static_cast<double>(epoch));
    metrics.epoch_changes(chain.name).Increment();
    co_return true;
  }

  // refresh_authority for a caller that only needs to know whether to sign again: a failed read
  // is logged and counts as no change.
  awaitable<bool> epoch_moved(Chain& chain) {
    auto moved = co_await refresh_authority(chain);
    if (moved) co_return *moved;
    log(kWarn, "chain " + chain.name + ": cannot read the gateway's epoch: " + moved.error().message());
    co_return false;
  }

  // ---- the watcher: observe, verify, persist

  awaitable<void> watch(Chain& chain) {
    std::uint32_t failures = 0;
    // The next poll, made while the last one's bundles were verified and stored (overlaps()).
    std::optional<Result<evm::PollResult>> ahead;
    Steady::time_point ahead_at;
    while (!stopping) {
      if (!chain.started) {
        ahead.reset();
        auto started = co_await start_chain(chain);
        chain.start_attempted = true;
        if (!started) {
          chain.last_error = started.error().message();
          metrics.chain_up(chain.name).Set(0);
          metrics.rpc_errors(chain.name, reason_label(started.error())).Increment();
          log(kWarn, "chain " + chain.name + " not started: " + chain.last_error);
          co_await pause(std::min(std::chrono::milliseconds(1000) * (1u << std::min(failures++, 5u)),
                                  std::chrono::milliseconds(30'000)));
          continue;
        }
        failures = 0;
      }
      if (pending_full()) {
        co_await pause(chain.settings->poll_interval);
        continue;
      }
      std::optional<Result<evm::PollResult>> next = std::move(ahead);
      ahead.reset();
      Steady::time_point polled_at = ahead_at;
      if (!next) {
        polled_at = Steady::now();
        next.emplace(co_await chain.source->poll());
      }
      Result<evm::PollResult>& polled = *next;
      count_restarts(chain);
      if (!polled) {
        const Error& e = polled.error();
        metrics.rpc_errors(chain.name, reason_label(e)).Increment();
        chain.last_error = e.message();
        if (e.reason() == evm::reason::source::kReorgTooDeep) {
          metrics.finality_violations(chain.name).Increment();
          for (Lane* lane : chain.outgoing) halt(*lane, "reorg deeper than the kept window on " + chain.name);
          chain.started = false;
          co_await pause(std::chrono::seconds(30));
          continue;
        }
        if (e.reason() != evm::reason::source::kChainChanged) {
          metrics.chain_up(chain.name).Set(0);
          log(kWarn, "chain " + chain.name + ": " + e.message());
        }
        co_await pause(std::min(chain.settings->poll_interval * (1u << std::min(failures++, 5u)),
                                std::chrono::milliseconds(30'000)));
        continue;
      }
      failures = 0;
      metrics.chain_up(chain.name).Set(1);
      chain.head = polled->head;
      metrics.head(chain.name).Set(static_cast<double>(polled->head));
      const std::uint64_t recorded_to = polled->cursor.number;  // the source's own may be a poll ahead
      std::optional<Result<bool>> outcome;
      if (overlaps(chain, *polled)) {
        ahead_at = Steady::now();
        auto [handled, following] =
            co_await net::both(handle_poll(chain, std::move(polled).value(), polled_at), chain.source->poll());
        outcome.emplace(std::move(handled));
        ahead.emplace(std::move(following));
      } else {
        outcome.emplace(co_await handle_poll(chain, std::move(polled).value(), polled_at));
      }
      const Result<bool>& handled = *outcome;
      if (!handled) {
        // Nothing of this poll is stored; the source's in-memory cursor moved past it (and past a
        // poll made meanwhile, dropped), so the source is rebuilt from the persisted cursor and
        // reads the range again.
        ahead.reset();
        log(kError, "chain " + chain.name + ": could not record a poll: " + handled.error().message());
        metrics.rpc_errors(chain.name, reason_label(handled.error())).Increment();
        chain.started = false;
        co_await pause(chain.settings->poll_interval);
        continue;
      }
      metrics.cursor(chain.name).Set(static_cast<double>(recorded_to));
      co_await advance_idle_checkpoint(chain);
      if (!*handled) co_await pause(chain.settings->poll_interval);
    }
  }

  // The adapter's health checks (AdapterProcess::supervise) until stop(): a process that died or
  // stalls is restarted by the next call after its backoff. supervise checks its stop condition
  // once per health_interval only, so the engine's shutdown waits for at most one more check.
  awaitable<void> supervise(Chain& chain, external::AdapterProcess& process) {
    auto on_health = [this, &chain, &process](const Result<external::Json>& health) {
      if (!health) {
        log(kWarn, "chain " + chain.name + ": adapter " + process.config().name + " unhealthy: " + health.error().message());
      }
      count_restarts(chain);
    };
    co_await process.supervise(std::move(on_health), [this] { return stopping.load(); });
  }

  // Whether the next poll may run while this one's bundles are verified and stored (the source's
  // reads, mostly waiting on the node, beside the pool's work and the commit): only while the source
  // is behind its head, for the built-in source of an unsigned chain. A signed chain's commit may
  // keep a checkpoint, which moves where the next bundles' segments start, so its polls stay one
  // after another; an external adapter is asked one thing at a time.
  bool overlaps(const Chain& chain, const evm::PollResult& poll) {
    return chain.evm_source && !chain.adapter && !verify::is_signed_mode(chain.mode) && !poll.orphaned &&
           poll.head > poll.cursor.number && !pending_full();
  }

  bool pending_full() {
    // Counted from the store's per-state totals, refreshed by the metrics loop.
    return pending_ >= config.relay.max_pending;
  }
  std::uint64_t pending_ = 0;

  // The store counts its WAL checkpoints from its opening; the metric advances by what is new.
  void report_wal(const store::WalStatus& wal) {
    const auto since = [](std::uint64_t now_count, std::uint64_t seen) {
      return static_cast<double>(now_count >= seen ? now_count - seen : now_count);
    };
    metrics.wal_checkpoints("thread").Increment(since(wal.background, wal_seen_.background));
    metrics.wal_checkpoints("commit").Increment(since(wal.by_commit, wal_seen_.by_commit));
    metrics.wal_pages().Set(static_cast<double>(wal.pages));
    wal_seen_ = wal;
  }
  store::WalStatus wal_seen_;

  // Returns whether the source is behind its head (poll again at once).
  awaitable<Result<bool>> handle_poll(Chain& chain, evm::PollResult poll, Steady::time_point polled_at) {
    store::WriteBatch batch;
    const auto& identity = chain.settings->chain_identity;

    if (poll.orphaned) {
      // The source had taken these blocks as final: a reorg beyond the configured depth. Messages
      // not yet voted on become orphaned (and are observed again if re-included); the lanes halt
      // for an operator either way, since a delivery may rest on a block that no longer exists.
      metrics.reorgs(chain.name).Increment();
      metrics.finality_violations(chain.name).Increment();
      for (Lane* lane : chain.outgoing) {
        halt(*lane, "reorg of final blocks " + std::to_string(poll.orphaned->from) + ".." +
                        std::to_string(poll.orphaned->to) + " on " + chain.name);
      }
      CW_CO_CHECK(orphan_claims(chain, poll.orphaned->claims));
      batch.cursors.push_back({identity, poll.cursor.number, poll.cursor.hash});
      CW_CO_CHECK(commit(batch));
      co_return false;
    }

    std::set<std::uint64_t> heights;
    for (const auto& b : poll.bundles) heights.insert(b.source.block_number);
    for (const auto& e : poll.executions) heights.insert(e.bundle.source.block_number);
    const std::uint64_t canonical_head = poll.head + anchor_confirmations(*chain.settings);
    verify::CanonicalHashMap canonical;
    if (!heights.empty()) {
      CW_CO_TRY(canonical, co_await canonical_hashes(chain, heights, canonical_head));
    }

    for (const auto& rejected : poll.rejected) {
      metrics.rejected(chain.name, reason_label(rejected.error)).Increment();
      log(kWarn, "chain " + chain.name + ": event in block " + std::to_string(rejected.event.block.number) +
                     " not turned into a bundle: " + rejected.error.message());
    }

    CW_CO_CHECK(co_await take_bundles(chain, std::move(poll.bundles), canonical, batch));
    CW_CO_CHECK(co_await take_executions(chain, std::move(poll.executions), canonical, batch));
    CW_CO_CHECK(drop_recorded_meanwhile(batch));
    batch.cursors.push_back({identity, poll.cursor.number, poll.cursor.hash});
    CW_CO_CHECK(commit(batch));
    keep_checkpoint(chain);
    found(batch, polled_at);
    for (const auto& m : batch.observed) {
      if (Lane* lane = lane_of(m.message)) {
        metrics.observed(lane->name).Increment();
        metrics.verified(lane->name).Increment();
      }
    }
    co_return poll.head > poll.cursor.number;
  }

  Result<void> orphan_claims(Chain& chain, const std::vector<core::Claim>& claims) {
    store::WriteBatch batch;
    for (const auto& claim : claims) {
      CW_TRY(auto bundle, store.bundle(claim));
      if (!bundle) continue;
      CW_TRY(auto m, store.message(bundle->id));
      if (!m || m->claim != claim) continue;
      if (m->state == MessageState::kObserved || m->state == MessageState::kVerified) {
        batch.transitions.push_back(transition(m->id, MessageState::kOrphaned));
        if (Lane* lane = lane_of(m->message)) metrics.orphaned(lane->name).Increment();
      } else {
        log(kError, "chain " + chain.name + ": message " + core::to_hex(m->id) + " in state " +
                        std::string(store::to_string(m->state)) + " rests on an orphaned block");
      }
    }
    return commit(batch);
  }

  // When each message recorded since the start was found (the start of the poll or sweep that
  // recorded it), until its first deliver transaction is broadcast or it executes: the relay's own
  // share of the latency (Metrics::relay_overhead). Bounded: at the cap, entries older than ten
  // minutes (messages delivered by others, orphaned, or parked) go, and then new ones are not timed.
  std::map<core::MessageId, Steady::time_point> found_at;
  static constexpr std::size_t kTimedMessages = 100'000;

  // After the commit that recorded `batch.observed`, found at `at`: times them and wakes their
  // lanes' idle delivery loops.
  void found(const store::WriteBatch& batch, Steady::time_point at) {
    std::set<Lane*> woken;
    for (const auto& m : batch.observed) {
      Lane* lane = lane_of(m.message);
      if (!lane) continue;
      woken.insert(lane);
      if (found_at.size() >= kTimedMessages) {
        std::erase_if(found_at, [&](const auto& entry) { return at - entry.second > std::chrono::minutes(10); });
        if (found_at.size() >= kTimedMessages) continue;
      }
      found_at.emplace(core::message_id(m.message), at);
    }
    for (Lane* lane : woken) {
      ++lane->recorded;
      for (asio::steady_timer* timer : lane->idle) timer->cancel();
    }
  }

  // take_executions waits on the pool and the nodes after take_bundles checked which messages are
  // new, and the reconciliation sweep may record some of them meanwhile: those are dropped here
  // (their bundles are stored once by claim either way) rather than failing the whole commit on
  // verified -> verified. Runs with no suspension before the commit.
  Result<void> drop_recorded_meanwhile(store::WriteBatch& batch) {
    std::set<core::MessageId> recorded;
    for (const auto& m : batch.observed) {
      const core::MessageId id = core::message_id(m.message);
      CW_TRY(const auto stored, store.message_keys(id));
      if (stored) recorded.insert(id);
    }
    if (recorded.empty()) return core::ok();
    std::erase_if(batch.observed,
                  [&](const store::NewMessage& m) { return recorded.contains(core::message_id(m.message)); });
    std::erase_if(batch.transitions, [&](const store::Transition& t) {
      return t.to == MessageState::kVerified && recorded.contains(t.id);
    });
    return core::ok();
  }

  // The stored texts of `bundles` (verify::bundle_text) and their hashes, made on the pool: a
  // message bundle carries its whole source receipt (about 150 KB with 200 messages per
  // transaction), and every pipeline waits while the engine's thread converts, prints and hashes
  // it. A transaction's bundles come one after another, so each chunk's writer prints and hashes
  // their shared proof once.
  awaitable<std::vector<verify::BundleText>> bundle_texts(const std::vector<verify::Bundle>& bundles) {
    auto text_of = [&bundles, write = verify::BundleTextWriter{}](std::size_t i) mutable { return write(bundles[i]); };
    co_return co_await on_pool_each(bundles.size(), std::move(text_of));
  }

  // Verifies the source's message bundles and adds what is new to `batch`.
  awaitable<Result<void>> take_bundles(Chain& chain, std::vector<verify::Bundle> bundles,
                                       const verify::CanonicalHashMap& canonical, store::WriteBatch& batch) {
    std::vector<verify::Bundle> wanted;
    for (auto& b : bundles) {
      Lane* lane = lane_between(&chain, b.message.dst_chain);
      if (!lane) {
        log(kDebug, "chain " + chain.name + ": message " + core::to_hex(core::message_id(b.message)) +
                        " is for a chain no lane serves; ignored");
        continue;
      }
      wanted.push_back(std::move(b));
    }
    if (wanted.empty()) co_return core::ok();
    CW_CO_TRY(auto verdicts, co_await verify_all(chain, wanted, canonical));
    std::vector<verify::BundleText> texts = co_await bundle_texts(wanted);
    std::set<core::MessageId> in_batch;
    for (std::size_t i = 0; i < wanted.size(); ++i) {
      const auto& b = wanted[i];
      const auto& v = verdicts[i];
      if (v.outcome != verify::Outcome::kValid) {
        CW_CO_TRY(const auto why, reject(chain, b, v, texts[i].text()));
        (void)why;
        continue;
      }
      const core::MessageId id = *v.id;
      if (in_batch.contains(id)) continue;
      CW_CO_TRY(const bool taken, take_verified(b, id, std::move(texts[i]), batch));
      if (taken) in_batch.insert(id);
    }
    co_return core::ok();
  }

  // Adds a verified message bundle to `batch` unless its message is stored already (and not
  // orphaned); returns whether it did.
  Result<bool> take_verified(const verify::Bundle& b, const core::MessageId& id, verify::BundleText text,
                             store::WriteBatch& batch) {
    CW_TRY(auto existing, store.message(id));
    if (existing) {
      if (existing->state != MessageState::kOrphaned) {
        if (existing->claim != b.claim) {
          log(kWarn, "message " + core::to_hex(id) + " seen again under another claim; keeping the first");
        }
        return false;  // seen before (a rescan, the reconciliation, or a bundle pushed to the API)
      }
      // Re-included after a reorg: observed again under its new claim.
      batch.bundles.push_back({b.claim, id, std::move(text.tail), true, text.head});
      batch.transitions.push_back(transition(id, MessageState::kObserved, {}, b.claim));
    } else {
      batch.bundles.push_back({b.claim, id, std::move(text.tail), true, text.head});
      batch.observed.push_back({b.message, b.claim});
    }
    batch.transitions.push_back(transition(id, MessageState::kVerified, text.hash, b.claim, deliver_due(b.message)));
    return true;
  }

  // POST /v1/bundles: the watcher's path for one bundle — canonical hashes, verification on the
  // pool, reject() or take_verified() — so a pushed bundle is trusted exactly as much as a polled one.
  awaitable<Result<BundleSubmission>> submit_bundle(std::string text) {
    auto parsed = verify::parse_bundle(text);
    if (!parsed) co_return Error(reason::kBadBundle, parsed.error().message());
    verify::Bundle b = std::move(parsed).value();
    if (b.kind != verify::BundleKind::kMessage) {
      co_return Error(reason::kBadBundle, "only message bundles are taken; executions are proven by the relay");
    }
    Chain* chain = chain_by_identity(b.source.chain_identity);
    Lane* lane = chain ? lane_between(chain, b.message.dst_chain) : nullptr;
    if (!lane) {
      co_return Error(reason::kUnknownLane, "no lane carries messages from this bundle's chain to its destination");
    }
    if (!chain->started) co_return Error(reason::kChainNotStarted, "chain " + chain->name);
    std::set<std::uint64_t> heights{b.source.block_number};
    const std::uint64_t head = chain->head + anchor_confirmations(*chain->settings);
    CW_CO_TRY(auto canonical, co_await canonical_hashes(*chain, heights, head));
    std::vector<verify::Bundle> one;
    one.push_back(b);
    CW_CO_TRY(auto verdicts, co_await verify_all(*chain, one, canonical));
    const verify::Verdict& v = verdicts.front();
    // Stored in the form the watcher stores, so a verified leaf's detail hashes the same bytes.
    verify::BundleText stored = verify::BundleTextWriter{}(b);
    BundleSubmission out;
    out.claim = b.claim;
    out.id = v.id.value_or(core::message_id(b.message));
    if (v.outcome != verify::Outcome::kValid) {
      CW_CO_TRY(out.reason, reject(*chain, b, v, stored.text()));
      out.outcome = BundleSubmission::Outcome::kRejected;
      co_return out;
    }
    store::WriteBatch batch;
    CW_CO_TRY(const bool taken, take_verified(b, out.id, std::move(stored), batch));
    out.outcome = taken ? BundleSubmission::Outcome::kAdmitted : BundleSubmission::Outcome::kKnown;
    if (!taken) co_return out;
    CW_CO_CHECK(commit(batch));
    keep_checkpoint(*chain);
    metrics.observed(lane->name).Increment();
    metrics.verified(lane->name).Increment();
    log(kInfo, "message " + core::to_hex(out.id) + " admitted from a bundle pushed to the API");
    co_return out;
  }

  awaitable<Result<void>> take_executions(Chain& chain, std::vector<evm::ObservedExecution> executions,
                                          const verify::CanonicalHashMap& canonical, store::WriteBatch& batch) {
    std::vector<verify::Bundle> wanted;
    std::vector<evm::ObservedExecution*> of;
    for (auto& e : executions) {
      CW_CO_TRY(auto m, store.message(e.id));
      if (!m) continue;  // not a message this relay carried
      e.bundle.message = m->message;
      wanted.push_back(e.bundle);
      of.push_back(&e);
    }
    if (wanted.empty()) co_return core::ok();
    CW_CO_TRY(auto verdicts, co_await verify_all(chain, wanted, canonical));
    std::vector<verify::BundleText> texts = co_await bundle_texts(wanted);
    for (std::size_t i = 0; i < wanted.size(); ++i) {
      const auto& b = wanted[i];
      const auto& v = verdicts[i];
      if (v.outcome != verify::Outcome::kValid || !v.execution) {
        CW_CO_TRY(const auto why, reject(chain, b, v, texts[i].text()));
        (void)why;
        continue;
      }
      const auto& e = *of[i];
      // Its state again, after the awaits: another step may have recorded the execution meanwhile.
      CW_CO_TRY(auto m, store.message_keys(e.id));
      batch.bundles.push_back({b.claim, e.id, std::move(texts[i].tail), true, texts[i].head});
      batch.executions.push_back({e.id, b.claim, v.execution->status, e.tx_hash, b.source.block_number});
      if (m && awaits_execution(m->state, m->parked_from)) {
        const Lane* lane = lane_keyed(m->lane);
        batch.transitions.push_back(transition(e.id, state_for(v.execution->status), e.tx_hash, std::nullopt,
                                               acknowledge_due(lane)));
        note_executed(lane, e.id, m->created_at, v.execution->status);
      }
    }
    co_return core::ok();
  }

  void note_executed(const Lane* lane, const core::MessageId& id, std::uint64_t created_at, core::ExecStatus status) {
    if (!lane) return;
    metrics.executed(lane->name, status_name(status)).Increment();
    found_at.erase(id);
    const auto t = now();
    if (t >= created_at) metrics.delivery_latency(lane->name).Observe(static_cast<double>(t - created_at));
  }

  // Verifies each bundle against the anchors its segment starts from (pinned, or a checkpoint the
  // relay kept); a signed chain's highest valid target above its checkpoint becomes pending.
  awaitable<Result<std::vector<verify::Verdict>>> verify_all(Chain& chain, const std::vector<verify::Bundle>& bundles,
                                                             const verify::CanonicalHashMap& canonical) {
    // Resolved here, on the engine's thread (the kept checkpoints are read from the store), once per
    // chain and segment start, which is all they depend on: a poll's bundles share a few.
    std::map<std::pair<core::ChainIdentity, std::uint64_t>, verify::TrustAnchors> resolved;
    std::vector<const verify::TrustAnchors*> trust;
    trust.reserve(bundles.size());
    for (const auto& b : bundles) {
      const auto key = std::make_pair(b.source.chain_identity, verify::segment_start(b));
      auto found = resolved.find(key);
      if (found == resolved.end()) {
        CW_CO_TRY(auto anchors_for_bundle, followed.anchors_for(b));
        found = resolved.emplace(key, std::move(anchors_for_bundle)).first;
      }
      trust.push_back(&found->second);
    }
    const auto started = Steady::now();
    verify::ProvenReceipts proven;  // a transaction's messages (or executions) share one receipt
    auto verdicts = co_await on_pool_each(bundles.size(), [&bundles, &trust, &canonical, &proven](std::size_t i) {
      return verify::verify_bundle(bundles[i], *trust[i], canonical, &proven);
    });
    const double seconds = std::chrono::duration<double>(Steady::now() - started).count();
    auto& histogram = metrics.verify_seconds(chain.name);
    for (std::size_t i = 0; i < bundles.size(); ++i) histogram.Observe(seconds / static_cast<double>(bundles.size()));
    if (verify::is_signed_mode(chain.mode)) note_checkpoint(chain, bundles, verdicts);
    co_return verdicts;
  }

  // ---- relay-kept checkpoints of signed chains (verify/checkpoints.hpp)

  // The checkpoint kept at `height` of `chain`, restored from its stored header and the set stored
  // beside it; nullopt when none was kept there.
  Result<std::optional<verify::FinalizedHeader>> stored_checkpoint(const core::ChainIdentity& chain,
                                                                   std::uint64_t height) {
    const verify::ChainAnchor* anchor = anchors.find(chain);
    if (anchor == nullptr || !verify::is_signed_mode(anchor->consensus.mode)) {
      return std::optional<verify::FinalizedHeader>{};
    }
    CW_TRY(auto header, store.verified_header(chain, height));
    if (!header) return std::optional<verify::FinalizedHeader>{};
    CW_TRY(auto set, store.validator_set_at(chain, height + 1));
    // keep_checkpoint stores the set before the header, so a header without its own set is not one.
    if (!set || set->from_height != height + 1) return std::optional<verify::FinalizedHeader>{};
    CW_TRY(auto restored, verify::checkpoint_from_header(anchor->consensus.mode, header->header,
                                                         verify::ValidatorSet{height + 1, set->validators}));
    if (restored.number != height || restored.hash != header->hash) {
      return Error(store::reason::kHeaderConflict, "the checkpoint stored at height " + std::to_string(height) +
                                                       " does not hash to its stored hash");
    }
    return std::optional<verify::FinalizedHeader>(std::move(restored));
  }

  // At start: the latest checkpoint kept in the store when it is above the anchors' own.
  Result<void> resume_checkpoint(Chain& chain) {
    const core::ChainIdentity& identity = chain.settings->chain_identity;
    chain.checkpoint_height =
        std::max(chain.checkpoint_height, anchors.find(identity)->consensus.checkpoint.number);
    CW_TRY(const auto latest, store.latest_verified_header(identity));
    if (latest && latest->height > chain.checkpoint_height) {
      CW_TRY(const auto kept, stored_checkpoint(identity, latest->height));
      if (kept) {
        chain.checkpoint_height = latest->height;
        log(kInfo, "chain " + chain.name + ": resuming from the checkpoint kept at block " +
                       std::to_string(latest->height));
      }
    }
    metrics.trusted_checkpoint_height(chain.name).Set(static_cast<double>(chain.checkpoint_height));
    return core::ok();
  }

  // Remembers the highest valid target above the chain's checkpoint until its bundle is stored.
  void note_checkpoint(Chain& chain, const std::vector<verify::Bundle>& bundles,
                       const std::vector<verify::Verdict>& verdicts) {
    for (std::size_t i = 0; i < bundles.size(); ++i) {
      auto target = verify::established_checkpoint(verdicts[i]);
      if (!target || target->number <= chain.checkpoint_height) continue;
      if (chain.pending_checkpoint && chain.pending_checkpoint->header.height >= target->number) continue;
      const verify::Bundle& b = bundles[i];
      auto pending = pending_of(b.source.chain_identity, *target, b.source.header);
      if (!pending) continue;  // cannot happen: the verifier decoded the same bytes
      chain.pending_checkpoint = std::move(*pending);
    }
  }

  // A verified target as the store keeps it: its header and the set in force after it.
  static Result<PendingCheckpoint> pending_of(const core::ChainIdentity& identity,
                                              const verify::FinalizedHeader& target, const core::Bytes& header_rlp) {
    CW_TRY(const auto header, verify::decode_evm_header(header_rlp));
    return PendingCheckpoint{
        store::VerifiedHeader{identity, target.number, target.hash, verify::to_hash32(header.parent_hash), header_rlp},
        store::ValidatorSetRecord{identity, target.number + 1, target.validators_after.members}};
  }

  // After the commit that stored a pending checkpoint's bundle: keeps it, so auditors find every
  // checkpoint's bundle among the stored ones, and new bundles start there. A failure only leaves
  // segments longer; the next verified target tries again.
  void keep_checkpoint(Chain& chain) {
    if (!chain.pending_checkpoint) return;
    const PendingCheckpoint pending = std::move(*chain.pending_checkpoint);
    chain.pending_checkpoint.reset();
    keep_checkpoint(chain, pending);
  }

  // Keeps `pending` as the chain's checkpoint unless one at or above it is kept already.
  void keep_checkpoint(Chain& chain, const PendingCheckpoint& pending) {
    if (pending.header.height <= chain.checkpoint_height) return;
    // The set before the header: a header stored alone is never read back as a checkpoint.
    auto kept = [&]() -> Result<void> {
      CW_CHECK(store.put_validator_set(pending.validators_after));
      return store.put_verified_header(pending.header);
    }();
    if (!kept) {
      metrics.checkpoint_advance_failures(chain.name, reason_label(kept.error())).Increment();
      log(kWarn, "chain " + chain.name + ": checkpoint at block " + std::to_string(pending.header.height) +
                     " not kept: " + kept.error().message());
      return;
    }
    chain.checkpoint_height = pending.header.height;
    if (chain.evm_source) chain.evm_source->set_segment_from(chain.checkpoint_height);
    metrics.trusted_checkpoint_height(chain.name).Set(static_cast<double>(chain.checkpoint_height));
    log(kDebug, "chain " + chain.name + ": checkpoint kept at block " + std::to_string(chain.checkpoint_height));
  }

  // A signed chain the built-in source reads, quiet for options.idle_advance.after_blocks: its
  // checkpoint follows the finalized headers, so the next message's segment stays within the
  // bound (a chain without messages for BundleLimits::max_segment_headers blocks would stop
  // otherwise). Auditors follow the same headers with their own nodes. Cheap while the cursor is
  // close; a failure is counted and tried again after kIdleAdvanceRetry, never fatal.
  awaitable<void> advance_idle_checkpoint(Chain& chain) {
    if (chain.adapter || !chain.evm_source || !verify::is_signed_mode(chain.mode)) co_return;
    if (Steady::now() < chain.idle_advance_after) co_return;
    const std::uint64_t from = chain.checkpoint_height;
    const auto to = verify::idle_advance_target(options.idle_advance, from, chain.evm_source->cursor().number);
    if (!to) co_return;
    auto advanced = co_await follow_idle_headers(chain, from, *to);
    if (!advanced) {
      chain.idle_advance_after = Steady::now() + kIdleAdvanceRetry;
      metrics.checkpoint_advance_failures(chain.name, reason_label(advanced.error())).Increment();
      log(kWarn, "chain " + chain.name + ": checkpoint not advanced from block " + std::to_string(from) + " to " +
                     std::to_string(*to) + ": " + advanced.error().message());
      co_return;
    }
    keep_checkpoint(chain, *advanced);
  }

  // Headers from+1 .. to (and Clique's descendants) from the chain's node, verified on the pool
  // from the checkpoint at `from`.
  awaitable<Result<PendingCheckpoint>> follow_idle_headers(Chain& chain, std::uint64_t from, std::uint64_t to) {
    const core::ChainIdentity& identity = chain.settings->chain_identity;
    CW_CO_TRY(auto params, followed.params_at(identity, from));
    CW_CO_TRY(auto headers, co_await chain.evm_source->headers(from, to));
    const verify::EvmConsensusParams* consensus = &params;
    const std::vector<core::Bytes>* fetched = &headers;
    // In an optional: co_spawn default-constructs what it hands back, which a Result is not.
    auto target = co_await on_pool([consensus, fetched, to] {
      return std::optional<Result<verify::FinalizedHeader>>(verify::follow_headers(*consensus, *fetched, to));
    });
    if (!*target) co_return std::move(*target).error();
    co_return pending_of(identity, **target, headers[static_cast<std::size_t>(to - from - 1)]);
  }

  // Records a bundle that failed verification by its claim (never by the id it names); returns
  // the reason code.
  Result<std::string> reject(Chain& chain, const verify::Bundle& b, const verify::Verdict& v, const std::string& json) {
    const verify::Check* problem = v.first_problem();
    const std::string why = problem && !problem->reason.name.empty() ? std::string(problem->reason.name)
                                                                      : std::string(verify::outcome_name(v.outcome));
    metrics.rejected(chain.name, why).Increment();
    const core::MessageId claimed = v.id.value_or(core::message_id(b.message));
    log(kWarn, "chain " + chain.name + ": bundle " + core::to_hex(b.claim) + " rejected: " + why +
                   (problem ? " (" + problem->detail + ")" : ""));
    CW_CHECK(store.put_bundle({b.claim, claimed, json, false}));
    CW_TRY(const bool first, store.record_rejected({b.claim, claimed, why, 0}));
    (void)first;
    return why;
  }

  // ---- delivery

  // kDeliverLoops of these run per lane, so one batch's pre-check, pricing, signing and broadcast
  // (a round trip to the node each) overlap with the next's.
  awaitable<void> deliver_loop(Lane& lane) {
    bool full = false;
    while (!stopping) {
      // A partial batch waits up to flush_after for company; after a full one the next goes at once.
      if (!full) co_await idle(lane, lane.settings->batch.flush_after);
      full = false;
      if (!lane.to->started || !lane.halted.empty()) continue;
      const auto t = Steady::now();
      metrics.breaker_open(lane.name).Set(lane.breaker.open(t) ? 1 : 0);
      if (!lane.breaker.allows(t)) continue;
      auto step = co_await deliver_step(lane);
      if (!step) {
        log(kWarn, "lane " + lane.name + ": " + step.error().message());
        metrics.rpc_errors(lane.to->name, reason_label(step.error())).Increment();
        continue;
      }
      full = *step;
    }
  }

  // Executions the destination's watcher passed before their message was stored (a relay that
  // was down catches up both chains at once, and may read the destination first): the gateway's
  // MessageExecuted logs of `ids` up to the watcher's cursor, proven and verified like the
  // watcher's own. Later ones are the watcher's to find. Returns the ids that moved to an
  // execution outcome.
  awaitable<Result<std::set<core::MessageId>>> recover_executions(Chain& chain, std::vector<core::MessageId> ids) {
    std::set<core::MessageId> moved;
    const std::uint64_t cursor = chain.source->cursor().number;
    if (cursor < chain.settings->start_height) co_return moved;
    nlohmann::json wanted = nlohmann::json::array();
    for (const auto& id : ids) wanted.push_back(core::to_hex(id));
    nlohmann::json filter = {{"address", core::to_hex(chain.settings->gateway)},
                             {"fromBlock", evm::to_quantity(chain.settings->start_height)},
                             {"toBlock", evm::to_quantity(cursor)},
                             {"topics", nlohmann::json::array({core::to_hex(core::kMessageExecutedTopic), wanted})}};
    nlohmann::json params = nlohmann::json::array({filter});
    CW_CO_TRY(auto logs, co_await chain.rpc->call("eth_getLogs", std::move(params)));
    if (!logs.is_array()) co_return Error(evm::reason::sink::kBadReply, "eth_getLogs: not an array");
    std::set<std::uint64_t> heights;
    for (const auto& entry : logs) {
      if (!entry.is_object() || !entry.contains("blockNumber")) continue;
      CW_CO_TRY(const auto height, evm::quantity_u64(entry["blockNumber"], "blockNumber"));
      heights.insert(height);
    }
    const std::set<core::MessageId> of(ids.begin(), ids.end());
    const std::shared_ptr<evm::EvmSource> source = chain.evm_source;  // a watcher restart may replace it
    for (const std::uint64_t height : heights) {
      CW_CO_TRY(auto events, co_await source->scan({height, height}));
      std::erase_if(events, [&](const evm::LocatedEvent& e) {
        return e.kind != evm::EventKind::kMessageExecuted || !of.contains(e.id);
      });
      if (events.empty()) continue;
      evm::ProveRequest request;
      request.block = events.front().block;
      request.events = std::move(events);
      CW_CO_TRY(auto proven, co_await source->prove(std::move(request)));
      std::set<std::uint64_t> one{height};
      CW_CO_TRY(auto canonical,
                co_await canonical_hashes(chain, one, chain.head + anchor_confirmations(*chain.settings)));
      store::WriteBatch batch;
      CW_CO_CHECK(co_await take_executions(chain, std::move(proven.executions), canonical, batch));
      CW_CO_CHECK(commit(batch));
      keep_checkpoint(chain);
      for (const auto& t : batch.transitions) moved.insert(t.id);
      if (!batch.transitions.empty()) {
        log(kInfo, "chain " + chain.name + ": recovered " + std::to_string(batch.transitions.size()) +
                       " executions of block " + std::to_string(height) +
                       " the watcher had passed before their messages were stored");
      }
    }
    co_return moved;
  }

  // Whether another deliver transaction may go out. A node packs a block by the gas limits of its
  // transactions, so the target mines a few batches a block; more only wait in its pool (those
  // still unmined at bump_after are re-priced one by one, and anvil drops one it skipped for block
  // gas). So what is in flight stays within two blocks' gas limit.
  bool deliver_room(const Lane& lane) const {
    if (lane.in_flight.empty()) return true;
    if (lane.in_flight.size() >= kMaxDeliversInFlight) return false;
    const std::uint64_t block = lane.to->sink->block_gas_limit();
    if (block == 0) return lane.in_flight.size() < kDeliversInFlightUnpaced;
    return gas_in_flight(lane.in_flight) < 2 * block;
  }

  // Returns whether a full batch (max_messages) went out.
  awaitable<Result<bool>> deliver_step(Lane& lane) {
    if (!deliver_room(lane)) co_return false;
    const auto& limits = lane.settings->batch;
    static constexpr MessageState kDeliverable[] = {MessageState::kVerified, MessageState::kVoted};
    CW_CO_TRY(auto due, store.due_in_lanes(lane.store_lanes, kDeliverable, now(), limits.max_messages * 4));
    if (due.empty()) co_return false;

    // A message delivered before (voted, or retried) may have executed meanwhile — by us, or by
    // another relay — and its execution then arrives through the watcher; skip it. With a single
    // operator a first attempt is not looked up: the gateway skips an executed id anyway, and the
    // lookup would cost a batched call per message on the hot path. Where other attesters deliver too
    // (threshold above 1) they often were first, always so for a relay catching up after being
    // down: every id is looked up rather than paying for votes the gateway no longer needs.
    const bool shared = lane.to->threshold > 1;
    evm::InboxRequest inbox;
    for (const auto& m : due) {
      if (shared || m.state != MessageState::kVerified || m.attempts > 0) inbox.ids.push_back(m.id);
    }
    std::set<core::MessageId> executed;
    if (!inbox.ids.empty()) {
      CW_CO_TRY(auto states, co_await lane.to->sink->inbox_state(inbox));
      for (const auto& entry : states) {
        if (entry.executed) executed.insert(entry.id);
      }
    }
    std::set<core::MessageId> recovered;
    if (!executed.empty()) {
      // One step recovers at a time: two would prove and record the same executions.
      if (lane.recovering) co_return false;
      lane.recovering = true;
      std::vector<core::MessageId> ids(executed.begin(), executed.end());
      auto found = co_await recover_executions(*lane.to, std::move(ids));
      lane.recovering = false;
      if (found) {
        recovered = std::move(found).value();
      } else {
        log(kWarn, "lane " + lane.name + ": executions not recovered: " + found.error().message());
      }
    }
    // Not yet executed, not in a live transaction of ours, not in another step's batch.
    std::set<core::MessageId> busy;
    for (const auto& f : lane.in_flight) busy.insert(f.ids.begin(), f.ids.end());
    std::vector<core::MessageId> candidates;
    store::WriteBatch later;  // executed, its execution not yet recorded: looked at again later
    for (const auto& m : due) {
      if (recovered.contains(m.id)) continue;  // executed now, due for its acknowledgement
      if (executed.contains(m.id)) {
        later.attempts.push_back({m.id, now() + kRedeliverAfterSeconds});
        continue;
      }
      if (busy.contains(m.id) || lane.submitting.contains(m.id)) continue;
      // A batch is drawn from the first max_messages: only those are read in full.
      if (candidates.size() < limits.max_messages) candidates.push_back(m.id);
    }
    CW_CO_CHECK(commit(later));
    if (candidates.empty()) co_return false;
    CW_CO_TRY(auto todo, store.messages(candidates));
    if (todo.empty()) co_return false;
    // Beside another step only batches whose order cannot matter: an ordered message must reach
    // the chain in nonce order behind its predecessors (a later batch mined first leaves it
    // unexecuted until its redelivery). A batch is drawn from the first max_messages.
    const std::size_t wanted = std::min(todo.size(), limits.max_messages);
    const bool ordered = std::any_of(todo.begin(), todo.begin() + static_cast<std::ptrdiff_t>(wanted),
                                     [](const store::StoredMessage& m) { return m.message.ordered(); });
    if (lane.submits > 0 && (ordered || lane.ordered_submit)) co_return false;

    const std::size_t allowed = lane.bucket.take(wanted, Steady::now());
    if (allowed < wanted) metrics.rate_limited(lane.name).Increment();
    if (allowed == 0) co_return false;

    std::vector<store::StoredMessage> batch;
    std::size_t bytes = 0;
    std::uint64_t gas = 0;
    for (auto& m : todo) {
      if (batch.size() >= allowed) break;
      const std::size_t size = m.message.payload.size() + 12 * 32;
      if (!batch.empty() && (bytes + size > limits.max_bytes || gas + m.message.gas_limit > limits.max_gas)) break;
      bytes += size;
      gas += m.message.gas_limit;
      batch.push_back(std::move(m));
    }
    const bool full = batch.size() >= limits.max_messages;
    std::vector<core::MessageId> ids;
    for (const auto& m : batch) ids.push_back(m.id);
    lane.submitting.insert(ids.begin(), ids.end());
    ++lane.submits;
    lane.ordered_submit = ordered;
    co_await submit(lane, std::move(batch));
    for (const auto& id : ids) lane.submitting.erase(id);
    --lane.submits;
    lane.ordered_submit = false;
    co_return full;
  }

  // `own` and the book's matching votes of other attesters (aggregate_votes). With threshold 1
  // one vote is enough and the book is not read.
  std::vector<store::VoteRecord> with_peer_votes(const Chain& chain, const store::VoteRecord& own) {
    if (chain.threshold <= 1) return {own};
    auto book = store.votes(own.id);
    if (!book) {
      log(kWarn, "votes of " + core::to_hex(own.id) + ": " + book.error().message());
      return {own};
    }
    return aggregate_votes(own, *book, chain.attesters, chain.threshold);
  }

  // Submits one batch; on a revert at estimate, splits it to isolate the message that reverts.
  awaitable<void> submit(Lane& lane, std::vector<store::StoredMessage> batch) {
    if (batch.empty() || stopping) co_return;
    evm::SubmitRequest request;
    store::WriteBatch write;
    std::size_t aggregated = 0;
    std::set<core::MessageId> short_of_threshold;  // votes fewer than the gateway's threshold
    for (const auto& m : batch) {
      core::DeliverVote vote{m.id, m.claim, lane.to->epoch};
      auto signature = signer->sign(lane.to->domain, vote);
      if (!signature) {
        log(kError, "lane " + lane.name + ": cannot sign a vote: " + signature.error().message());
        co_return;
      }
      const auto own = own_vote(store::VoteKind::kDeliver, m.id, m.claim, 0, lane.to->epoch, *signature);
      auto votes = with_peer_votes(*lane.to, own);
      aggregated += votes.size() - 1;
      if (votes.size() < lane.to->threshold) short_of_threshold.insert(m.id);
      request.messages.push_back(m.message);
      request.claims.push_back(m.claim);
      request.signatures.emplace_back();
      for (const auto& v : votes) request.signatures.back().push_back(v.signature);
      write.votes.push_back(own);
    }
    request.tag = journal_tag({JournalTag::Kind::kDeliver, lane.name, {}});
    // A retried message (its batch reverted, or it may have executed meanwhile) is pre-checked.
    request.precheck = !lane.optimistic || std::any_of(batch.begin(), batch.end(), [](const store::StoredMessage& m) {
      return m.state != MessageState::kVerified || m.attempts > 0;
    });
    const bool prechecked = request.precheck;
    auto handle = co_await lane.to->sink->submit(std::move(request));
    const auto t = Steady::now();
    if (handle) {
      if (prechecked) lane.optimistic = true;
      lane.breaker.success();
      metrics.submissions(lane.name, "deliver", "sent").Increment();
      if (aggregated > 0) metrics.votes_aggregated(lane.name, "deliver").Increment(static_cast<double>(aggregated));
      metrics.batch_size(lane.name).Observe(static_cast<double>(batch.size()));
      // The votes go into the book with the voted transitions they belong to (a redelivery's
      // vote is the one already there).
      InFlight flight{*handle, {}, t, false};
      for (const auto& m : batch) {
        flight.ids.push_back(m.id);
        if (auto timed = found_at.extract(m.id)) {
          metrics.relay_overhead(lane.name).Observe(std::chrono::duration<double>(t - timed.mapped()).count());
        }
        if (m.state == MessageState::kVerified) {
          write.transitions.push_back(
              transition(m.id, MessageState::kVoted, handle->tx_hash, std::nullopt, now() + kRedeliverAfterSeconds));
        } else if (m.state == MessageState::kVoted) {
          const auto after = redeliver_after_seconds(m.attempts + 1, short_of_threshold.contains(m.id));
          write.attempts.push_back({m.id, now() + after});
        }
      }
      auto stored = commit(write);
      if (!stored) log(kError, "lane " + lane.name + ": " + stored.error().message());
      metrics.delivered(lane.name).Increment(static_cast<double>(batch.size()));
      lane.in_flight.push_back(std::move(flight));
      co_return;
    }
    const Error& e = handle.error();
    if (estimate_reverted(e)) {
      lane.optimistic = false;
      metrics.submissions(lane.name, "deliver", "reverted_estimate").Increment();
      if (co_await epoch_moved(*lane.to)) {
        // Signed for an epoch the gateway left: the same batch again, signed for the new one.
        co_await submit(lane, std::move(batch));
        co_return;
      }
      if (batch.size() == 1) {
        co_await failed_attempt(lane, batch.front(), e);
        co_return;
      }
      metrics.batch_splits(lane.name).Increment();
      const auto half = static_cast<std::ptrdiff_t>(batch.size() / 2);
      std::vector<store::StoredMessage> left(std::make_move_iterator(batch.begin()),
                                             std::make_move_iterator(batch.begin() + half));
      std::vector<store::StoredMessage> right(std::make_move_iterator(batch.begin() + half),
                                              std::make_move_iterator(batch.end()));
      co_await submit(lane, std::move(left));
      co_await submit(lane, std::move(right));
      co_return;
    }
    // The node, not the messages: back off the lane, keep the messages as they are.
    metrics.submissions(lane.name, "deliver", "failed").Increment();
    lane.breaker.failure(t);
    log(kWarn, "lane " + lane.name + ": submission failed: " + e.message());
  }

  awaitable<void> failed_attempt(Lane& lane, const store::StoredMessage& m, const Error& e) {
    const auto& retry = lane.settings->retry;
    if (m.attempts + 1 >= retry.max_attempts) {
      store::Transition park = transition(m.id, MessageState::kParked);
      park.reason = std::string(e.reason().name);
      auto parked = apply_one(park);
      if (!parked) {
        log(kError, "lane " + lane.name + ": cannot park " + core::to_hex(m.id) + ": " + parked.error().message());
      } else {
        metrics.parked(lane.name).Increment();
        log(kWarn, "lane " + lane.name + ": message " + core::to_hex(m.id) + " parked after " +
                       std::to_string(m.attempts + 1) + " attempts: " + e.message());
      }
      co_return;
    }
    const auto delay = retry_delay(retry, m.attempts);
    (void)store.record_attempt(m.id, now() + static_cast<std::uint64_t>((delay.count() + 999) / 1000));
    co_return;
  }

  std::vector<core::Address> gas_addresses() const {
    std::vector<core::Address> out;
    for (const auto& [name, key] : keys.gas) out.push_back(key->address());
    return out;
  }

  // ---- confirmation of deliver and acknowledge transactions

  awaitable<void> confirm_loop(Lane& lane) {
    while (!stopping) {
      co_await pause(kConfirmEvery);
      if (lane.to->started) co_await confirm_deliveries(lane);
      if (lane.from->started) co_await confirm_acks(lane);
      if (lane.to->started) co_await find_lost(*lane.to, lane.in_flight);
      if (lane.from->started) co_await find_lost(*lane.from, lane.acks_in_flight);
    }
    // SIGTERM: one last look, so what already mined is recorded now rather than at the next start.
    if (lane.to->started) co_await confirm_deliveries(lane);
    if (lane.from->started) co_await confirm_acks(lane);
  }

  awaitable<void> confirm_deliveries(Lane& lane) {
    for (std::size_t i = 0; i < lane.in_flight.size();) {
      InFlight& f = lane.in_flight[i];
      auto confirmation = co_await lane.to->sink->confirm(f.handle);
      if (!confirmation) {
        ++i;
        continue;
      }
      if (confirmation->state == evm::Confirmation::State::kPending) {
        const bool abandoned = co_await maybe_bump(lane, *lane.to, f);
        // Abandoned: its messages are no longer busy and go out again once due, after inbox_state.
        if (abandoned) {
          lane.in_flight.erase(lane.in_flight.begin() + static_cast<std::ptrdiff_t>(i));
        } else {
          ++i;
        }
        continue;
      }
      const std::string kind = f.skip ? "skip" : "deliver";
      if (confirmation->state == evm::Confirmation::State::kReverted) {
        if (!f.skip) lane.optimistic = false;
        metrics.submissions(lane.name, kind, "reverted").Increment();
        log(kWarn, "lane " + lane.name + ": " + kind + " " + core::to_hex(confirmation->tx_hash) + " reverted");
        store::WriteBatch again;
        for (const auto& id : f.ids) again.attempts.push_back({id, now()});
        if (auto stored = commit(again); !stored) log(kError, "lane " + lane.name + ": " + stored.error().message());
      } else {
        metrics.submissions(lane.name, kind, "confirmed").Increment();
        store::WriteBatch write;
        for (const auto& event : confirmation->executed) {
          auto m = store.message_keys(event.id);
          if (!m || !*m || !awaits_execution((*m)->state, (*m)->parked_from)) continue;
          const Lane* executed_on = lane_keyed((*m)->lane);
          write.transitions.push_back(transition(event.id, state_for(event.status), confirmation->tx_hash,
                                                 std::nullopt, acknowledge_due(executed_on)));
          note_executed(executed_on, event.id, (*m)->created_at, event.status);
        }
        auto stored = commit(write);
        if (!stored) log(kError, "lane " + lane.name + ": " + stored.error().message());
      }
      lane.in_flight.erase(lane.in_flight.begin() + static_cast<std::ptrdiff_t>(i));
    }
  }

  // A transaction of ours pending for kLostAfter may be one the node lost (EvmSink::rebroadcast_lost):
  // every kLostAfter at most, the chain's unmined transactions are looked up and the lost ones
  // sent again. Long before bump_after, which re-prices and would wait behind the gap as well.
  awaitable<void> find_lost(Chain& chain, const std::deque<InFlight>& flights) {
    const auto t = Steady::now();
    if (!chain.evm_sink || t < chain.lost_check_after) co_return;
    if (std::none_of(flights.begin(), flights.end(), [&](const InFlight& f) { return t - f.sent_at >= kLostAfter; })) {
      co_return;
    }
    chain.lost_check_after = t + kLostAfter;
    auto sent = co_await chain.evm_sink->rebroadcast_lost();
    if (!sent) {
      log(kWarn, "chain " + chain.name + ": looking for lost transactions: " + sent.error().message());
      co_return;
    }
    if (sent->empty()) co_return;
    metrics.rebroadcasts(chain.name).Increment(static_cast<double>(sent->size()));
    std::string nonces;
    for (const auto n : *sent) nonces += (nonces.empty() ? "" : ", ") + std::to_string(n);
    log(kWarn, "chain " + chain.name + ": the node had lost " + std::to_string(sent->size()) +
                   " transactions of ours; sent again (nonces " + nonces + ")");
  }

  // Returns whether the engine stops following `f`: pending past bump_after on a sink that prices
  // its own transactions (SinkAdapter::bump).
  awaitable<bool> maybe_bump(Lane& lane, Chain& chain, InFlight& f) {
    if (Steady::now() - f.sent_at < chain.settings->fees.bump_after) co_return false;
    auto bumped = co_await chain.sink->bump(f.handle);
    f.sent_at = Steady::now();
    const std::string kind = f.ack ? "acknowledge" : f.skip ? "skip" : "deliver";
    if (!bumped) {
      log(kWarn, "lane " + lane.name + ": fee bump not possible: " + bumped.error().message());
      co_return false;
    }
    if (!*bumped) {
      metrics.submissions(lane.name, kind, "abandoned").Increment();
      log(kWarn, "lane " + lane.name + ": " + kind + " " + core::to_hex(f.handle.tx_hash) + " on " + chain.name +
                     " still pending after bump_after; no longer followed");
      co_return true;
    }
    metrics.submissions(lane.name, kind, "bumped").Increment();
    f.handle = **bumped;
    co_return false;
  }

  // ---- acknowledgements (PROTOCOL.md section 6)

  awaitable<void> ack_loop(Lane& lane) {
    while (!stopping) {
      co_await pause(lane.settings->batch.flush_after);
      if (!lane.settings->acknowledge || !lane.from->started || !lane.halted.empty()) continue;
      auto step = co_await ack_step(lane);
      if (!step) {
        log(kWarn, "lane " + lane.name + " acknowledgements: " + step.error().message());
        metrics.rpc_errors(lane.from->name, reason_label(step.error())).Increment();
      }
    }
  }

  // How many acknowledgements the next step may send: kAckBatch, and no more than keep those in
  // flight within about two blocks' gas limit of the source chain (as deliver_room, by the gas
  // limits of the transactions in flight per acknowledgement they carry).
  std::size_t ack_room(const Lane& lane) const {
    const std::uint64_t block = lane.from->sink->block_gas_limit();
    if (block == 0 || lane.acks_in_flight.empty()) return kAckBatch;
    const std::uint64_t pending = gas_in_flight(lane.acks_in_flight);
    if (pending >= 2 * block) return 0;
    const std::uint64_t each = std::max<std::uint64_t>(1, pending / std::max<std::size_t>(1, lane.acking.size()));
    return static_cast<std::size_t>(std::min<std::uint64_t>(kAckBatch, (2 * block - pending + each - 1) / each));
  }

  awaitable<Result<void>> ack_step(Lane& lane) {
    static constexpr MessageState kExecuted[] = {MessageState::kExecutedOk, MessageState::kExecutedFailed,
                                                  MessageState::kTimedOut, MessageState::kSkipped};
    const std::size_t room = ack_room(lane);
    if (room == 0) co_return core::ok();
    // Messages with an acknowledgement in flight stay due until its receipt: ask past them, or a
    // full batch in flight would hold the next one back for a block.
    CW_CO_TRY(auto due, store.due_in_lanes(lane.store_lanes, kExecuted, now(), room + lane.acking.size()));
    std::erase_if(due, [&](const store::DueMessage& m) { return lane.acking.contains(m.id); });
    if (due.size() > room) due.resize(room);
    if (due.empty()) co_return core::ok();

    // Whether someone acknowledged already is asked only on a retry: a first acknowledge of an
    // acknowledged id is a no-op on the gateway, and its confirmation completes the message.
    // Where other attesters acknowledge too (threshold above 1) it is asked every time, as in
    // deliver_step: they often were first.
    std::vector<core::MessageId> retried;
    for (const auto& m : due) {
      if (m.attempts > 0 || lane.from->threshold > 1) retried.push_back(m.id);
    }
    std::vector<core::MessageId> acked;
    if (!retried.empty()) {
      CW_CO_TRY(auto statuses, co_await lane.from->gateway->ack_status(retried));
      for (std::size_t i = 0; i < retried.size() && i < statuses.size(); ++i) {
        if (statuses[i] != 0) acked.push_back(retried[i]);
      }
    }
    // Acknowledged already (by another relay, or by us before a crash): the transactions that did.
    std::map<core::MessageId, core::Hash32> ack_txs;
    if (!acked.empty()) {
      auto found = co_await find_ack_txs(*lane.from, acked);
      if (found) {
        ack_txs = std::move(found).value();
      } else {
        log(kWarn, "lane " + lane.name + ": acknowledge transactions not found: " + found.error().message());
      }
    }
    // The acknowledgements of the step go to the sink together (acknowledge_all), as few
    // transactions as the sink's acks_per_transaction allows, which the EVM sink pre-checks,
    // prices and broadcasts in three round trips.
    std::vector<Acking> entries;
    store::WriteBatch settled;  // acknowledged already, or not yet to be acknowledged: one commit
    for (std::size_t i = 0; i < due.size() && !stopping; ++i) {
      const auto& m = due[i];
      CW_CO_TRY(auto execution, store.execution(m.id));
      if (!execution) {
        // Executed (seen in our own receipt) but its MessageExecuted not yet proven: wait for the watcher.
        settled.attempts.push_back({m.id, now() + kAckRecheckSeconds});
        continue;
      }
      if (std::find(acked.begin(), acked.end(), m.id) != acked.end()) {
        if (const auto tx = ack_txs.find(m.id); tx != ack_txs.end()) {
          settled.transitions.push_back(transition(m.id, MessageState::kAcknowledged, tx->second, execution->claim));
          lane.acks_refused.erase(m.id);
        } else {
          settled.attempts.push_back({m.id, now() + kAckRecheckSeconds});
        }
        continue;
      }
      core::AckVote vote{m.id, execution->status, execution->claim, lane.from->epoch};
      auto signature = signer->sign(lane.from->domain, vote);
      if (!signature) co_return std::move(signature).error();
      const auto own = own_vote(store::VoteKind::kAck, m.id, execution->claim,
                                static_cast<std::uint8_t>(execution->status), lane.from->epoch, *signature);
      const auto votes = with_peer_votes(*lane.from, own);
      evm::Ack ack{m.id, execution->status, execution->claim, {}};
      for (const auto& v : votes) ack.signatures.push_back(v.signature);
      entries.push_back({&m, own, votes.size(), std::move(ack)});
    }
    commit_acknowledged(lane, settled);
    if (entries.empty()) co_return core::ok();

    // Whole transactions first; one whose pre-check reverts is sent again entry by entry, so a
    // bad acknowledgement (or one the gateway refuses for a reason of its own) holds back no other.
    std::vector<std::vector<std::size_t>> groups;  // entries of each transaction
    const std::size_t per_tx = std::max<std::size_t>(1, lane.from->sink->acks_per_transaction());
    for (std::size_t i = 0; i < entries.size(); i += per_tx) {
      std::vector<std::size_t> group;
      for (std::size_t j = i; j < std::min(entries.size(), i + per_tx); ++j) group.push_back(j);
      groups.push_back(std::move(group));
    }
    std::optional<Error> failure;
    std::optional<bool> moved;  // whether the gateway's epoch moved, asked once for the step
    store::WriteBatch booked;
    bool splitting = false;  // the groups are the entries of transactions whose pre-check reverted
    while (!groups.empty()) {
      std::vector<evm::AckRequest> requests;
      std::vector<bool> requests_prechecked;
      for (const auto& group : groups) {
        evm::AckRequest request;
        JournalTag tag{JournalTag::Kind::kAcknowledge, lane.name, {}};
        // Pre-checked while the lane's acknowledgements revert, when split, and for one refused before.
        request.precheck = !lane.acks_optimistic || splitting;
        for (const std::size_t e : group) {
          tag.ids.push_back(entries[e].ack.id);
          request.acks.push_back(entries[e].ack);
          if (lane.acks_refused.contains(entries[e].ack.id)) request.precheck = true;
        }
        request.tag = journal_tag(tag);
        requests_prechecked.push_back(request.precheck);
        requests.push_back(std::move(request));
      }
      auto handles = co_await lane.from->sink->acknowledge_all(std::move(requests));
      if (!handles) {
        metrics.submissions(lane.name, "acknowledge", "failed").Increment();
        if (!failure) failure = std::move(handles).error();
        break;
      }
      // Every acknowledgement sent is followed before anything may return: a store failure on one
      // message is reported after the others are recorded.
      std::vector<std::vector<std::size_t>> split;
      for (std::size_t g = 0; g < handles->size() && g < groups.size(); ++g) {
        const auto& group = groups[g];
        auto& handle = (*handles)[g];
        if (!handle) {
          if (estimate_reverted(handle.error())) {
            lane.acks_optimistic = false;
            metrics.submissions(lane.name, "acknowledge", "reverted_estimate").Increment();
            if (group.size() > 1) {
              for (const std::size_t e : group) split.push_back({e});
              continue;
            }
            const store::DueMessage& m = *entries[group.front()].message;
            lane.acks_refused.insert(m.id);
            if (!moved) moved = co_await epoch_moved(*lane.from);
            // Signed for an epoch the gateway left: signed again for the new one at the next step.
            booked.attempts.push_back(*moved ? store::Attempt{m.id, now()} : failed_ack(lane, m, handle.error()));
            continue;
          }
          metrics.submissions(lane.name, "acknowledge", "failed").Increment();
          if (!failure) failure = handle.error();
          continue;
        }
        metrics.submissions(lane.name, "acknowledge", "sent").Increment();
        if (requests_prechecked[g]) lane.acks_optimistic = true;
        InFlight flight{*handle, {}, Steady::now(), true};
        for (const std::size_t e : group) {
          const Acking& entry = entries[e];
          if (entry.votes > 1) {
            metrics.votes_aggregated(lane.name, "ack").Increment(static_cast<double>(entry.votes - 1));
          }
          // The ack's vote is booked when it is published: the acknowledged transition waits for a
          // receipt, which after a restart (or another relay's acknowledge) is not this vote's.
          booked.votes.push_back(entry.own);
          lane.acking.insert(entry.ack.id);
          flight.ids.push_back(entry.ack.id);
        }
        lane.acks_in_flight.push_back(std::move(flight));
      }
      groups = std::move(split);
      splitting = true;
    }
    if (auto stored = commit(booked); !stored) log(kError, "lane " + lane.name + ": " + stored.error().message());
    if (failure) co_return *failure;
    co_return core::ok();
  }

  // The next attempt of a refused acknowledgement. An executed message cannot be parked (its
  // outcome is final); it is retried with backoff and the failure is visible in the logs and metrics.
  store::Attempt failed_ack(const Lane& lane, const store::DueMessage& m, const Error& e) {
    const auto delay = retry_delay(lane.settings->retry, m.attempts);
    log(kWarn, "lane " + lane.name + ": acknowledge of " + core::to_hex(m.id) + " refused: " + e.message());
    return {m.id, now() + static_cast<std::uint64_t>((delay.count() + 999) / 1000)};
  }

  // The transactions whose Acknowledged logs on `chain`'s gateway name `ids`, by id: one eth_getLogs
  // for them all (the ids as alternatives of the indexed id topic).
  awaitable<Result<std::map<core::MessageId, core::Hash32>>> find_ack_txs(Chain& chain,
                                                                           std::vector<core::MessageId> ids) {
    nlohmann::json wanted = nlohmann::json::array();
    for (const auto& id : ids) wanted.push_back(core::to_hex(id));
    nlohmann::json filter = {{"address", core::to_hex(chain.settings->gateway)},
                             {"fromBlock", evm::to_quantity(chain.settings->start_height)},
                             {"toBlock", "latest"},
                             {"topics", nlohmann::json::array({core::to_hex(core::kAcknowledgedTopic), wanted})}};
    nlohmann::json params = nlohmann::json::array({filter});
    CW_CO_TRY(auto logs, co_await chain.rpc->call("eth_getLogs", std::move(params)));
    if (!logs.is_array()) co_return Error(evm::reason::sink::kBadReply, "eth_getLogs: not an array");
    std::map<core::MessageId, core::Hash32> out;
    for (const auto& log_entry : logs) {
      if (!log_entry.is_object() || !log_entry.contains("transactionHash") || !log_entry["transactionHash"].is_string() ||
          !log_entry.contains("topics") || !log_entry["topics"].is_array() || log_entry["topics"].size() < 2 ||
          !log_entry["topics"][1].is_string()) {
        continue;
      }
      auto id = core::fixed_from_hex<core::MessageId>(log_entry["topics"][1].get<std::string>());
      auto hash = core::fixed_from_hex<core::Hash32>(log_entry["transactionHash"].get<std::string>());
      if (id && hash && std::find(ids.begin(), ids.end(), *id) != ids.end()) out.emplace(*id, *hash);
    }
    co_return out;
  }

  awaitable<void> confirm_acks(Lane& lane) {
    // The receipts of every acknowledgement in flight in one batch (confirm_all) rather than one
    // round trip each. Only this loop erases from acks_in_flight and ack_step only appends, so the
    // first `n` entries keep their places (and a deque their addresses) across the awaits below.
    const std::size_t n = std::min(lane.acks_in_flight.size(), kConfirmBatch);
    if (n == 0) co_return;
    std::vector<evm::SubmitHandle> handles;
    handles.reserve(n);
    for (std::size_t i = 0; i < n; ++i) handles.push_back(lane.acks_in_flight[i].handle);
    auto confirmations = co_await lane.from->sink->confirm_all(std::move(handles));
    if (!confirmations) co_return;  // the node did not answer: all of them stay in flight
    std::vector<bool> done(n, false);
    store::WriteBatch acknowledged;  // one commit for the pass (with the next attempts), not one each
    for (std::size_t i = 0; i < n && i < confirmations->size(); ++i) {
      InFlight& f = lane.acks_in_flight[i];
      const auto& confirmation = (*confirmations)[i];
      if (!confirmation || confirmation->state == evm::Confirmation::State::kPending) {
        bool abandoned = false;
        if (confirmation) abandoned = co_await maybe_bump(lane, *lane.from, f);
        if (!abandoned) continue;
        // Due at once; a retry first asks the gateway whether an acknowledgement landed anyway.
        for (const auto& id : f.ids) acknowledged.attempts.push_back({id, now()});
        done[i] = true;
        continue;
      }
      if (confirmation->state == evm::Confirmation::State::kDelivered) {
        metrics.submissions(lane.name, "acknowledge", "confirmed").Increment();
        for (const auto& id : f.ids) lane.acks_refused.erase(id);
        // An adapter's word that its acknowledge mined is not taken either: the gateway is asked.
        std::vector<std::uint8_t> statuses(f.ids.size(), 1);
        if (lane.from->threshold > 1 || !lane.from->evm_sink) {
          auto asked = co_await lane.from->gateway->ack_status(f.ids);
          if (asked && asked->size() == f.ids.size()) {
            statuses = std::move(asked).value();
          } else {
            std::fill(statuses.begin(), statuses.end(), std::uint8_t{0});  // unreadable counts as no
          }
        }
        for (std::size_t k = 0; k < f.ids.size(); ++k) {
          const core::MessageId& id = f.ids[k];
          if (statuses[k] == 0) {
            // Our vote is tallied, the threshold not yet reached: another attester's acknowledge
            // completes it, or ours is sent again after the redelivery delay (a retry first asks
            // the gateway whether someone acknowledged meanwhile).
            acknowledged.attempts.push_back({id, now() + kRedeliverAfterSeconds});
          } else if (auto execution = store.execution(id); execution && *execution) {
            acknowledged.transitions.push_back(
                transition(id, MessageState::kAcknowledged, confirmation->tx_hash, (*execution)->claim));
          }
        }
      } else {
        lane.acks_optimistic = false;
        lane.acks_refused.insert(f.ids.begin(), f.ids.end());
        metrics.submissions(lane.name, "acknowledge", "reverted").Increment();
        for (const auto& id : f.ids) acknowledged.attempts.push_back({id, now() + kAckRecheckSeconds});
      }
      done[i] = true;
    }
    // Only now are the settled ids free for ack_step again: while the loop awaited, one whose
    // acknowledged transition waits for this commit still looked due.
    commit_acknowledged(lane, acknowledged);
    std::deque<InFlight> kept;
    for (std::size_t i = 0; i < lane.acks_in_flight.size(); ++i) {
      if (i < n && done[i]) {
        for (const auto& id : lane.acks_in_flight[i].ids) lane.acking.erase(id);
      } else {
        kept.push_back(std::move(lane.acks_in_flight[i]));
      }
    }
    lane.acks_in_flight = std::move(kept);
  }

  // Commits the acknowledged transitions of confirm_acks or ack_step (with the rest of their batch),
  // less those of messages acknowledged meanwhile (the other one of them got there while the
  // receipts or the gateway were awaited): one illegal transition would refuse the whole commit.
  // Runs with no suspension between the check and it.
  void commit_acknowledged(Lane& lane, store::WriteBatch& batch) {
    std::erase_if(batch.transitions, [&](const store::Transition& t) {
      auto m = store.message_keys(t.id);
      return !m || !*m || !store::is_legal_transition((*m)->state, MessageState::kAcknowledged, (*m)->parked_from);
    });
    if (auto stored = commit(batch); !stored) {
      log(kError, "lane " + lane.name + ": " + stored.error().message());
      return;
    }
    metrics.acknowledged(lane.name).Increment(static_cast<double>(batch.transitions.size()));
  }

  // ---- reconciliation (DESIGN.md section 4)

  awaitable<void> reconcile_loop(Lane& lane) {
    while (!stopping) {
      // The first sweep runs as soon as the source chain is up, then every reconcile_every.
      if (!lane.from->started || !lane.halted.empty()) {
        co_await pause(std::chrono::seconds(1));
        continue;
      }
      // Each sweep also follows a rotation of either gateway while nothing reverts, so peer
      // votes of the old epoch are refused and the relay's own are signed for the new one.
      if (lane.to->started) co_await epoch_moved(*lane.to);
      co_await epoch_moved(*lane.from);
      auto swept = co_await reconcile(lane);
      if (!swept) log(kWarn, "lane " + lane.name + " reconciliation: " + swept.error().message());
      co_await pause(config.relay.reconcile_every);
    }
  }

  // Compares the source gateway's outbox (sequences sent) with the store and fills gaps behind
  // the source cursor from chain state: logs found by sequence, proven and verified like any other.
  awaitable<Result<void>> reconcile(Lane& lane) {
    const auto started = Steady::now();
    Chain& from = *lane.from;
    const std::uint64_t cursor = from.source->cursor().number;
    if (cursor < from.settings->start_height) co_return core::ok();
    for (const bool ordered : {false, true}) {
      CW_CO_TRY(const auto next, co_await from.gateway->next_sequence(lane.to->settings->chain_identity,
                                                                      core::address_word(lane.to->settings->gateway),
                                                                      ordered));
      if (next <= 1) continue;
      const core::Hash32& key = lane.store_lanes[ordered ? 1 : 0];
      CW_CO_TRY(const auto known, store.lane_sequences(key, 1, next - 1));
      std::vector<std::uint64_t> missing;
      std::size_t k = 0;
      for (std::uint64_t s = 1; s < next && missing.size() < 256; ++s) {
        while (k < known.size() && known[k] < s) ++k;
        if (k < known.size() && known[k] == s) continue;
        missing.push_back(s);
      }
      if (missing.empty()) continue;
      evm::FindSentRequest find;
      find.dst_chain = lane.to->settings->chain_identity;
      find.sequences = missing;
      find.from = from.settings->start_height;
      find.to = cursor;
      const std::shared_ptr<SourceAdapter> source = from.source;  // a watcher restart may replace it
      CW_CO_TRY(auto proven, co_await source->find_and_prove(std::move(find)));
      if (proven.bundles.empty()) continue;  // sent after the cursor: the watcher will get there
      log(kInfo, "lane " + lane.name + ": reconciliation found " + std::to_string(proven.bundles.size()) +
                     " messages the relay had not recorded");
      std::set<std::uint64_t> heights;
      for (const auto& b : proven.bundles) heights.insert(b.source.block_number);
      CW_CO_TRY(auto canonical, co_await canonical_hashes(from, heights, from.head + anchor_confirmations(*from.settings)));
      store::WriteBatch batch;
      CW_CO_CHECK(co_await take_bundles(from, std::move(proven.bundles), canonical, batch));
      CW_CO_CHECK(commit(batch));
      keep_checkpoint(from);
      found(batch, started);
    }
    co_return core::ok();
  }

  // ---- housekeeping: state gauges, checkpoints

  // What a signed transaction offers per gas: max fee (EIP-1559) or gas price, in gwei.
  static double max_fee_gwei(const core::Bytes& raw, std::uint64_t chain_id) {
    evm::DecodeOptions options;
    options.chain_id = chain_id;
    auto signed_tx = evm::decode_signed(raw, options);
    if (!signed_tx) return 0;
    const evm::U256 fee = std::visit(
        [](const auto& tx) {
          if constexpr (requires { tx.max_fee_per_gas; }) return tx.max_fee_per_gas;
          else return tx.gas_price;
        },
        signed_tx->tx);
    double wei = 0;
    for (const std::uint8_t byte : fee.bytes) wei = wei * 256 + byte;
    return wei / 1e9;
  }

  // The gas accounts' balances (for the low-balance alert) and their submitters' state.
  awaitable<void> read_balances() {
    for (auto& c : chains) {
      // An external sink's account is its adapter's to watch.
      if (!c->started || !c->evm_sink) continue;
      const auto& nonces = c->evm_sink->nonces();
      const auto live = nonces.live();
      metrics.submitter_nonce(c->name).Set(static_cast<double>(nonces.next_nonce()));
      metrics.submitter_pending(c->name).Set(static_cast<double>(live.size()));
      if (!live.empty()) metrics.submitter_fee(c->name).Set(max_fee_gwei(live.back().raw, c->settings->chain_id));
      nlohmann::json params = nlohmann::json::array({core::to_hex(c->evm_sink->gas_address()), "latest"});
      auto balance = co_await c->rpc->call("eth_getBalance", std::move(params));
      if (!balance) continue;
      auto wei = evm::quantity_bytes(*balance, "balance", 32);
      if (!wei) continue;
      double ether = 0;
      for (const std::uint8_t byte : *wei) ether = ether * 256 + byte;
      metrics.gas_balance(c->name).Set(ether / 1e18);
      if (const auto warn = c->settings->gas_balance_warn) {
        const bool low = below_wei(*wei, *warn);
        metrics.gas_balance_low(c->name).Set(low ? 1 : 0);
        if (low && !c->gas_low) {
          log(kWarn, "chain " + c->name + ": gas account " + core::to_checksum_hex(c->evm_sink->gas_address()) +
                         " holds " + std::to_string(ether / 1e18) +
                         " ether, below gas_balance_warn; top it up before deliveries stop");
        }
        c->gas_low = low;
      }
    }
  }

  // Per lane: messages on their way and the age of the oldest. Every 10 s, not every pass: it
  // reads each pending message once.
  void set_backlogs() {
    auto backlogs = store.lane_backlogs();
    if (!backlogs) {
      log(kWarn, "lane backlogs: " + backlogs.error().message());
      return;
    }
    const std::uint64_t t = now();
    for (const auto& lane : lanes) {
      std::uint64_t pending = 0;
      std::uint64_t oldest = t;
      for (const auto& b : *backlogs) {
        if (std::find(lane->store_lanes.begin(), lane->store_lanes.end(), b.lane) == lane->store_lanes.end()) continue;
        pending += b.pending;
        oldest = std::min(oldest, b.oldest_created_at);
      }
      metrics.backlog(lane->name).Set(static_cast<double>(pending));
      metrics.oldest_pending(lane->name).Set(static_cast<double>(t - oldest));
    }
  }

  // Per lane and state, as /v1/lanes counts them. Every 30 s: it reads every stored message.
  void set_lane_states() {
    auto counts = store.lane_state_counts();
    if (!counts) {
      log(kWarn, "lane state counts: " + counts.error().message());
      return;
    }
    for (const auto& lane : lanes) {
      std::map<MessageState, std::uint64_t> by_state;
      for (const auto state : store::kAllMessageStates) by_state[state] = 0;
      for (const auto& c : *counts) {
        if (std::find(lane->store_lanes.begin(), lane->store_lanes.end(), c.lane) != lane->store_lanes.end()) {
          by_state[c.state] += c.count;
        }
      }
      for (const auto& [state, count] : by_state) {
        metrics.lane_messages(lane->name, std::string(store::to_string(state))).Set(static_cast<double>(count));
      }
    }
  }

  // relay.retention: bundles of messages acknowledged more than bundles_days ago, in batches of
  // their own transactions with the engine's other work in between.
  awaitable<void> prune_bundles() {
    const std::uint64_t age = static_cast<std::uint64_t>(config.relay.retention.bundles_days) * kSecondsPerDay;
    const std::uint64_t t = now();
    if (age == 0 || t < age) co_return;
    std::uint64_t total = 0;
    while (!stopping) {
      auto pruned = store.prune_bundles(t - age, kPruneBatch);
      if (!pruned) {
        log(kWarn, "retention: " + pruned.error().message());
        break;
      }
      total += *pruned;
      metrics.bundles_pruned().Increment(static_cast<double>(*pruned));
      if (*pruned < kPruneBatch) break;
      auto executor = co_await asio::this_coro::executor;
      co_await asio::post(executor, asio::use_awaitable);
    }
    if (total > 0) {
      log(kInfo, "retention: pruned " + std::to_string(total) + " bundles of messages acknowledged over " +
                     std::to_string(config.relay.retention.bundles_days) + " days ago");
    }
  }

  awaitable<void> housekeeping_loop() {
    std::optional<Steady::time_point> last_prune;
    auto last_checkpoint = Steady::now();
    auto last_balances = Steady::time_point{};
    auto last_backlog = Steady::time_point{};
    auto last_lane_states = Steady::time_point{};
    metrics.checkpoint_witnesses().Set(0);
    while (!stopping) {
      if (Steady::now() - last_balances >= std::chrono::seconds(30)) {
        last_balances = Steady::now();
        co_await read_balances();
      }
      if (!last_prune || Steady::now() - *last_prune >= kPruneEvery) {
        last_prune = Steady::now();
        co_await prune_bundles();
      }
      auto counts = store.state_counts();
      if (counts) {
        std::uint64_t pending = 0;
        for (const auto state : store::kAllMessageStates) metrics.messages(std::string(store::to_string(state))).Set(0);
        for (const auto& [state, count] : *counts) {
          metrics.messages(std::string(store::to_string(state))).Set(static_cast<double>(count));
          if (state == MessageState::kObserved || state == MessageState::kVerified || state == MessageState::kVoted) {
            pending += count;
          }
        }
        pending_ = pending;
      }
      if (Steady::now() - last_backlog >= std::chrono::seconds(10)) {
        last_backlog = Steady::now();
        set_backlogs();
      }
      if (Steady::now() - last_lane_states >= std::chrono::seconds(30)) {
        last_lane_states = Steady::now();
        set_lane_states();
      }
      metrics.audit_log_size().Set(static_cast<double>(store.audit_size()));
      if (const auto wal = store.wal_status()) report_wal(*wal);
      if (options.checkpoint && Steady::now() - last_checkpoint >= config.relay.checkpoint_every) {
        last_checkpoint = Steady::now();
        auto signed_checkpoint = options.checkpoint();
        if (signed_checkpoint) {
          metrics.checkpoints_signed().Increment();
          metrics.last_checkpoint_time().Set(static_cast<double>(now()));
        } else {
          log(kError, "audit checkpoint: " + signed_checkpoint.error().message());
        }
      }
      co_await pause(std::chrono::seconds(2));
    }
  }

  Lane* lane_named(const std::string& name) {
    for (auto& l : lanes) {
      if (l->name == name) return l.get();
    }
    return nullptr;
  }

  Result<void> pause_lane(const std::string& name, const std::string& why) {
    Lane* lane = lane_named(name);
    if (!lane) return Error(reason::kUnknownLane, name);
    halt(*lane, "paused by an operator" + (why.empty() ? std::string() : ": " + why));
    return core::ok();
  }

  Result<void> resume_lane(const std::string& name) {
    Lane* lane = lane_named(name);
    if (!lane) return Error(reason::kUnknownLane, name);
    if (!lane->halted.empty()) log(kWarn, "lane " + name + " resumed by an operator (was: " + lane->halted + ")");
    lane->halted.clear();
    metrics.lane_halted(lane->name).Set(0);
    return core::ok();
  }

  Result<void> retry(const core::MessageId& id) {
    CW_TRY(auto m, store.message(id));
    if (!m) return Error(store::reason::kNotFound, "message " + core::to_hex(id));
    if (m->state != MessageState::kParked || !m->parked_from) {
      return Error(store::reason::kIllegalTransition, "only a parked message can be retried; it is " +
                                                           std::string(store::to_string(m->state)));
    }
    return apply_one(transition(id, *m->parked_from));
  }

  Result<void> park(const core::MessageId& id, const std::string& why) {
    store::Transition t = transition(id, MessageState::kParked);
    t.reason = why.empty() ? "operator.parked" : why;
    return apply_one(t);
  }

  awaitable<Result<core::Hash32>> skip(core::MessageId id) {
    CW_CO_TRY(auto m, store.message(id));
    if (!m) co_return Error(store::reason::kNotFound, "message " + core::to_hex(id));
    if (!m->message.ordered()) {
      co_return Error(reason::kNotOrdered,
                      "message " + core::to_hex(id) + " is on an unordered lane; retry it instead");
    }
    if (m->state != MessageState::kParked) {
      co_return Error(reason::kNotParked, "only a parked message can be skipped; it is " +
                                              std::string(store::to_string(m->state)));
    }
    // The gateway's execution (status 4) moves it to skipped, which only a verified message may
    // reach: a skip never stands in for verification.
    if (!awaits_execution(m->state, m->parked_from)) {
      co_return Error(store::reason::kIllegalTransition,
                      "message " + core::to_hex(id) + " was parked before it was verified");
    }
    Lane* lane = lane_of(m->message);
    if (!lane) co_return Error(reason::kUnknownLane, "no lane carries message " + core::to_hex(id));
    Chain& target = *lane->to;
    if (!target.started) co_return Error(reason::kChainNotStarted, "chain " + target.name);
    core::SkipVote vote{id, target.epoch};
    CW_CO_TRY(auto signature, signer->sign(target.domain, vote));
    evm::SkipRequest request;
    request.message = m->message;
    request.signatures.push_back(signature.rsv);
    request.tag = journal_tag({JournalTag::Kind::kSkip, lane->name, {}});
    auto handle = co_await target.sink->skip(std::move(request));
    if (!handle) {
      metrics.submissions(lane->name, "skip", "failed").Increment();
      co_return std::move(handle).error();
    }
    metrics.submissions(lane->name, "skip", "sent").Increment();
    store::WriteBatch booked;
    booked.votes.push_back(own_vote(store::VoteKind::kSkip, id, core::Claim{}, 0, target.epoch, signature));
    CW_CO_CHECK(commit(booked));
    log(kWarn, "lane " + lane->name + ": message " + core::to_hex(id) + " skipped by an operator, transaction " +
                   core::to_hex(handle->tx_hash));
    InFlight flight{*handle, {id}, Steady::now(), false, true};
    lane->in_flight.push_back(std::move(flight));
    co_return handle->tx_hash;
  }

  Result<bool> accept_vote(store::VoteRecord vote) {
    vote.origin = store::VoteOrigin::kPeer;
    std::string lane_name;
    if (auto checked = check_peer_vote(vote, lane_name); !checked) {
      metrics.votes_rejected(reason_label(checked.error())).Increment();
      return std::move(checked).error();
    }
    CW_TRY(const bool fresh, store.put_vote(vote));
    if (!fresh) metrics.votes_duplicate(lane_name, std::string(store::to_string(vote.kind))).Increment();
    return fresh;
  }

  // Deliver and Skip votes are counted by the destination's gateway, Ack votes by the source's.
  Result<void> check_peer_vote(const store::VoteRecord& vote, std::string& lane_name) {
    CW_TRY(auto m, store.message(vote.id));
    if (!m) return Error(reason::kVoteUnknownMessage, "message " + core::to_hex(vote.id));
    Lane* lane = lane_of(m->message);
    if (!lane) return Error(reason::kUnknownLane, "no lane carries message " + core::to_hex(vote.id));
    lane_name = lane->name;
    const Chain& chain = vote.kind == store::VoteKind::kAck ? *lane->from : *lane->to;
    // The epoch and attesters the relay's own votes are signed for: read at start and followed
    // by refresh_authority, so a vote of an epoch the gateway left is refused.
    if (!chain.started) return Error(reason::kChainNotStarted, "chain " + chain.name);
    return check_vote(VoteAuthority{chain.domain, chain.epoch, chain.attesters}, vote);
  }

  EngineStatus status() const {
    EngineStatus s;
    bool attempted = true;
    s.detail["chains"] = nlohmann::json::object();
    for (const auto& c : chains) {
      attempted = attempted && c->start_attempted;
      nlohmann::json entry = {{"started", c->started}, {"head", c->head}};
      if (c->source) entry["cursor"] = c->source->cursor().number;
      if (!c->last_error.empty()) entry["last_error"] = c->last_error;
      s.detail["chains"][c->name] = entry;
    }
    s.detail["lanes"] = nlohmann::json::object();
    for (const auto& l : lanes) {
      nlohmann::json entry = {{"halted", !l->halted.empty()}, {"in_flight", l->in_flight.size()}};
      if (!l->halted.empty()) entry["halt_reason"] = l->halted;
      s.detail["lanes"][l->name] = entry;
    }
    s.detail["single_operator"] = config.single_operator();
    s.detail["vote_address"] = core::to_hex(vote_address);
    s.ready = attempted;
    return s;
  }
};

// ---- Engine ------------------------------------------------------------------------------------

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() = default;

Result<std::unique_ptr<Engine>> Engine::create(asio::io_context& io, const Config& config, store::Store& store,
                                               Metrics& metrics, EngineKeys keys, EngineOptions options) {
  auto impl = std::make_unique<Impl>(io, config, store, metrics, std::move(keys), std::move(options));
  CW_CHECK(impl->build(Steady::now()));
  return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

awaitable<void> Engine::run() {
  Impl& m = *impl_;
  auto executor = co_await asio::this_coro::executor;
  std::size_t running = 0;
  auto spawn = [&](awaitable<void> task) {
    ++running;
    asio::co_spawn(executor, std::move(task), [&running](std::exception_ptr) { --running; });
  };
  for (auto& chain : m.chains) {
    spawn(m.watch(*chain));
    if (chain->adapter) spawn(m.supervise(*chain, *chain->adapter));
    if (chain->sink_adapter) spawn(m.supervise(*chain, *chain->sink_adapter));
  }
  for (auto& lane : m.lanes) {
    for (std::size_t i = 0; i < kDeliverLoops; ++i) spawn(m.deliver_loop(*lane));
    spawn(m.confirm_loop(*lane));
    spawn(m.ack_loop(*lane));
    spawn(m.reconcile_loop(*lane));
  }
  spawn(m.housekeeping_loop());
  asio::steady_timer timer(executor);
  while (running > 0) {
    timer.expires_after(std::chrono::milliseconds(50));
    co_await timer.async_wait(asio::use_awaitable);
  }
  // Only now: a pipeline finishing its last step may still have been talking to the adapter.
  for (auto& chain : m.chains) {
    if (chain->adapter) chain->adapter->stop();
    if (chain->sink_adapter) chain->sink_adapter->stop();
  }
}

void Engine::stop() { impl_->stopping = true; }

Result<void> Engine::pause_lane(const std::string& lane, const std::string& reason) {
  return impl_->pause_lane(lane, reason);
}
Result<void> Engine::resume_lane(const std::string& lane) { return impl_->resume_lane(lane); }
Result<void> Engine::retry(const core::MessageId& id) { return impl_->retry(id); }
Result<void> Engine::park(const core::MessageId& id, const std::string& reason) { return impl_->park(id, reason); }
awaitable<Result<core::Hash32>> Engine::skip(core::MessageId id) { return impl_->skip(id); }
Result<bool> Engine::accept_vote(store::VoteRecord vote) { return impl_->accept_vote(std::move(vote)); }
awaitable<Result<BundleSubmission>> Engine::submit_bundle(std::string json) {
  return impl_->submit_bundle(std::move(json));
}

EngineStatus Engine::status() const { return impl_->status(); }

const Config& Engine::config() const noexcept { return impl_->config; }

core::Result<verify::TrustAnchors> Engine::anchors_for(const verify::Bundle& bundle) const {
  return impl_->followed.anchors_for(bundle);
}

std::map<std::string, std::vector<core::Hash32>> Engine::store_lanes() const {
  std::map<std::string, std::vector<core::Hash32>> out;
  for (const auto& lane : impl_->lanes) out.emplace(lane->name, lane->store_lanes);
  return out;
}

}  // namespace causeway::engine
