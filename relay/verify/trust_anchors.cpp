// Strict reading and writing of trust-anchor files (see trust_anchors.hpp).
#include "relay/verify/trust_anchors.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "relay/core/signature.hpp"
#include "relay/verify/bft.hpp"
#include "relay/verify/json_read.hpp"

namespace causeway::verify {
namespace {

using json_read::bad;
using json_read::field_path;
using json_read::index_path;
using nlohmann::json;

struct ModeName {
  ConsensusMode mode;
  std::string_view name;
};
constexpr ModeName kModes[] = {
    {ConsensusMode::kQbft, "qbft"},       {ConsensusMode::kIbft2, "ibft2"},
    {ConsensusMode::kIbft1, "ibft1"},     {ConsensusMode::kClique, "clique"},
    {ConsensusMode::kConfirmations, "confirmations"}, {ConsensusMode::kTrusted, "trusted"},
};

core::Result<Checkpoint> read_checkpoint(const json& j, const std::string& path) {
  CW_CHECK(json_read::check_object(j, path, {"number", "hash"}));
  Checkpoint out;
  CW_TRY(out.number, json_read::read_decimal(j["number"], field_path(path, "number")));
  CW_TRY(out.hash, json_read::read_fixed<core::Hash32>(j["hash"], field_path(path, "hash")));
  if (out.hash.is_zero()) return core::Error(reason::kBadTrustAnchor, field_path(path, "hash") + ": zero hash");
  return out;
}

core::Result<ValidatorSet> read_set(const json& j, const std::string& path, const TrustAnchorLimits& limits) {
  CW_CHECK(json_read::check_object(j, path, {"from_height", "members"}));
  ValidatorSet set;
  CW_TRY(set.from_height, json_read::read_decimal(j["from_height"], field_path(path, "from_height")));
  const std::string members_path = field_path(path, "members");
  CW_CHECK(json_read::check_array(j["members"], members_path, limits.max_members));
  for (std::size_t i = 0; i < j["members"].size(); ++i) {
    CW_TRY(core::Address member, json_read::read_fixed<core::Address>(j["members"][i], index_path(members_path, i)));
    set.members.push_back(member);
  }
  if (auto valid = validate_set(set); !valid) return std::move(valid).error().with_context(members_path);
  return set;
}

core::Result<void> read_consensus(const json& j, const std::string& path, const TrustAnchorLimits& limits,
                                  ChainAnchor& chain) {
  CW_CHECK(json_read::check_object(j, path, {"mode"},
                                   {"checkpoint", "checkpoint_vote", "validator_sets", "clique_epoch", "confirmations"}));
  const std::string mode_path = field_path(path, "mode");
  CW_TRY(const std::string mode, json_read::read_string(j["mode"], mode_path, 32));
  bool known = false;
  for (const auto& m : kModes) {
    if (m.name == mode) {
      chain.consensus.mode = m.mode;
      known = true;
    }
  }
  if (!known) return bad(mode_path, "unknown mode \"" + mode + "\"");
  const ConsensusMode cm = chain.consensus.mode;

  // Each mode takes exactly the fields it uses: a field another mode reads would be dead config
  // that an operator might believe in.
  auto refuse = [&](std::string_view field, std::string_view why) -> core::Result<void> {
    if (j.contains(std::string(field))) return bad(field_path(path, field), why);
    return core::ok();
  };
  auto require = [&](std::string_view field) -> core::Result<void> {
    if (!j.contains(std::string(field))) {
      return core::Error(json_read::reason::kMissingField, field_path(path, field) + " (mode " + mode + ")");
    }
    return core::ok();
  };
  if (is_signed_mode(cm)) {
    CW_CHECK(require("checkpoint"));
    CW_CHECK(require("validator_sets"));
    CW_CHECK(refuse("confirmations", "only for mode confirmations"));
  } else {
    CW_CHECK(refuse("validator_sets", "a " + mode + " chain has no validators"));
    CW_CHECK(refuse("checkpoint_vote", "only for BFT modes"));
  }
  if (cm == ConsensusMode::kConfirmations) {
    CW_CHECK(require("confirmations"));
  } else {
    CW_CHECK(refuse("confirmations", "only for mode confirmations"));
  }
  if (cm != ConsensusMode::kClique) CW_CHECK(refuse("clique_epoch", "only for mode clique"));
  if (!bft_engine_of(cm)) CW_CHECK(refuse("checkpoint_vote", "only for BFT modes"));

  if (j.contains("checkpoint")) {
    CW_TRY(chain.consensus.checkpoint, read_checkpoint(j["checkpoint"], field_path(path, "checkpoint")));
    chain.checkpoint_pinned = true;
  }
  if (j.contains("checkpoint_vote")) {
    const std::string vote_path = field_path(path, "checkpoint_vote");
    const json& v = j["checkpoint_vote"];
    CW_CHECK(json_read::check_object(v, vote_path, {"recipient", "add"}));
    ValidatorVote vote;
    CW_TRY(vote.recipient, json_read::read_fixed<core::Address>(v["recipient"], field_path(vote_path, "recipient")));
    CW_TRY(vote.add, json_read::read_bool(v["add"], field_path(vote_path, "add")));
    chain.consensus.checkpoint_vote = vote;
  }
  if (j.contains("validator_sets")) {
    const std::string sets_path = field_path(path, "validator_sets");
    CW_CHECK(json_read::check_array(j["validator_sets"], sets_path, limits.max_validator_sets));
    if (j["validator_sets"].empty()) return core::Error(reason::kBadTrustAnchor, sets_path + ": no validator set");
    for (std::size_t i = 0; i < j["validator_sets"].size(); ++i) {
      CW_TRY(ValidatorSet set, read_set(j["validator_sets"][i], index_path(sets_path, i), limits));
      chain.consensus.validator_sets.push_back(std::move(set));
    }
    // Order, and a set in force right after the checkpoint, as the finality layer will need them.
    if (auto initial = initial_set(chain.consensus); !initial) return std::move(initial).error().with_context(sets_path);
  }
  if (j.contains("clique_epoch")) {
    const std::string epoch_path = field_path(path, "clique_epoch");
    CW_TRY(chain.consensus.clique_epoch, json_read::read_decimal(j["clique_epoch"], epoch_path));
    if (chain.consensus.clique_epoch == 0) return bad(epoch_path, "must be at least 1");
  }
  if (j.contains("confirmations")) {
    const std::string conf_path = field_path(path, "confirmations");
    CW_TRY(const std::uint64_t k, json_read::read_uint(j["confirmations"], conf_path, 0xffffffffu));
    if (k == 0) return bad(conf_path, "must be at least 1");
    chain.consensus.confirmations = static_cast<std::uint32_t>(k);
  }
  return core::ok();
}

// FISCO's chainId and groupId: non-empty, of a charset that keeps "<chainId>/<groupId>" unambiguous.
core::Result<std::string> read_fisco_name(const json& j, const std::string& path) {
  CW_TRY(std::string name, json_read::read_string(j, path, 64));
  if (name.empty()) return bad(path, "empty");
  for (const char c : name) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                         c == '.' || c == '-';
    if (!allowed) return bad(path, "only letters, digits, '_', '.' and '-'");
  }
  return name;
}

core::Result<void> read_fisco_consensus(const json& j, const std::string& path, const TrustAnchorLimits& limits,
                                        FiscoAnchor& fisco) {
  CW_CHECK(
      json_read::check_object(j, path, {"mode", "version", "crypto", "checkpoint", "sealers"}, {"layout", "weights"}));
  CW_TRY(const std::uint64_t version, json_read::read_uint(j["version"], field_path(path, "version"), 0xff));
  if (version != 2 && version != 3) {
    return core::Error(reason::kAnchorUnsupportedFiscoVersion,
                       field_path(path, "version") + ": " + std::to_string(version) +
                           " (2.x and 3.x headers are read)");
  }
  fisco.version = static_cast<std::uint32_t>(version);
  // 3.x names its header layout and weighs its sealers; 2.x has neither.
  for (const std::string_view key : {"layout", "weights"}) {
    const bool present = j.contains(std::string(key));
    if (version == 2 && present) {
      return core::Error(json_read::reason::kUnknownField, field_path(path, key) + " (3.x only)");
    }
    if (version == 3 && !present) return core::Error(json_read::reason::kMissingField, field_path(path, key));
  }
  // Raft groups carry no signatures and rPBFT counts another quorum: only PBFT is verified.
  CW_TRY(const std::string mode, json_read::read_string(j["mode"], field_path(path, "mode"), 32));
  if (mode != "pbft") return bad(field_path(path, "mode"), "unknown FISCO mode \"" + mode + "\" (only pbft)");
  if (version == 3) {
    CW_TRY(const std::string layout, json_read::read_string(j["layout"], field_path(path, "layout"), 32));
    if (layout == "v3") {
      fisco.layout = Fisco3Layout::kV3;
    } else if (layout == "rc") {
      fisco.layout = Fisco3Layout::kReleaseCandidate;
    } else {
      return bad(field_path(path, "layout"), "expected \"v3\" (nodes 3.0.0 and later) or \"rc\"");
    }
  }
  CW_TRY(const std::string crypto, json_read::read_string(j["crypto"], field_path(path, "crypto"), 32));
  if (crypto == "ecdsa") {
    fisco.crypto = FiscoCrypto::kEcdsa;
  } else if (crypto == "sm") {
    fisco.crypto = FiscoCrypto::kSm;
  } else {
    return bad(field_path(path, "crypto"), "expected \"ecdsa\" or \"sm\"");
  }
  CW_TRY(fisco.checkpoint, read_checkpoint(j["checkpoint"], field_path(path, "checkpoint")));
  const std::string sealers_path = field_path(path, "sealers");
  CW_CHECK(json_read::check_array(j["sealers"], sealers_path, limits.max_members));
  if (j["sealers"].empty()) return core::Error(reason::kBadTrustAnchor, sealers_path + ": no sealer");
  for (std::size_t i = 0; i < j["sealers"].size(); ++i) {
    const std::string where = index_path(sealers_path, i);
    CW_TRY(core::Bytes id, json_read::read_hex(j["sealers"][i], where, kFiscoNodeIdSize));
    if (id.size() != kFiscoNodeIdSize) return bad(where, "expected a 64-byte node id");
    // One key listed twice would count twice towards the quorum.
    for (const auto& other : fisco.sealers) {
      if (other == id) return core::Error(reason::kBadTrustAnchor, where + ": duplicate sealer");
    }
    fisco.sealers.push_back(std::move(id));
  }
  if (version == 2) return core::ok();
  const std::string weights_path = field_path(path, "weights");
  CW_CHECK(json_read::check_array(j["weights"], weights_path, limits.max_members));
  if (j["weights"].size() != fisco.sealers.size()) {
    return core::Error(reason::kBadTrustAnchor, weights_path + ": " + std::to_string(j["weights"].size()) +
                                                    " weights for " + std::to_string(fisco.sealers.size()) + " sealers");
  }
  for (std::size_t i = 0; i < j["weights"].size(); ++i) {
    // A zero-weight sealer would sign for nothing; 2^32 per sealer keeps any total far from overflow.
    CW_TRY(const std::uint64_t weight, json_read::read_uint(j["weights"][i], index_path(weights_path, i), 0xffffffffu));
    if (weight == 0) return bad(index_path(weights_path, i), "must be at least 1");
    fisco.weights.push_back(weight);
  }
  return core::ok();
}

core::Result<ChainAnchor> read_fisco_chain(const json& j, const std::string& path, const TrustAnchorLimits& limits) {
  CW_CHECK(json_read::check_object(j, path, {"name", "family", "chain_id", "group_id", "genesis_hash",
                                             "chain_identity", "gateway", "consensus", "limits"}));
  ChainAnchor chain;
  chain.family = core::ChainFamily::kFiscoBcos;
  CW_TRY(chain.name, json_read::read_string(j["name"], field_path(path, "name"), 128));
  CW_TRY(chain.fisco.chain_id, read_fisco_name(j["chain_id"], field_path(path, "chain_id")));
  CW_TRY(chain.fisco.group_id, read_fisco_name(j["group_id"], field_path(path, "group_id")));
  CW_TRY(chain.genesis_hash, json_read::read_fixed<core::Hash32>(j["genesis_hash"], field_path(path, "genesis_hash")));
  CW_TRY(chain.chain_identity,
         json_read::read_fixed<core::ChainIdentity>(j["chain_identity"], field_path(path, "chain_identity")));
  CW_TRY(chain.gateway, json_read::read_fixed<core::Address>(j["gateway"], field_path(path, "gateway")));
  if (chain.gateway.is_zero()) return bad(field_path(path, "gateway"), "zero address");
  CW_CHECK(read_fisco_consensus(j["consensus"], field_path(path, "consensus"), limits, chain.fisco));
  const std::string limits_path = field_path(path, "limits");
  CW_CHECK(json_read::check_object(j["limits"], limits_path, {"max_payload"}));
  CW_TRY(chain.limits.max_payload,
         json_read::read_uint(j["limits"]["max_payload"], field_path(limits_path, "max_payload"), limits.max_payload));
  const core::ChainIdentity expected = core::chain_identity(
      core::ChainFamily::kFiscoBcos, core::fisco_chain_key(chain.fisco.chain_id, chain.fisco.group_id),
      chain.genesis_hash);
  if (expected != chain.chain_identity) {
    return core::Error(reason::kAnchorIdentityMismatch,
                       field_path(path, "chain_identity") +
                           ": keccak256(abi.encode(2, keccak256(\"<chain_id>/<group_id>\"), genesis_hash)) is " +
                           core::to_hex(expected));
  }
  return chain;
}

// ---- Hyperledger Fabric (family 3) -------------------------------------------------------------

// Fabric's own name rules (channel: configtx validation; chaincode: the lifecycle's), so that the
// anchors cannot name something no Fabric network could hold.
core::Result<std::string> read_fabric_channel(const json& j, const std::string& path) {
  CW_TRY(std::string name, json_read::read_string(j, path, 249));
  // A loop rather than name[0] && all_of: g++ 12 at -O3 reports a false maybe-uninitialized there.
  bool ok = !name.empty();
  for (std::size_t i = 0; ok && i < name.size(); ++i) {
    const char c = name[i];
    ok = (c >= 'a' && c <= 'z') || (i > 0 && ((c >= '0' && c <= '9') || c == '.' || c == '-'));
  }
  if (!ok) return bad(path, "a channel name is [a-z][a-z0-9.-]*");
  return name;
}

core::Result<std::string> read_chaincode_name(const json& j, const std::string& path) {
  CW_TRY(std::string name, json_read::read_string(j, path, 128));
  bool ok = !name.empty();
  bool after_separator = true;  // no leading, trailing or doubled '-' / '_'
  for (const char c : name) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && (after_separator || (c != '-' && c != '_'))) ok = false;
    after_separator = !alnum;
  }
  if (!ok || after_separator) return bad(path, "a chaincode name is [a-zA-Z0-9]+([-_][a-zA-Z0-9]+)*");
  return name;
}

