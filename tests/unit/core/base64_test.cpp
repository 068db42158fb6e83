// relay/core/base64.cpp: the RFC 4648 section 10 vectors, round trips, and one refusal per rule
// of the strict decoder.
#include <catch2/catch.hpp>

#include <string>

#include "relay/core/base64.hpp"
#include "relay/core/hash.hpp"

using namespace causeway::core;

namespace {

Bytes text_bytes(std::string_view text) {
  const auto view = as_bytes(text);
  return Bytes(view.begin(), view.end());
}

Reason decode_error(std::string_view text) {
  auto decoded = base64_decode(text);
  REQUIRE_FALSE(decoded.ok());
  return decoded.error().reason();
}

}  // namespace

TEST_CASE("base64 matches the RFC 4648 section 10 test vectors both ways", "[audit]") {
  const std::pair<std::string_view, std::string_view> vectors[] = {
      {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},        {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    CHECK(base64_encode(as_bytes(plain)) == encoded);
    auto decoded = base64_decode(encoded);
    REQUIRE(decoded.ok());
    CHECK(*decoded == text_bytes(plain));
  }
}

TEST_CASE("base64 round-trips every length and every byte value", "[audit]") {
  Bytes all(256);
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<std::uint8_t>(i);
  for (std::size_t length = 0; length <= all.size(); length += 1 + length / 8) {
    const Bytes data(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(length));
    auto decoded = base64_decode(base64_encode(data));
    REQUIRE(decoded.ok());
    CHECK(*decoded == data);
  }
  const Hash32 digest = sha256(as_bytes("x"));
  CHECK(base64_decode(base64_encode(digest.view())).value() == Bytes(digest.bytes.begin(), digest.bytes.end()));
}

TEST_CASE("base64 refuses characters outside the standard alphabet", "[audit]") {
  CHECK(decode_error("Zm9v!A==") == reason::base64::kBadCharacter);
  CHECK(decode_error("Zm9-") == reason::base64::kBadCharacter);   // URL-safe alphabet
  CHECK(decode_error("Zm9_") == reason::base64::kBadCharacter);
  CHECK(decode_error("Zm9v\nYmFy") == reason::base64::kBadLength);  // 9 characters
  CHECK(decode_error("Zm 9") == reason::base64::kBadCharacter);   // whitespace is not skipped
  CHECK(decode_error(std::string("Zm9\0", 4)) == reason::base64::kBadCharacter);
}

TEST_CASE("base64 refuses lengths that are not whole groups", "[audit]") {
  CHECK(decode_error("Zm9") == reason::base64::kBadLength);
  CHECK(decode_error("Zg") == reason::base64::kBadLength);  // padding is required
  CHECK(decode_error("Zm9vY") == reason::base64::kBadLength);
}

TEST_CASE("base64 refuses misplaced or excess padding", "[audit]") {
  CHECK(decode_error("Z===") == reason::base64::kBadPadding);
  CHECK(decode_error("====") == reason::base64::kBadPadding);
  CHECK(decode_error("Zm=v") == reason::base64::kBadPadding);
  CHECK(decode_error("Zg==Zm9v") == reason::base64::kBadPadding);  // padding inside the text
}

TEST_CASE("base64 refuses set bits the last group does not use", "[audit]") {
  CHECK(decode_error("Zh==") == reason::base64::kNonCanonical);  // "f" is only "Zg=="
  CHECK(decode_error("Zm9=") == reason::base64::kNonCanonical);  // "fo" is only "Zm8="
  CHECK(base64_decode("Zg==").ok());
  CHECK(base64_decode("Zm8=").ok());
}
