// Hex-prefix encoding and strict decoding (see hex_prefix.hpp).
#include "relay/core/hex_prefix.hpp"

namespace causeway::core::hex_prefix {
namespace {

constexpr std::uint8_t kOddFlag = 1;
constexpr std::uint8_t kLeafFlag = 2;

}  // namespace

bool NibbleView::starts_with(const NibbleView& prefix) const noexcept {
  if (prefix.size_ > size_) return false;
  for (std::size_t i = 0; i < prefix.size_; ++i) {
    if ((*this)[i] != prefix[i]) return false;
  }
  return true;
}

Bytes encode(const NibbleView& path, bool is_leaf) {
  const bool odd = path.size() % 2 == 1;
  const auto flag = static_cast<std::uint8_t>((is_leaf ? kLeafFlag : 0) | (odd ? kOddFlag : 0));
  Bytes out;
  out.reserve(path.size() / 2 + 1);
  std::size_t i = 0;
  if (odd) {
    out.push_back(static_cast<std::uint8_t>((flag << 4) | path[0]));
    i = 1;
  } else {
    out.push_back(static_cast<std::uint8_t>(flag << 4));
  }
  for (; i < path.size(); i += 2) out.push_back(static_cast<std::uint8_t>((path[i] << 4) | path[i + 1]));
  return out;
}

Result<Decoded> decode(ByteView compact) noexcept {
  if (compact.empty()) return Error(reason::kEmpty);
  const std::uint8_t flag = compact[0] >> 4;
  if (flag > (kLeafFlag | kOddFlag)) return Error(reason::kBadFlag);
  const bool odd = (flag & kOddFlag) != 0;
  // Without this check 16 different first bytes name the same even path.
  if (!odd && (compact[0] & 0x0f) != 0) return Error(reason::kNonZeroPadding);
  const std::size_t skip = odd ? 1 : 2;
  return Decoded{(flag & kLeafFlag) != 0, NibbleView(compact, skip, 2 * compact.size() - skip)};
}

}  // namespace causeway::core::hex_prefix
