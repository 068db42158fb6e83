// The relay's config loader (see config_loader.hpp): the YAML rule, strict field reading, and the
// cross-field checks. Trust-anchor fields are checked by relay/verify's own reader.
#include "relay/app/config_loader.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <span>
#include <sstream>
#include <utility>

#include "adapters/evm/keystore.hpp"
#include "relay/app/verify_command.hpp"
#include "relay/core/checkpoint.hpp"
#include "relay/core/secp256k1.hpp"
#include "relay/verify/json_read.hpp"
#include "relay/verify/trust_anchors.hpp"

namespace causeway::app {
namespace {

namespace rc = reason::config;
namespace json_read = verify::json_read;
using json_read::field_path;
using json_read::index_path;
using nlohmann::json;

// The largest integer every JSON reader (JavaScript's included) holds exactly.
inline constexpr std::uint64_t kMaxExactInteger = std::uint64_t{1} << 53;
// A config nests six levels; anything far deeper is not a config.
inline constexpr std::size_t kMaxDepth = 32;
inline constexpr std::size_t kMaxPathLength = 4096;
inline constexpr std::size_t kMaxChains = 256;
inline constexpr std::size_t kMaxLanes = 1024;
inline constexpr std::size_t kMaxEndpoints = 16;
inline constexpr std::size_t kMaxAdapterArgs = 64;
inline constexpr std::size_t kMaxAdapterEnv = 64;
inline constexpr std::size_t kMaxAdminCertificates = 64;
inline constexpr std::uint64_t kMaxMilliseconds = 86'400'000;  // a day
// What a gateway caps payloads at, so the default bound refuses nothing a gateway accepts.
inline constexpr std::uint64_t kDefaultMaxPayload = 32 * 1024;

core::Error bad(std::string_view path, std::string_view why) {
  return core::Error(rc::kBadField, std::string(path) + ": " + std::string(why));
}

// ---- YAML to JSON --------------------------------------------------------------------------

std::string at_mark(const YAML::Mark& mark) {
  if (mark.is_null()) return {};
  return " (line " + std::to_string(mark.line + 1) + ", column " + std::to_string(mark.column + 1) + ")";
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::size_t count_digits(std::string_view text) {
  std::size_t n = 0;
  while (n < text.size() && is_digit(text[n])) ++n;
  return n;
}

enum class PlainKind { kInteger, kFloat, kString };

// The rule's number forms: -?(0|[1-9][0-9]*) is an integer; the same followed by a fraction
// (.digits) and/or an exponent (e[+-]digits) is a float.
PlainKind classify_plain(std::string_view text) {
  if (!text.empty() && text.front() == '-') text.remove_prefix(1);
  const std::size_t whole = count_digits(text);
  if (whole == 0 || (whole > 1 && text.front() == '0')) return PlainKind::kString;
  text.remove_prefix(whole);
  if (text.empty()) return PlainKind::kInteger;
  if (text.front() == '.') {
    const std::size_t fraction = count_digits(text.substr(1));
    if (fraction == 0) return PlainKind::kString;
    text.remove_prefix(1 + fraction);
  }
  if (!text.empty() && (text.front() == 'e' || text.front() == 'E')) {
    text.remove_prefix(1);
    if (!text.empty() && (text.front() == '+' || text.front() == '-')) text.remove_prefix(1);
    const std::size_t exponent = count_digits(text);
    if (exponent == 0) return PlainKind::kString;
    text.remove_prefix(exponent);
  }
  return text.empty() ? PlainKind::kFloat : PlainKind::kString;
}

// Builds the JSON value from yaml-cpp's events. Callbacks cannot return errors, so the first one
// is kept and every later event ignored.
class JsonBuilder final : public YAML::EventHandler {
 public:
  bool failed() const noexcept { return error_.has_value(); }

  core::Result<json> take() && {
    if (error_) return std::move(*error_);
    if (!root_) return core::Error(rc::kSyntax, "(root): empty document");
    return std::move(*root_);
  }

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (++documents_ > 1) fail(rc::kSyntax, "(root): more than one YAML document" + at_mark(mark));
  }
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (!accept(mark, anchor, "?", false)) return;
    add(json(nullptr));
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override {
    fail(rc::kYamlFeature, here() + ": aliases (*name) are not allowed" + at_mark(mark));
  }
  void OnAnchor(const YAML::Mark& mark, const std::string& name) override {
    fail(rc::kYamlFeature, here() + ": anchors (&" + name + ") are not allowed" + at_mark(mark));
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    if (failed() || !check_anchor(mark, anchor)) return;
    // yaml-cpp marks a quoted scalar (and one tagged with the non-specific "!") with "!", a
    // plain one with "?".
    const bool plain = tag == "?";
    if (!plain && tag != "!") {
      fail(rc::kYamlFeature, here() + ": tags (" + tag + ") are not allowed" + at_mark(mark));
      return;
    }
    if (expecting_key()) {
      Frame& map = stack_.back();
      if (map.value.contains(value)) {
        fail(rc::kDuplicateKey, field_path(map.path, value) + ": given twice" + at_mark(mark));
        return;
      }
      map.key = value;
      map.has_key = true;
      return;
    }
    if (!plain) {
      add(json(value));
      return;
    }
    if (value == "true" || value == "false") {
      add(json(value == "true"));
      return;
    }
    switch (classify_plain(value)) {
      case PlainKind::kInteger:
        add_integer(mark, value);
        return;
      case PlainKind::kFloat:
        add_float(mark, value);
        return;
      case PlainKind::kString:
        add(json(value));
        return;
    }
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    if (accept(mark, anchor, tag, true)) push(json::array());
  }
  void OnSequenceEnd() override { pop(); }
  void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    if (accept(mark, anchor, tag, true)) push(json::object());
  }
  void OnMapEnd() override { pop(); }

 private:
  struct Frame {
    json value;
    std::string path;
    std::string key;  // of the value that comes next, once has_key
    bool has_key = false;
  };

  bool fail(core::Reason reason, std::string detail) {
    if (!error_) error_ = core::Error(reason, std::move(detail));
    return false;
  }

  bool expecting_key() const { return !stack_.empty() && stack_.back().value.is_object() && !stack_.back().has_key; }

  // The path of the node the next event creates (its map's path while a key is expected).
  std::string here() const {
    if (stack_.empty()) return "(root)";
    const Frame& top = stack_.back();
    if (top.value.is_array()) return index_path(top.path, top.value.size());
    return top.has_key ? field_path(top.path, top.key) : (top.path.empty() ? "(root)" : top.path);
  }

  bool check_anchor(const YAML::Mark& mark, YAML::anchor_t anchor) {
    if (anchor == YAML::NullAnchor) return true;
    return fail(rc::kYamlFeature, here() + ": anchors are not allowed" + at_mark(mark));
  }

