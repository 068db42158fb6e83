// Shared fixtures for the store tests: a temporary directory that cleans up, a fixed clock,
// messages and hashes built from small integers.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "relay/core/bytes.hpp"
#include "relay/core/hash.hpp"
#include "relay/core/message.hpp"
#include "relay/store/store.hpp"
#include "tests/support/temp_dir.hpp"

namespace causeway::test {

inline constexpr std::uint64_t kTestTime = 1'700'000'000;

inline store::StoreOptions test_options() {
  store::StoreOptions options;
  options.clock = [] { return kTestTime; };
  return options;
}

// A distinct, non-zero 32-byte value per tag and number.
template <typename Fixed = core::Hash32>
Fixed fixed_of(std::string_view tag, std::uint64_t n) {
  const auto h = core::keccak256({core::as_bytes(tag), core::as_bytes(std::to_string(n))});
  Fixed out;
  for (std::size_t i = 0; i < Fixed::kSize; ++i) out.bytes[i] = h.bytes[i];
  return out;
}

inline core::Message test_message(std::uint64_t sequence) {
  core::Message m;
  m.src_chain = fixed_of<core::ChainIdentity>("src", 1);
  m.src_gateway = fixed_of<core::Word32>("src-gw", 1);
  m.dst_chain = fixed_of<core::ChainIdentity>("dst", 1);
  m.dst_gateway = fixed_of<core::Word32>("dst-gw", 1);
  m.receiver = fixed_of<core::Word32>("receiver", 1);
  m.sequence = core::Sequence{sequence};
  m.sender = fixed_of<core::Word32>("sender", 1);
  m.gas_limit = 100'000;
  m.payload = core::Bytes{0xca, 0xfe, static_cast<std::uint8_t>(sequence)};
  return m;
}

inline store::NewMessage new_message(std::uint64_t sequence) {
  return {test_message(sequence), fixed_of<core::Claim>("claim", sequence)};
}

inline store::Transition to_state(const core::MessageId& id, store::MessageState to, std::uint64_t n = 1) {
  store::Transition t;
  t.id = id;
  t.to = to;
  t.evidence = fixed_of("evidence", n);
  t.reason = "test.reason";
  return t;
}

}  // namespace causeway::test
