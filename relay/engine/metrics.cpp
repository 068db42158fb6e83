#include "relay/engine/metrics.hpp"

namespace causeway::engine {

namespace {

// The exposition format's TYPE of a family.
std::string_view type_name(const prometheus::Family<prometheus::Counter>&) { return "counter"; }
std::string_view type_name(const prometheus::Family<prometheus::Gauge>&) { return "gauge"; }
std::string_view type_name(const prometheus::Family<prometheus::Histogram>&) { return "histogram"; }

// Registers a family and records it in `declared`, so the list cannot drift from the registry.
template <typename Builder>
auto& family(Builder builder, const char* name, const char* help, prometheus::Registry& registry,
             std::vector<Metrics::FamilyInfo>& declared) {
  auto& registered = builder.Name(name).Help(help).Register(registry);
  declared.push_back({name, type_name(registered)});
  return registered;
}

}  // namespace

Metrics::Metrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      observed_(family(prometheus::BuildCounter(), "causeway_messages_observed_total",
                       "MessageSent events turned into bundles by the source adapter", *registry_, families_)),
      verified_(family(prometheus::BuildCounter(), "causeway_messages_verified_total",
                       "Bundles that passed verification against the relay's trust anchors", *registry_, families_)),
      delivered_(family(prometheus::BuildCounter(), "causeway_messages_submitted_total",
                        "Messages included in a deliver transaction the relay broadcast", *registry_, families_)),
      executed_(family(prometheus::BuildCounter(), "causeway_messages_executed_total",
                       "Messages executed on their destination, by status", *registry_, families_)),
      acknowledged_(family(prometheus::BuildCounter(), "causeway_messages_acknowledged_total",
                           "Acknowledgements confirmed on the source chain", *registry_, families_)),
      parked_(family(prometheus::BuildCounter(), "causeway_messages_parked_total",
                     "Messages the relay stopped retrying (operator action needed)", *registry_, families_)),
      orphaned_(family(prometheus::BuildCounter(), "causeway_messages_orphaned_total",
                       "Messages whose source block left the canonical chain", *registry_, families_)),
      submissions_(family(prometheus::BuildCounter(), "causeway_submissions_total",
                          "Transactions by kind (deliver, acknowledge) and outcome", *registry_, families_)),
      batch_splits_(family(prometheus::BuildCounter(), "causeway_batch_splits_total",
                           "Deliver batches split to isolate a message that reverts", *registry_, families_)),
      rate_limited_(family(prometheus::BuildCounter(), "causeway_rate_limited_total",
                           "Times a lane held messages back for its rate limit", *registry_, families_)),
      votes_duplicate_(family(prometheus::BuildCounter(), "causeway_votes_duplicate_total",
                              "Peer votes offered for a (message, kind, claim, epoch, signer) the vote book holds",
                              *registry_, families_)),
      votes_aggregated_(family(prometheus::BuildCounter(), "causeway_votes_aggregated_total",
                               "Peer votes of the vote book submitted alongside the relay's own, by kind",
                               *registry_, families_)),
      backlog_(family(prometheus::BuildGauge(), "causeway_lane_backlog",
                      "Messages of the lane observed, verified or voted, not yet executed", *registry_, families_)),
      oldest_pending_(family(prometheus::BuildGauge(), "causeway_lane_oldest_pending_seconds",
                             "Age of the lane's oldest message not yet executed", *registry_, families_)),
      lane_messages_(family(prometheus::BuildGauge(), "causeway_lane_messages",
                            "Stored messages of the lane by state (refreshed every 30 s)", *registry_, families_)),
      breaker_open_(family(prometheus::BuildGauge(), "causeway_lane_breaker_open",
                           "1 while the lane's circuit breaker holds submissions back", *registry_, families_)),
      lane_halted_(family(prometheus::BuildGauge(), "causeway_lane_halted",
                          "1 while the lane is halted for an operator (ALERT)", *registry_, families_)),
      batch_size_(family(prometheus::BuildHistogram(), "causeway_batch_size",
                         "Messages per deliver transaction", *registry_, families_)),
      delivery_latency_(family(prometheus::BuildHistogram(), "causeway_delivery_latency_seconds",
                               "From observing a final source event to its execution on the destination",
                               *registry_, families_)),
      relay_overhead_(family(prometheus::BuildHistogram(), "causeway_relay_overhead_seconds",
                             "From the poll that found a message final to the broadcast of its first deliver "
                             "transaction: the relay's own share of the delivery latency",
                             *registry_, families_)),
      rejected_(family(prometheus::BuildCounter(), "causeway_bundles_rejected_total",
                       "Bundles that failed verification, by reason", *registry_, families_)),
      votes_rejected_(family(prometheus::BuildCounter(), "causeway_votes_rejected_total",
                             "Peer votes refused, by reason", *registry_, families_)),
      rpc_errors_(family(prometheus::BuildCounter(), "causeway_rpc_errors_total",
                         "Failed chain reads and writes, by reason", *registry_, families_)),
      reorgs_(family(prometheus::BuildCounter(), "causeway_reorgs_total",
                     "Reorganisations the source adapter rewound", *registry_, families_)),
      finality_violations_(family(prometheus::BuildCounter(), "causeway_finality_violations_total",
                                  "Reorgs of blocks the relay had taken as final (ALERT)", *registry_, families_)),
      endpoint_conflicts_(family(prometheus::BuildCounter(), "causeway_endpoint_conflicts_total",
                                 "Endpoints of one chain reporting different blocks at one height (ALERT)",
                                 *registry_, families_)),
      adapter_restarts_(family(prometheus::BuildCounter(), "causeway_adapter_restarts_total",
                               "Restarts of the chain's external source adapter process", *registry_, families_)),
      head_(family(prometheus::BuildGauge(), "causeway_chain_head", "Latest final height seen", *registry_, families_)),
      cursor_(family(prometheus::BuildGauge(), "causeway_chain_cursor", "Last height fully processed", *registry_,
                     families_)),
      chain_up_(family(prometheus::BuildGauge(), "causeway_chain_up",
                       "1 when the last poll of the chain succeeded", *registry_, families_)),
      trusted_checkpoint_(family(prometheus::BuildGauge(), "causeway_trusted_checkpoint_height",
                                 "Signed chains: the checkpoint new bundles' segments start from", *registry_,
                                 families_)),
      rebroadcasts_(family(prometheus::BuildCounter(), "causeway_rebroadcasts_total",
                           "Transactions of the relay a node had accepted and lost, sent again", *registry_,
                           families_)),
      checkpoint_advance_failures_(family(prometheus::BuildCounter(), "causeway_checkpoint_advance_failures_total",
                                          "Signed chains: checkpoints not advanced (a quiet stretch's headers not "
                                          "followed, or a checkpoint not stored), by reason",
                                          *registry_, families_)),
      attester_epoch_(family(prometheus::BuildGauge(), "causeway_attester_epoch",
                             "The gateway's attester epoch the relay's votes are signed for", *registry_, families_)),
      epoch_changes_(family(prometheus::BuildCounter(), "causeway_attester_epoch_changes_total",
                            "Attester rotations of the gateway the relay followed while running", *registry_,
                            families_)),
      verify_seconds_(family(prometheus::BuildHistogram(), "causeway_verify_seconds",
                             "Time to verify one bundle", *registry_, families_)),
      gas_balance_(family(prometheus::BuildGauge(), "causeway_gas_balance_ether",
                          "Balance of the relay's gas account on the chain, in ether", *registry_, families_)),
      gas_balance_low_(family(prometheus::BuildGauge(), "causeway_gas_balance_low",
                              "1 while the gas account's balance is below the chain's gas_balance_warn", *registry_,
                              families_)),
      rpc_request_seconds_(family(prometheus::BuildHistogram(), "causeway_rpc_request_seconds",
                                  "Duration of one JSON-RPC request to one endpoint, by method", *registry_, families_)),
      rpc_endpoint_errors_(family(prometheus::BuildCounter(), "causeway_rpc_endpoint_errors_total",
                                  "Failed JSON-RPC requests to one endpoint, retried ones included", *registry_,
                                  families_)),
      submitter_nonce_(family(prometheus::BuildGauge(), "causeway_submitter_next_nonce",
                              "The nonce the gas account's next transaction carries", *registry_, families_)),
      submitter_pending_(family(prometheus::BuildGauge(), "causeway_submitter_pending",
                                "The gas account's journaled transactions not yet mined", *registry_, families_)),
      submitter_fee_(family(prometheus::BuildGauge(), "causeway_submitter_max_fee_gwei",
                            "Max fee per gas (gas price for legacy) of the newest pending transaction, in gwei",
                            *registry_, families_)),
      messages_(family(prometheus::BuildGauge(), "causeway_messages", "Stored messages by state", *registry_,
                       families_)),
      ready_(family(prometheus::BuildGauge(), "causeway_ready", "1 when /readyz says ready", *registry_, families_)),
      single_operator_(family(prometheus::BuildGauge(), "causeway_single_operator_mode",
                              "1 when some gateway accepts one attester's vote alone", *registry_, families_)),
      insecure_trust_(family(prometheus::BuildGauge(), "causeway_insecure_trust_mode",
                             "1 when some chain's headers are trusted without proof (trusted mode)", *registry_,
                             families_)),
      insecure_tls_(family(prometheus::BuildGauge(), "causeway_insecure_tls_endpoints",
                           "Endpoints with TLS verification turned off", *registry_, families_)),
      audit_size_(family(prometheus::BuildGauge(), "causeway_audit_log_size", "Leaves in the audit log", *registry_,
                         families_)),
      checkpoints_(family(prometheus::BuildCounter(), "causeway_checkpoints_signed_total",
                          "Audit-log checkpoints signed", *registry_, families_)),
      bundles_pruned_(family(prometheus::BuildCounter(), "causeway_bundles_pruned_total",
                             "Bundles of acknowledged messages deleted by retention", *registry_, families_)),
      wal_checkpoints_(family(prometheus::BuildCounter(), "causeway_store_wal_checkpoints_total",
                              "SQLite WAL checkpoints, by the store's checkpointer thread or by a commit past the "
                              "backstop (the log outgrew 4,000 pages)",
                              *registry_, families_)),
      wal_pages_(family(prometheus::BuildGauge(), "causeway_store_wal_pages",
                        "Pages in the SQLite store's write-ahead log after the last commit", *registry_, families_)),
      last_checkpoint_(family(prometheus::BuildGauge(), "causeway_checkpoint_last_timestamp_seconds",
                              "Unix time of the latest signed audit checkpoint", *registry_, families_)),
      checkpoint_witnesses_(family(prometheus::BuildGauge(), "causeway_checkpoint_witnesses",
                                   "Witness cosignatures on the latest checkpoint", *registry_, families_)),
      build_info_(family(prometheus::BuildGauge(), "causeway_build_info", "The running version", *registry_,
                         families_)),
      lease_active_(family(prometheus::BuildGauge(), "causeway_lease_active",
                           "1 while this relay holds the store's lease (active), 0 as a standby", *registry_,
                           families_)),
      lease_takeovers_(family(prometheus::BuildCounter(), "causeway_lease_takeovers_total",
                              "Times this relay took the store's lease over from another holder", *registry_,
                              families_)),
      lease_renew_failures_(family(prometheus::BuildCounter(), "causeway_lease_renew_failures_total",
                                   "Renewals of the store's lease that failed (retried until the grant runs out)",
                                   *registry_, families_)) {
  // api::HttpServer::set_metrics registers these on the registry it is given. The engine does not
  // link the API, so they are named here; tests/deploy checks them against a running server.
  families_.push_back({"causeway_http_requests_total", "counter"});
  families_.push_back({"causeway_http_connections_rejected_total", "counter"});
  families_.push_back({"causeway_http_tls_handshake_failures_total", "counter"});
  families_.push_back({"causeway_api_plaintext", "gauge"});
}

prometheus::Histogram& Metrics::batch_size(const std::string& lane) {
  return batch_size_.Add({{"lane", lane}}, prometheus::Histogram::BucketBoundaries{1, 2, 5, 10, 20, 50, 100, 200});
}

prometheus::Histogram& Metrics::delivery_latency(const std::string& lane) {
  return delivery_latency_.Add({{"lane", lane}},
                               prometheus::Histogram::BucketBoundaries{0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300});
}

prometheus::Histogram& Metrics::relay_overhead(const std::string& lane) {
  // Fine around the 50 ms the relay's own work should take when nothing queues.
  return relay_overhead_.Add({{"lane", lane}}, prometheus::Histogram::BucketBoundaries{0.001, 0.0025, 0.005, 0.01, 0.02,
                                                                                     0.03, 0.04, 0.05, 0.075, 0.1, 0.25,
                                                                                     0.5, 1, 2.5, 5, 10, 30});
}

prometheus::Histogram& Metrics::rpc_request_seconds(const std::string& chain, const std::string& endpoint,
                                                    const std::string& method) {
  return rpc_request_seconds_.Add({{"chain", chain}, {"endpoint", endpoint}, {"method", method}},
                                  prometheus::Histogram::BucketBoundaries{0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1,
                                                                          2.5, 5, 10});
}

prometheus::Histogram& Metrics::verify_seconds(const std::string& chain) {
  return verify_seconds_.Add({{"chain", chain}}, prometheus::Histogram::BucketBoundaries{0.0001, 0.0005, 0.001, 0.005,
                                                                                          0.01, 0.05, 0.1, 0.5});
}

}  // namespace causeway::engine
