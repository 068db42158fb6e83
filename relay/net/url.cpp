// Endpoint URL parser: accepts only what an RPC endpoint needs and rejects the rest by name.
#include "relay/net/url.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <charconv>

namespace causeway::net {
namespace {

Error bad(std::string_view text, std::string_view why) {
  return Error(reason::kBadUrl, "'" + redact_url(text) + "': " + std::string(why));
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool is_ipv4(const std::string& host) {
  std::array<unsigned char, 4> out{};
  return inet_pton(AF_INET, host.c_str(), out.data()) == 1;
}
bool is_ipv6(const std::string& host) {
  std::array<unsigned char, 16> out{};
  return inet_pton(AF_INET6, host.c_str(), out.data()) == 1;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool percent_decode(std::string_view in, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    if (i + 2 >= in.size()) return false;
    const int hi = hex_value(in[i + 1]);
    const int lo = hex_value(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return true;
}

// RFC 3986 characters allowed in a path or query (no space, quotes, fragment or controls).
bool target_char_ok(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u <= 0x20 || u >= 0x7f) return false;
  switch (c) {
    case '"': case '<': case '>': case '\\': case '^': case '`': case '{': case '|': case '}':
    case '#':
      return false;
    default:
      return true;
  }
}

std::uint16_t default_port(Scheme s) {
  return (s == Scheme::kHttps || s == Scheme::kWss) ? 443 : 80;
}

std::string_view scheme_name(Scheme s) {
  switch (s) {
    case Scheme::kHttp: return "http";
    case Scheme::kHttps: return "https";
    case Scheme::kWs: return "ws";
    case Scheme::kWss: return "wss";
  }
  return "http";
}

}  // namespace

bool Url::host_is_ip() const { return is_ipv4(host) || is_ipv6(host); }

std::string Url::host_header() const {
  std::string out = is_ipv6(host) ? "[" + host + "]" : host;
  if (port != default_port(scheme)) out += ":" + std::to_string(port);
  return out;
}

std::string Url::label() const {
  std::string out(scheme_name(scheme));
  out += "://";
  out += is_ipv6(host) ? "[" + host + "]" : host;
  out += ":" + std::to_string(port);
  out += target.substr(0, target.find('?'));
  return out;
}

std::string redact_url(std::string_view text) {
  std::string out;
  std::size_t authority = 0;
  if (const auto at = text.find("://"); at != std::string_view::npos) authority = at + 3;
  out.append(text.substr(0, authority));
  std::string_view rest = text.substr(authority);
  const auto end = rest.find_first_of("/?#");
  std::string_view auth = rest.substr(0, end);
  if (const auto at = auth.rfind('@'); at != std::string_view::npos) {
    out += "***@";
    auth = auth.substr(at + 1);
  }
  out.append(auth);
  if (end != std::string_view::npos) {
    std::string_view tail = rest.substr(end);
    out.append(tail.substr(0, tail.find_first_of("?#")));
  }
  return sanitize_peer_text(out, 300);
}

Result<Url> parse_url(std::string_view text) {
  if (text.empty()) return bad(text, "empty");
  if (text.size() > 2048) return bad(text, "longer than 2048 characters");
  const auto sep = text.find("://");
  if (sep == std::string_view::npos) return bad(text, "missing scheme");
  std::string scheme;
  for (char c : text.substr(0, sep)) scheme += lower(c);
  Url url;
  if (scheme == "http") url.scheme = Scheme::kHttp;
  else if (scheme == "https") url.scheme = Scheme::kHttps;
  else if (scheme == "ws") url.scheme = Scheme::kWs;
  else if (scheme == "wss") url.scheme = Scheme::kWss;
  else return bad(text, "scheme must be http, https, ws or wss");

  std::string_view rest = text.substr(sep + 3);
  const auto auth_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, auth_end);
  std::string_view target = auth_end == std::string_view::npos ? "" : rest.substr(auth_end);

  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    const std::string_view info = authority.substr(0, at);
    const auto colon = info.find(':');
    if (!percent_decode(info.substr(0, colon), url.username)) return bad(text, "bad user info");
    if (colon != std::string_view::npos &&
        !percent_decode(info.substr(colon + 1), url.password)) {
      return bad(text, "bad user info");
    }
    authority = authority.substr(at + 1);
  }

  std::string_view host;
  std::string_view port;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return bad(text, "unterminated IPv6 literal");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad(text, "junk after IPv6 literal");
      port = after.substr(1);
      has_port = true;
    }
    url.host = std::string(host);
    if (!is_ipv6(url.host)) return bad(text, "bad IPv6 literal");
  } else {
    const auto colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      has_port = true;
    }
    if (host.empty()) return bad(text, "missing host");
    if (host.size() > 253) return bad(text, "host name too long");
    for (char c : host) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_';
      if (!ok) return bad(text, "bad character in host");
    }
    for (char c : host) url.host += lower(c);
  }

  if (has_port) {
    if (port.empty() || port.size() > 5) return bad(text, "bad port");
    unsigned value = 0;
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc{} || ptr != port.data() + port.size() || value == 0 || value > 65535) {
      return bad(text, "bad port");
    }
    url.port = static_cast<std::uint16_t>(value);
  } else {
    url.port = default_port(url.scheme);
  }

  if (!target.empty() && target.front() == '#') return bad(text, "fragment not allowed");
  if (!target.empty() && target.front() == '?') {
    url.target = "/" + std::string(target);
  } else {
    url.target = target.empty() ? "/" : std::string(target);
  }
  if (!std::all_of(url.target.begin(), url.target.end(), target_char_ok)) {
    return bad(text, "bad character in path or query (fragments are not allowed)");
  }
  return url;
}

}  // namespace causeway::net
