// schemas/openapi.yaml against the server's actual answers. Every documented operation is called;
// every answer's status must be documented for its operation, its media type the documented one,
// and its body valid against the documented schema. The validator covers the JSON Schema subset
// the document uses: $ref (within it, and to the schemas/*.schema.json files), type (also as a
// list), const, enum, pattern, minimum, maximum, minLength, maxLength, required, properties,
// additionalProperties and items.
#include <catch2/catch.hpp>

#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/this_coro.hpp>
#include <boost/beast/websocket.hpp>

#include "relay/app/config_loader.hpp"
#include "relay/store/checkpoint_signer.hpp"
#include "tests/unit/api/v1_fixture.hpp"

using namespace causeway;
using namespace causeway::test;
namespace websocket = beast::websocket;

namespace {

// The document and the JSON Schema files it refers to, each loaded once.
class Spec {
 public:
  Spec() {
    const std::string text = bundle_fixtures::read_text(bundle_fixtures::source_path("schemas/openapi.yaml"));
    auto document = app::yaml_to_json(text);
    INFO((document ? std::string() : document.error().message()));
    REQUIRE(document);
    docs_.emplace(kRoot, std::move(document).value());
    REQUIRE(root().at("openapi") == "3.1.0");
  }

  const Json& root() const { return docs_.at(kRoot); }

  // Checks one answer of `method` on the documented `path`; the problems found, empty if none.
  std::vector<std::string> check(const std::string& method, const std::string& path, unsigned status,
                                 std::string_view content_type, const std::string& body) {
    std::vector<std::string> problems;
    const Json& paths = root().at("paths");
    if (!paths.contains(path) || !paths.at(path).contains(method)) {
      problems.push_back(method + " " + path + " is not documented");
      return problems;
    }
    covered_.insert(method + " " + path);
    const Json& responses = paths.at(path).at(method).at("responses");
    const std::string code = std::to_string(status);
    if (!responses.contains(code)) {
      problems.push_back(method + " " + path + ": status " + code + " is not documented");
      return problems;
    }
    auto [response, doc] = deref(responses.at(code), kRoot);
    if (!response->contains("content")) return problems;
    const std::string media(content_type.substr(0, content_type.find(';')));
    if (!response->at("content").contains(media)) {
      problems.push_back(method + " " + path + " " + code + ": media type " + media + " is not documented");
      return problems;
    }
    const Json& schema = response->at("content").at(media).at("schema");
    if (media == "application/json") {
      const Json value = Json::parse(body, nullptr, false);
      if (value.is_discarded()) {
        problems.push_back(method + " " + path + " " + code + ": the body is not JSON");
        return problems;
      }
      validate(schema, doc, value, method + " " + path + " " + code + " body", problems);
    } else {
      validate(schema, doc, Json(body), method + " " + path + " " + code + " body", problems);
    }
    return problems;
  }

  std::vector<std::string> check_schema(const std::string& name, const Json& value) {
    std::vector<std::string> problems;
    validate(root().at("components").at("schemas").at(name), kRoot, value, name, problems);
    return problems;
  }

  // Documented operations no check has called.
  std::vector<std::string> uncovered() const {
    std::vector<std::string> out;
    for (const auto& [path, operations] : root().at("paths").items()) {
      for (const auto& [method, operation] : operations.items()) {
        if (!covered_.contains(method + " " + path)) out.push_back(method + " " + path);
      }
    }
    return out;
  }

 private:
  static constexpr const char* kRoot = "openapi.yaml";

  const Json& load(const std::string& file) {
    auto found = docs_.find(file);
    if (found != docs_.end()) return found->second;
    const std::string text = bundle_fixtures::read_text(bundle_fixtures::source_path("schemas/" + file));
    return docs_.emplace(file, Json::parse(text)).first->second;
  }

  // Follows $ref (a JSON pointer in the same document, or another schemas/ file) to a node that
  // has none; returns it and the document it lives in.
  std::pair<const Json*, std::string> deref(const Json& node, std::string doc) {
    const Json* at = &node;
    for (int hops = 0; at->is_object() && at->contains("$ref"); ++hops) {
      REQUIRE(hops < 16);
      const std::string ref = at->at("$ref").get<std::string>();
      const auto hash = ref.find('#');
      if (hash != 0) doc = ref.substr(0, hash);
      const Json* target = &load(doc);
      if (hash != std::string::npos) target = &target->at(Json::json_pointer(ref.substr(hash + 1)));
      at = target;
    }
    return {at, doc};
  }

