// JSON conversion of Message; see message_json.hpp.
#include "relay/core/message_json.hpp"

#include <array>
#include <charconv>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace causeway::core {
namespace {

constexpr std::array<std::string_view, 12> kFields = {
    "version", "srcChain", "srcGateway", "dstChain", "dstGateway", "receiver",
    "sequence", "sender", "timeout", "gasLimit", "flags", "payload"};

Error bad(std::string_view field, std::string_view why) {
  return Error(reason::message_json::kBadField, std::string(field) + ": " + std::string(why));
}

// The schema's hex form: "0x" then lower-case digits, even in number.
Result<Bytes> read_hex(const nlohmann::json& j, std::string_view field) {
  const auto& value = j.at(std::string(field));
  if (!value.is_string()) return bad(field, "expected a 0x-prefixed hex string");
  const auto& text = value.get_ref<const std::string&>();
  if (text.size() < 2 || text[0] != '0' || text[1] != 'x') return bad(field, "missing 0x prefix");
  for (std::size_t i = 2; i < text.size(); ++i) {
    const char c = text[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return bad(field, "not lower-case hex");
  }
  auto raw = from_hex(text);
  if (!raw) return bad(field, raw.error().message());
  return std::move(raw).value();
}

template <typename Fixed>
Result<Fixed> read_fixed(const nlohmann::json& j, std::string_view field) {
  CW_TRY(const Bytes raw, read_hex(j, field));
  if (raw.size() != Fixed::kSize) return bad(field, "expected " + std::to_string(Fixed::kSize) + " bytes");
  return Fixed::from(raw);
}

// A uint64 as a canonical decimal string (no sign, no leading zeros).
Result<std::uint64_t> read_u64(const nlohmann::json& j, std::string_view field) {
  const auto& value = j.at(std::string(field));
  if (!value.is_string()) return bad(field, "expected a decimal string");
  const auto& text = value.get_ref<const std::string&>();
  if (text.empty() || (text.size() > 1 && text[0] == '0')) return bad(field, "not a canonical decimal");
  std::uint64_t out = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec != std::errc{} || end != text.data() + text.size()) return bad(field, "not a uint64 decimal");
  return out;
}

Result<std::uint8_t> read_u8(const nlohmann::json& j, std::string_view field) {
  const auto& value = j.at(std::string(field));
  // Integers only (no 1.0, no "1"); a value built in code may be stored signed.
  if (!value.is_number_integer()) return bad(field, "expected an integer 0..255");
  const bool in_range = value.is_number_unsigned() ? value.get<std::uint64_t>() <= 0xff
                                                   : value.get<std::int64_t>() >= 0 && value.get<std::int64_t>() <= 0xff;
  if (!in_range) return bad(field, "expected an integer 0..255");
  return static_cast<std::uint8_t>(value.get<std::uint64_t>());
}

}  // namespace

nlohmann::json message_to_json(const Message& m) {
  return nlohmann::json{
      {"version", m.version},
      {"srcChain", to_hex(m.src_chain)},
      {"srcGateway", to_hex(m.src_gateway)},
      {"dstChain", to_hex(m.dst_chain)},
      {"dstGateway", to_hex(m.dst_gateway)},
      {"receiver", to_hex(m.receiver)},
      {"sequence", std::to_string(m.sequence.value)},
      {"sender", to_hex(m.sender)},
      {"timeout", std::to_string(m.timeout)},
      {"gasLimit", std::to_string(m.gas_limit)},
      {"flags", m.flags},
      {"payload", to_hex(m.payload)},
  };
}

Result<Message> message_from_json(const nlohmann::json& j, const MessageLimits& limits) {
  if (!j.is_object()) return bad("(message)", "expected an object");
  for (const auto& [key, value] : j.items()) {
    bool known = false;
    for (auto field : kFields) known = known || key == field;
    if (!known) return Error(reason::message_json::kUnknownField, key);
  }
  for (auto field : kFields) {
    if (!j.contains(std::string(field))) return Error(reason::message_json::kMissingField, std::string(field));
  }
  Message m;
  CW_TRY(m.version, read_u8(j, "version"));
  CW_TRY(m.src_chain, read_fixed<ChainIdentity>(j, "srcChain"));
  CW_TRY(m.src_gateway, read_fixed<Word32>(j, "srcGateway"));
  CW_TRY(m.dst_chain, read_fixed<ChainIdentity>(j, "dstChain"));
  CW_TRY(m.dst_gateway, read_fixed<Word32>(j, "dstGateway"));
  CW_TRY(m.receiver, read_fixed<Word32>(j, "receiver"));
  CW_TRY(m.sequence.value, read_u64(j, "sequence"));
  CW_TRY(m.sender, read_fixed<Word32>(j, "sender"));
  CW_TRY(m.timeout, read_u64(j, "timeout"));
  CW_TRY(m.gas_limit, read_u64(j, "gasLimit"));
  CW_TRY(m.flags, read_u8(j, "flags"));
  CW_TRY(m.payload, read_hex(j, "payload"));
  if (m.payload.size() > limits.max_payload) {
    return bad("payload", std::to_string(m.payload.size()) + " bytes, limit " + std::to_string(limits.max_payload));
  }
  if (auto checked = check_message_fields(m); !checked) {
    return std::move(checked).error().with_context(m.version != kProtocolVersion ? "version" : "flags");
  }
  return m;
}

}  // namespace causeway::core
