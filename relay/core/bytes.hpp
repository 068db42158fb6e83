// Byte containers, strong fixed-size types and hex conversion. Hex exists only at the edges
// (config, JSON, logs); the core passes bytes and strong types.
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "relay/core/result.hpp"

namespace causeway::core {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

namespace reason {
inline constexpr Reason kHexOddLength{"hex.odd_length"};
inline constexpr Reason kHexBadDigit{"hex.bad_digit"};
inline constexpr Reason kBytesWrongLength{"bytes.wrong_length"};
}  // namespace reason

// A fixed-size byte string; Tag keeps e.g. a Hash32 and a ChainIdentity from mixing.
template <std::size_t N, typename Tag>
struct FixedBytes {
  static constexpr std::size_t kSize = N;
  std::array<std::uint8_t, N> bytes{};

  static Result<FixedBytes> from(ByteView view) {
    if (view.size() != N) {
      return Error(reason::kBytesWrongLength,
                   "expected " + std::to_string(N) + " bytes, got " + std::to_string(view.size()));
    }
    FixedBytes out;
    for (std::size_t i = 0; i < N; ++i) out.bytes[i] = view[i];
    return out;
  }

  ByteView view() const noexcept { return {bytes.data(), N}; }
  const std::uint8_t* data() const noexcept { return bytes.data(); }
  std::uint8_t* data() noexcept { return bytes.data(); }
  static constexpr std::size_t size() noexcept { return N; }
  bool is_zero() const noexcept {
    for (auto b : bytes) if (b != 0) return false;
    return true;
  }
  friend auto operator<=>(const FixedBytes&, const FixedBytes&) = default;
};

struct Hash32Tag {};
struct AddressTag {};
struct ChainIdentityTag {};
struct Word32Tag {};

using Hash32 = FixedBytes<32, Hash32Tag>;
using Address = FixedBytes<20, AddressTag>;
// PROTOCOL.md section 1: keccak256(abi.encode(family, chainKey, genesisHash)).
using ChainIdentity = FixedBytes<32, ChainIdentityTag>;
// A 32-byte ABI word that is not a hash (left-padded addresses, sender, receiver).
using Word32 = FixedBytes<32, Word32Tag>;

// Strong integer wrappers for quantities that are easy to mix up.
template <typename Tag>
struct StrongU64 {
  std::uint64_t value = 0;
  friend auto operator<=>(const StrongU64&, const StrongU64&) = default;
};
struct SequenceTag {};
struct HeightTag {};
struct EvmChainIdTag {};
using Sequence = StrongU64<SequenceTag>;
using Height = StrongU64<HeightTag>;

// Hex with or without a 0x prefix, either case.
Result<Bytes> from_hex(std::string_view text);
// Lower-case hex; with_prefix adds "0x".
std::string to_hex(ByteView bytes, bool with_prefix = true);

template <typename Fixed>
Result<Fixed> fixed_from_hex(std::string_view text) {
  auto raw = from_hex(text);
  if (!raw) return std::move(raw).error();
  return Fixed::from(*raw);
}

template <std::size_t N, typename Tag>
std::string to_hex(const FixedBytes<N, Tag>& fixed, bool with_prefix = true) {
  return to_hex(fixed.view(), with_prefix);
}

namespace detail {
consteval std::uint8_t hex_nibble(char c) {
  if (c >= '0' && c <= '9') return static_cast<std::uint8_t>(c - '0');
  if (c >= 'a' && c <= 'f') return static_cast<std::uint8_t>(c - 'a' + 10);
  throw std::invalid_argument("not a lower-case hex digit");  // a compile error in consteval
}
}  // namespace detail

// A fixed-size constant from "0x" and 2·N lower-case hex digits, checked at compile time.
template <typename Fixed>
consteval Fixed fixed_literal(std::string_view hex) {
  if (hex.size() != 2 + 2 * Fixed::kSize || hex[0] != '0' || hex[1] != 'x') {
    throw std::invalid_argument("need 0x and two hex digits per byte");
  }
  Fixed out;
  for (std::size_t i = 0; i < Fixed::kSize; ++i) {
    out.bytes[i] = static_cast<std::uint8_t>(detail::hex_nibble(hex[2 + 2 * i]) << 4 |
                                             detail::hex_nibble(hex[3 + 2 * i]));
  }
  return out;
}

inline ByteView as_bytes(std::string_view text) noexcept {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

inline void append(Bytes& out, ByteView more) { out.insert(out.end(), more.begin(), more.end()); }

// Left-pads a 20-byte address into a 32-byte ABI word (PROTOCOL.md: "address left-padded").
Word32 address_word(const Address& address) noexcept;
// The low 20 bytes of a word; fails if the 12 high bytes are not zero.
Result<Address> word_address(const Word32& word);

// Big-endian minimal encoding of an unsigned integer (0 -> empty), as RLP and EVM use it.
Bytes be_minimal(std::uint64_t value);

// Compares in time independent of where the first difference is (for secrets and MACs).
bool constant_time_equal(ByteView a, ByteView b) noexcept;

}  // namespace causeway::core
