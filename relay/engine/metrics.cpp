#include "relay/engine/metrics.hpp"

namespace causeway::engine {

namespace {

template <typename Builder>
auto& family(Builder builder, const char* name, const char* help, prometheus::Registry& registry) {
  return builder.Name(name).Help(help).Register(registry);
}

}  // namespace

Metrics::Metrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      observed_(family(prometheus::BuildCounter(), "causeway_messages_observed_total",
                       "MessageSent events turned into bundles by the source adapter", *registry_)),
      verified_(family(prometheus::BuildCounter(), "causeway_messages_verified_total",
                       "Bundles that passed verification against the relay's trust anchors", *registry_)),
      delivered_(family(prometheus::BuildCounter(), "causeway_messages_submitted_total",
                        "Messages included in a deliver transaction the relay broadcast", *registry_)),
      executed_(family(prometheus::BuildCounter(), "causeway_messages_executed_total",
                       "Messages executed on their destination, by status", *registry_)),
      acknowledged_(family(prometheus::BuildCounter(), "causeway_messages_acknowledged_total",
                           "Acknowledgements confirmed on the source chain", *registry_)),
      parked_(family(prometheus::BuildCounter(), "causeway_messages_parked_total",
                     "Messages the relay stopped retrying (operator action needed)", *registry_)),
      orphaned_(family(prometheus::BuildCounter(), "causeway_messages_orphaned_total",
                       "Messages whose source block left the canonical chain", *registry_)),
      submissions_(family(prometheus::BuildCounter(), "causeway_submissions_total",
                          "Transactions by kind (deliver, acknowledge) and outcome", *registry_)),
      batch_splits_(family(prometheus::BuildCounter(), "causeway_batch_splits_total",
                           "Deliver batches split to isolate a message that reverts", *registry_)),
      rate_limited_(family(prometheus::BuildCounter(), "causeway_rate_limited_total",
                           "Times a lane held messages back for its rate limit", *registry_)),
      duplicate_votes_(family(prometheus::BuildCounter(), "causeway_duplicate_votes_total",
                              "Votes offered for a (message, claim, epoch) this signer had already voted for",
                              *registry_)),
      backlog_(family(prometheus::BuildGauge(), "causeway_lane_backlog",
                      "Verified messages of the lane not yet executed", *registry_)),
      breaker_open_(family(prometheus::BuildGauge(), "causeway_lane_breaker_open",
                           "1 while the lane's circuit breaker holds submissions back", *registry_)),
      lane_halted_(family(prometheus::BuildGauge(), "causeway_lane_halted",
                          "1 while the lane is halted for an operator (ALERT)", *registry_)),
      batch_size_(family(prometheus::BuildHistogram(), "causeway_batch_size",
                         "Messages per deliver transaction", *registry_)),
      delivery_latency_(family(prometheus::BuildHistogram(), "causeway_delivery_latency_seconds",
                               "From observing a final source event to its execution on the destination",
                               *registry_)),
      rejected_(family(prometheus::BuildCounter(), "causeway_bundles_rejected_total",
                       "Bundles that failed verification, by reason", *registry_)),
      rpc_errors_(family(prometheus::BuildCounter(), "causeway_rpc_errors_total",
                         "Failed chain reads and writes, by reason", *registry_)),
      reorgs_(family(prometheus::BuildCounter(), "causeway_reorgs_total",
                     "Reorganisations the source adapter rewound", *registry_)),
      finality_violations_(family(prometheus::BuildCounter(), "causeway_finality_violations_total",
                                  "Reorgs of blocks the relay had taken as final (ALERT)", *registry_)),
      endpoint_conflicts_(family(prometheus::BuildCounter(), "causeway_endpoint_conflicts_total",
                                 "Endpoints of one chain reporting different blocks at one height (ALERT)",
                                 *registry_)),
      head_(family(prometheus::BuildGauge(), "causeway_chain_head", "Latest final height seen", *registry_)),
      cursor_(family(prometheus::BuildGauge(), "causeway_chain_cursor", "Last height fully processed", *registry_)),
      chain_up_(family(prometheus::BuildGauge(), "causeway_chain_up",
                       "1 when the last poll of the chain succeeded", *registry_)),
      verify_seconds_(family(prometheus::BuildHistogram(), "causeway_verify_seconds",
                             "Time to verify one bundle", *registry_)),
      messages_(family(prometheus::BuildGauge(), "causeway_messages", "Stored messages by state", *registry_)),
      ready_(family(prometheus::BuildGauge(), "causeway_ready", "1 when /readyz says ready", *registry_)),
      single_operator_(family(prometheus::BuildGauge(), "causeway_single_operator_mode",
                              "1 when some gateway accepts one attester's vote alone", *registry_)),
      insecure_trust_(family(prometheus::BuildGauge(), "causeway_insecure_trust_mode",
                             "1 when some chain's headers are trusted without proof (trusted mode)", *registry_)),
      insecure_tls_(family(prometheus::BuildGauge(), "causeway_insecure_tls_endpoints",
                           "Endpoints with TLS verification turned off", *registry_)),
      audit_size_(family(prometheus::BuildGauge(), "causeway_audit_log_size", "Leaves in the audit log", *registry_)),
      checkpoints_(family(prometheus::BuildCounter(), "causeway_checkpoints_signed_total",
                          "Audit-log checkpoints signed", *registry_)),
      build_info_(family(prometheus::BuildGauge(), "causeway_build_info", "The running version", *registry_)) {}

prometheus::Histogram& Metrics::batch_size(const std::string& lane) {
  return batch_size_.Add({{"lane", lane}}, prometheus::Histogram::BucketBoundaries{1, 2, 5, 10, 20, 50, 100, 200});
}

prometheus::Histogram& Metrics::delivery_latency(const std::string& lane) {
  return delivery_latency_.Add({{"lane", lane}},
                               prometheus::Histogram::BucketBoundaries{0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300});
}

prometheus::Histogram& Metrics::verify_seconds(const std::string& chain) {
  return verify_seconds_.Add({{"chain", chain}}, prometheus::Histogram::BucketBoundaries{0.0001, 0.0005, 0.001, 0.005,
                                                                                          0.01, 0.05, 0.1, 0.5});
}

}  // namespace causeway::engine
