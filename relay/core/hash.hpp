// Hash functions: Keccak-256 (Crypto++), SHA-256 and SM3 (OpenSSL EVP, fetched once and reused).
#pragma once

#include <initializer_list>
#include <memory>

#include "relay/core/bytes.hpp"

namespace causeway::core {

Hash32 keccak256(ByteView data) noexcept;
// Hash of the concatenation of the parts, without building the concatenation.
Hash32 keccak256(std::initializer_list<ByteView> parts) noexcept;
// Keccak-256 absorbed piece by piece, with a state that can be copied: a hasher that has taken a
// prefix shared by many inputs is copied for each of them, so the prefix is absorbed once (every
// bundle of one source transaction starts with the same inclusion proof, tens of KB).
class Keccak256 {
 public:
  Keccak256();
  Keccak256(const Keccak256& other);
  Keccak256& operator=(const Keccak256& other);
  Keccak256(Keccak256&&) noexcept;
  Keccak256& operator=(Keccak256&&) noexcept;
  ~Keccak256();

  Keccak256& update(ByteView data) noexcept;
  // The hash of everything absorbed so far; the hasher keeps its state.
  Hash32 digest() const noexcept;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

Hash32 sha256(ByteView data) noexcept;
Hash32 sha256(std::initializer_list<ByteView> parts) noexcept;
Hash32 sm3(ByteView data) noexcept;
Hash32 sm3(std::initializer_list<ByteView> parts) noexcept;

}  // namespace causeway::core
