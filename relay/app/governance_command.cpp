// See governance_command.hpp. Every command runs as one coroutine on a private io_context: read
// the gateway, check locally what the gateway would refuse, then (for the sending commands) one
// transaction through EvmSink and a wait for its receipt with progress on stderr.
#include "relay/app/governance_command.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <exception>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "adapters/evm/gateway_reader.hpp"
#include "adapters/evm/keystore.hpp"
#include "adapters/evm/rpc_json.hpp"
#include "adapters/evm/sink.hpp"
#include "adapters/evm/vote_signer.hpp"
#include "relay/app/config_loader.hpp"
#include "relay/app/relay_command.hpp"  // load_signer
#include "relay/app/verify_command.hpp"  // read_bounded_file
#include "relay/core/abi.hpp"
#include "relay/core/journal.hpp"
#include "relay/core/secp256k1.hpp"
#include "relay/net/client.hpp"
#include "relay/verify/json_read.hpp"

namespace causeway::app {

namespace asio = boost::asio;
namespace json_read = verify::json_read;
namespace rp = reason::proposal;
using asio::awaitable;
using core::Error;
using core::Result;
using nlohmann::json;

namespace {

constexpr int kExitDone = 0;
constexpr int kExitRefused = 1;
constexpr int kExitUnusable = 2;
constexpr int kExitUnreachable = 3;

constexpr std::uint32_t kProposalVersion = 1;
// Gateway.sol MAX_ATTESTERS.
constexpr std::size_t kMaxAttesters = 255;
// A proposal of 255 attesters with 255 signatures is under 60 KiB.
constexpr std::size_t kMaxProposalBytes = 256 * 1024;
constexpr std::size_t kMaxProposalDepth = 8;
constexpr std::size_t kMaxKeyFileBytes = 64 * 1024;
constexpr std::string_view kRotateSignature = "rotate(address[],uint16,uint64,bytes[])";
constexpr std::chrono::seconds kProgressEvery{5};
constexpr std::chrono::milliseconds kReceiptPoll{500};

// No receipt within --timeout: the transaction may still be mined.
constexpr core::Reason kNoReceipt{"governance.no_receipt"};
// The transaction was mined with receipt status 0.
constexpr core::Reason kReverted{"governance.reverted"};

std::string hex(const core::Address& address) { return core::to_hex(address); }

// ---- the journal of one command ----------------------------------------------------------------

// The sink journals every transaction before broadcasting it, so the relay can recover after a
// crash. A command sends one transaction and waits for its receipt itself: after a crash the
// chain's nonce is the only record needed (the next run, or the relay, reads it and continues
// past it), so this journal lives in memory for the length of the command.
class CommandJournal final : public core::SubmissionJournal {
 public:
  Result<void> record_signed_all(std::span<const core::SignedTxRecord> records) override {
    const std::size_t before = records_.size();
    for (const auto& record : records) {
      auto checked = checked_new(record);
      if (!checked) {
        records_.resize(before);  // all or none
        return checked;
      }
      records_.push_back(record);
      records_.back().state = core::SubmissionState::kSigned;
    }
    return core::ok();
  }
  Result<void> mark_broadcast_all(std::span<const core::MarkBroadcastRequest> requests) override {
    for (const auto& request : requests) CW_CHECK(live(request.key, request.tx_hash));  // all or none
    for (const auto& request : requests) {
      (*live(request.key, request.tx_hash))->state = core::SubmissionState::kBroadcast;
    }
    return core::ok();
  }
  Result<void> mark_confirmed_all(std::span<const core::MarkConfirmedRequest> requests) override {
    const auto before = records_;  // all or none: a later request may find an earlier one's sibling replaced
    for (const auto& request : requests) {
      auto record = live(request.key, request.tx_hash);
      if (!record) {
        records_ = before;
        return std::move(record).error();
      }
      for (auto& other : records_) {
        if (other.key == request.key && other.nonce == (*record)->nonce && core::is_live(other.state)) {
          other.state = core::SubmissionState::kReplaced;
        }
      }
      (*record)->state = core::SubmissionState::kConfirmed;
    }
    return core::ok();
  }
  Result<void> mark_dropped(const core::MarkDroppedRequest& request) override {
    CW_TRY(auto* record, live(request.key, request.tx_hash));
    record->state = core::SubmissionState::kDropped;
    return core::ok();
  }
  Result<std::optional<std::uint64_t>> last_nonce(const core::LastNonceRequest& request) override {
    std::optional<std::uint64_t> out;
    for (const auto& r : records_) {
      if (r.key == request.key && (!out || r.nonce > *out)) out = r.nonce;
    }
    return out;
  }
  Result<std::vector<core::SignedTxRecord>> pending(const core::PendingRequest& request) override {
    std::vector<core::SignedTxRecord> out;
    for (const auto& r : records_) {
      if (r.key == request.key && core::is_live(r.state)) out.push_back(r);
    }
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.nonce < b.nonce; });
    return out;
  }
  Result<std::optional<core::SignedTxRecord>> find(const core::FindRequest& request) override {
    if (const auto* r = lookup(request.key, request.tx_hash)) return std::optional<core::SignedTxRecord>(*r);
    return std::optional<core::SignedTxRecord>{};
  }

 private:
  Result<void> checked_new(const core::SignedTxRecord& record) {
    if (lookup(record.key, record.tx_hash) != nullptr) return Error(core::reason::journal::kDuplicateTransaction);
    if (record.replaces) {
      const auto* old = lookup(record.key, *record.replaces);
      if (old == nullptr || old->nonce != record.nonce || !core::is_live(old->state)) {
        return Error(core::reason::journal::kBadReplacement);
      }
    }
    return core::ok();
  }
  core::SignedTxRecord* lookup(const core::NonceKey& key, const core::Hash32& tx_hash) {
    for (auto& r : records_) {
      if (r.key == key && r.tx_hash == tx_hash) return &r;
    }
    return nullptr;
  }
  Result<core::SignedTxRecord*> live(const core::NonceKey& key, const core::Hash32& tx_hash) {
    auto* record = lookup(key, tx_hash);
    if (record == nullptr) return Error(core::reason::journal::kUnknownTransaction);
    if (!core::is_live(record->state)) {
      return Error(core::reason::journal::kBadTransition, std::string(core::to_string(record->state)));
    }
    return record;
  }

