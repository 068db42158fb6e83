// The relay engine (DESIGN.md section 4): per chain a watcher (observe → verify → persist), per
// lane a delivery pipeline (vote → submit → confirm), an acknowledgement pipeline (prove the
// execution back → acknowledge) and a reconciliation sweep. Everything runs as C++20 coroutines on
// one io_context thread, which makes that thread the store's single writer; verification runs on
// a thread pool.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "relay/core/eip712.hpp"
#include "relay/core/result.hpp"
#include "relay/core/secp256k1.hpp"
#include "relay/core/secp256k1_signer.hpp"
#include "relay/engine/config.hpp"
#include "relay/engine/metrics.hpp"
#include "relay/store/store.hpp"
#include "relay/verify/bundle.hpp"
#include "relay/verify/checkpoints.hpp"

namespace causeway::engine {

namespace reason {
inline constexpr core::Reason kBadConfig{"engine.bad_config"};
// The chain's gateway has another attester threshold than the config says.
inline constexpr core::Reason kThresholdMismatch{"engine.threshold_mismatch"};
// The vote key is not an attester of a gateway the relay delivers to.
inline constexpr core::Reason kNotAttester{"engine.not_attester"};
inline constexpr core::Reason kUnknownLane{"engine.unknown_lane"};
// The chain an operation needs (its gateway's epoch and attesters, its sink) has not started yet.
inline constexpr core::Reason kChainNotStarted{"engine.chain_not_started"};
// Skipping is for a parked message only; an unparked one is retried or delivered instead.
inline constexpr core::Reason kNotParked{"engine.not_parked"};
// Skipping releases an ordered lane; an unordered message never blocks the ones behind it.
inline constexpr core::Reason kNotOrdered{"engine.not_ordered"};
// POST /v1/bundles: the text is not a proof bundle (schemas/proof-bundle.schema.json).
inline constexpr core::Reason kBadBundle{"engine.bad_bundle"};

// Peer votes (POST /v1/votes), each refusal by name.
inline constexpr core::Reason kVoteUnknownMessage{"vote.unknown_message"};
// An ack status outside 1..4, a status on another kind, or a skip naming a claim.
inline constexpr core::Reason kVoteMalformed{"vote.malformed"};
// Not the gateway's current epoch: the gateway would not count it.
inline constexpr core::Reason kVoteWrongEpoch{"vote.wrong_epoch"};
inline constexpr core::Reason kVoteBadSignature{"vote.bad_signature"};
// s above n/2: the gateway refuses the malleable twin of a signature.
inline constexpr core::Reason kVoteHighS{"vote.high_s"};
// The signature recovers to another address than the vote names.
inline constexpr core::Reason kVoteWrongSigner{"vote.wrong_signer"};
inline constexpr core::Reason kVoteNotAttester{"vote.not_attester"};
}  // namespace reason

// Who may vote on one gateway now: its EIP-712 domain, its current epoch and attester set.
struct VoteAuthority {
  core::Eip712Domain domain;
  core::Epoch epoch;
  std::vector<core::Address> attesters;
};

// The EIP-712 digest a vote of the book signs (Deliver, Ack or Skip under `domain`).
core::Hash32 vote_digest(const core::Eip712Domain& domain, const store::VoteRecord& vote);
// A vote the gateway of `authority` would count: well formed, of its current epoch, signed low-s
// (v 27/28) by `vote.signer`, who is a current attester. The vote's origin is not looked at.
core::Result<void> check_vote(const VoteAuthority& authority, const store::VoteRecord& vote);
// The votes one deliver or acknowledge entry carries: `own`, then the book's votes for the same
// (id, kind, claim, status, epoch) from other current attesters, one per signer, up to
// `threshold` in all, sorted by signer ascending (the gateway wants signers strictly increasing).
// Votes of another epoch are left out: the gateway would refuse the whole batch for them. Several
// relays that each submit their own vote reach the threshold across transactions anyway (the
// gateway tallies votes per digest and epoch); a peer's vote in the book saves that round.
std::vector<store::VoteRecord> aggregate_votes(const store::VoteRecord& own, const std::vector<store::VoteRecord>& book,
                                               const std::vector<core::Address>& attesters, std::size_t threshold);

// What POST /v1/bundles did with a bundle.
struct BundleSubmission {
  enum class Outcome : std::uint8_t {
    kAdmitted,  // verified, and its message was new: stored observed and verified
    kKnown,     // verified, and its message is stored already: nothing changed
    kRejected,  // failed verification: recorded as rejected by its claim, nothing else written
  };
  Outcome outcome = Outcome::kRejected;
  core::Claim claim;
  core::MessageId id;  // the id the bundle names
  std::string reason;  // the rejection's reason code
};

// A durable state change of one message, as the API's stream and the log report it.
struct TransitionEvent {
  core::MessageId id;
  store::MessageState to = store::MessageState::kObserved;
  std::string lane;  // the config lane's name; empty when no configured lane carries it
  core::Claim claim;
  std::string reason;  // parking reason
};

// The keys the engine signs with, opened by the caller (relay/app) from the config's key refs:
// unlocked in this process or on a PKCS#11 token.
struct EngineKeys {
  core::SignerPtr vote;                              // the attester key
  std::map<std::string, core::SignerPtr> gas;        // per chain name
};

struct EngineOptions {
  // Unix seconds for next-attempt times; injectable for tests.
  std::function<std::uint64_t()> clock;
  // Told about every event worth a log line (level, text); the app routes it to spdlog.
  std::function<void(int level, const std::string&)> log;
  // Signs and stores an audit checkpoint; called every relay.checkpoint_every when set.
  std::function<core::Result<void>()> checkpoint;
  // Told about every transition once it is committed (on the engine's thread).
  std::function<void(const TransitionEvent&)> on_transition;
  // Signed chains read by the built-in source: when their checkpoint advances from headers alone
  // (verify/checkpoints.hpp); injectable so a test on a short chain reaches it.
  verify::IdleAdvance idle_advance;
};

// What /readyz and the API report.
struct EngineStatus {
  bool ready = false;  // every chain had its start-up attempt and in-flight recovery was done where reachable
  nlohmann::json detail;
};

class Engine {
 public:
  static core::Result<std::unique_ptr<Engine>> create(boost::asio::io_context& io, const Config& config,
                                                      store::Store& store, Metrics& metrics, EngineKeys keys,
                                                      EngineOptions options = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Runs every pipeline until stop(); returns once they all finished their current step.
  boost::asio::awaitable<void> run();
  // Asks every pipeline to finish its current step and return (SIGTERM). Thread-safe.
  void stop();
  // Called on the engine's thread.
  EngineStatus status() const;
  // The configuration it runs, as given to create().
  const Config& config() const noexcept;
  // The trust anchors `bundle` verifies against: the pinned ones, or for a signed chain's bundle
  // that starts at a checkpoint the relay kept, that checkpoint (verify/checkpoints.hpp). Reads
  // the store: on the engine's thread.
  core::Result<verify::TrustAnchors> anchors_for(const verify::Bundle& bundle) const;
  // Per configured lane name, the store lane keys (store::lane_key) its messages carry: those of
  // its unordered and its ordered lane.
  std::map<std::string, std::vector<core::Hash32>> store_lanes() const;

  // Operator actions (the API's admin endpoints and the CLI); on the engine's thread.
  // A paused lane holds its messages (nothing lost) until resumed; resuming also clears a halt.
  core::Result<void> pause_lane(const std::string& lane, const std::string& reason);
  core::Result<void> resume_lane(const std::string& lane);
  // A parked message goes back to the stage it was parked at, due at once.
  core::Result<void> retry(const core::MessageId& id);
  core::Result<void> park(const core::MessageId& id, const std::string& reason);
  // Skips a parked message of an ordered lane: signs Skip(id, epoch) and submits
  // skip(msg, signatures) to the destination gateway; the message becomes skipped when the
  // gateway's MessageExecuted (status 4) is seen, and is then acknowledged like any other.
  // Returns the skip transaction's hash.
  boost::asio::awaitable<core::Result<core::Hash32>> skip(core::MessageId id);
  // A vote from a peer attester: checked (check_vote against the gateway that counts it) and put
  // in the vote book. Returns false for a vote the book already holds. Refusals and duplicates
  // are counted in the metrics.
  core::Result<bool> accept_vote(store::VoteRecord vote);
  // A proof bundle pushed out of band, through the verification path of the source adapter's.
  // Errors: kBadBundle (not a bundle), kUnknownLane (no lane carries it), kChainNotStarted, or
  // the source chain's RPC failing while reading canonical hashes.
  boost::asio::awaitable<core::Result<BundleSubmission>> submit_bundle(std::string json);

 private:
  struct Impl;
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// A token bucket: `rate` tokens per second up to `burst`; rate 0 means unlimited.
class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;
  TokenBucket(double rate, double burst, Clock::time_point now);
  // Takes up to `wanted` whole tokens; returns how many were taken.
  std::size_t take(std::size_t wanted, Clock::time_point now);
  // How long until one token is available.
  Clock::duration wait_for_one(Clock::time_point now) const;

 private:
  void refill(Clock::time_point now);
  double rate_;
  double burst_;
  double tokens_;
  Clock::time_point last_;
};

// Opens after `failures` consecutive failures; after `cool_down` lets one attempt through
// (half-open): its success closes the breaker, its failure opens it again.
class CircuitBreaker {
 public:
  using Clock = std::chrono::steady_clock;
  CircuitBreaker(std::uint32_t failures, Clock::duration cool_down) : limit_(failures), cool_down_(cool_down) {}
  bool allows(Clock::time_point now) const noexcept;
  bool open(Clock::time_point now) const noexcept { return !allows(now); }
  void success() noexcept { failures_ = 0; }
  void failure(Clock::time_point now) noexcept;

