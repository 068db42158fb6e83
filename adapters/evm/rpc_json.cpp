// Strict JSON-RPC hex readers; every error names the field it is about.
#include "adapters/evm/rpc_json.hpp"

#include <string>

namespace causeway::evm {
namespace {

using core::Error;

Error field_error(core::Reason why, std::string_view name, std::string_view what) {
  return Error(why, std::string(name) + ": " + std::string(what));
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The digits after "0x", each checked; the string itself stays in the JSON value.
core::Result<std::string_view> hex_digits(const Json& value, std::string_view name) {
  if (!value.is_string()) return field_error(reason::rpc_json::kBadHex, name, "not a string");
  const auto& text = value.get_ref<const std::string&>();
  if (text.size() < 2 || text[0] != '0' || (text[1] != 'x' && text[1] != 'X')) {
    return field_error(reason::rpc_json::kBadHex, name, "no 0x prefix");
  }
  std::string_view digits(text);
  digits.remove_prefix(2);
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (hex_value(digits[i]) < 0) {
      return field_error(reason::rpc_json::kBadHex, name, "bad hex digit at offset " + std::to_string(i + 2));
    }
  }
  return digits;
}

core::Result<std::string_view> quantity_digits(const Json& value, std::string_view name) {
  auto digits = hex_digits(value, name);
  if (!digits) return std::move(digits).error();
  if (digits->empty()) return field_error(reason::rpc_json::kNonCanonicalQuantity, name, "no digits");
  if (digits->size() > 1 && (*digits)[0] == '0') {
    return field_error(reason::rpc_json::kNonCanonicalQuantity, name, "leading zero");
  }
  return *digits;
}

}  // namespace

core::Result<const Json*> json_member(const Json& object, std::string_view field, std::string_view where) {
  const std::string path = where.empty() ? std::string(field) : std::string(where) + "." + std::string(field);
  if (!object.is_object()) return Error(reason::rpc_json::kNotObject, std::string(where));
  const auto it = object.find(field);
  if (it == object.end() || it->is_null()) return Error(reason::rpc_json::kMissingField, path);
  return &*it;
}

bool json_present(const Json& object, std::string_view field) {
  const auto it = object.find(field);
  return it != object.end() && !it->is_null();
}

core::Result<std::uint64_t> quantity_u64(const Json& value, std::string_view name) {
  CW_TRY(const auto digits, quantity_digits(value, name));
  if (digits.size() > 16) return field_error(reason::rpc_json::kBadSize, name, "wider than 64 bits");
  std::uint64_t out = 0;
  for (char c : digits) out = (out << 4) | static_cast<std::uint64_t>(hex_value(c));
  return out;
}

core::Result<core::Bytes> quantity_bytes(const Json& value, std::string_view name, std::size_t max_bytes) {
  CW_TRY(const auto digits, quantity_digits(value, name));
  if (digits == "0") return core::Bytes{};
  if ((digits.size() + 1) / 2 > max_bytes) {
    return field_error(reason::rpc_json::kBadSize, name, "wider than " + std::to_string(max_bytes) + " bytes");
  }
  core::Bytes out((digits.size() + 1) / 2);
  // An odd digit count puts the first digit alone in the first byte.
  std::size_t at = 0;
  std::size_t byte = 0;
  if (digits.size() % 2 == 1) {
    out[byte++] = static_cast<std::uint8_t>(hex_value(digits[at++]));
  }
  for (; at < digits.size(); at += 2) {
    out[byte++] = static_cast<std::uint8_t>(hex_value(digits[at]) << 4 | hex_value(digits[at + 1]));
  }
  return out;
}

core::Result<core::Bytes> data_any(const Json& value, std::string_view name) {
  CW_TRY(const auto digits, hex_digits(value, name));
  if (digits.size() % 2 != 0) return field_error(reason::rpc_json::kBadHex, name, "odd number of digits");
  auto bytes = core::from_hex(digits);
  if (!bytes) return std::move(bytes).error().with_context(name);
  return std::move(bytes).value();
}

core::Result<core::Bytes> data_exact(const Json& value, std::string_view name, std::size_t size) {
  CW_TRY(auto bytes, data_any(value, name));
  if (bytes.size() != size) {
    return field_error(reason::rpc_json::kBadSize, name,
                       "expected " + std::to_string(size) + " bytes, got " + std::to_string(bytes.size()));
  }
  return bytes;
}

std::string to_quantity(std::uint64_t value) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out = "0x";
  bool started = false;
  for (int shift = 60; shift >= 0; shift -= 4) {
    const auto nibble = static_cast<unsigned>(value >> shift) & 0xfu;
    if (nibble != 0 || started || shift == 0) {
      out += kDigits[nibble];
      started = true;
    }
  }
  return out;
}

}  // namespace causeway::evm