  std::vector<core::SignedTxRecord> records_;
};

// ---- proposal checks ----------------------------------------------------------------------------

bool is_member(const GatewayState& gateway, const core::Address& address) {
  return std::find(gateway.attesters.begin(), gateway.attesters.end(), address) != gateway.attesters.end();
}

Result<void> check_epoch(const RotationProposal& proposal, const GatewayState& gateway) {
  if (proposal.rotation.new_epoch.value != gateway.epoch + 1) {
    return Error(rp::kStaleEpoch, "the proposal is for epoch " + std::to_string(proposal.rotation.new_epoch.value) +
                                      ", the gateway is at epoch " + std::to_string(gateway.epoch) + " (next " +
                                      std::to_string(gateway.epoch + 1) + ")");
  }
  return core::ok();
}

Result<ProposalSignature> read_signature(const json& entry, const std::string& path, const core::Hash32& digest) {
  CW_CHECK(json_read::check_object(entry, path, {"signer", "signature"}));
  CW_TRY(const auto signer, json_read::read_fixed<core::Address>(entry["signer"], json_read::field_path(path, "signer")));
  const std::string sig_path = json_read::field_path(path, "signature");
  CW_TRY(const core::Bytes raw, json_read::read_hex(entry["signature"], sig_path, 65));
  if (raw.size() != 65) return json_read::bad(sig_path, "expected 65 bytes");
  ProposalSignature out{signer, {}};
  std::copy(raw.begin(), raw.end(), out.rsv.begin());
  // The gateway's own checks: v 27/28, low s, a non-zero signer.
  auto recovered = core::recover_address(digest, core::ByteView(out.rsv.data(), out.rsv.size()), core::VByte::k27or28);
  if (!recovered) return Error(rp::kBadSignature, path + ": " + recovered.error().message());
  if (*recovered != signer) {
    return Error(rp::kSignerMismatch, path + ": recovers to " + hex(*recovered) + ", not " + hex(signer));
  }
  return out;
}

}  // namespace

// ---- the proposal file --------------------------------------------------------------------------

core::Hash32 proposal_digest(const RotationProposal& proposal) {
  const auto domain = core::causeway_domain(proposal.chain_id, proposal.gateway, proposal.chain_identity);
  return core::vote_digest(core::domain_separator(domain), proposal.rotation);
}

Result<void> check_rotation(const core::RotateVote& rotation) {
  const auto& set = rotation.attesters;
  if (set.size() > kMaxAttesters) return Error(rp::kTooManyAttesters, std::to_string(set.size()) + " attesters");
  if (rotation.threshold == 0 || rotation.threshold > set.size()) {
    return Error(rp::kBadThreshold,
                 "threshold " + std::to_string(rotation.threshold) + " of " + std::to_string(set.size()) + " attesters");
  }
  for (std::size_t i = 0; i < set.size(); ++i) {
    if (set[i].is_zero()) return Error(rp::kZeroAttester, "attester " + std::to_string(i));
    // Addresses compare as the gateway's uint160: big-endian bytes, lexicographically.
    if (i > 0 && !(set[i - 1].bytes < set[i].bytes)) {
      return Error(rp::kAttestersNotSorted, hex(set[i]) + " after " + hex(set[i - 1]));
    }
  }
  return core::ok();
}

json proposal_to_json(const RotationProposal& proposal) {
  json attesters = json::array();
  for (const auto& a : proposal.rotation.attesters) attesters.push_back(hex(a));
  json signatures = json::array();
  for (const auto& s : proposal.signatures) {
    signatures.push_back({{"signer", hex(s.signer)}, {"signature", core::to_hex(core::ByteView(s.rsv.data(), s.rsv.size()))}});
  }
  return {
      {"version", kProposalVersion},
      {"chain_identity", core::to_hex(proposal.chain_identity)},
      {"chain_id", std::to_string(proposal.chain_id)},
      {"gateway", hex(proposal.gateway)},
      {"rotation",
       {{"attesters", std::move(attesters)},
        {"threshold", proposal.rotation.threshold},
        {"new_epoch", std::to_string(proposal.rotation.new_epoch.value)}}},
      {"digest", core::to_hex(proposal_digest(proposal))},
      {"signatures", std::move(signatures)},
  };
}

