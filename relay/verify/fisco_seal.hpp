// FISCO BCOS sealer signatures (PROOF_FORMATS.md B.2, B.3): a block's signature list checked
// against the configured sealer set, each entry mapped to one sealer by its index, duplicates and
// bad signatures refused, and the PBFT quorum enforced (2.x by count, 3.x by weight).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "relay/core/bytes.hpp"
#include "relay/core/result.hpp"
#include "relay/verify/fisco_header.hpp"

namespace causeway::verify {

namespace reason::fisco {
// The header's sealer list (or 3.x weights) differs from the configured set for this height.
inline constexpr core::Reason kSealerSetMismatch{"fisco.sealer_set_mismatch"};
inline constexpr core::Reason kSealerIndexOutOfRange{"fisco.sealer_index_out_of_range"};
// Two entries for one sealer: counting both would let one key stand for several (the WeCross gap).
inline constexpr core::Reason kDuplicateSealer{"fisco.duplicate_sealer"};
// Not 65 bytes (ECDSA), or not 64/128 bytes as the version allows (SM2).
inline constexpr core::Reason kSignatureLength{"fisco.signature_length"};
// The signature does not verify under the indexed sealer's key (the detail names the cause).
inline constexpr core::Reason kBadSignature{"fisco.bad_signature"};
// An SM2 signature carries a public key other than the indexed sealer's node id.
inline constexpr core::Reason kSignatureKeyMismatch{"fisco.signature_key_mismatch"};
inline constexpr core::Reason kQuorumNotMet{"fisco.quorum_not_met"};
// A total weight of zero or one that overflows: no quorum can be defined.
inline constexpr core::Reason kBadWeights{"fisco.bad_weights"};
}  // namespace reason::fisco

// One entry of a signature list: 2.x `sigList` {index, signature}, 3.x {sealerIndex, signature}.
struct FiscoSignature {
  std::uint64_t sealer_index = 0;
  core::ByteView signature;  // ECDSA r‖s‖v (v 0/1); SM2 r‖s‖pub(64) in 2.x, r‖s [‖ pub] in 3.x
};

struct FiscoSealReport {
  core::Hash32 header_hash;
  std::uint64_t signed_power = 0;  // sealers (2.x) or their weight (3.x) that signed
  std::uint64_t quorum = 0;
};

// N − (N−1)/3 (ConsensusEngineBase); 0 for N = 0.
std::uint64_t fisco_quorum(std::uint64_t total) noexcept;

// 2.x: the header's sealerList must equal `configured`; every entry must verify; the distinct
// signers must reach N − (N−1)/3. Returns the recomputed header hash.
core::Result<FiscoSealReport> verify_fisco2_seals(const Fisco2Header& header, FiscoCrypto crypto,
                                                  std::span<const core::Bytes> configured,
                                                  std::span<const FiscoSignature> signatures);

// 3.x: the header must validate and its sealerList and consensusWeights must equal the configured
// ones; every entry must verify; the signers' weight must reach total − (total−1)/3.
core::Result<FiscoSealReport> verify_fisco3_seals(const Fisco3Header& header, Fisco3Layout layout,
                                                  FiscoCrypto crypto, std::span<const core::Bytes> configured,
                                                  std::span<const std::uint64_t> configured_weights,
                                                  std::span<const FiscoSignature> signatures);

}  // namespace causeway::verify
