// The operator commands' side of the relay's REST API (schemas/openapi.yaml): a minimal HTTP/1.1
// client over plain TCP or TLS (always verified), one request per connection with a deadline, and
// the admin token's sources, which the relay (relay.api) and the commands (--token-file) read the
// same way.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "relay/core/result.hpp"
#include "relay/engine/config.hpp"

namespace causeway::app {

namespace reason::api_client {
// --api is not an http:// or https://host[:port] URL, or TLS files are given for http://.
inline constexpr core::Reason kBadUrl{"api_client.bad_url"};
// The relay could not be reached, or did not answer within the deadline.
inline constexpr core::Reason kUnreachable{"api_client.unreachable"};
// --ca, --cert or --key cannot be read or used (a key that does not match its certificate).
inline constexpr core::Reason kTlsConfig{"api_client.tls_config"};
// The relay's certificate does not chain to the trusted CA or does not name the URL's host, or the
// relay refused this client's certificate.
inline constexpr core::Reason kTlsFailed{"api_client.tls_failed"};
}  // namespace reason::api_client

struct ApiClientOptions {
  std::string api = "http://127.0.0.1:9464";  // the relay's relay.listen
  std::string token;                           // sent as a bearer token when not empty
  std::chrono::milliseconds timeout{10000};    // for the whole exchange
  // https only. The relay's certificate is always verified, chain and host name: against ca_file
  // (PEM) when set, else the system's CAs; there is no way to turn that off.
  std::string ca_file;
  // A client certificate (PEM chain) and its key, for a relay that asks for one (mTLS). Both or
  // neither.
  std::string cert_file;
  std::string key_file;
  // A relay over its per-client rate limit answers 429 with Retry-After: the request is sent again
  // after that many seconds (at least 1, at most 30), this many times before the 429 is returned.
  int rate_limited_retries = 10;
};

struct ApiResponse {
  unsigned status = 0;
  std::string content_type;
  std::string body;
  std::string retry_after;  // the Retry-After header, as sent (empty when absent)
};

// Sends one request and reads its answer, whatever its status (a 429 only once the retries above
// are spent). `target` is a path and query under the API's URL. Errors never contain the token.
core::Result<ApiResponse> api_request(const ApiClientOptions& options, std::string_view method,
                                      std::string_view target, std::string_view body = {});

// Percent-encodes one path segment (a lane name such as "a->b"): only unreserved characters
// (RFC 3986 section 2.3) stay as they are.
std::string encode_path_segment(std::string_view text);

// The token in the first line of a file (a trailing "\n" or "\r\n" dropped); empty is an error.
core::Result<std::string> read_token_file(const std::string& path);
// relay.api's admin token: from its file or environment variable, empty when neither is set.
// Read once at start; never logged.
core::Result<std::string> load_admin_token(const engine::ApiSettings& api);

}  // namespace causeway::app