// An MSP id and a PEM certificate that holds a P-256 key: checked here, so that a typo in the
// anchors is found at load and not as a failed signature on the first bundle.
core::Result<fabric::Identity> read_identity(const json& j, const std::string& path, const TrustAnchorLimits& limits) {
  fabric::Identity out;
  CW_TRY(out.msp_id, json_read::read_string(j["msp_id"], field_path(path, "msp_id"), 128));
  if (out.msp_id.empty()) return bad(field_path(path, "msp_id"), "empty");
  CW_TRY(const std::string pem,
         json_read::read_string(j["certificate"], field_path(path, "certificate"), limits.max_certificate_bytes));
  out.certificate = core::Bytes(pem.begin(), pem.end());
  if (pem.rfind("-----BEGIN CERTIFICATE-----", 0) != 0) return bad(field_path(path, "certificate"), "not a PEM certificate");
  if (auto key = core::P256PublicKey::from_certificate(out.certificate); !key) {
    return core::Error(reason::kBadTrustAnchor, field_path(path, "certificate") + ": " + key.error().message());
  }
  return out;
}

// One certificate pinned twice would count twice towards a policy.
core::Result<void> refuse_duplicate(const std::vector<core::Bytes>& seen, const fabric::Identity& identity,
                                    const std::string& path) {
  CW_TRY(const core::Bytes der, fabric::certificate_der(identity.certificate));
  for (const auto& other : seen) {
    if (other == der) return core::Error(reason::kBadTrustAnchor, path + ": certificate pinned twice");
  }
  return core::ok();
}