  // The checks shared by null, map and sequence nodes: no anchor, no tag, not a key.
  bool accept(const YAML::Mark& mark, YAML::anchor_t anchor, const std::string& tag, bool collection) {
    if (failed() || !check_anchor(mark, anchor)) return false;
    if (tag != "?") return fail(rc::kYamlFeature, here() + ": tags (" + tag + ") are not allowed" + at_mark(mark));
    if (expecting_key()) {
      return fail(rc::kSyntax, here() + ": a key must be a non-empty scalar" + at_mark(mark));
    }
    if (collection && stack_.size() >= kMaxDepth) {
      return fail(rc::kSyntax, here() + ": nesting deeper than " + std::to_string(kMaxDepth) + at_mark(mark));
    }
    return true;
  }

  void add_integer(const YAML::Mark& mark, const std::string& text) {
    const bool negative = text.front() == '-';
    const std::string_view digits = std::string_view(text).substr(negative ? 1 : 0);
    std::uint64_t magnitude = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), magnitude);
    if (ec != std::errc{} || end != digits.data() + digits.size() || magnitude > kMaxExactInteger) {
      fail(rc::kBigInteger, here() + ": " + text + " is beyond 2^53; quote it (\"" + text + "\")" + at_mark(mark));
      return;
    }
    if (negative) {
      add(json(-static_cast<std::int64_t>(magnitude)));
    } else {
      add(json(magnitude));
    }
  }

  void add_float(const YAML::Mark& mark, const std::string& text) {
    double value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(value)) {
      fail(rc::kBadField, here() + ": " + text + " is out of range" + at_mark(mark));
      return;
    }
    add(json(value));
  }

  void add(json value) {
    if (stack_.empty()) {
      root_ = std::move(value);
      return;
    }
    Frame& top = stack_.back();
    if (top.value.is_array()) {
      top.value.push_back(std::move(value));
      return;
    }
    top.value[top.key] = std::move(value);
    top.has_key = false;
  }

  void push(json empty) {
    std::string path = stack_.empty() ? std::string() : here();
    stack_.push_back(Frame{std::move(empty), std::move(path), {}, false});
  }

  void pop() {
    if (failed() || stack_.empty()) return;
    json done = std::move(stack_.back().value);
    stack_.pop_back();
    add(std::move(done));
  }

  std::vector<Frame> stack_;
  std::optional<json> root_;
  std::optional<core::Error> error_;
  int documents_ = 0;
};

// ---- Field readers -------------------------------------------------------------------------

// Another reader's reasons (relay/verify's JSON helpers and trust-anchor checks) as this file's,
// so a config error always carries a config.* reason.
core::Error to_config_error(core::Error error) {
  struct Mapping {
    core::Reason from;
    core::Reason to;
  };
  static constexpr Mapping kMappings[] = {
      {json_read::reason::kUnknownField, rc::kUnknownField},
      {json_read::reason::kMissingField, rc::kMissingField},
      {json_read::reason::kBadField, rc::kBadField},
      {verify::reason::kAnchorIdentityMismatch, rc::kIdentityMismatch},
      {verify::reason::kAnchorInsecureRequired, rc::kUnsafe},
      {verify::reason::kAnchorDuplicateChain, rc::kDuplicateChain},
  };
  if (error.reason().name.starts_with("config.")) return error;
  for (const auto& m : kMappings) {
    if (error.reason() == m.from) return core::Error(m.to, error.detail());
  }
  // A finer verifier reason (validator set out of order, ...): kept in the text.
  return core::Error(rc::kBadField, error.detail() + " (" + std::string(error.reason().name) + ")");
}

// A JSON integer in [min, max], as the field's own type (max fits it).
template <typename T>
core::Result<T> read_integer(const json& value, const std::string& path, std::uint64_t min, std::uint64_t max) {
  CW_TRY(const std::uint64_t n, json_read::read_uint(value, path, max));
  if (n < min) return bad(path, "below " + std::to_string(min));
  return static_cast<T>(n);
}

core::Result<std::chrono::milliseconds> read_ms(const json& value, const std::string& path, std::uint64_t min) {
  CW_TRY(const std::uint64_t n, read_integer<std::uint64_t>(value, path, min, kMaxMilliseconds));
  return std::chrono::milliseconds(static_cast<std::int64_t>(n));
}

// Amounts, chain ids, heights and gas: a JSON integer up to 2^53, or a uint64 as a canonical
// decimal string or as 0x and 1 to 16 lower-case hex digits.
core::Result<std::uint64_t> read_quantity(const json& value, const std::string& path) {
  if (value.is_number_integer()) {
    if (!value.is_number_unsigned() && value.get<std::int64_t>() < 0) return bad(path, "negative");
    const auto n = value.get<std::uint64_t>();
    if (n > kMaxExactInteger) {
      return core::Error(rc::kBigInteger,
                         path + ": " + std::to_string(n) + " is beyond 2^53 as a number; write it as a string");
    }
    return n;
  }
  if (!value.is_string()) return bad(path, "expected an integer, a decimal string or a 0x hex string");
  const auto& text = value.get_ref<const std::string&>();
  if (!text.starts_with("0x")) return json_read::read_decimal(value, path);
  const std::string_view digits = std::string_view(text).substr(2);
  if (digits.empty() || digits.size() > 16 ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return is_digit(c) || (c >= 'a' && c <= 'f'); })) {
    return bad(path, "expected 0x and 1 to 16 lower-case hex digits");
  }
  std::uint64_t n = 0;
  (void)std::from_chars(digits.data(), digits.data() + digits.size(), n, 16);  // checked above
  return n;
}

