// Who signs for an Ethereum address: the one interface behind vote and transaction signing, so a
// key may live in this process (a keystore or raw key file) or in an HSM that never lets it out.
#pragma once

#include <memory>

#include "relay/core/bytes.hpp"
#include "relay/core/result.hpp"
#include "relay/core/secp256k1.hpp"

namespace causeway::core {

class Secp256k1Signer {
 public:
  virtual ~Secp256k1Signer() = default;

  // Known before the first signature (read from the key), so a misconfigured key is refused at
  // start-up rather than at the first vote.
  virtual const Address& address() const noexcept = 0;
  // A low-s signature over a 32-byte digest whose recovery id makes it recover to address().
  // Thread-safe.
  virtual Result<RecoverableSignature> sign(const Hash32& digest) const = 0;

 protected:
  Secp256k1Signer() = default;
  Secp256k1Signer(const Secp256k1Signer&) = default;
  Secp256k1Signer& operator=(const Secp256k1Signer&) = default;
};

// Shared because one key serves every component writing with it (the sink of a chain is rebuilt
// after an outage; an HSM session is opened once, not per user).
using SignerPtr = std::shared_ptr<const Secp256k1Signer>;

// A key held in this process (RFC 6979 deterministic signing through libsecp256k1).
class LocalSigner final : public Secp256k1Signer {
 public:
  explicit LocalSigner(PrivateKey key) : key_(std::move(key)), address_(address_of(key_)) {}
  static SignerPtr make(PrivateKey key) { return std::make_shared<const LocalSigner>(std::move(key)); }

  const Address& address() const noexcept override { return address_; }
  Result<RecoverableSignature> sign(const Hash32& digest) const override { return sign_recoverable(digest, key_); }

 private:
  PrivateKey key_;
  Address address_;
};

}  // namespace causeway::core
