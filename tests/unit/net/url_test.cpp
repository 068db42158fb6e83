// Tests for relay/net/url: strict endpoint URL parsing and credential-free labels.
#include <catch2/catch.hpp>

#include "relay/net/url.hpp"

using namespace causeway::net;

TEST_CASE("url parses scheme, host, port and target with defaults", "[unit]") {
  auto https = parse_url("HTTPS://Node.Example.org/rpc/v1?key=k");
  REQUIRE(https.ok());
  CHECK(https->scheme == Scheme::kHttps);
  CHECK(https->host == "node.example.org");
  CHECK(https->port == 443);
  CHECK(https->target == "/rpc/v1?key=k");
  CHECK(https->tls());
  CHECK_FALSE(https->websocket());
  CHECK(https->host_header() == "node.example.org");

  auto ws = parse_url("ws://127.0.0.1:8546");
  REQUIRE(ws.ok());
  CHECK(ws->scheme == Scheme::kWs);
  CHECK(ws->port == 8546);
  CHECK(ws->target == "/");
  CHECK(ws->host_is_ip());
  CHECK(ws->host_header() == "127.0.0.1:8546");

  auto v6 = parse_url("wss://[::1]:9000/x");
  REQUIRE(v6.ok());
  CHECK(v6->host == "::1");
  CHECK(v6->host_header() == "[::1]:9000");
  CHECK(v6->label() == "wss://[::1]:9000/x");

  auto http = parse_url("http://h");
  REQUIRE(http.ok());
  CHECK(http->port == 80);
}

TEST_CASE("url keeps credentials out of labels and errors", "[unit]") {
  auto url = parse_url("https://alice:s3cr%40t@rpc.example.org:8443/path?apikey=SECRETKEY");
  REQUIRE(url.ok());
  CHECK(url->username == "alice");
  CHECK(url->password == "s3cr@t");
  CHECK(url->label() == "https://rpc.example.org:8443/path");

  auto bad = parse_url("https://alice:hunter2@rpc.example.org:99999/?apikey=SECRETKEY");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().reason() == reason::kBadUrl);
  CHECK(bad.error().message().find("hunter2") == std::string::npos);
  CHECK(bad.error().message().find("alice") == std::string::npos);
  CHECK(bad.error().message().find("SECRETKEY") == std::string::npos);
  CHECK(bad.error().message().find("rpc.example.org") != std::string::npos);
  CHECK(redact_url("wss://u:p@h:1/a?b=c#d") == "wss://***@h:1/a");
}

TEST_CASE("url rejects malformed endpoints by name", "[unit]") {
  for (const char* text :
       {"", "localhost:8545", "ftp://h/", "http://", "http://:80/", "http://h:/", "http://h:0/",
        "http://h:65536/", "http://h:12a/", "http://h/ a", "http://h/#frag", "http://h\x01/",
        "http://[::1/", "http://[zz::1]/", "http://h%41/", "http://[::1]x/", "http://h/\"q"}) {
    INFO(text);
    auto url = parse_url(text);
    REQUIRE_FALSE(url.ok());
    CHECK(url.error().reason() == reason::kBadUrl);
  }
}