Result<RotationProposal> proposal_from_text(std::string_view text) {
  CW_TRY(const json document, json_read::parse_bounded(text, kMaxProposalBytes, kMaxProposalDepth));
  CW_CHECK(json_read::check_object(document, "",
                                   {"version", "chain_identity", "chain_id", "gateway", "rotation", "digest", "signatures"}));
  CW_TRY(const auto version, json_read::read_uint(document["version"], "version", 0xffffffff));
  if (version != kProposalVersion) return Error(rp::kUnsupportedVersion, "version " + std::to_string(version));
  RotationProposal p;
  CW_TRY(p.chain_identity, json_read::read_fixed<core::ChainIdentity>(document["chain_identity"], "chain_identity"));
  CW_TRY(p.chain_id, json_read::read_decimal(document["chain_id"], "chain_id"));
  if (p.chain_id == 0) return json_read::bad("chain_id", "is 0");
  CW_TRY(p.gateway, json_read::read_fixed<core::Address>(document["gateway"], "gateway"));
  if (p.gateway.is_zero()) return json_read::bad("gateway", "is the zero address");

  const json& rotation = document["rotation"];
  CW_CHECK(json_read::check_object(rotation, "rotation", {"attesters", "threshold", "new_epoch"}));
  CW_CHECK(json_read::check_array(rotation["attesters"], "rotation.attesters", kMaxAttesters));
  for (std::size_t i = 0; i < rotation["attesters"].size(); ++i) {
    CW_TRY(const auto a, json_read::read_fixed<core::Address>(rotation["attesters"][i],
                                                              json_read::index_path("rotation.attesters", i)));
    p.rotation.attesters.push_back(a);
  }
  CW_TRY(const auto threshold, json_read::read_uint(rotation["threshold"], "rotation.threshold", 0xffff));
  p.rotation.threshold = static_cast<std::uint16_t>(threshold);
  CW_TRY(p.rotation.new_epoch.value, json_read::read_decimal(rotation["new_epoch"], "rotation.new_epoch"));
  // Epoch 1 is the deployment's; a rotation makes 2 or later.
  if (p.rotation.new_epoch.value < 2) return json_read::bad("rotation.new_epoch", "below 2");
  CW_CHECK(check_rotation(p.rotation));

  CW_TRY(const auto stated, json_read::read_fixed<core::Hash32>(document["digest"], "digest"));
  const core::Hash32 digest = proposal_digest(p);
  if (stated != digest) {
    return Error(rp::kDigestMismatch, "states " + core::to_hex(stated) + ", the rotation's is " + core::to_hex(digest));
  }

  CW_CHECK(json_read::check_array(document["signatures"], "signatures", kMaxAttesters));
  for (std::size_t i = 0; i < document["signatures"].size(); ++i) {
    CW_TRY(auto signature, read_signature(document["signatures"][i], json_read::index_path("signatures", i), digest));
    if (!p.signatures.empty() && !(p.signatures.back().signer.bytes < signature.signer.bytes)) {
      return Error(rp::kSignersNotSorted,
                   "signatures[" + std::to_string(i) + "]: " + hex(signature.signer) + " after " +
                       hex(p.signatures.back().signer));
    }
    p.signatures.push_back(signature);
  }
  return p;
}

Result<void> check_signable(const RotationProposal& proposal, const GatewayState& gateway, const core::Address& signer) {
  CW_CHECK(check_epoch(proposal, gateway));
  if (!is_member(gateway, signer)) {
    return Error(rp::kNotAttester, hex(signer) + " is not an attester of epoch " + std::to_string(gateway.epoch));
  }
  for (const auto& s : proposal.signatures) {
    if (s.signer == signer) return Error(rp::kDuplicateSignature, hex(signer) + " has signed already");
  }
  return core::ok();
}

Result<void> check_submittable(const RotationProposal& proposal, const GatewayState& gateway) {
  CW_CHECK(check_epoch(proposal, gateway));
  for (const auto& s : proposal.signatures) {
    if (!is_member(gateway, s.signer)) {
      return Error(rp::kNotAttester, "signer " + hex(s.signer) + " is not an attester of epoch " +
                                         std::to_string(gateway.epoch) + " (the gateway would revert NotMember)");
    }
  }
  if (proposal.signatures.size() < gateway.threshold) {
    return Error(rp::kBelowThreshold, std::to_string(proposal.signatures.size()) + " of " +
                                          std::to_string(gateway.threshold) + " signatures");
  }
  return core::ok();
}

Result<void> add_signature(RotationProposal& proposal, const ProposalSignature& signature) {
  auto recovered = core::recover_address(proposal_digest(proposal),
                                         core::ByteView(signature.rsv.data(), signature.rsv.size()), core::VByte::k27or28);
  if (!recovered) return Error(rp::kBadSignature, recovered.error().message());
  if (*recovered != signature.signer) {
    return Error(rp::kSignerMismatch, "recovers to " + hex(*recovered) + ", not " + hex(signature.signer));
  }
  const auto at = std::lower_bound(proposal.signatures.begin(), proposal.signatures.end(), signature,
                                   [](const auto& a, const auto& b) { return a.signer.bytes < b.signer.bytes; });
  if (at != proposal.signatures.end() && at->signer == signature.signer) {
    return Error(rp::kDuplicateSignature, hex(signature.signer) + " has signed already");
  }
  proposal.signatures.insert(at, signature);
  return core::ok();
}

core::Bytes rotate_calldata(const RotationProposal& proposal) {
  namespace abi = core::abi;
  std::vector<abi::Value> signatures;
  signatures.reserve(proposal.signatures.size());
  for (const auto& s : proposal.signatures) signatures.push_back(abi::bytes(core::ByteView(s.rsv.data(), s.rsv.size())));
  std::vector<abi::Value> params;
  params.push_back(abi::address_array(proposal.rotation.attesters));
  params.push_back(abi::uint(proposal.rotation.threshold));
  params.push_back(abi::uint(proposal.rotation.new_epoch.value));
  params.push_back(abi::array(std::move(signatures)));
  core::Bytes out = evm::function_selector(kRotateSignature);
  core::append(out, abi::encode(params));
  return out;
}

namespace {

// ---- the commands -------------------------------------------------------------------------------

// One command's name and output streams; fail() prints one error line and gives the exit code.
struct Io {
  std::string command;
  std::ostream* out;
  std::ostream* err;
  int fail(int code, const Error& error) const {
    *err << command << ": " << error.message() << '\n';
    return code;
  }
};

// The gateway a command talks to, and the chain's settings when it came from a relay config.
struct Target {
  std::unique_ptr<net::Client> client;
  std::unique_ptr<evm::NetRpc> rpc;
  core::Address gateway;
  std::optional<core::ChainIdentity> identity;  // what the gateway must report, when known
  const engine::ChainSettings* chain = nullptr;
};

// A file written whole or not at all: a proposal is never left half-written.
Result<void> write_file_atomically(const std::filesystem::path& path, const std::string& text) {
  const std::filesystem::path temporary = path.string() + ".tmp";
  {
    std::ofstream file(temporary, std::ios::trunc);
    file << text;
    file.flush();
    if (!file) return Error(reason::kInputUnreadable, "cannot write " + temporary.string());
  }
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec) return Error(reason::kInputUnreadable, "cannot write " + path.string() + ": " + ec.message());
  return core::ok();
}