// Native-token amounts in wei, any uint256 (private chains mint far beyond 2^64 wei): a JSON
// integer up to 2^53, a canonical decimal string below 2^256, or 0x and 1 to 64 lower-case hex
// digits. Big-endian, as the node's eth_getBalance answer is compared with it.
core::Result<core::Word32> read_amount(const json& value, const std::string& path) {
  core::Word32 out;
  if (value.is_number_integer()) {
    CW_TRY(const std::uint64_t n, read_quantity(value, path));
    for (std::size_t i = 0; i < 8; ++i) out.bytes[31 - i] = static_cast<std::uint8_t>(n >> (8 * i));
    return out;
  }
  if (!value.is_string()) return bad(path, "expected an integer, a decimal string or a 0x hex string");
  const auto& text = value.get_ref<const std::string&>();
  if (text.starts_with("0x")) {
    const std::string_view digits = std::string_view(text).substr(2);
    if (digits.empty() || digits.size() > 64 ||
        !std::all_of(digits.begin(), digits.end(), [](char c) { return is_digit(c) || (c >= 'a' && c <= 'f'); })) {
      return bad(path, "expected 0x and 1 to 64 lower-case hex digits");
    }
    for (std::size_t i = 0; i < digits.size(); ++i) {
      const char c = digits[digits.size() - 1 - i];
      const int nibble = is_digit(c) ? c - '0' : c - 'a' + 10;
      out.bytes[31 - i / 2] |= static_cast<std::uint8_t>(nibble << (4 * (i % 2)));
    }
    return out;
  }
  if (text.empty() || text.size() > 78 || (text.size() > 1 && text[0] == '0') ||
      !std::all_of(text.begin(), text.end(), is_digit)) {
    return bad(path, "expected a canonical decimal string (no sign, no leading zero) or 0x hex");
  }
  for (const char c : text) {
    unsigned carry = static_cast<unsigned>(c - '0');
    for (std::size_t i = 32; i-- > 0;) {
      const unsigned v = out.bytes[i] * 10u + carry;
      out.bytes[i] = static_cast<std::uint8_t>(v & 0xff);
      carry = v >> 8;
    }
    if (carry != 0) return bad(path, text + " is not below 2^256");
  }
  return out;
}

core::Result<double> read_rate(const json& value, const std::string& path) {
  if (!value.is_number()) return bad(path, "expected a number");
  const double n = value.get<double>();
  if (!std::isfinite(n) || n < 0 || n > 1e9) return bad(path, "expected a number from 0 to 1e9");
  return n;
}

core::Result<std::string> read_choice(const json& value, const std::string& path,
                                      std::span<const std::string_view> choices) {
  CW_TRY(std::string text, json_read::read_string(value, path, 64));
  std::string list;
  for (auto choice : choices) {
    if (text == choice) return text;
    list += (list.empty() ? "" : ", ") + std::string(choice);
  }
  return bad(path, "\"" + text + "\" is not one of " + list);
}

// Chain and lane names appear in logs, metrics labels and lane names ("a->b").
core::Result<std::string> read_name(const json& value, const std::string& path, std::string_view extra = "") {
  CW_TRY(std::string name, json_read::read_string(value, path, 128));
  const bool ok = std::all_of(name.begin(), name.end(), [&](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '.' || c == '-' ||
           extra.find(c) != std::string_view::npos;
  });
  if (!ok) return bad(path, "letters, digits, '_', '.', '-' only");
  return name;
}

core::Result<std::string> read_path(const json& value, const std::string& path) {
  return json_read::read_string(value, path, kMaxPathLength);
}

// Readers with their bounds bound, for optional_field.
template <typename T>
auto integer(std::uint64_t min, std::uint64_t max) {
  return [min, max](const json& value, const std::string& path) { return read_integer<T>(value, path, min, max); };
}
auto milliseconds(std::uint64_t min) {
  return [min](const json& value, const std::string& path) { return read_ms(value, path, min); };
}
template <std::size_t N>
auto choice(const std::array<std::string_view, N>& choices) {
  return [&choices](const json& value, const std::string& path) { return read_choice(value, path, choices); };
}
constexpr std::array<std::string_view, 2> kLogFormats{"text", "json"};
constexpr std::array<std::string_view, 5> kLogLevels{"trace", "debug", "info", "warn", "error"};
constexpr std::array<std::string_view, 3> kFeeModes{"detect", "legacy", "eip1559"};
constexpr std::array<std::string_view, 1> kFamilies{"evm"};
constexpr std::array<std::string_view, 3> kClientAuth{"none", "optional", "required"};

// Reads `field` of object `j` (at `path`) into `out` with `read` if it is there; if not, `out`
// keeps its default.
template <typename T, typename Read>
core::Result<void> optional_field(const json& j, const std::string& path, std::string_view field, T& out, Read read) {
  const auto it = j.find(std::string(field));
  if (it == j.end()) return core::ok();
  CW_TRY(out, read(*it, field_path(path, field)));
  return core::ok();
}

// The name of an environment variable a secret is read from: letters, digits and '_', not
// starting with a digit.
core::Result<std::string> read_env_name(const json& value, const std::string& path) {
  CW_TRY(std::string name, json_read::read_string(value, path, 256));
  const bool ok = std::all_of(name.begin(), name.end(),
                              [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; });
  if (!ok || (!name.empty() && is_digit(name.front()))) return bad(path, "not an environment variable name");
  return name;
}

// {module, token, key, pin_file | pin_env}: a key on a PKCS#11 token.
core::Result<engine::Pkcs11KeyRef> read_pkcs11_key(const json& j, const std::string& path) {
  CW_CHECK(json_read::check_object(j, path, {"module", "token", "key"}, {"pin_file", "pin_env"}));
  engine::Pkcs11KeyRef key;
  CW_TRY(key.module, read_path(j["module"], field_path(path, "module")));
  // PKCS#11 labels are at most 32 bytes (CK_TOKEN_INFO.label); CKA_LABEL has no bound, 256 is ample.
  CW_TRY(key.token, json_read::read_string(j["token"], field_path(path, "token"), 32));
  CW_TRY(key.key, json_read::read_string(j["key"], field_path(path, "key"), 256));
  CW_CHECK(optional_field(j, path, "pin_file", key.pin_file, read_path));
  CW_CHECK(optional_field(j, path, "pin_env", key.pin_env, read_env_name));
  if (key.module.empty() || key.token.empty() || key.key.empty()) return bad(path, "module, token and key must not be empty");
  if (key.pin_file.empty() == key.pin_env.empty()) return bad(path, "needs exactly one of pin_file or pin_env");
  return key;
}

core::Result<engine::KeyRef> read_key(const json& j, const std::string& path) {
  CW_CHECK(json_read::check_object(j, path, {}, {"keystore", "password_file", "password_env", "raw_file", "pkcs11"}));
  engine::KeyRef key;
  CW_CHECK(optional_field(j, path, "keystore", key.keystore, read_path));
  CW_CHECK(optional_field(j, path, "password_file", key.password_file, read_path));
  CW_CHECK(optional_field(j, path, "raw_file", key.raw_file, read_path));
  CW_CHECK(optional_field(j, path, "password_env", key.password_env, read_env_name));
  CW_CHECK(optional_field(j, path, "pkcs11", key.pkcs11, read_pkcs11_key));
  const int sources = int{!key.keystore.empty()} + int{!key.raw_file.empty()} + int{key.pkcs11.has_value()};
  if (sources != 1) return bad(path, "needs exactly one of keystore, raw_file or pkcs11");
  if (key.pkcs11 && (!key.password_file.empty() || !key.password_env.empty())) {
    return bad(path, "a pkcs11 key has no password (its PIN is pin_file or pin_env)");
  }
  const bool has_password = !key.password_file.empty() || !key.password_env.empty();
  if (!key.raw_file.empty() && has_password) {
    return bad(path, "a raw_file has no password (password_file and password_env go with keystore)");
  }
  if (!key.keystore.empty() && key.password_file.empty() == key.password_env.empty()) {
    return bad(path, "a keystore needs exactly one of password_file or password_env");
  }
  return key;
}