core::Result<void> read_fabric_orderers(const json& j, const std::string& path, const TrustAnchorLimits& limits,
                                        fabric::OrdererPolicy& policy) {
  CW_CHECK(json_read::check_object(j, path, {"validation", "members"}));
  const std::string rule_path = field_path(path, "validation");
  CW_TRY(const std::string rule, json_read::read_string(j["validation"], rule_path, 32));
  if (rule == validation_name(fabric::BlockValidation::kAnyWriter)) {
    policy.rule = fabric::BlockValidation::kAnyWriter;
  } else if (rule == validation_name(fabric::BlockValidation::kBftQuorum)) {
    policy.rule = fabric::BlockValidation::kBftQuorum;
  } else {
    return bad(rule_path, "expected \"any_writer\" (Raft) or \"bft_quorum\" (SmartBFT)");
  }
  const bool bft = policy.rule == fabric::BlockValidation::kBftQuorum;
  const std::string members_path = field_path(path, "members");
  CW_CHECK(json_read::check_array(j["members"], members_path, limits.max_members));
  if (j["members"].empty()) return core::Error(reason::kBadTrustAnchor, members_path + ": no orderer");
  std::vector<core::Bytes> seen;
  for (std::size_t i = 0; i < j["members"].size(); ++i) {
    const std::string where = index_path(members_path, i);
    const json& m = j["members"][i];
    // A consenter id names a SmartBFT signer; under Raft it would be read by nothing.
    if (bft) {
      CW_CHECK(json_read::check_object(m, where, {"msp_id", "certificate", "consenter_id"}));
    } else {
      CW_CHECK(json_read::check_object(m, where, {"msp_id", "certificate"}));
    }
    CW_TRY(fabric::Identity identity, read_identity(m, where, limits));
    CW_CHECK(refuse_duplicate(seen, identity, where));
    CW_TRY(core::Bytes der, fabric::certificate_der(identity.certificate));
    seen.push_back(std::move(der));
    if (!bft) {
      policy.writers.push_back(std::move(identity));
      continue;
    }
    CW_TRY(const std::uint64_t id, json_read::read_uint(m["consenter_id"], field_path(where, "consenter_id"), 0xffffffffu));
    for (const auto& other : policy.consenters) {
      if (other.id == id) return core::Error(reason::kBadTrustAnchor, field_path(where, "consenter_id") + ": duplicate");
    }
    policy.consenters.push_back({static_cast<std::uint32_t>(id), std::move(identity)});
  }
  return core::ok();
}

