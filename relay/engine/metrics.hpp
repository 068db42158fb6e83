// The relay's Prometheus registry (prometheus-cpp): every component reports into it and
// /metrics serves it. Names follow Prometheus conventions (causeway_ prefix, _total counters,
// _seconds durations); labels are bounded sets (chain and lane names from config, reason codes
// from the code), never user input.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace causeway::engine {

class Metrics {
 public:
  Metrics();

  std::shared_ptr<prometheus::Registry> registry() const noexcept { return registry_; }

  // A family the relay declares: what dashboards and alert rules may refer to (`causeway metrics`).
  struct FamilyInfo {
    std::string_view name;
    std::string_view type;  // the exposition format's TYPE: counter, gauge or histogram
  };
  // Every family on registry() in registration order, those without a sample too (prometheus-cpp
  // leaves a family with no sample out of Collect() and /metrics), and the ones that
  // api::HttpServer::set_metrics adds to the registry it is given.
  const std::vector<FamilyInfo>& families() const noexcept { return families_; }

  // Per source/destination lane ("a->b").
  prometheus::Counter& observed(const std::string& lane) { return observed_.Add({{"lane", lane}}); }
  prometheus::Counter& verified(const std::string& lane) { return verified_.Add({{"lane", lane}}); }
  prometheus::Counter& delivered(const std::string& lane) { return delivered_.Add({{"lane", lane}}); }
  prometheus::Counter& executed(const std::string& lane, const std::string& status) {
    return executed_.Add({{"lane", lane}, {"status", status}});
  }
  prometheus::Counter& acknowledged(const std::string& lane) { return acknowledged_.Add({{"lane", lane}}); }
  prometheus::Counter& parked(const std::string& lane) { return parked_.Add({{"lane", lane}}); }
  prometheus::Counter& orphaned(const std::string& lane) { return orphaned_.Add({{"lane", lane}}); }
  prometheus::Counter& submissions(const std::string& lane, const std::string& kind, const std::string& outcome) {
    return submissions_.Add({{"lane", lane}, {"kind", kind}, {"outcome", outcome}});
  }
  prometheus::Counter& batch_splits(const std::string& lane) { return batch_splits_.Add({{"lane", lane}}); }
  prometheus::Counter& rate_limited(const std::string& lane) { return rate_limited_.Add({{"lane", lane}}); }
  // Peer votes (POST /v1/votes) the vote book already held, by vote kind (deliver, ack, skip).
  prometheus::Counter& votes_duplicate(const std::string& lane, const std::string& kind) {
    return votes_duplicate_.Add({{"lane", lane}, {"kind", kind}});
  }
  // Peer votes of the book that joined this relay's own in a deliver or acknowledge entry.
  prometheus::Counter& votes_aggregated(const std::string& lane, const std::string& kind) {
    return votes_aggregated_.Add({{"lane", lane}, {"kind", kind}});
  }
  prometheus::Gauge& backlog(const std::string& lane) { return backlog_.Add({{"lane", lane}}); }
  prometheus::Gauge& lane_messages(const std::string& lane, const std::string& state) {
    return lane_messages_.Add({{"lane", lane}, {"state", state}});
  }
  // Age of the lane's oldest message still on its way (0 when none is).
  prometheus::Gauge& oldest_pending(const std::string& lane) { return oldest_pending_.Add({{"lane", lane}}); }
  prometheus::Gauge& breaker_open(const std::string& lane) { return breaker_open_.Add({{"lane", lane}}); }
  // 1 while the lane is halted and needs an operator (reorg beyond finality, endpoints disagreeing).
  prometheus::Gauge& lane_halted(const std::string& lane) { return lane_halted_.Add({{"lane", lane}}); }
  prometheus::Histogram& batch_size(const std::string& lane);
  // From the source block's finality (the relay seeing it) to the target transaction's inclusion.
  prometheus::Histogram& delivery_latency(const std::string& lane);
  // The relay's own share of that: from the start of the poll that found the message's source block
  // final (or of the reconciliation sweep that found it) to the broadcast of its first deliver
  // transaction, on a monotonic clock in memory (a message seen before a restart is not timed).
  prometheus::Histogram& relay_overhead(const std::string& lane);

