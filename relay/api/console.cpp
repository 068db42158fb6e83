// See console.hpp.
#include "relay/api/console.hpp"

#include <map>
#include <memory>
#include <string>
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "relay/core/bytes.hpp"
#include "relay/core/hash.hpp"

namespace causeway::api {
namespace {

using boost::asio::awaitable;

constexpr std::string_view kIndex = "index.html";

struct Asset {
  std::string content_type;
  std::string body;
  std::string etag;  // a strong validator: the content's SHA-256, quoted
};

using Assets = std::map<std::string, Asset, std::less<>>;

Assets load_assets() {
  Assets out;
  for (const EmbeddedAsset& embedded : embedded_console_assets()) {
    Asset asset;
    asset.content_type = std::string(embedded.content_type);
    asset.body.assign(embedded.bytes.begin(), embedded.bytes.end());
    asset.etag = "\"" + core::to_hex(core::sha256(core::as_bytes(asset.body)), false) + "\"";
    out.emplace(std::string(embedded.name), std::move(asset));
  }
  return out;
}

Response not_found() {
  Response response;
  response.status = 404;
  response.body = nlohmann::json{{"error", {{"code", "not_found"}, {"message", "no such console file"}}}}.dump();
  return response;
}

Response serve(const Asset& asset, const Request& request) {
  Response response;
  response.content_type = asset.content_type;
  response.headers["Cache-Control"] = "no-cache";
  response.headers["ETag"] = asset.etag;
  response.headers["Content-Security-Policy"] = std::string(kConsoleContentSecurityPolicy);
  response.headers["X-Content-Type-Options"] = "nosniff";
  response.headers["Referrer-Policy"] = "no-referrer";
  const auto validator = request.headers.find("if-none-match");
  if (validator != request.headers.end() && validator->second == asset.etag) {
    response.status = 304;
    return response;
  }
  response.body = asset.body;
  return response;
}

}  // namespace

void install_console_routes(HttpServer& server) {
  const auto assets = std::make_shared<const Assets>(load_assets());
  // CMakeLists.txt embeds index.html; without it the binary was built wrong (throws at start).
  // The route holds `assets` too, which keeps `index` alive.
  const Asset* index = &assets->at(std::string(kIndex));
  server.route("GET", "/", [assets, index](Request request) -> awaitable<Response> {
    co_return serve(*index, request);
  });
  server.route("GET", "/console/{name}", [assets](Request request) -> awaitable<Response> {
    const auto found = assets->find(request.params.at("name"));
    if (found == assets->end()) co_return not_found();
    co_return serve(found->second, request);
  });
}

}  // namespace causeway::api