// The file or token object a key is read from, to tell two key references apart.
std::string key_file(const engine::KeyRef& key) {
  if (key.pkcs11) return "pkcs11:" + key.pkcs11->module + ":" + key.pkcs11->token + ":" + key.pkcs11->key;
  return key.raw_file.empty() ? key.keystore : key.raw_file;
}

bool is_tls_url(std::string_view url) { return url.starts_with("https://") || url.starts_with("wss://"); }

core::Result<std::string> read_url(const json& value, const std::string& path) {
  CW_TRY(std::string url, json_read::read_string(value, path, 2048));
  bool scheme = false;
  for (std::string_view prefix : {"http://", "https://", "ws://", "wss://"}) {
    scheme = scheme || (url.starts_with(prefix) && url.size() > prefix.size());
  }
  if (!scheme) return bad(path, "expected an http, https, ws or wss URL with a host");
  if (std::any_of(url.begin(), url.end(), [](char c) { return static_cast<unsigned char>(c) <= ' ' || c == 0x7f; })) {
    return bad(path, "whitespace or a control character in the URL");
  }
  return url;
}

core::Result<engine::EndpointSettings> read_endpoint(const json& j, const std::string& path, bool allow_insecure_tls) {
  engine::EndpointSettings endpoint;
  if (j.is_string()) {
    CW_TRY(endpoint.url, read_url(j, path));
    return endpoint;
  }
  CW_CHECK(json_read::check_object(j, path, {"url"}, {"priority", "ca_file", "insecure_skip_tls_verify"}));
  CW_TRY(endpoint.url, read_url(j["url"], field_path(path, "url")));
  CW_CHECK(optional_field(j, path, "priority", endpoint.priority, integer<int>(0, 1000)));
  CW_CHECK(optional_field(j, path, "ca_file", endpoint.ca_file, read_path));
  CW_CHECK(
      optional_field(j, path, "insecure_skip_tls_verify", endpoint.insecure_skip_tls_verify, json_read::read_bool));
  const std::string ca_path = field_path(path, "ca_file");
  const std::string insecure_path = field_path(path, "insecure_skip_tls_verify");
  // TLS settings on a plain-text URL would be dead config that an operator might believe in.
  if (!is_tls_url(endpoint.url)) {
    if (!endpoint.ca_file.empty()) return bad(ca_path, "only for https and wss URLs");
    if (endpoint.insecure_skip_tls_verify) return bad(insecure_path, "only for https and wss URLs");
  }
  if (endpoint.insecure_skip_tls_verify && !endpoint.ca_file.empty()) {
    return bad(insecure_path, "contradicts ca_file (nothing would be verified against it)");
  }
  if (endpoint.insecure_skip_tls_verify && !allow_insecure_tls) {
    return core::Error(rc::kUnsafe, insecure_path + ": TLS verification off needs relay.allow_insecure_tls: true");
  }
  return endpoint;
}

core::Result<std::string> read_listen(const json& value, const std::string& path) {
  CW_TRY(std::string listen, json_read::read_string(value, path, 256));
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) return bad(path, "expected host:port");
  const std::string_view host = std::string_view(listen).substr(0, colon);
  const std::string_view port_text = std::string_view(listen).substr(colon + 1);
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc{} || end != port_text.data() + port_text.size() || port == 0 ||
      port > 65535) {
    return bad(path, "expected host:port with a port from 1 to 65535");
  }
  const bool bracketed = host.front() == '[' && host.back() == ']';
  if (host.find(':') != std::string_view::npos && !bracketed) {
    return bad(path, "an IPv6 address goes in brackets: [::1]:9464");
  }
  return listen;
}

// The files are not opened here: `config check` judges the config alone (a production config names
// files of its host). The relay opens them at start and refuses unreadable ones, and a key file
// that group or others may access, before it serves anything.
core::Result<engine::ApiTlsSettings> read_api_tls(const json& j, const std::string& path) {
  CW_CHECK(json_read::check_object(j, path, {"cert_file", "key_file"}, {"client_ca_file", "client_auth"}));
  engine::ApiTlsSettings tls;
  auto at = [&](std::string_view field) { return field_path(path, field); };
  CW_TRY(tls.cert_file, read_path(j["cert_file"], at("cert_file")));
  CW_TRY(tls.key_file, read_path(j["key_file"], at("key_file")));
  CW_CHECK(optional_field(j, path, "client_ca_file", tls.client_ca_file, read_path));
  CW_CHECK(optional_field(j, path, "client_auth", tls.client_auth, choice(kClientAuth)));
  if (tls.client_auth != "none" && tls.client_ca_file.empty()) {
    return bad(at("client_auth"), tls.client_auth + " needs client_ca_file");
  }
  // A CA that checks nothing would be dead config that an operator might believe in.
  if (tls.client_auth == "none" && !tls.client_ca_file.empty()) {
    return bad(at("client_ca_file"), "only with client_auth optional or required");
  }
  return tls;
}

// A certificate's SHA-256 fingerprint: 64 hex digits, optionally in pairs separated by colons
// (as `openssl x509 -fingerprint -sha256` prints it); kept as 64 lower-case digits.
core::Result<std::string> read_fingerprint(const json& value, const std::string& path) {
  CW_TRY(const std::string text, json_read::read_string(value, path, 128));
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == ':' && i % 3 == 2) continue;
    if (std::isxdigit(static_cast<unsigned char>(c)) == 0) break;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  const bool colons = text.size() == 95;
  if (out.size() != 64 || (text.size() != 64 && !colons)) {
    return bad(path, "expected a SHA-256 fingerprint: 64 hex digits, or 32 pairs separated by colons");
  }
  return out;
}

