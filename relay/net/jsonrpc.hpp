// JSON-RPC 2.0 wire format: request encoding and strict, bounded validation of replies.
// Pure (no I/O) so every rule is unit-tested with canned bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "relay/net/error.hpp"

namespace causeway::net {

using Json = nlohmann::json;

// THREATS 24: a reply is measured before it is parsed.
struct JsonLimits {
  std::size_t max_bytes = 32u << 20;
  std::size_t max_depth = 64;  // nesting of arrays and objects; an Ethereum block needs ~5
};

// Size and nesting checks on raw text, then a strict parse (no comments, no trailing bytes).
Result<Json> parse_bounded(std::string_view text, const JsonLimits& limits);

struct Call {
  std::string method;
  Json params = Json::array();
};

// {"jsonrpc":"2.0","id":id,"method":...,"params":...}; params must be an array or object.
Result<std::string> encode_request(std::uint64_t id, const Call& call);
Result<std::string> encode_batch(std::uint64_t first_id, std::span<const Call> calls);

// Checks jsonrpc "2.0", the id, and exactly one of result and error. A JSON-RPC error object
// becomes a kRpc* error carrying its code and (sanitized) message.
Result<Json> validate_reply(const Json& reply, std::uint64_t expected_id);

// A batch reply: an array holding exactly one reply for each id first_id .. first_id + count - 1,
// in any order. Returned in request order; per-call errors stay per call.
Result<std::vector<Result<Json>>> validate_batch_reply(const Json& reply, std::uint64_t first_id,
                                                       std::size_t count);

// An eth_subscription notification for subscription_id; returns params.result.
Result<Json> validate_notification(const Json& message, std::string_view subscription_id);

// An HTTP reply: a non-2xx status is an error of the matching reason, unless the body is a
// well-formed JSON-RPC error for this request (some nodes send rpc errors with 4xx/5xx).
Result<Json> interpret_http_reply(unsigned status, std::string_view body, std::uint64_t id,
                                  const JsonLimits& limits);
Error http_status_error(unsigned status);

}  // namespace causeway::net