core::Result<void> read_fabric_gateway(const json& j, const std::string& path, const TrustAnchorLimits& limits,
                                       fabric::FabricAnchor& anchor) {
  CW_CHECK(json_read::check_object(j, path, {"chaincode", "endorsement"}));
  CW_TRY(anchor.chaincode, read_chaincode_name(j["chaincode"], field_path(path, "chaincode")));
  const std::string policy_path = field_path(path, "endorsement");
  const json& p = j["endorsement"];
  CW_CHECK(json_read::check_object(p, policy_path, {"required", "endorsers"}));
  const std::string endorsers_path = field_path(policy_path, "endorsers");
  CW_CHECK(json_read::check_array(p["endorsers"], endorsers_path, limits.max_members));
  std::vector<core::Bytes> seen;
  std::vector<std::string> organisations;
  for (std::size_t i = 0; i < p["endorsers"].size(); ++i) {
    const std::string where = index_path(endorsers_path, i);
    CW_CHECK(json_read::check_object(p["endorsers"][i], where, {"msp_id", "certificate"}));
    CW_TRY(fabric::Identity identity, read_identity(p["endorsers"][i], where, limits));
    CW_CHECK(refuse_duplicate(seen, identity, where));
    CW_TRY(core::Bytes der, fabric::certificate_der(identity.certificate));
    seen.push_back(std::move(der));
    if (std::find(organisations.begin(), organisations.end(), identity.msp_id) == organisations.end()) {
      organisations.push_back(identity.msp_id);
    }
    anchor.endorsement.endorsers.push_back(std::move(identity));
  }
  const std::string required_path = field_path(policy_path, "required");
  CW_TRY(const std::uint64_t required, json_read::read_uint(p["required"], required_path, limits.max_members));
  if (required == 0 || required > organisations.size()) {
    return core::Error(reason::kBadTrustAnchor, required_path + ": " + std::to_string(required) + " of the " +
                                                    std::to_string(organisations.size()) +
                                                    " organisations the endorsers belong to");
  }
  anchor.endorsement.required = required;
  return core::ok();
}