Result<RotationProposal> read_proposal(const std::string& path) {
  CW_TRY(const std::string text, read_bounded_file(path, kMaxProposalBytes));
  auto proposal = proposal_from_text(text);
  if (!proposal) return std::move(proposal).error().with_context(path);
  return proposal;
}

Result<core::SignerPtr> load_key_file(const GovernanceOptions& options) {
  CW_TRY(const std::string text, read_bounded_file(options.key_file, kMaxKeyFileBytes));
  engine::KeyRef ref;
  // A keystore is a JSON object; anything else is a (development) raw key file.
  if (json::parse(text, nullptr, false).is_object()) {
    ref.keystore = options.key_file;
    ref.password_file = options.password_file;
    ref.password_env = options.password_env;
  } else {
    ref.raw_file = options.key_file;
  }
  return load_signer(ref, "--key");
}

// The chain of a relay config: by name, or (for a proposal) by identity.
Result<const engine::ChainSettings*> config_chain(const engine::Config& config, const GovernanceOptions& options,
                                                  const RotationProposal* proposal) {
  if (proposal == nullptr) {
    const auto* chain = config.chain(options.chain);
    if (chain == nullptr) return Error(reason::kUsage, "the config has no chain named '" + options.chain + "'");
    return chain;
  }
  for (const auto& c : config.chains) {
    if (c.chain_identity != proposal->chain_identity) continue;
    if (c.gateway != proposal->gateway || c.chain_id != proposal->chain_id) {
      return Error(rp::kWrongChain, "the config's chain " + c.name + " has gateway " + hex(c.gateway) +
                                        " and chain id " + std::to_string(c.chain_id) + "; the proposal names " +
                                        hex(proposal->gateway) + " and " + std::to_string(proposal->chain_id));
    }
    return &c;
  }
  return Error(rp::kWrongChain, "the config has no chain with identity " + core::to_hex(proposal->chain_identity));
}

Result<Target> open_target(asio::any_io_executor executor, const GovernanceOptions& options,
                           const engine::Config* config, const RotationProposal* proposal) {
  Target target;
  std::vector<net::EndpointConfig> endpoints;
  net::ClientOptions client_options;
  if (config != nullptr) {
    CW_TRY(target.chain, config_chain(*config, options, proposal));
    for (const auto& e : target.chain->endpoints) {
      endpoints.emplace_back(e.url, e.priority, net::TlsOptions{e.ca_file, e.insecure_skip_tls_verify});
    }
    client_options.request_timeout = target.chain->request_timeout;
    target.gateway = target.chain->gateway;
    target.identity = target.chain->chain_identity;
  } else {
    if (options.rpc.empty() || options.gateway.empty()) {
      return Error(reason::kUsage, "give --config FILE --chain NAME, or --rpc URL --gateway ADDRESS");
    }
    endpoints.emplace_back(options.rpc);
    CW_TRY(target.gateway, core::parse_checksummed_address(options.gateway));
    if (!options.chain_identity.empty()) {
      CW_TRY(target.identity, core::fixed_from_hex<core::ChainIdentity>(options.chain_identity));
    }
  }
  CW_TRY(target.client, net::Client::create(executor, std::move(endpoints), client_options));
  target.rpc = std::make_unique<evm::NetRpc>(*target.client);
  return target;
}

// The gateway's attester state; kWrongChain when it is not the gateway of the expected identity.
awaitable<Result<GatewayState>> read_state(Target* target) {
  evm::GatewayReader reader(*target->rpc, target->gateway);
  if (target->identity) {
    CW_CO_TRY(const auto identity, co_await reader.chain_identity());
    if (identity != *target->identity) {
      co_return Error(rp::kWrongChain, "the gateway at " + hex(target->gateway) + " has chain identity " +
                                           core::to_hex(identity) + ", expected " + core::to_hex(*target->identity));
    }
  }
  GatewayState state;
  CW_CO_TRY(state.epoch, co_await reader.epoch());
  CW_CO_TRY(state.threshold, co_await reader.threshold());
  CW_CO_TRY(state.attesters, co_await reader.attesters());
  co_return state;
}

int read_failure(const Io& io, const Error& error) {
  return io.fail(error.reason() == rp::kWrongChain ? kExitRefused : kExitUnreachable, error);
}

// A refusal by the gateway (its estimate reverts) or the node (the transaction is invalid) is 1;
// not reaching the node, or its unusable answers, 3.
int submit_failure(const Io& io, const Error& error) {
  namespace rs = evm::reason::sink;
  const bool refused = error.reason() == rs::kEstimateReverted || error.reason() == rs::kBroadcastRejected ||
                       error.reason() == rs::kFeeCapReached || error.reason() == rs::kWrongChainId;
  return io.fail(refused ? kExitRefused : kExitUnreachable, error);
}

