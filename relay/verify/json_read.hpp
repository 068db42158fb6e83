// Strict, bounded reading of the verifier's JSON inputs (bundles, trust anchors): size and nesting
// checked before parsing, unknown fields refused, and every error naming its JSON path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "relay/core/bytes.hpp"
#include "relay/core/result.hpp"

namespace causeway::verify::json_read {

namespace reason {
inline constexpr core::Reason kTooLarge{"json.too_large"};
inline constexpr core::Reason kTooDeep{"json.too_deep"};
inline constexpr core::Reason kSyntax{"json.syntax"};
inline constexpr core::Reason kMissingField{"json.missing_field"};
inline constexpr core::Reason kUnknownField{"json.unknown_field"};
// A value of the wrong type or form, or out of its bounds.
inline constexpr core::Reason kBadField{"json.bad_field"};
}  // namespace reason

// Parses text of at most max_bytes whose arrays and objects nest at most max_depth deep; both are
// checked by a scan before the recursive parser runs, so hostile input cannot exhaust the stack.
core::Result<nlohmann::json> parse_bounded(std::string_view text, std::size_t max_bytes, std::size_t max_depth);

// "a.b" / "a[3]" path building; the root is the empty path.
std::string field_path(std::string_view parent, std::string_view field);
std::string index_path(std::string_view parent, std::size_t index);

core::Error bad(std::string_view path, std::string_view why);

// Requires an object whose keys are all in `required` or `optional` and that holds every
// `required` key.
core::Result<void> check_object(const nlohmann::json& value, std::string_view path,
                                std::initializer_list<std::string_view> required,
                                std::initializer_list<std::string_view> optional = {});

// 0x then lower-case hex digits, even in number, decoding to at most max_bytes.
core::Result<core::Bytes> read_hex(const nlohmann::json& value, std::string_view path, std::size_t max_bytes);

template <typename Fixed>
core::Result<Fixed> read_fixed(const nlohmann::json& value, std::string_view path) {
  CW_TRY(const core::Bytes raw, read_hex(value, path, Fixed::kSize));
  if (raw.size() != Fixed::kSize) return bad(path, "expected " + std::to_string(Fixed::kSize) + " bytes");
  return Fixed::from(raw);
}

// A uint64 as a canonical decimal string (no sign, no leading zeros).
core::Result<std::uint64_t> read_decimal(const nlohmann::json& value, std::string_view path);
// A JSON integer in [0, max].
core::Result<std::uint64_t> read_uint(const nlohmann::json& value, std::string_view path, std::uint64_t max);
core::Result<std::string> read_string(const nlohmann::json& value, std::string_view path, std::size_t max_length);
core::Result<bool> read_bool(const nlohmann::json& value, std::string_view path);
// An array of at most max_items items.
core::Result<void> check_array(const nlohmann::json& value, std::string_view path, std::size_t max_items);

}  // namespace causeway::verify::json_read
