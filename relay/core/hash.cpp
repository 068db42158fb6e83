// Keccak-256 uses Crypto++ (OpenSSL 3.0 has no Keccak with the original padding); SHA-256 and
// SM3 use OpenSSL EVP with the algorithm fetched once per process and one context per thread.
#include "relay/core/hash.hpp"

#include <cryptopp/keccak.h>
#include <openssl/evp.h>

#include <cstdlib>
#include <memory>

namespace causeway::core {
namespace {

struct EvpMdDeleter {
  void operator()(EVP_MD* md) const noexcept { EVP_MD_free(md); }
};
struct EvpMdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const noexcept { EVP_MD_CTX_free(ctx); }
};

// A fetched digest and a per-thread context reused across calls.
class EvpDigest {
 public:
  explicit EvpDigest(const char* name) : md_(EVP_MD_fetch(nullptr, name, nullptr)) {
    if (!md_) std::abort();  // the algorithm is part of every OpenSSL 3 default provider
  }

  Hash32 digest(std::initializer_list<ByteView> parts) const noexcept {
    thread_local std::unique_ptr<EVP_MD_CTX, EvpMdCtxDeleter> ctx(EVP_MD_CTX_new());
    Hash32 out;
    unsigned int len = 0;
    if (!ctx || EVP_DigestInit_ex2(ctx.get(), md_.get(), nullptr) != 1) std::abort();
    for (auto part : parts) {
      if (EVP_DigestUpdate(ctx.get(), part.data(), part.size()) != 1) std::abort();
    }
    if (EVP_DigestFinal_ex(ctx.get(), out.data(), &len) != 1 || len != Hash32::kSize) std::abort();
    return out;
  }

 private:
  std::unique_ptr<EVP_MD, EvpMdDeleter> md_;
};

const EvpDigest& sha256_digest() {
  static const EvpDigest digest("SHA256");
  return digest;
}

const EvpDigest& sm3_digest() {
  static const EvpDigest digest("SM3");
  return digest;
}

}  // namespace

Hash32 keccak256(std::initializer_list<ByteView> parts) noexcept {
  // One hasher per thread: constructing a Crypto++ hash object costs more than hashing 32 bytes.
  // Final() resets it for the next call.
  thread_local CryptoPP::Keccak_256 hasher;
  for (auto part : parts) hasher.Update(part.data(), part.size());
  Hash32 out;
  hasher.Final(out.data());
  return out;
}

Hash32 keccak256(ByteView data) noexcept { return keccak256({data}); }

struct Keccak256::State {
  CryptoPP::Keccak_256 hasher;
};

Keccak256::Keccak256() : state_(std::make_unique<State>()) {}
Keccak256::Keccak256(const Keccak256& other) : state_(std::make_unique<State>(*other.state_)) {}
Keccak256& Keccak256::operator=(const Keccak256& other) {
  if (this != &other) *state_ = *other.state_;
  return *this;
}
Keccak256::Keccak256(Keccak256&&) noexcept = default;
Keccak256& Keccak256::operator=(Keccak256&&) noexcept = default;
Keccak256::~Keccak256() = default;

Keccak256& Keccak256::update(ByteView data) noexcept {
  state_->hasher.Update(data.data(), data.size());
  return *this;
}

Hash32 Keccak256::digest() const noexcept {
  CryptoPP::Keccak_256 last = state_->hasher;  // Final() resets the hasher it runs on
  Hash32 out;
  last.Final(out.data());
  return out;
}

Hash32 sha256(std::initializer_list<ByteView> parts) noexcept { return sha256_digest().digest(parts); }
Hash32 sha256(ByteView data) noexcept { return sha256({data}); }
Hash32 sm3(std::initializer_list<ByteView> parts) noexcept { return sm3_digest().digest(parts); }
Hash32 sm3(ByteView data) noexcept { return sm3({data}); }

}  // namespace causeway::core