core::Result<void> read_fabric_peers(const json& j, const std::string& path, const TrustAnchorLimits& limits,
                                     fabric::FabricAnchor& anchor) {
  CW_CHECK(json_read::check_object(j, path, {"required", "members"}));
  const std::string members_path = field_path(path, "members");
  CW_CHECK(json_read::check_array(j["members"], members_path, limits.max_members));
  std::vector<core::Bytes> seen;
  for (std::size_t i = 0; i < j["members"].size(); ++i) {
    const std::string where = index_path(members_path, i);
    const json& m = j["members"][i];
    CW_CHECK(json_read::check_object(m, where, {"name", "msp_id", "certificate"}));
    fabric::Peer peer;
    CW_TRY(peer.name, json_read::read_string(m["name"], field_path(where, "name"), 256));
    if (peer.name.empty()) return bad(field_path(where, "name"), "empty");
    for (const auto& other : anchor.peers) {
      if (other.name == peer.name) return core::Error(reason::kBadTrustAnchor, field_path(where, "name") + ": duplicate");
    }
    CW_TRY(peer.identity, read_identity(m, where, limits));
    CW_CHECK(refuse_duplicate(seen, peer.identity, where));
    CW_TRY(core::Bytes der, fabric::certificate_der(peer.identity.certificate));
    seen.push_back(std::move(der));
    anchor.peers.push_back(std::move(peer));
  }
  const std::string required_path = field_path(path, "required");
  CW_TRY(const std::uint64_t required, json_read::read_uint(j["required"], required_path, limits.max_members));
  if (required == 0 || required > anchor.peers.size()) {
    return core::Error(reason::kBadTrustAnchor, required_path + ": " + std::to_string(required) + " of " +
                                                    std::to_string(anchor.peers.size()) + " pinned peers");
  }
  anchor.peers_required = required;
  return core::ok();
}

