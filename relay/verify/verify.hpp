// verify(bundle, trust anchors, canonical-hash source) -> verdict tree: the one pure entry point
// behind `causeway verify`, the relay's pipeline and the HTTP API (DESIGN.md sections 3 and 5).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "relay/core/bytes.hpp"
#include "relay/core/protocol.hpp"
#include "relay/core/result.hpp"
#include "relay/verify/bundle.hpp"
#include "relay/verify/inclusion.hpp"
#include "relay/verify/trust_anchors.hpp"

namespace causeway::verify {

namespace reason {
// The bundle's chain is not in the verifier's trust anchors: nothing to verify against.
inline constexpr core::Reason kUnknownChain{"verify.unknown_chain"};
// The message names another chain than the one the bundle's event is on.
inline constexpr core::Reason kChainMismatch{"verify.chain_mismatch"};
// The message names another gateway than the configured one.
inline constexpr core::Reason kGatewayMismatch{"verify.gateway_mismatch"};
inline constexpr core::Reason kBlockHashMismatch{"verify.block_hash_mismatch"};
inline constexpr core::Reason kBlockNumberMismatch{"verify.block_number_mismatch"};
// A segment given where the anchors pin nothing it could link to.
inline constexpr core::Reason kUnexpectedSegment{"verify.unexpected_segment"};
// The message in the bundle is not the one the proven event carries.
inline constexpr core::Reason kBundleMessageMismatch{"verify.bundle_message_mismatch"};
inline constexpr core::Reason kClaimMismatch{"verify.claim_mismatch"};
// The bundle names another family than the trust anchors give its chain.
inline constexpr core::Reason kFamilyMismatch{"verify.family_mismatch"};
}  // namespace reason

namespace reason::fisco {
// The block is older than the one the anchored sealer set was read at: the anchors vouch for that
// set from the pinned block on only.
inline constexpr core::Reason kBlockBeforeAnchor{"fisco.block_before_anchor"};
// A 2.x bundle for a chain the anchors give as 3.x, or the reverse.
inline constexpr core::Reason kVersionMismatch{"fisco.version_mismatch"};
}  // namespace reason::fisco

// Where the canonical hash of an unsigned (confirmations / trusted) chain's block comes from: the
// relay's own k-of-n quorum reads, an auditor's node or list. Never the bundle.
class CanonicalHashSource {
 public:
  virtual ~CanonicalHashSource() = default;
  // The hash of block `number` on the canonical chain `chain`, or nullopt if unknown.
  virtual std::optional<core::Hash32> canonical_hash(const core::ChainIdentity& chain, std::uint64_t number) const = 0;
  // The height of the canonical head if known, for the confirmations depth check.
  virtual std::optional<std::uint64_t> head(const core::ChainIdentity& chain) const = 0;
};

// No canonical hashes: unsigned chains verify to finality_unverifiable (exit code 3).
class NoCanonicalHashes final : public CanonicalHashSource {
 public:
  std::optional<core::Hash32> canonical_hash(const core::ChainIdentity&, std::uint64_t) const override {
    return std::nullopt;
  }
  std::optional<std::uint64_t> head(const core::ChainIdentity&) const override { return std::nullopt; }
};

// Hashes (and optionally heads) the caller already holds.
class CanonicalHashMap final : public CanonicalHashSource {
 public:
  void add(const core::ChainIdentity& chain, std::uint64_t number, const core::Hash32& hash) {
    hashes_[{chain, number}] = hash;
  }
  void set_head(const core::ChainIdentity& chain, std::uint64_t number) { heads_[chain] = number; }
  std::optional<core::Hash32> canonical_hash(const core::ChainIdentity& chain, std::uint64_t number) const override;
  std::optional<std::uint64_t> head(const core::ChainIdentity& chain) const override;

 private:
  std::map<std::pair<core::ChainIdentity, std::uint64_t>, core::Hash32> hashes_;
  std::map<core::ChainIdentity, std::uint64_t> heads_;
};

enum class CheckStatus : std::uint8_t { kOk, kFailed, kSkipped, kUnverifiable };

// One named check. `reason` is empty when ok; `detail` says what was found either way. `children`
// break a check into its parts where a family has several (FISCO finality: sealer set,
// signatures, quorum).
struct Check {
  std::string name;
  CheckStatus status = CheckStatus::kSkipped;
  core::Reason reason{""};
  std::string detail;
  std::vector<Check> children;
};

enum class Outcome : std::uint8_t { kValid, kInvalid, kUnusableInput, kFinalityUnverifiable };

// The names of the top-level checks, in the order they appear.
namespace check {
inline constexpr std::string_view kIdentity = "identity";
inline constexpr std::string_view kHeader = "header";
inline constexpr std::string_view kFinality = "finality";
inline constexpr std::string_view kAncestry = "ancestry";
inline constexpr std::string_view kInclusion = "inclusion";
inline constexpr std::string_view kEvent = "event";
inline constexpr std::string_view kMessageId = "message_id";
inline constexpr std::string_view kClaim = "claim";
}  // namespace check

struct Verdict {
  Outcome outcome = Outcome::kUnusableInput;
  BundleKind kind = BundleKind::kMessage;
  // The root is named "bundle"; its children are the checks above, in order.
  Check root;
  // What a valid (or finality_unverifiable) bundle proves, recomputed here.
  std::optional<core::MessageId> id;
  std::optional<core::Claim> claim;
  std::optional<core::Outcome> execution;  // kind execution: status and the delivery's claim
  // A valid bundle of a signed chain (QBFT, IBFT, Clique): its target header as followed, which
  // the relay may keep as a checkpoint for later bundles (checkpoints.hpp).
  std::optional<FinalizedHeader> finalized;

  // The first failed (else unverifiable) top-level check, or nullptr.
  const Check* first_problem() const noexcept;
  const Check* find(std::string_view name) const noexcept;
};

// `proven`, when given, is shared by the bundles of one batch (see ProvenReceipts): an EVM receipt
// proven for one of them is not hashed and decoded again for the next.
Verdict verify_bundle(const Bundle& bundle, const TrustAnchors& anchors, const CanonicalHashSource& canonical,
                      ProvenReceipts* proven = nullptr);

// The verdict for input that could not be read at all (bundle or anchors): unusable_input.
Verdict unusable_input(const core::Error& error);

// DESIGN.md section 5: valid 0, invalid 1, unusable input 2, finality unverifiable 3.
int exit_code(Outcome outcome) noexcept;
// Several bundles at once: the worst verdict, 1 before 2 before 3 before 0.
Outcome worst(Outcome a, Outcome b) noexcept;
std::string_view outcome_name(Outcome outcome) noexcept;
std::string_view status_name(CheckStatus status) noexcept;

// For `causeway verify --json` and the API.
nlohmann::json verdict_to_json(const Verdict& verdict);

}  // namespace causeway::verify
