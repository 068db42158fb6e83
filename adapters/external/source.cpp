// ExternalSource: source.* calls over an AdapterProcess, replies read strictly.
#include "adapters/external/source.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include "relay/core/message.hpp"
#include "relay/verify/inclusion.hpp"
#include "relay/verify/json_read.hpp"

namespace causeway::external {

namespace asio = boost::asio;
using asio::awaitable;
namespace jr = verify::json_read;

Json block_ref_to_json(const evm::BlockRef& block) {
  return {{"number", std::to_string(block.number)}, {"hash", core::to_hex(block.hash)}};
}

core::Result<evm::BlockRef> block_ref_from_json(const Json& json, std::string_view path) {
  CW_CHECK(jr::check_object(json, path, {"number", "hash"}));
  evm::BlockRef block;
  CW_TRY(block.number, jr::read_decimal(json["number"], jr::field_path(path, "number")));
  CW_TRY(block.hash, jr::read_fixed<core::Hash32>(json["hash"], jr::field_path(path, "hash")));
  return block;
}

core::Result<std::unique_ptr<ExternalSource>> ExternalSource::create(AdapterProcess& process,
                                                                      ExternalSourceConfig config) {
  const ProcessConfig& pc = process.config();
  if (pc.chain_identity != config.chain_identity) {
    return core::Error(reason::kWrongChain, pc.name + ": the process is configured for chain " +
                                                core::to_hex(pc.chain_identity) + ", the source for " +
                                                core::to_hex(config.chain_identity));
  }
  if (pc.family == Family::kExternal && !config.trusted_insecure) {
    return core::Error(reason::kWrongFamily, pc.name + ": family external is verified by nothing in the core; "
                                                       "it needs trusted_insecure");
  }
  return std::unique_ptr<ExternalSource>(new ExternalSource(process, std::move(config)));
}

awaitable<core::Result<void>> ExternalSource::start() {
  CW_CO_TRY(const Hello hello, co_await process_.start());
  if (!hello.source) {
    co_return core::Error(reason::kBadReply, process_.config().name + ": the adapter does not serve the source side");
  }
  Json params = Json::object();
  if (restored_) params["cursor"] = block_ref_to_json(*restored_);
  CW_CO_TRY(const Json result, co_await process_.call("source.start", std::move(params)));
  if (auto shape = jr::check_object(result, "", {"cursor"}); !shape) {
    co_return std::move(shape).error().with_context("source.start");
  }
  auto cursor = block_ref_from_json(result["cursor"], "cursor");
  if (!cursor) co_return std::move(cursor).error().with_context("source.start");
  if (restored_ && *cursor != *restored_) {
    co_return core::Error(reason::kBadReply, "source.start: the adapter moved the restored cursor");
  }
  cursor_ = *cursor;
  started_ = true;
  co_return core::ok();
}

core::Result<verify::Bundle> ExternalSource::read_bundle(const Json& json, std::string_view path,
                                                         verify::BundleKind kind) const {
  if (!json.is_object() || !json.contains("family")) return jr::bad(path, "not a bundle with a family");
  CW_TRY(const std::string family, jr::read_string(json["family"], jr::field_path(path, "family"), 32));
  const Family served = process_.config().family;
  const Json* readable = &json;
  Json evm_form;
  if (family == family_name(Family::kExternal)) {
    if (!config_.trusted_insecure) {
      return core::Error(reason::kWrongFamily,
                         std::string(path) + ": a bundle of family external, which the core cannot verify");
    }
    // Nothing in it will be checked; it is read in the EVM form only to reach the engine's types.
    evm_form = json;
    evm_form["family"] = family_name(Family::kEvm);
    readable = &evm_form;
  } else if (family != family_name(served)) {
    return core::Error(reason::kWrongFamily, std::string(path) + ": a bundle of family \"" + family +
                                                 "\" from an adapter of family " +
                                                 std::string(family_name(served)));
  }
  auto bundle = verify::bundle_from_json(*readable, config_.bundle_limits);
  if (!bundle) return std::move(bundle).error().with_context(path);
  if (bundle->source.chain_identity != config_.chain_identity) {
    return core::Error(reason::kWrongChain, std::string(path) + ": a bundle of chain " +
                                                core::to_hex(bundle->source.chain_identity));
  }
  if (bundle->kind != kind) {
    return core::Error(reason::kBadReply, std::string(path) + ": a bundle of kind " +
                                              std::string(verify::kind_name(bundle->kind)));
  }
  return bundle;
}

core::Result<void> ExternalSource::read_bundles(const Json& result, std::vector<verify::Bundle>& bundles,
                                                std::vector<core::Hash32>& tx_hashes) const {
  CW_CHECK(jr::check_array(result["bundles"], "bundles", config_.max_bundles));
  CW_CHECK(jr::check_array(result["tx_hashes"], "tx_hashes", config_.max_bundles));
  if (result["bundles"].size() != result["tx_hashes"].size()) {
    return core::Error(reason::kBadReply, "tx_hashes does not match bundles one for one");
  }
  for (std::size_t i = 0; i < result["bundles"].size(); ++i) {
    CW_TRY(verify::Bundle bundle,
           read_bundle(result["bundles"][i], jr::index_path("bundles", i), verify::BundleKind::kMessage));
    CW_TRY(const core::Hash32 tx, jr::read_fixed<core::Hash32>(result["tx_hashes"][i], jr::index_path("tx_hashes", i)));
    bundles.push_back(std::move(bundle));
    tx_hashes.push_back(tx);
  }
  return core::ok();
}

core::Result<std::vector<evm::ObservedExecution>> ExternalSource::read_executions(const Json& executions) const {
  CW_CHECK(jr::check_array(executions, "executions", config_.max_bundles));
  std::vector<evm::ObservedExecution> out;
  for (std::size_t i = 0; i < executions.size(); ++i) {
    const std::string path = jr::index_path("executions", i);
    CW_CHECK(jr::check_object(executions[i], path, {"bundle", "tx_hash"}));
    evm::ObservedExecution observed;
    CW_TRY(observed.bundle,
           read_bundle(executions[i]["bundle"], jr::field_path(path, "bundle"), verify::BundleKind::kExecution));
    CW_TRY(observed.tx_hash, jr::read_fixed<core::Hash32>(executions[i]["tx_hash"], jr::field_path(path, "tx_hash")));
    // What the event says, read from the bundle's own receipt bytes (not from anything else the
    // adapter claims); whether those bytes are proven is the verifier's question. The message is
    // left default, as EvmSource leaves it: the engine fills it from its store.
    observed.bundle.message = {};
    CW_TRY(const verify::Receipt receipt, verify::decode_receipt(observed.bundle.inclusion.receipt));
    if (observed.bundle.inclusion.log_index >= receipt.logs.size()) {
      return core::Error(reason::kBadReply, path + ": log_index beyond the receipt's logs");
    }
    const verify::ReceiptLog& log = receipt.logs[observed.bundle.inclusion.log_index];
    if (log.topics.size() != 4 || log.topics[0] != core::kMessageExecutedTopic) {
      return core::Error(reason::kBadReply, path + ": the log is not a MessageExecuted");
    }
    observed.id.bytes = log.topics[1].bytes;
    observed.src_chain.bytes = log.topics[2].bytes;
    CW_TRY(observed.sequence, verify::topic_uint64(log.topics[3]));
    CW_TRY(observed.outcome, core::decode_outcome_data(log.data));
    out.push_back(std::move(observed));
  }
  return out;
}

awaitable<core::Result<evm::PollResult>> ExternalSource::poll() {
  if (!started_) co_return core::Error(reason::kNotStarted, "poll before start");
  Json params = {{"cursor", block_ref_to_json(cursor_)}};
  CW_CO_TRY(const Json result, co_await process_.call("source.poll", std::move(params)));
  auto read = [&]() -> core::Result<evm::PollResult> {
    CW_CHECK(jr::check_object(result, "", {"bundles", "tx_hashes", "cursor", "head"}, {"executions", "orphaned"}));
    evm::PollResult poll;
    CW_CHECK(read_bundles(result, poll.bundles, poll.tx_hashes));
    if (result.contains("executions")) {
      CW_TRY(poll.executions, read_executions(result["executions"]));
    }
    CW_TRY(poll.cursor, block_ref_from_json(result["cursor"], "cursor"));
    CW_TRY(poll.head, jr::read_decimal(result["head"], "head"));
    std::uint64_t base = cursor_.number;
    if (result.contains("orphaned")) {
      const Json& o = result["orphaned"];
      CW_CHECK(jr::check_object(o, "orphaned", {"from", "to", "rewound_to", "claims"}));
      evm::OrphanReport report;
      CW_TRY(report.from, jr::read_decimal(o["from"], "orphaned.from"));
      CW_TRY(report.to, jr::read_decimal(o["to"], "orphaned.to"));
      CW_TRY(report.rewound_to, block_ref_from_json(o["rewound_to"], "orphaned.rewound_to"));
      CW_CHECK(jr::check_array(o["claims"], "orphaned.claims", config_.max_bundles));
      for (std::size_t i = 0; i < o["claims"].size(); ++i) {
        CW_TRY(const core::Claim claim, jr::read_fixed<core::Claim>(o["claims"][i], jr::index_path("orphaned.claims", i)));
        report.claims.push_back(claim);
      }
      // A rewind reports exactly the heights between the last canonical block and our cursor.
      if (report.to != cursor_.number || report.rewound_to.number >= cursor_.number ||
          report.from != report.rewound_to.number + 1) {
        return core::Error(reason::kBadReply, "orphaned does not describe a rewind from the cursor");
      }
      base = report.rewound_to.number;
      poll.orphaned = std::move(report);
    } else if (poll.cursor.number < cursor_.number ||
               (poll.cursor.number == cursor_.number && poll.cursor.hash != cursor_.hash)) {
      return core::Error(reason::kBadReply, "the cursor moved backwards or changed without an orphan report");
    }
    if (poll.cursor.number < base || poll.cursor.number > poll.head) {
      return core::Error(reason::kBadReply, "the cursor is outside the rewind point and the head");
    }
    // Events after the old cursor and up to the new one: a bundle elsewhere was not scanned in
    // this step, whatever the adapter says.
    const auto outside = [&](const verify::Bundle& b) {
      return b.source.block_number <= base || b.source.block_number > poll.cursor.number;
    };
    if (std::any_of(poll.bundles.begin(), poll.bundles.end(), outside) ||
        std::any_of(poll.executions.begin(), poll.executions.end(),
                    [&](const evm::ObservedExecution& e) { return outside(e.bundle); })) {
      return core::Error(reason::kBadReply, "a bundle from a block outside the polled range");
    }
    return poll;
  };
  auto poll = read();
  if (!poll) co_return std::move(poll).error().with_context("source.poll");
  cursor_ = poll->cursor;
  co_return poll;
}

awaitable<core::Result<evm::ProveResult>> ExternalSource::find_sent(evm::FindSentRequest request) {
  if (!started_) co_return core::Error(reason::kNotStarted, "find_sent before start");
  Json sequences = Json::array();
  for (const std::uint64_t s : request.sequences) sequences.push_back(std::to_string(s));
  Json params = {{"dst_chain", core::to_hex(request.dst_chain)},
                 {"sequences", std::move(sequences)},
                 {"from", std::to_string(request.from)},
                 {"to", std::to_string(request.to)}};
  CW_CO_TRY(const Json result, co_await process_.call("source.find_sent", std::move(params)));
  auto read = [&]() -> core::Result<evm::ProveResult> {
    CW_CHECK(jr::check_object(result, "", {"bundles", "tx_hashes"}));
    evm::ProveResult found;
    CW_CHECK(read_bundles(result, found.bundles, found.tx_hashes));
    for (const auto& b : found.bundles) {
      const bool asked = std::find(request.sequences.begin(), request.sequences.end(), b.message.sequence.value) !=
                         request.sequences.end();
      if (!asked || b.message.dst_chain != request.dst_chain || b.source.block_number < request.from ||
          b.source.block_number > request.to) {
        return core::Error(reason::kBadReply, "a bundle that does not answer the request");
      }
    }
    return found;
  };
  auto found = read();
  if (!found) co_return std::move(found).error().with_context("source.find_sent");
  co_return found;
}

}  // namespace causeway::external
