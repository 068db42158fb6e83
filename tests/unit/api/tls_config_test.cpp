// relay.api's TLS, client-certificate and rate-limit settings as the config loader reads them
// (relay/app/config_loader.cpp): each refusal mutates one field of a valid config and names its
// path and reason. Certificate files come from tls_fixtures.hpp, made at test time.
#include <catch2/catch.hpp>

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "relay/app/config_loader.hpp"
#include "tests/unit/api/tls_fixtures.hpp"
#include "tests/unit/verify/bundle_fixtures.hpp"

using namespace causeway;
using nlohmann::json;
namespace rc = causeway::app::reason::config;

namespace {

// The valid example with a relay.api that serves TLS from the PKI's files and lets the "client"
// certificate be admin; `edit` then changes one thing.
core::Result<engine::Config> load_api(const test::tls::Pki& pki, const std::function<void(json&)>& edit = {}) {
  json config = json::parse(test::bundle_fixtures::read_text(
      test::bundle_fixtures::source_path("schemas/examples/config.valid.json")));
  json& api = config["relay"]["api"];
  api["tls"] = {{"cert_file", pki.path("server.pem")},
                {"key_file", pki.path("server.key")},
                {"client_ca_file", pki.path("ca.pem")},
                {"client_auth", "optional"}};
  api["admin_client_certs"] = json::array({pki.client_fingerprint});
  api["rate_limit"] = {{"requests_per_second", 5}, {"burst", 10}};
  if (edit) edit(api);
  return app::config_from_json(config);
}

void require_refused(const core::Result<engine::Config>& loaded, core::Reason reason, const std::string& path) {
  REQUIRE_FALSE(loaded);
  INFO(loaded.error().message());
  CHECK(loaded.error().reason() == reason);
  CHECK(loaded.error().detail().rfind(path, 0) == 0);
}

// "AB:CD:..." as `openssl x509 -fingerprint -sha256` prints a fingerprint.
std::string colon_form(const std::string& hex) {
  std::string out;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    if (!out.empty()) out += ':';
    out += static_cast<char>(std::toupper(static_cast<unsigned char>(hex[i])));
    out += static_cast<char>(std::toupper(static_cast<unsigned char>(hex[i + 1])));
  }
  return out;
}

}  // namespace

TEST_CASE("config relay.api: tls, admin client certificates and the rate limit load", "[api]") {
  const test::tls::Pki pki;
  const auto loaded = load_api(pki, [&pki](json& api) {
    api["admin_client_certs"] = json::array({colon_form(pki.client_fingerprint), pki.second_fingerprint});
  });
  INFO((loaded ? std::string() : loaded.error().message()));
  REQUIRE(loaded);
  const auto& settings = loaded->relay.api;
  REQUIRE(settings.tls);
  CHECK(settings.tls->cert_file == pki.path("server.pem"));
  CHECK(settings.tls->client_auth == "optional");
  // Kept as the server reports fingerprints: 64 lower-case hex digits.
  CHECK(settings.admin_client_certs == std::vector<std::string>{pki.client_fingerprint, pki.second_fingerprint});
  CHECK(settings.requests_per_second == 5);
  CHECK(settings.burst == 10);

  // The files are the host's: the loader judges the config alone and opens none of them (the
  // server refuses unusable ones at start, tls_test.cpp).
  const auto elsewhere = load_api(pki, [](json& api) {
    api["tls"]["cert_file"] = "/etc/causeway/tls/relay.pem";
    api["tls"]["key_file"] = "/run/credentials/causeway.service/relay.key";
    api["tls"]["client_ca_file"] = "/etc/causeway/tls/operators-ca.pem";
  });
  CHECK(elsewhere);

  // Without the section: plain HTTP and the default limit.
  const auto plain = load_api(pki, [](json& api) { api = json::object(); });
  REQUIRE(plain);
  CHECK_FALSE(plain->relay.api.tls);
  CHECK(plain->relay.api.requests_per_second == 50);
}

TEST_CASE("config relay.api.tls refusals name the field", "[api]") {
  const test::tls::Pki pki;
  require_refused(load_api(pki, [](json& api) { api["tls"].erase("key_file"); }), rc::kMissingField,
                  "relay.api.tls.key_file");
  require_refused(load_api(pki, [](json& api) { api["tls"]["client_auth"] = "sometimes"; }), rc::kBadField,
                  "relay.api.tls.client_auth");
  require_refused(load_api(pki, [](json& api) { api["tls"].erase("client_ca_file"); }), rc::kBadField,
                  "relay.api.tls.client_auth");
  require_refused(load_api(pki,
                           [](json& api) {
                             api["tls"]["client_auth"] = "none";
                             api.erase("admin_client_certs");
                           }),
                  rc::kBadField, "relay.api.tls.client_ca_file");
  require_refused(load_api(pki, [](json& api) { api["tls"]["verify"] = false; }), rc::kUnknownField,
                  "relay.api.tls.verify");
}

TEST_CASE("config relay.api admin_client_certs and rate_limit refusals name the field", "[api]") {
  const test::tls::Pki pki;
  // Listed certificates mean nothing when none is asked for.
  require_refused(load_api(pki, [](json& api) { api.erase("tls"); }), rc::kBadField, "relay.api.admin_client_certs");
  require_refused(load_api(pki,
                           [](json& api) {
                             api["tls"]["client_auth"] = "none";
                             api["tls"].erase("client_ca_file");
                           }),
                  rc::kBadField, "relay.api.admin_client_certs");
  const std::string& good = pki.client_fingerprint;
  require_refused(load_api(pki, [&good](json& api) { api["admin_client_certs"] = {good.substr(1)}; }),
                  rc::kBadField, "relay.api.admin_client_certs[0]");
  require_refused(load_api(pki, [&good](json& api) { api["admin_client_certs"] = {good, good + "00"}; }),
                  rc::kBadField, "relay.api.admin_client_certs[1]");
  require_refused(load_api(pki, [&good](json& api) { api["admin_client_certs"] = {"zz" + good.substr(2)}; }),
                  rc::kBadField, "relay.api.admin_client_certs[0]");
  require_refused(load_api(pki, [](json& api) { api["rate_limit"]["requests_per_second"] = -1; }), rc::kBadField,
                  "relay.api.rate_limit.requests_per_second");
  require_refused(load_api(pki, [](json& api) { api["rate_limit"]["window"] = 1; }), rc::kUnknownField,
                  "relay.api.rate_limit.window");
}
