// JSON-RPC 2.0 encoding and strict reply validation (see jsonrpc.hpp).
#include "relay/net/jsonrpc.hpp"

#include <algorithm>
#include <optional>

namespace causeway::net {
namespace {

Error bad_reply(std::string why) { return Error(reason::kBadReply, std::move(why)); }

// The reply's id as our unsigned id, if it is one; strings and negative numbers never are.
std::optional<std::uint64_t> id_of(const Json& reply) {
  const auto it = reply.find("id");
  if (it == reply.end() || !it->is_number_unsigned()) return std::nullopt;
  return it->get<std::uint64_t>();
}

Result<void> check_envelope(const Json& reply) {
  if (!reply.is_object()) return bad_reply("reply is not a JSON object");
  const auto version = reply.find("jsonrpc");
  if (version == reply.end() || !version->is_string() || version->get<std::string>() != "2.0") {
    return bad_reply("jsonrpc member is not \"2.0\"");
  }
  const bool has_result = reply.contains("result");
  const bool has_error = reply.contains("error");
  if (has_result == has_error) return bad_reply("reply must hold exactly one of result and error");
  return core::ok();
}

Error rpc_error(const Json& error) {
  if (!error.is_object()) return bad_reply("error member is not an object");
  const auto code = error.find("code");
  const auto message = error.find("message");
  if (code == error.end() || !code->is_number_integer()) {
    return bad_reply("error object without an integer code");
  }
  if (message == error.end() || !message->is_string()) {
    return bad_reply("error object without a string message");
  }
  const auto value = code->get<std::int64_t>();
  std::string detail = "rpc code " + std::to_string(value) + ": " +
                       sanitize_peer_text(message->get_ref<const std::string&>());
  // Revert data matters to callers (execution reverted with a reason); keep it if it is short.
  if (const auto data = error.find("data"); data != error.end() && data->is_string()) {
    detail += " (data " + sanitize_peer_text(data->get_ref<const std::string&>(), 300) + ")";
  }
  const Reason r = value == -32601   ? reason::kRpcMethodNotFound
                   : value == -32005 ? reason::kRpcRateLimited
                                     : reason::kRpcError;
  return Error(r, std::move(detail));
}

Result<Json> result_or_error(const Json& reply) {
  if (const auto it = reply.find("result"); it != reply.end()) return *it;
  return rpc_error(reply.at("error"));
}

Result<void> check_method(std::string_view method) {
  if (method.empty() || method.size() > 128) return Error(reason::kBadRequest, "bad method name");
  for (char c : method) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return Error(reason::kBadRequest, "bad method name");
  }
  return core::ok();
}

Result<Json> request_object(std::uint64_t id, const Call& call) {
  if (auto ok = check_method(call.method); !ok) return std::move(ok).error();
  if (!call.params.is_array() && !call.params.is_object()) {
    return Error(reason::kBadRequest, call.method + ": params must be an array or an object");
  }
  return Json{{"jsonrpc", "2.0"}, {"id", id}, {"method", call.method}, {"params", call.params}};
}

}  // namespace

Result<Json> parse_bounded(std::string_view text, const JsonLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return Error(reason::kReplyTooLarge, std::to_string(text.size()) + " bytes, limit " +
                                             std::to_string(limits.max_bytes));
  }
  // nlohmann's parser recurses per nesting level: bound the depth before it runs.
  std::size_t depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limits.max_depth) {
        return Error(reason::kReplyTooDeep,
                     "nesting deeper than " + std::to_string(limits.max_depth));
      }
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  Json parsed = Json::parse(text, nullptr, /*allow_exceptions=*/false, /*ignore_comments=*/false);
  if (parsed.is_discarded()) {
    return Error(reason::kBadJson, "not valid JSON: " + sanitize_peer_text(text, 60));
  }
  return parsed;
}

Result<std::string> encode_request(std::uint64_t id, const Call& call) {
  auto object = request_object(id, call);
  if (!object) return std::move(object).error();
  return object->dump();
}

Result<std::string> encode_batch(std::uint64_t first_id, std::span<const Call> calls) {
  if (calls.empty()) return Error(reason::kBadRequest, "empty batch");
  Json array = Json::array();
  for (std::size_t i = 0; i < calls.size(); ++i) {
    auto object = request_object(first_id + i, calls[i]);
    if (!object) return std::move(object).error();
    array.push_back(std::move(*object));
  }
  return array.dump();
}