 private:
  std::uint32_t limit_;
  Clock::duration cool_down_;
  std::uint32_t failures_ = 0;
  Clock::time_point opened_at_{};
};

// Capped exponential backoff for a message's next attempt: initial × 2^attempts, at most `max`.
std::chrono::milliseconds retry_delay(const RetrySettings& retry, std::uint32_t attempts) noexcept;

// A delivered message whose execution the relay has not seen by then is delivered again (the
// gateway counts a vote once, so this only executes what is now executable, e.g. an ordered
// message whose predecessor has since executed).
inline constexpr std::uint64_t kRedeliverAfterSeconds = 20;
inline constexpr std::uint64_t kRedeliverMaxSeconds = 320;
inline constexpr std::uint32_t kRedeliverSteady = 3;
// Seconds from the `redeliveries`-th redelivery of a message (1 for the first) to its next. One
// that carried fewer votes than the gateway's threshold executes the message only when the others
// are already on the chain and it is now executable (an ordered message behind a late predecessor,
// which the first few redeliveries settle); while peers are down it pays for a transaction that
// changes nothing, every 20 s. So after kRedeliverSteady of those the delay doubles, up to
// kRedeliverMaxSeconds; a redelivery that carries the threshold keeps kRedeliverAfterSeconds.
std::uint64_t redeliver_after_seconds(std::uint32_t redeliveries, bool short_of_threshold) noexcept;

// What the engine's journal tag of a transaction says it was for, so a restart follows it again:
// "deliver <lane>", "skip <lane>", "acknowledge <lane> <id>[,<id>…]" (the ids its acknowledgements
// carry). A lane name may hold spaces; the ids follow the last one.
struct JournalTag {
  enum class Kind : std::uint8_t { kDeliver, kSkip, kAcknowledge };
  Kind kind = Kind::kDeliver;
  std::string lane;
  std::vector<core::MessageId> ids;  // acknowledge only
};
std::string journal_tag(const JournalTag& tag);
// The tag read back; none for a tag that is not the engine's (another kind, no lane, an id that is
// not 32 bytes of hex, an acknowledgement without ids).
std::optional<JournalTag> parse_journal_tag(std::string_view tag);

}  // namespace causeway::engine