core::Result<ChainAnchor> read_fabric_chain(const json& j, const std::string& path, const TrustAnchorLimits& limits) {
  CW_CHECK(json_read::check_object(j, path, {"name", "family", "channel", "genesis_hash", "chain_identity", "orderers",
                                             "gateway", "peers", "limits"}));
  ChainAnchor chain;
  chain.family = core::ChainFamily::kFabric;
  CW_TRY(chain.name, json_read::read_string(j["name"], field_path(path, "name"), 128));
  CW_TRY(chain.fabric.channel, read_fabric_channel(j["channel"], field_path(path, "channel")));
  CW_TRY(chain.genesis_hash, json_read::read_fixed<core::Hash32>(j["genesis_hash"], field_path(path, "genesis_hash")));
  CW_TRY(chain.chain_identity,
         json_read::read_fixed<core::ChainIdentity>(j["chain_identity"], field_path(path, "chain_identity")));
  CW_CHECK(read_fabric_orderers(j["orderers"], field_path(path, "orderers"), limits, chain.fabric.orderers));
  CW_CHECK(read_fabric_gateway(j["gateway"], field_path(path, "gateway"), limits, chain.fabric));
  CW_CHECK(read_fabric_peers(j["peers"], field_path(path, "peers"), limits, chain.fabric));
  const std::string limits_path = field_path(path, "limits");
  CW_CHECK(json_read::check_object(j["limits"], limits_path, {"max_payload"}));
  CW_TRY(chain.limits.max_payload,
         json_read::read_uint(j["limits"]["max_payload"], field_path(limits_path, "max_payload"), limits.max_payload));
  const core::ChainIdentity expected = core::chain_identity(
      core::ChainFamily::kFabric, core::named_chain_key(chain.fabric.channel), chain.genesis_hash);
  if (expected != chain.chain_identity) {
    return core::Error(reason::kAnchorIdentityMismatch,
                       field_path(path, "chain_identity") +
                           ": keccak256(abi.encode(3, keccak256(channel), genesis_hash)) is " + core::to_hex(expected));
  }
  return chain;
}

