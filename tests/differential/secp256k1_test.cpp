// Differential test: our RFC 6979 recoverable signatures and ecrecover against ethers'
// SigningKey on random keys and digests: same (r, s, v) bytes, same public key and address.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <string>

#include "relay/core/secp256k1.hpp"
#include "tests/differential/differential.hpp"
#include "tests/support/vectors.hpp"

namespace causeway::test::differential {
namespace {

template <typename Range>
bool equal_bytes(const Range& ours, const core::Bytes& theirs) {
  return std::equal(ours.begin(), ours.end(), theirs.begin(), theirs.end());
}

TEST_CASE("secp256k1 signing and recovery agree with ethers", "[differential][secp256k1]") {
  const auto file = load_family("secp256k1");
  Disagreements bad("secp256k1");
  std::size_t compared = 0;
  for (const auto& c : file.at("cases")) {
    const std::string key_hex = c.at("private_key").get<std::string>();
    const core::Bytes digest_bytes = hex(c.at("digest").get<std::string>());
    const core::Bytes public_key = hex(c.at("public_key").get<std::string>());
    const core::Bytes signature = hex(c.at("signature").get<std::string>());
    const core::Bytes address = hex(c.at("address").get<std::string>());
    const auto v = c.at("v").get<int>();
    ++compared;
    const std::string where = "key " + key_hex + ", digest " + show(digest_bytes) + ": ";

    auto key = core::PrivateKey::from_hex(key_hex);
    auto digest = core::Hash32::from(digest_bytes);
    REQUIRE(digest.ok());
    if (!key) {
      bad.add(where + "PrivateKey::from_hex rejects a key ethers accepts: " + key.error().message());
      continue;
    }
    const auto ours_public = core::public_key_of(*key).uncompressed();
    if (!equal_bytes(ours_public, public_key)) {
      bad.add(where + "public key ours " + show(ours_public) + ", ethers " + show(public_key));
    }
    const core::Address ours_address = core::address_of(*key);
    if (!equal_bytes(ours_address.bytes, address)) {
      bad.add(where + "address_of ours " + core::to_hex(ours_address) + ", ethers " + show(address));
    }

    auto signed_ = core::sign_recoverable(*digest, *key);
    if (!signed_) {
      bad.add(where + "sign_recoverable fails: " + signed_.error().message());
    } else {
      const auto rsv = signed_->to_rsv(core::VByte::k27or28);
      if (!equal_bytes(rsv, signature) || signed_->recovery_id + 27 != v) {
        bad.add(where + "signature ours " + show(rsv) + ", ethers " + show(signature));
      }
    }

    // ecrecover of ethers' signature, in its 27/28 form and in the 0/1 form.
    auto recovered = core::recover_address(*digest, signature, core::VByte::k27or28);
    core::Bytes zero_one = signature;
    zero_one[64] = static_cast<std::uint8_t>(zero_one[64] - 27);
    auto recovered01 = core::recover_address(*digest, zero_one, core::VByte::k0or1);
    if (!recovered || !equal_bytes(recovered->bytes, address)) {
      bad.add(where + "recover_address of ethers' " + show(signature) + " gives " +
              (recovered ? core::to_hex(*recovered) : recovered.error().message()) + ", ethers " + show(address));
    } else if (!recovered01 || *recovered01 != *recovered) {
      bad.add(where + "recover_address with v in 0/1 form gives " +
              (recovered01 ? core::to_hex(*recovered01) : recovered01.error().message()));
    }
  }
  bad.finish(file, compared);
}

}  // namespace
}  // namespace causeway::test::differential
