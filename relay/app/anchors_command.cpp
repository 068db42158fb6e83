// See anchors_command.hpp. One blocking JSON-RPC client (net::SyncClient, with its deadline and
// retries); the header is rebuilt and hashed by adapters/evm and decoded by relay/verify, the
// same code that verifies the chain's bundles later, so the file holds what the verifier reads.
#include "relay/app/anchors_command.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <utility>

#include <nlohmann/json.hpp>

#include "adapters/evm/header_json.hpp"
#include "adapters/evm/rpc_json.hpp"
#include "relay/core/protocol.hpp"
#include "relay/core/secp256k1.hpp"
#include "relay/net/url.hpp"
#include "relay/verify/bft.hpp"
#include "relay/verify/clique.hpp"
#include "relay/verify/evm_header.hpp"

namespace causeway::app {
namespace {

namespace ra = reason::anchors;
using nlohmann::json;

constexpr int kExitWritten = 0;
constexpr int kExitRefused = 1;
constexpr int kExitUnusable = 2;

// The digits the operator types: enough that a glance at a different hash cannot pass.
constexpr std::size_t kConfirmDigits = 8;

// The modes a production anchor may have; trusted is for development and is written by hand.
constexpr std::array<verify::ConsensusMode, 5> kBootstrapModes{
    verify::ConsensusMode::kQbft, verify::ConsensusMode::kIbft2, verify::ConsensusMode::kIbft1,
    verify::ConsensusMode::kClique, verify::ConsensusMode::kConfirmations};

core::Result<verify::ConsensusMode> mode_of(const std::string& name) {
  for (const auto mode : kBootstrapModes) {
    if (verify::mode_name(mode) == name) return mode;
  }
  return core::Error(verify::reason::kWrongMode, "--mode " + name + ": expected qbft, ibft2, ibft1, clique or confirmations");
}

core::Result<json> call(net::SyncClient& client, const std::string& method, json params) {
  auto reply = client.call(method, std::move(params));
  if (!reply) return std::move(reply).error().with_context(method);
  return std::move(reply).value();
}

// eth_getBlockByNumber for a tag or a quantity; null (an unknown block or tag) is kNoCheckpoint.
core::Result<json> block(net::SyncClient& client, const std::string& which) {
  CW_TRY(auto reply, call(client, "eth_getBlockByNumber", json::array({which, false})));
  if (reply.is_null()) return core::Error(ra::kNoCheckpoint, "the node has no block '" + which + "'");
  if (!reply.is_object()) return core::Error(ra::kBadReply, "block '" + which + "': not an object");
  return reply;
}

core::Result<std::uint64_t> block_number_of(const json& reply, const std::string& what) {
  CW_TRY(const json* number, evm::json_member(reply, "number", what));
  return evm::quantity_u64(*number, what + " number");
}

// The block the checkpoint is read from: the head minus --depth, or the node's finalized block.
core::Result<json> target_block(net::SyncClient& client, const AnchorsOptions& options) {
  if (!options.depth) {
    auto finalized = block(client, "finalized");
    if (!finalized) {
      return std::move(finalized).error().with_context(
          "the node reports no finalized block (pass --depth N to take the head minus N instead)");
    }
    return finalized;
  }
  CW_TRY(const auto head_reply, call(client, "eth_blockNumber", json::array()));
  CW_TRY(const std::uint64_t head, evm::quantity_u64(head_reply, "eth_blockNumber"));
  if (head < *options.depth) {
    return core::Error(ra::kNoCheckpoint, "the head is block " + std::to_string(head) + ", shallower than --depth " +
                                              std::to_string(*options.depth));
  }
  return block(client, evm::to_quantity(head - *options.depth));
}

// The header's consensus RLP, its hash checked by the mode's rule.
core::Result<core::Bytes> header_rlp(const json& reply, verify::ConsensusMode mode) {
  CW_TRY(auto rebuilt, evm::header_from_json({.block = reply, .hash_rule = evm::hash_rule_for(mode)}));
  if (const auto engine = verify::bft_engine_of(mode)) {
    CW_TRY(const auto hash, verify::bft_header_hash(*engine, rebuilt.rlp));
    if (hash != rebuilt.hash) {
      return core::Error(evm::reason::header_json::kHashMismatch,
                         "the block's hash is not its " + std::string(verify::mode_name(mode)) +
                             " hash: is the chain's consensus really " + std::string(verify::mode_name(mode)) + "?");
    }
  }
  return std::move(rebuilt.rlp);
}

}  // namespace

core::Result<verify::ChainAnchor> fetch_anchor(net::SyncClient& client, const AnchorsOptions& options) {
  CW_TRY(const auto mode, mode_of(options.mode));
  CW_TRY(const auto gateway, core::fixed_from_hex<core::Address>(options.gateway));
  CW_TRY(const auto chain_id_reply, call(client, "eth_chainId", json::array()));
  CW_TRY(const std::uint64_t chain_id, evm::quantity_u64(chain_id_reply, "eth_chainId"));
  if (chain_id != options.chain_id) {
    return core::Error(ra::kChainIdMismatch, "the node serves chain id " + std::to_string(chain_id) + ", not " +
                                                 std::to_string(options.chain_id));
  }
  CW_TRY(const auto genesis_reply, block(client, "0x0"));
  CW_TRY(const json* genesis_hash, evm::json_member(genesis_reply, "hash", "block 0"));

  verify::ChainAnchor anchor;
  anchor.name = options.name.empty() ? "chain-" + std::to_string(chain_id) : options.name;
  anchor.family = core::ChainFamily::kEvm;
  anchor.chain_id = chain_id;
  CW_TRY(anchor.genesis_hash, evm::data_fixed<core::Hash32>(*genesis_hash, "block 0 hash"));
  anchor.chain_identity = core::chain_identity(core::ChainFamily::kEvm, core::evm_chain_key(chain_id), anchor.genesis_hash);
  anchor.gateway = gateway;
  anchor.limits.max_payload = options.max_payload;
  anchor.consensus.mode = mode;
  anchor.consensus.confirmations = options.confirmations;
  anchor.consensus.clique_epoch = options.clique_epoch;
  anchor.checkpoint_pinned = true;

  CW_TRY(auto target, target_block(client, options));
  CW_TRY(std::uint64_t number, block_number_of(target, "checkpoint block"));
  // Clique lists its signers only in epoch blocks: the checkpoint is the last one at or before.
  if (mode == verify::ConsensusMode::kClique && options.clique_epoch > 0 && number % options.clique_epoch != 0) {
    number -= number % options.clique_epoch;
    CW_TRY(target, block(client, evm::to_quantity(number)));
  }
  CW_TRY(const auto rlp, header_rlp(target, mode));
  CW_TRY(const json* hash, evm::json_member(target, "hash", "checkpoint block"));
  CW_TRY(anchor.consensus.checkpoint.hash, evm::data_fixed<core::Hash32>(*hash, "checkpoint hash"));
  anchor.consensus.checkpoint.number = number;

  // The set the checkpoint's own header names seals the block after it.
  if (const auto engine = verify::bft_engine_of(mode)) {
    CW_TRY(const auto header, verify::decode_evm_header(rlp));
    CW_TRY(const auto extra, verify::decode_bft_extra(*engine, header));
    verify::ValidatorSet set{number + 1, extra.validators};
    std::sort(set.members.begin(), set.members.end());
    anchor.consensus.validator_sets.push_back(std::move(set));
    anchor.consensus.checkpoint_vote = extra.vote;
  } else if (mode == verify::ConsensusMode::kClique) {
    CW_TRY(auto set, verify::clique_checkpoint_signers(rlp));
    set.from_height = number + 1;
    anchor.consensus.validator_sets.push_back(std::move(set));
  }

  CW_TRY(const auto code_reply,
         call(client, "eth_getCode", json::array({core::to_hex(gateway), evm::to_quantity(number)})));
  CW_TRY(const auto code, evm::data_any(code_reply, "eth_getCode"));
  if (code.empty()) {
    return core::Error(ra::kNoGatewayCode, "no contract at " + core::to_hex(gateway) + " on chain " +
                                               std::to_string(chain_id) + " at block " + std::to_string(number));
  }

  // Through the strict reader: what is written is exactly what the verifier will accept.
  verify::TrustAnchors file;
  file.chains.push_back(std::move(anchor));
  CW_TRY(auto checked, verify::trust_anchors_from_json(verify::trust_anchors_to_json(file)));
  return std::move(checked.chains.front());
}

std::string describe_anchor(const verify::ChainAnchor& anchor) {
  const auto& c = anchor.consensus;
  std::string text;
  text += "chain          " + anchor.name + " (chain id " + std::to_string(anchor.chain_id) + ")\n";
  text += "genesis        " + core::to_hex(anchor.genesis_hash) + "\n";
  text += "identity       " + core::to_hex(anchor.chain_identity) + "\n";
  text += "gateway        " + core::to_hex(anchor.gateway) + "\n";
  text += "consensus      " + std::string(verify::mode_name(c.mode));
  if (c.mode == verify::ConsensusMode::kConfirmations) text += ", " + std::to_string(c.confirmations) + " confirmations";
  if (c.mode == verify::ConsensusMode::kClique) text += ", epoch " + std::to_string(c.clique_epoch);
  text += "\ncheckpoint     block " + std::to_string(c.checkpoint.number) + "\n";
  text += "checkpoint hash " + core::to_hex(c.checkpoint.hash) + "\n";
  for (const auto& set : c.validator_sets) {
    text += "validators     " + std::to_string(set.members.size()) + " from block " + std::to_string(set.from_height) + ":\n";
    for (const auto& member : set.members) text += "  " + core::to_checksum_hex(member) + "\n";
  }
  if (c.checkpoint_vote) {
    text += "pending vote   " + std::string(c.checkpoint_vote->add ? "add " : "drop ") +
            core::to_checksum_hex(c.checkpoint_vote->recipient) + "\n";
  }
  return text;
}

namespace {

// The whole file, created 0644 (anchors are public) and never over an existing one.
core::Result<void> write_new_file(const std::string& path, const std::string& text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    if (errno == EEXIST) return core::Error(ra::kOutputExists, path + " exists; a bootstrap never replaces anchors");
    return core::Error(ra::kWriteFailed, path + ": " + std::strerror(errno));
  }
  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n <= 0) {
      const int err = errno;
      ::close(fd);
      ::unlink(path.c_str());
      return core::Error(ra::kWriteFailed, path + ": " + std::strerror(err));
    }
    written += static_cast<std::size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced) return core::Error(ra::kWriteFailed, path + ": fsync failed");
  return core::ok();
}