// Sends `calldata` to the gateway with `gas_key` and waits for its receipt, printing progress.
awaitable<Result<evm::Confirmation>> send_and_wait(Target* target, evm::SinkConfig config, core::Bytes calldata,
                                                   std::string tag, std::chrono::seconds timeout, const Io* io) {
  CommandJournal journal;
  config.journal = &journal;
  CW_CO_TRY(auto sink, co_await evm::EvmSink::create(*target->rpc, std::move(config)));
  CW_CO_TRY(auto handle, co_await sink->submit_call(std::move(calldata), std::move(tag)));
  *io->err << io->command << ": sent " << core::to_hex(handle.tx_hash) << " (nonce " << handle.nonce
           << "), waiting for its receipt\n";
  asio::steady_timer timer(co_await asio::this_coro::executor);
  const auto start = std::chrono::steady_clock::now();
  auto next_note = start + kProgressEvery;
  for (;;) {
    if (!handle.broadcast) {
      // The node was unreachable when it was sent: the same bytes go again.
      CW_CO_TRY(const std::size_t accepted, co_await sink->resend());
      handle.broadcast = accepted > 0;
    }
    CW_CO_TRY(auto confirmation, co_await sink->confirm(handle));
    if (confirmation.state != evm::Confirmation::State::kPending) co_return confirmation;
    const auto now = std::chrono::steady_clock::now();
    if (now - start >= timeout) {
      co_return Error(kNoReceipt, core::to_hex(handle.tx_hash) + " after " + std::to_string(timeout.count()) +
                                      " s; it may still be mined");
    }
    if (now >= next_note) {
      const auto waited = std::chrono::duration_cast<std::chrono::seconds>(now - start).count();
      *io->err << io->command << ": still waiting for the receipt (" << waited << " s)\n";
      next_note += kProgressEvery;
    }
    timer.expires_after(kReceiptPoll);
    co_await timer.async_wait(asio::use_awaitable);
  }
}

evm::SinkConfig sink_config(std::uint64_t chain_id, const core::Address& gateway, core::SignerPtr gas_key,
                            const engine::ChainSettings* chain) {
  evm::SinkConfig c;
  c.chain_id = chain_id;
  c.gateway = gateway;
  c.gas_key = std::move(gas_key);
  if (chain != nullptr) {
    // As the relay itself writes to this chain (engine.cpp).
    c.gas.cap = chain->gas_cap;
    c.fees.max_fee_cap = chain->fees.max_fee_cap;
    c.fees.min_priority_fee = chain->fees.min_priority_fee;
    c.fees.max_priority_fee = chain->fees.max_priority_fee;
    c.fees.bump_percent = chain->fees.bump_percent;
    c.fee_mode = chain->fees.mode == "legacy"    ? evm::FeeMode::kLegacy
                 : chain->fees.mode == "eip1559" ? evm::FeeMode::kEip1559
                                                 : evm::FeeMode::kDetect;
  }
  return c;
}

// The relay config a command names, or an error line and exit 2.
Result<engine::Config> load_config(const GovernanceOptions& options) {
  if (options.config_path.empty()) return Error(reason::kUsage, "--config FILE is needed");
  auto config = load_config_file(options.config_path);
  if (!config) return std::move(config).error().with_context(options.config_path);
  return config;
}

void print_status(const Io& io, const GovernanceOptions& options, const core::Address& gateway,
                  const core::ChainIdentity& identity, const GatewayState& state, bool paused,
                  const core::Address& guardian) {
  if (options.json) {
    json attesters = json::array();
    for (const auto& a : state.attesters) attesters.push_back(core::to_checksum_hex(a));
    const json answer = {{"gateway", core::to_checksum_hex(gateway)},  {"chain_identity", core::to_hex(identity)},
                         {"epoch", state.epoch},                        {"threshold", state.threshold},
                         {"attesters", std::move(attesters)},           {"paused", paused},
                         {"guardian", core::to_checksum_hex(guardian)}};
    *io.out << answer.dump() << '\n';
    return;
  }
  *io.out << "gateway         " << core::to_checksum_hex(gateway) << '\n'
          << "chain identity  " << core::to_hex(identity) << '\n'
          << "epoch           " << state.epoch << '\n'
          << "threshold       " << state.threshold << " of " << state.attesters.size() << '\n';
  for (std::size_t i = 0; i < state.attesters.size(); ++i) {
    *io.out << (i == 0 ? "attesters       " : "                ") << core::to_checksum_hex(state.attesters[i]) << '\n';
  }
  *io.out << "paused          " << (paused ? "yes" : "no") << '\n'
          << "guardian        " << core::to_checksum_hex(guardian) << '\n';
}

awaitable<int> run_status(GovernanceOptions options, Io io) {
  std::optional<engine::Config> config;
  if (!options.config_path.empty()) {
    auto loaded = load_config(options);
    if (!loaded) co_return io.fail(kExitUnusable, loaded.error());
    config.emplace(std::move(loaded).value());
  }
  auto target = open_target(co_await asio::this_coro::executor, options, config ? &*config : nullptr, nullptr);
  if (!target) co_return io.fail(kExitUnusable, target.error());
  auto state = co_await read_state(&*target);
  if (!state) co_return read_failure(io, state.error());
  evm::GatewayReader reader(*target->rpc, target->gateway);
  auto identity = co_await reader.chain_identity();
  if (!identity) co_return io.fail(kExitUnreachable, identity.error());
  auto paused = co_await reader.paused();
  if (!paused) co_return io.fail(kExitUnreachable, paused.error());
  auto guardian = co_await reader.guardian();
  if (!guardian) co_return io.fail(kExitUnreachable, guardian.error());
  print_status(io, options, target->gateway, *identity, *state, *paused, *guardian);
  co_return kExitDone;
}

// The relay's vote signer (refusing a vote key that is also this chain's gas key) and gas key.
struct RelayKeys {
  evm::VoteSigner signer;
  core::SignerPtr gas;
};

Result<RelayKeys> relay_keys(const engine::Config& config, const engine::ChainSettings& chain) {
  CW_TRY(auto vote, load_signer(config.relay.vote_key, "relay.vote_key"));
  CW_TRY(auto gas, load_signer(chain.gas_key, "chain " + chain.name + " gas_key"));
  CW_TRY(auto signer, evm::VoteSigner::create(std::move(vote), gas->address()));
  return RelayKeys{std::move(signer), std::move(gas)};
}

// Signs `proposal` with the relay's vote key; the signer's own digest must be the proposal's.
Result<void> sign_into(RotationProposal& proposal, const evm::VoteSigner& signer) {
  const auto domain = core::causeway_domain(proposal.chain_id, proposal.gateway, proposal.chain_identity);
  CW_TRY(const auto vote, signer.sign(domain, proposal.rotation));
  return add_signature(proposal, ProposalSignature{vote.signer, vote.rsv});
}

