// Tests for relay/net/jsonrpc and relay/net/error: bounded parsing, strict reply validation with
// canned bytes (each negative case changes one thing of a valid reply), and classify().
#include <catch2/catch.hpp>

#include <string>

#include "relay/net/jsonrpc.hpp"

using namespace causeway::net;

namespace {

Result<Json> check(const std::string& text, std::uint64_t id = 7) {
  auto parsed = parse_bounded(text, JsonLimits{});
  if (!parsed) return std::move(parsed).error();
  return validate_reply(*parsed, id);
}

}  // namespace

TEST_CASE("jsonrpc encodes requests and refuses bad ones", "[unit]") {
  auto text = encode_request(7, Call{"eth_getBlockByNumber", Json::array({"latest", false})});
  REQUIRE(text.ok());
  CHECK(Json::parse(*text) ==
        Json::parse(R"({"jsonrpc":"2.0","id":7,"method":"eth_getBlockByNumber","params":["latest",false]})"));
  CHECK(encode_request(1, Call{"", Json::array()}).error().reason() == reason::kBadRequest);
  CHECK(encode_request(1, Call{"eth call", Json::array()}).error().reason() == reason::kBadRequest);
  CHECK(encode_request(1, Call{"m", Json(5)}).error().reason() == reason::kBadRequest);
  CHECK(encode_batch(1, {}).error().reason() == reason::kBadRequest);
}

TEST_CASE("jsonrpc accepts a valid reply and a null result", "[unit]") {
  auto ok = check(R"({"jsonrpc":"2.0","id":7,"result":"0x7a69"})");
  REQUIRE(ok.ok());
  CHECK(*ok == "0x7a69");
  auto null = check(R"({"id":7,"jsonrpc":"2.0","result":null})");
  REQUIRE(null.ok());
  CHECK(null->is_null());
}

TEST_CASE("jsonrpc rejects replies that break the envelope", "[unit]") {
  CHECK(check(R"({"jsonrpc":"1.0","id":7,"result":1})").error().reason() == reason::kBadReply);
  CHECK(check(R"({"id":7,"result":1})").error().reason() == reason::kBadReply);
  CHECK(check(R"({"jsonrpc":2.0,"id":7,"result":1})").error().reason() == reason::kBadReply);
  CHECK(check(R"({"jsonrpc":"2.0","id":8,"result":1})").error().reason() == reason::kIdMismatch);
  CHECK(check(R"({"jsonrpc":"2.0","id":"7","result":1})").error().reason() == reason::kIdMismatch);
  CHECK(check(R"({"jsonrpc":"2.0","result":1})").error().reason() == reason::kIdMismatch);
  CHECK(check(R"({"jsonrpc":"2.0","id":7})").error().reason() == reason::kBadReply);
  CHECK(check(R"({"jsonrpc":"2.0","id":7,"result":1,"error":{"code":1,"message":"m"}})")
            .error().reason() == reason::kBadReply);
  CHECK(check(R"([{"jsonrpc":"2.0","id":7,"result":1}])").error().reason() == reason::kBadReply);
  CHECK(check(R"({"jsonrpc":"2.0","id":7,"error":{"message":"m"}})").error().reason() == reason::kBadReply);
}

TEST_CASE("jsonrpc error objects become named errors with code and message", "[unit]") {
  auto e = check(R"({"jsonrpc":"2.0","id":7,"error":{"code":-32000,"message":"execution reverted","data":"0x08c379a0"}})");
  REQUIRE_FALSE(e.ok());
  CHECK(e.error().reason() == reason::kRpcError);
  CHECK(rpc_error_code(e.error()) == -32000);
  CHECK(e.error().detail().find("execution reverted") != std::string::npos);
  CHECK(e.error().detail().find("0x08c379a0") != std::string::npos);
  CHECK(classify(e.error()) == ErrorClass::kFatal);

  auto missing = check(R"({"jsonrpc":"2.0","id":7,"error":{"code":-32601,"message":"nope"}})");
  CHECK(missing.error().reason() == reason::kRpcMethodNotFound);
  auto limited = check(R"({"jsonrpc":"2.0","id":7,"error":{"code":-32005,"message":"slow down"}})");
  CHECK(limited.error().reason() == reason::kRpcRateLimited);
  CHECK(classify(limited.error()) == ErrorClass::kRetryable);
  // A peer message cannot smuggle in a different code or control characters.
  auto forged = check("{\"jsonrpc\":\"2.0\",\"id\":7,\"error\":{\"code\":5,\"message\":\"rpc code 9\\n\"}}");
  CHECK(rpc_error_code(std::move(forged).error().with_context("ctx")) == 5);
  CHECK(rpc_error_code(Error(reason::kTimeout, "rpc code 1")) == std::nullopt);
}

