// An auditor's own view of live chains (`causeway verify --rpc`, `causeway audit scan`): a node
// named on the command line, matched to a trust-anchor entry by the identity it reports, asked
// for canonical block hashes and gateway logs. Only the full `causeway` binary links this; the
// minimal `causeway-verify` has no network code.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "relay/app/verify_command.hpp"
#include "relay/core/bytes.hpp"
#include "relay/core/result.hpp"
#include "relay/net/client.hpp"
#include "relay/verify/checkpoints.hpp"
#include "relay/verify/trust_anchors.hpp"
#include "relay/verify/verify.hpp"

namespace CLI {
class App;
}  // namespace CLI

namespace causeway::app {

namespace reason::live {
// --rpc is neither a URL nor NAME=URL, or NAME is not a chain of the trust anchors.
inline constexpr core::Reason kBadRpc{"live.bad_rpc"};
// The node's chain id and block 0 give an identity that no trust-anchor entry (or not the named
// one) has: the auditor would be checking against someone else's chain.
inline constexpr core::Reason kIdentityMismatch{"live.identity_mismatch"};
// Two --rpc for one chain.
inline constexpr core::Reason kDuplicateChain{"live.duplicate_chain"};
// A node reply that is not what the method returns (a missing block, a malformed log).
inline constexpr core::Reason kBadReply{"live.bad_reply"};
}  // namespace reason::live

// One chain's node, identified: its chain identity is the anchor entry's.
struct LiveChain {
  const verify::ChainAnchor* anchor = nullptr;
  std::string label;  // the URL with any credentials removed, for messages
  std::unique_ptr<net::SyncClient> client;
};

// Connects to every --rpc ("URL" or "NAME=URL") and matches each node to its trust-anchor entry
// by eth_chainId and block 0's hash (a NAME must agree with what the node says).
core::Result<std::vector<LiveChain>> connect_live_chains(const std::vector<std::string>& rpc,
                                                         const verify::TrustAnchors& anchors);

// The chain of `anchor`, or nullptr.
LiveChain* find_live_chain(std::vector<LiveChain>& chains, const verify::ChainAnchor& anchor);

// Adds the canonical hashes of `numbers` and the chain's head (its latest block) to `out`.
core::Result<void> add_canonical_hashes(LiveChain& chain, std::span<const std::uint64_t> numbers,
                                        verify::CanonicalHashMap& out);

// The latest block number.
core::Result<std::uint64_t> latest_block(LiveChain& chain);

// One gateway log as eth_getLogs reports it.
struct GatewayLog {
  std::uint64_t block_number = 0;
  core::Hash32 tx_hash;
  std::vector<core::Hash32> topics;
  core::Bytes data;
};

// The logs of `address` with topic0 `topic` in [from, to], in ranges of at most `max_range` blocks.
core::Result<std::vector<GatewayLog>> gateway_logs(LiveChain& chain, const core::Address& address,
                                                   const core::Hash32& topic, std::uint64_t from, std::uint64_t to,
                                                   std::uint64_t max_range);

// The auditor's nodes as a verify::HeaderSource (verify/checkpoints.hpp): headers fetched with
// eth_getBlockByNumber in batches and rebuilt by the chain's hash rule; `chains` must outlive it.
class LiveHeaders final : public verify::HeaderSource {
 public:
  explicit LiveHeaders(std::vector<LiveChain>& chains) : chains_(chains) {}
  bool serves(const core::ChainIdentity& chain) const override { return find(chain) != nullptr; }
  core::Result<std::vector<core::Bytes>> headers(const core::ChainIdentity& chain, std::uint64_t from,
                                                 std::uint64_t to, std::uint32_t descendants) override;

 private:
  LiveChain* find(const core::ChainIdentity& chain) const;
  std::vector<LiveChain>& chains_;
};

// `causeway verify --rpc`: registered by the full binary only.
void add_verify_rpc_option(CLI::App& verify, VerifyOptions& options);
// The CanonicalFetch run_verify uses for --rpc.
CanonicalFetch live_canonical_fetch();
// The HeaderSourceOpen run_verify uses for --rpc: LiveHeaders over its own connections.
HeaderSourceOpen live_header_source();

}  // namespace causeway::app