// The typed line, trimmed, without an optional 0x, compared case-insensitively.
bool confirms(std::string typed, const core::Hash32& hash) {
  const auto not_space = [](unsigned char ch) { return std::isspace(ch) == 0; };
  typed.erase(typed.begin(), std::find_if(typed.begin(), typed.end(), not_space));
  typed.erase(std::find_if(typed.rbegin(), typed.rend(), not_space).base(), typed.end());
  if (typed.starts_with("0x") || typed.starts_with("0X")) typed.erase(0, 2);
  std::transform(typed.begin(), typed.end(), typed.begin(), [](unsigned char ch) { return std::tolower(ch); });
  return typed == core::to_hex(hash, false).substr(0, kConfirmDigits);
}

}  // namespace

void add_anchors_commands(CLI::App& app, AnchorsOptions& options) {
  auto* anchors = app.add_subcommand("anchors", "Create trust anchors from a live chain, confirmed by the operator");
  anchors->require_subcommand(1, 1);
  anchors->footer("Exit codes: 0 written, 1 refused (not confirmed, wrong chain or gateway, existing file), 2 unusable "
                  "input or an unreachable node.");
  auto* bootstrap = anchors->add_subcommand(
      "bootstrap", "Fetch a finalized checkpoint (and validator set) of one EVM chain; write it once confirmed");
  bootstrap->add_option("--rpc", options.rpc, "The chain's node (http, https, ws or wss URL)")->required()->type_name("URL");
  bootstrap->add_option("--chain-id", options.chain_id, "The chain id the node must report")->required();
  bootstrap->add_option("--gateway", options.gateway, "The Causeway gateway's address on the chain (0x and 40 hex)")
      ->required()
      ->type_name("ADDR");
  bootstrap->add_option("--out", options.out, "The trust-anchor file to write; an existing file is never replaced")
      ->required()
      ->type_name("FILE");
  bootstrap->add_option("--mode", options.mode, "The chain's consensus: qbft, ibft2, ibft1, clique or confirmations")
      ->required()
      ->check(CLI::IsMember({"qbft", "ibft2", "ibft1", "clique", "confirmations"}));
  bootstrap->add_option("--name", options.name, "The chain's name in the file (default chain-<id>)");
  bootstrap->add_option("--depth", options.depth,
                        "Take the head minus N blocks instead of the node's finalized block");
  bootstrap->add_option("--confirmations", options.confirmations,
                        "confirmations mode: blocks on top a block needs (required there, at least 1)");
  bootstrap->add_option("--clique-epoch", options.clique_epoch, "clique: the epoch length (default 30000)");
  bootstrap->add_option("--max-payload", options.max_payload, "Largest payload accepted from the chain (default 32768)");
  bootstrap->add_flag("--yes", options.yes,
                      "Write without typing the hash's first 8 hex digits (automation; says loudly that no human "
                      "confirmed the checkpoint)");
  bootstrap->footer(
      "Compare the checkpoint hash with a source independent of this node before confirming: whoever runs the node "
      "decides what the relay will believe about the chain.");
  bootstrap->callback([&options] { options.bootstrap = true; });
}

