// See v1.hpp. Every handler checks the caller's token first, then validates everything it reads
// before it touches the engine or the store; every error is {"error":{"code","message"}} and no
// answer carries a secret (no token, no key, no endpoint URL, which may embed credentials).
#include "relay/api/v1.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <limits>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "relay/api/console_proof.hpp"
#include "relay/core/base64.hpp"
#include "relay/core/bytes.hpp"
#include "relay/core/checkpoint.hpp"
#include "relay/core/hash.hpp"
#include "relay/core/message_json.hpp"
#include "relay/core/protocol.hpp"
#include "relay/net/url.hpp"
#include "relay/store/checkpoint_signer.hpp"
#include "relay/verify/bundle.hpp"
#include "relay/verify/json_read.hpp"

namespace causeway::api {
namespace {

namespace asio = boost::asio;
namespace jr = verify::json_read;
using asio::awaitable;
using nlohmann::json;

// The page a listing serves when the caller names none (capped by page_limit_max).
constexpr std::size_t kDefaultPage = 50;
// Admin request bodies are a few fields; deeper JSON is not one of them.
constexpr std::size_t kMaxBodyDepth = 4;
// Operator reasons end up in the log, the audit log (hashed) and the stream: short and printable
// ASCII, so none can forge a log line.
constexpr std::size_t kMaxReasonLength = 200;
constexpr std::array<std::string_view, 5> kLogLevels{"trace", "debug", "info", "warn", "error"};
constexpr std::string_view kTextPlain = "text/plain; charset=utf-8";
// A cursor is the hex of the page's last (created_at, rowid), 8 bytes big-endian each.
constexpr std::size_t kCursorBytes = 16;

Response json_response(unsigned status, const json& body) {
  Response response;
  response.status = status;
  // Stored reasons and operator text are passed through; never let a stray byte throw here.
  response.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return response;
}

Response error_response(unsigned status, std::string_view code, std::string_view message) {
  return json_response(status, {{"error", {{"code", code}, {"message", message}}}});
}

Response bad_request(std::string_view message) { return error_response(400, "bad_request", message); }
Response not_found(std::string_view message) { return error_response(404, "not_found", message); }
// A bundle the store had and retention deleted (relay.retention.bundles_days): gone for good, which
// 410 says where 404 would send an auditor looking for a bundle that never existed.
Response pruned(std::string_view message) { return error_response(410, "bundle.pruned", message); }

// Ids and claims: 0x and 64 lower-case hex digits, the form every Causeway JSON uses.
template <typename Fixed>
std::optional<Fixed> parse_word(std::string_view text) {
  auto parsed = jr::read_fixed<Fixed>(json(text), "");
  if (!parsed) return std::nullopt;
  return *parsed;
}

// A canonical decimal (no sign, no leading zero) of at most `max`.
std::optional<std::uint64_t> parse_count(std::string_view text, std::uint64_t max) {
  if (text.empty() || (text.size() > 1 && text.front() == '0')) return std::nullopt;
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value > max) return std::nullopt;
  return value;
}

std::string encode_cursor(const store::MessagePosition& position) {
  core::Bytes bytes;
  const auto row = static_cast<std::uint64_t>(position.row);
  for (int shift = 56; shift >= 0; shift -= 8) bytes.push_back(static_cast<std::uint8_t>(position.created_at >> shift));
  for (int shift = 56; shift >= 0; shift -= 8) bytes.push_back(static_cast<std::uint8_t>(row >> shift));
  return core::to_hex(bytes, false);
}

std::optional<store::MessagePosition> decode_cursor(std::string_view text) {
  const bool lower_hex = std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
  if (text.size() != 2 * kCursorBytes || !lower_hex) return std::nullopt;
  auto bytes = core::from_hex(text);
  if (!bytes) return std::nullopt;
  std::uint64_t created = 0;
  std::uint64_t row = 0;
  for (std::size_t i = 0; i < 8; ++i) created = created << 8 | (*bytes)[i];
  for (std::size_t i = 8; i < kCursorBytes; ++i) row = row << 8 | (*bytes)[i];
  if (row > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
  return store::MessagePosition{created, static_cast<std::int64_t>(row)};
}

// Refuses query parameters the endpoint does not read: a misspelt filter must not silently
// widen a listing.
std::optional<Response> only_params(const Request& request, std::initializer_list<std::string_view> allowed) {
  for (const auto& [key, value] : request.query) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      return bad_request("unknown query parameter");
    }
  }
  return std::nullopt;
}

const std::string* param(const Request& request, std::string_view name) {
  const auto found = request.query.find(std::string(name));
  return found == request.query.end() ? nullptr : &found->second;
}

// A body that is a JSON object with only `fields` (each optional); an empty body reads as {}.
std::optional<Response> read_body(const Request& request, std::initializer_list<std::string_view> fields, json& out) {
  if (request.body.empty()) {
    out = json::object();
    return std::nullopt;
  }
  auto parsed = jr::parse_bounded(request.body, request.body.size(), kMaxBodyDepth);
  if (!parsed) return bad_request("the body is not JSON");
  auto checked = jr::check_object(*parsed, "body", {}, fields);
  if (!checked) return bad_request(checked.error().detail());
  out = std::move(parsed).value();
  return std::nullopt;
}

