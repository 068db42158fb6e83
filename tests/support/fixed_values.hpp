// Keys and fixed-size values that a test builds from a literal, so a failure names a value one can
// recognise (0x77… is the gateway) rather than a random one.
#pragma once

#include <cstdint>
#include <string_view>

#include "relay/core/secp256k1.hpp"

namespace causeway::test {

// The private key of 64 hex digits; the literal is the test's own, so a bad one is a test bug.
inline core::PrivateKey key_of(std::string_view hex) { return core::PrivateKey::from_hex(hex).value(); }

// A fixed-size value (Address, Hash32, ChainIdentity …) whose every byte is `byte`.
template <typename Fixed>
Fixed filled(std::uint8_t byte) {
  Fixed out;
  out.bytes.fill(byte);
  return out;
}

}  // namespace causeway::test
