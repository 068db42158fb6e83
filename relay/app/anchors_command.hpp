// `causeway anchors bootstrap`: a first trust-anchor file (schemas/trust-anchors.schema.json) for
// one EVM chain, read from a node the operator names. It fetches the finalized block (or the head
// minus --depth) and, for qbft / ibft2 / ibft1 and clique, the validator set that block's own
// header carries; shows the checkpoint; and writes the file only once the operator has typed the
// first 8 hex digits of the checkpoint's hash (or gave --yes, which it says loudly). The typed
// digits are the point: the operator compares the hash with an independent source (another
// node, a block explorer, the consortium's announcement) before the relay trusts it (THREATS 5).
#pragma once

#include <cstdint>
#include <istream>
#include <optional>
#include <ostream>
#include <string>

#include "relay/core/result.hpp"
#include "relay/net/client.hpp"
#include "relay/verify/trust_anchors.hpp"

namespace CLI {
class App;
}  // namespace CLI

namespace causeway::app {

namespace reason::anchors {
// The node reports another chain id than --chain-id.
inline constexpr core::Reason kChainIdMismatch{"anchors.chain_id_mismatch"};
// No contract code at --gateway on that chain at the checkpoint.
inline constexpr core::Reason kNoGatewayCode{"anchors.no_gateway_code"};
// The node has no finalized block (or the head is shallower than --depth).
inline constexpr core::Reason kNoCheckpoint{"anchors.no_checkpoint"};
// A reply that is not what the method returns.
inline constexpr core::Reason kBadReply{"anchors.bad_reply"};
// The typed digits are not the checkpoint hash's first eight: nothing is written.
inline constexpr core::Reason kNotConfirmed{"anchors.not_confirmed"};
// --out exists; an anchor file is never replaced by a bootstrap.
inline constexpr core::Reason kOutputExists{"anchors.output_exists"};
inline constexpr core::Reason kWriteFailed{"anchors.write_failed"};
}  // namespace reason::anchors

// What the command line asked for; add_anchors_commands fills it, tests may build it directly.
struct AnchorsOptions {
  bool bootstrap = false;  // set when `anchors bootstrap` was chosen
  std::string rpc{};       // the node's URL
  std::uint64_t chain_id = 0;
  std::string gateway{};   // 0x and 40 hex digits
  std::string out{};       // the trust-anchor file to write
  std::string name{};      // the chain's name in the file; empty: "chain-<id>"
  std::string mode{};      // qbft | ibft2 | ibft1 | clique | confirmations
  std::optional<std::uint64_t> depth{};  // head minus this instead of the node's finalized block
  std::uint32_t confirmations = 0;       // confirmations mode: required, at least 1
  std::uint64_t clique_epoch = 30'000;
  std::uint64_t max_payload = 32 * 1024;  // the EVM gateway's own cap
  bool yes = false;  // write without the typed confirmation
};

// The chain's anchor as read from the node behind `client`, checked by the trust-anchor reader
// (so the file written is one `causeway verify --trust` and the relay accept).
core::Result<verify::ChainAnchor> fetch_anchor(net::SyncClient& client, const AnchorsOptions& options);

// The checkpoint as shown to the operator: chain, number, hash, consensus and validators.
std::string describe_anchor(const verify::ChainAnchor& anchor);

void add_anchors_commands(CLI::App& app, AnchorsOptions& options);

// Reads the typed confirmation from `in`. Exit 0 written; 1 refused (a wrong or missing
// confirmation, a chain id or gateway that does not match, an existing --out); 2 unusable input or
// an unreachable node.
int run_anchors_command(const AnchorsOptions& options, std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace causeway::app
