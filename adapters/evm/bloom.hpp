// The logs bloom of EVM headers and receipts (yellow paper section 4.3.1, M3:2048): each log's
// address and topics set three of 2,048 bits, each chosen by a pair of bytes of the item's
// Keccak-256. A bloom without one of an item's bits never had the item added; one with all three
// may have.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "relay/core/bytes.hpp"

namespace causeway::evm {

inline constexpr std::size_t kBloomBytes = 256;
using LogsBloom = std::array<std::uint8_t, kBloomBytes>;

void bloom_add(LogsBloom& bloom, core::ByteView item) noexcept;
// False only when `bloom` (256 bytes) lacks one of `item`'s bits; a bloom of another size tells
// nothing, so true.
bool bloom_may_contain(core::ByteView bloom, core::ByteView item) noexcept;

}  // namespace causeway::evm