  static bool has_type(const Json& value, const std::string& type) {
    if (type == "null") return value.is_null();
    if (type == "boolean") return value.is_boolean();
    if (type == "integer") return value.is_number_integer();
    if (type == "number") return value.is_number();
    if (type == "string") return value.is_string();
    if (type == "array") return value.is_array();
    if (type == "object") return value.is_object();
    return false;
  }

  void validate(const Json& node, const std::string& node_doc, const Json& value, const std::string& where,
                std::vector<std::string>& problems) {
    // Keywords beside a $ref (a description) only annotate; the target carries the rules.
    auto [schema_ptr, doc] = deref(node, node_doc);
    const Json& schema = *schema_ptr;
    auto fail = [&](const std::string& why) { problems.push_back(where + ": " + why); };
    if (schema.contains("const") && value != schema.at("const"))
      return fail("not the constant " + schema.at("const").dump());
    if (schema.contains("type")) {
      const Json& type = schema.at("type");
      bool matched = false;
      for (const auto& t : type.is_array() ? type : Json::array({type})) matched = matched || has_type(value, t);
      if (!matched) return fail("expected type " + type.dump() + ", got " + value.dump().substr(0, 80));
      if (value.is_null()) return;
    }
    if (schema.contains("enum") &&
        std::find(schema.at("enum").begin(), schema.at("enum").end(), value) == schema.at("enum").end()) {
      return fail(value.dump() + " is not in the enum");
    }
    if (value.is_string()) {
      const auto& text = value.get_ref<const std::string&>();
      if (schema.contains("pattern") && !std::regex_search(text, std::regex(schema.at("pattern").get<std::string>()))) {
        fail("\"" + text.substr(0, 80) + "\" does not match " + schema.at("pattern").get<std::string>());
      }
      if (schema.contains("minLength") && text.size() < schema.at("minLength").get<std::size_t>()) fail("too short");
      if (schema.contains("maxLength") && text.size() > schema.at("maxLength").get<std::size_t>()) fail("too long");
    }
    if (value.is_number()) {
      if (schema.contains("minimum") && value.get<double>() < schema.at("minimum").get<double>()) fail("below minimum");
      if (schema.contains("maximum") && value.get<double>() > schema.at("maximum").get<double>()) fail("above maximum");
    }
    if (value.is_object()) {
      for (const auto& name : schema.value("required", Json::array())) {
        if (!value.contains(name.get<std::string>())) fail("missing required field " + name.get<std::string>());
      }
      const Json properties = schema.value("properties", Json::object());
      for (const auto& [name, field] : value.items()) {
        if (properties.contains(name)) {
          validate(schema.at("properties").at(name), doc, field, where + "." + name, problems);
        } else if (schema.contains("additionalProperties") && schema.at("additionalProperties") == false) {
          fail("undocumented field " + name);
        }
      }
    }
    if (value.is_array() && schema.contains("items")) {
      for (std::size_t i = 0; i < value.size(); ++i) {
        validate(schema.at("items"), doc, value[i], where + "[" + std::to_string(i) + "]", problems);
      }
    }
  }

  std::map<std::string, Json> docs_;
  std::set<std::string> covered_;
};

// Sends one request and checks its answer against the spec, under the path's documented form.
awaitable<Reply> exchange(ApiClient& client, Spec& spec, http::verb verb, const std::string& path,
                          const std::string& target, std::string body = {}, std::string_view token = {}) {
  http::request<http::string_body> request{verb, target, 11};
  request.body() = std::move(body);
  if (!request.body().empty()) request.set(http::field::content_type, "application/json");
  Reply reply = co_await client.send(std::move(request), token);
  std::string method(http::to_string(verb));
  std::transform(method.begin(), method.end(), method.begin(), [](unsigned char c) { return std::tolower(c); });
  const auto problems = spec.check(method, path, reply.result_int(), reply[http::field::content_type], reply.body());
  INFO(method << " " << target << " -> " << reply.result_int() << " " << reply.body().substr(0, 300));
  for (const auto& problem : problems) FAIL_CHECK(problem);
  co_return reply;
}

}  // namespace