int run_anchors_command(const AnchorsOptions& options, std::istream& in, std::ostream& out, std::ostream& err) {
  if (!options.bootstrap) {
    err << "causeway anchors: choose bootstrap\n";
    return kExitUnusable;
  }
  auto url = net::parse_url(options.rpc);
  if (!url) {
    err << "causeway anchors bootstrap: --rpc '" << net::redact_url(options.rpc) << "': " << url.error().message() << '\n';
    return kExitUnusable;
  }
  auto client = net::SyncClient::create({net::EndpointConfig{options.rpc}});
  if (!client) {
    err << "causeway anchors bootstrap: " << client.error().message() << '\n';
    return kExitUnusable;
  }
  auto anchor = fetch_anchor(**client, options);
  if (!anchor) {
    const auto reason = anchor.error().reason();
    err << "causeway anchors bootstrap: " << url->label() << ": " << anchor.error().message() << '\n';
    return reason == ra::kChainIdMismatch || reason == ra::kNoGatewayCode ? kExitRefused : kExitUnusable;
  }
  out << "Checkpoint read from " << url->label() << ":\n" << describe_anchor(*anchor);
  const auto& hash = anchor->consensus.checkpoint.hash;
  if (options.yes) {
    out << "WARNING: --yes given: NOTHING WAS CONFIRMED BY A HUMAN. Check checkpoint hash " << core::to_hex(hash)
        << " against a source independent of this node before the relay trusts " << options.out << ".\n";
  } else {
    out << "Compare the checkpoint hash with an independent source, then type its first " << kConfirmDigits
        << " hex digits (after 0x) to write " << options.out << ": " << std::flush;
    std::string typed;
    std::getline(in, typed);
    if (!confirms(typed, hash)) {
      err << "causeway anchors bootstrap: " << ra::kNotConfirmed.name << ": '" << typed << "' is not "
          << core::to_hex(hash, false).substr(0, kConfirmDigits) << "; nothing written\n";
      return kExitRefused;
    }
  }
  verify::TrustAnchors file;
  file.chains.push_back(*anchor);
  if (auto written = write_new_file(options.out, verify::trust_anchors_to_json(file).dump(2) + "\n"); !written) {
    err << "causeway anchors bootstrap: " << written.error().message() << '\n';
    return written.error().reason() == ra::kOutputExists ? kExitRefused : kExitUnusable;
  }
  out << "wrote " << options.out << " (chain " << anchor->name << ", checkpoint " << anchor->consensus.checkpoint.number
      << "); its consensus object also goes into the relay config's chain entry\n";
  return kExitWritten;
}

}  // namespace causeway::app