void print_tally(const Io& io, const RotationProposal& proposal, const GatewayState& state) {
  *io.out << "epoch " << proposal.rotation.new_epoch.value << ": " << proposal.signatures.size() << " of "
          << state.threshold << " signatures\n";
}

// Sends rotate(...) once the proposal qualifies; prints the gateway's new epoch.
awaitable<int> submit_proposal(Io io, Target* target, RotationProposal proposal, GatewayState state,
                               core::SignerPtr gas, std::chrono::seconds timeout) {
  if (auto ready = check_submittable(proposal, state); !ready) co_return io.fail(kExitRefused, ready.error());
  auto config = sink_config(proposal.chain_id, proposal.gateway, std::move(gas), target->chain);
  const std::string tag = "rotate:" + std::to_string(proposal.rotation.new_epoch.value);
  auto receipt = co_await send_and_wait(target, std::move(config), rotate_calldata(proposal), tag, timeout, &io);
  if (!receipt) {
    co_return receipt.error().reason() == kNoReceipt ? io.fail(kExitUnreachable, receipt.error())
                                                     : submit_failure(io, receipt.error());
  }
  if (receipt->state == evm::Confirmation::State::kReverted) {
    co_return io.fail(kExitRefused, Error(kReverted, "rotate in " + core::to_hex(receipt->tx_hash)));
  }
  evm::GatewayReader reader(*target->rpc, target->gateway);
  auto epoch = co_await reader.epoch();
  if (!epoch) co_return io.fail(kExitUnreachable, epoch.error());
  if (*epoch != proposal.rotation.new_epoch.value) {
    // rotate() only records votes below the threshold; the check above makes that a surprise.
    co_return io.fail(kExitRefused, Error(rp::kBelowThreshold, "the gateway recorded the votes but is still at epoch " +
                                                                   std::to_string(*epoch)));
  }
  *io.out << "rotated in block " << receipt->block_number << " (" << core::to_hex(receipt->tx_hash)
          << "): epoch " << *epoch << ", threshold " << proposal.rotation.threshold << " of "
          << proposal.rotation.attesters.size() << '\n';
  co_return kExitDone;
}

Result<RotationProposal> new_proposal(const GovernanceOptions& options, const engine::ChainSettings& chain) {
  RotationProposal p;
  p.chain_identity = chain.chain_identity;
  p.chain_id = chain.chain_id;
  p.gateway = chain.gateway;
  std::stringstream list(options.attesters);
  std::string item;
  while (std::getline(list, item, ',')) {
    auto address = core::parse_checksummed_address(item);
    if (!address) return std::move(address).error().with_context("--attesters " + item);
    p.rotation.attesters.push_back(*address);
  }
  if (options.threshold > 0xffff) return Error(rp::kBadThreshold, "--threshold " + std::to_string(options.threshold));
  p.rotation.threshold = static_cast<std::uint16_t>(options.threshold);
  // The gateway wants them strictly increasing; a duplicate stays and is refused as such.
  std::sort(p.rotation.attesters.begin(), p.rotation.attesters.end(),
            [](const auto& a, const auto& b) { return a.bytes < b.bytes; });
  CW_CHECK(check_rotation(p.rotation));
  return p;
}

awaitable<int> run_propose(GovernanceOptions options, Io io) {
  auto config = load_config(options);
  if (!config) co_return io.fail(kExitUnusable, config.error());
  const auto* chain = config->chain(options.chain);
  if (chain == nullptr) co_return io.fail(kExitUnusable, Error(reason::kUsage, "no chain named '" + options.chain + "'"));
  auto proposal = new_proposal(options, *chain);
  if (!proposal) co_return io.fail(kExitUnusable, proposal.error());
  if (std::filesystem::exists(options.out)) {
    co_return io.fail(kExitUnusable, Error(reason::kUsage, options.out + " exists; a proposal is never overwritten"));
  }
  auto keys = relay_keys(*config, *chain);
  if (!keys) co_return io.fail(kExitUnusable, keys.error());
  auto target = open_target(co_await asio::this_coro::executor, options, &*config, nullptr);
  if (!target) co_return io.fail(kExitUnusable, target.error());
  auto state = co_await read_state(&*target);
  if (!state) co_return read_failure(io, state.error());
  proposal->rotation.new_epoch.value = state->epoch + 1;
  if (auto signable = check_signable(*proposal, *state, keys->signer.address()); !signable) {
    co_return io.fail(kExitRefused, signable.error());
  }
  if (auto signed_in = sign_into(*proposal, keys->signer); !signed_in) co_return io.fail(kExitUnusable, signed_in.error());
  if (auto written = write_file_atomically(options.out, proposal_to_json(*proposal).dump(2) + "\n"); !written) {
    co_return io.fail(kExitUnusable, written.error());
  }
  *io.out << "proposed in " << options.out << " by " << core::to_checksum_hex(keys->signer.address()) << ", ";
  print_tally(io, *proposal, *state);
  co_return kExitDone;
}

