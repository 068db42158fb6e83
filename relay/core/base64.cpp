// RFC 4648 base64, standard alphabet, padded; strict decoding (see base64.hpp).
#include "relay/core/base64.hpp"

#include <array>
#include <cstdint>

namespace causeway::core {
namespace {

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::uint8_t kInvalid = 0xff;

constexpr std::array<std::uint8_t, 256> make_decode_table() {
  std::array<std::uint8_t, 256> table{};
  table.fill(kInvalid);
  for (std::size_t i = 0; i < kAlphabet.size(); ++i) {
    table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::uint8_t>(i);
  }
  return table;
}
constexpr std::array<std::uint8_t, 256> kDecode = make_decode_table();

}  // namespace

std::string base64_encode(ByteView bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t group = std::uint32_t{bytes[i]} << 16 | std::uint32_t{bytes[i + 1]} << 8 | bytes[i + 2];
    out.push_back(kAlphabet[group >> 18]);
    out.push_back(kAlphabet[(group >> 12) & 0x3f]);
    out.push_back(kAlphabet[(group >> 6) & 0x3f]);
    out.push_back(kAlphabet[group & 0x3f]);
  }
  const std::size_t rest = bytes.size() - i;
  if (rest == 0) return out;
  const std::uint32_t group = std::uint32_t{bytes[i]} << 16 | (rest == 2 ? std::uint32_t{bytes[i + 1]} << 8 : 0);
  out.push_back(kAlphabet[group >> 18]);
  out.push_back(kAlphabet[(group >> 12) & 0x3f]);
  out.push_back(rest == 2 ? kAlphabet[(group >> 6) & 0x3f] : '=');
  out.push_back('=');
  return out;
}

Result<Bytes> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) {
    return Error(reason::base64::kBadLength, std::to_string(text.size()) + " characters, not a multiple of 4");
  }
  std::size_t padding = 0;
  while (padding < text.size() && text[text.size() - 1 - padding] == '=') ++padding;
  if (padding > 2) return Error(reason::base64::kBadPadding, std::to_string(padding) + " padding characters");
  const std::size_t digits = text.size() - padding;
  Bytes out;
  out.reserve(digits * 3 / 4);
  std::uint32_t accumulator = 0;
  for (std::size_t i = 0; i < digits; ++i) {
    const char c = text[i];
    const std::uint8_t value = kDecode[static_cast<unsigned char>(c)];
    if (value == kInvalid) {
      return Error(c == '=' ? reason::base64::kBadPadding : reason::base64::kBadCharacter,
                   "at offset " + std::to_string(i));
    }
    accumulator = accumulator << 6 | value;
    if (i % 4 == 3) {
      out.push_back(static_cast<std::uint8_t>(accumulator >> 16));
      out.push_back(static_cast<std::uint8_t>(accumulator >> 8));
      out.push_back(static_cast<std::uint8_t>(accumulator));
      accumulator = 0;
    }
  }
  // A padded group carries 2 digits (12 bits, 8 used) or 3 digits (18 bits, 16 used).
  if (padding == 2) {
    if ((accumulator & 0x0f) != 0) return Error(reason::base64::kNonCanonical, "unused bits of the last group set");
    out.push_back(static_cast<std::uint8_t>(accumulator >> 4));
  } else if (padding == 1) {
    if ((accumulator & 0x03) != 0) return Error(reason::base64::kNonCanonical, "unused bits of the last group set");
    out.push_back(static_cast<std::uint8_t>(accumulator >> 10));
    out.push_back(static_cast<std::uint8_t>(accumulator >> 2));
  }
  return out;
}

}  // namespace causeway::core
