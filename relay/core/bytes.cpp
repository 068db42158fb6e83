// Hex conversion and small byte utilities.
#include "relay/core/bytes.hpp"

namespace causeway::core {
namespace {

int hex_digit(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Result<Bytes> from_hex(std::string_view text) {
  if (text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) text.remove_prefix(2);
  if (text.size() % 2 != 0) {
    return Error(reason::kHexOddLength, std::to_string(text.size()) + " digits");
  }
  Bytes out(text.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = hex_digit(text[2 * i]);
    const int lo = hex_digit(text[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return Error(reason::kHexBadDigit, "at offset " + std::to_string(2 * i + (hi < 0 ? 0 : 1)));
    }
    out[i] = static_cast<std::uint8_t>((hi << 4) | lo);
  }
  return out;
}

std::string to_hex(ByteView bytes, bool with_prefix) {
  static constexpr char kDigits[] = "0123456789abcdef";
  // Written in place: bundles print receipts and proofs of tens of kilobytes, and appending a
  // character at a time (a capacity check each) showed in the relay's profile.
  const std::size_t prefix = with_prefix ? 2 : 0;
  std::string out(prefix + bytes.size() * 2, '0');
  if (with_prefix) out[1] = 'x';
  char* digit = out.data() + prefix;
  for (const auto b : bytes) {
    *digit++ = kDigits[b >> 4];
    *digit++ = kDigits[b & 0x0f];
  }
  return out;
}

Word32 address_word(const Address& address) noexcept {
  Word32 word;
  for (std::size_t i = 0; i < Address::kSize; ++i) word.bytes[12 + i] = address.bytes[i];
  return word;
}

Result<Address> word_address(const Word32& word) {
  for (std::size_t i = 0; i < 12; ++i) {
    if (word.bytes[i] != 0) return Error(reason::kBytesWrongLength, "address word has non-zero high bytes");
  }
  return Address::from(ByteView(word.bytes).subspan(12));
}

Bytes be_minimal(std::uint64_t value) {
  Bytes out;
  for (int shift = 56; shift >= 0; shift -= 8) {
    const auto b = static_cast<std::uint8_t>(value >> shift);
    if (b != 0 || !out.empty()) out.push_back(b);
  }
  return out;
}

bool constant_time_equal(ByteView a, ByteView b) noexcept {
  if (a.size() != b.size()) return false;
  std::uint8_t diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<std::uint8_t>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace causeway::core