TEST_CASE("openapi: the validator catches what it claims to", "[api]") {
  Spec spec;
  const Json good = {{"id", "0x" + std::string(64, 'a')}, {"state", "parked"}};
  CHECK(spec.check_schema("MessageAction", good).empty());
  Json unknown_field = good;
  unknown_field["extra"] = 1;
  CHECK(spec.check_schema("MessageAction", unknown_field).size() == 1);
  Json bad_enum = good;
  bad_enum["state"] = "lost";
  CHECK(spec.check_schema("MessageAction", bad_enum).size() == 1);
  Json bad_pattern = good;
  bad_pattern["id"] = "0x" + std::string(64, 'A');
  CHECK(spec.check_schema("MessageAction", bad_pattern).size() == 1);
  Json missing = good;
  missing.erase("state");
  CHECK(spec.check_schema("MessageAction", missing).size() == 1);
  CHECK(spec.check_schema("MessagePage", {{"messages", Json::array()}, {"next_cursor", nullptr}}).empty());
  CHECK(spec.check_schema("MessagePage", {{"messages", Json::array()}, {"next_cursor", 7}}).size() == 1);
  // A $ref into message.schema.json is followed, its own $defs included.
  Json detail = {{"id", "0x" + std::string(64, 'a')},
                 {"lane", ""},
                 {"state", "observed"},
                 {"claim", "0x" + std::string(64, 'b')},
                 {"attempts", 0},
                 {"next_attempt_at", 0},
                 {"created_at", 1},
                 {"updated_at", 1},
                 {"execution", nullptr},
                 {"message", core::message_to_json(test_message(1))}};
  CHECK(spec.check_schema("MessageDetail", detail).empty());
  detail["message"]["sequence"] = 1;
  CHECK(spec.check_schema("MessageDetail", detail).size() == 1);
}

