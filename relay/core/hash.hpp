// Hash functions: Keccak-256 (Crypto++), SHA-256 and SM3 (OpenSSL EVP, fetched once and reused).
#pragma once

#include <initializer_list>

#include "relay/core/bytes.hpp"

namespace causeway::core {

Hash32 keccak256(ByteView data) noexcept;
// Hash of the concatenation of the parts, without building the concatenation.
Hash32 keccak256(std::initializer_list<ByteView> parts) noexcept;
Hash32 sha256(ByteView data) noexcept;
Hash32 sha256(std::initializer_list<ByteView> parts) noexcept;
Hash32 sm3(ByteView data) noexcept;
Hash32 sm3(std::initializer_list<ByteView> parts) noexcept;

}  // namespace causeway::core