// The optional "reason" of a park or pause: 1 to 200 printable ASCII characters.
std::optional<Response> read_reason(const json& body, std::string& reason) {
  if (!body.contains("reason")) return std::nullopt;
  auto text = jr::read_string(body["reason"], "reason", kMaxReasonLength);
  const bool printable = text && std::all_of(text->begin(), text->end(), [](char c) { return c >= ' ' && c <= '~'; });
  if (!printable) return bad_request("reason: 1 to 200 printable ASCII characters");
  reason = std::move(text).value();
  return std::nullopt;
}

json leaf_json(const store::AuditEntry& entry) {
  // The line format of `causeway audit export` (leaves.jsonl), so a page can be checked by the
  // same tools; time is a decimal string as in schemas/audit-leaf.schema.json.
  return {{"index", entry.index},
          {"kind", static_cast<unsigned>(entry.kind)},
          {"kind_name", core::audit_kind_name(entry.kind)},
          {"id", core::to_hex(entry.id)},
          {"claim", core::to_hex(entry.claim)},
          {"detail", core::to_hex(entry.detail)},
          {"time", std::to_string(entry.time)},
          {"leaf", core::to_hex(core::ByteView(entry.leaf))}};
}

json hashes_json(const std::vector<core::Hash32>& hashes) {
  json out = json::array();
  for (const auto& hash : hashes) out.push_back(core::to_hex(hash));
  return out;
}

// The entry of `name` in an object of the engine's status detail, or an empty object.
const json& member(const json& object, const std::string& name) {
  static const json kEmpty = json::object();
  if (!object.is_object()) return kEmpty;
  const auto found = object.find(name);
  return found == object.end() ? kEmpty : *found;
}