core::Result<ChainAnchor> read_chain(const json& j, const std::string& path, const TrustAnchorLimits& limits) {
  // The family decides which fields the entry has, so it is looked at before the strict reading.
  if (j.is_object() && j.contains("family") && j["family"] == "fisco") return read_fisco_chain(j, path, limits);
  if (j.is_object() && j.contains("family") && j["family"] == "fabric") return read_fabric_chain(j, path, limits);
  CW_CHECK(json_read::check_object(
      j, path, {"name", "family", "chain_id", "genesis_hash", "chain_identity", "gateway", "consensus", "limits"},
      {"insecure"}));
  ChainAnchor chain;
  CW_TRY(chain.name, json_read::read_string(j["name"], field_path(path, "name"), 128));
  CW_TRY(const std::string family, json_read::read_string(j["family"], field_path(path, "family"), 32));
  if (family != "evm") return bad(field_path(path, "family"), "unsupported family \"" + family + "\" (evm, fisco or fabric)");
  chain.family = core::ChainFamily::kEvm;
  CW_TRY(chain.chain_id, json_read::read_decimal(j["chain_id"], field_path(path, "chain_id")));
  CW_TRY(chain.genesis_hash, json_read::read_fixed<core::Hash32>(j["genesis_hash"], field_path(path, "genesis_hash")));
  CW_TRY(chain.chain_identity,
         json_read::read_fixed<core::ChainIdentity>(j["chain_identity"], field_path(path, "chain_identity")));
  CW_TRY(chain.gateway, json_read::read_fixed<core::Address>(j["gateway"], field_path(path, "gateway")));
  if (chain.gateway.is_zero()) return bad(field_path(path, "gateway"), "zero address");
  if (j.contains("insecure")) {
    CW_TRY(chain.insecure, json_read::read_bool(j["insecure"], field_path(path, "insecure")));
  }
  CW_CHECK(read_consensus(j["consensus"], field_path(path, "consensus"), limits, chain));
  if (chain.consensus.mode == ConsensusMode::kTrusted && !chain.insecure) {
    return core::Error(reason::kAnchorInsecureRequired, field_path(path, "insecure") + ": mode trusted needs true");
  }
  const std::string limits_path = field_path(path, "limits");
  CW_CHECK(json_read::check_object(j["limits"], limits_path, {"max_payload"}));
  CW_TRY(chain.limits.max_payload,
         json_read::read_uint(j["limits"]["max_payload"], field_path(limits_path, "max_payload"), limits.max_payload));

  // The identity is recomputed, so a typo in any of the three fields cannot pass unnoticed.
  const core::ChainIdentity expected =
      core::chain_identity(core::ChainFamily::kEvm, core::evm_chain_key(chain.chain_id), chain.genesis_hash);
  if (expected != chain.chain_identity) {
    return core::Error(reason::kAnchorIdentityMismatch,
                       field_path(path, "chain_identity") + ": keccak256(abi.encode(1, chain_id, genesis_hash)) is " +
                           core::to_hex(expected));
  }
  return chain;
}

}  // namespace

std::string_view crypto_name(FiscoCrypto crypto) noexcept { return crypto == FiscoCrypto::kSm ? "sm" : "ecdsa"; }
std::string_view layout_name(Fisco3Layout layout) noexcept {
  return layout == Fisco3Layout::kReleaseCandidate ? "rc" : "v3";
}

std::string_view validation_name(fabric::BlockValidation rule) noexcept {
  return rule == fabric::BlockValidation::kBftQuorum ? "bft_quorum" : "any_writer";
}

std::string_view mode_name(ConsensusMode mode) noexcept {
  for (const auto& m : kModes) {
    if (m.mode == mode) return m.name;
  }
  return "unknown";
}

const ChainAnchor* TrustAnchors::find(const core::ChainIdentity& identity) const noexcept {
  for (const auto& chain : chains) {
    if (chain.chain_identity == identity) return &chain;
  }
  return nullptr;
}

core::Result<TrustAnchors> trust_anchors_from_json(const json& j, const TrustAnchorLimits& limits) {
  CW_CHECK(json_read::check_object(j, "", {"version", "chains"}));
  CW_TRY(const std::uint64_t version, json_read::read_uint(j["version"], "version", 0xff));
  if (version != kTrustAnchorsVersion) {
    return core::Error(reason::kAnchorUnsupportedVersion, "version: " + std::to_string(version));
  }
  CW_CHECK(json_read::check_array(j["chains"], "chains", limits.max_chains));
  TrustAnchors out;
  for (std::size_t i = 0; i < j["chains"].size(); ++i) {
    const std::string path = index_path("chains", i);
    CW_TRY(ChainAnchor chain, read_chain(j["chains"][i], path, limits));
    for (const auto& other : out.chains) {
      if (other.name == chain.name || other.chain_identity == chain.chain_identity) {
        return core::Error(reason::kAnchorDuplicateChain, path + ": same name or chain identity as \"" + other.name + "\"");
      }
    }
    out.chains.push_back(std::move(chain));
  }
  return out;
}

core::Result<TrustAnchors> parse_trust_anchors(std::string_view text, const TrustAnchorLimits& limits) {
  CW_TRY(const json parsed, json_read::parse_bounded(text, limits.max_json_bytes, limits.max_depth));
  return trust_anchors_from_json(parsed, limits);
}

