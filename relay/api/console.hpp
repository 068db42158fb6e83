// The web console (DESIGN.md section 5): a page, one JavaScript module and one stylesheet from
// relay/api/console/, embedded in the binary at build time and served at "/" and "/console/NAME".
// The page reads /v1 like any other client and sends no token: it needs public reads (the
// default), and where reads need a token it shows the API's refusal instead of data.
#pragma once

#include <span>
#include <string_view>

#include "relay/api/http_server.hpp"

namespace causeway::api {

// One file of relay/api/console/, by its file name.
struct EmbeddedAsset {
  std::string_view name;
  std::string_view content_type;
  std::span<const unsigned char> bytes;
};

// Every embedded file (defined in the file relay/api/console/embed.cmake generates).
std::span<const EmbeddedAsset> embedded_console_assets() noexcept;

// Scripts, styles, images and connections (the /v1 API and its WebSocket) from the relay itself
// only; no inline script or style, no frames, no plugins, no form posts: an injected string in a
// message field can neither run nor phone home.
inline constexpr std::string_view kConsoleContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

// GET "/" (the page) and GET "/console/{name}" (its assets; an unknown name answers 404). Each
// answer carries its content type, Content-Security-Policy, nosniff and an ETag; Cache-Control
// no-cache makes a browser revalidate (304 on a matching If-None-Match), so a new relay binary's
// console is never mixed with a cached old one.
void install_console_routes(HttpServer& server);

}  // namespace causeway::api