awaitable<int> run_approve(GovernanceOptions options, Io io) {
  auto config = load_config(options);
  if (!config) co_return io.fail(kExitUnusable, config.error());
  auto proposal = read_proposal(options.proposal);
  if (!proposal) co_return io.fail(kExitUnusable, proposal.error());
  auto target = open_target(co_await asio::this_coro::executor, options, &*config, &*proposal);
  if (!target) {
    co_return io.fail(target.error().reason() == rp::kWrongChain ? kExitRefused : kExitUnusable, target.error());
  }
  auto keys = relay_keys(*config, *target->chain);
  if (!keys) co_return io.fail(kExitUnusable, keys.error());
  auto state = co_await read_state(&*target);
  if (!state) co_return read_failure(io, state.error());
  if (auto signable = check_signable(*proposal, *state, keys->signer.address()); !signable) {
    co_return io.fail(kExitRefused, signable.error());
  }
  if (auto signed_in = sign_into(*proposal, keys->signer); !signed_in) co_return io.fail(kExitUnusable, signed_in.error());
  if (auto written = write_file_atomically(options.proposal, proposal_to_json(*proposal).dump(2) + "\n"); !written) {
    co_return io.fail(kExitUnusable, written.error());
  }
  *io.out << "approved by " << core::to_checksum_hex(keys->signer.address()) << ", ";
  print_tally(io, *proposal, *state);
  if (!options.submit) co_return kExitDone;
  if (proposal->signatures.size() < state->threshold) {
    *io.out << "not submitted: below the threshold\n";
    co_return kExitDone;
  }
  co_return co_await submit_proposal(std::move(io), &*target, std::move(*proposal), std::move(*state), std::move(keys->gas),
                                     std::chrono::seconds(options.timeout_seconds));
}

awaitable<int> run_submit(GovernanceOptions options, Io io) {
  auto config = load_config(options);
  if (!config) co_return io.fail(kExitUnusable, config.error());
  auto proposal = read_proposal(options.proposal);
  if (!proposal) co_return io.fail(kExitUnusable, proposal.error());
  auto target = open_target(co_await asio::this_coro::executor, options, &*config, &*proposal);
  if (!target) {
    co_return io.fail(target.error().reason() == rp::kWrongChain ? kExitRefused : kExitUnusable, target.error());
  }
  auto gas = load_signer(target->chain->gas_key, "chain " + target->chain->name + " gas_key");
  if (!gas) co_return io.fail(kExitUnusable, gas.error());
  auto state = co_await read_state(&*target);
  if (!state) co_return read_failure(io, state.error());
  co_return co_await submit_proposal(std::move(io), &*target, std::move(*proposal), std::move(*state), std::move(*gas),
                                     std::chrono::seconds(options.timeout_seconds));
}

awaitable<int> run_guardian(GovernanceOptions options, Io io) {
  const bool pause = options.action == GovernanceAction::kPause;
  std::optional<engine::Config> config;
  if (!options.config_path.empty()) {
    auto loaded = load_config(options);
    if (!loaded) co_return io.fail(kExitUnusable, loaded.error());
    config.emplace(std::move(loaded).value());
  }
  auto key = load_key_file(options);
  if (!key) co_return io.fail(kExitUnusable, key.error());
  auto target = open_target(co_await asio::this_coro::executor, options, config ? &*config : nullptr, nullptr);
  if (!target) co_return io.fail(kExitUnusable, target.error());
  evm::GatewayReader reader(*target->rpc, target->gateway);
  auto guardian = co_await reader.guardian();
  if (!guardian) co_return io.fail(kExitUnreachable, guardian.error());
  const core::Address sender = (*key)->address();
  if (sender != *guardian) {
    co_return io.fail(kExitRefused, Error(reason::guardian::kNotGuardian, core::to_checksum_hex(sender) +
                                                                              " is not the guardian " +
                                                                              core::to_checksum_hex(*guardian)));
  }
  auto chain_id_reply = co_await target->rpc->call("eth_chainId", json::array());
  if (!chain_id_reply) co_return io.fail(kExitUnreachable, chain_id_reply.error());
  auto chain_id = evm::quantity_u64(*chain_id_reply, "eth_chainId");
  if (!chain_id) co_return io.fail(kExitUnreachable, chain_id.error());

  auto config_for_sink = sink_config(*chain_id, target->gateway, std::move(*key), target->chain);
  auto receipt = co_await send_and_wait(&*target, std::move(config_for_sink),
                                        evm::function_selector(pause ? "pause()" : "unpause()"),
                                        pause ? "pause" : "unpause", std::chrono::seconds(options.timeout_seconds), &io);
  if (!receipt) {
    co_return receipt.error().reason() == kNoReceipt ? io.fail(kExitUnreachable, receipt.error())
                                                     : submit_failure(io, receipt.error());
  }
  const bool succeeded = receipt->state == evm::Confirmation::State::kDelivered;
  *io.out << (pause ? "pause" : "unpause") << " in block " << receipt->block_number << " ("
          << core::to_hex(receipt->tx_hash) << "): receipt status " << (succeeded ? "1 (success)" : "0 (reverted)")
          << '\n';
  if (!succeeded) co_return io.fail(kExitRefused, Error(kReverted, core::to_hex(receipt->tx_hash)));
  auto paused = co_await reader.paused();
  if (!paused) co_return io.fail(kExitUnreachable, paused.error());
  *io.out << "paused          " << (*paused ? "yes" : "no") << '\n';
  co_return kExitDone;
}

awaitable<int> dispatch(GovernanceOptions options, Io io) {
  switch (options.action) {
    case GovernanceAction::kAttestersStatus:
    case GovernanceAction::kGuardianStatus: co_return co_await run_status(std::move(options), std::move(io));
    case GovernanceAction::kPropose: co_return co_await run_propose(std::move(options), std::move(io));
    case GovernanceAction::kApprove: co_return co_await run_approve(std::move(options), std::move(io));
    case GovernanceAction::kSubmit: co_return co_await run_submit(std::move(options), std::move(io));
    case GovernanceAction::kPause:
    case GovernanceAction::kUnpause: co_return co_await run_guardian(std::move(options), std::move(io));
    case GovernanceAction::kNone: break;
  }
  co_return io.fail(kExitUnusable, Error(reason::kUsage, "choose a command"));
}

std::string command_name(GovernanceAction action) {
  switch (action) {
    case GovernanceAction::kAttestersStatus: return "causeway attesters status";
    case GovernanceAction::kPropose: return "causeway attesters propose";
    case GovernanceAction::kApprove: return "causeway attesters approve";
    case GovernanceAction::kSubmit: return "causeway attesters submit";
    case GovernanceAction::kGuardianStatus: return "causeway guardian status";
    case GovernanceAction::kPause: return "causeway guardian pause";
    case GovernanceAction::kUnpause: return "causeway guardian unpause";
    case GovernanceAction::kNone: break;
  }
  return "causeway";
}

