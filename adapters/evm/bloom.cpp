#include "adapters/evm/bloom.hpp"

#include "relay/core/hash.hpp"

namespace causeway::evm {

namespace {

// Calls f(byte index, mask) for the three bits `item` sets: bit b (0 to 2,047, the low 11 bits
// of hash bytes 2i and 2i + 1 read big-endian) counted from the bloom's last byte.
template <typename F>
void each_bit(core::ByteView item, F&& f) {
  const core::Hash32 hash = core::keccak256(item);
  for (std::size_t i = 0; i < 6; i += 2) {
    const unsigned bit = ((static_cast<unsigned>(hash.bytes[i]) << 8) | hash.bytes[i + 1]) & 2047u;
    f(kBloomBytes - 1 - bit / 8, static_cast<std::uint8_t>(1u << (bit % 8)));
  }
}

}  // namespace

void bloom_add(LogsBloom& bloom, core::ByteView item) noexcept {
  each_bit(item, [&](std::size_t at, std::uint8_t mask) { bloom[at] |= mask; });
}

bool bloom_may_contain(core::ByteView bloom, core::ByteView item) noexcept {
  if (bloom.size() != kBloomBytes) return true;
  bool all = true;
  each_bit(item, [&](std::size_t at, std::uint8_t mask) { all = all && (bloom[at] & mask) != 0; });
  return all;
}

}  // namespace causeway::evm