  // Per chain.
  prometheus::Counter& rejected(const std::string& chain, const std::string& reason) {
    return rejected_.Add({{"chain", chain}, {"reason", reason}});
  }
  // Peer votes refused, by reason code (vote.wrong_signer, vote.not_attester ...).
  prometheus::Counter& votes_rejected(const std::string& reason) { return votes_rejected_.Add({{"reason", reason}}); }
  prometheus::Counter& rpc_errors(const std::string& chain, const std::string& reason) {
    return rpc_errors_.Add({{"chain", chain}, {"reason", reason}});
  }
  prometheus::Counter& reorgs(const std::string& chain) { return reorgs_.Add({{"chain", chain}}); }
  // Alerts: a reorg of blocks the relay had taken as final, and endpoints disagreeing on a block.
  prometheus::Counter& finality_violations(const std::string& chain) { return finality_violations_.Add({{"chain", chain}}); }
  prometheus::Counter& endpoint_conflicts(const std::string& chain) { return endpoint_conflicts_.Add({{"chain", chain}}); }
  // Restarts of a chain's external source adapter (its process died, stalled or talked nonsense).
  prometheus::Counter& adapter_restarts(const std::string& chain) { return adapter_restarts_.Add({{"chain", chain}}); }
  prometheus::Gauge& head(const std::string& chain) { return head_.Add({{"chain", chain}}); }
  prometheus::Gauge& cursor(const std::string& chain) { return cursor_.Add({{"chain", chain}}); }
  prometheus::Gauge& chain_up(const std::string& chain) { return chain_up_.Add({{"chain", chain}}); }
  // Signed chains: the height bundles link back to, pinned or kept by the relay (verify/checkpoints).
  prometheus::Gauge& trusted_checkpoint_height(const std::string& chain) {
    return trusted_checkpoint_.Add({{"chain", chain}});
  }
  // Signed chains: checkpoints not advanced over a quiet stretch (headers not fetched or not
  // verified), by reason; bundles keep starting from the older checkpoint.
  // Transactions of the relay a node had accepted and then lost, sent again (EvmSink::rebroadcast_lost).
  prometheus::Counter& rebroadcasts(const std::string& chain) { return rebroadcasts_.Add({{"chain", chain}}); }
  prometheus::Counter& checkpoint_advance_failures(const std::string& chain, const std::string& reason) {
    return checkpoint_advance_failures_.Add({{"chain", chain}, {"reason", reason}});
  }
  // The gateway's attester epoch the relay signs for, and the rotations it has followed since start.
  prometheus::Gauge& attester_epoch(const std::string& chain) { return attester_epoch_.Add({{"chain", chain}}); }
  prometheus::Counter& epoch_changes(const std::string& chain) { return epoch_changes_.Add({{"chain", chain}}); }
  prometheus::Histogram& verify_seconds(const std::string& chain);
  // The gas account's balance in ether (a float: Prometheus samples are doubles).
  prometheus::Gauge& gas_balance(const std::string& chain) { return gas_balance_.Add({{"chain", chain}}); }
  // 1 while the balance is below the chain's gas_balance_warn; only chains that configure one.
  prometheus::Gauge& gas_balance_low(const std::string& chain) { return gas_balance_low_.Add({{"chain", chain}}); }
  // Per endpoint (its Url::label, never credentials or a query) and JSON-RPC method.
  prometheus::Histogram& rpc_request_seconds(const std::string& chain, const std::string& endpoint,
                                             const std::string& method);
  prometheus::Counter& rpc_endpoint_errors(const std::string& chain, const std::string& endpoint) {
    return rpc_endpoint_errors_.Add({{"chain", chain}, {"endpoint", endpoint}});
  }
  // The submitter (gas account) on the chain.
  prometheus::Gauge& submitter_nonce(const std::string& chain) { return submitter_nonce_.Add({{"chain", chain}}); }
  prometheus::Gauge& submitter_pending(const std::string& chain) { return submitter_pending_.Add({{"chain", chain}}); }
  prometheus::Gauge& submitter_fee(const std::string& chain) { return submitter_fee_.Add({{"chain", chain}}); }

  // Per state, from the store.
  prometheus::Gauge& messages(const std::string& state) { return messages_.Add({{"state", state}}); }

