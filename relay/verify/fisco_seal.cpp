// FISCO BCOS sealer signature lists and quorum (see fisco_seal.hpp).
#include "relay/verify/fisco_seal.hpp"

#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include "relay/core/secp256k1.hpp"
#include "relay/core/signature.hpp"

namespace causeway::verify {
namespace {

constexpr std::size_t kEcdsaSignatureSize = 65;
constexpr std::size_t kSm2BareSize = 64;
constexpr std::size_t kSm2WithKeySize = 128;

core::Error bad_signature(const core::Error& inner) {
  return core::Error(reason::fisco::kBadSignature, inner.message());
}

core::Result<void> verify_ecdsa(const core::Hash32& header_hash, core::ByteView node_id, core::ByteView signature) {
  if (signature.size() != kEcdsaSignatureSize) {
    return core::Error(reason::fisco::kSignatureLength, std::to_string(signature.size()) + " bytes, expected 65");
  }
  // Recovery checks r, s (low-s) and v before comparing with the one key the index names.
  auto recovered = core::recover_public_key(header_hash, signature, core::VByte::k0or1);
  if (!recovered) return bad_signature(recovered.error());
  const auto point = recovered->uncompressed();
  if (!std::equal(point.begin() + 1, point.end(), node_id.begin(), node_id.end())) {
    return core::Error(reason::fisco::kBadSignature, "recovers to another key");
  }
  return core::ok();
}

core::Result<void> verify_sm(bool allow_bare, const core::Hash32& header_hash, core::ByteView node_id,
                             core::ByteView signature) {
  if (signature.size() != kSm2WithKeySize && !(allow_bare && signature.size() == kSm2BareSize)) {
    return core::Error(reason::fisco::kSignatureLength, std::to_string(signature.size()) + " bytes");
  }
  if (signature.size() == kSm2WithKeySize &&
      !std::equal(node_id.begin(), node_id.end(), signature.begin() + kSm2BareSize, signature.end())) {
    return core::Error(reason::fisco::kSignatureKeyMismatch);
  }
  auto key = core::Sm2PublicKey::from_bytes(node_id);
  if (!key) return bad_signature(key.error());
  // FISCO signs the 32-byte hash as the SM2 message M, with the default user id (B.1).
  auto verified = core::verify_sm2(header_hash.view(), signature.first(kSm2BareSize),
                                   core::SignatureEncoding::kCompact, *key);
  if (!verified) return bad_signature(verified.error());
  return core::ok();
}

// One signature by the 64-byte `node_id` over `header_hash`.
core::Result<void> verify_fisco_signature(FiscoCrypto crypto, bool allow_bare_sm2, const core::Hash32& header_hash,
                                          core::ByteView node_id, core::ByteView signature) {
  return crypto == FiscoCrypto::kSm ? verify_sm(allow_bare_sm2, header_hash, node_id, signature)
                                    : verify_ecdsa(header_hash, node_id, signature);
}

bool same_sealers(std::span<const core::ByteView> header, std::span<const core::Bytes> configured) {
  return std::equal(header.begin(), header.end(), configured.begin(), configured.end(),
                    [](core::ByteView a, const core::Bytes& b) { return std::ranges::equal(a, b); });
}

// Verifies every entry against sealers[index] and sums the weights of the distinct signers.
core::Result<std::uint64_t> signed_power(FiscoCrypto crypto, bool allow_bare_sm2, const core::Hash32& header_hash,
                                         std::span<const core::Bytes> sealers,
                                         std::span<const std::uint64_t> weights,
                                         std::span<const FiscoSignature> signatures) {
  std::vector<bool> seen(sealers.size(), false);
  std::uint64_t power = 0;
  for (std::size_t i = 0; i < signatures.size(); ++i) {
    const auto& entry = signatures[i];
    const std::string where = "signature " + std::to_string(i);
    if (entry.sealer_index >= sealers.size()) {
      return core::Error(reason::fisco::kSealerIndexOutOfRange,
                         where + ": index " + std::to_string(entry.sealer_index) + " of " +
                             std::to_string(sealers.size()));
    }
    const auto index = static_cast<std::size_t>(entry.sealer_index);
    if (seen[index]) {
      return core::Error(reason::fisco::kDuplicateSealer, where + ": sealer " + std::to_string(index));
    }
    seen[index] = true;
    auto verified = verify_fisco_signature(crypto, allow_bare_sm2, header_hash, sealers[index], entry.signature);
    if (!verified) return std::move(verified).error().with_context(where);
    // Weights were summed without overflow when the quorum was computed, so no part overflows.
    power += weights.empty() ? 1 : weights[index];
  }
  return power;
}

core::Result<FiscoSealReport> finish(const core::Hash32& hash, std::uint64_t power, std::uint64_t quorum) {
  if (power < quorum) {
    return core::Error(reason::fisco::kQuorumNotMet,
                       std::to_string(power) + " signed, " + std::to_string(quorum) + " needed");
  }
  return FiscoSealReport{hash, power, quorum};
}

}  // namespace

std::uint64_t fisco_quorum(std::uint64_t total) noexcept { return total == 0 ? 0 : total - (total - 1) / 3; }

core::Result<FiscoSealReport> verify_fisco2_seals(const Fisco2Header& header, FiscoCrypto crypto,
                                                  std::span<const core::Bytes> configured,
                                                  std::span<const FiscoSignature> signatures) {
  if (!same_sealers(header.sealer_list, configured)) {
    return core::Error(reason::fisco::kSealerSetMismatch, "block " + std::to_string(header.number));
  }
  const auto hash = fisco2_header_hash(header, crypto);
  // 2.x carries SM2 signatures as r‖s‖pub only (128 bytes).
  CW_TRY(auto power, signed_power(crypto, false, hash, configured, {}, signatures));
  return finish(hash, power, fisco_quorum(configured.size()));
}

core::Result<FiscoSealReport> verify_fisco3_seals(const Fisco3Header& header, Fisco3Layout layout,
                                                  FiscoCrypto crypto, std::span<const core::Bytes> configured,
                                                  std::span<const std::uint64_t> configured_weights,
                                                  std::span<const FiscoSignature> signatures) {
  CW_CHECK(validate_fisco3_header(header));
  if (!std::ranges::equal(header.sealer_list, configured) ||
      !std::ranges::equal(header.consensus_weights, configured_weights)) {
    return core::Error(reason::fisco::kSealerSetMismatch, "block " + std::to_string(header.number));
  }
  std::uint64_t total = 0;
  for (auto weight : configured_weights) {
    if (weight > std::numeric_limits<std::uint64_t>::max() - total) {
      return core::Error(reason::fisco::kBadWeights, "total weight overflows");
    }
    total += weight;
  }
  if (total == 0) return core::Error(reason::fisco::kBadWeights, "total weight is zero");
  const auto hash = fisco3_header_hash(header, layout, crypto);
  CW_TRY(auto power, signed_power(crypto, true, hash, configured, configured_weights, signatures));
  return finish(hash, power, fisco_quorum(total));
}

}  // namespace causeway::verify
