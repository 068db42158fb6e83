// The Message envelope as JSON (schemas/message.schema.json), for bundles, the HTTP API and tools:
// 0x-prefixed lower-case hex for bytes32 and bytes, decimal strings for uint64 (they exceed 2^53),
// JSON integers for uint8.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include "relay/core/message.hpp"
#include "relay/core/result.hpp"

namespace causeway::core {

namespace reason::message_json {
inline constexpr Reason kMissingField{"message_json.missing_field"};
inline constexpr Reason kUnknownField{"message_json.unknown_field"};
inline constexpr Reason kBadField{"message_json.bad_field"};
}  // namespace reason::message_json

nlohmann::json message_to_json(const Message& message);

// Strict: every field present, no others, each in its schema form; the same version, flag and
// payload checks as decode_message. The error detail names the offending field.
Result<Message> message_from_json(const nlohmann::json& json, const MessageLimits& limits);

}  // namespace causeway::core