core::Result<engine::ApiSettings> read_api(const json& j, const std::string& path) {
  CW_CHECK(json_read::check_object(j, path, {},
                                   {"admin_token_file", "admin_token_env", "public_reads", "tls", "admin_client_certs",
                                    "rate_limit"}));
  engine::ApiSettings api;
  CW_CHECK(optional_field(j, path, "admin_token_file", api.admin_token_file, read_path));
  CW_CHECK(optional_field(j, path, "admin_token_env", api.admin_token_env, read_env_name));
  CW_CHECK(optional_field(j, path, "public_reads", api.public_reads, json_read::read_bool));
  CW_CHECK(optional_field(j, path, "tls", api.tls, read_api_tls));
  if (j.contains("admin_client_certs")) {
    const std::string certs_path = field_path(path, "admin_client_certs");
    CW_CHECK(json_read::check_array(j["admin_client_certs"], certs_path, kMaxAdminCertificates));
    for (std::size_t i = 0; i < j["admin_client_certs"].size(); ++i) {
      CW_TRY(std::string fingerprint, read_fingerprint(j["admin_client_certs"][i], index_path(certs_path, i)));
      api.admin_client_certs.push_back(std::move(fingerprint));
    }
    if (!api.admin_client_certs.empty() && (!api.tls || api.tls->client_auth == "none")) {
      return bad(certs_path, "needs tls with client_auth optional or required (no certificate is asked for)");
    }
  }
  if (j.contains("rate_limit")) {
    const std::string rate = field_path(path, "rate_limit");
    CW_CHECK(json_read::check_object(j["rate_limit"], rate, {}, {"requests_per_second", "burst"}));
    CW_CHECK(optional_field(j["rate_limit"], rate, "requests_per_second", api.requests_per_second, read_rate));
    CW_CHECK(optional_field(j["rate_limit"], rate, "burst", api.burst, read_rate));
  }
  const bool has_token = !api.admin_token_file.empty() || !api.admin_token_env.empty();
  if (!api.admin_token_file.empty() && !api.admin_token_env.empty()) {
    return bad(path, "at most one of admin_token_file or admin_token_env");
  }
  // Without a token nothing could pass the check that private reads need.
  if (!api.public_reads && !has_token) {
    return bad(field_path(path, "public_reads"), "false needs admin_token_file or admin_token_env");
  }
  return api;
}

// relay.witnesses: cosignature/v1 verifier keys, so a log key (0x01) given by mistake is refused
// here rather than matching no cosignature ever.
core::Result<std::vector<std::string>> read_witnesses(const json& value, const std::string& path) {
  constexpr std::size_t kMaxWitnesses = 64;
  CW_CHECK(json_read::check_array(value, path, kMaxWitnesses));
  std::vector<std::string> out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const std::string item = json_read::index_path(path, i);
    CW_TRY(std::string vkey, json_read::read_string(value[i], item, 512));
    auto key = core::parse_verifier_key(vkey);
    if (!key) return bad(item, key.error().message());
    if (key->type != core::NoteKeyType::kCosignatureV1) return bad(item, "a witness key has type 0x04 (cosignature/v1)");
    out.push_back(std::move(vkey));
  }
  return out;
}

// A PostgreSQL schema name as Store::open_postgres takes it: a lower-case SQL identifier.
core::Result<std::string> read_schema_name(const json& value, const std::string& path) {
  CW_TRY(std::string name, json_read::read_string(value, path, 63));
  // A digit is allowed anywhere but first.
  bool ok = !name.empty();
  for (std::size_t i = 0; ok && i < name.size(); ++i) {
    const char c = name[i];
    ok = (c >= 'a' && c <= 'z') || c == '_' || (i > 0 && is_digit(c));
  }
  if (!ok) return bad(path, "lower-case letters, digits and '_', not starting with a digit");
  return name;
}

// relay.store: the SQLite file's path, or {"postgres": {conninfo, password_env | password_file,
// schema}}. The password itself never appears in a config: a conninfo naming one is refused.
core::Result<void> read_store(const json& value, engine::RelaySettings& relay) {
  if (value.is_string()) {
    CW_TRY(relay.store, read_path(value, "relay.store"));
    return core::ok();
  }
  if (!value.is_object()) return bad("relay.store", "expected a path or an object with postgres");
  CW_CHECK(json_read::check_object(value, "relay.store", {"postgres"}, {}));
  const std::string path = "relay.store.postgres";
  const json& j = value["postgres"];
  CW_CHECK(json_read::check_object(j, path, {"conninfo"}, {"password_env", "password_file", "schema", "lease"}));
  engine::PostgresStoreSettings pg;
  CW_TRY(pg.conninfo, json_read::read_string(j["conninfo"], path + ".conninfo", 4096));
  std::string lower = pg.conninfo;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  const auto scheme = lower.find("://");
  const auto at = lower.find('@');
  const bool uri_password = scheme != std::string::npos && at != std::string::npos &&
                            lower.substr(scheme + 3, at - scheme - 3).find(':') != std::string::npos;
  if (lower.find("password") != std::string::npos || uri_password) {
    return bad(path + ".conninfo", "must not hold a password; use password_env or password_file");
  }
  CW_CHECK(optional_field(j, path, "password_env", pg.password_env, read_env_name));
  CW_CHECK(optional_field(j, path, "password_file", pg.password_file, read_path));
  if (!pg.password_env.empty() && !pg.password_file.empty()) {
    return bad(path, "at most one of password_env or password_file");
  }
  CW_CHECK(optional_field(j, path, "schema", pg.schema, read_schema_name));
  if (j.contains("lease")) {
    // The active relay must get at least two renewals into each grant, or one slow round trip
    // would hand the store to a standby while the active one still runs.
    const std::string lease = path + ".lease";
    CW_CHECK(json_read::check_object(j["lease"], lease, {}, {"ttl_ms", "renew_ms"}));
    CW_CHECK(optional_field(j["lease"], lease, "ttl_ms", pg.lease_ttl, milliseconds(100)));
    pg.lease_renew = pg.lease_ttl / 3;
    CW_CHECK(optional_field(j["lease"], lease, "renew_ms", pg.lease_renew, milliseconds(10)));
    if (pg.lease_renew * 2 >= pg.lease_ttl) {
      return bad(lease + ".renew_ms", "must be below ttl_ms / 2 (" + std::to_string(pg.lease_ttl.count()) + " ms)");
    }
  }
  relay.store.clear();
  relay.postgres = std::move(pg);
  return core::ok();
}