  // Whole relay. The insecure and single-operator flags are here so a dashboard shows them.
  prometheus::Gauge& ready() { return ready_.Add({}); }
  prometheus::Gauge& single_operator() { return single_operator_.Add({}); }
  prometheus::Gauge& insecure_trust() { return insecure_trust_.Add({}); }
  prometheus::Gauge& insecure_tls_endpoints() { return insecure_tls_.Add({}); }
  prometheus::Gauge& audit_log_size() { return audit_size_.Add({}); }
  prometheus::Counter& checkpoints_signed() { return checkpoints_.Add({}); }
  // Bundles deleted by retention (relay.retention.bundles_days).
  prometheus::Counter& bundles_pruned() { return bundles_pruned_.Add({}); }
  // The SQLite store's WAL: checkpoints by "thread" (the store's checkpointer) or by "commit" (a
  // commit past the backstop), and the log's size in pages.
  prometheus::Counter& wal_checkpoints(const std::string& by) { return wal_checkpoints_.Add({{"by", by}}); }
  prometheus::Gauge& wal_pages() { return wal_pages_.Add({}); }
  prometheus::Gauge& last_checkpoint_time() { return last_checkpoint_.Add({}); }
  // Witness cosignatures on the latest checkpoint (0 until witnesses co-sign).
  prometheus::Gauge& checkpoint_witnesses() { return checkpoint_witnesses_.Add({}); }
  prometheus::Gauge& build_info(const std::string& version) { return build_info_.Add({{"version", version}}); }
  // Active/standby on a PostgreSQL store (relay.store.postgres.lease): 1 while this process holds
  // the lease; the times it took the lease over from another holder; renewals that failed.
  prometheus::Gauge& lease_active() { return lease_active_.Add({}); }
  prometheus::Counter& lease_takeovers() { return lease_takeovers_.Add({}); }
  prometheus::Counter& lease_renew_failures() { return lease_renew_failures_.Add({}); }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  std::vector<FamilyInfo> families_;  // before the families: filled as each registers
  prometheus::Family<prometheus::Counter>& observed_;
  prometheus::Family<prometheus::Counter>& verified_;
  prometheus::Family<prometheus::Counter>& delivered_;
  prometheus::Family<prometheus::Counter>& executed_;
  prometheus::Family<prometheus::Counter>& acknowledged_;
  prometheus::Family<prometheus::Counter>& parked_;
  prometheus::Family<prometheus::Counter>& orphaned_;
  prometheus::Family<prometheus::Counter>& submissions_;
  prometheus::Family<prometheus::Counter>& batch_splits_;
  prometheus::Family<prometheus::Counter>& rate_limited_;
  prometheus::Family<prometheus::Counter>& votes_duplicate_;
  prometheus::Family<prometheus::Counter>& votes_aggregated_;
  prometheus::Family<prometheus::Gauge>& backlog_;
  prometheus::Family<prometheus::Gauge>& oldest_pending_;
  prometheus::Family<prometheus::Gauge>& lane_messages_;
  prometheus::Family<prometheus::Gauge>& breaker_open_;
  prometheus::Family<prometheus::Gauge>& lane_halted_;
  prometheus::Family<prometheus::Histogram>& batch_size_;
  prometheus::Family<prometheus::Histogram>& delivery_latency_;
  prometheus::Family<prometheus::Histogram>& relay_overhead_;
  prometheus::Family<prometheus::Counter>& rejected_;
  prometheus::Family<prometheus::Counter>& votes_rejected_;
  prometheus::Family<prometheus::Counter>& rpc_errors_;
  prometheus::Family<prometheus::Counter>& reorgs_;
  prometheus::Family<prometheus::Counter>& finality_violations_;
  prometheus::Family<prometheus::Counter>& endpoint_conflicts_;
  prometheus::Family<prometheus::Counter>& adapter_restarts_;
  prometheus::Family<prometheus::Gauge>& head_;
  prometheus::Family<prometheus::Gauge>& cursor_;
  prometheus::Family<prometheus::Gauge>& chain_up_;
  prometheus::Family<prometheus::Gauge>& trusted_checkpoint_;
  prometheus::Family<prometheus::Counter>& rebroadcasts_;
  prometheus::Family<prometheus::Counter>& checkpoint_advance_failures_;
  prometheus::Family<prometheus::Gauge>& attester_epoch_;
  prometheus::Family<prometheus::Counter>& epoch_changes_;
  prometheus::Family<prometheus::Histogram>& verify_seconds_;
  prometheus::Family<prometheus::Gauge>& gas_balance_;
  prometheus::Family<prometheus::Gauge>& gas_balance_low_;
  prometheus::Family<prometheus::Histogram>& rpc_request_seconds_;
  prometheus::Family<prometheus::Counter>& rpc_endpoint_errors_;
  prometheus::Family<prometheus::Gauge>& submitter_nonce_;
  prometheus::Family<prometheus::Gauge>& submitter_pending_;
  prometheus::Family<prometheus::Gauge>& submitter_fee_;
  prometheus::Family<prometheus::Gauge>& messages_;
  prometheus::Family<prometheus::Gauge>& ready_;
  prometheus::Family<prometheus::Gauge>& single_operator_;
  prometheus::Family<prometheus::Gauge>& insecure_trust_;
  prometheus::Family<prometheus::Gauge>& insecure_tls_;
  prometheus::Family<prometheus::Gauge>& audit_size_;
  prometheus::Family<prometheus::Counter>& checkpoints_;
  prometheus::Family<prometheus::Counter>& bundles_pruned_;
  prometheus::Family<prometheus::Counter>& wal_checkpoints_;
  prometheus::Family<prometheus::Gauge>& wal_pages_;
  prometheus::Family<prometheus::Gauge>& last_checkpoint_;
  prometheus::Family<prometheus::Gauge>& checkpoint_witnesses_;
  prometheus::Family<prometheus::Gauge>& build_info_;
  prometheus::Family<prometheus::Gauge>& lease_active_;
  prometheus::Family<prometheus::Counter>& lease_takeovers_;
  prometheus::Family<prometheus::Counter>& lease_renew_failures_;
};

}  // namespace causeway::engine
