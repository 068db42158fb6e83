// The verdict tree over one bundle (see verify.hpp). Every check runs on what the verifier
// recomputed itself; bundle fields that restate a result (block hash, claim, message) are only
// compared with it.
#include "relay/verify/verify.hpp"

#include <functional>
#include <span>

#include <nlohmann/json.hpp>

#include "relay/verify/bft.hpp"
#include "relay/verify/evm_finality.hpp"
#include "relay/verify/fabric_bundle.hpp"
#include "relay/verify/fisco_receipt.hpp"
#include "relay/verify/fisco_seal.hpp"

namespace causeway::verify {
namespace {

Check ok_check(std::string_view name, std::string detail) {
  return Check{std::string(name), CheckStatus::kOk, core::Reason{""}, std::move(detail), {}};
}
Check failed_check(std::string_view name, const core::Error& error) {
  return Check{std::string(name), CheckStatus::kFailed, error.reason(), error.detail(), {}};
}
Check skipped_check(std::string_view name, std::string why) {
  return Check{std::string(name), CheckStatus::kSkipped, core::Reason{""}, std::move(why), {}};
}

// The block hash by the chain's rule: filtered for BFT (PROOF_FORMATS A.6), keccak of the RLP else.
core::Result<core::Hash32> block_hash_of(ConsensusMode mode, core::ByteView rlp) {
  if (auto engine = bft_engine_of(mode)) return bft_header_hash(*engine, rlp);
  CW_TRY(const EvmHeader header, decode_evm_header(rlp));
  return plain_hash(header);
}

// checkpoint+1 ... target ... descendants, with the target's own bytes at its position.
core::Result<std::vector<core::ByteView>> merged_segment(const Bundle& b, const Checkpoint& checkpoint) {
  const std::uint64_t number = b.source.block_number;
  if (number <= checkpoint.number) {
    return core::Error(reason::kTargetNotInSegment, "block " + std::to_string(number) + " is not above checkpoint " +
                                                        std::to_string(checkpoint.number));
  }
  const std::uint64_t before = number - checkpoint.number - 1;
  if (before > b.source.segment.size()) {
    return core::Error(reason::kTargetNotInSegment, "the segment holds " + std::to_string(b.source.segment.size()) +
                                                        " headers, " + std::to_string(before) +
                                                        " are needed between the checkpoint and the block");
  }
  std::vector<core::ByteView> out;
  out.reserve(b.source.segment.size() + 1);
  for (std::size_t i = 0; i < before; ++i) out.emplace_back(b.source.segment[i]);
  out.emplace_back(b.source.header);
  for (std::size_t i = before; i < b.source.segment.size(); ++i) out.emplace_back(b.source.segment[i]);
  return out;
}

// Every header builds on the one before it, the first on the pinned checkpoint (THREATS 21).
core::Result<std::size_t> check_ancestry(ConsensusMode mode, const Checkpoint& checkpoint,
                                         std::span<const core::ByteView> headers) {
  core::Hash32 parent = checkpoint.hash;
  std::uint64_t expected = checkpoint.number + 1;
  for (const core::ByteView rlp : headers) {
    const std::string where = "block " + std::to_string(expected);
    auto header = decode_evm_header(rlp);
    if (!header) return std::move(header).error().with_context(where);
    if (header->number != expected) {
      return core::Error(reason::kUnexpectedNumber, where + ": got " + std::to_string(header->number));
    }
    if (to_hash32(header->parent_hash) != parent) {
      return core::Error(expected == checkpoint.number + 1 ? reason::kCheckpointMismatch : reason::kParentMismatch,
                         where + ": parent " + core::to_hex(header->parent_hash) + ", expected " + core::to_hex(parent));
    }
    auto hash = block_hash_of(mode, rlp);
    if (!hash) return std::move(hash).error().with_context(where);
    parent = *hash;
    ++expected;
  }
  return headers.size();
}

// What a FISCO source yields for the event checks: the log read from the proven receipt, placed
// as read_message_sent expects it, and the sealed header it hangs from.
struct FiscoSource {
  ProvenLog proven;
  FinalizedHeader header;
};

// The finality check of a FISCO block from its seal verification, with sealer_set, signatures and
// quorum children. 2.x counts sealers, 3.x sums their weights; `total` is the count or the summed
// weight. False once it failed.
bool push_fisco_finality(std::vector<Check>& checks, const core::Result<FiscoSealReport>& sealed,
                         std::size_t header_sealers, const FiscoAnchor& anchor, std::size_t signature_count,
                         std::uint64_t total) {
  const bool weighted = anchor.version == 3;
  Check finality{std::string(check::kFinality), CheckStatus::kOk, core::Reason{""}, "", {}};
  const core::Reason failed = sealed ? core::Reason{""} : sealed.error().reason();
  const std::string set_detail = std::to_string(header_sealers) + " sealers in the header, " +
                                 std::to_string(anchor.sealers.size()) + " anchored at block " +
                                 std::to_string(anchor.checkpoint.number);
  if (failed == reason::fisco::kSealerSetMismatch) {
    finality.children.push_back(failed_check(
        "sealer_set", core::Error(failed, set_detail + (weighted ? "; sets or weights differ" : "; sets differ") +
                                              " (set changes are not followed)")));
    finality.children.push_back(skipped_check("signatures", "not run: sealer_set did not pass"));
    finality.children.push_back(skipped_check("quorum", "not run: sealer_set did not pass"));
  } else {
    finality.children.push_back(
        ok_check("sealer_set", set_detail + (weighted ? ", equal with their weights" : ", equal")));
    if (sealed || failed == reason::fisco::kQuorumNotMet) {
      finality.children.push_back(ok_check("signatures", std::to_string(signature_count) +
                                                             " valid signatures of distinct sealers"));
    } else {
      finality.children.push_back(failed_check("signatures", sealed.error()));
      finality.children.push_back(skipped_check("quorum", "not run: signatures did not pass"));
    }
    const std::string unit = weighted ? "weight " : "";
    if (sealed) {
      finality.children.push_back(ok_check("quorum", unit + std::to_string(sealed->signed_power) + " of " +
                                                         std::to_string(total) + " signed, " +
                                                         std::to_string(sealed->quorum) + " needed"));
    } else if (failed == reason::fisco::kQuorumNotMet) {
      finality.children.push_back(failed_check("quorum", sealed.error()));
    }
  }
  if (!sealed) {
    finality.status = CheckStatus::kFailed;
    finality.reason = sealed.error().reason();
    finality.detail = sealed.error().detail();
    checks.push_back(std::move(finality));
    return false;
  }
  const std::string scheme = anchor.crypto == FiscoCrypto::kSm ? "sm2" : "secp256k1";
  finality.detail = weighted ? "pbft: weight " + std::to_string(sealed->signed_power) + " of " + std::to_string(total) +
                                   " signed by " + std::to_string(signature_count) + " sealers (" + scheme + ")"
                             : "pbft: " + std::to_string(sealed->signed_power) + " of " + std::to_string(total) +
                                   " sealers signed (" + scheme + ")";
  checks.push_back(std::move(finality));
  return true;
}

// The header check of a FISCO block: its recomputed hash and number against what the bundle says.
bool push_fisco_header(std::vector<Check>& checks, const Bundle& b, const FiscoAnchor& anchor, std::uint64_t number,
                       const core::Hash32& hash) {
  const std::string hash_name = anchor.crypto == FiscoCrypto::kSm ? "sm3" : "keccak256";
  if (hash != b.source.block_hash) {
    checks.push_back(failed_check(check::kHeader, core::Error(reason::kBlockHashMismatch,
                                                              hash_name + " of the header is " + core::to_hex(hash) +
                                                                  ", bundle says " + core::to_hex(b.source.block_hash))));
    return false;
  }
  if (number != b.source.block_number) {
    checks.push_back(failed_check(
        check::kHeader, core::Error(reason::kBlockNumberMismatch, "header number " + std::to_string(number) +
                                                                      ", bundle says " +
                                                                      std::to_string(b.source.block_number))));
    return false;
  }
  std::string detail = "block " + std::to_string(number) + " " + core::to_hex(hash) + " (" + hash_name;
  if (anchor.version == 3) detail += ", 3.x " + std::string(layout_name(anchor.layout)) + " layout";
  checks.push_back(ok_check(check::kHeader, detail + ")"));
  return true;
}

// No segment (each PBFT block is final alone), but the anchors vouch for their sealer set from the
// pinned block on only. False once it failed.
bool push_fisco_ancestry(std::vector<Check>& checks, const FiscoAnchor& anchor, std::uint64_t number,
                         const core::Hash32& hash) {
  if (number < anchor.checkpoint.number) {
    checks.push_back(failed_check(check::kAncestry, core::Error(reason::fisco::kBlockBeforeAnchor,
                                                                "block " + std::to_string(number) +
                                                                    " is before the anchored block " +
                                                                    std::to_string(anchor.checkpoint.number))));
    return false;
  }
  if (number == anchor.checkpoint.number && hash != anchor.checkpoint.hash) {
    checks.push_back(failed_check(check::kAncestry, core::Error(reason::kCheckpointMismatch,
                                                                "the anchored block " +
                                                                    std::to_string(anchor.checkpoint.number) + " is " +
                                                                    core::to_hex(anchor.checkpoint.hash))));
    return false;
  }
  checks.push_back(ok_check(check::kAncestry, "at or after the anchored block " +
                                                  std::to_string(anchor.checkpoint.number) +
                                                  "; each PBFT block is final by its own seals"));
  return true;
}

std::vector<FiscoSignature> fisco_signatures(const Bundle& b) {
  std::vector<FiscoSignature> signatures;
  signatures.reserve(b.source.signatures.size());
  for (const auto& seal : b.source.signatures) signatures.push_back(FiscoSignature{seal.sealer_index, seal.signature});
  return signatures;
}

// FISCO 2.x header, seals, anchored block and receipt inclusion (PROOF_FORMATS.md B.2): appends the
// header, finality, ancestry and inclusion checks and returns the proven log, or nullopt once one
// of them failed.
std::optional<FiscoSource> check_fisco2_source(const Bundle& b, const FiscoAnchor& anchor, std::vector<Check>& checks) {
  // ---- header: decodes as 2.x and hashes, by the anchored crypto mode, to what the bundle says.
  auto decoded = decode_fisco2_header(b.source.header);
  if (!decoded) {
    checks.push_back(failed_check(check::kHeader, decoded.error()));
    return std::nullopt;
  }
  const Fisco2Header& header = *decoded;
  const core::Hash32 hash = fisco2_header_hash(header, anchor.crypto);
  if (!push_fisco_header(checks, b, anchor, header.number, hash)) return std::nullopt;

  // ---- finality: PBFT commit signatures of N − (N−1)/3 distinct sealers of the anchored set.
  const auto signatures = fisco_signatures(b);
  const auto sealed = verify_fisco2_seals(header, anchor.crypto, anchor.sealers, signatures);
  if (!push_fisco_finality(checks, sealed, header.sealer_list.size(), anchor, signatures.size(),
                           anchor.sealers.size())) {
    return std::nullopt;
  }
  if (!push_fisco_ancestry(checks, anchor, header.number, hash)) return std::nullopt;

  // ---- inclusion: the receipt hashes into rlp(index) ‖ H(receipt) under the sealed receiptsRoot.
  const FiscoReceiptProofInput input{b.fisco_inclusion.receipt_index, b.fisco_inclusion.log_index,
                                     b.fisco_inclusion.receipt, b.fisco_inclusion.proof};
  auto proven = prove_fisco2_log(anchor.crypto, header.receipts_root, input);
  if (!proven) {
    checks.push_back(failed_check(check::kInclusion, proven.error()));
    return std::nullopt;
  }
  checks.push_back(ok_check(check::kInclusion,
                            "receipt " + std::to_string(input.receipt_index) + " (" +
                                std::to_string(proven->receipt.remain_gas ? 8 : 7) + " fields, " +
                                std::to_string(proven->receipt.logs.size()) + " logs), log " +
                                std::to_string(input.log_index) + " in the receipt, under receiptsRoot"));
  // read_message_sent reads the log and its position only; the EVM receipt fields stay empty.
  FiscoSource out{ProvenLog{Receipt{}, std::move(proven->log), input.receipt_index, input.log_index},
                  FinalizedHeader{hash, header.number, header.state_root, header.receipts_root, {}, {}}};
  return out;
}

// FISCO 3.x (PROOF_FORMATS.md B.3): the same checks over the header's and receipt's fields, the
// hash recomputed by the anchored layout, the quorum by weight, the binary-tree proof bound to the
// receipt's index.
std::optional<FiscoSource> check_fisco3_source(const Bundle& b, const FiscoAnchor& anchor, std::vector<Check>& checks) {
  // ---- header: well-formed, and hashes by the anchored layout and crypto mode to what the bundle says.
  const Fisco3Header& header = b.source.fisco3_header;
  if (auto valid = validate_fisco3_header(header); !valid) {
    checks.push_back(failed_check(check::kHeader, valid.error()));
    return std::nullopt;
  }
  const core::Hash32 hash = fisco3_header_hash(header, anchor.layout, anchor.crypto);
  if (!push_fisco_header(checks, b, anchor, header.number, hash)) return std::nullopt;

  // ---- finality: signatures of anchored sealers whose weights reach total − (total−1)/3.
  const auto signatures = fisco_signatures(b);
  const auto sealed =
      verify_fisco3_seals(header, anchor.layout, anchor.crypto, anchor.sealers, anchor.weights, signatures);
  std::uint64_t total = 0;
  for (const auto weight : anchor.weights) total += weight;  // bounded per sealer at load: no overflow
  if (!push_fisco_finality(checks, sealed, header.sealer_list.size(), anchor, signatures.size(), total)) {
    return std::nullopt;
  }
  if (!push_fisco_ancestry(checks, anchor, header.number, hash)) return std::nullopt;

  // ---- inclusion: the receipt's recomputed hash at its index under the sealed receiptsRoot.
  const Fisco3ReceiptProofInput input{b.fisco3_inclusion.receipt_index, b.fisco3_inclusion.log_index,
                                      &b.fisco3_inclusion.receipt, b.fisco3_inclusion.proof};
  auto proven = prove_fisco3_log(anchor.crypto, header.receipts_root, header.number, input);
  if (!proven) {
    checks.push_back(failed_check(check::kInclusion, proven.error()));
    return std::nullopt;
  }
  checks.push_back(ok_check(check::kInclusion, "receipt " + std::to_string(input.receipt_index) + " (version " +
                                                   std::to_string(input.receipt->version) + ", " +
                                                   std::to_string(input.receipt->logs.size()) + " logs), log " +
                                                   std::to_string(input.log_index) +
                                                   " in the receipt, under receiptsRoot"));
  FiscoSource out{ProvenLog{Receipt{}, std::move(proven->log), input.receipt_index, input.log_index},
                  FinalizedHeader{hash, header.number, header.state_root, header.receipts_root, {}, {}}};
  return out;
}

// The version the anchors name decides the rules; a bundle of the other version is refused before
// anything is hashed.
std::optional<FiscoSource> check_fisco_source(const Bundle& b, const ChainAnchor& chain, std::vector<Check>& checks) {
  const FiscoAnchor& anchor = chain.fisco;
  if (b.source.fisco_version != anchor.version) {
    checks.push_back(failed_check(check::kHeader, core::Error(reason::fisco::kVersionMismatch,
                                                              "a " + std::to_string(b.source.fisco_version) +
                                                                  ".x bundle for a chain anchored as " +
                                                                  std::to_string(anchor.version) + ".x")));
    return std::nullopt;
  }
  return anchor.version == 3 ? check_fisco3_source(b, anchor, checks) : check_fisco2_source(b, anchor, checks);
}

// One part of a family's check (a child of finality or inclusion): its name and what it found.
struct Step {
  std::string_view name;
  std::function<core::Result<std::string>()> run;
};

// Runs `steps` in order as the children of check `name`: the first failure fails the parent and
// leaves the later steps skipped. Returns whether all passed; the parent's detail is then `summary`.
bool run_steps(std::string_view name, std::span<const Step> steps, const std::function<std::string()>& summary,
               std::vector<Check>& checks) {
  Check parent{std::string(name), CheckStatus::kOk, core::Reason{""}, "", {}};
  for (const Step& step : steps) {
    if (parent.status == CheckStatus::kFailed) {
      parent.children.push_back(skipped_check(step.name, "not run: " + parent.children.back().name + " did not pass"));
      continue;
    }
    auto detail = step.run();
    if (!detail) {
      parent.children.push_back(failed_check(step.name, detail.error()));
      parent.status = CheckStatus::kFailed;
      parent.reason = detail.error().reason();
      parent.detail = std::string(step.name) + ": " + detail.error().detail();
      continue;
    }
    parent.children.push_back(ok_check(step.name, std::move(detail).value()));
  }
  if (parent.status == CheckStatus::kOk) parent.detail = summary();
  const bool passed = parent.status == CheckStatus::kOk;
  checks.push_back(std::move(parent));
  return passed;
}

// What a Fabric source yields for the event checks: the gateway action's chaincode event (viewing
// the bundle's block) and where it sits.
struct FabricSource {
  std::optional<fabric::ChaincodeEvent> event;  // absent when the action set none
  fabric::EventPosition at;
};

// A Fabric block (PROOF_FORMATS.md C): header and data hash, orderer signatures under the anchored
// block-validation policy, then the envelope, its creator, the gateway chaincode's endorsement
// policy and k pinned peers' VALID attestations. Appends the header, finality, ancestry and
// inclusion checks and returns the event, or nullopt once one of them failed.
std::optional<FabricSource> check_fabric_source(const Bundle& b, const ChainAnchor& chain, std::vector<Check>& checks) {
  const fabric::FabricAnchor& anchor = chain.fabric;
  const FabricInclusion& in = b.fabric_inclusion;

  // ---- header: the block decodes, its envelopes hash to its data_hash, and its header DER hashes
  // to what the bundle says. The data hash covers every envelope: the block is the inclusion proof.
  auto decoded = fabric::decode_block(b.source.block);
  if (!decoded) {
    checks.push_back(failed_check(check::kHeader, decoded.error()));
    return std::nullopt;
  }
  const fabric::Block& block = *decoded;
  const core::Hash32 hash = fabric::block_hash(block.header);
  if (auto data = fabric::check_data_hash(block); !data) {
    checks.push_back(failed_check(check::kHeader, data.error()));
    return std::nullopt;
  }
  if (hash != b.source.block_hash) {
    checks.push_back(failed_check(check::kHeader, core::Error(reason::kBlockHashMismatch,
                                                              "sha256 of the header DER is " + core::to_hex(hash) +
                                                                  ", bundle says " + core::to_hex(b.source.block_hash))));
    return std::nullopt;
  }
  if (block.header.number != b.source.block_number) {
    checks.push_back(failed_check(
        check::kHeader, core::Error(reason::kBlockNumberMismatch, "header number " + std::to_string(block.header.number) +
                                                                      ", bundle says " +
                                                                      std::to_string(b.source.block_number))));
    return std::nullopt;
  }
  checks.push_back(ok_check(check::kHeader, "block " + std::to_string(block.header.number) + " " + core::to_hex(hash) +
                                                " (sha256 of the header DER), data hash over " +
                                                std::to_string(block.envelopes.size()) + " envelopes"));

  // ---- finality: the orderers' signatures meet the anchored block-validation policy.
  if (auto signed_ok = fabric::verify_orderer_signatures(block, anchor.orderers); !signed_ok) {
    checks.push_back(failed_check(check::kFinality, signed_ok.error()));
    return std::nullopt;
  }
  const bool bft = anchor.orderers.rule == fabric::BlockValidation::kBftQuorum;
  checks.push_back(ok_check(check::kFinality,
                            std::string(validation_name(anchor.orderers.rule)) + ": " +
                                (bft ? "a quorum of the " + std::to_string(anchor.orderers.consenters.size()) +
                                           " pinned consenters signed"
                                     : "a pinned orderer signed")));
  checks.push_back(skipped_check(check::kAncestry, "a Fabric block is final by its own orderer signatures"));

  // ---- inclusion: the envelope, its creator, the endorsements and the peers' validation flags.
  std::optional<fabric::Transaction> tx;
  const Step steps[] = {
      {"transaction",
       [&]() -> core::Result<std::string> {
         if (in.tx_index >= block.envelopes.size()) {
           return core::Error(fabric::reason::kTxIndexOutOfRange, "envelope " + std::to_string(in.tx_index) + " of " +
                                                                      std::to_string(block.envelopes.size()));
         }
         CW_TRY(tx, fabric::decode_envelope(block.envelopes[in.tx_index]));
         if (tx->header_type != fabric::kHeaderTypeEndorserTransaction) {
           return core::Error(fabric::reason::kNotEndorserTransaction, "header type " + std::to_string(tx->header_type));
         }
         if (tx->channel_id != anchor.channel || in.channel != anchor.channel) {
           return core::Error(fabric::reason::kChannelMismatch, "envelope on \"" + tx->channel_id + "\", bundle names \"" +
                                                                    in.channel + "\", anchored \"" + anchor.channel + "\"");
         }
         if (tx->tx_id != in.tx_id) {
           return core::Error(fabric::reason::kTxIdMismatch, "envelope tx id " + tx->tx_id + ", bundle says " + in.tx_id);
         }
         return "envelope " + std::to_string(in.tx_index) + " on channel \"" + anchor.channel + "\", tx " + tx->tx_id;
       }},
      {"creator",
       [&]() -> core::Result<std::string> {
         CW_CHECK(fabric::verify_creator(*tx));
         return "signed by " + tx->creator_msp_id + ", tx id = sha256(nonce ‖ creator)";
       }},
      {"endorsement",
       [&]() -> core::Result<std::string> {
         if (in.event_index >= tx->actions.size()) {
           return core::Error(fabric::reason::kEventIndexOutOfRange, "action " + std::to_string(in.event_index) + " of " +
                                                                         std::to_string(tx->actions.size()));
         }
         const fabric::Action& action = tx->actions[in.event_index];
         if (action.chaincode_name != anchor.chaincode) {
           return core::Error(fabric::reason::kWrongChaincode, "action of chaincode \"" + action.chaincode_name +
                                                                   "\", gateway is \"" + anchor.chaincode + "\"");
         }
         if (action.response_status >= fabric::kChaincodeErrorThreshold) {
           return core::Error(fabric::reason::kChaincodeFailed, "response status " + std::to_string(action.response_status));
         }
         CW_CHECK(fabric::verify_endorsements(*tx, anchor.endorsement));
         return "chaincode \"" + anchor.chaincode + "\", " + std::to_string(anchor.endorsement.required) +
                " organisations endorsed as the policy needs";
       }},
      {"validation",
       [&]() -> core::Result<std::string> {
         CW_CHECK(fabric::check_transactions_filter(block, in.tx_index));
         CW_TRY(const fabric::PeerAgreement agreed,
                fabric::verify_peer_attestations(anchor, block.header.number, hash, tx->tx_id, in.attestations));
         return std::to_string(agreed.attested) + " of " + std::to_string(anchor.peers.size()) +
                " pinned peers attest VALID, " + std::to_string(agreed.required) + " needed (trusted, k of n)";
       }},
  };
  const auto summary = [&] {
    return "envelope " + std::to_string(in.tx_index) + " endorsed by the gateway's policy, VALID by " +
           std::to_string(in.attestations.size()) + " pinned peers";
  };
  if (!run_steps(check::kInclusion, steps, summary, checks)) return std::nullopt;
  return FabricSource{tx->actions[in.event_index].event, {hash, block.header.number, in.tx_index, in.event_index}};
}

bool any_status(const Verdict& v, CheckStatus status) {
  for (const auto& c : v.root.children) {
    if (c.status == status) return true;
  }
  return false;
}

Outcome outcome_of(const Verdict& v) {
  for (const auto& c : v.root.children) {
    if (c.status != CheckStatus::kFailed) continue;
    // Nothing the verifier could judge: not an invalid bundle but one it cannot use.
    if (c.reason == reason::kUnknownChain || c.reason == reason::kBadTrustAnchor) return Outcome::kUnusableInput;
    return Outcome::kInvalid;
  }
  return any_status(v, CheckStatus::kUnverifiable) ? Outcome::kFinalityUnverifiable : Outcome::kValid;
}

}  // namespace

std::optional<core::Hash32> CanonicalHashMap::canonical_hash(const core::ChainIdentity& chain,
                                                             std::uint64_t number) const {
  const auto it = hashes_.find({chain, number});
  if (it == hashes_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::uint64_t> CanonicalHashMap::head(const core::ChainIdentity& chain) const {
  const auto it = heads_.find(chain);
  if (it == heads_.end()) return std::nullopt;
  return it->second;
}

const Check* Verdict::first_problem() const noexcept {
  for (const auto& c : root.children) {
    if (c.status == CheckStatus::kFailed) return &c;
  }
  for (const auto& c : root.children) {
    if (c.status == CheckStatus::kUnverifiable) return &c;
  }
  return nullptr;
}

const Check* Verdict::find(std::string_view name) const noexcept {
  for (const auto& c : root.children) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

Verdict verify_bundle(const Bundle& b, const TrustAnchors& anchors, const CanonicalHashSource& canonical,
                      ProvenReceipts* proven_before) {
  Verdict v;
  v.kind = b.kind;
  v.root.name = "bundle";
  auto& checks = v.root.children;
  // Appends the checks that could not run because `after` did not pass.
  auto skip_rest = [&](std::string_view after) {
    const std::string_view all[] = {check::kIdentity, check::kHeader, check::kFinality, check::kAncestry,
                                    check::kInclusion, check::kEvent, check::kMessageId, check::kClaim};
    for (std::size_t i = checks.size(); i < std::size(all); ++i) {
      checks.push_back(skipped_check(all[i], "not run: " + std::string(after) + " did not pass"));
    }
  };
  auto finish = [&]() -> Verdict {
    v.root.status = CheckStatus::kOk;
    if (any_status(v, CheckStatus::kUnverifiable)) v.root.status = CheckStatus::kUnverifiable;
    if (any_status(v, CheckStatus::kFailed)) v.root.status = CheckStatus::kFailed;
    v.outcome = outcome_of(v);
    // Only a valid bundle's target may serve as a checkpoint: every later check must have passed.
    if (v.outcome != Outcome::kValid) v.finalized.reset();
    if (const Check* problem = v.first_problem()) {
      v.root.reason = problem->reason;
      v.root.detail = problem->name;
    }
    return std::move(v);
  };

  // ---- identity: the verifier's own anchor for the chain, and the message names that chain.
  const core::ChainIdentity& identity = b.source.chain_identity;
  const ChainAnchor* chain = anchors.find(identity);
  if (chain == nullptr) {
    checks.push_back(failed_check(check::kIdentity, core::Error(reason::kUnknownChain, core::to_hex(identity))));
    skip_rest(check::kIdentity);
    return finish();
  }
  if (chain->family != b.family) {
    checks.push_back(failed_check(check::kIdentity, core::Error(reason::kFamilyMismatch,
                                                                "the anchors give chain \"" + chain->name +
                                                                    "\" another family than the bundle names")));
    skip_rest(check::kIdentity);
    return finish();
  }
  const bool fisco = chain->family == core::ChainFamily::kFiscoBcos;
  const bool fabric_chain = chain->family == core::ChainFamily::kFabric;
  // A Fabric gateway is a chaincode: messages name it by keccak256 of its name.
  const core::Word32 gateway_word =
      fabric_chain ? fabric::gateway_word(chain->fabric.chaincode) : core::address_word(chain->gateway);
  const std::string gateway_name =
      fabric_chain ? "chaincode \"" + chain->fabric.chaincode + "\"" : core::to_hex(chain->gateway);
  {
    const bool is_message = b.kind == BundleKind::kMessage;
    const core::ChainIdentity& named = is_message ? b.message.src_chain : b.message.dst_chain;
    if (named != identity) {
      checks.push_back(failed_check(
          check::kIdentity, core::Error(reason::kChainMismatch, std::string(is_message ? "srcChain " : "dstChain ") +
                                                                    core::to_hex(named) + " is not the bundle's chain " +
                                                                    core::to_hex(identity))));
      skip_rest(check::kIdentity);
      return finish();
    }
    const core::Word32& named_gateway = is_message ? b.message.src_gateway : b.message.dst_gateway;
    if (named_gateway != gateway_word) {
      checks.push_back(failed_check(
          check::kIdentity, core::Error(reason::kGatewayMismatch, std::string(is_message ? "srcGateway " : "dstGateway ") +
                                                                      core::to_hex(named_gateway) + ", configured " +
                                                                      gateway_name)));
      skip_rest(check::kIdentity);
      return finish();
    }
    std::string mode = std::string(mode_name(chain->consensus.mode));
    if (fisco) {
      mode = "pbft (fisco " + std::to_string(chain->fisco.version) + ".x, crypto " +
             std::string(crypto_name(chain->fisco.crypto)) + ")";
    } else if (fabric_chain) {
      mode = std::string(validation_name(chain->fabric.orderers.rule)) + " (fabric channel \"" +
             chain->fabric.channel + "\")";
    }
    std::string detail = "chain \"" + chain->name + "\", mode " + mode;
    if (chain->insecure) detail += " (INSECURE anchor)";
    checks.push_back(ok_check(check::kIdentity, std::move(detail)));
  }
  // ---- event semantics, message id, claim of a proven MessageSent (every family).
  auto check_message_sent = [&](core::Result<SentEvent> sent) -> Verdict {
    if (!sent && sent.error().reason() == reason::kMessageIdMismatch) {
      checks.push_back(ok_check(check::kEvent, "MessageSent from the gateway"));
      checks.push_back(failed_check(check::kMessageId, sent.error()));
      skip_rest(check::kMessageId);
      return finish();
    }
    if (!sent) {
      checks.push_back(failed_check(check::kEvent, sent.error()));
      skip_rest(check::kEvent);
      return finish();
    }
    // A genuine gateway always names itself and its chain; anything else is not its event.
    if (sent->message.src_chain != identity || sent->message.src_gateway != gateway_word) {
      checks.push_back(failed_check(check::kEvent, core::Error(reason::kChainMismatch,
                                                               "the event's message names another source")));
      skip_rest(check::kEvent);
      return finish();
    }
    if (!(sent->message == b.message)) {
      checks.push_back(failed_check(check::kEvent, core::Error(reason::kBundleMessageMismatch,
                                                               "the bundle's message differs from the event's")));
      skip_rest(check::kEvent);
      return finish();
    }
    checks.push_back(ok_check(check::kEvent, "MessageSent from the gateway, sequence " +
                                                 std::to_string(sent->message.sequence.value)));
    checks.push_back(ok_check(check::kMessageId, core::to_hex(sent->id)));
    v.id = sent->id;
    if (sent->claim != b.claim) {
      checks.push_back(failed_check(check::kClaim, core::Error(reason::kClaimMismatch, "recomputed " +
                                                                                            core::to_hex(sent->claim) +
                                                                                            ", bundle says " +
                                                                                            core::to_hex(b.claim))));
      return finish();
    }
    v.claim = sent->claim;
    checks.push_back(ok_check(check::kClaim, core::to_hex(sent->claim)));
    return finish();
  };

  // ---- event semantics, message id, claim of a proven MessageExecuted (kind execution).
  auto check_message_executed = [&](core::Result<ExecutedEvent> executed) -> Verdict {
    if (!executed) {
      checks.push_back(failed_check(check::kEvent, executed.error()));
      skip_rest(check::kEvent);
      return finish();
    }
    if (executed->src_chain != b.message.src_chain || executed->sequence != b.message.sequence) {
      checks.push_back(failed_check(check::kEvent, core::Error(reason::kTopicMismatch,
                                                               "srcChain or sequence topic differs from the message")));
      skip_rest(check::kEvent);
      return finish();
    }
    checks.push_back(ok_check(check::kEvent, "MessageExecuted from the gateway, status " +
                                                 std::to_string(static_cast<int>(executed->outcome.status))));
    const core::MessageId id = core::message_id(b.message);
    if (id != executed->id) {
      checks.push_back(failed_check(check::kMessageId, core::Error(reason::kMessageIdMismatch,
                                                                   "event id " + core::to_hex(executed->id) +
                                                                       ", message hashes to " + core::to_hex(id))));
      skip_rest(check::kMessageId);
      return finish();
    }
    checks.push_back(ok_check(check::kMessageId, core::to_hex(id)));
    v.id = id;
    v.execution = executed->outcome;
    if (executed->claim != b.claim) {
      checks.push_back(failed_check(check::kClaim, core::Error(reason::kClaimMismatch, "recomputed " +
                                                                                            core::to_hex(executed->claim) +
                                                                                            ", bundle says " +
                                                                                            core::to_hex(b.claim))));
      return finish();
    }
    v.claim = executed->claim;
    checks.push_back(ok_check(check::kClaim, core::to_hex(executed->claim)));
    return finish();
  };

  if (fisco) {
    auto source = check_fisco_source(b, *chain, checks);
    if (!source) {
      const std::string failed = checks.back().name;  // skip_rest appends to checks
      skip_rest(failed);
      return finish();
    }
    return check_message_sent(read_message_sent(source->proven, source->header, chain->gateway, chain->limits));
  }
  if (fabric_chain) {
    auto source = check_fabric_source(b, *chain, checks);
    if (!source) {
      const std::string failed = checks.back().name;  // skip_rest appends to checks
      skip_rest(failed);
      return finish();
    }
    const std::string& chaincode = chain->fabric.chaincode;
    if (!source->event) {
      const core::Error none(fabric::reason::kNoEvent, "action " + std::to_string(b.fabric_inclusion.event_index) +
                                                           " of chaincode \"" + chaincode + "\" set no event");
      if (b.kind == BundleKind::kMessage) return check_message_sent(none);
      return check_message_executed(none);
    }
    if (b.kind == BundleKind::kMessage) {
      return check_message_sent(fabric::read_message_sent(*source->event, chaincode, source->at, chain->limits));
    }
    return check_message_executed(fabric::read_message_executed(*source->event, chaincode, source->at));
  }
  const ConsensusMode mode = chain->consensus.mode;

  // ---- header: decodes, and hashes (by the chain's rule) to what the bundle says.
  auto decoded = decode_evm_header(b.source.header);
  if (!decoded) {
    checks.push_back(failed_check(check::kHeader, decoded.error()));
    skip_rest(check::kHeader);
    return finish();
  }
  const EvmHeader& header = *decoded;
  {
    auto hash = block_hash_of(mode, b.source.header);
    if (!hash) {
      checks.push_back(failed_check(check::kHeader, hash.error()));
      skip_rest(check::kHeader);
      return finish();
    }
    if (*hash != b.source.block_hash) {
      checks.push_back(failed_check(check::kHeader, core::Error(reason::kBlockHashMismatch,
                                                                "header hashes to " + core::to_hex(*hash) +
                                                                    ", bundle says " + core::to_hex(b.source.block_hash))));
      skip_rest(check::kHeader);
      return finish();
    }
    if (header.number != b.source.block_number) {
      checks.push_back(failed_check(check::kHeader, core::Error(reason::kBlockNumberMismatch,
                                                                "header number " + std::to_string(header.number) +
                                                                    ", bundle says " +
                                                                    std::to_string(b.source.block_number))));
      skip_rest(check::kHeader);
      return finish();
    }
    checks.push_back(ok_check(check::kHeader, "block " + std::to_string(header.number) + " " + core::to_hex(*hash)));
  }

  // ---- finality, per mode. Inclusion then hangs from the header this step returns.
  std::optional<FinalizedHeader> finalized;
  bool finality_unverifiable = false;
  const bool pinned = is_signed_mode(mode) || chain->checkpoint_pinned;
  auto merged = pinned ? merged_segment(b, chain->consensus.checkpoint)
                       : core::Result<std::vector<core::ByteView>>(std::vector<core::ByteView>{});
  if (is_signed_mode(mode)) {
    if (!merged) {
      checks.push_back(failed_check(check::kFinality, merged.error()));
    } else if (auto f = verify_evm_finality(chain->consensus, *merged, header.number); !f) {
      checks.push_back(failed_check(check::kFinality, f.error()));
    } else {
      finalized = std::move(f).value();
      v.finalized = finalized;
      checks.push_back(ok_check(check::kFinality, std::string(mode_name(mode)) + ": final over " +
                                                      std::to_string(merged->size()) + " headers from checkpoint " +
                                                      std::to_string(chain->consensus.checkpoint.number)));
    }
  } else if (auto hash = canonical.canonical_hash(identity, header.number); !hash) {
    finality_unverifiable = true;
    checks.push_back(Check{std::string(check::kFinality), CheckStatus::kUnverifiable, reason::kNeedsCanonicalHash,
                           std::string(mode_name(mode)) + " headers are unsigned; no canonical hash for block " +
                               std::to_string(header.number),
                           {}});
  } else if (auto f = verify_against_canonical(b.source.header, *hash); !f) {
    checks.push_back(failed_check(check::kFinality, f.error()));
  } else {
    const auto head = canonical.head(identity);
    const std::uint64_t k = chain->consensus.confirmations;
    if (mode == ConsensusMode::kConfirmations && head && (*head < header.number || *head - header.number < k)) {
      checks.push_back(failed_check(
          check::kFinality, core::Error(reason::kHeaderNotFinal, "head " + std::to_string(*head) + " is fewer than " +
                                                                     std::to_string(k) + " blocks past block " +
                                                                     std::to_string(header.number))));
    } else {
      finalized = std::move(f).value();
      std::string detail = "canonical hash matches";
      if (mode == ConsensusMode::kTrusted) detail += " (INSECURE: trusted mode, development only)";
      if (mode == ConsensusMode::kConfirmations && !head) detail += " (depth vouched for by the hash source)";
      checks.push_back(ok_check(check::kFinality, std::move(detail)));
    }
  }

  // ---- ancestry: the headers link back to the pinned checkpoint.
  const bool unsigned_without_segment = !is_signed_mode(mode) && b.source.segment.empty();
  if (unsigned_without_segment && !(pinned && header.number == chain->consensus.checkpoint.number + 1)) {
    checks.push_back(skipped_check(check::kAncestry, "no segment; the canonical hash vouches for the header"));
  } else if (!pinned) {
    checks.push_back(failed_check(check::kAncestry, core::Error(reason::kUnexpectedSegment,
                                                                "the anchors pin no checkpoint to link it to")));
  } else if (!merged) {
    checks.push_back(failed_check(check::kAncestry, merged.error()));
  } else if (auto linked = check_ancestry(mode, chain->consensus.checkpoint, *merged); !linked) {
    checks.push_back(failed_check(check::kAncestry, linked.error()));
  } else {
    checks.push_back(ok_check(check::kAncestry, std::to_string(*linked) + " headers link to checkpoint " +
                                                    std::to_string(chain->consensus.checkpoint.number)));
  }

  if (!finalized && !finality_unverifiable) {
    skip_rest(check::kFinality);
    return finish();
  }
  if (checks.back().status == CheckStatus::kFailed) {
    skip_rest(check::kAncestry);
    return finish();
  }
  // Unverifiable finality: inclusion is still judged, against the receiptsRoot of the hashed
  // header bytes (never any other bundle field, THREATS 15), so exit code 3 means "all but finality".
  if (!finalized) {
    finalized = FinalizedHeader{b.source.block_hash, header.number, to_hash32(header.state_root),
                                to_hash32(header.receipts_root), {}, {}};
  }
  const FinalizedHeader& fh = *finalized;

  // ---- inclusion: the receipt is in the block, its transaction succeeded, the log exists.
  const ReceiptProofInput input{b.inclusion.tx_index, b.inclusion.log_index, b.inclusion.receipt, b.inclusion.proof};
  auto proven = prove_log(fh, input, {}, proven_before);
  if (!proven) {
    checks.push_back(failed_check(check::kInclusion, proven.error()));
    skip_rest(check::kInclusion);
    return finish();
  }
  checks.push_back(ok_check(check::kInclusion, "receipt of tx " + std::to_string(b.inclusion.tx_index) + " (type " +
                                                   std::to_string(proven->receipt.type) + ", " +
                                                   std::to_string(proven->receipt.logs.size()) + " logs), log " +
                                                   std::to_string(b.inclusion.log_index) + " in the receipt"));

  // ---- event semantics, message id, claim.
  if (b.kind == BundleKind::kMessage) {
    return check_message_sent(read_message_sent(*proven, fh, chain->gateway, chain->limits));
  }
  return check_message_executed(read_message_executed(*proven, fh, chain->gateway));
}


Verdict unusable_input(const core::Error& error) {
  Verdict v;
  v.outcome = Outcome::kUnusableInput;
  v.root = Check{"bundle", CheckStatus::kFailed, error.reason(), error.detail(), {}};
  return v;
}

int exit_code(Outcome outcome) noexcept {
  switch (outcome) {
    case Outcome::kValid: return 0;
    case Outcome::kInvalid: return 1;
    case Outcome::kUnusableInput: return 2;
    case Outcome::kFinalityUnverifiable: return 3;
  }
  return 1;
}

Outcome worst(Outcome a, Outcome b) noexcept {
  auto rank = [](Outcome o) {
    switch (o) {
      case Outcome::kInvalid: return 3;
      case Outcome::kUnusableInput: return 2;
      case Outcome::kFinalityUnverifiable: return 1;
      case Outcome::kValid: return 0;
    }
    return 3;
  };
  return rank(a) >= rank(b) ? a : b;
}

std::string_view outcome_name(Outcome outcome) noexcept {
  switch (outcome) {
    case Outcome::kValid: return "valid";
    case Outcome::kInvalid: return "invalid";
    case Outcome::kUnusableInput: return "unusable_input";
    case Outcome::kFinalityUnverifiable: return "finality_unverifiable";
  }
  return "invalid";
}

std::string_view status_name(CheckStatus status) noexcept {
  switch (status) {
    case CheckStatus::kOk: return "ok";
    case CheckStatus::kFailed: return "failed";
    case CheckStatus::kSkipped: return "skipped";
    case CheckStatus::kUnverifiable: return "unverifiable";
  }
  return "failed";
}

namespace {
nlohmann::json check_to_json(const Check& c) {
  nlohmann::json out{{"name", c.name},
                     {"status", status_name(c.status)},
                     {"reason", c.reason.name.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.reason.name)},
                     {"detail", c.detail}};
  if (!c.children.empty()) {
    nlohmann::json children = nlohmann::json::array();
    for (const auto& child : c.children) children.push_back(check_to_json(child));
    out["checks"] = std::move(children);
  }
  return out;
}
}  // namespace

nlohmann::json verdict_to_json(const Verdict& v) {
  nlohmann::json out{{"outcome", outcome_name(v.outcome)},
                     {"exit_code", exit_code(v.outcome)},
                     {"kind", kind_name(v.kind)},
                     {"verdict", check_to_json(v.root)}};
  out["id"] = v.id ? nlohmann::json(core::to_hex(*v.id)) : nlohmann::json(nullptr);
  out["claim"] = v.claim ? nlohmann::json(core::to_hex(*v.claim)) : nlohmann::json(nullptr);
  if (v.execution) {
    out["execution"] = {{"status", static_cast<int>(v.execution->status)},
                        {"delivery_claim", core::to_hex(v.execution->claim)}};
  }
  return out;
}

}  // namespace causeway::verify