Result<Json> validate_reply(const Json& reply, std::uint64_t expected_id) {
  if (auto ok = check_envelope(reply); !ok) return std::move(ok).error();
  const auto id = id_of(reply);
  if (!id || *id != expected_id) {
    // A null id is how a server reports a request it could not parse: show its error if any.
    const auto it = reply.find("id");
    if (it != reply.end() && it->is_null() && reply.contains("error")) {
      return Error(reason::kBadReply, "server could not read the request: " +
                                          rpc_error(reply.at("error")).message());
    }
    return Error(reason::kIdMismatch, "expected id " + std::to_string(expected_id) + ", got " +
                                          sanitize_peer_text(it == reply.end() ? "none" : it->dump(), 40));
  }
  return result_or_error(reply);
}

Result<std::vector<Result<Json>>> validate_batch_reply(const Json& reply, std::uint64_t first_id,
                                                       std::size_t count) {
  if (!reply.is_array()) {
    // A single error object instead of an array: the whole batch was refused.
    if (reply.is_object() && check_envelope(reply).ok() && reply.contains("error")) {
      return Error(reason::kBadReply, "batch refused: " + rpc_error(reply.at("error")).message());
    }
    return bad_reply("batch reply is not an array");
  }
  if (reply.size() != count) {
    return bad_reply("batch of " + std::to_string(count) + " got " +
                     std::to_string(reply.size()) + " replies");
  }
  std::vector<const Json*> by_index(count, nullptr);
  for (const Json& item : reply) {
    if (auto ok = check_envelope(item); !ok) return std::move(ok).error();
    const auto id = id_of(item);
    if (!id || *id < first_id || *id - first_id >= count) {
      return Error(reason::kIdMismatch, "batch reply with an unknown id");
    }
    const Json*& slot = by_index[static_cast<std::size_t>(*id - first_id)];
    if (slot != nullptr) return Error(reason::kIdMismatch, "batch reply repeats an id");
    slot = &item;
  }
  std::vector<Result<Json>> out;
  out.reserve(count);
  for (const Json* item : by_index) out.push_back(result_or_error(*item));
  return out;
}

Result<Json> validate_notification(const Json& message, std::string_view subscription_id) {
  if (!message.is_object()) return bad_reply("notification is not a JSON object");
  const auto version = message.find("jsonrpc");
  if (version == message.end() || !version->is_string() || version->get<std::string>() != "2.0") {
    return bad_reply("notification jsonrpc member is not \"2.0\"");
  }
  const auto method = message.find("method");
  if (method == message.end() || !method->is_string() ||
      method->get<std::string>() != "eth_subscription") {
    return bad_reply("message is not an eth_subscription notification");
  }
  const auto params = message.find("params");
  if (params == message.end() || !params->is_object()) return bad_reply("notification without params");
  const auto sub = params->find("subscription");
  if (sub == params->end() || !sub->is_string() || sub->get<std::string>() != subscription_id) {
    return Error(reason::kIdMismatch, "notification for another subscription");
  }
  const auto result = params->find("result");
  if (result == params->end()) return bad_reply("notification without result");
  return *result;
}

Error http_status_error(unsigned status) {
  const std::string detail = "HTTP status " + std::to_string(status);
  if (status == 429 || status == 503) return Error(reason::kHttpOverloaded, detail);
  if (status >= 500 || status == 408) return Error(reason::kHttpServerError, detail);
  return Error(reason::kHttpStatus, detail);
}

Result<Json> interpret_http_reply(unsigned status, std::string_view body, std::uint64_t id,
                                  const JsonLimits& limits) {
  if (status < 200 || status > 299) {
    Error status_error = http_status_error(status);
    auto parsed = parse_bounded(body, limits);
    if (parsed && parsed->is_object() && check_envelope(*parsed).ok() &&
        parsed->contains("error") && id_of(*parsed) == id) {
      Error rpc = rpc_error(parsed->at("error"));
      // Overload and server errors stay retryable whatever the body says; a 4xx that carries a
      // JSON-RPC error is that error (the node judged the request).
      if (classify(status_error) == ErrorClass::kRetryable) {
        return Error(status_error.reason(), status_error.detail() + ", " + rpc.message());
      }
      return rpc;
    }
    return status_error;
  }
  auto parsed = parse_bounded(body, limits);
  if (!parsed) return std::move(parsed).error();
  return validate_reply(*parsed, id);
}

}  // namespace causeway::net