constexpr const char* kExitFooter =
    "Exit codes: 0 done; 1 refused (stale epoch, not an attester, a duplicate signature, below the threshold, not "
    "the guardian, another chain's proposal) or the transaction reverted; 2 unusable input (options, config, key or "
    "proposal file); 3 the node could not be reached or answered unusably, or no receipt within --timeout.";

void add_target_options(CLI::App& command, GovernanceOptions& options) {
  command.add_option("--config,-c", options.config_path, "A relay config (YAML or JSON)")->type_name("FILE");
  command.add_option("--chain", options.chain, "The config's chain whose gateway to use")->type_name("NAME");
  command.add_option("--rpc", options.rpc, "A node's JSON-RPC URL (instead of --config)")->type_name("URL");
  command.add_option("--gateway", options.gateway, "The gateway's address (with --rpc)")->type_name("ADDRESS");
}

void add_timeout_option(CLI::App& command, GovernanceOptions& options) {
  command.add_option("--timeout", options.timeout_seconds, "Seconds to wait for the receipt (default 120)")
      ->type_name("SECONDS")
      ->check(CLI::Range(1u, 3600u));
}

}  // namespace

void add_governance_commands(CLI::App& app, GovernanceOptions& options) {
  auto* attesters = app.add_subcommand("attesters", "Show the attester set; propose, approve and submit a rotation");
  attesters->require_subcommand(1, 1);
  attesters->footer(kExitFooter);

  auto* status = attesters->add_subcommand("status", "Epoch, threshold, attesters, pause flag and guardian of a gateway");
  add_target_options(*status, options);
  status->add_option("--chain-identity", options.chain_identity, "Refuse a gateway of another chain identity (with --rpc)")
      ->type_name("HEX");
  status->add_flag("--json", options.json, "One JSON object");
  status->callback([&options] { options.action = GovernanceAction::kAttestersStatus; });

  auto* propose = attesters->add_subcommand(
      "propose", "Start a rotation to a new set: sign Rotate(set, threshold, epoch + 1) with this relay's vote key");
  propose->add_option("--config,-c", options.config_path, "This relay's config (its vote key signs)")
      ->required()
      ->type_name("FILE");
  propose->add_option("--chain", options.chain, "The chain whose gateway rotates")->required()->type_name("NAME");
  propose->add_option("--attesters", options.attesters, "The new set, comma-separated addresses in any order")
      ->required()
      ->type_name("A,B,...");
  propose->add_option("--threshold", options.threshold, "Votes the new set needs")->required()->type_name("N");
  propose->add_option("--out", options.out, "The proposal file to write; never over an existing file")
      ->required()
      ->type_name("FILE");
  propose->footer("The proposal file holds the rotation and signatures only; pass it to the other attesters.");
  propose->callback([&options] { options.action = GovernanceAction::kPropose; });

  auto* approve = attesters->add_subcommand("approve", "Add this relay's signature to a proposal file (in place)");
  approve->add_option("proposal", options.proposal, "The proposal file")->required()->type_name("FILE");
  approve->add_option("--config,-c", options.config_path, "This relay's config (its vote key signs)")
      ->required()
      ->type_name("FILE");
  approve->add_flag("--submit", options.submit, "Submit too once the signatures reach the gateway's threshold");
  add_timeout_option(*approve, options);
  approve->callback([&options] { options.action = GovernanceAction::kApprove; });

  auto* submit = attesters->add_subcommand(
      "submit", "Send rotate(...) with the chain's gas key once the signatures reach the threshold; print the new epoch");
  submit->add_option("proposal", options.proposal, "The proposal file")->required()->type_name("FILE");
  submit->add_option("--config,-c", options.config_path, "A relay config (its gas key for the chain pays)")
      ->required()
      ->type_name("FILE");
  add_timeout_option(*submit, options);
  submit->callback([&options] { options.action = GovernanceAction::kSubmit; });

  auto* guardian = app.add_subcommand("guardian", "Pause or unpause a gateway with its guardian key");
  guardian->require_subcommand(1, 1);
  guardian->footer(kExitFooter);
  auto* guardian_status = guardian->add_subcommand("status", "Whether the gateway is paused, and its guardian");
  add_target_options(*guardian_status, options);
  guardian_status->add_flag("--json", options.json, "One JSON object");
  guardian_status->callback([&options] { options.action = GovernanceAction::kGuardianStatus; });
  for (const bool pause : {true, false}) {
    auto* command = guardian->add_subcommand(pause ? "pause" : "unpause",
                                             pause ? "Stop send, deliver, execute, skip and acknowledge"
                                                   : "Let messages flow again");
    add_target_options(*command, options);
    command->add_option("--key", options.key_file, "The guardian's V3 keystore, or a 0600 raw key file (development)")
        ->required()
        ->type_name("FILE");
    command->add_option("--password-file", options.password_file, "A file whose first line is the keystore password")
        ->type_name("FILE");
    command->add_option("--password-env", options.password_env, "An environment variable holding it")->type_name("VAR");
    add_timeout_option(*command, options);
    command->callback([&options, pause] { options.action = pause ? GovernanceAction::kPause : GovernanceAction::kUnpause; });
  }
}

int run_governance_command(const GovernanceOptions& options, std::ostream& out, std::ostream& err) {
  Io io{command_name(options.action), &out, &err};
  asio::io_context context(1);
  std::optional<int> code;
  asio::co_spawn(context, dispatch(options, io), [&code](std::exception_ptr failure, int result) {
    if (failure) std::rethrow_exception(failure);
    code = result;
  });
  context.run();
  return code.value_or(kExitUnreachable);
}

}  // namespace causeway::app