namespace {
json fisco_chain_to_json(const ChainAnchor& c) {
  json sealers = json::array();
  for (const auto& id : c.fisco.sealers) sealers.push_back(core::to_hex(id));
  json consensus{{"mode", "pbft"},
                 {"version", c.fisco.version},
                 {"crypto", crypto_name(c.fisco.crypto)},
                 {"checkpoint",
                  {{"number", std::to_string(c.fisco.checkpoint.number)}, {"hash", core::to_hex(c.fisco.checkpoint.hash)}}},
                 {"sealers", std::move(sealers)}};
  if (c.fisco.version == 3) {
    consensus["layout"] = layout_name(c.fisco.layout);
    consensus["weights"] = c.fisco.weights;
  }
  return json{{"name", c.name},
              {"family", "fisco"},
              {"chain_id", c.fisco.chain_id},
              {"group_id", c.fisco.group_id},
              {"genesis_hash", core::to_hex(c.genesis_hash)},
              {"chain_identity", core::to_hex(c.chain_identity)},
              {"gateway", core::to_hex(c.gateway)},
              {"consensus", std::move(consensus)},
              {"limits", {{"max_payload", c.limits.max_payload}}}};
}

json identity_to_json(const fabric::Identity& identity) {
  return json{{"msp_id", identity.msp_id},
              {"certificate", std::string(identity.certificate.begin(), identity.certificate.end())}};
}

json fabric_chain_to_json(const ChainAnchor& c) {
  const fabric::FabricAnchor& f = c.fabric;
  json orderers = json::array();
  for (const auto& w : f.orderers.writers) orderers.push_back(identity_to_json(w));
  for (const auto& consenter : f.orderers.consenters) {
    json member = identity_to_json(consenter.identity);
    member["consenter_id"] = consenter.id;
    orderers.push_back(std::move(member));
  }
  json endorsers = json::array();
  for (const auto& e : f.endorsement.endorsers) endorsers.push_back(identity_to_json(e));
  json peers = json::array();
  for (const auto& p : f.peers) {
    json member = identity_to_json(p.identity);
    member["name"] = p.name;
    peers.push_back(std::move(member));
  }
  return json{{"name", c.name},
              {"family", "fabric"},
              {"channel", f.channel},
              {"genesis_hash", core::to_hex(c.genesis_hash)},
              {"chain_identity", core::to_hex(c.chain_identity)},
              {"orderers", {{"validation", validation_name(f.orderers.rule)}, {"members", std::move(orderers)}}},
              {"gateway",
               {{"chaincode", f.chaincode},
                {"endorsement", {{"required", f.endorsement.required}, {"endorsers", std::move(endorsers)}}}}},
              {"peers", {{"required", f.peers_required}, {"members", std::move(peers)}}},
              {"limits", {{"max_payload", c.limits.max_payload}}}};
}
}  // namespace

json trust_anchors_to_json(const TrustAnchors& anchors) {
  json chains = json::array();
  for (const auto& c : anchors.chains) {
    if (c.family == core::ChainFamily::kFiscoBcos) {
      chains.push_back(fisco_chain_to_json(c));
      continue;
    }
    if (c.family == core::ChainFamily::kFabric) {
      chains.push_back(fabric_chain_to_json(c));
      continue;
    }
    json consensus{{"mode", mode_name(c.consensus.mode)}};
    if (c.checkpoint_pinned) {
      consensus["checkpoint"] = {{"number", std::to_string(c.consensus.checkpoint.number)},
                                 {"hash", core::to_hex(c.consensus.checkpoint.hash)}};
    }
    if (c.consensus.checkpoint_vote) {
      consensus["checkpoint_vote"] = {{"recipient", core::to_hex(c.consensus.checkpoint_vote->recipient)},
                                      {"add", c.consensus.checkpoint_vote->add}};
    }
    if (is_signed_mode(c.consensus.mode)) {
      json sets = json::array();
      for (const auto& set : c.consensus.validator_sets) {
        json members = json::array();
        for (const auto& m : set.members) members.push_back(core::to_hex(m));
        sets.push_back({{"from_height", std::to_string(set.from_height)}, {"members", std::move(members)}});
      }
      consensus["validator_sets"] = std::move(sets);
    }
    if (c.consensus.mode == ConsensusMode::kClique) consensus["clique_epoch"] = std::to_string(c.consensus.clique_epoch);
    if (c.consensus.mode == ConsensusMode::kConfirmations) consensus["confirmations"] = c.consensus.confirmations;
    json entry{{"name", c.name},
               {"family", "evm"},
               {"chain_id", std::to_string(c.chain_id)},
               {"genesis_hash", core::to_hex(c.genesis_hash)},
               {"chain_identity", core::to_hex(c.chain_identity)},
               {"gateway", core::to_hex(c.gateway)},
               {"consensus", std::move(consensus)},
               {"limits", {{"max_payload", c.limits.max_payload}}}};
    if (c.insecure) entry["insecure"] = true;
    chains.push_back(std::move(entry));
  }
  return json{{"version", kTrustAnchorsVersion}, {"chains", std::move(chains)}};
}

}  // namespace causeway::verify
