// The adapter protocol's pure half: line framing, request encoding, reply and hello reading.
#include "adapters/external/protocol.hpp"

#include <string>
#include <utility>

#include "relay/net/error.hpp"
#include "relay/verify/json_read.hpp"

namespace causeway::external {

namespace jr = verify::json_read;

std::string_view family_name(Family family) noexcept {
  switch (family) {
    case Family::kEvm: return "evm";
    case Family::kFisco: return "fisco";
    case Family::kFabric: return "fabric";
    case Family::kExternal: return "external";
  }
  return "unknown";
}

core::Result<Family> family_from_name(std::string_view name) {
  for (Family f : {Family::kEvm, Family::kFisco, Family::kFabric, Family::kExternal}) {
    if (family_name(f) == name) return f;
  }
  return core::Error(reason::kWrongFamily, "unknown family \"" + net::sanitize_peer_text(name, 32) + "\"");
}

core::Result<void> LineFramer::feed(std::string_view bytes) {
  while (!bytes.empty()) {
    const auto newline = bytes.find('\n');
    const std::size_t take = newline == std::string_view::npos ? bytes.size() : newline;
    if (partial_.size() + take > max_line_bytes_) {
      return core::Error(reason::kLineTooLong, "a line exceeds " + std::to_string(max_line_bytes_) + " bytes");
    }
    partial_.append(bytes.substr(0, take));
    if (newline == std::string_view::npos) break;
    if (!partial_.empty() && partial_.back() == '\r') partial_.pop_back();
    lines_.push_back(std::move(partial_));
    partial_.clear();
    bytes.remove_prefix(newline + 1);
  }
  return core::ok();
}

std::optional<std::string> LineFramer::next_line() {
  if (lines_.empty()) return std::nullopt;
  std::string line = std::move(lines_.front());
  lines_.pop_front();
  return line;
}

std::string encode_request(std::uint64_t id, std::string_view method, const Json& params) {
  const Json request = {{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", params}};
  // dump() escapes every control character, so the encoded request never holds a raw newline.
  return request.dump() + "\n";
}

namespace {

core::Error bad_json(std::string_view why) { return core::Error(reason::kBadJson, std::string(why)); }

core::Error rpc_error(const Json& error) {
  if (!error.is_object() || !error.contains("code") || !error["code"].is_number_integer() ||
      !error.contains("message") || !error["message"].is_string()) {
    return bad_json("an error object without an integer code and a message");
  }
  std::string detail = "rpc code " + std::to_string(error["code"].get<std::int64_t>()) + ": " +
                       net::sanitize_peer_text(error["message"].get<std::string>());
  // data.reason is the adapter's own name for the failure, kept so operators can tell a node
  // outage from a refused request without parsing messages.
  if (error.contains("data") && error["data"].is_object() && error["data"].contains("reason") &&
      error["data"]["reason"].is_string()) {
    detail += " (reason " + net::sanitize_peer_text(error["data"]["reason"].get<std::string>(), 80) + ")";
  }
  return core::Error(reason::kRpcError, std::move(detail));
}

}  // namespace

core::Result<Json> read_reply(std::string_view line, std::uint64_t expected_id, std::size_t max_depth) {
  auto parsed = jr::parse_bounded(line, line.size(), max_depth);
  if (!parsed) return bad_json(parsed.error().message());
  Json& reply = *parsed;
  if (!reply.is_object()) return bad_json("a reply that is not an object");
  for (const auto& [key, value] : reply.items()) {
    if (key != "jsonrpc" && key != "id" && key != "result" && key != "error") {
      return bad_json("unknown reply field \"" + net::sanitize_peer_text(key, 32) + "\"");
    }
  }
  if (!reply.contains("jsonrpc") || reply["jsonrpc"] != "2.0") return bad_json("jsonrpc is not \"2.0\"");
  // Calls are one at a time, and a process that missed a deadline is killed: any other id is a
  // confused or lying adapter, not a late answer.
  if (!reply.contains("id") || !reply["id"].is_number_unsigned() || reply["id"].get<std::uint64_t>() != expected_id) {
    return bad_json("a reply for another request id");
  }
  const bool has_result = reply.contains("result");
  const bool has_error = reply.contains("error");
  if (has_result == has_error) return bad_json("a reply needs exactly one of result and error");
  if (has_error) return rpc_error(reply["error"]);
  return std::move(reply["result"]);
}

Json hello_params() {
  return {{"protocol_versions", Json::array({kProtocolVersion})}, {"relay", "causeway"}};
}

core::Result<Hello> read_hello(const Json& result) {
  CW_CHECK(jr::check_object(result, "", {"protocol", "name", "version", "family", "chain_identity", "sides"}));
  Hello hello;
  CW_TRY(const std::uint64_t protocol, jr::read_uint(result["protocol"], "protocol", 0xffffffff));
  if (protocol != kProtocolVersion) {
    return core::Error(reason::kProtocolVersion, "the adapter speaks version " + std::to_string(protocol) +
                                                     ", this relay speaks " + std::to_string(kProtocolVersion));
  }
  hello.protocol = static_cast<std::uint32_t>(protocol);
  CW_TRY(hello.name, jr::read_string(result["name"], "name", 64));
  CW_TRY(hello.version, jr::read_string(result["version"], "version", 64));
  CW_TRY(const std::string family, jr::read_string(result["family"], "family", 32));
  CW_TRY(hello.family, family_from_name(family));
  CW_TRY(hello.chain_identity, jr::read_fixed<core::ChainIdentity>(result["chain_identity"], "chain_identity"));
  CW_CHECK(jr::check_array(result["sides"], "sides", 2));
  for (std::size_t i = 0; i < result["sides"].size(); ++i) {
    CW_TRY(const std::string side, jr::read_string(result["sides"][i], jr::index_path("sides", i), 16));
    if (side == "source") {
      hello.source = true;
    } else if (side == "sink") {
      hello.sink = true;
    } else {
      return jr::bad(jr::index_path("sides", i), "neither \"source\" nor \"sink\"");
    }
  }
  return hello;
}

core::Result<void> check_hello(const Hello& hello, Family family, const core::ChainIdentity& chain_identity) {
  if (hello.family != family) {
    return core::Error(reason::kWrongFamily, "the adapter serves family " + std::string(family_name(hello.family)) +
                                                 ", configured " + std::string(family_name(family)));
  }
  if (hello.chain_identity != chain_identity) {
    return core::Error(reason::kWrongChain, "the adapter serves chain " + core::to_hex(hello.chain_identity) +
                                                ", configured " + core::to_hex(chain_identity));
  }
  return core::ok();
}

}  // namespace causeway::external
