// Hex-prefix ("compact") encoding of trie nibble paths (yellow paper appendix C), and a zero-copy
// nibble view shared by the trie builder and the proof verifier. THREATS.md class 12.
#pragma once

#include <cstddef>
#include <cstdint>

#include "relay/core/bytes.hpp"
#include "relay/core/result.hpp"

namespace causeway::core::hex_prefix {

namespace reason {
inline constexpr Reason kEmpty{"hex_prefix.empty"};
// The flag nibble is not 0..3 (extension/leaf × even/odd).
inline constexpr Reason kBadFlag{"hex_prefix.bad_flag"};
// An even path's padding nibble is not zero: the Polygon Plasma bug (many encodings, one path).
inline constexpr Reason kNonZeroPadding{"hex_prefix.nonzero_padding"};
}  // namespace reason

// A run of nibbles over a byte buffer (high nibble first), without copying.
class NibbleView {
 public:
  NibbleView() = default;
  // Every nibble of `bytes`.
  explicit NibbleView(ByteView bytes) noexcept : bytes_(bytes), begin_(0), size_(2 * bytes.size()) {}
  // `size` nibbles of `bytes` starting at nibble `begin`; the caller keeps them in range.
  NibbleView(ByteView bytes, std::size_t begin, std::size_t size) noexcept
      : bytes_(bytes), begin_(begin), size_(size) {}

  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  std::uint8_t operator[](std::size_t i) const noexcept {
    const std::size_t at = begin_ + i;
    const std::uint8_t byte = bytes_[at / 2];
    return (at % 2 == 0) ? static_cast<std::uint8_t>(byte >> 4) : static_cast<std::uint8_t>(byte & 0x0f);
  }
  // The nibbles after the first `count` (count <= size()).
  NibbleView drop_front(std::size_t count) const noexcept { return {bytes_, begin_ + count, size_ - count}; }
  NibbleView first(std::size_t count) const noexcept { return {bytes_, begin_, count}; }
  bool starts_with(const NibbleView& prefix) const noexcept;
  friend bool operator==(const NibbleView& a, const NibbleView& b) noexcept {
    return a.size_ == b.size_ && a.starts_with(b);
  }

 private:
  ByteView bytes_;
  std::size_t begin_ = 0;
  std::size_t size_ = 0;
};

// A decoded compact path; `path` views the caller's bytes.
struct Decoded {
  bool is_leaf = false;
  NibbleView path;
};

// Compact encoding of `path` with the leaf (terminator) flag.
Bytes encode(const NibbleView& path, bool is_leaf);
// Strict decoding: exactly one canonical encoding is accepted for each (path, flag).
Result<Decoded> decode(ByteView compact) noexcept;

}  // namespace causeway::core::hex_prefix