TEST_CASE("openapi: every operation's answers match schemas/openapi.yaml", "[api]") {
  Spec spec;
  V1Fixture f;
  const auto executed = f.put(f.lane_message(1), S::kExecutedOk);
  REQUIRE(f.store->put_execution(
      {executed, fixed_of<core::Claim>("exec", 1), core::ExecStatus::kOk, fixed_of("tx", 1), 9}));
  const auto parked = f.put(f.lane_message(2), S::kParked);
  const auto observed = f.put(f.lane_message(3), S::kObserved);
  const auto bundle_claim = fixed_of<core::Claim>("bundle", 1);
  REQUIRE(f.store->put_bundle({bundle_claim, executed, R"({"version":1,"kind":"evm"})", true}));
  const auto forged_claim = fixed_of<core::Claim>("forged", 1);
  REQUIRE(f.store->record_rejected({forged_claim, executed, "verify.bad_seal", 0}));
  store::VoteRecord own_vote;
  own_vote.id = executed;
  own_vote.claim = fixed_of<core::Claim>("claim", 1);
  own_vote.signer = fixed_of<core::Address>("signer", 2);
  own_vote.signature[64] = 27;
  REQUIRE(f.store->put_vote(own_vote));
  const std::string unknown_id = core::to_hex(core::message_id(f.lane_message(77)));

  // Servers on the same engine for the answers the main one cannot give.
  auto extra = [&](api::V1Options options) {
    api::ServerOptions server_options;
    server_options.listen = "127.0.0.1:0";
    auto server = api::HttpServer::create(f.io.get_executor(), server_options).value();
    api::install_v1_routes(*server, *f.engine, *f.store, std::move(options));
    server->start();
    return server;
  };
  auto no_token = extra(api::V1Options{});
  api::V1Options private_options = admin_options();
  private_options.public_reads = false;
  auto private_reads = extra(std::move(private_options));
  // A relay with a log key: POST /v1/audit/checkpoint signs.
  api::V1Options signing_options = admin_options();
  const auto signing_key = core::Ed25519PrivateKey::from_seed(core::Bytes(32, 0x11)).value();
  signing_options.sign_checkpoint = [&f, &signing_key] {
    return store::sign_and_store_checkpoint(*f.store, {"causeway/test", "causeway/test", &signing_key, {}});
  };
  auto signing = extra(std::move(signing_options));

  std::string transcript;
  run(f.io, [&]() -> awaitable<void> {
    const auto executor = co_await asio::this_coro::executor;
    ApiClient c(executor, transcript);
    co_await c.connect(f.server->port());
    using V = http::verb;
    const std::string token(kAdminToken);

    co_await exchange(c, spec, V::get, "/healthz", "/healthz");
    co_await exchange(c, spec, V::get, "/readyz", "/readyz");
    co_await exchange(c, spec, V::get, "/metrics", "/metrics");

    co_await exchange(c, spec, V::get, "/v1/chains", "/v1/chains");
    co_await exchange(c, spec, V::get, "/v1/chains", "/v1/chains?x=1");
    co_await exchange(c, spec, V::get, "/v1/lanes", "/v1/lanes");

    const Reply page = co_await exchange(c, spec, V::get, "/v1/messages", "/v1/messages?lane=a-to-b&limit=1");
    CHECK_FALSE(Json::parse(page.body()).at("next_cursor").is_null());
    co_await exchange(c, spec, V::get, "/v1/messages", "/v1/messages?state=parked");
    co_await exchange(c, spec, V::get, "/v1/messages", "/v1/messages?limit=0");
    co_await exchange(c, spec, V::get, "/v1/messages", "/v1/messages?lane=nowhere");

    co_await exchange(c, spec, V::get, "/v1/messages/{id}", "/v1/messages/" + core::to_hex(executed));
    co_await exchange(c, spec, V::get, "/v1/messages/{id}", "/v1/messages/" + core::to_hex(parked));
    co_await exchange(c, spec, V::get, "/v1/messages/{id}", "/v1/messages/0x12");
    co_await exchange(c, spec, V::get, "/v1/messages/{id}", "/v1/messages/" + unknown_id);

    co_await exchange(c, spec, V::get, "/v1/bundles/{claim}", "/v1/bundles/" + core::to_hex(bundle_claim));
    co_await exchange(c, spec, V::get, "/v1/bundles/{claim}", "/v1/bundles/" + core::to_hex(forged_claim));
    co_await exchange(c, spec, V::get, "/v1/bundles/{claim}", "/v1/bundles/xyz");
    co_await exchange(c, spec, V::get, "/v1/bundles/{claim}", "/v1/bundles/" + unknown_id);
    {
      // A recorded anvil bundle: its chain is not the example config's, so the proof path is drawn
      // in full under an identity check that fails.
      const Json& recorded = bundle_fixtures::bundle_json("a_sent_tx1_log1");
      const auto recorded_claim = verify::bundle_from_json(recorded).value().claim;
      REQUIRE(f.store->put_bundle({recorded_claim, executed, recorded.dump(), true}));
      const std::string verification = "/v1/bundles/{claim}/verification";
      const Reply drawn =
          co_await exchange(c, spec, V::get, verification, "/v1/bundles/" + core::to_hex(recorded_claim) + "/verification");
      CHECK_FALSE(Json::parse(drawn.body()).at("proof").is_null());
      co_await exchange(c, spec, V::get, verification, "/v1/bundles/" + core::to_hex(bundle_claim) + "/verification");
      co_await exchange(c, spec, V::get, verification, "/v1/bundles/xyz/verification");
      co_await exchange(c, spec, V::get, verification, "/v1/bundles/" + unknown_id + "/verification");
    }

    co_await exchange(c, spec, V::get, "/v1/audit/checkpoint", "/v1/audit/checkpoint");
    const auto size = f.store->audit_size();
    REQUIRE(f.store->add_checkpoint({size, f.store->audit_root(size).value(), "causeway/test\n"}));
    co_await exchange(c, spec, V::get, "/v1/audit/checkpoint", "/v1/audit/checkpoint");
    co_await exchange(c, spec, V::get, "/v1/audit/proof/inclusion", "/v1/audit/proof/inclusion?index=0");
    co_await exchange(c, spec, V::get, "/v1/audit/proof/inclusion", "/v1/audit/proof/inclusion?index=99");
    co_await exchange(c, spec, V::get, "/v1/audit/proof/consistency", "/v1/audit/proof/consistency?old=1");
    co_await exchange(c, spec, V::get, "/v1/audit/proof/consistency", "/v1/audit/proof/consistency?old=0");
    co_await exchange(c, spec, V::get, "/v1/audit/leaves", "/v1/audit/leaves?count=3");
    co_await exchange(c, spec, V::get, "/v1/audit/leaves", "/v1/audit/leaves?count=x");
    co_await exchange(c, spec, V::get, "/v1/audit/leaves",
                      "/v1/audit/leaves?claim=" + core::to_hex(fixed_of<core::Claim>("claim", 1)));
    co_await exchange(c, spec, V::get, "/v1/audit/leaves", "/v1/audit/leaves?claim=0x12");
    // The main server's relay has no log key.
    co_await exchange(c, spec, V::post, "/v1/audit/checkpoint", "/v1/audit/checkpoint", "", token);
    co_await exchange(c, spec, V::post, "/v1/audit/checkpoint", "/v1/audit/checkpoint", "");
    // The example config names no witness: a cosignature is refused before it is read.
    co_await exchange(c, spec, V::post, "/v1/audit/cosignatures", "/v1/audit/cosignatures", R"({"note":"x"})");

    const std::string parked_path = "/v1/messages/" + core::to_hex(parked);
    const std::string observed_path = "/v1/messages/" + core::to_hex(observed);
    co_await exchange(c, spec, V::post, "/v1/messages/{id}/park", observed_path + "/park", R"({"reason":"ops"})",
                      token);
    co_await exchange(c, spec, V::post, "/v1/messages/{id}/park", observed_path + "/park", "", token);
    co_await exchange(c, spec, V::post, "/v1/messages/{id}/park", observed_path + "/park", "{", token);
    co_await exchange(c, spec, V::post, "/v1/messages/{id}/park", "/v1/messages/" + unknown_id + "/park", "", token);
    co_await exchange(c, spec, V::post, "/v1/messages/{id}/park", observed_path + "/park", std::string(70000, 'x'),
                      token);
    ApiClient again(executor, transcript);  // the 413 closed the first connection
    co_await again.connect(f.server->port());
    co_await exchange(again, spec, V::post, "/v1/messages/{id}/retry", observed_path + "/retry", "", token);
    co_await exchange(again, spec, V::post, "/v1/messages/{id}/retry", observed_path + "/retry", "", token);
    co_await exchange(again, spec, V::post, "/v1/messages/{id}/retry", parked_path + "/retry", "");
    co_await exchange(again, spec, V::post, "/v1/messages/{id}/retry", "/v1/messages/0x/retry", "", token);
    co_await exchange(again, spec, V::post, "/v1/messages/{id}/retry", "/v1/messages/" + unknown_id + "/retry", "",
                      token);
    co_await exchange(again, spec, V::post, "/v1/lanes/{name}/pause", "/v1/lanes/a-to-b/pause", R"({"reason":"x"})",
                      token);
    co_await exchange(again, spec, V::post, "/v1/lanes/{name}/pause", "/v1/lanes/nowhere/pause", "", token);
    co_await exchange(again, spec, V::post, "/v1/lanes/{name}/resume", "/v1/lanes/a-to-b/resume", "", token);
    co_await exchange(again, spec, V::post, "/v1/lanes/{name}/resume", "/v1/lanes/a-to-b/resume", "[1]", token);
    co_await exchange(again, spec, V::post, "/v1/log-level", "/v1/log-level", R"({"level":"warn"})", token);
    co_await exchange(again, spec, V::post, "/v1/log-level", "/v1/log-level", R"({"level":"loud"})", token);

    // The vote book, bundles pushed out of band and skips (the engine's chains never start here).
    const std::string executed_votes = "/v1/votes/" + core::to_hex(executed);
    co_await exchange(again, spec, V::get, "/v1/votes/{id}", executed_votes);
    co_await exchange(again, spec, V::get, "/v1/votes/{id}", "/v1/votes/0x12");
    co_await exchange(again, spec, V::get, "/v1/votes/{id}", "/v1/votes/" + unknown_id);
    const std::string vote = Json{{"kind", "deliver"},
                                  {"claim", core::to_hex(fixed_of<core::Claim>("claim", 1))},
                                  {"epoch", "1"},
                                  {"signer", core::to_hex(fixed_of<core::Address>("signer", 1))},
                                  {"signature", "0x" + std::string(130, 'a')}}
                                 .dump();
    co_await exchange(again, spec, V::post, "/v1/votes/{id}", executed_votes, vote, token);
    co_await exchange(again, spec, V::post, "/v1/votes/{id}", "/v1/votes/" + unknown_id, vote, token);
    co_await exchange(again, spec, V::post, "/v1/votes/{id}", executed_votes, "{}", token);
    co_await exchange(again, spec, V::post, "/v1/bundles", "/v1/bundles", "{}", token);
    co_await exchange(again, spec, V::post, "/v1/bundles", "/v1/bundles",
                      bundle_fixtures::bundle_json("a_sent_tx0_log0").dump(), token);
    co_await exchange(again, spec, V::post, "/v1/messages/{id}/skip", parked_path + "/skip", "", token);
    co_await exchange(again, spec, V::post, "/v1/messages/{id}/skip", "/v1/messages/" + unknown_id + "/skip", "",
                      token);
    co_await exchange(again, spec, V::get, "/v1/stream", "/v1/stream");
    {
      ApiClient upgrade(executor, transcript);
      co_await upgrade.connect(f.server->port());
      http::request<http::string_body> request{V::get, "/v1/stream", 11};
      request.set(http::field::connection, "upgrade");
      request.set(http::field::upgrade, "websocket");  // but no Sec-WebSocket-Key
      const Reply reply = co_await upgrade.send(std::move(request), "");
      CHECK(reply.result_int() == 400);
      for (const auto& problem :
           spec.check("get", "/v1/stream", reply.result_int(), reply[http::field::content_type], reply.body())) {
        FAIL_CHECK(problem);
      }
    }

    ApiClient disabled(executor, transcript);
    co_await disabled.connect(no_token->port());
    co_await exchange(disabled, spec, V::post, "/v1/messages/{id}/park", parked_path + "/park", "", token);
    co_await exchange(disabled, spec, V::post, "/v1/log-level", "/v1/log-level", R"({"level":"warn"})", token);
    ApiClient closed(executor, transcript);
    co_await closed.connect(private_reads->port());
    co_await exchange(closed, spec, V::get, "/v1/lanes", "/v1/lanes");
    co_await exchange(closed, spec, V::get, "/v1/lanes", "/v1/lanes", {}, token);
    ApiClient signer(executor, transcript);
    co_await signer.connect(signing->port());
    co_await exchange(signer, spec, V::post, "/v1/audit/checkpoint", "/v1/audit/checkpoint", "", token);

    // The stream's frames are TransitionFrames.
    websocket::stream<beast::tcp_stream> ws(executor);
    co_await beast::get_lowest_layer(ws).async_connect(
        tcp::endpoint(asio::ip::make_address("127.0.0.1"), f.server->port()), kTuple);
    auto [handshake_ec] = co_await ws.async_handshake("127.0.0.1", "/v1/stream", kTuple);
    REQUIRE_FALSE(handshake_ec);
    co_await exchange(again, spec, V::post, "/v1/messages/{id}/park", observed_path + "/park", "", token);
    beast::flat_buffer buffer;
    beast::get_lowest_layer(ws).expires_after(kClientDeadline);
    auto [read_ec, n] = co_await ws.async_read(buffer, kTuple);
    REQUIRE_FALSE(read_ec);
    const auto frame_problems =
        spec.check_schema("TransitionFrame", Json::parse(beast::buffers_to_string(buffer.data())));
    for (const auto& problem : frame_problems) FAIL_CHECK(problem);

    co_await no_token->stop();
    co_await private_reads->stop();
    co_await signing->stop();
    co_await f.server->stop();
  }());
  const auto missed = spec.uncovered();
  for (const auto& operation : missed) FAIL_CHECK("never called: " + operation);
  check_no_secrets(transcript);
}
