// Named failure reasons of the JSON-RPC client and the one place that decides whether a failure
// is worth retrying (STYLE habit 3): retry loops, failover and callers all ask classify().
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "relay/core/result.hpp"

namespace causeway::net {

using core::Error;
using core::Reason;
using core::Result;

namespace reason {
// Configuration and request-building mistakes: retrying cannot help.
inline constexpr Reason kBadUrl{"net.bad_url"};
inline constexpr Reason kBadConfig{"net.bad_config"};
inline constexpr Reason kBadRequest{"net.bad_request"};
// Transport failures: the endpoint may be back soon, or another endpoint may answer.
inline constexpr Reason kResolveFailed{"net.resolve_failed"};
inline constexpr Reason kConnectFailed{"net.connect_failed"};
inline constexpr Reason kTimeout{"net.timeout"};
inline constexpr Reason kConnectionClosed{"net.connection_closed"};
inline constexpr Reason kIo{"net.io"};
inline constexpr Reason kTlsHandshakeFailed{"net.tls_handshake_failed"};
// The peer's certificate did not verify (unknown CA, expired, wrong host name). Never retried:
// it is either a misconfiguration or someone in the middle, and both must be loud.
inline constexpr Reason kTlsVerifyFailed{"net.tls_verify_failed"};
// HTTP statuses, split by what they mean for a retry.
inline constexpr Reason kHttpOverloaded{"net.http_overloaded"};        // 429, 503
inline constexpr Reason kHttpServerError{"net.http_server_error"};     // other 5xx, 408
inline constexpr Reason kHttpStatus{"net.http_status"};                // other non-2xx: config
inline constexpr Reason kWebSocketRejected{"net.websocket_rejected"};  // upgrade declined
// A reply that is not what JSON-RPC 2.0 promises; the endpoint is misbehaving.
inline constexpr Reason kBadHttp{"net.bad_http"};
inline constexpr Reason kReplyTooLarge{"net.reply_too_large"};
inline constexpr Reason kReplyTooDeep{"net.reply_too_deep"};
inline constexpr Reason kBadJson{"net.bad_json"};
inline constexpr Reason kBadReply{"net.bad_reply"};
inline constexpr Reason kIdMismatch{"net.id_mismatch"};
// The node answered with a JSON-RPC error object (detail starts "rpc code <n>: <message>").
inline constexpr Reason kRpcError{"net.rpc_error"};
inline constexpr Reason kRpcMethodNotFound{"net.rpc_method_not_found"};  // -32601
inline constexpr Reason kRpcRateLimited{"net.rpc_rate_limited"};         // -32005
// k-of-n reads: endpoints gave conflicting answers (THREATS 1: the caller halts the lane), or
// too few answered to decide.
inline constexpr Reason kQuorumDisagreement{"net.quorum_disagreement"};
inline constexpr Reason kQuorumUnavailable{"net.quorum_unavailable"};
inline constexpr Reason kSubscriptionClosed{"net.subscription_closed"};
inline constexpr Reason kCancelled{"net.cancelled"};
}  // namespace reason

enum class ErrorClass {
  kRetryable,  // may succeed later or on another endpoint; the endpoint is cooled down
  kFatal,      // retrying cannot help or would hide an attack; return to the caller now
};

ErrorClass classify(const Error& error) noexcept;
inline bool is_retryable(const Error& error) noexcept {
  return classify(error) == ErrorClass::kRetryable;
}

// The JSON-RPC error code of a kRpc* error, read back from its detail; nullopt for other errors.
std::optional<std::int64_t> rpc_error_code(const Error& error);

// Text from a peer made safe for logs: printable ASCII only, at most max_chars characters.
std::string sanitize_peer_text(std::string_view text, std::size_t max_chars = 200);

}  // namespace causeway::net
