// Strict readers for Ethereum JSON-RPC values (QUANTITY and DATA hex strings) inside node JSON.
// Shared by header_json, receipt_json and source so every field is checked the same way.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "relay/core/bytes.hpp"
#include "relay/core/result.hpp"

namespace causeway::evm {

namespace reason::rpc_json {
// A field the encoding needs is absent (or null).
inline constexpr core::Reason kMissingField{"evm_json.missing_field"};
// A field that is not a string, or not "0x" followed by hex digits.
inline constexpr core::Reason kBadHex{"evm_json.bad_hex"};
// A QUANTITY with leading zeros ("0x01", "0x"), which the JSON-RPC spec forbids.
inline constexpr core::Reason kNonCanonicalQuantity{"evm_json.non_canonical_quantity"};
// A DATA field of the wrong length, or a QUANTITY wider than its type.
inline constexpr core::Reason kBadSize{"evm_json.bad_size"};
// The value is not a JSON object / array where one is required.
inline constexpr core::Reason kNotObject{"evm_json.not_object"};
inline constexpr core::Reason kNotArray{"evm_json.not_array"};
}  // namespace reason::rpc_json

using Json = nlohmann::json;

// The member `field` of `object`; kMissingField (naming `where.field`) when absent or null.
core::Result<const Json*> json_member(const Json& object, std::string_view field, std::string_view where);
// Whether `object` has `field` with a value other than null (nodes write optional fields either way).
bool json_present(const Json& object, std::string_view field);

// A QUANTITY ("0x0", "0x1a"): lower- or upper-case digits, no leading zeros.
core::Result<std::uint64_t> quantity_u64(const Json& value, std::string_view name);
// A QUANTITY of up to max_bytes bytes, as minimal big-endian bytes (zero is empty).
core::Result<core::Bytes> quantity_bytes(const Json& value, std::string_view name, std::size_t max_bytes);
// DATA of any length ("0x" is empty).
core::Result<core::Bytes> data_any(const Json& value, std::string_view name);
// DATA of exactly `size` bytes.
core::Result<core::Bytes> data_exact(const Json& value, std::string_view name, std::size_t size);

template <typename Fixed>
core::Result<Fixed> data_fixed(const Json& value, std::string_view name) {
  auto bytes = data_exact(value, name, Fixed::kSize);
  if (!bytes) return std::move(bytes).error();
  return Fixed::from(*bytes);
}

// "0x" + minimal hex, as JSON-RPC writes a QUANTITY.
std::string to_quantity(std::uint64_t value);

}  // namespace causeway::evm
