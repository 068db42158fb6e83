// Strict parsing of endpoint URLs (http, https, ws, wss) and their credential-free display form.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "relay/net/error.hpp"

namespace causeway::net {

enum class Scheme { kHttp, kHttps, kWs, kWss };

struct Url {
  Scheme scheme = Scheme::kHttp;
  std::string host;      // lower-case name or IP literal, IPv6 without brackets
  std::uint16_t port = 0;  // explicit or the scheme's default
  std::string target;    // path and query, at least "/"
  std::string username;  // percent-decoded user info; secret, never printed
  std::string password;

  bool tls() const noexcept { return scheme == Scheme::kHttps || scheme == Scheme::kWss; }
  bool websocket() const noexcept { return scheme == Scheme::kWs || scheme == Scheme::kWss; }
  bool has_credentials() const noexcept { return !username.empty() || !password.empty(); }
  bool host_is_ip() const;
  // Value of the HTTP Host header: host[:port], brackets for IPv6, default port left out.
  std::string host_header() const;
  // "scheme://host:port/path" without user info or query (API keys often ride in the query):
  // the only form of an endpoint that may appear in logs, errors and metrics.
  std::string label() const;
};

Result<Url> parse_url(std::string_view text);

// Best-effort credential stripping for any string that was meant to be a URL (also malformed
// ones): removes user info and the query.
std::string redact_url(std::string_view text);

}  // namespace causeway::net
