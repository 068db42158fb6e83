// See live_chain.hpp. Blocking JSON-RPC through net::SyncClient: an auditor's command runs one
// step after another, and every call still has the client's deadline and retries.
#include "relay/app/live_chain.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "adapters/evm/header_json.hpp"
#include "adapters/evm/rpc_json.hpp"
#include "relay/core/protocol.hpp"
#include "relay/net/url.hpp"

namespace causeway::app {
namespace {

namespace rl = reason::live;
using nlohmann::json;

// Blocks asked for in one JSON-RPC batch: small enough for any node's batch limit.
constexpr std::size_t kBatchSize = 100;

struct RpcArgument {
  std::string name;  // empty: identify the chain by what the node reports
  std::string url;
};

// "NAME=URL" when the part before the first '=' cannot be the start of a URL (no ':' or '/').
RpcArgument split_rpc(const std::string& text) {
  const auto equals = text.find('=');
  if (equals == std::string::npos) return {{}, text};
  const std::string name = text.substr(0, equals);
  if (name.find_first_of(":/") != std::string::npos) return {{}, text};
  return {name, text.substr(equals + 1)};
}

core::Result<core::ChainIdentity> node_identity(net::SyncClient& client, const std::string& label) {
  auto chain_id = client.call("eth_chainId");
  if (!chain_id) return std::move(chain_id).error().with_context(label + " eth_chainId");
  CW_TRY(const std::uint64_t id, evm::quantity_u64(*chain_id, "eth_chainId"));
  auto block = client.call("eth_getBlockByNumber", json::array({"0x0", false}));
  if (!block) return std::move(block).error().with_context(label + " block 0");
  if (!block->is_object()) return core::Error(rl::kBadReply, label + ": no block 0");
  CW_TRY(const json* hash, evm::json_member(*block, "hash", "block 0"));
  CW_TRY(const auto genesis, evm::data_fixed<core::Hash32>(*hash, "block 0 hash"));
  return core::chain_identity(core::ChainFamily::kEvm, core::evm_chain_key(id), genesis);
}

}  // namespace

core::Result<std::vector<LiveChain>> connect_live_chains(const std::vector<std::string>& rpc,
                                                         const verify::TrustAnchors& anchors) {
  std::vector<LiveChain> out;
  for (const auto& text : rpc) {
    const auto argument = split_rpc(text);
    auto url = net::parse_url(argument.url);
    if (!url) return core::Error(rl::kBadRpc, "'" + net::redact_url(argument.url) + "': " + url.error().message());
    LiveChain chain;
    chain.label = url->label();
    auto client = net::SyncClient::create({net::EndpointConfig{argument.url}});
    if (!client) return std::move(client).error().with_context(chain.label);
    chain.client = std::move(client).value();
    CW_TRY(const auto identity, node_identity(*chain.client, chain.label));
    chain.anchor = anchors.find(identity);
    if (!argument.name.empty()) {
      const auto named = std::find_if(anchors.chains.begin(), anchors.chains.end(),
                                      [&](const verify::ChainAnchor& a) { return a.name == argument.name; });
      if (named == anchors.chains.end()) {
        return core::Error(rl::kBadRpc, "'" + argument.name + "' is not a chain of the trust anchors");
      }
      if (chain.anchor != &*named) {
        return core::Error(rl::kIdentityMismatch, chain.label + " serves chain " + core::to_hex(identity) + ", not " +
                                                      argument.name + " (" + core::to_hex(named->chain_identity) + ")");
      }
    }
    if (chain.anchor == nullptr) {
      return core::Error(rl::kIdentityMismatch,
                         chain.label + " serves chain " + core::to_hex(identity) + ", which the trust anchors do not hold");
    }
    const bool duplicate = std::any_of(out.begin(), out.end(), [&](const LiveChain& c) { return c.anchor == chain.anchor; });
    if (duplicate) return core::Error(rl::kDuplicateChain, "two --rpc for chain " + chain.anchor->name);
    out.push_back(std::move(chain));
  }
  return out;
}

LiveChain* find_live_chain(std::vector<LiveChain>& chains, const verify::ChainAnchor& anchor) {
  const auto found = std::find_if(chains.begin(), chains.end(), [&](const LiveChain& c) { return c.anchor == &anchor; });
  return found == chains.end() ? nullptr : &*found;
}

LiveChain* LiveHeaders::find(const core::ChainIdentity& chain) const {
  const auto found = std::find_if(chains_.begin(), chains_.end(),
                                  [&](const LiveChain& c) { return c.anchor->chain_identity == chain; });
  return found == chains_.end() ? nullptr : &*found;
}

core::Result<std::vector<core::Bytes>> LiveHeaders::headers(const core::ChainIdentity& chain, std::uint64_t from,
                                                            std::uint64_t to, std::uint32_t descendants) {
  LiveChain* live = find(chain);
  if (live == nullptr) return core::Error(rl::kBadRpc, "no --rpc for the chain");
  const evm::HeaderHashRule rule = evm::hash_rule_for(live->anchor->consensus.mode);
  const std::uint64_t last = to + descendants;
  std::vector<core::Bytes> out;
  for (std::uint64_t start = from + 1; start <= last; start += kBatchSize) {
    const std::uint64_t end = std::min<std::uint64_t>(last, start + kBatchSize - 1);
    std::vector<net::Call> calls;
    for (std::uint64_t n = start; n <= end; ++n) {
      calls.push_back({"eth_getBlockByNumber", json::array({evm::to_quantity(n), false})});
    }
    auto replies = live->client->batch(std::move(calls));
    if (!replies) return std::move(replies).error().with_context(live->label + " eth_getBlockByNumber");
    for (std::uint64_t n = start; n <= end; ++n) {
      const auto& reply = (*replies)[static_cast<std::size_t>(n - start)];
      const std::string what = live->anchor->name + " block " + std::to_string(n);
      if (!reply) return core::Error(reply.error()).with_context(live->label + " " + what);
      if (!reply->is_object()) return core::Error(rl::kBadReply, what + ": not a block");
      // Rebuilt, never taken on the node's word: the follower checks every link and seal.
      CW_TRY(auto header, evm::header_from_json({.block = *reply, .hash_rule = rule}));
      if (header.number != n) {
        return core::Error(rl::kBadReply, what + ": the node gave block " + std::to_string(header.number));
      }
      out.push_back(std::move(header.rlp));
    }
  }
  return out;
}

core::Result<std::uint64_t> latest_block(LiveChain& chain) {
  auto number = chain.client->call("eth_blockNumber");
  if (!number) return std::move(number).error().with_context(chain.label + " eth_blockNumber");
  return evm::quantity_u64(*number, "eth_blockNumber");
}

core::Result<void> add_canonical_hashes(LiveChain& chain, std::span<const std::uint64_t> numbers,
                                        verify::CanonicalHashMap& out) {
  // The head first: a block the node reports later is at most as deep as this says.
  CW_TRY(const std::uint64_t head, latest_block(chain));
  out.set_head(chain.anchor->chain_identity, head);
  const std::set<std::uint64_t> unique(numbers.begin(), numbers.end());
  std::vector<std::uint64_t> pending(unique.begin(), unique.end());
  for (std::size_t start = 0; start < pending.size(); start += kBatchSize) {
    const std::size_t end = std::min(pending.size(), start + kBatchSize);
    std::vector<net::Call> calls;
    for (std::size_t i = start; i < end; ++i) {
      calls.push_back({"eth_getBlockByNumber", json::array({evm::to_quantity(pending[i]), false})});
    }
    auto replies = chain.client->batch(std::move(calls));
    if (!replies) return std::move(replies).error().with_context(chain.label + " eth_getBlockByNumber");
    for (std::size_t i = start; i < end; ++i) {
      const auto& reply = (*replies)[i - start];
      const std::string what = chain.anchor->name + " block " + std::to_string(pending[i]);
      if (!reply) return core::Error(reply.error()).with_context(chain.label + " " + what);
      // A block the node does not have is not canonical there: leave it out, and the verifier
      // reports the bundle's finality as unverifiable rather than guessing.
      if (reply->is_null()) continue;
      if (!reply->is_object()) return core::Error(rl::kBadReply, what + ": not a block");
      CW_TRY(const json* hash, evm::json_member(*reply, "hash", what));
      CW_TRY(const auto canonical, evm::data_fixed<core::Hash32>(*hash, what + " hash"));
      out.add(chain.anchor->chain_identity, pending[i], canonical);
    }
  }
  return core::ok();
}

core::Result<std::vector<GatewayLog>> gateway_logs(LiveChain& chain, const core::Address& address,
                                                   const core::Hash32& topic, std::uint64_t from, std::uint64_t to,
                                                   std::uint64_t max_range) {
  std::vector<GatewayLog> out;
  const std::uint64_t step = std::max<std::uint64_t>(1, max_range);
  for (std::uint64_t start = from; start <= to;) {
    const std::uint64_t end = to - start < step ? to : start + step - 1;
    const json filter = {{"address", core::to_hex(address)},
                         {"fromBlock", evm::to_quantity(start)},
                         {"toBlock", evm::to_quantity(end)},
                         {"topics", json::array({core::to_hex(topic)})}};
    auto logs = chain.client->call("eth_getLogs", json::array({filter}));
    if (!logs) return std::move(logs).error().with_context(chain.label + " eth_getLogs");
    if (!logs->is_array()) return core::Error(rl::kBadReply, chain.label + " eth_getLogs: not an array");
    for (const auto& entry : *logs) {
      const std::string what = "log of block range " + std::to_string(start) + "-" + std::to_string(end);
      if (!entry.is_object()) return core::Error(rl::kBadReply, what + ": not an object");
      // Logs of a block being reorganised away come flagged; they justify nothing.
      if (entry.value("removed", false)) continue;
      GatewayLog log;
      CW_TRY(const json* number, evm::json_member(entry, "blockNumber", what));
      CW_TRY(log.block_number, evm::quantity_u64(*number, "blockNumber"));
      CW_TRY(const json* tx, evm::json_member(entry, "transactionHash", what));
      CW_TRY(log.tx_hash, evm::data_fixed<core::Hash32>(*tx, "transactionHash"));
      CW_TRY(const json* emitter, evm::json_member(entry, "address", what));
      CW_TRY(const auto emitted_by, evm::data_fixed<core::Address>(*emitter, "address"));
      if (emitted_by != address) return core::Error(rl::kBadReply, what + ": from another contract");
      CW_TRY(const json* topics, evm::json_member(entry, "topics", what));
      if (!topics->is_array()) return core::Error(rl::kBadReply, what + ": topics is not an array");
      for (const auto& t : *topics) {
        CW_TRY(const auto word, evm::data_fixed<core::Hash32>(t, "topics"));
        log.topics.push_back(word);
      }
      if (log.topics.empty() || log.topics[0] != topic) return core::Error(rl::kBadReply, what + ": another event");
      CW_TRY(const json* data, evm::json_member(entry, "data", what));
      CW_TRY(log.data, evm::data_any(*data, "data"));
      out.push_back(std::move(log));
    }
    if (end == to) break;
    start = end + 1;
  }
  return out;
}

void add_verify_rpc_option(CLI::App& verify, VerifyOptions& options) {
  auto* rpc = verify.add_option("--rpc", options.rpc,
                                "A live node of an unsigned (confirmations) chain, URL or NAME=URL, repeatable: checks "
                                "the canonical hash and depth of each bundle's block; of a signed chain: follows its "
                                "headers to a checkpoint no bundle given established (causeway only; causeway-verify "
                                "has no network code)")
                  ->type_name("URL")
                  ->allow_extra_args(false);
  if (auto* canonical = verify.get_option_no_throw("--canonical")) rpc->excludes(canonical);
}

CanonicalFetch live_canonical_fetch() {
  return [](const std::vector<std::string>& rpc, const verify::TrustAnchors& anchors,
            const std::vector<WantedBlock>& wanted) -> core::Result<verify::CanonicalHashMap> {
    CW_TRY(auto chains, connect_live_chains(rpc, anchors));
    std::map<core::ChainIdentity, std::vector<std::uint64_t>> by_chain;
    for (const auto& block : wanted) by_chain[block.chain].push_back(block.number);
    verify::CanonicalHashMap out;
    for (auto& chain : chains) {
      const auto found = by_chain.find(chain.anchor->chain_identity);
      const std::vector<std::uint64_t> none;
      CW_CHECK(add_canonical_hashes(chain, found == by_chain.end() ? none : found->second, out));
    }
    return out;
  };
}

HeaderSourceOpen live_header_source() {
  // The nodes and the LiveHeaders reading them, kept together for as long as run_verify needs them.
  struct Owned final : verify::HeaderSource {
    explicit Owned(std::vector<LiveChain> connected) : chains(std::move(connected)) {}
    bool serves(const core::ChainIdentity& chain) const override { return live.serves(chain); }
    core::Result<std::vector<core::Bytes>> headers(const core::ChainIdentity& chain, std::uint64_t from,
                                                   std::uint64_t to, std::uint32_t descendants) override {
      return live.headers(chain, from, to, descendants);
    }
    std::vector<LiveChain> chains;
    LiveHeaders live{chains};
  };
  return [](const std::vector<std::string>& rpc,
            const verify::TrustAnchors& anchors) -> core::Result<std::unique_ptr<verify::HeaderSource>> {
    CW_TRY(auto chains, connect_live_chains(rpc, anchors));
    return std::unique_ptr<verify::HeaderSource>(std::make_unique<Owned>(std::move(chains)));
  };
}

}  // namespace causeway::app