// The forms in which each configured endpoint URL can appear in an error text, longest first, with
// the name that replaces it: provider URLs carry API keys in their paths and queries.
std::vector<std::pair<std::string, std::string>> endpoint_names(const engine::Config& config) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& chain : config.chains) {
    for (std::size_t i = 0; i < chain.endpoints.size(); ++i) {
      const std::string name = "<" + chain.name + ".endpoints[" + std::to_string(i) + "]>";
      const std::string& url = chain.endpoints[i].url;
      out.emplace_back(url, name);
      out.emplace_back(net::redact_url(url), name);
      if (auto parsed = net::parse_url(url)) out.emplace_back(parsed->label(), name);
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  return out;
}

struct V1 {
  V1(engine::Engine& e, store::Store& s, V1Options o)
      : engine(e), store(s), options(std::move(o)), endpoints(endpoint_names(e.config())) {
    // The loader checked every relay.witnesses entry is a cosignature/v1 vkey.
    for (const auto& vkey : e.config().relay.witnesses) {
      if (auto key = core::parse_verifier_key(vkey)) witnesses.push_back(std::move(key).value());
    }
    has_token = !options.admin_token.empty();
    token_digest = core::sha256(core::as_bytes(options.admin_token));
    // Only the digest is kept: a memory dump of a long-running relay should not hold the token.
    OPENSSL_cleanse(options.admin_token.data(), options.admin_token.size());
    options.admin_token.clear();
  }

  engine::Engine& engine;
  store::Store& store;
  V1Options options;
  std::vector<std::pair<std::string, std::string>> endpoints;
  bool has_token = false;
  core::Hash32 token_digest;
  std::vector<core::VerifierKey> witnesses;

  // Engine status text (a chain's last error, a lane's halt reason) with endpoint URLs named
  // instead of shown.
  json without_endpoints(const json& text) const {
    if (!text.is_string()) return text;
    std::string out = text.get<std::string>();
    for (const auto& [url, name] : endpoints) {
      if (url.empty()) continue;
      for (auto at = out.find(url); at != std::string::npos; at = out.find(url, at + name.size())) {
        out.replace(at, url.size(), name);
      }
    }
    return out;
  }

  // ---- access

  // A 401 names the scheme it wants (RFC 6750 section 3).
  static Response unauthorized(std::string_view message) {
    Response response = error_response(401, "unauthorized", message);
    response.headers.emplace("WWW-Authenticate", "Bearer");
    return response;
  }

  bool has_admin_certificate(const Request& request) const {
    if (!request.client) return false;
    const auto& listed = options.admin_client_certs;
    return std::find(listed.begin(), listed.end(), request.client->fingerprint) != listed.end();
  }

  std::optional<Response> check_token(const Request& request) const {
    const auto header = request.headers.find("authorization");
    if (header == request.headers.end()) return unauthorized("missing bearer token");
    std::string_view value = header->second;
    constexpr std::string_view kScheme = "bearer ";
    const bool bearer = value.size() > kScheme.size() &&
                        std::equal(kScheme.begin(), kScheme.end(), value.begin(), [](char a, char b) {
                          return a == std::tolower(static_cast<unsigned char>(b));
                        });
    if (!bearer) return unauthorized("expected Authorization: Bearer <token>");
    value.remove_prefix(kScheme.size());
    // Digests of equal length compared in constant time: neither the token's bytes nor its
    // length leak through timing.
    const auto offered = core::sha256(core::as_bytes(value));
    if (!core::constant_time_equal(offered.view(), token_digest.view())) {
      return unauthorized("bad bearer token");
    }
    return std::nullopt;
  }

  // Either credential is enough: the bearer token, or a verified client certificate listed in
  // admin_client_certs. A listed certificate is checked first so that its holder needs no token.
  std::optional<Response> authorize_admin(const Request& request) const {
    if (has_admin_certificate(request)) return std::nullopt;
    if (!has_token) {
      if (options.admin_client_certs.empty()) return error_response(403, "admin_disabled", "admin API disabled");
      return error_response(403, "forbidden", "admin needs a listed client certificate");
    }
    return check_token(request);
  }

  std::optional<Response> authorize_read(const Request& request) const {
    if (options.public_reads || has_admin_certificate(request)) return std::nullopt;
    if (!has_token) return error_response(403, "reads_disabled", "reads need a token and none is configured");
    return check_token(request);
  }

  // An engine or store failure: the caller's mistakes by their reason, anything else a 500
  // whose detail goes to the log only.
  Response failure(const core::Error& error) const {
    const auto reason = error.reason();
    if (reason == store::reason::kNotFound) return not_found("no such message");
    if (reason == engine::reason::kUnknownLane) return not_found("no such lane");
    if (reason == store::reason::kIllegalTransition) return error_response(409, "conflict", error.detail());
    if (reason == engine::reason::kNotParked || reason == engine::reason::kNotOrdered) {
      return error_response(409, reason.name, error.detail());
    }
    // The chain the request needs is not up yet (or its node failed): worth trying again later.
    if (reason == engine::reason::kChainNotStarted) return error_response(503, reason.name, error.detail());
    if (options.on_error) options.on_error("api: " + error.message());
    return error_response(500, "internal", "internal error");
  }

  // ---- lanes by store key

  std::map<core::Hash32, std::string> lane_names() const {
    std::map<core::Hash32, std::string> out;
    for (const auto& [name, keys] : engine.store_lanes()) {
      for (const auto& key : keys) out.emplace(key, name);
    }
    return out;
  }

  static json message_json(const store::StoredMessage& m, const std::map<core::Hash32, std::string>& lanes) {
    const auto lane = lanes.find(m.lane);
    json out = {{"id", core::to_hex(m.id)},
                {"lane", lane == lanes.end() ? std::string() : lane->second},
                {"state", std::string(store::to_string(m.state))},
                {"claim", core::to_hex(m.claim)},
                {"attempts", m.attempts},
                {"next_attempt_at", m.next_attempt_at},
                {"created_at", m.created_at},
                {"updated_at", m.updated_at},
                {"message", core::message_to_json(m.message)}};
    if (m.parked_from) out["parked_from"] = std::string(store::to_string(*m.parked_from));
    if (!m.parked_reason.empty()) out["parked_reason"] = m.parked_reason;
    return out;
  }

  // ---- reads

  Response chains(const Request& request) const {
    if (auto refused = only_params(request, {})) return *refused;
    const auto status = engine.status();
    const json& live_chains = member(status.detail, "chains");
    json out = json::array();
    for (const auto& chain : engine.config().chains) {
      const json& live = member(live_chains, chain.name);
      json entry = {{"name", chain.name},
                    {"family", chain.family},
                    {"chain_id", std::to_string(chain.chain_id)},
                    {"chain_identity", core::to_hex(chain.chain_identity)},
                    {"gateway", core::to_hex(chain.gateway)},
                    {"consensus", member(chain.anchor, "consensus").value("mode", "")},
                    {"threshold", chain.threshold},
                    {"started", live.value("started", false)},
                    {"head", live.value("head", std::uint64_t{0})}};
      if (live.contains("cursor")) entry["cursor"] = live["cursor"];
      if (live.contains("last_error")) entry["last_error"] = without_endpoints(live["last_error"]);
      out.push_back(std::move(entry));
    }
    return json_response(200, {{"chains", std::move(out)}, {"ready", status.ready}});
  }

  Response lanes(const Request& request) const {
    if (auto refused = only_params(request, {})) return *refused;
    auto counts = store.lane_state_counts();
    if (!counts) return failure(counts.error());
    const auto names = lane_names();
    std::map<std::string, json> by_lane;
    for (const auto& lane : engine.config().lanes) {
      json zero = json::object();
      for (const auto state : store::kAllMessageStates) zero[std::string(store::to_string(state))] = 0;
      by_lane.emplace(lane.name, std::move(zero));
    }
    for (const auto& count : *counts) {
      const auto name = names.find(count.lane);
      if (name == names.end()) continue;
      json& slot = by_lane[name->second][std::string(store::to_string(count.state))];
      slot = slot.get<std::uint64_t>() + count.count;
    }
    const auto status = engine.status();
    const json& live_lanes = member(status.detail, "lanes");
    json out = json::array();
    for (const auto& lane : engine.config().lanes) {
      const json& live = member(live_lanes, lane.name);
      json entry = {{"name", lane.name},
                    {"from", lane.from},
                    {"to", lane.to},
                    {"acknowledge", lane.acknowledge},
                    {"halted", live.value("halted", false)},
                    {"in_flight", live.value("in_flight", std::uint64_t{0})},
                    {"messages", by_lane[lane.name]}};
      if (live.contains("halt_reason")) entry["halt_reason"] = without_endpoints(live["halt_reason"]);
      out.push_back(std::move(entry));
    }
    return json_response(200, {{"lanes", std::move(out)}});
  }

  Response list_messages(const Request& request) const {
    if (auto refused = only_params(request, {"lane", "state", "limit", "cursor"})) return *refused;
    store::MessageFilter filter;
    if (const auto* lane = param(request, "lane")) {
      auto lanes = engine.store_lanes();
      const auto found = lanes.find(*lane);
      if (found == lanes.end()) return not_found("no such lane");
      filter.lanes = found->second;
    }
    if (const auto* state = param(request, "state")) {
      filter.state = store::message_state_from_string(*state);
      if (!filter.state) return bad_request("state: not a message state");
    }
    const std::size_t max = std::max<std::size_t>(1, options.page_limit_max);
    std::size_t limit = std::min(kDefaultPage, max);
    if (const auto* text = param(request, "limit")) {
      const auto parsed = parse_count(*text, max);
      if (!parsed || *parsed == 0) return bad_request("limit: 1 to " + std::to_string(max));
      limit = static_cast<std::size_t>(*parsed);
    }
    std::optional<store::MessagePosition> after;
    if (const auto* cursor = param(request, "cursor")) {
      after = decode_cursor(*cursor);
      if (!after) return bad_request("cursor: not a cursor this API gave out");
    }
    auto page = store.list_messages(filter, after, limit);
    if (!page) return failure(page.error());
    const auto names = lane_names();
    json messages = json::array();
    for (const auto& m : page->messages) messages.push_back(message_json(m, names));
    return json_response(200, {{"messages", std::move(messages)},
                               {"next_cursor", page->next ? json(encode_cursor(*page->next)) : json(nullptr)}});
  }

  Response show_message(const Request& request) const {
    if (auto refused = only_params(request, {})) return *refused;
    const auto id = parse_word<core::MessageId>(request.params.at("id"));
    if (!id) return bad_request("id: expected 0x and 64 lower-case hex digits");
    auto stored = store.message(*id);
    if (!stored) return failure(stored.error());
    if (!*stored) return not_found("no such message");
    auto execution = store.execution(*id);
    if (!execution) return failure(execution.error());
    json out = message_json(**stored, lane_names());
    out["execution"] = nullptr;
    if (*execution) {
      const auto& e = **execution;
      out["execution"] = {{"claim", core::to_hex(e.claim)},
                          {"status", static_cast<unsigned>(e.status)},
                          {"tx_hash", core::to_hex(e.tx_hash)},
                          {"block_number", std::to_string(e.block_number)}};
    }
    return json_response(200, out);
  }

  // No bundle under `claim`: 410 when retention pruned it, 404 when there never was one.
  Response missing_bundle(const core::Claim& claim) const {
    auto was_pruned = store.bundle_pruned(claim);
    if (!was_pruned) return failure(was_pruned.error());
    if (*was_pruned) return pruned("the bundle of this claim was pruned by retention; its audit leaves remain");
    return not_found("no bundle or rejection with this claim");
  }

  Response show_bundle(const Request& request) const {
    if (auto refused = only_params(request, {})) return *refused;
    const auto claim = parse_word<core::Claim>(request.params.at("claim"));
    if (!claim) return bad_request("claim: expected 0x and 64 lower-case hex digits");
    auto bundle = store.bundle(*claim);
    if (!bundle) return failure(bundle.error());
    auto rejection = store.rejection(*claim);
    if (!rejection) return failure(rejection.error());
    if (!*bundle && !*rejection) return missing_bundle(*claim);
    json head = {{"claim", core::to_hex(*claim)},
                 {"message_id", core::to_hex(*bundle ? (*bundle)->id : (*rejection)->claimed_id)},
                 {"verified", *bundle && (*bundle)->verified},
                 {"rejection", nullptr}};
    if (*rejection) {
      head["rejection"] = {{"reason", (*rejection)->reason}, {"time", (*rejection)->time}};
    }
    // The bundle goes out byte for byte as stored: a verified leaf's detail is keccak256 of
    // exactly these bytes, so an auditor can hash what it receives.
    std::string body = head.dump(-1, ' ', false, json::error_handler_t::replace);
    body.pop_back();
    body += ",\"bundle\":";
    if (*bundle) {
      if (!json::accept((*bundle)->json)) {
        return failure(core::Error(store::reason::kCorrupt, "stored bundle " + core::to_hex(*claim) + " is not JSON"));
      }
      body += (*bundle)->json;
    } else {
      body += "null";
    }
    body += '}';
    Response response;
    response.body = std::move(body);
    return response;
  }

  // The stored bundle run through the verifier again, with its proof laid out (console_proof.hpp).
  // One bundle's checks take well under a millisecond on the engine's thread.
  Response bundle_verification(const Request& request) const {
    if (auto refused = only_params(request, {})) return *refused;
    const auto claim = parse_word<core::Claim>(request.params.at("claim"));
    if (!claim) return bad_request("claim: expected 0x and 64 lower-case hex digits");
    auto bundle = store.bundle(*claim);
    if (!bundle) return failure(bundle.error());
    if (!*bundle) return missing_bundle(*claim);
    auto rejection = store.rejection(*claim);
    if (!rejection) return failure(rejection.error());
    // A signed chain's bundle may start at a checkpoint the relay kept: judged from there, as when
    // the relay took it. One that does not parse is judged (unusable) by bundle_verification_json.
    auto parsed = verify::parse_bundle((**bundle).json);
    auto anchors = parsed ? engine.anchors_for(*parsed) : engine.config().trust_anchors();
    if (!anchors) return failure(anchors.error());
    return json_response(200, bundle_verification_json(**bundle, *rejection, *anchors, lane_names()));
  }

  // A stored checkpoint as GET and POST /v1/audit/checkpoint serve it: the signed note with the
  // witnesses' cosignature lines.
  Response checkpoint_note(const store::Checkpoint& checkpoint) const {
    auto cosignatures = store.cosignatures(checkpoint.tree_size);
    if (!cosignatures) return failure(cosignatures.error());
    Response response;
    response.content_type = std::string(kTextPlain);
    // Signature lines may follow each other in any order (signed-note), so the witnesses' lines
    // simply follow the log's.
    response.body = checkpoint.note;
    for (const auto& line : *cosignatures) response.body += line;
    return response;
  }

  Response audit_checkpoint(const Request& request) const {
    if (auto refused = only_params(request, {})) return *refused;
    auto checkpoint = store.latest_checkpoint();
    if (!checkpoint) return failure(checkpoint.error());
    if (!*checkpoint) return not_found("no checkpoint signed yet");
    return checkpoint_note(**checkpoint);
  }

  // Signs a checkpoint now, so an auditor need not wait for relay.checkpoint_every. Signing an
  // unchanged log returns the latest checkpoint: calling this in a loop never piles them up.
  Response sign_checkpoint(const Request& request) const {
    if (auto refused = only_params(request, {})) return *refused;
    json body;
    if (auto refused = read_body(request, {}, body)) return *refused;
    if (!options.sign_checkpoint) {
      return error_response(503, "no_log_key", "this relay has no relay.log_key: it signs no checkpoint");
    }
    auto signed_checkpoint = options.sign_checkpoint();
    if (!signed_checkpoint) {
      if (signed_checkpoint.error().reason() == store::reason::kAuditLogEmpty) {
        return error_response(409, "conflict", "the audit log is empty: nothing to sign yet");
      }
      return failure(signed_checkpoint.error());
    }
    return checkpoint_note(*signed_checkpoint);
  }

  // A witness's cosigned checkpoint, {"note": "<signed note>"}. No token: a cosignature
  // authenticates itself against relay.witnesses, and only lines of those keys over a checkpoint
  // this log signed are kept.
  Response add_cosignatures(const Request& request) const {
    if (auto refused = only_params(request, {})) return *refused;
    if (witnesses.empty()) return error_response(403, "no_witnesses", "relay.witnesses names no witness");
    json body;
    if (auto refused = read_body(request, {"note"}, body)) return *refused;
    auto text = body.contains("note") ? jr::read_string(body["note"], "note", core::kMaxNoteBytes)
                                      : core::Result<std::string>(jr::bad("note", "missing"));
    if (!text) return bad_request("note: a signed note of at most 64 KiB");
    auto note = core::parse_signed_note(*text);
    if (!note) return bad_request("note: " + note.error().message());
    auto stored = store.checkpoints();
    if (!stored) return failure(stored.error());
    const auto ours = std::find_if(stored->begin(), stored->end(), [&](const store::Checkpoint& c) {
      return c.tree_size == note->body.size;
    });
    if (ours == stored->end()) return not_found("no checkpoint of this tree size");
    auto signed_note = core::parse_signed_note(ours->note);
    if (!signed_note) return failure(std::move(signed_note).error());
    if (signed_note->text != note->text) {
      return error_response(409, "conflict", "not the checkpoint this log signed at tree size " +
                                                 std::to_string(note->body.size));
    }
    json accepted = json::array();
    for (const auto& witness : witnesses) {
      auto timestamp = core::verify_cosignature(*note, witness);
      if (!timestamp) {
        if (timestamp.error().reason() == core::reason::checkpoint::kNotCosigned) continue;
        return bad_request(timestamp.error().message());
      }
      // Keep the witness's latest line only: the one verify_cosignature vouched for.
      for (const auto& signature : note->signatures) {
        const bool latest = signature.key_name == witness.name && signature.key_id == witness.key_id &&
                            signature.signature.size() == 8 + 64 && read_timestamp(signature.signature) == *timestamp;
        if (!latest) continue;
        core::Bytes payload(witness.key_id.begin(), witness.key_id.end());
        core::append(payload, core::ByteView(signature.signature));
        const std::string line = "\xe2\x80\x94 " + witness.name + " " + core::base64_encode(payload) + "\n";
        const std::string vkey = core::vkey_for(witness.name, witness.public_key, witness.type);
        if (auto added = store.add_cosignature(ours->tree_size, vkey, line); !added) return failure(added.error());
        accepted.push_back(witness.name);
        break;
      }
    }
    if (accepted.empty()) return error_response(403, "not_cosigned", "no cosignature of a witness in relay.witnesses");
    return json_response(200, {{"tree_size", ours->tree_size}, {"witnesses", std::move(accepted)}});
  }

  // The big-endian timestamp that starts a cosignature/v1 signature.
  static std::uint64_t read_timestamp(const core::Bytes& signature) {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < 8; ++i) value = value << 8 | signature[i];
    return value;
  }

  // A tree size from the query (default: the log's size now), at least `min`.
  std::optional<std::uint64_t> tree_size(const Request& request, std::string_view name, std::uint64_t min) const {
    const std::uint64_t size = store.audit_size();
    const auto* text = param(request, name);
    if (text == nullptr) return size >= min ? std::optional(size) : std::nullopt;
    const auto parsed = parse_count(*text, size);
    if (!parsed || *parsed < min) return std::nullopt;
    return parsed;
  }

  Response inclusion(const Request& request) const {
    if (auto refused = only_params(request, {"index", "size"})) return *refused;
    const auto size = tree_size(request, "size", 1);
    if (!size) return bad_request("size: 1 to the log's size");
    const auto* index_text = param(request, "index");
    const auto index = index_text ? parse_count(*index_text, *size - 1) : std::nullopt;
    if (!index) return bad_request("index: 0 to size - 1");
    auto proof = store.inclusion_proof(*index, *size);
    if (!proof) return failure(proof.error());
    // Exactly the proof file `causeway audit inclusion --proof` reads.
    return json_response(200, {{"index", *index}, {"size", *size}, {"hashes", hashes_json(*proof)}});
  }

  Response consistency(const Request& request) const {
    if (auto refused = only_params(request, {"old", "new"})) return *refused;
    const auto size = tree_size(request, "new", 1);
    if (!size) return bad_request("new: 1 to the log's size");
    const auto* old_text = param(request, "old");
    const auto old_size = old_text ? parse_count(*old_text, *size) : std::nullopt;
    if (!old_size || *old_size == 0) return bad_request("old: 1 to new");
    auto proof = store.consistency_proof(*old_size, *size);
    if (!proof) return failure(proof.error());
    // Exactly the proof file `causeway audit consistency --proof` reads.
    return json_response(200, {{"old_size", *old_size}, {"size", *size}, {"hashes", hashes_json(*proof)}});
  }

  Response leaves(const Request& request) const {
    if (auto refused = only_params(request, {"from", "count", "claim"})) return *refused;
    const std::uint64_t size = store.audit_size();
    if (const auto* text = param(request, "claim")) {
      // A claim's leaves are few and served whole; paging them as well would only make a
      // caller that misses a page believe a leaf is absent.
      if (param(request, "from") != nullptr || param(request, "count") != nullptr) {
        return bad_request("claim: not together with from or count");
      }
      const auto claim = parse_word<core::Claim>(*text);
      if (!claim) return bad_request("claim: expected 0x and 64 lower-case hex digits");
      auto entries = store.audit_entries_by_claim(*claim);
      if (!entries) return failure(entries.error());
      json out = json::array();
      for (const auto& entry : *entries) out.push_back(leaf_json(entry));
      return json_response(200, {{"size", size}, {"leaves", std::move(out)}});
    }
    std::uint64_t from = 0;
    if (const auto* text = param(request, "from")) {
      const auto parsed = parse_count(*text, size);
      if (!parsed) return bad_request("from: 0 to the log's size");
      from = *parsed;
    }
    const std::size_t max = std::max<std::size_t>(1, options.page_limit_max);
    std::uint64_t count = std::min(kDefaultPage, max);
    if (const auto* text = param(request, "count")) {
      const auto parsed = parse_count(*text, max);
      if (!parsed || *parsed == 0) return bad_request("count: 1 to " + std::to_string(max));
      count = *parsed;
    }
    json out = json::array();
    for (std::uint64_t index = from; index < std::min(size, from + count); ++index) {
      auto entry = store.audit_entry(index);
      if (!entry) return failure(entry.error());
      if (!*entry) return failure(core::Error(store::reason::kAuditMismatch, "no leaf " + std::to_string(index)));
      out.push_back(leaf_json(**entry));
    }
    return json_response(200, {{"size", size}, {"leaves", std::move(out)}});
  }

  // ---- admin

  Response message_state(const core::MessageId& id) const {
    auto stored = store.message(id);
    if (!stored) return failure(stored.error());
    if (!*stored) return not_found("no such message");
    return json_response(200, {{"id", core::to_hex(id)}, {"state", std::string(store::to_string((*stored)->state))}});
  }

  Response retry(const Request& request) const {
    const auto id = parse_word<core::MessageId>(request.params.at("id"));
    if (!id) return bad_request("id: expected 0x and 64 lower-case hex digits");
    json body;
    if (auto refused = read_body(request, {}, body)) return *refused;
    if (auto done = engine.retry(*id); !done) return failure(done.error());
    return message_state(*id);
  }

  Response park(const Request& request) const {
    const auto id = parse_word<core::MessageId>(request.params.at("id"));
    if (!id) return bad_request("id: expected 0x and 64 lower-case hex digits");
    json body;
    if (auto refused = read_body(request, {"reason"}, body)) return *refused;
    std::string reason;
    if (auto refused = read_reason(body, reason)) return *refused;
    if (auto done = engine.park(*id, reason); !done) return failure(done.error());
    return message_state(*id);
  }

  awaitable<Response> skip(Request request) const {
    const auto id = parse_word<core::MessageId>(request.params.at("id"));
    if (!id) co_return bad_request("id: expected 0x and 64 lower-case hex digits");
    json body;
    if (auto refused = read_body(request, {}, body)) co_return *refused;
    auto sent = co_await engine.skip(*id);
    if (!sent) co_return failure(sent.error());
    // Accepted, not done: the message becomes skipped once the gateway's execution is seen.
    Response response = message_state(*id);
    if (response.status != 200) co_return response;
    json out = json::parse(response.body);
    out["tx_hash"] = core::to_hex(*sent);
    co_return json_response(202, out);
  }

  static json vote_json(const store::VoteRecord& vote) {
    json out = {{"kind", std::string(store::to_string(vote.kind))},
                {"claim", core::to_hex(vote.claim)},
                {"epoch", std::to_string(vote.epoch)},
                {"signer", core::to_hex(vote.signer)},
                {"signature", core::to_hex(core::ByteView(vote.signature.data(), vote.signature.size()))},
                {"origin", std::string(store::to_string(vote.origin))},
                {"time", vote.time}};
    if (vote.kind == store::VoteKind::kAck) out["status"] = vote.status;
    return out;
  }

  Response show_votes(const Request& request) const {
    if (auto refused = only_params(request, {})) return *refused;
    const auto id = parse_word<core::MessageId>(request.params.at("id"));
    if (!id) return bad_request("id: expected 0x and 64 lower-case hex digits");
    auto stored = store.message(*id);
    if (!stored) return failure(stored.error());
    if (!*stored) return not_found("no such message");
    auto votes = store.votes(*id);
    if (!votes) return failure(votes.error());
    json out = json::array();
    for (const auto& vote : *votes) out.push_back(vote_json(vote));
    return json_response(200, {{"id", core::to_hex(*id)}, {"votes", std::move(out)}});
  }

  // A peer attester's vote: {kind, claim, epoch, signer, signature} and, for an ack, status.
  Response add_vote(const Request& request) const {
    const auto id = parse_word<core::MessageId>(request.params.at("id"));
    if (!id) return bad_request("id: expected 0x and 64 lower-case hex digits");
    json body;
    if (auto refused = read_body(request, {"kind", "claim", "epoch", "signer", "signature", "status"}, body)) {
      return *refused;
    }
    auto read = [&]() -> core::Result<store::VoteRecord> {
      CW_CHECK(jr::check_object(body, "body", {"kind", "epoch", "signer", "signature"}, {"claim", "status"}));
      store::VoteRecord vote;
      vote.id = *id;
      CW_TRY(const auto kind_name, jr::read_string(body["kind"], "kind", 16));
      const auto kind = store::vote_kind_from_string(kind_name);
      if (!kind) return jr::bad("kind", "one of deliver, ack, skip");
      vote.kind = *kind;
      if (body.contains("claim")) {
        CW_TRY(vote.claim, jr::read_fixed<core::Claim>(body["claim"], "claim"));
      }
      if (body.contains("status")) {
        CW_TRY(const auto status, jr::read_uint(body["status"], "status", 4));
        vote.status = static_cast<std::uint8_t>(status);
      }
      CW_TRY(vote.epoch, jr::read_decimal(body["epoch"], "epoch"));
      CW_TRY(vote.signer, jr::read_fixed<core::Address>(body["signer"], "signer"));
      CW_TRY(const auto signature, jr::read_hex(body["signature"], "signature", vote.signature.size()));
      if (signature.size() != vote.signature.size()) return jr::bad("signature", "expected 65 bytes");
      std::copy(signature.begin(), signature.end(), vote.signature.begin());
      return vote;
    }();
    if (!read) return bad_request(read.error().detail());
    auto accepted = engine.accept_vote(*read);
    if (!accepted) {
      const auto reason = accepted.error().reason();
      if (reason.name.starts_with("vote.")) return error_response(400, reason.name, accepted.error().detail());
      return failure(accepted.error());
    }
    return json_response(200, {{"id", core::to_hex(*id)}, {"duplicate", !*accepted}});
  }

  // A proof bundle pushed out of band; verified like one from the source adapter.
  awaitable<Response> submit_bundle(Request request) const {
    if (auto refused = only_params(request, {})) co_return *refused;
    auto submitted = co_await engine.submit_bundle(std::move(request.body));
    if (!submitted) {
      if (submitted.error().reason() == engine::reason::kBadBundle) co_return bad_request(submitted.error().detail());
      co_return failure(submitted.error());
    }
    using Outcome = engine::BundleSubmission::Outcome;
    const auto& s = *submitted;
    const std::string_view outcome = s.outcome == Outcome::kAdmitted ? "admitted"
                                     : s.outcome == Outcome::kKnown  ? "known"
                                                                     : "rejected";
    json out = {{"outcome", outcome}, {"claim", core::to_hex(s.claim)}, {"id", core::to_hex(s.id)}};
    if (s.outcome == Outcome::kRejected) out["reason"] = s.reason;
    co_return json_response(s.outcome == Outcome::kRejected ? 422 : 200, out);
  }

  Response lane_state(const std::string& name) const {
    const auto status = engine.status();
    const json& live = member(member(status.detail, "lanes"), name);
    json out = {{"lane", name}, {"halted", live.value("halted", false)}};
    if (live.contains("halt_reason")) out["halt_reason"] = without_endpoints(live["halt_reason"]);
    return json_response(200, out);
  }

  Response pause(const Request& request) const {
    const std::string& name = request.params.at("name");
    json body;
    if (auto refused = read_body(request, {"reason"}, body)) return *refused;
    std::string reason;
    if (auto refused = read_reason(body, reason)) return *refused;
    if (auto done = engine.pause_lane(name, reason); !done) return failure(done.error());
    return lane_state(name);
  }

  Response resume(const Request& request) const {
    const std::string& name = request.params.at("name");
    json body;
    if (auto refused = read_body(request, {}, body)) return *refused;
    if (auto done = engine.resume_lane(name); !done) return failure(done.error());
    return lane_state(name);
  }

  Response log_level(const Request& request) const {
    json body;
    if (auto refused = read_body(request, {"level"}, body)) return *refused;
    const auto level = body.contains("level") ? jr::read_string(body["level"], "level", 16)
                                              : core::Result<std::string>(jr::bad("level", "missing"));
    if (!level || std::find(kLogLevels.begin(), kLogLevels.end(), *level) == kLogLevels.end()) {
      return bad_request("level: one of trace, debug, info, warn, error");
    }
    if (!options.set_log_level) return error_response(501, "not_implemented", "this relay cannot change its log level");
    if (!options.set_log_level(*level)) return error_response(500, "internal", "the log level was not changed");
    return json_response(200, {{"level", *level}});
  }
};