TEST_CASE("jsonrpc bounds size and nesting before parsing", "[unit]") {
  const JsonLimits limits{100, 4};
  CHECK(parse_bounded(std::string(101, ' '), limits).error().reason() == reason::kReplyTooLarge);
  CHECK(parse_bounded("[[[[1]]]]", limits).ok());
  CHECK(parse_bounded("[[[[[1]]]]]", limits).error().reason() == reason::kReplyTooDeep);
  // Brackets inside strings, also after escaped quotes, are not nesting.
  CHECK(parse_bounded(R"(["[[[[[\"[[[[[", {"a":"{{{{{{"}])", limits).ok());
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  CHECK(parse_bounded(deep, JsonLimits{}).error().reason() == reason::kReplyTooDeep);
  CHECK(parse_bounded(R"({"a":1} x)", limits).error().reason() == reason::kBadJson);
  CHECK(parse_bounded("{\"a\":1 /*c*/}", limits).error().reason() == reason::kBadJson);
  CHECK(parse_bounded("", limits).error().reason() == reason::kBadJson);
}

TEST_CASE("jsonrpc batch replies are matched by id", "[unit]") {
  const auto reply = Json::parse(R"([
    {"jsonrpc":"2.0","id":11,"error":{"code":-32601,"message":"no"}},
    {"jsonrpc":"2.0","id":10,"result":"a"}])");
  auto ok = validate_batch_reply(reply, 10, 2);
  REQUIRE(ok.ok());
  REQUIRE(ok->size() == 2);
  CHECK((*ok)[0].value() == "a");
  CHECK((*ok)[1].error().reason() == reason::kRpcMethodNotFound);

  CHECK(validate_batch_reply(reply, 10, 3).error().reason() == reason::kBadReply);
  auto repeated = reply;
  repeated[0]["id"] = 10;
  CHECK(validate_batch_reply(repeated, 10, 2).error().reason() == reason::kIdMismatch);
  auto foreign = reply;
  foreign[0]["id"] = 12;
  CHECK(validate_batch_reply(foreign, 10, 2).error().reason() == reason::kIdMismatch);
  auto version = reply;
  version[1]["jsonrpc"] = "1.0";
  CHECK(validate_batch_reply(version, 10, 2).error().reason() == reason::kBadReply);
  CHECK(validate_batch_reply(Json::object(), 10, 2).error().reason() == reason::kBadReply);
}

TEST_CASE("jsonrpc subscription notifications must name our subscription", "[unit]") {
  const auto note = Json::parse(
      R"({"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":"0xab","result":{"number":"0x1"}}})");
  auto ok = validate_notification(note, "0xab");
  REQUIRE(ok.ok());
  CHECK((*ok)["number"] == "0x1");
  CHECK(validate_notification(note, "0xcd").error().reason() == reason::kIdMismatch);
  auto method = note;
  method["method"] = "eth_other";
  CHECK(validate_notification(method, "0xab").error().reason() == reason::kBadReply);
  auto no_result = note;
  no_result["params"].erase("result");
  CHECK(validate_notification(no_result, "0xab").error().reason() == reason::kBadReply);
}

TEST_CASE("jsonrpc HTTP statuses map to reasons that classify() retries or not", "[unit]") {
  const JsonLimits limits;
  const std::string ok = R"({"jsonrpc":"2.0","id":3,"result":1})";
  CHECK(interpret_http_reply(200, ok, 3, limits).ok());
  auto overloaded = interpret_http_reply(429, "Too Many Requests", 3, limits);
  CHECK(overloaded.error().reason() == reason::kHttpOverloaded);
  CHECK(is_retryable(overloaded.error()));
  auto server = interpret_http_reply(500, "", 3, limits);
  CHECK(server.error().reason() == reason::kHttpServerError);
  CHECK(is_retryable(server.error()));
  auto missing = interpret_http_reply(404, "not found", 3, limits);
  CHECK(missing.error().reason() == reason::kHttpStatus);
  CHECK_FALSE(is_retryable(missing.error()));
  // A 4xx that carries the node's JSON-RPC error for this request is that error.
  const std::string rpc = R"({"jsonrpc":"2.0","id":3,"error":{"code":-32602,"message":"bad params"}})";
  CHECK(interpret_http_reply(400, rpc, 3, limits).error().reason() == reason::kRpcError);
  // An overload status stays retryable even when its body is a JSON-RPC error.
  auto busy = interpret_http_reply(503, rpc, 3, limits);
  CHECK(busy.error().reason() == reason::kHttpOverloaded);
  CHECK(busy.error().detail().find("bad params") != std::string::npos);
}

TEST_CASE("classify: transport trouble retries, security and config failures do not", "[unit]") {
  for (Reason r : {reason::kTimeout, reason::kConnectFailed, reason::kConnectionClosed,
                   reason::kBadJson, reason::kIdMismatch, reason::kReplyTooLarge,
                   reason::kQuorumUnavailable, reason::kHttpServerError}) {
    INFO(r.name);
    CHECK(classify(Error(r)) == ErrorClass::kRetryable);
  }
  for (Reason r : {reason::kTlsVerifyFailed, reason::kBadUrl, reason::kBadConfig,
                   reason::kQuorumDisagreement, reason::kRpcError, reason::kHttpStatus,
                   reason::kCancelled, Reason{"something.new"}}) {
    INFO(r.name);
    CHECK(classify(Error(r)) == ErrorClass::kFatal);
  }
}
