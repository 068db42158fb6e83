// Strict JSON reading helpers (see json_read.hpp).
#include "relay/verify/json_read.hpp"

#include <charconv>

namespace causeway::verify::json_read {

core::Result<nlohmann::json> parse_bounded(std::string_view text, std::size_t max_bytes, std::size_t max_depth) {
  if (text.size() > max_bytes) {
    return core::Error(reason::kTooLarge, std::to_string(text.size()) + " bytes, limit " + std::to_string(max_bytes));
  }
  // Nesting outside strings; brackets inside strings (after an unescaped quote) do not count.
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return core::Error(reason::kTooDeep, "nesting deeper than " + std::to_string(max_depth));
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  nlohmann::json parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return core::Error(reason::kSyntax, "not valid JSON");
  return parsed;
}

std::string field_path(std::string_view parent, std::string_view field) {
  if (parent.empty()) return std::string(field);
  return std::string(parent) + "." + std::string(field);
}

std::string index_path(std::string_view parent, std::size_t index) {
  return std::string(parent) + "[" + std::to_string(index) + "]";
}

core::Error bad(std::string_view path, std::string_view why) {
  return core::Error(reason::kBadField, std::string(path.empty() ? "(root)" : path) + ": " + std::string(why));
}

core::Result<void> check_object(const nlohmann::json& value, std::string_view path,
                                std::initializer_list<std::string_view> required,
                                std::initializer_list<std::string_view> optional) {
  if (!value.is_object()) return bad(path, "expected an object");
  for (const auto& item : value.items()) {
    bool known = false;
    for (auto name : required) known = known || item.key() == name;
    for (auto name : optional) known = known || item.key() == name;
    if (!known) return core::Error(reason::kUnknownField, field_path(path, item.key()));
  }
  for (auto name : required) {
    if (!value.contains(std::string(name))) return core::Error(reason::kMissingField, field_path(path, name));
  }
  return core::ok();
}

core::Result<core::Bytes> read_hex(const nlohmann::json& value, std::string_view path, std::size_t max_bytes) {
  if (!value.is_string()) return bad(path, "expected a 0x-prefixed hex string");
  const auto& text = value.get_ref<const std::string&>();
  if (text.size() < 2 || text[0] != '0' || text[1] != 'x') return bad(path, "bad hex: missing 0x prefix");
  if (text.size() % 2 != 0) return bad(path, "bad hex: odd number of digits");
  // Checked before decoding so an oversized value is never allocated.
  if ((text.size() - 2) / 2 > max_bytes) {
    return bad(path, std::to_string((text.size() - 2) / 2) + " bytes, limit " + std::to_string(max_bytes));
  }
  for (std::size_t i = 2; i < text.size(); ++i) {
    const char c = text[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return bad(path, "bad hex: not lower-case hex");
  }
  auto raw = core::from_hex(text);
  if (!raw) return bad(path, "bad hex: " + raw.error().message());
  return std::move(raw).value();
}

core::Result<std::uint64_t> read_decimal(const nlohmann::json& value, std::string_view path) {
  if (!value.is_string()) return bad(path, "expected a decimal string");
  const auto& text = value.get_ref<const std::string&>();
  if (text.empty() || (text.size() > 1 && text[0] == '0')) return bad(path, "not a canonical decimal");
  std::uint64_t out = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec != std::errc{} || end != text.data() + text.size()) return bad(path, "not a uint64 decimal");
  return out;
}

core::Result<std::uint64_t> read_uint(const nlohmann::json& value, std::string_view path, std::uint64_t max) {
  // Integers only: 1.0 and "1" are refused; a value built in code may be stored signed.
  if (!value.is_number_integer()) return bad(path, "expected an integer");
  if (!value.is_number_unsigned() && value.get<std::int64_t>() < 0) return bad(path, "negative");
  const auto out = value.get<std::uint64_t>();
  if (out > max) return bad(path, "above " + std::to_string(max));
  return out;
}

core::Result<std::string> read_string(const nlohmann::json& value, std::string_view path, std::size_t max_length) {
  if (!value.is_string()) return bad(path, "expected a string");
  const auto& text = value.get_ref<const std::string&>();
  if (text.empty() || text.size() > max_length) {
    return bad(path, "expected 1 to " + std::to_string(max_length) + " characters");
  }
  return text;
}

core::Result<bool> read_bool(const nlohmann::json& value, std::string_view path) {
  if (!value.is_boolean()) return bad(path, "expected true or false");
  return value.get<bool>();
}

core::Result<void> check_array(const nlohmann::json& value, std::string_view path, std::size_t max_items) {
  if (!value.is_array()) return bad(path, "expected an array");
  if (value.size() > max_items) {
    return bad(path, std::to_string(value.size()) + " items, limit " + std::to_string(max_items));
  }
  return core::ok();
}

}  // namespace causeway::verify::json_read
