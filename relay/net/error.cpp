// classify(): the single table of which net failures are retryable, and helpers for error text.
#include "relay/net/error.hpp"

#include <charconv>

namespace causeway::net {

ErrorClass classify(const Error& error) noexcept {
  const Reason r = error.reason();
  // Transient transport trouble and misbehaving endpoints: try again, elsewhere if possible. A
  // garbage or oversized reply from one endpoint says nothing about the others.
  if (r == reason::kResolveFailed || r == reason::kConnectFailed || r == reason::kTimeout ||
      r == reason::kConnectionClosed || r == reason::kIo || r == reason::kTlsHandshakeFailed ||
      r == reason::kHttpOverloaded || r == reason::kHttpServerError || r == reason::kBadHttp ||
      r == reason::kReplyTooLarge || r == reason::kReplyTooDeep || r == reason::kBadJson ||
      r == reason::kBadReply || r == reason::kIdMismatch || r == reason::kRpcRateLimited ||
      r == reason::kQuorumUnavailable || r == reason::kSubscriptionClosed) {
    return ErrorClass::kRetryable;
  }
  // Everything else, including reasons this table does not know yet, is fatal: an unknown
  // failure retried forever is worse than one reported at once.
  return ErrorClass::kFatal;
}

std::optional<std::int64_t> rpc_error_code(const Error& error) {
  const Reason r = error.reason();
  if (!(r == reason::kRpcError || r == reason::kRpcMethodNotFound || r == reason::kRpcRateLimited)) {
    return std::nullopt;
  }
  // Context may have been prepended; the code follows our own "rpc code " marker, which comes
  // before the peer's message so the peer cannot forge it.
  const std::string& detail = error.detail();
  constexpr std::string_view kMarker = "rpc code ";
  const auto at = detail.find(kMarker);
  if (at == std::string::npos) return std::nullopt;
  const char* first = detail.data() + at + kMarker.size();
  const char* last = detail.data() + detail.size();
  std::int64_t code = 0;
  auto [ptr, ec] = std::from_chars(first, last, code);
  if (ec != std::errc{} || ptr == first) return std::nullopt;
  return code;
}

std::string sanitize_peer_text(std::string_view text, std::size_t max_chars) {
  std::string out;
  out.reserve(std::min(text.size(), max_chars) + 3);
  for (char c : text) {
    if (out.size() >= max_chars) {
      out += "...";
      break;
    }
    const auto u = static_cast<unsigned char>(c);
    out += (u >= 0x20 && u < 0x7f) ? c : '?';
  }
  return out;
}

}  // namespace causeway::net