using Method = Response (V1::*)(const Request&) const;
// Handlers that wait for the engine's network work (verification's canonical hashes, a skip's
// transaction); the request is taken by value, as every coroutine's argument.
using AsyncMethod = awaitable<Response> (V1::*)(Request) const;

Handler read_handler(std::shared_ptr<const V1> v1, Method method) {
  return [v1, method](Request request) -> awaitable<Response> {
    if (auto denied = v1->authorize_read(request)) co_return std::move(*denied);
    co_return (*v1.*method)(request);
  };
}

// The token is checked before anything in the request is looked at, so a caller without it
// learns nothing, not even whether an id exists.
Handler admin_handler(std::shared_ptr<const V1> v1, Method method) {
  return [v1, method](Request request) -> awaitable<Response> {
    if (auto denied = v1->authorize_admin(request)) co_return std::move(*denied);
    co_return (*v1.*method)(request);
  };
}

Handler admin_async_handler(std::shared_ptr<const V1> v1, AsyncMethod method) {
  return [v1, method](Request request) -> awaitable<Response> {
    if (auto denied = v1->authorize_admin(request)) co_return std::move(*denied);
    Response response = co_await (*v1.*method)(std::move(request));
    co_return response;
  };
}

}  // namespace

void install_v1_routes(HttpServer& server, engine::Engine& engine, store::Store& store, V1Options options) {
  const auto v1 = std::make_shared<const V1>(engine, store, std::move(options));
  server.route("GET", "/v1/chains", read_handler(v1, &V1::chains));
  server.route("GET", "/v1/lanes", read_handler(v1, &V1::lanes));
  server.route("GET", "/v1/messages", read_handler(v1, &V1::list_messages));
  server.route("GET", "/v1/messages/{id}", read_handler(v1, &V1::show_message));
  server.route("GET", "/v1/bundles/{claim}", read_handler(v1, &V1::show_bundle));
  server.route("GET", "/v1/bundles/{claim}/verification", read_handler(v1, &V1::bundle_verification));
  server.route("GET", "/v1/audit/checkpoint", read_handler(v1, &V1::audit_checkpoint));
  server.route("GET", "/v1/audit/proof/inclusion", read_handler(v1, &V1::inclusion));
  server.route("GET", "/v1/audit/proof/consistency", read_handler(v1, &V1::consistency));
  server.route("GET", "/v1/audit/leaves", read_handler(v1, &V1::leaves));
  server.route("POST", "/v1/audit/cosignatures", read_handler(v1, &V1::add_cosignatures));
  server.route("POST", "/v1/audit/checkpoint", admin_handler(v1, &V1::sign_checkpoint));
  server.route("POST", "/v1/messages/{id}/retry", admin_handler(v1, &V1::retry));
  server.route("POST", "/v1/messages/{id}/park", admin_handler(v1, &V1::park));
  server.route("POST", "/v1/messages/{id}/skip", admin_async_handler(v1, &V1::skip));
  server.route("GET", "/v1/votes/{id}", read_handler(v1, &V1::show_votes));
  server.route("POST", "/v1/votes/{id}", admin_handler(v1, &V1::add_vote));
  server.route("POST", "/v1/bundles", admin_async_handler(v1, &V1::submit_bundle));
  server.route("POST", "/v1/lanes/{name}/pause", admin_handler(v1, &V1::pause));
  server.route("POST", "/v1/lanes/{name}/resume", admin_handler(v1, &V1::resume));
  server.route("POST", "/v1/log-level", admin_handler(v1, &V1::log_level));
  if (v1->options.stream) {
    server.upgrade("/v1/stream", [v1](Request request, Connection& connection) -> awaitable<unsigned> {
      if (auto denied = v1->authorize_read(request)) {
        const unsigned refused = co_await refuse_upgrade(connection, std::move(*denied));
        co_return refused;
      }
      const unsigned status = co_await v1->options.stream->serve(std::move(request), connection);
      co_return status;
    });
  }
}

}  // namespace causeway::api
