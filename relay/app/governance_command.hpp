// `causeway attesters status|propose|approve|submit` and `causeway guardian status|pause|unpause`
// (PROTOCOL.md section 5): the attesters replace their set by collecting Rotate votes in a
// proposal file that travels from operator to operator (it holds signatures, never a secret), and
// the gateway's guardian stops or restarts message traffic. Transactions go through the EVM sink
// (nonce manager, fees, receipt) with a journal that lives as long as the command.
#pragma once

#include <array>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "relay/core/bytes.hpp"
#include "relay/core/eip712.hpp"
#include "relay/core/result.hpp"

namespace CLI {
class App;
}  // namespace CLI

namespace causeway::app {

namespace reason::proposal {
inline constexpr core::Reason kUnsupportedVersion{"proposal.unsupported_version"};
// The new set breaks a rule of the gateway (Gateway.sol _checkSet): not strictly increasing (a
// duplicate included), a zero address, more than 255 members, or a threshold outside 1..members.
inline constexpr core::Reason kAttestersNotSorted{"proposal.attesters_not_sorted"};
inline constexpr core::Reason kZeroAttester{"proposal.zero_attester"};
inline constexpr core::Reason kTooManyAttesters{"proposal.too_many_attesters"};
inline constexpr core::Reason kBadThreshold{"proposal.bad_threshold"};
// The stated digest is not the EIP-712 digest of the rotation under the stated domain.
inline constexpr core::Reason kDigestMismatch{"proposal.digest_mismatch"};
// A signature that does not recover (bad length or v, high s, off the curve).
inline constexpr core::Reason kBadSignature{"proposal.bad_signature"};
// A signature that recovers to another address than the signer it is listed under.
inline constexpr core::Reason kSignerMismatch{"proposal.signer_mismatch"};
// Signers not strictly increasing: the gateway requires that order, and it rules out duplicates.
inline constexpr core::Reason kSignersNotSorted{"proposal.signers_not_sorted"};
// The proposal is for another chain or gateway than the configured one.
inline constexpr core::Reason kWrongChain{"proposal.wrong_chain"};
// Its new epoch is not the gateway's current epoch + 1 (already rotated, or skipping epochs).
inline constexpr core::Reason kStaleEpoch{"proposal.stale_epoch"};
// A signer (or the key about to sign) is not a member of the gateway's current attester set.
inline constexpr core::Reason kNotAttester{"proposal.not_attester"};
// This key has signed the proposal already.
inline constexpr core::Reason kDuplicateSignature{"proposal.duplicate_signature"};
// Fewer signatures than the gateway's current threshold.
inline constexpr core::Reason kBelowThreshold{"proposal.below_threshold"};
}  // namespace reason::proposal

namespace reason::guardian {
// The key given is not the gateway's guardian: the gateway would revert NotGuardian.
inline constexpr core::Reason kNotGuardian{"guardian.not_guardian"};
}  // namespace reason::guardian

// One attester's Rotate vote, 65 bytes r ‖ s ‖ v (v = 27/28), as the gateway takes it.
struct ProposalSignature {
  core::Address signer;
  std::array<std::uint8_t, 65> rsv{};
};

// A rotation on its way to the gateway: where it applies (the EIP-712 domain), what it does, and
// the signatures collected so far, ascending by signer.
struct RotationProposal {
  core::ChainIdentity chain_identity;
  std::uint64_t chain_id = 0;
  core::Address gateway;
  core::RotateVote rotation;  // attesters strictly increasing
  std::vector<ProposalSignature> signatures;
};

// What the gateway says now (GatewayReader), against which a proposal is judged.
struct GatewayState {
  std::uint64_t epoch = 0;
  std::uint16_t threshold = 0;
  std::vector<core::Address> attesters;
};

// The digest every attester signs: Rotate(attesters, threshold, newEpoch) under the proposal's domain.
core::Hash32 proposal_digest(const RotationProposal& proposal);
// The gateway's rules for a new set (reason::proposal kAttestersNotSorted ... kBadThreshold).
core::Result<void> check_rotation(const core::RotateVote& rotation);

// The proposal file (version 1): chain_identity, chain_id (decimal string), gateway, rotation
// {attesters, threshold, new_epoch (decimal string)}, digest, signatures [{signer, signature}];
// lower-case 0x hex throughout. Reading is strict (unknown fields refused) and checks everything
// the file can show by itself: the set rules, the digest, and that each signature recovers to its
// signer, signers strictly increasing. Errors are json.* for the shape, proposal.* for the rest.
nlohmann::json proposal_to_json(const RotationProposal& proposal);
core::Result<RotationProposal> proposal_from_text(std::string_view text);

// Before this key signs: the new epoch is the gateway's next, the key is a current attester, and
// it has not signed yet.
core::Result<void> check_signable(const RotationProposal& proposal, const GatewayState& gateway,
                                  const core::Address& signer);
// Before submitting: the new epoch is the gateway's next, every signer is a current attester,
// and there are at least the current threshold of signatures.
core::Result<void> check_submittable(const RotationProposal& proposal, const GatewayState& gateway);
// Adds a signature in signer order; kSignerMismatch unless it recovers to `signature.signer`,
// kDuplicateSignature when that signer is present already.
core::Result<void> add_signature(RotationProposal& proposal, const ProposalSignature& signature);

// `rotate(address[],uint16,uint64,bytes[])` calldata with the proposal's signatures in order.
core::Bytes rotate_calldata(const RotationProposal& proposal);

enum class GovernanceAction : std::uint8_t {
  kNone,
  kAttestersStatus,
  kPropose,
  kApprove,
  kSubmit,
  kGuardianStatus,
  kPause,
  kUnpause,
};

// What the command line asked for; add_governance_commands fills it, tests may build it directly.
struct GovernanceOptions {
  GovernanceAction action = GovernanceAction::kNone;
  // Where the gateway is: a relay config and one of its chains, or an RPC URL and an address.
  std::string config_path{};
  std::string chain{};
  std::string rpc{};
  std::string gateway{};
  std::string chain_identity{};  // status: checked against the gateway's when given
  // propose
  std::string attesters{};  // comma-separated addresses, any order
  std::uint32_t threshold = 0;
  std::string out{};
  // approve, submit
  std::string proposal{};
  bool submit = false;  // approve: submit too once the threshold is reached
  // guardian pause|unpause: the guardian's keystore or (development) raw key file
  std::string key_file{};
  std::string password_file{};
  std::string password_env{};
  std::uint32_t timeout_seconds = 120;  // longest wait for a receipt
  bool json = false;                    // status: one JSON object instead of lines
};

// Registers `attesters` and `guardian` under `app`; each action sets options.action when chosen.
void add_governance_commands(CLI::App& app, GovernanceOptions& options);

// Exit 0 done; 1 refused (a proposal or key that does not qualify: stale epoch, not an attester,
// duplicate, below threshold, not the guardian, another gateway) or the transaction reverted;
// 2 unusable input (options, a config, key or proposal file that does not load or check out);
// 3 the node could not be reached or answered unusably, or no receipt came within --timeout.
int run_governance_command(const GovernanceOptions& options, std::ostream& out, std::ostream& err);

}  // namespace causeway::app