core::Result<engine::RelaySettings> read_relay(const json& j) {
  const std::string path = "relay";
  CW_CHECK(json_read::check_object(j, path, {"store", "vote_key"},
                                   {"listen", "log_key", "reconcile_every_ms", "checkpoint_every_ms", "verify_threads",
                                    "max_pending", "allow_insecure_tls", "log", "api", "witnesses", "retention"}));
  engine::RelaySettings relay;
  CW_CHECK(read_store(j["store"], relay));
  CW_TRY(relay.vote_key, read_key(j["vote_key"], "relay.vote_key"));
  CW_CHECK(optional_field(j, path, "listen", relay.listen, read_listen));
  CW_CHECK(optional_field(j, path, "log_key", relay.log_key, read_key));
  // The checkpoint key is Ed25519 (PROTOCOL.md section 7), kept as a 0600 PEM or hex file; V3
  // keystores hold secp256k1 keys only.
  if (relay.log_key && relay.log_key->raw_file.empty()) {
    return core::Error(rc::kBadField, "relay.log_key: expected raw_file (an Ed25519 key file from `causeway audit keygen`)");
  }
  CW_CHECK(optional_field(j, path, "reconcile_every_ms", relay.reconcile_every, milliseconds(1)));
  CW_CHECK(optional_field(j, path, "checkpoint_every_ms", relay.checkpoint_every, milliseconds(1)));
  CW_CHECK(optional_field(j, path, "verify_threads", relay.verify_threads, integer<std::size_t>(1, 64)));
  CW_CHECK(optional_field(j, path, "max_pending", relay.max_pending, integer<std::size_t>(1, 100'000'000)));
  CW_CHECK(optional_field(j, path, "allow_insecure_tls", relay.allow_insecure_tls, json_read::read_bool));
  if (j.contains("log")) {
    const std::string log_path = "relay.log";
    CW_CHECK(json_read::check_object(j["log"], log_path, {}, {"format", "level"}));
    CW_CHECK(optional_field(j["log"], log_path, "format", relay.log_format, choice(kLogFormats)));
    CW_CHECK(optional_field(j["log"], log_path, "level", relay.log_level, choice(kLogLevels)));
  }
  CW_CHECK(optional_field(j, path, "api", relay.api, read_api));
  CW_CHECK(optional_field(j, path, "witnesses", relay.witnesses, read_witnesses));
  if (j.contains("retention")) {
    const std::string retention_path = "relay.retention";
    CW_CHECK(json_read::check_object(j["retention"], retention_path, {}, {"bundles_days"}));
    CW_CHECK(optional_field(j["retention"], retention_path, "bundles_days", relay.retention.bundles_days,
                            integer<std::uint32_t>(0, 36'500)));
  }
  return relay;
}

core::Result<engine::FeeSettings> read_fees(const json& j, const std::string& path) {
  CW_CHECK(json_read::check_object(
      j, path, {}, {"mode", "max_fee_cap", "min_priority_fee", "max_priority_fee", "bump_percent", "bump_after_ms"}));
  engine::FeeSettings fees;
  CW_CHECK(optional_field(j, path, "mode", fees.mode, choice(kFeeModes)));
  CW_CHECK(optional_field(j, path, "max_fee_cap", fees.max_fee_cap, read_quantity));
  CW_CHECK(optional_field(j, path, "min_priority_fee", fees.min_priority_fee, read_quantity));
  CW_CHECK(optional_field(j, path, "max_priority_fee", fees.max_priority_fee, read_quantity));
  // Nodes of the geth family refuse a replacement transaction priced less than 10% above the one
  // it replaces, so a smaller bump could never unstick anything.
  CW_CHECK(optional_field(j, path, "bump_percent", fees.bump_percent, integer<std::uint32_t>(10, 1000)));
  CW_CHECK(optional_field(j, path, "bump_after_ms", fees.bump_after, milliseconds(1)));
  const std::string max_priority_path = field_path(path, "max_priority_fee");
  if (fees.max_priority_fee < fees.min_priority_fee) return bad(max_priority_path, "below min_priority_fee");
  if (fees.max_priority_fee > fees.max_fee_cap) return bad(max_priority_path, "above max_fee_cap");
  return fees;
}

// The chain's trust-anchor entry (schemas/trust-anchors.schema.json), from its own fields; the
// consensus and limits objects are taken as written so the anchor reader judges them.
json anchor_of(const engine::ChainSettings& chain, const json& j, bool insecure) {
  return json{{"name", chain.name},
              {"family", chain.family},
              {"chain_id", std::to_string(chain.chain_id)},
              {"genesis_hash", core::to_hex(chain.genesis_hash)},
              {"chain_identity", core::to_hex(chain.chain_identity)},
              {"gateway", core::to_hex(chain.gateway)},
              {"consensus", j["consensus"]},
              {"limits", j.contains("limits") ? j["limits"] : json{{"max_payload", kDefaultMaxPayload}}},
              {"insecure", insecure}};
}

core::Result<core::Address> read_gateway(const json& value, const std::string& path) {
  CW_TRY(const std::string text, json_read::read_string(value, path, 64));
  if (text.size() != 42 || !text.starts_with("0x")) return bad(path, "expected 0x and 40 hex digits");
  auto address = core::parse_checksummed_address(text);
  if (!address) return bad(path, "expected lower case or an EIP-55 checksum: " + address.error().message());
  if (address->is_zero()) return bad(path, "zero address");
  return *address;
}

// {"external": {command, env?, call_timeout_ms?, health_interval_ms?}}: the chain's source or sink
// served by an adapter process. An object with one member so other kinds can join it later.
core::Result<engine::ExternalAdapterSettings> read_adapter(const json& j, const std::string& path) {
  CW_CHECK(json_read::check_object(j, path, {"external"}, {}));
  const std::string external = field_path(path, "external");
  const json& e = j["external"];
  CW_CHECK(json_read::check_object(e, external, {"command"}, {"env", "call_timeout_ms", "health_interval_ms"}));
  engine::ExternalAdapterSettings adapter;
  const std::string command = field_path(external, "command");
  CW_CHECK(json_read::check_array(e["command"], command, kMaxAdapterArgs));
  if (e["command"].empty()) return bad(command, "no program");
  for (std::size_t i = 0; i < e["command"].size(); ++i) {
    CW_TRY(std::string arg, json_read::read_string(e["command"][i], index_path(command, i), kMaxPathLength));
    if (arg.empty()) return bad(index_path(command, i), "empty");
    adapter.command.push_back(std::move(arg));
  }
  if (e.contains("env")) {
    const std::string env = field_path(external, "env");
    if (!e["env"].is_object()) return bad(env, "expected an object");
    if (e["env"].size() > kMaxAdapterEnv) return bad(env, "more than " + std::to_string(kMaxAdapterEnv) + " variables");
    for (const auto& [name, value] : e["env"].items()) {
      const std::string at = field_path(env, name);
      CW_TRY(std::string checked, read_env_name(json(name), at));
      CW_TRY(adapter.env[checked], json_read::read_string(value, at, kMaxPathLength));
    }
  }
  CW_CHECK(optional_field(e, external, "call_timeout_ms", adapter.call_timeout, milliseconds(1)));
  CW_CHECK(optional_field(e, external, "health_interval_ms", adapter.health_interval, milliseconds(1)));
  return adapter;
}

core::Result<engine::ChainSettings> read_chain(const json& j, const std::string& path,
                                               const engine::RelaySettings& relay) {
  CW_CHECK(json_read::check_object(
      j, path,
      {"name", "family", "chain_id", "genesis_hash", "chain_identity", "gateway", "endpoints", "consensus", "gas_key"},
      {"start_height", "quorum", "limits", "insecure", "poll_interval_ms", "request_timeout_ms", "max_range",
       "reorg_window", "gas_cap", "fees", "threshold", "gas_balance_warn", "source", "sink"}));
  engine::ChainSettings chain;
  auto at = [&](std::string_view field) { return field_path(path, field); };
  CW_TRY(chain.name, read_name(j["name"], at("name")));
  CW_TRY(chain.family, read_choice(j["family"], at("family"), kFamilies));
  CW_TRY(chain.chain_id, read_quantity(j["chain_id"], at("chain_id")));
  CW_TRY(chain.genesis_hash, json_read::read_fixed<core::Hash32>(j["genesis_hash"], at("genesis_hash")));
  CW_TRY(chain.chain_identity, json_read::read_fixed<core::ChainIdentity>(j["chain_identity"], at("chain_identity")));
  CW_TRY(chain.gateway, read_gateway(j["gateway"], at("gateway")));
  CW_CHECK(optional_field(j, path, "start_height", chain.start_height, read_quantity));

  const std::string endpoints_path = at("endpoints");
  CW_CHECK(json_read::check_array(j["endpoints"], endpoints_path, kMaxEndpoints));
  if (j["endpoints"].empty()) return bad(endpoints_path, "no endpoint");
  for (std::size_t i = 0; i < j["endpoints"].size(); ++i) {
    const std::string endpoint_path = index_path(endpoints_path, i);
    CW_TRY(engine::EndpointSettings endpoint,
           read_endpoint(j["endpoints"][i], endpoint_path, relay.allow_insecure_tls));
    for (const auto& other : chain.endpoints) {
      // One node listed twice would count twice towards the quorum.
      if (other.url == endpoint.url) return bad(endpoint_path, "the same URL as another endpoint");
    }
    chain.endpoints.push_back(std::move(endpoint));
  }
  CW_CHECK(optional_field(j, path, "quorum", chain.quorum, integer<std::size_t>(1, chain.endpoints.size())));
  bool insecure = false;
  CW_CHECK(optional_field(j, path, "insecure", insecure, json_read::read_bool));
  CW_CHECK(optional_field(j, path, "poll_interval_ms", chain.poll_interval, milliseconds(1)));
  CW_CHECK(optional_field(j, path, "request_timeout_ms", chain.request_timeout, milliseconds(1)));
  CW_CHECK(optional_field(j, path, "max_range", chain.max_range, integer<std::uint64_t>(1, 100'000)));
  CW_CHECK(optional_field(j, path, "reorg_window", chain.reorg_window, integer<std::uint64_t>(0, 1'000'000)));
  CW_CHECK(optional_field(j, path, "gas_cap", chain.gas_cap, read_quantity));
  CW_CHECK(optional_field(j, path, "gas_balance_warn", chain.gas_balance_warn, read_amount));
  if (chain.gas_cap < 21'000) return bad(at("gas_cap"), "below the 21000 gas any transaction costs");
  CW_CHECK(optional_field(j, path, "fees", chain.fees, read_fees));
  CW_TRY(chain.gas_key, read_key(j["gas_key"], at("gas_key")));
  if (key_file(chain.gas_key) == key_file(relay.vote_key)) {
    return core::Error(rc::kUnsafe, at("gas_key") + ": the same file as relay.vote_key; a vote key never pays gas");
  }
  CW_CHECK(optional_field(j, path, "threshold", chain.threshold, integer<std::uint32_t>(1, 65535)));
  CW_CHECK(optional_field(j, path, "source", chain.external_source, read_adapter));
  CW_CHECK(optional_field(j, path, "sink", chain.external_sink, read_adapter));
  chain.anchor = anchor_of(chain, j, insecure);
  return chain;
}

core::Result<engine::LaneSettings> read_lane(const json& j, const std::string& path, const engine::Config& config) {
  CW_CHECK(json_read::check_object(j, path, {"from", "to"},
                                   {"name", "batch", "rate_limit", "breaker", "retry", "acknowledge"}));
  engine::LaneSettings lane;
  auto at = [&](std::string_view field) { return field_path(path, field); };
  CW_TRY(lane.from, read_name(j["from"], at("from")));
  CW_TRY(lane.to, read_name(j["to"], at("to")));
  if (config.chain(lane.from) == nullptr)
    return core::Error(rc::kUnknownChain, at("from") + ": no chain \"" + lane.from + "\"");
  if (config.chain(lane.to) == nullptr)
    return core::Error(rc::kUnknownChain, at("to") + ": no chain \"" + lane.to + "\"");
  if (lane.from == lane.to) return bad(at("to"), "the same chain as from");
  lane.name = lane.from + "->" + lane.to;
  CW_CHECK(optional_field(j, path, "name", lane.name, [](const json& value, const std::string& name_path) {
    return read_name(value, name_path, ">");
  }));
  CW_CHECK(optional_field(j, path, "acknowledge", lane.acknowledge, json_read::read_bool));

  if (j.contains("batch")) {
    const std::string batch = at("batch");
    const json& b = j["batch"];
    CW_CHECK(json_read::check_object(b, batch, {}, {"max_messages", "max_bytes", "max_gas", "flush_after_ms"}));
    CW_CHECK(optional_field(b, batch, "max_messages", lane.batch.max_messages, integer<std::size_t>(1, 10'000)));
    CW_CHECK(optional_field(b, batch, "max_bytes", lane.batch.max_bytes, integer<std::size_t>(1, 1u << 20)));
    CW_CHECK(optional_field(b, batch, "max_gas", lane.batch.max_gas, read_quantity));
    if (lane.batch.max_gas == 0) return bad(field_path(batch, "max_gas"), "below 1");
    CW_CHECK(optional_field(b, batch, "flush_after_ms", lane.batch.flush_after, milliseconds(0)));
  }
  if (j.contains("rate_limit")) {
    const std::string rate = at("rate_limit");
    CW_CHECK(json_read::check_object(j["rate_limit"], rate, {}, {"messages_per_second", "burst"}));
    CW_CHECK(
        optional_field(j["rate_limit"], rate, "messages_per_second", lane.rate_limit.messages_per_second, read_rate));
    CW_CHECK(optional_field(j["rate_limit"], rate, "burst", lane.rate_limit.burst, read_rate));
  }
  if (j.contains("breaker")) {
    const std::string breaker = at("breaker");
    CW_CHECK(json_read::check_object(j["breaker"], breaker, {}, {"failures", "cool_down_ms"}));
    CW_CHECK(optional_field(j["breaker"], breaker, "failures", lane.breaker.failures, integer<std::uint32_t>(1, 1000)));
    CW_CHECK(optional_field(j["breaker"], breaker, "cool_down_ms", lane.breaker.cool_down, milliseconds(1)));
  }
  if (j.contains("retry")) {
    const std::string retry = at("retry");
    const json& r = j["retry"];
    CW_CHECK(json_read::check_object(r, retry, {}, {"initial_ms", "max_ms", "max_attempts"}));
    CW_CHECK(optional_field(r, retry, "initial_ms", lane.retry.initial, milliseconds(1)));
    CW_CHECK(optional_field(r, retry, "max_ms", lane.retry.max, milliseconds(1)));
    CW_CHECK(optional_field(r, retry, "max_attempts", lane.retry.max_attempts, integer<std::uint32_t>(1, 1'000'000)));
    if (lane.retry.max < lane.retry.initial) return bad(field_path(retry, "max_ms"), "below initial_ms");
  }
  return lane;
}

core::Result<engine::Config> read_config(const json& j) {
  CW_CHECK(json_read::check_object(j, "", {"version", "relay", "chains"}, {"lanes"}));
  CW_TRY(const std::uint64_t version, json_read::read_uint(j["version"], "version", 0xff));
  if (version != engine::kConfigVersion) {
    return core::Error(rc::kUnsupportedVersion,
                       "version: " + std::to_string(version) + " (this relay reads version 1)");
  }
  engine::Config config;
  CW_TRY(config.relay, read_relay(j["relay"]));

  CW_CHECK(json_read::check_array(j["chains"], "chains", kMaxChains));
  if (j["chains"].empty()) return bad("chains", "no chain");
  for (std::size_t i = 0; i < j["chains"].size(); ++i) {
    const std::string path = index_path("chains", i);
    CW_TRY(engine::ChainSettings chain, read_chain(j["chains"][i], path, config.relay));
    config.chains.push_back(std::move(chain));
  }
  // The trust-anchor reader's reasons are mapped by to_config_error.
  CW_CHECK(config.trust_anchors());

  if (j.contains("lanes")) {
    CW_CHECK(json_read::check_array(j["lanes"], "lanes", kMaxLanes));
    for (std::size_t i = 0; i < j["lanes"].size(); ++i) {
      const std::string path = index_path("lanes", i);
      CW_TRY(engine::LaneSettings lane, read_lane(j["lanes"][i], path, config));
      for (const auto& other : config.lanes) {
        if (other.name == lane.name || (other.from == lane.from && other.to == lane.to)) {
          return core::Error(rc::kDuplicateLane,
                             path + ": the same name or from and to as lane \"" + other.name + "\"");
        }
      }
      config.lanes.push_back(std::move(lane));
    }
  }
  return config;
}

}  // namespace

core::Result<json> yaml_to_json(std::string_view text) {
  if (text.size() > kMaxConfigBytes) {
    return core::Error(rc::kSyntax, std::to_string(text.size()) + " bytes, limit " + std::to_string(kMaxConfigBytes));
  }
  JsonBuilder builder;
  try {
    std::istringstream in{std::string(text)};
    YAML::Parser parser(in);
    while (!builder.failed() && parser.HandleNextDocument(builder)) {
    }
  } catch (const YAML::Exception& e) {
    return core::Error(rc::kSyntax, "YAML" + at_mark(e.mark) + ": " + e.msg);
  }
  CW_TRY(json document, std::move(builder).take());
  // yaml-cpp passes bytes through; JSON strings must be UTF-8, and dump() is what checks it.
  try {
    (void)document.dump();
  } catch (const json::type_error&) {
    return core::Error(rc::kSyntax, "(root): not valid UTF-8");
  }
  return document;
}

core::Result<engine::Config> config_from_json(const json& document) {
  auto config = read_config(document);
  if (!config) return to_config_error(std::move(config).error());
  return config;
}

core::Result<engine::Config> load_config_file(const std::filesystem::path& path) {
  CW_TRY(const std::string text, read_bounded_file(path, kMaxConfigBytes));
  std::string extension = path.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (extension == ".yaml" || extension == ".yml") {
    CW_TRY(const json document, yaml_to_json(text));
    return config_from_json(document);
  }
  auto document = json_read::parse_bounded(text, kMaxConfigBytes, kMaxDepth);
  if (!document) {
    // The bounded parse says only that it failed; within the bounds nlohmann can say where.
    if (document.error().reason() == json_read::reason::kSyntax) {
      try {
        [[maybe_unused]] const json reparsed = json::parse(text);
      } catch (const json::parse_error& e) {
        return core::Error(rc::kSyntax, std::string("(root): ") + e.what());
      }
    }
    return core::Error(rc::kSyntax, "(root): " + document.error().message());
  }
  return config_from_json(*document);
}

std::vector<std::string> config_warnings(const engine::Config& config) {
  std::vector<std::string> out;
  auto raw_key = [&](const engine::KeyRef& key, const std::string& field) {
    if (!key.raw_file.empty()) {
      out.push_back("unencrypted key: " + field + " is the raw key file " + key.raw_file + " (development only)");
    }
  };
  raw_key(config.relay.vote_key, "relay.vote_key");
  for (const auto& chain : config.chains) {
    const std::string name = "chain \"" + chain.name + "\"";
    if (chain.threshold == 1) {
      out.push_back("single-operator mode: " + name +
                    " expects gateway threshold 1, so this relay's vote key alone decides what is delivered there");
    }
    if (chain.anchor.is_object() && chain.anchor.value("insecure", false)) {
      out.push_back("insecure trust: " + name +
                    " is marked insecure, so mode trusted may believe its endpoints' block hashes with no finality "
                    "check; development only");
    }
    for (const auto& endpoint : chain.endpoints) {
      if (endpoint.insecure_skip_tls_verify) {
        out.push_back("insecure TLS: " + name + " endpoint " + endpoint.url +
                      " is used without certificate verification");
      }
    }
    raw_key(chain.gas_key, name + " gas_key");
  }
  return out;
}

core::Result<store::PostgresTarget> postgres_target(const engine::PostgresStoreSettings& settings) {
  store::PostgresTarget target;
  target.conninfo = settings.conninfo;
  target.schema = settings.schema;
  if (!settings.password_env.empty() || !settings.password_file.empty()) {
    auto password = settings.password_file.empty() ? evm::password_from_env(settings.password_env)
                                                   : evm::password_from_file(settings.password_file);
    if (!password) return std::move(password).error().with_context("relay.store.postgres");
    target.password.assign(reinterpret_cast<const char*>(password->data()), password->size());
  }
  return target;
}

}  // namespace causeway::app
